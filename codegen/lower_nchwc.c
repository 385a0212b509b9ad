/* lower_nchwc.c: the blocked-layout ops of passes/layout_nchwc.c on the
 * kernel library (runtime/kernels/nchwc.c, pool.c), every size a constant:
 *  - ConvNCHWc: the direct convolution of the node's block width (4, 8, 16
 *    floats), over output rows (image, output block, oh) split across the
 *    thread pool when the work is worth it; bias and Relu in its epilogue;
 *  - ToNCHWc / FromNCHWc: per (image, channel block) plane, split likewise;
 *  - PoolNCHWc: the generic pool kernels with the lanes as a third spatial
 *    dim of window 1 (k_nchwc.h).
 * A row or plane is computed by the same code whichever thread runs it, so
 * results do not depend on --threads. */
#include "k_nchwc.h"
#include "lower_gemm.h"
#include <stdio.h>
#include <string.h>

#define MAX_PTRS 4

/* Calls kernel(lead..., ptrs..., begin, end) over items [0, n): through a
 * generated body `void (ptr ctx, i64 begin, i64 end)` that reads the
 * pointers from ctx, run by the pool when `flops` is worth waking it. */
static void emit_rows(cg_ctx *c, LLVMValueRef kernel, LLVMValueRef *lead, int nlead, const LLVMValueRef *ptrs,
                      int nptr, int64_t n, double flops) {
  char label[64], name[96];
  snprintf(name, sizeof name, "kiln_%s_rows", cg_node_label(c, label, sizeof label));
  LLVMBuilderRef b;
  LLVMValueRef fn = cg_fn_begin_body(c, name, &b);
  LLVMValueRef args[16];
  int na = 0;
  for (int i = 0; i < nlead; i++) args[na++] = lead[i];
  for (int i = 0; i < nptr; i++) args[na++] = cg_load_slot(c, b, LLVMGetParam(fn, 0), i);
  args[na++] = LLVMGetParam(fn, 1);
  args[na++] = LLVMGetParam(fn, 2);
  cg_call_at(b, kernel, args, (unsigned)na);
  cg_fn_end(b);

  LLVMValueRef ctx = cg_entry_alloca(c, LLVMArrayType(c->ptr, MAX_PTRS));
  for (int i = 0; i < nptr; i++) cg_store_slot(c, c->b, ctx, i, ptrs[i]);
  if (n > 1 && gm_parallel_worth(flops)) cg_parallel_for(c, fn, ctx, cg_i64(c, n));
  else {
    LLVMValueRef cargs[3] = {ctx, cg_i64(c, 0), cg_i64(c, n)};
    cg_call(c, fn, cargs, 3);
  }
}

static bool blocked_f32(cg_ctx *c, ir_id v, int64_t *b) {
  const ir_type *t = &c->g->values[v].type;
  *b = t->rank == 5 ? t->dims[4] : 0;
  return t->dtype == KN_F32 && t->rank == 5 && ir_type_is_concrete(t);
}

kn_status cg_lower_conv_nchwc(cg_ctx *c, const ir_node *n) {
  const ir_id xv = n->in[0], wv = n->in[1], bv = n->nin > 2 ? n->in[2] : IR_NONE, yv = n->out[0];
  int64_t b, yb;
  if (!blocked_f32(c, xv, &b) || !blocked_f32(c, yv, &yb) || yb != b) return KN_EUNSUPPORTED;
  const bool depthwise = ir_attr_i(n, "group") != 1;
  char kname[64];
  snprintf(kname, sizeof kname, "kk_nchwc_%s%lld_f32", depthwise ? "dwconv" : "conv", (long long)b);
  LLVMValueRef kernel = cg_kernel(c, kname);
  if (!kernel) return KN_EUNSUPPORTED; /* a block width with no kernel: the reference loops */
  const ir_type *xt = &c->g->values[xv].type, *wt = &c->g->values[wv].type, *yt = &c->g->values[yv].type;
  int64_t stride[2], dil[2], pb[2], pe[2], out[2];
  const int64_t *k = depthwise ? wt->dims + 1 : wt->dims + 2;
  if (ir_nn_window(c->kn, n, 2, xt->dims + 2, k, stride, dil, pb, pe, out) != KN_OK) return KN_EUNSUPPORTED;
  int64_t geo[KK_NCHWC_GEO] = {0};
  geo[KK_NCHWC_N] = xt->dims[0], geo[KK_NCHWC_CB] = xt->dims[1], geo[KK_NCHWC_H] = xt->dims[2];
  geo[KK_NCHWC_W] = xt->dims[3], geo[KK_NCHWC_MB] = yt->dims[1], geo[KK_NCHWC_OH] = yt->dims[2];
  geo[KK_NCHWC_OW] = yt->dims[3], geo[KK_NCHWC_KH] = k[0], geo[KK_NCHWC_KW] = k[1];
  geo[KK_NCHWC_SH] = stride[0], geo[KK_NCHWC_SW] = stride[1], geo[KK_NCHWC_DH] = dil[0], geo[KK_NCHWC_DW] = dil[1];
  geo[KK_NCHWC_PH] = pb[0], geo[KK_NCHWC_PW] = pb[1];
  geo[KK_NCHWC_BIAS] = bv != IR_NONE;
  geo[KK_NCHWC_RELU] = strcmp(ir_attr_str(n, "activation", ""), "Relu") == 0;
  const int64_t rows = yt->dims[0] * yt->dims[1] * yt->dims[2];
  if (rows == 0 || yt->dims[3] == 0) return KN_OK;
  const double flops = 2.0 * (double)kn_dims_numel(5, yt->dims) * (double)(k[0] * k[1]) *
                       (depthwise ? 1.0 : (double)(xt->dims[1] * b));
  LLVMValueRef lead = cg_i64_array(c, geo, KK_NCHWC_GEO);
  LLVMValueRef ptrs[4] = {cg_value_ptr(c, xv), cg_value_ptr(c, wv),
                          bv != IR_NONE ? cg_value_ptr(c, bv) : LLVMConstNull(c->ptr), cg_value_ptr(c, yv)};
  emit_rows(c, kernel, &lead, 1, ptrs, 4, rows, flops);
  return KN_OK;
}

/* ToNCHWc and FromNCHWc: planes (image, channel block) of the blocked side. */
kn_status cg_lower_reorder(cg_ctx *c, const ir_node *n) {
  const bool to = n->op == IR_OP_ToNCHWc;
  const ir_id nchw = to ? n->in[0] : n->out[0], blk = to ? n->out[0] : n->in[0];
  const ir_type *t = &c->g->values[nchw].type;
  int64_t b;
  if (!blocked_f32(c, blk, &b) || t->dtype != KN_F32 || t->rank != 4 || !ir_type_is_concrete(t)) return KN_EUNSUPPORTED;
  LLVMValueRef kernel = cg_kernel(c, to ? "kk_nchwc_to_blocked_f32" : "kk_nchwc_from_blocked_f32");
  if (!kernel) return KN_EUNSUPPORTED;
  const int64_t planes = c->g->values[blk].type.dims[0] * c->g->values[blk].type.dims[1], S = t->dims[2] * t->dims[3];
  if (planes == 0 || S == 0) return KN_OK;
  LLVMValueRef lead[3] = {cg_i64(c, t->dims[1]), cg_i64(c, S), cg_i64(c, b)};
  LLVMValueRef ptrs[2] = {cg_value_ptr(c, n->in[0]), cg_value_ptr(c, n->out[0])};
  emit_rows(c, kernel, lead, 3, ptrs, 2, planes, 4.0 * (double)(planes * S * b)); /* memory-bound */
  return KN_OK;
}

kn_status cg_lower_pool_nchwc(cg_ctx *c, const ir_node *n) {
  const ir_id xv = n->in[0], yv = n->out[0];
  int64_t b, yb;
  if (!blocked_f32(c, xv, &b) || !blocked_f32(c, yv, &yb)) return KN_EUNSUPPORTED;
  const ir_type *xt = &c->g->values[xv].type, *yt = &c->g->values[yv].type;
  const char *mode = ir_attr_str(n, "mode", "");
  const bool global = strcmp(mode, "global_avg") == 0, max = strcmp(mode, "max") == 0;
  int64_t k[2] = {xt->dims[2], xt->dims[3]}, stride[2] = {1, 1}, dil[2] = {1, 1}, pb[2] = {0, 0}, pe[2] = {0, 0};
  int64_t out[2] = {1, 1};
  if (!global) {
    if (ir_nn_window(c->kn, n, 2, xt->dims + 2, NULL, stride, dil, pb, pe, out) != KN_OK) return KN_EUNSUPPORTED;
    const ir_attr *ks = ir_attr_get(n, "kernel_shape");
    if (!ks || ks->n != 2) return KN_EUNSUPPORTED;
    k[0] = ks->ints[0], k[1] = ks->ints[1];
  }
  if (out[0] != yt->dims[2] || out[1] != yt->dims[3]) return KN_EUNSUPPORTED;
  kk_nn_win w;
  kk_nchwc_pool_window(&w, xt->dims[2], xt->dims[3], b, out[0], out[1], k, stride, dil, pb, pe);
  LLVMValueRef kernel = cg_kernel(c, max ? "kk_nn_maxpool_f32" : "kk_nn_avgpool_f32");
  if (!kernel) return KN_EUNSUPPORTED;
  const int64_t NC = xt->dims[0] * xt->dims[1];
  if (NC == 0 || kn_dims_numel(5, yt->dims) == 0) return KN_OK;
  LLVMValueRef win = cg_i64_array(c, (const int64_t *)&w, (int)(sizeof w / sizeof(int64_t)));
  if (max) {
    LLVMValueRef args[6] = {win, cg_i64(c, NC), cg_value_ptr(c, xv), cg_value_ptr(c, yv), LLVMConstNull(c->ptr),
                            cg_i32(c, 0)};
    cg_call(c, kernel, args, 6);
  } else {
    const int cip = !global && ir_attr_i(n, "count_include_pad") != 0;
    LLVMValueRef args[5] = {win, cg_i64(c, NC), cg_i32(c, cip), cg_value_ptr(c, xv), cg_value_ptr(c, yv)};
    cg_call(c, kernel, args, 5);
  }
  return KN_OK;
}
