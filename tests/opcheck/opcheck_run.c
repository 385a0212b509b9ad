/* opcheck_run.c: the harness's runner (see opcheck.h). A batch of cases
 * becomes one text-IR graph, parsed twice: the reference executor runs one
 * copy, the JIT compiles the other and runs it twice. Every output is
 * compared and charged to the case whose prefix it carries. When a batch
 * cannot be parsed, run or compiled as a whole, it is split in halves down
 * to the case that fails, so every failure names one case; a mismatch is
 * also re-run alone to tell a per-op bug from one that needs other nodes
 * next to it (memory planning, functions shared by name). */
#include "cg.h"
#include "ir_text.h"
#include "opcheck.h"
#include "ref.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ===== running ===== */
typedef enum oc_outcome { OC_PASS, OC_MISMATCH, OC_JIT_FAIL, OC_REF_FAIL, OC_BAD_CASE } oc_outcome;
static const char *outcome_name(oc_outcome o) {
  static const char *const n[] = {"pass", "MISMATCH", "JIT FAILURE", "REFERENCE FAILURE", "BAD CASE"};
  return n[o];
}

typedef struct case_state {
  oc_outcome outcome;
  char msg[1024];
  bool batch_only; /* mismatched in a batch but not alone */
  bool ops[IR_OP_COUNT];
} case_state;

typedef struct run_ctx {
  const oc_options *o;
  oc_suite *s;
  case_state *st; /* by case id */
  oc_result *r;
} run_ctx;

static ir_graph *parse(kn_ctx *kn, const char *text) {
  ir_graph *g = NULL;
  if (ir_parse(kn, text, "opcheck.kir", &g) != KN_OK) return NULL;
  if (ir_infer_graph(g) != KN_OK) {
    ir_graph_free(g);
    return NULL;
  }
  return g;
}

static void free_tensors(kn_tensor *t, int n) {
  for (int i = 0; t && i < n; i++) kn_tensor_free(&t[i]);
  free(t);
}

static void set_all(run_ctx *x, oc_case *const *cases, int n, oc_outcome oc, const char *what, kn_ctx *kn) {
  for (int i = 0; i < n; i++) {
    case_state *cs = &x->st[cases[i]->id];
    cs->outcome = oc;
    if (kn)
      snprintf(cs->msg, sizeof cs->msg, "%s: %s", what, kn_errmsg(kn));
    else
      snprintf(cs->msg, sizeof cs->msg, "%s", what);
  }
}

static void run_batch(run_ctx *x, oc_case *const *cases, int n, bool recheck);

/* Runs the two halves of a batch that failed as a whole, down to the case
 * that failed it (a few compiles, where one per case would be many). */
static void split(run_ctx *x, oc_case *const *cases, int n) {
  run_batch(x, cases, n / 2, true);
  run_batch(x, cases + n / 2, n - n / 2, true);
}

/* ===== watching the JIT =====
 * tests/CMakeLists.txt links this test with -Wl,--wrap= for three functions:
 * - ref_eval_node: the JIT's fallback (codegen/engine.c) runs a node on its
 *   reference kernel through it, so while compiled code runs, the wrapper
 *   sees every node that did not become generated code, and the report can
 *   tell the two apart node by node (cg_stats only says which op types fell
 *   back somewhere);
 * - kn_aligned_alloc (which promises no zeros): every buffer it returns,
 *   the JIT's workspace and scratch among them, starts as 0xff bytes (NaN,
 *   -1), so code that reads memory it never wrote shows up as a mismatch;
 * - kn_tensor_alloc: cg_run allocates the graph's outputs first, zeroed;
 *   those (and only those: the count is armed right before cg_run) are
 *   filled with 0xff too, so an output element the compiled code does not
 *   write cannot pass for a zero the reference computed (an ahead-of-time
 *   caller's output buffers are not zeroed either). */
kn_status __real_ref_eval_node(kn_ctx *kn, ir_graph *g, const ir_node *nd, const kn_tensor *const *in, kn_tensor *out,
                               bool prealloc);
kn_status __wrap_ref_eval_node(kn_ctx *kn, ir_graph *g, const ir_node *nd, const kn_tensor *const *in, kn_tensor *out,
                               bool prealloc);
void *__real_kn_aligned_alloc(size_t bytes);
void *__wrap_kn_aligned_alloc(size_t bytes);
kn_status __real_kn_tensor_alloc(kn_ctx *ctx, kn_tensor *t, int dtype, int rank, const int64_t *dims);
kn_status __wrap_kn_tensor_alloc(kn_ctx *ctx, kn_tensor *t, int dtype, int rank, const int64_t *dims);

static const ir_graph *g_watched;
static bool *g_fell_back;    /* by node index of g_watched */
static int g_poison_outputs; /* the next this many kn_tensor_alloc calls are cg_run's outputs */

kn_status __wrap_ref_eval_node(kn_ctx *kn, ir_graph *g, const ir_node *nd, const kn_tensor *const *in, kn_tensor *out,
                               bool prealloc) {
  if (g == g_watched && nd >= g->nodes && nd < g->nodes + g->nnodes) g_fell_back[nd - g->nodes] = true;
  return __real_ref_eval_node(kn, g, nd, in, out, prealloc);
}

void *__wrap_kn_aligned_alloc(size_t bytes) {
  void *p = __real_kn_aligned_alloc(bytes);
  if (p) memset(p, 0xff, bytes);
  return p;
}

kn_status __wrap_kn_tensor_alloc(kn_ctx *ctx, kn_tensor *t, int dtype, int rank, const int64_t *dims) {
  kn_status st = __real_kn_tensor_alloc(ctx, t, dtype, rank, dims);
  if (g_poison_outputs > 0) {
    g_poison_outputs--;
    if (st == KN_OK && t->nbytes) memset(t->data, 0xff, (size_t)t->nbytes);
  }
  return st;
}

/* Runs the compiled model twice on the same inputs: both runs must succeed,
 * give the same bits, and leave the inputs as they were (the second run
 * starts from the first one's workspace, and would see a constant the first
 * one overwrote). Fills got[] from the first run and fell_back[]. */
static kn_status run_jit(kn_ctx *kn, cg_model *m, const kn_tensor *in, int nin, kn_tensor *got, int nout,
                         bool *fell_back, char *why, size_t cap) {
  const ir_graph *g = cg_model_graph(m);
  cg_stats stats;
  cg_model_stats(m, &stats);
  kn_tensor *saved = calloc((size_t)nin + 1, sizeof *saved), *again = calloc((size_t)nout + 1, sizeof *again);
  if (!saved || !again) abort();
  kn_status st = KN_OK;
  for (int i = 0; st == KN_OK && i < nin; i++) st = kn_tensor_clone(kn, &saved[i], &in[i]);
  for (int r = 0; st == KN_OK && r < 2; r++) {
    g_watched = g, g_fell_back = fell_back;
    g_poison_outputs = stats.whole_graph_ref ? 0 : nout;
    st = cg_run(m, in, nin, r ? again : got, nout);
    g_watched = NULL, g_fell_back = NULL, g_poison_outputs = 0;
    if (st != KN_OK) snprintf(why, cap, "the compiled code fails%s: %s", r ? " on its second run" : "", kn_errmsg(kn));
  }
  for (int i = 0; st == KN_OK && i < nin; i++)
    if (in[i].nbytes && memcmp(in[i].data, saved[i].data, (size_t)in[i].nbytes) != 0) {
      snprintf(why, cap, "the compiled code wrote into its input %s", g->values[g->inputs[i]].name);
      st = KN_EINTERNAL;
    }
  for (int k = 0; st == KN_OK && k < nout; k++)
    if (got[k].nbytes != again[k].nbytes ||
        (got[k].nbytes && memcmp(got[k].data, again[k].data, (size_t)got[k].nbytes) != 0)) {
      snprintf(why, cap, "a second run on the same inputs gives other bits in output %s",
               g->values[g->outputs[k]].name);
      st = KN_EINTERNAL;
    }
  free_tensors(saved, nin);
  free_tensors(again, nout);
  return st;
}

static int node_dtype(const ir_graph *g, const ir_node *nd) {
  for (int i = nd->op == IR_OP_Where ? 1 : 0; i < nd->nin; i++) /* Where: the values, not the condition */
    if (nd->in[i] != IR_NONE) return g->values[nd->in[i]].type.dtype;
  return nd->nout && nd->out[0] != IR_NONE ? g->values[nd->out[0]].type.dtype : 0;
}

/* Records which ops of g belong to which case (and, for the compiled graph,
 * how each node ran: fell_back[i] from the wrapper above). */
static void note_ops(run_ctx *x, const ir_graph *g, bool compiled, const cg_stats *stats, const bool *fell_back) {
  for (int32_t i = 0; i < g->nnodes; i++) {
    const ir_node *nd = &g->nodes[i];
    if (nd->dead) continue;
    int id = -1;
    for (int k = 0; id < 0 && k < nd->nout; k++)
      if (nd->out[k] != IR_NONE) id = oc_case_of(g->values[nd->out[k]].name, NULL);
    if (id < 0 || id >= x->s->n) continue;
    x->st[id].ops[nd->op] = true;
    if (!compiled) continue;
    oc_op_cov *cv = &x->r->cov[nd->op];
    uint32_t bit = 1u << (node_dtype(g, nd) & 31);
    if (stats->whole_graph_ref)
      cv->ref_plan = true;
    else if (fell_back[i])
      cv->fallback = true, cv->fallback_dtypes |= bit;
    else
      cv->lowered = true, cv->lowered_dtypes |= bit;
  }
}

static void run_batch(run_ctx *x, oc_case *const *cases, int n, bool recheck) {
  const oc_options *o = x->o;
  kn_ctx *kn = kn_ctx_new();
  char *text = oc_compose(cases, n);
  ir_graph *gr = parse(kn, text), *gj = gr ? parse(kn, text) : NULL;
  kn_tensor *in = NULL, *want = NULL, *got = NULL;
  cg_model *m = NULL;
  int nin = 0, nout = 0;
  x->r->batches++;
  if (!gr || !gj) {
    if (n > 1)
      split(x, cases, n);
    else
      set_all(x, cases, n, OC_BAD_CASE, "the case does not parse", kn);
    goto done;
  }
  nin = gr->ninputs, nout = gr->noutputs;
  in = calloc((size_t)nin + 1, sizeof *in);
  want = calloc((size_t)nout + 1, sizeof *want);
  got = calloc((size_t)nout + 1, sizeof *got);
  if (!in || !want || !got) abort();
  for (int i = 0; i < nin; i++) {
    const ir_value *v = &gr->values[gr->inputs[i]];
    const char *rest = NULL;
    int id = oc_case_of(v->name, &rest);
    if (id < 0 || !ir_type_is_concrete(&v->type) ||
        kn_tensor_alloc(kn, &in[i], v->type.dtype, v->type.rank, v->type.dims) != KN_OK) {
      if (n > 1)
        split(x, cases, n);
      else
        set_all(x, cases, n, OC_BAD_CASE, "an input has no concrete type", kn);
      goto done;
    }
    oc_fill_input(&in[i], &x->s->cases[id], rest, o->seed);
  }
  note_ops(x, gr, false, NULL, NULL);
  if (ref_run_graph(kn, gr, in, nin, want, nout) != KN_OK) {
    if (n > 1)
      split(x, cases, n);
    else
      set_all(x, cases, n, OC_REF_FAIL, "the reference executor fails", kn);
    goto done;
  }
  int ranks[256];
  int64_t(*dims)[KN_MAX_RANK] = calloc((size_t)nin + 1, sizeof *dims);
  int *rk = nin <= 256 ? ranks : malloc(sizeof(int) * (size_t)nin);
  for (int i = 0; i < nin; i++) {
    rk[i] = in[i].rank;
    memcpy(dims[i], in[i].dims, sizeof dims[i]);
  }
  pm_options pm = {.pipeline = cases[0]->pipeline ? cases[0]->pipeline : "", .verify_each = true, .nchwc_all = true};
  int threads = o->threads > 0 ? o->threads : cases[0]->threads > 0 ? cases[0]->threads : 1;
  cg_options co = {.opt_level = o->llvm_level, .no_cache = true, .threads = threads, .passes = &pm, .cpu = o->cpu};
  kn_status cs = cg_compile(kn, gj, rk, (const int64_t(*)[KN_MAX_RANK])dims, &co, &m);
  gj = NULL; /* cg_compile owns it now */
  free(dims);
  if (rk != ranks) free(rk);
  bool *fell_back = NULL;
  char why[600] = "";
  if (cs == KN_OK) {
    fell_back = calloc((size_t)cg_model_graph(m)->nnodes + 1, sizeof *fell_back);
    if (!fell_back) abort();
    cs = run_jit(kn, m, in, nin, got, nout, fell_back, why, sizeof why);
  } else
    snprintf(why, sizeof why, "the JIT cannot compile the case: %s", kn_errmsg(kn));
  if (cs != KN_OK) {
    free(fell_back);
    if (n > 1)
      split(x, cases, n);
    else
      set_all(x, cases, n, OC_JIT_FAIL, why, NULL);
    goto done;
  }
  cg_stats stats;
  cg_model_stats(m, &stats);
  if (stats.whole_graph_ref && n > 1) { /* a dynamic case slipped into a batch: run them alone */
    free(fell_back);
    split(x, cases, n);
    goto done;
  }
  note_ops(x, cg_model_graph(m), true, &stats, fell_back);
  free(fell_back);
  for (int i = 0; i < n; i++) x->st[cases[i]->id].outcome = OC_PASS;
  for (int k = 0; k < nout; k++) {
    int id = oc_case_of(gr->values[gr->outputs[k]].name, NULL);
    if (id < 0 || id >= x->s->n) continue;
    case_state *st = &x->st[id];
    const oc_case *c = &x->s->cases[id];
    double tol = c->tol > 0 ? c->tol : oc_dtype_tol(want[k].dtype);
    if (st->outcome == OC_PASS && !oc_compare(&got[k], &want[k], tol, why, sizeof why)) {
      st->outcome = OC_MISMATCH;
      snprintf(st->msg, sizeof st->msg, "output %s: %s", gr->values[gr->outputs[k]].name, why);
    }
  }
  if (recheck && n > 1) /* a mismatch alone too, or only next to other cases? */
    for (int i = 0; i < n; i++) {
      case_state *st = &x->st[cases[i]->id];
      if (st->outcome != OC_MISMATCH) continue;
      case_state saved = *st;
      run_batch(x, &cases[i], 1, false);
      if (st->outcome == OC_PASS) {
        *st = saved;
        st->batch_only = true;
      }
    }
done:
  if (m)
    cg_model_free(m);
  else if (gj)
    ir_graph_free(gj);
  if (gr) ir_graph_free(gr);
  free_tensors(in, nin);
  free_tensors(want, nout);
  free_tensors(got, nout);
  free(text);
  kn_ctx_free(kn);
}

/* The case's text without the '@' markers (reproducible as it stands). */
static void print_case(const oc_case *c) {
  char *text = oc_case_text(c);
  fprintf(stderr, "    graph t {\n");
  for (char *line = text; line && *line;) {
    char *e = strchr(line, '\n');
    if (e) *e = 0;
    while (*line == ' ') line++;
    if (*line) fprintf(stderr, "      %s\n", line);
    line = e ? e + 1 : NULL;
  }
  fprintf(stderr, "    }\n");
  free(text);
}

static const oc_known *known_failure(const oc_options *o, const oc_case *c) {
  char *text = oc_case_text(c);
  const oc_known *k = NULL;
  for (int i = 0; !k && i < o->nknown; i++)
    if (strcmp(o->known[i].op, c->op) == 0 && strstr(text, o->known[i].text)) k = &o->known[i];
  free(text);
  return k;
}

void oc_run(oc_suite *s, const oc_options *o, oc_result *r) {
  memset(r, 0, sizeof *r);
  run_ctx x = {o, s, calloc((size_t)s->n + 1, sizeof(case_state)), r};
  oc_case **sel = calloc((size_t)s->n + 1, sizeof *sel);
  if (!x.st || !sel) abort();
  int nsel = 0;
  for (int i = 0; i < s->n; i++) {
    oc_case *c = &s->cases[i];
    if (o->only_op && strcmp(o->only_op, c->op) != 0) continue;
    if (o->only_case >= 0 && o->only_case != c->id) continue;
    sel[nsel++] = c;
    if (o->list) {
      char *text = oc_case_text(c);
      for (char *t = text; *t; t++)
        if (*t == '\n') *t = ' ';
      printf("%d %s: %s\n", c->id, c->op, text);
      free(text);
    }
  }
  if (o->list) nsel = 0;
  /* batches: consecutive selected cases with the same pipeline and threads */
  int batch = o->batch > 0 ? o->batch : 1;
  for (int i = 0; i < nsel;) {
    int j = i + 1;
    if (!sel[i]->solo)
      while (j < nsel && j - i < batch && !sel[j]->solo && sel[j]->threads == sel[i]->threads &&
             (sel[j]->pipeline == sel[i]->pipeline ||
              (sel[j]->pipeline && sel[i]->pipeline && strcmp(sel[j]->pipeline, sel[i]->pipeline) == 0)))
        j++;
    run_batch(&x, &sel[i], j - i, true);
    i = j;
  }
  for (int i = 0; i < nsel; i++) {
    const oc_case *c = sel[i];
    case_state *st = &x.st[c->id];
    r->cases++;
    const oc_known *k = known_failure(o, c);
    bool compared = st->outcome == OC_PASS || st->outcome == OC_MISMATCH;
    if (compared) {
      r->family_cases[c->family]++;
      for (int op = 0; op < IR_OP_COUNT; op++)
        if (st->ops[op]) r->cov[op].cases++;
      int op = ir_op_from_name(c->op);
      if (op >= 0) r->cov[op].family[c->family] = true;
    }
    if (st->outcome == OC_PASS) {
      r->passed++;
      if (k) {
        r->known_passed++;
        fprintf(stderr, "note: known failure of %s now passes (case %d; remove it from the table): %s\n", c->op, c->id,
                k->why);
      }
    } else if (k) {
      r->known_failed++;
      if (o->verbose) fprintf(stderr, "known failure: %s case %d: %s\n", c->op, c->id, st->msg);
    } else {
      r->failed++;
      int threads = o->threads > 0 ? o->threads : c->threads > 1 ? c->threads : 1;
      fprintf(stderr, "%s: %s, case %d (seed %llu%s%s, LLVM -O%d, %d thread%s): %s%s\n", outcome_name(st->outcome),
              c->op, c->id, (unsigned long long)o->seed, c->pipeline ? ", passes " : "", c->pipeline ? c->pipeline : "",
              o->llvm_level, threads, threads > 1 ? "s" : "", st->msg,
              st->batch_only ? " (only in a batch with other cases: passes alone)" : "");
      print_case(c);
      fprintf(stderr, "    rerun: test_codegen_ops --seed %llu --case %d\n", (unsigned long long)o->seed, c->id);
    }
    if (o->verbose && st->outcome == OC_PASS) {
      fprintf(stderr, "pass: %s case %d\n", c->op, c->id);
      if (o->only_case >= 0) print_case(c);
    }
  }
  free(sel);
  free(x.st);
}
