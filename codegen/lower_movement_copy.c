/* lower_movement_copy.c: the generator behind every data-movement lowering,
 * an N-d strided copy whose dims, strides and offsets are compile-time
 * constants. Each copy becomes its own small function with noalias pointer
 * parameters (so LLVM needs no runtime overlap checks) and constant-trip-count
 * loops, called from the entry; after inlining and the O2 pipeline it is a
 * loop nest specialized to the exact shape. Three leaf shapes cover the
 * family: rows contiguous on both sides (memcpy of a constant size, which
 * LLVM expands into the widest moves), broadcast rows (a vectorized store of
 * one loaded element), and anything else element by element. When the source's
 * unit-stride dim is not the destination's innermost one (a transpose of the
 * two fastest dims, e.g. attention's [..,50,64] -> [..,64,50]) the copy runs
 * in square tiles of one vector register per row: T contiguous loads, a
 * transpose in registers with shuffles, T contiguous stores. Left to itself,
 * LLVM vectorizes such a copy with a gather or scatter per vector, which is
 * no faster than scalar code; the shuffles make it ~3x faster than the
 * reference kernel. Ragged edges are overlapping full tiles or small scalar
 * tiles. */
#include "lower_movement.h"
#include <stdio.h>
#include <string.h>

typedef struct gen {
  cg_ctx *c;
  LLVMBuilderRef b;
  LLVMValueRef dst, src;
  LLVMTypeRef et; /* the element as an integer of es bytes */
  const mv_copy *cp;
  int64_t es;
  int ealign_d, ealign_s; /* alignment of one element access */
  int ralign_d, ralign_s; /* alignment of a row start (memcpy leaves) */
  int unit, last;         /* tiled transpose: the source's unit-stride dim and the destination's */
  int64_t tile;
  bool vec_tiles; /* full tiles transposed in vector registers */
} gen;

int mv_value_align(cg_ctx *c, ir_id v) {
  switch (c->loc[v].kind) {
  case CG_LOC_WS:
  case CG_LOC_CONST: return 64;
  default: return 4;
  }
}

void mv_contiguous_strides(int rank, const int64_t *dims, int64_t *st) {
  int64_t acc = 1;
  for (int i = rank - 1; i >= 0; i--) {
    st[i] = acc;
    acc *= dims[i];
  }
}

int64_t mv_numel(cg_ctx *c, ir_id v) {
  const ir_type *t = mv_type(c, v);
  return t ? kn_dims_numel(t->rank, t->dims) : 0;
}

/* Drops size-1 dims and merges neighbours contiguous in both views. */
static void coalesce(mv_copy *cp) {
  int r = 0;
  for (int i = 0; i < cp->rank; i++) {
    if (cp->dims[i] == 1) continue;
    if (r > 0 && cp->ds[r - 1] == cp->ds[i] * cp->dims[i] && cp->ss[r - 1] == cp->ss[i] * cp->dims[i]) {
      cp->dims[r - 1] *= cp->dims[i];
      cp->ds[r - 1] = cp->ds[i];
      cp->ss[r - 1] = cp->ss[i];
      continue;
    }
    cp->dims[r] = cp->dims[i], cp->ds[r] = cp->ds[i], cp->ss[r] = cp->ss[i];
    r++;
  }
  cp->rank = r;
}

static uint64_t gcd_u64(uint64_t a, uint64_t b) {
  while (b) {
    uint64_t t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/* Largest power of two <= base dividing every byte offset a row start can
 * have: the constant offset plus any multiple of the outer strides. */
static int row_align(int base, int64_t off, const int64_t *st, const int64_t *dims, int n, int64_t es) {
  uint64_t g = (uint64_t)(off < 0 ? -off : off) * (uint64_t)es;
  for (int k = 0; k < n; k++)
    if (dims[k] > 1) g = gcd_u64(g, (uint64_t)(st[k] < 0 ? -st[k] : st[k]) * (uint64_t)es);
  int a = base;
  while (a > 1 && g % (uint64_t)a != 0) a >>= 1;
  return a;
}

/* the kit's loops (llvm_kit.c) on the copy's builder */
typedef cg_loop loop;
static loop loop_begin(gen *G, int64_t n, const char *name) {
  loop l;
  cg_loop_begin(G->c, G->b, &l, n, name);
  return l;
}
static void loop_end(gen *G, loop *l) { cg_loop_end(G->c, G->b, l, NULL); }

/* off + i*stride (i64, no signed wrap: offsets stay inside the buffers) */
static LLVMValueRef madd(gen *G, LLVMValueRef off, LLVMValueRef i, int64_t stride) {
  if (stride == 0) return off;
  LLVMValueRef t = stride == 1 ? i : LLVMBuildNSWMul(G->b, i, cg_i64(G->c, stride), "");
  return LLVMBuildNSWAdd(G->b, off, t, "");
}

static LLVMValueRef elem_ptr(gen *G, LLVMValueRef base, LLVMValueRef off) {
  return cg_gep_inbounds(G->b, G->et, base, off);
}

static void copy_elem(gen *G, LLVMValueRef doff, LLVMValueRef soff) {
  LLVMValueRef v = cg_load(G->b, G->et, elem_ptr(G, G->src, soff), (unsigned)G->ealign_s);
  cg_store(G->b, v, elem_ptr(G, G->dst, doff), (unsigned)G->ealign_d);
}

/* The innermost dim of a plain (untiled) copy. */
static void leaf_row(gen *G, LLVMValueRef doff, LLVMValueRef soff) {
  const mv_copy *cp = G->cp;
  int k = cp->rank - 1;
  int64_t n = k >= 0 ? cp->dims[k] : 1, ds = k >= 0 ? cp->ds[k] : 1, ss = k >= 0 ? cp->ss[k] : 1;
  if (n == 1 || (ds == 1 && ss == 1)) {
    LLVMBuildMemCpy(G->b, elem_ptr(G, G->dst, doff), (unsigned)G->ralign_d, elem_ptr(G, G->src, soff),
                    (unsigned)G->ralign_s, cg_i64(G->c, n * G->es));
    return;
  }
  if (ss == 0) { /* broadcast: one load, n stores */
    LLVMValueRef v = cg_load(G->b, G->et, elem_ptr(G, G->src, soff), (unsigned)G->ealign_s);
    loop l = loop_begin(G, n, "bcast");
    cg_store(G->b, v, elem_ptr(G, G->dst, madd(G, doff, l.iv, ds)), (unsigned)G->ealign_d);
    loop_end(G, &l);
    return;
  }
  loop l = loop_begin(G, n, "elem");
  copy_elem(G, madd(G, doff, l.iv, ds), madd(G, soff, l.iv, ss));
  loop_end(G, &l);
}

/* One ni x nj tile of the transpose starting at (i0, j0): i runs along the
 * source's unit stride, j along the destination's. */
static void tile(gen *G, LLVMValueRef doff, LLVMValueRef soff, LLVMValueRef i0, int64_t ni, LLVMValueRef j0,
                 int64_t nj) {
  const mv_copy *cp = G->cp;
  int u = G->unit, l = G->last;
  doff = madd(G, madd(G, doff, i0, cp->ds[u]), j0, 1);
  soff = madd(G, madd(G, soff, i0, 1), j0, cp->ss[l]);
  loop li = loop_begin(G, ni, "ti");
  LLVMValueRef drow = madd(G, doff, li.iv, cp->ds[u]), srow = madd(G, soff, li.iv, 1);
  loop lj = loop_begin(G, nj, "tj");
  copy_elem(G, madd(G, drow, lj.iv, 1), madd(G, srow, lj.iv, cp->ss[l]));
  loop_end(G, &lj);
  loop_end(G, &li);
}

void mv_transpose_regs(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef *rows, int T) {
  LLVMValueRef next[32], lo[32], hi[32];
  for (int k = 0; k < T / 2; k++) {
    lo[2 * k] = LLVMConstInt(c->i32, (unsigned long long)k, 0);
    lo[2 * k + 1] = LLVMConstInt(c->i32, (unsigned long long)(T + k), 0);
    hi[2 * k] = LLVMConstInt(c->i32, (unsigned long long)(T / 2 + k), 0);
    hi[2 * k + 1] = LLVMConstInt(c->i32, (unsigned long long)(T + T / 2 + k), 0);
  }
  LLVMValueRef mlo = LLVMConstVector(lo, (unsigned)T), mhi = LLVMConstVector(hi, (unsigned)T);
  for (int w = T; w > 1; w >>= 1) {
    for (int i = 0; i < T / 2; i++) {
      next[2 * i] = LLVMBuildShuffleVector(b, rows[i], rows[i + T / 2], mlo, "");
      next[2 * i + 1] = LLVMBuildShuffleVector(b, rows[i], rows[i + T / 2], mhi, "");
    }
    memcpy(rows, next, sizeof(LLVMValueRef) * (size_t)T);
  }
}

/* One full T x T tile in registers (T = G->tile lanes): T vector loads along
 * the source's unit stride, the register transpose, T contiguous stores. */
static void tile_vec(gen *G, LLVMValueRef doff, LLVMValueRef soff, LLVMValueRef i0, LLVMValueRef j0) {
  const mv_copy *cp = G->cp;
  int u = G->unit, l = G->last, T = (int)G->tile;
  LLVMTypeRef vt = LLVMVectorType(G->et, (unsigned)T);
  LLVMValueRef rows[32];
  LLVMValueRef sbase = madd(G, madd(G, soff, i0, 1), j0, cp->ss[l]);
  LLVMValueRef dbase = madd(G, madd(G, doff, i0, cp->ds[u]), j0, 1);
  for (int r = 0; r < T; r++) {
    LLVMValueRef p = elem_ptr(G, G->src, LLVMBuildNSWAdd(G->b, sbase, cg_i64(G->c, r * cp->ss[l]), ""));
    rows[r] = cg_load(G->b, vt, p, (unsigned)G->ealign_s);
  }
  mv_transpose_regs(G->c, G->b, rows, T);
  for (int i = 0; i < T; i++) {
    LLVMValueRef p = elem_ptr(G, G->dst, LLVMBuildNSWAdd(G->b, dbase, cg_i64(G->c, i * cp->ds[u]), ""));
    cg_store(G->b, rows[i], p, (unsigned)G->ealign_d);
  }
}

/* A tile of ni x nj at (i0, j0): in registers when it is a full vector tile,
 * element by element otherwise. */
static void any_tile(gen *G, LLVMValueRef doff, LLVMValueRef soff, LLVMValueRef i0, int64_t ni, LLVMValueRef j0,
                     int64_t nj) {
  if (G->vec_tiles && ni == G->tile && nj == G->tile) tile_vec(G, doff, soff, i0, j0);
  else tile(G, doff, soff, i0, ni, j0, nj);
}

static void leaf_transpose(gen *G, LLVMValueRef doff, LLVMValueRef soff) {
  const mv_copy *cp = G->cp;
  int64_t T = G->tile, nu = cp->dims[G->unit], nl = cp->dims[G->last];
  int64_t fu = nu / T, ru = nu % T, fl = nl / T, rl = nl % T;
  /* With vector tiles, a wide ragged edge (a quarter tile or more) is
   * covered by one more full tile aligned to the end, overlapping its
   * neighbour: it writes some elements twice with the same values, which is
   * cheaper than an element-by-element edge (a pure copy makes the overlap
   * harmless). Narrow edges stay element by element. */
  bool ou = G->vec_tiles && nu >= T && 4 * ru >= T, ol = G->vec_tiles && nl >= T && 4 * rl >= T;
  int64_t iu = ou ? nu - T : fu * T, nu_edge = ou ? T : ru;
  int64_t jl = ol ? nl - T : fl * T, nl_edge = ol ? T : rl;
  if (fu > 0 && fl > 0) {
    loop a = loop_begin(G, fu, "tu");
    LLVMValueRef i0 = LLVMBuildNUWMul(G->b, a.iv, cg_i64(G->c, T), "");
    loop b = loop_begin(G, fl, "tl");
    any_tile(G, doff, soff, i0, T, LLVMBuildNUWMul(G->b, b.iv, cg_i64(G->c, T), ""), T);
    loop_end(G, &b);
    loop_end(G, &a);
  }
  if (fu > 0 && rl > 0) {
    loop a = loop_begin(G, fu, "tu");
    any_tile(G, doff, soff, LLVMBuildNUWMul(G->b, a.iv, cg_i64(G->c, T), ""), T, cg_i64(G->c, jl), nl_edge);
    loop_end(G, &a);
  }
  if (ru > 0 && fl > 0) {
    loop b = loop_begin(G, fl, "tl");
    any_tile(G, doff, soff, cg_i64(G->c, iu), nu_edge, LLVMBuildNUWMul(G->b, b.iv, cg_i64(G->c, T), ""), T);
    loop_end(G, &b);
  }
  if (ru > 0 && rl > 0) any_tile(G, doff, soff, cg_i64(G->c, iu), nu_edge, cg_i64(G->c, jl), nl_edge);
}

typedef void (*leaf_fn)(gen *G, LLVMValueRef doff, LLVMValueRef soff);

/* Loops over the dims listed in lv (outermost first), then the leaf. */
static void nest(gen *G, const int *lv, int nl, LLVMValueRef doff, LLVMValueRef soff, leaf_fn leaf) {
  if (nl == 0) {
    leaf(G, doff, soff);
    return;
  }
  int k = lv[0];
  loop l = loop_begin(G, G->cp->dims[k], "d");
  nest(G, lv + 1, nl - 1, madd(G, doff, l.iv, G->cp->ds[k]), madd(G, soff, l.iv, G->cp->ss[k]), leaf);
  loop_end(G, &l);
}

LLVMValueRef mv_node_fn(cg_ctx *c, const char *what, int nparams, LLVMBuilderRef *b) {
  char label[64], name[96];
  snprintf(name, sizeof name, "%s_%s", cg_node_label(c, label, sizeof label), what);
  return cg_fn_begin_ptrs(c, name, nparams, CG_FN_NOALIAS, b);
}

void mv_emit_copy(cg_ctx *c, mv_copy *cp, LLVMValueRef dst, int dalign, LLVMValueRef src, int salign) {
  for (int k = 0; k < cp->rank; k++)
    if (cp->dims[k] <= 0) return; /* nothing to copy */
  coalesce(cp);
  gen G = {.c = c, .cp = cp, .es = (int64_t)cp->es, .unit = -1, .last = cp->rank - 1};
  G.et = LLVMIntTypeInContext(c->c, (unsigned)(8 * cp->es));
  G.ealign_d = dalign < (int)cp->es ? dalign : (int)cp->es;
  G.ealign_s = salign < (int)cp->es ? salign : (int)cp->es;
  int outer = cp->rank > 0 ? cp->rank - 1 : 0;
  G.ralign_d = row_align(dalign, cp->doff, cp->ds, cp->dims, outer, G.es);
  G.ralign_s = row_align(salign, cp->soff, cp->ss, cp->dims, outer, G.es);
  /* a transpose of the two fastest dims: tile it */
  if (cp->rank >= 2 && cp->ds[G.last] == 1 && cp->ss[G.last] != 1 && cp->ss[G.last] != 0) {
    for (int k = 0; k < G.last; k++)
      if (cp->ss[k] == 1 && cp->dims[k] >= 4 && cp->dims[G.last] >= 4) G.unit = k;
  }
  LLVMValueRef fn = mv_node_fn(c, G.unit >= 0 ? "transpose" : "copy", 2, &G.b);
  G.dst = LLVMGetParam(fn, 0);
  G.src = LLVMGetParam(fn, 1);
  int lv[MV_MAX_RANK], nl = 0;
  if (G.unit >= 0) {
    /* a tile is one register of lanes per row when that is 4..16 lanes
     * (f32: 16 on AVX-512, 8 on AVX2, 4 on NEON); scalar tiles otherwise */
    int64_t lanes = c->vec_bytes / G.es;
    if (lanes > 16) lanes = 16;
    G.vec_tiles = lanes >= 4;
    G.tile = G.vec_tiles ? lanes : 8;
    for (int k = 0; k < cp->rank; k++)
      if (k != G.unit && k != G.last) lv[nl++] = k;
    nest(&G, lv, nl, cg_i64(c, cp->doff), cg_i64(c, cp->soff), leaf_transpose);
  } else {
    for (int k = 0; k < outer; k++) lv[nl++] = k;
    nest(&G, lv, nl, cg_i64(c, cp->doff), cg_i64(c, cp->soff), leaf_row);
  }
  LLVMValueRef args[2] = {dst, src};
  cg_fn_end_call(c, fn, G.b, args, 2);
}

void mv_emit_fill(cg_ctx *c, LLVMValueRef dst, int align, int64_t n, const void *value, size_t es) {
  if (n <= 0) return;
  const unsigned char *v = value;
  bool same = true;
  for (size_t i = 1; i < es; i++) same &= v[i] == v[0];
  if (same) { /* zeros and other byte patterns: memset */
    LLVMBuildMemSet(c->b, dst, LLVMConstInt(c->i8, v[0], 0), cg_i64(c, n * (int64_t)es), (unsigned)align);
    return;
  }
  uint64_t bits = 0;
  memcpy(&bits, v, es); /* little-endian hosts and targets */
  gen G = {.c = c, .es = (int64_t)es};
  G.et = LLVMIntTypeInContext(c->c, (unsigned)(8 * es));
  LLVMValueRef fn = mv_node_fn(c, "fill", 1, &G.b);
  loop l = loop_begin(&G, n, "fill");
  LLVMValueRef p = cg_gep_inbounds(G.b, G.et, LLVMGetParam(fn, 0), l.iv);
  cg_store(G.b, LLVMConstInt(G.et, bits, 0), p, (unsigned)(align < (int)es ? align : (int)es));
  loop_end(&G, &l);
  cg_fn_end_call(c, fn, G.b, &dst, 1);
}

void mv_emit_fill_from(cg_ctx *c, LLVMValueRef dst, int align, int64_t n, LLVMValueRef src, size_t es) {
  if (n <= 0) return;
  gen G = {.c = c, .es = (int64_t)es};
  G.et = LLVMIntTypeInContext(c->c, (unsigned)(8 * es));
  LLVMValueRef fn = mv_node_fn(c, "fill_from", 2, &G.b);
  LLVMValueRef v = cg_load(G.b, G.et, LLVMGetParam(fn, 1), 1);
  loop l = loop_begin(&G, n, "fill");
  LLVMValueRef p = cg_gep_inbounds(G.b, G.et, LLVMGetParam(fn, 0), l.iv);
  cg_store(G.b, v, p, (unsigned)(align < (int)es ? align : (int)es));
  loop_end(&G, &l);
  LLVMValueRef args[2] = {dst, src};
  cg_fn_end_call(c, fn, G.b, args, 2);
}
