/* test_kernels_image.c: hand-checked cases for the image-family kernels
 * (Resize taps and passes, NonMaxSuppression, RoiAlign), called directly so a
 * kernel bug shows up here before it is blurred by a whole-model test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "k_image.h"
#include "unit.h"

#define TOL 1e-6f

static void check_floats(const float *got, const float *want, int n) {
  for (int i = 0; i < n; i++) assert_float_equal(got[i], want[i], TOL);
}

/* Linear, half_pixel, [1,3] upscaled x2. Coordinates (j+0.5)/2-0.5 are
 * -0.25, 0.25, 0.75, 1.25; edge taps clamp, so
 * y = [1, 0.75*1+0.25*3, 0.25*1+0.75*3, 3] = [1, 1.5, 2.5, 3]. */
static void resize_linear_half_pixel(void **state) {
  (void)state;
  int64_t idx[8];
  float w[8];
  uint8_t outside[4];
  int64_t nt = kk_image_resize_ntaps(KK_RESIZE_LINEAR, 0, 2.0);
  assert_int_equal(nt, 2);
  kk_image_resize_taps(KK_RESIZE_LINEAR, KK_RESIZE_HALF_PIXEL, 0, -0.75f, 0, 0, 2, 4, 2.0, 0, 1, nt, idx, w,
                       outside);
  const float x[2] = {1, 3};
  float y[4];
  kk_image_resize_axis_f32(x, y, 1, 2, 4, 1, nt, idx, w, outside, 0);
  const float want[4] = {1, 1.5f, 2.5f, 3};
  check_floats(y, want, 4);
}

/* Nearest, asymmetric, floor, x2: source index floor(j/2). The gather runs on
 * raw 32-bit words; inner = 2 checks the contiguous-row copy. */
static void resize_nearest_gather(void **state) {
  (void)state;
  int64_t idx[6];
  float w[6];
  uint8_t outside[6];
  kk_image_resize_taps(KK_RESIZE_NEAREST, KK_RESIZE_ASYMMETRIC, KK_NEAREST_FLOOR, -0.75f, 0, 0, 3, 6, 2.0, 0, 1, 1,
                       idx, w, outside);
  const int64_t want_idx[6] = {0, 0, 1, 1, 2, 2};
  for (int j = 0; j < 6; j++) assert_int_equal(idx[j], want_idx[j]);
  const uint32_t x[6] = {10, 11, 20, 21, 30, 31}; /* [3 rows][2] */
  uint32_t y[12];
  kk_image_resize_gather_u32(x, y, 1, 3, 6, 2, idx, outside, 0);
  const uint32_t want[12] = {10, 11, 10, 11, 20, 21, 20, 21, 30, 31, 30, 31};
  for (int i = 0; i < 12; i++) assert_int_equal(y[i], want[i]);
}

/* Nearest rounding modes at x = 1.5 (asymmetric, scale 2/3 would be inexact,
 * so use tf_half_pixel_for_nn: (j+0.5)/scale with j=1, scale=1 gives 1.5):
 * round_prefer_floor -> 1, round_prefer_ceil -> 2. */
static void resize_nearest_modes(void **state) {
  (void)state;
  int64_t idx[2];
  float w[2];
  uint8_t outside[2];
  kk_image_resize_taps(KK_RESIZE_NEAREST, KK_RESIZE_TF_HALF_PIXEL_FOR_NN, KK_NEAREST_ROUND_PREFER_FLOOR, 0, 0, 0,
                       4, 2, 1.0, 0, 1, 1, idx, w, outside);
  assert_int_equal(idx[1], 1);
  kk_image_resize_taps(KK_RESIZE_NEAREST, KK_RESIZE_TF_HALF_PIXEL_FOR_NN, KK_NEAREST_ROUND_PREFER_CEIL, 0, 0, 0, 4,
                       2, 1.0, 0, 1, 1, idx, w, outside);
  assert_int_equal(idx[1], 2);
}

/* Cubic (A = -0.75), half_pixel, scale 0.5, in 8: output j=1 maps to
 * (1.5)/0.5-0.5 = 2.5, so base 2, ratio 0.5, taps 1..4 with weights
 * |d|=1.5: A(t^3-5t^2+8t-4) = -0.75*0.125 = -0.09375;
 * |d|=0.5: ((A+2)t-(A+3))t^2+1 = (0.625-2.25)*0.25+1 = 0.59375. */
static void resize_cubic_taps(void **state) {
  (void)state;
  int64_t idx[32];
  float w[32];
  uint8_t outside[8];
  kk_image_resize_taps(KK_RESIZE_CUBIC, KK_RESIZE_HALF_PIXEL, 0, -0.75f, 0, 0, 8, 4, 0.5, 0, 1, 4, idx, w,
                       outside);
  const float want_w[4] = {-0.09375f, 0.59375f, 0.59375f, -0.09375f};
  check_floats(w + 4, want_w, 4);
  for (int t = 0; t < 4; t++) assert_int_equal(idx[4 + t], 1 + t);
  /* an integral coordinate (scale 1) puts all weight on that pixel: taps base-1..base+2 with base = x-1 */
  kk_image_resize_taps(KK_RESIZE_CUBIC, KK_RESIZE_HALF_PIXEL, 0, -0.75f, 0, 0, 8, 8, 1.0, 0, 1, 4, idx, w, outside);
  const float unit[4] = {0, 0, 1, 0};
  check_floats(w + 4, unit, 4); /* j = 1: taps -1(->0), 0, 1, 2 */
  assert_int_equal(idx[4 + 2], 1);
}

/* Antialiased linear at scale 0.5 stretches the tent to radius 2: 4 taps.
 * j=0 of in 4 -> out 2: x = 0.5/0.5-0.5 = 0.5, base 0, ratio 0.5; offsets
 * -1..2 at distance |o-0.5|*0.5 = 0.75, 0.25, 0.25, 0.75 -> tent 0.25, 0.75,
 * 0.75, 0.25, normalized by 2: 0.125, 0.375, 0.375, 0.125. */
static void resize_antialias_linear(void **state) {
  (void)state;
  int64_t nt = kk_image_resize_ntaps(KK_RESIZE_LINEAR, 1, 0.5);
  assert_int_equal(nt, 4);
  int64_t idx[8];
  float w[8];
  uint8_t outside[2];
  kk_image_resize_taps(KK_RESIZE_LINEAR, KK_RESIZE_HALF_PIXEL, 0, 0, 0, 1, 4, 2, 0.5, 0, 1, nt, idx, w, outside);
  const float want[4] = {0.125f, 0.375f, 0.375f, 0.125f};
  check_floats(w, want, 4);
  assert_int_equal(idx[0], 0); /* offset -1 clamped */
}

/* tf_crop_and_resize marks taps outside the image for the extrapolation value:
 * roi [0.5, 1.5] of in 3 with out 2 maps j to 0.5*2 + j*1*2/1 = 1, 3 -> j=1 is outside. */
static void resize_crop_extrapolation(void **state) {
  (void)state;
  int64_t idx[4];
  float w[4];
  uint8_t outside[2];
  kk_image_resize_taps(KK_RESIZE_LINEAR, KK_RESIZE_TF_CROP_AND_RESIZE, 0, 0, 0, 0, 3, 2, 2.0 / 3.0, 0.5, 1.5, 2, idx,
                       w, outside);
  assert_int_equal(outside[0], 0);
  assert_int_equal(outside[1], 1);
  const float x[3] = {5, 6, 7};
  float y[2];
  kk_image_resize_axis_f32(x, y, 1, 3, 2, 1, 2, idx, w, outside, -1.0f);
  const float want[2] = {6, -1};
  check_floats(y, want, 2);
}

/* Three boxes, one class. box1 overlaps box0 with IoU 0.9/1.1 = 0.82 > 0.5 and
 * is suppressed; box2 is disjoint. Expected selection: (0,0,0), (0,0,2). */
static void nms_basic(void **state) {
  (void)state;
  const float boxes[12] = {0, 0, 1, 1, 0, 0.1f, 1, 1.1f, 0, 2, 1, 3};
  const float scores[3] = {0.9f, 0.8f, 0.7f};
  int64_t sel[9], scratch[9];
  int64_t n = kk_image_nms_f32(boxes, scores, 1, 1, 3, 10, 0.5f, 0, 0, 0, sel, 3, scratch);
  assert_int_equal(n, 2);
  const int64_t want[6] = {0, 0, 0, 0, 0, 2};
  for (int i = 0; i < 6; i++) assert_int_equal(sel[i], want[i]);
  /* a score threshold of 0.75 drops box2 (and box1 is still suppressed) */
  n = kk_image_nms_f32(boxes, scores, 1, 1, 3, 10, 0.5f, 1, 0.75f, 0, sel, 3, scratch);
  assert_int_equal(n, 1);
  /* equal scores keep index order */
  const float same[3] = {0.5f, 0.5f, 0.5f};
  n = kk_image_nms_f32(boxes, same, 1, 1, 3, 10, 0.5f, 0, 0, 0, sel, 3, scratch);
  assert_int_equal(n, 2);
  assert_int_equal(sel[2], 0);
  assert_int_equal(sel[5], 2);
}

/* RoiAlign over the 2x2 map [[0,1],[2,3]], roi (0,0)-(1,1), 1x1 output,
 * one sample. output_half_pixel: sample at (0.5,0.5) -> mean of the four = 1.5.
 * half_pixel shifts by -0.5: sample at (0,0) -> 0. */
static void roi_align_basic(void **state) {
  (void)state;
  const float x[4] = {0, 1, 2, 3};
  const float roi[4] = {0, 0, 1, 1};
  const int64_t bi[1] = {0};
  float y[1];
  kk_image_roi_align_f32(x, 1, 2, 2, roi, bi, 1, 1, 1, 1, 1.0f, 0, 0, y);
  assert_float_equal(y[0], 1.5f, TOL);
  kk_image_roi_align_f32(x, 1, 2, 2, roi, bi, 1, 1, 1, 1, 1.0f, 1, 0, y);
  assert_float_equal(y[0], 0.0f, TOL);
  /* max mode, same sample at (0.5,0.5): max of the weighted corners 0.25*{0,1,2,3} = 0.75 */
  kk_image_roi_align_f32(x, 1, 2, 2, roi, bi, 1, 1, 1, 1, 1.0f, 0, 1, y);
  assert_float_equal(y[0], 0.75f, TOL);
}

KT_MAIN(
    cmocka_unit_test(resize_linear_half_pixel),
    cmocka_unit_test(resize_nearest_gather),
    cmocka_unit_test(resize_nearest_modes),
    cmocka_unit_test(resize_cubic_taps),
    cmocka_unit_test(resize_antialias_linear),
    cmocka_unit_test(resize_crop_extrapolation),
    cmocka_unit_test(nms_basic),
    cmocka_unit_test(roi_align_basic))
