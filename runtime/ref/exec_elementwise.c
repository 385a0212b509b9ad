/* exec_elementwise.c: reference-executor adapters of the elementwise family
 * (unary maps, broadcasting arithmetic and predicates, Where, Clip, Cast,
 * Identity, Dropout). Each ref_exec_<Op> is a one-line binding of an op code
 * to one of a few generic adapters; the adapters do the work kernels must not:
 * broadcasting plans (per-input strides with unit dims dropped and contiguous
 * dims merged, so same-shape and scalar operands reach the kernel as one flat
 * loop), dtype dispatch, attribute reading and error reporting.
 * f16/bf16 are computed in f32: ew_run widens half inputs and outputs around
 * the adapter, so the kernels only exist for f32/f64 and the integer types. */
#include "k_elementwise.h"
#include "ref.h"
#include <stdlib.h>
#include <string.h>

/* dtypes with kernels: (kernel suffix, C type, kiln dtype) */
#define EW_FLOATS(X) X(f32, float, KN_F32) X(f64, double, KN_F64)
#define EW_INTS(X)                                                                                 \
  X(i8, int8_t, KN_I8) X(i16, int16_t, KN_I16) X(i32, int32_t, KN_I32) X(i64, int64_t, KN_I64)     \
  X(u8, uint8_t, KN_U8) X(u16, uint16_t, KN_U16) X(u32, uint32_t, KN_U32) X(u64, uint64_t, KN_U64)
#define EW_NUMERIC(X) EW_FLOATS(X) EW_INTS(X)

static bool ew_is_half(int dt) { return dt == KN_F16 || dt == KN_BF16; }

/* ---- broadcasting plan ---- */
typedef ir_bcast_plan ew_plan; /* the loop plan shared with the JIT (ir/broadcast_plan.c) */

static kn_status ew_plan_make(ref_ctx *c, const kn_tensor *y, int n, const kn_tensor *const *in, ew_plan *p) {
  int ranks[IR_BCAST_MAX_IN];
  const int64_t *dims[IR_BCAST_MAX_IN];
  for (int k = 0; k < n; k++) ranks[k] = in[k]->rank, dims[k] = in[k]->dims;
  int bad = ir_bcast_plan_make(y->rank, y->dims, n, ranks, dims, p);
  if (bad >= 0) return ref_fail(c, KN_ESHAPE, "input %d does not broadcast to the output shape", bad);
  return KN_OK;
}

/* ---- half-precision widening around an adapter ---- */
typedef kn_status (*ew_impl)(ref_ctx *c, int op);

static kn_status ew_widen(ref_ctx *c, const kn_tensor *src, kn_tensor *dst) {
  KN_TRY(kn_tensor_alloc(c->kn, dst, KN_F32, src->rank, src->dims));
  int64_t n = kn_tensor_numel(src);
  if (src->dtype == KN_F16) kk_elementwise_f16_to_f32(n, src->data, dst->data);
  else kk_elementwise_bf16_to_f32(n, src->data, dst->data);
  return KN_OK;
}

/* Runs impl on f32 copies of every f16/bf16 input and output. */
static kn_status ew_run(ref_ctx *c, ew_impl impl, int op) {
  bool any = false;
  for (int i = 0; i < c->nin; i++) any |= c->in[i] && ew_is_half(c->in[i]->dtype);
  for (int k = 0; k < c->nout; k++) any |= ew_is_half(c->out[k].dtype);
  if (!any) return impl(c, op);
  const kn_tensor **ins = calloc((size_t)c->nin + 1, sizeof *ins);
  kn_tensor *wide = calloc((size_t)c->nin + 1, sizeof *wide);
  kn_tensor *outs = calloc((size_t)c->nout + 1, sizeof *outs);
  kn_status st = KN_OK;
  if (!ins || !wide || !outs) st = ref_fail(c, KN_ENOMEM, "out of memory");
  for (int i = 0; st == KN_OK && i < c->nin; i++) {
    ins[i] = c->in[i];
    if (c->in[i] && ew_is_half(c->in[i]->dtype) && (st = ew_widen(c, c->in[i], &wide[i])) == KN_OK)
      ins[i] = &wide[i];
  }
  for (int k = 0; st == KN_OK && k < c->nout; k++) {
    outs[k] = c->out[k]; /* shallow: non-half outputs are written in place */
    if (ew_is_half(c->out[k].dtype))
      st = kn_tensor_alloc(c->kn, &outs[k], KN_F32, c->out[k].rank, c->out[k].dims);
  }
  if (st == KN_OK) {
    ref_ctx w = *c;
    w.in = ins;
    w.out = outs;
    st = impl(&w, op);
  }
  for (int k = 0; k < c->nout && outs; k++) {
    if (!ew_is_half(c->out[k].dtype)) continue;
    if (st == KN_OK && outs[k].data) {
      int64_t n = kn_tensor_numel(&c->out[k]);
      if (c->out[k].dtype == KN_F16) kk_elementwise_f32_to_f16(n, outs[k].data, c->out[k].data);
      else kk_elementwise_f32_to_bf16(n, outs[k].data, c->out[k].data);
    }
    kn_tensor_free(&outs[k]);
  }
  for (int i = 0; i < c->nin && wide; i++) kn_tensor_free(&wide[i]);
  free(ins), free(wide), free(outs);
  return st;
}

/* ---- unary maps ---- */
static bool ew_unary_int_ok(int op) {
  return op == KK_EW_ABS || op == KK_EW_NEG || op == KK_EW_SIGN || op == KK_EW_RELU;
}

static kn_status ew_unary_impl(ref_ctx *c, int op) {
  const kn_tensor *x = c->in[0];
  kn_tensor *y = &c->out[0];
  double p[3];
  ir_unary_params(c->node, p);
  const double p0 = p[0], p1 = p[1], p2 = p[2];
  if (op == KK_EW_CELU && p0 == 0) return ref_fail(c, KN_EINVAL, "alpha must not be 0");
  if (x->dtype != y->dtype) return ref_fail(c, KN_ETYPE, "output dtype differs from input");
  const int64_t n = kn_tensor_numel(x);
  if (op == KK_EW_NOT) {
    if (x->dtype != KN_BOOL) return ref_unsupported_dtype(c, x->dtype);
    kk_elementwise_unary_u8(op, n, x->data, y->data);
    return KN_OK;
  }
  switch (x->dtype) {
#define EW_CASE(sfx, T, DT)                                                                        \
  case DT: kk_elementwise_unary_##sfx(op, n, x->data, y->data, p0, p1, p2); return KN_OK;
    EW_FLOATS(EW_CASE)
#undef EW_CASE
#define EW_CASE(sfx, T, DT)                                                                        \
  case DT:                                                                                         \
    if (!ew_unary_int_ok(op)) break;                                                               \
    kk_elementwise_unary_##sfx(op, n, x->data, y->data);                                           \
    return KN_OK;
    EW_INTS(EW_CASE)
#undef EW_CASE
  default: break;
  }
  return ref_unsupported_dtype(c, x->dtype);
}

#define EW_UNARY(Name, OPC)                                                                        \
  kn_status ref_exec_##Name(ref_ctx *c) { return ew_run(c, ew_unary_impl, OPC); }
EW_UNARY(Abs, KK_EW_ABS)
EW_UNARY(Neg, KK_EW_NEG)
EW_UNARY(Reciprocal, KK_EW_RECIPROCAL)
EW_UNARY(Floor, KK_EW_FLOOR)
EW_UNARY(Ceil, KK_EW_CEIL)
EW_UNARY(Round, KK_EW_ROUND)
EW_UNARY(Sign, KK_EW_SIGN)
EW_UNARY(Sqrt, KK_EW_SQRT)
EW_UNARY(Exp, KK_EW_EXP)
EW_UNARY(Log, KK_EW_LOG)
EW_UNARY(Erf, KK_EW_ERF)
EW_UNARY(Tanh, KK_EW_TANH)
EW_UNARY(Sigmoid, KK_EW_SIGMOID)
EW_UNARY(Relu, KK_EW_RELU)
EW_UNARY(Sin, KK_EW_SIN)
EW_UNARY(Cos, KK_EW_COS)
EW_UNARY(Tan, KK_EW_TAN)
EW_UNARY(Asin, KK_EW_ASIN)
EW_UNARY(Acos, KK_EW_ACOS)
EW_UNARY(Atan, KK_EW_ATAN)
EW_UNARY(Sinh, KK_EW_SINH)
EW_UNARY(Cosh, KK_EW_COSH)
EW_UNARY(Asinh, KK_EW_ASINH)
EW_UNARY(Acosh, KK_EW_ACOSH)
EW_UNARY(Atanh, KK_EW_ATANH)
EW_UNARY(Softsign, KK_EW_SOFTSIGN)
EW_UNARY(Softplus, KK_EW_SOFTPLUS)
EW_UNARY(Not, KK_EW_NOT)
EW_UNARY(LeakyRelu, KK_EW_LEAKYRELU)
EW_UNARY(Elu, KK_EW_ELU)
EW_UNARY(Selu, KK_EW_SELU)
EW_UNARY(Celu, KK_EW_CELU)
EW_UNARY(HardSigmoid, KK_EW_HARDSIGMOID)
EW_UNARY(HardSwish, KK_EW_HARDSWISH)
EW_UNARY(ThresholdedRelu, KK_EW_THRESHRELU)
EW_UNARY(Shrink, KK_EW_SHRINK)

kn_status ref_exec_Gelu(ref_ctx *c) {
  const char *ap = ir_attr_s(c->node, "approximate");
  if (strcmp(ap, "none") == 0) return ew_run(c, ew_unary_impl, KK_EW_GELU);
  if (strcmp(ap, "tanh") == 0) return ew_run(c, ew_unary_impl, KK_EW_GELU_TANH);
  return ref_fail(c, KN_EINVAL, "approximate must be \"none\" or \"tanh\", got \"%s\"", ap);
}

static kn_status ew_classify_impl(ref_ctx *c, int op) {
  const kn_tensor *x = c->in[0];
  const int64_t n = kn_tensor_numel(x);
  const int pos = (int)ir_attr_i(c->node, "detect_positive");
  const int neg = (int)ir_attr_i(c->node, "detect_negative");
  switch (x->dtype) {
#define EW_CASE(sfx, T, DT)                                                                        \
  case DT: kk_elementwise_classify_##sfx(op, n, x->data, c->out[0].data, pos, neg); return KN_OK;
    EW_FLOATS(EW_CASE)
#undef EW_CASE
  default: return ref_unsupported_dtype(c, x->dtype);
  }
}
kn_status ref_exec_IsNaN(ref_ctx *c) { return ew_run(c, ew_classify_impl, KK_EW_ISNAN); }
kn_status ref_exec_IsInf(ref_ctx *c) { return ew_run(c, ew_classify_impl, KK_EW_ISINF); }

/* ---- Clip: min/max are optional scalar inputs 1 and 2 ---- */
static kn_status ew_clip_bound(ref_ctx *c, int i, const kn_tensor **b) {
  *b = i < c->nin ? c->in[i] : NULL;
  if (!*b) return KN_OK;
  int64_t n = kn_tensor_numel(*b);
  if (n == 0) *b = NULL; /* an empty tensor stands for "no bound" */
  else if (n != 1) return ref_fail(c, KN_ESHAPE, "input %d (%s) must be a scalar, has %lld elements", i,
                                   i == 1 ? "min" : "max", (long long)n);
  else if ((*b)->dtype != c->in[0]->dtype) return ref_fail(c, KN_ETYPE, "input %d dtype differs from input 0", i);
  return KN_OK;
}

static kn_status ew_clip_impl(ref_ctx *c, int op) {
  (void)op;
  const kn_tensor *x = c->in[0], *lo, *hi;
  KN_TRY(ew_clip_bound(c, 1, &lo));
  KN_TRY(ew_clip_bound(c, 2, &hi));
  const int64_t n = kn_tensor_numel(x);
  switch (x->dtype) {
#define EW_CASE(sfx, T, DT, LOWEST, HIGHEST)                                                       \
  case DT:                                                                                         \
    kk_elementwise_clip_##sfx(n, x->data, c->out[0].data, lo ? *(const T *)lo->data : (LOWEST),    \
                              hi ? *(const T *)hi->data : (HIGHEST));                              \
    return KN_OK;
    EW_CASE(f32, float, KN_F32, -__builtin_inff(), __builtin_inff())
    EW_CASE(f64, double, KN_F64, -__builtin_inf(), __builtin_inf())
    EW_CASE(i8, int8_t, KN_I8, INT8_MIN, INT8_MAX)
    EW_CASE(i16, int16_t, KN_I16, INT16_MIN, INT16_MAX)
    EW_CASE(i32, int32_t, KN_I32, INT32_MIN, INT32_MAX)
    EW_CASE(i64, int64_t, KN_I64, INT64_MIN, INT64_MAX)
    EW_CASE(u8, uint8_t, KN_U8, 0, UINT8_MAX)
    EW_CASE(u16, uint16_t, KN_U16, 0, UINT16_MAX)
    EW_CASE(u32, uint32_t, KN_U32, 0, UINT32_MAX)
    EW_CASE(u64, uint64_t, KN_U64, 0, UINT64_MAX)
#undef EW_CASE
  default: return ref_unsupported_dtype(c, x->dtype);
  }
}
kn_status ref_exec_Clip(ref_ctx *c) { return ew_run(c, ew_clip_impl, 0); }

/* ---- binary arithmetic and the variadic folds ---- */
static kn_status ew_binary2(ref_ctx *c, int op, const kn_tensor *a, const kn_tensor *b, kn_tensor *y) {
  if (a->dtype != y->dtype || b->dtype != y->dtype)
    return ref_fail(c, KN_ETYPE, "inputs are %s and %s, output %s", kn_dtype_name(a->dtype),
                    kn_dtype_name(b->dtype), kn_dtype_name(y->dtype));
  if (kn_tensor_numel(y) == 0) return KN_OK;
  ew_plan p;
  const kn_tensor *ins[2] = {a, b};
  KN_TRY(ew_plan_make(c, y, 2, ins, &p));
  switch (y->dtype) {
#define EW_CASE(sfx, T, DT)                                                                        \
  case DT:                                                                                         \
    kk_elementwise_binary_##sfx(op, p.rank, p.dims, a->data, p.st[0], b->data, p.st[1], y->data);  \
    return KN_OK;
    EW_NUMERIC(EW_CASE)
#undef EW_CASE
  default: return ref_unsupported_dtype(c, y->dtype);
  }
}

/* y = in0 op in1 op ... op inN (Min/Max/Sum/Mean fold left in place) */
static kn_status ew_binary_impl(ref_ctx *c, int op) {
  kn_tensor *y = &c->out[0];
  const bool mean = op == -1;
  if (mean) op = KK_EW_ADD;
  if ((op == KK_EW_SHL || op == KK_EW_SHR) && !(y->dtype == KN_U8 || y->dtype == KN_U16 ||
                                                y->dtype == KN_U32 || y->dtype == KN_U64))
    return ref_unsupported_dtype(c, y->dtype);
  if (!kn_dtype_is_float(y->dtype) && !kn_dtype_is_int(y->dtype)) return ref_unsupported_dtype(c, y->dtype);
  int nin = 0;
  for (int i = 0; i < c->nin; i++) {
    if (!c->in[i]) return ref_fail(c, KN_EINVAL, "input %d is missing", i);
    nin++;
  }
  if (nin == 1) {
    if (c->in[0]->dtype != y->dtype || c->in[0]->nbytes != y->nbytes)
      return ref_fail(c, KN_ETYPE, "output does not match the single input");
    memcpy(y->data, c->in[0]->data, (size_t)y->nbytes);
  } else {
    KN_TRY(ew_binary2(c, op, c->in[0], c->in[1], y));
    for (int i = 2; i < nin; i++) KN_TRY(ew_binary2(c, op, y, c->in[i], y));
  }
  if (mean && nin > 1) {
    const int64_t n = kn_tensor_numel(y);
    switch (y->dtype) {
#define EW_CASE(sfx, T, DT)                                                                        \
  case DT: {                                                                                       \
    const T cnt = (T)nin;                                                                          \
    kk_elementwise_binary_flat_##sfx(KK_EW_DIV, n, y->data, 1, &cnt, 0, y->data);                  \
    break;                                                                                         \
  }
      EW_NUMERIC(EW_CASE)
#undef EW_CASE
    default: break;
    }
  }
  return KN_OK;
}

#define EW_BINARY(Name, OPC)                                                                       \
  kn_status ref_exec_##Name(ref_ctx *c) { return ew_run(c, ew_binary_impl, OPC); }
EW_BINARY(Add, KK_EW_ADD)
EW_BINARY(Sub, KK_EW_SUB)
EW_BINARY(Mul, KK_EW_MUL)
EW_BINARY(Div, KK_EW_DIV)
EW_BINARY(PRelu, KK_EW_PRELU)
EW_BINARY(Min, KK_EW_MIN)
EW_BINARY(Max, KK_EW_MAX)
EW_BINARY(Sum, KK_EW_ADD)
EW_BINARY(Mean, -1)

kn_status ref_exec_Mod(ref_ctx *c) {
  return ew_run(c, ew_binary_impl, ir_attr_i(c->node, "fmod") ? KK_EW_FMOD : KK_EW_MOD);
}

kn_status ref_exec_BitShift(ref_ctx *c) {
  const char *dir = ir_attr_str(c->node, "direction", "");
  if (strcmp(dir, "LEFT") == 0) return ew_run(c, ew_binary_impl, KK_EW_SHL);
  if (strcmp(dir, "RIGHT") == 0) return ew_run(c, ew_binary_impl, KK_EW_SHR);
  return ref_fail(c, KN_EINVAL, "direction must be \"LEFT\" or \"RIGHT\", got \"%s\"", dir);
}

/* Pow's exponent may have another dtype: then both operands go to a common
 * type (i64 when both are integers, else f64) and the result is cast back. */
static kn_status ew_pow_impl(ref_ctx *c, int op) {
  const kn_tensor *a = c->in[0], *b = c->in[1];
  kn_tensor *y = &c->out[0];
  if (a->dtype == b->dtype) return ew_binary_impl(c, op);
  const int ct = kn_dtype_is_int(a->dtype) && kn_dtype_is_int(b->dtype) ? KN_I64 : KN_F64;
  kn_tensor ta = {0}, tb = {0}, ty = {0};
  kn_status st = KN_OK;
  if ((st = kn_tensor_alloc(c->kn, &ta, ct, a->rank, a->dims)) != KN_OK ||
      (st = kn_tensor_alloc(c->kn, &tb, ct, b->rank, b->dims)) != KN_OK ||
      (st = kn_tensor_alloc(c->kn, &ty, ct, y->rank, y->dims)) != KN_OK)
    goto done;
  if (kk_elementwise_cast(kn_tensor_numel(a), a->data, a->dtype, ta.data, ct) ||
      kk_elementwise_cast(kn_tensor_numel(b), b->data, b->dtype, tb.data, ct)) {
    st = ref_fail(c, KN_EUNSUPPORTED, "Pow of %s by %s is not supported", kn_dtype_name(a->dtype),
                  kn_dtype_name(b->dtype));
    goto done;
  }
  if ((st = ew_binary2(c, op, &ta, &tb, &ty)) != KN_OK) goto done;
  if (kk_elementwise_cast(kn_tensor_numel(y), ty.data, ct, y->data, y->dtype))
    st = ref_unsupported_dtype(c, y->dtype);
done:
  kn_tensor_free(&ta), kn_tensor_free(&tb), kn_tensor_free(&ty);
  return st;
}
kn_status ref_exec_Pow(ref_ctx *c) { return ew_run(c, ew_pow_impl, KK_EW_POW); }

/* ---- predicates ---- */
static kn_status ew_pred_impl(ref_ctx *c, int op) {
  const kn_tensor *a = c->in[0], *b = c->in[1];
  kn_tensor *y = &c->out[0];
  if (a->dtype != b->dtype)
    return ref_fail(c, KN_ETYPE, "inputs are %s and %s", kn_dtype_name(a->dtype), kn_dtype_name(b->dtype));
  const bool logic = op == KK_EW_AND || op == KK_EW_OR || op == KK_EW_XOR;
  if (logic && a->dtype != KN_BOOL) return ref_unsupported_dtype(c, a->dtype);
  if (kn_tensor_numel(y) == 0) return KN_OK;
  ew_plan p;
  const kn_tensor *ins[2] = {a, b};
  KN_TRY(ew_plan_make(c, y, 2, ins, &p));
  switch (a->dtype == KN_BOOL ? KN_U8 : a->dtype) {
#define EW_CASE(sfx, T, DT)                                                                        \
  case DT:                                                                                         \
    kk_elementwise_pred_##sfx(op, p.rank, p.dims, a->data, p.st[0], b->data, p.st[1], y->data);    \
    return KN_OK;
    EW_NUMERIC(EW_CASE)
#undef EW_CASE
  default: return ref_unsupported_dtype(c, a->dtype);
  }
}
#define EW_PRED(Name, OPC)                                                                         \
  kn_status ref_exec_##Name(ref_ctx *c) { return ew_run(c, ew_pred_impl, OPC); }
EW_PRED(Equal, KK_EW_EQ)
EW_PRED(Less, KK_EW_LT)
EW_PRED(Greater, KK_EW_GT)
EW_PRED(LessOrEqual, KK_EW_LE)
EW_PRED(GreaterOrEqual, KK_EW_GE)
EW_PRED(And, KK_EW_AND)
EW_PRED(Or, KK_EW_OR)
EW_PRED(Xor, KK_EW_XOR)

/* ---- Where: a select by element size, so every dtype (f16 too) works ---- */
kn_status ref_exec_Where(ref_ctx *c) {
  const kn_tensor *cond = c->in[0], *x = c->in[1], *z = c->in[2];
  kn_tensor *y = &c->out[0];
  if (cond->dtype != KN_BOOL) return ref_fail(c, KN_ETYPE, "condition must be bool");
  if (x->dtype != y->dtype || z->dtype != y->dtype) return ref_fail(c, KN_ETYPE, "X and Y dtypes differ");
  if (kn_tensor_numel(y) == 0) return KN_OK;
  ew_plan p;
  KN_TRY(ew_plan_make(c, y, 3, c->in, &p));
  switch (kn_dtype_size(y->dtype)) {
#define EW_CASE(bits, T)                                                                           \
  case bits / 8:                                                                                   \
    kk_elementwise_where_##bits(p.rank, p.dims, cond->data, p.st[0], x->data, p.st[1], z->data,     \
                                p.st[2], y->data);                                                 \
    return KN_OK;
    KK_EW_SIZED_TYPES(EW_CASE)
#undef EW_CASE
  default: return ref_unsupported_dtype(c, y->dtype);
  }
}

/* ---- Cast, CastLike, Identity, Dropout ---- */
static kn_status ew_cast(ref_ctx *c, const kn_tensor *x, kn_tensor *y) {
  if (x->dtype == KN_STRING || y->dtype == KN_STRING)
    return ref_fail(c, KN_EUNSUPPORTED, "casts from or to string are not supported");
  if (kk_elementwise_cast(kn_tensor_numel(x), x->data, x->dtype, y->data, y->dtype))
    return ref_fail(c, KN_EUNSUPPORTED, "cast from %s to %s is not supported", kn_dtype_name(x->dtype),
                    kn_dtype_name(y->dtype));
  return KN_OK;
}
kn_status ref_exec_Cast(ref_ctx *c) { return ew_cast(c, c->in[0], &c->out[0]); }
kn_status ref_exec_CastLike(ref_ctx *c) { return ew_cast(c, c->in[0], &c->out[0]); }

static kn_status ew_copy(ref_ctx *c, const kn_tensor *x, kn_tensor *y) {
  if (x->dtype != y->dtype || x->nbytes != y->nbytes)
    return ref_fail(c, KN_EINTERNAL, "output does not match the input");
  if (x->nbytes) memcpy(y->data, x->data, (size_t)x->nbytes);
  return KN_OK;
}
kn_status ref_exec_Identity(ref_ctx *c) { return ew_copy(c, c->in[0], &c->out[0]); }

/* Inference only: dropping nothing is the identity, so training mode with a
 * nonzero ratio (random masks) is refused rather than faked. */
kn_status ref_exec_Dropout(ref_ctx *c) {
  const kn_tensor *ratio = c->nin > 1 ? c->in[1] : NULL, *train = c->nin > 2 ? c->in[2] : NULL;
  if (train && kn_tensor_numel(train) >= 1 && kn_tensor_get_f64(train, 0) != 0) {
    double r = ratio && kn_tensor_numel(ratio) >= 1 ? kn_tensor_get_f64(ratio, 0) : 0.5;
    if (r != 0) return ref_fail(c, KN_EUNSUPPORTED, "training mode with ratio %g (random dropout) is not supported", r);
  }
  KN_TRY(ew_copy(c, c->in[0], &c->out[0]));
  if (c->nout > 1 && c->out[1].data && c->out[1].dtype == KN_BOOL) memset(c->out[1].data, 1, (size_t)c->out[1].nbytes);
  return KN_OK;
}
