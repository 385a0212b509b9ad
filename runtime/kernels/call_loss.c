/* call_loss.c: kernel-call thunks (k_call_index.h) of the losses
 * NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss, on the f32/f64
 * kernels of k_norm.h as the reference executor calls them
 * (runtime/ref/exec_norm.c): SCE is LogSoftmax over the classes into its
 * log_prob output (or scratch when the node has none), then NLL. The NLL
 * kernel reads int64 targets, so int32 ones are widened into scratch; it
 * checks each target against [0, c) and returns the first bad one's position. */
#include "call_util.h"
#include "k_call_index.h"
#include "k_norm.h"

static const int64_t *targets(const kk_loss_params *p, const void *t, char *scratch) {
  if (p->target64) return t;
  int64_t *w = (int64_t *)(void *)(scratch + p->tgt_off), nt = p->n * p->d;
  for (int64_t i = 0; i < nt; i++) w[i] = ((const int32_t *)t)[i];
  return w;
}

static int64_t nll(const kk_loss_params *p, const void *lp, const int64_t *t, const void *w, void *out) {
  int64_t bad;
  if (p->dt == KK_F64)
    bad = kk_norm_nll_f64(lp, t, w, out, p->n, p->c, p->d, p->has_ignore, p->ignore_index, p->reduction);
  else
    bad = kk_norm_nll_f32(lp, t, w, out, p->n, p->c, p->d, p->has_ignore, p->ignore_index, p->reduction);
  return bad >= 0 ? bad : KK_CALL_OK;
}

int64_t kk_call_nll_loss(const void *params, void *const *buf) {
  const kk_loss_params *p = params;
  return nll(p, buf[0], targets(p, buf[1], buf[4]), buf[2], buf[3]);
}

int64_t kk_call_sce_loss(const void *params, void *const *buf) {
  const kk_loss_params *p = params;
  char *scratch = buf[5];
  void *lp = p->lp_off >= 0 ? scratch + p->lp_off : buf[4];
  if (p->dt == KK_F64) kk_norm_logsoftmax_f64(buf[0], lp, p->n, p->c, p->d);
  else kk_norm_logsoftmax_f32(buf[0], lp, p->n, p->c, p->d);
  return nll(p, lp, targets(p, buf[1], scratch), buf[2], buf[3]);
}
