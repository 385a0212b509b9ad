/* cg_module.c: the pieces of an LLVM module every lowering needs: the kernel
 * library (embedded bitcode, linked in per target triple), constants, calls
 * into the kernels and the runtime (kiln_parallel_for), and the final
 * function attributes. (Value addresses are place_values.c's; the builders of
 * generated functions and loops are llvm_kit.c.) The kernel bitcode is
 * built unoptimized (clang -O2 with LLVM passes disabled), so the model's
 * pipeline optimizes each used kernel once, for the real target CPU, after
 * inlining it with constant arguments. */
#include "cg_internal.h"
#include <llvm-c/BitReader.h>
#include <llvm-c/Linker.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const unsigned char cg_kernels_x86_64_linux_gnu_bc[];
extern const size_t cg_kernels_x86_64_linux_gnu_bc_len;
extern const unsigned char cg_kernels_aarch64_linux_gnu_bc[];
extern const size_t cg_kernels_aarch64_linux_gnu_bc_len;

kn_status cg_link_kernels(kn_ctx *kn, LLVMContextRef c, LLVMModuleRef m, const char *triple) {
  const unsigned char *data;
  size_t len;
  if (strncmp(triple, "x86_64", 6) == 0) data = cg_kernels_x86_64_linux_gnu_bc, len = cg_kernels_x86_64_linux_gnu_bc_len;
  else if (strncmp(triple, "aarch64", 7) == 0)
    data = cg_kernels_aarch64_linux_gnu_bc, len = cg_kernels_aarch64_linux_gnu_bc_len;
  else return kn_fail(kn, KN_EUNSUPPORTED, "no kernel library for target %s (kiln has x86_64 and aarch64)", triple);
  LLVMMemoryBufferRef buf = LLVMCreateMemoryBufferWithMemoryRange((const char *)data, len, "kiln_kernels", 0);
  LLVMModuleRef km = NULL;
  if (LLVMParseBitcodeInContext2(c, buf, &km) != 0) {
    LLVMDisposeMemoryBuffer(buf);
    return kn_fail(kn, KN_EINTERNAL, "the embedded kernel bitcode for %s does not parse", triple);
  }
  LLVMDisposeMemoryBuffer(buf);
  LLVMSetTarget(km, LLVMGetTarget(m));
  LLVMSetDataLayout(km, LLVMGetDataLayoutStr(m));
  if (LLVMLinkModules2(m, km) != 0) return kn_fail(kn, KN_EINTERNAL, "linking the kernel library failed");
  return KN_OK;
}

static void set_string_attr(LLVMContextRef c, LLVMValueRef fn, const char *k, const char *v) {
  LLVMRemoveStringAttributeAtIndex(fn, LLVMAttributeFunctionIndex, k, (unsigned)strlen(k));
  if (v && *v)
    LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex,
                            LLVMCreateStringAttribute(c, k, (unsigned)strlen(k), v, (unsigned)strlen(v)));
}

void cg_finalize_functions(LLVMModuleRef m, LLVMTargetMachineRef tm, const char *const *keep, int nkeep) {
  LLVMContextRef c = LLVMGetModuleContext(m);
  char *cpu = LLVMGetTargetMachineCPU(tm), *features = LLVMGetTargetMachineFeatureString(tm);
  for (LLVMValueRef fn = LLVMGetFirstFunction(m); fn; fn = LLVMGetNextFunction(fn)) {
    if (LLVMIsDeclaration(fn)) continue;
    size_t n;
    const char *name = LLVMGetValueName2(fn, &n);
    bool kept = false;
    for (int k = 0; k < nkeep && !kept; k++) kept = strcmp(name, keep[k]) == 0;
    if (!kept) LLVMSetLinkage(fn, LLVMInternalLinkage);
    set_string_attr(c, fn, "target-cpu", cpu);
    set_string_attr(c, fn, "target-features", features);
    set_string_attr(c, fn, "tune-cpu", NULL);
  }
  LLVMDisposeMessage(cpu);
  LLVMDisposeMessage(features);
}

LLVMValueRef cg_i64(cg_ctx *c, int64_t v) { return LLVMConstInt(c->i64, (unsigned long long)v, 1); }
LLVMValueRef cg_i32(cg_ctx *c, int32_t v) { return LLVMConstInt(c->i32, (unsigned long long)(int64_t)v, 1); }
LLVMValueRef cg_f32(cg_ctx *c, float v) { return LLVMConstReal(c->f32, v); }
LLVMValueRef cg_f64(cg_ctx *c, double v) { return LLVMConstReal(c->f64, v); }

const char *cg_node_label(cg_ctx *c, char *buf, size_t n) {
  snprintf(buf, n, "n%d_%s", c->node, ir_op_table[c->g->nodes[c->node].op].name);
  return buf;
}

LLVMValueRef cg_kernel(cg_ctx *c, const char *name) {
  LLVMValueRef fn = LLVMGetNamedFunction(c->m, name);
  return fn && !LLVMIsDeclaration(fn) ? fn : NULL;
}

LLVMValueRef cg_entry_alloca(cg_ctx *c, LLVMTypeRef t) {
  LLVMBuilderRef b = LLVMCreateBuilderInContext(c->c);
  LLVMBasicBlockRef first = LLVMGetEntryBasicBlock(c->entry);
  LLVMValueRef at = LLVMGetFirstInstruction(first);
  if (at) LLVMPositionBuilderBefore(b, at);
  else LLVMPositionBuilderAtEnd(b, first);
  LLVMValueRef v = LLVMBuildAlloca(b, t, "ctx");
  LLVMDisposeBuilder(b);
  return v;
}

LLVMValueRef cg_call(cg_ctx *c, LLVMValueRef fn, LLVMValueRef *args, unsigned n) {
  return cg_call_at(c->b, fn, args, n);
}

/* kiln_parallel_for(rt, n, body, ctx): the JIT defines it (jit_orc.c), an
 * artifact's runtime too (runtime/rt_artifact.c). */
void cg_parallel_for_at(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef rt, LLVMValueRef body, LLVMValueRef ctx,
                        LLVMValueRef n) {
  LLVMTypeRef pt[4] = {c->ptr, c->i64, c->ptr, c->ptr};
  LLVMTypeRef fty = LLVMFunctionType(c->void_t, pt, 4, 0);
  LLVMValueRef fn = LLVMGetNamedFunction(c->m, CG_PARALLEL_NAME);
  if (!fn) fn = LLVMAddFunction(c->m, CG_PARALLEL_NAME, fty);
  LLVMValueRef args[4] = {rt, n, body, ctx};
  LLVMBuildCall2(b, fty, fn, args, 4, "");
}

void cg_parallel_for(cg_ctx *c, LLVMValueRef body, LLVMValueRef ctx, LLVMValueRef n) {
  cg_parallel_for_at(c, c->b, c->rt, body, ctx, n);
}

LLVMValueRef cg_i64_array(cg_ctx *c, const int64_t *v, int n) {
  LLVMValueRef *elems = malloc(sizeof *elems * (size_t)(n > 0 ? n : 1));
  if (!elems) return LLVMConstNull(c->ptr);
  for (int i = 0; i < n; i++) elems[i] = cg_i64(c, v[i]);
  LLVMTypeRef at = LLVMArrayType2(c->i64, (uint64_t)(n > 0 ? n : 1));
  if (n == 0) elems[0] = cg_i64(c, 0);
  LLVMValueRef init = LLVMConstArray2(c->i64, elems, (uint64_t)(n > 0 ? n : 1));
  free(elems);
  LLVMValueRef gv = LLVMAddGlobal(c->m, at, "shape");
  LLVMSetInitializer(gv, init);
  LLVMSetGlobalConstant(gv, 1);
  LLVMSetLinkage(gv, LLVMPrivateLinkage);
  LLVMSetUnnamedAddress(gv, LLVMGlobalUnnamedAddr);
  return gv;
}
