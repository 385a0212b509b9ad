/* gen_movement.c: opcheck cases of data movement and indexing: Reshape,
 * Flatten, Squeeze/Unsqueeze, Transpose (every rank to 6, every element
 * size), Concat, Split, Slice (negative starts, negative steps, clamping,
 * empty results), Expand, Tile, Pad (every mode, negative pads, axes),
 * DepthToSpace/SpaceToDepth, Resize (every mode and coordinate transform,
 * scales and sizes); Gather and its relatives, the scatters, OneHot, Trilu,
 * EyeLike, ReverseSequence, RoiAlign, and the shape-producing ops (Shape,
 * Size, ConstantOfShape, Range, NonZero, Compress), which kiln folds at
 * compile time or runs on the reference plan when their shapes depend on
 * data. */
#include "opcheck.h"
#include <stdio.h>
#include <string.h>

static const char *const g_dts[] = {"f32", "f64", "f16", "u8", "i64", "bool", "i32"};

static int rand_dims(oc_suite *s, int rmin, int rmax, int64_t max_numel, int64_t *d) {
  int r = (int)oc_rand(s, rmin, rmax);
  oc_shape(s, r, max_numel, d);
  return r;
}

static void gen_views(oc_suite *s) {
  for (int k = 0; k < 8; k++) {
    int64_t d[KN_MAX_RANK], t[KN_MAX_RANK];
    int r = rand_dims(s, 1, 4, 600, d);
    /* a target of the same elements: the flat count's factors and a 1, one
     * of them -1; or [0, -1] (dim 0 copied from the input) */
    int64_t total = 1;
    for (int i = 0; i < r; i++) total *= d[i];
    int tr = 0;
    if (k % 3 == 0)
      t[tr++] = 0, t[tr++] = -1;
    else {
      int64_t left = total;
      while (tr < 3 && left > 1) {
        int64_t f = left % 2 == 0 ? 2 : left % 3 == 0 ? 3 : left % 5 == 0 ? 5 : left;
        t[tr++] = f, left /= f;
      }
      if (left > 1) t[tr - 1] *= left;
      t[tr++] = 1;
      if (k % 3 == 1) t[oc_rand(s, 0, tr - 1)] = -1;
    }
    oc_add(s, "Reshape", "input @x: %s[%s]\n const @s: i64[%d] = %s\n @y = Reshape(@x, @s)\n output @y", g_dts[k % 7],
           oc_dims(r, d), tr, oc_ints(tr, t));
    int64_t axis = oc_rand(s, -r, r);
    oc_add(s, "Flatten", "input @x: %s[%s]\n @y = Flatten(@x) {axis=%lld}\n output @y", g_dts[k % 7], oc_dims(r, d),
           (long long)axis);
    /* Unsqueeze then Squeeze of the same axes */
    int64_t ax = oc_rand(s, -(r + 1), r);
    oc_add(s, "Unsqueeze", "input @x: %s[%s]\n const @a: i64[1] = [%lld]\n @y = Unsqueeze(@x, @a)\n output @y",
           g_dts[k % 7], oc_dims(r, d), (long long)ax);
    int64_t u[KN_MAX_RANK];
    int ur = 0, pos = r > 1 ? 1 : r; /* where the 1 goes */
    for (int i = 0; i <= r; i++) {
      if (i == pos) u[ur++] = 1;
      if (i < r) u[ur++] = d[i];
    }
    oc_add(s, "Squeeze", "input @x: %s[%s]\n const @a: i64[1] = [%d]\n @y = Squeeze(@x, @a)\n output @y", g_dts[k % 7],
           oc_dims(ur, u), k % 2 ? pos - ur : pos);
  }
  oc_add(s, "Reshape", "input @x: f32[0, 4]\n const @s: i64[3] = [2, 0, -1]\n @y = Reshape(@x, @s)\n output @y");
  oc_add(s, "Reshape",
         "input @x: f32[0, 4]\n const @s: i64[2] = [0, 4]\n @y = Reshape(@x, @s) {allowzero=1}\n output @y");
  oc_add(s, "Squeeze", "input @x: f32[1, 3, 1, 5]\n @y = Squeeze(@x)\n output @y");
  oc_add(s, "Unsqueeze", "input @x: f32[3, 5]\n const @a: i64[3] = [0, -1, 2]\n @y = Unsqueeze(@x, @a)\n output @y");
  oc_add(s, "Flatten", "input @x: f32[2, 0, 3]\n @y = Flatten(@x) {axis=2}\n output @y");
}

static void gen_transpose_concat(oc_suite *s) {
  for (int k = 0; k < 14; k++) {
    int64_t d[KN_MAX_RANK], p[KN_MAX_RANK];
    int r = rand_dims(s, 1, k < 10 ? 4 : 6, 900, d);
    for (int i = 0; i < r; i++) p[i] = i;
    for (int i = r - 1; i > 0; i--) { /* Fisher-Yates */
      int j = (int)oc_rand(s, 0, i);
      int64_t t = p[i];
      p[i] = p[j], p[j] = t;
    }
    oc_add(s, "Transpose", "input @x: %s[%s]\n @y = Transpose(@x) {perm=%s}\n output @y", g_dts[k % 7], oc_dims(r, d),
           oc_ints(r, p));
  }
  oc_add(s, "Transpose", "input @x: f32[33, 65]\n @y = Transpose(@x)\n output @y");
  oc_add(s, "Transpose", "input @x: f32[2, 17, 33, 5]\n @y = Transpose(@x) {perm=[0, 2, 1, 3]}\n output @y");
  oc_add(s, "Transpose", "input @x: f16[3, 40, 9]\n @y = Transpose(@x) {perm=[2, 0, 1]}\n output @y");
  oc_add(s, "Transpose", "input @x: f32[3, 0, 2]\n @y = Transpose(@x) {perm=[1, 2, 0]}\n output @y");
  oc_add(s, "Transpose", "input @x: i64[]\n @y = Transpose(@x)\n output @y");

  for (int k = 0; k < 10; k++) {
    int64_t d[KN_MAX_RANK];
    int r = rand_dims(s, 1, 4, 400, d), n = (int)oc_rand(s, 1, 4);
    int64_t axis = oc_rand(s, -r, r - 1), a = axis < 0 ? axis + r : axis;
    char text[1024] = "", args[128] = "";
    for (int i = 0; i < n; i++) {
      d[a] = k == 9 && i == 1 ? 0 : oc_rand(s, 1, 7); /* an empty part */
      snprintf(text + strlen(text), sizeof text - strlen(text), "input @x%d: %s[%s]\n ", i, g_dts[k % 7],
               oc_dims(r, d));
      snprintf(args + strlen(args), sizeof args - strlen(args), "%s@x%d", i ? ", " : "", i);
    }
    oc_add(s, "Concat", "%s @y = Concat(%s) {axis=%lld}\n output @y", text, args, (long long)axis);
  }
  oc_add(s, "Concat", "input @a: f32[3, 0]\n input @b: f32[3, 0]\n @y = Concat(@a, @b) {axis=0}\n output @y");
  oc_add(s, "Concat", "input @a: f32[2, 131]\n input @b: f32[2, 5]\n @y = Concat(@a, @b) {axis=1}\n output @y");
}

static void gen_split_slice(oc_suite *s) {
  for (int k = 0; k < 10; k++) {
    int64_t d[KN_MAX_RANK];
    int r = rand_dims(s, 1, 4, 600, d);
    int64_t axis = oc_rand(s, -r, r - 1), a = axis < 0 ? axis + r : axis;
    d[a] = oc_rand(s, 2, 11);
    if (k % 3 == 0) { /* sizes as an input */
      int64_t sz[4] = {0}, left = d[a];
      int n = 0;
      while (left > 0 && n < 3) sz[n] = oc_rand(s, n == 0 ? 1 : 0, left), left -= sz[n++];
      sz[n++] = left;
      char outs[64] = "";
      for (int i = 0; i < n; i++) snprintf(outs + strlen(outs), sizeof outs - strlen(outs), "%s@y%d", i ? ", " : "", i);
      oc_add(s, "Split", "input @x: %s[%s]\n const @s: i64[%d] = %s\n %s = Split(@x, @s) {axis=%lld}\n output %s",
             g_dts[k % 7], oc_dims(r, d), n, oc_ints(n, sz), outs, (long long)axis, outs);
    } else { /* num_outputs, the last part shorter */
      int n = (int)oc_rand(s, 1, d[a] < 4 ? d[a] : 4);
      char outs[64] = "";
      for (int i = 0; i < n; i++) snprintf(outs + strlen(outs), sizeof outs - strlen(outs), "%s@y%d", i ? ", " : "", i);
      oc_add(s, "Split", "input @x: %s[%s]\n %s = Split(@x) {axis=%lld, num_outputs=%d}\n output %s", g_dts[k % 7],
             oc_dims(r, d), outs, (long long)axis, n, outs);
    }
  }
  oc_add(s, "Split",
         "input @x: f32[6, 4]\n const @s: i64[3] = [2, 0, 4]\n @a, @b, @c = Split(@x, @s)\n output @a, @b, @c");

  for (int k = 0; k < 16; k++) {
    int64_t d[KN_MAX_RANK], st[4], en[4], ax[4], sp[4];
    int r = rand_dims(s, 1, 4, 800, d), n = 0;
    for (int i = 0; i < r; i++) {
      if (oc_rand(s, 0, 2) == 0 && !(i == r - 1 && n == 0)) continue;
      int64_t len = d[i], step = k % 4 == 1 ? -oc_rand(s, 1, 2) : oc_rand(s, 1, 3);
      ax[n] = oc_rand(s, 0, 1) ? i : i - r;
      st[n] = oc_rand(s, -len - 2, len + 1);
      en[n] = oc_rand(s, 0, 5) == 0 ? (step > 0 ? 1000000 : -1000000) : oc_rand(s, -len - 2, len + 1);
      sp[n++] = step;
    }
    if (k % 5 == 0)
      oc_add(s, "Slice",
             "input @x: %s[%s]\n const @s: i64[%d] = %s\n const @e: i64[%d] = %s\n @y = Slice(@x, @s, @e)\n"
             " output @y",
             g_dts[k % 7], oc_dims(r, d), r < n ? r : n, oc_ints(r < n ? r : n, st), r < n ? r : n,
             oc_ints(r < n ? r : n, en));
    else
      oc_add(s, "Slice",
             "input @x: %s[%s]\n const @s: i64[%d] = %s\n const @e: i64[%d] = %s\n const @a: i64[%d] = %s\n"
             " const @p: i64[%d] = %s\n @y = Slice(@x, @s, @e, @a, @p)\n output @y",
             g_dts[k % 7], oc_dims(r, d), n, oc_ints(n, st), n, oc_ints(n, en), n, oc_ints(n, ax), n, oc_ints(n, sp));
  }
  oc_add(s, "Slice",
         "input @x: f32[5, 7]\n const @s: i32[1] = [4]\n const @e: i32[1] = [1]\n const @a: i32[1] = [1]\n"
         " @y = Slice(@x, @s, @e, @a)\n output @y"); /* empty: start after end */
  oc_add(s, "Slice",
         "input @x: f32[9, 4]\n const @s: i64[1] = [-1]\n const @e: i64[1] = [-10]\n const @a: i64[1] = [0]\n"
         " const @p: i64[1] = [-3]\n @y = Slice(@x, @s, @e, @a, @p)\n output @y");
  oc_add(s, "Slice",
         "input @x: f32[0, 4]\n const @s: i64[1] = [1]\n const @e: i64[1] = [3]\n const @a: i64[1] = [1]\n"
         " @y = Slice(@x, @s, @e, @a)\n output @y");
}

static void gen_expand_tile_pad(oc_suite *s) {
  for (int k = 0; k < 6; k++) {
    int64_t m = oc_odd(s), n = oc_odd(s);
    oc_add(s, "Expand", "input @x: %s[%lld, 1]\n const @s: i64[3] = [2, 1, %lld]\n @y = Expand(@x, @s)\n output @y",
           g_dts[k], (long long)m, (long long)n);
    oc_add(s, "Expand", "input @x: %s[1, %lld, 1, 3]\n const @s: i64[2] = [%lld, 1]\n @y = Expand(@x, @s)\n output @y",
           g_dts[k], (long long)n, (long long)m);
    int64_t rep[3] = {oc_rand(s, 1, 3), k == 5 ? 0 : oc_rand(s, 1, 3), oc_rand(s, 1, 2)};
    oc_add(s, "Tile", "input @x: %s[%lld, %lld, 2]\n const @r: i64[3] = %s\n @y = Tile(@x, @r)\n output @y", g_dts[k],
           (long long)m, (long long)oc_rand(s, 1, 5), oc_ints(3, rep));
  }
  oc_add(s, "Expand", "input @x: f32[3]\n const @s: i64[2] = [0, 3]\n @y = Expand(@x, @s)\n output @y");
  oc_add(s, "Expand", "input @x: f32[]\n const @s: i64[2] = [3, 131]\n @y = Expand(@x, @s)\n output @y");
  static const char *const modes[] = {"constant", "reflect", "edge", "wrap"};
  for (int k = 0; k < 12; k++) {
    int64_t d[KN_MAX_RANK], p[8];
    int r = rand_dims(s, 1, 4, 500, d);
    const char *mode = modes[k % 4];
    for (int i = 0; i < r; i++) {
      if (d[i] < 3) d[i] = 3;
      int64_t lim = strcmp(mode, "reflect") == 0 ? d[i] - 1 : 3;
      p[i] = oc_rand(s, k % 3 == 2 ? -1 : 0, lim);
      p[i + r] = oc_rand(s, k % 3 == 2 ? -1 : 0, lim);
    }
    const char *dt = g_dts[k % 5];
    if (k % 4 == 0 && k % 8 == 0)
      oc_add(s, "Pad",
             "input @x: %s[%s]\n const @p: i64[%d] = %s\n const @v: %s[] = [%s]\n"
             " @y = Pad(@x, @p, @v) {mode=\"constant\"}\n output @y",
             dt, oc_dims(r, d), 2 * r, oc_ints(2 * r, p), dt, "2");
    else
      oc_add(s, "Pad", "input @x: %s[%s]\n const @p: i64[%d] = %s\n @y = Pad(@x, @p) {mode=\"%s\"}\n output @y", dt,
             oc_dims(r, d), 2 * r, oc_ints(2 * r, p), mode);
  }
  oc_add(s, "Pad",
         "input @x: f32[3, 4, 5]\n const @p: i64[4] = [1, -1, 2, 0]\n const @v: f32[] = [0.5]\n const @a: i64[2] = [0, "
         "2]\n"
         " @y = Pad(@x, @p, @v, @a)\n output @y");
  oc_add(s, "Pad", "input @x: f32[0, 4]\n const @p: i64[4] = [1, 1, 0, 2]\n @y = Pad(@x, @p)\n output @y");
  oc_add(
      s, "Pad",
      "input @x: f32[2, 3, 67]\n const @p: i64[6] = [0, 1, 3, 0, 2, 5]\n @y = Pad(@x, @p) {mode=\"edge\"}\n output @y");

  for (int k = 0; k < 6; k++) {
    int64_t b = oc_rand(s, 2, 3), c = oc_rand(s, 1, 3), h = oc_rand(s, 1, 5), w = oc_rand(s, 1, 5);
    oc_add(s, "DepthToSpace",
           "input @x: %s[2, %lld, %lld, %lld]\n @y = DepthToSpace(@x) {blocksize=%lld, mode=\"%s\"}\n output @y",
           g_dts[k], (long long)(c * b * b), (long long)h, (long long)w, (long long)b, k % 2 ? "CRD" : "DCR");
    oc_add(s, "SpaceToDepth", "input @x: %s[2, %lld, %lld, %lld]\n @y = SpaceToDepth(@x) {blocksize=%lld}\n output @y",
           g_dts[k], (long long)c, (long long)(h * b), (long long)(w * b), (long long)b);
  }
}

static void gen_resize(oc_suite *s) {
  static const char *const coord[] = {"half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel",
                                      "half_pixel_symmetric"};
  static const char *const nearest[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
  static const char *const modes[] = {"nearest", "linear", "cubic"};
  for (int k = 0; k < 24; k++) {
    const char *mode = modes[k % 3], *ct = coord[k % 5];
    int64_t h = oc_rand(s, 1, 7), w = oc_rand(s, 1, 7);
    char attrs[200];
    snprintf(attrs, sizeof attrs, "mode=\"%s\", coordinate_transformation_mode=\"%s\"%s%s%s", mode, ct,
             k % 3 == 0 ? ", nearest_mode=\"" : "", k % 3 == 0 ? nearest[(k / 3) % 4] : "", k % 3 == 0 ? "\"" : "");
    if (k % 3 == 2 && k % 4 == 1) strcat(attrs, ", cubic_coeff_a=-0.5, exclude_outside=1");
    if (k % 2 == 0) { /* scales */
      double sh = (double)oc_rand(s, 1, 9) / 4, sw = (double)oc_rand(s, 2, 12) / 4;
      oc_add(s, "Resize",
             "input @x: f32[1, 2, %lld, %lld]\n const @sc: f32[4] = [1, 1, %g, %g]\n"
             " @y = Resize(@x, _, @sc) {%s}\n output @y",
             (long long)h, (long long)w, sh, sw, attrs);
    } else { /* sizes */
      oc_add(s, "Resize",
             "input @x: f32[2, 1, %lld, %lld]\n const @sz: i64[4] = [2, 1, %lld, %lld]\n"
             " @y = Resize(@x, _, _, @sz) {%s}\n output @y",
             (long long)h, (long long)w, (long long)oc_rand(s, 1, 11), (long long)oc_rand(s, 1, 11), attrs);
    }
  }
  oc_add(s, "Resize",
         "input @x: f32[1, 3, 8, 6]\n const @sz: i64[2] = [5, 9]\n"
         " @y = Resize(@x, _, _, @sz) {mode=\"linear\", axes=[2, 3], keep_aspect_ratio_policy=\"not_larger\"}\n output "
         "@y");
  oc_add(s, "Resize",
         "input @x: f32[1, 3, 8, 6]\n const @sz: i64[2] = [5, 9]\n"
         " @y = Resize(@x, _, _, @sz) {mode=\"nearest\", axes=[2, 3], keep_aspect_ratio_policy=\"not_smaller\"}\n "
         "output @y");
  oc_add(s, "Resize",
         "input @x: f32[1, 2, 9, 7]\n const @sc: f32[4] = [1, 1, 0.5, 0.6]\n"
         " @y = Resize(@x, _, @sc) {mode=\"linear\", antialias=1}\n output @y");
  oc_add(s, "Resize",
         "input @x: f32[1, 2, 9, 7]\n const @sc: f32[4] = [1, 1, 0.4, 0.75]\n"
         " @y = Resize(@x, _, @sc) {mode=\"cubic\", antialias=1}\n output @y");
  oc_add(s, "Resize",
         "input @x: f32[1, 1, 5, 6]\n const @roi: f32[8] = [0, 0, 0.2, 0.1, 1, 1, 0.8, 1.2]\n"
         " const @sz: i64[4] = [1, 1, 4, 7]\n @y = Resize(@x, @roi, _, @sz) {mode=\"linear\","
         " coordinate_transformation_mode=\"tf_crop_and_resize\", extrapolation_value=-1.0}\n output @y");
  oc_add(s, "Resize",
         "input @x: f32[3, 7]\n const @sc: f32[2] = [1, 2.5]\n @y = Resize(@x, _, @sc) {mode=\"linear\"}\n output @y");
  oc_add(s, "Resize",
         "input @x: u8[1, 2, 4, 5]\n const @sc: f32[4] = [1, 1, 2, 1.5]\n @y = Resize(@x, _, @sc)\n output @y");
  oc_add(s, "Resize",
         "input @x: f32[1, 2, 3, 4, 5]\n const @sc: f32[5] = [1, 1, 2, 0.5, 1.5]\n"
         " @y = Resize(@x, _, @sc) {mode=\"linear\"}\n output @y");
  oc_add(s, "Resize",
         "input @x: f32[0, 2, 3, 4]\n const @sc: f32[4] = [1, 1, 2, 2]\n @y = Resize(@x, _, @sc)\n output @y");
}

void oc_gen_movement(oc_suite *s) {
  s->family = OC_MOVEMENT;
  gen_views(s);
  gen_transpose_concat(s);
  gen_split_slice(s);
  gen_expand_tile_pad(s);
  gen_resize(s);
}

/* ===== indexing ===== */
static void gen_gather(oc_suite *s) {
  for (int k = 0; k < 12; k++) {
    int64_t d[KN_MAX_RANK], id[3];
    int r = rand_dims(s, 1, 4, 500, d);
    int64_t axis = oc_rand(s, -r, r - 1), a = axis < 0 ? axis + r : axis, len = d[a];
    int ir = (int)oc_rand(s, 0, 2);
    oc_shape(s, ir, 20, id);
    const char *it = k % 3 == 1 ? "i32" : "i64";
    oc_case *c =
        oc_add(s, "Gather", "input @x: %s[%s]\n input @i: %s[%s]\n @y = Gather(@x, @i) {axis=%lld}\n output @y",
               g_dts[k % 7], oc_dims(r, d), it, oc_dims(ir, id), (long long)axis);
    oc_range_of(c, "i", (double)-len, (double)(len - 1)); /* negative indices count from the end */
  }
  oc_add(s, "Gather",
         "input @x: f32[50, 16]\n const @i: i64[2, 3] = [3, -1, 0, 49, 7, 7]\n @y = Gather(@x, @i)\n output @y");
  oc_add(s, "Gather", "input @x: f32[5, 4]\n const @i: i64[0] = []\n @y = Gather(@x, @i) {axis=1}\n output @y");
  oc_add(s, "Gather", "input @x: f32[0, 4]\n const @i: i64[2] = [1, 3]\n @y = Gather(@x, @i) {axis=1}\n output @y");
  oc_add(s, "Gather", "input @x: i64[7]\n const @i: i64[] = [-2]\n @y = Gather(@x, @i)\n output @y");
  for (int k = 0; k < 6; k++) {
    int64_t d[KN_MAX_RANK], id[KN_MAX_RANK];
    int r = rand_dims(s, 1, 3, 300, d);
    int64_t axis = oc_rand(s, -r, r - 1), a = axis < 0 ? axis + r : axis;
    for (int i = 0; i < r; i++) id[i] = i == a ? oc_rand(s, 1, 5) : oc_rand(s, 1, d[i]);
    oc_case *c = oc_add(s, "GatherElements",
                        "input @x: %s[%s]\n input @i: i64[%s]\n @y = GatherElements(@x, @i) {axis=%lld}\n"
                        " output @y",
                        g_dts[k % 7], oc_dims(r, d), oc_dims(r, id), (long long)axis);
    oc_range_of(c, "i", (double)-d[a], (double)(d[a] - 1));
  }
  oc_add(s, "GatherND",
         "input @x: f32[4, 5, 3]\n const @i: i64[2, 2] = [0, 1, 3, -1]\n @y = GatherND(@x, @i)\n output @y");
  oc_add(s, "GatherND",
         "input @x: i64[2, 4, 3]\n const @i: i64[2, 3, 1] = [0, 3, 1, 2, 2, 0]\n"
         " @y = GatherND(@x, @i) {batch_dims=1}\n output @y");
  oc_add(
      s, "GatherND",
      "input @x: f32[3, 4]\n const @i: i64[5, 2] = [0, 0, 2, 3, 1, 1, 2, 0, 0, 3]\n @y = GatherND(@x, @i)\n output @y");
  oc_add(s, "GatherND",
         "input @x: f16[2, 3, 4]\n const @i: i64[2, 1, 2] = [0, 1, 2, 3]\n @y = GatherND(@x, @i) {batch_dims=1}\n "
         "output @y");
  static const char *const red[] = {"none", "add", "mul", "max", "min"};
  for (int k = 0; k < 5; k++) {
    oc_add(s, "ScatterND",
           "input @x: f32[5, 3]\n const @i: i64[3, 1] = [4, 0, 2]\n input @u: f32[3, 3]\n"
           " @y = ScatterND(@x, @i, @u) {reduction=\"%s\"}\n output @y",
           red[k]);
    oc_add(s, "ScatterElements",
           "input @x: f32[4, 5]\n const @i: i64[2, 3] = [3, 0, 1, 1, 2, -1]\n input @u: f32[2, 3]\n"
           " @y = ScatterElements(@x, @i, @u) {axis=0, reduction=\"%s\"}\n output @y",
           red[k]);
  }
  oc_add(s, "ScatterND",
         "input @x: i64[2, 3, 4]\n const @i: i64[2, 2] = [1, 2, 0, 0]\n input @u: i64[2, 4]\n"
         " @y = ScatterND(@x, @i, @u)\n output @y");
  oc_add(s, "ScatterElements",
         "input @x: f32[3, 6]\n const @i: i64[3, 2] = [5, 0, 1, 2, 4, 3]\n input @u: f32[3, 2]\n"
         " @y = ScatterElements(@x, @i, @u) {axis=1}\n output @y");
  oc_add(s, "ScatterElements",
         "input @x: f32[3, 6]\n const @i: i64[3, 2] = [5, 5, 1, 1, 4, 4]\n input @u: f32[3, 2]\n"
         " @y = ScatterElements(@x, @i, @u) {axis=1, reduction=\"add\"}\n output @y");
}

static void gen_index_misc(oc_suite *s) {
  for (int k = 0; k < 4; k++) {
    int64_t depth = oc_rand(s, 2, 9);
    oc_case *c =
        oc_add(s, "OneHot",
               "input @i: %s[%lld, %lld]\n const @d: i64[] = [%lld]\n const @v: f32[2] = [-1, 3]\n"
               " @y = OneHot(@i, @d, @v) {axis=%d}\n output @y",
               k % 2 ? "i32" : "i64", (long long)oc_odd(s), (long long)oc_rand(s, 1, 4), (long long)depth, k - 2);
    oc_range_of(c, "i", (double)-depth - 1, (double)depth); /* out of range gives all off */
  }
  for (int k = 0; k < 6; k++) {
    int64_t m = oc_rand(s, 1, 9), n = oc_rand(s, 1, 9);
    if (k % 3 == 0)
      oc_add(s, "Trilu", "input @x: %s[%s%lld, %lld]\n @y = Trilu(@x) {upper=%d}\n output @y", g_dts[k % 7],
             k % 2 ? "2, " : "", (long long)m, (long long)n, k % 2);
    else
      oc_add(s, "Trilu",
             "input @x: %s[%s%lld, %lld]\n const @k: i64[] = [%lld]\n @y = Trilu(@x, @k) {upper=%d}\n output @y",
             g_dts[k % 7], k % 2 ? "3, " : "", (long long)m, (long long)n, (long long)oc_rand(s, -3, 3), k % 2);
    oc_add(s, "EyeLike", "input @x: %s[%lld, %lld]\n @y = EyeLike(@x) {k=%lld%s}\n output @y", g_dts[k % 7],
           (long long)m, (long long)n, (long long)oc_rand(s, -2, 2), k % 2 ? ", dtype=7" : "");
  }
  for (int k = 0; k < 3; k++) {
    int64_t t = oc_rand(s, 2, 6), b = oc_rand(s, 1, 4);
    oc_case *c =
        oc_add(s, "ReverseSequence",
               "input @x: f32[%lld, %lld, 3]\n input @l: i64[%lld]\n"
               " @y = ReverseSequence(@x, @l) {batch_axis=%d, time_axis=%d}\n output @y",
               (long long)(k == 1 ? b : t), (long long)(k == 1 ? t : b), (long long)b, k == 1 ? 0 : 1, k == 1 ? 1 : 0);
    oc_range_of(c, "l", 1, (double)t);
  }
  oc_add(s, "RoiAlign",
         "input @x: f32[2, 3, 10, 8]\n const @r: f32[3, 4] = [0, 0, 4, 4, 1.5, 2, 7, 9.5, 3, 1, 8, 5]\n"
         " const @b: i64[3] = [0, 1, 1]\n @y = RoiAlign(@x, @r, @b) {output_height=3, output_width=2,"
         " sampling_ratio=2, spatial_scale=0.9}\n output @y");
  oc_add(s, "RoiAlign",
         "input @x: f32[1, 2, 9, 9]\n const @r: f32[2, 4] = [0.5, 0.5, 6, 8, 2, 1, 3, 3]\n"
         " const @b: i64[2] = [0, 0]\n @y = RoiAlign(@x, @r, @b) {mode=\"max\", output_height=2,"
         " output_width=3, coordinate_transformation_mode=\"output_half_pixel\"}\n output @y");
  /* shape producers: folded at compile time from constant inputs and shapes,
   * or, when the output shape depends on data, the whole graph runs on the
   * reference plan (solo) */
  oc_add(s, "Shape", "input @x: f32[3, 0, 5]\n @y = Shape(@x)\n @z = Shape(@x) {start=1, end=-1}\n output @y, @z");
  oc_add(s, "Size", "input @x: f32[3, 7, 5]\n @y = Size(@x)\n output @y");
  oc_add(s, "ConstantOfShape",
         "input @x: f32[3, 4]\n const @s: i64[2] = [3, 4]\n @c = ConstantOfShape(@s) {value=tensor f32[1] = [1.5]}\n"
         " @y = Add(@x, @c)\n output @y");
  oc_add(s, "ConstantOfShape", "input @s: i64[3]\n @y = ConstantOfShape(@s) {value=tensor i32[1] = [7]}\n output @y")
      ->solo = true;
  oc_range_of(&s->cases[s->n - 1], "s", 0, 4);
  oc_add(s, "Range", "input @a: f32[]\n input @l: f32[]\n input @d: f32[]\n @y = Range(@a, @l, @d)\n output @y")->solo =
      true;
  oc_range_of(&s->cases[s->n - 1], "d", 0.5, 2);
  oc_add(s, "Range",
         "input @x: i64[5]\n const @a: i64[] = [10]\n const @l: i64[] = [0]\n const @d: i64[] = [-2]\n"
         " @r = Range(@a, @l, @d)\n @y = Add(@x, @r)\n output @y");
  oc_add(s, "NonZero", "input @x: f32[4, 5]\n @y = NonZero(@x)\n output @y")->solo = true;
  s->cases[s->n - 1].step = 1, s->cases[s->n - 1].lo = -1, s->cases[s->n - 1].hi = 1;
  oc_add(s, "Compress", "input @x: f32[4, 3]\n input @c: bool[4]\n @y = Compress(@x, @c) {axis=0}\n output @y")->solo =
      true;
  oc_add(s, "Compress",
         "input @x: f32[4, 3]\n const @c: bool[5] = [1, 0, 1, 1, 0]\n @y = Compress(@x, @c)\n output @y");
}

void oc_gen_index(oc_suite *s) {
  s->family = OC_MOVEMENT;
  gen_gather(s);
  gen_index_misc(s);
}
