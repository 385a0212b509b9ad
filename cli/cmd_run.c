/* cmd_run.c: `kiln run MODEL`: load, execute, summarize and save outputs.
 * Inputs come from input_K.pb files (-i DIR) or are synthesized
 * deterministically (floats sin(i), integers small ids, bools true), the same
 * recipe as ../shared/vlmodels/ort_run.mjs so runs are comparable. */
#include "cli.h"
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char run_help[] =
    "usage: kiln run MODEL [options]\n"
    "Runs MODEL (.onnx or .kir) and prints one summary line per output.\n"
    "  -i, --inputs DIR       read inputs from DIR/input_K.pb (K = graph input order)\n"
    "  -o, --outputs DIR      write outputs to DIR/output_K.pb (created if missing)\n"
    "  --save-inputs DIR      write the inputs used to DIR/input_K.pb\n"
    "  --engine ref           execution engine (ref: the reference executor)\n";

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int ensure_dir(const char *d) {
  if (mkdir(d, 0777) != 0 && errno != EEXIST) {
    fprintf(stderr, "kiln: error: cannot create %s: %s\n", d, strerror(errno));
    return -1;
  }
  return 0;
}

static kn_status synthesize(kn_ctx *kn, const cli_common *o, const ir_graph *g, int idx, kn_tensor *t) {
  int rank;
  int64_t dims[KN_MAX_RANK];
  cli_input_shape(o, g, idx, &rank, dims);
  int dt = g->values[g->inputs[idx]].type.dtype;
  KN_TRY(kn_tensor_alloc(kn, t, dt, rank, dims));
  int64_t n = kn_tensor_numel(t);
  for (int64_t i = 0; i < n; i++) {
    double v = kn_dtype_is_float(dt) ? sin((double)i) : dt == KN_BOOL ? 1.0 : (double)(1 + i % 7);
    kn_tensor_set_f64(t, i, v);
  }
  return KN_OK;
}

int cmd_run(int argc, char **argv) {
  cli_common o = {0};
  const char *in_dir = NULL, *out_dir = NULL, *save_dir = NULL, *engine = "ref";
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    int r = cli_common_option(&o, argc, argv, &i);
    if (r < 0) return EXIT_USAGE;
    if (r > 0) continue;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      printf("%s%s", run_help, cli_common_help);
      return EXIT_OK;
    }
    const char **dst = !strcmp(a, "-i") || !strcmp(a, "--inputs")    ? &in_dir
                       : !strcmp(a, "-o") || !strcmp(a, "--outputs") ? &out_dir
                       : !strcmp(a, "--save-inputs")                 ? &save_dir
                       : !strcmp(a, "--engine")                      ? &engine
                                                                     : NULL;
    if (dst) {
      if (i + 1 >= argc) {
        fprintf(stderr, "kiln run: %s needs a value\n", a);
        return EXIT_USAGE;
      }
      *dst = argv[++i];
    } else if (a[0] == '-') {
      fprintf(stderr, "kiln run: unknown option %s (see kiln run --help)\n", a);
      return EXIT_USAGE;
    } else if (!o.model) o.model = a;
    else {
      fprintf(stderr, "kiln run: more than one model given\n");
      return EXIT_USAGE;
    }
  }
  if (!o.model) {
    fprintf(stderr, "kiln run: no model given (see kiln run --help)\n");
    return EXIT_USAGE;
  }
  if (strcmp(engine, "ref") != 0) {
    fprintf(stderr, "kiln run: unknown engine '%s' (available: ref)\n", engine);
    return EXIT_USAGE;
  }
  kn_ctx *kn = kn_ctx_new();
  ir_graph *g = NULL;
  double t0 = now_ms();
  int rc = cli_load(kn, &o, &g);
  if (rc != EXIT_OK) {
    kn_ctx_free(kn);
    return rc;
  }
  double t_load = now_ms() - t0;
  kn_tensor *ins = calloc((size_t)g->ninputs + 1, sizeof *ins), *outs = calloc((size_t)g->noutputs + 1, sizeof *outs);
  kn_status st = ins && outs ? KN_OK : kn_fail(kn, KN_ENOMEM, "out of memory");
  char path[4096];
  for (int i = 0; st == KN_OK && i < g->ninputs; i++) {
    bool has_default = g->values[g->inputs[i]].constant != NULL;
    if (in_dir) {
      snprintf(path, sizeof path, "%s/input_%d.pb", in_dir, i);
      if (has_default && access(path, F_OK) != 0) continue; /* keep the model's default */
      st = onnx_read_tensor_file(kn, path, &ins[i], NULL);
    } else if (!has_default) {
      st = synthesize(kn, &o, g, i, &ins[i]);
    }
  }
  if (st == KN_OK && save_dir) {
    if (ensure_dir(save_dir) != 0) st = kn_fail(kn, KN_EIO, "cannot create %s", save_dir);
    for (int i = 0; st == KN_OK && i < g->ninputs && ins[i].dtype != KN_UNDEF; i++) {
      snprintf(path, sizeof path, "%s/input_%d.pb", save_dir, i);
      st = onnx_write_tensor_file(kn, path, &ins[i], g->values[g->inputs[i]].name);
    }
  }
  double t_run = 0;
  if (st == KN_OK) {
    t0 = now_ms();
    st = ref_run_graph(kn, g, ins, g->ninputs, outs, g->noutputs);
    t_run = now_ms() - t0;
  }
  if (st == KN_OK && out_dir) {
    if (ensure_dir(out_dir) != 0) st = kn_fail(kn, KN_EIO, "cannot create %s", out_dir);
    for (int i = 0; st == KN_OK && i < g->noutputs; i++) {
      snprintf(path, sizeof path, "%s/output_%d.pb", out_dir, i);
      st = onnx_write_tensor_file(kn, path, &outs[i], g->values[g->outputs[i]].name);
    }
  }
  if (st == KN_OK) {
    printf("model %s: %d nodes, load %.1f ms, run %.1f ms (engine ref)\n", o.model, ir_graph_live_nodes(g), t_load,
           t_run);
    for (int i = 0; i < g->noutputs; i++) cli_print_tensor_summary(stdout, g->values[g->outputs[i]].name, &outs[i]);
  } else {
    fprintf(stderr, "kiln: error: %s: %s\n", o.model, kn_errmsg(kn));
    rc = EXIT_MODEL;
  }
  for (int i = 0; ins && i < g->ninputs; i++) kn_tensor_free(&ins[i]);
  for (int i = 0; outs && i < g->noutputs; i++) kn_tensor_free(&outs[i]);
  free(ins);
  free(outs);
  ir_graph_free(g);
  kn_ctx_free(kn);
  for (int k = 0; k < o.nshapes; k++) free((void *)o.shape_names[k]);
  return rc;
}
