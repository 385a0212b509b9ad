/* index.c: kernels of the INDEX family (see k_index.h for the contracts).
 * Elements are moved as opaque `es`-byte units; the copies go through
 * may_alias integer types so a float tensor read as uint32_t is well defined,
 * and switch on `es` so that, once the JIT inlines a call with a constant
 * element size, only one straight loop remains. Address computation is split
 * from data movement (offset kernels + slice kernels) so GatherND/ScatterND
 * and GatherElements/ScatterElements share one bounds-checked addressing path. */
#include "k_index.h"

typedef uint16_t __attribute__((may_alias)) kk_u16a;
typedef uint32_t __attribute__((may_alias)) kk_u32a;
typedef uint64_t __attribute__((may_alias)) kk_u64a;

static inline int64_t load_index(const void *idx, int64_t i, int idx64) {
  return idx64 ? ((const int64_t *)idx)[i] : (int64_t)((const int32_t *)idx)[i];
}

/* Copies n elements of es bytes (non-overlapping). */
static inline void copy_elems(void *dst, const void *src, int64_t n, size_t es) {
  switch (es) {
  case 4: {
    kk_u32a *d = dst;
    const kk_u32a *s = src;
    for (int64_t i = 0; i < n; i++) d[i] = s[i];
    return;
  }
  case 8: {
    kk_u64a *d = dst;
    const kk_u64a *s = src;
    for (int64_t i = 0; i < n; i++) d[i] = s[i];
    return;
  }
  case 2: {
    kk_u16a *d = dst;
    const kk_u16a *s = src;
    for (int64_t i = 0; i < n; i++) d[i] = s[i];
    return;
  }
  default: {
    unsigned char *d = dst;
    const unsigned char *s = src;
    int64_t nb = n * (int64_t)es;
    for (int64_t i = 0; i < nb; i++) d[i] = s[i];
    return;
  }
  }
}

/* Fills n elements with the es-byte pattern at val. */
static inline void fill_elems(void *dst, const void *val, int64_t n, size_t es) {
  switch (es) {
  case 4: {
    kk_u32a *d = dst, v = *(const kk_u32a *)val;
    for (int64_t i = 0; i < n; i++) d[i] = v;
    return;
  }
  case 8: {
    kk_u64a *d = dst, v = *(const kk_u64a *)val;
    for (int64_t i = 0; i < n; i++) d[i] = v;
    return;
  }
  default: {
    unsigned char *d = dst;
    const unsigned char *v = val;
    for (int64_t i = 0; i < n; i++)
      for (size_t b = 0; b < es; b++) d[i * (int64_t)es + (int64_t)b] = v[b];
    return;
  }
  }
}

static inline void zero_bytes(void *dst, int64_t nbytes) {
  unsigned char *d = dst;
  for (int64_t i = 0; i < nbytes; i++) d[i] = 0;
}

#define ELEM(p, i, es) ((char *)(p) + (i) * (int64_t)(es))
#define CELEM(p, i, es) ((const char *)(p) + (i) * (int64_t)(es))

int64_t kk_index_gather(const void *data, const void *idx, int idx64, void *out, int64_t outer,
                        int64_t axis_dim, int64_t nidx, int64_t inner, size_t es) {
  /* validate once up front: the copy loop below then runs check-free */
  for (int64_t i = 0; i < nidx; i++) {
    int64_t v = load_index(idx, i, idx64);
    if (v < -axis_dim || v >= axis_dim) return i;
  }
  char *o = out;
  int64_t blk = inner * (int64_t)es;
  for (int64_t p = 0; p < outer; p++) {
    const char *base = CELEM(data, p * axis_dim * inner, es);
    for (int64_t i = 0; i < nidx; i++, o += blk) {
      int64_t v = load_index(idx, i, idx64);
      if (v < 0) v += axis_dim;
      copy_elems(o, base + v * blk, inner, es);
    }
  }
  return -1;
}

int64_t kk_index_nd_offsets(const void *idx, int idx64, int64_t nbatch, int64_t per_batch, int k,
                            const int64_t *kdims, int64_t slice, int64_t *off) {
  int64_t batch_stride = slice;
  for (int j = 0; j < k; j++) batch_stride *= kdims[j];
  for (int64_t b = 0; b < nbatch; b++)
    for (int64_t t = 0; t < per_batch; t++) {
      int64_t pos = (b * per_batch + t) * k, acc = 0;
      for (int j = 0; j < k; j++) {
        int64_t v = load_index(idx, pos + j, idx64);
        if (v < -kdims[j] || v >= kdims[j]) return pos + j;
        acc = acc * kdims[j] + (v < 0 ? v + kdims[j] : v);
      }
      off[b * per_batch + t] = b * batch_stride + acc * slice;
    }
  return -1;
}

int64_t kk_index_elements_offsets(const void *idx, int idx64, int rank, const int64_t *idims,
                                  const int64_t *dstrides, int axis, int64_t axis_dim, int64_t *off) {
  int64_t n = 1, pos[KK_MAX_RANK] = {0}, base = 0;
  for (int d = 0; d < rank; d++) n *= idims[d];
  for (int64_t i = 0; i < n; i++) {
    int64_t v = load_index(idx, i, idx64);
    if (v < -axis_dim || v >= axis_dim) return i;
    off[i] = base + (v < 0 ? v + axis_dim : v) * dstrides[axis];
    /* odometer over the indices' coordinates, keeping base = sum of the
     * non-axis coordinates times the data strides */
    for (int d = rank - 1; d >= 0; d--) {
      int64_t s = d == axis ? 0 : dstrides[d];
      if (++pos[d] < idims[d]) {
        base += s;
        break;
      }
      base -= (idims[d] - 1) * s;
      pos[d] = 0;
    }
  }
  return -1;
}

void kk_index_gather_slices(const void *data, const int64_t *off, int64_t n, int64_t slice, void *out,
                            size_t es) {
  for (int64_t i = 0; i < n; i++) copy_elems(ELEM(out, i * slice, es), CELEM(data, off[i], es), slice, es);
}

void kk_index_scatter_slices(void *dst, const int64_t *off, int64_t n, int64_t slice, const void *upd,
                             size_t es) {
  for (int64_t i = 0; i < n; i++) copy_elems(ELEM(dst, off[i], es), CELEM(upd, i * slice, es), slice, es);
}

/* max/min propagate NaN like numpy's maximum/minimum (x != x only for NaN) */
#define KK_INDEX_SCATTER_DEF(sfx, T)                                                               \
  void kk_index_scatter_slices_##sfx(T *dst, const int64_t *off, int64_t n, int64_t slice,        \
                                     const T *upd, int reduction) {                                \
    for (int64_t i = 0; i < n; i++) {                                                              \
      T *d = dst + off[i];                                                                         \
      const T *u = upd + i * slice;                                                                \
      switch (reduction) {                                                                         \
      case KK_INDEX_RED_ADD:                                                                       \
        for (int64_t j = 0; j < slice; j++) d[j] = (T)(d[j] + u[j]);                               \
        break;                                                                                     \
      case KK_INDEX_RED_MUL:                                                                       \
        for (int64_t j = 0; j < slice; j++) d[j] = (T)(d[j] * u[j]);                               \
        break;                                                                                     \
      case KK_INDEX_RED_MAX:                                                                       \
        for (int64_t j = 0; j < slice; j++)                                                        \
          if (u[j] > d[j] || u[j] != u[j]) d[j] = u[j];                                            \
        break;                                                                                     \
      case KK_INDEX_RED_MIN:                                                                       \
        for (int64_t j = 0; j < slice; j++)                                                        \
          if (u[j] < d[j] || u[j] != u[j]) d[j] = u[j];                                            \
        break;                                                                                     \
      default:                                                                                     \
        for (int64_t j = 0; j < slice; j++) d[j] = u[j];                                           \
        break;                                                                                     \
      }                                                                                            \
    }                                                                                              \
  }
KK_INDEX_SCATTER_DEF(f32, float)
KK_INDEX_SCATTER_DEF(f64, double)
KK_INDEX_SCATTER_DEF(i8, int8_t)
KK_INDEX_SCATTER_DEF(u8, uint8_t)
KK_INDEX_SCATTER_DEF(i16, int16_t)
KK_INDEX_SCATTER_DEF(u16, uint16_t)
KK_INDEX_SCATTER_DEF(i32, int32_t)
KK_INDEX_SCATTER_DEF(u32, uint32_t)
KK_INDEX_SCATTER_DEF(i64, int64_t)
KK_INDEX_SCATTER_DEF(u64, uint64_t)
#undef KK_INDEX_SCATTER_DEF

void kk_index_eye(void *out, int64_t rows, int64_t cols, int64_t k, const void *one, size_t es) {
  zero_bytes(out, rows * cols * (int64_t)es);
  if (k >= cols || k <= -rows) return; /* also keeps -k and cols - k below from overflowing */
  /* rows i with 0 <= i + k < cols */
  int64_t lo = k < 0 ? -k : 0, hi = cols - k;
  if (hi > rows) hi = rows;
  for (int64_t i = lo; i < hi; i++) copy_elems(ELEM(out, i * cols + i + k, es), one, 1, es);
}

void kk_index_trilu(const void *in, void *out, int64_t batch, int64_t rows, int64_t cols, int64_t k,
                    int upper, size_t es) {
  /* beyond these bounds every k selects the same elements */
  if (k > cols) k = cols;
  if (k < -rows) k = -rows;
  for (int64_t m = 0; m < batch; m++)
    for (int64_t i = 0; i < rows; i++) {
      int64_t row = (m * rows + i) * cols;
      int64_t lo = upper ? i + k : 0, hi = upper ? cols : i + k + 1; /* kept: [lo, hi) */
      if (lo < 0) lo = 0;
      if (hi < 0) hi = 0;
      if (hi > cols) hi = cols;
      if (lo > hi) lo = hi;
      zero_bytes(ELEM(out, row, es), lo * (int64_t)es);
      copy_elems(ELEM(out, row + lo, es), CELEM(in, row + lo, es), hi - lo, es);
      zero_bytes(ELEM(out, row + hi, es), (cols - hi) * (int64_t)es);
    }
}

void kk_index_one_hot(const int64_t *idx, int64_t outer, int64_t inner, int64_t depth,
                      const void *off_val, const void *on_val, void *out, size_t es) {
  fill_elems(out, off_val, outer * depth * inner, es);
  for (int64_t o = 0; o < outer; o++)
    for (int64_t i = 0; i < inner; i++) {
      int64_t v = idx[o * inner + i];
      if (v < -depth || v >= depth) continue;
      if (v < 0) v += depth;
      copy_elems(ELEM(out, (o * depth + v) * inner + i, es), on_val, 1, es);
    }
}

void kk_index_depth_to_space(const void *in, void *out, int64_t n, int64_t c, int64_t h, int64_t w,
                             int64_t b, int crd, size_t es) {
  int64_t co = c / (b * b);
  char *o = out;
  for (int64_t ni = 0; ni < n; ni++)
    for (int64_t ci = 0; ci < co; ci++)
      for (int64_t hi = 0; hi < h; hi++)
        for (int64_t bi = 0; bi < b; bi++)
          for (int64_t wi = 0; wi < w; wi++)
            for (int64_t bj = 0; bj < b; bj++, o += es) {
              int64_t sc = crd ? (ci * b + bi) * b + bj : (bi * b + bj) * co + ci;
              copy_elems(o, CELEM(in, ((ni * c + sc) * h + hi) * w + wi, es), 1, es);
            }
}

void kk_index_space_to_depth(const void *in, void *out, int64_t n, int64_t c, int64_t h, int64_t w,
                             int64_t b, size_t es) {
  int64_t ho = h / b, wo = w / b;
  char *o = out;
  for (int64_t ni = 0; ni < n; ni++)
    for (int64_t bi = 0; bi < b; bi++)
      for (int64_t bj = 0; bj < b; bj++)
        for (int64_t ci = 0; ci < c; ci++)
          for (int64_t hi = 0; hi < ho; hi++)
            for (int64_t wi = 0; wi < wo; wi++, o += es)
              copy_elems(o, CELEM(in, ((ni * c + ci) * h + hi * b + bi) * w + wi * b + bj, es), 1, es);
}

/* Nonzero test on raw bits; floats drop the sign bit so -0.0 is zero while
 * NaN (nonzero exponent) is not. */
static inline int is_nonzero(const void *p, size_t es, int is_float) {
  switch (es) {
  case 1: return *(const unsigned char *)p != 0;
  case 2: return (*(const kk_u16a *)p & (is_float ? 0x7fffu : 0xffffu)) != 0;
  case 4: return (*(const kk_u32a *)p & (is_float ? 0x7fffffffu : 0xffffffffu)) != 0;
  case 8: return (*(const kk_u64a *)p & (is_float ? 0x7fffffffffffffffull : ~0ull)) != 0;
  default: {
    const unsigned char *b = p;
    for (size_t i = 0; i < es; i++)
      if (b[i]) return 1;
    return 0;
  }
  }
}

int64_t kk_index_nonzero_count(const void *x, int64_t n, size_t es, int is_float) {
  int64_t nnz = 0;
  for (int64_t i = 0; i < n; i++) nnz += is_nonzero(CELEM(x, i, es), es, is_float);
  return nnz;
}

void kk_index_nonzero_write(const void *x, int rank, const int64_t *dims, size_t es, int is_float,
                            int64_t nnz, int64_t *out) {
  int64_t n = 1, pos[KK_MAX_RANK] = {0}, t = 0;
  for (int d = 0; d < rank; d++) n *= dims[d];
  for (int64_t i = 0; i < n && t < nnz; i++) {
    if (is_nonzero(CELEM(x, i, es), es, is_float)) {
      for (int d = 0; d < rank; d++) out[d * nnz + t] = pos[d];
      t++;
    }
    kk_index_next(rank, dims, pos);
  }
}

int64_t kk_index_compress(const void *in, const uint8_t *cond, int64_t ncond, int64_t outer,
                          int64_t axis_dim, int64_t inner, void *out, size_t es) {
  int64_t m = ncond < axis_dim ? ncond : axis_dim, kept = 0;
  for (int64_t a = 0; a < m; a++) kept += cond[a] != 0;
  char *o = out;
  int64_t blk = inner * (int64_t)es;
  for (int64_t p = 0; p < outer; p++)
    for (int64_t a = 0; a < m; a++)
      if (cond[a]) {
        copy_elems(o, CELEM(in, (p * axis_dim + a) * inner, es), inner, es);
        o += blk;
      }
  return kept;
}

int64_t kk_index_reverse_sequence(const void *in, void *out, const void *lens, int lens64,
                                  int time_major, int64_t d0, int64_t d1, int64_t inner, size_t es) {
  int64_t nb = time_major ? d1 : d0, nt = time_major ? d0 : d1;
  for (int64_t b = 0; b < nb; b++) {
    int64_t len = load_index(lens, b, lens64);
    if (len < 0 || len > nt) return b;
  }
  for (int64_t b = 0; b < nb; b++) {
    int64_t len = load_index(lens, b, lens64);
    for (int64_t t = 0; t < nt; t++) {
      int64_t st = t < len ? len - 1 - t : t;
      int64_t dst = time_major ? t * d1 + b : b * d1 + t, src = time_major ? st * d1 + b : b * d1 + st;
      copy_elems(ELEM(out, dst * inner, es), CELEM(in, src * inner, es), inner, es);
    }
  }
  return -1;
}
