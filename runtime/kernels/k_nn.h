/* k_nn.h: kernels of the NN family (GEMM, convolution, pooling, einsum).
 * Everything that has a spatial window (Conv, ConvTranspose, the pools) is
 * described by one kk_nn_win normalized to 3 spatial dims: 1-D and 2-D ops
 * pad the leading dims with size 1 / kernel 1 / stride 1 / pad 0. That keeps
 * each kernel a fixed loop nest (no odometers, easy for the JIT to inline
 * with constant trip counts) while covering 1-D..3-D with one body.
 * Convolution is im2col + GEMM; ConvTranspose is GEMM + col2im; depthwise
 * convolution has a direct loop because its GEMM would be degenerate. */
#ifndef KILN_K_NN_H
#define KILN_K_NN_H

#include "kernels.h"

#define KK_NN_SP 3 /* spatial dims every window kernel works on */

/* One spatial window geometry. For Conv and the pools `in` is the input
 * image and `out` the output grid; for ConvTranspose (the adjoint of a
 * convolution) `in` is the *output* image and `out` the input grid, so
 * col2im uses the same geometry as the forward im2col. Output position o
 * reads image position o*stride - pad + k*dil. pad_end only matters for
 * AveragePool's count_include_pad. */
typedef struct kk_nn_win {
  int64_t in[KK_NN_SP], out[KK_NN_SP], k[KK_NN_SP];
  int64_t stride[KK_NN_SP], dil[KK_NN_SP], pad[KK_NN_SP], pad_end[KK_NN_SP];
} kk_nn_win;

/* Output positions o in [*lo, *hi) whose tap o*stride + off lands inside
 * [0, in): lets window loops run branch-free (and vectorize) over the valid
 * range instead of testing every tap. */
static inline void kk_nn_valid_range(int64_t off, int64_t stride, int64_t in, int64_t out, int64_t *lo,
                                     int64_t *hi) {
  int64_t l = off >= 0 ? 0 : (-off + stride - 1) / stride;
  int64_t h = in - off <= 0 ? 0 : (in - off + stride - 1) / stride;
  if (h > out) h = out;
  if (l > h) l = h;
  *lo = l;
  *hi = h;
}

/* ---- GEMM: C[i*ldc + j] += alpha * sum_k A[i*rsa + k*csa] * B[k*ldb + j] ----
 * A may be strided either way (transposed A costs nothing: its elements are
 * broadcast scalars); B's rows must be contiguous because they feed the
 * vectorized inner loop. C accumulates: callers zero or pre-fill it. Integer
 * versions wrap on overflow like numpy (computed in unsigned arithmetic). */
#define KK_NN_GEMM_DECL(sfx, T)                                                                     \
  void kk_nn_gemm_##sfx(int64_t M, int64_t N, int64_t K, T alpha, const T *A, int64_t rsa,          \
                        int64_t csa, const T *B, int64_t ldb, T *C, int64_t ldc);
KK_NN_GEMM_DECL(f32, float)
KK_NN_GEMM_DECL(f64, double)
KK_NN_GEMM_DECL(i32, int32_t)
KK_NN_GEMM_DECL(i64, int64_t)
KK_NN_GEMM_DECL(u32, uint32_t)
KK_NN_GEMM_DECL(u64, uint64_t)

/* dst[c*ldd + r] = src[r*lds + c] for r < rows, c < cols (cache-blocked). */
void kk_nn_transpose_f32(int64_t rows, int64_t cols, const float *src, int64_t lds, float *dst, int64_t ldd);
void kk_nn_transpose_f64(int64_t rows, int64_t cols, const double *src, int64_t lds, double *dst, int64_t ldd);
void kk_nn_transpose_i32(int64_t rows, int64_t cols, const int32_t *src, int64_t lds, int32_t *dst, int64_t ldd);
void kk_nn_transpose_i64(int64_t rows, int64_t cols, const int64_t *src, int64_t lds, int64_t *dst, int64_t ldd);

/* ---- convolution pieces ---- */
/* col[((c*k0 + a)*k1 + b)*k2 + e][o] = x[c][image position of (o, a,b,e)] or 0
 * in the padding; x is [C][in0][in1][in2], col is [C*kprod][out0*out1*out2]. */
void kk_nn_im2col_f32(const kk_nn_win *w, int64_t C, const float *x, float *col);
void kk_nn_im2col_f64(const kk_nn_win *w, int64_t C, const double *x, double *col);
/* Adjoint of im2col: y[c][pos] += col[(c,k)][o] for positions inside y. */
void kk_nn_col2im_f32(const kk_nn_win *w, int64_t C, const float *col, float *y);
void kk_nn_col2im_f64(const kk_nn_win *w, int64_t C, const double *col, double *y);
/* Depthwise (group == input channels): output channel c*mult + m reads only
 * input channel c. x [C][in], wt [C*mult][kprod], y [C*mult][out] (overwritten). */
void kk_nn_conv_depthwise_f32(const kk_nn_win *w, int64_t C, int64_t mult, const float *x, const float *wt,
                              float *y);
void kk_nn_conv_depthwise_f64(const kk_nn_win *w, int64_t C, int64_t mult, const double *x, const double *wt,
                              double *y);
/* y[n][c][s] += bias[c] for y [N][C][S]. */
void kk_nn_add_bias_f32(int64_t N, int64_t C, int64_t S, const float *bias, float *y);
void kk_nn_add_bias_f64(int64_t N, int64_t C, int64_t S, const double *bias, double *y);

/* ---- pooling over NC independent planes ---- */
/* Max over the window (padding never wins). idx (may be NULL) receives the
 * flat input index n*C*S + c*S + s of the max, s row-major over the spatial
 * dims, or column-major when col_major != 0 (MaxPool storage_order=1). */
#define KK_NN_MAXPOOL_DECL(sfx, T)                                                                  \
  void kk_nn_maxpool_##sfx(const kk_nn_win *w, int64_t NC, const T *x, T *y, int64_t *idx, int col_major);
KK_NN_MAXPOOL_DECL(f32, float)
KK_NN_MAXPOOL_DECL(f64, double)
KK_NN_MAXPOOL_DECL(i8, int8_t)
KK_NN_MAXPOOL_DECL(u8, uint8_t)
KK_NN_MAXPOOL_DECL(i32, int32_t)
KK_NN_MAXPOOL_DECL(i64, int64_t)
/* Average: divisor counts in-image taps, or (count_include_pad) every tap
 * that lies inside the explicitly padded image [-pad, in + pad_end). */
void kk_nn_avgpool_f32(const kk_nn_win *w, int64_t NC, int count_include_pad, const float *x, float *y);
void kk_nn_avgpool_f64(const kk_nn_win *w, int64_t NC, int count_include_pad, const double *x, double *y);
/* (sum |x|^p)^(1/p) over the in-image taps. */
void kk_nn_lppool_f32(const kk_nn_win *w, int64_t NC, float p, const float *x, float *y);
void kk_nn_lppool_f64(const kk_nn_win *w, int64_t NC, double p, const double *x, double *y);
/* y[i] = mean / max of x[i*S .. i*S+S). */
void kk_nn_global_avg_f32(int64_t NC, int64_t S, const float *x, float *y);
void kk_nn_global_avg_f64(int64_t NC, int64_t S, const double *x, double *y);
void kk_nn_global_max_f32(int64_t NC, int64_t S, const float *x, float *y);
void kk_nn_global_max_f64(int64_t NC, int64_t S, const double *x, double *y);

/* ---- einsum: a generic loop nest over labels ----
 * Labels 0..nout-1 are the output's (out is contiguous in that order), the
 * rest are summed. strides is [nops][nlab]: element stride of each label in
 * each operand (0 when the operand lacks or broadcasts the label; a label
 * repeated within one operand has the sum of its axes' strides, which walks
 * the diagonal). out is overwritten. */
#define KK_NN_EINSUM_MAX_OPS 16
#define KK_NN_EINSUM_MAX_LABELS 64
#define KK_NN_EINSUM_DECL(sfx, T)                                                                   \
  void kk_nn_einsum_##sfx(int nops, const T *const *ops, const int64_t *strides, int nlab, int nout,   \
                          const int64_t *dims, T *out);
KK_NN_EINSUM_DECL(f32, float)
KK_NN_EINSUM_DECL(f64, double)
KK_NN_EINSUM_DECL(i32, int32_t)
KK_NN_EINSUM_DECL(i64, int64_t)

#endif
