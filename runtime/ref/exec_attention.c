/* exec_attention.c: Attention on the reference executor, the oracle for the
 * JIT's kernel (runtime/kernels/attention.c) and for fuse-attention. It is the
 * definition spelled out with no cleverness: for every batch, head and query
 * row, the scores q.k in double, scaled, plus the mask, keys after the row
 * left out when causal; a softmax with the maximum subtracted; the weighted
 * sum of the value rows. Operands are read through ir_attention_geo's
 * strides, so every layout takes the same loops. */
#include "ref.h"
#include <math.h>
#include <stdlib.h>

static void type_of(const kn_tensor *t, ir_type *ty) {
  ty->dtype = t->dtype;
  ty->rank = t->rank;
  for (int d = 0; d < t->rank; d++) ty->dims[d] = t->dims[d];
}

static int64_t at(const int64_t st[4], int64_t b, int64_t h, int64_t row, int64_t e) {
  return b * st[0] + h * st[1] + row * st[2] + e * st[3];
}

kn_status ref_exec_Attention(ref_ctx *c) {
  ir_type ty[4];
  for (int i = 0; i < c->nin; i++) {
    if (!c->in[i]) continue;
    if (c->in[i]->dtype != KN_F32) return ref_unsupported_dtype(c, c->in[i]->dtype);
    type_of(c->in[i], &ty[i]);
  }
  const bool has_mask = c->nin > 3 && c->in[3];
  ir_att_geo g;
  KN_TRY(ir_attention_geo(c->kn, c->node, &ty[0], &ty[1], &ty[2], has_mask ? &ty[3] : NULL, &g));
  const float *q = c->in[0]->data, *k = c->in[1]->data, *v = c->in[2]->data;
  const float *m = has_mask ? c->in[3]->data : NULL;
  float *y = c->out[0].data;
  if (g.B * g.H * g.S * g.Dv == 0) return KN_OK;
  double *p = malloc(sizeof *p * (size_t)(g.T > 0 ? g.T : 1));
  if (!p) return ref_fail(c, KN_ENOMEM, "out of memory for %lld scores", (long long)g.T);
  for (int64_t b = 0; b < g.B; b++)
    for (int64_t h = 0; h < g.H; h++)
      for (int64_t s = 0; s < g.S; s++) {
        const int64_t keys = g.causal && s + 1 < g.T ? s + 1 : g.T;
        double mx = -INFINITY, sum = 0;
        for (int64_t t = 0; t < keys; t++) {
          double dot = 0;
          for (int64_t d = 0; d < g.D; d++) dot += (double)q[at(g.q, b, h, s, d)] * k[at(g.k, b, h, t, d)];
          p[t] = dot * g.scale + (m ? m[at(g.m, b, h, s, 0) + t * g.m[3]] : 0.0);
          if (p[t] > mx) mx = p[t];
        }
        for (int64_t t = 0; t < keys; t++) sum += p[t] = exp(p[t] - mx);
        for (int64_t e = 0; e < g.Dv; e++) {
          double acc = 0;
          for (int64_t t = 0; t < keys; t++) acc += p[t] / sum * v[at(g.v, b, h, t, e)];
          y[at(g.y, b, h, s, e)] = (float)acc;
        }
      }
  free(p);
  return KN_OK;
}
