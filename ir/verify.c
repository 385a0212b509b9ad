/* verify.c: the IR verifier. Checks the structural invariants every pass and
 * the executor rely on, so a broken graph is reported where it was produced
 * (importer, parser, a pass) instead of crashing later: ids in range, each
 * value defined once and before use (schedule order), op arity per ops.def,
 * outputs produced, values a subgraph reads by name defined before its node,
 * a dead node not still naming a live node's output, types within kiln's
 * limits, subgraphs recursively. */
#include "ir.h"
#include <stdlib.h>

/* A subgraph's read of a value of g must find it defined before the node
 * (what the executors look up by name when the node runs). */
typedef struct capture_check {
  const ir_graph *g;
  const int32_t *def_at;
  int32_t node;
  const ir_graph *sub; /* the first bad reference */
  const char *name;
  bool undefined; /* no graph defines the name (else: not before the node) */
} capture_check;

static bool bad_capture(void *arg, const ir_graph *sub, const char *name, ir_id v) {
  capture_check *c = arg;
  if (v == IR_NONE && c->g->parent) return false; /* a graph enclosing g may define it */
  if (v != IR_NONE && c->def_at[v] < c->node) return false;
  c->sub = sub, c->name = name, c->undefined = v == IR_NONE;
  return true;
}

static kn_status verify_graph(const ir_graph *g, int depth) {
  kn_ctx *kn = g->ctx;
  if (depth > 32) return kn_fail(kn, KN_ELIMIT, "graph %s: subgraphs nested too deeply", g->name);
  int32_t *def_at = malloc(sizeof(int32_t) * ((size_t)g->nvalues + 1));
  if (!def_at) return kn_fail(kn, KN_ENOMEM, "out of memory verifying graph %s", g->name);
  /* -1: available from the start (input, constant, outer); INT32_MAX: never defined */
  for (int32_t v = 0; v < g->nvalues; v++) {
    const ir_value *val = &g->values[v];
    def_at[v] = val->constant || val->is_input || val->is_outer ? -1 : INT32_MAX;
    if (val->type.rank > KN_MAX_RANK) {
      free(def_at);
      return kn_fail(kn, KN_EINVAL, "graph %s: value %s has rank %d > %d", g->name, val->name, val->type.rank,
                     KN_MAX_RANK);
    }
  }
  kn_status st = KN_OK;
  for (int32_t i = 0; i < g->ninputs && st == KN_OK; i++)
    if (g->inputs[i] < 0 || g->inputs[i] >= g->nvalues)
      st = kn_fail(kn, KN_EINVAL, "graph %s: input %d has a bad value id", g->name, i);
  for (int32_t i = 0; i < g->nnodes && st == KN_OK; i++) {
    const ir_node *n = &g->nodes[i];
    if (n->dead) continue;
    const ir_op_info *oi = &ir_op_table[n->op];
    if (n->nin < oi->min_in || n->nin > oi->max_in || n->nout < oi->min_out || n->nout > oi->max_out) {
      st = kn_fail(kn, KN_EINVAL, "node %s (%s): %d inputs / %d outputs, expected %d..%d / %d..%d", n->name, oi->name,
                   n->nin, n->nout, oi->min_in, oi->max_in, oi->min_out, oi->max_out);
      break;
    }
    for (int k = 0; k < n->nin && st == KN_OK; k++) {
      ir_id v = n->in[k];
      if (v == IR_NONE) continue;
      if (v < 0 || v >= g->nvalues) st = kn_fail(kn, KN_EINVAL, "node %s (%s): input %d has a bad value id", n->name, oi->name, k);
      else if (def_at[v] >= i)
        st = kn_fail(kn, KN_EINVAL, "node %s (%s): input '%s' is used before it is defined", n->name, oi->name,
                     g->values[v].name);
    }
    capture_check cc = {.g = g, .def_at = def_at, .node = i};
    if (st == KN_OK && ir_node_captures(g, n, bad_capture, &cc))
      st = kn_fail(kn, KN_EINVAL, "node %s (%s): subgraph %s reads '%s', which %s", n->name, oi->name, cc.sub->name,
                   cc.name, cc.undefined ? "no enclosing graph defines" : "is not defined before the node");
    for (int k = 0; k < n->nout && st == KN_OK; k++) {
      ir_id v = n->out[k];
      if (v == IR_NONE) continue;
      if (v < 0 || v >= g->nvalues) st = kn_fail(kn, KN_EINVAL, "node %s (%s): output %d has a bad value id", n->name, oi->name, k);
      else if (def_at[v] != INT32_MAX)
        st = kn_fail(kn, KN_EINVAL, "node %s (%s): value '%s' is defined twice", n->name, oi->name, g->values[v].name);
      else if (g->values[v].producer != i)
        st = kn_fail(kn, KN_EINVAL, "node %s (%s): value '%s' does not record its producer", n->name, oi->name,
                     g->values[v].name);
      else def_at[v] = i;
    }
    for (int32_t a = 0; a < n->nattr && st == KN_OK; a++)
      if (n->attrs[a].kind == IR_ATTR_GRAPH) {
        if (!n->attrs[a].g) st = kn_fail(kn, KN_EINVAL, "node %s (%s): empty graph attribute", n->name, oi->name);
        else st = verify_graph(n->attrs[a].g, depth + 1);
      }
  }
  /* one producer per value: a pass that hands a node's output to another
   * node must take it from the dead one (else rebuilding the producer records
   * from the nodes' outputs may pick the dead one) */
  for (int32_t i = 0; i < g->nnodes && st == KN_OK; i++) {
    const ir_node *n = &g->nodes[i];
    for (int k = 0; n->dead && k < n->nout && st == KN_OK; k++) {
      ir_id v = n->out[k];
      if (v != IR_NONE && v >= 0 && v < g->nvalues && def_at[v] >= 0 && def_at[v] != INT32_MAX)
        st = kn_fail(kn, KN_EINVAL, "node %s (%s) is dead but still names '%s' as its output, which node %s produces",
                     n->name, ir_op_table[n->op].name, g->values[v].name, g->nodes[def_at[v]].name);
    }
  }
  for (int32_t i = 0; i < g->noutputs && st == KN_OK; i++) {
    ir_id v = g->outputs[i];
    if (v < 0 || v >= g->nvalues) st = kn_fail(kn, KN_EINVAL, "graph %s: output %d has a bad value id", g->name, i);
    else if (def_at[v] == INT32_MAX)
      st = kn_fail(kn, KN_EINVAL, "graph %s: output '%s' is never computed", g->name, g->values[v].name);
  }
  free(def_at);
  return st;
}

kn_status ir_verify(const ir_graph *g) { return verify_graph(g, 0); }
