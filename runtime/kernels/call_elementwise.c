/* call_elementwise.c: kernel-call thunks (k_call_nn.h) of the binary
 * broadcasting family and Dropout. The binary thunk is the reference
 * adapter's ew_binary_impl (runtime/ref/exec_elementwise.c) with its loop
 * plans made at compile time: every input is first brought to the compute
 * dtype (f16 widened, Pow's operands to their common type), all before the
 * first result is written, since the output may share an input's buffer;
 * then y = in0 op in1, y = y op in_i, Mean's division, and the result is
 * cast back through the same dtypes as the adapter's. */
#include "call_cvt.h"

int64_t kk_call_binary(const void *params, void *const *buf) {
  const kk_binary_params *p = params;
  void *y = buf[p->nin], *scratch = buf[p->nin + 1];
  if (p->nin == 1) {
    kk_copy_bytes(y, buf[0], p->copy_bytes);
    return KK_CALL_OK;
  }
  if (p->count == 0) return KK_CALL_OK;
  const void *a = kk_cvt_in(&p->in[0].cv, buf[0], scratch);
  const void *b = kk_cvt_in(&p->in[1].cv, buf[1], scratch);
  void *mid = kk_cvt_dst(&p->y_out, y, scratch);
  void *yc = kk_cvt_dst(&p->y_mid, mid, scratch);
  const int op = p->op;
  for (int i = 1; i < p->nin; i++) {
    const kk_bcast_pair *s = &p->in[i].pair;
    if (i > 1) a = yc, b = kk_cvt_in(&p->in[i].cv, buf[i], scratch);
#define CALL_BINARY(T, S)                                                                          \
  kk_elementwise_binary_##S(op, s->rank, s->dims, (const T *)a, s->sa, (const T *)b, s->sb, (T *)yc)
    KK_NUMERIC_DISPATCH(p->ct, CALL_BINARY, return 0)
#undef CALL_BINARY
  }
  if (p->mean) {
#define CALL_MEAN(T, S)                                                                            \
  do {                                                                                             \
    const T cnt = (T)p->nin;                                                                       \
    kk_elementwise_binary_flat_##S(KK_EW_DIV, p->count, (const T *)yc, 1, &cnt, 0, (T *)yc);       \
  } while (0)
    KK_NUMERIC_DISPATCH(p->ct, CALL_MEAN, return 0)
#undef CALL_MEAN
  }
  kk_cvt_out(&p->y_mid, mid, scratch);
  kk_cvt_out(&p->y_out, y, scratch);
  return KK_CALL_OK;
}

/* Dropping nothing is the identity: training mode with a nonzero ratio
 * (random masks) is refused as input 2's value, as the reference does. */
int64_t kk_call_dropout(const void *params, void *const *buf) {
  const kk_dropout_params *p = params;
  if (p->train_dt && kk_get_f64(buf[2], p->train_dt) != 0) {
    double r = p->ratio_dt ? kk_get_f64(buf[1], p->ratio_dt) : 0.5;
    if (r != 0) return 2;
  }
  kk_copy_bytes(buf[3], buf[0], p->nbytes);
  if (p->mask && buf[4]) kk_fill_bytes(buf[4], 1, p->mask_n);
  return KK_CALL_OK;
}
