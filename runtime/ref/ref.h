/* ref.h: internal header of the reference executor (runtime/ref/).
 * The executor runs the IR node by node on the plain-C kernel library
 * (runtime/kernels/); it is kiln's -O0 and the oracle every faster engine is
 * checked against. Each op has `kn_status ref_exec_<Op>(ref_ctx *c)` that
 * adapts tensors to a kernel call. */
#ifndef KILN_REF_H
#define KILN_REF_H

#include "ir.h"

typedef struct ref_exec ref_exec;

typedef struct ref_ctx {
  kn_ctx *kn;
  ref_exec *ex; /* the running executor (for subgraphs) */
  ir_graph *g;
  const ir_node *node;
  int nin;
  const kn_tensor *const *in; /* in[i] NULL when the optional input is absent */
  int nout;
  /* Outputs. Before the call the executor has run shape inference with the
   * concrete inputs: when an output's shape is known it is already allocated
   * (zeroed, 64-byte aligned, rank >= 0). When inference could not tell the
   * shape (data-dependent ops such as NonZero), out[k].rank == -1 and the op
   * must call ref_alloc_out. out[k] for an absent optional output is still
   * allocated when its shape is known; ops may ignore it. */
  kn_tensor *out;
  const bool *out_wanted; /* out_wanted[k]: output k is used by the graph */
  bool *out_borrowed;     /* out_borrowed[k]: out[k].data lives in the plan's workspace */
} ref_ctx;

typedef kn_status (*ref_exec_fn)(ref_ctx *c);

/* Error naming the node: "node NAME (Op): <message>". */
kn_status ref_fail(ref_ctx *c, kn_status st, const char *fmt, ...) KN_PRINTF(3, 4);
/* Allocates (or re-allocates) output k with the given dtype and dims. */
kn_status ref_alloc_out(ref_ctx *c, int k, int dtype, int rank, const int64_t *dims);
/* Drops output k's storage (freeing it unless it is workspace memory). Use
 * this, never kn_tensor_free, before replacing c->out[k]. */
void ref_release_out(ref_ctx *c, int k);
/* Fails with a clean "unsupported dtype" error naming the node. */
kn_status ref_unsupported_dtype(ref_ctx *c, int dtype);

/* Runs a subgraph (If/Loop body) with explicit inputs; outer-scope values are
 * resolved by name through the running executor. outs[] receives owned tensors. */
kn_status ref_run_subgraph(ref_ctx *c, ir_graph *sub, int nin, const kn_tensor *const *ins,
                           int nout, kn_tensor *outs);

/* The function of a Custom node (exec_custom.c): dlopen(library) and dlsym
 * of the signature's symbol; the library stays loaded. */
kn_status ref_custom_function(kn_ctx *kn, const ir_node *n, const ir_custom_sig *sig, void (**fn)(void));

/* Executor API (exec.c). */
/* Runs g once on inputs (one per graph input, in order), allocating each
 * intermediate tensor separately. An input left out (ninputs smaller than the
 * graph's, or dtype KN_UNDEF) takes its default value if it has one (ONNX
 * initializers listed as graph inputs). outputs[] receives owned tensors (free with
 * kn_tensor_free). */
kn_status ref_run_graph(kn_ctx *kn, ir_graph *g, const kn_tensor *inputs, int ninputs,
                        kn_tensor *outputs, int noutputs);

/* Evaluates one node on concrete inputs (in[i] NULL when absent) outside any
 * run: infers the output shapes, allocates out[0..nout) (owned by the caller)
 * and runs the kernel. Used by constant folding and by compiled code that falls
 * back to the reference kernel for one node. Not for If/Loop. When prealloc is
 * true, each out[k] with data already holds correctly shaped storage that the
 * kernel writes (it stays the caller's); outputs without data are allocated. */
kn_status ref_eval_node(kn_ctx *kn, ir_graph *g, const ir_node *nd, const kn_tensor *const *in, kn_tensor *out,
                        bool prealloc);

/* A run plan (plan.c): the first run with given input shapes records every
 * intermediate's size and lifetime; kiln then lays them out by liveness in
 * one 64-byte aligned workspace, allocated once, and later runs with the same
 * input shapes place every intermediate there (no allocation per tensor).
 * A tensor whose size differs from the plan (data-dependent shapes) falls
 * back to its own allocation. New input shapes re-plan. */
typedef struct ref_plan ref_plan;
typedef struct ref_plan_stats {
  int64_t workspace_bytes; /* size of the one workspace */
  int64_t naive_bytes;     /* sum of all planned intermediates (no reuse) */
  int64_t planned_values;
  int64_t heap_fallbacks; /* tensors of the last run that did not fit their slot */
  int runs;
} ref_plan_stats;
kn_status ref_plan_new(kn_ctx *kn, ir_graph *g, ref_plan **out);
kn_status ref_plan_run(ref_plan *p, const kn_tensor *inputs, int ninputs, kn_tensor *outputs, int noutputs);
void ref_plan_get_stats(const ref_plan *p, ref_plan_stats *st);
void ref_plan_free(ref_plan *p);

/* ops kernels, one per IR op */
#define OP(name, dom, since, form, pat, lower, mi, ma, mo, mao, inf) kn_status ref_exec_##name(ref_ctx *c);
#include "ops.def"
#undef OP

#endif
