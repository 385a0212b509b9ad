/* mem_plan.c: the memory plan of a graph's intermediates: one workspace,
 * packed by liveness (buffer_pack.c), with two kinds of sharing on top:
 *   - views: the output of a VIEW op of ops.def (Reshape, Flatten, Squeeze,
 *     Unsqueeze, Identity) is the same bytes as its input, so it shares its input's buffer (and
 *     the copy is skipped: the JIT emits nothing for a view whose two values
 *     have one offset);
 *   - in place: an elementwise op (ops.def's ELEMWISE and binary BROADCAST
 *     ops, and FusedElementwise) writes its output over an operand of the
 *     same size whose bytes nothing reads afterwards, so a chain of
 *     activations and residual adds needs no new buffer per step.
 * A group of values sharing one buffer lives from its first producer to the
 * last use of any member. An operand can be overwritten only when the whole
 * group is dead after the node, and only when it is the node's sole operand
 * from that group: every kernel these ops run on reads element i of an
 * operand before it writes element i of the output and never reads an
 * element it has written, which is what makes the overwrite safe.
 * Shared by the JIT's static workspace and `kiln inspect`'s report. */
#include "ir.h"
#include <stdlib.h>
#include <string.h>

/* Ops that compute output element i from operand element i (or a broadcast
 * element) alone, in their operands' dtype (ops.def's pattern); which
 * operands may be overwritten. A variadic op with more than two inputs
 * accumulates into its output, so it overwrites none; a fused chain reads
 * each operand element once before writing, so any of its operands. */
static int inplace_operands(const ir_node *n) {
  if (n->nout != 1) return 0;
  if (n->op == IR_OP_FusedElementwise) return n->nin;
  switch (ir_op_table[n->op].pattern) {
  case IR_PAT_ELEMWISE: return 1;
  case IR_PAT_BROADCAST: return n->nin == 2 ? 2 : 0;
  default: return 0;
  }
}

static int32_t find(int32_t *root, int32_t v) {
  while (root[v] != v) v = root[v] = root[root[v]];
  return v;
}

int64_t ir_plan_memory(const ir_graph *g, const int64_t *size, bool share, int64_t *offset, ir_mem_stats *st) {
  const int32_t nv = g->nvalues;
  int32_t *root = malloc(sizeof(int32_t) * ((size_t)nv + 1));
  int32_t *begin = malloc(sizeof(int32_t) * ((size_t)nv + 1)), *end = malloc(sizeof(int32_t) * ((size_t)nv + 1));
  int32_t *last = malloc(sizeof(int32_t) * ((size_t)nv + 1));
  int64_t *gsize = calloc((size_t)nv + 1, sizeof *gsize);
  memset(st, 0, sizeof *st);
  int64_t total = -1;
  if (!root || !begin || !end || !last || !gsize) goto out;
  for (int32_t v = 0; v < nv; v++) {
    root[v] = v;
    last[v] = begin[v] = end[v] = g->values[v].producer;
    if (size[v] > 0) st->naive_bytes += (size[v] + 63) & ~(int64_t)63;
  }
  for (int32_t i = 0; i < g->nnodes; i++) {
    const ir_node *n = &g->nodes[i];
    if (n->dead) continue;
    for (int k = 0; k < n->nin; k++)
      if (n->in[k] != IR_NONE && last[n->in[k]] < i) last[n->in[k]] = i;
  }
  for (int32_t i = 0; i < g->noutputs; i++) last[g->outputs[i]] = g->nnodes; /* read after the run */
  for (int32_t v = 0; v < nv; v++) end[v] = last[v];
  for (int32_t i = 0; share && i < g->nnodes; i++) {
    const ir_node *n = &g->nodes[i];
    ir_id y = n->nout > 0 ? n->out[0] : IR_NONE;
    if (n->dead || y == IR_NONE || size[y] <= 0) continue;
    if (ir_op_is_view(n->op)) {
      ir_id x = n->in[0];
      if (x == IR_NONE || size[x] != size[y]) continue;
      int32_t r = find(root, x);
      root[y] = r;
      if (end[r] < last[y]) end[r] = last[y];
      st->views++;
      continue;
    }
    const int ops = inplace_operands(n);
    for (int k = 0; k < ops; k++) {
      ir_id x = n->in[k];
      if (x == IR_NONE || size[x] != size[y]) continue;
      int32_t r = find(root, x);
      if (end[r] != i) continue; /* some member is still read later */
      bool alone = true;         /* no other operand reads this buffer */
      for (int j = 0; j < n->nin && alone; j++)
        alone = n->in[j] == x || n->in[j] == IR_NONE || size[n->in[j]] <= 0 || find(root, n->in[j]) != r;
      if (!alone) continue;
      root[y] = r;
      end[r] = last[y] > i ? last[y] : i;
      st->inplace++;
      break;
    }
  }
  for (int32_t v = 0; v < nv; v++)
    if (size[v] > 0 && find(root, v) == v) gsize[v] = size[v];
  total = ir_pack_buffers(nv, gsize, begin, end, offset);
  if (total >= 0)
    for (int32_t v = 0; v < nv; v++) offset[v] = size[v] > 0 ? offset[find(root, v)] : -1;
  st->workspace_bytes = total;
out:
  free(root), free(begin), free(end), free(last), free(gsize);
  return total;
}
