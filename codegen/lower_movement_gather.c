/* lower_movement_gather.c: Gather. Constant indices (class-token pooling,
 * picking heads or positions) are validated at compile time; when they form
 * an arithmetic progression (a single index is one) the gather is a strided
 * copy with constant strides, otherwise the indices are baked into the module
 * and the kernel library's gather is inlined around them. Indices known only
 * at run time (token ids into an embedding table) go through the same kernel,
 * which validates every index before it copies anything and returns the
 * position of the first bad one; the generated code then calls the node's
 * reference kernel, which reports the error with the index value, and the
 * entry returns that status. So no index value can make compiled code read
 * outside the data. Ahead of time there is no reference kernel: the entry
 * returns KN_EINVAL for the bad index instead. */
#include "cg_internal.h"
#include "lower_movement.h"
#include <stdlib.h>

/* Calls kk_index_gather and, when it reports a bad index, the node's
 * reference kernel (which fails with a message naming the index). */
static kn_status emit_gather_call(cg_ctx *c, const ir_node *n, LLVMValueRef idx, int idx64, int64_t outer,
                                  int64_t axis_dim, int64_t nidx, int64_t inner, size_t es) {
  LLVMValueRef fn = cg_kernel(c, "kk_index_gather");
  LLVMValueRef fb = LLVMGetNamedFunction(c->m, CG_FALLBACK_NAME);
  if (!fn || (!fb && !c->aot)) return KN_EUNSUPPORTED;
  LLVMValueRef args[9] = {cg_value_ptr(c, n->in[0]), idx,          cg_i32(c, idx64),   cg_value_ptr(c, n->out[0]),
                          cg_i64(c, outer),          cg_i64(c, axis_dim), cg_i64(c, nidx), cg_i64(c, inner),
                          cg_i64(c, (int64_t)es)};
  LLVMValueRef bad = cg_call(c, fn, args, 9);
  cg_emit_bad_value_check(c, LLVMBuildICmp(c->b, LLVMIntSGE, bad, cg_i64(c, 0), ""));
  return KN_OK;
}

kn_status mv_lower_gather(cg_ctx *c, const ir_node *n) {
  ir_id x = n->in[0], ix = n->in[1], y = n->out[0];
  const ir_type *xt = mv_type(c, x), *it = mv_type(c, ix), *yt = mv_type(c, y);
  size_t es = kn_dtype_size(xt->dtype);
  if (es == 0 || yt->dtype != xt->dtype || (it->dtype != KN_I32 && it->dtype != KN_I64) || xt->rank < 1)
    return KN_EUNSUPPORTED;
  int64_t a = ir_op_axis(n);
  if (a < -xt->rank || a >= xt->rank) return KN_EUNSUPPORTED;
  int axis = (int)(a < 0 ? a + xt->rank : a);
  /* the output type must be the one this view produces */
  if (yt->rank != xt->rank - 1 + it->rank) return KN_EUNSUPPORTED;
  int k = 0;
  for (int d = 0; d < axis; d++)
    if (yt->dims[k++] != xt->dims[d]) return KN_EUNSUPPORTED;
  for (int d = 0; d < it->rank; d++)
    if (yt->dims[k++] != it->dims[d]) return KN_EUNSUPPORTED;
  for (int d = axis + 1; d < xt->rank; d++)
    if (yt->dims[k++] != xt->dims[d]) return KN_EUNSUPPORTED;
  int64_t outer = kn_dims_numel(axis, xt->dims), axis_dim = xt->dims[axis];
  int64_t inner = kn_dims_numel(xt->rank - axis - 1, xt->dims + axis + 1), nidx = mv_numel(c, ix);
  if (nidx == 0) return KN_OK;
  /* an empty output still has indices to validate: the reference kernel does that */
  if (mv_numel(c, y) == 0) return KN_EUNSUPPORTED;
  const kn_tensor *ci = mv_const_input(c, n, 1);
  if (!ci) return emit_gather_call(c, n, cg_value_ptr(c, ix), it->dtype == KN_I64, outer, axis_dim, nidx, inner, es);
  int64_t *v = malloc(sizeof *v * (size_t)nidx);
  if (!v) return KN_EUNSUPPORTED;
  bool progression = true;
  for (int64_t i = 0; i < nidx; i++) {
    v[i] = kn_tensor_get_i64(ci, i);
    if (v[i] < -axis_dim || v[i] >= axis_dim) { /* the reference kernel reports it */
      free(v);
      return KN_EUNSUPPORTED;
    }
    if (v[i] < 0) v[i] += axis_dim;
    if (i >= 2 && v[i] - v[i - 1] != v[1] - v[0]) progression = false;
  }
  kn_status st = KN_OK;
  if (progression) {
    int64_t step = nidx > 1 ? v[1] - v[0] : 0;
    mv_copy cp = {.rank = 3,
                  .dims = {outer, nidx, inner},
                  .ds = {nidx * inner, inner, 1},
                  .ss = {axis_dim * inner, step * inner, 1},
                  .soff = v[0] * inner,
                  .es = es};
    mv_emit_copy(c, &cp, cg_value_ptr(c, y), mv_value_align(c, y), cg_value_ptr(c, x), mv_value_align(c, x));
  } else if (nidx <= ((int64_t)1 << 20)) {
    /* validated, normalized indices as module constants LLVM can see */
    st = emit_gather_call(c, n, cg_i64_array(c, v, (int)nidx), 1, outer, axis_dim, nidx, inner, es);
  } else {
    st = emit_gather_call(c, n, cg_value_ptr(c, ix), it->dtype == KN_I64, outer, axis_dim, nidx, inner, es);
  }
  free(v);
  return st;
}
