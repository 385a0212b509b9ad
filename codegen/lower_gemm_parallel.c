/* lower_gemm_parallel.c: the GEMM driver, which runs gemm_microkernel.c's
 * micro-kernels over a whole (batched) product, split across the model's
 * thread pool.
 *
 * The driver cuts its product into items and hands them to cg_parallel_for,
 * which runs a body function over [0, items) in one contiguous range per
 * thread (the caller's included). The cut depends on the sizes only
 * (gm_plan_split), never on the thread count, so a model compiles to the same
 * code whatever --threads says (the compile cache keys on the IR) and
 * produces the same bits: every output element belongs to one item, and an
 * item's instruction sequence does not depend on which thread runs it or on
 * where its range starts.
 *  - GM_SPLIT_PANELS (one matrix, or a few large ones: the projections of a
 *    transformer): an item is a column panel (or a few: pgroup). A thread
 *    takes a contiguous range of panels, so B (the weights, the bulk of the
 *    memory traffic) is streamed once overall, and runs the single-threaded
 *    loop nest on it: per K block it packs the A block (all rows: each thread
 *    reads all of A, a copy of M x kc against its M x kc x panels of FMAs)
 *    into its own scratch slot, then its panels, then the tiles.
 *  - GM_SPLIT_BATCH (many small products: attention's batch x heads): an
 *    item is one whole product; the same loop nest, the same slot.
 *  - GM_SPLIT_ROWS (N too narrow to give out panels): an item is a row tile.
 *    Each thread packs just its own rows of A, into their place in a shared
 *    [M x ars] block; the B panels that need a copy (a gathered B^T, the
 *    partial last panel), read by every thread, are copied beforehand by the
 *    caller (B is narrow here: fewer than GM_PAR_MIN_PANELS panels).
 * Scratch is thus never indexed by a thread number (which the code cannot
 * know, and which is not bounded at compile time): a body call's slot is the
 * one of the first item of its range. Concurrent calls have disjoint ranges,
 * hence distinct slots, whatever the thread count or the way the pool cuts
 * [0, items); the region holds one slot per item, of which only as many are
 * touched as there are threads (just one when the pool has one thread or is
 * not used: then the region is only that slot). Layout, in floats:
 *   BATCH, PANELS: slot[nslots] of {A block (rows of a row block x ars), a B panel (kc x nr)}
 *   ROWS:          per batch matrix {A [M x ars], B copied [K x npad] in the
 *                  packed layout (B^T) or the partial last panel [K x nr]}
 * Small products (GM_PAR_MIN_FLOPS) do not wake the pool: the driver calls
 * the body itself on all items.
 *
 * A plan's epilogue (FusedMatMul, FusedGemm, FusedConv: an elementwise body,
 * lower_fused.h) runs inside the items: once a column panel's tiles have
 * done their last K block, the body's function runs over that panel's rows
 * of the row block, a block of C the tiles just stored (in L1 or L2),
 * reading it and the body's operands (located by the block's offset from the
 * output's base, ybase) and writing the result in place. So the epilogue
 * costs no pass over C in memory, and runs on every thread the product runs
 * on. (Applying the body to the tile in registers inside the micro-kernel,
 * before its store, measured no faster on CLIP ViT-B/32, GLIDE's UNet or
 * CLIP's fc1, and took about 10% more LLVM time for the four copies of the
 * body each kernel then holds.) */
#include "lower_fused.h"
#include "lower_gemm.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Below this many flops (about 40 us on one core) a product runs on the
 * caller: a parallel region costs some 50 us here (the pool's workers sleep
 * on a condition variable; waking one is an inter-processor interrupt, dear
 * on a VM), measured on chains of small MatMuls. */
#define GM_PAR_MIN_FLOPS (4.0 * 1000 * 1000)
/* A batch of at least this many products is split by product. */
#define GM_PAR_BATCH_ITEMS 8
/* Split by panels when there are this many (or more panels than tiles). */
#define GM_PAR_MIN_PANELS 8
/* Panels are grouped into fewer items when one slot per item would take
 * more scratch than this (only M > GM_MC_MAX with thousands of columns). */
#define GM_PAR_MAX_SLOTS_BYTES ((int64_t)32 << 20)

/* ---------- the split ---------- */
static int64_t nkblocks(const gm_plan *p) { return (p->K + p->kc - 1) / p->kc; }

/* B panels that cannot be read in place: all of them for a gathered B^T,
 * the partial last one of a row-major B. */
static bool b_copies(const gm_plan *p) {
  return p->bsrc == GM_B_GATHER || (p->bsrc == GM_B_DIRECT && p->N % p->nr != 0);
}

/* A slot of BATCH and PANELS: an A block and a B panel. */
static int64_t slot_floats(const gm_plan *p) { return gm_a_block_floats(p) + (b_copies(p) ? p->kc * p->nr : 0); }
/* Per batch matrix in ROWS: A's rows, then the B copies. */
static int64_t rows_a_floats(const gm_plan *p) {
  return p->pack_a && !p->apacked ? (p->M * p->ars + 15) / 16 * 16 : 0;
}
static int64_t rows_b_floats(const gm_plan *p) {
  return b_copies(p) ? p->K * (p->bsrc == GM_B_GATHER ? p->npad : p->nr) : 0;
}

bool gm_parallel_worth(double flops) { return flops >= GM_PAR_MIN_FLOPS; }

void gm_plan_split(cg_ctx *c, gm_plan *p) {
  p->nbatch = 1;
  for (int d = 0; d < p->nbd; d++) p->nbatch *= p->bdim[d];
  p->npanels = p->npad / p->nr;
  p->ntiles = (p->nmb > 0 ? p->nmb * (p->mb / p->mr_full) : 0) + p->n_hi + p->n_lo;
  p->pgroup = 1;
  const double flops = 2.0 * (double)p->M * (double)p->N * (double)p->K * (double)p->nbatch;
  p->parallel = gm_parallel_worth(flops) && (p->nbatch > 1 || p->npanels > 1 || p->ntiles > 1);
  if (!p->parallel || p->nbatch >= GM_PAR_BATCH_ITEMS) {
    p->split = GM_SPLIT_BATCH;
    p->nsub = 1;
  } else if (p->npanels >= GM_PAR_MIN_PANELS || p->npanels >= p->ntiles) {
    p->split = GM_SPLIT_PANELS;
    while (p->pgroup < p->npanels &&
           p->nbatch * ((p->npanels + p->pgroup - 1) / p->pgroup) * slot_floats(p) * 4 > GM_PAR_MAX_SLOTS_BYTES)
      p->pgroup++;
    p->nsub = (p->npanels + p->pgroup - 1) / p->pgroup;
  } else {
    p->split = GM_SPLIT_ROWS;
    p->nsub = p->ntiles;
  }
  /* With a pool of one thread the body runs once on [0, items) (cg.h), so
   * one slot is all it touches: the allocation stays what it was before
   * threads, while the code (slot offsets and all) stays the same. */
  p->nslots = p->parallel && c->opt && c->opt->threads > 1 ? p->nbatch * p->nsub : 1;
}

int64_t gm_scratch_bytes(const gm_plan *p) {
  if (p->split == GM_SPLIT_ROWS) return p->nbatch * (rows_a_floats(p) + rows_b_floats(p)) * 4;
  return p->nslots * slot_floats(p) * 4;
}

/* ---------- IR helpers ---------- */
static LLVMValueRef add(LLVMBuilderRef b, LLVMValueRef x, LLVMValueRef y) { return LLVMBuildNSWAdd(b, x, y, ""); }
static LLVMValueRef sub(LLVMBuilderRef b, LLVMValueRef x, LLVMValueRef y) { return LLVMBuildNSWSub(b, x, y, ""); }
static LLVMValueRef mul(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef x, int64_t k) {
  return LLVMBuildNSWMul(b, x, cg_i64(c, k), "");
}
static LLVMValueRef lt(LLVMBuilderRef b, LLVMValueRef x, LLVMValueRef y) {
  return LLVMBuildICmp(b, LLVMIntSLT, x, y, "");
}
static LLVMValueRef smin(LLVMBuilderRef b, LLVMValueRef x, LLVMValueRef y) {
  return LLVMBuildSelect(b, lt(b, x, y), x, y, "");
}
static LLVMValueRef smax(LLVMBuilderRef b, LLVMValueRef x, LLVMValueRef y) {
  return LLVMBuildSelect(b, lt(b, x, y), y, x, "");
}

/* if (cond) { ... }: returns the join block to close with if_end */
static LLVMBasicBlockRef if_begin(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef cond) {
  LLVMValueRef fn = LLVMGetBasicBlockParent(LLVMGetInsertBlock(b));
  LLVMBasicBlockRef then = LLVMAppendBasicBlockInContext(c->c, fn, "then");
  LLVMBasicBlockRef join = LLVMAppendBasicBlockInContext(c->c, fn, "join");
  LLVMBuildCondBr(b, cond, then, join);
  LLVMPositionBuilderAtEnd(b, then);
  return join;
}

static void if_end(LLVMBuilderRef b, LLVMBasicBlockRef join) {
  LLVMMoveBasicBlockAfter(join, LLVMGetInsertBlock(b));
  LLVMBuildBr(b, join);
  LLVMPositionBuilderAtEnd(b, join);
}

/* ---------- the operands of one batch matrix ---------- */
typedef struct gm_mats {
  LLVMValueRef a, b, c, bias;
} gm_mats;

static LLVMValueRef mul_add(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef acc, LLVMValueRef i, int64_t s) {
  if (s == 0) return acc;
  LLVMValueRef t = mul(c, b, i, s);
  return acc ? add(b, acc, t) : t;
}

/* Matrix bi of the batch: one flat index, split into the batch dims with
 * constant divisors, each dim with its own strides. */
static gm_mats batch_mats(cg_ctx *c, LLVMBuilderRef b, const gm_plan *p, const gm_mats *m, LLVMValueRef bi) {
  gm_mats r = *m;
  if (p->nbatch <= 1) return r;
  LLVMValueRef rest = bi, oa = NULL, ob = NULL, oc = NULL, obias = NULL;
  const int64_t bunit = p->bsrc == GM_B_PACKED ? gm_packed_floats(p) : 1;
  const int64_t aunit = p->apacked ? gm_packed_a_floats(p) : 1;
  for (int d = p->nbd - 1; d >= 0; d--) {
    LLVMValueRef idx = d > 0 ? LLVMBuildURem(b, rest, cg_i64(c, p->bdim[d]), "") : rest;
    if (d > 0) rest = LLVMBuildUDiv(b, rest, cg_i64(c, p->bdim[d]), "");
    oa = mul_add(c, b, oa, idx, p->sa[d] * aunit);
    ob = mul_add(c, b, ob, idx, p->sb[d] * bunit);
    oc = mul_add(c, b, oc, idx, p->sc[d]);
    obias = mul_add(c, b, obias, idx, p->sbias[d]);
  }
  if (oa) r.a = cg_gep(b, c->f32, m->a, oa);
  if (ob) r.b = cg_gep(b, c->f32, m->b, ob);
  if (oc) r.c = cg_gep(b, c->f32, m->c, oc);
  if (obias && p->bias) r.bias = cg_gep(b, c->f32, m->bias, obias);
  return r;
}

/* ---------- tiles ---------- */
/* Tiles in order: nmb blocks of mb / mr_full tiles of mr_full rows, then
 * n_hi of mr_hi and n_lo of mr_lo; the first row of tile t (t == ntiles: M). */
static LLVMValueRef tile_row(cg_ctx *c, LLVMBuilderRef b, const gm_plan *p, LLVMValueRef t) {
  const int64_t nf = p->ntiles - p->n_hi - p->n_lo, base = p->nmb * p->mb;
  LLVMValueRef rf = mul(c, b, t, p->mr_full);
  LLVMValueRef rh = add(b, cg_i64(c, base), mul(c, b, sub(b, t, cg_i64(c, nf)), p->mr_hi));
  LLVMValueRef rl =
      add(b, cg_i64(c, base + p->n_hi * p->mr_hi), mul(c, b, sub(b, t, cg_i64(c, nf + p->n_hi)), p->mr_lo));
  return LLVMBuildSelect(b, lt(b, t, cg_i64(c, nf)), rf,
                         LLVMBuildSelect(b, lt(b, t, cg_i64(c, nf + p->n_hi)), rh, rl, ""), "");
}

/* What the tiles of one panel of one K block share. */
typedef struct gm_strip {
  LLVMValueRef tlo, thi;   /* tiles [tlo, thi) of one row block */
  LLVMValueRef ablk, arow0; /* tile rows of A: ablk + (row - arow0) * ars (packed) or * rsa */
  LLVMValueRef panel, ldb, pfofs, ncols;
  LLVMValueRef cj, bj; /* C and the bias at column j0 */
  LLVMValueRef kcur, accf;
  LLVMValueRef row0, rows; /* the rows of the tiles [tlo, thi) */
  LLVMValueRef klast;      /* i1: this is the last K block (NULL: there is one) */
} gm_strip;

static void emit_tiles(cg_ctx *c, LLVMBuilderRef b, const gm_plan *p, const gm_strip *s) {
  const int64_t nf = p->ntiles - p->n_hi - p->n_lo, base = p->nmb * p->mb;
  const struct {
    int mr;
    int64_t first, count, row;
  } cls[3] = {{p->mr_full, 0, nf, 0},
              {p->mr_hi, nf, p->n_hi, base},
              {p->mr_lo, nf + p->n_hi, p->n_lo, base + p->n_hi * p->mr_hi}};
  const int64_t rsa = p->pack_a ? p->ars : p->rsa, csa = p->pack_a ? 1 : p->csa;
  for (int k = 0; k < 3; k++) {
    if (cls[k].count <= 0 || cls[k].mr <= 0) continue;
    LLVMValueRef kern = gm_micro_kernel(c, cls[k].mr, p->nv, p->vw, rsa, csa, p->bias);
    cg_loop lt_;
    cg_loop_begin_range(c, b, &lt_, smax(b, s->tlo, cg_i64(c, cls[k].first)),
                        smin(b, s->thi, cg_i64(c, cls[k].first + cls[k].count)), "tile");
    LLVMValueRef row = add(b, cg_i64(c, cls[k].row), mul(c, b, sub(b, lt_.iv, cg_i64(c, cls[k].first)), cls[k].mr));
    LLVMValueRef args[12] = {cg_gep(b, c->f32, s->ablk, mul(c, b, sub(b, row, s->arow0), rsa)),
                             s->panel,
                             cg_gep(b, c->f32, s->cj, mul(c, b, row, p->ldc)),
                             cg_i64(c, p->ldc),
                             s->kcur,
                             s->ncols,
                             s->accf,
                             p->bias ? cg_gep(b, c->f32, s->bj, mul(c, b, row, p->brs)) : s->bj,
                             cg_i64(c, p->brs),
                             cg_f32(c, p->alpha),
                             s->pfofs,
                             s->ldb};
    cg_call_at(b, kern, args, 12);
    cg_loop_end(c, b, &lt_, NULL);
  }
}

/* ---------- one rectangle of one batch matrix ---------- */
typedef struct gm_rect {
  gm_mats m;
  LLVMValueRef t0, t1, j0, j1; /* tiles [t0, t1) x panels [j0, j1), both non-empty */
  LLVMValueRef apack; /* BATCH, PANELS: the slot A blocks are packed into; ROWS: A's [M x ars] */
  LLVMValueRef bcopy; /* BATCH, PANELS: B panels are copied here; ROWS: copied beforehand */
  LLVMValueRef ybase, ops; /* the epilogue's output and operands */
} gm_rect;

/* Calls the epilogue on rows x ncols of C at reg (ncols constant). */
static void call_epilogue(cg_ctx *c, LLVMBuilderRef b, const gm_plan *p, const gm_rect *r, const gm_strip *s,
                          LLVMValueRef reg, LLVMValueRef e0, int64_t ncols) {
  LLVMValueRef f = cg_epi_function(c, p->epi, ncols);
  LLVMValueRef args[4] = {reg, e0, s->rows, r->ops};
  if (f) cg_call_at(b, f, args, 4);
}

/* After the tiles of a panel: on its last K block, the epilogue over the
 * panel's rows of this row block, which the tiles just stored (a region of
 * C in L1 or L2). Every element belongs to one region, whose bounds come
 * from the plan alone, so results do not depend on the thread count. */
static void emit_epilogue(cg_ctx *c, LLVMBuilderRef b, const gm_plan *p, const gm_rect *r, const gm_strip *s) {
  LLVMBasicBlockRef join = s->klast ? if_begin(c, b, s->klast) : NULL;
  LLVMValueRef reg = cg_gep(b, c->f32, s->cj, mul(c, b, s->row0, p->ldc));
  LLVMValueRef e0 = LLVMBuildPtrDiff2(b, c->f32, reg, r->ybase, "");
  const int64_t nlast = p->N - (p->npanels - 1) * p->nr;
  if (LLVMIsAConstantInt(s->ncols))
    call_epilogue(c, b, p, r, s, reg, e0, LLVMConstIntGetSExtValue(s->ncols));
  else if (nlast == p->nr)
    call_epilogue(c, b, p, r, s, reg, e0, p->nr);
  else { /* the last panel is narrower */
    LLVMValueRef fn = LLVMGetBasicBlockParent(LLVMGetInsertBlock(b));
    LLVMBasicBlockRef full = LLVMAppendBasicBlockInContext(c->c, fn, "epi.full");
    LLVMBasicBlockRef part = LLVMAppendBasicBlockInContext(c->c, fn, "epi.part");
    LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(c->c, fn, "epi.done");
    LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntEQ, s->ncols, cg_i64(c, p->nr), ""), full, part);
    LLVMPositionBuilderAtEnd(b, full);
    call_epilogue(c, b, p, r, s, reg, e0, p->nr);
    LLVMBuildBr(b, done);
    LLVMPositionBuilderAtEnd(b, part);
    call_epilogue(c, b, p, r, s, reg, e0, nlast);
    LLVMBuildBr(b, done);
    LLVMPositionBuilderAtEnd(b, done);
  }
  if (join) if_end(b, join);
}

/* Points s at panel j (ncols valid columns) of K block k0 and runs its tiles. */
static void emit_panel(cg_ctx *c, LLVMBuilderRef b, const gm_plan *p, const gm_rect *r, gm_strip *s, LLVMValueRef k0,
                       LLVMValueRef j, LLVMValueRef ncols, bool partial) {
  LLVMValueRef jc = mul(c, b, j, p->nr); /* first column */
  LLVMValueRef packed_off = add(b, mul(c, b, k0, p->npad), mul(c, b, LLVMBuildNSWMul(b, j, s->kcur, ""), p->nr));
  s->ncols = ncols;
  s->ldb = cg_i64(c, p->nr);
  s->pfofs = cg_i64(c, 0);
  if (p->bsrc == GM_B_PACKED || (p->bsrc == GM_B_GATHER && p->split == GM_SPLIT_ROWS)) {
    /* gm_pack_const_b's layout: the next panel follows this one */
    s->panel = cg_gep(b, c->f32, p->bsrc == GM_B_PACKED ? r->m.b : r->bcopy, packed_off);
    s->pfofs = LLVMBuildNSWMul(b, s->kcur, cg_i64(c, p->nr), "");
  } else if (p->bsrc == GM_B_DIRECT && !partial) {
    /* in place; the next panel is the rest of the same rows */
    s->panel = cg_gep(b, c->f32, r->m.b, add(b, mul(c, b, k0, p->rsb), jc));
    s->ldb = cg_i64(c, p->rsb);
    s->pfofs = cg_i64(c, p->nr);
  } else if (p->bsrc == GM_B_DIRECT && p->split == GM_SPLIT_ROWS) {
    s->panel = cg_gep(b, c->f32, r->bcopy, mul(c, b, k0, p->nr)); /* the partial panel, copied beforehand */
  } else {
    /* copied now into the slot: a gathered panel or the partial last one */
    LLVMValueRef dst = r->bcopy;
    LLVMValueRef src = cg_gep(b, c->f32, r->m.b, add(b, mul(c, b, k0, p->rsb), mul(c, b, jc, p->csb)));
    gm_pack_panel(c, b, p, src, s->kcur, ncols, dst);
    s->panel = dst;
  }
  s->cj = cg_gep(b, c->f32, r->m.c, jc);
  s->bj = p->bias == GM_BIAS_VEC ? cg_gep(b, c->f32, r->m.bias, jc) : r->m.bias;
  emit_tiles(c, b, p, s);
  if (p->epi) emit_epilogue(c, b, p, r, s);
}

/* Row blocks of the rectangle, K blocks, panels, tiles: the Goto loop nest. */
static void emit_rect(cg_ctx *c, LLVMBuilderRef b, const gm_plan *p, const gm_rect *r) {
  const int64_t nkb = nkblocks(p), klast = p->K - (nkb - 1) * p->kc;
  const int64_t nfull = p->N / p->nr, part = p->N % p->nr, nlast = p->N - (p->npanels - 1) * p->nr;
  const int64_t tpb = p->nmb > 0 ? p->mb / p->mr_full : 1, nf = p->nmb * tpb;
  /* the row blocks the tiles [t0, t1) touch */
  LLVMValueRef last = sub(b, r->t1, cg_i64(c, 1));
  LLVMValueRef blk0 = LLVMBuildSelect(b, lt(b, r->t0, cg_i64(c, nf)), LLVMBuildUDiv(b, r->t0, cg_i64(c, tpb), ""),
                                      cg_i64(c, p->nmb), "");
  LLVMValueRef blk1 = LLVMBuildSelect(b, lt(b, last, cg_i64(c, nf)), LLVMBuildUDiv(b, last, cg_i64(c, tpb), ""),
                                      cg_i64(c, p->nmb), "");
  cg_loop lb;
  cg_loop_begin_range(c, b, &lb, blk0, add(b, blk1, cg_i64(c, 1)), "rowblk");
  LLVMValueRef bt0 = mul(c, b, lb.iv, tpb);
  LLVMValueRef bt1 = LLVMBuildSelect(b, lt(b, lb.iv, cg_i64(c, p->nmb)), add(b, bt0, cg_i64(c, tpb)),
                                     cg_i64(c, p->ntiles), "");
  gm_strip s = {0};
  s.tlo = smax(b, r->t0, bt0);
  s.thi = smin(b, r->t1, bt1);
  LLVMValueRef row0 = tile_row(c, b, p, s.tlo);
  LLVMValueRef rows = sub(b, tile_row(c, b, p, s.thi), row0);
  s.row0 = row0;
  s.rows = rows;

  cg_loop lk;
  cg_loop_begin(c, b, &lk, nkb, "kblk");
  LLVMValueRef kb = lk.iv;
  LLVMValueRef k0 = mul(c, b, kb, p->kc);
  s.kcur = nkb > 1 ? LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntEQ, kb, cg_i64(c, nkb - 1), ""), cg_i64(c, klast),
                                     cg_i64(c, p->kc), "kcur")
                   : cg_i64(c, klast);
  s.accf = LLVMBuildZExt(b, LLVMBuildICmp(b, LLVMIntNE, kb, cg_i64(c, 0), ""), c->i32, "");
  s.klast = nkb > 1 ? LLVMBuildICmp(b, LLVMIntEQ, kb, cg_i64(c, nkb - 1), "klast") : NULL;
  if (!p->pack_a) { /* A read in place */
    s.ablk = cg_gep(b, c->f32, r->m.a, mul(c, b, k0, p->csa));
    s.arow0 = cg_i64(c, 0);
  } else if (p->apacked) { /* packed at compile time: K block kb's rows */
    s.ablk = cg_gep(b, c->f32, r->m.a, mul(c, b, kb, p->M * p->ars));
    s.arow0 = cg_i64(c, 0);
  } else {
    /* the rows of this block, K block k0: into the slot (BATCH, PANELS: a
     * thread packs them for its own use) or into their own rows of the
     * shared block (ROWS: each thread packs the rows it owns) */
    LLVMValueRef src = cg_gep(b, c->f32, r->m.a, add(b, mul(c, b, row0, p->rsa), mul(c, b, k0, p->csa)));
    const bool own = p->split == GM_SPLIT_ROWS;
    gm_pack_a(c, b, p, src, rows, s.kcur, own ? cg_gep(b, c->f32, r->apack, mul(c, b, row0, p->ars)) : r->apack);
    s.ablk = r->apack;
    s.arow0 = own ? cg_i64(c, 0) : row0;
  }

  if (p->bsrc == GM_B_DIRECT) { /* full panels in place, then the partial one */
    cg_loop lj;
    cg_loop_begin_range(c, b, &lj, r->j0, smin(b, r->j1, cg_i64(c, nfull)), "panel");
    emit_panel(c, b, p, r, &s, k0, lj.iv, cg_i64(c, p->nr), false);
    cg_loop_end(c, b, &lj, NULL);
    if (part) {
      LLVMBasicBlockRef join = if_begin(c, b, lt(b, cg_i64(c, nfull), r->j1));
      emit_panel(c, b, p, r, &s, k0, cg_i64(c, nfull), cg_i64(c, part), true);
      if_end(b, join);
    }
  } else {
    cg_loop lj;
    cg_loop_begin_range(c, b, &lj, r->j0, r->j1, "panel");
    LLVMValueRef ncols = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntEQ, lj.iv, cg_i64(c, p->npanels - 1), ""),
                                         cg_i64(c, nlast), cg_i64(c, p->nr), "ncols");
    emit_panel(c, b, p, r, &s, k0, lj.iv, ncols, false);
    cg_loop_end(c, b, &lj, NULL);
  }
  cg_loop_end(c, b, &lk, NULL);
  cg_loop_end(c, b, &lb, NULL);
}

/* ---------- the body: void f(ptr ctx, i64 begin, i64 end) over items ---------- */
enum { CTX_A = GM_ARG_A, CTX_B, CTX_C, CTX_BIAS, CTX_SCRATCH, CTX_YBASE, CTX_OPS, CTX_N };
_Static_assert((int)CTX_N == (int)GM_ARG_RT, "the driver's context holds the arguments before rt");

static LLVMValueRef body_function(cg_ctx *c, const gm_plan *p, const char *name) {
  LLVMBuilderRef b;
  LLVMValueRef fn = cg_fn_begin_body(c, name, &b);
  LLVMValueRef ctx = LLVMGetParam(fn, 0), begin = LLVMGetParam(fn, 1), end = LLVMGetParam(fn, 2);
  LLVMValueRef v[CTX_N];
  for (int i = 0; i < CTX_N; i++) v[i] = cg_load_slot(c, b, ctx, i);
  const gm_mats all = {v[CTX_A], v[CTX_B], v[CTX_C], v[CTX_BIAS]};
  LLVMValueRef scratch = v[CTX_SCRATCH];
  const int64_t nsub = p->nsub;
  /* BATCH, PANELS: the slot of the range's first item (one slot for all
   * when the items run on the caller alone) */
  LLVMValueRef slot = cg_gep(b, c->f32, scratch, mul(c, b, begin, p->parallel ? slot_floats(p) : 0));
  /* the batch matrices the items [begin, end) touch, and in each the items
   * [s0, s1) of its nsub */
  cg_loop lb;
  cg_loop_begin_range(c, b, &lb, LLVMBuildUDiv(b, begin, cg_i64(c, nsub), ""),
                      add(b, LLVMBuildUDiv(b, sub(b, end, cg_i64(c, 1)), cg_i64(c, nsub), ""), cg_i64(c, 1)), "batch");
  LLVMValueRef first = mul(c, b, lb.iv, nsub);
  LLVMValueRef s0 = smax(b, sub(b, begin, first), cg_i64(c, 0));
  LLVMValueRef s1 = smin(b, sub(b, end, first), cg_i64(c, nsub));
  gm_rect r = {0};
  r.m = batch_mats(c, b, p, &all, lb.iv);
  r.ybase = v[CTX_YBASE];
  r.ops = v[CTX_OPS];
  r.t0 = cg_i64(c, 0), r.t1 = cg_i64(c, p->ntiles);
  r.j0 = cg_i64(c, 0), r.j1 = cg_i64(c, p->npanels);
  if (p->split == GM_SPLIT_ROWS) {
    r.apack = cg_gep(b, c->f32, scratch, mul(c, b, lb.iv, rows_a_floats(p) + rows_b_floats(p)));
    r.bcopy = cg_gep(b, c->f32, r.apack, cg_i64(c, rows_a_floats(p)));
    r.t0 = s0, r.t1 = s1;
  } else {
    r.apack = slot;
    r.bcopy = cg_gep(b, c->f32, slot, cg_i64(c, gm_a_block_floats(p)));
    if (p->split == GM_SPLIT_PANELS) {
      r.j0 = mul(c, b, s0, p->pgroup);
      r.j1 = smin(b, mul(c, b, s1, p->pgroup), cg_i64(c, p->npanels));
    }
  }
  emit_rect(c, b, p, &r);
  cg_loop_end(c, b, &lb, NULL);
  cg_fn_end(b);
  return fn;
}

/* ROWS: copies, on the calling thread, the B panels every item reads and
 * that cannot be read in place. */
static void emit_b_copies(cg_ctx *c, LLVMBuilderRef b, const gm_plan *p, const gm_mats *all, LLVMValueRef scratch) {
  const int64_t nkb = nkblocks(p), klast = p->K - (nkb - 1) * p->kc;
  cg_loop lb;
  cg_loop_begin(c, b, &lb, p->nbatch, "batch");
  LLVMValueRef bi = lb.iv;
  gm_mats m = batch_mats(c, b, p, all, bi);
  LLVMValueRef bdst = cg_gep(b, c->f32, scratch,
                             add(b, mul(c, b, bi, rows_a_floats(p) + rows_b_floats(p)), cg_i64(c, rows_a_floats(p))));
  cg_loop lk;
  cg_loop_begin(c, b, &lk, nkb, "kblk");
  LLVMValueRef kb = lk.iv;
  LLVMValueRef k0 = mul(c, b, kb, p->kc);
  LLVMValueRef kcur = nkb > 1 ? LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntEQ, kb, cg_i64(c, nkb - 1), ""),
                                                cg_i64(c, klast), cg_i64(c, p->kc), "")
                              : cg_i64(c, klast);
  if (p->bsrc == GM_B_DIRECT) { /* the partial last panel, [K x nr] */
    const int64_t nfull = p->N / p->nr;
    LLVMValueRef src = cg_gep(b, c->f32, m.b, add(b, mul(c, b, k0, p->rsb), cg_i64(c, nfull * p->nr)));
    gm_pack_panel(c, b, p, src, kcur, cg_i64(c, p->N % p->nr), cg_gep(b, c->f32, bdst, mul(c, b, k0, p->nr)));
  } else { /* every panel of B^T, in gm_pack_const_b's layout */
    const int64_t nlast = p->N - (p->npanels - 1) * p->nr;
    cg_loop lj;
    cg_loop_begin_range(c, b, &lj, cg_i64(c, 0), cg_i64(c, p->npanels), "panel");
    LLVMValueRef ncols = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntEQ, lj.iv, cg_i64(c, p->npanels - 1), ""),
                                         cg_i64(c, nlast), cg_i64(c, p->nr), "");
    LLVMValueRef src = cg_gep(b, c->f32, m.b, add(b, mul(c, b, k0, p->rsb), mul(c, b, lj.iv, p->nr * p->csb)));
    LLVMValueRef dst =
        cg_gep(b, c->f32, bdst, add(b, mul(c, b, k0, p->npad), mul(c, b, LLVMBuildNSWMul(b, lj.iv, kcur, ""), p->nr)));
    gm_pack_panel(c, b, p, src, kcur, ncols, dst);
    cg_loop_end(c, b, &lj, NULL);
  }
  cg_loop_end(c, b, &lk, NULL);
  cg_loop_end(c, b, &lb, NULL);
}

/* ---------- the driver ---------- */
/* The driver's name spells out everything it depends on, so nodes with the
 * same plan (the 12 identical layers of a transformer) share one function. */
static void driver_name(const gm_plan *p, char *buf, size_t n) {
  uint32_t abits;
  memcpy(&abits, &p->alpha, 4);
  int len = snprintf(
      buf, n, "kiln_gemm_%lldx%lldx%lld_a%lld.%lld%s_b%lld.%lld%s_c%lld_e%d.%lld.%08x_t%d.%d.%lld_s%d%s",
      (long long)p->M, (long long)p->N, (long long)p->K, (long long)p->rsa, (long long)p->csa, p->apacked ? "p" : "",
      (long long)p->rsb, (long long)p->csb,
      p->bsrc == GM_B_PACKED   ? "p"
      : p->bsrc == GM_B_GATHER ? "g"
                               : "",
      (long long)p->ldc, (int)p->bias, (long long)p->brs, (unsigned)abits, p->mr_hi, p->mr_lo, (long long)p->kc,
      (int)p->split, p->parallel ? "p" : "");
  if (p->pgroup > 1 && len > 0 && (size_t)len < n)
    len += snprintf(buf + len, n - (size_t)len, "_g%lld", (long long)p->pgroup);
  if (p->nmb > 0 && len > 0 && (size_t)len < n)
    len += snprintf(buf + len, n - (size_t)len, "_m%lld.%d", (long long)p->mb, p->mr_full);
  for (int d = 0; d < p->nbd && len > 0 && (size_t)len < n; d++)
    len += snprintf(buf + len, n - (size_t)len, "_%lld.%lld.%lld.%lld.%lld", (long long)p->bdim[d], (long long)p->sa[d],
                    (long long)p->sb[d], (long long)p->sc[d], (long long)p->sbias[d]);
}

LLVMValueRef gm_driver(cg_ctx *c, const gm_plan *p) {
  char base[512];
  driver_name(p, base, sizeof base);
  /* an epilogue's key names its code: it goes into the driver's name whole */
  const char *key = p->epi ? p->epi->key : "";
  const size_t len = strlen(base) + strlen(key) + 16;
  char *name = malloc(len), *bname = malloc(len);
  if (!name || !bname) {
    free(name), free(bname);
    return NULL;
  }
  snprintf(name, len, "%s%s%s", base, p->epi ? "_x" : "", key);
  snprintf(bname, len, "%s_work", name);
  LLVMValueRef fn = LLVMGetNamedFunction(c->m, name);
  /* the epilogue's functions for full panels and the last one, made first
   * so that the driver never calls one that could not be made */
  const int64_t nlast = p->N - (p->npanels - 1) * p->nr;
  if (fn || (p->epi && (!cg_epi_function(c, p->epi, p->nr) || !cg_epi_function(c, p->epi, nlast)))) {
    free(name), free(bname);
    return fn;
  }
  LLVMValueRef body = body_function(c, p, bname);
  LLVMBuilderRef b;
  fn = cg_fn_begin_ptrs(c, name, CTX_N + 1, CG_FN_NOINLINE, &b);
  LLVMValueRef ctx = LLVMBuildAlloca(b, LLVMArrayType(c->ptr, CTX_N), "ctx");
  for (int i = 0; i < CTX_N; i++) cg_store_slot(c, b, ctx, i, LLVMGetParam(fn, (unsigned)i));
  const gm_mats all = {LLVMGetParam(fn, CTX_A), LLVMGetParam(fn, CTX_B), LLVMGetParam(fn, CTX_C),
                       LLVMGetParam(fn, CTX_BIAS)};
  if (p->split == GM_SPLIT_ROWS && b_copies(p)) emit_b_copies(c, b, p, &all, LLVMGetParam(fn, CTX_SCRATCH));
  const int64_t items = p->nbatch * p->nsub;
  if (p->parallel) {
    /* the driver is a function of its own (shared by nodes, called from
     * conv loops too): the pool is reached through its own rt parameter */
    cg_parallel_for_at(c, b, LLVMGetParam(fn, CTX_N), body, ctx, cg_i64(c, items));
  } else {
    LLVMValueRef args[3] = {ctx, cg_i64(c, 0), cg_i64(c, items)};
    cg_call_at(b, body, args, 3);
  }
  cg_fn_end(b);
  free(name), free(bname);
  return fn;
}

kn_status gm_call_driver(cg_ctx *c, const gm_plan *p, LLVMValueRef a, LLVMValueRef b, LLVMValueRef cc,
                         LLVMValueRef bias, LLVMValueRef scratch, LLVMValueRef ybase, LLVMValueRef ops) {
  LLVMValueRef drv = gm_driver(c, p);
  if (!drv) return kn_fail(c->kn, KN_ENOMEM, "out of memory generating a GEMM");
  LLVMValueRef null = LLVMConstNull(c->ptr);
  LLVMValueRef args[GM_NARGS] = {a, b, cc, bias ? bias : null, scratch ? scratch : null, ybase ? ybase : null,
                                 ops ? ops : null, c->rt};
  cg_call(c, drv, args, GM_NARGS);
  return KN_OK;
}
