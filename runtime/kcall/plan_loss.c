/* plan_loss.c: kernel-call plans (kcall.h) of NegativeLogLikelihoodLoss and
 * SoftmaxCrossEntropyLoss: the [n, c, d] view of the input and [n, d] of the
 * target, the reduction and ignore_index, and the scratch the thunk
 * (call_loss.c) needs, with the shape rules of the reference adapter
 * (runtime/ref/exec_norm.c). The thunks compute in the input's dtype, so
 * they take f32 or f64 inputs whose weight and outputs share that dtype; the
 * f16/bf16 data the reference executor widens is declined. */
#include "k_call_index.h"
#include "k_norm.h"
#include "kcall.h"
#include <string.h>

static int64_t align64(int64_t v) { return (v + 63) & ~(int64_t)63; }

/* a known type equal to b's */
static bool same_type(const ir_type *a, const ir_type *b) { return a && a->rank >= 0 && ir_type_equal(a, b); }

static kn_status loss_view(kn_ctx *kn, const ir_graph *g, const ir_node *n, kk_loss_params *l) {
  const ir_type *x = kc_in(g, n, 0), *t = kc_in(g, n, 1), *w = kc_in(g, n, 2), *y = kc_out(g, n, 0);
  if (!x || (x->dtype != KN_F32 && x->dtype != KN_F64))
    return kc_decline(kn, n, "the input must be f32 or f64 (f16/bf16 run on the reference kernel)");
  if (!t || (t->dtype != KN_I32 && t->dtype != KN_I64)) return kc_decline(kn, n, "the target must be int32 or int64");
  if (x->rank < 2 || t->rank != x->rank - 1) return kc_decline(kn, n, "the target rank does not match the input");
  for (int d = 0; d < t->rank; d++)
    if (t->dims[d] != x->dims[d == 0 ? 0 : d + 1]) return kc_decline(kn, n, "a target dim does not match the input");
  int64_t ch = x->dims[1];
  if (w && (w->dtype != x->dtype || kn_dims_numel(w->rank, w->dims) != ch))
    return kc_decline(kn, n, "the weight needs the input's dtype and one entry per class");
  const char *rs = ir_attr_s(n, "reduction");
  int red = strcmp(rs, "none") == 0  ? KK_NORM_REDUCE_NONE
            : strcmp(rs, "sum") == 0 ? KK_NORM_REDUCE_SUM
            : strcmp(rs, "mean") == 0 ? KK_NORM_REDUCE_MEAN
                                      : -1;
  if (red < 0) return kc_decline(kn, n, "unknown reduction");
  bool shaped = y && y->dtype == x->dtype;
  if (shaped && red == KK_NORM_REDUCE_NONE) /* one loss per target */
    shaped = y->rank == t->rank && !memcmp(y->dims, t->dims, sizeof(int64_t) * (size_t)t->rank);
  else if (shaped)
    shaped = kn_dims_numel(y->rank, y->dims) == 1;
  if (!shaped) return kc_decline(kn, n, "the loss output does not fit the reduction");
  const ir_attr *ii = ir_attr_get(n, "ignore_index");
  *l = (kk_loss_params){.dt = x->dtype, .target64 = t->dtype == KN_I64, .has_ignore = ii != NULL,
                        .reduction = red, .n = x->dims[0], .c = ch, .d = kn_dims_numel(x->rank - 2, x->dims + 2),
                        .ignore_index = ii ? ii->i : 0, .lp_off = -1, .tgt_off = 0};
  return KN_OK;
}

static int64_t target_bytes(const kk_loss_params *l) {
  return l->target64 ? 0 : l->n * l->d * (int64_t)sizeof(int64_t);
}

kn_status kc_plan_NegativeLogLikelihoodLoss(kn_ctx *kn, const ir_graph *g, const ir_node *n, kc_plan *p) {
  kk_loss_params l;
  KN_TRY(loss_view(kn, g, n, &l));
  kk_loss_params *q = kc_params(kn, p, "kk_call_nll_loss", sizeof *q);
  if (!q) return KN_ENOMEM;
  *q = l;
  p->scratch_bytes = target_bytes(&l);
  return KN_OK;
}

kn_status kc_plan_SoftmaxCrossEntropyLoss(kn_ctx *kn, const ir_graph *g, const ir_node *n, kc_plan *p) {
  kk_loss_params l;
  KN_TRY(loss_view(kn, g, n, &l));
  const ir_type *x = kc_in(g, n, 0), *lp = kc_out(g, n, 1);
  if (lp && !same_type(lp, x)) return kc_decline(kn, n, "log_prob does not have the input's type");
  if (!lp) { /* the log-probabilities go to scratch, the targets after them */
    l.lp_off = 0;
    l.tgt_off = align64(kn_dims_numel(x->rank, x->dims) * (int64_t)kn_dtype_size(x->dtype));
  }
  kk_loss_params *q = kc_params(kn, p, "kk_call_sce_loss", sizeof *q);
  if (!q) return KN_ENOMEM;
  *q = l;
  p->scratch_bytes = l.tgt_off + target_bytes(&l);
  return KN_OK;
}
