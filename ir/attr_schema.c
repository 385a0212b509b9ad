/* attr_schema.c: the attributes ONNX defines for the ops kiln knows, each
 * with the type ONNX gives it and, where ONNX defines one, its default, so
 * both live in one place (ir.h, "attribute schema"). The importer refuses an
 * attribute of another type (frontend/onnx_attr_kinds.c) and the writer
 * writes ONNX's type; the typed getters (attr_typed.c) take an absent
 * attribute's default from here for the node's op. ONNX gives an attribute
 * name one type across its ops, so most rows are by name (any op); a row for
 * one op, or for one op up to an opset, wins over them: an older opset's
 * type (Cast-1's string `to`), and the defaults that differ by op (`alpha`,
 * `beta`, `bias`, `mode`, `reduction`, `axis`). A row by name carries a
 * default only when every op that has the attribute shares it. Defaults are
 * those of the IR form (the newest ONNX form); attributes ONNX requires
 * (Cast's `to`, DepthToSpace's `blocksize`, LRN's `size`, ...) have none. */
#include "ir.h"
#include <string.h>

#define ANY IR_ATTR_ANY_OP
/* a row without a default: name, op (ANY or IR_OP_x), the last opset it
 * holds for (0: every opset), kind */
#define K(name, op, until, kind) {name, op, until, IR_ATTR_##kind, false, 0, 0.0f, NULL}
/* rows with ONNX's default, of every opset */
#define DI(name, op, v) {name, op, 0, IR_ATTR_INT, true, v, 0.0f, NULL}
#define DF(name, op, v) {name, op, 0, IR_ATTR_FLOAT, true, 0, v, NULL}
#define DS(name, op, v) {name, op, 0, IR_ATTR_STRING, true, 0, 0.0f, v}
#define OPX(x) IR_OP_##x

static const ir_attr_schema rows[] = {
    /* an older opset's type */
    K("to", OPX(Cast), 5, STRING),   /* Cast-1 named the type as a string */
    K("p", OPX(LpPool), 1, FLOAT),   /* LpPool-1's p was a float */
    /* defaults that differ by op */
    DF("alpha", OPX(LeakyRelu), 0.01f),
    DF("alpha", OPX(Elu), 1.0f),
    DF("alpha", OPX(Celu), 1.0f),
    DF("alpha", OPX(ThresholdedRelu), 1.0f),
    DF("alpha", OPX(Selu), 1.67326319217681884765625f),
    DF("alpha", OPX(HardSigmoid), 0.2f),
    DF("alpha", OPX(Gemm), 1.0f),
    DF("alpha", OPX(FusedGemm), 1.0f), /* kiln's Gemm with an epilogue keeps Gemm's attributes */
    DF("alpha", OPX(LRN), 1e-4f),
    DF("beta", OPX(HardSigmoid), 0.5f),
    DF("beta", OPX(Gemm), 1.0f),
    DF("beta", OPX(FusedGemm), 1.0f),
    DF("beta", OPX(LRN), 0.75f),
    DF("bias", OPX(Shrink), 0.0f),
    DF("bias", OPX(LRN), 1.0f),
    DS("mode", OPX(Pad), "constant"),
    DS("mode", OPX(Resize), "nearest"),
    DS("mode", OPX(DepthToSpace), "DCR"),
    DS("mode", OPX(RoiAlign), "avg"),
    DS("reduction", OPX(NegativeLogLikelihoodLoss), "mean"),
    DS("reduction", OPX(SoftmaxCrossEntropyLoss), "mean"),
    DS("reduction", OPX(ScatterND), "none"),
    DS("reduction", OPX(ScatterElements), "none"),
    /* axis (read through ir_op_axis; Concat's is required, an absent
     * Compress axis means the flattened input) */
    DI("axis", OPX(Softmax), -1),
    DI("axis", OPX(LogSoftmax), -1),
    DI("axis", OPX(Hardmax), -1),
    DI("axis", OPX(LpNormalization), -1),
    DI("axis", OPX(LayerNormalization), -1),
    DI("axis", OPX(TopK), -1),
    DI("axis", OPX(OneHot), -1),
    DI("axis", OPX(Flatten), 1),
    DI("axis", OPX(QuantizeLinear), 1),
    DI("axis", OPX(DequantizeLinear), 1),
    DI("axis", OPX(Split), 0),
    DI("axis", OPX(Gather), 0),
    DI("axis", OPX(GatherElements), 0),
    DI("axis", OPX(ScatterElements), 0),
    DI("axis", OPX(ArgMax), 0),
    DI("axis", OPX(ArgMin), 0),
    /* single-op types */
    K("seed", OPX(Dropout), 0, INT),
    K("value", OPX(ConstantOfShape), 0, TENSOR),
    DF("value", OPX(Pad), 0.0f), /* Pad before opset 11 */
    /* by name, for every op */
    K("alpha", ANY, 0, FLOAT),
    DI("allowzero", ANY, 0),
    DI("antialias", ANY, 0),
    DS("approximate", ANY, "none"),
    DS("auto_pad", ANY, "NOTSET"),
    K("axes", ANY, 0, INTS),
    K("axis", ANY, 0, INT),
    DI("batch_axis", ANY, 1),
    DI("batch_dims", ANY, 0),
    K("beta", ANY, 0, FLOAT),
    K("bias", ANY, 0, FLOAT),
    DI("block_size", ANY, 0),
    K("blocksize", ANY, 0, INT),
    K("body", ANY, 0, GRAPH),
    DI("broadcast", ANY, 0),
    DI("ceil_mode", ANY, 0),
    DI("center_point_box", ANY, 0),
    K("consumed_inputs", ANY, 0, INTS),
    DS("coordinate_transformation_mode", ANY, "half_pixel"),
    DI("count_include_pad", ANY, 0),
    DF("cubic_coeff_a", ANY, -0.75f),
    DI("detect_negative", ANY, 1),
    DI("detect_positive", ANY, 1),
    K("dilations", ANY, 0, INTS),
    K("direction", ANY, 0, STRING),
    K("dtype", ANY, 0, INT),
    K("else_branch", ANY, 0, GRAPH),
    K("end", ANY, 0, INT), /* Shape's end: the rank */
    K("ends", ANY, 0, INTS),
    DF("epsilon", ANY, 1e-5f),
    K("equation", ANY, 0, STRING),
    DI("exclude_outside", ANY, 0),
    DI("exclusive", ANY, 0),
    DF("extrapolation_value", ANY, 0.0f),
    DI("fmod", ANY, 0),
    DF("gamma", ANY, 1.05070102214813232421875f), /* Selu */
    DI("group", ANY, 1),
    K("ignore_index", ANY, 0, INT),
    DI("is_test", ANY, 0),
    DI("k", ANY, 0), /* EyeLike */
    DS("keep_aspect_ratio_policy", ANY, "stretch"),
    DI("keepdims", ANY, 1),
    K("kernel_shape", ANY, 0, INTS),
    DF("lambd", ANY, 0.5f),
    DI("largest", ANY, 1),
    K("max", ANY, 0, FLOAT),
    K("min", ANY, 0, FLOAT),
    K("mode", ANY, 0, STRING),
    DF("momentum", ANY, 0.9f),
    DS("nearest_mode", ANY, "round_prefer_floor"),
    DI("noop_with_empty_axes", ANY, 0),
    K("num_groups", ANY, 0, INT),
    K("num_outputs", ANY, 0, INT),
    DI("output_datatype", ANY, KN_F32),
    DI("output_dtype", ANY, 0), /* 0: the zero point's type, else uint8 (QuantizeLinear) */
    DI("output_height", ANY, 1),
    K("output_padding", ANY, 0, INTS),
    K("output_shape", ANY, 0, INTS),
    DI("output_width", ANY, 1),
    DI("p", ANY, 2),
    K("pads", ANY, 0, INTS),
    DI("periodic", ANY, 1),
    K("perm", ANY, 0, INTS),
    DF("ratio", ANY, 0.5f),
    K("reduction", ANY, 0, STRING),
    DI("reverse", ANY, 0),
    DI("sampling_ratio", ANY, 0),
    DI("saturate", ANY, 1),
    K("scales", ANY, 0, FLOATS),
    DI("select_last_index", ANY, 0),
    K("size", ANY, 0, INT),
    DI("sorted", ANY, 1),
    DI("spatial", ANY, 1),
    DF("spatial_scale", ANY, 1.0f),
    K("split", ANY, 0, INTS),
    DI("start", ANY, 0), /* Shape */
    DI("stash_type", ANY, KN_F32),
    K("starts", ANY, 0, INTS),
    DI("storage_order", ANY, 0),
    K("strides", ANY, 0, INTS),
    K("then_branch", ANY, 0, GRAPH),
    DI("time_axis", ANY, 0),
    K("to", ANY, 0, INT),
    DI("training_mode", ANY, 0),
    DI("transA", ANY, 0),
    DI("transB", ANY, 0),
    DI("upper", ANY, 1),
};

#undef ANY
#undef K
#undef DI
#undef DF
#undef DS
#undef OPX

const ir_attr_schema *ir_attr_schema_rows(size_t *count) {
  *count = sizeof rows / sizeof rows[0];
  return rows;
}

const ir_attr_schema *ir_attr_schema_find(int op, const char *name, int opset) {
  const ir_attr_schema *any = NULL;
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    const ir_attr_schema *r = &rows[i];
    if (strcmp(r->name, name) != 0) continue;
    if (r->until && (opset <= 0 || opset > r->until)) continue;
    if (r->op == IR_ATTR_ANY_OP) {
      if (!any) any = r;
    } else if (r->op == op) {
      return r;
    }
  }
  return any;
}
