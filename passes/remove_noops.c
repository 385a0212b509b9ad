/* remove_noops.c: nodes that compute nothing: Identity, Dropout in inference
 * (its mask unused; training mode with a nonzero ratio stays), and Cast to the
 * dtype it already has. Their users read the input directly. A no-op whose
 * output is a graph output, or is captured by a subgraph by name, stays. */
#include "passes.h"
#include <stdlib.h>

static bool dropout_is_noop(const ir_graph *g, const ir_node *n, const int32_t *uses) {
  if (n->nout > 1 && n->out[1] != IR_NONE && (uses[n->out[1]] || g->values[n->out[1]].is_output)) return false;
  if (n->nin >= 3 && n->in[2] != IR_NONE) { /* training_mode */
    const kn_tensor *t = g->values[n->in[2]].constant;
    if (!t || g->values[n->in[2]].is_input) return false;
    if (kn_tensor_get_i64(t, 0) != 0) {
      const kn_tensor *ratio = n->nin >= 2 && n->in[1] != IR_NONE ? g->values[n->in[1]].constant : NULL;
      if (!ratio || kn_tensor_get_f64(ratio, 0) != 0.0) return false;
    }
  }
  return true;
}

kn_status pass_run_remove_noops(ir_graph *g, pass_result *r) {
  int32_t *uses = pass_use_counts(g);
  if (!uses) return kn_fail(g->ctx, KN_ENOMEM, "out of memory in remove-noops");
  for (int32_t i = 0; i < g->nnodes; i++) {
    ir_node *n = &g->nodes[i];
    if (n->dead || n->nin < 1 || n->in[0] == IR_NONE || n->out[0] == IR_NONE) continue;
    bool noop = false;
    ir_id x = n->in[0], y = n->out[0];
    if (n->op == IR_OP_Identity) noop = true;
    else if (n->op == IR_OP_Dropout) noop = dropout_is_noop(g, n, uses);
    else if (n->op == IR_OP_Cast) noop = ir_attr_int(n, "to", 0) == g->values[x].type.dtype;
    if (!noop || g->values[y].is_output || !pass_replace_uses(g, y, x)) continue; /* captured: stays */
    n->dead = true;
    r->changed++;
  }
  free(uses);
  return KN_OK;
}
