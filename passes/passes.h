/* passes.h: internal header of passes/, the graph transformations that run
 * between import and execution. Each pass keeps the graph valid (verifier) and
 * typed. The pass manager and pipeline flags build on these. */
#ifndef KILN_PASSES_H
#define KILN_PASSES_H

#include "ir.h"
#include <stdio.h>

/* ===== specialize.c ===== */
/* Gives every graph input its concrete shape (dims[i] for input i; rank -1 in
 * ranks[i] keeps the declared type) and re-infers all types. Fails when a
 * shape contradicts a known dim. */
kn_status pass_bind_input_shapes(ir_graph *g, const int *ranks, const int64_t (*dims)[KN_MAX_RANK]);
/* One forward sweep that infers each node and evaluates it at compile time
 * when all its inputs are constants (or it only reads a concrete shape:
 * Shape, Size), turning its outputs into constants and marking it dead.
 * Folded results larger than max_bytes are left to run time. Returns the
 * number of folded nodes in *folded. */
kn_status pass_fold_constants(ir_graph *g, int64_t max_bytes, int32_t *folded);
/* True when every live value has a concrete type (a fully static graph). */
bool pass_graph_is_static(const ir_graph *g, const char **why_node);

/* ===== the passes (passes.def) ===== */
struct pm_options;
typedef struct pass_result {
  int32_t changed; /* how many things the pass changed (nodes removed, folded, ...) */
  const struct pm_options *opt; /* the pipeline's options (target facts such as nchwc_block); may be NULL */
} pass_result;
#define PASS(id, name, desc) kn_status pass_run_##id(ir_graph *g, pass_result *r);
#include "passes.def"
#undef PASS

/* rewrite.c: shared helpers */
/* Replaces every use of value `from` by `to` in the live nodes of g (graph
 * outputs are not touched). */
void pass_replace_uses(ir_graph *g, ir_id from, ir_id to);
/* True when a subgraph of g refers to value v by name (then v cannot be
 * renamed away). */
bool pass_value_captured(const ir_graph *g, ir_id v);
/* Number of live-node uses of each value (array of g->nvalues, caller frees). */
int32_t *pass_use_counts(const ir_graph *g);

/* ===== fuse_elementwise.c ===== */
/* n is an op the elementwise-chain fusion takes (and the JIT's fused loop
 * emits): f32, one of the supported ops, with the constant operands it needs. */
bool pass_elementwise_fusable_op(const ir_graph *g, const ir_node *n);

/* ===== pass_manager.c ===== */
typedef struct pm_options {
  const char *pipeline; /* --passes=a,b,c (NULL: the pipeline of `level`) */
  int level;            /* -O0..-O3 */
  const char *disabled[32];
  int ndisabled;
  const char *print_before[32], *print_after[32];
  int nprint_before, nprint_after;
  bool print_after_all, verify_each, time_passes, pass_stats;
  FILE *out; /* where printing and tables go (default stderr) */
  int nchwc_block; /* layout-nchwc's block: the target's vector width in floats (0: 8); the JIT sets it */
  bool nchwc_all;  /* layout-nchwc converts every convolution it can, not only those its speed rule picks (tests) */
} pm_options;
const char *pm_pipeline_for_level(int level);
/* Checks that every name in the pipeline/flags is a known pass. */
kn_status pm_check(kn_ctx *kn, const pm_options *o);
kn_status pm_run(ir_graph *g, const pm_options *o);
void pm_list_passes(FILE *f);

#endif
