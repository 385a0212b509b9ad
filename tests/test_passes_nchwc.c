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
#include "pass_check.h"

#include "cg.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static ir_graph *parse(kn_ctx *kn, const char *text) {
  ir_graph *g = kt_parse_graph(kn, text);
  if (!g) fail_msg("%s\n%s", kn_errmsg(kn), text);
  return g;
}

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

static void make_inputs(kn_ctx *kn, const ir_graph *g, kn_tensor *in) {
  for (int i = 0; i < g->ninputs; i++) {
    const ir_type *t = &g->values[g->inputs[i]].type;
    assert_int_equal(kn_tensor_alloc(kn, &in[i], t->dtype, t->rank, t->dims), KN_OK);
    float *p = in[i].data;
    for (int64_t k = 0; k < kn_tensor_numel(&in[i]); k++) p[k] = 1.7f * sinf(0.37f * (float)k + 0.4f * (float)i);
  }
}

static void run_ref(kn_ctx *kn, ir_graph *g, const kn_tensor *in, kn_tensor *out) {
  if (ref_run_graph(kn, g, in, g->ninputs, out, g->noutputs) != KN_OK) fail_msg("%s", kn_errmsg(kn));
}

static void expect_close(const kn_tensor *got, const kn_tensor *want, float tol, const char *what) {
  assert_int_equal(kn_tensor_numel(got), kn_tensor_numel(want));
  const float *y = got->data, *w = want->data;
  for (int64_t i = 0; i < kn_tensor_numel(want); i++)
    if (!(fabsf(y[i] - w[i]) <= tol * (1 + fabsf(w[i]))))
      fail_msg("%s: element %lld is %.9g, want %.9g", what, (long long)i, y[i], w[i]);
}

static void run_pass_opt(ir_graph *g, const char *pipeline, int block, bool all, int32_t *changed) {
  char buf[4096];
  FILE *f = fmemopen(buf, sizeof buf, "w");
  pm_options o = {.pipeline = pipeline, .verify_each = true, .nchwc_block = block, .nchwc_all = all,
                  .pass_stats = true, .out = f};
  if (pm_run(g, &o) != KN_OK) fail_msg("%s", kn_errmsg(g->ctx));
  fclose(f);
  const char *p = strstr(buf, "layout-nchwc: ");
  if (changed) *changed = p ? atoi(p + strlen("layout-nchwc: ")) : -1;
}

/* Every convolution the pass can convert (its speed rule is tested apart). */
static void run_pass(ir_graph *g, const char *pipeline, int block, int32_t *changed) {
  run_pass_opt(g, pipeline, block, true, changed);
}

/* The pass on every case and block: the ops after it, and the reference's
 * outputs before and after. */
static void test_pass_matches_reference(void **state) {
  (void)state;
  const int blocks[] = {4, 8, 16};
  for (int ci = 0; ci < NCASES; ci++)
    for (int bi = 0; bi < 3; bi++) {
      kn_ctx *kn = kn_ctx_new();
      char *text = block_graph(&cases[ci]);
      ir_graph *g0 = parse(kn, text), *g = parse(kn, text);
      int32_t changed;
      run_pass(g, "layout-nchwc,dce", blocks[bi], &changed);
      {
        assert_true(changed > 0);
        assert_int_equal(kt_count_op(g, IR_OP_Conv), 0);
        assert_int_equal(kt_count_op(g, IR_OP_ConvNCHWc), 2);
        assert_int_equal(kt_count_op(g, IR_OP_Relu), 0); /* in the first conv's epilogue */
        assert_int_equal(kt_count_op(g, IR_OP_PoolNCHWc), 3);
        assert_int_equal(kt_count_op(g, IR_OP_ToNCHWc), 1);   /* the input */
        assert_int_equal(kt_count_op(g, IR_OP_FromNCHWc), 3); /* the outputs */
      }
      kn_tensor in[1], want[NOUT], got[NOUT];
      make_inputs(kn, g0, in);
      run_ref(kn, g0, in, want);
      run_ref(kn, g, in, got);
      for (int k = 0; k < NOUT; k++) {
        char what[96];
        snprintf(what, sizeof what, "case %d block %d output %d", ci, blocks[bi], k);
        expect_close(&got[k], &want[k], 1e-5f, what);
        kn_tensor_free(&got[k]);
        kn_tensor_free(&want[k]);
      }
      kn_tensor_free(&in[0]);
      ir_graph_free(g0);
      ir_graph_free(g);
      free(text);
      kn_ctx_free(kn);
    }
}

/* JIT with the given block (0: the target's) and threads. */
static void jit_run(kn_ctx *kn, const char *text, int block, int threads, const kn_tensor *in, kn_tensor *out,
                    cg_stats *st) {
  ir_graph *g = parse(kn, text);
  int ranks[1] = {in[0].rank};
  int64_t dims[1][KN_MAX_RANK];
  memcpy(dims[0], in[0].dims, sizeof dims[0]);
  pm_options pm = {.pipeline = "layout-nchwc,fuse-elementwise,dce", .verify_each = true, .nchwc_block = block,
                   .nchwc_all = true};
  cg_options opt = {.opt_level = 2, .no_cache = true, .passes = &pm, .threads = threads};
  cg_model *m = NULL;
  if (cg_compile(kn, g, ranks, (const int64_t(*)[KN_MAX_RANK])dims, &opt, &m) != KN_OK) fail_msg("%s", kn_errmsg(kn));
  cg_model_stats(m, st);
  if (cg_run(m, in, 1, out, NOUT) != KN_OK) fail_msg("%s", kn_errmsg(kn));
  cg_model_free(m);
}

static void test_jit_matches_reference(void **state) {
  (void)state;
  const int blocks[] = {0, 4, 8};
  for (int ci = 0; ci < NCASES; ci++)
    for (int bi = 0; bi < 3; bi++) {
      kn_ctx *kn = kn_ctx_new();
      char *text = block_graph(&cases[ci]);
      ir_graph *g0 = parse(kn, text);
      kn_tensor in[1], want[NOUT], got1[NOUT], got2[NOUT];
      make_inputs(kn, g0, in);
      run_ref(kn, g0, in, want);
      cg_stats st;
      jit_run(kn, text, blocks[bi], 1, in, got1, &st);
      for (int op = 0; op < IR_OP_COUNT; op++)
        if (st.fallback_op[op]) fail_msg("case %d block %d: %s runs on its reference kernel", ci, blocks[bi], ir_op_table[op].name);
      jit_run(kn, text, blocks[bi], 2, in, got2, &st);
      for (int k = 0; k < NOUT; k++) {
        char what[96];
        snprintf(what, sizeof what, "jit case %d block %d output %d", ci, blocks[bi], k);
        expect_close(&got1[k], &want[k], 1e-5f, what);
        assert_memory_equal(got1[k].data, got2[k].data, (size_t)got1[k].nbytes); /* threads 1 == 2 */
        kn_tensor_free(&got1[k]);
        kn_tensor_free(&got2[k]);
        kn_tensor_free(&want[k]);
      }
      kn_tensor_free(&in[0]);
      ir_graph_free(g0);
      free(text);
      kn_ctx_free(kn);
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
  (void)state;
  kn_ctx *kn = kn_ctx_new();
  ir_graph *g0 = parse(kn, g_regions), *g = parse(kn, g_regions);
  int32_t changed;
  run_pass(g, "layout-nchwc,dce", 8, &changed);
  assert_true(changed > 0);
  assert_int_equal(kt_count_op(g, IR_OP_ConvNCHWc), 4);
  assert_int_equal(kt_count_op(g, IR_OP_Concat), 1);
  assert_int_equal(kt_count_op(g, IR_OP_ToNCHWc), 2);   /* x, and t after the Transpose */
  assert_int_equal(kt_count_op(g, IR_OP_FromNCHWc), 2); /* e (output and Transpose input), h */
  kn_tensor in[1], want[2], got[2];
  make_inputs(kn, g0, in);
  run_ref(kn, g0, in, want);
  run_ref(kn, g, in, got);
  for (int k = 0; k < 2; k++) expect_close(&got[k], &want[k], 1e-5f, "regions");

  /* the text form round-trips, and a second run of the pass changes nothing */
  ir_print_opts po = {.max_const_elems = -1};
  char *t1 = ir_print(g, &po);
  ir_graph *g2 = NULL;
  if (ir_parse(kn, t1, "rt.kir", &g2) != KN_OK || ir_infer_graph(g2) != KN_OK) fail_msg("%s", kn_errmsg(kn));
  char *t2 = ir_print(g2, &po);
  assert_string_equal(t1, t2);
  run_pass(g2, "layout-nchwc,dce", 8, &changed);
  assert_int_equal(changed, 0);
  char *t3 = ir_print(g2, &po);
  assert_string_equal(t1, t3);
  for (int k = 0; k < 2; k++) {
    kn_tensor_free(&got[k]);
    kn_tensor_free(&want[k]);
  }
  kn_tensor_free(&in[0]);
  free(t1), free(t2), free(t3);
  ir_graph_free(g2);
  ir_graph_free(g0);
  ir_graph_free(g);
  kn_ctx_free(kn);
}

/* ToNCHWc(FromNCHWc(x)) written by hand cancels. */
static void test_cancel_pairs(void **state) {
  (void)state;
  kn_ctx *kn = kn_ctx_new();
  ir_graph *g = parse(kn, "graph t {\n input x: f32[1, 3, 2, 2]\n b = ToNCHWc(x) {block=4}\n"
                          " y = FromNCHWc(b) {channels=3}\n b2 = ToNCHWc(y) {block=4}\n r = Relu(b2)\n"
                          " o = FromNCHWc(r) {channels=3}\n output o\n}\n");
  run_pass(g, "layout-nchwc,dce", 4, NULL);
  assert_int_equal(kt_count_op(g, IR_OP_ToNCHWc), 1);
  assert_int_equal(kt_count_op(g, IR_OP_FromNCHWc), 1);
  ir_graph_free(g);
  kn_ctx_free(kn);
}

/* The speed rule (docs/passes.md): a region starts only at a spatial conv
 * with whole input blocks and enough output pixels; inside a region half a
 * block of channels suffices; a 1x1 conv on an NCHW value, a 3-channel stem
 * or a small image stay im2col + GEMM. */
static void test_speed_rule(void **state) {
  (void)state;
  kn_ctx *kn = kn_ctx_new();
  ir_graph *g = parse(kn, "graph t opset 17 {\n input x: f32[1, 3, 64, 64]\n input y: f32[1, 32, 8, 8]\n"
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
  assert_int_equal(kt_count_op(g, IR_OP_ConvNCHWc), 2);
  assert_int_equal(kt_count_op(g, IR_OP_Conv), 3);
  ir_graph_free(g);
  kn_ctx_free(kn);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pass_matches_reference),
      cmocka_unit_test(test_jit_matches_reference),
      cmocka_unit_test(test_regions_and_round_trip),
      cmocka_unit_test(test_cancel_pairs),
      cmocka_unit_test(test_speed_rule),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
