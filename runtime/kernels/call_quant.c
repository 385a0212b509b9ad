/* call_quant.c: kernel-call thunks (k_call_nn.h) of QuantizeLinear and
 * DequantizeLinear, as the reference adapters run them
 * (runtime/ref/exec_reduce.c): scale (and Quantize's input) as f32 copies
 * unless they are f32, Dequantize's result computed in f32 and converted to
 * the output's float dtype. */
#include "call_cvt.h"
#include "k_reduce.h"

int64_t kk_call_quantize(const void *params, void *const *buf) {
  const kk_quant_params *p = params;
  void *scratch = buf[4];
  const float *x = kk_cvt_in(&p->x, buf[0], scratch), *s = kk_cvt_in(&p->s, buf[1], scratch);
  const void *zp = p->has_zp ? buf[2] : (void *)0;
  void *y = buf[3];
  switch (p->qdt) {
  case KK_U8: kk_reduce_quantize_f32_u8(x, s, zp, y, p->outer, p->ch, p->inner); break;
  case KK_I8: kk_reduce_quantize_f32_i8(x, s, zp, y, p->outer, p->ch, p->inner); break;
  case KK_U16: kk_reduce_quantize_f32_u16(x, s, zp, y, p->outer, p->ch, p->inner); break;
  case KK_I16: kk_reduce_quantize_f32_i16(x, s, zp, y, p->outer, p->ch, p->inner); break;
  default: return 0;
  }
  return KK_CALL_OK;
}

int64_t kk_call_dequantize(const void *params, void *const *buf) {
  const kk_quant_params *p = params;
  void *scratch = buf[4];
  const float *s = kk_cvt_in(&p->s, buf[1], scratch);
  const void *x = buf[0], *zp = p->has_zp ? buf[2] : (void *)0;
  float *y = kk_cvt_dst(&p->y, buf[3], scratch);
  switch (p->qdt) {
  case KK_U8: kk_reduce_dequantize_u8_f32(x, s, zp, y, p->outer, p->ch, p->inner); break;
  case KK_I8: kk_reduce_dequantize_i8_f32(x, s, zp, y, p->outer, p->ch, p->inner); break;
  case KK_U16: kk_reduce_dequantize_u16_f32(x, s, zp, y, p->outer, p->ch, p->inner); break;
  case KK_I16: kk_reduce_dequantize_i16_f32(x, s, zp, y, p->outer, p->ch, p->inner); break;
  case KK_I32: kk_reduce_dequantize_i32_f32(x, s, zp, y, p->outer, p->ch, p->inner); break;
  default: return 0;
  }
  kk_cvt_out(&p->y, buf[3], scratch);
  return KK_CALL_OK;
}
