/* common.c: helpers shared by the kiln subcommands: loading a model with the
 * --shape/--config/--define/--custom-op bindings, input shapes, an output's
 * summary line, the median of timings (taken with kn_now_ms, ir/context.c).
 * (The options themselves: options.c and common_options.c.) */
#include "cli.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

void cli_apply_limits(kn_ctx *kn, const cli_common *o) {
  if (o->mem_limit) kn_set_mem_limit(kn, o->mem_limit);
  if (o->max_loop_iters) kn->max_loop_iters = o->max_loop_iters;
}

int cli_load(kn_ctx *kn, const cli_common *o, ir_graph **g) {
  cli_apply_limits(kn, o);
  kn_set_verbose(kn, o->verbose);
  ir_custom_ops *custom = o->ncustom_ops ? ir_custom_ops_new() : NULL;
  if (o->ncustom_ops && !custom) {
    fprintf(stderr, "kiln: error: out of memory\n");
    return EXIT_MODEL;
  }
  for (int k = 0; k < o->ncustom_ops; k++)
    if (ir_custom_register(kn, custom, o->custom_ops[k]) != KN_OK) {
      fprintf(stderr, "kiln: error: %s\n", kn_errmsg(kn));
      ir_custom_ops_free(custom);
      return EXIT_USAGE;
    }
  if ((o->config || o->ndefines) && !kn_is_text_model(o->model)) {
    fprintf(stderr, "kiln: error: --config and --define apply to .kir models only, not %s\n", o->model);
    ir_custom_ops_free(custom);
    return EXIT_USAGE;
  }
  ir_parse_opts po = {.config = o->config, .defines = o->defines, .ndefines = o->ndefines};
  /* the registrations become attributes of the Custom nodes, so they are not needed after the import */
  kn_status st = kn_load_graph_ex(kn, o->model, &po, custom, g);
  ir_custom_ops_free(custom);
  if (st != KN_OK) {
    fprintf(stderr, "kiln: error: %s\n", kn_errmsg(kn));
    /* an unknown --config or a --define of no param is the command line's fault */
    return st == KN_EINVAL && kn_is_text_model(o->model) ? EXIT_USAGE : EXIT_MODEL;
  }
  for (int k = 0; k < o->nshapes; k++) {
    ir_id v = ir_value_find(*g, o->shape_names[k]);
    bool is_input = false;
    for (int i = 0; v != IR_NONE && i < (*g)->ninputs; i++) is_input |= (*g)->inputs[i] == v;
    if (!is_input) {
      fprintf(stderr, "kiln: error: --shape %s: the model has no input named '%s'\n", o->shape_names[k],
              o->shape_names[k]);
      ir_graph_free(*g);
      *g = NULL;
      return EXIT_USAGE;
    }
    const ir_type *t = &(*g)->values[v].type;
    if (t->rank >= 0 && t->rank != o->shape_ranks[k]) {
      fprintf(stderr, "kiln: error: --shape %s: input has rank %d, got %d dims\n", o->shape_names[k], t->rank,
              o->shape_ranks[k]);
      ir_graph_free(*g);
      *g = NULL;
      return EXIT_USAGE;
    }
  }
  return EXIT_OK;
}

void cli_input_shape(const cli_common *o, const ir_graph *g, int idx, int *rank, int64_t *dims) {
  const ir_value *v = &g->values[g->inputs[idx]];
  for (int k = 0; k < o->nshapes; k++)
    if (!strcmp(o->shape_names[k], v->name)) {
      *rank = o->shape_ranks[k];
      memcpy(dims, o->shape_dims[k], sizeof(int64_t) * (size_t)*rank);
      return;
    }
  *rank = v->type.rank < 0 ? 1 : v->type.rank;
  for (int i = 0; i < *rank; i++) dims[i] = v->type.rank < 0 || v->type.dims[i] < 0 ? 1 : v->type.dims[i];
}

void cli_print_tensor_summary(FILE *f, const char *name, const kn_tensor *t) {
  char shape[160] = "";
  for (int i = 0; i < t->rank; i++)
    snprintf(shape + strlen(shape), sizeof shape - strlen(shape), "%s%lld", i ? "x" : "", (long long)t->dims[i]);
  int64_t n = kn_tensor_numel(t);
  double mn = INFINITY, mx = -INFINITY, sum = 0;
  for (int64_t i = 0; i < n; i++) {
    double x = kn_tensor_get_f64(t, i);
    if (x < mn) mn = x;
    if (x > mx) mx = x;
    sum += x;
  }
  if (n == 0) mn = mx = 0;
  fprintf(f, "%-24s %-8s [%s]  min %.6g  max %.6g  mean %.6g", name, kn_dtype_name(t->dtype), shape, mn, mx,
          n ? sum / (double)n : 0.0);
  if (n > 0 && n <= 8) { /* small outputs (scores, probabilities): every value */
    fprintf(f, "  values");
    for (int64_t i = 0; i < n; i++) fprintf(f, " %.6g", kn_tensor_get_f64(t, i));
  }
  fprintf(f, "\n");
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

double cli_median(double *t, int n) {
  if (n <= 0) return 0;
  qsort(t, (size_t)n, sizeof *t, cmp_double);
  return n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
}
