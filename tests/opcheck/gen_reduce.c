/* gen_reduce.c: opcheck cases of the row-wise family: the Reduce* ops over
 * random axes sets (negative, all, none with and without
 * noop_with_empty_axes, keepdims both ways, empty inputs), ArgMax/ArgMin with
 * ties, TopK, CumSum, Softmax/LogSoftmax/Hardmax/LpNormalization on every
 * axis, and the normalizations (Layer, Instance, Group, Batch, LRN, MVN). */
#include "opcheck.h"
#include <stdio.h>
#include <string.h>

static int rand_dims(oc_suite *s, int rmin, int rmax, int64_t max_numel, int64_t *d) {
  int r = (int)oc_rand(s, rmin, rmax);
  oc_shape(s, r, max_numel, d);
  return r;
}

/* A random non-empty set of axes of a rank-r tensor, some negative. */
static int rand_axes(oc_suite *s, int r, int64_t *ax) {
  int n = 0;
  for (int d = 0; d < r; d++)
    if (oc_rand(s, 0, 1)) ax[n++] = oc_rand(s, 0, 1) ? d - r : d;
  if (n == 0) ax[n++] = oc_rand(s, 0, r - 1);
  return n;
}

typedef struct reduce_op {
  const char *op;
  double lo, hi;
  const char *dtypes;
} reduce_op;

static const reduce_op g_reduce[] = {
    {"ReduceSum", -3, 3, "f64 i32 i64 f16"},
    {"ReduceMean", -3, 3, "f64 i64 f16"},
    {"ReduceMax", -3, 3, "f64 i32 i64 u8 f16"},
    {"ReduceMin", -3, 3, "f64 i32 i64 i8"},
    {"ReduceProd", 0.6, 1.5, "f64 i64"},
    {"ReduceL1", -3, 3, "f64 i32"},
    {"ReduceL2", -3, 3, "f64 f16"},
    {"ReduceLogSum", 0.1, 3, "f64"},
    {"ReduceLogSumExp", -3, 3, "f64 f16"},
    {"ReduceSumSquare", -3, 3, "f64 i64"},
};

static oc_case *reduce_case(oc_suite *s, const reduce_op *ro, const char *dt, int r, const int64_t *d, int nax,
                            const int64_t *ax, const char *attrs) {
  oc_case *c;
  if (nax < 0)
    c = oc_add(s, ro->op, "input @x: %s[%s]\n @y = %s(@x)%s\n output @y", dt, oc_dims(r, d), ro->op, attrs);
  else
    c = oc_add(s, ro->op, "input @x: %s[%s]\n const @ax: i64[%d] = %s\n @y = %s(@x, @ax)%s\n output @y", dt,
               oc_dims(r, d), nax, nax ? oc_ints(nax, ax) : "[]", ro->op, attrs);
  c->lo = ro->lo, c->hi = ro->hi;
  if (strcmp(ro->op, "ReduceProd") == 0) c->ilo = -2, c->ihi = 2;
  return c;
}

static void gen_reductions(oc_suite *s) {
  for (size_t i = 0; i < sizeof g_reduce / sizeof g_reduce[0]; i++) {
    const reduce_op *ro = &g_reduce[i];
    int64_t d[KN_MAX_RANK], ax[KN_MAX_RANK];
    for (int k = 0; k < 6; k++) { /* random axes sets, keepdims both ways */
      int r = rand_dims(s, 1, 4, 800, d), nax = rand_axes(s, r, ax);
      reduce_case(s, ro, "f32", r, d, nax, ax, k % 2 ? " {keepdims=0}" : "");
    }
    int r = rand_dims(s, 2, 3, 800, d);
    reduce_case(s, ro, "f32", r, d, -1, ax, ""); /* no axes: everything */
    reduce_case(s, ro, "f32", r, d, -1, ax, " {keepdims=0}");
    reduce_case(s, ro, "f32", r, d, 0, ax, "");                           /* empty axes: everything */
    reduce_case(s, ro, "f32", r, d, -1, ax, " {noop_with_empty_axes=1}"); /* the identity */
    reduce_case(s, ro, "f32", r, d, 0, ax, " {noop_with_empty_axes=1, keepdims=0}");
    /* a long row (vector loops with a tail) and a long column */
    reduce_case(s, ro, "f32", 2, (int64_t[]){5, 301}, 1, (int64_t[]){-1}, "");
    reduce_case(s, ro, "f32", 2, (int64_t[]){301, 5}, 1, (int64_t[]){0}, " {keepdims=0}");
    char dts[64];
    snprintf(dts, sizeof dts, "%s", ro->dtypes);
    for (char *dt = strtok(dts, " "); dt; dt = strtok(NULL, " ")) {
      r = rand_dims(s, 1, 4, 600, d);
      int nax = rand_axes(s, r, ax);
      reduce_case(s, ro, dt, r, d, nax, ax, oc_rand(s, 0, 1) ? " {keepdims=0}" : "");
    }
    /* empty: a kept dim of 0, then an empty reduction (the op's identity) */
    reduce_case(s, ro, "f32", 2, (int64_t[]){0, 5}, 1, (int64_t[]){1}, "");
    if (strcmp(ro->op, "ReduceMax") && strcmp(ro->op, "ReduceMin") && strcmp(ro->op, "ReduceMean") &&
        strcmp(ro->op, "ReduceLogSum"))
      reduce_case(s, ro, "f32", 3, (int64_t[]){3, 0, 4}, 1, (int64_t[]){1}, " {keepdims=0}");
  }
  /* ArgMax/ArgMin with ties (the first index wins, or the last) */
  static const char *const args[] = {"ArgMax", "ArgMin"};
  static const char *const adts[] = {"f32", "f64", "i32", "i64", "u8", "f16"};
  for (int a = 0; a < 2; a++) {
    for (int k = 0; k < 8; k++) {
      int64_t d[KN_MAX_RANK];
      int r = rand_dims(s, 1, 4, 800, d);
      int64_t axis = oc_rand(s, -r, r - 1);
      oc_case *c = oc_add(s, args[a],
                          "input @x: %s[%s]\n @y = %s(@x) {axis=%lld, keepdims=%d, select_last_index=%d}\n"
                          " output @y",
                          adts[k % 6], oc_dims(r, d), args[a], (long long)axis, (int)(k % 3 != 0), (int)(k % 2));
      c->step = 0.5, c->lo = -2, c->hi = 2, c->ilo = 0, c->ihi = 4;
    }
    int64_t d3[3];
    oc_shape(s, 3, 500, d3);
    for (int axis = -3; axis < 3; axis++) { /* every axis of a rank-3 tensor */
      oc_case *c =
          oc_add(s, args[a], "input @x: f32[%s]\n @y = %s(@x) {axis=%d}\n output @y", oc_dims(3, d3), args[a], axis);
      c->step = 0.5, c->lo = -2, c->hi = 2;
    }
    oc_add(s, args[a], "input @x: f32[4, 261]\n @y = %s(@x) {axis=1}\n output @y", args[a]);
    oc_add(s, args[a], "input @x: f32[0, 5]\n @y = %s(@x) {axis=1}\n output @y", args[a]);
    oc_add(s, args[a], "input @x: f32[%lld]\n @y = %s(@x) {keepdims=0}\n output @y", (long long)oc_odd(s), args[a]);
  }
  /* TopK: continuous data (no ties, whose order ONNX leaves open) */
  static const char *const tdts[] = {"f32", "f64", "i64", "f32", "i32", "f32"};
  for (int k = 0; k < 6; k++) {
    int64_t d[KN_MAX_RANK];
    int r = rand_dims(s, 1, 3, 600, d);
    int64_t axis = oc_rand(s, -r, r - 1), len = d[axis < 0 ? axis + r : axis];
    oc_case *c = oc_add(s, "TopK",
                        "input @x: %s[%s]\n const @k: i64[1] = [%lld]\n"
                        " @v, @i = TopK(@x, @k) {axis=%lld, largest=%d}\n output @v, @i",
                        tdts[k], oc_dims(r, d), (long long)oc_rand(s, 1, len), (long long)axis, k % 2);
    c->ilo = -100000, c->ihi = 100000;
  }
  oc_add(s, "TopK", "input @x: f32[3, 7]\n const @k: i64[1] = [0]\n @v, @i = TopK(@x, @k)\n output @v, @i");
  oc_add(s, "TopK", "input @x: f32[0, 7]\n const @k: i64[1] = [2]\n @v, @i = TopK(@x, @k)\n output @v, @i");
  /* CumSum */
  static const char *const cdts[] = {"f32", "f64", "i32", "i64"};
  for (int k = 0; k < 8; k++) {
    int64_t d[KN_MAX_RANK];
    int r = rand_dims(s, 1, 3, 600, d);
    oc_add(s, "CumSum",
           "input @x: %s[%s]\n const @ax: %s[] = [%lld]\n @y = CumSum(@x, @ax) {exclusive=%d, reverse=%d}\n"
           " output @y",
           cdts[k % 4], oc_dims(r, d), k % 3 ? "i64" : "i32", (long long)oc_rand(s, -r, r - 1), k % 2, (k / 2) % 2);
  }
  oc_add(s, "CumSum", "input @x: f32[0, 4]\n const @ax: i64[] = [0]\n @y = CumSum(@x, @ax)\n output @y");
}

/* ===== softmax-like, normalizations ===== */
static void gen_axis_ops(oc_suite *s) {
  static const char *const ops[] = {"Softmax", "LogSoftmax", "Hardmax", "LpNormalization", "LpNormalization"};
  static const char *const dts[] = {"f32", "f64", "f16"};
  for (int o = 0; o < 5; o++) {
    const char *p = o == 3 ? ", p=1" : "";
    for (int k = 0; k < 7; k++) {
      int64_t d[KN_MAX_RANK];
      int r = rand_dims(s, 1, 4, 800, d);
      int64_t axis = oc_rand(s, -r, r - 1);
      oc_case *c = oc_add(s, ops[o], "input @x: %s[%s]\n @y = %s(@x) {axis=%lld%s}\n output @y", dts[k % 3],
                          oc_dims(r, d), ops[o], (long long)axis, p);
      if (o == 2) c->step = 0.5, c->lo = -2, c->hi = 2; /* Hardmax ties: the first wins */
      if (k == 6) c->specials = o != 3;                 /* NaN/inf rows */
    }
    int64_t d4[4];
    oc_shape(s, 4, 600, d4);
    for (int axis = -4; axis < 4; axis++) /* every axis of a rank-4 tensor */
      oc_add(s, ops[o], "input @x: f32[%s]\n @y = %s(@x) {axis=%d%s}\n output @y", oc_dims(4, d4), ops[o], axis, p);
    oc_add(s, ops[o], "input @x: f32[3, 517]\n @y = %s(@x) {axis=-1%s}\n output @y", ops[o], p);
    oc_add(s, ops[o], "input @x: f32[2, 33, 5]\n @y = %s(@x) {axis=1%s}\n output @y", ops[o], p);
    oc_add(s, ops[o], "input @x: f32[%lld, 9]\n @y = %s(@x)%s\n output @y", (long long)oc_odd(s), ops[o],
           o == 3 ? " {p=1}" : "");
    oc_add(s, ops[o], "input @x: f32[0, 5]\n @y = %s(@x) {axis=1%s}\n output @y", ops[o], p);
  }
}

static void gen_layernorm(oc_suite *s) {
  static const char *const dts[] = {"f32", "f64", "f16", "f32"};
  for (int k = 0; k < 10; k++) {
    int64_t d[KN_MAX_RANK];
    int r = rand_dims(s, 1, 4, 900, d);
    int64_t axis = oc_rand(s, -r, r - 1), a = axis < 0 ? axis + r : axis;
    const char *dt = dts[k % 4];
    const char *sh = oc_dims(r - (int)a, d + a);
    bool bias = k % 3 != 2, stats = k % 4 == 1;
    char b[96] = "";
    if (bias) snprintf(b, sizeof b, "input @b: %s[%s]", dt, sh);
    oc_add(s, "LayerNormalization",
           "input @x: %s[%s]\n input @w: %s[%s]\n %s\n @y%s = LayerNormalization(@x, @w%s) {axis=%lld, epsilon=%g}\n"
           " output @y%s",
           dt, oc_dims(r, d), dt, sh, b, stats ? ", @mean, @isd" : "", bias ? ", @b" : "", (long long)axis,
           k % 2 ? 1e-5 : 0.01, stats ? ", @mean, @isd" : "");
  }
  oc_add(s, "LayerNormalization",
         "input @x: f32[5, 771]\n input @w: f32[771]\n input @b: f32[771]\n"
         " @y = LayerNormalization(@x, @w, @b) {epsilon=1e-05}\n output @y");
  oc_add(s, "LayerNormalization",
         "input @x: f32[3, 4, 6]\n input @w: f32[1, 6]\n input @b: f32[6]\n"
         " @y = LayerNormalization(@x, @w, @b)\n output @y");
  oc_add(s, "LayerNormalization",
         "input @x: f32[0, 8]\n input @w: f32[8]\n @y = LayerNormalization(@x, @w)\n output @y");
  oc_add(s, "LayerNormalization",
         "input @x: f32[2, 3, 8]\n input @w: f32[8]\n input @b: f32[8]\n"
         " @y, @mean, @isd = LayerNormalization(@x, @w, @b) {stash_type=1}\n output @y, @mean, @isd");
}

static void gen_channel_norms(oc_suite *s) {
  static const char *const dts[] = {"f32", "f64", "f16"};
  for (int k = 0; k < 9; k++) {
    int64_t n = oc_rand(s, 1, 3), ch = oc_rand(s, 1, 9), sp[3];
    int nsp = (int)oc_rand(s, 1, 3);
    oc_shape(s, nsp, 200, sp);
    const char *dt = dts[k % 3];
    char x[96];
    snprintf(x, sizeof x, "%lld, %lld%s%s", (long long)n, (long long)ch, nsp ? ", " : "", oc_dims(nsp, sp));
    oc_add(s, "InstanceNormalization",
           "input @x: %s[%s]\n input @w: %s[%lld]\n input @b: %s[%lld]\n"
           " @y = InstanceNormalization(@x, @w, @b) {epsilon=%g}\n output @y",
           dt, x, dt, (long long)ch, dt, (long long)ch, k % 2 ? 1e-5 : 0.1);
    int64_t groups = oc_rand(s, 1, 3), gch = groups * oc_rand(s, 1, 3);
    snprintf(x, sizeof x, "%lld, %lld%s%s", (long long)n, (long long)gch, nsp ? ", " : "", oc_dims(nsp, sp));
    int64_t slen = k % 2 ? gch : groups; /* opset 21: per channel; 18: per group */
    oc_add(s, "GroupNormalization",
           "input @x: %s[%s]\n input @w: %s[%lld]\n input @b: %s[%lld]\n"
           " @y = GroupNormalization(@x, @w, @b) {num_groups=%lld, epsilon=%g}\n output @y",
           dt, x, dt, (long long)slen, dt, (long long)slen, (long long)groups, k % 2 ? 1e-5 : 0.1);
    int brank = (int)oc_rand(s, 0, 2);
    snprintf(x, sizeof x, "%lld, %lld%s%s", (long long)n, (long long)ch, brank ? ", " : "", oc_dims(brank, sp));
    oc_case *c =
        oc_add(s, "BatchNormalization",
               "input @x: %s[%s]\n input @w: %s[%lld]\n input @b: %s[%lld]\n input @m: %s[%lld]\n"
               " input @v: %s[%lld]\n @y = BatchNormalization(@x, @w, @b, @m, @v) {epsilon=%g}\n output @y",
               dt, x, dt, (long long)ch, dt, (long long)ch, dt, (long long)ch, dt, (long long)ch, k % 2 ? 1e-5 : 0.1);
    oc_range_of(c, "v", 0.1, 2);
  }
  oc_add(s, "InstanceNormalization",
         "input @x: f32[0, 3, 5]\n input @w: f32[3]\n input @b: f32[3]\n"
         " @y = InstanceNormalization(@x, @w, @b)\n output @y");
  oc_add(s, "InstanceNormalization",
         "input @x: f32[2, 4, 37, 9]\n input @w: f32[4]\n input @b: f32[4]\n"
         " @y = InstanceNormalization(@x, @w, @b)\n output @y");
  oc_add(s, "GroupNormalization",
         "input @x: f32[2, 6, 33, 5]\n input @w: f32[6]\n input @b: f32[6]\n"
         " @y = GroupNormalization(@x, @w, @b) {num_groups=3}\n output @y");
  oc_add(s, "GroupNormalization",
         "input @x: f32[0, 4, 3]\n input @w: f32[4]\n input @b: f32[4]\n"
         " @y = GroupNormalization(@x, @w, @b) {num_groups=2}\n output @y");
  oc_case *c =
      oc_add(s, "BatchNormalization",
             "input @x: f32[0, 3, 4]\n input @w: f32[3]\n input @b: f32[3]\n input @m: f32[3]\n input @v: f32[3]\n"
             " @y = BatchNormalization(@x, @w, @b, @m, @v)\n output @y");
  oc_range_of(c, "v", 0.1, 2);
  c = oc_add(
      s, "BatchNormalization",
      "input @x: f32[2, 3, 5]\n input @w: f32[3]\n input @b: f32[3]\n input @m: f32[3]\n input @v: f32[3]\n"
      " @y, @rm, @rv = BatchNormalization(@x, @w, @b, @m, @v) {training_mode=1, momentum=0.8}\n output @y, @rm, @rv");
  oc_range_of(c, "v", 0.1, 2);
  for (int k = 0; k < 3; k++) {
    int64_t ch = oc_rand(s, 2, 9);
    oc_add(s, "LRN",
           "input @x: f32[2, %lld, %lld, %lld]\n @y = LRN(@x) {size=%d, alpha=0.001, beta=0.75, bias=1.5}\n"
           " output @y",
           (long long)ch, (long long)oc_odd(s), (long long)oc_rand(s, 1, 5), (int)(1 + 2 * k));
    oc_add(s, "MeanVarianceNormalization",
           "input @x: f32[2, %lld, %lld, 3]\n @y = MeanVarianceNormalization(@x)%s\n"
           " output @y",
           (long long)ch, (long long)oc_odd(s),
           k == 1   ? " {axes=[1, 3]}"
           : k == 2 ? " {axes=[0]}"
                    : "");
  }
}

void oc_gen_reduce(oc_suite *s) {
  s->family = OC_REDUCE;
  gen_reductions(s);
  gen_axis_ops(s);
}

void oc_gen_norm(oc_suite *s) {
  s->family = OC_REDUCE;
  gen_layernorm(s);
  gen_channel_norms(s);
}
