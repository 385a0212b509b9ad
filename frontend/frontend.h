/* frontend.h: internal header of frontend/ (ONNX import and export, TensorProto I/O). */
#ifndef KILN_FRONTEND_H
#define KILN_FRONTEND_H

#include "ir_text.h"

/* ===== onnx_import.c ===== */
/* Loads an ONNX model file into a new graph (types inferred). */
kn_status onnx_import_file(kn_ctx *ctx, const char *path, ir_graph **out);
/* Same from a buffer; `dir` resolves external data (may be NULL: then external data is an error). */
kn_status onnx_import_buffer(kn_ctx *ctx, const uint8_t *buf, size_t len, const char *dir,
                             const char *display_name, ir_graph **out);
/* The same with the --custom-op registrations (custom may be NULL): a node of
 * a registered op type becomes a Custom node, whatever its domain. */
kn_status onnx_import_buffer_with(kn_ctx *ctx, const uint8_t *buf, size_t len, const char *dir,
                                  const char *display_name, const ir_custom_ops *custom, ir_graph **out);
kn_status onnx_import_file_with(kn_ctx *ctx, const char *path, const ir_custom_ops *custom, ir_graph **out);
#define ONNX_MIN_OPSET 1
#define ONNX_MAX_OPSET 21

/* ===== onnx_export.c: kiln IR graph -> ONNX ModelProto ===== */
/* The writer's lowest default opset: kiln's IR form of the Reduce ops (axes as
 * an input) needs 18, and the newest form of every other op is valid there. */
#define ONNX_EXPORT_MIN_OPSET 18
typedef struct onnx_export_opts {
  int opset;          /* 0: the graph's opset, raised to what its ops need (>= ONNX_EXPORT_MIN_OPSET) */
  bool no_value_info; /* leave out the types of intermediate values */
} onnx_export_opts;
/* Serializes g as it is (no passes run) into a malloc'd ModelProto; o may be
 * NULL. Fails naming the node for kiln-internal ops, which have no ONNX form.
 * *opset_used (may be NULL) receives the opset written. */
kn_status onnx_export_buffer(kn_ctx *ctx, const ir_graph *g, const onnx_export_opts *o, uint8_t **buf, size_t *len,
                             int *opset_used);
kn_status onnx_export_file(kn_ctx *ctx, const ir_graph *g, const char *path, const onnx_export_opts *o,
                           int *opset_used);

/* ===== tensor_io.c: TensorProto <-> kn_tensor ===== */
/* Reads a serialized TensorProto file (input_K.pb) into t; name (may be NULL) gets a malloc'd copy. */
kn_status onnx_read_tensor_file(kn_ctx *ctx, const char *path, kn_tensor *t, char **name);
/* Writes t as a serialized TensorProto with raw_data. */
kn_status onnx_write_tensor_file(kn_ctx *ctx, const char *path, const kn_tensor *t, const char *name);
/* Reads a whole file with a size limit (ctx->mem_limit). */
kn_status onnx_read_file(kn_ctx *ctx, const char *path, uint8_t **data, size_t *len);

/* ===== model.c: load any supported model file (.onnx or .kir) ===== */
kn_status kn_load_graph(kn_ctx *ctx, const char *path, ir_graph **out);
/* Same, with the config and defines for a .kir file (opts may be NULL) and
 * the --custom-op registrations for an ONNX file (custom may be NULL). */
kn_status kn_load_graph_ex(kn_ctx *ctx, const char *path, const ir_parse_opts *opts, const ir_custom_ops *custom,
                           ir_graph **out);
bool kn_is_text_model(const char *path); /* a .kir file */

#endif
