/* case_runner.c: runs one test-case directory laid out like the ONNX backend
 * test data (model.onnx + test_data_set_N/{input,output}_K.pb) on the
 * reference executor or the JIT and compares every output with the stored
 * one; it records what ran (op counts before and after the passes, the JIT's
 * fallback nodes) so the runners can check and print it. A case that read an
 * attribute the IR's schema has no default for (ir_attr_schema_misses) does
 * not pass: that is a bug in ir/attr_schema.c or in the reading code. */
#include "ir_text.h"
#include "frontend.h"
#include "oracle.h"
#include "passes.h"
#include "cg.h"
#include "ref.h"
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static bool file_exists(const char *p) {
  struct stat st;
  return stat(p, &st) == 0;
}

static void set(kt_case_report *rep, kt_result r, const char *msg) {
  rep->result = r;
  snprintf(rep->msg, sizeof rep->msg, "%s", msg);
}

static kt_result status_result(kn_status st) { return st == KN_EUNSUPPORTED ? KT_UNSUPPORTED : KT_ERROR; }

static const pm_options *jit_passes;
void kt_set_passes(const pm_options *o) { jit_passes = o; }

static kn_status load_model(kn_ctx *kn, const char *model, unsigned flags, ir_graph **g);

static void count_ops(const ir_graph *g, int32_t *counts) {
  memset(counts, 0, sizeof(int32_t) * IR_OP_COUNT);
  for (int32_t i = 0; i < g->nnodes; i++)
    if (!g->nodes[i].dead) counts[g->nodes[i].op]++;
}

/* A copy of the graph specialized to these inputs' shapes and folded (with
 * KT_FOLD it must become static), then with KT_PASSES the pass pipeline as
 * the JIT runs it (its NCHWc block from the host's vector width). */
static kn_status specialize(kn_ctx *kn, const char *model, unsigned flags, const kn_tensor *ins, int nin,
                            ir_graph **out, kt_case_report *rep) {
  ir_graph *g = NULL;
  KN_TRY(load_model(kn, model, flags, &g));
  int *ranks = calloc((size_t)g->ninputs + 1, sizeof *ranks);
  int64_t(*dims)[KN_MAX_RANK] = calloc((size_t)g->ninputs + 1, sizeof *dims);
  kn_status st = ranks && dims ? KN_OK : kn_fail(kn, KN_ENOMEM, "out of memory");
  for (int i = 0; st == KN_OK && i < g->ninputs; i++) {
    const kn_tensor *t = i < nin ? &ins[i] : g->values[g->inputs[i]].constant;
    ranks[i] = t ? t->rank : -1;
    if (t) memcpy(dims[i], t->dims, sizeof dims[i]);
  }
  int32_t folded = 0;
  if (st == KN_OK) st = pass_bind_input_shapes(g, ranks, (const int64_t(*)[KN_MAX_RANK])dims);
  if (st == KN_OK) st = pass_fold_constants(g, (int64_t)64 << 20, &folded);
  if (st == KN_OK && (flags & KT_PASSES)) {
    pm_options po = jit_passes ? *jit_passes : (pm_options){.level = 2};
    if (po.nchwc_block <= 0) po.nchwc_block = cg_target_vec_bytes(&(cg_options){0}) / 4;
    st = pm_run(g, &po);
  }
  if (st == KN_OK) st = ir_verify(g);
  const char *why = NULL;
  bool has_control = false;
  for (int32_t i = 0; i < g->nnodes; i++) has_control |= !g->nodes[i].dead && (g->nodes[i].op == IR_OP_If || g->nodes[i].op == IR_OP_Loop);
  if (st == KN_OK && (flags & KT_FOLD) && !has_control && !pass_graph_is_static(g, &why))
    st = kn_fail(kn, KN_EINTERNAL, "after folding, node %s still has a non-static output type", why);
  free(ranks);
  free(dims);
  if (st != KN_OK) {
    ir_graph_free(g);
    return st;
  }
  rep->folded_nodes = folded;
  rep->live_nodes = ir_graph_live_nodes(g);
  *out = g;
  return KN_OK;
}

static void run_set(kn_ctx *kn, ir_graph *g, const char *setdir, const kt_tolerance *tol, unsigned flags,
                    const char *model, kt_case_report *rep) {
  char path[4200];
  int nin = 0, nout = 0, graph_outputs = g->noutputs; /* g may be replaced by a specialized copy below */
  while (snprintf(path, sizeof path, "%s/input_%d.pb", setdir, nin), file_exists(path)) nin++;
  while (snprintf(path, sizeof path, "%s/output_%d.pb", setdir, nout), file_exists(path)) nout++;
  kn_tensor *ins = calloc((size_t)nin + 1, sizeof *ins), *want = calloc((size_t)nout + 1, sizeof *want);
  kn_tensor *got = calloc((size_t)g->noutputs + 1, sizeof *got);
  kn_status st = KN_OK;
  for (int i = 0; st == KN_OK && i < nin; i++) {
    snprintf(path, sizeof path, "%s/input_%d.pb", setdir, i);
    st = onnx_read_tensor_file(kn, path, &ins[i], NULL);
  }
  for (int i = 0; st == KN_OK && i < nout; i++) {
    snprintf(path, sizeof path, "%s/output_%d.pb", setdir, i);
    st = onnx_read_tensor_file(kn, path, &want[i], NULL);
  }
  if (st != KN_OK) {
    set(rep, status_result(st), kn_errmsg(kn));
  } else if (nout != g->noutputs) {
    char m[128];
    snprintf(m, sizeof m, "test data has %d outputs, graph has %d", nout, g->noutputs);
    set(rep, KT_ERROR, m);
  } else {
    /* ONNX 1.12's generator stored bfloat16 test tensors as uint16 bit patterns */
    for (int i = 0; i < nin && i < g->ninputs; i++)
      if (ins[i].dtype == KN_U16 && g->values[g->inputs[i]].type.dtype == KN_BF16) ins[i].dtype = KN_BF16;
    for (int i = 0; i < nout; i++)
      if (want[i].dtype == KN_U16 && g->values[g->outputs[i]].type.dtype == KN_BF16) want[i].dtype = KN_BF16;
    ir_graph *spec = NULL;
    if (flags & (KT_FOLD | KT_PASSES)) {
      st = specialize(kn, model, flags, ins, nin, &spec, rep);
      if (st != KN_OK) set(rep, status_result(st), kn_errmsg(kn));
      else g = spec;
    }
    /* two runs: of one plan (the first records sizes, the second runs in the
     * planned workspace), or of one JIT-compiled model; both must match */
    ref_plan *plan = NULL;
    cg_model *jit = NULL;
    if (st == KN_OK && (flags & KT_JIT)) {
      ir_graph *fresh = NULL;
      st = load_model(kn, model, flags, &fresh);
      int *ranks = calloc((size_t)g->ninputs + 1, sizeof *ranks);
      int64_t(*dims)[KN_MAX_RANK] = calloc((size_t)g->ninputs + 1, sizeof *dims);
      if (st == KN_OK && (!ranks || !dims)) st = kn_fail(kn, KN_ENOMEM, "out of memory");
      for (int i = 0; st == KN_OK && i < g->ninputs; i++) {
        const kn_tensor *t = i < nin ? &ins[i] : g->values[g->inputs[i]].constant;
        ranks[i] = t ? t->rank : -1;
        if (t) memcpy(dims[i], t->dims, sizeof dims[i]);
      }
      cg_options opt = {.opt_level = 2, .no_cache = true, /* tests must not fill ~/.cache */
                        .passes = jit_passes, .no_lower = (flags & KT_NO_LOWER) != 0,
                        .no_fallback = (flags & KT_NO_FALLBACK) != 0, .input_values = ins,
                        .ninput_values = nin};
      if (st == KN_OK) st = cg_compile(kn, fresh, ranks, (const int64_t(*)[KN_MAX_RANK])dims, &opt, &jit);
      else ir_graph_free(fresh);
      free(ranks);
      free(dims);
      if (st == KN_OK) {
        cg_stats cs;
        cg_model_stats(jit, &cs);
        rep->lowered_nodes = cs.lowered_nodes;
        rep->fallback_nodes = cs.fallback_nodes;
        rep->live_nodes = cs.live_nodes;
        rep->folded_nodes = cs.folded_nodes;
        rep->whole_graph_ref = cs.whole_graph_ref;
        rep->fallback_ops[0] = 0;
        for (int k = 0; k < IR_OP_COUNT; k++)
          if (cs.fallback_op[k] && strlen(rep->fallback_ops) + strlen(ir_op_table[k].name) + 2 < sizeof rep->fallback_ops)
            snprintf(rep->fallback_ops + strlen(rep->fallback_ops), sizeof rep->fallback_ops - strlen(rep->fallback_ops),
                     "%s%s", rep->fallback_ops[0] ? " " : "", ir_op_table[k].name);
        count_ops(cg_model_graph(jit), rep->ops_ran);
        if (cs.total_ms > rep->compile_ms) rep->compile_ms = cs.total_ms;
      } else set(rep, status_result(st), kn_errmsg(kn));
    } else if (st == KN_OK) {
      count_ops(g, rep->ops_ran);
      st = ref_plan_new(kn, g, &plan);
    }
    for (int pass = 0; st == KN_OK && pass < 2 && rep->result == KT_PASS; pass++) {
      double t0 = kn_now_ms();
      st = jit ? cg_run(jit, ins, nin, got, g->noutputs) : ref_plan_run(plan, ins, nin, got, g->noutputs);
      if (pass == 1) rep->run_ms += kn_now_ms() - t0;
      if (st != KN_OK) set(rep, status_result(st), kn_errmsg(kn));
      for (int i = 0; st == KN_OK && i < nout && rep->result == KT_PASS; i++) {
        kt_compare cmp;
        kt_compare_tensors(&got[i], &want[i], tol, &cmp);
        if (cmp.max_abs > rep->max_abs) rep->max_abs = cmp.max_abs;
        if (cmp.rel_to_max > rep->rel_to_max) rep->rel_to_max = cmp.rel_to_max;
        if (!cmp.ok) {
          char m[1024];
          snprintf(m, sizeof m, "%.300s: %s run: output %d (%.200s): %s", setdir, pass ? "planned" : "first", i,
                   g->values[g->outputs[i]].name, cmp.why);
          set(rep, KT_MISMATCH, m);
        }
      }
      for (int i = 0; i < g->noutputs; i++) kn_tensor_free(&got[i]);
    }
    if (plan) {
      ref_plan_stats ps;
      ref_plan_get_stats(plan, &ps);
      if (ps.workspace_bytes > rep->workspace_bytes) rep->workspace_bytes = ps.workspace_bytes;
      if (ps.naive_bytes > rep->naive_bytes) rep->naive_bytes = ps.naive_bytes;
    }
    ref_plan_free(plan);
    cg_model_free(jit);
    ir_graph_free(spec);
  }
  for (int i = 0; i < nin; i++) kn_tensor_free(&ins[i]);
  for (int i = 0; i < nout; i++) kn_tensor_free(&want[i]);
  for (int i = 0; i < graph_outputs; i++) kn_tensor_free(&got[i]);
  free(ins), free(want), free(got);
}

/* Replaces *g by the graph obtained from writing it as ONNX and importing that. */
static kn_status through_onnx(kn_ctx *kn, ir_graph **g) {
  uint8_t *buf = NULL;
  size_t len = 0;
  KN_TRY(onnx_export_buffer(kn, *g, NULL, &buf, &len, NULL));
  ir_graph *back = NULL;
  kn_status st = onnx_import_buffer(kn, buf, len, NULL, "exported.onnx", &back);
  free(buf);
  if (st != KN_OK) return st;
  ir_graph_free(*g);
  *g = back;
  return KN_OK;
}

/* Replaces *g by the graph obtained from printing it as text and parsing it. */
static kn_status through_text(kn_ctx *kn, ir_graph **g) {
  ir_print_opts po = {.max_const_elems = -1};
  char *text = ir_print(*g, &po);
  if (!text) return kn_fail(kn, KN_ENOMEM, "out of memory printing the graph");
  ir_graph *back = NULL;
  kn_status st = ir_parse(kn, text, "printed.kir", &back);
  free(text);
  if (st == KN_OK) st = ir_infer_graph(back);
  if (st != KN_OK) {
    ir_graph_free(back);
    return st;
  }
  ir_graph_free(*g);
  *g = back;
  return KN_OK;
}

/* Imports the model, then takes it through the text form or the ONNX writer
 * as the flags say: every engine path of a case runs that graph. */
static kn_status load_model(kn_ctx *kn, const char *model, unsigned flags, ir_graph **g) {
  KN_TRY(onnx_import_file(kn, model, g));
  kn_status st = KN_OK;
  if (flags & KT_VIA_TEXT) st = through_text(kn, g);
  if (st == KN_OK && (flags & KT_VIA_ONNX)) st = through_onnx(kn, g);
  if (st != KN_OK) {
    ir_graph_free(*g);
    *g = NULL;
  }
  return st;
}

/* Fails rep (a pass) when the case read an attribute without a schema default. */
static void check_schema_misses(long before, kt_case_report *rep) {
  int op = -1;
  const char *name = NULL;
  if (ir_attr_schema_misses(&op, &name) == before) return;
  char m[256];
  snprintf(m, sizeof m, "attribute %s of %s read without a default in ir/attr_schema.c", name ? name : "?",
           op >= 0 && op < IR_OP_COUNT ? ir_op_table[op].name : "?");
  fprintf(stderr, "%s\n", m);
  if (rep->result == KT_PASS) set(rep, KT_ERROR, m);
}

void kt_run_case(const char *dir, const kt_tolerance *tol, unsigned flags, kt_case_report *rep) {
  memset(rep, 0, sizeof *rep);
  rep->result = KT_PASS;
  const long misses = ir_attr_schema_misses(NULL, NULL);
  kn_ctx *kn = kn_ctx_new();
  char path[4096];
  snprintf(path, sizeof path, "%s/model.onnx", dir);
  ir_graph *g = NULL;
  kn_status st = load_model(kn, path, flags, &g);
  if (st != KN_OK) {
    set(rep, status_result(st), kn_errmsg(kn));
    kn_ctx_free(kn);
    return;
  }
  count_ops(g, rep->ops_imported);
  for (int s = 0; rep->result == KT_PASS; s++) {
    snprintf(path, sizeof path, "%s/test_data_set_%d", dir, s);
    if (!file_exists(path)) break;
    char model[4200];
    snprintf(model, sizeof model, "%s/model.onnx", dir);
    run_set(kn, g, path, tol, flags, model, rep);
    rep->data_sets++;
  }
  if (rep->result == KT_PASS && rep->data_sets == 0) set(rep, KT_ERROR, "no test_data_set_* folders");
  check_schema_misses(misses, rep);
  ir_graph_free(g);
  kn_ctx_free(kn);
}

static int cmp_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

char **kt_list_dir(const char *dir, const char *filter, int *n) {
  DIR *d = opendir(dir);
  *n = d ? 0 : -1;
  if (!d) return NULL;
  char **names = NULL;
  int cap = 0;
  for (struct dirent *de; (de = readdir(d));) {
    if (de->d_name[0] == '.' || (filter && !strstr(de->d_name, filter))) continue;
    if (*n == cap) {
      cap = cap ? cap * 2 : 64;
      names = realloc(names, sizeof *names * (size_t)cap);
    }
    names[(*n)++] = strdup(de->d_name);
  }
  closedir(d);
  if (*n > 1) qsort(names, (size_t)*n, sizeof *names, cmp_name);
  return names;
}
