/* gen_linalg.c: opcheck cases of products and windows: MatMul (batched,
 * broadcast batch, vectors, odd M/N/K of 1, 3, 17, 65, constant weights,
 * empty), Gemm (transA/transB, alpha/beta, every C broadcast), Einsum, Conv
 * (1-3 spatial dims, pads, strides, dilations, groups, depthwise, auto_pad,
 * constant or computed weights), ConvTranspose, the pools, Det. */
#include "opcheck.h"
#include <stdio.h>
#include <string.h>

static int64_t mnk(oc_suite *s) {
  static const int64_t v[] = {1, 3, 17, 65, 7, 33};
  return v[oc_rand(s, 0, 5)];
}

/* ===== MatMul, Gemm, Einsum ===== */
static void gen_matmul(oc_suite *s) {
  for (int k = 0; k < 12; k++) { /* 2-D and batched, odd sizes */
    int64_t m = mnk(s), kk = mnk(s), n = mnk(s), b = oc_rand(s, 1, 3);
    const char *dt = k % 6 == 5 ? "f64" : "f32";
    if (k % 3 == 0)
      oc_add(s, "MatMul", "input @a: %s[%lld, %lld]\n input @b: %s[%lld, %lld]\n @y = MatMul(@a, @b)\n output @y", dt,
             (long long)m, (long long)kk, dt, (long long)kk, (long long)n);
    else if (k % 3 == 1)
      oc_add(s, "MatMul",
             "input @a: %s[%lld, %lld, %lld]\n input @b: %s[%lld, %lld, %lld]\n @y = MatMul(@a, @b)\n output @y", dt,
             (long long)b, (long long)m, (long long)kk, dt, (long long)b, (long long)kk, (long long)n);
    else /* constant weights, the transformer case */
      oc_add(s, "MatMul",
             "input @a: %s[%lld, %lld, %lld]\n const @b: %s[%lld, %lld] = normal(seed=%d)\n"
             " @y = MatMul(@a, @b)\n output @y",
             dt, (long long)b, (long long)m, (long long)kk, dt, (long long)kk, (long long)n, k);
  }
  int64_t m = mnk(s), kk = mnk(s), n = mnk(s);
  /* broadcast batch dims, vectors on either side */
  oc_add(s, "MatMul", "input @a: f32[%lld, %lld]\n input @b: f32[3, %lld, %lld]\n @y = MatMul(@a, @b)\n output @y",
         (long long)m, (long long)kk, (long long)kk, (long long)n);
  oc_add(s, "MatMul",
         "input @a: f32[2, 1, %lld, %lld]\n input @b: f32[1, 3, %lld, %lld]\n @y = MatMul(@a, @b)\n output @y",
         (long long)m, (long long)kk, (long long)kk, (long long)n);
  oc_add(s, "MatMul", "input @a: f32[3, %lld, %lld]\n input @b: f32[%lld, %lld]\n @y = MatMul(@a, @b)\n output @y",
         (long long)m, (long long)kk, (long long)kk, (long long)n);
  oc_add(s, "MatMul", "input @a: f32[%lld]\n input @b: f32[2, %lld, %lld]\n @y = MatMul(@a, @b)\n output @y",
         (long long)kk, (long long)kk, (long long)n);
  oc_add(s, "MatMul", "input @a: f32[2, %lld, %lld]\n input @b: f32[%lld]\n @y = MatMul(@a, @b)\n output @y",
         (long long)m, (long long)kk, (long long)kk);
  oc_add(s, "MatMul", "input @a: f32[%lld]\n input @b: f32[%lld]\n @y = MatMul(@a, @b)\n output @y", (long long)kk,
         (long long)kk);
  /* other dtypes (the reference kernel), several K blocks, threads */
  oc_add(s, "MatMul", "input @a: f16[%lld, %lld]\n input @b: f16[%lld, %lld]\n @y = MatMul(@a, @b)\n output @y",
         (long long)m, (long long)kk, (long long)kk, (long long)n)
      ->tol = 4e-3;
  oc_add(s, "MatMul", "input @a: i32[%lld, %lld]\n input @b: i32[%lld, %lld]\n @y = MatMul(@a, @b)\n output @y",
         (long long)m, (long long)kk, (long long)kk, (long long)n);
  oc_add(s, "MatMul", "input @a: i64[2, %lld, %lld]\n input @b: i64[%lld, %lld]\n @y = MatMul(@a, @b)\n output @y",
         (long long)m, (long long)kk, (long long)kk, (long long)n);
  oc_add(s, "MatMul", "input @a: f32[65, 301]\n input @b: f32[301, 129]\n @y = MatMul(@a, @b)\n output @y");
  oc_add(s, "MatMul",
         "input @a: f32[2, 67, 300]\n const @b: f32[300, 130] = normal(seed=5)\n @y = MatMul(@a, @b)\n"
         " output @y")
      ->threads = 2;
  oc_add(s, "MatMul", "input @a: f32[3, 40, 64]\n input @b: f32[3, 64, 97]\n @y = MatMul(@a, @b)\n output @y")
      ->threads = 2;
  /* empty */
  oc_add(s, "MatMul", "input @a: f32[0, 5]\n input @b: f32[5, 3]\n @y = MatMul(@a, @b)\n output @y");
  oc_add(s, "MatMul", "input @a: f32[4, 0]\n input @b: f32[0, 3]\n @y = MatMul(@a, @b)\n output @y");
  oc_add(s, "MatMul", "input @a: f32[2, 4, 5]\n input @b: f32[5, 0]\n @y = MatMul(@a, @b)\n output @y");

  /* Gemm */
  static const char *const cshape[] = {"", "[]", "[%lld]", "[%lld, 1]", "[%lld, %lld]", "[1, %lld]"};
  for (int k = 0; k < 14; k++) {
    int64_t M = mnk(s), K = mnk(s), N = mnk(s);
    int ta = k % 2, tb = (k / 2) % 2, ck = k % 6;
    const char *dt = k == 13 ? "f64" : "f32";
    char a[64], b[64], c[96] = "";
    snprintf(a, sizeof a, "%lld, %lld", (long long)(ta ? K : M), (long long)(ta ? M : K));
    snprintf(b, sizeof b, "%lld, %lld", (long long)(tb ? N : K), (long long)(tb ? K : N));
    if (ck) {
      char sh[48];
      if (ck == 2 || ck == 5)
        snprintf(sh, sizeof sh, cshape[ck], (long long)N);
      else if (ck == 3)
        snprintf(sh, sizeof sh, cshape[ck], (long long)M);
      else
        snprintf(sh, sizeof sh, cshape[ck], (long long)M, (long long)N);
      snprintf(c, sizeof c, " input @c: %s%s\n", dt, sh);
    }
    bool bconst = k % 4 == 3;
    oc_add(s, "Gemm", "input @a: %s[%s]\n %s @b: %s[%s]%s\n%s @y = Gemm(@a, @b%s) {transA=%d, transB=%d%s}\n output @y",
           dt, a, bconst ? "const" : "input", dt, b, bconst ? " = normal(seed=3)" : "", c, ck ? ", @c" : "", ta, tb,
           k % 3 == 0   ? ", alpha=0.5, beta=2.0"
           : k % 3 == 1 ? ", beta=0.0"
                        : "");
  }
  oc_add(s, "Gemm",
         "input @a: f32[70, 260]\n const @b: f32[130, 260] = normal(seed=9)\n input @c: f32[130]\n"
         " @y = Gemm(@a, @b, @c) {transB=1}\n output @y")
      ->threads = 2;
  oc_add(s, "Gemm", "input @a: f32[0, 4]\n input @b: f32[4, 3]\n input @c: f32[3]\n @y = Gemm(@a, @b, @c)\n output @y");
  oc_add(s, "Gemm",
         "input @a: f32[3, 0]\n input @b: f32[0, 5]\n input @c: f32[3, 5]\n @y = Gemm(@a, @b, @c)\n output @y");

  static const struct {
    const char *eq, *a, *b;
  } ein[] = {
      {"ij,jk->ik", "3, 5", "5, 7"},
      {"bij,bjk->bik", "2, 3, 4", "2, 4, 5"},
      {"ij->ji", "3, 7", NULL},
      {"ii->i", "5, 5", NULL},
      {"i,i->", "17", "17"},
      {"bhqd,bhkd->bhqk", "1, 2, 3, 4", "1, 2, 5, 4"},
      {"ij->", "3, 4", NULL},
      {"i,j->ij", "3", "4"},
      {"...ij,...jk->...ik", "2, 3, 4", "2, 4, 3"},
  };
  for (size_t i = 0; i < sizeof ein / sizeof ein[0]; i++) {
    if (ein[i].b)
      oc_add(s, "Einsum", "input @a: f32[%s]\n input @b: f32[%s]\n @y = Einsum(@a, @b) {equation=\"%s\"}\n output @y",
             ein[i].a, ein[i].b, ein[i].eq);
    else
      oc_add(s, "Einsum", "input @a: f32[%s]\n @y = Einsum(@a) {equation=\"%s\"}\n output @y", ein[i].a, ein[i].eq);
  }
}

/* ===== Conv, ConvTranspose, pools ===== */
typedef struct conv_geo {
  int nsp;
  int64_t n, c, m, group, in[3], k[3], stride[3], dil[3], pad[6];
} conv_geo;

static void rand_conv(oc_suite *s, conv_geo *g, int nsp, bool depthwise) {
  g->nsp = nsp;
  g->n = oc_rand(s, 1, 2);
  g->group = depthwise ? oc_rand(s, 2, 8) : oc_rand(s, 0, 2) ? 1 : oc_rand(s, 1, 3);
  g->c = g->group * (depthwise ? 1 : oc_rand(s, 1, 4));
  g->m = g->group * (depthwise ? oc_rand(s, 1, 2) : oc_rand(s, 1, 4));
  for (int d = 0; d < nsp; d++) {
    g->k[d] = oc_rand(s, 1, 3);
    g->stride[d] = oc_rand(s, 1, 2);
    g->dil[d] = oc_rand(s, 0, 3) ? 1 : 2;
    g->pad[d] = oc_rand(s, 0, g->k[d] - 1);
    g->pad[d + nsp] = oc_rand(s, 0, g->k[d] - 1);
    int64_t span = (g->k[d] - 1) * g->dil[d] + 1;
    g->in[d] = span + oc_rand(s, 0, nsp == 3 ? 4 : nsp == 2 ? 9 : 20);
  }
}

static const char *nc_shape(int64_t n, int64_t c, int nsp, const int64_t *sp) {
  int64_t d[5] = {n, c};
  for (int i = 0; i < nsp; i++) d[2 + i] = sp[i];
  return oc_dims(2 + nsp, d);
}

static void gen_conv(oc_suite *s) {
  for (int k = 0; k < 16; k++) {
    conv_geo g;
    rand_conv(s, &g, k % 8 == 7 ? 3 : k % 3 == 0 ? 1 : 2, k % 5 == 4);
    bool bias = k % 2 == 0, wconst = k % 3 != 1;
    const char *dt = k == 11 ? "f64" : "f32";
    int64_t wd[5] = {g.m, g.c / g.group, g.k[0], g.k[1], g.k[2]};
    char b[64] = "";
    if (bias) snprintf(b, sizeof b, " input @bias: %s[%lld]\n", dt, (long long)g.m);
    oc_add(s, "Conv",
           "input @x: %s[%s]\n %s @w: %s[%s]%s\n%s @y = Conv(@x, @w%s) {group=%lld, kernel_shape=%s, "
           "strides=%s, dilations=%s, pads=%s}\n output @y",
           dt, nc_shape(g.n, g.c, g.nsp, g.in), wconst ? "const" : "input", dt, oc_dims(2 + g.nsp, wd),
           wconst ? " = normal(seed=7, std=0.3)" : "", b, bias ? ", @bias" : "", (long long)g.group,
           oc_ints(g.nsp, g.k), oc_ints(g.nsp, g.stride), oc_ints(g.nsp, g.dil), oc_ints(2 * g.nsp, g.pad));
  }
  static const char *const autopad[] = {"SAME_UPPER", "SAME_LOWER", "VALID"};
  for (int k = 0; k < 3; k++)
    oc_add(s, "Conv",
           "input @x: f32[1, 3, %lld, %lld]\n const @w: f32[4, 3, 3, 2] = normal(seed=2)\n"
           " @y = Conv(@x, @w) {auto_pad=\"%s\", strides=[2, %d]}\n output @y",
           (long long)oc_rand(s, 3, 9), (long long)oc_rand(s, 3, 9), autopad[k], k + 1);
  /* 1x1, ViT's patch embedding, a large enough one for two threads */
  oc_add(s, "Conv",
         "input @x: f32[2, 16, 7, 5]\n const @w: f32[8, 16, 1, 1] = normal(seed=4)\n input @b: f32[8]\n"
         " @y = Conv(@x, @w, @b)\n output @y");
  oc_add(s, "Conv",
         "input @x: f32[1, 3, 32, 32]\n const @w: f32[24, 3, 8, 8] = normal(seed=6, std=0.1)\n"
         " @y = Conv(@x, @w) {strides=[8, 8]}\n output @y");
  oc_add(s, "Conv",
         "input @x: f32[1, 16, 20, 20]\n const @w: f32[32, 16, 3, 3] = normal(seed=8, std=0.1)\n"
         " const @b: f32[32] = normal(seed=9)\n @y = Conv(@x, @w, @b) {pads=[1, 1, 1, 1]}\n output @y")
      ->threads = 2;
  oc_add(s, "Conv", "input @x: f32[0, 3, 5, 5]\n input @w: f32[2, 3, 3, 3]\n @y = Conv(@x, @w)\n output @y");
  oc_add(s, "Conv", "input @x: f32[1, 4, 5]\n input @w: f32[0, 4, 3]\n @y = Conv(@x, @w)\n output @y");

  for (int k = 0; k < 6; k++) {
    int nsp = k % 3 == 2 ? 1 : 2;
    int64_t c = oc_rand(s, 1, 4), group = k == 3 ? 2 : 1, m = oc_rand(s, 1, 3), kk[2], st[2], pad[4], op[2], in[2];
    for (int d = 0; d < nsp; d++) {
      kk[d] = oc_rand(s, 1, 3), st[d] = oc_rand(s, 1, 3), in[d] = oc_rand(s, 1, 6);
      pad[d] = oc_rand(s, 0, (kk[d] - 1) / 2), pad[d + nsp] = oc_rand(s, 0, (kk[d] - 1) / 2); /* output >= 1 */
      op[d] = st[d] > 1 ? oc_rand(s, 0, st[d] - 1) : 0;
    }
    int64_t wd[4] = {c * group, m, kk[0], kk[1]};
    oc_add(s, "ConvTranspose",
           "input @x: f32[%s]\n input @w: f32[%s]\n input @b: f32[%lld]\n"
           " @y = ConvTranspose(@x, @w, @b) {group=%lld, strides=%s, pads=%s, output_padding=%s}\n output @y",
           nc_shape(2, c * group, nsp, in), oc_dims(2 + nsp, wd), (long long)(m * group), (long long)group,
           oc_ints(nsp, st), oc_ints(2 * nsp, pad), oc_ints(nsp, op));
  }
  oc_add(s, "ConvTranspose",
         "input @x: f32[1, 2, 4, 3]\n input @w: f32[2, 3, 3, 3]\n"
         " @y = ConvTranspose(@x, @w) {dilations=[2, 1], auto_pad=\"SAME_UPPER\", strides=[2, 2]}\n output @y");
}

static void gen_pools(oc_suite *s) {
  static const char *const dts[] = {"f32", "f64", "f32", "f16", "f32", "u8"};
  for (int k = 0; k < 12; k++) {
    int nsp = k % 4 == 3 ? 3 : k % 3 == 0 ? 1 : 2;
    int64_t kk[3], st[3], dil[3], pad[6], in[3];
    for (int d = 0; d < nsp; d++) {
      kk[d] = oc_rand(s, 1, 3), st[d] = oc_rand(s, 1, 2), dil[d] = k % 5 == 1 ? 2 : 1;
      pad[d] = oc_rand(s, 0, kk[d] - 1), pad[d + nsp] = oc_rand(s, 0, kk[d] - 1);
      in[d] = (kk[d] - 1) * dil[d] + 1 + oc_rand(s, 0, nsp == 3 ? 3 : 9);
    }
    const char *x = nc_shape(oc_rand(s, 1, 2), oc_rand(s, 1, 5), nsp, in);
    char attrs[200];
    snprintf(attrs, sizeof attrs, "kernel_shape=%s, strides=%s, pads=%s, ceil_mode=%d", oc_ints(nsp, kk),
             oc_ints(nsp, st), oc_ints(2 * nsp, pad), k % 2);
    const char *dt = dts[k % 6];
    if (k % 3 == 2)
      oc_add(s, "MaxPool",
             "input @x: %s[%s]\n @y, @i = MaxPool(@x) {%s, dilations=%s, storage_order=%d}\n output @y, @i",
             dt[0] == 'u' ? "f32" : dt, x, attrs, oc_ints(nsp, dil), k % 4 == 2);
    else
      oc_add(s, "MaxPool", "input @x: %s[%s]\n @y = MaxPool(@x) {%s, dilations=%s}\n output @y", dt, x, attrs,
             oc_ints(nsp, dil));
    if (dt[0] != 'u')
      oc_add(s, "AveragePool",
             "input @x: %s[%s]\n @y = AveragePool(@x) {%s, count_include_pad=%d, dilations=%s}\n output @y", dt, x,
             attrs, k % 3 == 1, oc_ints(nsp, dil));
    oc_add(s, "LpPool", "input @x: f32[%s]\n @y = LpPool(@x) {kernel_shape=%s, strides=%s, pads=%s, p=%d}\n output @y",
           x, oc_ints(nsp, kk), oc_ints(nsp, st), oc_ints(2 * nsp, pad), 1 + k % 3);
    oc_add(s, k % 2 ? "GlobalMaxPool" : "GlobalAveragePool", "input @x: %s[%s]\n @y = %s(@x)\n output @y",
           dt[0] == 'u' ? "f32" : dt, x, k % 2 ? "GlobalMaxPool" : "GlobalAveragePool");
  }
  oc_add(s, "MaxPool",
         "input @x: f32[1, 3, 7, 7]\n @y = MaxPool(@x) {kernel_shape=[3, 3], auto_pad=\"SAME_UPPER\", strides=[2, 2]}\n"
         " output @y");
  oc_add(s, "AveragePool",
         "input @x: f32[1, 2, 6, 5]\n @y = AveragePool(@x) {kernel_shape=[2, 3], auto_pad=\"SAME_LOWER\"}\n"
         " output @y");
  oc_add(s, "MaxPool", "input @x: f32[0, 3, 5, 5]\n @y = MaxPool(@x) {kernel_shape=[2, 2]}\n output @y");
  oc_add(s, "GlobalAveragePool", "input @x: f32[0, 3, 5]\n @y = GlobalAveragePool(@x)\n output @y");
  oc_add(s, "GlobalMaxPool", "input @x: f32[2, 3, 1, 1]\n @y = GlobalMaxPool(@x)\n output @y");
  for (int k = 0; k < 4; k++) {
    int64_t n = oc_rand(s, 1, 5);
    oc_add(s, "Det", "input @x: %s[%s%lld, %lld]\n @y = Det(@x)\n output @y", k % 2 ? "f64" : "f32",
           k >= 2 ? "3, " : "", (long long)n, (long long)n);
  }
}

void oc_gen_linalg(oc_suite *s) {
  s->family = OC_LINALG;
  gen_matmul(s);
  gen_conv(s);
  gen_pools(s);
}

/* Sizes around the JIT's blocking: vector widths (4, 8, 16 floats), the GEMM's
 * K block (256) and row block (512), many column panels, convolutions with
 * two K blocks, the tiled transpose of every element size. */
void oc_gen_sizes(oc_suite *s) {
  s->family = OC_LINALG;
  static const int64_t edge[] = {15, 16, 17, 31, 32, 33, 47, 48, 49, 63, 64, 65, 95, 96, 97};
  for (int k = 0; k < 14; k++) {
    int64_t m = edge[oc_rand(s, 0, 14)], n = edge[oc_rand(s, 0, 14)], kk = edge[oc_rand(s, 0, 14)] * oc_rand(s, 1, 5);
    oc_add(s, "MatMul", "input @a: f32[%lld, %lld]\n %s @b: f32[%lld, %lld]%s\n @y = MatMul(@a, @b)\n output @y",
           (long long)m, (long long)kk, k % 2 ? "const" : "input", (long long)kk, (long long)n,
           k % 2 ? " = normal(seed=41, std=0.2)" : "");
  }
  oc_add(s, "MatMul", "input @a: f32[520, 20]\n input @b: f32[20, 33]\n @y = MatMul(@a, @b)\n output @y");
  oc_add(s, "MatMul",
         "input @a: f32[3, 513]\n const @b: f32[513, 17] = normal(seed=42, std=0.1)\n @y = MatMul(@a, @b)\n output @y");
  oc_add(s, "MatMul", "input @a: f32[2, 8]\n input @b: f32[8, 1100]\n @y = MatMul(@a, @b)\n output @y");
  oc_add(s, "Gemm",
         "input @a: f32[300, 40]\n const @b: f32[70, 300] = normal(seed=43, std=0.1)\n input @c: f32[40, 1]\n"
         " @y = Gemm(@a, @b, @c) {transA=1, transB=1, alpha=0.7}\n output @y");
  oc_add(s, "Conv",
         "input @x: f32[1, 32, 10, 10]\n const @w: f32[40, 32, 3, 3] = normal(seed=44, std=0.1)\n"
         " @y = Conv(@x, @w) {pads=[1, 1, 1, 1], strides=[2, 2]}\n output @y");
  oc_add(s, "Conv",
         "input @x: f32[2, 20, 9, 11]\n input @w: f32[24, 20, 3, 3]\n input @b: f32[24]\n"
         " @y = Conv(@x, @w, @b) {pads=[0, 1, 2, 1]}\n output @y");
  /* parallel paths (more than the GEMM's 4 MFLOP threshold) on two threads:
   * batches, row tiles, column panels, a fused epilogue, convolutions, attention */
  static const char *const par[] = {
      "input @a: f32[8, 64, 64]\n input @b: f32[8, 64, 64]\n @y = MatMul(@a, @b)\n output @y",
      "input @a: f32[512, 64]\n const @b: f32[64, 64] = normal(seed=45, std=0.2)\n @y = MatMul(@a, @b)\n output @y",
      "input @a: f32[16, 128]\n input @b: f32[128, 1030]\n @y = MatMul(@a, @b)\n output @y",
      "input @a: f32[1, 3, 28, 28]\n const @w: f32[32, 3, 5, 5] = normal(seed=46, std=0.2)\n"
      " @y = Conv(@a, @w) {pads=[2, 2, 2, 2]}\n output @y",
      "input @a: f32[1, 16, 24, 24]\n const @w: f32[32, 16, 3, 3] = normal(seed=47, std=0.1)\n const @b: f32[32] = "
      "normal(seed=48)\n"
      " @y = Conv(@a, @w, @b) {pads=[1, 1, 1, 1]}\n output @y",
      "input @a: f32[1, 64, 20, 20]\n const @w: f32[64, 1, 3, 3] = normal(seed=49, std=0.3)\n"
      " @y = Conv(@a, @w) {group=64, pads=[1, 1, 1, 1]}\n output @y",
      "input @q: f32[2, 96, 128]\n input @k: f32[2, 96, 128]\n input @v: f32[2, 96, 128]\n"
      " @y = Attention(@q, @k, @v) {num_heads=4, scale=0.17, causal=1, q_layout=\"bshd\", k_layout=\"bshd\","
      " v_layout=\"bshd\", y_layout=\"bshd\"}\n output @y",
  };
  for (size_t i = 0; i < sizeof par / sizeof par[0]; i++) {
    oc_case *c = oc_add(s, i == 6 ? "Attention" : i >= 3 ? "Conv" : "MatMul", "%s", par[i]);
    c->threads = 2;
  }
  oc_case *c = oc_add(s, "FusedMatMul",
                      "input @a: f32[256, 128]\n const @w: f32[128, 96] = normal(seed=50, std=0.1)\n"
                      " input @b: f32[96]\n @m = MatMul(@a, @w)\n @s = Add(@m, @b)\n @g = Gelu(@s)\n output @g");
  c->threads = 2, c->pipeline = "fuse-elementwise,fuse-matmul,dce";
  c = oc_add(s, "ConvNCHWc",
             "input @x: f32[1, 32, 20, 20]\n const @w: f32[32, 32, 3, 3] = normal(seed=51, std=0.1)\n"
             " @c = Conv(@x, @w) {pads=[1, 1, 1, 1]}\n @r = Relu(@c)\n output @r");
  c->threads = 2, c->pipeline = "layout-nchwc,fuse-conv,dce";
  /* rows, columns and middle axes of reductions and softmax, long and odd */
  oc_add(s, "ReduceSum", "input @x: f32[3, 5001]\n const @a: i64[1] = [1]\n @y = ReduceSum(@x, @a)\n output @y");
  oc_add(s, "ReduceMax", "input @x: f32[2001, 3]\n const @a: i64[1] = [0]\n @y = ReduceMax(@x, @a)\n output @y");
  oc_add(s, "ReduceMean", "input @x: f32[7, 301, 9]\n const @a: i64[1] = [1]\n @y = ReduceMean(@x, @a)\n output @y");
  oc_add(s, "Softmax", "input @x: f32[129, 77]\n @y = Softmax(@x)\n output @y");
  oc_add(s, "LayerNormalization",
         "input @x: f32[65, 1025]\n input @w: f32[1025]\n input @b: f32[1025]\n"
         " @y = LayerNormalization(@x, @w, @b)\n output @y");
  /* the tiled transpose of the two fastest dims, every element size */
  static const char *const dts[] = {"u8", "f16", "f32", "f64", "i64", "bool"};
  for (int k = 0; k < 12; k++) {
    int64_t a = oc_rand(s, 10, 70), b = oc_rand(s, 10, 70), lead = oc_rand(s, 1, 3);
    oc_add(s, "Transpose", "input @x: %s[%lld, %lld, %lld]\n @y = Transpose(@x) {perm=[0, 2, 1]}\n output @y",
           dts[k % 6], (long long)lead, (long long)a, (long long)b);
  }
  oc_add(s, "Concat",
         "input @a: f32[3, 1000]\n input @b: f16[3, 7]\n @bb = Cast(@b) {to=1}\n"
         " @y = Concat(@a, @bb, @a) {axis=1}\n output @y");
}
