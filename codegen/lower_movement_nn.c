/* lower_movement_nn.c: pooling and Resize. Float max/average pools and the
 * global pools are generated loop nests (see their sections); the other
 * pools call the kernel library with every argument a compile-time constant:
 * the window geometry is a kk_nn_win computed here exactly as the reference
 * adapter does (ir_nn_window) and emitted as a constant global, so after
 * inlining LLVM sees the window's trip counts and strides as numbers.
 * Resize is separable: the per-axis tap tables (source index, weight,
 * outside flag per output index) depend only on shapes and attributes, so
 * they are built once at compile time with the same kernel functions the
 * reference uses and baked into the module; the run time work is one pass
 * per resized axis, ping-ponging between two halves of the node's scratch. */
#include "k_image.h"
#include "k_nn.h"
#include "lower_movement.h"
#include "resize_plan.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(kk_nn_win) == 7 * KK_NN_SP * sizeof(int64_t), "kk_nn_win is emitted as an int64 array");

/* A private constant global holding n raw bytes, 64-byte aligned. */
static LLVMValueRef const_bytes(cg_ctx *c, const void *data, size_t n) {
  LLVMValueRef init = LLVMConstStringInContext(c->c, (const char *)data, (unsigned)n, 1);
  LLVMValueRef gv = LLVMAddGlobal(c->m, LLVMTypeOf(init), "table");
  LLVMSetInitializer(gv, init);
  LLVMSetGlobalConstant(gv, 1);
  LLVMSetLinkage(gv, LLVMPrivateLinkage);
  LLVMSetUnnamedAddress(gv, LLVMGlobalUnnamedAddr);
  LLVMSetAlignment(gv, 64);
  return gv;
}

static const char *dtype_sfx(int dt) {
  switch (dt) {
  case KN_F32: return "f32";
  case KN_F64: return "f64";
  case KN_I8: return "i8";
  case KN_U8: return "u8";
  case KN_I32: return "i32";
  case KN_I64: return "i64";
  default: return NULL;
  }
}

/* ---- MaxPool / AveragePool / LpPool ----
 * Float max and average pools are generated here; the kernel library's pool
 * (one generic loop per output with runtime tap ranges, ~20 ns per output)
 * covers the rest: integer max, LpPool, the Indices output. Along each
 * spatial dim the outputs fall into runs that share one valid tap range (the
 * interior, and each border position where padding cuts the window); the
 * generated nest loops over the runs' outputs with the taps unrolled as
 * constant offsets, so the interior loop vectorizes (stride-2 taps become
 * interleaved loads). Taps fold in the reference kernel's order (dim 0, 1, 2;
 * the first valid tap starts a max; sums start at 0), so results are
 * bit-identical to it. */
typedef struct pool_run {
  int64_t o, n;    /* outputs o .. o+n-1 */
  int64_t lo, hi;  /* their valid taps */
  int64_t cnt_pad; /* taps count_include_pad counts */
} pool_run;

enum { POOL_MAX_RUNS = 16, POOL_MAX_TAPS = 4096 };

/* The runs of dim d; -1 when there are more than POOL_MAX_RUNS. */
static int pool_runs(const kk_nn_win *w, int d, pool_run *runs) {
  int nr = 0;
  for (int64_t o = 0; o < w->out[d]; o++) {
    int64_t lo, hi, plo, phi;
    kk_nn_valid_range(o * w->stride[d] - w->pad[d], w->dil[d], w->in[d], w->k[d], &lo, &hi);
    kk_nn_valid_range(o * w->stride[d], w->dil[d], w->in[d] + w->pad[d] + w->pad_end[d], w->k[d], &plo, &phi);
    pool_run *r = nr > 0 ? &runs[nr - 1] : NULL;
    if (r && r->lo == lo && r->hi == hi && r->cnt_pad == phi - plo) {
      r->n++;
      continue;
    }
    if (nr == POOL_MAX_RUNS) return -1;
    runs[nr++] = (pool_run){o, 1, lo, hi, phi - plo};
  }
  return nr;
}

typedef struct pgen {
  cg_ctx *c;
  LLVMBuilderRef b;
  LLVMValueRef fn, x, y;
  LLVMTypeRef ft;
  const kk_nn_win *w;
  pool_run runs[KK_NN_SP][POOL_MAX_RUNS];
  int nruns[KK_NN_SP];
  bool mx, cip;
  unsigned ax, ay;
} pgen;

/* One output: o[d] its position, r[d] its runs. */
static void pool_out(pgen *g, LLVMValueRef xoff, LLVMValueRef yoff, LLVMValueRef *o, const pool_run **r) {
  cg_ctx *c = g->c;
  const kk_nn_win *w = g->w;
  /* window origin (may be negative: only valid taps are read) and output offset */
  LLVMValueRef base = xoff, out = yoff;
  for (int d = 0; d < KK_NN_SP; d++) {
    LLVMValueRef pos = LLVMBuildNSWMul(g->b, o[d], cg_i64(c, w->stride[d]), "");
    int64_t inner = 1, oinner = 1;
    for (int e = d + 1; e < KK_NN_SP; e++) inner *= w->in[e], oinner *= w->out[e];
    base = LLVMBuildNSWAdd(g->b, base, LLVMBuildNSWMul(g->b, pos, cg_i64(c, inner), ""), "");
    base = LLVMBuildNSWAdd(g->b, base, cg_i64(c, -w->pad[d] * inner), "");
    out = LLVMBuildNSWAdd(g->b, out, LLVMBuildNSWMul(g->b, o[d], cg_i64(c, oinner), ""), "");
  }
  LLVMValueRef acc = g->mx ? NULL : LLVMConstReal(g->ft, 0.0);
  for (int64_t a = r[0]->lo; a < r[0]->hi; a++)
    for (int64_t b = r[1]->lo; b < r[1]->hi; b++)
      for (int64_t e = r[2]->lo; e < r[2]->hi; e++) {
        int64_t off = ((a * w->dil[0]) * w->in[1] + b * w->dil[1]) * w->in[2] + e * w->dil[2];
        LLVMValueRef i = LLVMBuildNSWAdd(g->b, base, cg_i64(c, off), "");
        LLVMValueRef v = cg_load(g->b, g->ft, cg_gep_inbounds(g->b, g->ft, g->x, i), g->ax);
        if (!acc) acc = v;
        else if (g->mx) acc = LLVMBuildSelect(g->b, LLVMBuildFCmp(g->b, LLVMRealOGT, v, acc, ""), v, acc, "");
        else acc = LLVMBuildFAdd(g->b, acc, v, "");
      }
  int64_t cnt = 1;
  for (int d = 0; d < KK_NN_SP; d++) cnt *= g->cip ? r[d]->cnt_pad : r[d]->hi - r[d]->lo;
  if (!acc || (!g->mx && cnt <= 0)) acc = LLVMConstReal(g->ft, 0.0); /* no valid tap */
  else if (!g->mx) acc = LLVMBuildFDiv(g->b, acc, LLVMConstReal(g->ft, (double)cnt), "");
  cg_store(g->b, acc, cg_gep_inbounds(g->b, g->ft, g->y, out), g->ay);
}

static void pool_level(pgen *g, int d, LLVMValueRef xoff, LLVMValueRef yoff, LLVMValueRef *o, const pool_run **r) {
  if (d == KK_NN_SP) {
    pool_out(g, xoff, yoff, o, r);
    return;
  }
  for (int k = 0; k < g->nruns[d]; k++) {
    r[d] = &g->runs[d][k];
    cg_loop l;
    cg_loop_begin(g->c, g->b, &l, r[d]->n, "o");
    o[d] = LLVMBuildNUWAdd(g->b, l.iv, cg_i64(g->c, r[d]->o), "");
    pool_level(g, d + 1, xoff, yoff, o, r);
    cg_loop_end(g->c, g->b, &l, NULL);
  }
}

/* false (nothing emitted) when the nest would be too big to unroll */
static bool gen_pool(cg_ctx *c, const ir_node *n, const kk_nn_win *w, int64_t NC) {
  ir_id x = n->in[0], y = n->out[0];
  int dt = mv_type(c, x)->dtype, es = (int)kn_dtype_size(dt);
  pgen *g = calloc(1, sizeof *g);
  if (!g) return false;
  *g = (pgen){.c = c, .ft = dt == KN_F32 ? c->f32 : c->f64, .w = w, .mx = n->op == IR_OP_MaxPool,
              .cip = ir_attr_i(n, "count_include_pad") != 0};
  int64_t taps = 1;
  for (int d = 0; d < KK_NN_SP; d++) {
    g->nruns[d] = pool_runs(w, d, g->runs[d]);
    int64_t t = 0;
    for (int k = 0; k < g->nruns[d]; k++) t += g->runs[d][k].hi - g->runs[d][k].lo + 1;
    taps *= t;
    if (g->nruns[d] < 0 || taps > POOL_MAX_TAPS) {
      free(g);
      return false;
    }
  }
  int alx = mv_value_align(c, x), aly = mv_value_align(c, y);
  g->ax = (unsigned)(alx < es ? alx : es);
  g->ay = (unsigned)(aly < es ? aly : es);
  g->fn = mv_node_fn(c, g->mx ? "maxpool" : "avgpool", 2, &g->b);
  g->y = LLVMGetParam(g->fn, 0);
  g->x = LLVMGetParam(g->fn, 1);
  int64_t isz = w->in[0] * w->in[1] * w->in[2], osz = w->out[0] * w->out[1] * w->out[2];
  cg_loop l;
  cg_loop_begin(c, g->b, &l, NC, "plane");
  LLVMValueRef o[KK_NN_SP];
  const pool_run *r[KK_NN_SP];
  pool_level(g, 0, LLVMBuildNUWMul(g->b, l.iv, cg_i64(c, isz), ""), LLVMBuildNUWMul(g->b, l.iv, cg_i64(c, osz), ""),
             o, r);
  cg_loop_end(c, g->b, &l, NULL);
  LLVMValueRef args[2] = {cg_value_ptr(c, y), cg_value_ptr(c, x)};
  cg_fn_end_call(c, g->fn, g->b, args, 2);
  free(g);
  return true;
}

kn_status mv_lower_pool(cg_ctx *c, const ir_node *n) {
  ir_id x = n->in[0], y = n->out[0];
  const ir_type *xt = mv_type(c, x), *yt = mv_type(c, y);
  const int nsp = xt->rank - 2, dt = xt->dtype;
  if (nsp < 1 || nsp > KK_NN_SP || yt->rank != xt->rank || yt->dtype != dt) return KN_EUNSUPPORTED;
  const ir_attr *ks = ir_attr_get(n, "kernel_shape");
  if (!ks || ks->kind != IR_ATTR_INTS || ks->n != nsp) return KN_EUNSUPPORTED;
  if (yt->dims[0] != xt->dims[0] || yt->dims[1] != xt->dims[1]) return KN_EUNSUPPORTED;
  int64_t out[KN_MAX_RANK];
  kk_nn_win w;
  if (ir_nn_win_make(NULL, n, xt->rank, xt->dims, NULL, &w, out) != KN_OK) return KN_EUNSUPPORTED;
  for (int s = 0; s < nsp; s++)
    if (out[s] != yt->dims[2 + s]) return KN_EUNSUPPORTED;
  int64_t NC = xt->dims[0] * xt->dims[1];
  if (mv_numel(c, y) == 0) return KN_OK;
  if (mv_numel(c, x) == 0) return KN_EUNSUPPORTED;
  ir_id iy = n->op == IR_OP_MaxPool && n->nout > 1 ? n->out[1] : IR_NONE;
  bool want_idx = iy != IR_NONE && c->loc[iy].kind != CG_LOC_NONE;
  if ((dt == KN_F32 || dt == KN_F64) && n->op != IR_OP_LpPool && !want_idx && gen_pool(c, n, &w, NC)) return KN_OK;
  const char *sfx = dtype_sfx(dt);
  if (!sfx) return KN_EUNSUPPORTED;
  char name[64];
  LLVMValueRef fn;
  LLVMValueRef win = cg_i64_array(c, (const int64_t *)&w, 7 * KK_NN_SP);
  switch (n->op) {
  case IR_OP_MaxPool: {
    snprintf(name, sizeof name, "kk_nn_maxpool_%s", sfx);
    if (!(fn = cg_kernel(c, name))) return KN_EUNSUPPORTED;
    if (want_idx && mv_type(c, iy)->dtype != KN_I64) return KN_EUNSUPPORTED;
    LLVMValueRef args[6] = {win,
                            cg_i64(c, NC),
                            cg_value_ptr(c, x),
                            cg_value_ptr(c, y),
                            want_idx ? cg_value_ptr(c, iy) : LLVMConstNull(c->ptr),
                            cg_i32(c, ir_attr_i(n, "storage_order") != 0)};
    cg_call(c, fn, args, 6);
    return KN_OK;
  }
  case IR_OP_AveragePool: {
    if (dt != KN_F32 && dt != KN_F64) return KN_EUNSUPPORTED;
    snprintf(name, sizeof name, "kk_nn_avgpool_%s", sfx);
    if (!(fn = cg_kernel(c, name))) return KN_EUNSUPPORTED;
    LLVMValueRef args[5] = {win, cg_i64(c, NC), cg_i32(c, ir_attr_i(n, "count_include_pad") != 0),
                            cg_value_ptr(c, x), cg_value_ptr(c, y)};
    cg_call(c, fn, args, 5);
    return KN_OK;
  }
  default: { /* LpPool: p is an int since opset 2, a float before */
    if (dt != KN_F32 && dt != KN_F64) return KN_EUNSUPPORTED;
    const ir_attr *pa = ir_attr_get(n, "p");
    double pv = !pa ? 2.0 : pa->kind == IR_ATTR_FLOAT ? pa->f : (double)pa->i;
    if (!(pv > 0)) return KN_EUNSUPPORTED;
    snprintf(name, sizeof name, "kk_nn_lppool_%s", sfx);
    if (!(fn = cg_kernel(c, name))) return KN_EUNSUPPORTED;
    LLVMValueRef args[5] = {win, cg_i64(c, NC), dt == KN_F32 ? cg_f32(c, (float)pv) : cg_f64(c, pv),
                            cg_value_ptr(c, x), cg_value_ptr(c, y)};
    cg_call(c, fn, args, 5);
    return KN_OK;
  }
  }
}

/* ---- GlobalAveragePool / GlobalMaxPool ----
 * Each channel is reduced in the reference kernel's order (sequentially over
 * its S elements, so the results are bit-identical), but many channels at a
 * time, one per vector lane (or GP scalar chains for leftover channels), so
 * the dependency chains overlap where one channel at a time would wait out an
 * add latency per element. */
enum { GP = 8 };

typedef struct gpool {
  cg_ctx *c;
  LLVMBuilderRef b;
  LLVMValueRef fn, x, y;
  LLVMTypeRef ft;
  int64_t S;
  bool mx;
  unsigned ax, ay; /* element access alignment */
} gpool;

static LLVMValueRef gp_load(gpool *p, LLVMValueRef off) {
  return cg_load(p->b, p->ft, cg_gep_inbounds(p->b, p->ft, p->x, off), p->ax);
}

/* Channels c0 .. c0+g-1 (g <= GP). */
static void gp_group(gpool *p, LLVMValueRef c0, int g) {
  cg_ctx *c = p->c;
  LLVMValueRef base[GP], acc[GP];
  int64_t first = p->mx ? 1 : 0; /* max starts from element 0 */
  for (int k = 0; k < g; k++) {
    base[k] = LLVMBuildNSWMul(p->b, LLVMBuildNUWAdd(p->b, c0, cg_i64(c, k), ""), cg_i64(c, p->S), "");
    acc[k] = p->mx ? gp_load(p, base[k]) : LLVMConstReal(p->ft, 0.0);
  }
  if (p->S > first) {
    cg_loop l;
    cg_loop_begin(c, p->b, &l, p->S - first, "s");
    cg_loop_carry(p->b, &l, g, acc);
    LLVMValueRef s = LLVMBuildNUWAdd(p->b, l.iv, cg_i64(c, first), "");
    for (int k = 0; k < g; k++) {
      LLVMValueRef v = gp_load(p, LLVMBuildNSWAdd(p->b, base[k], s, ""));
      acc[k] = p->mx ? LLVMBuildSelect(p->b, LLVMBuildFCmp(p->b, LLVMRealOGT, v, l.acc[k], ""), v, l.acc[k], "")
                     : LLVMBuildFAdd(p->b, l.acc[k], v, "");
    }
    cg_loop_end(c, p->b, &l, acc);
  }
  for (int k = 0; k < g; k++) {
    LLVMValueRef r = p->mx ? acc[k] : LLVMBuildFDiv(p->b, acc[k], LLVMConstReal(p->ft, (double)p->S), "");
    LLVMValueRef off = LLVMBuildNUWAdd(p->b, c0, cg_i64(c, k), "");
    cg_store(p->b, r, cg_gep_inbounds(p->b, p->ft, p->y, off), p->ay);
  }
}

static LLVMValueRef gp_fold(gpool *p, LLVMValueRef acc, LLVMValueRef v) {
  return p->mx ? LLVMBuildSelect(p->b, LLVMBuildFCmp(p->b, LLVMRealOGT, v, acc, ""), v, acc, "")
               : LLVMBuildFAdd(p->b, acc, v, "");
}

/* Loads a T x T block (T channels from c0, elements s0.. of each), transposes
 * it, and folds columns j0..T-1 (element s0+j of every channel) into acc in
 * order; with *first, column j0 initializes a max instead. */
static LLVMValueRef gp_block(gpool *p, LLVMValueRef base, LLVMValueRef s0, int T, int j0, LLVMValueRef acc,
                             bool first) {
  LLVMTypeRef vt = LLVMVectorType(p->ft, (unsigned)T);
  LLVMValueRef rows[32];
  for (int k = 0; k < T; k++) {
    LLVMValueRef off = LLVMBuildNSWAdd(p->b, LLVMBuildNSWAdd(p->b, base, s0, ""), cg_i64(p->c, k * p->S), "");
    rows[k] = cg_load(p->b, vt, cg_gep_inbounds(p->b, p->ft, p->x, off), p->ax);
  }
  mv_transpose_regs(p->c, p->b, rows, T);
  for (int j = j0; j < T; j++) acc = first && p->mx && j == j0 ? rows[j] : gp_fold(p, acc, rows[j]);
  return acc;
}

/* T channels from c0 (T vector lanes, S >= T) without gathers: T x T blocks
 * transposed in registers turn "element s of T channels" into one vector, so
 * one vector accumulator folds every channel in the reference's order. A
 * ragged end is one more block starting at S - T (in bounds, overlapping)
 * that folds only the columns not seen yet. */
static void gp_group_tiled(gpool *p, LLVMValueRef c0, int T) {
  cg_ctx *c = p->c;
  LLVMTypeRef vt = LLVMVectorType(p->ft, (unsigned)T);
  LLVMValueRef base = LLVMBuildNSWMul(p->b, c0, cg_i64(c, p->S), "");
  int64_t nb = p->S / T, r = p->S % T;
  LLVMValueRef acc = gp_block(p, base, cg_i64(c, 0), T, 0, LLVMConstNull(vt), true);
  if (nb > 1) {
    cg_loop l;
    cg_loop_begin(c, p->b, &l, nb - 1, "sb");
    cg_loop_carry(p->b, &l, 1, &acc);
    LLVMValueRef s0 = LLVMBuildNUWMul(p->b, LLVMBuildNUWAdd(p->b, l.iv, cg_i64(c, 1), ""), cg_i64(c, T), "");
    acc = gp_block(p, base, s0, T, 0, l.acc[0], false);
    cg_loop_end(c, p->b, &l, &acc);
  }
  if (r > 0) acc = gp_block(p, base, cg_i64(c, p->S - T), T, (int)(T - r), acc, false);
  if (!p->mx) {
    LLVMValueRef sv = LLVMConstReal(p->ft, (double)p->S), splat[32];
    for (int k = 0; k < T; k++) splat[k] = sv;
    acc = LLVMBuildFDiv(p->b, acc, LLVMConstVector(splat, (unsigned)T), "");
  }
  cg_store(p->b, acc, cg_gep_inbounds(p->b, p->ft, p->y, c0), p->ay);
}

kn_status mv_lower_global_pool(cg_ctx *c, const ir_node *n) {
  ir_id x = n->in[0], y = n->out[0];
  const ir_type *xt = mv_type(c, x);
  int dt = xt->dtype;
  if (xt->rank < 2 || (dt != KN_F32 && dt != KN_F64) || mv_type(c, y)->dtype != dt) return KN_EUNSUPPORTED;
  int64_t NC = xt->dims[0] * xt->dims[1], S = kn_dims_numel(xt->rank - 2, xt->dims + 2);
  if (mv_numel(c, y) != NC) return KN_EUNSUPPORTED;
  if (NC == 0) return KN_OK;
  if (S == 0) return KN_EUNSUPPORTED; /* mean/max of nothing: the reference kernel decides */
  int es = (int)kn_dtype_size(dt), alx = mv_value_align(c, x), aly = mv_value_align(c, y);
  gpool p = {.c = c, .ft = dt == KN_F32 ? c->f32 : c->f64, .S = S, .mx = n->op == IR_OP_GlobalMaxPool,
             .ax = (unsigned)(alx < es ? alx : es), .ay = (unsigned)(aly < es ? aly : es)};
  p.fn = mv_node_fn(c, p.mx ? "global_max" : "global_avg", 2, &p.b);
  p.y = LLVMGetParam(p.fn, 0);
  p.x = LLVMGetParam(p.fn, 1);
  /* tiled groups of T channels where the rows are long enough, then groups
   * of GP channels with scalar loads for the rest */
  int T = c->vec_bytes / es > 16 ? 16 : c->vec_bytes / es;
  int64_t done = 0;
  if (T >= 4 && S >= T && NC >= T) {
    cg_loop l;
    cg_loop_begin(c, p.b, &l, NC / T, "cht");
    gp_group_tiled(&p, LLVMBuildNUWMul(p.b, l.iv, cg_i64(c, T), ""), T);
    cg_loop_end(c, p.b, &l, NULL);
    done = NC / T * T;
  }
  int64_t groups = (NC - done) / GP, rest = (NC - done) % GP;
  if (groups > 0) {
    cg_loop l;
    cg_loop_begin(c, p.b, &l, groups, "ch");
    gp_group(&p, LLVMBuildNUWAdd(p.b, LLVMBuildNUWMul(p.b, l.iv, cg_i64(c, GP), ""), cg_i64(c, done), ""), GP);
    cg_loop_end(c, p.b, &l, NULL);
  }
  if (rest > 0) gp_group(&p, cg_i64(c, done + groups * GP), (int)rest);
  LLVMValueRef args[2] = {cg_value_ptr(c, y), cg_value_ptr(c, x)};
  cg_fn_end_call(c, p.fn, p.b, args, 2);
  return KN_OK;
}

/* ---- Resize ---- */
/* Input i as a constant: 1 present (in *t), 0 absent or empty, -1 present
 * but only known at run time. */
static int param_input(cg_ctx *c, const ir_node *n, int i, const kn_tensor **t) {
  *t = NULL;
  if (i >= n->nin || n->in[i] == IR_NONE || mv_numel(c, n->in[i]) == 0) return 0;
  *t = mv_const_input(c, n, i);
  return *t ? 1 : -1;
}

/* Emits the passes over the non-identity axes (all tables built). */
static kn_status resize_emit(cg_ctx *c, const ir_node *n, rs_axis *ax, int rank, int mode, size_t esz,
                             float extrap, uint64_t ebits) {
  ir_id x = n->in[0], y = n->out[0];
  int passes[KN_MAX_RANK], np = 0;
  for (int d = 0; d < rank; d++)
    if (!ax[d].identity) passes[np++] = d;
  if (np == 0) {
    LLVMBuildMemCpy(c->b, cg_value_ptr(c, y), (unsigned)mv_value_align(c, y), cg_value_ptr(c, x),
                    (unsigned)mv_value_align(c, x), cg_i64(c, mv_numel(c, x) * (int64_t)esz));
    return KN_OK;
  }
  char name[64];
  if (mode == KK_RESIZE_NEAREST) snprintf(name, sizeof name, "kk_image_resize_gather_u%d", (int)(8 * esz));
  else snprintf(name, sizeof name, "kk_image_resize_axis_f32");
  LLVMValueRef fn = cg_kernel(c, name);
  if (!fn) return KN_EUNSUPPORTED;
  /* intermediates: dims already resized before pass p, original after */
  int64_t cur[KN_MAX_RANK], maxmid = 0;
  for (int d = 0; d < rank; d++) cur[d] = ax[d].in_len;
  for (int p = 0; p + 1 < np; p++) {
    cur[passes[p]] = ax[passes[p]].out_len;
    int64_t m = kn_dims_numel(rank, cur);
    if (m < 0 || (uint64_t)m > ((uint64_t)1 << 36) / esz) return KN_EUNSUPPORTED;
    if (m > maxmid) maxmid = m;
  }
  int64_t half = (maxmid * (int64_t)esz + 63) & ~(int64_t)63;
  LLVMValueRef buf[2] = {NULL, NULL};
  if (np > 1) {
    buf[0] = cg_scratch(c, np > 2 ? 2 * half : half);
    buf[1] = cg_gep(c->b, c->i8, buf[0], cg_i64(c, half));
  }
  for (int d = 0; d < rank; d++) cur[d] = ax[d].in_len;
  LLVMValueRef src = cg_value_ptr(c, x);
  LLVMTypeRef et = LLVMIntTypeInContext(c->c, (unsigned)(8 * esz));
  for (int p = 0; p < np; p++) {
    int d = passes[p];
    rs_axis *a = &ax[d];
    int64_t outer = kn_dims_numel(d, cur), inner = kn_dims_numel(rank - d - 1, cur + d + 1);
    LLVMValueRef dst = p == np - 1 ? cg_value_ptr(c, y) : buf[p & 1];
    int64_t nt = a->ntaps * a->out_len;
    LLVMValueRef idx = cg_i64_array(c, a->idx, (int)nt), outside = const_bytes(c, a->outside, (size_t)a->out_len);
    if (mode == KK_RESIZE_NEAREST) {
      LLVMValueRef args[9] = {src,     dst,         cg_i64(c, outer), cg_i64(c, a->in_len), cg_i64(c, a->out_len),
                              cg_i64(c, inner), idx, outside, LLVMConstInt(et, ebits, 0)};
      cg_call(c, fn, args, 9);
    } else {
      LLVMValueRef args[11] = {src,
                               dst,
                               cg_i64(c, outer),
                               cg_i64(c, a->in_len),
                               cg_i64(c, a->out_len),
                               cg_i64(c, inner),
                               cg_i64(c, a->ntaps),
                               idx,
                               const_bytes(c, a->w, (size_t)nt * sizeof(float)),
                               outside,
                               cg_f32(c, extrap)};
      cg_call(c, fn, args, 11);
    }
    cur[d] = a->out_len;
    src = dst;
  }
  return KN_OK;
}

kn_status mv_lower_resize(cg_ctx *c, const ir_node *n) {
  ir_id x = n->in[0], y = n->out[0];
  const ir_type *xt = mv_type(c, x), *yt = mv_type(c, y);
  if (yt->rank != xt->rank || yt->dtype != xt->dtype) return KN_EUNSUPPORTED;
  const kn_tensor *roi, *scales, *sizes;
  int has_roi = param_input(c, n, 1, &roi), has_scales = param_input(c, n, 2, &scales);
  int has_sizes = param_input(c, n, 3, &sizes);
  if (has_roi < 0 || has_scales < 0 || (has_scales == 0 && has_sizes < 0)) return KN_EUNSUPPORTED;
  if (mv_numel(c, y) == 0) return KN_OK;
  if (mv_numel(c, x) == 0) return KN_EUNSUPPORTED;
  /* a plan the reference would refuse declines, and the reference reports it */
  rs_plan p;
  if (rs_plan_make(NULL, n, xt->rank, xt->dims, yt->dims, roi, scales, sizes, (uint64_t)1 << 24, &p) != KN_OK)
    return KN_EUNSUPPORTED;
  int dt = xt->dtype;
  size_t esz = kn_dtype_size(dt);
  /* linear/cubic interpolate f32 only here (other floats convert on the reference path) */
  kn_status st = KN_OK;
  if (p.mode == KK_RESIZE_NEAREST ? (esz != 1 && esz != 2 && esz != 4 && esz != 8) : dt != KN_F32)
    st = KN_EUNSUPPORTED;
  if (st == KN_OK) {
    uint64_t ebits = 0;
    kn_tensor t = {.dtype = dt, .rank = 0, .data = &ebits, .nbytes = 8};
    kn_tensor_set_f64(&t, 0, p.extrap);
    st = resize_emit(c, n, p.ax, p.rank, p.mode, esz, p.extrap, ebits);
  }
  rs_plan_free(&p);
  return st;
}
