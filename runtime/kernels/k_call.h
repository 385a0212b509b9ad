/* k_call.h: the kernel-call ABI. Compiled code (the JIT's and an AOT build's
 * alike) runs a node that has no generated code by calling its op's thunk
 *     int64_t kk_call_<op>(const void *params, void *const *buf);
 * from the kernel library linked in as bitcode. `params` points at a constant
 * struct the host planned at compile time from the node's attributes and
 * static shapes (runtime/kcall/, one plan per op); `buf` holds the data
 * pointers: the node's inputs in order (NULL where absent; as many slots as
 * the op's most inputs, ops.def's max_in, unless it is variadic), then its
 * outputs (always valid: compiled code gives unused ones scratch; as many
 * slots as max_out unless variadic), then one scratch
 * pointer (64-byte aligned, as many bytes as the plan asked for). A thunk
 * returns KK_CALL_OK, or a value >= 0 (the position of a bad input value,
 * such as an index out of range) that compiled code turns into the node's
 * error. A thunk handles the dtypes its plan accepts (some widen f16/bf16
 * through scratch, as the reference executor does); the plans decline the
 * rest. Each family declares its params structs and thunks in its own header:
 * this one (reductions along an axis, constructions), k_call_index.h,
 * k_call_nn.h. */
#ifndef KILN_K_CALL_H
#define KILN_K_CALL_H

#include "kernels.h"

#define KK_CALL_OK (-1)

/* element types, numbered as ONNX's TensorProto (and kiln's kn_dtype) */
enum {
  KK_F32 = 1,
  KK_U8 = 2,
  KK_I8 = 3,
  KK_U16 = 4,
  KK_I16 = 5,
  KK_I32 = 6,
  KK_I64 = 7,
  KK_BOOL = 9,
  KK_F16 = 10,
  KK_F64 = 11,
  KK_U32 = 12,
  KK_U64 = 13,
  KK_BF16 = 16
};

/* ---- reductions along one axis: x viewed as [outer, n, inner] ---- */
/* Where a plan took a value from a constant-folded shape rather than a
 * constant input (k, depth), the thunk checks the run-time input against it:
 * *_dt is the input's dtype then, 0 when the input was constant. */
typedef struct kk_topk_params { /* buf: x, k, values, indices, scratch (2n int64 + n elements) */
  int32_t dt, largest, k_dt, pad_;
  int64_t outer, n, inner, k;
} kk_topk_params;
int64_t kk_call_topk(const void *params, void *const *buf);

typedef struct kk_cumsum_params { /* buf: x, axis, y, scratch */
  int32_t dt, exclusive, reverse, pad_;
  int64_t outer, n, inner;
} kk_cumsum_params;
int64_t kk_call_cumsum(const void *params, void *const *buf);

/* ---- constructions ---- */
typedef struct kk_eye_params { /* buf: x, y, scratch */
  int64_t rows, cols, k, es;
  uint8_t one[8]; /* 1 in the output dtype's encoding */
} kk_eye_params;
int64_t kk_call_eye(const void *params, void *const *buf);

typedef struct kk_trilu_params { /* buf: x, k?, y, scratch; k read from its input when k_dt != 0 */
  int64_t batch, rows, cols, es, k;
  int32_t upper, k_dt;
} kk_trilu_params;
int64_t kk_call_trilu(const void *params, void *const *buf);

typedef struct kk_one_hot_params { /* buf: indices, depth, values, y, scratch (n int64) */
  int32_t idx_dt, depth_dt;
  int64_t outer, inner, depth, n, es;
} kk_one_hot_params;
int64_t kk_call_one_hot(const void *params, void *const *buf);

#endif
