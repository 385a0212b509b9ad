/* pattern.c: the small matching vocabulary the fusion passes are written in,
 * and the one place that decides fusion legality: an intermediate value may
 * disappear into a fused node only when exactly one node uses it (or the fused
 * node takes over all of its uses), it is not a graph output, and no subgraph
 * captures it by name. */
#include "pattern.h"
#include <math.h>
#include <stdlib.h>

ir_node *pat_def(ir_graph *g, ir_id v, ir_op op) {
  if (v == IR_NONE) return NULL;
  ir_id p = g->values[v].producer;
  if (p == IR_NONE || g->nodes[p].dead || g->nodes[p].op != op) return NULL;
  return &g->nodes[p];
}

bool pat_scalar(const ir_graph *g, ir_id v, double *out) {
  if (v == IR_NONE) return false;
  const ir_value *val = &g->values[v];
  if (!val->constant || val->is_input || kn_tensor_numel(val->constant) != 1 || !kn_dtype_is_float(val->constant->dtype))
    return false;
  *out = kn_tensor_get_f64(val->constant, 0);
  return true;
}

bool pat_scalar_near(const ir_graph *g, ir_id v, double want, double rel) {
  double x;
  return pat_scalar(g, v, &x) && fabs(x - want) <= rel * fabs(want);
}

bool pat_fusable_n(const ir_graph *g, const int32_t *uses, ir_id v, int32_t inside) {
  return v != IR_NONE && uses[v] == inside && !g->values[v].is_output && !pass_value_captured(g, v);
}

bool pat_fusable(const ir_graph *g, const int32_t *uses, ir_id v) { return pat_fusable_n(g, uses, v, 1); }

bool pat_commute(const ir_node *n, ir_id want, ir_id *other) {
  if (n->nin != 2) return false;
  if (n->in[0] == want) return *other = n->in[1], true;
  if (n->in[1] == want) return *other = n->in[0], true;
  return false;
}

kn_status pat_rewrite(ir_graph *g, ir_node *n, ir_op op, int nin, const ir_id *in) {
  ir_id *na = ir_arena_alloc(&g->arena, sizeof(ir_id) * (size_t)nin);
  if (!na) return kn_fail(g->ctx, KN_ENOMEM, "out of memory fusing");
  for (int i = 0; i < nin; i++) na[i] = in[i];
  for (int32_t a = 0; a < n->nattr; a++) /* the attributes go, subgraphs (a fused body) included */
    if (n->attrs[a].kind == IR_ATTR_GRAPH) ir_graph_free(n->attrs[a].g);
  n->op = op;
  n->in = na;
  n->nin = nin;
  n->nattr = 0;
  n->attrs = NULL;
  return KN_OK;
}
