/* op_params.c: parameters every consumer of an op reads (shape inference,
 * the reference executor, the passes, the code generators), decoded in one
 * place with their defaults from the attribute schema (attr_schema.c, ir.h
 * "typed op parameters"); and the kernel library's op code of an op, which
 * the generated code and the kernel-call plans pass to the same kernels. */
#include "ir.h"
#include "k_elementwise.h"
#include "k_reduce.h"
#include <string.h>

float ir_norm_epsilon(const ir_node *n) { return ir_attr_f(n, "epsilon"); }

int64_t ir_op_axis(const ir_node *n) {
  /* the pre-13 softmax family (kiln's legacy_coerce_2d) defaults to 1; ops
   * whose axis has no ONNX default (Concat requires it) read 0 */
  bool softmax = n->op == IR_OP_Softmax || n->op == IR_OP_LogSoftmax || n->op == IR_OP_Hardmax;
  if (softmax && ir_attr_int(n, "legacy_coerce_2d", 0)) return ir_attr_int(n, "axis", 1);
  const ir_attr_schema *r = ir_attr_schema_find((int)n->op, "axis", 0);
  return ir_attr_int(n, "axis", r && r->has_default ? r->i : 0);
}

void ir_unary_params(const ir_node *n, double p[3]) {
  p[0] = p[1] = p[2] = 0;
  switch (n->op) {
  case IR_OP_LeakyRelu:
  case IR_OP_Elu:
  case IR_OP_Celu:
  case IR_OP_ThresholdedRelu: p[0] = ir_attr_f(n, "alpha"); break;
  case IR_OP_Selu:
    p[0] = ir_attr_f(n, "alpha");
    p[2] = ir_attr_f(n, "gamma");
    break;
  case IR_OP_HardSigmoid:
    p[0] = ir_attr_f(n, "alpha");
    p[1] = ir_attr_f(n, "beta");
    break;
  case IR_OP_Shrink:
    p[0] = ir_attr_f(n, "lambd");
    p[1] = ir_attr_f(n, "bias");
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
  case IR_OP_Mod: return ir_attr_i(n, "fmod") ? KK_EW_FMOD : KK_EW_MOD;
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

bool ir_compress_view_of(const ir_node *n, int rank, const int64_t *dims, ir_compress_view *v) {
  *v = (ir_compress_view){1, kn_dims_prod(dims, 0, rank), 1, 0};
  if (!ir_attr_get(n, "axis")) return true;
  int64_t a = ir_op_axis(n);
  if (a < -rank || a >= rank) return false;
  v->axis = (int)(a < 0 ? a + rank : a);
  v->outer = kn_dims_prod(dims, 0, v->axis);
  v->extent = dims[v->axis];
  v->inner = kn_dims_prod(dims, v->axis + 1, rank);
  return true;
}
