/* cmd_inspect.c: `kiln inspect MODEL`: the IR text (large constants elided),
 * the op histogram, parameter count and multiply-accumulates. */
#include "cli.h"
#include <stdlib.h>
#include <string.h>

static const char inspect_help[] =
    "usage: kiln inspect MODEL [options]\n"
    "Prints MODEL's IR in kiln's text form, its op histogram, params and MACs.\n"
    "  --full                 print every constant's data (default: elide > 16 elements)\n"
    "  --no-ir                print only the statistics\n"
    "With --engine jit (the default) the model is compiled for its input shapes\n"
    "(--shape, free dims 1) and inspect also lists the ops that run on reference\n"
    "kernels; --engine ref inspects the graph as imported.\n";

int cmd_inspect(int argc, char **argv) {
  cli_common o;
  cli_common_init(&o);
  bool full = false, no_ir = false;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    int r = cli_common_option(&o, argc, argv, &i);
    if (r < 0) return EXIT_USAGE;
    if (r > 0) continue;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      printf("%s%s", inspect_help, cli_common_help);
      return EXIT_OK;
    }
    if (!strcmp(a, "--full")) full = true;
    else if (!strcmp(a, "--no-ir")) no_ir = true;
    else if (a[0] == '-') {
      fprintf(stderr, "kiln inspect: unknown option %s (see kiln inspect --help)\n", a);
      return EXIT_USAGE;
    } else if (!o.model) o.model = a;
    else {
      fprintf(stderr, "kiln inspect: more than one model given\n");
      return EXIT_USAGE;
    }
  }
  if (!o.model) {
    fprintf(stderr, "kiln inspect: no model given (see kiln inspect --help)\n");
    return EXIT_USAGE;
  }
  kn_ctx *kn = kn_ctx_new();
  ir_graph *g = NULL;
  cli_session s;
  memset(&s, 0, sizeof s);
  int rc;
  if (!strcmp(o.engine, "jit")) {
    rc = cli_session_open(&s, kn, &o, NULL);
    g = (ir_graph *)s.view;
  } else rc = cli_load(kn, &o, &g);
  if (rc != EXIT_OK) {
    cli_session_close(&s);
    kn_ctx_free(kn);
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
  if (s.jit) cli_report_engine(stdout, &s);
  else ir_graph_free(g);
  cli_session_close(&s);
  kn_ctx_free(kn);
  for (int k = 0; k < o.nshapes; k++) free((void *)o.shape_names[k]);
  return EXIT_OK;
}
