/* unit.c: see unit.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ir_text.h"
#include "unit.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

int kt_setup(void **state) {
  kt_fixture *f = calloc(1, sizeof *f);
  if (!f) return -1;
  *state = f;
  f->kn = kn_ctx_new();
  f->g = f->kn ? ir_graph_new(f->kn, "t") : NULL;
  return f->g ? 0 : -1;
}

int kt_teardown(void **state) {
  kt_fixture *f = *state;
  while (f->ndeferred > 0) {
    const kt_deferred *d = &f->deferred[--f->ndeferred];
    d->fn(d->p);
  }
  free(f->deferred);
  if (f->g) ir_graph_free(f->g);
  kn_ctx_free(f->kn);
  free(f);
  return 0;
}

kn_ctx *kt_kn(void **state) { return ((kt_fixture *)*state)->kn; }

void *kt_defer(void **state, void (*fn)(void *), void *p) {
  kt_fixture *f = *state;
  kt_deferred *d = realloc(f->deferred, sizeof *d * (size_t)(f->ndeferred + 1));
  assert_non_null(d);
  f->deferred = d;
  f->deferred[f->ndeferred++] = (kt_deferred){fn, p};
  return p;
}

static void free_graph(void *g) { ir_graph_free(g); }

ir_graph *kt_keep(void **state, ir_graph *g) { return kt_defer(state, free_graph, g); }

ir_graph *kt_parse(kn_ctx *kn, const char *text) {
  ir_graph *g = kt_parse_graph(kn, text);
  if (!g) fail_msg("%s\n%s", kn_errmsg(kn), text);
  return g;
}

kn_status kt_infer_node(kt_fixture *f, ir_op op, int nin, const ir_type *const *in, const kn_tensor *const *val,
                        int nout, ir_type *out, void (*set_attrs)(ir_graph *, ir_node *)) {
  ir_id ins[8], outs[8];
  const kn_tensor *none[8] = {NULL};
  assert_true(nin <= 8 && nout <= 8);
  for (int i = 0; i < nin; i++) ins[i] = in[i] ? ir_value_new(f->g, NULL, in[i]) : IR_NONE;
  for (int k = 0; k < nout; k++) outs[k] = ir_value_new(f->g, NULL, NULL);
  ir_id n = ir_node_new(f->g, op, "n", nin, ins, nout, outs);
  if (set_attrs) set_attrs(f->g, &f->g->nodes[n]);
  return ir_infer_node(f->kn, f->g, &f->g->nodes[n], in, val ? val : none, out);
}

ir_graph *kt_load(void **state, const char *text) { return kt_keep(state, kt_parse(kt_kn(state), text)); }

void kt_passes(ir_graph *g, const pm_options *o) {
  if (pm_run(g, o) != KN_OK) fail_msg("%s", kn_errmsg(g->ctx));
}

void kt_pipeline(ir_graph *g, const char *pipeline) {
  if (kt_run_pipeline(g, pipeline) != KN_OK) fail_msg("%s", kn_errmsg(g->ctx));
}

void kt_expect_counts(const ir_graph *g, const char *spec) {
  char name[64];
  int want, used = 0;
  const char *p = spec;
  for (; sscanf(p, " %63[A-Za-z0-9_]=%d%n", name, &want, &used) == 2; p += used) {
    const bool all = strcmp(name, "live") == 0;
    const int op = all ? -1 : ir_op_from_name(name);
    if (!all && op < 0) fail_msg("kt_expect_counts: unknown op %s in \"%s\"", name, spec);
    const int got = all ? ir_graph_live_nodes(g) : kt_count_op(g, (ir_op)op);
    if (got != want) fail_msg("%s: %d live nodes, want %d (\"%s\")", name, got, want, spec);
  }
  if (p[strspn(p, " ")]) fail_msg("kt_expect_counts: cannot read \"%s\" of \"%s\"", p, spec);
}

ir_graph *kt_after(void **state, const char *text, const char *pipeline, const char *counts) {
  ir_graph *g = kt_load(state, text);
  kt_pipeline(g, pipeline);
  kt_expect_counts(g, counts);
  return g;
}

const ir_node *kt_live_node(const ir_graph *g, ir_op op) {
  for (int32_t i = 0; i < g->nnodes; i++)
    if (!g->nodes[i].dead && g->nodes[i].op == op) return &g->nodes[i];
  fail_msg("no live %s node", ir_op_table[op].name);
  return NULL;
}

ir_graph *kt_text_round_trip(kn_ctx *kn, const ir_graph *g, char **text) {
  char *p1 = ir_print(g, NULL);
  assert_non_null(p1);
  ir_graph *g2 = kt_parse(kn, p1);
  char *p2 = ir_print(g2, NULL);
  assert_non_null(p2);
  assert_string_equal(p1, p2);
  free(p2);
  if (text) *text = p1;
  else free(p1);
  return g2;
}

void kt_make_inputs(kn_ctx *kn, const ir_graph *g, const kt_wave *w, kn_tensor *in) {
  for (int i = 0; i < g->ninputs; i++) {
    const ir_value *v = &g->values[g->inputs[i]];
    assert_int_equal(kn_tensor_alloc(kn, &in[i], v->type.dtype, v->type.rank, v->type.dims), KN_OK);
    float *p = in[i].data;
    const bool mask = w->masks && strncmp(v->name, "mask", 4) == 0;
    for (int64_t k = 0; k < kn_tensor_numel(&in[i]); k++)
      p[k] = mask ? (k % 5 == 3 ? -1e4f : 0.0f) : w->amp * sinf(w->freq * (float)k + w->phase * (float)i) + w->offset;
  }
}

float *kt_seeded_output(kn_ctx *kn, ir_graph *g, int out, int64_t *count) {
  float *y = kt_run_seeded(kn, g, out, count);
  if (!y) fail_msg("%s", kn_errmsg(kn));
  return y;
}

void kt_ref_run(kn_ctx *kn, ir_graph *g, const kn_tensor *in, kn_tensor *out, int nout) {
  if (ref_run_graph(kn, g, in, g->ninputs, out, nout) != KN_OK) fail_msg("%s", kn_errmsg(kn));
}

cg_model *kt_jit_compile(kn_ctx *kn, ir_graph *g, const kn_tensor *in, const cg_options *o) {
  int ranks[16];
  int64_t dims[16][KN_MAX_RANK];
  assert_true(g->ninputs <= 16);
  for (int i = 0; i < g->ninputs; i++) {
    ranks[i] = in ? in[i].rank : -1; /* -1: as declared */
    memcpy(dims[i], in ? in[i].dims : (const int64_t[KN_MAX_RANK]){0}, sizeof dims[i]);
  }
  cg_model *m = NULL;
  if (cg_compile(kn, g, ranks, (const int64_t(*)[KN_MAX_RANK])dims, o, &m) != KN_OK) fail_msg("%s", kn_errmsg(kn));
  return m;
}

void kt_jit_run(kn_ctx *kn, cg_model *m, const kn_tensor *in, int nin, kn_tensor *out, int nout) {
  if (cg_run(m, in, nin, out, nout) != KN_OK) fail_msg("%s", kn_errmsg(kn));
}

void kt_expect_close(const kn_tensor *got, const kn_tensor *want, float tol, const char *what) {
  assert_int_equal(kn_tensor_numel(got), kn_tensor_numel(want));
  const float *y = got->data, *w = want->data;
  for (int64_t i = 0; i < kn_tensor_numel(want); i++)
    if (!(fabsf(y[i] - w[i]) <= tol * (1 + fabsf(w[i]))))
      fail_msg("%s: element %lld is %.9g, want %.9g", what, (long long)i, y[i], w[i]);
}

void kt_free_tensors(kn_tensor *t, int n) {
  for (int i = 0; i < n; i++) kn_tensor_free(&t[i]);
}
