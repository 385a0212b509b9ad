/* onnx_attr_kinds.c: the type ONNX gives each attribute of the default-domain
 * ops kiln imports, checked on import. The IR's attribute getters fall back
 * to the op's default when an attribute has another type (ir_attr_int also
 * converts a FLOAT), so without this check a Softmax whose axis is a FLOAT or
 * a STRING would run with the wrong axis instead of being refused as ONNX
 * Runtime refuses it. ONNX uses each attribute name with one type across its
 * ops, apart from the few op- and opset-specific rows first in the table,
 * so the table is by name. Attributes it does not list are not checked. The
 * writer (onnx_export.c) uses the same table to write ONNX's type. */
#include "onnx_proto.h"
#include <string.h>

typedef struct attr_kind_row {
  const char *name;
  const char *op;  /* NULL: any op */
  int until;       /* the row holds up to this opset (0: every opset) */
  ir_attr_kind kind;
} attr_kind_row;

#define F IR_ATTR_FLOAT
#define I IR_ATTR_INT
#define S IR_ATTR_STRING
#define T IR_ATTR_TENSOR
#define G IR_ATTR_GRAPH
#define FS IR_ATTR_FLOATS
#define IS IR_ATTR_INTS

static const attr_kind_row rows[] = {
    /* op- and opset-specific rows come first: the first matching row decides */
    {"to", "Cast", 5, S},   /* Cast-1 named the type as a string */
    {"p", "LpPool", 1, F},  /* LpPool-1's p was a float */
    {"seed", "Dropout", 0, I},
    {"value", "ConstantOfShape", 0, T},
    {"value", "Pad", 0, F}, /* Pad before opset 11 */
    /* by name, for every op */
    {"alpha", NULL, 0, F},
    {"allowzero", NULL, 0, I},
    {"antialias", NULL, 0, I},
    {"approximate", NULL, 0, S},
    {"auto_pad", NULL, 0, S},
    {"axes", NULL, 0, IS},
    {"axis", NULL, 0, I},
    {"batch_axis", NULL, 0, I},
    {"batch_dims", NULL, 0, I},
    {"beta", NULL, 0, F},
    {"bias", NULL, 0, F},
    {"block_size", NULL, 0, I},
    {"blocksize", NULL, 0, I},
    {"body", NULL, 0, G},
    {"broadcast", NULL, 0, I},
    {"ceil_mode", NULL, 0, I},
    {"center_point_box", NULL, 0, I},
    {"consumed_inputs", NULL, 0, IS},
    {"coordinate_transformation_mode", NULL, 0, S},
    {"count_include_pad", NULL, 0, I},
    {"cubic_coeff_a", NULL, 0, F},
    {"detect_negative", NULL, 0, I},
    {"detect_positive", NULL, 0, I},
    {"dilations", NULL, 0, IS},
    {"direction", NULL, 0, S},
    {"dtype", NULL, 0, I},
    {"else_branch", NULL, 0, G},
    {"end", NULL, 0, I},
    {"ends", NULL, 0, IS},
    {"epsilon", NULL, 0, F},
    {"equation", NULL, 0, S},
    {"exclude_outside", NULL, 0, I},
    {"exclusive", NULL, 0, I},
    {"extrapolation_value", NULL, 0, F},
    {"fmod", NULL, 0, I},
    {"gamma", NULL, 0, F},
    {"group", NULL, 0, I},
    {"ignore_index", NULL, 0, I},
    {"is_test", NULL, 0, I},
    {"k", NULL, 0, I},
    {"keep_aspect_ratio_policy", NULL, 0, S},
    {"keepdims", NULL, 0, I},
    {"kernel_shape", NULL, 0, IS},
    {"lambd", NULL, 0, F},
    {"largest", NULL, 0, I},
    {"max", NULL, 0, F},
    {"min", NULL, 0, F},
    {"mode", NULL, 0, S},
    {"momentum", NULL, 0, F},
    {"nearest_mode", NULL, 0, S},
    {"noop_with_empty_axes", NULL, 0, I},
    {"num_groups", NULL, 0, I},
    {"num_outputs", NULL, 0, I},
    {"output_datatype", NULL, 0, I},
    {"output_dtype", NULL, 0, I},
    {"output_height", NULL, 0, I},
    {"output_padding", NULL, 0, IS},
    {"output_shape", NULL, 0, IS},
    {"output_width", NULL, 0, I},
    {"p", NULL, 0, I},
    {"pads", NULL, 0, IS},
    {"periodic", NULL, 0, I},
    {"perm", NULL, 0, IS},
    {"ratio", NULL, 0, F},
    {"reduction", NULL, 0, S},
    {"reverse", NULL, 0, I},
    {"sampling_ratio", NULL, 0, I},
    {"saturate", NULL, 0, I},
    {"scales", NULL, 0, FS},
    {"select_last_index", NULL, 0, I},
    {"size", NULL, 0, I},
    {"sorted", NULL, 0, I},
    {"spatial", NULL, 0, I},
    {"spatial_scale", NULL, 0, F},
    {"split", NULL, 0, IS},
    {"stash_type", NULL, 0, I},
    {"starts", NULL, 0, IS},
    {"storage_order", NULL, 0, I},
    {"strides", NULL, 0, IS},
    {"then_branch", NULL, 0, G},
    {"time_axis", NULL, 0, I},
    {"to", NULL, 0, I},
    {"training_mode", NULL, 0, I},
    {"transA", NULL, 0, I},
    {"transB", NULL, 0, I},
    {"upper", NULL, 0, I},
};

#undef F
#undef I
#undef S
#undef T
#undef G
#undef FS
#undef IS

const char *onnx_attr_kind_name(int kind) {
  static const char *names[] = {"UNDEFINED", "FLOAT", "INT", "STRING", "TENSOR", "GRAPH", "FLOATS", "INTS", "STRINGS"};
  return kind >= 0 && kind < (int)(sizeof names / sizeof names[0]) ? names[kind] : "an unknown type";
}

int onnx_attr_expected_kind(const char *name, const char *op_type, int opset) {
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    const attr_kind_row *r = &rows[i];
    if (strcmp(r->name, name) != 0) continue;
    if (r->op && strcmp(r->op, op_type) != 0) continue;
    if (r->until && opset > r->until) continue;
    return (int)r->kind;
  }
  return 0;
}

kn_status onnx_check_attr_kinds(kn_ctx *ctx, const ir_node *n, const char *node_label, const char *op_type,
                                int opset) {
  for (int32_t i = 0; i < n->nattr; i++) {
    const ir_attr *a = &n->attrs[i];
    int want = onnx_attr_expected_kind(a->name, op_type, opset);
    if (want && (int)a->kind != want)
      return kn_fail(ctx, KN_EINVAL, "node %s (%s): attribute '%s' is %s, but %s expects %s", node_label, op_type,
                     a->name, onnx_attr_kind_name((int)a->kind), op_type, onnx_attr_kind_name(want));
  }
  return KN_OK;
}
