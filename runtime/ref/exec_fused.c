/* exec_fused.c: FusedElementwise on the reference executor. The node's `body`
 * runs in a child executor (ref_run_subgraph) on the node's inputs, op by op
 * on the ordinary elementwise kernels, so the fused node computes exactly what
 * the chain it replaced did. The result is copied into the output the caller
 * allocated rather than swapped in: that output may be a planned workspace
 * slot, or the compiled code's own buffer when the JIT falls back to this node
 * (ref_eval_node, where c->ex is NULL; the body refers to nothing outside
 * itself, so it needs no parent executor). */
#include "ref.h"
#include <string.h>

kn_status ref_exec_FusedElementwise(ref_ctx *c) {
  const ir_attr *a = ir_attr_get(c->node, "body");
  ir_graph *body = a && a->kind == IR_ATTR_GRAPH ? a->g : NULL;
  if (!body || body->noutputs != 1 || body->ninputs != c->nin)
    return ref_fail(c, KN_EINVAL, "needs a `body` graph with one input per node input and one output");
  kn_tensor res;
  KN_TRY(ref_run_subgraph(c, body, c->nin, c->in, 1, &res));
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
  else if (res.nbytes > 0) memcpy(y->data, res.data, (size_t)res.nbytes);
  kn_tensor_free(&res);
  return st;
}
