/* test_codegen_threads.c: one compiled model run from 8 threads at once gives
 * outputs identical, bit for bit, to a serial run. Each run takes its own
 * workspace (codegen/jit_orc.c), the model's thread pool serves one parallel
 * loop at a time (runtime/rt_pool.c: a concurrent run's loops run on its own
 * thread) and a whole-graph reference plan takes turns. Covered: the tiny
 * CLIP ViT in models/ on one thread and with a 2-thread pool, and a graph
 * with a node on its reference kernel (the fallback reads the run's
 * workspace). The ThreadSanitizer build (tools/test.sh) runs this test too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "frontend.h"
#include "unit.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

enum { NTHREADS = 8, NRUNS = 6 };

typedef struct job {
  cg_model *m;
  const kn_tensor *in;
  int nin, nout;
  const kn_tensor *want; /* the serial outputs */
  int bad;               /* runs that failed or differed */
} job;

static void *worker(void *arg) {
  job *j = arg;
  for (int r = 0; r < NRUNS; r++) {
    kn_tensor out[8];
    if (cg_run(j->m, j->in, j->nin, out, j->nout) != KN_OK) {
      j->bad++;
      continue;
    }
    for (int k = 0; k < j->nout; k++) {
      if (out[k].nbytes != j->want[k].nbytes || memcmp(out[k].data, j->want[k].data, (size_t)out[k].nbytes) != 0)
        j->bad++;
      kn_tensor_free(&out[k]);
    }
  }
  return NULL;
}

/* Compiles g with `threads`, runs it serially, then from NTHREADS threads. */
static void run_concurrently(void **state, ir_graph *g, int threads, bool no_lower) {
  kn_ctx *kn = kt_kn(state);
  int nin = g->ninputs, nout = g->noutputs;
  assert_true(nout <= 8);
  kn_tensor *in = calloc((size_t)nin + 1, sizeof *in), want[8];
  kt_make_inputs(kn, g, &(kt_wave){.amp = 1, .freq = 0.37f, .phase = 0.5f}, in);
  cg_options o = {.opt_level = 2, .no_cache = true, .threads = threads, .no_lower = no_lower};
  cg_model *m = kt_jit_compile(kn, g, in, &o);
  kt_jit_run(kn, m, in, nin, want, nout);
  job jobs[NTHREADS];
  pthread_t t[NTHREADS];
  for (int i = 0; i < NTHREADS; i++) {
    jobs[i] = (job){m, in, nin, nout, want, 0};
    assert_int_equal(pthread_create(&t[i], NULL, worker, &jobs[i]), 0);
  }
  int bad = 0;
  for (int i = 0; i < NTHREADS; i++) {
    pthread_join(t[i], NULL);
    bad += jobs[i].bad;
  }
  assert_int_equal(bad, 0);
  cg_model_free(m);
  kt_free_tensors(want, nout);
  kt_free_tensors(in, nin);
  free(in);
}

static ir_graph *load_vit(kn_ctx *kn) {
  ir_graph *g = NULL;
  if (kn_load_graph(kn, "models/clip_vit_tiny.kir", &g) != KN_OK) fail_msg("%s", kn_errmsg(kn));
  return g;
}

static void test_vit_one_thread_each(void **state) { run_concurrently(state, load_vit(kt_kn(state)), 1, false); }

static void test_vit_with_a_pool(void **state) { run_concurrently(state, load_vit(kt_kn(state)), 2, false); }

static void test_reference_kernels_on_run_workspaces(void **state) {
  /* every node through kiln_fallback, in place on each run's workspace */
  static const char *const text = "graph t {\n"
                                  " input x: f32[8, 33]\n input y: f32[33, 5]\n"
                                  " a = Tanh(x)\n b = MatMul(a, y)\n c = Softmax(b) {axis=1}\n d = Add(c, c)\n"
                                  " output d\n"
                                  "}\n";
  run_concurrently(state, kt_parse(kt_kn(state), text), 1, true);
}

KT_MAIN(KT_TEST(test_vit_one_thread_each), KT_TEST(test_vit_with_a_pool),
        KT_TEST(test_reference_kernels_on_run_workspaces))
