/* test_passes_attention.c: the Attention op and the fuse-attention pass.
 *  - the kernel on a 2x2 case checked by hand (with and without causal);
 *  - the pass on text-IR graphs in the forms exporters write (OpenAI CLIP /
 *    ViT with the head Reshape/Transpose and a scale Mul on Q; HF CLIP text
 *    with a constant causal mask and K transposed twice; BERT with a Div and a
 *    mask input, output left head-major; GLIDE's channels-first heads with
 *    Y = V P^T; Swin's shifted windows with two constant masks): what
 *    remains after the pass, and
 *    the reference executor's outputs before and after within 1e-5;
 *  - patterns the pass must leave alone (an intermediate used elsewhere);
 *  - the JIT's lowering against the reference adapter over layouts and
 *    shapes (S != T, head dims that leave vector tails, one batch x head,
 *    masks broadcast in different ways, causal), and the same bits with 1
 *    and 2 threads;
 *  - the text form of the op's attributes round-trips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ir_text.h"
#include "unit.h"

#include "k_attention.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* deterministic inputs in [-2.7, 2.7]; an input named "mask*" gets 0 or -1e4 */
static const kt_wave wave = {.amp = 2.7f, .freq = 0.61f, .phase = 1.3f, .masks = true};

/* ---------- the kernel, by hand ---------- */
static void test_kernel_2x2(void **state) {
  (void)state;
  /* B = H = 1, S = T = D = Dv = 2, head-major: Q = K = I, V = [[1, 2], [3, 4]] */
  const float q[4] = {1, 0, 0, 1}, k[4] = {1, 0, 0, 1}, v[4] = {1, 2, 3, 4};
  int64_t geo[KK_ATT_GEO] = {1, 1, 2, 2, 2, 2};
  for (int o = 0; o < 4; o++) { /* Q, K, V, Y: [1, 1, 2, 2] contiguous */
    geo[KK_ATT_Q + 4 * o + 0] = 4, geo[KK_ATT_Q + 4 * o + 1] = 4;
    geo[KK_ATT_Q + 4 * o + 2] = 2, geo[KK_ATT_Q + 4 * o + 3] = 1;
  }
  float *scratch = calloc((size_t)kk_attention_scratch_floats(geo), sizeof(float));
  float y[4];
  /* row 0 scores [1, 0]: weights e/(e+1) = 0.7310586, 0.2689414 */
  kk_attention_f32(q, k, v, NULL, y, geo, 1.0f, 0, 0, 1, scratch);
  const float want[4] = {1.5378828f, 2.5378828f, 2.4621172f, 3.4621172f};
  for (int i = 0; i < 4; i++) assert_float_equal(y[i], want[i], 1e-6);
  /* causal: row 0 sees key 0 only */
  kk_attention_f32(q, k, v, NULL, y, geo, 1.0f, 1, 0, 1, scratch);
  const float wantc[4] = {1, 2, 2.4621172f, 3.4621172f};
  for (int i = 0; i < 4; i++) assert_float_equal(y[i], wantc[i], 1e-6);
  /* scale 0 and a mask [[0, -inf], [0, 0]]: row 0 key 0 only, row 1 the mean of V's rows */
  const float m[4] = {0, -INFINITY, 0, 0};
  geo[KK_ATT_M + 2] = 2, geo[KK_ATT_M + 3] = 1;
  kk_attention_f32(q, k, v, m, y, geo, 0.0f, 0, 0, 1, scratch);
  const float wantm[4] = {1, 2, 2, 3};
  for (int i = 0; i < 4; i++) assert_float_equal(y[i], wantm[i], 1e-6);
  free(scratch);
}

/* ---------- the pass, on the forms exporters write ---------- */
/* OpenAI CLIP / ViT: a Split of the in-projection, q * scale, the head
 * Reshape/Transpose, K^T by Transpose(0,2,3,1), and back to [B, S, H*D] */
static const char *const g_vit =
    "graph vit {\n"
    " input x: f32[1, 5, 18]\n"
    " const split: i64[3] = [6, 6, 6]\n const sh: i64[4] = [1, 5, 2, 3]\n const sh3: i64[3] = [1, 5, 6]\n"
    " const c: f32[] = [0.57735026]\n"
    " q0, k0, v0 = Split(x, split) {axis=-1}\n"
    " qs = Mul(q0, c)\n qr = Reshape(qs, sh)\n qt = Transpose(qr) {perm=[0, 2, 1, 3]}\n"
    " kr = Reshape(k0, sh)\n kt = Transpose(kr) {perm=[0, 2, 3, 1]}\n"
    " vr = Reshape(v0, sh)\n vt = Transpose(vr) {perm=[0, 2, 1, 3]}\n"
    " w = MatMul(qt, kt)\n p = Softmax(w) {axis=-1}\n o = MatMul(p, vt)\n"
    " ot = Transpose(o) {perm=[0, 2, 1, 3]}\n y = Reshape(ot, sh3)\n"
    " output y\n"
    "}\n";

/* HF CLIP text: separate projections, q * scale, K' head-major then
 * Transpose(0,1,3,2), a constant causal mask [1, 1, S, S] of finfo.min */
static const char *const g_text =
    "graph text {\n"
    " input q: f32[2, 4, 8]\n input k: f32[2, 4, 8]\n input v: f32[2, 4, 8]\n"
    " const sh: i64[4] = [2, 4, 2, 4]\n const sh3: i64[3] = [2, 4, 8]\n const c: f32[] = [0.5]\n"
    " const cm: f32[1, 1, 4, 4] = [0, -3.4028235e38, -3.4028235e38, -3.4028235e38, 0, 0, -3.4028235e38,"
    " -3.4028235e38, 0, 0, 0, -3.4028235e38, 0, 0, 0, 0]\n"
    " qs = Mul(q, c)\n qr = Reshape(qs, sh)\n qt = Transpose(qr) {perm=[0, 2, 1, 3]}\n"
    " kr = Reshape(k, sh)\n kh = Transpose(kr) {perm=[0, 2, 1, 3]}\n kt = Transpose(kh) {perm=[0, 1, 3, 2]}\n"
    " vr = Reshape(v, sh)\n vt = Transpose(vr) {perm=[0, 2, 1, 3]}\n"
    " w = MatMul(qt, kt)\n wm = Add(w, cm)\n p = Softmax(wm) {axis=3}\n o = MatMul(p, vt)\n"
    " ot = Transpose(o) {perm=[0, 2, 1, 3]}\n y = Reshape(ot, sh3)\n"
    " output y\n"
    "}\n";

/* BERT: head-major Q', K'^T given as MatMul inputs, / sqrt(d), an additive
 * mask input [B, 1, 1, T], the output left head-major */
static const char *const g_bert =
    "graph bert {\n"
    " input qh: f32[2, 3, 5, 4]\n input kt: f32[2, 3, 4, 6]\n input vh: f32[2, 3, 6, 4]\n"
    " input mask: f32[2, 1, 1, 6]\n"
    " const d: f32[] = [2]\n"
    " w = MatMul(qh, kt)\n ws = Div(w, d)\n wm = Add(mask, ws)\n p = Softmax(wm) {axis=-1}\n o = MatMul(p, vh)\n"
    " r = Relu(o)\n"
    " output r\n"
    "}\n";

/* GLIDE's QKVAttentionLegacy: heads flattened into the batch, channels
 * first ([N, D, T]), both q and k scaled, and Y = MatMul(V, Transpose(P)) */
static const char *const g_glide =
    "graph glide {\n"
    " input qkv: f32[4, 48, 10]\n"
    " const split: i64[3] = [16, 16, 16]\n const c: f32[] = [0.5]\n"
    " q, k, v = Split(qkv, split) {axis=1}\n"
    " qs = Mul(q, c)\n qt = Transpose(qs) {perm=[0, 2, 1]}\n ks = Mul(k, c)\n"
    " w = MatMul(qt, ks)\n p = Softmax(w) {axis=-1}\n pt = Transpose(p) {perm=[0, 2, 1]}\n y = MatMul(v, pt)\n"
    " output y\n"
    "}\n";

/* Swin's shifted windows: a relative-position bias, then the window mask
 * added through a [B/nW, nW, H, S, T] view; both constants become one mask */
static const char *const g_swin =
    "graph swin {\n"
    " input qh: f32[4, 2, 3, 4]\n input kh: f32[4, 2, 3, 4]\n input vh: f32[4, 2, 3, 4]\n"
    " const c: f32[] = [0.5]\n"
    " const bias: f32[1, 2, 3, 3] = [0.1, -0.2, 0.3, 0.4, 0, -0.1, 0.2, 0.5, -0.3, -0.4, 0.1, 0, 0.3, -0.2, 0.2, 0.1,"
    " 0.6, -0.5]\n"
    " const wm: f32[1, 2, 1, 3, 3] = [0, 0, -100, 0, 0, -100, -100, -100, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]\n"
    " const sh5: i64[5] = [2, 2, 2, 3, 3]\n const sh4: i64[4] = [-1, 2, 3, 3]\n const shy: i64[3] = [4, 3, 8]\n"
    " qs = Mul(qh, c)\n kt = Transpose(kh) {perm=[0, 1, 3, 2]}\n w = MatMul(qs, kt)\n wb = Add(w, bias)\n"
    " r5 = Reshape(wb, sh5)\n a5 = Add(r5, wm)\n r4 = Reshape(a5, sh4)\n p = Softmax(r4) {axis=-1}\n"
    " o = MatMul(p, vh)\n ot = Transpose(o) {perm=[0, 2, 1, 3]}\n y = Reshape(ot, shy)\n"
    " output y\n"
    "}\n";

/* runs `text` on the reference executor before and after fuse-attention,dce
 * (within 1e-5); then the live node counts of `counts`. Returns the fused
 * graph. */
static ir_graph *fuse(void **state, const char *text, const char *counts) {
  kn_ctx *kn = kt_kn(state);
  ir_graph *g = kt_load(state, text);
  kn_tensor in[4], want[1], got[1];
  kt_make_inputs(kn, g, &wave, in);
  kt_ref_run(kn, g, in, want, 1);
  kt_pipeline(g, "fuse-attention,dce");
  kt_ref_run(kn, g, in, got, 1);
  kt_expect_close(&got[0], &want[0], 1e-5f, "after fuse-attention");
  kt_free_tensors(in, g->ninputs), kt_free_tensors(want, 1), kt_free_tensors(got, 1);
  kt_expect_counts(g, counts);
  return g;
}

/* The layouts of a fused Attention node (NULL: not checked). */
static void expect_layouts(const ir_node *a, const char *q, const char *k, const char *v, const char *y) {
  const char *const names[4] = {"q_layout", "k_layout", "v_layout", "y_layout"}, *want[4] = {q, k, v, y};
  for (int i = 0; i < 4; i++)
    if (want[i]) assert_string_equal(ir_attr_str(a, names[i], ""), want[i]);
}

static void test_fuse_vit_form(void **state) {
  const ir_node *a = kt_live_node(fuse(state, g_vit, "live=2") /* Split, Attention */, IR_OP_Attention);
  assert_int_equal(a->nin, 3);
  assert_int_equal(ir_attr_int(a, "num_heads", 0), 2);
  assert_float_equal(ir_attr_float(a, "scale", 0), 0.57735026f, 1e-7);
  assert_int_equal(ir_attr_int(a, "causal", 0), 0);
  expect_layouts(a, "bshd", "bshd", "bshd", "bshd");
}

static void test_fuse_causal_text_form(void **state) {
  const ir_node *a = kt_live_node(fuse(state, g_text, "live=1"), IR_OP_Attention);
  assert_int_equal(a->nin, 3); /* the mask became the flag */
  assert_int_equal(ir_attr_int(a, "causal", 0), 1);
  assert_float_equal(ir_attr_float(a, "scale", 0), 0.5f, 0);
}

static void test_fuse_bert_form(void **state) {
  const ir_node *a = kt_live_node(fuse(state, g_bert, "live=2") /* Attention, Relu */, IR_OP_Attention);
  assert_int_equal(a->nin, 4);
  assert_float_equal(ir_attr_float(a, "scale", 0), 0.5f, 0);
  expect_layouts(a, "bhsd", "bhds", NULL, "bhsd");
}

static void test_fuse_glide_form(void **state) {
  const ir_node *a = kt_live_node(fuse(state, g_glide, "live=2") /* Split, Attention */, IR_OP_Attention);
  assert_int_equal(ir_attr_int(a, "num_heads", 0), 4);
  assert_float_equal(ir_attr_float(a, "scale", 0), 0.25f, 0);
  expect_layouts(a, "bhds", "bhds", "bhds", "bhds");
}

static void test_fuse_swin_window_form(void **state) {
  ir_graph *g = fuse(state, g_swin, "live=1");
  const ir_node *a = kt_live_node(g, IR_OP_Attention);
  assert_int_equal(a->nin, 4);
  const ir_type *mt = &g->values[a->in[3]].type;
  assert_int_equal(mt->rank, 4);
  assert_int_equal(mt->dims[0], 4);
  assert_int_equal(mt->dims[1], 2);
  expect_layouts(a, NULL, "bhsd", NULL, "bshd");
}

/* the softmax output is also a graph output: nothing may disappear */
static void test_fuse_leaves_shared_intermediates(void **state) {
  kt_after(state,
           "graph t {\n input qh: f32[1, 2, 3, 4]\n input kt: f32[1, 2, 4, 3]\n input vh: f32[1, 2, 3, 4]\n"
           " w = MatMul(qh, kt)\n p = Softmax(w) {axis=-1}\n o = MatMul(p, vh)\n output o, p\n}\n",
           "fuse-attention,dce", "Attention=0 live=3");
}

/* ---------- the JIT against the reference adapter ---------- */
static void jit_run(kn_ctx *kn, const char *text, const kn_tensor *in, int nin, int threads, kn_tensor *out) {
  pm_options pm = {.pipeline = "", .verify_each = true};
  cg_options opt = {.opt_level = 2, .no_cache = true, .threads = threads, .passes = &pm};
  cg_model *m = kt_jit_compile(kn, kt_parse(kn, text), in, &opt);
  cg_stats st;
  cg_model_stats(m, &st);
  assert_int_equal(st.fallback_nodes, 0);
  kt_jit_run(kn, m, in, nin, out, 1);
  cg_model_free(m);
}

/* One Attention node y = Attention(q, k, v[, mask]) {attrs} of the given
 * shapes (no mask input when mask is NULL), compiled by the JIT with 1 and 2
 * threads: within 1e-5 of the reference adapter, and the same bits. */
static void check_lowering(void **state, const char *q, const char *k, const char *v, const char *mask,
                           const char *attrs, const char *y) {
  kn_ctx *kn = kt_kn(state);
  char text[1024], min[64] = "";
  if (mask) snprintf(min, sizeof min, " input mask: f32[%s]\n", mask);
  snprintf(text, sizeof text,
           "graph t {\n input q: f32[%s]\n input k: f32[%s]\n input v: f32[%s]\n%s"
           " y = Attention(q, k, v%s) {%s} : f32[%s]\n output y\n}\n",
           q, k, v, min, mask ? ", mask" : "", attrs, y);
  ir_graph *g = kt_load(state, text);
  kn_tensor in[4], want[1], got1[1], got2[1];
  kt_make_inputs(kn, g, &wave, in);
  kt_ref_run(kn, g, in, want, 1);
  jit_run(kn, text, in, g->ninputs, 1, got1);
  jit_run(kn, text, in, g->ninputs, 2, got2);
  kt_expect_close(&got1[0], &want[0], 1e-5f, "jit");
  assert_int_equal(got1[0].nbytes, got2[0].nbytes);
  assert_memory_equal(got1[0].data, got2[0].data, (size_t)got1[0].nbytes); /* same bits for any --threads */
  kt_free_tensors(in, g->ninputs), kt_free_tensors(want, 1), kt_free_tensors(got1, 1), kt_free_tensors(got2, 1);
}

/* the layout attributes of q, k, v and y */
#define LAYOUTS(q, k, v, y) "q_layout=\"" q "\", k_layout=\"" k "\", v_layout=\"" v "\", y_layout=\"" y "\""

/* projection layout everywhere, S != T, D = 5, a mask [B, 1, 1, T] */
static void test_jit_bshd_mask(void **state) {
  check_lowering(state, "2, 5, 15", "2, 7, 15", "2, 7, 15", "2, 1, 1, 7",
                 "num_heads=3, scale=0.4, " LAYOUTS("bshd", "bshd", "bshd", "bshd"), "2, 5, 15");
}

/* B * H = 1, K transposed, D != Dv, T = 33 (a partial key tile), a 2-D mask */
static void test_jit_one_head_kt(void **state) {
  check_lowering(state, "1, 1, 3, 20", "1, 1, 20, 33", "1, 1, 33, 17", "3, 33",
                 "num_heads=1, scale=0.2, " LAYOUTS("bhsd", "bhds", "bhsd", "bhsd"), "1, 1, 3, 17");
}

/* rank-3 head-major operands ([B*H, .., ..]), V and Y transposed, a full mask */
static void test_jit_rank3_transposed(void **state) {
  check_lowering(state, "4, 9, 8", "4, 8, 11", "4, 8, 11", "4, 9, 11",
                 "num_heads=4, scale=0.35, " LAYOUTS("bhsd", "bhds", "bhds", "bhds"), "4, 8, 9");
}

/* causal, big enough to run on the thread pool (B * H = 8 items) */
static void test_jit_causal_parallel(void **state) {
  check_lowering(state, "2, 66, 256", "2, 66, 256", "2, 66, 256", NULL,
                 "num_heads=4, scale=0.125, causal=1, " LAYOUTS("bshd", "bshd", "bshd", "bshd"), "2, 66, 256");
}

/* a mask broadcast along heads and rows ([1, H, 1, T]), head-major output of bshd inputs */
static void test_jit_mask_per_head(void **state) {
  check_lowering(state, "3, 6, 14", "3, 10, 14", "3, 10, 14", "1, 2, 1, 10",
                 "num_heads=2, scale=1, " LAYOUTS("bshd", "bshd", "bshd", "bhsd"), "3, 2, 6, 7");
}

/* long keys and many items: a scratch slot per item would exceed the
 * lowering's budget, so the pool gets units of two items */
static void test_jit_grouped_units(void **state) {
  check_lowering(state, "32, 4, 1", "32, 8192, 1", "32, 8192, 1", NULL, "num_heads=32, scale=0.5", "32, 4, 1");
}

/* ---------- the fused graphs end to end on the JIT ---------- */
static void test_jit_fused_forms(void **state) {
  kn_ctx *kn = kt_kn(state);
  const char *const forms[5] = {g_vit, g_text, g_bert, g_glide, g_swin};
  for (int f = 0; f < 5; f++) {
    ir_graph *g = kt_load(state, forms[f]);
    kn_tensor in[4], want[1], got[1];
    kt_make_inputs(kn, g, &wave, in);
    kt_ref_run(kn, g, in, want, 1);
    cg_options opt = {.opt_level = 2, .no_cache = true}; /* the default pipeline */
    cg_model *m = kt_jit_compile(kn, kt_parse(kn, forms[f]), in, &opt);
    kt_expect_counts(cg_model_graph(m), "Attention=1");
    kt_jit_run(kn, m, in, g->ninputs, got, 1);
    kt_expect_close(&got[0], &want[0], 1e-5f, "jit");
    cg_model_free(m);
    kt_free_tensors(in, g->ninputs), kt_free_tensors(want, 1), kt_free_tensors(got, 1);
  }
}

/* ---------- text form ---------- */
static void test_text_round_trip(void **state) {
  ir_graph *g = kt_load(state, "graph t {\n input q: f32[1, 4, 6]\n input k: f32[1, 4, 6]\n input v: f32[1, 4, 6]\n"
                               " y = Attention(q, k, v) {num_heads=2, scale=0.35355338, causal=1, q_layout=\"bshd\","
                               " k_layout=\"bshd\", v_layout=\"bshd\", y_layout=\"bhsd\"}\n output y\n}\n");
  const ir_type *yt = &g->values[ir_value_find(g, "y")].type;
  assert_int_equal(yt->rank, 4);
  assert_int_equal(yt->dims[1], 2);
  assert_int_equal(yt->dims[3], 3);
  ir_graph_free(kt_text_round_trip(kt_kn(state), g, NULL));
}

/* shapes that do not fit are refused by inference, naming the node */
static void test_infer_rejects(void **state) {
  kn_ctx *kn = kt_kn(state);
  ir_graph *g = NULL;
  assert_int_equal(ir_parse(kn,
                            "graph t {\n input q: f32[1, 4, 6]\n input k: f32[1, 4, 8]\n input v: f32[1, 4, 6]\n"
                            " y = Attention(q, k, v) {num_heads=2, q_layout=\"bshd\", k_layout=\"bshd\","
                            " v_layout=\"bshd\", y_layout=\"bshd\"}\n output y\n}\n",
                            "t.kir", &g),
                   KN_OK);
  kt_keep(state, g);
  assert_int_not_equal(ir_infer_graph(g), KN_OK);
  assert_non_null(strstr(kn_errmsg(kn), "head dims"));
}

KT_MAIN(
    cmocka_unit_test(test_kernel_2x2),
    KT_TEST(test_fuse_vit_form),
    KT_TEST(test_fuse_causal_text_form),
    KT_TEST(test_fuse_bert_form),
    KT_TEST(test_fuse_glide_form),
    KT_TEST(test_fuse_swin_window_form),
    KT_TEST(test_fuse_leaves_shared_intermediates),
    KT_TEST(test_jit_bshd_mask),
    KT_TEST(test_jit_one_head_kt),
    KT_TEST(test_jit_rank3_transposed),
    KT_TEST(test_jit_causal_parallel),
    KT_TEST(test_jit_mask_per_head),
    KT_TEST(test_jit_grouped_units),
    KT_TEST(test_jit_fused_forms),
    KT_TEST(test_text_round_trip),
    KT_TEST(test_infer_rejects))
