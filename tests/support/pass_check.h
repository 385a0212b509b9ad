/* pass_check.h: helpers for text-in/text-out pass tests (pass_check.c):
 * parse a text-IR graph, run a pipeline on it, count its live ops, and run it
 * on the reference executor with deterministic inputs, so a test can compare
 * a graph's outputs before and after a pass. They report failure by return
 * value (and kn_errmsg), leaving assertions to the calling test. */
#ifndef KILN_PASS_CHECK_H
#define KILN_PASS_CHECK_H

#include "passes.h"

/* The parsed and type-inferred graph, or NULL. */
ir_graph *kt_parse_graph(kn_ctx *kn, const char *text);
/* Runs `pipeline` with --verify-each. */
kn_status kt_run_pipeline(ir_graph *g, const char *pipeline);
/* Live nodes of op `op`. */
int kt_count_op(const ir_graph *g, ir_op op);
/* Runs g on the reference executor with deterministic f32 inputs (input i,
 * element k: 3 sin(0.7 k + i)) and returns output `out`'s elements as floats
 * (malloc'd; *count their number), or NULL. */
float *kt_run_seeded(kn_ctx *kn, ir_graph *g, int out, int64_t *count);
/* Largest |a - b| / (1 + |b|) over n elements. */
double kt_max_rel_diff(const float *a, const float *b, int64_t n);

#endif
