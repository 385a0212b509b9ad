/* cli.h: shared pieces of the kiln command-line tool: common option parsing,
 * model loading with --shape bindings, and the exit-code convention
 * (0 ok, 1 model error, 2 usage error). */
#ifndef KILN_CLI_H
#define KILN_CLI_H

#include "frontend.h"
#include "ref.h"
#include <stdio.h>

enum { EXIT_OK = 0, EXIT_MODEL = 1, EXIT_USAGE = 2 };

#define CLI_MAX_SHAPES 32
typedef struct cli_common {
  const char *model;
  const char *shape_names[CLI_MAX_SHAPES];
  int64_t shape_dims[CLI_MAX_SHAPES][KN_MAX_RANK];
  int shape_ranks[CLI_MAX_SHAPES];
  int nshapes;
  uint64_t mem_limit;
  int verbose;
} cli_common;

/* Tries to consume a common option at argv[*i]; returns 1 if consumed, 0 if
 * not a common option, -1 on a usage error (message printed). */
int cli_common_option(cli_common *o, int argc, char **argv, int *i);
/* Help text for the common options. */
extern const char cli_common_help[];
/* Loads the model and applies --shape bindings; prints errors. */
int cli_load(kn_ctx *kn, const cli_common *o, ir_graph **g);
/* Concrete shape for graph input `idx` (--shape, else free dims = 1). */
void cli_input_shape(const cli_common *o, const ir_graph *g, int idx, int *rank, int64_t *dims);
void cli_print_tensor_summary(FILE *f, const char *name, const kn_tensor *t);

int cmd_run(int argc, char **argv);
int cmd_inspect(int argc, char **argv);

#endif
