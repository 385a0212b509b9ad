/* session.c: what run and bench share: load the model, read or synthesize
 * inputs (floats sin(i), integers 1 + i % 7, bools true: the recipe of
 * ../shared/vlmodels/ort_run.mjs, so runs are comparable), and prepare the
 * engine: the JIT compiles for the inputs' shapes; the reference executor runs
 * through a run plan (one workspace from the second run on). A shared
 * library built by `kiln compile --emit so` is loaded instead (runtime/loader/artifact.c). */
#include "cli.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static kn_status synthesize(kn_ctx *kn, const cli_common *o, const ir_graph *g, int idx, kn_tensor *t) {
  int rank;
  int64_t dims[KN_MAX_RANK];
  cli_input_shape(o, g, idx, &rank, dims);
  int dt = g->values[g->inputs[idx]].type.dtype;
  KN_TRY(kn_tensor_alloc(kn, t, dt, rank, dims));
  int64_t n = kn_tensor_numel(t);
  for (int64_t i = 0; i < n; i++) {
    double v = kn_dtype_is_float(dt) ? sin((double)i) : dt == KN_BOOL ? 1.0 : (double)(1 + i % 7);
    kn_tensor_set_f64(t, i, v);
  }
  return KN_OK;
}

static int64_t graph_macs(const ir_graph *g) {
  int64_t macs = 0;
  for (int32_t i = 0; i < g->nnodes; i++)
    if (!g->nodes[i].dead) macs += ir_node_macs(g, &g->nodes[i]);
  return macs;
}

/* The inputs from in_dir/input_K.pb, else synthesized (inputs with a default
 * keep it unless a file is given). */
static kn_status read_inputs(cli_session *s, const ir_graph *g, const char *in_dir) {
  char path[4096];
  kn_status st = KN_OK;
  for (int i = 0; st == KN_OK && i < g->ninputs; i++) {
    bool has_default = g->values[g->inputs[i]].constant != NULL;
    if (in_dir) {
      snprintf(path, sizeof path, "%s/input_%d.pb", in_dir, i);
      if (has_default && access(path, F_OK) != 0) continue; /* keep the model's default */
      st = onnx_read_tensor_file(s->kn, path, &s->ins[i], NULL);
    } else if (!has_default) {
      st = synthesize(s->kn, s->o, g, i, &s->ins[i]);
    }
  }
  return st;
}

/* An ahead-of-time built shared library: loading it is all the compiling. */
static int open_artifact(cli_session *s, kn_ctx *kn, const cli_common *o, const char *in_dir) {
  double t0 = kn_now_ms();
  cli_apply_limits(kn, o);
  kn_status st = kn_artifact_open(kn, o->model, o->threads, &s->aot);
  s->load_ms = kn_now_ms() - t0;
  const ir_graph *g = st == KN_OK ? kn_artifact_graph(s->aot) : NULL;
  if (st == KN_OK) {
    s->view = g;
    s->nin = g->ninputs;
    s->nout = g->noutputs;
    s->ins = calloc((size_t)s->nin + 1, sizeof *s->ins);
    s->outs = calloc((size_t)s->nout + 1, sizeof *s->outs);
    if (!s->ins || !s->outs) st = kn_fail(kn, KN_ENOMEM, "out of memory");
  }
  if (st == KN_OK) st = read_inputs(s, g, in_dir);
  if (st != KN_OK) {
    fprintf(stderr, "kiln: error: %s\n", kn_errmsg(kn)); /* the messages name the file */
    return EXIT_MODEL;
  }
  s->macs = kn_artifact_macs(s->aot);
  return EXIT_OK;
}

int cli_session_open(cli_session *s, kn_ctx *kn, const cli_common *o, const char *in_dir) {
  memset(s, 0, sizeof *s);
  s->kn = kn;
  s->o = o;
  double t0 = kn_now_ms();
  if (kn_is_artifact_path(o->model)) return open_artifact(s, kn, o, in_dir);
  int rc = cli_load(kn, o, &s->g);
  if (rc != EXIT_OK) return rc;
  s->load_ms = kn_now_ms() - t0;
  ir_graph *g = s->g;
  s->nodes_loaded = ir_graph_live_nodes(g);
  s->params = ir_graph_params(g);
  s->nin = g->ninputs;
  s->nout = g->noutputs;
  s->ins = calloc((size_t)s->nin + 1, sizeof *s->ins);
  s->outs = calloc((size_t)s->nout + 1, sizeof *s->outs);
  kn_status st = s->ins && s->outs ? KN_OK : kn_fail(kn, KN_ENOMEM, "out of memory");
  if (st == KN_OK) st = read_inputs(s, g, in_dir);
  /* the shapes everything is specialized to */
  int *ranks = calloc((size_t)s->nin + 1, sizeof *ranks);
  int64_t(*dims)[KN_MAX_RANK] = calloc((size_t)s->nin + 1, sizeof *dims);
  if (st == KN_OK && (!ranks || !dims)) st = kn_fail(kn, KN_ENOMEM, "out of memory");
  for (int i = 0; st == KN_OK && i < s->nin; i++) {
    const kn_tensor *t = s->ins[i].dtype != KN_UNDEF ? &s->ins[i] : g->values[g->inputs[i]].constant;
    ranks[i] = t ? t->rank : -1;
    if (t) memcpy(dims[i], t->dims, sizeof dims[i]);
  }
  t0 = kn_now_ms();
  if (st == KN_OK && !strcmp(o->engine, "jit")) {
    cg_options co = {.opt_level = o->opt_level, .cpu = o->cpu, .features = o->features, .dump_llvm = o->dump_llvm,
                     .dump_asm = o->dump_asm, .no_cache = o->no_cache, .cache_dir = o->cache_dir,
                     .cache_max = o->cache_max, .threads = o->threads, .passes = &o->passes,
                     .input_values = s->ins, .ninput_values = s->nin};
    st = cg_compile(kn, g, ranks, (const int64_t(*)[KN_MAX_RANK])dims, &co, &s->jit);
    s->g = NULL; /* owned by the compiled model (or freed on failure) */
    if (st == KN_OK) s->view = cg_model_graph(s->jit);
  } else if (st == KN_OK) {
    /* binding the shapes only re-infers types (for MACs); it does not change the graph */
    st = pass_bind_input_shapes(g, ranks, (const int64_t(*)[KN_MAX_RANK])dims);
    if (st == KN_OK && o->level_given) st = pm_run(g, &o->passes);
    if (st == KN_OK) st = ref_plan_new(kn, g, &s->plan);
    s->view = g;
  }
  s->compile_ms = kn_now_ms() - t0;
  free(ranks);
  free(dims);
  if (st != KN_OK) {
    fprintf(stderr, "kiln: error: %s: %s\n", o->model, kn_errmsg(kn));
    return EXIT_MODEL;
  }
  s->macs = graph_macs(s->view);
  return EXIT_OK;
}

kn_status cli_session_run(cli_session *s) {
  for (int i = 0; i < s->nout; i++) kn_tensor_free(&s->outs[i]);
  if (s->aot) return kn_artifact_run(s->aot, s->ins, s->nin, s->outs, s->nout);
  return s->jit ? cg_run(s->jit, s->ins, s->nin, s->outs, s->nout)
                : ref_plan_run(s->plan, s->ins, s->nin, s->outs, s->nout);
}

const char *cli_engine_name(const cli_session *s) { return s->aot ? "aot" : s->o->engine; }

void cli_report_engine(FILE *f, const cli_session *s) {
  if (s->aot)
    fprintf(f, "aot: a %s artifact, its typed entry point called through libffi\n", kn_artifact_target(s->aot));
  if (!s->jit) return;
  cg_stats st;
  cg_model_stats(s->jit, &st);
  if (st.whole_graph_ref) {
    fprintf(f, "jit: %s, so the whole graph runs on the reference executor\n", st.why_ref);
    return;
  }
  fprintf(f, "jit: specialize %.1f ms, lower %.1f ms, LLVM %.1f ms%s\n", st.specialize_ms, st.lower_ms, st.llvm_ms,
          st.cache_hit ? " (compile cache hit)" : "");
  fprintf(f, "jit: workspace %lld bytes (intermediates without reuse: %lld; %d views and %d in-place ops share buffers)\n",
          (long long)st.workspace_bytes, (long long)st.naive_bytes, st.view_nodes, st.inplace_nodes);
  fprintf(f, "jit: %d nodes after folding %d; %d compiled, %d on reference kernels%s", st.live_nodes,
          st.folded_nodes, st.lowered_nodes, st.fallback_nodes, st.fallback_nodes ? ":" : "");
  for (int k = 0; k < IR_OP_COUNT; k++)
    if (st.fallback_op[k]) fprintf(f, " %s", ir_op_table[k].name);
  fprintf(f, "\n");
}

void cli_session_close(cli_session *s) {
  for (int i = 0; s->ins && i < s->nin; i++) kn_tensor_free(&s->ins[i]);
  for (int i = 0; s->outs && i < s->nout; i++) kn_tensor_free(&s->outs[i]);
  free(s->ins);
  free(s->outs);
  ref_plan_free(s->plan);
  cg_model_free(s->jit);
  kn_artifact_close(s->aot);
  ir_graph_free(s->g);
  memset(s, 0, sizeof *s);
}
