/* lower_fused.c: an elementwise body (a graph of the ops
 * pass_elementwise_fusable_op admits) as one vector loop over a region of an
 * output, and FusedElementwise (passes/fuse_elementwise.c) lowered with it.
 * The output is seen as rows x cols (lower_fused.h); the loop walks the
 * region's rows, each operand read where it lives (same shape: at the
 * element's offset; row: at the column; column: one splat per row, its row
 * taken modulo its period; scalar: one splat per call), the body's ops are
 * evaluated in order on <VW x float> vectors with lower_vec's emitters, and
 * only the body's output is stored, so a chain of k ops costs one pass over
 * memory instead of k. The row tail is one masked vector (cg_vpass).
 * The GEMM and convolution lowerings call the same function on each block of
 * C they finish (the epilogue of FusedMatMul, FusedGemm, FusedConv), where
 * the region's own content is the body's first operand; a FusedElementwise
 * is one call over its whole output, walked as one flat row when no operand
 * is a row or a column.
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
#include "lower_fused.h"
#include "pattern.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static ir_graph *body_of(const ir_node *n) {
  const ir_attr *a = ir_attr_get(n, "body");
  return a && a->kind == IR_ATTR_GRAPH ? a->g : NULL;
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
  case IR_OP_Gelu: return strcmp(ir_attr_s(n, "approximate"), "tanh") == 0 ? cg_vgelu_tanh(g, u) : cg_vgelu(g, u);
  case IR_OP_Softsign:
    return LLVMBuildFDiv(b, u, LLVMBuildFAdd(b, one, cg_vintrinsic1(g, "llvm.fabs", u), ""), "");
  case IR_OP_LeakyRelu: {
    LLVMValueRef au = LLVMBuildFMul(b, cg_vf(g, ir_attr_f(n, "alpha")), u, "");
    return LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOLT, u, zero, ""), au, u, "");
  }
  case IR_OP_HardSigmoid: { /* fmax(0, fmin(1, a x + b)): minnum/maxnum are fmin/fmax */
    LLVMValueRef t = LLVMBuildFAdd(b, LLVMBuildFMul(b, cg_vf(g, ir_attr_f(n, "alpha")), u, ""),
                                   cg_vf(g, ir_attr_f(n, "beta")), "");
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

/* ===== the plan ===== */
/* the first live node of the body at or after index i */
static int32_t live_from(const ir_graph *b, int32_t i) {
  while (i < b->nnodes && b->nodes[i].dead) i++;
  return i;
}

/* The function's name: kiln_epi.<view>.<operand kinds>.<region value>:<op(operands){attrs}>;...
 * with operands as i<input>, v<op index>, k<constant bits>, _ (absent). */
static kn_status epi_key(cg_epi *e) {
  free(e->key);
  e->key = NULL;
  const ir_graph *b = e->body;
  sbuf s = {0};
  sb_fmt(&s, "kiln_epi.%lld.", (long long)e->cols);
  for (int i = 0; i < e->nin; i++) {
    if (e->kind[i] == CG_EPI_UNREAD) sb_fmt(&s, "u");
    else if (e->kind[i] == PASS_LEAF_COL && e->period[i] < e->rows) sb_fmt(&s, "c%lld", (long long)e->period[i]);
    else sb_fmt(&s, "%c", "frcs"[e->kind[i]]);
  }
  if (e->cval == IR_NONE) sb_fmt(&s, ".-");
  else if (b->values[e->cval].is_input) sb_fmt(&s, ".i");
  else sb_fmt(&s, ".v%d", (int)b->values[e->cval].producer);
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
    return KN_ENOMEM;
  }
  e->key = s.s;
  return KN_OK;
}

kn_status cg_epi_init(cg_ctx *c, cg_epi *e, const ir_graph *body, const ir_type *yt, int split, const ir_id *in) {
  memset(e, 0, sizeof *e);
  e->cval = IR_NONE;
  if (!body || body->ninputs > CG_VG_MAX_PARAMS || !body_ok(body) || yt->dtype != KN_F32 || !ir_type_is_concrete(yt) ||
      split < 0 || split > yt->rank)
    return KN_EUNSUPPORTED;
  e->body = body;
  e->nin = body->ninputs;
  e->cols = kn_dims_numel(yt->rank - split, yt->dims + split);
  e->rows = e->cols ? ir_type_numel(yt) / e->cols : 0;
  for (int i = 0; i < e->nin; i++) {
    if (in[i] == IR_NONE) { /* the region's own content: the product */
      if (i != 0) return KN_EUNSUPPORTED;
      e->kind[i] = PASS_LEAF_FULL;
      e->cval = body->inputs[0];
      continue;
    }
    e->kind[i] = pass_epilogue_leaf(&c->g->values[in[i]].type, yt, split, &e->period[i]);
    if (e->kind[i] == PASS_LEAF_BAD) return KN_EUNSUPPORTED;
  }
  if (epi_key(e) != KN_OK) return kn_fail(c->kn, KN_ENOMEM, "out of memory planning an epilogue");
  return KN_OK;
}

void cg_epi_free(cg_epi *e) {
  free(e->key);
  e->key = NULL;
}

int cg_epi_take_add(cg_ctx *c, cg_epi *e) {
  const ir_graph *b = e->body;
  if (e->cval == IR_NONE || e->cval != b->inputs[0]) return -1;
  int32_t first = live_from(b, 0);
  if (first >= b->nnodes) return -1;
  const ir_node *n = &b->nodes[first];
  ir_id other;
  if (n->op != IR_OP_Add || !pat_commute(n, e->cval, &other) || other == e->cval) return -1;
  int k = 1;
  while (k < e->nin && b->inputs[k] != other) k++;
  if (k == e->nin || (e->kind[k] != PASS_LEAF_FULL && e->kind[k] != PASS_LEAF_ROW)) return -1;
  for (int32_t i = first + 1; i < b->nnodes; i++) /* the product must not be read again */
    for (int j = 0; !b->nodes[i].dead && j < b->nodes[i].nin; j++)
      if (b->nodes[i].in[j] == e->cval) return -1;
  if (b->outputs[0] == e->cval) return -1;
  e->kind[0] = CG_EPI_UNREAD;
  e->cval = n->out[0];
  if (epi_key(e) != KN_OK) {
    kn_fail(c->kn, KN_ENOMEM, "out of memory planning an epilogue");
    return -1;
  }
  return k;
}

bool cg_epi_done(const cg_epi *e) { return e->cval != IR_NONE && e->cval == e->body->outputs[0]; }

/* ===== the generated loop ===== */
typedef struct fz_ctx {
  const cg_epi *e;
  int32_t first;                        /* the first body node to compute */
  LLVMValueRef base[CG_VG_MAX_PARAMS];  /* FULL: this row's start; ROW: the region's first column */
  LLVMValueRef splat[CG_VG_MAX_PARAMS]; /* SCALAR and COL operands */
  LLVMValueRef y;                       /* this row of the region */
  LLVMValueRef *vals;                   /* per body value */
} fz_ctx;

static LLVMValueRef fz_vector(cg_vgen *g, void *p, LLVMValueRef off, int64_t lanes, LLVMValueRef acc) {
  fz_ctx *x = p;
  const cg_epi *e = x->e;
  const ir_graph *b = e->body;
  for (int i = 0; i < e->nin; i++) {
    ir_id v = b->inputs[i];
    if (e->kind[i] == CG_EPI_UNREAD || v == e->cval) continue;
    x->vals[v] = x->splat[i] ? x->splat[i] : cg_vload(g, x->base[i], off, lanes, 1.0f);
  }
  if (e->cval != IR_NONE) x->vals[e->cval] = cg_vload(g, x->y, off, lanes, 1.0f);
  for (int32_t k = x->first; k < b->nnodes; k++)
    if (!b->nodes[k].dead) x->vals[b->nodes[k].out[0]] = emit_op(g, b, &b->nodes[k], x->vals);
  cg_vstore(g, x->vals[b->outputs[0]], x->y, off, lanes);
  return acc;
}

LLVMValueRef cg_epi_function(cg_ctx *c, const cg_epi *e, int64_t ncols) {
  const size_t len = strlen(e->key) + 32;
  char *name = malloc(len);
  if (!name) return NULL;
  snprintf(name, len, "%s.w%lld", e->key, (long long)ncols);
  LLVMValueRef fn = LLVMGetNamedFunction(c->m, name);
  const ir_graph *body = e->body;
  LLVMValueRef *vals = fn ? NULL : calloc((size_t)body->nvalues + 1, sizeof *vals);
  if (fn || !vals) {
    free(name);
    return fn;
  }
  LLVMTypeRef params[4] = {c->ptr, c->i64, c->i64, c->ptr};
  cg_vgen g;
  cg_vgen_begin_typed(&g, c, name, params, 4);
  free(name);
  LLVMValueRef y = cg_vgen_param(&g, 0), e0 = cg_vgen_param(&g, 1), rows = cg_vgen_param(&g, 2);
  LLVMValueRef opsp = cg_vgen_param(&g, 3);
  fz_ctx x = {.e = e, .vals = vals};
  if (e->cval != IR_NONE && !body->values[e->cval].is_input) x.first = body->values[e->cval].producer + 1;
  for (int32_t v = 0; v < body->nvalues; v++) {
    float f;
    if (!body->values[v].is_input && body_scalar(body, v, &f)) vals[v] = cg_vf(&g, f);
  }
  /* where the region starts in the view */
  LLVMValueRef q0 = LLVMBuildUDiv(g.b, e0, cg_vi64(&g, e->cols), "row0");
  LLVMValueRef c0 = LLVMBuildURem(g.b, e0, cg_vi64(&g, e->cols), "col0");
  LLVMValueRef ptr[CG_VG_MAX_PARAMS] = {0};
  for (int i = 0; i < e->nin; i++) {
    if (e->kind[i] == CG_EPI_UNREAD || body->inputs[i] == e->cval) continue;
    ptr[i] = cg_load_slot(c, g.b, opsp, i);
    if (e->kind[i] == PASS_LEAF_SCALAR) x.splat[i] = cg_vsplat(&g, cg_vscalar_load(&g, ptr[i], cg_vi64(&g, 0)));
    else if (e->kind[i] == PASS_LEAF_FULL) ptr[i] = cg_vgep(&g, ptr[i], e0);
    else if (e->kind[i] == PASS_LEAF_ROW) x.base[i] = cg_vgep(&g, ptr[i], c0);
  }
  cg_loop l;
  cg_loop_begin_n(c, g.b, &l, rows, "row");
  LLVMValueRef rowoff = LLVMBuildNUWMul(g.b, l.iv, cg_vi64(&g, e->cols), "");
  for (int i = 0; i < e->nin; i++) {
    if (!ptr[i]) continue;
    if (e->kind[i] == PASS_LEAF_FULL) x.base[i] = cg_vgep(&g, ptr[i], rowoff);
    else if (e->kind[i] == PASS_LEAF_COL) {
      LLVMValueRef r = LLVMBuildNUWAdd(g.b, q0, l.iv, "");
      if (e->period[i] < e->rows) r = LLVMBuildURem(g.b, r, cg_vi64(&g, e->period[i]), "");
      x.splat[i] = cg_vsplat(&g, cg_vscalar_load(&g, ptr[i], r));
    }
  }
  x.y = cg_vgep(&g, y, rowoff);
  cg_vpass(&g, ncols, 2, NULL, CG_VADD, fz_vector, &x);
  cg_loop_end(c, g.b, &l, NULL);
  cg_vgen_finish(&g);
  free(vals);
  return g.fn;
}

LLVMValueRef cg_epi_operands(cg_ctx *c, const cg_epi *e, const ir_id *in) {
  LLVMValueRef arr = cg_entry_alloca(c, LLVMArrayType(c->ptr, (unsigned)(e->nin > 0 ? e->nin : 1)));
  for (int i = 0; i < e->nin; i++) {
    cg_store_slot(c, c->b, arr, i, in[i] == IR_NONE ? LLVMConstNull(c->ptr) : cg_value_ptr(c, in[i]));
  }
  return arr;
}

/* ===== FusedElementwise ===== */
kn_status cg_lower_fused(cg_ctx *c, const ir_node *n) {
  ir_graph *body = body_of(n);
  if (!body || n->out[0] == IR_NONE || body->ninputs != n->nin || n->nin > CG_VG_MAX_PARAMS) return KN_EUNSUPPORTED;
  for (int i = 0; i < n->nin; i++)
    if (n->in[i] == IR_NONE) return KN_EUNSUPPORTED;
  const ir_type *yt = &c->g->values[n->out[0]].type;
  if (yt->dtype != KN_F32 || !ir_type_is_concrete(yt)) return KN_EUNSUPPORTED;
  if (ir_type_numel(yt) == 0) return KN_OK;
  /* rows x last dim when an operand is a row or a column, else one flat row */
  cg_epi e;
  kn_status st = cg_epi_init(c, &e, body, yt, yt->rank > 0 ? yt->rank - 1 : 0, n->in);
  bool two_d = false;
  for (int i = 0; st == KN_OK && i < e.nin; i++) two_d |= e.kind[i] == PASS_LEAF_ROW || e.kind[i] == PASS_LEAF_COL;
  if (st == KN_OK && !two_d) {
    cg_epi_free(&e);
    st = cg_epi_init(c, &e, body, yt, 0, n->in);
  }
  if (st != KN_OK) {
    cg_epi_free(&e);
    return st;
  }
  LLVMValueRef fn = cg_epi_function(c, &e, e.cols);
  if (!fn) {
    cg_epi_free(&e);
    return kn_fail(c->kn, KN_ENOMEM, "out of memory lowering node %s", n->name);
  }
  LLVMValueRef args[4] = {cg_value_ptr(c, n->out[0]), cg_i64(c, 0), cg_i64(c, e.rows), cg_epi_operands(c, &e, n->in)};
  cg_call(c, fn, args, 4);
  cg_epi_free(&e);
  return KN_OK;
}
