/* exec_image.c: reference-executor adapters of the image family (Resize,
 * NonMaxSuppression, RoiAlign). They turn attributes and small parameter
 * inputs into kernel arguments: Resize builds one tap table per axis and runs
 * one separable pass per axis that is not an identity, ping-ponging between
 * two scratch buffers; NonMaxSuppression runs into a worst-case buffer and
 * then allocates its data-dependent output. Output shapes come from
 * ir_infer_resize/infer_nms/infer_roi_align, which already validated attributes. */
#include "k_image.h"
#include "ref.h"
#include "resize_plan.h"
#include <stdio.h>
#include <string.h>

/* ---- Resize: the plan is resize_plan.c's ---- */

/* the extrapolation value as raw bits of dtype (for the gather kernels) */
static uint64_t value_bits(int dtype, double v) {
  uint64_t bits = 0;
  kn_tensor t = {.dtype = dtype, .rank = 0, .data = &bits, .nbytes = 8};
  kn_tensor_set_f64(&t, 0, v);
  return bits;
}

static void resize_pass(int mode, size_t esz, const void *src, void *dst, int64_t outer, const rs_axis *a,
                        int64_t inner, float extrapolation, uint64_t ebits) {
  if (mode != KK_RESIZE_NEAREST) {
    kk_image_resize_axis_f32(src, dst, outer, a->in_len, a->out_len, inner, a->ntaps, a->idx, a->w, a->outside,
                             extrapolation);
    return;
  }
  switch (esz) {
  case 1: kk_image_resize_gather_u8(src, dst, outer, a->in_len, a->out_len, inner, a->idx, a->outside, (uint8_t)ebits); break;
  case 2: kk_image_resize_gather_u16(src, dst, outer, a->in_len, a->out_len, inner, a->idx, a->outside, (uint16_t)ebits); break;
  case 4: kk_image_resize_gather_u32(src, dst, outer, a->in_len, a->out_len, inner, a->idx, a->outside, (uint32_t)ebits); break;
  default: kk_image_resize_gather_u64(src, dst, outer, a->in_len, a->out_len, inner, a->idx, a->outside, ebits); break;
  }
}

/* Runs the passes from xdata (dtype-sized elements, f32 for linear/cubic) into ydata. */
static kn_status resize_run(ref_ctx *c, rs_axis *ax, int rank, int mode, size_t esz, const void *xdata,
                            void *ydata, float extrapolation, uint64_t ebits) {
  int passes[KN_MAX_RANK], np = 0;
  for (int d = 0; d < rank; d++)
    if (!ax[d].identity) passes[np++] = d;
  int64_t xn = kn_dims_numel(rank, c->in[0]->dims);
  if (np == 0) {
    memcpy(ydata, xdata, (size_t)xn * esz);
    return KN_OK;
  }
  /* intermediates: dims already resized before pass p, original after */
  int64_t cur[KN_MAX_RANK], maxmid = 0;
  for (int d = 0; d < rank; d++) cur[d] = ax[d].in_len;
  for (int p = 0; p + 1 < np; p++) {
    cur[passes[p]] = ax[passes[p]].out_len;
    int64_t n = kn_dims_numel(rank, cur);
    if (n < 0 || (uint64_t)n > ((uint64_t)1 << 40) / esz) return ref_fail(c, KN_ELIMIT, "intermediate too large");
    if (n > maxmid) maxmid = n;
  }
  void *buf[2] = {NULL, NULL};
  if (np > 1) {
    buf[0] = kn_aligned_alloc((size_t)maxmid * esz);
    buf[1] = np > 2 ? kn_aligned_alloc((size_t)maxmid * esz) : NULL;
    if (!buf[0] || (np > 2 && !buf[1])) {
      kn_aligned_free(buf[0]), kn_aligned_free(buf[1]);
      return ref_fail(c, KN_ENOMEM, "out of memory for resize intermediates");
    }
  }
  for (int d = 0; d < rank; d++) cur[d] = ax[d].in_len;
  const void *src = xdata;
  for (int p = 0; p < np; p++) {
    int d = passes[p];
    int64_t outer = kn_dims_numel(d, cur), inner = kn_dims_numel(rank - d - 1, cur + d + 1);
    void *dst = p == np - 1 ? ydata : buf[p & 1];
    resize_pass(mode, esz, src, dst, outer, &ax[d], inner, extrapolation, ebits);
    cur[d] = ax[d].out_len;
    src = dst;
  }
  kn_aligned_free(buf[0]), kn_aligned_free(buf[1]);
  return KN_OK;
}

static const kn_tensor *param(const ref_ctx *c, int i) {
  return i < c->nin && c->in[i] && kn_tensor_numel(c->in[i]) > 0 ? c->in[i] : NULL;
}

kn_status ref_exec_Resize(ref_ctx *c) {
  const kn_tensor *x = c->in[0];
  kn_tensor *y = &c->out[0];
  if (y->rank != x->rank) return ref_fail(c, KN_EINTERNAL, "output shape was not inferred");
  int dt = x->dtype;
  size_t esz = kn_dtype_size(dt);
  int64_t yn = kn_tensor_numel(y), xn = kn_tensor_numel(x);
  if (yn == 0) return KN_OK;
  if (xn == 0) return ref_fail(c, KN_ESHAPE, "cannot resize an empty tensor to a non-empty one");
  rs_plan p;
  kn_status st = rs_plan_make(c->kn, c->node, x->rank, x->dims, y->dims, param(c, 1), param(c, 2), param(c, 3),
                              (uint64_t)1 << 30, &p);
  if (st != KN_OK) { /* name the node in the message */
    char why[256];
    snprintf(why, sizeof why, "%s", kn_errmsg(c->kn));
    return ref_fail(c, st, "%s", why);
  }
  const int mode = p.mode;
  const float extrap = p.extrap;
  if (mode == KK_RESIZE_NEAREST ? (esz != 1 && esz != 2 && esz != 4 && esz != 8)
                                : (dt != KN_F32 && dt != KN_F64 && dt != KN_F16 && dt != KN_BF16))
    st = ref_unsupported_dtype(c, dt);
  else if (mode == KK_RESIZE_NEAREST || dt == KN_F32) {
    st = resize_run(c, p.ax, p.rank, mode, mode == KK_RESIZE_NEAREST ? esz : 4, x->data, y->data, extrap,
                    value_bits(dt, extrap));
  } else { /* other float types interpolate in f32 */
    float *xf = kn_aligned_alloc((size_t)xn * 4), *yf = kn_aligned_alloc((size_t)yn * 4);
    if (!xf || !yf) st = ref_fail(c, KN_ENOMEM, "out of memory");
    for (int64_t i = 0; st == KN_OK && i < xn; i++) xf[i] = (float)kn_tensor_get_f64(x, i);
    if (st == KN_OK) st = resize_run(c, p.ax, p.rank, mode, 4, xf, yf, extrap, 0);
    for (int64_t i = 0; st == KN_OK && i < yn; i++) kn_tensor_set_f64(y, i, yf[i]);
    kn_aligned_free(xf), kn_aligned_free(yf);
  }
  rs_plan_free(&p);
  return st;
}

/* ---- NonMaxSuppression ---- */

kn_status ref_exec_NonMaxSuppression(ref_ctx *c) {
  const kn_tensor *boxes = c->in[0], *scores = c->in[1];
  if (boxes->dtype != KN_F32) return ref_unsupported_dtype(c, boxes->dtype);
  if (scores->dtype != KN_F32) return ref_unsupported_dtype(c, scores->dtype);
  int64_t nb = boxes->dims[0], n = boxes->dims[1], nc = scores->dims[1];
  int64_t max_out = 0;
  float iou = 0, score_thr = 0;
  const kn_tensor *p;
  if (c->nin > 2 && (p = c->in[2]) && kn_tensor_numel(p) > 0) max_out = kn_tensor_get_i64(p, 0);
  if (c->nin > 3 && (p = c->in[3]) && kn_tensor_numel(p) > 0) iou = (float)kn_tensor_get_f64(p, 0);
  int has_score = c->nin > 4 && c->in[4] && kn_tensor_numel(c->in[4]) > 0;
  if (has_score) score_thr = (float)kn_tensor_get_f64(c->in[4], 0);
  if (!(iou >= 0 && iou <= 1)) return ref_fail(c, KN_EINVAL, "iou_threshold %g must be in [0, 1]", iou);
  if (max_out < 0) max_out = 0;
  if (max_out > n) max_out = n;
  int center = ir_attr_i(c->node, "center_point_box") != 0;

  int64_t cap = kn_dims_numel(3, (int64_t[]){nb, nc, max_out});
  if (cap < 0 || (uint64_t)cap > ((uint64_t)1 << 36)) return ref_fail(c, KN_ELIMIT, "too many candidate boxes");
  int64_t *sel = kn_aligned_alloc((size_t)cap * 3 * sizeof *sel);
  int64_t *scratch = kn_aligned_alloc((size_t)n * 3 * sizeof *scratch);
  kn_status st = KN_OK;
  if (!sel || !scratch) st = ref_fail(c, KN_ENOMEM, "out of memory");
  int64_t count = 0;
  if (st == KN_OK && cap > 0)
    count = kk_image_nms_f32(boxes->data, scores->data, nb, nc, n, max_out, iou, has_score, score_thr, center, sel,
                             cap, scratch);
  if (st == KN_OK) {
    int64_t dims[2] = {count, 3};
    if (c->out[0].rank < 0 || c->out[0].dims[0] != count) st = ref_alloc_out(c, 0, KN_I64, 2, dims);
    if (st == KN_OK && count) memcpy(c->out[0].data, sel, (size_t)count * 3 * sizeof *sel);
  }
  kn_aligned_free(sel), kn_aligned_free(scratch);
  return st;
}

/* ---- RoiAlign ---- */

kn_status ref_exec_RoiAlign(ref_ctx *c) {
  const kn_tensor *x = c->in[0], *rois = c->in[1], *bi = c->in[2];
  kn_tensor *y = &c->out[0];
  if (x->dtype != KN_F32) return ref_unsupported_dtype(c, x->dtype);
  if (bi->dtype != KN_I64) return ref_unsupported_dtype(c, bi->dtype);
  int64_t nrois = rois->dims[0];
  for (int64_t i = 0; i < nrois; i++) {
    int64_t b = ((const int64_t *)bi->data)[i];
    if (b < 0 || b >= x->dims[0])
      return ref_fail(c, KN_EINVAL, "batch_indices[%lld] = %lld is outside [0, %lld)", (long long)i, (long long)b,
                      (long long)x->dims[0]);
  }
  if (kn_tensor_numel(y) == 0) return KN_OK;
  if (x->dims[2] == 0 || x->dims[3] == 0) return ref_fail(c, KN_ESHAPE, "RoiAlign over an empty feature map");
  int mode_max = strcmp(ir_attr_s(c->node, "mode"), "max") == 0;
  int half_pixel =
      strcmp(ir_attr_s(c->node, "coordinate_transformation_mode"), "output_half_pixel") != 0;
  int64_t ratio = ir_attr_i(c->node, "sampling_ratio");
  float scale = ir_attr_f(c->node, "spatial_scale");
  /* adaptive sampling follows the roi size: a huge roi would mean endless work */
  double work = 0, per_roi = (double)x->dims[1] * (double)y->dims[2] * (double)y->dims[3];
  for (int64_t i = 0; i < nrois; i++)
    work += per_roi * kk_image_roi_align_samples((const float *)rois->data + i * 4, y->dims[2], y->dims[3], ratio,
                                                 scale, half_pixel);
  if (work > 1e11) return ref_fail(c, KN_ELIMIT, "rois need %.3g bilinear samples; refusing", work);
  kk_image_roi_align_f32(x->data, x->dims[1], x->dims[2], x->dims[3], rois->data, bi->data, nrois, y->dims[2],
                         y->dims[3], ratio, scale, half_pixel, mode_max, y->data);
  return KN_OK;
}
