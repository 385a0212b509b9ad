/* dce.c: dead-code elimination. A node is live when one of its outputs is a
 * graph output, feeds a live node, or is captured by name by a subgraph;
 * everything else is removed, then the graph is compacted so dead values and
 * orphaned constants disappear from printed IR and from code generation. */
#include "passes.h"
#include <stdlib.h>

kn_status pass_run_dce(ir_graph *g, pass_result *r) {
  bool *live_value = calloc((size_t)g->nvalues + 1, 1);
  if (!live_value) return kn_fail(g->ctx, KN_ENOMEM, "out of memory in dce");
  for (int32_t i = 0; i < g->noutputs; i++) live_value[g->outputs[i]] = true;
  for (int32_t i = g->nnodes - 1; i >= 0; i--) {
    ir_node *n = &g->nodes[i];
    if (n->dead) continue;
    bool live = false;
    for (int k = 0; k < n->nout && !live; k++)
      live = n->out[k] != IR_NONE && (live_value[n->out[k]] || pass_value_captured(g, n->out[k]));
    if (!live) {
      n->dead = true;
      r->changed++;
      continue;
    }
    for (int k = 0; k < n->nin; k++)
      if (n->in[k] != IR_NONE) live_value[n->in[k]] = true;
  }
  free(live_value);
  return ir_graph_compact(g);
}
