/* graph.c: building and querying the IR graph. Arrays grow by doubling; ids
 * stay stable, so passes can hold ids across edits. Value names are indexed by
 * a small open-addressing hash so importing large models stays linear. */
#include "ir.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct ir_name_index {
  ir_id *slots;
  uint32_t cap, used;
} ir_name_index;

/* The name index hangs off the graph by a side table keyed on graph address
 * would be overkill; store it in the arena-allocated header below. */
typedef struct ir_graph_impl {
  ir_graph g;
  ir_name_index names;
  void **owned;
  int32_t nowned, cap_owned;
  int32_t next_anon;
} ir_graph_impl;

static ir_graph_impl *impl(const ir_graph *g) { return (ir_graph_impl *)g; }

static uint32_t hash_str(const char *s) {
  uint32_t h = 2166136261u;
  while (*s) h = (h ^ (unsigned char)*s++) * 16777619u;
  return h;
}

static bool grow(void **arr, int32_t *cap, int32_t need, size_t elem) {
  if (need <= *cap) return true;
  int32_t nc = *cap ? *cap : 16;
  while (nc < need) {
    if (nc > INT32_MAX / 2) return false;
    nc *= 2;
  }
  void *p = realloc(*arr, (size_t)nc * elem);
  if (!p) return false;
  memset((char *)p + (size_t)*cap * elem, 0, (size_t)(nc - *cap) * elem);
  *arr = p;
  *cap = nc;
  return true;
}

static bool index_insert(ir_graph *g, ir_id v);

static bool index_rebuild(ir_graph *g, uint32_t cap) {
  ir_name_index *ix = &impl(g)->names;
  free(ix->slots);
  ix->slots = malloc(sizeof(ir_id) * cap);
  if (!ix->slots) return false;
  for (uint32_t i = 0; i < cap; i++) ix->slots[i] = IR_NONE;
  ix->cap = cap;
  ix->used = 0;
  for (ir_id v = 0; v < g->nvalues; v++)
    if (!index_insert(g, v)) return false;
  return true;
}

static bool index_insert(ir_graph *g, ir_id v) {
  ir_name_index *ix = &impl(g)->names;
  if ((ix->used + 1) * 2 > ix->cap) return index_rebuild(g, ix->cap ? ix->cap * 2 : 64);
  uint32_t m = ix->cap - 1, h = hash_str(g->values[v].name) & m;
  while (ix->slots[h] != IR_NONE) h = (h + 1) & m;
  ix->slots[h] = v;
  ix->used++;
  return true;
}

ir_id ir_value_find(const ir_graph *g, const char *name) {
  const ir_name_index *ix = &impl(g)->names;
  if (!ix->cap || !name) return IR_NONE;
  uint32_t m = ix->cap - 1, h = hash_str(name) & m;
  ir_id found = IR_NONE;
  while (ix->slots[h] != IR_NONE) { /* latest definition wins (ONNX shadowing) */
    if (strcmp(g->values[ix->slots[h]].name, name) == 0 && ix->slots[h] > found) found = ix->slots[h];
    h = (h + 1) & m;
  }
  return found;
}

/* Linear-probing delete: empty v's slot, then move back every later entry of
 * the probe run whose home slot does not lie between the hole and itself. */
static void index_remove(ir_graph *g, ir_id v) {
  ir_name_index *ix = &impl(g)->names;
  if (!ix->cap) return;
  uint32_t m = ix->cap - 1, i = hash_str(g->values[v].name) & m;
  while (ix->slots[i] != v) {
    if (ix->slots[i] == IR_NONE) return;
    i = (i + 1) & m;
  }
  ix->slots[i] = IR_NONE;
  ix->used--;
  for (uint32_t j = (i + 1) & m; ix->slots[j] != IR_NONE; j = (j + 1) & m) {
    uint32_t home = hash_str(g->values[ix->slots[j]].name) & m;
    bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
    if (stays) continue;
    ix->slots[i] = ix->slots[j];
    ix->slots[j] = IR_NONE;
    i = j;
  }
}

kn_status ir_value_rename(ir_graph *g, ir_id v, const char *name) {
  char *copy = ir_arena_strdup(&g->arena, name);
  if (!copy) return kn_fail(g->ctx, KN_ENOMEM, "out of memory renaming a value");
  index_remove(g, v);
  g->values[v].name = copy;
  if (!index_insert(g, v)) return kn_fail(g->ctx, KN_ENOMEM, "out of memory indexing a value");
  return KN_OK;
}

ir_graph *ir_graph_new(kn_ctx *ctx, const char *name) {
  ir_graph_impl *gi = calloc(1, sizeof *gi);
  if (!gi) {
    kn_fail(ctx, KN_ENOMEM, "out of memory creating a graph");
    return NULL;
  }
  gi->g.ctx = ctx;
  gi->g.name = ir_arena_strdup(&gi->g.arena, name ? name : "main");
  return &gi->g;
}

ir_graph *ir_subgraph_new(ir_graph *parent, const char *name) {
  ir_graph *g = ir_graph_new(parent->ctx, name);
  if (g) g->parent = parent;
  return g;
}

static void free_subgraphs(ir_graph *g) {
  for (int32_t i = 0; i < g->nnodes; i++)
    for (int32_t a = 0; a < g->nodes[i].nattr; a++)
      if (g->nodes[i].attrs[a].kind == IR_ATTR_GRAPH) ir_graph_free(g->nodes[i].attrs[a].g);
}

void ir_graph_free(ir_graph *g) {
  if (!g) return;
  ir_graph_impl *gi = impl(g);
  free_subgraphs(g);
  for (int32_t i = 0; i < gi->nowned; i++) kn_aligned_free(gi->owned[i]);
  free(gi->owned);
  free(gi->names.slots);
  free(g->values);
  free(g->nodes);
  free(g->inputs);
  free(g->outputs);
  free(g->syms);
  ir_arena_free(&g->arena);
  free(gi);
}

void ir_graph_own_data(ir_graph *g, void *data) {
  ir_graph_impl *gi = impl(g);
  if (!data) return;
  if (!grow((void **)&gi->owned, &gi->cap_owned, gi->nowned + 1, sizeof(void *))) {
    /* cannot track it: free now is wrong; leak is better than use-after-free */
    return;
  }
  gi->owned[gi->nowned++] = data;
}

kn_tensor *ir_tensor_new(ir_graph *g) { return ir_arena_alloc(&g->arena, sizeof(kn_tensor)); }

ir_id ir_value_new(ir_graph *g, const char *name, const ir_type *type) {
  if (!grow((void **)&g->values, &g->cap_values, g->nvalues + 1, sizeof(ir_value))) {
    kn_fail(g->ctx, KN_ENOMEM, "out of memory adding a value");
    return IR_NONE;
  }
  char buf[32];
  if (!name || !*name) {
    snprintf(buf, sizeof buf, "_t%d", impl(g)->next_anon++);
    name = buf;
  }
  ir_id v = g->nvalues;
  ir_value *val = &g->values[v];
  memset(val, 0, sizeof *val);
  val->name = ir_arena_strdup(&g->arena, name);
  if (!val->name) return IR_NONE;
  if (type) val->type = *type;
  else val->type.rank = IR_RANK_UNKNOWN;
  val->producer = IR_NONE;
  g->nvalues++;
  if (!index_insert(g, v)) {
    kn_fail(g->ctx, KN_ENOMEM, "out of memory indexing a value");
    return IR_NONE;
  }
  return v;
}

ir_id ir_const_new(ir_graph *g, const char *name, kn_tensor *t) {
  ir_type ty = {.dtype = t->dtype, .rank = t->rank};
  for (int i = 0; i < t->rank; i++) ty.dims[i] = t->dims[i];
  ir_id v = ir_value_new(g, name, &ty);
  if (v == IR_NONE) return IR_NONE;
  kn_tensor *c = ir_tensor_new(g);
  if (!c) return IR_NONE;
  *c = *t;
  ir_graph_own_data(g, t->data);
  memset(t, 0, sizeof *t);
  g->values[v].constant = c;
  return v;
}

ir_id ir_node_new(ir_graph *g, ir_op op, const char *name, int nin, const ir_id *in, int nout,
                  const ir_id *out) {
  if (!grow((void **)&g->nodes, &g->cap_nodes, g->nnodes + 1, sizeof(ir_node))) {
    kn_fail(g->ctx, KN_ENOMEM, "out of memory adding a node");
    return IR_NONE;
  }
  ir_id id = g->nnodes;
  ir_node *n = &g->nodes[id];
  memset(n, 0, sizeof *n);
  n->op = op;
  if (ir_op_table[op].pattern == IR_PAT_CONTROL) g->ncontrol_nodes++;
  char buf[48];
  if (!name || !*name) {
    snprintf(buf, sizeof buf, "%s_%d", ir_op_table[op].name, id);
    name = buf;
  }
  n->name = ir_arena_strdup(&g->arena, name);
  n->nin = nin;
  n->nout = nout;
  n->in = ir_arena_alloc(&g->arena, sizeof(ir_id) * (size_t)(nin ? nin : 1));
  n->out = ir_arena_alloc(&g->arena, sizeof(ir_id) * (size_t)(nout ? nout : 1));
  if (!n->name || !n->in || !n->out) {
    kn_fail(g->ctx, KN_ENOMEM, "out of memory adding a node");
    return IR_NONE;
  }
  for (int i = 0; i < nin; i++) n->in[i] = in ? in[i] : IR_NONE;
  for (int i = 0; i < nout; i++) {
    n->out[i] = out ? out[i] : IR_NONE;
    if (n->out[i] != IR_NONE) g->values[n->out[i]].producer = id;
  }
  g->nnodes++;
  return id;
}

kn_status ir_graph_add_input(ir_graph *g, ir_id v) {
  if (!grow((void **)&g->inputs, &g->cap_inputs, g->ninputs + 1, sizeof(ir_id)))
    return kn_fail(g->ctx, KN_ENOMEM, "out of memory");
  g->inputs[g->ninputs++] = v;
  g->values[v].is_input = true;
  return KN_OK;
}

kn_status ir_graph_add_output(ir_graph *g, ir_id v) {
  if (!grow((void **)&g->outputs, &g->cap_outputs, g->noutputs + 1, sizeof(ir_id)))
    return kn_fail(g->ctx, KN_ENOMEM, "out of memory");
  g->outputs[g->noutputs++] = v;
  g->values[v].is_output = true;
  return KN_OK;
}

int32_t ir_sym_get(ir_graph *g, const char *name) {
  if (name)
    for (int32_t i = 0; i < g->nsyms; i++)
      if (g->syms[i] && strcmp(g->syms[i], name) == 0) return i;
  if (!grow((void **)&g->syms, &g->cap_syms, g->nsyms + 1, sizeof(char *))) return -1;
  g->syms[g->nsyms] = name ? ir_arena_strdup(&g->arena, name) : NULL;
  return g->nsyms++;
}

const char *ir_sym_name(const ir_graph *g, int32_t s) {
  return s >= 0 && s < g->nsyms ? g->syms[s] : NULL;
}

void ir_type_import(ir_graph *dst, const ir_graph *src, const ir_type *t, ir_type *out) {
  *out = *t;
  for (int i = 0; i < t->rank && i < KN_MAX_RANK; i++) {
    if (t->dims[i] >= 0) continue;
    int32_t s = ir_sym_get(dst, ir_sym_name(src, IR_SYM_ID(t->dims[i])));
    out->dims[i] = IR_SYM(s < 0 ? 0 : s);
  }
}

bool ir_type_equal(const ir_type *a, const ir_type *b) {
  if (!a || !b || a->dtype != b->dtype || a->rank != b->rank) return false;
  for (int i = 0; i < a->rank; i++)
    if (a->dims[i] != b->dims[i]) return false;
  return true;
}

bool ir_type_is_concrete(const ir_type *t) {
  if (t->rank < 0) return false;
  for (int i = 0; i < t->rank; i++)
    if (t->dims[i] < 0) return false;
  return true;
}

/* ---- attributes ---- */
ir_attr *ir_attr_add(ir_graph *g, ir_node *n, const char *name, ir_attr_kind kind) {
  for (int32_t i = 0; i < n->nattr; i++)
    if (strcmp(n->attrs[i].name, name) == 0) {
      memset(&n->attrs[i], 0, sizeof n->attrs[i]);
      n->attrs[i].name = ir_arena_strdup(&g->arena, name);
      n->attrs[i].kind = kind;
      return &n->attrs[i];
    }
  ir_attr *na = ir_arena_alloc(&g->arena, sizeof(ir_attr) * (size_t)(n->nattr + 1));
  if (!na) return NULL;
  if (n->nattr) memcpy(na, n->attrs, sizeof(ir_attr) * (size_t)n->nattr);
  n->attrs = na;
  ir_attr *a = &na[n->nattr++];
  a->name = ir_arena_strdup(&g->arena, name);
  a->kind = kind;
  return a->name ? a : NULL;
}

#define ATTR_OOM() kn_fail(g->ctx, KN_ENOMEM, "out of memory setting an attribute")

kn_status ir_attr_set_int(ir_graph *g, ir_node *n, const char *name, int64_t v) {
  ir_attr *a = ir_attr_add(g, n, name, IR_ATTR_INT);
  if (!a) return ATTR_OOM();
  a->i = v;
  return KN_OK;
}
kn_status ir_attr_set_float(ir_graph *g, ir_node *n, const char *name, float v) {
  ir_attr *a = ir_attr_add(g, n, name, IR_ATTR_FLOAT);
  if (!a) return ATTR_OOM();
  a->f = v;
  return KN_OK;
}
kn_status ir_attr_set_string(ir_graph *g, ir_node *n, const char *name, const char *s, size_t len) {
  ir_attr *a = ir_attr_add(g, n, name, IR_ATTR_STRING);
  if (!a || !(a->s = ir_arena_strndup(&g->arena, s, len))) return ATTR_OOM();
  a->n = (int32_t)len;
  return KN_OK;
}
kn_status ir_attr_set_ints(ir_graph *g, ir_node *n, const char *name, const int64_t *v, int cnt) {
  ir_attr *a = ir_attr_add(g, n, name, IR_ATTR_INTS);
  if (!a || !(a->ints = ir_arena_alloc(&g->arena, sizeof(int64_t) * (size_t)(cnt + 1)))) return ATTR_OOM();
  if (cnt) memcpy(a->ints, v, sizeof(int64_t) * (size_t)cnt);
  a->n = cnt;
  return KN_OK;
}
kn_status ir_attr_set_floats(ir_graph *g, ir_node *n, const char *name, const float *v, int cnt) {
  ir_attr *a = ir_attr_add(g, n, name, IR_ATTR_FLOATS);
  if (!a || !(a->floats = ir_arena_alloc(&g->arena, sizeof(float) * (size_t)(cnt + 1)))) return ATTR_OOM();
  if (cnt) memcpy(a->floats, v, sizeof(float) * (size_t)cnt);
  a->n = cnt;
  return KN_OK;
}
kn_status ir_attr_set_strings(ir_graph *g, ir_node *n, const char *name, const char **v, int cnt) {
  ir_attr *a = ir_attr_add(g, n, name, IR_ATTR_STRINGS);
  if (!a || !(a->strings = ir_arena_alloc(&g->arena, sizeof(char *) * (size_t)(cnt + 1)))) return ATTR_OOM();
  for (int i = 0; i < cnt; i++)
    if (!(a->strings[i] = ir_arena_strdup(&g->arena, v[i]))) return ATTR_OOM();
  a->n = cnt;
  return KN_OK;
}
kn_status ir_attr_set_tensor(ir_graph *g, ir_node *n, const char *name, kn_tensor *t) {
  ir_attr *a = ir_attr_add(g, n, name, IR_ATTR_TENSOR);
  if (!a || !(a->t = ir_tensor_new(g))) return ATTR_OOM();
  *a->t = *t;
  ir_graph_own_data(g, t->data);
  memset(t, 0, sizeof *t);
  return KN_OK;
}
kn_status ir_attr_set_graph(ir_graph *g, ir_node *n, const char *name, ir_graph *sub) {
  ir_attr *a = ir_attr_add(g, n, name, IR_ATTR_GRAPH);
  if (!a) {
    ir_graph_free(sub);
    return ATTR_OOM();
  }
  a->g = sub;
  return KN_OK;
}

const ir_attr *ir_attr_get(const ir_node *n, const char *name) {
  for (int32_t i = 0; i < n->nattr; i++)
    if (strcmp(n->attrs[i].name, name) == 0) return &n->attrs[i];
  return NULL;
}
int64_t ir_attr_int(const ir_node *n, const char *name, int64_t def) {
  const ir_attr *a = ir_attr_get(n, name);
  return a && a->kind == IR_ATTR_INT ? a->i : a && a->kind == IR_ATTR_FLOAT ? (int64_t)a->f : def;
}
float ir_attr_float(const ir_node *n, const char *name, float def) {
  const ir_attr *a = ir_attr_get(n, name);
  return a && a->kind == IR_ATTR_FLOAT ? a->f : a && a->kind == IR_ATTR_INT ? (float)a->i : def;
}
const char *ir_attr_str(const ir_node *n, const char *name, const char *def) {
  const ir_attr *a = ir_attr_get(n, name);
  return a && a->kind == IR_ATTR_STRING ? a->s : def;
}

int32_t ir_graph_live_nodes(const ir_graph *g) {
  int32_t c = 0;
  for (int32_t i = 0; i < g->nnodes; i++) c += !g->nodes[i].dead;
  return c;
}

/* Kahn's algorithm over value producers; keeps the original order when it is
 * already valid (the usual case), so printed IR matches the file. */
kn_status ir_graph_toposort(ir_graph *g) {
  int32_t n = g->nnodes;
  if (n == 0) return KN_OK;
  int32_t *indeg = calloc((size_t)n, sizeof *indeg), *order = malloc(sizeof(int32_t) * (size_t)n);
  bool *done = calloc((size_t)n, 1);
  if (!indeg || !order || !done) {
    free(indeg), free(order), free(done);
    return kn_fail(g->ctx, KN_ENOMEM, "out of memory sorting the graph");
  }
  int32_t cnt = 0;
  /* simple repeated sweeps: O(n * depth-of-disorder), linear for sorted input */
  bool progress = true;
  while (cnt < n && progress) {
    progress = false;
    for (int32_t i = 0; i < n; i++) {
      if (done[i]) continue;
      ir_node *nd = &g->nodes[i];
      bool ready = true;
      for (int32_t k = 0; k < nd->nin && ready; k++) {
        ir_id v = nd->in[k];
        if (v == IR_NONE) continue;
        ir_id p = g->values[v].producer;
        if (p != IR_NONE && p != i && !done[p]) ready = false;
      }
      if (ready) {
        done[i] = true;
        order[cnt++] = i;
        progress = true;
      }
    }
  }
  kn_status st = KN_OK;
  if (cnt < n) {
    for (int32_t i = 0; i < n; i++)
      if (!done[i]) {
        st = kn_fail(g->ctx, KN_EINVAL, "graph has a cycle through node %s", g->nodes[i].name);
        break;
      }
  } else {
    bool same = true;
    for (int32_t i = 0; i < n; i++) same &= order[i] == i;
    if (!same) {
      ir_node *nn = malloc(sizeof(ir_node) * (size_t)g->cap_nodes);
      if (!nn) st = kn_fail(g->ctx, KN_ENOMEM, "out of memory sorting the graph");
      else {
        for (int32_t i = 0; i < n; i++) nn[i] = g->nodes[order[i]];
        free(g->nodes);
        g->nodes = nn;
        for (int32_t i = 0; i < n; i++)
          for (int32_t k = 0; k < nn[i].nout; k++)
            if (nn[i].out[k] != IR_NONE) g->values[nn[i].out[k]].producer = i;
      }
    }
  }
  free(indeg), free(order), free(done);
  return st;
}

/* Drops dead nodes and values nothing refers to (graph inputs, outputs, live
 * nodes' operands and the values their subgraphs read by name stay; names are
 * kept, since subgraphs refer to outer values by name), renumbering ids in
 * order. */
kn_status ir_graph_compact(ir_graph *g) {
  ir_id *vmap = malloc(sizeof(ir_id) * ((size_t)g->nvalues + 1));
  bool *keep = calloc((size_t)g->nvalues + 1, 1);
  if (!vmap || !keep) {
    free(vmap), free(keep);
    return kn_fail(g->ctx, KN_ENOMEM, "out of memory compacting the graph");
  }
  int32_t *captured = calloc((size_t)g->nvalues + 1, sizeof *captured);
  if (!captured) {
    free(vmap), free(keep);
    return kn_fail(g->ctx, KN_ENOMEM, "out of memory compacting the graph");
  }
  /* a value only a subgraph reads (an initializer a branch adds) is used */
  ir_count_captures(g, captured);
  for (ir_id v = 0; v < g->nvalues; v++) keep[v] = captured[v] > 0;
  free(captured);
  for (int32_t i = 0; i < g->ninputs; i++) keep[g->inputs[i]] = true;
  for (int32_t i = 0; i < g->noutputs; i++) keep[g->outputs[i]] = true;
  for (int32_t i = 0; i < g->nnodes; i++) {
    const ir_node *n = &g->nodes[i];
    if (n->dead) continue;
    for (int k = 0; k < n->nin; k++)
      if (n->in[k] != IR_NONE) keep[n->in[k]] = true;
    for (int k = 0; k < n->nout; k++)
      if (n->out[k] != IR_NONE) keep[n->out[k]] = true;
  }
  int32_t nv = 0;
  for (ir_id v = 0; v < g->nvalues; v++) {
    vmap[v] = keep[v] ? nv : IR_NONE;
    if (keep[v]) g->values[nv++] = g->values[v];
  }
  int32_t nn = 0;
  ir_id *nmap = malloc(sizeof(ir_id) * ((size_t)g->nnodes + 1));
  if (!nmap) {
    free(vmap), free(keep);
    return kn_fail(g->ctx, KN_ENOMEM, "out of memory compacting the graph");
  }
  for (int32_t i = 0; i < g->nnodes; i++) {
    nmap[i] = g->nodes[i].dead ? IR_NONE : nn;
    if (!g->nodes[i].dead) g->nodes[nn++] = g->nodes[i];
    else /* a dead node's subgraphs (a fused body) go with it */
      for (int32_t a = 0; a < g->nodes[i].nattr; a++)
        if (g->nodes[i].attrs[a].kind == IR_ATTR_GRAPH) ir_graph_free(g->nodes[i].attrs[a].g);
  }
  for (int32_t i = 0; i < nn; i++) {
    ir_node *n = &g->nodes[i];
    for (int k = 0; k < n->nin; k++)
      if (n->in[k] != IR_NONE) n->in[k] = vmap[n->in[k]];
    for (int k = 0; k < n->nout; k++)
      if (n->out[k] != IR_NONE) n->out[k] = vmap[n->out[k]];
  }
  for (int32_t v = 0; v < nv; v++) {
    ir_id p = g->values[v].producer;
    g->values[v].producer = p == IR_NONE ? IR_NONE : nmap[p];
  }
  for (int32_t i = 0; i < g->ninputs; i++) g->inputs[i] = vmap[g->inputs[i]];
  for (int32_t i = 0; i < g->noutputs; i++) g->outputs[i] = vmap[g->outputs[i]];
  g->nvalues = nv;
  g->nnodes = nn;
  free(vmap), free(keep), free(nmap);
  if (!index_rebuild(g, impl(g)->names.cap ? impl(g)->names.cap : 64))
    return kn_fail(g->ctx, KN_ENOMEM, "out of memory compacting the graph");
  return KN_OK;
}
