/* test_codegen_bind_values.c: compiled code for graphs whose shapes come from
 * input values (passes/bind_values.c). A Reshape whose target shape is a
 * graph input, and a Compress whose condition is one, are dynamic for their
 * input shapes alone: with the values given, the JIT without reference
 * kernels (as an AOT build) compiles them, the outputs match the reference
 * executor, data inputs stay inputs (new data gives new outputs), and a run
 * with another value of a bound input is refused with a message instead of
 * reusing code sized for the old value. Without the values the compile error
 * names the input whose value is needed; an Expand whose output inference
 * guessed is not trusted without its shape's value. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit.h"
#include <stdlib.h>
#include <string.h>

static const char *const g_reshape = "graph t {\n"
                                     " input x: f32[2, 6]\n input shape: i64[3]\n"
                                     " y = Reshape(x, shape)\n z = Neg(y)\n output z\n"
                                     "}\n";

static const char *const g_compress = "graph t {\n"
                                      " input x: f32[3, 4]\n input keep: bool[4]\n"
                                      " y = Compress(x, keep) {axis=1}\n output y\n"
                                      "}\n";

/* Expand's output shape can be guessed without the shape's value (a non-1
 * dim stays): see test_expand_checks_a_guessed_shape */
static const char *const g_expand = "graph t {\n"
                                    " input x: f32[4, 3]\n input s: i64[2]\n"
                                    " y = Expand(x, s)\n output y\n"
                                    "}\n";

static void fill_f32(kn_ctx *kn, kn_tensor *t, int rank, const int64_t *dims, float base) {
  assert_int_equal(kn_tensor_alloc(kn, t, KN_F32, rank, dims), KN_OK);
  float *p = t->data;
  for (int64_t i = 0; i < kn_tensor_numel(t); i++) p[i] = base + (float)i * 0.5f;
}

static void set_i64(kn_ctx *kn, kn_tensor *t, const int64_t *v, int64_t n) {
  assert_int_equal(kn_tensor_alloc(kn, t, KN_I64, 1, &n), KN_OK);
  memcpy(t->data, v, sizeof *v * (size_t)n);
}

/* A run of m (2 inputs, 1 output) with in[] is refused, naming `what`. */
static void expect_refused(kn_ctx *kn, cg_model *m, const kn_tensor *in, const char *what) {
  kn_tensor out[1];
  assert_int_equal(cg_run(m, in, 2, out, 1), KN_EINVAL);
  assert_non_null(strstr(kn_errmsg(kn), what));
}

/* text on the reference executor (ref_out) and compiled for in[]'s values
 * with no reference kernels, as an AOT build compiles it */
static cg_model *compile_bound(void **state, const char *text, const kn_tensor *in, kn_tensor *ref_out) {
  kn_ctx *kn = kt_kn(state);
  kt_ref_run(kn, kt_load(state, text), in, ref_out, 1);
  cg_options o = {.opt_level = 2, .no_cache = true, .no_fallback = true, .input_values = in, .ninput_values = 2};
  cg_model *m = kt_jit_compile(kn, kt_parse(kn, text), in, &o);
  cg_stats st;
  cg_model_stats(m, &st);
  assert_false(st.whole_graph_ref);
  return m;
}

static void release(cg_model *m, kn_tensor *ref_out, kn_tensor *in) {
  cg_model_free(m);
  kt_free_tensors(ref_out, 1);
  kt_free_tensors(in, 2);
}

static void test_reshape_bound_to_its_shape_value(void **state) {
  kn_ctx *kn = kt_kn(state);
  kn_tensor in[2], ref_out[1], out[1];
  fill_f32(kn, &in[0], 2, (const int64_t[]){2, 6}, -3.0f);
  set_i64(kn, &in[1], (const int64_t[]){3, -1, 2}, 3);
  cg_model *m = compile_bound(state, g_reshape, in, ref_out);
  kt_jit_run(kn, m, in, 2, out, 1);
  assert_int_equal(out[0].rank, 3);
  assert_int_equal(out[0].dims[0], 3);
  assert_int_equal(out[0].dims[1], 2);
  assert_int_equal(out[0].dims[2], 2);
  kt_expect_close(&out[0], &ref_out[0], 0, "reshape");
  kt_free_tensors(out, 1);
  /* new data: a data input is not bound */
  float *x = in[0].data;
  x[5] = 42.0f;
  kt_jit_run(kn, m, in, 2, out, 1);
  assert_true(((float *)out[0].data)[5] == -42.0f);
  kt_free_tensors(out, 1);
  /* another shape value: refused, not run with the old sizes */
  ((int64_t *)in[1].data)[0] = 2;
  ((int64_t *)in[1].data)[1] = 3;
  expect_refused(kn, m, in, "input 'shape' differs from the value the model was compiled for");
  release(m, ref_out, in);
}

static void test_without_values_the_error_names_the_input(void **state) {
  kn_ctx *kn = kt_kn(state);
  kn_tensor in[2];
  fill_f32(kn, &in[0], 2, (const int64_t[]){2, 6}, 0.0f);
  set_i64(kn, &in[1], (const int64_t[]){4, 3, 1}, 3);
  cg_options o = {.opt_level = 2, .no_cache = true, .no_fallback = true};
  int ranks[2] = {2, 1};
  int64_t dims[2][KN_MAX_RANK] = {{2, 6}, {3}};
  cg_model *m = NULL;
  assert_int_equal(cg_compile(kn, kt_parse(kn, g_reshape), ranks, (const int64_t(*)[KN_MAX_RANK])dims, &o, &m),
                   KN_EUNSUPPORTED);
  assert_null(m);
  assert_non_null(strstr(kn_errmsg(kn), "the value of input 'shape' shapes it"));
  kt_free_tensors(in, 2);
}

static void test_compress_bound_to_its_condition(void **state) {
  kn_ctx *kn = kt_kn(state);
  kn_tensor in[2], ref_out[1], out[1];
  fill_f32(kn, &in[0], 2, (const int64_t[]){3, 4}, 1.0f);
  int64_t four = 4;
  assert_int_equal(kn_tensor_alloc(kn, &in[1], KN_BOOL, 1, &four), KN_OK);
  memcpy(in[1].data, (const uint8_t[]){1, 0, 1, 1}, 4);
  cg_model *m = compile_bound(state, g_compress, in, ref_out);
  kt_jit_run(kn, m, in, 2, out, 1);
  assert_int_equal(out[0].dims[1], 3);
  kt_expect_close(&out[0], &ref_out[0], 0, "compress");
  kt_free_tensors(out, 1);
  ((uint8_t *)in[1].data)[1] = 1;
  expect_refused(kn, m, in, "input 'keep' differs");
  release(m, ref_out, in);
}

/* Shape inference can guess Expand's output without the shape's value, so
 * the graph looks static; compiled code sized by that guess must not run a
 * shape value that does not fit x (issue 11). */
static void test_expand_checks_a_guessed_shape(void **state) {
  const char *text = g_expand;
  kn_ctx *kn = kt_kn(state);
  kn_tensor in[2], out[1];
  fill_f32(kn, &in[0], 2, (const int64_t[]){4, 3}, 1.0f);
  set_i64(kn, &in[1], (const int64_t[]){2, 7}, 2);
  int ranks[2] = {2, 1};
  int64_t dims[2][KN_MAX_RANK] = {{4, 3}, {2}};
  cg_options o = {.opt_level = 2, .no_cache = true, .input_values = in, .ninput_values = 2};
  cg_model *m = NULL;
  /* the bad value is refused at compile time, as the reference executor refuses it */
  assert_int_equal(cg_compile(kn, kt_parse(kn, text), ranks, (const int64_t(*)[KN_MAX_RANK])dims, &o, &m),
                   KN_ESHAPE);
  assert_non_null(strstr(kn_errmsg(kn), "cannot broadcast"));
  /* a good value compiles; the bad one is then refused at run time */
  ((int64_t *)in[1].data)[0] = 4;
  ((int64_t *)in[1].data)[1] = 3;
  m = kt_jit_compile(kn, kt_parse(kn, text), in, &o);
  kt_jit_run(kn, m, in, 2, out, 1);
  kt_free_tensors(out, 1);
  ((int64_t *)in[1].data)[1] = 7;
  expect_refused(kn, m, in, "input 's' differs");
  cg_model_free(m);
  /* without the value the graph is not trusted as static: the reference executor runs it */
  o.input_values = NULL;
  m = kt_jit_compile(kn, kt_parse(kn, text), in, &o);
  cg_stats st;
  cg_model_stats(m, &st);
  assert_true(st.whole_graph_ref);
  assert_non_null(strstr(st.why_ref, "the value of input 's' shapes it"));
  ((int64_t *)in[1].data)[0] = 2;
  assert_int_not_equal(cg_run(m, in, 2, out, 1), KN_OK);
  cg_model_free(m);
  kt_free_tensors(in, 2);
}

KT_MAIN(KT_TEST(test_expand_checks_a_guessed_shape), KT_TEST(test_reshape_bound_to_its_shape_value), KT_TEST(test_without_values_the_error_names_the_input),
        KT_TEST(test_compress_bound_to_its_condition))
