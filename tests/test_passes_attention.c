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
#include "pass_check.h"

#include "cg.h"
#include "k_attention.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static ir_graph *parse(kn_ctx *kn, const char *text) {
  ir_graph *g = kt_parse_graph(kn, text);
  if (!g) fail_msg("%s", kn_errmsg(kn));
  return g;
}

static const ir_node *find_op(const ir_graph *g, ir_op op) {
  for (int32_t i = 0; i < g->nnodes; i++)
    if (!g->nodes[i].dead && g->nodes[i].op == op) return &g->nodes[i];
  return NULL;
}

/* deterministic inputs in [-2.7, 2.7]; an input named "mask*" gets 0 or -1e4 */
static void make_inputs(kn_ctx *kn, const ir_graph *g, kn_tensor *in) {
  for (int i = 0; i < g->ninputs; i++) {
    const ir_value *v = &g->values[g->inputs[i]];
    assert_int_equal(kn_tensor_alloc(kn, &in[i], v->type.dtype, v->type.rank, v->type.dims), KN_OK);
    float *p = in[i].data;
    const bool mask = strncmp(v->name, "mask", 4) == 0;
    for (int64_t k = 0; k < kn_tensor_numel(&in[i]); k++)
      p[k] = mask ? (k % 5 == 3 ? -1e4f : 0.0f) : 2.7f * sinf(0.61f * (float)k + 1.3f * (float)i);
  }
}

static void free_all(kn_tensor *t, int n) {
  for (int i = 0; i < n; i++) kn_tensor_free(&t[i]);
}

static void expect_close(const kn_tensor *got, const kn_tensor *want, float tol) {
  assert_int_equal(kn_tensor_numel(got), kn_tensor_numel(want));
  const float *y = got->data, *w = want->data;
  for (int64_t i = 0; i < kn_tensor_numel(want); i++)
    if (!(fabsf(y[i] - w[i]) <= tol * (1 + fabsf(w[i]))))
      fail_msg("element %lld: got %.9g, want %.9g", (long long)i, y[i], w[i]);
}

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

/* ---------- the pass ---------- */
/* runs `text` on the reference executor before and after `pipeline`; returns the fused graph */
static ir_graph *fuse_and_compare(kn_ctx *kn, const char *text, const char *pipeline) {
  ir_graph *g = parse(kn, text);
  kn_tensor in[4], want[1], got[1];
  make_inputs(kn, g, in);
  if (ref_run_graph(kn, g, in, g->ninputs, want, 1) != KN_OK) fail_msg("%s", kn_errmsg(kn));
  pm_options o = {.pipeline = pipeline, .verify_each = true};
  if (pm_run(g, &o) != KN_OK) fail_msg("%s", kn_errmsg(kn));
  if (ref_run_graph(kn, g, in, g->ninputs, got, 1) != KN_OK) fail_msg("%s", kn_errmsg(kn));
  expect_close(&got[0], &want[0], 1e-5f);
  free_all(in, g->ninputs);
  free_all(want, 1);
  free_all(got, 1);
  return g;
}

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

static void test_fuse_vit_form(void **state) {
  (void)state;
  kn_ctx *kn = kn_ctx_new();
  ir_graph *g = fuse_and_compare(kn, g_vit, "fuse-attention,dce");
  assert_int_equal(ir_graph_live_nodes(g), 2); /* Split, Attention */
  const ir_node *a = find_op(g, IR_OP_Attention);
  assert_non_null(a);
  assert_int_equal(a->nin, 3);
  assert_int_equal(ir_attr_int(a, "num_heads", 0), 2);
  assert_float_equal(ir_attr_float(a, "scale", 0), 0.57735026f, 1e-7);
  assert_int_equal(ir_attr_int(a, "causal", 0), 0);
  assert_string_equal(ir_attr_str(a, "q_layout", ""), "bshd");
  assert_string_equal(ir_attr_str(a, "k_layout", ""), "bshd");
  assert_string_equal(ir_attr_str(a, "v_layout", ""), "bshd");
  assert_string_equal(ir_attr_str(a, "y_layout", ""), "bshd");
  ir_graph_free(g);
  kn_ctx_free(kn);
}

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

static void test_fuse_causal_text_form(void **state) {
  (void)state;
  kn_ctx *kn = kn_ctx_new();
  ir_graph *g = fuse_and_compare(kn, g_text, "fuse-attention,dce");
  assert_int_equal(ir_graph_live_nodes(g), 1);
  const ir_node *a = find_op(g, IR_OP_Attention);
  assert_non_null(a);
  assert_int_equal(a->nin, 3); /* the mask became the flag */
  assert_int_equal(ir_attr_int(a, "causal", 0), 1);
  assert_float_equal(ir_attr_float(a, "scale", 0), 0.5f, 0);
  ir_graph_free(g);
  kn_ctx_free(kn);
}

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

static void test_fuse_bert_form(void **state) {
  (void)state;
  kn_ctx *kn = kn_ctx_new();
  ir_graph *g = fuse_and_compare(kn, g_bert, "fuse-attention,dce");
  assert_int_equal(ir_graph_live_nodes(g), 2); /* Attention, Relu */
  const ir_node *a = find_op(g, IR_OP_Attention);
  assert_non_null(a);
  assert_int_equal(a->nin, 4);
  assert_float_equal(ir_attr_float(a, "scale", 0), 0.5f, 0);
  assert_string_equal(ir_attr_str(a, "q_layout", ""), "bhsd");
  assert_string_equal(ir_attr_str(a, "k_layout", ""), "bhds");
  assert_string_equal(ir_attr_str(a, "y_layout", ""), "bhsd");
  ir_graph_free(g);
  kn_ctx_free(kn);
}

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

static void test_fuse_glide_form(void **state) {
  (void)state;
  kn_ctx *kn = kn_ctx_new();
  ir_graph *g = fuse_and_compare(kn, g_glide, "fuse-attention,dce");
  assert_int_equal(ir_graph_live_nodes(g), 2); /* Split, Attention */
  const ir_node *a = find_op(g, IR_OP_Attention);
  assert_non_null(a);
  assert_int_equal(ir_attr_int(a, "num_heads", 0), 4);
  assert_float_equal(ir_attr_float(a, "scale", 0), 0.25f, 0);
  for (int i = 0; i < 4; i++) {
    static const char *const names[4] = {"q_layout", "k_layout", "v_layout", "y_layout"};
    assert_string_equal(ir_attr_str(a, names[i], ""), "bhds");
  }
  ir_graph_free(g);
  kn_ctx_free(kn);
}

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

static void test_fuse_swin_window_form(void **state) {
  (void)state;
  kn_ctx *kn = kn_ctx_new();
  ir_graph *g = fuse_and_compare(kn, g_swin, "fuse-attention,dce");
  assert_int_equal(ir_graph_live_nodes(g), 1);
  const ir_node *a = find_op(g, IR_OP_Attention);
  assert_non_null(a);
  assert_int_equal(a->nin, 4);
  const ir_type *mt = &g->values[a->in[3]].type;
  assert_int_equal(mt->rank, 4);
  assert_int_equal(mt->dims[0], 4);
  assert_int_equal(mt->dims[1], 2);
  assert_string_equal(ir_attr_str(a, "k_layout", ""), "bhsd");
  assert_string_equal(ir_attr_str(a, "y_layout", ""), "bshd");
  ir_graph_free(g);
  kn_ctx_free(kn);
}

/* the softmax output is also a graph output: nothing may disappear */
static void test_fuse_leaves_shared_intermediates(void **state) {
  (void)state;
  kn_ctx *kn = kn_ctx_new();
  const char *text = "graph t {\n input qh: f32[1, 2, 3, 4]\n input kt: f32[1, 2, 4, 3]\n input vh: f32[1, 2, 3, 4]\n"
                     " w = MatMul(qh, kt)\n p = Softmax(w) {axis=-1}\n o = MatMul(p, vh)\n output o, p\n}\n";
  ir_graph *g = parse(kn, text);
  pm_options o = {.pipeline = "fuse-attention,dce", .verify_each = true};
  assert_int_equal(pm_run(g, &o), KN_OK);
  assert_int_equal(kt_count_op(g, IR_OP_Attention), 0);
  assert_int_equal(ir_graph_live_nodes(g), 3);
  ir_graph_free(g);
  kn_ctx_free(kn);
}

/* ---------- the JIT against the reference adapter ---------- */
static void jit_run(kn_ctx *kn, const char *text, const kn_tensor *in, int nin, int threads, kn_tensor *out) {
  ir_graph *g = parse(kn, text);
  int ranks[4];
  int64_t dims[4][KN_MAX_RANK];
  for (int i = 0; i < nin; i++) {
    ranks[i] = in[i].rank;
    memcpy(dims[i], in[i].dims, sizeof dims[i]);
  }
  pm_options pm = {.pipeline = "", .verify_each = true};
  cg_options opt = {.opt_level = 2, .no_cache = true, .threads = threads, .passes = &pm};
  cg_model *m = NULL;
  if (cg_compile(kn, g, ranks, (const int64_t(*)[KN_MAX_RANK])dims, &opt, &m) != KN_OK) fail_msg("%s", kn_errmsg(kn));
  cg_stats st;
  cg_model_stats(m, &st);
  assert_int_equal(st.fallback_nodes, 0);
  if (cg_run(m, in, nin, out, 1) != KN_OK) fail_msg("%s", kn_errmsg(kn));
  cg_model_free(m);
}

static void check_lowering(const char *text) {
  kn_ctx *kn = kn_ctx_new();
  ir_graph *g = parse(kn, text);
  kn_tensor in[4], want[1], got1[1], got2[1];
  make_inputs(kn, g, in);
  if (ref_run_graph(kn, g, in, g->ninputs, want, 1) != KN_OK) fail_msg("%s", kn_errmsg(kn));
  jit_run(kn, text, in, g->ninputs, 1, got1);
  jit_run(kn, text, in, g->ninputs, 2, got2);
  expect_close(&got1[0], &want[0], 1e-5f);
  assert_int_equal(got1[0].nbytes, got2[0].nbytes);
  assert_memory_equal(got1[0].data, got2[0].data, (size_t)got1[0].nbytes); /* same bits for any --threads */
  free_all(in, g->ninputs);
  free_all(want, 1);
  free_all(got1, 1);
  free_all(got2, 1);
  ir_graph_free(g);
  kn_ctx_free(kn);
}

/* projection layout everywhere, S != T, D = 5, a mask [B, 1, 1, T] */
static void test_jit_bshd_mask(void **state) {
  (void)state;
  check_lowering("graph t {\n input q: f32[2, 5, 15]\n input k: f32[2, 7, 15]\n input v: f32[2, 7, 15]\n"
                 " input mask: f32[2, 1, 1, 7]\n"
                 " y = Attention(q, k, v, mask) {num_heads=3, scale=0.4, q_layout=\"bshd\", k_layout=\"bshd\","
                 " v_layout=\"bshd\", y_layout=\"bshd\"} : f32[2, 5, 15]\n output y\n}\n");
}

/* B * H = 1, K transposed, D != Dv, T = 33 (a partial key tile), a 2-D mask */
static void test_jit_one_head_kt(void **state) {
  (void)state;
  check_lowering("graph t {\n input q: f32[1, 1, 3, 20]\n input k: f32[1, 1, 20, 33]\n input v: f32[1, 1, 33, 17]\n"
                 " input mask: f32[3, 33]\n"
                 " y = Attention(q, k, v, mask) {num_heads=1, scale=0.2, q_layout=\"bhsd\", k_layout=\"bhds\","
                 " v_layout=\"bhsd\", y_layout=\"bhsd\"} : f32[1, 1, 3, 17]\n output y\n}\n");
}

/* rank-3 head-major operands ([B*H, .., ..]), V and Y transposed, a full mask */
static void test_jit_rank3_transposed(void **state) {
  (void)state;
  check_lowering("graph t {\n input q: f32[4, 9, 8]\n input k: f32[4, 8, 11]\n input v: f32[4, 8, 11]\n"
                 " input mask: f32[4, 9, 11]\n"
                 " y = Attention(q, k, v, mask) {num_heads=4, scale=0.35, q_layout=\"bhsd\", k_layout=\"bhds\","
                 " v_layout=\"bhds\", y_layout=\"bhds\"} : f32[4, 8, 9]\n output y\n}\n");
}

/* causal, big enough to run on the thread pool (B * H = 8 items) */
static void test_jit_causal_parallel(void **state) {
  (void)state;
  check_lowering("graph t {\n input q: f32[2, 66, 256]\n input k: f32[2, 66, 256]\n input v: f32[2, 66, 256]\n"
                 " y = Attention(q, k, v) {num_heads=4, scale=0.125, causal=1, q_layout=\"bshd\", k_layout=\"bshd\","
                 " v_layout=\"bshd\", y_layout=\"bshd\"} : f32[2, 66, 256]\n output y\n}\n");
}

/* a mask broadcast along heads and rows ([1, H, 1, T]), head-major output of bshd inputs */
static void test_jit_mask_per_head(void **state) {
  (void)state;
  check_lowering("graph t {\n input q: f32[3, 6, 14]\n input k: f32[3, 10, 14]\n input v: f32[3, 10, 14]\n"
                 " input mask: f32[1, 2, 1, 10]\n"
                 " y = Attention(q, k, v, mask) {num_heads=2, scale=1, q_layout=\"bshd\", k_layout=\"bshd\","
                 " v_layout=\"bshd\", y_layout=\"bhsd\"} : f32[3, 2, 6, 7]\n output y\n}\n");
}

/* long keys and many items: a scratch slot per item would exceed the
 * lowering's budget, so the pool gets units of two items */
static void test_jit_grouped_units(void **state) {
  (void)state;
  check_lowering("graph t {\n input q: f32[32, 4, 1]\n input k: f32[32, 8192, 1]\n input v: f32[32, 8192, 1]\n"
                 " y = Attention(q, k, v) {num_heads=32, scale=0.5} : f32[32, 4, 1]\n output y\n}\n");
}

/* ---------- the fused graphs end to end on the JIT ---------- */
static void test_jit_fused_forms(void **state) {
  (void)state;
  const char *const forms[5] = {g_vit, g_text, g_bert, g_glide, g_swin};
  for (int f = 0; f < 5; f++) {
    kn_ctx *kn = kn_ctx_new();
    ir_graph *g = parse(kn, forms[f]);
    kn_tensor in[4], want[1], got[1];
    make_inputs(kn, g, in);
    if (ref_run_graph(kn, g, in, g->ninputs, want, 1) != KN_OK) fail_msg("%s", kn_errmsg(kn));
    int ranks[4];
    int64_t dims[4][KN_MAX_RANK];
    for (int i = 0; i < g->ninputs; i++) {
      ranks[i] = in[i].rank;
      memcpy(dims[i], in[i].dims, sizeof dims[i]);
    }
    cg_options opt = {.opt_level = 2, .no_cache = true}; /* the default pipeline */
    cg_model *m = NULL;
    ir_graph *c = parse(kn, forms[f]);
    if (cg_compile(kn, c, ranks, (const int64_t(*)[KN_MAX_RANK])dims, &opt, &m) != KN_OK) fail_msg("%s", kn_errmsg(kn));
    assert_int_equal(kt_count_op(cg_model_graph(m), IR_OP_Attention), 1);
    if (cg_run(m, in, g->ninputs, got, 1) != KN_OK) fail_msg("%s", kn_errmsg(kn));
    expect_close(&got[0], &want[0], 1e-5f);
    cg_model_free(m);
    free_all(in, g->ninputs);
    free_all(want, 1);
    free_all(got, 1);
    ir_graph_free(g);
    kn_ctx_free(kn);
  }
}

/* ---------- text form ---------- */
static void test_text_round_trip(void **state) {
  (void)state;
  kn_ctx *kn = kn_ctx_new();
  ir_graph *g = parse(kn, "graph t {\n input q: f32[1, 4, 6]\n input k: f32[1, 4, 6]\n input v: f32[1, 4, 6]\n"
                          " y = Attention(q, k, v) {num_heads=2, scale=0.35355338, causal=1, q_layout=\"bshd\","
                          " k_layout=\"bshd\", v_layout=\"bshd\", y_layout=\"bhsd\"}\n output y\n}\n");
  const ir_type *yt = &g->values[ir_value_find(g, "y")].type;
  assert_int_equal(yt->rank, 4);
  assert_int_equal(yt->dims[1], 2);
  assert_int_equal(yt->dims[3], 3);
  ir_print_opts po = {.max_const_elems = -1};
  char *a = ir_print(g, &po);
  ir_graph *h = parse(kn, a);
  char *b = ir_print(h, &po);
  assert_string_equal(a, b);
  free(a);
  free(b);
  ir_graph_free(g);
  ir_graph_free(h);
  kn_ctx_free(kn);
}

/* shapes that do not fit are refused by inference, naming the node */
static void test_infer_rejects(void **state) {
  (void)state;
  kn_ctx *kn = kn_ctx_new();
  ir_graph *g = NULL;
  assert_int_equal(ir_parse(kn,
                            "graph t {\n input q: f32[1, 4, 6]\n input k: f32[1, 4, 8]\n input v: f32[1, 4, 6]\n"
                            " y = Attention(q, k, v) {num_heads=2, q_layout=\"bshd\", k_layout=\"bshd\","
                            " v_layout=\"bshd\", y_layout=\"bshd\"}\n output y\n}\n",
                            "t.kir", &g),
                   KN_OK);
  assert_int_not_equal(ir_infer_graph(g), KN_OK);
  assert_non_null(strstr(kn_errmsg(kn), "head dims"));
  ir_graph_free(g);
  kn_ctx_free(kn);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_kernel_2x2),
      cmocka_unit_test(test_fuse_vit_form),
      cmocka_unit_test(test_fuse_causal_text_form),
      cmocka_unit_test(test_fuse_bert_form),
      cmocka_unit_test(test_fuse_glide_form),
      cmocka_unit_test(test_fuse_swin_window_form),
      cmocka_unit_test(test_fuse_leaves_shared_intermediates),
      cmocka_unit_test(test_jit_bshd_mask),
      cmocka_unit_test(test_jit_one_head_kt),
      cmocka_unit_test(test_jit_rank3_transposed),
      cmocka_unit_test(test_jit_causal_parallel),
      cmocka_unit_test(test_jit_mask_per_head),
      cmocka_unit_test(test_jit_grouped_units),
      cmocka_unit_test(test_jit_fused_forms),
      cmocka_unit_test(test_text_round_trip),
      cmocka_unit_test(test_infer_rejects),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
