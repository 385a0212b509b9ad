/* lower_elementwise.c: float32 elementwise ops as calls into the kernel
 * library with every argument constant (op code, element count, broadcast
 * strides), so LLVM inlines the kernel, folds its op switch, and vectorizes
 * the one loop left for the target's vector width. Other dtypes decline and
 * run on the reference kernel. */
#include "cg.h"
#include "k_elementwise.h"

static int unary_code(ir_op op) {
  switch (op) {
  case IR_OP_Relu: return KK_EW_RELU;
  case IR_OP_Sigmoid: return KK_EW_SIGMOID;
  case IR_OP_Tanh: return KK_EW_TANH;
  case IR_OP_Exp: return KK_EW_EXP;
  case IR_OP_Erf: return KK_EW_ERF;
  case IR_OP_Sqrt: return KK_EW_SQRT;
  default: return -1;
  }
}

static int binary_code(ir_op op) {
  switch (op) {
  case IR_OP_Add: return KK_EW_ADD;
  case IR_OP_Sub: return KK_EW_SUB;
  case IR_OP_Mul: return KK_EW_MUL;
  case IR_OP_Div: return KK_EW_DIV;
  default: return -1;
  }
}

/* Element strides of `in` broadcast to `out` (0 along broadcast dims). */
static void broadcast_strides(const ir_type *in, const ir_type *out, int64_t *st) {
  int64_t s = 1;
  for (int d = out->rank - 1; d >= 0; d--) {
    int id = d - (out->rank - in->rank);
    int64_t dim = id >= 0 ? in->dims[id] : 1;
    st[d] = dim == 1 ? 0 : s;
    s *= dim;
  }
}

static bool same_dims(const ir_type *a, const ir_type *b) {
  if (a->rank != b->rank) return false;
  for (int i = 0; i < a->rank; i++)
    if (a->dims[i] != b->dims[i]) return false;
  return true;
}

static kn_status lower_elementwise(cg_ctx *c, const ir_node *n) {
  const ir_type *yt = &c->g->values[n->out[0]].type;
  if (yt->dtype != KN_F32) return KN_EUNSUPPORTED;
  int64_t count = kn_dims_numel(yt->rank, yt->dims);
  int uop = unary_code(n->op);
  if (uop >= 0) {
    LLVMValueRef fn = cg_kernel(c, "kk_elementwise_unary_f32");
    if (!fn) return KN_EUNSUPPORTED;
    LLVMValueRef args[7] = {cg_i32(c, uop), cg_i64(c, count), cg_value_ptr(c, n->in[0]), cg_value_ptr(c, n->out[0]),
                            cg_f64(c, 0), cg_f64(c, 0), cg_f64(c, 0)};
    cg_call(c, fn, args, 7);
    return KN_OK;
  }
  int bop = binary_code(n->op);
  if (bop < 0 || n->nin != 2) return KN_EUNSUPPORTED;
  const ir_type *at = &c->g->values[n->in[0]].type, *bt = &c->g->values[n->in[1]].type;
  if (at->dtype != KN_F32 || bt->dtype != KN_F32) return KN_EUNSUPPORTED;
  int64_t an = kn_dims_numel(at->rank, at->dims), bn = kn_dims_numel(bt->rank, bt->dims);
  LLVMValueRef a = cg_value_ptr(c, n->in[0]), b = cg_value_ptr(c, n->in[1]), y = cg_value_ptr(c, n->out[0]);
  if ((same_dims(at, yt) || an == 1) && (same_dims(bt, yt) || bn == 1)) {
    LLVMValueRef fn = cg_kernel(c, "kk_elementwise_binary_flat_f32");
    if (!fn) return KN_EUNSUPPORTED;
    LLVMValueRef args[7] = {cg_i32(c, bop), cg_i64(c, count), a, cg_i64(c, an == 1 && count != 1 ? 0 : 1), b,
                            cg_i64(c, bn == 1 && count != 1 ? 0 : 1), y};
    cg_call(c, fn, args, 7);
    return KN_OK;
  }
  LLVMValueRef fn = cg_kernel(c, "kk_elementwise_binary_f32");
  if (!fn) return KN_EUNSUPPORTED;
  int64_t sa[KN_MAX_RANK], sb[KN_MAX_RANK];
  broadcast_strides(at, yt, sa);
  broadcast_strides(bt, yt, sb);
  LLVMValueRef args[8] = {cg_i32(c, bop), cg_i32(c, yt->rank), cg_i64_array(c, yt->dims, yt->rank), a,
                          cg_i64_array(c, sa, yt->rank), b, cg_i64_array(c, sb, yt->rank), y};
  cg_call(c, fn, args, 8);
  return KN_OK;
}

cg_lower_fn cg_lowering_elementwise(ir_op op) {
  return unary_code(op) >= 0 || binary_code(op) >= 0 ? lower_elementwise : NULL;
}
