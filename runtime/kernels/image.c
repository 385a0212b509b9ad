/* image.c: the image family's kernels (Resize, NonMaxSuppression, RoiAlign).
 * Resize follows the ONNX reference semantics exactly where they are subtle:
 * coordinates are computed in double; a coordinate that lands on an integer
 * takes ratio 1 against the pixel on its left (so taps are base-1..base+2 for
 * cubic); out-of-range taps are clamped (edge padding) unless exclude_outside
 * drops them; align_corners and tf_crop_and_resize divide by the *fractional*
 * output length scale*in, as the reference does. RoiAlign and NMS follow the
 * reference/ONNX Runtime arithmetic in float. Freestanding: see kernels.h. */
#include "k_image.h"

int64_t kk_image_resize_ntaps(int mode, int antialias, double scale) {
  if (mode == KK_RESIZE_NEAREST) return 1;
  int64_t half = mode == KK_RESIZE_CUBIC ? 2 : 1; /* filter support radius at scale 1 */
  if (!antialias || scale >= 1.0) return 2 * half;
  double r = (double)half / scale;
  if (!(r < 1e9)) return -1; /* NaN or a filter wider than any sane image */
  int64_t start = (int64_t)__builtin_floor(-r) + 1;
  return 2 - 2 * start;
}

double kk_image_resize_coord(int ctm, double x, double scale, int64_t in_len, int64_t out_len,
                             double roi_start, double roi_end) {
  double out_w = scale * (double)in_len, in_w = (double)in_len;
  switch (ctm) {
  case KK_RESIZE_HALF_PIXEL_SYMMETRIC: {
    double adjustment = (double)out_len / out_w;
    double offset = in_w / 2 * (1 - adjustment);
    return offset + (x + 0.5) / scale - 0.5;
  }
  case KK_RESIZE_PYTORCH_HALF_PIXEL: return out_len > 1 ? (x + 0.5) / scale - 0.5 : 0.0;
  case KK_RESIZE_ALIGN_CORNERS:
    return (out_len <= 1 || out_w == 1.0) ? 0.0 : x * (in_w - 1) / (out_w - 1);
  case KK_RESIZE_ASYMMETRIC: return x / scale;
  case KK_RESIZE_TF_CROP_AND_RESIZE:
    if (out_len <= 1 || out_w == 1.0) return 0.5 * (roi_start + roi_end) * (in_w - 1);
    return roi_start * (in_w - 1) + x * (roi_end - roi_start) * (in_w - 1) / (out_w - 1);
  case KK_RESIZE_TF_HALF_PIXEL_FOR_NN: return (x + 0.5) / scale;
  default: return (x + 0.5) / scale - 0.5; /* half_pixel */
  }
}

/* Filter weight at signed distance d (in input pixels, already scaled). */
static inline double resize_filter(int mode, double a, double d) {
  double t = __builtin_fabs(d);
  if (mode == KK_RESIZE_LINEAR) return t < 1 ? 1 - t : 0;
  if (t <= 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a;
  return 0;
}

static inline int64_t clamp_i64(int64_t v, int64_t lo, int64_t hi) {
  return v < lo ? lo : v > hi ? hi : v;
}

void kk_image_resize_taps(int mode, int ctm, int nearest_mode, float cubic_a, int exclude_outside,
                          int antialias, int64_t in_len, int64_t out_len, double scale,
                          double roi_start, double roi_end, int64_t ntaps, int64_t *idx, float *w,
                          uint8_t *outside) {
  /* the filter is stretched by 1/scale only when antialiasing a downscale */
  double fs = antialias && scale < 1.0 ? scale : 1.0;
  int64_t start = 1 - ntaps / 2;
  for (int64_t j = 0; j < out_len; j++) {
    int64_t *ij = idx + j * ntaps;
    float *wj = w + j * ntaps;
    double xo = kk_image_resize_coord(ctm, (double)j, scale, in_len, out_len, roi_start, roi_end);
    outside[j] = ctm == KK_RESIZE_TF_CROP_AND_RESIZE && (xo < 0 || xo > (double)(in_len - 1));
    if (outside[j] || xo != xo) {
      outside[j] = 1;
      for (int64_t t = 0; t < ntaps; t++) ij[t] = 0, wj[t] = 0;
      continue;
    }
    double fl = __builtin_floor(xo);
    if (mode == KK_RESIZE_NEAREST) {
      double frac = xo - fl;
      int64_t r = (int64_t)fl;
      if (frac != 0) {
        switch (nearest_mode) {
        case KK_NEAREST_ROUND_PREFER_CEIL: r += frac >= 0.5; break;
        case KK_NEAREST_FLOOR: break;
        case KK_NEAREST_CEIL: r += 1; break;
        default: r += frac > 0.5; break;
        }
      }
      ij[0] = clamp_i64(r, 0, in_len - 1);
      wj[0] = 1;
      continue;
    }
    /* ratio in (0, 1]: an integral coordinate weighs fully on its left tap */
    int64_t base = (int64_t)fl;
    double ratio = xo - fl;
    if (ratio == 0) base -= 1, ratio = 1;
    double sum = 0;
    for (int64_t t = 0; t < ntaps; t++) {
      int64_t pos = base + start + t;
      double c = resize_filter(mode, cubic_a, (double)(start + t - ratio) * fs);
      if (exclude_outside && (pos < 0 || pos >= in_len)) c = 0;
      sum += c;
    }
    /* the plain filters already sum to one; the reference only renormalizes
     * the antialiased or clipped ones, so do the same */
    double norm = (antialias || exclude_outside) && sum != 0 ? 1.0 / sum : 1.0;
    for (int64_t t = 0; t < ntaps; t++) {
      int64_t pos = base + start + t;
      double c = resize_filter(mode, cubic_a, (double)(start + t - ratio) * fs);
      if (exclude_outside && (pos < 0 || pos >= in_len)) c = 0;
      ij[t] = clamp_i64(pos, 0, in_len - 1);
      wj[t] = (float)(c * norm);
    }
  }
}

void kk_image_resize_axis_f32(const float *x, float *y, int64_t outer, int64_t in_len,
                              int64_t out_len, int64_t inner, int64_t ntaps, const int64_t *idx,
                              const float *w, const uint8_t *outside, float extrapolation) {
  for (int64_t o = 0; o < outer; o++) {
    const float *xo = x + o * in_len * inner;
    float *yo = y + o * out_len * inner;
    for (int64_t j = 0; j < out_len; j++) {
      float *yr = yo + j * inner;
      if (outside[j]) {
        for (int64_t i = 0; i < inner; i++) yr[i] = extrapolation;
        continue;
      }
      for (int64_t i = 0; i < inner; i++) yr[i] = 0;
      for (int64_t t = 0; t < ntaps; t++) {
        float wt = w[j * ntaps + t];
        if (wt == 0) continue;
        const float *xr = xo + idx[j * ntaps + t] * inner;
        for (int64_t i = 0; i < inner; i++) yr[i] += wt * xr[i];
      }
    }
  }
}

#define KK_IMAGE_GATHER_DEF(bits)                                                                  \
  void kk_image_resize_gather_u##bits(const uint##bits##_t *x, uint##bits##_t *y, int64_t outer,   \
                                      int64_t in_len, int64_t out_len, int64_t inner,              \
                                      const int64_t *idx, const uint8_t *outside,                  \
                                      uint##bits##_t extrapolation) {                              \
    for (int64_t o = 0; o < outer; o++) {                                                          \
      const uint##bits##_t *xo = x + o * in_len * inner;                                           \
      uint##bits##_t *yo = y + o * out_len * inner;                                                \
      for (int64_t j = 0; j < out_len; j++) {                                                      \
        uint##bits##_t *yr = yo + j * inner;                                                       \
        const uint##bits##_t *xr = xo + idx[j] * inner;                                            \
        if (outside[j])                                                                            \
          for (int64_t i = 0; i < inner; i++) yr[i] = extrapolation;                               \
        else                                                                                       \
          for (int64_t i = 0; i < inner; i++) yr[i] = xr[i];                                       \
      }                                                                                            \
    }                                                                                              \
  }
KK_IMAGE_GATHER_DEF(8)
KK_IMAGE_GATHER_DEF(16)
KK_IMAGE_GATHER_DEF(32)
KK_IMAGE_GATHER_DEF(64)
#undef KK_IMAGE_GATHER_DEF

/* ---- NonMaxSuppression ---- */

/* Stable bottom-up merge sort of box indices by descending score: equal
 * scores keep index order, which is the order the spec's tests expect. */
static void nms_sort_desc(const float *score, int64_t *a, int64_t *tmp, int64_t n) {
  int64_t *src = a, *dst = tmp;
  for (int64_t width = 1; width < n; width *= 2) {
    for (int64_t lo = 0; lo < n; lo += 2 * width) {
      int64_t mid = lo + width < n ? lo + width : n, hi = lo + 2 * width < n ? lo + 2 * width : n;
      int64_t i = lo, j = mid, k = lo;
      while (i < mid && j < hi) dst[k++] = score[src[j]] > score[src[i]] ? src[j++] : src[i++];
      while (i < mid) dst[k++] = src[i++];
      while (j < hi) dst[k++] = src[j++];
    }
    int64_t *t = src;
    src = dst, dst = t;
  }
  if (src != a)
    for (int64_t i = 0; i < n; i++) a[i] = src[i];
}

/* corners as (ymin, xmin, ymax, xmax) whatever order or format the box uses */
static inline void nms_corners(const float *b, int center, float *c) {
  if (center) {
    float hw = b[2] / 2, hh = b[3] / 2;
    c[0] = b[1] - hh, c[1] = b[0] - hw, c[2] = b[1] + hh, c[3] = b[0] + hw;
  } else {
    c[0] = b[0] < b[2] ? b[0] : b[2], c[2] = b[0] < b[2] ? b[2] : b[0];
    c[1] = b[1] < b[3] ? b[1] : b[3], c[3] = b[1] < b[3] ? b[3] : b[1];
  }
}

static int nms_suppresses(const float *a, const float *b, int center, float iou_threshold) {
  float ca[4], cb[4];
  nms_corners(a, center, ca);
  nms_corners(b, center, cb);
  float ih = (ca[2] < cb[2] ? ca[2] : cb[2]) - (ca[0] > cb[0] ? ca[0] : cb[0]);
  float iw = (ca[3] < cb[3] ? ca[3] : cb[3]) - (ca[1] > cb[1] ? ca[1] : cb[1]);
  if (!(ih > 0) || !(iw > 0)) return 0;
  float inter = ih * iw;
  float area_a = (ca[2] - ca[0]) * (ca[3] - ca[1]), area_b = (cb[2] - cb[0]) * (cb[3] - cb[1]);
  float uni = area_a + area_b - inter;
  if (!(area_a > 0) || !(area_b > 0) || !(uni > 0)) return 0;
  return inter / uni > iou_threshold;
}

int64_t kk_image_nms_f32(const float *boxes, const float *scores, int64_t batches, int64_t classes,
                         int64_t nboxes, int64_t max_per_class, float iou_threshold,
                         int has_score_threshold, float score_threshold, int center_point_box,
                         int64_t *sel, int64_t cap, int64_t *scratch) {
  int64_t *order = scratch, *tmp = scratch + nboxes, *kept = scratch + 2 * nboxes;
  int64_t count = 0;
  if (max_per_class > nboxes) max_per_class = nboxes;
  for (int64_t b = 0; b < batches; b++) {
    const float *bx = boxes + b * nboxes * 4;
    for (int64_t c = 0; c < classes; c++) {
      const float *sc = scores + (b * classes + c) * nboxes;
      int64_t m = 0;
      for (int64_t i = 0; i < nboxes; i++)
        if (!has_score_threshold || sc[i] > score_threshold) order[m++] = i;
      nms_sort_desc(sc, order, tmp, m);
      int64_t k = 0;
      for (int64_t r = 0; r < m && k < max_per_class; r++) {
        int64_t i = order[r], s = 0;
        while (s < k && !nms_suppresses(bx + kept[s] * 4, bx + i * 4, center_point_box, iou_threshold)) s++;
        if (s < k) continue;
        kept[k++] = i;
        if (count < cap) sel[count * 3] = b, sel[count * 3 + 1] = c, sel[count * 3 + 2] = i;
        count++;
      }
    }
  }
  return count;
}

/* ---- RoiAlign ---- */

/* The roi in input pixels and its sampling grid, shared by the kernel and
 * kk_image_roi_align_samples so the adapter can bound the work up front.
 * The adaptive grid saturates instead of overflowing on absurd rois. */
typedef struct roi_geom {
  float x0, y0, bin_h, bin_w;
  int64_t grid_h, grid_w;
} roi_geom;

static inline int64_t roi_grid(int64_t sampling_ratio, float bin) {
  if (sampling_ratio > 0) return sampling_ratio;
  float g = __builtin_ceilf(bin);
  return g >= 1 ? (g < 1e9f ? (int64_t)g : (int64_t)1e9) : 0; /* NaN and <= 0 give 0 */
}

static inline roi_geom roi_geometry(const float *roi, int64_t out_h, int64_t out_w, int64_t sampling_ratio,
                                    float spatial_scale, int half_pixel) {
  roi_geom g;
  float offset = half_pixel ? 0.5f : 0.0f;
  g.x0 = roi[0] * spatial_scale - offset, g.y0 = roi[1] * spatial_scale - offset;
  float rw = roi[2] * spatial_scale - offset - g.x0, rh = roi[3] * spatial_scale - offset - g.y0;
  if (!half_pixel) { /* the legacy (output_half_pixel) form forces rois to >= 1 pixel */
    rw = rw > 1.0f ? rw : 1.0f;
    rh = rh > 1.0f ? rh : 1.0f;
  }
  g.bin_h = rh / (float)out_h, g.bin_w = rw / (float)out_w;
  g.grid_h = roi_grid(sampling_ratio, g.bin_h);
  g.grid_w = roi_grid(sampling_ratio, g.bin_w);
  return g;
}

double kk_image_roi_align_samples(const float *roi, int64_t out_h, int64_t out_w, int64_t sampling_ratio,
                                  float spatial_scale, int half_pixel) {
  roi_geom g = roi_geometry(roi, out_h, out_w, sampling_ratio, spatial_scale, half_pixel);
  return (double)g.grid_h * (double)g.grid_w;
}

void kk_image_roi_align_f32(const float *x, int64_t channels, int64_t height, int64_t width,
                            const float *rois, const int64_t *batch_indices, int64_t nrois,
                            int64_t out_h, int64_t out_w, int64_t sampling_ratio, float spatial_scale,
                            int half_pixel, int mode_max, float *y) {
  for (int64_t n = 0; n < nrois; n++) {
    roi_geom g = roi_geometry(rois + n * 4, out_h, out_w, sampling_ratio, spatial_scale, half_pixel);
    float x0 = g.x0, y0 = g.y0, bin_h = g.bin_h, bin_w = g.bin_w;
    int64_t grid_h = g.grid_h, grid_w = g.grid_w;
    float count = (float)(grid_h * grid_w > 1 ? grid_h * grid_w : 1);
    for (int64_t ch = 0; ch < channels; ch++) {
      const float *img = x + (batch_indices[n] * channels + ch) * height * width;
      float *yc = y + (n * channels + ch) * out_h * out_w;
      for (int64_t ph = 0; ph < out_h; ph++)
        for (int64_t pw = 0; pw < out_w; pw++) {
          float acc = 0;
          int have = 0;
          for (int64_t iy = 0; iy < grid_h; iy++) {
            float sy = y0 + (float)ph * bin_h + ((float)iy + 0.5f) * bin_h / (float)grid_h;
            for (int64_t ix = 0; ix < grid_w; ix++) {
              float sx = x0 + (float)pw * bin_w + ((float)ix + 0.5f) * bin_w / (float)grid_w;
              float v1 = 0, v2 = 0, v3 = 0, v4 = 0;
              /* samples beyond one pixel outside the map contribute zero */
              if (!(sy < -1.0f || sy > (float)height || sx < -1.0f || sx > (float)width)) {
                float yy = sy > 0 ? sy : 0, xx = sx > 0 ? sx : 0;
                int64_t ylo = (int64_t)yy, xlo = (int64_t)xx, yhi, xhi;
                if (ylo >= height - 1) yhi = ylo = height - 1, yy = (float)ylo;
                else yhi = ylo + 1;
                if (xlo >= width - 1) xhi = xlo = width - 1, xx = (float)xlo;
                else xhi = xlo + 1;
                float ly = yy - (float)ylo, lx = xx - (float)xlo, hy = 1 - ly, hx = 1 - lx;
                v1 = hy * hx * img[ylo * width + xlo], v2 = hy * lx * img[ylo * width + xhi];
                v3 = ly * hx * img[yhi * width + xlo], v4 = ly * lx * img[yhi * width + xhi];
              }
              if (mode_max) { /* ONNX Runtime's max: of the weighted corners, not of samples */
                float m = v1 > v2 ? v1 : v2;
                m = m > v3 ? m : v3;
                m = m > v4 ? m : v4;
                acc = have && acc > m ? acc : m;
                have = 1;
              } else {
                acc += v1 + v2 + v3 + v4;
              }
            }
          }
          yc[ph * out_w + pw] = mode_max ? acc : acc / count;
        }
    }
  }
}
