/* pool.c: MaxPool / AveragePool / LpPool over a 3-D normalized window, and
 * the global pools. Pools are memory-bound and small next to the GEMMs, so
 * they are a direct loop per output element; the per-dim valid tap ranges
 * (taps that fall inside the image) are computed once per output row so
 * padding never costs a branch per tap. Padding never contributes a value:
 * it is -inf for max, 0 for Lp, and counted or not for average. */
#include "k_nn.h"

/* Valid tap range [lo, hi) along one dim for output position o: taps t with
 * 0 <= o*stride - pad + t*dil < in. */
static inline void tap_range(int64_t o, int64_t stride, int64_t pad, int64_t dil, int64_t k, int64_t in,
                             int64_t *lo, int64_t *hi) {
  kk_nn_valid_range(o * stride - pad, dil, in, k, lo, hi);
}

/* Taps counted by count_include_pad: inside [-pad, in + pad_end). */
static inline int64_t tap_count_padded(int64_t o, int64_t stride, int64_t pad, int64_t pad_end, int64_t dil,
                                       int64_t k, int64_t in) {
  int64_t lo, hi;
  kk_nn_valid_range(o * stride, dil, in + pad + pad_end, k, &lo, &hi);
  return hi - lo;
}

#define POOL_LOOPS_BEGIN(w)                                                                         \
  const int64_t isz = (w)->in[0] * (w)->in[1] * (w)->in[2];                                         \
  const int64_t osz = (w)->out[0] * (w)->out[1] * (w)->out[2];                                      \
  for (int64_t nc = 0; nc < NC; nc++) {                                                             \
    int64_t o = nc * osz;                                                                           \
    for (int64_t o0 = 0; o0 < (w)->out[0]; o0++) {                                                  \
      int64_t l0, h0;                                                                               \
      tap_range(o0, (w)->stride[0], (w)->pad[0], (w)->dil[0], (w)->k[0], (w)->in[0], &l0, &h0);     \
      for (int64_t o1 = 0; o1 < (w)->out[1]; o1++) {                                                \
        int64_t l1, h1;                                                                             \
        tap_range(o1, (w)->stride[1], (w)->pad[1], (w)->dil[1], (w)->k[1], (w)->in[1], &l1, &h1);   \
        for (int64_t o2 = 0; o2 < (w)->out[2]; o2++, o++) {                                         \
          int64_t l2, h2;                                                                           \
          tap_range(o2, (w)->stride[2], (w)->pad[2], (w)->dil[2], (w)->k[2], (w)->in[2], &l2, &h2);
#define POOL_LOOPS_END                                                                              \
  }                                                                                                 \
  }                                                                                                 \
  }                                                                                                 \
  }
/* Input coordinates of tap (a, b, e) of output (o0, o1, o2). */
#define POOL_I0(w) (o0 * (w)->stride[0] - (w)->pad[0] + a * (w)->dil[0])
#define POOL_I1(w) (o1 * (w)->stride[1] - (w)->pad[1] + b * (w)->dil[1])
#define POOL_I2(w) (o2 * (w)->stride[2] - (w)->pad[2] + e * (w)->dil[2])

#define MAXPOOL_IMPL(sfx, T)                                                                        \
  void kk_nn_maxpool_##sfx(const kk_nn_win *w, int64_t NC, const T *x, T *y, int64_t *idx, int col_major) { \
    POOL_LOOPS_BEGIN(w)                                                                             \
    const T *xp = x + nc * isz;                                                                     \
    T best = 0;                                                                                     \
    int64_t bi = -1, bs = 0;                                                                        \
    for (int64_t a = l0; a < h0; a++)                                                               \
      for (int64_t b = l1; b < h1; b++)                                                             \
        for (int64_t e = l2; e < h2; e++) {                                                         \
          int64_t i0 = POOL_I0(w), i1 = POOL_I1(w), i2 = POOL_I2(w);                                \
          int64_t s = (i0 * w->in[1] + i1) * w->in[2] + i2;                                         \
          if (bi < 0 || xp[s] > best) {                                                             \
            best = xp[s];                                                                           \
            bi = s;                                                                                 \
            bs = col_major ? i0 + (i1 + i2 * w->in[1]) * w->in[0] : s;                              \
          }                                                                                         \
        }                                                                                           \
    y[o] = best;                                                                                    \
    if (idx) idx[o] = nc * isz + bs;                                                                \
    POOL_LOOPS_END                                                                                  \
  }
MAXPOOL_IMPL(f32, float)
MAXPOOL_IMPL(f64, double)
MAXPOOL_IMPL(i8, int8_t)
MAXPOOL_IMPL(u8, uint8_t)
MAXPOOL_IMPL(i32, int32_t)
MAXPOOL_IMPL(i64, int64_t)

#define AVGPOOL_IMPL(sfx, T)                                                                        \
  void kk_nn_avgpool_##sfx(const kk_nn_win *w, int64_t NC, int count_include_pad, const T *x, T *y) { \
    POOL_LOOPS_BEGIN(w)                                                                             \
    const T *xp = x + nc * isz;                                                                     \
    T sum = 0;                                                                                      \
    for (int64_t a = l0; a < h0; a++)                                                               \
      for (int64_t b = l1; b < h1; b++)                                                             \
        for (int64_t e = l2; e < h2; e++) sum += xp[(POOL_I0(w) * w->in[1] + POOL_I1(w)) * w->in[2] + POOL_I2(w)]; \
    int64_t cnt = (h0 - l0) * (h1 - l1) * (h2 - l2);                                                \
    if (count_include_pad)                                                                          \
      cnt = tap_count_padded(o0, w->stride[0], w->pad[0], w->pad_end[0], w->dil[0], w->k[0], w->in[0]) * \
            tap_count_padded(o1, w->stride[1], w->pad[1], w->pad_end[1], w->dil[1], w->k[1], w->in[1]) * \
            tap_count_padded(o2, w->stride[2], w->pad[2], w->pad_end[2], w->dil[2], w->k[2], w->in[2]);  \
    y[o] = cnt > 0 ? sum / (T)cnt : 0;                                                              \
    POOL_LOOPS_END                                                                                  \
  }
AVGPOOL_IMPL(f32, float)
AVGPOOL_IMPL(f64, double)

#define LPPOOL_IMPL(sfx, T, POW, ABS)                                                               \
  void kk_nn_lppool_##sfx(const kk_nn_win *w, int64_t NC, T p, const T *x, T *y) {                  \
    POOL_LOOPS_BEGIN(w)                                                                             \
    const T *xp = x + nc * isz;                                                                     \
    T sum = 0;                                                                                      \
    for (int64_t a = l0; a < h0; a++)                                                               \
      for (int64_t b = l1; b < h1; b++)                                                             \
        for (int64_t e = l2; e < h2; e++)                                                           \
          sum += POW(ABS(xp[(POOL_I0(w) * w->in[1] + POOL_I1(w)) * w->in[2] + POOL_I2(w)]), p);    \
    y[o] = POW(sum, (T)1 / p);                                                                      \
    POOL_LOOPS_END                                                                                  \
  }
LPPOOL_IMPL(f32, float, __builtin_powf, __builtin_fabsf)
LPPOOL_IMPL(f64, double, __builtin_pow, __builtin_fabs)

#define GLOBAL_IMPL(sfx, T)                                                                         \
  void kk_nn_global_avg_##sfx(int64_t NC, int64_t S, const T *x, T *y) {                            \
    for (int64_t i = 0; i < NC; i++) {                                                              \
      T sum = 0;                                                                                    \
      for (int64_t s = 0; s < S; s++) sum += x[i * S + s];                                          \
      y[i] = S > 0 ? sum / (T)S : 0;                                                                \
    }                                                                                               \
  }                                                                                                 \
  void kk_nn_global_max_##sfx(int64_t NC, int64_t S, const T *x, T *y) {                            \
    for (int64_t i = 0; i < NC; i++) {                                                              \
      T best = S > 0 ? x[i * S] : 0;                                                                \
      for (int64_t s = 1; s < S; s++)                                                               \
        if (x[i * S + s] > best) best = x[i * S + s];                                               \
      y[i] = best;                                                                                  \
    }                                                                                               \
  }
GLOBAL_IMPL(f32, float)
GLOBAL_IMPL(f64, double)
