/* test_runtime_pool.c: the runtime's thread pool covers every index exactly
 * once, for several thread counts and ranges (including fewer items than
 * threads), and runs inline with one thread. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "rt.h"
#include "unit.h"
#include <stdatomic.h>
#include <stdlib.h>

typedef struct hits {
  _Atomic int *count;
} hits;

static void mark(void *ctx, int64_t b, int64_t e) {
  hits *h = ctx;
  for (int64_t i = b; i < e; i++) atomic_fetch_add(&h->count[i], 1);
}

static void test_cover_once(void **state) {
  (void)state;
  int64_t sizes[] = {1, 2, 3, 7, 1000, 12345};
  for (int threads = 1; threads <= 4; threads++) {
    rt_pool *p = rt_pool_create(threads);
    assert_non_null(p);
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
      for (int rep = 0; rep < 3; rep++) {
        hits h = {calloc((size_t)sizes[s], sizeof(_Atomic int))};
        rt_parallel_for(p, sizes[s], mark, &h);
        for (int64_t i = 0; i < sizes[s]; i++) assert_int_equal(h.count[i], 1);
        free(h.count);
      }
    }
    rt_pool_destroy(p);
  }
}

static void test_workspace_alignment(void **state) {
  (void)state;
  void *w = rt_workspace_alloc(100);
  assert_non_null(w);
  assert_int_equal((uintptr_t)w % 64, 0);
  rt_workspace_free(w);
}

KT_MAIN(
    cmocka_unit_test(test_cover_once),
    cmocka_unit_test(test_workspace_alignment))
