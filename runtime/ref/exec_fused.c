/* exec_fused.c: the fused nodes on the reference executor. A node's `body`
 * runs in a child executor (ref_run_subgraph), op by op on the ordinary
 * elementwise kernels, so a fused node computes exactly what the nodes it
 * replaced did:
 *  - FusedElementwise: the body on the node's inputs;
 *  - FusedMatMul, FusedGemm, FusedConv: the base op's own adapter
 *    (ref_exec_MatMul, _Gemm, _Conv, reading the node's attributes) on the
 *    first inputs, written into the output, then the body on that product and
 *    the remaining inputs.
 * The body's result is copied into the output the caller allocated rather
 * than swapped in: that output may be a planned workspace slot, or the
 * compiled code's own buffer when the JIT falls back to this node
 * (ref_eval_node, where c->ex is NULL; the body refers to nothing outside
 * itself, so it needs no parent executor). */
#include "ref.h"
#include <string.h>

static ir_graph *body_of(ref_ctx *c, int nops) {
  const ir_attr *a = ir_attr_get(c->node, "body");
  ir_graph *body = a && a->kind == IR_ATTR_GRAPH ? a->g : NULL;
  if (!body || body->noutputs != 1 || body->ninputs != nops) return NULL;
  return body;
}

/* Runs body on ins[0..nin) into c->out[0]. */
static kn_status run_body(ref_ctx *c, ir_graph *body, int nin, const kn_tensor *const *ins) {
  kn_tensor res;
  KN_TRY(ref_run_subgraph(c, body, nin, ins, 1, &res));
  kn_tensor *y = &c->out[0];
  kn_status st = KN_OK;
  if (y->rank < 0) { /* no shape was known before the call: take the body's tensor */
    ref_release_out(c, 0);
    *y = res;
    return KN_OK;
  }
  bool same = res.dtype == y->dtype && res.rank == y->rank && res.nbytes == y->nbytes;
  for (int d = 0; same && d < y->rank; d++) same = res.dims[d] == y->dims[d];
  if (!same) st = ref_fail(c, KN_ESHAPE, "the body computed a tensor of another type or shape than the node's output");
  else if (res.nbytes > 0) memmove(y->data, res.data, (size_t)res.nbytes); /* the body may hand back an input */
  kn_tensor_free(&res);
  return st;
}

kn_status ref_exec_FusedElementwise(ref_ctx *c) {
  ir_graph *body = body_of(c, c->nin);
  if (!body) return ref_fail(c, KN_EINVAL, "needs a `body` graph with one input per node input and one output");
  return run_body(c, body, c->nin, c->in);
}

static kn_status exec_fused_product(ref_ctx *c) {
  int nprod = 0, base = ir_fused_base(c->node->op, c->nin, &nprod);
  const int nops = 1 + c->nin - nprod;
  ir_graph *body = base < 0 ? NULL : body_of(c, nops);
  if (!body) return ref_fail(c, KN_EINVAL, "needs a `body` graph with one input per epilogue operand and one output");
  if (c->out[0].rank < 0) return ref_fail(c, KN_ESHAPE, "the product's shape is unknown");
  ref_ctx pc = *c;
  pc.nin = nprod;
  KN_TRY(base == IR_OP_MatMul ? ref_exec_MatMul(&pc) : base == IR_OP_Gemm ? ref_exec_Gemm(&pc) : ref_exec_Conv(&pc));
  if (nops > 64) return ref_fail(c, KN_EUNSUPPORTED, "too many epilogue operands");
  const kn_tensor *ops[64];
  ops[0] = &c->out[0];
  for (int i = 1; i < nops; i++) ops[i] = c->in[nprod + i - 1];
  return run_body(c, body, nops, ops);
}

kn_status ref_exec_FusedMatMul(ref_ctx *c) { return exec_fused_product(c); }
kn_status ref_exec_FusedGemm(ref_ctx *c) { return exec_fused_product(c); }
kn_status ref_exec_FusedConv(ref_ctx *c) { return exec_fused_product(c); }
