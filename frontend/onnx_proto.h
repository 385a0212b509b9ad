/* onnx_proto.h: frontend-internal helpers that touch the generated protobuf-c
 * structs (kept out of frontend.h so users of the frontend don't see them). */
#ifndef KILN_ONNX_PROTO_H
#define KILN_ONNX_PROTO_H

#include "frontend.h"
#include "onnx.pb-c.h"

/* Decodes a TensorProto (raw, typed or external data under `dir`) into t. */
kn_status onnx_tensor_from_proto(kn_ctx *ctx, const KilnOnnx__TensorProto *tp, const char *dir,
                                 kn_tensor *t);

/* Checks a serialized ModelProto's wire format (tags, varints, lengths) and
 * refuses subgraphs or types nested past fixed bounds, so protobuf-c's
 * recursive unpack cannot overflow the stack; onnx_wire_depth.c. Call it on
 * every ModelProto before kiln_onnx__model_proto__unpack. */
kn_status onnx_wire_check_model(kn_ctx *ctx, const uint8_t *buf, size_t len, const char *display);

/* The name errors give node np (the index-th of its graph): its name, or
 * OPTYPE_INDEX for an unnamed node (formatted into buf); onnx_names.c. */
const char *onnx_node_label(const KilnOnnx__NodeProto *np, size_t index, char *buf, size_t size);
/* Refuses a graph that defines a value name twice: a graph input listed
 * twice, or a node output named like a graph input, an initializer or an
 * earlier output (an initializer listed as an input is valid); onnx_names.c. */
kn_status onnx_check_value_names(kn_ctx *ctx, const KilnOnnx__GraphProto *gp, const char *graph_name);
/* Refuses an attribute of node n (ONNX op op_type at opset) whose type is not
 * the one ONNX gives that attribute, naming the node, op and attribute;
 * attributes the IR's schema (ir/attr_schema.c) does not list are not
 * checked; onnx_attr_kinds.c. */
kn_status onnx_check_attr_kinds(kn_ctx *ctx, const ir_node *n, const char *node_label, const char *op_type, int opset);
/* The ir_attr_kind ONNX gives attribute `name` of op_type at opset, by the
 * IR's attribute schema; 0 when the schema does not list it. */
int onnx_attr_expected_kind(const char *name, const char *op_type, int opset);
/* ONNX's name of an attribute type (the IR kinds use the same numbers). */
const char *onnx_attr_kind_name(int kind);

/* Reads tp's external data from a regular file inside the folder dir into t
 * (allocated to tp's shape); external_data.c. */
kn_status onnx_read_external(kn_ctx *ctx, const KilnOnnx__TensorProto *tp, const char *dir, kn_tensor *t);

/* Fills tp to hold t (dims and raw_data point into t, nothing is copied);
 * kiln's tensors are host order, and kiln runs on little-endian hosts only. */
void onnx_tensor_to_proto(const kn_tensor *t, const char *name, KilnOnnx__TensorProto *tp);

/* ===== onnx_export_opset.c ===== */
/* The default-domain opsets that can express a graph: every node's IR form is
 * valid in lo..hi; lo_by/hi_by name the node that set each bound. Fails,
 * naming the node, on kiln-internal ops (they have no ONNX form). */
typedef struct onnx_opset_need {
  int lo, hi;
  char lo_by[200], hi_by[200];
} onnx_opset_need;
kn_status onnx_export_opset_need(kn_ctx *ctx, const ir_graph *g, onnx_opset_need *need);
bool onnx_op_exportable(ir_op op);

/* Legacy-form conversion (onnx_legacy.c): rewrites an ONNX node of an older
 * opset into kiln's IR form (the newest ONNX form). Called after the node's
 * inputs, outputs and attributes are in place. */
kn_status onnx_upgrade_node(ir_graph *g, ir_id node, const char *op_type, int opset);
/* Maps an ONNX op type (plus opset) to an IR op; -1 when unsupported. */
int onnx_map_op(kn_ctx *kn, const char *node, const char *op_type, int opset);

#endif
