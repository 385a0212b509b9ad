/* cg_target.c: the LLVM target machine kiln compiles for: the host CPU by
 * default (LLVMGetHostCPUName/Features), or the --cpu/--features given, and
 * the widest vector register it has, which sizes the generated vector code. */
#include "cg.h"
#include <llvm-c/Target.h>
#include <pthread.h>
#include <string.h>

static pthread_once_t llvm_once = PTHREAD_ONCE_INIT;
static void init_llvm(void) {
  LLVMInitializeNativeTarget();
  LLVMInitializeNativeAsmPrinter();
  LLVMInitializeNativeAsmParser();
}
void cg_llvm_init(void) { pthread_once(&llvm_once, init_llvm); }

static bool has_feature(const char *features, const char *f) {
  size_t n = strlen(f);
  for (const char *p = features; (p = strstr(p, f)); p += n)
    if ((p == features || p[-1] == ',') && (p[n] == ',' || p[n] == 0)) return true;
  return false;
}

static int vec_bytes_of(const char *features) {
  return has_feature(features, "+avx512f") ? 64 : has_feature(features, "+avx") ? 32 : 16;
}

int cg_target_vec_bytes(const cg_options *opt) {
  if (opt && opt->features) return vec_bytes_of(opt->features);
  char *host = LLVMGetHostCPUFeatures();
  int v = vec_bytes_of(host);
  LLVMDisposeMessage(host);
  return v;
}

kn_status cg_target_machine(kn_ctx *kn, const cg_options *opt, LLVMTargetMachineRef *tm, int *vec_bytes) {
  cg_llvm_init();
  char *triple = LLVMGetDefaultTargetTriple();
  char *host_cpu = LLVMGetHostCPUName(), *host_features = LLVMGetHostCPUFeatures();
  const char *cpu = opt && opt->cpu ? opt->cpu : host_cpu;
  const char *features = opt && opt->features ? opt->features : host_features;
  LLVMTargetRef target;
  char *err = NULL;
  kn_status st = KN_OK;
  if (LLVMGetTargetFromTriple(triple, &target, &err) != 0) {
    st = kn_fail(kn, KN_EUNSUPPORTED, "LLVM has no target for %s: %s", triple, err ? err : "?");
    LLVMDisposeMessage(err);
  } else {
    LLVMCodeGenOptLevel lvl = !opt || opt->opt_level >= 3 ? LLVMCodeGenLevelAggressive
                              : opt->opt_level == 0       ? LLVMCodeGenLevelNone
                                                          : LLVMCodeGenLevelDefault;
    *tm = LLVMCreateTargetMachine(target, triple, cpu, features, lvl, LLVMRelocPIC, LLVMCodeModelJITDefault);
    if (!*tm) st = kn_fail(kn, KN_EINTERNAL, "LLVM could not create a target machine for %s (%s)", triple, cpu);
    *vec_bytes = vec_bytes_of(features);
  }
  LLVMDisposeMessage(triple);
  LLVMDisposeMessage(host_cpu);
  LLVMDisposeMessage(host_features);
  return st;
}
