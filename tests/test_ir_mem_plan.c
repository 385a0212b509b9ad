/* test_ir_mem_plan.c: the memory plan (ir/mem_plan.c) on small text graphs:
 * which values share a buffer (views, in-place elementwise ops), which must
 * not (an operand read later, two operands from one buffer), and that the
 * workspace is smaller than the naive sum; then that the JIT, which places
 * values by this plan, computes what the reference executor does on a graph
 * where every sharing rule fires. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cg.h"
#include "pass_check.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct plan {
  ir_graph *g;
  int64_t *off;
  ir_mem_stats st;
} plan;

/* Plans every node output of text's graph (graph outputs included). */
static plan make(kn_ctx *kn, const char *text) {
  plan p = {kt_parse_graph(kn, text), NULL, {0}};
  if (!p.g) fail_msg("%s", kn_errmsg(kn));
  int64_t *size = calloc((size_t)p.g->nvalues, sizeof *size);
  p.off = calloc((size_t)p.g->nvalues, sizeof *p.off);
  for (int32_t v = 0; v < p.g->nvalues; v++) {
    const ir_value *val = &p.g->values[v];
    if (val->producer != IR_NONE) size[v] = kn_dims_numel(val->type.rank, val->type.dims) * 4;
  }
  assert_true(ir_plan_memory(p.g, size, true, p.off, &p.st) > 0);
  free(size);
  return p;
}

static int64_t off(const plan *p, const char *name) {
  ir_id v = ir_value_find(p->g, name);
  assert_int_not_equal(v, IR_NONE);
  return p->off[v];
}

static void drop(plan *p) {
  ir_graph_free(p->g);
  free(p->off);
}

static void test_views_and_inplace_share(void **state) {
  (void)state;
  kn_ctx *kn = kn_ctx_new();
  plan p = make(kn, "graph t {\n input x: f32[4, 8]\n const s: i64[1] = [32]\n a = Relu(x)\n b = Reshape(a, s)\n"
                    " c = Sigmoid(b)\n d = Mul(c, c)\n e = Neg(d)\n output e\n}\n");
  /* a, its view b, and the in-place chain c, d: one buffer; e is a graph
   * output, alive after the run, and takes d's buffer in place too */
  assert_int_equal(off(&p, "b"), off(&p, "a"));
  assert_int_equal(off(&p, "c"), off(&p, "a"));
  assert_int_equal(off(&p, "d"), off(&p, "a"));
  assert_int_equal(off(&p, "e"), off(&p, "a"));
  assert_int_equal(p.st.views, 1);
  assert_int_equal(p.st.inplace, 3);
  assert_int_equal(p.st.workspace_bytes, 128);
  assert_int_equal(p.st.naive_bytes, 5 * 128);
  drop(&p);
  kn_ctx_free(kn);
}

static void test_live_operand_is_not_overwritten(void **state) {
  (void)state;
  kn_ctx *kn = kn_ctx_new();
  /* a is read again by the Add after Sigmoid: b may not overwrite it; the
   * Add may overwrite b (dead after) but not a's view v (the same buffer as
   * its other operand a) */
  plan p = make(kn, "graph t {\n input x: f32[8]\n const s: i64[2] = [2, 4]\n const s2: i64[1] = [8]\n"
                    " a = Relu(x)\n b = Sigmoid(a)\n c = Add(b, a)\n v = Reshape(a, s)\n w = Reshape(v, s2)\n"
                    " d = Sub(w, a)\n output c\n output d\n}\n");
  assert_int_not_equal(off(&p, "b"), off(&p, "a"));
  assert_int_equal(off(&p, "c"), off(&p, "b"));
  assert_int_equal(off(&p, "w"), off(&p, "a"));
  assert_int_not_equal(off(&p, "d"), off(&p, "a")); /* both operands are a's bytes */
  assert_int_not_equal(off(&p, "d"), off(&p, "c")); /* c lives to the end */
  drop(&p);
  kn_ctx_free(kn);
}

static void test_no_sharing_without_share(void **state) {
  (void)state;
  kn_ctx *kn = kn_ctx_new();
  ir_graph *g = kt_parse_graph(kn, "graph t {\n input x: f32[16]\n a = Relu(x)\n b = Neg(a)\n output b\n}\n");
  assert_non_null(g);
  int64_t size[16] = {0}, o[16];
  size[ir_value_find(g, "a")] = 64;
  size[ir_value_find(g, "b")] = 64;
  ir_mem_stats st;
  assert_int_equal(ir_plan_memory(g, size, false, o, &st), 128);
  assert_int_equal(st.inplace, 0);
  assert_int_equal(ir_plan_memory(g, size, true, o, &st), 64);
  assert_int_equal(st.inplace, 1);
  ir_graph_free(g);
  kn_ctx_free(kn);
}

/* The JIT places values by the plan: its outputs match the reference's. */
static void test_jit_matches_reference(void **state) {
  (void)state;
  kn_ctx *kn = kn_ctx_new();
  const char *text = "graph t {\n input x: f32[3, 40]\n const s: i64[2] = [40, 3]\n const t: i64[2] = [3, 40]\n"
                     " a = Relu(x)\n b = Reshape(a, s)\n c = Sigmoid(b)\n d = Reshape(c, t)\n e = Add(d, x)\n"
                     " f = Tanh(e)\n g2 = Mul(f, e)\n h = Sub(g2, a)\n output h\n}\n";
  ir_graph *g = kt_parse_graph(kn, text), *ref = kt_parse_graph(kn, text);
  assert_non_null(g);
  int64_t n = 0;
  float *want = kt_run_seeded(kn, ref, 0, &n);
  assert_non_null(want);
  kn_tensor x, y;
  int64_t dims[2] = {3, 40};
  assert_int_equal(kn_tensor_alloc(kn, &x, KN_F32, 2, dims), KN_OK);
  for (int64_t k = 0; k < 120; k++) ((float *)x.data)[k] = 3.0f * sinf(0.7f * (float)k);
  pm_options none = {.pipeline = ""}; /* keep the graph as written: no fusion */
  cg_options opt = {.opt_level = 2, .no_cache = true, .passes = &none};
  cg_model *m = NULL;
  int ranks[1] = {-1};
  int64_t keep[1][KN_MAX_RANK] = {{0}};
  if (cg_compile(kn, g, ranks, (const int64_t(*)[KN_MAX_RANK])keep, &opt, &m) != KN_OK) fail_msg("%s", kn_errmsg(kn));
  cg_stats cs;
  cg_model_stats(m, &cs);
  assert_true(cs.inplace_nodes >= 2);
  assert_true(cs.view_nodes >= 1);
  if (cg_run(m, &x, 1, &y, 1) != KN_OK) fail_msg("%s", kn_errmsg(kn));
  assert_int_equal(kn_tensor_numel(&y), n);
  assert_true(kt_max_rel_diff(y.data, want, n) < 1e-6);
  kn_tensor_free(&y);
  kn_tensor_free(&x);
  cg_model_free(m);
  ir_graph_free(ref);
  free(want);
  kn_ctx_free(kn);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_views_and_inplace_share),
      cmocka_unit_test(test_live_operand_is_not_overwritten),
      cmocka_unit_test(test_no_sharing_without_share),
      cmocka_unit_test(test_jit_matches_reference),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
