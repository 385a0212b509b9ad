/* pass_check.c: see pass_check.h. */
#include "ir_text.h"
#include "pass_check.h"
#include "ref.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

ir_graph *kt_parse_graph(kn_ctx *kn, const char *text) {
  ir_graph *g = NULL;
  if (ir_parse(kn, text, "test.kir", &g) != KN_OK) return NULL;
  if (ir_infer_graph(g) != KN_OK) {
    ir_graph_free(g);
    return NULL;
  }
  return g;
}

kn_status kt_run_pipeline(ir_graph *g, const char *pipeline) {
  pm_options o = {.pipeline = pipeline, .verify_each = true};
  return pm_run(g, &o);
}

int kt_count_op(const ir_graph *g, ir_op op) {
  int c = 0;
  for (int32_t i = 0; i < g->nnodes; i++) c += !g->nodes[i].dead && g->nodes[i].op == op;
  return c;
}

float *kt_run_seeded(kn_ctx *kn, ir_graph *g, int out, int64_t *count) {
  int nin = g->ninputs, nout = g->noutputs;
  if (out >= nout) return NULL;
  kn_tensor *in = calloc((size_t)nin + 1, sizeof *in), *outs = calloc((size_t)nout, sizeof *outs);
  float *y = NULL;
  kn_status st = in && outs ? KN_OK : KN_ENOMEM;
  for (int i = 0; st == KN_OK && i < nin; i++) {
    const ir_type *t = &g->values[g->inputs[i]].type;
    st = kn_tensor_alloc(kn, &in[i], t->dtype, t->rank, t->dims);
    for (int64_t k = 0; st == KN_OK && k < kn_tensor_numel(&in[i]); k++) {
      float v = 3.0f * sinf(0.7f * (float)k + (float)i);
      if (t->dtype == KN_F32) ((float *)in[i].data)[k] = v;
      else if (t->dtype == KN_I64) ((int64_t *)in[i].data)[k] = (int64_t)fabsf(v);
      else st = kn_fail(kn, KN_EUNSUPPORTED, "kt_run_seeded: input %d is neither f32 nor i64", i);
    }
  }
  if (st == KN_OK) st = ref_run_graph(kn, g, in, nin, outs, nout);
  if (st == KN_OK && outs[out].dtype == KN_F32) {
    *count = kn_tensor_numel(&outs[out]);
    y = malloc(sizeof(float) * (size_t)(*count + 1));
    if (y) memcpy(y, outs[out].data, sizeof(float) * (size_t)*count);
  }
  for (int i = 0; outs && i < nout; i++) kn_tensor_free(&outs[i]);
  for (int i = 0; in && i < nin; i++) kn_tensor_free(&in[i]);
  free(in), free(outs);
  return y;
}

double kt_max_rel_diff(const float *a, const float *b, int64_t n) {
  double m = 0;
  for (int64_t i = 0; i < n; i++) {
    double d = fabs((double)a[i] - (double)b[i]) / (1.0 + fabs((double)b[i]));
    if (d > m || d != d) m = d != d ? INFINITY : d;
  }
  return m;
}
