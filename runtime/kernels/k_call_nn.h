/* k_call_nn.h: kernel-call thunks (the ABI of k_call.h) of the NN,
 * normalization, quantization, reduction and elementwise ops that generated
 * code leaves to the kernel library: ConvTranspose, LRN,
 * MeanVarianceNormalization, Quantize/DequantizeLinear, RoiAlign, and the
 * nodes the generated code of the binary broadcasting family, Reduce*, Gemm,
 * BatchNormalization and Dropout declines (f16 data, mixed dtypes, axes or a
 * training flag known only at run time, training mode).
 * Where the reference adapter computes in another dtype than the tensors'
 * (f16/bf16 widened to f32, f32 statistics next to f64 data, Pow's common
 * type), a kk_cvt says so: the thunk converts the operand through scratch
 * with the kernel library's cast, which rounds as the adapters do. */
#ifndef KILN_K_CALL_NN_H
#define KILN_K_CALL_NN_H

#include "k_call.h"
#include "k_nn.h"

/* One operand between its dtype `dt` and the compute dtype `ct`: dt == ct
 * (or 0, absent) uses the buffer in place; otherwise the converted copy of n
 * elements lives at byte `off` of the scratch. */
typedef struct kk_cvt {
  int32_t dt, ct;
  int64_t n, off;
} kk_cvt;

/* ---- binary broadcasting arithmetic (Add ... Max, Sum, Mean, Pow, Mod,
 * PRelu, BitShift): y = in0 op in1 op ... folded left in the compute dtype ---- */
typedef struct kk_bcast_pair { /* the loop plan of one step: a (in0, then y) with b (in_i) */
  int32_t rank, pad_;
  int64_t dims[KK_MAX_RANK], sa[KK_MAX_RANK], sb[KK_MAX_RANK];
} kk_bcast_pair;
typedef struct kk_binary_operand {
  kk_cvt cv;          /* the input to the compute dtype */
  kk_bcast_pair pair; /* for inputs 1.. : the step that folds it in */
} kk_binary_operand;
typedef struct kk_binary_params { /* buf: nin inputs, y, scratch */
  int32_t op, ct, nin, mean;      /* op: k_elementwise.h's code; mean: divide by nin */
  int64_t count, copy_bytes;      /* output elements; nin == 1: the bytes to copy */
  kk_cvt y_mid, y_out;            /* result: ct -> mid (Pow's cast back), mid -> y (f16) */
  kk_binary_operand in[];         /* nin of them */
} kk_binary_params;
int64_t kk_call_binary(const void *params, void *const *buf);

/* ---- Dropout (inference, or training with ratio 0): y = x, mask = 1 ---- */
typedef struct kk_dropout_params { /* buf: x, ratio, training_mode, y, mask, scratch */
  int32_t ratio_dt, train_dt, mask, pad_; /* dtypes of the run-time inputs (0: absent) */
  int64_t nbytes, mask_n;
} kk_dropout_params;
int64_t kk_call_dropout(const void *params, void *const *buf);

/* ---- Reduce*: [outer, red, inner] after an optional gather (ir/reduce_plan.c) ---- */
typedef struct kk_reduce_params { /* buf: x, axes, y, scratch */
  int32_t kind, ct, copy, rank;   /* copy: noop_with_empty_axes with no axes */
  int32_t axes_dt, np;            /* axes_dt: check the run-time axes against mask */
  int64_t naxes, nbytes, outer, red, inner, gather_off;
  int64_t dims[KK_MAX_RANK], pdim[KK_MAX_RANK], pstride[KK_MAX_RANK];
  uint8_t mask[KK_MAX_RANK];      /* the planned reduced axes */
  kk_cvt x, y;
} kk_reduce_params;
int64_t kk_call_reduce(const void *params, void *const *buf);

/* ---- Gemm: Y = alpha * A' B' + beta * C ---- */
typedef struct kk_gemm_params { /* buf: A, B, C, Y, scratch */
  int32_t ct, ta, tb, fill_c;     /* fill_c: C given and beta != 0 */
  double alpha, beta;             /* float compute dtypes */
  int64_t ialpha, ibeta;          /* integer compute dtypes (truncated, as the adapter's casts) */
  int64_t M, N, K, crs, ccs, bt_off; /* C's broadcast strides over [M, N]; B^T's scratch */
  kk_cvt a, b, c, y;
} kk_gemm_params;
int64_t kk_call_gemm(const void *params, void *const *buf);

/* ---- ConvTranspose: per (image, group) GEMM into col, then col2im ---- */
typedef struct kk_conv_transpose_params { /* buf: X, W, B, Y, scratch */
  int32_t ct, has_bias;
  kk_nn_win w;                    /* in: the output image, out: the input grid */
  int64_t N, C, M, group, kprod, isz, osz, col_off;
  kk_cvt x, wt, b, y;
} kk_conv_transpose_params;
int64_t kk_call_conv_transpose(const void *params, void *const *buf);

/* ---- normalizations over (batch, channels, spatial) ---- */
typedef struct kk_batchnorm_params { /* buf: X, scale, B, mean, var, Y, running_mean, running_var, scratch */
  int32_t ct, training;
  float eps, momentum;
  int64_t n, ch, sp, stats_off;
  kk_cvt in[5], out[3];           /* out[k].dt == 0: output k absent */
} kk_batchnorm_params;
int64_t kk_call_batchnorm(const void *params, void *const *buf);

typedef struct kk_lrn_params { /* buf: X, Y, scratch */
  int32_t ct;
  float alpha, beta, bias;
  int64_t n, ch, sp, size;
  kk_cvt x, y;
} kk_lrn_params;
int64_t kk_call_lrn(const void *params, void *const *buf);

typedef struct kk_mvn_params { /* buf: X, Y, scratch (2 * kept doubles at stats_off) */
  int32_t ct, rank;
  uint8_t reduce[KK_MAX_RANK];
  int64_t dims[KK_MAX_RANK];
  int64_t numel, stats_off;
  kk_cvt x, y;
} kk_mvn_params;
int64_t kk_call_mvn(const void *params, void *const *buf);

/* ---- linear (de)quantization over [outer, ch, inner], computed in f32 ---- */
typedef struct kk_quant_params { /* buf: x, scale, zero_point, y, scratch */
  int32_t qdt, has_zp;            /* the quantized dtype (y's, or x's for dequantize) */
  int64_t outer, ch, inner;
  kk_cvt x, s, y;                 /* quantize: x and s to f32; dequantize: s to f32, y from f32 */
} kk_quant_params;
int64_t kk_call_quantize(const void *params, void *const *buf);
int64_t kk_call_dequantize(const void *params, void *const *buf);

/* ---- RoiAlign (f32) ---- */
typedef struct kk_roi_align_params { /* buf: X, rois, batch_indices, Y, scratch */
  int64_t N, C, H, W, nrois, out_h, out_w, ratio;
  float scale;
  int32_t half_pixel, mode_max, pad_;
} kk_roi_align_params;
int64_t kk_call_roi_align(const void *params, void *const *buf);

#endif
