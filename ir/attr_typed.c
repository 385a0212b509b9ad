/* attr_typed.c: the typed attribute getters whose default is ONNX's for the
 * node's op, taken from the attribute schema (attr_schema.c), so no call
 * site repeats a default. A read that finds neither the attribute nor a
 * default in the schema is a bug in the schema or the caller: it gives
 * 0 / 0.0 / "" and is counted (ir_attr_schema_misses), and the runners fail
 * a run that counted any. */
#include "ir.h"
#include <stdatomic.h>

static atomic_long misses;
static atomic_int miss_op = -1;
static _Atomic(const char *) miss_name;

/* The schema's default row for name at n's op, of a kind convertible to
 * `want` (an INT and a FLOAT convert, as the untyped getters do). */
static const ir_attr_schema *default_row(const ir_node *n, const char *name, ir_attr_kind want) {
  const ir_attr_schema *r = ir_attr_schema_find((int)n->op, name, 0);
  if (r && r->has_default) {
    bool num = want == IR_ATTR_INT || want == IR_ATTR_FLOAT;
    if (r->kind == want || (num && (r->kind == IR_ATTR_INT || r->kind == IR_ATTR_FLOAT))) return r;
  }
  if (atomic_fetch_add(&misses, 1) == 0) {
    atomic_store(&miss_name, name);
    atomic_store(&miss_op, (int)n->op);
  }
  return NULL;
}

static bool is_number(const ir_attr *a) { return a && (a->kind == IR_ATTR_INT || a->kind == IR_ATTR_FLOAT); }

int64_t ir_attr_i(const ir_node *n, const char *name) {
  if (is_number(ir_attr_get(n, name))) return ir_attr_int(n, name, 0);
  const ir_attr_schema *r = default_row(n, name, IR_ATTR_INT);
  return !r ? 0 : r->kind == IR_ATTR_INT ? r->i : (int64_t)r->f;
}

float ir_attr_f(const ir_node *n, const char *name) {
  if (is_number(ir_attr_get(n, name))) return ir_attr_float(n, name, 0.0f);
  const ir_attr_schema *r = default_row(n, name, IR_ATTR_FLOAT);
  return !r ? 0.0f : r->kind == IR_ATTR_FLOAT ? r->f : (float)r->i;
}

const char *ir_attr_s(const ir_node *n, const char *name) {
  const ir_attr *a = ir_attr_get(n, name);
  if (a && a->kind == IR_ATTR_STRING) return a->s;
  const ir_attr_schema *r = default_row(n, name, IR_ATTR_STRING);
  return r ? r->s : "";
}

long ir_attr_schema_misses(int *op, const char **name) {
  long k = atomic_load(&misses);
  if (op) *op = atomic_load(&miss_op);
  if (name) *name = atomic_load(&miss_name);
  return k;
}
