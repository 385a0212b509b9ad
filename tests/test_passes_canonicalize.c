/* test_passes_canonicalize.c: the canonicalize pass, text in, text out:
 * Transpose pairs merge or cancel, unit-dim Transposes and Flatten/Squeeze/
 * Unsqueeze become Reshape, view chains collapse, a Reshape to its own shape
 * disappears; graph outputs and symbolic shapes are left alone; and every
 * rewritten graph computes what the original does on the reference executor. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "pass_check.h"
#include <stdlib.h>

/* Runs canonicalize,dce on text; checks the live node count and that the
 * output is unchanged (exactly: views and transposes only move data). */
static ir_graph *check(kn_ctx *kn, const char *text, int live_after) {
  ir_graph *g = kt_parse_graph(kn, text), *orig = kt_parse_graph(kn, text);
  if (!g || !orig) fail_msg("%s", kn_errmsg(kn));
  if (kt_run_pipeline(g, "canonicalize,dce") != KN_OK) fail_msg("%s", kn_errmsg(kn));
  assert_int_equal(ir_graph_live_nodes(g), live_after);
  int64_t n = 0, no = 0;
  float *y = kt_run_seeded(kn, g, 0, &n), *yo = kt_run_seeded(kn, orig, 0, &no);
  if (!y || !yo) fail_msg("%s", kn_errmsg(kn));
  assert_int_equal(n, no);
  assert_true(kt_max_rel_diff(y, yo, n) == 0);
  free(y), free(yo);
  ir_graph_free(orig);
  return g;
}

static void test_transpose_pairs(void **state) {
  (void)state;
  kn_ctx *kn = kn_ctx_new();
  /* two permutations that compose into one */
  ir_graph *g = check(kn, "graph t {\n input x: f32[2, 3, 4]\n a = Transpose(x) {perm=[1, 0, 2]}\n"
                          " b = Transpose(a) {perm=[0, 2, 1]}\n y = Relu(b)\n output y\n}\n", 2);
  assert_int_equal(kt_count_op(g, IR_OP_Transpose), 1);
  ir_graph_free(g);
  /* a permutation and its inverse cancel */
  g = check(kn, "graph t {\n input x: f32[2, 3, 4]\n a = Transpose(x) {perm=[2, 0, 1]}\n"
                " b = Transpose(a) {perm=[1, 2, 0]}\n y = Relu(b)\n output y\n}\n", 1);
  assert_int_equal(kt_count_op(g, IR_OP_Relu), 1);
  ir_graph_free(g);
  /* the default perm reverses the dims: twice is the identity */
  g = check(kn, "graph t {\n input x: f32[2, 3]\n a = Transpose(x)\n b = Transpose(a)\n y = Neg(b)\n output y\n}\n", 1);
  ir_graph_free(g);
  kn_ctx_free(kn);
}

static void test_unit_dim_transpose_is_reshape(void **state) {
  (void)state;
  kn_ctx *kn = kn_ctx_new();
  ir_graph *g = check(kn, "graph t {\n input x: f32[1, 5, 1, 3]\n a = Transpose(x) {perm=[1, 0, 2, 3]}\n"
                          " y = Relu(a)\n output y\n}\n", 2);
  assert_int_equal(kt_count_op(g, IR_OP_Transpose), 0);
  assert_int_equal(kt_count_op(g, IR_OP_Reshape), 1);
  ir_graph_free(g);
  /* a real permutation of two non-unit dims stays */
  g = check(kn, "graph t {\n input x: f32[1, 5, 1, 3]\n a = Transpose(x) {perm=[0, 3, 2, 1]}\n"
                " y = Relu(a)\n output y\n}\n", 2);
  assert_int_equal(kt_count_op(g, IR_OP_Transpose), 1);
  ir_graph_free(g);
  kn_ctx_free(kn);
}

static void test_view_chains(void **state) {
  (void)state;
  kn_ctx *kn = kn_ctx_new();
  /* Unsqueeze, Flatten, Reshape: one Reshape from x */
  ir_graph *g = check(kn, "graph t {\n input x: f32[2, 6]\n const ax: i64[1] = [0]\n const s: i64[2] = [3, 4]\n"
                          " a = Unsqueeze(x, ax)\n b = Flatten(a) {axis=2}\n c = Reshape(b, s)\n y = Relu(c)\n"
                          " output y\n}\n", 2);
  assert_int_equal(kt_count_op(g, IR_OP_Reshape), 1);
  assert_int_equal(kt_count_op(g, IR_OP_Unsqueeze) + kt_count_op(g, IR_OP_Flatten), 0);
  ir_graph_free(g);
  /* Unsqueeze then Squeeze: nothing left */
  g = check(kn, "graph t {\n input x: f32[2, 6]\n const ax: i64[1] = [1]\n a = Unsqueeze(x, ax)\n"
                " b = Squeeze(a, ax)\n y = Relu(b)\n output y\n}\n", 1);
  ir_graph_free(g);
  /* a lone Squeeze becomes a Reshape to a constant shape */
  g = check(kn, "graph t {\n input x: f32[2, 1, 6]\n a = Squeeze(x)\n y = Relu(a)\n output y\n}\n", 2);
  assert_int_equal(kt_count_op(g, IR_OP_Reshape), 1);
  ir_graph_free(g);
  kn_ctx_free(kn);
}

static void test_leaves_outputs_and_symbols(void **state) {
  (void)state;
  kn_ctx *kn = kn_ctx_new();
  /* the inner Transpose is a graph output: it stays, the outer reads x */
  ir_graph *g = check(kn, "graph t {\n input x: f32[2, 3]\n a = Transpose(x)\n b = Transpose(a)\n"
                          " y = Neg(b)\n output y\n output a\n}\n", 2);
  assert_int_equal(kt_count_op(g, IR_OP_Transpose), 1);
  ir_graph_free(g);
  /* a symbolic dim might be 1 or not: the Transpose stays a Transpose */
  g = kt_parse_graph(kn, "graph t {\n input x: f32[n, 5, 1]\n a = Transpose(x) {perm=[0, 2, 1]}\n"
                         " y = Relu(a)\n output y\n}\n");
  assert_non_null(g);
  assert_int_equal(kt_run_pipeline(g, "canonicalize,dce"), KN_OK);
  assert_int_equal(kt_count_op(g, IR_OP_Transpose), 1);
  ir_graph_free(g);
  kn_ctx_free(kn);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_transpose_pairs),
      cmocka_unit_test(test_unit_dim_transpose_is_reshape),
      cmocka_unit_test(test_view_chains),
      cmocka_unit_test(test_leaves_outputs_and_symbols),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
