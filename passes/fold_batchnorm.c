/* fold_batchnorm.c: an inference BatchNormalization right after a Conv, Gemm
 * or 2-D MatMul with constant weights is an affine map per output channel,
 * y = (x - mean) * s + beta with s = gamma / sqrt(var + eps), so it folds into
 * the weights (each output channel's row or column scaled by s) and the bias
 * (b' = (b - mean) * s + beta); the product node takes over the
 * BatchNormalization's output and the latter disappears, along with its pass
 * over the activations. Conv-BN-Relu stacks then become Conv-Relu, which
 * fuse-conv fuses in turn.
 *
 * Conditions: the product's result is used by the BatchNormalization alone
 * (pat_fusable); weights, bias and the four BN tensors are f32 constants that
 * are not graph inputs (an overridable initializer must stay what it is);
 * training_mode is 0 and the BN's running-statistics outputs are unused. The
 * folded tensors are new constants (the originals may have other users); they
 * are computed in double precision. A MatMul becomes a Gemm, which has a
 * bias; for Gemm and MatMul the BN's channel dim (1) is the product's
 * columns, so only rank-2 products fold. */
#include "pattern.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* v's f32 data when it is a constant no graph input can override, else NULL */
static const float *const_f32(const ir_graph *g, ir_id v) {
  if (v == IR_NONE) return NULL;
  const ir_value *val = &g->values[v];
  if (!val->constant || val->is_input || val->constant->dtype != KN_F32) return NULL;
  return val->constant->data;
}

static int64_t numel_of(const ir_graph *g, ir_id v) { return kn_tensor_numel(g->values[v].constant); }

/* A new constant named after `base` (or anonymous when the name is taken). */
static ir_id new_const(ir_graph *g, const char *base, const char *suffix, kn_tensor *t) {
  char name[256];
  snprintf(name, sizeof name, "%s%s", base, suffix);
  ir_id v = ir_const_new(g, ir_value_find(g, name) == IR_NONE ? name : NULL, t);
  if (v == IR_NONE) kn_tensor_free(t);
  return v;
}

/* The BN's per-channel scale s and shift t (y = x * s + t), for C channels. */
static bool bn_affine(const ir_graph *g, const ir_node *bn, int64_t C, double *s, double *t) {
  const float *gamma = const_f32(g, bn->in[1]), *beta = const_f32(g, bn->in[2]);
  const float *mean = const_f32(g, bn->in[3]), *var = const_f32(g, bn->in[4]);
  if (!gamma || !beta || !mean || !var) return false;
  for (int i = 1; i < 5; i++)
    if (numel_of(g, bn->in[i]) != C) return false;
  const double eps = ir_norm_epsilon(bn);
  for (int64_t c = 0; c < C; c++) {
    s[c] = gamma[c] / sqrt((double)var[c] + eps);
    t[c] = beta[c] - mean[c] * s[c];
  }
  return true;
}

/* Rewires node p's input k (growing its input list with absent ones). */
static kn_status set_input(ir_graph *g, ir_node *p, int k, ir_id v) {
  if (k >= p->nin) {
    ir_id *na = ir_arena_alloc(&g->arena, sizeof(ir_id) * (size_t)(k + 1));
    if (!na) return kn_fail(g->ctx, KN_ENOMEM, "out of memory in fold-batchnorm");
    for (int i = 0; i <= k; i++) na[i] = i < p->nin ? p->in[i] : IR_NONE;
    p->in = na;
    p->nin = k + 1;
  }
  p->in[k] = v;
  return KN_OK;
}

/* Folds into p: new weight w' (shape of input wi, `rows_scaled`: output
 * channel c is row c of the weight, else column c) and bias b' [C], where the
 * old bias (input bi: absent, ignored when bscale is 0, else C elements) is
 * scaled by bscale first. */
static kn_status fold(ir_graph *g, ir_node *p, int wi, int bi, bool rows_scaled, int64_t C, const double *s,
                      const double *t, double bscale, bool *done) {
  *done = false;
  const ir_value *wv = &g->values[p->in[wi]];
  const float *w = const_f32(g, p->in[wi]);
  ir_id bv = bi < p->nin && bscale != 0.0 ? p->in[bi] : IR_NONE;
  const float *b = bv == IR_NONE ? NULL : const_f32(g, bv);
  if (!w || (bv != IR_NONE && (!b || numel_of(g, bv) != C))) return KN_OK;
  const int64_t n = numel_of(g, p->in[wi]);
  kn_tensor nw, nb;
  KN_TRY(kn_tensor_alloc(g->ctx, &nw, KN_F32, wv->constant->rank, wv->constant->dims));
  kn_status st = kn_tensor_alloc(g->ctx, &nb, KN_F32, 1, &C);
  if (st != KN_OK) {
    kn_tensor_free(&nw);
    return st;
  }
  float *ow = nw.data, *ob = nb.data;
  const int64_t per = n / C; /* rows: elements per output channel; columns: rows of the weight */
  for (int64_t i = 0; i < n; i++) {
    int64_t c = rows_scaled ? i / per : i % C;
    ow[i] = (float)(w[i] * s[c]);
  }
  for (int64_t c = 0; c < C; c++) ob[c] = (float)((b ? bscale * b[c] : 0.0) * s[c] + t[c]);
  ir_id nwv = new_const(g, wv->name, ".bn_folded", &nw);
  ir_id nbv = nwv == IR_NONE ? IR_NONE : new_const(g, wv->name, ".bn_bias", &nb);
  if (nwv == IR_NONE || nbv == IR_NONE) {
    if (nwv == IR_NONE) kn_tensor_free(&nb);
    return kn_fail(g->ctx, KN_ENOMEM, "out of memory in fold-batchnorm");
  }
  p->in[wi] = nwv;
  KN_TRY(set_input(g, p, bi, nbv));
  *done = true;
  return KN_OK;
}

static bool bn_inference_only(const ir_graph *g, const int32_t *uses, const ir_node *bn) {
  if (bn->nin != 5 || ir_attr_i(bn, "training_mode") != 0 || bn->out[0] == IR_NONE) return false;
  for (int k = 1; k < bn->nout; k++) {
    ir_id o = bn->out[k];
    if (o != IR_NONE && (uses[o] > 0 || g->values[o].is_output)) return false;
  }
  return true;
}

kn_status pass_run_fold_batchnorm(ir_graph *g, pass_result *r) {
  int32_t *uses = pass_use_counts(g);
  if (!uses) return kn_fail(g->ctx, KN_ENOMEM, "out of memory in fold-batchnorm");
  kn_status st = KN_OK;
  for (int32_t i = 0; st == KN_OK && i < g->nnodes; i++) {
    ir_node *bn = &g->nodes[i];
    if (bn->dead || bn->op != IR_OP_BatchNormalization || !bn_inference_only(g, uses, bn)) continue;
    ir_id x = bn->in[0];
    ir_node *p = pat_def(g, x, IR_OP_Conv);
    if (!p) p = pat_def(g, x, IR_OP_Gemm);
    if (!p) p = pat_def(g, x, IR_OP_MatMul);
    const ir_type *xt = &g->values[x].type;
    if (!p || p->nout != 1 || !pat_fusable(g, uses, x) || xt->dtype != KN_F32 || xt->rank < 2 || xt->dims[1] <= 0)
      continue;
    if (p->op != IR_OP_Conv && xt->rank != 2) continue; /* BN's channels must be the product's columns */
    const int64_t C = xt->dims[1];
    double *s = malloc(sizeof(double) * 2 * (size_t)C), *t = s ? s + C : NULL;
    if (!s) {
      st = kn_fail(g->ctx, KN_ENOMEM, "out of memory in fold-batchnorm");
      break;
    }
    bool done = false;
    if (bn_affine(g, bn, C, s, t)) {
      if (p->op == IR_OP_Conv) {
        if (g->values[p->in[1]].type.rank >= 3 && g->values[p->in[1]].type.dims[0] == C)
          st = fold(g, p, 1, 2, true, C, s, t, 1.0, &done);
      } else if (p->op == IR_OP_MatMul) {
        if (g->values[p->in[0]].type.rank == 2 && g->values[p->in[1]].type.rank == 2) {
          st = fold(g, p, 1, 2, false, C, s, t, 1.0, &done); /* [K, N]: column c; the bias makes it a Gemm */
          if (done) p->op = IR_OP_Gemm;
        }
      } else { /* Gemm: alpha A B' + C' with B' scaled per column (per row when transposed) */
        ir_id cv = p->nin > 2 ? p->in[2] : IR_NONE;
        const float beta = ir_attr_f(p, "beta");
        const ir_type *ct = cv == IR_NONE ? NULL : &g->values[cv].type;
        /* C' = (beta C - mean) s + beta_bn, a row [N]: C must be one too */
        bool row_c = !ct || beta == 0.0f || (ct->rank == 1 && ct->dims[0] == C) ||
                     (ct->rank == 2 && ct->dims[0] == 1 && ct->dims[1] == C);
        if (row_c) st = fold(g, p, 1, 2, ir_attr_i(p, "transB") != 0, C, s, t, cv == IR_NONE ? 0.0 : beta, &done);
        for (int32_t a = 0; done && a < p->nattr; a++) /* C' already holds beta */
          if (strcmp(p->attrs[a].name, "beta") == 0) p->attrs[a].f = 1.0f;
      }
    }
    free(s);
    if (st != KN_OK || !done) continue;
    /* the product takes over the BN's output, which the dead BN gives up:
     * a value has one producer, and whatever rebuilds the producer records
     * from the nodes' outputs (layout-nchwc's reordering) must not find the
     * BN still naming it */
    for (int k = 0; k < bn->nin; k++) uses[bn->in[k]]--;
    ir_id y = bn->out[0];
    p->out[0] = y;
    g->values[y].producer = (ir_id)(p - g->nodes);
    g->values[x].producer = IR_NONE; /* x is gone: nothing produces or uses it */
    for (int k = 1; k < bn->nout; k++) /* its unused statistics outputs go with it */
      if (bn->out[k] != IR_NONE) g->values[bn->out[k]].producer = IR_NONE;
    for (int k = 0; k < bn->nout; k++) bn->out[k] = IR_NONE;
    bn->dead = true;
    r->changed++;
  }
  free(uses);
  return st;
}
