/* k_norm.h: the NORM family of kernels (normalizations, softmax-like row ops,
 * the NLL / softmax-cross-entropy losses, determinant). Every kernel exists
 * in an f32 and an f64 instance, generated from one macro body in norm.c;
 * f16/bf16 callers widen to f32 first. Tensors are described the way the
 * kernels walk them, not by their ONNX rank: a normalized axis becomes
 * (outer, n, inner) with the axis of length n at stride `inner`, a channel op
 * sees (batch, channels, spatial). Statistics are accumulated in double so the
 * f32 instance is at least as exact as a float32 numpy reference. */
#ifndef KILN_K_NORM_H
#define KILN_K_NORM_H

#include "kernels.h"

/* reduction attribute of the loss ops */
enum { KK_NORM_REDUCE_NONE = 0, KK_NORM_REDUCE_SUM = 1, KK_NORM_REDUCE_MEAN = 2 };

#define KK_NORM_DECLARE(T, S)                                                                      \
  /* softmax / log-softmax / hardmax along an axis of length n at stride inner */                  \
  void kk_norm_softmax_##S(const T *x, T *y, int64_t outer, int64_t n, int64_t inner);             \
  void kk_norm_logsoftmax_##S(const T *x, T *y, int64_t outer, int64_t n, int64_t inner);          \
  void kk_norm_hardmax_##S(const T *x, T *y, int64_t outer, int64_t n, int64_t inner);             \
  /* y = x / ||x||_p along the axis; p is 1 or 2 */                                                \
  void kk_norm_lpnorm_##S(const T *x, T *y, int64_t outer, int64_t n, int64_t inner, int p);        \
  /* x is [batch, ch, spatial]; per-channel affine with given statistics (inference) */            \
  void kk_norm_batchnorm_##S(const T *x, const T *scale, const T *bias, const T *mean,             \
                             const T *var, T *y, int64_t batch, int64_t ch, int64_t spatial,       \
                             float eps);                                                           \
  /* per-channel mean and population variance over batch and spatial */                            \
  void kk_norm_channel_moments_##S(const T *x, T *mean, T *var, int64_t batch, int64_t ch,         \
                                   int64_t spatial);                                               \
  /* training mode: normalizes with the batch statistics (kept in scratch, 2*ch elements) and,     \
   * when run_mean/run_var are not NULL, blends them into the running statistics:                  \
   * run = in * momentum + batch * (1 - momentum) */                                               \
  void kk_norm_batchnorm_train_##S(const T *x, const T *scale, const T *bias, const T *in_mean,    \
                                   const T *in_var, T *y, T *run_mean, T *run_var, int64_t batch,  \
                                   int64_t ch, int64_t spatial, float eps, float momentum,         \
                                   T *scratch);                                                    \
  void kk_norm_instancenorm_##S(const T *x, const T *scale, const T *bias, T *y, int64_t batch,     \
                                int64_t ch, int64_t spatial, float eps);                           \
  /* per_channel != 0: scale/bias have ch entries, else groups entries */                          \
  void kk_norm_groupnorm_##S(const T *x, const T *scale, const T *bias, T *y, int64_t batch,        \
                             int64_t ch, int64_t spatial, int64_t groups, int per_channel,         \
                             float eps);                                                           \
  /* rows of `inner` contiguous elements; bias, mean_out, inv_std_out may be NULL */               \
  void kk_norm_layernorm_##S(const T *x, const T *scale, const T *bias, T *y, T *mean_out,          \
                             T *inv_std_out, int64_t outer, int64_t inner, float eps);             \
  void kk_norm_lrn_##S(const T *x, T *y, int64_t batch, int64_t ch, int64_t spatial, int64_t size,  \
                       float alpha, float beta, float bias);                                       \
  /* reduce[d] != 0 marks the axes the statistics run over; scratch holds                          \
   * 2 * (product of the kept dims) doubles */                                                     \
  void kk_norm_mvn_##S(const T *x, T *y, int rank, const int64_t *dims, const uint8_t *reduce,      \
                       double *scratch);                                                           \
  /* x is [n, c, d] log-probabilities, target [n, d]; weight may be NULL. out gets n*d losses       \
   * (reduction none) or one value. Returns -1, or the flat index of a target outside [0, c) */    \
  int64_t kk_norm_nll_##S(const T *x, const int64_t *target, const T *weight, T *out, int64_t n,   \
                          int64_t c, int64_t d, int has_ignore, int64_t ignore_index,              \
                          int reduction);                                                          \
  /* y[b] = det(x[b]) for batch square n x n matrices; scratch holds n*n doubles */                \
  void kk_norm_det_##S(const T *x, T *y, int64_t batch, int64_t n, double *scratch);

KK_NORM_DECLARE(float, f32)
KK_NORM_DECLARE(double, f64)

#endif
