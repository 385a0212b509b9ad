/* k_image.h: kernels of the image family (Resize, NonMaxSuppression, RoiAlign).
 * Resize is separable: per axis, a tap table (input index + weight for every
 * output index) is computed once by kk_image_resize_taps, then one pass per
 * resized axis applies it. That one shape covers nearest/linear/cubic, every
 * coordinate transform, exclude_outside and antialias in N dimensions, and
 * keeps the inner loops trivial for the JIT to specialize. */
#ifndef KILN_K_IMAGE_H
#define KILN_K_IMAGE_H

#include "kernels.h"

enum { KK_RESIZE_NEAREST = 0, KK_RESIZE_LINEAR, KK_RESIZE_CUBIC };
enum {
  KK_RESIZE_HALF_PIXEL = 0,
  KK_RESIZE_HALF_PIXEL_SYMMETRIC,
  KK_RESIZE_PYTORCH_HALF_PIXEL,
  KK_RESIZE_ALIGN_CORNERS,
  KK_RESIZE_ASYMMETRIC,
  KK_RESIZE_TF_CROP_AND_RESIZE,
  KK_RESIZE_TF_HALF_PIXEL_FOR_NN /* Resize-11 only; kept so old files still run */
};
enum {
  KK_NEAREST_ROUND_PREFER_FLOOR = 0,
  KK_NEAREST_ROUND_PREFER_CEIL,
  KK_NEAREST_FLOOR,
  KK_NEAREST_CEIL
};

/* Taps per output index for one axis (1 for nearest; grows as 1/scale when
 * antialiasing a downscale). Returns -1 when the filter would be absurdly wide. */
int64_t kk_image_resize_ntaps(int mode, int antialias, double scale);

/* Maps output index x of an axis to a (fractional) input coordinate.
 * scale is the axis' scale factor, out_len the integer output length. */
double kk_image_resize_coord(int ctm, double x, double scale, int64_t in_len, int64_t out_len,
                             double roi_start, double roi_end);

/* Fills the tap table of one axis: idx/w have out_len*ntaps entries (idx
 * clamped into [0, in_len)); outside[j] = 1 marks outputs that take the
 * extrapolation value (tf_crop_and_resize outside the image). */
void kk_image_resize_taps(int mode, int ctm, int nearest_mode, float cubic_a, int exclude_outside,
                          int antialias, int64_t in_len, int64_t out_len, double scale,
                          double roi_start, double roi_end, int64_t ntaps, int64_t *idx, float *w,
                          uint8_t *outside);

/* One weighted pass along an axis viewed as [outer, in_len, inner] -> [outer, out_len, inner]. */
void kk_image_resize_axis_f32(const float *x, float *y, int64_t outer, int64_t in_len,
                              int64_t out_len, int64_t inner, int64_t ntaps, const int64_t *idx,
                              const float *w, const uint8_t *outside, float extrapolation);

/* Nearest passes are pure gathers, so they work on raw element bits of any
 * dtype of that width (exact for floats, ints and bool alike). */
#define KK_IMAGE_GATHER_DECL(bits)                                                                 \
  void kk_image_resize_gather_u##bits(const uint##bits##_t *x, uint##bits##_t *y, int64_t outer,   \
                                      int64_t in_len, int64_t out_len, int64_t inner,              \
                                      const int64_t *idx, const uint8_t *outside,                  \
                                      uint##bits##_t extrapolation);
KK_IMAGE_GATHER_DECL(8)
KK_IMAGE_GATHER_DECL(16)
KK_IMAGE_GATHER_DECL(32)
KK_IMAGE_GATHER_DECL(64)
#undef KK_IMAGE_GATHER_DECL

/* NonMaxSuppression over boxes [B,N,4] and scores [B,C,N]. Writes selected
 * (batch, class, box) triples to sel (room for cap triples) in spec order and
 * returns how many it wrote. scratch must hold 3*N int64. */
int64_t kk_image_nms_f32(const float *boxes, const float *scores, int64_t batches, int64_t classes,
                         int64_t nboxes, int64_t max_per_class, float iou_threshold,
                         int has_score_threshold, float score_threshold, int center_point_box,
                         int64_t *sel, int64_t cap, int64_t *scratch);

/* Sampling points per output bin of one roi (grid_h*grid_w; the adaptive grid
 * follows the roi size), so callers can refuse absurd amounts of work. */
double kk_image_roi_align_samples(const float *roi, int64_t out_h, int64_t out_w, int64_t sampling_ratio,
                                  float spatial_scale, int half_pixel);

/* RoiAlign (opset 16) over X [N,C,H,W]; rois [R,4] as (x1,y1,x2,y2); batch
 * indices must already be validated in [0,N). y is [R,C,out_h,out_w]. */
void kk_image_roi_align_f32(const float *x, int64_t channels, int64_t height, int64_t width,
                            const float *rois, const int64_t *batch_indices, int64_t nrois,
                            int64_t out_h, int64_t out_w, int64_t sampling_ratio, float spatial_scale,
                            int half_pixel, int mode_max, float *y);

#endif
