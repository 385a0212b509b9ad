/* jit_orc.c: running a compiled model in this process with ORC LLJIT. The
 * object file of the optimized module (fresh, or from the compile cache) is
 * linked into a new LLJIT whose main dylib resolves libm and memcpy in the
 * process and kiln's callbacks as absolute symbols: kiln_fallback (a node on
 * its reference kernel, in place on the workspace), kiln_parallel_for (the
 * thread pool) and the functions of custom ops. cg_run binds the I/O
 * pointers and calls the entry. The callbacks live here, next to the code
 * that defines them for the JIT: an ahead-of-time build has no fallback, and
 * its runtime (runtime/rt_artifact.c) defines kiln_parallel_for itself. */
#include "cg_internal.h"
#include <llvm-c/Orc.h>
#include <stdlib.h>
#include <string.h>

/* What the entry's rt argument points to while cg_run runs it. */
typedef struct cg_run_state {
  cg_model *m;
  void **io;
  uint8_t *ws; /* this run's workspace */
} cg_run_state;

/* ---- callbacks from generated code ---- */
static void cg_parallel_host(void *rtp, int64_t n, void (*body)(void *, int64_t, int64_t), void *ctx) {
  cg_run_state *rs = rtp;
  rt_parallel_for(rs->m->pool, n, body, ctx);
}

static void tensor_at(cg_model *m, void **io, uint8_t *ws, ir_id v, kn_tensor *t) {
  const ir_type *ty = &m->g->values[v].type;
  memset(t, 0, sizeof *t);
  t->dtype = ty->dtype;
  t->rank = ty->rank;
  memcpy(t->dims, ty->dims, sizeof(int64_t) * (size_t)ty->rank);
  t->nbytes = kn_dims_numel(ty->rank, ty->dims) * (int64_t)kn_dtype_size(ty->dtype);
  t->data = cg_value_addr(m, io, ws, v);
}

/* One node on its reference kernel, reading and writing the placed values. */
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
    tensor_at(m, rs->io, rs->ws, n->in[i], &ins[i]);
    inp[i] = &ins[i];
  }
  for (int k = 0; st == KN_OK && k < n->nout; k++) {
    memset(&outs[k], 0, sizeof outs[k]);
    if (n->out[k] == IR_NONE || m->loc[n->out[k]].kind == CG_LOC_NONE) continue; /* ref_eval_node allocates it */
    tensor_at(m, rs->io, rs->ws, n->out[k], &outs[k]);
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

/* ---- linking ---- */
kn_status cg_jit_link(cg_model *m, LLVMMemoryBufferRef obj) {
  kn_ctx *kn = m->kn;
  LLVMOrcLLJITBuilderRef jb = LLVMOrcCreateLLJITBuilder();
  LLVMErrorRef e = LLVMOrcCreateLLJIT(&m->jit, jb);
  if (e) {
    LLVMDisposeMemoryBuffer(obj);
    return cg_llvm_error(kn, e, "creating the LLJIT failed");
  }
  kn_status st = KN_OK;
  LLVMOrcJITDylibRef jd = LLVMOrcLLJITGetMainJITDylib(m->jit);
  LLVMOrcDefinitionGeneratorRef gen = NULL;
  e = LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess(&gen, LLVMOrcLLJITGetGlobalPrefix(m->jit), NULL, NULL);
  if (e) st = cg_llvm_error(kn, e, "JIT process symbols");
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
    if (e) st = cg_llvm_error(kn, e, "JIT runtime symbols");
  }
  free(sym);
  if (st == KN_OK) {
    e = LLVMOrcLLJITAddObjectFile(m->jit, jd, obj);
    obj = NULL;
    if (e) st = cg_llvm_error(kn, e, "JIT linking failed");
  }
  LLVMOrcExecutorAddress addr = 0;
  if (st == KN_OK) {
    e = LLVMOrcLLJITLookup(m->jit, &addr, CG_ENTRY_NAME);
    if (e) st = cg_llvm_error(kn, e, "JIT lookup of the entry failed");
    else m->entry = (cg_entry_fn)(uintptr_t)addr;
  }
  if (obj) LLVMDisposeMemoryBuffer(obj);
  return st;
}

void cg_jit_dispose(cg_model *m) {
  if (m->jit) LLVMOrcDisposeLLJIT(m->jit);
  m->jit = NULL;
  m->entry = NULL;
}

/* ---- running ---- */
/* A workspace for one run: the model's own if no other run holds it, else a
 * spare (allocated when none is free). NULL when out of memory. */
static uint8_t *take_workspace(cg_model *m) {
  uint8_t *ws = NULL;
  pthread_mutex_lock(&m->run_mu);
  if (!m->ws_busy) {
    m->ws_busy = true;
    ws = m->ws;
  } else if (m->nspare > 0) {
    ws = m->spare_ws[--m->nspare];
  }
  pthread_mutex_unlock(&m->run_mu);
  if (!ws) ws = cg_workspace_new(m);
  return ws;
}

static void give_workspace(cg_model *m, uint8_t *ws) {
  pthread_mutex_lock(&m->run_mu);
  if (ws == m->ws) m->ws_busy = false, ws = NULL;
  else if (m->nspare < m->cap_spare) m->spare_ws[m->nspare++] = ws, ws = NULL;
  else {
    int32_t cap = m->cap_spare * 2 + 4;
    uint8_t **ns = realloc(m->spare_ws, sizeof *ns * (size_t)cap);
    if (ns) m->spare_ws = ns, m->cap_spare = cap, m->spare_ws[m->nspare++] = ws, ws = NULL;
  }
  pthread_mutex_unlock(&m->run_mu);
  kn_aligned_free(ws); /* only when it could not be kept */
}

/* An input the model was specialized to (engine.c, passes/bind_values.c)
 * must hold that value. */
static kn_status check_bound_value(cg_model *m, int i, const kn_tensor *t) {
  const kn_tensor *b = m->bound ? &m->bound[i] : NULL;
  if (!b || !b->data) return KN_OK;
  if (t->nbytes == b->nbytes && memcmp(t->data, b->data, (size_t)b->nbytes) == 0) return KN_OK;
  return kn_fail(m->kn, KN_EINVAL,
                 "input '%s' differs from the value the model was compiled for: that input shapes the graph, so "
                 "the compiled code is specialized to its value (compile again for another value)",
                 m->g->values[m->g->inputs[i]].name);
}

kn_status cg_run(cg_model *m, const kn_tensor *inputs, int ninputs, kn_tensor *outputs, int noutputs) {
  ir_graph *g = m->g;
  if (m->plan) {
    for (int i = 0; i < ninputs && i < g->ninputs; i++)
      if (inputs[i].dtype != KN_UNDEF) KN_TRY(check_bound_value(m, i, &inputs[i]));
    /* a reference plan has one workspace: its runs take turns */
    pthread_mutex_lock(&m->run_mu);
    kn_status st = ref_plan_run(m->plan, inputs, ninputs, outputs, noutputs);
    pthread_mutex_unlock(&m->run_mu);
    return st;
  }
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
    if (st == KN_OK) st = check_bound_value(m, i, t);
    io[i] = t->data;
  }
  for (int k = 0; st == KN_OK && k < g->noutputs; k++) {
    const ir_type *t = &g->values[g->outputs[k]].type;
    st = kn_tensor_alloc(m->kn, &outputs[k], t->dtype, t->rank, t->dims);
    io[g->ninputs + k] = outputs[k].data;
  }
  uint8_t *ws = st == KN_OK ? take_workspace(m) : NULL;
  if (st == KN_OK && !ws) st = kn_fail(m->kn, KN_ENOMEM, "out of memory allocating a workspace for this run");
  if (st == KN_OK) {
    cg_run_state rs = {m, io, ws};
    int32_t r = m->entry(io, ws, m->consts, &rs);
    if (r != 0) st = (kn_status)r;
  }
  for (int k = 0; st == KN_OK && k < g->noutputs; k++) {
    ir_id v = g->outputs[k];
    if (m->loc[v].kind == CG_LOC_OUTPUT || !outputs[k].nbytes) continue;
    const void *src = cg_value_addr(m, io, ws, v); /* an output that is a constant or an input */
    if (src) memcpy(outputs[k].data, src, (size_t)outputs[k].nbytes);
  }
  if (ws) give_workspace(m, ws);
  if (st != KN_OK)
    for (int k = 0; k < noutputs; k++) kn_tensor_free(&outputs[k]);
  free(io);
  return st;
}
