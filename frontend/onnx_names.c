/* onnx_names.c: checks that a GraphProto defines each value name once, as
 * ONNX requires (and ONNX Runtime enforces): no graph input listed twice, and
 * no node output that repeats a graph input, an initializer or an earlier
 * node output (the importer's name lookup would otherwise silently take the
 * last definition). An initializer that is also listed as a graph input is
 * valid (an overridable default, common in older IR versions), repeated
 * initializers are left as they are (ONNX Runtime warns and takes the last),
 * and an empty output name is an absent optional output, not a name. Names
 * of enclosing graphs are not considered (subgraphs may refer to them). */
#include "onnx_proto.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *onnx_node_label(const KilnOnnx__NodeProto *np, size_t index, char *buf, size_t size) {
  if (np->name && *np->name) return np->name;
  snprintf(buf, size, "%s_%zu", np->op_type && *np->op_type ? np->op_type : "node", index);
  return buf;
}

typedef enum def_kind { DEF_INITIALIZER, DEF_INPUT, DEF_NODE } def_kind;

typedef struct name_def {
  const char *name; /* NULL: empty slot */
  def_kind kind;
  bool also_input; /* an initializer listed among the graph inputs */
  size_t node;     /* DEF_NODE: index of the producing node */
} name_def;

typedef struct name_table {
  name_def *slots;
  size_t mask;
} name_table;

static size_t hash_name(const char *s) {
  size_t h = 1469598103934665603u;
  while (*s) h = (h ^ (unsigned char)*s++) * 1099511628211u;
  return h;
}

/* The slot of name: its definition, or the empty slot where it belongs. */
static name_def *lookup(name_table *t, const char *name) {
  size_t i = hash_name(name) & t->mask;
  while (t->slots[i].name && strcmp(t->slots[i].name, name) != 0) i = (i + 1) & t->mask;
  return &t->slots[i];
}

static kn_status check_names(kn_ctx *ctx, const KilnOnnx__GraphProto *gp, const char *gname, name_table *t) {
  for (size_t i = 0; i < gp->n_initializer; i++) {
    const char *nm = gp->initializer[i]->name;
    if (!nm || !*nm) continue;
    name_def *d = lookup(t, nm);
    if (!d->name) *d = (name_def){.name = nm, .kind = DEF_INITIALIZER};
  }
  for (size_t i = 0; i < gp->n_input; i++) {
    const char *nm = gp->input[i]->name;
    if (!nm || !*nm) continue; /* the importer names the input by position */
    name_def *d = lookup(t, nm);
    if (d->name && (d->kind == DEF_INPUT || d->also_input))
      return kn_fail(ctx, KN_EINVAL, "graph %s: input '%s' is listed twice", gname, nm);
    if (d->name) d->also_input = true;
    else *d = (name_def){.name = nm, .kind = DEF_INPUT};
  }
  for (size_t i = 0; i < gp->n_node; i++) {
    const KilnOnnx__NodeProto *np = gp->node[i];
    for (size_t k = 0; k < np->n_output; k++) {
      const char *nm = np->output[k];
      if (!nm || !*nm) continue;
      name_def *d = lookup(t, nm);
      if (!d->name) {
        *d = (name_def){.name = nm, .kind = DEF_NODE, .node = i};
        continue;
      }
      char buf[96], obuf[96];
      const char *nn = onnx_node_label(np, i, buf, sizeof buf), *op = np->op_type ? np->op_type : "";
      if (d->kind == DEF_INPUT || d->also_input)
        return kn_fail(ctx, KN_EINVAL, "node %s (%s): output '%s' has the name of a graph input", nn, op, nm);
      if (d->kind == DEF_INITIALIZER)
        return kn_fail(ctx, KN_EINVAL, "node %s (%s): output '%s' has the name of an initializer", nn, op, nm);
      if (d->node == i) return kn_fail(ctx, KN_EINVAL, "node %s (%s): output '%s' is listed twice", nn, op, nm);
      const KilnOnnx__NodeProto *other = gp->node[d->node];
      return kn_fail(ctx, KN_EINVAL, "node %s (%s): output '%s' is already the output of node %s (%s)", nn, op, nm,
                     onnx_node_label(other, d->node, obuf, sizeof obuf), other->op_type ? other->op_type : "");
    }
  }
  return KN_OK;
}

kn_status onnx_check_value_names(kn_ctx *ctx, const KilnOnnx__GraphProto *gp, const char *graph_name) {
  size_t n = gp->n_initializer + gp->n_input + 1;
  for (size_t i = 0; i < gp->n_node; i++) n += gp->node[i]->n_output;
  size_t cap = 16;
  while (cap < 2 * n) cap *= 2; /* at most half full */
  name_table t = {calloc(cap, sizeof(name_def)), cap - 1};
  if (!t.slots) return kn_fail(ctx, KN_ENOMEM, "graph %s: out of memory checking value names", graph_name);
  kn_status st = check_names(ctx, gp, graph_name, &t);
  free(t.slots);
  return st;
}
