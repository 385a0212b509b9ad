/* lower_elementwise.c: the elementwise family (unary maps, broadcasting
 * arithmetic, predicates, Where, Clip, Cast, IsNaN/IsInf, Dropout).
 * Most ops are calls into the kernel library with every argument constant:
 * op code, element count, and a broadcasting plan built like the reference
 * adapter's (runtime/ref/exec_elementwise.c: unit dims dropped, dims merged
 * wherever every operand is contiguous across them), so same-shape and scalar
 * operands reach the kernel as one flat loop that LLVM inlines, folds to the
 * one op, and vectorizes for the target. Those results are the reference's.
 * Two f32 cases get generated vector IR instead (lower_vec.h), one function
 * per distinct op and plan: the binary ops of transformers whose plan is at
 * most [rows, cols] with a contiguous or broadcast inner dim (same shape, bias
 * rows [M,N]+[N], per-row scalars [M,N]*[M,1], scalars; exact, the same IEEE
 * operations), and the maps that would otherwise call libm once per element
 * (Sigmoid, Exp, Erf, Tanh, Gelu), which use lower_vec.c's approximations
 * (a few ulp from libm, far inside the 1e-4 model tolerance).
 * f16/bf16 arithmetic declines (the reference widens it to f32); Cast and
 * Where handle every dtype since they only convert or move bits. */
#include "k_elementwise.h"
#include "lower_vec.h"
#include <stdio.h>
#include <string.h>


/* kernel suffix of a dtype with elementwise kernels (bool runs as u8) */
static const char *ew_suffix(int dt) {
  switch (dt) {
  case KN_F32: return "f32";
  case KN_F64: return "f64";
  case KN_I8: return "i8";
  case KN_I16: return "i16";
  case KN_I32: return "i32";
  case KN_I64: return "i64";
  case KN_U8: case KN_BOOL: return "u8";
  case KN_U16: return "u16";
  case KN_U32: return "u32";
  case KN_U64: return "u64";
  default: return NULL;
  }
}
static bool is_float(int dt) { return dt == KN_F32 || dt == KN_F64; }

static LLVMTypeRef elem_type(cg_ctx *c, int dt) {
  return dt == KN_F32 ? c->f32 : dt == KN_F64 ? c->f64 : LLVMIntTypeInContext(c->c, (unsigned)kn_dtype_size(dt) * 8);
}

static LLVMValueRef kernel(cg_ctx *c, const char *fmt, const char *sfx) {
  char name[64];
  snprintf(name, sizeof name, fmt, sfx);
  return cg_kernel(c, name);
}

/* ===== broadcasting plan (as the reference adapter makes it) ===== */
typedef ir_bcast_plan ew_plan; /* the loop plan shared with the JIT (ir/broadcast_plan.c) */

static bool plan_make(const ir_type *y, int n, const ir_type *const *in, ew_plan *p) {
  int ranks[IR_BCAST_MAX_IN];
  const int64_t *dims[IR_BCAST_MAX_IN];
  for (int k = 0; k < n; k++) ranks[k] = in[k]->rank, dims[k] = in[k]->dims;
  return ir_bcast_plan_make(y->rank, y->dims, n, ranks, dims, p) < 0;
}

/* ===== generated f32 vector code ===== */
/* unary ops of the generator, numbered apart from the KK_EW_* binary codes */
enum { GEN_SIGMOID = 100, GEN_EXP, GEN_ERF, GEN_TANH, GEN_GELU, GEN_GELU_TANH };

typedef struct gen_ctx {
  int op, nin;
  LLVMValueRef ptr[2], splat[2], y; /* splat[k]: operand k broadcast along the row */
} gen_ctx;

static LLVMValueRef gen_apply(cg_vgen *g, int op, LLVMValueRef u, LLVMValueRef w) {
  LLVMBuilderRef b = g->b;
  switch (op) {
  case GEN_SIGMOID: return cg_vsigmoid(g, u);
  case GEN_EXP: return cg_vexp(g, u);
  case GEN_ERF: return cg_verf(g, u);
  case GEN_TANH: return cg_vtanh(g, u);
  case GEN_GELU: return cg_vgelu(g, u);
  case GEN_GELU_TANH: return cg_vgelu_tanh(g, u);
  case KK_EW_ADD: return LLVMBuildFAdd(b, u, w, "");
  case KK_EW_SUB: return LLVMBuildFSub(b, u, w, "");
  case KK_EW_MUL: return LLVMBuildFMul(b, u, w, "");
  case KK_EW_DIV: return LLVMBuildFDiv(b, u, w, "");
  case KK_EW_PRELU:
    return LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOLT, u, cg_vf(g, 0.0f), ""), LLVMBuildFMul(b, u, w, ""), u, "");
  case KK_EW_MIN:
  case KK_EW_MAX: return cg_vminmax(g, op == KK_EW_MIN, u, w);
  default: return u;
  }
}

static LLVMValueRef gen_body(cg_vgen *g, void *p, LLVMValueRef off, int64_t lanes, LLVMValueRef acc) {
  gen_ctx *x = p;
  LLVMValueRef v[2] = {NULL, NULL};
  for (int k = 0; k < x->nin; k++) v[k] = x->splat[k] ? x->splat[k] : cg_vload(g, x->ptr[k], off, lanes, 1.0f);
  cg_vstore(g, gen_apply(g, x->op, v[0], v[1]), x->y, off, lanes);
  return acc;
}

static bool gen_binary_op(int op) {
  return op == KK_EW_ADD || op == KK_EW_SUB || op == KK_EW_MUL || op == KK_EW_DIV || op == KK_EW_PRELU ||
         op == KK_EW_MIN || op == KK_EW_MAX;
}

/* Plans the generator takes: at most [rows, cols], inner strides 0 or 1. */
static bool gen_plan_ok(const ew_plan *p, int nin) {
  if (p->rank > 2) return false;
  for (int k = 0; k < nin; k++)
    if (p->rank > 0 && p->st[k][p->rank - 1] > 1) return false;
  return true;
}

/* y = op(in...) over the plan; in[k] may be the same pointer for two operands. */
static void gen_map(cg_ctx *c, int op, int nin, const ew_plan *p, LLVMValueRef *in, LLVMValueRef y) {
  int64_t rows = p->rank == 2 ? p->dims[0] : 1, cols = p->rank >= 1 ? p->dims[p->rank - 1] : 1;
  LLVMValueRef args[3] = {in[0], nin > 1 ? in[1] : y, y}; /* the first nin + 1 are passed */
  /* the name holds everything the code depends on: op, shape, each operand's strides */
  char name[160];
  int len = snprintf(name, sizeof name, "kiln_map%d_%lldx%lld", op, (long long)rows, (long long)cols);
  for (int k = 0; k < nin && len < (int)sizeof name; k++)
    len += snprintf(name + len, sizeof name - (size_t)len, "_%lld.%lld", (long long)(p->rank == 2 ? p->st[k][0] : 0),
                    (long long)(p->rank >= 1 ? p->st[k][p->rank - 1] : 0));
  if (cg_vgen_reuse(c, name, args, nin + 1)) return;
  cg_vgen g;
  cg_vgen_begin(&g, c, name, nin + 1);
  cg_loop l;
  cg_loop_begin(c, g.b, &l, rows, "row");
  gen_ctx x = {.op = op, .nin = nin};
  for (int k = 0; k < nin; k++) {
    int64_t so = p->rank == 2 ? p->st[k][0] : 0, si = p->rank >= 1 ? p->st[k][p->rank - 1] : 0;
    x.ptr[k] = cg_vgep(&g, cg_vgen_param(&g, k), LLVMBuildNUWMul(g.b, l.iv, cg_vi64(&g, so), ""));
    if (si == 0) x.splat[k] = cg_vsplat(&g, cg_vscalar_load(&g, x.ptr[k], cg_vi64(&g, 0)));
  }
  x.y = cg_vgep(&g, cg_vgen_param(&g, nin), LLVMBuildNUWMul(g.b, l.iv, cg_vi64(&g, cols), ""));
  cg_vpass(&g, cols, 2, NULL, CG_VADD, gen_body, &x);
  cg_loop_end(c, g.b, &l, NULL);
  cg_vgen_end(&g, args);
}

/* ===== unary maps ===== */
static int unary_code(const ir_node *n) {
  switch (n->op) {
  case IR_OP_Abs: return KK_EW_ABS;
  case IR_OP_Neg: return KK_EW_NEG;
  case IR_OP_Reciprocal: return KK_EW_RECIPROCAL;
  case IR_OP_Floor: return KK_EW_FLOOR;
  case IR_OP_Ceil: return KK_EW_CEIL;
  case IR_OP_Round: return KK_EW_ROUND;
  case IR_OP_Sign: return KK_EW_SIGN;
  case IR_OP_Sqrt: return KK_EW_SQRT;
  case IR_OP_Exp: return KK_EW_EXP;
  case IR_OP_Log: return KK_EW_LOG;
  case IR_OP_Erf: return KK_EW_ERF;
  case IR_OP_Tanh: return KK_EW_TANH;
  case IR_OP_Sigmoid: return KK_EW_SIGMOID;
  case IR_OP_Relu: return KK_EW_RELU;
  case IR_OP_Sin: return KK_EW_SIN;
  case IR_OP_Cos: return KK_EW_COS;
  case IR_OP_Tan: return KK_EW_TAN;
  case IR_OP_Asin: return KK_EW_ASIN;
  case IR_OP_Acos: return KK_EW_ACOS;
  case IR_OP_Atan: return KK_EW_ATAN;
  case IR_OP_Sinh: return KK_EW_SINH;
  case IR_OP_Cosh: return KK_EW_COSH;
  case IR_OP_Asinh: return KK_EW_ASINH;
  case IR_OP_Acosh: return KK_EW_ACOSH;
  case IR_OP_Atanh: return KK_EW_ATANH;
  case IR_OP_Softsign: return KK_EW_SOFTSIGN;
  case IR_OP_Softplus: return KK_EW_SOFTPLUS;
  case IR_OP_Not: return KK_EW_NOT;
  case IR_OP_LeakyRelu: return KK_EW_LEAKYRELU;
  case IR_OP_Elu: return KK_EW_ELU;
  case IR_OP_Selu: return KK_EW_SELU;
  case IR_OP_Celu: return KK_EW_CELU;
  case IR_OP_HardSigmoid: return KK_EW_HARDSIGMOID;
  case IR_OP_HardSwish: return KK_EW_HARDSWISH;
  case IR_OP_ThresholdedRelu: return KK_EW_THRESHRELU;
  case IR_OP_Shrink: return KK_EW_SHRINK;
  case IR_OP_Gelu: {
    const char *ap = ir_attr_s(n, "approximate");
    return strcmp(ap, "none") == 0 ? KK_EW_GELU : strcmp(ap, "tanh") == 0 ? KK_EW_GELU_TANH : -1;
  }
  default: return -1;
  }
}

kn_status cg_lower_unary(cg_ctx *c, const ir_node *n) {
  int op = unary_code(n);
  if (op < 0 || n->out[0] == IR_NONE) return KN_EUNSUPPORTED;
  const ir_type *xt = cg_vtype(c, n->in[0]), *yt = cg_vtype(c, n->out[0]);
  const int dt = xt->dtype;
  const char *sfx = ew_suffix(dt);
  if (!sfx || yt->dtype != dt || ir_type_numel(yt) != ir_type_numel(xt)) return KN_EUNSUPPORTED;
  if (op == KK_EW_NOT ? dt != KN_BOOL : dt == KN_BOOL) return KN_EUNSUPPORTED;
  if (!is_float(dt) && op != KK_EW_NOT && op != KK_EW_ABS && op != KK_EW_NEG && op != KK_EW_SIGN && op != KK_EW_RELU)
    return KN_EUNSUPPORTED;
  const int64_t count = ir_type_numel(xt);
  if (count == 0) return KN_OK;
  LLVMValueRef x = cg_value_ptr(c, n->in[0]), y = cg_value_ptr(c, n->out[0]);
  int gen = op == KK_EW_SIGMOID ? GEN_SIGMOID : op == KK_EW_EXP ? GEN_EXP : op == KK_EW_ERF ? GEN_ERF
          : op == KK_EW_TANH ? GEN_TANH : op == KK_EW_GELU ? GEN_GELU : op == KK_EW_GELU_TANH ? GEN_GELU_TANH : -1;
  if (dt == KN_F32 && gen >= 0) {
    ew_plan p = {.rank = 1, .dims = {count}, .st = {{1}}};
    LLVMValueRef in[1] = {x};
    gen_map(c, gen, 1, &p, in, y);
    return KN_OK;
  }
  LLVMValueRef fn = kernel(c, "kk_elementwise_unary_%s", sfx);
  if (!fn) return KN_EUNSUPPORTED;
  if (!is_float(dt)) {
    LLVMValueRef args[4] = {cg_i32(c, op), cg_i64(c, count), x, y};
    cg_call(c, fn, args, 4);
    return KN_OK;
  }
  double p[3]; /* the reference adapter's attributes and defaults */
  ir_unary_params(n, p);
  const double p0 = p[0], p1 = p[1], p2 = p[2];
  if (op == KK_EW_CELU && p0 == 0) return KN_EUNSUPPORTED; /* the reference reports it */
  LLVMValueRef args[7] = {cg_i32(c, op), cg_i64(c, count), x, y, cg_f64(c, p0), cg_f64(c, p1), cg_f64(c, p2)};
  cg_call(c, fn, args, 7);
  return KN_OK;
}

kn_status cg_lower_classify(cg_ctx *c, const ir_node *n) {
  const ir_type *xt = cg_vtype(c, n->in[0]);
  if (!is_float(xt->dtype) || n->out[0] == IR_NONE) return KN_EUNSUPPORTED;
  const int64_t count = ir_type_numel(xt);
  if (count == 0) return KN_OK;
  LLVMValueRef fn = kernel(c, "kk_elementwise_classify_%s", ew_suffix(xt->dtype));
  if (!fn) return KN_EUNSUPPORTED;
  LLVMValueRef args[6] = {cg_i32(c, n->op == IR_OP_IsNaN ? KK_EW_ISNAN : KK_EW_ISINF), cg_i64(c, count),
                          cg_value_ptr(c, n->in[0]), cg_value_ptr(c, n->out[0]),
                          cg_i32(c, (int32_t)ir_attr_i(n, "detect_positive")),
                          cg_i32(c, (int32_t)ir_attr_i(n, "detect_negative"))};
  cg_call(c, fn, args, 6);
  return KN_OK;
}

/* ===== binary arithmetic and predicates ===== */
static int pred_code(ir_op op) {
  switch (op) {
  case IR_OP_Equal: return KK_EW_EQ;
  case IR_OP_Less: return KK_EW_LT;
  case IR_OP_Greater: return KK_EW_GT;
  case IR_OP_LessOrEqual: return KK_EW_LE;
  case IR_OP_GreaterOrEqual: return KK_EW_GE;
  case IR_OP_And: return KK_EW_AND;
  case IR_OP_Or: return KK_EW_OR;
  case IR_OP_Xor: return KK_EW_XOR;
  default: return -1;
  }
}

/* Calls kk_elementwise_<kind>_<sfx> over a plan of two operands: the flat
 * kernel when the plan is one dim (or none), else the strided one. */
static kn_status call_plan2(cg_ctx *c, const char *kind, const char *sfx, int op, const ew_plan *p, LLVMValueRef a,
                            LLVMValueRef b, LLVMValueRef y) {
  char fmt[64];
  if (p->rank <= 1 && strcmp(kind, "binary") == 0) {
    LLVMValueRef fn = kernel(c, "kk_elementwise_binary_flat_%s", sfx);
    if (!fn) return KN_EUNSUPPORTED;
    int64_t count = p->rank ? p->dims[0] : 1;
    LLVMValueRef args[7] = {cg_i32(c, op), cg_i64(c, count), a, cg_i64(c, p->rank ? p->st[0][0] : 0), b,
                            cg_i64(c, p->rank ? p->st[1][0] : 0), y};
    cg_call(c, fn, args, 7);
    return KN_OK;
  }
  snprintf(fmt, sizeof fmt, "kk_elementwise_%s_%%s", kind);
  LLVMValueRef fn = kernel(c, fmt, sfx);
  if (!fn) return KN_EUNSUPPORTED;
  LLVMValueRef args[8] = {cg_i32(c, op), cg_i32(c, p->rank), cg_i64_array(c, p->dims, p->rank), a,
                          cg_i64_array(c, p->st[0], p->rank), b, cg_i64_array(c, p->st[1], p->rank), y};
  cg_call(c, fn, args, 8);
  return KN_OK;
}

/* A constant scalar f32 operand equal to v. */
static bool const_scalar_f32(cg_ctx *c, ir_id id, float v) {
  const kn_tensor *t = c->g->values[id].constant;
  return t && t->dtype == KN_F32 && kn_dims_numel(t->rank, t->dims) == 1 && ((const float *)t->data)[0] == v;
}

/* y = a op b for one pair; a may be y itself (the variadic folds). */
static kn_status binary_pair(cg_ctx *c, int op, const char *sfx, const ir_type *yt, const ir_type *at, LLVMValueRef a,
                             ir_id ib, LLVMValueRef b, LLVMValueRef y) {
  const ir_type *bt = cg_vtype(c, ib);
  const ir_type *ins[2] = {at, bt};
  ew_plan p;
  if (!plan_make(yt, 2, ins, &p)) return KN_EUNSUPPORTED;
  if (yt->dtype == KN_F32 && op == KK_EW_POW && const_scalar_f32(c, ib, 2.0f)) {
    /* x^2 as x*x: both are the correctly rounded square */
    for (int d = 0; d < p.rank; d++) p.st[1][d] = p.st[0][d];
    op = KK_EW_MUL, b = a;
  }
  if (yt->dtype == KN_F32 && gen_binary_op(op) && gen_plan_ok(&p, 2)) {
    LLVMValueRef in[2] = {a, b};
    gen_map(c, op, 2, &p, in, y);
    return KN_OK;
  }
  return call_plan2(c, "binary", sfx, op, &p, a, b, y);
}

kn_status cg_lower_binary(cg_ctx *c, const ir_node *n) {
  int op = ir_binary_kernel_code(n);
  if (op < 0 || n->out[0] == IR_NONE) return KN_EUNSUPPORTED;
  const ir_type *yt = cg_vtype(c, n->out[0]);
  const int dt = yt->dtype;
  const char *sfx = ew_suffix(dt);
  if (!sfx || dt == KN_BOOL) return KN_EUNSUPPORTED;
  if ((op == KK_EW_SHL || op == KK_EW_SHR) && !(dt == KN_U8 || dt == KN_U16 || dt == KN_U32 || dt == KN_U64))
    return KN_EUNSUPPORTED;
  int nin = 0;
  for (int i = 0; i < n->nin; i++) {
    if (n->in[i] == IR_NONE || cg_vtype(c, n->in[i])->dtype != dt) return KN_EUNSUPPORTED;
    nin++;
  }
  if (nin == 0) return KN_EUNSUPPORTED;
  const int64_t count = ir_type_numel(yt);
  const int64_t bytes = count * (int64_t)kn_dtype_size(dt);
  if (nin == 1) { /* Sum/Mean/Min/Max of one input: a copy */
    if (ir_type_numel(cg_vtype(c, n->in[0])) != count) return KN_EUNSUPPORTED;
    if (bytes > 0) LLVMBuildMemCpy(c->b, cg_value_ptr(c, n->out[0]), 1, cg_value_ptr(c, n->in[0]), 1, cg_i64(c, bytes));
    return KN_OK;
  }
  /* every plan must exist before anything is emitted */
  for (int i = 1; i < nin; i++) {
    const ir_type *ins[2] = {i == 1 ? cg_vtype(c, n->in[0]) : yt, cg_vtype(c, n->in[i])};
    ew_plan p;
    if (!plan_make(yt, 2, ins, &p)) return KN_EUNSUPPORTED;
  }
  if (count == 0) return KN_OK;
  bool mean = n->op == IR_OP_Mean;
  LLVMValueRef mean_fn = NULL;
  if (mean && !(mean_fn = kernel(c, "kk_elementwise_binary_flat_%s", sfx))) return KN_EUNSUPPORTED;
  if (!kernel(c, "kk_elementwise_binary_%s", sfx) || !kernel(c, "kk_elementwise_binary_flat_%s", sfx))
    return KN_EUNSUPPORTED;
  LLVMValueRef y = cg_value_ptr(c, n->out[0]);
  KN_TRY(binary_pair(c, op, sfx, yt, cg_vtype(c, n->in[0]), cg_value_ptr(c, n->in[0]), n->in[1],
                     cg_value_ptr(c, n->in[1]), y));
  for (int i = 2; i < nin; i++) KN_TRY(binary_pair(c, op, sfx, yt, yt, y, n->in[i], cg_value_ptr(c, n->in[i]), y));
  if (mean) {
    /* y /= count, the count as a one-element constant of the dtype */
    LLVMTypeRef et = elem_type(c, dt);
    LLVMValueRef cv = is_float(dt) ? LLVMConstReal(et, nin) : LLVMConstInt(et, (unsigned long long)nin, 0);
    LLVMValueRef gv = LLVMAddGlobal(c->m, et, "mean_count");
    LLVMSetInitializer(gv, cv);
    LLVMSetGlobalConstant(gv, 1);
    LLVMSetLinkage(gv, LLVMPrivateLinkage);
    LLVMValueRef args[7] = {cg_i32(c, KK_EW_DIV), cg_i64(c, count), y, cg_i64(c, 1), gv, cg_i64(c, 0), y};
    cg_call(c, mean_fn, args, 7);
  }
  return KN_OK;
}

kn_status cg_lower_compare(cg_ctx *c, const ir_node *n) {
  int op = pred_code(n->op);
  if (op < 0 || n->nin != 2 || n->out[0] == IR_NONE) return KN_EUNSUPPORTED;
  const ir_type *at = cg_vtype(c, n->in[0]), *bt = cg_vtype(c, n->in[1]), *yt = cg_vtype(c, n->out[0]);
  const char *sfx = ew_suffix(at->dtype);
  if (!sfx || bt->dtype != at->dtype || yt->dtype != KN_BOOL) return KN_EUNSUPPORTED;
  bool logic = op == KK_EW_AND || op == KK_EW_OR || op == KK_EW_XOR;
  if (logic != (at->dtype == KN_BOOL)) return KN_EUNSUPPORTED;
  const ir_type *ins[2] = {at, bt};
  ew_plan p;
  if (!plan_make(yt, 2, ins, &p)) return KN_EUNSUPPORTED;
  if (ir_type_numel(yt) == 0) return KN_OK;
  return call_plan2(c, "pred", sfx, op, &p, cg_value_ptr(c, n->in[0]), cg_value_ptr(c, n->in[1]),
                    cg_value_ptr(c, n->out[0]));
}

/* ===== Where, Clip, Cast, Dropout ===== */
kn_status cg_lower_where(cg_ctx *c, const ir_node *n) {
  if (n->nin != 3 || n->out[0] == IR_NONE) return KN_EUNSUPPORTED;
  const ir_type *ct = cg_vtype(c, n->in[0]), *xt = cg_vtype(c, n->in[1]), *zt = cg_vtype(c, n->in[2]), *yt = cg_vtype(c, n->out[0]);
  if (ct->dtype != KN_BOOL || xt->dtype != yt->dtype || zt->dtype != yt->dtype) return KN_EUNSUPPORTED;
  size_t es = kn_dtype_size(yt->dtype);
  if (yt->dtype == KN_STRING || (es != 1 && es != 2 && es != 4 && es != 8)) return KN_EUNSUPPORTED;
  const ir_type *ins[3] = {ct, xt, zt};
  ew_plan p;
  if (!plan_make(yt, 3, ins, &p)) return KN_EUNSUPPORTED;
  if (ir_type_numel(yt) == 0) return KN_OK;
  char bits[8];
  snprintf(bits, sizeof bits, "%d", (int)es * 8);
  LLVMValueRef fn = kernel(c, "kk_elementwise_where_%s", bits);
  if (!fn) return KN_EUNSUPPORTED;
  LLVMValueRef args[9] = {cg_i32(c, p.rank), cg_i64_array(c, p.dims, p.rank), cg_value_ptr(c, n->in[0]),
                          cg_i64_array(c, p.st[0], p.rank), cg_value_ptr(c, n->in[1]), cg_i64_array(c, p.st[1], p.rank),
                          cg_value_ptr(c, n->in[2]), cg_i64_array(c, p.st[2], p.rank), cg_value_ptr(c, n->out[0])};
  cg_call(c, fn, args, 9);
  return KN_OK;
}

/* The clip bound of input i: its value (a constant, or loaded at run time),
 * or the dtype's extreme when absent or empty. */
static LLVMValueRef clip_bound(cg_ctx *c, const ir_node *n, int i, int dt, bool lo) {
  LLVMTypeRef et = elem_type(c, dt);
  if (i < n->nin && n->in[i] != IR_NONE && ir_type_numel(cg_vtype(c, n->in[i])) == 1) {
    const kn_tensor *t = c->g->values[n->in[i]].constant;
    if (t && is_float(dt)) return LLVMConstReal(et, kn_tensor_get_f64(t, 0));
    if (t) return LLVMConstInt(et, (unsigned long long)kn_tensor_get_i64(t, 0), 0);
    return cg_load(c->b, et, cg_value_ptr(c, n->in[i]), 1);
  }
  if (is_float(dt)) return LLVMConstReal(et, lo ? -__builtin_inf() : __builtin_inf());
  bool sgn = dt == KN_I8 || dt == KN_I16 || dt == KN_I32 || dt == KN_I64;
  unsigned bits = (unsigned)kn_dtype_size(dt) * 8;
  uint64_t umax = bits == 64 ? ~0ull : (1ull << bits) - 1;
  uint64_t v = lo ? (sgn ? (uint64_t)1 << (bits - 1) : 0) : (sgn ? umax >> 1 : umax);
  return LLVMConstInt(et, v, 0);
}

kn_status cg_lower_clip(cg_ctx *c, const ir_node *n) {
  if (n->out[0] == IR_NONE) return KN_EUNSUPPORTED;
  const ir_type *xt = cg_vtype(c, n->in[0]);
  const int dt = xt->dtype;
  const char *sfx = ew_suffix(dt);
  if (!sfx || dt == KN_BOOL || cg_vtype(c, n->out[0])->dtype != dt) return KN_EUNSUPPORTED;
  for (int i = 1; i < n->nin && i < 3; i++) {
    if (n->in[i] == IR_NONE) continue;
    const ir_type *t = cg_vtype(c, n->in[i]);
    int64_t k = ir_type_numel(t);
    if (k > 1 || (k == 1 && t->dtype != dt)) return KN_EUNSUPPORTED; /* the reference reports it */
  }
  const int64_t count = ir_type_numel(xt);
  if (count == 0) return KN_OK;
  LLVMValueRef fn = kernel(c, "kk_elementwise_clip_%s", sfx);
  if (!fn) return KN_EUNSUPPORTED;
  LLVMValueRef args[5] = {cg_i64(c, count), cg_value_ptr(c, n->in[0]), cg_value_ptr(c, n->out[0]),
                          clip_bound(c, n, 1, dt, true), clip_bound(c, n, 2, dt, false)};
  cg_call(c, fn, args, 5);
  return KN_OK;
}

static bool cast_known(int dt) { return dt >= KN_F32 && dt <= KN_BF16 && dt != KN_STRING && dt != 14 && dt != 15; }

kn_status cg_lower_cast(cg_ctx *c, const ir_node *n) {
  if (n->out[0] == IR_NONE) return KN_EUNSUPPORTED;
  const ir_type *xt = cg_vtype(c, n->in[0]), *yt = cg_vtype(c, n->out[0]);
  if (!cast_known(xt->dtype) || !cast_known(yt->dtype) || ir_type_numel(xt) != ir_type_numel(yt)) return KN_EUNSUPPORTED;
  const int64_t count = ir_type_numel(xt);
  if (count == 0) return KN_OK;
  LLVMValueRef x = cg_value_ptr(c, n->in[0]), y = cg_value_ptr(c, n->out[0]);
  if (xt->dtype == yt->dtype) {
    LLVMBuildMemCpy(c->b, y, 1, x, 1, cg_i64(c, count * (int64_t)kn_dtype_size(xt->dtype)));
    return KN_OK;
  }
  LLVMValueRef fn = cg_kernel(c, "kk_elementwise_cast");
  if (!fn) return KN_EUNSUPPORTED;
  LLVMValueRef args[5] = {cg_i64(c, count), x, cg_i32(c, xt->dtype), y, cg_i32(c, yt->dtype)};
  cg_call(c, fn, args, 5);
  return KN_OK;
}

