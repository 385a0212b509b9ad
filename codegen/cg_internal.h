/* cg_internal.h: declarations shared by the files of codegen/ that build and
 * run the entry function (not needed by lowerings): the compiled model, the
 * steps both the JIT (engine.c) and the ahead-of-time path (aot*.c) take to
 * turn a graph into an optimized LLVM module, value placement
 * (place_values.c), the compile cache (compile_cache.c) and the in-process
 * JIT (jit_orc.c). */
#ifndef KILN_CG_INTERNAL_H
#define KILN_CG_INTERNAL_H

#include "cg.h"
#include "kcall.h"
#include "rt.h"
#include <pthread.h>
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
  /* concurrent runs (cg_run): m->ws serves one run at a time; the others
   * take a spare workspace, kept for the next runs */
  pthread_mutex_t run_mu;
  bool ws_busy;
  uint8_t **spare_ws;
  int32_t nspare, cap_spare;
  kn_tensor *bound;     /* per graph input: the value it is specialized to (data NULL: none) */
  int32_t *bound_const; /* per graph input: its bound value's index in consts, or -1 */
  cg_custom_fn *custom; /* functions of Custom nodes the code calls */
  int32_t ncustom;
};

/* ===== engine.c: the steps of a compilation ===== */
/* Specializes g (taking ownership) and, unless it stays dynamic
 * (stats.whole_graph_ref), places its values. */
kn_status cg_prepare(kn_ctx *kn, ir_graph *g, const int *ranks, const int64_t (*dims)[KN_MAX_RANK],
                     const cg_options *opt, cg_model **out);
/* Lowers m into a new module of context c for the target machine (kernel
 * library linked, entry built, --dump-llvm written, verified). With aot set
 * no node may call back into kiln (kiln_fallback). */
kn_status cg_module_build(cg_model *m, const cg_options *opt, LLVMTargetMachineRef tm, int vec_bytes, bool aot,
                          LLVMContextRef c, LLVMModuleRef *out);
/* Every defined function not named in keep[] becomes internal and gets the
 * target's cpu/features, then unused code is dropped (globaldce). */
kn_status cg_module_finalize(kn_ctx *kn, LLVMModuleRef mod, LLVMTargetMachineRef tm, const char *const *keep,
                             int nkeep);
/* LLVM's default<On> pipeline. */
kn_status cg_module_optimize(kn_ctx *kn, LLVMModuleRef mod, LLVMTargetMachineRef tm, int opt_level);
/* Formats an LLVM error into kn (consuming e) and returns KN_EINTERNAL. */
kn_status cg_llvm_error(kn_ctx *kn, LLVMErrorRef e, const char *what);
/* Errors LLVM reports through a context's diagnostic handler while it
 * optimizes and generates code (e.g. "SSE register return with SSE
 * disabled" for --features -sse). Without a handler LLVM prints them and
 * exits the process; cg_diag_watch installs one on c that keeps the first
 * error (warnings go to stderr), cg_diag_check turns it into a kiln error. */
typedef struct cg_diag {
  bool error;
  char msg[512];
} cg_diag;
void cg_diag_watch(LLVMContextRef c, cg_diag *d);
kn_status cg_diag_check(kn_ctx *kn, const cg_diag *d, LLVMTargetMachineRef tm);

/* ===== place_values.c: where each value lives ===== */
/* Fills m->loc (every value: a constant, graph I/O or a workspace offset) and
 * the constants table; the workspace size goes to m->stats. */
kn_status cg_place_values(cg_model *m);
/* The constant's index became part of the compiled code. */
/* Appends a constant (not owned) to m's table, marked used; its index, or -1
 * when out of memory. */
int32_t cg_add_model_const(struct cg_model *m, const void *data, int64_t bytes);
void cg_note_const_use(struct cg_model *m, int32_t index);
/* Workspace bytes the entry needs: the planned values, then (64-byte
 * aligned) the largest scratch region. */
int64_t cg_workspace_bytes(const cg_model *m);
/* Allocates m->ws of cg_workspace_bytes (after lowering); from then on
 * stats.workspace_bytes is its size. */
kn_status cg_alloc_workspace(cg_model *m);
/* One more workspace of m->ws's size (a concurrent run's, jit_orc.c); NULL
 * when out of memory. */
uint8_t *cg_workspace_new(const cg_model *m);
/* The address of value v while the entry runs with these I/O pointers and
 * workspace (NULL for a value the code does not use). */
void *cg_value_addr(const cg_model *m, void *const *io, uint8_t *ws, ir_id v);

/* ===== compile_cache.c: objects keyed by the lowered module and target ===== */
/* 64-bit FNV-1a: h is CG_FNV_OFFSET for a new hash, or the hash so far. The
 * artifact's weights hash (aot_module.c, checked by runtime/rt_artifact.c's
 * kiln_rt_hash) is the same function over 8-byte words. */
#define CG_FNV_OFFSET 1469598103934665603ull
#define CG_FNV_PRIME 1099511628211ull
uint64_t cg_fnv1a(uint64_t h, const void *data, size_t n);
/* One module's entry in the cache directory (docs/jit.md has the layout). */
typedef struct cg_cache {
  kn_ctx *kn;          /* its verbose level decides the notes */
  int dirfd;           /* -1: no cache */
  char dir[4096];
  char name[64];       /* kiln-<32 hex digits of the key's SHA-256>.kco */
  char *key;           /* the full key, stored in the entry and compared on load */
  size_t key_len;
  uint64_t max_bytes;  /* the size cap of all entries */
} cg_cache;
/* Opens (creating) the directory opt names and makes mod's key on tm;
 * removes stale temporary files. false when there is no cache: the
 * directory cannot be made or written (one warning on stderr per process). */
bool cg_cache_open(cg_cache *c, kn_ctx *kn, const cg_options *opt, LLVMModuleRef mod, LLVMTargetMachineRef tm);
/* The cached object after it verified, or NULL: a miss, or an entry that did
 * not verify (reported under -v, with the reason, and removed). */
LLVMMemoryBufferRef cg_cache_load(cg_cache *c);
/* Writes obj as the entry (a temporary file, fsync, rename), then evicts
 * the least recently used entries over the cap. Best effort. */
void cg_cache_store(cg_cache *c, LLVMMemoryBufferRef obj);
/* Removes the entry (an object that verified but did not link). */
void cg_cache_drop(cg_cache *c, const char *why);
void cg_cache_close(cg_cache *c);

/* sha256.c: SHA-256, for the cache's keys and checksums. */
typedef struct cg_sha256 {
  uint32_t h[8];
  uint64_t len;
  uint8_t buf[64];
  size_t nbuf;
} cg_sha256;
void cg_sha256_init(cg_sha256 *s);
void cg_sha256_update(cg_sha256 *s, const void *data, size_t n);
void cg_sha256_final(cg_sha256 *s, uint8_t out[32]);
void cg_sha256_of(const void *data, size_t n, uint8_t out[32]);

/* ===== jit_orc.c: linking and running in this process ===== */
/* Links the object (taking it) into a new LLJIT with kiln's callbacks and
 * the custom ops' functions defined, and looks up the entry. */
kn_status cg_jit_link(cg_model *m, LLVMMemoryBufferRef obj);
void cg_jit_dispose(cg_model *m);

/* ===== lower_kernel_call.c ===== */
/* Node n calls its op's kernel as `plan` plans it (KN_EUNSUPPORTED, before
 * emitting anything, when the plan declines). */
kn_status cg_lower_kernel_call(cg_ctx *c, const ir_node *n, kc_plan_fn plan);
/* Branches (as the unlikely path) on the i1 is_bad a kernel computed from
 * the run-time data: the JIT then runs the node's reference kernel and
 * returns its status if it fails (its message names the bad value), else
 * goes on with the outputs it computed; an AOT entry returns KN_EINVAL. The
 * builder continues on the good path. */
void cg_emit_bad_value_check(cg_ctx *c, LLVMValueRef is_bad);

/* ===== cg_lower.c ===== */
/* Emits the entry function into c->m (c->b, types, loc set). */
kn_status cg_build_entry(cg_ctx *c, cg_stats *st);

#endif
