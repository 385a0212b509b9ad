/* cg_internal.h: declarations shared by the files of codegen/ that build and
 * run the entry function (not needed by lowerings): the compiled model, and
 * the steps both the JIT (engine.c) and the ahead-of-time path (aot*.c) take
 * to turn a graph into an optimized LLVM module. */
#ifndef KILN_CG_INTERNAL_H
#define KILN_CG_INTERNAL_H

#include "cg.h"
#include "kcall.h"
#include "rt.h"
#include <llvm-c/LLJIT.h>

#define CG_ENTRY_NAME "kiln_main"
#define CG_FALLBACK_NAME "kiln_fallback"
#define CG_PARALLEL_NAME "kiln_parallel_for"

typedef int32_t (*cg_entry_fn)(void **io, uint8_t *ws, const void *const *consts, void *rt);

/* A user function a Custom node calls (lower_custom.c): the JIT defines the
 * symbol at its address; an artifact leaves it to the user's link. */
typedef struct cg_custom_fn {
  char symbol[128];
  const char *library; /* the node's attribute ("" when linked in) */
  void (*addr)(void);  /* JIT only */
} cg_custom_fn;

/* A specialized graph with its values placed, and (JIT) its compiled code. */
struct cg_model {
  kn_ctx *kn;
  ir_graph *g; /* specialized, owned */
  cg_stats stats;
  ref_plan *plan; /* whole-graph reference execution */
  cg_loc *loc;
  uint8_t *ws;
  const void **consts;
  int64_t *const_bytes; /* size of each constant */
  bool *const_used;     /* the compiled code reads it (the AOT path embeds only these) */
  int32_t nconsts, cap_consts;
  void **owned; /* data of constants made at compile time */
  int32_t nowned;
  LLVMOrcLLJITRef jit;
  cg_entry_fn entry;
  int64_t scratch_bytes; /* largest scratch any node asked for */
  rt_pool *pool;
  cg_custom_fn *custom; /* functions of Custom nodes the code calls */
  int32_t ncustom;
};

/* engine.c: specializes g (taking ownership) and, unless it stays dynamic
 * (stats.whole_graph_ref), places its values. */
kn_status cg_prepare(kn_ctx *kn, ir_graph *g, const int *ranks, const int64_t (*dims)[KN_MAX_RANK],
                     const cg_options *opt, cg_model **out);
/* engine.c: lowers m into a new module of context c for the target machine
 * (kernel library linked, entry built, --dump-llvm written, verified). With
 * aot set no node may call back into kiln (kiln_fallback). */
kn_status cg_module_build(cg_model *m, const cg_options *opt, LLVMTargetMachineRef tm, int vec_bytes, bool aot,
                          LLVMContextRef c, LLVMModuleRef *out);
/* engine.c: every defined function not named in keep[] becomes internal and
 * gets the target's cpu/features, then unused code is dropped (globaldce). */
kn_status cg_module_finalize(kn_ctx *kn, LLVMModuleRef mod, LLVMTargetMachineRef tm, const char *const *keep,
                             int nkeep);
/* engine.c: LLVM's default<On> pipeline. */
kn_status cg_module_optimize(kn_ctx *kn, LLVMModuleRef mod, LLVMTargetMachineRef tm, int opt_level);
/* engine.c: workspace bytes the entry needs: the planned values, then (64-byte
 * aligned) the largest scratch region. */
int64_t cg_workspace_bytes(const cg_model *m);
/* engine.c: the constant's index became part of the compiled code. */
void cg_note_const_use(struct cg_model *m, int32_t index);

/* lower_kernel_call.c: node n calls its op's kernel as `plan` plans it
 * (KN_EUNSUPPORTED, before emitting anything, when the plan declines). */
kn_status cg_lower_kernel_call(cg_ctx *c, const ir_node *n, kc_plan_fn plan);

/* cg_lower.c: emits the entry function into c->m (c->b, types, loc set). */
kn_status cg_build_entry(cg_ctx *c, cg_stats *st);

#endif
