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

/* ln(x) = e*ln2 + ln(m), x = m * 2^e with m in [sqrt(1/2), sqrt(2)),
 * ln(m) = 2*atanh(s), s = (m-1)/(m+1), |s| <= 0.1716: the odd series to s^27
 * leaves a truncation error below 1e-22. */
double ir_det_log(double x) {
  int e;
  double m = frexp(x, &e); /* m in [0.5, 1) */
  if (m < 0.70710678118654752440) {
    m = m * 2.0;
    e = e - 1;
  }
  double s = (m - 1.0) / (m + 1.0);
  double s2 = s * s;
  double poly = 1.0 / 27.0;
  for (int k = 25; k >= 1; k -= 2) poly = poly * s2 + 1.0 / (double)k;
  double lnm = 2.0 * s * poly;
  const double ln2_hi = 0.693147180369123816490; /* ln2 split so e*ln2_hi is exact */
  const double ln2_lo = 1.90821492927058770002e-10;
  double de = (double)e;
  return de * ln2_hi + (lnm + de * ln2_lo);
}

/* sin and cos of x for |x| <= pi/4 by Taylor series to x^23 / x^22. */
static void sincos_small(double x, double *s, double *c) {
  double x2 = x * x;
  double ps = 1.0, pc = 1.0;
  /* Horner from the highest term down: sin = x*(1 - x2/(2*3)*(1 - x2/(4*5)*(...))) */
  for (int k = 11; k >= 1; k--) {
    ps = 1.0 - x2 / (double)((2 * k) * (2 * k + 1)) * ps;
    pc = 1.0 - x2 / (double)((2 * k - 1) * (2 * k)) * pc;
  }
  *s = x * ps;
  *c = pc;
}

void ir_det_sincos_turns(double t, double *s, double *c) {
  const double half_pi = 1.57079632679489661923;
  double t4 = t * 4.0; /* exact */
  double q = floor(t4);
  double f = t4 - q; /* exact, in [0, 1) */
  double a, b;       /* sin, cos of the angle within the quadrant */
  if (f <= 0.5) sincos_small(half_pi * f, &a, &b);
  else sincos_small(half_pi * (1.0 - f), &b, &a);
  switch ((int)q & 3) {
  case 0: *s = a, *c = b; break;
  case 1: *s = b, *c = -a; break;
  case 2: *s = -a, *c = -b; break;
  default: *s = -b, *c = a; break;
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
  for (int64_t i = 0; i < n; i += 2) {
    uint64_t x1 = ir_rng_next(&r), x2 = ir_rng_next(&r);
    double u1 = (double)((x1 >> 11) + 1) * 0x1p-53; /* (0, 1]: log never sees 0 */
    double u2 = (double)(x2 >> 11) * 0x1p-53;       /* [0, 1) */
    double rad = sqrt(-2.0 * ir_det_log(u1));
    double sn, cs;
    ir_det_sincos_turns(u2, &sn, &cs);
    double z0 = rad * cs, z1 = rad * sn;
    store(t, i, mean + std * z0);
    if (i + 1 < n) store(t, i + 1, mean + std * z1);
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
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)name[i]) * 0x100000001b3ull;
  return h;
}
