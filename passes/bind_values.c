/* bind_values.c: specializes a graph to the values of the graph inputs that
 * shape it. Some ops take their output shape from an operand's value
 * (Reshape's shape, Slice's starts, Resize's sizes, NonZero's data: ops.def's
 * SHAPED_BY rows). When such an operand is computed from a graph input, the
 * input shapes alone leave the graph dynamic, and compiled code (which has
 * one static workspace) cannot run it. Given the values the caller will run
 * with, those inputs become constants of the graph, folding then makes every
 * type concrete, and the compiled model checks on each run that the input
 * still has that value (codegen: cg_run, runtime/rt_artifact.c). Only the
 * inputs reached by walking back from a shaping operand are bound; inputs
 * that are only data stay inputs. */
#include "passes.h"
#include <stdlib.h>
#include <string.h>

/* need[i] for graph input i: its value reaches a shaping operand that is not
 * yet a constant. An explicit stack: a hostile graph may chain deeply. */
static kn_status find_shaping_inputs(const ir_graph *g, bool *need) {
  int32_t *stack = malloc(sizeof *stack * ((size_t)g->nvalues + 1));
  bool *seen = calloc((size_t)g->nvalues + 1, sizeof *seen);
  if (!stack || !seen) {
    free(stack), free(seen);
    return kn_fail(g->ctx, KN_ENOMEM, "out of memory binding input values");
  }
  int32_t top = 0;
  for (int32_t ni = 0; ni < g->nnodes; ni++) {
    const ir_node *n = &g->nodes[ni];
    uint32_t mask = ir_op_shape_inputs[n->op];
    for (int k = 0; !n->dead && mask && k < n->nin && k < 32; k++)
      if ((mask >> k & 1u) && n->in[k] != IR_NONE && !seen[n->in[k]]) {
        seen[n->in[k]] = true;
        stack[top++] = n->in[k];
      }
  }
  while (top > 0) {
    const ir_value *val = &g->values[stack[--top]];
    if (val->constant && !val->is_input) continue;
    if (val->is_input) {
      for (int32_t i = 0; i < g->ninputs; i++)
        if (&g->values[g->inputs[i]] == val) need[i] = true;
      continue;
    }
    if (val->producer == IR_NONE) continue;
    const ir_node *p = &g->nodes[val->producer];
    /* Shape and Size read only their operand's type, bound already */
    if (p->op == IR_OP_Shape || p->op == IR_OP_Size) continue;
    for (int k = 0; k < p->nin; k++)
      if (p->in[k] != IR_NONE && !seen[p->in[k]]) {
        seen[p->in[k]] = true;
        stack[top++] = p->in[k];
      }
  }
  free(stack), free(seen);
  return KN_OK;
}

static bool same_type(const kn_tensor *t, const ir_type *want) {
  if (t->dtype != want->dtype || t->rank != want->rank) return false;
  for (int d = 0; d < t->rank; d++)
    if (t->dims[d] != want->dims[d]) return false;
  return true;
}

kn_status pass_bind_input_values(ir_graph *g, const kn_tensor *values, int nvalues, bool *bound,
                                 const char **missing) {
  *missing = NULL;
  bool *need = calloc((size_t)g->ninputs + 1, sizeof *need);
  if (!need) return kn_fail(g->ctx, KN_ENOMEM, "out of memory binding input values");
  kn_status st = find_shaping_inputs(g, need);
  for (int32_t i = 0; st == KN_OK && i < g->ninputs; i++) {
    if (!need[i]) continue;
    ir_id in = g->inputs[i];
    const ir_value *v = &g->values[in];
    const kn_tensor *t = i < nvalues && values[i].data ? &values[i] : NULL;
    if (!t) {
      if (!*missing) *missing = v->name;
      continue;
    }
    if (!same_type(t, &v->type)) {
      char want[96];
      ir_print_type(want, sizeof want, g, &v->type);
      st = kn_fail(g->ctx, KN_ESHAPE, "input '%s': the value given does not have the input's type %s", v->name, want);
      break;
    }
    kn_tensor copy;
    if ((st = kn_tensor_clone(g->ctx, &copy, t)) != KN_OK) break;
    char name[256];
    snprintf(name, sizeof name, "%s.bound", v->name);
    ir_id c = ir_const_new(g, name, &copy);
    if (c == IR_NONE) {
      kn_tensor_free(&copy);
      st = kn_fail(g->ctx, KN_ENOMEM, "out of memory binding input '%s'", g->values[in].name);
      break;
    }
    for (int32_t ni = 0; ni < g->nnodes; ni++) {
      ir_node *n = &g->nodes[ni];
      for (int k = 0; !n->dead && k < n->nin; k++)
        if (n->in[k] == in) n->in[k] = c;
    }
    bound[i] = true;
  }
  free(need);
  return st;
}
