/* elementwise.c: kernels of the elementwise family (see k_elementwise.h).
 * Each dtype gets its kernels from one macro body so the float, integer and
 * bool variants cannot drift apart. Inside a kernel the op switch sits outside
 * the loop: at run time that is one dispatch per call, and when the JIT
 * inlines a call with a constant op only the one loop survives.
 * Integer arithmetic is done in uint64_t and truncated, which gives the
 * wrap-around results ONNX runtimes produce without signed-overflow UB; integer
 * division and modulo by zero give 0 instead of trapping, because kernels must
 * not crash on user data. */
#include "k_elementwise.h"

/* one loop per op case; v is the input element, kk_T the element type */
#define KK_MAP(expr)                                                                               \
  for (int64_t i = 0; i < n; i++) {                                                                \
    const kk_T v = x[i];                                                                           \
    y[i] = (kk_T)(expr);                                                                           \
  }                                                                                                \
  break

/* ---- float unary maps; S is the math builtin suffix (f or empty) ---- */
#define KK_UNARY_FLOAT(sfx, T, S)                                                                  \
  void kk_elementwise_unary_##sfx(int op, int64_t n, const T *x, T *y, double p0, double p1,       \
                                  double p2) {                                                     \
    typedef T kk_T;                                                                                \
    const T a = (T)p0, b = (T)p1, g = (T)p2;                                                       \
    const T one = 1, zero = 0, half = (T)0.5;                                                      \
    switch (op) {                                                                                  \
    case KK_EW_ABS: KK_MAP(__builtin_fabs##S(v));                                                  \
    case KK_EW_NEG: KK_MAP(-v);                                                                    \
    case KK_EW_RECIPROCAL: KK_MAP(one / v);                                                        \
    case KK_EW_FLOOR: KK_MAP(__builtin_floor##S(v));                                               \
    case KK_EW_CEIL: KK_MAP(__builtin_ceil##S(v));                                                 \
    /* rint rounds half to even in the default rounding mode, as ONNX asks */                     \
    case KK_EW_ROUND: KK_MAP(__builtin_rint##S(v));                                                \
    case KK_EW_SIGN: KK_MAP(v > zero ? one : v < zero ? -one : v);                                 \
    case KK_EW_SQRT: KK_MAP(__builtin_sqrt##S(v));                                                 \
    case KK_EW_EXP: KK_MAP(__builtin_exp##S(v));                                                   \
    case KK_EW_LOG: KK_MAP(__builtin_log##S(v));                                                   \
    case KK_EW_ERF: KK_MAP(__builtin_erf##S(v));                                                   \
    case KK_EW_TANH: KK_MAP(__builtin_tanh##S(v));                                                 \
    /* both branches only exponentiate a non-positive number: no overflow */                      \
    case KK_EW_SIGMOID:                                                                            \
      KK_MAP(v >= zero ? one / (one + __builtin_exp##S(-v))                                        \
                       : __builtin_exp##S(v) / (one + __builtin_exp##S(v)));                       \
    case KK_EW_RELU: KK_MAP(v < zero ? zero : v);                                                  \
    case KK_EW_SIN: KK_MAP(__builtin_sin##S(v));                                                   \
    case KK_EW_COS: KK_MAP(__builtin_cos##S(v));                                                   \
    case KK_EW_TAN: KK_MAP(__builtin_tan##S(v));                                                   \
    case KK_EW_ASIN: KK_MAP(__builtin_asin##S(v));                                                 \
    case KK_EW_ACOS: KK_MAP(__builtin_acos##S(v));                                                 \
    case KK_EW_ATAN: KK_MAP(__builtin_atan##S(v));                                                 \
    case KK_EW_SINH: KK_MAP(__builtin_sinh##S(v));                                                 \
    case KK_EW_COSH: KK_MAP(__builtin_cosh##S(v));                                                 \
    case KK_EW_ASINH: KK_MAP(__builtin_asinh##S(v));                                               \
    case KK_EW_ACOSH: KK_MAP(__builtin_acosh##S(v));                                               \
    case KK_EW_ATANH: KK_MAP(__builtin_atanh##S(v));                                               \
    case KK_EW_SOFTSIGN: KK_MAP(v / (one + __builtin_fabs##S(v)));                                 \
    /* log(1+e^v) without overflow: v + log1p(e^-v) for large v */                                 \
    case KK_EW_SOFTPLUS:                                                                           \
      KK_MAP(v > zero ? v + __builtin_log1p##S(__builtin_exp##S(-v))                               \
                      : __builtin_log1p##S(__builtin_exp##S(v)));                                  \
    case KK_EW_NOT: KK_MAP(v == zero ? one : zero);                                                \
    case KK_EW_LEAKYRELU: KK_MAP(v < zero ? a * v : v);                                            \
    case KK_EW_ELU: KK_MAP(v < zero ? a * __builtin_expm1##S(v) : v);                              \
    case KK_EW_SELU: KK_MAP(v <= zero ? g * a * __builtin_expm1##S(v) : g * v);                    \
    case KK_EW_CELU: KK_MAP(v < zero ? a * __builtin_expm1##S(v / a) : v);                         \
    case KK_EW_HARDSIGMOID:                                                                        \
      KK_MAP(__builtin_fmax##S(zero, __builtin_fmin##S(one, a * v + b)));                          \
    case KK_EW_HARDSWISH:                                                                          \
      KK_MAP(v * __builtin_fmax##S(zero, __builtin_fmin##S(one, v / (T)6 + half)));                \
    case KK_EW_THRESHRELU: KK_MAP(v > a ? v : zero);                                               \
    case KK_EW_SHRINK: KK_MAP(v < -a ? v + b : v > a ? v - b : zero);                              \
    case KK_EW_GELU: KK_MAP(half * v * (one + __builtin_erf##S(v * (T)0.70710678118654752440)));   \
    case KK_EW_GELU_TANH:                                                                          \
      KK_MAP(half * v *                                                                            \
             (one + __builtin_tanh##S((T)0.79788456080286535588 * (v + (T)0.044715 * v * v * v))));  \
    default: break;                                                                                \
    }                                                                                              \
  }                                                                                                \
  void kk_elementwise_classify_##sfx(int op, int64_t n, const T *x, uint8_t *y, int detect_pos,     \
                                     int detect_neg) {                                             \
    const T inf = (T)__builtin_inf();                                                              \
    if (op == KK_EW_ISNAN)                                                                         \
      for (int64_t i = 0; i < n; i++) y[i] = x[i] != x[i];                                         \
    else                                                                                           \
      for (int64_t i = 0; i < n; i++)                                                              \
        y[i] = (detect_pos && x[i] == inf) || (detect_neg && x[i] == -inf);                        \
  }
KK_EW_FLOAT_TYPES(KK_UNARY_FLOAT)

/* ---- integer unary maps (Not is meant for bool stored as u8) ---- */
#define KK_UNARY_INT(sfx, T, U)                                                                    \
  void kk_elementwise_unary_##sfx(int op, int64_t n, const T *x, T *y) {                           \
    typedef T kk_T;                                                                                \
    const T zero = 0;                                                                              \
    switch (op) {                                                                                  \
    case KK_EW_ABS: KK_MAP(v < zero ? (U)0 - (U)v : (U)v);                                         \
    case KK_EW_NEG: KK_MAP((U)0 - (U)v);                                                           \
    case KK_EW_SIGN: KK_MAP(v > zero ? 1 : v < zero ? -1 : 0);                                     \
    case KK_EW_RELU: KK_MAP(v < zero ? zero : v);                                                  \
    case KK_EW_NOT: KK_MAP(v == zero);                                                             \
    default: KK_MAP(v);                                                                            \
    }                                                                                              \
  }
KK_EW_INT_TYPES(KK_UNARY_INT)

/* ---- binary arithmetic ---- */
/* integer helpers: all inputs widened to 64 bits, so one set serves every width */
static inline int64_t kk_idiv(int64_t a, int64_t b) {
  return b == 0 ? 0 : b == -1 ? (int64_t)(0 - (uint64_t)a) : a / b;
}
static inline int64_t kk_ifmod(int64_t a, int64_t b) { return b == 0 || b == -1 ? 0 : a % b; }
static inline int64_t kk_imod(int64_t a, int64_t b) {
  int64_t r = kk_ifmod(a, b);
  return r != 0 && ((r < 0) != (b < 0)) ? r + b : r;
}
static inline uint64_t kk_udiv(uint64_t a, uint64_t b) { return b ? a / b : 0; }
static inline uint64_t kk_umod(uint64_t a, uint64_t b) { return b ? a % b : 0; }
/* exponentiation by squaring; negative exponents truncate toward zero like 1/x^-e */
static inline uint64_t kk_ipow(int64_t base, int64_t e, int is_signed) {
  if (e < 0 && is_signed) return base == 1 ? 1 : base == -1 ? ((e & 1) ? (uint64_t)-1 : 1) : 0;
  uint64_t r = 1, b = (uint64_t)base, ue = (uint64_t)e;
  while (ue) {
    if (ue & 1) r *= b;
    b *= b;
    ue >>= 1;
  }
  return r;
}
static inline uint64_t kk_shl(uint64_t a, uint64_t s, int bits) { return s >= (uint64_t)bits ? 0 : a << s; }
static inline uint64_t kk_shr(uint64_t a, uint64_t s, int bits) { return s >= (uint64_t)bits ? 0 : a >> s; }

/* the strided driver shared by binary and predicate kernels: innermost dim
 * runs the flat loop, outer dims advance an odometer of input offsets */
#define KK_STRIDED_DRIVER(flat, rank, dims, a, sa, b, sb, y)                                       \
  do {                                                                                             \
    if ((rank) == 0) {                                                                             \
      flat(op, 1, a, 0, b, 0, y);                                                                  \
      return;                                                                                      \
    }                                                                                              \
    const int last = (rank) - 1;                                                                   \
    const int64_t inner = (dims)[last];                                                            \
    int64_t outer = 1, idx[KK_MAX_RANK] = {0}, oa = 0, ob = 0;                                     \
    for (int d = 0; d < last; d++) outer *= (dims)[d];                                             \
    for (int64_t o = 0; o < outer; o++) {                                                          \
      flat(op, inner, (a) + oa, (sa)[last], (b) + ob, (sb)[last], (y) + o * inner);                \
      for (int d = last - 1; d >= 0; --d) {                                                        \
        oa += (sa)[d], ob += (sb)[d];                                                              \
        if (++idx[d] < (dims)[d]) break;                                                           \
        oa -= (sa)[d] * (dims)[d], ob -= (sb)[d] * (dims)[d];                                      \
        idx[d] = 0;                                                                                \
      }                                                                                            \
    }                                                                                              \
  } while (0)

/* flat binary loop: u, w are the operands. The unit-stride and scalar-b
 * cases get their own loops so the host compiler vectorizes them; with
 * constant strides the JIT folds the choice away. */
#define KK_ZIP_LOOP(ia, ib, expr)                                                                  \
  for (int64_t i = 0; i < n; i++) {                                                                \
    const kk_T u = a[ia], w = b[ib];                                                               \
    y[i] = (kk_T)(expr);                                                                           \
  }
#define KK_ZIP(expr)                                                                               \
  if (as == 1 && bs == 1) KK_ZIP_LOOP(i, i, expr)                                                  \
  else if (as == 1 && bs == 0) KK_ZIP_LOOP(i, 0, expr)                                             \
  else KK_ZIP_LOOP(i * as, i * bs, expr)                                                           \
  break

#define KK_BINARY_FLOAT(sfx, T, S)                                                                 \
  void kk_elementwise_binary_flat_##sfx(int op, int64_t n, const T *a, int64_t as, const T *b,     \
                                        int64_t bs, T *y) {                                        \
    typedef T kk_T;                                                                                \
    switch (op) {                                                                                  \
    case KK_EW_ADD: KK_ZIP(u + w);                                                                 \
    case KK_EW_SUB: KK_ZIP(u - w);                                                                 \
    case KK_EW_MUL: KK_ZIP(u * w);                                                                 \
    case KK_EW_DIV: KK_ZIP(u / w);                                                                 \
    case KK_EW_POW: KK_ZIP(__builtin_pow##S(u, w));                                                \
    case KK_EW_FMOD: KK_ZIP(__builtin_fmod##S(u, w));                                              \
    case KK_EW_MOD: {                                                                              \
      for (int64_t i = 0; i < n; i++) {                                                            \
        const T u = a[i * as], w = b[i * bs], r = __builtin_fmod##S(u, w);                         \
        y[i] = (r != 0 && ((r < 0) != (w < 0))) ? r + w : r;                                       \
      }                                                                                            \
      break;                                                                                       \
    }                                                                                              \
    case KK_EW_PRELU: KK_ZIP(u < 0 ? u * w : u);                                                   \
    /* NaN in either operand propagates, as numpy's minimum/maximum do */                         \
    case KK_EW_MIN: KK_ZIP(u != u || u < w ? u : w);                                               \
    case KK_EW_MAX: KK_ZIP(u != u || u > w ? u : w);                                               \
    default: break;                                                                                \
    }                                                                                              \
  }
KK_EW_FLOAT_TYPES(KK_BINARY_FLOAT)

#define KK_BINARY_INT(sfx, T, U)                                                                   \
  void kk_elementwise_binary_flat_##sfx(int op, int64_t n, const T *a, int64_t as, const T *b,     \
                                        int64_t bs, T *y) {                                        \
    typedef T kk_T;                                                                                \
    const T zero = 0;                                                                              \
    const int sgn = (T)(zero - 1) < zero, bits = (int)sizeof(T) * 8;                               \
    switch (op) {                                                                                  \
    case KK_EW_ADD: KK_ZIP((uint64_t)u + (uint64_t)w);                                             \
    case KK_EW_SUB: KK_ZIP((uint64_t)u - (uint64_t)w);                                             \
    case KK_EW_MUL: KK_ZIP((uint64_t)u * (uint64_t)w);                                             \
    case KK_EW_DIV: KK_ZIP(sgn ? (uint64_t)kk_idiv(u, w) : kk_udiv(u, w));                          \
    case KK_EW_POW: KK_ZIP(kk_ipow((int64_t)u, (int64_t)w, sgn));                                   \
    case KK_EW_MOD: KK_ZIP(sgn ? (uint64_t)kk_imod(u, w) : kk_umod(u, w));                          \
    case KK_EW_FMOD: KK_ZIP(sgn ? (uint64_t)kk_ifmod(u, w) : kk_umod(u, w));                        \
    case KK_EW_PRELU: KK_ZIP(u < zero ? (uint64_t)u * (uint64_t)w : (uint64_t)u);                  \
    case KK_EW_MIN: KK_ZIP(u < w ? u : w);                                                         \
    case KK_EW_MAX: KK_ZIP(u > w ? u : w);                                                         \
    case KK_EW_SHL: KK_ZIP(kk_shl((U)u, (U)w, bits));                                              \
    case KK_EW_SHR: KK_ZIP(kk_shr((U)u, (U)w, bits));                                              \
    default: break;                                                                                \
    }                                                                                              \
  }
KK_EW_INT_TYPES(KK_BINARY_INT)

/* broadcasting binary, predicates, clip: identical for every dtype */
#define KK_PRED_FLAT(expr)                                                                         \
  for (int64_t i = 0; i < n; i++) {                                                                \
    const kk_T u = a[i * as], w = b[i * bs];                                                       \
    y[i] = (uint8_t)(expr);                                                                        \
  }                                                                                                \
  break

#define KK_GENERIC(sfx, T, X_)                                                                     \
  void kk_elementwise_binary_##sfx(int op, int rank, const int64_t *dims, const T *a,              \
                                   const int64_t *sa, const T *b, const int64_t *sb, T *y) {        \
    KK_STRIDED_DRIVER(kk_elementwise_binary_flat_##sfx, rank, dims, a, sa, b, sb, y);              \
  }                                                                                                \
  static void kk_pred_flat_##sfx(int op, int64_t n, const T *a, int64_t as, const T *b,            \
                                 int64_t bs, uint8_t *y) {                                         \
    typedef T kk_T;                                                                                \
    switch (op) {                                                                                  \
    case KK_EW_EQ: KK_PRED_FLAT(u == w);                                                           \
    case KK_EW_LT: KK_PRED_FLAT(u < w);                                                            \
    case KK_EW_GT: KK_PRED_FLAT(u > w);                                                            \
    case KK_EW_LE: KK_PRED_FLAT(u <= w);                                                           \
    case KK_EW_GE: KK_PRED_FLAT(u >= w);                                                           \
    case KK_EW_AND: KK_PRED_FLAT((u != 0) & (w != 0));                                             \
    case KK_EW_OR: KK_PRED_FLAT((u != 0) | (w != 0));                                              \
    case KK_EW_XOR: KK_PRED_FLAT((u != 0) ^ (w != 0));                                             \
    default: break;                                                                                \
    }                                                                                              \
  }                                                                                                \
  void kk_elementwise_pred_##sfx(int op, int rank, const int64_t *dims, const T *a,                \
                                 const int64_t *sa, const T *b, const int64_t *sb, uint8_t *y) {    \
    KK_STRIDED_DRIVER(kk_pred_flat_##sfx, rank, dims, a, sa, b, sb, y);                            \
  }                                                                                                \
  void kk_elementwise_clip_##sfx(int64_t n, const T *x, T *y, T lo, T hi) {                        \
    for (int64_t i = 0; i < n; i++) {                                                              \
      const T v = x[i], t = v < lo ? lo : v; /* lo > hi gives hi, as ONNX says */                  \
      y[i] = t > hi ? hi : t;                                                                      \
    }                                                                                              \
  }
KK_EW_FLOAT_TYPES(KK_GENERIC)
KK_EW_INT_TYPES(KK_GENERIC)

/* ---- Where ---- */
#define KK_WHERE(bits, T)                                                                          \
  void kk_elementwise_where_##bits(int rank, const int64_t *dims, const uint8_t *cond,              \
                                   const int64_t *sc, const T *x, const int64_t *sx, const T *z,    \
                                   const int64_t *sz, T *y) {                                      \
    int64_t n = 1, idx[KK_MAX_RANK] = {0}, oc = 0, ox = 0, oz = 0;                                 \
    for (int d = 0; d < rank; d++) n *= dims[d];                                                   \
    for (int64_t i = 0; i < n; i++) {                                                              \
      y[i] = cond[oc] ? x[ox] : z[oz];                                                             \
      for (int d = rank - 1; d >= 0; --d) {                                                        \
        oc += sc[d], ox += sx[d], oz += sz[d];                                                     \
        if (++idx[d] < dims[d]) break;                                                             \
        oc -= sc[d] * dims[d], ox -= sx[d] * dims[d], oz -= sz[d] * dims[d];                       \
        idx[d] = 0;                                                                                \
      }                                                                                            \
    }                                                                                              \
  }
KK_EW_SIZED_TYPES(KK_WHERE)

/* ---- half precision ---- */
typedef union {
  float f;
  uint32_t u;
} kk_f32bits;
typedef union {
  double f;
  uint64_t u;
} kk_f64bits;

static inline float kk_f16_decode(uint16_t h) {
  const uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1f, man = h & 0x3ff;
  kk_f32bits r;
  if (exp == 0) { /* zero or subnormal: man * 2^-24 is exact in float */
    r.f = (float)man * 5.9604644775390625e-8f;
    r.u |= sign;
  } else if (exp == 31) r.u = sign | 0x7f800000u | (man << 13);
  else r.u = sign | ((exp + 112) << 23) | (man << 13);
  return r.f;
}

/* rounds from double directly so f64 -> f16 is rounded once, like numpy */
static inline uint16_t kk_f16_encode(double d) {
  kk_f64bits x = {.f = d};
  const uint16_t sign = (uint16_t)((x.u >> 48) & 0x8000);
  const int exp = (int)((x.u >> 52) & 0x7ff);
  const uint64_t man = x.u & ((1ull << 52) - 1);
  if (exp == 0x7ff) return (uint16_t)(sign | 0x7c00 | (man ? 0x200 : 0));
  const int e = exp - 1023 + 15;
  if (e >= 31) return (uint16_t)(sign | 0x7c00);
  if (e <= 0) { /* f16 subnormal: m = full >> (43 - e), rounded half to even */
    if (e < -10) return sign;
    const uint64_t full = man | (1ull << 52);
    const int shift = 43 - e;
    uint64_t m = full >> shift, rem = full & ((1ull << shift) - 1), mid = 1ull << (shift - 1);
    if (rem > mid || (rem == mid && (m & 1))) m++;
    return (uint16_t)(sign | m);
  }
  uint32_t h = (uint32_t)sign | ((uint32_t)e << 10) | (uint32_t)(man >> 42);
  const uint64_t rem = man & ((1ull << 42) - 1), mid = 1ull << 41;
  if (rem > mid || (rem == mid && (h & 1))) h++; /* a carry may roll into inf: correct */
  return (uint16_t)h;
}

static inline float kk_bf16_decode(uint16_t h) {
  kk_f32bits r = {.u = (uint32_t)h << 16};
  return r.f;
}

static inline uint16_t kk_bf16_encode(float f) {
  kk_f32bits x = {.f = f};
  if (f != f) return (uint16_t)((x.u >> 16) | 0x40); /* keep NaN a NaN */
  x.u += 0x7fff + ((x.u >> 16) & 1);
  return (uint16_t)(x.u >> 16);
}

void kk_elementwise_f16_to_f32(int64_t n, const uint16_t *x, float *y) {
  for (int64_t i = 0; i < n; i++) y[i] = kk_f16_decode(x[i]);
}
void kk_elementwise_f32_to_f16(int64_t n, const float *x, uint16_t *y) {
  for (int64_t i = 0; i < n; i++) y[i] = kk_f16_encode(x[i]);
}
void kk_elementwise_bf16_to_f32(int64_t n, const uint16_t *x, float *y) {
  for (int64_t i = 0; i < n; i++) y[i] = kk_bf16_decode(x[i]);
}
void kk_elementwise_f32_to_bf16(int64_t n, const float *x, uint16_t *y) {
  for (int64_t i = 0; i < n; i++) y[i] = kk_bf16_encode(x[i]);
}

/* ---- Cast ---- */
/* ONNX dtype numbers (kernels do not include kiln.h) */
enum {
  KK_F32 = 1, KK_U8, KK_I8, KK_U16, KK_I16, KK_I32, KK_I64,
  KK_BOOL = 9, KK_F16, KK_F64, KK_U32, KK_U64, KK_BF16 = 16
};

static inline int kk_is_float(int dt) { return dt == KK_F32 || dt == KK_F64 || dt == KK_F16 || dt == KK_BF16; }

static inline double kk_load_f64(const void *p, int dt, int64_t i) {
  switch (dt) {
  case KK_F32: return ((const float *)p)[i];
  case KK_F64: return ((const double *)p)[i];
  case KK_F16: return kk_f16_decode(((const uint16_t *)p)[i]);
  case KK_BF16: return kk_bf16_decode(((const uint16_t *)p)[i]);
  default: return 0;
  }
}

/* integers (and bool) load as their 64-bit two's complement pattern */
static inline uint64_t kk_load_bits(const void *p, int dt, int64_t i) {
  switch (dt) {
  case KK_U8: case KK_BOOL: return ((const uint8_t *)p)[i];
  case KK_I8: return (uint64_t)(int64_t)((const int8_t *)p)[i];
  case KK_U16: return ((const uint16_t *)p)[i];
  case KK_I16: return (uint64_t)(int64_t)((const int16_t *)p)[i];
  case KK_U32: return ((const uint32_t *)p)[i];
  case KK_I32: return (uint64_t)(int64_t)((const int32_t *)p)[i];
  case KK_I64: case KK_U64: return ((const uint64_t *)p)[i];
  default: return 0;
  }
}

static inline int kk_is_signed(int dt) { return dt == KK_I8 || dt == KK_I16 || dt == KK_I32 || dt == KK_I64; }

static inline void kk_store_bits(void *p, int dt, int64_t i, uint64_t v) {
  switch (dt) {
  case KK_U8: case KK_I8: ((uint8_t *)p)[i] = (uint8_t)v; break;
  case KK_BOOL: ((uint8_t *)p)[i] = v != 0; break;
  case KK_U16: case KK_I16: ((uint16_t *)p)[i] = (uint16_t)v; break;
  case KK_U32: case KK_I32: ((uint32_t *)p)[i] = (uint32_t)v; break;
  case KK_U64: case KK_I64: ((uint64_t *)p)[i] = v; break;
  default: break;
  }
}

static inline void kk_store_f64(void *p, int dt, int64_t i, double v) {
  switch (dt) {
  case KK_F32: ((float *)p)[i] = (float)v; break;
  case KK_F64: ((double *)p)[i] = v; break;
  case KK_F16: ((uint16_t *)p)[i] = kk_f16_encode(v); break;
  case KK_BF16: ((uint16_t *)p)[i] = kk_bf16_encode((float)v); break;
  case KK_BOOL: ((uint8_t *)p)[i] = v != 0; break;
  default: { /* integer destination: truncate, saturate to 64 bits, then wrap */
    uint64_t bits;
    if (v != v) bits = 0;
    else if (v >= 18446744073709551615.0) bits = ~0ull;
    else if (v >= 9223372036854775807.0) bits = (uint64_t)v;
    else if (v <= -9223372036854775808.0) bits = (uint64_t)INT64_MIN;
    else bits = (uint64_t)(int64_t)v;
    kk_store_bits(p, dt, i, bits);
  }
  }
}

static inline int kk_known(int dt) { return dt >= KK_F32 && dt <= KK_BF16 && dt != 8 && dt != 14 && dt != 15; }

int kk_elementwise_cast(int64_t n, const void *x, int sdt, void *y, int ddt) {
  if (!kk_known(sdt) || !kk_known(ddt)) return -1;
  if (sdt == ddt) {
    const int64_t bytes = n * (sdt == KK_F64 || sdt == KK_I64 || sdt == KK_U64 ? 8
                               : sdt == KK_F32 || sdt == KK_I32 || sdt == KK_U32 ? 4
                               : sdt == KK_U8 || sdt == KK_I8 || sdt == KK_BOOL ? 1 : 2);
    for (int64_t i = 0; i < bytes; i++) ((uint8_t *)y)[i] = ((const uint8_t *)x)[i];
    return 0;
  }
  if (!kk_is_float(sdt) && !kk_is_float(ddt)) { /* integer/bool -> integer/bool: exact */
    for (int64_t i = 0; i < n; i++) kk_store_bits(y, ddt, i, kk_load_bits(x, sdt, i));
  } else if (!kk_is_float(sdt)) { /* integer -> float */
    const int sg = kk_is_signed(sdt);
    for (int64_t i = 0; i < n; i++) {
      const uint64_t b = kk_load_bits(x, sdt, i);
      kk_store_f64(y, ddt, i, sg ? (double)(int64_t)b : (double)b);
    }
  } else if (sdt == KK_F32 && ddt != KK_F64 && kk_is_float(ddt)) {
    /* f32 -> f16/bf16 without a detour (bf16 rounds from the f32 bits) */
    const float *xf = (const float *)x;
    for (int64_t i = 0; i < n; i++) {
      if (ddt == KK_BF16) ((uint16_t *)y)[i] = kk_bf16_encode(xf[i]);
      else kk_store_f64(y, ddt, i, xf[i]);
    }
  } else {
    for (int64_t i = 0; i < n; i++) kk_store_f64(y, ddt, i, kk_load_f64(x, sdt, i));
  }
  return 0;
}
