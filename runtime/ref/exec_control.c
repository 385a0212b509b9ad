/* exec_control.c: If and Loop on the reference executor. Branches and loop
 * bodies run in child executors (ref_run_subgraph); loop scan outputs are
 * stacked along a new leading axis at the end. */
#include "ref.h"
#include <stdlib.h>
#include <string.h>

static ir_graph *graph_attr(ref_ctx *c, const char *name) {
  const ir_attr *a = ir_attr_get(c->node, name);
  return a && a->kind == IR_ATTR_GRAPH ? a->g : NULL;
}

static void move_out(ref_ctx *c, int k, kn_tensor *t) {
  ref_release_out(c, k);
  c->out[k] = *t;
  memset(t, 0, sizeof *t);
}

kn_status ref_exec_If(ref_ctx *c) {
  if (kn_tensor_numel(c->in[0]) != 1) return ref_fail(c, KN_ESHAPE, "condition must have one element");
  ir_graph *br = graph_attr(c, kn_tensor_get_i64(c->in[0], 0) ? "then_branch" : "else_branch");
  if (!br) return ref_fail(c, KN_EINVAL, "missing branch graph");
  kn_tensor *outs = calloc((size_t)c->nout + 1, sizeof *outs);
  if (!outs) return ref_fail(c, KN_ENOMEM, "out of memory");
  kn_status st = ref_run_subgraph(c, br, 0, NULL, c->nout, outs);
  for (int k = 0; k < c->nout; k++) {
    if (st == KN_OK) move_out(c, k, &outs[k]);
    kn_tensor_free(&outs[k]);
  }
  free(outs);
  return st;
}

typedef struct scan_acc {
  kn_tensor *items;
  int64_t n, cap;
} scan_acc;

static kn_status scan_push(ref_ctx *c, scan_acc *a, kn_tensor *t) {
  if (a->n == a->cap) {
    int64_t nc = a->cap ? a->cap * 2 : 16;
    kn_tensor *p = realloc(a->items, sizeof *p * (size_t)nc);
    if (!p) return ref_fail(c, KN_ENOMEM, "out of memory");
    a->items = p;
    a->cap = nc;
  }
  if (a->n > 0) {
    const kn_tensor *f = &a->items[0];
    bool same = f->rank == t->rank && f->dtype == t->dtype;
    for (int i = 0; same && i < t->rank; i++) same = f->dims[i] == t->dims[i];
    if (!same) return ref_fail(c, KN_ESHAPE, "scan output changes shape between iterations");
  }
  a->items[a->n++] = *t;
  memset(t, 0, sizeof *t);
  return KN_OK;
}

static kn_status scan_stack(ref_ctx *c, int k, scan_acc *a, const ir_type *static_type) {
  int64_t dims[KN_MAX_RANK];
  int rank;
  int dtype;
  if (a->n == 0) {
    rank = static_type->rank >= 0 ? static_type->rank + 1 : 1;
    if (rank > KN_MAX_RANK) return ref_fail(c, KN_ESHAPE, "scan output rank too large");
    dtype = static_type->dtype;
    dims[0] = 0;
    for (int i = 1; i < rank; i++) dims[i] = static_type->dims[i - 1] > 0 ? static_type->dims[i - 1] : 0;
  } else {
    const kn_tensor *f = &a->items[0];
    rank = f->rank + 1;
    if (rank > KN_MAX_RANK) return ref_fail(c, KN_ESHAPE, "scan output rank too large");
    dtype = f->dtype;
    dims[0] = a->n;
    for (int i = 0; i < f->rank; i++) dims[i + 1] = f->dims[i];
  }
  KN_TRY(ref_alloc_out(c, k, dtype, rank, dims));
  char *dst = c->out[k].data;
  for (int64_t i = 0; i < a->n; i++) {
    memcpy(dst, a->items[i].data, (size_t)a->items[i].nbytes);
    dst += a->items[i].nbytes;
  }
  return KN_OK;
}

kn_status ref_exec_Loop(ref_ctx *c) {
  ir_graph *body = graph_attr(c, "body");
  if (!body) return ref_fail(c, KN_EINVAL, "missing body graph");
  int ncarried = c->nin - 2, nscan = c->nout - ncarried, nbout = 1 + ncarried + nscan;
  int64_t max_trip = c->in[0] ? kn_tensor_get_i64(c->in[0], 0) : INT64_MAX;
  bool cond = c->in[1] ? kn_tensor_get_i64(c->in[1], 0) != 0 : true;
  kn_tensor iter, condt;
  kn_status st = kn_tensor_alloc(c->kn, &iter, KN_I64, 0, NULL);
  if (st != KN_OK) return st;
  st = kn_tensor_alloc(c->kn, &condt, KN_BOOL, 0, NULL);
  kn_tensor *cur = calloc((size_t)ncarried + 1, sizeof *cur), *outs = calloc((size_t)nbout + 1, sizeof *outs);
  const kn_tensor **ins = calloc((size_t)ncarried + 3, sizeof *ins);
  scan_acc *acc = calloc((size_t)nscan + 1, sizeof *acc);
  if (st == KN_OK && (!cur || !outs || !ins || !acc)) st = ref_fail(c, KN_ENOMEM, "out of memory");
  for (int i = 0; st == KN_OK && i < ncarried; i++) st = kn_tensor_clone(c->kn, &cur[i], c->in[2 + i]);
  uint64_t held = 0; /* bytes of the scan outputs gathered so far */
  for (int64_t it = 0; st == KN_OK && it < max_trip && cond; it++) {
    if (it >= c->kn->max_loop_iters) {
      st = ref_fail(c, KN_ELIMIT, "the loop ran %lld iterations, the limit (--max-loop-iters)", (long long)it);
      break;
    }
    *(int64_t *)iter.data = it;
    *(uint8_t *)condt.data = 1;
    ins[0] = &iter;
    ins[1] = &condt;
    for (int i = 0; i < ncarried; i++) ins[2 + i] = &cur[i];
    st = ref_run_subgraph(c, body, 2 + ncarried, ins, nbout, outs);
    if (st != KN_OK) break;
    cond = kn_tensor_numel(&outs[0]) > 0 && kn_tensor_get_i64(&outs[0], 0) != 0;
    kn_tensor_free(&outs[0]);
    for (int i = 0; i < ncarried; i++) {
      kn_tensor_free(&cur[i]);
      cur[i] = outs[1 + i];
      memset(&outs[1 + i], 0, sizeof outs[1 + i]);
    }
    for (int j = 0; st == KN_OK && j < nscan; j++) {
      held += (uint64_t)outs[1 + ncarried + j].nbytes;
      if (held > c->kn->mem_limit)
        st = ref_fail(c, KN_ELIMIT, "the loop's scan outputs take %llu bytes after %lld iterations, more than the "
                      "memory limit (%llu, --mem-limit)", (unsigned long long)held, (long long)it + 1,
                      (unsigned long long)c->kn->mem_limit);
      else st = scan_push(c, &acc[j], &outs[1 + ncarried + j]);
    }
    for (int k = 0; k < nbout; k++) kn_tensor_free(&outs[k]);
  }
  for (int i = 0; st == KN_OK && i < ncarried; i++) move_out(c, i, &cur[i]);
  for (int j = 0; st == KN_OK && j < nscan; j++)
    st = scan_stack(c, ncarried + j, &acc[j], &body->values[body->outputs[1 + ncarried + j]].type);
  for (int j = 0; acc && j < nscan; j++) {
    for (int64_t i = 0; i < acc[j].n; i++) kn_tensor_free(&acc[j].items[i]);
    free(acc[j].items);
  }
  for (int i = 0; cur && i < ncarried; i++) kn_tensor_free(&cur[i]);
  kn_tensor_free(&iter);
  kn_tensor_free(&condt);
  free(cur), free(outs), free(ins), free(acc);
  return st;
}
