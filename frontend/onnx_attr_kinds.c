/* onnx_attr_kinds.c: checks on import that each attribute has the type ONNX
 * gives it, by the IR's attribute schema (ir/attr_schema.c). The IR's
 * attribute getters fall back to the op's default when an attribute has
 * another type (ir_attr_int also converts a FLOAT), so without this check a
 * Softmax whose axis is a FLOAT or a STRING would run with the wrong axis
 * instead of being refused as ONNX Runtime refuses it. Attributes the schema
 * does not list are not checked. The writer (onnx_export.c) uses the same
 * lookup to write ONNX's type. */
#include "onnx_proto.h"

const char *onnx_attr_kind_name(int kind) {
  static const char *names[] = {"UNDEFINED", "FLOAT", "INT", "STRING", "TENSOR", "GRAPH", "FLOATS", "INTS", "STRINGS"};
  return kind >= 0 && kind < (int)(sizeof names / sizeof names[0]) ? names[kind] : "an unknown type";
}

int onnx_attr_expected_kind(const char *name, const char *op_type, int opset) {
  const ir_attr_schema *r = ir_attr_schema_find(ir_op_from_name(op_type), name, opset);
  return r ? (int)r->kind : 0;
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
