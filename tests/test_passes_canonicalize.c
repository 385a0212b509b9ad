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

#include "unit.h"
#include <stdlib.h>

/* Runs canonicalize,dce on text; checks the live node counts of `counts`
 * (kt_expect_counts) and that the output is unchanged (exactly: views and
 * transposes only move data). */
static void check(void **state, const char *text, const char *counts) {
  ir_graph *g = kt_after(state, text, "canonicalize,dce", counts), *orig = kt_load(state, text);
  int64_t n = 0, no = 0;
  float *y = kt_seeded_output(kt_kn(state), g, 0, &n), *yo = kt_seeded_output(kt_kn(state), orig, 0, &no);
  assert_int_equal(n, no);
  assert_true(kt_max_rel_diff(y, yo, n) == 0);
  free(y), free(yo);
}

static void test_transpose_pairs(void **state) {
  /* two permutations that compose into one */
  check(state, "graph t {\n input x: f32[2, 3, 4]\n a = Transpose(x) {perm=[1, 0, 2]}\n"
               " b = Transpose(a) {perm=[0, 2, 1]}\n y = Relu(b)\n output y\n}\n", "live=2 Transpose=1");
  /* a permutation and its inverse cancel */
  check(state, "graph t {\n input x: f32[2, 3, 4]\n a = Transpose(x) {perm=[2, 0, 1]}\n"
               " b = Transpose(a) {perm=[1, 2, 0]}\n y = Relu(b)\n output y\n}\n", "live=1 Relu=1");
  /* the default perm reverses the dims: twice is the identity */
  check(state, "graph t {\n input x: f32[2, 3]\n a = Transpose(x)\n b = Transpose(a)\n y = Neg(b)\n output y\n}\n",
        "live=1");
}

static void test_unit_dim_transpose_is_reshape(void **state) {
  check(state, "graph t {\n input x: f32[1, 5, 1, 3]\n a = Transpose(x) {perm=[1, 0, 2, 3]}\n y = Relu(a)\n"
               " output y\n}\n",
        "live=2 Transpose=0 Reshape=1");
  /* a real permutation of two non-unit dims stays */
  check(state, "graph t {\n input x: f32[1, 5, 1, 3]\n a = Transpose(x) {perm=[0, 3, 2, 1]}\n y = Relu(a)\n"
               " output y\n}\n",
        "live=2 Transpose=1");
}

static void test_view_chains(void **state) {
  /* Unsqueeze, Flatten, Reshape: one Reshape from x */
  check(state, "graph t {\n input x: f32[2, 6]\n const ax: i64[1] = [0]\n const s: i64[2] = [3, 4]\n"
               " a = Unsqueeze(x, ax)\n b = Flatten(a) {axis=2}\n c = Reshape(b, s)\n y = Relu(c)\n output y\n}\n",
        "live=2 Reshape=1 Unsqueeze=0 Flatten=0");
  /* Unsqueeze then Squeeze: nothing left */
  check(state, "graph t {\n input x: f32[2, 6]\n const ax: i64[1] = [1]\n a = Unsqueeze(x, ax)\n"
               " b = Squeeze(a, ax)\n y = Relu(b)\n output y\n}\n", "live=1");
  /* a lone Squeeze becomes a Reshape to a constant shape */
  check(state, "graph t {\n input x: f32[2, 1, 6]\n a = Squeeze(x)\n y = Relu(a)\n output y\n}\n", "live=2 Reshape=1");
}

static void test_leaves_outputs_and_symbols(void **state) {
  /* the inner Transpose is a graph output: it stays, the outer reads x */
  check(state, "graph t {\n input x: f32[2, 3]\n a = Transpose(x)\n b = Transpose(a)\n y = Neg(b)\n output y\n"
               " output a\n}\n",
        "live=2 Transpose=1");
  /* a symbolic dim might be 1 or not: the Transpose stays a Transpose */
  kt_after(state, "graph t {\n input x: f32[n, 5, 1]\n a = Transpose(x) {perm=[0, 2, 1]}\n y = Relu(a)\n output y\n}\n",
           "canonicalize,dce", "Transpose=1");
}

KT_MAIN(
    KT_TEST(test_transpose_pairs),
    KT_TEST(test_unit_dim_transpose_is_reshape),
    KT_TEST(test_view_chains),
    KT_TEST(test_leaves_outputs_and_symbols))
