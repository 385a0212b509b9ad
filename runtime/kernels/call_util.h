/* call_util.h: small helpers the kernel-call thunks (call_*.c) share:
 * reading one element of a native numeric dtype as int64 (floats truncate,
 * as ONNX's casts), the element size of a dtype code, and the dispatch of a
 * call over the float or numeric dtypes. */
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

/* CALL(T, S) for the compute dtype dt: floats only, or every numeric type */
#define KK_FLOAT_DISPATCH(dt, CALL, FAIL)                                                          \
  switch (dt) {                                                                                    \
  case KK_F32: CALL(float, f32); break;                                                            \
  case KK_F64: CALL(double, f64); break;                                                           \
  default: FAIL;                                                                                   \
  }
#define KK_NUMERIC_DISPATCH(dt, CALL, FAIL)                                                        \
  switch (dt) {                                                                                    \
  case KK_F32: CALL(float, f32); break;                                                            \
  case KK_F64: CALL(double, f64); break;                                                           \
  case KK_I8: CALL(int8_t, i8); break;                                                             \
  case KK_I16: CALL(int16_t, i16); break;                                                          \
  case KK_I32: CALL(int32_t, i32); break;                                                          \
  case KK_I64: CALL(int64_t, i64); break;                                                          \
  case KK_U8: CALL(uint8_t, u8); break;                                                            \
  case KK_U16: CALL(uint16_t, u16); break;                                                         \
  case KK_U32: CALL(uint32_t, u32); break;                                                         \
  case KK_U64: CALL(uint64_t, u64); break;                                                         \
  default: FAIL;                                                                                   \
  }

#endif
