/* cg_lower_attention.c: Attention (passes/fuse_attention.c) on the JIT. The work
 * is the kernel library's kk_attention_f32 (runtime/kernels/attention.c),
 * inlined with the node's geometry as a constant array so that every size and
 * stride is a compile-time constant in its vector loops.
 *
 * A node calls a driver `void kiln_attention_<geometry>(q, k, v, mask, y,
 * scratch, rt)`, named by everything it computes so that the equal layers of
 * a transformer share one. The driver hands the (batch, head) items to
 * cg_parallel_for (small nodes run on the caller, with the GEMM's threshold);
 * the body runs the kernel on a range of items. An item is computed the same
 * way whichever thread runs it, so results do not depend on --threads. The
 * kernel's scratch (a packed K^T and V, a row of scores) is one slot per item,
 * the slot of the first item of a range (gm's scheme: a thread number is not
 * known to the code); with one thread a single slot is allocated, the code
 * staying the same. When a slot per item would be too much memory, the pool
 * gets work units of a few items each, one slot per unit. */
#include "k_attention.h"
#include "lower_gemm.h"
#include <stdio.h>

enum { ACTX_Q, ACTX_K, ACTX_V, ACTX_M, ACTX_Y, ACTX_SCRATCH, ACTX_N };

/* Items are grouped into fewer work units when one scratch slot per item
 * would take more than this (long sequences with many heads). */
#define ATT_MAX_SLOTS_BYTES ((int64_t)32 << 20)

typedef struct att_plan {
  int64_t geo[KK_ATT_GEO];
  int64_t items, slot_floats;
  int64_t group, units; /* items per work unit, and units */
  float scale;
  int causal;
  bool mask, parallel;
} att_plan;

static void plan_geo(const ir_att_geo *g, att_plan *p) {
  const int64_t head[6] = {g->B, g->H, g->S, g->T, g->D, g->Dv};
  const int64_t *st[5] = {g->q, g->k, g->v, g->y, g->m};
  for (int i = 0; i < 6; i++) p->geo[i] = head[i];
  for (int o = 0; o < 5; o++)
    for (int i = 0; i < 4; i++) p->geo[KK_ATT_Q + 4 * o + i] = st[o][i];
  p->items = g->B * g->H;
  p->slot_floats = kk_attention_scratch_floats(p->geo);
  p->scale = g->scale;
  p->causal = g->causal;
  p->mask = g->has_mask;
}

/* void body(ptr ctx, i64 begin, i64 end): the kernel on items [begin, end) */
static LLVMValueRef body_function(cg_ctx *c, const att_plan *p, const char *name, LLVMValueRef kern) {
  LLVMBuilderRef b;
  LLVMValueRef fn = cg_fn_begin_body(c, name, &b);
  LLVMValueRef ctx = LLVMGetParam(fn, 0), begin = LLVMGetParam(fn, 1), end = LLVMGetParam(fn, 2);
  LLVMValueRef v[ACTX_N];
  for (int i = 0; i < ACTX_N; i++) v[i] = cg_load_slot(c, b, ctx, i);
  LLVMValueRef slot = cg_gep(b, c->f32, v[ACTX_SCRATCH], LLVMBuildMul(b, begin, cg_i64(c, p->slot_floats), ""));
  /* units [begin, end) are items [begin * group, min(end * group, items)) */
  LLVMValueRef first = LLVMBuildMul(b, begin, cg_i64(c, p->group), "");
  LLVMValueRef last = LLVMBuildMul(b, end, cg_i64(c, p->group), "");
  LLVMValueRef over = LLVMBuildICmp(b, LLVMIntSGT, last, cg_i64(c, p->items), "");
  last = LLVMBuildSelect(b, over, cg_i64(c, p->items), last, "");
  LLVMValueRef args[11] = {v[ACTX_Q], v[ACTX_K], v[ACTX_V], p->mask ? v[ACTX_M] : LLVMConstNull(c->ptr),
                           v[ACTX_Y], cg_i64_array(c, p->geo, KK_ATT_GEO), cg_f32(c, p->scale),
                           cg_i32(c, p->causal), first, last, p->parallel ? slot : v[ACTX_SCRATCH]};
  LLVMValueRef call = cg_call_at(b, kern, args, 11);
  /* inlined whatever LLVM's cost model thinks of the kernel's size: the
   * constant geometry is what makes its loops fast */
  unsigned always = LLVMGetEnumAttributeKindForName("alwaysinline", 12);
  LLVMAddCallSiteAttribute(call, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(c->c, always, 0));
  cg_fn_end(b);
  return fn;
}

/* the driver: packs the pointers into a context and runs the body */
static LLVMValueRef driver_function(cg_ctx *c, const att_plan *p, const char *name, LLVMValueRef kern) {
  char bname[640];
  snprintf(bname, sizeof bname, "%.600s_work", name);
  LLVMValueRef body = body_function(c, p, bname, kern);
  LLVMBuilderRef b;
  LLVMValueRef fn = cg_fn_begin_ptrs(c, name, ACTX_N + 1, CG_FN_NOINLINE, &b);
  LLVMValueRef ctx = LLVMBuildAlloca(b, LLVMArrayType(c->ptr, ACTX_N), "ctx");
  for (int i = 0; i < ACTX_N; i++) cg_store_slot(c, b, ctx, i, LLVMGetParam(fn, (unsigned)i));
  if (p->parallel) {
    /* the pool is reached through the driver's own rt parameter */
    cg_parallel_for_at(c, b, LLVMGetParam(fn, ACTX_N), body, ctx, cg_i64(c, p->units));
  } else {
    LLVMValueRef args[3] = {ctx, cg_i64(c, 0), cg_i64(c, p->units)};
    cg_call_at(b, body, args, 3);
  }
  cg_fn_end(b);
  return fn;
}

static void driver_name(const att_plan *p, char *buf, size_t n) {
  int len = snprintf(buf, n, "kiln_attention_%a.%d.%d.%d.%lld", (double)p->scale, p->causal, p->mask, p->parallel,
                     (long long)p->group);
  for (int i = 0; i < KK_ATT_GEO && len > 0 && (size_t)len < n; i++)
    len += snprintf(buf + len, n - (size_t)len, "_%lld", (long long)p->geo[i]);
}


kn_status cg_lower_attention(cg_ctx *c, const ir_node *n) {
  const bool has_mask = n->nin > 3 && n->in[3] != IR_NONE;
  for (int i = 0; i < n->nin; i++)
    if (n->in[i] != IR_NONE && cg_vtype(c, n->in[i])->dtype != KN_F32) return KN_EUNSUPPORTED;
  if (n->out[0] == IR_NONE || cg_vtype(c, n->out[0])->dtype != KN_F32) return KN_EUNSUPPORTED;
  ir_att_geo g;
  if (ir_attention_geo(c->kn, n, cg_vtype(c, n->in[0]), cg_vtype(c, n->in[1]), cg_vtype(c, n->in[2]),
                       has_mask ? cg_vtype(c, n->in[3]) : NULL, &g) != KN_OK)
    return KN_EUNSUPPORTED; /* the reference kernel reports it */
  if (g.B * g.H * g.S * g.Dv == 0) return KN_OK;
  LLVMValueRef kern = cg_kernel(c, "kk_attention_f32");
  if (!kern) return KN_EUNSUPPORTED;
  att_plan p;
  plan_geo(&g, &p);
  const double flops = 2.0 * (double)p.items * (double)g.S * (double)g.T * (double)(g.D + g.Dv);
  p.parallel = p.items > 1 && gm_parallel_worth(g.causal ? flops / 2 : flops);
  p.group = 1;
  while (p.group < p.items && (p.items + p.group - 1) / p.group * p.slot_floats * 4 > ATT_MAX_SLOTS_BYTES) p.group++;
  p.units = (p.items + p.group - 1) / p.group;
  const int64_t nslots = p.parallel && c->opt && c->opt->threads > 1 ? p.units : 1;
  char name[600];
  driver_name(&p, name, sizeof name);
  LLVMValueRef fn = LLVMGetNamedFunction(c->m, name);
  if (!fn) fn = driver_function(c, &p, name, kern);
  LLVMValueRef args[ACTX_N + 1] = {cg_value_ptr(c, n->in[0]), cg_value_ptr(c, n->in[1]), cg_value_ptr(c, n->in[2]),
                                   has_mask ? cg_value_ptr(c, n->in[3]) : LLVMConstNull(c->ptr),
                                   cg_value_ptr(c, n->out[0]), cg_scratch(c, nslots * p.slot_floats * 4), c->rt};
  cg_call(c, fn, args, ACTX_N + 1);
  return KN_OK;
}
