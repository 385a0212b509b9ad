/* compile_cache.c: the JIT's compile cache, object files kept in
 * --cache-dir, $KILN_CACHE_DIR or ~/.cache/kiln. The key hashes the module's
 * IR exactly as kiln's lowering produced it (so any change to the model, its
 * shapes, the flags or kiln's own lowering and kernels changes it), plus the
 * target CPU, its features, the -O level and kiln's version. Lowering is
 * cheap; LLVM's optimization and code generation are what a hit saves. The
 * cache is best effort: an entry that cannot be read or written only costs
 * time, and entries are written under a temporary name and renamed, so a
 * reader never sees half an object. */
#include "cg_internal.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

uint64_t cg_fnv1a(uint64_t h, const void *data, size_t n) {
  const unsigned char *p = data;
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * CG_FNV_PRIME;
  return h;
}

static uint64_t hash_str(uint64_t h, const char *s) { return cg_fnv1a(h, s, strlen(s)); }

bool cg_cache_path(const cg_options *opt, LLVMModuleRef mod, LLVMTargetMachineRef tm, char *path, size_t n) {
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
  uint64_t h = hash_str(CG_FNV_OFFSET, ir);
  h = hash_str(h, cpu);
  h = hash_str(h, feat);
  char lvl[32];
  snprintf(lvl, sizeof lvl, "O%d/%s", opt->opt_level, KN_VERSION);
  h = hash_str(h, lvl);
  LLVMDisposeMessage(ir);
  LLVMDisposeMessage(cpu);
  LLVMDisposeMessage(feat);
  snprintf(path, n, "%s/kiln-%016llx.o", dir, (unsigned long long)h);
  return true;
}

LLVMMemoryBufferRef cg_cache_load(const char *path) {
  LLVMMemoryBufferRef buf = NULL;
  char *err = NULL;
  if (access(path, R_OK) != 0 || LLVMCreateMemoryBufferWithContentsOfFile(path, &buf, &err) != 0) buf = NULL;
  LLVMDisposeMessage(err);
  return buf;
}

void cg_cache_store(const char *path, LLVMMemoryBufferRef obj) {
  char tmp[4200];
  snprintf(tmp, sizeof tmp, "%.4000s.%ld.tmp", path, (long)getpid());
  FILE *f = fopen(tmp, "wb");
  if (!f) return;
  size_t n = LLVMGetBufferSize(obj);
  bool ok = fwrite(LLVMGetBufferStart(obj), 1, n, f) == n;
  ok &= fclose(f) == 0;
  if (!ok || rename(tmp, path) != 0) unlink(tmp);
}
