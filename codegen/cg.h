/* cg.h: internal header of codegen/, kiln's LLVM code generator and JIT.
 * A model is compiled in four steps: specialize (bind input shapes, fold the
 * shape arithmetic: passes/), place every value (constants table, graph I/O,
 * or an offset in one static workspace: place_values.c), lower each node into
 * one LLVM module (cg_lower.c and lower_*.c: generated IR built with
 * llvm_kit.c, or a call into the kernel library linked in as bitcode by
 * cg_module.c; a node that has no lowering calls back into the reference
 * kernel), then optimize with LLVM's new pass manager and JIT with ORC LLJIT
 * (engine.c drives the steps; compile_cache.c keeps objects; jit_orc.c links
 * and runs them). Declarations used only by the files that build and run the
 * entry are in cg_internal.h. */
#ifndef KILN_CG_H
#define KILN_CG_H

#include "ir.h"
#include "passes.h"
#include "ref.h"
#include <llvm-c/Core.h>
#include <llvm-c/TargetMachine.h>

/* ===== where a value lives at run time (decided by place_values.c) ===== */
typedef enum cg_loc_kind {
  CG_LOC_NONE = 0, /* not used by compiled code */
  CG_LOC_CONST,    /* consts[index] */
  CG_LOC_INPUT,    /* io[index] */
  CG_LOC_OUTPUT,   /* io[ninputs + index] */
  CG_LOC_WS        /* ws + offset */
} cg_loc_kind;
typedef struct cg_loc {
  cg_loc_kind kind;
  int32_t index;
  int64_t offset;
} cg_loc;

/* ===== options (from the CLI flags) ===== */
typedef struct cg_options {
  int opt_level;        /* LLVM pipeline default<On>, 0..3 */
  const char *target;   /* ahead of time: the triple to compile for (NULL: the host's, for the JIT) */
  const char *cpu;      /* NULL: the host CPU (JIT) or the target's baseline (--target); "native": the host's */
  const char *features; /* NULL: the host CPU's features, or the named CPU's own */
  const char *dump_llvm; /* file for the IR after kiln's lowering (before LLVM opt) */
  const char *dump_asm;  /* file for the target assembly */
  bool no_lower;         /* every node calls its reference kernel (testing the fallback path) */
  bool no_fallback;      /* as ahead of time: a node without compiled code (generated or a kernel
                            call) is a compile error instead of a call of its reference kernel */
  bool no_cache;
  const char *cache_dir; /* NULL: $KILN_CACHE_DIR or ~/.cache/kiln */
  uint64_t cache_max;    /* size cap of the cache's entries in bytes (0: $KILN_CACHE_MAX or 1 GiB) */
  int threads;           /* worker threads for parallel loops (<= 1: run on the caller's thread) */
  const pm_options *passes; /* kiln's pass pipeline after specialization (NULL: the -O level's) */
  /* the values the model will run with, per graph input (data NULL: not
   * known). A graph that input shapes leave dynamic is specialized to the
   * values of the inputs that shape it (passes/bind_values.c); the compiled
   * model then accepts only those values for them (cg_run, AOT: kiln_rt_run). */
  const kn_tensor *input_values;
  int ninput_values;
} cg_options;
/* A --cache-max or $KILN_CACHE_MAX size: "512M", "2G", "1048576" (K, M, G
 * are powers of 1024); 0 when it is not one (compile_cache.c). */
uint64_t cg_cache_parse_size(const char *s);

/* ===== the code generation context (lowering functions use it) ===== */
typedef struct cg_ctx {
  kn_ctx *kn;
  ir_graph *g;
  const cg_options *opt;
  LLVMContextRef c;
  LLVMModuleRef m;
  LLVMBuilderRef b; /* positioned in the entry function */
  LLVMTargetMachineRef tm;
  LLVMTypeRef i1, i8, i32, i64, f32, f64, ptr, void_t;
  int vec_bytes; /* widest vector register: 64 AVX-512, 32 AVX2, 16 SSE/NEON */
  LLVMValueRef entry, io, ws, consts, rt;
  const cg_loc *loc;
  int32_t node; /* index of the node being lowered */
  struct cg_model *model;
  /* Ahead of time (aot.c): no kiln_fallback exists (a node is compiled or the
   * build fails), and the code runs in another process, maybe on another
   * machine: never put a host address in the IR (compile-time data goes
   * through cg_add_const or module constants). */
  bool aot;
} cg_ctx;

/* ===== helpers for lowerings; unless said otherwise they emit at c->b ===== */
/* place_values.c: the addresses of values and of the memory the compiled
 * code owns. */
LLVMValueRef cg_value_ptr(cg_ctx *c, ir_id v);       /* data pointer of value v */
static inline const ir_type *cg_vtype(const cg_ctx *c, ir_id v) { return &c->g->values[v].type; }
/* Adds a compile-time tensor (e.g. weights packed for a GEMM micro-kernel) to
 * the model's constants; takes ownership of t->data. Emits and returns the
 * pointer to its data (64-byte aligned) at the builder's position. */
LLVMValueRef cg_add_const(cg_ctx *c, kn_tensor *t);
/* Scratch memory for the node being lowered (e.g. an im2col buffer): a
 * 64-byte aligned pointer into a region after the workspace, valid while the
 * node runs (every node's scratch starts at the same place). */
LLVMValueRef cg_scratch(cg_ctx *c, int64_t bytes);

/* cg_module.c: constants, kernels, calls into the kernel library and the
 * runtime. */
LLVMValueRef cg_i64(cg_ctx *c, int64_t v);
LLVMValueRef cg_i32(cg_ctx *c, int32_t v);
LLVMValueRef cg_f32(cg_ctx *c, float v);
LLVMValueRef cg_f64(cg_ctx *c, double v);
/* A function of the linked kernel library; NULL when it does not exist. */
LLVMValueRef cg_kernel(cg_ctx *c, const char *name);
LLVMValueRef cg_call(cg_ctx *c, LLVMValueRef fn, LLVMValueRef *args, unsigned n);
/* An alloca in the entry function's first block (a static stack slot, e.g.
 * the pointer block a parallel body reads), wherever the builder is. */
LLVMValueRef cg_entry_alloca(cg_ctx *c, LLVMTypeRef t);
/* A private array of constant int64 values in the module (for shape/stride
 * arrays passed to kernels); returns a pointer to its first element. */
LLVMValueRef cg_i64_array(cg_ctx *c, const int64_t *v, int n);
/* Runs body(ctx, begin, end) over [0, n) split across the model's threads
 * (rt_parallel_for); body is a function `void (ptr ctx, i64 begin, i64 end)`
 * the lowering generated (cg_fn_begin_body), ctx a pointer to whatever it
 * needs (e.g. an alloca of pointers). With one thread the body runs once on
 * [0, n). */
void cg_parallel_for(cg_ctx *c, LLVMValueRef body, LLVMValueRef ctx, LLVMValueRef n);
/* The same call emitted at b, inside a generated function whose parameter rt
 * carries the entry's runtime pointer (a shared GEMM or attention driver). */
void cg_parallel_for_at(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef rt, LLVMValueRef body, LLVMValueRef ctx,
                        LLVMValueRef n);
/* Name for values and functions of the current node ("n12_MatMul"). */
const char *cg_node_label(cg_ctx *c, char *buf, size_t n);

/* ===== llvm_kit.c: building blocks for generated functions =====
 * Every lowering that generates functions of its own (the GEMM, the vector
 * row kernels, the data-movement copies, the parallel bodies) builds them
 * with these. They emit at the builder passed (b): a generated function has
 * a builder of its own, c->b stays in the entry. */
#define CG_FN_MAX_PARAMS 16
enum {
  /* noinline nounwind: the function is shared by several callers or has big
   * loops; kept out of line, the entry stays small and each function's loops
   * get their own register allocation */
  CG_FN_NOINLINE = 1u << 0,
  /* every parameter is noalias (distinct buffers: LLVM adds no run-time
   * overlap checks) */
  CG_FN_NOALIAS = 1u << 1
};
/* A new internal function `void name(params)` with a builder of its own, *b,
 * positioned in its entry block: c->b (and any other builder) stays where it
 * is, so a lowering can make a function in the middle of emitting a call. */
LLVMValueRef cg_fn_begin(cg_ctx *c, const char *name, const LLVMTypeRef *params, int n, unsigned flags,
                         LLVMBuilderRef *b);
/* The same with nptr pointer parameters (at most CG_FN_MAX_PARAMS). */
LLVMValueRef cg_fn_begin_ptrs(cg_ctx *c, const char *name, int nptr, unsigned flags, LLVMBuilderRef *b);
/* A noinline body `void name(ptr ctx, i64 begin, i64 end)` for cg_parallel_for. */
LLVMValueRef cg_fn_begin_body(cg_ctx *c, const char *name, LLVMBuilderRef *b);
/* Returns from the function at b and disposes b. */
void cg_fn_end(LLVMBuilderRef b);
/* The same, then emits the call fn(args) at c->b. */
void cg_fn_end_call(cg_ctx *c, LLVMValueRef fn, LLVMBuilderRef b, LLVMValueRef *args, unsigned n);
/* A call of fn at b (cg_call is the same at c->b). */
LLVMValueRef cg_call_at(LLVMBuilderRef b, LLVMValueRef fn, LLVMValueRef *args, unsigned n);
/* The declaration of an intrinsic ("llvm.fmuladd") overloaded on types[]. */
LLVMValueRef cg_intrinsic(cg_ctx *c, const char *name, LLVMTypeRef *types, size_t ntypes);

/* Loops. iv is an i64; acc[] are loop-carried values (cg_loop_carry) that
 * hold, inside the body, the current values and, after cg_loop_end, the final
 * ones. pre is the block the loop is entered from and cg_loop_end returns the
 * latch, for callers that add phis of their own. */
#define CG_LOOP_MAX_ACC 32
typedef struct cg_loop {
  LLVMBasicBlockRef pre, body; /* body: NULL when no loop was emitted (a count of 1) */
  LLVMBasicBlockRef exit;      /* ranged loops: made at the start */
  LLVMValueRef iv, bound;
  int64_t count; /* the constant count; -1: a run-time bound */
  bool range;
  int nacc;
  LLVMValueRef acc[CG_LOOP_MAX_ACC];
} cg_loop;
/* iv = 0 .. count-1 with a constant count >= 1 (compared unsigned); a count
 * of 1 emits the body once, without a loop, with iv the constant 0. */
void cg_loop_begin(cg_ctx *c, LLVMBuilderRef b, cg_loop *l, int64_t count, const char *name);
/* iv = 0 .. n-1 with n an i64 >= 1 known at run time (compared signed). */
void cg_loop_begin_n(cg_ctx *c, LLVMBuilderRef b, cg_loop *l, LLVMValueRef n, const char *name);
/* iv = lo .. hi-1, signed, zero trips allowed (tested before entering). */
void cg_loop_begin_range(cg_ctx *c, LLVMBuilderRef b, cg_loop *l, LLVMValueRef lo, LLVMValueRef hi,
                         const char *name);
/* nacc loop-carried values starting from init[] (right after a begin, before
 * any other instruction of the body). */
void cg_loop_carry(LLVMBuilderRef b, cg_loop *l, int nacc, const LLVMValueRef *init);
/* Closes the loop: next[] are the carried values' values for the next trip
 * (NULL without any); leaves b after the loop and returns the latch. */
LLVMBasicBlockRef cg_loop_end(cg_ctx *c, LLVMBuilderRef b, cg_loop *l, const LLVMValueRef *next);

/* Addresses and memory. Every load and store states its alignment in bytes:
 * what the buffer really guarantees (64 for the workspace and constants, the
 * element size for graph inputs and outputs), never the type's natural
 * alignment LLVM would assume. */
/* p + idx elements of t (idx an i64, or a vector of them for a gather), and
 * the same inbounds. */
LLVMValueRef cg_gep(LLVMBuilderRef b, LLVMTypeRef t, LLVMValueRef p, LLVMValueRef idx);
LLVMValueRef cg_gep_inbounds(LLVMBuilderRef b, LLVMTypeRef t, LLVMValueRef p, LLVMValueRef idx);
LLVMValueRef cg_load(LLVMBuilderRef b, LLVMTypeRef t, LLVMValueRef p, unsigned align);
LLVMValueRef cg_store(LLVMBuilderRef b, LLVMValueRef v, LLVMValueRef p, unsigned align);
/* llvm.masked.load of a vt at p: lanes off in mask read fill. */
LLVMValueRef cg_load_masked(cg_ctx *c, LLVMBuilderRef b, LLVMTypeRef vt, LLVMValueRef p, unsigned align,
                            LLVMValueRef mask, LLVMValueRef fill);
void cg_store_masked(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef v, LLVMValueRef p, unsigned align, LLVMValueRef mask);
/* Element i of an array of pointers (io, consts, the context block of a
 * parallel body), 8-byte aligned. */
LLVMValueRef cg_load_slot(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef base, int64_t i);
void cg_store_slot(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef base, int64_t i, LLVMValueRef v);

/* Lowering one node: return KN_OK after emitting its code, KN_EUNSUPPORTED
 * (before emitting anything) to make the node call its reference kernel, or
 * another status for a real error. */
typedef kn_status (*cg_lower_fn)(cg_ctx *c, const ir_node *n);
/* The lowering ops.def names for an op (its `lowering` column, one table
 * lookup in cg_lower.c); NULL: the op has no generated code. */
cg_lower_fn cg_lowering_for(ir_op op);

/* ===== the lowerings ops.def names, one file (or a few) per family:
 * lower_elementwise.c (unary, binary, compare, classify, clip, where, cast),
 * lower_movement*.c (views, Dropout, Transpose, Concat, Gather, pools,
 * Resize, ...), lower_gemm*.c (MatMul, Gemm, Conv and their fused forms),
 * lower_rows.c (softmax family, LayerNormalization, reductions, ArgMax),
 * lower_fused.c (FusedElementwise), lower_nchwc.c (the blocked layout),
 * lower_norm.c (Instance/Group/BatchNormalization), lower_custom.c,
 * lower_attention.c ===== */
#define L(fn) kn_status fn(cg_ctx *c, const ir_node *n);
#define LK(fn, plan) L(fn)
#define K(plan)
#define L0
#define OP(name, dom, since, form, pat, lower, mi, ma, mo, mao, inf) lower
#include "ops.def"
#undef OP
#undef L
#undef LK
#undef K
#undef L0
/* lower_rows.c: InstanceNormalization in f32 as generated row code (the
 * first choice of lower_norm.c's cg_lower_instancenorm) */
kn_status cg_lower_instancenorm_rows(cg_ctx *c, const ir_node *n);

/* ===== cg_target.c ===== */
typedef enum cg_arch { CG_ARCH_UNKNOWN = 0, CG_ARCH_X86_64 = 1, CG_ARCH_AARCH64 = 2 } cg_arch;
kn_status cg_target_machine(kn_ctx *kn, const cg_options *opt, LLVMTargetMachineRef *tm, int *vec_bytes);
/* The widest vector register of the target opt describes (64, 32 or 16 bytes),
 * without making a target machine: the passes size the NCHWc block by it. */
int cg_target_vec_bytes(const cg_options *opt);
/* The canonical triple of a --target name (aliases accepted), or an error
 * that lists the supported ones. */
kn_status cg_target_resolve(kn_ctx *kn, const char *name, const char **triple, cg_arch *arch);
/* The i-th --target name cg_target_resolve accepts, NULL past the last (for
 * the CLI's did-you-mean). */
const char *cg_target_name(int i);
cg_arch cg_arch_of_triple(const char *triple);
const char *cg_arch_name(cg_arch a);
void cg_llvm_init(void);

/* ===== cg_module.c: the kernel library as bitcode ===== */
/* Parses the embedded kernel bitcode for the target and links it into m. */
kn_status cg_link_kernels(kn_ctx *kn, LLVMContextRef c, LLVMModuleRef m, const char *triple);
/* Gives every function of m the target's cpu/features and makes every defined
 * function not named in keep[] internal (the kernel library's: inlined where
 * used, dropped otherwise). */
void cg_finalize_functions(LLVMModuleRef m, LLVMTargetMachineRef tm, const char *const *keep, int nkeep);

/* ===== compile (engine.c) and run (jit_orc.c) ===== */
typedef struct cg_model cg_model;
typedef struct cg_stats {
  double specialize_ms, lower_ms, llvm_ms, total_ms;
  /* live nodes after specialization: with generated code, calling their
   * kernel (lower_kernel_call.c), and on their reference kernel (fallback) */
  int32_t live_nodes, folded_nodes, lowered_nodes, kernel_call_nodes, fallback_nodes;
  int64_t workspace_bytes, naive_bytes; /* planned workspace vs the sum of all intermediates */
  int32_t inplace_nodes, view_nodes;    /* outputs that share an operand's buffer (ir/mem_plan.c) */
  bool whole_graph_ref; /* the graph stays dynamic: it runs on the reference executor */
  bool cache_hit;
  char why_ref[256];
  bool fallback_op[IR_OP_COUNT]; /* op types that call their reference kernel */
} cg_stats;
/* Compiles g (taking ownership) for the given input shapes (ranks[i] -1 keeps
 * the declared shape). */
kn_status cg_compile(kn_ctx *kn, ir_graph *g, const int *ranks, const int64_t (*dims)[KN_MAX_RANK],
                     const cg_options *opt, cg_model **out);
/* jit_orc.c: runs the compiled code (or the reference executor) on inputs. */
kn_status cg_run(cg_model *m, const kn_tensor *inputs, int ninputs, kn_tensor *outputs, int noutputs);
/* engine.c */
void cg_model_stats(const cg_model *m, cg_stats *st);
const ir_graph *cg_model_graph(const cg_model *m);
void cg_model_free(cg_model *m);

#endif
