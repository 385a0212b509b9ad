/* shape.c: the data-movement kernels behind kiln's shape ops (see k_shape.h).
 * Element-size generic: each loop is instantiated for 1/2/4/8-byte words via
 * macros (may_alias word types, so copying f32 data through uint32_t is
 * well defined), with a byte loop for any other size. The innermost loop is
 * the only hot one, so all odometers run over the outer dims and hand a whole
 * row to a row copier whose contiguous case is a plain word copy. */
#include "k_shape.h"

typedef uint8_t kk_w1;
typedef uint16_t __attribute__((may_alias)) kk_w2;
typedef uint32_t __attribute__((may_alias)) kk_w4;
typedef uint64_t __attribute__((may_alias)) kk_w8;

void kk_shape_copy(void *dst, const void *src, int64_t nbytes) {
  unsigned char *d = (unsigned char *)dst;
  const unsigned char *s = (const unsigned char *)src;
  int64_t i = 0;
  if ((((uintptr_t)d | (uintptr_t)s) & 7) == 0) {
    kk_w8 *d8 = (kk_w8 *)d;
    const kk_w8 *s8 = (const kk_w8 *)s;
    int64_t n8 = nbytes >> 3;
    for (int64_t k = 0; k < n8; k++) d8[k] = s8[k];
    i = n8 << 3;
  }
  for (; i < nbytes; i++) d[i] = s[i];
}

void kk_shape_fill(void *dst, int64_t n, const void *value, size_t es) {
#define KK_FILL(W)                                                                                 \
  {                                                                                                \
    W v = *(const W *)value, *d = (W *)dst;                                                        \
    for (int64_t i = 0; i < n; i++) d[i] = v;                                                      \
    return;                                                                                        \
  }
  switch (es) {
  case 1: KK_FILL(kk_w1)
  case 2: KK_FILL(kk_w2)
  case 4: KK_FILL(kk_w4)
  case 8: KK_FILL(kk_w8)
  default: break;
  }
#undef KK_FILL
  unsigned char *d = (unsigned char *)dst;
  const unsigned char *v = (const unsigned char *)value;
  for (int64_t i = 0; i < n; i++)
    for (size_t b = 0; b < es; b++) d[(size_t)i * es + b] = v[b];
}

/* One row: n elements, strides ds/ss in elements. */
static void row_copy(char *dst, int64_t ds, const char *src, int64_t ss, int64_t n, size_t es) {
  if (ds == 1 && ss == 1) {
    kk_shape_copy(dst, src, n * (int64_t)es);
    return;
  }
#define KK_ROW(W)                                                                                  \
  {                                                                                                \
    W *d = (W *)dst;                                                                               \
    const W *s = (const W *)src;                                                                   \
    if (ss == 0) {                                                                                 \
      W v = s[0];                                                                                  \
      for (int64_t i = 0; i < n; i++) d[i * ds] = v;                                               \
    } else                                                                                         \
      for (int64_t i = 0; i < n; i++) d[i * ds] = s[i * ss];                                       \
    return;                                                                                        \
  }
  switch (es) {
  case 1: KK_ROW(kk_w1)
  case 2: KK_ROW(kk_w2)
  case 4: KK_ROW(kk_w4)
  case 8: KK_ROW(kk_w8)
  default: break;
  }
#undef KK_ROW
  for (int64_t i = 0; i < n; i++)
    for (size_t b = 0; b < es; b++)
      dst[(i * ds) * (int64_t)es + (int64_t)b] = src[(i * ss) * (int64_t)es + (int64_t)b];
}

void kk_shape_copy_strided(void *dst, const int64_t *dst_strides, const void *src,
                           const int64_t *src_strides, const int64_t *dims, int rank, size_t es) {
  char *d = (char *)dst;
  const char *s = (const char *)src;
  if (rank <= 0) {
    row_copy(d, 1, s, 1, 1, es);
    return;
  }
  if (rank > KK_SHAPE_MAX_RANK) return;
  for (int k = 0; k < rank; k++)
    if (dims[k] <= 0) return;
  int64_t idx[KK_SHAPE_MAX_RANK] = {0};
  int inner = rank - 1;
  int64_t n = dims[inner], eb = (int64_t)es;
  int64_t doff = 0, soff = 0; /* element offsets of the current row */
  for (;;) {
    row_copy(d + doff * eb, dst_strides[inner], s + soff * eb, src_strides[inner], n, es);
    int k = inner - 1;
    for (; k >= 0; k--) {
      doff += dst_strides[k];
      soff += src_strides[k];
      if (++idx[k] < dims[k]) break;
      doff -= dst_strides[k] * dims[k];
      soff -= src_strides[k] * dims[k];
      idx[k] = 0;
    }
    if (k < 0) return;
  }
}

/* Tiled 2-d core of a transpose: dst[i*ldd + j] = src[i + j*lds] for i < rows,
 * j < cols (i runs along the source's unit stride, j along the destination's). */
#define KK_TILE 16
static void tile_copy(char *dst, int64_t ldd, const char *src, int64_t lds, int64_t rows,
                      int64_t cols, size_t es) {
#define KK_T(W)                                                                                    \
  {                                                                                                \
    W *d = (W *)dst;                                                                               \
    const W *s = (const W *)src;                                                                   \
    for (int64_t i0 = 0; i0 < rows; i0 += KK_TILE)                                                 \
      for (int64_t j0 = 0; j0 < cols; j0 += KK_TILE) {                                             \
        int64_t i1 = i0 + KK_TILE < rows ? i0 + KK_TILE : rows;                                    \
        int64_t j1 = j0 + KK_TILE < cols ? j0 + KK_TILE : cols;                                    \
        for (int64_t i = i0; i < i1; i++)                                                          \
          for (int64_t j = j0; j < j1; j++) d[i * ldd + j] = s[i + j * lds];                       \
      }                                                                                            \
    return;                                                                                        \
  }
  switch (es) {
  case 1: KK_T(kk_w1)
  case 2: KK_T(kk_w2)
  case 4: KK_T(kk_w4)
  case 8: KK_T(kk_w8)
  default: break;
  }
#undef KK_T
  for (int64_t i = 0; i < rows; i++)
    for (int64_t j = 0; j < cols; j++)
      for (size_t b = 0; b < es; b++)
        dst[(i * ldd + j) * (int64_t)es + (int64_t)b] = src[(i + j * lds) * (int64_t)es + (int64_t)b];
}

void kk_shape_transpose(void *dst, const void *src, const int64_t *dims, const int64_t *src_strides,
                        int rank, size_t es) {
  if (rank > KK_SHAPE_MAX_RANK) return;
  int64_t ds[KK_SHAPE_MAX_RANK];
  int64_t acc = 1;
  for (int k = rank - 1; k >= 0; k--) {
    ds[k] = acc;
    acc *= dims[k];
  }
  if (acc == 0) return;
  /* find the source's unit-stride dim; if it is the innermost, rows are contiguous */
  int unit = -1;
  for (int k = 0; k < rank; k++)
    if (src_strides[k] == 1 && dims[k] > 1) unit = k;
  int last = rank - 1;
  if (rank < 2 || unit < 0 || unit == last || dims[unit] < 4 || dims[last] < 4) {
    kk_shape_copy_strided(dst, ds, src, src_strides, dims, rank, es);
    return;
  }
  /* odometer over all dims but `unit` and `last`, a tiled 2-d copy inside */
  int64_t idx[KK_SHAPE_MAX_RANK] = {0};
  int64_t doff = 0, soff = 0, eb = (int64_t)es;
  char *d = (char *)dst;
  const char *s = (const char *)src;
  for (;;) {
    tile_copy(d + doff * eb, ds[unit], s + soff * eb, src_strides[last], dims[unit], dims[last], es);
    int k = last - 1;
    for (; k >= 0; k--) {
      if (k == unit) continue;
      doff += ds[k];
      soff += src_strides[k];
      if (++idx[k] < dims[k]) break;
      doff -= ds[k] * dims[k];
      soff -= src_strides[k] * dims[k];
      idx[k] = 0;
    }
    if (k < 0) return;
  }
}

int kk_shape_pad_map(int64_t *map, int64_t out_dim, int64_t in_dim, int64_t before, int mode) {
  for (int64_t o = 0; o < out_dim; o++) {
    int64_t i = o - before;
    if (i >= 0 && i < in_dim) {
      map[o] = i;
      continue;
    }
    if (mode == KK_SHAPE_PAD_CONSTANT) {
      map[o] = -1;
      continue;
    }
    if (in_dim <= 0) return -1;
    if (mode == KK_SHAPE_PAD_EDGE) {
      map[o] = i < 0 ? 0 : in_dim - 1;
    } else if (mode == KK_SHAPE_PAD_WRAP) {
      int64_t m = i % in_dim;
      map[o] = m < 0 ? m + in_dim : m;
    } else { /* reflect without repeating the edge: period 2*(n-1) */
      if (in_dim == 1) {
        map[o] = 0;
        continue;
      }
      int64_t p = 2 * (in_dim - 1), m = i % p;
      if (m < 0) m += p;
      map[o] = m < in_dim ? m : p - m;
    }
  }
  return 0;
}

void kk_shape_pad(void *dst, const void *src, const int64_t *out_dims, const int64_t *src_strides,
                  const int64_t *maps, int rank, const void *cval, size_t es) {
  char *d = (char *)dst;
  const char *s = (const char *)src;
  int64_t eb = (int64_t)es;
  if (rank <= 0) {
    kk_shape_copy(d, s, eb);
    return;
  }
  if (rank > KK_SHAPE_MAX_RANK) return;
  const int64_t *mp[KK_SHAPE_MAX_RANK];
  const int64_t *m = maps;
  for (int k = 0; k < rank; k++) {
    if (out_dims[k] <= 0) return;
    mp[k] = m;
    m += out_dims[k];
  }
  int inner = rank - 1;
  int64_t n = out_dims[inner], ss = src_strides[inner];
  const int64_t *im = mp[inner];
  int64_t idx[KK_SHAPE_MAX_RANK] = {0};
  for (;;) {
    /* source offset of the row, or -1 when an outer coordinate is padding */
    int64_t soff = 0;
    for (int k = 0; k < inner; k++) {
      int64_t v = mp[k][idx[k]];
      if (v < 0) {
        soff = -1;
        break;
      }
      soff += v * src_strides[k];
    }
    if (soff < 0) {
      kk_shape_fill(d, n, cval, es);
    } else {
#define KK_PADROW(W)                                                                               \
  {                                                                                                \
    W *dw = (W *)d, cv = *(const W *)cval;                                                         \
    const W *sw = (const W *)s + soff;                                                             \
    for (int64_t i = 0; i < n; i++) dw[i] = im[i] < 0 ? cv : sw[im[i] * ss];                       \
    break;                                                                                         \
  }
      switch (es) {
      case 1: KK_PADROW(kk_w1)
      case 2: KK_PADROW(kk_w2)
      case 4: KK_PADROW(kk_w4)
      case 8: KK_PADROW(kk_w8)
      default:
        for (int64_t i = 0; i < n; i++)
          for (int64_t b = 0; b < eb; b++)
            d[i * eb + b] = im[i] < 0 ? ((const char *)cval)[b] : s[(soff + im[i] * ss) * eb + b];
        break;
      }
#undef KK_PADROW
    }
    d += n * eb;
    int k = inner - 1;
    for (; k >= 0; k--) {
      if (++idx[k] < out_dims[k]) break;
      idx[k] = 0;
    }
    if (k < 0) return;
  }
}

#define KK_RANGE_F(sfx, T)                                                                         \
  void kk_shape_range_##sfx(T *dst, int64_t n, double start, double delta) {                       \
    for (int64_t i = 0; i < n; i++) dst[i] = (T)(start + (double)i * delta);                       \
  }
KK_RANGE_F(f32, float)
KK_RANGE_F(f64, double)
#undef KK_RANGE_F
/* unsigned arithmetic: wraps like the narrow type instead of overflowing int64 */
#define KK_RANGE_I(sfx, T)                                                                         \
  void kk_shape_range_##sfx(T *dst, int64_t n, int64_t start, int64_t delta) {                     \
    for (int64_t i = 0; i < n; i++)                                                                \
      dst[i] = (T)(int64_t)((uint64_t)start + (uint64_t)i * (uint64_t)delta);                      \
  }
KK_RANGE_I(i16, int16_t)
KK_RANGE_I(i32, int32_t)
KK_RANGE_I(i64, int64_t)
#undef KK_RANGE_I
