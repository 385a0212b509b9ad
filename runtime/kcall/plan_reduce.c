/* plan_reduce.c: kernel-call plans (kcall.h) of TopK and CumSum: the axis
 * view [outer, n, inner] of the input, the attributes, and where k comes
 * from. */
#include "kcall.h"

static bool numeric(int dt) { return kc_native(dt) && dt != KN_BOOL; }

kn_status kc_plan_TopK(kn_ctx *kn, const ir_graph *g, const ir_node *n, kc_plan *p) {
  const ir_type *x = kc_in(g, n, 0), *kt = kc_in(g, n, 1), *v = kc_out(g, n, 0), *ix = kc_out(g, n, 1);
  if (!x || !kt || !v || !ix || !numeric(x->dtype) || v->dtype != x->dtype || ix->dtype != KN_I64)
    return kc_decline(kn, n, "TopK needs a numeric input (not f16), its values and int64 indices");
  int64_t outer, len, inner, axis = ir_attr_int(n, "axis", -1);
  if (!kc_axis_view(x, axis, &outer, &len, &inner) || v->rank != x->rank)
    return kc_decline(kn, n, "axis out of range");
  int a = (int)(axis < 0 ? axis + x->rank : axis);
  const kn_tensor *kc = kc_const(g, n, 1);
  int64_t k = kc && kn_tensor_numel(kc) == 1 ? kn_tensor_get_i64(kc, 0) : v->dims[a];
  if (k < 0 || k > len || v->dims[a] != k || kn_dims_numel(ix->rank, ix->dims) != kn_dims_numel(v->rank, v->dims))
    return kc_decline(kn, n, "k does not match the outputs");
  kk_topk_params *q = kc_params(kn, p, "kk_call_topk", sizeof *q);
  if (!q) return KN_ENOMEM;
  *q = (kk_topk_params){.dt = x->dtype, .largest = ir_attr_int(n, "largest", 1) != 0,
                        .k_dt = kc ? 0 : kt->dtype, .outer = outer, .n = len, .inner = inner, .k = k};
  if (q->k_dt && !kc_native(q->k_dt)) return kc_decline(kn, n, "k must be an integer");
  p->scratch_bytes = len * (int64_t)(2 * sizeof(int64_t) + kn_dtype_size(x->dtype));
  return KN_OK;
}

kn_status kc_plan_CumSum(kn_ctx *kn, const ir_graph *g, const ir_node *n, kc_plan *p) {
  const ir_type *x = kc_in(g, n, 0), *y = kc_out(g, n, 0);
  const kn_tensor *at = kc_const(g, n, 1);
  if (!x || !y || !numeric(x->dtype) || y->dtype != x->dtype)
    return kc_decline(kn, n, "CumSum needs a numeric input (not f16)");
  if (!at || kn_tensor_numel(at) != 1 || !kn_dtype_is_int(at->dtype))
    return kc_decline(kn, n, "the axis is not a constant integer");
  int64_t outer, len, inner;
  if (!kc_axis_view(x, kn_tensor_get_i64(at, 0), &outer, &len, &inner)) return kc_decline(kn, n, "axis out of range");
  kk_cumsum_params *q = kc_params(kn, p, "kk_call_cumsum", sizeof *q);
  if (!q) return KN_ENOMEM;
  *q = (kk_cumsum_params){.dt = x->dtype, .exclusive = ir_attr_int(n, "exclusive", 0) != 0,
                          .reverse = ir_attr_int(n, "reverse", 0) != 0, .outer = outer, .n = len, .inner = inner};
  return KN_OK;
}
