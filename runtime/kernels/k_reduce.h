/* k_reduce.h: the REDUCE family of kernels (Reduce*, ArgMax/ArgMin, TopK,
 * CumSum, the Hann/Hamming/Blackman windows, Quantize/DequantizeLinear).
 * Tensors are described the way the kernels walk them, not by ONNX rank: a
 * reduction is [outer, red, inner] with the reduced block of `red` elements at
 * stride `inner` (the adapter merges adjacent axes first, and permutes with
 * kk_reduce_gather_* when the reduced axes are not adjacent), so one kernel
 * serves every axes list and `inner == 1` (LayerNorm's ReduceMean over the
 * last axis) gets a contiguous, lane-split fast path.
 * The `kind` arguments are plain ints so a JIT that inlines a call with a
 * constant kind folds the dispatch away. */
#ifndef KILN_K_REDUCE_H
#define KILN_K_REDUCE_H

#include "kernels.h"

/* Reduce* kinds */
enum {
  KK_REDUCE_SUM = 0,
  KK_REDUCE_MEAN,
  KK_REDUCE_MAX,
  KK_REDUCE_MIN,
  KK_REDUCE_PROD,
  KK_REDUCE_L1,
  KK_REDUCE_L2,
  KK_REDUCE_LOGSUM,
  KK_REDUCE_LOGSUMEXP,
  KK_REDUCE_SUMSQUARE,
  KK_REDUCE_KIND_COUNT
};

/* window kinds */
enum { KK_REDUCE_WINDOW_HANN = 0, KK_REDUCE_WINDOW_HAMMING, KK_REDUCE_WINDOW_BLACKMAN };

/* Per-dtype kernels. Float dtypes accumulate in their own type with several
 * independent lanes (vectorizable, and a tree-like sum is more exact than a
 * serial one); integer sums and products wrap modulo 2^64 and are truncated
 * to T, as numpy's reductions followed by astype(T) do.
 *   reduce:  y[o, i] = kind over r of x[o, r, i]; an empty reduction (red == 0)
 *            yields the kind's identity (0, 1, -inf/+inf or lowest/highest,
 *            NaN for the float mean, -inf for the log-sums).
 *   arg:     y[o, i] = index r of the max (is_min = 0) or min of x[o, r, i];
 *            ties go to the first index, or the last with select_last; NaN
 *            counts as the extreme value. red must be > 0.
 *   topk:    the k first elements of x[o, :, i] in order (largest: descending),
 *            ties broken by lower index, NaN ranked above every number.
 *            vbuf holds n elements, ibuf 2 * n indices.
 *   cumsum:  running sum along r (exclusive: shifted by one, starting at 0;
 *            reverse: from the end). */
#define KK_REDUCE_DECLARE(T, S)                                                                    \
  void kk_reduce_##S(int kind, const T *x, T *y, int64_t outer, int64_t red, int64_t inner);       \
  void kk_reduce_arg_##S(const T *x, int64_t *y, int64_t outer, int64_t red, int64_t inner,        \
                         int is_min, int select_last);                                             \
  void kk_reduce_topk_##S(const T *x, T *values, int64_t *indices, int64_t outer, int64_t n,       \
                          int64_t inner, int64_t k, int largest, T *vbuf, int64_t *ibuf);          \
  void kk_reduce_cumsum_##S(const T *x, T *y, int64_t outer, int64_t n, int64_t inner,             \
                            int exclusive, int reverse);

KK_REDUCE_DECLARE(float, f32)
KK_REDUCE_DECLARE(double, f64)
KK_REDUCE_DECLARE(int32_t, i32)
KK_REDUCE_DECLARE(int64_t, i64)
KK_REDUCE_DECLARE(uint32_t, u32)
KK_REDUCE_DECLARE(uint64_t, u64)
KK_REDUCE_DECLARE(int8_t, i8)
KK_REDUCE_DECLARE(uint8_t, u8)
KK_REDUCE_DECLARE(int16_t, i16)
KK_REDUCE_DECLARE(uint16_t, u16)

/* Strided gather of elements of 1/2/4/8 bytes: dst is the dense row-major
 * walk over dims[0..rank), reading src at sum(idx[d] * strides[d]) (strides
 * in elements). Used to bring non-adjacent reduced axes together. */
#define KK_REDUCE_GATHER_DECLARE(T, B)                                                             \
  void kk_reduce_gather_##B(const T *src, T *dst, int rank, const int64_t *dims,                  \
                            const int64_t *strides);
KK_REDUCE_GATHER_DECLARE(uint8_t, b1)
KK_REDUCE_GATHER_DECLARE(uint16_t, b2)
KK_REDUCE_GATHER_DECLARE(uint32_t, b4)
KK_REDUCE_GATHER_DECLARE(uint64_t, b8)

/* Window of n points computed in double: periodic uses the denominator n,
 * symmetric n - 1 (a symmetric window of one point is [1]). */
void kk_reduce_window_f64(int kind, int periodic, double *y, int64_t n);
void kk_reduce_window_f32(int kind, int periodic, float *y, int64_t n);

/* Linear (de)quantization over [outer, ch, inner]: scale and zero point have
 * ch entries (ch = 1 is per-tensor); zp may be NULL (zero).
 *   quantize:   y = saturate(round_half_even(x / scale) + zp), NaN -> lowest
 *   dequantize: y = (x - zp) * scale */
#define KK_REDUCE_QUANT_DECLARE(Q, QS)                                                             \
  void kk_reduce_quantize_f32_##QS(const float *x, const float *scale, const Q *zp, Q *y,          \
                                   int64_t outer, int64_t ch, int64_t inner);                      \
  void kk_reduce_dequantize_##QS##_f32(const Q *x, const float *scale, const Q *zp, float *y,      \
                                       int64_t outer, int64_t ch, int64_t inner);
KK_REDUCE_QUANT_DECLARE(uint8_t, u8)
KK_REDUCE_QUANT_DECLARE(int8_t, i8)
KK_REDUCE_QUANT_DECLARE(uint16_t, u16)
KK_REDUCE_QUANT_DECLARE(int16_t, i16)
KK_REDUCE_QUANT_DECLARE(int32_t, i32)

#endif
