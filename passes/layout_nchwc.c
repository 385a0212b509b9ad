/* layout_nchwc.c: the blocked NCHWc layout for convolutions (-O3).
 *
 * An f32 2-D Conv with constant weights (group 1, or depthwise with one
 * output per channel) becomes ConvNCHWc on activations blocked as
 * [N, ceil(C/b), H, W, b], b the target's vector width in floats (16 on
 * AVX-512, 8 on AVX2, 4 on NEON: pm_options.nchwc_block, set by the JIT), so
 * that the JIT's direct convolution (codegen/lower_nchwc.c) computes b output
 * channels per vector with no im2col. Its weights are packed at compile time
 * to [O/b, I/b, KH, KW, b_in, b_out] (depthwise [C/b, KH, KW, b]), padded
 * channels with zero weights and bias.
 *
 * The layout then spreads forward through what works on it unchanged or
 * channel-wise: unary elementwise ops, binary ones whose other operands are
 * blocked too, scalars or per-channel constants (re-blocked here), the pools,
 * Concat along channels of whole blocks, zero Pads. Each rewritten node
 * keeps its place as a FromNCHWc of its blocked twin, so consumers that stay
 * NCHW still find their value, and DCE drops the conversions nobody reads:
 * ToNCHWc and FromNCHWc remain only at the edges of conv regions, and a
 * value is converted at most once (ToNCHWc(FromNCHWc(x)) never arises; a
 * pair left by an earlier run is cancelled). Finally a Relu that is the only
 * user of a ConvNCHWc moves into the convolution's epilogue.
 *
 * The padded lanes of a blocked tensor hold finite garbage (e.g. sigmoid(0))
 * that only zero weights or FromNCHWc ever read, so only ops that keep finite
 * values finite are let in (no Div by a tensor, Log, Exp, Sqrt...).
 *
 * Which convolutions: see conv_wanted (the measured rule, docs/passes.md). */
#include "pattern.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct nchwc {
  ir_graph *g;
  int64_t b;
  bool all;        /* every legal convolution (pm_options.nchwc_all), not only the rule's */
  int32_t n0;      /* values before the pass: the maps below cover these */
  ir_id *blk;      /* blk[v]: the blocked twin of NCHW value v, or IR_NONE */
  ir_id *cblk;     /* cblk[v]: constant v re-blocked as [1, C/b, 1, 1, b] */
  int32_t *order;  /* the new schedule */
  int32_t norder, cap_order;
  int32_t changed;
} nchwc;

static int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

#define RECONST ((ir_id)-2) /* an operand to re-block once its node converts */

static kn_status push_order(nchwc *s, int32_t node) {
  if (s->norder == s->cap_order) {
    int32_t cap = s->cap_order * 2 + 64;
    int32_t *o = realloc(s->order, sizeof *o * (size_t)cap);
    if (!o) return kn_fail(s->g->ctx, KN_ENOMEM, "out of memory in layout-nchwc");
    s->order = o, s->cap_order = cap;
  }
  s->order[s->norder++] = node;
  return KN_OK;
}

/* A new value named after `like` (".nchwc"), typed as the blocked form of t. */
static ir_id blocked_value(nchwc *s, ir_id like, const ir_type *t) {
  ir_type bt = *t;
  bt.rank = 5;
  bt.dims[1] = ceil_div(t->dims[1], s->b);
  bt.dims[4] = s->b;
  char name[256];
  snprintf(name, sizeof name, "%s.nchwc", s->g->values[like].name);
  return ir_value_new(s->g, ir_value_find(s->g, name) == IR_NONE ? name : NULL, &bt);
}

/* A new node scheduled before the node being rewritten; returns its output. */
static ir_id new_node(nchwc *s, ir_op op, const char *name, int nin, const ir_id *in, ir_id out, ir_id *node) {
  ir_id id = ir_node_new(s->g, op, name, nin, in, 1, &out);
  if (id == IR_NONE || push_order(s, id) != KN_OK) return IR_NONE;
  if (node) *node = id;
  return out;
}

static bool is_nchw_f32(const ir_type *t) {
  return t->dtype == KN_F32 && t->rank == 4 && ir_type_is_concrete(t) && t->dims[1] > 0;
}

/* The blocked form of NCHW value v: its twin, or a new ToNCHWc. */
static ir_id blocked(nchwc *s, ir_id v) {
  if (v < s->n0 && s->blk[v] != IR_NONE) return s->blk[v];
  const ir_type t = s->g->values[v].type;
  ir_id out = blocked_value(s, v, &t), node;
  if (out == IR_NONE) return IR_NONE;
  char name[256];
  snprintf(name, sizeof name, "%s.to_nchwc", s->g->values[v].name);
  if (new_node(s, IR_OP_ToNCHWc, name, 1, &v, out, &node) == IR_NONE) return IR_NONE;
  if (ir_attr_set_int(s->g, &s->g->nodes[node], "block", s->b) != KN_OK) return IR_NONE;
  if (v < s->n0) s->blk[v] = out;
  return out;
}

static bool has_twin(const nchwc *s, ir_id v) { return v != IR_NONE && v < s->n0 && s->blk[v] != IR_NONE; }

static const kn_tensor *const_f32(const ir_graph *g, ir_id v) {
  if (v == IR_NONE) return NULL;
  const ir_value *val = &g->values[v];
  return val->constant && !val->is_input && val->constant->dtype == KN_F32 ? val->constant : NULL;
}

/* A float32 constant of C values, one per channel ([C, 1, 1] or [1, C, 1, 1]). */
static bool per_channel(const ir_graph *g, ir_id v, int64_t C) {
  const kn_tensor *t = const_f32(g, v);
  if (!t || kn_tensor_numel(t) != C || t->rank < 3 || t->rank > 4) return false;
  return t->dims[t->rank - 3] == C && (t->rank == 3 || t->dims[0] == 1);
}

/* Per-channel constant v as [1, C/b, 1, 1, b], padded lanes `pad`. */
static ir_id reblock_const(nchwc *s, ir_id v, int64_t C, float pad) {
  if (v < s->n0 && s->cblk[v] != IR_NONE && pad == 0.0f) return s->cblk[v];
  const kn_tensor *src = s->g->values[v].constant;
  const int64_t Cb = ceil_div(C, s->b), dims[5] = {1, Cb, 1, 1, s->b};
  kn_tensor t;
  if (kn_tensor_alloc(s->g->ctx, &t, KN_F32, 5, dims) != KN_OK) return IR_NONE;
  const float *sp = src->data;
  float *dp = t.data;
  for (int64_t ch = 0; ch < Cb * s->b; ch++) dp[ch] = ch < C ? sp[ch] : pad;
  char name[256];
  snprintf(name, sizeof name, "%s.nchwc", s->g->values[v].name);
  ir_id out = ir_const_new(s->g, ir_value_find(s->g, name) == IR_NONE ? name : NULL, &t);
  if (out != IR_NONE && v < s->n0 && pad == 0.0f) s->cblk[v] = out;
  return out;
}

/* Node i (original) now computes FromNCHWc(twin): consumers that stay NCHW
 * read the same value as before. The twin takes over the attributes. */
static kn_status become_from(nchwc *s, int32_t i, ir_id twin_node, ir_id twin_out) {
  ir_graph *g = s->g;
  ir_node *n = &g->nodes[i];
  const ir_id y = n->out[0];
  g->nodes[twin_node].nattr = n->nattr;
  g->nodes[twin_node].attrs = n->attrs;
  n = &g->nodes[i];
  KN_TRY(pat_rewrite(g, n, IR_OP_FromNCHWc, 1, &twin_out));
  n->nout = 1;
  KN_TRY(ir_attr_set_int(g, n, "channels", g->values[y].type.dims[1]));
  s->blk[y] = twin_out;
  s->changed++;
  return KN_OK;
}

/* The twin of node i with inputs `in`: op `op`, output the blocked form of
 * node i's output. */
static kn_status make_twin(nchwc *s, int32_t i, ir_op op, int nin, const ir_id *in, ir_id *twin_node) {
  ir_graph *g = s->g;
  const ir_id y = g->nodes[i].out[0];
  const ir_type yt = g->values[y].type;
  ir_id out = blocked_value(s, y, &yt);
  char name[256];
  snprintf(name, sizeof name, "%s.nchwc", g->nodes[i].name ? g->nodes[i].name : g->values[y].name);
  if (out == IR_NONE || new_node(s, op, name, nin, in, out, twin_node) == IR_NONE)
    return kn_fail(g->ctx, KN_ENOMEM, "out of memory in layout-nchwc");
  return become_from(s, i, *twin_node, out);
}

/* ---- convolutions ---- */

/* Which convolutions go blocked: f32 2-D with constant weights, group 1 or
 * depthwise, every dim known, and (the rule measured on the conv models of
 * the VL zoo with b = 16, docs/passes.md):
 *  - at least half a block of output channels, else most lanes compute padding;
 *  - inside a region (the input is already blocked): at least half a block of
 *    input channels;
 *  - starting a region costs a conversion each way, which pays only where the
 *    direct convolution clearly beats im2col + GEMM: not depthwise (already
 *    a direct loop), a spatial kernel (a 1x1 convolution is a plain GEMM with
 *    no im2col to save), whole input blocks,
 *    and at least NCHWC_MIN_START_PIXELS output pixels (on small images the
 *    row tiles run short and the weights of a block are re-read per row). */
#define NCHWC_MIN_START_PIXELS 1024
static bool conv_wanted(const nchwc *s, const ir_node *n, bool *depthwise) {
  const ir_graph *g = s->g;
  if (n->nout != 1 || n->nin < 2) return false;
  const ir_type *xt = &g->values[n->in[0]].type, *yt = &g->values[n->out[0]].type;
  const kn_tensor *w = const_f32(g, n->in[1]);
  if (!is_nchw_f32(xt) || !is_nchw_f32(yt) || !w || w->rank != 4) return false;
  if (n->nin > 2 && n->in[2] != IR_NONE && !const_f32(g, n->in[2])) return false;
  const int64_t C = xt->dims[1], M = yt->dims[1], group = ir_attr_i(n, "group");
  *depthwise = group != 1;
  if (*depthwise && !(group == C && M == C && w->dims[1] == 1)) return false;
  if (!*depthwise && w->dims[1] != C) return false;
  if (s->all) return true;
  if (2 * M < s->b) return false;
  if (has_twin(s, n->in[0])) return 2 * C >= s->b;
  return !*depthwise && C >= s->b && w->dims[2] * w->dims[3] > 1 && yt->dims[2] * yt->dims[3] >= NCHWC_MIN_START_PIXELS;
}

/* W [M, C, KH, KW] -> [M/b, C/b, KH, KW, b_in, b_out]; depthwise W [C, 1,
 * KH, KW] -> [C/b, KH, KW, b]. Padded channels get zero weights. */
static ir_id pack_weights(nchwc *s, ir_id wv, bool depthwise) {
  const kn_tensor *w = s->g->values[wv].constant;
  const int64_t M = w->dims[0], C = w->dims[1], KH = w->dims[2], KW = w->dims[3], b = s->b;
  const int64_t Mb = ceil_div(M, b), Cb = ceil_div(C, b), kk = KH * KW;
  kn_tensor t;
  int64_t dims[6] = {Mb, Cb, KH, KW, b, b};
  if (depthwise) {
    const int64_t dd[4] = {Mb, KH, KW, b};
    if (kn_tensor_alloc(s->g->ctx, &t, KN_F32, 4, dd) != KN_OK) return IR_NONE;
  } else if (kn_tensor_alloc(s->g->ctx, &t, KN_F32, 6, dims) != KN_OK)
    return IR_NONE;
  const float *src = w->data;
  float *dst = t.data; /* zeroed */
  for (int64_t m = 0; m < M; m++)
    for (int64_t k = 0; k < kk; k++) {
      if (depthwise) {
        dst[((m / b) * kk + k) * b + m % b] = src[m * kk + k];
        continue;
      }
      for (int64_t c = 0; c < C; c++)
        dst[((((m / b) * Cb + c / b) * kk + k) * b + c % b) * b + m % b] = src[(m * C + c) * kk + k];
    }
  char name[256];
  snprintf(name, sizeof name, "%s.packed", s->g->values[wv].name);
  return ir_const_new(s->g, ir_value_find(s->g, name) == IR_NONE ? name : NULL, &t);
}

static kn_status convert_conv(nchwc *s, int32_t i, bool depthwise) {
  ir_graph *g = s->g;
  const ir_node *n = &g->nodes[i];
  const ir_id xv = n->in[0], wv = n->in[1], bv = n->nin > 2 ? n->in[2] : IR_NONE;
  const int64_t M = g->values[n->out[0]].type.dims[1];
  ir_id in[3] = {blocked(s, xv), pack_weights(s, wv, depthwise), IR_NONE};
  if (bv != IR_NONE) {
    /* a bias is a 1-D per-channel constant: pad it to whole blocks */
    const kn_tensor *bt = g->values[bv].constant;
    const int64_t dims[1] = {ceil_div(M, s->b) * s->b};
    kn_tensor t;
    if (kn_tensor_alloc(g->ctx, &t, KN_F32, 1, dims) != KN_OK) return kn_last_status(g->ctx);
    memcpy(t.data, bt->data, sizeof(float) * (size_t)M);
    char name[256];
    snprintf(name, sizeof name, "%s.nchwc", g->values[bv].name);
    in[2] = ir_const_new(g, ir_value_find(g, name) == IR_NONE ? name : NULL, &t);
  }
  if (in[0] == IR_NONE || in[1] == IR_NONE || (bv != IR_NONE && in[2] == IR_NONE))
    return kn_fail(g->ctx, KN_ENOMEM, "out of memory in layout-nchwc");
  ir_id tw;
  KN_TRY(make_twin(s, i, IR_OP_ConvNCHWc, bv != IR_NONE ? 3 : 2, in, &tw));
  return ir_attr_set_int(g, &g->nodes[tw], "channels", M);
}

/* ---- what the layout spreads through ---- */

/* elementwise ops that keep the padding lanes finite (ops.def BLOCKED_OK) */
static bool blocked_ok(ir_op op) { return (ir_op_flags[op] & IR_OPF_BLOCKED_OK) != 0; }

/* Elementwise node i with a blocked operand: the blocked inputs, or false
 * when an operand does not fit (a tensor not blocked, a broadcast that is not
 * per channel, a divisor that is not a constant). */
static bool elementwise_inputs(nchwc *s, const ir_node *n, ir_id *in, bool *any) {
  const ir_graph *g = s->g;
  const ir_type *yt = &g->values[n->out[0]].type;
  if (!is_nchw_f32(yt) || n->nout != 1 || n->nin > 3) return false;
  const int64_t C = yt->dims[1];
  *any = false;
  for (int k = 0; k < n->nin; k++) {
    const ir_id v = n->in[k];
    in[k] = v;
    if (v == IR_NONE) continue;
    const ir_type *t = &g->values[v].type;
    const bool divisor = n->op == IR_OP_Div && k == 1;
    if (has_twin(s, v) && !divisor) {
      bool same = t->rank == 4;
      for (int d = 0; same && d < 4; d++) same = t->dims[d] == yt->dims[d];
      if (!same) return false;
      in[k] = s->blk[v];
      *any = true;
    } else if (const_f32(g, v) && kn_tensor_numel(g->values[v].constant) == 1 && t->rank <= 5) {
      /* a scalar broadcasts the same in both layouts */
    } else if ((k == 1 || n->op != IR_OP_PRelu) && n->op != IR_OP_Clip && per_channel(g, v, C)) {
      in[k] = RECONST;
    } else {
      return false;
    }
  }
  return *any;
}

static kn_status convert_elementwise(nchwc *s, int32_t i, ir_id *in) {
  const ir_node *n = &s->g->nodes[i];
  const int64_t C = s->g->values[n->out[0]].type.dims[1];
  const int nin = n->nin;
  for (int k = 0; k < nin; k++)
    if (in[k] == RECONST && (in[k] = reblock_const(s, n->in[k], C, n->op == IR_OP_Div ? 1.0f : 0.0f)) == IR_NONE)
      return kn_fail(s->g->ctx, KN_ENOMEM, "out of memory in layout-nchwc");
  ir_id tw;
  return make_twin(s, i, s->g->nodes[i].op, nin, in, &tw);
}

static kn_status convert_pool(nchwc *s, int32_t i) {
  ir_graph *g = s->g;
  const ir_node *n = &g->nodes[i];
  const char *mode = n->op == IR_OP_MaxPool ? "max" : n->op == IR_OP_AveragePool ? "avg" : "global_avg";
  ir_id in = s->blk[n->in[0]], tw;
  KN_TRY(make_twin(s, i, IR_OP_PoolNCHWc, 1, &in, &tw));
  return ir_attr_set_string(g, &g->nodes[tw], "mode", mode, strlen(mode));
}

static bool pool_ok(const nchwc *s, const ir_node *n) {
  if (n->op != IR_OP_MaxPool && n->op != IR_OP_AveragePool && n->op != IR_OP_GlobalAveragePool) return false;
  if (!has_twin(s, n->in[0]) || !is_nchw_f32(&s->g->values[n->out[0]].type)) return false;
  if (n->nout > 1 && n->out[1] != IR_NONE) return false; /* MaxPool's indices are NCHW positions */
  return n->op != IR_OP_MaxPool || ir_attr_i(n, "storage_order") == 0;
}

/* Concat of whole blocks along channels (only the last input may end in a
 * partial block: its padding is then the result's). */
static bool concat_ok(const nchwc *s, const ir_node *n, ir_id *in) {
  if (n->op != IR_OP_Concat || n->nin > 64 || !is_nchw_f32(&s->g->values[n->out[0]].type)) return false;
  const int64_t axis = ir_op_axis(n);
  if (axis != 1 && axis != -3) return false;
  for (int k = 0; k < n->nin; k++) {
    if (!has_twin(s, n->in[k])) return false;
    if (k + 1 < n->nin && s->g->values[n->in[k]].type.dims[1] % s->b) return false;
    in[k] = s->blk[n->in[k]];
  }
  return true;
}

static kn_status convert_concat(nchwc *s, int32_t i, const ir_id *in) {
  ir_id tw;
  KN_TRY(make_twin(s, i, IR_OP_Concat, s->g->nodes[i].nin, in, &tw));
  return ir_attr_set_int(s->g, &s->g->nodes[tw], "axis", 1);
}

/* Pad by zero everywhere (exports put these before pools): the same value. */
static bool zero_pad(const nchwc *s, const ir_node *n) {
  if (n->op != IR_OP_Pad || !has_twin(s, n->in[0]) || (n->nin > 3 && n->in[3] != IR_NONE)) return false;
  const ir_value *p = &s->g->values[n->in[1]];
  if (!p->constant || p->is_input) return false;
  for (int64_t k = 0; k < kn_tensor_numel(p->constant); k++)
    if (kn_tensor_get_i64(p->constant, k) != 0) return false;
  return true;
}

static kn_status visit(nchwc *s, int32_t i) {
  ir_graph *g = s->g;
  const ir_node *n = &g->nodes[i];
  if (n->dead || n->nout < 1 || n->out[0] == IR_NONE) return KN_OK;
  ir_id in[64];
  bool depthwise, any;
  if (n->op == IR_OP_Conv && conv_wanted(s, n, &depthwise)) return convert_conv(s, i, depthwise);
  if (blocked_ok(n->op) && elementwise_inputs(s, n, in, &any)) return convert_elementwise(s, i, in);
  if (pool_ok(s, n)) return convert_pool(s, i);
  if (concat_ok(s, n, in)) return convert_concat(s, i, in);
  if (zero_pad(s, n)) s->blk[n->out[0]] = s->blk[n->in[0]];
  return KN_OK;
}

/* ---- clean-ups ---- */

/* Puts the nodes in s->order (every node exactly once) and records each
 * node's outputs at its new place, the live nodes' last (should a dead node
 * still name one, the live node is its producer). */
static void reorder(nchwc *s) {
  ir_graph *g = s->g;
  ir_node *tmp = malloc(sizeof *tmp * (size_t)g->nnodes);
  if (!tmp) return; /* the old order stays: callers toposort */
  for (int32_t k = 0; k < g->nnodes; k++) tmp[k] = g->nodes[s->order[k]];
  memcpy(g->nodes, tmp, sizeof *tmp * (size_t)g->nnodes);
  free(tmp);
  for (int pass = 0; pass < 2; pass++) { /* the dead nodes, then the live ones */
    const bool dead = pass == 0;
    for (int32_t k = 0; k < g->nnodes; k++)
      for (int o = 0; g->nodes[k].dead == dead && o < g->nodes[k].nout; o++)
        if (g->nodes[k].out[o] != IR_NONE) g->values[g->nodes[k].out[o]].producer = k;
  }
}

/* ToNCHWc(FromNCHWc(x)) with the same block is x. */
static int32_t cancel_pairs(ir_graph *g) {
  int32_t n = 0;
  for (int32_t i = 0; i < g->nnodes; i++) {
    ir_node *t = &g->nodes[i];
    if (t->dead || t->op != IR_OP_ToNCHWc) continue;
    const ir_node *f = pat_def(g, t->in[0], IR_OP_FromNCHWc);
    if (!f || g->values[f->in[0]].type.dims[4] != ir_attr_int(t, "block", 0)) continue;
    if (!pass_replace_uses(g, t->out[0], f->in[0])) continue; /* a subgraph reads it */
    t->dead = true;
    n++;
  }
  return n;
}

/* Relu whose input is a ConvNCHWc used only by it: into the epilogue. */
static int32_t fuse_relu(ir_graph *g, const int32_t *uses) {
  int32_t n = 0;
  for (int32_t i = 0; i < g->nnodes; i++) {
    ir_node *r = &g->nodes[i];
    if (r->dead || r->op != IR_OP_Relu) continue;
    ir_node *cv = pat_def(g, r->in[0], IR_OP_ConvNCHWc);
    if (!cv || ir_attr_str(cv, "activation", "")[0] || !pat_fusable(g, uses, r->in[0]) || g->values[r->out[0]].is_output ||
        pass_value_captured(g, r->out[0]))
      continue;
    if (ir_attr_set_string(g, cv, "activation", "Relu", 4) != KN_OK) break;
    pass_replace_uses(g, r->out[0], r->in[0]);
    r->dead = true;
    n++;
  }
  return n;
}

kn_status pass_run_layout_nchwc(ir_graph *g, pass_result *r) {
  nchwc s = {.g = g,
             .b = r->opt && r->opt->nchwc_block > 0 ? r->opt->nchwc_block : 8,
             .all = r->opt && r->opt->nchwc_all,
             .n0 = g->nvalues};
  const int32_t nodes0 = g->nnodes;
  s.blk = malloc(sizeof *s.blk * (size_t)(s.n0 + 1));
  s.cblk = malloc(sizeof *s.cblk * (size_t)(s.n0 + 1));
  kn_status st = s.blk && s.cblk ? KN_OK : kn_fail(g->ctx, KN_ENOMEM, "out of memory in layout-nchwc");
  for (int32_t v = 0; st == KN_OK && v < s.n0; v++) s.blk[v] = s.cblk[v] = IR_NONE;
  for (int32_t i = 0; st == KN_OK && i < nodes0; i++) { /* twins of a previous run's conversions */
    const ir_node *n = &g->nodes[i];
    if (!n->dead && n->op == IR_OP_FromNCHWc && g->values[n->in[0]].type.dims[4] == s.b) s.blk[n->out[0]] = n->in[0];
  }
  for (int32_t i = 0; st == KN_OK && i < nodes0; i++) {
    st = visit(&s, i);
    if (st == KN_OK) st = push_order(&s, i);
  }
  if (st == KN_OK) reorder(&s);
  free(s.blk), free(s.cblk), free(s.order);
  if (st != KN_OK) return st;
  int32_t cancelled = cancel_pairs(g);
  /* drop the conversions nobody reads before counting Relu's single uses */
  pass_result dr = {0};
  KN_TRY(pass_run_dce(g, &dr));
  int32_t *uses = pass_use_counts(g);
  if (!uses) return kn_fail(g->ctx, KN_ENOMEM, "out of memory in layout-nchwc");
  int32_t fused = fuse_relu(g, uses);
  free(uses);
  if (fused) KN_TRY(pass_run_dce(g, &dr));
  r->changed += s.changed + cancelled + fused;
  return s.changed || cancelled ? ir_infer_graph(g) : KN_OK;
}
