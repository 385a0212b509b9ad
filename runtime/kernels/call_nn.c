/* call_nn.c: kernel-call thunks (k_call_nn.h) of Gemm (the nodes its
 * generated code declines: dtypes other than f32, beta with a run-time C,
 * K == 0) and ConvTranspose, as the reference adapters run them
 * (runtime/ref/exec_nn.c), f16/bf16 widened to f32 around them. The GEMM
 * kernel accumulates into its output, and compiled code's buffers are not
 * zeroed, so each thunk first writes beta * C or zeros. */
#include "call_cvt.h"

#define GEMM_CASE(T, S, ALPHA, BETA, TRANSPOSE)                                                    \
  do {                                                                                             \
    T *yy = y;                                                                                     \
    const T *cc = c;                                                                               \
    if (p->fill_c) {                                                                               \
      const T bt = (T)(BETA);                                                                      \
      for (int64_t i = 0; i < M; i++)                                                              \
        for (int64_t j = 0; j < N; j++) yy[i * N + j] = bt * cc[i * p->crs + j * p->ccs];          \
    } else {                                                                                       \
      for (int64_t i = 0; i < M * N; i++) yy[i] = 0;                                               \
    }                                                                                              \
    if (M == 0 || N == 0 || K == 0) break;                                                         \
    const T *bp = b;                                                                               \
    if (p->tb) { /* the GEMM kernel wants B's rows contiguous: B^T -> [K, N] */                    \
      T *bt = (T *)(void *)((char *)scratch + p->bt_off);                                          \
      TRANSPOSE(N, K, b, K, (void *)bt, N);                                                        \
      bp = bt;                                                                                     \
    }                                                                                              \
    kk_nn_gemm_##S(M, N, K, (T)(ALPHA), a, p->ta ? 1 : K, p->ta ? M : 1, bp, N, yy, N);            \
  } while (0)

int64_t kk_call_gemm(const void *params, void *const *buf) {
  const kk_gemm_params *p = params;
  void *scratch = buf[4];
  const int64_t M = p->M, N = p->N, K = p->K;
  const void *a = kk_cvt_in(&p->a, buf[0], scratch), *b = kk_cvt_in(&p->b, buf[1], scratch);
  const void *c = kk_cvt_in(&p->c, buf[2], scratch);
  void *y = kk_cvt_dst(&p->y, buf[3], scratch);
  switch (p->ct) {
  case KK_F32: GEMM_CASE(float, f32, p->alpha, p->beta, kk_nn_transpose_f32); break;
  case KK_F64: GEMM_CASE(double, f64, p->alpha, p->beta, kk_nn_transpose_f64); break;
  case KK_I32: GEMM_CASE(int32_t, i32, p->ialpha, p->ibeta, kk_nn_transpose_i32); break;
  case KK_I64: GEMM_CASE(int64_t, i64, p->ialpha, p->ibeta, kk_nn_transpose_i64); break;
  case KK_U32: GEMM_CASE(uint32_t, u32, p->ialpha, p->ibeta, kk_nn_transpose_i32); break;
  case KK_U64: GEMM_CASE(uint64_t, u64, p->ialpha, p->ibeta, kk_nn_transpose_i64); break;
  default: return 0;
  }
  kk_cvt_out(&p->y, buf[3], scratch);
  return KK_CALL_OK;
}
#undef GEMM_CASE

/* col = W_g^T x_g (GEMM), then col2im scatters col into y (zeroed first) */
#define CONVT_CASE(T, S)                                                                           \
  do {                                                                                             \
    const T *x = xc, *wt = wc;                                                                     \
    T *y = yc, *col = (T *)(void *)((char *)scratch + p->col_off);                                 \
    const int64_t Cg = p->C / p->group, Mg = p->M / p->group, rows = Mg * p->kprod;                \
    for (int64_t i = 0; i < p->N * p->M * p->osz; i++) y[i] = 0;                                   \
    for (int64_t n = 0; n < p->N; n++)                                                             \
      for (int64_t g = 0; g < p->group; g++) {                                                     \
        for (int64_t i = 0; i < rows * p->isz; i++) col[i] = 0;                                    \
        kk_nn_gemm_##S(rows, p->isz, Cg, 1, wt + g * Cg * rows, 1, rows, x + (n * p->C + g * Cg) * p->isz, \
                       p->isz, col, p->isz);                                                       \
        kk_nn_col2im_##S(&p->w, Mg, col, y + (n * p->M + g * Mg) * p->osz);                        \
      }                                                                                            \
    if (p->has_bias) kk_nn_add_bias_##S(p->N, p->M, p->osz, (const T *)bc, y);                     \
  } while (0)

int64_t kk_call_conv_transpose(const void *params, void *const *buf) {
  const kk_conv_transpose_params *p = params;
  void *scratch = buf[4];
  if (p->N * p->M * p->osz == 0) return KK_CALL_OK;
  const void *xc = kk_cvt_in(&p->x, buf[0], scratch), *wc = kk_cvt_in(&p->wt, buf[1], scratch);
  const void *bc = kk_cvt_in(&p->b, buf[2], scratch);
  void *yc = kk_cvt_dst(&p->y, buf[3], scratch);
  KK_FLOAT_DISPATCH(p->ct, CONVT_CASE, return 0)
  kk_cvt_out(&p->y, buf[3], scratch);
  return KK_CALL_OK;
}
#undef CONVT_CASE
