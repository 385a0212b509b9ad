/* cg_target.c: the LLVM target machine kiln compiles for. The JIT targets the
 * host CPU by default (LLVMGetHostCPUName/Features); --cpu/--features pick
 * another x86-64/aarch64 CPU, and the ahead-of-time path (--target) another
 * triple. Only the triples kiln has kernel bitcode for are accepted.
 * LLVM accepts any CPU or feature name and only warns on stderr ("... is not a
 * recognized processor"), then silently compiles for a generic CPU. A typo in
 * --cpu must not quietly produce a slow or wrong artifact, so target machine
 * creation captures what LLVM prints and turns those warnings into errors.
 * Feature combinations LLVM accepts but then cannot compile (it aborts the
 * process) are normalized or refused before LLVM sees them (x86_features:
 * AVX-512 without its 512-bit registers).
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

/* The last mention of feature name in a "+a,-b" string: +1 enabled, -1
 * disabled, 0 not mentioned (LLVM applies them in order, the last wins). */
static int feature_state(const char *features, const char *name) {
  int st = 0;
  size_t n = strlen(name);
  for (const char *p = features; *p;) {
    size_t len = strcspn(p, ",");
    if (len == n + 1 && (p[0] == '+' || p[0] == '-') && !strncmp(p + 1, name, n)) st = p[0] == '+' ? 1 : -1;
    p += len + (p[len] == ',');
  }
  return st;
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

static bool in_list(const char *const *list, const char *s) {
  for (int i = 0; list[i]; i++)
    if (!strcmp(s, list[i])) return true;
  return false;
}

/* The x86 CPUs LLVM 19 knows with AVX-512 (all have its 512-bit registers,
 * the feature evex512; all but the Xeon Phis have AVX512VL). */
static const char *const avx512_cpus[] = {
    "x86-64-v4",      "skylake-avx512", "skylake_avx512", "skx",           "cascadelake",    "cooperlake",
    "cannonlake",     "icelake-client", "icelake_client", "icelake-server", "icelake_server", "tigerlake",
    "rocketlake",     "sapphirerapids", "emeraldrapids",  "graniterapids",  "graniterapids-d", "graniterapids_d",
    "znver4",         "znver5",         "knl",            "knm",            "mic_avx512",     NULL};
static const char *const no_vl_cpus[] = {"knl", "knm", "mic_avx512", NULL};

/* Whether AVX-512 (avx512f) and AVX512VL are on after the CPU's own features
 * and then the tokens of features in order: any +avx512... turns AVX-512 on
 * (each implies avx512f), and disabling avx512f or a feature it builds on
 * turns it off with everything that implies it. */
static void x86_avx512(const char *cpu, const char *features, bool *f, bool *vl) {
  static const char *const base[] = {"avx512f", "avx2", "avx",   "fma",    "f16c",   "sse",
                                     "sse2",    "sse3", "ssse3", "sse4.1", "sse4.2", NULL};
  *f = in_list(avx512_cpus, cpu);
  *vl = *f && !in_list(no_vl_cpus, cpu);
  for (const char *p = features; *p;) {
    size_t len = strcspn(p, ",");
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)(len > 0 ? len - 1 : 0), p + 1);
    if (p[0] == '+' && (!strncmp(name, "avx512", 6) || !strncmp(name, "avx10.", 6))) {
      *f = true;
      /* avx512fp16 and AVX10 imply AVX512VL */
      if (!strcmp(name, "avx512vl") || !strcmp(name, "avx512fp16") || !strncmp(name, "avx10.", 6)) *vl = true;
    } else if (p[0] == '-' && in_list(base, name)) {
      *f = *vl = false;
    } else if (p[0] == '-' && !strcmp(name, "avx512vl")) {
      *vl = false;
    }
    p += len + (p[len] == ',');
  }
}

/* Vector register bytes of a named x86 CPU (the default when no +avx* feature
 * is given); aarch64 is NEON (16) throughout. */
static int x86_cpu_vector_bytes(const char *cpu) {
  static const char *const avx[] = {"x86-64-v3", "sandybridge", "ivybridge", "haswell",   "broadwell",
                                    "skylake",   "alderlake",   "raptorlake", "meteorlake", "arrowlake",
                                    "lunarlake", "gracemont",   "znver1",    "znver2",    "znver3",
                                    "bdver1",    "bdver2",      "bdver3",    "bdver4",    "btver2",
                                    "corei7-avx", "core-avx-i", "core-avx2", NULL};
  if (in_list(avx512_cpus, cpu)) return 64;
  return in_list(avx, cpu) ? 32 : 16;
}

/* Whether the 512-bit registers are there, after normalization (x86_features):
 * said in features, else the CPU's own or AVX10's 512-bit form's. */
static bool x86_evex512(const char *cpu, const char *features) {
  int st = feature_state(features, "evex512");
  return st == 1 || (st == 0 && (in_list(avx512_cpus, cpu) || feature_state(features, "avx10.1-512") == 1 ||
                                 feature_state(features, "avx10.2-512") == 1));
}

/* features are normalized (x86_features) */
static int vector_bytes(cg_arch arch, const char *cpu, const char *features) {
  if (arch != CG_ARCH_X86_64) return 16;
  int w = x86_cpu_vector_bytes(cpu);
  bool avx512, vl;
  x86_avx512(cpu, features, &avx512, &vl);
  if (avx512) w = x86_evex512(cpu, features) ? 64 : 32; /* AVX-512 includes AVX2 */
  else if (w > 32) w = 32;
  if (w < 32 && (feature_state(features, "avx") == 1 || feature_state(features, "avx2") == 1)) w = 32;
  if (feature_state(features, "avx") == -1) w = 16;
  return w;
}

/* LLVM 19 splits AVX-512 from its 512-bit registers (the feature evex512, for
 * AVX10/256). A named CPU with AVX-512 has both, and LLVM adds evex512 for
 * the generic x86-64, but AVX-512 features added to any other CPU
 * (`--cpu x86-64-v3 --features +avx512f`) come without it: LLVM then aborts
 * the process in instruction selection ("Cannot select: v8f32 = vselect" on a
 * v8i1 mask without AVX512VL) or in the register info ("ZMM registers are not
 * supported without EVEX512"). As clang does for -mavx512f: an enabled
 * +avx512... feature brings +evex512 unless evex512 or AVX10 (whose -256
 * forms are AVX-512 limited to 256 bits) is mentioned. AVX-512 that still
 * lacks its 512-bit registers must have AVX512VL for the 256-bit forms, or
 * it is refused. *out is a new string (free it). */
static kn_status x86_features(kn_ctx *kn, const char *cpu, const char *features, char **out) {
  /* LLVM 19's x86 CPUs without 64-bit mode: it aborts ("64-bit code requested
   * on a subtarget that doesn't support it!") when it compiles for them */
  static const char *const cpus_32bit[] = {
      "i386",        "i486",       "i586",           "i686",        "pentium",     "pentium-mmx", "pentium_mmx",
      "pentiumpro",  "pentium_pro", "pentium2",      "pentium_ii",  "pentium3",    "pentium3m",   "pentium_iii",
      "pentium_iii_no_xmm_regs",   "pentium-m",      "pentium_m",   "pentium4",    "pentium4m",   "pentium_4",
      "pentium_4_sse3",            "prescott",       "yonah",       "lakemont",    "k6",          "k6-2",
      "k6-3",        "athlon",     "athlon-tbird",   "athlon-xp",   "athlon-mp",   "athlon-4",    "winchip-c6",
      "winchip2",    "c3",         "c3-2",           "geode",       NULL};
  *out = NULL;
  if (in_list(cpus_32bit, cpu))
    return kn_fail(kn, KN_EINVAL, "--cpu %s: a 32-bit x86 CPU; kiln compiles 64-bit code (x86_64) only", cpu);
  if (feature_state(features, "64bit") == -1)
    return kn_fail(kn, KN_EINVAL, "--features %s: kiln compiles 64-bit code (x86_64) only, not with -64bit", features);
  bool avx512, vl, any_avx512 = false, any_avx10 = false;
  x86_avx512(cpu, features, &avx512, &vl);
  for (const char *p = features; *p;) {
    size_t len = strcspn(p, ",");
    any_avx512 |= p[0] == '+' && !strncmp(p + 1, "avx512", 6);
    any_avx10 |= !strncmp(p + 1, "avx10.", 6);
    p += len + (p[len] == ',');
  }
  bool add = avx512 && any_avx512 && !any_avx10 && feature_state(features, "evex512") == 0 &&
             !in_list(avx512_cpus, cpu);
  *out = malloc(strlen(features) + sizeof ",+evex512");
  if (!*out) return kn_fail(kn, KN_ENOMEM, "out of memory");
  sprintf(*out, "%s%s%s", features, add && *features ? "," : "", add ? "+evex512" : "");
  if (avx512 && !vl && !x86_evex512(cpu, *out)) {
    free(*out);
    *out = NULL;
    return kn_fail(kn, KN_EINVAL,
                   "--cpu %s --features %s: AVX-512 without its 512-bit registers (evex512) needs AVX512VL for its "
                   "256-bit forms, and LLVM cannot compile this combination (add +avx512vl or +evex512)",
                   cpu, features);
  }
  return KN_OK;
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
  char *norm = NULL;
  if (st == KN_OK && arch == CG_ARCH_X86_64) {
    st = x86_features(kn, cpu, features, &norm);
    if (st == KN_OK) features = norm;
  }
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
  free(norm);
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
