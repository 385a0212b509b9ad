/* context.c: the error/limit context. Errors are formatted once, here, so every
 * failure path in kiln is `return kn_fail(ctx, KN_E..., "...")`. */
#include "ir.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

kn_ctx *kn_ctx_new(void) {
  kn_ctx *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->mem_limit = (uint64_t)8 << 30;
  c->max_loop_iters = KN_DEFAULT_MAX_LOOP_ITERS;
  return c;
}

void kn_ctx_free(kn_ctx *ctx) {
  free(ctx);
}
const char *kn_errmsg(const kn_ctx *ctx) { return ctx ? ctx->msg : "no context"; }
kn_status kn_last_status(const kn_ctx *ctx) { return ctx ? ctx->status : KN_EINVAL; }
void kn_set_mem_limit(kn_ctx *ctx, uint64_t bytes) { ctx->mem_limit = bytes; }
void kn_set_verbose(kn_ctx *ctx, int level) { ctx->verbose = level; }

kn_status kn_fail(kn_ctx *ctx, kn_status st, const char *fmt, ...) {
  if (!ctx) return st;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(ctx->msg, sizeof ctx->msg, fmt, ap);
  va_end(ap);
  ctx->status = st;
  return st;
}

kn_status ir_node_failv(kn_ctx *ctx, const ir_node *n, kn_status st, const char *fmt, va_list ap) {
  char buf[1536];
  vsnprintf(buf, sizeof buf, fmt, ap);
  return kn_fail(ctx, st, "node %s (%s): %s", n->name ? n->name : "?", ir_op_table[n->op].name, buf);
}

kn_status ir_node_fail(kn_ctx *ctx, const ir_node *n, kn_status st, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  kn_status r = ir_node_failv(ctx, n, st, fmt, ap);
  va_end(ap);
  return r;
}

void kn_prefix(kn_ctx *ctx, const char *fmt, ...) {
  if (!ctx) return;
  char pre[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(pre, sizeof pre, fmt, ap);
  va_end(ap);
  size_t np = strlen(pre), cap = sizeof ctx->msg;
  if (np >= cap) np = cap - 1;
  size_t nold = strnlen(ctx->msg, cap - 1);
  if (np + nold >= cap) nold = cap - 1 - np; /* keep the tail's start, drop its end */
  memmove(ctx->msg + np, ctx->msg, nold);
  memcpy(ctx->msg, pre, np);
  ctx->msg[np + nold] = 0;
}

const char *kn_status_name(kn_status s) {
  static const char *names[] = {"ok",          "invalid",  "parse error",  "unsupported",
                                "shape error", "type error", "out of memory", "limit exceeded",
                                "I/O error",   "internal error"};
  return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "unknown";
}

double kn_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}
