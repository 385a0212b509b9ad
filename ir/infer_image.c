/* ir_infer_image.c: shape/dtype inference for the image family (Resize,
 * NonMaxSuppression, RoiAlign). Resize's output dims come from its scales or
 * sizes input, so they are exact whenever that value is known (always at run
 * time) and fresh unknown dims otherwise. NonMaxSuppression's row count is
 * data-dependent: left unknown so the executor lets the kernel allocate. */
#include "ir.h"
#include <math.h>
#include <string.h>

static bool str_in(const char *s, const char *const *list) {
  for (; *list; list++)
    if (strcmp(s, *list) == 0) return true;
  return false;
}

/* present and not a zero-length placeholder (old files pass "" roi/scales as empty constants) */
static bool input_nonempty(ir_infer_ctx *c, int i, bool *known) {
  *known = true;
  if (i >= c->nin || !c->in[i]) return false;
  if (c->val[i]) return kn_tensor_numel(c->val[i]) > 0;
  const ir_type *t = c->in[i];
  if (t->rank == 1 && t->dims[0] == 0) return false;
  *known = false; /* a runtime value: present, length maybe unknown */
  return true;
}

/* Resolves the axes attribute into distinct normalized axes (all axes if absent). */
static kn_status resize_axes(ir_infer_ctx *c, int rank, int *axes, int *naxes) {
  const ir_attr *a = ir_attr_get(c->node, "axes");
  if (!a) {
    for (int i = 0; i < rank; i++) axes[i] = i;
    *naxes = rank;
    return KN_OK;
  }
  if (a->kind != IR_ATTR_INTS || a->n > rank)
    return ir_infer_fail(c, KN_EINVAL, "axes must be a list of at most %d ints", rank);
  bool seen[KN_MAX_RANK] = {false};
  for (int i = 0; i < a->n; i++) {
    KN_TRY(ir_infer_axis(c, a->ints[i], rank, &axes[i]));
    if (seen[axes[i]]) return ir_infer_fail(c, KN_EINVAL, "axis %d is repeated in axes", axes[i]);
    seen[axes[i]] = true;
  }
  *naxes = a->n;
  return KN_OK;
}

kn_status ir_infer_resize(ir_infer_ctx *c) {
  static const char *const modes[] = {"nearest", "linear", "cubic", NULL};
  static const char *const ctms[] = {"half_pixel",   "half_pixel_symmetric", "pytorch_half_pixel",
                                     "align_corners", "asymmetric",          "tf_crop_and_resize",
                                     "tf_half_pixel_for_nn", NULL};
  static const char *const nearest[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil", NULL};
  static const char *const policies[] = {"stretch", "not_larger", "not_smaller", NULL};
  const char *mode = ir_attr_s(c->node, "mode");
  if (!str_in(mode, modes)) return ir_infer_fail(c, KN_EINVAL, "unknown mode '%s'", mode);
  const char *ctm = ir_attr_s(c->node, "coordinate_transformation_mode");
  if (!str_in(ctm, ctms))
    return ir_infer_fail(c, KN_EINVAL, "unknown coordinate_transformation_mode '%s'", ctm);
  const char *nm = ir_attr_s(c->node, "nearest_mode");
  if (!str_in(nm, nearest)) return ir_infer_fail(c, KN_EINVAL, "unknown nearest_mode '%s'", nm);
  const char *policy = ir_attr_s(c->node, "keep_aspect_ratio_policy");
  if (!str_in(policy, policies))
    return ir_infer_fail(c, KN_EINVAL, "unknown keep_aspect_ratio_policy '%s'", policy);

  KN_TRY(ir_infer_need_rank(c, 0));
  const ir_type *x = c->in[0];
  int rank = x->rank;
  ir_type *out = &c->out[0];
  out->dtype = x->dtype;
  out->rank = rank;
  int axes[KN_MAX_RANK], naxes;
  KN_TRY(resize_axes(c, rank, axes, &naxes));

  bool scales_known, sizes_known;
  bool has_scales = input_nonempty(c, 2, &scales_known), has_sizes = input_nonempty(c, 3, &sizes_known);
  if (scales_known && sizes_known && has_scales == has_sizes)
    return ir_infer_fail(c, KN_EINVAL, has_scales ? "only one of scales and sizes may be given"
                                                  : "one of scales or sizes is required");
  for (int i = 0; i < rank; i++) out->dims[i] = x->dims[i];
  bool resized[KN_MAX_RANK] = {false};
  for (int i = 0; i < naxes; i++) resized[axes[i]] = true;

  if (has_scales && c->val[2]) {
    const kn_tensor *s = c->val[2];
    if (!kn_dtype_is_float(s->dtype)) return ir_infer_fail(c, KN_ETYPE, "scales must be a float tensor");
    if (kn_tensor_numel(s) != naxes)
      return ir_infer_fail(c, KN_ESHAPE, "scales has %lld values, expected %d",
                           (long long)kn_tensor_numel(s), naxes);
    for (int i = 0; i < naxes; i++) {
      double sc = (float)kn_tensor_get_f64(s, i), d = (double)x->dims[axes[i]];
      if (!(sc > 0) || !isfinite(sc)) return ir_infer_fail(c, KN_EINVAL, "scale %g must be positive", sc);
      if (IR_DIM_IS_SYM(x->dims[axes[i]])) {
        if (sc != 1.0) out->dims[axes[i]] = ir_infer_unknown_dim(c);
        continue;
      }
      if (d * sc > 1e15) return ir_infer_fail(c, KN_ESHAPE, "scale %g makes dim %d absurdly large", sc, axes[i]);
      out->dims[axes[i]] = (int64_t)floor(d * sc);
    }
    return KN_OK;
  }
  if (has_sizes && c->val[3]) {
    const kn_tensor *s = c->val[3];
    if (!kn_dtype_is_int(s->dtype))
      return ir_infer_fail(c, KN_ETYPE, "sizes must be an int64 tensor");
    if (kn_tensor_numel(s) != naxes)
      return ir_infer_fail(c, KN_ESHAPE, "sizes has %lld values, expected %d",
                           (long long)kn_tensor_numel(s), naxes);
    int64_t sz[KN_MAX_RANK];
    for (int i = 0; i < naxes; i++) {
      sz[i] = kn_tensor_get_i64(s, i);
      if (sz[i] < 0) return ir_infer_fail(c, KN_EINVAL, "sizes[%d] = %lld is negative", i, (long long)sz[i]);
    }
    if (strcmp(policy, "stretch") == 0) {
      for (int i = 0; i < naxes; i++) out->dims[axes[i]] = sz[i];
      return KN_OK;
    }
    /* one common scale keeps the aspect ratio; every resized dim is needed for it */
    double scale = strcmp(policy, "not_larger") == 0 ? INFINITY : 0;
    for (int i = 0; i < naxes; i++) {
      int64_t d = x->dims[axes[i]];
      if (IR_DIM_IS_SYM(d) || d == 0) {
        for (int k = 0; k < naxes; k++) out->dims[axes[k]] = ir_infer_unknown_dim(c);
        if (d == 0) return ir_infer_fail(c, KN_ESHAPE, "cannot keep the aspect ratio of an empty dim");
        return KN_OK;
      }
      double r = (double)sz[i] / (double)d;
      scale = strcmp(policy, "not_larger") == 0 ? fmin(scale, r) : fmax(scale, r);
    }
    for (int i = 0; i < naxes; i++) {
      double v = rint(scale * (double)x->dims[axes[i]]); /* numpy round: half to even */
      if (v > 1e15) return ir_infer_fail(c, KN_ESHAPE, "sizes make dim %d absurdly large", axes[i]);
      out->dims[axes[i]] = (int64_t)v;
    }
    return KN_OK;
  }
  /* value not known yet: resized dims are unknown, the rest pass through */
  for (int i = 0; i < rank; i++)
    if (resized[i]) out->dims[i] = ir_infer_unknown_dim(c);
  return KN_OK;
}

kn_status ir_infer_nms(ir_infer_ctx *c) {
  KN_TRY(ir_infer_need_rank(c, 0));
  KN_TRY(ir_infer_need_rank(c, 1));
  const ir_type *b = c->in[0], *s = c->in[1];
  if (b->rank != 3 || s->rank != 3)
    return ir_infer_fail(c, KN_ESHAPE, "boxes must be [B,N,4] and scores [B,C,N], got ranks %d and %d",
                         b->rank, s->rank);
  if (b->dims[2] >= 0 && b->dims[2] != 4)
    return ir_infer_fail(c, KN_ESHAPE, "boxes' last dim must be 4, got %lld", (long long)b->dims[2]);
  if (b->dims[0] >= 0 && s->dims[0] >= 0 && b->dims[0] != s->dims[0])
    return ir_infer_fail(c, KN_ESHAPE, "boxes have %lld batches but scores %lld", (long long)b->dims[0],
                         (long long)s->dims[0]);
  if (b->dims[1] >= 0 && s->dims[2] >= 0 && b->dims[1] != s->dims[2])
    return ir_infer_fail(c, KN_ESHAPE, "boxes have %lld boxes but scores %lld", (long long)b->dims[1],
                         (long long)s->dims[2]);
  int64_t cpb = ir_attr_i(c->node, "center_point_box");
  if (cpb != 0 && cpb != 1) return ir_infer_fail(c, KN_EINVAL, "center_point_box must be 0 or 1");
  c->out[0].dtype = KN_I64;
  c->out[0].rank = 2;
  c->out[0].dims[1] = 3;
  /* the selection count is data-dependent, except when nothing can be selected:
   * no limit input, a limit <= 0, or no boxes at all */
  bool none = c->nin <= 2 || !c->in[2] || kn_dims_numel(3, s->dims) == 0;
  if (!none && c->val[2] && kn_tensor_numel(c->val[2]) == 1) none = kn_tensor_get_i64(c->val[2], 0) <= 0;
  c->out[0].dims[0] = none ? 0 : ir_infer_unknown_dim(c);
  return KN_OK;
}

kn_status ir_infer_roi_align(ir_infer_ctx *c) {
  for (int i = 0; i < 3; i++) KN_TRY(ir_infer_need_rank(c, i));
  const ir_type *x = c->in[0], *r = c->in[1], *bi = c->in[2];
  if (x->rank != 4) return ir_infer_fail(c, KN_ESHAPE, "X must be 4-D [N,C,H,W], got rank %d", x->rank);
  if (r->rank != 2 || (r->dims[1] >= 0 && r->dims[1] != 4))
    return ir_infer_fail(c, KN_ESHAPE, "rois must be [num_rois, 4]");
  if (bi->rank != 1) return ir_infer_fail(c, KN_ESHAPE, "batch_indices must be 1-D");
  if (r->dims[0] >= 0 && bi->dims[0] >= 0 && r->dims[0] != bi->dims[0])
    return ir_infer_fail(c, KN_ESHAPE, "%lld rois but %lld batch indices", (long long)r->dims[0],
                         (long long)bi->dims[0]);
  if (r->dtype != x->dtype) return ir_infer_fail(c, KN_ETYPE, "rois must have X's dtype");
  if (!kn_dtype_is_int(bi->dtype)) return ir_infer_fail(c, KN_ETYPE, "batch_indices must be int64");
  int64_t oh = ir_attr_i(c->node, "output_height"), ow = ir_attr_i(c->node, "output_width");
  if (oh < 1 || ow < 1 || oh > (1 << 24) || ow > (1 << 24))
    return ir_infer_fail(c, KN_EINVAL, "output_height/width must be positive, got %lld x %lld",
                         (long long)oh, (long long)ow);
  if (ir_attr_i(c->node, "sampling_ratio") < 0)
    return ir_infer_fail(c, KN_EINVAL, "sampling_ratio must be >= 0");
  const char *mode = ir_attr_s(c->node, "mode");
  if (strcmp(mode, "avg") != 0 && strcmp(mode, "max") != 0)
    return ir_infer_fail(c, KN_EINVAL, "unknown mode '%s'", mode);
  const char *ctm = ir_attr_s(c->node, "coordinate_transformation_mode");
  if (strcmp(ctm, "half_pixel") != 0 && strcmp(ctm, "output_half_pixel") != 0)
    return ir_infer_fail(c, KN_EINVAL, "unknown coordinate_transformation_mode '%s'", ctm);
  ir_type *o = &c->out[0];
  o->dtype = x->dtype;
  o->rank = 4;
  o->dims[0] = r->dims[0] >= 0 ? r->dims[0] : bi->dims[0];
  o->dims[1] = x->dims[1];
  o->dims[2] = oh;
  o->dims[3] = ow;
  return KN_OK;
}
