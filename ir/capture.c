/* capture.c: the uses a graph's values get from subgraphs. An If or Loop
 * subgraph reads values of enclosing graphs by name (an is_outer value), not
 * through its node's inputs, so whatever decides that a value is unused
 * (dce, compaction, use counts, the verifier) must count these references
 * too; one walk, here, resolves them the way the executors do: a name
 * belongs to the nearest enclosing graph that defines it. Only If and Loop
 * (the CONTROL ops) read by name, and a graph that never had one (its
 * ncontrol_nodes count) is answered at once, so the passes stay linear. */
#include "ir.h"

/* True when a graph between sub and g (sub nested at any depth in a node of
 * g) defines `name` itself: sub's reference to it is not one to g. */
static bool shadowed(const ir_graph *g, const ir_graph *sub, const char *name) {
  for (const ir_graph *p = sub->parent; p && p != g; p = p->parent) {
    ir_id v = ir_value_find(p, name);
    if (v != IR_NONE && !p->values[v].is_outer) return true;
  }
  return false;
}

static bool walk(const ir_graph *g, const ir_graph *sub, ir_capture_fn fn, void *arg, int depth) {
  if (depth > 64) return false; /* the verifier reports such nesting */
  for (int32_t v = 0; v < sub->nvalues; v++) {
    const char *name = sub->values[v].name;
    if (sub->values[v].is_outer && !shadowed(g, sub, name) && fn(arg, sub, name, ir_value_find(g, name))) return true;
  }
  for (int32_t i = 0; sub->ncontrol_nodes > 0 && i < sub->nnodes; i++) {
    const ir_node *n = &sub->nodes[i];
    if (ir_op_table[n->op].pattern != IR_PAT_CONTROL) continue;
    for (int32_t a = 0; !n->dead && a < n->nattr; a++)
      if (n->attrs[a].kind == IR_ATTR_GRAPH && n->attrs[a].g && walk(g, n->attrs[a].g, fn, arg, depth + 1)) return true;
  }
  return false;
}

bool ir_node_captures(const ir_graph *g, const ir_node *n, ir_capture_fn fn, void *arg) {
  /* only If/Loop bodies read by name; a fused op's body takes everything as inputs */
  if (ir_op_table[n->op].pattern != IR_PAT_CONTROL) return false;
  for (int32_t a = 0; a < n->nattr; a++)
    if (n->attrs[a].kind == IR_ATTR_GRAPH && n->attrs[a].g && walk(g, n->attrs[a].g, fn, arg, 1)) return true;
  return false;
}

static bool count_one(void *arg, const ir_graph *sub, const char *name, ir_id v) {
  (void)sub, (void)name;
  if (v != IR_NONE) ((int32_t *)arg)[v]++;
  return false;
}

void ir_count_captures(const ir_graph *g, int32_t *count) {
  for (int32_t i = 0; g->ncontrol_nodes > 0 && i < g->nnodes; i++)
    if (!g->nodes[i].dead) ir_node_captures(g, &g->nodes[i], count_one, count);
}

static bool is_target(void *arg, const ir_graph *sub, const char *name, ir_id v) {
  (void)sub, (void)name;
  return v != IR_NONE && v == *(const ir_id *)arg;
}

bool ir_value_captured(const ir_graph *g, ir_id v) {
  for (int32_t i = 0; g->ncontrol_nodes > 0 && i < g->nnodes; i++)
    if (!g->nodes[i].dead && ir_node_captures(g, &g->nodes[i], is_target, &v)) return true;
  return false;
}
