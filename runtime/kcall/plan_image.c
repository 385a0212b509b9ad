/* plan_image.c: the kernel-call plan (kcall.h) of RoiAlign (f32 data and
 * rois, int64 batch indices, as the reference adapter takes them): sizes
 * and attributes; the thunk checks the run-time values. */
#include "plan_cvt.h"
#include <string.h>

kn_status kc_plan_RoiAlign(kn_ctx *kn, const ir_graph *g, const ir_node *n, kc_plan *p) {
  const ir_type *x = kc_in(g, n, 0), *r = kc_in(g, n, 1), *bi = kc_in(g, n, 2), *y = kc_out(g, n, 0);
  if (!kc_concrete(x) || !kc_concrete(r) || !kc_concrete(bi) || !kc_concrete(y) || x->dtype != KN_F32 ||
      r->dtype != KN_F32 || bi->dtype != KN_I64 || y->dtype != KN_F32)
    return kc_decline(kn, n, "RoiAlign needs static f32 data and rois, int64 batch indices");
  if (x->rank != 4 || r->rank != 2 || r->dims[1] != 4 || ir_type_numel(bi) != r->dims[0] || y->rank != 4 ||
      y->dims[0] != r->dims[0] || y->dims[1] != x->dims[1])
    return kc_decline(kn, n, "RoiAlign's shapes do not match");
  if (ir_type_numel(y) > 0 && (x->dims[2] == 0 || x->dims[3] == 0)) return kc_decline(kn, n, "an empty feature map");
  kk_roi_align_params *q = kc_params(kn, p, "kk_call_roi_align", sizeof *q);
  if (!q) return KN_ENOMEM;
  *q = (kk_roi_align_params){
      .N = x->dims[0], .C = x->dims[1], .H = x->dims[2], .W = x->dims[3], .nrois = r->dims[0],
      .out_h = y->dims[2], .out_w = y->dims[3], .ratio = ir_attr_i(n, "sampling_ratio"),
      .scale = ir_attr_f(n, "spatial_scale"),
      .half_pixel = strcmp(ir_attr_s(n, "coordinate_transformation_mode"), "output_half_pixel") != 0,
      .mode_max = strcmp(ir_attr_s(n, "mode"), "max") == 0};
  return KN_OK;
}
