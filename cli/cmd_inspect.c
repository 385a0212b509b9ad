/* cmd_inspect.c: `kiln inspect MODEL`: the IR text (large constants elided),
 * the op histogram, parameter count and multiply-accumulates. */
#include "cli.h"
#include <stdlib.h>
#include <string.h>

/* Intermediate memory of the graph as shown (symbolic dims count as 1): the
 * sum of all node outputs (naive) and the workspace of the memory plan the
 * JIT uses (ir/mem_plan.c). */
static void memory_estimate(const ir_graph *g, ir_mem_stats *ms) {
  int32_t n = g->nvalues;
  int64_t *size = calloc((size_t)n + 1, sizeof *size), *off = calloc((size_t)n + 1, sizeof *off);
  memset(ms, 0, sizeof *ms);
  if (size && off) {
    for (int32_t i = 0; i < g->nnodes; i++) {
      const ir_node *nd = &g->nodes[i];
      for (int k = 0; k < nd->nout && !nd->dead; k++) {
        ir_id v = nd->out[k];
        if (v == IR_NONE || g->values[v].constant || g->values[v].type.rank < 0) continue;
        int64_t e = 1;
        for (int d = 0; d < g->values[v].type.rank; d++)
          e *= g->values[v].type.dims[d] > 0 ? g->values[v].type.dims[d] : g->values[v].type.dims[d] == 0 ? 0 : 1;
        size[v] = e * (int64_t)kn_dtype_size(g->values[v].type.dtype);
      }
    }
    ir_plan_memory(g, size, true, off, ms);
  }
  free(size), free(off);
}

static const char inspect_usage[] =
    "usage: kiln inspect MODEL [options]\n"
    "Prints MODEL's IR in kiln's text form, its op histogram, params and MACs.\n";
static const char inspect_notes[] =
    "With --engine jit (the default) the model is compiled for its input shapes\n"
    "(--shape, free dims 1) and inspect also lists the ops that run on reference\n"
    "kernels; --engine ref inspects the graph as imported.\n";

int cmd_inspect(int argc, char **argv) {
  cli_common o;
  cli_common_init(&o);
  bool full = false, no_ir = false, json = false;
  const cli_opt opts[] = {
      {{"--full"}, NULL, "print every constant's data (default: elide > 16 elements)", .flag = &full},
      {{"--no-ir"}, NULL, "print only the statistics", .flag = &no_ir},
      {{"--json"}, NULL, "also print one JSON object on the last line: nodes, ops,\n"
                         "workspace_bytes (the memory plan: liveness, views, in place),\n"
                         "naive_bytes (the sum of all intermediates, no reuse)", .flag = &json},
      CLI_OPT_END};
  const cli_cmd cmd = {"inspect", inspect_usage, opts, inspect_notes, true};
  int rc = cli_parse(&cmd, &o, argc, argv);
  if (rc != CLI_GO_ON) return rc;
  kn_ctx *kn = kn_ctx_new();
  ir_graph *g = NULL;
  cli_session s;
  memset(&s, 0, sizeof s);
  if (!strcmp(o.engine, "jit")) {
    rc = cli_session_open(&s, kn, &o, NULL);
    g = (ir_graph *)s.view;
  } else rc = cli_load(kn, &o, &g);
  if (rc != EXIT_OK) {
    cli_session_close(&s);
    kn_ctx_free(kn);
    cli_common_free(&o);
    return rc;
  }
  if (!no_ir) {
    ir_print_opts po = {.max_const_elems = full ? -1 : 16};
    char *text = ir_print(g, &po);
    if (text) fputs(text, stdout);
    free(text);
  }
  int64_t hist[IR_OP_COUNT] = {0}, macs = 0;
  for (int32_t i = 0; i < g->nnodes; i++) {
    if (g->nodes[i].dead) continue;
    hist[g->nodes[i].op]++;
    macs += ir_node_macs(g, &g->nodes[i]);
  }
  printf("# %s: %d nodes, %lld params, %.4g GMACs (free dims counted as 1)\n# ops:", o.model, ir_graph_live_nodes(g),
         (long long)ir_graph_params(g), (double)macs / 1e9);
  for (int k = 0; k < IR_OP_COUNT; k++)
    if (hist[k]) printf(" %s=%lld", ir_op_table[k].name, (long long)hist[k]);
  printf("\n");
  if (s.jit || s.aot) cli_report_engine(stdout, &s);
  if (json) {
    /* the memory the graph as shown needs: packed by liveness, and with no reuse */
    ir_mem_stats ms;
    memory_estimate(g, &ms);
    printf("{\"model\":\"%s\",\"engine\":\"%s\",\"nodes\":%d,\"ops\":{", o.model, o.engine, ir_graph_live_nodes(g));
    bool first = true;
    for (int k = 0; k < IR_OP_COUNT; k++)
      if (hist[k]) {
        printf("%s\"%s\":%lld", first ? "" : ",", ir_op_table[k].name, (long long)hist[k]);
        first = false;
      }
    printf("},\"params\":%lld,\"macs\":%lld,\"workspace_bytes\":%lld,\"naive_bytes\":%lld}\n",
           (long long)ir_graph_params(g), (long long)macs, (long long)ms.workspace_bytes, (long long)ms.naive_bytes);
  }
  if (!s.jit && !s.aot) ir_graph_free(g); /* the JIT's graph belongs to the compiled model, an artifact's to it */
  cli_session_close(&s);
  kn_ctx_free(kn);
  cli_common_free(&o);
  return EXIT_OK;
}
