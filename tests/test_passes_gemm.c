/* test_passes_gemm.c: the GEMM/Conv fusion passes (fuse-matmul, fuse-conv,
 * fold-batchnorm, merge-qkv) on small text-IR graphs: what they turn into
 * what (node counts and op types), that the reference executor computes the
 * same outputs before and after, that the fused nodes round-trip through the
 * text form; and the JIT's fused GEMM/convolution epilogues against the
 * reference executor on the unfused graph, over shapes that exercise several
 * K blocks, a partial last column panel, batched products, the direct,
 * transposed, grouped and depthwise convolution forms, with results that are
 * bitwise the same for 1 and 2 threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ir_text.h"
#include "unit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAXIO = 8 };

static int body_nodes(const ir_node *n) {
  const ir_attr *a = ir_attr_get(n, "body");
  assert_non_null(a);
  assert_int_equal(a->kind, IR_ATTR_GRAPH);
  return ir_graph_live_nodes(a->g);
}

/* deterministic inputs, one per graph input */
static const kt_wave wave = {.amp = 1.3f, .freq = 0.37f, .phase = 1.1f, .offset = 0.1f};

/* |a - b| small against the output's scale (a GEMM sums K products in
 * another order once fused or compiled) */
static void assert_close(const kn_tensor *got, const kn_tensor *want, double tol, const char *what) {
  assert_int_equal(kn_tensor_numel(got), kn_tensor_numel(want));
  const float *y = got->data, *w = want->data;
  double scale = 1;
  for (int64_t i = 0; i < kn_tensor_numel(want); i++) scale = fmax(scale, fabs(w[i]));
  for (int64_t i = 0; i < kn_tensor_numel(want); i++)
    if (!(fabs((double)y[i] - w[i]) <= tol * scale))
      fail_msg("%s element %lld: %.9g, expected %.9g (scale %g)", what, (long long)i, y[i], w[i], scale);
}

/* ===== passes on the reference executor ===== */
/* `pipeline` on text: then `live` nodes, `nfused` of op `fused` (the first
 * with a body of `nbody` ops when nbody >= 0); the same outputs as before on
 * the reference executor; the text form round-trips. */
static void check_pass(void **state, const char *text, const char *pipeline, int live, ir_op fused, int nfused,
                       int nbody) {
  kn_ctx *kn = kt_kn(state);
  ir_graph *g = kt_load(state, text), *ref = kt_load(state, text);
  kt_pipeline(g, pipeline);
  assert_int_equal(ir_graph_live_nodes(g), live);
  assert_int_equal(kt_count_op(g, fused), nfused);
  if (nfused && nbody >= 0) assert_int_equal(body_nodes(kt_live_node(g, fused)), nbody);
  kn_tensor in[MAXIO], want[MAXIO], got[MAXIO], back[MAXIO];
  assert_true(ref->ninputs <= MAXIO);
  kt_make_inputs(kn, ref, &wave, in);
  const int nout = ref->noutputs;
  kt_ref_run(kn, ref, in, want, nout);
  kt_ref_run(kn, g, in, got, nout);
  for (int k = 0; k < nout; k++) assert_close(&got[k], &want[k], 1e-5, "after the pass");
  /* printed, parsed back: the same text and the same outputs */
  ir_graph *g2 = kt_keep(state, kt_text_round_trip(kn, g, NULL));
  kt_ref_run(kn, g2, in, back, nout);
  for (int k = 0; k < nout; k++) assert_close(&back[k], &got[k], 0, "after the text round trip");
  kt_free_tensors(in, ref->ninputs), kt_free_tensors(want, nout);
  kt_free_tensors(got, nout), kt_free_tensors(back, nout);
}

static const char *const g_mlp =
    "graph t {\n input x: f32[2, 3, 16]\n input r: f32[2, 3, 8]\n"
    " const w: f32[16, 8] = normal(seed=1, std=0.3)\n const b: f32[8] = normal(seed=2, std=0.5)\n"
    " const k: f32[] = [1.702]\n"
    " m = MatMul(x, w)\n a = Add(b, m)\n t = Mul(a, k)\n s = Sigmoid(t)\n q = Mul(a, s)\n y = Add(q, r)\n"
    " output y\n}\n";

static void test_fuse_matmul_chain(void **state) {
  /* after fuse-elementwise: MatMul + FusedElementwise(bias, QuickGELU, residual) */
  check_pass(state, g_mlp, "fuse-elementwise,fuse-matmul,dce", 1, IR_OP_FusedMatMul, 1, 5);
  /* without it: the run of single ops stops at QuickGELU's double use of a,
   * so only the bias Add joins */
  check_pass(state, g_mlp, "fuse-matmul,dce", 5, IR_OP_FusedMatMul, 1, 1);
  /* a lone bias Add (an attention in-projection before its Split) */
  check_pass(state, "graph t {\n input x: f32[5, 16]\n const w: f32[16, 24] = normal(seed=3, std=0.3)\n"
                    " const b: f32[24] = normal(seed=4)\n const sz: i64[3] = [8, 8, 8]\n"
                    " m = MatMul(x, w)\n a = Add(m, b)\n q, k, v = Split(a, sz) {axis=-1}\n output q, k, v\n}\n",
             "fuse-elementwise,fuse-matmul,dce", 2, IR_OP_FusedMatMul, 1, 1);
  /* single ops in a row: bias, Relu, a column operand, a scalar input */
  check_pass(state, "graph t {\n input x: f32[4, 16]\n input c: f32[4, 1]\n input s: f32[]\n"
                    " const w: f32[16, 8] = normal(seed=5, std=0.3)\n const b: f32[1, 8] = normal(seed=6)\n"
                    " m = MatMul(x, w)\n a = Add(m, b)\n h = Relu(a)\n d = Sub(h, c)\n y = Mul(d, s)\n output y\n}\n",
             "fuse-matmul,dce", 1, IR_OP_FusedMatMul, 1, 4);
  /* Gemm with a transposed constant B and its C, then Tanh (a pooler) */
  check_pass(state, "graph t {\n input x: f32[3, 16]\n const w: f32[8, 16] = normal(seed=7, std=0.3)\n"
                    " const b: f32[8] = normal(seed=8)\n m = Gemm(x, w, b) {transB=1, alpha=0.5}\n y = Tanh(m)\n"
                    " output y\n}\n",
             "fuse-matmul,dce", 1, IR_OP_FusedGemm, 1, 1);
  /* Gemm without C: its operands after B start at the fourth input */
  check_pass(state, "graph t {\n input x: f32[3, 16]\n input r: f32[3, 8]\n"
                    " const w: f32[16, 8] = normal(seed=9, std=0.3)\n m = Gemm(x, w)\n y = Add(m, r)\n output y\n}\n",
             "fuse-matmul,dce", 1, IR_OP_FusedGemm, 1, 1);
}

static void test_fuse_matmul_limits(void **state) {
  /* the product is also a graph output; the product feeds two nodes; an
   * operand [3, 8] of a [2, 3, 8] product in a [2, 3, 8] chain is fine,
   * but a [2, 1, 8] one (neither row, column nor full) is not; a 1-D B */
  check_pass(state, "graph t {\n input x: f32[2, 3, 16]\n input z: f32[2, 1, 8]\n input v: f32[16]\n"
                    " const w: f32[16, 8] = normal(seed=1, std=0.3)\n"
                    " m1 = MatMul(x, w)\n y1 = Relu(m1)\n"
                    " m2 = MatMul(x, w)\n a2 = Relu(m2)\n b2 = Neg(m2)\n"
                    " m3 = MatMul(x, w)\n y3 = Add(m3, z)\n"
                    " m4 = MatMul(x, v)\n y4 = Relu(m4)\n"
                    " output m1, y1, a2, b2, y3, y4\n}\n",
             "fuse-elementwise,fuse-matmul,dce", 9, IR_OP_FusedMatMul, 0, -1);
}

static const char *const g_resblock =
    "graph t {\n input x: f32[2, 4, 6, 6]\n input e: f32[2, 8, 1, 1]\n input r: f32[2, 8, 6, 6]\n"
    " const w: f32[8, 4, 3, 3] = normal(seed=11, std=0.2)\n const b: f32[8] = normal(seed=12)\n"
    " c = Conv(x, w, b) {pads=[1, 1, 1, 1]}\n a = Add(c, e)\n h = Relu(a)\n y = Add(r, h)\n output y\n}\n";

static void test_fuse_conv(void **state) {
  /* each becomes one FusedConv with a body of nbody ops */
  const struct {
    const char *text;
    int nbody;
  } convs[] = {
      /* a per-channel addend [N, C, 1, 1] (a UNet's time embedding), Relu, residual */
      {g_resblock, 3},
      /* a [C, 1, 1] addend (which fuse-elementwise cannot take), then SiLU,
       * which it gathered: both join; no conv bias */
      {"graph t {\n input x: f32[1, 3, 5, 5]\n const w: f32[6, 3, 1, 1] = normal(seed=13, std=0.3)\n"
       " const ch: f32[6, 1, 1] = normal(seed=14)\n"
       " c = Conv(x, w)\n a = Add(c, ch)\n s = Sigmoid(a)\n y = Mul(a, s)\n output y\n}\n",
       3},
      {"graph t {\n input x: f32[1, 3, 5, 5]\n const w: f32[6, 3, 1, 1] = normal(seed=13, std=0.3)\n"
       " c = Conv(x, w)\n s = Sigmoid(c)\n y = Mul(c, s)\n output y\n}\n",
       2},
  };
  for (size_t i = 0; i < sizeof convs / sizeof convs[0]; i++)
    check_pass(state, convs[i].text, "fuse-elementwise,fuse-conv,dce", 1, IR_OP_FusedConv, 1, convs[i].nbody);
}

/* BN tensors for C channels (named g, be, mu, va), constants */
static void bn_consts(char *buf, size_t n, int C) {
  snprintf(buf, n,
           " const g: f32[%d] = uniform(seed=31, low=0.5, high=1.5)\n const be: f32[%d] = normal(seed=32)\n"
           " const mu: f32[%d] = normal(seed=33)\n const va: f32[%d] = uniform(seed=34, low=0.2, high=2)\n",
           C, C, C, C);
}

static void test_fold_batchnorm(void **state) {
  char bn[512], text[2048];
  bn_consts(bn, sizeof bn, 6);
  /* Conv + BN + Relu: the BN folds, then the Relu fuses */
  snprintf(text, sizeof text,
           "graph t {\n input x: f32[2, 3, 7, 7]\n const w: f32[6, 3, 3, 3] = normal(seed=35, std=0.3)\n"
           " const b: f32[6] = normal(seed=36)\n%s"
           " c = Conv(x, w, b) {pads=[1, 1, 1, 1]}\n n = BatchNormalization(c, g, be, mu, va) {epsilon=0.001}\n"
           " y = Relu(n)\n output y\n}\n",
           bn);
  check_pass(state, text, "fold-batchnorm,dce", 2, IR_OP_BatchNormalization, 0, -1);
  check_pass(state, text, "fold-batchnorm,fuse-elementwise,fuse-conv,dce", 1, IR_OP_FusedConv, 1, 1);
  /* a Conv without bias, whose BN output is the graph output */
  snprintf(text, sizeof text,
           "graph t {\n input x: f32[1, 3, 5, 5]\n const w: f32[6, 3, 1, 1] = normal(seed=35, std=0.3)\n%s"
           " c = Conv(x, w)\n n = BatchNormalization(c, g, be, mu, va)\n output n\n}\n",
           bn);
  check_pass(state, text, "fold-batchnorm,dce", 1, IR_OP_Conv, 1, -1);
  /* Gemm with a transposed B and a row C, beta 0.5; a 2-D MatMul becomes a Gemm */
  snprintf(text, sizeof text,
           "graph t {\n input x: f32[4, 5]\n const w: f32[6, 5] = normal(seed=37)\n"
           " const cb: f32[6] = normal(seed=38)\n"
           " const w2: f32[5, 6] = normal(seed=39)\n%s"
           " m = Gemm(x, w, cb) {transB=1, beta=0.5, alpha=2.0}\n n = BatchNormalization(m, g, be, mu, va)\n"
           " m2 = MatMul(x, w2)\n n2 = BatchNormalization(m2, g, be, mu, va)\n output n, n2\n}\n",
           bn);
  check_pass(state, text, "fold-batchnorm,dce", 2, IR_OP_Gemm, 2, -1);
  /* not folded: a statistic that is a graph input, a product used twice, a
   * weight that is a graph input, a 3-D MatMul (BN's channels are its rows) */
  snprintf(text, sizeof text,
           "graph t {\n input x: f32[1, 3, 5, 5]\n input mu2: f32[6]\n input wi: f32[6, 3, 1, 1]\n"
           " input z: f32[2, 6, 4]\n const w: f32[6, 3, 1, 1] = normal(seed=35, std=0.3)\n"
           " const w4: f32[4, 4] = normal(seed=40)\n%s"
           " c1 = Conv(x, w)\n n1 = BatchNormalization(c1, g, be, mu2, va)\n"
           " c2 = Conv(x, w)\n n2 = BatchNormalization(c2, g, be, mu, va)\n r2 = Relu(c2)\n"
           " c3 = Conv(x, wi)\n n3 = BatchNormalization(c3, g, be, mu, va)\n"
           " m4 = MatMul(z, w4)\n n4 = BatchNormalization(m4, g, be, mu, va)\n"
           " output n1, n2, r2, n3, n4\n}\n",
           bn);
  check_pass(state, text, "fold-batchnorm,dce", 9, IR_OP_BatchNormalization, 4, -1);
}

static const char *const g_qkv =
    "graph t {\n input x: f32[2, 5, 16]\n"
    " const wq: f32[16, 8] = normal(seed=41, std=0.3)\n const wk: f32[16, 8] = normal(seed=42, std=0.3)\n"
    " const wv: f32[16, 12] = normal(seed=43, std=0.3)\n const bq: f32[8] = normal(seed=44)\n"
    " const bk: f32[8] = normal(seed=45)\n const bv: f32[12] = normal(seed=46)\n"
    " const w2: f32[16, 4] = normal(seed=47, std=0.3)\n"
    " mq = MatMul(x, wq)\n q = Add(mq, bq)\n"
    " mk = MatMul(x, wk)\n k = Add(bk, mk)\n"
    " mv = MatMul(x, wv)\n v = Add(mv, bv)\n"
    " m2 = MatMul(x, w2)\n r2 = Relu(m2)\n"
    " output q, k, v, r2\n}\n";

static void test_merge_qkv(void **state) {
  /* q, k, v with their bias epilogues: one FusedMatMul [16, 28] and a
   * Split; m2 with its Relu epilogue is of another kind */
  check_pass(state, g_qkv, "fuse-matmul,merge-qkv,dce", 3, IR_OP_Split, 1, -1);
  check_pass(state, g_qkv, "fuse-matmul,merge-qkv,dce", 3, IR_OP_FusedMatMul, 2, -1);
  /* without fuse-matmul: the four plain products (the Adds stay) */
  check_pass(state, g_qkv, "merge-qkv,dce", 6, IR_OP_MatMul, 1, -1);
  /* an epilogue beyond the bias (q's Relu) is another kind: k and v merge */
  check_pass(state, "graph t {\n input x: f32[3, 16]\n"
                    " const wq: f32[16, 8] = normal(seed=41, std=0.3)\n const wk: f32[16, 8] = normal(seed=42, std=0.3)\n"
                    " const wv: f32[16, 12] = normal(seed=43, std=0.3)\n const bq: f32[8] = normal(seed=44)\n"
                    " const bk: f32[8] = normal(seed=45)\n const bv: f32[1, 12] = normal(seed=46)\n"
                    " mq = MatMul(x, wq)\n q = Add(mq, bq)\n rq = Relu(q)\n mk = MatMul(x, wk)\n k = Add(bk, mk)\n"
                    " mv = MatMul(x, wv)\n v = Add(mv, bv)\n output rq, k, v\n}\n",
             "fuse-elementwise,fuse-matmul,merge-qkv,dce", 3, IR_OP_FusedMatMul, 2, -1);
}

/* ===== the JIT's epilogues ===== */
/* text through `pipeline` on the JIT: `fused` nodes of op `op`, all compiled;
 * outputs within tol of the reference executor on the unfused graph, the
 * same bits with 1 and 2 threads, and the fallback (every node on its
 * reference kernel) within tol too. */
static void check_jit(void **state, const char *text, const char *pipeline, ir_op op, int fused, double tol) {
  kn_ctx *kn = kt_kn(state);
  ir_graph *ref = kt_load(state, text);
  kn_tensor in[MAXIO], want[MAXIO], got[3][MAXIO];
  assert_true(ref->ninputs <= MAXIO);
  kt_make_inputs(kn, ref, &wave, in);
  const int nin = ref->ninputs, nout = ref->noutputs;
  kt_ref_run(kn, ref, in, want, nout);
  for (int run = 0; run < 3; run++) {
    pm_options pm = {.pipeline = pipeline, .verify_each = true};
    cg_options opt = {.opt_level = 2, .no_cache = true, .threads = run == 1 ? 2 : 1, .no_lower = run == 2,
                      .passes = &pm};
    cg_model *m = kt_jit_compile(kn, kt_parse(kn, text), in, &opt);
    cg_stats st;
    cg_model_stats(m, &st);
    assert_int_equal(kt_count_op(cg_model_graph(m), op), fused);
    assert_int_equal(st.fallback_nodes, run == 2 ? st.live_nodes : 0);
    kt_jit_run(kn, m, in, nin, got[run], nout);
    for (int k = 0; k < nout; k++) assert_close(&got[run][k], &want[k], tol, run == 2 ? "fallback" : "jit");
    cg_model_free(m);
  }
  for (int k = 0; k < nout; k++) /* thread count: the same bits */
    assert_memory_equal(got[0][k].data, got[1][k].data, (size_t)got[0][k].nbytes);
  kt_free_tensors(in, nin), kt_free_tensors(want, nout);
  for (int run = 0; run < 3; run++) kt_free_tensors(got[run], nout);
}

static const char *const FUSE = "fuse-elementwise,fuse-matmul,fuse-conv,dce";

/* x [B, M, K] x w [K, N] + bias, GELU, + residual */
static void check_matmul_shape(void **state, int64_t B, int64_t M, int64_t K, int64_t N, bool batched_w) {
  char text[1024];
  if (!batched_w)
    snprintf(text, sizeof text,
             "graph t {\n input x: f32[%lld, %lld, %lld]\n input r: f32[%lld, %lld, %lld]\n"
             " const w: f32[%lld, %lld] = normal(seed=21, std=0.05)\n const b: f32[%lld] = normal(seed=22)\n"
             " m = MatMul(x, w)\n a = Add(m, b)\n ge = Gelu(a)\n y = Add(ge, r)\n output y\n}\n",
             (long long)B, (long long)M, (long long)K, (long long)B, (long long)M, (long long)N, (long long)K,
             (long long)N, (long long)N);
  else /* a batched product (attention-like): B differs per batch */
    snprintf(text, sizeof text,
             "graph t {\n input x: f32[%lld, %lld, %lld]\n input w: f32[%lld, %lld, %lld]\n"
             " input r: f32[%lld, %lld, %lld]\n const b: f32[%lld] = normal(seed=22)\n"
             " m = MatMul(x, w)\n a = Add(m, b)\n ge = Gelu(a)\n y = Add(ge, r)\n output y\n}\n",
             (long long)B, (long long)M, (long long)K, (long long)B, (long long)K, (long long)N, (long long)B,
             (long long)M, (long long)N, (long long)N);
  check_jit(state, text, FUSE, IR_OP_FusedMatMul, 1, 2e-5);
}

static void test_jit_fused_matmul(void **state) {
  check_matmul_shape(state, 1, 5, 300, 37, false);   /* 2 K blocks, a partial panel */
  check_matmul_shape(state, 2, 25, 600, 100, false); /* 3 K blocks, enough flops for the pool */
  check_matmul_shape(state, 1, 50, 768, 768, false); /* a ViT projection: panels split */
  check_matmul_shape(state, 1, 600, 64, 40, false);  /* M > 512: row blocks */
  check_matmul_shape(state, 4, 9, 270, 20, true);    /* batched, each its own B */
  check_matmul_shape(state, 16, 50, 64, 50, true);   /* many products: split by batch */
  /* the whole CLIP MLP chain (bias, QuickGELU), a bias-only in-projection,
   * and Gemm with a transposed constant B and column C */
  check_jit(state, g_mlp, FUSE, IR_OP_FusedMatMul, 1, 2e-5);
  check_jit(state, "graph t {\n input x: f32[7, 300]\n const w: f32[300, 96] = normal(seed=3, std=0.05)\n"
                   " const b: f32[96] = normal(seed=4)\n const sz: i64[3] = [32, 32, 32]\n"
                   " m = MatMul(x, w)\n a = Add(m, b)\n q, k, v = Split(a, sz) {axis=-1}\n output q, k, v\n}\n",
            FUSE, IR_OP_FusedMatMul, 1, 2e-5);
  check_jit(state, g_qkv, "fuse-matmul,merge-qkv,dce", IR_OP_FusedMatMul, 2, 2e-5);
  check_jit(state, "graph t {\n input x: f32[30, 280]\n const w: f32[45, 280] = normal(seed=7, std=0.05)\n"
                   " const b: f32[30, 1] = normal(seed=8)\n input r: f32[30, 45]\n"
                   " m = Gemm(x, w, b) {transB=1, alpha=0.5, beta=2.0}\n t = Tanh(m)\n y = Mul(t, r)\n output y\n}\n",
            FUSE, IR_OP_FusedGemm, 1, 2e-5);
}

static void test_jit_fused_conv(void **state) {
  const char *const convs[] = {
      /* direct form (many positions): bias, per-channel addend, Relu, residual */
      "graph t {\n input x: f32[2, 16, 20, 20]\n input e: f32[2, 24, 1, 1]\n input r: f32[2, 24, 20, 20]\n"
      " const w: f32[24, 16, 3, 3] = normal(seed=11, std=0.1)\n const b: f32[24] = normal(seed=12)\n"
      " c = Conv(x, w, b) {pads=[1, 1, 1, 1]}\n a = Add(c, e)\n h = Relu(a)\n y = Add(r, h)\n output y\n}\n",
      /* transposed form (49 positions, 32 channels a group: 2 groups, K = 96*4 = 384) with SiLU */
      "graph t {\n input x: f32[1, 192, 14, 14]\n const w: f32[64, 96, 2, 2] = normal(seed=13, std=0.1)\n"
      " const b: f32[64] = normal(seed=14)\n"
      " c = Conv(x, w, b) {strides=[2, 2], group=2}\n s = Sigmoid(c)\n y = Mul(c, s)\n output y\n}\n",
      /* 1x1 (the input read in place), K = 320 in 2 blocks, a residual */
      "graph t {\n input x: f32[1, 320, 9, 9]\n input r: f32[1, 40, 9, 9]\n"
      " const w: f32[40, 320, 1, 1] = normal(seed=15, std=0.05)\n"
      " c = Conv(x, w)\n y = Add(c, r)\n output y\n}\n",
      /* 2 groups of 520 channels (row blocks of the GEMM), K = 288 in 2 blocks,
       * the weights packed at compile time; then the same with run-time weights */
      "graph t {\n input x: f32[1, 64, 8, 16]\n input r: f32[1, 1040, 8, 16]\n"
      " const w: f32[1040, 32, 3, 3] = normal(seed=18, std=0.1)\n const b: f32[1040] = normal(seed=19)\n"
      " c = Conv(x, w, b) {group=2, pads=[1, 1, 1, 1]}\n y = Add(c, r)\n output y\n}\n",
      "graph t {\n input x: f32[1, 64, 8, 16]\n input w: f32[80, 32, 3, 3]\n"
      " c = Conv(x, w) {group=2, pads=[1, 1, 1, 1]}\n y = Relu(c)\n output y\n}\n",
      /* depthwise with a channel multiplier, HardSwish */
      "graph t {\n input x: f32[2, 6, 9, 9]\n const w: f32[12, 1, 3, 3] = normal(seed=16, std=0.3)\n"
      " const b: f32[12] = normal(seed=17)\n"
      " c = Conv(x, w, b) {group=6, pads=[1, 1, 1, 1]}\n y = HardSwish(c)\n output y\n}\n",
  };
  for (size_t i = 0; i < sizeof convs / sizeof convs[0]; i++)
    check_jit(state, convs[i], FUSE, IR_OP_FusedConv, 1, 2e-5);
}

KT_MAIN(
    KT_TEST(test_fuse_matmul_chain),
    KT_TEST(test_fuse_matmul_limits),
    KT_TEST(test_fuse_conv),
    KT_TEST(test_fold_batchnorm),
    KT_TEST(test_merge_qkv),
    KT_TEST(test_jit_fused_matmul),
    KT_TEST(test_jit_fused_conv))
