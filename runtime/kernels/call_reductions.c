/* call_reductions.c: the kernel-call thunk (k_call_nn.h) of Reduce* for the
 * nodes the generated code declines (f16/bf16 data, axes computed at run
 * time). As the reference adapter (runtime/ref/exec_reduce.c): an optional
 * gather that brings the reduced axes together, then the [outer, red, inner]
 * kernel, half precision widened to f32 around it. Run-time axes must reduce
 * the axes the plan derived from the static output shape: another set
 * (or an invalid one) is reported as input 1's value. */
#include "call_cvt.h"
#include "k_reduce.h"

/* Whether the run-time axes name the planned set (size-1 axes aside:
 * reducing one or not changes no value). */
static int axes_match(const kk_reduce_params *p, const void *axes) {
  uint8_t seen[KK_MAX_RANK] = {0};
  for (int64_t k = 0; k < p->naxes; k++) {
    int64_t a = kk_get_i64(axes, p->axes_dt, k);
    if (a < -p->rank || a >= p->rank) return 0;
    if (a < 0) a += p->rank;
    if (seen[a]) return 0;
    seen[a] = 1;
  }
  for (int d = 0; d < p->rank; d++)
    if (p->dims[d] != 1 && seen[d] != p->mask[d]) return 0;
  return 1;
}

int64_t kk_call_reduce(const void *params, void *const *buf) {
  const kk_reduce_params *p = params;
  void *scratch = buf[3];
  if (p->axes_dt && !axes_match(p, buf[1])) return 1;
  if (p->copy) {
    kk_copy_bytes(buf[2], buf[0], p->nbytes);
    return KK_CALL_OK;
  }
  if (p->outer * p->inner == 0) return KK_CALL_OK;
  const void *src = kk_cvt_in(&p->x, buf[0], scratch);
  void *y = kk_cvt_dst(&p->y, buf[2], scratch);
  if (p->np) {
    void *g = (char *)scratch + p->gather_off;
    switch (kk_dtype_size(p->ct)) {
    case 1: kk_reduce_gather_b1(src, g, p->np, p->pdim, p->pstride); break;
    case 2: kk_reduce_gather_b2(src, g, p->np, p->pdim, p->pstride); break;
    case 4: kk_reduce_gather_b4(src, g, p->np, p->pdim, p->pstride); break;
    default: kk_reduce_gather_b8(src, g, p->np, p->pdim, p->pstride); break;
    }
    src = g;
  }
#define CALL_REDUCE(T, S) kk_reduce_##S(p->kind, (const T *)src, (T *)y, p->outer, p->red, p->inner)
  KK_NUMERIC_DISPATCH(p->ct, CALL_REDUCE, return 0)
#undef CALL_REDUCE
  kk_cvt_out(&p->y, buf[2], scratch);
  return KK_CALL_OK;
}
