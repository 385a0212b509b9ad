/* call_util.h: small helpers the kernel-call thunks (call_*.c) share:
 * reading one element of a native numeric dtype as int64 (floats truncate,
 * as ONNX's casts) and the element size of a dtype code. */
#ifndef KILN_CALL_UTIL_H
#define KILN_CALL_UTIL_H

#include "k_call.h"

static inline int64_t kk_get_i64(const void *p, int dt, int64_t i) {
  switch (dt) {
  case KK_F32: return (int64_t)((const float *)p)[i];
  case KK_F64: return (int64_t)((const double *)p)[i];
  case KK_I8: return ((const int8_t *)p)[i];
  case KK_U8: case KK_BOOL: return ((const uint8_t *)p)[i];
  case KK_I16: return ((const int16_t *)p)[i];
  case KK_U16: return ((const uint16_t *)p)[i];
  case KK_I32: return ((const int32_t *)p)[i];
  case KK_U32: return ((const uint32_t *)p)[i];
  case KK_I64: return ((const int64_t *)p)[i];
  case KK_U64: return (int64_t)((const uint64_t *)p)[i];
  default: return 0;
  }
}

static inline size_t kk_dtype_size(int dt) {
  switch (dt) {
  case KK_I8: case KK_U8: case KK_BOOL: return 1;
  case KK_I16: case KK_U16: case KK_F16: case KK_BF16: return 2;
  case KK_F32: case KK_I32: case KK_U32: return 4;
  case KK_F64: case KK_I64: case KK_U64: return 8;
  default: return 0;
  }
}

#endif
