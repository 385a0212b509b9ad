/* aot_module.c: turns a lowered model module into an artifact. The entry
 * kiln_main(io, ws, consts, rt) is the JIT's, unchanged, so AOT and JIT run
 * the same code; what the JIT passes at run time the artifact carries:
 *  - the constants the code reads, each a private 64-byte aligned global made
 *    from the raw bytes (one ConstantDataArray per tensor: LLVM copies it once
 *    and writes it to .rodata as is), with a table of pointers to them; or,
 *    with --weights file, only their offsets in NAME.weights;
 *  - NAME_meta (kiln_rt.h): I/O names, dtypes, shapes, workspace bytes, the
 *    entry, the entry-point symbols, which libkiln_rt and kiln's loader read;
 *  - typed C entry points NAME_run, NAME_run_ctx, NAME_ctx_new, NAME_ctx_free,
 *    NAME_init, NAME_error, thin wrappers that put the I/O pointers in an array and call
 *    the runtime. Everything else in the module becomes internal, so several
 *    models link into one program. */
#include "aot.h"
#include "kiln_rt.h"
#include "rt.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *aot_c_type(int dtype) {
  switch (dtype) {
  case KN_F32: return "float";
  case KN_F64: return "double";
  case KN_I64: return "int64_t";
  case KN_I32: return "int32_t";
  case KN_I16: return "int16_t";
  case KN_I8: return "int8_t";
  case KN_U8: return "uint8_t";
  case KN_U16:
  case KN_F16:
  case KN_BF16: return "uint16_t";
  case KN_U32: return "uint32_t";
  case KN_U64: return "uint64_t";
  case KN_BOOL: return "bool";
  default: return NULL;
  }
}

/* ---- weights layout and hash (the runtime checks the weights by it) ---- */
kn_status aot_layout_weights(cg_model *m, aot_weights *w) {
  memset(w, 0, sizeof *w);
  w->offset = malloc(sizeof *w->offset * (size_t)(m->nconsts + 1));
  w->bytes_of = malloc(sizeof *w->bytes_of * (size_t)(m->nconsts + 1));
  if (!w->offset || !w->bytes_of) return kn_fail(m->kn, KN_ENOMEM, "out of memory");
  rt_hasher hs;
  rt_hash_init(&hs);
  int64_t at = 0;
  for (int32_t i = 0; i < m->nconsts; i++) {
    w->offset[i] = -1;
    w->bytes_of[i] = 0;
    if (!m->const_used[i] || m->const_bytes[i] <= 0) continue;
    int64_t o = (at + 63) & ~(int64_t)63;
    rt_hash_zeros(&hs, (uint64_t)(o - at));
    rt_hash_feed(&hs, m->consts[i], (size_t)m->const_bytes[i]);
    w->offset[i] = o;
    w->bytes_of[i] = m->const_bytes[i];
    at = o + m->const_bytes[i];
    w->used++;
  }
  w->bytes = at;
  w->hash = rt_hash_end(&hs);
  return KN_OK;
}

kn_status aot_write_weights(cg_model *m, const aot_weights *w, const char *path) {
  FILE *f = fopen(path, "wb");
  if (!f) return kn_fail(m->kn, KN_EIO, "cannot write %s", path);
  kiln_weights_header h;
  memset(&h, 0, sizeof h);
  memcpy(h.magic, KILN_WEIGHTS_MAGIC, 8);
  h.abi_version = KILN_ABI_VERSION;
  h.nconsts = (uint32_t)m->nconsts;
  h.data_offset = sizeof h;
  h.data_bytes = (uint64_t)w->bytes;
  h.hash = w->hash;
  static const unsigned char zeros[64];
  bool ok = fwrite(&h, sizeof h, 1, f) == 1;
  int64_t at = 0;
  for (int32_t i = 0; ok && i < m->nconsts; i++) {
    if (w->offset[i] < 0) continue;
    ok = fwrite(zeros, 1, (size_t)(w->offset[i] - at), f) == (size_t)(w->offset[i] - at);
    ok = ok && fwrite(m->consts[i], 1, (size_t)m->const_bytes[i], f) == (size_t)m->const_bytes[i];
    at = w->offset[i] + m->const_bytes[i];
  }
  ok &= fclose(f) == 0;
  return ok ? KN_OK : kn_fail(m->kn, KN_EIO, "writing %s failed (disk full?)", path);
}

/* ---- module pieces ---- */
typedef struct art {
  LLVMModuleRef mod;
  LLVMContextRef c;
  LLVMTypeRef i8, i32, i64, ptr;
} art;

static LLVMValueRef private_const(art *a, LLVMValueRef init, const char *name, unsigned align) {
  LLVMValueRef g = LLVMAddGlobal(a->mod, LLVMTypeOf(init), name);
  LLVMSetInitializer(g, init);
  LLVMSetGlobalConstant(g, 1);
  LLVMSetLinkage(g, LLVMPrivateLinkage);
  LLVMSetAlignment(g, align);
  return g;
}

static LLVMValueRef cstr(art *a, const char *s) {
  return private_const(a, LLVMConstStringInContext2(a->c, s ? s : "", strlen(s ? s : ""), 0), "str", 1);
}

static LLVMValueRef i32c(art *a, int64_t v) { return LLVMConstInt(a->i32, (unsigned long long)v, 1); }
static LLVMValueRef i64c(art *a, int64_t v) { return LLVMConstInt(a->i64, (unsigned long long)v, 1); }

static LLVMValueRef i64_array(art *a, const int64_t *v, int n, const char *name) {
  LLVMValueRef *el = malloc(sizeof *el * (size_t)(n > 0 ? n : 1));
  if (!el) return NULL;
  for (int i = 0; i < n; i++) el[i] = i64c(a, v[i]);
  if (n == 0) el[0] = i64c(a, 0);
  LLVMValueRef arr = LLVMConstArray2(a->i64, el, (uint64_t)(n > 0 ? n : 1));
  free(el);
  return private_const(a, arr, name, 8);
}

/* One kiln_io_info: {name, dtype, rank, dims, numel, nbytes, src_kind, src_index} */
static LLVMValueRef io_info(art *a, const ir_graph *g, ir_id v, int src_kind, int src_index) {
  const ir_type *t = &g->values[v].type;
  int64_t numel = kn_dims_numel(t->rank, t->dims);
  LLVMValueRef f[8] = {cstr(a, g->values[v].name), i32c(a, t->dtype), i32c(a, t->rank),
                       i64_array(a, t->dims, t->rank, "dims"), i64c(a, numel),
                       i64c(a, numel * (int64_t)kn_dtype_size(t->dtype)), i32c(a, src_kind), i32c(a, src_index)};
  return LLVMConstStructInContext(a->c, f, 8, 0);
}

static LLVMTypeRef io_info_type(art *a) {
  LLVMTypeRef f[8] = {a->ptr, a->i32, a->i32, a->ptr, a->i64, a->i64, a->i32, a->i32};
  return LLVMStructTypeInContext(a->c, f, 8, 0);
}

static LLVMValueRef io_array(art *a, LLVMValueRef *el, int n, const char *name) {
  if (n == 0) return LLVMConstNull(a->ptr);
  return private_const(a, LLVMConstArray2(io_info_type(a), el, (uint64_t)n), name, 8);
}

/* Where output k's bytes come from (the placement of place_values.c). */
static void output_source(const cg_model *m, int k, int *kind, int *index) {
  const cg_loc *l = &m->loc[m->g->outputs[k]];
  *index = l->index;
  switch (l->kind) {
  case CG_LOC_OUTPUT: *kind = l->index == k ? KILN_SRC_CODE : KILN_SRC_OUTPUT; break;
  case CG_LOC_CONST: *kind = KILN_SRC_CONST; break;
  case CG_LOC_INPUT: *kind = KILN_SRC_INPUT; break;
  default: *kind = KILN_SRC_NONE, *index = 0; break;
  }
}

/* i32 NAME(ctx?, ptr x nio): the I/O pointers into an array, then kiln_rt_run. */
static LLVMValueRef run_wrapper(art *a, const char *name, bool has_ctx, int nio, LLVMValueRef meta,
                                LLVMValueRef rt_run) {
  int np = nio + (has_ctx ? 1 : 0);
  LLVMTypeRef *pt = malloc(sizeof *pt * (size_t)(np + 1));
  if (!pt) return NULL;
  for (int i = 0; i < np; i++) pt[i] = a->ptr;
  LLVMValueRef fn = LLVMAddFunction(a->mod, name, LLVMFunctionType(a->i32, pt, (unsigned)np, 0));
  free(pt);
  LLVMBuilderRef b = LLVMCreateBuilderInContext(a->c);
  LLVMPositionBuilderAtEnd(b, LLVMAppendBasicBlockInContext(a->c, fn, "entry"));
  LLVMTypeRef at = LLVMArrayType2(a->ptr, (uint64_t)(nio > 0 ? nio : 1));
  LLVMValueRef io = LLVMBuildAlloca(b, at, "io");
  for (int k = 0; k < nio; k++) {
    LLVMValueRef idx[2] = {i64c(a, 0), i64c(a, k)};
    LLVMBuildStore(b, LLVMGetParam(fn, (unsigned)(k + (has_ctx ? 1 : 0))), LLVMBuildGEP2(b, at, io, idx, 2, ""));
  }
  LLVMValueRef args[3] = {meta, has_ctx ? LLVMGetParam(fn, 0) : LLVMConstNull(a->ptr), io};
  LLVMValueRef r = LLVMBuildCall2(b, LLVMGlobalGetValueType(rt_run), rt_run, args, 3, "");
  LLVMBuildRet(b, r);
  LLVMDisposeBuilder(b);
  return fn;
}

/* A wrapper that forwards its parameters to a runtime function after meta. */
static void forward_wrapper(art *a, const char *name, LLVMTypeRef ret, LLVMTypeRef *pt, unsigned np,
                            LLVMValueRef meta, const char *rt_name, bool pass_meta) {
  LLVMTypeRef fty = LLVMFunctionType(ret, pt, np, 0);
  LLVMValueRef fn = LLVMAddFunction(a->mod, name, fty);
  LLVMTypeRef rpt[4];
  unsigned nr = 0;
  if (pass_meta) rpt[nr++] = a->ptr;
  for (unsigned i = 0; i < np; i++) rpt[nr++] = pt[i];
  LLVMTypeRef rty = LLVMFunctionType(ret, rpt, nr, 0);
  LLVMValueRef rfn = LLVMGetNamedFunction(a->mod, rt_name);
  if (!rfn) rfn = LLVMAddFunction(a->mod, rt_name, rty);
  LLVMBuilderRef b = LLVMCreateBuilderInContext(a->c);
  LLVMPositionBuilderAtEnd(b, LLVMAppendBasicBlockInContext(a->c, fn, "entry"));
  LLVMValueRef args[4];
  nr = 0;
  if (pass_meta) args[nr++] = meta;
  for (unsigned i = 0; i < np; i++) args[nr++] = LLVMGetParam(fn, i);
  LLVMValueRef r = LLVMBuildCall2(b, rty, rfn, args, nr, "");
  if (LLVMGetTypeKind(ret) == LLVMVoidTypeKind) LLVMBuildRetVoid(b);
  else LLVMBuildRet(b, r);
  LLVMDisposeBuilder(b);
}

kn_status aot_add_artifact(cg_model *m, LLVMModuleRef mod, const cg_aot_options *o, LLVMTargetMachineRef tm,
                           const aot_weights *w, const char **keep, int *nkeep) {
  const ir_graph *g = m->g;
  art A = {.mod = mod, .c = LLVMGetModuleContext(mod)};
  art *a = &A;
  a->i8 = LLVMInt8TypeInContext(a->c);
  a->i32 = LLVMInt32TypeInContext(a->c);
  a->i64 = LLVMInt64TypeInContext(a->c);
  a->ptr = LLVMPointerTypeInContext(a->c, 0);
  LLVMValueRef entry = LLVMGetNamedFunction(mod, CG_ENTRY_NAME);
  if (!entry) return kn_fail(m->kn, KN_EINTERNAL, "the lowered module has no %s", CG_ENTRY_NAME);
  int32_t n = m->nconsts;
  LLVMValueRef *slots = calloc((size_t)n + 1, sizeof *slots);
  LLVMValueRef *ins = calloc((size_t)g->ninputs + 1, sizeof *ins), *outs = calloc((size_t)g->noutputs + 1, sizeof *outs);
  if (!slots || !ins || !outs) {
    free(slots), free(ins), free(outs);
    return kn_fail(m->kn, KN_ENOMEM, "out of memory");
  }
  /* the constants: embedded, or their offsets in NAME.weights */
  LLVMValueRef table = LLVMConstNull(a->ptr), offsets = i64_array(a, w->offset, n, "const_offsets"),
               sizes = i64_array(a, w->bytes_of, n, "const_bytes");
  if (!offsets || !sizes) {
    free(slots), free(ins), free(outs);
    return kn_fail(m->kn, KN_ENOMEM, "out of memory");
  }
  if (!o->weights_file) {
    for (int32_t i = 0; i < n; i++) {
      slots[i] = LLVMConstNull(a->ptr);
      if (w->offset[i] < 0) continue;
      LLVMValueRef data = LLVMConstStringInContext2(a->c, m->consts[i], (size_t)m->const_bytes[i], 1);
      slots[i] = private_const(a, data, "weight", 64);
    }
    if (n > 0) table = private_const(a, LLVMConstArray2(a->ptr, slots, (uint64_t)n), "consts", 8);
  }
  for (int i = 0; i < g->ninputs; i++) {
    int32_t bound = m->bound_const ? m->bound_const[i] : -1; /* specialized to this value */
    ins[i] = io_info(a, g, g->inputs[i], bound >= 0 ? KILN_SRC_CONST : KILN_SRC_CODE, bound >= 0 ? bound : 0);
  }
  for (int k = 0; k < g->noutputs; k++) {
    int kind, index;
    output_source(m, k, &kind, &index);
    outs[k] = io_info(a, g, g->outputs[k], kind, index);
  }
  LLVMValueRef in_arr = io_array(a, ins, g->ninputs, "inputs"), out_arr = io_array(a, outs, g->noutputs, "outputs");
  free(slots), free(ins), free(outs);

  /* symbol names */
  char sym[6][160], mname[160], dname[160];
  static const char *const suffix[6] = {"run", "run_ctx", "ctx_new", "ctx_free", "init", "error"};
  for (int i = 0; i < 6; i++) snprintf(sym[i], sizeof sym[i], "%s_%s", o->name, suffix[i]);
  snprintf(mname, sizeof mname, "%s_meta", o->name);
  snprintf(dname, sizeof dname, "%s_default_ctx", o->name);
  LLVMValueRef dflt = LLVMAddGlobal(mod, a->ptr, dname);
  LLVMSetInitializer(dflt, LLVMConstNull(a->ptr));
  LLVMSetLinkage(dflt, LLVMInternalLinkage);
  LLVMSetAlignment(dflt, 8);

  /* the custom-op functions the user links */
  LLVMValueRef custom_names = LLVMConstNull(a->ptr);
  if (m->ncustom > 0) {
    LLVMValueRef cn[64];
    int nc = m->ncustom < 64 ? m->ncustom : 64;
    for (int i = 0; i < nc; i++) cn[i] = cstr(a, m->custom[i].symbol);
    custom_names = private_const(a, LLVMConstArray2(a->ptr, cn, (uint64_t)nc), "custom_symbols", 8);
  }
  char *triple = LLVMGetTargetMachineTriple(tm), *cpu = LLVMGetTargetMachineCPU(tm),
       *feat = LLVMGetTargetMachineFeatureString(tm);
  cg_arch arch = cg_arch_of_triple(triple);
  int64_t macs = 0;
  for (int32_t i = 0; i < g->nnodes; i++)
    if (!g->nodes[i].dead) macs += ir_node_macs(g, &g->nodes[i]);
  LLVMValueRef mf[34] = {
      i64c(a, (int64_t)KILN_ARTIFACT_MAGIC), i32c(a, KILN_ABI_VERSION),
      i32c(a, arch == CG_ARCH_X86_64 ? KILN_ARCH_X86_64 : KILN_ARCH_AARCH64), i64c(a, 0) /* struct_bytes, below */,
      cstr(a, o->name), cstr(a, KN_VERSION), cstr(a, triple), cstr(a, cpu), cstr(a, feat),
      i32c(a, g->ninputs), i32c(a, g->noutputs), in_arr, out_arr, i64c(a, cg_workspace_bytes(m)),
      i32c(a, n), i32c(a, o->weights_file ? 1 : 0), table, offsets, i64c(a, w->bytes), i64c(a, (int64_t)w->hash),
      i64c(a, macs), entry, dflt,
      cstr(a, sym[0]), cstr(a, sym[1]), cstr(a, sym[2]), cstr(a, sym[3]), cstr(a, sym[4]), cstr(a, sym[5]),
      i32c(a, m->ncustom < 64 ? m->ncustom : 64), i32c(a, 0), custom_names, sizes,
      i64c(a, 0) /* image_hash: written into a shared library after linking (aot.c) */};
  LLVMDisposeMessage(triple);
  LLVMDisposeMessage(cpu);
  LLVMDisposeMessage(feat);
  LLVMTypeRef ft[34];
  for (int i = 0; i < 34; i++) ft[i] = LLVMTypeOf(mf[i]);
  LLVMTypeRef mty = LLVMStructTypeInContext(a->c, ft, 34, 0);
  LLVMTargetDataRef td = LLVMCreateTargetDataLayout(tm);
  mf[3] = i64c(a, (int64_t)LLVMABISizeOfType(td, mty));
  LLVMDisposeTargetData(td);
  LLVMValueRef meta = LLVMAddGlobal(mod, mty, mname);
  LLVMSetInitializer(meta, LLVMConstStructInContext(a->c, mf, 34, 0));
  LLVMSetGlobalConstant(meta, 1);
  LLVMSetAlignment(meta, 8);
  if (o->emit == CG_EMIT_SO) LLVMAddAlias2(mod, mty, 0, meta, "kiln_artifact_meta");

  /* the typed entry points */
  LLVMTypeRef rpt[3] = {a->ptr, a->ptr, a->ptr};
  LLVMValueRef rt_run = LLVMAddFunction(mod, "kiln_rt_run", LLVMFunctionType(a->i32, rpt, 3, 0));
  int nio = g->ninputs + g->noutputs;
  if (!run_wrapper(a, sym[0], false, nio, meta, rt_run) || !run_wrapper(a, sym[1], true, nio, meta, rt_run))
    return kn_fail(m->kn, KN_ENOMEM, "out of memory");
  LLVMTypeRef pnew[2] = {a->i32, a->ptr}, pfree[1] = {a->ptr}, pinit[1] = {a->ptr};
  forward_wrapper(a, sym[2], a->ptr, pnew, 2, meta, "kiln_rt_ctx_new", true);
  forward_wrapper(a, sym[3], LLVMVoidTypeInContext(a->c), pfree, 1, meta, "kiln_rt_ctx_free", false);
  forward_wrapper(a, sym[4], a->i32, pinit, 1, meta, "kiln_rt_init_default", true);
  /* the runtime is linked with hidden symbols: a loader reads errors here */
  forward_wrapper(a, sym[5], a->ptr, NULL, 0, meta, "kiln_rt_error", false);
  *nkeep = 0;
  for (int i = 0; i < 6; i++) keep[(*nkeep)++] = LLVMGetValueName(LLVMGetNamedFunction(mod, sym[i]));
  return KN_OK;
}
