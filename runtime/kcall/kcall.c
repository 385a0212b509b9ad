/* kcall.c: the table of kernel-call plans generated from ops.def, and the
 * helpers the plans share (kcall.h). */
#include "kcall.h"
#include <stdlib.h>
#include <string.h>

/* k_call.h numbers dtypes as kiln (and ONNX) do */
_Static_assert((int)KK_F32 == (int)KN_F32, "k_call.h: KK_F32");
_Static_assert((int)KK_F64 == (int)KN_F64, "k_call.h: KK_F64");
_Static_assert((int)KK_F16 == (int)KN_F16, "k_call.h: KK_F16");
_Static_assert((int)KK_BF16 == (int)KN_BF16, "k_call.h: KK_BF16");
_Static_assert((int)KK_I8 == (int)KN_I8, "k_call.h: KK_I8");
_Static_assert((int)KK_U8 == (int)KN_U8, "k_call.h: KK_U8");
_Static_assert((int)KK_I16 == (int)KN_I16, "k_call.h: KK_I16");
_Static_assert((int)KK_U16 == (int)KN_U16, "k_call.h: KK_U16");
_Static_assert((int)KK_I32 == (int)KN_I32, "k_call.h: KK_I32");
_Static_assert((int)KK_U32 == (int)KN_U32, "k_call.h: KK_U32");
_Static_assert((int)KK_I64 == (int)KN_I64, "k_call.h: KK_I64");
_Static_assert((int)KK_U64 == (int)KN_U64, "k_call.h: KK_U64");
_Static_assert((int)KK_BOOL == (int)KN_BOOL, "k_call.h: KK_BOOL");

#define K(plan) plan
#define LK(fn, plan) plan
#define L(fn) NULL
#define L0 NULL
static const kc_plan_fn plans[IR_OP_COUNT] = {
#define OP(name, dom, since, form, pat, lower, mi, ma, mo, mao, inf) [IR_OP_##name] = lower,
#include "ops.def"
#undef OP
};
#undef K
#undef LK
#undef L
#undef L0

kc_plan_fn kc_plan_for(ir_op op) { return (unsigned)op < IR_OP_COUNT ? plans[op] : NULL; }

void kc_plan_free(kc_plan *p) {
  free(p->params);
  memset(p, 0, sizeof *p);
}

void *kc_params(kn_ctx *kn, kc_plan *p, const char *fn, size_t bytes) {
  p->fn = fn;
  p->params = calloc(1, bytes);
  p->nparams = bytes;
  if (!p->params) kn_fail(kn, KN_ENOMEM, "out of memory");
  return p->params;
}

const ir_type *kc_in(const ir_graph *g, const ir_node *n, int i) {
  return i < n->nin && n->in[i] != IR_NONE ? &g->values[n->in[i]].type : NULL;
}

const ir_type *kc_out(const ir_graph *g, const ir_node *n, int i) {
  return i < n->nout && n->out[i] != IR_NONE ? &g->values[n->out[i]].type : NULL;
}

const kn_tensor *kc_const(const ir_graph *g, const ir_node *n, int i) {
  return i < n->nin && n->in[i] != IR_NONE ? g->values[n->in[i]].constant : NULL;
}

kn_status kc_decline(kn_ctx *kn, const ir_node *n, const char *why) {
  return kn_fail(kn, KN_EUNSUPPORTED, "node %s (%s): %s", n->name, ir_op_table[n->op].name, why);
}

bool kc_native(int dt) {
  switch (dt) {
  case KN_F32: case KN_F64: case KN_I8: case KN_U8: case KN_I16: case KN_U16:
  case KN_I32: case KN_U32: case KN_I64: case KN_U64: case KN_BOOL: return true;
  default: return false;
  }
}

bool kc_axis_view(const ir_type *x, int64_t axis, int64_t *outer, int64_t *n, int64_t *inner) {
  if (x->rank < 1 || axis < -x->rank || axis >= x->rank) return false;
  int a = (int)(axis < 0 ? axis + x->rank : axis);
  *outer = kn_dims_numel(a, x->dims);
  *n = x->dims[a];
  *inner = kn_dims_numel(x->rank - a - 1, x->dims + a + 1);
  return true;
}
