/* onnx_export.c: kiln IR graph -> ONNX ModelProto, the writer behind `kiln
 * export` and the --via-onnx round trips. The protobuf-c message tree lives in
 * one arena and points into the graph's names and constant data (nothing big
 * is copied); it is packed once and the arena goes.
 *
 * Names: the IR's names are kept. ONNX wants one assignment per name across a
 * graph and its subgraphs, so a subgraph value that would shadow a name of an
 * enclosing graph is renamed (NAME__1, ...), and so are the values the writer
 * adds itself; node names are made unique and non-empty.
 *
 * Two IR-only spellings become ONNX: Softmax/LogSoftmax/Hardmax with
 * legacy_coerce_2d (imported from opset < 13) become Flatten, the op on axis 1
 * and a Reshape back (or just the op when the axis is the last one), and a
 * Split into equal parts gets the num_outputs attribute opset 18 wants. A
 * number attribute held as the other type than ONNX gives it (LpPool-1's
 * float p, a .kir's alpha=1) is written as ONNX's type (the IR's attribute
 * schema, ir/attr_schema.c). Graph outputs listed twice, and
 * subgraph outputs that are values of an enclosing graph, get an Identity. */
#include "onnx_proto.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a set of names (pointers kept, not copied) ---- */
typedef struct name_set {
  const char **slot;
  uint32_t cap, n;
} name_set;

static uint32_t hash_name(const char *s) {
  uint32_t h = 2166136261u;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
  return h;
}

static bool ns_has(const name_set *s, const char *k) {
  if (!s->cap) return false;
  for (uint32_t h = hash_name(k) & (s->cap - 1);; h = (h + 1) & (s->cap - 1)) {
    if (!s->slot[h]) return false;
    if (!strcmp(s->slot[h], k)) return true;
  }
}

static bool ns_add(name_set *s, const char *k) {
  if (ns_has(s, k)) return true;
  if ((s->n + 1) * 2 > s->cap) {
    uint32_t nc = s->cap ? s->cap * 2 : 256;
    const char **slots = calloc(nc, sizeof *slots);
    if (!slots) return false;
    for (uint32_t i = 0; i < s->cap; i++)
      if (s->slot[i]) {
        uint32_t h = hash_name(s->slot[i]) & (nc - 1);
        while (slots[h]) h = (h + 1) & (nc - 1);
        slots[h] = s->slot[i];
      }
    free(s->slot);
    s->slot = slots;
    s->cap = nc;
  }
  uint32_t h = hash_name(k) & (s->cap - 1);
  while (s->slot[h]) h = (h + 1) & (s->cap - 1);
  s->slot[h] = k;
  s->n++;
  return true;
}

/* ---- the writer's state ---- */
typedef struct scope {
  const ir_graph *g;
  const char **name; /* exported name of each value id (NULL: not defined in g) */
  const struct scope *up;
} scope;

typedef struct exporter {
  kn_ctx *ctx;
  ir_arena a;      /* the message tree and the names the writer makes */
  name_set values; /* every value name of the model, and the writer's own */
  name_set nodes;  /* node names given so far */
  int opset;       /* the default-domain opset being written */
  bool value_info;
  bool oom;
} exporter;

static void *ex_alloc(exporter *ex, size_t bytes) {
  void *p = ir_arena_alloc(&ex->a, bytes ? bytes : 1);
  if (!p) ex->oom = true;
  return p;
}

static void *ex_copy(exporter *ex, const void *init, size_t bytes) {
  void *p = ex_alloc(ex, bytes);
  if (p) memcpy(p, init, bytes);
  return p;
}
/* a new protobuf-c message of type T, initialized (NULL on OOM) */
#define EX_NEW(ex, T, INIT) ((T *)ex_copy((ex), &(T)INIT, sizeof(T)))

/* A name not in `set` (base itself, else base__1, base__2, ...), added to it. */
static const char *fresh(exporter *ex, name_set *set, const char *base) {
  size_t n = strlen(base) + 24;
  char *buf = ex_alloc(ex, n);
  if (!buf) return "";
  snprintf(buf, n, "%s", base);
  for (unsigned k = 1; ns_has(set, buf); k++) snprintf(buf, n, "%s__%u", base, k);
  if (!ns_add(set, buf)) ex->oom = true;
  return buf;
}

static void collect_names(exporter *ex, const ir_graph *g) {
  for (int32_t v = 0; v < g->nvalues; v++)
    if (g->values[v].name && !ns_add(&ex->values, g->values[v].name)) ex->oom = true;
  for (int32_t i = 0; i < g->nnodes; i++) {
    const ir_node *n = &g->nodes[i];
    for (int32_t k = 0; !n->dead && k < n->nattr; k++)
      if (n->attrs[k].kind == IR_ATTR_GRAPH && n->attrs[k].g) collect_names(ex, n->attrs[k].g);
  }
}

/* ---- values ---- */
static bool producer_live(const ir_graph *g, ir_id v) {
  ir_id p = g->values[v].producer;
  return p >= 0 && p < g->nnodes && !g->nodes[p].dead;
}

/* Constants no live node produces: initializers (graph inputs' defaults too). */
static bool is_initializer(const ir_graph *g, ir_id v) {
  const ir_value *val = &g->values[v];
  return val->constant && !val->is_outer && !producer_live(g, v);
}

/* The exported name of an enclosing graph's value (the nearest one that
 * defines it, as the importer and the text parser resolve it). */
static const char *outer_name(const scope *up, const char *name) {
  for (const scope *s = up; s; s = s->up) {
    ir_id v = ir_value_find(s->g, name);
    if (v == IR_NONE || s->g->values[v].is_outer) continue;
    return s->name[v] ? s->name[v] : name;
  }
  return name;
}

static bool shadows(const scope *up, const char *name) {
  for (const scope *s = up; s; s = s->up)
    if (ir_value_find(s->g, name) != IR_NONE) return true;
  return false;
}

static void value_type(const ir_graph *g, ir_id v, ir_type *t) {
  const ir_value *val = &g->values[v];
  *t = val->type;
  if (val->constant && t->rank < 0) {
    const kn_tensor *c = val->constant;
    t->dtype = c->dtype;
    t->rank = c->rank;
    memcpy(t->dims, c->dims, sizeof(int64_t) * (size_t)c->rank);
  }
}

static KilnOnnx__TypeProto *type_proto(exporter *ex, const ir_graph *g, const ir_type *t) {
  if (t->dtype == KN_UNDEF && t->rank < 0) return NULL;
  KilnOnnx__TypeProto *tp = EX_NEW(ex, KilnOnnx__TypeProto, KILN_ONNX__TYPE_PROTO__INIT);
  KilnOnnx__TypeProto__Tensor *tt = EX_NEW(ex, KilnOnnx__TypeProto__Tensor, KILN_ONNX__TYPE_PROTO__TENSOR__INIT);
  if (!tp || !tt) return NULL;
  tp->value_case = KILN_ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
  tp->tensor_type = tt;
  if (t->dtype != KN_UNDEF) {
    tt->has_elem_type = 1;
    tt->elem_type = t->dtype;
  }
  if (t->rank < 0) return tp; /* unknown rank: no shape */
  KilnOnnx__TensorShapeProto *sh = EX_NEW(ex, KilnOnnx__TensorShapeProto, KILN_ONNX__TENSOR_SHAPE_PROTO__INIT);
  KilnOnnx__TensorShapeProto__Dimension **dims = ex_alloc(ex, sizeof *dims * (size_t)t->rank);
  if (!sh || !dims) return NULL;
  for (int i = 0; i < t->rank; i++) {
    KilnOnnx__TensorShapeProto__Dimension *d =
        EX_NEW(ex, KilnOnnx__TensorShapeProto__Dimension, KILN_ONNX__TENSOR_SHAPE_PROTO__DIMENSION__INIT);
    if (!d) return NULL;
    if (t->dims[i] >= 0) {
      d->value_case = KILN_ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
      d->dim_value = t->dims[i];
    } else {
      const char *sym = ir_sym_name(g, IR_SYM_ID(t->dims[i]));
      if (sym) { /* an anonymous symbol is a dim with neither value nor name */
        d->value_case = KILN_ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
        d->dim_param = (char *)sym;
      }
    }
    dims[i] = d;
  }
  sh->n_dim = (size_t)t->rank;
  sh->dim = dims;
  tt->shape = sh;
  return tp;
}

static KilnOnnx__ValueInfoProto *value_info(exporter *ex, const char *name, const ir_graph *g, const ir_type *t) {
  KilnOnnx__ValueInfoProto *vi = EX_NEW(ex, KilnOnnx__ValueInfoProto, KILN_ONNX__VALUE_INFO_PROTO__INIT);
  if (!vi) return NULL;
  vi->name = (char *)name;
  vi->type = type_proto(ex, g, t);
  return vi;
}

static KilnOnnx__TensorProto *tensor_proto(exporter *ex, const kn_tensor *t, const char *name) {
  KilnOnnx__TensorProto *tp = ex_alloc(ex, sizeof *tp);
  if (tp) onnx_tensor_to_proto(t, name, tp);
  return tp;
}

/* ---- nodes ---- */
typedef struct node_list {
  KilnOnnx__NodeProto **v;
  size_t n, cap;
} node_list;

static const char *node_name(exporter *ex, const char *name, const char *op) {
  const char *base = name && *name ? name : op;
  if (!ns_has(&ex->nodes, base)) {
    if (!ns_add(&ex->nodes, base)) ex->oom = true;
    return base;
  }
  return fresh(ex, &ex->nodes, base);
}

/* A node of the given inputs and outputs, appended to the list. */
static KilnOnnx__NodeProto *add_node(exporter *ex, node_list *nl, const char *op, const char *name, size_t nin,
                                     const char *const *in, size_t nout, const char *const *out) {
  KilnOnnx__NodeProto *np = EX_NEW(ex, KilnOnnx__NodeProto, KILN_ONNX__NODE_PROTO__INIT);
  char **ins = ex_alloc(ex, sizeof *ins * nin), **outs = ex_alloc(ex, sizeof *outs * nout);
  if (!np || !ins || !outs || nl->n == nl->cap) {
    ex->oom = true;
    return NULL;
  }
  memcpy(ins, in, sizeof *ins * nin);
  memcpy(outs, out, sizeof *outs * nout);
  np->op_type = (char *)op;
  np->name = (char *)node_name(ex, name, op);
  np->n_input = nin;
  np->input = ins;
  np->n_output = nout;
  np->output = outs;
  nl->v[nl->n++] = np;
  return np;
}

static KilnOnnx__AttributeProto *new_attr(exporter *ex, const char *name, int type) {
  KilnOnnx__AttributeProto *ap = EX_NEW(ex, KilnOnnx__AttributeProto, KILN_ONNX__ATTRIBUTE_PROTO__INIT);
  if (!ap) return NULL;
  ap->name = (char *)name;
  ap->has_type = 1;
  ap->type = type;
  return ap;
}

static KilnOnnx__AttributeProto *int_attr(exporter *ex, const char *name, int64_t v) {
  KilnOnnx__AttributeProto *ap = new_attr(ex, name, KILN_ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
  if (ap) ap->has_i = 1, ap->i = v;
  return ap;
}

static kn_status export_graph(exporter *ex, const scope *up, const ir_graph *g, KilnOnnx__GraphProto **out);

static kn_status attr_proto(exporter *ex, const scope *sc, const ir_node *n, const ir_attr *a,
                            KilnOnnx__AttributeProto **out) {
  *out = NULL;
  KilnOnnx__AttributeProto *ap = NULL;
  /* a number of the other type than ONNX's (LpPool-1's float p, a .kir's
   * alpha=1 or axis=0.0) is written as ONNX's type, with the value the IR's
   * getters read (ir_attr_int truncates) */
  int want = onnx_attr_expected_kind(a->name, ir_op_table[n->op].name, ex->opset);
  switch (a->kind) {
  case IR_ATTR_FLOAT:
    if (want == IR_ATTR_INT) {
      ap = int_attr(ex, a->name, isfinite(a->f) && fabsf(a->f) < 9.2e18f ? (int64_t)a->f : 0);
      break;
    }
    if ((ap = new_attr(ex, a->name, KILN_ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT))) ap->has_f = 1, ap->f = a->f;
    break;
  case IR_ATTR_INT:
    if (want == IR_ATTR_FLOAT) {
      if ((ap = new_attr(ex, a->name, KILN_ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT)))
        ap->has_f = 1, ap->f = (float)a->i;
      break;
    }
    ap = int_attr(ex, a->name, a->i);
    break;
  case IR_ATTR_STRING:
    if ((ap = new_attr(ex, a->name, KILN_ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING))) {
      ap->has_s = 1;
      ap->s.len = a->s ? (size_t)a->n : 0;
      ap->s.data = (uint8_t *)(a->s ? a->s : "");
    }
    break;
  case IR_ATTR_FLOATS:
    if ((ap = new_attr(ex, a->name, KILN_ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS)))
      ap->n_floats = a->n > 0 ? (size_t)a->n : 0, ap->floats = a->floats;
    break;
  case IR_ATTR_INTS:
    if ((ap = new_attr(ex, a->name, KILN_ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS)))
      ap->n_ints = a->n > 0 ? (size_t)a->n : 0, ap->ints = a->ints;
    break;
  case IR_ATTR_STRINGS: {
    size_t cnt = a->n > 0 ? (size_t)a->n : 0;
    ProtobufCBinaryData *s = ex_alloc(ex, sizeof *s * cnt);
    if (!s || !(ap = new_attr(ex, a->name, KILN_ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS))) break;
    for (size_t i = 0; i < cnt; i++) {
      const char *str = a->strings[i] ? a->strings[i] : "";
      s[i].len = strlen(str);
      s[i].data = (uint8_t *)str;
    }
    ap->n_strings = cnt;
    ap->strings = s;
    break;
  }
  case IR_ATTR_TENSOR:
    if (!a->t) return kn_fail(ex->ctx, KN_EINVAL, "node %s: tensor attribute %s has no data", n->name, a->name);
    if ((ap = new_attr(ex, a->name, KILN_ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR))) ap->t = tensor_proto(ex, a->t, "");
    break;
  case IR_ATTR_GRAPH:
    if (!a->g) return kn_fail(ex->ctx, KN_EINVAL, "node %s: graph attribute %s is empty", n->name, a->name);
    if ((ap = new_attr(ex, a->name, KILN_ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH)))
      KN_TRY(export_graph(ex, sc, a->g, &ap->g));
    break;
  default:
    return kn_fail(ex->ctx, KN_EINTERNAL, "node %s: attribute %s has unknown kind %d", n->name, a->name, (int)a->kind);
  }
  if (ex->oom || !ap) return kn_fail(ex->ctx, KN_ENOMEM, "out of memory writing the ONNX model");
  *out = ap;
  return KN_OK;
}

/* Softmax, LogSoftmax and Hardmax of opset < 13 see the input as 2-D
 * [dims[:axis], dims[axis:]]; when the axis is not the last one that needs a
 * Flatten around the opset-13 op. */
static bool needs_2d_expansion(const ir_graph *g, const ir_node *n) {
  if (n->op != IR_OP_Softmax && n->op != IR_OP_LogSoftmax && n->op != IR_OP_Hardmax) return false;
  if (!ir_attr_int(n, "legacy_coerce_2d", 0)) return false;
  int64_t axis = ir_attr_int(n, "axis", 1);
  const ir_type *t = &g->values[n->in[0]].type;
  if (t->rank >= 0 && (axis < 0 ? axis + t->rank : axis) == t->rank - 1) return false;
  return true;
}

static kn_status emit_2d_expansion(exporter *ex, const scope *sc, const ir_node *n, node_list *nl) {
  const char *x = sc->name[n->in[0]], *y = sc->name[n->out[0]], *op = ir_op_table[n->op].name;
  size_t len = strlen(y) + 16;
  char *b1 = ex_alloc(ex, len), *b2 = ex_alloc(ex, len), *b3 = ex_alloc(ex, len);
  if (!b1 || !b2 || !b3) return kn_fail(ex->ctx, KN_ENOMEM, "out of memory writing the ONNX model");
  snprintf(b1, len, "%s_flat", y);
  snprintf(b2, len, "%s_2d", y);
  snprintf(b3, len, "%s_shape", y);
  const char *flat = fresh(ex, &ex->values, b1), *res2d = fresh(ex, &ex->values, b2), *shape = fresh(ex, &ex->values, b3);
  KilnOnnx__NodeProto *f = add_node(ex, nl, "Flatten", n->name, 1, &x, 1, &flat);
  KilnOnnx__NodeProto *m = add_node(ex, nl, op, n->name, 1, &flat, 1, &res2d);
  KilnOnnx__NodeProto *s = add_node(ex, nl, "Shape", n->name, 1, &x, 1, &shape);
  const char *rin[2] = {res2d, shape};
  KilnOnnx__NodeProto *r = add_node(ex, nl, "Reshape", n->name, 2, rin, 1, &y);
  KilnOnnx__AttributeProto **fa = ex_alloc(ex, sizeof *fa), **ma = ex_alloc(ex, sizeof *ma);
  if (ex->oom || !f || !m || !s || !r || !fa || !ma) return kn_fail(ex->ctx, KN_ENOMEM, "out of memory writing the ONNX model");
  fa[0] = int_attr(ex, "axis", ir_attr_int(n, "axis", 1));
  ma[0] = int_attr(ex, "axis", 1);
  f->n_attribute = m->n_attribute = 1;
  f->attribute = fa;
  m->attribute = ma;
  return ex->oom ? kn_fail(ex->ctx, KN_ENOMEM, "out of memory writing the ONNX model") : KN_OK;
}

static kn_status emit_node(exporter *ex, const scope *sc, const ir_node *n, node_list *nl) {
  if (needs_2d_expansion(sc->g, n)) return emit_2d_expansion(ex, sc, n, nl);
  int32_t nin = n->nin, nout = n->nout;
  while (nin > 0 && n->in[nin - 1] == IR_NONE) nin--; /* trailing absent optionals are left out */
  while (nout > 0 && n->out[nout - 1] == IR_NONE) nout--;
  const char **ins = ex_alloc(ex, sizeof *ins * (size_t)nin), **outs = ex_alloc(ex, sizeof *outs * (size_t)nout);
  /* Split into equal parts said nothing before opset 18; since then it names the count */
  bool add_num_outputs = n->op == IR_OP_Split && ex->opset >= 18 && (nin < 2 || n->in[1] == IR_NONE) &&
                         !ir_attr_get(n, "num_outputs");
  KilnOnnx__AttributeProto **attrs = ex_alloc(ex, sizeof *attrs * (size_t)(n->nattr + 1));
  if (!ins || !outs || !attrs) return kn_fail(ex->ctx, KN_ENOMEM, "out of memory writing the ONNX model");
  for (int32_t i = 0; i < nin; i++) ins[i] = n->in[i] == IR_NONE ? "" : sc->name[n->in[i]];
  for (int32_t i = 0; i < nout; i++) {
    outs[i] = n->out[i] == IR_NONE ? "" : sc->name[n->out[i]];
    if (n->out[i] == IR_NONE && i < ir_op_table[n->op].min_out) {
      /* ONNX has no absent required output (`_` in the text IR): give it an unused name */
      size_t len = strlen(n->name) + 32;
      char *name = ex_alloc(ex, len);
      if (!name) return kn_fail(ex->ctx, KN_ENOMEM, "out of memory writing the ONNX model");
      snprintf(name, len, "%s__unused_output_%d", n->name, (int)i);
      outs[i] = fresh(ex, &ex->values, name);
    }
  }
  KilnOnnx__NodeProto *np = add_node(ex, nl, ir_op_table[n->op].name, n->name, (size_t)nin, ins, (size_t)nout, outs);
  if (!np) return kn_fail(ex->ctx, KN_ENOMEM, "out of memory writing the ONNX model");
  size_t na = 0;
  for (int32_t k = 0; k < n->nattr; k++) {
    if (!strcmp(n->attrs[k].name, "legacy_coerce_2d")) continue; /* handled above: the axis is the last */
    KN_TRY(attr_proto(ex, sc, n, &n->attrs[k], &attrs[na]));
    na++;
  }
  if (add_num_outputs && !(attrs[na++] = int_attr(ex, "num_outputs", n->nout)))
    return kn_fail(ex->ctx, KN_ENOMEM, "out of memory writing the ONNX model");
  np->n_attribute = na;
  np->attribute = attrs;
  return KN_OK;
}

/* ---- graphs ---- */
static kn_status export_graph(exporter *ex, const scope *up, const ir_graph *g, KilnOnnx__GraphProto **out) {
  *out = NULL;
  KilnOnnx__GraphProto *gp = EX_NEW(ex, KilnOnnx__GraphProto, KILN_ONNX__GRAPH_PROTO__INIT);
  const char **name = ex_alloc(ex, sizeof *name * (size_t)g->nvalues);
  size_t ninit = 0, nlive = 0;
  for (int32_t v = 0; v < g->nvalues; v++) ninit += is_initializer(g, v);
  for (int32_t i = 0; i < g->nnodes; i++) nlive += !g->nodes[i].dead;
  node_list nl = {ex_alloc(ex, sizeof *nl.v * (4 * nlive + (size_t)g->noutputs)), 0, 4 * nlive + (size_t)g->noutputs};
  KilnOnnx__TensorProto **inits = ex_alloc(ex, sizeof *inits * ninit);
  KilnOnnx__ValueInfoProto **ins = ex_alloc(ex, sizeof *ins * (size_t)g->ninputs);
  KilnOnnx__ValueInfoProto **outs = ex_alloc(ex, sizeof *outs * (size_t)g->noutputs);
  KilnOnnx__ValueInfoProto **infos = ex_alloc(ex, sizeof *infos * (size_t)g->nvalues);
  bool *listed = calloc((size_t)g->nvalues + 1, sizeof *listed);
  if (!gp || !name || !nl.v || !inits || !ins || !outs || !infos || !listed) {
    free(listed);
    return kn_fail(ex->ctx, KN_ENOMEM, "out of memory writing the ONNX model");
  }
  scope sc = {g, name, up};
  for (int32_t v = 0; v < g->nvalues; v++) {
    const ir_value *val = &g->values[v];
    if (val->is_outer) name[v] = outer_name(up, val->name);
    else if (val->is_input || is_initializer(g, v) || producer_live(g, v))
      name[v] = shadows(up, val->name) ? fresh(ex, &ex->values, val->name) : val->name;
  }
  gp->name = (char *)(g->name ? g->name : "main");
  ir_type t;
  for (int32_t i = 0; i < g->ninputs; i++) {
    value_type(g, g->inputs[i], &t);
    ins[i] = value_info(ex, name[g->inputs[i]], g, &t);
  }
  gp->n_input = (size_t)g->ninputs;
  gp->input = ins;
  for (int32_t v = 0; v < g->nvalues; v++)
    if (is_initializer(g, v)) inits[gp->n_initializer++] = tensor_proto(ex, g->values[v].constant, name[v]);
  gp->initializer = inits;
  kn_status st = KN_OK;
  for (int32_t i = 0; st == KN_OK && i < g->nnodes; i++)
    if (!g->nodes[i].dead) st = emit_node(ex, &sc, &g->nodes[i], &nl);
  for (int32_t i = 0; st == KN_OK && i < g->noutputs; i++) {
    ir_id v = g->outputs[i];
    const char *nm = name[v];
    if (listed[v] || g->values[v].is_outer) { /* its own value, as ONNX wants */
      const char *copy = fresh(ex, &ex->values, g->values[v].name);
      if (!add_node(ex, &nl, "Identity", NULL, 1, &nm, 1, &copy)) st = KN_ENOMEM;
      nm = copy;
    }
    listed[v] = true;
    value_type(g, v, &t);
    outs[i] = value_info(ex, nm, g, &t);
  }
  gp->n_output = (size_t)g->noutputs;
  gp->output = outs;
  gp->n_node = nl.n;
  gp->node = nl.v;
  for (int32_t i = 0; ex->value_info && st == KN_OK && i < g->nnodes; i++) {
    const ir_node *n = &g->nodes[i];
    for (int32_t k = 0; !n->dead && k < n->nout; k++) {
      ir_id v = n->out[k];
      if (v == IR_NONE || listed[v] || g->values[v].type.dtype == KN_UNDEF) continue;
      infos[gp->n_value_info++] = value_info(ex, name[v], g, &g->values[v].type);
      listed[v] = true;
    }
  }
  gp->value_info = infos;
  free(listed);
  if (st == KN_OK && ex->oom) st = KN_ENOMEM;
  if (st == KN_ENOMEM) return kn_fail(ex->ctx, KN_ENOMEM, "out of memory writing the ONNX model");
  if (st == KN_OK) *out = gp;
  return st;
}

/* ---- the model ---- */
/* The IR version that goes with an opset (ONNX's release table). */
static int64_t ir_version_for(int opset) {
  return opset <= 14 ? 7 : opset <= 18 ? 8 : opset <= 20 ? 9 : opset <= 22 ? 10 : 11;
}

static kn_status choose_opset(kn_ctx *ctx, const ir_graph *g, const onnx_export_opts *o, int *out) {
  onnx_opset_need need;
  KN_TRY(onnx_export_opset_need(ctx, g, &need));
  if (o && o->opset) {
    if (o->opset < need.lo)
      return kn_fail(ctx, KN_EUNSUPPORTED, "cannot write opset %d: %s needs opset %d or newer", o->opset, need.lo_by,
                     need.lo);
    if (o->opset > need.hi)
      return kn_fail(ctx, KN_EUNSUPPORTED, "cannot write opset %d: %s needs opset %d or older", o->opset, need.hi_by,
                     need.hi);
    *out = o->opset;
    return KN_OK;
  }
  if (need.lo > need.hi)
    return kn_fail(ctx, KN_EUNSUPPORTED, "no ONNX opset fits the graph: %s needs opset %d or newer, %s needs opset %d or older",
                   need.lo_by, need.lo, need.hi_by, need.hi);
  int lo = need.lo;
  if (lo < ONNX_EXPORT_MIN_OPSET) lo = ONNX_EXPORT_MIN_OPSET < need.hi ? ONNX_EXPORT_MIN_OPSET : need.hi;
  int want = g->opset;
  *out = want < lo ? lo : want > need.hi ? need.hi : want;
  return KN_OK;
}

kn_status onnx_export_buffer(kn_ctx *ctx, const ir_graph *g, const onnx_export_opts *o, uint8_t **buf, size_t *len,
                             int *opset_used) {
  *buf = NULL;
  *len = 0;
  int opset;
  KN_TRY(choose_opset(ctx, g, o, &opset));
  exporter ex = {.ctx = ctx, .opset = opset, .value_info = !(o && o->no_value_info)};
  collect_names(&ex, g);
  KilnOnnx__GraphProto *gp = NULL;
  kn_status st = ex.oom ? kn_fail(ctx, KN_ENOMEM, "out of memory writing the ONNX model") : export_graph(&ex, NULL, g, &gp);
  KilnOnnx__ModelProto m = KILN_ONNX__MODEL_PROTO__INIT;
  KilnOnnx__OperatorSetIdProto os = KILN_ONNX__OPERATOR_SET_ID_PROTO__INIT;
  KilnOnnx__OperatorSetIdProto *osp = &os;
  os.domain = "";
  os.has_version = 1;
  os.version = opset;
  m.has_ir_version = 1;
  m.ir_version = ir_version_for(opset);
  m.n_opset_import = 1;
  m.opset_import = &osp;
  m.producer_name = "kiln";
  m.producer_version = KN_VERSION;
  m.graph = gp;
  if (st == KN_OK) {
    size_t n = kiln_onnx__model_proto__get_packed_size(&m);
    if (n > INT32_MAX) /* protobuf readers stop at 2 GB */
      st = kn_fail(ctx, KN_ELIMIT, "the ONNX model would be %zu bytes, over protobuf's 2 GB limit (the writer does not "
                   "write external data)", n);
    else if (!(*buf = malloc(n ? n : 1))) st = kn_fail(ctx, KN_ENOMEM, "out of memory writing the ONNX model");
    else *len = kiln_onnx__model_proto__pack(&m, *buf);
  }
  ir_arena_free(&ex.a);
  free(ex.values.slot);
  free(ex.nodes.slot);
  if (st == KN_OK && opset_used) *opset_used = opset;
  return st;
}

kn_status onnx_export_file(kn_ctx *ctx, const ir_graph *g, const char *path, const onnx_export_opts *o,
                           int *opset_used) {
  uint8_t *buf;
  size_t n;
  KN_TRY(onnx_export_buffer(ctx, g, o, &buf, &n, opset_used));
  FILE *f = fopen(path, "wb");
  kn_status st = KN_OK;
  if (!f) st = kn_fail(ctx, KN_EIO, "%s: cannot create: %s", path, strerror(errno));
  else {
    if (n && fwrite(buf, 1, n, f) != n) st = kn_fail(ctx, KN_EIO, "%s: write error", path);
    if (fclose(f) != 0 && st == KN_OK) st = kn_fail(ctx, KN_EIO, "%s: write error", path);
  }
  free(buf);
  return st;
}
