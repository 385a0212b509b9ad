/* op_params.c: attributes every consumer of an op reads (shape inference,
 * the reference executor, the passes, the code generators), decoded in one
 * place with their ONNX defaults, so the default lives once (ir.h, "typed op
 * parameters"). */
#include "ir.h"

float ir_norm_epsilon(const ir_node *n) { return ir_attr_float(n, "epsilon", 1e-5f); }

void ir_unary_params(const ir_node *n, double p[3]) {
  p[0] = p[1] = p[2] = 0;
  switch (n->op) {
  case IR_OP_LeakyRelu: p[0] = ir_attr_float(n, "alpha", 0.01f); break;
  case IR_OP_Elu:
  case IR_OP_Celu:
  case IR_OP_ThresholdedRelu: p[0] = ir_attr_float(n, "alpha", 1.0f); break;
  case IR_OP_Selu:
    p[0] = ir_attr_float(n, "alpha", 1.67326319217681884765625f);
    p[2] = ir_attr_float(n, "gamma", 1.05070102214813232421875f);
    break;
  case IR_OP_HardSigmoid:
    p[0] = ir_attr_float(n, "alpha", 0.2f);
    p[1] = ir_attr_float(n, "beta", 0.5f);
    break;
  case IR_OP_Shrink:
    p[0] = ir_attr_float(n, "lambd", 0.5f);
    p[1] = ir_attr_float(n, "bias", 0.0f);
    break;
  default: break;
  }
}
