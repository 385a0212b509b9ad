/* exec_norm.c: reference-executor adapters for the NORM family. Each adapter
 * turns the ONNX tensor shapes into the (outer, n, inner) or (batch, channels,
 * spatial) views the kernels in k_norm.h take, validates what inference may
 * not have (parameter lengths, target ranges), and calls the f32 or f64
 * kernel. The compute type follows input 0 (f64 stays f64, every other float
 * type runs in f32); any float tensor of another dtype (f16/bf16 data, f32
 * statistics next to f64 data, an f32 stash type for f64 LayerNorm) is
 * converted into a temporary on the way in and back on the way out by
 * norm_open/norm_close, so the kernels only ever see one element type. */
#include "k_norm.h"
#include "ref.h"
#include <string.h>

#define NORM_MAX_IN 5
#define NORM_MAX_OUT 3

typedef struct norm_io {
  int dt; /* compute dtype: KN_F32 or KN_F64 */
  const void *in[NORM_MAX_IN];
  void *out[NORM_MAX_OUT]; /* NULL for an output that is absent or not computed */
  void *tmp_in[NORM_MAX_IN], *tmp_out[NORM_MAX_OUT];
} norm_io;

/* Calls CALL(T, S) with the element type and kernel suffix of io's dtype. */
#define NORM_DISPATCH(io, CALL)                                                                    \
  do {                                                                                             \
    if ((io)->dt == KN_F64) {                                                                      \
      CALL(double, f64);                                                                           \
    } else {                                                                                       \
      CALL(float, f32);                                                                            \
    }                                                                                              \
  } while (0)

static void *norm_convert_in(const kn_tensor *t, int dt) {
  int64_t n = kn_tensor_numel(t);
  void *p = kn_aligned_alloc((size_t)n * kn_dtype_size(dt));
  if (!p) return NULL;
  for (int64_t i = 0; i < n; i++) {
    double v = kn_tensor_get_f64(t, i);
    if (dt == KN_F64) ((double *)p)[i] = v;
    else ((float *)p)[i] = (float)v;
  }
  return p;
}

static kn_status norm_close(ref_ctx *c, norm_io *io, kn_status st) {
  for (int k = 0; k < NORM_MAX_OUT; k++) {
    if (io->tmp_out[k] && st == KN_OK) {
      int64_t n = kn_tensor_numel(&c->out[k]);
      for (int64_t i = 0; i < n; i++)
        kn_tensor_set_f64(&c->out[k], i,
                          io->dt == KN_F64 ? ((double *)io->tmp_out[k])[i] : ((float *)io->tmp_out[k])[i]);
    }
    kn_aligned_free(io->tmp_out[k]);
  }
  for (int i = 0; i < NORM_MAX_IN; i++) kn_aligned_free(io->tmp_in[i]);
  memset(io, 0, sizeof *io);
  return st;
}

/* Maps the float inputs in in_mask and every allocated float output to the
 * compute dtype. Integer inputs (loss targets) are left to the adapter. */
static kn_status norm_open(ref_ctx *c, norm_io *io, unsigned in_mask) {
  memset(io, 0, sizeof *io);
  const kn_tensor *x = c->in[0];
  if (!kn_dtype_is_float(x->dtype)) return ref_unsupported_dtype(c, x->dtype);
  io->dt = x->dtype == KN_F64 ? KN_F64 : KN_F32;
  for (int i = 0; i < c->nin && i < NORM_MAX_IN; i++) {
    const kn_tensor *t = c->in[i];
    if (!(in_mask & (1u << i)) || !t) continue;
    if (!kn_dtype_is_float(t->dtype)) return norm_close(c, io, ref_unsupported_dtype(c, t->dtype));
    if (t->dtype == io->dt) {
      io->in[i] = t->data;
      continue;
    }
    io->in[i] = io->tmp_in[i] = norm_convert_in(t, io->dt);
    if (!io->tmp_in[i]) return norm_close(c, io, ref_fail(c, KN_ENOMEM, "out of memory"));
  }
  for (int k = 0; k < c->nout && k < NORM_MAX_OUT; k++) {
    kn_tensor *t = &c->out[k];
    if (t->rank < 0) return norm_close(c, io, ref_fail(c, KN_EINTERNAL, "output %d has no shape", k));
    if (!t->data || !kn_dtype_is_float(t->dtype)) continue;
    if (t->dtype == io->dt) {
      io->out[k] = t->data;
      continue;
    }
    io->out[k] = io->tmp_out[k] = kn_aligned_alloc((size_t)kn_tensor_numel(t) * kn_dtype_size(io->dt));
    if (!io->tmp_out[k]) return norm_close(c, io, ref_fail(c, KN_ENOMEM, "out of memory"));
  }
  return KN_OK;
}

/* Input i must hold exactly n elements (a per-channel or per-group vector). */
static kn_status need_len(ref_ctx *c, int i, int64_t n, const char *what) {
  if (!c->in[i]) return KN_OK;
  if (kn_tensor_numel(c->in[i]) != n)
    return ref_fail(c, KN_ESHAPE, "%s has %lld elements, expected %lld", what,
                    (long long)kn_tensor_numel(c->in[i]), (long long)n);
  return KN_OK;
}

/* (batch, channels, spatial) view of an (N, C, D1, ...) tensor. */
static kn_status nc_view(ref_ctx *c, int min_rank, int64_t *n, int64_t *ch, int64_t *sp) {
  const kn_tensor *x = c->in[0];
  if (x->rank < min_rank) return ref_fail(c, KN_ESHAPE, "input must have rank >= %d, got %d", min_rank, x->rank);
  *n = x->rank >= 1 ? x->dims[0] : 1;
  *ch = x->rank >= 2 ? x->dims[1] : 1;
  *sp = kn_dims_prod(x->dims, 2, x->rank);
  return KN_OK;
}

/* ---- batch / instance / group normalization ---- */
kn_status ref_exec_BatchNormalization(ref_ctx *c) {
  int64_t n, ch, sp;
  KN_TRY(nc_view(c, 1, &n, &ch, &sp));
  static const char *names[] = {"", "scale", "B", "input_mean", "input_var"};
  for (int i = 1; i < 5; i++) KN_TRY(need_len(c, i, ch, names[i]));
  float eps = ir_norm_epsilon(c->node);
  float momentum = ir_attr_f(c->node, "momentum");
  bool training = ir_attr_i(c->node, "training_mode") != 0;
  /* running_mean/var are [C] like the statistics; they are allocated here when
   * the op's infer function (ir_infer_first_input) left them untyped */
  for (int k = 1; k < c->nout && k < 3; k++)
    if (c->out[k].rank < 0) KN_TRY(ref_alloc_out(c, k, c->in[k + 2]->dtype, 1, &ch));
  norm_io io;
  KN_TRY(norm_open(c, &io, 0x1f));
  if (training) {
    void *scratch = kn_aligned_alloc((size_t)(2 * ch) * kn_dtype_size(io.dt));
    if (!scratch) return norm_close(c, &io, ref_fail(c, KN_ENOMEM, "out of memory"));
#define CALL(T, S)                                                                                 \
  kk_norm_batchnorm_train_##S(io.in[0], io.in[1], io.in[2], io.in[3], io.in[4], io.out[0], io.out[1], \
                              io.out[2], n, ch, sp, eps, momentum, scratch)
    NORM_DISPATCH(&io, CALL);
#undef CALL
    kn_aligned_free(scratch);
  } else {
#define CALL(T, S)                                                                                 \
  kk_norm_batchnorm_##S(io.in[0], io.in[1], io.in[2], io.in[3], io.in[4], io.out[0], n, ch, sp, eps)
    NORM_DISPATCH(&io, CALL);
#undef CALL
    /* outside training the statistics pass through unchanged */
    size_t es = kn_dtype_size(io.dt);
    for (int k = 1; k < 3; k++)
      if (io.out[k]) memcpy(io.out[k], io.in[k + 2], (size_t)ch * es);
  }
  return norm_close(c, &io, KN_OK);
}

kn_status ref_exec_InstanceNormalization(ref_ctx *c) {
  int64_t n, ch, sp;
  KN_TRY(nc_view(c, 2, &n, &ch, &sp));
  KN_TRY(need_len(c, 1, ch, "scale"));
  KN_TRY(need_len(c, 2, ch, "B"));
  float eps = ir_norm_epsilon(c->node);
  norm_io io;
  KN_TRY(norm_open(c, &io, 0x7));
#define CALL(T, S) kk_norm_instancenorm_##S(io.in[0], io.in[1], io.in[2], io.out[0], n, ch, sp, eps)
  NORM_DISPATCH(&io, CALL);
#undef CALL
  return norm_close(c, &io, KN_OK);
}

kn_status ref_exec_GroupNormalization(ref_ctx *c) {
  int64_t n, ch, sp;
  KN_TRY(nc_view(c, 2, &n, &ch, &sp));
  int64_t groups = ir_attr_int(c->node, "num_groups", 0);
  if (groups <= 0 || ch % groups != 0)
    return ref_fail(c, KN_EINVAL, "num_groups %lld must be > 0 and divide the %lld channels", (long long)groups,
                    (long long)ch);
  /* opset 18 gives scale/bias per group, opset 21 per channel: tell by length */
  int64_t len = kn_tensor_numel(c->in[1]);
  int per_channel = len == ch;
  if (len != ch && len != groups)
    return ref_fail(c, KN_ESHAPE, "scale has %lld elements, expected %lld groups or %lld channels",
                    (long long)len, (long long)groups, (long long)ch);
  KN_TRY(need_len(c, 2, len, "bias"));
  float eps = ir_norm_epsilon(c->node);
  norm_io io;
  KN_TRY(norm_open(c, &io, 0x7));
#define CALL(T, S)                                                                                 \
  kk_norm_groupnorm_##S(io.in[0], io.in[1], io.in[2], io.out[0], n, ch, sp, groups, per_channel, eps)
  NORM_DISPATCH(&io, CALL);
#undef CALL
  return norm_close(c, &io, KN_OK);
}

/* ---- layer normalization ---- */

/* Scale/B broadcast onto x's dims[axis:]; returns a contiguous `inner`-element
 * copy in the compute dtype when the tensor does not already have that many
 * elements (NULL *out with KN_OK means "use io->in[i] as is"). */
static kn_status expand_to_inner(ref_ctx *c, const norm_io *io, int i, int axis, int64_t inner, void **out) {
  const kn_tensor *x = c->in[0], *t = c->in[i];
  *out = NULL;
  if (kn_tensor_numel(t) == inner) return KN_OK;
  int r = x->rank - axis;
  int64_t tstride[KN_MAX_RANK], idx[KN_MAX_RANK] = {0}, s = 1;
  for (int d = r - 1; d >= 0; d--) {
    int td = t->rank - r + d;
    int64_t tdim = td >= 0 ? t->dims[td] : 1;
    if (tdim != 1 && tdim != x->dims[axis + d])
      return ref_fail(c, KN_ESHAPE, "input %d does not broadcast onto the normalized dims", i);
    tstride[d] = tdim == 1 ? 0 : s;
    s *= tdim;
  }
  if (s != kn_tensor_numel(t))
    return ref_fail(c, KN_ESHAPE, "input %d varies along dims before axis %d", i, axis);
  size_t es = kn_dtype_size(io->dt);
  char *p = kn_aligned_alloc((size_t)inner * es);
  if (!p) return ref_fail(c, KN_ENOMEM, "out of memory");
  const char *src = io->in[i];
  for (int64_t j = 0; j < inner; j++) {
    int64_t off = 0;
    for (int d = 0; d < r; d++) off += idx[d] * tstride[d];
    memcpy(p + j * es, src + off * es, es);
    kk_index_next(r, x->dims + axis, idx);
  }
  *out = p;
  return KN_OK;
}

kn_status ref_exec_LayerNormalization(ref_ctx *c) {
  const kn_tensor *x = c->in[0];
  int64_t axis = ir_op_axis(c->node);
  if (axis < 0) axis += x->rank;
  if (axis < 0 || (axis >= x->rank && !(x->rank == 0 && axis == 0)))
    return ref_fail(c, KN_EINVAL, "axis is out of range for rank %d", x->rank);
  int64_t outer = kn_dims_prod(x->dims, 0, (int)axis), inner = kn_dims_prod(x->dims, (int)axis, x->rank);
  float eps = ir_norm_epsilon(c->node);
  norm_io io;
  KN_TRY(norm_open(c, &io, 0x7));
  void *wide[3] = {NULL, NULL, NULL};
  kn_status st = KN_OK;
  for (int i = 1; i < 3 && st == KN_OK; i++)
    if (i < c->nin && c->in[i]) st = expand_to_inner(c, &io, i, (int)axis, inner, &wide[i]);
  if (st == KN_OK) {
    const void *scale = wide[1] ? wide[1] : io.in[1], *bias = wide[2] ? wide[2] : io.in[2];
#define CALL(T, S)                                                                                 \
  kk_norm_layernorm_##S(io.in[0], scale, bias, io.out[0], io.out[1], io.out[2], outer, inner, eps)
    NORM_DISPATCH(&io, CALL);
#undef CALL
  }
  kn_aligned_free(wide[1]);
  kn_aligned_free(wide[2]);
  return norm_close(c, &io, st);
}

/* ---- cross-channel and axis-set normalizations ---- */
kn_status ref_exec_LRN(ref_ctx *c) {
  int64_t n, ch, sp;
  KN_TRY(nc_view(c, 2, &n, &ch, &sp));
  int64_t size = ir_attr_int(c->node, "size", 0);
  if (size <= 0) return ref_fail(c, KN_EINVAL, "size must be > 0, got %lld", (long long)size);
  float alpha = ir_attr_f(c->node, "alpha"), beta = ir_attr_f(c->node, "beta");
  float bias = ir_attr_f(c->node, "bias");
  norm_io io;
  KN_TRY(norm_open(c, &io, 0x1));
#define CALL(T, S) kk_norm_lrn_##S(io.in[0], io.out[0], n, ch, sp, size, alpha, beta, bias)
  NORM_DISPATCH(&io, CALL);
#undef CALL
  return norm_close(c, &io, KN_OK);
}

kn_status ref_exec_MeanVarianceNormalization(ref_ctx *c) {
  const kn_tensor *x = c->in[0];
  uint8_t reduce[KN_MAX_RANK] = {0};
  const ir_attr *ax = ir_attr_get(c->node, "axes");
  static const int64_t def_axes[] = {0, 2, 3};
  if (ax && ax->kind != IR_ATTR_INTS) return ref_fail(c, KN_EINVAL, "axes must be a list of ints");
  int nax = ax ? ax->n : 3;
  const int64_t *axes = ax ? ax->ints : def_axes;
  for (int i = 0; i < nax; i++) {
    int64_t a = axes[i] < 0 ? axes[i] + x->rank : axes[i];
    if (a < 0 || a >= x->rank)
      return ref_fail(c, KN_EINVAL, "axis %lld is out of range for rank %d", (long long)axes[i], x->rank);
    reduce[a] = 1;
  }
  if (kn_tensor_numel(x) == 0) return KN_OK; /* nothing to do, and kept may be huge */
  int64_t kept = 1;
  for (int d = 0; d < x->rank; d++)
    if (!reduce[d]) kept *= x->dims[d];
  double *scratch = kn_aligned_alloc((size_t)(2 * kept) * sizeof(double));
  if (!scratch) return ref_fail(c, KN_ENOMEM, "out of memory");
  norm_io io;
  kn_status st = norm_open(c, &io, 0x1);
  if (st == KN_OK) {
#define CALL(T, S) kk_norm_mvn_##S(io.in[0], io.out[0], x->rank, x->dims, reduce, scratch)
    NORM_DISPATCH(&io, CALL);
#undef CALL
    st = norm_close(c, &io, KN_OK);
  }
  kn_aligned_free(scratch);
  return st;
}

/* ---- softmax-like ops along one axis ---- */

/* (outer, n, inner) for an op normalizing along `axis`; with legacy_coerce_2d
 * (models older than opset 13) the input is seen as 2-D [dims[:axis], dims[axis:]]
 * and the whole tail is one row. */
static kn_status axis_view(ref_ctx *c, int64_t *outer, int64_t *n, int64_t *inner) {
  const kn_tensor *x = c->in[0];
  bool legacy = c->node->op != IR_OP_LpNormalization && ir_attr_int(c->node, "legacy_coerce_2d", 0) != 0;
  int64_t axis = ir_op_axis(c->node), r = x->rank;
  if (axis < 0) axis += r;
  if (legacy) {
    if (axis < 0 || axis > r) return ref_fail(c, KN_EINVAL, "axis is out of range for rank %d", x->rank);
    *outer = kn_dims_prod(x->dims, 0, (int)axis);
    *n = kn_dims_prod(x->dims, (int)axis, x->rank);
    *inner = 1;
    return KN_OK;
  }
  if (r == 0 && axis == 0) { /* a scalar is one row of one element */
    *outer = *n = *inner = 1;
    return KN_OK;
  }
  if (axis < 0 || axis >= r) return ref_fail(c, KN_EINVAL, "axis is out of range for rank %d", x->rank);
  *outer = kn_dims_prod(x->dims, 0, (int)axis);
  *n = x->dims[axis];
  *inner = kn_dims_prod(x->dims, (int)axis + 1, x->rank);
  return KN_OK;
}

#define NORM_AXIS_OP(Op, kernel)                                                                   \
  kn_status ref_exec_##Op(ref_ctx *c) {                                                            \
    int64_t outer, n, inner;                                                                       \
    KN_TRY(axis_view(c, &outer, &n, &inner));                                                      \
    norm_io io;                                                                                    \
    KN_TRY(norm_open(c, &io, 0x1));                                                                \
    NORM_DISPATCH(&io, kernel);                                                                    \
    return norm_close(c, &io, KN_OK);                                                              \
  }
#define CALL_SOFTMAX(T, S) kk_norm_softmax_##S(io.in[0], io.out[0], outer, n, inner)
#define CALL_LOGSOFTMAX(T, S) kk_norm_logsoftmax_##S(io.in[0], io.out[0], outer, n, inner)
#define CALL_HARDMAX(T, S) kk_norm_hardmax_##S(io.in[0], io.out[0], outer, n, inner)
NORM_AXIS_OP(Softmax, CALL_SOFTMAX)
NORM_AXIS_OP(LogSoftmax, CALL_LOGSOFTMAX)
NORM_AXIS_OP(Hardmax, CALL_HARDMAX)

kn_status ref_exec_LpNormalization(ref_ctx *c) {
  int64_t p = ir_attr_i(c->node, "p");
  if (p != 1 && p != 2) return ref_fail(c, KN_EINVAL, "p must be 1 or 2, got %lld", (long long)p);
  int64_t outer, n, inner;
  KN_TRY(axis_view(c, &outer, &n, &inner));
  norm_io io;
  KN_TRY(norm_open(c, &io, 0x1));
#define CALL(T, S) kk_norm_lpnorm_##S(io.in[0], io.out[0], outer, n, inner, (int)p)
  NORM_DISPATCH(&io, CALL);
#undef CALL
  return norm_close(c, &io, KN_OK);
}

/* ---- losses ---- */

/* Runs the NLL reduction over log-probabilities lp ([N, C, D] in io.dt). */
static kn_status run_nll(ref_ctx *c, norm_io *io, const void *lp) {
  const kn_tensor *x = c->in[0], *t = c->in[1];
  if (t->dtype != KN_I64 && t->dtype != KN_I32) return ref_unsupported_dtype(c, t->dtype);
  if (x->rank < 2 || t->rank != x->rank - 1) return ref_fail(c, KN_ESHAPE, "target rank does not match input");
  for (int d = 0; d < t->rank; d++)
    if (t->dims[d] != x->dims[d == 0 ? 0 : d + 1])
      return ref_fail(c, KN_ESHAPE, "target dim %d does not match input", d);
  int64_t n = x->dims[0], ch = x->dims[1], d = kn_dims_prod(x->dims, 2, x->rank);
  if (c->nin > 2) KN_TRY(need_len(c, 2, ch, "weight"));
  const char *red = ir_attr_s(c->node, "reduction");
  int reduction = strcmp(red, "none") == 0  ? KK_NORM_REDUCE_NONE
                  : strcmp(red, "sum") == 0 ? KK_NORM_REDUCE_SUM
                  : strcmp(red, "mean") == 0 ? KK_NORM_REDUCE_MEAN
                                              : -1;
  if (reduction < 0) return ref_fail(c, KN_EINVAL, "reduction must be none, sum or mean, got '%s'", red);
  const ir_attr *ii = ir_attr_get(c->node, "ignore_index");
  int64_t ignore = ii ? ii->i : 0;
  const int64_t *target = t->data;
  int64_t *wide = NULL;
  if (t->dtype == KN_I32) { /* the kernel reads int64 targets */
    int64_t cnt = kn_tensor_numel(t);
    wide = kn_aligned_alloc((size_t)cnt * sizeof *wide);
    if (!wide) return ref_fail(c, KN_ENOMEM, "out of memory");
    for (int64_t i = 0; i < cnt; i++) wide[i] = ((const int32_t *)t->data)[i];
    target = wide;
  }
  const void *weight = c->nin > 2 ? io->in[2] : NULL;
  int64_t bad;
#define CALL(T, S) bad = kk_norm_nll_##S(lp, target, weight, io->out[0], n, ch, d, ii != NULL, ignore, reduction)
  NORM_DISPATCH(io, CALL);
#undef CALL
  kn_aligned_free(wide);
  if (bad >= 0)
    return ref_fail(c, KN_EINVAL, "target %lld at index %lld is outside [0, %lld) and not ignore_index",
                    (long long)kn_tensor_get_i64(t, bad), (long long)bad, (long long)ch);
  return KN_OK;
}

kn_status ref_exec_NegativeLogLikelihoodLoss(ref_ctx *c) {
  norm_io io;
  KN_TRY(norm_open(c, &io, 0x5));
  return norm_close(c, &io, run_nll(c, &io, io.in[0]));
}

kn_status ref_exec_SoftmaxCrossEntropyLoss(ref_ctx *c) {
  const kn_tensor *x = c->in[0];
  if (x->rank < 2) return ref_fail(c, KN_ESHAPE, "input must have rank >= 2, got %d", x->rank);
  norm_io io;
  KN_TRY(norm_open(c, &io, 0x5));
  /* log_prob goes straight into output 1 when the node has it */
  void *lp = io.out[1], *own = NULL;
  if (!lp) {
    lp = own = kn_aligned_alloc((size_t)kn_tensor_numel(x) * kn_dtype_size(io.dt));
    if (!lp) return norm_close(c, &io, ref_fail(c, KN_ENOMEM, "out of memory"));
  }
  int64_t n = x->dims[0], ch = x->dims[1], d = kn_dims_prod(x->dims, 2, x->rank);
#define CALL(T, S) kk_norm_logsoftmax_##S(io.in[0], lp, n, ch, d)
  NORM_DISPATCH(&io, CALL);
#undef CALL
  kn_status st = run_nll(c, &io, lp);
  kn_aligned_free(own);
  return norm_close(c, &io, st);
}

/* ---- determinant ---- */
kn_status ref_exec_Det(ref_ctx *c) {
  const kn_tensor *x = c->in[0];
  if (x->rank < 2 || x->dims[x->rank - 1] != x->dims[x->rank - 2])
    return ref_fail(c, KN_ESHAPE, "input must be a batch of square matrices");
  int64_t m = x->dims[x->rank - 1], batch = kn_dims_prod(x->dims, 0, x->rank - 2);
  if (batch == 0) return KN_OK; /* m may be absurd when there is no matrix */
  double *scratch = kn_aligned_alloc((size_t)(m * m) * sizeof(double));
  if (!scratch) return ref_fail(c, KN_ENOMEM, "out of memory");
  norm_io io;
  kn_status st = norm_open(c, &io, 0x1);
  if (st == KN_OK) {
#define CALL(T, S) kk_norm_det_##S(io.in[0], io.out[0], batch, m, scratch)
    NORM_DISPATCH(&io, CALL);
#undef CALL
    st = norm_close(c, &io, KN_OK);
  }
  kn_aligned_free(scratch);
  return st;
}
