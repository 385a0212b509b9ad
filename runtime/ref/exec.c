/* exec.c: the reference executor. Runs a graph node by node: for each node it
 * infers the output shapes from the concrete inputs (the same per-op infer
 * functions the compiler uses, now with every value known), allocates the
 * outputs, calls the op's kernel adapter, and frees each intermediate tensor
 * after its last use. Subgraphs (If/Loop bodies) run in a child executor that
 * resolves outer-scope names through its parent. With a run plan (plan.c),
 * top-level intermediates live at planned offsets of one workspace. */
#include "plan.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const ref_exec_fn exec_table[IR_OP_COUNT] = {
#define OP(name, dom, since, form, pat, lower, mi, ma, mo, mao, inf) ref_exec_##name,
#include "ops.def"
#undef OP
};

struct ref_exec {
  kn_ctx *kn;
  ir_graph *g;
  ref_exec *parent;
  const kn_tensor **ptr; /* current tensor of each value (NULL = not computed) */
  kn_tensor *owned;      /* storage for values computed by this executor */
  bool *borrowed;        /* owned[v].data points into the plan's workspace */
  int32_t *uses;         /* remaining uses of each value */
  ref_plan *plan;        /* top-level executor with a plan, else NULL */
};

static void drop(ref_exec *ex, ir_id v) {
  if (ex->borrowed[v]) memset(&ex->owned[v], 0, sizeof ex->owned[v]);
  else kn_tensor_free(&ex->owned[v]);
  ex->borrowed[v] = false;
  ex->ptr[v] = NULL;
}

static void type_of(const kn_tensor *t, ir_type *ty) {
  memset(ty, 0, sizeof *ty);
  ty->dtype = t->dtype;
  ty->rank = t->rank;
  for (int i = 0; i < t->rank; i++) ty->dims[i] = t->dims[i];
}

static const kn_tensor *lookup_outer(ref_exec *ex, const char *name) {
  for (ref_exec *p = ex->parent; p; p = p->parent) {
    ir_id v = ir_value_find(p->g, name);
    if (v != IR_NONE && p->ptr[v]) return p->ptr[v];
  }
  return NULL;
}

static void exec_free(ref_exec *ex) {
  if (!ex->g) return;
  for (int32_t v = 0; v < ex->g->nvalues; v++) drop(ex, v);
  free(ex->ptr);
  free(ex->owned);
  free(ex->borrowed);
  free(ex->uses);
}

static void release(ref_exec *ex, ir_id v) {
  if (v == IR_NONE) return;
  if (--ex->uses[v] <= 0 && ex->ptr[v] == &ex->owned[v]) drop(ex, v);
}

/* Values of this scope referenced by name from subgraph `sub` (ONNX subgraphs
 * capture by name): counted as uses of the subgraph's node (count), or
 * released once that node has run. */
static void captures(ref_exec *ex, const ir_graph *sub, bool count) {
  for (int32_t v = 0; v < sub->nvalues; v++) {
    if (!sub->values[v].is_outer) continue;
    ir_id pv = ir_value_find(ex->g, sub->values[v].name);
    if (pv == IR_NONE) continue;
    if (count) ex->uses[pv]++;
    else release(ex, pv);
  }
  for (int32_t i = 0; i < sub->nnodes; i++)
    for (int32_t a = 0; a < sub->nodes[i].nattr; a++)
      if (sub->nodes[i].attrs[a].kind == IR_ATTR_GRAPH) captures(ex, sub->nodes[i].attrs[a].g, count);
}

static kn_status exec_init(ref_exec *ex, kn_ctx *kn, ir_graph *g, ref_exec *parent) {
  memset(ex, 0, sizeof *ex);
  ex->kn = kn;
  ex->g = g;
  ex->parent = parent;
  size_t n = (size_t)g->nvalues + 1;
  ex->ptr = calloc(n, sizeof *ex->ptr);
  ex->owned = calloc(n, sizeof *ex->owned);
  ex->uses = calloc(n, sizeof *ex->uses);
  ex->borrowed = calloc(n, sizeof *ex->borrowed);
  if (!ex->ptr || !ex->owned || !ex->uses || !ex->borrowed) {
    exec_free(ex);
    return kn_fail(kn, KN_ENOMEM, "out of memory preparing to run graph %s", g->name);
  }
  for (int32_t v = 0; v < g->nvalues; v++) {
    const ir_value *val = &g->values[v];
    if (val->constant) ex->ptr[v] = val->constant;
    else if (val->is_outer) {
      ex->ptr[v] = lookup_outer(ex, val->name);
      if (!ex->ptr[v]) {
        exec_free(ex);
        return kn_fail(kn, KN_EINVAL, "graph %s: outer value '%s' is not available", g->name, val->name);
      }
    }
  }
  for (int32_t i = 0; i < g->nnodes; i++) {
    const ir_node *nd = &g->nodes[i];
    if (nd->dead) continue;
    for (int k = 0; k < nd->nin; k++)
      if (nd->in[k] != IR_NONE) ex->uses[nd->in[k]]++;
    /* values a subgraph reads from this scope are uses of its node too, so a
     * value only a subgraph reads is kept until that node has run */
    for (int32_t a = 0; a < nd->nattr; a++)
      if (nd->attrs[a].kind == IR_ATTR_GRAPH) captures(ex, nd->attrs[a].g, true);
  }
  for (int32_t i = 0; i < g->noutputs; i++) ex->uses[g->outputs[i]] += 1 << 20;
  return KN_OK;
}

static kn_status run_node(ref_exec *ex, int32_t ni) {
  ir_graph *g = ex->g;
  const ir_node *nd = &g->nodes[ni];
  int nin = nd->nin, nout = nd->nout;
  const kn_tensor **in = calloc((size_t)nin + 1, sizeof *in);
  const ir_type **tin = calloc((size_t)nin + 1, sizeof *tin);
  ir_type *tys = calloc((size_t)nin + 1, sizeof *tys), *tout = calloc((size_t)nout + 1, sizeof *tout);
  kn_tensor *out = calloc((size_t)nout + 1, sizeof *out);
  bool *wanted = calloc((size_t)nout + 1, sizeof *wanted), *borrowed = calloc((size_t)nout + 1, sizeof *borrowed);
  kn_status st = KN_OK;
  if (!in || !tin || !tys || !tout || !out || !wanted || !borrowed) st = kn_fail(ex->kn, KN_ENOMEM, "out of memory");
  ref_plan *plan = ex->plan;
  for (int i = 0; st == KN_OK && i < nin; i++) {
    if (nd->in[i] == IR_NONE) continue;
    in[i] = ex->ptr[nd->in[i]];
    if (!in[i]) {
      st = kn_fail(ex->kn, KN_EINTERNAL, "node %s (%s): input '%s' has no value", nd->name, ir_op_table[nd->op].name,
                   g->values[nd->in[i]].name);
      break;
    }
    type_of(in[i], &tys[i]);
    tin[i] = &tys[i];
  }
  if (st == KN_OK) st = ir_infer_node(ex->kn, g, nd, tin, in, tout);
  for (int k = 0; st == KN_OK && k < nout; k++) {
    wanted[k] = nd->out[k] != IR_NONE;
    ir_id v = nd->out[k];
    if (ir_type_is_concrete(&tout[k]) && plan && plan->ready && v != IR_NONE && plan->offset[v] >= 0 &&
        kn_dims_numel(tout[k].rank, tout[k].dims) * (int64_t)kn_dtype_size(tout[k].dtype) == plan->size[v]) {
      out[k].dtype = tout[k].dtype;
      out[k].rank = tout[k].rank;
      memcpy(out[k].dims, tout[k].dims, sizeof(int64_t) * (size_t)tout[k].rank);
      out[k].nbytes = plan->size[v];
      out[k].data = plan->ws + plan->offset[v];
      memset(out[k].data, 0, (size_t)out[k].nbytes);
      borrowed[k] = true;
    } else if (ir_type_is_concrete(&tout[k])) {
      if (plan && plan->ready && v != IR_NONE && plan->offset[v] >= 0) plan->heap_fallbacks++;
      st = kn_tensor_alloc(ex->kn, &out[k], tout[k].dtype, tout[k].rank, tout[k].dims);
      if (st != KN_OK) kn_prefix(ex->kn, "node %s (%s): output %d: ", nd->name, ir_op_table[nd->op].name, k);
    } else {
      out[k].rank = -1;
      out[k].dtype = tout[k].dtype;
    }
  }
  if (st == KN_OK) {
    ref_ctx c = {.kn = ex->kn, .ex = ex, .g = g, .node = nd, .nin = nin, .in = in, .nout = nout, .out = out,
                 .out_wanted = wanted, .out_borrowed = borrowed};
    st = exec_table[nd->op](&c);
  }
  for (int k = 0; st == KN_OK && k < nout; k++)
    if (wanted[k] && out[k].rank < 0)
      st = kn_fail(ex->kn, KN_EINTERNAL, "node %s (%s): output %d was not produced", nd->name,
                   ir_op_table[nd->op].name, k);
  for (int k = 0; k < nout; k++) {
    ir_id v = nd->out[k];
    if (st == KN_OK && plan && !plan->ready && v != IR_NONE) plan->size[v] = out[k].nbytes;
    if (st == KN_OK && v != IR_NONE && ex->uses[v] > 0) {
      drop(ex, v);
      ex->owned[v] = out[k];
      ex->borrowed[v] = borrowed[k];
      ex->ptr[v] = &ex->owned[v];
    } else if (!borrowed[k]) {
      kn_tensor_free(&out[k]);
    }
  }
  if (st == KN_OK)
    for (int i = 0; i < nin; i++) release(ex, nd->in[i]);
  free(in), free(tin), free(tys), free(tout), free(out), free(wanted), free(borrowed);
  return st;
}

static kn_status bind_input(ref_exec *ex, int idx, const kn_tensor *t, int64_t *symvals) {
  ir_graph *g = ex->g;
  const ir_value *v = &g->values[g->inputs[idx]];
  if (t->dtype != v->type.dtype)
    return kn_fail(ex->kn, KN_ETYPE, "input '%s' must be %s, got %s", v->name, kn_dtype_name(v->type.dtype),
                   kn_dtype_name(t->dtype));
  if (v->type.rank >= 0) {
    if (t->rank != v->type.rank)
      return kn_fail(ex->kn, KN_ESHAPE, "input '%s' must have rank %d, got %d", v->name, v->type.rank, t->rank);
    for (int i = 0; i < t->rank; i++) {
      int64_t d = v->type.dims[i];
      if (d >= 0 && d != t->dims[i])
        return kn_fail(ex->kn, KN_ESHAPE, "input '%s' dim %d must be %lld, got %lld", v->name, i, (long long)d,
                       (long long)t->dims[i]);
      if (d < 0 && symvals) {
        int32_t s = IR_SYM_ID(d);
        const char *sn = ir_sym_name(g, s);
        if (sn && symvals[s] >= 0 && symvals[s] != t->dims[i])
          return kn_fail(ex->kn, KN_ESHAPE, "input '%s' dim %d ('%s') is %lld, but another input set '%s' = %lld",
                         v->name, i, sn, (long long)t->dims[i], sn, (long long)symvals[s]);
        symvals[s] = t->dims[i];
      }
    }
  }
  if (kn_tensor_numel(t) < 0 || t->nbytes != kn_tensor_numel(t) * (int64_t)kn_dtype_size(t->dtype))
    return kn_fail(ex->kn, KN_ESHAPE, "input '%s': data size does not match its shape", v->name);
  ex->ptr[g->inputs[idx]] = t;
  return KN_OK;
}

static kn_status exec_graph(ref_exec *ex, const kn_tensor *const *inputs, int ninputs, kn_tensor *outputs,
                            int noutputs, bool check_types) {
  ir_graph *g = ex->g;
  if (ninputs > g->ninputs)
    return kn_fail(ex->kn, KN_EINVAL, "graph %s takes %d inputs, got %d", g->name, g->ninputs, ninputs);
  if (noutputs != g->noutputs)
    return kn_fail(ex->kn, KN_EINVAL, "graph %s has %d outputs, caller expects %d", g->name, g->noutputs, noutputs);
  int64_t *symvals = malloc(sizeof(int64_t) * ((size_t)g->nsyms + 1));
  if (!symvals) return kn_fail(ex->kn, KN_ENOMEM, "out of memory");
  for (int32_t i = 0; i < g->nsyms; i++) symvals[i] = -1;
  kn_status st = KN_OK;
  for (int i = 0; st == KN_OK && i < g->ninputs; i++) {
    const ir_value *iv = &g->values[g->inputs[i]];
    if (i >= ninputs || !inputs[i]) { /* absent: use the default value (an ONNX initializer) if there is one */
      if (iv->constant) ex->ptr[g->inputs[i]] = iv->constant;
      else st = kn_fail(ex->kn, KN_EINVAL, "graph %s takes %d inputs, input '%s' is missing", g->name, g->ninputs,
                        iv->name);
    }
    else if (check_types) st = bind_input(ex, i, inputs[i], symvals);
    else ex->ptr[g->inputs[i]] = inputs[i];
  }
  free(symvals);
  for (int32_t ni = 0; st == KN_OK && ni < g->nnodes; ni++) {
    if (g->nodes[ni].dead) continue;
    const ir_node *nd = &g->nodes[ni];
    st = run_node(ex, ni);
    for (int32_t a = 0; st == KN_OK && a < nd->nattr; a++)
      if (nd->attrs[a].kind == IR_ATTR_GRAPH) captures(ex, nd->attrs[a].g, false);
  }
  for (int i = 0; st == KN_OK && i < noutputs; i++) {
    const kn_tensor *t = ex->ptr[g->outputs[i]];
    if (!t) st = kn_fail(ex->kn, KN_EINTERNAL, "output '%s' was not computed", g->values[g->outputs[i]].name);
    else st = kn_tensor_clone(ex->kn, &outputs[i], t);
  }
  if (st != KN_OK)
    for (int i = 0; i < noutputs; i++) kn_tensor_free(&outputs[i]);
  return st;
}

kn_status ref_run_graph(kn_ctx *kn, ir_graph *g, const kn_tensor *inputs, int ninputs, kn_tensor *outputs,
                        int noutputs) {
  return ref_exec_run(kn, g, NULL, inputs, ninputs, outputs, noutputs);
}

kn_status ref_exec_run(kn_ctx *kn, ir_graph *g, ref_plan *plan, const kn_tensor *inputs, int ninputs,
                       kn_tensor *outputs, int noutputs) {
  for (int i = 0; i < noutputs; i++) memset(&outputs[i], 0, sizeof outputs[i]);
  const kn_tensor **ins = malloc(sizeof(*ins) * ((size_t)ninputs + 1));
  if (!ins) return kn_fail(kn, KN_ENOMEM, "out of memory");
  for (int i = 0; i < ninputs; i++) ins[i] = inputs[i].dtype == KN_UNDEF ? NULL : &inputs[i];
  ref_exec ex;
  kn_status st = exec_init(&ex, kn, g, NULL);
  if (st == KN_OK) {
    ex.plan = plan;
    st = exec_graph(&ex, ins, ninputs, outputs, noutputs, true);
    exec_free(&ex);
  }
  free(ins);
  return st;
}

kn_status ref_run_subgraph(ref_ctx *c, ir_graph *sub, int nin, const kn_tensor *const *ins, int nout,
                           kn_tensor *outs) {
  ref_exec ex;
  for (int i = 0; i < nout; i++) memset(&outs[i], 0, sizeof outs[i]);
  kn_status st = exec_init(&ex, c->kn, sub, c->ex);
  if (st != KN_OK) return st;
  st = exec_graph(&ex, ins, nin, outs, nout, false);
  exec_free(&ex);
  if (st != KN_OK && strncmp(c->kn->msg, "node ", 5) != 0)
    kn_prefix(c->kn, "node %s (%s) subgraph %s: ", c->node->name, ir_op_table[c->node->op].name, sub->name);
  return st;
}

kn_status ref_eval_node(kn_ctx *kn, ir_graph *g, const ir_node *nd, const kn_tensor *const *in, kn_tensor *out,
                        bool prealloc) {
  if (nd->op == IR_OP_If || nd->op == IR_OP_Loop)
    return kn_fail(kn, KN_EUNSUPPORTED, "node %s (%s): control flow cannot run as a single node", nd->name,
                   ir_op_table[nd->op].name);
  int nin = nd->nin, nout = nd->nout;
  const ir_type **tin = calloc((size_t)nin + 1, sizeof *tin);
  ir_type *tys = calloc((size_t)nin + 1, sizeof *tys), *tout = calloc((size_t)nout + 1, sizeof *tout);
  bool *wanted = calloc((size_t)nout + 1, sizeof *wanted), *borrowed = calloc((size_t)nout + 1, sizeof *borrowed);
  kn_status st = tin && tys && tout && wanted && borrowed ? KN_OK : kn_fail(kn, KN_ENOMEM, "out of memory");
  for (int i = 0; st == KN_OK && i < nin; i++)
    if (in[i]) {
      type_of(in[i], &tys[i]);
      tin[i] = &tys[i];
    }
  /* the caller's storage must never be freed here, whatever fails below */
  for (int k = 0; st == KN_OK && k < nout; k++) borrowed[k] = prealloc && out[k].data;
  if (st == KN_OK) st = ir_infer_node(kn, g, nd, tin, in, tout);
  for (int k = 0; st == KN_OK && k < nout; k++) {
    wanted[k] = nd->out[k] != IR_NONE;
    if (borrowed[k]) continue; /* kernels that re-allocate must not free it either */
    if (ir_type_is_concrete(&tout[k])) st = kn_tensor_alloc(kn, &out[k], tout[k].dtype, tout[k].rank, tout[k].dims);
    else {
      memset(&out[k], 0, sizeof out[k]);
      out[k].rank = -1;
      out[k].dtype = tout[k].dtype;
    }
  }
  if (st == KN_OK) {
    ref_ctx c = {.kn = kn, .ex = NULL, .g = g, .node = nd, .nin = nin, .in = in, .nout = nout, .out = out,
                 .out_wanted = wanted, .out_borrowed = borrowed};
    st = exec_table[nd->op](&c);
  }
  for (int k = 0; st == KN_OK && k < nout; k++)
    if (wanted[k] && out[k].rank < 0)
      st = kn_fail(kn, KN_EINTERNAL, "node %s (%s): output %d was not produced", nd->name, ir_op_table[nd->op].name, k);
  if (st != KN_OK)
    for (int k = 0; k < nout; k++)
      if (!borrowed || !borrowed[k]) kn_tensor_free(&out[k]);
  free(tin), free(tys), free(tout), free(wanted), free(borrowed);
  return st;
}
