/* lower_fused.c: FusedElementwise (passes/fuse_elementwise.c) as one vector
 * loop. The output is walked as rows x cols (cols = its last dim) when some
 * operand is a row vector [.., N] or a column [.., M, 1], else as one flat
 * row; each operand is read where it lives (same shape: contiguous at the
 * output offset; row: at the column offset; column: one splat per row;
 * scalar: one splat per call), the body's ops are evaluated in order on
 * <VW x float> vectors with lower_vec's emitters, and only the body's output
 * is stored, so a chain of k ops costs one pass over memory instead of k.
 * The row tail is one masked vector (cg_vpass).
 *
 * The op set is the fusion pass's (pass_elementwise_fusable_op): a body with
 * anything else, an operand of another shape, or more operands than the
 * generated function takes, is declined and runs on the reference kernel.
 * Results match the per-op lowering: the same IEEE operations for the
 * arithmetic, and lower_vec's approximations (a few ulp) where the per-op
 * path uses them too; Log, Pow and the hard activations use the same
 * formulas as the kernel library.
 *
 * The generated function is named by everything its code depends on (the
 * body's ops, attributes, constants, each operand's kind and the loop shape),
 * so identical chains of the 12 layers of a transformer share one copy. */
#include "lower_vec.h"
#include "pattern.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { LEAF_FULL, LEAF_ROW, LEAF_COL, LEAF_SCALAR };

static int64_t numel(const ir_type *t) { return kn_dims_numel(t->rank, t->dims); }

static ir_graph *body_of(const ir_node *n) {
  const ir_attr *a = ir_attr_get(n, "body");
  return a && a->kind == IR_ATTR_GRAPH ? a->g : NULL;
}

/* How operand type t is indexed from the loop over y (rows x cols), or -1. */
static int leaf_kind(const ir_type *t, const ir_type *y, int64_t rows, int64_t cols) {
  if (t->dtype != KN_F32 || !ir_type_is_concrete(t) || t->rank > y->rank) return -1;
  for (int i = 1; i <= t->rank; i++) { /* numpy broadcasting towards y */
    int64_t a = t->dims[t->rank - i], b = y->dims[y->rank - i];
    if (a != b && a != 1) return -1;
  }
  int64_t n = numel(t);
  if (n == rows * cols) return LEAF_FULL;
  if (n == 1) return LEAF_SCALAR;
  if (t->rank == 0) return -1;
  if (n == cols && t->dims[t->rank - 1] == cols) return LEAF_ROW;
  if (n == rows && t->dims[t->rank - 1] == 1) return LEAF_COL; /* broadcasting made every other dim y's */
  return -1;
}

/* the scalar value of a body constant */
static bool body_scalar(const ir_graph *b, ir_id v, float *out) {
  double d;
  if (!pat_scalar(b, v, &d)) return false;
  *out = (float)d;
  return true;
}

/* Every body op is one the emitter knows, every operand is a body input, a
 * scalar constant or an earlier op's output. */
static bool body_ok(const ir_graph *b) {
  if (b->noutputs != 1) return false;
  for (int32_t v = 0; v < b->nvalues; v++) {
    const ir_value *val = &b->values[v];
    float f;
    if (val->is_outer || (val->constant && !val->is_input && !body_scalar(b, v, &f))) return false;
  }
  for (int32_t i = 0; i < b->nnodes; i++) {
    const ir_node *n = &b->nodes[i];
    if (n->dead) continue;
    if (!pass_elementwise_fusable_op(b, n)) return false;
  }
  return b->values[b->outputs[0]].type.dtype == KN_F32;
}

/* ===== the per-op vector emitter ===== */
static LLVMValueRef emit_op(cg_vgen *g, const ir_graph *body, const ir_node *n, LLVMValueRef *vals) {
  LLVMBuilderRef b = g->b;
  LLVMValueRef u = vals[n->in[0]];
  LLVMValueRef w = n->nin > 1 && n->in[1] != IR_NONE ? vals[n->in[1]] : NULL;
  LLVMValueRef zero = cg_vf(g, 0.0f), one = cg_vf(g, 1.0f);
  switch (n->op) {
  case IR_OP_Add: return LLVMBuildFAdd(b, u, w, "");
  case IR_OP_Sub: return LLVMBuildFSub(b, u, w, "");
  case IR_OP_Mul: return LLVMBuildFMul(b, u, w, "");
  case IR_OP_Div: return LLVMBuildFDiv(b, u, w, "");
  case IR_OP_Min: return cg_vminmax(g, true, u, w);
  case IR_OP_Max: return cg_vminmax(g, false, u, w);
  case IR_OP_PRelu: return LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOLT, u, zero, ""), LLVMBuildFMul(b, u, w, ""), u, "");
  case IR_OP_Pow: {
    float e = 0;
    body_scalar(body, n->in[1], &e);
    if (e == 1) return u;
    if (e == 2) return LLVMBuildFMul(b, u, u, "");
    if (e == 3) return LLVMBuildFMul(b, LLVMBuildFMul(b, u, u, ""), u, "");
    if (e == -1) return LLVMBuildFDiv(b, one, u, "");
    /* x^0.5 is sqrt except pow(-0, .5) = +0 (the + 0 makes it so) and pow(-inf, .5) = +inf */
    LLVMValueRef s = LLVMBuildFAdd(b, cg_vintrinsic1(g, "llvm.sqrt", u), zero, "");
    LLVMValueRef ninf = LLVMBuildFCmp(b, LLVMRealOEQ, u, cg_vf(g, -__builtin_inff()), "");
    s = LLVMBuildSelect(b, ninf, cg_vf(g, __builtin_inff()), s, "");
    return e == 0.5f ? s : LLVMBuildFDiv(b, one, s, "");
  }
  case IR_OP_Neg: return LLVMBuildFNeg(b, u, "");
  case IR_OP_Abs: return cg_vintrinsic1(g, "llvm.fabs", u);
  case IR_OP_Relu: return LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOLT, u, zero, ""), zero, u, "");
  case IR_OP_Sqrt: return cg_vintrinsic1(g, "llvm.sqrt", u);
  case IR_OP_Reciprocal: return LLVMBuildFDiv(b, one, u, "");
  case IR_OP_Floor: return cg_vintrinsic1(g, "llvm.floor", u);
  case IR_OP_Ceil: return cg_vintrinsic1(g, "llvm.ceil", u);
  case IR_OP_Round: return cg_vintrinsic1(g, "llvm.rint", u); /* half to even, as the kernel's rint */
  case IR_OP_Exp: return cg_vexp(g, u);
  case IR_OP_Log: return cg_vlog(g, u);
  case IR_OP_Sigmoid: return cg_vsigmoid(g, u);
  case IR_OP_Tanh: return cg_vtanh(g, u);
  case IR_OP_Erf: return cg_verf(g, u);
  case IR_OP_Gelu: return strcmp(ir_attr_str(n, "approximate", "none"), "tanh") == 0 ? cg_vgelu_tanh(g, u) : cg_vgelu(g, u);
  case IR_OP_Softsign:
    return LLVMBuildFDiv(b, u, LLVMBuildFAdd(b, one, cg_vintrinsic1(g, "llvm.fabs", u), ""), "");
  case IR_OP_LeakyRelu: {
    LLVMValueRef au = LLVMBuildFMul(b, cg_vf(g, ir_attr_float(n, "alpha", 0.01f)), u, "");
    return LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOLT, u, zero, ""), au, u, "");
  }
  case IR_OP_HardSigmoid: { /* fmax(0, fmin(1, a x + b)): minnum/maxnum are fmin/fmax */
    LLVMValueRef t = LLVMBuildFAdd(b, LLVMBuildFMul(b, cg_vf(g, ir_attr_float(n, "alpha", 0.2f)), u, ""),
                                   cg_vf(g, ir_attr_float(n, "beta", 0.5f)), "");
    return cg_vintrinsic2(g, "llvm.maxnum", zero, cg_vintrinsic2(g, "llvm.minnum", one, t));
  }
  case IR_OP_HardSwish: {
    LLVMValueRef t = LLVMBuildFAdd(b, LLVMBuildFDiv(b, u, cg_vf(g, 6.0f), ""), cg_vf(g, 0.5f), "");
    return LLVMBuildFMul(b, u, cg_vintrinsic2(g, "llvm.maxnum", zero, cg_vintrinsic2(g, "llvm.minnum", one, t)), "");
  }
  case IR_OP_Identity: return u;
  case IR_OP_Clip: { /* t = x < lo ? lo : x; t > hi ? hi : t (lo > hi gives hi, as ONNX says) */
    LLVMValueRef lo = w ? w : cg_vf(g, -__builtin_inff());
    LLVMValueRef hi = n->nin > 2 && n->in[2] != IR_NONE ? vals[n->in[2]] : cg_vf(g, __builtin_inff());
    LLVMValueRef t = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOLT, u, lo, ""), lo, u, "");
    return LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOGT, t, hi, ""), hi, t, "");
  }
  default: return u; /* body_ok admitted only the ops above */
  }
}

/* ===== the generated loop ===== */
typedef struct fz_ctx {
  const ir_graph *body;
  int nin;
  const int *kind;
  LLVMValueRef base[CG_VG_MAX_PARAMS];  /* same-shape: this row's start; row vector: its start */
  LLVMValueRef splat[CG_VG_MAX_PARAMS]; /* scalar and column operands */
  LLVMValueRef y;                       /* this row of the output */
  LLVMValueRef *vals;                   /* per body value */
} fz_ctx;

static LLVMValueRef fz_vector(cg_vgen *g, void *p, LLVMValueRef off, int64_t lanes, LLVMValueRef acc) {
  fz_ctx *x = p;
  const ir_graph *b = x->body;
  for (int i = 0; i < x->nin; i++)
    x->vals[b->inputs[i]] = x->splat[i] ? x->splat[i] : cg_vload(g, x->base[i], off, lanes, 1.0f);
  for (int32_t k = 0; k < b->nnodes; k++)
    if (!b->nodes[k].dead) x->vals[b->nodes[k].out[0]] = emit_op(g, b, &b->nodes[k], x->vals);
  cg_vstore(g, x->vals[b->outputs[0]], x->y, off, lanes);
  return acc;
}

/* ===== the function's name: everything the code depends on ===== */
typedef struct sbuf {
  char *s;
  size_t n, cap;
  bool oom;
} sbuf;

static void sb_fmt(sbuf *b, const char *fmt, ...) KN_PRINTF(2, 3);
static void sb_fmt(sbuf *b, const char *fmt, ...) {
  for (int pass = 0; pass < 2 && !b->oom; pass++) {
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(b->s ? b->s + b->n : NULL, b->s ? b->cap - b->n : 0, fmt, ap);
    va_end(ap);
    if (k < 0) {
      b->oom = true;
      return;
    }
    if (b->s && b->n + (size_t)k < b->cap) {
      b->n += (size_t)k;
      return;
    }
    size_t nc = (b->cap ? b->cap * 2 : 256) + (size_t)k;
    char *ns = realloc(b->s, nc);
    if (!ns) {
      b->oom = true;
      return;
    }
    b->s = ns;
    b->cap = nc;
  }
}

static uint32_t f32_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}

/* kiln_fused.<rows>x<cols>.<operand kinds>:<op(operands){attrs}>;... with
 * operands as i<input>, v<op index>, k<constant bits>, _ (absent) */
static char *fused_name(const ir_graph *b, int nin, const int *kind, int64_t rows, int64_t cols) {
  sbuf s = {0};
  sb_fmt(&s, "kiln_fused.%lldx%lld.", (long long)rows, (long long)cols);
  for (int i = 0; i < nin; i++) sb_fmt(&s, "%c", "frcs"[kind[i]]);
  for (int32_t k = 0; k < b->nnodes; k++) {
    const ir_node *n = &b->nodes[k];
    if (n->dead) continue;
    sb_fmt(&s, ":%s(", ir_op_table[n->op].name);
    for (int i = 0; i < n->nin; i++) {
      ir_id v = n->in[i];
      float f;
      if (i) sb_fmt(&s, ",");
      if (v == IR_NONE) sb_fmt(&s, "_");
      else if (b->values[v].is_input) {
        int idx = 0;
        while (idx < b->ninputs && b->inputs[idx] != v) idx++;
        sb_fmt(&s, "i%d", idx);
      } else if (body_scalar(b, v, &f)) sb_fmt(&s, "k%08x", (unsigned)f32_bits(f));
      else sb_fmt(&s, "v%d", (int)b->values[v].producer);
    }
    sb_fmt(&s, ")");
    for (int32_t a = 0; a < n->nattr; a++) {
      const ir_attr *at = &n->attrs[a];
      if (at->kind == IR_ATTR_FLOAT) sb_fmt(&s, "{%s=%08x}", at->name, (unsigned)f32_bits(at->f));
      else if (at->kind == IR_ATTR_INT) sb_fmt(&s, "{%s=%lld}", at->name, (long long)at->i);
      else if (at->kind == IR_ATTR_STRING) sb_fmt(&s, "{%s=%.*s}", at->name, (int)at->n, at->s ? at->s : "");
      else sb_fmt(&s, "{%s?}", at->name); /* no supported op reads other kinds */
    }
  }
  sb_fmt(&s, "%s", ""); /* makes sure the buffer exists and is terminated */
  if (s.oom) {
    free(s.s);
    return NULL;
  }
  return s.s;
}

static kn_status lower_fused(cg_ctx *c, const ir_node *n) {
  ir_graph *body = body_of(n);
  if (!body || n->out[0] == IR_NONE || body->ninputs != n->nin || n->nin + 1 > CG_VG_MAX_PARAMS) return KN_EUNSUPPORTED;
  const ir_type *yt = &c->g->values[n->out[0]].type;
  if (yt->dtype != KN_F32 || !ir_type_is_concrete(yt) || !body_ok(body)) return KN_EUNSUPPORTED;
  const int64_t count = numel(yt);
  if (count == 0) return KN_OK;
  int64_t cols = yt->rank ? yt->dims[yt->rank - 1] : 1, rows = count / (cols ? cols : 1);
  int kind[CG_VG_MAX_PARAMS];
  bool two_d = false;
  for (int i = 0; i < n->nin; i++) {
    if (n->in[i] == IR_NONE || (kind[i] = leaf_kind(&c->g->values[n->in[i]].type, yt, rows, cols)) < 0)
      return KN_EUNSUPPORTED;
    two_d |= kind[i] == LEAF_ROW || kind[i] == LEAF_COL;
  }
  if (!two_d) rows = 1, cols = count; /* one flat row */
  LLVMValueRef args[CG_VG_MAX_PARAMS];
  for (int i = 0; i < n->nin; i++) args[i] = cg_value_ptr(c, n->in[i]);
  args[n->nin] = cg_value_ptr(c, n->out[0]);
  char *name = fused_name(body, n->nin, kind, rows, cols);
  if (!name) return kn_fail(c->kn, KN_ENOMEM, "out of memory lowering node %s", n->name);
  if (cg_vgen_reuse(c, name, args, n->nin + 1)) {
    free(name);
    return KN_OK;
  }
  LLVMValueRef *vals = calloc((size_t)body->nvalues + 1, sizeof *vals);
  if (!vals) {
    free(name);
    return kn_fail(c->kn, KN_ENOMEM, "out of memory lowering node %s", n->name);
  }
  cg_vgen g;
  cg_vgen_begin(&g, c, name, n->nin + 1);
  free(name);
  fz_ctx x = {.body = body, .nin = n->nin, .kind = kind, .vals = vals};
  for (int32_t v = 0; v < body->nvalues; v++) {
    float f;
    if (!body->values[v].is_input && body_scalar(body, v, &f)) vals[v] = cg_vf(&g, f);
  }
  for (int i = 0; i < n->nin; i++)
    if (kind[i] == LEAF_SCALAR) x.splat[i] = cg_vsplat(&g, cg_vscalar_load(&g, cg_vgen_param(&g, i), cg_vi64(&g, 0)));
  cg_vloop l;
  cg_vloop_begin(&g, &l, rows, 0, NULL);
  LLVMValueRef row0 = LLVMBuildNUWMul(g.b, l.iv, cg_vi64(&g, cols), "");
  for (int i = 0; i < n->nin; i++) {
    if (kind[i] == LEAF_FULL) x.base[i] = cg_vgep(&g, cg_vgen_param(&g, i), row0);
    else if (kind[i] == LEAF_ROW) x.base[i] = cg_vgen_param(&g, i);
    else if (kind[i] == LEAF_COL) x.splat[i] = cg_vsplat(&g, cg_vscalar_load(&g, cg_vgen_param(&g, i), l.iv));
  }
  x.y = cg_vgep(&g, cg_vgen_param(&g, n->nin), row0);
  cg_vpass(&g, cols, 2, NULL, CG_VADD, fz_vector, &x);
  cg_vloop_end(&g, &l, NULL);
  cg_vgen_end(&g, args);
  free(vals);
  return KN_OK;
}

cg_lower_fn cg_lowering_fused(ir_op op) { return op == IR_OP_FusedElementwise ? lower_fused : NULL; }
