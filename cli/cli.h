/* cli.h: shared pieces of the kiln command-line tool: the table-driven option
 * parser every subcommand uses, model loading with --shape bindings, and the
 * exit-code convention (0 ok, 1 model error, 2 usage error). */
#ifndef KILN_CLI_H
#define KILN_CLI_H

#include "cg.h"
#include "loader.h"
#include "passes.h"
#include "frontend.h"
#include "ref.h"
#include <stdio.h>

enum { EXIT_OK = 0, EXIT_MODEL = 1, EXIT_USAGE = 2 };

#define CLI_MAX_SHAPES 32
#define CLI_MAX_DEFINES 64
typedef struct cli_common {
  const char *model;
  const char *shape_names[CLI_MAX_SHAPES];
  int64_t shape_dims[CLI_MAX_SHAPES][KN_MAX_RANK];
  int shape_ranks[CLI_MAX_SHAPES];
  int nshapes;
  uint64_t mem_limit;
  int verbose;
  /* .kir models: --config NAME, --define NAME=VALUE */
  const char *config;
  const char *defines[CLI_MAX_DEFINES];
  int ndefines;
  /* engine and compiler options */
  const char *engine; /* "jit" (default) or "ref" */
  int opt_level;      /* -O0..-O3, default 2 */
  const char *cpu, *features, *dump_llvm, *dump_asm, *cache_dir;
  bool no_cache;
  uint64_t cache_max; /* --cache-max (0: $KILN_CACHE_MAX or 1 GiB) */
  int threads; /* --threads N, default 1 */
  int max_loop_iters; /* --max-loop-iters N (0: kiln's default) */
  bool level_given; /* an explicit -O: the reference engine runs kiln's passes only then */
  pm_options passes;
  const char *custom_ops[16]; /* --custom-op OPTYPE=LIB:SIGNATURE (ir/custom_op.c) */
  int ncustom_ops;
} cli_common;

/* A loaded model with its inputs, ready to run on the chosen engine. */
typedef struct cli_session {
  kn_ctx *kn;
  const cli_common *o;
  ir_graph *g;        /* ref engine: the graph; jit: owned by the compiled model */
  cg_model *jit;
  ref_plan *plan;
  kn_artifact *aot;   /* an AOT-built .so (runtime/loader/artifact.c) */
  const ir_graph *view; /* the graph to read names/types from */
  kn_tensor *ins, *outs;
  int nin, nout;
  double load_ms, compile_ms;
  int64_t macs;        /* for the bound input shapes */
  int64_t params;      /* parameter count of the model as loaded */
  int32_t nodes_loaded; /* live nodes before any pass */
} cli_session;
/* Loads o->model, reads inputs from in_dir or synthesizes them, compiles
 * for the engine. Prints errors; returns an exit code. */
int cli_session_open(cli_session *s, kn_ctx *kn, const cli_common *o, const char *in_dir);
/* One run; outputs land in s->outs (replacing the previous ones). */
kn_status cli_session_run(cli_session *s);
void cli_session_close(cli_session *s);
/* "aot" for an artifact, else o->engine. */
const char *cli_engine_name(const cli_session *s);
/* Lists op types that run on reference kernels under the JIT (verbose). */
void cli_report_engine(FILE *f, const cli_session *s);

/* ===== options.c: one parser for every subcommand's argv ===== */
/* A row of a command's option table. A row with names is an option; one
 * without is a help-only line (usage + help) or a heading (help alone). */
typedef struct cli_opt cli_opt;
typedef struct cli_parser {
  const char *cmd; /* "run": messages start "kiln run: " */
  cli_common *o;
} cli_parser;
/* Does what the option means; returns CLI_GO_ON, or an exit code that ends
 * the command (EXIT_USAGE after printing why; EXIT_OK for --list-passes). */
typedef int (*cli_opt_fn)(const cli_parser *p, const cli_opt *opt, const char *name, const char *val);
struct cli_opt {
  const char *names[4]; /* "-i", "--inputs" */
  const char *arg;      /* the value's placeholder in --help ("DIR"); NULL: a flag */
  const char *help;     /* NULL: not listed (another row's help covers it) */
  const char *usage;    /* help's left column when not "NAMES ARG" */
  const char **str;     /* a value is stored here, */
  bool *flag;           /* a flag sets this, */
  int *num;             /* an integer value in [min, max] goes here, */
  int min, max;
  cli_opt_fn fn;        /* or fn does it */
};
typedef struct cli_cmd {
  const char *name;    /* "run" */
  const char *usage;   /* --help: text before the options */
  const cli_opt *opts; /* ends with CLI_OPT_END */
  const char *notes;   /* --help: text after them (or NULL) */
  bool common_help;    /* --help then lists the engine/pass flags */
} cli_cmd;
#define CLI_OPT_END {.names = {NULL}} /* the row that ends a table */
enum { CLI_GO_ON = -1 };
/* Parses argv (after the command name) against cmd's options and the common
 * ones into o (o->model: the one positional argument). Returns CLI_GO_ON, or
 * the exit code to return: EXIT_OK after --help/--list-passes, EXIT_USAGE
 * after printing the error (then o's allocations are released). */
int cli_parse(const cli_cmd *cmd, cli_common *o, int argc, char **argv);
/* The candidate closest to `typed` (Damerau-Levenshtein distance <= 2, at
 * most half its length without dashes), else the one it is a unique prefix
 * of, else NULL. */
const char *cli_suggest(const char *typed, const char *const *cands, int n);

/* ===== common_options.c: the engine/pass flags of every command ===== */
#define CLI_MAX_COMMON 40
void cli_common_init(cli_common *o); /* defaults: engine jit, -O2 */
void cli_common_free(cli_common *o);
/* Fills t with the common option rows, pointing into o; returns how many. */
int cli_common_opts(cli_common *o, cli_opt t[CLI_MAX_COMMON]);

/* ===== common.c ===== */
/* --mem-limit and --max-loop-iters into kn (when given). */
void cli_apply_limits(kn_ctx *kn, const cli_common *o);
/* Sorts t[0..n) and returns its median (0 when n <= 0). */
double cli_median(double *t, int n);
/* Loads the model and applies --shape bindings; prints errors. */
int cli_load(kn_ctx *kn, const cli_common *o, ir_graph **g);
/* Concrete shape for graph input `idx` (--shape, else free dims = 1). */
void cli_input_shape(const cli_common *o, const ir_graph *g, int idx, int *rank, int64_t *dims);
void cli_print_tensor_summary(FILE *f, const char *name, const kn_tensor *t);

int cmd_run(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_compile(int argc, char **argv);

#endif
