/* ops.c: the op table generated from ops.def, and the lookups that ask it
 * (the importer's op map with its domain and opset checks). */
#include "ir.h"
#include <string.h>

/* the lowering column as {generated code, kernel call} */
#define L(fn) true, false
#define K(plan) false, true
#define LK(fn, plan) true, true
#define L0 false, false
const ir_op_info ir_op_table[IR_OP_COUNT] = {
#define OP(name, dom, since, form, pat, lower, mi, ma, mo, mao, inf) \
  {#name, IR_DOMAIN_##dom, since, form, IR_PAT_##pat, lower, mi, ma, mo, mao},
#include "ops.def"
#undef OP
};
#undef L
#undef K
#undef LK
#undef L0

/* internal ops carry no ONNX opsets; ONNX ops a valid range */
#define OP(name, dom, since, form, pat, lower, mi, ma, mo, mao, inf)                                   \
  _Static_assert(IR_DOMAIN_##dom == IR_DOMAIN_INTERNAL                                                 \
                     ? (since) == 0 && (form) == 0                                                     \
                     : (since) >= IR_ONNX_OPSET_MIN && (since) <= (form) && (form) <= IR_ONNX_OPSET_MAX, \
                 "ops.def: bad opsets for " #name);
#include "ops.def"
#undef OP

/* the operands whose values shape each op's outputs (SHAPED_BY rows) */
const uint32_t ir_op_shape_inputs[IR_OP_COUNT] = {
#define OP(name, dom, since, form, pat, lower, mi, ma, mo, mao, inf)
#define SHAPED_BY(name, mask) [IR_OP_##name] = (mask),
#include "ops.def"
#undef SHAPED_BY
#undef OP
};

/* what the passes may do with each op (OP_FLAGS rows) */
const uint32_t ir_op_flags[IR_OP_COUNT] = {
#define OP(name, dom, since, form, pat, lower, mi, ma, mo, mao, inf)
#define FUSED_LOOP IR_OPF_FUSED_LOOP
#define BLOCKED_OK IR_OPF_BLOCKED_OK
#define OP_FLAGS(name, flags) [IR_OP_##name] = (flags),
#include "ops.def"
#undef OP_FLAGS
#undef BLOCKED_OK
#undef FUSED_LOOP
#undef OP
};

const char *const ir_op_domain_names[IR_NDOMAINS] = {"ai.onnx", "internal"};
const char *const ir_op_pattern_names[IR_NPATTERNS] = {"elemwise", "broadcast", "convert", "view",
                                                        "move",     "reduce",    "opaque",  "control"};

int ir_op_from_name(const char *name) {
  for (int i = 0; i < IR_OP_COUNT; i++)
    if (strcmp(ir_op_table[i].name, name) == 0) return i;
  return -1;
}

int ir_op_from_onnx(kn_ctx *kn, const char *node, const char *op_type, int opset) {
  int op = ir_op_from_name(op_type);
  if (op < 0) {
    kn_fail(kn, KN_EUNSUPPORTED, "node %s: unsupported op %s (opset %d)", node, op_type, opset);
    return -1;
  }
  const ir_op_info *o = &ir_op_table[op];
  if (o->domain != IR_DOMAIN_ONNX) {
    kn_fail(kn, KN_EUNSUPPORTED, "node %s: op %s is internal to kiln, not an ONNX op; an ONNX file cannot use it",
            node, op_type);
    return -1;
  }
  if (opset < o->since) {
    kn_fail(kn, KN_EUNSUPPORTED, "node %s: op %s does not exist in opset %d (ONNX added it in opset %d)", node,
            op_type, opset, o->since);
    return -1;
  }
  return op;
}
