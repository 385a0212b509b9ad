/* test_kernels_nn.c: hand-checked cases of the NN family kernels (GEMM,
 * im2col/col2im, depthwise conv, pools, einsum) called directly, so a kernel
 * bug shows up here before it surfaces as a conformance mismatch behind a
 * graph. Expected values are worked out in the comments; the blocked GEMM is
 * also checked against a naive triple loop on sizes that hit every
 * remainder path (rows % 4, odd depth), and col2im against im2col by the
 * adjoint identity <im2col(x), c> == <x, col2im(c)>. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>

#include "k_nn.h"
#include "unit.h"

#define TOL 1e-5

static void check_f32(const float *got, const float *want, int n) {
  for (int i = 0; i < n; i++) assert_true(fabs((double)got[i] - want[i]) <= TOL * (1.0 + fabs(want[i])));
}

/* 2-D window helper: leading spatial dim of size 1. */
static kk_nn_win win2d(int64_t ih, int64_t iw, int64_t oh, int64_t ow, int64_t k, int64_t s, int64_t pad,
                       int64_t pad_end) {
  kk_nn_win w = {{1, ih, iw}, {1, oh, ow}, {1, k, k}, {1, s, s}, {1, 1, 1}, {0, pad, pad}, {0, pad_end, pad_end}};
  return w;
}

/* A = [[1,2,3],[4,5,6]], B = [[7,8],[9,10],[11,12]]:
 * AB = [[1*7+2*9+3*11, 1*8+2*10+3*12], [4*7+5*9+6*11, 4*8+5*10+6*12]] = [[58,64],[139,154]].
 * C starts at 1 and accumulates; with alpha 0.5: 1 + [[29,32],[69.5,77]]. */
static void gemm_small(void **state) {
  (void)state;
  const float A[6] = {1, 2, 3, 4, 5, 6}, B[6] = {7, 8, 9, 10, 11, 12};
  float C[4] = {1, 1, 1, 1};
  kk_nn_gemm_f32(2, 2, 3, 0.5f, A, 3, 1, B, 2, C, 2);
  check_f32(C, (const float[]){30, 33, 70.5f, 78}, 4);
  /* A stored transposed (At = [[1,4],[2,5],[3,6]], rsa 1, csa 2) gives the same product */
  const float At[6] = {1, 4, 2, 5, 3, 6};
  float C2[4] = {0};
  kk_nn_gemm_f32(2, 2, 3, 1.0f, At, 1, 2, B, 2, C2, 2);
  check_f32(C2, (const float[]){58, 64, 139, 154}, 4);
  /* integers: same numbers, exact */
  const int64_t Ai[6] = {1, 2, 3, 4, 5, 6}, Bi[6] = {7, 8, 9, 10, 11, 12};
  int64_t Ci[4] = {0};
  kk_nn_gemm_i64(2, 2, 3, 1, Ai, 3, 1, Bi, 2, Ci, 2);
  assert_true(Ci[0] == 58 && Ci[1] == 64 && Ci[2] == 139 && Ci[3] == 154);
}

/* M=7 (one 4-row block + 3 single rows), K=5 (two k pairs + a tail),
 * N=300 (more than one 256-column block), C = 0: compared with a naive loop. */
static void gemm_remainders(void **state) {
  (void)state;
  enum { M = 7, N = 300, K = 5 };
  static float A[M * K], B[K * N], C[M * N];
  for (int i = 0; i < M * K; i++) A[i] = (float)((i * 7) % 11) - 5;
  for (int i = 0; i < K * N; i++) B[i] = (float)((i * 3) % 13) - 6;
  for (int i = 0; i < M * N; i++) C[i] = 0;
  kk_nn_gemm_f32(M, N, K, 1.0f, A, K, 1, B, N, C, N);
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      double ref = 0;
      for (int k = 0; k < K; k++) ref += (double)A[i * K + k] * B[k * N + j];
      assert_true(fabs(C[i * N + j] - ref) <= TOL);
    }
}

/* Transpose of [[1,2,3],[4,5,6]] is [[1,4],[2,5],[3,6]]. */
static void transpose_small(void **state) {
  (void)state;
  const float s[6] = {1, 2, 3, 4, 5, 6};
  float d[6];
  kk_nn_transpose_f32(2, 3, s, 3, d, 2);
  check_f32(d, (const float[]){1, 4, 2, 5, 3, 6}, 6);
}

/* x = 3x3 of 1..9, 2x2 kernel, stride 1, no pad -> 2x2 outputs. Row (a,b)
 * of col holds the tap (a,b) of each output: tap (0,0) = x[0..1][0..1] =
 * 1,2,4,5; (0,1) = 2,3,5,6; (1,0) = 4,5,7,8; (1,1) = 5,6,8,9. */
static void im2col_2d(void **state) {
  (void)state;
  float x[9], col[16];
  for (int i = 0; i < 9; i++) x[i] = (float)(i + 1);
  kk_nn_win w = win2d(3, 3, 2, 2, 2, 1, 0, 0);
  kk_nn_im2col_f32(&w, 1, x, col);
  check_f32(col, (const float[]){1, 2, 4, 5, 2, 3, 5, 6, 4, 5, 7, 8, 5, 6, 8, 9}, 16);
  /* pad 1, stride 2: outputs at image rows/cols -1 and 1 for tap 0, 0 and 2 for tap 1.
   * tap (0,0): (-1,-1)=0, (-1,1)=0, (1,-1)=0, (1,1)=5; tap (1,1): (0,0)=1, (0,2)=3, (2,0)=7, (2,2)=9 */
  w = win2d(3, 3, 2, 2, 2, 2, 1, 1);
  kk_nn_im2col_f32(&w, 1, x, col);
  check_f32(col, (const float[]){0, 0, 0, 5, 0, 0, 4, 6, 0, 2, 0, 8, 1, 3, 7, 9}, 16);
}

/* col2im is im2col's adjoint: <im2col(x), c> == <x, col2im(c)> for any x, c
 * (here 2 channels, 4x5 image, 3x3 kernel, stride 2, dilation 1, pad 1). */
static void col2im_adjoint(void **state) {
  (void)state;
  kk_nn_win w = win2d(4, 5, 2, 3, 3, 2, 1, 1);
  float x[2 * 20], col[2 * 9 * 6], y[2 * 20] = {0}, c[2 * 9 * 6];
  for (int i = 0; i < 40; i++) x[i] = (float)((i * 5) % 7) - 3;
  for (int i = 0; i < 108; i++) c[i] = (float)((i * 3) % 5) - 2;
  kk_nn_im2col_f32(&w, 2, x, col);
  kk_nn_col2im_f32(&w, 2, c, y);
  double lhs = 0, rhs = 0;
  for (int i = 0; i < 108; i++) lhs += (double)col[i] * c[i];
  for (int i = 0; i < 40; i++) rhs += (double)x[i] * y[i];
  assert_true(fabs(lhs - rhs) <= TOL);
}

/* Depthwise, x = 3x3 of 1..9, kernel 2x2 of ones, pad 1, stride 2 -> 2x2:
 * (0,0) sees only x(0,0) = 1; (0,1) sees x(0,1..2) = 2+3 = 5;
 * (1,0) sees x(1..2,0) = 4+7 = 11; (1,1) sees 5+6+8+9 = 28.
 * A second output channel (multiplier 2) with weights 2 doubles that. */
static void depthwise_2d(void **state) {
  (void)state;
  float x[9], wt[8], y[8];
  for (int i = 0; i < 9; i++) x[i] = (float)(i + 1);
  for (int i = 0; i < 8; i++) wt[i] = i < 4 ? 1.0f : 2.0f;
  kk_nn_win w = win2d(3, 3, 2, 2, 2, 2, 1, 1);
  kk_nn_conv_depthwise_f32(&w, 1, 2, x, wt, y);
  check_f32(y, (const float[]){1, 5, 11, 28, 2, 10, 22, 56}, 8);
  /* bias adds per channel: +1 and +10 */
  kk_nn_add_bias_f32(1, 2, 4, (const float[]){1, 10}, y);
  check_f32(y, (const float[]){2, 6, 12, 29, 12, 20, 32, 66}, 8);
}

/* x = 4x4 of 1..16, 2x2 window stride 2: maxima are the bottom-right taps
 * 6, 8, 14, 16 at row-major flat indices 5, 7, 13, 15. Column-major indices
 * (h + w*H): (1,1) -> 5, (1,3) -> 13, (3,1) -> 7, (3,3) -> 15. A second
 * plane (NC = 2) offsets the indices by 16. */
static void maxpool_indices(void **state) {
  (void)state;
  float x[32], y[8];
  int64_t idx[8];
  for (int i = 0; i < 32; i++) x[i] = (float)(i + 1);
  kk_nn_win w = win2d(4, 4, 2, 2, 2, 2, 0, 0);
  kk_nn_maxpool_f32(&w, 2, x, y, idx, 0);
  check_f32(y, (const float[]){6, 8, 14, 16, 22, 24, 30, 32}, 8);
  const int64_t rm[8] = {5, 7, 13, 15, 21, 23, 29, 31}, cm[4] = {5, 13, 7, 15};
  for (int i = 0; i < 8; i++) assert_true(idx[i] == rm[i]);
  kk_nn_maxpool_f32(&w, 1, x, y, idx, 1);
  for (int i = 0; i < 4; i++) assert_true(idx[i] == cm[i]);
  /* uint8 with values above 127 must compare unsigned: max(200, 1, 2, 3) = 200 */
  const uint8_t xu[4] = {1, 200, 2, 3};
  uint8_t yu[1];
  kk_nn_win w1 = win2d(2, 2, 1, 1, 2, 1, 0, 0);
  kk_nn_maxpool_u8(&w1, 1, xu, yu, NULL, 0);
  assert_true(yu[0] == 200);
}

/* x = [[1,2],[3,4]], 3x3 window, stride 1, pad 1 on each side -> 2x2 output,
 * every window covers all four pixels: sum 10. Excluding padding divides by
 * 4 (2.5); counting it divides by the 9 taps (1.1111). */
static void avgpool_pads(void **state) {
  (void)state;
  const float x[4] = {1, 2, 3, 4};
  float y[4];
  kk_nn_win w = win2d(2, 2, 2, 2, 3, 1, 1, 1);
  kk_nn_avgpool_f32(&w, 1, 0, x, y);
  check_f32(y, (const float[]){2.5f, 2.5f, 2.5f, 2.5f}, 4);
  kk_nn_avgpool_f32(&w, 1, 1, x, y);
  check_f32(y, (const float[]){10.0f / 9, 10.0f / 9, 10.0f / 9, 10.0f / 9}, 4);
}

/* 1-D x = [3, -4, 12], window 2, stride 1, p = 2: sqrt(9+16) = 5, sqrt(16+144) = 12.649111. */
static void lppool_1d(void **state) {
  (void)state;
  const float x[3] = {3, -4, 12};
  float y[2];
  kk_nn_win w = {{1, 1, 3}, {1, 1, 2}, {1, 1, 2}, {1, 1, 1}, {1, 1, 1}, {0, 0, 0}, {0, 0, 0}};
  kk_nn_lppool_f32(&w, 1, 2.0f, x, y);
  check_f32(y, (const float[]){5, 12.649111f}, 2);
}

/* planes [1,2,3,4] and [-1,-5,0,2]: means 2.5 and -1, maxima 4 and 2. */
static void global_pools(void **state) {
  (void)state;
  const float x[8] = {1, 2, 3, 4, -1, -5, 0, 2};
  float y[2];
  kk_nn_global_avg_f32(2, 4, x, y);
  check_f32(y, (const float[]){2.5f, -1}, 2);
  kk_nn_global_max_f32(2, 4, x, y);
  check_f32(y, (const float[]){4, 2}, 2);
}

/* einsum "ij,jk->ik" on the gemm_small operands gives [[58,64],[139,154]]
 * (labels i,k output, j summed); "ii->" on 3x3 of 1..9 is the trace
 * 1 + 5 + 9 = 15 (the repeated label has stride 3 + 1 = 4). */
static void einsum_cases(void **state) {
  (void)state;
  const float A[6] = {1, 2, 3, 4, 5, 6}, B[6] = {7, 8, 9, 10, 11, 12};
  const float *ops[2] = {A, B};
  /* labels: 0 = i, 1 = k, 2 = j; strides A: i 3, k 0, j 1; B: i 0, k 1, j 2 */
  const int64_t st[6] = {3, 0, 1, 0, 1, 2}, dims[3] = {2, 2, 3};
  float y[4];
  kk_nn_einsum_f32(2, ops, st, 3, 2, dims, y);
  check_f32(y, (const float[]){58, 64, 139, 154}, 4);
  float m[9], t[1];
  for (int i = 0; i < 9; i++) m[i] = (float)(i + 1);
  const float *op1[1] = {m};
  kk_nn_einsum_f32(1, op1, (const int64_t[]){4}, 1, 0, (const int64_t[]){3}, t);
  check_f32(t, (const float[]){15}, 1);
}

/* valid output range for taps o*stride + off in [0, in): off -1, stride 2,
 * in 3, out 3 -> o = 1 (tap 1) only: [1, 2). */
static void valid_range(void **state) {
  (void)state;
  int64_t lo, hi;
  kk_nn_valid_range(-1, 2, 3, 3, &lo, &hi);
  assert_true(lo == 1 && hi == 2);
  kk_nn_valid_range(5, 1, 3, 4, &lo, &hi); /* entirely past the image: empty */
  assert_true(lo == hi);
}

KT_MAIN(
    cmocka_unit_test(gemm_small),
    cmocka_unit_test(gemm_remainders),
    cmocka_unit_test(transpose_small),
    cmocka_unit_test(im2col_2d),
    cmocka_unit_test(col2im_adjoint),
    cmocka_unit_test(depthwise_2d),
    cmocka_unit_test(maxpool_indices),
    cmocka_unit_test(avgpool_pads),
    cmocka_unit_test(lppool_1d),
    cmocka_unit_test(global_pools),
    cmocka_unit_test(einsum_cases),
    cmocka_unit_test(valid_range))
