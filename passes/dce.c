/* dce.c: dead-code elimination. A node is live when one of its outputs is a
 * graph output, feeds a live node, or is read by name by a subgraph of a live
 * node (If/Loop branches read outer values without listing them as inputs);
 * everything else is removed, then the graph is compacted so dead values and
 * orphaned constants disappear from printed IR and from code generation
 * (compaction keeps what subgraphs read, initializers included). */
#include "passes.h"
#include <stdlib.h>

/* ir_node_captures' callback: a value that a live node's subgraph reads is
 * live (arg: the live_value array). */
static bool mark_capture(void *arg, const ir_graph *sub, const char *name, ir_id v) {
  (void)sub, (void)name;
  if (v != IR_NONE) ((bool *)arg)[v] = true;
  return false;
}

kn_status pass_run_dce(ir_graph *g, pass_result *r) {
  bool *live_value = calloc((size_t)g->nvalues + 1, 1);
  if (!live_value) return kn_fail(g->ctx, KN_ENOMEM, "out of memory in dce");
  for (int32_t i = 0; i < g->noutputs; i++) live_value[g->outputs[i]] = true;
  /* backwards: a node's users (and the subgraphs that read its outputs,
   * which belong to later nodes) are decided before it */
  for (int32_t i = g->nnodes - 1; i >= 0; i--) {
    ir_node *n = &g->nodes[i];
    if (n->dead) continue;
    bool live = false;
    for (int k = 0; k < n->nout && !live; k++) live = n->out[k] != IR_NONE && live_value[n->out[k]];
    if (!live) {
      n->dead = true;
      r->changed++;
      continue;
    }
    for (int k = 0; k < n->nin; k++)
      if (n->in[k] != IR_NONE) live_value[n->in[k]] = true;
    ir_node_captures(g, n, mark_capture, live_value);
  }
  free(live_value);
  return ir_graph_compact(g);
}
