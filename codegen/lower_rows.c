/* lower_rows.c: row-wise ops: Softmax, LogSoftmax, LayerNormalization,
 * InstanceNormalization, the
 * Reduce* family, ArgMax/ArgMin, Hardmax and LpNormalization.
 * Softmax/LogSoftmax over the contiguous last axis (the attention case), f32
 * LayerNormalization and InstanceNormalization are generated IR: one function per distinct shape
 * (nodes of equal shape share it) that loops over the rows, each row walked
 * in <VW x float> vectors in a few passes (max, exp and sum, scale; or sum,
 * squared deviations, normalize) with the row length a compile-time constant,
 * so every loop has a constant trip count and the row tail is a single masked
 * access. Rows are short (50-77 for attention, 768 for LayerNorm) and stay in
 * L1 between passes, so passes cost little and keep each loop simple. exp is
 * the vector polynomial of lower_vec.c: a scalar expf per element would
 * dominate the op. Sums start from -0.0, the identity of fadd, so LLVM folds
 * the first add away.
 * The other cases (softmax along an inner axis, f64, reductions, arg-extrema,
 * Hardmax, LpNormalization) call the kernel library with constant shapes; the
 * reductions merge axes (and gather non-adjacent ones into scratch) exactly as
 * the reference adapter does, so the results are the reference's. */
#include "k_norm.h"
#include "k_reduce.h"
#include "lower_vec.h"
#include <stdio.h>
#include <string.h>

static bool has_output(cg_ctx *c, const ir_node *n, int k) {
  return k < n->nout && n->out[k] != IR_NONE && c->loc[n->out[k]].kind != CG_LOC_NONE;
}

/* ===== Softmax, LogSoftmax and the other ops along one axis ===== */
typedef struct row_ctx {
  LLVMValueRef x, y, scale, bias; /* row pointers (scale/bias: the shared vectors, or splats) */
  bool affine_splat;              /* scale/bias are one value per row (InstanceNormalization) */
  LLVMValueRef m, s, inv;         /* splat row statistics */
} row_ctx;

static LLVMValueRef body_max(cg_vgen *g, void *p, LLVMValueRef off, int64_t lanes, LLVMValueRef acc) {
  row_ctx *r = p;
  return cg_vcombine(g, CG_VMAX, acc, cg_vload(g, r->x, off, lanes, -__builtin_inff()));
}

/* Masked-off lanes of a partial vector must not reach an accumulator. */
static LLVMValueRef only_lanes(cg_vgen *g, LLVMValueRef v, int64_t lanes) {
  if (lanes >= g->vw) return v;
  return LLVMBuildSelect(g->b, cg_vmask(g, lanes), v, cg_vf(g, 0.0f), "");
}

static LLVMValueRef body_exp_store(cg_vgen *g, void *p, LLVMValueRef off, int64_t lanes, LLVMValueRef acc) {
  row_ctx *r = p;
  LLVMValueRef e = cg_vexp(g, LLVMBuildFSub(g->b, cg_vload(g, r->x, off, lanes, 0.0f), r->m, ""));
  cg_vstore(g, e, r->y, off, lanes);
  return LLVMBuildFAdd(g->b, acc, only_lanes(g, e, lanes), "");
}

static LLVMValueRef body_exp_sum(cg_vgen *g, void *p, LLVMValueRef off, int64_t lanes, LLVMValueRef acc) {
  row_ctx *r = p;
  LLVMValueRef e = cg_vexp(g, LLVMBuildFSub(g->b, cg_vload(g, r->x, off, lanes, 0.0f), r->m, ""));
  return LLVMBuildFAdd(g->b, acc, only_lanes(g, e, lanes), "");
}

static LLVMValueRef body_scale(cg_vgen *g, void *p, LLVMValueRef off, int64_t lanes, LLVMValueRef acc) {
  row_ctx *r = p;
  cg_vstore(g, LLVMBuildFMul(g->b, cg_vload(g, r->y, off, lanes, 0.0f), r->s, ""), r->y, off, lanes);
  return acc;
}

static LLVMValueRef body_logsm(cg_vgen *g, void *p, LLVMValueRef off, int64_t lanes, LLVMValueRef acc) {
  row_ctx *r = p;
  LLVMValueRef d = LLVMBuildFSub(g->b, cg_vload(g, r->x, off, lanes, 0.0f), r->m, "");
  cg_vstore(g, LLVMBuildFSub(g->b, d, r->s, ""), r->y, off, lanes);
  return acc;
}

static LLVMValueRef row_ptr(cg_vgen *g, LLVMValueRef base, LLVMValueRef row, int64_t len) {
  return cg_vgep(g, base, LLVMBuildNUWMul(g->b, row, cg_vi64(g, len), ""));
}

/* Softmax (log = false) or LogSoftmax of `rows` contiguous rows of len floats. */
static void gen_softmax(cg_ctx *c, LLVMValueRef x, LLVMValueRef y, int64_t rows, int64_t len, bool log) {
  LLVMValueRef args[2] = {x, y};
  char name[96];
  snprintf(name, sizeof name, "kiln_%ssoftmax_%lldx%lld", log ? "log" : "", (long long)rows, (long long)len);
  if (cg_vgen_reuse(c, name, args, 2)) return;
  cg_vgen g;
  cg_vgen_begin(&g, c, name, 2);
  cg_loop l;
  cg_loop_begin(c, g.b, &l, rows, "row");
  row_ctx r = {.x = row_ptr(&g, cg_vgen_param(&g, 0), l.iv, len), .y = row_ptr(&g, cg_vgen_param(&g, 1), l.iv, len)};
  LLVMValueRef mx = cg_vpass(&g, len, 4, cg_vf(&g, -__builtin_inff()), CG_VMAX, body_max, &r);
  r.m = cg_vsplat(&g, cg_vhreduce(&g, CG_VMAX, mx));
  LLVMValueRef sum = cg_vpass(&g, len, 4, cg_vf(&g, -0.0f), CG_VADD, log ? body_exp_sum : body_exp_store, &r);
  LLVMValueRef s = cg_vhreduce(&g, CG_VADD, sum);
  if (log) {
    /* one log per row, in double as the reference kernel takes it */
    LLVMValueRef ls = cg_vintrinsic1(&g, "llvm.log", LLVMBuildFPExt(g.b, s, c->f64, ""));
    r.s = cg_vsplat(&g, LLVMBuildFPTrunc(g.b, ls, c->f32, ""));
    cg_vpass(&g, len, 1, NULL, CG_VADD, body_logsm, &r);
  } else {
    r.s = cg_vsplat(&g, LLVMBuildFDiv(g.b, LLVMConstReal(c->f32, 1.0), s, "inv"));
    cg_vpass(&g, len, 1, NULL, CG_VADD, body_scale, &r);
  }
  cg_loop_end(c, g.b, &l, NULL);
  cg_vgen_end(&g, args);
}

/* Softmax, LogSoftmax, Hardmax (op's legacy_coerce_2d: the whole tail from
 * axis is one row) and LpNormalization along one axis. */
kn_status cg_lower_axis_op(cg_ctx *c, const ir_node *n) {
  const ir_type *xt = cg_vtype(c, n->in[0]);
  if (n->out[0] == IR_NONE) return KN_OK;
  if (xt->dtype != KN_F32 && xt->dtype != KN_F64) return KN_EUNSUPPORTED;
  if (cg_vtype(c, n->out[0])->dtype != xt->dtype) return KN_EUNSUPPORTED;
  int64_t p = ir_attr_i(n, "p");
  if (n->op == IR_OP_LpNormalization && p != 1 && p != 2) return KN_EUNSUPPORTED;
  /* the (outer, len, inner) view of the reference adapter */
  bool legacy = n->op != IR_OP_LpNormalization && ir_attr_int(n, "legacy_coerce_2d", 0) != 0;
  int64_t axis = ir_op_axis(n), r = xt->rank, outer, len, inner;
  if (axis < 0) axis += r;
  if (legacy) {
    if (axis < 0 || axis > r) return KN_EUNSUPPORTED;
    outer = kn_dims_prod(xt->dims, 0, (int)axis), len = kn_dims_prod(xt->dims, (int)axis, (int)r), inner = 1;
  } else if (r == 0 && axis == 0) {
    outer = len = inner = 1;
  } else {
    if (axis < 0 || axis >= r) return KN_EUNSUPPORTED;
    outer = kn_dims_prod(xt->dims, 0, (int)axis), len = xt->dims[axis], inner = kn_dims_prod(xt->dims, (int)axis + 1, (int)r);
  }
  if (outer * len * inner == 0) return KN_OK;
  bool log = n->op == IR_OP_LogSoftmax, softmax = log || n->op == IR_OP_Softmax;
  LLVMValueRef x = cg_value_ptr(c, n->in[0]), y = cg_value_ptr(c, n->out[0]);
  if (xt->dtype == KN_F32 && inner == 1 && softmax) {
    gen_softmax(c, x, y, outer, len, log);
    return KN_OK;
  }
  const char *what = n->op == IR_OP_Hardmax ? "hardmax" : n->op == IR_OP_LpNormalization ? "lpnorm"
                     : log                  ? "logsoftmax"
                                            : "softmax";
  char name[40];
  snprintf(name, sizeof name, "kk_norm_%s_%s", what, xt->dtype == KN_F32 ? "f32" : "f64");
  LLVMValueRef fn = cg_kernel(c, name);
  if (!fn) return KN_EUNSUPPORTED;
  LLVMValueRef args[6] = {x, y, cg_i64(c, outer), cg_i64(c, len), cg_i64(c, inner), cg_i32(c, (int32_t)p)};
  cg_call(c, fn, args, n->op == IR_OP_LpNormalization ? 6 : 5);
  return KN_OK;
}

/* ===== LayerNormalization ===== */
/* The statistics are taken of x - x[0] (r->m holds x[0] splat, r->s the
 * shifted mean): when a row's mean is large against its spread, the float sums
 * of x itself lose the digits that matter, while the shifted values keep them. */
static LLVMValueRef shifted(cg_vgen *g, row_ctx *r, LLVMValueRef off, int64_t lanes) {
  return LLVMBuildFSub(g->b, cg_vload(g, r->x, off, lanes, 0.0f), r->m, "");
}

static LLVMValueRef body_sum(cg_vgen *g, void *p, LLVMValueRef off, int64_t lanes, LLVMValueRef acc) {
  return LLVMBuildFAdd(g->b, acc, only_lanes(g, shifted(g, p, off, lanes), lanes), "");
}

static LLVMValueRef body_sqdev(cg_vgen *g, void *p, LLVMValueRef off, int64_t lanes, LLVMValueRef acc) {
  row_ctx *r = p;
  LLVMValueRef d = LLVMBuildFSub(g->b, shifted(g, r, off, lanes), r->s, "");
  return cg_vfmuladd(g, only_lanes(g, d, lanes), d, acc);
}

static LLVMValueRef body_norm(cg_vgen *g, void *p, LLVMValueRef off, int64_t lanes, LLVMValueRef acc) {
  row_ctx *r = p;
  LLVMValueRef d = LLVMBuildFSub(g->b, shifted(g, r, off, lanes), r->s, "");
  LLVMValueRef sc = r->affine_splat ? r->scale : cg_vload(g, r->scale, off, lanes, 0.0f);
  LLVMValueRef v = LLVMBuildFMul(g->b, LLVMBuildFMul(g->b, d, r->inv, ""), sc, "");
  if (r->bias) v = LLVMBuildFAdd(g->b, v, r->affine_splat ? r->bias : cg_vload(g, r->bias, off, lanes, 0.0f), "");
  cg_vstore(g, v, r->y, off, lanes);
  return acc;
}

/* params: x, scale, bias, y, mean, inv_std (the absent ones are never touched).
 * chan == 0: scale and bias are len-element vectors shared by every row
 * (LayerNormalization); chan > 0: one value per row, of channel row % chan
 * (InstanceNormalization, rows = N x C). */
static void gen_layernorm(cg_ctx *c, LLVMValueRef *args, int64_t rows, int64_t len, float eps, bool bias,
                          bool mean_out, bool inv_out, int64_t chan) {
  char name[112];
  union {
    float f;
    uint32_t u;
  } e = {.f = eps};
  snprintf(name, sizeof name, "kiln_layernorm_%lldx%lld_e%08x%s%s%s_c%lld", (long long)rows, (long long)len,
           (unsigned)e.u, bias ? "_b" : "", mean_out ? "_m" : "", inv_out ? "_i" : "", (long long)chan);
  if (cg_vgen_reuse(c, name, args, 6)) return;
  cg_vgen g;
  cg_vgen_begin(&g, c, name, 6);
  cg_loop l;
  cg_loop_begin(c, g.b, &l, rows, "row");
  row_ctx r = {.x = row_ptr(&g, cg_vgen_param(&g, 0), l.iv, len),
               .y = row_ptr(&g, cg_vgen_param(&g, 3), l.iv, len),
               .scale = cg_vgen_param(&g, 1),
               .bias = bias ? cg_vgen_param(&g, 2) : NULL};
  if (chan > 0) {
    LLVMValueRef ch = LLVMBuildURem(g.b, l.iv, cg_vi64(&g, chan), "ch");
    r.affine_splat = true;
    r.scale = cg_vsplat(&g, cg_vscalar_load(&g, r.scale, ch));
    if (bias) r.bias = cg_vsplat(&g, cg_vscalar_load(&g, r.bias, ch));
  }
  LLVMValueRef x0 = cg_vscalar_load(&g, r.x, cg_vi64(&g, 0));
  r.m = cg_vsplat(&g, x0);
  LLVMValueRef inv_len = LLVMConstReal(c->f32, 1.0 / (double)len);
  LLVMValueRef sum = cg_vhreduce(&g, CG_VADD, cg_vpass(&g, len, 4, cg_vf(&g, -0.0f), CG_VADD, body_sum, &r));
  LLVMValueRef mu = LLVMBuildFMul(g.b, sum, inv_len, "");
  r.s = cg_vsplat(&g, mu);
  /* two passes (mean, then squared deviations): E[x^2] - E[x]^2 cancels */
  LLVMValueRef q = cg_vhreduce(&g, CG_VADD, cg_vpass(&g, len, 4, cg_vf(&g, -0.0f), CG_VADD, body_sqdev, &r));
  LLVMValueRef var = LLVMBuildFPExt(g.b, LLVMBuildFMul(g.b, q, inv_len, ""), c->f64, "var");
  LLVMValueRef sd = cg_vintrinsic1(&g, "llvm.sqrt", LLVMBuildFAdd(g.b, var, LLVMConstReal(c->f64, eps), ""));
  LLVMValueRef inv = LLVMBuildFPTrunc(g.b, LLVMBuildFDiv(g.b, LLVMConstReal(c->f64, 1.0), sd, ""), c->f32, "inv");
  r.inv = cg_vsplat(&g, inv);
  cg_vpass(&g, len, 1, NULL, CG_VADD, body_norm, &r);
  if (mean_out) {
    LLVMValueRef mean = LLVMBuildFAdd(g.b, x0, mu, "mean");
    cg_store(g.b, mean, cg_vgep(&g, cg_vgen_param(&g, 4), l.iv), 4);
  }
  if (inv_out) cg_store(g.b, inv, cg_vgep(&g, cg_vgen_param(&g, 5), l.iv), 4);
  cg_loop_end(c, g.b, &l, NULL);
  cg_vgen_end(&g, args);
}

kn_status cg_lower_layernorm(cg_ctx *c, const ir_node *n) {
  const ir_type *xt = cg_vtype(c, n->in[0]);
  int dt = xt->dtype;
  if (dt != KN_F32 && dt != KN_F64) return KN_EUNSUPPORTED;
  int64_t axis = ir_op_axis(n);
  if (axis < 0) axis += xt->rank;
  if (axis < 0 || axis >= xt->rank) return KN_EUNSUPPORTED;
  int64_t outer = kn_dims_prod(xt->dims, 0, (int)axis), len = kn_dims_prod(xt->dims, (int)axis, xt->rank);
  if (outer == 0) return KN_OK;
  if (len == 0) return KN_EUNSUPPORTED;
  /* scale and bias as plain len-element vectors (else the reference expands them) */
  bool bias = n->nin > 2 && n->in[2] != IR_NONE;
  for (int i = 1; i < (bias ? 3 : 2); i++)
    if (cg_vtype(c, n->in[i])->dtype != dt || ir_type_numel(cg_vtype(c, n->in[i])) != len) return KN_EUNSUPPORTED;
  if (n->out[0] == IR_NONE || cg_vtype(c, n->out[0])->dtype != dt) return KN_EUNSUPPORTED;
  bool stats[3] = {true, has_output(c, n, 1), has_output(c, n, 2)};
  for (int k = 1; k < 3; k++)
    if (stats[k] && cg_vtype(c, n->out[k])->dtype != dt) return KN_EUNSUPPORTED;
  float eps = ir_norm_epsilon(n);
  LLVMValueRef null = LLVMConstNull(c->ptr);
  LLVMValueRef args[6] = {cg_value_ptr(c, n->in[0]), cg_value_ptr(c, n->in[1]), bias ? cg_value_ptr(c, n->in[2]) : null,
                          cg_value_ptr(c, n->out[0]), stats[1] ? cg_value_ptr(c, n->out[1]) : null,
                          stats[2] ? cg_value_ptr(c, n->out[2]) : null};
  if (dt == KN_F32) {
    gen_layernorm(c, args, outer, len, eps, bias, stats[1], stats[2], 0);
    return KN_OK;
  }
  LLVMValueRef fn = cg_kernel(c, "kk_norm_layernorm_f64");
  if (!fn) return KN_EUNSUPPORTED;
  LLVMValueRef kargs[9] = {args[0], args[1], args[2], args[3], args[4], args[5], cg_i64(c, outer), cg_i64(c, len),
                           LLVMConstReal(c->f32, eps)};
  cg_call(c, fn, kargs, 9);
  return KN_OK;
}

/* InstanceNormalization: the LayerNorm row generator over rows of N x C
 * channels, each row all the spatial positions of one channel, with the
 * channel's scale and bias. */
kn_status cg_lower_instancenorm_rows(cg_ctx *c, const ir_node *n) {
  const ir_type *xt = cg_vtype(c, n->in[0]);
  if (xt->dtype != KN_F32 || xt->rank < 2 || n->nin < 3 || n->out[0] == IR_NONE) return KN_EUNSUPPORTED;
  const int64_t ch = xt->dims[1], rows = kn_dims_prod(xt->dims, 0, 2), len = kn_dims_prod(xt->dims, 2, xt->rank);
  for (int i = 1; i < 3; i++)
    if (n->in[i] == IR_NONE || cg_vtype(c, n->in[i])->dtype != KN_F32 || ir_type_numel(cg_vtype(c, n->in[i])) != ch)
      return KN_EUNSUPPORTED;
  if (rows == 0) return KN_OK;
  if (len == 0) return KN_EUNSUPPORTED;
  LLVMValueRef null = LLVMConstNull(c->ptr);
  LLVMValueRef args[6] = {cg_value_ptr(c, n->in[0]), cg_value_ptr(c, n->in[1]), cg_value_ptr(c, n->in[2]),
                          cg_value_ptr(c, n->out[0]), null, null};
  gen_layernorm(c, args, rows, len, ir_norm_epsilon(n), true, false, false, ch);
  return KN_OK;
}

/* ===== Reduce* ===== */
static const char *reduce_suffix(int dt) {
  switch (dt) {
  case KN_F32: return "f32";
  case KN_F64: return "f64";
  case KN_I32: return "i32";
  case KN_I64: return "i64";
  case KN_U32: return "u32";
  case KN_U64: return "u64";
  case KN_I8: return "i8";
  case KN_U8: return "u8";
  case KN_I16: return "i16";
  case KN_U16: return "u16";
  default: return NULL;
  }
}

kn_status cg_lower_reduce(cg_ctx *c, const ir_node *n) {
  const ir_type *xt = cg_vtype(c, n->in[0]);
  const char *sfx = reduce_suffix(xt->dtype);
  if (!sfx || n->out[0] == IR_NONE) return KN_EUNSUPPORTED;
  const ir_type *yt = cg_vtype(c, n->out[0]);
  if (yt->dtype != xt->dtype) return KN_EUNSUPPORTED;
  const int rank = xt->rank;
  bool reduced[KN_MAX_RANK] = {false};
  const kn_tensor *ax = n->nin > 1 && n->in[1] != IR_NONE ? c->g->values[n->in[1]].constant : NULL;
  if (n->nin > 1 && n->in[1] != IR_NONE && !ax) return KN_EUNSUPPORTED; /* axes computed at run time */
  int64_t naxes = ax ? kn_dims_numel(ax->rank, ax->dims) : 0;
  if (naxes < 0 || naxes > rank) return KN_EUNSUPPORTED;
  int64_t bytes = ir_type_numel(xt) * (int64_t)kn_dtype_size(xt->dtype);
  if (naxes == 0) {
    if (ir_attr_i(n, "noop_with_empty_axes")) { /* a copy */
      if (ir_type_numel(yt) != ir_type_numel(xt)) return KN_EUNSUPPORTED;
      if (bytes > 0)
        LLVMBuildMemCpy(c->b, cg_value_ptr(c, n->out[0]), 1, cg_value_ptr(c, n->in[0]), 1, cg_i64(c, bytes));
      return KN_OK;
    }
    for (int d = 0; d < rank; d++) reduced[d] = true;
  }
  for (int64_t k = 0; k < naxes; k++) {
    int64_t a = kn_tensor_get_i64(ax, k);
    if (a < -rank || a >= rank) return KN_EUNSUPPORTED; /* the reference reports it */
    if (a < 0) a += rank;
    if (reduced[a]) return KN_EUNSUPPORTED;
    reduced[a] = true;
  }
  if (ir_type_numel(yt) == 0) return KN_OK;
  ir_reduce_plan rp; /* shared with the reference executor (ir/reduce_plan.c) */
  ir_reduce_plan_make(rank, xt->dims, reduced, &rp);
  int64_t outer = rp.outer, red = rp.red, inner = rp.inner;
  char name[40];
  snprintf(name, sizeof name, "kk_reduce_%s", sfx);
  LLVMValueRef fn = cg_kernel(c, name);
  if (!fn) return KN_EUNSUPPORTED;
  LLVMValueRef src = cg_value_ptr(c, n->in[0]);
  if (rp.np) {
    int np = rp.np;
    const int64_t *pdim = rp.pdim, *pstride = rp.pstride;
    size_t es = kn_dtype_size(xt->dtype);
    snprintf(name, sizeof name, "kk_reduce_gather_b%d", (int)es);
    LLVMValueRef gfn = cg_kernel(c, name);
    if (!gfn) return KN_EUNSUPPORTED;
    LLVMValueRef tmp = cg_scratch(c, outer * red * (int64_t)es);
    LLVMValueRef gargs[5] = {src, tmp, cg_i32(c, np), cg_i64_array(c, pdim, np), cg_i64_array(c, pstride, np)};
    cg_call(c, gfn, gargs, 5);
    src = tmp;
  }
  LLVMValueRef args[6] = {cg_i32(c, ir_reduce_kernel_code(n->op)), src, cg_value_ptr(c, n->out[0]), cg_i64(c, outer),
                          cg_i64(c, red), cg_i64(c, inner)};
  cg_call(c, fn, args, 6);
  return KN_OK;
}

/* ArgMax/ArgMin along one axis: the kernel on [outer, n, inner] */
kn_status cg_lower_arg(cg_ctx *c, const ir_node *n) {
  const ir_type *xt = cg_vtype(c, n->in[0]);
  const char *sfx = reduce_suffix(xt->dtype);
  if (!sfx || n->out[0] == IR_NONE || cg_vtype(c, n->out[0])->dtype != KN_I64 || xt->rank == 0) return KN_EUNSUPPORTED;
  int64_t axis = ir_op_axis(n);
  if (axis < -xt->rank || axis >= xt->rank) return KN_EUNSUPPORTED;
  if (axis < 0) axis += xt->rank;
  int64_t outer = kn_dims_prod(xt->dims, 0, (int)axis), len = xt->dims[axis], inner = kn_dims_prod(xt->dims, (int)axis + 1, xt->rank);
  if (outer * inner == 0) return KN_OK;
  if (len == 0) return KN_EUNSUPPORTED; /* the reference reports it */
  char name[40];
  snprintf(name, sizeof name, "kk_reduce_arg_%s", sfx);
  LLVMValueRef fn = cg_kernel(c, name);
  if (!fn) return KN_EUNSUPPORTED;
  LLVMValueRef args[7] = {cg_value_ptr(c, n->in[0]), cg_value_ptr(c, n->out[0]), cg_i64(c, outer), cg_i64(c, len),
                          cg_i64(c, inner), cg_i32(c, n->op == IR_OP_ArgMin),
                          cg_i32(c, ir_attr_i(n, "select_last_index") != 0)};
  cg_call(c, fn, args, 7);
  return KN_OK;
}
