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
  if (!mask) return cg_load(b, vty, p, align);
  return cg_load_masked(c, b, vty, p, align, mask, LLVMConstNull(vty));
}

static void store_vec(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef v, LLVMValueRef p, unsigned align, LLVMValueRef mask) {
  if (!mask) cg_store(b, v, p, align);
  else cg_store_masked(c, b, v, p, align, mask);
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
  LLVMBuilderRef b;
  fn = cg_fn_begin(c, name, params, 12, CG_FN_NOINLINE, &b);
  LLVMValueRef A = LLVMGetParam(fn, 0), B = LLVMGetParam(fn, 1), C = LLVMGetParam(fn, 2);
  LLVMValueRef ldc = LLVMGetParam(fn, 3), kc = LLVMGetParam(fn, 4), ncols = LLVMGetParam(fn, 5);
  LLVMValueRef accf = LLVMGetParam(fn, 6), biasp = LLVMGetParam(fn, 7), brs = LLVMGetParam(fn, 8);
  LLVMValueRef alpha = LLVMGetParam(fn, 9), pfofs = LLVMGetParam(fn, 10), ldb = LLVMGetParam(fn, 11);
  LLVMTypeRef fty[1] = {vty};
  LLVMValueRef fmuladd = cg_intrinsic(c, "llvm.fmuladd", fty, 1); /* fused where the target has FMA */

  /* the K loop: the accumulators are loop-carried values, so they live in
   * registers */
  cg_loop lk;
  cg_loop_begin_n(c, b, &lk, kc, "k");
  LLVMValueRef zero[14 * 2], next[14 * 2];
  for (int t = 0; t < mr * nv; t++) zero[t] = LLVMConstNull(vty);
  cg_loop_carry(b, &lk, mr * nv, zero);
  const LLVMValueRef k = lk.iv, *acc = lk.acc;
  LLVMValueRef brow = cg_gep(b, c->f32, B, LLVMBuildNSWMul(b, k, ldb, ""));
  LLVMValueRef bv[2];
  /* alignment 4: B may be a graph input read in place (unaligned vector
   * loads cost nothing extra on aligned data on the targets we tune for) */
  for (int v = 0; v < nv; v++) bv[v] = load_vec(c, b, cg_gep(b, c->f32, brow, cg_i64(c, (int64_t)v * vw)), vw, 4, NULL);
  { /* prefetch the same rows of the next panel, pfofs floats on (into L2:
     * the current panel owns L1) */
    LLVMValueRef pfn = cg_intrinsic(c, "llvm.prefetch", &c->ptr, 1);
    LLVMValueRef pb = cg_gep(b, c->f32, brow, pfofs);
    for (int l = 0; l < nr * 4 / 64; l++) {
      LLVMValueRef pa[4] = {cg_gep(b, c->f32, pb, cg_i64(c, (int64_t)l * 16)), cg_i32(c, 0), cg_i32(c, 1),
                            cg_i32(c, 1)};
      cg_call_at(b, pfn, pa, 4);
    }
  }
  LLVMValueRef kofs = LLVMBuildNSWMul(b, k, cg_i64(c, csa), "");
  for (int i = 0; i < mr; i++) {
    LLVMValueRef ap = cg_gep(b, c->f32, A, LLVMBuildNSWAdd(b, kofs, cg_i64(c, (int64_t)i * rsa), ""));
    LLVMValueRef as = splat(c, b, cg_load(b, c->f32, ap, 4), vw);
    for (int v = 0; v < nv; v++) {
      LLVMValueRef args[3] = {as, bv[v], acc[i * nv + v]};
      next[i * nv + v] = cg_call_at(b, fmuladd, args, 3);
    }
  }
  cg_loop_end(c, b, &lk, next);

  /* epilogue: four stores variants, {full, masked last panel} x {accumulate
   * into C, first K block (bias or nothing)}; branches run once per tile */
  LLVMValueRef al = splat(c, b, alpha, vw), r[14 * 2];
  for (int t = 0; t < mr * nv; t++) r[t] = LLVMBuildFMul(b, next[t], al, "");
  LLVMValueRef rowc[14], rowb[14];
  for (int i = 0; i < mr; i++) {
    rowc[i] = cg_gep(b, c->f32, C, LLVMBuildNSWMul(b, ldc, cg_i64(c, i), ""));
    rowb[i] = cg_gep(b, c->f32, biasp, LLVMBuildNSWMul(b, brs, cg_i64(c, i), ""));
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
          rowbias = splat(c, b, cg_load(b, c->f32, rowb[i], 4), vw);
        }
        for (int v = 0; v < nv; v++) {
          LLVMValueRef cp = cg_gep(b, c->f32, rowc[i], cg_i64(c, (int64_t)v * vw));
          LLVMValueRef val = r[i * nv + v], add = NULL;
          if (!first)
            add = load_vec(c, b, cp, vw, 4, mask[v]);
          else if (bias == GM_BIAS_VEC)
            add = load_vec(c, b, cg_gep(b, c->f32, rowb[i], cg_i64(c, (int64_t)v * vw)), vw, 4, mask[v]);
          else if (bias == GM_BIAS_ROW)
            add = rowbias;
          if (add) val = LLVMBuildFAdd(b, add, val, "");
          store_vec(c, b, val, cp, 4, mask[v]);
        }
      }
      LLVMBuildBr(b, done);
    }
  }
  LLVMPositionBuilderAtEnd(b, done);
  cg_fn_end(b);
  return fn;
}

/* Copies kcur rows x ncols columns of B (zero-filling columns up to nr) into
 * the panel: contiguous rows load through a lane mask, strided ones gather. */
void gm_pack_panel(cg_ctx *c, LLVMBuilderRef b, const gm_plan *p, LLVMValueRef src, LLVMValueRef kcur,
                   LLVMValueRef ncols, LLVMValueRef panel) {
  LLVMValueRef mask[2];
  for (int v = 0; v < p->nv; v++) mask[v] = lane_mask(c, b, ncols, p->vw, v);
  LLVMTypeRef vty = LLVMVectorType(c->f32, (unsigned)p->vw);
  LLVMValueRef offs = NULL;
  if (p->csb != 1) {
    LLVMValueRef lanes[64];
    for (int l = 0; l < p->vw; l++) lanes[l] = cg_i64(c, (int64_t)l * p->csb);
    offs = LLVMConstVector(lanes, (unsigned)p->vw);
  }
  cg_loop lk;
  cg_loop_begin_n(c, b, &lk, kcur, "pk");
  LLVMValueRef row = cg_gep(b, c->f32, src, LLVMBuildNSWMul(b, lk.iv, cg_i64(c, p->rsb), ""));
  LLVMValueRef dst = cg_gep(b, c->f32, panel, LLVMBuildNSWMul(b, lk.iv, cg_i64(c, p->nr), ""));
  for (int v = 0; v < p->nv; v++) {
    LLVMValueRef sp = cg_gep(b, c->f32, row, cg_i64(c, (int64_t)v * p->vw * p->csb)), val;
    if (p->csb == 1)
      val = load_vec(c, b, sp, p->vw, 4, mask[v]);
    else {
      LLVMValueRef ptrs = cg_gep(b, c->f32, sp, offs);
      LLVMTypeRef tys[2] = {vty, LLVMVectorType(c->ptr, (unsigned)p->vw)};
      LLVMValueRef g = cg_intrinsic(c, "llvm.masked.gather", tys, 2);
      LLVMValueRef args[4] = {ptrs, cg_i32(c, 4), mask[v], LLVMConstNull(vty)};
      val = cg_call_at(b, g, args, 4);
    }
    store_vec(c, b, val, cg_gep(b, c->f32, dst, cg_i64(c, (int64_t)v * p->vw)), (unsigned)p->vw * 4, NULL);
  }
  cg_loop_end(c, b, &lk, NULL);
}

/* rows x kcur of A -> dst rows of ars floats */
void gm_pack_a(cg_ctx *c, LLVMBuilderRef b, const gm_plan *p, LLVMValueRef a, LLVMValueRef rows, LLVMValueRef kcur,
               LLVMValueRef dst) {
  if (p->csa == 1) { /* row segments */
    cg_loop li;
    cg_loop_begin_n(c, b, &li, rows, "pa");
    LLVMValueRef src = cg_gep(b, c->f32, a, LLVMBuildNSWMul(b, li.iv, cg_i64(c, p->rsa), ""));
    LLVMValueRef d = cg_gep(b, c->f32, dst, LLVMBuildNSWMul(b, li.iv, cg_i64(c, p->ars), ""));
    LLVMBuildMemCpy(b, d, 64, src, 4, LLVMBuildNSWMul(b, kcur, cg_i64(c, 4), ""));
    cg_loop_end(c, b, &li, NULL);
    return;
  }
  /* a transposed A: walk it in memory order (k outer), scattering into rows */
  cg_loop lk, li;
  cg_loop_begin_n(c, b, &lk, kcur, "pk");
  LLVMValueRef src = cg_gep(b, c->f32, a, LLVMBuildNSWMul(b, lk.iv, cg_i64(c, p->csa), ""));
  LLVMValueRef d = cg_gep(b, c->f32, dst, lk.iv);
  cg_loop_begin_n(c, b, &li, rows, "pa");
  LLVMValueRef v = cg_load(b, c->f32, cg_gep(b, c->f32, src, LLVMBuildNSWMul(b, li.iv, cg_i64(c, p->rsa), "")), 4);
  cg_store(b, v, cg_gep(b, c->f32, d, LLVMBuildNSWMul(b, li.iv, cg_i64(c, p->ars), "")), 4);
  cg_loop_end(c, b, &li, NULL);
  cg_loop_end(c, b, &lk, NULL);
}

