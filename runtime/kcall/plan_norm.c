/* plan_norm.c: kernel-call plans (kcall.h) of BatchNormalization (for the
 * nodes its generated code declines), LRN and MeanVarianceNormalization:
 * the (batch, channels, spatial) view or the reduced-axes mask, the
 * attributes, and the compute dtype of the reference adapters
 * (runtime/ref/exec_norm.c: f64 when the data is f64, else f32, every other
 * float operand converted). */
#include "plan_cvt.h"

static bool float_type(const ir_type *t) { return kc_concrete(t) && kn_dtype_is_float(t->dtype); }
static int compute_dtype(const ir_type *x) { return x->dtype == KN_F64 ? KN_F64 : KN_F32; }

/* (batch, channels, spatial) of an (N, C, D1, ...) tensor */
static void nc_view(const ir_type *x, int64_t *n, int64_t *ch, int64_t *sp) {
  *n = x->rank >= 1 ? x->dims[0] : 1;
  *ch = x->rank >= 2 ? x->dims[1] : 1;
  *sp = x->rank > 2 ? kn_dims_numel(x->rank - 2, x->dims + 2) : 1;
}

kn_status kc_plan_BatchNormalization(kn_ctx *kn, const ir_graph *g, const ir_node *n, kc_plan *p) {
  const ir_type *x = kc_in(g, n, 0), *y = kc_out(g, n, 0);
  if (!float_type(x) || x->rank < 1 || !float_type(y) || ir_type_numel(y) != ir_type_numel(x))
    return kc_decline(kn, n, "BatchNormalization needs static float data");
  int64_t b, ch, sp;
  nc_view(x, &b, &ch, &sp);
  for (int i = 1; i < 5; i++) {
    const ir_type *t = kc_in(g, n, i);
    if (!float_type(t) || ir_type_numel(t) != ch) return kc_decline(kn, n, "the statistics must be [C] floats");
  }
  for (int k = 1; k < 3; k++) {
    const ir_type *t = kc_out(g, n, k);
    if (t && (!float_type(t) || ir_type_numel(t) != ch)) return kc_decline(kn, n, "running statistics must be [C] floats");
  }
  kk_batchnorm_params *q = kc_params(kn, p, "kk_call_batchnorm", sizeof *q);
  if (!q) return KN_ENOMEM;
  const int ct = compute_dtype(x);
  *q = (kk_batchnorm_params){.ct = ct, .training = ir_attr_i(n, "training_mode") != 0,
                             .eps = ir_attr_f(n, "epsilon"), .momentum = ir_attr_f(n, "momentum"),
                             .n = b, .ch = ch, .sp = sp};
  for (int i = 0; i < 5; i++) q->in[i] = kc_cvt(p, kc_in(g, n, i)->dtype, ct, i == 0 ? ir_type_numel(x) : ch);
  for (int k = 0; k < 3; k++) {
    const ir_type *t = kc_out(g, n, k);
    q->out[k] = kc_cvt(p, t ? t->dtype : 0, ct, t ? ir_type_numel(t) : 0);
  }
  if (q->training) q->stats_off = kc_scratch(p, 2 * ch * (int64_t)kn_dtype_size(ct));
  return KN_OK;
}

kn_status kc_plan_LRN(kn_ctx *kn, const ir_graph *g, const ir_node *n, kc_plan *p) {
  const ir_type *x = kc_in(g, n, 0), *y = kc_out(g, n, 0);
  if (!float_type(x) || x->rank < 2 || !float_type(y) || ir_type_numel(y) != ir_type_numel(x))
    return kc_decline(kn, n, "LRN needs static float data of rank >= 2");
  const int64_t size = ir_attr_int(n, "size", 0);
  if (size <= 0) return kc_decline(kn, n, "size must be > 0");
  kk_lrn_params *q = kc_params(kn, p, "kk_call_lrn", sizeof *q);
  if (!q) return KN_ENOMEM;
  const int ct = compute_dtype(x);
  *q = (kk_lrn_params){.ct = ct, .alpha = ir_attr_f(n, "alpha"), .beta = ir_attr_f(n, "beta"),
                       .bias = ir_attr_f(n, "bias"), .size = size};
  nc_view(x, &q->n, &q->ch, &q->sp);
  q->x = kc_cvt(p, x->dtype, ct, ir_type_numel(x));
  q->y = kc_cvt(p, y->dtype, ct, ir_type_numel(y));
  return KN_OK;
}

kn_status kc_plan_MeanVarianceNormalization(kn_ctx *kn, const ir_graph *g, const ir_node *n, kc_plan *p) {
  const ir_type *x = kc_in(g, n, 0), *y = kc_out(g, n, 0);
  if (!float_type(x) || !float_type(y) || ir_type_numel(y) != ir_type_numel(x))
    return kc_decline(kn, n, "MeanVarianceNormalization needs static float data");
  const ir_attr *ax = ir_attr_get(n, "axes");
  static const int64_t def_axes[] = {0, 2, 3};
  if (ax && ax->kind != IR_ATTR_INTS) return kc_decline(kn, n, "axes must be a list of ints");
  const int nax = ax ? ax->n : 3;
  const int64_t *axes = ax ? ax->ints : def_axes;
  kk_mvn_params *q = kc_params(kn, p, "kk_call_mvn", sizeof *q);
  if (!q) return KN_ENOMEM;
  for (int i = 0; i < nax; i++) {
    int64_t a = axes[i] < 0 ? axes[i] + x->rank : axes[i];
    if (a < 0 || a >= x->rank) return kc_decline(kn, n, "an axis is out of range");
    q->reduce[a] = 1;
  }
  const int ct = compute_dtype(x);
  q->ct = ct, q->rank = x->rank, q->numel = ir_type_numel(x);
  int64_t kept = 1;
  for (int d = 0; d < x->rank; d++) {
    q->dims[d] = x->dims[d];
    if (!q->reduce[d]) kept *= x->dims[d];
  }
  if (q->numel == 0) return KN_OK; /* nothing to do, and kept may be huge */
  q->x = kc_cvt(p, x->dtype, ct, q->numel);
  q->y = kc_cvt(p, y->dtype, ct, q->numel);
  q->stats_off = kc_scratch(p, 2 * kept * (int64_t)sizeof(double));
  return KN_OK;
}
