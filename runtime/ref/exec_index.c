/* exec_index.c: reference-executor adapters of the INDEX family. Each one
 * re-checks what the kernel relies on (ranks, dtypes, matching shapes) because
 * the executor may run graphs whose static inference saw symbolic dims, views
 * tensors as the few flat extents the kernel takes, and turns a kernel's "bad
 * index at position p" into an error naming the index value and its bound.
 * Element data is moved as opaque bytes, so every dtype with a size works;
 * only scatter reductions need arithmetic and are typed. */
#include "k_index.h"
#include "ref.h"
#include <string.h>

/* ---- small shared helpers ---- */

static kn_status elem_size(ref_ctx *c, int dt, size_t *es) {
  *es = kn_dtype_size(dt);
  return *es ? KN_OK : ref_unsupported_dtype(c, dt);
}

static kn_status need_indices(ref_ctx *c, const kn_tensor *t, const char *what) {
  if (t->dtype != KN_I32 && t->dtype != KN_I64)
    return ref_fail(c, KN_ETYPE, "%s must be int32 or int64, got %s", what, kn_dtype_name(t->dtype));
  return KN_OK;
}

static kn_status norm_axis(ref_ctx *c, int64_t axis, int rank, int *out) {
  if (axis < -rank || axis >= rank)
    return ref_fail(c, KN_EINVAL, "axis %lld is out of range for rank %d", (long long)axis, rank);
  *out = (int)(axis < 0 ? axis + rank : axis);
  return KN_OK;
}

/* Output k with the given type: allocated here when inference left it
 * unknown, otherwise checked against what inference produced. */
static kn_status prep_out(ref_ctx *c, int k, int dtype, int rank, const int64_t *dims) {
  kn_tensor *o = &c->out[k];
  if (o->rank < 0) return ref_alloc_out(c, k, dtype, rank, dims);
  bool same = o->dtype == dtype && o->rank == rank;
  for (int i = 0; same && i < rank; i++) same = o->dims[i] == dims[i];
  if (!same) return ref_fail(c, KN_EINTERNAL, "output %d shape/dtype from inference disagrees with the op", k);
  return KN_OK;
}

static kn_status bad_index(ref_ctx *c, const kn_tensor *idx, int64_t pos, int64_t bound, const char *what) {
  return ref_fail(c, KN_EINVAL, "%s value %lld at position %lld is out of range [%lld, %lld]", what,
                  (long long)kn_tensor_get_i64(idx, pos), (long long)pos, (long long)-bound,
                  (long long)(bound - 1));
}

static kn_status alloc_offsets(ref_ctx *c, int64_t n, int64_t **off) {
  *off = kn_aligned_alloc((size_t)(n > 0 ? n : 1) * sizeof(int64_t));
  return *off ? KN_OK : ref_fail(c, KN_ENOMEM, "out of memory for %lld offsets", (long long)n);
}

/* ---- gathers ---- */

kn_status ref_exec_Gather(ref_ctx *c) {
  const kn_tensor *x = c->in[0], *ix = c->in[1];
  size_t es;
  int axis = 0;
  KN_TRY(elem_size(c, x->dtype, &es));
  KN_TRY(need_indices(c, ix, "indices"));
  if (x->rank < 1) return ref_fail(c, KN_ESHAPE, "data must have rank >= 1");
  KN_TRY(norm_axis(c, ir_op_axis(c->node), x->rank, &axis));
  int rank = x->rank - 1 + ix->rank;
  if (rank > KN_MAX_RANK) return ref_fail(c, KN_ESHAPE, "output rank %d exceeds %d", rank, KN_MAX_RANK);
  int64_t dims[KN_MAX_RANK];
  int k = 0;
  for (int d = 0; d < axis; d++) dims[k++] = x->dims[d];
  for (int d = 0; d < ix->rank; d++) dims[k++] = ix->dims[d];
  for (int d = axis + 1; d < x->rank; d++) dims[k++] = x->dims[d];
  KN_TRY(prep_out(c, 0, x->dtype, rank, dims));
  int64_t bad = kk_index_gather(x->data, ix->data, ix->dtype == KN_I64, c->out[0].data, kn_dims_prod(x->dims, 0, axis),
                                x->dims[axis], kn_tensor_numel(ix), kn_dims_prod(x->dims, axis + 1, x->rank), es);
  return bad < 0 ? KN_OK : bad_index(c, ix, bad, x->dims[axis], "index");
}

/* Shared by GatherElements/ScatterElements: validates shapes and computes
 * the data offset of every indices element into *off (caller frees). */
static kn_status elements_offsets(ref_ctx *c, const kn_tensor *x, const kn_tensor *ix, int64_t **off) {
  int axis = 0;
  *off = NULL;
  KN_TRY(need_indices(c, ix, "indices"));
  if (x->rank < 1 || ix->rank != x->rank)
    return ref_fail(c, KN_ESHAPE, "data (rank %d) and indices (rank %d) must have the same rank >= 1", x->rank,
                    ix->rank);
  KN_TRY(norm_axis(c, ir_op_axis(c->node), x->rank, &axis));
  int64_t strides[KN_MAX_RANK];
  int64_t s = 1;
  for (int d = x->rank - 1; d >= 0; d--) {
    if (d != axis && ix->dims[d] > x->dims[d])
      return ref_fail(c, KN_ESHAPE, "indices dim %d (%lld) exceeds the data dim (%lld)", d, (long long)ix->dims[d],
                      (long long)x->dims[d]);
    strides[d] = s;
    s *= x->dims[d];
  }
  int64_t n = kn_tensor_numel(ix);
  KN_TRY(alloc_offsets(c, n, off));
  int64_t bad = n == 0 ? -1
                       : kk_index_elements_offsets(ix->data, ix->dtype == KN_I64, ix->rank, ix->dims, strides, axis,
                                                   x->dims[axis], *off);
  if (bad < 0) return KN_OK;
  kn_aligned_free(*off);
  *off = NULL;
  return bad_index(c, ix, bad, x->dims[axis], "index");
}

kn_status ref_exec_GatherElements(ref_ctx *c) {
  const kn_tensor *x = c->in[0], *ix = c->in[1];
  size_t es;
  int64_t *off;
  KN_TRY(elem_size(c, x->dtype, &es));
  KN_TRY(elements_offsets(c, x, ix, &off));
  kn_status st = prep_out(c, 0, x->dtype, ix->rank, ix->dims);
  if (st == KN_OK) kk_index_gather_slices(x->data, off, kn_tensor_numel(ix), 1, c->out[0].data, es);
  kn_aligned_free(off);
  return st;
}

/* Tuple addressing shared by GatherND (batch_dims b) and ScatterND (b = 0). */
typedef struct nd_view {
  int64_t nbatch, per_batch, slice;
  int k;
} nd_view;

static kn_status nd_offsets(ref_ctx *c, const kn_tensor *x, const kn_tensor *ix, int b, nd_view *v,
                            int64_t **off) {
  *off = NULL;
  KN_TRY(need_indices(c, ix, "indices"));
  int r = x->rank, q = ix->rank;
  if (r < 1 || q < 1) return ref_fail(c, KN_ESHAPE, "data and indices must have rank >= 1");
  if (b < 0 || b >= q || b >= r) return ref_fail(c, KN_EINVAL, "batch_dims %d must be in [0, min(%d, %d))", b, r, q);
  int64_t k = ix->dims[q - 1];
  if (k < 1 || k > r - b)
    return ref_fail(c, KN_ESHAPE, "indices' last dim %lld must be in [1, %d]", (long long)k, r - b);
  for (int d = 0; d < b; d++)
    if (ix->dims[d] != x->dims[d])
      return ref_fail(c, KN_ESHAPE, "batch dim %d differs: data %lld, indices %lld", d, (long long)x->dims[d],
                      (long long)ix->dims[d]);
  v->k = (int)k;
  v->nbatch = kn_dims_prod(x->dims, 0, b);
  v->per_batch = kn_dims_prod(ix->dims, b, q - 1);
  v->slice = kn_dims_prod(x->dims, b + v->k, r);
  int64_t n = v->nbatch * v->per_batch;
  KN_TRY(alloc_offsets(c, n, off));
  int64_t bad = n == 0 ? -1
                       : kk_index_nd_offsets(ix->data, ix->dtype == KN_I64, v->nbatch, v->per_batch, v->k,
                                             x->dims + b, v->slice, *off);
  if (bad < 0) return KN_OK;
  kn_aligned_free(*off);
  *off = NULL;
  return bad_index(c, ix, bad, x->dims[b + bad % v->k], "index");
}

kn_status ref_exec_GatherND(ref_ctx *c) {
  const kn_tensor *x = c->in[0], *ix = c->in[1];
  size_t es;
  int64_t b = ir_attr_i(c->node, "batch_dims"), *off;
  KN_TRY(elem_size(c, x->dtype, &es));
  if (b < 0 || b >= KN_MAX_RANK) return ref_fail(c, KN_EINVAL, "batch_dims %lld is out of range", (long long)b);
  nd_view v = {0};
  KN_TRY(nd_offsets(c, x, ix, (int)b, &v, &off));
  int64_t dims[2 * KN_MAX_RANK];
  int rank = 0;
  for (int d = 0; d < ix->rank - 1; d++) dims[rank++] = ix->dims[d];
  for (int d = (int)b + v.k; d < x->rank; d++) dims[rank++] = x->dims[d];
  kn_status st = rank > KN_MAX_RANK ? ref_fail(c, KN_ESHAPE, "output rank %d exceeds %d", rank, KN_MAX_RANK)
                                    : prep_out(c, 0, x->dtype, rank, dims);
  if (st == KN_OK) kk_index_gather_slices(x->data, off, v.nbatch * v.per_batch, v.slice, c->out[0].data, es);
  kn_aligned_free(off);
  return st;
}

/* ---- scatters ---- */

static kn_status parse_reduction(ref_ctx *c, int *red) {
  static const char *const names[] = {"none", "add", "mul", "max", "min"};
  const char *s = ir_attr_s(c->node, "reduction");
  for (int i = 0; i < 5; i++)
    if (strcmp(s, names[i]) == 0) {
      *red = i; /* same order as KK_INDEX_RED_* */
      return KN_OK;
    }
  return ref_fail(c, KN_EINVAL, "unknown reduction '%s'", s);
}

/* dtypes with typed reductions: X(kn_dtype, kernel suffix, C type) */
#define INDEX_REDUCE_TYPES(X)                                                                      \
  X(KN_F32, f32, float)                                                                            \
  X(KN_F64, f64, double)                                                                           \
  X(KN_I8, i8, int8_t)                                                                             \
  X(KN_U8, u8, uint8_t)                                                                            \
  X(KN_I16, i16, int16_t)                                                                          \
  X(KN_U16, u16, uint16_t)                                                                         \
  X(KN_I32, i32, int32_t)                                                                          \
  X(KN_U32, u32, uint32_t)                                                                         \
  X(KN_I64, i64, int64_t)                                                                          \
  X(KN_U64, u64, uint64_t)

/* Output = data, then updates written/reduced at the given offsets. */
static kn_status scatter(ref_ctx *c, const int64_t *off, int64_t n, int64_t slice, int red) {
  const kn_tensor *x = c->in[0], *upd = c->in[2];
  size_t es;
  KN_TRY(elem_size(c, x->dtype, &es));
  KN_TRY(prep_out(c, 0, x->dtype, x->rank, x->dims));
  if (x->nbytes) memcpy(c->out[0].data, x->data, (size_t)x->nbytes);
  if (red == KK_INDEX_RED_NONE) {
    kk_index_scatter_slices(c->out[0].data, off, n, slice, upd->data, es);
    return KN_OK;
  }
  switch (x->dtype) {
#define X(dt, sfx, T)                                                                              \
  case dt: kk_index_scatter_slices_##sfx((T *)c->out[0].data, off, n, slice, (const T *)upd->data, red); return KN_OK;
    INDEX_REDUCE_TYPES(X)
#undef X
  default: return ref_fail(c, KN_EUNSUPPORTED, "reduction on dtype %s is not supported", kn_dtype_name(x->dtype));
  }
}

static kn_status check_updates(ref_ctx *c, int rank, const int64_t *dims) {
  const kn_tensor *x = c->in[0], *upd = c->in[2];
  if (upd->dtype != x->dtype)
    return ref_fail(c, KN_ETYPE, "updates are %s but data is %s", kn_dtype_name(upd->dtype), kn_dtype_name(x->dtype));
  bool same = upd->rank == rank;
  for (int i = 0; same && i < rank; i++) same = upd->dims[i] == dims[i];
  if (!same) return ref_fail(c, KN_ESHAPE, "updates shape does not match the indexed slices");
  return KN_OK;
}

kn_status ref_exec_ScatterND(ref_ctx *c) {
  const kn_tensor *x = c->in[0], *ix = c->in[1];
  int red = KK_INDEX_RED_NONE;
  int64_t *off;
  KN_TRY(parse_reduction(c, &red));
  nd_view v = {0};
  KN_TRY(nd_offsets(c, x, ix, 0, &v, &off));
  int64_t dims[2 * KN_MAX_RANK];
  int rank = 0;
  for (int d = 0; d < ix->rank - 1; d++) dims[rank++] = ix->dims[d];
  for (int d = v.k; d < x->rank; d++) dims[rank++] = x->dims[d];
  kn_status st = rank > KN_MAX_RANK ? ref_fail(c, KN_ESHAPE, "updates rank %d exceeds %d", rank, KN_MAX_RANK)
                                    : check_updates(c, rank, dims);
  if (st == KN_OK) st = scatter(c, off, v.per_batch, v.slice, red);
  kn_aligned_free(off);
  return st;
}

kn_status ref_exec_ScatterElements(ref_ctx *c) {
  const kn_tensor *x = c->in[0], *ix = c->in[1];
  int red = KK_INDEX_RED_NONE;
  int64_t *off;
  KN_TRY(parse_reduction(c, &red));
  KN_TRY(elements_offsets(c, x, ix, &off));
  kn_status st = check_updates(c, ix->rank, ix->dims);
  if (st == KN_OK) st = scatter(c, off, kn_tensor_numel(ix), 1, red);
  kn_aligned_free(off);
  return st;
}

/* ---- constructions ---- */

kn_status ref_exec_EyeLike(ref_ctx *c) {
  const kn_tensor *x = c->in[0];
  int dt = (int)ir_attr_int(c->node, "dtype", x->dtype);
  size_t es;
  if (dt <= 0 || dt >= KN_DTYPE_END) return ref_unsupported_dtype(c, dt);
  KN_TRY(elem_size(c, dt, &es));
  if (x->rank != 2) return ref_fail(c, KN_ESHAPE, "input must be 2-D, got rank %d", x->rank);
  KN_TRY(prep_out(c, 0, dt, 2, x->dims));
  uint64_t one_buf = 0; /* 1 in the output dtype's encoding */
  kn_tensor one = {.dtype = dt, .rank = 0, .data = &one_buf, .nbytes = (int64_t)es};
  kn_tensor_set_f64(&one, 0, 1.0);
  kk_index_eye(c->out[0].data, x->dims[0], x->dims[1], ir_attr_i(c->node, "k"), &one_buf, es);
  return KN_OK;
}

kn_status ref_exec_Trilu(ref_ctx *c) {
  const kn_tensor *x = c->in[0], *kt = c->nin > 1 ? c->in[1] : NULL;
  size_t es;
  KN_TRY(elem_size(c, x->dtype, &es));
  if (x->rank < 2) return ref_fail(c, KN_ESHAPE, "input must have rank >= 2, got %d", x->rank);
  int64_t k = 0;
  if (kt) {
    if (!kn_dtype_is_int(kt->dtype) || kn_tensor_numel(kt) != 1)
      return ref_fail(c, KN_EINVAL, "k must be a single integer");
    k = kn_tensor_get_i64(kt, 0);
  }
  KN_TRY(prep_out(c, 0, x->dtype, x->rank, x->dims));
  int r = x->rank;
  kk_index_trilu(x->data, c->out[0].data, kn_dims_prod(x->dims, 0, r - 2), x->dims[r - 2], x->dims[r - 1], k,
                 ir_attr_i(c->node, "upper") != 0, es);
  return KN_OK;
}

kn_status ref_exec_OneHot(ref_ctx *c) {
  const kn_tensor *ix = c->in[0], *dep = c->in[1], *vals = c->in[2];
  size_t es;
  int axis = 0;
  KN_TRY(elem_size(c, vals->dtype, &es));
  if (!kn_dtype_is_int(ix->dtype) && !kn_dtype_is_float(ix->dtype))
    return ref_fail(c, KN_ETYPE, "indices must be numeric, got %s", kn_dtype_name(ix->dtype));
  if (kn_tensor_numel(dep) != 1) return ref_fail(c, KN_ESHAPE, "depth must have exactly one element");
  if (kn_tensor_numel(vals) != 2) return ref_fail(c, KN_ESHAPE, "values must have two elements [off, on]");
  int64_t depth = kn_tensor_get_i64(dep, 0);
  if (depth <= 0) return ref_fail(c, KN_EINVAL, "depth must be positive, got %lld", (long long)depth);
  int rank = ix->rank + 1;
  if (rank > KN_MAX_RANK) return ref_fail(c, KN_ESHAPE, "output rank %d exceeds %d", rank, KN_MAX_RANK);
  KN_TRY(norm_axis(c, ir_op_axis(c->node), rank, &axis));
  int64_t dims[KN_MAX_RANK];
  for (int i = 0, j = 0; i < rank; i++) dims[i] = i == axis ? depth : ix->dims[j++];
  KN_TRY(prep_out(c, 0, vals->dtype, rank, dims));
  /* indices of any numeric dtype become int64 (floats truncate, as the spec's cast) */
  int64_t n = kn_tensor_numel(ix), *iv;
  KN_TRY(alloc_offsets(c, n, &iv));
  for (int64_t i = 0; i < n; i++) iv[i] = kn_tensor_get_i64(ix, i);
  const char *v = vals->data;
  kk_index_one_hot(iv, kn_dims_prod(ix->dims, 0, axis), kn_dims_prod(ix->dims, axis, ix->rank), depth, v, v + es, c->out[0].data, es);
  kn_aligned_free(iv);
  return KN_OK;
}

/* ---- layout shuffles ---- */

static kn_status block_op_check(ref_ctx *c, int64_t *b) {
  const kn_tensor *x = c->in[0];
  if (x->rank != 4) return ref_fail(c, KN_ESHAPE, "input must be 4-D (NCHW), got rank %d", x->rank);
  *b = ir_attr_int(c->node, "blocksize", 0);
  if (*b <= 0 || *b > (int64_t)1 << 31) return ref_fail(c, KN_EINVAL, "blocksize must be positive, got %lld", (long long)*b);
  return KN_OK;
}

kn_status ref_exec_DepthToSpace(ref_ctx *c) {
  const kn_tensor *x = c->in[0];
  size_t es;
  int64_t b = 1;
  KN_TRY(elem_size(c, x->dtype, &es));
  KN_TRY(block_op_check(c, &b));
  const int64_t *d = x->dims;
  if (d[1] % (b * b)) return ref_fail(c, KN_ESHAPE, "channels %lld not divisible by blocksize^2", (long long)d[1]);
  if (d[2] > INT64_MAX / b || d[3] > INT64_MAX / b) return ref_fail(c, KN_ESHAPE, "output spatial dims overflow");
  const char *mode = ir_attr_s(c->node, "mode");
  int crd = strcmp(mode, "CRD") == 0;
  if (!crd && strcmp(mode, "DCR") != 0) return ref_fail(c, KN_EINVAL, "mode must be DCR or CRD, got '%s'", mode);
  int64_t od[4] = {d[0], d[1] / (b * b), d[2] * b, d[3] * b};
  KN_TRY(prep_out(c, 0, x->dtype, 4, od));
  kk_index_depth_to_space(x->data, c->out[0].data, d[0], d[1], d[2], d[3], b, crd, es);
  return KN_OK;
}

kn_status ref_exec_SpaceToDepth(ref_ctx *c) {
  const kn_tensor *x = c->in[0];
  size_t es;
  int64_t b = 1;
  KN_TRY(elem_size(c, x->dtype, &es));
  KN_TRY(block_op_check(c, &b));
  const int64_t *d = x->dims;
  if (d[2] % b || d[3] % b)
    return ref_fail(c, KN_ESHAPE, "spatial dims %lldx%lld not divisible by blocksize %lld", (long long)d[2],
                    (long long)d[3], (long long)b);
  if (d[1] > INT64_MAX / (b * b)) return ref_fail(c, KN_ESHAPE, "output channels overflow");
  int64_t od[4] = {d[0], d[1] * b * b, d[2] / b, d[3] / b};
  KN_TRY(prep_out(c, 0, x->dtype, 4, od));
  kk_index_space_to_depth(x->data, c->out[0].data, d[0], d[1], d[2], d[3], b, es);
  return KN_OK;
}

kn_status ref_exec_ReverseSequence(ref_ctx *c) {
  const kn_tensor *x = c->in[0], *lens = c->in[1];
  size_t es;
  KN_TRY(elem_size(c, x->dtype, &es));
  KN_TRY(need_indices(c, lens, "sequence_lens"));
  if (x->rank < 2) return ref_fail(c, KN_ESHAPE, "input must have rank >= 2, got %d", x->rank);
  int64_t ba = ir_attr_i(c->node, "batch_axis"), ta = ir_attr_i(c->node, "time_axis");
  if (!((ba == 0 && ta == 1) || (ba == 1 && ta == 0)))
    return ref_fail(c, KN_EINVAL, "batch_axis/time_axis must be 0/1 or 1/0, got %lld/%lld", (long long)ba, (long long)ta);
  if (lens->rank != 1 || lens->dims[0] != x->dims[ba])
    return ref_fail(c, KN_ESHAPE, "sequence_lens must be 1-D of the batch size %lld", (long long)x->dims[ba]);
  KN_TRY(prep_out(c, 0, x->dtype, x->rank, x->dims));
  int64_t bad = kk_index_reverse_sequence(x->data, c->out[0].data, lens->data, lens->dtype == KN_I64, ta == 0,
                                          x->dims[0], x->dims[1], kn_dims_prod(x->dims, 2, x->rank), es);
  if (bad >= 0)
    return ref_fail(c, KN_EINVAL, "sequence_lens[%lld] = %lld is outside [0, %lld]", (long long)bad,
                    (long long)kn_tensor_get_i64(lens, bad), (long long)x->dims[ta]);
  return KN_OK;
}

/* ---- data-dependent shapes ---- */

kn_status ref_exec_NonZero(ref_ctx *c) {
  const kn_tensor *x = c->in[0];
  size_t es;
  KN_TRY(elem_size(c, x->dtype, &es));
  /* a scalar is treated as 1-D (numpy's nonzero does the same) */
  int rank = x->rank == 0 ? 1 : x->rank;
  int64_t one = 1;
  const int64_t *dims = x->rank == 0 ? &one : x->dims;
  int is_float = kn_dtype_is_float(x->dtype);
  int64_t nnz = kk_index_nonzero_count(x->data, kn_tensor_numel(x), es, is_float);
  int64_t od[2] = {rank, nnz};
  KN_TRY(prep_out(c, 0, KN_I64, 2, od));
  kk_index_nonzero_write(x->data, rank, dims, es, is_float, nnz, c->out[0].data);
  return KN_OK;
}

kn_status ref_exec_Compress(ref_ctx *c) {
  const kn_tensor *x = c->in[0], *cond = c->in[1];
  size_t es;
  KN_TRY(elem_size(c, x->dtype, &es));
  if (cond->dtype != KN_BOOL || cond->rank != 1) return ref_fail(c, KN_ETYPE, "condition must be a 1-D bool tensor");
  if (x->rank < 1) return ref_fail(c, KN_ESHAPE, "input must have rank >= 1");
  ir_compress_view cw;
  if (!ir_compress_view_of(c->node, x->rank, x->dims, &cw))
    return ref_fail(c, KN_EINVAL, "axis %lld is out of range for rank %d", (long long)ir_op_axis(c->node), x->rank);
  int64_t outer = cw.outer, extent = cw.extent, inner = cw.inner, dims[KN_MAX_RANK];
  int rank = 1, axis = cw.axis;
  if (ir_attr_get(c->node, "axis")) {
    rank = x->rank;
    memcpy(dims, x->dims, sizeof dims);
  }
  const uint8_t *cv = cond->data;
  int64_t n = cond->dims[0], kept = 0;
  for (int64_t i = 0; i < n; i++) {
    if (!cv[i]) continue;
    if (i >= extent)
      return ref_fail(c, KN_ESHAPE, "condition selects index %lld beyond the input extent %lld", (long long)i,
                      (long long)extent);
    kept++;
  }
  dims[axis] = kept;
  KN_TRY(prep_out(c, 0, x->dtype, rank, dims));
  kk_index_compress(x->data, cv, n, outer, extent, inner, c->out[0].data, es);
  return KN_OK;
}
