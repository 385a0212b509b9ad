/* gen_fused.c: opcheck cases of kiln's internal ops and of what the passes
 * make: Attention in every layout with every mask broadcast;
 * FusedElementwise, FusedMatMul, FusedGemm, FusedConv written directly; random
 * elementwise chains (every fusable op, every operand kind: same shape, row,
 * column, scalar input, scalar constant) after fuse-elementwise, and as the
 * epilogue of random products after fuse-matmul/fuse-conv; the NCHWc layout;
 * and "twins": two nodes of one op with the same shapes and different
 * attributes or constants in one graph. The JIT names many generated
 * functions by what their code depends on and reuses a function of the same
 * name within a module, so a key that misses an attribute would give the
 * second twin the first one's code. */
#include "opcheck.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int64_t mnk(oc_suite *s) {
  static const int64_t v[] = {1, 3, 17, 65, 7, 33};
  return v[oc_rand(s, 0, 5)];
}

/* ===== Attention ===== */
static const char *const att_layouts[] = {"bshd", "bhsd", "bhds"};

/* operand of layout l with batch b, heads h, length len, head dim e (rank 3 or 4 for the head-major ones) */
static const char *att_shape(int l, int64_t b, int64_t h, int64_t len, int64_t e, bool rank3) {
  int64_t d[4];
  if (l == 0)
    d[0] = b, d[1] = len, d[2] = h * e;
  else if (rank3)
    d[0] = b * h, d[1] = l == 1 ? len : e, d[2] = l == 1 ? e : len;
  else
    d[0] = b, d[1] = h, d[2] = l == 1 ? len : e, d[3] = l == 1 ? e : len;
  return oc_dims(l == 0 || rank3 ? 3 : 4, d);
}

static void gen_attention(oc_suite *s) {
  for (int k = 0; k < 14; k++) {
    int64_t B = oc_rand(s, 1, 2), H = oc_rand(s, 1, 3), S = mnk(s), T = k % 4 == 0 ? S : mnk(s), D = oc_rand(s, 1, 9),
            Dv = k % 3 ? D : oc_rand(s, 1, 9);
    int lq = (int)oc_rand(s, 0, 2), lk = (int)oc_rand(s, 0, 2), lv = (int)oc_rand(s, 0, 2), ly = (int)oc_rand(s, 0, 2);
    bool r3 = k % 2 == 1, causal = k % 5 == 2;
    char mask[96] = "";
    switch (k % 5) {
    case 1: snprintf(mask, sizeof mask, "%lld, 1, 1, %lld", (long long)B, (long long)T); break;
    case 2: snprintf(mask, sizeof mask, "%lld, %lld", (long long)S, (long long)T); break;
    case 3: snprintf(mask, sizeof mask, "1, %lld, 1, %lld", (long long)H, (long long)T); break;
    case 4:
      snprintf(mask, sizeof mask, "%lld, %lld, %lld, %lld", (long long)B, (long long)H, (long long)S, (long long)T);
      break;
    default: break;
    }
    char mdecl[128] = "";
    if (mask[0]) snprintf(mdecl, sizeof mdecl, " input @mask: f32[%s]\n", mask);
    oc_add(
        s, "Attention",
        "input @q: f32[%s]\n input @k: f32[%s]\n input @v: f32[%s]\n%s @y = Attention(@q, @k, @v%s) {num_heads=%lld, "
        "scale=%g, causal=%d, q_layout=\"%s\", k_layout=\"%s\", v_layout=\"%s\", y_layout=\"%s\"}\n output @y",
        att_shape(lq, B, H, S, D, r3), att_shape(lk, B, H, T, D, r3), att_shape(lv, B, H, T, Dv, r3), mdecl,
        mask[0] ? ", @mask" : "", (long long)H, 1.0 / (double)D, causal, att_layouts[lq], att_layouts[lk],
        att_layouts[lv], att_layouts[ly]);
  }
  oc_add(s, "Attention",
         "input @q: f32[2, 66, 128]\n input @k: f32[2, 66, 128]\n input @v: f32[2, 66, 128]\n"
         " @y = Attention(@q, @k, @v) {num_heads=4, scale=0.125, causal=1, q_layout=\"bshd\","
         " k_layout=\"bshd\", v_layout=\"bshd\", y_layout=\"bshd\"}\n output @y")
      ->threads = 2;
  oc_add(s, "Attention",
         "input @q: f32[1, 2, 0, 4]\n input @k: f32[1, 2, 3, 4]\n input @v: f32[1, 2, 3, 4]\n"
         " @y = Attention(@q, @k, @v) {num_heads=2, scale=0.5}\n output @y");
}

/* ===== fused ops written directly, and the passes' products ===== */
static void gen_direct(oc_suite *s) {
  int64_t m = oc_odd(s), n = oc_odd(s), k = mnk(s);
  oc_add(s, "FusedElementwise",
         "input @x: f32[%lld, %lld]\n input @r: f32[%lld]\n @y = FusedElementwise(@x, @r) {body=graph {\n"
         " input @a: f32[%lld, %lld]\n input @b: f32[%lld]\n @t = Tanh(@a)\n @u = Mul(@t, @b)\n @v = Sigmoid(@u)\n"
         " @w = Add(@v, @a)\n output @w\n }}\n output @y",
         (long long)m, (long long)n, (long long)n, (long long)m, (long long)n, (long long)n);
  oc_add(s, "FusedElementwise",
         "input @x: f32[3, 131]\n input @c: f32[3, 1]\n const @h: f32[] = [0.5]\n"
         " @y = FusedElementwise(@x, @c, @h) {body=graph {\n input @a: f32[3, 131]\n input @b: f32[3, 1]\n"
         " input @s: f32[]\n @t = Mul(@a, @s)\n @u = Erf(@t)\n @v = Sub(@u, @b)\n @w = Relu(@v)\n output @w\n }}\n "
         "output @y");
  oc_add(s, "FusedMatMul",
         "input @x: f32[2, %lld, %lld]\n input @w: f32[%lld, %lld]\n input @b: f32[%lld]\n"
         " @y = FusedMatMul(@x, @w, @b) {body=graph {\n input @m: f32[2, %lld, %lld]\n input @c: f32[%lld]\n"
         " @a = Add(@m, @c)\n @g = Gelu(@a)\n output @g\n }}\n output @y",
         (long long)m, (long long)k, (long long)k, (long long)n, (long long)n, (long long)m, (long long)n,
         (long long)n);
  oc_add(s, "FusedGemm",
         "input @x: f32[%lld, %lld]\n const @w: f32[%lld, %lld] = normal(seed=3)\n input @c: f32[%lld]\n input @r: "
         "f32[%lld, %lld]\n"
         " @y = FusedGemm(@x, @w, @c, @r) {transB=1, alpha=0.5, body=graph {\n input @m: f32[%lld, %lld]\n"
         " input @q: f32[%lld, %lld]\n @a = Relu(@m)\n @z = Add(@a, @q)\n output @z\n }}\n output @y",
         (long long)m, (long long)k, (long long)n, (long long)k, (long long)n, (long long)m, (long long)n, (long long)m,
         (long long)n, (long long)m, (long long)n);
  oc_add(s, "FusedConv",
         "input @x: f32[1, 4, 9, 7]\n const @w: f32[6, 4, 3, 3] = normal(seed=2, std=0.3)\n const @b: f32[6] = "
         "normal(seed=5)\n"
         " input @r: f32[1, 6, 9, 7]\n @y = FusedConv(@x, @w, @b, @r) {pads=[1, 1, 1, 1], body=graph {\n"
         " input @c: f32[1, 6, 9, 7]\n input @q: f32[1, 6, 9, 7]\n @a = Add(@c, @q)\n @z = Relu(@a)\n output @z\n }}\n"
         " output @y");
  oc_add(s, "FusedConv",
         "input @x: f32[2, 6, 5, 8]\n input @w: f32[6, 1, 3, 3]\n"
         " @y = FusedConv(@x, @w, _) {group=6, strides=[2, 1], body=graph {\n input @c: f32[2, 6, 2, 6]\n"
         " @z = Sigmoid(@c)\n output @z\n }}\n output @y");
  /* the same products as the passes fuse them (the JIT sees Fused* and NCHWc nodes) */
  const char *fuse = "fuse-elementwise,fuse-matmul,fuse-conv,dce";
  oc_case *c =
      oc_add(s, "FusedMatMul",
             "input @x: f32[%lld, 65]\n const @w: f32[65, %lld] = normal(seed=11, std=0.2)\n input @b: f32[%lld]\n"
             " input @r: f32[%lld, %lld]\n @m = MatMul(@x, @w)\n @a = Add(@m, @b)\n @g = Gelu(@a)\n"
             " @z = Add(@g, @r)\n output @z",
             (long long)m, (long long)n, (long long)n, (long long)m, (long long)n);
  c->pipeline = fuse;
  c = oc_add(
      s, "FusedConv",
      "input @x: f32[1, 3, 11, 9]\n const @w: f32[8, 3, 3, 3] = normal(seed=12, std=0.3)\n const @b: f32[8] = "
      "normal(seed=1)\n"
      " input @x2: f32[1, 8, 11, 9]\n @c = Conv(@x, @w, @b) {pads=[1, 1, 1, 1]}\n @r = Relu(@c)\n @z = Add(@r, @x2)\n"
      " output @z");
  c->pipeline = fuse;
  c = oc_add(s, "FusedElementwise",
             "input @x: f32[%lld, 37]\n input @r: f32[37]\n @a = Add(@x, @r)\n @b = Tanh(@a)\n"
             " @c = Mul(@b, @x)\n @d = HardSwish(@c)\n output @d",
             (long long)m);
  c->pipeline = fuse;
  const char *nchwc = "layout-nchwc,fuse-elementwise,fuse-conv,dce";
  c = oc_add(
      s, "ConvNCHWc",
      "input @x: f32[1, 5, 13, 10]\n const @w: f32[12, 5, 3, 3] = normal(seed=13, std=0.3)\n const @b: f32[12] = "
      "normal(seed=2)\n"
      " @c = Conv(@x, @w, @b) {pads=[1, 1, 1, 1]}\n @r = Relu(@c)\n @p = MaxPool(@r) {kernel_shape=[2, 2], strides=[2, "
      "2]}\n"
      " const @w2: f32[12, 1, 3, 3] = normal(seed=14, std=0.3)\n @d = Conv(@p, @w2) {group=12, pads=[1, 1, 1, 1]}\n"
      " @e = AveragePool(@d) {kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1]}\n output @e");
  c->pipeline = nchwc;
  c = oc_add(s, "ConvNCHWc",
             "input @x: f32[2, 16, 9, 9]\n const @w: f32[20, 16, 1, 1] = normal(seed=15, std=0.3)\n"
             " @c = Conv(@x, @w) {strides=[2, 2]}\n @s = Sigmoid(@c)\n output @s");
  c->pipeline = nchwc;
  c->threads = 2;
}

/* ===== random elementwise chains ===== */
typedef struct chain {
  char t[6144];
  size_t n;
  int nodes, leaves;
  char last[16];          /* the name of the chain's current value */
  char div_leaves[8][16]; /* leaves that are divisors: kept in [0.5, 2) */
  int ndiv;
  /* the value may differ from the reference's by rounding (a product's sum
   * order, the JIT's vector approximations of exp, tanh, erf, an attribute
   * applied in f32 rather than f64, ...): then no Floor/Ceil/Round, which
   * would turn an ulp into a whole unit */
  bool inexact;
} chain;

static void put(chain *c, const char *fmt, ...) KN_PRINTF(2, 3);
static void put(chain *c, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int k = vsnprintf(c->t + c->n, sizeof c->t - c->n, fmt, ap);
  va_end(ap);
  if (k > 0) c->n = c->n + (size_t)k < sizeof c->t ? c->n + (size_t)k : sizeof c->t - 1;
}

/* A new node: its name in c->last. */
static void node(chain *c, const char *op, const char *args, const char *attrs) {
  static const char *const exact = " Neg Abs Relu Identity Max Min Clip Floor Ceil Round Add Sub Mul Div PRelu ";
  char name[16], key[24];
  snprintf(key, sizeof key, " %s ", op);
  if (!strstr(exact, key)) c->inexact = true;
  if (c->inexact && (strcmp(op, "Floor") == 0 || strcmp(op, "Ceil") == 0 || strcmp(op, "Round") == 0)) op = "Neg";
  snprintf(name, sizeof name, "@n%d", c->nodes++);
  put(c, " %s = %s(%s)%s\n", name, op, args, attrs);
  snprintf(c->last, sizeof c->last, "%s", name);
}

/* A leaf operand for an output of dims y (rank r) seen as rows x cols with
 * cols = the dims from `split` on: same shape, row, column, scalar input or
 * scalar constant. Returns its name (valid until the next call). */
static const char *leaf(oc_suite *s, chain *c, int r, const int64_t *y, int split, bool divisor) {
  static char name[16];
  snprintf(name, sizeof name, "@l%d", c->leaves++);
  int64_t d[KN_MAX_RANK];
  int dr = 0;
  switch (oc_rand(s, 0, 4)) {
  case 0: dr = r, memcpy(d, y, sizeof(int64_t) * (size_t)r); break; /* same shape */
  case 1:
    for (int i = split; i < r; i++) d[dr++] = y[i];
    break; /* row */
  case 2:  /* column */
    for (int i = oc_rand(s, 0, 1) && split > 1 ? 1 : 0; i < r; i++) d[dr++] = i < split ? y[i] : 1;
    break;
  case 3: break; /* scalar input */
  default: put(c, " const %s: f32[] = [%g]\n", name, divisor ? oc_randf(s, 0.5, 2) : oc_randf(s, -2, 2)); return name;
  }
  put(c, " input %s: f32[%s]\n", name, oc_dims(dr, d));
  if (divisor && c->ndiv < 8) snprintf(c->div_leaves[c->ndiv++], 16, "%s", name + 1);
  return name;
}

/* Appends len random fusable ops to the chain, starting from c->last. */
static void rand_ops(oc_suite *s, chain *c, int len, int r, const int64_t *y, int split) {
  static const char *const unary[] = {"Neg",   "Abs",  "Relu",  "Sigmoid",  "Tanh",      "Erf",
                                      "Floor", "Ceil", "Round", "Softsign", "HardSwish", "Identity"};
  static const char *const binary[] = {"Add", "Sub", "Mul", "Max", "Min", "PRelu", "Div"};
  for (int k = 0; k < len; k++) {
    char args[64], attrs[96] = "", v[16];
    snprintf(v, sizeof v, "%s", c->last);
    switch (oc_rand(s, 0, 9)) {
    case 0:
    case 1: node(c, unary[oc_rand(s, 0, 11)], v, ""); break;
    case 2: /* unary with attributes */
      switch (oc_rand(s, 0, 3)) {
      case 0:
        snprintf(attrs, sizeof attrs, " {alpha=%g}", oc_randf(s, 0.01, 0.5));
        node(c, "LeakyRelu", v, attrs);
        break;
      case 1:
        snprintf(attrs, sizeof attrs, " {alpha=%g, beta=%g}", oc_randf(s, 0.1, 0.4), oc_randf(s, 0.3, 0.7));
        node(c, "HardSigmoid", v, attrs);
        break;
      case 2: node(c, "Gelu", v, oc_rand(s, 0, 1) ? " {approximate=\"tanh\"}" : ""); break;
      default: node(c, "Gelu", v, ""); break;
      }
      break;
    case 3: { /* the guarded maps: Exp of a tanh, Log/Sqrt/Reciprocal of |v| + 0.25 */
      static const char *const g[] = {"Exp", "Log", "Sqrt", "Reciprocal"};
      const char *op = g[oc_rand(s, 0, 3)];
      if (strcmp(op, "Exp") == 0)
        node(c, "Tanh", v, "");
      else {
        node(c, "Abs", v, "");
        char q[16];
        snprintf(q, sizeof q, "%s", c->last);
        put(c, " const @q%d: f32[] = [0.25]\n", c->nodes);
        snprintf(args, sizeof args, "%s, @q%d", q, c->nodes);
        node(c, "Add", args, "");
      }
      snprintf(v, sizeof v, "%s", c->last);
      node(c, op, v, "");
      break;
    }
    case 4:
    case 5:
    case 6:
    case 7: { /* binary with a leaf, either side */
      const char *op = binary[oc_rand(s, 0, 6)];
      bool div = strcmp(op, "Div") == 0, prelu = strcmp(op, "PRelu") == 0;
      const char *l = leaf(s, c, r, y, split, div);
      if (!div && !prelu && oc_rand(s, 0, 2) == 0)
        snprintf(args, sizeof args, "%s, %s", l, v);
      else
        snprintf(args, sizeof args, "%s, %s", v, l);
      node(c, op, args, "");
      break;
    }
    case 8: { /* Pow by a constant exponent the loop computes directly */
      static const double ex[] = {1, 2, 3, 0.5, -1, -0.5};
      double e = ex[oc_rand(s, 0, 5)];
      if (e < 1 && e != 0) { /* a positive base */
        node(c, "Abs", v, "");
        put(c, " const @q%d: f32[] = [0.5]\n", c->nodes);
        snprintf(args, sizeof args, "%s, @q%d", c->last, c->nodes);
        node(c, "Add", args, "");
        snprintf(v, sizeof v, "%s", c->last);
      }
      put(c, " const @e%d: f32[] = [%g]\n", c->nodes, e);
      snprintf(args, sizeof args, "%s, @e%d", v, c->nodes);
      node(c, "Pow", args, "");
      break;
    }
    default: { /* Clip: constant bounds, a run-time bound, or only a maximum */
      int kind = (int)oc_rand(s, 0, 2);
      if (kind == 0) {
        put(c, " const @lo%d: f32[] = [%g]\n const @hi%d: f32[] = [%g]\n", c->nodes, oc_randf(s, -2, 0), c->nodes,
            oc_randf(s, 0, 2));
        snprintf(args, sizeof args, "%s, @lo%d, @hi%d", v, c->nodes, c->nodes);
      } else if (kind == 1) {
        put(c, " input @lo%d: f32[]\n", c->nodes);
        snprintf(args, sizeof args, "%s, @lo%d", v, c->nodes);
      } else {
        put(c, " const @hi%d: f32[] = [%g]\n", c->nodes, oc_randf(s, -1, 2));
        snprintf(args, sizeof args, "%s, _, @hi%d", v, c->nodes);
      }
      node(c, "Clip", args, "");
      break;
    }
    }
  }
}

static void chain_ranges(const chain *c, oc_case *cs) {
  for (int i = 0; i < c->ndiv && cs->nranges < 6; i++) oc_range_of(cs, c->div_leaves[i], 0.5, 2);
}

static void gen_random_chains(oc_suite *s) {
  const char *fuse = "fuse-elementwise,dce";
  const int rounds = 24;
  for (int k = 0; k < rounds; k++) { /* elementwise chains */
    chain c = {.n = 0};
    int64_t y[3];
    int r = (int)oc_rand(s, 1, 3);
    oc_shape(s, r, 700, y);
    if (k % 4 == 0) y[r - 1] = 67; /* a masked tail */
    put(&c, " input @x: f32[%s]\n", oc_dims(r, y));
    snprintf(c.last, sizeof c.last, "@x");
    rand_ops(s, &c, (int)oc_rand(s, 2, 8), r, y, r - 1);
    oc_case *cs = oc_add(s, "FusedElementwise", "%s output %s", c.t, c.last);
    cs->pipeline = fuse;
    chain_ranges(&c, cs);
  }
  const char *prod = "fuse-elementwise,fuse-matmul,fuse-conv,dce";
  for (int k = 0; k < rounds; k++) { /* products with a random epilogue */
    chain c = {.n = 0};
    int64_t y[4];
    int r, split;
    const char *op;
    if (k % 3 == 0) { /* MatMul, batched or not, constant weights */
      int64_t b = oc_rand(s, 1, 3), m = mnk(s), kk = mnk(s), n = mnk(s);
      r = k % 2 ? 3 : 2, split = r - 1, op = "FusedMatMul";
      if (r == 3)
        y[0] = b, y[1] = m, y[2] = n;
      else
        y[0] = m, y[1] = n;
      put(&c,
          " input @x: f32[%s%lld, %lld]\n const @w: f32[%lld, %lld] = normal(seed=%d, std=0.3)\n @p = MatMul(@x, @w)\n",
          r == 3 ? "2, " : "", (long long)m, (long long)kk, (long long)kk, (long long)n, k);
      if (r == 3) y[0] = 2;
    } else if (k % 3 == 1) { /* Gemm with transB and a bias */
      int64_t m = mnk(s), kk = mnk(s), n = mnk(s);
      r = 2, split = 1, op = "FusedGemm", y[0] = m, y[1] = n;
      put(&c,
          " input @x: f32[%lld, %lld]\n const @w: f32[%lld, %lld] = normal(seed=%d, std=0.3)\n input @bias: f32[%lld]\n"
          " @p = Gemm(@x, @w, @bias) {transB=1}\n",
          (long long)m, (long long)kk, (long long)n, (long long)kk, k, (long long)n);
    } else { /* Conv, grouped or not */
      int64_t n = oc_rand(s, 1, 2), ch = oc_rand(s, 1, 6), m = oc_rand(s, 1, 9), h = oc_rand(s, 3, 11),
              w = oc_rand(s, 3, 11);
      bool dw = k % 4 == 2;
      if (dw) m = ch;
      r = 4, split = 2, op = "FusedConv";
      y[0] = n, y[1] = m, y[2] = h, y[3] = w;
      put(&c,
          " input @x: f32[%lld, %lld, %lld, %lld]\n const @w: f32[%lld, %lld, 3, 3] = normal(seed=%d, std=0.3)\n"
          " @p = Conv(@x, @w) {pads=[1, 1, 1, 1], group=%lld}\n",
          (long long)n, (long long)ch, (long long)h, (long long)w, (long long)m, (long long)(dw ? 1 : ch), k,
          (long long)(dw ? ch : 1));
    }
    snprintf(c.last, sizeof c.last, "@p");
    c.inexact = true;
    rand_ops(s, &c, (int)oc_rand(s, 1, 5), r, y, split);
    oc_case *cs = oc_add(s, op, "%s output %s", c.t, c.last);
    cs->pipeline = prod;
    chain_ranges(&c, cs);
  }
}

/* ===== twins: one op twice, same shapes, other attributes or constants ===== */
static void gen_twins(oc_suite *s) {
  int64_t r = oc_odd(s), l = mnk(s) + 2;
  oc_add(s, "Softmax", "input @x: f32[%lld, %lld]\n @a = Softmax(@x)\n @b = LogSoftmax(@x)\n output @a, @b",
         (long long)r, (long long)l);
  oc_add(s, "Softmax", "input @x: f32[9, 9]\n @a = Softmax(@x) {axis=0}\n @b = Softmax(@x) {axis=1}\n output @a, @b");
  oc_add(s, "LayerNormalization",
         "input @x: f32[%lld, %lld]\n input @w: f32[%lld]\n input @b: f32[%lld]\n"
         " @a = LayerNormalization(@x, @w, @b) {epsilon=1e-05}\n @c = LayerNormalization(@x, @w, @b) {epsilon=0.5}\n"
         " @d = LayerNormalization(@x, @w)\n output @a, @c, @d",
         (long long)r, (long long)l, (long long)l, (long long)l);
  oc_add(s, "InstanceNormalization",
         "input @x: f32[2, 4, 9]\n input @w: f32[4]\n input @b: f32[4]\n"
         " @a = InstanceNormalization(@x, @w, @b)\n @c = GroupNormalization(@x, @w, @b) {num_groups=4}\n"
         " @d = InstanceNormalization(@x, @w, @b) {epsilon=0.25}\n output @a, @c, @d");
  oc_add(s, "Attention",
         "input @q: f32[1, 2, 5, 4]\n input @k: f32[1, 2, 5, 4]\n input @v: f32[1, 2, 5, 4]\n input @m: f32[5, 5]\n"
         " @a = Attention(@q, @k, @v) {num_heads=2, scale=0.5}\n @b = Attention(@q, @k, @v) {num_heads=2, scale=0.25}\n"
         " @c = Attention(@q, @k, @v) {num_heads=2, scale=0.5, causal=1}\n"
         " @d = Attention(@q, @k, @v, @m) {num_heads=2, scale=0.5}\n output @a, @b, @c, @d");
  int64_t n = mnk(s);
  oc_add(s, "Gemm",
         "input @a: f32[%lld, %lld]\n input @b: f32[%lld, %lld]\n input @c: f32[%lld]\n @p = Gemm(@a, @b, @c)\n"
         " @q = Gemm(@a, @b, @c) {alpha=0.5, beta=2.0}\n @r = Gemm(@a, @b, @c) {transA=1}\n @t = Gemm(@a, @b, @c) "
         "{transB=1}\n"
         " output @p, @q, @r, @t",
         (long long)n, (long long)n, (long long)n, (long long)n, (long long)n);
  oc_add(s, "MatMul",
         "input @a: f32[%lld, 20]\n const @w1: f32[20, 9] = normal(seed=1)\n const @w2: f32[20, 9] = normal(seed=2)\n"
         " @p = MatMul(@a, @w1)\n @q = MatMul(@a, @w2)\n output @p, @q",
         (long long)n);
  oc_add(s, "Conv",
         "input @x: f32[1, 4, 7, 6]\n const @w: f32[5, 4, 3, 3] = normal(seed=3, std=0.3)\n"
         " @a = Conv(@x, @w) {pads=[1, 1, 1, 1]}\n @b = Conv(@x, @w) {pads=[2, 0, 0, 2]}\n @c = Conv(@x, @w) {pads=[0, "
         "2, 2, 0]}\n"
         " @d = Conv(@x, @w) {pads=[2, 2, 2, 2], dilations=[2, 2]}\n output @a, @b, @c, @d");
  oc_add(s, "Conv",
         "input @x: f32[1, 6, 5, 5]\n const @w1: f32[6, 1, 3, 3] = normal(seed=4)\n const @w2: f32[6, 3, 3, 3] = "
         "normal(seed=4)\n"
         " @a = Conv(@x, @w1) {group=6, pads=[1, 1, 1, 1]}\n @b = Conv(@x, @w2) {group=2, pads=[1, 1, 1, 1]}\n output "
         "@a, @b");
  oc_add(s, "MaxPool",
         "input @x: f32[1, 3, 8, 7]\n @a = MaxPool(@x) {kernel_shape=[3, 3], pads=[1, 1, 1, 1]}\n"
         " @b = AveragePool(@x) {kernel_shape=[3, 3], pads=[1, 1, 1, 1]}\n"
         " @c = AveragePool(@x) {kernel_shape=[3, 3], pads=[1, 1, 1, 1], count_include_pad=1}\n"
         " @d = MaxPool(@x) {kernel_shape=[3, 3], pads=[2, 0, 0, 2]}\n output @a, @b, @c, @d");
  oc_add(s, "ReduceSum",
         "input @x: f32[4, 9, 5]\n const @ax: i64[2] = [0, 2]\n @a = ReduceSum(@x, @ax)\n @b = ReduceMean(@x, @ax)\n"
         " @c = ReduceMax(@x, @ax)\n @d = ReduceSum(@x, @ax) {keepdims=0}\n output @a, @b, @c, @d");
  oc_add(s, "Resize",
         "input @x: f32[1, 2, 5, 4]\n const @sz: i64[4] = [1, 2, 8, 7]\n"
         " @a = Resize(@x, _, _, @sz) {mode=\"linear\"}\n @b = Resize(@x, _, _, @sz) {mode=\"linear\", "
         "coordinate_transformation_mode=\"align_corners\"}\n"
         " @c = Resize(@x, _, _, @sz) {mode=\"cubic\"}\n @d = Resize(@x, _, _, @sz)\n output @a, @b, @c, @d");
  oc_add(
      s, "Sigmoid",
      "input @x: f32[7, 33]\n @a = Sigmoid(@x)\n @b = Tanh(@x)\n @c = Gelu(@x)\n @d = Gelu(@x) {approximate=\"tanh\"}\n"
      " @e = Exp(@x)\n @f = Erf(@x)\n output @a, @b, @c, @d, @e, @f");
  oc_add(s, "Add",
         "input @x: f32[7, 33]\n input @r: f32[33]\n @a = Add(@x, @r)\n @b = Sub(@x, @r)\n @c = Mul(@x, @r)\n"
         " @d = Div(@x, @r)\n @e = Max(@x, @r)\n @f = PRelu(@x, @r)\n output @a, @b, @c, @d, @e, @f");
  oc_add(s, "LeakyRelu",
         "input @x: f32[5, 17]\n @a = LeakyRelu(@x) {alpha=0.1}\n @b = LeakyRelu(@x) {alpha=0.3}\n"
         " @c = Elu(@x) {alpha=0.5}\n @d = Elu(@x)\n output @a, @b, @c, @d");
  /* the same fused chain with other constants and attributes, after fuse-elementwise */
  const char *fuse = "fuse-elementwise,fuse-matmul,dce";
  oc_case *c = oc_add(
      s, "FusedElementwise",
      "input @x: f32[6, 35]\n const @k1: f32[] = [2]\n const @k2: f32[] = [3]\n const @lo1: f32[] = [-0.5]\n"
      " const @hi1: f32[] = [1]\n const @lo2: f32[] = [0]\n const @hi2: f32[] = [2]\n const @p2: f32[] = [2]\n"
      " const @p3: f32[] = [3]\n"
      " @a1 = Mul(@x, @k1)\n @a2 = Clip(@a1, @lo1, @hi1)\n @a3 = LeakyRelu(@a2) {alpha=0.1}\n @a4 = Pow(@a3, @p2)\n"
      " @b1 = Mul(@x, @k2)\n @b2 = Clip(@b1, @lo2, @hi2)\n @b3 = LeakyRelu(@b2) {alpha=0.2}\n @b4 = Pow(@b3, @p3)\n"
      " @c1 = Mul(@x, @k1)\n @c2 = HardSigmoid(@c1) {alpha=0.3, beta=0.4}\n @c3 = Neg(@c2)\n"
      " @d1 = Mul(@x, @k1)\n @d2 = HardSigmoid(@d1)\n @d3 = Neg(@d2)\n output @a4, @b4, @c3, @d3");
  c->pipeline = fuse;
  c = oc_add(
      s, "FusedMatMul",
      "input @x: f32[5, 16]\n const @w: f32[16, 12] = normal(seed=5, std=0.3)\n const @c1: f32[12] = normal(seed=6)\n"
      " const @c2: f32[12] = normal(seed=7)\n const @h: f32[] = [0.5]\n"
      " @m1 = MatMul(@x, @w)\n @a1 = Add(@m1, @c1)\n @r1 = Relu(@a1)\n"
      " @m2 = MatMul(@x, @w)\n @a2 = Add(@m2, @c2)\n @r2 = Relu(@a2)\n"
      " @m3 = MatMul(@x, @w)\n @a3 = Add(@m3, @c1)\n @r3 = Sigmoid(@a3)\n"
      " @m4 = MatMul(@x, @w)\n @a4 = Mul(@m4, @h)\n @r4 = Relu(@a4)\n output @r1, @r2, @r3, @r4");
  c->pipeline = fuse;
}

void oc_gen_fused(oc_suite *s) {
  s->family = OC_LINALG;
  gen_attention(s);
  gen_direct(s);
  gen_random_chains(s);
  gen_twins(s);
}
