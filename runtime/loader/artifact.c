/* artifact.c: loads a model built ahead of time as a shared library (`kiln
 * compile --emit so`) so `kiln run`/`kiln bench` treat it like any model.
 * dlopen runs a library's constructors and trusts its structure, so nothing
 * is loaded before the file has been read and checked on its own
 * (elf_image.c): the ELF structure; the exported kiln_artifact_meta's magic,
 * ABI version, architecture and struct size (the first fields of every ABI
 * version), then everything it points to, read from the file with the
 * library's relocations applied: strings, I/O descriptions and their element
 * counts, the constants' layout, the entry point and the exported functions;
 * last the hash kiln compile wrote over the library's loaded bytes, so a
 * damaged file (truncated, flipped bytes) or one that is not a kiln
 * artifact is refused with a message before any of its code runs. After
 * dlopen the metadata in memory must be the one that was checked. The typed
 * entry point NAME_run_ctx(ctx, in..., out...) has an arity and parameter
 * list that are known only from the metadata, so it is called through libffi
 * (a call interface prepared once per artifact). The I/O names and types
 * become a graph of inputs and outputs without nodes, which is all the CLI
 * reads of a model. */
#include "loader.h"
#include "elf_image.h"
#include "kiln_rt.h"
#include <dlfcn.h>
#include <elf.h>
#include <ffi.h>
#include <stdarg.h>
#include <stddef.h>
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

/* ---- the metadata, read from the file before dlopen ---- */
/* kiln_artifact_meta's pointer fields, in one list so that they are all
 * read through the relocations and all compared after loading */
enum {
  P_NAME, P_VERSION, P_TARGET, P_CPU, P_FEATURES, P_INPUTS, P_OUTPUTS, P_CONSTS, P_OFFSETS, P_ENTRY, P_DEFAULT_CTX,
  P_SYM, /* six: sym_run ... sym_error */
  P_CUSTOM = P_SYM + 6, P_SIZES, NPTR
};
static const size_t ptr_off[NPTR] = {
    offsetof(kiln_artifact_meta, name), offsetof(kiln_artifact_meta, kiln_version),
    offsetof(kiln_artifact_meta, target), offsetof(kiln_artifact_meta, cpu), offsetof(kiln_artifact_meta, features),
    offsetof(kiln_artifact_meta, inputs), offsetof(kiln_artifact_meta, outputs),
    offsetof(kiln_artifact_meta, consts), offsetof(kiln_artifact_meta, const_offsets),
    offsetof(kiln_artifact_meta, entry), offsetof(kiln_artifact_meta, default_ctx),
    offsetof(kiln_artifact_meta, sym_run), offsetof(kiln_artifact_meta, sym_run_ctx),
    offsetof(kiln_artifact_meta, sym_ctx_new), offsetof(kiln_artifact_meta, sym_ctx_free),
    offsetof(kiln_artifact_meta, sym_init), offsetof(kiln_artifact_meta, sym_error),
    offsetof(kiln_artifact_meta, custom_symbols), offsetof(kiln_artifact_meta, const_bytes)};
static const char *const ptr_name[NPTR] = {"name", "kiln_version", "target", "cpu", "features", "inputs", "outputs",
                                           "consts", "const_offsets", "entry", "default_ctx", "sym_run",
                                           "sym_run_ctx", "sym_ctx_new", "sym_ctx_free", "sym_init", "sym_error",
                                           "custom_symbols", "const_bytes"};
_Static_assert(sizeof(void *) == 8, "the loader reads 64-bit libraries for a 64-bit host");

#define MAX_IO 4096
#define MAX_CONSTS (1 << 24)
#define MAX_BYTES ((int64_t)1 << 48)

typedef struct checked {
  kn_ctx *kn;
  kn_elf *e;
  const char *path;
  uint64_t at;          /* kiln_artifact_meta's address (load base 0) */
  kiln_artifact_meta m; /* its bytes in the file (pointer fields as stored, unused) */
  uint64_t p[NPTR];     /* its pointer fields after loading */
  int nio;
  kiln_io_info *io;     /* inputs then outputs, as in the file */
  uint64_t *io_name, *io_dims;
  int64_t *offs, *sizes;
  uint64_t *cptr;       /* embedded constants' addresses */
} checked;

static void checked_free(checked *c) {
  kn_elf_close(c->e);
  free(c->io), free(c->io_name), free(c->io_dims);
  free(c->offs), free(c->sizes), free(c->cptr);
  memset(c, 0, sizeof *c);
}

static kn_status damaged(checked *c, const char *fmt, ...) KN_PRINTF(2, 3);
static kn_status damaged(checked *c, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return kn_fail(c->kn, KN_EPARSE, "%s: its kiln_artifact_meta is damaged: %s", c->path, msg);
}

static bool is_identifier(const char *s) {
  if (!*s || (*s >= '0' && *s <= '9')) return false;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_'))
      return false;
  return true;
}

/* The string a pointer field (already read) points to. */
static kn_status get_string(checked *c, uint64_t vaddr, char *buf, size_t cap, const char *what) {
  if (!vaddr) return damaged(c, "%s is NULL", what);
  char w[256];
  snprintf(w, sizeof w, "kiln_artifact_meta's %s", what);
  return kn_elf_string(c->e, vaddr, buf, cap, w);
}

/* Reads an int64 array of n elements at vaddr into a new buffer. */
static kn_status get_i64s(checked *c, uint64_t vaddr, int64_t n, int64_t **out, const char *what) {
  *out = malloc(sizeof **out * (size_t)(n > 0 ? n : 1));
  if (!*out) return kn_fail(c->kn, KN_ENOMEM, "out of memory");
  if (n == 0) return KN_OK;
  if (!vaddr) return damaged(c, "%s is NULL", what);
  char w[160];
  snprintf(w, sizeof w, "kiln_artifact_meta's %s", what);
  return kn_elf_read(c->e, vaddr, *out, sizeof **out * (size_t)n, w);
}

/* The first fields, which never move: another ABI or architecture is named
 * as such, before anything else of the struct is read. */
static kn_status check_abi(checked *c, const kn_elf_sym *s) {
  if (s->size < 24 || s->type != STT_OBJECT)
    return kn_fail(c->kn, KN_EPARSE, "%s: kiln_artifact_meta is not a data object of the metadata's size", c->path);
  KN_TRY(kn_elf_read(c->e, c->at, &c->m, 24, "kiln_artifact_meta"));
  const kiln_artifact_meta *m = &c->m;
  if (m->magic != KILN_ARTIFACT_MAGIC) return kn_fail(c->kn, KN_EPARSE, "%s: kiln_artifact_meta has a bad magic", c->path);
  if (m->abi_version != KILN_ABI_VERSION)
    return kn_fail(c->kn, KN_EUNSUPPORTED, "%s was built for kiln ABI version %u; this kiln has %u: compile it again",
                   c->path, m->abi_version, KILN_ABI_VERSION);
#if defined(__x86_64__)
  const uint32_t arch = KILN_ARCH_X86_64;
#else
  const uint32_t arch = KILN_ARCH_AARCH64;
#endif
  if (m->arch != arch) return kn_fail(c->kn, KN_EUNSUPPORTED, "%s: its metadata names another architecture", c->path);
  if (m->struct_bytes != sizeof *m || s->size != sizeof *m)
    return kn_fail(c->kn, KN_EUNSUPPORTED, "%s: its metadata is %llu bytes, this kiln's %zu", c->path,
                   (unsigned long long)m->struct_bytes, sizeof *m);
  KN_TRY(kn_elf_read(c->e, c->at, &c->m, sizeof c->m, "kiln_artifact_meta"));
  for (int k = 0; k < NPTR; k++) {
    char w[160];
    snprintf(w, sizeof w, "kiln_artifact_meta's %s", ptr_name[k]);
    KN_TRY(kn_elf_pointer(c->e, c->at + ptr_off[k], &c->p[k], w));
  }
  return KN_OK;
}

/* The constants: offsets and sizes in the weights data, in order, inside it;
 * embedded ones each a pointer to that many bytes of the file. */
static kn_status check_consts(checked *c) {
  const kiln_artifact_meta *m = &c->m;
  if (m->nconsts < 0 || m->nconsts > MAX_CONSTS) return damaged(c, "%d constants", m->nconsts);
  if (m->weights_in_file != 0 && m->weights_in_file != 1)
    return damaged(c, "weights_in_file is %d, not 0 or 1", m->weights_in_file);
  if (m->weights_bytes < 0 || m->weights_bytes > MAX_BYTES)
    return damaged(c, "%lld bytes of weights", (long long)m->weights_bytes);
  if (m->workspace_bytes < 0 || m->workspace_bytes > MAX_BYTES)
    return damaged(c, "a workspace of %lld bytes", (long long)m->workspace_bytes);
  if (m->macs < 0) return damaged(c, "a negative multiply-accumulate count");
  int32_t n = m->nconsts;
  KN_TRY(get_i64s(c, c->p[P_OFFSETS], n, &c->offs, "const_offsets"));
  KN_TRY(get_i64s(c, c->p[P_SIZES], n, &c->sizes, "const_bytes"));
  if (!(c->cptr = calloc((size_t)n + 1, sizeof *c->cptr))) return kn_fail(c->kn, KN_ENOMEM, "out of memory");
  if (m->weights_in_file && c->p[P_CONSTS]) return damaged(c, "a table of embedded constants and a weights file");
  if (!m->weights_in_file && n > 0 && !c->p[P_CONSTS]) return damaged(c, "no table of its %d constants", n);
  int64_t at = 0;
  for (int32_t i = 0; i < n; i++) {
    int64_t off = c->offs[i], bytes = c->sizes[i];
    if (!m->weights_in_file) {
      char w[160];
      snprintf(w, sizeof w, "kiln_artifact_meta's constant %d", i);
      KN_TRY(kn_elf_pointer(c->e, c->p[P_CONSTS] + 8 * (uint64_t)i, &c->cptr[i], w));
    }
    if (off == -1 && bytes == 0 && !c->cptr[i]) continue; /* unused */
    if (off < at || bytes <= 0 || off > m->weights_bytes || bytes > m->weights_bytes - off)
      return damaged(c, "constant %d (%lld bytes at offset %lld) is outside its %lld bytes of weights or overlaps "
                        "another", i, (long long)bytes, (long long)off, (long long)m->weights_bytes);
    uint64_t foff;
    if (!m->weights_in_file && !kn_elf_file_offset(c->e, c->cptr[i], (uint64_t)bytes, &foff))
      return damaged(c, "embedded constant %d (%lld bytes) is not in the file", i, (long long)bytes);
    at = off + bytes;
  }
  return KN_OK;
}

/* One I/O description: its name, a known dtype, a rank kiln supports, dims
 * that are not negative and whose product is its element count, and the
 * byte count that makes. */
static kn_status check_io(checked *c, int i) {
  const kiln_artifact_meta *m = &c->m;
  bool in = i < m->ninputs;
  int k = in ? i : i - m->ninputs;
  uint64_t at = c->p[in ? P_INPUTS : P_OUTPUTS] + (uint64_t)k * sizeof(kiln_io_info);
  char w[160], name[1024];
  snprintf(w, sizeof w, "kiln_artifact_meta's %s %d", in ? "input" : "output", k);
  KN_TRY(kn_elf_read(c->e, at, &c->io[i], sizeof c->io[i], w));
  KN_TRY(kn_elf_pointer(c->e, at + offsetof(kiln_io_info, name), &c->io_name[i], w));
  KN_TRY(kn_elf_pointer(c->e, at + offsetof(kiln_io_info, dims), &c->io_dims[i], w));
  KN_TRY(get_string(c, c->io_name[i], name, sizeof name, w));
  const kiln_io_info *t = &c->io[i];
  size_t esize = kn_dtype_size(t->dtype);
  if (t->rank < 0 || t->rank > KN_MAX_RANK || !esize)
    return kn_fail(c->kn, KN_EUNSUPPORTED, "%s: %s '%s' has a rank (%d) or dtype (%d) kiln does not know", c->path,
                   in ? "input" : "output", name, t->rank, t->dtype);
  int64_t dims[KN_MAX_RANK], numel = 1;
  if (t->rank > 0) {
    if (!c->io_dims[i]) return damaged(c, "%s '%s' has no dims", in ? "input" : "output", name);
    char wd[200];
    snprintf(wd, sizeof wd, "the dims of %s '%.160s'", in ? "input" : "output", name);
    KN_TRY(kn_elf_read(c->e, c->io_dims[i], dims, sizeof(int64_t) * (size_t)t->rank, wd));
  }
  for (int d = 0; d < t->rank; d++)
    if (dims[d] < 0 || __builtin_mul_overflow(numel, dims[d], &numel) || numel > MAX_BYTES)
      return damaged(c, "%s '%s' has a negative or huge dimension", in ? "input" : "output", name);
  int64_t nbytes;
  if (t->numel != numel || __builtin_mul_overflow(numel, (int64_t)esize, &nbytes) || t->nbytes != nbytes)
    return damaged(c, "%s '%s' says %lld elements and %lld bytes, its shape makes %lld elements of %zu bytes",
                   in ? "input" : "output", name, (long long)t->numel, (long long)t->nbytes, (long long)numel, esize);
  return KN_OK;
}

/* Where each output's bytes come from (and the value an input was
 * specialized to): a constant, another input or output, in range (the
 * runtime indexes its table even for an empty value) and at least as large. */
static kn_status check_sources(checked *c) {
  const kiln_artifact_meta *m = &c->m;
  for (int i = 0; i < c->nio; i++) {
    const kiln_io_info *t = &c->io[i];
    bool in = i < m->ninputs, ok;
    int x = t->src_index;
    switch (t->src_kind) {
    case KILN_SRC_CODE: ok = true; break;
    case KILN_SRC_CONST: ok = x >= 0 && x < m->nconsts && (t->nbytes == 0 || c->sizes[x] >= t->nbytes); break;
    case KILN_SRC_INPUT: ok = !in && x >= 0 && x < m->ninputs && c->io[x].nbytes >= t->nbytes; break;
    case KILN_SRC_OUTPUT: ok = !in && x >= 0 && x < m->noutputs && c->io[m->ninputs + x].nbytes >= t->nbytes; break;
    case KILN_SRC_NONE: ok = !in; break;
    default: ok = false; break;
    }
    if (!ok)
      return damaged(c, "%s %d takes its value from source kind %d index %d, which does not exist or is smaller",
                     in ? "input" : "output", in ? i : i - m->ninputs, t->src_kind, x);
  }
  return KN_OK;
}

/* A function the loader calls by name: exported, defined, in code. */
static kn_status check_function(checked *c, int k, kn_elf_sym *out) {
  char sym[256];
  KN_TRY(get_string(c, c->p[P_SYM + k], sym, sizeof sym, ptr_name[P_SYM + k]));
  if (!is_identifier(sym)) return damaged(c, "%s is not a C identifier", ptr_name[P_SYM + k]);
  if (!kn_elf_lookup(c->e, sym, out) || !out->defined || out->type != STT_FUNC ||
      !kn_elf_mapped(c->e, out->value, out->size ? out->size : 1, KN_ELF_X))
    return kn_fail(c->kn, KN_EPARSE, "%s: the entry point %s is missing (not an exported function in its code)",
                   c->path, sym);
  return KN_OK;
}

static kn_status check_meta(checked *c, uint64_t fn[6]) {
  const kiln_artifact_meta *m = &c->m;
  char name[160], s[4096];
  KN_TRY(get_string(c, c->p[P_NAME], name, sizeof name, "name"));
  if (!is_identifier(name)) return damaged(c, "its name is not a C identifier");
  for (int k = P_VERSION; k <= P_FEATURES; k++) KN_TRY(get_string(c, c->p[k], s, sizeof s, ptr_name[k]));
  if (m->ninputs < 0 || m->noutputs < 0 || m->ninputs > MAX_IO - m->noutputs)
    return kn_fail(c->kn, KN_EPARSE, "%s: implausible I/O counts (%d inputs, %d outputs)", c->path, m->ninputs,
                   m->noutputs);
  KN_TRY(check_consts(c));
  c->nio = m->ninputs + m->noutputs;
  c->io = calloc((size_t)c->nio + 1, sizeof *c->io);
  c->io_name = calloc((size_t)c->nio + 1, sizeof *c->io_name);
  c->io_dims = calloc((size_t)c->nio + 1, sizeof *c->io_dims);
  if (!c->io || !c->io_name || !c->io_dims) return kn_fail(c->kn, KN_ENOMEM, "out of memory");
  if ((m->ninputs > 0 && !c->p[P_INPUTS]) || (m->noutputs > 0 && !c->p[P_OUTPUTS]))
    return damaged(c, "its inputs or outputs are NULL");
  for (int i = 0; i < c->nio; i++) KN_TRY(check_io(c, i));
  KN_TRY(check_sources(c));
  if (!c->p[P_ENTRY] || !kn_elf_mapped(c->e, c->p[P_ENTRY], 1, KN_ELF_X))
    return damaged(c, "its entry point is %s", c->p[P_ENTRY] ? "not in its code" : "NULL");
  if (!c->p[P_DEFAULT_CTX] || !kn_elf_mapped(c->e, c->p[P_DEFAULT_CTX], 8, KN_ELF_W))
    return damaged(c, "its default context is not in writable memory");
  for (int k = 0; k < 6; k++) {
    kn_elf_sym f;
    KN_TRY(check_function(c, k, &f));
    fn[k] = f.value;
  }
  if (m->ncustom < 0 || m->ncustom > 64) return damaged(c, "%d custom-op functions", m->ncustom);
  if (m->ncustom > 0 && !c->p[P_CUSTOM]) return damaged(c, "custom_symbols is NULL");
  for (int i = 0; i < m->ncustom; i++) {
    uint64_t v;
    KN_TRY(kn_elf_pointer(c->e, c->p[P_CUSTOM] + 8 * (uint64_t)i, &v, "kiln_artifact_meta's custom_symbols"));
    KN_TRY(get_string(c, v, s, sizeof s, "custom_symbols"));
  }
  return KN_OK;
}

/* The whole check before dlopen; fn receives the entry points' addresses. */
static kn_status check_file(kn_ctx *kn, const char *path, checked *c, uint64_t fn[6]) {
  memset(c, 0, sizeof *c);
  c->kn = kn;
  c->path = path;
  KN_TRY(kn_elf_open(kn, path, kn_elf_host_machine(), false, &c->e));
  kn_elf_sym s;
  if (!kn_elf_lookup(c->e, "kiln_artifact_meta", &s) || !s.defined)
    return kn_fail(kn, KN_EPARSE,
                   "%s is not a kiln artifact (no kiln_artifact_meta): build it with kiln compile --emit so", path);
  c->at = s.value;
  KN_TRY(check_abi(c, &s));
  KN_TRY(check_meta(c, fn));
  /* last, the bytes themselves: code, weights and tables as kiln compile wrote them */
  uint64_t field, h;
  if (!kn_elf_file_offset(c->e, c->at + offsetof(kiln_artifact_meta, image_hash), 8, &field))
    return damaged(c, "its image hash is not in the file");
  if (!c->m.image_hash)
    return kn_fail(kn, KN_EPARSE, "%s: the library has no image hash (kiln compile writes one): build it with kiln "
                   "compile --emit so", path);
  KN_TRY(kn_elf_image_hash(c->e, field, &h));
  if (h != c->m.image_hash)
    return kn_fail(kn, KN_EIO, "%s: the library's bytes do not match the hash kiln compile wrote (a damaged or "
                   "modified file): build it again", path);
  return KN_OK;
}

/* After dlopen: the metadata in memory is the one checked, relocated as the
 * file said (the same bytes, every pointer the load base plus its value). */
static kn_status check_loaded(const checked *c, const kiln_artifact_meta *mm) {
  uintptr_t base = (uintptr_t)mm - (uintptr_t)c->at;
  kiln_artifact_meta want = c->m;
  for (int k = 0; k < NPTR; k++) {
    uintptr_t v = c->p[k] ? base + (uintptr_t)c->p[k] : 0;
    memcpy((char *)&want + ptr_off[k], &v, sizeof v);
  }
  bool same = memcmp(&want, mm, sizeof want) == 0;
  for (int i = 0; same && i < c->nio; i++) {
    const kiln_io_info *t = i < mm->ninputs ? &mm->inputs[i] : &mm->outputs[i - mm->ninputs];
    kiln_io_info w = c->io[i];
    w.name = (const char *)(base + (uintptr_t)c->io_name[i]);
    w.dims = c->io_dims[i] ? (const int64_t *)(base + (uintptr_t)c->io_dims[i]) : NULL;
    same = memcmp(&w, t, sizeof w) == 0;
  }
  for (int32_t i = 0; same && mm->consts && i < mm->nconsts; i++)
    same = (uintptr_t)mm->consts[i] == (c->cptr[i] ? base + (uintptr_t)c->cptr[i] : 0);
  return same ? KN_OK
              : kn_fail(c->kn, KN_EINTERNAL, "%s: the loaded metadata differs from the one checked in the file",
                        c->path);
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

/* dlsym of an entry point checked in the file, at the address it has there. */
static void *need_sym(kn_artifact *a, const char *path, const char *name, uintptr_t want, kn_status *st) {
  void *p = *st == KN_OK ? dlsym(a->dl, name) : NULL;
  if (*st == KN_OK && (uintptr_t)p != want)
    *st = kn_fail(a->kn, KN_EPARSE, "%s: the entry point %s is %s", path, name, p ? "not the one checked" : "missing");
  return p;
}

kn_status kn_artifact_open(kn_ctx *kn, const char *path, int threads, kn_artifact **out) {
  *out = NULL;
  checked c;
  uint64_t fn[6];
  kn_status st = check_file(kn, path, &c, fn);
  kn_artifact *a = st == KN_OK ? calloc(1, sizeof *a) : NULL;
  if (st == KN_OK && !a) st = kn_fail(kn, KN_ENOMEM, "out of memory");
  if (st != KN_OK) {
    checked_free(&c);
    return st;
  }
  a->kn = kn;
  /* dlopen needs a path with a slash to not search the library path */
  char local[4200];
  snprintf(local, sizeof local, "%s%s", strchr(path, '/') ? "" : "./", path);
  a->dl = dlopen(local, RTLD_NOW | RTLD_LOCAL);
  if (!a->dl) st = kn_fail(kn, KN_EIO, "cannot load %s: %s", path, dlerror());
  if (st == KN_OK && !(a->meta = dlsym(a->dl, "kiln_artifact_meta")))
    st = kn_fail(kn, KN_EPARSE, "%s: kiln_artifact_meta is missing once loaded", path);
  if (st == KN_OK) st = check_loaded(&c, a->meta);
  uintptr_t base = st == KN_OK ? (uintptr_t)a->meta - (uintptr_t)c.at : 0;
  checked_free(&c);
  if (st == KN_OK) st = build_view(a);
  const kiln_artifact_meta *m = a->meta;
  kiln_rt_ctx *(*ctx_new)(int, const char *) = NULL;
  if (st == KN_OK) {
    *(void **)&ctx_new = need_sym(a, path, m->sym_ctx_new, base + fn[2], &st);
    *(void **)&a->ctx_free = need_sym(a, path, m->sym_ctx_free, base + fn[3], &st);
    *(void **)&a->error = need_sym(a, path, m->sym_error, base + fn[5], &st);
    *(void **)&a->run_ctx = need_sym(a, path, m->sym_run_ctx, base + fn[1], &st);
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
