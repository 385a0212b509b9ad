/* kiln.h: the public C API of kiln, a dataflow graph compiler and runtime for
 * vision-language models. One header for users; everything else is internal.
 * Every fallible call returns a kn_status and leaves a message in the context. */
#ifndef KILN_H
#define KILN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KN_VERSION "0.1.0"
/* Everything else is built with hidden visibility; the public API is exported. */
#if defined(__GNUC__)
#define KN_API __attribute__((visibility("default")))
#else
#define KN_API
#endif
#define KN_MAX_RANK 8

typedef enum kn_status {
  KN_OK = 0,
  KN_EINVAL,       /* bad argument or malformed model */
  KN_EPARSE,       /* file could not be decoded */
  KN_EUNSUPPORTED, /* valid ONNX, but kiln cannot do it (yet) */
  KN_ESHAPE,       /* inconsistent or absurd shapes */
  KN_ETYPE,        /* dtype mismatch */
  KN_ENOMEM,       /* allocation failed */
  KN_ELIMIT,       /* a configured limit (memory) would be exceeded */
  KN_EIO,          /* file system error */
  KN_EINTERNAL     /* a kiln bug */
} kn_status;

/* Element types use ONNX TensorProto.DataType numbering so files map 1:1. */
typedef enum kn_dtype {
  KN_UNDEF = 0,
  KN_F32 = 1,
  KN_U8 = 2,
  KN_I8 = 3,
  KN_U16 = 4,
  KN_I16 = 5,
  KN_I32 = 6,
  KN_I64 = 7,
  KN_STRING = 8,
  KN_BOOL = 9,
  KN_F16 = 10,
  KN_F64 = 11,
  KN_U32 = 12,
  KN_U64 = 13,
  KN_BF16 = 16,
  KN_DTYPE_END = 17
} kn_dtype;

/* A dense row-major tensor. `data` is 64-byte aligned when kiln allocates it. */
typedef struct kn_tensor {
  int32_t dtype;
  int32_t rank;
  int64_t dims[KN_MAX_RANK];
  void *data;
  int64_t nbytes;
} kn_tensor;

/* Error/limit context: holds the last error message and settings. */
typedef struct kn_ctx kn_ctx;
KN_API kn_ctx *kn_ctx_new(void);
KN_API void kn_ctx_free(kn_ctx *ctx);
KN_API const char *kn_errmsg(const kn_ctx *ctx);
KN_API kn_status kn_last_status(const kn_ctx *ctx);
/* Upper bound for any single tensor or workspace allocation (default 8 GiB). */
KN_API void kn_set_mem_limit(kn_ctx *ctx, uint64_t bytes);
KN_API void kn_set_verbose(kn_ctx *ctx, int level);

KN_API const char *kn_status_name(kn_status s);
KN_API const char *kn_dtype_name(int dtype);
KN_API size_t kn_dtype_size(int dtype);
KN_API int64_t kn_tensor_numel(const kn_tensor *t);
KN_API void kn_tensor_free(kn_tensor *t);

#ifdef __cplusplus
}
#endif
#endif
