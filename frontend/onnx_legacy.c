/* onnx_legacy.c: the importer table. Maps ONNX op types to IR ops and rewrites
 * the older opset forms (attributes that later opsets turned into inputs,
 * renamed ops, changed defaults) into kiln's IR form, which is always the
 * newest ONNX form, so the rest of kiln knows one form per op. */
#include "onnx_proto.h"
#include <string.h>

/* ONNX ops that later opsets removed, imported as the IR op that replaced
 * them (onnx_upgrade_node converts the form); every other op type is looked
 * up in ops.def, which refuses internal ops and ops newer than the model. */
static const struct {
  const char *name;
  int since, until;
  ir_op op;
} removed_ops[] = {
    {"Upsample", 7, 9, IR_OP_Resize},
    {"Scatter", 9, 10, IR_OP_ScatterElements},
};

int onnx_map_op(kn_ctx *kn, const char *node, const char *op_type, int opset) {
  for (size_t i = 0; i < sizeof removed_ops / sizeof removed_ops[0]; i++)
    if (strcmp(op_type, removed_ops[i].name) == 0) {
      if (opset >= removed_ops[i].since && opset <= removed_ops[i].until) return (int)removed_ops[i].op;
      kn_fail(kn, KN_EUNSUPPORTED, "node %s: op %s exists only in opsets %d to %d, not in opset %d", node, op_type,
              removed_ops[i].since, removed_ops[i].until, opset);
      return -1;
    }
  return ir_op_from_onnx(kn, node, op_type, opset);
}

/* Appends constant inputs to node `id` (absent ones as IR_NONE). */
static kn_status set_inputs(ir_graph *g, ir_id id, int nin, const ir_id *in) {
  ir_node *n = &g->nodes[id];
  ir_id *na = ir_arena_alloc(&g->arena, sizeof(ir_id) * (size_t)(nin > 0 ? nin : 1));
  if (!na) return kn_fail(g->ctx, KN_ENOMEM, "out of memory");
  for (int i = 0; i < nin; i++) na[i] = in[i];
  n->in = na;
  n->nin = nin;
  return KN_OK;
}

static ir_id const_i64(ir_graph *g, const int64_t *v, int n, bool scalar) {
  kn_tensor t;
  int64_t d = n;
  if (kn_tensor_alloc(g->ctx, &t, KN_I64, scalar ? 0 : 1, &d) != KN_OK) return IR_NONE;
  if (n) memcpy(t.data, v, sizeof(int64_t) * (size_t)n);
  return ir_const_new(g, NULL, &t);
}

static ir_id const_f32(ir_graph *g, const float *v, int n, bool scalar) {
  kn_tensor t;
  int64_t d = n;
  if (kn_tensor_alloc(g->ctx, &t, KN_F32, scalar ? 0 : 1, &d) != KN_OK) return IR_NONE;
  if (n) memcpy(t.data, v, sizeof(float) * (size_t)n);
  return ir_const_new(g, NULL, &t);
}

/* Removes an attribute by name (keeps the IR free of the legacy spelling). */
static void drop_attr(ir_node *n, const char *name) {
  for (int32_t i = 0; i < n->nattr; i++)
    if (strcmp(n->attrs[i].name, name) == 0) {
      n->attrs[i] = n->attrs[n->nattr - 1];
      n->nattr--;
      return;
    }
}

/* attribute `name` (ints) -> input at position `pos` (earlier missing slots absent) */
static kn_status ints_attr_to_input(ir_graph *g, ir_id id, const char *name, int pos) {
  ir_node *n = &g->nodes[id];
  const ir_attr *a = ir_attr_get(n, name);
  if (!a) return KN_OK;
  if (a->kind != IR_ATTR_INTS && a->kind != IR_ATTR_INT)
    return kn_fail(g->ctx, KN_EINVAL, "node %s: attribute %s must be ints", n->name, name);
  ir_id c = a->kind == IR_ATTR_INTS ? const_i64(g, a->ints, a->n, false) : const_i64(g, &a->i, 1, false);
  if (c == IR_NONE) return KN_ENOMEM;
  n = &g->nodes[id];
  ir_id in[8];
  int nin = n->nin > pos + 1 ? n->nin : pos + 1;
  if (nin > 8) return kn_fail(g->ctx, KN_EINVAL, "node %s: too many inputs", n->name);
  for (int i = 0; i < nin; i++) in[i] = i < n->nin ? n->in[i] : IR_NONE;
  in[pos] = c;
  drop_attr(n, name);
  return set_inputs(g, id, nin, in);
}

kn_status onnx_upgrade_node(ir_graph *g, ir_id id, const char *op_type, int opset) {
  ir_node *n = &g->nodes[id];
  ir_op op = n->op;
  if (opset < 6) {
    /* before opset 6 these ops had attribute forms kiln does not convert */
    static const ir_op old_forms[] = {IR_OP_Reshape, IR_OP_Cast, IR_OP_Concat, IR_OP_Pad, IR_OP_Split,
                                      IR_OP_BatchNormalization, IR_OP_Gemm, IR_OP_Tile, IR_OP_Resize};
    for (size_t i = 0; i < sizeof old_forms / sizeof old_forms[0]; i++)
      if (op == old_forms[i])
        return kn_fail(g->ctx, KN_EUNSUPPORTED, "node %s (%s): the opset-%d form of this op is not supported",
                       n->name, op_type, opset);
  }
  if (opset < 7) {
    /* opset 6: binary ops broadcast only with broadcast=1; without `axis` that is
     * numpy's suffix alignment, which the IR does; an explicit axis is not. */
    if (ir_attr_int(n, "broadcast", 0) && ir_attr_get(n, "axis") && op != IR_OP_Concat && op != IR_OP_Softmax &&
        op != IR_OP_LogSoftmax && op != IR_OP_Hardmax && op != IR_OP_Flatten)
      return kn_fail(g->ctx, KN_EUNSUPPORTED, "node %s (%s): opset-6 broadcasting along an axis is not supported",
                     n->name, op_type);
    drop_attr(n, "broadcast");
    drop_attr(n, "is_test");
    drop_attr(n, "consumed_inputs");
  }
  /* the Reduce ops' axes became an input in their IR form's opset (ops.def) */
  if (ir_op_table[op].pattern == IR_PAT_REDUCE && ir_op_table[op].max_in == 2) {
    if (opset < ir_op_table[op].form) return ints_attr_to_input(g, id, "axes", 1);
    return KN_OK;
  }
  switch (op) {
  case IR_OP_Squeeze:
  case IR_OP_Unsqueeze:
    if (opset < 13) return ints_attr_to_input(g, id, "axes", 1);
    break;
  case IR_OP_Split:
    if (opset < 13) return ints_attr_to_input(g, id, "split", 1);
    break;
  case IR_OP_TopK:
    if (opset < 10) return ints_attr_to_input(g, id, "k", 1);
    break;
  case IR_OP_Slice:
    if (opset < 10) {
      /* Slice-1: starts/ends/axes attributes -> inputs 1..3 */
      KN_TRY(ints_attr_to_input(g, id, "starts", 1));
      KN_TRY(ints_attr_to_input(g, id, "ends", 2));
      KN_TRY(ints_attr_to_input(g, id, "axes", 3));
    }
    break;
  case IR_OP_Pad:
    if (opset < 11) {
      float value = ir_attr_float(n, "value", 0.0f);
      KN_TRY(ints_attr_to_input(g, id, "pads", 1));
      ir_id cv = const_f32(g, &value, 1, true);
      if (cv == IR_NONE) return KN_ENOMEM;
      n = &g->nodes[id];
      drop_attr(n, "value");
      ir_id in[3] = {n->in[0], n->in[1], cv};
      return set_inputs(g, id, 3, in);
    }
    break;
  case IR_OP_Clip:
    if (opset < 11) {
      const ir_attr *mn = ir_attr_get(n, "min"), *mx = ir_attr_get(n, "max");
      ir_id in[3] = {n->in[0], IR_NONE, IR_NONE};
      if (mn) {
        float v = ir_attr_float(n, "min", 0);
        if ((in[1] = const_f32(g, &v, 1, true)) == IR_NONE) return KN_ENOMEM;
      }
      n = &g->nodes[id];
      if (mx) {
        float v = ir_attr_float(n, "max", 0);
        if ((in[2] = const_f32(g, &v, 1, true)) == IR_NONE) return KN_ENOMEM;
      }
      n = &g->nodes[id];
      drop_attr(n, "min");
      drop_attr(n, "max");
      return set_inputs(g, id, 3, in);
    }
    break;
  case IR_OP_Softmax:
  case IR_OP_LogSoftmax:
  case IR_OP_Hardmax:
    if (opset < 13) {
      KN_TRY(ir_attr_set_int(g, n, "axis", ir_attr_int(n, "axis", 1)));
      return ir_attr_set_int(g, &g->nodes[id], "legacy_coerce_2d", 1);
    }
    break;
  case IR_OP_Dropout:
    if (opset < 12) drop_attr(n, "ratio");
    break;
  case IR_OP_BatchNormalization:
    drop_attr(n, "spatial");
    drop_attr(n, "is_test");
    drop_attr(n, "consumed_inputs");
    if (n->nout > 3) n->nout = 3; /* saved_mean/saved_var (opset < 14) are training-only */
    break;
  case IR_OP_Resize:
    if (strcmp(op_type, "Upsample") == 0) {
      /* Upsample-7: scales attribute; Upsample-9: scales input. Both are Resize
       * with asymmetric coordinates and floor rounding. */
      ir_id scales = n->nin > 1 ? n->in[1] : IR_NONE;
      const ir_attr *a = ir_attr_get(n, "scales");
      if (a && a->kind == IR_ATTR_FLOATS) {
        if ((scales = const_f32(g, a->floats, a->n, false)) == IR_NONE) return KN_ENOMEM;
        n = &g->nodes[id];
        drop_attr(n, "scales");
      }
      ir_id in[3] = {n->in[0], IR_NONE, scales};
      KN_TRY(set_inputs(g, id, 3, in));
      KN_TRY(ir_attr_set_string(g, &g->nodes[id], "coordinate_transformation_mode", "asymmetric", 10));
      return ir_attr_set_string(g, &g->nodes[id], "nearest_mode", "floor", 5);
    }
    if (opset < 11) {
      ir_id in[3] = {n->in[0], IR_NONE, n->nin > 1 ? n->in[1] : IR_NONE};
      KN_TRY(set_inputs(g, id, 3, in));
      KN_TRY(ir_attr_set_string(g, &g->nodes[id], "coordinate_transformation_mode", "asymmetric", 10));
      return ir_attr_set_string(g, &g->nodes[id], "nearest_mode", "floor", 5);
    }
    break;
  default:
    break;
  }
  return KN_OK;
}
