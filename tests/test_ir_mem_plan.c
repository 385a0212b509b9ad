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

#include "unit.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { MAXV = 32 };
typedef struct plan {
  ir_graph *g;
  int64_t off[MAXV];
  ir_mem_stats st;
} plan;

/* Plans every node output of text's graph (graph outputs included). */
static plan make(void **state, const char *text) {
  plan p = {kt_load(state, text), {0}, {0}};
  int64_t size[MAXV] = {0};
  assert_true(p.g->nvalues <= MAXV);
  for (int32_t v = 0; v < p.g->nvalues; v++) {
    const ir_value *val = &p.g->values[v];
    if (val->producer != IR_NONE) size[v] = kn_dims_numel(val->type.rank, val->type.dims) * 4;
  }
  assert_true(ir_plan_memory(p.g, size, true, p.off, &p.st) > 0);
  return p;
}

static int64_t off(const plan *p, const char *name) {
  ir_id v = ir_value_find(p->g, name);
  assert_int_not_equal(v, IR_NONE);
  return p->off[v];
}

static void test_views_and_inplace_share(void **state) {
  plan p = make(state, "graph t {\n input x: f32[4, 8]\n const s: i64[1] = [32]\n a = Relu(x)\n b = Reshape(a, s)\n"
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
}

static void test_live_operand_is_not_overwritten(void **state) {
  /* a is read again by the Add after Sigmoid: b may not overwrite it; the
   * Add may overwrite b (dead after) but not a's view v (the same buffer as
   * its other operand a) */
  plan p = make(state, "graph t {\n input x: f32[8]\n const s: i64[2] = [2, 4]\n const s2: i64[1] = [8]\n"
                       " a = Relu(x)\n b = Sigmoid(a)\n c = Add(b, a)\n v = Reshape(a, s)\n w = Reshape(v, s2)\n"
                       " d = Sub(w, a)\n output c\n output d\n}\n");
  assert_int_not_equal(off(&p, "b"), off(&p, "a"));
  assert_int_equal(off(&p, "c"), off(&p, "b"));
  assert_int_equal(off(&p, "w"), off(&p, "a"));
  assert_int_not_equal(off(&p, "d"), off(&p, "a")); /* both operands are a's bytes */
  assert_int_not_equal(off(&p, "d"), off(&p, "c")); /* c lives to the end */
}

static void test_no_sharing_without_share(void **state) {
  ir_graph *g = kt_load(state, "graph t {\n input x: f32[16]\n a = Relu(x)\n b = Neg(a)\n output b\n}\n");
  int64_t size[16] = {0}, o[16];
  size[ir_value_find(g, "a")] = 64;
  size[ir_value_find(g, "b")] = 64;
  ir_mem_stats st;
  assert_int_equal(ir_plan_memory(g, size, false, o, &st), 128);
  assert_int_equal(st.inplace, 0);
  assert_int_equal(ir_plan_memory(g, size, true, o, &st), 64);
  assert_int_equal(st.inplace, 1);
}

/* The JIT places values by the plan: its outputs match the reference's. */
static void test_jit_matches_reference(void **state) {
  kn_ctx *kn = kt_kn(state);
  const char *text = "graph t {\n input x: f32[3, 40]\n const s: i64[2] = [40, 3]\n const t: i64[2] = [3, 40]\n"
                     " a = Relu(x)\n b = Reshape(a, s)\n c = Sigmoid(b)\n d = Reshape(c, t)\n e = Add(d, x)\n"
                     " f = Tanh(e)\n g2 = Mul(f, e)\n h = Sub(g2, a)\n output h\n}\n";
  int64_t n = 0;
  float *want = kt_seeded_output(kn, kt_load(state, text), 0, &n);
  kn_tensor x, y;
  const kt_wave seeded = {.amp = 3.0f, .freq = 0.7f, .phase = 1.0f}; /* kt_run_seeded's input 0 */
  ir_graph *g = kt_parse(kn, text);
  kt_make_inputs(kn, g, &seeded, &x);
  pm_options none = {.pipeline = ""}; /* keep the graph as written: no fusion */
  cg_options opt = {.opt_level = 2, .no_cache = true, .passes = &none};
  cg_model *m = kt_jit_compile(kn, g, NULL, &opt);
  cg_stats cs;
  cg_model_stats(m, &cs);
  assert_true(cs.inplace_nodes >= 2);
  assert_true(cs.view_nodes >= 1);
  kt_jit_run(kn, m, &x, 1, &y, 1);
  assert_int_equal(kn_tensor_numel(&y), n);
  assert_true(kt_max_rel_diff(y.data, want, n) < 1e-6);
  kn_tensor_free(&y);
  kn_tensor_free(&x);
  cg_model_free(m);
  free(want);
}

KT_MAIN(
    KT_TEST(test_views_and_inplace_share),
    KT_TEST(test_live_operand_is_not_overwritten),
    KT_TEST(test_no_sharing_without_share),
    KT_TEST(test_jit_matches_reference))
