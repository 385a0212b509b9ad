/* test_kernels_reduce.c: hand-checked cases of the REDUCE family kernels,
 * called directly (no graph), so a kernel bug shows up here before it shows
 * up as a conformance failure several layers away. Both loop shapes of the
 * reduction body are exercised (inner == 1 with more rows than lanes, and
 * inner > 1), plus the identities of empty reductions. Expected values are
 * worked out by hand in the comments; float checks use an explicit tolerance. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>

#include "k_reduce.h"
#include "unit.h"

#define TOL 1e-6

static void check_f32(const float *got, const float *want, int n) {
  for (int i = 0; i < n; i++) {
    if (isnan(want[i])) assert_true(isnan(got[i]));
    else if (isinf(want[i])) assert_true(got[i] == want[i]);
    else assert_true(fabs((double)got[i] - want[i]) <= TOL * (1.0 + fabs(want[i])));
  }
}

/* x = [2, 3, 2] = 1..12, i.e. x[o][r][i] = 6o + 2r + i + 1. Reducing r
 * (outer 2, red 3, inner 2): sums are 1+3+5=9, 2+4+6=12, 7+9+11=27, 8+10+12=30. */
static void reduce_middle_axis(void **state) {
  (void)state;
  float x[12], y[4];
  for (int i = 0; i < 12; i++) x[i] = (float)(i + 1);
  kk_reduce_f32(KK_REDUCE_SUM, x, y, 2, 3, 2);
  check_f32(y, (const float[]){9, 12, 27, 30}, 4);
  /* mean = sum / 3 */
  kk_reduce_f32(KK_REDUCE_MEAN, x, y, 2, 3, 2);
  check_f32(y, (const float[]){3, 4, 9, 10}, 4);
  /* max is the last row, min the first */
  kk_reduce_f32(KK_REDUCE_MAX, x, y, 2, 3, 2);
  check_f32(y, (const float[]){5, 6, 11, 12}, 4);
  kk_reduce_f32(KK_REDUCE_MIN, x, y, 2, 3, 2);
  check_f32(y, (const float[]){1, 2, 7, 8}, 4);
  /* prod 1*3*5 = 15, 2*4*6 = 48 */
  kk_reduce_f32(KK_REDUCE_PROD, x, y, 1, 3, 2);
  check_f32(y, (const float[]){15, 48}, 2);
  /* sum of squares 1+9+25 = 35, L2 = sqrt(35) = 5.9160798 */
  kk_reduce_f32(KK_REDUCE_SUMSQUARE, x, y, 1, 3, 2);
  check_f32(y, (const float[]){35, 4 + 16 + 36}, 2);
  kk_reduce_f32(KK_REDUCE_L2, x, y, 1, 3, 2);
  check_f32(y, (const float[]){5.9160798f, 7.4833148f}, 2);
}

/* A contiguous row of 19 elements (more than the 8 lanes plus a tail):
 * x[r] = r - 9 for r = 0..18, so sum = 0, L1 = 2*(1+..+9) = 90,
 * max = 9, min = -9, mean = 0. */
static void reduce_last_axis(void **state) {
  (void)state;
  float x[19], y[1];
  for (int r = 0; r < 19; r++) x[r] = (float)(r - 9);
  kk_reduce_f32(KK_REDUCE_SUM, x, y, 1, 19, 1);
  check_f32(y, (const float[]){0}, 1);
  kk_reduce_f32(KK_REDUCE_L1, x, y, 1, 19, 1);
  check_f32(y, (const float[]){90}, 1);
  kk_reduce_f32(KK_REDUCE_MAX, x, y, 1, 19, 1);
  check_f32(y, (const float[]){9}, 1);
  kk_reduce_f32(KK_REDUCE_MIN, x, y, 1, 19, 1);
  check_f32(y, (const float[]){-9}, 1);
  /* NaN propagates through max whatever lane it lands in */
  x[13] = NAN;
  kk_reduce_f32(KK_REDUCE_MAX, x, y, 1, 19, 1);
  assert_true(isnan(y[0]));
}

/* log-sum-exp of {1000, 1000} = 1000 + ln 2 (no overflow); of {0, ln 3} = ln 4.
 * LogSum of {1, e - 1} = ln e = 1. */
static void reduce_logs(void **state) {
  (void)state;
  double x[4] = {1000, 1000, 0, log(3.0)}, y[2];
  kk_reduce_f64(KK_REDUCE_LOGSUMEXP, x, y, 2, 2, 1);
  assert_true(fabs(y[0] - (1000 + log(2.0))) < 1e-9 && fabs(y[1] - log(4.0)) < 1e-12);
  double z[2] = {1, exp(1.0) - 1};
  kk_reduce_f64(KK_REDUCE_LOGSUM, z, y, 1, 2, 1);
  assert_true(fabs(y[0] - 1) < 1e-12);
}

/* red = 0: sum 0, prod 1, max -inf, min +inf, mean NaN (0/0), logsumexp -inf. */
static void reduce_empty(void **state) {
  (void)state;
  float x[1] = {5}, y[2];
  kk_reduce_f32(KK_REDUCE_SUM, x, y, 1, 0, 2);
  check_f32(y, (const float[]){0, 0}, 2);
  kk_reduce_f32(KK_REDUCE_PROD, x, y, 2, 0, 1);
  check_f32(y, (const float[]){1, 1}, 2);
  kk_reduce_f32(KK_REDUCE_MAX, x, y, 1, 0, 1);
  check_f32(y, (const float[]){-INFINITY}, 1);
  kk_reduce_f32(KK_REDUCE_MIN, x, y, 1, 0, 1);
  check_f32(y, (const float[]){INFINITY}, 1);
  kk_reduce_f32(KK_REDUCE_MEAN, x, y, 1, 0, 1);
  check_f32(y, (const float[]){NAN}, 1);
  kk_reduce_f32(KK_REDUCE_LOGSUMEXP, x, y, 1, 0, 1);
  check_f32(y, (const float[]){-INFINITY}, 1);
}

/* Integers: int32 mean truncates toward zero like numpy's astype: (-7 + 0) / 2 = -3;
 * the sum of {INT32_MAX, 1} wraps to INT32_MIN; int8 L1 of {-128, 1} = 129 -> wraps to -127. */
static void reduce_integers(void **state) {
  (void)state;
  int32_t a[2] = {-7, 0}, y;
  kk_reduce_i32(KK_REDUCE_MEAN, a, &y, 1, 2, 1);
  assert_int_equal(y, -3);
  int32_t b[2] = {INT32_MAX, 1};
  kk_reduce_i32(KK_REDUCE_SUM, b, &y, 1, 2, 1);
  assert_int_equal(y, INT32_MIN);
  int8_t c[2] = {-128, 1}, y8;
  kk_reduce_i8(KK_REDUCE_L1, c, &y8, 1, 2, 1);
  assert_int_equal(y8, -127);
  int64_t d[3] = {4, -9, 2}, y64;
  kk_reduce_i64(KK_REDUCE_MAX, d, &y64, 1, 3, 1);
  assert_int_equal(y64, 4);
}

/* Permute [2, 3] (strides 3, 1) into its transpose [3, 2] (strides 1, 3). */
static void gather_transpose(void **state) {
  (void)state;
  const uint32_t x[6] = {0, 1, 2, 3, 4, 5};
  uint32_t y[6];
  kk_reduce_gather_b4(x, y, 2, (const int64_t[]){3, 2}, (const int64_t[]){1, 3});
  const uint32_t want[6] = {0, 3, 1, 4, 2, 5};
  for (int i = 0; i < 6; i++) assert_int_equal(y[i], want[i]);
}

/* ArgMax of {1, 3, 3, 2}: first max at 1, last at 2; ArgMin of {2, 1, 1}: 1 / 2.
 * Along axis 0 of [[1, 5], [4, 2]] (inner 2): argmax = {1, 0}. */
static void argmax_argmin(void **state) {
  (void)state;
  const float x[4] = {1, 3, 3, 2};
  int64_t y[2];
  kk_reduce_arg_f32(x, y, 1, 4, 1, 0, 0);
  assert_int_equal(y[0], 1);
  kk_reduce_arg_f32(x, y, 1, 4, 1, 0, 1);
  assert_int_equal(y[0], 2);
  const int32_t m[3] = {2, 1, 1};
  kk_reduce_arg_i32(m, y, 1, 3, 1, 1, 0);
  assert_int_equal(y[0], 1);
  kk_reduce_arg_i32(m, y, 1, 3, 1, 1, 1);
  assert_int_equal(y[0], 2);
  const float z[4] = {1, 5, 4, 2};
  kk_reduce_arg_f32(z, y, 1, 2, 2, 0, 0);
  assert_int_equal(y[0], 1);
  assert_int_equal(y[1], 0);
}

/* TopK of {3, 1, 3, 2, 5}: k=3 largest -> {5, 3, 3} at {4, 0, 2} (the tie
 * keeps the lower index first); k=2 smallest -> {1, 2} at {1, 3}. */
static void topk_stable(void **state) {
  (void)state;
  const float x[5] = {3, 1, 3, 2, 5};
  float v[3], vbuf[5];
  int64_t idx[3], ibuf[10];
  kk_reduce_topk_f32(x, v, idx, 1, 5, 1, 3, 1, vbuf, ibuf);
  check_f32(v, (const float[]){5, 3, 3}, 3);
  assert_int_equal(idx[0], 4);
  assert_int_equal(idx[1], 0);
  assert_int_equal(idx[2], 2);
  kk_reduce_topk_f32(x, v, idx, 1, 5, 1, 2, 0, vbuf, ibuf);
  check_f32(v, (const float[]){1, 2}, 2);
  assert_int_equal(idx[0], 1);
  assert_int_equal(idx[1], 3);
  /* along axis 0 of [[1, 9], [7, 9], [4, 2]] (inner 2), k = 2 largest:
   * column 0 -> {7, 4} at {1, 2}; column 1 -> {9, 9} at {0, 1}; output [2, 2] */
  const int32_t m[6] = {1, 9, 7, 9, 4, 2};
  int32_t mv[4], mbuf[3];
  int64_t mi[4];
  kk_reduce_topk_i32(m, mv, mi, 1, 3, 2, 2, 1, mbuf, ibuf);
  const int32_t want_v[4] = {7, 9, 4, 9};
  const int64_t want_i[4] = {1, 0, 2, 1};
  for (int i = 0; i < 4; i++) {
    assert_int_equal(mv[i], want_v[i]);
    assert_int_equal(mi[i], want_i[i]);
  }
}

/* CumSum of {1, 2, 3}: inclusive {1, 3, 6}, exclusive {0, 1, 3},
 * reverse {6, 5, 3}, reverse exclusive {5, 3, 0}. Along axis 0 of
 * [[1, 2], [3, 4]]: {1, 2, 4, 6}. */
static void cumsum_modes(void **state) {
  (void)state;
  const double x[3] = {1, 2, 3};
  double y[3];
  const double want[4][3] = {{1, 3, 6}, {0, 1, 3}, {6, 5, 3}, {5, 3, 0}};
  for (int m = 0; m < 4; m++) {
    kk_reduce_cumsum_f64(x, y, 1, 3, 1, m & 1, m >> 1);
    for (int i = 0; i < 3; i++) assert_true(y[i] == want[m][i]);
  }
  const int64_t a[4] = {1, 2, 3, 4};
  int64_t b[4];
  kk_reduce_cumsum_i64(a, b, 1, 2, 2, 0, 0);
  assert_int_equal(b[2], 4);
  assert_int_equal(b[3], 6);
  /* reverse exclusive along axis 0: row 1 = 0, row 0 = row 1 of x = {3, 4} */
  kk_reduce_cumsum_i64(a, b, 1, 2, 2, 1, 1);
  const int64_t want_b[4] = {3, 4, 0, 0};
  for (int i = 0; i < 4; i++) assert_int_equal(b[i], want_b[i]);
}

/* Periodic Hann of 4 points: 0.5 - 0.5 cos(2 pi n / 4) = {0, 0.5, 1, 0.5};
 * symmetric Hamming of 3: alpha - beta cos(pi n) with alpha = 25/46:
 * {alpha - beta, 1, alpha - beta} = {4/46, 1, 4/46};
 * Blackman at the centre of a symmetric 3-point window: 0.42 + 0.5 + 0.08 = 1. */
static void windows(void **state) {
  (void)state;
  float y[4];
  kk_reduce_window_f32(KK_REDUCE_WINDOW_HANN, 1, y, 4);
  check_f32(y, (const float[]){0, 0.5f, 1, 0.5f}, 4);
  kk_reduce_window_f32(KK_REDUCE_WINDOW_HAMMING, 0, y, 3);
  check_f32(y, (const float[]){4.0f / 46, 1, 4.0f / 46}, 3);
  kk_reduce_window_f32(KK_REDUCE_WINDOW_BLACKMAN, 0, y, 3);
  assert_true(fabsf(y[1] - 1) < 1e-6f && fabsf(y[0]) < 1e-6f);
}

/* Quantize with scale 2, zero point 128: x/2 = {0.5, 1.5, 2.5, -3, 300, -300}
 * rounds half to even to {0, 2, 2, -3, 300, -300}, + 128 and saturate ->
 * {128, 130, 130, 125, 255, 0}. Per-axis int8 on [2 ch][2]: scales {1, 0.5},
 * zero points {0, -1}: {1.4, -2.6} -> {1, -3}; {1, 100} -> {2-1, 200-1 -> 127}.
 * Dequantize inverts: (130 - 128) * 2 = 4. */
static void quantize_dequantize(void **state) {
  (void)state;
  const float x[6] = {1, 3, 5, -6, 600, -600}, s = 2;
  const uint8_t zp = 128;
  uint8_t q[6];
  kk_reduce_quantize_f32_u8(x, &s, &zp, q, 1, 1, 6);
  const uint8_t want[6] = {128, 130, 130, 125, 255, 0};
  for (int i = 0; i < 6; i++) assert_int_equal(q[i], want[i]);
  const float xa[4] = {1.4f, -2.6f, 1, 100}, sa[2] = {1, 0.5f};
  const int8_t za[2] = {0, -1};
  int8_t qa[4];
  kk_reduce_quantize_f32_i8(xa, sa, za, qa, 1, 2, 2);
  const int8_t wa[4] = {1, -3, 1, 127};
  for (int i = 0; i < 4; i++) assert_int_equal(qa[i], wa[i]);
  float d[6];
  kk_reduce_dequantize_u8_f32(q, &s, &zp, d, 1, 1, 6);
  check_f32(d, (const float[]){0, 4, 4, -6, 254, -256}, 6);
}

KT_MAIN(
    cmocka_unit_test(reduce_middle_axis),
    cmocka_unit_test(reduce_last_axis),
    cmocka_unit_test(reduce_logs),
    cmocka_unit_test(reduce_empty),
    cmocka_unit_test(reduce_integers),
    cmocka_unit_test(gather_transpose),
    cmocka_unit_test(argmax_argmin),
    cmocka_unit_test(topk_stable),
    cmocka_unit_test(cumsum_modes),
    cmocka_unit_test(windows),
    cmocka_unit_test(quantize_dequantize))
