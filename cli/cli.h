/* cli.h: shared pieces of the kiln command-line tool: common option parsing,
 * model loading with --shape bindings, and the exit-code convention
 * (0 ok, 1 model error, 2 usage error). */
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
  int threads; /* --threads N, default 1 */
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
  kn_artifact *aot;   /* an AOT-built .so (frontend/artifact.c) */
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

void cli_common_init(cli_common *o); /* defaults: engine jit, -O2 */
/* Tries to consume a common option at argv[*i]; returns 1 if consumed, 0 if
 * not a common option, -1 on a usage error (message printed). */
int cli_common_option(cli_common *o, int argc, char **argv, int *i);
/* Help text for the common options. */
extern const char cli_common_help[];
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
