/* kcall.c: the table of kernel-call plans generated from ops.def, and the
 * helpers the plans share (kcall.h). */
#include "kcall.h"
#include <stdlib.h>
#include <string.h>

/* k_call.h numbers dtypes as kiln (and ONNX) do */
#define SAME_DTYPE(X) _Static_assert((int)KK_##X == (int)KN_##X, "k_call.h: KK_" #X);
SAME_DTYPE(F32) SAME_DTYPE(F64) SAME_DTYPE(F16) SAME_DTYPE(BF16) SAME_DTYPE(I8) SAME_DTYPE(U8) SAME_DTYPE(I16)
SAME_DTYPE(U16) SAME_DTYPE(I32) SAME_DTYPE(U32) SAME_DTYPE(I64) SAME_DTYPE(U64) SAME_DTYPE(BOOL)
#undef SAME_DTYPE

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
  return ir_node_fail(kn, n, KN_EUNSUPPORTED, "%s", why);
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
