/* engine.c: the JIT's top-level flow. cg_compile specializes the graph to
 * its input shapes and places its values (cg_prepare; place_values.c), builds
 * and optimizes the LLVM module, emits an object for the target machine (or
 * takes it from the compile cache, compile_cache.c) and links it with ORC
 * LLJIT (jit_orc.c, which also runs it). Graphs that stay dynamic after
 * folding (control flow, data-dependent shapes) run on the reference
 * executor instead, and say so. The steps up to an optimized module
 * (cg_prepare, cg_module_build, cg_module_finalize, cg_module_optimize) are
 * shared with the ahead-of-time path (aot.c), which emits the module for a
 * target instead of linking it; so is the clock both time their phases by. */
#include "cg_internal.h"
#include <llvm-c/Analysis.h>
#include <llvm-c/Orc.h>
#include <llvm-c/Transforms/PassBuilder.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

kn_status cg_llvm_error(kn_ctx *kn, LLVMErrorRef e, const char *what) {
  char *msg = LLVMGetErrorMessage(e);
  kn_status st = kn_fail(kn, KN_EINTERNAL, "%s: %s", what, msg);
  LLVMDisposeErrorMessage(msg);
  return st;
}

static void diag_handler(LLVMDiagnosticInfoRef di, void *ctx) {
  cg_diag *d = ctx;
  LLVMDiagnosticSeverity sev = LLVMGetDiagInfoSeverity(di);
  if (sev != LLVMDSError && sev != LLVMDSWarning) return; /* remarks and notes: nothing asked for them */
  char *desc = LLVMGetDiagInfoDescription(di);
  if (sev == LLVMDSWarning) fprintf(stderr, "kiln: LLVM warning: %s\n", desc);
  else if (!d->error) {
    d->error = true;
    snprintf(d->msg, sizeof d->msg, "%s", desc);
  }
  LLVMDisposeMessage(desc);
}

void cg_diag_watch(LLVMContextRef c, cg_diag *d) {
  memset(d, 0, sizeof *d);
  LLVMContextSetDiagnosticHandler(c, diag_handler, d);
}

kn_status cg_diag_check(kn_ctx *kn, const cg_diag *d, LLVMTargetMachineRef tm) {
  if (!d->error) return KN_OK;
  char *cpu = LLVMGetTargetMachineCPU(tm), *feat = LLVMGetTargetMachineFeatureString(tm);
  kn_status st = kn_fail(kn, KN_EINVAL, "LLVM cannot compile the model for CPU %s with features '%.300s': %s", cpu,
                         feat, d->msg);
  LLVMDisposeMessage(cpu);
  LLVMDisposeMessage(feat);
  return st;
}

/* ---- the LLVM module: build, finalize, optimize ---- */
kn_status cg_module_build(cg_model *m, const cg_options *opt, LLVMTargetMachineRef tm, int vec_bytes, bool aot,
                          LLVMContextRef c, LLVMModuleRef *out) {
  kn_ctx *kn = m->kn;
  *out = NULL;
  LLVMModuleRef mod = LLVMModuleCreateWithNameInContext("kiln_model", c);
  char *triple = LLVMGetTargetMachineTriple(tm);
  LLVMSetTarget(mod, triple);
  LLVMTargetDataRef td = LLVMCreateTargetDataLayout(tm);
  char *layout = LLVMCopyStringRepOfTargetData(td);
  LLVMSetDataLayout(mod, layout);
  LLVMDisposeMessage(layout);
  LLVMDisposeTargetData(td);
  kn_status st = cg_link_kernels(kn, c, mod, triple);
  LLVMDisposeMessage(triple);
  LLVMBuilderRef b = LLVMCreateBuilderInContext(c);
  cg_ctx cx = {.kn = kn, .g = m->g, .opt = opt, .c = c, .m = mod, .b = b, .tm = tm, .vec_bytes = vec_bytes, .loc = m->loc,
               .model = m, .aot = aot};
  cx.i1 = LLVMInt1TypeInContext(c);
  cx.i8 = LLVMInt8TypeInContext(c);
  cx.i32 = LLVMInt32TypeInContext(c);
  cx.i64 = LLVMInt64TypeInContext(c);
  cx.f32 = LLVMFloatTypeInContext(c);
  cx.f64 = LLVMDoubleTypeInContext(c);
  cx.ptr = LLVMPointerTypeInContext(c, 0);
  cx.void_t = LLVMVoidTypeInContext(c);
  if (st == KN_OK) st = cg_build_entry(&cx, &m->stats);
  LLVMDisposeBuilder(b);
  if (st == KN_OK && opt->dump_llvm) {
    char *err = NULL;
    if (LLVMPrintModuleToFile(mod, opt->dump_llvm, &err) != 0)
      st = kn_fail(kn, KN_EIO, "--dump-llvm %s: %s", opt->dump_llvm, err ? err : "write failed");
    LLVMDisposeMessage(err);
  }
  if (st == KN_OK) {
    char *err = NULL;
    if (LLVMVerifyModule(mod, LLVMReturnStatusAction, &err) != 0)
      st = kn_fail(kn, KN_EINTERNAL, "generated LLVM IR does not verify: %.1500s", err ? err : "?");
    LLVMDisposeMessage(err);
  }
  if (st != KN_OK) {
    LLVMDisposeModule(mod);
    return st;
  }
  *out = mod;
  return KN_OK;
}

kn_status cg_module_finalize(kn_ctx *kn, LLVMModuleRef mod, LLVMTargetMachineRef tm, const char *const *keep,
                             int nkeep) {
  cg_finalize_functions(mod, tm, keep, nkeep);
  /* drop the kernels this model does not call before hashing and optimizing */
  LLVMPassBuilderOptionsRef pbo = LLVMCreatePassBuilderOptions();
  LLVMErrorRef e = LLVMRunPasses(mod, "globaldce", tm, pbo);
  LLVMDisposePassBuilderOptions(pbo);
  return e ? cg_llvm_error(kn, e, "LLVM dead-code pass failed") : KN_OK;
}

kn_status cg_module_optimize(kn_ctx *kn, LLVMModuleRef mod, LLVMTargetMachineRef tm, int opt_level) {
  char pipeline[48];
  snprintf(pipeline, sizeof pipeline, "default<O%d>", opt_level < 0 ? 0 : opt_level > 3 ? 3 : opt_level);
  LLVMPassBuilderOptionsRef pbo = LLVMCreatePassBuilderOptions();
  LLVMErrorRef e = LLVMRunPasses(mod, pipeline, tm, pbo);
  LLVMDisposePassBuilderOptions(pbo);
  return e ? cg_llvm_error(kn, e, "LLVM optimization failed") : KN_OK;
}

/* ---- the JIT: the module for this machine, optimized (or its object taken
 * from the cache), emitted into memory and linked (jit_orc.c) ---- */
/* Optimizes mod and generates its object (writing --dump-asm first). */
static kn_status emit_object(kn_ctx *kn, const cg_options *opt, LLVMModuleRef mod, LLVMTargetMachineRef tm,
                             const cg_diag *diag, LLVMMemoryBufferRef *obj) {
  *obj = NULL;
  KN_TRY(cg_module_optimize(kn, mod, tm, opt->opt_level));
  kn_status st = KN_OK;
  char *err = NULL;
  if (opt->dump_asm && LLVMTargetMachineEmitToFile(tm, mod, (char *)opt->dump_asm, LLVMAssemblyFile, &err) != 0)
    st = kn_fail(kn, KN_EIO, "--dump-asm %s: %s", opt->dump_asm, err ? err : "failed");
  LLVMDisposeMessage(err);
  err = NULL;
  if (st == KN_OK && LLVMTargetMachineEmitToMemoryBuffer(tm, mod, LLVMObjectFile, &err, obj) != 0)
    st = kn_fail(kn, KN_EINTERNAL, "LLVM code generation failed: %s", err ? err : "?");
  LLVMDisposeMessage(err);
  if (st == KN_OK) st = cg_diag_check(kn, diag, tm); /* before the object is kept */
  if (st != KN_OK && *obj) {
    LLVMDisposeMemoryBuffer(*obj);
    *obj = NULL;
  }
  return st;
}

static kn_status build_and_jit(cg_model *m, const cg_options *opt) {
  kn_ctx *kn = m->kn;
  LLVMTargetMachineRef tm = NULL;
  int vec_bytes = 16;
  KN_TRY(cg_target_machine(kn, opt, &tm, &vec_bytes));
  double t0 = kn_now_ms();
  LLVMOrcThreadSafeContextRef tsc = LLVMOrcCreateNewThreadSafeContext();
  LLVMContextRef c = LLVMOrcThreadSafeContextGetContext(tsc);
  cg_diag diag;
  cg_diag_watch(c, &diag);
  LLVMModuleRef mod = NULL;
  kn_status st = cg_module_build(m, opt, tm, vec_bytes, false, c, &mod);
  m->stats.lower_ms = kn_now_ms() - t0;
  t0 = kn_now_ms();
  LLVMMemoryBufferRef obj = NULL;
  cg_cache cache = {.dirfd = -1};
  const char *keep[1] = {CG_ENTRY_NAME};
  if (st == KN_OK) st = cg_module_finalize(kn, mod, tm, keep, 1);
  bool cached = st == KN_OK && !opt->no_cache && !opt->dump_asm && cg_cache_open(&cache, kn, opt, mod, tm);
  if (cached) obj = cg_cache_load(&cache);
  m->stats.cache_hit = obj != NULL;
  if (st == KN_OK && !obj) {
    st = emit_object(kn, opt, mod, tm, &diag, &obj);
    if (st == KN_OK && cached) cg_cache_store(&cache, obj);
  }
  if (st == KN_OK) st = cg_jit_link(m, obj); /* takes obj */
  if (st != KN_OK && m->stats.cache_hit) {
    /* an entry that verified but does not link (written by a broken kiln,
     * say): drop it and compile after all */
    char why[600];
    snprintf(why, sizeof why, "it does not link (%.500s)", kn_errmsg(kn));
    cg_cache_drop(&cache, why);
    cg_jit_dispose(m);
    m->stats.cache_hit = false;
    st = emit_object(kn, opt, mod, tm, &diag, &obj);
    if (st == KN_OK) cg_cache_store(&cache, obj);
    if (st == KN_OK) st = cg_jit_link(m, obj);
  }
  cg_cache_close(&cache);
  if (mod) LLVMDisposeModule(mod);
  LLVMOrcDisposeThreadSafeContext(tsc);
  LLVMDisposeTargetMachine(tm);
  m->stats.llvm_ms = kn_now_ms() - t0;
  return st;
}

static bool graph_has_control_flow(const ir_graph *g) {
  for (int32_t i = 0; i < g->nnodes; i++)
    if (!g->nodes[i].dead && (g->nodes[i].op == IR_OP_If || g->nodes[i].op == IR_OP_Loop)) return true;
  return false;
}

/* The most elements an input may have for compiled code to be specialized to
 * its value: shapes, axes, sizes and counts are short lists; a larger input
 * whose values reach a shape (an image before a NonZero) is data, and the
 * graph runs on the reference executor. */
#define CG_BIND_MAX_NUMEL 4096

/* Binds the inputs whose values shape the graph (keeping a copy of each value
 * for the run-time check) and folds again. */
static kn_status bind_shaping_values(cg_model *m, const cg_options *opt, pass_unbound *unbound, int32_t *folded) {
  ir_graph *g = m->g;
  bool *bound = calloc((size_t)g->ninputs + 1, sizeof *bound);
  if (!bound) return kn_fail(m->kn, KN_ENOMEM, "out of memory");
  kn_status st = pass_bind_input_values(g, opt->input_values, opt->input_values ? opt->ninput_values : 0,
                                        CG_BIND_MAX_NUMEL, bound, unbound);
  int32_t n = 0;
  for (int32_t i = 0; i < g->ninputs; i++) n += bound[i];
  if (st == KN_OK && n > 0) {
    m->bound = calloc((size_t)g->ninputs, sizeof *m->bound);
    if (!m->bound) st = kn_fail(m->kn, KN_ENOMEM, "out of memory");
    for (int32_t i = 0; st == KN_OK && i < g->ninputs; i++)
      if (bound[i]) st = kn_tensor_clone(m->kn, &m->bound[i], &opt->input_values[i]);
    int32_t more = 0;
    if (st == KN_OK) st = pass_fold_constants(g, (int64_t)64 << 20, &more);
    *folded += more;
  }
  free(bound);
  return st;
}

/* The bound values join the constant table: the checks compare with them. */
static kn_status place_bound_values(cg_model *m) {
  ir_graph *g = m->g;
  m->bound_const = malloc(sizeof *m->bound_const * ((size_t)g->ninputs + 1));
  if (!m->bound_const) return kn_fail(m->kn, KN_ENOMEM, "out of memory");
  for (int32_t i = 0; i < g->ninputs; i++) {
    m->bound_const[i] = -1;
    if (!m->bound[i].data) continue;
    int32_t k = cg_add_model_const(m, m->bound[i].data, m->bound[i].nbytes);
    if (k < 0) return kn_fail(m->kn, KN_ENOMEM, "out of memory");
    m->bound_const[i] = k;
  }
  return KN_OK;
}

kn_status cg_prepare(kn_ctx *kn, ir_graph *g, const int *ranks, const int64_t (*dims)[KN_MAX_RANK],
                     const cg_options *opt, cg_model **out) {
  *out = NULL;
  double t0 = kn_now_ms();
  cg_model *m = calloc(1, sizeof *m);
  if (!m) {
    ir_graph_free(g);
    return kn_fail(kn, KN_ENOMEM, "out of memory");
  }
  m->kn = kn;
  m->g = g;
  pthread_mutex_init(&m->run_mu, NULL);
  kn_status st = pass_bind_input_shapes(g, ranks, dims);
  int32_t folded = 0;
  if (st == KN_OK) st = pass_fold_constants(g, (int64_t)64 << 20, &folded);
  const char *why = NULL;
  pass_unbound unbound = {0};
  bool control = st == KN_OK && graph_has_control_flow(g);
  if (st == KN_OK && !control) st = bind_shaping_values(m, opt, &unbound, &folded);
  if (st == KN_OK) {
    pm_options po = opt->passes ? *opt->passes : (pm_options){.level = opt->opt_level};
    if (po.nchwc_block <= 0) po.nchwc_block = cg_target_vec_bytes(opt) / 4; /* layout-nchwc's block */
    st = pm_run(g, &po);
  }
  if (st == KN_OK) st = ir_verify(g);
  m->stats.folded_nodes = folded;
  m->stats.live_nodes = ir_graph_live_nodes(g);
  m->stats.specialize_ms = kn_now_ms() - t0;
  if (st == KN_OK && control) {
    m->stats.whole_graph_ref = true;
    snprintf(m->stats.why_ref, sizeof m->stats.why_ref, "the graph has control flow (If/Loop)");
  } else if (st == KN_OK && unbound.input) {
    /* even where inference guessed a shape: code sized by the guess would not check the value */
    m->stats.whole_graph_ref = true;
    if (unbound.too_large)
      snprintf(m->stats.why_ref, sizeof m->stats.why_ref,
               "node %s has a data-dependent output shape: the value of input '%s' shapes it, and that input is "
               "data (over %d elements), not a shape to compile for", unbound.node, unbound.input,
               CG_BIND_MAX_NUMEL);
    else
      snprintf(m->stats.why_ref, sizeof m->stats.why_ref,
               "node %s has a data-dependent output shape: the value of input '%s' shapes it (give that value "
               "to specialize the model to it)", unbound.node, unbound.input);
  } else if (st == KN_OK && !pass_graph_is_static(g, &why)) {
    m->stats.whole_graph_ref = true;
    snprintf(m->stats.why_ref, sizeof m->stats.why_ref, "node %s has a data-dependent output shape", why);
  }
  if (st == KN_OK && !m->stats.whole_graph_ref) st = cg_place_values(m);
  if (st == KN_OK && m->bound) st = place_bound_values(m);
  if (st != KN_OK) {
    cg_model_free(m);
    return st;
  }
  *out = m;
  return KN_OK;
}

kn_status cg_compile(kn_ctx *kn, ir_graph *g, const int *ranks, const int64_t (*dims)[KN_MAX_RANK],
                     const cg_options *opt, cg_model **out) {
  double t0 = kn_now_ms();
  cg_model *m;
  KN_TRY(cg_prepare(kn, g, ranks, dims, opt, &m));
  kn_status st;
  if (m->stats.whole_graph_ref && opt->no_fallback)
    st = kn_fail(kn, KN_EUNSUPPORTED, "the model cannot be compiled without the reference executor: %s",
                 m->stats.why_ref);
  else if (m->stats.whole_graph_ref) st = ref_plan_new(kn, m->g, &m->plan);
  else {
    st = build_and_jit(m, opt);
    if (st == KN_OK) st = cg_alloc_workspace(m);
    if (st == KN_OK && !(m->pool = rt_pool_create(opt->threads)))
      st = kn_fail(kn, KN_ENOMEM, "cannot start %d threads", opt->threads);
  }
  m->stats.total_ms = kn_now_ms() - t0;
  if (st != KN_OK) {
    cg_model_free(m);
    return st;
  }
  *out = m;
  return KN_OK;
}

void cg_model_stats(const cg_model *m, cg_stats *st) { *st = m->stats; }
const ir_graph *cg_model_graph(const cg_model *m) { return m->g; }

void cg_model_free(cg_model *m) {
  if (!m) return;
  cg_jit_dispose(m);
  rt_pool_destroy(m->pool);
  ref_plan_free(m->plan);
  kn_aligned_free(m->ws);
  for (int32_t i = 0; i < m->nspare; i++) kn_aligned_free(m->spare_ws[i]);
  free(m->spare_ws);
  pthread_mutex_destroy(&m->run_mu);
  free(m->loc);
  free(m->consts);
  free(m->const_bytes);
  free(m->const_used);
  free(m->custom);
  for (int32_t i = 0; m->bound && i < m->g->ninputs; i++) kn_tensor_free(&m->bound[i]);
  free(m->bound);
  free(m->bound_const);
  for (int32_t i = 0; i < m->nowned; i++) kn_aligned_free(m->owned[i]);
  free(m->owned);
  ir_graph_free(m->g);
  free(m);
}
