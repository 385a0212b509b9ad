/* model_runner.c: runs every tiny vision-language model of the shared zoo
 * (../shared/vlmodels/tiny/NAME/, or $KILN_VLMODELS/tiny) on the reference
 * executor and compares with the stored ONNX Runtime outputs: float outputs by
 * max|kiln - ort| / max|ort| <= 1e-4, integer outputs exactly. Skips (exit 77)
 * with a message when the zoo is absent.
 * With --via-text each model is first printed in kiln's text IR and parsed
 * back, which proves the text form round-trips real models exactly.
 * With --fold each model is specialized to the data set's input shapes and
 * its constants folded first (the compile-time path of the JIT).
 * With --engine jit each model is compiled by the LLVM JIT for the data set's
 * shapes and the compiled code runs (the default engine is ref).
 * -O0, -O3 and --disable-pass NAME change the JIT's pass pipeline (the pass sweep).
 * usage: kiln_models [--zoo DIR] [--filter SUBSTR] [--via-text] [--fold] [--engine ref|jit]
 *                    [-O0|-O3] [--disable-pass NAME] */
#include "oracle.h"
#include "passes.h"
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(int argc, char **argv) {
  const char *zoo = getenv("KILN_VLMODELS"), *filter = NULL;
  unsigned flags = 0;
  pm_options passes = {.level = 2};
  char defzoo[4096];
  if (!zoo) {
    snprintf(defzoo, sizeof defzoo, "%s/../shared/vlmodels", KILN_SOURCE_DIR);
    zoo = defzoo;
  }
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--zoo") && i + 1 < argc) zoo = argv[++i];
    else if (!strcmp(argv[i], "--filter") && i + 1 < argc) filter = argv[++i];
    else if (!strcmp(argv[i], "--via-text")) flags |= KT_VIA_TEXT;
    else if (!strcmp(argv[i], "--fold")) flags |= KT_FOLD;
    else if (!strcmp(argv[i], "--engine") && i + 1 < argc && !strcmp(argv[i + 1], "jit")) flags |= KT_JIT, i++;
    else if (!strcmp(argv[i], "--engine") && i + 1 < argc && !strcmp(argv[i + 1], "ref")) i++;
    else if (!strcmp(argv[i], "--disable-pass") && i + 1 < argc && passes.ndisabled < 32)
      passes.disabled[passes.ndisabled++] = argv[++i];
    else if (!strcmp(argv[i], "-O0")) passes.level = 0;
    else if (!strcmp(argv[i], "-O3")) passes.level = 3;
    else {
      fprintf(stderr, "usage: %s [--zoo DIR] [--filter SUBSTR] [--via-text] [--fold] [--engine ref|jit] [-O0|-O3] [--disable-pass NAME]\n", argv[0]);
      return 2;
    }
  }
  char tiny[4200];
  snprintf(tiny, sizeof tiny, "%s/tiny", zoo);
  DIR *d = opendir(tiny);
  if (!d) {
    printf("SKIP: the model zoo is not at %s (set KILN_VLMODELS or --zoo)\n", tiny);
    return 77;
  }
  char **names = NULL;
  int n = 0, cap = 0;
  struct dirent *de;
  while ((de = readdir(d))) {
    if (de->d_name[0] == '.' || (filter && !strstr(de->d_name, filter))) continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 32;
      names = realloc(names, sizeof *names * (size_t)cap);
    }
    names[n++] = strdup(de->d_name);
  }
  closedir(d);
  if (n > 1) qsort(names, (size_t)n, sizeof *names, cmp_str);
  kt_tolerance tol = {KT_REL_TO_MAX, 1e-4, 0};
  if (pm_check(NULL, &passes) != KN_OK) {
    fprintf(stderr, "unknown pass in --disable-pass\n");
    return 2;
  }
  kt_set_passes(&passes);
  int failed = 0;
  printf("%-22s %-11s %5s %10s %10s %9s %11s %11s\n", "model", "result", "sets", "max_abs", "rel_to_max", "ms",
         "ws_bytes", "naive_bytes");
  for (int i = 0; i < n; i++) {
    char dir[8400];
    snprintf(dir, sizeof dir, "%s/%s", tiny, names[i]);
    kt_case_report rep;
    kt_run_case(dir, &tol, flags, &rep);
    printf("%-22s %-11s %5d %10.3g %10.3g %9.2f %11lld %11lld\n", names[i], kt_result_name(rep.result), rep.data_sets,
           rep.max_abs, rep.rel_to_max, rep.run_ms, (long long)rep.workspace_bytes, (long long)rep.naive_bytes);
    if (flags & KT_FOLD) printf("    folded %d nodes, %d live\n", rep.folded_nodes, rep.live_nodes);
    if (flags & KT_JIT)
      printf("    jit: %d live nodes, %d lowered, %d on reference kernels%s, compile %.1f ms\n", rep.live_nodes,
             rep.lowered_nodes, rep.fallback_nodes, rep.whole_graph_ref ? " (whole graph on the reference executor)" : "",
             rep.compile_ms);
    if (rep.result != KT_PASS) {
      printf("    %s\n", rep.msg);
      failed++;
    }
    free(names[i]);
  }
  free(names);
  printf("%d of %d models pass\n", n - failed, n);
  return failed ? 1 : 0;
}
