/* plan_gather.c: kernel-call plans (kcall.h) of GatherElements, GatherND,
 * ScatterElements, ScatterND, ReverseSequence and Compress. Each re-derives, from the
 * static types, the flat views the reference adapters (runtime/ref/
 * exec_index.c) compute at run time, checks the same shape rules, and
 * declines what they would reject, so the thunk (call_gather.c) only has
 * the index values left to validate. Elements move as bytes, so every sized
 * dtype works (f16 too); scatter reductions need a typed kernel. */
#include "k_call_index.h"
#include "k_index.h"
#include "kcall.h"
#include <string.h>

static bool is_index(const ir_type *t) { return t && (t->dtype == KN_I32 || t->dtype == KN_I64); }

static bool has_shape(const ir_type *t, int dtype, int rank, const int64_t *dims) {
  return t && rank >= 0 && t->dtype == dtype && t->rank == rank &&
         !memcmp(t->dims, dims, sizeof(int64_t) * (size_t)rank);
}

static bool same_type(const ir_type *a, const ir_type *b) { return b && has_shape(a, b->dtype, b->rank, b->dims); }

/* The KK_INDEX_RED_* of the node's reduction; -1 when unknown or when x's
 * dtype has no typed reduction kernel. */
static int reduction(const ir_node *n, int dtype) {
  static const char *const names[] = {"none", "add", "mul", "max", "min"};
  const char *s = ir_attr_s(n, "reduction");
  for (int i = 0; i < 5; i++)
    if (strcmp(s, names[i]) == 0)
      return i == KK_INDEX_RED_NONE || (kc_native(dtype) && dtype != KN_BOOL) ? i : -1;
  return -1;
}

/* ---- GatherElements / ScatterElements ---- */

static kn_status elements_view(kn_ctx *kn, const ir_node *n, const ir_type *x, const ir_type *ix,
                               kk_elements_params *e) {
  size_t es = x ? kn_dtype_size(x->dtype) : 0;
  if (!x || es == 0 || !is_index(ix)) return kc_decline(kn, n, "needs sized data and int32/int64 indices");
  int r = x->rank;
  int64_t axis = ir_op_axis(n);
  if (r < 1 || ix->rank != r || axis < -r || axis >= r)
    return kc_decline(kn, n, "data and indices need one rank >= 1 and an axis within it");
  int a = (int)(axis < 0 ? axis + r : axis);
  *e = (kk_elements_params){.idx64 = ix->dtype == KN_I64, .axis = a, .rank = r, .dt = x->dtype, .es = (int64_t)es,
                            .n = kn_dims_numel(r, ix->dims), .axis_dim = x->dims[a],
                            .data_bytes = kn_dims_numel(r, x->dims) * (int64_t)es};
  int64_t s = 1;
  for (int d = r - 1; d >= 0; d--) {
    if (d != a && ix->dims[d] > x->dims[d]) return kc_decline(kn, n, "an indices dim exceeds the data dim");
    e->idims[d] = ix->dims[d];
    e->dstrides[d] = s;
    s *= x->dims[d];
  }
  return KN_OK;
}

kn_status kc_plan_GatherElements(kn_ctx *kn, const ir_graph *g, const ir_node *n, kc_plan *p) {
  const ir_type *x = kc_in(g, n, 0), *ix = kc_in(g, n, 1), *y = kc_out(g, n, 0);
  kk_elements_params e;
  KN_TRY(elements_view(kn, n, x, ix, &e));
  if (!has_shape(y, x->dtype, ix->rank, ix->dims))
    return kc_decline(kn, n, "the output does not have the indices' shape");
  kk_elements_params *q = kc_params(kn, p, "kk_call_gather_elements", sizeof *q);
  if (!q) return KN_ENOMEM;
  *q = e;
  p->scratch_bytes = e.n * (int64_t)sizeof(int64_t);
  return KN_OK;
}

kn_status kc_plan_ScatterElements(kn_ctx *kn, const ir_graph *g, const ir_node *n, kc_plan *p) {
  const ir_type *x = kc_in(g, n, 0), *ix = kc_in(g, n, 1), *u = kc_in(g, n, 2), *y = kc_out(g, n, 0);
  kk_elements_params e;
  KN_TRY(elements_view(kn, n, x, ix, &e));
  if (!has_shape(u, x->dtype, ix->rank, ix->dims))
    return kc_decline(kn, n, "updates need the data's dtype and the indices' shape");
  if (!same_type(y, x)) return kc_decline(kn, n, "the output does not have the data's type");
  e.reduction = reduction(n, x->dtype);
  if (e.reduction < 0) return kc_decline(kn, n, "no reduction kernel for this reduction and dtype");
  kk_elements_params *q = kc_params(kn, p, "kk_call_scatter_elements", sizeof *q);
  if (!q) return KN_ENOMEM;
  *q = e;
  p->scratch_bytes = e.n * (int64_t)sizeof(int64_t);
  return KN_OK;
}

/* ---- GatherND / ScatterND ---- */

/* The tuple view of ref's nd_offsets; dims[0..rank): the gathered output's (or
 * the scatter's updates') shape. */
static kn_status nd_view(kn_ctx *kn, const ir_node *n, const ir_type *x, const ir_type *ix, int64_t b,
                         kk_nd_params *v, int64_t *dims, int *rank) {
  size_t es = x ? kn_dtype_size(x->dtype) : 0;
  if (!x || es == 0 || !is_index(ix)) return kc_decline(kn, n, "needs sized data and int32/int64 indices");
  int r = x->rank, q = ix->rank;
  if (r < 1 || q < 1 || b < 0 || b >= q || b >= r) return kc_decline(kn, n, "ranks or batch_dims out of range");
  int64_t k = ix->dims[q - 1];
  if (k < 1 || k > r - b) return kc_decline(kn, n, "the indices' last dim does not fit the data");
  for (int d = 0; d < b; d++)
    if (ix->dims[d] != x->dims[d]) return kc_decline(kn, n, "batch dims differ");
  *v = (kk_nd_params){.idx64 = ix->dtype == KN_I64, .k = (int)k, .dt = x->dtype, .es = (int64_t)es,
                      .nbatch = kn_dims_numel((int)b, x->dims),
                      .per_batch = kn_dims_numel(q - 1 - (int)b, ix->dims + b),
                      .slice = kn_dims_numel(r - (int)(b + k), x->dims + b + k),
                      .data_bytes = kn_dims_numel(r, x->dims) * (int64_t)es};
  for (int j = 0; j < k; j++) v->kdims[j] = x->dims[b + j];
  *rank = 0;
  for (int d = 0; d < q - 1; d++) dims[(*rank)++] = ix->dims[d];
  for (int d = (int)(b + k); d < r; d++) dims[(*rank)++] = x->dims[d];
  return KN_OK;
}

kn_status kc_plan_GatherND(kn_ctx *kn, const ir_graph *g, const ir_node *n, kc_plan *p) {
  const ir_type *x = kc_in(g, n, 0), *ix = kc_in(g, n, 1), *y = kc_out(g, n, 0);
  kk_nd_params v;
  int64_t dims[2 * KN_MAX_RANK];
  int rank;
  KN_TRY(nd_view(kn, n, x, ix, ir_attr_i(n, "batch_dims"), &v, dims, &rank));
  if (rank > KN_MAX_RANK || !has_shape(y, x->dtype, rank, dims))
    return kc_decline(kn, n, "the output does not have the gathered shape");
  kk_nd_params *q = kc_params(kn, p, "kk_call_gather_nd", sizeof *q);
  if (!q) return KN_ENOMEM;
  *q = v;
  p->scratch_bytes = v.nbatch * v.per_batch * (int64_t)sizeof(int64_t);
  return KN_OK;
}

kn_status kc_plan_ScatterND(kn_ctx *kn, const ir_graph *g, const ir_node *n, kc_plan *p) {
  const ir_type *x = kc_in(g, n, 0), *ix = kc_in(g, n, 1), *u = kc_in(g, n, 2), *y = kc_out(g, n, 0);
  kk_nd_params v;
  int64_t dims[2 * KN_MAX_RANK];
  int rank;
  KN_TRY(nd_view(kn, n, x, ix, 0, &v, dims, &rank));
  if (rank > KN_MAX_RANK || !has_shape(u, x->dtype, rank, dims))
    return kc_decline(kn, n, "updates do not have the data's dtype and the indexed slices' shape");
  if (!same_type(y, x)) return kc_decline(kn, n, "the output does not have the data's type");
  v.reduction = reduction(n, x->dtype);
  if (v.reduction < 0) return kc_decline(kn, n, "no reduction kernel for this reduction and dtype");
  kk_nd_params *q = kc_params(kn, p, "kk_call_scatter_nd", sizeof *q);
  if (!q) return KN_ENOMEM;
  *q = v;
  p->scratch_bytes = v.per_batch * (int64_t)sizeof(int64_t);
  return KN_OK;
}

/* ---- ReverseSequence ---- */

kn_status kc_plan_ReverseSequence(kn_ctx *kn, const ir_graph *g, const ir_node *n, kc_plan *p) {
  const ir_type *x = kc_in(g, n, 0), *lens = kc_in(g, n, 1), *y = kc_out(g, n, 0);
  size_t es = x ? kn_dtype_size(x->dtype) : 0;
  if (!x || es == 0 || !is_index(lens) || x->rank < 2 || !same_type(y, x))
    return kc_decline(kn, n, "needs sized data of rank >= 2 and int32/int64 sequence_lens");
  int64_t ba = ir_attr_i(n, "batch_axis"), ta = ir_attr_i(n, "time_axis");
  if (!((ba == 0 && ta == 1) || (ba == 1 && ta == 0)) || lens->rank != 1 || lens->dims[0] != x->dims[ba])
    return kc_decline(kn, n, "batch_axis/time_axis must be 0/1 and sequence_lens 1-D of the batch size");
  kk_reverse_seq_params *q = kc_params(kn, p, "kk_call_reverse_sequence", sizeof *q);
  if (!q) return KN_ENOMEM;
  *q = (kk_reverse_seq_params){.lens64 = lens->dtype == KN_I64, .time_major = ta == 0, .d0 = x->dims[0],
                               .d1 = x->dims[1], .inner = kn_dims_numel(x->rank - 2, x->dims + 2), .es = (int64_t)es};
  return KN_OK;
}

/* ---- Compress: the output's extent along the axis was fixed at compile
 * time (the condition is a constant, or bound with the input it comes from) */

kn_status kc_plan_Compress(kn_ctx *kn, const ir_graph *g, const ir_node *n, kc_plan *p) {
  const ir_type *x = kc_in(g, n, 0), *cond = kc_in(g, n, 1), *y = kc_out(g, n, 0);
  size_t es = x ? kn_dtype_size(x->dtype) : 0;
  if (!x || es == 0 || x->rank < 1 || !cond || cond->dtype != KN_BOOL || cond->rank != 1 || !y ||
      y->dtype != x->dtype)
    return kc_decline(kn, n, "needs sized data of rank >= 1 and a 1-D bool condition");
  ir_compress_view cw;
  if (!ir_compress_view_of(n, x->rank, x->dims, &cw)) return kc_decline(kn, n, "axis out of range");
  kk_compress_params v = {.outer = cw.outer, .extent = cw.extent, .inner = cw.inner, .ncond = cond->dims[0],
                          .es = (int64_t)es};
  int axis = cw.axis;
  if (ir_attr_get(n, "axis")) {
    if (y->rank != x->rank) return kc_decline(kn, n, "the output rank differs from the input's");
    for (int d = 0; d < x->rank; d++)
      if (d != axis && y->dims[d] != x->dims[d]) return kc_decline(kn, n, "the output shape does not fit");
  } else if (y->rank != 1) {
    return kc_decline(kn, n, "without an axis the output is 1-D");
  }
  v.kept = y->dims[axis];
  kk_compress_params *q = kc_params(kn, p, "kk_call_compress", sizeof *q);
  if (!q) return KN_ENOMEM;
  *q = v;
  return KN_OK;
}
