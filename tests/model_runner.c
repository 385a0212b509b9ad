/* model_runner.c: runs every tiny vision-language model of the shared zoo
 * (../shared/vlmodels/tiny/NAME/, or $KILN_VLMODELS/tiny) on the reference
 * executor and compares with the stored ONNX Runtime outputs: float outputs by
 * max|kiln - ort| / max|ort| <= 1e-4, integer outputs exactly. Skips (exit 77)
 * with a message when the zoo is absent; fails when the zoo or --filter
 * selects no model ("0 of 0 pass" proves nothing).
 * With --via-text each model is first printed in kiln's text IR and parsed
 * back, which proves the text form round-trips real models exactly.
 * With --fold each model is specialized to the data set's input shapes and
 * its constants folded first (the compile-time path of the JIT).
 * With --engine jit each model is compiled by the LLVM JIT for the data set's
 * shapes and the compiled code runs (the default engine is ref).
 * -O0..-O3, --passes LIST and --disable-pass NAME set the pass pipeline: the
 * JIT's (default -O3), and when given with the ref engine, one the reference
 * executor runs too (on each data set's specialized, folded copy, as the JIT
 * would), so the fused ops' reference implementations run on real models;
 * --nchwc-all makes layout-nchwc block every convolution it can, not only
 * those its speed rule picks (so ConvNCHWc runs on the tiny models too).
 * --fallback-budget FILE (with --engine jit): the most nodes each model may
 * compile without generated code (tests/jit_fallback_budget.txt); more fails,
 * fewer is reported so the list can be lowered. --no-lower compiles every
 * node without generated code (to test that check). --no-fallback compiles
 * as an AOT build must: a node without compiled code (generated or a kernel
 * call) fails the model instead of running its reference kernel.
 * With --via-onnx each model is written back as ONNX by kiln's writer and
 * imported again first (the writer's round trip on real models).
 * usage: kiln_models [--zoo DIR] [--filter SUBSTR] [--via-text] [--via-onnx] [--fold] [--engine ref|jit]
 *                    [-O0..-O3] [--passes LIST] [--disable-pass NAME] [--fallback-budget FILE] [--no-lower]
 *                    [--no-fallback] [--nchwc-all] */
#include "oracle.h"
#include "passes.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>


/* The budget of `model` at -O`level` from FILE's "model max [-O<n>]" lines:
 * a line with a level wins over one without; no line means 0. Returns -2
 * when the file cannot be read or a line is malformed (after a message). */
static int fallback_budget(const char *file, const char *model, int level) {
  FILE *f = fopen(file, "r");
  if (!f) {
    perror(file);
    return -2;
  }
  char line[512], name[256], lvl[16];
  int any = 0, at_level = -1, max, lineno = 0;
  while (fgets(line, sizeof line, f)) {
    lineno++;
    char *hash = strchr(line, '#');
    if (hash) *hash = 0;
    lvl[0] = 0;
    int k = sscanf(line, "%255s %d %15s", name, &max, lvl);
    if (k <= 0) continue;
    bool lvl_ok = k < 3 || (lvl[0] == '-' && lvl[1] == 'O' && lvl[2] >= '0' && lvl[2] <= '3' && !lvl[3]);
    if (k < 2 || max < 0 || !lvl_ok) {
      fprintf(stderr, "%s:%d: expected 'model max_nodes [-O<n>]'\n", file, lineno);
      fclose(f);
      return -2;
    }
    if (strcmp(name, model)) continue;
    if (k == 3 && lvl[2] - '0' == level) at_level = max;
    else if (k == 2) any = max;
  }
  fclose(f);
  return at_level >= 0 ? at_level : any;
}

/* The ops of the graph that ran that the import did not have: what the
 * passes made (FusedMatMul, Attention, ConvNCHWc, ...). */
static void print_new_ops(const kt_case_report *rep) {
  printf("    ops the passes made:");
  int n = 0;
  for (int k = 0; k < IR_OP_COUNT; k++)
    if (rep->ops_ran[k] && !rep->ops_imported[k]) printf(" %s x%d", ir_op_table[k].name, rep->ops_ran[k]), n++;
  printf("%s\n", n ? "" : " none");
}

int main(int argc, char **argv) {
  const char *zoo = getenv("KILN_VLMODELS"), *filter = NULL, *budget_file = NULL;
  unsigned flags = 0;
  bool passes_given = false;
  pm_options passes = {.level = 3};
  char defzoo[4096];
  if (!zoo) {
    snprintf(defzoo, sizeof defzoo, "%s/../shared/vlmodels", KILN_SOURCE_DIR);
    zoo = defzoo;
  }
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--zoo") && i + 1 < argc) zoo = argv[++i];
    else if (!strcmp(argv[i], "--filter") && i + 1 < argc) filter = argv[++i];
    else if (!strcmp(argv[i], "--via-text")) flags |= KT_VIA_TEXT;
    else if (!strcmp(argv[i], "--via-onnx")) flags |= KT_VIA_ONNX;
    else if (!strcmp(argv[i], "--fold")) flags |= KT_FOLD;
    else if (!strcmp(argv[i], "--no-lower")) flags |= KT_NO_LOWER;
    else if (!strcmp(argv[i], "--no-fallback")) flags |= KT_NO_FALLBACK;
    else if (!strcmp(argv[i], "--nchwc-all")) passes.nchwc_all = true;
    else if (!strcmp(argv[i], "--fallback-budget") && i + 1 < argc) budget_file = argv[++i];
    else if (!strcmp(argv[i], "--engine") && i + 1 < argc && !strcmp(argv[i + 1], "jit")) flags |= KT_JIT, i++;
    else if (!strcmp(argv[i], "--engine") && i + 1 < argc && !strcmp(argv[i + 1], "ref")) flags &= ~(unsigned)KT_JIT, i++;
    else if (!strcmp(argv[i], "--disable-pass") && i + 1 < argc && passes.ndisabled < 32)
      passes.disabled[passes.ndisabled++] = argv[++i], passes_given = true;
    else if (!strcmp(argv[i], "--passes") && i + 1 < argc) passes.pipeline = argv[++i], passes_given = true;
    else if (argv[i][0] == '-' && argv[i][1] == 'O' && argv[i][2] >= '0' && argv[i][2] <= '3' && !argv[i][3])
      passes.level = argv[i][2] - '0', passes_given = true;
    else {
      fprintf(stderr, "usage: %s [--zoo DIR] [--filter SUBSTR] [--via-text] [--via-onnx] [--fold] [--engine ref|jit] "
                      "[-O0..-O3] [--passes LIST] [--disable-pass NAME] [--fallback-budget FILE] [--no-lower] [--no-fallback] [--nchwc-all]\n",
              argv[0]);
      return 2;
    }
  }
  if ((budget_file || (flags & (KT_NO_LOWER | KT_NO_FALLBACK))) && !(flags & KT_JIT)) {
    fprintf(stderr, "--fallback-budget, --no-lower and --no-fallback need --engine jit\n");
    return 2;
  }
  if (budget_file && fallback_budget(budget_file, "", 0) == -2) return 2; /* a bad file fails before any run */
  if (passes_given && !(flags & KT_JIT)) flags |= KT_PASSES;
  char tiny[4200];
  snprintf(tiny, sizeof tiny, "%s/tiny", zoo);
  int n;
  char **names = kt_list_dir(tiny, filter, &n);
  if (n < 0) {
    printf("SKIP: the model zoo is not at %s (set KILN_VLMODELS or --zoo)\n", tiny);
    return 77;
  }
  kt_tolerance tol = {KT_REL_TO_MAX, 1e-4, 0};
  if (pm_check(NULL, &passes) != KN_OK) {
    fprintf(stderr, "unknown pass in --passes or --disable-pass\n");
    return 2;
  }
  kt_set_passes(&passes);
  int failed = 0, over = 0, under = 0;
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
      printf("    jit: %d live nodes, %d lowered, %d on reference kernels%s%s%s, compile %.1f ms\n", rep.live_nodes,
             rep.lowered_nodes, rep.fallback_nodes, rep.fallback_ops[0] ? " (" : "", rep.fallback_ops,
             rep.fallback_ops[0] ? ")" : "", rep.compile_ms);
    if (rep.whole_graph_ref) printf("    jit: the whole graph ran on the reference executor\n");
    if ((flags & (KT_JIT | KT_PASSES)) && rep.result == KT_PASS) print_new_ops(&rep);
    if (rep.result != KT_PASS) {
      printf("    %s\n", rep.msg);
      failed++;
    } else if (budget_file) {
      /* nodes without generated code: the fallback nodes, or all of them when
       * the graph stayed dynamic and ran on the reference executor */
      int got = rep.whole_graph_ref ? rep.live_nodes : rep.fallback_nodes;
      int max = fallback_budget(budget_file, names[i], passes.level);
      if (got > max) {
        printf("FALLBACK OVER BUDGET %s: %d nodes without generated code at -O%d, budget %d (%s): ops %s\n", names[i],
               got, passes.level, max, budget_file, rep.whole_graph_ref ? "(whole graph)" : rep.fallback_ops);
        over++;
      } else if (got < max) {
        printf("fallback under budget %s: %d nodes without generated code at -O%d, budget %d: lower it in %s\n",
               names[i], got, passes.level, max, budget_file);
        under++;
      }
    }
    free(names[i]);
  }
  free(names);
  printf("%d of %d models pass\n", n - failed, n);
  if (budget_file)
    printf("fallback budget (%s): %d models over, %d under\n", budget_file, over, under);
  if (!n) {
    printf("FAIL: no model in %s%s%s: a run of nothing proves nothing\n", tiny, filter ? " matches --filter " : "",
           filter ? filter : "");
    return 1;
  }
  return failed || over ? 1 : 0;
}
