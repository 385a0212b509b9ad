/* rt.h: kiln's small runtime, the part a deployed (AOT) model links against.
 * It depends on nothing of kiln's and not on LLVM: a thread pool for parallel
 * loops, 64-byte aligned workspace allocation, and the streaming form of
 * kiln_rt_hash (kiln compile, the runtime and kiln's loader hash weights and
 * libraries that are not one contiguous buffer). */
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

/* kiln_rt_hash fed in pieces: feeding a buffer in any split gives the hash of
 * the whole (64-bit FNV-1a over 8-byte little-endian words, then the bytes). */
typedef struct rt_hasher {
  uint64_t h;
  unsigned char buf[8];
  int nbuf;
} rt_hasher;
void rt_hash_init(rt_hasher *s);
void rt_hash_feed(rt_hasher *s, const void *data, size_t bytes);
void rt_hash_zeros(rt_hasher *s, uint64_t bytes);
uint64_t rt_hash_end(const rt_hasher *s);

#endif
