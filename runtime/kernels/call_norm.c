/* call_norm.c: kernel-call thunks (k_call_nn.h) of BatchNormalization (the
 * nodes its generated code declines: training mode, mixed or half dtypes),
 * LRN and MeanVarianceNormalization, as the reference adapters run them
 * (runtime/ref/exec_norm.c): every float operand converted to the compute
 * dtype (f64 when the data is f64, else f32) and back. */
#include "call_cvt.h"
#include "k_norm.h"

int64_t kk_call_batchnorm(const void *params, void *const *buf) {
  const kk_batchnorm_params *p = params;
  void *scratch = buf[8];
  const void *in[5];
  void *out[3];
  for (int i = 0; i < 5; i++) in[i] = kk_cvt_in(&p->in[i], buf[i], scratch);
  for (int k = 0; k < 3; k++) out[k] = p->out[k].dt ? kk_cvt_dst(&p->out[k], buf[5 + k], scratch) : (void *)0;
  if (p->training) {
#define CALL_TRAIN(T, S)                                                                           \
  kk_norm_batchnorm_train_##S(in[0], in[1], in[2], in[3], in[4], out[0], out[1], out[2], p->n, p->ch, p->sp, \
                              p->eps, p->momentum, (T *)(void *)((char *)scratch + p->stats_off))
    KK_FLOAT_DISPATCH(p->ct, CALL_TRAIN, return 0)
#undef CALL_TRAIN
  } else {
#define CALL_INFER(T, S) kk_norm_batchnorm_##S(in[0], in[1], in[2], in[3], in[4], out[0], p->n, p->ch, p->sp, p->eps)
    KK_FLOAT_DISPATCH(p->ct, CALL_INFER, return 0)
#undef CALL_INFER
    /* outside training the statistics pass through unchanged */
    for (int k = 1; k < 3; k++)
      if (out[k]) kk_copy_bytes(out[k], in[k + 2], p->ch * (int64_t)kk_dtype_size(p->ct));
  }
  for (int k = 0; k < 3; k++)
    if (p->out[k].dt) kk_cvt_out(&p->out[k], buf[5 + k], scratch);
  return KK_CALL_OK;
}

int64_t kk_call_lrn(const void *params, void *const *buf) {
  const kk_lrn_params *p = params;
  void *scratch = buf[2];
  const void *x = kk_cvt_in(&p->x, buf[0], scratch);
  void *y = kk_cvt_dst(&p->y, buf[1], scratch);
#define CALL_LRN(T, S) kk_norm_lrn_##S(x, y, p->n, p->ch, p->sp, p->size, p->alpha, p->beta, p->bias)
  KK_FLOAT_DISPATCH(p->ct, CALL_LRN, return 0)
#undef CALL_LRN
  kk_cvt_out(&p->y, buf[1], scratch);
  return KK_CALL_OK;
}

int64_t kk_call_mvn(const void *params, void *const *buf) {
  const kk_mvn_params *p = params;
  void *scratch = buf[2];
  if (p->numel == 0) return KK_CALL_OK;
  const void *x = kk_cvt_in(&p->x, buf[0], scratch);
  void *y = kk_cvt_dst(&p->y, buf[1], scratch);
  double *stats = (double *)(void *)((char *)scratch + p->stats_off);
#define CALL_MVN(T, S) kk_norm_mvn_##S(x, y, p->rank, p->dims, p->reduce, stats)
  KK_FLOAT_DISPATCH(p->ct, CALL_MVN, return 0)
#undef CALL_MVN
  kk_cvt_out(&p->y, buf[1], scratch);
  return KK_CALL_OK;
}
