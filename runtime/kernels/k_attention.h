/* k_attention.h: the ATTENTION kernel family, scaled-dot-product attention
 * for the JIT's Attention nodes (codegen/lower_attention.c). The geometry is
 * one int64 array indexed by KK_ATT_* (the JIT passes it as a constant, so
 * after inlining every size and stride is a compile-time constant): sizes
 * B, H, S (queries), T (keys), D (Q/K head dim), Dv (V head dim), and for Q,
 * K, V, Y and the mask the element strides by (batch, head, row, element);
 * element (b, h, r, e) of Q is at b*Q_SB + h*Q_SH + r*Q_SS + e*Q_SD. The
 * mask's strides are by (b, h, s, t), 0 along broadcast dims. */
#ifndef KILN_K_ATTENTION_H
#define KILN_K_ATTENTION_H

#include "kernels.h"

enum {
  KK_ATT_B, KK_ATT_H, KK_ATT_S, KK_ATT_T, KK_ATT_D, KK_ATT_DV,
  KK_ATT_Q, /* 4 strides each, in the order Q, K, V, Y, mask */
  KK_ATT_K = KK_ATT_Q + 4,
  KK_ATT_V = KK_ATT_K + 4,
  KK_ATT_Y = KK_ATT_V + 4,
  KK_ATT_M = KK_ATT_Y + 4,
  KK_ATT_GEO = KK_ATT_M + 4
};

/* The kernel works on tiles of KK_ATT_TR query rows by KK_ATT_TC keys (for
 * the scores) or KK_ATT_TE value elements (for the output), with K^T and V
 * packed into scratch, zero-padded to whole tiles. The tile code is written
 * for these sizes (four rows of two 16-float vectors). */
#define KK_ATT_TR 4
#define KK_ATT_TC 32
#define KK_ATT_TE 32
static inline int64_t kk_attention_keys_padded(const int64_t *geo) {
  return (geo[KK_ATT_T] + KK_ATT_TC - 1) / KK_ATT_TC * KK_ATT_TC;
}
static inline int64_t kk_attention_dv_padded(const int64_t *geo) {
  return (geo[KK_ATT_DV] + KK_ATT_TE - 1) / KK_ATT_TE * KK_ATT_TE;
}
/* Floats of scratch one call needs: K^T [D x Tp], V [Tp x Dvp], scores
 * [TR x Tp], an output tile [TR x TE]; a multiple of 16 (64 bytes). */
static inline int64_t kk_attention_scratch_floats(const int64_t *geo) {
  const int64_t Tp = kk_attention_keys_padded(geo), Dvp = kk_attention_dv_padded(geo);
  return (geo[KK_ATT_D] * Tp + Tp * Dvp + KK_ATT_TR * Tp + KK_ATT_TR * KK_ATT_TE + 15) / 16 * 16;
}

/* Y for the (batch, head) items [begin, end) (item i is batch i / H, head
 * i % H): softmax(Q K^T * scale + mask) V, keys t > s left out when causal.
 * mask may be NULL. scratch holds kk_attention_scratch_floats(geo) floats.
 * The result of an item does not depend on the range it was computed in. */
void kk_attention_f32(const float *q, const float *k, const float *v, const float *mask, float *y,
                      const int64_t *geo, float scale, int causal, int64_t begin, int64_t end, float *scratch);

#endif
