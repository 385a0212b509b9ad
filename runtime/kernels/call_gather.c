/* call_gather.c: kernel-call thunks (k_call_index.h) of GatherElements,
 * GatherND, ScatterElements, ScatterND, ReverseSequence and Compress. As the
 * reference executor does (runtime/ref/exec_index.c), addressing and data
 * movement are split: an offsets kernel of k_index.h checks every index and
 * writes one int64 offset per addressed slice into scratch (or returns the
 * position of the first bad index, before anything is written), then a
 * slice kernel moves the elements as opaque bytes, so any sized dtype works;
 * only scatter reductions are typed. */
#include "call_util.h"
#include "k_call_index.h"
#include "k_index.h"

/* Output = data (byte copy; skipped if they are one buffer). */
static void copy_bytes(void *dst, const void *src, int64_t n) {
  if (dst == src) return;
  unsigned char *d = dst;
  const unsigned char *s = src;
  for (int64_t i = 0; i < n; i++) d[i] = s[i];
}

/* dst[off[i] + j] (op)= upd[i*slice + j]; 0 when the dtype has no typed reduction */
static int scatter(void *dst, const int64_t *off, int64_t n, int64_t slice, const void *upd, int red, int dt,
                   size_t es) {
  if (red == KK_INDEX_RED_NONE) {
    kk_index_scatter_slices(dst, off, n, slice, upd, es);
    return 1;
  }
#define RED(sfx, T)                                                                                \
  kk_index_scatter_slices_##sfx((T *)dst, off, n, slice, (const T *)upd, red);                     \
  return 1
  switch (dt) {
  case KK_F32: RED(f32, float);
  case KK_F64: RED(f64, double);
  case KK_I8: RED(i8, int8_t);
  case KK_U8: RED(u8, uint8_t);
  case KK_I16: RED(i16, int16_t);
  case KK_U16: RED(u16, uint16_t);
  case KK_I32: RED(i32, int32_t);
  case KK_U32: RED(u32, uint32_t);
  case KK_I64: RED(i64, int64_t);
  case KK_U64: RED(u64, uint64_t);
  default: return 0;
  }
#undef RED
}

static int64_t elements_offsets(const kk_elements_params *p, const void *idx, int64_t *off) {
  if (p->n == 0) return KK_CALL_OK;
  return kk_index_elements_offsets(idx, p->idx64, p->rank, p->idims, p->dstrides, p->axis, p->axis_dim, off);
}

int64_t kk_call_gather_elements(const void *params, void *const *buf) {
  const kk_elements_params *p = params;
  int64_t *off = buf[3], bad = elements_offsets(p, buf[1], off);
  if (bad >= 0) return bad;
  kk_index_gather_slices(buf[0], off, p->n, 1, buf[2], (size_t)p->es);
  return KK_CALL_OK;
}

int64_t kk_call_scatter_elements(const void *params, void *const *buf) {
  const kk_elements_params *p = params;
  int64_t *off = buf[4], bad = elements_offsets(p, buf[1], off);
  if (bad >= 0) return bad;
  copy_bytes(buf[3], buf[0], p->data_bytes);
  return scatter(buf[3], off, p->n, 1, buf[2], p->reduction, p->dt, (size_t)p->es) ? KK_CALL_OK : 0;
}

static int64_t nd_offsets(const kk_nd_params *p, const void *idx, int64_t *off) {
  if (p->nbatch * p->per_batch == 0) return KK_CALL_OK;
  return kk_index_nd_offsets(idx, p->idx64, p->nbatch, p->per_batch, p->k, p->kdims, p->slice, off);
}

int64_t kk_call_gather_nd(const void *params, void *const *buf) {
  const kk_nd_params *p = params;
  int64_t *off = buf[3], bad = nd_offsets(p, buf[1], off);
  if (bad >= 0) return bad;
  kk_index_gather_slices(buf[0], off, p->nbatch * p->per_batch, p->slice, buf[2], (size_t)p->es);
  return KK_CALL_OK;
}

int64_t kk_call_scatter_nd(const void *params, void *const *buf) {
  const kk_nd_params *p = params;
  int64_t *off = buf[4], bad = nd_offsets(p, buf[1], off);
  if (bad >= 0) return bad;
  copy_bytes(buf[3], buf[0], p->data_bytes);
  return scatter(buf[3], off, p->per_batch, p->slice, buf[2], p->reduction, p->dt, (size_t)p->es) ? KK_CALL_OK : 0;
}

int64_t kk_call_reverse_sequence(const void *params, void *const *buf) {
  const kk_reverse_seq_params *p = params;
  int64_t bad = kk_index_reverse_sequence(buf[0], buf[2], buf[1], p->lens64, p->time_major, p->d0, p->d1,
                                          p->inner, (size_t)p->es);
  return bad >= 0 ? bad : KK_CALL_OK;
}

int64_t kk_call_compress(const void *params, void *const *buf) {
  const kk_compress_params *p = params;
  const uint8_t *cond = buf[1];
  int64_t kept = 0;
  for (int64_t i = 0; i < p->ncond; i++)
    if (cond[i]) {
      if (i >= p->extent) return 1;
      kept++;
    }
  if (kept != p->kept) return 1;
  kk_index_compress(buf[0], cond, p->ncond, p->outer, p->extent, p->inner, buf[2], (size_t)p->es);
  return KK_CALL_OK;
}
