/* cmd_export.c: `kiln export MODEL -o OUT.onnx`: loads a model (.onnx or .kir),
 * optionally binds input shapes and runs kiln's graph passes, and writes the
 * graph as an ONNX model (frontend/onnx_export.c). By default the graph is
 * written as parsed (-O0): the fusion passes of -O2/-O3 make kiln-internal
 * ops that ONNX has no form for, and the writer refuses those by name. */
#include "cli.h"
#include <stdlib.h>
#include <string.h>

static const char export_usage[] =
    "usage: kiln export MODEL -o OUT.onnx [options]\n"
    "Writes MODEL (.onnx or .kir) as an ONNX model (ir_version 8+, default domain only).\n";

/* --shape bindings for every input (rank -1: keep the declared type). */
static kn_status bind_shapes(const cli_common *o, ir_graph *g) {
  if (!o->nshapes) return KN_OK;
  int *ranks = calloc((size_t)g->ninputs + 1, sizeof *ranks);
  int64_t(*dims)[KN_MAX_RANK] = calloc((size_t)g->ninputs + 1, sizeof *dims);
  kn_status st = ranks && dims ? KN_OK : kn_fail(g->ctx, KN_ENOMEM, "out of memory");
  for (int i = 0; st == KN_OK && i < g->ninputs; i++) {
    ranks[i] = -1;
    for (int k = 0; k < o->nshapes; k++)
      if (!strcmp(o->shape_names[k], g->values[g->inputs[i]].name)) {
        ranks[i] = o->shape_ranks[k];
        memcpy(dims[i], o->shape_dims[k], sizeof dims[i]);
      }
  }
  if (st == KN_OK) st = pass_bind_input_shapes(g, ranks, (const int64_t(*)[KN_MAX_RANK])dims);
  free(ranks);
  free(dims);
  return st;
}

int cmd_export(int argc, char **argv) {
  cli_common o;
  cli_common_init(&o);
  const char *out = NULL;
  onnx_export_opts eo = {0};
  /* every common flag works; the help lists the ones that matter for export */
  const cli_opt opts[] = {
      {{"-o", "--output"}, "FILE", "the ONNX file to write (required)", .str = &out},
      {{"--opset"}, "N", "write opset N (default: the model's opset, raised to what its\n"
                         "ops need and to at least 18)", .num = &eo.opset, .min = 1, .max = 1000},
      {{"--no-value-info"}, NULL, "leave out the types of intermediate values", .flag = &eo.no_value_info},
      {{NULL}, NULL, "bind the dims of input NAME first (the written input has them)",
       .usage = "--shape NAME=DxDx..."},
      {{NULL}, NULL, "the graph as parsed or imported (default)", .usage = "-O0"},
      {{NULL}, NULL, "after kiln's cleanup passes (fold, remove-noops, canonicalize,\n"
                     "cse, dce); -O2/-O3 add fusions into kiln-internal ops, which\n"
                     "have no ONNX form and are refused naming the node", .usage = "-O1"},
      {{NULL}, NULL, "kiln's pass flags (kiln run --help, docs/passes.md)",
       .usage = "--passes=a,b,c, --disable-pass=NAME, --print-after=NAME, --pass-stats, ..."},
      {{NULL}, NULL, "largest single allocation allowed (default 8G)", .usage = "--mem-limit BYTES"},
      {{NULL}, NULL, "more output", .usage = "-v, --verbose"},
      CLI_OPT_END};
  const cli_cmd cmd = {"export", export_usage, opts, NULL, false};
  int rc = cli_parse(&cmd, &o, argc, argv);
  if (rc != CLI_GO_ON) return rc;
  if (!out) {
    fprintf(stderr, "kiln export: no output file given (-o OUT.onnx)\n");
    cli_common_free(&o);
    return EXIT_USAGE;
  }
  if (!o.level_given) o.passes.level = 0; /* the graph as parsed */
  kn_ctx *kn = kn_ctx_new();
  ir_graph *g = NULL;
  rc = cli_load(kn, &o, &g);
  if (rc == EXIT_OK) {
    int opset = 0;
    kn_status st = bind_shapes(&o, g);
    if (st == KN_OK) st = pm_run(g, &o.passes);
    if (st == KN_OK) st = onnx_export_file(kn, g, out, &eo, &opset);
    if (st == KN_OK) {
      printf("wrote %s: %d nodes, %lld params, opset %d\n", out, ir_graph_live_nodes(g), (long long)ir_graph_params(g),
             opset);
    } else {
      fprintf(stderr, "kiln: error: %s: %s\n", o.model, kn_errmsg(kn));
      rc = EXIT_MODEL;
    }
  }
  ir_graph_free(g);
  kn_ctx_free(kn);
  cli_common_free(&o);
  return rc;
}
