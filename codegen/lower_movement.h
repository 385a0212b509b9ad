/* lower_movement.h: shared pieces of the data-movement lowerings
 * (lower_movement*.c). Almost every op of the family is one or a few N-d
 * strided copies whose dims and strides are compile-time constants once the
 * graph is specialized, so the family shares one generator of such copies
 * (lower_movement_copy.c) plus small helpers for reading constant parameters. */
#ifndef KILN_LOWER_MOVEMENT_H
#define KILN_LOWER_MOVEMENT_H

#include "cg.h"

/* Tile views the output as [rep0, d0, rep1, d1, ...]: twice the rank. */
#define MV_MAX_RANK (2 * KN_MAX_RANK)

/* One strided copy: for every index i over dims[0..rank),
 * dst[doff + sum i*ds] = src[soff + sum i*ss] (offsets and strides in
 * elements of es bytes; ss may be 0 or negative). dst and src are distinct
 * buffers whose base addresses are aligned to dalign / salign bytes. */
typedef struct mv_copy {
  int rank;
  int64_t dims[MV_MAX_RANK], ds[MV_MAX_RANK], ss[MV_MAX_RANK];
  int64_t doff, soff;
  size_t es;
} mv_copy;

/* Emits the copy at c->b as a call to a generated function (noalias
 * pointers, constant trip counts; contiguous rows become memcpy, a swap of
 * the unit-stride dims becomes a tiled transpose). Coalesces dims first. */
void mv_emit_copy(cg_ctx *c, mv_copy *cp, LLVMValueRef dst, int dalign, LLVMValueRef src, int salign);

/* Fills dst[0..n) (elements of es bytes, base aligned to align) with the
 * element at value (es bytes, known at compile time). */
void mv_emit_fill(cg_ctx *c, LLVMValueRef dst, int align, int64_t n, const void *value, size_t es);
/* The same with the element read at run time from src (a value of the graph). */
void mv_emit_fill_from(cg_ctx *c, LLVMValueRef dst, int align, int64_t n, LLVMValueRef src, size_t es);

/* Starts the function a movement lowering generates (llvm_kit.c's
 * cg_fn_begin_ptrs with noalias pointers: the copies' buffers are distinct),
 * named after the current node and `what`; *b is positioned in its entry. */
LLVMValueRef mv_node_fn(cg_ctx *c, const char *what, int nparams, LLVMBuilderRef *b);

/* Transposes T x T elements held in T vectors of T lanes (T a power of two
 * <= 32) in place: log2(T) rounds of interleaving row i with row i + T/2
 * (low halves into row 2i, high halves into row 2i+1) leave rows[i] holding
 * what was column i. */
void mv_transpose_regs(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef *rows, int T);

/* Alignment in bytes that value v's buffer is guaranteed to have: 64 for
 * workspace and constants, 4 for graph inputs/outputs (capped by its element
 * size when smaller). */
int mv_value_align(cg_ctx *c, ir_id v);

/* Row-major strides of dims. */
void mv_contiguous_strides(int rank, const int64_t *dims, int64_t *st);

/* The type of value v; NULL for an absent value. */
static inline const ir_type *mv_type(cg_ctx *c, ir_id v) { return v == IR_NONE ? NULL : &c->g->values[v].type; }

/* Number of elements of value v (0 for absent values). */
int64_t mv_numel(cg_ctx *c, ir_id v);

/* Reads optional input i of n as a constant integer list into out (at most
 * max): returns the count, -1 when the input is absent, -2 when it is present
 * but not a compile-time constant (or too long). */
int mv_const_ints(cg_ctx *c, const ir_node *n, int i, int64_t *out, int max);

/* The constant tensor of input i of n, or NULL (absent or not constant). */
const kn_tensor *mv_const_input(cg_ctx *c, const ir_node *n, int i);

/* Family members (one file each). */
kn_status mv_lower_transpose(cg_ctx *c, const ir_node *n);
kn_status mv_lower_concat(cg_ctx *c, const ir_node *n);
kn_status mv_lower_split(cg_ctx *c, const ir_node *n);
kn_status mv_lower_slice(cg_ctx *c, const ir_node *n);
kn_status mv_lower_expand(cg_ctx *c, const ir_node *n);
kn_status mv_lower_tile(cg_ctx *c, const ir_node *n);
kn_status mv_lower_pad(cg_ctx *c, const ir_node *n);
kn_status mv_lower_depth_to_space(cg_ctx *c, const ir_node *n);
kn_status mv_lower_space_to_depth(cg_ctx *c, const ir_node *n); /* lower_movement_shape.c */
kn_status mv_lower_gather(cg_ctx *c, const ir_node *n); /* lower_movement_gather.c */
kn_status mv_lower_pool(cg_ctx *c, const ir_node *n);
kn_status mv_lower_global_pool(cg_ctx *c, const ir_node *n);
kn_status mv_lower_resize(cg_ctx *c, const ir_node *n); /* lower_movement_nn.c */

#endif
