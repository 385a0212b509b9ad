/* rewrite.c: small graph-rewriting helpers the passes share. */
#include "passes.h"
#include <stdlib.h>
#include <string.h>

void pass_replace_uses(ir_graph *g, ir_id from, ir_id to) {
  for (int32_t i = 0; i < g->nnodes; i++) {
    ir_node *n = &g->nodes[i];
    if (n->dead) continue;
    for (int k = 0; k < n->nin; k++)
      if (n->in[k] == from) n->in[k] = to;
  }
}

static bool captured_in(const ir_graph *sub, const char *name) {
  for (int32_t v = 0; v < sub->nvalues; v++)
    if (sub->values[v].is_outer && strcmp(sub->values[v].name, name) == 0) return true;
  for (int32_t i = 0; i < sub->nnodes; i++)
    for (int32_t a = 0; a < sub->nodes[i].nattr; a++)
      if (sub->nodes[i].attrs[a].kind == IR_ATTR_GRAPH && captured_in(sub->nodes[i].attrs[a].g, name)) return true;
  return false;
}

bool pass_value_captured(const ir_graph *g, ir_id v) {
  for (int32_t i = 0; i < g->nnodes; i++) {
    if (g->nodes[i].dead) continue;
    for (int32_t a = 0; a < g->nodes[i].nattr; a++)
      if (g->nodes[i].attrs[a].kind == IR_ATTR_GRAPH && captured_in(g->nodes[i].attrs[a].g, g->values[v].name))
        return true;
  }
  return false;
}

int32_t *pass_use_counts(const ir_graph *g) {
  int32_t *uses = calloc((size_t)g->nvalues + 1, sizeof *uses);
  if (!uses) return NULL;
  for (int32_t i = 0; i < g->nnodes; i++) {
    const ir_node *n = &g->nodes[i];
    if (n->dead) continue;
    for (int k = 0; k < n->nin; k++)
      if (n->in[k] != IR_NONE) uses[n->in[k]]++;
  }
  return uses;
}
