/* plan_reductions.c: the kernel-call plan (kcall.h) of Reduce* for what the
 * generated code declines: f16/bf16 data (widened to f32, as the reference
 * adapter does) and axes that are a run-time input. The output's static
 * shape then says which axes are reduced: the plan takes the one set that
 * fits it (axes of size 1 aside, which change no value), declines when
 * several differ, and the thunk checks the run-time axes against it. */
#include "plan_cvt.h"
#include "k_reduce.h"
#include <string.h>

/* Whether reducing mask over x gives y's shape. */
static bool fits(const ir_type *x, const bool *mask, bool keep, const ir_type *y) {
  int r = 0;
  for (int d = 0; d < x->rank; d++) {
    if (mask[d] && !keep) continue;
    if (r >= y->rank || y->dims[r++] != (mask[d] ? 1 : x->dims[d])) return false;
  }
  return r == y->rank;
}

/* The reduced axes for run-time axes values, from the shapes alone. */
static bool mask_from_shapes(const ir_type *x, bool keep, const ir_type *y, bool *mask) {
  bool found = false, m[KN_MAX_RANK];
  for (unsigned bits = 1; bits < (1u << x->rank); bits++) {
    for (int d = 0; d < x->rank; d++) m[d] = (bits >> d) & 1;
    if (!fits(x, m, keep, y)) continue;
    for (int d = 0; found && d < x->rank; d++)
      if (x->dims[d] != 1 && m[d] != mask[d]) return false; /* ambiguous */
    if (!found) memcpy(mask, m, sizeof m);
    found = true;
  }
  return found;
}

kn_status kc_plan_reduce(kn_ctx *kn, const ir_graph *g, const ir_node *n, kc_plan *p) {
  const ir_type *x = kc_in(g, n, 0), *y = kc_out(g, n, 0), *at = kc_in(g, n, 1);
  const kn_tensor *ac = kc_const(g, n, 1);
  const int kind = ir_reduce_kernel_code(n->op), ct = x ? kc_widen(x->dtype) : 0;
  if (kind < 0 || !kc_concrete(x) || !kc_concrete(y) || y->dtype != x->dtype || !kc_native(ct) || ct == KN_BOOL)
    return kc_decline(kn, n, "the input must be numeric and the output of its dtype, both static");
  if (at && (!kc_concrete(at) || !kn_dtype_is_int(at->dtype))) return kc_decline(kn, n, "axes must be static integers");
  const int rank = x->rank;
  const int64_t naxes = at ? ir_type_numel(at) : 0;
  const bool keep = ir_attr_i(n, "keepdims") != 0;
  bool mask[KN_MAX_RANK] = {false};
  if (naxes > rank || rank > KN_MAX_RANK) return kc_decline(kn, n, "more axes than dims");
  kk_reduce_params *q = kc_params(kn, p, "kk_call_reduce", sizeof *q);
  if (!q) return KN_ENOMEM;
  q->kind = kind, q->ct = ct, q->rank = rank, q->naxes = naxes;
  if (naxes == 0) {
    if (ir_attr_i(n, "noop_with_empty_axes")) { /* a copy */
      if (ir_type_numel(y) != ir_type_numel(x)) return kc_decline(kn, n, "the copy's output differs from the input");
      q->copy = 1;
      q->nbytes = ir_type_numel(x) * (int64_t)kn_dtype_size(x->dtype);
      return KN_OK;
    }
    for (int d = 0; d < rank; d++) mask[d] = true;
  } else if (ac) {
    for (int64_t k = 0; k < naxes; k++) {
      int64_t a = kn_tensor_get_i64(ac, k);
      if (a < -rank || a >= rank || mask[a < 0 ? a + rank : a]) return kc_decline(kn, n, "bad axes");
      mask[a < 0 ? a + rank : a] = true;
    }
  } else {
    if (!mask_from_shapes(x, keep, y, mask)) return kc_decline(kn, n, "the output shape does not tell the axes");
    q->axes_dt = at->dtype;
  }
  if (!fits(x, mask, keep, y)) return kc_decline(kn, n, "the output shape does not fit the axes");
  for (int d = 0; d < rank; d++) q->dims[d] = x->dims[d], q->mask[d] = mask[d];
  ir_reduce_plan rp;
  ir_reduce_plan_make(rank, x->dims, mask, &rp);
  if (ir_type_numel(y) == 0) return KN_OK; /* outer * inner == 0: nothing to do */
  q->outer = rp.outer, q->red = rp.red, q->inner = rp.inner, q->np = rp.np;
  memcpy(q->pdim, rp.pdim, sizeof q->pdim);
  memcpy(q->pstride, rp.pstride, sizeof q->pstride);
  q->x = kc_cvt(p, x->dtype, ct, ir_type_numel(x));
  q->y = kc_cvt(p, y->dtype, ct, ir_type_numel(y));
  if (rp.np) q->gather_off = kc_scratch(p, rp.outer * rp.red * (int64_t)kn_dtype_size(ct));
  return KN_OK;
}
