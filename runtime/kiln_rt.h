/* kiln_rt.h: the public API of libkiln_rt, the small runtime an ahead-of-time
 * built model (`kiln compile`) links against, and the C ABI between such an
 * artifact and the runtime (or kiln's loader). It depends on libc and pthreads
 * only. A model's generated header (NAME.h) declares the typed entry points;
 * they call the functions below with the model's metadata, kiln_artifact_meta,
 * which describes the I/O, the workspace and where the weights are.
 * Bump KILN_ABI_VERSION whenever a struct below or a signature changes. */
#ifndef KILN_RT_PUBLIC_H
#define KILN_RT_PUBLIC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KILN_ABI_VERSION 3u
/* "KILNART1" read as a little-endian 64-bit word */
#define KILN_ARTIFACT_MAGIC 0x315452414e4c494bull
/* "KILNWTS1": the first 8 bytes of a NAME.weights file */
#define KILN_WEIGHTS_MAGIC "KILNWTS1"

enum kiln_arch { KILN_ARCH_X86_64 = 1, KILN_ARCH_AARCH64 = 2 };

/* Status codes returned by the entry points (the numbering of kiln's kn_status). */
enum kiln_status {
  KILN_OK = 0,
  KILN_EINVAL = 1,   /* bad argument, or bad data at run time (e.g. an index out of range) */
  KILN_EUNSUPPORTED = 3,
  KILN_ENOMEM = 6,
  KILN_EIO = 8,      /* the weights file is missing, short or does not match the model */
  KILN_EINTERNAL = 9
};

/* Element types: ONNX TensorProto.DataType numbering. */
enum kiln_dtype {
  KILN_FLOAT = 1, KILN_UINT8 = 2, KILN_INT8 = 3, KILN_UINT16 = 4, KILN_INT16 = 5, KILN_INT32 = 6,
  KILN_INT64 = 7, KILN_BOOL = 9, KILN_FLOAT16 = 10, KILN_DOUBLE = 11, KILN_UINT32 = 12, KILN_UINT64 = 13,
  KILN_BFLOAT16 = 16
};

/* Where an output's bytes come from. For an input, KILN_SRC_CONST means the
 * model was specialized to the value of constant src_index (the input shapes
 * the graph): a run with any other value fails with KILN_EINVAL. */
enum kiln_src {
  KILN_SRC_CODE = 0,   /* the compiled code writes the output buffer */
  KILN_SRC_CONST = 1,  /* a copy of constant src_index */
  KILN_SRC_INPUT = 2,  /* a copy of input src_index */
  KILN_SRC_OUTPUT = 3, /* a copy of output src_index (the same value listed twice) */
  KILN_SRC_NONE = 4    /* empty: nothing to write */
};

typedef struct kiln_io_info {
  const char *name;
  int32_t dtype; /* enum kiln_dtype */
  int32_t rank;
  const int64_t *dims;
  int64_t numel;
  int64_t nbytes;
  int32_t src_kind; /* enum kiln_src: outputs, where the bytes come from; inputs, CODE or CONST */
  int32_t src_index;
} kiln_io_info;

typedef struct kiln_rt_ctx kiln_rt_ctx;
typedef int32_t (*kiln_entry_fn)(void **io, void *ws, const void *const *consts, void *rt);

/* The metadata every artifact exports as NAME_meta (a shared library also as
 * kiln_artifact_meta). The first four fields never move, so a loader can
 * reject an artifact of another ABI or architecture before reading more. */
typedef struct kiln_artifact_meta {
  uint64_t magic;        /* KILN_ARTIFACT_MAGIC */
  uint32_t abi_version;  /* KILN_ABI_VERSION */
  uint32_t arch;         /* enum kiln_arch */
  uint64_t struct_bytes; /* sizeof(kiln_artifact_meta) */
  const char *name;      /* NAME */
  const char *kiln_version;
  const char *target, *cpu, *features; /* what it was compiled for */
  int32_t ninputs, noutputs;
  const kiln_io_info *inputs, *outputs;
  int64_t workspace_bytes;
  int32_t nconsts;
  int32_t weights_in_file;      /* 1: the weights are in NAME.weights, loaded at init */
  const void *const *consts;    /* embedded weights: the table of constants; NULL otherwise */
  const int64_t *const_offsets; /* each constant's offset in the weights data (-1: unused) */
  int64_t weights_bytes;        /* bytes of weights data (embedded: laid out as in a weights file) */
  uint64_t weights_hash;        /* kiln_rt_hash of that data, checked when a context is made */
  int64_t macs;                 /* multiply-accumulates of one run (for GFLOP/s) */
  kiln_entry_fn entry;          /* i32 (io[inputs..., outputs...], workspace, consts, ctx) */
  kiln_rt_ctx **default_ctx;    /* the context NAME_run uses (created on first use) */
  /* entry-point symbols: NAME_run, NAME_run_ctx, NAME_ctx_new, NAME_ctx_free, NAME_init, NAME_error */
  const char *sym_run, *sym_run_ctx, *sym_ctx_new, *sym_ctx_free, *sym_init, *sym_error;
  int32_t ncustom;               /* custom-op functions the artifact calls (linked by the user) */
  int32_t reserved;
  const char *const *custom_symbols;
  const int64_t *const_bytes; /* each constant's size in bytes (0: unused) */
  /* a shared library: kiln_rt_hash of the file bytes of its PT_LOAD segments
   * (the ELF header's section-header fields and this field read as zeros),
   * written by kiln compile after linking and checked by kiln's loader
   * before dlopen; 0 in an object */
  uint64_t image_hash;
} kiln_artifact_meta;

/* Checks magic, ABI version and architecture; 0 if this runtime can run it. */
int kiln_rt_check(const kiln_artifact_meta *m);
/* A context: the workspace, the thread pool and the weights. weights_path is
 * the NAME.weights file when the weights are not embedded (else ignored, may
 * be NULL). NULL on failure (kiln_rt_error() says why). */
kiln_rt_ctx *kiln_rt_ctx_new(const kiln_artifact_meta *m, int threads, const char *weights_path);
void kiln_rt_ctx_free(kiln_rt_ctx *ctx);
/* Runs the model: io holds the input pointers, then the output pointers, in
 * the order of m->inputs and m->outputs. ctx NULL: the default context (one
 * thread), created on first use (weights in a file: by kiln_rt_init_default). */
int kiln_rt_run(const kiln_artifact_meta *m, kiln_rt_ctx *ctx, void **io);
/* Creates the default context with the weights file (or again, replacing it). */
int kiln_rt_init_default(const kiln_artifact_meta *m, const char *weights_path);
/* The last error of this thread, "" if none. */
const char *kiln_rt_error(void);
/* The hash that checks a weights file (64-bit FNV-1a over 8-byte words). */
uint64_t kiln_rt_hash(const void *data, size_t bytes);
/* Called by compiled code: runs body(ctx, begin, end) over [0, n) on the
 * context's threads. */
void kiln_parallel_for(void *rt, int64_t n, void (*body)(void *, int64_t, int64_t), void *ctx);

/* The header of a NAME.weights file (64 bytes, then the data). */
typedef struct kiln_weights_header {
  char magic[8];        /* KILN_WEIGHTS_MAGIC */
  uint32_t abi_version;
  uint32_t nconsts;
  uint64_t data_offset; /* 64 */
  uint64_t data_bytes;
  uint64_t hash;        /* kiln_rt_hash of the data */
  uint8_t reserved[24];
} kiln_weights_header;

#ifdef __cplusplus
}
#endif
#endif
