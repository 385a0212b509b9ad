/* ir_text.h: the public entry points of kiln's text IR (ir/text/): the
 * canonical printer and the parser of the authoring language (params,
 * configs, macros, for loops, seeded initializers; docs/ir.md). A library of
 * its own (kiln_irtext) on top of the graph core in ir/: the core, the
 * runtime and codegen never need it; the frontend (.kir models), the pass
 * manager's IR dumps, the CLI and the tests do. */
#ifndef KILN_IR_TEXT_H
#define KILN_IR_TEXT_H

#include "ir.h"

typedef struct ir_print_opts {
  int64_t max_const_elems; /* constants with more elements print as `elided`; <0 = all */
} ir_print_opts;
/* Writes the graph as text; returns a malloc'd string (NULL on OOM). */
char *ir_print(const ir_graph *g, const ir_print_opts *opts);
kn_status ir_parse(kn_ctx *ctx, const char *text, const char *filename, ir_graph **out);
/* Parameters of a parse: which `config` block applies and NAME=VALUE
 * overrides of `param`s (docs/ir.md, "Parameters and configs"). */
typedef struct ir_parse_opts {
  const char *config;         /* NULL: the params' declared values */
  const char *const *defines; /* "NAME=VALUE" each; VALUE is an expression */
  int ndefines;
  int64_t max_expand; /* statements, loop iterations and calls run by macros and loops; 0: 2^18 */
} ir_parse_opts;
/* ir_parse with options; opts may be NULL. An unknown config or a define of
 * an undeclared param is an error. */
kn_status ir_parse_ex(kn_ctx *ctx, const char *text, const char *filename, const ir_parse_opts *opts,
                      ir_graph **out);
#endif
