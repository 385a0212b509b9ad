/* merge_qkv.c: MatMuls that share their input A and multiply it by constant
 * weights [K, N_i] (a transformer's Q, K and V projections: BERT-style
 * exports keep them apart, where CLIP's already has one in_proj) become one
 * GEMM with the weights concatenated along N, [K, sum N_i], followed by a
 * Split of its result on the last axis into the original outputs. One GEMM
 * packs each block of A once instead of once per projection and gives the
 * thread pool one wider product to cut; the price is the Split's copy of the
 * (small) result.
 *
 * The members are MatMul(A, W_i), or FusedMatMul(A, W_i, b_i) whose body is
 * only the bias add (fuse-matmul's bias epilogue), all of one kind, W_i and
 * b_i f32 constants that are not graph inputs; the merged node is a MatMul,
 * or a FusedMatMul adding the concatenated bias. It takes the place of the
 * first member in the schedule and the Split comes right after it, so every
 * user of a member's output still comes after its definition. */
#include "pattern.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_GROUP = 16 };

static const kn_tensor *const_f32(const ir_graph *g, ir_id v) {
  if (v == IR_NONE) return NULL;
  const ir_value *val = &g->values[v];
  return val->constant && !val->is_input && val->constant->dtype == KN_F32 ? val->constant : NULL;
}

/* The bias of a FusedMatMul whose body is exactly Add(product, input 1). */
static ir_id bias_only(const ir_node *n) {
  const ir_attr *a = ir_attr_get(n, "body");
  if (n->nin != 3 || !a || a->kind != IR_ATTR_GRAPH) return IR_NONE;
  const ir_graph *b = a->g;
  if (b->ninputs != 2 || b->noutputs != 1 || ir_graph_live_nodes(b) != 1) return IR_NONE;
  const ir_node *add = NULL;
  for (int32_t i = 0; i < b->nnodes; i++)
    if (!b->nodes[i].dead) add = &b->nodes[i];
  ir_id other;
  if (add->op != IR_OP_Add || add->out[0] != b->outputs[0] || !pat_commute(add, b->inputs[0], &other) ||
      other != b->inputs[1])
    return IR_NONE;
  return n->in[2];
}

/* n is a member: returns its kind (1 plain, 2 with bias), K, N; 0 if not. */
static int member(const ir_graph *g, const ir_node *n, int64_t *K, int64_t *N) {
  if (n->dead || n->nout != 1 || n->out[0] == IR_NONE || n->nin < 2) return 0;
  int kind = n->op == IR_OP_MatMul && n->nin == 2 ? 1 : n->op == IR_OP_FusedMatMul && n->nin == 3 ? 2 : 0;
  if (!kind) return 0;
  const kn_tensor *w = const_f32(g, n->in[1]);
  const ir_type *at = &g->values[n->in[0]].type, *yt = &g->values[n->out[0]].type;
  if (!w || w->rank != 2 || at->dtype != KN_F32 || at->rank < 2 || yt->dtype != KN_F32) return 0;
  *K = w->dims[0], *N = w->dims[1];
  if (kind == 2) {
    const kn_tensor *b = const_f32(g, bias_only(n));
    if (!b || kn_tensor_numel(b) != *N || b->dims[b->rank - 1] != *N) return 0;
  }
  return kind;
}

/* Moves node `from` to index `to` (< from), shifting the ones between. */
static void move_node(ir_graph *g, int32_t from, int32_t to) {
  ir_node n = g->nodes[from];
  memmove(&g->nodes[to + 1], &g->nodes[to], sizeof(ir_node) * (size_t)(from - to));
  g->nodes[to] = n;
  for (int32_t i = to; i <= from; i++)
    for (int k = 0; !g->nodes[i].dead && k < g->nodes[i].nout; k++)
      if (g->nodes[i].out[k] != IR_NONE) g->values[g->nodes[i].out[k]].producer = i;
}

/* [rank-1 dims of `like`, n] */
static ir_type with_last(const ir_type *like, int64_t n) {
  ir_type t = *like;
  t.dims[t.rank - 1] = n;
  return t;
}

/* The body Add(product, bias) for a product of type yt and a bias [n]. */
static ir_graph *bias_body(ir_graph *g, const ir_type *yt, int64_t n) {
  ir_graph *b = ir_subgraph_new(g, "body");
  if (!b) return NULL;
  b->opset = g->opset;
  ir_type bt = {.dtype = KN_F32, .rank = 1, .dims = {n}};
  ir_id p = ir_value_new(b, "product", yt), bias = ir_value_new(b, "bias", &bt), y = ir_value_new(b, "y", yt);
  ir_id in[2] = {p, bias};
  if (p == IR_NONE || bias == IR_NONE || y == IR_NONE || ir_graph_add_input(b, p) != KN_OK ||
      ir_graph_add_input(b, bias) != KN_OK || ir_node_new(b, IR_OP_Add, "bias_add", 2, in, 1, &y) == IR_NONE ||
      ir_graph_add_output(b, y) != KN_OK) {
    ir_graph_free(b);
    return NULL;
  }
  return b;
}

/* Concatenates the members' weights (or biases, `bias`) along the last axis. */
static ir_id concat_const(ir_graph *g, const int32_t *mem, int n, bool bias, int64_t K, int64_t ntot) {
  int64_t dims[2] = {K, ntot};
  kn_tensor t;
  if (kn_tensor_alloc(g->ctx, &t, KN_F32, bias ? 1 : 2, bias ? &ntot : dims) != KN_OK) return IR_NONE;
  float *d = t.data;
  int64_t col = 0;
  for (int i = 0; i < n; i++) {
    const ir_node *m = &g->nodes[mem[i]];
    const kn_tensor *s = const_f32(g, bias ? bias_only(m) : m->in[1]);
    const int64_t ni = s->dims[s->rank - 1];
    const float *sv = s->data;
    for (int64_t k = 0; k < (bias ? 1 : K); k++) memcpy(d + k * ntot + col, sv + k * ni, sizeof(float) * (size_t)ni);
    col += ni;
  }
  char name[256];
  const ir_value *first = &g->values[bias ? bias_only(&g->nodes[mem[0]]) : g->nodes[mem[0]].in[1]];
  snprintf(name, sizeof name, "%s.merged", first->name);
  ir_id v = ir_const_new(g, ir_value_find(g, name) == IR_NONE ? name : NULL, &t);
  if (v == IR_NONE) kn_tensor_free(&t);
  return v;
}

/* Merges the members mem[0..n) (schedule order, one kind). */
static kn_status merge(ir_graph *g, const int32_t *mem, int n, int kind, int64_t K) {
  int64_t sizes[MAX_GROUP], ntot = 0;
  ir_id outs[MAX_GROUP];
  for (int i = 0; i < n; i++) {
    const ir_node *m = &g->nodes[mem[i]];
    sizes[i] = g->values[m->out[0]].type.dims[g->values[m->out[0]].type.rank - 1];
    outs[i] = m->out[0];
    ntot += sizes[i];
  }
  ir_node *first = &g->nodes[mem[0]];
  const ir_type yt = with_last(&g->values[first->out[0]].type, ntot);
  ir_id w = concat_const(g, mem, n, false, K, ntot);
  ir_id b = kind == 2 ? concat_const(g, mem, n, true, K, ntot) : IR_NONE;
  kn_tensor st;
  int64_t nsz = n;
  ir_id sz = IR_NONE, y = IR_NONE;
  if (w != IR_NONE && (kind == 1 || b != IR_NONE) && kn_tensor_alloc(g->ctx, &st, KN_I64, 1, &nsz) == KN_OK) {
    memcpy(st.data, sizes, sizeof(int64_t) * (size_t)n);
    char name[256];
    snprintf(name, sizeof name, "%s.merged_sizes", first->name);
    if ((sz = ir_const_new(g, ir_value_find(g, name) == IR_NONE ? name : NULL, &st)) == IR_NONE) kn_tensor_free(&st);
    snprintf(name, sizeof name, "%s.merged", g->values[first->out[0]].name);
    y = ir_value_new(g, ir_value_find(g, name) == IR_NONE ? name : NULL, &yt);
  }
  ir_graph *body = kind == 2 ? bias_body(g, &yt, ntot) : NULL;
  if (sz == IR_NONE || y == IR_NONE || (kind == 2 && !body)) {
    ir_graph_free(body);
    return kn_fail(g->ctx, KN_ENOMEM, "out of memory in merge-qkv");
  }
  /* the first member becomes the merged product, the others die */
  const int32_t at = mem[0];
  ir_id a = first->in[0];
  ir_id in[3] = {a, w, b};
  for (int i = 1; i < n; i++) { /* their outputs now belong to the Split */
    g->nodes[mem[i]].dead = true;
    g->nodes[mem[i]].out[0] = IR_NONE;
  }
  first->out[0] = y; /* the members' outputs go to the Split */
  g->values[y].producer = at;
  kn_status s = pat_rewrite(g, first, kind == 2 ? IR_OP_FusedMatMul : IR_OP_MatMul, kind == 2 ? 3 : 2, in);
  if (s == KN_OK && body) s = ir_attr_set_graph(g, first, "body", body);
  else if (body) ir_graph_free(body);
  if (s != KN_OK) return s;
  char sname[256];
  snprintf(sname, sizeof sname, "%s.split", first->name);
  ir_id sin[2] = {y, sz};
  ir_id sn = ir_node_new(g, IR_OP_Split, sname, 2, sin, n, outs);
  if (sn == IR_NONE) return kn_fail(g->ctx, KN_ENOMEM, "out of memory in merge-qkv");
  KN_TRY(ir_attr_set_int(g, &g->nodes[sn], "axis", -1));
  move_node(g, sn, at + 1);
  return KN_OK;
}

kn_status pass_run_merge_qkv(ir_graph *g, pass_result *r) {
  for (int32_t i = 0; i < g->nnodes; i++) {
    int64_t K, N;
    int kind = member(g, &g->nodes[i], &K, &N);
    if (!kind || pass_value_captured(g, g->nodes[i].out[0])) continue;
    int32_t mem[MAX_GROUP] = {i};
    int n = 1;
    const ir_id a = g->nodes[i].in[0];
    for (int32_t j = i + 1; j < g->nnodes && n < MAX_GROUP; j++) {
      int64_t Kj, Nj;
      if (member(g, &g->nodes[j], &Kj, &Nj) == kind && g->nodes[j].in[0] == a && Kj == K &&
          !pass_value_captured(g, g->nodes[j].out[0]))
        mem[n++] = j;
    }
    if (n < 2) continue;
    KN_TRY(merge(g, mem, n, kind, K));
    r->changed += n - 1;
  }
  return KN_OK;
}
