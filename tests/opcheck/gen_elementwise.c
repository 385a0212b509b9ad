/* gen_elementwise.c: opcheck cases of the elementwise family: unary maps on
 * every float dtype (and the integer ones where the op takes them), with
 * special values (NaN, inf, signed zeros) and a row long enough for vector
 * loops with a tail; binary and variadic ops over the broadcast patterns a
 * model meets (scalar, row, column, middle axis, rank mismatch, both sides
 * broadcasting, empty); comparisons and logic with ties; Where, Clip with
 * constant and run-time bounds, IsNaN/IsInf, Dropout; Cast between every
 * pair of dtypes with storage. */
#include "opcheck.h"
#include <stdio.h>
#include <string.h>

static const char *rand_shape(oc_suite *s, int rmin, int rmax, int64_t max_numel) {
  int64_t d[KN_MAX_RANK];
  int r = (int)oc_rand(s, rmin, rmax);
  oc_shape(s, r, max_numel, d);
  return oc_dims(r, d);
}

/* ===== unary ===== */
typedef struct unary_op {
  const char *op, *attrs;
  double lo, hi;
  const char *ints; /* integer dtypes it takes ("" none) */
} unary_op;

static const unary_op g_unary[] = {
    {"Abs", "", -3, 3, "i8 i16 i32 i64 u8 u32"},
    {"Neg", "", -3, 3, "i8 i16 i32 i64"},
    {"Reciprocal", "", -3, 3, ""},
    {"Floor", "", -3, 3, ""},
    {"Ceil", "", -3, 3, ""},
    {"Round", "", -3, 3, ""},
    {"Sign", "", -3, 3, "i8 i32 i64 u8"},
    {"Sqrt", "", -1, 4, ""},
    {"Exp", "", -10, 10, ""},
    {"Log", "", -1, 4, ""},
    {"Erf", "", -3, 3, ""},
    {"Tanh", "", -5, 5, ""},
    {"Sigmoid", "", -8, 8, ""},
    {"Relu", "", -3, 3, "i8 i16 i32 i64"},
    {"Sin", "", -6, 6, ""},
    {"Cos", "", -6, 6, ""},
    {"Tan", "", -1.5, 1.5, ""},
    {"Asin", "", -1.2, 1.2, ""},
    {"Acos", "", -1.2, 1.2, ""},
    {"Atan", "", -5, 5, ""},
    {"Sinh", "", -4, 4, ""},
    {"Cosh", "", -4, 4, ""},
    {"Asinh", "", -5, 5, ""},
    {"Acosh", "", 0.5, 5, ""},
    {"Atanh", "", -1.1, 1.1, ""},
    {"Softsign", "", -5, 5, ""},
    {"Softplus", "", -10, 10, ""},
    {"LeakyRelu", "", -3, 3, ""},
    {"LeakyRelu", " {alpha=0.3}", -3, 3, ""},
    {"Elu", " {alpha=0.7}", -3, 3, ""},
    {"Elu", "", -3, 3, ""},
    {"Selu", "", -3, 3, ""},
    {"Selu", " {alpha=1.5, gamma=0.9}", -3, 3, ""},
    {"Celu", " {alpha=1.3}", -3, 3, ""},
    {"HardSigmoid", "", -4, 4, ""},
    {"HardSigmoid", " {alpha=0.3, beta=0.4}", -4, 4, ""},
    {"HardSwish", "", -4, 4, ""},
    {"ThresholdedRelu", " {alpha=0.4}", -3, 3, ""},
    {"Shrink", " {lambd=0.6, bias=0.2}", -3, 3, ""},
    {"Shrink", "", -3, 3, ""},
    {"Gelu", "", -4, 4, ""},
    {"Gelu", " {approximate=\"tanh\"}", -4, 4, ""},
    {"IsNaN", "", -3, 3, ""},
    {"IsInf", "", -3, 3, ""},
    {"IsInf", " {detect_negative=0}", -3, 3, ""},
    {"IsInf", " {detect_positive=0}", -3, 3, ""},
};

static oc_case *unary_case(oc_suite *s, const unary_op *u, const char *dt, const char *shape) {
  oc_case *c = oc_add(s, u->op, "input @x: %s[%s]\n @y = %s(@x)%s\n output @y", dt, shape, u->op, u->attrs);
  c->lo = u->lo, c->hi = u->hi;
  return c;
}

static void gen_unary(oc_suite *s) {
  for (size_t i = 0; i < sizeof g_unary / sizeof g_unary[0]; i++) {
    const unary_op *u = &g_unary[i];
    bool classify = strncmp(u->op, "Is", 2) == 0;
    unary_case(s, u, "f32", rand_shape(s, 0, 4, 600))->specials = classify;
    unary_case(s, u, "f32", "3, 257")->specials = true; /* vector loops with a tail */
    unary_case(s, u, "f64", rand_shape(s, 1, 3, 300))->specials = true;
    unary_case(s, u, "f16", rand_shape(s, 1, 3, 300))->specials = classify;
    unary_case(s, u, "f32", oc_rand(s, 0, 1) ? "0, 5" : "3, 0, 7"); /* empty */
    if (strcmp(u->op, "Relu") == 0 || strcmp(u->op, "Exp") == 0 || strcmp(u->op, "Abs") == 0)
      unary_case(s, u, "bf16", rand_shape(s, 1, 3, 300));
    char ints[64];
    snprintf(ints, sizeof ints, "%s", u->ints);
    for (char *t = strtok(ints, " "); t; t = strtok(NULL, " ")) unary_case(s, u, t, rand_shape(s, 0, 3, 300));
  }
  /* Round's ties go to even: values on multiples of 0.5 */
  oc_case *c = oc_add(s, "Round", "input @x: f32[%s]\n @y = Round(@x)\n output @y", rand_shape(s, 1, 2, 200));
  c->step = 0.5;
  c = oc_add(s, "Round", "input @x: f64[41]\n @y = Round(@x)\n output @y");
  c->step = 0.5;
  oc_add(s, "Not", "input @x: bool[%s]\n @y = Not(@x)\n output @y", rand_shape(s, 0, 4, 600));
  oc_add(s, "Not", "input @x: bool[0, 3]\n @y = Not(@x)\n output @y");
  static const char *const all[] = {"f32", "f64", "f16", "bf16", "i8",  "i16", "i32",
                                    "i64", "u8",  "u16", "u32",  "u64", "bool"};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
    oc_add(s, "Identity", "input @x: %s[%s]\n @y = Identity(@x)\n output @y", all[i], rand_shape(s, 0, 3, 300));
  oc_add(s, "Identity", "input @x: f32[2, 0]\n @y = Identity(@x)\n output @y");
  /* Dropout in inference: the identity and an all-true mask */
  oc_add(s, "Dropout", "input @x: f32[%s]\n @y, @m = Dropout(@x)\n output @y, @m", rand_shape(s, 1, 3, 300));
  oc_add(s, "Dropout",
         "input @x: f16[%s]\n const @r: f32[] = [0.3]\n const @t: bool[] = [false]\n"
         " @y, @m = Dropout(@x, @r, @t)\n output @y, @m",
         rand_shape(s, 1, 3, 300));
  oc_add(s, "Dropout",
         "input @x: f32[%s]\n const @r: f32[] = [0]\n const @t: bool[] = [true]\n"
         " @y = Dropout(@x, @r, @t)\n output @y",
         rand_shape(s, 1, 3, 300));
  oc_add(s, "Dropout", "input @x: i64[4, 0]\n @y, @m = Dropout(@x)\n output @y, @m");
}

/* ===== binary, variadic, comparisons ===== */
typedef struct bpair {
  const char *name;
  int ra, rb;
  int64_t a[KN_MAX_RANK], b[KN_MAX_RANK];
} bpair;

/* The broadcast patterns, with fresh odd sizes each call. */
static int make_pairs(oc_suite *s, bpair *p) {
  int64_t m = oc_odd(s), n = oc_odd(s), k = oc_odd(s), q = oc_rand(s, 2, 5);
  if (m * n * k > 2000) k = 3;
  int np = 0;
  p[np++] = (bpair){"same", 3, 3, {m, n, k}, {m, n, k}};
  p[np++] = (bpair){"scalar", 2, 0, {m, n}, {0}};
  p[np++] = (bpair){"scalar-left", 0, 2, {0}, {m, n}};
  p[np++] = (bpair){"row", 2, 1, {m, n}, {n}};
  p[np++] = (bpair){"column", 2, 2, {m, n}, {m, 1}};
  p[np++] = (bpair){"middle", 3, 2, {q, n, k}, {n, 1}};
  p[np++] = (bpair){"rank-mismatch", 2, 3, {n, k}, {q, n, k}};
  p[np++] = (bpair){"both", 3, 3, {q, 1, k}, {1, n, 1}};
  p[np++] = (bpair){"nchw-channel", 4, 3, {2, q, 3, 5}, {q, 1, 1}};
  p[np++] = (bpair){"long-row", 2, 1, {3, 131}, {131}};
  p[np++] = (bpair){"empty", 2, 1, {0, n}, {n}};
  p[np++] = (bpair){"empty-bcast", 3, 3, {q, 0, 1}, {1, 1, k}};
  return np;
}

typedef struct binary_op {
  const char *op, *attrs, *dtypes;
  double alo, ahi, blo, bhi; /* float ranges of a and b (0, 0: the default) */
  int64_t iblo, ibhi;        /* integer range of b (0, 0: the default) */
} binary_op;

static const binary_op g_binary[] = {
    {"Add", "", "f32 f64 f16 i32 i64 i8 u8", 0, 0, 0, 0, 0, 0},
    {"Sub", "", "f32 f64 f16 i32 i64 u16", 0, 0, 0, 0, 0, 0},
    {"Mul", "", "f32 f64 f16 i32 i64 i16", 0, 0, 0, 0, 0, 0},
    {"Div", "", "f32 f64 f16 i32 i64 u8", 0, 0, 0, 0, 1, 9},
    {"Div", "", "i32 i64", 0, 0, 0, 0, -9, -1},
    {"Pow", "", "f32 f64 f16", 0.1, 3, -2, 2, 0, 0},
    {"Pow", "", "i32 i64", 0, 0, 0, 0, 0, 3},
    {"Mod", "", "i32 i64 i8 u16", 0, 0, 0, 0, 1, 9},
    {"Mod", "", "i32 i64", 0, 0, 0, 0, -9, -1},
    {"Mod", " {fmod=1}", "f32 f64 i32", -5, 5, 0.5, 3, 1, 9},
    {"PRelu", "", "f32 f64 f16 i32", 0, 0, 0, 0, 0, 0},
    {"Min", "", "f32 f64 i32 i64 u8", 0, 0, 0, 0, 0, 0},
    {"Max", "", "f32 f64 i32 i64 u8", 0, 0, 0, 0, 0, 0},
    {"Sum", "", "f32 f64 i64", 0, 0, 0, 0, 0, 0},
    {"Mean", "", "f32 f64 i32", 0, 0, 0, 0, 0, 0},
    {"BitShift", " {direction=\"LEFT\"}", "u8 u16 u32 u64", 0, 0, 0, 0, 0, 7},
    {"BitShift", " {direction=\"RIGHT\"}", "u8 u16 u32 u64", 0, 0, 0, 0, 0, 7},
    {"Equal", "", "f32 f64 i32 i64 u8 bool", 0, 0, 0, 0, 0, 0},
    {"Less", "", "f32 f64 f16 i32 i64 u16", 0, 0, 0, 0, 0, 0},
    {"Greater", "", "f32 f64 i32 i64 i8", 0, 0, 0, 0, 0, 0},
    {"LessOrEqual", "", "f32 f64 i32 i64", 0, 0, 0, 0, 0, 0},
    {"GreaterOrEqual", "", "f32 f64 i32 u64", 0, 0, 0, 0, 0, 0},
    {"And", "", "bool", 0, 0, 0, 0, 0, 0},
    {"Or", "", "bool", 0, 0, 0, 0, 0, 0},
    {"Xor", "", "bool", 0, 0, 0, 0, 0, 0},
};

static oc_case *binary_case(oc_suite *s, const binary_op *b, const char *dt, const bpair *p) {
  bool prelu = strcmp(b->op, "PRelu") == 0;
  if (prelu && p->ra < p->rb) return NULL; /* the slope broadcasts to X only */
  if (prelu && (strcmp(p->name, "both") == 0 || strcmp(p->name, "empty-bcast") == 0)) return NULL;
  oc_case *c = oc_add(s, b->op, "input @a: %s[%s]\n input @b: %s[%s]\n @y = %s(@a, @b)%s\n output @y", dt,
                      oc_dims(p->ra, p->a), dt, oc_dims(p->rb, p->b), b->op, b->attrs);
  if (b->alo != b->ahi) oc_range_of(c, "a", b->alo, b->ahi);
  if (b->blo != b->bhi && (dt[0] == 'f' || dt[0] == 'b')) oc_range_of(c, "b", b->blo, b->bhi);
  if (b->iblo != b->ibhi && dt[0] != 'f') oc_range_of(c, "b", (double)b->iblo, (double)b->ibhi);
  bool cmp = strstr("Equal Less Greater LessOrEqual GreaterOrEqual Min Max", b->op) != NULL; /* ops with ties */
  if (cmp) c->step = 0.5, c->lo = -2, c->hi = 2, c->ilo = -3, c->ihi = 3;                    /* ties */
  if (strcmp(b->op, "BitShift") == 0 && dt[1] != '8') /* shifts below the width (u8's 0..7 is the row's); wider a */
    oc_range_of(c, "b", 0, dt[1] == '1' ? 15 : dt[1] == '3' ? 31 : 63), c->ihi = 1000;
  return c;
}

static void gen_binary(oc_suite *s) {
  bpair pairs[16];
  for (size_t i = 0; i < sizeof g_binary / sizeof g_binary[0]; i++) {
    const binary_op *b = &g_binary[i];
    int np = make_pairs(s, pairs);
    char dts[64];
    snprintf(dts, sizeof dts, "%s", b->dtypes);
    bool first = true;
    for (char *dt = strtok(dts, " "); dt; dt = strtok(NULL, " "), first = false)
      for (int k = 0; k < np; k++) {
        /* every pattern on the first dtype, a few on the others */
        if (!first && !(k == 0 || k == 3 || k == 6 || k == (int)oc_rand(s, 0, np - 1))) continue;
        binary_case(s, b, dt, &pairs[k]);
      }
    if (strstr(b->dtypes, "f32") && strcmp(b->op, "Mod") != 0) { /* NaN and inf through the op */
      oc_case *c = binary_case(s, b, "f32", &pairs[0]);
      if (c) c->specials = true;
    }
  }
  /* Pow with an exponent of another dtype, and x^2 (the JIT squares) */
  oc_add(s, "Pow", "input @a: f32[%s]\n input @b: i64[]\n @y = Pow(@a, @b)\n output @y", rand_shape(s, 1, 3, 300));
  oc_add(s, "Pow", "input @a: f32[%s]\n const @b: f32[] = [2]\n @y = Pow(@a, @b)\n output @y",
         rand_shape(s, 1, 3, 300));
  oc_add(s, "Pow", "input @a: f32[%s]\n const @b: f32[] = [0.5]\n @y = Pow(@a, @b)\n output @y",
         rand_shape(s, 1, 3, 300));
  /* variadic folds over 1, 3 and 4 inputs with broadcasting */
  static const char *const var[] = {"Min", "Max", "Sum", "Mean"};
  for (size_t i = 0; i < sizeof var / sizeof var[0]; i++) {
    int64_t m = oc_odd(s), n = oc_odd(s);
    oc_add(s, var[i], "input @a: f32[%lld, %lld]\n @y = %s(@a)\n output @y", (long long)m, (long long)n, var[i]);
    oc_add(s, var[i],
           "input @a: f32[%lld, %lld]\n input @b: f32[%lld]\n input @c: f32[%lld, 1]\n"
           " @y = %s(@a, @b, @c)\n output @y",
           (long long)m, (long long)n, (long long)n, (long long)m, var[i]);
    oc_add(s, var[i],
           "input @a: f64[%lld]\n input @b: f64[%lld, 1]\n input @c: f64[]\n input @d: f64[2, %lld, %lld]\n"
           " @y = %s(@a, @b, @c, @d)\n output @y",
           (long long)n, (long long)m, (long long)m, (long long)n, var[i]);
    oc_add(s, var[i],
           "input @a: i64[%lld, %lld]\n input @b: i64[%lld]\n input @c: i64[]\n @y = %s(@a, @b, @c)\n output @y",
           (long long)m, (long long)n, (long long)n, var[i]);
    oc_add(s, var[i],
           "input @a: f32[0, %lld]\n input @b: f32[%lld]\n input @c: f32[1, 1]\n @y = %s(@a, @b, @c)\n output @y",
           (long long)n, (long long)n, var[i]);
  }
}

/* ===== Where, Clip ===== */
static void gen_select(oc_suite *s) {
  static const char *const dts[] = {"f32", "f64", "f16", "i64", "i32", "i8", "bool", "u16", "bf16"};
  for (size_t i = 0; i < sizeof dts / sizeof dts[0]; i++) {
    int64_t m = oc_odd(s), n = oc_odd(s), q = oc_rand(s, 2, 4);
    oc_add(s, "Where",
           "input @c: bool[%lld, %lld]\n input @x: %s[%lld, %lld]\n input @z: %s[%lld, %lld]\n"
           " @y = Where(@c, @x, @z)\n output @y",
           (long long)m, (long long)n, dts[i], (long long)m, (long long)n, dts[i], (long long)m, (long long)n);
    oc_add(s, "Where",
           "input @c: bool[%lld, 1]\n input @x: %s[%lld]\n input @z: %s[]\n @y = Where(@c, @x, @z)\n output @y",
           (long long)m, dts[i], (long long)n, dts[i]);
    if (i < 3)
      oc_add(s, "Where",
             "input @c: bool[%lld, 1, %lld]\n input @x: %s[1, %lld, 1]\n input @z: %s[%lld]\n"
             " @y = Where(@c, @x, @z)\n output @y",
             (long long)q, (long long)n, dts[i], (long long)m, dts[i], (long long)n);
  }
  oc_add(s, "Where",
         "input @c: bool[0, 3]\n input @x: f32[3]\n input @z: f32[1, 3]\n @y = Where(@c, @x, @z)\n output @y");
  oc_add(s, "Where", "input @c: bool[]\n input @x: f32[4, 5]\n input @z: f32[5]\n @y = Where(@c, @x, @z)\n output @y");

  static const char *const cdts[] = {"f32", "f64", "f16", "i32", "i64", "u8", "i8"};
  for (size_t i = 0; i < sizeof cdts / sizeof cdts[0]; i++) {
    const char *dt = cdts[i], *sh = rand_shape(s, 0, 3, 400);
    bool f = dt[0] == 'f';
    oc_case *c = oc_add(s, "Clip",
                        "input @x: %s[%s]\n const @lo: %s[] = [%s]\n const @hi: %s[] = [%s]\n"
                        " @y = Clip(@x, @lo, @hi)\n output @y",
                        dt, sh, dt,
                        f              ? "-0.5"
                        : dt[0] == 'u' ? "2"
                                       : "-2",
                        dt, f ? "1.25" : "7");
    c->specials = f;
    oc_add(s, "Clip", "input @x: %s[%s]\n input @lo: %s[]\n @y = Clip(@x, @lo)\n output @y", dt,
           rand_shape(s, 1, 3, 400), dt);
    oc_add(s, "Clip", "input @x: %s[%s]\n input @hi: %s[]\n @y = Clip(@x, _, @hi)\n output @y", dt,
           rand_shape(s, 1, 3, 400), dt);
  }
  oc_add(s, "Clip", "input @x: f32[%s]\n @y = Clip(@x)\n output @y", rand_shape(s, 1, 3, 400));
  oc_add(s, "Clip",
         "input @x: f32[%s]\n const @lo: f32[0] = []\n const @hi: f32[] = [0.5]\n"
         " @y = Clip(@x, @lo, @hi)\n output @y",
         rand_shape(s, 1, 3, 400));
  oc_add(s, "Clip", "input @x: f32[3, 0]\n const @lo: f32[] = [0]\n @y = Clip(@x, @lo)\n output @y");
  oc_add(s, "Clip", "input @x: f32[3, 67]\n input @lo: f32[]\n input @hi: f32[]\n @y = Clip(@x, @lo, @hi)\n output @y");
}

void oc_gen_elementwise(oc_suite *s) {
  s->family = OC_ELEMENTWISE;
  gen_unary(s);
  gen_binary(s);
  gen_select(s);
}

/* ===== Cast ===== */
void oc_gen_cast(oc_suite *s) {
  s->family = OC_ELEMENTWISE;
  static const char *const dts[] = {"f32", "f64", "f16", "bf16", "i8",  "i16", "i32",
                                    "i64", "u8",  "u16", "u32",  "u64", "bool"};
  const int n = (int)(sizeof dts / sizeof dts[0]);
  for (int a = 0; a < n; a++)
    for (int b = 0; b < n; b++) {
      const char *from = dts[a], *to = dts[b];
      oc_case *c = oc_add(s, "Cast", "input @x: %s[%s]\n @y = Cast(@x) {to=%d}\n output @y", from,
                          rand_shape(s, 1, 2, 100), kn_dtype_from_name(to));
      bool ffrom = from[0] == 'f' || (from[0] == 'b' && from[1] == 'f');
      bool fto = to[0] == 'f' || (to[0] == 'b' && to[1] == 'f');
      if (ffrom && fto)
        c->specials = true, c->lo = -70000, c->hi = 70000; /* f16 overflows to inf */
      else if (ffrom) {                    /* in the target's range: out-of-range float-to-int casts are undefined */
        c->step = to[0] == 'b' ? 1 : 0.25; /* zeros for bool */
        c->lo = to[0] == 'u' || to[0] == 'b' ? 0 : -100;
        c->hi = to[0] == 'b' ? 2 : 120;
        if (to[0] == 'b') c->lo = -2;
      } else
        c->ilo = -300, c->ihi = 300; /* integer narrowing wraps */
    }
  oc_add(s, "Cast", "input @x: f32[0, 3]\n @y = Cast(@x) {to=7}\n output @y");
  oc_add(s, "Cast", "input @x: i64[5, 0]\n @y = Cast(@x) {to=10}\n output @y");
  oc_add(s, "CastLike", "input @x: f32[%s]\n input @l: f16[1]\n @y = CastLike(@x, @l)\n output @y",
         rand_shape(s, 1, 3, 300));
  oc_add(s, "CastLike", "input @x: i32[%s]\n input @l: f64[]\n @y = CastLike(@x, @l)\n output @y",
         rand_shape(s, 1, 3, 300));
  oc_add(s, "CastLike", "input @x: f64[%s]\n input @l: f64[2]\n @y = CastLike(@x, @l)\n output @y",
         rand_shape(s, 1, 3, 300));
}
