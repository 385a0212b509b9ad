/* lower_movement_shape.c: Transpose, Concat, Split, Slice, Expand, Tile, Pad,
 * DepthToSpace and SpaceToDepth as compile-time strided copies. Each lowering
 * repeats the view arithmetic of its reference adapter (runtime/ref/
 * exec_shape.c, exec_index.c) once, at compile time, and hands the resulting
 * dims/strides/offsets to the shared copy generator, which emits loops with
 * those numbers baked in. Parameter inputs (Slice starts/axes/steps, Pad
 * pads/value/axes) must be compile-time constants; otherwise the node
 * declines and runs its reference kernel. Every view is checked to stay
 * inside its buffers before anything is emitted: the types come from
 * inference, but a wrong view here would be a silent out-of-bounds access in
 * generated code. */
#include "k_shape.h"
#include "lower_movement.h"
#include <stdlib.h>
#include <string.h>

static int norm_axis(int64_t axis, int rank) { return (int)(axis < 0 ? axis + rank : axis); }

/* Lowest and highest element offset a view touches must lie in [0, n). */
static bool view_inside(int rank, const int64_t *dims, const int64_t *st, int64_t off, int64_t n) {
  int64_t lo = off, hi = off;
  for (int i = 0; i < rank; i++) {
    if (dims[i] <= 0) return true; /* empty: touches nothing */
    int64_t span = (dims[i] - 1) * st[i];
    if (span < 0) lo += span;
    else hi += span;
  }
  return lo >= 0 && hi < n;
}

static size_t elem_size(cg_ctx *c, ir_id v) { return kn_dtype_size(mv_type(c, v)->dtype); }

/* Copies the view (dims, ss, soff) of x into contiguous y. */
static kn_status gather_into(cg_ctx *c, ir_id y, ir_id x, int rank, const int64_t *dims, const int64_t *ss,
                             int64_t soff) {
  const ir_type *yt = mv_type(c, y);
  size_t es = elem_size(c, y);
  if (es == 0 || elem_size(c, x) != es || rank > MV_MAX_RANK) return KN_EUNSUPPORTED;
  mv_copy cp = {.rank = rank, .soff = soff, .es = es};
  memcpy(cp.dims, dims, sizeof(int64_t) * (size_t)rank);
  memcpy(cp.ss, ss, sizeof(int64_t) * (size_t)rank);
  mv_contiguous_strides(rank, dims, cp.ds);
  int64_t yn = kn_dims_numel(yt->rank, yt->dims);
  if (kn_dims_numel(rank, dims) != yn) return KN_EUNSUPPORTED;
  if (yn == 0) return KN_OK;
  if (!view_inside(rank, dims, ss, soff, mv_numel(c, x))) return KN_EUNSUPPORTED;
  mv_emit_copy(c, &cp, cg_value_ptr(c, y), mv_value_align(c, y), cg_value_ptr(c, x), mv_value_align(c, x));
  return KN_OK;
}

/* ---- Transpose ---- */
kn_status mv_lower_transpose(cg_ctx *c, const ir_node *n) {
  const ir_type *xt = mv_type(c, n->in[0]), *yt = mv_type(c, n->out[0]);
  int r = xt->rank, perm[KN_MAX_RANK];
  bool seen[KN_MAX_RANK] = {false};
  if (yt->rank != r) return KN_EUNSUPPORTED;
  const ir_attr *a = ir_attr_get(n, "perm");
  if (a && a->kind == IR_ATTR_INTS && a->n != r) return KN_EUNSUPPORTED;
  for (int i = 0; i < r; i++) {
    int64_t p = a ? (a->kind == IR_ATTR_INTS ? a->ints[i] : a->i) : r - 1 - i;
    if (p < 0 || p >= r || seen[p] || yt->dims[i] != xt->dims[p]) return KN_EUNSUPPORTED;
    seen[p] = true;
    perm[i] = (int)p;
  }
  int64_t xs[KN_MAX_RANK], ss[KN_MAX_RANK];
  mv_contiguous_strides(r, xt->dims, xs);
  for (int i = 0; i < r; i++) ss[i] = xs[perm[i]];
  return gather_into(c, n->out[0], n->in[0], r, yt->dims, ss, 0);
}

/* ---- Concat / Split: 2-d window copies around the axis ---- */
kn_status mv_lower_concat(cg_ctx *c, const ir_node *n) {
  ir_id y = n->out[0];
  const ir_type *yt = mv_type(c, y);
  size_t es = elem_size(c, y);
  int axis = norm_axis(ir_op_axis(n), yt->rank);
  if (es == 0 || axis < 0 || axis >= yt->rank) return KN_EUNSUPPORTED;
  int64_t outer = kn_dims_prod(yt->dims, 0, axis), inner = kn_dims_prod(yt->dims, axis + 1, yt->rank);
  int64_t row = yt->dims[axis] * inner, total = 0;
  for (int i = 0; i < n->nin; i++) {
    const ir_type *xt = mv_type(c, n->in[i]);
    if (!xt) continue;
    if (xt->dtype != yt->dtype || xt->rank != yt->rank) return KN_EUNSUPPORTED;
    for (int d = 0; d < yt->rank; d++)
      if (d != axis && xt->dims[d] != yt->dims[d]) return KN_EUNSUPPORTED;
    total += xt->dims[axis];
  }
  if (total != yt->dims[axis]) return KN_EUNSUPPORTED;
  if (outer * row == 0) return KN_OK;
  int64_t off = 0;
  for (int i = 0; i < n->nin; i++) {
    const ir_type *xt = mv_type(c, n->in[i]);
    if (!xt) continue;
    int64_t cols = xt->dims[axis] * inner;
    if (cols > 0) {
      mv_copy cp = {.rank = 2, .dims = {outer, cols}, .ds = {row, 1}, .ss = {cols, 1}, .doff = off, .es = es};
      mv_emit_copy(c, &cp, cg_value_ptr(c, y), mv_value_align(c, y), cg_value_ptr(c, n->in[i]),
                   mv_value_align(c, n->in[i]));
    }
    off += cols;
  }
  return KN_OK;
}

kn_status mv_lower_split(cg_ctx *c, const ir_node *n) {
  ir_id x = n->in[0];
  const ir_type *xt = mv_type(c, x);
  size_t es = elem_size(c, x);
  int axis = norm_axis(ir_op_axis(n), xt->rank);
  if (es == 0 || axis < 0 || axis >= xt->rank) return KN_EUNSUPPORTED;
  int64_t outer = kn_dims_prod(xt->dims, 0, axis), inner = kn_dims_prod(xt->dims, axis + 1, xt->rank);
  int64_t row = xt->dims[axis] * inner, total = 0;
  for (int k = 0; k < n->nout; k++) {
    const ir_type *yt = mv_type(c, n->out[k]);
    if (!yt) return KN_EUNSUPPORTED; /* its width along the axis would be unknown here */
    if (yt->dtype != xt->dtype || yt->rank != xt->rank) return KN_EUNSUPPORTED;
    for (int d = 0; d < xt->rank; d++)
      if (d != axis && yt->dims[d] != xt->dims[d]) return KN_EUNSUPPORTED;
    total += yt->dims[axis];
  }
  if (total > xt->dims[axis]) return KN_EUNSUPPORTED;
  int64_t off = 0;
  for (int k = 0; k < n->nout; k++) {
    ir_id y = n->out[k];
    int64_t cols = mv_type(c, y)->dims[axis] * inner;
    if (cols > 0 && outer > 0 && c->loc[y].kind != CG_LOC_NONE) {
      mv_copy cp = {.rank = 2, .dims = {outer, cols}, .ds = {cols, 1}, .ss = {row, 1}, .soff = off, .es = es};
      mv_emit_copy(c, &cp, cg_value_ptr(c, y), mv_value_align(c, y), cg_value_ptr(c, x), mv_value_align(c, x));
    }
    off += cols;
  }
  return KN_OK;
}

/* ---- Slice (the first index of each axis: ir_slice_first) ---- */

kn_status mv_lower_slice(cg_ctx *c, const ir_node *n) {
  enum { MAXL = 64 };
  const ir_type *xt = mv_type(c, n->in[0]), *yt = mv_type(c, n->out[0]);
  int64_t st[MAXL], ax[MAXL], sp[MAXL];
  int r = xt->rank;
  int ns = mv_const_ints(c, n, 1, st, MAXL);
  int na = mv_const_ints(c, n, 3, ax, MAXL), nsp = mv_const_ints(c, n, 4, sp, MAXL);
  if (ns < 0 || na == -2 || nsp == -2 || (na >= 0 && na != ns) || (nsp >= 0 && nsp != ns) || yt->rank != r)
    return KN_EUNSUPPORTED;
  int64_t xs[KN_MAX_RANK], ss[KN_MAX_RANK], base = 0;
  bool done[KN_MAX_RANK] = {false};
  mv_contiguous_strides(r, xt->dims, xs);
  memcpy(ss, xs, sizeof xs);
  for (int i = 0; i < ns; i++) {
    int a = norm_axis(na >= 0 ? ax[i] : i, r);
    int64_t step = nsp >= 0 ? sp[i] : 1;
    if (a < 0 || a >= r || done[a] || step == 0) return KN_EUNSUPPORTED;
    done[a] = true;
    base += ir_slice_first(xt->dims[a], st[i], step) * xs[a];
    ss[a] = xs[a] * step;
  }
  return gather_into(c, n->out[0], n->in[0], r, yt->dims, ss, base);
}

/* ---- Expand / Tile: broadcast dims read with stride 0 ---- */
kn_status mv_lower_expand(cg_ctx *c, const ir_node *n) {
  const ir_type *xt = mv_type(c, n->in[0]), *yt = mv_type(c, n->out[0]);
  int r = yt->rank, xr = xt->rank;
  if (xr > r) return KN_EUNSUPPORTED;
  int64_t xs[KN_MAX_RANK], ss[KN_MAX_RANK];
  mv_contiguous_strides(xr, xt->dims, xs);
  for (int i = 0; i < r; i++) {
    int xi = i - (r - xr);
    if (xi >= 0 && xt->dims[xi] != 1 && xt->dims[xi] != yt->dims[i]) return KN_EUNSUPPORTED;
    ss[i] = xi < 0 || xt->dims[xi] == 1 ? 0 : xs[xi];
  }
  return gather_into(c, n->out[0], n->in[0], r, yt->dims, ss, 0);
}

kn_status mv_lower_tile(cg_ctx *c, const ir_node *n) {
  const ir_type *xt = mv_type(c, n->in[0]), *yt = mv_type(c, n->out[0]);
  int r = xt->rank;
  if (yt->rank != r) return KN_EUNSUPPORTED;
  if (kn_dims_numel(r, xt->dims) == 0) return kn_dims_numel(r, yt->dims) == 0 ? KN_OK : KN_EUNSUPPORTED;
  /* out viewed as [rep0, d0, rep1, d1, ...]: the repeat dims read with stride 0 */
  int64_t xs[KN_MAX_RANK], dims[2 * KN_MAX_RANK], ss[2 * KN_MAX_RANK];
  mv_contiguous_strides(r, xt->dims, xs);
  for (int i = 0; i < r; i++) {
    if (yt->dims[i] % xt->dims[i] != 0) return KN_EUNSUPPORTED;
    dims[2 * i] = yt->dims[i] / xt->dims[i];
    dims[2 * i + 1] = xt->dims[i];
    ss[2 * i] = 0;
    ss[2 * i + 1] = xs[i];
  }
  return gather_into(c, n->out[0], n->in[0], 2 * r, dims, ss, 0);
}

/* ---- Pad ---- */
/* Constant mode: fill the border (when there is one), then copy the part of
 * the input that survives (negative pads crop) into the interior window. */
/* cval: the fill value, or (cval_at non-NULL) read at run time from there */
static kn_status pad_constant(cg_ctx *c, const ir_node *n, const int64_t *before, const unsigned char *cval,
                              LLVMValueRef cval_at, size_t es) {
  ir_id x = n->in[0], y = n->out[0];
  const ir_type *xt = mv_type(c, x), *yt = mv_type(c, y);
  int r = yt->rank;
  int64_t xs[KN_MAX_RANK], ys[KN_MAX_RANK];
  mv_contiguous_strides(r, xt->dims, xs);
  mv_contiguous_strides(r, yt->dims, ys);
  mv_copy cp = {.rank = r, .es = es};
  bool border = false, empty = false;
  for (int d = 0; d < r; d++) {
    int64_t lo = before[d] > 0 ? before[d] : 0;
    int64_t hi = xt->dims[d] + before[d] < yt->dims[d] ? xt->dims[d] + before[d] : yt->dims[d];
    border |= lo > 0 || hi < yt->dims[d];
    if (hi <= lo) {
      empty = true;
      continue;
    }
    cp.dims[d] = hi - lo;
    cp.ds[d] = ys[d];
    cp.ss[d] = xs[d];
    cp.doff += lo * ys[d];
    cp.soff += (lo - before[d]) * xs[d];
  }
  int64_t yn = kn_dims_numel(r, yt->dims);
  if ((border || empty) && cval_at) mv_emit_fill_from(c, cg_value_ptr(c, y), mv_value_align(c, y), yn, cval_at, es);
  else if (border || empty) mv_emit_fill(c, cg_value_ptr(c, y), mv_value_align(c, y), yn, cval, es);
  if (empty) return KN_OK;
  mv_emit_copy(c, &cp, cg_value_ptr(c, y), mv_value_align(c, y), cg_value_ptr(c, x), mv_value_align(c, x));
  return KN_OK;
}

kn_status mv_lower_pad(cg_ctx *c, const ir_node *n) {
  ir_id x = n->in[0], y = n->out[0];
  const ir_type *xt = mv_type(c, x), *yt = mv_type(c, y);
  size_t es = elem_size(c, x);
  int r = xt->rank;
  if (es == 0 || es > 8 || yt->rank != r || yt->dtype != xt->dtype) return KN_EUNSUPPORTED;
  const char *ms = ir_attr_s(n, "mode");
  int mode = strcmp(ms, "reflect") == 0 ? KK_SHAPE_PAD_REFLECT
             : strcmp(ms, "edge") == 0  ? KK_SHAPE_PAD_EDGE
             : strcmp(ms, "wrap") == 0  ? KK_SHAPE_PAD_WRAP
                                        : KK_SHAPE_PAD_CONSTANT;
  int64_t pads[2 * KN_MAX_RANK], axes[KN_MAX_RANK], before[KN_MAX_RANK] = {0};
  int np = mv_const_ints(c, n, 1, pads, 2 * KN_MAX_RANK), na = mv_const_ints(c, n, 3, axes, KN_MAX_RANK);
  if (np == -2 || na == -2) return KN_EUNSUPPORTED;
  if (na < 0) {
    na = r;
    for (int i = 0; i < r; i++) axes[i] = i;
  }
  if (np >= 0 && np != 2 * na) return KN_EUNSUPPORTED;
  for (int i = 0; np >= 0 && i < na; i++) {
    int a = norm_axis(axes[i], r);
    if (a < 0 || a >= r) return KN_EUNSUPPORTED;
    before[a] = pads[i];
  }
  /* the output must be exactly the padded input */
  for (int i = 0; np >= 0 && i < na; i++) {
    int a = norm_axis(axes[i], r);
    if (yt->dims[a] != xt->dims[a] + pads[i] + pads[na + i]) return KN_EUNSUPPORTED;
  }
  for (int d = 0; d < r; d++)
    if (yt->dims[d] < 0) return KN_EUNSUPPORTED;
  /* constant value converted to the data dtype (legacy imports store it as f32) */
  _Alignas(16) unsigned char cval[16] = {0};
  LLVMValueRef cval_at = NULL;
  if (n->nin > 2 && n->in[2] != IR_NONE) {
    const kn_tensor *cv = mv_const_input(c, n, 2);
    const ir_type *ct = mv_type(c, n->in[2]);
    if (!cv && mode == KK_SHAPE_PAD_CONSTANT && ct->dtype == xt->dtype && kn_dims_numel(ct->rank, ct->dims) == 1)
      cval_at = cg_value_ptr(c, n->in[2]); /* a value known at run time */
    else if (!cv) return KN_EUNSUPPORTED;
    else if (kn_dims_numel(cv->rank, cv->dims) == 1) {
      if (cv->dtype == xt->dtype) memcpy(cval, cv->data, es);
      else {
        kn_tensor tmp = {.dtype = xt->dtype, .rank = 0, .data = cval, .nbytes = (int64_t)es};
        kn_tensor_set_f64(&tmp, 0, kn_tensor_get_f64(cv, 0));
      }
    }
  }
  int64_t yn = kn_dims_numel(r, yt->dims);
  if (yn == 0) return KN_OK;
  if (mode == KK_SHAPE_PAD_CONSTANT) return pad_constant(c, n, before, cval, cval_at, es);
  /* reflect/edge/wrap: index maps built now, one kernel call with them baked in */
  if (r == 0 || mv_numel(c, x) == 0) return KN_EUNSUPPORTED;
  LLVMValueRef fn = cg_kernel(c, "kk_shape_pad");
  if (!fn) return KN_EUNSUPPORTED;
  int64_t total = 0;
  for (int d = 0; d < r; d++) total += yt->dims[d];
  if (total > ((int64_t)1 << 24)) return KN_EUNSUPPORTED;
  int64_t *maps = malloc(sizeof(int64_t) * (size_t)total);
  if (!maps) return KN_EUNSUPPORTED;
  int64_t *m = maps;
  for (int d = 0; d < r; d++) {
    if (kk_shape_pad_map(m, yt->dims[d], xt->dims[d], before[d], mode) != 0) {
      free(maps);
      return KN_EUNSUPPORTED;
    }
    m += yt->dims[d];
  }
  int64_t xs[KN_MAX_RANK], cbits[2];
  mv_contiguous_strides(r, xt->dims, xs);
  memcpy(cbits, cval, sizeof cbits);
  LLVMValueRef args[8] = {cg_value_ptr(c, y), cg_value_ptr(c, x), cg_i64_array(c, yt->dims, r),
                          cg_i64_array(c, xs, r),  cg_i64_array(c, maps, (int)total), cg_i32(c, r),
                          cg_i64_array(c, cbits, 2), cg_i64(c, (int64_t)es)};
  free(maps);
  cg_call(c, fn, args, 8);
  return KN_OK;
}

/* ---- DepthToSpace / SpaceToDepth: a 6-d view of the input read in the
 * output's order (what kk_index_depth_to_space/space_to_depth loop over) ---- */
static int64_t block_size(const ir_node *n, const ir_type *xt) {
  int64_t b = ir_attr_int(n, "blocksize", 0);
  return xt->rank == 4 && b > 0 && b <= 4096 ? b : -1;
}

kn_status mv_lower_depth_to_space(cg_ctx *c, const ir_node *n) {
  const ir_type *xt = mv_type(c, n->in[0]), *yt = mv_type(c, n->out[0]);
  int64_t b = block_size(n, xt);
  const char *mode = ir_attr_s(n, "mode");
  bool crd = strcmp(mode, "CRD") == 0;
  if (b < 0 || (!crd && strcmp(mode, "DCR") != 0) || xt->dims[1] % (b * b)) return KN_EUNSUPPORTED;
  int64_t N = xt->dims[0], C = xt->dims[1], H = xt->dims[2], W = xt->dims[3], co = C / (b * b), hw = H * W;
  if (yt->rank != 4 || yt->dims[0] != N || yt->dims[1] != co || yt->dims[2] != H * b || yt->dims[3] != W * b)
    return KN_EUNSUPPORTED;
  /* output as [N, co, H, b, W, b]; DCR channel (i*b + j)*co + c, CRD c*b*b + i*b + j */
  int64_t dims[6] = {N, co, H, b, W, b};
  int64_t ss[6] = {C * hw, crd ? b * b * hw : hw, W, crd ? b * hw : b * co * hw, 1, crd ? hw : co * hw};
  return gather_into(c, n->out[0], n->in[0], 6, dims, ss, 0);
}

kn_status mv_lower_space_to_depth(cg_ctx *c, const ir_node *n) {
  const ir_type *xt = mv_type(c, n->in[0]), *yt = mv_type(c, n->out[0]);
  int64_t b = block_size(n, xt);
  if (b < 0 || xt->dims[2] % b || xt->dims[3] % b) return KN_EUNSUPPORTED;
  int64_t N = xt->dims[0], C = xt->dims[1], H = xt->dims[2], W = xt->dims[3];
  if (yt->rank != 4 || yt->dims[0] != N || yt->dims[1] != C * b * b || yt->dims[2] != H / b || yt->dims[3] != W / b)
    return KN_EUNSUPPORTED;
  /* output as [N, b, b, C, H/b, W/b]: channel (i*b + j)*C + c reads x[n, c, h*b + i, w*b + j] */
  int64_t dims[6] = {N, b, b, C, H / b, W / b};
  int64_t ss[6] = {C * H * W, W, 1, H * W, b * W, b};
  return gather_into(c, n->out[0], n->in[0], 6, dims, ss, 0);
}
