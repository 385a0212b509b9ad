/* resize_plan.c: see resize_plan.h. Resize is separable: each axis gets a
 * table of taps (source index and weight per output position) from the
 * kernel library's kk_image_resize_taps, and an axis whose taps copy it
 * unchanged needs no pass at all. With `sizes` the scale is out/in per axis
 * ("stretch") or one common scale (keep_aspect_ratio_policy), as the spec
 * defines. */
#include "resize_plan.h"
#include "k_image.h"
#include "ir.h"
#include <string.h>

static int str_index(const char *s, const char *const *list, int def) {
  for (int i = 0; list[i]; i++)
    if (strcmp(s, list[i]) == 0) return i;
  return def;
}

static bool taps_identity(const rs_axis *a) {
  if (a->in_len != a->out_len) return false;
  for (int64_t j = 0; j < a->out_len; j++) {
    if (a->outside[j]) return false;
    for (int64_t t = 0; t < a->ntaps; t++) {
      float w = a->w[j * a->ntaps + t];
      if (w != 0 && !(w == 1 && a->idx[j * a->ntaps + t] == j)) return false;
    }
  }
  return true;
}

static kn_status axis_scales(kn_ctx *kn, const ir_node *n, rs_plan *p, const kn_tensor *roi,
                             const kn_tensor *scales, const kn_tensor *sizes) {
  int rank = p->rank, axes[KN_MAX_RANK], naxes = rank;
  const ir_attr *aa = ir_attr_get(n, "axes");
  if (aa && aa->kind == IR_ATTR_INTS && aa->n <= rank) {
    naxes = aa->n;
    for (int i = 0; i < naxes; i++) {
      axes[i] = (int)(aa->ints[i] < 0 ? aa->ints[i] + rank : aa->ints[i]);
      if (axes[i] < 0 || axes[i] >= rank) return kn_fail(kn, KN_EINVAL, "axes[%d] is out of range", i);
    }
  } else {
    for (int i = 0; i < rank; i++) axes[i] = i;
  }
  rs_axis *ax = p->ax;
  if (scales) {
    if (kn_tensor_numel(scales) < naxes) return kn_fail(kn, KN_ESHAPE, "scales has fewer values than axes");
    for (int i = 0; i < naxes; i++) ax[axes[i]].scale = (float)kn_tensor_get_f64(scales, i);
  } else if (sizes) {
    if (kn_tensor_numel(sizes) < naxes) return kn_fail(kn, KN_ESHAPE, "sizes has fewer values than axes");
    static const char *const policies[] = {"stretch", "not_larger", "not_smaller", NULL};
    int policy = str_index(ir_attr_s(n, "keep_aspect_ratio_policy"), policies, 0);
    double common = policy == 1 ? 1e300 : 0;
    for (int i = 0; i < naxes; i++) {
      rs_axis *a = &ax[axes[i]];
      double r = a->in_len ? (double)kn_tensor_get_i64(sizes, i) / (double)a->in_len : 1.0;
      a->scale = r;
      common = policy == 1 ? (r < common ? r : common) : (r > common ? r : common);
    }
    if (policy != 0)
      for (int i = 0; i < naxes; i++) ax[axes[i]].scale = common;
  } else {
    return kn_fail(kn, KN_EINVAL, "one of scales or sizes is required");
  }
  for (int d = 0; d < rank; d++)
    if (!(ax[d].scale > 0)) return kn_fail(kn, KN_EINVAL, "scale of axis %d must be positive", d);
  if (p->ctm == KK_RESIZE_TF_CROP_AND_RESIZE) {
    if (!roi) return kn_fail(kn, KN_EINVAL, "tf_crop_and_resize needs the roi input");
    if (kn_tensor_numel(roi) != 2 * naxes)
      return kn_fail(kn, KN_ESHAPE, "roi has %lld values, expected %d", (long long)kn_tensor_numel(roi), 2 * naxes);
    for (int i = 0; i < naxes; i++) {
      ax[axes[i]].roi_start = kn_tensor_get_f64(roi, i);
      ax[axes[i]].roi_end = kn_tensor_get_f64(roi, naxes + i);
    }
  }
  return KN_OK;
}

kn_status rs_plan_make(kn_ctx *kn, const ir_node *n, int rank, const int64_t *xdims, const int64_t *ydims,
                       const kn_tensor *roi, const kn_tensor *scales, const kn_tensor *sizes, uint64_t max_taps,
                       rs_plan *p) {
  static const char *const modes[] = {"nearest", "linear", "cubic", NULL};
  static const char *const ctms[] = {"half_pixel",   "half_pixel_symmetric", "pytorch_half_pixel",
                                     "align_corners", "asymmetric",          "tf_crop_and_resize",
                                     "tf_half_pixel_for_nn", NULL};
  static const char *const nearest[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil", NULL};
  memset(p, 0, sizeof *p);
  if (rank < 0 || rank > KN_MAX_RANK) return kn_fail(kn, KN_ESHAPE, "rank %d is out of range", rank);
  p->rank = rank;
  p->mode = str_index(ir_attr_s(n, "mode"), modes, 0);
  p->ctm = str_index(ir_attr_s(n, "coordinate_transformation_mode"), ctms, 0);
  p->nmode = str_index(ir_attr_s(n, "nearest_mode"), nearest, 0);
  p->extrap = ir_attr_f(n, "extrapolation_value");
  const int antialias = ir_attr_i(n, "antialias") != 0, exclude = ir_attr_i(n, "exclude_outside") != 0;
  const float cubic_a = ir_attr_f(n, "cubic_coeff_a");
  for (int d = 0; d < rank; d++) {
    p->ax[d].in_len = xdims[d];
    p->ax[d].out_len = ydims[d];
    p->ax[d].scale = 1.0, p->ax[d].roi_start = 0.0, p->ax[d].roi_end = 1.0;
  }
  kn_status st = axis_scales(kn, n, p, roi, scales, sizes);
  for (int d = 0; d < rank && st == KN_OK; d++) {
    rs_axis *a = &p->ax[d];
    a->ntaps = kk_image_resize_ntaps(p->mode, antialias, a->scale);
    if (a->ntaps < 1 || (uint64_t)a->ntaps * (uint64_t)a->out_len > max_taps) {
      st = kn_fail(kn, KN_ELIMIT, "resize filter of axis %d is too wide", d);
      break;
    }
    size_t nt = (size_t)(a->ntaps * a->out_len);
    a->idx = kn_aligned_alloc(nt * sizeof *a->idx);
    a->w = kn_aligned_alloc(nt * sizeof *a->w);
    a->outside = kn_aligned_alloc((size_t)a->out_len + 1);
    if (!a->idx || !a->w || !a->outside) {
      st = kn_fail(kn, KN_ENOMEM, "out of memory for resize taps");
      break;
    }
    kk_image_resize_taps(p->mode, p->ctm, p->nmode, cubic_a, exclude, antialias, a->in_len, a->out_len, a->scale,
                         a->roi_start, a->roi_end, a->ntaps, a->idx, a->w, a->outside);
    a->identity = taps_identity(a);
  }
  if (st != KN_OK) rs_plan_free(p);
  return st;
}

void rs_plan_free(rs_plan *p) {
  for (int d = 0; d < KN_MAX_RANK; d++) {
    kn_aligned_free(p->ax[d].idx);
    kn_aligned_free(p->ax[d].w);
    kn_aligned_free(p->ax[d].outside);
    p->ax[d].idx = NULL, p->ax[d].w = NULL, p->ax[d].outside = NULL;
  }
}
