/* call_cumsum.c: kernel-call thunk (k_call_index.h) of CumSum whose axis is
 * a run-time input: the axis value picks the [outer, n, inner] view of x's
 * planned dims here, then kk_call_cumsum (call_reduce.c) runs as if the
 * axis had been constant. An axis outside [-rank, rank) is position 0 of
 * the axis input. */
#include "call_util.h"
#include "k_call_index.h"

int64_t kk_call_cumsum_axis(const void *params, void *const *buf) {
  const kk_cumsum_axis_params *p = params;
  int64_t axis = kk_get_i64(buf[1], p->axis_dt, 0);
  if (p->rank < 1 || p->rank > KK_MAX_RANK || axis < -p->rank || axis >= p->rank) return 0;
  int a = (int)(axis < 0 ? axis + p->rank : axis);
  kk_cumsum_params q = {.dt = p->dt, .exclusive = p->exclusive, .reverse = p->reverse, .outer = 1, .n = p->dims[a],
                        .inner = 1};
  for (int i = 0; i < a; i++) q.outer *= p->dims[i];
  for (int i = a + 1; i < p->rank; i++) q.inner *= p->dims[i];
  return kk_call_cumsum(&q, buf);
}
