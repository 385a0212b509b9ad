/* text_scope.c: what a name means while the text is parsed. The text form's
 * names are not the graph's value names any more: inside a macro call or a
 * loop iteration a definition of `q` makes the value `layer3/attn/q` (the
 * prefix), a loop body may rebind a name from outside the loop, and a macro
 * body sees only its own parameters. So the parser keeps a stack of bindings
 * (name -> value or number) in frames:
 *   graph frame  a graph body; its names shadow those of enclosing graphs,
 *                which stay visible (outer references)
 *   macro frame  one macro call; nothing of the caller is visible below it
 *   loop frame   one loop iteration; names from outside the loop (up to the
 *                graph or macro frame) are rebound, other names are local
 * Bindings live in one array with hash-bucket chains; frames pop in LIFO
 * order, so a popped binding is always the head of its chain. Binding names
 * are copied into a pool that pops with them. docs/ir.md ("Scopes") states
 * the rules for users. */
#include "text_parse.h"
#include <stdlib.h>
#include <string.h>

static uint32_t hash_name(const char *s, size_t n) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
  return h;
}

static kn_status oom(parser *p) { return kn_fail(p->ctx, KN_ENOMEM, "out of memory parsing IR text"); }

void irp_scope_free(irp_scope *s) {
  free(s->b);
  free(s->buckets);
  free(s->pool);
  free(s->prefix);
  memset(s, 0, sizeof *s);
}

static kn_status rehash(parser *p, uint32_t nbuckets) {
  irp_scope *s = &p->scope;
  int32_t *bk = malloc(sizeof *bk * nbuckets);
  if (!bk) return oom(p);
  for (uint32_t i = 0; i < nbuckets; i++) bk[i] = -1;
  for (int32_t i = 0; i < s->nb; i++) { /* in order, so each chain runs newest first */
    uint32_t h = s->b[i].hash & (nbuckets - 1);
    s->b[i].next = bk[h];
    bk[h] = i;
  }
  free(s->buckets);
  s->buckets = bk;
  s->nbuckets = nbuckets;
  return KN_OK;
}

static kn_status push_binding(parser *p, const char *name, size_t len, irp_binding proto) {
  irp_scope *s = &p->scope;
  if (len > UINT32_MAX || s->nb == INT32_MAX) return kn_fail(p->ctx, KN_ELIMIT, "too many names");
  KN_TRY(irp_grow(p, (void **)&s->b, &s->capb, (size_t)s->nb + 1, sizeof *s->b));
  if ((uint32_t)s->nb + 1 > s->nbuckets) KN_TRY(rehash(p, s->nbuckets ? s->nbuckets * 2 : 64));
  KN_TRY(irp_grow(p, (void **)&s->pool, &s->cappool, s->npool + len + 1, 1));
  irp_binding *b = &s->b[s->nb];
  *b = proto;
  b->name_off = s->npool;
  b->name_len = (uint32_t)len;
  b->hash = hash_name(name, len);
  memcpy(s->pool + s->npool, name, len);
  s->pool[s->npool + len] = 0;
  s->npool += len + 1;
  uint32_t h = b->hash & (s->nbuckets - 1);
  b->next = s->buckets[h];
  s->buckets[h] = s->nb++;
  return KN_OK;
}

const irp_frame *irp_scope_top(const parser *p) {
  return p->scope.nframes ? &p->scope.frames[p->scope.nframes - 1] : NULL;
}

bool irp_in_macro_body(const parser *p) {
  for (int i = p->scope.nframes - 1; i >= 0; i--)
    if (p->scope.frames[i].kind != IRP_FRAME_LOOP) return p->scope.frames[i].kind == IRP_FRAME_MACRO;
  return false;
}

kn_status irp_scope_push(parser *p, irp_frame_kind kind, const char *part, size_t len) {
  irp_scope *s = &p->scope;
  if (s->nframes == IRP_MAX_FRAMES) return kn_fail(p->ctx, KN_ELIMIT, "scopes nest too deeply");
  const irp_frame *up = irp_scope_top(p);
  irp_frame f = {.kind = kind, .mark = s->nb, .prefix_len = s->nprefix, .serial = ++s->serials};
  f.def_mark = kind == IRP_FRAME_LOOP && up ? up->def_mark : s->nb;
  f.barrier = kind == IRP_FRAME_MACRO ? s->nb : up ? up->barrier : 0;
  if (part) {
    KN_TRY(irp_grow(p, (void **)&s->prefix, &s->capprefix, s->nprefix + len + 2, 1));
    memcpy(s->prefix + s->nprefix, part, len);
    s->nprefix += len;
    s->prefix[s->nprefix++] = '/';
    s->prefix[s->nprefix] = 0;
  }
  s->frames[s->nframes++] = f;
  return KN_OK;
}

void irp_scope_pop(parser *p) {
  irp_scope *s = &p->scope;
  if (!s->nframes) return;
  irp_frame f = s->frames[--s->nframes];
  while (s->nb > f.mark) {
    irp_binding *b = &s->b[--s->nb];
    s->buckets[b->hash & (s->nbuckets - 1)] = b->next;
    s->npool = b->name_off;
  }
  s->nprefix = f.prefix_len;
  if (s->prefix) s->prefix[s->nprefix] = 0;
}

/* The newest visible binding of name (numbers and values are apart), or -1. */
static int32_t find(const parser *p, const char *name, size_t len, bool num) {
  const irp_scope *s = &p->scope;
  if (!s->nbuckets) return -1;
  const irp_frame *top = irp_scope_top(p);
  int32_t barrier = top ? top->barrier : 0;
  uint32_t h = hash_name(name, len);
  for (int32_t i = s->buckets[h & (s->nbuckets - 1)]; i >= barrier && i >= 0; i = s->b[i].next) {
    const irp_binding *b = &s->b[i];
    if (b->is_num == num && b->hash == h && b->name_len == len && memcmp(s->pool + b->name_off, name, len) == 0)
      return i;
  }
  return -1;
}

kn_status irp_full_name(parser *p, const char *name, size_t len, const char **out) {
  irp_scope *s = &p->scope;
  KN_TRY(irp_grow(p, (void **)&p->nbuf, &p->ncap, s->nprefix + len + 1, 1));
  if (s->nprefix) memcpy(p->nbuf, s->prefix, s->nprefix);
  memcpy(p->nbuf + s->nprefix, name, len);
  p->nbuf[s->nprefix + len] = 0;
  *out = p->nbuf;
  return KN_OK;
}

/* Where a definition of name goes: *slot -1 = a new binding in the current
 * frame, else the binding (from outside the current loop iteration) that it
 * rebinds. A second definition in the same frame, or a second rebinding in
 * the same iteration, is an error: both would name two values alike. */
static kn_status def_slot(parser *p, const ir_token *nt, const char *name, size_t len, int32_t *slot) {
  const irp_frame *top = irp_scope_top(p);
  int32_t i = find(p, name, len, false);
  *slot = -1;
  if (i < 0 || !top || i < top->def_mark) return KN_OK;
  if (i >= top->mark)
    return irp_err_at(p, nt, KN_EPARSE, "value %.200s is already defined%s", name,
                      top->kind == IRP_FRAME_LOOP ? " in this loop iteration" : "");
  if (p->scope.b[i].rebound_in == top->serial)
    return irp_err_at(p, nt, KN_EPARSE,
                      "value %.200s is already defined in this loop iteration (a loop rebinds a name from outside "
                      "it once per iteration)",
                      name);
  *slot = i;
  return KN_OK;
}

static kn_status bind(parser *p, int32_t slot, const char *name, size_t len, ir_graph *g, ir_id v) {
  if (slot >= 0) {
    p->scope.b[slot].g = g;
    p->scope.b[slot].v = v;
    p->scope.b[slot].rebound_in = irp_scope_top(p)->serial;
    return KN_OK;
  }
  return push_binding(p, name, len, (irp_binding){.g = g, .v = v});
}

/* Decoded name of a token, copied so that building the full name (p->nbuf)
 * and later token reads cannot clobber it. */
static kn_status token_name(parser *p, const ir_token *nt, char **out, size_t *len) {
  const char *nm;
  KN_TRY(irp_name_text(p, nt, &nm));
  *len = strlen(nm);
  *out = malloc(*len + 1);
  if (!*out) return oom(p);
  memcpy(*out, nm, *len + 1);
  return KN_OK;
}

static kn_status taken(parser *p, ir_graph *g, const ir_token *nt, const char *full) {
  ir_id old = ir_value_find(g, full);
  if (old == IR_NONE) return KN_OK;
  if (g->values[old].is_outer)
    return irp_err_at(p, nt, KN_EPARSE, "value %.200s is defined after a use (values must be defined before use)",
                      full);
  return irp_err_at(p, nt, KN_EPARSE, "value %.200s is already defined", full);
}

kn_status irp_define_value(parser *p, ir_graph *g, const ir_token *nt, const ir_type *ty, kn_tensor *c, ir_id *out) {
  char *nm = NULL;
  size_t len = 0;
  int32_t slot = -1;
  const char *full = NULL;
  kn_status st = token_name(p, nt, &nm, &len);
  if (st == KN_OK) st = def_slot(p, nt, nm, len, &slot);
  if (st == KN_OK) st = irp_full_name(p, nm, len, &full);
  if (st == KN_OK) st = taken(p, g, nt, full);
  ir_id v = IR_NONE;
  if (st == KN_OK) {
    v = c ? ir_const_new(g, full, c) : ir_value_new(g, full, ty);
    if (v == IR_NONE) st = kn_fail(p->ctx, KN_ENOMEM, "out of memory adding value %.200s", full);
  }
  if (st == KN_OK) st = bind(p, slot, nm, len, g, v);
  if (c && c->data && st != KN_OK) kn_tensor_free(c); /* not taken by ir_const_new */
  free(nm);
  if (st == KN_OK) *out = v;
  return st;
}

static kn_status rename_captures(parser *p, const ir_token *nt, ir_graph *g, int32_t from, const char *old,
                                 const char *new_name);

/* In subgraph sub: the outer reference named old (if sub captures it) takes
 * the new name, and so on down, unless sub defines old itself (then deeper
 * captures of old mean sub's value). */
static kn_status rename_in_sub(parser *p, const ir_token *nt, ir_graph *sub, const char *old, const char *new_name) {
  ir_id v = ir_value_find(sub, old);
  if (v != IR_NONE && !sub->values[v].is_outer) return KN_OK;
  if (v != IR_NONE) {
    if (ir_value_find(sub, new_name) != IR_NONE)
      return irp_err_at(p, nt, KN_EPARSE, "cannot name the value %.200s: subgraph %.200s uses that name", new_name,
                        sub->name);
    KN_TRY(ir_value_rename(sub, v, new_name));
  }
  return rename_captures(p, nt, sub, 0, old, new_name);
}

/* Subgraphs capture outer values by name, so when a value is renamed the
 * subgraphs of the nodes that can see it (those from `from` on) follow. */
static kn_status rename_captures(parser *p, const ir_token *nt, ir_graph *g, int32_t from, const char *old,
                                 const char *new_name) {
  for (int32_t i = from; i < g->nnodes; i++)
    for (int32_t a = 0; a < g->nodes[i].nattr; a++)
      if (g->nodes[i].attrs[a].kind == IR_ATTR_GRAPH)
        KN_TRY(rename_in_sub(p, nt, g->nodes[i].attrs[a].g, old, new_name));
  return KN_OK;
}

kn_status irp_bind_alias(parser *p, ir_graph *g, const ir_token *nt, ir_id v, bool rename, int32_t first_node) {
  char *nm = NULL;
  size_t len = 0;
  int32_t slot = -1;
  const char *full = NULL;
  kn_status st = token_name(p, nt, &nm, &len);
  if (st == KN_OK) st = def_slot(p, nt, nm, len, &slot);
  if (st == KN_OK && rename) {
    const char *old = g->values[v].name; /* stays valid: the arena keeps old names */
    st = irp_full_name(p, nm, len, &full);
    if (st == KN_OK) st = taken(p, g, nt, full);
    if (st == KN_OK) st = rename_captures(p, nt, g, first_node, old, full);
    if (st == KN_OK) st = ir_value_rename(g, v, full);
  }
  if (st == KN_OK) st = bind(p, slot, nm, len, g, v);
  free(nm);
  return st;
}

kn_status irp_bind_value(parser *p, const char *name, size_t len, ir_graph *g, ir_id v) {
  return push_binding(p, name, len, (irp_binding){.g = g, .v = v});
}

kn_status irp_bind_num(parser *p, const char *name, size_t len, ir_num num) {
  return push_binding(p, name, len, (irp_binding){.is_num = true, .v = IR_NONE, .num = num});
}

/* A value of an enclosing graph used in g: ONNX captures it by name, so g
 * gets an outer reference with the outer value's name, typed like it with
 * symbolic dims mapped by name into g's symbol table. */
static kn_status outer_ref(parser *p, ir_graph *g, const ir_token *nt, ir_graph *og, ir_id ov, ir_id *out) {
  const char *nm = og->values[ov].name;
  ir_id v = ir_value_find(g, nm);
  if (v != IR_NONE) {
    if (!g->values[v].is_outer)
      return irp_err_at(p, nt, KN_EPARSE, "value %.200s of an enclosing graph has the name of a value here", nm);
    *out = v;
    return KN_OK;
  }
  ir_type ty = og->values[ov].type;
  for (int i = 0; i < ty.rank && i < KN_MAX_RANK; i++)
    if (ty.dims[i] < 0) {
      int32_t s = ir_sym_get(g, ir_sym_name(og, IR_SYM_ID(ty.dims[i])));
      if (s < 0) return kn_fail(p->ctx, KN_ENOMEM, "out of memory adding a symbol");
      ty.dims[i] = IR_SYM(s);
    }
  v = ir_value_new(g, nm, &ty);
  if (v == IR_NONE) return kn_fail(p->ctx, KN_ENOMEM, "out of memory adding value %.200s", nm);
  g->values[v].is_outer = true;
  *out = v;
  return KN_OK;
}

kn_status irp_resolve(parser *p, ir_graph *g, const ir_token *nt, ir_id *out) {
  const char *nm;
  KN_TRY(irp_name_text(p, nt, &nm));
  int32_t i = find(p, nm, strlen(nm), false);
  if (i < 0) return irp_err_at(p, nt, KN_EPARSE, "use of undefined value %.200s", nm);
  const irp_binding *b = &p->scope.b[i];
  if (b->v == IR_NONE || b->g == g) {
    *out = b->v;
    return KN_OK;
  }
  return outer_ref(p, g, nt, b->g, b->v, out);
}

bool irp_lookup_num(void *env, const char *name, size_t len, ir_num *out) {
  parser *p = env;
  int32_t i = find(p, name, len, true);
  if (i >= 0) {
    *out = p->scope.b[i].num;
    return true;
  }
  for (int k = 0; k < p->nparams_ready; k++) {
    const ir_token *t = &p->params[k].name;
    if (t->len == len && memcmp(t->start, name, len) == 0) {
      *out = p->params[k].num;
      return true;
    }
  }
  return false;
}
