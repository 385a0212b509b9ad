/* arena.c: the bump allocator each graph owns for names, attributes and small
 * constants; everything is released at once when the graph dies. */
#include "ir.h"
#include <stdlib.h>
#include <string.h>

struct ir_arena_chunk {
  ir_arena_chunk *next;
  size_t used, cap;
  _Alignas(16) unsigned char data[];
};

void *ir_arena_alloc(ir_arena *a, size_t bytes) {
  bytes = (bytes + 15) & ~(size_t)15;
  if (bytes == 0) bytes = 16;
  ir_arena_chunk *c = a->head;
  if (!c || c->cap - c->used < bytes) {
    size_t cap = bytes > 65536 ? bytes : 65536;
    ir_arena_chunk *n = malloc(sizeof *n + cap);
    if (!n) return NULL;
    n->used = 0;
    n->cap = cap;
    if (c && bytes > 65536) { /* big block: keep the current chunk in front */
      n->next = c->next;
      c->next = n;
    } else {
      n->next = c;
      a->head = n;
    }
    c = n;
    a->total += cap;
  }
  void *p = c->data + c->used;
  c->used += bytes;
  memset(p, 0, bytes);
  return p;
}

char *ir_arena_strndup(ir_arena *a, const char *s, size_t n) {
  char *d = ir_arena_alloc(a, n + 1);
  if (!d) return NULL;
  if (n) memcpy(d, s, n); /* s may be NULL when n is 0 (an empty protobuf bytes field) */
  d[n] = 0;
  return d;
}

char *ir_arena_strdup(ir_arena *a, const char *s) { return ir_arena_strndup(a, s, strlen(s)); }

void ir_arena_free(ir_arena *a) {
  ir_arena_chunk *c = a->head;
  while (c) {
    ir_arena_chunk *n = c->next;
    free(c);
    c = n;
  }
  a->head = NULL;
  a->total = 0;
}
