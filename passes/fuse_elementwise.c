/* fuse_elementwise.c: chains of f32 elementwise ops into one FusedElementwise
 * node, so the JIT emits them as one vector loop (codegen/lower_fused.c) that
 * reads each input once and writes the result once, instead of one pass over
 * memory per op. The transformer chains this is for: Add(bias) -> Mul(1.702)
 * -> Sigmoid -> Mul (QuickGELU), Add(bias) -> Add (residual), Div -> Erf ...
 *
 * Greedy, from the end of the schedule backwards: a supported node starts a
 * chain (its output type is the chain's shape S), and the chain absorbs the
 * producer of any of its inputs that is itself supported, has output type S,
 * and whose output nothing outside the chain uses (not a graph output, not
 * captured by a subgraph; a value used twice inside the chain, like the x of
 * x * sigmoid(1.702 x), is fine), until nothing more joins. The inputs left
 * over (the leaves) must be cheap to index from S's element loop: the same
 * numel as S, a scalar, a row vector broadcast along the last dim ([N] or
 * [1,..,1,N]) or a column broadcast across it ([..,M,1] against [..,M,N]);
 * a node with any other operand cannot be in a chain. Chains of one node are
 * left alone (the per-op lowering already does one pass).
 *
 * The last node of the chain becomes FusedElementwise(leaves...) with a `body`
 * graph holding the chain's nodes in schedule order (typed like the originals;
 * scalar constants are copied into the body, so the code generator sees them
 * as immediates); the other chain nodes die. Every leaf is defined before the
 * chain's last node, so the schedule stays valid.
 *
 * The op set is exactly what the JIT's fused-loop emitter handles
 * (pass_elementwise_fusable_op is shared with it): fusing an op the JIT
 * cannot emit would send the whole chain to the reference kernel. */
#include "pattern.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum {
  MAX_CHAIN = 32,  /* nodes per chain: bounds the generated function's size */
  MAX_LEAVES = 12, /* distinct non-constant leaves: the fused function's pointer parameters */
};

static bool input_f32(const ir_graph *g, ir_id v) { return v != IR_NONE && g->values[v].type.dtype == KN_F32; }

/* Pow exponents the fused loop computes without a general pow */
static bool pow_exponent_ok(double e) { return e == 1 || e == 2 || e == 3 || e == 0.5 || e == -1 || e == -0.5; }

bool pass_elementwise_fusable_op(const ir_graph *g, const ir_node *n) {
  if (n->dead || n->nout != 1 || n->out[0] == IR_NONE || g->values[n->out[0]].type.dtype != KN_F32) return false;
  if (!(ir_op_flags[n->op] & IR_OPF_FUSED_LOOP)) return false;
  /* inputs that must be present and f32: the operands of a binary op, else the first */
  int need = ir_op_table[n->op].pattern == IR_PAT_BROADCAST && n->op != IR_OP_Pow ? 2 : 1;
  if (need == 2 && n->nin != 2) return false;
  if (n->op == IR_OP_Gelu) {
    const char *ap = ir_attr_s(n, "approximate");
    if (strcmp(ap, "none") != 0 && strcmp(ap, "tanh") != 0) return false;
  } else if (n->op == IR_OP_Pow) {
    double e;
    if (n->nin != 2 || !pat_scalar(g, n->in[1], &e) || !input_f32(g, n->in[1]) || !pow_exponent_ok(e)) return false;
  } else if (n->op == IR_OP_Clip) { /* bounds: absent, or one-element f32 (constant or not) */
    for (int i = 1; i < n->nin; i++) {
      ir_id b = n->in[i];
      if (b == IR_NONE) continue;
      const ir_type *t = &g->values[b].type;
      if (t->dtype != KN_F32 || !ir_type_is_concrete(t) || kn_dims_numel(t->rank, t->dims) != 1) return false;
    }
  }
  if (n->nin < need) return false;
  for (int i = 0; i < need; i++)
    if (!input_f32(g, n->in[i])) return false;
  return true;
}

/* ===== leaves ===== */

/* t can be read from S's element loop: same numel (it then broadcasts with
 * the identical layout), scalar, row [.., N] of ones, or column [.., M, 1]. */
static bool leaf_ok(const ir_type *t, const ir_type *s) {
  if (!ir_type_is_concrete(t) || t->rank > s->rank) return false;
  int64_t tn = kn_dims_numel(t->rank, t->dims), sn = kn_dims_numel(s->rank, s->dims);
  if (tn == sn || tn == 1) {
    /* same numel must also broadcast to S, else it is not the same layout */
    for (int i = 0; i < t->rank; i++)
      if (tn != 1 && t->dims[t->rank - 1 - i] != s->dims[s->rank - 1 - i]) return false;
    return true;
  }
  if (t->rank == 0 || s->rank == 0) return false;
  int64_t n = s->dims[s->rank - 1], tl = t->dims[t->rank - 1];
  if (tl == n && tn == n) return true; /* row: only the last dim is not 1 */
  if (tl != 1) return false;
  for (int i = 1; i < t->rank; i++) /* column: S's dims except the last */
    if (t->dims[t->rank - 1 - i] != s->dims[s->rank - 1 - i]) return false;
  return tn * n == sn;
}

/* the node fits a chain of output type s: supported, output s, every input a chain value or a leaf */
static bool member_ok(const ir_graph *g, const ir_node *n, const ir_type *s) {
  if (!pass_elementwise_fusable_op(g, n) || !ir_type_equal(&g->values[n->out[0]].type, s)) return false;
  for (int i = 0; i < n->nin; i++)
    if (n->in[i] != IR_NONE && !leaf_ok(&g->values[n->in[i]].type, s)) return false;
  return true;
}

/* ===== the chain ===== */
typedef struct chain {
  ir_id node[MAX_CHAIN];
  int n;
} chain;

static bool in_chain_value(const ir_graph *g, const chain *ch, ir_id v) {
  for (int k = 0; k < ch->n; k++)
    if (g->nodes[ch->node[k]].out[0] == v) return true;
  return false;
}

static int chain_uses(const ir_graph *g, const chain *ch, ir_id v) {
  int u = 0;
  for (int k = 0; k < ch->n; k++) {
    const ir_node *n = &g->nodes[ch->node[k]];
    for (int i = 0; i < n->nin; i++) u += n->in[i] == v;
  }
  return u;
}

/* a leaf that stays a node input (scalar constants move into the body) */
static bool leaf_is_input(const ir_graph *g, ir_id v) {
  const ir_value *val = &g->values[v];
  return !(val->constant && !val->is_input && kn_tensor_numel(val->constant) == 1);
}

/* distinct input leaves of the chain into out[max]; max + 1 when there are more */
static int chain_leaves(const ir_graph *g, const chain *ch, ir_id *out, int max) {
  int n = 0;
  for (int k = 0; k < ch->n; k++) {
    const ir_node *nd = &g->nodes[ch->node[k]];
    for (int i = 0; i < nd->nin; i++) {
      ir_id v = nd->in[i];
      if (v == IR_NONE || in_chain_value(g, ch, v) || !leaf_is_input(g, v)) continue;
      bool seen = false;
      for (int j = 0; j < n && !seen; j++) seen = out[j] == v;
      if (seen) continue;
      if (n >= max) return n + 1;
      out[n++] = v;
    }
  }
  return n;
}

static int cmp_id(const void *a, const void *b) {
  ir_id x = *(const ir_id *)a, y = *(const ir_id *)b;
  return (x > y) - (x < y);
}

/* Grows the chain rooted at ch->node[0] to a fixpoint. */
static void grow(ir_graph *g, const int32_t *uses, chain *ch, const ir_type *s) {
  bool changed = true;
  while (changed && ch->n < MAX_CHAIN) {
    changed = false;
    for (int k = 0; k < ch->n && ch->n < MAX_CHAIN; k++) {
      const ir_node *n = &g->nodes[ch->node[k]];
      for (int i = 0; i < n->nin && ch->n < MAX_CHAIN; i++) {
        ir_id v = n->in[i];
        if (v == IR_NONE || in_chain_value(g, ch, v)) continue;
        ir_id p = g->values[v].producer;
        if (p == IR_NONE || !member_ok(g, &g->nodes[p], s)) continue;
        if (!pat_fusable_n(g, uses, v, chain_uses(g, ch, v))) continue;
        ch->node[ch->n++] = p;
        ir_id scratch[MAX_LEAVES + 1];
        if (chain_leaves(g, ch, scratch, MAX_LEAVES) > MAX_LEAVES) {
          ch->n--; /* too many operands for one loop */
          continue;
        }
        changed = true;
      }
    }
  }
  qsort(ch->node, (size_t)ch->n, sizeof ch->node[0], cmp_id); /* schedule order */
}

/* ===== building the body ===== */
kn_status pass_copy_attrs(ir_graph *b, ir_node *dst, const ir_node *src) {
  for (int32_t a = 0; a < src->nattr; a++) {
    const ir_attr *at = &src->attrs[a];
    switch (at->kind) {
    case IR_ATTR_FLOAT: KN_TRY(ir_attr_set_float(b, dst, at->name, at->f)); break;
    case IR_ATTR_INT: KN_TRY(ir_attr_set_int(b, dst, at->name, at->i)); break;
    case IR_ATTR_STRING: KN_TRY(ir_attr_set_string(b, dst, at->name, at->s, (size_t)at->n)); break;
    case IR_ATTR_FLOATS: KN_TRY(ir_attr_set_floats(b, dst, at->name, at->floats, at->n)); break;
    case IR_ATTR_INTS: KN_TRY(ir_attr_set_ints(b, dst, at->name, at->ints, at->n)); break;
    default: return kn_fail(b->ctx, KN_EINTERNAL, "node %s has an attribute that cannot be copied", src->name);
    }
  }
  return KN_OK;
}

/* The body graph of the chain; leaves[] receives the fused node's inputs.
 * map[] (one entry per value of g, all IR_NONE) maps g's values to the body's
 * and is left all IR_NONE again. */
static kn_status build_body(ir_graph *g, const chain *ch, ir_id *map, ir_graph **out, ir_id *leaves, int *nleaves) {
  ir_graph *b = ir_subgraph_new(g, "body");
  if (!b) return kn_fail(g->ctx, KN_ENOMEM, "out of memory in fuse-elementwise");
  b->opset = g->opset;
  kn_status st = KN_OK;
  ir_id touched[MAX_CHAIN * 8];
  int nt = 0;
  *nleaves = 0;
  for (int k = 0; st == KN_OK && k < ch->n; k++) {
    const ir_node *n = &g->nodes[ch->node[k]];
    ir_id in[8] = {IR_NONE, IR_NONE, IR_NONE, IR_NONE, IR_NONE, IR_NONE, IR_NONE, IR_NONE};
    for (int i = 0; st == KN_OK && i < n->nin && i < 8; i++) {
      ir_id v = n->in[i];
      if (v == IR_NONE) continue;
      if (map[v] == IR_NONE) { /* a leaf met for the first time (chain values are mapped when defined) */
        const ir_value *val = &g->values[v];
        if (!leaf_is_input(g, v)) {
          kn_tensor t;
          st = kn_tensor_clone(g->ctx, &t, val->constant);
          if (st == KN_OK && (map[v] = ir_const_new(b, val->name, &t)) == IR_NONE)
            st = kn_fail(g->ctx, KN_ENOMEM, "out of memory in fuse-elementwise");
        } else {
          map[v] = ir_value_new(b, val->name, &val->type);
          if (map[v] == IR_NONE) st = kn_fail(g->ctx, KN_ENOMEM, "out of memory in fuse-elementwise");
          else st = ir_graph_add_input(b, map[v]);
          leaves[(*nleaves)++] = v;
        }
        touched[nt++] = v;
      }
      in[i] = map[v];
    }
    if (st != KN_OK) break;
    ir_id o = n->out[0];
    ir_id bo = ir_value_new(b, g->values[o].name, &g->values[o].type);
    if (bo == IR_NONE) {
      st = kn_fail(g->ctx, KN_ENOMEM, "out of memory in fuse-elementwise");
      break;
    }
    map[o] = bo;
    touched[nt++] = o;
    ir_id bn = ir_node_new(b, n->op, n->name, n->nin, in, 1, &bo);
    if (bn == IR_NONE) st = kn_fail(g->ctx, KN_ENOMEM, "out of memory in fuse-elementwise");
    else st = pass_copy_attrs(b, &b->nodes[bn], n);
  }
  if (st == KN_OK) st = ir_graph_add_output(b, map[g->nodes[ch->node[ch->n - 1]].out[0]]);
  for (int i = 0; i < nt; i++) map[touched[i]] = IR_NONE;
  if (st != KN_OK) {
    ir_graph_free(b);
    return st;
  }
  *out = b;
  return KN_OK;
}

kn_status pass_run_fuse_elementwise(ir_graph *g, pass_result *r) {
  int32_t *uses = pass_use_counts(g);
  ir_id *map = malloc(sizeof(ir_id) * ((size_t)g->nvalues + 1));
  if (!uses || !map) {
    free(uses), free(map);
    return kn_fail(g->ctx, KN_ENOMEM, "out of memory in fuse-elementwise");
  }
  for (int32_t v = 0; v < g->nvalues; v++) map[v] = IR_NONE;
  kn_status st = KN_OK;
  for (int32_t i = g->nnodes - 1; st == KN_OK && i >= 0; i--) {
    const ir_node *root = &g->nodes[i];
    if (root->dead || !pass_elementwise_fusable_op(g, root)) continue;
    const ir_type *s = &g->values[root->out[0]].type;
    if (!ir_type_is_concrete(s) || !member_ok(g, root, s)) continue;
    chain ch = {.node = {i}, .n = 1};
    grow(g, uses, &ch, s);
    ir_id scratch[MAX_LEAVES + 1];
    if (ch.n < 2 || chain_leaves(g, &ch, scratch, MAX_LEAVES) == 0) continue; /* no leaves: left to fold */
    ir_graph *body = NULL;
    ir_id leaves[MAX_LEAVES];
    int nleaves = 0;
    st = build_body(g, &ch, map, &body, leaves, &nleaves);
    if (st != KN_OK) break;
    /* use counts: the chain's operands give way to the fused node's */
    for (int k = 0; k < ch.n; k++) {
      const ir_node *n = &g->nodes[ch.node[k]];
      for (int j = 0; j < n->nin; j++)
        if (n->in[j] != IR_NONE) uses[n->in[j]]--;
    }
    for (int j = 0; j < nleaves; j++) uses[leaves[j]]++;
    for (int k = 0; k < ch.n - 1; k++) g->nodes[ch.node[k]].dead = true;
    ir_node *fin = &g->nodes[ch.node[ch.n - 1]];
    st = pat_rewrite(g, fin, IR_OP_FusedElementwise, nleaves, leaves);
    if (st == KN_OK) st = ir_attr_set_graph(g, fin, "body", body);
    else ir_graph_free(body);
    r->changed++;
  }
  free(uses);
  free(map);
  return st;
}
