/* common.c: option parsing and helpers shared by the kiln subcommands. */
#include "cli.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char cli_common_help[] =
    "  --shape NAME=DxDx...   bind the dims of input NAME (e.g. pixel_values=1x3x224x224);\n"
    "                         free dims of other inputs default to 1\n"
    "  --engine jit|ref       jit: compile with LLVM for this CPU (default); ref: reference executor\n"
    "  --threads N            threads for the JIT's parallel loops (default 1)\n"
    "  -O0 .. -O3             LLVM optimization level of the JIT (default -O2)\n"
    "  --cpu NAME             CPU to generate code for (default: this machine's)\n"
    "  --features LIST        CPU features, e.g. +avx2,-avx512f (default: this machine's)\n"
    "  --dump-llvm FILE       write the LLVM IR after kiln's lowering\n"
    "  --dump-asm FILE        write the generated assembly\n"
    "  --no-cache             compile even if the compile cache has this model\n"
    "  --cache-dir DIR        compile cache folder (default $KILN_CACHE_DIR or ~/.cache/kiln)\n"
    "  --mem-limit BYTES      largest single allocation allowed (default 8G; suffixes K M G)\n"
    "  --config NAME          .kir models: use the file's `config NAME { ... }` params\n"
    "  --define NAME=VALUE    .kir models: set param NAME (repeatable; after --config)\n"
    "  --custom-op 'OPTYPE=LIB:RET SYMBOL(ARGS)'\n"
    "                         run ONNX op OPTYPE with a C function of LIB (docs/deploy.md)\n"
    "pass flags (kiln's graph passes; docs/passes.md):\n"
    "  -O0 .. -O3             also pick kiln's pass pipeline (-O0: none; the reference engine\n"
    "                         runs passes only with an explicit -O or --passes)\n"
    "  --passes=a,b,c         run exactly this pipeline\n"
    "  --disable-pass=NAME    skip a pass (repeatable)\n"
    "  --print-before=NAME, --print-after=NAME, --print-after-all\n"
    "                         print the IR around passes (to stderr, or --print-file)\n"
    "  --print-file FILE      write the IR dumps, --time-passes and --pass-stats to FILE\n"
    "  --verify-each          run the IR verifier after every pass\n"
    "  --time-passes          table of pass, ms, nodes before/after (stderr)\n"
    "  --pass-stats           what each pass changed (stderr)\n"
    "  --list-passes          list the passes and exit\n"
    "  -v, --verbose          more output (-v: ops on reference kernels under the JIT)\n";

static int parse_size(const char *s, uint64_t *out) {
  char *end;
  double v = strtod(s, &end);
  if (end == s || v < 0) return -1;
  uint64_t mul = 1;
  if (*end == 'K' || *end == 'k') mul = 1ull << 10, end++;
  else if (*end == 'M' || *end == 'm') mul = 1ull << 20, end++;
  else if (*end == 'G' || *end == 'g') mul = 1ull << 30, end++;
  if (*end) return -1;
  *out = (uint64_t)(v * (double)mul);
  return 0;
}

void cli_common_init(cli_common *o) {
  memset(o, 0, sizeof *o);
  o->engine = "jit";
  o->opt_level = 2;
  o->passes.level = 2;
  o->threads = 1;
}

int cli_common_option(cli_common *o, int argc, char **argv, int *i) {
  const char *a = argv[*i];
  if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
    o->verbose++;
    return 1;
  }
  if (a[0] == '-' && a[1] == 'O' && a[2] >= '0' && a[2] <= '3' && !a[3]) {
    o->opt_level = a[2] - '0';
    o->passes.level = o->opt_level;
    o->level_given = true;
    return 1;
  }
  pm_options *pm = &o->passes;
  struct {
    const char *flag;
    bool *on;
  } bools[] = {{"--print-after-all", &pm->print_after_all}, {"--verify-each", &pm->verify_each},
               {"--time-passes", &pm->time_passes},         {"--pass-stats", &pm->pass_stats}};
  for (size_t k = 0; k < sizeof bools / sizeof bools[0]; k++)
    if (!strcmp(a, bools[k].flag)) {
      *bools[k].on = true;
      return 1;
    }
  if (!strcmp(a, "--list-passes")) {
    pm_list_passes(stdout);
    exit(0); /* the CLI's main flow, not library code */
  }
  const char *lists[] = {"--passes", "--disable-pass", "--print-before", "--print-after"};
  for (size_t k = 0; k < sizeof lists / sizeof lists[0]; k++) {
    size_t n = strlen(lists[k]);
    if (strncmp(a, lists[k], n) != 0 || (a[n] != '=' && a[n] != 0)) continue;
    const char *v = a[n] == '=' ? a + n + 1 : *i + 1 < argc ? argv[++*i] : NULL;
    if (!v) {
      fprintf(stderr, "kiln: %s needs a value\n", lists[k]);
      return -1;
    }
    if (k == 0) {
      pm->pipeline = v;
      o->level_given = true;
      return 1;
    }
    const char **arr = k == 1 ? pm->disabled : k == 2 ? pm->print_before : pm->print_after;
    int *cnt = k == 1 ? &pm->ndisabled : k == 2 ? &pm->nprint_before : &pm->nprint_after;
    if (*cnt >= 32) {
      fprintf(stderr, "kiln: too many %s flags\n", lists[k]);
      return -1;
    }
    arr[(*cnt)++] = v;
    return 1;
  }
  if (!strcmp(a, "--threads")) {
    char *end = NULL;
    long n = *i + 1 < argc ? strtol(argv[*i + 1], &end, 10) : 0;
    if (!end || *end || n < 1 || n > 256) {
      fprintf(stderr, "kiln: --threads wants a count from 1 to 256\n");
      return -1;
    }
    o->threads = (int)n;
    ++*i;
    return 1;
  }
  if (!strncmp(a, "--config", 8) || !strncmp(a, "--define", 8)) {
    if (a[8] != '=' && a[8] != 0) return 0; /* some other option */
    bool cfg = a[2] == 'c';
    const char *v = a[8] == '=' ? a + 9 : *i + 1 < argc ? argv[++*i] : NULL;
    if (!v || !*v) {
      fprintf(stderr, "kiln: %s needs a value\n", cfg ? "--config" : "--define");
      return -1;
    }
    if (cfg) {
      o->config = v;
      return 1;
    }
    const char *eq = strchr(v, '=');
    if (!eq || eq == v || !eq[1]) {
      fprintf(stderr, "kiln: --define wants NAME=VALUE, got '%s'\n", v);
      return -1;
    }
    if (o->ndefines == CLI_MAX_DEFINES) {
      fprintf(stderr, "kiln: more than %d --define flags\n", CLI_MAX_DEFINES);
      return -1;
    }
    o->defines[o->ndefines++] = v;
    return 1;
  }
  if (!strcmp(a, "--custom-op")) {
    if (*i + 1 >= argc || o->ncustom_ops >= 16) {
      fprintf(stderr, "kiln: --custom-op needs a value (at most 16)\n");
      return -1;
    }
    o->custom_ops[o->ncustom_ops++] = argv[++*i];
    return 1;
  }
  if (!strcmp(a, "--no-cache")) {
    o->no_cache = true;
    return 1;
  }
  const char **sv = !strcmp(a, "--engine")      ? &o->engine
                    : !strcmp(a, "--cpu")       ? &o->cpu
                    : !strcmp(a, "--features")  ? &o->features
                    : !strcmp(a, "--dump-llvm") ? &o->dump_llvm
                    : !strcmp(a, "--dump-asm")  ? &o->dump_asm
                    : !strcmp(a, "--cache-dir") ? &o->cache_dir
                                                : NULL;
  if (sv) {
    if (*i + 1 >= argc) {
      fprintf(stderr, "kiln: %s needs a value\n", a);
      return -1;
    }
    *sv = argv[++*i];
    if (sv == &o->engine && strcmp(*sv, "jit") != 0 && strcmp(*sv, "ref") != 0) {
      fprintf(stderr, "kiln: unknown engine '%s' (available: jit, ref)\n", *sv);
      return -1;
    }
    return 1;
  }
  if (!strcmp(a, "--print-file")) {
    if (*i + 1 >= argc) {
      fprintf(stderr, "kiln: %s needs a value\n", a);
      return -1;
    }
    const char *path = argv[++*i];
    if (o->passes.out) fclose(o->passes.out);
    /* closed when the process exits, after the command has printed its last pass */
    if (!(o->passes.out = fopen(path, "w"))) {
      fprintf(stderr, "kiln: cannot write %s\n", path);
      return -1;
    }
    return 1;
  }
  if (!strcmp(a, "--mem-limit") || !strcmp(a, "--shape")) {
    if (*i + 1 >= argc) {
      fprintf(stderr, "kiln: %s needs a value\n", a);
      return -1;
    }
    const char *v = argv[++*i];
    if (!strcmp(a, "--mem-limit")) {
      if (parse_size(v, &o->mem_limit) != 0) {
        fprintf(stderr, "kiln: bad --mem-limit '%s'\n", v);
        return -1;
      }
      return 1;
    }
    const char *eq = strchr(v, '=');
    if (!eq || eq == v || o->nshapes >= CLI_MAX_SHAPES) {
      fprintf(stderr, "kiln: --shape wants NAME=DxDx..., got '%s'\n", v);
      return -1;
    }
    int k = o->nshapes, r = 0;
    const char *p = eq + 1;
    while (*p) {
      char *end;
      long long d = strtoll(p, &end, 10);
      if (end == p || d < 0 || r >= KN_MAX_RANK) {
        fprintf(stderr, "kiln: bad dims in --shape '%s'\n", v);
        return -1;
      }
      o->shape_dims[k][r++] = d;
      p = end;
      if (*p == 'x' || *p == ',') p++;
      else if (*p) {
        fprintf(stderr, "kiln: bad dims in --shape '%s'\n", v);
        return -1;
      }
    }
    o->shape_ranks[k] = r;
    char *name = strndup(v, (size_t)(eq - v));
    o->shape_names[k] = name;
    o->nshapes++;
    return 1;
  }
  return 0;
}

int cli_load(kn_ctx *kn, const cli_common *o, ir_graph **g) {
  if (o->mem_limit) kn_set_mem_limit(kn, o->mem_limit);
  kn_set_verbose(kn, o->verbose);
  for (int k = 0; k < o->ncustom_ops; k++)
    if (ir_custom_register(kn, o->custom_ops[k]) != KN_OK) {
      fprintf(stderr, "kiln: error: %s\n", kn_errmsg(kn));
      return EXIT_USAGE;
    }
  if ((o->config || o->ndefines) && !kn_is_text_model(o->model)) {
    fprintf(stderr, "kiln: error: --config and --define apply to .kir models only, not %s\n", o->model);
    return EXIT_USAGE;
  }
  ir_parse_opts po = {.config = o->config, .defines = o->defines, .ndefines = o->ndefines};
  kn_status st = kn_load_graph_ex(kn, o->model, &po, g);
  if (st != KN_OK) {
    fprintf(stderr, "kiln: error: %s\n", kn_errmsg(kn));
    /* an unknown --config or a --define of no param is the command line's fault */
    return st == KN_EINVAL && kn_is_text_model(o->model) ? EXIT_USAGE : EXIT_MODEL;
  }
  for (int k = 0; k < o->nshapes; k++) {
    ir_id v = ir_value_find(*g, o->shape_names[k]);
    bool is_input = false;
    for (int i = 0; v != IR_NONE && i < (*g)->ninputs; i++) is_input |= (*g)->inputs[i] == v;
    if (!is_input) {
      fprintf(stderr, "kiln: error: --shape %s: the model has no input named '%s'\n", o->shape_names[k],
              o->shape_names[k]);
      ir_graph_free(*g);
      *g = NULL;
      return EXIT_USAGE;
    }
    const ir_type *t = &(*g)->values[v].type;
    if (t->rank >= 0 && t->rank != o->shape_ranks[k]) {
      fprintf(stderr, "kiln: error: --shape %s: input has rank %d, got %d dims\n", o->shape_names[k], t->rank,
              o->shape_ranks[k]);
      ir_graph_free(*g);
      *g = NULL;
      return EXIT_USAGE;
    }
  }
  return EXIT_OK;
}

void cli_input_shape(const cli_common *o, const ir_graph *g, int idx, int *rank, int64_t *dims) {
  const ir_value *v = &g->values[g->inputs[idx]];
  for (int k = 0; k < o->nshapes; k++)
    if (!strcmp(o->shape_names[k], v->name)) {
      *rank = o->shape_ranks[k];
      memcpy(dims, o->shape_dims[k], sizeof(int64_t) * (size_t)*rank);
      return;
    }
  *rank = v->type.rank < 0 ? 1 : v->type.rank;
  for (int i = 0; i < *rank; i++) dims[i] = v->type.rank < 0 || v->type.dims[i] < 0 ? 1 : v->type.dims[i];
}

void cli_print_tensor_summary(FILE *f, const char *name, const kn_tensor *t) {
  char shape[160] = "";
  for (int i = 0; i < t->rank; i++)
    snprintf(shape + strlen(shape), sizeof shape - strlen(shape), "%s%lld", i ? "x" : "", (long long)t->dims[i]);
  int64_t n = kn_tensor_numel(t);
  double mn = INFINITY, mx = -INFINITY, sum = 0;
  for (int64_t i = 0; i < n; i++) {
    double x = kn_tensor_get_f64(t, i);
    if (x < mn) mn = x;
    if (x > mx) mx = x;
    sum += x;
  }
  if (n == 0) mn = mx = 0;
  fprintf(f, "%-24s %-8s [%s]  min %.6g  max %.6g  mean %.6g", name, kn_dtype_name(t->dtype), shape, mn, mx,
          n ? sum / (double)n : 0.0);
  if (n > 0 && n <= 8) { /* small outputs (scores, probabilities): every value */
    fprintf(f, "  values");
    for (int64_t i = 0; i < n; i++) fprintf(f, " %.6g", kn_tensor_get_f64(t, i));
  }
  fprintf(f, "\n");
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

double cli_median(double *t, int n) {
  if (n <= 0) return 0;
  qsort(t, (size_t)n, sizeof *t, cmp_double);
  return n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
}
