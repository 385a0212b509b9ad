/* rt_pool.c: a fixed pthread pool for parallel loops. The calling thread takes
 * part in the work, so a pool of N threads starts N-1 workers; work is split
 * into one contiguous range per thread, which suits the even, regular loops
 * of compiled models better than work stealing would. */
#include "rt.h"
#include <pthread.h>
#include <stdlib.h>

struct rt_pool {
  int threads;
  pthread_t *workers;
  pthread_mutex_t mu;
  pthread_mutex_t owner; /* held by the one parallel loop the workers serve */
  pthread_cond_t start, done;
  uint64_t generation;
  int pending;
  int stop;
  rt_range_fn fn;
  void *ctx;
  int64_t n;
};

static void run_share(rt_pool *p, int idx) {
  int64_t chunk = (p->n + p->threads - 1) / p->threads;
  int64_t b = chunk * idx, e = b + chunk < p->n ? b + chunk : p->n;
  if (b < e) p->fn(p->ctx, b, e);
}

typedef struct worker_arg {
  rt_pool *p;
  int idx;
} worker_arg;

static void *worker(void *arg) {
  worker_arg wa = *(worker_arg *)arg;
  free(arg);
  rt_pool *p = wa.p;
  uint64_t seen = 0;
  pthread_mutex_lock(&p->mu);
  for (;;) {
    while (!p->stop && p->generation == seen) pthread_cond_wait(&p->start, &p->mu);
    if (p->stop) break;
    seen = p->generation;
    pthread_mutex_unlock(&p->mu);
    run_share(p, wa.idx);
    pthread_mutex_lock(&p->mu);
    if (--p->pending == 0) pthread_cond_signal(&p->done);
  }
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

rt_pool *rt_pool_create(int threads) {
  rt_pool *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  p->threads = threads < 1 ? 1 : threads;
  pthread_mutex_init(&p->mu, NULL);
  pthread_mutex_init(&p->owner, NULL);
  pthread_cond_init(&p->start, NULL);
  pthread_cond_init(&p->done, NULL);
  if (p->threads > 1) {
    p->workers = calloc((size_t)p->threads, sizeof *p->workers);
    if (!p->workers) {
      rt_pool_destroy(p);
      return NULL;
    }
    for (int i = 1; i < p->threads; i++) {
      worker_arg *wa = malloc(sizeof *wa);
      if (!wa || (wa->p = p, wa->idx = i, pthread_create(&p->workers[i], NULL, worker, wa)) != 0) {
        free(wa);
        p->threads = i; /* keep the workers that did start */
        break;
      }
    }
  }
  return p;
}

void rt_pool_destroy(rt_pool *p) {
  if (!p) return;
  pthread_mutex_lock(&p->mu);
  p->stop = 1;
  pthread_cond_broadcast(&p->start);
  pthread_mutex_unlock(&p->mu);
  for (int i = 1; p->workers && i < p->threads; i++) pthread_join(p->workers[i], NULL);
  free(p->workers);
  pthread_mutex_destroy(&p->mu);
  pthread_mutex_destroy(&p->owner);
  pthread_cond_destroy(&p->start);
  pthread_cond_destroy(&p->done);
  free(p);
}

int rt_pool_threads(const rt_pool *p) { return p ? p->threads : 1; }

void rt_parallel_for(rt_pool *p, int64_t n, rt_range_fn fn, void *ctx) {
  if (n <= 0) return;
  /* the workers serve one loop at a time: a loop of a concurrent run (or one
   * nested in a body) runs on its caller's thread */
  if (!p || p->threads <= 1 || n == 1 || pthread_mutex_trylock(&p->owner) != 0) {
    fn(ctx, 0, n);
    return;
  }
  pthread_mutex_lock(&p->mu);
  p->fn = fn;
  p->ctx = ctx;
  p->n = n;
  p->pending = p->threads - 1;
  p->generation++;
  pthread_cond_broadcast(&p->start);
  pthread_mutex_unlock(&p->mu);
  run_share(p, 0);
  pthread_mutex_lock(&p->mu);
  while (p->pending > 0) pthread_cond_wait(&p->done, &p->mu);
  pthread_mutex_unlock(&p->mu);
  pthread_mutex_unlock(&p->owner);
}

void *rt_workspace_alloc(size_t bytes) {
  void *q = NULL;
  return posix_memalign(&q, 64, bytes ? (bytes + 63) & ~(size_t)63 : 64) == 0 ? q : NULL;
}

void rt_workspace_free(void *q) { free(q); }
