/* cmd_bench.c: `kiln bench MODEL`: compile once, warm up, time K runs, and
 * print compile time, median/min latency, GFLOP/s (2 x MACs / median) and
 * peak RSS; --json adds one JSON object on the last line for scripts. */
#include "cli.h"
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static const char bench_help[] =
    "usage: kiln bench MODEL [options]\n"
    "Times MODEL (.onnx or .kir): compile once, then run it repeatedly.\n"
    "  -i, --inputs DIR       read inputs from DIR/input_K.pb (default: synthesized)\n"
    "  --iters K              timed runs (default 20); the median and minimum are reported\n"
    "  --warmup W             untimed runs first (default 3)\n"
    "  --json                 also print one JSON object on the last line\n";

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int parse_count(const char *flag, const char *v, int min, int *out) {
  char *end;
  long n = strtol(v, &end, 10);
  if (*end || n < min || n > 1000000) {
    fprintf(stderr, "kiln bench: %s wants an integer >= %d, got '%s'\n", flag, min, v);
    return -1;
  }
  *out = (int)n;
  return 0;
}

int cmd_bench(int argc, char **argv) {
  cli_common o;
  cli_common_init(&o);
  const char *in_dir = NULL;
  int iters = 20, warmup = 3;
  bool json = false;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    int r = cli_common_option(&o, argc, argv, &i);
    if (r < 0) return EXIT_USAGE;
    if (r > 0) continue;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      printf("%s%s", bench_help, cli_common_help);
      return EXIT_OK;
    }
    if (!strcmp(a, "--json")) {
      json = true;
      continue;
    }
    bool needs = !strcmp(a, "--iters") || !strcmp(a, "--warmup") || !strcmp(a, "-i") || !strcmp(a, "--inputs");
    if (needs && i + 1 >= argc) {
      fprintf(stderr, "kiln bench: %s needs a value\n", a);
      return EXIT_USAGE;
    }
    if (!strcmp(a, "--iters")) {
      if (parse_count(a, argv[++i], 1, &iters)) return EXIT_USAGE;
    } else if (!strcmp(a, "--warmup")) {
      if (parse_count(a, argv[++i], 0, &warmup)) return EXIT_USAGE;
    } else if (!strcmp(a, "-i") || !strcmp(a, "--inputs")) in_dir = argv[++i];
    else if (a[0] == '-') {
      fprintf(stderr, "kiln bench: unknown option %s (see kiln bench --help)\n", a);
      return EXIT_USAGE;
    } else if (!o.model) o.model = a;
    else {
      fprintf(stderr, "kiln bench: more than one model given\n");
      return EXIT_USAGE;
    }
  }
  if (!o.model) {
    fprintf(stderr, "kiln bench: no model given (see kiln bench --help)\n");
    return EXIT_USAGE;
  }
  kn_ctx *kn = kn_ctx_new();
  cli_session s;
  int rc = cli_session_open(&s, kn, &o, in_dir);
  double *t = calloc((size_t)iters, sizeof *t);
  kn_status st = t ? KN_OK : kn_fail(kn, KN_ENOMEM, "out of memory");
  for (int i = 0; rc == EXIT_OK && st == KN_OK && i < warmup; i++) st = cli_session_run(&s);
  for (int i = 0; rc == EXIT_OK && st == KN_OK && i < iters; i++) {
    double t0 = now_ms();
    st = cli_session_run(&s);
    t[i] = now_ms() - t0;
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
  for (int k = 0; k < o.nshapes; k++) free((void *)o.shape_names[k]);
  return rc;
}
