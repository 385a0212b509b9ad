/* exec_reduce.c: reference-executor adapters for the REDUCE family. Each
 * adapter turns ONNX shapes and attributes into the views the kernels in
 * k_reduce.h walk. For Reduce* that means: drop size-1 dims, merge adjacent
 * dims that are all reduced or all kept, and if the reduced dims then form a
 * single run call the kernel on [outer, red, inner] directly; otherwise (e.g.
 * axes {0, 2} of a 3-D tensor) gather the input once so the kept dims come
 * first and the reduced ones last, which turns any axes list into the
 * contiguous inner == 1 case. float16/bfloat16 tensors are widened to f32 on
 * the way in and narrowed on the way out, so kernels exist for native types
 * only. */
#include "k_reduce.h"
#include "ref.h"
#include <string.h>

/* Calls CALL(T, S) for the kernel instance of dtype dt; FAIL otherwise. */
#define REDUCE_DISPATCH(dt, CALL, FAIL)                                                            \
  switch (dt) {                                                                                    \
  case KN_F32: CALL(float, f32); break;                                                            \
  case KN_F64: CALL(double, f64); break;                                                           \
  case KN_I32: CALL(int32_t, i32); break;                                                          \
  case KN_I64: CALL(int64_t, i64); break;                                                          \
  case KN_U32: CALL(uint32_t, u32); break;                                                         \
  case KN_U64: CALL(uint64_t, u64); break;                                                         \
  case KN_I8: CALL(int8_t, i8); break;                                                             \
  case KN_U8: CALL(uint8_t, u8); break;                                                            \
  case KN_I16: CALL(int16_t, i16); break;                                                          \
  case KN_U16: CALL(uint16_t, u16); break;                                                         \
  default: FAIL;                                                                                   \
  }

static bool is_half(int dt) { return dt == KN_F16 || dt == KN_BF16; }

/* ---- f16/bf16 widening: the kernels see f32 data ---- */
typedef struct widened {
  int dt;          /* the dtype the kernels see */
  const void *x;   /* input 0 data as dt */
  void *y;         /* output 0 data as dt */
  float *xtmp, *ytmp;
} widened;

static float *to_f32(const kn_tensor *t) {
  int64_t n = kn_tensor_numel(t);
  float *p = kn_aligned_alloc((size_t)n * sizeof(float));
  if (p)
    for (int64_t i = 0; i < n; i++) p[i] = (float)kn_tensor_get_f64(t, i);
  return p;
}

/* Opens input x and output y (same dtype) for the kernels. */
static kn_status widen_open(ref_ctx *c, widened *w, const kn_tensor *x, kn_tensor *y) {
  memset(w, 0, sizeof *w);
  w->dt = x->dtype;
  w->x = x->data;
  w->y = y ? y->data : NULL;
  if (!is_half(x->dtype)) return KN_OK;
  w->dt = KN_F32;
  w->x = w->xtmp = to_f32(x);
  if (y) w->y = w->ytmp = kn_aligned_alloc((size_t)kn_tensor_numel(y) * sizeof(float));
  if (!w->xtmp || (y && !w->ytmp)) {
    kn_aligned_free(w->xtmp);
    kn_aligned_free(w->ytmp);
    return ref_fail(c, KN_ENOMEM, "out of memory");
  }
  return KN_OK;
}

/* Narrows the f32 result into y (on success) and frees the temporaries. */
static kn_status widen_close(widened *w, kn_tensor *y, kn_status st) {
  if (w->ytmp && st == KN_OK) {
    int64_t n = kn_tensor_numel(y);
    for (int64_t i = 0; i < n; i++) kn_tensor_set_f64(y, i, w->ytmp[i]);
  }
  kn_aligned_free(w->xtmp);
  kn_aligned_free(w->ytmp);
  return st;
}

static kn_status need_output(ref_ctx *c, int k) {
  if (k >= c->nout || c->out[k].rank < 0) return ref_fail(c, KN_EINTERNAL, "output %d has no shape", k);
  return KN_OK;
}

/* ---- Reduce* ---- */

/* Marks the reduced axes; *identity when noop_with_empty_axes makes the op a copy. */
static kn_status reduce_axes(ref_ctx *c, int rank, bool *reduced, bool *identity) {
  const kn_tensor *ax = c->nin > 1 ? c->in[1] : NULL;
  int64_t naxes = ax ? kn_tensor_numel(ax) : 0;
  memset(reduced, 0, sizeof(bool) * KN_MAX_RANK);
  *identity = false;
  if (naxes == 0) {
    *identity = ir_attr_i(c->node, "noop_with_empty_axes") != 0;
    for (int d = 0; d < rank; d++) reduced[d] = true;
    return KN_OK;
  }
  if (naxes < 0 || naxes > rank) return ref_fail(c, KN_ESHAPE, "%lld axes for rank %d", (long long)naxes, rank);
  for (int64_t k = 0; k < naxes; k++) {
    int64_t a = kn_tensor_get_i64(ax, k);
    if (a < -rank || a >= rank) return ref_fail(c, KN_EINVAL, "axis %lld is out of range for rank %d", (long long)a, rank);
    if (a < 0) a += rank;
    if (reduced[a]) return ref_fail(c, KN_EINVAL, "axis %lld is repeated in axes", (long long)a);
    reduced[a] = true;
  }
  return KN_OK;
}

static kn_status exec_reduce(ref_ctx *c, int kind) {
  const kn_tensor *x = c->in[0];
  kn_tensor *y = &c->out[0];
  KN_TRY(need_output(c, 0));
  bool reduced[KN_MAX_RANK], identity;
  KN_TRY(reduce_axes(c, x->rank, reduced, &identity));
  if (identity) {
    if (y->nbytes != x->nbytes || y->dtype != x->dtype)
      return ref_fail(c, KN_EINTERNAL, "identity reduction with a mismatched output");
    if (x->nbytes) memcpy(y->data, x->data, (size_t)x->nbytes);
    return KN_OK;
  }
  if (kn_tensor_numel(y) == 0) return KN_OK;

  ir_reduce_plan rp; /* shared with the JIT (ir/reduce_plan.c) */
  ir_reduce_plan_make(x->rank, x->dims, reduced, &rp);
  int64_t outer = rp.outer, red = rp.red, inner = rp.inner;
  void *gathered = NULL;
  widened w;
  KN_TRY(widen_open(c, &w, x, y));
  const void *src = w.x;
  if (rp.np) {
    int np = rp.np;
    const int64_t *pdim = rp.pdim, *pstride = rp.pstride;
    size_t es = kn_dtype_size(w.dt);
    gathered = kn_aligned_alloc((size_t)(outer * red) * es);
    if (!gathered) return widen_close(&w, y, ref_fail(c, KN_ENOMEM, "out of memory"));
    switch (es) {
    case 1: kk_reduce_gather_b1(src, gathered, np, pdim, pstride); break;
    case 2: kk_reduce_gather_b2(src, gathered, np, pdim, pstride); break;
    case 4: kk_reduce_gather_b4(src, gathered, np, pdim, pstride); break;
    default: kk_reduce_gather_b8(src, gathered, np, pdim, pstride); break;
    }
    src = gathered;
  }
  kn_status st = KN_OK;
#define CALL_REDUCE(T, S) kk_reduce_##S(kind, (const T *)src, (T *)w.y, outer, red, inner)
  REDUCE_DISPATCH(w.dt, CALL_REDUCE, st = ref_unsupported_dtype(c, x->dtype))
#undef CALL_REDUCE
  kn_aligned_free(gathered);
  return widen_close(&w, y, st);
}

kn_status ref_exec_ReduceSum(ref_ctx *c) { return exec_reduce(c, KK_REDUCE_SUM); }
kn_status ref_exec_ReduceMean(ref_ctx *c) { return exec_reduce(c, KK_REDUCE_MEAN); }
kn_status ref_exec_ReduceMax(ref_ctx *c) { return exec_reduce(c, KK_REDUCE_MAX); }
kn_status ref_exec_ReduceMin(ref_ctx *c) { return exec_reduce(c, KK_REDUCE_MIN); }
kn_status ref_exec_ReduceProd(ref_ctx *c) { return exec_reduce(c, KK_REDUCE_PROD); }
kn_status ref_exec_ReduceL1(ref_ctx *c) { return exec_reduce(c, KK_REDUCE_L1); }
kn_status ref_exec_ReduceL2(ref_ctx *c) { return exec_reduce(c, KK_REDUCE_L2); }
kn_status ref_exec_ReduceLogSum(ref_ctx *c) { return exec_reduce(c, KK_REDUCE_LOGSUM); }
kn_status ref_exec_ReduceLogSumExp(ref_ctx *c) { return exec_reduce(c, KK_REDUCE_LOGSUMEXP); }
kn_status ref_exec_ReduceSumSquare(ref_ctx *c) { return exec_reduce(c, KK_REDUCE_SUMSQUARE); }

/* ---- ArgMax / ArgMin ---- */

/* [outer, n, inner] view of x around a normalized axis. */
static kn_status axis_view(ref_ctx *c, const kn_tensor *x, int64_t axis, int64_t *outer, int64_t *n,
                           int64_t *inner) {
  if (x->rank == 0) return ref_fail(c, KN_ESHAPE, "input must have rank >= 1");
  if (axis < -x->rank || axis >= x->rank)
    return ref_fail(c, KN_EINVAL, "axis %lld is out of range for rank %d", (long long)axis, x->rank);
  int a = (int)(axis < 0 ? axis + x->rank : axis);
  *outer = kn_dims_prod(x->dims, 0, a);
  *n = x->dims[a];
  *inner = kn_dims_prod(x->dims, a + 1, x->rank);
  return KN_OK;
}

static kn_status exec_arg(ref_ctx *c, int is_min) {
  const kn_tensor *x = c->in[0];
  kn_tensor *y = &c->out[0];
  int64_t outer, n, inner;
  KN_TRY(need_output(c, 0));
  KN_TRY(axis_view(c, x, ir_op_axis(c->node), &outer, &n, &inner));
  if (y->dtype != KN_I64) return ref_fail(c, KN_EINTERNAL, "output must be int64");
  if (outer * inner == 0) return KN_OK;
  if (n == 0) return ref_fail(c, KN_ESHAPE, "cannot take the arg-extremum of an empty axis");
  int last = ir_attr_i(c->node, "select_last_index") != 0;
  widened w;
  KN_TRY(widen_open(c, &w, x, NULL));
  kn_status st = KN_OK;
#define CALL_ARG(T, S) kk_reduce_arg_##S((const T *)w.x, y->data, outer, n, inner, is_min, last)
  REDUCE_DISPATCH(w.dt, CALL_ARG, st = ref_unsupported_dtype(c, x->dtype))
#undef CALL_ARG
  return widen_close(&w, NULL, st);
}

kn_status ref_exec_ArgMax(ref_ctx *c) { return exec_arg(c, 0); }
kn_status ref_exec_ArgMin(ref_ctx *c) { return exec_arg(c, 1); }

/* ---- TopK ---- */
kn_status ref_exec_TopK(ref_ctx *c) {
  const kn_tensor *x = c->in[0], *kt = c->in[1];
  kn_tensor *vals = &c->out[0], *idx = &c->out[1];
  int64_t outer, n, inner;
  KN_TRY(need_output(c, 0));
  KN_TRY(need_output(c, 1));
  KN_TRY(axis_view(c, x, ir_op_axis(c->node), &outer, &n, &inner));
  if (kn_tensor_numel(kt) != 1) return ref_fail(c, KN_ESHAPE, "k must have exactly one element");
  int64_t k = kn_tensor_get_i64(kt, 0);
  if (k < 0 || k > n) return ref_fail(c, KN_ESHAPE, "k = %lld is outside [0, %lld]", (long long)k, (long long)n);
  if (kn_tensor_numel(vals) != outer * k * inner || kn_tensor_numel(idx) != outer * k * inner ||
      idx->dtype != KN_I64)
    return ref_fail(c, KN_EINTERNAL, "outputs do not have the shape of k = %lld", (long long)k);
  if (outer * inner * k == 0) return KN_OK;
  int largest = ir_attr_i(c->node, "largest") != 0;
  widened w;
  KN_TRY(widen_open(c, &w, x, vals));
  void *vbuf = kn_aligned_alloc((size_t)n * kn_dtype_size(w.dt));
  int64_t *ibuf = kn_aligned_alloc((size_t)n * 2 * sizeof(int64_t));
  kn_status st = KN_OK;
  if (!vbuf || !ibuf) {
    st = ref_fail(c, KN_ENOMEM, "out of memory");
  } else {
#define CALL_TOPK(T, S)                                                                            \
  kk_reduce_topk_##S((const T *)w.x, (T *)w.y, idx->data, outer, n, inner, k, largest, (T *)vbuf, ibuf)
    REDUCE_DISPATCH(w.dt, CALL_TOPK, st = ref_unsupported_dtype(c, x->dtype))
#undef CALL_TOPK
  }
  kn_aligned_free(vbuf);
  kn_aligned_free(ibuf);
  return widen_close(&w, vals, st);
}

/* ---- CumSum ---- */
kn_status ref_exec_CumSum(ref_ctx *c) {
  const kn_tensor *x = c->in[0], *at = c->in[1];
  kn_tensor *y = &c->out[0];
  KN_TRY(need_output(c, 0));
  if (at->dtype != KN_I32 && at->dtype != KN_I64)
    return ref_fail(c, KN_ETYPE, "axis must be int32 or int64, got %s", kn_dtype_name(at->dtype));
  if (kn_tensor_numel(at) != 1 || at->rank > 1) return ref_fail(c, KN_ESHAPE, "axis must be a scalar");
  int64_t outer, n, inner;
  KN_TRY(axis_view(c, x, kn_tensor_get_i64(at, 0), &outer, &n, &inner));
  if (outer * n * inner == 0) return KN_OK;
  int excl = ir_attr_i(c->node, "exclusive") != 0, rev = ir_attr_i(c->node, "reverse") != 0;
  widened w;
  KN_TRY(widen_open(c, &w, x, y));
  kn_status st = KN_OK;
#define CALL_CUMSUM(T, S) kk_reduce_cumsum_##S((const T *)w.x, (T *)w.y, outer, n, inner, excl, rev)
  REDUCE_DISPATCH(w.dt, CALL_CUMSUM, st = ref_unsupported_dtype(c, x->dtype))
#undef CALL_CUMSUM
  return widen_close(&w, y, st);
}

/* ---- windows ---- */
static kn_status exec_window(ref_ctx *c, int kind) {
  kn_tensor *y = &c->out[0];
  KN_TRY(need_output(c, 0));
  if (kn_tensor_numel(c->in[0]) != 1) return ref_fail(c, KN_ESHAPE, "size must be a scalar");
  int64_t n = kn_tensor_get_i64(c->in[0], 0);
  if (y->rank != 1 || y->dims[0] != n) return ref_fail(c, KN_EINTERNAL, "output does not have %lld points", (long long)n);
  int periodic = ir_attr_i(c->node, "periodic") != 0;
  if (y->dtype == KN_F32) kk_reduce_window_f32(kind, periodic, y->data, n);
  else if (y->dtype == KN_F64) kk_reduce_window_f64(kind, periodic, y->data, n);
  else {
    double *tmp = kn_aligned_alloc((size_t)n * sizeof(double));
    if (!tmp) return ref_fail(c, KN_ENOMEM, "out of memory");
    kk_reduce_window_f64(kind, periodic, tmp, n);
    for (int64_t i = 0; i < n; i++) kn_tensor_set_f64(y, i, tmp[i]);
    kn_aligned_free(tmp);
  }
  return KN_OK;
}

kn_status ref_exec_HannWindow(ref_ctx *c) { return exec_window(c, KK_REDUCE_WINDOW_HANN); }
kn_status ref_exec_HammingWindow(ref_ctx *c) { return exec_window(c, KK_REDUCE_WINDOW_HAMMING); }
kn_status ref_exec_BlackmanWindow(ref_ctx *c) { return exec_window(c, KK_REDUCE_WINDOW_BLACKMAN); }

/* ---- QuantizeLinear / DequantizeLinear ---- */

/* [outer, ch, inner] view: per-tensor when scale has one element, else per-axis. */
static kn_status quant_view(ref_ctx *c, int64_t *outer, int64_t *ch, int64_t *inner) {
  const kn_tensor *x = c->in[0], *s = c->in[1], *z = c->nin > 2 ? c->in[2] : NULL;
  int64_t ns = kn_tensor_numel(s);
  if (z && kn_tensor_numel(z) != ns) return ref_fail(c, KN_ESHAPE, "zero point and scale sizes differ");
  if (ns == 1) {
    *outer = *ch = 1;
    *inner = kn_tensor_numel(x);
    return KN_OK;
  }
  if (s->rank != 1) return ref_fail(c, KN_ESHAPE, "per-axis scale must be 1-D");
  KN_TRY(axis_view(c, x, ir_op_axis(c->node), outer, ch, inner));
  if (*ch != ns)
    return ref_fail(c, KN_ESHAPE, "scale has %lld entries but the axis has length %lld", (long long)ns, (long long)*ch);
  return KN_OK;
}

/* f32 view of a float tensor (copied unless it already is f32). */
static const float *as_f32(const kn_tensor *t, float **tmp) {
  *tmp = NULL;
  if (t->dtype == KN_F32) return t->data;
  return *tmp = to_f32(t);
}

kn_status ref_exec_QuantizeLinear(ref_ctx *c) {
  const kn_tensor *x = c->in[0], *s = c->in[1], *z = c->nin > 2 ? c->in[2] : NULL;
  kn_tensor *y = &c->out[0];
  int64_t outer, ch, inner;
  KN_TRY(need_output(c, 0));
  KN_TRY(quant_view(c, &outer, &ch, &inner));
  if (!kn_dtype_is_float(x->dtype) && x->dtype != KN_I32) return ref_unsupported_dtype(c, x->dtype);
  if (!kn_dtype_is_float(s->dtype)) return ref_fail(c, KN_ETYPE, "scale must be a float tensor");
  if (z && z->dtype != y->dtype) return ref_fail(c, KN_ETYPE, "zero point dtype differs from the output's");
  float *xt, *stmp;
  const float *xf = as_f32(x, &xt), *sf = as_f32(s, &stmp);
  kn_status st = KN_OK;
  if ((x->dtype != KN_F32 && !xt) || (s->dtype != KN_F32 && !stmp)) {
    st = ref_fail(c, KN_ENOMEM, "out of memory");
  } else {
    const void *zp = z ? z->data : NULL;
    switch (y->dtype) {
    case KN_U8: kk_reduce_quantize_f32_u8(xf, sf, zp, y->data, outer, ch, inner); break;
    case KN_I8: kk_reduce_quantize_f32_i8(xf, sf, zp, y->data, outer, ch, inner); break;
    case KN_U16: kk_reduce_quantize_f32_u16(xf, sf, zp, y->data, outer, ch, inner); break;
    case KN_I16: kk_reduce_quantize_f32_i16(xf, sf, zp, y->data, outer, ch, inner); break;
    default: st = ref_unsupported_dtype(c, y->dtype); break;
    }
  }
  kn_aligned_free(xt);
  kn_aligned_free(stmp);
  return st;
}

kn_status ref_exec_DequantizeLinear(ref_ctx *c) {
  const kn_tensor *x = c->in[0], *s = c->in[1], *z = c->nin > 2 ? c->in[2] : NULL;
  kn_tensor *y = &c->out[0];
  int64_t outer, ch, inner;
  KN_TRY(need_output(c, 0));
  KN_TRY(quant_view(c, &outer, &ch, &inner));
  if (!kn_dtype_is_float(s->dtype)) return ref_fail(c, KN_ETYPE, "scale must be a float tensor");
  if (z && z->dtype != x->dtype) return ref_fail(c, KN_ETYPE, "zero point dtype differs from x's");
  float *stmp, *yt = NULL;
  const float *sf = as_f32(s, &stmp);
  float *yf = y->data;
  if (y->dtype != KN_F32) yf = yt = kn_aligned_alloc((size_t)kn_tensor_numel(y) * sizeof(float));
  kn_status st = KN_OK;
  if ((s->dtype != KN_F32 && !stmp) || !yf) {
    st = ref_fail(c, KN_ENOMEM, "out of memory");
  } else {
    const void *zp = z ? z->data : NULL;
    switch (x->dtype) {
    case KN_U8: kk_reduce_dequantize_u8_f32(x->data, sf, zp, yf, outer, ch, inner); break;
    case KN_I8: kk_reduce_dequantize_i8_f32(x->data, sf, zp, yf, outer, ch, inner); break;
    case KN_U16: kk_reduce_dequantize_u16_f32(x->data, sf, zp, yf, outer, ch, inner); break;
    case KN_I16: kk_reduce_dequantize_i16_f32(x->data, sf, zp, yf, outer, ch, inner); break;
    case KN_I32: kk_reduce_dequantize_i32_f32(x->data, sf, zp, yf, outer, ch, inner); break;
    default: st = ref_unsupported_dtype(c, x->dtype); break;
    }
  }
  if (yt && st == KN_OK) {
    int64_t n = kn_tensor_numel(y);
    for (int64_t i = 0; i < n; i++) kn_tensor_set_f64(y, i, yt[i]);
  }
  kn_aligned_free(yt);
  kn_aligned_free(stmp);
  return st;
}
