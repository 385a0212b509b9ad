/* rewrite.c: small graph-rewriting helpers the passes share. Subgraphs (If,
 * Loop) read outer values by name, not through their node's inputs, so these
 * helpers count such a read as a use (ir/capture.c): a value a subgraph reads
 * is live, and is never replaced by another (the subgraph would still name
 * the old one). */
#include "passes.h"
#include <stdlib.h>

bool pass_replace_uses(ir_graph *g, ir_id from, ir_id to) {
  if (ir_value_captured(g, from)) return false;
  for (int32_t i = 0; i < g->nnodes; i++) {
    ir_node *n = &g->nodes[i];
    if (n->dead) continue;
    for (int k = 0; k < n->nin; k++)
      if (n->in[k] == from) n->in[k] = to;
  }
  return true;
}

bool pass_value_captured(const ir_graph *g, ir_id v) { return ir_value_captured(g, v); }

int32_t *pass_use_counts(const ir_graph *g) {
  int32_t *uses = calloc((size_t)g->nvalues + 1, sizeof *uses);
  if (!uses) return NULL;
  for (int32_t i = 0; i < g->nnodes; i++) {
    const ir_node *n = &g->nodes[i];
    if (n->dead) continue;
    for (int k = 0; k < n->nin; k++)
      if (n->in[k] != IR_NONE) uses[n->in[k]]++;
  }
  ir_count_captures(g, uses);
  return uses;
}
