/* call_cvt.h: what the thunks of k_call_nn.h share: moving an operand into
 * and out of its compute dtype through scratch (kk_cvt), with the kernel
 * library's cast (f16/bf16 widen exactly and narrow rounding to nearest even,
 * as the reference adapters do), byte copies and fills (the dispatch over
 * the compute dtypes is call_util.h's). */
#ifndef KILN_CALL_CVT_H
#define KILN_CALL_CVT_H

#include "call_util.h"
#include "k_call_nn.h"
#include "k_elementwise.h"

/* The operand as the compute dtype: src itself, or its converted copy. */
static inline const void *kk_cvt_in(const kk_cvt *c, const void *src, void *scratch) {
  if (!src || c->dt == c->ct) return src;
  void *d = (char *)scratch + c->off;
  kk_elementwise_cast(c->n, src, c->dt, d, c->ct);
  return d;
}

/* Where to compute an output: dst itself, or its place in scratch. */
static inline void *kk_cvt_dst(const kk_cvt *c, void *dst, void *scratch) {
  if (!dst || c->dt == c->ct) return dst;
  return (char *)scratch + c->off;
}

/* Converts an output computed at kk_cvt_dst into dst. */
static inline void kk_cvt_out(const kk_cvt *c, void *dst, const void *scratch) {
  if (dst && c->dt != c->ct) kk_elementwise_cast(c->n, (const char *)scratch + c->off, c->ct, dst, c->dt);
}

static inline void kk_copy_bytes(void *dst, const void *src, int64_t n) {
  if (dst == src) return;
  for (int64_t i = 0; i < n; i++) ((uint8_t *)dst)[i] = ((const uint8_t *)src)[i];
}

static inline void kk_fill_bytes(void *dst, uint8_t v, int64_t n) {
  for (int64_t i = 0; i < n; i++) ((uint8_t *)dst)[i] = v;
}

/* One element of any known dtype as a double (f16 too). */
static inline double kk_get_f64(const void *p, int dt) {
  double d = 0;
  kk_elementwise_cast(1, p, dt, &d, KK_F64);
  return d;
}

#endif
