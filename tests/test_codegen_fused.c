/* test_codegen_fused.c: the JIT's fused elementwise loop (codegen/lower_fused.c)
 * against the reference executor, op by op. The tiny models only exercise the
 * chains transformers have (bias, QuickGELU, residual); here every op the
 * fusion pass admits appears in some chain, with every operand kind (same
 * shape, row [N], column [M,1], scalar input, scalar constant), a row length
 * that leaves a masked tail, and an absent optional input. Each chain must
 * become one FusedElementwise that the JIT compiles (no reference fallback),
 * and the compiled outputs must match the unfused graph on the reference
 * executor within the vector approximations' few ulp. The same graph with
 * every node on its reference kernel (no_lower) checks the fallback path,
 * where the fused node's kernel runs without a parent executor. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ir_text.h"
#include "unit.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { NOUT = 4 };

static const char *const g_chains =
    "graph t {\n"
    " input x: f32[3, 37]\n input r: f32[37]\n input c: f32[3, 1]\n input s: f32[]\n"
    " const half: f32[] = [0.5]\n const k33: f32[] = [3.3]\n const quarter: f32[] = [0.25]\n"
    " const lo: f32[] = [-2]\n const one: f32[] = [1]\n const two: f32[] = [2]\n const three: f32[] = [3]\n"
    " const sqh: f32[] = [0.5]\n const m1: f32[] = [-1]\n const mh: f32[] = [-0.5]\n"
    /* transcendental maps, a row and a column operand */
    " a1 = Mul(x, half)\n a2 = Sigmoid(a1)\n a3 = Tanh(a2)\n a4 = Exp(a3)\n a5 = Log(a4)\n a6 = Sqrt(a5)\n"
    " a7 = Erf(a6)\n a8 = Gelu(a7)\n a9 = Gelu(a8) {approximate=\"tanh\"}\n a10 = Softsign(a9)\n a11 = Sub(a10, r)\n"
    " a12 = LeakyRelu(a11) {alpha=0.1}\n a13 = HardSigmoid(a12) {alpha=0.3, beta=0.4}\n a14 = HardSwish(a11)\n"
    " a15 = Add(a13, a14)\n a16 = Mul(a15, c)\n a17 = Exp(x)\n a18 = Add(a16, a17)\n"
    /* rounding, min/max, PRelu, Clip with a constant and a run-time bound */
    " b1 = Mul(x, k33)\n b2 = Floor(b1)\n b3 = Ceil(b1)\n b4 = Round(b1)\n b5 = Add(b2, b3)\n b6 = Min(b5, b4)\n"
    " b7 = Max(b6, s)\n b8 = PRelu(b7, r)\n b9 = Clip(b8, lo, s)\n b10 = Identity(b9)\n b11 = Neg(b10)\n b12 = Relu(b11)\n"
    " b13 = Sub(b12, b1)\n"
    /* Pow with each exponent the loop computes directly, Div, Reciprocal */
    " p0 = Abs(x)\n p1 = Add(p0, quarter)\n p2 = Pow(p1, two)\n p3 = Pow(p1, three)\n p4 = Pow(p1, sqh)\n"
    " p5 = Pow(p1, m1)\n p6 = Pow(p1, mh)\n p7 = Pow(p1, one)\n q1 = Add(p2, p3)\n q2 = Add(q1, p4)\n q3 = Add(q2, p5)\n"
    " q4 = Add(q3, p6)\n q5 = Div(q4, p7)\n q6 = Reciprocal(q5)\n q7 = Mul(q6, s)\n"
    /* Clip without a lower bound; a row operand alone */
    " d1 = Add(r, x)\n d2 = Clip(d1, _, one)\n"
    " output a18, b13, q7, d2\n"
    "}\n";

static const kt_wave wave = {.amp = 2.7f, .freq = 0.61f, .phase = 1.3f, .offset = 0.05f};

/* compiles `text` (fused by the pass pipeline) and compares with the unfused reference */
static void check_jit(void **state, bool no_lower) {
  kn_ctx *kn = kt_kn(state);
  ir_graph *ref = kt_load(state, g_chains);
  kn_tensor in[4], want[NOUT], got[NOUT];
  kt_make_inputs(kn, ref, &wave, in);
  kt_ref_run(kn, ref, in, want, NOUT);
  pm_options pm = {.pipeline = "fuse-elementwise,dce", .verify_each = true};
  cg_options opt = {.opt_level = 2, .no_cache = true, .no_lower = no_lower, .passes = &pm};
  cg_model *m = kt_jit_compile(kn, kt_parse(kn, g_chains), in, &opt);
  cg_stats st;
  cg_model_stats(m, &st);
  assert_int_equal(st.live_nodes, NOUT); /* each chain is one node */
  const ir_graph *cg = cg_model_graph(m);
  for (int32_t i = 0; i < cg->nnodes; i++) assert_int_equal(cg->nodes[i].op, IR_OP_FusedElementwise);
  assert_int_equal(st.fallback_nodes, no_lower ? NOUT : 0);
  kt_jit_run(kn, m, in, 4, got, NOUT);
  for (int k = 0; k < NOUT; k++) {
    char what[32];
    snprintf(what, sizeof what, "output %d (jit vs reference)", k);
    kt_expect_close(&got[k], &want[k], 2e-5f, what);
  }
  kt_free_tensors(got, NOUT), kt_free_tensors(want, NOUT), kt_free_tensors(in, 4);
  cg_model_free(m);
}

static void test_fused_loop_matches_reference(void **state) { check_jit(state, false); }

static void test_fused_fallback_matches_reference(void **state) { check_jit(state, true); }

static int64_t ulp_diff(float a, float b) {
  int32_t ia, ib;
  memcpy(&ia, &a, 4);
  memcpy(&ib, &b, 4);
  if (ia < 0) ia = INT32_MIN - ia; /* two's-complement order for negative floats */
  if (ib < 0) ib = INT32_MIN - ib;
  return llabs((long long)ia - ib);
}

/* cg_vlog (new with the fused loop; the per-op path calls libm) over the
 * whole float range: special values exact, the rest within 2 ulp of logf */
static void test_fused_log_range(void **state) {
  kn_ctx *kn = kt_kn(state);
  enum { N = 4096 };
  char text[256];
  snprintf(text, sizeof text, "graph t {\n input x: f32[%d]\n i = Identity(x)\n y = Log(i)\n output y\n}\n", N);
  ir_graph *g = kt_parse(kn, text);
  kn_tensor x, y;
  int64_t n = N;
  assert_int_equal(kn_tensor_alloc(kn, &x, KN_F32, 1, &n), KN_OK);
  float *xv = x.data;
  const float special[] = {0.0f, -0.0f, 1.0f, -1.0f, __builtin_inff(), -__builtin_inff(), __builtin_nanf(""),
                           1e-45f, 1e-40f, 1.1754942e-38f, 1.17549435e-38f, 3.4028235e38f, 0.70710677f, 0.70710683f,
                           1.0000001f, 0.99999994f, 2.0f, 0.5f};
  int ns = (int)(sizeof special / sizeof special[0]);
  for (int i = 0; i < N; i++) {
    if (i < ns) xv[i] = special[i];
    else { /* every binade from subnormals to FLT_MAX, odd mantissas */
      uint32_t bits = (uint32_t)(((uint64_t)(i - ns) * 0x7f7fffffu) / (N - ns)) | 1u;
      memcpy(&xv[i], &bits, 4);
    }
  }
  pm_options pm = {.pipeline = "fuse-elementwise,dce"};
  cg_options opt = {.opt_level = 2, .no_cache = true, .passes = &pm};
  cg_model *m = kt_jit_compile(kn, g, &x, &opt);
  cg_stats st;
  cg_model_stats(m, &st);
  assert_int_equal(st.live_nodes, 1);
  assert_int_equal(st.fallback_nodes, 0);
  kt_jit_run(kn, m, &x, 1, &y, 1);
  const float *yv = y.data;
  for (int i = 0; i < N; i++) {
    float w = logf(xv[i]);
    bool ok = isnan(w) ? isnan(yv[i]) : i < ns && isinf(w) ? yv[i] == w : ulp_diff(yv[i], w) <= 2;
    if (!ok) fail_msg("log(%.9g): jit %.9g, logf %.9g", xv[i], yv[i], w);
  }
  kn_tensor_free(&x);
  kn_tensor_free(&y);
  cg_model_free(m);
}

KT_MAIN(
    KT_TEST(test_fused_loop_matches_reference),
    KT_TEST(test_fused_fallback_matches_reference),
    KT_TEST(test_fused_log_range))
