/* lower_conv.c: float32 Conv on the generated GEMM. Per (image, group) a
 * convolution is Y_g[Mg, S] = W_g[Mg, Cg*kprod] x col[Cg*kprod, S], where col
 * is the input itself for 1x1 stride-1 convolutions, else the im2col buffer
 * the kernel library's kk_nn_im2col_f32 builds in node scratch. Two ways to
 * map it on the GEMM, whose column panels are 32 wide on AVX-512:
 *  - as written (A = W, B = col read in place, bias per row): the output
 *    is NCHW directly; good when there are many output positions. Constant
 *    weights are packed at compile time into the padded K-block rows the
 *    micro-kernel reads A from (gm_pack_const_a), which saves the driver
 *    copying them at run time;
 *  - transposed, Y_g^T = col^T W_g^T (B = the constant weights packed at
 *    compile time, bias per column, then one transpose into NCHW): good when
 *    positions are few and channels many, like the ViT patch embedding (7x7
 *    positions, 768 channels).
 * Depthwise convolutions (a degenerate GEMM) call the library's direct loop,
 * split across the pool by (image, channel) ranges.
 * The weights need not be constant for the first form. With --threads each
 * image/group's GEMM is split across the pool by its driver (by output
 * channels = column panels in the transposed form, by positions = panels in
 * the other, or by row tiles when those are few: lower_gemm_parallel.c);
 * im2col and the final transpose stay on the calling thread.
 *
 * FusedConv (passes/fuse_conv.c) is the same convolution with an elementwise
 * epilogue, over the output's [(image, channel), position] view: in the
 * direct form the GEMM's C is exactly that view, so its driver applies the
 * epilogue to each block of C after the block's last K block (as for
 * FusedMatMul); in the transposed form it runs on the image/group's output
 * right after the transpose wrote it; for depthwise convolutions, on each
 * item's channels right after the direct loop and bias. */
#include "k_nn.h"
#include "lower_fused.h"
#include "lower_gemm.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct conv_geo {
  kk_nn_win w;
  int64_t N, C, M, group, Cg, Mg, kdim, isz, osz;
  bool pointwise, bias, transposed;
  int64_t col_floats, tmp_floats; /* scratch: im2col buffer, transposed output */
  LLVMValueRef im2col, transpose;
  LLVMValueRef epifn; /* the epilogue over a whole image/group (osz wide), or NULL */
  gm_plan plan;
} conv_geo;
static LLVMValueRef conv_function(cg_ctx *c, const char *name, const conv_geo *g);
static LLVMValueRef depthwise_function(cg_ctx *c, const char *name, const kk_nn_win *w, int64_t C, int64_t mult,
                                       int64_t kprod, int64_t isz, int64_t osz, bool bias, LLVMValueRef dw,
                                       LLVMValueRef ab, LLVMValueRef epifn);

/* A generated function's name: base, then the epilogue's key if any (NULL
 * when out of memory). */
static char *conv_name(const char *base, const cg_epi *e) {
  const char *key = e ? e->key : "";
  size_t len = strlen(base) + strlen(key) + 4;
  char *name = malloc(len);
  if (name) snprintf(name, len, "%s%s%s", base, e ? "_x" : "", key);
  return name;
}

/* The fraction of the GEMM's column panels that n columns fill (the panel
 * width gm_plan_finish will choose). */
static double panel_fill(cg_ctx *c, int64_t n) {
  const int64_t vw = c->vec_bytes / 4, nr = n <= vw ? vw : 2 * vw;
  return (double)n / (double)((n + nr - 1) / nr * nr);
}

static bool f32(cg_ctx *c, ir_id v) { return c->g->values[v].type.dtype == KN_F32; }

static kn_status lower_conv(cg_ctx *c, const ir_node *n, cg_epi *epi, const ir_id *epi_in);

kn_status cg_lower_conv(cg_ctx *c, const ir_node *n) {
  if (n->op == IR_OP_Conv) return lower_conv(c, n, NULL, NULL);
  /* FusedConv: its body over [(image, channel), position] */
  int nprod = 0;
  const ir_attr *ba = ir_attr_get(n, "body");
  if (ir_fused_base(n->op, n->nin, &nprod) != IR_OP_Conv || !ba || ba->kind != IR_ATTR_GRAPH || n->out[0] == IR_NONE)
    return KN_EUNSUPPORTED;
  const int nops = 1 + n->nin - nprod;
  const ir_type *yt = &c->g->values[n->out[0]].type;
  if (nops > CG_VG_MAX_PARAMS || ba->g->ninputs != nops || !ir_type_is_concrete(yt) || yt->rank < 3)
    return KN_EUNSUPPORTED;
  ir_id in[CG_VG_MAX_PARAMS];
  in[0] = IR_NONE;
  for (int i = 1; i < nops; i++) in[i] = n->in[nprod + i - 1];
  cg_epi e;
  kn_status st = cg_epi_init(c, &e, ba->g, yt, 2, in);
  if (st == KN_OK) st = lower_conv(c, n, cg_epi_done(&e) ? NULL : &e, in);
  cg_epi_free(&e);
  return st;
}

static kn_status lower_conv(cg_ctx *c, const ir_node *n, cg_epi *epi, const ir_id *epi_in) {
  ir_id xv = n->in[0], wv = n->in[1], bv = n->nin > 2 ? n->in[2] : IR_NONE, yv = n->out[0];
  if (!f32(c, xv) || !f32(c, wv) || !f32(c, yv) || (bv != IR_NONE && !f32(c, bv))) return KN_EUNSUPPORTED;
  const ir_type *xt = &c->g->values[xv].type, *wt = &c->g->values[wv].type, *yt = &c->g->values[yv].type;
  const int nsp = xt->rank - 2;
  if (nsp < 1 || nsp > KK_NN_SP || wt->rank != xt->rank || yt->rank != xt->rank) return KN_EUNSUPPORTED;
  /* the window normalized to 3 spatial dims, as the kernel library takes it */
  int64_t out[KN_MAX_RANK];
  kk_nn_win w;
  if (ir_nn_win_make(c->kn, n, xt->rank, xt->dims, wt->dims + 2, &w, out) != KN_OK) return KN_EUNSUPPORTED;
  int64_t isz = 1, osz = 1, kprod = 1;
  bool pointwise = true;
  for (int i = 0; i < KK_NN_SP; i++) {
    isz *= w.in[i];
    osz *= w.out[i];
    kprod *= w.k[i];
    pointwise = pointwise && w.k[i] == 1 && w.stride[i] == 1 && w.pad[i] == 0 && w.in[i] == w.out[i];
  }
  for (int i = 0; i < nsp; i++)
    if (yt->dims[2 + i] != out[i]) return KN_EUNSUPPORTED;
  const int64_t N = xt->dims[0], C = xt->dims[1], M = wt->dims[0], group = ir_attr_i(n, "group");
  if (group < 1 || C % group || M % group || wt->dims[1] * group != C || yt->dims[1] != M || yt->dims[0] != N)
    return KN_EUNSUPPORTED;
  if (bv != IR_NONE && kn_dims_numel(c->g->values[bv].type.rank, c->g->values[bv].type.dims) != M)
    return KN_EUNSUPPORTED;
  if (N * M * osz == 0) return KN_OK;
  const int64_t Cg = C / group, Mg = M / group, kdim = Cg * kprod;
  if (kdim == 0) return KN_EUNSUPPORTED;
  const bool depthwise = Cg == 1 && group == C;

  /* the epilogue over one image/group's [channels, osz] (transposed and
   * depthwise forms; the direct form's driver makes its own) */
  LLVMValueRef epifn = NULL;
  if (epi && !(epifn = cg_epi_function(c, epi, osz))) return kn_fail(c->kn, KN_ENOMEM, "out of memory lowering a conv");

  if (depthwise) {
    LLVMValueRef dw = cg_kernel(c, "kk_nn_conv_depthwise_f32"), ab = cg_kernel(c, "kk_nn_add_bias_f32");
    if (!dw || !ab) return KN_EUNSUPPORTED;
    /* items: (image, input channel); an item's output channels depend on
     * its input channel only, so a range of them is one kernel call */
    char base[512];
    int len = snprintf(base, sizeof base, "kiln_dwconv_%lld.%lld.%d", (long long)C, (long long)Mg, bv != IR_NONE);
    const int64_t *wi = w.in;
    for (size_t i = 0; i < sizeof w / sizeof(int64_t) && len > 0 && (size_t)len < sizeof base; i++)
      len += snprintf(base + len, sizeof base - (size_t)len, "_%lld", (long long)wi[i]);
    char *name = conv_name(base, epi);
    if (!name) return kn_fail(c->kn, KN_ENOMEM, "out of memory lowering a conv");
    LLVMValueRef fn = LLVMGetNamedFunction(c->m, name);
    if (!fn) fn = depthwise_function(c, name, &w, C, Mg, kprod, isz, osz, bv != IR_NONE, dw, ab, epifn);
    free(name);
    LLVMValueRef ctx = cg_entry_alloca(c, LLVMArrayType(c->ptr, 5));
    LLVMValueRef vals[5] = {cg_value_ptr(c, xv), cg_value_ptr(c, wv),
                            bv != IR_NONE ? cg_value_ptr(c, bv) : LLVMConstNull(c->ptr), cg_value_ptr(c, yv),
                            epi ? cg_epi_operands(c, epi, epi_in) : LLVMConstNull(c->ptr)};
    for (int i = 0; i < 5; i++) cg_store_slot(c, c->b, ctx, i, vals[i]);
    if (gm_parallel_worth(2.0 * (double)N * (double)M * (double)osz * (double)kprod))
      cg_parallel_for(c, fn, ctx, cg_i64(c, N * C));
    else {
      LLVMValueRef args[3] = {ctx, cg_i64(c, 0), cg_i64(c, N * C)};
      cg_call(c, fn, args, 3);
    }
    return KN_OK;
  }

  LLVMValueRef im2col = pointwise ? NULL : cg_kernel(c, "kk_nn_im2col_f32");
  LLVMValueRef transpose = cg_kernel(c, "kk_nn_transpose_f32");
  if ((!pointwise && !im2col) || !transpose) return KN_EUNSUPPORTED;
  conv_geo cg = {.w = w,
                 .N = N,
                 .C = C,
                 .M = M,
                 .group = group,
                 .Cg = Cg,
                 .Mg = Mg,
                 .kdim = kdim,
                 .isz = isz,
                 .osz = osz,
                 .pointwise = pointwise,
                 .bias = bv != IR_NONE,
                 .im2col = im2col,
                 .transpose = transpose,
                 .epifn = NULL};
  /* Which way round: Y_g = W_g col wants many output positions (the N of
   * that GEMM); Y_g^T = col^T W_g^T wants many channels, and takes the
   * weights packed at compile time, but needs a transpose at the end. Take
   * the one whose last column panel is fuller (the ViT patch embedding: 49
   * positions fill 49/64 of two panels, 768 channels fill 24 exactly). */
  const ir_value *wval = &c->g->values[wv];
  const bool wconst = wval->constant && !wval->is_input && c->loc[wv].kind == CG_LOC_CONST;
  cg.transposed = wconst && panel_fill(c, Mg) > panel_fill(c, osz);
  gm_plan *p = &cg.plan;
  p->alpha = 1.0f;
  p->K = kdim;
  if (!cg.transposed) {
    p->M = Mg, p->N = osz;
    p->rsa = kdim, p->csa = 1;
    p->apacked = wconst; /* constant weights are A, packed at compile time */
    p->rsb = osz, p->csb = 1;
    p->ldc = osz;
    p->bias = cg.bias ? GM_BIAS_ROW : GM_BIAS_NONE;
    p->brs = 1;
    p->epi = epi; /* C is the output's view: the driver applies it block by block */
  } else {
    p->M = osz, p->N = Mg;
    p->rsa = 1, p->csa = osz; /* col^T, or x^T for a 1x1 convolution */
    p->rsb = 1, p->csb = kdim;
    p->bsrc = GM_B_PACKED;
    p->ldc = Mg;
    p->bias = cg.bias ? GM_BIAS_VEC : GM_BIAS_NONE;
    p->brs = 0;
    cg.epifn = epifn; /* after the transpose */
  }
  gm_plan_finish(c, p);
  kn_tensor packed = {0};
  if (cg.transposed &&
      gm_pack_const_b(c, p, wval->constant->data, group, Mg * kdim, p->rsb, p->csb, 1.0f, &packed) != KN_OK)
    return KN_EUNSUPPORTED;
  if (p->apacked && gm_pack_const_a(c, p, wval->constant->data, group, Mg * kdim, &packed) != KN_OK)
    return KN_EUNSUPPORTED;
  cg.col_floats = pointwise ? 0 : (kdim * osz + 15) / 16 * 16;
  cg.tmp_floats = cg.transposed ? (osz * Mg + 15) / 16 * 16 : 0;
  const int64_t scratch_bytes = (cg.col_floats + cg.tmp_floats) * 4 + gm_scratch_bytes(p);

  /* named by its geometry, so that equal convolutions share one function */
  char base[512];
  int len = snprintf(base, sizeof base, "kiln_conv%s_%lld.%lld.%lld.%lld.%d", cg.transposed ? "t" : p->apacked ? "p" : "",
                     (long long)N, (long long)C, (long long)M, (long long)group, cg.bias);
  const int64_t *wi = w.in;
  for (size_t i = 0; i < sizeof w / sizeof(int64_t) && len > 0 && (size_t)len < sizeof base; i++)
    len += snprintf(base + len, sizeof base - (size_t)len, "_%lld", (long long)wi[i]);
  char *name = conv_name(base, epi);
  LLVMValueRef fn = name ? LLVMGetNamedFunction(c->m, name) : NULL;
  if (name && !fn) fn = conv_function(c, name, &cg);
  free(name);
  if (!fn) {
    kn_tensor_free(&packed);
    return kn_fail(c->kn, KN_ENOMEM, "out of memory lowering a conv");
  }
  LLVMValueRef args[7] = {cg_value_ptr(c, xv),
                          packed.data ? cg_add_const(c, &packed) : cg_value_ptr(c, wv),
                          cg.bias ? cg_value_ptr(c, bv) : LLVMConstNull(c->ptr),
                          cg_value_ptr(c, yv),
                          scratch_bytes > 0 ? cg_scratch(c, scratch_bytes) : LLVMConstNull(c->ptr),
                          c->rt,
                          epi ? cg_epi_operands(c, epi, epi_in) : LLVMConstNull(c->ptr)};
  cg_call(c, fn, args, 7);
  return KN_OK;
}

/* void f(x, w, bias, y, scratch, rt, ops): per image and group, im2col
 * (unless 1x1), the GEMM (its driver splits it across the pool through rt,
 * and applies the epilogue in the direct form), and for the transposed form
 * the transpose into NCHW, then the epilogue. NULL when out of memory. */
static LLVMValueRef conv_function(cg_ctx *c, const char *name, const conv_geo *g) {
  const gm_plan *p = &g->plan;
  const int64_t isz = g->isz, osz = g->osz, Cg = g->Cg, Mg = g->Mg, kdim = g->kdim;
  LLVMValueRef drv = gm_driver(c, p);
  if (!drv) return NULL;
  LLVMValueRef win = cg_i64_array(c, g->w.in, (int)(sizeof g->w / sizeof(int64_t)));
  LLVMBuilderRef b;
  LLVMValueRef fn = cg_fn_begin_ptrs(c, name, 7, CG_FN_NOINLINE, &b);
  LLVMValueRef x = LLVMGetParam(fn, 0), wp = LLVMGetParam(fn, 1), bias = LLVMGetParam(fn, 2);
  LLVMValueRef y = LLVMGetParam(fn, 3), scratch = LLVMGetParam(fn, 4), rt = LLVMGetParam(fn, 5);
  LLVMValueRef ops = LLVMGetParam(fn, 6);
  LLVMValueRef col = scratch, tmp = cg_gep(b, c->f32, scratch, cg_i64(c, g->col_floats));
  LLVMValueRef rest = cg_gep(b, c->f32, scratch, cg_i64(c, g->col_floats + g->tmp_floats));
  /* a loop even over a single (image, group): the code this function was
   * measured with (emitted straight, its register allocation differs) */
  cg_loop li;
  cg_loop_begin_n(c, b, &li, cg_i64(c, g->N * g->group), "imgrp");
  LLVMValueRef img = LLVMBuildUDiv(b, li.iv, cg_i64(c, g->group), ""),
               gi = LLVMBuildURem(b, li.iv, cg_i64(c, g->group), "");
  LLVMValueRef xg = cg_gep(b, c->f32, x,
                           LLVMBuildNSWAdd(b, LLVMBuildNSWMul(b, img, cg_i64(c, g->C * isz), ""),
                                           LLVMBuildNSWMul(b, gi, cg_i64(c, Cg * isz), ""), ""));
  LLVMValueRef yg = cg_gep(b, c->f32, y,
                           LLVMBuildNSWAdd(b, LLVMBuildNSWMul(b, img, cg_i64(c, g->M * osz), ""),
                                           LLVMBuildNSWMul(b, gi, cg_i64(c, Mg * osz), ""), ""));
  /* the weights of group gi: rows of W, or the packed W^T of that group */
  const int64_t wstride = g->transposed ? gm_packed_floats(p) : p->apacked ? gm_packed_a_floats(p) : Mg * kdim;
  LLVMValueRef wg = cg_gep(b, c->f32, wp, LLVMBuildNSWMul(b, gi, cg_i64(c, wstride), ""));
  LLVMValueRef bg = cg_gep(b, c->f32, bias, LLVMBuildNSWMul(b, gi, cg_i64(c, Mg), ""));
  LLVMValueRef src = xg;
  if (!g->pointwise) {
    LLVMValueRef args[4] = {win, cg_i64(c, Cg), xg, col};
    cg_call_at(b, g->im2col, args, 4);
    src = col;
  }
  if (!g->transposed) {
    LLVMValueRef dargs[GM_NARGS] = {wg, src, yg, bg, rest, y, ops, rt};
    cg_call_at(b, drv, dargs, GM_NARGS);
  } else {
    LLVMValueRef dargs[GM_NARGS] = {src, wg, tmp, bg, rest, y, ops, rt};
    cg_call_at(b, drv, dargs, GM_NARGS);
    LLVMValueRef targs[6] = {cg_i64(c, osz), cg_i64(c, Mg), tmp, cg_i64(c, Mg), yg, cg_i64(c, osz)};
    cg_call_at(b, g->transpose, targs, 6);
    if (g->epifn) {
      LLVMValueRef eargs[4] = {yg, LLVMBuildPtrDiff2(b, c->f32, yg, y, ""), cg_i64(c, Mg), ops};
      cg_call_at(b, g->epifn, eargs, 4);
    }
  }
  cg_loop_end(c, b, &li, NULL);
  cg_fn_end(b);
  return fn;
}

/* void f(ctx = {x, w, bias, y, ops}, i64 begin, i64 end) over the (image,
 * channel) items [begin, end): per image touched, one call of the library's
 * depthwise loop on its channel range, then that range's bias, then the
 * epilogue on those channels. */
static LLVMValueRef depthwise_function(cg_ctx *c, const char *name, const kk_nn_win *w, int64_t C, int64_t mult,
                                       int64_t kprod, int64_t isz, int64_t osz, bool bias, LLVMValueRef dw,
                                       LLVMValueRef ab, LLVMValueRef epifn) {
  LLVMValueRef win = cg_i64_array(c, w->in, (int)(sizeof *w / sizeof(int64_t)));
  LLVMBuilderRef b;
  LLVMValueRef fn = cg_fn_begin_body(c, name, &b);
  LLVMValueRef ctx = LLVMGetParam(fn, 0), begin = LLVMGetParam(fn, 1), end = LLVMGetParam(fn, 2);
  LLVMValueRef v[5];
  for (int i = 0; i < 5; i++) v[i] = cg_load_slot(c, b, ctx, i);
  LLVMValueRef cC = cg_i64(c, C);
  LLVMValueRef img0 = LLVMBuildUDiv(b, begin, cC, "");
  LLVMValueRef nimg = LLVMBuildSub(b, LLVMBuildUDiv(b, LLVMBuildSub(b, end, cg_i64(c, 1), ""), cC, ""), img0, "");
  cg_loop li;
  cg_loop_begin_n(c, b, &li, LLVMBuildAdd(b, nimg, cg_i64(c, 1), ""), "img");
  LLVMValueRef img = LLVMBuildAdd(b, img0, li.iv, "");
  LLVMValueRef first = LLVMBuildMul(b, img, cC, "");
  LLVMValueRef lo = LLVMBuildSub(b, begin, first, ""), hi = LLVMBuildSub(b, end, first, "");
  LLVMValueRef c0 = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, lo, cg_i64(c, 0), ""), cg_i64(c, 0), lo, "");
  LLVMValueRef c1 = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, hi, cC, ""), hi, cC, "");
  LLVMValueRef nc = LLVMBuildSub(b, c1, c0, "");
  LLVMValueRef xs = cg_gep(b, c->f32, v[0], LLVMBuildAdd(b, LLVMBuildMul(b, img, cg_i64(c, C * isz), ""),
                                                    LLVMBuildMul(b, c0, cg_i64(c, isz), ""), ""));
  LLVMValueRef ws = cg_gep(b, c->f32, v[1], LLVMBuildMul(b, c0, cg_i64(c, mult * kprod), ""));
  LLVMValueRef ys = cg_gep(b, c->f32, v[3], LLVMBuildAdd(b, LLVMBuildMul(b, img, cg_i64(c, C * mult * osz), ""),
                                                    LLVMBuildMul(b, c0, cg_i64(c, mult * osz), ""), ""));
  LLVMValueRef args[6] = {win, nc, cg_i64(c, mult), xs, ws, ys};
  cg_call_at(b, dw, args, 6);
  if (bias) {
    LLVMValueRef bs = cg_gep(b, c->f32, v[2], LLVMBuildMul(b, c0, cg_i64(c, mult), ""));
    LLVMValueRef bargs[5] = {cg_i64(c, 1), LLVMBuildMul(b, nc, cg_i64(c, mult), ""), cg_i64(c, osz), bs, ys};
    cg_call_at(b, ab, bargs, 5);
  }
  if (epifn) {
    LLVMValueRef eargs[4] = {ys, LLVMBuildPtrDiff2(b, c->f32, ys, v[3], ""), LLVMBuildMul(b, nc, cg_i64(c, mult), ""),
                             v[4]};
    cg_call_at(b, epifn, eargs, 4);
  }
  cg_loop_end(c, b, &li, NULL);
  cg_fn_end(b);
  return fn;
}
