/* plan.c: run plans for the reference executor: one workspace per plan.
 * The first run with a set of input shapes records each intermediate's size;
 * lifetimes come from the graph (producer index to last reader, subgraph
 * captures included, graph outputs to the end). Intermediates are then packed
 * by ir_pack_buffers and the workspace is allocated once. */
#include "plan.h"
#include <stdlib.h>
#include <string.h>

static void capture_uses(ref_plan *p, const ir_graph *sub, int32_t node) {
  for (int32_t v = 0; v < sub->nvalues; v++) {
    if (!sub->values[v].is_outer) continue;
    ir_id pv = ir_value_find(p->g, sub->values[v].name);
    if (pv != IR_NONE && p->last_use[pv] < node) p->last_use[pv] = node;
  }
  for (int32_t i = 0; i < sub->nnodes; i++)
    for (int32_t a = 0; a < sub->nodes[i].nattr; a++)
      if (sub->nodes[i].attrs[a].kind == IR_ATTR_GRAPH) capture_uses(p, sub->nodes[i].attrs[a].g, node);
}

kn_status ref_plan_new(kn_ctx *kn, ir_graph *g, ref_plan **out) {
  *out = NULL;
  ref_plan *p = calloc(1, sizeof *p);
  size_t n = (size_t)g->nvalues + 1;
  if (p) {
    p->size = malloc(n * sizeof *p->size);
    p->offset = malloc(n * sizeof *p->offset);
    p->last_use = malloc(n * sizeof *p->last_use);
  }
  if (!p || !p->size || !p->offset || !p->last_use) {
    ref_plan_free(p);
    return kn_fail(kn, KN_ENOMEM, "out of memory creating a run plan");
  }
  p->kn = kn;
  p->g = g;
  for (int32_t v = 0; v < g->nvalues; v++) {
    p->size[v] = -1;
    p->offset[v] = -1;
    p->last_use[v] = g->values[v].producer;
  }
  for (int32_t i = 0; i < g->nnodes; i++) {
    const ir_node *nd = &g->nodes[i];
    if (nd->dead) continue;
    for (int k = 0; k < nd->nin; k++)
      if (nd->in[k] != IR_NONE && p->last_use[nd->in[k]] < i) p->last_use[nd->in[k]] = i;
    for (int32_t a = 0; a < nd->nattr; a++)
      if (nd->attrs[a].kind == IR_ATTR_GRAPH) capture_uses(p, nd->attrs[a].g, i);
  }
  for (int32_t i = 0; i < g->noutputs; i++) p->last_use[g->outputs[i]] = g->nnodes;
  *out = p;
  return KN_OK;
}

void ref_plan_free(ref_plan *p) {
  if (!p) return;
  free(p->size);
  free(p->offset);
  free(p->last_use);
  free(p->sig);
  kn_aligned_free(p->ws);
  free(p);
}

void ref_plan_get_stats(const ref_plan *p, ref_plan_stats *st) {
  st->workspace_bytes = p->ws_bytes;
  st->naive_bytes = p->naive_bytes;
  st->planned_values = p->planned_values;
  st->heap_fallbacks = p->heap_fallbacks;
  st->runs = p->runs;
}

static bool same_signature(const ref_plan *p, const kn_tensor *in, int n) {
  if (!p->sig || p->ninputs != n) return false;
  for (int i = 0; i < n; i++) {
    if (p->sig[i].dtype != in[i].dtype || p->sig[i].rank != in[i].rank) return false;
    for (int d = 0; d < in[i].rank; d++)
      if (p->sig[i].dims[d] != in[i].dims[d]) return false;
  }
  return true;
}

/* Lays out the recorded intermediates; returns the workspace size or -1 on OOM. */
static int64_t assign_offsets(ref_plan *p) {
  ir_graph *g = p->g;
  int32_t *begin = malloc(sizeof(int32_t) * ((size_t)g->nvalues + 1));
  int64_t *size = malloc(sizeof(int64_t) * ((size_t)g->nvalues + 1));
  if (!begin || !size) {
    free(begin), free(size);
    return -1;
  }
  p->naive_bytes = 0;
  p->planned_values = 0;
  for (int32_t v = 0; v < g->nvalues; v++) {
    bool planned = p->size[v] > 0 && g->values[v].producer != IR_NONE;
    size[v] = planned ? p->size[v] : 0;
    begin[v] = g->values[v].producer;
    if (planned) {
      p->naive_bytes += (p->size[v] + 63) & ~(int64_t)63;
      p->planned_values++;
    }
  }
  int64_t total = ir_pack_buffers(g->nvalues, size, begin, p->last_use, p->offset);
  free(begin);
  free(size);
  return total;
}

kn_status ref_plan_run(ref_plan *p, const kn_tensor *inputs, int ninputs, kn_tensor *outputs, int noutputs) {
  if (p->ready && same_signature(p, inputs, ninputs)) {
    p->heap_fallbacks = 0;
    kn_status st = ref_exec_run(p->kn, p->g, p, inputs, ninputs, outputs, noutputs);
    p->runs += st == KN_OK;
    return st;
  }
  /* (re)plan: record sizes with per-tensor allocation, then lay out the workspace */
  p->ready = false;
  kn_aligned_free(p->ws);
  p->ws = NULL;
  p->ws_bytes = 0;
  for (int32_t v = 0; v < p->g->nvalues; v++) p->size[v] = -1;
  kn_status st = ref_exec_run(p->kn, p->g, p, inputs, ninputs, outputs, noutputs);
  if (st != KN_OK) return st;
  p->runs++;
  int64_t total = assign_offsets(p);
  if (total < 0) return kn_fail(p->kn, KN_ENOMEM, "out of memory planning the workspace");
  if ((uint64_t)total > p->kn->mem_limit)
    return kn_fail(p->kn, KN_ELIMIT, "workspace of %lld bytes exceeds the memory limit", (long long)total);
  p->ws = kn_aligned_alloc((size_t)total);
  if (!p->ws) return kn_fail(p->kn, KN_ENOMEM, "out of memory allocating a %lld-byte workspace", (long long)total);
  p->ws_bytes = total;
  free(p->sig);
  p->sig = calloc((size_t)ninputs + 1, sizeof *p->sig);
  if (!p->sig) return kn_fail(p->kn, KN_ENOMEM, "out of memory");
  for (int i = 0; i < ninputs; i++) {
    p->sig[i] = inputs[i];
    p->sig[i].data = NULL;
  }
  p->ninputs = ninputs;
  p->ready = true;
  return KN_OK;
}
