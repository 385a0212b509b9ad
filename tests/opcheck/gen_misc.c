/* gen_misc.c: opcheck cases of the remaining ops (losses, quantization,
 * windows, NonMaxSuppression, If/Loop, a user's Custom op) and of small
 * chains of ops, alone and after kiln's -O2/-O3 pass pipelines, where the
 * memory plan puts views and in-place results next to each other (the
 * per-op cases rarely do). */
#include "opcheck.h"
#include "passes.h"
#include <stdio.h>
#include <string.h>

static void gen_losses(oc_suite *s) {
  static const char *const red[] = {"none", "sum", "mean"};
  for (int k = 0; k < 6; k++) {
    int64_t n = oc_rand(s, 1, 5), c = oc_rand(s, 2, 6), d1 = oc_rand(s, 1, 4);
    bool sp = k % 2, w = k % 3 != 0;
    char x[64], t[64], wd[64] = "";
    snprintf(x, sizeof x, sp ? "%lld, %lld, %lld" : "%lld, %lld", (long long)n, (long long)c, (long long)d1);
    snprintf(t, sizeof t, sp ? "%lld, %lld" : "%lld", (long long)n, (long long)d1);
    if (w) snprintf(wd, sizeof wd, " input @w: f32[%lld]\n", (long long)c);
    oc_case *cs = oc_add(s, "NegativeLogLikelihoodLoss",
                         "input @x: f32[%s]\n input @t: i64[%s]\n%s @y = NegativeLogLikelihoodLoss(@x, @t%s) "
                         "{reduction=\"%s\"%s}\n output @y",
                         x, t, wd, w ? ", @w" : "", red[k % 3], k == 4 ? ", ignore_index=1" : "");
    oc_range_of(cs, "t", 0, (double)(c - 1));
    oc_range_of(cs, "w", 0.2, 2);
    cs = oc_add(
        s, "SoftmaxCrossEntropyLoss",
        "input @x: f32[%s]\n input @t: i64[%s]\n%s @y%s = SoftmaxCrossEntropyLoss(@x, @t%s) {reduction=\"%s\"%s}\n"
        " output @y%s",
        x, t, wd, k % 2 ? ", @lp" : "", w ? ", @w" : "", red[k % 3], k == 3 ? ", ignore_index=0" : "",
        k % 2 ? ", @lp" : "");
    oc_range_of(cs, "t", 0, (double)(c - 1));
    oc_range_of(cs, "w", 0.2, 2);
  }
}

static void gen_quant(oc_suite *s) {
  static const char *const zdt[] = {"u8", "i8", "u8", "i8"};
  for (int k = 0; k < 4; k++) {
    int64_t m = oc_odd(s), c = oc_rand(s, 1, 5);
    const char *z = zdt[k];
    if (k < 2) { /* per tensor */
      oc_add(s, "QuantizeLinear",
             "input @x: f32[%lld, %lld]\n const @s: f32[] = [0.05]\n const @z: %s[] = [%d]\n"
             " @y = QuantizeLinear(@x, @s, @z)\n output @y",
             (long long)m, (long long)c, z, z[0] == 'u' ? 128 : -3);
      oc_add(s, "DequantizeLinear",
             "input @x: %s[%lld, %lld]\n const @s: f32[] = [0.05]\n const @z: %s[] = [%d]\n"
             " @y = DequantizeLinear(@x, @s, @z)\n output @y",
             z, (long long)m, (long long)c, z, z[0] == 'u' ? 128 : -3);
    } else { /* per channel (axis 1) */
      oc_add(s, "QuantizeLinear",
             "input @x: f32[2, %lld, %lld]\n input @s: f32[%lld]\n const @z: %s[%lld] = zeros\n"
             " @y = QuantizeLinear(@x, @s, @z) {axis=1}\n output @y",
             (long long)c, (long long)m, (long long)c, z, (long long)c);
      oc_range_of(&s->cases[s->n - 1], "s", 0.01, 0.1);
      oc_add(s, "DequantizeLinear",
             "input @x: %s[2, %lld, %lld]\n input @s: f32[%lld]\n @y = DequantizeLinear(@x, @s) {axis=1}\n"
             " output @y",
             z, (long long)c, (long long)m, (long long)c);
    }
  }
  oc_add(s, "QuantizeLinear",
         "input @x: f32[%lld]\n const @s: f32[] = [0.02]\n @y = QuantizeLinear(@x, @s)\n output @y",
         (long long)oc_odd(s));
  oc_add(s, "DequantizeLinear",
         "input @x: i32[%lld]\n const @s: f32[] = [0.5]\n @y = DequantizeLinear(@x, @s)\n output @y",
         (long long)oc_odd(s));
}

static void gen_dynamic(oc_suite *s) {
  static const char *const win[] = {"HannWindow", "HammingWindow", "BlackmanWindow"};
  for (int k = 0; k < 3; k++) {
    oc_add(s, win[k],
           "input @x: f32[9]\n const @n: i64[] = [9]\n @w = %s(@n) {periodic=%d}\n @y = Mul(@x, @w)\n output @y",
           win[k], k % 2);
    oc_case *c = oc_add(s, win[k], "input @n: i32[]\n @y = %s(@n) {output_datatype=11}\n output @y", win[k]);
    c->solo = true;
    oc_range_of(c, "n", 1, 17);
  }
  oc_case *c =
      oc_add(s, "NonMaxSuppression",
             "input @b: f32[1, 6, 4]\n input @sc: f32[1, 2, 6]\n const @m: i64[] = [3]\n const @iou: f32[] = [0.5]\n"
             " const @st: f32[] = [0.2]\n @y = NonMaxSuppression(@b, @sc, @m, @iou, @st)\n output @y");
  c->solo = true, c->lo = 0, c->hi = 1;
  c = oc_add(s, "NonMaxSuppression",
             "input @b: f32[2, 5, 4]\n input @sc: f32[2, 1, 5]\n const @m: i64[] = [2]\n"
             " @y = NonMaxSuppression(@b, @sc, @m) {center_point_box=1}\n output @y");
  c->solo = true, c->lo = 0.1, c->hi = 1;
  c = oc_add(s, "If",
             "input @c: bool[]\n input @x: f32[3, 4]\n @y = If(@c) {then_branch=graph {\n @t = Relu(@x)\n"
             " output @t\n }, else_branch=graph {\n @e = Neg(@x)\n output @e\n }}\n output @y");
  c->solo = true;
  c = oc_add(s, "Loop",
             "input @n: i64[]\n input @c: bool[]\n input @x: f32[3]\n const @w: f32[3] = [1, 2, 3]\n"
             " @f, @sc = Loop(@n, @c, @x) {body=graph {\n input @i: i64[]\n input @ci: bool[]\n"
             " input @acc: f32[3]\n @s = Add(@acc, @w)\n @co = Identity(@ci)\n output @co, @s, @s\n }}\n"
             " output @f, @sc");
  c->solo = true;
  oc_range_of(c, "n", 0, 4);
}

static void gen_custom(oc_suite *s) {
#ifdef KILN_TEST_CUSTOMOP_LIB
  oc_add(s, "Custom",
         "input @x: f32[%lld, %lld]\n @y = Custom(@x) {op_type=\"MySwish\", library=\"%s\","
         " signature=\"void kiln_test_swish(in0, numel(in0), out0, attr_f(beta))\", beta=1.5}\n output @y",
         (long long)oc_odd(s), (long long)oc_odd(s), KILN_TEST_CUSTOMOP_LIB);
#else
  (void)s;
#endif
}

/* Chains: several ops, intermediate results reused, some also outputs. */
static void gen_chains(oc_suite *s) {
  static const char *const chains[] = {
      /* views and in-place elementwise next to each other */
      "input @x: f32[6, 10]\n input @r: f32[10]\n @t = Transpose(@x)\n @u = Relu(@t)\n const @sh: i64[2] = [5, 12]\n"
      " @v = Reshape(@u, @sh)\n @w = Softmax(@v)\n @a = Add(@x, @r)\n @b = Mul(@a, @a)\n @c = Flatten(@b)\n"
      " output @w, @b, @c",
      /* a small convolutional net */
      "input @x: f32[2, 3, 12, 12]\n const @w1: f32[8, 3, 3, 3] = normal(seed=21, std=0.3)\n const @b1: f32[8] = "
      "normal(seed=22)\n"
      " @c1 = Conv(@x, @w1, @b1) {pads=[1, 1, 1, 1]}\n @r1 = Relu(@c1)\n"
      " const @bs: f32[8] = ones\n const @bb: f32[8] = zeros\n const @bm: f32[8] = normal(seed=23, std=0.1)\n"
      " const @bv: f32[8] = fill(1.5)\n @n1 = BatchNormalization(@r1, @bs, @bb, @bm, @bv)\n"
      " @p1 = MaxPool(@n1) {kernel_shape=[2, 2], strides=[2, 2]}\n"
      " const @w2: f32[8, 1, 3, 3] = normal(seed=24, std=0.3)\n @c2 = Conv(@p1, @w2) {group=8, pads=[1, 1, 1, 1]}\n"
      " @s2 = Sigmoid(@c2)\n @m2 = Mul(@c2, @s2)\n @a2 = Add(@m2, @p1)\n @g = GlobalAveragePool(@a2)\n @f = "
      "Flatten(@g)\n"
      " const @wf: f32[5, 8] = normal(seed=25)\n const @bf: f32[5] = normal(seed=26)\n"
      " @y = Gemm(@f, @wf, @bf) {transB=1}\n output @y, @p1",
      /* a transformer block spelled out: embedding, layer norm, attention, MLP */
      "input @ids: i64[2, 7]\n const @emb: f32[20, 16] = normal(seed=31)\n @e = Gather(@emb, @ids)\n"
      " const @ln_w: f32[16] = ones\n const @ln_b: f32[16] = zeros\n"
      " const @axm: i64[1] = [-1]\n @mu = ReduceMean(@e, @axm)\n @xc = Sub(@e, @mu)\n const @two: f32[] = [2]\n"
      " @sq = Pow(@xc, @two)\n @var = ReduceMean(@sq, @axm)\n const @eps: f32[] = [1e-05]\n @ve = Add(@var, @eps)\n"
      " @sd = Sqrt(@ve)\n @xn = Div(@xc, @sd)\n @xs = Mul(@xn, @ln_w)\n @h = Add(@xs, @ln_b)\n"
      " const @wq: f32[16, 16] = normal(seed=32, std=0.25)\n const @wk: f32[16, 16] = normal(seed=33, std=0.25)\n"
      " const @wv: f32[16, 16] = normal(seed=34, std=0.25)\n @q = MatMul(@h, @wq)\n @k = MatMul(@h, @wk)\n @v = "
      "MatMul(@h, @wv)\n"
      " const @hs: i64[4] = [2, 7, 2, 8]\n @q4 = Reshape(@q, @hs)\n @k4 = Reshape(@k, @hs)\n @v4 = Reshape(@v, @hs)\n"
      " @qt = Transpose(@q4) {perm=[0, 2, 1, 3]}\n @kt = Transpose(@k4) {perm=[0, 2, 3, 1]}\n @vt = Transpose(@v4) "
      "{perm=[0, 2, 1, 3]}\n"
      " @sc = MatMul(@qt, @kt)\n const @scale: f32[] = [0.35355338]\n @ss = Mul(@sc, @scale)\n @p = Softmax(@ss) "
      "{axis=-1}\n"
      " @o = MatMul(@p, @vt)\n @ot = Transpose(@o) {perm=[0, 2, 1, 3]}\n const @os: i64[3] = [2, 7, 16]\n @o3 = "
      "Reshape(@ot, @os)\n"
      " @res = Add(@o3, @e)\n const @w1: f32[16, 32] = normal(seed=35, std=0.25)\n const @b1: f32[32] = "
      "normal(seed=36)\n"
      " @m1 = MatMul(@res, @w1)\n @a1 = Add(@m1, @b1)\n @g1 = Gelu(@a1)\n const @w2: f32[32, 16] = normal(seed=37, "
      "std=0.2)\n"
      " @m2 = MatMul(@g1, @w2)\n @y = Add(@m2, @res)\n output @y",
      /* slices put back together */
      "input @x: f32[4, 9, 5]\n const @s0: i64[1] = [0]\n const @e0: i64[1] = [4]\n const @s1: i64[1] = [4]\n"
      " const @e1: i64[1] = [9]\n const @ax: i64[1] = [1]\n @a = Slice(@x, @s0, @e0, @ax)\n @b = Slice(@x, @s1, @e1, "
      "@ax)\n"
      " @c = Concat(@b, @a) {axis=1}\n @d = Mul(@c, @x)\n @e = ReduceSum(@d, @ax) {keepdims=0}\n const @sp: i64[2] = "
      "[2, 3]\n"
      " @f, @g = Split(@d, @sp) {axis=2}\n @h = Tanh(@g)\n output @e, @f, @h",
  };
  /* each chain as written, after -O2 and after -O3 */
  for (size_t i = 0; i < sizeof chains / sizeof chains[0]; i++)
    for (int level = 0; level < 3; level++) {
      /* a chain's op is its first node's; the report counts every op it holds */
      static const char *const first[] = {"Transpose", "Conv", "Gather", "Slice"};
      oc_case *c = oc_add(s, first[i], "%s", chains[i]);
      c->pipeline = level == 0 ? NULL : pm_pipeline_for_level(level + 1);
      oc_range_of(c, "ids", 0, 19);
    }
}

/* Empty tensors (a zero dim) for the ops whose family generators have none. */
static void gen_empty(oc_suite *s) {
  static const struct {
    const char *op, *text;
  } cases[] = {
      {"CastLike", "input @x: f32[0, 3]\n input @l: f16[1]\n @y = CastLike(@x, @l)\n output @y"},
      {"LRN", "input @x: f32[0, 3, 4, 4]\n @y = LRN(@x) {size=3}\n output @y"},
      {"MeanVarianceNormalization", "input @x: f32[2, 3, 0, 4]\n @y = MeanVarianceNormalization(@x)\n output @y"},
      {"Det", "input @x: f32[0, 3, 3]\n @y = Det(@x)\n output @y"},
      {"NegativeLogLikelihoodLoss", "input @x: f32[0, 3]\n input @t: i64[0]\n"
                                    " @y = NegativeLogLikelihoodLoss(@x, @t) {reduction=\"none\"}\n output @y"},
      {"SoftmaxCrossEntropyLoss", "input @x: f32[0, 3]\n input @t: i64[0]\n"
                                  " @y = SoftmaxCrossEntropyLoss(@x, @t) {reduction=\"none\"}\n output @y"},
      {"Einsum",
       "input @a: f32[3, 0]\n input @b: f32[0, 4]\n @y = Einsum(@a, @b) {equation=\"ij,jk->ik\"}\n output @y"},
      {"ConvTranspose",
       "input @x: f32[0, 2, 3, 3]\n input @w: f32[2, 3, 2, 2]\n @y = ConvTranspose(@x, @w)\n output @y"},
      {"AveragePool", "input @x: f32[0, 2, 5, 5]\n @y = AveragePool(@x) {kernel_shape=[2, 2]}\n output @y"},
      {"LpPool", "input @x: f32[0, 2, 5]\n @y = LpPool(@x) {kernel_shape=[2]}\n output @y"},
      {"GlobalMaxPool", "input @x: f32[0, 3, 4]\n @y = GlobalMaxPool(@x)\n output @y"},
      {"Squeeze", "input @x: f32[0, 1, 3]\n const @a: i64[1] = [1]\n @y = Squeeze(@x, @a)\n output @y"},
      {"Unsqueeze", "input @x: f32[0, 3]\n const @a: i64[1] = [0]\n @y = Unsqueeze(@x, @a)\n output @y"},
      {"Split", "input @x: f32[0, 6]\n @a, @b = Split(@x) {axis=1, num_outputs=2}\n output @a, @b"},
      {"GatherElements", "input @x: f32[3, 4]\n const @i: i64[0, 4] = []\n @y = GatherElements(@x, @i)\n output @y"},
      {"GatherND", "input @x: f32[3, 4]\n const @i: i64[0, 2] = []\n @y = GatherND(@x, @i)\n output @y"},
      {"ScatterND",
       "input @x: f32[3, 4]\n const @i: i64[0, 1] = []\n input @u: f32[0, 4]\n @y = ScatterND(@x, @i, @u)\n output @y"},
      {"ScatterElements", "input @x: f32[3, 4]\n const @i: i64[0, 4] = []\n input @u: f32[0, 4]\n"
                          " @y = ScatterElements(@x, @i, @u)\n output @y"},
      {"Size", "input @x: f32[0, 3]\n @y = Size(@x)\n output @y"},
      {"ConstantOfShape",
       "input @x: f32[0, 3]\n const @s: i64[2] = [0, 3]\n @c = ConstantOfShape(@s)\n @y = Add(@x, @c)\n output @y"},
      {"Range", "input @x: f32[0]\n const @a: f32[] = [2]\n @r = Range(@a, @a, @a)\n @y = Add(@x, @r)\n output @y"},
      {"EyeLike", "input @x: f32[0, 3]\n @y = EyeLike(@x)\n output @y"},
      {"Trilu", "input @x: f32[0, 4]\n @y = Trilu(@x)\n output @y"},
      {"OneHot",
       "input @i: i64[0]\n const @d: i64[] = [4]\n const @v: f32[2] = [0, 1]\n @y = OneHot(@i, @d, @v)\n output @y"},
      {"DepthToSpace", "input @x: f32[0, 8, 2, 2]\n @y = DepthToSpace(@x) {blocksize=2}\n output @y"},
      {"SpaceToDepth", "input @x: f32[0, 2, 4, 4]\n @y = SpaceToDepth(@x) {blocksize=2}\n output @y"},
      {"ReverseSequence", "input @x: f32[3, 0, 2]\n const @l: i64[0] = []\n @y = ReverseSequence(@x, @l)\n output @y"},
      {"Compress",
       "input @x: f32[4, 3]\n const @c: bool[4] = [0, 0, 0, 0]\n @y = Compress(@x, @c) {axis=0}\n output @y"},
      {"RoiAlign", "input @x: f32[1, 2, 5, 5]\n const @r: f32[0, 4] = []\n const @b: i64[0] = []\n @y = RoiAlign(@x, "
                   "@r, @b)\n output @y"},
      {"QuantizeLinear", "input @x: f32[0, 3]\n const @s: f32[] = [0.1]\n @y = QuantizeLinear(@x, @s)\n output @y"},
      {"DequantizeLinear", "input @x: u8[0, 3]\n const @s: f32[] = [0.1]\n @y = DequantizeLinear(@x, @s)\n output @y"},
      {"Attention", "input @q: f32[2, 0, 8]\n input @k: f32[2, 0, 8]\n input @v: f32[2, 0, 8]\n"
                    " @y = Attention(@q, @k, @v) {num_heads=2, scale=0.5, q_layout=\"bshd\", k_layout=\"bshd\","
                    " v_layout=\"bshd\", y_layout=\"bshd\"}\n output @y"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) oc_add(s, cases[i].op, "%s", cases[i].text);
  /* the fused forms, after the passes */
  oc_case *c = oc_add(s, "FusedElementwise",
                      "input @x: f32[0, 5]\n input @r: f32[5]\n @a = Add(@x, @r)\n @b = Relu(@a)\n output @b");
  c->pipeline = "fuse-elementwise,dce";
  c = oc_add(s, "FusedMatMul",
             "input @x: f32[0, 8]\n const @w: f32[8, 4] = normal(seed=1)\n input @b: f32[4]\n"
             " @m = MatMul(@x, @w)\n @a = Add(@m, @b)\n @r = Relu(@a)\n output @r");
  c->pipeline = "fuse-elementwise,fuse-matmul,dce";
  c = oc_add(s, "FusedConv",
             "input @x: f32[0, 3, 5, 5]\n const @w: f32[4, 3, 3, 3] = normal(seed=1)\n"
             " @m = Conv(@x, @w)\n @r = Relu(@m)\n output @r");
  c->pipeline = "fuse-elementwise,fuse-conv,dce";
  c = oc_add(s, "FusedGemm",
             "input @x: f32[0, 8]\n const @w: f32[4, 8] = normal(seed=1)\n input @b: f32[4]\n"
             " @m = Gemm(@x, @w, @b) {transB=1}\n @r = Sigmoid(@m)\n output @r");
  c->pipeline = "fuse-elementwise,fuse-matmul,dce";
  c = oc_add(s, "ConvNCHWc",
             "input @x: f32[0, 8, 5, 5]\n const @w: f32[8, 8, 3, 3] = normal(seed=1)\n"
             " @m = Conv(@x, @w) {pads=[1, 1, 1, 1]}\n output @m");
  c->pipeline = "layout-nchwc,dce";
#ifdef KILN_TEST_CUSTOMOP_LIB
  oc_add(s, "Custom",
         "input @x: f32[0, 3]\n @y = Custom(@x) {op_type=\"MySwish\", library=\"%s\","
         " signature=\"void kiln_test_swish(in0, numel(in0), out0, attr_f(beta))\", beta=1.5}\n output @y",
         KILN_TEST_CUSTOMOP_LIB);
#endif
  c = oc_add(s, "NonZero", "input @x: f32[0, 3]\n @y = NonZero(@x)\n output @y");
  c->solo = true;
  c = oc_add(s, "Loop",
             "input @x: f32[2]\n const @n: i64[] = [0]\n @f = Loop(@n, _, @x) {body=graph {\n input @i: i64[]\n"
             " input @ci: bool[]\n input @acc: f32[2]\n @s = Add(@acc, @acc)\n @co = Identity(@ci)\n"
             " output @co, @s\n }}\n output @f");
  c->solo = true;
  c = oc_add(s, "NonZero", "input @x: f32[3, 4]\n @y = NonZero(@x)\n output @y");
  c->solo = true, c->lo = 0, c->hi = 0.4, c->step = 1; /* all zeros */
  c = oc_add(s, "If",
             "input @c: bool[]\n input @x: f32[0, 3]\n @y = If(@c) {then_branch=graph {\n @t = Relu(@x)\n"
             " output @t\n }, else_branch=graph {\n @e = Neg(@x)\n output @e\n }}\n output @y");
  c->solo = true;
  c = oc_add(s, "NonMaxSuppression",
             "input @b: f32[1, 0, 4]\n input @sc: f32[1, 1, 0]\n const @m: i64[] = [3]\n"
             " @y = NonMaxSuppression(@b, @sc, @m)\n output @y");
  c->solo = true;
}

void oc_gen_misc(oc_suite *s) {
  s->family = OC_MISC;
  gen_losses(s);
  gen_quant(s);
  gen_dynamic(s);
  gen_custom(s);
  gen_chains(s);
  gen_empty(s);
}
