/* fuse_matmul.c: MatMul and Gemm (f32) with the elementwise work that alone
 * consumes their result (bias add, activation, residual add: a
 * FusedElementwise gathered by fuse-elementwise, or single ops) into one
 * FusedMatMul / FusedGemm node (passes/fuse_epilogue.c), which the JIT runs
 * as its GEMM with the work applied to each block of C right after its last
 * K block (codegen/lower_gemm_parallel.c). Runs after fuse-elementwise, so the
 * chains are already gathered. MatMuls with a 1-D operand are left alone
 * (their C is not the output's [rows, last dim] view). */
#include "pattern.h"
#include <stdlib.h>

kn_status pass_run_fuse_matmul(ir_graph *g, pass_result *r) {
  int32_t *uses = pass_use_counts(g);
  if (!uses) return kn_fail(g->ctx, KN_ENOMEM, "out of memory in fuse-matmul");
  kn_status st = KN_OK;
  for (int32_t i = 0; st == KN_OK && i < g->nnodes; i++) {
    const ir_node *n = &g->nodes[i];
    if (n->dead || n->nout != 1 || n->out[0] == IR_NONE) continue;
    const ir_type *y = &g->values[n->out[0]].type;
    bool done = false;
    if (n->op == IR_OP_MatMul && n->nin == 2 && g->values[n->in[0]].type.rank >= 2 &&
        g->values[n->in[1]].type.rank >= 2)
      st = pass_fuse_epilogue(g, uses, i, IR_OP_FusedMatMul, y->rank - 1, &done);
    else if (n->op == IR_OP_Gemm)
      st = pass_fuse_epilogue(g, uses, i, IR_OP_FusedGemm, 1, &done);
    r->changed += done;
  }
  free(uses);
  return st;
}
