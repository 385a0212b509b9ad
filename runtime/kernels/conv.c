/* conv.c: convolution building blocks: im2col (Conv = im2col + GEMM), its
 * adjoint col2im (ConvTranspose = GEMM + col2im), a direct depthwise loop
 * and the bias epilogue. All take the 3-D normalized kk_nn_win. For every
 * kernel tap the valid output range along each dim is computed once
 * (kk_nn_valid_range), so the innermost loops are branch-free copies or
 * multiply-adds, contiguous whenever the stride is 1. */
#include "k_nn.h"

#define CONV_IMPL(sfx, T)                                                                           \
  void kk_nn_im2col_##sfx(const kk_nn_win *w, int64_t C, const T *x, T *col) {                      \
    const int64_t isz = w->in[0] * w->in[1] * w->in[2], osz = w->out[0] * w->out[1] * w->out[2];    \
    const int64_t o1n = w->out[1], o2n = w->out[2];                                                 \
    T *dst = col;                                                                                   \
    for (int64_t c = 0; c < C; c++)                                                                 \
      for (int64_t a = 0; a < w->k[0]; a++)                                                         \
        for (int64_t b = 0; b < w->k[1]; b++)                                                       \
          for (int64_t e = 0; e < w->k[2]; e++, dst += osz) {                                       \
            int64_t f0 = a * w->dil[0] - w->pad[0], f1 = b * w->dil[1] - w->pad[1];                 \
            int64_t f2 = e * w->dil[2] - w->pad[2], l0, h0, l1, h1, l2, h2;                         \
            kk_nn_valid_range(f0, w->stride[0], w->in[0], w->out[0], &l0, &h0);                     \
            kk_nn_valid_range(f1, w->stride[1], w->in[1], w->out[1], &l1, &h1);                     \
            kk_nn_valid_range(f2, w->stride[2], w->in[2], w->out[2], &l2, &h2);                     \
            for (int64_t o = 0; o < osz; o++) dst[o] = 0;                                           \
            for (int64_t o0 = l0; o0 < h0; o0++)                                                    \
              for (int64_t o1 = l1; o1 < h1; o1++) {                                                \
                const T *xr = x + c * isz +                                                         \
                              ((o0 * w->stride[0] + f0) * w->in[1] + o1 * w->stride[1] + f1) *      \
                                  w->in[2];                                                         \
                T *d = dst + (o0 * o1n + o1) * o2n;                                                 \
                const int64_t s2 = w->stride[2];                                                    \
                if (s2 == 1)                                                                        \
                  for (int64_t o2 = l2; o2 < h2; o2++) d[o2] = xr[o2 + f2];                         \
                else                                                                                \
                  for (int64_t o2 = l2; o2 < h2; o2++) d[o2] = xr[o2 * s2 + f2];                    \
              }                                                                                     \
          }                                                                                         \
  }                                                                                                 \
  void kk_nn_col2im_##sfx(const kk_nn_win *w, int64_t C, const T *col, T *y) {                      \
    const int64_t isz = w->in[0] * w->in[1] * w->in[2], osz = w->out[0] * w->out[1] * w->out[2];    \
    const int64_t o1n = w->out[1], o2n = w->out[2];                                                 \
    const T *src = col;                                                                             \
    for (int64_t c = 0; c < C; c++)                                                                 \
      for (int64_t a = 0; a < w->k[0]; a++)                                                         \
        for (int64_t b = 0; b < w->k[1]; b++)                                                       \
          for (int64_t e = 0; e < w->k[2]; e++, src += osz) {                                       \
            int64_t f0 = a * w->dil[0] - w->pad[0], f1 = b * w->dil[1] - w->pad[1];                 \
            int64_t f2 = e * w->dil[2] - w->pad[2], l0, h0, l1, h1, l2, h2;                         \
            kk_nn_valid_range(f0, w->stride[0], w->in[0], w->out[0], &l0, &h0);                     \
            kk_nn_valid_range(f1, w->stride[1], w->in[1], w->out[1], &l1, &h1);                     \
            kk_nn_valid_range(f2, w->stride[2], w->in[2], w->out[2], &l2, &h2);                     \
            for (int64_t o0 = l0; o0 < h0; o0++)                                                    \
              for (int64_t o1 = l1; o1 < h1; o1++) {                                                \
                T *yr = y + c * isz +                                                               \
                        ((o0 * w->stride[0] + f0) * w->in[1] + o1 * w->stride[1] + f1) * w->in[2];  \
                const T *s = src + (o0 * o1n + o1) * o2n;                                           \
                const int64_t s2 = w->stride[2];                                                    \
                for (int64_t o2 = l2; o2 < h2; o2++) yr[o2 * s2 + f2] += s[o2];                     \
              }                                                                                     \
          }                                                                                         \
  }                                                                                                 \
  /* Tap-outer order: each tap is one scaled accumulation of a shifted input          \
   * plane into the output plane, contiguous when the stride is 1. */                               \
  void kk_nn_conv_depthwise_##sfx(const kk_nn_win *w, int64_t C, int64_t mult, const T *x,          \
                                  const T *wt, T *y) {                                              \
    const int64_t isz = w->in[0] * w->in[1] * w->in[2], osz = w->out[0] * w->out[1] * w->out[2];    \
    const int64_t kprod = w->k[0] * w->k[1] * w->k[2], o1n = w->out[1], o2n = w->out[2];            \
    for (int64_t oc = 0; oc < C * mult; oc++) {                                                     \
      const T *xc = x + (oc / mult) * isz, *wk = wt + oc * kprod;                                   \
      T *yc = y + oc * osz;                                                                         \
      for (int64_t o = 0; o < osz; o++) yc[o] = 0;                                                  \
      for (int64_t a = 0; a < w->k[0]; a++)                                                         \
        for (int64_t b = 0; b < w->k[1]; b++)                                                       \
          for (int64_t e = 0; e < w->k[2]; e++) {                                                   \
            const T wv = wk[(a * w->k[1] + b) * w->k[2] + e];                                       \
            int64_t f0 = a * w->dil[0] - w->pad[0], f1 = b * w->dil[1] - w->pad[1];                 \
            int64_t f2 = e * w->dil[2] - w->pad[2], l0, h0, l1, h1, l2, h2;                         \
            kk_nn_valid_range(f0, w->stride[0], w->in[0], w->out[0], &l0, &h0);                     \
            kk_nn_valid_range(f1, w->stride[1], w->in[1], w->out[1], &l1, &h1);                     \
            kk_nn_valid_range(f2, w->stride[2], w->in[2], w->out[2], &l2, &h2);                     \
            for (int64_t o0 = l0; o0 < h0; o0++)                                                    \
              for (int64_t o1 = l1; o1 < h1; o1++) {                                                \
                const T *xr = xc +                                                                  \
                              ((o0 * w->stride[0] + f0) * w->in[1] + o1 * w->stride[1] + f1) *      \
                                  w->in[2];                                                         \
                T *d = yc + (o0 * o1n + o1) * o2n;                                                  \
                const int64_t s2 = w->stride[2];                                                    \
                if (s2 == 1)                                                                        \
                  for (int64_t o2 = l2; o2 < h2; o2++) d[o2] += wv * xr[o2 + f2];                   \
                else                                                                                \
                  for (int64_t o2 = l2; o2 < h2; o2++) d[o2] += wv * xr[o2 * s2 + f2];              \
              }                                                                                     \
          }                                                                                         \
    }                                                                                               \
  }                                                                                                 \
  void kk_nn_add_bias_##sfx(int64_t N, int64_t C, int64_t S, const T *bias, T *y) {                 \
    for (int64_t n = 0; n < N; n++)                                                                 \
      for (int64_t c = 0; c < C; c++) {                                                             \
        T *yc = y + (n * C + c) * S;                                                                \
        const T bv = bias[c];                                                                       \
        for (int64_t s = 0; s < S; s++) yc[s] += bv;                                                \
      }                                                                                             \
  }

CONV_IMPL(f32, float)
CONV_IMPL(f64, double)
