/* cg_target.c: the LLVM target machine kiln compiles for. The JIT targets the
 * host CPU by default (LLVMGetHostCPUName/Features); --cpu/--features pick
 * another x86-64/aarch64 CPU, and the ahead-of-time path (--target) another
 * triple. Only the triples kiln has kernel bitcode for are accepted.
 * LLVM accepts any CPU or feature name and only warns on stderr ("... is not a
 * recognized processor"), then silently compiles for a generic CPU. A typo in
 * --cpu must not quietly produce a slow or wrong artifact, so target machine
 * creation captures what LLVM prints and turns those warnings into errors.
 * The widest vector register sizes the generated vector code; the C API
 * cannot ask LLVM which features a named CPU has, so explicit features decide
 * where given, else a small table of CPU names (a wrong guess costs speed,
 * never correctness: LLVM legalizes any vector width). */
#include "cg.h"
#include <llvm-c/Target.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_once_t llvm_once = PTHREAD_ONCE_INIT;
static void init_llvm(void) {
  LLVMInitializeNativeTarget();
  LLVMInitializeNativeAsmPrinter();
  LLVMInitializeNativeAsmParser();
  /* the ahead-of-time targets (both are in Debian's libLLVM) */
  LLVMInitializeX86TargetInfo();
  LLVMInitializeX86Target();
  LLVMInitializeX86TargetMC();
  LLVMInitializeX86AsmPrinter();
  LLVMInitializeAArch64TargetInfo();
  LLVMInitializeAArch64Target();
  LLVMInitializeAArch64TargetMC();
  LLVMInitializeAArch64AsmPrinter();
}
void cg_llvm_init(void) { pthread_once(&llvm_once, init_llvm); }

static bool has_feature(const char *features, const char *f) {
  size_t n = strlen(f);
  for (const char *p = features; (p = strstr(p, f)); p += n)
    if ((p == features || p[-1] == ',') && (p[n] == ',' || p[n] == 0)) return true;
  return false;
}

/* ---- triples ---- */
static const struct {
  const char *alias, *triple;
  cg_arch arch;
} triples[] = {
    {"x86_64-linux-gnu", "x86_64-unknown-linux-gnu", CG_ARCH_X86_64},
    {"x86_64-unknown-linux-gnu", "x86_64-unknown-linux-gnu", CG_ARCH_X86_64},
    {"x86_64-pc-linux-gnu", "x86_64-unknown-linux-gnu", CG_ARCH_X86_64},
    {"aarch64-linux-gnu", "aarch64-unknown-linux-gnu", CG_ARCH_AARCH64},
    {"aarch64-unknown-linux-gnu", "aarch64-unknown-linux-gnu", CG_ARCH_AARCH64},
    {"arm64-linux-gnu", "aarch64-unknown-linux-gnu", CG_ARCH_AARCH64},
};

kn_status cg_target_resolve(kn_ctx *kn, const char *name, const char **triple, cg_arch *arch) {
  for (size_t i = 0; i < sizeof triples / sizeof triples[0]; i++)
    if (!strcmp(name, triples[i].alias)) {
      *triple = triples[i].triple;
      *arch = triples[i].arch;
      return KN_OK;
    }
  return kn_fail(kn, KN_EUNSUPPORTED,
                 "unsupported target '%s': kiln builds for x86_64-linux-gnu and aarch64-linux-gnu (aliases "
                 "x86_64-unknown-linux-gnu, x86_64-pc-linux-gnu, aarch64-unknown-linux-gnu, arm64-linux-gnu)",
                 name);
}

const char *cg_target_name(int i) {
  return i >= 0 && i < (int)(sizeof triples / sizeof triples[0]) ? triples[i].alias : NULL;
}

cg_arch cg_arch_of_triple(const char *triple) {
  if (!strncmp(triple, "x86_64", 6)) return CG_ARCH_X86_64;
  if (!strncmp(triple, "aarch64", 7) || !strncmp(triple, "arm64", 5)) return CG_ARCH_AARCH64;
  return CG_ARCH_UNKNOWN;
}

const char *cg_arch_name(cg_arch a) {
  return a == CG_ARCH_X86_64 ? "x86_64" : a == CG_ARCH_AARCH64 ? "aarch64" : "unknown";
}

/* Vector register bytes of a named x86 CPU (the default when no +avx* feature
 * is given); aarch64 is NEON (16) throughout. */
static int x86_cpu_vector_bytes(const char *cpu) {
  static const char *const avx512[] = {"x86-64-v4",   "skylake-avx512", "cascadelake",    "cooperlake",
                                       "cannonlake",  "icelake-client", "icelake-server", "tigerlake",
                                       "rocketlake",  "sapphirerapids", "graniterapids",  "graniterapids-d",
                                       "emeraldrapids", "znver4",       "znver5",         "knl",
                                       "knm",         NULL};
  static const char *const avx[] = {"x86-64-v3", "sandybridge", "ivybridge", "haswell",   "broadwell",
                                    "skylake",   "alderlake",   "raptorlake", "meteorlake", "arrowlake",
                                    "lunarlake", "gracemont",   "znver1",    "znver2",    "znver3",
                                    "bdver1",    "bdver2",      "bdver3",    "bdver4",    "btver2",
                                    "corei7-avx", "core-avx-i", "core-avx2", NULL};
  for (int i = 0; avx512[i]; i++)
    if (!strcmp(cpu, avx512[i])) return 64;
  for (int i = 0; avx[i]; i++)
    if (!strcmp(cpu, avx[i])) return 32;
  return 16;
}

static int vector_bytes(cg_arch arch, const char *cpu, const char *features) {
  if (arch != CG_ARCH_X86_64) return 16;
  int w = x86_cpu_vector_bytes(cpu);
  if (has_feature(features, "+avx512f")) w = 64;
  else if (has_feature(features, "-avx512f") && w > 32) w = 32;
  if (w < 32 && (has_feature(features, "+avx") || has_feature(features, "+avx2"))) w = 32;
  if (has_feature(features, "-avx")) w = 16;
  return w;
}

/* Creates the target machine with LLVM's stderr captured; its "is not a
 * recognized processor/feature" warnings become the error. */
static kn_status create_checked(kn_ctx *kn, LLVMTargetRef target, const char *triple, const char *cpu,
                                const char *features, LLVMCodeGenOptLevel lvl, LLVMCodeModel cm,
                                LLVMTargetMachineRef *tm) {
  FILE *cap = tmpfile();
  int saved = -1;
  if (cap) {
    fflush(stderr);
    saved = dup(2);
    if (saved < 0 || dup2(fileno(cap), 2) < 0) {
      if (saved >= 0) close(saved);
      saved = -1;
    }
  }
  *tm = LLVMCreateTargetMachine(target, triple, cpu, features, lvl, LLVMRelocPIC, cm);
  char said[1024] = "";
  if (saved >= 0) {
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    rewind(cap);
    size_t n = fread(said, 1, sizeof said - 1, cap);
    said[n] = 0;
  }
  if (cap) fclose(cap);
  char *nl = strchr(said, '\n');
  if (nl) *nl = 0;
  if (!*tm) return kn_fail(kn, KN_EINTERNAL, "LLVM could not create a target machine for %s (%s)", triple, cpu);
  if (strstr(said, "not a recognized")) {
    LLVMDisposeTargetMachine(*tm);
    *tm = NULL;
    bool feat = strstr(said, "feature") != NULL;
    return kn_fail(kn, KN_EINVAL, "%s %s: %s (LLVM 19 lists them with `llc-19 -mtriple=%s -mcpu=help`)",
                   feat ? "--features" : "--cpu", feat ? features : cpu, said, triple);
  }
  if (said[0]) fprintf(stderr, "%s\n", said); /* anything else LLVM said, unchanged */
  return KN_OK;
}

static kn_status check_feature_syntax(kn_ctx *kn, const char *features) {
  const char *p = features;
  while (*p) {
    const char *e = strchr(p, ',');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    if (n < 2 || (p[0] != '+' && p[0] != '-'))
      return kn_fail(kn, KN_EINVAL, "--features '%s': each feature is +NAME or -NAME, separated by commas", features);
    p += n + (e ? 1 : 0);
  }
  return KN_OK;
}

kn_status cg_target_machine(kn_ctx *kn, const cg_options *opt, LLVMTargetMachineRef *tm, int *vec_bytes) {
  cg_llvm_init();
  *tm = NULL;
  char *host_triple = LLVMGetDefaultTargetTriple();
  char *host_cpu = LLVMGetHostCPUName(), *host_features = LLVMGetHostCPUFeatures();
  cg_arch host_arch = cg_arch_of_triple(host_triple), arch = host_arch;
  const char *triple = host_triple;
  kn_status st = KN_OK;
  if (opt && opt->target) st = cg_target_resolve(kn, opt->target, &triple, &arch);
  bool native = opt && opt->cpu && !strcmp(opt->cpu, "native");
  bool host_cpu_default = !(opt && opt->target) && !(opt && opt->cpu);
  const char *cpu, *features;
  if (native || host_cpu_default) {
    cpu = host_cpu;
    features = opt && opt->features ? opt->features : host_features;
    if (st == KN_OK && arch != host_arch)
      st = kn_fail(kn, KN_EINVAL, "--cpu native means this machine's %s CPU, but the target is %s (give --cpu NAME)",
                   cg_arch_name(host_arch), triple);
  } else {
    /* a named CPU (or a --target's baseline) brings its own features */
    cpu = opt && opt->cpu ? opt->cpu : arch == CG_ARCH_AARCH64 ? "generic" : "x86-64";
    features = opt && opt->features ? opt->features : "";
  }
  if (st == KN_OK) st = check_feature_syntax(kn, features);
  LLVMTargetRef target;
  char *err = NULL;
  if (st == KN_OK && LLVMGetTargetFromTriple(triple, &target, &err) != 0)
    st = kn_fail(kn, KN_EUNSUPPORTED, "LLVM has no target for %s: %s", triple, err ? err : "?");
  LLVMDisposeMessage(err);
  if (st == KN_OK) {
    LLVMCodeGenOptLevel lvl = !opt || opt->opt_level >= 3 ? LLVMCodeGenLevelAggressive
                              : opt->opt_level == 0       ? LLVMCodeGenLevelNone
                                                          : LLVMCodeGenLevelDefault;
    /* the JIT links in memory near kiln; an artifact is linked by the system linker */
    LLVMCodeModel cm = opt && opt->target ? LLVMCodeModelDefault : LLVMCodeModelJITDefault;
    st = create_checked(kn, target, triple, cpu, features, lvl, cm, tm);
    *vec_bytes = vector_bytes(arch, cpu, features);
  }
  LLVMDisposeMessage(host_triple);
  LLVMDisposeMessage(host_cpu);
  LLVMDisposeMessage(host_features);
  return st;
}

int cg_target_vec_bytes(const cg_options *opt) {
  LLVMTargetMachineRef tm = NULL;
  int vb = 16;
  if (cg_target_machine(NULL, opt, &tm, &vb) != KN_OK) return 16; /* the compile reports the error */
  LLVMDisposeTargetMachine(tm);
  return vb;
}
