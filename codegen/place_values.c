/* place_values.c: where every IR value of a compiled model lives. Constants
 * go in a table (consts[i]), graph inputs and outputs are passed by pointer
 * (io[k]), and every other value gets an offset in one static workspace,
 * packed by liveness (ir/mem_plan.c); nodes that ask for scratch share one
 * region after it. One file answers the three questions about a placement:
 * deciding it (cg_place_values, before lowering), the address a lowering
 * emits for a value (cg_value_ptr), and the address at run time, for the
 * fallback and the outputs that are not the code's own (cg_value_addr), so
 * that the compiled code and kiln's side cannot disagree. Constants a
 * lowering makes at compile time (packed weights) join the same table. */
#include "cg_internal.h"
#include <stdlib.h>
#include <string.h>

kn_status cg_place_values(cg_model *m) {
  ir_graph *g = m->g;
  int32_t n = g->nvalues;
  m->loc = calloc((size_t)n + 1, sizeof *m->loc);
  m->cap_consts = n + 1;
  m->consts = calloc((size_t)m->cap_consts, sizeof *m->consts);
  m->const_bytes = calloc((size_t)m->cap_consts, sizeof *m->const_bytes);
  m->const_used = calloc((size_t)m->cap_consts, sizeof *m->const_used);
  int64_t *size = calloc((size_t)n + 1, sizeof *size), *off = calloc((size_t)n + 1, sizeof *off);
  kn_status st = KN_OK;
  if (!m->loc || !m->consts || !m->const_bytes || !m->const_used || !size || !off)
    st = kn_fail(m->kn, KN_ENOMEM, "out of memory");
  for (int32_t i = 0; st == KN_OK && i < g->ninputs; i++) m->loc[g->inputs[i]] = (cg_loc){CG_LOC_INPUT, i, 0};
  for (int32_t i = 0; st == KN_OK && i < g->noutputs; i++) {
    ir_id v = g->outputs[i];
    if (m->loc[v].kind == CG_LOC_NONE && !g->values[v].constant) m->loc[v] = (cg_loc){CG_LOC_OUTPUT, i, 0};
  }
  for (int32_t v = 0; st == KN_OK && v < n; v++) {
    const ir_value *val = &g->values[v];
    if (m->loc[v].kind != CG_LOC_NONE) continue;
    if (val->constant) {
      m->consts[m->nconsts] = val->constant->data;
      m->const_bytes[m->nconsts] = val->constant->nbytes;
      m->loc[v] = (cg_loc){CG_LOC_CONST, m->nconsts++, 0};
    } else if (val->producer != IR_NONE && !g->nodes[val->producer].dead) {
      const ir_type *t = &val->type;
      size[v] = kn_dims_numel(t->rank, t->dims) * (int64_t)kn_dtype_size(t->dtype);
      m->loc[v].kind = CG_LOC_WS;
    }
  }
  if (st == KN_OK) {
    /* views share their input's bytes and elementwise ops overwrite dead
     * operands (ir/mem_plan.c); the lowerings rely on it only to skip copies */
    ir_mem_stats ms;
    int64_t total = ir_plan_memory(g, size, true, off, &ms);
    if (total < 0) st = kn_fail(m->kn, KN_ENOMEM, "out of memory planning the workspace");
    else if ((uint64_t)total > m->kn->mem_limit)
      st = kn_fail(m->kn, KN_ELIMIT, "the workspace of %lld bytes exceeds the memory limit", (long long)total);
    else {
      for (int32_t v = 0; v < n; v++)
        if (m->loc[v].kind == CG_LOC_WS) {
          if (off[v] < 0) m->loc[v].kind = CG_LOC_NONE; /* empty tensor */
          else m->loc[v].offset = off[v];
        }
      m->stats.workspace_bytes = total; /* allocated after lowering, with the scratch region */
      m->stats.naive_bytes = ms.naive_bytes;
      m->stats.inplace_nodes = ms.inplace;
      m->stats.view_nodes = ms.views;
    }
  }
  free(size), free(off);
  return st;
}

/* ---- in the generated code ---- */
LLVMValueRef cg_value_ptr(cg_ctx *c, ir_id v) {
  const cg_loc *l = &c->loc[v];
  switch (l->kind) {
  case CG_LOC_CONST:
    cg_note_const_use(c->model, l->index);
    return cg_load_slot(c, c->b, c->consts, l->index);
  case CG_LOC_INPUT: return cg_load_slot(c, c->b, c->io, l->index);
  case CG_LOC_OUTPUT: return cg_load_slot(c, c->b, c->io, c->g->ninputs + l->index);
  case CG_LOC_WS: return cg_gep(c->b, c->i8, c->ws, cg_i64(c, l->offset));
  default: return LLVMConstNull(c->ptr);
  }
}

int32_t cg_add_model_const(cg_model *m, const void *data, int64_t bytes) {
  if (m->nconsts == m->cap_consts) {
    int32_t cap = m->cap_consts * 2 + 16;
    const void **nc = realloc(m->consts, sizeof *nc * (size_t)cap);
    if (nc) m->consts = nc;
    int64_t *nb = realloc(m->const_bytes, sizeof *nb * (size_t)cap);
    if (nb) m->const_bytes = nb;
    bool *nu = realloc(m->const_used, sizeof *nu * (size_t)cap);
    if (nu) m->const_used = nu;
    if (!nc || !nb || !nu) return -1;
    m->cap_consts = cap;
  }
  int32_t idx = m->nconsts++;
  m->consts[idx] = data;
  m->const_bytes[idx] = bytes;
  m->const_used[idx] = true;
  return idx;
}

LLVMValueRef cg_add_const(cg_ctx *c, kn_tensor *t) {
  cg_model *m = c->model;
  void **no = realloc(m->owned, sizeof *no * (size_t)(m->nowned + 1));
  if (!no) return LLVMConstNull(c->ptr);
  m->owned = no;
  int32_t idx = cg_add_model_const(m, t->data, t->nbytes);
  if (idx < 0) return LLVMConstNull(c->ptr);
  m->owned[m->nowned++] = t->data;
  memset(t, 0, sizeof *t);
  return cg_load_slot(c, c->b, c->consts, idx);
}

void cg_note_const_use(cg_model *m, int32_t index) {
  if (index >= 0 && index < m->nconsts) m->const_used[index] = true;
}

LLVMValueRef cg_scratch(cg_ctx *c, int64_t bytes) {
  cg_model *m = c->model;
  if (bytes > m->scratch_bytes) m->scratch_bytes = bytes;
  return cg_gep(c->b, c->i8, c->ws, cg_i64(c, (m->stats.workspace_bytes + 63) & ~(int64_t)63));
}

/* ---- at run time ---- */
int64_t cg_workspace_bytes(const cg_model *m) {
  return ((m->stats.workspace_bytes + 63) & ~(int64_t)63) + m->scratch_bytes;
}

kn_status cg_alloc_workspace(cg_model *m) {
  int64_t total = cg_workspace_bytes(m);
  if ((uint64_t)total > m->kn->mem_limit)
    return kn_fail(m->kn, KN_ELIMIT, "the workspace of %lld bytes exceeds the memory limit", (long long)total);
  m->stats.workspace_bytes = total;
  m->ws = cg_workspace_new(m);
  if (!m->ws) return kn_fail(m->kn, KN_ENOMEM, "out of memory allocating a %lld-byte workspace", (long long)total);
  return KN_OK;
}

uint8_t *cg_workspace_new(const cg_model *m) {
  int64_t total = m->stats.workspace_bytes;
  return kn_aligned_alloc((size_t)(total > 0 ? total : 64));
}

void *cg_value_addr(const cg_model *m, void *const *io, uint8_t *ws, ir_id v) {
  const cg_loc *l = &m->loc[v];
  switch (l->kind) {
  case CG_LOC_CONST: return (void *)m->consts[l->index];
  case CG_LOC_INPUT: return io[l->index];
  case CG_LOC_OUTPUT: return io[m->g->ninputs + l->index];
  case CG_LOC_WS: return ws + l->offset;
  default: return NULL;
  }
}
