/* aot.c: `kiln compile`: a model built ahead of time for a target. The steps
 * are the JIT's (engine.c: specialize, place, lower, optimize) with three
 * differences: the target machine is the requested triple/CPU; no node may
 * call back into kiln's reference kernels (there is no kiln on the device),
 * so a node without a lowering is an error naming it; and instead of linking
 * in memory, the module gets the artifact's weights, metadata and typed entry
 * points (aot_module.c) and is written as an object, shared library (then
 * sealed: the hash of its loaded bytes goes into its metadata),
 * assembly or LLVM IR, next to NAME.h, the target's libkiln_rt.a, the weights
 * file if asked, and a README.txt with the exact link line. */
#include "aot.h"
#include "elf_image.h"
#include "kiln_rt.h"
#include <ctype.h>
#include <elf.h>
#include <stddef.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool is_identifier(const char *s) {
  if (!s || !*s || !(isalpha((unsigned char)*s) || *s == '_') || strlen(s) > 100) return false;
  for (; *s; s++)
    if (!isalnum((unsigned char)*s) && *s != '_') return false;
  return true;
}

static const char *const emit_ext[] = {"o", "so", "s", "ll"};

static kn_status write_readme(kn_ctx *kn, const cg_aot_options *o, const cg_aot_report *rep, const char *path) {
  FILE *f = fopen(path, "w");
  if (!f) return kn_fail(kn, KN_EIO, "cannot write %s", path);
  const char *N = o->name, *cc = rep->cc[0] ? rep->cc : "CC";
  fprintf(f, "%s: model %s built ahead of time by kiln %s\n", N, o->model ? o->model : "?", KN_VERSION);
  fprintf(f, "target %s, cpu %s, vector width %d bytes\n\n", rep->triple, rep->cpu, rep->vec_bytes);
  fprintf(f, "files\n");
  fprintf(f, "  %s.%s: the model (all kernels compiled in; no LLVM at run time)\n", N, emit_ext[o->emit]);
  fprintf(f, "  %s.h: its C interface (I/O names, dtypes, shapes, entry points)\n", N);
  if (o->weights_file)
    fprintf(f, "  %s.weights: the weights (%lld bytes), read by %s_ctx_new / %s_init\n", N,
            (long long)rep->weights_bytes, N, N);
  else fprintf(f, "  (the %lld bytes of weights are embedded in the model)\n", (long long)rep->weights_bytes);
  fprintf(f, "  kiln_rt.h: the runtime's API and the artifact ABI\n");
  if (!o->no_runtime) fprintf(f, "  libkiln_rt.a: the runtime (thread pool, workspace, weights), built with %s\n", cc);
  fprintf(f, "\nlink (from this folder; main.c includes \"%s.h\")\n", N);
  switch (o->emit) {
  case CG_EMIT_OBJ: fprintf(f, "  %s main.c %s.o -I. -L. -lkiln_rt -lpthread -lm -o app\n", cc, N); break;
  case CG_EMIT_SO:
    fprintf(f, "  %s main.c -I. ./%s.so -Wl,-rpath,'$ORIGIN' -o app\n", cc, N);
    fprintf(f, "  (%s.so contains the runtime; `kiln run %s.so` runs it on a host of its architecture)\n", N, N);
    break;
  case CG_EMIT_ASM:
    fprintf(f, "  %s -c %s.s -o %s.o && %s main.c %s.o -I. -L. -lkiln_rt -lpthread -lm -o app\n", cc, N, N, cc, N);
    break;
  case CG_EMIT_LLVM:
    fprintf(f, "  llc-19 -filetype=obj -relocation-model=pic %s.ll -o %s.o && %s main.c %s.o -I. -L. -lkiln_rt "
               "-lpthread -lm -o app\n", N, N, cc, N);
    break;
  }
  fprintf(f, "\ncall\n  int rc = %s_run(inputs..., outputs...);      /* 0 on success; kiln_rt_error() says why not */\n", N);
  fprintf(f, "  %s_ctx *ctx = %s_ctx_new(threads, %s); %s_run_ctx(ctx, ...); %s_ctx_free(ctx);\n", N, N,
          o->weights_file ? "\"PATH/NAME.weights\"" : "NULL", N, N);
  fprintf(f, "see docs/deploy.md in kiln's sources for a walk-through.\n");
  bool ok = fclose(f) == 0;
  return ok ? KN_OK : kn_fail(kn, KN_EIO, "writing %s failed", path);
}

/* Constants that are graph outputs are copied by the runtime: embed them too. */
static void mark_output_consts(cg_model *m) {
  for (int k = 0; k < m->g->noutputs; k++) {
    const cg_loc *l = &m->loc[m->g->outputs[k]];
    if (l->kind == CG_LOC_CONST) cg_note_const_use(m, l->index);
  }
}

static kn_status emit_module(kn_ctx *kn, LLVMModuleRef mod, LLVMTargetMachineRef tm, cg_emit emit, const char *path) {
  char *err = NULL;
  kn_status st = KN_OK;
  if (emit == CG_EMIT_LLVM) {
    if (LLVMPrintModuleToFile(mod, path, &err) != 0) st = kn_fail(kn, KN_EIO, "%s: %s", path, err ? err : "write failed");
  } else {
    LLVMCodeGenFileType ft = emit == CG_EMIT_ASM ? LLVMAssemblyFile : LLVMObjectFile;
    if (LLVMTargetMachineEmitToFile(tm, mod, (char *)path, ft, &err) != 0)
      st = kn_fail(kn, KN_EIO, "LLVM could not write %s: %s", path, err ? err : "?");
  }
  LLVMDisposeMessage(err);
  return st;
}

/* --emit so: the object, the custom-op libraries its Custom nodes name (a
 * shared one found again at run time through an rpath), libkiln_rt.a. */
static kn_status link_shared(kn_ctx *kn, cg_model *m, const cg_aot_options *o, cg_aot_report *rep, const char *obj) {
  int n = 0, cap = o->nlink_extra + 2 * m->ncustom + 1;
  const char **extra = calloc((size_t)cap, sizeof *extra);
  char (*rpath)[4200] = calloc((size_t)m->ncustom + 1, sizeof *rpath);
  if (!extra || !rpath) {
    free(extra), free(rpath);
    return kn_fail(kn, KN_ENOMEM, "out of memory");
  }
  for (int i = 0; i < o->nlink_extra; i++) extra[n++] = o->link_extra[i];
  for (int32_t i = 0; i < m->ncustom; i++) {
    const char *lib = m->custom[i].library;
    bool seen = !*lib;
    for (int k = 0; k < n && !seen; k++) seen = !strcmp(extra[k], lib);
    if (seen) continue;
    extra[n++] = lib;
    size_t len = strlen(lib);
    if (len > 3 && !strcmp(lib + len - 3, ".so")) {
      char dir[4096];
      if (!realpath(lib, dir)) snprintf(dir, sizeof dir, "%s", lib);
      char *slash = strrchr(dir, '/');
      if (slash) *slash = 0;
      snprintf(rpath[i], sizeof rpath[i], "-Wl,-rpath,%s", dir);
      extra[n++] = rpath[i];
    }
  }
  kn_status st = aot_link_shared(kn, rep->cc, obj, o->outdir, rep->artifact, extra, n);
  free(extra);
  free(rpath);
  return st;
}

/* --emit so, after linking: the hash of the library's loaded bytes into its
 * metadata's image_hash (kiln's loader recomputes it before dlopen). Reading
 * the library with the loader's own checks also proves it passes them. */
static kn_status seal_shared(kn_ctx *kn, const char *so, cg_arch arch) {
  kn_elf *e = NULL;
  KN_TRY(kn_elf_open(kn, so, arch == CG_ARCH_AARCH64 ? EM_AARCH64 : EM_X86_64, true, &e));
  kn_elf_sym s;
  uint64_t at = 0, h = 0;
  kn_status st = KN_OK;
  if (!kn_elf_lookup(e, "kiln_artifact_meta", &s) || !s.defined || s.size != sizeof(kiln_artifact_meta) ||
      !kn_elf_file_offset(e, s.value + offsetof(kiln_artifact_meta, image_hash), 8, &at))
    st = kn_fail(kn, KN_EINTERNAL, "%s: the linked library has no kiln_artifact_meta of this kiln's layout", so);
  if (st == KN_OK) st = kn_elf_image_hash(e, at, &h);
  if (h == 0) h = 1; /* 0 means "no hash" */
  if (st == KN_OK) st = kn_elf_write(e, at, &h, sizeof h);
  kn_elf_close(e);
  return st;
}

kn_status cg_aot_compile(kn_ctx *kn, ir_graph *g, const int *ranks, const int64_t (*dims)[KN_MAX_RANK],
                         const cg_aot_options *o, cg_aot_report *rep) {
  memset(rep, 0, sizeof *rep);
  if (!is_identifier(o->name)) {
    ir_graph_free(g);
    return kn_fail(kn, KN_EINVAL, "--name '%s' must be a C identifier (letters, digits, _; not starting with a digit)",
                   o->name ? o->name : "");
  }
  if (mkdir(o->outdir, 0777) != 0 && errno != EEXIST) {
    ir_graph_free(g);
    return kn_fail(kn, KN_EIO, "cannot create %s: %s", o->outdir, strerror(errno));
  }
  /* without --target: this machine's triple and CPU */
  cg_options co = o->cg;
  /* the thread count is chosen at run time (NAME_ctx_new), so per-item
   * scratch (lower_gemm_parallel.c) is sized for a parallel pool */
  co.threads = 2;
  char *host = NULL;
  if (!co.target) {
    host = LLVMGetDefaultTargetTriple();
    co.target = cg_arch_of_triple(host) == CG_ARCH_AARCH64 ? "aarch64-linux-gnu" : "x86_64-linux-gnu";
    if (!co.cpu) co.cpu = "native";
  }
  LLVMTargetMachineRef tm = NULL;
  kn_status st = cg_target_machine(kn, &co, &tm, &rep->vec_bytes);
  if (host) LLVMDisposeMessage(host);
  if (st != KN_OK) {
    ir_graph_free(g);
    return st;
  }
  cg_arch arch = CG_ARCH_UNKNOWN;
  cg_target_resolve(kn, co.target, &rep->triple, &arch);
  char *cpu = LLVMGetTargetMachineCPU(tm), *features = LLVMGetTargetMachineFeatureString(tm);
  snprintf(rep->cpu, sizeof rep->cpu, "%s", cpu);
  /* find the compiler before the long part, so a missing one fails fast */
  if (!o->no_runtime || o->emit == CG_EMIT_SO) st = aot_find_cc(kn, o, arch, rep->cc, sizeof rep->cc);
  cg_model *m = NULL;
  if (st == KN_OK) st = cg_prepare(kn, g, ranks, dims, &co, &m);
  else ir_graph_free(g);
  if (st == KN_OK && m->stats.whole_graph_ref)
    st = kn_fail(kn, KN_EUNSUPPORTED, "the model cannot be built ahead of time: %s (an artifact needs static shapes)",
                 m->stats.why_ref);
  double t0 = kn_now_ms();
  LLVMContextRef c = LLVMContextCreate();
  cg_diag diag;
  cg_diag_watch(c, &diag);
  LLVMModuleRef mod = NULL;
  aot_weights w = {0};
  const char *keep[8];
  int nkeep = 0;
  if (st == KN_OK) st = cg_module_build(m, &co, tm, rep->vec_bytes, true, c, &mod);
  if (st == KN_OK) {
    mark_output_consts(m);
    st = aot_layout_weights(m, &w);
  }
  if (st == KN_OK) st = aot_add_artifact(m, mod, o, tm, &w, keep, &nkeep);
  if (st == KN_OK) st = cg_module_finalize(kn, mod, tm, keep, nkeep);
  if (st == KN_OK) st = cg_module_optimize(kn, mod, tm, co.opt_level);
  rep->llvm_ms = kn_now_ms() - t0;
  char path[4200], obj[4200];
  snprintf(rep->artifact, sizeof rep->artifact, "%s/%s.%s", o->outdir, o->name, emit_ext[o->emit]);
  snprintf(obj, sizeof obj, "%s/%s.%s", o->outdir, o->name, o->emit == CG_EMIT_SO ? "so.o" : emit_ext[o->emit]);
  t0 = kn_now_ms();
  if (st == KN_OK) st = emit_module(kn, mod, tm, o->emit, obj);
  if (st == KN_OK && (st = cg_diag_check(kn, &diag, tm)) != KN_OK) unlink(obj); /* not a usable object */
  rep->emit_ms = kn_now_ms() - t0;
  if (mod) LLVMDisposeModule(mod);
  LLVMContextDispose(c);
  if (m) {
    rep->stats = m->stats;
    rep->stats.workspace_bytes = cg_workspace_bytes(m);
    rep->weights_bytes = w.bytes;
    rep->nweights = w.used;
  }
  if (st == KN_OK && o->weights_file) {
    snprintf(path, sizeof path, "%s/%s.weights", o->outdir, o->name);
    st = aot_write_weights(m, &w, path);
  }
  if (st == KN_OK) {
    snprintf(path, sizeof path, "%s/%s.h", o->outdir, o->name);
    st = aot_write_header(m, o, rep->triple, cpu, features, path);
  }
  t0 = kn_now_ms();
  if (st == KN_OK && !o->no_runtime) st = aot_build_runtime(kn, rep->cc, o->outdir);
  else if (st == KN_OK) st = aot_write_runtime_header(kn, o->outdir);
  if (st == KN_OK && o->emit == CG_EMIT_SO) {
    if (o->no_runtime) st = kn_fail(kn, KN_EINVAL, "--emit so links libkiln_rt.a into the library: drop --no-runtime");
    else st = link_shared(kn, m, o, rep, obj);
    unlink(obj);
    if (st == KN_OK) st = seal_shared(kn, rep->artifact, arch);
  }
  rep->runtime_ms = kn_now_ms() - t0;
  if (st == KN_OK) {
    snprintf(path, sizeof path, "%s/README.txt", o->outdir);
    st = write_readme(kn, o, rep, path);
  }
  free(w.offset);
  free(w.bytes_of);
  LLVMDisposeMessage(cpu);
  LLVMDisposeMessage(features);
  LLVMDisposeTargetMachine(tm);
  cg_model_free(m);
  return st;
}
