/* infer_fused.c: shape inference for FusedElementwise, the node a chain of
 * elementwise ops becomes (passes/fuse_elementwise.c). Its `body` attribute is
 * a graph whose inputs stand 1:1 for the node's inputs and whose one output is
 * the node's output; the body was typed when it was built, so inference only
 * checks that the node's inputs still match the body's (a rewrite that changed
 * an input's shape behind the fused node would otherwise compute garbage) and
 * takes the output type from the body. Body dims that are symbolic (a body
 * written by hand in the text form) are checked by rank only, and the output
 * dims they leave open come from broadcasting the node's inputs, which is what
 * a graph of elementwise ops computes. */
#include "ir.h"
#include <string.h>

kn_status ir_infer_fused_elementwise(ir_infer_ctx *c) {
  const ir_attr *a = ir_attr_get(c->node, "body");
  ir_graph *body = a && a->kind == IR_ATTR_GRAPH ? a->g : NULL;
  if (!body) return ir_infer_fail(c, KN_EINVAL, "needs a `body` graph attribute");
  if (body->ninputs != c->nin || body->noutputs != 1)
    return ir_infer_fail(c, KN_EINVAL, "body %s has %d inputs and %d outputs; the node has %d inputs and 1 output",
                         body->name, body->ninputs, body->noutputs, c->nin);
  /* a body parsed from text arrives untyped: type it once from its declared inputs */
  if (body->values[body->outputs[0]].type.dtype == KN_UNDEF) {
    kn_status st = ir_infer_graph(body);
    if (st != KN_OK) {
      kn_prefix(c->kn, "node %s (%s) body: ", c->node->name, ir_op_table[c->node->op].name);
      return st;
    }
  }
  ir_type bc = {0};
  for (int i = 0; i < c->nin; i++) {
    const ir_type *t = c->in[i], *bt = &body->values[body->inputs[i]].type;
    if (!t) return ir_infer_fail(c, KN_EINVAL, "input %d is missing", i);
    if (t->dtype != bt->dtype)
      return ir_infer_fail(c, KN_ETYPE, "input %d is %s but the body's input '%s' is %s", i, kn_dtype_name(t->dtype),
                           body->values[body->inputs[i]].name, kn_dtype_name(bt->dtype));
    if (t->rank >= 0 && bt->rank >= 0 && t->rank != bt->rank)
      return ir_infer_fail(c, KN_ESHAPE, "input %d has rank %d but the body's input '%s' has rank %d", i, t->rank,
                           body->values[body->inputs[i]].name, bt->rank);
    for (int d = 0; t->rank >= 0 && d < t->rank && d < bt->rank; d++)
      if (t->dims[d] >= 0 && bt->dims[d] >= 0 && t->dims[d] != bt->dims[d])
        return ir_infer_fail(c, KN_ESHAPE, "input %d dim %d is %lld but the body's input '%s' has %lld", i, d,
                             (long long)t->dims[d], body->values[body->inputs[i]].name, (long long)bt->dims[d]);
    if (i == 0) bc = *t;
    else {
      ir_type r = {0};
      KN_TRY(ir_broadcast_dims(c, &bc, t, &r));
      bc = r;
    }
  }
  /* the body's dims live in its own symbol space: keep only its concrete ones */
  const ir_type *bo = &body->values[body->outputs[0]].type;
  ir_type out = *bo;
  if (bo->rank < 0 || bo->rank == bc.rank) {
    out.rank = bc.rank;
    for (int d = 0; d < out.rank; d++)
      if (bo->rank < 0 || bo->dims[d] < 0) out.dims[d] = bc.dims[d];
  } else if (!ir_type_is_concrete(bo)) {
    return ir_infer_fail(c, KN_ESHAPE, "the body's output has rank %d but the inputs broadcast to rank %d", bo->rank,
                         bc.rank);
  }
  out.dtype = bo->dtype;
  c->out[0] = out;
  return KN_OK;
}
