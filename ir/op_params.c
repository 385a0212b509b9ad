/* op_params.c: attributes every consumer of an op reads (shape inference,
 * the reference executor, the passes, the code generators), decoded in one
 * place with their ONNX defaults, so the default lives once (ir.h, "typed op
 * parameters"); and the kernel library's op code of an op, which the
 * generated code and the kernel-call plans pass to the same kernels. */
#include "ir.h"
#include "k_elementwise.h"
#include "k_reduce.h"
#include <string.h>

float ir_norm_epsilon(const ir_node *n) { return ir_attr_float(n, "epsilon", 1e-5f); }

int64_t ir_op_axis(const ir_node *n) {
  int64_t dflt = 0; /* Concat (required), Split, Gather*, Scatter*, ArgMax/ArgMin, Compress */
  switch (n->op) {
  case IR_OP_Softmax:
  case IR_OP_LogSoftmax:
  case IR_OP_Hardmax: dflt = ir_attr_int(n, "legacy_coerce_2d", 0) ? 1 : -1; break; /* opset < 13 forms */
  case IR_OP_LpNormalization:
  case IR_OP_LayerNormalization:
  case IR_OP_TopK:
  case IR_OP_OneHot: dflt = -1; break;
  case IR_OP_Flatten:
  case IR_OP_QuantizeLinear:
  case IR_OP_DequantizeLinear: dflt = 1; break;
  default: break;
  }
  return ir_attr_int(n, "axis", dflt);
}

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

int ir_reduce_kernel_code(ir_op op) {
  switch (op) {
  case IR_OP_ReduceSum: return KK_REDUCE_SUM;
  case IR_OP_ReduceMean: return KK_REDUCE_MEAN;
  case IR_OP_ReduceMax: return KK_REDUCE_MAX;
  case IR_OP_ReduceMin: return KK_REDUCE_MIN;
  case IR_OP_ReduceProd: return KK_REDUCE_PROD;
  case IR_OP_ReduceL1: return KK_REDUCE_L1;
  case IR_OP_ReduceL2: return KK_REDUCE_L2;
  case IR_OP_ReduceLogSum: return KK_REDUCE_LOGSUM;
  case IR_OP_ReduceLogSumExp: return KK_REDUCE_LOGSUMEXP;
  case IR_OP_ReduceSumSquare: return KK_REDUCE_SUMSQUARE;
  default: return -1;
  }
}

int ir_binary_kernel_code(const ir_node *n) {
  switch (n->op) {
  case IR_OP_Add: case IR_OP_Sum: return KK_EW_ADD;
  case IR_OP_Mean: return KK_EW_ADD; /* then divided by the input count */
  case IR_OP_Sub: return KK_EW_SUB;
  case IR_OP_Mul: return KK_EW_MUL;
  case IR_OP_Div: return KK_EW_DIV;
  case IR_OP_Pow: return KK_EW_POW;
  case IR_OP_Mod: return ir_attr_int(n, "fmod", 0) ? KK_EW_FMOD : KK_EW_MOD;
  case IR_OP_PRelu: return KK_EW_PRELU;
  case IR_OP_Min: return KK_EW_MIN;
  case IR_OP_Max: return KK_EW_MAX;
  case IR_OP_BitShift: {
    const char *dir = ir_attr_str(n, "direction", "");
    return strcmp(dir, "LEFT") == 0 ? KK_EW_SHL : strcmp(dir, "RIGHT") == 0 ? KK_EW_SHR : -1;
  }
  default: return -1;
  }
}
