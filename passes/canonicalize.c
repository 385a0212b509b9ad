/* canonicalize.c: transpose/reshape canonicalization. Exports wrap tensors in
 * chains of view changes (Flatten after Reshape, Unsqueeze then Squeeze,
 * Transpose of a Transpose, a permutation that only moves size-1 dims). Each
 * link is a copy at run time and hides the shape from pattern passes, so this
 * pass brings them to one canonical form:
 *   - a Transpose of a Transpose is one Transpose with the composed perm, and
 *     an identity perm disappears;
 *   - a Transpose that keeps the order of the dims larger than 1 moves no
 *     data: it becomes a Reshape;
 *   - Reshape, Flatten, Squeeze and Unsqueeze with a concrete output type are
 *     all Reshape to a constant shape, a Reshape of such a Reshape reads the
 *     original tensor, and a Reshape to the shape it already has disappears.
 * Only concretely typed values are touched (a symbolic dim could be 1 or not),
 * and a value that is a graph output or that a subgraph captures keeps its
 * producer. Inner links whose users all moved are left to dce. */
#include "pattern.h"
#include <stdlib.h>
#include <string.h>

static bool concrete(const ir_graph *g, ir_id v) { return v != IR_NONE && ir_type_is_concrete(&g->values[v].type); }

/* the views canonicalize rewrites: every VIEW op but Identity, which
 * remove-noops deletes */
static bool is_view(ir_op op) { return ir_op_is_view(op) && op != IR_OP_Identity; }

/* n's perm (default: reversed dims); false if it is malformed. */
static bool get_perm(const ir_graph *g, const ir_node *n, int *perm) {
  int r = g->values[n->in[0]].type.rank;
  const ir_attr *a = ir_attr_get(n, "perm");
  if (!a) {
    for (int i = 0; i < r; i++) perm[i] = r - 1 - i;
    return true;
  }
  if (a->kind != IR_ATTR_INTS || a->n != r) return false;
  for (int i = 0; i < r; i++) {
    if (a->ints[i] < 0 || a->ints[i] >= r) return false;
    perm[i] = (int)a->ints[i];
  }
  return true;
}

static bool is_identity(const int *perm, int r) {
  for (int i = 0; i < r; i++)
    if (perm[i] != i) return false;
  return true;
}

/* The dims larger than 1 stay in order: the bytes do not move. */
static bool moves_only_unit_dims(const ir_type *x, const int *perm, int r) {
  int last = -1;
  for (int i = 0; i < r; i++) {
    if (x->dims[perm[i]] == 1) continue;
    if (perm[i] < last) return false;
    last = perm[i];
  }
  return true;
}

/* Makes n `Reshape(x, <y's dims>)`. */
static kn_status to_reshape(ir_graph *g, ir_node *n, ir_id x) {
  const ir_type *yt = &g->values[n->out[0]].type;
  kn_tensor t;
  int64_t r = yt->rank;
  KN_TRY(kn_tensor_alloc(g->ctx, &t, KN_I64, 1, &r));
  memcpy(t.data, yt->dims, sizeof(int64_t) * (size_t)r);
  ir_id shape = ir_const_new(g, NULL, &t);
  if (shape == IR_NONE) return kn_fail(g->ctx, KN_ENOMEM, "out of memory in canonicalize");
  ir_id in[2] = {x, shape};
  KN_TRY(pat_rewrite(g, n, IR_OP_Reshape, 2, in));
  return ir_attr_set_int(g, n, "allowzero", 1); /* a 0 in the shape means 0, not "keep" */
}

static bool same_shape(const ir_type *a, const ir_type *b) {
  if (a->rank != b->rank) return false;
  for (int i = 0; i < a->rank; i++)
    if (a->dims[i] != b->dims[i]) return false;
  return true;
}

/* Drops n when its output can be replaced by x everywhere. */
static bool bypass(ir_graph *g, ir_node *n, ir_id x) {
  ir_id y = n->out[0];
  if (g->values[y].is_output || !pass_replace_uses(g, y, x)) return false; /* captured: stays */
  n->dead = true;
  return true;
}

static kn_status canon_view(ir_graph *g, ir_node *n, int32_t *changed);

static kn_status canon_transpose(ir_graph *g, ir_node *n, int32_t *changed) {
  ir_id x = n->in[0];
  const int r = g->values[x].type.rank;
  int perm[KN_MAX_RANK];
  if (r < 0 || !get_perm(g, n, perm)) return KN_OK;
  ir_node *inner = pat_def(g, x, IR_OP_Transpose);
  int inner_perm[KN_MAX_RANK];
  if (inner && g->values[inner->in[0]].type.rank == r && get_perm(g, inner, inner_perm)) {
    /* y[i] = x[perm[i]] = src[inner_perm[perm[i]]] */
    int64_t composed[KN_MAX_RANK];
    for (int i = 0; i < r; i++) composed[i] = inner_perm[perm[i]];
    x = inner->in[0];
    n->in[0] = x;
    KN_TRY(ir_attr_set_ints(g, n, "perm", composed, r));
    for (int i = 0; i < r; i++) perm[i] = (int)composed[i];
    (*changed)++;
  }
  if (is_identity(perm, r)) {
    *changed += bypass(g, n, x);
    return KN_OK;
  }
  if (concrete(g, x) && concrete(g, n->out[0]) && moves_only_unit_dims(&g->values[x].type, perm, r)) {
    KN_TRY(to_reshape(g, n, x));
    (*changed)++;
    return canon_view(g, n, changed); /* it may now join a chain of views */
  }
  return KN_OK;
}

static kn_status canon_view(ir_graph *g, ir_node *n, int32_t *changed) {
  ir_id x = n->in[0], y = n->out[0];
  if (!concrete(g, x) || !concrete(g, y) || g->values[x].type.dtype != g->values[y].type.dtype) return KN_OK;
  /* the start of the chain of views (each concretely typed) */
  ir_id src = x;
  while (g->values[src].producer != IR_NONE) {
    const ir_node *p = &g->nodes[g->values[src].producer];
    if (p->dead || !is_view(p->op) || !concrete(g, p->in[0])) break;
    src = p->in[0];
  }
  if (same_shape(&g->values[src].type, &g->values[y].type) && bypass(g, n, src)) {
    (*changed)++;
    return KN_OK;
  }
  bool already = n->op == IR_OP_Reshape && src == x && g->values[n->in[1]].constant;
  if (already) return KN_OK;
  KN_TRY(to_reshape(g, n, src));
  (*changed)++;
  return KN_OK;
}

kn_status pass_run_canonicalize(ir_graph *g, pass_result *r) {
  for (int32_t i = 0; i < g->nnodes; i++) {
    ir_node *n = &g->nodes[i];
    if (n->dead || n->nin < 1 || n->in[0] == IR_NONE || n->nout < 1 || n->out[0] == IR_NONE) continue;
    if (n->op == IR_OP_Transpose) KN_TRY(canon_transpose(g, n, &r->changed));
    else if (is_view(n->op)) KN_TRY(canon_view(g, n, &r->changed));
  }
  return KN_OK;
}
