/* fuse_epilogue.c: what fuse-matmul and fuse-conv share: a product node
 * (MatMul, Gemm, Conv) whose result feeds nothing but elementwise work (a
 * bias, an activation, a residual add) becomes one FusedMatMul / FusedGemm /
 * FusedConv node whose `body` graph is that work, so the code generator can
 * apply it to each tile of the product while the tile is still in cache
 * instead of in another pass over memory (codegen/lower_gemm_parallel.c).
 *
 * The consumers form a run, each the only user of the previous one's result:
 * FusedElementwise nodes (the chains fuse-elementwise gathered) and single
 * elementwise ops (what it leaves alone: a lone bias Add, a lone Relu, ops
 * with operands it cannot take, like a conv's per-channel [1, C, 1, 1]
 * addend). The body is built by appending them in order: a single op is
 * copied, a FusedElementwise's body ops are copied with its operand that is
 * the previous result wired to it; the product is the body's first input,
 * every other operand a further input (one per distinct value), except
 * scalar constants, copied into the body as fuse-elementwise does. The last
 * consumer is rewritten in place into the fused node (its output, and every
 * operand, already exist at that point of the schedule); the product node and
 * the other consumers die.
 *
 * Legality is pat_fusable for every intermediate; every node keeps the
 * product's type (the epilogue never broadcasts it up), and every other
 * operand must be readable from the product's 2-D view (pass_epilogue_leaf:
 * the same classification the code generator uses, so a fused node never has
 * an operand the JIT cannot read). */
#include "pattern.h"
#include <stdlib.h>
#include <string.h>

enum {
  /* operands besides the product: the generated region function takes one
   * slot per body input (codegen's CG_VG_MAX_PARAMS = 16) */
  MAX_OPERANDS = 12,
  MAX_RUN = 32 /* consumers fused into one product */
};

pass_leaf pass_epilogue_leaf(const ir_type *t, const ir_type *y, int split, int64_t *period) {
  if (t->dtype != KN_F32 || !ir_type_is_concrete(t) || !ir_type_is_concrete(y) || t->rank > y->rank || split < 0 ||
      split > y->rank)
    return PASS_LEAF_BAD;
  int64_t td[KN_MAX_RANK]; /* t's dims right-aligned with y's */
  const int off = y->rank - t->rank;
  for (int i = 0; i < y->rank; i++) {
    td[i] = i < off ? 1 : t->dims[i - off];
    if (td[i] != 1 && td[i] != y->dims[i]) return PASS_LEAF_BAD; /* not even broadcastable */
  }
  const int64_t n = kn_dims_numel(t->rank, t->dims);
  *period = n;
  if (n == 1) return PASS_LEAF_SCALAR;
  if (n == kn_dims_numel(y->rank, y->dims)) return PASS_LEAF_FULL; /* every dim equal */
  bool row = true, col = true;
  for (int i = 0; i < y->rank; i++) {
    row = row && (i < split ? td[i] == 1 : td[i] == y->dims[i]);
    col = col && (i < split || td[i] == 1);
  }
  if (row) return PASS_LEAF_ROW;
  if (!col) return PASS_LEAF_BAD;
  int p = 0; /* leading ones, then y's dims up to split: a period of y's rows */
  while (p < split && td[p] == 1) p++;
  for (int i = p; i < split; i++)
    if (td[i] != y->dims[i]) return PASS_LEAF_BAD;
  return PASS_LEAF_COL;
}


/* The live node after `from` that uses v. */
static int32_t user_of(const ir_graph *g, int32_t from, ir_id v) {
  for (int32_t i = from + 1; i < g->nnodes; i++) {
    const ir_node *n = &g->nodes[i];
    if (n->dead) continue;
    for (int k = 0; k < n->nin; k++)
      if (n->in[k] == v) return i;
  }
  return IR_NONE;
}

/* n's output has type y and each of its operands but `self` is readable. */
static bool node_fits(const ir_graph *g, const ir_node *n, ir_id self, const ir_type *y, int split) {
  if (n->nout != 1 || n->out[0] == IR_NONE || !ir_type_equal(&g->values[n->out[0]].type, y)) return false;
  for (int i = 0; i < n->nin; i++) {
    int64_t period;
    ir_id v = n->in[i];
    if (v != IR_NONE && v != self && pass_epilogue_leaf(&g->values[v].type, y, split, &period) == PASS_LEAF_BAD)
      return false;
  }
  return true;
}

static ir_graph *body_attr(const ir_node *n) {
  const ir_attr *a = ir_attr_get(n, "body");
  return a && a->kind == IR_ATTR_GRAPH ? a->g : NULL;
}

/* ===== the body, built consumer by consumer ===== */
typedef struct ebody {
  ir_graph *g, *b;
  ir_id ops[MAX_OPERANDS + 1]; /* body input i reads g's value ops[i] */
  int nops;
  ir_id cur, gcur; /* the latest result: in the body, and the g value it stands for */
} ebody;

/* a scalar constant that is copied into the body rather than read */
static bool copied_const(const ir_graph *src, ir_id v) {
  const ir_value *val = &src->values[v];
  return val->constant && !val->is_input && kn_tensor_numel(val->constant) == 1;
}

/* g values node n of src reads besides the current result that the body has
 * no input for yet (outer: src's inputs as g values; NULL when src is g) */
static int new_operands(const ebody *e, const ir_graph *src, const ir_node *n, const ir_id *outer, ir_id *seen,
                        int nseen) {
  for (int i = 0; i < n->nin; i++) {
    ir_id v = n->in[i];
    if (v == IR_NONE || copied_const(src, v)) continue;
    ir_id gv = outer ? outer[v] : v;
    if (gv == IR_NONE || gv == e->gcur) continue; /* not an input of src, or the current result */
    bool known = false;
    for (int k = 0; k < e->nops && !known; k++) known = e->ops[k] == gv;
    for (int k = 0; k < nseen && !known; k++) known = seen[k] == gv;
    if (!known && nseen < MAX_OPERANDS + 2) seen[nseen++] = gv;
  }
  return nseen;
}

/* The body value for src's operand v. */
static kn_status body_value(ebody *e, const ir_graph *src, ir_id v, const ir_id *outer, ir_id *map, ir_id *out) {
  if (map[v] != IR_NONE) return *out = map[v], KN_OK;
  const ir_value *val = &src->values[v];
  if (copied_const(src, v)) { /* by name: the same constant copied twice is one */
    ir_id have = ir_value_find(e->b, val->name);
    const kn_tensor *hc = have != IR_NONE ? e->b->values[have].constant : NULL;
    kn_tensor t;
    if (hc && hc->nbytes == val->constant->nbytes && memcmp(hc->data, val->constant->data, (size_t)hc->nbytes) == 0)
      return *out = map[v] = have, KN_OK;
    KN_TRY(kn_tensor_clone(e->g->ctx, &t, val->constant));
    if ((map[v] = ir_const_new(e->b, have == IR_NONE ? val->name : NULL, &t)) == IR_NONE) {
      kn_tensor_free(&t);
      return kn_fail(e->g->ctx, KN_ENOMEM, "out of memory fusing an epilogue");
    }
    return *out = map[v], KN_OK;
  }
  ir_id gv = outer ? outer[v] : v;
  if (gv == e->gcur) return *out = e->cur, KN_OK;
  for (int k = 0; k < e->nops; k++)
    if (e->ops[k] == gv) return *out = e->b->inputs[k], KN_OK;
  ir_id bv = ir_value_new(e->b, e->g->values[gv].name, &val->type);
  if (bv == IR_NONE) return kn_fail(e->g->ctx, KN_ENOMEM, "out of memory fusing an epilogue");
  KN_TRY(ir_graph_add_input(e->b, bv));
  e->ops[e->nops++] = gv;
  return *out = bv, KN_OK;
}

/* Copies node n of src (operands through map/outer) into the body; its
 * result becomes the current one. */
static kn_status append(ebody *e, const ir_graph *src, const ir_node *n, const ir_id *outer, ir_id *map) {
  ir_id in[8];
  if (n->nin > 8) return kn_fail(e->g->ctx, KN_EINTERNAL, "node %s has too many operands to fuse", n->name);
  for (int i = 0; i < n->nin; i++) {
    in[i] = IR_NONE;
    if (n->in[i] != IR_NONE) KN_TRY(body_value(e, src, n->in[i], outer, map, &in[i]));
  }
  const ir_value *o = &src->values[n->out[0]];
  ir_id bo = ir_value_new(e->b, ir_value_find(e->b, o->name) == IR_NONE ? o->name : NULL, &o->type);
  ir_id bn = bo == IR_NONE ? IR_NONE : ir_node_new(e->b, n->op, n->name, n->nin, in, 1, &bo);
  if (bn == IR_NONE) return kn_fail(e->g->ctx, KN_ENOMEM, "out of memory fusing an epilogue");
  KN_TRY(pass_copy_attrs(e->b, &e->b->nodes[bn], n));
  map[n->out[0]] = bo;
  e->cur = bo;
  return KN_OK;
}

/* Appends consumer u of e->gcur if it fits (*took). gmap: g's values. */
static kn_status take(ebody *e, const ir_node *u, const ir_type *S, int split, ir_id *gmap, bool *took) {
  *took = false;
  ir_graph *g = e->g, *fb = u->op == IR_OP_FusedElementwise ? body_attr(u) : NULL;
  if (!node_fits(g, u, e->gcur, S, split)) return KN_OK;
  if (!fb && !pass_elementwise_fusable_op(g, u)) return KN_OK;
  if (fb && (fb->ninputs != u->nin || fb->noutputs != 1)) return KN_OK;
  ir_id seen[MAX_OPERANDS + 2];
  int nseen = 0;
  if (!fb) {
    if (e->nops + new_operands(e, g, u, NULL, seen, 0) > MAX_OPERANDS + 1) return KN_OK;
    KN_TRY(append(e, g, u, NULL, gmap));
    e->gcur = u->out[0];
    return *took = true, KN_OK;
  }
  /* a FusedElementwise: its body's inputs stand for u's operands */
  ir_id *outer = malloc(sizeof(ir_id) * 2 * ((size_t)fb->nvalues + 1)), *map = outer ? outer + fb->nvalues + 1 : NULL;
  if (!outer) return kn_fail(g->ctx, KN_ENOMEM, "out of memory fusing an epilogue");
  for (int32_t v = 0; v < fb->nvalues; v++) outer[v] = map[v] = IR_NONE;
  for (int i = 0; i < u->nin; i++) { /* the previous result is one value however often the body reads it */
    outer[fb->inputs[i]] = u->in[i];
    if (u->in[i] == e->gcur) map[fb->inputs[i]] = e->cur;
  }
  for (int32_t k = 0; k < fb->nnodes; k++)
    if (!fb->nodes[k].dead) nseen = new_operands(e, fb, &fb->nodes[k], outer, seen, nseen);
  kn_status st = KN_OK;
  if (e->nops + nseen <= MAX_OPERANDS + 1) {
    for (int32_t k = 0; st == KN_OK && k < fb->nnodes; k++)
      if (!fb->nodes[k].dead) st = append(e, fb, &fb->nodes[k], outer, map);
    if (st == KN_OK) {
      e->cur = map[fb->outputs[0]];
      e->gcur = u->out[0];
      *took = e->cur != IR_NONE; /* an output that is an input: nothing to take */
    }
  }
  free(outer);
  return st;
}

kn_status pass_fuse_epilogue(ir_graph *g, int32_t *uses, int32_t prod, ir_op fused, int split, bool *done) {
  *done = false;
  ir_node *p = &g->nodes[prod];
  ir_id P = p->nout == 1 ? p->out[0] : IR_NONE;
  if (p->dead || P == IR_NONE) return KN_OK;
  const ir_type *S = &g->values[P].type;
  /* the base op's inputs, an absent optional third one spelled `_` so that
   * the operands after it are never taken for it */
  const int nprod = fused == IR_OP_FusedMatMul ? 2 : 3;
  if (S->dtype != KN_F32 || !ir_type_is_concrete(S) || p->nin > nprod || !pat_fusable(g, uses, P)) return KN_OK;
  int32_t first = user_of(g, prod, P);
  if (first == IR_NONE) return KN_OK;
  ebody e = {.g = g, .b = ir_subgraph_new(g, "body"), .cur = IR_NONE, .gcur = P};
  ir_id *gmap = malloc(sizeof(ir_id) * ((size_t)g->nvalues + 1));
  if (!e.b || !gmap) {
    ir_graph_free(e.b), free(gmap);
    return kn_fail(g->ctx, KN_ENOMEM, "out of memory fusing an epilogue");
  }
  e.b->opset = g->opset;
  for (int32_t v = 0; v < g->nvalues; v++) gmap[v] = IR_NONE;
  /* the product: the first input */
  kn_status st = (e.cur = ir_value_new(e.b, g->values[P].name, S)) == IR_NONE
                     ? kn_fail(g->ctx, KN_ENOMEM, "out of memory fusing an epilogue")
                     : ir_graph_add_input(e.b, e.cur);
  if (st == KN_OK) e.ops[e.nops++] = P;
  int32_t run[MAX_RUN];
  int n = 0;
  for (int32_t ui = first; st == KN_OK && ui != IR_NONE && n < MAX_RUN;) {
    bool took = false;
    st = take(&e, &g->nodes[ui], S, split, gmap, &took);
    if (!took) break;
    run[n++] = ui;
    ui = pat_fusable(g, uses, e.gcur) ? user_of(g, ui, e.gcur) : IR_NONE;
  }
  free(gmap);
  if (st == KN_OK && n > 0) st = ir_graph_add_output(e.b, e.cur);
  if (st != KN_OK || n == 0) {
    ir_graph_free(e.b);
    return st;
  }

  /* the fused node's inputs: the base op's, then the body's other operands */
  ir_id in[3 + MAX_OPERANDS];
  for (int i = 0; i < nprod; i++) in[i] = i < p->nin ? p->in[i] : IR_NONE;
  for (int i = 1; i < e.nops; i++) in[nprod + i - 1] = e.ops[i];
  const int nin = nprod + e.nops - 1;
  /* use counts: the old nodes' operands give way to the fused node's (the
   * consumers' own bodies were copied; they go with their nodes) */
  ir_node *last = &g->nodes[run[n - 1]];
  for (int c = -1; c < n; c++) {
    ir_node *d = c < 0 ? p : &g->nodes[run[c]];
    for (int i = 0; i < d->nin; i++)
      if (d->in[i] != IR_NONE) uses[d->in[i]]--;
    if (d != last) d->dead = true;
  }
  for (int i = 0; i < nin; i++)
    if (in[i] != IR_NONE) uses[in[i]]++;
  st = pat_rewrite(g, last, fused, nin, in);
  if (st == KN_OK) st = pass_copy_attrs(g, last, p);
  if (st != KN_OK) {
    ir_graph_free(e.b);
    return st;
  }
  *done = true;
  return ir_attr_set_graph(g, last, "body", e.b);
}
