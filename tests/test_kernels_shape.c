/* test_kernels_shape.c: hand-checked cases for the SHAPE family's kernels
 * (runtime/kernels/shape.c) called directly, plus the symbolic-dim behaviour
 * of its shape inference (ir/infer_shape.c), which the conformance tests
 * cannot see because they always run with concrete shapes. Data movement is
 * exact, so comparisons are exact (tolerance 0) except for f32 Range (1e-6). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ir.h"
#include "k_shape.h"
#include "unit.h"

/* 2x3 -> 3x2 transpose through the tiled path's fallback (small dims). */
static void test_transpose_small(void **state) {
  (void)state;
  /* x = [[0,1,2],[3,4,5]]; out[i][j] = x[j][i] = [[0,3],[1,4],[2,5]] */
  float x[6] = {0, 1, 2, 3, 4, 5}, y[6] = {0};
  int64_t dims[2] = {3, 2}, ss[2] = {1, 3};
  kk_shape_transpose(y, x, dims, ss, 2, sizeof(float));
  const float want[6] = {0, 3, 1, 4, 2, 5};
  for (int i = 0; i < 6; i++) assert_true(y[i] == want[i]);
}

/* 37x19 transpose of u16 takes the tiled path (both dims >= 4, not multiples of 16). */
static void test_transpose_tiled(void **state) {
  (void)state;
  enum { R = 37, C = 19 };
  static uint16_t x[R * C], y[R * C];
  for (int i = 0; i < R * C; i++) x[i] = (uint16_t)i;
  int64_t dims[2] = {C, R}, ss[2] = {1, C}; /* out[j][i] = x[i][j] */
  kk_shape_transpose(y, x, dims, ss, 2, sizeof(uint16_t));
  for (int j = 0; j < C; j++)
    for (int i = 0; i < R; i++) assert_int_equal(y[j * R + i], x[i * C + j]);
}

/* 3-byte elements use the byte fallback; a 3-d perm (2,0,1). */
static void test_transpose_odd_size(void **state) {
  (void)state;
  /* x: dims [2,1,2] of 3-byte elements e0..e3 (e_k = bytes {k,k,k}); perm (2,0,1)
   * gives out dims [2,2,1], out[a][b][0] = x[b][0][a]: e0,e2,e1,e3 */
  unsigned char x[12], y[12] = {0};
  for (int k = 0; k < 4; k++) x[3 * k] = x[3 * k + 1] = x[3 * k + 2] = (unsigned char)k;
  int64_t dims[3] = {2, 2, 1}, ss[3] = {1, 2, 2};
  kk_shape_transpose(y, x, dims, ss, 3, 3);
  const unsigned char want[4] = {0, 2, 1, 3};
  for (int k = 0; k < 4; k++)
    for (int b = 0; b < 3; b++) assert_int_equal(y[3 * k + b], want[k]);
}

/* Slice with a negative step: x = 0..9, [8:1:-3] -> 8,5,2 */
static void test_strided_negative(void **state) {
  (void)state;
  int64_t x[10], y[3] = {0};
  for (int i = 0; i < 10; i++) x[i] = i;
  int64_t dims[1] = {3}, ds[1] = {1}, ss[1] = {-3};
  kk_shape_copy_strided(y, ds, x + 8, ss, dims, 1, sizeof(int64_t));
  assert_int_equal(y[0], 8);
  assert_int_equal(y[1], 5);
  assert_int_equal(y[2], 2);
}

/* Expand [3,1] -> [3,2] with stride 0: [[1],[2],[3]] -> [[1,1],[2,2],[3,3]] */
static void test_strided_broadcast(void **state) {
  (void)state;
  int32_t x[3] = {1, 2, 3}, y[6] = {0};
  int64_t dims[2] = {3, 2}, ds[2] = {2, 1}, ss[2] = {1, 0};
  kk_shape_copy_strided(y, ds, x, ss, dims, 2, sizeof(int32_t));
  const int32_t want[6] = {1, 1, 2, 2, 3, 3};
  for (int i = 0; i < 6; i++) assert_int_equal(y[i], want[i]);
}

/* Pad maps: in_dim 3 padded by 2 before and 2 after (out 7).
 * reflect (numpy): idx -2..4 -> 2,1,0,1,2,1,0
 * edge: 0,0,0,1,2,2,2; wrap: 1,2,0,1,2,0,1; constant: -1,-1,0,1,2,-1,-1 */
static void test_pad_maps(void **state) {
  (void)state;
  int64_t m[7];
  const int64_t refl[7] = {2, 1, 0, 1, 2, 1, 0}, edge[7] = {0, 0, 0, 1, 2, 2, 2},
                wrap[7] = {1, 2, 0, 1, 2, 0, 1}, cons[7] = {-1, -1, 0, 1, 2, -1, -1};
  assert_int_equal(kk_shape_pad_map(m, 7, 3, 2, KK_SHAPE_PAD_REFLECT), 0);
  for (int i = 0; i < 7; i++) assert_int_equal(m[i], refl[i]);
  assert_int_equal(kk_shape_pad_map(m, 7, 3, 2, KK_SHAPE_PAD_EDGE), 0);
  for (int i = 0; i < 7; i++) assert_int_equal(m[i], edge[i]);
  assert_int_equal(kk_shape_pad_map(m, 7, 3, 2, KK_SHAPE_PAD_WRAP), 0);
  for (int i = 0; i < 7; i++) assert_int_equal(m[i], wrap[i]);
  assert_int_equal(kk_shape_pad_map(m, 7, 3, 2, KK_SHAPE_PAD_CONSTANT), 0);
  for (int i = 0; i < 7; i++) assert_int_equal(m[i], cons[i]);
  /* negative "before" crops: in 5, crop 1 before, out 3 -> 1,2,3 */
  assert_int_equal(kk_shape_pad_map(m, 3, 5, -1, KK_SHAPE_PAD_CONSTANT), 0);
  assert_int_equal(m[0], 1);
  assert_int_equal(m[2], 3);
  /* edge padding of an empty axis has no source */
  assert_int_equal(kk_shape_pad_map(m, 2, 0, 1, KK_SHAPE_PAD_EDGE), -1);
}

/* 2-d constant pad: x = [[1,2],[3,4]], pads rows (1,0), cols (0,1), value 9
 * -> [[9,9,9],[1,2,9],[3,4,9]] */
static void test_pad_2d(void **state) {
  (void)state;
  float x[4] = {1, 2, 3, 4}, y[9] = {0}, cv = 9;
  int64_t od[2] = {3, 3}, xs[2] = {2, 1}, maps[6];
  kk_shape_pad_map(maps, 3, 2, 1, KK_SHAPE_PAD_CONSTANT);
  kk_shape_pad_map(maps + 3, 3, 2, 0, KK_SHAPE_PAD_CONSTANT);
  kk_shape_pad(y, x, od, xs, maps, 2, &cv, sizeof(float));
  const float want[9] = {9, 9, 9, 1, 2, 9, 3, 4, 9};
  for (int i = 0; i < 9; i++) assert_true(y[i] == want[i]);
}

/* Range: f32 0.5 step 0.25 -> 0.5,0.75,1.0; i32 10 step -3 -> 10,7,4,1 */
static void test_range(void **state) {
  (void)state;
  float f[3];
  kk_shape_range_f32(f, 3, 0.5, 0.25);
  assert_true(fabsf(f[2] - 1.0f) <= 1e-6f);
  int32_t v[4];
  kk_shape_range_i32(v, 4, 10, -3);
  assert_int_equal(v[3], 1);
  uint16_t h[5], one = 0x3c00; /* f16 1.0 bit pattern */
  kk_shape_fill(h, 5, &one, 2);
  for (int i = 0; i < 5; i++) assert_int_equal(h[i], 0x3c00);
}

/* ---- inference with symbolic dims (in the fixture's graph) ---- */
/* Runs one node of op with typed inputs; vals may hold constants. */
static kn_status run_infer(kt_fixture *f, ir_op op, int nin, const ir_type *const *in, const kn_tensor *const *val,
                           ir_type *out, int nout) {
  return kt_infer_node(f, op, nin, in, val, nout, out, NULL);
}

static kn_tensor i64_vec(int64_t *v, int n) {
  kn_tensor t = {.dtype = KN_I64, .rank = 1, .dims = {n}, .data = v, .nbytes = 8 * n};
  return t;
}

/* [B,S,12,64] reshaped by [0,0,-1] -> [B,S,768]: the -1 cancels the copied symbols */
static void test_infer_reshape_symbolic(void **state) {
  kt_fixture *f = *state;
  int64_t B = IR_SYM(ir_sym_get(f->g, "B")), S = IR_SYM(ir_sym_get(f->g, "S"));
  ir_type x = {.dtype = KN_F32, .rank = 4, .dims = {B, S, 12, 64}};
  ir_type s = {.dtype = KN_I64, .rank = 1, .dims = {3}};
  int64_t sv[3] = {0, 0, -1};
  kn_tensor st = i64_vec(sv, 3);
  const ir_type *in[2] = {&x, &s};
  const kn_tensor *val[2] = {NULL, &st};
  ir_type out;
  assert_int_equal(run_infer(f, IR_OP_Reshape, 2, in, val, &out, 1), KN_OK);
  assert_int_equal(out.rank, 3);
  assert_true(out.dims[0] == B && out.dims[1] == S && out.dims[2] == 768);
  /* [B,S,768] -> [B,-1,12,64]: -1 is S */
  ir_type x2 = {.dtype = KN_F32, .rank = 3, .dims = {B, S, 768}};
  int64_t sv2[4] = {0, -1, 12, 64};
  kn_tensor st2 = i64_vec(sv2, 4);
  s.dims[0] = 4;
  const ir_type *in2[2] = {&x2, &s};
  const kn_tensor *val2[2] = {NULL, &st2};
  assert_int_equal(run_infer(f, IR_OP_Reshape, 2, in2, val2, &out, 1), KN_OK);
  assert_true(out.rank == 4 && out.dims[1] == S && out.dims[3] == 64);
  /* 6 elements cannot become [4,-1] */
  ir_type x3 = {.dtype = KN_F32, .rank = 2, .dims = {2, 3}};
  int64_t sv3[2] = {4, -1};
  kn_tensor st3 = i64_vec(sv3, 2);
  s.dims[0] = 2;
  const ir_type *in3[2] = {&x3, &s};
  const kn_tensor *val3[2] = {NULL, &st3};
  assert_int_equal(run_infer(f, IR_OP_Reshape, 2, in3, val3, &out, 1), KN_ESHAPE);
}

/* Concat of [B,3] and [B,5] on axis 1 -> [B,8]; Transpose permutes symbols */
static void test_infer_concat_transpose(void **state) {
  kt_fixture *f = *state;
  int64_t B = IR_SYM(ir_sym_get(f->g, "B"));
  ir_type a = {.dtype = KN_F32, .rank = 2, .dims = {B, 3}}, b = {.dtype = KN_F32, .rank = 2, .dims = {B, 5}};
  const ir_type *in[2] = {&a, &b};
  const kn_tensor *val[2] = {NULL, NULL};
  ir_id ins[2] = {ir_value_new(f->g, NULL, &a), ir_value_new(f->g, NULL, &b)}, outs[1] = {ir_value_new(f->g, NULL, NULL)};
  ir_id n = ir_node_new(f->g, IR_OP_Concat, "cat", 2, ins, 1, outs);
  assert_int_equal(ir_attr_set_int(f->g, &f->g->nodes[n], "axis", -1), KN_OK);
  ir_type out;
  assert_int_equal(ir_infer_node(f->kn, f->g, &f->g->nodes[n], in, val, &out), KN_OK);
  assert_true(out.rank == 2 && out.dims[0] == B && out.dims[1] == 8);
  const ir_type *tin[1] = {&out};
  const kn_tensor *tval[1] = {NULL};
  ir_type tout;
  assert_int_equal(run_infer(f, IR_OP_Transpose, 1, tin, tval, &tout, 1), KN_OK);
  assert_true(tout.dims[0] == 8 && tout.dims[1] == B);
}

/* Slice [0:INT64_MAX] keeps a symbolic dim; [1:3] of 10 gives 2 */
static void test_infer_slice(void **state) {
  kt_fixture *f = *state;
  int64_t S = IR_SYM(ir_sym_get(f->g, "S"));
  ir_type x = {.dtype = KN_F32, .rank = 2, .dims = {S, 10}};
  ir_type l = {.dtype = KN_I64, .rank = 1, .dims = {2}};
  int64_t sv[2] = {0, 1}, ev[2] = {INT64_MAX, 3};
  kn_tensor st = i64_vec(sv, 2), et = i64_vec(ev, 2);
  const ir_type *in[3] = {&x, &l, &l};
  const kn_tensor *val[3] = {NULL, &st, &et};
  ir_type out;
  assert_int_equal(run_infer(f, IR_OP_Slice, 3, in, val, &out, 1), KN_OK);
  assert_true(out.rank == 2 && out.dims[0] == S && out.dims[1] == 2);
}

/* Bad parameters are clean errors, never crashes. */
static void test_infer_errors(void **state) {
  kt_fixture *f = *state;
  ir_type x = {.dtype = KN_F32, .rank = 2, .dims = {2, 3}}, out;
  ir_type l1 = {.dtype = KN_I64, .rank = 1, .dims = {1}}, l2 = {.dtype = KN_I64, .rank = 1, .dims = {2}};
  int64_t two_neg[2] = {-1, -1}, zero[1] = {0}, big_axis[1] = {5}, one[1] = {1}, pads[4] = {0, -4, 0, 0};
  kn_tensor t_two_neg = i64_vec(two_neg, 2), t_zero = i64_vec(zero, 1), t_big = i64_vec(big_axis, 1),
            t_one = i64_vec(one, 1), t_pads = i64_vec(pads, 4);
  /* Reshape with two -1 */
  const ir_type *in2[2] = {&x, &l2};
  const kn_tensor *v_rs[2] = {NULL, &t_two_neg};
  assert_int_equal(run_infer(f, IR_OP_Reshape, 2, in2, v_rs, &out, 1), KN_ESHAPE);
  /* Squeeze of a size-3 axis; Unsqueeze axis out of range */
  const ir_type *in1[2] = {&x, &l1};
  const kn_tensor *v_sq[2] = {NULL, &t_one};
  assert_int_not_equal(run_infer(f, IR_OP_Squeeze, 2, in1, v_sq, &out, 1), KN_OK);
  const kn_tensor *v_us[2] = {NULL, &t_big};
  assert_int_not_equal(run_infer(f, IR_OP_Unsqueeze, 2, in1, v_us, &out, 1), KN_OK);
  /* Slice with step 0 */
  const ir_type *in5[5] = {&x, &l1, &l1, &l1, &l1};
  const kn_tensor *v_sl[5] = {NULL, &t_zero, &t_one, &t_zero, &t_zero};
  assert_int_not_equal(run_infer(f, IR_OP_Slice, 5, in5, v_sl, &out, 1), KN_OK);
  /* Pad cropping more than the axis has */
  ir_type l4 = {.dtype = KN_I64, .rank = 1, .dims = {4}};
  const ir_type *inp[2] = {&x, &l4};
  const kn_tensor *v_pad[2] = {NULL, &t_pads};
  assert_int_equal(run_infer(f, IR_OP_Pad, 2, inp, v_pad, &out, 1), KN_ESHAPE);
  /* Expand [2,3] to [4]: 3 vs 4 does not broadcast */
  int64_t four[1] = {4};
  kn_tensor t_four = i64_vec(four, 1);
  const kn_tensor *v_ex[2] = {NULL, &t_four};
  assert_int_equal(run_infer(f, IR_OP_Expand, 2, in1, v_ex, &out, 1), KN_ESHAPE);
  /* Range with delta 0 */
  float fs = 0, fl = 5, fd = 0;
  ir_type sc = {.dtype = KN_F32, .rank = 0};
  kn_tensor ts = {.dtype = KN_F32, .data = &fs, .nbytes = 4}, tl = ts, td = ts;
  tl.data = &fl, td.data = &fd;
  const ir_type *inr[3] = {&sc, &sc, &sc};
  const kn_tensor *v_r[3] = {&ts, &tl, &td};
  assert_int_equal(run_infer(f, IR_OP_Range, 3, inr, v_r, &out, 1), KN_EINVAL);
  fd = -1.5f; /* ceil((5-0)/-1.5) < 0 -> empty */
  assert_int_equal(run_infer(f, IR_OP_Range, 3, inr, v_r, &out, 1), KN_OK);
  assert_int_equal(out.dims[0], 0);
}

KT_MAIN(
    cmocka_unit_test(test_transpose_small),
    cmocka_unit_test(test_transpose_tiled),
    cmocka_unit_test(test_transpose_odd_size),
    cmocka_unit_test(test_strided_negative),
    cmocka_unit_test(test_strided_broadcast),
    cmocka_unit_test(test_pad_maps),
    cmocka_unit_test(test_pad_2d),
    cmocka_unit_test(test_range),
    KT_TEST(test_infer_reshape_symbolic),
    KT_TEST(test_infer_concat_transpose),
    KT_TEST(test_infer_slice),
    KT_TEST(test_infer_errors))
