/* reduce.c: REDUCE family kernels (see k_reduce.h for the calling conventions).
 * Every Reduce* kind is one macro body (KKR_DEF_REDUCE) parameterized by an
 * accumulator type and three small macros: STEP folds one element in, MERGE
 * combines two partial accumulators, FIN turns the accumulator into the
 * output. That body has the two loop shapes that matter: inner == 1 walks a
 * contiguous row with KKR_LANES independent accumulators (no loop-carried
 * dependence, so it vectorizes), inner > 1 keeps a block of accumulators for
 * KKR_BLOCK adjacent outputs and streams whole rows of x through it. The same
 * body is instantiated per dtype and kind, and a per-dtype switch on `kind`
 * selects it (folded away when a JIT inlines a constant kind).
 * Freestanding: stdint/stddef only, math through __builtin_*. */
#include "k_reduce.h"

#define KKR_LANES 8
#define KKR_BLOCK 1024
#define KKR_CHUNK 16

/* ---- per-dtype helpers ---- */
static inline float kkr_abs_f32(float v) { return __builtin_fabsf(v); }
static inline double kkr_abs_f64(double v) { return __builtin_fabs(v); }
static inline float kkr_sqrt_f32(float v) { return __builtin_sqrtf(v); }
static inline double kkr_sqrt_f64(double v) { return __builtin_sqrt(v); }
static inline float kkr_log_f32(float v) { return __builtin_logf(v); }
static inline double kkr_log_f64(double v) { return __builtin_log(v); }
static inline float kkr_exp_f32(float v) { return __builtin_expf(v); }
static inline double kkr_exp_f64(double v) { return __builtin_exp(v); }

/* NaN tests that compile to nothing for integers (and avoid self-compare warnings) */
static inline int kkr_isnan_f32(float v) { return v != v; }
static inline int kkr_isnan_f64(double v) { return v != v; }
#define KKR_NO_NAN(T, DT)                                                                          \
  static inline int kkr_isnan_##DT(T v) {                                                          \
    (void)v;                                                                                       \
    return 0;                                                                                      \
  }
KKR_NO_NAN(int8_t, i8)
KKR_NO_NAN(int16_t, i16)
KKR_NO_NAN(int32_t, i32)
KKR_NO_NAN(int64_t, i64)
KKR_NO_NAN(uint8_t, u8)
KKR_NO_NAN(uint16_t, u16)
KKR_NO_NAN(uint32_t, u32)
KKR_NO_NAN(uint64_t, u64)

/* Converting an out-of-range double to an integer is undefined behaviour in
 * C; the log/sqrt kinds on integers go through this clamp instead. */
static inline int64_t kkr_d2i(double v) {
  if (v != v) return 0;
  if (v >= 9223372036854775807.0) return INT64_MAX;
  if (v <= -9223372036854775808.0) return INT64_MIN;
  return (int64_t)v;
}

/* Integer adds wrap (two's complement) through uint64 instead of overflowing. */
static inline float kkr_add_f32(float a, float b) { return a + b; }
static inline double kkr_add_f64(double a, double b) { return a + b; }
#define KKR_WRAP_ADD(T, DT)                                                                        \
  static inline T kkr_add_##DT(T a, T b) { return (T)((uint64_t)a + (uint64_t)b); }
KKR_WRAP_ADD(int8_t, i8)
KKR_WRAP_ADD(int16_t, i16)
KKR_WRAP_ADD(int32_t, i32)
KKR_WRAP_ADD(int64_t, i64)
KKR_WRAP_ADD(uint8_t, u8)
KKR_WRAP_ADD(uint16_t, u16)
KKR_WRAP_ADD(uint32_t, u32)
KKR_WRAP_ADD(uint64_t, u64)

/* identities of max / min */
#define KKR_LO_f32 (-__builtin_inff())
#define KKR_HI_f32 (__builtin_inff())
#define KKR_LO_f64 (-__builtin_inf())
#define KKR_HI_f64 (__builtin_inf())
#define KKR_LO_i8 INT8_MIN
#define KKR_HI_i8 INT8_MAX
#define KKR_LO_i16 INT16_MIN
#define KKR_HI_i16 INT16_MAX
#define KKR_LO_i32 INT32_MIN
#define KKR_HI_i32 INT32_MAX
#define KKR_LO_i64 INT64_MIN
#define KKR_HI_i64 INT64_MAX
#define KKR_LO_u8 0
#define KKR_HI_u8 UINT8_MAX
#define KKR_LO_u16 0
#define KKR_HI_u16 UINT16_MAX
#define KKR_LO_u32 0
#define KKR_HI_u32 UINT32_MAX
#define KKR_LO_u64 0
#define KKR_HI_u64 UINT64_MAX

/* ---- STEP(DT, acc, v) / FIN(DT, T, acc, n) building blocks ----
 * F: float dtypes (accumulate in T); I: any integer (accumulate in uint64,
 * wrapping); S / U: signed / unsigned specifics. Max/min accumulate in T and
 * propagate NaN like numpy's maximum.reduce. */
#define KKR_F_ADD(DT, a, v) ((a) += (v))
#define KKR_F_ADDABS(DT, a, v) ((a) += kkr_abs_##DT(v))
#define KKR_F_ADDSQ(DT, a, v) ((a) += (v) * (v))
#define KKR_F_MUL(DT, a, v) ((a) *= (v))
#define KKR_F_MAX(DT, a, v) ((a) = (kkr_isnan_##DT(a) || (v) < (a)) ? (a) : (v))
#define KKR_F_MIN(DT, a, v) ((a) = (kkr_isnan_##DT(a) || (v) > (a)) ? (a) : (v))
#define KKR_F_ID(DT, T, a, n) ((T)(a))
#define KKR_F_DIV(DT, T, a, n) ((T)((a) / (T)(n)))
#define KKR_F_SQRT(DT, T, a, n) kkr_sqrt_##DT(a)
#define KKR_F_LOG(DT, T, a, n) kkr_log_##DT(a)

#define KKR_I_ADD(DT, a, v) ((a) += (uint64_t)(v))
#define KKR_I_ADDSQ(DT, a, v) ((a) += (uint64_t)(v) * (uint64_t)(v))
#define KKR_I_MUL(DT, a, v) ((a) *= (uint64_t)(v))
#define KKR_I_MAX(DT, a, v) ((a) = (v) > (a) ? (v) : (a))
#define KKR_I_MIN(DT, a, v) ((a) = (v) < (a) ? (v) : (a))
#define KKR_S_ADDABS(DT, a, v) ((a) += (v) < 0 ? (uint64_t)0 - (uint64_t)(v) : (uint64_t)(v))
#define KKR_I_ID(DT, T, a, n) ((T)(a))
#define KKR_I_SQRT(DT, T, a, n) ((T)kkr_d2i(__builtin_sqrt((double)(a))))
#define KKR_S_DIV(DT, T, a, n) ((T)((n) > 0 ? (int64_t)(a) / (n) : 0))
#define KKR_U_DIV(DT, T, a, n) ((T)((n) > 0 ? (a) / (uint64_t)(n) : 0))
#define KKR_S_LOG(DT, T, a, n) ((T)kkr_d2i(__builtin_log((double)(int64_t)(a))))
#define KKR_U_LOG(DT, T, a, n) ((T)kkr_d2i(__builtin_log((double)(a))))

/* ---- the [outer, red, inner] reduction body ---- */
#define KKR_DEF_REDUCE(NAME, T, A, DT, INIT, STEP, MERGE, FIN)                                     \
  static void NAME(const T *restrict x, T *restrict y, int64_t outer, int64_t red,                \
                   int64_t inner) {                                                                \
    if (inner == 1) {                                                                              \
      for (int64_t o = 0; o < outer; o++) {                                                        \
        const T *p = x + o * red;                                                                  \
        A a[KKR_LANES];                                                                            \
        for (int l = 0; l < KKR_LANES; l++) a[l] = INIT;                                           \
        int64_t r = 0;                                                                             \
        for (; r + KKR_LANES <= red; r += KKR_LANES)                                               \
          for (int l = 0; l < KKR_LANES; l++) {                                                    \
            T v = p[r + l]; /* loaded unconditionally: max/min's || must not guard the load */     \
            STEP(DT, a[l], v);                                                                     \
          }                                                                                        \
        A t = INIT; /* a separate tail accumulator keeps a[] in registers */                       \
        for (; r < red; r++) {                                                                     \
          T v = p[r];                                                                              \
          STEP(DT, t, v);                                                                          \
        }                                                                                          \
        for (int l = 1; l < KKR_LANES; l++) MERGE(DT, a[0], a[l]);                                 \
        MERGE(DT, a[0], t);                                                                        \
        y[o] = FIN(DT, T, a[0], red);                                                              \
      }                                                                                            \
      return;                                                                                      \
    }                                                                                              \
    for (int64_t o = 0; o < outer; o++)                                                            \
      for (int64_t i0 = 0; i0 < inner; i0 += KKR_BLOCK) {                                          \
        int64_t nb = inner - i0 < KKR_BLOCK ? inner - i0 : KKR_BLOCK;                              \
        A a[KKR_BLOCK];                                                                            \
        for (int64_t i = 0; i < nb; i++) a[i] = INIT;                                              \
        for (int64_t r = 0; r < red; r++) {                                                        \
          const T *p = x + (o * red + r) * inner + i0;                                             \
          int64_t i = 0;                                                                           \
          /* constant-length chunks vectorize even under gcc -O2's cheap cost model */             \
          for (; i + KKR_CHUNK <= nb; i += KKR_CHUNK)                                              \
            for (int j = 0; j < KKR_CHUNK; j++) {                                                  \
              T v = p[i + j];                                                                      \
              STEP(DT, a[i + j], v);                                                               \
            }                                                                                      \
          for (; i < nb; i++) {                                                                    \
            T v = p[i];                                                                            \
            STEP(DT, a[i], v);                                                                     \
          }                                                                                        \
        }                                                                                          \
        T *q = y + o * inner + i0;                                                                 \
        for (int64_t i = 0; i < nb; i++) q[i] = FIN(DT, T, a[i], red);                             \
      }                                                                                            \
  }

/* log-sum-exp needs the max first (two passes); C is the compute type, TO_T
 * the conversion back. Not a hot kernel, so one simple strided loop. */
#define KKR_TO_FLOAT(T, v) ((T)(v))
#define KKR_TO_INT(T, v) ((T)kkr_d2i(v))
#define KKR_DEF_LSE(T, DT, C, CS, TO_T)                                                            \
  static void kkr_lse_##DT(const T *restrict x, T *restrict y, int64_t outer, int64_t red,        \
                           int64_t inner) {                                                        \
    for (int64_t o = 0; o < outer; o++)                                                            \
      for (int64_t i = 0; i < inner; i++) {                                                        \
        const T *p = x + o * red * inner + i;                                                      \
        C mx = KKR_LO_##CS, res;                                                                   \
        for (int64_t r = 0; r < red; r++) {                                                        \
          C v = (C)p[r * inner];                                                                   \
          if (v > mx || v != v) mx = v;                                                            \
        }                                                                                          \
        if (!(mx > KKR_LO_##CS && mx < KKR_HI_##CS)) {                                             \
          res = mx; /* empty or all -inf: -inf; +inf; NaN */                                       \
        } else {                                                                                   \
          C s = 0;                                                                                 \
          for (int64_t r = 0; r < red; r++) s += kkr_exp_##CS((C)p[r * inner] - mx);              \
          res = kkr_log_##CS(s) + mx;                                                              \
        }                                                                                          \
        y[o * inner + i] = TO_T(T, res);                                                           \
      }                                                                                            \
  }

#define KKR_DEF_DISPATCH(T, DT)                                                                    \
  void kk_reduce_##DT(int kind, const T *x, T *y, int64_t outer, int64_t red, int64_t inner) {     \
    switch (kind) {                                                                                \
    case KK_REDUCE_SUM: kkr_sum_##DT(x, y, outer, red, inner); break;                              \
    case KK_REDUCE_MEAN: kkr_mean_##DT(x, y, outer, red, inner); break;                            \
    case KK_REDUCE_MAX: kkr_max_##DT(x, y, outer, red, inner); break;                              \
    case KK_REDUCE_MIN: kkr_min_##DT(x, y, outer, red, inner); break;                              \
    case KK_REDUCE_PROD: kkr_prod_##DT(x, y, outer, red, inner); break;                            \
    case KK_REDUCE_L1: kkr_l1_##DT(x, y, outer, red, inner); break;                                \
    case KK_REDUCE_L2: kkr_l2_##DT(x, y, outer, red, inner); break;                                \
    case KK_REDUCE_LOGSUM: kkr_logsum_##DT(x, y, outer, red, inner); break;                        \
    case KK_REDUCE_LOGSUMEXP: kkr_lse_##DT(x, y, outer, red, inner); break;                        \
    case KK_REDUCE_SUMSQUARE: kkr_sumsq_##DT(x, y, outer, red, inner); break;                      \
    default: break;                                                                                \
    }                                                                                              \
  }

#define KKR_DEF_FLOAT_REDUCE(T, DT)                                                                \
  KKR_DEF_REDUCE(kkr_sum_##DT, T, T, DT, (T)0, KKR_F_ADD, KKR_F_ADD, KKR_F_ID)                     \
  KKR_DEF_REDUCE(kkr_mean_##DT, T, T, DT, (T)0, KKR_F_ADD, KKR_F_ADD, KKR_F_DIV)                   \
  KKR_DEF_REDUCE(kkr_max_##DT, T, T, DT, KKR_LO_##DT, KKR_F_MAX, KKR_F_MAX, KKR_F_ID)              \
  KKR_DEF_REDUCE(kkr_min_##DT, T, T, DT, KKR_HI_##DT, KKR_F_MIN, KKR_F_MIN, KKR_F_ID)              \
  KKR_DEF_REDUCE(kkr_prod_##DT, T, T, DT, (T)1, KKR_F_MUL, KKR_F_MUL, KKR_F_ID)                    \
  KKR_DEF_REDUCE(kkr_l1_##DT, T, T, DT, (T)0, KKR_F_ADDABS, KKR_F_ADD, KKR_F_ID)                   \
  KKR_DEF_REDUCE(kkr_l2_##DT, T, T, DT, (T)0, KKR_F_ADDSQ, KKR_F_ADD, KKR_F_SQRT)                  \
  KKR_DEF_REDUCE(kkr_logsum_##DT, T, T, DT, (T)0, KKR_F_ADD, KKR_F_ADD, KKR_F_LOG)                 \
  KKR_DEF_REDUCE(kkr_sumsq_##DT, T, T, DT, (T)0, KKR_F_ADDSQ, KKR_F_ADD, KKR_F_ID)                 \
  KKR_DEF_LSE(T, DT, T, DT, KKR_TO_FLOAT)                                                          \
  KKR_DEF_DISPATCH(T, DT)

/* SG = S or U: the signed/unsigned variants of mean, L1 and log */
#define KKR_U_ADDABS KKR_I_ADD
#define KKR_DEF_INT_REDUCE(T, DT, SG)                                                              \
  KKR_DEF_REDUCE(kkr_sum_##DT, T, uint64_t, DT, 0, KKR_I_ADD, KKR_I_ADD, KKR_I_ID)                 \
  KKR_DEF_REDUCE(kkr_mean_##DT, T, uint64_t, DT, 0, KKR_I_ADD, KKR_I_ADD, KKR_##SG##_DIV)          \
  KKR_DEF_REDUCE(kkr_max_##DT, T, T, DT, KKR_LO_##DT, KKR_I_MAX, KKR_I_MAX, KKR_I_ID)              \
  KKR_DEF_REDUCE(kkr_min_##DT, T, T, DT, KKR_HI_##DT, KKR_I_MIN, KKR_I_MIN, KKR_I_ID)              \
  KKR_DEF_REDUCE(kkr_prod_##DT, T, uint64_t, DT, 1, KKR_I_MUL, KKR_I_MUL, KKR_I_ID)                \
  KKR_DEF_REDUCE(kkr_l1_##DT, T, uint64_t, DT, 0, KKR_##SG##_ADDABS, KKR_I_ADD, KKR_I_ID)          \
  KKR_DEF_REDUCE(kkr_l2_##DT, T, uint64_t, DT, 0, KKR_I_ADDSQ, KKR_I_ADD, KKR_I_SQRT)              \
  KKR_DEF_REDUCE(kkr_logsum_##DT, T, uint64_t, DT, 0, KKR_I_ADD, KKR_I_ADD, KKR_##SG##_LOG)        \
  KKR_DEF_REDUCE(kkr_sumsq_##DT, T, uint64_t, DT, 0, KKR_I_ADDSQ, KKR_I_ADD, KKR_I_ID)             \
  KKR_DEF_LSE(T, DT, double, f64, KKR_TO_INT)                                                      \
  KKR_DEF_DISPATCH(T, DT)

/* ---- ArgMax / ArgMin ---- */
#define KKR_DEF_ARG(T, DT)                                                                         \
  void kk_reduce_arg_##DT(const T *x, int64_t *y, int64_t outer, int64_t red, int64_t inner,       \
                          int is_min, int select_last) {                                           \
    for (int64_t o = 0; o < outer; o++)                                                            \
      for (int64_t i = 0; i < inner; i++) {                                                        \
        const T *p = x + o * red * inner + i;                                                      \
        int64_t bi = 0;                                                                            \
        if (red > 0) {                                                                             \
          T best = p[0];                                                                           \
          for (int64_t r = 1; r < red; r++) {                                                      \
            T v = p[r * inner];                                                                    \
            int take;                                                                              \
            if (kkr_isnan_##DT(best)) take = select_last && kkr_isnan_##DT(v);                     \
            else if (kkr_isnan_##DT(v)) take = 1;                                                  \
            else if (is_min) take = select_last ? v <= best : v < best;                            \
            else take = select_last ? v >= best : v > best;                                        \
            if (take) best = v, bi = r;                                                            \
          }                                                                                        \
        }                                                                                          \
        y[o * inner + i] = bi;                                                                     \
      }                                                                                            \
  }

/* ---- TopK: stable bottom-up merge sort of the row's indices ---- */
#define KKR_DEF_TOPK(T, DT)                                                                        \
  /* does u rank strictly before v? NaN is above every number */                                   \
  static inline int kkr_before_##DT(T u, T v, int largest) {                                       \
    int un = kkr_isnan_##DT(u), vn = kkr_isnan_##DT(v);                                            \
    if (largest) return (un && !vn) || u > v;                                                      \
    return (vn && !un) || u < v;                                                                   \
  }                                                                                                \
  void kk_reduce_topk_##DT(const T *x, T *values, int64_t *indices, int64_t outer, int64_t n,      \
                           int64_t inner, int64_t k, int largest, T *vbuf, int64_t *ibuf) {        \
    for (int64_t o = 0; o < outer; o++)                                                            \
      for (int64_t i = 0; i < inner; i++) {                                                        \
        const T *p = x + o * n * inner + i;                                                        \
        for (int64_t r = 0; r < n; r++) vbuf[r] = p[r * inner], ibuf[r] = r;                       \
        int64_t *src = ibuf, *dst = ibuf + n;                                                      \
        for (int64_t w = 1; w < n; w *= 2) {                                                       \
          for (int64_t lo = 0; lo < n; lo += 2 * w) {                                              \
            int64_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;           \
            int64_t a = lo, b = mid, j = lo;                                                       \
            /* taking from the right run only when strictly before keeps ties in index order */    \
            while (a < mid && b < hi)                                                              \
              dst[j++] = kkr_before_##DT(vbuf[src[b]], vbuf[src[a]], largest) ? src[b++] : src[a++]; \
            while (a < mid) dst[j++] = src[a++];                                                   \
            while (b < hi) dst[j++] = src[b++];                                                    \
          }                                                                                        \
          int64_t *t = src;                                                                        \
          src = dst;                                                                               \
          dst = t;                                                                                 \
        }                                                                                          \
        for (int64_t j = 0; j < k; j++) {                                                          \
          int64_t off = (o * k + j) * inner + i;                                                   \
          values[off] = vbuf[src[j]];                                                              \
          indices[off] = src[j];                                                                   \
        }                                                                                          \
      }                                                                                            \
  }

/* ---- CumSum: row r = row r-1 + x row, so inner > 1 is a vector add ---- */
#define KKR_DEF_CUMSUM(T, DT)                                                                      \
  void kk_reduce_cumsum_##DT(const T *x, T *y, int64_t outer, int64_t n, int64_t inner,            \
                             int exclusive, int reverse) {                                         \
    for (int64_t o = 0; o < outer; o++) {                                                          \
      const T *xo = x + o * n * inner;                                                             \
      T *yo = y + o * n * inner;                                                                   \
      for (int64_t s = 0; s < n; s++) {                                                            \
        int64_t r = reverse ? n - 1 - s : s, prev = reverse ? r + 1 : r - 1;                       \
        T *yr = yo + r * inner;                                                                    \
        if (s == 0) {                                                                              \
          for (int64_t i = 0; i < inner; i++) yr[i] = exclusive ? (T)0 : xo[r * inner + i];        \
          continue;                                                                                \
        }                                                                                          \
        const T *yp = yo + prev * inner, *xs = xo + (exclusive ? prev : r) * inner;                \
        for (int64_t i = 0; i < inner; i++) yr[i] = kkr_add_##DT(yp[i], xs[i]);                   \
      }                                                                                            \
    }                                                                                              \
  }

#define KKR_DEF_ALL_FLOAT(T, DT)                                                                   \
  KKR_DEF_FLOAT_REDUCE(T, DT)                                                                      \
  KKR_DEF_ARG(T, DT)                                                                               \
  KKR_DEF_TOPK(T, DT)                                                                              \
  KKR_DEF_CUMSUM(T, DT)
#define KKR_DEF_ALL_INT(T, DT, SG)                                                                 \
  KKR_DEF_INT_REDUCE(T, DT, SG)                                                                    \
  KKR_DEF_ARG(T, DT)                                                                               \
  KKR_DEF_TOPK(T, DT)                                                                              \
  KKR_DEF_CUMSUM(T, DT)

KKR_DEF_ALL_FLOAT(float, f32)
KKR_DEF_ALL_FLOAT(double, f64)
KKR_DEF_ALL_INT(int32_t, i32, S)
KKR_DEF_ALL_INT(int64_t, i64, S)
KKR_DEF_ALL_INT(uint32_t, u32, U)
KKR_DEF_ALL_INT(uint64_t, u64, U)
KKR_DEF_ALL_INT(int8_t, i8, S)
KKR_DEF_ALL_INT(uint8_t, u8, U)
KKR_DEF_ALL_INT(int16_t, i16, S)
KKR_DEF_ALL_INT(uint16_t, u16, U)

/* ---- strided gather (brings non-adjacent reduced axes together) ---- */
#define KKR_DEF_GATHER(T, B)                                                                       \
  void kk_reduce_gather_##B(const T *src, T *dst, int rank, const int64_t *dims,                  \
                            const int64_t *strides) {                                              \
    if (rank <= 0) {                                                                               \
      dst[0] = src[0];                                                                             \
      return;                                                                                      \
    }                                                                                              \
    int64_t rows = 1, idx[KK_MAX_RANK] = {0}, off = 0;                                             \
    for (int d = 0; d < rank; d++) rows *= dims[d];                                                \
    if (rows == 0) return;                                                                         \
    int64_t n = dims[rank - 1], st = strides[rank - 1];                                            \
    rows /= n;                                                                                     \
    for (int64_t row = 0; row < rows; row++) {                                                     \
      const T *p = src + off;                                                                      \
      for (int64_t j = 0; j < n; j++) *dst++ = p[j * st];                                          \
      for (int d = rank - 2; d >= 0; d--) {                                                        \
        off += strides[d];                                                                         \
        if (++idx[d] < dims[d]) break;                                                             \
        off -= strides[d] * dims[d];                                                               \
        idx[d] = 0;                                                                                \
      }                                                                                            \
    }                                                                                              \
  }
KKR_DEF_GATHER(uint8_t, b1)
KKR_DEF_GATHER(uint16_t, b2)
KKR_DEF_GATHER(uint32_t, b4)
KKR_DEF_GATHER(uint64_t, b8)

/* ---- windows ---- */
/* point i of a window whose cosine period is den points (den <= 0: the
 * one-point symmetric window, defined as 1 rather than the formula's 0/0) */
static inline double kkr_window_at(int kind, int64_t i, double den) {
  const double hamming_a = 25.0 / 46.0; /* the spec's alpha; beta = 1 - alpha */
  if (den <= 0) return 1;
  double t = 6.283185307179586476925286766559 * (double)i / den, c = __builtin_cos(t);
  switch (kind) {
  case KK_REDUCE_WINDOW_HANN: return 0.5 - 0.5 * c;
  case KK_REDUCE_WINDOW_HAMMING: return hamming_a - (1.0 - hamming_a) * c;
  default: return 0.42 - 0.5 * c + 0.08 * __builtin_cos(2.0 * t);
  }
}

void kk_reduce_window_f64(int kind, int periodic, double *y, int64_t n) {
  double den = (double)(periodic ? n : n - 1);
  for (int64_t i = 0; i < n; i++) y[i] = kkr_window_at(kind, i, den);
}

void kk_reduce_window_f32(int kind, int periodic, float *y, int64_t n) {
  double den = (double)(periodic ? n : n - 1);
  for (int64_t i = 0; i < n; i++) y[i] = (float)kkr_window_at(kind, i, den);
}

/* ---- QuantizeLinear / DequantizeLinear ----
 * x / scale is divided in float (not multiplied by a reciprocal) and rounded
 * with rint (ties to even in the default rounding mode), as the ONNX reference
 * does in float32; the zero point is added and the result clamped in double,
 * where every bound of these types is exact. */
#define KKR_DEF_QUANT(Q, QS, LO, HI)                                                               \
  void kk_reduce_quantize_f32_##QS(const float *x, const float *scale, const Q *zp, Q *y,          \
                                   int64_t outer, int64_t ch, int64_t inner) {                     \
    for (int64_t o = 0; o < outer; o++)                                                            \
      for (int64_t c = 0; c < ch; c++) {                                                           \
        float s = scale[c];                                                                        \
        double z = zp ? (double)zp[c] : 0.0;                                                       \
        const float *xp = x + (o * ch + c) * inner;                                                \
        Q *yp = y + (o * ch + c) * inner;                                                          \
        for (int64_t i = 0; i < inner; i++) {                                                      \
          double v = (double)__builtin_rintf(xp[i] / s) + z;                                       \
          if (!(v >= (double)(LO))) v = (double)(LO);                                              \
          if (v > (double)(HI)) v = (double)(HI);                                                  \
          yp[i] = (Q)v;                                                                            \
        }                                                                                          \
      }                                                                                            \
  }                                                                                                \
  void kk_reduce_dequantize_##QS##_f32(const Q *x, const float *scale, const Q *zp, float *y,      \
                                       int64_t outer, int64_t ch, int64_t inner) {                 \
    for (int64_t o = 0; o < outer; o++)                                                            \
      for (int64_t c = 0; c < ch; c++) {                                                           \
        float s = scale[c];                                                                        \
        int64_t z = zp ? (int64_t)zp[c] : 0;                                                       \
        const Q *xp = x + (o * ch + c) * inner;                                                    \
        float *yp = y + (o * ch + c) * inner;                                                      \
        for (int64_t i = 0; i < inner; i++) yp[i] = (float)((int64_t)xp[i] - z) * s;              \
      }                                                                                            \
  }
KKR_DEF_QUANT(uint8_t, u8, 0, UINT8_MAX)
KKR_DEF_QUANT(int8_t, i8, INT8_MIN, INT8_MAX)
KKR_DEF_QUANT(uint16_t, u16, 0, UINT16_MAX)
KKR_DEF_QUANT(int16_t, i16, INT16_MIN, INT16_MAX)
KKR_DEF_QUANT(int32_t, i32, INT32_MIN, INT32_MAX)
