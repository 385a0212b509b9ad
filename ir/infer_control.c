/* ir_infer_control.c: shape inference for If and Loop. A subgraph is typed once
 * (outer-scope references take the types of the values they name), and the
 * node's outputs take the branch/body output types; dims that differ between
 * branches, or that depend on the trip count, become unknown. */
#include "ir.h"
#include <string.h>

static const ir_type *outer_type(const ir_graph *g, const char *name, const ir_graph **owner) {
  for (const ir_graph *p = g; p; p = p->parent) {
    ir_id v = ir_value_find(p, name);
    if (v != IR_NONE && !p->values[v].is_outer) {
      *owner = p;
      return &p->values[v].type;
    }
  }
  return NULL;
}

static bool subgraph_typed(const ir_graph *sub) {
  for (int32_t i = 0; i < sub->noutputs; i++)
    if (sub->values[sub->outputs[i]].type.dtype == KN_UNDEF) return false;
  return true;
}

static kn_status type_subgraph(ir_infer_ctx *c, ir_graph *sub) {
  if (subgraph_typed(sub)) return KN_OK;
  for (int32_t v = 0; v < sub->nvalues; v++) {
    if (!sub->values[v].is_outer) continue;
    const ir_graph *owner = NULL;
    const ir_type *t = outer_type(sub->parent, sub->values[v].name, &owner);
    if (!t || t->dtype == KN_UNDEF)
      return ir_infer_fail(c, KN_EINVAL, "subgraph %s uses '%s', which has no type here", sub->name, sub->values[v].name);
    ir_type_import(sub, owner, t, &sub->values[v].type);
  }
  kn_status st = ir_infer_graph(sub);
  if (st != KN_OK) kn_prefix(c->kn, "node %s (%s) subgraph %s: ", c->node->name, ir_op_table[c->node->op].name, sub->name);
  return st;
}

static ir_graph *graph_attr(ir_infer_ctx *c, const char *name) {
  const ir_attr *a = ir_attr_get(c->node, name);
  return a && a->kind == IR_ATTR_GRAPH ? a->g : NULL;
}

kn_status ir_infer_if(ir_infer_ctx *c) {
  ir_graph *tb = graph_attr(c, "then_branch"), *eb = graph_attr(c, "else_branch");
  if (!tb || !eb) return ir_infer_fail(c, KN_EINVAL, "needs then_branch and else_branch graph attributes");
  if (tb->noutputs != c->nout || eb->noutputs != c->nout)
    return ir_infer_fail(c, KN_EINVAL, "branches have %d and %d outputs, node has %d", tb->noutputs, eb->noutputs,
                         c->nout);
  KN_TRY(type_subgraph(c, tb));
  KN_TRY(type_subgraph(c, eb));
  for (int k = 0; k < c->nout; k++) {
    const ir_type *a = &tb->values[tb->outputs[k]].type, *b = &eb->values[eb->outputs[k]].type;
    if (a->dtype != b->dtype)
      return ir_infer_fail(c, KN_ETYPE, "output %d is %s in then_branch but %s in else_branch", k,
                           kn_dtype_name(a->dtype), kn_dtype_name(b->dtype));
    const ir_type *pick = c->val[0] ? (kn_tensor_get_i64(c->val[0], 0) ? a : b) : a;
    ir_type_import(c->g, pick == a ? tb : eb, pick, &c->out[k]);
    if (!c->val[0]) {
      if (a->rank != b->rank) c->out[k].rank = IR_RANK_UNKNOWN;
      else
        for (int i = 0; i < a->rank; i++)
          if (a->dims[i] != b->dims[i]) c->out[k].dims[i] = ir_infer_unknown_dim(c);
    }
  }
  return KN_OK;
}

kn_status ir_infer_loop(ir_infer_ctx *c) {
  ir_graph *body = graph_attr(c, "body");
  if (!body) return ir_infer_fail(c, KN_EINVAL, "needs a body graph attribute");
  int ncarried = c->nin - 2, nscan = c->nout - ncarried;
  if (ncarried < 0 || nscan < 0 || body->ninputs != 2 + ncarried || body->noutputs != 1 + ncarried + nscan)
    return ir_infer_fail(c, KN_EINVAL, "body has %d inputs/%d outputs, which does not fit %d loop-carried values",
                         body->ninputs, body->noutputs, ncarried);
  /* body inputs: iteration number, condition, then the carried values */
  ir_type scalar = {.dtype = KN_I64, .rank = 0};
  if (body->values[body->inputs[0]].type.dtype == KN_UNDEF) body->values[body->inputs[0]].type = scalar;
  scalar.dtype = KN_BOOL;
  if (body->values[body->inputs[1]].type.dtype == KN_UNDEF) body->values[body->inputs[1]].type = scalar;
  for (int i = 0; i < ncarried; i++) {
    ir_type *bt = &body->values[body->inputs[2 + i]].type;
    if (!c->in[2 + i]) return ir_infer_fail(c, KN_EINVAL, "loop-carried input %d is missing", i);
    if (bt->dtype == KN_UNDEF || bt->rank < 0) ir_type_import(body, c->g, c->in[2 + i], bt);
  }
  KN_TRY(type_subgraph(c, body));
  for (int i = 0; i < ncarried; i++) {
    ir_type_import(c->g, body, &body->values[body->outputs[1 + i]].type, &c->out[i]);
    if (c->out[i].dtype == KN_UNDEF) c->out[i] = *c->in[2 + i];
  }
  for (int j = 0; j < nscan; j++) {
    const ir_type *t = &body->values[body->outputs[1 + ncarried + j]].type;
    ir_type *o = &c->out[ncarried + j];
    o->dtype = t->dtype;
    if (t->rank < 0 || t->rank + 1 > KN_MAX_RANK) {
      o->rank = IR_RANK_UNKNOWN;
      continue;
    }
    o->rank = t->rank + 1;
    o->dims[0] = ir_infer_unknown_dim(c);
    for (int i = 0; i < t->rank; i++) o->dims[i + 1] = t->dims[i] >= 0 ? t->dims[i] : ir_infer_unknown_dim(c);
  }
  return KN_OK;
}
