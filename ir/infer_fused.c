/* infer_fused.c: shape inference for the fused nodes: FusedElementwise, the
 * node a chain of elementwise ops becomes (passes/fuse_elementwise.c), and
 * FusedMatMul/FusedGemm/FusedConv, a GEMM or convolution with such a chain as
 * its epilogue (passes/fuse_matmul.c, fuse_conv.c). Their `body` attribute is
 * a graph whose inputs stand 1:1 for the body's operands and whose one output
 * is the node's output; the body was typed when it was built, so inference
 * only checks that the operands still match the body's inputs (a rewrite that
 * changed an input's shape behind the fused node would otherwise compute
 * garbage) and takes the output type from the body. Body dims that are
 * symbolic (a body written by hand in the text form) are checked by rank only,
 * and the output dims they leave open come from broadcasting the operands,
 * which is what a graph of elementwise ops computes.
 *
 * A fused product's operands are the base op's result (inferred by the base
 * op's own function on the node's first inputs, with the node's attributes)
 * followed by the node's remaining inputs; its output must have the result's
 * shape (an epilogue never broadcasts the product up), which is what lets the
 * code generator apply it in place on the product's tiles. */
#include "ir.h"
#include <string.h>

int ir_fused_base(ir_op op, int nin, int *nprod) {
  int base = -1, want = 0;
  switch (op) {
  case IR_OP_FusedMatMul: base = IR_OP_MatMul, want = 2; break;
  case IR_OP_FusedGemm: base = IR_OP_Gemm, want = 3; break;
  case IR_OP_FusedConv: base = IR_OP_Conv, want = 3; break;
  default: return -1;
  }
  *nprod = nin < want ? nin : want;
  return base;
}

static ir_graph *body_of(ir_infer_ctx *c) {
  const ir_attr *a = ir_attr_get(c->node, "body");
  return a && a->kind == IR_ATTR_GRAPH ? a->g : NULL;
}

/* Checks the operand types in[0..nin) against body's inputs and fills *out. */
static kn_status check_body(ir_infer_ctx *c, ir_graph *body, int nin, const ir_type *const *in, ir_type *out) {
  if (!body) return ir_infer_fail(c, KN_EINVAL, "needs a `body` graph attribute");
  if (body->ninputs != nin || body->noutputs != 1)
    return ir_infer_fail(c, KN_EINVAL,
                         "body %s has %d inputs and %d outputs; the node gives it %d operands and has 1 output",
                         body->name, body->ninputs, body->noutputs, nin);
  /* a body parsed from text arrives untyped: type it once from its declared inputs */
  if (body->values[body->outputs[0]].type.dtype == KN_UNDEF) {
    kn_status st = ir_infer_graph(body);
    if (st != KN_OK) {
      kn_prefix(c->kn, "node %s (%s) body: ", c->node->name, ir_op_table[c->node->op].name);
      return st;
    }
  }
  ir_type bc = {0};
  for (int i = 0; i < nin; i++) {
    const ir_type *t = in[i], *bt = &body->values[body->inputs[i]].type;
    const char *bname = body->values[body->inputs[i]].name;
    if (!t) return ir_infer_fail(c, KN_EINVAL, "operand %d is missing", i);
    if (t->dtype != bt->dtype)
      return ir_infer_fail(c, KN_ETYPE, "operand %d is %s but the body's input '%s' is %s", i, kn_dtype_name(t->dtype),
                           bname, kn_dtype_name(bt->dtype));
    if (t->rank >= 0 && bt->rank >= 0 && t->rank != bt->rank)
      return ir_infer_fail(c, KN_ESHAPE, "operand %d has rank %d but the body's input '%s' has rank %d", i, t->rank,
                           bname, bt->rank);
    for (int d = 0; t->rank >= 0 && d < t->rank && d < bt->rank; d++)
      if (t->dims[d] >= 0 && bt->dims[d] >= 0 && t->dims[d] != bt->dims[d])
        return ir_infer_fail(c, KN_ESHAPE, "operand %d dim %d is %lld but the body's input '%s' has %lld", i, d,
                             (long long)t->dims[d], bname, (long long)bt->dims[d]);
    if (i == 0) bc = *t;
    else {
      ir_type r = {0};
      KN_TRY(ir_broadcast_dims(c, &bc, t, &r));
      bc = r;
    }
  }
  /* the body's dims live in its own symbol space: keep only its concrete ones */
  const ir_type *bo = &body->values[body->outputs[0]].type;
  *out = *bo;
  if (bo->rank < 0 || bo->rank == bc.rank) {
    out->rank = bc.rank;
    for (int d = 0; d < out->rank; d++)
      if (bo->rank < 0 || bo->dims[d] < 0) out->dims[d] = bc.dims[d];
  } else if (!ir_type_is_concrete(bo)) {
    return ir_infer_fail(c, KN_ESHAPE, "the body's output has rank %d but the operands broadcast to rank %d", bo->rank,
                         bc.rank);
  }
  out->dtype = bo->dtype;
  return KN_OK;
}

kn_status ir_infer_fused_elementwise(ir_infer_ctx *c) { return check_body(c, body_of(c), c->nin, c->in, &c->out[0]); }

kn_status ir_infer_fused_product(ir_infer_ctx *c) {
  int nprod = 0, base = ir_fused_base(c->node->op, c->nin, &nprod);
  if (base < 0) return ir_infer_fail(c, KN_EINTERNAL, "is not a fused product");
  /* the base op's result, from its own inference on the first inputs */
  ir_type prod = {0};
  ir_infer_ctx pc = *c;
  pc.nin = nprod;
  pc.nout = 1;
  pc.out = &prod;
  for (int i = 0; i < 2; i++)
    if (!c->in[i]) return ir_infer_fail(c, KN_EINVAL, "required input %d is missing", i);
  KN_TRY(base == IR_OP_MatMul ? ir_infer_matmul(&pc) : base == IR_OP_Gemm ? ir_infer_gemm(&pc) : ir_infer_conv(&pc));
  const ir_type *ops[KN_MAX_RANK * 8];
  const int nops = 1 + c->nin - nprod;
  if (nops > (int)(sizeof ops / sizeof ops[0])) return ir_infer_fail(c, KN_EUNSUPPORTED, "too many epilogue operands");
  ops[0] = &prod;
  for (int i = 1; i < nops; i++) ops[i] = c->in[nprod + i - 1];
  KN_TRY(check_body(c, body_of(c), nops, ops, &c->out[0]));
  const ir_type *y = &c->out[0];
  bool same = prod.rank < 0 || y->rank < 0 || prod.rank == y->rank;
  for (int d = 0; same && prod.rank >= 0 && d < prod.rank; d++)
    same = prod.dims[d] < 0 || y->dims[d] < 0 || prod.dims[d] == y->dims[d];
  if (!same) return ir_infer_fail(c, KN_ESHAPE, "the epilogue's operands broadcast the product to another shape");
  return KN_OK;
}
