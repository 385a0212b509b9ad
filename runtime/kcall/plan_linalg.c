/* plan_linalg.c: kernel-call plans (kcall.h) of Einsum and Det. Einsum's
 * equation is parsed here, once, into what the reference adapter
 * (runtime/ref/exec_nn.c) derives per run: each label's size, the output
 * labels first, and each operand's element stride per label (0 where it
 * lacks or broadcasts the label, the sum of its axes' strides where a label
 * repeats, which walks the diagonal); the thunk (call_linalg.c) only runs
 * the loop nest. Both compute in the data's dtype, so f16/bf16 (which the
 * reference executor widens to f32) are declined. */
#include "k_call_index.h"
#include "k_nn.h"
#include "kcall.h"

kn_status kc_plan_Einsum(kn_ctx *kn, const ir_graph *g, const ir_node *n, kc_plan *p) {
  const int nops = n->nin;
  const ir_type *y = kc_out(g, n, 0), *x0 = kc_in(g, n, 0);
  const char *eq = ir_attr_str(n, "equation", NULL);
  if (!eq || nops < 1 || nops > KN_MAX_RANK + 1 || nops > KK_NN_EINSUM_MAX_OPS)
    return kc_decline(kn, n, "needs an equation and 1..9 operands");
  int dt = x0 ? x0->dtype : 0;
  if (dt != KN_F32 && dt != KN_F64 && dt != KN_I32 && dt != KN_I64)
    return kc_decline(kn, n, "operands must be f32, f64, int32 or int64");
  int ranks[KN_MAX_RANK + 1], op_lab[(KN_MAX_RANK + 1) * KN_MAX_RANK], out_lab[KN_MAX_RANK], nout;
  for (int q = 0; q < nops; q++) {
    const ir_type *t = kc_in(g, n, q);
    if (!t || t->dtype != dt || t->rank < 0) return kc_decline(kn, n, "operands must share one dtype");
    ranks[q] = t->rank;
  }
  if (ir_einsum_parse(kn, n, eq, nops, ranks, op_lab, out_lab, &nout) != KN_OK)
    return kc_decline(kn, n, "the equation does not fit the operands");
  enum { NL = KK_NN_EINSUM_MAX_LABELS };
  int64_t ldim[NL], dims[NL], strides[KK_NN_EINSUM_MAX_OPS * NL] = {0};
  int pos[NL], nlab = 0;
  bool have[NL] = {false};
  for (int q = 0; q < nops; q++)
    for (int ax = 0; ax < ranks[q]; ax++) {
      int l = op_lab[q * KN_MAX_RANK + ax];
      int64_t d = kc_in(g, n, q)->dims[ax];
      if (l < 0 || l >= NL) return kc_decline(kn, n, "too many labels");
      if (!have[l] || ldim[l] == 1) ldim[l] = d;
      else if (d != 1 && d != ldim[l]) return kc_decline(kn, n, "label sizes disagree");
      have[l] = true;
    }
  for (int i = 0; i < NL; i++) pos[i] = -1;
  for (int i = 0; i < nout; i++) {
    if (out_lab[i] < 0 || out_lab[i] >= NL) return kc_decline(kn, n, "too many labels");
    pos[out_lab[i]] = nlab;
    dims[nlab++] = have[out_lab[i]] ? ldim[out_lab[i]] : 1;
  }
  for (int l = 0; l < NL; l++)
    if (have[l] && pos[l] < 0) pos[l] = nlab, dims[nlab++] = ldim[l];
  for (int q = 0; q < nops; q++) {
    const ir_type *t = kc_in(g, n, q);
    int64_t st = 1;
    for (int ax = ranks[q] - 1; ax >= 0; ax--) {
      if (t->dims[ax] != 1) strides[q * nlab + pos[op_lab[q * KN_MAX_RANK + ax]]] += st;
      st *= t->dims[ax];
    }
  }
  if (!y || y->dtype != dt || y->rank != nout) return kc_decline(kn, n, "the output does not fit the equation");
  for (int i = 0; i < nout; i++)
    if (y->dims[i] != dims[i]) return kc_decline(kn, n, "the output does not fit the equation");
  size_t nv = (size_t)nlab * (size_t)(1 + nops);
  kk_einsum_params *e = kc_params(kn, p, "kk_call_einsum", sizeof *e + nv * sizeof(int64_t));
  if (!e) return KN_ENOMEM;
  e->dt = dt, e->nops = nops, e->nlab = nlab, e->nout = nout;
  for (int l = 0; l < nlab; l++) e->v[l] = dims[l];
  for (int i = 0; i < nops * nlab; i++) e->v[nlab + i] = strides[i];
  return KN_OK;
}

kn_status kc_plan_Det(kn_ctx *kn, const ir_graph *g, const ir_node *n, kc_plan *p) {
  const ir_type *x = kc_in(g, n, 0), *y = kc_out(g, n, 0);
  if (!x || (x->dtype != KN_F32 && x->dtype != KN_F64) || !y || y->dtype != x->dtype)
    return kc_decline(kn, n, "Det needs f32 or f64 data (f16/bf16 run on the reference kernel)");
  int r = x->rank;
  if (r < 2 || x->dims[r - 1] != x->dims[r - 2]) return kc_decline(kn, n, "the input is not square matrices");
  int64_t m = x->dims[r - 1], batch = kn_dims_numel(r - 2, x->dims);
  if (kn_dims_numel(y->rank, y->dims) != batch)
    return kc_decline(kn, n, "the output does not have one entry per matrix");
  kk_det_params *q = kc_params(kn, p, "kk_call_det", sizeof *q);
  if (!q) return KN_ENOMEM;
  *q = (kk_det_params){.dt = x->dtype, .batch = batch, .m = m};
  p->scratch_bytes = batch > 0 ? m * m * (int64_t)sizeof(double) : 0;
  return KN_OK;
}
