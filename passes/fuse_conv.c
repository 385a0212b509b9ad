/* fuse_conv.c: Conv (f32) with the elementwise work that alone consumes its
 * result (an activation such as Relu, Sigmoid or SiLU = x * sigmoid(x), a
 * per-channel addend like a diffusion UNet's time embedding [N, C, 1, 1], a
 * residual add) into one FusedConv node (passes/fuse_epilogue.c). The JIT
 * applies the work to each block of the convolution's GEMM right after its
 * last K block (codegen/lower_conv.c), instead of in passes of its own over
 * the activations. The 2-D view the operands are read in is the GEMM's:
 * rows = (image, channel), columns = output positions. Runs after
 * fold-batchnorm (a BatchNormalization is folded into the weights first) and
 * fuse-elementwise. */
#include "pattern.h"
#include <stdlib.h>

kn_status pass_run_fuse_conv(ir_graph *g, pass_result *r) {
  int32_t *uses = pass_use_counts(g);
  if (!uses) return kn_fail(g->ctx, KN_ENOMEM, "out of memory in fuse-conv");
  kn_status st = KN_OK;
  for (int32_t i = 0; st == KN_OK && i < g->nnodes; i++) {
    const ir_node *n = &g->nodes[i];
    if (n->dead || n->op != IR_OP_Conv || n->nout != 1 || n->out[0] == IR_NONE) continue;
    if (g->values[n->out[0]].type.rank < 3) continue;
    bool done = false;
    st = pass_fuse_epilogue(g, uses, i, IR_OP_FusedConv, 2, &done);
    r->changed += done;
  }
  free(uses);
  return st;
}
