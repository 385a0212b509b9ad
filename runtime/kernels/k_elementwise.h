/* k_elementwise.h: the elementwise kernel family (unary maps, broadcasting
 * binary arithmetic, predicates, select, casts).
 * One kernel per dtype takes the operation as an `int op` argument instead of
 * one function per (op, dtype) pair: the reference executor dispatches at run
 * time, and the JIT inlines the call with a constant op so the switch folds
 * away and the loop that remains is the single-op loop it would have written.
 * Broadcasting kernels take per-input element strides (0 on broadcast dims),
 * computed by the caller after merging contiguous dims. */
#ifndef KILN_K_ELEMENTWISE_H
#define KILN_K_ELEMENTWISE_H

#include "kernels.h"

/* unary maps: y[i] = f(x[i]) with up to three float parameters */
enum kk_ew_unary {
  KK_EW_ABS, KK_EW_NEG, KK_EW_RECIPROCAL, KK_EW_FLOOR, KK_EW_CEIL, KK_EW_ROUND, KK_EW_SIGN,
  KK_EW_SQRT, KK_EW_EXP, KK_EW_LOG, KK_EW_ERF, KK_EW_TANH, KK_EW_SIGMOID, KK_EW_RELU,
  KK_EW_SIN, KK_EW_COS, KK_EW_TAN, KK_EW_ASIN, KK_EW_ACOS, KK_EW_ATAN, KK_EW_SINH, KK_EW_COSH,
  KK_EW_ASINH, KK_EW_ACOSH, KK_EW_ATANH, KK_EW_SOFTSIGN, KK_EW_SOFTPLUS, KK_EW_NOT,
  KK_EW_LEAKYRELU,   /* alpha */
  KK_EW_ELU,         /* alpha */
  KK_EW_SELU,        /* alpha, gamma(=p2) */
  KK_EW_CELU,        /* alpha */
  KK_EW_HARDSIGMOID, /* alpha, beta */
  KK_EW_HARDSWISH,
  KK_EW_THRESHRELU,  /* alpha */
  KK_EW_SHRINK,      /* lambd(=alpha), bias(=beta) */
  KK_EW_GELU,
  KK_EW_GELU_TANH,
  KK_EW_UNARY_COUNT
};

/* binary arithmetic: y = a OP b (same dtype in and out) */
enum kk_ew_binary {
  KK_EW_ADD, KK_EW_SUB, KK_EW_MUL, KK_EW_DIV, KK_EW_POW,
  KK_EW_MOD,  /* result takes the divisor's sign (Python %) */
  KK_EW_FMOD, /* result takes the dividend's sign (C fmod / %) */
  KK_EW_PRELU, KK_EW_MIN, KK_EW_MAX,
  KK_EW_SHL, KK_EW_SHR, /* integers only */
  KK_EW_BINARY_COUNT
};

/* predicates: uint8 (bool) y = a OP b */
enum kk_ew_pred {
  KK_EW_EQ, KK_EW_LT, KK_EW_GT, KK_EW_LE, KK_EW_GE,
  KK_EW_AND, KK_EW_OR, KK_EW_XOR, /* on nonzero-ness, meant for bool (u8) */
  KK_EW_PRED_COUNT
};

/* IsNaN / IsInf */
enum kk_ew_class { KK_EW_ISNAN, KK_EW_ISINF };

#define KK_EW_FLOAT_TYPES(X) X(f32, float, f) X(f64, double, )
#define KK_EW_INT_TYPES(X)                                                                         \
  X(i8, int8_t, uint8_t) X(i16, int16_t, uint16_t) X(i32, int32_t, uint32_t)                       \
  X(i64, int64_t, uint64_t) X(u8, uint8_t, uint8_t) X(u16, uint16_t, uint16_t)                     \
  X(u32, uint32_t, uint32_t) X(u64, uint64_t, uint64_t)

/* ---- per-dtype kernels ---- */
#define KK_EW_DECL_FLOAT(sfx, T, S)                                                                \
  void kk_elementwise_unary_##sfx(int op, int64_t n, const T *x, T *y, double p0, double p1,       \
                                  double p2);                                                      \
  void kk_elementwise_classify_##sfx(int op, int64_t n, const T *x, uint8_t *y, int detect_pos,     \
                                     int detect_neg);
KK_EW_FLOAT_TYPES(KK_EW_DECL_FLOAT)
#undef KK_EW_DECL_FLOAT

#define KK_EW_DECL_INT(sfx, T, U)                                                                  \
  void kk_elementwise_unary_##sfx(int op, int64_t n, const T *x, T *y);
KK_EW_INT_TYPES(KK_EW_DECL_INT)
#undef KK_EW_DECL_INT

#define KK_EW_DECL_ANY(sfx, T, S)                                                                  \
  /* contiguous loop: a and b advance by as/bs elements per output (0 = scalar) */                \
  void kk_elementwise_binary_flat_##sfx(int op, int64_t n, const T *a, int64_t as, const T *b,     \
                                        int64_t bs, T *y);                                         \
  /* broadcasting: dims of the output, sa/sb element strides of a/b per dim */                     \
  void kk_elementwise_binary_##sfx(int op, int rank, const int64_t *dims, const T *a,              \
                                   const int64_t *sa, const T *b, const int64_t *sb, T *y);         \
  void kk_elementwise_pred_##sfx(int op, int rank, const int64_t *dims, const T *a,                \
                                 const int64_t *sa, const T *b, const int64_t *sb, uint8_t *y);     \
  void kk_elementwise_clip_##sfx(int64_t n, const T *x, T *y, T lo, T hi);
KK_EW_FLOAT_TYPES(KK_EW_DECL_ANY)
KK_EW_INT_TYPES(KK_EW_DECL_ANY)
#undef KK_EW_DECL_ANY

/* Where by element size (a select moves bits, it never looks at them):
 * y = cond ? x : z, all broadcast with strides sc/sx/sz. */
#define KK_EW_SIZED_TYPES(X) X(8, uint8_t) X(16, uint16_t) X(32, uint32_t) X(64, uint64_t)
#define KK_EW_DECL_WHERE(bits, T)                                                                  \
  void kk_elementwise_where_##bits(int rank, const int64_t *dims, const uint8_t *cond,              \
                                   const int64_t *sc, const T *x, const int64_t *sx, const T *z,    \
                                   const int64_t *sz, T *y);
KK_EW_SIZED_TYPES(KK_EW_DECL_WHERE)
#undef KK_EW_DECL_WHERE

/* Cast between any two numeric dtypes (ONNX numbering: 1 f32, 2 u8, 3 i8,
 * 4 u16, 5 i16, 6 i32, 7 i64, 9 bool, 10 f16, 11 f64, 12 u32, 13 u64, 16 bf16).
 * Integer <- integer wraps; integer <- float truncates toward zero, saturating
 * at int64 and NaN -> 0; bool <- x is x != 0; f16/bf16 round to nearest even.
 * Returns 0, or -1 for a dtype it does not know. */
int kk_elementwise_cast(int64_t n, const void *x, int src_dtype, void *y, int dst_dtype);

/* half-precision widening/narrowing used by adapters that compute in f32 */
void kk_elementwise_f16_to_f32(int64_t n, const uint16_t *x, float *y);
void kk_elementwise_f32_to_f16(int64_t n, const float *x, uint16_t *y);
void kk_elementwise_bf16_to_f32(int64_t n, const uint16_t *x, float *y);
void kk_elementwise_f32_to_bf16(int64_t n, const float *x, uint16_t *y);

#endif
