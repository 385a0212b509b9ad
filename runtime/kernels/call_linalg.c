/* call_linalg.c: kernel-call thunks (k_call_index.h) of Einsum and Det.
 * Einsum's plan did all of the equation's work at compile time (label
 * sizes, each operand's stride per label), so the thunk only gathers the
 * operand pointers and runs the generic loop nest of k_nn.h; Det runs the
 * LU kernel of k_norm.h with its m*m doubles in scratch. */
#include "call_util.h"
#include "k_call_index.h"
#include "k_nn.h"
#include "k_norm.h"

int64_t kk_call_einsum(const void *params, void *const *buf) {
  const kk_einsum_params *p = params;
  const void *ops[KK_NN_EINSUM_MAX_OPS];
  int nops = p->nops < KK_NN_EINSUM_MAX_OPS ? p->nops : KK_NN_EINSUM_MAX_OPS;
  for (int q = 0; q < nops; q++) ops[q] = buf[q];
  const int64_t *dims = p->v, *strides = p->v + p->nlab;
  void *y = buf[p->nops];
  switch (p->dt) {
  case KK_F32: kk_nn_einsum_f32(nops, (const float *const *)ops, strides, p->nlab, p->nout, dims, y); break;
  case KK_F64: kk_nn_einsum_f64(nops, (const double *const *)ops, strides, p->nlab, p->nout, dims, y); break;
  case KK_I32: kk_nn_einsum_i32(nops, (const int32_t *const *)ops, strides, p->nlab, p->nout, dims, y); break;
  case KK_I64: kk_nn_einsum_i64(nops, (const int64_t *const *)ops, strides, p->nlab, p->nout, dims, y); break;
  default: return 0;
  }
  return KK_CALL_OK;
}

int64_t kk_call_det(const void *params, void *const *buf) {
  const kk_det_params *p = params;
  if (p->batch == 0) return KK_CALL_OK;
  if (p->dt == KK_F64) kk_norm_det_f64(buf[0], buf[1], p->batch, p->m, buf[2]);
  else kk_norm_det_f32(buf[0], buf[1], p->batch, p->m, buf[2]);
  return KK_CALL_OK;
}
