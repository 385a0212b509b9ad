/* attention.c: ATTENTION family kernel (k_attention.h), the per-head loops of
 * a fused Attention node. The JIT inlines it with a constant geometry and runs
 * ranges of (batch, head) items on its threads.
 *
 * Every inner loop is written so that LLVM vectorizes it without reassociating
 * floating-point sums (kiln does not compile with fast-math, and results must
 * not depend on the vector width chosen or on the thread count):
 *  - scores q.K^T as axpys over the keys: p[t] += q[d] * K^T[d][t], four d at
 *    a time, with K^T packed so that t is contiguous (it is read once per
 *    query row, so the copy is paid back S times);
 *  - the softmax over t: max and sum with KKA_LANES independent accumulators
 *    folded in a fixed tree, exp as a branch-free polynomial (a libm expf call
 *    per score would cost more than the products);
 *  - P V as axpys over the head dim: o[e] += p[t] * V[t][e], four t at a time.
 * Freestanding: stdint/stddef only. */
#include "k_attention.h"

#define KKA_LANES 16

/* e^x for the x <= 0 of a softmax after its maximum is subtracted (Cephes'
 * expf: x = n ln2 + r, |r| <= ln2/2, a degree-6 polynomial for e^r, 2^n put
 * in the exponent bits). x is clamped at -87, where e^x is below 2^-125 and
 * the score's weight is nil anyway; NaN stays NaN. n is rounded by adding
 * 1.5 * 2^23, whose float then holds n in its low mantissa bits. */
static inline float kka_exp(float x) {
  union {
    float f;
    uint32_t u;
  } t, s;
  const float magic = 12582912.0f;
  x = x < -87.0f ? -87.0f : x;
  t.f = x * 1.44269504088896341f + magic;
  const float n = t.f - magic;
  float r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  s.u = (t.u - 0x4b400000u + 127u) << 23;
  return p * s.f;
}

static inline float kka_max(const float *x, int64_t n) {
  float acc[KKA_LANES];
  for (int j = 0; j < KKA_LANES; j++) acc[j] = -__builtin_inff();
  int64_t i = 0;
  for (; i + KKA_LANES <= n; i += KKA_LANES)
    for (int j = 0; j < KKA_LANES; j++) acc[j] = x[i + j] > acc[j] ? x[i + j] : acc[j];
  for (int j = 0; i < n; i++, j++) acc[j] = x[i] > acc[j] ? x[i] : acc[j];
  for (int w = KKA_LANES / 2; w > 0; w /= 2)
    for (int j = 0; j < w; j++) acc[j] = acc[j + w] > acc[j] ? acc[j + w] : acc[j];
  return acc[0];
}

static inline float kka_sum(const float *x, int64_t n) {
  float acc[KKA_LANES];
  for (int j = 0; j < KKA_LANES; j++) acc[j] = 0.0f;
  int64_t i = 0;
  for (; i + KKA_LANES <= n; i += KKA_LANES)
    for (int j = 0; j < KKA_LANES; j++) acc[j] += x[i + j];
  for (int j = 0; i < n; i++, j++) acc[j] += x[i];
  for (int w = KKA_LANES / 2; w > 0; w /= 2)
    for (int j = 0; j < w; j++) acc[j] += acc[j + w];
  return acc[0];
}

/* dst[c * rows + r] = src[r * rs + c * cs]: a [rows x cols] view, transposed */
static inline void kka_pack_t(float *restrict dst, const float *restrict src, int64_t rows, int64_t cols, int64_t rs,
                              int64_t cs) {
  for (int64_t r = 0; r < rows; r++)
    for (int64_t c = 0; c < cols; c++) dst[c * rows + r] = src[r * rs + c * cs];
}

/* p[t] = sum_d q[d * qs] * kt[d * ldk + t] for t < keys */
static inline void kka_scores(float *restrict p, const float *restrict q, int64_t qs, const float *restrict kt,
                              int64_t ldk, int64_t D, int64_t keys) {
  for (int64_t t = 0; t < keys; t++) p[t] = 0.0f;
  int64_t d = 0;
  for (; d + 4 <= D; d += 4) {
    const float q0 = q[d * qs], q1 = q[(d + 1) * qs], q2 = q[(d + 2) * qs], q3 = q[(d + 3) * qs];
    const float *k0 = kt + d * ldk, *k1 = k0 + ldk, *k2 = k1 + ldk, *k3 = k2 + ldk;
    for (int64_t t = 0; t < keys; t++) p[t] += q0 * k0[t] + q1 * k1[t] + q2 * k2[t] + q3 * k3[t];
  }
  for (; d < D; d++) {
    const float q0 = q[d * qs], *k0 = kt + d * ldk;
    for (int64_t t = 0; t < keys; t++) p[t] += q0 * k0[t];
  }
}

/* o[e] = sum_t p[t] * v[t * ldv + e] for e < Dv */
static inline void kka_weighted(float *restrict o, const float *restrict p, const float *restrict v, int64_t ldv,
                                int64_t Dv, int64_t keys) {
  for (int64_t e = 0; e < Dv; e++) o[e] = 0.0f;
  int64_t t = 0;
  for (; t + 4 <= keys; t += 4) {
    const float w0 = p[t], w1 = p[t + 1], w2 = p[t + 2], w3 = p[t + 3];
    const float *v0 = v + t * ldv, *v1 = v0 + ldv, *v2 = v1 + ldv, *v3 = v2 + ldv;
    for (int64_t e = 0; e < Dv; e++) o[e] += w0 * v0[e] + w1 * v1[e] + w2 * v2[e] + w3 * v3[e];
  }
  for (; t < keys; t++) {
    const float w0 = p[t], *v0 = v + t * ldv;
    for (int64_t e = 0; e < Dv; e++) o[e] += w0 * v0[e];
  }
}

/* softmax of p[0..keys) after scaling and adding the mask row (m: NULL, or
 * the row with element stride ms) */
static inline void kka_softmax(float *restrict p, const float *restrict m, int64_t ms, float scale, int64_t keys) {
  if (m)
    for (int64_t t = 0; t < keys; t++) p[t] = p[t] * scale + m[t * ms];
  else
    for (int64_t t = 0; t < keys; t++) p[t] = p[t] * scale;
  const float mx = kka_max(p, keys);
  for (int64_t t = 0; t < keys; t++) p[t] = kka_exp(p[t] - mx);
  const float inv = 1.0f / kka_sum(p, keys);
  for (int64_t t = 0; t < keys; t++) p[t] *= inv;
}

void kk_attention_f32(const float *q, const float *k, const float *v, const float *mask, float *y,
                      const int64_t *geo, float scale, int causal, int64_t begin, int64_t end, float *scratch) {
  const int64_t H = geo[KK_ATT_H], S = geo[KK_ATT_S], T = geo[KK_ATT_T], D = geo[KK_ATT_D], Dv = geo[KK_ATT_DV];
  const int64_t *qs = geo + KK_ATT_Q, *ks = geo + KK_ATT_K, *vs = geo + KK_ATT_V, *ys = geo + KK_ATT_Y,
                *ms = geo + KK_ATT_M;
  float *kt = scratch, *vp = kt + D * T, *p = vp + T * Dv, *o = p + T;
  for (int64_t i = begin; i < end; i++) {
    const int64_t b = i / H, h = i % H;
    const float *qi = q + b * qs[0] + h * qs[1], *ki = k + b * ks[0] + h * ks[1], *vi = v + b * vs[0] + h * vs[1];
    const float *mi = mask ? mask + b * ms[0] + h * ms[1] : 0;
    float *yi = y + b * ys[0] + h * ys[1];
    /* K^T with t contiguous: K itself when it is stored transposed */
    const float *kt_i = ki;
    int64_t ldk = ks[3];
    if (ks[2] != 1) {
      kka_pack_t(kt, ki, T, D, ks[2], ks[3]);
      kt_i = kt, ldk = T;
    }
    /* V with e contiguous */
    const float *v_i = vi;
    int64_t ldv = vs[2];
    if (vs[3] != 1) {
      kka_pack_t(vp, vi, Dv, T, vs[3], vs[2]);
      v_i = vp, ldv = Dv;
    }
    for (int64_t s = 0; s < S; s++) {
      const int64_t keys = causal && s + 1 < T ? s + 1 : T;
      kka_scores(p, qi + s * qs[2], qs[3], kt_i, ldk, D, keys);
      kka_softmax(p, mi ? mi + s * ms[2] : 0, ms[3], scale, keys);
      kka_weighted(o, p, v_i, ldv, Dv, keys);
      for (int64_t e = 0; e < Dv; e++) yi[s * ys[2] + e * ys[3]] = o[e];
    }
  }
}
