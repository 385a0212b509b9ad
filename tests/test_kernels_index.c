/* test_kernels_index.c: hand-checked cases of the INDEX family kernels
 * (runtime/kernels/index.c), called directly with raw buffers. Every expected
 * value is worked out in the comment beside it; the data are small integers
 * or exact floats, so comparisons use a tolerance of 0 (exact bits moved). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "k_index.h"
#include "unit.h"

#define TOL 0.0

static void expect_f32(const float *got, const float *want, int n) {
  for (int i = 0; i < n; i++) assert_float_equal(got[i], want[i], TOL);
}
static void expect_i64(const int64_t *got, const int64_t *want, int n) {
  for (int i = 0; i < n; i++) assert_int_equal(got[i], want[i]);
}

static void test_gather_axis0_negative(void **state) {
  (void)state;
  /* data 3x2 = [[1,2],[3,4],[5,6]], indices {2,-3} -> rows 2 and 0 */
  float data[6] = {1, 2, 3, 4, 5, 6}, out[4];
  int64_t idx[2] = {2, -3};
  assert_int_equal(kk_index_gather(data, idx, 1, out, 1, 3, 2, 2, 4), -1);
  expect_f32(out, (const float[]){5, 6, 1, 2}, 4);
}

static void test_gather_axis1_int32_and_bad_index(void **state) {
  (void)state;
  /* data 2x3 = [[0,1,2],[3,4,5]], axis 1, indices {2,0}: [[2,0],[5,3]] */
  double data[6] = {0, 1, 2, 3, 4, 5}, out[4];
  int32_t idx[2] = {2, 0};
  assert_int_equal(kk_index_gather(data, idx, 0, out, 2, 3, 2, 1, 8), -1);
  for (int i = 0; i < 4; i++) assert_float_equal(out[i], ((const double[]){2, 0, 5, 3})[i], TOL);
  /* index 3 at position 1 is outside [-3, 2]: reported, nothing read */
  int32_t bad[2] = {0, 3};
  assert_int_equal(kk_index_gather(data, bad, 0, out, 2, 3, 2, 1, 8), 1);
  int32_t bad2[2] = {-4, 0};
  assert_int_equal(kk_index_gather(data, bad2, 0, out, 2, 3, 2, 1, 8), 0);
}

static void test_gather_nd(void **state) {
  (void)state;
  /* data [[0,1],[2,3]], indices [[0,0],[1,1]] -> [0,3] (offsets 0 and 3) */
  int32_t data[4] = {0, 1, 2, 3}, out[4];
  int64_t idx[4] = {0, 0, 1, 1}, off[2], kd[2] = {2, 2};
  assert_int_equal(kk_index_nd_offsets(idx, 1, 1, 2, 2, kd, 1, off), -1);
  expect_i64(off, (const int64_t[]){0, 3}, 2);
  kk_index_gather_slices(data, off, 2, 1, out, 4);
  assert_int_equal(out[0], 0);
  assert_int_equal(out[1], 3);
  /* batch_dims=1: data [[[0,1],[2,3]],[[4,5],[6,7]]], indices [[1],[0]]
   * -> batch 0 row 1 = [2,3] (offset 2), batch 1 row 0 = [4,5] (offset 4) */
  int32_t d3[8] = {0, 1, 2, 3, 4, 5, 6, 7};
  int64_t i3[2] = {1, 0}, kd3[1] = {2};
  assert_int_equal(kk_index_nd_offsets(i3, 1, 2, 1, 1, kd3, 2, off), -1);
  expect_i64(off, (const int64_t[]){2, 4}, 2);
  kk_index_gather_slices(d3, off, 2, 2, out, 4);
  for (int i = 0; i < 4; i++) assert_int_equal(out[i], ((const int32_t[]){2, 3, 4, 5})[i]);
  /* second coordinate of the tuple is 2 >= dim 2: position 1 */
  int64_t bad[2] = {1, 2};
  assert_int_equal(kk_index_nd_offsets(bad, 1, 1, 1, 2, kd, 1, off), 1);
}

static void test_gather_elements(void **state) {
  (void)state;
  /* data [[1,2],[3,4]], indices [[0,0],[1,0]], axis 1:
   * out[i][j] = data[i][idx[i][j]] = [[1,1],[4,3]] */
  float data[4] = {1, 2, 3, 4}, out[4];
  int64_t idx[4] = {0, 0, 1, 0}, off[4], idims[2] = {2, 2}, strides[2] = {2, 1};
  assert_int_equal(kk_index_elements_offsets(idx, 1, 2, idims, strides, 1, 2, off), -1);
  kk_index_gather_slices(data, off, 4, 1, out, 4);
  expect_f32(out, (const float[]){1, 1, 4, 3}, 4);
  /* axis 0, indices [[1,-1]] (1x2, fewer rows than data): out[0][j] =
   * data[idx[0][j]][j] = [data[1][0], data[1][1]] = [3,4] (-1 wraps to 1) */
  int64_t i2[2] = {1, -1}, id2[2] = {1, 2};
  assert_int_equal(kk_index_elements_offsets(i2, 1, 2, id2, strides, 0, 2, off), -1);
  kk_index_gather_slices(data, off, 2, 1, out, 4);
  expect_f32(out, (const float[]){3, 4}, 2);
}

static void test_scatter_nd_reductions(void **state) {
  (void)state;
  /* ONNX ScatterND example: data 1..8, indices [[4],[3],[1],[7]], updates 9..12
   * none: [1,11,3,10,9,6,7,12]; add: [1,2+11,3,4+10,5+9,6,7,8+12] */
  float upd[4] = {9, 10, 11, 12};
  int64_t idx[4] = {4, 3, 1, 7}, off[4], kd[1] = {8};
  assert_int_equal(kk_index_nd_offsets(idx, 1, 1, 4, 1, kd, 1, off), -1);
  float a[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  kk_index_scatter_slices(a, off, 4, 1, upd, 4);
  expect_f32(a, (const float[]){1, 11, 3, 10, 9, 6, 7, 12}, 8);
  float b[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  kk_index_scatter_slices_f32(b, off, 4, 1, upd, KK_INDEX_RED_ADD);
  expect_f32(b, (const float[]){1, 13, 3, 14, 14, 6, 7, 20}, 8);
}

static void test_scatter_elements_duplicates(void **state) {
  (void)state;
  /* data [1,2,3,4,5] (i32), indices [1,1,3], updates [7,-1,9], axis 0
   * max: d[1] = max(2,7,-1) = 7, d[3] = max(4,9) = 9 -> [1,7,3,9,5]
   * mul: d[1] = 2*7*-1 = -14, d[3] = 36 -> [1,-14,3,36,5] */
  int32_t upd[3] = {7, -1, 9};
  int64_t idx[3] = {1, 1, 3}, off[3], idims[1] = {3}, strides[1] = {1};
  assert_int_equal(kk_index_elements_offsets(idx, 1, 1, idims, strides, 0, 5, off), -1);
  int32_t mx[5] = {1, 2, 3, 4, 5}, mu[5] = {1, 2, 3, 4, 5};
  kk_index_scatter_slices_i32(mx, off, 3, 1, upd, KK_INDEX_RED_MAX);
  kk_index_scatter_slices_i32(mu, off, 3, 1, upd, KK_INDEX_RED_MUL);
  for (int i = 0; i < 5; i++) {
    assert_int_equal(mx[i], ((const int32_t[]){1, 7, 3, 9, 5})[i]);
    assert_int_equal(mu[i], ((const int32_t[]){1, -14, 3, 36, 5})[i]);
  }
}

static void test_eye_and_trilu(void **state) {
  (void)state;
  /* 3x4, k=1: ones at (0,1),(1,2),(2,3) = flat 1, 6, 11 */
  float eye[12], one = 1.0f;
  kk_index_eye(eye, 3, 4, 1, &one, 4);
  for (int i = 0; i < 12; i++) assert_float_equal(eye[i], (i == 1 || i == 6 || i == 11) ? 1.0f : 0.0f, TOL);
  /* k = -5 is below the matrix: all zeros */
  kk_index_eye(eye, 3, 4, -5, &one, 4);
  for (int i = 0; i < 12; i++) assert_float_equal(eye[i], 0.0f, TOL);
  /* x = [[1,2,3],[4,5,6],[7,8,9]]; upper k=0 keeps j>=i: [[1,2,3],[0,5,6],[0,0,9]];
   * lower k=-1 keeps j<=i-1: [[0,0,0],[4,0,0],[7,8,0]] */
  int64_t x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, out[9];
  kk_index_trilu(x, out, 1, 3, 3, 0, 1, 8);
  expect_i64(out, (const int64_t[]){1, 2, 3, 0, 5, 6, 0, 0, 9}, 9);
  kk_index_trilu(x, out, 1, 3, 3, -1, 0, 8);
  expect_i64(out, (const int64_t[]){0, 0, 0, 4, 0, 0, 7, 8, 0}, 9);
  /* a huge k must clamp, not overflow: upper keeps nothing */
  kk_index_trilu(x, out, 1, 3, 3, INT64_MAX, 1, 8);
  expect_i64(out, (const int64_t[]){0, 0, 0, 0, 0, 0, 0, 0, 0}, 9);
  /* lower with k = -7 (below every row: j <= i - 7 never holds) keeps nothing;
   * lower with k = INT64_MIN the same */
  out[0] = 42;
  kk_index_trilu(x, out, 1, 3, 3, -7, 0, 8);
  expect_i64(out, (const int64_t[]){0, 0, 0, 0, 0, 0, 0, 0, 0}, 9);
  kk_index_trilu(x, out, 1, 3, 3, INT64_MIN, 0, 8);
  expect_i64(out, (const int64_t[]){0, 0, 0, 0, 0, 0, 0, 0, 0}, 9);
  /* upper with k = -7 keeps everything */
  kk_index_trilu(x, out, 1, 3, 3, -7, 1, 8);
  expect_i64(out, x, 9);
}

static void test_one_hot(void **state) {
  (void)state;
  /* indices {1,-1,5}, depth 3, off 2, on 7, axis last:
   * 1 -> [2,7,2]; -1 wraps to 2 -> [2,2,7]; 5 is out of range -> all off */
  int64_t idx[3] = {1, -1, 5};
  float vals[2] = {2, 7}, out[9];
  kk_index_one_hot(idx, 3, 1, 3, &vals[0], &vals[1], out, 4);
  expect_f32(out, (const float[]){2, 7, 2, 2, 2, 7, 2, 2, 2}, 9);
  /* axis 0 (outer 1, inner 3): out[d][i] = on where idx[i] == d; transpose of above */
  kk_index_one_hot(idx, 1, 3, 3, &vals[0], &vals[1], out, 4);
  expect_f32(out, (const float[]){2, 2, 2, 7, 2, 2, 2, 7, 2}, 9);
}

static void test_depth_space(void **state) {
  (void)state;
  /* x: N=1, C=8, H=W=1, b=2 -> C'=2, 2x2 spatial.
   * DCR: out[c][i][j] = x[(i*2+j)*2 + c]: c0 = x0,x2,x4,x6; c1 = x1,x3,x5,x7
   * CRD: out[c][i][j] = x[c*4 + i*2 + j]: identity order */
  uint8_t x[8] = {0, 1, 2, 3, 4, 5, 6, 7}, out[8], back[8];
  kk_index_depth_to_space(x, out, 1, 8, 1, 1, 2, 0, 1);
  for (int i = 0; i < 8; i++) assert_int_equal(out[i], ((const uint8_t[]){0, 2, 4, 6, 1, 3, 5, 7})[i]);
  /* SpaceToDepth inverts DCR */
  kk_index_space_to_depth(out, back, 1, 2, 2, 2, 2, 1);
  for (int i = 0; i < 8; i++) assert_int_equal(back[i], x[i]);
  kk_index_depth_to_space(x, out, 1, 8, 1, 1, 2, 1, 1);
  for (int i = 0; i < 8; i++) assert_int_equal(out[i], x[i]);
}

static void test_nonzero(void **state) {
  (void)state;
  /* [[0, 2], [-0.0, 3]]: -0.0 is zero, so nnz = 2 at (0,1) and (1,1)
   * out = [[rows], [cols]] = [[0,1],[1,1]] */
  float x[4] = {0.0f, 2.0f, -0.0f, 3.0f};
  int64_t dims[2] = {2, 2}, out[4];
  assert_int_equal(kk_index_nonzero_count(x, 4, 4, 1), 2);
  kk_index_nonzero_write(x, 2, dims, 4, 1, 2, out);
  expect_i64(out, (const int64_t[]){0, 1, 1, 1}, 4);
  /* as raw int32 bits the -0.0 pattern (0x80000000) is nonzero */
  assert_int_equal(kk_index_nonzero_count(x, 4, 4, 0), 3);
}

static void test_compress_and_reverse(void **state) {
  (void)state;
  /* x 3x2 = [[1,2],[3,4],[5,6]], cond {0,1,1}, axis 0 -> [[3,4],[5,6]] */
  float x[6] = {1, 2, 3, 4, 5, 6}, out[6];
  uint8_t cond[3] = {0, 1, 1};
  assert_int_equal(kk_index_compress(x, cond, 3, 1, 3, 2, out, 4), 2);
  expect_f32(out, (const float[]){3, 4, 5, 6}, 4);
  /* axis 1, condition {1} shorter than dim 2: keeps column 0 only -> [1,3,5] */
  assert_int_equal(kk_index_compress(x, (const uint8_t[]){1}, 1, 3, 2, 1, out, 4), 1);
  expect_f32(out, (const float[]){1, 3, 5}, 3);
  /* time-major T=4, B=2, x[t][b] = 10*t + b, lens {4, 2}:
   * batch 0 fully reversed: 30,20,10,0; batch 1: first two swapped: 11,1,21,31 */
  int32_t s[8] = {0, 1, 10, 11, 20, 21, 30, 31}, r[8];
  int64_t lens[2] = {4, 2};
  assert_int_equal(kk_index_reverse_sequence(s, r, lens, 1, 1, 4, 2, 1, 4), -1);
  for (int i = 0; i < 8; i++) assert_int_equal(r[i], ((const int32_t[]){30, 11, 20, 1, 10, 21, 0, 31})[i]);
  /* a length above T is reported by batch entry */
  int64_t bad[2] = {1, 5};
  assert_int_equal(kk_index_reverse_sequence(s, r, bad, 1, 1, 4, 2, 1, 4), 1);
}

KT_MAIN(
    cmocka_unit_test(test_gather_axis0_negative),
    cmocka_unit_test(test_gather_axis1_int32_and_bad_index),
    cmocka_unit_test(test_gather_nd),
    cmocka_unit_test(test_gather_elements),
    cmocka_unit_test(test_scatter_nd_reductions),
    cmocka_unit_test(test_scatter_elements_duplicates),
    cmocka_unit_test(test_eye_and_trilu),
    cmocka_unit_test(test_one_hot),
    cmocka_unit_test(test_depth_space),
    cmocka_unit_test(test_nonzero),
    cmocka_unit_test(test_compress_and_reverse))
