/* infer_nchwc.c: shape inference for the blocked-layout ops of
 * passes/layout_nchwc.c. A blocked tensor is 5-D [N, ceil(C/b), H, W, b] f32;
 * the block b is its last dim, and the true channel count C (which the
 * padding hides) is the `channels` attribute of the ops that need it
 * (FromNCHWc, ConvNCHWc). The window geometry is the same function as Conv's
 * and the pools' (ir_nn_window), so the blocked ops and the ops they replace
 * cannot disagree on output sizes. */
#include "ir.h"
#include <string.h>

static int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

/* Input i must be an f32 blocked tensor; *block its last dim (when known). */
static kn_status need_blocked(ir_infer_ctx *c, int i, int64_t *block) {
  KN_TRY(ir_infer_need_rank(c, i));
  const ir_type *t = c->in[i];
  if (t->dtype != KN_F32 || t->rank != 5)
    return ir_infer_fail(c, KN_ESHAPE, "input %d must be a blocked f32 [N, C/b, H, W, b] tensor, got rank %d %s", i,
                         t->rank, kn_dtype_name(t->dtype));
  *block = t->dims[4];
  if (*block == 0) return ir_infer_fail(c, KN_ESHAPE, "input %d has block 0", i);
  return KN_OK;
}

kn_status ir_infer_to_nchwc(ir_infer_ctx *c) {
  KN_TRY(ir_infer_need_rank(c, 0));
  const ir_type *x = c->in[0];
  const int64_t b = ir_attr_int(c->node, "block", 0);
  if (x->dtype != KN_F32 || x->rank != 4)
    return ir_infer_fail(c, KN_ESHAPE, "input must be f32 [N, C, H, W], got rank %d %s", x->rank, kn_dtype_name(x->dtype));
  if (b < 1 || b > 64) return ir_infer_fail(c, KN_EINVAL, "bad block %lld", (long long)b);
  ir_type *y = &c->out[0];
  *y = *x;
  y->rank = 5;
  y->dims[1] = x->dims[1] >= 0 ? ceil_div(x->dims[1], b) : ir_infer_unknown_dim(c);
  y->dims[2] = x->dims[2];
  y->dims[3] = x->dims[3];
  y->dims[4] = b;
  return KN_OK;
}

kn_status ir_infer_from_nchwc(ir_infer_ctx *c) {
  int64_t b;
  KN_TRY(need_blocked(c, 0, &b));
  const ir_type *x = c->in[0];
  const int64_t C = ir_attr_int(c->node, "channels", -1);
  if (C < 1) return ir_infer_fail(c, KN_EINVAL, "needs a positive `channels` attribute");
  if (b > 0 && x->dims[1] >= 0 && ceil_div(C, b) != x->dims[1])
    return ir_infer_fail(c, KN_ESHAPE, "%lld channels do not fill %lld blocks of %lld", (long long)C,
                         (long long)x->dims[1], (long long)b);
  ir_type *y = &c->out[0];
  *y = *x;
  y->rank = 4;
  y->dims[1] = C;
  return KN_OK;
}

/* Output spatial dims of a blocked window op (wkernel NULL for pools). */
static kn_status blocked_window(ir_infer_ctx *c, const int64_t *wkernel, ir_type *y) {
  const ir_type *x = c->in[0];
  int64_t stride[2], dil[2], pb[2], pe[2], out[2];
  KN_TRY(ir_nn_window(c->kn, c->node, 2, x->dims + 2, wkernel, stride, dil, pb, pe, out));
  for (int i = 0; i < 2; i++) y->dims[2 + i] = out[i] >= 0 ? out[i] : ir_infer_unknown_dim(c);
  return KN_OK;
}

kn_status ir_infer_conv_nchwc(ir_infer_ctx *c) {
  int64_t b;
  KN_TRY(need_blocked(c, 0, &b));
  KN_TRY(ir_infer_need_rank(c, 1));
  const ir_type *x = c->in[0], *w = c->in[1];
  const int64_t M = ir_attr_int(c->node, "channels", -1), group = ir_attr_i(c->node, "group");
  if (M < 1) return ir_infer_fail(c, KN_EINVAL, "needs a positive `channels` attribute");
  if (b < 1) return ir_infer_fail(c, KN_ESHAPE, "the input's block must be known");
  const int64_t Mb = ceil_div(M, b);
  const bool depthwise = group != 1;
  if (depthwise && group != M) return ir_infer_fail(c, KN_EINVAL, "group must be 1 or the channel count (depthwise)");
  const int wrank = depthwise ? 4 : 6;
  if (w->dtype != KN_F32 || w->rank != wrank)
    return ir_infer_fail(c, KN_ESHAPE, "packed weights must be f32 of rank %d", wrank);
  const int64_t *k = depthwise ? w->dims + 1 : w->dims + 2;
  bool ok = depthwise ? w->dims[0] == Mb && w->dims[3] == b && x->dims[1] == Mb
                      : w->dims[0] == Mb && w->dims[4] == b && w->dims[5] == b && (x->dims[1] < 0 || w->dims[1] == x->dims[1]);
  if (!ok) return ir_infer_fail(c, KN_ESHAPE, "packed weights do not match the input's blocks or `channels`");
  if (c->nin > 2 && c->in[2]) {
    const ir_type *bias = c->in[2];
    if (bias->dtype != KN_F32 || bias->rank != 1 || bias->dims[0] != Mb * b)
      return ir_infer_fail(c, KN_ESHAPE, "bias must be f32 [%lld]", (long long)(Mb * b));
  }
  const char *act = ir_attr_str(c->node, "activation", "");
  if (act[0] && strcmp(act, "Relu") != 0)
    return ir_infer_fail(c, KN_EINVAL, "unknown activation '%s'", act);
  ir_type *y = &c->out[0];
  *y = *x;
  y->dims[1] = Mb;
  return blocked_window(c, k, y);
}

kn_status ir_infer_pool_nchwc(ir_infer_ctx *c) {
  int64_t b;
  KN_TRY(need_blocked(c, 0, &b));
  const char *mode = ir_attr_str(c->node, "mode", "");
  ir_type *y = &c->out[0];
  *y = *c->in[0];
  if (!strcmp(mode, "global_avg")) {
    y->dims[2] = y->dims[3] = 1;
    return KN_OK;
  }
  if (!strcmp(mode, "max") || !strcmp(mode, "avg")) return blocked_window(c, NULL, y);
  return ir_infer_fail(c, KN_EINVAL, "unknown pool mode '%s'", mode);
}
