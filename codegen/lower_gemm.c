/* lower_gemm.c: MatMul and Gemm (float32) on the generated GEMM of
 * gemm_microkernel.c; Conv is lower_conv.c. Each node becomes a gm_plan: A
 * and C strides, where B's panels come from, and the epilogue (Gemm's alpha
 * and beta*C). A row-major B (every MatMul: the weights of a transformer as
 * well as attention's activations) is read in place, which costs neither
 * compile time nor a second copy of hundreds of MB of weights and runs as
 * fast as a packed copy, because the micro-kernel prefetches the next panel;
 * only Gemm's transposed B is packed (at compile time when it is a constant
 * no graph input can override). MatMul's numpy broadcasting folds A's
 * batch into M when B is one matrix (the projections: [1,50,768] x [768,N] is
 * one 50-row GEMM), otherwise the driver loops over the output batch with
 * constant per-dim strides. With --threads the driver splits the work
 * (lower_gemm_parallel.c): by column panels for one matrix, by batch matrix
 * for attention's heads. Other dtypes and K == 0 decline.
 *
 * FusedMatMul and FusedGemm are the same GEMMs with an epilogue (the node's
 * `body`, passes/fuse_matmul.c) that the driver applies to each block of C
 * after its last K block (lower_gemm_parallel.c). A MatMul body that starts
 * by adding a bias row (or a full matrix) hands that Add to the GEMM, which
 * adds it on its first K block for free (GM_BIAS_VEC); what remains, if
 * anything, is the epilogue. */
#include "lower_fused.h"
#include "lower_gemm.h"

/* The constant data of v when it can be baked into the code: a constant
 * that is not also a graph input (an overridable initializer). */
static const kn_tensor *baked_constant(cg_ctx *c, ir_id v) {
  const ir_value *val = &c->g->values[v];
  if (!val->constant || val->is_input || c->loc[v].kind != CG_LOC_CONST) return NULL;
  return val->constant;
}

static bool is_f32(cg_ctx *c, ir_id v) { return v != IR_NONE && c->g->values[v].type.dtype == KN_F32; }

/* An epilogue for the GEMM: its plan, and the node's operands for it. */
typedef struct gm_epi_use {
  cg_epi *e;
  const ir_id *in; /* per body input: a value of c->g, IR_NONE for the product */
} gm_epi_use;

/* Emits the call of p's driver at c->b (b_ptr: B, or the packed B). */
static kn_status emit_gemm(cg_ctx *c, gm_plan *p, LLVMValueRef a_ptr, LLVMValueRef b_ptr, LLVMValueRef c_ptr,
                           LLVMValueRef bias_ptr, const gm_epi_use *epi) {
  LLVMValueRef scratch = gm_scratch_bytes(p) > 0 ? cg_scratch(c, gm_scratch_bytes(p)) : NULL;
  LLVMValueRef ops = p->epi ? cg_epi_operands(c, epi->e, epi->in) : NULL;
  return gm_call_driver(c, p, a_ptr, b_ptr, c_ptr, bias_ptr, scratch, p->epi ? c_ptr : NULL, ops);
}

/* MatMul(av, bv) -> yv, with an epilogue when epi is given. */
static kn_status emit_matmul(cg_ctx *c, ir_id av, ir_id bv, ir_id yv, const gm_epi_use *epi) {
  if (!is_f32(c, av) || !is_f32(c, bv) || !is_f32(c, yv)) return KN_EUNSUPPORTED;
  const ir_type *at = &c->g->values[av].type, *bt = &c->g->values[bv].type, *yt = &c->g->values[yv].type;
  const int ra = at->rank, rb = bt->rank;
  if (ra < 1 || rb < 1) return KN_EUNSUPPORTED;
  gm_plan p = {0};
  p.M = ra > 1 ? at->dims[ra - 2] : 1;
  p.K = at->dims[ra - 1];
  p.N = rb > 1 ? bt->dims[rb - 1] : 1;
  if ((rb > 1 ? bt->dims[rb - 2] : bt->dims[0]) != p.K) return KN_EUNSUPPORTED;
  if (kn_dims_numel(yt->rank, yt->dims) == 0) return KN_OK; /* nothing to compute */
  if (p.K == 0) return KN_EUNSUPPORTED;                     /* zeros: the reference kernel writes them */
  const int64_t nbB = kn_dims_numel(rb, bt->dims) / (p.K * p.N);
  p.rsb = rb > 1 ? p.N : 1;
  p.csb = 1;
  p.bsrc = GM_B_DIRECT; /* weights or activations, B's rows are read in place */
  p.alpha = 1.0f;
  p.bias = GM_BIAS_NONE;
  if (nbB == 1) { /* one B matrix: A's batch is just more rows */
    p.M = kn_dims_numel(ra, at->dims) / p.K;
    p.rsa = p.K;
  } else {
    /* batch dims of the output, each with A/B/C element strides (0 where
     * an operand broadcasts) */
    const int yb = yt->rank - (ra > 1) - (rb > 1), ba = ra > 2 ? ra - 2 : 0, bb = rb - 2;
    if (yb > GM_MAX_BATCH) return KN_EUNSUPPORTED;
    int64_t acc_a = p.M * p.K, acc_b = p.K * p.N, acc_c = p.M * p.N;
    for (int i = yb - 1; i >= 0; i--) {
      int ia = i - (yb - ba), ib = i - (yb - bb);
      p.sa[i] = ia >= 0 && at->dims[ia] != 1 ? acc_a : 0;
      p.sb[i] = ib >= 0 && bt->dims[ib] != 1 ? acc_b : 0;
      if (ia >= 0) acc_a *= at->dims[ia];
      if (ib >= 0) acc_b *= bt->dims[ib];
      p.sc[i] = acc_c;
      acc_c *= yt->dims[i];
      p.bdim[i] = yt->dims[i];
    }
    p.nbd = yb;
    p.rsa = p.K;
  }
  p.csa = 1;
  p.ldc = p.N;
  LLVMValueRef bias = NULL;
  if (epi) {
    /* a leading bias Add goes to the GEMM's first K block: a row is read
     * with row stride 0, a full matrix like C */
    int k = cg_epi_take_add(c, epi->e);
    if (k >= 0) {
      const bool row = epi->e->kind[k] == PASS_LEAF_ROW;
      p.bias = GM_BIAS_VEC;
      p.brs = row ? 0 : p.N;
      for (int d = 0; d < p.nbd; d++) p.sbias[d] = row ? 0 : p.sc[d];
      bias = cg_value_ptr(c, epi->in[k]);
    }
    if (!cg_epi_done(epi->e)) p.epi = epi->e;
  }
  gm_plan_finish(c, &p);
  return emit_gemm(c, &p, cg_value_ptr(c, av), cg_value_ptr(c, bv), cg_value_ptr(c, yv), bias, epi);
}

kn_status cg_lower_matmul(cg_ctx *c, const ir_node *n) {
  return emit_matmul(c, n->in[0], n->in[1], n->out[0], NULL);
}

/* Gemm(av, bv, cv) -> yv with n's attributes, with an epilogue when epi is given. */
static kn_status emit_gemm_op(cg_ctx *c, const ir_node *n, ir_id av, ir_id bv, ir_id cv, ir_id yv,
                              const gm_epi_use *epi) {
  if (!is_f32(c, av) || !is_f32(c, bv) || !is_f32(c, yv) || (cv != IR_NONE && !is_f32(c, cv))) return KN_EUNSUPPORTED;
  const ir_type *at = &c->g->values[av].type, *bt = &c->g->values[bv].type, *yt = &c->g->values[yv].type;
  if (at->rank != 2 || bt->rank != 2 || yt->rank != 2) return KN_EUNSUPPORTED;
  const int ta = ir_attr_i(n, "transA") != 0, tb = ir_attr_i(n, "transB") != 0;
  const float alpha = ir_attr_f(n, "alpha"), beta = ir_attr_f(n, "beta");
  gm_plan p = {0};
  p.M = at->dims[ta];
  p.K = at->dims[!ta];
  p.N = bt->dims[!tb];
  if (bt->dims[tb] != p.K || yt->dims[0] != p.M || yt->dims[1] != p.N) return KN_EUNSUPPORTED;
  if (p.M == 0 || p.N == 0) return KN_OK;
  if (p.K == 0) return KN_EUNSUPPORTED;
  p.rsa = ta ? 1 : p.K;
  p.csa = ta ? p.M : 1;
  p.rsb = tb ? 1 : p.N;
  p.csb = tb ? p.K : 1;
  p.ldc = p.N;
  /* C broadcasts to [M, N]: a row vector, a full matrix, a column or a scalar */
  const kn_tensor *cconst = NULL;
  if (cv != IR_NONE && beta != 0.0f) {
    const ir_type *ct = &c->g->values[cv].type;
    if (ct->rank > 2) return KN_EUNSUPPORTED;
    for (int i = 0; i < ct->rank; i++) {
      int64_t d = ct->dims[i], want = i == ct->rank - 1 ? p.N : p.M;
      if (d != 1 && d != want) return KN_EUNSUPPORTED;
    }
    bool col = ct->rank >= 1 && ct->dims[ct->rank - 1] != 1;
    p.brs = ct->rank == 2 && ct->dims[0] != 1 ? ct->dims[1] : 0;
    p.bias = col ? GM_BIAS_VEC : GM_BIAS_ROW;
    if (beta != 1.0f && !(cconst = baked_constant(c, cv))) return KN_EUNSUPPORTED;
  }
  /* B^T's columns are strided: constant weights are packed once at compile
   * time, a B computed at run time is gathered panel by panel */
  const kn_tensor *bconst = tb ? baked_constant(c, bv) : NULL;
  p.bsrc = !tb ? GM_B_DIRECT : bconst ? GM_B_PACKED : GM_B_GATHER;
  p.alpha = alpha;
  if (epi && !cg_epi_done(epi->e)) p.epi = epi->e;
  gm_plan_finish(c, &p);
  kn_tensor packed = {0}, scaled = {0};
  if (bconst && gm_pack_const_b(c, &p, bconst->data, 1, 0, p.rsb, p.csb, 1.0f, &packed) != KN_OK)
    return KN_EUNSUPPORTED;
  if (cconst) { /* beta folded into a copy of the constant C */
    if (kn_tensor_alloc(c->kn, &scaled, KN_F32, cconst->rank, cconst->dims) != KN_OK) {
      kn_tensor_free(&packed);
      return KN_EUNSUPPORTED;
    }
    const float *s = cconst->data;
    float *d = scaled.data;
    for (int64_t i = 0, e = kn_tensor_numel(cconst); i < e; i++) d[i] = beta * s[i];
  }
  LLVMValueRef bias = cconst ? cg_add_const(c, &scaled) : p.bias ? cg_value_ptr(c, cv) : NULL;
  LLVMValueRef b_ptr = bconst ? cg_add_const(c, &packed) : cg_value_ptr(c, bv);
  return emit_gemm(c, &p, cg_value_ptr(c, av), b_ptr, cg_value_ptr(c, yv), bias, epi);
}

kn_status cg_lower_gemm(cg_ctx *c, const ir_node *n) {
  return emit_gemm_op(c, n, n->in[0], n->in[1], n->nin > 2 ? n->in[2] : IR_NONE, n->out[0], NULL);
}

/* FusedMatMul, FusedGemm: the base op's GEMM with the body as its epilogue,
 * over the output's [rows, last dim] view (C's). */
kn_status cg_lower_fused_product(cg_ctx *c, const ir_node *n) {
  int nprod = 0, base = ir_fused_base(n->op, n->nin, &nprod);
  const ir_attr *ba = ir_attr_get(n, "body");
  ir_id yv = n->out[0];
  if (base < 0 || !ba || ba->kind != IR_ATTR_GRAPH || yv == IR_NONE) return KN_EUNSUPPORTED;
  const int nops = 1 + n->nin - nprod;
  if (nops > CG_VG_MAX_PARAMS || ba->g->ninputs != nops) return KN_EUNSUPPORTED;
  const ir_type *yt = &c->g->values[yv].type;
  if (!ir_type_is_concrete(yt) || yt->rank < 2) return KN_EUNSUPPORTED;
  if (base == IR_OP_MatMul &&
      (c->g->values[n->in[0]].type.rank < 2 || c->g->values[n->in[1]].type.rank < 2)) /* C is not y's view */
    return KN_EUNSUPPORTED;
  ir_id in[CG_VG_MAX_PARAMS];
  in[0] = IR_NONE;
  for (int i = 1; i < nops; i++) in[i] = n->in[nprod + i - 1];
  cg_epi e;
  kn_status st = cg_epi_init(c, &e, ba->g, yt, yt->rank - 1, in);
  gm_epi_use use = {&e, in};
  if (st == KN_OK)
    st = base == IR_OP_MatMul ? emit_matmul(c, n->in[0], n->in[1], yv, &use)
                              : emit_gemm_op(c, n, n->in[0], n->in[1], nprod > 2 ? n->in[2] : IR_NONE, yv, &use);
  cg_epi_free(&e);
  return st;
}
