/* lower_movement.c: the data-movement family's entry point and its simplest
 * members. Reshape, Flatten, Squeeze, Unsqueeze, Identity and inference-mode
 * Dropout keep the bytes and change only the type: nothing at all when the
 * memory plan put the output on its input's bytes, else one memcpy of the
 * input into the output's slot, which LLVM turns into the best copy loop for
 * the target. The other members live in lower_movement_shape.c (Transpose,
 * Concat, Split, Slice, Expand, Tile, Pad, DepthToSpace, SpaceToDepth),
 * lower_movement_gather.c (Gather) and lower_movement_nn.c (pools, Resize);
 * lower_movement_copy.c generates the strided copies most of them reduce to.
 * All of them compute at compile time what the reference adapters compute per
 * run, and decline (run the reference kernel) whenever a parameter is not a
 * compile-time constant. */
#include "lower_movement.h"

const kn_tensor *mv_const_input(cg_ctx *c, const ir_node *n, int i) {
  if (i >= n->nin || n->in[i] == IR_NONE) return NULL;
  const ir_value *v = &c->g->values[n->in[i]];
  return v->is_input ? NULL : v->constant;
}

int mv_const_ints(cg_ctx *c, const ir_node *n, int i, int64_t *out, int max) {
  if (i >= n->nin || n->in[i] == IR_NONE) return -1;
  const kn_tensor *t = mv_const_input(c, n, i);
  if (!t || (t->dtype != KN_I64 && t->dtype != KN_I32)) return -2;
  int64_t cnt = kn_dims_numel(t->rank, t->dims);
  if (cnt < 0 || cnt > max) return -2;
  for (int64_t k = 0; k < cnt; k++) out[k] = kn_tensor_get_i64(t, k);
  return (int)cnt;
}

/* The bytes of x into y (same size). */
static void emit_memcpy(cg_ctx *c, ir_id y, ir_id x, int64_t bytes) {
  if (bytes <= 0) return;
  LLVMBuildMemCpy(c->b, cg_value_ptr(c, y), (unsigned)mv_value_align(c, y), cg_value_ptr(c, x),
                  (unsigned)mv_value_align(c, x), cg_i64(c, bytes));
}

kn_status cg_lower_copy(cg_ctx *c, const ir_node *n) {
  ir_id x = n->in[0], y = n->out[0];
  if (y == IR_NONE) return KN_OK;
  const ir_type *t = mv_type(c, y);
  size_t es = kn_dtype_size(t->dtype);
  if (es == 0 || mv_type(c, x)->dtype != t->dtype || mv_numel(c, x) != mv_numel(c, y)) return KN_EUNSUPPORTED;
  if (c->loc[x].kind == CG_LOC_WS && c->loc[y].kind == CG_LOC_WS && c->loc[x].offset == c->loc[y].offset)
    return KN_OK; /* a view planned onto its input's bytes (ir/mem_plan.c) */
  emit_memcpy(c, y, x, kn_dims_numel(t->rank, t->dims) * (int64_t)es);
  return KN_OK;
}

/* Dropout at inference is the identity; its mask output is all true. Training
 * mode with a nonzero ratio (random masks) stays on the reference kernel,
 * which reports it as unsupported. */
kn_status cg_lower_dropout(cg_ctx *c, const ir_node *n) {
  if (n->nin > 2 && n->in[2] != IR_NONE) {
    const kn_tensor *train = mv_const_input(c, n, 2);
    if (!train || kn_dims_numel(train->rank, train->dims) < 1) return KN_EUNSUPPORTED;
    if (kn_tensor_get_f64(train, 0) != 0) {
      const kn_tensor *ratio = mv_const_input(c, n, 1);
      if (n->nin > 1 && n->in[1] != IR_NONE && !ratio) return KN_EUNSUPPORTED;
      double r = ratio && kn_dims_numel(ratio->rank, ratio->dims) >= 1 ? kn_tensor_get_f64(ratio, 0) : 0.5;
      if (r != 0) return KN_EUNSUPPORTED;
    }
  }
  ir_id mask = n->nout > 1 ? n->out[1] : IR_NONE;
  if (mask != IR_NONE && mv_type(c, mask)->dtype != KN_BOOL) return KN_EUNSUPPORTED;
  kn_status st = cg_lower_copy(c, n);
  if (st != KN_OK) return st;
  int64_t nm = mask != IR_NONE && c->loc[mask].kind != CG_LOC_NONE ? mv_numel(c, mask) : 0;
  if (nm > 0)
    LLVMBuildMemSet(c->b, cg_value_ptr(c, mask), LLVMConstInt(c->i8, 1, 0), cg_i64(c, nm), (unsigned)mv_value_align(c, mask));
  return KN_OK;
}
