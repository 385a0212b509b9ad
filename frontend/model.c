/* model.c: loads any model file kiln accepts, by extension: .onnx (ONNX
 * protobuf) or .kir (kiln's text IR, with its config and param defines).
 * Both end typed and verified. */
#include "frontend.h"
#include <stdlib.h>
#include <string.h>

static bool has_suffix(const char *s, const char *suf) {
  size_t n = strlen(s), m = strlen(suf);
  return n >= m && strcmp(s + n - m, suf) == 0;
}

bool kn_is_text_model(const char *path) { return has_suffix(path, ".kir"); }

kn_status kn_load_graph(kn_ctx *ctx, const char *path, ir_graph **out) { return kn_load_graph_ex(ctx, path, NULL, NULL, out); }

kn_status kn_load_graph_ex(kn_ctx *ctx, const char *path, const ir_parse_opts *opts, const ir_custom_ops *custom,
                           ir_graph **out) {
  *out = NULL;
  if (!kn_is_text_model(path)) {
    if (opts && (opts->config || opts->ndefines))
      return kn_fail(ctx, KN_EINVAL, "%s: a config or defines apply only to .kir models", path);
    return onnx_import_file_with(ctx, path, custom, out);
  }
  uint8_t *buf;
  size_t len;
  KN_TRY(onnx_read_file(ctx, path, &buf, &len));
  char *text = realloc(buf, len + 1);
  if (!text) {
    free(buf);
    return kn_fail(ctx, KN_ENOMEM, "out of memory");
  }
  text[len] = 0;
  ir_graph *g = NULL;
  kn_status st = ir_parse_ex(ctx, text, path, opts, &g);
  free(text);
  if (st == KN_OK) st = ir_verify(g);
  if (st == KN_OK) st = ir_infer_graph(g);
  if (st != KN_OK) {
    if (strncmp(ctx->msg, path, strlen(path)) != 0) kn_prefix(ctx, "%s: ", path);
    ir_graph_free(g);
    return st;
  }
  *out = g;
  return KN_OK;
}
