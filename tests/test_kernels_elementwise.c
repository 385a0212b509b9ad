/* test_kernels_elementwise.c: hand-checked cases of the elementwise kernels,
 * called directly (no graph), so a kernel bug shows up here before it shows
 * up as a conformance failure several layers away. Expected values are worked
 * out by hand in the comments; float checks use an explicit tolerance. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>

#include "k_elementwise.h"
#include "unit.h"

#define TOL 1e-6f

static void check_f32(const float *got, const float *want, int n) {
  for (int i = 0; i < n; i++) {
    if (isnan(want[i])) assert_true(isnan(got[i]));
    else assert_true(fabsf(got[i] - want[i]) <= TOL * (1.0f + fabsf(want[i])));
  }
}

static void test_unary_f32(void **state) {
  (void)state;
  const float x[4] = {-2.0f, 0.0f, 0.5f, 3.0f};
  float y[4];
  /* Relu: negatives to 0 */
  kk_elementwise_unary_f32(KK_EW_RELU, 4, x, y, 0, 0, 0);
  check_f32(y, (const float[]){0, 0, 0.5f, 3}, 4);
  /* Sigmoid(0) = 1/2; Sigmoid(-2) = 1/(1+e^2) = 0.11920292 */
  kk_elementwise_unary_f32(KK_EW_SIGMOID, 4, x, y, 0, 0, 0);
  assert_true(fabsf(y[1] - 0.5f) < TOL && fabsf(y[0] - 0.11920292f) < TOL);
  /* HardSwish: x*clamp(x/6+1/2, 0, 1): -2 -> -2*(1/6) = -1/3, 3 -> 3*1 = 3 */
  kk_elementwise_unary_f32(KK_EW_HARDSWISH, 4, x, y, 0, 0, 0);
  check_f32(y, (const float[]){-1.0f / 3, 0, 0.5f * (0.5f / 6 + 0.5f), 3}, 4);
  /* LeakyRelu alpha 0.1: -2 -> -0.2 */
  kk_elementwise_unary_f32(KK_EW_LEAKYRELU, 4, x, y, 0.1, 0, 0);
  check_f32(y, (const float[]){-0.2f, 0, 0.5f, 3}, 4);
  /* Shrink lambd 1 bias 0.5: -2 -> -1.5, |x|<=1 -> 0, 3 -> 2.5 */
  kk_elementwise_unary_f32(KK_EW_SHRINK, 4, x, y, 1.0, 0.5, 0);
  check_f32(y, (const float[]){-1.5f, 0, 0, 2.5f}, 4);
  /* Gelu(1) = 0.5*(1+erf(1/sqrt 2)) = 0.84134475, Gelu(-1) = -0.15865525;
   * tanh form: 0.5*(1+tanh(sqrt(2/pi)*(1+0.044715))) = 0.84119199 */
  const float g[2] = {1.0f, -1.0f};
  kk_elementwise_unary_f32(KK_EW_GELU, 2, g, y, 0, 0, 0);
  check_f32(y, (const float[]){0.84134475f, -0.15865525f}, 2);
  kk_elementwise_unary_f32(KK_EW_GELU_TANH, 1, g, y, 0, 0, 0);
  check_f32(y, (const float[]){0.84119199f}, 1);
  /* Sigmoid(-30) = e^-30/(1+e^-30) = 9.3576e-14: tiny, not cancelled to 0 */
  const float m30 = -30.0f;
  kk_elementwise_unary_f32(KK_EW_SIGMOID, 1, &m30, y, 0, 0, 0);
  assert_true(fabsf(y[0] - 9.3576230e-14f) < 1e-19f);
  /* Softplus(0) = ln 2; Softplus(100) = 100 (no overflow) */
  const float big[2] = {0.0f, 100.0f};
  kk_elementwise_unary_f32(KK_EW_SOFTPLUS, 2, big, y, 0, 0, 0);
  check_f32(y, (const float[]){0.69314718f, 100.0f}, 2);
}

static void test_round_half_even(void **state) {
  (void)state;
  /* half to even: 0.5 -> 0, 1.5 -> 2, 2.5 -> 2, -2.5 -> -2, 2.6 -> 3 */
  const double x[5] = {0.5, 1.5, 2.5, -2.5, 2.6};
  double y[5];
  kk_elementwise_unary_f64(KK_EW_ROUND, 5, x, y, 0, 0, 0);
  const double want[5] = {0, 2, 2, -2, 3};
  for (int i = 0; i < 5; i++) assert_true(y[i] == want[i]);
}

static void test_binary_broadcast(void **state) {
  (void)state;
  /* a is [2,3] = 0..5, b is [3] = {10,20,30} broadcast over rows:
   * strides a {3,1}, b {0,1} -> {10,21,32,13,24,35} */
  const float a[6] = {0, 1, 2, 3, 4, 5}, b[3] = {10, 20, 30};
  const int64_t dims[2] = {2, 3}, sa[2] = {3, 1}, sb[2] = {0, 1};
  float y[6];
  kk_elementwise_binary_f32(KK_EW_ADD, 2, dims, a, sa, b, sb, y);
  check_f32(y, (const float[]){10, 21, 32, 13, 24, 35}, 6);
  /* column vector b [2,1] = {1,-1}: strides {1,0}; PRelu slope per row:
   * row 0 slope 1 keeps, row 1 slope -1 flips negatives (none here) */
  const float x[6] = {-1, 2, -3, -4, 5, -6}, s[2] = {2, -1};
  const int64_t ss[2] = {1, 0};
  kk_elementwise_binary_f32(KK_EW_PRELU, 2, dims, x, sa, s, ss, y);
  check_f32(y, (const float[]){-2, 2, -6, 4, 5, 6}, 6);
  /* scalar fast path: Max(x, 0) through the flat kernel with stride 0 */
  const float zero = 0;
  kk_elementwise_binary_flat_f32(KK_EW_MAX, 6, x, 1, &zero, 0, y);
  check_f32(y, (const float[]){0, 2, 0, 0, 5, 0}, 6);
}

static void test_int_mod_div(void **state) {
  (void)state;
  const int32_t a[5] = {-7, 7, -7, 5, INT32_MIN}, b[5] = {3, -3, -3, 0, -1};
  int32_t y[5];
  /* Python %: sign of the divisor: -7%3=2, 7%-3=-2, -7%-3=-1, x%0 -> 0 (guarded), MIN%-1=0 */
  kk_elementwise_binary_flat_i32(KK_EW_MOD, 5, a, 1, b, 1, y);
  assert_int_equal(y[0], 2), assert_int_equal(y[1], -2), assert_int_equal(y[2], -1);
  assert_int_equal(y[3], 0), assert_int_equal(y[4], 0);
  /* C fmod: sign of the dividend: -7 fmod 3 = -1, 7 fmod -3 = 1 */
  kk_elementwise_binary_flat_i32(KK_EW_FMOD, 5, a, 1, b, 1, y);
  assert_int_equal(y[0], -1), assert_int_equal(y[1], 1), assert_int_equal(y[2], -1);
  /* truncating division: -7/3 = -2, 7/-3 = -2, -7/-3 = 2, 5/0 -> 0, MIN/-1 wraps to MIN */
  kk_elementwise_binary_flat_i32(KK_EW_DIV, 5, a, 1, b, 1, y);
  assert_int_equal(y[0], -2), assert_int_equal(y[1], -2), assert_int_equal(y[2], 2);
  assert_int_equal(y[3], 0), assert_int_equal(y[4], INT32_MIN);
  /* float Python mod: -7 mod 3 = 2.0; fmod(-7, 3) = -1.0 */
  const float fa = -7, fb = 3;
  float fy;
  kk_elementwise_binary_flat_f32(KK_EW_MOD, 1, &fa, 0, &fb, 0, &fy);
  assert_true(fy == 2.0f);
  kk_elementwise_binary_flat_f32(KK_EW_FMOD, 1, &fa, 0, &fb, 0, &fy);
  assert_true(fy == -1.0f);
}

static void test_int_pow_shift(void **state) {
  (void)state;
  /* 2^10 = 1024, (-2)^3 = -8, 2^-1 truncates to 0, (-1)^-3 = -1 */
  const int64_t a[4] = {2, -2, 2, -1}, b[4] = {10, 3, -1, -3};
  int64_t y[4];
  kk_elementwise_binary_flat_i64(KK_EW_POW, 4, a, 1, b, 1, y);
  assert_int_equal(y[0], 1024), assert_int_equal(y[1], -8), assert_int_equal(y[2], 0);
  assert_int_equal(y[3], -1);
  /* u8 shifts: 1<<7 = 128, 1<<8 overflows the width -> 0, 0xF0>>4 = 0x0F */
  const uint8_t u[3] = {1, 1, 0xF0}, s[3] = {7, 8, 4};
  uint8_t r[3];
  kk_elementwise_binary_flat_u8(KK_EW_SHL, 2, u, 1, s, 1, r);
  assert_int_equal(r[0], 128), assert_int_equal(r[1], 0);
  kk_elementwise_binary_flat_u8(KK_EW_SHR, 1, u + 2, 1, s + 2, 1, r);
  assert_int_equal(r[0], 0x0F);
  /* u8 add wraps: 200 + 100 = 300 - 256 = 44 */
  const uint8_t p = 200, q = 100;
  kk_elementwise_binary_flat_u8(KK_EW_ADD, 1, &p, 0, &q, 0, r);
  assert_int_equal(r[0], 44);
}

static void test_pred_where(void **state) {
  (void)state;
  /* Less over [2,2] vs scalar 2: {1,3,2,0} < 2 -> {1,0,0,1} */
  const int64_t a[4] = {1, 3, 2, 0}, two = 2;
  const int64_t dims[1] = {4}, s1[1] = {1}, s0[1] = {0};
  uint8_t m[4];
  kk_elementwise_pred_i64(KK_EW_LT, 1, dims, a, s1, &two, s0, m);
  assert_int_equal(m[0], 1), assert_int_equal(m[1], 0), assert_int_equal(m[2], 0), assert_int_equal(m[3], 1);
  /* Where(m, a, -1) -> {1,-1,-1,0} */
  const uint64_t neg1 = (uint64_t)-1;
  uint64_t w[4];
  kk_elementwise_where_64(1, dims, m, s1, (const uint64_t *)a, s1, &neg1, s0, w);
  assert_int_equal((int64_t)w[0], 1), assert_int_equal((int64_t)w[1], -1), assert_int_equal((int64_t)w[3], 0);
  /* Xor on bools */
  const uint8_t p[2] = {1, 1}, q[2] = {0, 1};
  const int64_t d2[1] = {2};
  kk_elementwise_pred_u8(KK_EW_XOR, 1, d2, p, s1, q, s1, m);
  assert_int_equal(m[0], 1), assert_int_equal(m[1], 0);
}

static void test_cast(void **state) {
  (void)state;
  /* f32 -> f16: 1 = 0x3c00, 65504 = 0x7bff (max), 65520 rounds to inf 0x7c00,
   * 2^-24 = 0x0001 (smallest subnormal), 1e-8 underflows to 0, -2 = 0xc000 */
  const float x[6] = {1.0f, 65504.0f, 65520.0f, 5.9604644775390625e-8f, 1e-8f, -2.0f};
  uint16_t h[6];
  assert_int_equal(kk_elementwise_cast(6, x, 1, h, 10), 0);
  const uint16_t want[6] = {0x3c00, 0x7bff, 0x7c00, 0x0001, 0x0000, 0xc000};
  for (int i = 0; i < 6; i++) assert_int_equal(h[i], want[i]);
  float back[6];
  kk_elementwise_f16_to_f32(6, h, back);
  assert_true(back[0] == 1.0f && back[3] == 5.9604644775390625e-8f && isinf(back[2]));
  /* f32 -> bf16: 1 = 0x3f80; 1 + 2^-8 is a tie between 0x3f80 and 0x3f81 -> even 0x3f80 */
  const float bx[2] = {1.0f, 1.00390625f};
  uint16_t b[2];
  kk_elementwise_cast(2, bx, 1, b, 16);
  assert_int_equal(b[0], 0x3f80), assert_int_equal(b[1], 0x3f80);
  /* f64 -> i32 truncates toward zero; NaN -> 0; i32 -> u8 wraps: 300 -> 44 */
  const double d[3] = {-2.7, 2.7, NAN};
  int32_t i[3];
  kk_elementwise_cast(3, d, 11, i, 6);
  assert_int_equal(i[0], -2), assert_int_equal(i[1], 2), assert_int_equal(i[2], 0);
  const int32_t v = 300;
  uint8_t u;
  kk_elementwise_cast(1, &v, 6, &u, 2);
  assert_int_equal(u, 44);
  /* string is not a numeric dtype */
  assert_int_equal(kk_elementwise_cast(1, &v, 8, &u, 2), -1);
}

static void test_clip_classify(void **state) {
  (void)state;
  const float x[4] = {-5, 0.5f, 5, INFINITY};
  float y[4];
  kk_elementwise_clip_f32(4, x, y, -1, 1);
  check_f32(y, (const float[]){-1, 0.5f, 1, 1}, 4);
  /* min > max: every value becomes max (ONNX Clip) */
  kk_elementwise_clip_f32(4, x, y, 2, 1);
  check_f32(y, (const float[]){1, 1, 1, 1}, 4);
  uint8_t m[4];
  /* IsInf with only detect_negative: +inf is not reported */
  kk_elementwise_classify_f32(KK_EW_ISINF, 4, x, m, 0, 1);
  assert_int_equal(m[3], 0);
  kk_elementwise_classify_f32(KK_EW_ISINF, 4, x, m, 1, 1);
  assert_int_equal(m[3], 1), assert_int_equal(m[0], 0);
}

KT_MAIN(
    cmocka_unit_test(test_unary_f32),
    cmocka_unit_test(test_round_half_even),
    cmocka_unit_test(test_binary_broadcast),
    cmocka_unit_test(test_int_mod_div),
    cmocka_unit_test(test_int_pow_shift),
    cmocka_unit_test(test_pred_where),
    cmocka_unit_test(test_cast),
    cmocka_unit_test(test_clip_classify))
