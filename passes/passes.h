/* passes.h: internal header of passes/, the graph transformations that run
 * between import and execution. Each pass keeps the graph valid (verifier) and
 * typed. The pass manager and pipeline flags build on these. */
#ifndef KILN_PASSES_H
#define KILN_PASSES_H

#include "ir.h"

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

#endif
