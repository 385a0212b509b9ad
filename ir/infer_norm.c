/* ir_infer_norm.c: shape/dtype inference for the NORM family (normalizations,
 * softmax-like ops, losses, Det). Most of these ops return their first
 * input's type; the functions here exist for the ones whose extra outputs
 * (BatchNormalization's running stats, LayerNormalization's Mean/InvStdDev,
 * SoftmaxCrossEntropyLoss's log_prob) or reductions (losses, Det) change the
 * shape, and to reject bad attributes and parameter shapes at compile time
 * rather than inside a kernel. A dim is only compared when both sides are
 * known: symbolic dims are checked again by the executor with real shapes. */
#include "ir.h"
#include <string.h>

/* validators that ops.def may route ops to (not yet referenced there) */
kn_status ir_infer_batch_norm(ir_infer_ctx *c);
kn_status ir_infer_channel_norm(ir_infer_ctx *c);
kn_status ir_infer_softmax(ir_infer_ctx *c);
kn_status ir_infer_lrn(ir_infer_ctx *c);
kn_status ir_infer_mvn(ir_infer_ctx *c);

static bool dims_conflict(int64_t a, int64_t b) { return a >= 0 && b >= 0 && a != b; }

static kn_status need_float(ir_infer_ctx *c, int i) {
  if (!kn_dtype_is_float(c->in[i]->dtype))
    return ir_infer_fail(c, KN_ETYPE, "input %d must be a float tensor, got %s", i,
                         kn_dtype_name(c->in[i]->dtype));
  return KN_OK;
}

/* Optional input i must be a 1-D float tensor of length n (n < 0: unknown). */
static kn_status need_vector(ir_infer_ctx *c, int i, int64_t n, const char *what) {
  if (i >= c->nin || !c->in[i]) return KN_OK;
  const ir_type *t = c->in[i];
  KN_TRY(need_float(c, i));
  if (t->rank < 0) return KN_OK;
  if (t->rank != 1)
    return ir_infer_fail(c, KN_ESHAPE, "%s (input %d) must be 1-D, got rank %d", what, i, t->rank);
  if (dims_conflict(t->dims[0], n))
    return ir_infer_fail(c, KN_ESHAPE, "%s (input %d) has %lld entries, expected %lld", what, i,
                         (long long)t->dims[0], (long long)n);
  return KN_OK;
}

/* X (N, C, ...) as first input: float, rank >= 2 (rank 1 is accepted as (N) with C = 1
 * only by BatchNormalization, which the ONNX spec lets take (N)). */
static kn_status need_nc(ir_infer_ctx *c, int min_rank, int64_t *ch) {
  KN_TRY(ir_infer_need_rank(c, 0));
  KN_TRY(need_float(c, 0));
  if (c->in[0]->rank < min_rank)
    return ir_infer_fail(c, KN_ESHAPE, "input must have rank >= %d, got %d", min_rank, c->in[0]->rank);
  *ch = c->in[0]->rank >= 2 ? c->in[0]->dims[1] : 1;
  return KN_OK;
}

kn_status ir_infer_batch_norm(ir_infer_ctx *c) {
  int64_t ch;
  KN_TRY(need_nc(c, 1, &ch));
  static const char *names[] = {"", "scale", "B", "input_mean", "input_var"};
  for (int i = 1; i < 5 && i < c->nin; i++) KN_TRY(need_vector(c, i, ch, names[i]));
  float eps = ir_norm_epsilon(c->node);
  if (!(eps >= 0)) return ir_infer_fail(c, KN_EINVAL, "epsilon must be >= 0");
  c->out[0] = *c->in[0];
  /* running_mean / running_var (training) have the statistics' type */
  for (int k = 1; k < c->nout && k < 3; k++) {
    const ir_type *src = c->nin > k + 2 ? c->in[k + 2] : NULL;
    if (!src) return ir_infer_fail(c, KN_EINVAL, "input %d is missing", k + 2);
    c->out[k] = *src;
    if (c->out[k].rank < 0) {
      c->out[k].rank = 1;
      c->out[k].dims[0] = ch;
    }
  }
  return KN_OK;
}

/* InstanceNormalization and GroupNormalization: X (N, C, ...), scale, bias. */
kn_status ir_infer_channel_norm(ir_infer_ctx *c) {
  int64_t ch;
  KN_TRY(need_nc(c, 2, &ch));
  if (c->node->op == IR_OP_GroupNormalization) {
    int64_t groups = ir_attr_int(c->node, "num_groups", 0);
    if (groups <= 0) return ir_infer_fail(c, KN_EINVAL, "num_groups must be > 0, got %lld", (long long)groups);
    if (ch >= 0 && ch % groups != 0)
      return ir_infer_fail(c, KN_ESHAPE, "%lld channels do not split into %lld groups", (long long)ch,
                           (long long)groups);
    /* opset 18 takes per-group scale/bias, opset 21 per-channel: either length */
    for (int i = 1; i < 3; i++) {
      const ir_type *t = c->in[i];
      KN_TRY(need_vector(c, i, -1, i == 1 ? "scale" : "bias"));
      if (t->rank == 1 && t->dims[0] >= 0 && t->dims[0] != groups && dims_conflict(t->dims[0], ch))
        return ir_infer_fail(c, KN_ESHAPE, "input %d has %lld entries, expected %lld groups or %lld channels",
                             i, (long long)t->dims[0], (long long)groups, (long long)ch);
    }
  } else {
    KN_TRY(need_vector(c, 1, ch, "scale"));
    KN_TRY(need_vector(c, 2, ch, "B"));
  }
  c->out[0] = *c->in[0];
  return KN_OK;
}

/* Softmax, LogSoftmax, Hardmax, LpNormalization: same type, valid axis. */
kn_status ir_infer_softmax(ir_infer_ctx *c) {
  KN_TRY(ir_infer_need_rank(c, 0));
  KN_TRY(need_float(c, 0));
  bool legacy = ir_attr_int(c->node, "legacy_coerce_2d", 0) != 0;
  int rank = c->in[0]->rank, axis;
  int64_t a = ir_op_axis(c->node);
  /* the pre-13 form coerces to 2-D at axis, so axis == rank (empty tail) is legal */
  if (legacy && (a == rank || (rank == 0 && a == 1))) axis = rank;
  else KN_TRY(ir_infer_axis(c, a, rank, &axis));
  if (c->node->op == IR_OP_LpNormalization) {
    int64_t p = ir_attr_i(c->node, "p");
    if (p != 1 && p != 2) return ir_infer_fail(c, KN_EINVAL, "p must be 1 or 2, got %lld", (long long)p);
  }
  c->out[0] = *c->in[0];
  return KN_OK;
}

kn_status ir_infer_lrn(ir_infer_ctx *c) {
  int64_t ch;
  KN_TRY(need_nc(c, 2, &ch));
  int64_t size = ir_attr_int(c->node, "size", 0);
  if (size <= 0) return ir_infer_fail(c, KN_EINVAL, "size must be > 0, got %lld", (long long)size);
  c->out[0] = *c->in[0];
  return KN_OK;
}

kn_status ir_infer_mvn(ir_infer_ctx *c) {
  KN_TRY(ir_infer_need_rank(c, 0));
  KN_TRY(need_float(c, 0));
  const ir_attr *ax = ir_attr_get(c->node, "axes");
  int rank = c->in[0]->rank;
  if (ax && ax->kind != IR_ATTR_INTS) return ir_infer_fail(c, KN_EINVAL, "axes must be a list of ints");
  if (ax) {
    for (int i = 0; i < ax->n; i++) {
      int a;
      KN_TRY(ir_infer_axis(c, ax->ints[i], rank, &a));
    }
  } else if (rank < 4) {
    return ir_infer_fail(c, KN_ESHAPE, "default axes [0, 2, 3] need rank >= 4, got %d", rank);
  }
  c->out[0] = *c->in[0];
  return KN_OK;
}

kn_status ir_infer_layer_norm(ir_infer_ctx *c) {
  KN_TRY(ir_infer_need_rank(c, 0));
  KN_TRY(need_float(c, 0));
  const ir_type *x = c->in[0];
  if (x->rank < 1) return ir_infer_fail(c, KN_ESHAPE, "input must have rank >= 1");
  int axis;
  KN_TRY(ir_infer_axis(c, ir_op_axis(c->node), x->rank, &axis));
  int64_t stash = ir_attr_i(c->node, "stash_type");
  if (stash <= 0 || stash >= KN_DTYPE_END || !kn_dtype_is_float((int)stash))
    return ir_infer_fail(c, KN_EINVAL, "stash_type %lld is not a float dtype", (long long)stash);
  /* Scale and B broadcast onto the normalized dims x[axis:] */
  for (int i = 1; i < 3 && i < c->nin; i++) {
    const ir_type *t = c->in[i];
    if (!t) continue;
    if (t->dtype != x->dtype)
      return ir_infer_fail(c, KN_ETYPE, "input %d is %s but X is %s", i, kn_dtype_name(t->dtype),
                           kn_dtype_name(x->dtype));
    if (t->rank < 0) continue;
    for (int d = 0; d < t->rank; d++) {
      int xd = x->rank - t->rank + d;
      int64_t td = t->dims[d];
      if (td == 1) continue;
      if (xd < axis)
        return ir_infer_fail(c, KN_ESHAPE, "input %d (rank %d) varies along dims before axis %d", i,
                             t->rank, axis);
      if (dims_conflict(td, x->dims[xd]))
        return ir_infer_fail(c, KN_ESHAPE, "input %d dim %d is %lld, X dim %d is %lld", i, d,
                             (long long)td, xd, (long long)x->dims[xd]);
    }
  }
  c->out[0] = *x;
  for (int k = 1; k < c->nout && k < 3; k++) {
    c->out[k] = *x;
    c->out[k].dtype = (int32_t)stash;
    for (int d = axis; d < x->rank; d++) c->out[k].dims[d] = 1;
  }
  return KN_OK;
}

/* Shared by the two losses: input (N, C, d1..dk), target (N, d1..dk) int,
 * weight (C). Output 0 is the loss: target-shaped for reduction none, else a scalar. */
static kn_status ir_infer_loss(ir_infer_ctx *c) {
  KN_TRY(ir_infer_need_rank(c, 0));
  KN_TRY(need_float(c, 0));
  const ir_type *x = c->in[0], *t = c->in[1];
  if (x->rank < 2) return ir_infer_fail(c, KN_ESHAPE, "input must have rank >= 2, got %d", x->rank);
  if (t->dtype != KN_I64 && t->dtype != KN_I32)
    return ir_infer_fail(c, KN_ETYPE, "target must be int32 or int64, got %s", kn_dtype_name(t->dtype));
  /* an untyped target's shape follows from the input's: (N, d1..dk) */
  ir_type tt = *t;
  if (tt.rank < 0) {
    tt.rank = x->rank - 1;
    for (int d = 0; d < tt.rank; d++) tt.dims[d] = x->dims[d == 0 ? 0 : d + 1];
  }
  t = &tt;
  if (t->rank != x->rank - 1)
    return ir_infer_fail(c, KN_ESHAPE, "target rank %d does not match input rank %d (expected %d)",
                         t->rank, x->rank, x->rank - 1);
  for (int d = 0; d < t->rank; d++)
    if (dims_conflict(t->dims[d], x->dims[d == 0 ? 0 : d + 1]))
      return ir_infer_fail(c, KN_ESHAPE, "target dim %d is %lld but input dim %d is %lld", d,
                           (long long)t->dims[d], d == 0 ? 0 : d + 1, (long long)x->dims[d == 0 ? 0 : d + 1]);
  if (c->nin > 2 && c->in[2]) {
    KN_TRY(need_vector(c, 2, x->dims[1], "weight"));
    if (c->in[2]->dtype != x->dtype)
      return ir_infer_fail(c, KN_ETYPE, "weight is %s but input is %s", kn_dtype_name(c->in[2]->dtype),
                           kn_dtype_name(x->dtype));
  }
  const char *red = ir_attr_s(c->node, "reduction");
  memset(&c->out[0], 0, sizeof c->out[0]);
  c->out[0].dtype = x->dtype;
  if (strcmp(red, "none") == 0) {
    c->out[0].rank = t->rank;
    memcpy(c->out[0].dims, t->dims, sizeof t->dims[0] * (size_t)t->rank);
    /* prefer the input's dim where the target's is symbolic */
    for (int d = 0; d < t->rank; d++)
      if (t->dims[d] < 0 && x->dims[d == 0 ? 0 : d + 1] >= 0) c->out[0].dims[d] = x->dims[d == 0 ? 0 : d + 1];
  } else if (strcmp(red, "sum") == 0 || strcmp(red, "mean") == 0) {
    c->out[0].rank = 0;
  } else {
    return ir_infer_fail(c, KN_EINVAL, "reduction must be none, sum or mean, got '%s'", red);
  }
  return KN_OK;
}

kn_status ir_infer_nll_loss(ir_infer_ctx *c) { return ir_infer_loss(c); }

kn_status ir_infer_sce_loss(ir_infer_ctx *c) {
  KN_TRY(ir_infer_loss(c));
  if (c->nout > 1) c->out[1] = *c->in[0]; /* log_prob */
  return KN_OK;
}

kn_status ir_infer_det(ir_infer_ctx *c) {
  KN_TRY(ir_infer_need_rank(c, 0));
  KN_TRY(need_float(c, 0));
  const ir_type *x = c->in[0];
  if (x->rank < 2) return ir_infer_fail(c, KN_ESHAPE, "input must have rank >= 2, got %d", x->rank);
  if (dims_conflict(x->dims[x->rank - 1], x->dims[x->rank - 2]))
    return ir_infer_fail(c, KN_ESHAPE, "matrices must be square, got %lld x %lld",
                         (long long)x->dims[x->rank - 2], (long long)x->dims[x->rank - 1]);
  c->out[0] = *x;
  c->out[0].rank = x->rank - 2;
  return KN_OK;
}
