/* plan_index.c: kernel-call plans (kcall.h) of the constructions EyeLike,
 * Trilu and OneHot, whose kernels move elements as opaque bytes (so any
 * dtype with a size works). */
#include "kcall.h"

kn_status kc_plan_EyeLike(kn_ctx *kn, const ir_graph *g, const ir_node *n, kc_plan *p) {
  const ir_type *x = kc_in(g, n, 0), *y = kc_out(g, n, 0);
  size_t es = y ? kn_dtype_size(y->dtype) : 0;
  if (!x || !y || x->rank != 2 || y->rank != 2 || es == 0 || es > 8)
    return kc_decline(kn, n, "EyeLike needs a 2-D input and a sized output dtype");
  kk_eye_params *q = kc_params(kn, p, "kk_call_eye", sizeof *q);
  if (!q) return KN_ENOMEM;
  *q = (kk_eye_params){.rows = x->dims[0], .cols = x->dims[1], .k = ir_attr_i(n, "k"), .es = (int64_t)es};
  kn_tensor one = {.dtype = y->dtype, .rank = 0, .data = q->one, .nbytes = (int64_t)es};
  kn_tensor_set_f64(&one, 0, 1.0);
  return KN_OK;
}

kn_status kc_plan_Trilu(kn_ctx *kn, const ir_graph *g, const ir_node *n, kc_plan *p) {
  const ir_type *x = kc_in(g, n, 0), *kt = kc_in(g, n, 1), *y = kc_out(g, n, 0);
  size_t es = x ? kn_dtype_size(x->dtype) : 0;
  if (!x || !y || x->rank < 2 || es == 0) return kc_decline(kn, n, "Trilu needs an input of rank >= 2");
  const kn_tensor *kc = kc_const(g, n, 1);
  if (kt && (!kn_dtype_is_int(kt->dtype) || kn_dims_numel(kt->rank, kt->dims) != 1))
    return kc_decline(kn, n, "k must be a single integer");
  kk_trilu_params *q = kc_params(kn, p, "kk_call_trilu", sizeof *q);
  if (!q) return KN_ENOMEM;
  int r = x->rank;
  *q = (kk_trilu_params){.batch = kn_dims_numel(r - 2, x->dims), .rows = x->dims[r - 2], .cols = x->dims[r - 1],
                         .es = (int64_t)es, .k = kc ? kn_tensor_get_i64(kc, 0) : 0,
                         .upper = ir_attr_i(n, "upper") != 0, .k_dt = kt && !kc ? kt->dtype : 0};
  return KN_OK;
}

kn_status kc_plan_OneHot(kn_ctx *kn, const ir_graph *g, const ir_node *n, kc_plan *p) {
  const ir_type *ix = kc_in(g, n, 0), *dt = kc_in(g, n, 1), *vals = kc_in(g, n, 2), *y = kc_out(g, n, 0);
  size_t es = vals ? kn_dtype_size(vals->dtype) : 0;
  if (!ix || !dt || !vals || !y || es == 0 || !kc_native(ix->dtype) || ix->dtype == KN_BOOL ||
      !kc_native(dt->dtype) || dt->dtype == KN_BOOL)
    return kc_decline(kn, n, "OneHot needs numeric indices and depth (not f16)");
  int rank = ix->rank + 1;
  int64_t axis = ir_op_axis(n);
  if (y->rank != rank || axis < -rank || axis >= rank || kn_dims_numel(vals->rank, vals->dims) != 2)
    return kc_decline(kn, n, "axis or values do not fit the output");
  int a = (int)(axis < 0 ? axis + rank : axis);
  const kn_tensor *dc = kc_const(g, n, 1);
  int64_t depth = dc && kn_tensor_numel(dc) == 1 ? kn_tensor_get_i64(dc, 0) : y->dims[a];
  if (depth <= 0 || y->dims[a] != depth) return kc_decline(kn, n, "depth does not match the output");
  kk_one_hot_params *q = kc_params(kn, p, "kk_call_one_hot", sizeof *q);
  if (!q) return KN_ENOMEM;
  *q = (kk_one_hot_params){.idx_dt = ix->dtype, .depth_dt = dc ? 0 : dt->dtype,
                           .outer = kn_dims_numel(a, ix->dims), .inner = kn_dims_numel(ix->rank - a, ix->dims + a),
                           .depth = depth, .n = kn_dims_numel(ix->rank, ix->dims), .es = (int64_t)es};
  p->scratch_bytes = q->n * (int64_t)sizeof(int64_t);
  return KN_OK;
}
