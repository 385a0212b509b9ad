/* attention.c: ATTENTION family kernel (k_attention.h), the per-head loops of
 * a fused Attention node. The JIT inlines it with a constant geometry and runs
 * ranges of (batch, head) items on its threads.
 *
 * Per item, K^T is packed into scratch (keys contiguous, zero-padded to whole
 * tiles of KKA_TC) and so is V unless its rows are whole tiles already. Query
 * rows go four at a time: a score tile of 4 rows x 32 keys keeps its eight
 * vector accumulators in registers across the head dim (two key vectors
 * loaded, four q scalars broadcast, eight FMAs per step), the four softmaxes
 * run on whole vectors (padding scores are -inf, so their weights are exactly
 * 0, as are those of keys a causal row does not see), and an output tile of
 * 4 rows x 32 elements accumulates P V the same way over the keys.
 * The accumulators are GCC/clang vector types (16 floats: one AVX-512
 * register, two AVX2 or four NEON ones) so that they stay in registers
 * whatever the compiler's unrolling heuristics do. Sums are never
 * reassociated behind the code's back (no fast-math): the max and the sum of
 * a row fold one vector accumulator's lanes in a fixed tree, so an item's
 * result is the same on any thread and for any thread count. exp is a
 * branch-free polynomial (a libm expf per score would cost more than the
 * products). Freestanding: stdint/stddef only. */
#include "k_attention.h"

#define KKA_TR KK_ATT_TR
#define KKA_TC KK_ATT_TC
#define KKA_TE KK_ATT_TE

/* e^x for the x <= 0 of a softmax after its maximum is subtracted (Cephes'
 * expf: x = n ln2 + r, |r| <= ln2/2, a degree-6 polynomial for e^r, 2^n put
 * in the exponent bits). Below -87 (e^x < 2^-125, nil next to the row's
 * maximum, whose weight is 1) it is 0, so that padding of -inf weighs
 * exactly nothing; NaN stays NaN. n is rounded by adding
 * 1.5 * 2^23, whose float then holds n in its low mantissa bits. */
static inline float kka_exp(float x) {
  union {
    float f;
    uint32_t u;
  } t, s;
  const float magic = 12582912.0f;
  const float in = x;
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
  return in < -87.0f ? 0.0f : p * s.f;
}

/* A transposing copy is cheaper as plain loads and stores than as the
 * scatters (or gathers) a vectorizer makes of it. */
#if defined(__clang__)
#define KKA_SCALAR_LOOP _Pragma("clang loop vectorize(disable)")
#else
#define KKA_SCALAR_LOOP
#endif

/* K^T: kt[d * ldk + t] = k[t * ks + d * kd] for t < T, zero for t in [T, ldk). */
static inline void kka_pack_keys(float *restrict kt, int64_t ldk, const float *restrict k, int64_t ks, int64_t kd,
                                 int64_t T, int64_t D) {
  if (ks == 1) /* K stored transposed already (bhds): a copy */
    for (int64_t d = 0; d < D; d++)
      for (int64_t t = 0; t < T; t++) kt[d * ldk + t] = k[t + d * kd];
  else
    for (int64_t t = 0; t < T; t++)
      KKA_SCALAR_LOOP
      for (int64_t d = 0; d < D; d++) kt[d * ldk + t] = k[t * ks + d * kd];
  for (int64_t d = 0; d < D; d++)
    for (int64_t t = T; t < ldk; t++) kt[d * ldk + t] = 0.0f;
}

/* V rows with e contiguous: vp[t * ldv + e] = v[t * vs + e * ve], zero for e in [Dv, ldv). */
static inline void kka_pack_values(float *restrict vp, int64_t ldv, const float *restrict v, int64_t vs, int64_t ve,
                                   int64_t T, int64_t Dv) {
  for (int64_t t = 0; t < T; t++)
    for (int64_t e = 0; e < ldv; e++) vp[t * ldv + e] = e < Dv ? v[t * vs + e * ve] : 0.0f;
}

/* 16 floats; loads and stores through memcpy (unaligned, no aliasing games) */
typedef float kka_v __attribute__((vector_size(64)));
#define KKA_LOAD(v, p) __builtin_memcpy(&(v), (p), sizeof(kka_v))
#define KKA_STORE(p, v) __builtin_memcpy((p), &(v), sizeof(kka_v))
#define KKA_SPLAT(x) ((kka_v){x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x})
typedef int32_t kka_vi __attribute__((vector_size(64)));

/* Horizontal max and sum of x[0..n), n a multiple of 16: one vector
 * accumulator, then its lanes in a fixed tree. */
#define KKA_MAX2(a, b) ((b) > (a) ? (b) : (a))
static inline float kka_lanes_max(const float *l) {
  const float a0 = KKA_MAX2(l[0], l[8]), a1 = KKA_MAX2(l[1], l[9]), a2 = KKA_MAX2(l[2], l[10]),
              a3 = KKA_MAX2(l[3], l[11]), a4 = KKA_MAX2(l[4], l[12]), a5 = KKA_MAX2(l[5], l[13]),
              a6 = KKA_MAX2(l[6], l[14]), a7 = KKA_MAX2(l[7], l[15]);
  const float b0 = KKA_MAX2(a0, a4), b1 = KKA_MAX2(a1, a5), b2 = KKA_MAX2(a2, a6), b3 = KKA_MAX2(a3, a7);
  const float c0 = KKA_MAX2(b0, b2), c1 = KKA_MAX2(b1, b3);
  return KKA_MAX2(c0, c1);
}
static inline float kka_lanes_sum(const float *l) {
  const float a0 = l[0] + l[8], a1 = l[1] + l[9], a2 = l[2] + l[10], a3 = l[3] + l[11], a4 = l[4] + l[12],
              a5 = l[5] + l[13], a6 = l[6] + l[14], a7 = l[7] + l[15];
  return ((a0 + a4) + (a2 + a6)) + ((a1 + a5) + (a3 + a7));
}

static inline float kka_max(const float *x, int64_t n) {
  kka_v acc = KKA_SPLAT(-__builtin_inff());
  for (int64_t i = 0; i < n; i += 16) {
    kka_v v;
    KKA_LOAD(v, x + i);
    const kka_vi gt = v > acc;
    acc = (kka_v)(((kka_vi)v & gt) | ((kka_vi)acc & ~gt));
  }
  float l[16];
  KKA_STORE(l, acc);
  return kka_lanes_max(l);
}

static inline float kka_sum(const float *x, int64_t n) {
  kka_v acc = {0};
  for (int64_t i = 0; i < n; i += 16) {
    kka_v v;
    KKA_LOAD(v, x + i);
    acc += v;
  }
  float l[16];
  KKA_STORE(l, acc);
  return kka_lanes_sum(l);
}

/* Scores of four query rows (row pointers q[r], element stride qd) against
 * 32 keys: p[r * ldp + j] = sum_d q[r][d] * kt[d * ldk + j]. */
static inline void kka_score_tile(float *restrict p, int64_t ldp, const float *const *q, int64_t qd,
                                  const float *restrict kt, int64_t ldk, int64_t D) {
  kka_v a0 = {0}, b0 = {0}, a1 = {0}, b1 = {0}, a2 = {0}, b2 = {0}, a3 = {0}, b3 = {0};
  for (int64_t d = 0; d < D; d++) {
    kka_v k0, k1;
    KKA_LOAD(k0, kt + d * ldk);
    KKA_LOAD(k1, kt + d * ldk + 16);
    kka_v x = KKA_SPLAT(q[0][d * qd]);
    a0 += x * k0, b0 += x * k1;
    x = KKA_SPLAT(q[1][d * qd]);
    a1 += x * k0, b1 += x * k1;
    x = KKA_SPLAT(q[2][d * qd]);
    a2 += x * k0, b2 += x * k1;
    x = KKA_SPLAT(q[3][d * qd]);
    a3 += x * k0, b3 += x * k1;
  }
  KKA_STORE(p, a0), KKA_STORE(p + 16, b0);
  KKA_STORE(p + ldp, a1), KKA_STORE(p + ldp + 16, b1);
  KKA_STORE(p + 2 * ldp, a2), KKA_STORE(p + 2 * ldp + 16, b2);
  KKA_STORE(p + 3 * ldp, a3), KKA_STORE(p + 3 * ldp + 16, b3);
}

/* Outputs of four rows for 32 elements: o[r * 32 + j] = sum_{t < keys}
 * p[r * ldp + t] * v[t * ldv + j]. */
static inline void kka_value_tile(float *restrict o, const float *restrict p, int64_t ldp, const float *restrict v,
                                  int64_t ldv, int64_t keys) {
  kka_v a0 = {0}, b0 = {0}, a1 = {0}, b1 = {0}, a2 = {0}, b2 = {0}, a3 = {0}, b3 = {0};
  for (int64_t t = 0; t < keys; t++) {
    kka_v v0, v1;
    KKA_LOAD(v0, v + t * ldv);
    KKA_LOAD(v1, v + t * ldv + 16);
    kka_v w = KKA_SPLAT(p[t]);
    a0 += w * v0, b0 += w * v1;
    w = KKA_SPLAT(p[ldp + t]);
    a1 += w * v0, b1 += w * v1;
    w = KKA_SPLAT(p[2 * ldp + t]);
    a2 += w * v0, b2 += w * v1;
    w = KKA_SPLAT(p[3 * ldp + t]);
    a3 += w * v0, b3 += w * v1;
  }
  KKA_STORE(o, a0), KKA_STORE(o + 16, b0);
  KKA_STORE(o + 32, a1), KKA_STORE(o + 48, b1);
  KKA_STORE(o + 64, a2), KKA_STORE(o + 80, b2);
  KKA_STORE(o + 96, a3), KKA_STORE(o + 112, b3);
}

/* softmax of p[0..keys) after scaling and adding the mask row (m: NULL, or
 * the row with element stride ms). The row is taken to n >= keys, a whole
 * number of tiles, with -inf scores, so that every loop runs on whole
 * vectors and p[keys..n) come out 0. */
static inline void kka_softmax(float *restrict p, const float *restrict m, int64_t ms, float scale, int64_t keys,
                               int64_t n) {
  if (m)
    for (int64_t t = 0; t < keys; t++) p[t] = p[t] * scale + m[t * ms];
  else
    for (int64_t t = 0; t < keys; t++) p[t] = p[t] * scale;
  for (int64_t t = keys; t < n; t++) p[t] = -__builtin_inff();
  const float mx = kka_max(p, n);
  for (int64_t t = 0; t < n; t++) p[t] = kka_exp(p[t] - mx);
  const float inv = 1.0f / kka_sum(p, n);
  for (int64_t t = 0; t < n; t++) p[t] *= inv;
}

/* Query rows s .. s+3 of one item (rows past S repeat row S-1, whose
 * results are not stored): scores, softmax, and the outputs. */
static inline void kka_rows(const float *restrict q, const int64_t *qs, const float *restrict kt, int64_t Tp,
                            const float *restrict vp, int64_t ldv, int64_t Dvp, const float *restrict m,
                            const int64_t *ms, float *restrict y, const int64_t *ys, float *restrict p,
                            float *restrict o, int64_t s, int64_t S, int64_t T, int64_t D, int64_t Dv, float scale,
                            int causal) {
  const int nr = S - s < KKA_TR ? (int)(S - s) : KKA_TR;
  const float *qr[KKA_TR];
  for (int r = 0; r < KKA_TR; r++) qr[r] = q + (r < nr ? s + r : S - 1) * qs[2];
  const int64_t last = causal && s + nr < T ? s + nr : T; /* keys of the last row */
  const int64_t tend = (last + KKA_TC - 1) / KKA_TC * KKA_TC;
  for (int64_t t0 = 0; t0 < tend; t0 += KKA_TC) kka_score_tile(p + t0, Tp, qr, qs[3], kt + t0, Tp, D);
  for (int r = 0; r < nr; r++) {
    const int64_t keys = causal && s + r + 1 < T ? s + r + 1 : T;
    kka_softmax(p + r * Tp, m ? m + (s + r) * ms[2] : 0, ms[3], scale, keys, tend);
  }
  for (int64_t e0 = 0; e0 < Dvp; e0 += KKA_TE) {
    kka_value_tile(o, p, Tp, vp + e0, ldv, last);
    for (int r = 0; r < nr; r++)
      for (int64_t j = 0; j < KKA_TE && e0 + j < Dv; j++) y[(s + r) * ys[2] + (e0 + j) * ys[3]] = o[r * KKA_TE + j];
  }
}

void kk_attention_f32(const float *q, const float *k, const float *v, const float *mask, float *y,
                      const int64_t *geo, float scale, int causal, int64_t begin, int64_t end, float *scratch) {
  const int64_t H = geo[KK_ATT_H], S = geo[KK_ATT_S], T = geo[KK_ATT_T], D = geo[KK_ATT_D], Dv = geo[KK_ATT_DV];
  const int64_t *qs = geo + KK_ATT_Q, *ks = geo + KK_ATT_K, *vs = geo + KK_ATT_V, *ys = geo + KK_ATT_Y,
                *ms = geo + KK_ATT_M;
  const int64_t Tp = kk_attention_keys_padded(geo), Dvp = kk_attention_dv_padded(geo);
  float *kt = scratch, *vp = kt + D * Tp, *p = vp + Tp * Dvp, *o = p + KKA_TR * Tp;
  for (int64_t i = begin; i < end; i++) {
    const int64_t b = i / H, h = i % H;
    const float *qi = q + b * qs[0] + h * qs[1], *ki = k + b * ks[0] + h * ks[1], *vi = v + b * vs[0] + h * vs[1];
    const float *mi = mask ? mask + b * ms[0] + h * ms[1] : 0;
    float *yi = y + b * ys[0] + h * ys[1];
    kka_pack_keys(kt, Tp, ki, ks[2], ks[3], T, D);
    /* V is read in place when its rows are contiguous whole tiles */
    const float *v_i = vi;
    int64_t ldv = vs[2];
    if (vs[3] != 1 || Dv != Dvp) {
      kka_pack_values(vp, Dvp, vi, vs[2], vs[3], T, Dv);
      v_i = vp, ldv = Dvp;
    }
    for (int64_t s = 0; s < S; s += KKA_TR)
      kka_rows(qi, qs, kt, Tp, v_i, ldv, Dvp, mi, ms, yi, ys, p, o, s, S, T, D, Dv, scale, causal);
  }
}
