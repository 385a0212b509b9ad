/* seeded_init.c: deterministic initializers for the text form's
 * `normal(seed=, std=, mean=)` and `uniform(seed=, low=, high=)`, so model
 * files (models/NAME.kir) carry weights as a seed and every machine builds the
 * same bits. The generator is splitmix64 -> 53-bit uniform -> Box-Muller.
 * log, sin and cos are computed here from +, -, *, / and frexp/ldexp only
 * (each exactly rounded by IEEE 754), in a fixed evaluation order, instead of
 * calling libm, whose last-ulp results differ between C libraries. The exact
 * algorithm is written down in docs/ir.md so other tools can reproduce it. */
#include "text_lex.h"
#include <math.h>
#include <string.h>

/* A fused multiply-add would change the bits. GCC in ISO mode (-std=c11, as
 * CMake builds) never contracts, but say so for -std=gnu11 builds too. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

uint64_t ir_rng_next(ir_rng *r) {
  uint64_t z = (r->state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

double ir_rng_uniform01(ir_rng *r) { return (double)(ir_rng_next(r) >> 11) * 0x1p-53; }

/* The math below is written branch-free (selects, not ifs) and in inline
 * pieces so that ir_init_normal's loop over a batch of pairs vectorizes: each
 * vector lane does the same IEEE operations in the same order as the scalar
 * code, so the bits do not change, only the speed (the ~35 divisions per
 * pair dominate). ir_det_log and ir_det_sincos_turns are the same pieces for
 * one value. */

/* 1/27, 1/25, ..., 1/1: the compiler folds each division exactly as the
 * run-time division of docs/ir.md would round it. */
static const double inv_odd[14] = {1.0 / 27, 1.0 / 25, 1.0 / 23, 1.0 / 21, 1.0 / 19, 1.0 / 17, 1.0 / 15,
                                   1.0 / 13, 1.0 / 11, 1.0 / 9,  1.0 / 7,  1.0 / 5,  1.0 / 3,  1.0 / 1};

/* ln(x) = e*ln2 + ln(m), x = m * 2^e with m in [sqrt(1/2), sqrt(2)),
 * ln(m) = 2*atanh(s), s = (m-1)/(m+1), |s| <= 0.1716: the odd series to s^27
 * leaves a truncation error below 1e-22. m in [0.5, 1) and e come from frexp. */
static inline double log_of_parts(double m, double e) {
  int lo = m < 0.70710678118654752440;
  m = lo ? m * 2.0 : m;
  e = lo ? e - 1.0 : e;
  double s = (m - 1.0) / (m + 1.0);
  double s2 = s * s;
  double poly = inv_odd[0];
#pragma GCC unroll 16
  for (int k = 1; k < 14; k++) poly = poly * s2 + inv_odd[k];
  double lnm = 2.0 * s * poly;
  const double ln2_hi = 0.693147180369123816490; /* ln2 split so e*ln2_hi is exact */
  const double ln2_lo = 1.90821492927058770002e-10;
  return e * ln2_hi + (lnm + e * ln2_lo);
}

double ir_det_log(double x) {
  int e;
  double m = frexp(x, &e); /* m in [0.5, 1) */
  return log_of_parts(m, (double)e);
}

/* sin and cos of x for |x| <= pi/4 by Taylor series to x^23 / x^22. */
static inline void sincos_small(double x, double *s, double *c) {
  double x2 = x * x;
  double ps = 1.0, pc = 1.0;
  /* Horner from the highest term down: sin = x*(1 - x2/(2*3)*(1 - x2/(4*5)*(...))) */
#pragma GCC unroll 16
  for (int k = 11; k >= 1; k--) {
    ps = 1.0 - x2 / (double)((2 * k) * (2 * k + 1)) * ps;
    pc = 1.0 - x2 / (double)((2 * k - 1) * (2 * k)) * pc;
  }
  *s = x * ps;
  *c = pc;
}

/* t in [0, 1): q = floor(4t) by truncation, then the angle within the quadrant */
static inline void sincos_turns(double t, double *s, double *c) {
  const double half_pi = 1.57079632679489661923;
  double t4 = t * 4.0; /* exact */
  int q = (int)t4;
  double f = t4 - (double)q; /* exact, in [0, 1) */
  int first = f <= 0.5;
  double sn, cs;
  sincos_small(first ? half_pi * f : half_pi * (1.0 - f), &sn, &cs);
  double a = first ? sn : cs, b = first ? cs : sn; /* sin, cos within the quadrant */
  /* by quadrant, (sin, cos) = (a, b), (b, -a), (-a, -b), (-b, a) */
  double s0 = q & 1 ? b : a, c0 = q & 1 ? a : b;
  *s = q >= 2 ? -s0 : s0;
  *c = q == 1 || q == 2 ? -c0 : c0;
}

void ir_det_sincos_turns(double t, double *s, double *c) { sincos_turns(t, s, c); }

/* Box-Muller for n pairs: z[2j], z[2j+1] from u1[j] in (0, 1], u2[j] in [0, 1).
 * u1 >= 2^-53 is a normal double, so its frexp is a bit split. */
static void normal_pairs(const double *restrict u1, const double *restrict u2, double *restrict z0,
                         double *restrict z1, int n) {
  for (int j = 0; j < n; j++) {
    uint64_t bits;
    memcpy(&bits, &u1[j], sizeof bits);
    double e = (double)(int)((bits >> 52) & 0x7ff) - 1022.0;
    bits = (bits & 0x800fffffffffffffull) | 0x3fe0000000000000ull;
    double m;
    memcpy(&m, &bits, sizeof m);
    double rad = sqrt(-2.0 * log_of_parts(m, e));
    double sn, cs;
    sincos_turns(u2[j], &sn, &cs);
    z0[j] = rad * cs;
    z1[j] = rad * sn;
  }
}

static void store(kn_tensor *t, int64_t i, double v) {
  switch (t->dtype) {
  case KN_F64: ((double *)t->data)[i] = v; break;
  case KN_F32: ((float *)t->data)[i] = (float)v; break;
  case KN_F16: ((uint16_t *)t->data)[i] = kn_f32_to_f16((float)v); break;
  case KN_BF16: ((uint16_t *)t->data)[i] = kn_f32_to_bf16((float)v); break;
  default: break;
  }
}

static kn_status need_float(kn_ctx *ctx, const kn_tensor *t, const char *what) {
  if (!kn_dtype_is_float(t->dtype))
    return kn_fail(ctx, KN_ETYPE, "%s() needs a float dtype, not %s", what, kn_dtype_short(t->dtype));
  return KN_OK;
}

kn_status ir_init_normal(kn_ctx *ctx, kn_tensor *t, uint64_t seed, double mean, double std) {
  KN_TRY(need_float(ctx, t, "normal"));
  int64_t n = kn_tensor_numel(t);
  ir_rng r = {seed};
  enum { PAIRS = 64 };
  double u1[PAIRS], u2[PAIRS], z0[PAIRS], z1[PAIRS];
  for (int64_t i = 0; i < n; i += 2 * PAIRS) {
    int np = (int)((n - i + 1) / 2 < PAIRS ? (n - i + 1) / 2 : PAIRS);
    for (int j = 0; j < np; j++) {
      uint64_t x1 = ir_rng_next(&r), x2 = ir_rng_next(&r);
      u1[j] = (double)((x1 >> 11) + 1) * 0x1p-53; /* (0, 1]: log never sees 0 */
      u2[j] = (double)(x2 >> 11) * 0x1p-53;       /* [0, 1) */
    }
    normal_pairs(u1, u2, z0, z1, np);
    for (int j = 0; j < np; j++) {
      store(t, i + 2 * j, mean + std * z0[j]);
      if (i + 2 * j + 1 < n) store(t, i + 2 * j + 1, mean + std * z1[j]);
    }
  }
  return KN_OK;
}

kn_status ir_init_uniform(kn_ctx *ctx, kn_tensor *t, uint64_t seed, double low, double high) {
  KN_TRY(need_float(ctx, t, "uniform"));
  int64_t n = kn_tensor_numel(t);
  ir_rng r = {seed};
  double width = high - low;
  for (int64_t i = 0; i < n; i++) {
    double u = ir_rng_uniform01(&r);
    store(t, i, low + width * u);
  }
  return KN_OK;
}

uint64_t ir_seed_from_name(const char *name, size_t len) {
  return kn_fnv1a(KN_FNV_OFFSET, name, len);
}
