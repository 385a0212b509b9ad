/* infer_attention.c: shape inference and geometry of Attention, the node that
 * scaled-dot-product attention becomes (passes/fuse_attention.c):
 *   Y = softmax(Q K^T * scale + mask) V, per batch b and head h,
 * with the causal flag leaving out keys t > s. Each of Q, K, V and Y names its
 * layout (ir.h: bshd, bhsd, bhds), so the node reads the projections where the
 * exporter's head Reshape/Transpose found them and writes Y where the
 * Transpose/Reshape after it would have put it. One function reads the
 * operands' dims for both jobs: inference (symbolic dims allowed: a head dim
 * that cannot be divided out stays unknown) and the executors' geometry
 * (concrete dims: element strides of every operand and of the mask). */
#include "ir.h"
#include <string.h>

const char *const ir_att_layout_names[IR_ATT_NLAYOUTS] = {"bshd", "bhsd", "bhds"};

#define UNK INT64_MIN /* a dim inference cannot tell */

typedef struct att_opnd {
  int64_t b, h, l, e; /* batch, heads, sequence (rows), head dim */
} att_opnd;

typedef struct att_shape {
  kn_ctx *kn;
  const ir_node *n;
  int64_t H;
  ir_att_layout lay[4]; /* q, k, v, y */
  att_opnd o[3];
} att_shape;

static const char *const opnd_names[4] = {"Q", "K", "V", "Y"};
static const char *const layout_attrs[4] = {"q_layout", "k_layout", "v_layout", "y_layout"};

static kn_status att_fail(const att_shape *a, kn_status st, const char *what, const char *detail, int64_t x,
                          int64_t y) {
  return kn_fail(a->kn, st, "node %s (Attention): %s %s (%lld vs %lld)", a->n->name, what, detail, (long long)x,
                 (long long)y);
}

static int64_t div_dim(int64_t x, int64_t h) { return x >= 0 && x % h == 0 ? x / h : UNK; }

static bool known(int64_t d) { return d >= 0; }

static kn_status read_layouts(att_shape *a) {
  a->H = ir_attr_int(a->n, "num_heads", 0);
  if (a->H < 1) return kn_fail(a->kn, KN_EINVAL, "node %s (Attention): needs num_heads >= 1", a->n->name);
  for (int i = 0; i < 4; i++) {
    const char *s = ir_attr_str(a->n, layout_attrs[i], "bhsd");
    int l = 0;
    while (l < IR_ATT_NLAYOUTS && strcmp(s, ir_att_layout_names[l]) != 0) l++;
    if (l == IR_ATT_NLAYOUTS)
      return kn_fail(a->kn, KN_EINVAL, "node %s (Attention): %s '%s' is not bshd, bhsd or bhds", a->n->name,
                     layout_attrs[i], s);
    a->lay[i] = (ir_att_layout)l;
  }
  return KN_OK;
}

/* The (b, h, l, e) dims of operand i. */
static kn_status read_operand(att_shape *a, int i, const ir_type *t) {
  att_opnd *o = &a->o[i];
  const ir_att_layout lay = a->lay[i];
  const int r = t->rank;
  if (r != 3 && (r != 4 || lay == IR_ATT_BSHD))
    return kn_fail(a->kn, KN_ESHAPE, "node %s (Attention): %s has rank %d, which layout %s does not take",
                   a->n->name, opnd_names[i], r, ir_att_layout_names[lay]);
  if (lay == IR_ATT_BSHD) {
    *o = (att_opnd){t->dims[0], a->H, t->dims[1], div_dim(t->dims[2], a->H)};
    if (known(t->dims[2]) && !known(o->e)) return att_fail(a, KN_ESHAPE, opnd_names[i], "last dim is not num_heads * head dim", t->dims[2], a->H);
    return KN_OK;
  }
  o->b = r == 4 ? t->dims[0] : div_dim(t->dims[0], a->H);
  o->h = r == 4 ? t->dims[1] : a->H;
  if (r == 3 && known(t->dims[0]) && !known(o->b))
    return att_fail(a, KN_ESHAPE, opnd_names[i], "dim 0 is not batch * num_heads", t->dims[0], a->H);
  o->l = t->dims[lay == IR_ATT_BHSD ? r - 2 : r - 1];
  o->e = t->dims[lay == IR_ATT_BHSD ? r - 1 : r - 2];
  return KN_OK;
}

/* x and y agree, as far as inference can tell */
static kn_status agree(const att_shape *a, const char *what, int64_t x, int64_t y) {
  if (known(x) && known(y) && x != y) return att_fail(a, KN_ESHAPE, what, "differ", x, y);
  return KN_OK;
}

static kn_status read_all(att_shape *a, const ir_type *const *in) {
  KN_TRY(read_layouts(a));
  for (int i = 0; i < 3; i++) KN_TRY(read_operand(a, i, in[i]));
  for (int i = 0; i < 3; i++) KN_TRY(agree(a, "the heads of an operand and num_heads", a->o[i].h, a->H));
  KN_TRY(agree(a, "the batch of Q and K", a->o[0].b, a->o[1].b));
  KN_TRY(agree(a, "the batch of Q and V", a->o[0].b, a->o[2].b));
  KN_TRY(agree(a, "the head dims of Q and K", a->o[0].e, a->o[1].e));
  KN_TRY(agree(a, "the sequences of K and V", a->o[1].l, a->o[2].l));
  return KN_OK;
}

/* Element strides of an operand whose rows have len elements of width e. */
static void layout_strides(ir_att_layout lay, int64_t H, int64_t len, int64_t e, int64_t st[4]) {
  switch (lay) {
  case IR_ATT_BSHD: st[0] = len * H * e, st[1] = e, st[2] = H * e, st[3] = 1; break;
  case IR_ATT_BHSD: st[0] = H * len * e, st[1] = len * e, st[2] = e, st[3] = 1; break;
  default: st[0] = H * e * len, st[1] = e * len, st[2] = 1, st[3] = len; break;
  }
}

/* Mask strides over (b, h, s, t): numpy broadcasting, right-aligned. */
static kn_status mask_strides(const att_shape *a, const ir_type *m, const int64_t want[4], int64_t st[4]) {
  if (m->rank > 4)
    return kn_fail(a->kn, KN_ESHAPE, "node %s (Attention): the mask has rank %d (at most 4)", a->n->name, m->rank);
  int64_t run = 1;
  for (int d = 3; d >= 0; d--) {
    int md = m->rank - 4 + d;
    int64_t len = md >= 0 ? m->dims[md] : 1;
    if (len != 1 && len != want[d]) return att_fail(a, KN_ESHAPE, "the mask", "does not broadcast to [B, H, S, T]", len, want[d]);
    st[d] = len == 1 ? 0 : run;
    run *= len;
  }
  return KN_OK;
}

kn_status ir_attention_geo(kn_ctx *kn, const ir_node *n, const ir_type *q, const ir_type *k, const ir_type *v,
                           const ir_type *mask, ir_att_geo *g) {
  att_shape a = {.kn = kn, .n = n};
  const ir_type *in[3] = {q, k, v};
  for (int i = 0; i < 3; i++)
    if (!ir_type_is_concrete(in[i]))
      return kn_fail(kn, KN_ESHAPE, "node %s (Attention): %s needs a concrete shape", n->name, opnd_names[i]);
  if (mask && !ir_type_is_concrete(mask))
    return kn_fail(kn, KN_ESHAPE, "node %s (Attention): the mask needs a concrete shape", n->name);
  KN_TRY(read_all(&a, in));
  memset(g, 0, sizeof *g);
  g->B = a.o[0].b, g->H = a.H, g->S = a.o[0].l, g->T = a.o[1].l, g->D = a.o[0].e, g->Dv = a.o[2].e;
  g->scale = ir_attr_float(n, "scale", 1.0f);
  g->causal = ir_attr_int(n, "causal", 0) != 0;
  layout_strides(a.lay[0], g->H, g->S, g->D, g->q);
  layout_strides(a.lay[1], g->H, g->T, g->D, g->k);
  layout_strides(a.lay[2], g->H, g->T, g->Dv, g->v);
  layout_strides(a.lay[3], g->H, g->S, g->Dv, g->y);
  g->has_mask = mask != NULL;
  if (mask) {
    const int64_t want[4] = {g->B, g->H, g->S, g->T};
    KN_TRY(mask_strides(&a, mask, want, g->m));
  }
  return KN_OK;
}

kn_status ir_infer_attention(ir_infer_ctx *c) {
  for (int i = 0; i < 3; i++) KN_TRY(ir_infer_need_rank(c, i));
  const ir_type *mask = c->nin > 3 ? c->in[3] : NULL;
  for (int i = 0; i < c->nin; i++)
    if (c->in[i] && c->in[i]->dtype != KN_F32)
      return ir_infer_fail(c, KN_ETYPE, "input %d is %s; Attention takes f32", i, kn_dtype_name(c->in[i]->dtype));
  att_shape a = {.kn = c->kn, .n = c->node};
  KN_TRY(read_all(&a, c->in));
  if (mask && mask->rank > 4) return ir_infer_fail(c, KN_ESHAPE, "the mask has rank %d (at most 4)", mask->rank);
  const att_opnd *qo = &a.o[0], *vo = &a.o[2];
  const ir_type *q = c->in[0], *v = c->in[2];
  /* H * Dv: from Dv, or V's own last dim when V is in the same layout */
  int64_t hdv = known(vo->e) ? a.H * vo->e : a.lay[2] == IR_ATT_BSHD ? v->dims[2] : UNK;
  ir_type y = {.dtype = KN_F32};
  if (a.lay[3] == IR_ATT_BSHD) {
    y.rank = 3;
    y.dims[0] = qo->b, y.dims[1] = qo->l, y.dims[2] = hdv;
  } else {
    /* head-major Y keeps a rank-3 head-major Q's [B*H, ..] form */
    const bool flat = a.lay[0] != IR_ATT_BSHD && q->rank == 3;
    int r = 0;
    if (flat) y.dims[r++] = q->dims[0];
    else y.dims[r++] = qo->b, y.dims[r++] = a.H;
    y.dims[r++] = a.lay[3] == IR_ATT_BHSD ? qo->l : vo->e;
    y.dims[r++] = a.lay[3] == IR_ATT_BHSD ? vo->e : qo->l;
    y.rank = r;
  }
  for (int d = 0; d < y.rank; d++)
    if (y.dims[d] == UNK) y.dims[d] = ir_infer_unknown_dim(c);
  if (ir_type_is_concrete(q) && ir_type_is_concrete(c->in[1]) && ir_type_is_concrete(v) &&
      (!mask || ir_type_is_concrete(mask))) {
    ir_att_geo g; /* concrete: the executors' checks, now */
    KN_TRY(ir_attention_geo(c->kn, c->node, q, c->in[1], v, mask, &g));
  }
  c->out[0] = y;
  return KN_OK;
}
