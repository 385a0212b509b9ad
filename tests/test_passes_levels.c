/* test_passes_levels.c: small graphs that every -O level must accept, each run
 * at -O0..-O3 on the JIT and on the reference executor (after that level's
 * passes, verified after each) against an oracle: If and Loop subgraphs that
 * read outer values only they use (an initializer, a folded constant, a
 * Dropout mask, a no-op's and a duplicate's output, an intermediate of a
 * transpose pair, of an elementwise chain and of a decomposed LayerNorm),
 * checked against values worked out by hand or the graph as written (-O0 on
 * the reference executor); and MobileNet's linear bottleneck (depthwise Conv,
 * BatchNormalization, 1x1 Conv), alone and after a 3x3 Conv that starts a
 * blocked-layout region, against the reference executor at -O0. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ref.h"
#include "unit.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAXOUT = 4 };

/* Runs `text` at -O0..-O3 on the reference executor (the level's passes with
 * the verifier after each) and on the JIT (as `kiln run -O<level>` compiles
 * it), on inputs in[], and compares its nout outputs with want[] within tol
 * (relative, kt_expect_close). A failure names `what`, the level and the engine. */
static void check_levels(kn_ctx *kn, const char *what, const char *text, const kn_tensor *in, const kn_tensor *want,
                         int nout, float tol) {
  assert_true(nout <= MAXOUT);
  for (int level = 0; level <= 3; level++) {
    char where[160];
    kn_tensor got[MAXOUT];
    /* the reference executor after the level's passes */
    ir_graph *g = kt_parse(kn, text);
    pm_options pm = {.level = level, .verify_each = true};
    if (pm_run(g, &pm) != KN_OK) fail_msg("%s, -O%d passes: %s", what, level, kn_errmsg(kn));
    if (ref_run_graph(kn, g, in, g->ninputs, got, nout) != KN_OK)
      fail_msg("%s, -O%d on the reference executor: %s", what, level, kn_errmsg(kn));
    ir_graph_free(g);
    for (int k = 0; k < nout; k++) {
      snprintf(where, sizeof where, "%s, -O%d reference, output %d", what, level, k);
      kt_expect_close(&got[k], &want[k], tol, where);
    }
    kt_free_tensors(got, nout);
    /* the JIT, which owns the graph it compiles */
    pm_options jpm = {.level = level};
    cg_options o = {.opt_level = level, .no_cache = true, .passes = &jpm};
    int ranks[MAXOUT];
    int64_t dims[MAXOUT][KN_MAX_RANK];
    g = kt_parse(kn, text);
    assert_true(g->ninputs <= MAXOUT);
    for (int i = 0; i < g->ninputs; i++) {
      ranks[i] = in[i].rank;
      memcpy(dims[i], in[i].dims, sizeof dims[i]);
    }
    cg_model *m = NULL;
    if (cg_compile(kn, g, ranks, (const int64_t(*)[KN_MAX_RANK])dims, &o, &m) != KN_OK)
      fail_msg("%s, -O%d on the JIT: %s", what, level, kn_errmsg(kn));
    if (cg_run(m, in, g->ninputs, got, nout) != KN_OK) fail_msg("%s, -O%d JIT run: %s", what, level, kn_errmsg(kn));
    cg_model_free(m);
    for (int k = 0; k < nout; k++) {
      snprintf(where, sizeof where, "%s, -O%d JIT, output %d", what, level, k);
      kt_expect_close(&got[k], &want[k], tol, where);
    }
    kt_free_tensors(got, nout);
  }
}

/* An f32 tensor of n elements (1-D) with the given values. */
static void f32_tensor(kn_ctx *kn, kn_tensor *t, int64_t n, const float *v) {
  assert_int_equal(kn_tensor_alloc(kn, t, KN_F32, 1, &n), KN_OK);
  memcpy(t->data, v, sizeof(float) * (size_t)n);
}

/* A bool scalar. */
static void bool_scalar(kn_ctx *kn, kn_tensor *t, bool v) {
  assert_int_equal(kn_tensor_alloc(kn, t, KN_BOOL, 0, NULL), KN_OK);
  *(uint8_t *)t->data = v;
}

static const float g_x[4] = {1, -2, 3, -4};

/* Issue 11, finding 4: the then-branch reads W, an initializer nothing else
 * uses; dce dropped it and every level but -O0 refused the model. */
static const char *const g_if_initializer = "graph t {\n"
                                            "  input x: f32[4]\n"
                                            "  input c: bool[]\n"
                                            "  const W: f32[4] = [10, 20, 30, 40]\n"
                                            "  y = If(c) {then_branch=graph { r = Add(x, W) output r },\n"
                                            "             else_branch=graph { s = Neg(x) output s }}\n"
                                            "  output y\n"
                                            "}\n";

static void test_if_reads_outer_initializer(void **state) {
  kn_ctx *kn = kt_kn(state);
  for (int branch = 0; branch < 2; branch++) {
    kn_tensor in[2], want;
    f32_tensor(kn, &in[0], 4, g_x);
    bool_scalar(kn, &in[1], branch == 0);
    /* then: x + W; else: -x */
    f32_tensor(kn, &want, 4, branch == 0 ? (const float[4]){11, 18, 33, 36} : (const float[4]){-1, 2, -3, 4});
    check_levels(kn, branch == 0 ? "If reading an initializer, then" : "If reading an initializer, else",
                 g_if_initializer, in, &want, 1, 0);
    kt_free_tensors(in, 2), kt_free_tensors(&want, 1);
  }
}

/* Every value the then-branch reads is something a pass deletes, replaces or
 * fuses when nothing else reads it: W (dce), f (fold), i (remove-noops), the
 * Dropout mask m (remove-noops), b (cse: a duplicate of a), t1 (canonicalize
 * cancels the transpose pair around it) and e (fuse-elementwise: an
 * intermediate of the chain e -> q -> z). The Loop adds W three times. */
static const char *const g_captures = "graph t {\n"
                                      "  input x: f32[4]\n"
                                      "  input c: bool[]\n"
                                      "  const W: f32[4] = [10, 20, 30, 40]\n"
                                      "  const k: f32[4] = [1, 2, 3, 4]\n"
                                      "  const sh: i64[2] = [2, 2]\n"
                                      "  const s4: i64[1] = [4]\n"
                                      "  const n: i64[] = [3]\n"
                                      "  const go: bool[] = [true]\n"
                                      "  f = Mul(k, k)\n"
                                      "  i = Identity(x)\n"
                                      "  d, m = Dropout(x)\n"
                                      "  a = Relu(x)\n"
                                      "  b = Relu(x)\n"
                                      "  v = Reshape(x, sh)\n"
                                      "  t1 = Transpose(v) {perm=[1, 0]}\n"
                                      "  t2 = Transpose(t1) {perm=[1, 0]}\n"
                                      "  e = Mul(x, x)\n"
                                      "  q = Neg(e)\n"
                                      "  qa = Add(q, a)\n"
                                      "  z = Add(qa, d)\n"
                                      "  w = Reshape(t2, s4)\n"
                                      "  y = If(c) {then_branch=graph {\n"
                                      "    r1 = Add(x, W)\n"
                                      "    r2 = Add(r1, f)\n"
                                      "    r3 = Add(r2, i)\n"
                                      "    r4 = Add(r3, b)\n"
                                      "    mf = Cast(m) {to=1}\n"
                                      "    r5 = Add(r4, mf)\n"
                                      "    tf = Reshape(t1, s4)\n"
                                      "    r6 = Add(r5, tf)\n"
                                      "    r7 = Add(r6, e)\n"
                                      "    output r7\n"
                                      "  }, else_branch=graph { s = Neg(x) output s }}\n"
                                      "  l = Loop(n, go, x) {body=graph {\n"
                                      "    input it: i64[]\n"
                                      "    input cin: bool[]\n"
                                      "    input acc: f32[4]\n"
                                      "    nxt = Add(acc, W)\n"
                                      "    output cin, nxt\n"
                                      "  }}\n"
                                      "  output y, z, w, l\n"
                                      "}\n";

static void test_subgraphs_read_what_passes_remove(void **state) {
  kn_ctx *kn = kt_kn(state);
  kn_tensor in[2], want[4];
  f32_tensor(kn, &in[0], 4, g_x);
  bool_scalar(kn, &in[1], true);
  /* x = [1, -2, 3, -4]: y = x + W + k*k + x + relu(x) + 1 + transpose(x as 2x2) + x*x
   *   = [11+1+1+1+1+1+1, 18+4-2+0+1+3+4, 33+9+3+3+1-2+9, 36+16-4+0+1-4+16];
   * z = -x*x + relu(x) + x; w = x; l = x + 3 W */
  f32_tensor(kn, &want[0], 4, (const float[4]){17, 28, 56, 61});
  f32_tensor(kn, &want[1], 4, (const float[4]){1, -6, -3, -20});
  f32_tensor(kn, &want[2], 4, g_x);
  f32_tensor(kn, &want[3], 4, (const float[4]){31, 58, 93, 116});
  check_levels(kn, "subgraphs reading what passes remove", g_captures, in, want, 4, 0);
  kt_free_tensors(in, 2), kt_free_tensors(want, 4);
}

/* A decomposed LayerNorm whose centered input dc the branch reads: fuse-layernorm
 * must leave it (dc has two uses inside the pattern and a third in the branch). */
static const char *const g_layernorm_capture =
    "graph t {\n"
    "  input x: f32[2, 4]\n"
    "  input c: bool[]\n"
    "  const ax: i64[1] = [-1]\n"
    "  const two: f32[] = [2]\n"
    "  const eps: f32[] = [1e-05]\n"
    "  mu = ReduceMean(x, ax)\n"
    "  dc = Sub(x, mu)\n"
    "  p = Pow(dc, two)\n"
    "  va = ReduceMean(p, ax)\n"
    "  ve = Add(va, eps)\n"
    "  sd = Sqrt(ve)\n"
    "  nm = Div(dc, sd)\n"
    "  y = If(c) {then_branch=graph { r = Add(nm, dc) output r }, else_branch=graph { output nm }}\n"
    "  output y\n"
    "}\n";

static void test_layernorm_intermediate_captured(void **state) {
  kn_ctx *kn = kt_kn(state);
  kn_tensor in[2], want;
  const float x[8] = {1, -2, 3, -4, 0.5f, 0.25f, -1, 2};
  int64_t dims[2] = {2, 4};
  assert_int_equal(kn_tensor_alloc(kn, &in[0], KN_F32, 2, dims), KN_OK);
  memcpy(in[0].data, x, sizeof x);
  bool_scalar(kn, &in[1], true);
  /* the oracle: the graph as written on the reference executor */
  ir_graph *g = kt_load(state, g_layernorm_capture);
  kt_ref_run(kn, g, in, &want, 1);
  check_levels(kn, "LayerNorm intermediate read by a branch", g_layernorm_capture, in, &want, 1, 1e-5f);
  kt_free_tensors(in, 2), kt_free_tensors(&want, 1);
}

/* Issue 11, finding 10: depthwise Conv, BatchNormalization, 1x1 Conv stopped
 * at -O3 with "value 'bn' does not record its producer" (fold-batchnorm,
 * then layout-nchwc). `stem` puts a 3x3 Conv of C channels before it on a
 * 32x32 image, so that -O3 blocks the whole chain. */
static char *bottleneck(int C, int M, int HW, bool stem) {
  char *s = malloc(4096);
  snprintf(s, 4096,
           "graph bottleneck opset 17 {\n"
           "  input x: f32[1, %d, %d, %d]\n"
           "  const ws: f32[%d, %d, 3, 3] = uniform(seed=11, low=-0.3, high=0.3)\n"
           "  const wd: f32[%d, 1, 3, 3] = uniform(seed=1, low=-1, high=1)\n"
           "  const bd: f32[%d] = uniform(seed=2, low=-1, high=1)\n"
           "  const gamma: f32[%d] = uniform(seed=3, low=0.5, high=1.5)\n"
           "  const beta: f32[%d] = uniform(seed=4, low=-1, high=1)\n"
           "  const mean: f32[%d] = uniform(seed=5, low=-1, high=1)\n"
           "  const var: f32[%d] = uniform(seed=6, low=0.5, high=2)\n"
           "  const wp: f32[%d, %d, 1, 1] = uniform(seed=7, low=-1, high=1)\n"
           "%s"
           "  conv_dw = Conv(%s, wd, bd) {group=%d, pads=[1, 1, 1, 1], kernel_shape=[3, 3]}\n"
           "  bn = BatchNormalization(conv_dw, gamma, beta, mean, var)\n"
           "  y = Conv(bn, wp) {kernel_shape=[1, 1]}\n"
           "  output y\n"
           "}\n",
           C, HW, HW, C, C, C, C, C, C, C, C, M, C, stem ? "  st = Conv(x, ws) {pads=[1, 1, 1, 1]}\n" : "",
           stem ? "st" : "x", C);
  return s;
}

static void test_depthwise_batchnorm_pointwise(void **state) {
  kn_ctx *kn = kt_kn(state);
  const struct {
    int C, M, HW;
    bool stem;
  } cases[] = {{8, 16, 6, false}, {32, 24, 7, false}, {16, 16, 32, true}, {32, 48, 32, true}};
  const kt_wave wave = {.amp = 1.3f, .freq = 0.29f, .phase = 0.5f};
  for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
    char *text = bottleneck(cases[ci].C, cases[ci].M, cases[ci].HW, cases[ci].stem);
    ir_graph *g0 = kt_load(state, text);
    kn_tensor in[1], want[1];
    kt_make_inputs(kn, g0, &wave, in);
    kt_ref_run(kn, g0, in, want, 1); /* the oracle: -O0 on the reference executor */
    char what[96];
    snprintf(what, sizeof what, "bottleneck C=%d M=%d %dx%d%s", cases[ci].C, cases[ci].M, cases[ci].HW, cases[ci].HW,
             cases[ci].stem ? " after a 3x3 conv" : "");
    check_levels(kn, what, text, in, want, 1, 1e-4f);
    kt_free_tensors(in, 1), kt_free_tensors(want, 1);
    free(text);
  }
}

KT_MAIN(
    KT_TEST(test_if_reads_outer_initializer),
    KT_TEST(test_subgraphs_read_what_passes_remove),
    KT_TEST(test_layernorm_intermediate_captured),
    KT_TEST(test_depthwise_batchnorm_pointwise))
