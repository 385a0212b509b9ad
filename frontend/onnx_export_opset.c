/* onnx_export_opset.c: which ONNX opsets can express a graph. kiln's IR form of
 * each op is the newest ONNX form (attributes that later opsets made inputs are
 * inputs), so each op needs at least the opset that introduced that form, and
 * some attributes or operand shapes need a later one (or, for
 * GroupNormalization's per-group scale, an earlier one). Each op's base
 * opset and whether ONNX has it at all come from ir/ops.def; a kiln-internal
 * op (FusedElementwise and the other fusion products) is refused with the
 * node's name. */
#include "onnx_proto.h"
#include <stdio.h>
#include <string.h>

/* The opset where the op got the signature (inputs, attributes) kiln's IR
 * uses (ops.def's `form`); -1 for kiln-internal ops, which ONNX lacks. */
static int op_form_opset(ir_op op) {
  return ir_op_table[op].domain == IR_DOMAIN_ONNX ? ir_op_table[op].form : -1;
}

bool onnx_op_exportable(ir_op op) { return op_form_opset(op) > 0; }

static bool attr_is(const ir_node *n, const char *name, const char *value) {
  const ir_attr *a = ir_attr_get(n, name);
  return a && a->kind == IR_ATTR_STRING && a->s && (size_t)a->n == strlen(value) && memcmp(a->s, value, (size_t)a->n) == 0;
}

static void raise_lo(onnx_opset_need *need, int v, const ir_node *n, const char *why) {
  if (v <= need->lo) return;
  need->lo = v;
  snprintf(need->lo_by, sizeof need->lo_by, "node %s (%s%s%s)", n->name ? n->name : "?", ir_op_table[n->op].name,
           why ? ": " : "", why ? why : "");
}

static void lower_hi(onnx_opset_need *need, int v, const ir_node *n, const char *why) {
  if (v >= need->hi) return;
  need->hi = v;
  snprintf(need->hi_by, sizeof need->hi_by, "node %s (%s: %s)", n->name ? n->name : "?", ir_op_table[n->op].name, why);
}

static const ir_type *in_type(const ir_graph *g, const ir_node *n, int i) {
  return i < n->nin && n->in[i] != IR_NONE ? &g->values[n->in[i]].type : NULL;
}

/* What one node's attributes and operands add to its op's requirement. */
static void node_need(const ir_graph *g, const ir_node *n, onnx_opset_need *need) {
  raise_lo(need, op_form_opset(n->op), n, NULL);
  switch (n->op) {
  case IR_OP_ReduceMax:
  case IR_OP_ReduceMin: {
    const ir_type *t = in_type(g, n, 0);
    if (t && t->dtype == KN_BOOL) raise_lo(need, 20, n, "bool input");
    break;
  }
  case IR_OP_Split:
    if (ir_attr_get(n, "num_outputs")) raise_lo(need, 18, n, "num_outputs");
    break;
  case IR_OP_ScatterND:
  case IR_OP_ScatterElements:
    if (attr_is(n, "reduction", "min") || attr_is(n, "reduction", "max")) raise_lo(need, 18, n, "reduction min/max");
    break;
  case IR_OP_Pad:
    if (n->nin >= 4 && n->in[3] != IR_NONE) raise_lo(need, 18, n, "axes input");
    if (attr_is(n, "mode", "wrap")) raise_lo(need, 19, n, "mode wrap");
    break;
  case IR_OP_Resize:
    if (ir_attr_get(n, "antialias") || ir_attr_get(n, "axes") || ir_attr_get(n, "keep_aspect_ratio_policy"))
      raise_lo(need, 18, n, "antialias/axes/keep_aspect_ratio_policy");
    if (attr_is(n, "coordinate_transformation_mode", "half_pixel_symmetric"))
      raise_lo(need, 19, n, "half_pixel_symmetric");
    break;
  case IR_OP_AveragePool:
    if (ir_attr_get(n, "dilations")) raise_lo(need, 19, n, "dilations");
    break;
  case IR_OP_Cast:
  case IR_OP_CastLike:
    if (ir_attr_get(n, "saturate")) raise_lo(need, 19, n, "saturate");
    break;
  case IR_OP_QuantizeLinear:
  case IR_OP_DequantizeLinear:
    if (ir_attr_get(n, "saturate")) raise_lo(need, 19, n, "saturate");
    if (ir_attr_get(n, "block_size") || ir_attr_get(n, "output_dtype")) raise_lo(need, 21, n, "block_size/output_dtype");
    break;
  case IR_OP_GroupNormalization: {
    /* opset 18 scales per group, opset 21 per channel; kiln tells them apart
     * by the scale's length (both read the same when groups == channels) */
    const ir_type *x = in_type(g, n, 0), *s = in_type(g, n, 1);
    int64_t groups = ir_attr_int(n, "num_groups", 0);
    int64_t ch = x && x->rank >= 2 ? x->dims[1] : -1;
    int64_t len = s && s->rank == 1 ? s->dims[0] : -1;
    if (len >= 0 && ch >= 0 && ch != groups) {
      if (len == groups) lower_hi(need, 20, n, "scale per group (opset 21 scales per channel)");
      else raise_lo(need, 21, n, "scale per channel");
    }
    break;
  }
  default:
    break;
  }
}

static kn_status graph_need(kn_ctx *ctx, const ir_graph *g, onnx_opset_need *need) {
  for (int32_t i = 0; i < g->nnodes; i++) {
    const ir_node *n = &g->nodes[i];
    if (n->dead) continue;
    if (!onnx_op_exportable(n->op))
      return kn_fail(ctx, KN_EUNSUPPORTED,
                     "node %s: %s is a kiln-internal op with no ONNX form (export the graph before kiln's fusion "
                     "passes: -O0 or -O1)",
                     n->name ? n->name : "?", ir_op_table[n->op].name);
    node_need(g, n, need);
    for (int32_t k = 0; k < n->nattr; k++)
      if (n->attrs[k].kind == IR_ATTR_GRAPH && n->attrs[k].g) KN_TRY(graph_need(ctx, n->attrs[k].g, need));
  }
  return KN_OK;
}

kn_status onnx_export_opset_need(kn_ctx *ctx, const ir_graph *g, onnx_opset_need *need) {
  memset(need, 0, sizeof *need);
  need->lo = 1;
  need->hi = ONNX_MAX_OPSET;
  snprintf(need->hi_by, sizeof need->hi_by, "the newest opset kiln knows");
  return graph_need(ctx, g, need);
}
