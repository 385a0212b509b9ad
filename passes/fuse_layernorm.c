/* fuse_layernorm.c: LayerNorm as opset < 17 exports spell it, back into one
 * LayerNormalization:
 *   m = ReduceMean(x, axes);  d = x - m;  v = ReduceMean(d ^ 2, axes)
 *   n = d / Sqrt(v + eps);    y = n * gamma + beta   (affine part optional)
 * The axes must be the trailing ones (that is what LayerNormalization's axis
 * means), both means keep dims, and gamma/beta must be constants. The last
 * node of the pattern becomes the LayerNormalization. */
#include "pattern.h"
#include <stdlib.h>
#include <string.h>

/* The trailing-axes start of a ReduceMean (keepdims=1), or -1. */
static int trailing_axis(const ir_graph *g, const ir_node *rm) {
  if (ir_attr_i(rm, "keepdims") != 1 || rm->nin < 2 || rm->in[1] == IR_NONE) return -1;
  const ir_value *ax = &g->values[rm->in[1]];
  int rank = g->values[rm->in[0]].type.rank;
  if (!ax->constant || ax->is_input || rank <= 0) return -1;
  int64_t n = kn_tensor_numel(ax->constant);
  bool seen[KN_MAX_RANK] = {false};
  for (int64_t i = 0; i < n; i++) {
    int64_t a = kn_tensor_get_i64(ax->constant, i);
    if (a < 0) a += rank;
    if (a < 0 || a >= rank) return -1;
    seen[a] = true;
  }
  int first = rank - (int)n;
  for (int a = first; a < rank; a++)
    if (!seen[a]) return -1;
  return first;
}

static bool same_axes(const ir_graph *g, const ir_node *a, const ir_node *b) {
  return trailing_axis(g, a) >= 0 && trailing_axis(g, a) == trailing_axis(g, b);
}

/* A constant of ones or zeros with the normalized dims of x (for a missing gamma/beta). */
static ir_id fill_const(ir_graph *g, const ir_type *x, int axis, float v) {
  kn_tensor t;
  int64_t dims[KN_MAX_RANK];
  int r = 0;
  for (int a = axis; a < x->rank; a++) dims[r++] = x->dims[a];
  if (kn_tensor_alloc(g->ctx, &t, KN_F32, r, dims) != KN_OK) return IR_NONE;
  for (int64_t i = 0; i < kn_tensor_numel(&t); i++) ((float *)t.data)[i] = v;
  return ir_const_new(g, NULL, &t);
}

static bool is_const(const ir_graph *g, ir_id v) {
  return v != IR_NONE && g->values[v].constant && !g->values[v].is_input;
}

kn_status pass_run_fuse_layernorm(ir_graph *g, pass_result *r) {
  int32_t *uses = pass_use_counts(g);
  if (!uses) return kn_fail(g->ctx, KN_ENOMEM, "out of memory in fuse-layernorm");
  kn_status st = KN_OK;
  for (int32_t i = 0; st == KN_OK && i < g->nnodes; i++) {
    ir_node *div = &g->nodes[i];
    if (div->dead || div->op != IR_OP_Div) continue;
    ir_id d = div->in[0], s = div->in[1];
    ir_node *sub = pat_def(g, d, IR_OP_Sub), *sqrt = pat_def(g, s, IR_OP_Sqrt);
    if (!sub || !sqrt || uses[d] != 2 || g->values[d].is_output || !pat_fusable(g, uses, s)) continue;
    ir_id x = sub->in[0], m = sub->in[1];
    ir_node *mean = pat_def(g, m, IR_OP_ReduceMean);
    if (!mean || mean->in[0] != x || !pat_fusable(g, uses, m)) continue;
    ir_node *add_eps = pat_def(g, sqrt->in[0], IR_OP_Add);
    ir_id var = IR_NONE;
    double eps;
    if (!add_eps || !pat_fusable(g, uses, sqrt->in[0])) continue;
    if (pat_scalar(g, add_eps->in[1], &eps)) var = add_eps->in[0];
    else if (pat_scalar(g, add_eps->in[0], &eps)) var = add_eps->in[1];
    ir_node *vmean = pat_def(g, var, IR_OP_ReduceMean);
    if (!vmean || !pat_fusable(g, uses, var) || !same_axes(g, mean, vmean)) continue;
    ir_id sq = vmean->in[0];
    ir_node *pow = pat_def(g, sq, IR_OP_Pow), *mulsq = pat_def(g, sq, IR_OP_Mul);
    bool square = (pow && pow->in[0] == d && pat_scalar_near(g, pow->in[1], 2.0, 0)) ||
                  (mulsq && mulsq->in[0] == d && mulsq->in[1] == d);
    if (!square || !pat_fusable(g, uses, sq)) continue;
    int axis = trailing_axis(g, mean);
    const ir_type *xt = &g->values[x].type;
    if (xt->dtype != KN_F32 && xt->dtype != KN_F64) continue;
    /* optional affine tail: n * gamma (+ beta) */
    ir_node *last = div, *gmul = NULL, *badd = NULL;
    ir_id gamma = IR_NONE, beta = IR_NONE, n = div->out[0];
    for (int32_t j = i + 1; j < g->nnodes && pat_fusable(g, uses, n) && !gmul; j++) {
      ir_node *c = &g->nodes[j];
      if (!c->dead && c->op == IR_OP_Mul && pat_commute(c, n, &gamma) && is_const(g, gamma)) gmul = c;
    }
    if (gmul) {
      last = gmul;
      ir_id gm = gmul->out[0];
      for (int32_t j = (int32_t)(gmul - g->nodes) + 1; j < g->nnodes && pat_fusable(g, uses, gm) && !badd; j++) {
        ir_node *c = &g->nodes[j];
        if (!c->dead && c->op == IR_OP_Add && pat_commute(c, gm, &beta) && is_const(g, beta)) badd = c;
      }
      if (badd) last = badd;
      else beta = IR_NONE;
    } else gamma = IR_NONE;
    if (gamma == IR_NONE && (gamma = fill_const(g, xt, axis, 1.0f)) == IR_NONE) {
      st = KN_ENOMEM;
      break;
    }
    /* the fused node takes the place of the pattern's last node */
    ir_node *nodes_dead[] = {mean, sub, pow ? pow : mulsq, vmean, add_eps, sqrt, div, gmul, badd};
    for (size_t k = 0; k < sizeof nodes_dead / sizeof nodes_dead[0]; k++)
      if (nodes_dead[k] && nodes_dead[k] != last) nodes_dead[k]->dead = true;
    ir_id ins[3] = {x, gamma, beta};
    st = pat_rewrite(g, last, IR_OP_LayerNormalization, beta == IR_NONE ? 2 : 3, ins);
    if (st == KN_OK) st = ir_attr_set_int(g, last, "axis", axis);
    if (st == KN_OK) st = ir_attr_set_float(g, last, "epsilon", (float)eps);
    r->changed++;
  }
  free(uses);
  return st;
}
