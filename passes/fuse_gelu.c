/* fuse_gelu.c: the GELU activations exporters spell out, back into one Gelu:
 *   erf form  (torch nn.GELU):          0.5 * (x * (1 + erf(x / sqrt(2))))
 *   tanh form (GELU(approximate=tanh)): 0.5 * (x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3))))
 * with either operand order of each commutative op, x^3 as Pow(x, 3) or
 * x * (x * x), and x / sqrt(2) as a Div or a Mul by 1/sqrt(2). The final Mul
 * node becomes the Gelu; the intermediates (each used once) die. */
#include "pattern.h"
#include <stdlib.h>

#define NEAR 1e-4

/* x^3 -> x, or IR_NONE */
static ir_id cube_of(ir_graph *g, const int32_t *uses, ir_id v) {
  ir_node *p = pat_def(g, v, IR_OP_Pow);
  if (p && pat_scalar_near(g, p->in[1], 3.0, 0)) return p->in[0];
  ir_node *m = pat_def(g, v, IR_OP_Mul);
  if (!m) return IR_NONE;
  for (int s = 0; s < 2; s++) { /* x * (x * x) */
    ir_id x = m->in[s], sq = m->in[1 - s];
    ir_node *q = pat_def(g, sq, IR_OP_Mul);
    if (q && q->in[0] == x && q->in[1] == x && pat_fusable(g, uses, sq)) return x;
  }
  return IR_NONE;
}

/* Matches `inner` (the value multiplied by x before the final * 0.5):
 * 1 + erf(x / sqrt 2) or 1 + tanh(...); returns the approximation kind. */
static int match_inner(ir_graph *g, const int32_t *uses, ir_id inner, ir_id x, ir_node **dead, int *nd) {
  ir_node *add = pat_def(g, inner, IR_OP_Add);
  ir_id t = IR_NONE;
  if (!add || !pat_fusable(g, uses, inner)) return -1;
  if (pat_scalar_near(g, add->in[0], 1.0, 0)) t = add->in[1];
  else if (pat_scalar_near(g, add->in[1], 1.0, 0)) t = add->in[0];
  if (t == IR_NONE || !pat_fusable(g, uses, t)) return -1;
  dead[(*nd)++] = add;
  ir_node *erf = pat_def(g, t, IR_OP_Erf);
  if (erf) {
    ir_id a = erf->in[0];
    ir_node *div = pat_def(g, a, IR_OP_Div), *mul = pat_def(g, a, IR_OP_Mul);
    ir_id other;
    bool ok = (div && div->in[0] == x && pat_scalar_near(g, div->in[1], 1.41421356, NEAR)) ||
              (mul && pat_commute(mul, x, &other) && pat_scalar_near(g, other, 0.70710678, NEAR));
    if (!ok || !pat_fusable(g, uses, a)) return -1;
    dead[(*nd)++] = erf;
    dead[(*nd)++] = div ? div : mul;
    return 0;
  }
  ir_node *tanh = pat_def(g, t, IR_OP_Tanh);
  if (!tanh) return -1;
  ir_id m3 = tanh->in[0], a0 = IR_NONE, m2 = IR_NONE, x3 = IR_NONE;
  ir_node *mul3 = pat_def(g, m3, IR_OP_Mul);
  if (!mul3 || !pat_fusable(g, uses, m3)) return -1;
  if (pat_scalar_near(g, mul3->in[0], 0.7978845608, NEAR)) a0 = mul3->in[1];
  else if (pat_scalar_near(g, mul3->in[1], 0.7978845608, NEAR)) a0 = mul3->in[0];
  ir_node *add0 = pat_def(g, a0, IR_OP_Add);
  if (!add0 || !pat_fusable(g, uses, a0) || !pat_commute(add0, x, &m2)) return -1;
  ir_node *mul2 = pat_def(g, m2, IR_OP_Mul);
  if (!mul2 || !pat_fusable(g, uses, m2)) return -1;
  if (pat_scalar_near(g, mul2->in[0], 0.044715, NEAR)) x3 = mul2->in[1];
  else if (pat_scalar_near(g, mul2->in[1], 0.044715, NEAR)) x3 = mul2->in[0];
  if (x3 == IR_NONE || !pat_fusable(g, uses, x3) || cube_of(g, uses, x3) != x) return -1;
  ir_node *cube = g->nodes[g->values[x3].producer].op == IR_OP_Pow ? pat_def(g, x3, IR_OP_Pow) : pat_def(g, x3, IR_OP_Mul);
  dead[(*nd)++] = tanh;
  dead[(*nd)++] = mul3;
  dead[(*nd)++] = add0;
  dead[(*nd)++] = mul2;
  dead[(*nd)++] = cube;
  if (cube->op == IR_OP_Mul) { /* its x*x square */
    ir_id sq = cube->in[0] == x ? cube->in[1] : cube->in[0];
    dead[(*nd)++] = pat_def(g, sq, IR_OP_Mul);
  }
  return 1;
}

kn_status pass_run_fuse_gelu(ir_graph *g, pass_result *r) {
  int32_t *uses = pass_use_counts(g);
  if (!uses) return kn_fail(g->ctx, KN_ENOMEM, "out of memory in fuse-gelu");
  kn_status st = KN_OK;
  for (int32_t i = 0; st == KN_OK && i < g->nnodes; i++) {
    ir_node *fin = &g->nodes[i];
    if (fin->dead || fin->op != IR_OP_Mul || fin->nout != 1) continue;
    for (int s = 0; s < 2; s++) {
      if (!pat_scalar_near(g, fin->in[s], 0.5, 0)) continue;
      ir_id d = fin->in[1 - s];
      ir_node *mul = pat_def(g, d, IR_OP_Mul);
      if (!mul || !pat_fusable(g, uses, d)) continue;
      ir_node *dead[12];
      int kind = -1, nd;
      ir_id x = IR_NONE;
      for (int o = 0; o < 2 && kind < 0; o++) { /* x * inner, either order */
        nd = 0;
        x = mul->in[o];
        kind = match_inner(g, uses, mul->in[1 - o], x, dead, &nd);
      }
      if (kind < 0) continue;
      dead[nd++] = mul;
      for (int k = 0; k < nd; k++) dead[k]->dead = true;
      st = pat_rewrite(g, fin, IR_OP_Gelu, 1, &x);
      if (st == KN_OK && kind == 1) st = ir_attr_set_string(g, fin, "approximate", "tanh", 4);
      r->changed++;
      break;
    }
  }
  free(uses);
  return st;
}
