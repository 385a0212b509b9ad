/* buffer_pack.c: packs buffers with known sizes and lifetimes into one arena.
 * Largest first, each at the lowest 64-byte aligned offset that overlaps no
 * already placed buffer whose lifetime [begin, end] intersects its own (a
 * greedy interval packing; near-optimal on the chain-like lifetimes of
 * inference graphs). Shared by the executor's run plans and the compiler's
 * static workspace. */
#include "ir.h"
#include <stdlib.h>

typedef struct pack_item {
  int32_t idx;
  int64_t size, begin, end;
} pack_item;

static int by_size_desc(const void *a, const void *b) {
  const pack_item *x = a, *y = b;
  if (x->size != y->size) return x->size < y->size ? 1 : -1;
  return x->idx - y->idx;
}

static int by_offset(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

#define ALIGN64(x) (((x) + 63) & ~(int64_t)63)

int64_t ir_pack_buffers(int32_t n, const int64_t *size, const int32_t *begin, const int32_t *end, int64_t *offset) {
  pack_item *it = malloc(sizeof *it * ((size_t)n + 1));
  int64_t *busy = malloc(sizeof(int64_t) * 2 * ((size_t)n + 1));
  if (!it || !busy) {
    free(it), free(busy);
    return -1;
  }
  int32_t m = 0;
  for (int32_t i = 0; i < n; i++) {
    offset[i] = -1;
    if (size[i] > 0) it[m++] = (pack_item){i, ALIGN64(size[i]), begin[i], end[i]};
  }
  qsort(it, (size_t)m, sizeof *it, by_size_desc);
  int64_t total = 0;
  for (int32_t i = 0; i < m; i++) {
    int32_t nb = 0;
    for (int32_t j = 0; j < i; j++)
      if (it[j].begin <= it[i].end && it[i].begin <= it[j].end) {
        busy[2 * nb] = offset[it[j].idx];
        busy[2 * nb + 1] = offset[it[j].idx] + it[j].size;
        nb++;
      }
    qsort(busy, (size_t)nb, 2 * sizeof(int64_t), by_offset);
    int64_t off = 0;
    for (int32_t j = 0; j < nb; j++) {
      if (busy[2 * j] >= off + it[i].size) break; /* fits in the gap before this one */
      if (busy[2 * j + 1] > off) off = busy[2 * j + 1];
    }
    offset[it[i].idx] = off;
    if (off + it[i].size > total) total = off + it[i].size;
  }
  free(it);
  free(busy);
  return total;
}
