/* plan_reduce.c: kernel-call plans (kcall.h) of TopK and CumSum: the axis
 * view [outer, n, inner] of the input, the attributes, and where k comes
 * from. CumSum's axis is usually a constant; when it is a run-time input,
 * the thunk (kk_call_cumsum_axis) gets x's dims and picks the view itself. */
#include "k_call_index.h"
#include "kcall.h"

static bool numeric(int dt) { return kc_native(dt) && dt != KN_BOOL; }

kn_status kc_plan_TopK(kn_ctx *kn, const ir_graph *g, const ir_node *n, kc_plan *p) {
  const ir_type *x = kc_in(g, n, 0), *kt = kc_in(g, n, 1), *v = kc_out(g, n, 0), *ix = kc_out(g, n, 1);
  if (!x || !kt || !v || !ix || !numeric(x->dtype) || v->dtype != x->dtype || ix->dtype != KN_I64)
    return kc_decline(kn, n, "TopK needs a numeric input (not f16), its values and int64 indices");
  int64_t outer, len, inner, axis = ir_op_axis(n);
  if (!kc_axis_view(x, axis, &outer, &len, &inner) || v->rank != x->rank)
    return kc_decline(kn, n, "axis out of range");
  int a = (int)(axis < 0 ? axis + x->rank : axis);
  const kn_tensor *kc = kc_const(g, n, 1);
  int64_t k = kc && kn_tensor_numel(kc) == 1 ? kn_tensor_get_i64(kc, 0) : v->dims[a];
  if (k < 0 || k > len || v->dims[a] != k || kn_dims_numel(ix->rank, ix->dims) != kn_dims_numel(v->rank, v->dims))
    return kc_decline(kn, n, "k does not match the outputs");
  kk_topk_params *q = kc_params(kn, p, "kk_call_topk", sizeof *q);
  if (!q) return KN_ENOMEM;
  *q = (kk_topk_params){.dt = x->dtype, .largest = ir_attr_i(n, "largest") != 0,
                        .k_dt = kc ? 0 : kt->dtype, .outer = outer, .n = len, .inner = inner, .k = k};
  if (q->k_dt && !kc_native(q->k_dt)) return kc_decline(kn, n, "k must be an integer");
  p->scratch_bytes = len * (int64_t)(2 * sizeof(int64_t) + kn_dtype_size(x->dtype));
  return KN_OK;
}

/* CumSum whose axis is only known at run time (k_call_index.h) */
static kn_status plan_cumsum_axis(kn_ctx *kn, const ir_node *n, const ir_type *x, const ir_type *at, kc_plan *p) {
  if (!at || (at->dtype != KN_I32 && at->dtype != KN_I64) || at->rank > 1 || kn_dims_numel(at->rank, at->dims) != 1)
    return kc_decline(kn, n, "the axis is not one int32/int64 value");
  if (x->rank < 1 || x->rank > KK_MAX_RANK) return kc_decline(kn, n, "the input must have rank >= 1");
  kk_cumsum_axis_params *q = kc_params(kn, p, "kk_call_cumsum_axis", sizeof *q);
  if (!q) return KN_ENOMEM;
  *q = (kk_cumsum_axis_params){.dt = x->dtype, .exclusive = ir_attr_i(n, "exclusive") != 0,
                               .reverse = ir_attr_i(n, "reverse") != 0, .axis_dt = at->dtype, .rank = x->rank};
  for (int i = 0; i < x->rank; i++) q->dims[i] = x->dims[i];
  return KN_OK;
}

kn_status kc_plan_CumSum(kn_ctx *kn, const ir_graph *g, const ir_node *n, kc_plan *p) {
  const ir_type *x = kc_in(g, n, 0), *y = kc_out(g, n, 0);
  const kn_tensor *at = kc_const(g, n, 1);
  if (!x || !y || !numeric(x->dtype) || y->dtype != x->dtype)
    return kc_decline(kn, n, "CumSum needs a numeric input (not f16)");
  if (!at) return plan_cumsum_axis(kn, n, x, kc_in(g, n, 1), p);
  if (kn_tensor_numel(at) != 1 || !kn_dtype_is_int(at->dtype))
    return kc_decline(kn, n, "the axis is not a constant integer");
  int64_t outer, len, inner;
  if (!kc_axis_view(x, kn_tensor_get_i64(at, 0), &outer, &len, &inner)) return kc_decline(kn, n, "axis out of range");
  kk_cumsum_params *q = kc_params(kn, p, "kk_call_cumsum", sizeof *q);
  if (!q) return KN_ENOMEM;
  *q = (kk_cumsum_params){.dt = x->dtype, .exclusive = ir_attr_i(n, "exclusive") != 0,
                          .reverse = ir_attr_i(n, "reverse") != 0, .outer = outer, .n = len, .inner = inner};
  return KN_OK;
}
