/* onnx_import.c: ONNX ModelProto -> kiln IR graph. Bounds the nesting of the
 * bytes (onnx_wire_depth.c), decodes with protobuf-c,
 * checks the opset and domains, turns initializers and Constant nodes into
 * constant values, maps each node through the importer table (legacy opset
 * forms are upgraded in onnx_legacy.c), imports subgraphs recursively with
 * outer-scope references, then sorts and infers types. Each graph's value
 * names are checked to be defined once (onnx_names.c) and each node's
 * attribute types against ONNX's (onnx_attr_kinds.c). Every error names the
 * model file and, where there is one, the node. */
#include "onnx_proto.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct import_state {
  kn_ctx *ctx;
  const char *dir;
  const ir_custom_ops *custom; /* --custom-op registrations (may be NULL) */
  int opset;
  int depth;
} import_state;

static kn_status import_graph(import_state *s, const KilnOnnx__GraphProto *gp, ir_graph *g);

static kn_status type_from_proto(import_state *s, ir_graph *g, const KilnOnnx__ValueInfoProto *vi, ir_type *t) {
  memset(t, 0, sizeof *t);
  t->rank = IR_RANK_UNKNOWN;
  const KilnOnnx__TypeProto *tp = vi->type;
  if (!tp) return KN_OK;
  if (tp->value_case != KILN_ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE)
    return kn_fail(s->ctx, KN_EUNSUPPORTED, "value %s: only tensor types are supported (sequence/optional/map are not)",
                   vi->name ? vi->name : "?");
  const KilnOnnx__TypeProto__Tensor *tt = tp->tensor_type;
  t->dtype = tt->has_elem_type ? tt->elem_type : 0;
  if (t->dtype == KN_STRING || t->dtype < 0 || t->dtype >= KN_DTYPE_END || (t->dtype && !kn_dtype_size(t->dtype)))
    return kn_fail(s->ctx, KN_EUNSUPPORTED, "value %s: element type %d (%s) is not supported",
                   vi->name ? vi->name : "?", t->dtype, kn_dtype_name(t->dtype));
  if (!tt->shape) return KN_OK;
  if (tt->shape->n_dim > KN_MAX_RANK)
    return kn_fail(s->ctx, KN_EUNSUPPORTED, "value %s: rank %zu exceeds kiln's maximum %d", vi->name ? vi->name : "?",
                   tt->shape->n_dim, KN_MAX_RANK);
  t->rank = (int32_t)tt->shape->n_dim;
  for (size_t i = 0; i < tt->shape->n_dim; i++) {
    const KilnOnnx__TensorShapeProto__Dimension *d = tt->shape->dim[i];
    if (d->value_case == KILN_ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE) {
      if (d->dim_value < 0)
        return kn_fail(s->ctx, KN_ESHAPE, "value %s: negative dim %lld", vi->name ? vi->name : "?", (long long)d->dim_value);
      t->dims[i] = d->dim_value;
    } else {
      const char *nm = d->value_case == KILN_ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM && d->dim_param &&
                               *d->dim_param ? d->dim_param : NULL;
      int32_t sym = ir_sym_get(g, nm);
      if (sym < 0) return kn_fail(s->ctx, KN_ENOMEM, "out of memory");
      t->dims[i] = IR_SYM(sym);
    }
  }
  return KN_OK;
}

/* Finds a value by name here or in an enclosing graph (creating an outer
 * reference in g for the latter). */
static ir_id resolve_input(ir_graph *g, const char *name) {
  ir_id v = ir_value_find(g, name);
  if (v != IR_NONE) return v;
  for (ir_graph *p = g->parent; p; p = p->parent) {
    ir_id pv = ir_value_find(p, name);
    if (pv != IR_NONE) {
      ir_type t;
      ir_type_import(g, p, &p->values[pv].type, &t);
      v = ir_value_new(g, name, &t);
      if (v != IR_NONE) g->values[v].is_outer = true;
      return v;
    }
  }
  return IR_NONE;
}

static kn_status import_attr(import_state *s, ir_graph *g, ir_node *n, const KilnOnnx__AttributeProto *ap) {
  const char *an = ap->name ? ap->name : "";
  int type = ap->has_type ? ap->type : 0;
  if (!type) { /* very old files omit the type: guess from the populated field */
    if (ap->n_ints) type = KILN_ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
    else if (ap->n_floats) type = KILN_ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS;
    else if (ap->has_i) type = KILN_ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
    else if (ap->has_f) type = KILN_ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
    else if (ap->has_s) type = KILN_ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
    else if (ap->t) type = KILN_ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
    else if (ap->g) type = KILN_ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH;
  }
  switch (type) {
  case KILN_ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT: return ir_attr_set_float(g, n, an, ap->f);
  case KILN_ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT: return ir_attr_set_int(g, n, an, ap->i);
  case KILN_ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING:
    return ir_attr_set_string(g, n, an, (const char *)ap->s.data, ap->s.len);
  case KILN_ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS:
    if (ap->n_floats > INT32_MAX) return kn_fail(s->ctx, KN_ELIMIT, "attribute %s too long", an);
    return ir_attr_set_floats(g, n, an, ap->floats, (int)ap->n_floats);
  case KILN_ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS:
    if (ap->n_ints > INT32_MAX) return kn_fail(s->ctx, KN_ELIMIT, "attribute %s too long", an);
    return ir_attr_set_ints(g, n, an, ap->ints, (int)ap->n_ints);
  case KILN_ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS: {
    const char **v = malloc(sizeof(char *) * (ap->n_strings + 1));
    char **tmp = calloc(ap->n_strings + 1, sizeof(char *));
    kn_status st = KN_OK;
    if (!v || !tmp) st = kn_fail(s->ctx, KN_ENOMEM, "out of memory");
    for (size_t i = 0; st == KN_OK && i < ap->n_strings; i++) {
      tmp[i] = ir_arena_strndup(&g->arena, (const char *)ap->strings[i].data, ap->strings[i].len);
      if (!tmp[i]) st = kn_fail(s->ctx, KN_ENOMEM, "out of memory");
      v[i] = tmp[i];
    }
    if (st == KN_OK) st = ir_attr_set_strings(g, n, an, v, (int)ap->n_strings);
    free(v);
    free(tmp);
    return st;
  }
  case KILN_ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR: {
    if (!ap->t) return kn_fail(s->ctx, KN_EINVAL, "attribute %s: tensor missing", an);
    kn_tensor t;
    KN_TRY(onnx_tensor_from_proto(s->ctx, ap->t, s->dir, &t));
    return ir_attr_set_tensor(g, n, an, &t);
  }
  case KILN_ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH: {
    if (!ap->g) return kn_fail(s->ctx, KN_EINVAL, "attribute %s: graph missing", an);
    if (s->depth >= 16) return kn_fail(s->ctx, KN_ELIMIT, "subgraphs nested deeper than 16 levels");
    ir_graph *sub = ir_subgraph_new(g, ap->g->name ? ap->g->name : an);
    if (!sub) return KN_ENOMEM;
    s->depth++;
    kn_status st = import_graph(s, ap->g, sub);
    s->depth--;
    if (st != KN_OK) {
      ir_graph_free(sub);
      return st;
    }
    return ir_attr_set_graph(g, n, an, sub);
  }
  default:
    return kn_fail(s->ctx, KN_EUNSUPPORTED, "attribute %s has unsupported type %d", an, type);
  }
}

/* Constant nodes become constant values directly. */
static kn_status import_constant(import_state *s, ir_graph *g, const KilnOnnx__NodeProto *np) {
  const char *nn = np->name && *np->name ? np->name : (np->n_output ? np->output[0] : "?");
  if (np->n_output != 1 || np->n_attribute != 1)
    return kn_fail(s->ctx, KN_EINVAL, "node %s (Constant): needs exactly one output and one value attribute", nn);
  const KilnOnnx__AttributeProto *ap = np->attribute[0];
  const char *an = ap->name ? ap->name : "";
  int want = strcmp(an, "value") == 0          ? IR_ATTR_TENSOR
             : strcmp(an, "value_float") == 0  ? IR_ATTR_FLOAT
             : strcmp(an, "value_int") == 0    ? IR_ATTR_INT
             : strcmp(an, "value_floats") == 0 ? IR_ATTR_FLOATS
             : strcmp(an, "value_ints") == 0   ? IR_ATTR_INTS
                                               : 0;
  if (want && ap->has_type && (int)ap->type != want)
    return kn_fail(s->ctx, KN_EINVAL, "node %s (Constant): attribute '%s' is %s, but Constant expects %s", nn, an,
                   onnx_attr_kind_name((int)ap->type), onnx_attr_kind_name(want));
  kn_tensor t;
  memset(&t, 0, sizeof t);
  if (strcmp(an, "value") == 0 && ap->t) {
    kn_status st = onnx_tensor_from_proto(s->ctx, ap->t, s->dir, &t);
    if (st != KN_OK) {
      kn_prefix(s->ctx, "node %s (Constant): ", nn);
      return st;
    }
  } else if (strcmp(an, "value_float") == 0 || strcmp(an, "value_int") == 0) {
    bool f = an[6] == 'f';
    KN_TRY(kn_tensor_alloc(s->ctx, &t, f ? KN_F32 : KN_I64, 0, NULL));
    if (f) *(float *)t.data = ap->f;
    else *(int64_t *)t.data = ap->i;
  } else if (strcmp(an, "value_floats") == 0 || strcmp(an, "value_ints") == 0) {
    bool f = an[6] == 'f';
    int64_t d = f ? (int64_t)ap->n_floats : (int64_t)ap->n_ints;
    KN_TRY(kn_tensor_alloc(s->ctx, &t, f ? KN_F32 : KN_I64, 1, &d));
    if (d) memcpy(t.data, f ? (void *)ap->floats : (void *)ap->ints, (size_t)t.nbytes);
  } else {
    return kn_fail(s->ctx, KN_EUNSUPPORTED, "node %s (Constant): attribute %s is not supported", nn, an);
  }
  if (ir_const_new(g, np->output[0], &t) == IR_NONE) {
    kn_tensor_free(&t);
    return kn_fail(s->ctx, KN_ENOMEM, "out of memory");
  }
  return KN_OK;
}

static kn_status import_node(import_state *s, ir_graph *g, const KilnOnnx__NodeProto *np, int index) {
  const char *op_type = np->op_type ? np->op_type : "";
  char fallback[96];
  const char *nn = onnx_node_label(np, (size_t)index, fallback, sizeof fallback);
  /* an op type registered with --custom-op becomes a Custom node, whatever its domain */
  bool custom = ir_custom_registered(s->custom, op_type);
  if (!custom && np->domain && *np->domain && strcmp(np->domain, "ai.onnx") != 0)
    return kn_fail(s->ctx, KN_EUNSUPPORTED, "node %s: op %s is in domain '%s', which kiln does not support", nn, op_type,
                   np->domain);
  if (strcmp(op_type, "Constant") == 0) return import_constant(s, g, np);
  int op = custom ? IR_OP_Custom : onnx_map_op(s->ctx, nn, op_type, s->opset);
  if (op < 0) return KN_EUNSUPPORTED; /* the message names the node and op */
  if (np->n_input > 1u << 20 || np->n_output > 1u << 20)
    return kn_fail(s->ctx, KN_ELIMIT, "node %s (%s): too many inputs/outputs", nn, op_type);
  ir_id *ins = malloc(sizeof(ir_id) * (np->n_input + 1)), *outs = malloc(sizeof(ir_id) * (np->n_output + 1));
  kn_status st = KN_OK;
  if (!ins || !outs) st = kn_fail(s->ctx, KN_ENOMEM, "out of memory");
  size_t nin = np->n_input;
  while (st == KN_OK && nin > 0 && !*np->input[nin - 1]) nin--; /* trailing absent optionals */
  for (size_t i = 0; st == KN_OK && i < nin; i++) {
    if (!*np->input[i]) {
      ins[i] = IR_NONE;
      continue;
    }
    ins[i] = resolve_input(g, np->input[i]);
    if (ins[i] == IR_NONE)
      st = kn_fail(s->ctx, KN_EINVAL, "node %s (%s): input '%s' is not defined by any earlier node, input or initializer",
                   nn, op_type, np->input[i]);
  }
  size_t nout = np->n_output;
  while (st == KN_OK && nout > 0 && !*np->output[nout - 1]) nout--;
  for (size_t i = 0; st == KN_OK && i < nout; i++) {
    outs[i] = *np->output[i] ? ir_value_new(g, np->output[i], NULL) : IR_NONE;
    if (*np->output[i] && outs[i] == IR_NONE) st = KN_ENOMEM;
  }
  ir_id id = IR_NONE;
  if (st == KN_OK) {
    id = ir_node_new(g, (ir_op)op, nn, (int)nin, ins, (int)nout, outs);
    if (id == IR_NONE) st = KN_ENOMEM;
  }
  for (size_t i = 0; st == KN_OK && i < np->n_attribute; i++) {
    st = import_attr(s, g, &g->nodes[id], np->attribute[i]);
    if (st != KN_OK) kn_prefix(s->ctx, "node %s (%s): ", nn, op_type);
  }
  if (st == KN_OK && !custom) st = onnx_check_attr_kinds(s->ctx, &g->nodes[id], nn, op_type, s->opset);
  if (st == KN_OK && custom) st = ir_custom_make_node(g, &g->nodes[id], s->custom, op_type);
  else if (st == KN_OK) st = onnx_upgrade_node(g, id, op_type, s->opset);
  free(ins);
  free(outs);
  return st;
}

static kn_status import_graph(import_state *s, const KilnOnnx__GraphProto *gp, ir_graph *g) {
  g->opset = s->opset;
  KN_TRY(onnx_check_value_names(s->ctx, gp, g->name));
  for (size_t i = 0; i < gp->n_initializer; i++) {
    kn_tensor t;
    KN_TRY(onnx_tensor_from_proto(s->ctx, gp->initializer[i], s->dir, &t));
    if (ir_const_new(g, gp->initializer[i]->name, &t) == IR_NONE) {
      kn_tensor_free(&t);
      return kn_fail(s->ctx, KN_ENOMEM, "out of memory");
    }
  }
  ir_id *defaults = malloc(sizeof(ir_id) * (gp->n_input + 1));
  int32_t ndefaults = 0;
  if (!defaults) return kn_fail(s->ctx, KN_ENOMEM, "out of memory");
  for (size_t i = 0; i < gp->n_input; i++) {
    const KilnOnnx__ValueInfoProto *vi = gp->input[i];
    if (!vi->name || !*vi->name) {
      free(defaults);
      return kn_fail(s->ctx, KN_EINVAL, "graph input %zu has no name", i);
    }
    ir_id init = ir_value_find(g, vi->name);
    if (init != IR_NONE) { /* an initializer: an input whose default is the initializer */
      if (!g->values[init].is_input) defaults[ndefaults++] = init;
      continue;
    }
    ir_type t;
    kn_status st = type_from_proto(s, g, vi, &t);
    /* loop bodies may leave input types to be inferred from the Loop node */
    if (st == KN_OK && !t.dtype && !g->parent)
      st = kn_fail(s->ctx, KN_EINVAL, "graph input %s has no element type", vi->name);
    ir_id v = st == KN_OK ? ir_value_new(g, vi->name, &t) : IR_NONE;
    if (st == KN_OK && v == IR_NONE) st = KN_ENOMEM;
    if (st == KN_OK) st = ir_graph_add_input(g, v);
    if (st != KN_OK) {
      free(defaults);
      return st;
    }
  }
  /* Inputs with defaults come after the required ones, so input_K.pb files
   * (which number the inputs that are not initializers) keep their meaning. */
  for (int32_t i = 0; i < ndefaults; i++) {
    kn_status st = ir_graph_add_input(g, defaults[i]);
    if (st != KN_OK) {
      free(defaults);
      return st;
    }
  }
  free(defaults);
  for (size_t i = 0; i < gp->n_node; i++) KN_TRY(import_node(s, g, gp->node[i], (int)i));
  for (size_t i = 0; i < gp->n_output; i++) {
    const KilnOnnx__ValueInfoProto *vi = gp->output[i];
    ir_id v = vi->name ? resolve_input(g, vi->name) : IR_NONE;
    if (v == IR_NONE)
      return kn_fail(s->ctx, KN_EINVAL, "graph output '%s' is not produced by any node", vi->name ? vi->name : "");
    if (g->values[v].is_output || g->values[v].is_input || g->values[v].constant || g->values[v].is_outer) {
      /* an output that aliases another value gets its own Identity node */
      ir_id nv = ir_value_new(g, NULL, NULL);
      if (nv == IR_NONE || ir_node_new(g, IR_OP_Identity, NULL, 1, &v, 1, &nv) == IR_NONE) return KN_ENOMEM;
      v = nv;
    }
    KN_TRY(ir_graph_add_output(g, v));
  }
  return ir_graph_toposort(g);
}

/* value_info declares types of intermediate values. Inference is the
 * authority; value_info fills in what inference could not tell (unknown rank). */
static kn_status apply_value_info(import_state *s, const KilnOnnx__GraphProto *gp, ir_graph *g) {
  for (size_t i = 0; i < gp->n_value_info; i++) {
    const KilnOnnx__ValueInfoProto *vi = gp->value_info[i];
    ir_id v = vi->name ? ir_value_find(g, vi->name) : IR_NONE;
    if (v == IR_NONE || g->values[v].type.rank >= 0) continue;
    ir_type t;
    if (type_from_proto(s, g, vi, &t) != KN_OK) continue; /* a type kiln cannot use is simply not used */
    if (t.rank >= 0 && (t.dtype == g->values[v].type.dtype || g->values[v].type.dtype == KN_UNDEF))
      g->values[v].type = t;
  }
  return KN_OK;
}

static int default_opset(import_state *s, const KilnOnnx__ModelProto *m, const char *name) {
  int opset = -1;
  for (size_t i = 0; i < m->n_opset_import; i++) {
    const KilnOnnx__OperatorSetIdProto *o = m->opset_import[i];
    const char *d = o->domain ? o->domain : "";
    if (!*d || strcmp(d, "ai.onnx") == 0) opset = (int)(o->has_version ? o->version : 1);
  }
  if (opset < 0 && m->n_opset_import == 0) opset = 1; /* ir_version < 3 files */
  (void)s, (void)name;
  return opset;
}

kn_status onnx_import_buffer(kn_ctx *ctx, const uint8_t *buf, size_t len, const char *dir, const char *display,
                             ir_graph **out) {
  return onnx_import_buffer_with(ctx, buf, len, dir, display, NULL, out);
}

kn_status onnx_import_buffer_with(kn_ctx *ctx, const uint8_t *buf, size_t len, const char *dir, const char *display,
                                  const ir_custom_ops *custom, ir_graph **out) {
  *out = NULL;
  KN_TRY(onnx_wire_check_model(ctx, buf, len, display)); /* before protobuf-c's recursion */
  KilnOnnx__ModelProto *m = kiln_onnx__model_proto__unpack(NULL, len, buf);
  if (!m) return kn_fail(ctx, KN_EPARSE, "%s: not a valid ONNX model (truncated or corrupt protobuf)", display);
  import_state s = {.ctx = ctx, .dir = dir, .custom = custom};
  kn_status st = KN_OK;
  if (!m->graph) st = kn_fail(ctx, KN_EPARSE, "%s: not a valid ONNX model (no graph)", display);
  if (st == KN_OK) {
    s.opset = default_opset(&s, m, display);
    if (s.opset < 0)
      st = kn_fail(ctx, KN_EUNSUPPORTED, "%s: the model does not import the default ONNX domain (only %s%s)", display,
                   m->n_opset_import && m->opset_import[0]->domain ? m->opset_import[0]->domain : "?",
                   m->n_opset_import > 1 ? ", ..." : "");
    else if (s.opset < ONNX_MIN_OPSET || s.opset > ONNX_MAX_OPSET)
      st = kn_fail(ctx, KN_EUNSUPPORTED, "%s: opset %d is not supported (kiln imports opsets %d to %d)", display,
                   s.opset, ONNX_MIN_OPSET, ONNX_MAX_OPSET);
  }
  ir_graph *g = NULL;
  if (st == KN_OK) {
    g = ir_graph_new(ctx, m->graph->name && *m->graph->name ? m->graph->name : "main");
    if (!g) st = KN_ENOMEM;
  }
  if (st == KN_OK) st = import_graph(&s, m->graph, g);
  if (st == KN_OK) st = ir_verify(g);
  if (st == KN_OK) st = ir_infer_graph(g);
  if (st == KN_OK) st = apply_value_info(&s, m->graph, g);
  kiln_onnx__model_proto__free_unpacked(m, NULL);
  if (st != KN_OK) {
    ir_graph_free(g);
    if (strncmp(ctx->msg, display, strlen(display)) != 0) kn_prefix(ctx, "%s: ", display);
    return st;
  }
  *out = g;
  return KN_OK;
}

kn_status onnx_import_file(kn_ctx *ctx, const char *path, ir_graph **out) {
  return onnx_import_file_with(ctx, path, NULL, out);
}

kn_status onnx_import_file_with(kn_ctx *ctx, const char *path, const ir_custom_ops *custom, ir_graph **out) {
  uint8_t *buf;
  size_t len;
  *out = NULL;
  KN_TRY(onnx_read_file(ctx, path, &buf, &len));
  char *dir = strdup(path);
  if (!dir) {
    free(buf);
    return kn_fail(ctx, KN_ENOMEM, "out of memory");
  }
  char *slash = strrchr(dir, '/');
  if (slash) *slash = 0;
  else strcpy(dir, ".");
  kn_status st = onnx_import_buffer_with(ctx, buf, len, dir, path, custom, out);
  free(dir);
  free(buf);
  return st;
}
