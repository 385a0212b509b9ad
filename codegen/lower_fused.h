/* lower_fused.h: the elementwise-body emitter of lower_fused.c. The
 * FusedElementwise lowering runs it over its whole output; the GEMM and
 * convolution lowerings run the body of a FusedMatMul/FusedGemm/FusedConv
 * with it on each block of their output right after computing the block
 * (lower_gemm_parallel.c), while it is still in cache. */
#ifndef KILN_LOWER_FUSED_H
#define KILN_LOWER_FUSED_H

#include "lower_vec.h"

/* kind of a body input the code never reads (the product, when the GEMM
 * already computed the first op that used it); the others are pass_leaf's */
#define CG_EPI_UNREAD (-2)

/* An elementwise body over the 2-D view [rows, cols] of an output y (row i
 * at element i * cols). Body input i reads an operand of pass_epilogue_leaf's
 * kind[i] (period[i]: a COL operand's rows), or is the region's own content. */
typedef struct cg_epi {
  const ir_graph *body;
  int nin;
  int kind[CG_VG_MAX_PARAMS];
  int64_t period[CG_VG_MAX_PARAMS];
  ir_id cval; /* the body value the region holds when the code runs; IR_NONE: y is only written */
  int64_t rows, cols;
  char *key; /* names the code: everything it depends on but the region's width (owned) */
} cg_epi;

/* Plans `body` over yt's view with cols = the product of yt's dims from
 * `split` on: body input i reads value in[i] of c->g, or, for IR_NONE, the
 * region's content (input 0 only: the product). KN_EUNSUPPORTED when the
 * body has an op, an operand or a size the emitter does not take. */
kn_status cg_epi_init(cg_ctx *c, cg_epi *e, const ir_graph *body, const ir_type *yt, int split, const ir_id *in);
void cg_epi_free(cg_epi *e);
/* When the body starts with Add(input 0, input k), k a FULL or ROW operand,
 * and reads input 0 nowhere else: the caller computes that Add (the GEMM adds
 * a bias on its first K block), and the region then holds its result.
 * Returns k, or -1 (nothing changed). */
int cg_epi_take_add(cg_ctx *c, cg_epi *e);
/* The region already holds the body's output: there is nothing to emit. */
bool cg_epi_done(const cg_epi *e);
/* void f(ptr y, i64 e0, i64 rows, ptr ops): the body on rows x ncols
 * elements at y, whose first element is element e0 of the output (which
 * places it in the view: row e0 / cols, column e0 % cols); ops[i] points at
 * body input i's operand. Shared by every epilogue with the same key. NULL
 * when out of memory. */
LLVMValueRef cg_epi_function(cg_ctx *c, const cg_epi *e, int64_t ncols);
/* Emits at c->b the operand array of cg_epi_function: a pointer per body
 * input (in[i] as for cg_epi_init; NULL for the region's own). */
LLVMValueRef cg_epi_operands(cg_ctx *c, const cg_epi *e, const ir_id *in);

#endif
