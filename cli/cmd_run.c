/* cmd_run.c: `kiln run MODEL`: load, compile (JIT by default), execute once
 * (or --repeat N times, reporting the median), print what the passes did,
 * compile time, latency and GFLOP/s, one summary line per output, and optionally save inputs/outputs as
 * TensorProto files in the ONNX backend test layout. */
#include "cli.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char run_usage[] =
    "usage: kiln run MODEL [options]\n"
    "Runs MODEL (.onnx or .kir) and prints one summary line per output.\n";

static kn_status save_all(kn_ctx *kn, const char *dir, const char *stem, const kn_tensor *t, int n,
                          const ir_graph *g, const ir_id *names) {
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) return kn_fail(kn, KN_EIO, "cannot create %s: %s", dir, strerror(errno));
  char path[4096];
  for (int i = 0; i < n && t[i].dtype != KN_UNDEF; i++) {
    snprintf(path, sizeof path, "%s/%s_%d.pb", dir, stem, i);
    KN_TRY(onnx_write_tensor_file(kn, path, &t[i], g->values[names[i]].name));
  }
  return KN_OK;
}

/* What a user wants to see of one run: the model's size, the passes and what
 * they did to the graph, compile time, latency and throughput. */
static void print_run_summary(const cli_common *o, const cli_session *s, double t_run, int repeat) {
  if (s->aot) /* an artifact carries its MACs, not its graph */
    printf("model %s: %.3g GMACs per run, load %.1f ms\n", o->model, (double)s->macs / 1e9, s->load_ms);
  else
    printf("model %s: %.1fM params, %.3g GMACs per run, load %.1f ms\n", o->model, (double)s->params / 1e6,
           (double)s->macs / 1e9, s->load_ms);
  bool jit = !s->aot && !strcmp(o->engine, "jit");
  if (s->view && (jit || (!s->aot && o->level_given))) {
    const char *pipeline = o->passes.pipeline ? o->passes.pipeline : pm_pipeline_for_level(o->passes.level);
    printf("passes -O%d: %s%s: %d -> %d nodes\n", o->passes.level, *pipeline ? pipeline : "(none)",
           o->passes.ndisabled ? " (some disabled)" : "", s->nodes_loaded, ir_graph_live_nodes(s->view));
  }
  cg_stats cs = {0};
  if (s->jit) cg_model_stats(s->jit, &cs);
  printf("compile %.1f ms (engine %s%s), run %.2f ms%s, %.1f GFLOP/s (%d thread%s)\n", s->compile_ms, cli_engine_name(s),
         cs.cache_hit ? ", compile cache hit" : "", t_run, repeat > 1 ? " (median)" : "",
         t_run > 0 ? 2.0 * (double)s->macs / (t_run * 1e6) : 0.0, o->threads, o->threads == 1 ? "" : "s");
}

int cmd_run(int argc, char **argv) {
  cli_common o;
  cli_common_init(&o);
  const char *in_dir = NULL, *out_dir = NULL, *save_dir = NULL;
  int repeat = 1;
  const cli_opt opts[] = {
      {{"-i", "--inputs"}, "DIR", "read inputs from DIR/input_K.pb (K = graph input order)", .str = &in_dir},
      {{"-o", "--outputs"}, "DIR", "write outputs to DIR/output_K.pb (created if missing)", .str = &out_dir},
      {{"--save-inputs"}, "DIR", "write the inputs used to DIR/input_K.pb", .str = &save_dir},
      {{"--repeat"}, "N", "run N times and report the median time (default 1)", .num = &repeat, .min = 1,
       .max = 1000},
      CLI_OPT_END};
  const cli_cmd cmd = {"run", run_usage, opts, NULL, true};
  int rc = cli_parse(&cmd, &o, argc, argv);
  if (rc != CLI_GO_ON) return rc;
  kn_ctx *kn = kn_ctx_new();
  cli_session s;
  rc = cli_session_open(&s, kn, &o, in_dir);
  if (rc == EXIT_OK) {
    kn_status st = save_dir ? save_all(kn, save_dir, "input", s.ins, s.nin, s.view, s.view->inputs) : KN_OK;
    double times[1000];
    for (int r = 0; st == KN_OK && r < repeat; r++) {
      double t0 = kn_now_ms();
      st = cli_session_run(&s);
      times[r] = kn_now_ms() - t0;
    }
    double t_run = st == KN_OK ? cli_median(times, repeat) : 0;
    if (st == KN_OK && out_dir) st = save_all(kn, out_dir, "output", s.outs, s.nout, s.view, s.view->outputs);
    if (st == KN_OK) {
      print_run_summary(&o, &s, t_run, repeat);
      if (o.verbose) cli_report_engine(stdout, &s);
      for (int i = 0; i < s.nout; i++) cli_print_tensor_summary(stdout, s.view->values[s.view->outputs[i]].name, &s.outs[i]);
    } else {
      fprintf(stderr, "kiln: error: %s: %s\n", o.model, kn_errmsg(kn));
      rc = EXIT_MODEL;
    }
  }
  cli_session_close(&s);
  kn_ctx_free(kn);
  cli_common_free(&o);
  return rc;
}
