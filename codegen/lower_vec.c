/* lower_vec.c: vector IR helpers shared by the lowerings that generate their
 * own loops (see lower_vec.h). Everything is built with the LLVM C API on a
 * builder of the generated function; shapes are compile-time constants, so
 * loops have constant trip counts and the row tail is one masked access with a
 * constant mask rather than a scalar epilogue. */
#include "lower_vec.h"
#include <string.h>

bool cg_vgen_reuse(cg_ctx *c, const char *name, LLVMValueRef *args, int nargs) {
  LLVMValueRef fn = LLVMGetNamedFunction(c->m, name);
  if (!fn) return false;
  cg_call(c, fn, args, (unsigned)nargs);
  return true;
}

void cg_vgen_begin(cg_vgen *g, cg_ctx *c, const char *name, int nptr) {
  LLVMTypeRef params[CG_VG_MAX_PARAMS];
  for (int i = 0; i < nptr; i++) params[i] = c->ptr;
  cg_vgen_begin_typed(g, c, name, params, nptr);
}

void cg_vgen_begin_typed(cg_vgen *g, cg_ctx *c, const char *name, LLVMTypeRef *params, int n) {
  memset(g, 0, sizeof *g);
  g->c = c;
  g->vw = c->vec_bytes / 4 >= 4 ? c->vec_bytes / 4 : 4;
  g->vf = LLVMVectorType(c->f32, (unsigned)g->vw);
  g->vi = LLVMVectorType(c->i32, (unsigned)g->vw);
  g->nparams = n;
  g->fn = cg_fn_begin(c, name, params, n, CG_FN_NOINLINE, &g->b);
}

LLVMValueRef cg_vgen_param(cg_vgen *g, int i) { return LLVMGetParam(g->fn, (unsigned)i); }

void cg_vgen_finish(cg_vgen *g) {
  cg_fn_end(g->b);
  g->b = NULL;
}

void cg_vgen_end(cg_vgen *g, LLVMValueRef *args) {
  cg_fn_end_call(g->c, g->fn, g->b, args, (unsigned)g->nparams);
  g->b = NULL;
}

/* ---- constants, addresses, memory ---- */
LLVMValueRef cg_vi64(cg_vgen *g, int64_t v) { return LLVMConstInt(g->c->i64, (unsigned long long)v, 1); }

static LLVMValueRef splat_const(LLVMValueRef s, int n) {
  LLVMValueRef e[64];
  for (int i = 0; i < n; i++) e[i] = s;
  return LLVMConstVector(e, (unsigned)n);
}

LLVMValueRef cg_vf(cg_vgen *g, float v) { return splat_const(LLVMConstReal(g->c->f32, v), g->vw); }
static LLVMValueRef vi(cg_vgen *g, int32_t v) {
  return splat_const(LLVMConstInt(g->c->i32, (unsigned long long)(int64_t)v, 1), g->vw);
}

LLVMValueRef cg_vsplat(cg_vgen *g, LLVMValueRef s) {
  LLVMValueRef v = LLVMBuildInsertElement(g->b, LLVMGetPoison(g->vf), s, LLVMConstInt(g->c->i32, 0, 0), "");
  return LLVMBuildShuffleVector(g->b, v, LLVMGetPoison(g->vf), LLVMConstNull(g->vi), "splat");
}

LLVMValueRef cg_vgep(cg_vgen *g, LLVMValueRef base, LLVMValueRef off) {
  return cg_gep_inbounds(g->b, g->c->f32, base, off);
}

LLVMValueRef cg_vmask(cg_vgen *g, int64_t lanes) {
  LLVMValueRef e[64];
  for (int i = 0; i < g->vw; i++) e[i] = LLVMConstInt(g->c->i1, i < lanes, 0);
  return LLVMConstVector(e, (unsigned)g->vw);
}

LLVMValueRef cg_vload(cg_vgen *g, LLVMValueRef base, LLVMValueRef off, int64_t lanes, float fill) {
  LLVMValueRef p = cg_vgep(g, base, off);
  if (lanes >= g->vw) return cg_load(g->b, g->vf, p, 4);
  return cg_load_masked(g->c, g->b, g->vf, p, 4, cg_vmask(g, lanes), cg_vf(g, fill));
}

void cg_vstore(cg_vgen *g, LLVMValueRef v, LLVMValueRef base, LLVMValueRef off, int64_t lanes) {
  LLVMValueRef p = cg_vgep(g, base, off);
  if (lanes >= g->vw) cg_store(g->b, v, p, 4);
  else cg_store_masked(g->c, g->b, v, p, 4, cg_vmask(g, lanes));
}

LLVMValueRef cg_vscalar_load(cg_vgen *g, LLVMValueRef base, LLVMValueRef off) {
  return cg_load(g->b, g->c->f32, cg_vgep(g, base, off), 4);
}

/* ---- arithmetic ---- */
LLVMValueRef cg_vcombine(cg_vgen *g, cg_vop op, LLVMValueRef a, LLVMValueRef b) {
  if (op == CG_VADD) return LLVMBuildFAdd(g->b, a, b, "");
  return LLVMBuildSelect(g->b, LLVMBuildFCmp(g->b, LLVMRealOGT, a, b, ""), a, b, "");
}

LLVMValueRef cg_vhreduce(cg_vgen *g, cg_vop op, LLVMValueRef v) {
  for (int w = g->vw; w > 1; w /= 2) {
    LLVMValueRef lo[32], hi[32];
    for (int i = 0; i < w / 2; i++) {
      lo[i] = LLVMConstInt(g->c->i32, (unsigned long long)i, 0);
      hi[i] = LLVMConstInt(g->c->i32, (unsigned long long)(i + w / 2), 0);
    }
    LLVMValueRef poison = LLVMGetPoison(LLVMTypeOf(v));
    LLVMValueRef a = LLVMBuildShuffleVector(g->b, v, poison, LLVMConstVector(lo, (unsigned)(w / 2)), "");
    LLVMValueRef b = LLVMBuildShuffleVector(g->b, v, poison, LLVMConstVector(hi, (unsigned)(w / 2)), "");
    v = cg_vcombine(g, op, a, b);
  }
  return LLVMBuildExtractElement(g->b, v, LLVMConstInt(g->c->i32, 0, 0), "");
}

LLVMValueRef cg_vfmuladd(cg_vgen *g, LLVMValueRef a, LLVMValueRef b, LLVMValueRef c) {
  LLVMTypeRef t = LLVMTypeOf(a);
  LLVMValueRef fn = cg_intrinsic(g->c, "llvm.fmuladd", &t, 1);
  LLVMValueRef args[3] = {a, b, c};
  return cg_call_at(g->b, fn, args, 3);
}

LLVMValueRef cg_vintrinsic1(cg_vgen *g, const char *name, LLVMValueRef v) {
  LLVMTypeRef t = LLVMTypeOf(v);
  return cg_call_at(g->b, cg_intrinsic(g->c, name, &t, 1), &v, 1);
}

LLVMValueRef cg_vintrinsic2(cg_vgen *g, const char *name, LLVMValueRef a, LLVMValueRef b) {
  LLVMTypeRef t = LLVMTypeOf(a);
  LLVMValueRef args[2] = {a, b};
  return cg_call_at(g->b, cg_intrinsic(g->c, name, &t, 1), args, 2);
}

LLVMValueRef cg_vminmax(cg_vgen *g, bool is_min, LLVMValueRef u, LLVMValueRef w) {
  LLVMBuilderRef b = g->b;
  LLVMValueRef lt = LLVMBuildFCmp(b, is_min ? LLVMRealOLT : LLVMRealOGT, u, w, "");
  LLVMValueRef take = LLVMBuildOr(b, LLVMBuildFCmp(b, LLVMRealUNO, u, u, ""), lt, "");
  return LLVMBuildSelect(b, take, u, w, "");
}

/* e^x = 2^n * e^r with n = rint(x / ln2) and r = x - n ln2 (ln2 split in two
 * parts so n ln2 is exact, Cody-Waite), e^r from the minimax polynomial of
 * Cephes' expf on |r| <= ln2/2. 2^n is applied as two factors 2^(n/2) and
 * 2^(n - n/2), each a normal float for every n the clamp allows, so results
 * near overflow stay finite and small ones underflow gradually as expf does. */
LLVMValueRef cg_vexp(cg_vgen *g, LLVMValueRef x) {
  LLVMBuilderRef b = g->b;
  const float hi = 88.72283935546875f, lo = -104.0f;
  /* the ordered compares send NaN to lo: no NaN reaches fptosi (it is restored below) */
  LLVMValueRef xc = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOGT, x, cg_vf(g, lo), ""), x, cg_vf(g, lo), "");
  xc = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOLT, xc, cg_vf(g, hi), ""), xc, cg_vf(g, hi), "");
  LLVMValueRef nf = cg_vintrinsic1(g, "llvm.rint", LLVMBuildFMul(b, xc, cg_vf(g, 1.44269504088896341f), ""));
  LLVMValueRef r = cg_vfmuladd(g, nf, cg_vf(g, -0.693359375f), xc);
  r = cg_vfmuladd(g, nf, cg_vf(g, 2.12194440e-4f), r);
  LLVMValueRef p = cg_vf(g, 1.9875691500e-4f);
  static const float coef[] = {1.3981999507e-3f, 8.3334519073e-3f, 4.1665795894e-2f, 1.6666665459e-1f,
                               5.0000001201e-1f};
  for (size_t i = 0; i < sizeof coef / sizeof coef[0]; i++) p = cg_vfmuladd(g, p, r, cg_vf(g, coef[i]));
  LLVMValueRef r2 = LLVMBuildFMul(b, r, r, "");
  p = cg_vfmuladd(g, p, r2, LLVMBuildFAdd(b, r, cg_vf(g, 1.0f), "")); /* 1 + r + r^2 P(r) */
  LLVMValueRef n = LLVMBuildFPToSI(b, nf, g->vi, "");
  LLVMValueRef n1 = LLVMBuildAShr(b, n, vi(g, 1), "");
  LLVMValueRef n2 = LLVMBuildSub(b, n, n1, "");
  LLVMValueRef s1 = LLVMBuildBitCast(b, LLVMBuildShl(b, LLVMBuildAdd(b, n1, vi(g, 127), ""), vi(g, 23), ""), g->vf, "");
  LLVMValueRef s2 = LLVMBuildBitCast(b, LLVMBuildShl(b, LLVMBuildAdd(b, n2, vi(g, 127), ""), vi(g, 23), ""), g->vf, "");
  /* the clamp bounds are chosen so that no extra selects are needed: e^hi
   * (hi just above ln FLT_MAX) overflows to +inf and e^lo rounds to +0 */
  LLVMValueRef y = LLVMBuildFMul(b, LLVMBuildFMul(b, p, s1, ""), s2, "");
  return LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealUNO, x, x, ""), x, y, "exp");
}

/* x * P(x^2) / Q(x^2) with x clamped to [-lim, lim], where f(x) = +-1 to
 * float precision. The coefficients (lowest order first, Q[0] = 1) are
 * relative-error least-squares fits of f(x)/x in t = x^2 made for kiln with
 * mpmath (linearized, reweighted rational fitting on 600 Chebyshev points);
 * every Q coefficient is positive and P's negative terms are tiny, so Horner's
 * rule in float does not cancel. */
static LLVMValueRef odd_rational(cg_vgen *g, LLVMValueRef x, float lim, const float *p, int np, const float *q,
                                 int nq) {
  LLVMBuilderRef b = g->b;
  LLVMValueRef xc = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOGT, x, cg_vf(g, -lim), ""), x, cg_vf(g, -lim), "");
  xc = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOLT, xc, cg_vf(g, lim), ""), xc, cg_vf(g, lim), "");
  LLVMValueRef t = LLVMBuildFMul(b, xc, xc, "");
  LLVMValueRef pv = cg_vf(g, p[np - 1]), qv = cg_vf(g, q[nq - 1]);
  for (int i = np - 2; i >= 0; i--) pv = cg_vfmuladd(g, pv, t, cg_vf(g, p[i]));
  for (int i = nq - 2; i >= 0; i--) qv = cg_vfmuladd(g, qv, t, cg_vf(g, q[i]));
  LLVMValueRef r = LLVMBuildFDiv(b, LLVMBuildFMul(b, xc, pv, ""), qv, "");
  /* the fit ends within an ulp of +-1: keep |f| <= 1 */
  r = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOGT, r, cg_vf(g, 1.0f), ""), cg_vf(g, 1.0f), r, "");
  r = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOLT, r, cg_vf(g, -1.0f), ""), cg_vf(g, -1.0f), r, "");
  return LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealUNO, x, x, ""), x, r, "");
}

LLVMValueRef cg_verf(cg_vgen *g, LLVMValueRef x) {
  static const float p[] = {1.1283791679550911f, 0.18524450214627402f, 0.054277246777557111f, 0.0038456590525759121f,
                            0.00037767705565247052f, 4.6306219760995972e-6f, -1.291706005701852e-8f};
  static const float q[] = {1.0f, 0.4975020558046707f, 0.11393555122934796f, 0.01544712540648093f,
                            0.0013042144079196636f, 6.2604475172385301e-5f};
  return odd_rational(g, x, 3.92f, p, 7, q, 6); /* fit error 2.2e-9 relative */
}

LLVMValueRef cg_vtanh(cg_vgen *g, LLVMValueRef x) {
  static const float p[] = {0.99999999955295684f, 0.13683377901102423f, 0.0038726306429612414f, 2.80920082897533e-5f,
                            3.0778999507054596e-8f, -1.2338740432438658e-11f};
  static const float q[] = {1.0f, 0.47016710404182041f, 0.027261680767974189f, 0.00039461375385763962f,
                            1.293150139777387e-6f};
  return odd_rational(g, x, 9.0f, p, 6, q, 5); /* fit error 1.4e-9 relative */
}

LLVMValueRef cg_vsigmoid(cg_vgen *g, LLVMValueRef x) {
  LLVMValueRef e = cg_vexp(g, LLVMBuildFNeg(g->b, x, ""));
  return LLVMBuildFDiv(g->b, cg_vf(g, 1.0f), LLVMBuildFAdd(g->b, e, cg_vf(g, 1.0f), ""), "sigmoid");
}

/* log x = e ln2 + log m with x = m 2^e, m in [sqrt(1/2), sqrt(2)): Cephes'
 * logf. Subnormal x are scaled by 2^23 first so the exponent field is the
 * whole story; ln2 is added in two parts (Cody-Waite) as in expf above. */
LLVMValueRef cg_vlog(cg_vgen *g, LLVMValueRef x) {
  LLVMBuilderRef b = g->b;
  LLVMValueRef sub = LLVMBuildFCmp(b, LLVMRealOLT, x, cg_vf(g, 1.17549435e-38f), "");
  LLVMValueRef xs = LLVMBuildSelect(b, sub, LLVMBuildFMul(b, x, cg_vf(g, 8388608.0f), ""), x, "");
  LLVMValueRef bits = LLVMBuildBitCast(b, xs, g->vi, "");
  LLVMValueRef e = LLVMBuildSub(b, LLVMBuildAnd(b, LLVMBuildLShr(b, bits, vi(g, 23), ""), vi(g, 0xff), ""),
                                vi(g, 126), "");
  e = LLVMBuildSub(b, e, LLVMBuildSelect(b, sub, vi(g, 23), vi(g, 0), ""), "");
  LLVMValueRef m =
      LLVMBuildBitCast(b, LLVMBuildOr(b, LLVMBuildAnd(b, bits, vi(g, 0x007fffff), ""), vi(g, 0x3f000000), ""), g->vf, "");
  LLVMValueRef small = LLVMBuildFCmp(b, LLVMRealOLT, m, cg_vf(g, 0.707106781186547524f), "");
  e = LLVMBuildSub(b, e, LLVMBuildZExt(b, small, g->vi, ""), "");
  m = LLVMBuildFSub(b, LLVMBuildSelect(b, small, LLVMBuildFAdd(b, m, m, ""), m, ""), cg_vf(g, 1.0f), "");
  LLVMValueRef z = LLVMBuildFMul(b, m, m, "");
  static const float coef[] = {-1.1514610310e-1f, 1.1676998740e-1f, -1.2420140846e-1f, 1.4249322787e-1f,
                               -1.6668057665e-1f, 2.0000714765e-1f,  -2.4999993993e-1f, 3.3333331174e-1f};
  LLVMValueRef p = cg_vf(g, 7.0376836292e-2f);
  for (size_t i = 0; i < sizeof coef / sizeof coef[0]; i++) p = cg_vfmuladd(g, p, m, cg_vf(g, coef[i]));
  LLVMValueRef y = LLVMBuildFMul(b, m, LLVMBuildFMul(b, z, p, ""), "");
  LLVMValueRef fe = LLVMBuildSIToFP(b, e, g->vf, "");
  y = cg_vfmuladd(g, fe, cg_vf(g, -2.12194440e-4f), y);
  y = cg_vfmuladd(g, z, cg_vf(g, -0.5f), y);
  LLVMValueRef r = LLVMBuildFAdd(b, m, y, "");
  r = cg_vfmuladd(g, fe, cg_vf(g, 0.693359375f), r);
  /* the special values, last to first in priority: +inf, 0, negative, NaN */
  r = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOEQ, x, cg_vf(g, __builtin_inff()), ""), x, r, "");
  r = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOEQ, x, cg_vf(g, 0.0f), ""), cg_vf(g, -__builtin_inff()), r, "");
  r = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOLT, x, cg_vf(g, 0.0f), ""), cg_vf(g, __builtin_nanf("")), r, "");
  return LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealUNO, x, x, ""), x, r, "log");
}

/* the kernel's expressions, in its evaluation order */
LLVMValueRef cg_vgelu(cg_vgen *g, LLVMValueRef u) {
  LLVMBuilderRef b = g->b;
  LLVMValueRef e = cg_verf(g, LLVMBuildFMul(b, u, cg_vf(g, 0.70710678118654752440f), ""));
  return LLVMBuildFMul(b, LLVMBuildFMul(b, cg_vf(g, 0.5f), u, ""), LLVMBuildFAdd(b, cg_vf(g, 1.0f), e, ""), "gelu");
}

LLVMValueRef cg_vgelu_tanh(cg_vgen *g, LLVMValueRef u) {
  LLVMBuilderRef b = g->b;
  LLVMValueRef u3 = LLVMBuildFMul(b, LLVMBuildFMul(b, LLVMBuildFMul(b, cg_vf(g, 0.044715f), u, ""), u, ""), u, "");
  LLVMValueRef inner = LLVMBuildFMul(b, cg_vf(g, 0.79788456080286535588f), LLVMBuildFAdd(b, u, u3, ""), "");
  return LLVMBuildFMul(b, LLVMBuildFMul(b, cg_vf(g, 0.5f), u, ""),
                       LLVMBuildFAdd(b, cg_vf(g, 1.0f), cg_vtanh(g, inner), ""), "gelu");
}

/* ---- one pass over a row ---- */
LLVMValueRef cg_vpass(cg_vgen *g, int64_t n, int unroll, LLVMValueRef init, cg_vop op, cg_vpass_body body, void *ctx) {
  const int64_t nfull = n / g->vw, tail = n % g->vw;
  int u = unroll < 1 ? 1 : unroll > CG_VG_MAX_ACC ? CG_VG_MAX_ACC : unroll;
  if (nfull < u) u = nfull > 0 ? (int)nfull : 1;
  LLVMValueRef acc[CG_VG_MAX_ACC];
  for (int k = 0; k < u; k++) acc[k] = init;
  const int64_t iters = nfull / u;
  if (iters > 0) {
    cg_loop l;
    cg_loop_begin(g->c, g->b, &l, iters, "vec");
    cg_loop_carry(g->b, &l, init ? u : 0, acc);
    LLVMValueRef base = LLVMBuildNUWMul(g->b, l.iv, cg_vi64(g, (int64_t)u * g->vw), "");
    LLVMValueRef next[CG_VG_MAX_ACC];
    for (int k = 0; k < u; k++) {
      LLVMValueRef off = LLVMBuildNUWAdd(g->b, base, cg_vi64(g, (int64_t)k * g->vw), "");
      next[k] = body(g, ctx, off, g->vw, init ? l.acc[k] : NULL);
    }
    cg_loop_end(g->c, g->b, &l, next);
    if (init)
      for (int k = 0; k < u; k++) acc[k] = l.acc[k];
  }
  for (int64_t j = iters * u; j < nfull; j++) {
    int k = (int)(j - iters * u);
    LLVMValueRef r = body(g, ctx, cg_vi64(g, j * g->vw), g->vw, init ? acc[k] : NULL);
    if (init) acc[k] = r;
  }
  if (tail) {
    int k = u - 1;
    LLVMValueRef r = body(g, ctx, cg_vi64(g, nfull * g->vw), tail, init ? acc[k] : NULL);
    if (init) acc[k] = r;
  }
  if (!init) return NULL;
  for (int w = u; w > 1; w = (w + 1) / 2)
    for (int k = 0; k < w / 2; k++) acc[k] = cg_vcombine(g, op, acc[k], acc[k + (w + 1) / 2]);
  return acc[0];
}
