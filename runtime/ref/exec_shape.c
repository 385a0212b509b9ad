/* exec_shape.c: reference-executor adapters of the SHAPE family. The output
 * shapes were already computed (and validated) by ir_infer_shape.c with concrete
 * inputs, so each adapter only turns tensors into the strided views the
 * element-size generic kernels of runtime/kernels/shape.c take: it computes
 * strides, folds offsets into base pointers, and coalesces dims so the
 * kernels' innermost loop is as long as possible. */
#include "k_shape.h"
#include "ref.h"
#include <string.h>

/* ---- helpers ---- */
static const kn_tensor *opt_in(ref_ctx *c, int i) { return i < c->nin ? c->in[i] : NULL; }

static kn_status elem_size(ref_ctx *c, int dtype, size_t *es) {
  *es = kn_dtype_size(dtype);
  return *es ? KN_OK : ref_unsupported_dtype(c, dtype);
}

static void contiguous_strides(int rank, const int64_t *dims, int64_t *st) {
  int64_t acc = 1;
  for (int i = rank - 1; i >= 0; i--) {
    st[i] = acc;
    acc *= dims[i];
  }
}

/* Drops size-1 dims and merges neighbours that are contiguous in both views,
 * in place; returns the new rank. */
static int coalesce(int rank, int64_t *dims, int64_t *ds, int64_t *ss) {
  int r = 0;
  for (int i = 0; i < rank; i++) {
    if (dims[i] == 1) continue;
    if (r > 0 && ds[r - 1] == ds[i] * dims[i] && ss[r - 1] == ss[i] * dims[i]) {
      dims[r - 1] *= dims[i];
      ds[r - 1] = ds[i];
      ss[r - 1] = ss[i];
      continue;
    }
    dims[r] = dims[i], ds[r] = ds[i], ss[r] = ss[i];
    r++;
  }
  return r;
}

/* Copies src (strides ss) into contiguous dst of shape dims, coalescing first. */
static void gather_into(void *dst, const void *src, int rank, const int64_t *dims_in, const int64_t *ss_in,
                        size_t es, bool transpose) {
  int64_t dims[KK_SHAPE_MAX_RANK], ds[KK_SHAPE_MAX_RANK], ss[KK_SHAPE_MAX_RANK];
  if (kn_dims_prod(dims_in, 0, rank) == 0) return;
  for (int i = 0; i < rank; i++) dims[i] = dims_in[i], ss[i] = ss_in[i];
  contiguous_strides(rank, dims, ds);
  int r = coalesce(rank, dims, ds, ss);
  if (transpose) kk_shape_transpose(dst, src, dims, ss, r, es);
  else kk_shape_copy_strided(dst, ds, src, ss, dims, r, es);
}

/* Reads a small integer list input (absent -> -1 count). */
static int read_list(const kn_tensor *t, int64_t *v, int max) {
  if (!t) return -1;
  int64_t n = kn_tensor_numel(t);
  if (n < 0 || n > max) return -1;
  for (int64_t i = 0; i < n; i++) v[i] = kn_tensor_get_i64(t, i);
  return (int)n;
}

/* ---- ops that only relabel the shape: the bytes are unchanged ---- */
static kn_status exec_copy(ref_ctx *c) {
  const kn_tensor *x = c->in[0];
  kn_tensor *o = &c->out[0];
  if (o->nbytes != x->nbytes || o->dtype != x->dtype)
    return ref_fail(c, KN_EINTERNAL, "output of %lld bytes for an input of %lld bytes", (long long)o->nbytes,
                    (long long)x->nbytes);
  if (kn_dtype_size(x->dtype) == 0) return ref_unsupported_dtype(c, x->dtype);
  kk_shape_copy(o->data, x->data, x->nbytes);
  return KN_OK;
}

kn_status ref_exec_Reshape(ref_ctx *c) { return exec_copy(c); }
kn_status ref_exec_Flatten(ref_ctx *c) { return exec_copy(c); }
kn_status ref_exec_Squeeze(ref_ctx *c) { return exec_copy(c); }
kn_status ref_exec_Unsqueeze(ref_ctx *c) { return exec_copy(c); }

/* ---- Transpose ---- */
kn_status ref_exec_Transpose(ref_ctx *c) {
  const kn_tensor *x = c->in[0];
  kn_tensor *o = &c->out[0];
  size_t es;
  KN_TRY(elem_size(c, x->dtype, &es));
  int r = x->rank, perm[KN_MAX_RANK];
  const ir_attr *a = ir_attr_get(c->node, "perm");
  for (int i = 0; i < r; i++) {
    perm[i] = a ? (int)(a->kind == IR_ATTR_INTS ? a->ints[i] : a->i) : r - 1 - i;
    if (perm[i] < 0 || perm[i] >= r) return ref_fail(c, KN_EINVAL, "bad perm");
  }
  int64_t xs[KN_MAX_RANK], ss[KN_MAX_RANK];
  contiguous_strides(r, x->dims, xs);
  for (int i = 0; i < r; i++) ss[i] = xs[perm[i]];
  gather_into(o->data, x->data, r, o->dims, ss, es, true);
  return KN_OK;
}

/* ---- Concat / Split: 2-d window copies around the axis ---- */
static int norm_axis(int64_t axis, int rank) { return (int)(axis < 0 ? axis + rank : axis); }

kn_status ref_exec_Concat(ref_ctx *c) {
  kn_tensor *o = &c->out[0];
  size_t es;
  KN_TRY(elem_size(c, o->dtype, &es));
  int axis = norm_axis(ir_op_axis(c->node), o->rank);
  if (axis < 0 || axis >= o->rank) return ref_fail(c, KN_EINVAL, "bad axis");
  int64_t outer = kn_dims_prod(o->dims, 0, axis), inner = kn_dims_prod(o->dims + axis + 1, 0, o->rank - axis - 1);
  int64_t row = o->dims[axis] * inner, off = 0;
  for (int i = 0; i < c->nin; i++) {
    const kn_tensor *x = c->in[i];
    if (!x) continue;
    if (x->dtype != o->dtype || x->rank != o->rank) return ref_fail(c, KN_EINTERNAL, "input %d mismatch", i);
    int64_t cols = x->dims[axis] * inner;
    if (off + cols > row) return ref_fail(c, KN_EINTERNAL, "inputs exceed the output");
    if (cols > 0 && outer > 0) {
      int64_t dims[2] = {outer, cols}, ds[2] = {row, 1}, ss[2] = {cols, 1};
      kk_shape_copy_strided((char *)o->data + off * (int64_t)es, ds, x->data, ss, dims, 2, es);
    }
    off += cols;
  }
  return KN_OK;
}

kn_status ref_exec_Split(ref_ctx *c) {
  const kn_tensor *x = c->in[0];
  size_t es;
  KN_TRY(elem_size(c, x->dtype, &es));
  int axis = norm_axis(ir_op_axis(c->node), x->rank);
  if (axis < 0 || axis >= x->rank) return ref_fail(c, KN_EINVAL, "bad axis");
  int64_t outer = kn_dims_prod(x->dims, 0, axis), inner = kn_dims_prod(x->dims + axis + 1, 0, x->rank - axis - 1);
  int64_t row = x->dims[axis] * inner, off = 0;
  for (int k = 0; k < c->nout; k++) {
    kn_tensor *o = &c->out[k];
    if (o->rank != x->rank) return ref_fail(c, KN_EINTERNAL, "output %d has rank %d", k, o->rank);
    int64_t cols = o->dims[axis] * inner;
    if (off + cols > row) return ref_fail(c, KN_EINTERNAL, "outputs exceed the input");
    if (cols > 0 && outer > 0) {
      int64_t dims[2] = {outer, cols}, ds[2] = {cols, 1}, ss[2] = {row, 1};
      kk_shape_copy_strided(o->data, ds, (const char *)x->data + off * (int64_t)es, ss, dims, 2, es);
    }
    off += cols;
  }
  return KN_OK;
}

/* ---- Slice (the first index of each axis: ir_slice_first) ---- */

kn_status ref_exec_Slice(ref_ctx *c) {
  const kn_tensor *x = c->in[0];
  kn_tensor *o = &c->out[0];
  size_t es;
  KN_TRY(elem_size(c, x->dtype, &es));
  enum { MAXL = 64 };
  int64_t st[MAXL], ax[MAXL], sp[MAXL];
  int r = x->rank;
  int n = read_list(c->in[1], st, MAXL);
  int na = read_list(opt_in(c, 3), ax, MAXL), nsp = read_list(opt_in(c, 4), sp, MAXL);
  if (n < 0 || (na >= 0 && na != n) || (nsp >= 0 && nsp != n) || o->rank != r)
    return ref_fail(c, KN_EINTERNAL, "inconsistent slice parameters");
  int64_t xs[KN_MAX_RANK], ss[KN_MAX_RANK];
  contiguous_strides(r, x->dims, xs);
  for (int i = 0; i < r; i++) ss[i] = xs[i];
  if (kn_dims_prod(o->dims, 0, r) == 0) return KN_OK;
  int64_t base = 0;
  for (int i = 0; i < n; i++) {
    int a = norm_axis(na >= 0 ? ax[i] : i, r);
    int64_t step = nsp >= 0 ? sp[i] : 1;
    if (a < 0 || a >= r || step == 0) return ref_fail(c, KN_EINTERNAL, "bad slice axis or step");
    base += ir_slice_first(x->dims[a], st[i], step) * xs[a];
    ss[a] = xs[a] * step;
  }
  gather_into(o->data, (const char *)x->data + base * (int64_t)es, r, o->dims, ss, es, false);
  return KN_OK;
}

/* ---- Expand / Tile: broadcast dims read with stride 0 ---- */
kn_status ref_exec_Expand(ref_ctx *c) {
  const kn_tensor *x = c->in[0];
  kn_tensor *o = &c->out[0];
  size_t es;
  KN_TRY(elem_size(c, x->dtype, &es));
  int r = o->rank, xr = x->rank;
  if (xr > r) return ref_fail(c, KN_EINTERNAL, "output rank below input rank");
  int64_t xs[KN_MAX_RANK], ss[KN_MAX_RANK];
  contiguous_strides(xr, x->dims, xs);
  for (int i = 0; i < r; i++) {
    int xi = i - (r - xr);
    if (xi >= 0 && x->dims[xi] != 1 && x->dims[xi] != o->dims[i])
      return ref_fail(c, KN_EINTERNAL, "dim %d does not broadcast", i);
    ss[i] = xi < 0 || x->dims[xi] == 1 ? 0 : xs[xi];
  }
  gather_into(o->data, x->data, r, o->dims, ss, es, false);
  return KN_OK;
}

kn_status ref_exec_Tile(ref_ctx *c) {
  const kn_tensor *x = c->in[0];
  kn_tensor *o = &c->out[0];
  size_t es;
  KN_TRY(elem_size(c, x->dtype, &es));
  int r = x->rank;
  if (o->rank != r) return ref_fail(c, KN_EINTERNAL, "rank mismatch");
  /* out viewed as [rep0, d0, rep1, d1, ...]: the repeat dims read with stride 0 */
  int64_t xs[KN_MAX_RANK], dims[KK_SHAPE_MAX_RANK], ss[KK_SHAPE_MAX_RANK];
  contiguous_strides(r, x->dims, xs);
  for (int i = 0; i < r; i++) {
    if (x->dims[i] == 0) return KN_OK; /* output is empty too */
    dims[2 * i] = o->dims[i] / x->dims[i];
    dims[2 * i + 1] = x->dims[i];
    ss[2 * i] = 0;
    ss[2 * i + 1] = xs[i];
  }
  gather_into(o->data, x->data, 2 * r, dims, ss, es, false);
  return KN_OK;
}

/* ---- Pad ---- */
kn_status ref_exec_Pad(ref_ctx *c) {
  const kn_tensor *x = c->in[0];
  kn_tensor *o = &c->out[0];
  size_t es;
  KN_TRY(elem_size(c, x->dtype, &es));
  const char *ms = ir_attr_s(c->node, "mode");
  int mode = strcmp(ms, "reflect") == 0 ? KK_SHAPE_PAD_REFLECT
             : strcmp(ms, "edge") == 0  ? KK_SHAPE_PAD_EDGE
             : strcmp(ms, "wrap") == 0  ? KK_SHAPE_PAD_WRAP
                                        : KK_SHAPE_PAD_CONSTANT;
  int r = x->rank;
  int64_t pads[2 * KN_MAX_RANK], axes[KN_MAX_RANK], before[KN_MAX_RANK] = {0};
  int np = read_list(opt_in(c, 1), pads, 2 * KN_MAX_RANK), na = read_list(opt_in(c, 3), axes, KN_MAX_RANK);
  if (na < 0) {
    na = r;
    for (int i = 0; i < r; i++) axes[i] = i;
  }
  if (np >= 0 && np != 2 * na) return ref_fail(c, KN_EINTERNAL, "pads/axes mismatch");
  for (int i = 0; np >= 0 && i < na; i++) {
    int a = norm_axis(axes[i], r);
    if (a < 0 || a >= r) return ref_fail(c, KN_EINTERNAL, "bad axis");
    before[a] = pads[i];
  }
  /* constant value converted to the data dtype (legacy imports store it as f32) */
  _Alignas(16) unsigned char cval[16] = {0};
  const kn_tensor *cv = opt_in(c, 2);
  if (cv && kn_tensor_numel(cv) == 1) {
    if (cv->dtype == x->dtype) memcpy(cval, cv->data, es);
    else {
      kn_tensor tmp = {.dtype = x->dtype, .rank = 0, .data = cval, .nbytes = (int64_t)es};
      kn_tensor_set_f64(&tmp, 0, kn_tensor_get_f64(cv, 0));
    }
  }
  if (r == 0) {
    kk_shape_copy(o->data, x->data, (int64_t)es);
    return KN_OK;
  }
  int64_t total = 0;
  for (int i = 0; i < r; i++) total += o->dims[i];
  if (kn_dims_prod(o->dims, 0, r) == 0) return KN_OK;
  int64_t *maps = kn_aligned_alloc(sizeof(int64_t) * (size_t)total);
  if (!maps) return ref_fail(c, KN_ENOMEM, "out of memory for pad maps");
  int64_t *m = maps;
  for (int i = 0; i < r; i++) {
    if (kk_shape_pad_map(m, o->dims[i], x->dims[i], before[i], mode) != 0) {
      kn_aligned_free(maps);
      return ref_fail(c, KN_ESHAPE, "mode %s cannot pad the empty axis %d", ms, i);
    }
    m += o->dims[i];
  }
  int64_t xs[KN_MAX_RANK];
  contiguous_strides(r, x->dims, xs);
  kk_shape_pad(o->data, x->data, o->dims, xs, maps, r, cval, es);
  kn_aligned_free(maps);
  return KN_OK;
}

/* ---- Shape / Size / ConstantOfShape / Range ---- */
kn_status ref_exec_Shape(ref_ctx *c) {
  const kn_tensor *x = c->in[0];
  kn_tensor *o = &c->out[0];
  int64_t r = x->rank, s = ir_attr_i(c->node, "start");
  if (s < 0) s += r;
  s = s < 0 ? 0 : s > r ? r : s;
  if (o->dtype != KN_I64 || o->rank != 1 || s + o->dims[0] > r)
    return ref_fail(c, KN_EINTERNAL, "unexpected output shape");
  int64_t *d = o->data;
  for (int64_t i = 0; i < o->dims[0]; i++) d[i] = x->dims[s + i];
  return KN_OK;
}

kn_status ref_exec_Size(ref_ctx *c) {
  kn_tensor *o = &c->out[0];
  if (o->dtype != KN_I64 || o->nbytes != 8) return ref_fail(c, KN_EINTERNAL, "unexpected output shape");
  *(int64_t *)o->data = kn_tensor_numel(c->in[0]);
  return KN_OK;
}

kn_status ref_exec_ConstantOfShape(ref_ctx *c) {
  kn_tensor *o = &c->out[0];
  size_t es;
  KN_TRY(elem_size(c, o->dtype, &es));
  const ir_attr *a = ir_attr_get(c->node, "value");
  if (!a) return KN_OK; /* f32 zeros: the output is already zeroed */
  if (a->kind != IR_ATTR_TENSOR || !a->t || a->t->dtype != o->dtype || !a->t->data)
    return ref_fail(c, KN_EINTERNAL, "bad value attribute");
  kk_shape_fill(o->data, kn_tensor_numel(o), a->t->data, es);
  return KN_OK;
}

kn_status ref_exec_Range(ref_ctx *c) {
  kn_tensor *o = &c->out[0];
  const kn_tensor *s = c->in[0], *d = c->in[2];
  int64_t n = o->rank == 1 ? o->dims[0] : -1;
  if (n < 0) return ref_fail(c, KN_EINTERNAL, "unexpected output shape");
  switch (o->dtype) {
  case KN_F32: kk_shape_range_f32(o->data, n, kn_tensor_get_f64(s, 0), kn_tensor_get_f64(d, 0)); break;
  case KN_F64: kk_shape_range_f64(o->data, n, kn_tensor_get_f64(s, 0), kn_tensor_get_f64(d, 0)); break;
  case KN_I16: kk_shape_range_i16(o->data, n, kn_tensor_get_i64(s, 0), kn_tensor_get_i64(d, 0)); break;
  case KN_I32: kk_shape_range_i32(o->data, n, kn_tensor_get_i64(s, 0), kn_tensor_get_i64(d, 0)); break;
  case KN_I64: kk_shape_range_i64(o->data, n, kn_tensor_get_i64(s, 0), kn_tensor_get_i64(d, 0)); break;
  default: return ref_unsupported_dtype(c, o->dtype);
  }
  return KN_OK;
}
