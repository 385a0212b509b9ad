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
/* (bind_values.c) Binds the graph inputs whose values shape live nodes
 * (ops.def SHAPED_BY, walking back through their producers) to values[i]
 * (data NULL: not given) when they have at most max_numel elements: each
 * becomes a constant its readers use, and bound[i] is set. The input stays
 * in the graph's signature. *unbound names the first such input that could
 * not be bound and the node it shapes (input NULL: none), whatever shape
 * inference guessed. Fold afterwards. */
typedef struct pass_unbound {
  const char *input, *node;
  bool too_large; /* a value was given, larger than max_numel */
} pass_unbound;
kn_status pass_bind_input_values(ir_graph *g, const kn_tensor *values, int nvalues, int64_t max_numel, bool *bound,
                                 pass_unbound *unbound);
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
 * outputs are not touched). False, changing nothing, when a subgraph of g
 * reads `from` by name: it stays, and so must its producer. */
bool pass_replace_uses(ir_graph *g, ir_id from, ir_id to);
/* True when a subgraph of a live node of g reads value v by name (then v
 * cannot be renamed or fused away). */
bool pass_value_captured(const ir_graph *g, ir_id v);
/* Number of uses of each value by live nodes, a subgraph's read by name
 * counting as one (array of g->nvalues, caller frees). */
int32_t *pass_use_counts(const ir_graph *g);

/* ===== fuse_elementwise.c ===== */
/* n is an op the elementwise-chain fusion takes (and the JIT's fused loop
 * emits): f32, one of the supported ops, with the constant operands it needs. */
bool pass_elementwise_fusable_op(const ir_graph *g, const ir_node *n);
/* Copies src's attributes (numbers, strings and their lists) onto dst of
 * graph g (a body's nodes are copies of the chain's). */
kn_status pass_copy_attrs(ir_graph *g, ir_node *dst, const ir_node *src);

/* ===== fuse_epilogue.c: shared by fuse-matmul and fuse-conv ===== */
/* How an epilogue operand of type t is read in the 2-D view [rows, cols] of
 * the product y, cols = the product of y's dims from `split` on (the GEMM's
 * C rows: split = rank - 1 for MatMul/Gemm, 2 for Conv's [N, M, spatial]);
 * the code generator uses the same classification (codegen/lower_fused.c). */
typedef enum pass_leaf {
  PASS_LEAF_BAD = -1, /* none of these: not fusable */
  PASS_LEAF_FULL,     /* y's shape: element (i, j) at i * cols + j */
  PASS_LEAF_ROW,      /* ones, then y's dims from split on: element j */
  PASS_LEAF_COL,      /* ones after split, before it ones then y's dims: element i % period */
  PASS_LEAF_SCALAR    /* one element */
} pass_leaf;
pass_leaf pass_epilogue_leaf(const ir_type *t, const ir_type *y, int split, int64_t *period);
/* Fuses the elementwise work that alone consumes the result of node `prod`
 * (single elementwise ops and FusedElementwise nodes, each the only user of
 * the previous one's result) into one `fused` node (FusedMatMul, FusedGemm,
 * FusedConv) that replaces the last consumer; `split` as above. uses[] (of
 * pass_use_counts) is kept up to date. *done tells whether it fused. */
kn_status pass_fuse_epilogue(ir_graph *g, int32_t *uses, int32_t prod, ir_op fused, int split, bool *done);

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
