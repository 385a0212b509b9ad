/* onnx_proto.h: frontend-internal helpers that touch the generated protobuf-c
 * structs (kept out of frontend.h so users of the frontend don't see them). */
#ifndef KILN_ONNX_PROTO_H
#define KILN_ONNX_PROTO_H

#include "frontend.h"
#include "onnx.pb-c.h"

/* Decodes a TensorProto (raw, typed or external data under `dir`) into t. */
kn_status onnx_tensor_from_proto(kn_ctx *ctx, const KilnOnnx__TensorProto *tp, const char *dir,
                                 kn_tensor *t);

/* Legacy-form conversion (onnx_legacy.c): rewrites an ONNX node of an older
 * opset into kiln's IR form (the newest ONNX form). Called after the node's
 * inputs, outputs and attributes are in place. */
kn_status onnx_upgrade_node(ir_graph *g, ir_id node, const char *op_type, int opset);
/* Maps an ONNX op type (plus opset) to an IR op; -1 when unsupported. */
int onnx_map_op(const char *op_type, int opset);

#endif
