/* lower_movement.c: ops that move bytes. Reshape, Flatten, Squeeze, Unsqueeze
 * and Identity keep the bytes and change only the type: one memcpy of the
 * input into the output's slot, which LLVM turns into the best copy loop for
 * the target. */
#include "cg.h"

static kn_status lower_copy(cg_ctx *c, const ir_node *n) {
  ir_id x = n->in[0], y = n->out[0];
  if (y == IR_NONE) return KN_OK;
  const ir_type *t = &c->g->values[y].type;
  int64_t bytes = kn_dims_numel(t->rank, t->dims) * (int64_t)kn_dtype_size(t->dtype);
  if (bytes > 0) LLVMBuildMemCpy(c->b, cg_value_ptr(c, y), 64, cg_value_ptr(c, x), 1, cg_i64(c, bytes));
  return KN_OK;
}

cg_lower_fn cg_lowering_movement(ir_op op) {
  switch (op) {
  case IR_OP_Reshape:
  case IR_OP_Flatten:
  case IR_OP_Squeeze:
  case IR_OP_Unsqueeze:
  case IR_OP_Identity: return lower_copy;
  default: return NULL;
  }
}
