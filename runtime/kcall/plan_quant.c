/* plan_quant.c: kernel-call plans (kcall.h) of QuantizeLinear and
 * DequantizeLinear: the [outer, ch, inner] view (per tensor when the scale
 * has one element, else along attribute axis), the quantized dtype, and the
 * f32 copies the reference adapters make (runtime/ref/exec_reduce.c). */
#include "plan_cvt.h"

static bool quant_dtype(int dt, bool dequantize) {
  return dt == KN_U8 || dt == KN_I8 || dt == KN_U16 || dt == KN_I16 || (dequantize && dt == KN_I32);
}

/* Fills the view and the operands both ops share; q->qdt is the quantized side. */
static kn_status plan_common(kn_ctx *kn, const ir_graph *g, const ir_node *n, kc_plan *p, bool dequantize) {
  const ir_type *x = kc_in(g, n, 0), *s = kc_in(g, n, 1), *z = kc_in(g, n, 2), *y = kc_out(g, n, 0);
  if (!kc_concrete(x) || !kc_concrete(s) || !kc_concrete(y) || (z && !kc_concrete(z)) || ir_type_numel(x) != ir_type_numel(y))
    return kc_decline(kn, n, "static shapes needed, the output of the input's");
  const ir_type *q_side = dequantize ? x : y, *f_side = dequantize ? y : x;
  if (!quant_dtype(q_side->dtype, dequantize) || !kn_dtype_is_float(s->dtype) || (z && z->dtype != q_side->dtype))
    return kc_decline(kn, n, "unsupported quantized dtype, or a zero point of another dtype");
  if (!kn_dtype_is_float(f_side->dtype) && !(!dequantize && f_side->dtype == KN_I32))
    return kc_decline(kn, n, "the unquantized side must be float");
  const int64_t ns = ir_type_numel(s);
  int64_t outer = 1, ch = 1, inner = ir_type_numel(x);
  if (z && ir_type_numel(z) != ns) return kc_decline(kn, n, "zero point and scale sizes differ");
  if (ns != 1 && (s->rank != 1 || !kc_axis_view(x, ir_op_axis(n), &outer, &ch, &inner) || ch != ns))
    return kc_decline(kn, n, "the scale does not fit the axis");
  kk_quant_params *q = kc_params(kn, p, dequantize ? "kk_call_dequantize" : "kk_call_quantize", sizeof *q);
  if (!q) return KN_ENOMEM;
  *q = (kk_quant_params){.qdt = q_side->dtype, .has_zp = z != NULL, .outer = outer, .ch = ch, .inner = inner};
  q->s = kc_cvt(p, s->dtype, KN_F32, ns);
  if (dequantize) q->y = kc_cvt(p, y->dtype, KN_F32, ir_type_numel(y));
  else q->x = kc_cvt(p, x->dtype, KN_F32, ir_type_numel(x));
  return KN_OK;
}

kn_status kc_plan_QuantizeLinear(kn_ctx *kn, const ir_graph *g, const ir_node *n, kc_plan *p) {
  return plan_common(kn, g, n, p, false);
}

kn_status kc_plan_DequantizeLinear(kn_ctx *kn, const ir_graph *g, const ir_node *n, kc_plan *p) {
  return plan_common(kn, g, n, p, true);
}
