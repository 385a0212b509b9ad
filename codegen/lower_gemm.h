/* lower_gemm.h: the GEMM generator shared by the MatMul/Gemm lowering
 * (lower_gemm.c) and the Conv lowering (lower_conv.c). gemm_microkernel.c
 * plans the tiling and generates the micro-kernels and packing loops;
 * lower_gemm_parallel.c generates the driver, which splits the work into
 * items run by the model's thread pool. A lowering describes its product as
 * a gm_plan (sizes, element strides, bias, and optionally an elementwise
 * epilogue: lower_fused.h), packs a constant B (or A) at compile time with
 * gm_pack_const_b (gm_pack_const_a), and gets back a driver function to call.
 * Everything the driver loops over is a compile-time constant, and the code
 * is the same for every thread count (the pool splits the items at run
 * time); drivers are shared by the nodes with equal plans and micro-kernels
 * by the drivers with equal tile shapes, which keeps compile time
 * proportional to the number of distinct shapes, not of nodes. */
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

/* How the driver cuts its work into items for the thread pool (chosen by
 * gm_plan_finish from the sizes alone, never from the thread count, so the
 * generated code and every result bit are the same for any --threads). Each
 * output element belongs to exactly one item and is computed by the same
 * instruction sequence whichever thread runs the item. */
typedef enum gm_split {
  GM_SPLIT_BATCH = 0, /* an item is one whole matrix product of the batch (attention's heads) */
  GM_SPLIT_PANELS,    /* an item is a column panel (nr columns) of one batch matrix: a thread
                       * streams a contiguous range of B once */
  GM_SPLIT_ROWS       /* an item is a row tile of one batch matrix (N too narrow for panels) */
} gm_split;

/* C[i*ldc + j] = alpha * sum_k A(i,k) B(k,j) + bias(i,j), for every batch
 * index. A(i,k) = A[i*rsa + k*csa], or when apacked gm_pack_const_a's layout
 * (batch b at b * gm_packed_a_floats); B(k,j) = B[k*rsb + j*csb], or for
 * GM_B_PACKED gm_pack_const_b's layout (batch b at b * gm_packed_floats). */
typedef struct gm_plan {
  int64_t M, N, K;
  int64_t rsa, csa;
  bool apacked; /* A is a constant packed at compile time by gm_pack_const_a (no batch dims) */
  int64_t rsb, csb;
  gm_bsrc bsrc;
  int64_t ldc;
  gm_bias bias;
  int64_t brs;
  float alpha;
  /* an elementwise epilogue (lower_fused.h) applied to each item's blocks of
   * C right after their last K block, while they are in cache; its view's
   * rows are C's (cols == ldc). NULL: none. */
  const struct cg_epi *epi;
  /* batch: nbd dims of sizes bdim; per dim the element stride of C and
   * bias, and the strides of A and B (elements, or whole packed matrices
   * when packed) */
  int nbd;
  int64_t bdim[GM_MAX_BATCH], sa[GM_MAX_BATCH], sb[GM_MAX_BATCH], sc[GM_MAX_BATCH], sbias[GM_MAX_BATCH];
  /* filled by gm_plan_finish */
  int vw, nv, nr;   /* vector width (floats), vectors per tile row, tile columns */
  int64_t kc, npad; /* K block, N rounded up to nr */
  bool pack_a;      /* A's K blocks are read from rows of ars floats: copied into scratch, or apacked */
  int64_t ars;
  int64_t mb, nmb; /* M > GM_MC_MAX: nmb blocks of mb rows, in tiles of mr_full */
  int mr_full;
  int mr_hi, mr_lo;   /* the other rows: tile heights */
  int64_t n_hi, n_lo; /* and how many tiles of each */
  /* the work split (lower_gemm_parallel.c) */
  gm_split split;
  bool parallel;   /* enough work to wake the pool; else the items run on the caller */
  int64_t nbatch;  /* matrices in the batch */
  int64_t ntiles;  /* row tiles of one matrix: nmb * mb / mr_full + n_hi + n_lo */
  int64_t npanels; /* column panels of one matrix: npad / nr */
  int64_t pgroup;  /* PANELS: panels per item (1 unless scratch would grow too large) */
  int64_t nsub;    /* items per matrix: 1, npanels / pgroup or ntiles */
  int64_t nslots;  /* BATCH, PANELS: scratch slots to allocate (not part of the code) */
} gm_plan;

/* Chooses the tiling for the target; call after filling the sizes. */
void gm_plan_finish(cg_ctx *c, gm_plan *p);
/* Floats in one packed B matrix (K x npad). */
int64_t gm_packed_floats(const gm_plan *p);
/* Scratch bytes the driver needs (packed A, copied B panels: see
 * lower_gemm_parallel.c for the layout of each split). */
int64_t gm_scratch_bytes(const gm_plan *p);
/* Floats of one A packed by gm_pack_const_a (per K block, M rows of ars). */
int64_t gm_packed_a_floats(const gm_plan *p);
/* Packs nb matrices of A (matrix b's element (i,k) at src[b*bstride + i*rsa
 * + k*csa]) into *t in the layout the driver reads an apacked A in: per K
 * block, M rows of ars floats (zero-padded), as gm_pack_const_b does for B. */
kn_status gm_pack_const_a(cg_ctx *c, const gm_plan *p, const float *src, int64_t nb, int64_t bstride, kn_tensor *t);
/* Packs nb matrices of B (matrix b's element (k,j) at src[b*bstride + k*rsb +
 * j*csb]), each multiplied by scale, into *t (allocated here; emits nothing,
 * so a lowering can still decline afterwards: free t then). The caller hands
 * it to cg_add_const. */
kn_status gm_pack_const_b(cg_ctx *c, const gm_plan *p, const float *src, int64_t nb, int64_t bstride, int64_t rsb,
                          int64_t csb, float scale, kn_tensor *t);
/* The driver for p (NULL when out of memory): void f(ptr A, ptr B, ptr C,
 * ptr bias, ptr scratch, ptr ybase, ptr ops, ptr rt), shared by every node
 * with the same plan; rt
 * is the entry's runtime pointer (c->rt), through which it reaches the thread
 * pool. With an epilogue, ybase is the output C lies in (a block's offset
 * from it places the block in the epilogue's view) and ops its operand array
 * (cg_epi_operands); else both are ignored. */
LLVMValueRef gm_driver(cg_ctx *c, const gm_plan *p);
/* Emits, at c->b, the call of p's driver (ybase, ops: NULL without an
 * epilogue). */
kn_status gm_call_driver(cg_ctx *c, const gm_plan *p, LLVMValueRef a, LLVMValueRef b, LLVMValueRef cc,
                         LLVMValueRef bias, LLVMValueRef scratch, LLVMValueRef ybase, LLVMValueRef ops);
/* The driver's arguments in order, for callers that emit the call themselves. */
enum { GM_ARG_A, GM_ARG_B, GM_ARG_C, GM_ARG_BIAS, GM_ARG_SCRATCH, GM_ARG_YBASE, GM_ARG_OPS, GM_ARG_RT, GM_NARGS };

/* Pieces of the generator shared by gemm_microkernel.c and
 * lower_gemm_parallel.c. */
#define GM_MC_MAX 512 /* rows of A per block: 512 x 272 floats of packed A is half of a 1 MB L2 */
#define GM_KC_MAX 256 /* K block: a 256 x 32 float panel is 32 KB, the L1 of the targets we tune for */
/* The micro-kernel for mr x (nv*vw) tiles reading A with strides rsa, csa:
 * void k(ptr A, ptr B, ptr C, i64 ldc, i64 kc, i64 ncols, i32 acc, ptr bias,
 *        i64 brs, float alpha, i64 pfofs, i64 ldb). */
LLVMValueRef gm_micro_kernel(cg_ctx *c, int mr, int nv, int vw, int64_t rsa, int64_t csa, gm_bias bias);
/* Copies kcur rows x ncols columns of B at src into a panel of nr floats a
 * row (zero-filled up to nr). */
void gm_pack_panel(cg_ctx *c, LLVMBuilderRef b, const gm_plan *p, LLVMValueRef src, LLVMValueRef kcur,
                   LLVMValueRef ncols, LLVMValueRef panel);
/* Copies rows x kcur of A at a (strides rsa, csa) into dst rows of ars floats. */
void gm_pack_a(cg_ctx *c, LLVMBuilderRef b, const gm_plan *p, LLVMValueRef a, LLVMValueRef rows, LLVMValueRef kcur,
               LLVMValueRef dst);
/* Floats of one A block in scratch (rows of one row block, one K block). */
int64_t gm_a_block_floats(const gm_plan *p);
/* Chooses p's split, parallel flag and item counts (gm_plan_finish calls it). */
void gm_plan_split(cg_ctx *c, gm_plan *p);
/* Whether work of this many flops is worth waking the thread pool for. */
bool gm_parallel_worth(double flops);

/* The Conv lowering (lower_conv.c). */
kn_status cg_lower_conv(cg_ctx *c, const ir_node *n);

#endif
