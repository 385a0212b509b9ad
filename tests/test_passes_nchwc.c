/* test_passes_nchwc.c: the layout-nchwc pass and the blocked ops. Small conv
 * graphs in text IR (conv -> relu -> conv -> per-channel scale -> residual
 * add -> pool, with 3/5/16/24/32 channels, strides, padding, dilation, 1x1,
 * 3x3 and 7x7 kernels, depthwise, a channel Concat, and an op the layout does
 * not cross): after the pass every Conv is a ConvNCHWc and the only layout
 * conversions are at the region's edges; the reference executor gives the
 * same outputs before and after (1e-5) for blocks of 4, 8 and 16; the JIT
 * (the direct convolution kernels of each block width) matches the
 * reference, and 1 and 2 threads give identical bits; the IR prints and
 * parses back to the same text; a second run of the pass changes nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ir_text.h"
#include "unit.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One conv block: the first conv's geometry varies, the rest is a residual
 * tail every case shares. */
typedef struct conv_case {
  int C, M, k, stride, pad, dil, H, W;
  bool depthwise; /* the second conv is depthwise 3x3 */
} conv_case;

static char *block_graph(const conv_case *t) {
  char *s = malloc(4096);
  snprintf(s, 4096,
           "graph t opset 17 {\n"
           "  input x: f32[1, %d, %d, %d]\n"
           "  const w1: f32[%d, %d, %d, %d] = normal(seed=1, std=0.2)\n"
           "  const b1: f32[%d] = normal(seed=2, std=0.1)\n"
           "  const w2: f32[%d, %d, 3, 3] = normal(seed=3, std=0.1)\n"
           "  const b2: f32[%d] = normal(seed=4, std=0.1)\n"
           "  const sc: f32[%d, 1, 1] = normal(seed=5, std=1)\n"
           "  c1 = Conv(x, w1, b1) {kernel_shape=[%d, %d], strides=[%d, %d], pads=[%d, %d, %d, %d], dilations=[%d, %d]}\n"
           "  r1 = Relu(c1)\n"
           "  c2 = Conv(r1, w2, b2) {pads=[1, 1, 1, 1], group=%d}\n"
           "  m = Mul(c2, sc)\n"
           "  a = Add(m, r1)\n"
           "  s = Sigmoid(a)\n"
           "  p = MaxPool(s) {kernel_shape=[2, 2], strides=[2, 2]}\n"
           "  q = AveragePool(a) {kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]}\n"
           "  g = GlobalAveragePool(a)\n"
           "  output p, q, g\n"
           "}\n",
           t->C, t->H, t->W, t->M, t->C, t->k, t->k, t->M, t->M, t->depthwise ? 1 : t->M, t->M, t->M, t->k, t->k,
           t->stride, t->stride, t->pad, t->pad, t->pad, t->pad, t->dil, t->dil, t->depthwise ? t->M : 1);
  return s;
}

static const conv_case cases[] = {
    {3, 16, 7, 2, 3, 1, 23, 29, false},  /* a stem: 7x7 stride 2, 3 input channels */
    {5, 24, 3, 1, 1, 1, 12, 13, false},  /* partial blocks in and out */
    {16, 32, 1, 1, 0, 1, 9, 31, false},  /* 1x1 */
    {24, 24, 3, 2, 1, 1, 15, 17, false}, /* stride 2 */
    {32, 16, 3, 1, 2, 2, 14, 14, false}, /* dilation 2 */
    {16, 24, 3, 1, 1, 1, 10, 27, true},  /* depthwise second conv */
    {5, 5, 5, 1, 0, 1, 8, 8, false},     /* no interior columns wide enough for a tile of 4 */
};
enum { NCASES = sizeof cases / sizeof cases[0], NOUT = 3 };

/* deterministic inputs (kt_make_inputs) */
static const kt_wave wave = {.amp = 1.7f, .freq = 0.37f, .phase = 0.4f};

static void run_pass_opt(ir_graph *g, const char *pipeline, int block, bool all, int32_t *changed) {
  char buf[4096];
  FILE *f = fmemopen(buf, sizeof buf, "w");
  pm_options o = {.pipeline = pipeline, .verify_each = true, .nchwc_block = block, .nchwc_all = all,
                  .pass_stats = true, .out = f};
  kt_passes(g, &o);
  fclose(f);
  const char *p = strstr(buf, "layout-nchwc: ");
  if (changed) *changed = p ? atoi(p + strlen("layout-nchwc: ")) : -1;
}

/* Every convolution the pass can convert (its speed rule is tested apart). */
static void run_pass(ir_graph *g, const char *pipeline, int block, int32_t *changed) {
  run_pass_opt(g, pipeline, block, true, changed);
}

/* g and g0 (the graph before the pass) compute the same outputs on the
 * reference executor within 1e-5; a failure names `what` and the output. */
static void same_on_reference(kn_ctx *kn, ir_graph *g0, ir_graph *g, const char *what) {
  enum { MAXOUT = 4 };
  const int nout = g0->noutputs;
  assert_true(nout <= MAXOUT);
  kn_tensor in[1], want[MAXOUT], got[MAXOUT];
  kt_make_inputs(kn, g0, &wave, in);
  kt_ref_run(kn, g0, in, want, nout);
  kt_ref_run(kn, g, in, got, nout);
  for (int k = 0; k < nout; k++) {
    char where[128];
    snprintf(where, sizeof where, "%s output %d", what, k);
    kt_expect_close(&got[k], &want[k], 1e-5f, where);
  }
  kt_free_tensors(got, nout), kt_free_tensors(want, nout), kt_free_tensors(in, 1);
}

/* The pass on every case and block: the ops after it, and the reference's
 * outputs before and after. */
static void test_pass_matches_reference(void **state) {
  const int blocks[] = {4, 8, 16};
  for (int ci = 0; ci < NCASES; ci++)
    for (int bi = 0; bi < 3; bi++) {
      char *text = block_graph(&cases[ci]);
      ir_graph *g0 = kt_load(state, text), *g = kt_load(state, text);
      free(text);
      int32_t changed;
      run_pass(g, "layout-nchwc,dce", blocks[bi], &changed);
      assert_true(changed > 0);
      /* the Relu goes into the first conv's epilogue; ToNCHWc for the input, FromNCHWc for the outputs */
      kt_expect_counts(g, "Conv=0 ConvNCHWc=2 Relu=0 PoolNCHWc=3 ToNCHWc=1 FromNCHWc=3");
      char what[96];
      snprintf(what, sizeof what, "case %d block %d", ci, blocks[bi]);
      same_on_reference(kt_kn(state), g0, g, what);
    }
}

/* JIT with the given block (0: the target's) and threads. */
static void jit_run(kn_ctx *kn, const char *text, int block, int threads, const kn_tensor *in, kn_tensor *out,
                    cg_stats *st) {
  pm_options pm = {.pipeline = "layout-nchwc,fuse-elementwise,dce", .verify_each = true, .nchwc_block = block,
                   .nchwc_all = true};
  cg_options opt = {.opt_level = 2, .no_cache = true, .passes = &pm, .threads = threads};
  cg_model *m = kt_jit_compile(kn, kt_parse(kn, text), in, &opt);
  cg_model_stats(m, st);
  kt_jit_run(kn, m, in, 1, out, NOUT);
  cg_model_free(m);
}

static void test_jit_matches_reference(void **state) {
  kn_ctx *kn = kt_kn(state);
  const int blocks[] = {0, 4, 8};
  for (int ci = 0; ci < NCASES; ci++)
    for (int bi = 0; bi < 3; bi++) {
      char *text = block_graph(&cases[ci]);
      ir_graph *g0 = kt_load(state, text);
      kn_tensor in[1], want[NOUT], got1[NOUT], got2[NOUT];
      kt_make_inputs(kn, g0, &wave, in);
      kt_ref_run(kn, g0, in, want, NOUT);
      cg_stats st;
      jit_run(kn, text, blocks[bi], 1, in, got1, &st);
      for (int op = 0; op < IR_OP_COUNT; op++)
        if (st.fallback_op[op]) fail_msg("case %d block %d: %s runs on its reference kernel", ci, blocks[bi], ir_op_table[op].name);
      jit_run(kn, text, blocks[bi], 2, in, got2, &st);
      for (int k = 0; k < NOUT; k++) {
        char what[96];
        snprintf(what, sizeof what, "jit case %d block %d output %d", ci, blocks[bi], k);
        kt_expect_close(&got1[k], &want[k], 1e-5f, what);
        assert_memory_equal(got1[k].data, got2[k].data, (size_t)got1[k].nbytes); /* threads 1 == 2 */
      }
      kt_free_tensors(got1, NOUT), kt_free_tensors(got2, NOUT), kt_free_tensors(want, NOUT), kt_free_tensors(in, 1);
      free(text);
    }
}

/* A Concat of two conv branches along channels stays blocked; a Transpose
 * (which the layout does not cross) gets conversions around it, and the conv
 * after it starts a second region. */
static const char *const g_regions =
    "graph t opset 17 {\n"
    "  input x: f32[1, 8, 11, 11]\n"
    "  const wa: f32[16, 8, 3, 3] = normal(seed=1, std=0.2)\n"
    "  const wb: f32[16, 8, 1, 1] = normal(seed=2, std=0.2)\n"
    "  const wc: f32[24, 32, 3, 3] = normal(seed=3, std=0.1)\n"
    "  const wd: f32[16, 24, 3, 3] = normal(seed=4, std=0.1)\n"
    "  const bd: f32[16] = normal(seed=5, std=0.1)\n"
    "  const half: f32[] = [0.5]\n"
    "  a = Conv(x, wa) {pads=[1, 1, 1, 1]}\n"
    "  b = Conv(x, wb)\n"
    "  c = Concat(a, b) {axis=1}\n"
    "  d = Conv(c, wc) {pads=[1, 1, 1, 1]}\n"
    "  e = Mul(d, half)\n"
    "  t = Transpose(e) {perm=[0, 1, 3, 2]}\n"
    "  f = Conv(t, wd, bd) {pads=[1, 1, 1, 1]}\n"
    "  h = Relu(f)\n"
    "  output h, e\n"
    "}\n";

static void test_regions_and_round_trip(void **state) {
  ir_graph *g0 = kt_load(state, g_regions), *g = kt_load(state, g_regions);
  int32_t changed;
  run_pass(g, "layout-nchwc,dce", 8, &changed);
  assert_true(changed > 0);
  /* ToNCHWc: x, and t after the Transpose; FromNCHWc: e (output and Transpose input), h */
  kt_expect_counts(g, "ConvNCHWc=4 Concat=1 ToNCHWc=2 FromNCHWc=2");
  same_on_reference(kt_kn(state), g0, g, "regions");

  /* the text form round-trips, and a second run of the pass changes nothing */
  char *t1;
  ir_graph *g2 = kt_keep(state, kt_text_round_trip(kt_kn(state), g, &t1));
  run_pass(g2, "layout-nchwc,dce", 8, &changed);
  assert_int_equal(changed, 0);
  char *t3 = ir_print(g2, NULL);
  assert_string_equal(t1, t3);
  free(t1), free(t3);
}

/* ToNCHWc(FromNCHWc(x)) written by hand cancels. */
static void test_cancel_pairs(void **state) {
  ir_graph *g = kt_load(state, "graph t {\n input x: f32[1, 3, 2, 2]\n b = ToNCHWc(x) {block=4}\n"
                               " y = FromNCHWc(b) {channels=3}\n b2 = ToNCHWc(y) {block=4}\n r = Relu(b2)\n"
                               " o = FromNCHWc(r) {channels=3}\n output o\n}\n");
  run_pass(g, "layout-nchwc,dce", 4, NULL);
  kt_expect_counts(g, "ToNCHWc=1 FromNCHWc=1");
}

/* The speed rule (docs/passes.md): a region starts only at a spatial conv
 * with whole input blocks and enough output pixels; inside a region half a
 * block of channels suffices; a 1x1 conv on an NCHW value, a 3-channel stem
 * or a small image stay im2col + GEMM. */
static void test_speed_rule(void **state) {
  ir_graph *g = kt_load(state, "graph t opset 17 {\n input x: f32[1, 3, 64, 64]\n input y: f32[1, 32, 8, 8]\n"
                               " const ws: f32[16, 3, 3, 3] = normal(seed=1, std=0.1)\n"
                               " const wa: f32[16, 16, 3, 3] = normal(seed=2, std=0.1)\n"
                               " const wb: f32[8, 16, 1, 1] = normal(seed=3, std=0.1)\n"
                               " const wc: f32[16, 16, 1, 1] = normal(seed=4, std=0.1)\n"
                               " const wd: f32[32, 32, 3, 3] = normal(seed=5, std=0.1)\n"
                               " stem = Conv(x, ws) {pads=[1, 1, 1, 1]}\n"  /* 3 channels: stays */
                               " pw = Conv(stem, wc)\n"                     /* 1x1 on NCHW: stays */
                               " a = Conv(pw, wa) {pads=[1, 1, 1, 1]}\n"    /* starts a region */
                               " b = Conv(a, wb)\n"                         /* in the region, 8 >= 16/2 */
                               " d = Conv(y, wd) {pads=[1, 1, 1, 1]}\n"     /* 8x8: too small to start */
                               " output b, d\n}\n");
  int32_t changed;
  run_pass_opt(g, "layout-nchwc,dce", 16, false, &changed);
  kt_expect_counts(g, "ConvNCHWc=2 Conv=3");
}

KT_MAIN(
    KT_TEST(test_pass_matches_reference),
    KT_TEST(test_jit_matches_reference),
    KT_TEST(test_regions_and_round_trip),
    KT_TEST(test_cancel_pairs),
    KT_TEST(test_speed_rule))
