/* test_kernels_norm.c: hand-checked cases of the NORM family. The kernels are
 * called directly first (no graph), then a few one-node graphs go through the
 * reference executor to cover what only the adapters do: the pre-opset-13
 * softmax coercion, dtype conversion (f16 data, f32 stash type next to f64
 * data), GroupNormalization's per-group vs per-channel parameters and the
 * loss ops' target checks. Expected values are worked out in the comments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "k_norm.h"
#include "ref.h"
#include "unit.h"

#define TOL 1e-5

static void check_f32(const float *got, const float *want, int n) {
  for (int i = 0; i < n; i++) {
    if (fabs((double)got[i] - want[i]) > TOL * (1.0 + fabs(want[i])))
      fail_msg("element %d: got %.8g, want %.8g", i, got[i], want[i]);
  }
}

/* ---- kernels ---- */
static void test_softmax_family(void **state) {
  (void)state;
  /* rows [0, ln3]: e^0 = 1, e^ln3 = 3, sum 4 -> [0.25, 0.75] */
  const float x[2] = {0.0f, (float)log(3.0)};
  float y[4];
  kk_norm_softmax_f32(x, y, 1, 2, 1);
  check_f32(y, (const float[]){0.25f, 0.75f}, 2);
  /* log-softmax of the same row: ln 0.25 = -1.3862944, ln 0.75 = -0.2876821 */
  kk_norm_logsoftmax_f32(x, y, 1, 2, 1);
  check_f32(y, (const float[]){-1.3862944f, -0.2876821f}, 2);
  /* along axis 0 of [[0, 0], [ln3, 0]] (n = 2 at stride inner = 2):
   * column 0 -> [0.25, 0.75], column 1 -> [0.5, 0.5] */
  const float x2[4] = {0.0f, 0.0f, (float)log(3.0), 0.0f};
  kk_norm_softmax_f32(x2, y, 1, 2, 2);
  check_f32(y, (const float[]){0.25f, 0.5f, 0.75f, 0.5f}, 4);
  /* a huge logit must not overflow: [1000, 0] -> [1, e^-1000 = 0] */
  const double big[2] = {1000.0, 0.0};
  double yd[2];
  kk_norm_softmax_f64(big, yd, 1, 2, 1);
  assert_true(fabs(yd[0] - 1.0) < 1e-12 && yd[1] >= 0 && yd[1] < 1e-300);
  /* hardmax: the first of two equal maxima wins */
  const float h[4] = {1, 3, 3, 2};
  kk_norm_hardmax_f32(h, y, 1, 4, 1);
  check_f32(y, (const float[]){0, 1, 0, 0}, 4);
  /* Lp: [3, 4] has L2 norm 5 -> [0.6, 0.8]; L1 norm 7 -> [3/7, 4/7] */
  const float v[2] = {3, 4};
  kk_norm_lpnorm_f32(v, y, 1, 2, 1, 2);
  check_f32(y, (const float[]){0.6f, 0.8f}, 2);
  kk_norm_lpnorm_f32(v, y, 1, 2, 1, 1);
  check_f32(y, (const float[]){3.0f / 7, 4.0f / 7}, 2);
}

static void test_layernorm(void **state) {
  (void)state;
  /* [1,2,3,4]: mean 2.5, var (2.25+0.25+0.25+2.25)/4 = 1.25, eps 0,
   * inv std 1/sqrt(1.25) = 0.89442719; normalized [-1.3416408, -0.4472136,
   * 0.4472136, 1.3416408], then * [1,1,2,2] + [0,0,0,1] */
  const float x[4] = {1, 2, 3, 4}, s[4] = {1, 1, 2, 2}, b[4] = {0, 0, 0, 1};
  float y[4], mean, inv;
  kk_norm_layernorm_f32(x, s, b, y, &mean, &inv, 1, 4, 0.0f);
  check_f32(y, (const float[]){-1.3416408f, -0.4472136f, 0.8944272f, 3.6832816f}, 4);
  check_f32(&mean, (const float[]){2.5f}, 1);
  check_f32(&inv, (const float[]){0.89442719f}, 1);
  /* no bias, no statistics outputs */
  kk_norm_layernorm_f32(x, s, NULL, y, NULL, NULL, 1, 4, 0.0f);
  check_f32(y, (const float[]){-1.3416408f, -0.4472136f, 0.8944272f, 2.6832816f}, 4);
}

static void test_channel_norms(void **state) {
  (void)state;
  float y[4];
  /* BatchNorm inference, x [1,2,1,2] (spatial 2): channel 0 [1,3] with mean 1,
   * var 4, scale 2, bias 1 -> (x-1)/2*2+1 = [1,3]; channel 1 [5,7] with mean 6,
   * var 1, scale 1, bias 0 -> [-1,1] */
  const float x[4] = {1, 3, 5, 7}, sc[2] = {2, 1}, bi[2] = {1, 0}, mu[2] = {1, 6}, va[2] = {4, 1};
  kk_norm_batchnorm_f32(x, sc, bi, mu, va, y, 1, 2, 2, 0.0f);
  check_f32(y, (const float[]){1, 3, -1, 1}, 4);
  /* training, x [2,1,2] = one channel {1,3,5,7}: batch mean 4, var (9+1+1+9)/4 = 5;
   * y = (x-4)/sqrt(5); running stats with momentum 0.9 from mean 0, var 1:
   * 0*0.9 + 4*0.1 = 0.4 and 1*0.9 + 5*0.1 = 1.4 */
  const float one = 1, zero = 0;
  float rm, rv, scratch[2];
  kk_norm_batchnorm_train_f32(x, &one, &zero, &zero, &one, y, &rm, &rv, 2, 1, 2, 0.0f, 0.9f, scratch);
  check_f32(y, (const float[]){-1.3416408f, -0.4472136f, 0.4472136f, 1.3416408f}, 4);
  check_f32(&rm, (const float[]){0.4f}, 1);
  check_f32(&rv, (const float[]){1.4f}, 1);
  /* InstanceNorm of one [1,2,3,4] instance: same numbers as the layer norm row */
  const float r[4] = {1, 2, 3, 4};
  kk_norm_instancenorm_f32(r, &one, &zero, y, 1, 1, 4, 0.0f);
  check_f32(y, (const float[]){-1.3416408f, -0.4472136f, 0.4472136f, 1.3416408f}, 4);
  /* GroupNorm, 4 channels of 1 element in 2 groups: [1,2] and [3,4] both
   * normalize to [-1,1] (mean 1.5 / 3.5, var 0.25). Per group scale [1,2],
   * bias [0,10] -> [-1,1,8,12]; per channel scale [1,2,3,4] -> [-1,2,-3,4] */
  const float gs[2] = {1, 2}, gb[2] = {0, 10}, cs[4] = {1, 2, 3, 4}, cb[4] = {0};
  kk_norm_groupnorm_f32(r, gs, gb, y, 1, 4, 1, 2, 0, 0.0f);
  check_f32(y, (const float[]){-1, 1, 8, 12}, 4);
  kk_norm_groupnorm_f32(r, cs, cb, y, 1, 4, 1, 2, 1, 0.0f);
  check_f32(y, (const float[]){-1, 2, -3, 4}, 4);
  /* LRN size 2 (window: 0 channels below, 1 above), alpha 2, beta 1, bias 1,
   * x = [1, 2] over 2 channels: c0 sums 1+4 = 5 -> 1/(1 + 2/2*5) = 1/6;
   * c1 sums 4 -> 2/(1 + 4) = 0.4 */
  const float l[2] = {1, 2};
  kk_norm_lrn_f32(l, y, 1, 2, 1, 2, 2.0f, 1.0f, 1.0f);
  check_f32(y, (const float[]){1.0f / 6, 0.4f}, 2);
  /* MVN over axis 1 of [[1,3],[0,4]]: means 2, 2; std 1, 2 -> [-1,1,-1,1] */
  const float m[4] = {1, 3, 0, 4};
  const int64_t dims[2] = {2, 2};
  const uint8_t red[2] = {0, 1};
  double mscratch[4];
  kk_norm_mvn_f32(m, y, 2, dims, red, mscratch);
  check_f32(y, (const float[]){-1, 1, -1, 1}, 4);
}

static void test_nll(void **state) {
  (void)state;
  /* log-probs [[-1,-2,-3],[-4,-5,-6]], targets [2,0], weights [1,2,3]:
   * losses 3*3 = 9 and 4*1 = 4; sum 13; weighted mean 13/(3+1) = 3.25 */
  const float x[6] = {-1, -2, -3, -4, -5, -6}, w[3] = {1, 2, 3};
  const int64_t t[2] = {2, 0};
  float out[2];
  assert_int_equal(kk_norm_nll_f32(x, t, w, out, 2, 3, 1, 0, 0, KK_NORM_REDUCE_NONE), -1);
  check_f32(out, (const float[]){9, 4}, 2);
  assert_int_equal(kk_norm_nll_f32(x, t, w, out, 2, 3, 1, 0, 0, KK_NORM_REDUCE_SUM), -1);
  check_f32(out, (const float[]){13}, 1);
  assert_int_equal(kk_norm_nll_f32(x, t, w, out, 2, 3, 1, 0, 0, KK_NORM_REDUCE_MEAN), -1);
  check_f32(out, (const float[]){3.25f}, 1);
  /* ignore_index 2 drops the first target: mean 4/1; unweighted mean is (0+4)/1 */
  assert_int_equal(kk_norm_nll_f32(x, t, w, out, 2, 3, 1, 1, 2, KK_NORM_REDUCE_MEAN), -1);
  check_f32(out, (const float[]){4}, 1);
  assert_int_equal(kk_norm_nll_f32(x, t, NULL, out, 2, 3, 1, 1, 2, KK_NORM_REDUCE_MEAN), -1);
  check_f32(out, (const float[]){4}, 1);
  /* a target outside [0, C) that is not ignored is reported by index */
  const int64_t bad[2] = {0, 3};
  assert_int_equal(kk_norm_nll_f32(x, bad, NULL, out, 2, 3, 1, 0, 0, KK_NORM_REDUCE_SUM), 1);
  /* ... unless it is the ignore_index (an out-of-range ignore_index is legal) */
  assert_int_equal(kk_norm_nll_f32(x, bad, NULL, out, 2, 3, 1, 1, 3, KK_NORM_REDUCE_SUM), -1);
  check_f32(out, (const float[]){1}, 1);
}

static void test_det(void **state) {
  (void)state;
  /* det [[1,2],[3,4]] = 4-6 = -2; [[0,1],[1,0]] = -1 (needs a pivot swap);
   * [[1,2],[2,4]] = 0 (singular) */
  const float x[12] = {1, 2, 3, 4, 0, 1, 1, 0, 1, 2, 2, 4};
  float y[3];
  double scratch[9];
  kk_norm_det_f32(x, y, 3, 2, scratch);
  check_f32(y, (const float[]){-2, -1, 0}, 3);
  /* [[2,0,1],[1,3,2],[1,1,2]] = 2*(6-2) - 0 + 1*(1-3) = 6 */
  const double m[9] = {2, 0, 1, 1, 3, 2, 1, 1, 2};
  double d;
  kk_norm_det_f64(m, &d, 1, 3, scratch);
  assert_true(fabs(d - 6) < 1e-12);
}

/* ---- one-node graphs through the reference executor ---- */
/* Builds a node of op over graph inputs typed like ins[] (absent when
 * ins[i].dtype == 0) and runs it; outs[] receive owned tensors. */
static kn_status run_node(kt_fixture *f, ir_op op, int nin, const kn_tensor *ins, int nout, kn_tensor *outs,
                          ir_node **node_out, void (*set_attrs)(ir_graph *, ir_node *)) {
  ir_id in[4], out[4];
  kn_tensor present[4];
  int np = 0;
  for (int i = 0; i < nin; i++) {
    if (!ins[i].dtype) {
      in[i] = IR_NONE;
      continue;
    }
    ir_type t = {.dtype = ins[i].dtype, .rank = ins[i].rank};
    memcpy(t.dims, ins[i].dims, sizeof t.dims);
    in[i] = ir_value_new(f->g, NULL, &t);
    ir_graph_add_input(f->g, in[i]);
    present[np++] = ins[i];
  }
  for (int k = 0; k < nout; k++) {
    out[k] = ir_value_new(f->g, NULL, NULL);
    ir_graph_add_output(f->g, out[k]);
  }
  ir_id n = ir_node_new(f->g, op, "n", nin, in, nout, out);
  if (set_attrs) set_attrs(f->g, &f->g->nodes[n]);
  if (node_out) *node_out = &f->g->nodes[n];
  kn_status st = ir_infer_graph(f->g);
  if (st != KN_OK) return st;
  return ref_run_graph(f->kn, f->g, present, np, outs, nout);
}

static kn_tensor f32_tensor(float *v, int rank, const int64_t *dims) {
  kn_tensor t = {.dtype = KN_F32, .rank = rank, .data = v};
  int64_t n = 1;
  for (int i = 0; i < rank; i++) n *= (t.dims[i] = dims[i]);
  t.nbytes = 4 * n;
  return t;
}

static void legacy_axis1(ir_graph *g, ir_node *n) {
  ir_attr_set_int(g, n, "axis", 1);
  ir_attr_set_int(g, n, "legacy_coerce_2d", 1);
}

/* Softmax-11 on [1,2,2] with axis 1 normalizes the flattened tail of 4:
 * [0, ln3, 0, 0] -> e = [1,3,1,1] / 6 (opset 13 would normalize dim 1 alone) */
static void test_exec_softmax_legacy(void **state) {
  kt_fixture *f = *state;
  float x[4] = {0, (float)log(3.0), 0, 0};
  kn_tensor in = f32_tensor(x, 3, (const int64_t[]){1, 2, 2}), out;
  assert_int_equal(run_node(f, IR_OP_Softmax, 1, &in, 1, &out, NULL, legacy_axis1), KN_OK);
  check_f32(out.data, (const float[]){1.0f / 6, 0.5f, 1.0f / 6, 1.0f / 6}, 4);
  kn_tensor_free(&out);
}

/* f16 input: computed in f32 and rounded back; softmax of [0, ln3] in f16
 * is [0.25, 0.75], both exact in f16 */
static void test_exec_softmax_f16(void **state) {
  kt_fixture *f = *state;
  uint16_t x[2] = {0, kn_f32_to_f16((float)log(3.0))};
  kn_tensor in = {.dtype = KN_F16, .rank = 1, .dims = {2}, .data = x, .nbytes = 4}, out;
  assert_int_equal(run_node(f, IR_OP_Softmax, 1, &in, 1, &out, NULL, NULL), KN_OK);
  assert_int_equal(out.dtype, KN_F16);
  uint16_t *y = out.data;
  assert_true(fabsf(kn_f16_to_f32(y[0]) - 0.25f) < 1e-3f && fabsf(kn_f16_to_f32(y[1]) - 0.75f) < 1e-3f);
  kn_tensor_free(&out);
}

/* f64 LayerNorm with the default f32 stash type: Mean and InvStdDev come out
 * as f32 [1,1] for the [1,4] row of the kernel test */
static void test_exec_layernorm_stash(void **state) {
  kt_fixture *f = *state;
  double x[4] = {1, 2, 3, 4}, s[4] = {1, 1, 1, 1};
  kn_tensor ins[2] = {{.dtype = KN_F64, .rank = 2, .dims = {1, 4}, .data = x, .nbytes = 32},
                      {.dtype = KN_F64, .rank = 1, .dims = {4}, .data = s, .nbytes = 32}};
  kn_tensor outs[3];
  assert_int_equal(run_node(f, IR_OP_LayerNormalization, 2, ins, 3, outs, NULL, NULL), KN_OK);
  assert_int_equal(outs[0].dtype, KN_F64);
  assert_true(outs[1].dtype == KN_F32 && outs[1].rank == 2 && outs[1].dims[1] == 1);
  assert_true(fabs(((double *)outs[0].data)[0] + 1.3416407864998738) < 1e-5);
  assert_true(fabsf(((float *)outs[1].data)[0] - 2.5f) < 1e-6f);
  assert_true(fabsf(((float *)outs[2].data)[0] - 0.89442719f) < 1e-5f);
  for (int k = 0; k < 3; k++) kn_tensor_free(&outs[k]);
}

static void groups2(ir_graph *g, ir_node *n) { ir_attr_set_int(g, n, "num_groups", 2); }

/* GroupNormalization tells per-group (opset 18) from per-channel (opset 21)
 * parameters by their length; a length that is neither is an error */
static void test_exec_groupnorm_params(void **state) {
  kt_fixture *f = *state;
  float x[4] = {1, 2, 3, 4}, s[3] = {1, 2, 3}, b[3] = {0, 0, 0};
  const int64_t xd[3] = {1, 4, 1}, pd[1] = {3};
  kn_tensor ins[3] = {f32_tensor(x, 3, xd), f32_tensor(s, 1, pd), f32_tensor(b, 1, pd)}, out;
  assert_int_not_equal(run_node(f, IR_OP_GroupNormalization, 3, ins, 1, &out, NULL, groups2), KN_OK);
}

static void reduce_sum(ir_graph *g, ir_node *n) { ir_attr_set_string(g, n, "reduction", "sum", 3); }

/* int32 targets are accepted; an out-of-range target is a clean error */
static void test_exec_nll_targets(void **state) {
  kt_fixture *f = *state;
  float x[6] = {-1, -2, -3, -4, -5, -6};
  int32_t t[2] = {2, 0};
  kn_tensor ins[2] = {f32_tensor(x, 2, (const int64_t[]){2, 3}),
                      {.dtype = KN_I32, .rank = 1, .dims = {2}, .data = t, .nbytes = 8}};
  kn_tensor out;
  assert_int_equal(run_node(f, IR_OP_NegativeLogLikelihoodLoss, 2, ins, 1, &out, NULL, reduce_sum), KN_OK);
  assert_true(out.rank == 0 && fabsf(*(float *)out.data - 7.0f) < 1e-6f); /* 3 + 4 */
  kn_tensor_free(&out);
  t[1] = 7; /* same graph, new data */
  assert_int_equal(ref_run_graph(f->kn, f->g, ins, 2, &out, 1), KN_EINVAL);
  assert_non_null(strstr(kn_errmsg(f->kn), "outside"));
}

/* ---- inference ---- */
static kn_status ir_infer_one(kt_fixture *f, ir_op op, int nin, const ir_type *const *in, int nout, ir_type *out,
                              void (*set_attrs)(ir_graph *, ir_node *)) {
  return kt_infer_node(f, op, nin, in, NULL, nout, out, set_attrs);
}

static void axis1(ir_graph *g, ir_node *n) { ir_attr_set_int(g, n, "axis", 1); }
static void reduce_none(ir_graph *g, ir_node *n) { ir_attr_set_string(g, n, "reduction", "none", 4); }
static void reduce_bad(ir_graph *g, ir_node *n) { ir_attr_set_string(g, n, "reduction", "avg", 3); }

static void test_infer(void **state) {
  kt_fixture *f = *state;
  int64_t B = IR_SYM(ir_sym_get(f->g, "B"));
  /* LayerNorm [B,3,4] axis 1: Mean/InvStdDev are [B,1,1] in the stash type */
  ir_type x = {.dtype = KN_F32, .rank = 3, .dims = {B, 3, 4}}, w = {.dtype = KN_F32, .rank = 2, .dims = {3, 4}};
  ir_type out[3];
  assert_int_equal(ir_infer_one(f, IR_OP_LayerNormalization, 2, (const ir_type *[]){&x, &w}, 3, out, axis1), KN_OK);
  assert_true(out[1].rank == 3 && out[1].dims[0] == B && out[1].dims[1] == 1 && out[1].dims[2] == 1);
  /* a scale of [5] cannot broadcast onto [3,4] */
  ir_type w5 = {.dtype = KN_F32, .rank = 1, .dims = {5}};
  assert_int_equal(ir_infer_one(f, IR_OP_LayerNormalization, 2, (const ir_type *[]){&x, &w5}, 1, out, axis1),
                   KN_ESHAPE);
  /* NLL: input [B,5,6], target [B,6]; none -> [B,6], default mean -> scalar */
  ir_type in = {.dtype = KN_F32, .rank = 3, .dims = {B, 5, 6}}, t = {.dtype = KN_I64, .rank = 2, .dims = {B, 6}};
  assert_int_equal(ir_infer_one(f, IR_OP_NegativeLogLikelihoodLoss, 2, (const ir_type *[]){&in, &t}, 1, out, reduce_none),
                   KN_OK);
  assert_true(out[0].rank == 2 && out[0].dims[0] == B && out[0].dims[1] == 6);
  assert_int_equal(ir_infer_one(f, IR_OP_SoftmaxCrossEntropyLoss, 2, (const ir_type *[]){&in, &t}, 2, out, NULL), KN_OK);
  assert_true(out[0].rank == 0 && out[1].rank == 3 && out[1].dims[1] == 5);
  assert_int_equal(ir_infer_one(f, IR_OP_NegativeLogLikelihoodLoss, 2, (const ir_type *[]){&in, &t}, 1, out, reduce_bad),
                   KN_EINVAL);
  /* target [B,7] does not match input dim 2 (6); a float target is a type error */
  ir_type t7 = {.dtype = KN_I64, .rank = 2, .dims = {B, 7}}, tf = {.dtype = KN_F32, .rank = 2, .dims = {B, 6}};
  assert_int_equal(ir_infer_one(f, IR_OP_NegativeLogLikelihoodLoss, 2, (const ir_type *[]){&in, &t7}, 1, out, NULL),
                   KN_ESHAPE);
  assert_int_equal(ir_infer_one(f, IR_OP_NegativeLogLikelihoodLoss, 2, (const ir_type *[]){&in, &tf}, 1, out, NULL),
                   KN_ETYPE);
  /* Det [B,3,3] -> [B]; [2,3] is not square */
  ir_type m = {.dtype = KN_F32, .rank = 3, .dims = {B, 3, 3}}, r = {.dtype = KN_F32, .rank = 2, .dims = {2, 3}};
  assert_int_equal(ir_infer_one(f, IR_OP_Det, 1, (const ir_type *[]){&m}, 1, out, NULL), KN_OK);
  assert_true(out[0].rank == 1 && out[0].dims[0] == B);
  assert_int_equal(ir_infer_one(f, IR_OP_Det, 1, (const ir_type *[]){&r}, 1, out, NULL), KN_ESHAPE);
}

/* ir_infer_batch_norm is not routed from ops.def yet: call it directly */
kn_status ir_infer_batch_norm(ir_infer_ctx *c);
static void test_infer_batch_norm(void **state) {
  kt_fixture *f = *state;
  ir_type x = {.dtype = KN_F32, .rank = 4, .dims = {2, 3, 4, 5}}, v = {.dtype = KN_F32, .rank = 1, .dims = {3}};
  ir_type v4 = {.dtype = KN_F32, .rank = 1, .dims = {4}}, out[3];
  ir_id ins[5], outs[3];
  for (int i = 0; i < 5; i++) ins[i] = ir_value_new(f->g, NULL, i ? &v : &x);
  for (int k = 0; k < 3; k++) outs[k] = ir_value_new(f->g, NULL, NULL);
  ir_id n = ir_node_new(f->g, IR_OP_BatchNormalization, "bn", 5, ins, 3, outs);
  const ir_type *in[5] = {&x, &v, &v, &v, &v};
  const kn_tensor *val[5] = {NULL};
  ir_infer_ctx c = {.kn = f->kn, .g = f->g, .node = &f->g->nodes[n], .nin = 5, .in = in, .val = val, .nout = 3, .out = out};
  assert_int_equal(ir_infer_batch_norm(&c), KN_OK);
  assert_true(out[0].rank == 4 && out[1].rank == 1 && out[1].dims[0] == 3 && out[2].dims[0] == 3);
  in[3] = &v4; /* a mean of 4 entries for 3 channels */
  assert_int_equal(ir_infer_batch_norm(&c), KN_ESHAPE);
}

KT_MAIN(
    cmocka_unit_test(test_softmax_family),
    cmocka_unit_test(test_layernorm),
    cmocka_unit_test(test_channel_norms),
    cmocka_unit_test(test_nll),
    cmocka_unit_test(test_det),
    KT_TEST(test_exec_softmax_legacy),
    KT_TEST(test_exec_softmax_f16),
    KT_TEST(test_exec_layernorm_stash),
    KT_TEST(test_exec_groupnorm_params),
    KT_TEST(test_exec_nll_targets),
    KT_TEST(test_infer),
    KT_TEST(test_infer_batch_norm))
