/* exec_nchwc.c: reference adapters of the blocked NCHWc ops
 * (passes/layout_nchwc.c). They are the oracle the JIT's direct convolution
 * is checked against, so they are the plainest loops over the layouts'
 * definitions (ir/ops.def): no tiling, no vectors. The pools reuse the
 * generic pool kernels with the lanes as a third spatial dim (k_nchwc.h). */
#include "k_nchwc.h"
#include "ref.h"
#include <string.h>

static int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

kn_status ref_exec_ToNCHWc(ref_ctx *c) {
  const kn_tensor *x = c->in[0];
  kn_tensor *y = &c->out[0];
  if (x->dtype != KN_F32) return ref_unsupported_dtype(c, x->dtype);
  const int64_t N = x->dims[0], C = x->dims[1], S = x->dims[2] * x->dims[3], b = y->dims[4], Cb = ceil_div(C, b);
  const float *xs = x->data;
  float *yd = y->data;
  for (int64_t n = 0; n < N; n++)
    for (int64_t cb = 0; cb < Cb; cb++)
      for (int64_t s = 0; s < S; s++)
        for (int64_t l = 0; l < b; l++) {
          const int64_t ch = cb * b + l;
          yd[((n * Cb + cb) * S + s) * b + l] = ch < C ? xs[(n * C + ch) * S + s] : 0.0f;
        }
  return KN_OK;
}

kn_status ref_exec_FromNCHWc(ref_ctx *c) {
  const kn_tensor *x = c->in[0];
  kn_tensor *y = &c->out[0];
  const int64_t N = x->dims[0], Cb = x->dims[1], S = x->dims[2] * x->dims[3], b = x->dims[4], C = y->dims[1];
  const float *xs = x->data;
  float *yd = y->data;
  for (int64_t n = 0; n < N; n++)
    for (int64_t ch = 0; ch < C; ch++)
      for (int64_t s = 0; s < S; s++) yd[(n * C + ch) * S + s] = xs[((n * Cb + ch / b) * S + s) * b + ch % b];
  return KN_OK;
}

/* The window of a blocked Conv or pool node: strides, dilations, pads, kernel. */
typedef struct blk_win {
  int64_t k[2], stride[2], dil[2], pb[2], pe[2], out[2];
} blk_win;

static kn_status window(ref_ctx *c, const int64_t *wkernel, blk_win *w) {
  KN_TRY(ir_nn_window(c->kn, c->node, 2, c->in[0]->dims + 2, wkernel, w->stride, w->dil, w->pb, w->pe, w->out));
  const ir_attr *ks = ir_attr_get(c->node, "kernel_shape");
  for (int i = 0; i < 2; i++) w->k[i] = ks && ks->n == 2 ? ks->ints[i] : wkernel ? wkernel[i] : 1;
  return KN_OK;
}

kn_status ref_exec_ConvNCHWc(ref_ctx *c) {
  const kn_tensor *x = c->in[0], *wt = c->in[1], *bias = c->nin > 2 ? c->in[2] : NULL;
  kn_tensor *y = &c->out[0];
  const bool depthwise = ir_attr_i(c->node, "group") != 1;
  const bool relu = strcmp(ir_attr_str(c->node, "activation", ""), "Relu") == 0;
  blk_win win;
  KN_TRY(window(c, depthwise ? wt->dims + 1 : wt->dims + 2, &win));
  const int64_t N = x->dims[0], Cb = x->dims[1], H = x->dims[2], W = x->dims[3], b = x->dims[4];
  const int64_t Mb = y->dims[1], OH = y->dims[2], OW = y->dims[3], KH = win.k[0], KW = win.k[1];
  const float *xd = x->data, *wd = wt->data, *bd = bias ? bias->data : NULL;
  float *yd = y->data;
  for (int64_t n = 0; n < N; n++)
    for (int64_t ob = 0; ob < Mb; ob++)
      for (int64_t oh = 0; oh < OH; oh++)
        for (int64_t ow = 0; ow < OW; ow++)
          for (int64_t lo = 0; lo < b; lo++) {
            double acc = bd ? bd[ob * b + lo] : 0.0;
            for (int64_t kh = 0; kh < KH; kh++) {
              const int64_t ih = oh * win.stride[0] - win.pb[0] + kh * win.dil[0];
              if (ih < 0 || ih >= H) continue;
              for (int64_t kw = 0; kw < KW; kw++) {
                const int64_t iw = ow * win.stride[1] - win.pb[1] + kw * win.dil[1];
                if (iw < 0 || iw >= W) continue;
                if (depthwise) {
                  acc += (double)xd[(((n * Cb + ob) * H + ih) * W + iw) * b + lo] *
                         wd[((ob * KH + kh) * KW + kw) * b + lo];
                  continue;
                }
                for (int64_t cb = 0; cb < Cb; cb++)
                  for (int64_t li = 0; li < b; li++)
                    acc += (double)xd[(((n * Cb + cb) * H + ih) * W + iw) * b + li] *
                           wd[((((ob * Cb + cb) * KH + kh) * KW + kw) * b + li) * b + lo];
              }
            }
            float v = (float)acc;
            yd[(((n * Mb + ob) * OH + oh) * OW + ow) * b + lo] = relu && v < 0.0f ? 0.0f : v;
          }
  return KN_OK;
}

kn_status ref_exec_PoolNCHWc(ref_ctx *c) {
  const kn_tensor *x = c->in[0];
  kn_tensor *y = &c->out[0];
  const char *mode = ir_attr_str(c->node, "mode", "");
  const int64_t N = x->dims[0], Cb = x->dims[1], H = x->dims[2], W = x->dims[3], b = x->dims[4];
  blk_win win = {.k = {H, W}, .stride = {1, 1}, .dil = {1, 1}, .out = {1, 1}};
  const bool global = strcmp(mode, "global_avg") == 0;
  if (!global) KN_TRY(window(c, NULL, &win));
  kk_nn_win w;
  kk_nchwc_pool_window(&w, H, W, b, win.out[0], win.out[1], win.k, win.stride, win.dil, win.pb, win.pe);
  if (strcmp(mode, "max") == 0) kk_nn_maxpool_f32(&w, N * Cb, x->data, y->data, NULL, 0);
  else kk_nn_avgpool_f32(&w, N * Cb, !global && ir_attr_i(c->node, "count_include_pad") != 0, x->data, y->data);
  return KN_OK;
}
