/* common_options.c: the engine and pass flags every kiln subcommand takes, as
 * rows for the parser (options.c); `kiln CMD --help` prints these same rows.
 * Values are checked here, as they are parsed, so that a bad one is a usage
 * error (exit 2) before any model is loaded: a pass name passes.def does not
 * declare, an engine other than jit/ref, a malformed --shape or size. The
 * rows point into one cli_common, so the table is built for each parse. */
#include "cli.h"
#include <stdlib.h>
#include <string.h>

static const char *const pass_names[] = {
#define PASS(id, name, desc) name,
#include "passes.def"
#undef PASS
};
enum { NPASS_NAMES = sizeof pass_names / sizeof pass_names[0] };

/* One pass name (n chars of s), as --passes, --disable-pass, --print-* give it. */
static int check_pass(const cli_parser *p, const char *flag, const char *s, size_t n) {
  for (int k = 0; k < NPASS_NAMES; k++)
    if (strlen(pass_names[k]) == n && !strncmp(pass_names[k], s, n)) return CLI_GO_ON;
  char bad[64];
  snprintf(bad, sizeof bad, "%.*s", (int)n, s);
  const char *near = cli_suggest(bad, pass_names, NPASS_NAMES);
  if (near) fprintf(stderr, "kiln %s: unknown pass '%.*s' in %s (did you mean %s?)\n", p->cmd, (int)n, s, flag, near);
  else fprintf(stderr, "kiln %s: unknown pass '%.*s' in %s (see --list-passes)\n", p->cmd, (int)n, s, flag);
  return EXIT_USAGE;
}

static int set_pipeline(const cli_parser *p, const cli_opt *opt, const char *name, const char *v) {
  for (const char *s = v; *s;) { /* empty names are skipped, as the pass manager does */
    size_t n = strcspn(s, ",");
    if (n && check_pass(p, name, s, n) != CLI_GO_ON) return EXIT_USAGE;
    s += n + (s[n] == ',');
  }
  p->o->passes.pipeline = v;
  p->o->level_given = true;
  return CLI_GO_ON;
}

static int add_pass(const cli_parser *p, const char *name, const char *v, const char **arr, int *cnt) {
  if (check_pass(p, name, v, strlen(v)) != CLI_GO_ON) return EXIT_USAGE;
  if (*cnt >= 32) {
    fprintf(stderr, "kiln %s: too many %s flags\n", p->cmd, name);
    return EXIT_USAGE;
  }
  arr[(*cnt)++] = v;
  return CLI_GO_ON;
}
static int add_disabled(const cli_parser *p, const cli_opt *opt, const char *name, const char *v) {
  return add_pass(p, name, v, p->o->passes.disabled, &p->o->passes.ndisabled);
}
static int add_print_before(const cli_parser *p, const cli_opt *opt, const char *name, const char *v) {
  return add_pass(p, name, v, p->o->passes.print_before, &p->o->passes.nprint_before);
}
static int add_print_after(const cli_parser *p, const cli_opt *opt, const char *name, const char *v) {
  return add_pass(p, name, v, p->o->passes.print_after, &p->o->passes.nprint_after);
}

static int list_passes(const cli_parser *p, const cli_opt *opt, const char *name, const char *v) {
  pm_list_passes(stdout);
  return EXIT_OK;
}

static int set_level(const cli_parser *p, const cli_opt *opt, const char *name, const char *v) {
  p->o->opt_level = p->o->passes.level = name[2] - '0';
  p->o->level_given = true;
  return CLI_GO_ON;
}

static int add_verbose(const cli_parser *p, const cli_opt *opt, const char *name, const char *v) {
  p->o->verbose++;
  return CLI_GO_ON;
}

static int set_engine(const cli_parser *p, const cli_opt *opt, const char *name, const char *v) {
  if (strcmp(v, "jit") != 0 && strcmp(v, "ref") != 0) {
    fprintf(stderr, "kiln %s: unknown engine '%s' (available: jit, ref)\n", p->cmd, v);
    return EXIT_USAGE;
  }
  p->o->engine = v;
  return CLI_GO_ON;
}

static int set_config(const cli_parser *p, const cli_opt *opt, const char *name, const char *v) {
  if (!*v) {
    fprintf(stderr, "kiln %s: %s needs a value\n", p->cmd, name);
    return EXIT_USAGE;
  }
  p->o->config = v;
  return CLI_GO_ON;
}

static int add_define(const cli_parser *p, const cli_opt *opt, const char *name, const char *v) {
  const char *eq = strchr(v, '=');
  if (!eq || eq == v || !eq[1]) {
    fprintf(stderr, "kiln %s: --define wants NAME=VALUE, got '%s'\n", p->cmd, v);
    return EXIT_USAGE;
  }
  if (p->o->ndefines == CLI_MAX_DEFINES) {
    fprintf(stderr, "kiln %s: more than %d --define flags\n", p->cmd, CLI_MAX_DEFINES);
    return EXIT_USAGE;
  }
  p->o->defines[p->o->ndefines++] = v;
  return CLI_GO_ON;
}

static int add_custom_op(const cli_parser *p, const cli_opt *opt, const char *name, const char *v) {
  if (p->o->ncustom_ops >= 16) {
    fprintf(stderr, "kiln %s: at most 16 --custom-op flags\n", p->cmd);
    return EXIT_USAGE;
  }
  p->o->custom_ops[p->o->ncustom_ops++] = v; /* checked by ir_custom_register when the model loads */
  return CLI_GO_ON;
}

static int set_print_file(const cli_parser *p, const cli_opt *opt, const char *name, const char *v) {
  if (p->o->passes.out) fclose(p->o->passes.out);
  /* closed when the process exits, after the command has printed its last pass */
  if (!(p->o->passes.out = fopen(v, "w"))) {
    fprintf(stderr, "kiln %s: cannot write %s\n", p->cmd, v);
    return EXIT_USAGE;
  }
  return CLI_GO_ON;
}

static int set_mem_limit(const cli_parser *p, const cli_opt *opt, const char *name, const char *v) {
  char *end;
  double x = strtod(v, &end);
  uint64_t mul = 1;
  if (*end == 'K' || *end == 'k') mul = 1ull << 10, end++;
  else if (*end == 'M' || *end == 'm') mul = 1ull << 20, end++;
  else if (*end == 'G' || *end == 'g') mul = 1ull << 30, end++;
  /* 0 would mean "the default" to the context, and a value past 2^63 does not
   * fit: both are usage errors, not a silent 8G */
  if (end == v || !(x > 0) || *end || x * (double)mul >= 9.2e18 || x * (double)mul < 1) {
    fprintf(stderr, "kiln %s: bad --mem-limit '%s' (a size from 1 byte to 8E, e.g. 512M or 16G)\n", p->cmd, v);
    return EXIT_USAGE;
  }
  p->o->mem_limit = (uint64_t)(x * (double)mul);
  return CLI_GO_ON;
}

static int set_cache_max(const cli_parser *p, const cli_opt *opt, const char *name, const char *v) {
  if (!(p->o->cache_max = cg_cache_parse_size(v))) {
    fprintf(stderr, "kiln %s: --cache-max wants a size such as 512M or 2G, got '%s'\n", p->cmd, v);
    return EXIT_USAGE;
  }
  return CLI_GO_ON;
}

/* NAME=DxDx... (or D,D,...): the name is copied, freed by cli_common_free */
static int add_shape(const cli_parser *p, const cli_opt *opt, const char *name, const char *v) {
  cli_common *o = p->o;
  const char *eq = strchr(v, '=');
  if (!eq || eq == v || o->nshapes >= CLI_MAX_SHAPES) {
    fprintf(stderr, "kiln %s: --shape wants NAME=DxDx..., got '%s'\n", p->cmd, v);
    return EXIT_USAGE;
  }
  int k = o->nshapes, r = 0;
  for (const char *s = eq + 1; *s;) {
    char *end;
    long long d = strtoll(s, &end, 10);
    if (end == s || d < 0 || r >= KN_MAX_RANK || (*end && *end != 'x' && *end != ',')) {
      fprintf(stderr, "kiln %s: bad dims in --shape '%s'\n", p->cmd, v);
      return EXIT_USAGE;
    }
    o->shape_dims[k][r++] = d;
    s = end + (*end != 0);
  }
  o->shape_ranks[k] = r;
  if (!(o->shape_names[k] = strndup(v, (size_t)(eq - v)))) {
    fprintf(stderr, "kiln %s: out of memory\n", p->cmd);
    return EXIT_USAGE;
  }
  o->nshapes++;
  return CLI_GO_ON;
}

void cli_common_init(cli_common *o) {
  memset(o, 0, sizeof *o);
  o->engine = "jit";
  o->opt_level = 2;
  o->passes.level = 2;
  o->threads = 1;
}

void cli_common_free(cli_common *o) {
  for (int k = 0; k < o->nshapes; k++) free((void *)o->shape_names[k]);
  o->nshapes = 0;
}

int cli_common_opts(cli_common *o, cli_opt t[CLI_MAX_COMMON]) {
  pm_options *pm = &o->passes;
  const cli_opt rows[] = {
      {{"--shape"}, "NAME=DxDx...", "bind the dims of input NAME (e.g. pixel_values=1x3x224x224);\n"
                                    "free dims of other inputs default to 1", .fn = add_shape},
      {{"--engine"}, "jit|ref", "jit: compile with LLVM for this CPU (default); ref: reference executor",
       .fn = set_engine},
      {{"--threads"}, "N", "threads for the JIT's parallel loops (default 1)", .num = &o->threads, .min = 1,
       .max = 256},
      {{"-O0", "-O1", "-O2", "-O3"}, NULL, "LLVM optimization level of the JIT (default -O2)",
       .usage = "-O0 .. -O3", .fn = set_level},
      {{"--cpu"}, "NAME", "CPU to generate code for (default: this machine's)", .str = &o->cpu},
      {{"--features"}, "LIST", "CPU features, e.g. +avx2,-avx512f (default: this machine's)", .str = &o->features},
      {{"--dump-llvm"}, "FILE", "write the LLVM IR after kiln's lowering", .str = &o->dump_llvm},
      {{"--dump-asm"}, "FILE", "write the generated assembly", .str = &o->dump_asm},
      {{"--no-cache"}, NULL, "compile even if the compile cache has this model", .flag = &o->no_cache},
      {{"--cache-dir"}, "DIR", "compile cache folder (default $KILN_CACHE_DIR or ~/.cache/kiln)",
       .str = &o->cache_dir},
      {{"--cache-max"}, "SIZE", "size cap of the compile cache, least recently used entries go\n"
                                "first (default $KILN_CACHE_MAX or 1G; suffixes K M G)", .fn = set_cache_max},
      {{"--mem-limit"}, "BYTES", "largest single allocation allowed, and the most a Loop's\n"
                                 "accumulated outputs may take (default 8G; suffixes K M G)",
       .fn = set_mem_limit},
      {{"--max-loop-iters"}, "N", "iterations one Loop node may run (default 1000000)",
       .num = &o->max_loop_iters, .min = 1, .max = 2000000000},
      {{"--config"}, "NAME", ".kir models: use the file's `config NAME { ... }` params", .fn = set_config},
      {{"--define"}, "NAME=VALUE", ".kir models: set param NAME (repeatable; after --config)", .fn = add_define},
      {{"--custom-op"}, "'OPTYPE=LIB:RET SYMBOL(ARGS)'", "run ONNX op OPTYPE with a C function of LIB (docs/deploy.md)",
       .fn = add_custom_op},
      {{NULL}, NULL, "pass flags (kiln's graph passes; docs/passes.md):", .usage = NULL}, /* a heading */
      {{NULL}, NULL, "also pick kiln's pass pipeline (-O0: none; the reference engine\n"
                     "runs passes only with an explicit -O or --passes)", .usage = "-O0 .. -O3"},
      {{"--passes"}, "a,b,c", "run exactly this pipeline", .usage = "--passes=a,b,c", .fn = set_pipeline},
      {{"--disable-pass"}, "NAME", "skip a pass (repeatable)", .usage = "--disable-pass=NAME", .fn = add_disabled},
      {{"--print-before"}, "NAME", "print the IR around passes (to stderr, or --print-file)",
       .usage = "--print-before=NAME, --print-after=NAME, --print-after-all", .fn = add_print_before},
      {{"--print-after"}, "NAME", NULL, .fn = add_print_after},
      {{"--print-after-all"}, NULL, NULL, .flag = &pm->print_after_all},
      {{"--print-file"}, "FILE", "write the IR dumps, --time-passes and --pass-stats to FILE", .fn = set_print_file},
      {{"--verify-each"}, NULL, "run the IR verifier after every pass", .flag = &pm->verify_each},
      {{"--time-passes"}, NULL, "table of pass, ms, nodes before/after (stderr)", .flag = &pm->time_passes},
      {{"--pass-stats"}, NULL, "what each pass changed (stderr)", .flag = &pm->pass_stats},
      {{"--list-passes"}, NULL, "list the passes and exit", .fn = list_passes},
      {{"-v", "--verbose"}, NULL, "more output (-v: ops on reference kernels under the JIT)", .fn = add_verbose},
      CLI_OPT_END};
  enum { N = sizeof rows / sizeof rows[0] };
  _Static_assert(N <= CLI_MAX_COMMON, "raise CLI_MAX_COMMON");
  memcpy(t, rows, sizeof rows);
  return N - 1;
}
