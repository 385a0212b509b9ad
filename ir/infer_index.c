/* ir_infer_index.c: shape/dtype inference for the INDEX family (Gather*,
 * EyeLike, OneHot, DepthToSpace, SpaceToDepth, NonZero, Compress; the
 * scatters, Trilu and ReverseSequence keep their first input's type).
 * Output shapes here are value-independent except where the op's output size
 * is data-dependent (OneHot's depth, NonZero, Compress): those dims are exact
 * when the deciding input is a known value (always true in the executor) and a
 * fresh unknown dim otherwise. Gather sits on exported models' shape-arithmetic
 * chains (Shape -> Gather -> Concat), so its dims, symbolic ones included, are
 * copied through exactly. */
#include "ir.h"
#include <string.h>

static bool is_index_dtype(int dt) { return dt == KN_I32 || dt == KN_I64; }

static kn_status need_index_dtype(ir_infer_ctx *c, int input) {
  if (!is_index_dtype(c->in[input]->dtype))
    return ir_infer_fail(c, KN_ETYPE, "indices (input %d) must be int32 or int64, got %s", input,
                         kn_dtype_name(c->in[input]->dtype));
  return KN_OK;
}

/* d * m for a known d, or an unknown dim; fails on overflow. */
static kn_status mul_dim(ir_infer_ctx *c, int64_t d, int64_t m, int64_t *out) {
  if (IR_DIM_IS_SYM(d)) {
    *out = m == 1 ? d : ir_infer_unknown_dim(c);
    return KN_OK;
  }
  if (d != 0 && m > INT64_MAX / d) return ir_infer_fail(c, KN_ESHAPE, "dim %lld * %lld overflows", (long long)d, (long long)m);
  *out = d * m;
  return KN_OK;
}

/* Picks the known one of two dims that must agree (or fails when both are
 * known and differ). */
static kn_status unify_dim(ir_infer_ctx *c, int64_t a, int64_t b, const char *what, int64_t *out) {
  if (!IR_DIM_IS_SYM(a) && !IR_DIM_IS_SYM(b) && a != b)
    return ir_infer_fail(c, KN_ESHAPE, "%s: dim %lld vs %lld", what, (long long)a, (long long)b);
  *out = IR_DIM_IS_SYM(a) ? b : a;
  return KN_OK;
}

kn_status ir_infer_gather(ir_infer_ctx *c) {
  KN_TRY(ir_infer_need_rank(c, 0));
  KN_TRY(ir_infer_need_rank(c, 1));
  KN_TRY(need_index_dtype(c, 1));
  const ir_type *data = c->in[0], *idx = c->in[1];
  if (data->rank < 1) return ir_infer_fail(c, KN_ESHAPE, "data must have rank >= 1");
  int axis = 0;
  KN_TRY(ir_infer_axis(c, ir_op_axis(c->node), data->rank, &axis));
  int rank = data->rank - 1 + idx->rank;
  if (rank > KN_MAX_RANK) return ir_infer_fail(c, KN_ESHAPE, "output rank %d exceeds %d", rank, KN_MAX_RANK);
  /* constant indices against a known axis size: report a bad index at compile time */
  int64_t s = data->dims[axis];
  const kn_tensor *iv = c->val[1];
  if (iv && !IR_DIM_IS_SYM(s)) {
    int64_t n = kn_tensor_numel(iv);
    for (int64_t i = 0; i < n; i++) {
      int64_t v = kn_tensor_get_i64(iv, i);
      if (v < -s || v >= s)
        return ir_infer_fail(c, KN_EINVAL, "index %lld (position %lld) is out of range for axis %d of size %lld",
                             (long long)v, (long long)i, axis, (long long)s);
    }
  }
  ir_type *o = &c->out[0];
  o->dtype = data->dtype;
  o->rank = rank;
  int k = 0;
  for (int d = 0; d < axis; d++) o->dims[k++] = data->dims[d];
  for (int d = 0; d < idx->rank; d++) o->dims[k++] = idx->dims[d];
  for (int d = axis + 1; d < data->rank; d++) o->dims[k++] = data->dims[d];
  return KN_OK;
}

kn_status ir_infer_gather_elements(ir_infer_ctx *c) {
  KN_TRY(ir_infer_need_rank(c, 0));
  KN_TRY(ir_infer_need_rank(c, 1));
  KN_TRY(need_index_dtype(c, 1));
  const ir_type *data = c->in[0], *idx = c->in[1];
  if (data->rank < 1 || idx->rank != data->rank)
    return ir_infer_fail(c, KN_ESHAPE, "data (rank %d) and indices (rank %d) must have the same rank >= 1",
                         data->rank, idx->rank);
  int axis = 0;
  KN_TRY(ir_infer_axis(c, ir_op_axis(c->node), data->rank, &axis));
  for (int d = 0; d < data->rank; d++)
    if (d != axis && !IR_DIM_IS_SYM(idx->dims[d]) && !IR_DIM_IS_SYM(data->dims[d]) &&
        idx->dims[d] > data->dims[d])
      return ir_infer_fail(c, KN_ESHAPE, "indices dim %d (%lld) exceeds the data dim (%lld)", d,
                           (long long)idx->dims[d], (long long)data->dims[d]);
  c->out[0] = *idx;
  c->out[0].dtype = data->dtype;
  return KN_OK;
}

kn_status ir_infer_gather_nd(ir_infer_ctx *c) {
  KN_TRY(ir_infer_need_rank(c, 0));
  KN_TRY(ir_infer_need_rank(c, 1));
  KN_TRY(need_index_dtype(c, 1));
  const ir_type *data = c->in[0], *idx = c->in[1];
  int r = data->rank, q = idx->rank;
  int64_t b = ir_attr_i(c->node, "batch_dims");
  if (r < 1 || q < 1) return ir_infer_fail(c, KN_ESHAPE, "data and indices must have rank >= 1");
  if (b < 0 || b >= q || b >= r)
    return ir_infer_fail(c, KN_EINVAL, "batch_dims %lld must be in [0, min(%d, %d))", (long long)b, r, q);
  c->out[0].dtype = data->dtype;
  int64_t k = idx->dims[q - 1];
  if (IR_DIM_IS_SYM(k)) {
    c->out[0].rank = IR_RANK_UNKNOWN; /* the tuple length decides the output rank */
    return KN_OK;
  }
  if (k < 1 || k > r - b)
    return ir_infer_fail(c, KN_ESHAPE, "indices' last dim %lld must be in [1, %lld]", (long long)k,
                         (long long)(r - b));
  ir_type *o = &c->out[0];
  int64_t rank = q - 1 + r - b - k;
  if (rank > KN_MAX_RANK) return ir_infer_fail(c, KN_ESHAPE, "output rank %lld exceeds %d", (long long)rank, KN_MAX_RANK);
  o->rank = (int)rank;
  int n = 0;
  for (int d = 0; d < q - 1; d++) {
    if (d < b) KN_TRY(unify_dim(c, idx->dims[d], data->dims[d], "batch dims of data and indices differ", &o->dims[n]));
    else o->dims[n] = idx->dims[d];
    n++;
  }
  for (int d = (int)(b + k); d < r; d++) o->dims[n++] = data->dims[d];
  return KN_OK;
}

kn_status ir_infer_eye_like(ir_infer_ctx *c) {
  KN_TRY(ir_infer_need_rank(c, 0));
  if (c->in[0]->rank != 2) return ir_infer_fail(c, KN_ESHAPE, "input must be 2-D, got rank %d", c->in[0]->rank);
  int64_t dt = ir_attr_int(c->node, "dtype", c->in[0]->dtype);
  if (dt <= 0 || dt >= KN_DTYPE_END || kn_dtype_size((int)dt) == 0)
    return ir_infer_fail(c, KN_EUNSUPPORTED, "dtype %lld (%s) is not supported", (long long)dt, kn_dtype_name((int)dt));
  c->out[0] = *c->in[0];
  c->out[0].dtype = (int32_t)dt;
  return KN_OK;
}

kn_status ir_infer_one_hot(ir_infer_ctx *c) {
  KN_TRY(ir_infer_need_rank(c, 0));
  const ir_type *idx = c->in[0], *depth = c->in[1], *values = c->in[2];
  if (!kn_dtype_is_int(idx->dtype) && !kn_dtype_is_float(idx->dtype))
    return ir_infer_fail(c, KN_ETYPE, "indices must be numeric, got %s", kn_dtype_name(idx->dtype));
  if (depth->rank > 1 || (depth->rank == 1 && !IR_DIM_IS_SYM(depth->dims[0]) && depth->dims[0] != 1))
    return ir_infer_fail(c, KN_ESHAPE, "depth must be a scalar or a 1-element tensor");
  if (values->rank == 0 || values->rank > 1 || (values->rank == 1 && !IR_DIM_IS_SYM(values->dims[0]) && values->dims[0] != 2))
    return ir_infer_fail(c, KN_ESHAPE, "values must be a 2-element tensor [off_value, on_value]");
  int rank = idx->rank + 1, axis;
  if (rank > KN_MAX_RANK) return ir_infer_fail(c, KN_ESHAPE, "output rank %d exceeds %d", rank, KN_MAX_RANK);
  KN_TRY(ir_infer_axis(c, ir_op_axis(c->node), rank, &axis));
  int64_t d = ir_infer_unknown_dim(c);
  if (c->val[1]) {
    if (kn_tensor_numel(c->val[1]) != 1) return ir_infer_fail(c, KN_ESHAPE, "depth must have exactly one element");
    d = kn_tensor_get_i64(c->val[1], 0);
    if (d <= 0) return ir_infer_fail(c, KN_EINVAL, "depth must be positive, got %lld", (long long)d);
  }
  ir_type *o = &c->out[0];
  o->dtype = values->dtype;
  o->rank = rank;
  for (int i = 0, j = 0; i < rank; i++) o->dims[i] = i == axis ? d : idx->dims[j++];
  return KN_OK;
}

/* Shared checks of DepthToSpace/SpaceToDepth: 4-D input, positive blocksize. */
static kn_status block_op_prologue(ir_infer_ctx *c, int64_t *b) {
  KN_TRY(ir_infer_need_rank(c, 0));
  if (c->in[0]->rank != 4) return ir_infer_fail(c, KN_ESHAPE, "input must be 4-D (NCHW), got rank %d", c->in[0]->rank);
  *b = ir_attr_int(c->node, "blocksize", 0);
  if (*b <= 0 || *b > (int64_t)1 << 31)
    return ir_infer_fail(c, KN_EINVAL, "blocksize must be a positive int, got %lld", (long long)*b);
  c->out[0] = *c->in[0];
  return KN_OK;
}

/* d / m exactly, or an unknown dim when d is symbolic. */
static kn_status div_dim(ir_infer_ctx *c, int64_t d, int64_t m, const char *what, int64_t *out) {
  if (IR_DIM_IS_SYM(d)) {
    *out = m == 1 ? d : ir_infer_unknown_dim(c);
    return KN_OK;
  }
  if (d % m) return ir_infer_fail(c, KN_ESHAPE, "%s (%lld) is not divisible by %lld", what, (long long)d, (long long)m);
  *out = d / m;
  return KN_OK;
}

kn_status ir_infer_depth_to_space(ir_infer_ctx *c) {
  int64_t b = 1;
  KN_TRY(block_op_prologue(c, &b));
  const char *mode = ir_attr_s(c->node, "mode");
  if (strcmp(mode, "DCR") != 0 && strcmp(mode, "CRD") != 0)
    return ir_infer_fail(c, KN_EINVAL, "mode must be DCR or CRD, got '%s'", mode);
  const int64_t *in = c->in[0]->dims;
  int64_t *o = c->out[0].dims;
  KN_TRY(div_dim(c, in[1], b * b, "channels", &o[1]));
  KN_TRY(mul_dim(c, in[2], b, &o[2]));
  KN_TRY(mul_dim(c, in[3], b, &o[3]));
  return KN_OK;
}

kn_status ir_infer_space_to_depth(ir_infer_ctx *c) {
  int64_t b = 1;
  KN_TRY(block_op_prologue(c, &b));
  const int64_t *in = c->in[0]->dims;
  int64_t *o = c->out[0].dims;
  KN_TRY(mul_dim(c, in[1], b * b, &o[1]));
  KN_TRY(div_dim(c, in[2], b, "height", &o[2]));
  KN_TRY(div_dim(c, in[3], b, "width", &o[3]));
  return KN_OK;
}

/* Nonzero count of a known value (any numeric dtype; NaN counts, -0.0 does not). */
static int64_t count_nonzero(const kn_tensor *t) {
  int64_t n = kn_tensor_numel(t), nnz = 0;
  for (int64_t i = 0; i < n; i++) nnz += kn_tensor_get_f64(t, i) != 0;
  return nnz;
}

kn_status ir_infer_nonzero(ir_infer_ctx *c) {
  const ir_type *x = c->in[0];
  if (kn_dtype_size(x->dtype) == 0)
    return ir_infer_fail(c, KN_EUNSUPPORTED, "dtype %s is not supported", kn_dtype_name(x->dtype));
  ir_type *o = &c->out[0];
  o->dtype = KN_I64;
  o->rank = 2;
  /* numpy treats a scalar as 1-D here: one coordinate row */
  o->dims[0] = x->rank < 0 ? ir_infer_unknown_dim(c) : (x->rank == 0 ? 1 : x->rank);
  o->dims[1] = c->val[0] ? count_nonzero(c->val[0]) : ir_infer_unknown_dim(c);
  return KN_OK;
}

kn_status ir_infer_compress(ir_infer_ctx *c) {
  KN_TRY(ir_infer_need_rank(c, 0));
  const ir_type *x = c->in[0], *cond = c->in[1];
  if (cond->dtype != KN_BOOL) return ir_infer_fail(c, KN_ETYPE, "condition must be bool, got %s", kn_dtype_name(cond->dtype));
  if (cond->rank != 1) return ir_infer_fail(c, KN_ESHAPE, "condition must be 1-D, got rank %d", cond->rank);
  if (x->rank < 1) return ir_infer_fail(c, KN_ESHAPE, "input must have rank >= 1");
  ir_type *o = &c->out[0];
  o->dtype = x->dtype;
  int axis = -1;
  if (ir_attr_get(c->node, "axis")) {
    KN_TRY(ir_infer_axis(c, ir_op_axis(c->node), x->rank, &axis));
    *o = *x;
  } else {
    o->rank = 1;
  }
  int64_t *d = &o->dims[axis < 0 ? 0 : axis];
  const kn_tensor *cv = c->val[1];
  if (!cv) {
    *d = ir_infer_unknown_dim(c);
    return KN_OK;
  }
  /* the kept count is over the condition prefix that fits the selected extent */
  int64_t extent = axis < 0 ? kn_dims_numel(x->rank, x->dims) : x->dims[axis];
  int64_t n = kn_tensor_numel(cv), kept = 0;
  for (int64_t i = 0; i < n; i++) {
    if (!((const uint8_t *)cv->data)[i]) continue;
    if (extent >= 0 && i >= extent)
      return ir_infer_fail(c, KN_ESHAPE, "condition selects index %lld beyond the input extent %lld",
                           (long long)i, (long long)extent);
    kept++;
  }
  /* with a symbolic extent the count is only an upper bound until run time */
  *d = extent >= 0 ? kept : ir_infer_unknown_dim(c);
  return KN_OK;
}
