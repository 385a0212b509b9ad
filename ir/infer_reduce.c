/* ir_infer_reduce.c: shape/dtype inference for the REDUCE family (Reduce*,
 * ArgMax/ArgMin, TopK, the window generators, Quantize/DequantizeLinear).
 * Reduce* take their axes as input 1 (the IR's newest-opset form): when that
 * input is a known value the output shape is exact; when it is a runtime
 * value, keepdims=1 still fixes the rank (each dim is kept or becomes 1) and
 * a known axes length fixes it for keepdims=0. TopK's k and the windows' size
 * are values too, so their dims are exact at run time and unknown statically. */
#include "ir.h"

/* Reads input i (a scalar or 1-element tensor) as an integer; false if unknown. */
static bool const_scalar(ir_infer_ctx *c, int i, int64_t *v) {
  if (i >= c->nin || !c->val[i] || kn_tensor_numel(c->val[i]) != 1) return false;
  *v = kn_tensor_get_i64(c->val[i], 0);
  return true;
}

static bool is_index_dtype(int dt) { return dt == KN_I64 || dt == KN_I32; }

/* ---- Reduce* ---- */
kn_status ir_infer_reduce(ir_infer_ctx *c) {
  KN_TRY(ir_infer_need_rank(c, 0));
  const ir_type *x = c->in[0];
  int rank = x->rank;
  int64_t keepdims = ir_attr_i(c->node, "keepdims");
  int64_t noop = ir_attr_i(c->node, "noop_with_empty_axes");
  ir_type *out = &c->out[0];
  out->dtype = x->dtype;
  bool has_axes = c->nin > 1 && c->in[1];
  if (has_axes && !is_index_dtype(c->in[1]->dtype))
    return ir_infer_fail(c, KN_ETYPE, "axes must be int64, got %s", kn_dtype_name(c->in[1]->dtype));
  if (has_axes && c->in[1]->rank > 1)
    return ir_infer_fail(c, KN_ESHAPE, "axes must be 1-D, got rank %d", c->in[1]->rank);

  bool reduced[KN_MAX_RANK] = {false};
  if (has_axes && !c->val[1]) {
    /* axes only known at run time */
    int64_t naxes = c->in[1]->rank == 1 ? c->in[1]->dims[0] : (c->in[1]->rank == 0 ? 1 : -1);
    if (naxes == 0 && noop) {
      *out = *x;
      return KN_OK;
    }
    if (naxes > rank) return ir_infer_fail(c, KN_ESHAPE, "%lld axes for rank %d", (long long)naxes, rank);
    if (keepdims) {
      out->rank = rank;
      for (int i = 0; i < rank; i++) {
        if (naxes == 0) out->dims[i] = 1;
        else out->dims[i] = x->dims[i] == 1 ? 1 : ir_infer_unknown_dim(c);
      }
    } else if (naxes >= 0) {
      out->rank = naxes == 0 ? 0 : rank - (int)naxes;
      for (int i = 0; i < out->rank; i++) out->dims[i] = ir_infer_unknown_dim(c);
    } else {
      out->rank = IR_RANK_UNKNOWN;
    }
    return KN_OK;
  }

  int64_t naxes = has_axes ? kn_tensor_numel(c->val[1]) : 0;
  if (naxes < 0 || naxes > rank)
    return ir_infer_fail(c, KN_ESHAPE, "%lld axes for an input of rank %d", (long long)naxes, rank);
  if (naxes == 0) {
    if (noop) {
      *out = *x;
      return KN_OK;
    }
    for (int i = 0; i < rank; i++) reduced[i] = true;
  }
  for (int64_t k = 0; k < naxes; k++) {
    int a;
    KN_TRY(ir_infer_axis(c, kn_tensor_get_i64(c->val[1], k), rank, &a));
    if (reduced[a]) return ir_infer_fail(c, KN_EINVAL, "axis %d is repeated in axes", a);
    reduced[a] = true;
  }
  out->rank = 0;
  for (int i = 0; i < rank; i++) {
    if (!reduced[i]) out->dims[out->rank++] = x->dims[i];
    else if (keepdims) out->dims[out->rank++] = 1;
  }
  return KN_OK;
}

/* ---- ArgMax / ArgMin ---- */
kn_status ir_infer_argreduce(ir_infer_ctx *c) {
  KN_TRY(ir_infer_need_rank(c, 0));
  const ir_type *x = c->in[0];
  int axis;
  if (x->rank == 0) return ir_infer_fail(c, KN_ESHAPE, "input must have rank >= 1");
  KN_TRY(ir_infer_axis(c, ir_op_axis(c->node), x->rank, &axis));
  if (x->dims[axis] == 0) return ir_infer_fail(c, KN_ESHAPE, "cannot take the arg-extremum of an empty axis");
  int64_t keepdims = ir_attr_i(c->node, "keepdims");
  ir_type *out = &c->out[0];
  out->dtype = KN_I64;
  out->rank = 0;
  for (int i = 0; i < x->rank; i++) {
    if (i != axis) out->dims[out->rank++] = x->dims[i];
    else if (keepdims) out->dims[out->rank++] = 1;
  }
  return KN_OK;
}

/* ---- TopK ---- */
kn_status ir_infer_topk(ir_infer_ctx *c) {
  KN_TRY(ir_infer_need_rank(c, 0));
  const ir_type *x = c->in[0], *kt = c->in[1];
  if (x->rank == 0) return ir_infer_fail(c, KN_ESHAPE, "input must have rank >= 1");
  int axis;
  KN_TRY(ir_infer_axis(c, ir_op_axis(c->node), x->rank, &axis));
  if (kt->dtype != KN_I64) return ir_infer_fail(c, KN_ETYPE, "k must be int64, got %s", kn_dtype_name(kt->dtype));
  if (kt->rank > 1 || (kt->rank == 1 && kt->dims[0] >= 0 && kt->dims[0] != 1))
    return ir_infer_fail(c, KN_ESHAPE, "k must be a 1-element 1-D tensor");
  int64_t k, kdim;
  if (const_scalar(c, 1, &k)) {
    if (k < 0) return ir_infer_fail(c, KN_EINVAL, "k = %lld is negative", (long long)k);
    if (x->dims[axis] >= 0 && k > x->dims[axis])
      return ir_infer_fail(c, KN_ESHAPE, "k = %lld exceeds the axis length %lld", (long long)k,
                           (long long)x->dims[axis]);
    kdim = k;
  } else {
    kdim = ir_infer_unknown_dim(c);
  }
  for (int o = 0; o < 2 && o < c->nout; o++) {
    c->out[o] = *x;
    c->out[o].dims[axis] = kdim;
  }
  if (c->nout > 1) c->out[1].dtype = KN_I64;
  return KN_OK;
}

/* ---- Hann / Hamming / Blackman windows ---- */
kn_status ir_infer_window(ir_infer_ctx *c) {
  const ir_type *s = c->in[0];
  if (!is_index_dtype(s->dtype))
    return ir_infer_fail(c, KN_ETYPE, "size must be int32 or int64, got %s", kn_dtype_name(s->dtype));
  if (s->rank > 1 || (s->rank == 1 && s->dims[0] >= 0 && s->dims[0] != 1))
    return ir_infer_fail(c, KN_ESHAPE, "size must be a scalar");
  int64_t dt = ir_attr_i(c->node, "output_datatype");
  if (dt <= 0 || dt >= KN_DTYPE_END || kn_dtype_size((int)dt) == 0 || dt == KN_BOOL)
    return ir_infer_fail(c, KN_EUNSUPPORTED, "output_datatype %lld is not supported", (long long)dt);
  int64_t n;
  ir_type *out = &c->out[0];
  out->dtype = (int32_t)dt;
  out->rank = 1;
  if (const_scalar(c, 0, &n)) {
    if (n < 0) return ir_infer_fail(c, KN_EINVAL, "size %lld is negative", (long long)n);
    out->dims[0] = n;
  } else {
    out->dims[0] = ir_infer_unknown_dim(c);
  }
  return KN_OK;
}

/* ---- QuantizeLinear / DequantizeLinear ----
 * scale (and zero point) are per-tensor (one element) or per-axis (1-D with
 * the length of x's `axis` dim); blocked quantization (opset 21 block_size)
 * is not supported. */
static kn_status check_qparams(ir_infer_ctx *c) {
  KN_TRY(ir_infer_need_rank(c, 0));
  const ir_type *x = c->in[0], *s = c->in[1], *z = c->nin > 2 ? c->in[2] : NULL;
  if (ir_attr_i(c->node, "block_size") != 0)
    return ir_infer_fail(c, KN_EUNSUPPORTED, "blocked quantization (block_size) is not supported");
  if (s->rank > 1) return ir_infer_fail(c, KN_ESHAPE, "scale must be a scalar or 1-D, got rank %d", s->rank);
  if (s->rank == 1 && s->dims[0] != 1) {
    int axis;
    KN_TRY(ir_infer_axis(c, ir_op_axis(c->node), x->rank, &axis));
    if (s->dims[0] >= 0 && x->dims[axis] >= 0 && s->dims[0] != x->dims[axis])
      return ir_infer_fail(c, KN_ESHAPE, "scale has %lld entries but axis %d has length %lld",
                           (long long)s->dims[0], axis, (long long)x->dims[axis]);
  }
  if (z) {
    if (z->rank != s->rank || (z->rank == 1 && z->dims[0] != s->dims[0]))
      return ir_infer_fail(c, KN_ESHAPE, "zero point and scale shapes differ");
  }
  return KN_OK;
}

kn_status ir_infer_quantize(ir_infer_ctx *c) {
  KN_TRY(check_qparams(c));
  const ir_type *z = c->nin > 2 ? c->in[2] : NULL;
  int64_t dt = z ? z->dtype : ir_attr_i(c->node, "output_dtype");
  if (dt == 0) dt = KN_U8;
  if (dt != KN_U8 && dt != KN_I8 && dt != KN_U16 && dt != KN_I16)
    return ir_infer_fail(c, KN_EUNSUPPORTED, "quantizing to %s is not supported", kn_dtype_name((int)dt));
  if (z && ir_attr_i(c->node, "output_dtype") != 0 && ir_attr_i(c->node, "output_dtype") != dt)
    return ir_infer_fail(c, KN_ETYPE, "output_dtype disagrees with the zero point's dtype");
  c->out[0] = *c->in[0];
  c->out[0].dtype = (int32_t)dt;
  return KN_OK;
}

kn_status ir_infer_dequantize(ir_infer_ctx *c) {
  KN_TRY(check_qparams(c));
  const ir_type *x = c->in[0], *z = c->nin > 2 ? c->in[2] : NULL;
  if (z && z->dtype != x->dtype)
    return ir_infer_fail(c, KN_ETYPE, "zero point is %s but x is %s", kn_dtype_name(z->dtype), kn_dtype_name(x->dtype));
  c->out[0] = *x;
  c->out[0].dtype = c->in[1]->dtype; /* y has the scale's type */
  return KN_OK;
}
