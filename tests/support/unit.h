/* unit.h: the steps the cmocka unit tests (tests/test_*.c) share, written
 * once (unit.c, the kiln_unit library). A fixture gives each test a fresh
 * kn_ctx and an empty graph; the other functions fail the running test, with
 * kn_errmsg, when their step goes wrong, so that a test reads as its case:
 * the graph, the pipeline, the expected counts and tolerances. Unlike
 * pass_check.h, whose functions report by return value, these need cmocka:
 * include this header after <cmocka.h>. */
#ifndef KILN_TEST_UNIT_H
#define KILN_TEST_UNIT_H

#include "cg.h"
#include "pass_check.h"

/* ---- the fixture ---- */
typedef struct kt_deferred {
  void (*fn)(void *);
  void *p;
} kt_deferred;
typedef struct kt_fixture {
  kn_ctx *kn;
  ir_graph *g;            /* empty, named "t": for tests that build a graph node by node */
  kt_deferred *deferred;  /* run by kt_teardown, last first */
  int ndeferred;
} kt_fixture;
int kt_setup(void **state);
int kt_teardown(void **state);
/* A test that gets the fixture in *state. */
#define KT_TEST(fn) cmocka_unit_test_setup_teardown(fn, kt_setup, kt_teardown)
/* The fixture's context. */
kn_ctx *kt_kn(void **state);
/* main() of a test file: runs the tests given (KT_TEST or cmocka_unit_test
 * entries) as one group. */
#define KT_MAIN(...)                                                                                                   \
  int main(void) {                                                                                                     \
    const struct CMUnitTest tests[] = {__VA_ARGS__};                                                                   \
    return cmocka_run_group_tests(tests, NULL, NULL);                                                                  \
  }

/* Has the fixture's teardown call fn(p) (what the test allocated); returns p. */
void *kt_defer(void **state, void (*fn)(void *), void *p);
/* Hands g to the fixture, which frees it at teardown; returns g. */
ir_graph *kt_keep(void **state, ir_graph *g);

/* ---- graphs ---- */
/* Shape inference of one node: adds to the fixture's graph a node of op over
 * new values typed in[] (absent where in[i] is NULL) and nout new outputs,
 * applies set_attrs (when given) and infers the types out[] with the
 * constant inputs val[] (NULL: none). */
kn_status kt_infer_node(kt_fixture *f, ir_op op, int nin, const ir_type *const *in, const kn_tensor *const *val,
                        int nout, ir_type *out, void (*set_attrs)(ir_graph *, ir_node *));
/* The parsed and type-inferred graph of text IR. */
ir_graph *kt_parse(kn_ctx *kn, const char *text);
/* The same with the fixture's context, kept by the fixture. */
ir_graph *kt_load(void **state, const char *text);
/* Runs the passes of o (pm_run). */
void kt_passes(ir_graph *g, const pm_options *o);
/* Runs `pipeline` with --verify-each. */
void kt_pipeline(ir_graph *g, const char *pipeline);
/* Live node counts, as "OP=N ...": an op name of ir/ops.def, or `live` for
 * all live nodes (e.g. "live=2 Neg=1 Identity=1"). */
void kt_expect_counts(const ir_graph *g, const char *spec);
/* A pass test: text (kept by the fixture) after `pipeline`, with the live
 * node counts of `counts`. Returns the graph. */
ir_graph *kt_after(void **state, const char *text, const char *pipeline, const char *counts);
/* The first live node of op `op`. */
const ir_node *kt_live_node(const ir_graph *g, ir_op op);
/* g printed (every constant), parsed back and printed again must give the
 * same text. Returns the parsed graph; *text, when given, gets the print.
 * The caller frees both. */
ir_graph *kt_text_round_trip(kn_ctx *kn, const ir_graph *g, char **text);

/* ---- running ---- */
/* Deterministic f32 inputs: element k of input i is
 * amp sin(freq k + phase i) + offset; with `masks`, an input whose name
 * starts with "mask" gets -1e4 at every k % 5 == 3 and 0 elsewhere. */
typedef struct kt_wave {
  float amp, freq, phase, offset;
  bool masks;
} kt_wave;
/* One tensor per graph input, shaped by its type, into in[]. */
void kt_make_inputs(kn_ctx *kn, const ir_graph *g, const kt_wave *w, kn_tensor *in);
/* kt_run_seeded: output `out` of g on the seeded inputs (malloc'd floats,
 * *count of them). */
float *kt_seeded_output(kn_ctx *kn, ir_graph *g, int out, int64_t *count);
/* g on the reference executor: g->ninputs inputs, nout outputs (owned). */
void kt_ref_run(kn_ctx *kn, ir_graph *g, const kn_tensor *in, kn_tensor *out, int nout);
/* Compiles g (which the model then owns) for the shapes of in[] (one per
 * graph input), or with in NULL for the shapes g declares, with options o. */
cg_model *kt_jit_compile(kn_ctx *kn, ir_graph *g, const kn_tensor *in, const cg_options *o);
/* Runs m: nin inputs, nout outputs (owned). */
void kt_jit_run(kn_ctx *kn, cg_model *m, const kn_tensor *in, int nin, kn_tensor *out, int nout);

/* ---- comparing ---- */
/* Same element count, and |got - want| <= tol (1 + |want|) for every f32
 * element; a failure names `what` and the element. */
void kt_expect_close(const kn_tensor *got, const kn_tensor *want, float tol, const char *what);
/* Frees t[0..n). */
void kt_free_tensors(kn_tensor *t, int n);

#endif
