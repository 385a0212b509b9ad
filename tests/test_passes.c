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
#include "pass_check.h"

#include "passes.h"
#include "ref.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

static ir_graph *parse(kn_ctx *kn, const char *text) {
  ir_graph *g = kt_parse_graph(kn, text);
  if (!g) fail_msg("%s", kn_errmsg(kn));
  return g;
}

/* runs g on x = [1, -2, 3, -4] and returns output 0's elements */
static void run4(kn_ctx *kn, ir_graph *g, float *y) {
  kn_tensor x, out[1];
  int64_t d = 4;
  assert_int_equal(kn_tensor_alloc(kn, &x, KN_F32, 1, &d), KN_OK);
  float xv[4] = {1, -2, 3, -4};
  memcpy(x.data, xv, sizeof xv);
  if (ref_run_graph(kn, g, &x, 1, out, 1) != KN_OK) fail_msg("%s", kn_errmsg(kn));
  memcpy(y, out[0].data, sizeof(float) * 4);
  kn_tensor_free(&out[0]);
  kn_tensor_free(&x);
}

static void run_pass(ir_graph *g, const char *pipeline, int32_t *changed_total) {
  pm_options o = {.pipeline = pipeline, .verify_each = true};
  if (pm_run(g, &o) != KN_OK) fail_msg("%s", kn_errmsg(g->ctx));
  (void)changed_total;
}

static void test_dce(void **state) {
  (void)state;
  kn_ctx *kn = kn_ctx_new();
  ir_graph *g = parse(kn, "graph t {\n input x: f32[4]\n a = Relu(x)\n unused = Neg(x)\n unused2 = Abs(unused)\n"
                          " output a\n}\n");
  assert_int_equal(ir_graph_live_nodes(g), 3);
  run_pass(g, "dce", NULL);
  assert_int_equal(ir_graph_live_nodes(g), 1);
  assert_int_equal(g->nnodes, 1);          /* compacted */
  assert_int_equal(ir_value_find(g, "unused"), IR_NONE);
  float y[4];
  run4(kn, g, y);
  assert_float_equal(y[1], 0.0f, 0);
  assert_float_equal(y[2], 3.0f, 0);
  ir_graph_free(g);
  kn_ctx_free(kn);
}

static void test_cse(void **state) {
  (void)state;
  kn_ctx *kn = kn_ctx_new();
  ir_graph *g = parse(kn, "graph t {\n input x: f32[4]\n a = LeakyRelu(x) {alpha=0.5}\n b = LeakyRelu(x) {alpha=0.5}\n"
                          " c = LeakyRelu(x) {alpha=0.25}\n s = Add(a, b)\n t = Add(s, c)\n output t\n}\n");
  run_pass(g, "cse,dce", NULL);
  assert_int_equal(kt_count_op(g, IR_OP_LeakyRelu), 2); /* b merged into a; c has another alpha */
  float y[4];
  run4(kn, g, y);
  /* x=-2: a=b=-1, c=-0.5 -> -2.5 ; x=3: 3+3+3 = 9 */
  assert_float_equal(y[1], -2.5f, 1e-6);
  assert_float_equal(y[2], 9.0f, 1e-6);
  ir_graph_free(g);
  kn_ctx_free(kn);
}

static void test_remove_noops(void **state) {
  (void)state;
  kn_ctx *kn = kn_ctx_new();
  ir_graph *g = parse(kn, "graph t {\n input x: f32[4]\n a = Identity(x)\n b = Cast(a) {to=1}\n"
                          " c, m = Dropout(b)\n d = Neg(c)\n e = Identity(d)\n output e\n}\n");
  run_pass(g, "remove-noops,dce", NULL);
  /* the Identity feeding the graph output stays; the rest are gone */
  assert_int_equal(ir_graph_live_nodes(g), 2);
  assert_int_equal(kt_count_op(g, IR_OP_Neg), 1);
  assert_int_equal(kt_count_op(g, IR_OP_Identity), 1);
  float y[4];
  run4(kn, g, y);
  assert_float_equal(y[1], 2.0f, 0);
  ir_graph_free(g);
  kn_ctx_free(kn);
}

static void test_fold_shape_arithmetic(void **state) {
  (void)state;
  kn_ctx *kn = kn_ctx_new();
  /* the export pattern: Shape -> Gather -> Unsqueeze -> Concat -> Reshape */
  ir_graph *g = parse(kn, "graph t {\n input x: f32[4]\n const zero: i64[] = [0]\n const ax: i64[1] = [0]\n"
                          " const two: i64[1] = [2]\n const neg: i64[1] = [-1]\n"
                          " s = Shape(x)\n n = Gather(s, zero) {axis=0}\n nu = Unsqueeze(n, ax)\n"
                          " shp = Concat(two, neg) {axis=0}\n r = Reshape(x, shp)\n f = Flatten(r) {axis=0}\n"
                          " y = Reshape(f, s)\n output y\n}\n");
  run_pass(g, "fold,dce", NULL);
  assert_int_equal(kt_count_op(g, IR_OP_Shape), 0);
  assert_int_equal(kt_count_op(g, IR_OP_Gather), 0);
  assert_int_equal(kt_count_op(g, IR_OP_Concat), 0);
  assert_int_equal(ir_graph_live_nodes(g), 3); /* Reshape, Flatten, Reshape remain */
  ir_id r = g->nodes[0].out[0];
  assert_int_equal(g->values[r].type.rank, 2);
  assert_int_equal(g->values[r].type.dims[1], 2);
  float y[4];
  run4(kn, g, y);
  assert_float_equal(y[3], -4.0f, 0);
  ir_graph_free(g);
  kn_ctx_free(kn);
}

static void test_fuse_layernorm(void **state) {
  (void)state;
  kn_ctx *kn = kn_ctx_new();
  const char *text = "graph t {\n input x: f32[4]\n const ax: i64[1] = [-1]\n const two: f32[] = [2]\n"
                     " const eps: f32[] = [1e-05]\n const gamma: f32[4] = [1, 2, 3, 4]\n"
                     " const beta: f32[4] = [0.5, 0.5, 0.5, 0.5]\n"
                     " m = ReduceMean(x, ax)\n d = Sub(x, m)\n p = Pow(d, two)\n v = ReduceMean(p, ax)\n"
                     " ve = Add(v, eps)\n s = Sqrt(ve)\n n = Div(d, s)\n g = Mul(n, gamma)\n y = Add(g, beta)\n"
                     " output y\n}\n";
  ir_graph *g = parse(kn, text), *ref = parse(kn, text);
  run_pass(g, "fuse-layernorm,dce", NULL);
  assert_int_equal(ir_graph_live_nodes(g), 1);
  assert_int_equal(kt_count_op(g, IR_OP_LayerNormalization), 1);
  float y[4], yr[4];
  run4(kn, g, y);
  run4(kn, ref, yr);
  /* x = [1,-2,3,-4]: mean -0.5, d = [1.5,-1.5,3.5,-3.5], var 29/4 -> y[0] = 1.5/sqrt(7.25+1e-5)*1 + 0.5 */
  assert_float_equal(y[0], 1.5f / sqrtf(7.25001f) + 0.5f, 1e-5);
  for (int i = 0; i < 4; i++) assert_float_equal(y[i], yr[i], 1e-5);
  ir_graph_free(g);
  ir_graph_free(ref);
  kn_ctx_free(kn);
}

static void test_fuse_gelu(void **state) {
  (void)state;
  kn_ctx *kn = kn_ctx_new();
  const char *erf = "graph t {\n input x: f32[4]\n const r2: f32[] = [1.4142135]\n const one: f32[] = [1]\n"
                    " const half: f32[] = [0.5]\n a = Div(x, r2)\n b = Erf(a)\n c = Add(b, one)\n"
                    " d = Mul(x, c)\n y = Mul(d, half)\n output y\n}\n";
  const char *tanh = "graph t {\n input x: f32[4]\n const k0: f32[] = [0.044715]\n const k1: f32[] = [0.7978846]\n"
                     " const one: f32[] = [1]\n const half: f32[] = [0.5]\n sq = Mul(x, x)\n cu = Mul(x, sq)\n"
                     " w = Mul(k0, cu)\n a = Add(x, w)\n u = Mul(k1, a)\n t = Tanh(u)\n q = Add(one, t)\n"
                     " d = Mul(x, q)\n y = Mul(half, d)\n output y\n}\n";
  const char *texts[2] = {erf, tanh};
  for (int k = 0; k < 2; k++) {
    ir_graph *g = parse(kn, texts[k]), *ref = parse(kn, texts[k]);
    run_pass(g, "fuse-gelu,dce", NULL);
    assert_int_equal(ir_graph_live_nodes(g), 1);
    assert_int_equal(kt_count_op(g, IR_OP_Gelu), 1);
    const char *approx = ir_attr_str(&g->nodes[0], "approximate", "none");
    assert_string_equal(approx, k ? "tanh" : "none");
    float y[4], yr[4];
    run4(kn, g, y);
    run4(kn, ref, yr);
    for (int i = 0; i < 4; i++) assert_float_equal(y[i], yr[i], 1e-5);
    assert_float_equal(y[2], 2.99595946f, 5e-4); /* GELU(3) = 3*Phi(3); the tanh form is within 4e-4 */
    ir_graph_free(g);
    ir_graph_free(ref);
  }
  kn_ctx_free(kn);
}

/* Runs g on deterministic inputs (one per graph input, shaped by its type)
 * and returns output 0's elements (malloc'd) and their count. */
static float *run_any(kn_ctx *kn, ir_graph *g, int64_t *count) {
  kn_tensor in[8], out[1];
  assert_true(g->ninputs <= 8);
  for (int i = 0; i < g->ninputs; i++) {
    const ir_type *t = &g->values[g->inputs[i]].type;
    assert_int_equal(kn_tensor_alloc(kn, &in[i], t->dtype, t->rank, t->dims), KN_OK);
    for (int64_t k = 0; k < kn_tensor_numel(&in[i]); k++) ((float *)in[i].data)[k] = 3.0f * sinf(0.7f * (float)k + (float)i);
  }
  if (ref_run_graph(kn, g, in, g->ninputs, out, 1) != KN_OK) fail_msg("%s", kn_errmsg(kn));
  *count = kn_tensor_numel(&out[0]);
  float *y = malloc(sizeof(float) * (size_t)*count);
  memcpy(y, out[0].data, sizeof(float) * (size_t)*count);
  kn_tensor_free(&out[0]);
  for (int i = 0; i < g->ninputs; i++) kn_tensor_free(&in[i]);
  return y;
}

static const ir_node *only_live(const ir_graph *g, ir_op op) {
  for (int32_t i = 0; i < g->nnodes; i++)
    if (!g->nodes[i].dead && g->nodes[i].op == op) return &g->nodes[i];
  fail_msg("no live %s node", ir_op_table[op].name);
  return NULL;
}

/* fuse-elementwise on `text`: afterwards `live` nodes remain, one of them a
 * FusedElementwise with `nin` inputs and a body of `body_nodes` ops; the
 * output equals the unfused graph's on the reference executor, and the fused
 * graph prints, parses back to the same text and computes the same output. */
static void check_fused(const char *text, int live, int nin, int body_nodes) {
  kn_ctx *kn = kn_ctx_new();
  ir_graph *g = parse(kn, text), *ref = parse(kn, text);
  run_pass(g, "fuse-elementwise,dce", NULL);
  assert_int_equal(ir_graph_live_nodes(g), live);
  assert_int_equal(kt_count_op(g, IR_OP_FusedElementwise), 1);
  const ir_node *f = only_live(g, IR_OP_FusedElementwise);
  assert_int_equal(f->nin, nin);
  const ir_attr *a = ir_attr_get(f, "body");
  assert_non_null(a);
  assert_int_equal(a->kind, IR_ATTR_GRAPH);
  assert_int_equal(ir_graph_live_nodes(a->g), body_nodes);
  int64_t n, nr, nt;
  float *y = run_any(kn, g, &n), *yr = run_any(kn, ref, &nr);
  assert_int_equal(n, nr);
  for (int64_t i = 0; i < n; i++) assert_float_equal(y[i], yr[i], 1e-6 * (1 + fabsf(yr[i])));
  /* the text form round-trips the body */
  char *p1 = ir_print(g, NULL);
  ir_graph *g2 = NULL;
  if (ir_parse(kn, p1, "fused.kir", &g2) != KN_OK || ir_infer_graph(g2) != KN_OK) fail_msg("%s\n%s", kn_errmsg(kn), p1);
  char *p2 = ir_print(g2, NULL);
  assert_string_equal(p1, p2);
  float *yt = run_any(kn, g2, &nt);
  assert_int_equal(nt, n);
  for (int64_t i = 0; i < n; i++) assert_float_equal(yt[i], y[i], 0);
  free(p1), free(p2), free(y), free(yr), free(yt);
  ir_graph_free(g2);
  ir_graph_free(g);
  ir_graph_free(ref);
  kn_ctx_free(kn);
}

static void test_fuse_elementwise_quick_gelu(void **state) {
  (void)state;
  /* bias add then QuickGELU: h is used twice, both times inside the chain */
  check_fused("graph t {\n input x: f32[3, 8]\n const b: f32[8] = [0.1, -0.2, 0.3, -0.4, 0.5, -0.6, 0.7, -0.8]\n"
              " const k: f32[] = [1.702]\n h = Add(b, x)\n t = Mul(h, k)\n s = Sigmoid(t)\n y = Mul(h, s)\n"
              " output y\n}\n",
              1, 2, 4);
}

static void test_fuse_elementwise_residual(void **state) {
  (void)state;
  /* bias add then residual add: three leaves (x, the bias row, the residual) */
  check_fused("graph t {\n input x: f32[2, 5]\n input r: f32[2, 5]\n const b: f32[5] = [1, 2, 3, 4, 5]\n"
              " a = Add(b, x)\n y = Add(r, a)\n output y\n}\n",
              1, 3, 2);
  /* a column operand [2,1], a scalar input, Pow 2 and Clip with constant bounds */
  check_fused("graph t {\n input x: f32[2, 5]\n input c: f32[2, 1]\n input s: f32[]\n const two: f32[] = [2]\n"
              " const lo: f32[] = [-1]\n const hi: f32[] = [4]\n a = Sub(x, c)\n p = Pow(a, two)\n m = Mul(p, s)\n"
              " y = Clip(m, lo, hi)\n output y\n}\n",
              1, 3, 4);
}

static void test_fuse_elementwise_limits(void **state) {
  (void)state;
  kn_ctx *kn = kn_ctx_new();
  /* h also feeds the graph output, and v goes to a MatMul: neither may vanish
   * into a chain, so only the chain s -> y fuses and MatMul stays */
  ir_graph *g = parse(kn, "graph t {\n input x: f32[2, 4]\n const w: f32[4, 4] = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]\n"
                          " h = Relu(x)\n v = Neg(h)\n m = MatMul(v, w)\n s = Sigmoid(m)\n y = Add(s, h)\n"
                          " output y, h\n}\n");
  run_pass(g, "fuse-elementwise,dce", NULL);
  assert_int_equal(kt_count_op(g, IR_OP_FusedElementwise), 1);
  assert_int_equal(kt_count_op(g, IR_OP_Relu), 1);
  assert_int_equal(kt_count_op(g, IR_OP_Neg), 1);
  assert_int_equal(kt_count_op(g, IR_OP_MatMul), 1);
  ir_graph_free(g);
  /* a [2,4] operand of a [3,2,4] chain is neither same-shape, row, column
   * nor scalar: no fusion; nor for a lone op or an integer chain */
  g = parse(kn, "graph t {\n input x: f32[3, 2, 4]\n input z: f32[2, 4]\n a = Add(x, z)\n y = Relu(a)\n"
                " input i: i32[4]\n j = Neg(i)\n k = Abs(j)\n l = Exp(x)\n output y, k, l\n}\n");
  run_pass(g, "fuse-elementwise,dce", NULL);
  assert_int_equal(kt_count_op(g, IR_OP_FusedElementwise), 0);
  ir_graph_free(g);
  kn_ctx_free(kn);
}

static void test_pipeline_flags(void **state) {
  (void)state;
  kn_ctx *kn = kn_ctx_new();
  ir_graph *g = parse(kn, "graph t {\n input x: f32[4]\n a = Relu(x)\n u = Neg(x)\n output a\n}\n");
  pm_options o = {.level = 2, .ndisabled = 1, .disabled = {"dce"}};
  assert_int_equal(pm_run(g, &o), KN_OK);
  assert_int_equal(ir_graph_live_nodes(g), 2); /* dce disabled */
  pm_options bad = {.pipeline = "fold,frobnicate"};
  assert_int_equal(pm_run(g, &bad), KN_EINVAL);
  assert_non_null(strstr(kn_errmsg(kn), "frobnicate"));
  assert_string_equal(pm_pipeline_for_level(0), "");
  ir_graph_free(g);
  kn_ctx_free(kn);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_dce),          cmocka_unit_test(test_cse), cmocka_unit_test(test_remove_noops),
      cmocka_unit_test(test_fold_shape_arithmetic), cmocka_unit_test(test_fuse_layernorm),
      cmocka_unit_test(test_fuse_gelu),             cmocka_unit_test(test_fuse_elementwise_quick_gelu),
      cmocka_unit_test(test_fuse_elementwise_residual), cmocka_unit_test(test_fuse_elementwise_limits),
      cmocka_unit_test(test_pipeline_flags),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
