/* nchwc.c: the direct convolution over the blocked NCHWc layout and the
 * layout conversions (k_nchwc.h). The JIT inlines these with a constant
 * geometry array, so every loop bound below is a constant in the model.
 *
 * One work item is one output row (image, output block, oh). The row is cut
 * into the pixels whose whole kernel row lies inside the image (interior)
 * and the rest (border). Interior pixels go in tiles of KK_NCHWC_R pixels
 * (then tiles of 4): a tile keeps one vector accumulator of b output
 * channels per pixel in registers and, for each input block, tap and input
 * lane, loads one weight vector and does one multiply-add per pixel with the
 * input element broadcast. A short remainder is covered by one more tile
 * that ends at the last interior pixel (recomputing a few pixels with the
 * very same instructions, so results never depend on where tiles start).
 * Border pixels take the general path with per-pixel tap ranges. Every
 * pixel sums its terms in the same order on every path: bias, then input
 * blocks, kernel rows, kernel columns, input lanes.
 *
 * Written with the GCC/clang vector extension: one function family per
 * block width b (4, 8, 16 floats), each a vector of b floats. */
#include "k_nchwc.h"

#define KK_NCHWC_P 4  /* partial sums of a border pixel (divides every block width) */
#define KK_NCHWC_R 12 /* pixels per tile: 12 accumulators + weights + broadcast fit in 16 registers */
#define G(i) geo[KK_NCHWC_##i]
/* The tile's accumulators only live in registers when its pixel loops are
 * unrolled and the helpers inlined: ask clang for both rather than hope its
 * cost model agrees (the bitcode is built at -O1). */
#if defined(__clang__)
#define KK_UNROLL _Pragma("clang loop unroll(full)")
#else
#define KK_UNROLL
#endif
#define KK_INLINE static inline __attribute__((always_inline))

/* ---- the direct convolution, per block width B ---- */
#define NCHWC_TYPES(B)                                                                              \
  typedef float kk_v##B __attribute__((vector_size((B) * 4), aligned(4)));                          \
  typedef int32_t kk_m##B __attribute__((vector_size((B) * 4), aligned(4)));                        \
  KK_INLINE void store##B(const int64_t *geo, float *dst, const kk_v##B *acc) {                 \
    kk_v##B v = *acc;                                                                               \
    if (G(RELU)) {                                                                                  \
      const kk_v##B zero = {0};                                                                     \
      v = (kk_v##B)((kk_m##B)v & (kk_m##B)(v > zero));                                              \
    }                                                                                               \
    *(kk_v##B *)dst = v;                                                                            \
  }                                                                                                 \
  KK_INLINE void init##B(const float *bp, kk_v##B *acc) {                                       \
    const kk_v##B zero = {0};                                                                       \
    *acc = bp ? *(const kk_v##B *)bp : zero;                                                        \
  }

/* R interior pixels from ow0: xn is the image, wo the output block's weights. */
#define NCHWC_TILE(B, R)                                                                            \
  KK_INLINE void conv_tile##B##_##R(const int64_t *geo, const float *xn, const float *wo,       \
                                        const float *bp, float *yrow, int64_t oh, int64_t ow0,           \
                                        int64_t khlo, int64_t khhi) {                               \
    const int64_t Cb = G(CB), H = G(H), W = G(W), KH = G(KH), KW = G(KW), SW = G(SW), DW = G(DW);   \
    kk_v##B acc[R];                                                                                 \
    KK_UNROLL for (int j = 0; j < R; j++) init##B(bp, &acc[j]);                                                        \
    const int64_t iw0 = ow0 * SW - G(PW);                                                           \
    for (int64_t cb = 0; cb < Cb; cb++)                                                             \
      for (int64_t kh = khlo; kh < khhi; kh++) {                                                    \
        const float *xr = xn + ((cb * H + oh * G(SH) - G(PH) + kh * G(DH)) * W + iw0) * (B);        \
        const float *wr = wo + (cb * KH + kh) * KW * (B) * (B);                                     \
        for (int64_t kw = 0; kw < KW; kw++, wr += (B) * (B))                                        \
          for (int ci = 0; ci < (B); ci++) {                                                        \
            const kk_v##B wv = *(const kk_v##B *)(wr + ci * (B));                                   \
            const float *xp = xr + kw * DW * (B) + ci;                                              \
            KK_UNROLL for (int j = 0; j < R; j++) acc[j] += xp[j * SW * (B)] * wv;                            \
          }                                                                                         \
      }                                                                                             \
    KK_UNROLL for (int j = 0; j < R; j++) store##B(geo, yrow + (ow0 + j) * (B), &acc[j]);         \
  }                                                                                                 \
  KK_INLINE void dwconv_tile##B##_##R(const int64_t *geo, const float *xb, const float *wb,         \
                                      const float *bp, float *yrow, int64_t oh, int64_t ow0,             \
                                      int64_t khlo, int64_t khhi) {                                 \
    const int64_t W = G(W), KW = G(KW), SW = G(SW), DW = G(DW);                                     \
    kk_v##B acc[R];                                                                                 \
    KK_UNROLL for (int j = 0; j < R; j++) init##B(bp, &acc[j]);                                                        \
    const int64_t iw0 = ow0 * SW - G(PW);                                                           \
    for (int64_t kh = khlo; kh < khhi; kh++) {                                                      \
      const float *xr = xb + ((oh * G(SH) - G(PH) + kh * G(DH)) * W + iw0) * (B);                   \
      const float *wr = wb + kh * KW * (B);                                                         \
      for (int64_t kw = 0; kw < KW; kw++) {                                                         \
        const kk_v##B wv = *(const kk_v##B *)(wr + kw * (B));                                       \
        KK_UNROLL for (int j = 0; j < R; j++) acc[j] += *(const kk_v##B *)(xr + (j * SW + kw * DW) * (B)) * wv; \
      }                                                                                             \
    }                                                                                               \
    KK_UNROLL for (int j = 0; j < R; j++) store##B(geo, yrow + (ow0 + j) * (B), &acc[j]);         \
  }

/* One pixel anywhere in the row (taps outside the image skipped). */
#define NCHWC_PIXEL(B)                                                                              \
  KK_INLINE void conv_pixel##B(const int64_t *geo, const float *xn, const float *wo, const float *bp, \
                                   float *yrow, int64_t oh, int64_t ow, int64_t khlo, int64_t khhi) { \
    const int64_t Cb = G(CB), H = G(H), W = G(W), KH = G(KH), KW = G(KW), DW = G(DW);               \
    const int64_t iw0 = ow * G(SW) - G(PW);                                                         \
    int64_t kwlo, kwhi;                                                                             \
    kk_nn_valid_range(iw0, DW, W, KW, &kwlo, &kwhi);                                                \
    /* KK_NCHWC_P independent partial sums over the input lanes: one chain \
     * of multiply-adds would wait on its own latency at every step */      \
    kk_v##B acc[KK_NCHWC_P], zero = {0};                                                            \
    init##B(bp, &acc[0]);                                                                           \
    KK_UNROLL for (int p = 1; p < KK_NCHWC_P; p++) acc[p] = zero;                                   \
    for (int64_t cb = 0; cb < Cb; cb++)                                                             \
      for (int64_t kh = khlo; kh < khhi; kh++) {                                                    \
        const float *xr = xn + ((cb * H + oh * G(SH) - G(PH) + kh * G(DH)) * W + iw0) * (B);        \
        const float *wr = wo + (cb * KH + kh) * KW * (B) * (B);                                     \
        for (int64_t kw = kwlo; kw < kwhi; kw++)                                                    \
          for (int ci = 0; ci < (B); ci += KK_NCHWC_P)                                              \
            KK_UNROLL for (int p = 0; p < KK_NCHWC_P; p++)                                          \
              acc[p] += xr[kw * DW * (B) + ci + p] * *(const kk_v##B *)(wr + (kw * (B) + ci + p) * (B)); \
      }                                                                                             \
    KK_UNROLL for (int w = KK_NCHWC_P / 2; w > 0; w /= 2)                                           \
      KK_UNROLL for (int p = 0; p < w; p++) acc[p] += acc[p + w];                                   \
    store##B(geo, yrow + ow * (B), &acc[0]);                                                        \
  }                                                                                                 \
  KK_INLINE void dwconv_pixel##B(const int64_t *geo, const float *xb, const float *wb, const float *bp,  \
                                 float *yrow, int64_t oh, int64_t ow, int64_t khlo, int64_t khhi) { \
    const int64_t W = G(W), KW = G(KW), DW = G(DW);                                                 \
    const int64_t iw0 = ow * G(SW) - G(PW);                                                         \
    int64_t kwlo, kwhi;                                                                             \
    kk_nn_valid_range(iw0, DW, W, KW, &kwlo, &kwhi);                                                \
    kk_v##B acc;                                                                                    \
    init##B(bp, &acc);                                                                               \
    for (int64_t kh = khlo; kh < khhi; kh++) {                                                      \
      const float *xr = xb + ((oh * G(SH) - G(PH) + kh * G(DH)) * W + iw0) * (B);                   \
      for (int64_t kw = kwlo; kw < kwhi; kw++)                                                      \
        acc += *(const kk_v##B *)(xr + kw * DW * (B)) * *(const kk_v##B *)(wb + (kh * KW + kw) * (B)); \
    }                                                                                               \
    store##B(geo, yrow + ow * (B), &acc);                                               \
  }

/* The rows [begin, end): borders per pixel, the interior in tiles. KIND is
 * conv or dwconv; XOFS/WOFS locate the image (or input block) and the weights. */
#define NCHWC_ROWS(B, KIND, XOFS, WOFS)                                                             \
  void kk_nchwc_##KIND##B##_f32(const int64_t *geo, const float *x, const float *w, const float *bias, \
                                float *y, int64_t begin, int64_t end) {                             \
    const int64_t Cb = G(CB), H = G(H), W = G(W), Mb = G(MB), OH = G(OH), OW = G(OW);               \
    const int64_t KH = G(KH), KW = G(KW);                                                           \
    for (int64_t item = begin; item < end; item++) {                                                \
      const int64_t n = item / (Mb * OH), ob = item / OH % Mb, oh = item % OH;                      \
      const float *xs = x + (XOFS) * H * W * (B);                                                   \
      const float *ws = w + (WOFS) * KH * KW * (B);                                                 \
      float *yrow = y + item * OW * (B);                                                            \
      const float *bp = G(BIAS) ? bias + ob * (B) : NULL;                                           \
      int64_t khlo, khhi, lo, hi;                                                                   \
      kk_nn_valid_range(oh * G(SH) - G(PH), G(DH), H, KH, &khlo, &khhi);                            \
      kk_nn_valid_range(-G(PW), G(SW), W - (KW - 1) * G(DW), OW, &lo, &hi);                         \
      for (int64_t ow = 0; ow < lo; ow++) KIND##_pixel##B(geo, xs, ws, bp, yrow, oh, ow, khlo, khhi); \
      int64_t o = lo;                                                                               \
      for (; o + KK_NCHWC_R <= hi; o += KK_NCHWC_R)                                                 \
        KIND##_tile##B##_12(geo, xs, ws, bp, yrow, oh, o, khlo, khhi);                              \
      for (; o + 4 <= hi; o += 4) KIND##_tile##B##_4(geo, xs, ws, bp, yrow, oh, o, khlo, khhi);     \
      if (o < hi && hi - lo >= 4) KIND##_tile##B##_4(geo, xs, ws, bp, yrow, oh, hi - 4, khlo, khhi); \
      else                                                                                          \
        for (; o < hi; o++) KIND##_pixel##B(geo, xs, ws, bp, yrow, oh, o, khlo, khhi);              \
      for (int64_t ow = hi > lo ? hi : lo; ow < OW; ow++)                                           \
        KIND##_pixel##B(geo, xs, ws, bp, yrow, oh, ow, khlo, khhi);                                 \
    }                                                                                               \
  }

#define NCHWC_WIDTH(B)                                                                              \
  NCHWC_TYPES(B)                                                                                    \
  NCHWC_TILE(B, 12)                                                                                 \
  NCHWC_TILE(B, 4)                                                                                  \
  NCHWC_PIXEL(B)                                                                                    \
  NCHWC_ROWS(B, conv, n *Cb, ob *Cb * (B))                                                          \
  NCHWC_ROWS(B, dwconv, n *Cb + ob, ob)

NCHWC_WIDTH(4)
NCHWC_WIDTH(8)
NCHWC_WIDTH(16)

/* ---- layout conversions ---- */
void kk_nchwc_to_blocked_f32(int64_t C, int64_t S, int64_t b, const float *x, float *y, int64_t begin, int64_t end) {
  const int64_t Cb = (C + b - 1) / b;
  for (int64_t p = begin; p < end; p++) {
    const int64_t n = p / Cb, c0 = p % Cb * b, lanes = C - c0 < b ? C - c0 : b;
    const float *xs = x + (n * C + c0) * S;
    float *yd = y + p * S * b;
    for (int64_t s = 0; s < S; s++) {
      for (int64_t l = 0; l < lanes; l++) yd[s * b + l] = xs[l * S + s];
      for (int64_t l = lanes; l < b; l++) yd[s * b + l] = 0.0f;
    }
  }
}

void kk_nchwc_from_blocked_f32(int64_t C, int64_t S, int64_t b, const float *x, float *y, int64_t begin,
                               int64_t end) {
  const int64_t Cb = (C + b - 1) / b;
  for (int64_t p = begin; p < end; p++) {
    const int64_t n = p / Cb, c0 = p % Cb * b, lanes = C - c0 < b ? C - c0 : b;
    const float *xs = x + p * S * b;
    float *yd = y + (n * C + c0) * S;
    for (int64_t l = 0; l < lanes; l++)
      for (int64_t s = 0; s < S; s++) yd[l * S + s] = xs[s * b + l];
  }
}
