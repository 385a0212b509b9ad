/* fuse_attention.c: scaled-dot-product attention as exporters spell it,
 *   W = MatMul(Q', K'^T)  [* c | / c]  [+ mask]  -> Softmax(last axis) -> MatMul(., V')
 * into one Attention node (ir/infer_attention.c), together with the head
 * Reshape/Transpose around it:
 *  - Q', V' = Transpose(0,2,1,3) of Reshape([B, L, H*D] -> [B, L, H, D]):
 *    the node reads the projection [B, L, H*D] itself (layout bshd);
 *  - K'^T = Transpose(0,2,3,1) of such a Reshape (bshd), or Transpose of a
 *    head-major K' (resolved like Q'), or any head-major [.., D, T] (bhds);
 *  - MatMul(P, V') followed by Transpose(0,2,1,3) and Reshape to [B, S, H*Dv]:
 *    the node writes that [B, S, H*Dv] (bshd); otherwise [B, H, S, Dv].
 * Scalar Muls/Divs by constants anywhere on the Q and K paths or on the
 * scores (HF CLIP's q_proj(x) * scale, BERT's / sqrt(d), GLIDE-style scaling
 * of both) fold into the node's `scale`. A constant mask that is 0 on and
 * below the diagonal and <= -1e4 above it (CLIP text's causal -inf triangle)
 * becomes the `causal` flag; any other f32 mask that broadcasts to the scores
 * is an input. Every value that disappears must be pat_fusable; scores of
 * rank 3 ([N, S, T]) or 4 ([B, H, S, T]) with equal batch dims everywhere
 * (no MatMul broadcasting). Shapes must be concrete (the JIT's specialized
 * graph). Runs before fuse-elementwise, which would otherwise swallow the
 * scale Mul into a chain. */
#include "pattern.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEAD 48
#define CAUSAL_NEG (-1e4) /* a masked score: its exp is 0 in f32 next to any unmasked one */

typedef struct att_match {
  ir_graph *g;
  const int32_t *uses;
  int32_t *user;
  ir_node *dead[MAX_DEAD];
  int nd;
  double scale;
  int64_t B, H; /* the scores' batch dims as [B, H, ..] (rank 3: B = 1) */
  int rank;     /* of the scores */
  int32_t nuser;
  /* Swin's shifted windows: the mask is made at commit from a per-window bias
   * (wbias, or IR_NONE) and a per-image-window mask wmask of [B/nw, nw, H, S, T] */
  bool window;
  ir_id wbias, wmask;
  int64_t nw;
} att_match;


static bool kill(att_match *m, ir_node *n) {
  if (m->nd >= MAX_DEAD) return false;
  m->dead[m->nd++] = n;
  return true;
}

/* The producer of v if it is `op` and v may disappear into the fused node. */
static ir_node *consume(att_match *m, ir_id v, ir_op op) {
  ir_node *n = pat_def(m->g, v, op);
  if (!n || n->nout != 1 || !pat_fusable(m->g, m->uses, v) || !ir_type_is_concrete(ir_vtype(m->g, v))) return NULL;
  return n;
}

/* Peels Mul/Div by scalar constants off v, into m->scale. */
static ir_id peel_scale(att_match *m, ir_id v) {
  for (;;) {
    ir_node *n = consume(m, v, IR_OP_Mul);
    if (!n) n = consume(m, v, IR_OP_Div);
    if (!n) return v;
    double c;
    ir_id x;
    if (pat_scalar(m->g, n->in[1], &c)) x = n->in[0];
    else if (n->op == IR_OP_Mul && pat_scalar(m->g, n->in[0], &c)) x = n->in[1];
    else return v;
    /* the scaled value must be what it scales (no broadcast of a 1-element tensor of higher rank) */
    const ir_type *tx = ir_vtype(m->g, x), *tv = ir_vtype(m->g, v);
    if (tx->rank != tv->rank || memcmp(tx->dims, tv->dims, sizeof(int64_t) * (size_t)tv->rank) != 0) return v;
    if (n->op == IR_OP_Div && c == 0) return v;
    if (!kill(m, n)) return v;
    m->scale *= n->op == IR_OP_Div ? 1.0 / c : c;
    v = x;
  }
}

static bool perm_is(const ir_node *t, const int64_t *want, int n) {
  const ir_attr *a = ir_attr_get(t, "perm");
  if (!a || a->kind != IR_ATTR_INTS || a->n != n) return false;
  for (int i = 0; i < n; i++)
    if (a->ints[i] != want[i]) return false;
  return true;
}

/* v = Reshape(x) with x [B, L, H*E] and v [B, L, H, E]: x, else IR_NONE. */
static ir_id split_heads_of(att_match *m, ir_id v) {
  ir_node *r = consume(m, v, IR_OP_Reshape);
  if (!r) return IR_NONE;
  const ir_type *x = ir_vtype(m->g, r->in[0]), *t = ir_vtype(m->g, v);
  if (x->rank != 3 || t->rank != 4 || !ir_type_is_concrete(x) || x->dims[0] != t->dims[0] || x->dims[1] != t->dims[1] ||
      x->dims[2] != t->dims[2] * t->dims[3] || t->dims[2] != m->H || !kill(m, r))
    return IR_NONE;
  return r->in[0];
}

/* v = Transpose(x) swapping the last two dims (consumed), or NULL */
static ir_node *swap_last2(att_match *m, ir_id v) {
  static const int64_t p0132[4] = {0, 1, 3, 2}, p021[3] = {0, 2, 1};
  ir_node *t = consume(m, v, IR_OP_Transpose);
  if (!t || !(m->rank == 4 ? perm_is(t, p0132, 4) : perm_is(t, p021, 3)) || !kill(m, t)) return NULL;
  return t;
}

/* A head-major operand v [.., L, E] (Q' or V', or K' before its transpose):
 * the projection it was split from (bshd) or v itself (bhsd). */
static ir_id heads_source(att_match *m, ir_id v, ir_att_layout *lay) {
  v = peel_scale(m, v);
  *lay = IR_ATT_BHSD;
  const int nd = m->nd;
  const double scale = m->scale;
  static const int64_t p0213[4] = {0, 2, 1, 3};
  ir_node *t = m->rank == 4 ? consume(m, v, IR_OP_Transpose) : NULL;
  if (t && perm_is(t, p0213, 4) && kill(m, t)) {
    ir_id x = split_heads_of(m, peel_scale(m, t->in[0]));
    if (x != IR_NONE) {
      *lay = IR_ATT_BSHD;
      return peel_scale(m, x);
    }
  }
  m->nd = nd, m->scale = scale; /* not the split */
  ir_node *sw = swap_last2(m, v);
  if (sw) { /* the operand transposed: read it as it was */
    *lay = IR_ATT_BHDS;
    return peel_scale(m, sw->in[0]);
  }
  return v;
}

/* K'^T [.., D, T]: K in some layout. */
static ir_id keys_source(att_match *m, ir_id kt, ir_att_layout *lay) {
  kt = peel_scale(m, kt);
  const int nd = m->nd;
  const double scale = m->scale;
  static const int64_t p0231[4] = {0, 2, 3, 1};
  ir_node *t = m->rank == 4 ? consume(m, kt, IR_OP_Transpose) : NULL;
  if (t && perm_is(t, p0231, 4) && kill(m, t)) {
    ir_id x = split_heads_of(m, peel_scale(m, t->in[0]));
    if (x != IR_NONE) {
      *lay = IR_ATT_BSHD;
      return peel_scale(m, x);
    }
  }
  m->nd = nd, m->scale = scale;
  if ((t = swap_last2(m, kt)) != NULL) return heads_source(m, t->in[0], lay);
  *lay = IR_ATT_BHDS;
  return kt;
}

/* A constant f32 mask [(1, ..) S, S] that is 0 on and below the diagonal and
 * <= CAUSAL_NEG above it. */
static bool causal_mask(const ir_graph *g, ir_id mv, int64_t S, int64_t T) {
  const ir_value *val = &g->values[mv];
  const kn_tensor *c = val->constant;
  if (!c || val->is_input || c->dtype != KN_F32 || S != T || kn_tensor_numel(c) != S * T) return false;
  const float *x = c->data;
  for (int64_t s = 0; s < S; s++)
    for (int64_t t = 0; t < T; t++)
      if (t <= s ? x[s * T + t] != 0.0f : !(x[s * T + t] <= CAUSAL_NEG)) return false;
  return true;
}

/* the mask broadcasts to the scores [.., S, T] without growing them */
static bool mask_fits(const ir_type *mt, const ir_type *w) {
  if (mt->dtype != KN_F32 || !ir_type_is_concrete(mt) || mt->rank > w->rank || mt->rank > 4) return false;
  for (int d = 0; d < mt->rank; d++) {
    int64_t md = mt->dims[mt->rank - 1 - d], wd = w->dims[w->rank - 1 - d];
    if (md != 1 && md != wd) return false;
  }
  return true;
}

/* Element of constant c broadcast (right-aligned) to an index of rank r. */
static float bcast_at(const kn_tensor *c, int r, const int64_t *idx) {
  int64_t off = 0, stride = 1;
  for (int d = c->rank - 1; d >= 0; d--) {
    if (c->dims[d] != 1) off += idx[r - c->rank + d] * stride;
    stride *= c->dims[d];
  }
  return ((const float *)c->data)[off];
}

static bool const_f32(const ir_graph *g, ir_id v) {
  const ir_value *val = &g->values[v];
  return val->constant && !val->is_input && val->constant->dtype == KN_F32;
}

/* Swin's shifted-window attention adds its window mask through a 5-D view:
 *   x = Reshape(Add(Reshape(y, [B/nw, nw, H, S, T]), M5), [B, H, S, T]),
 * y = [Add(scores, M4)]. With both masks constant, they become one [B, H, S, T]
 * constant (made at commit). Returns the scores' value, or IR_NONE. */
static ir_id window_mask(att_match *m, ir_id x, const ir_type *xt) {
  ir_graph *g = m->g;
  ir_node *r2 = xt->rank == 4 ? consume(m, x, IR_OP_Reshape) : NULL;
  ir_node *add = r2 ? consume(m, r2->in[0], IR_OP_Add) : NULL;
  if (!add) return IR_NONE;
  for (int i = 0; i < 2; i++) {
    const ir_id v5 = add->in[i], m5 = add->in[1 - i];
    ir_node *r1 = consume(m, v5, IR_OP_Reshape);
    if (!r1 || !const_f32(g, m5)) continue;
    const ir_type *t5 = ir_vtype(g, v5), *ty = ir_vtype(g, r1->in[0]), *tm = ir_vtype(g, m5);
    if (t5->rank != 5 || ty->rank != 4 || memcmp(ty->dims, xt->dims, sizeof(int64_t) * 4) != 0 ||
        t5->dims[0] * t5->dims[1] != xt->dims[0] || memcmp(t5->dims + 2, xt->dims + 1, sizeof(int64_t) * 3) != 0 ||
        tm->rank > 5)
      continue;
    bool fits = true;
    for (int d = 0; d < tm->rank; d++) fits = fits && (tm->dims[d] == 1 || tm->dims[d] == t5->dims[5 - tm->rank + d]);
    if (!fits) continue;
    kill(m, r2), kill(m, add), kill(m, r1);
    m->window = true, m->wmask = m5, m->nw = t5->dims[1], m->wbias = IR_NONE;
    ir_id y = r1->in[0];
    ir_node *a4 = consume(m, y, IR_OP_Add);
    if (a4)
      for (int j = 0; j < 2 && m->wbias == IR_NONE; j++)
        if (const_f32(g, a4->in[1 - j]) && mask_fits(ir_vtype(g, a4->in[1 - j]), xt) && kill(m, a4))
          m->wbias = a4->in[1 - j], y = a4->in[j];
    return y;
  }
  return IR_NONE;
}

/* The combined window mask [B, H, S, T] as a new constant. */
static ir_id make_window_mask(att_match *m, const int64_t *dims) {
  ir_graph *g = m->g;
  kn_tensor t;
  if (kn_tensor_alloc(g->ctx, &t, KN_F32, 4, dims) != KN_OK) return IR_NONE;
  const kn_tensor *bias = m->wbias != IR_NONE ? g->values[m->wbias].constant : NULL;
  const kn_tensor *wm = g->values[m->wmask].constant;
  float *out = t.data;
  int64_t i = 0, idx[4], i5[5];
  for (idx[0] = 0; idx[0] < dims[0]; idx[0]++)
    for (idx[1] = 0; idx[1] < dims[1]; idx[1]++)
      for (idx[2] = 0; idx[2] < dims[2]; idx[2]++)
        for (idx[3] = 0; idx[3] < dims[3]; idx[3]++) {
          i5[0] = idx[0] / m->nw, i5[1] = idx[0] % m->nw, i5[2] = idx[1], i5[3] = idx[2], i5[4] = idx[3];
          out[i++] = (bias ? bcast_at(bias, 4, idx) : 0.0f) + bcast_at(wm, 5, i5);
        }
  return ir_const_new(g, NULL, &t);
}

static bool same_batch(const ir_type *a, const ir_type *w) {
  if (a->rank != w->rank) return false;
  for (int d = 0; d < w->rank - 2; d++)
    if (a->dims[d] != w->dims[d]) return false;
  return true;
}

static kn_status set_attrs(ir_graph *g, ir_node *n, const att_match *m, bool causal, const ir_att_layout lay[4]) {
  static const char *const names[4] = {"q_layout", "k_layout", "v_layout", "y_layout"};
  KN_TRY(ir_attr_set_int(g, n, "num_heads", m->H));
  KN_TRY(ir_attr_set_float(g, n, "scale", (float)m->scale));
  if (causal) KN_TRY(ir_attr_set_int(g, n, "causal", 1));
  for (int i = 0; i < 4; i++) {
    const char *s = ir_att_layout_names[lay[i]];
    KN_TRY(ir_attr_set_string(g, n, names[i], s, strlen(s)));
  }
  return KN_OK;
}

/* Tries the attention ending in Softmax node sm; *fused when it was rewritten. */
static kn_status try_fuse(att_match *m, ir_node *sm, bool *fused) {
  ir_graph *g = m->g;
  *fused = false;
  m->nd = 0;
  m->scale = 1.0;
  const ir_id x = sm->in[0], p = sm->out[0];
  const ir_type *xt = ir_vtype(g, x);
  if (xt->dtype != KN_F32 || !ir_type_is_concrete(xt) || (xt->rank != 3 && xt->rank != 4)) return KN_OK;
  const int64_t axis = ir_op_axis(sm);
  if (axis != -1 && axis != xt->rank - 1) return KN_OK;
  /* Softmax -> MatMul(P, V') */
  if (!pat_fusable(g, m->uses, p) || m->user[p] == IR_NONE) return KN_OK;
  ir_node *pv = &g->nodes[m->user[p]];
  kill(m, sm);
  /* or MatMul(V'', Transpose(P)) on V'' [.., Dv, T], giving Y [.., Dv, S] (GLIDE's QKVAttention) */
  const bool vt_form = pv->op == IR_OP_Transpose;
  if (vt_form) {
    static const int64_t p0132[4] = {0, 1, 3, 2}, p021[3] = {0, 2, 1};
    if (!(xt->rank == 4 ? perm_is(pv, p0132, 4) : perm_is(pv, p021, 3))) return KN_OK;
    kill(m, pv);
    const ir_id pt = pv->out[0];
    if (!pat_fusable(g, m->uses, pt) || m->user[pt] == IR_NONE) return KN_OK;
    pv = &g->nodes[m->user[pt]];
    if (pv->op != IR_OP_MatMul || pv->in[1] != pt || pv->in[0] == pt) return KN_OK;
  } else if (pv->op != IR_OP_MatMul || pv->in[0] != p || pv->in[1] == p) {
    return KN_OK;
  }
  kill(m, pv);
  /* [Add mask] <- [scale] <- MatMul(Q', K'^T); the mask is the Add's
   * operand that does not lead to the MatMul */
  ir_id s = IR_NONE, mask = IR_NONE;
  ir_node *qk = NULL, *add = NULL;
  m->window = false;
  if ((s = window_mask(m, x, xt)) != IR_NONE) {
    s = peel_scale(m, s);
    qk = consume(m, s, IR_OP_MatMul);
  } else if ((add = consume(m, x, IR_OP_Add)) != NULL) {
    kill(m, add);
    for (int i = 0; i < 2 && !qk; i++) {
      const int nd = m->nd;
      const double scale = m->scale;
      s = peel_scale(m, add->in[i]);
      qk = consume(m, s, IR_OP_MatMul);
      if (qk && mask_fits(ir_vtype(g, add->in[1 - i]), xt)) mask = add->in[1 - i];
      else qk = NULL, m->nd = nd, m->scale = scale;
    }
  } else {
    s = peel_scale(m, x);
    qk = consume(m, s, IR_OP_MatMul);
  }
  if (!qk || qk->in[0] == qk->in[1]) return KN_OK;
  kill(m, qk);
  const ir_type *w = ir_vtype(g, s);
  if (w->rank != xt->rank || memcmp(w->dims, xt->dims, sizeof(int64_t) * (size_t)w->rank) != 0) return KN_OK;
  m->rank = w->rank;
  m->B = w->rank == 4 ? w->dims[0] : 1;
  m->H = w->rank == 4 ? w->dims[1] : w->dims[0];
  const int64_t S = w->dims[w->rank - 2], T = w->dims[w->rank - 1];
  const ir_type *qt = ir_vtype(g, qk->in[0]), *ktt = ir_vtype(g, qk->in[1]), *vt = ir_vtype(g, pv->in[vt_form ? 0 : 1]);
  if (!ir_type_is_concrete(qt) || !ir_type_is_concrete(ktt) || !ir_type_is_concrete(vt) || !same_batch(qt, w) ||
      !same_batch(ktt, w) || !same_batch(vt, w) || qt->dtype != KN_F32 || ktt->dtype != KN_F32 || vt->dtype != KN_F32)
    return KN_OK;
  ir_att_layout lay[4];
  ir_id in[4];
  in[0] = heads_source(m, qk->in[0], &lay[0]);
  in[1] = keys_source(m, qk->in[1], &lay[1]);
  if (vt_form) { /* V'' is V transposed: bhds, or bhsd when it was transposed for the occasion */
    ir_node *sw = swap_last2(m, pv->in[0]);
    in[2] = sw ? sw->in[0] : pv->in[0];
    lay[2] = sw ? IR_ATT_BHSD : IR_ATT_BHDS;
  } else {
    in[2] = heads_source(m, pv->in[1], &lay[2]);
  }
  /* the output: MatMul, or on through Transpose(0,2,1,3) + Reshape to [B, S, H*Dv] */
  ir_node *fin = pv;
  lay[3] = vt_form ? IR_ATT_BHDS : IR_ATT_BHSD;
  const ir_id o = pv->out[0];
  static const int64_t p0213[4] = {0, 2, 1, 3};
  if (!vt_form && m->rank == 4 && pat_fusable(g, m->uses, o) && m->user[o] != IR_NONE) {
    ir_node *t = &g->nodes[m->user[o]];
    const ir_id to = t->out[0];
    if (t->op == IR_OP_Transpose && perm_is(t, p0213, 4) && pat_fusable(g, m->uses, to) && m->user[to] != IR_NONE) {
      ir_node *r = &g->nodes[m->user[to]];
      const ir_type *ot = ir_vtype(g, o), *rt = ir_vtype(g, r->out[0]);
      if (r->op == IR_OP_Reshape && r->in[0] == to && ir_type_is_concrete(rt) && rt->rank == 3 &&
          rt->dims[0] == ot->dims[0] && rt->dims[1] == ot->dims[2] && rt->dims[2] == ot->dims[1] * ot->dims[3] &&
          kill(m, t) && kill(m, r)) {
        fin = r;
        lay[3] = IR_ATT_BSHD;
      }
    }
  }
  bool causal = false;
  if (mask != IR_NONE && causal_mask(g, mask, S, T)) causal = true, mask = IR_NONE;
  in[3] = mask;
  /* commit: the last node becomes the Attention, the rest die */
  const ir_type want = *ir_vtype(g, fin->out[0]);
  if (m->window) {
    const int64_t wdims[4] = {xt->dims[0], xt->dims[1], xt->dims[2], xt->dims[3]};
    if ((in[3] = mask = make_window_mask(m, wdims)) == IR_NONE)
      return kn_fail(g->ctx, KN_ENOMEM, "out of memory making the window mask of %s", fin->name);
  }
  for (int i = 0; i < m->nd; i++)
    if (m->dead[i] != fin) m->dead[i]->dead = true;
  KN_TRY(pat_rewrite(g, fin, IR_OP_Attention, mask != IR_NONE ? 4 : 3, in));
  KN_TRY(set_attrs(g, fin, m, causal, lay));
  const ir_type *ins[4];
  for (int i = 0; i < fin->nin; i++) ins[i] = ir_vtype(g, fin->in[i]);
  ir_type got;
  KN_TRY(ir_infer_node(g->ctx, g, fin, ins, NULL, &got));
  if (got.rank != want.rank || memcmp(got.dims, want.dims, sizeof(int64_t) * (size_t)want.rank) != 0)
    return kn_fail(g->ctx, KN_EINTERNAL, "node %s: the fused Attention's output shape differs from the pattern's",
                   fin->name);
  for (int i = 0; i < fin->nin; i++)
    if (fin->in[i] < m->nuser) m->user[fin->in[i]] = (int32_t)(fin - g->nodes);
  *fused = true;
  return KN_OK;
}

kn_status pass_run_fuse_attention(ir_graph *g, pass_result *r) {
  int32_t *uses = pass_use_counts(g);
  int32_t *user = malloc(sizeof *user * (size_t)(g->nvalues > 0 ? g->nvalues : 1));
  kn_status st = KN_OK;
  if (!uses || !user) st = kn_fail(g->ctx, KN_ENOMEM, "out of memory in fuse-attention");
  /* user[v]: a live node that reads v (the only one where uses[v] == 1) */
  for (int32_t v = 0; st == KN_OK && v < g->nvalues; v++) user[v] = IR_NONE;
  for (int32_t i = 0; st == KN_OK && i < g->nnodes; i++)
    for (int j = 0; !g->nodes[i].dead && j < g->nodes[i].nin; j++)
      if (g->nodes[i].in[j] != IR_NONE) user[g->nodes[i].in[j]] = i;
  att_match m = {.g = g, .uses = uses, .user = user, .nuser = g->nvalues};
  for (int32_t i = 0; st == KN_OK && i < g->nnodes; i++) {
    ir_node *n = &g->nodes[i];
    if (n->dead || n->op != IR_OP_Softmax || n->nin != 1 || n->nout != 1) continue;
    bool fused;
    st = try_fuse(&m, n, &fused);
    if (st == KN_OK && fused) r->changed++;
  }
  free(uses);
  free(user);
  return st;
}
