/* plan_elementwise.c: kernel-call plans (kcall.h) of the binary broadcasting
 * family (one plan for Add ... Mean, Pow, Mod, PRelu, BitShift) and of
 * Dropout. The binary plan makes what the reference adapter makes at run
 * time (runtime/ref/exec_elementwise.c): the compute dtype (f16/bf16 widen to
 * f32; Pow with an exponent of another dtype computes in i64 or f64 and casts
 * back), and one broadcast loop plan per fold step (ir/broadcast_plan.c), so
 * the thunk only converts and calls the kernel. */
#include "plan_cvt.h"
#include "k_elementwise.h"
#include <string.h>

_Static_assert(KK_MAX_RANK == KN_MAX_RANK, "k_call_nn.h plans use kiln's rank limit");

static bool numeric(int dt) { return kn_dtype_is_float(dt) || kn_dtype_is_int(dt); }

/* The dtype the adapter computes in, or 0 when it refuses the dtypes. */
static int compute_dtype(const ir_graph *g, const ir_node *n, int op, int ydt) {
  const int wy = kc_widen(ydt);
  if (op == KK_EW_POW && n->nin == 2) { /* the exponent may have another dtype */
    int a = kc_in(g, n, 0)->dtype, b = kc_in(g, n, 1)->dtype, wa = kc_widen(a), wb = kc_widen(b);
    if (wa != wy) return 0;
    return wa == wb ? wa : kn_dtype_is_int(a) && kn_dtype_is_int(b) ? KN_I64 : KN_F64;
  }
  for (int i = 0; i < n->nin; i++)
    if (kc_widen(kc_in(g, n, i)->dtype) != wy) return 0;
  return wy;
}

kn_status kc_plan_binary(kn_ctx *kn, const ir_graph *g, const ir_node *n, kc_plan *p) {
  int mean = n->op == IR_OP_Mean, op = ir_binary_kernel_code(n);
  const ir_type *y = kc_out(g, n, 0);
  if (op < 0 || !kc_concrete(y) || n->nin < 1) return kc_decline(kn, n, "not a binary op with a static output");
  for (int i = 0; i < n->nin; i++) {
    const ir_type *t = kc_in(g, n, i);
    if (!kc_concrete(t) || !numeric(t->dtype)) return kc_decline(kn, n, "an input is missing, not numeric or not static");
  }
  if (!numeric(y->dtype)) return kc_decline(kn, n, "the output is not numeric");
  if ((op == KK_EW_SHL || op == KK_EW_SHR) &&
      !(y->dtype == KN_U8 || y->dtype == KN_U16 || y->dtype == KN_U32 || y->dtype == KN_U64))
    return kc_decline(kn, n, "BitShift needs unsigned integers");
  const int ct = compute_dtype(g, n, op, y->dtype), nin = n->nin;
  if (!ct) return kc_decline(kn, n, "the inputs' dtypes differ from the output's");
  if (kc_in_slots(n) != nin) return kc_decline(kn, n, "an optional input is absent"); /* y is buf[nin] */
  const int64_t count = ir_type_numel(y);
  const ir_type *in0 = kc_in(g, n, 0);
  if (nin == 1 && (in0->dtype != y->dtype || ir_type_numel(in0) != count))
    return kc_decline(kn, n, "the single input does not match the output");
  kk_binary_params *q = kc_params(kn, p, "kk_call_binary", sizeof *q + (size_t)nin * sizeof q->in[0]);
  if (!q) return KN_ENOMEM;
  q->op = op, q->ct = ct, q->nin = nin, q->mean = mean, q->count = count;
  if (nin == 1) {
    q->copy_bytes = count * (int64_t)kn_dtype_size(y->dtype);
    return KN_OK;
  }
  if (count == 0) return KN_OK; /* nothing to compute, and nothing to plan */
  for (int i = 0; i < nin; i++) {
    const ir_type *t = kc_in(g, n, i), *a = i == 1 ? in0 : y;
    q->in[i].cv = kc_cvt(p, t->dtype, ct, ir_type_numel(t));
    if (i == 0) continue;
    ir_bcast_plan bp;
    const int ranks[2] = {a->rank, t->rank};
    const int64_t *dims[2] = {a->dims, t->dims};
    if (ir_bcast_plan_make(y->rank, y->dims, 2, ranks, dims, &bp) >= 0)
      return kc_decline(kn, n, "an input does not broadcast to the output");
    kk_bcast_pair *s = &q->in[i].pair;
    s->rank = bp.rank;
    memcpy(s->dims, bp.dims, sizeof s->dims);
    memcpy(s->sa, bp.st[0], sizeof s->sa);
    memcpy(s->sb, bp.st[1], sizeof s->sb);
  }
  q->y_mid = kc_cvt(p, kc_widen(y->dtype), ct, count);
  q->y_out = kc_cvt(p, y->dtype, kc_widen(y->dtype), count);
  return KN_OK;
}

/* Dropout whose training flag is known only at run time (the generated
 * code takes the constant ones): the thunk checks it. */
kn_status kc_plan_Dropout(kn_ctx *kn, const ir_graph *g, const ir_node *n, kc_plan *p) {
  const ir_type *x = kc_in(g, n, 0), *y = kc_out(g, n, 0), *r = kc_in(g, n, 1), *t = kc_in(g, n, 2);
  const ir_type *m = kc_out(g, n, 1);
  if (!kc_concrete(x) || !kc_concrete(y) || x->dtype != y->dtype || ir_type_numel(x) != ir_type_numel(y))
    return kc_decline(kn, n, "the output does not match the input");
  if ((r && (!kc_concrete(r) || !(kc_native(r->dtype) || kc_half(r->dtype)))) ||
      (t && (!kc_concrete(t) || !(kc_native(t->dtype) || kc_half(t->dtype)))))
    return kc_decline(kn, n, "ratio and training_mode must be static numbers");
  if (m && (!kc_concrete(m) || m->dtype != KN_BOOL)) return kc_decline(kn, n, "the mask must be bool");
  kk_dropout_params *q = kc_params(kn, p, "kk_call_dropout", sizeof *q);
  if (!q) return KN_ENOMEM;
  *q = (kk_dropout_params){.ratio_dt = r && ir_type_numel(r) >= 1 ? r->dtype : 0,
                           .train_dt = t && ir_type_numel(t) >= 1 ? t->dtype : 0,
                           .mask = m != NULL,
                           .nbytes = ir_type_numel(x) * (int64_t)kn_dtype_size(x->dtype),
                           .mask_n = m ? ir_type_numel(m) : 0};
  return KN_OK;
}
