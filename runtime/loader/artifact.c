/* artifact.c: loads a model built ahead of time as a shared library (`kiln
 * compile --emit so`) so `kiln run`/`kiln bench` treat it like any model. The
 * checks go from the cheapest to the ones that need the file loaded: the ELF
 * header (an artifact for another architecture is refused before dlopen),
 * then the exported kiln_artifact_meta's magic, ABI version, architecture and
 * struct size (the first fields of every ABI version), and only then the
 * rest of the metadata. The typed entry point NAME_run_ctx(ctx, in..., out...)
 * has an arity and parameter list that are known only from the metadata, so
 * it is called through libffi (a call interface prepared once per artifact).
 * The I/O names and types become a graph of inputs and outputs without nodes,
 * which is all the CLI reads of a model. */
#include "loader.h"
#include "kiln_rt.h"
#include <dlfcn.h>
#include <ffi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* kiln_rt.h (the LLVM-free runtime's public header) repeats kiln.h's status
 * and dtype numbers so an artifact needs nothing else; the loader passes them
 * across unchanged, so they must stay equal. */
_Static_assert((int)KILN_OK == (int)KN_OK && (int)KILN_EINVAL == (int)KN_EINVAL &&
                   (int)KILN_EUNSUPPORTED == (int)KN_EUNSUPPORTED && (int)KILN_ENOMEM == (int)KN_ENOMEM &&
                   (int)KILN_EIO == (int)KN_EIO && (int)KILN_EINTERNAL == (int)KN_EINTERNAL,
               "kiln_rt.h's status codes are kiln.h's");
_Static_assert((int)KILN_FLOAT == (int)KN_F32 && (int)KILN_UINT8 == (int)KN_U8 && (int)KILN_INT8 == (int)KN_I8 &&
                   (int)KILN_UINT16 == (int)KN_U16 && (int)KILN_INT16 == (int)KN_I16 &&
                   (int)KILN_INT32 == (int)KN_I32 && (int)KILN_INT64 == (int)KN_I64 && (int)KILN_BOOL == (int)KN_BOOL &&
                   (int)KILN_FLOAT16 == (int)KN_F16 && (int)KILN_DOUBLE == (int)KN_F64 &&
                   (int)KILN_UINT32 == (int)KN_U32 && (int)KILN_UINT64 == (int)KN_U64 &&
                   (int)KILN_BFLOAT16 == (int)KN_BF16,
               "kiln_rt.h's dtype codes are kiln.h's");


struct kn_artifact {
  kn_ctx *kn;
  void *dl;
  const kiln_artifact_meta *meta;
  ir_graph *view;
  kiln_rt_ctx *ctx;
  void (*ctx_free)(kiln_rt_ctx *);
  const char *(*error)(void);
  void (*run_ctx)(void);
  ffi_cif cif;
  ffi_type **types;
  void **io, **args; /* io: the pointers; args: pointers to them, as libffi wants */
};

bool kn_is_artifact_path(const char *path) {
  size_t n = strlen(path);
  return (n > 3 && !strcmp(path + n - 3, ".so")) || strstr(path, ".so.") != NULL;
}

static const char *machine_name(unsigned m) {
  return m == 62 ? "x86_64" : m == 183 ? "aarch64" : m == 40 ? "arm" : m == 243 ? "riscv" : "another architecture";
}

/* The ELF header: a 64-bit little-endian shared object for this machine. */
static kn_status check_elf(kn_ctx *kn, const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return kn_fail(kn, KN_EIO, "%s: cannot open", path);
  unsigned char h[64];
  size_t n = fread(h, 1, sizeof h, f);
  fclose(f);
  if (n < 20 || memcmp(h, "\x7f" "ELF", 4) != 0) return kn_fail(kn, KN_EPARSE, "%s: not an ELF shared library", path);
  unsigned machine = h[18] | (unsigned)h[19] << 8;
#if defined(__x86_64__)
  const unsigned here = 62;
#elif defined(__aarch64__)
  const unsigned here = 183;
#else
  const unsigned here = 0;
#endif
  if (h[4] != 2 || h[5] != 1 || machine != here)
    return kn_fail(kn, KN_EUNSUPPORTED, "%s was built for %s, this machine is %s: run it there (kiln compile --target)",
                   path, h[4] != 2 ? "a 32-bit target" : machine_name(machine), machine_name(here));
  return KN_OK;
}

static kn_status check_meta(kn_ctx *kn, const char *path, const kiln_artifact_meta *m) {
  if (m->magic != KILN_ARTIFACT_MAGIC) return kn_fail(kn, KN_EPARSE, "%s: kiln_artifact_meta has a bad magic", path);
  if (m->abi_version != KILN_ABI_VERSION)
    return kn_fail(kn, KN_EUNSUPPORTED, "%s was built for kiln ABI version %u; this kiln has %u: compile it again",
                   path, m->abi_version, KILN_ABI_VERSION);
#if defined(__x86_64__)
  const uint32_t arch = KILN_ARCH_X86_64;
#else
  const uint32_t arch = KILN_ARCH_AARCH64;
#endif
  if (m->arch != arch) return kn_fail(kn, KN_EUNSUPPORTED, "%s: its metadata names another architecture", path);
  if (m->struct_bytes != sizeof *m)
    return kn_fail(kn, KN_EUNSUPPORTED, "%s: its metadata is %llu bytes, this kiln's %zu", path,
                   (unsigned long long)m->struct_bytes, sizeof *m);
  if (m->ninputs < 0 || m->noutputs < 0 || m->ninputs + m->noutputs > 4096)
    return kn_fail(kn, KN_EPARSE, "%s: implausible I/O counts", path);
  for (int i = 0; i < m->ninputs + m->noutputs; i++) {
    const kiln_io_info *t = i < m->ninputs ? &m->inputs[i] : &m->outputs[i - m->ninputs];
    if (t->rank < 0 || t->rank > KN_MAX_RANK || !kn_dtype_size(t->dtype))
      return kn_fail(kn, KN_EUNSUPPORTED, "%s: I/O '%s' has a rank or dtype kiln does not know", path, t->name);
    if (i < m->ninputs && t->src_kind != KILN_SRC_CODE &&
        (t->src_kind != KILN_SRC_CONST || t->src_index < 0 || t->src_index >= m->nconsts))
      return kn_fail(kn, KN_EPARSE, "%s: input '%s' names a bad constant for its value", path, t->name);
  }
  return KN_OK;
}

static kn_status build_view(kn_artifact *a) {
  const kiln_artifact_meta *m = a->meta;
  a->view = ir_graph_new(a->kn, m->name);
  if (!a->view) return kn_fail(a->kn, KN_ENOMEM, "out of memory");
  for (int i = 0; i < m->ninputs + m->noutputs; i++) {
    bool in = i < m->ninputs;
    const kiln_io_info *t = in ? &m->inputs[i] : &m->outputs[i - m->ninputs];
    ir_type ty = {.dtype = t->dtype, .rank = t->rank};
    memcpy(ty.dims, t->dims, sizeof(int64_t) * (size_t)t->rank);
    /* an output that is also an input (or listed twice) has one value */
    ir_id v = in ? IR_NONE : ir_value_find(a->view, t->name);
    if (v == IR_NONE) v = ir_value_new(a->view, t->name, &ty);
    if (v == IR_NONE) return kn_fail(a->kn, KN_ENOMEM, "out of memory");
    kn_status st = in ? ir_graph_add_input(a->view, v) : ir_graph_add_output(a->view, v);
    if (st != KN_OK) return st;
  }
  return KN_OK;
}

static void *need_sym(kn_artifact *a, const char *path, const char *name, kn_status *st) {
  void *p = *st == KN_OK ? dlsym(a->dl, name) : NULL;
  if (*st == KN_OK && !p) *st = kn_fail(a->kn, KN_EPARSE, "%s: the entry point %s is missing", path, name);
  return p;
}

kn_status kn_artifact_open(kn_ctx *kn, const char *path, int threads, kn_artifact **out) {
  *out = NULL;
  KN_TRY(check_elf(kn, path));
  kn_artifact *a = calloc(1, sizeof *a);
  if (!a) return kn_fail(kn, KN_ENOMEM, "out of memory");
  a->kn = kn;
  kn_status st = KN_OK;
  /* dlopen needs a path with a slash to not search the library path */
  char local[4200];
  snprintf(local, sizeof local, "%s%s", strchr(path, '/') ? "" : "./", path);
  a->dl = dlopen(local, RTLD_NOW | RTLD_LOCAL);
  if (!a->dl) st = kn_fail(kn, KN_EIO, "cannot load %s: %s", path, dlerror());
  if (st == KN_OK && !(a->meta = dlsym(a->dl, "kiln_artifact_meta")))
    st = kn_fail(kn, KN_EPARSE, "%s is not a kiln artifact (no kiln_artifact_meta): build it with kiln compile --emit so",
                 path);
  if (st == KN_OK) st = check_meta(kn, path, a->meta);
  if (st == KN_OK) st = build_view(a);
  const kiln_artifact_meta *m = a->meta;
  kiln_rt_ctx *(*ctx_new)(int, const char *) = NULL;
  if (st == KN_OK) {
    *(void **)&ctx_new = need_sym(a, path, m->sym_ctx_new, &st);
    *(void **)&a->ctx_free = need_sym(a, path, m->sym_ctx_free, &st);
    *(void **)&a->error = need_sym(a, path, m->sym_error, &st);
    *(void **)&a->run_ctx = need_sym(a, path, m->sym_run_ctx, &st);
  }
  /* the weights file, when not embedded, is NAME.weights next to the library */
  char weights[4300] = "";
  if (st == KN_OK && m->weights_in_file) {
    const char *slash = strrchr(path, '/');
    snprintf(weights, sizeof weights, "%.*s%s.weights", slash ? (int)(slash - path + 1) : 0, path, m->name);
  }
  if (st == KN_OK && !(a->ctx = ctx_new(threads, weights[0] ? weights : NULL)))
    st = kn_fail(kn, KN_EIO, "%s: %s", path, a->error());
  /* int NAME_run_ctx(ctx, in..., out...): every parameter a pointer */
  int np = st == KN_OK ? 1 + m->ninputs + m->noutputs : 0;
  if (st == KN_OK) {
    a->types = calloc((size_t)np, sizeof *a->types);
    a->io = calloc((size_t)np, sizeof *a->io);
    a->args = calloc((size_t)np, sizeof *a->args);
    if (!a->types || !a->io || !a->args) st = kn_fail(kn, KN_ENOMEM, "out of memory");
  }
  for (int i = 0; st == KN_OK && i < np; i++) {
    a->types[i] = &ffi_type_pointer;
    a->args[i] = &a->io[i];
  }
  if (st == KN_OK && ffi_prep_cif(&a->cif, FFI_DEFAULT_ABI, (unsigned)np, &ffi_type_sint32, a->types) != FFI_OK)
    st = kn_fail(kn, KN_EINTERNAL, "libffi cannot prepare a call with %d pointer arguments", np);
  if (st != KN_OK) {
    kn_artifact_close(a);
    return st;
  }
  *out = a;
  return KN_OK;
}

const ir_graph *kn_artifact_graph(const kn_artifact *a) { return a->view; }
const char *kn_artifact_target(const kn_artifact *a) { return a->meta->target; }
int64_t kn_artifact_macs(const kn_artifact *a) { return a->meta->macs; }

kn_status kn_artifact_run(kn_artifact *a, const kn_tensor *in, int nin, kn_tensor *out, int nout) {
  const kiln_artifact_meta *m = a->meta;
  for (int k = 0; k < nout; k++) memset(&out[k], 0, sizeof out[k]);
  if (nin != m->ninputs || nout != m->noutputs)
    return kn_fail(a->kn, KN_EINVAL, "the model takes %d inputs and %d outputs, got %d and %d", m->ninputs, m->noutputs,
                   nin, nout);
  kn_status st = KN_OK;
  a->io[0] = a->ctx;
  for (int i = 0; st == KN_OK && i < nin; i++) {
    const kiln_io_info *t = &m->inputs[i];
    bool same = in[i].dtype == t->dtype && in[i].rank == t->rank;
    for (int d = 0; same && d < t->rank; d++) same = in[i].dims[d] == t->dims[d];
    if (!same) {
      st = kn_fail(a->kn, KN_ESHAPE, "input '%s' does not have the dtype and shape the artifact was built for", t->name);
      break;
    }
    a->io[1 + i] = in[i].data;
  }
  for (int k = 0; st == KN_OK && k < nout; k++) {
    st = kn_tensor_alloc(a->kn, &out[k], m->outputs[k].dtype, m->outputs[k].rank, m->outputs[k].dims);
    a->io[1 + nin + k] = out[k].data;
  }
  if (st == KN_OK) {
    ffi_arg r = 0;
    ffi_call(&a->cif, a->run_ctx, &r, a->args);
    if ((int32_t)r != 0) st = kn_fail(a->kn, (kn_status)(int32_t)r, "%s", a->error());
  }
  if (st != KN_OK)
    for (int k = 0; k < nout; k++) kn_tensor_free(&out[k]);
  return st;
}

void kn_artifact_close(kn_artifact *a) {
  if (!a) return;
  if (a->ctx && a->ctx_free) a->ctx_free(a->ctx);
  ir_graph_free(a->view);
  free(a->types);
  free(a->io);
  free(a->args);
  if (a->dl) dlclose(a->dl);
  free(a);
}
