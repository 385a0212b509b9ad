/* engine.c: the JIT engine. cg_compile specializes the graph to its input
 * shapes, places every value (constants table, graph inputs/outputs, or an
 * offset in one static workspace packed by liveness), builds and optimizes the
 * LLVM module, emits an object for the target machine and links it with ORC
 * LLJIT. cg_run calls the entry with the I/O pointers; nodes without a lowering
 * call back into kiln_fallback, which runs their reference kernel in place.
 * Graphs that stay dynamic after folding (control flow, data-dependent
 * shapes) run on the reference executor instead, and say so.
 * The steps up to an optimized module (cg_prepare, cg_module_build,
 * cg_module_finalize, cg_module_optimize) are shared with the ahead-of-time
 * path (aot.c), which emits the module for a target instead of linking it. */
#include "cg_internal.h"
#include <llvm-c/Analysis.h>
#include <llvm-c/Orc.h>
#include <llvm-c/Transforms/PassBuilder.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct cg_run_state {
  cg_model *m;
  void **io;
} cg_run_state;

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static kn_status llvm_error(kn_ctx *kn, LLVMErrorRef e, const char *what) {
  char *msg = LLVMGetErrorMessage(e);
  kn_status st = kn_fail(kn, KN_EINTERNAL, "%s: %s", what, msg);
  LLVMDisposeErrorMessage(msg);
  return st;
}

/* ---- placing values ---- */
static kn_status place_values(cg_model *m) {
  ir_graph *g = m->g;
  int32_t n = g->nvalues;
  m->loc = calloc((size_t)n + 1, sizeof *m->loc);
  m->cap_consts = n + 1;
  m->consts = calloc((size_t)m->cap_consts, sizeof *m->consts);
  m->const_bytes = calloc((size_t)m->cap_consts, sizeof *m->const_bytes);
  m->const_used = calloc((size_t)m->cap_consts, sizeof *m->const_used);
  int64_t *size = calloc((size_t)n + 1, sizeof *size), *off = calloc((size_t)n + 1, sizeof *off);
  kn_status st = KN_OK;
  if (!m->loc || !m->consts || !m->const_bytes || !m->const_used || !size || !off) st = kn_fail(m->kn, KN_ENOMEM, "out of memory");
  for (int32_t i = 0; st == KN_OK && i < g->ninputs; i++) m->loc[g->inputs[i]] = (cg_loc){CG_LOC_INPUT, i, 0};
  for (int32_t i = 0; st == KN_OK && i < g->noutputs; i++) {
    ir_id v = g->outputs[i];
    if (m->loc[v].kind == CG_LOC_NONE && !g->values[v].constant) m->loc[v] = (cg_loc){CG_LOC_OUTPUT, i, 0};
  }
  for (int32_t v = 0; st == KN_OK && v < n; v++) {
    const ir_value *val = &g->values[v];
    if (m->loc[v].kind != CG_LOC_NONE) continue;
    if (val->constant) {
      m->consts[m->nconsts] = val->constant->data;
      m->const_bytes[m->nconsts] = val->constant->nbytes;
      m->loc[v] = (cg_loc){CG_LOC_CONST, m->nconsts++, 0};
    } else if (val->producer != IR_NONE && !g->nodes[val->producer].dead) {
      const ir_type *t = &val->type;
      size[v] = kn_dims_numel(t->rank, t->dims) * (int64_t)kn_dtype_size(t->dtype);
      m->loc[v].kind = CG_LOC_WS;
    }
  }
  if (st == KN_OK) {
    /* views share their input's bytes and elementwise ops overwrite dead
     * operands (ir/mem_plan.c); the lowerings rely on it only to skip copies */
    ir_mem_stats ms;
    int64_t total = ir_plan_memory(g, size, true, off, &ms);
    if (total < 0) st = kn_fail(m->kn, KN_ENOMEM, "out of memory planning the workspace");
    else if ((uint64_t)total > m->kn->mem_limit)
      st = kn_fail(m->kn, KN_ELIMIT, "the workspace of %lld bytes exceeds the memory limit", (long long)total);
    else {
      for (int32_t v = 0; v < n; v++)
        if (m->loc[v].kind == CG_LOC_WS) {
          if (off[v] < 0) m->loc[v].kind = CG_LOC_NONE; /* empty tensor */
          else m->loc[v].offset = off[v];
        }
      m->stats.workspace_bytes = total; /* allocated after lowering, with the scratch region */
      m->stats.naive_bytes = ms.naive_bytes;
      m->stats.inplace_nodes = ms.inplace;
      m->stats.view_nodes = ms.views;
    }
  }
  free(size), free(off);
  return st;
}

LLVMValueRef cg_add_const(cg_ctx *c, kn_tensor *t) {
  cg_model *m = c->model;
  if (m->nconsts == m->cap_consts) {
    int32_t cap = m->cap_consts * 2 + 16;
    const void **nc = realloc(m->consts, sizeof *nc * (size_t)cap);
    if (nc) m->consts = nc;
    int64_t *nb = realloc(m->const_bytes, sizeof *nb * (size_t)cap);
    if (nb) m->const_bytes = nb;
    bool *nu = realloc(m->const_used, sizeof *nu * (size_t)cap);
    if (nu) m->const_used = nu;
    if (!nc || !nb || !nu) return LLVMConstNull(c->ptr);
    m->cap_consts = cap;
  }
  void **no = realloc(m->owned, sizeof *no * (size_t)(m->nowned + 1));
  if (!no) return LLVMConstNull(c->ptr);
  m->owned = no;
  m->owned[m->nowned++] = t->data;
  int32_t idx = m->nconsts++;
  m->consts[idx] = t->data;
  m->const_bytes[idx] = t->nbytes;
  m->const_used[idx] = true;
  memset(t, 0, sizeof *t);
  LLVMValueRef i = cg_i64(c, idx);
  LLVMValueRef slot = LLVMBuildGEP2(c->b, c->ptr, c->consts, &i, 1, "");
  LLVMValueRef p = LLVMBuildLoad2(c->b, c->ptr, slot, "packed");
  LLVMSetAlignment(p, 8);
  return p;
}

LLVMValueRef cg_scratch(cg_ctx *c, int64_t bytes) {
  cg_model *m = c->model;
  if (bytes > m->scratch_bytes) m->scratch_bytes = bytes;
  LLVMValueRef off = cg_i64(c, (m->stats.workspace_bytes + 63) & ~(int64_t)63);
  return LLVMBuildGEP2(c->b, c->i8, c->ws, &off, 1, "scratch");
}

void cg_note_const_use(cg_model *m, int32_t index) {
  if (index >= 0 && index < m->nconsts) m->const_used[index] = true;
}

int64_t cg_workspace_bytes(const cg_model *m) {
  return ((m->stats.workspace_bytes + 63) & ~(int64_t)63) + m->scratch_bytes;
}

static kn_status alloc_workspace(cg_model *m) {
  int64_t total = cg_workspace_bytes(m);
  if ((uint64_t)total > m->kn->mem_limit)
    return kn_fail(m->kn, KN_ELIMIT, "the workspace of %lld bytes exceeds the memory limit", (long long)total);
  m->ws = kn_aligned_alloc((size_t)(total > 0 ? total : 64));
  if (!m->ws) return kn_fail(m->kn, KN_ENOMEM, "out of memory allocating a %lld-byte workspace", (long long)total);
  m->stats.workspace_bytes = total;
  return KN_OK;
}

/* ---- parallel loops: generated code calls back into the runtime's pool ---- */
static void cg_parallel_host(void *rtp, int64_t n, void (*body)(void *, int64_t, int64_t), void *ctx) {
  cg_run_state *rs = rtp;
  rt_parallel_for(rs->m->pool, n, body, ctx);
}

void cg_parallel_for(cg_ctx *c, LLVMValueRef body, LLVMValueRef ctx, LLVMValueRef n) {
  LLVMTypeRef pt[4] = {c->ptr, c->i64, c->ptr, c->ptr};
  LLVMTypeRef fty = LLVMFunctionType(c->void_t, pt, 4, 0);
  LLVMValueRef fn = LLVMGetNamedFunction(c->m, CG_PARALLEL_NAME);
  if (!fn) fn = LLVMAddFunction(c->m, CG_PARALLEL_NAME, fty);
  LLVMValueRef args[4] = {c->rt, n, body, ctx};
  LLVMBuildCall2(c->b, fty, fn, args, 4, "");
}

/* ---- the fallback: one node on its reference kernel, in place ---- */
static void *value_data(cg_model *m, void **io, ir_id v) {
  const cg_loc *l = &m->loc[v];
  switch (l->kind) {
  case CG_LOC_CONST: return (void *)m->consts[l->index];
  case CG_LOC_INPUT: return io[l->index];
  case CG_LOC_OUTPUT: return io[m->g->ninputs + l->index];
  case CG_LOC_WS: return m->ws + l->offset;
  default: return NULL;
  }
}

static void tensor_at(cg_model *m, void **io, ir_id v, kn_tensor *t) {
  const ir_type *ty = &m->g->values[v].type;
  memset(t, 0, sizeof *t);
  t->dtype = ty->dtype;
  t->rank = ty->rank;
  memcpy(t->dims, ty->dims, sizeof(int64_t) * (size_t)ty->rank);
  t->nbytes = kn_dims_numel(ty->rank, ty->dims) * (int64_t)kn_dtype_size(ty->dtype);
  t->data = value_data(m, io, v);
}

static int32_t cg_fallback(void *rtp, int32_t node) {
  cg_run_state *rs = rtp;
  cg_model *m = rs->m;
  const ir_node *n = &m->g->nodes[node];
  kn_tensor inb[8], outb[8];
  const kn_tensor *inpb[8];
  kn_tensor *ins = n->nin <= 8 ? inb : calloc((size_t)n->nin, sizeof *ins);
  const kn_tensor **inp = n->nin <= 8 ? inpb : calloc((size_t)n->nin, sizeof *inp);
  kn_tensor *outs = n->nout <= 8 ? outb : calloc((size_t)n->nout, sizeof *outs);
  void **want = calloc((size_t)n->nout + 1, sizeof *want);
  kn_status st = ins && inp && outs && want ? KN_OK : kn_fail(m->kn, KN_ENOMEM, "out of memory");
  for (int i = 0; st == KN_OK && i < n->nin; i++) {
    inp[i] = NULL;
    if (n->in[i] == IR_NONE) continue;
    tensor_at(m, rs->io, n->in[i], &ins[i]);
    inp[i] = &ins[i];
  }
  for (int k = 0; st == KN_OK && k < n->nout; k++) {
    memset(&outs[k], 0, sizeof outs[k]);
    if (n->out[k] == IR_NONE || m->loc[n->out[k]].kind == CG_LOC_NONE) continue; /* ref_eval_node allocates it */
    tensor_at(m, rs->io, n->out[k], &outs[k]);
    want[k] = outs[k].data;
    bool shared = false; /* an in-place output (ir/mem_plan.c): its bytes are an operand's */
    for (int i = 0; i < n->nin; i++) shared |= inp[i] && inp[i]->data == outs[k].data;
    if (outs[k].nbytes && !shared) memset(outs[k].data, 0, (size_t)outs[k].nbytes);
  }
  if (st == KN_OK) st = ref_eval_node(m->kn, m->g, n, inp, outs, true);
  for (int k = 0; k < n->nout && outs; k++) {
    if (outs[k].data == want[k]) continue;
    /* the kernel re-allocated (or we had no slot): copy into place, free its buffer */
    if (st == KN_OK && want[k] && outs[k].data) memcpy(want[k], outs[k].data, (size_t)outs[k].nbytes);
    kn_tensor_free(&outs[k]);
  }
  if (ins != inb) free(ins);
  if (inp != inpb) free(inp);
  if (outs != outb) free(outs);
  free(want);
  return (int32_t)st;
}

/* ---- the compile cache: objects keyed by the lowered module and target ----
 * The key hashes the module's IR as kiln's lowering produced it (so any change
 * to the model, its shapes, the flags or kiln's own lowering and kernels
 * changes it), plus the target CPU, its features and the LLVM level. Lowering
 * is cheap; LLVM's optimization and code generation are what the cache saves. */
static uint64_t fnv1a(uint64_t h, const char *p, size_t n) {
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
  return h;
}

static bool cache_path(const cg_options *opt, LLVMModuleRef mod, LLVMTargetMachineRef tm, char *path, size_t n) {
  const char *dir = opt->cache_dir ? opt->cache_dir : getenv("KILN_CACHE_DIR");
  char def[4096];
  if (!dir) {
    const char *home = getenv("HOME");
    if (!home) return false;
    snprintf(def, sizeof def, "%s/.cache", home);
    mkdir(def, 0777);
    snprintf(def, sizeof def, "%s/.cache/kiln", home);
    dir = def;
  }
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) return false;
  char *ir = LLVMPrintModuleToString(mod), *cpu = LLVMGetTargetMachineCPU(tm),
       *feat = LLVMGetTargetMachineFeatureString(tm);
  uint64_t h = fnv1a(1469598103934665603ull, ir, strlen(ir));
  h = fnv1a(h, cpu, strlen(cpu));
  h = fnv1a(h, feat, strlen(feat));
  char lvl[32];
  snprintf(lvl, sizeof lvl, "O%d/%s", opt->opt_level, KN_VERSION);
  h = fnv1a(h, lvl, strlen(lvl));
  LLVMDisposeMessage(ir);
  LLVMDisposeMessage(cpu);
  LLVMDisposeMessage(feat);
  snprintf(path, n, "%s/kiln-%016llx.o", dir, (unsigned long long)h);
  return true;
}

static LLVMMemoryBufferRef cache_load(const char *path) {
  LLVMMemoryBufferRef buf = NULL;
  char *err = NULL;
  if (access(path, R_OK) != 0 || LLVMCreateMemoryBufferWithContentsOfFile(path, &buf, &err) != 0) buf = NULL;
  LLVMDisposeMessage(err);
  return buf;
}

/* Best effort: a cache that cannot be written only costs time. */
static void cache_store(const char *path, LLVMMemoryBufferRef obj) {
  char tmp[4200];
  snprintf(tmp, sizeof tmp, "%.4000s.%ld.tmp", path, (long)getpid());
  FILE *f = fopen(tmp, "wb");
  if (!f) return;
  size_t n = LLVMGetBufferSize(obj);
  bool ok = fwrite(LLVMGetBufferStart(obj), 1, n, f) == n;
  ok &= fclose(f) == 0;
  if (!ok || rename(tmp, path) != 0) unlink(tmp);
}

/* ---- LLVM: module, passes, object, JIT ---- */
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
  return e ? llvm_error(kn, e, "LLVM dead-code pass failed") : KN_OK;
}

kn_status cg_module_optimize(kn_ctx *kn, LLVMModuleRef mod, LLVMTargetMachineRef tm, int opt_level) {
  char pipeline[48];
  snprintf(pipeline, sizeof pipeline, "default<O%d>", opt_level < 0 ? 0 : opt_level > 3 ? 3 : opt_level);
  LLVMPassBuilderOptionsRef pbo = LLVMCreatePassBuilderOptions();
  LLVMErrorRef e = LLVMRunPasses(mod, pipeline, tm, pbo);
  LLVMDisposePassBuilderOptions(pbo);
  return e ? llvm_error(kn, e, "LLVM optimization failed") : KN_OK;
}

/* Links the object with ORC LLJIT; the runtime callbacks are absolute
 * symbols, everything else (libm, memcpy) resolves in the process. */
static kn_status jit_link(cg_model *m, LLVMMemoryBufferRef obj) {
  kn_ctx *kn = m->kn;
  LLVMOrcLLJITBuilderRef jb = LLVMOrcCreateLLJITBuilder();
  LLVMErrorRef e = LLVMOrcCreateLLJIT(&m->jit, jb);
  if (e) {
    LLVMDisposeMemoryBuffer(obj);
    return llvm_error(kn, e, "creating the LLJIT failed");
  }
  kn_status st = KN_OK;
  LLVMOrcJITDylibRef jd = LLVMOrcLLJITGetMainJITDylib(m->jit);
  LLVMOrcDefinitionGeneratorRef gen = NULL;
  e = LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess(&gen, LLVMOrcLLJITGetGlobalPrefix(m->jit), NULL, NULL);
  if (e) st = llvm_error(kn, e, "JIT process symbols");
  else LLVMOrcJITDylibAddGenerator(jd, gen);
  LLVMJITSymbolFlags fl = {LLVMJITSymbolGenericFlagsExported | LLVMJITSymbolGenericFlagsCallable, 0};
  /* kiln's callbacks, and the functions of custom ops (lower_custom.c) */
  LLVMOrcCSymbolMapPair *sym = calloc((size_t)m->ncustom + 2, sizeof *sym);
  if (!sym) st = kn_fail(kn, KN_ENOMEM, "out of memory");
  if (st == KN_OK) {
    sym[0] = (LLVMOrcCSymbolMapPair){LLVMOrcLLJITMangleAndIntern(m->jit, CG_FALLBACK_NAME),
                                     {(LLVMOrcExecutorAddress)(uintptr_t)&cg_fallback, fl}};
    sym[1] = (LLVMOrcCSymbolMapPair){LLVMOrcLLJITMangleAndIntern(m->jit, CG_PARALLEL_NAME),
                                     {(LLVMOrcExecutorAddress)(uintptr_t)&cg_parallel_host, fl}};
    for (int32_t i = 0; i < m->ncustom; i++)
      sym[2 + i] = (LLVMOrcCSymbolMapPair){LLVMOrcLLJITMangleAndIntern(m->jit, m->custom[i].symbol),
                                           {(LLVMOrcExecutorAddress)(uintptr_t)m->custom[i].addr, fl}};
    e = LLVMOrcJITDylibDefine(jd, LLVMOrcAbsoluteSymbols(sym, (size_t)m->ncustom + 2));
    if (e) st = llvm_error(kn, e, "JIT runtime symbols");
  }
  free(sym);
  if (st == KN_OK) {
    e = LLVMOrcLLJITAddObjectFile(m->jit, jd, obj);
    obj = NULL;
    if (e) st = llvm_error(kn, e, "JIT linking failed");
  }
  LLVMOrcExecutorAddress addr = 0;
  if (st == KN_OK) {
    e = LLVMOrcLLJITLookup(m->jit, &addr, CG_ENTRY_NAME);
    if (e) st = llvm_error(kn, e, "JIT lookup of the entry failed");
    else m->entry = (cg_entry_fn)(uintptr_t)addr;
  }
  if (obj) LLVMDisposeMemoryBuffer(obj);
  return st;
}

static kn_status build_and_jit(cg_model *m, const cg_options *opt) {
  kn_ctx *kn = m->kn;
  LLVMTargetMachineRef tm = NULL;
  int vec_bytes = 16;
  KN_TRY(cg_target_machine(kn, opt, &tm, &vec_bytes));
  double t0 = now_ms();
  LLVMOrcThreadSafeContextRef tsc = LLVMOrcCreateNewThreadSafeContext();
  LLVMContextRef c = LLVMOrcThreadSafeContextGetContext(tsc);
  LLVMModuleRef mod = NULL;
  kn_status st = cg_module_build(m, opt, tm, vec_bytes, false, c, &mod);
  m->stats.lower_ms = now_ms() - t0;
  t0 = now_ms();
  LLVMMemoryBufferRef obj = NULL;
  char cpath[4200];
  bool cacheable = false;
  const char *keep[1] = {CG_ENTRY_NAME};
  if (st == KN_OK) st = cg_module_finalize(kn, mod, tm, keep, 1);
  if (st == KN_OK) {
    cacheable = !opt->no_cache && !opt->dump_asm && cache_path(opt, mod, tm, cpath, sizeof cpath);
    if (cacheable) obj = cache_load(cpath);
    m->stats.cache_hit = obj != NULL;
    if (!obj) st = cg_module_optimize(kn, mod, tm, opt->opt_level);
  }
  if (st == KN_OK && opt->dump_asm) {
    char *err = NULL;
    if (LLVMTargetMachineEmitToFile(tm, mod, (char *)opt->dump_asm, LLVMAssemblyFile, &err) != 0)
      st = kn_fail(kn, KN_EIO, "--dump-asm %s: %s", opt->dump_asm, err ? err : "failed");
    LLVMDisposeMessage(err);
  }
  if (st == KN_OK && !obj) {
    char *err = NULL;
    if (LLVMTargetMachineEmitToMemoryBuffer(tm, mod, LLVMObjectFile, &err, &obj) != 0)
      st = kn_fail(kn, KN_EINTERNAL, "LLVM code generation failed: %s", err ? err : "?");
    else if (cacheable) cache_store(cpath, obj);
    LLVMDisposeMessage(err);
  }
  if (mod) LLVMDisposeModule(mod);
  LLVMOrcDisposeThreadSafeContext(tsc);
  LLVMDisposeTargetMachine(tm);
  if (st == KN_OK) st = jit_link(m, obj);
  else if (obj) LLVMDisposeMemoryBuffer(obj);
  m->stats.llvm_ms = now_ms() - t0;
  return st;
}

static bool graph_has_control_flow(const ir_graph *g) {
  for (int32_t i = 0; i < g->nnodes; i++)
    if (!g->nodes[i].dead && (g->nodes[i].op == IR_OP_If || g->nodes[i].op == IR_OP_Loop)) return true;
  return false;
}

kn_status cg_prepare(kn_ctx *kn, ir_graph *g, const int *ranks, const int64_t (*dims)[KN_MAX_RANK],
                     const cg_options *opt, cg_model **out) {
  *out = NULL;
  double t0 = now_ms();
  cg_model *m = calloc(1, sizeof *m);
  if (!m) {
    ir_graph_free(g);
    return kn_fail(kn, KN_ENOMEM, "out of memory");
  }
  m->kn = kn;
  m->g = g;
  kn_status st = pass_bind_input_shapes(g, ranks, dims);
  int32_t folded = 0;
  if (st == KN_OK) st = pass_fold_constants(g, (int64_t)64 << 20, &folded);
  if (st == KN_OK) {
    pm_options po = opt->passes ? *opt->passes : (pm_options){.level = opt->opt_level};
    if (po.nchwc_block <= 0) po.nchwc_block = cg_target_vec_bytes(opt) / 4; /* layout-nchwc's block */
    st = pm_run(g, &po);
  }
  if (st == KN_OK) st = ir_verify(g);
  m->stats.folded_nodes = folded;
  m->stats.live_nodes = ir_graph_live_nodes(g);
  m->stats.specialize_ms = now_ms() - t0;
  const char *why = NULL;
  if (st == KN_OK && graph_has_control_flow(g)) {
    m->stats.whole_graph_ref = true;
    snprintf(m->stats.why_ref, sizeof m->stats.why_ref, "the graph has control flow (If/Loop)");
  } else if (st == KN_OK && !pass_graph_is_static(g, &why)) {
    m->stats.whole_graph_ref = true;
    snprintf(m->stats.why_ref, sizeof m->stats.why_ref, "node %s has a data-dependent output shape", why);
  }
  if (st == KN_OK && !m->stats.whole_graph_ref) st = place_values(m);
  if (st != KN_OK) {
    cg_model_free(m);
    return st;
  }
  *out = m;
  return KN_OK;
}

kn_status cg_compile(kn_ctx *kn, ir_graph *g, const int *ranks, const int64_t (*dims)[KN_MAX_RANK],
                     const cg_options *opt, cg_model **out) {
  double t0 = now_ms();
  cg_model *m;
  KN_TRY(cg_prepare(kn, g, ranks, dims, opt, &m));
  kn_status st;
  if (m->stats.whole_graph_ref && opt->no_fallback)
    st = kn_fail(kn, KN_EUNSUPPORTED, "the model cannot be compiled without the reference executor: %s",
                 m->stats.why_ref);
  else if (m->stats.whole_graph_ref) st = ref_plan_new(kn, m->g, &m->plan);
  else {
    st = build_and_jit(m, opt);
    if (st == KN_OK) st = alloc_workspace(m);
    if (st == KN_OK && !(m->pool = rt_pool_create(opt->threads)))
      st = kn_fail(kn, KN_ENOMEM, "cannot start %d threads", opt->threads);
  }
  m->stats.total_ms = now_ms() - t0;
  if (st != KN_OK) {
    cg_model_free(m);
    return st;
  }
  *out = m;
  return KN_OK;
}

kn_status cg_run(cg_model *m, const kn_tensor *inputs, int ninputs, kn_tensor *outputs, int noutputs) {
  ir_graph *g = m->g;
  if (m->plan) return ref_plan_run(m->plan, inputs, ninputs, outputs, noutputs);
  for (int i = 0; i < noutputs; i++) memset(&outputs[i], 0, sizeof outputs[i]);
  if (ninputs > g->ninputs || noutputs != g->noutputs)
    return kn_fail(m->kn, KN_EINVAL, "the model takes %d inputs and %d outputs, got %d and %d", g->ninputs,
                   g->noutputs, ninputs, noutputs);
  void **io = calloc((size_t)(g->ninputs + g->noutputs) + 1, sizeof *io);
  if (!io) return kn_fail(m->kn, KN_ENOMEM, "out of memory");
  kn_status st = KN_OK;
  for (int i = 0; st == KN_OK && i < g->ninputs; i++) {
    const ir_value *v = &g->values[g->inputs[i]];
    const kn_tensor *t = i < ninputs && inputs[i].dtype != KN_UNDEF ? &inputs[i] : v->constant;
    if (!t) {
      st = kn_fail(m->kn, KN_EINVAL, "input '%s' is missing", v->name);
      break;
    }
    bool same = t->dtype == v->type.dtype && t->rank == v->type.rank;
    for (int d = 0; same && d < t->rank; d++) same = t->dims[d] == v->type.dims[d];
    if (!same) {
      char want[96];
      ir_print_type(want, sizeof want, g, &v->type);
      st = kn_fail(m->kn, KN_ESHAPE, "input '%s' does not match the compiled type %s (compile again for new shapes)",
                   v->name, want);
    }
    io[i] = t->data;
  }
  for (int k = 0; st == KN_OK && k < g->noutputs; k++) {
    const ir_type *t = &g->values[g->outputs[k]].type;
    st = kn_tensor_alloc(m->kn, &outputs[k], t->dtype, t->rank, t->dims);
    io[g->ninputs + k] = outputs[k].data;
  }
  if (st == KN_OK) {
    cg_run_state rs = {m, io};
    int32_t r = m->entry(io, m->ws, m->consts, &rs);
    if (r != 0) st = (kn_status)r;
  }
  for (int k = 0; st == KN_OK && k < g->noutputs; k++) {
    ir_id v = g->outputs[k];
    if (m->loc[v].kind == CG_LOC_OUTPUT || !outputs[k].nbytes) continue;
    const void *src = value_data(m, io, v); /* an output that is a constant or an input */
    if (src) memcpy(outputs[k].data, src, (size_t)outputs[k].nbytes);
  }
  if (st != KN_OK)
    for (int k = 0; k < noutputs; k++) kn_tensor_free(&outputs[k]);
  free(io);
  return st;
}

void cg_model_stats(const cg_model *m, cg_stats *st) { *st = m->stats; }
const ir_graph *cg_model_graph(const cg_model *m) { return m->g; }

void cg_model_free(cg_model *m) {
  if (!m) return;
  if (m->jit) LLVMOrcDisposeLLJIT(m->jit);
  rt_pool_destroy(m->pool);
  ref_plan_free(m->plan);
  kn_aligned_free(m->ws);
  free(m->loc);
  free(m->consts);
  free(m->const_bytes);
  free(m->const_used);
  free(m->custom);
  for (int32_t i = 0; i < m->nowned; i++) kn_aligned_free(m->owned[i]);
  free(m->owned);
  ir_graph_free(m->g);
  free(m);
}
