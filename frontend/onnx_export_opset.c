/* onnx_export_opset.c: which ONNX opsets can express a graph. kiln's IR form of
 * each op is the newest ONNX form (attributes that later opsets made inputs are
 * inputs), so each op needs at least the opset that introduced that form, and
 * some attributes or operand shapes need a later one (or, for
 * GroupNormalization's per-group scale, an earlier one). The table below is
 * also the writer's list of ops that exist in ONNX at all: an op missing from
 * it is kiln-internal (FusedElementwise and the other fusion products) and is
 * refused with the node's name. A new ONNX op in ir/ops.def goes in here too. */
#include "onnx_proto.h"
#include <stdio.h>
#include <string.h>

/* The opset where the op got the signature (inputs, attributes) kiln's IR uses. */
static int op_form_opset(ir_op op) {
  switch (op) {
#define ONNX_OP(name, since) \
  case IR_OP_##name: return since;
    /* elementwise unary */
    ONNX_OP(Abs, 13) ONNX_OP(Neg, 13) ONNX_OP(Reciprocal, 13) ONNX_OP(Floor, 13) ONNX_OP(Ceil, 13)
    ONNX_OP(Round, 11) ONNX_OP(Sign, 13) ONNX_OP(Sqrt, 13) ONNX_OP(Exp, 13) ONNX_OP(Log, 13) ONNX_OP(Erf, 13)
    ONNX_OP(Tanh, 13) ONNX_OP(Sigmoid, 13) ONNX_OP(Relu, 14) ONNX_OP(Sin, 7) ONNX_OP(Cos, 7) ONNX_OP(Tan, 7)
    ONNX_OP(Asin, 7) ONNX_OP(Acos, 7) ONNX_OP(Atan, 7) ONNX_OP(Sinh, 9) ONNX_OP(Cosh, 9) ONNX_OP(Asinh, 9)
    ONNX_OP(Acosh, 9) ONNX_OP(Atanh, 9) ONNX_OP(Softsign, 1) ONNX_OP(Softplus, 1) ONNX_OP(Not, 1)
    ONNX_OP(LeakyRelu, 16) ONNX_OP(Elu, 6) ONNX_OP(Selu, 6) ONNX_OP(Celu, 12) ONNX_OP(HardSigmoid, 6)
    ONNX_OP(HardSwish, 14) ONNX_OP(ThresholdedRelu, 10) ONNX_OP(Shrink, 9) ONNX_OP(Gelu, 20)
    ONNX_OP(Identity, 16) ONNX_OP(IsNaN, 13) ONNX_OP(IsInf, 10) ONNX_OP(Clip, 13) ONNX_OP(Cast, 13)
    ONNX_OP(CastLike, 15) ONNX_OP(Dropout, 13)
    /* elementwise binary / variadic */
    ONNX_OP(Add, 14) ONNX_OP(Sub, 14) ONNX_OP(Mul, 14) ONNX_OP(Div, 14) ONNX_OP(Pow, 15) ONNX_OP(Mod, 13)
    ONNX_OP(PRelu, 16) ONNX_OP(BitShift, 11) ONNX_OP(Min, 13) ONNX_OP(Max, 13) ONNX_OP(Sum, 13)
    ONNX_OP(Mean, 13) ONNX_OP(Equal, 13) ONNX_OP(Less, 13) ONNX_OP(Greater, 13) ONNX_OP(LessOrEqual, 16)
    ONNX_OP(GreaterOrEqual, 16) ONNX_OP(And, 7) ONNX_OP(Or, 7) ONNX_OP(Xor, 7) ONNX_OP(Where, 16)
    /* linear algebra and layers */
    ONNX_OP(MatMul, 13) ONNX_OP(Gemm, 13) ONNX_OP(Einsum, 12) ONNX_OP(Conv, 11) ONNX_OP(ConvTranspose, 11)
    ONNX_OP(MaxPool, 12) ONNX_OP(AveragePool, 11) ONNX_OP(LpPool, 18) ONNX_OP(GlobalAveragePool, 1)
    ONNX_OP(GlobalMaxPool, 1) ONNX_OP(BatchNormalization, 15) ONNX_OP(InstanceNormalization, 6)
    ONNX_OP(LayerNormalization, 17) ONNX_OP(GroupNormalization, 18) ONNX_OP(LRN, 13)
    ONNX_OP(MeanVarianceNormalization, 13) ONNX_OP(LpNormalization, 1) ONNX_OP(Softmax, 13)
    ONNX_OP(LogSoftmax, 13) ONNX_OP(Hardmax, 13) ONNX_OP(NegativeLogLikelihoodLoss, 13)
    ONNX_OP(SoftmaxCrossEntropyLoss, 13) ONNX_OP(Det, 11)
    /* reductions: axes became an input in 13 (ReduceSum) and 18 (the rest) */
    ONNX_OP(ReduceSum, 13) ONNX_OP(ReduceMean, 18) ONNX_OP(ReduceMax, 18) ONNX_OP(ReduceMin, 18)
    ONNX_OP(ReduceProd, 18) ONNX_OP(ReduceL1, 18) ONNX_OP(ReduceL2, 18) ONNX_OP(ReduceLogSum, 18)
    ONNX_OP(ReduceLogSumExp, 18) ONNX_OP(ReduceSumSquare, 18) ONNX_OP(ArgMax, 13) ONNX_OP(ArgMin, 13)
    ONNX_OP(TopK, 11) ONNX_OP(CumSum, 14)
    /* shape and data movement */
    ONNX_OP(Reshape, 14) ONNX_OP(Flatten, 13) ONNX_OP(Squeeze, 13) ONNX_OP(Unsqueeze, 13)
    ONNX_OP(Transpose, 13) ONNX_OP(Concat, 13) ONNX_OP(Split, 13) ONNX_OP(Slice, 13) ONNX_OP(Gather, 13)
    ONNX_OP(GatherElements, 13) ONNX_OP(GatherND, 13) ONNX_OP(ScatterND, 16) ONNX_OP(ScatterElements, 16)
    ONNX_OP(Expand, 13) ONNX_OP(Tile, 13) ONNX_OP(Pad, 13) ONNX_OP(Shape, 15) ONNX_OP(Size, 13)
    ONNX_OP(ConstantOfShape, 9) ONNX_OP(Range, 11) ONNX_OP(EyeLike, 9) ONNX_OP(Trilu, 14) ONNX_OP(OneHot, 11)
    ONNX_OP(DepthToSpace, 13) ONNX_OP(SpaceToDepth, 13) ONNX_OP(NonZero, 13) ONNX_OP(Compress, 11)
    ONNX_OP(ReverseSequence, 10) ONNX_OP(Resize, 13) ONNX_OP(NonMaxSuppression, 11) ONNX_OP(RoiAlign, 16)
    ONNX_OP(HannWindow, 17) ONNX_OP(HammingWindow, 17) ONNX_OP(BlackmanWindow, 17)
    ONNX_OP(QuantizeLinear, 13) ONNX_OP(DequantizeLinear, 13)
    /* control flow */
    ONNX_OP(If, 16) ONNX_OP(Loop, 16)
#undef ONNX_OP
  default: return -1; /* kiln-internal: no ONNX form */
  }
}

bool onnx_op_exportable(ir_op op) { return op_form_opset(op) > 0; }

static bool attr_is(const ir_node *n, const char *name, const char *value) {
  const ir_attr *a = ir_attr_get(n, name);
  return a && a->kind == IR_ATTR_STRING && a->s && (size_t)a->n == strlen(value) && memcmp(a->s, value, (size_t)a->n) == 0;
}

static void raise_lo(onnx_opset_need *need, int v, const ir_node *n, const char *why) {
  if (v <= need->lo) return;
  need->lo = v;
  snprintf(need->lo_by, sizeof need->lo_by, "node %s (%s%s%s)", n->name ? n->name : "?", ir_op_table[n->op].name,
           why ? ": " : "", why ? why : "");
}

static void lower_hi(onnx_opset_need *need, int v, const ir_node *n, const char *why) {
  if (v >= need->hi) return;
  need->hi = v;
  snprintf(need->hi_by, sizeof need->hi_by, "node %s (%s: %s)", n->name ? n->name : "?", ir_op_table[n->op].name, why);
}

static const ir_type *in_type(const ir_graph *g, const ir_node *n, int i) {
  return i < n->nin && n->in[i] != IR_NONE ? &g->values[n->in[i]].type : NULL;
}

/* What one node's attributes and operands add to its op's requirement. */
static void node_need(const ir_graph *g, const ir_node *n, onnx_opset_need *need) {
  raise_lo(need, op_form_opset(n->op), n, NULL);
  switch (n->op) {
  case IR_OP_ReduceMax:
  case IR_OP_ReduceMin: {
    const ir_type *t = in_type(g, n, 0);
    if (t && t->dtype == KN_BOOL) raise_lo(need, 20, n, "bool input");
    break;
  }
  case IR_OP_Split:
    if (ir_attr_get(n, "num_outputs")) raise_lo(need, 18, n, "num_outputs");
    break;
  case IR_OP_ScatterND:
  case IR_OP_ScatterElements:
    if (attr_is(n, "reduction", "min") || attr_is(n, "reduction", "max")) raise_lo(need, 18, n, "reduction min/max");
    break;
  case IR_OP_Pad:
    if (n->nin >= 4 && n->in[3] != IR_NONE) raise_lo(need, 18, n, "axes input");
    if (attr_is(n, "mode", "wrap")) raise_lo(need, 19, n, "mode wrap");
    break;
  case IR_OP_Resize:
    if (ir_attr_get(n, "antialias") || ir_attr_get(n, "axes") || ir_attr_get(n, "keep_aspect_ratio_policy"))
      raise_lo(need, 18, n, "antialias/axes/keep_aspect_ratio_policy");
    if (attr_is(n, "coordinate_transformation_mode", "half_pixel_symmetric"))
      raise_lo(need, 19, n, "half_pixel_symmetric");
    break;
  case IR_OP_AveragePool:
    if (ir_attr_get(n, "dilations")) raise_lo(need, 19, n, "dilations");
    break;
  case IR_OP_Cast:
  case IR_OP_CastLike:
    if (ir_attr_get(n, "saturate")) raise_lo(need, 19, n, "saturate");
    break;
  case IR_OP_QuantizeLinear:
  case IR_OP_DequantizeLinear:
    if (ir_attr_get(n, "saturate")) raise_lo(need, 19, n, "saturate");
    if (ir_attr_get(n, "block_size") || ir_attr_get(n, "output_dtype")) raise_lo(need, 21, n, "block_size/output_dtype");
    break;
  case IR_OP_GroupNormalization: {
    /* opset 18 scales per group, opset 21 per channel; kiln tells them apart
     * by the scale's length (both read the same when groups == channels) */
    const ir_type *x = in_type(g, n, 0), *s = in_type(g, n, 1);
    int64_t groups = ir_attr_int(n, "num_groups", 0);
    int64_t ch = x && x->rank >= 2 ? x->dims[1] : -1;
    int64_t len = s && s->rank == 1 ? s->dims[0] : -1;
    if (len >= 0 && ch >= 0 && ch != groups) {
      if (len == groups) lower_hi(need, 20, n, "scale per group (opset 21 scales per channel)");
      else raise_lo(need, 21, n, "scale per channel");
    }
    break;
  }
  default:
    break;
  }
}

static kn_status graph_need(kn_ctx *ctx, const ir_graph *g, onnx_opset_need *need) {
  for (int32_t i = 0; i < g->nnodes; i++) {
    const ir_node *n = &g->nodes[i];
    if (n->dead) continue;
    if (!onnx_op_exportable(n->op))
      return kn_fail(ctx, KN_EUNSUPPORTED,
                     "node %s: %s is a kiln-internal op with no ONNX form (export the graph before kiln's fusion "
                     "passes: -O0 or -O1)",
                     n->name ? n->name : "?", ir_op_table[n->op].name);
    node_need(g, n, need);
    for (int32_t k = 0; k < n->nattr; k++)
      if (n->attrs[k].kind == IR_ATTR_GRAPH && n->attrs[k].g) KN_TRY(graph_need(ctx, n->attrs[k].g, need));
  }
  return KN_OK;
}

kn_status onnx_export_opset_need(kn_ctx *ctx, const ir_graph *g, onnx_opset_need *need) {
  memset(need, 0, sizeof *need);
  need->lo = 1;
  need->hi = ONNX_MAX_OPSET;
  snprintf(need->hi_by, sizeof need->hi_by, "the newest opset kiln knows");
  return graph_need(ctx, g, need);
}
