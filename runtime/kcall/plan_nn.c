/* plan_nn.c: kernel-call plans (kcall.h) of Gemm (for the nodes its
 * generated code declines) and ConvTranspose, made as the reference adapters
 * make them at run time (runtime/ref/exec_nn.c): Gemm's sizes, C's broadcast
 * strides and B^T's scratch; ConvTranspose's window from ir_nn_win_make (the
 * geometry shape inference used), with the roles of image and grid swapped.
 * f16/bf16 operands compute in f32 copies, as the adapters' via_f32. */
#include "plan_cvt.h"

static bool gemm_dtype(int dt) {
  return dt == KN_F32 || dt == KN_F64 || dt == KN_I32 || dt == KN_I64 || dt == KN_U32 || dt == KN_U64;
}

/* an integer GEMM's alpha/beta: the float attribute truncated, when it fits */
static bool int_scalar(float v, int64_t *out) {
  if (!(v > -9.2e18f && v < 9.2e18f)) return false;
  *out = (int64_t)v;
  return true;
}

kn_status kc_plan_Gemm(kn_ctx *kn, const ir_graph *g, const ir_node *n, kc_plan *p) {
  const ir_type *a = kc_in(g, n, 0), *b = kc_in(g, n, 1), *c = kc_in(g, n, 2), *y = kc_out(g, n, 0);
  if (!kc_concrete(a) || !kc_concrete(b) || !kc_concrete(y) || (c && !kc_concrete(c)))
    return kc_decline(kn, n, "Gemm needs static shapes");
  const int ct = kc_widen(a->dtype);
  if (!gemm_dtype(ct) || kc_widen(b->dtype) != ct || kc_widen(y->dtype) != ct || (c && kc_widen(c->dtype) != ct))
    return kc_decline(kn, n, "Gemm needs one dtype of f32, f64, f16, bf16, i32, i64, u32 or u64");
  if (a->rank != 2 || b->rank != 2 || y->rank != 2) return kc_decline(kn, n, "Gemm needs matrices");
  const int ta = ir_attr_i(n, "transA") != 0, tb = ir_attr_i(n, "transB") != 0;
  const float alpha = ir_attr_f(n, "alpha"), beta = ir_attr_f(n, "beta");
  const int64_t M = a->dims[ta], K = a->dims[!ta], N = b->dims[!tb];
  if (b->dims[tb] != K || y->dims[0] != M || y->dims[1] != N) return kc_decline(kn, n, "Gemm's shapes do not match");
  const bool fill_c = c && beta != 0;
  int64_t crs = 0, ccs = 0; /* C's broadcast strides over [M, N] */
  if (fill_c) {
    if (c->rank > 2) return kc_decline(kn, n, "C does not broadcast to the output");
    for (int i = 0; i < c->rank; i++) {
      int64_t d = c->dims[i], want = i == c->rank - 1 ? N : M;
      if (d != 1 && d != want) return kc_decline(kn, n, "C does not broadcast to the output");
    }
    if (c->rank == 2) crs = c->dims[0] == 1 ? 0 : c->dims[1];
    if (c->rank >= 1) ccs = c->dims[c->rank - 1] == 1 ? 0 : 1;
  }
  int64_t ialpha = 0, ibeta = 0;
  if (!kn_dtype_is_float(ct) && (!int_scalar(alpha, &ialpha) || !int_scalar(beta, &ibeta)))
    return kc_decline(kn, n, "alpha or beta out of the integer range");
  kk_gemm_params *q = kc_params(kn, p, "kk_call_gemm", sizeof *q);
  if (!q) return KN_ENOMEM;
  *q = (kk_gemm_params){.ct = ct, .ta = ta, .tb = tb, .fill_c = fill_c, .alpha = alpha, .beta = beta,
                        .ialpha = ialpha, .ibeta = ibeta, .M = M, .N = N, .K = K, .crs = crs, .ccs = ccs};
  q->a = kc_cvt(p, a->dtype, ct, ir_type_numel(a));
  q->b = kc_cvt(p, b->dtype, ct, ir_type_numel(b));
  q->c = kc_cvt(p, fill_c ? c->dtype : 0, ct, fill_c ? ir_type_numel(c) : 0);
  q->y = kc_cvt(p, y->dtype, ct, ir_type_numel(y));
  if (tb) q->bt_off = kc_scratch(p, K * N * (int64_t)kn_dtype_size(ct));
  return KN_OK;
}

kn_status kc_plan_ConvTranspose(kn_ctx *kn, const ir_graph *g, const ir_node *n, kc_plan *p) {
  const ir_type *x = kc_in(g, n, 0), *w = kc_in(g, n, 1), *b = kc_in(g, n, 2), *y = kc_out(g, n, 0);
  if (!kc_concrete(x) || !kc_concrete(w) || !kc_concrete(y) || (b && !kc_concrete(b)))
    return kc_decline(kn, n, "ConvTranspose needs static shapes");
  const int ct = kc_widen(x->dtype);
  if ((ct != KN_F32 && ct != KN_F64) || kc_widen(w->dtype) != ct || kc_widen(y->dtype) != ct ||
      (b && kc_widen(b->dtype) != ct))
    return kc_decline(kn, n, "ConvTranspose needs one float dtype");
  const int nsp = x->rank - 2;
  if (nsp < 1 || nsp > KK_NN_SP || w->rank != x->rank || y->rank != x->rank)
    return kc_decline(kn, n, "ConvTranspose needs [N, C, 1 to 3 spatial dims]");
  int64_t out[KN_MAX_RANK];
  kk_nn_win win;
  if (ir_nn_win_make(kn, n, x->rank, x->dims, w->dims + 2, &win, out) != KN_OK)
    return kc_decline(kn, n, "the window attributes do not fit the shapes");
  const int64_t group = ir_attr_i(n, "group"), C = x->dims[1];
  if (group < 1 || C % group || w->dims[0] != C) return kc_decline(kn, n, "channels do not match the weight");
  const int64_t M = w->dims[1] * group;
  if (b && ir_type_numel(b) != M) return kc_decline(kn, n, "bad bias size");
  kk_conv_transpose_params *q = kc_params(kn, p, "kk_call_conv_transpose", sizeof *q);
  if (!q) return KN_ENOMEM;
  *q = (kk_conv_transpose_params){.ct = ct, .has_bias = b != NULL, .N = x->dims[0], .C = C, .M = M,
                                  .group = group, .kprod = 1, .isz = 1, .osz = 1};
  if (y->dims[0] != q->N || y->dims[1] != M) return kc_decline(kn, n, "the output does not match");
  for (int s = 0; s < nsp; s++)
    if (y->dims[2 + s] != out[s]) return kc_decline(kn, n, "the output does not match the window");
  q->w = win; /* ConvTranspose's roles: the window's image is y, its grid x */
  for (int i = 0; i < KK_NN_SP; i++) {
    q->isz *= q->w.out[i];
    q->osz *= q->w.in[i];
    q->kprod *= q->w.k[i];
  }
  if (ir_type_numel(w) != C * (M / group) * q->kprod) return kc_decline(kn, n, "the weight does not match the kernel");
  q->x = kc_cvt(p, x->dtype, ct, ir_type_numel(x));
  q->wt = kc_cvt(p, w->dtype, ct, ir_type_numel(w));
  q->b = kc_cvt(p, b ? b->dtype : 0, ct, b ? M : 0);
  q->y = kc_cvt(p, y->dtype, ct, ir_type_numel(y));
  q->col_off = kc_scratch(p, (M / group) * q->kprod * q->isz * (int64_t)kn_dtype_size(ct));
  return KN_OK;
}
