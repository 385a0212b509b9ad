/* aot.h: kiln's ahead-of-time builds (`kiln compile`): a model compiled for
 * a target triple/CPU into an object or shared library, with a C header, the
 * weights embedded or in a file, the target's libkiln_rt.a and a README.
 * aot.c drives the steps; aot_module.c adds the artifact's globals and entry
 * points to the lowered module; aot_header.c writes NAME.h; aot_toolchain.c
 * runs the target's C compiler (runtime library, shared library). */
#ifndef KILN_AOT_H
#define KILN_AOT_H

#include "cg_internal.h"

typedef enum cg_emit { CG_EMIT_OBJ = 0, CG_EMIT_SO, CG_EMIT_ASM, CG_EMIT_LLVM } cg_emit;

typedef struct cg_aot_options {
  cg_options cg;         /* target, cpu, features, -O, passes, dump flags */
  const char *outdir;    /* created if missing */
  const char *name;      /* C identifier prefixing every symbol (NAME_run ...) */
  const char *model;     /* the model's path (for the header's comment) */
  cg_emit emit;
  bool weights_file;     /* NAME.weights instead of embedding */
  const char *cc;        /* the target's C compiler (NULL: cc for the host's arch, TRIPLE-gcc otherwise) */
  bool no_runtime;       /* do not build libkiln_rt.a (no C compiler needed for obj/asm/llvm) */
  const char *const *link_extra; /* extra files for the shared library's link (custom-op code) */
  int nlink_extra;
} cg_aot_options;

typedef struct cg_aot_report {
  cg_stats stats;
  const char *triple;
  char cpu[64];
  int vec_bytes;
  int64_t weights_bytes; /* embedded or in the file */
  int32_t nweights;      /* constants the code uses */
  double llvm_ms, emit_ms, runtime_ms;
  char artifact[4200];   /* the object/.so/.s/.ll written */
  char cc[512];          /* the C compiler used ("" when none was needed) */
} cg_aot_report;

/* Compiles g (taking ownership) for the input shapes and writes the artifact. */
kn_status cg_aot_compile(kn_ctx *kn, ir_graph *g, const int *ranks, const int64_t (*dims)[KN_MAX_RANK],
                         const cg_aot_options *o, cg_aot_report *rep);

/* ===== aot_module.c ===== */
typedef struct aot_weights {
  int64_t *offset;   /* per constant: offset in the weights data, -1 when unused */
  int64_t *bytes_of; /* per constant: its bytes, 0 when unused */
  int64_t bytes;   /* the data's size */
  uint64_t hash;
  int32_t used;
} aot_weights;
/* Lays out the used constants (64-byte aligned, as in a weights file) and
 * hashes them as the runtime will (kiln_rt_hash of the data), embedded or not. */
kn_status aot_layout_weights(cg_model *m, aot_weights *w);
/* Adds weights (when embedded), I/O metadata, NAME_meta and the entry points
 * to mod; keep[] receives the symbols that stay exported (at most 8). */
kn_status aot_add_artifact(cg_model *m, LLVMModuleRef mod, const cg_aot_options *o, LLVMTargetMachineRef tm,
                           const aot_weights *w, const char **keep, int *nkeep);
/* Writes OUTDIR/NAME.weights. */
kn_status aot_write_weights(cg_model *m, const aot_weights *w, const char *path);
/* The C type of a dtype's elements ("float", "int64_t"), NULL if none. */
const char *aot_c_type(int dtype);

/* ===== aot_header.c ===== */
kn_status aot_write_header(cg_model *m, const cg_aot_options *o, const char *triple, const char *cpu,
                           const char *features, const char *path);

/* ===== aot_toolchain.c ===== */
/* The C compiler for the target: o->cc, else cc (host arch) or TRIPLE-gcc;
 * an error that says what to install when it is missing. */
kn_status aot_find_cc(kn_ctx *kn, const cg_aot_options *o, cg_arch arch, char *cc, size_t n);
/* Builds OUTDIR/libkiln_rt.a from the runtime sources embedded in kiln, with
 * that compiler; writes kiln_rt.h next to it. */
kn_status aot_build_runtime(kn_ctx *kn, const char *cc, const char *outdir);
/* cc -shared -o so obj libkiln_rt.a extra... -lpthread -lm */
kn_status aot_link_shared(kn_ctx *kn, const char *cc, const char *obj, const char *outdir, const char *so,
                          const char *const *extra, int nextra);
/* Writes kiln_rt.h into outdir (needed by NAME.h even without the library). */
kn_status aot_write_runtime_header(kn_ctx *kn, const char *outdir);

#endif
