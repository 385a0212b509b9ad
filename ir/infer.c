/* infer.c: the shape/dtype inference driver and the helpers every op's infer
 * function uses. The same per-op functions serve two callers: static inference
 * over the graph (symbolic dims, constants known only for initializers) and
 * the executor, which calls them with concrete shapes and all input values, so
 * output shapes are computed by one piece of code per op. */
#include "ir.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const ir_infer_fn ir_infer_table[IR_OP_COUNT] = {
#define OP(name, dom, since, form, pat, lower, mi, ma, mo, mao, inf) inf,
#include "ops.def"
#undef OP
};

kn_status ir_infer_fail(ir_infer_ctx *c, kn_status st, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  kn_status r = ir_node_failv(c->kn, c->node, st, fmt, ap);
  va_end(ap);
  return r;
}

int64_t ir_infer_unknown_dim(ir_infer_ctx *c) {
  int32_t s = ir_sym_get(c->g, NULL);
  return s < 0 ? IR_SYM(0) : IR_SYM(s);
}

kn_status ir_infer_axis(ir_infer_ctx *c, int64_t axis, int rank, int *out) {
  if (axis < -rank || axis >= rank || (rank == 0 && axis != 0 && axis != -1))
    return ir_infer_fail(c, KN_EINVAL, "axis %lld is out of range for rank %d", (long long)axis, rank);
  *out = (int)(axis < 0 ? axis + rank : axis);
  return KN_OK;
}

kn_status ir_infer_need_rank(ir_infer_ctx *c, int i) {
  if (i >= c->nin || !c->in[i]) return ir_infer_fail(c, KN_EINVAL, "input %d is missing", i);
  if (c->in[i]->rank < 0) return ir_infer_fail(c, KN_EUNSUPPORTED, "input %d has unknown rank", i);
  return KN_OK;
}

int ir_infer_const_ints(ir_infer_ctx *c, int i, int64_t *v, int max) {
  if (i >= c->nin || !c->val[i]) return -1;
  const kn_tensor *t = c->val[i];
  int64_t n = kn_tensor_numel(t);
  if (n < 0 || n > max) return -1;
  for (int64_t k = 0; k < n; k++) v[k] = kn_tensor_get_i64(t, k);
  return (int)n;
}

kn_status ir_broadcast_dims(ir_infer_ctx *c, const ir_type *a, const ir_type *b, ir_type *out) {
  if (a->rank < 0 || b->rank < 0) {
    out->rank = IR_RANK_UNKNOWN;
    return KN_OK;
  }
  int r = a->rank > b->rank ? a->rank : b->rank;
  for (int i = 0; i < r; i++) {
    int ia = i - (r - a->rank), ib = i - (r - b->rank);
    int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1, d;
    if (da == db) d = da;
    else if (da == 1) d = db;
    else if (db == 1) d = da;
    else if (da >= 0 && db >= 0)
      return ir_infer_fail(c, KN_ESHAPE, "shapes cannot broadcast: dim %d is %lld vs %lld", i,
                           (long long)da, (long long)db);
    else if (da >= 0) d = da; /* symbolic must equal the known one (or be 1: unknown) */
    else if (db >= 0) d = db;
    else d = ir_infer_unknown_dim(c);
    out->dims[i] = d;
  }
  out->rank = r;
  return KN_OK;
}

/* ---- generic infer functions shared by many ops ---- */
kn_status ir_infer_unary(ir_infer_ctx *c) {
  KN_TRY(ir_infer_need_rank(c, 0));
  c->out[0] = *c->in[0];
  return KN_OK;
}

kn_status ir_infer_first_input(ir_infer_ctx *c) { return ir_infer_unary(c); }

kn_status ir_infer_unary_bool(ir_infer_ctx *c) {
  KN_TRY(ir_infer_unary(c));
  c->out[0].dtype = KN_BOOL;
  return KN_OK;
}

static kn_status broadcast_all(ir_infer_ctx *c, int32_t dtype) {
  ir_type acc;
  int first = -1;
  for (int i = 0; i < c->nin; i++) {
    if (!c->in[i]) continue;
    if (first < 0) {
      acc = *c->in[i];
      first = i;
      continue;
    }
    ir_type t;
    KN_TRY(ir_broadcast_dims(c, &acc, c->in[i], &t));
    t.dtype = acc.dtype;
    acc = t;
  }
  if (first < 0) return ir_infer_fail(c, KN_EINVAL, "no inputs");
  c->out[0] = acc;
  c->out[0].dtype = dtype ? dtype : c->in[first]->dtype;
  return KN_OK;
}

static kn_status check_same_dtype(ir_infer_ctx *c, int from) {
  int32_t dt = 0;
  for (int i = from; i < c->nin; i++) {
    if (!c->in[i]) continue;
    if (!dt) dt = c->in[i]->dtype;
    else if (c->in[i]->dtype != dt)
      return ir_infer_fail(c, KN_ETYPE, "input %d is %s but input %d is %s", i,
                           kn_dtype_name(c->in[i]->dtype), from, kn_dtype_name(dt));
  }
  return KN_OK;
}

kn_status ir_infer_broadcast(ir_infer_ctx *c) {
  /* Pow and BitShift's exponent may differ in dtype; PRelu slope must match */
  if (c->node->op != IR_OP_Pow) KN_TRY(check_same_dtype(c, 0));
  return broadcast_all(c, 0);
}

kn_status ir_infer_broadcast_bool(ir_infer_ctx *c) {
  KN_TRY(check_same_dtype(c, 0));
  return broadcast_all(c, KN_BOOL);
}

kn_status ir_infer_where(ir_infer_ctx *c) {
  if (c->in[0]->dtype != KN_BOOL)
    return ir_infer_fail(c, KN_ETYPE, "condition must be bool, got %s", kn_dtype_name(c->in[0]->dtype));
  KN_TRY(check_same_dtype(c, 1));
  return broadcast_all(c, c->in[1]->dtype);
}

kn_status ir_infer_cast(ir_infer_ctx *c) {
  KN_TRY(ir_infer_unary(c));
  int64_t to = ir_attr_int(c->node, "to", 0);
  if (to <= 0 || to >= KN_DTYPE_END || kn_dtype_size((int)to) == 0)
    return ir_infer_fail(c, KN_EUNSUPPORTED, "cast to dtype %lld (%s) is not supported", (long long)to,
                         kn_dtype_name((int)to));
  c->out[0].dtype = (int32_t)to;
  return KN_OK;
}

kn_status ir_infer_castlike(ir_infer_ctx *c) {
  KN_TRY(ir_infer_unary(c));
  c->out[0].dtype = c->in[1]->dtype;
  return KN_OK;
}

kn_status ir_infer_dropout(ir_infer_ctx *c) {
  KN_TRY(ir_infer_unary(c));
  if (c->nout > 1) {
    c->out[1] = *c->in[0];
    c->out[1].dtype = KN_BOOL;
  }
  return KN_OK;
}

/* ---- drivers ---- */
kn_status ir_infer_node(kn_ctx *kn, ir_graph *g, const ir_node *n, const ir_type *const *in,
                        const kn_tensor *const *val, ir_type *out) {
  ir_infer_ctx c = {.kn = kn, .g = g, .node = n, .nin = n->nin, .in = in, .val = val, .nout = n->nout, .out = out};
  for (int i = 0; i < n->nout; i++) {
    memset(&out[i], 0, sizeof out[i]);
    out[i].rank = IR_RANK_UNKNOWN;
  }
  const ir_op_info *oi = &ir_op_table[n->op];
  int present = 0;
  for (int i = 0; i < n->nin; i++) present += in[i] != NULL;
  if (n->nin < oi->min_in || n->nin > oi->max_in)
    return ir_infer_fail(&c, KN_EINVAL, "has %d inputs, expected %d..%d", n->nin, oi->min_in, oi->max_in);
  for (int i = 0; i < oi->min_in && i < n->nin; i++)
    if (!in[i] && !(n->op == IR_OP_Loop || n->op == IR_OP_Clip || n->op == IR_OP_Pad))
      return ir_infer_fail(&c, KN_EINVAL, "required input %d is missing", i);
  (void)present;
  return ir_infer_table[n->op](&c);
}

kn_status ir_infer_graph(ir_graph *g) {
  const ir_type *inb[64];
  const kn_tensor *valb[64];
  ir_type outb[64];
  for (int32_t ni = 0; ni < g->nnodes; ni++) {
    ir_node *n = &g->nodes[ni];
    if (n->dead) continue;
    const ir_type **in = inb;
    const kn_tensor **val = valb;
    ir_type *out = outb;
    if (n->nin > 64 || n->nout > 64) {
      in = malloc(sizeof *in * (size_t)n->nin + 1);
      val = malloc(sizeof *val * (size_t)n->nin + 1);
      out = malloc(sizeof *out * (size_t)n->nout + 1);
      if (!in || !val || !out) {
        free(in), free(val), free(out);
        return kn_fail(g->ctx, KN_ENOMEM, "out of memory");
      }
    }
    for (int i = 0; i < n->nin; i++) {
      ir_id v = n->in[i];
      in[i] = v == IR_NONE ? NULL : &g->values[v].type;
      /* an input's default value may be overridden at run time: not a constant */
      val[i] = v == IR_NONE || g->values[v].is_input ? NULL : g->values[v].constant;
      if (in[i] && in[i]->dtype == KN_UNDEF) {
        if (in != inb) free(in), free(val), free(out);
        return kn_fail(g->ctx, KN_EINVAL, "node %s (%s): input '%s' has no type (not produced before use?)",
                       n->name, ir_op_table[n->op].name, g->values[v].name);
      }
    }
    kn_status st = ir_infer_node(g->ctx, g, n, in, val, out);
    if (st == KN_OK)
      for (int k = 0; k < n->nout; k++)
        if (n->out[k] != IR_NONE) g->values[n->out[k]].type = out[k];
    if (in != inb) free(in), free(val), free(out);
    if (st != KN_OK) return st;
  }
  return KN_OK;
}
