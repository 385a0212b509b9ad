/* call_index.c: kernel-call thunks (k_call.h) of the constructions with no
 * generated code: EyeLike, Trilu, OneHot, on the byte-generic kernels of
 * k_index.h. */
#include "call_util.h"
#include "k_index.h"

int64_t kk_call_eye(const void *params, void *const *buf) {
  const kk_eye_params *p = params;
  if (p->rows * p->cols > 0) kk_index_eye(buf[1], p->rows, p->cols, p->k, p->one, (size_t)p->es);
  return KK_CALL_OK;
}

int64_t kk_call_trilu(const void *params, void *const *buf) {
  const kk_trilu_params *p = params;
  int64_t k = p->k_dt ? kk_get_i64(buf[1], p->k_dt, 0) : p->k;
  if (p->batch * p->rows * p->cols > 0)
    kk_index_trilu(buf[0], buf[2], p->batch, p->rows, p->cols, k, p->upper, (size_t)p->es);
  return KK_CALL_OK;
}

int64_t kk_call_one_hot(const void *params, void *const *buf) {
  const kk_one_hot_params *p = params;
  if (p->depth_dt && kk_get_i64(buf[1], p->depth_dt, 0) != p->depth) return 0;
  int64_t *iv = buf[4];
  for (int64_t i = 0; i < p->n; i++) iv[i] = kk_get_i64(buf[0], p->idx_dt, i);
  const char *v = buf[2];
  if (p->outer * p->depth * p->inner > 0)
    kk_index_one_hot(iv, p->outer, p->inner, p->depth, v, v + p->es, buf[3], (size_t)p->es);
  return KK_CALL_OK;
}
