/* cse.c: common-subexpression elimination. Nodes are hashed on (op, inputs);
 * a node whose op, inputs and attributes equal an earlier live node's takes
 * that node's outputs (exports repeat Shape/Gather/Unsqueeze chains and mask
 * computations per layer). Nodes with subgraphs, nodes whose outputs are
 * graph outputs or captured by subgraphs are left alone. */
#include "passes.h"
#include <stdlib.h>
#include <string.h>

static bool same_tensor(const kn_tensor *a, const kn_tensor *b) {
  if (a->dtype != b->dtype || a->rank != b->rank || a->nbytes != b->nbytes) return false;
  for (int i = 0; i < a->rank; i++)
    if (a->dims[i] != b->dims[i]) return false;
  return !a->nbytes || memcmp(a->data, b->data, (size_t)a->nbytes) == 0;
}

static bool same_attr(const ir_attr *a, const ir_attr *b) {
  if (a->kind != b->kind || strcmp(a->name, b->name) != 0 || a->n != b->n) return false;
  switch (a->kind) {
  case IR_ATTR_INT: return a->i == b->i;
  case IR_ATTR_FLOAT: return memcmp(&a->f, &b->f, sizeof a->f) == 0;
  case IR_ATTR_STRING: return memcmp(a->s, b->s, (size_t)a->n) == 0;
  case IR_ATTR_INTS: return !a->n || memcmp(a->ints, b->ints, sizeof(int64_t) * (size_t)a->n) == 0;
  case IR_ATTR_FLOATS: return !a->n || memcmp(a->floats, b->floats, sizeof(float) * (size_t)a->n) == 0;
  case IR_ATTR_STRINGS:
    for (int i = 0; i < a->n; i++)
      if (strcmp(a->strings[i], b->strings[i]) != 0) return false;
    return true;
  case IR_ATTR_TENSOR: return same_tensor(a->t, b->t);
  default: return false; /* graphs are never equal for CSE */
  }
}

static bool same_node(const ir_node *a, const ir_node *b) {
  if (a->op != b->op || a->nin != b->nin || a->nout != b->nout || a->nattr != b->nattr) return false;
  for (int k = 0; k < a->nin; k++)
    if (a->in[k] != b->in[k]) return false;
  for (int32_t i = 0; i < a->nattr; i++) {
    const ir_attr *m = ir_attr_get(b, a->attrs[i].name);
    if (!m || !same_attr(&a->attrs[i], m)) return false;
  }
  return true;
}

static bool cse_candidate(const ir_graph *g, const ir_node *n) {
  for (int32_t a = 0; a < n->nattr; a++)
    if (n->attrs[a].kind == IR_ATTR_GRAPH) return false;
  for (int k = 0; k < n->nout; k++)
    if (n->out[k] != IR_NONE && (g->values[n->out[k]].is_output || pass_value_captured(g, n->out[k]))) return false;
  return true;
}

static uint64_t node_hash(const ir_node *n) {
  uint64_t h = KN_FNV_OFFSET ^ (uint64_t)n->op;
  for (int k = 0; k < n->nin; k++) h = kn_fnv1a_word(h, (uint64_t)(uint32_t)n->in[k]);
  return h;
}

kn_status pass_run_cse(ir_graph *g, pass_result *r) {
  uint32_t cap = 64;
  while (cap < 2u * (uint32_t)g->nnodes + 2) cap *= 2;
  int32_t *slot = malloc(sizeof(int32_t) * cap);
  if (!slot) return kn_fail(g->ctx, KN_ENOMEM, "out of memory in cse");
  for (uint32_t i = 0; i < cap; i++) slot[i] = -1;
  for (int32_t i = 0; i < g->nnodes; i++) {
    ir_node *n = &g->nodes[i];
    if (n->dead) continue;
    uint32_t h = (uint32_t)node_hash(n) & (cap - 1);
    int32_t found = -1;
    for (; slot[h] >= 0; h = (h + 1) & (cap - 1))
      if (same_node(&g->nodes[slot[h]], n)) {
        found = slot[h];
        break;
      }
    if (found < 0) {
      slot[h] = i;
      continue;
    }
    if (!cse_candidate(g, n)) continue;
    const ir_node *orig = &g->nodes[found];
    bool all_rewired = true;
    for (int k = 0; k < n->nout; k++)
      if (n->out[k] != IR_NONE)
        all_rewired &= orig->out[k] != IR_NONE && pass_replace_uses(g, n->out[k], orig->out[k]);
    if (all_rewired) {
      n->dead = true;
      r->changed++;
    }
  }
  free(slot);
  return KN_OK;
}
