/* tensor.c: dense tensors and dtypes. Every allocation of tensor data in kiln
 * goes through kn_tensor_alloc, which is where overflow and the memory limit
 * are checked, so absurd shapes fail cleanly instead of crashing. */
#include "ir.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const struct {
  const char *name, *shortname;
  size_t size;
} dtypes[KN_DTYPE_END] = {
    [KN_UNDEF] = {"undefined", "?", 0}, [KN_F32] = {"float32", "f32", 4},
    [KN_U8] = {"uint8", "u8", 1},        [KN_I8] = {"int8", "i8", 1},
    [KN_U16] = {"uint16", "u16", 2},     [KN_I16] = {"int16", "i16", 2},
    [KN_I32] = {"int32", "i32", 4},      [KN_I64] = {"int64", "i64", 8},
    [KN_STRING] = {"string", "str", 0},  [KN_BOOL] = {"bool", "bool", 1},
    [KN_F16] = {"float16", "f16", 2},    [KN_F64] = {"float64", "f64", 8},
    [KN_U32] = {"uint32", "u32", 4},     [KN_U64] = {"uint64", "u64", 8},
    [14] = {"complex64", "c64", 0},      [15] = {"complex128", "c128", 0},
    [KN_BF16] = {"bfloat16", "bf16", 2},
};

const char *kn_dtype_name(int dt) {
  return dt >= 0 && dt < KN_DTYPE_END && dtypes[dt].name ? dtypes[dt].name : "invalid";
}
const char *kn_dtype_short(int dt) {
  return dt >= 0 && dt < KN_DTYPE_END && dtypes[dt].shortname ? dtypes[dt].shortname : "?";
}
size_t kn_dtype_size(int dt) { return dt >= 0 && dt < KN_DTYPE_END ? dtypes[dt].size : 0; }
int kn_dtype_from_name(const char *name) {
  for (int i = 1; i < KN_DTYPE_END; i++)
    if (dtypes[i].shortname && dtypes[i].size && strcmp(dtypes[i].shortname, name) == 0) return i;
  return KN_UNDEF;
}
bool kn_dtype_is_float(int dt) { return dt == KN_F32 || dt == KN_F64 || dt == KN_F16 || dt == KN_BF16; }
bool kn_dtype_is_int(int dt) {
  return dt == KN_U8 || dt == KN_I8 || dt == KN_U16 || dt == KN_I16 || dt == KN_I32 || dt == KN_I64 ||
         dt == KN_U32 || dt == KN_U64;
}

int64_t kn_dims_prod(const int64_t *dims, int from, int to) {
  int64_t p = 1;
  for (int d = from; d < to; d++) p *= dims[d];
  return p;
}

int64_t kn_dims_numel(int rank, const int64_t *dims) {
  int64_t n = 1;
  for (int i = 0; i < rank; i++) {
    if (dims[i] < 0) return -1;
    if (dims[i] != 0 && n > INT64_MAX / dims[i]) return -1;
    n *= dims[i];
  }
  return n;
}

int64_t kn_tensor_numel(const kn_tensor *t) { return kn_dims_numel(t->rank, t->dims); }

void *kn_aligned_alloc(size_t bytes) {
  void *p = NULL;
  if (posix_memalign(&p, 64, bytes ? (bytes + 63) & ~(size_t)63 : 64) != 0) return NULL;
  return p;
}
void kn_aligned_free(void *p) { free(p); }

kn_status kn_tensor_alloc(kn_ctx *ctx, kn_tensor *t, int dtype, int rank, const int64_t *dims) {
  memset(t, 0, sizeof *t);
  if (rank < 0 || rank > KN_MAX_RANK)
    return kn_fail(ctx, KN_ESHAPE, "tensor rank %d is outside 0..%d", rank, KN_MAX_RANK);
  size_t es = kn_dtype_size(dtype);
  if (es == 0) return kn_fail(ctx, KN_EUNSUPPORTED, "tensors of dtype %s are not supported", kn_dtype_name(dtype));
  int64_t n = kn_dims_numel(rank, dims);
  if (n < 0) return kn_fail(ctx, KN_ESHAPE, "tensor shape has a negative dim or its size overflows int64");
  if ((uint64_t)n > (UINT64_MAX / 2) / es)
    return kn_fail(ctx, KN_ESHAPE, "tensor of %lld elements overflows the address space", (long long)n);
  uint64_t bytes = (uint64_t)n * es;
  uint64_t limit = ctx ? ctx->mem_limit : (uint64_t)8 << 30;
  if (bytes > limit)
    return kn_fail(ctx, KN_ELIMIT, "tensor of %llu bytes exceeds the memory limit of %llu bytes",
                   (unsigned long long)bytes, (unsigned long long)limit);
  t->dtype = dtype;
  t->rank = rank;
  for (int i = 0; i < rank; i++) t->dims[i] = dims[i];
  t->nbytes = (int64_t)bytes;
  t->data = kn_aligned_alloc(bytes);
  if (!t->data) return kn_fail(ctx, KN_ENOMEM, "out of memory allocating %llu bytes", (unsigned long long)bytes);
  memset(t->data, 0, bytes);
  return KN_OK;
}

kn_status kn_tensor_clone(kn_ctx *ctx, kn_tensor *dst, const kn_tensor *src) {
  KN_TRY(kn_tensor_alloc(ctx, dst, src->dtype, src->rank, src->dims));
  if (src->nbytes) memcpy(dst->data, src->data, (size_t)src->nbytes);
  return KN_OK;
}

void kn_tensor_free(kn_tensor *t) {
  if (!t) return;
  kn_aligned_free(t->data);
  t->data = NULL;
  t->nbytes = 0;
}

float kn_f16_to_f32(uint16_t h) {
  uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
  if (exp == 0) {
    if (man == 0) bits = sign;
    else { /* subnormal */
      float f = ldexpf((float)man, -24);
      return sign ? -f : f;
    }
  } else if (exp == 31) bits = sign | 0x7f800000u | (man << 13);
  else bits = sign | ((exp + 112) << 23) | (man << 13);
  float f;
  memcpy(&f, &bits, 4);
  return f;
}

uint16_t kn_f32_to_f16(float f) {
  uint32_t x;
  memcpy(&x, &f, 4);
  uint32_t sign = (x >> 16) & 0x8000;
  int32_t exp = (int32_t)((x >> 23) & 0xff);
  uint32_t man = x & 0x7fffff;
  if (exp == 255) return (uint16_t)(sign | 0x7c00 | (man ? 0x200 : 0));
  int32_t e = exp - 127 + 15;
  if (e >= 31) return (uint16_t)(sign | 0x7c00);
  if (e <= 0) {
    if (e < -10) return (uint16_t)sign;
    man |= 0x800000;
    uint32_t shift = (uint32_t)(14 - e);
    uint32_t half = man >> shift, rem = man & ((1u << shift) - 1), mid = 1u << (shift - 1);
    if (rem > mid || (rem == mid && (half & 1))) half++;
    return (uint16_t)(sign | half);
  }
  uint32_t h = sign | ((uint32_t)e << 10) | (man >> 13);
  uint32_t rem = man & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (h & 1))) h++;
  return (uint16_t)h;
}

float kn_bf16_to_f32(uint16_t h) {
  uint32_t bits = (uint32_t)h << 16;
  float f;
  memcpy(&f, &bits, 4);
  return f;
}

uint16_t kn_f32_to_bf16(float f) {
  uint32_t x;
  memcpy(&x, &f, 4);
  if (isnan(f)) return (uint16_t)((x >> 16) | 0x40);
  x += 0x7fff + ((x >> 16) & 1);
  return (uint16_t)(x >> 16);
}

double kn_tensor_get_f64(const kn_tensor *t, int64_t i) {
  const void *p = t->data;
  switch (t->dtype) {
  case KN_F32: return ((const float *)p)[i];
  case KN_F64: return ((const double *)p)[i];
  case KN_F16: return kn_f16_to_f32(((const uint16_t *)p)[i]);
  case KN_BF16: return kn_bf16_to_f32(((const uint16_t *)p)[i]);
  case KN_I8: return ((const int8_t *)p)[i];
  case KN_U8: return ((const uint8_t *)p)[i];
  case KN_BOOL: return ((const uint8_t *)p)[i] != 0;
  case KN_I16: return ((const int16_t *)p)[i];
  case KN_U16: return ((const uint16_t *)p)[i];
  case KN_I32: return ((const int32_t *)p)[i];
  case KN_U32: return ((const uint32_t *)p)[i];
  case KN_I64: return (double)((const int64_t *)p)[i];
  case KN_U64: return (double)((const uint64_t *)p)[i];
  default: return 0;
  }
}

int64_t kn_tensor_get_i64(const kn_tensor *t, int64_t i) {
  switch (t->dtype) {
  case KN_I64: return ((const int64_t *)t->data)[i];
  case KN_I32: return ((const int32_t *)t->data)[i];
  case KN_U64: return (int64_t)((const uint64_t *)t->data)[i];
  default: {
    double d = kn_tensor_get_f64(t, i);
    if (d != d) return 0;
    if (d >= 9.2e18) return INT64_MAX;
    if (d <= -9.2e18) return INT64_MIN;
    return (int64_t)d;
  }
  }
}

void kn_tensor_set_f64(kn_tensor *t, int64_t i, double v) {
  void *p = t->data;
  switch (t->dtype) {
  case KN_F32: ((float *)p)[i] = (float)v; break;
  case KN_F64: ((double *)p)[i] = v; break;
  case KN_F16: ((uint16_t *)p)[i] = kn_f32_to_f16((float)v); break;
  case KN_BF16: ((uint16_t *)p)[i] = kn_f32_to_bf16((float)v); break;
  case KN_I8: ((int8_t *)p)[i] = (int8_t)v; break;
  case KN_U8: ((uint8_t *)p)[i] = (uint8_t)v; break;
  case KN_BOOL: ((uint8_t *)p)[i] = v != 0; break;
  case KN_I16: ((int16_t *)p)[i] = (int16_t)v; break;
  case KN_U16: ((uint16_t *)p)[i] = (uint16_t)v; break;
  case KN_I32: ((int32_t *)p)[i] = (int32_t)v; break;
  case KN_U32: ((uint32_t *)p)[i] = (uint32_t)v; break;
  case KN_I64: ((int64_t *)p)[i] = (int64_t)v; break;
  case KN_U64: ((uint64_t *)p)[i] = (uint64_t)v; break;
  default: break;
  }
}
