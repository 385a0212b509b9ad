/* cmd_bench.c: `kiln bench MODEL`: compile once, warm up, time K runs, and
 * print compile time, median/min latency, GFLOP/s (2 x MACs / median) and
 * peak RSS; --json adds one JSON object on the last line for scripts. */
#include "cli.h"
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static const char bench_usage[] =
    "usage: kiln bench MODEL [options]\n"
    "Times MODEL (.onnx or .kir): compile once, then run it repeatedly.\n";

int cmd_bench(int argc, char **argv) {
  cli_common o;
  cli_common_init(&o);
  const char *in_dir = NULL;
  int iters = 20, warmup = 3;
  bool json = false;
  const cli_opt opts[] = {
      {{"-i", "--inputs"}, "DIR", "read inputs from DIR/input_K.pb (default: synthesized)", .str = &in_dir},
      {{"--iters"}, "K", "timed runs (default 20); the median and minimum are reported", .num = &iters, .min = 1,
       .max = 1000000},
      {{"--warmup"}, "W", "untimed runs first (default 3)", .num = &warmup, .min = 0, .max = 1000000},
      {{"--json"}, NULL, "also print one JSON object on the last line", .flag = &json},
      CLI_OPT_END};
  const cli_cmd cmd = {"bench", bench_usage, opts, NULL, true};
  int rc = cli_parse(&cmd, &o, argc, argv);
  if (rc != CLI_GO_ON) return rc;
  kn_ctx *kn = kn_ctx_new();
  cli_session s;
  rc = cli_session_open(&s, kn, &o, in_dir);
  double *t = calloc((size_t)iters, sizeof *t);
  kn_status st = t ? KN_OK : kn_fail(kn, KN_ENOMEM, "out of memory");
  for (int i = 0; rc == EXIT_OK && st == KN_OK && i < warmup; i++) st = cli_session_run(&s);
  for (int i = 0; rc == EXIT_OK && st == KN_OK && i < iters; i++) {
    double t0 = kn_now_ms();
    st = cli_session_run(&s);
    t[i] = kn_now_ms() - t0;
  }
  if (rc == EXIT_OK && st != KN_OK) {
    fprintf(stderr, "kiln: error: %s: %s\n", o.model, kn_errmsg(kn));
    rc = EXIT_MODEL;
  }
  if (rc == EXIT_OK) {
    double median = cli_median(t, iters), best = t[0];
    double gflops = median > 0 ? 2.0 * (double)s.macs / (median * 1e6) : 0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double rss_mb = (double)ru.ru_maxrss / 1024.0;
    printf("model %s (engine %s, -O%d, %d thread%s)\n", o.model, cli_engine_name(&s), o.opt_level, o.threads,
           o.threads == 1 ? "" : "s");
    cli_report_engine(stdout, &s);
    printf("load %.1f ms, compile %.1f ms\n", s.load_ms, s.compile_ms);
    printf("latency: median %.3f ms, min %.3f ms over %d runs (%d warm-up)\n", median, best, iters, warmup);
    printf("%.3f GMACs, %.2f GFLOP/s at the median; peak RSS %.1f MB\n", (double)s.macs / 1e9, gflops, rss_mb);
    if (json)
      printf("{\"model\":\"%s\",\"engine\":\"%s\",\"opt_level\":%d,\"threads\":%d,\"iters\":%d,\"median_ms\":%.4f,"
             "\"min_ms\":%.4f,\"compile_ms\":%.2f,\"load_ms\":%.2f,\"gflops\":%.3f,\"peak_rss_mb\":%.1f}\n",
             o.model, cli_engine_name(&s), o.opt_level, o.threads, iters, median, best, s.compile_ms, s.load_ms, gflops, rss_mb);
  }
  free(t);
  cli_session_close(&s);
  kn_ctx_free(kn);
  cli_common_free(&o);
  return rc;
}
