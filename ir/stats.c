/* stats.c: model statistics for `kiln inspect` and `kiln bench`: parameter
 * count (elements of float constants) and multiply-accumulates per node,
 * computed from inferred shapes (symbolic dims count as 1). */
#include "ir.h"

int64_t ir_graph_params(const ir_graph *g) {
  int64_t n = 0;
  for (int32_t v = 0; v < g->nvalues; v++)
    if (g->values[v].constant && kn_dtype_is_float(g->values[v].constant->dtype))
      n += kn_tensor_numel(g->values[v].constant);
  return n;
}

static int64_t dim(const ir_type *t, int i) {
  if (i < 0) i += t->rank;
  return i >= 0 && i < t->rank && t->dims[i] > 0 ? t->dims[i] : 1;
}

static int64_t numel(const ir_type *t) {
  int64_t n = 1;
  for (int i = 0; i < t->rank; i++) n *= dim(t, i);
  return n;
}

int64_t ir_node_macs(const ir_graph *g, const ir_node *n) {
  if (n->nin < 2 || n->nout < 1 || n->in[0] == IR_NONE || n->in[1] == IR_NONE || n->out[0] == IR_NONE) return 0;
  const ir_type *a = &g->values[n->in[0]].type, *b = &g->values[n->in[1]].type, *o = &g->values[n->out[0]].type;
  if (a->rank < 0 || b->rank < 0 || o->rank < 0) return 0;
  switch (n->op) {
  case IR_OP_MatMul: case IR_OP_FusedMatMul: return numel(o) * dim(a, -1); /* a fused epilogue is not counted */
  case IR_OP_Gemm: case IR_OP_FusedGemm: return numel(o) * (ir_attr_i(n, "transA") ? dim(a, 0) : dim(a, 1));
  case IR_OP_Conv: case IR_OP_FusedConv: { /* out elements x (Cin/group x kernel) */
    int64_t k = 1;
    for (int i = 1; i < b->rank; i++) k *= dim(b, i);
    return numel(o) * k;
  }
  case IR_OP_ConvNCHWc: { /* padded lanes included: what the blocked convolution computes */
    int64_t k = 1;
    for (int i = 1; i < b->rank - 1; i++) k *= dim(b, i); /* [Mb, Cb, KH, KW, b, b] or [Cb, KH, KW, b] */
    return numel(o) * k;
  }
  case IR_OP_ConvTranspose: {
    int64_t k = 1;
    for (int i = 1; i < b->rank; i++) k *= dim(b, i);
    return numel(a) * k;
  }
  case IR_OP_Attention: { /* the two products it replaced: Q K^T and P V */
    if (n->nin < 3 || n->in[2] == IR_NONE) return 0;
    const ir_type *v = &g->values[n->in[2]].type;
    const ir_type *m = n->nin > 3 && n->in[3] != IR_NONE ? &g->values[n->in[3]].type : NULL;
    ir_att_geo ag;
    if (!ir_type_is_concrete(a) || !ir_type_is_concrete(b) || !ir_type_is_concrete(v) || (m && !ir_type_is_concrete(m)) ||
        ir_attention_geo(g->ctx, n, a, b, v, m, &ag) != KN_OK)
      return 0;
    return ag.B * ag.H * ag.S * ag.T * (ag.D + ag.Dv);
  }
  default: return 0;
  }
}
