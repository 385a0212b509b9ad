/* k_nchwc.h: kernels of the blocked NCHWc layout (passes/layout_nchwc.c):
 * activations [N, C/b, H, W, b] (channel ch at block ch/b, lane ch%b),
 * convolution weights packed [O/b, I/b, KH, KW, b_in, b_out], depthwise
 * weights [C/b, KH, KW, b]. The direct convolution (nchwc.c) is written for
 * the JIT: one function per block width (4, 8, 16 floats: NEON, AVX2,
 * AVX-512), vectorized over the b output channels of a block with several
 * output pixels of a row in registers. Its arguments are a geometry array
 * the JIT passes as a module constant, so after inlining every size is a
 * constant. The pools run on the generic pool kernels (pool.c) through
 * kk_nchwc_pool_window. */
#ifndef KILN_K_NCHWC_H
#define KILN_K_NCHWC_H

#include "k_nn.h"

/* The geometry array of the convolution kernels (int64 each). */
enum {
  KK_NCHWC_N, KK_NCHWC_CB, KK_NCHWC_H, KK_NCHWC_W, /* input: images, channel blocks, height, width */
  KK_NCHWC_MB, KK_NCHWC_OH, KK_NCHWC_OW,          /* output: channel blocks, height, width */
  KK_NCHWC_KH, KK_NCHWC_KW, KK_NCHWC_SH, KK_NCHWC_SW, KK_NCHWC_DH, KK_NCHWC_DW, KK_NCHWC_PH, KK_NCHWC_PW,
  KK_NCHWC_BIAS, /* 1: bias[Mb*b] is given */
  KK_NCHWC_RELU, /* 1: max(0, .) after the bias */
  KK_NCHWC_GEO
};

/* Output rows [begin, end) of y, a row being (image, output block, oh) in
 * that order: y[n, ob, oh, :, :] = act(bias + sum over input blocks, taps
 * and input lanes of w * x). */
void kk_nchwc_conv4_f32(const int64_t *geo, const float *x, const float *w, const float *bias, float *y,
                        int64_t begin, int64_t end);
void kk_nchwc_conv8_f32(const int64_t *geo, const float *x, const float *w, const float *bias, float *y,
                        int64_t begin, int64_t end);
void kk_nchwc_conv16_f32(const int64_t *geo, const float *x, const float *w, const float *bias, float *y,
                         int64_t begin, int64_t end);
/* Depthwise (Mb == Cb): rows as above. */
void kk_nchwc_dwconv4_f32(const int64_t *geo, const float *x, const float *w, const float *bias, float *y,
                          int64_t begin, int64_t end);
void kk_nchwc_dwconv8_f32(const int64_t *geo, const float *x, const float *w, const float *bias, float *y,
                          int64_t begin, int64_t end);
void kk_nchwc_dwconv16_f32(const int64_t *geo, const float *x, const float *w, const float *bias, float *y,
                           int64_t begin, int64_t end);

/* Layout conversions of planes [begin, end), a plane being (image, channel
 * block): x [N, C, S] <-> y [N, ceil(C/b), S, b]; ToNCHWc zero-fills the
 * padded lanes. */
void kk_nchwc_to_blocked_f32(int64_t C, int64_t S, int64_t b, const float *x, float *y, int64_t begin, int64_t end);
void kk_nchwc_from_blocked_f32(int64_t C, int64_t S, int64_t b, const float *x, float *y, int64_t begin,
                               int64_t end);

/* The pool window over a blocked tensor seen as N*Cb planes of [H, W, b]:
 * the lanes are a third spatial dim with a window of 1, so MaxPool and
 * AveragePool of the NCHW tensor are the generic pool kernels on it. */
static inline void kk_nchwc_pool_window(kk_nn_win *w, int64_t H, int64_t W, int64_t b, int64_t OH, int64_t OW,
                                        const int64_t *k, const int64_t *stride, const int64_t *dil,
                                        const int64_t *pad, const int64_t *pad_end) {
  const int64_t in[3] = {H, W, b}, out[3] = {OH, OW, b};
  for (int i = 0; i < 3; i++) {
    w->in[i] = in[i];
    w->out[i] = out[i];
    w->k[i] = i < 2 ? k[i] : 1;
    w->stride[i] = i < 2 ? stride[i] : 1;
    w->dil[i] = i < 2 ? dil[i] : 1;
    w->pad[i] = i < 2 ? pad[i] : 0;
    w->pad_end[i] = i < 2 ? pad_end[i] : 0;
  }
}

#endif
