/* rt.h: kiln's small runtime, the part a deployed (AOT) model links against.
 * It depends on nothing of kiln's and not on LLVM: a thread pool for parallel
 * loops and 64-byte aligned workspace allocation. */
#ifndef KILN_RT_H
#define KILN_RT_H

#include <stddef.h>
#include <stdint.h>

typedef struct rt_pool rt_pool;
/* Runs fn(ctx, begin, end) over [0, n) split into chunks across the threads. */
typedef void (*rt_range_fn)(void *ctx, int64_t begin, int64_t end);

rt_pool *rt_pool_create(int threads); /* threads <= 1: run inline */
void rt_pool_destroy(rt_pool *p);
int rt_pool_threads(const rt_pool *p);
void rt_parallel_for(rt_pool *p, int64_t n, rt_range_fn fn, void *ctx);

void *rt_workspace_alloc(size_t bytes); /* 64-byte aligned, NULL on failure */
void rt_workspace_free(void *p);

#endif
