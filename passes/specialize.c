/* specialize.c: shape specialization and constant folding. Exported models
 * compute shapes at run time (Shape -> Gather -> Concat -> Reshape); once the
 * input shapes are bound, those chains are constants. Folding them makes every
 * type concrete, which is what lets code generation specialize each node with
 * constant sizes and plan one static workspace. Nodes are evaluated with the
 * reference kernels, so folding computes exactly what run time would. */
#include "passes.h"
#include "ref.h"
#include <stdlib.h>
#include <string.h>

kn_status pass_bind_input_shapes(ir_graph *g, const int *ranks, const int64_t (*dims)[KN_MAX_RANK]) {
  for (int32_t i = 0; i < g->ninputs; i++) {
    if (ranks[i] < 0) continue;
    ir_value *v = &g->values[g->inputs[i]];
    if (v->type.rank >= 0 && v->type.rank != ranks[i])
      return kn_fail(g->ctx, KN_ESHAPE, "input '%s' has rank %d, bound shape has %d dims", v->name, v->type.rank,
                     ranks[i]);
    for (int d = 0; v->type.rank >= 0 && d < ranks[i]; d++)
      if (v->type.dims[d] >= 0 && v->type.dims[d] != dims[i][d])
        return kn_fail(g->ctx, KN_ESHAPE, "input '%s' dim %d is %lld, bound shape says %lld", v->name, d,
                       (long long)v->type.dims[d], (long long)dims[i][d]);
    v->type.rank = ranks[i];
    for (int d = 0; d < ranks[i]; d++) v->type.dims[d] = dims[i][d];
  }
  return ir_infer_graph(g);
}

/* a custom op's function may not even be loadable here (an AOT build for
 * another architecture): it runs only at run time */
static bool foldable_op(ir_op op) { return op != IR_OP_If && op != IR_OP_Loop && op != IR_OP_Custom; }

/* Shape and Size only read their input's (concrete) type. */
static bool reads_only_shape(const ir_node *n) { return n->op == IR_OP_Shape || n->op == IR_OP_Size; }

static kn_status fold_node(ir_graph *g, ir_node *n, int64_t max_bytes, bool *folded) {
  *folded = false;
  if (!foldable_op(n->op)) return KN_OK;
  const kn_tensor **in = calloc((size_t)n->nin + 1, sizeof *in);
  kn_tensor *out = calloc((size_t)n->nout + 1, sizeof *out), shape_in;
  kn_status st = in && out ? KN_OK : kn_fail(g->ctx, KN_ENOMEM, "out of memory folding constants");
  bool all_const = st == KN_OK;
  memset(&shape_in, 0, sizeof shape_in);
  for (int i = 0; all_const && i < n->nin; i++) {
    ir_id v = n->in[i];
    if (v == IR_NONE) continue;
    const ir_value *val = &g->values[v];
    if (val->constant && !val->is_input) in[i] = val->constant;
    else if (reads_only_shape(n) && ir_type_is_concrete(&val->type)) {
      /* a stand-in with the right type; Shape/Size never read the data */
      shape_in.dtype = val->type.dtype;
      shape_in.rank = val->type.rank;
      memcpy(shape_in.dims, val->type.dims, sizeof shape_in.dims);
      in[i] = &shape_in;
    } else all_const = false;
  }
  /* outputs whose shape only the values decide (NonZero, NonMaxSuppression)
   * are evaluated too, and kept if they turn out small enough */
  int64_t bytes = 0;
  bool shapes_known = true;
  for (int k = 0; all_const && k < n->nout; k++) {
    ir_id v = n->out[k];
    if (v == IR_NONE) continue;
    const ir_type *t = &g->values[v].type;
    int64_t ne = ir_type_is_concrete(t) ? kn_dims_numel(t->rank, t->dims) : -1;
    if (ne < 0) shapes_known = false;
    else bytes += ne * (int64_t)kn_dtype_size(t->dtype);
  }
  if (all_const && bytes <= max_bytes) {
    st = ref_eval_node(g->ctx, g, n, in, out, false);
    if (st == KN_OK && !shapes_known) {
      bytes = 0;
      for (int k = 0; k < n->nout; k++) bytes += n->out[k] != IR_NONE ? out[k].nbytes : 0;
      if (bytes > max_bytes) all_const = false;
    }
    if (st == KN_OK && all_const) {
      for (int k = 0; k < n->nout; k++) {
        ir_id v = n->out[k];
        if (v == IR_NONE) {
          kn_tensor_free(&out[k]);
          continue;
        }
        kn_tensor *c = ir_tensor_new(g);
        if (!c) {
          st = kn_fail(g->ctx, KN_ENOMEM, "out of memory");
          break;
        }
        *c = out[k];
        memset(&out[k], 0, sizeof out[k]);
        ir_graph_own_data(g, c->data);
        g->values[v].constant = c;
        ir_type *t = &g->values[v].type; /* the shape the values gave */
        t->dtype = c->dtype;
        t->rank = c->rank;
        memcpy(t->dims, c->dims, sizeof(int64_t) * (size_t)c->rank);
      }
      n->dead = st == KN_OK;
      *folded = n->dead;
    }
  }
  for (int k = 0; out && k < n->nout; k++) kn_tensor_free(&out[k]);
  free(in);
  free(out);
  return st;
}

kn_status pass_fold_constants(ir_graph *g, int64_t max_bytes, int32_t *folded) {
  *folded = 0;
  const ir_type **tin = NULL;
  const kn_tensor **tval = NULL;
  ir_type *tout = NULL;
  kn_status st = KN_OK;
  for (int32_t ni = 0; st == KN_OK && ni < g->nnodes; ni++) {
    ir_node *n = &g->nodes[ni];
    if (n->dead) continue;
    /* re-infer this node first: its inputs may have just become constants */
    free(tin), free(tval), free(tout);
    tin = calloc((size_t)n->nin + 1, sizeof *tin);
    tval = calloc((size_t)n->nin + 1, sizeof *tval);
    tout = calloc((size_t)n->nout + 1, sizeof *tout);
    if (!tin || !tval || !tout) {
      st = kn_fail(g->ctx, KN_ENOMEM, "out of memory folding constants");
      break;
    }
    for (int i = 0; i < n->nin; i++) {
      ir_id v = n->in[i];
      if (v == IR_NONE) continue;
      tin[i] = &g->values[v].type;
      tval[i] = g->values[v].is_input ? NULL : g->values[v].constant;
    }
    st = ir_infer_node(g->ctx, g, n, tin, tval, tout);
    if (st != KN_OK) break;
    for (int k = 0; k < n->nout; k++)
      if (n->out[k] != IR_NONE) g->values[n->out[k]].type = tout[k];
    bool did = false;
    st = fold_node(g, n, max_bytes, &did);
    *folded += did;
  }
  free(tin), free(tval), free(tout);
  return st;
}

bool pass_graph_is_static(const ir_graph *g, const char **why_node) {
  for (int32_t i = 0; i < g->nnodes; i++) {
    const ir_node *n = &g->nodes[i];
    if (n->dead) continue;
    for (int k = 0; k < n->nout; k++)
      if (n->out[k] != IR_NONE && !ir_type_is_concrete(&g->values[n->out[k]].type)) {
        if (why_node) *why_node = n->name;
        return false;
      }
  }
  return true;
}
