/* call_reduce.c: kernel-call thunks (k_call.h) of the reductions along one
 * axis that have no generated code: TopK and CumSum. Each dispatches on the
 * planned dtype to the typed kernel of k_reduce.h. */
#include "call_util.h"
#include "k_reduce.h"

int64_t kk_call_topk(const void *params, void *const *buf) {
  const kk_topk_params *p = params;
  if (p->k_dt && kk_get_i64(buf[1], p->k_dt, 0) != p->k) return 0;
  if (p->outer * p->inner * p->k == 0) return KK_CALL_OK;
  char *scratch = buf[4];
  int64_t *ibuf = (int64_t *)(void *)scratch;
  void *vbuf = scratch + 2 * p->n * (int64_t)sizeof(int64_t);
#define CALL_TOPK(T, S)                                                                            \
  kk_reduce_topk_##S((const T *)buf[0], (T *)buf[2], (int64_t *)buf[3], p->outer, p->n, p->inner, p->k, \
                     p->largest, (T *)vbuf, ibuf)
  KK_NUMERIC_DISPATCH(p->dt, CALL_TOPK, return 0)
#undef CALL_TOPK
  return KK_CALL_OK;
}

int64_t kk_call_cumsum(const void *params, void *const *buf) {
  const kk_cumsum_params *p = params;
  if (p->outer * p->n * p->inner == 0) return KK_CALL_OK;
#define CALL_CUMSUM(T, S)                                                                          \
  kk_reduce_cumsum_##S((const T *)buf[0], (T *)buf[2], p->outer, p->n, p->inner, p->exclusive, p->reverse)
  KK_NUMERIC_DISPATCH(p->dt, CALL_CUMSUM, return 0)
#undef CALL_CUMSUM
  return KK_CALL_OK;
}
