/* ir_infer_shape.c: shape inference for the SHAPE family (Reshape, Flatten,
 * Squeeze, Unsqueeze, Transpose, Concat, Split, Slice, Expand, Tile, Pad,
 * Shape, Size, ConstantOfShape, Range).
 * These ops carry the shape arithmetic of exported models, so each function
 * has two regimes: when the shape-like inputs are constants (always so when
 * the executor calls us) the result is exact and fully validated; when they
 * are not, we still keep the rank and every dim that provably survives
 * (symbolic dims included), and use fresh unknown dims only for the rest.
 * Symbolic dims are tracked by identity: a dim product is a known factor
 * times a multiset of symbols, which lets Reshape/Flatten cancel symbols
 * (e.g. [B,S,12,64] -> [0,0,-1] gives [B,S,768]). */
#include "ir.h"
#include <string.h>

/* ---- small helpers ---- */
static const ir_type *opt_in(const ir_infer_ctx *c, int i) { return i < c->nin ? c->in[i] : NULL; }
static const kn_tensor *opt_val(const ir_infer_ctx *c, int i) { return i < c->nin ? c->val[i] : NULL; }

/* Reads constant integer list input i into v. *n = -1 when not constant. */
static kn_status read_ints(ir_infer_ctx *c, int i, int64_t *v, int max, int *n, const char *what) {
  const kn_tensor *t = opt_val(c, i);
  *n = -1;
  if (!t) return KN_OK;
  if (!kn_dtype_is_int(t->dtype))
    return ir_infer_fail(c, KN_ETYPE, "%s (input %d) must be an integer tensor, got %s", what, i,
                         kn_dtype_name(t->dtype));
  if (t->rank > 1) return ir_infer_fail(c, KN_ESHAPE, "%s (input %d) must be 1-D, got rank %d", what, i, t->rank);
  int64_t cnt = kn_tensor_numel(t);
  if (cnt < 0 || cnt > max)
    return ir_infer_fail(c, KN_ESHAPE, "%s (input %d) has %lld entries, at most %d are allowed", what, i,
                         (long long)cnt, max);
  for (int64_t k = 0; k < cnt; k++) v[k] = kn_tensor_get_i64(t, k);
  *n = (int)cnt;
  return KN_OK;
}

/* Length of a 1-D list input whose value is unknown; -1 if not known. */
static int list_len(const ir_infer_ctx *c, int i) {
  const ir_type *t = opt_in(c, i);
  if (!t) return -1;
  if (t->rank == 0) return 1;
  if (t->rank == 1 && t->dims[0] >= 0 && t->dims[0] <= 1024) return (int)t->dims[0];
  return -1;
}

static void set_unknown_dims(ir_infer_ctx *c, ir_type *t) {
  for (int i = 0; i < t->rank; i++) t->dims[i] = ir_infer_unknown_dim(c);
}

/* Normalizes axes[0..n) against rank into flags (duplicates are an error). */
static kn_status mark_axes(ir_infer_ctx *c, const int64_t *axes, int n, int rank, bool *mark) {
  for (int i = 0; i < rank; i++) mark[i] = false;
  for (int i = 0; i < n; i++) {
    int a;
    KN_TRY(ir_infer_axis(c, axes[i], rank, &a));
    if (mark[a]) return ir_infer_fail(c, KN_EINVAL, "axis %lld is repeated", (long long)axes[i]);
    mark[a] = true;
  }
  return KN_OK;
}

/* A product of dims: known factor times a multiset of symbols. */
typedef struct dimprod {
  int64_t known;
  int nsym;
  bool overflow;
  int64_t sym[KN_MAX_RANK];
} dimprod;

static void dp_init(dimprod *p) { memset(p, 0, sizeof *p), p->known = 1; }
static void dp_mul(dimprod *p, int64_t d) {
  if (d < 0) {
    if (p->nsym < KN_MAX_RANK) p->sym[p->nsym++] = d;
    else p->overflow = true;
  } else if (__builtin_mul_overflow(p->known, d, &p->known))
    p->overflow = true;
}
/* The product as a single dim if it is one: known, or one symbol times 1. */
static int64_t dp_dim(ir_infer_ctx *c, const dimprod *p) {
  if (!p->overflow && p->nsym == 0) return p->known;
  if (!p->overflow && p->nsym == 1 && p->known == 1) return p->sym[0];
  if (!p->overflow && p->known == 0) return 0;
  return ir_infer_unknown_dim(c);
}
/* Removes from a and b the symbols they have in common. */
static void dp_cancel(dimprod *a, dimprod *b) {
  for (int i = 0; i < b->nsym; i++)
    for (int j = 0; j < a->nsym; j++)
      if (a->sym[j] == b->sym[i]) {
        a->sym[j] = a->sym[--a->nsym];
        b->sym[i--] = b->sym[--b->nsym];
        break;
      }
}

/* ---- Reshape ---- */
kn_status ir_infer_reshape(ir_infer_ctx *c) {
  const ir_type *x = c->in[0];
  ir_type *o = &c->out[0];
  bool allowzero = ir_attr_i(c->node, "allowzero") != 0;
  o->dtype = x->dtype;
  int64_t v[KN_MAX_RANK];
  int n;
  KN_TRY(read_ints(c, 1, v, KN_MAX_RANK, &n, "shape"));
  if (n < 0) {
    int len = list_len(c, 1);
    if (len > KN_MAX_RANK) return ir_infer_fail(c, KN_ESHAPE, "target rank %d exceeds %d", len, KN_MAX_RANK);
    o->rank = len < 0 ? IR_RANK_UNKNOWN : len;
    set_unknown_dims(c, o);
    return KN_OK;
  }
  o->rank = n;
  int neg = -1;
  bool has_zero = false;
  for (int i = 0; i < n; i++) {
    if (v[i] == -1) {
      if (neg >= 0) return ir_infer_fail(c, KN_ESHAPE, "shape has more than one -1");
      neg = i;
      o->dims[i] = 0;
    } else if (v[i] < -1) {
      return ir_infer_fail(c, KN_ESHAPE, "shape entry %d is %lld", i, (long long)v[i]);
    } else if (v[i] == 0 && !allowzero) {
      if (x->rank < 0) o->dims[i] = ir_infer_unknown_dim(c);
      else if (i >= x->rank)
        return ir_infer_fail(c, KN_ESHAPE, "shape entry %d is 0 (copy) but the input has rank %d", i, x->rank);
      else o->dims[i] = x->dims[i];
    } else {
      has_zero |= v[i] == 0;
      o->dims[i] = v[i];
    }
  }
  if (allowzero && has_zero && neg >= 0)
    return ir_infer_fail(c, KN_ESHAPE, "allowzero=1 shape has both 0 and -1");
  if (x->rank < 0) {
    if (neg >= 0) o->dims[neg] = ir_infer_unknown_dim(c);
    return KN_OK;
  }
  dimprod pin, pout;
  dp_init(&pin), dp_init(&pout);
  for (int i = 0; i < x->rank; i++) dp_mul(&pin, x->dims[i]);
  for (int i = 0; i < n; i++)
    if (i != neg) dp_mul(&pout, o->dims[i]);
  if (pin.overflow || pout.overflow) return ir_infer_fail(c, KN_ESHAPE, "element count overflows");
  dp_cancel(&pin, &pout);
  if (neg >= 0) {
    if (pout.nsym == 0 && pin.nsym == 0) {
      if (pout.known == 0)
        return ir_infer_fail(c, KN_ESHAPE, "cannot infer the -1 dim: the other dims multiply to 0");
      if (pin.known % pout.known != 0)
        return ir_infer_fail(c, KN_ESHAPE, "cannot reshape %lld elements: not a multiple of %lld",
                             (long long)pin.known, (long long)pout.known);
      o->dims[neg] = pin.known / pout.known;
    } else if (pout.nsym == 0 && pin.nsym == 1 && pin.known == pout.known && pout.known != 0) {
      o->dims[neg] = pin.sym[0];
    } else {
      o->dims[neg] = ir_infer_unknown_dim(c);
    }
  } else if (pout.nsym == 0 && pin.nsym == 0 && pin.known != pout.known) {
    return ir_infer_fail(c, KN_ESHAPE, "cannot reshape %lld elements into %lld", (long long)pin.known,
                         (long long)pout.known);
  }
  return KN_OK;
}

/* ---- Flatten ---- */
kn_status ir_infer_flatten(ir_infer_ctx *c) {
  const ir_type *x = c->in[0];
  ir_type *o = &c->out[0];
  o->dtype = x->dtype;
  o->rank = 2;
  int64_t axis = ir_op_axis(c->node);
  if (x->rank < 0) {
    set_unknown_dims(c, o);
    return KN_OK;
  }
  int r = x->rank;
  if (axis < -r || axis > r)
    return ir_infer_fail(c, KN_EINVAL, "axis %lld is out of range for rank %d", (long long)axis, r);
  if (axis < 0) axis += r;
  dimprod a, b;
  dp_init(&a), dp_init(&b);
  for (int i = 0; i < r; i++) dp_mul(i < axis ? &a : &b, x->dims[i]);
  o->dims[0] = dp_dim(c, &a);
  o->dims[1] = dp_dim(c, &b);
  return KN_OK;
}

/* ---- Squeeze / Unsqueeze ---- */
kn_status ir_infer_squeeze(ir_infer_ctx *c) {
  KN_TRY(ir_infer_need_rank(c, 0));
  const ir_type *x = c->in[0];
  ir_type *o = &c->out[0];
  o->dtype = x->dtype;
  int r = x->rank;
  bool mark[KN_MAX_RANK];
  int64_t axes[KN_MAX_RANK];
  int n = -1;
  if (opt_in(c, 1)) KN_TRY(read_ints(c, 1, axes, KN_MAX_RANK, &n, "axes"));
  if (opt_in(c, 1) && n != 0) { /* an empty axes list means "all 1-dims", like no list */
    if (n < 0) {
      int len = list_len(c, 1);
      o->rank = len <= 0 || len > r ? IR_RANK_UNKNOWN : r - len;
      set_unknown_dims(c, o);
      return KN_OK;
    }
    KN_TRY(mark_axes(c, axes, n, r, mark));
    for (int i = 0; i < r; i++)
      if (mark[i] && x->dims[i] >= 0 && x->dims[i] != 1)
        return ir_infer_fail(c, KN_ESHAPE, "cannot squeeze axis %d of size %lld", i, (long long)x->dims[i]);
  } else {
    /* all 1-dims: a symbolic dim might be 1, so the rank is not known */
    for (int i = 0; i < r; i++) {
      if (x->dims[i] < 0) {
        o->rank = IR_RANK_UNKNOWN;
        return KN_OK;
      }
      mark[i] = x->dims[i] == 1;
    }
  }
  o->rank = 0;
  for (int i = 0; i < r; i++)
    if (!mark[i]) o->dims[o->rank++] = x->dims[i];
  return KN_OK;
}

kn_status ir_infer_unsqueeze(ir_infer_ctx *c) {
  KN_TRY(ir_infer_need_rank(c, 0));
  const ir_type *x = c->in[0];
  ir_type *o = &c->out[0];
  o->dtype = x->dtype;
  int64_t axes[KN_MAX_RANK];
  int n;
  KN_TRY(read_ints(c, 1, axes, KN_MAX_RANK, &n, "axes"));
  int len = n >= 0 ? n : list_len(c, 1);
  if (len >= 0 && x->rank + len > KN_MAX_RANK)
    return ir_infer_fail(c, KN_ESHAPE, "output rank %d exceeds %d", x->rank + len, KN_MAX_RANK);
  if (n < 0) {
    o->rank = len < 0 ? IR_RANK_UNKNOWN : x->rank + len;
    set_unknown_dims(c, o);
    return KN_OK;
  }
  int r = x->rank + n;
  bool mark[KN_MAX_RANK];
  KN_TRY(mark_axes(c, axes, n, r, mark));
  o->rank = r;
  for (int i = 0, j = 0; i < r; i++) o->dims[i] = mark[i] ? 1 : x->dims[j++];
  return KN_OK;
}

/* ---- Transpose ---- */
/* Reads and validates perm (default: reversed). */
static kn_status transpose_perm(ir_infer_ctx *c, int r, int *perm) {
  const ir_attr *a = ir_attr_get(c->node, "perm");
  if (!a) {
    for (int i = 0; i < r; i++) perm[i] = r - 1 - i;
    return KN_OK;
  }
  if (a->kind != IR_ATTR_INTS && !(a->kind == IR_ATTR_INT && r == 1))
    return ir_infer_fail(c, KN_EINVAL, "perm must be a list of ints");
  int n = a->kind == IR_ATTR_INTS ? a->n : 1;
  if (n != r) return ir_infer_fail(c, KN_EINVAL, "perm has %d entries for rank %d", n, r);
  bool seen[KN_MAX_RANK] = {false};
  for (int i = 0; i < r; i++) {
    int64_t p = a->kind == IR_ATTR_INTS ? a->ints[i] : a->i;
    if (p < 0 || p >= r || seen[p]) return ir_infer_fail(c, KN_EINVAL, "perm is not a permutation of 0..%d", r - 1);
    seen[p] = true;
    perm[i] = (int)p;
  }
  return KN_OK;
}

kn_status ir_infer_transpose(ir_infer_ctx *c) {
  const ir_type *x = c->in[0];
  ir_type *o = &c->out[0];
  o->dtype = x->dtype;
  if (x->rank < 0) {
    const ir_attr *a = ir_attr_get(c->node, "perm");
    o->rank = a && a->kind == IR_ATTR_INTS && a->n <= KN_MAX_RANK ? a->n : IR_RANK_UNKNOWN;
    set_unknown_dims(c, o);
    return KN_OK;
  }
  int perm[KN_MAX_RANK];
  KN_TRY(transpose_perm(c, x->rank, perm));
  o->rank = x->rank;
  for (int i = 0; i < x->rank; i++) o->dims[i] = x->dims[perm[i]];
  return KN_OK;
}

/* ---- Concat ---- */
kn_status ir_infer_concat(ir_infer_ctx *c) {
  const ir_type *first = NULL;
  int r = IR_RANK_UNKNOWN;
  for (int i = 0; i < c->nin; i++) {
    const ir_type *t = c->in[i];
    if (!t) continue;
    if (!first) first = t;
    else if (t->dtype != first->dtype)
      return ir_infer_fail(c, KN_ETYPE, "input %d is %s but input 0 is %s", i, kn_dtype_name(t->dtype),
                           kn_dtype_name(first->dtype));
    if (t->rank < 0) continue;
    if (r < 0) r = t->rank;
    else if (t->rank != r) return ir_infer_fail(c, KN_ESHAPE, "input %d has rank %d, expected %d", i, t->rank, r);
  }
  if (!first) return ir_infer_fail(c, KN_EINVAL, "no inputs");
  ir_type *o = &c->out[0];
  o->dtype = first->dtype;
  if (!ir_attr_get(c->node, "axis")) return ir_infer_fail(c, KN_EINVAL, "attribute axis is required");
  int64_t axis_attr = ir_op_axis(c->node);
  if (r < 0) return KN_OK; /* rank unknown */
  if (r == 0) return ir_infer_fail(c, KN_ESHAPE, "cannot concatenate scalars");
  int axis;
  KN_TRY(ir_infer_axis(c, axis_attr, r, &axis));
  o->rank = r;
  bool sum_known = true;
  int64_t sum = 0;
  bool set[KN_MAX_RANK] = {false};
  for (int i = 0; i < c->nin; i++) {
    const ir_type *t = c->in[i];
    if (!t) continue;
    if (t->rank < 0) {
      sum_known = false;
      continue;
    }
    for (int d = 0; d < r; d++) {
      int64_t v = t->dims[d];
      if (d == axis) {
        if (v < 0) sum_known = false;
        else if (__builtin_add_overflow(sum, v, &sum)) return ir_infer_fail(c, KN_ESHAPE, "size overflows");
        continue;
      }
      int64_t *od = &o->dims[d];
      if (!set[d] || (*od < 0 && v >= 0)) *od = v, set[d] = true;
      else if (v >= 0 && *od >= 0 && v != *od)
        return ir_infer_fail(c, KN_ESHAPE, "input %d has dim %d = %lld, expected %lld", i, d, (long long)v,
                             (long long)*od);
    }
  }
  for (int d = 0; d < r; d++)
    if (!set[d]) o->dims[d] = ir_infer_unknown_dim(c);
  o->dims[axis] = sum_known ? sum : ir_infer_unknown_dim(c);
  return KN_OK;
}

/* ---- Split ---- */
kn_status ir_infer_split(ir_infer_ctx *c) {
  const ir_type *x = c->in[0];
  int nout = c->nout;
  for (int k = 0; k < nout; k++) {
    c->out[k] = *x;
    if (x->rank < 0) c->out[k].rank = IR_RANK_UNKNOWN;
  }
  if (x->rank < 0) return KN_OK;
  if (x->rank == 0) return ir_infer_fail(c, KN_ESHAPE, "cannot split a scalar");
  int axis;
  KN_TRY(ir_infer_axis(c, ir_op_axis(c->node), x->rank, &axis));
  int64_t dim = x->dims[axis];
  const ir_attr *nattr = ir_attr_get(c->node, "num_outputs");
  if (opt_in(c, 1)) {
    if (nattr) return ir_infer_fail(c, KN_EINVAL, "both the split input and num_outputs are given");
    const kn_tensor *sv = opt_val(c, 1);
    if (!sv) {
      for (int k = 0; k < nout; k++) c->out[k].dims[axis] = ir_infer_unknown_dim(c);
      return KN_OK;
    }
    if (!kn_dtype_is_int(sv->dtype) || sv->rank > 1)
      return ir_infer_fail(c, KN_EINVAL, "split must be a 1-D integer tensor");
    int64_t n = kn_tensor_numel(sv), sum = 0;
    if (n != nout) return ir_infer_fail(c, KN_ESHAPE, "split has %lld entries for %d outputs", (long long)n, nout);
    for (int k = 0; k < nout; k++) {
      int64_t s = kn_tensor_get_i64(sv, k);
      if (s < 0) return ir_infer_fail(c, KN_ESHAPE, "split entry %d is negative", k);
      if (__builtin_add_overflow(sum, s, &sum)) return ir_infer_fail(c, KN_ESHAPE, "split sizes overflow");
      c->out[k].dims[axis] = s;
    }
    if (dim >= 0 && sum != dim)
      return ir_infer_fail(c, KN_ESHAPE, "split sizes sum to %lld but the axis has %lld", (long long)sum,
                           (long long)dim);
    return KN_OK;
  }
  int64_t parts = nattr ? ir_attr_int(c->node, "num_outputs", 0) : nout;
  if (parts <= 0 || parts != nout)
    return ir_infer_fail(c, KN_EINVAL, "num_outputs is %lld but the node has %d outputs", (long long)parts, nout);
  if (dim < 0) {
    for (int k = 0; k < nout; k++) c->out[k].dims[axis] = nout == 1 ? dim : ir_infer_unknown_dim(c);
    return KN_OK;
  }
  if (!nattr && dim % parts != 0)
    return ir_infer_fail(c, KN_ESHAPE, "axis of size %lld does not split into %lld equal parts", (long long)dim,
                         (long long)parts);
  /* opset 18: chunks of ceil(dim/parts), the last one smaller */
  int64_t chunk = (dim + parts - 1) / parts, left = dim;
  for (int k = 0; k < nout; k++) {
    int64_t s = k == nout - 1 ? left : (chunk < left ? chunk : left);
    c->out[k].dims[axis] = s;
    left -= s;
  }
  return KN_OK;
}

/* ---- Slice ---- */
/* Clamps one axis' start/end per the ONNX rules; returns the element count
 * and the first source index. step != 0. */
static int64_t slice_axis(int64_t dim, int64_t start, int64_t end, int64_t step, int64_t *first) {
  if (start < 0) start += dim;
  if (end < 0) end += dim;
  uint64_t ustep;
  uint64_t diff;
  if (step > 0) {
    start = start < 0 ? 0 : start > dim ? dim : start;
    end = end < 0 ? 0 : end > dim ? dim : end;
    ustep = (uint64_t)step;
    diff = end > start ? (uint64_t)(end - start) : 0;
  } else {
    start = start < -1 ? -1 : start > dim - 1 ? dim - 1 : start;
    end = end < -1 ? -1 : end > dim - 1 ? dim - 1 : end;
    ustep = (uint64_t)(-(step + 1)) + 1;
    diff = start > end ? (uint64_t)(start - end) : 0;
  }
  *first = start;
  return diff ? (int64_t)((diff - 1) / ustep + 1) : 0;
}

kn_status ir_infer_slice(ir_infer_ctx *c) {
  const ir_type *x = c->in[0];
  ir_type *o = &c->out[0];
  *o = *x;
  if (x->rank < 0) return KN_OK;
  int r = x->rank;
  enum { MAXL = 64 };
  int64_t st[MAXL], en[MAXL], ax[MAXL], sp[MAXL];
  int ns, ne, na = -2, nsp = -2;
  KN_TRY(read_ints(c, 1, st, MAXL, &ns, "starts"));
  KN_TRY(read_ints(c, 2, en, MAXL, &ne, "ends"));
  if (opt_in(c, 3)) KN_TRY(read_ints(c, 3, ax, MAXL, &na, "axes"));
  if (opt_in(c, 4)) KN_TRY(read_ints(c, 4, sp, MAXL, &nsp, "steps"));
  if (na == -1) { /* axes unknown: any dim may change */
    set_unknown_dims(c, o);
    return KN_OK;
  }
  int n = ns >= 0 ? ns : ne >= 0 ? ne : na >= 0 ? na : nsp >= 0 ? nsp : list_len(c, 1);
  if ((ns >= 0 && ns != n) || (ne >= 0 && ne != n) || (na >= 0 && na != n) || (nsp >= 0 && nsp != n))
    return ir_infer_fail(c, KN_ESHAPE, "starts/ends/axes/steps have different lengths");
  if (n < 0) {
    set_unknown_dims(c, o);
    return KN_OK;
  }
  if (na < 0) {
    if (n > r) return ir_infer_fail(c, KN_ESHAPE, "%d starts for rank %d", n, r);
    for (int i = 0; i < n; i++) ax[i] = i;
  }
  bool mark[KN_MAX_RANK];
  KN_TRY(mark_axes(c, ax, n, r, mark));
  bool known = ns >= 0 && ne >= 0 && nsp != -1;
  for (int i = 0; i < n; i++) {
    int a = (int)(ax[i] < 0 ? ax[i] + r : ax[i]);
    int64_t step = nsp >= 0 ? sp[i] : 1;
    if (nsp >= 0 && step == 0) return ir_infer_fail(c, KN_EINVAL, "step %d is 0", i);
    int64_t dim = x->dims[a];
    if (!known) o->dims[a] = ir_infer_unknown_dim(c);
    else if (dim >= 0) {
      int64_t first;
      o->dims[a] = slice_axis(dim, st[i], en[i], step, &first);
    } else {
      /* symbolic dim: only the whole-axis slices keep it */
      const int64_t big = INT64_MAX / 2;
      bool whole = (step == 1 && (st[i] == 0 || st[i] <= -big) && en[i] >= big) ||
                   (step == -1 && (st[i] == -1 || st[i] >= big) && en[i] <= -big);
      o->dims[a] = whole ? dim : ir_infer_unknown_dim(c);
    }
  }
  return KN_OK;
}

/* ---- Expand / Tile ---- */
kn_status ir_infer_expand(ir_infer_ctx *c) {
  KN_TRY(ir_infer_need_rank(c, 0));
  const ir_type *x = c->in[0];
  ir_type *o = &c->out[0];
  o->dtype = x->dtype;
  int64_t v[KN_MAX_RANK];
  int n;
  KN_TRY(read_ints(c, 1, v, KN_MAX_RANK, &n, "shape"));
  if (n < 0) {
    int len = list_len(c, 1);
    if (len < 0 || len > KN_MAX_RANK) {
      o->rank = IR_RANK_UNKNOWN;
      return KN_OK;
    }
    int r = len > x->rank ? len : x->rank;
    o->rank = r;
    for (int i = 0; i < r; i++) {
      int xi = i - (r - x->rank);
      int64_t d = xi >= 0 ? x->dims[xi] : 1;
      o->dims[i] = d >= 0 && d != 1 ? d : ir_infer_unknown_dim(c);
    }
    return KN_OK;
  }
  ir_type s = {.dtype = x->dtype, .rank = n};
  for (int i = 0; i < n; i++) {
    if (v[i] < 0) return ir_infer_fail(c, KN_ESHAPE, "shape entry %d is %lld", i, (long long)v[i]);
    s.dims[i] = v[i];
  }
  KN_TRY(ir_broadcast_dims(c, x, &s, o));
  o->dtype = x->dtype;
  return KN_OK;
}

kn_status ir_infer_tile(ir_infer_ctx *c) {
  KN_TRY(ir_infer_need_rank(c, 0));
  const ir_type *x = c->in[0];
  ir_type *o = &c->out[0];
  *o = *x;
  int64_t v[KN_MAX_RANK];
  int n;
  KN_TRY(read_ints(c, 1, v, KN_MAX_RANK, &n, "repeats"));
  if (n < 0) {
    set_unknown_dims(c, o);
    return KN_OK;
  }
  if (n != x->rank) return ir_infer_fail(c, KN_ESHAPE, "repeats has %d entries for rank %d", n, x->rank);
  for (int i = 0; i < n; i++) {
    int64_t d = x->dims[i];
    if (v[i] < 0) return ir_infer_fail(c, KN_ESHAPE, "repeats entry %d is negative", i);
    if (v[i] == 1) continue;
    if (v[i] == 0) o->dims[i] = 0;
    else if (d < 0) o->dims[i] = ir_infer_unknown_dim(c);
    else if (__builtin_mul_overflow(d, v[i], &o->dims[i])) return ir_infer_fail(c, KN_ESHAPE, "size overflows");
  }
  return KN_OK;
}

/* ---- Pad ---- */
kn_status ir_infer_pad(ir_infer_ctx *c) {
  KN_TRY(ir_infer_need_rank(c, 0));
  const ir_type *x = c->in[0];
  ir_type *o = &c->out[0];
  *o = *x;
  int r = x->rank;
  const char *mode = ir_attr_s(c->node, "mode");
  bool constant = strcmp(mode, "constant") == 0;
  if (!constant && strcmp(mode, "reflect") != 0 && strcmp(mode, "edge") != 0 && strcmp(mode, "wrap") != 0)
    return ir_infer_fail(c, KN_EINVAL, "unknown mode '%s'", mode);
  const kn_tensor *cv = opt_val(c, 2);
  if (cv && kn_tensor_numel(cv) > 1) return ir_infer_fail(c, KN_ESHAPE, "constant_value must be a scalar");
  int64_t axes[KN_MAX_RANK], pads[2 * KN_MAX_RANK];
  int na = r, np;
  if (opt_in(c, 3)) {
    KN_TRY(read_ints(c, 3, axes, KN_MAX_RANK, &na, "axes"));
    if (na < 0) {
      set_unknown_dims(c, o);
      return KN_OK;
    }
  } else {
    for (int i = 0; i < r; i++) axes[i] = i;
  }
  bool mark[KN_MAX_RANK];
  KN_TRY(mark_axes(c, axes, na, r, mark));
  if (!opt_in(c, 1)) return KN_OK; /* no pads: identity */
  KN_TRY(read_ints(c, 1, pads, 2 * KN_MAX_RANK, &np, "pads"));
  if (np < 0) {
    for (int i = 0; i < na; i++) o->dims[axes[i] < 0 ? axes[i] + r : axes[i]] = ir_infer_unknown_dim(c);
    return KN_OK;
  }
  if (np != 2 * na) return ir_infer_fail(c, KN_ESHAPE, "pads has %d entries, expected %d", np, 2 * na);
  for (int i = 0; i < na; i++) {
    int a = (int)(axes[i] < 0 ? axes[i] + r : axes[i]);
    int64_t d = x->dims[a], b = pads[i], e = pads[i + na], sum;
    if (__builtin_add_overflow(b, e, &sum)) return ir_infer_fail(c, KN_ESHAPE, "pads overflow");
    if (d < 0) {
      if (sum != 0) o->dims[a] = ir_infer_unknown_dim(c);
      continue;
    }
    if (__builtin_add_overflow(d, sum, &o->dims[a]) || o->dims[a] < 0)
      return ir_infer_fail(c, KN_ESHAPE, "pads %lld,%lld make axis %d of size %lld negative", (long long)b,
                           (long long)e, a, (long long)d);
    if (!constant && d == 0 && o->dims[a] > 0)
      return ir_infer_fail(c, KN_ESHAPE, "mode %s cannot pad the empty axis %d", mode, a);
  }
  return KN_OK;
}

/* ---- Shape / Size ---- */
kn_status ir_infer_shape_op(ir_infer_ctx *c) {
  const ir_type *x = c->in[0];
  ir_type *o = &c->out[0];
  o->dtype = KN_I64;
  o->rank = 1;
  if (x->rank < 0) {
    o->dims[0] = ir_infer_unknown_dim(c);
    return KN_OK;
  }
  int64_t r = x->rank, s = ir_attr_i(c->node, "start"), e = ir_attr_int(c->node, "end", r);
  if (s < 0) s += r;
  if (e < 0) e += r;
  s = s < 0 ? 0 : s > r ? r : s;
  e = e < 0 ? 0 : e > r ? r : e;
  o->dims[0] = e > s ? e - s : 0;
  return KN_OK;
}

kn_status ir_infer_size_op(ir_infer_ctx *c) {
  c->out[0].dtype = KN_I64;
  c->out[0].rank = 0;
  return KN_OK;
}

/* ---- ConstantOfShape ---- */
kn_status ir_infer_constant_of_shape(ir_infer_ctx *c) {
  ir_type *o = &c->out[0];
  const ir_attr *a = ir_attr_get(c->node, "value");
  o->dtype = KN_F32;
  if (a) {
    if (a->kind != IR_ATTR_TENSOR || !a->t || kn_tensor_numel(a->t) != 1)
      return ir_infer_fail(c, KN_EINVAL, "value must be a one-element tensor");
    if (kn_dtype_size(a->t->dtype) == 0)
      return ir_infer_fail(c, KN_EUNSUPPORTED, "value of dtype %s", kn_dtype_name(a->t->dtype));
    o->dtype = a->t->dtype;
  }
  int64_t v[KN_MAX_RANK];
  int n;
  KN_TRY(read_ints(c, 0, v, KN_MAX_RANK, &n, "shape"));
  if (n < 0) {
    int len = list_len(c, 0);
    o->rank = len < 0 || len > KN_MAX_RANK ? IR_RANK_UNKNOWN : len;
    set_unknown_dims(c, o);
    return KN_OK;
  }
  o->rank = n;
  for (int i = 0; i < n; i++) {
    if (v[i] < 0) return ir_infer_fail(c, KN_ESHAPE, "shape entry %d is %lld", i, (long long)v[i]);
    o->dims[i] = v[i];
  }
  return KN_OK;
}

/* ---- Range ---- */
kn_status ir_infer_range(ir_infer_ctx *c) {
  int32_t dt = c->in[0]->dtype;
  for (int i = 0; i < 3; i++) {
    if (c->in[i]->dtype != dt)
      return ir_infer_fail(c, KN_ETYPE, "input %d is %s but start is %s", i, kn_dtype_name(c->in[i]->dtype),
                           kn_dtype_name(dt));
    if (c->in[i]->rank > 1 || (c->in[i]->rank == 1 && c->in[i]->dims[0] >= 0 && c->in[i]->dims[0] != 1))
      return ir_infer_fail(c, KN_ESHAPE, "input %d must be a scalar", i);
  }
  if (!kn_dtype_is_float(dt) && !kn_dtype_is_int(dt))
    return ir_infer_fail(c, KN_ETYPE, "dtype %s is not numeric", kn_dtype_name(dt));
  ir_type *o = &c->out[0];
  o->dtype = dt;
  o->rank = 1;
  const kn_tensor *s = c->val[0], *l = c->val[1], *d = c->val[2];
  if (!s || !l || !d) {
    o->dims[0] = ir_infer_unknown_dim(c);
    return KN_OK;
  }
  if (kn_tensor_numel(s) != 1 || kn_tensor_numel(l) != 1 || kn_tensor_numel(d) != 1)
    return ir_infer_fail(c, KN_ESHAPE, "start, limit and delta must be scalars");
  int64_t count;
  if (kn_dtype_is_float(dt)) {
    double fs = kn_tensor_get_f64(s, 0), fl = kn_tensor_get_f64(l, 0), fd = kn_tensor_get_f64(d, 0);
    if (fd == 0 || fd != fd) return ir_infer_fail(c, KN_EINVAL, "delta must be nonzero");
    double q = __builtin_ceil((fl - fs) / fd);
    if (q != q || q > 4e18) return ir_infer_fail(c, KN_ESHAPE, "range has too many elements");
    count = q > 0 ? (int64_t)q : 0;
  } else {
    int64_t is = kn_tensor_get_i64(s, 0), il = kn_tensor_get_i64(l, 0), id = kn_tensor_get_i64(d, 0);
    if (id == 0) return ir_infer_fail(c, KN_EINVAL, "delta must be nonzero");
    uint64_t diff = 0, ud;
    if (id > 0) {
      ud = (uint64_t)id;
      if (il > is) diff = (uint64_t)il - (uint64_t)is;
    } else {
      ud = (uint64_t)(-(id + 1)) + 1;
      if (is > il) diff = (uint64_t)is - (uint64_t)il;
    }
    uint64_t q = diff ? (diff - 1) / ud + 1 : 0;
    if (q > (uint64_t)INT64_MAX) return ir_infer_fail(c, KN_ESHAPE, "range has too many elements");
    count = (int64_t)q;
  }
  o->dims[0] = count;
  return KN_OK;
}
