/* kcall.h: compile-time plans of kernel calls (runtime/kernels/k_call.h).
 * For a node that has no generated code, its op's plan (named by ops.def's
 * lowering column, K(...) or LK(...)) reads the node's attributes, its
 * static shapes and constant inputs once, checks them, and fills the POD
 * params struct its thunk reads at run time; codegen embeds that struct as a
 * constant and emits the call, in the JIT and in AOT builds alike, so an AOT
 * build needs no reference executor. A plan returns KN_EUNSUPPORTED (with a
 * message) for what its thunk does not do (f16 data, shapes known only at
 * run time): the JIT then runs the node's reference kernel, and an AOT build
 * fails naming the node. Library kiln_kcall: the IR core and the kernel
 * headers, no LLVM, nothing of the reference executor. */
#ifndef KILN_KCALL_H
#define KILN_KCALL_H

#include "ir.h"
#include "k_call.h"

typedef struct kc_plan {
  const char *fn;        /* the thunk's symbol, e.g. "kk_call_topk" */
  void *params;          /* nparams bytes, malloc'd (kc_plan_free) */
  size_t nparams;
  int64_t scratch_bytes; /* the thunk's scratch (buf[nin + nout]) */
} kc_plan;
typedef kn_status (*kc_plan_fn)(kn_ctx *kn, const ir_graph *g, const ir_node *n, kc_plan *p);

/* The plan ops.def names for op; NULL when it has none. */
kc_plan_fn kc_plan_for(ir_op op);
void kc_plan_free(kc_plan *p);

/* The buffer block's input and output slots of node n (k_call.h: the op's
 * most inputs/outputs unless it is variadic): inputs are buf[0..in_slots),
 * outputs follow, then the scratch pointer. */
static inline int kc_in_slots(const ir_node *n) {
  const ir_op_info *info = &ir_op_table[n->op];
  return info->max_in < KN_VARIADIC && info->max_in > n->nin ? info->max_in : n->nin;
}
static inline int kc_out_slots(const ir_node *n) {
  const ir_op_info *info = &ir_op_table[n->op];
  return info->max_out < KN_VARIADIC && info->max_out > n->nout ? info->max_out : n->nout;
}

/* ---- for the plans (kcall.c) ---- */
/* Zeroed params of `bytes` for thunk fn; NULL (message set) on OOM. */
void *kc_params(kn_ctx *kn, kc_plan *p, const char *fn, size_t bytes);
/* The static type of input/output i (NULL when absent). */
const ir_type *kc_in(const ir_graph *g, const ir_node *n, int i);
const ir_type *kc_out(const ir_graph *g, const ir_node *n, int i);
/* Input i's data when it is a constant, else NULL. */
const kn_tensor *kc_const(const ir_graph *g, const ir_node *n, int i);
/* "node NAME (Op): <why>" as KN_EUNSUPPORTED: the plan declines the node. */
kn_status kc_decline(kn_ctx *kn, const ir_node *n, const char *why);
/* A dtype the thunks handle natively: every number type but f16/bf16. */
bool kc_native(int dtype);
/* x viewed as [outer, n, inner] around axis (negative counts from the end). */
bool kc_axis_view(const ir_type *x, int64_t axis, int64_t *outer, int64_t *n, int64_t *inner);

/* the plans ops.def names */
#define K(plan) kn_status plan(kn_ctx *kn, const ir_graph *g, const ir_node *n, kc_plan *p);
#define LK(fn, plan) K(plan)
#define L(fn)
#define L0
#define OP(name, dom, since, form, pat, lower, mi, ma, mo, mao, inf) lower
#include "ops.def"
#undef OP
#undef K
#undef LK
#undef L
#undef L0

#endif
