/* gemm_microkernel.c: kiln's GEMM generator (see lower_gemm.h for the plan a
 * lowering fills in): the tiling plan, the micro-kernel and the packing
 * loops; the driver that runs them over the matrix, split across threads, is
 * lower_gemm_parallel.c.
 *
 * The work is split the classic way (Goto/BLIS): B is cut into K blocks of kc
 * rows and, within a block, into panels of nr = nv vectors' worth of columns.
 * Per K block the driver copies the rows of A into scratch rows of ars floats
 * (padded so that rows whose stride is a multiple of 4 KB, like K = 3072, do
 * not all land in one L1 set); then for each panel it walks down A in tiles
 * of mr rows, calling a micro-kernel that keeps the mr x nr tile of C in
 * vector registers: per k it loads nv vectors of the panel, broadcasts mr
 * elements of A and issues mr*nv FMAs (14 x 32 floats on AVX-512: 28 zmm
 * accumulators). The panel stays in L1 while every tile streams past it; C is
 * loaded/stored once per K block.
 *
 * A row-major B is not copied at all: the kernel reads its panels in place
 * with B's row stride (ldb). Transformer weights are hundreds of MB streamed
 * from memory once per run, and what makes that fast is not a packed layout
 * but the kernel prefetching the next panel (the rest of the same rows) while
 * it works: the first tile to reach a panel then finds it on its way instead
 * of stalling on every line. Measured on CLIP ViT-B/32, in-place reads run as
 * fast as a compile-time packed copy (slightly faster, in fact) and save the
 * copy's compile time and memory. Only a transposed B is packed (compile time
 * for constants, or per panel into scratch), as is a partial last panel, so
 * that no read goes past the end of B.
 *
 * Micro-kernels are functions shared by every node of the module with the
 * same (mr, nr, A strides, bias mode), marked noinline; drivers (the loops,
 * with constant sizes) are shared by every node with the same plan. So
 * the 72 projections of a ViT compile four drivers and a few kernels.
 * Edges: M is split into tiles of two adjacent heights (50 rows ->
 * 13,13,12,12) so no tile is wasted, or into blocks of whole tiles when it is
 * large; the last panel is zero-padded and stored through a lane mask. */
#include "lower_gemm.h"
#include <stdio.h>
#include <string.h>

/* ---------- small IR helpers ---------- */
LLVMValueRef gm_gep(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef p, LLVMValueRef idx) {
  return LLVMBuildGEP2(b, c->f32, p, &idx, 1, "");
}

void gm_loop_begin(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef fn, LLVMValueRef n, gm_loop *l) {
  l->pre = LLVMGetInsertBlock(b);
  l->body = LLVMAppendBasicBlockInContext(c->c, fn, "loop");
  l->n = n;
  LLVMBuildBr(b, l->body);
  LLVMPositionBuilderAtEnd(b, l->body);
  l->i = LLVMBuildPhi(b, c->i64, "i");
}

void gm_loop_end(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef fn, gm_loop *l) {
  LLVMValueRef next = LLVMBuildNSWAdd(b, l->i, cg_i64(c, 1), "");
  LLVMBasicBlockRef latch = LLVMGetInsertBlock(b), exit = LLVMAppendBasicBlockInContext(c->c, fn, "done");
  LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntSLT, next, l->n, ""), l->body, exit);
  LLVMValueRef vals[2] = {cg_i64(c, 0), next};
  LLVMBasicBlockRef from[2] = {l->pre, latch};
  LLVMAddIncoming(l->i, vals, from, 2);
  LLVMPositionBuilderAtEnd(b, exit);
}

static void add_fn_attr(cg_ctx *c, LLVMValueRef fn, const char *name) {
  unsigned kind = LLVMGetEnumAttributeKindForName(name, strlen(name));
  LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(c->c, kind, 0));
}

LLVMValueRef gm_new_function_typed(cg_ctx *c, LLVMBuilderRef b, const char *name, LLVMTypeRef *params, int n) {
  LLVMValueRef fn = LLVMAddFunction(c->m, name, LLVMFunctionType(c->void_t, params, (unsigned)n, 0));
  LLVMSetLinkage(fn, LLVMInternalLinkage);
  add_fn_attr(c, fn, "nounwind");
  /* called from many places (kernels) or once with big bodies (drivers):
   * inlining either would only multiply the code LLVM has to optimize */
  add_fn_attr(c, fn, "noinline");
  LLVMPositionBuilderAtEnd(b, LLVMAppendBasicBlockInContext(c->c, fn, "entry"));
  return fn;
}

LLVMValueRef gm_new_function(cg_ctx *c, LLVMBuilderRef b, const char *name, int nparams) {
  LLVMTypeRef params[16];
  for (int i = 0; i < nparams && i < 16; i++) params[i] = c->ptr;
  return gm_new_function_typed(c, b, name, params, nparams < 16 ? nparams : 16);
}

static LLVMValueRef intrinsic(cg_ctx *c, const char *name, LLVMTypeRef *tys, size_t n) {
  unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
  return LLVMGetIntrinsicDeclaration(c->m, id, tys, n);
}

static LLVMValueRef call(LLVMBuilderRef b, LLVMValueRef fn, LLVMValueRef *args, unsigned n) {
  return LLVMBuildCall2(b, LLVMGlobalGetValueType(fn), fn, args, n, "");
}

static LLVMValueRef splat(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef s, int vw) {
  LLVMTypeRef vty = LLVMVectorType(LLVMTypeOf(s), (unsigned)vw);
  LLVMValueRef v = LLVMBuildInsertElement(b, LLVMGetUndef(vty), s, cg_i32(c, 0), "");
  return LLVMBuildShuffleVector(b, v, LLVMGetUndef(vty), LLVMConstNull(LLVMVectorType(c->i32, (unsigned)vw)), "");
}

/* Lane mask of vector v of a tile row: column v*vw + lane < ncols. */
static LLVMValueRef lane_mask(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef ncols, int vw, int v) {
  LLVMValueRef lanes[64];
  for (int l = 0; l < vw; l++) lanes[l] = cg_i64(c, (int64_t)v * vw + l);
  return LLVMBuildICmp(b, LLVMIntSLT, LLVMConstVector(lanes, (unsigned)vw), splat(c, b, ncols, vw), "");
}

static LLVMValueRef load_vec(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef p, int vw, unsigned align, LLVMValueRef mask) {
  LLVMTypeRef vty = LLVMVectorType(c->f32, (unsigned)vw);
  if (!mask) {
    LLVMValueRef v = LLVMBuildLoad2(b, vty, p, "");
    LLVMSetAlignment(v, align);
    return v;
  }
  LLVMTypeRef tys[2] = {vty, c->ptr};
  LLVMValueRef fn = intrinsic(c, "llvm.masked.load", tys, 2);
  LLVMValueRef args[4] = {p, cg_i32(c, (int32_t)align), mask, LLVMConstNull(vty)};
  return call(b, fn, args, 4);
}

static void store_vec(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef v, LLVMValueRef p, int vw, unsigned align,
                      LLVMValueRef mask) {
  if (!mask) {
    LLVMSetAlignment(LLVMBuildStore(b, v, p), align);
    return;
  }
  LLVMTypeRef tys[2] = {LLVMVectorType(c->f32, (unsigned)vw), c->ptr};
  LLVMValueRef fn = intrinsic(c, "llvm.masked.store", tys, 2);
  LLVMValueRef args[4] = {v, p, cg_i32(c, (int32_t)align), mask};
  call(b, fn, args, 4);
}

/* ---------- planning ---------- */
static int vector_registers(cg_ctx *c) {
  const char *triple = LLVMGetTarget(c->m);
  if (strncmp(triple, "aarch64", 7) == 0) return 32;
  return c->vec_bytes >= 64 ? 32 : 16;
}

void gm_plan_finish(cg_ctx *c, gm_plan *p) {
  p->vw = c->vec_bytes / 4;
  if (p->vw > 64) p->vw = 64;
  p->nv = p->N <= p->vw ? 1 : 2;
  p->nr = p->nv * p->vw;
  p->npad = (p->N + p->nr - 1) / p->nr * p->nr;
  int64_t nkb = (p->K + GM_KC_MAX - 1) / GM_KC_MAX;
  if (nkb < 1) nkb = 1;
  p->kc = (p->K + nkb - 1) / nkb; /* balanced blocks: 300 -> 150 + 150, not 256 + 44 */
  /* A is copied block by block into rows of ars floats: rows of a large
   * power-of-two stride (3072 floats) would all fall into one L1 set; the
   * padding spreads them, and the micro-kernel keys on one stride only */
  p->pack_a = true;
  p->ars = (p->kc + 15) / 16 * 16 + 16;
  /* accumulators + the nv B vectors + a broadcast register (AVX2 has no
   * broadcast memory operand) must fit the register file */
  int regs = vector_registers(c);
  int mrmax = (regs - p->nv - 2) / p->nv;
  if (mrmax > 14) mrmax = 14;
  if (mrmax < 1) mrmax = 1;
  /* large M: blocks of whole mrmax tiles, so the packed A block stays in L2 */
  p->mr_full = mrmax;
  p->mb = p->M > GM_MC_MAX ? GM_MC_MAX / mrmax * mrmax : 0;
  p->nmb = p->mb ? p->M / p->mb : 0;
  const int64_t rest = p->M - p->nmb * p->mb;
  int64_t ntiles = (rest + mrmax - 1) / mrmax;
  if (ntiles < 1) ntiles = 1;
  int64_t base = rest / ntiles, rem = rest % ntiles;
  p->mr_hi = (int)(rem ? base + 1 : base);
  p->n_hi = rem ? rem : ntiles;
  p->mr_lo = (int)base;
  p->n_lo = rem ? ntiles - rem : 0;
  gm_plan_split(c, p);
}

int64_t gm_packed_floats(const gm_plan *p) { return p->K * p->npad; }

int64_t gm_a_block_floats(const gm_plan *p) {
  int64_t rows = p->nmb > 0 ? p->mb : p->M;
  return p->pack_a && !p->apacked ? (rows * p->ars + 15) / 16 * 16 : 0;
}

int64_t gm_packed_a_floats(const gm_plan *p) { return (p->K + p->kc - 1) / p->kc * p->M * p->ars; }

/* a tensor of n floats, allocated without zeroing (the packers write every
 * element) */
static kn_status packed_tensor(cg_ctx *c, int64_t n, kn_tensor *t) {
  memset(t, 0, sizeof *t);
  if (n > (int64_t)(c->kn->mem_limit / 4)) return KN_ELIMIT;
  t->dtype = KN_F32;
  t->rank = 1;
  t->dims[0] = n;
  t->nbytes = n * 4;
  t->data = kn_aligned_alloc((size_t)(t->nbytes > 0 ? t->nbytes : 64));
  return t->data ? KN_OK : KN_ENOMEM;
}

kn_status gm_pack_const_a(cg_ctx *c, const gm_plan *p, const float *src, int64_t nb, int64_t bstride, kn_tensor *t) {
  KN_TRY(packed_tensor(c, nb * gm_packed_a_floats(p), t));
  float *d = t->data;
  for (int64_t bi = 0; bi < nb; bi++)
    for (int64_t k0 = 0; k0 < p->K; k0 += p->kc) {
      int64_t kcur = p->K - k0 < p->kc ? p->K - k0 : p->kc;
      for (int64_t i = 0; i < p->M; i++, d += p->ars) {
        const float *row = src + bi * bstride + i * p->rsa + k0 * p->csa;
        for (int64_t k = 0; k < kcur; k++) d[k] = row[k * p->csa];
        memset(d + kcur, 0, (size_t)(p->ars - kcur) * 4);
      }
    }
  return KN_OK;
}

kn_status gm_pack_const_b(cg_ctx *c, const gm_plan *p, const float *src, int64_t nb, int64_t bstride, int64_t rsb,
                          int64_t csb, float scale, kn_tensor *t) {
  int64_t per = gm_packed_floats(p);
  /* not kn_tensor_alloc: zeroing hundreds of MB of weights first would
   * double the memory traffic; only the padding columns are cleared */
  KN_TRY(packed_tensor(c, nb * per, t));
  float *dst = t->data;
  for (int64_t bi = 0; bi < nb; bi++) {
    const float *s = src + bi * bstride;
    float *d = dst + bi * per;
    for (int64_t k0 = 0; k0 < p->K; k0 += p->kc) {
      int64_t kcur = p->K - k0 < p->kc ? p->K - k0 : p->kc;
      for (int64_t j0 = 0; j0 < p->N; j0 += p->nr) {
        int64_t ncols = p->N - j0 < p->nr ? p->N - j0 : p->nr;
        for (int64_t k = 0; k < kcur; k++, d += p->nr) {
          const float *row = s + (k0 + k) * rsb + j0 * csb;
          if (csb == 1 && scale == 1.0f)
            memcpy(d, row, (size_t)ncols * 4); /* rows of a [K, N] weight */
          else
            for (int64_t j = 0; j < ncols; j++) d[j] = scale * row[j * csb];
          if (ncols < p->nr) memset(d + ncols, 0, (size_t)(p->nr - ncols) * 4);
        }
      }
    }
  }
  return KN_OK;
}

/* ---------- the micro-kernel ----------
 * void k(ptr A, ptr B, ptr C, i64 ldc, i64 kc, i64 ncols, i32 acc, ptr bias, i64 brs, float alpha,
 *        i64 pfofs, i64 ldb)
 * C tile = (acc ? C : bias) + alpha * A[0:mr, 0:kc] * B[0:kc, 0:nr], storing
 * only columns < ncols; B rows are ldb floats apart, and B + pfofs is
 * prefetched along. */
LLVMValueRef gm_micro_kernel(cg_ctx *c, int mr, int nv, int vw, int64_t rsa, int64_t csa, gm_bias bias) {
  char name[128];
  snprintf(name, sizeof name, "kiln_gemm_%dx%d_a%lld_%lld_b%d", mr, nv * vw, (long long)rsa, (long long)csa, (int)bias);
  LLVMValueRef fn = LLVMGetNamedFunction(c->m, name);
  if (fn) return fn;
  const int nr = nv * vw;
  LLVMTypeRef vty = LLVMVectorType(c->f32, (unsigned)vw);
  LLVMTypeRef params[12] = {c->ptr, c->ptr, c->ptr, c->i64, c->i64, c->i64,
                            c->i32, c->ptr, c->i64, c->f32, c->i64, c->i64};
  LLVMBuilderRef b = LLVMCreateBuilderInContext(c->c);
  fn = gm_new_function_typed(c, b, name, params, 12);
  LLVMValueRef A = LLVMGetParam(fn, 0), B = LLVMGetParam(fn, 1), C = LLVMGetParam(fn, 2);
  LLVMValueRef ldc = LLVMGetParam(fn, 3), kc = LLVMGetParam(fn, 4), ncols = LLVMGetParam(fn, 5);
  LLVMValueRef accf = LLVMGetParam(fn, 6), biasp = LLVMGetParam(fn, 7), brs = LLVMGetParam(fn, 8);
  LLVMValueRef alpha = LLVMGetParam(fn, 9), pfofs = LLVMGetParam(fn, 10), ldb = LLVMGetParam(fn, 11);
  LLVMTypeRef fty[1] = {vty};
  LLVMValueRef fmuladd = intrinsic(c, "llvm.fmuladd", fty, 1); /* fused where the target has FMA */
  LLVMBasicBlockRef entry = LLVMGetInsertBlock(b);
  LLVMBasicBlockRef loop = LLVMAppendBasicBlockInContext(c->c, fn, "k");
  LLVMBasicBlockRef epi = LLVMAppendBasicBlockInContext(c->c, fn, "epilogue");
  LLVMBuildBr(b, loop);

  /* the K loop: accumulators are phis, so they live in registers */
  LLVMPositionBuilderAtEnd(b, loop);
  LLVMValueRef k = LLVMBuildPhi(b, c->i64, "k");
  LLVMValueRef acc[14 * 2], next[14 * 2];
  for (int t = 0; t < mr * nv; t++) acc[t] = LLVMBuildPhi(b, vty, "");
  LLVMValueRef brow = gm_gep(c, b, B, LLVMBuildNSWMul(b, k, ldb, ""));
  LLVMValueRef bv[2];
  /* alignment 4: B may be a graph input read in place (unaligned vector
   * loads cost nothing extra on aligned data on the targets we tune for) */
  for (int v = 0; v < nv; v++) bv[v] = load_vec(c, b, gm_gep(c, b, brow, cg_i64(c, (int64_t)v * vw)), vw, 4, NULL);
  { /* prefetch the same rows of the next panel, pfofs floats on (into L2:
     * the current panel owns L1) */
    LLVMValueRef pfn = intrinsic(c, "llvm.prefetch", &c->ptr, 1);
    LLVMValueRef pb = gm_gep(c, b, brow, pfofs);
    for (int l = 0; l < nr * 4 / 64; l++) {
      LLVMValueRef pa[4] = {gm_gep(c, b, pb, cg_i64(c, (int64_t)l * 16)), cg_i32(c, 0), cg_i32(c, 1), cg_i32(c, 1)};
      call(b, pfn, pa, 4);
    }
  }
  LLVMValueRef kofs = LLVMBuildNSWMul(b, k, cg_i64(c, csa), "");
  for (int i = 0; i < mr; i++) {
    LLVMValueRef ap = gm_gep(c, b, A, LLVMBuildNSWAdd(b, kofs, cg_i64(c, (int64_t)i * rsa), ""));
    LLVMValueRef a = LLVMBuildLoad2(b, c->f32, ap, "");
    LLVMSetAlignment(a, 4);
    LLVMValueRef as = splat(c, b, a, vw);
    for (int v = 0; v < nv; v++) {
      LLVMValueRef args[3] = {as, bv[v], acc[i * nv + v]};
      next[i * nv + v] = call(b, fmuladd, args, 3);
    }
  }
  LLVMValueRef k1 = LLVMBuildNSWAdd(b, k, cg_i64(c, 1), "");
  LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntSLT, k1, kc, ""), loop, epi);
  {
    LLVMValueRef v2[2] = {cg_i64(c, 0), k1};
    LLVMBasicBlockRef f2[2] = {entry, loop};
    LLVMAddIncoming(k, v2, f2, 2);
    for (int t = 0; t < mr * nv; t++) {
      LLVMValueRef a2[2] = {LLVMConstNull(vty), next[t]};
      LLVMAddIncoming(acc[t], a2, f2, 2);
    }
  }

  /* epilogue: four stores variants, {full, masked last panel} x {accumulate
   * into C, first K block (bias or nothing)}; branches run once per tile */
  LLVMPositionBuilderAtEnd(b, epi);
  LLVMValueRef al = splat(c, b, alpha, vw), r[14 * 2];
  for (int t = 0; t < mr * nv; t++) r[t] = LLVMBuildFMul(b, next[t], al, "");
  LLVMValueRef rowc[14], rowb[14];
  for (int i = 0; i < mr; i++) {
    rowc[i] = gm_gep(c, b, C, LLVMBuildNSWMul(b, ldc, cg_i64(c, i), ""));
    rowb[i] = gm_gep(c, b, biasp, LLVMBuildNSWMul(b, brs, cg_i64(c, i), ""));
  }
  LLVMValueRef full = LLVMBuildICmp(b, LLVMIntEQ, ncols, cg_i64(c, nr), "");
  LLVMValueRef isacc = LLVMBuildICmp(b, LLVMIntNE, accf, cg_i32(c, 0), "");
  LLVMBasicBlockRef bfull = LLVMAppendBasicBlockInContext(c->c, fn, "full");
  LLVMBasicBlockRef bmask = LLVMAppendBasicBlockInContext(c->c, fn, "masked");
  LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(c->c, fn, "done");
  LLVMBuildCondBr(b, full, bfull, bmask);
  for (int masked = 0; masked < 2; masked++) {
    LLVMPositionBuilderAtEnd(b, masked ? bmask : bfull);
    LLVMValueRef mask[2] = {NULL, NULL};
    if (masked)
      for (int v = 0; v < nv; v++) mask[v] = lane_mask(c, b, ncols, vw, v);
    LLVMBasicBlockRef bacc = LLVMAppendBasicBlockInContext(c->c, fn, "acc");
    LLVMBasicBlockRef bfirst = LLVMAppendBasicBlockInContext(c->c, fn, "first");
    LLVMBuildCondBr(b, isacc, bacc, bfirst);
    for (int first = 0; first < 2; first++) {
      LLVMPositionBuilderAtEnd(b, first ? bfirst : bacc);
      for (int i = 0; i < mr; i++) {
        LLVMValueRef rowbias = NULL;
        if (first && bias == GM_BIAS_ROW) {
          LLVMValueRef s = LLVMBuildLoad2(b, c->f32, rowb[i], "");
          LLVMSetAlignment(s, 4);
          rowbias = splat(c, b, s, vw);
        }
        for (int v = 0; v < nv; v++) {
          LLVMValueRef cp = gm_gep(c, b, rowc[i], cg_i64(c, (int64_t)v * vw));
          LLVMValueRef val = r[i * nv + v], add = NULL;
          if (!first)
            add = load_vec(c, b, cp, vw, 4, mask[v]);
          else if (bias == GM_BIAS_VEC)
            add = load_vec(c, b, gm_gep(c, b, rowb[i], cg_i64(c, (int64_t)v * vw)), vw, 4, mask[v]);
          else if (bias == GM_BIAS_ROW)
            add = rowbias;
          if (add) val = LLVMBuildFAdd(b, add, val, "");
          store_vec(c, b, val, cp, vw, 4, mask[v]);
        }
      }
      LLVMBuildBr(b, done);
    }
  }
  LLVMPositionBuilderAtEnd(b, done);
  LLVMBuildRetVoid(b);
  LLVMDisposeBuilder(b);
  return fn;
}

/* Copies kcur rows x ncols columns of B (zero-filling columns up to nr) into
 * the panel: contiguous rows load through a lane mask, strided ones gather. */
void gm_pack_panel(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef fn, const gm_plan *p, LLVMValueRef src,
                   LLVMValueRef kcur, LLVMValueRef ncols, LLVMValueRef panel) {
  LLVMValueRef mask[2];
  for (int v = 0; v < p->nv; v++) mask[v] = lane_mask(c, b, ncols, p->vw, v);
  LLVMTypeRef vty = LLVMVectorType(c->f32, (unsigned)p->vw);
  LLVMValueRef offs = NULL;
  if (p->csb != 1) {
    LLVMValueRef lanes[64];
    for (int l = 0; l < p->vw; l++) lanes[l] = cg_i64(c, (int64_t)l * p->csb);
    offs = LLVMConstVector(lanes, (unsigned)p->vw);
  }
  gm_loop lk;
  gm_loop_begin(c, b, fn, kcur, &lk);
  LLVMValueRef row = gm_gep(c, b, src, LLVMBuildNSWMul(b, lk.i, cg_i64(c, p->rsb), ""));
  LLVMValueRef dst = gm_gep(c, b, panel, LLVMBuildNSWMul(b, lk.i, cg_i64(c, p->nr), ""));
  for (int v = 0; v < p->nv; v++) {
    LLVMValueRef sp = gm_gep(c, b, row, cg_i64(c, (int64_t)v * p->vw * p->csb)), val;
    if (p->csb == 1)
      val = load_vec(c, b, sp, p->vw, 4, mask[v]);
    else {
      LLVMValueRef ptrs = LLVMBuildGEP2(b, c->f32, sp, &offs, 1, "");
      LLVMTypeRef tys[2] = {vty, LLVMVectorType(c->ptr, (unsigned)p->vw)};
      LLVMValueRef g = intrinsic(c, "llvm.masked.gather", tys, 2);
      LLVMValueRef args[4] = {ptrs, cg_i32(c, 4), mask[v], LLVMConstNull(vty)};
      val = call(b, g, args, 4);
    }
    store_vec(c, b, val, gm_gep(c, b, dst, cg_i64(c, (int64_t)v * p->vw)), p->vw, (unsigned)p->vw * 4, NULL);
  }
  gm_loop_end(c, b, fn, &lk);
}

/* rows x kcur of A -> dst rows of ars floats */
void gm_pack_a(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef fn, const gm_plan *p, LLVMValueRef a, LLVMValueRef rows,
               LLVMValueRef kcur, LLVMValueRef dst) {
  if (p->csa == 1) { /* row segments */
    gm_loop li;
    gm_loop_begin(c, b, fn, rows, &li);
    LLVMValueRef src = gm_gep(c, b, a, LLVMBuildNSWMul(b, li.i, cg_i64(c, p->rsa), ""));
    LLVMValueRef d = gm_gep(c, b, dst, LLVMBuildNSWMul(b, li.i, cg_i64(c, p->ars), ""));
    LLVMBuildMemCpy(b, d, 64, src, 4, LLVMBuildNSWMul(b, kcur, cg_i64(c, 4), ""));
    gm_loop_end(c, b, fn, &li);
    return;
  }
  /* a transposed A: walk it in memory order (k outer), scattering into rows */
  gm_loop lk, li;
  gm_loop_begin(c, b, fn, kcur, &lk);
  LLVMValueRef src = gm_gep(c, b, a, LLVMBuildNSWMul(b, lk.i, cg_i64(c, p->csa), ""));
  LLVMValueRef d = gm_gep(c, b, dst, lk.i);
  gm_loop_begin(c, b, fn, rows, &li);
  LLVMValueRef v = LLVMBuildLoad2(b, c->f32, gm_gep(c, b, src, LLVMBuildNSWMul(b, li.i, cg_i64(c, p->rsa), "")), "");
  LLVMSetAlignment(v, 4);
  LLVMSetAlignment(LLVMBuildStore(b, v, gm_gep(c, b, d, LLVMBuildNSWMul(b, li.i, cg_i64(c, p->ars), ""))), 4);
  gm_loop_end(c, b, fn, &li);
  gm_loop_end(c, b, fn, &lk);
}

