/* bind_values.c: specializes a graph to the values of the graph inputs that
 * shape it. Some ops take their output shape from an operand's value
 * (Reshape's shape, Slice's starts, Resize's sizes, NonZero's data: ops.def's
 * SHAPED_BY rows). When such an operand is computed from a graph input, the
 * input shapes alone do not decide the graph's shapes, and compiled code
 * (which has one static workspace) cannot run it. Given the values the caller
 * will run with, those inputs become constants of the graph, folding then
 * makes every type concrete, and the compiled model checks on each run that
 * the input still has that value (codegen: cg_run, runtime/rt_artifact.c).
 * Only the inputs reached by walking back from a shaping operand are bound;
 * inputs that are only data stay inputs. Such an input is reported even when
 * shape inference could guess the output (Expand keeps a non-1 dim): code
 * sized by a guess would run a bad value silently. Inputs larger than
 * max_numel are not bound: image data that reaches a NonZero is not a shape,
 * and such graphs stay with the reference executor. */
#include "passes.h"
#include <stdlib.h>
#include <string.h>

/* need[i] for graph input i: 1 + the node with a shaping operand, not yet a
 * constant, that input i's value reaches (0: none). An explicit stack: a
 * hostile graph may chain deeply. */
static kn_status find_shaping_inputs(const ir_graph *g, int32_t *need) {
  size_t cap = (size_t)g->nvalues + 1;
  int32_t *stack = malloc(sizeof *stack * cap), *from = malloc(sizeof *from * cap);
  bool *seen = calloc(cap, sizeof *seen);
  if (!stack || !from || !seen) {
    free(stack), free(from), free(seen);
    return kn_fail(g->ctx, KN_ENOMEM, "out of memory binding input values");
  }
  int32_t top = 0;
  for (int32_t ni = 0; ni < g->nnodes; ni++) {
    const ir_node *n = &g->nodes[ni];
    uint32_t mask = ir_op_shape_inputs[n->op];
    for (int k = 0; !n->dead && mask && k < n->nin && k < 32; k++)
      if ((mask >> k & 1u) && n->in[k] != IR_NONE && !seen[n->in[k]]) {
        seen[n->in[k]] = true;
        from[top] = ni;
        stack[top++] = n->in[k];
      }
  }
  while (top > 0) {
    top--;
    const ir_value *val = &g->values[stack[top]];
    int32_t node = from[top];
    if (val->constant && !val->is_input) continue;
    if (val->is_input) {
      for (int32_t i = 0; i < g->ninputs; i++)
        if (&g->values[g->inputs[i]] == val && !need[i]) need[i] = node + 1;
      continue;
    }
    if (val->producer == IR_NONE) continue;
    const ir_node *p = &g->nodes[val->producer];
    /* Shape and Size read only their operand's type, bound already */
    if (p->op == IR_OP_Shape || p->op == IR_OP_Size) continue;
    for (int k = 0; k < p->nin; k++)
      if (p->in[k] != IR_NONE && !seen[p->in[k]]) {
        seen[p->in[k]] = true;
        from[top] = node;
        stack[top++] = p->in[k];
      }
  }
  free(stack), free(from), free(seen);
  return KN_OK;
}

static bool same_type(const kn_tensor *t, const ir_type *want) {
  ir_type tt = {.dtype = t->dtype, .rank = t->rank};
  memcpy(tt.dims, t->dims, sizeof(int64_t) * (size_t)(t->rank > 0 ? t->rank : 0));
  return ir_type_equal(&tt, want);
}

/* Input `in` becomes constant c for every node that reads it. */
static kn_status bind_one(ir_graph *g, ir_id in, const kn_tensor *t) {
  const ir_value *v = &g->values[in];
  if (!same_type(t, &v->type)) {
    char want[96];
    ir_print_type(want, sizeof want, g, &v->type);
    return kn_fail(g->ctx, KN_ESHAPE, "input '%s': the value given does not have the input's type %s", v->name, want);
  }
  kn_tensor copy;
  KN_TRY(kn_tensor_clone(g->ctx, &copy, t));
  char name[256];
  snprintf(name, sizeof name, "%s.bound", v->name);
  ir_id c = ir_const_new(g, name, &copy);
  if (c == IR_NONE) {
    kn_tensor_free(&copy);
    return kn_fail(g->ctx, KN_ENOMEM, "out of memory binding input '%s'", g->values[in].name);
  }
  for (int32_t ni = 0; ni < g->nnodes; ni++) {
    ir_node *n = &g->nodes[ni];
    for (int k = 0; !n->dead && k < n->nin; k++)
      if (n->in[k] == in) n->in[k] = c;
  }
  return KN_OK;
}

kn_status pass_bind_input_values(ir_graph *g, const kn_tensor *values, int nvalues, int64_t max_numel, bool *bound,
                                 pass_unbound *unbound) {
  memset(unbound, 0, sizeof *unbound);
  int32_t *need = calloc((size_t)g->ninputs + 1, sizeof *need);
  if (!need) return kn_fail(g->ctx, KN_ENOMEM, "out of memory binding input values");
  kn_status st = find_shaping_inputs(g, need);
  for (int32_t i = 0; st == KN_OK && i < g->ninputs; i++) {
    if (!need[i]) continue;
    const kn_tensor *t = i < nvalues && values[i].data ? &values[i] : NULL;
    if (t && kn_tensor_numel(t) <= max_numel) {
      st = bind_one(g, g->inputs[i], t);
      bound[i] = st == KN_OK;
    } else if (!unbound->input) {
      unbound->input = g->values[g->inputs[i]].name;
      unbound->node = g->nodes[need[i] - 1].name;
      unbound->too_large = t != NULL;
    }
  }
  free(need);
  return st;
}
