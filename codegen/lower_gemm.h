/* lower_gemm.h: the GEMM generator shared by the MatMul/Gemm lowering
 * (lower_gemm.c) and the Conv lowering (lower_conv.c); the generator itself
 * is gemm_microkernel.c. A lowering describes its product as a gm_plan
 * (sizes, element strides, epilogue), packs a constant B at compile time with
 * gm_pack_const_b, and gets back a driver function to call from the entry.
 * Everything the driver loops over is a compile-time constant; drivers are
 * shared by the nodes with equal plans and micro-kernels by the drivers with
 * equal tile shapes, which keeps compile time proportional to the number of
 * distinct shapes, not of nodes. */
#ifndef KILN_LOWER_GEMM_H
#define KILN_LOWER_GEMM_H

#include "cg.h"

/* Epilogue addend of the first K block (later blocks add to C itself). */
typedef enum gm_bias {
  GM_BIAS_NONE = 0,
  GM_BIAS_VEC, /* bias[i*brs + j]: a row vector over N (or a full [M, N] with brs = N) */
  GM_BIAS_ROW  /* bias[i*brs]: one value per row (brs = 0: a scalar) */
} gm_bias;

/* Where the micro-kernel's B panels come from. */
typedef enum gm_bsrc {
  GM_B_DIRECT = 0, /* rows are contiguous (csb == 1): full panels are read in place, with
                    * B's own row stride; a partial last panel is copied into scratch */
  GM_B_GATHER,     /* strided columns (a transposed B): each panel is copied into scratch */
  GM_B_PACKED      /* a constant packed at compile time by gm_pack_const_b */
} gm_bsrc;

#define GM_MAX_BATCH KN_MAX_RANK

/* C[i*ldc + j] = alpha * sum_k A(i,k) B(k,j) + bias(i,j), for every batch
 * index. A(i,k) = A[i*rsa + k*csa]; B(k,j) = B[k*rsb + j*csb], or for
 * GM_B_PACKED gm_pack_const_b's layout (batch b at b * gm_packed_floats). */
typedef struct gm_plan {
  int64_t M, N, K;
  int64_t rsa, csa;
  int64_t rsb, csb;
  gm_bsrc bsrc;
  int64_t ldc;
  gm_bias bias;
  int64_t brs;
  float alpha;
  /* batch: nbd dims of sizes bdim; per dim the element stride of A, C and
   * bias, and the B stride (elements, or whole packed matrices when packed) */
  int nbd;
  int64_t bdim[GM_MAX_BATCH], sa[GM_MAX_BATCH], sb[GM_MAX_BATCH], sc[GM_MAX_BATCH], sbias[GM_MAX_BATCH];
  /* filled by gm_plan_finish */
  int vw, nv, nr;   /* vector width (floats), vectors per tile row, tile columns */
  int64_t kc, npad; /* K block, N rounded up to nr */
  bool pack_a;      /* copy each K block of A into scratch rows of ars floats */
  int64_t ars;
  int64_t mb, nmb; /* M > GM_MC_MAX: nmb blocks of mb rows, in tiles of mr_full */
  int mr_full;
  int mr_hi, mr_lo;   /* the other rows: tile heights */
  int64_t n_hi, n_lo; /* and how many tiles of each */
} gm_plan;

/* Chooses the tiling for the target; call after filling the sizes. */
void gm_plan_finish(cg_ctx *c, gm_plan *p);
/* Floats in one packed B matrix (K x npad). */
int64_t gm_packed_floats(const gm_plan *p);
/* Scratch bytes the driver needs (the A block, a B panel). */
int64_t gm_scratch_bytes(const gm_plan *p);
/* Packs nb matrices of B (matrix b's element (k,j) at src[b*bstride + k*rsb +
 * j*csb]), each multiplied by scale, into *t (allocated here; emits nothing,
 * so a lowering can still decline afterwards: free t then). The caller hands
 * it to cg_add_const. */
kn_status gm_pack_const_b(cg_ctx *c, const gm_plan *p, const float *src, int64_t nb, int64_t bstride, int64_t rsb,
                          int64_t csb, float scale, kn_tensor *t);
/* The driver for p: void f(ptr A, ptr B, ptr C, ptr bias, ptr scratch),
 * shared by every node with the same plan. */
LLVMValueRef gm_driver(cg_ctx *c, const gm_plan *p);

/* The Conv lowering (lower_conv.c). */
kn_status cg_lower_conv(cg_ctx *c, const ir_node *n);

/* Small IR helpers shared by the lowerings. */
typedef struct gm_loop {
  LLVMBasicBlockRef pre, body;
  LLVMValueRef i, n;
} gm_loop;
/* A counted loop i = 0 .. n-1 (n >= 1) at b's position: the body starts
 * after gm_loop_begin; gm_loop_end closes it and leaves b after the loop. */
void gm_loop_begin(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef fn, LLVMValueRef n, gm_loop *l);
void gm_loop_end(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef fn, gm_loop *l);
LLVMValueRef gm_gep(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef p, LLVMValueRef idx);
/* A new internal function with nparams pointer parameters, returning void,
 * with b positioned in its entry block. */
LLVMValueRef gm_new_function(cg_ctx *c, LLVMBuilderRef b, const char *name, int nparams);

#endif
