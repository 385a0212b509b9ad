/* test_kcall_index.c: the kernel calls of k_call_index.h (GatherElements,
 * GatherND, ScatterElements, ScatterND, ReverseSequence, the two losses,
 * Einsum, Det, CumSum with a run-time axis) on the host, with no JIT: each
 * one-node text graph goes through its op's plan (runtime/kcall/), then the
 * thunk runs on buffers of exactly the sizes the static types and the plan
 * give, and must compute what the reference executor does on the same graph
 * and inputs; an index, target or axis out of range must come back as its
 * position. The sanitizer build is what makes this a bounds test: the JIT
 * runs the thunks as uninstrumented bitcode, this test as instrumented C. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "k_call_index.h"
#include "kcall.h"
#include "pass_check.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef int64_t (*thunk_fn)(const void *params, void *const *buf);
static const struct {
  const char *name;
  thunk_fn fn;
} thunks[] = {
    {"kk_call_gather_elements", kk_call_gather_elements},
    {"kk_call_scatter_elements", kk_call_scatter_elements},
    {"kk_call_gather_nd", kk_call_gather_nd},
    {"kk_call_scatter_nd", kk_call_scatter_nd},
    {"kk_call_reverse_sequence", kk_call_reverse_sequence},
    {"kk_call_nll_loss", kk_call_nll_loss},
    {"kk_call_sce_loss", kk_call_sce_loss},
    {"kk_call_einsum", kk_call_einsum},
    {"kk_call_det", kk_call_det},
    {"kk_call_cumsum_axis", kk_call_cumsum_axis},
};

static thunk_fn find_thunk(const char *name) {
  for (size_t i = 0; i < sizeof thunks / sizeof thunks[0]; i++)
    if (strcmp(thunks[i].name, name) == 0) return thunks[i].fn;
  fail_msg("no thunk %s in the test's table", name);
  return NULL;
}

static int64_t type_bytes(const ir_type *t) {
  return kn_dims_numel(t->rank, t->dims) * (int64_t)kn_dtype_size(t->dtype);
}

/* Graph input i's data as kt_run_seeded makes it (f32 or i64 only). */
static void seed(const ir_type *t, int i, void *data) {
  for (int64_t k = 0; k < kn_dims_numel(t->rank, t->dims); k++) {
    float v = 3.0f * sinf(0.7f * (float)k + (float)i);
    if (t->dtype == KN_F32) ((float *)data)[k] = v;
    else if (t->dtype == KN_I64) ((int64_t *)data)[k] = (int64_t)fabsf(v);
    else fail_msg("graph inputs must be f32 or i64");
  }
}

/* Plans text's one op node, runs its thunk, and (when it succeeds) compares
 * each graph output, the node's outputs in order, with the reference
 * executor's. Returns the thunk's result. */
static int64_t run(const char *text, const char *want_fn) {
  kn_ctx *kn = kn_ctx_new();
  ir_graph *g = kt_parse_graph(kn, text);
  if (!g) fail_msg("%s", kn_errmsg(kn));
  const ir_node *n = NULL;
  for (int32_t i = 0; i < g->nnodes; i++)
    if (!g->nodes[i].dead) n = &g->nodes[i];
  assert_non_null(n);
  kc_plan_fn plan = kc_plan_for(n->op);
  assert_non_null(plan);
  kc_plan p = {0};
  if (plan(kn, g, n, &p) != KN_OK) fail_msg("plan: %s", kn_errmsg(kn));
  assert_string_equal(p.fn, want_fn);
  int nin = kc_in_slots(n), nout = kc_out_slots(n);
  void *buf[KN_MAX_RANK + 8] = {0};
  assert_true(nin + nout + 1 <= (int)(sizeof buf / sizeof buf[0]));
  for (int i = 0; i < n->nin; i++) {
    ir_id v = n->in[i];
    if (v == IR_NONE) continue;
    const ir_value *val = &g->values[v];
    int64_t bytes = type_bytes(&val->type);
    buf[i] = malloc((size_t)(bytes > 0 ? bytes : 1));
    if (val->constant) memcpy(buf[i], val->constant->data, (size_t)bytes);
    for (int k = 0; !val->constant && k < g->ninputs; k++)
      if (g->inputs[k] == v) seed(&val->type, k, buf[i]);
  }
  for (int k = 0; k < n->nout; k++) {
    int64_t bytes = type_bytes(&g->values[n->out[k]].type);
    buf[nin + k] = malloc((size_t)(bytes > 0 ? bytes : 1));
  }
  buf[nin + nout] = p.scratch_bytes > 0 ? malloc((size_t)p.scratch_bytes) : NULL;
  int64_t r = find_thunk(p.fn)(p.params, buf);
  for (int k = 0; r == KK_CALL_OK && k < g->noutputs; k++) {
    int64_t count = 0;
    float *want = kt_run_seeded(kn, g, k, &count);
    if (!want) fail_msg("reference: %s", kn_errmsg(kn));
    const float *got = buf[nin + k];
    for (int64_t i = 0; i < count; i++)
      if (!(fabsf(got[i] - want[i]) <= 1e-6f * (1 + fabsf(want[i])) || (got[i] != got[i] && want[i] != want[i])))
        fail_msg("output %d element %lld: %g, reference %g", k, (long long)i, got[i], want[i]);
    free(want);
  }
  for (size_t i = 0; i < sizeof buf / sizeof buf[0]; i++) free(buf[i]);
  kc_plan_free(&p);
  ir_graph_free(g);
  kn_ctx_free(kn);
  return r;
}

static void test_gather_elements(void **state) {
  (void)state;
  const char *g = "graph t {\n input x: f32[3, 4]\n const ix: i64[3, 2] = [0, 1, 2, 3, %s, -4]\n"
                  " y = GatherElements(x, ix) {axis = 1}\n output y\n}\n";
  char text[256];
  snprintf(text, sizeof text, g, "-1");
  assert_int_equal(run(text, "kk_call_gather_elements"), KK_CALL_OK);
  snprintf(text, sizeof text, g, "4"); /* element 4 is past the axis (4 columns) */
  assert_int_equal(run(text, "kk_call_gather_elements"), 4);
  assert_int_equal(run("graph t {\n input x: f32[3, 2]\n const ix: i32[2, 2] = [2, 0, -3, 1]\n"
                       " y = GatherElements(x, ix)\n output y\n}\n", "kk_call_gather_elements"), KK_CALL_OK);
}

static void test_gather_nd(void **state) {
  (void)state;
  const char *g = "graph t {\n input x: f32[2, 3, 4]\n const ix: i64[2, 2, 1] = [0, 2, -1, %s]\n"
                  " y = GatherND(x, ix) {batch_dims = 1}\n output y\n}\n";
  char text[256];
  snprintf(text, sizeof text, g, "1");
  assert_int_equal(run(text, "kk_call_gather_nd"), KK_CALL_OK);
  snprintf(text, sizeof text, g, "-4");
  assert_int_equal(run(text, "kk_call_gather_nd"), 3);
  assert_int_equal(run("graph t {\n input x: f32[2, 3]\n const ix: i32[2, 2] = [0, 1, 2, 0]\n"
                       " y = GatherND(x, ix)\n output y\n}\n", "kk_call_gather_nd"), 2);
}

static void test_scatter_elements(void **state) {
  (void)state;
  const char *g = "graph t {\n input x: f32[3, 4]\n input u: f32[2, 2]\n const ix: i64[2, 2] = [0, 0, %s, 3]\n"
                  " y = ScatterElements(x, ix, u) {axis = 1, reduction = \"%s\"}\n output y\n}\n";
  char text[256];
  snprintf(text, sizeof text, g, "-4", "add"); /* duplicates accumulate */
  assert_int_equal(run(text, "kk_call_scatter_elements"), KK_CALL_OK);
  snprintf(text, sizeof text, g, "1", "none");
  assert_int_equal(run(text, "kk_call_scatter_elements"), KK_CALL_OK);
  snprintf(text, sizeof text, g, "-5", "max");
  assert_int_equal(run(text, "kk_call_scatter_elements"), 2);
}

static void test_scatter_nd(void **state) {
  (void)state;
  const char *g = "graph t {\n input x: f32[3, 4]\n input u: f32[2, 4]\n const ix: i64[2, 1] = [1, %s]\n"
                  " y = ScatterND(x, ix, u) {reduction = \"mul\"}\n output y\n}\n";
  char text[256];
  snprintf(text, sizeof text, g, "-2");
  assert_int_equal(run(text, "kk_call_scatter_nd"), KK_CALL_OK);
  snprintf(text, sizeof text, g, "3");
  assert_int_equal(run(text, "kk_call_scatter_nd"), 1);
}

static void test_reverse_sequence(void **state) {
  (void)state;
  const char *g = "graph t {\n input x: f32[4, 2, 3]\n const lens: i64[2] = [4, %s]\n"
                  " y = ReverseSequence(x, lens) {batch_axis = 1, time_axis = 0}\n output y\n}\n";
  char text[256];
  snprintf(text, sizeof text, g, "2");
  assert_int_equal(run(text, "kk_call_reverse_sequence"), KK_CALL_OK);
  snprintf(text, sizeof text, g, "5");
  assert_int_equal(run(text, "kk_call_reverse_sequence"), 1);
  assert_int_equal(run("graph t {\n input x: f32[2, 4]\n const lens: i32[2] = [3, 0]\n"
                       " y = ReverseSequence(x, lens) {batch_axis = 0, time_axis = 1}\n output y\n}\n",
                       "kk_call_reverse_sequence"), KK_CALL_OK);
}

static void test_losses(void **state) {
  (void)state;
  /* int32 targets (widened in scratch), an ignored one, per-element losses */
  const char *nll = "graph t {\n input x: f32[2, 3, 2]\n input w: f32[3]\n const tg: i32[2, 2] = [0, 1, 2, %s]\n"
                    " y = NegativeLogLikelihoodLoss(x, tg, w) {reduction = \"%s\", ignore_index = -1}\n output y\n}\n";
  char text[320];
  snprintf(text, sizeof text, nll, "-1", "none");
  assert_int_equal(run(text, "kk_call_nll_loss"), KK_CALL_OK);
  snprintf(text, sizeof text, nll, "1", "mean");
  assert_int_equal(run(text, "kk_call_nll_loss"), KK_CALL_OK);
  snprintf(text, sizeof text, nll, "3", "sum");
  assert_int_equal(run(text, "kk_call_nll_loss"), 3);
  /* SCE: log-probabilities in scratch, then into the log_prob output */
  const char *sce = "graph t {\n input x: f32[2, 3, 2]\n const tg: i64[2, 2] = [2, 0, %s, 1]\n"
                    " %s = SoftmaxCrossEntropyLoss(x, tg)\n output %s\n}\n";
  snprintf(text, sizeof text, sce, "1", "y", "y");
  assert_int_equal(run(text, "kk_call_sce_loss"), KK_CALL_OK);
  snprintf(text, sizeof text, sce, "1", "y, lp", "y, lp");
  assert_int_equal(run(text, "kk_call_sce_loss"), KK_CALL_OK);
  snprintf(text, sizeof text, sce, "-1", "y", "y");
  assert_int_equal(run(text, "kk_call_sce_loss"), 2);
}

static void test_einsum_det(void **state) {
  (void)state;
  assert_int_equal(run("graph t {\n input a: f32[2, 3, 4]\n input b: f32[2, 4, 5]\n"
                       " y = Einsum(a, b) {equation = \"bij,bjk->bki\"}\n output y\n}\n", "kk_call_einsum"),
                   KK_CALL_OK);
  assert_int_equal(run("graph t {\n input a: f32[3, 3]\n y = Einsum(a) {equation = \"ii->i\"}\n output y\n}\n",
                       "kk_call_einsum"), KK_CALL_OK);
  assert_int_equal(run("graph t {\n input a: f32[4]\n input b: f32[4]\n input c: f32[1, 4]\n"
                       " y = Einsum(a, b, c) {equation = \"i,i,...i\"}\n output y\n}\n", "kk_call_einsum"),
                   KK_CALL_OK);
  assert_int_equal(run("graph t {\n input a: f32[2, 3, 3]\n y = Det(a)\n output y\n}\n", "kk_call_det"), KK_CALL_OK);
  assert_int_equal(run("graph t {\n input a: f32[0, 3, 3]\n y = Det(a)\n output y\n}\n", "kk_call_det"), KK_CALL_OK);
}

static void test_cumsum_runtime_axis(void **state) {
  (void)state;
  /* the seeded axis (graph input 1) is |3 sin(1)| = 2 */
  assert_int_equal(run("graph t {\n input x: f32[2, 3, 2]\n input a: i64[]\n"
                       " y = CumSum(x, a) {exclusive = 1, reverse = 1}\n output y\n}\n", "kk_call_cumsum_axis"),
                   KK_CALL_OK);
  assert_int_equal(run("graph t {\n input x: f32[2, 3]\n input a: i64[]\n y = CumSum(x, a)\n output y\n}\n",
                       "kk_call_cumsum_axis"), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_gather_elements), cmocka_unit_test(test_gather_nd),
      cmocka_unit_test(test_scatter_elements), cmocka_unit_test(test_scatter_nd),
      cmocka_unit_test(test_reverse_sequence), cmocka_unit_test(test_losses),
      cmocka_unit_test(test_einsum_det), cmocka_unit_test(test_cumsum_runtime_axis),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
