/* test_passes.c: each graph pass on small text-IR graphs: what it removes or
 * folds (node counts and op types after the pass), that the result verifies,
 * and that the reference executor computes the same outputs before and after
 * (hand-checked values where the graph is small enough). */
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

/* `pipeline` on the graph "graph t { input x: f32[4] BODY }"; then the live
 * node counts of `counts` (kt_expect_counts); y gets output 0 on
 * x = [1, -2, 3, -4], each y[i] within ref_tol of the output before the pass
 * when ref_tol >= 0. Returns the graph after the pass (the fixture's). */
static ir_graph *run4_after(void **state, const char *body, const char *pipeline, const char *counts, double ref_tol,
                            float *y) {
  char text[2048];
  snprintf(text, sizeof text, "graph t {\n input x: f32[4]\n%s}\n", body);
  ir_graph *g = kt_load(state, text), *ref = kt_load(state, text);
  kt_pipeline(g, pipeline);
  kt_expect_counts(g, counts);
  kn_ctx *kn = kt_kn(state);
  kn_tensor x, out[2];
  int64_t d = 4;
  assert_int_equal(kn_tensor_alloc(kn, &x, KN_F32, 1, &d), KN_OK);
  memcpy(x.data, (const float[4]){1, -2, 3, -4}, 4 * sizeof(float));
  kt_ref_run(kn, g, &x, &out[0], 1);
  memcpy(y, out[0].data, 4 * sizeof(float));
  if (ref_tol >= 0) {
    kt_ref_run(kn, ref, &x, &out[1], 1);
    for (int i = 0; i < 4; i++) assert_float_equal(y[i], ((float *)out[1].data)[i], ref_tol);
  }
  kt_free_tensors(out, ref_tol >= 0 ? 2 : 1);
  kn_tensor_free(&x);
  return g;
}

static void test_dce(void **state) {
  const char *body = " a = Relu(x)\n unused = Neg(x)\n unused2 = Abs(unused)\n output a\n";
  float y[4];
  run4_after(state, body, "", "live=3", -1, y); /* no pass: all three live */
  ir_graph *g = run4_after(state, body, "dce", "live=1", -1, y);
  assert_int_equal(g->nnodes, 1); /* compacted */
  assert_int_equal(ir_value_find(g, "unused"), IR_NONE);
  assert_float_equal(y[1], 0.0f, 0);
  assert_float_equal(y[2], 3.0f, 0);
}

static void test_cse(void **state) {
  float y[4];
  /* b merged into a; c has another alpha */
  run4_after(state, " a = LeakyRelu(x) {alpha=0.5}\n b = LeakyRelu(x) {alpha=0.5}\n c = LeakyRelu(x) {alpha=0.25}\n"
                    " s = Add(a, b)\n t = Add(s, c)\n output t\n",
             "cse,dce", "LeakyRelu=2", -1, y);
  /* x=-2: a=b=-1, c=-0.5 -> -2.5 ; x=3: 3+3+3 = 9 */
  assert_float_equal(y[1], -2.5f, 1e-6);
  assert_float_equal(y[2], 9.0f, 1e-6);
}

static void test_remove_noops(void **state) {
  float y[4];
  /* the Identity feeding the graph output stays; the rest are gone */
  run4_after(state, " a = Identity(x)\n b = Cast(a) {to=1}\n c, m = Dropout(b)\n d = Neg(c)\n e = Identity(d)\n"
                    " output e\n",
             "remove-noops,dce", "live=2 Neg=1 Identity=1", -1, y);
  assert_float_equal(y[1], 2.0f, 0);
}

static void test_fold_shape_arithmetic(void **state) {
  float y[4];
  /* the export pattern: Shape -> Gather -> Unsqueeze -> Concat -> Reshape;
   * Reshape, Flatten, Reshape remain */
  ir_graph *g = run4_after(state,
                           " const zero: i64[] = [0]\n const ax: i64[1] = [0]\n const two: i64[1] = [2]\n"
                           " const neg: i64[1] = [-1]\n s = Shape(x)\n n = Gather(s, zero) {axis=0}\n"
                           " nu = Unsqueeze(n, ax)\n shp = Concat(two, neg) {axis=0}\n r = Reshape(x, shp)\n"
                           " f = Flatten(r) {axis=0}\n y = Reshape(f, s)\n output y\n",
                           "fold,dce", "Shape=0 Gather=0 Concat=0 live=3", -1, y);
  ir_id r = g->nodes[0].out[0];
  assert_int_equal(g->values[r].type.rank, 2);
  assert_int_equal(g->values[r].type.dims[1], 2);
  assert_float_equal(y[3], -4.0f, 0);
}

static void test_fuse_layernorm(void **state) {
  float y[4];
  run4_after(state,
             " const ax: i64[1] = [-1]\n const two: f32[] = [2]\n const eps: f32[] = [1e-05]\n"
             " const gamma: f32[4] = [1, 2, 3, 4]\n const beta: f32[4] = [0.5, 0.5, 0.5, 0.5]\n"
             " m = ReduceMean(x, ax)\n d = Sub(x, m)\n p = Pow(d, two)\n v = ReduceMean(p, ax)\n"
             " ve = Add(v, eps)\n s = Sqrt(ve)\n n = Div(d, s)\n g = Mul(n, gamma)\n y = Add(g, beta)\n output y\n",
             "fuse-layernorm,dce", "live=1 LayerNormalization=1", 1e-5, y);
  /* x = [1,-2,3,-4]: mean -0.5, d = [1.5,-1.5,3.5,-3.5], var 29/4 -> y[0] = 1.5/sqrt(7.25+1e-5)*1 + 0.5 */
  assert_float_equal(y[0], 1.5f / sqrtf(7.25001f) + 0.5f, 1e-5);
}

static void test_fuse_gelu(void **state) {
  const char *erf = " const r2: f32[] = [1.4142135]\n const one: f32[] = [1]\n const half: f32[] = [0.5]\n"
                    " a = Div(x, r2)\n b = Erf(a)\n c = Add(b, one)\n d = Mul(x, c)\n y = Mul(d, half)\n output y\n";
  const char *tanh = " const k0: f32[] = [0.044715]\n const k1: f32[] = [0.7978846]\n const one: f32[] = [1]\n"
                     " const half: f32[] = [0.5]\n sq = Mul(x, x)\n cu = Mul(x, sq)\n w = Mul(k0, cu)\n a = Add(x, w)\n"
                     " u = Mul(k1, a)\n t = Tanh(u)\n q = Add(one, t)\n d = Mul(x, q)\n y = Mul(half, d)\n output y\n";
  const char *bodies[2] = {erf, tanh};
  for (int k = 0; k < 2; k++) {
    float y[4];
    ir_graph *g = run4_after(state, bodies[k], "fuse-gelu,dce", "live=1 Gelu=1", 1e-5, y);
    const char *approx = ir_attr_str(&g->nodes[0], "approximate", "none");
    assert_string_equal(approx, k ? "tanh" : "none");
    assert_float_equal(y[2], 2.99595946f, 5e-4); /* GELU(3) = 3*Phi(3); the tanh form is within 4e-4 */
  }
}

/* fuse-elementwise on `text`: afterwards `live` nodes remain, one of them a
 * FusedElementwise with `nin` inputs and a body of `body_nodes` ops; the
 * output equals the unfused graph's on the reference executor, and the fused
 * graph prints, parses back to the same text and computes the same output. */
static void check_fused(void **state, const char *text, int live, int nin, int body_nodes) {
  kn_ctx *kn = kt_kn(state);
  ir_graph *g = kt_after(state, text, "fuse-elementwise,dce", "FusedElementwise=1"), *ref = kt_load(state, text);
  assert_int_equal(ir_graph_live_nodes(g), live);
  const ir_node *f = kt_live_node(g, IR_OP_FusedElementwise);
  assert_int_equal(f->nin, nin);
  const ir_attr *a = ir_attr_get(f, "body");
  assert_non_null(a);
  assert_int_equal(a->kind, IR_ATTR_GRAPH);
  assert_int_equal(ir_graph_live_nodes(a->g), body_nodes);
  int64_t n, nr, nt;
  float *y = kt_seeded_output(kn, g, 0, &n), *yr = kt_seeded_output(kn, ref, 0, &nr);
  assert_int_equal(n, nr);
  for (int64_t i = 0; i < n; i++) assert_float_equal(y[i], yr[i], 1e-6 * (1 + fabsf(yr[i])));
  /* the text form round-trips the body */
  ir_graph *g2 = kt_text_round_trip(kn, g, NULL);
  float *yt = kt_seeded_output(kn, g2, 0, &nt);
  assert_int_equal(nt, n);
  for (int64_t i = 0; i < n; i++) assert_float_equal(yt[i], y[i], 0);
  free(y), free(yr), free(yt);
  ir_graph_free(g2);
}

static void test_fuse_elementwise_quick_gelu(void **state) {
  /* bias add then QuickGELU: h is used twice, both times inside the chain */
  check_fused(state, "graph t {\n input x: f32[3, 8]\n const b: f32[8] = [0.1, -0.2, 0.3, -0.4, 0.5, -0.6, 0.7, -0.8]\n"
                     " const k: f32[] = [1.702]\n h = Add(b, x)\n t = Mul(h, k)\n s = Sigmoid(t)\n y = Mul(h, s)\n"
                     " output y\n}\n",
              1, 2, 4);
}

static void test_fuse_elementwise_residual(void **state) {
  /* bias add then residual add: three leaves (x, the bias row, the residual) */
  check_fused(state, "graph t {\n input x: f32[2, 5]\n input r: f32[2, 5]\n const b: f32[5] = [1, 2, 3, 4, 5]\n"
                     " a = Add(b, x)\n y = Add(r, a)\n output y\n}\n",
              1, 3, 2);
  /* a column operand [2,1], a scalar input, Pow 2 and Clip with constant bounds */
  check_fused(state, "graph t {\n input x: f32[2, 5]\n input c: f32[2, 1]\n input s: f32[]\n const two: f32[] = [2]\n"
                     " const lo: f32[] = [-1]\n const hi: f32[] = [4]\n a = Sub(x, c)\n p = Pow(a, two)\n"
                     " m = Mul(p, s)\n y = Clip(m, lo, hi)\n output y\n}\n",
              1, 3, 4);
}

static void test_fuse_elementwise_limits(void **state) {
  /* h also feeds the graph output, and v goes to a MatMul: neither may vanish
   * into a chain, so only the chain s -> y fuses and MatMul stays */
  kt_after(state,
           "graph t {\n input x: f32[2, 4]\n const w: f32[4, 4] = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]\n"
           " h = Relu(x)\n v = Neg(h)\n m = MatMul(v, w)\n s = Sigmoid(m)\n y = Add(s, h)\n output y, h\n}\n",
           "fuse-elementwise,dce", "FusedElementwise=1 Relu=1 Neg=1 MatMul=1");
  /* a [2,4] operand of a [3,2,4] chain is neither same-shape, row, column
   * nor scalar: no fusion; nor for a lone op or an integer chain */
  kt_after(state,
           "graph t {\n input x: f32[3, 2, 4]\n input z: f32[2, 4]\n a = Add(x, z)\n y = Relu(a)\n"
           " input i: i32[4]\n j = Neg(i)\n k = Abs(j)\n l = Exp(x)\n output y, k, l\n}\n",
           "fuse-elementwise,dce", "FusedElementwise=0");
}

static void test_pipeline_flags(void **state) {
  kn_ctx *kn = kt_kn(state);
  ir_graph *g = kt_load(state, "graph t {\n input x: f32[4]\n a = Relu(x)\n u = Neg(x)\n output a\n}\n");
  pm_options o = {.level = 2, .ndisabled = 1, .disabled = {"dce"}};
  assert_int_equal(pm_run(g, &o), KN_OK);
  kt_expect_counts(g, "live=2"); /* dce disabled */
  pm_options bad = {.pipeline = "fold,frobnicate"};
  assert_int_equal(pm_run(g, &bad), KN_EINVAL);
  assert_non_null(strstr(kn_errmsg(kn), "frobnicate"));
  assert_string_equal(pm_pipeline_for_level(0), "");
}

KT_MAIN(
    KT_TEST(test_dce),
    KT_TEST(test_cse),
    KT_TEST(test_remove_noops),
    KT_TEST(test_fold_shape_arithmetic),
    KT_TEST(test_fuse_layernorm),
    KT_TEST(test_fuse_gelu),
    KT_TEST(test_fuse_elementwise_quick_gelu),
    KT_TEST(test_fuse_elementwise_residual),
    KT_TEST(test_fuse_elementwise_limits),
    KT_TEST(test_pipeline_flags))
