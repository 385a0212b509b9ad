/* pattern.h: helpers for writing fusion passes (pattern.c). */
#ifndef KILN_PATTERN_H
#define KILN_PATTERN_H

#include "passes.h"

/* The live node of op `op` that produces v, or NULL. */
ir_node *pat_def(ir_graph *g, ir_id v, ir_op op);
/* v is a float constant with one element (*out its value). */
bool pat_scalar(const ir_graph *g, ir_id v, double *out);
bool pat_scalar_near(const ir_graph *g, ir_id v, double want, double rel);
/* Fusion legality: one use, not a graph output, not captured by a subgraph. */
bool pat_fusable(const ir_graph *g, const int32_t *uses, ir_id v);
/* The same for a fused node that takes over `inside` uses of v (a value the
 * fused computation reads twice, like x in x * sigmoid(x)): legal when those
 * are all of v's uses. pat_fusable is pat_fusable_n(.., 1). */
bool pat_fusable_n(const ir_graph *g, const int32_t *uses, ir_id v, int32_t inside);
/* For a binary node with `want` as one operand, *other is the other operand. */
bool pat_commute(const ir_node *n, ir_id want, ir_id *other);
/* Turns n into `op` with the given inputs and no attributes (its outputs
 * stay; subgraph attributes are freed). */
kn_status pat_rewrite(ir_graph *g, ir_node *n, ir_op op, int nin, const ir_id *in);

#endif
