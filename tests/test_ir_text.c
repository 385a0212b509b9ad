/* test_ir_text.c: the canonical IR text form (ir/text_*.c, docs/ir.md).
 * Round trips (parse -> print -> parse -> print gives the same string) over
 * hand-written graphs that together use every piece of syntax; bit-exact
 * constants; the seeded initializers against values computed by hand from the
 * algorithm in docs/ir.md; and a table of malformed inputs, each of which must
 * fail with the right status and a message carrying its line number, plus a
 * deterministic mutation loop that feeds the parser garbage, flat text and
 * text with params, macros and loops (tested in detail in
 * test_ir_text_macros.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ir_text.h"
#include "ir.h"
#include "unit.h"
#include "text_lex.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ---- */
static ir_graph *parse_ok(kn_ctx *ctx, const char *text) {
  ir_graph *g = NULL;
  kn_status st = ir_parse(ctx, text, "t.kir", &g);
  if (st != KN_OK) fail_msg("parse failed: %s", kn_errmsg(ctx));
  assert_non_null(g);
  return g;
}

/* parse -> print -> parse -> print; both prints must be equal. Returns the first print. */
static char *round_trip(kn_ctx *ctx, const char *text) {
  ir_graph *g1 = parse_ok(ctx, text);
  char *p1 = ir_print(g1, NULL);
  assert_non_null(p1);
  ir_graph *g2 = NULL;
  if (ir_parse(ctx, p1, "printed.kir", &g2) != KN_OK) fail_msg("reparse failed: %s\n%s", kn_errmsg(ctx), p1);
  char *p2 = ir_print(g2, NULL);
  assert_non_null(p2);
  if (strcmp(p1, p2) != 0) fail_msg("round trip differs:\n%s\n---\n%s", p1, p2);
  free(p2);
  ir_graph_free(g1);
  ir_graph_free(g2);
  return p1;
}

static void assert_contains(const char *hay, const char *needle) {
  if (!strstr(hay, needle)) fail_msg("expected to find [%s] in:\n%s", needle, hay);
}

/* text round-trips (round_trip), and its print contains each of want[]
 * (NULL-terminated). */
static void expect_round_trip(kn_ctx *ctx, const char *text, const char *const *want) {
  char *p = round_trip(ctx, text);
  for (int i = 0; want[i]; i++) assert_contains(p, want[i]);
  free(p);
}

/* ---- round trips ---- */
static const char *const g_features =
    "# every statement form\n"
    "graph clip_tiny opset 17 {\n"
    "  input pixel_values: f32[batch, 3, 32, 32]   # symbolic dims\n"
    "  input ids: i64[2, seq]\n"
    "  input c: bool[]\n"
    "  input anyrank: f16[*]\n"
    "  input unk: ?\n"
    "  input withdefault: i64[2] = [7, 8]\n"
    "  const w: f32[8, 3, 4, 4] = normal(seed=1, std=0.02)\n"
    "  const b: f32[8] = [0.1, -0.2, 0.3, 0, 0, 0, 0, 1e-3]\n"
    "  const s: i64[] = [5]\n"
    "  const fs: f32[] = [5]\n"
    "  const raw: f32[3] = hex\"0000803f0000004000004040\"\n"
    "  const z: f32[4] = zeros\n"
    "  const one: i32[3] = ones\n"
    "  const half: f16[2] = fill(2.5)\n"
    "  const u: bf16[2, 2] = uniform(seed=3, low=-1, high=1)\n"
    "  const d: f64[2] = [1e300, -0.0]\n"
    "  const m: bool[3] = [true, false, 1]\n"
    "  const big: u64[2] = [18446744073709551615, 0]\n"
    "  const lim: i64[2] = [-9223372036854775808, 9223372036854775807]\n"
    "  const empty: f32[0, 3] = []\n"
    "  conv = Conv(pixel_values, w, b) {strides=[4, 4], group=1, auto_pad=\"NOTSET\", alpha=0.5,"
    " eps=1e-5, fl=[1.0, 2.5, inf, -inf, nan, -0.0], fi=floats[1, 2], ss=[\"a\", \"b\\x01\\n\\\"\\\\\"],"
    " e=ints[], ef=floats[], es=strings[], t=tensor i64[2] = [1, -2], tf=tensor f32[] = [0.25],"
    " bytes=\"nul\\x00inside\\xff\"} : f32[batch, 8, 8, 8]\n"
    "  y, mask = Dropout(conv) : f32[batch, ?, 8, 8], bool[?, \"3\", 2, n]\n"
    "  q = Clip(y, _, fs)                         # absent optional input\n"
    "  \"onnx::Gather_12\", \"weird name\" = Dropout(q)\n"
    "  /enc/layer.0/Add_output_0 = Add(q, onnx::Gather_12)\n"
    "  _, mask2 = Dropout(y) : _, bool[*]\n"
    "  out = If(c) {then_branch=graph { r = Relu(q) output r },\n"
    "               else_branch=graph else_g opset 18 { r2 = Neg(y) : ? output r2 }} : f32[*]\n"
    "  output conv, q, out, w\n"
    "}\n";

/* Loop body with its own inputs, three levels of nesting, outer references
 * from two levels down, symbols in subgraphs, quoted and keyword names. */
static const char *const g_nested =
    "graph \"outer graph\" opset 13 {\n"
    "  input n: i64[]\n"
    "  input cond: bool[]\n"
    "  input x: f32[b, \"seq len\", \"12\"]\n"
    "  const \"input\": f32[1] = [2]\n"
    "  \"graph\" = Mul(x, \"input\")\n"
    "  \"ends:\" = Identity(\"graph\")\n"
    "  \"_\" = Identity(\"ends:\") : f32[b, \"seq len\", \"12\"]\n"
    "  final, scan = Loop(n, cond, x) {body=graph {\n"
    "    input i: i64[]\n"
    "    input c: bool[]\n"
    "    input acc: f32[b, ?, 12]\n"
    "    s = Add(acc, \"graph\")\n"
    "    t = If(c) {then_branch=graph {\n"
    "      deep = Sub(s, \"_\")     # s from one level up, _ from two\n"
    "      inner = If(c) {then_branch=graph { output deep }, else_branch=graph { z = Neg(x) output z }}\n"
    "      output inner\n"
    "    }, else_branch=graph { output s }}\n"
    "    output c, t, s\n"
    "  }} : f32[b, ?, ?], f32[*]\n"
    "  output final, scan\n"
    "}\n";

static void test_round_trip_features(void **state) {
  static const char *const printed[] = {
      "graph clip_tiny opset 17 {\n",
      "  input pixel_values: f32[batch, 3, 32, 32]\n",
      "  input anyrank: f16[*]\n",
      "  input unk: ?\n",
      "  input withdefault: i64[2] = [7, 8]\n",
      "  const raw: f32[3] = hex\"0000803f0000004000004040\"\n",
      "  const z: f32[4] = zeros\n",
      "  const s: i64[] = [5]\n",
      "  const one: i32[3] = [1, 1, 1]\n",
      "  const big: u64[2] = [18446744073709551615, 0]\n",
      "  const lim: i64[2] = [-9223372036854775808, 9223372036854775807]\n",
      "  const empty: f32[0, 3] = zeros\n",
      "strides=[4, 4], group=1, auto_pad=\"NOTSET\", alpha=0.5, eps=1e-05",
      "fl=[1.0, 2.5, inf, -inf, nan, -0.0], fi=[1.0, 2.0]",
      "ss=[\"a\", \"b\\x01\\n\\\"\\\\\"], e=ints[], ef=floats[], es=strings[]",
      "t=tensor i64[2] = [1, -2], tf=tensor f32[] = hex\"0000803e\"",
      "bytes=\"nul\\x00inside\\xff\"} : f32[batch, 8, 8, 8]\n",
      "  y, mask = Dropout(conv) : f32[batch, ?, 8, 8], bool[?, \"3\", 2, n]\n",
      "  q = Clip(y, _, fs)\n",
      "  onnx::Gather_12, \"weird name\" = Dropout(q)\n",
      "  /enc/layer.0/Add_output_0 = Add(q, onnx::Gather_12)\n",
      "  _, mask2 = Dropout(y) : _, bool[*]\n",
      "  out = If(c) {then_branch=graph {\n    r = Relu(q)\n    output r\n  }, "
      "else_branch=graph else_g opset 18 {\n    r2 = Neg(y)\n    output r2\n  }} : f32[*]\n",
      "  output conv, q, out, w\n}\n",
      NULL};
  expect_round_trip(kt_kn(state), g_features, printed);
}

static void test_round_trip_attribute_values(void **state) {
  kn_ctx *ctx = kt_kn(state);
  ir_graph *g = parse_ok(ctx, "graph a { input x: f32[2]\n"
                              "  y = LeakyRelu(x) {i=-3, f=0.1, s=\"q\\\"\", l=[1, 2.5], n=-inf, "
                              "big=9223372036854775807, g=graph sub { input k: i64[] output k }} : f32[2]\n"
                              "  output y }");
  const ir_node *n = &g->nodes[0];
  assert_int_equal(n->nattr, 7);
  assert_int_equal(ir_attr_get(n, "i")->kind, IR_ATTR_INT);
  assert_int_equal(ir_attr_get(n, "i")->i, -3);
  assert_int_equal(ir_attr_get(n, "f")->kind, IR_ATTR_FLOAT);
  assert_true(ir_attr_get(n, "f")->f == 0.1f);
  assert_int_equal(ir_attr_get(n, "s")->n, 2);
  assert_memory_equal(ir_attr_get(n, "s")->s, "q\"", 2);
  assert_int_equal(ir_attr_get(n, "l")->kind, IR_ATTR_FLOATS);
  assert_true(ir_attr_get(n, "l")->floats[1] == 2.5f);
  assert_true(isinf(ir_attr_get(n, "n")->f) && ir_attr_get(n, "n")->f < 0);
  assert_true(ir_attr_get(n, "big")->i == INT64_MAX);
  const ir_graph *sub = ir_attr_get(n, "g")->g;
  assert_string_equal(sub->name, "sub");
  assert_ptr_equal(sub->parent, g);
  assert_int_equal(sub->ninputs, 1);
  ir_graph_free(g);
}

static void test_round_trip_nested(void **state) {
  /* the outer references are values with is_outer set, typed from outside */
  ir_graph *g = parse_ok(kt_kn(state), g_nested);
  const ir_node *loop = &g->nodes[3];
  assert_int_equal(loop->op, IR_OP_Loop);
  ir_graph *body = ir_attr_get(loop, "body")->g;
  assert_string_equal(body->name, "body");
  ir_id v = ir_value_find(body, "graph");
  assert_int_not_equal(v, IR_NONE);
  assert_true(body->values[v].is_outer);
  assert_int_equal(body->values[v].type.rank, IR_RANK_UNKNOWN); /* "graph" had no annotation */
  assert_false(body->values[ir_value_find(body, "acc")].is_outer);
  ir_graph *th = ir_attr_get(&body->nodes[1], "then_branch")->g;
  ir_id u = ir_value_find(th, "_");
  assert_int_not_equal(u, IR_NONE);
  assert_true(th->values[u].is_outer);
  assert_int_equal(th->values[u].type.dtype, KN_F32);
  /* the symbols b and "seq len" are mapped to th's own symbols by name */
  assert_string_equal(ir_sym_name(th, IR_SYM_ID(th->values[u].type.dims[0])), "b");
  assert_string_equal(ir_sym_name(th, IR_SYM_ID(th->values[u].type.dims[1])), "seq len");
  assert_string_equal(ir_sym_name(th, IR_SYM_ID(th->values[u].type.dims[2])), "12");
  ir_graph_free(g);

  /* and the graph round-trips, printing these */
  static const char *const printed[] = {
      "graph \"outer graph\" opset 13 {\n",
      "  input x: f32[b, \"seq len\", \"12\"]\n",
      "  const \"input\": f32[1] = hex\"00000040\"\n",
      "  \"graph\" = Mul(x, \"input\")\n",
      "  \"ends:\" = Identity(\"graph\")\n",
      "  \"_\" = Identity(\"ends:\") : f32[b, \"seq len\", \"12\"]\n",
      "    input acc: f32[b, ?, 12]\n",
      "      deep = Sub(s, \"_\")\n",
      "      inner = If(c) {then_branch=graph {\n        output deep\n      }, else_branch=graph {\n"
      "        z = Neg(x)\n        output z\n      }}\n",
      NULL};
  expect_round_trip(kt_kn(state), g_nested, printed);
}

/* Symbolic dims: named ones share an id, every ? is a fresh anonymous symbol. */
static void test_symbolic_dims(void **state) {
  kn_ctx *ctx = kt_kn(state);
  ir_graph *g = parse_ok(ctx, "graph s { input a: f32[n, ?, ?, n] output a }");
  const ir_type *t = &g->values[0].type;
  assert_int_equal(t->rank, 4);
  assert_true(IR_DIM_IS_SYM(t->dims[0]) && t->dims[0] == t->dims[3]);
  assert_true(IR_DIM_IS_SYM(t->dims[1]) && IR_DIM_IS_SYM(t->dims[2]) && t->dims[1] != t->dims[2]);
  assert_string_equal(ir_sym_name(g, IR_SYM_ID(t->dims[0])), "n");
  assert_null(ir_sym_name(g, IR_SYM_ID(t->dims[1])));
  char buf[64];
  ir_print_type(buf, sizeof buf, g, t);
  assert_string_equal(buf, "f32[n, ?, ?, n]");
  ir_print_type(buf, 6, g, t); /* truncates, stays terminated */
  assert_string_equal(buf, "f32[n");
  ir_type unk = {.dtype = KN_UNDEF, .rank = IR_RANK_UNKNOWN};
  ir_print_type(buf, sizeof buf, g, &unk);
  assert_string_equal(buf, "?");
  ir_type r0 = {.dtype = KN_I64, .rank = 0};
  ir_print_type(buf, sizeof buf, g, &r0);
  assert_string_equal(buf, "i64[]");
  ir_graph_free(g);
}

/* Lexer corners: colons inside and around words, separators, CRLF, comments at
 * the end, columns in messages. */
static void test_lexer_edges(void **state) {
  kn_ctx *ctx = kt_kn(state);
  ir_graph *g = parse_ok(ctx, "graph g {\r\n input x: f32[2]; input \":lead\": f32[2];\r\n"
                              " a::b = Relu(x) :f32[2]; y = Add(a::b, \":lead\") : f32[2] output y } # end");
  char *p = ir_print(g, NULL);
  assert_contains(p, "  input \":lead\": f32[2]\n");
  assert_contains(p, "  a::b = Relu(x) : f32[2]\n");
  assert_contains(p, "  y = Add(a::b, \":lead\") : f32[2]\n");
  free(p);
  ir_graph_free(g);

  ir_graph *bad = NULL;
  assert_int_equal(ir_parse(ctx, "graph g {\n  input x:f32[2] }", "c.kir", &bad), KN_EPARSE);
  assert_contains(kn_errmsg(ctx), "c.kir:2:14: expected ':' after the input name, got '[' (put a space after the colon");
  assert_int_equal(ir_parse(ctx, "graph g {\n\tinput x: f32[2]\n  y = Relu(nope) }", "c.kir", &bad), KN_EPARSE);
  assert_string_equal(kn_errmsg(ctx), "c.kir:3:12: use of undefined value nope");
  assert_int_equal(ir_parse(ctx, NULL, NULL, &bad), KN_EPARSE);
  assert_contains(kn_errmsg(ctx), "<input>:1:1: no graph");
}

/* A graph built with the API (as passes and the importer do) prints, parses
 * back and prints again identically; dead nodes are not printed. */
static void test_api_graph_round_trip(void **state) {
  kn_ctx *ctx = kt_kn(state);
  ir_graph *g = kt_keep(state, ir_graph_new(ctx, "built"));
  g->opset = 17;
  int32_t bsym = ir_sym_get(g, "batch"), anon = ir_sym_get(g, NULL);
  ir_type tx = {.dtype = KN_F32, .rank = 2, .dims = {IR_SYM(bsym), IR_SYM(anon)}};
  ir_id x = ir_value_new(g, "x", &tx);
  assert_int_equal(ir_graph_add_input(g, x), KN_OK);
  kn_tensor t;
  int64_t dims[1] = {3};
  assert_int_equal(kn_tensor_alloc(ctx, &t, KN_F32, 1, dims), KN_OK);
  uint32_t bits[3] = {0x7fc00001u /* NaN with payload */, 0x80000000u /* -0.0 */, 0x00000001u /* denormal */};
  memcpy(t.data, bits, sizeof bits);
  ir_id c = ir_const_new(g, "k", &t);
  ir_id a = ir_value_new(g, NULL, NULL); /* auto name, unknown type */
  ir_id ins[2] = {x, c};
  ir_id nid = ir_node_new(g, IR_OP_Add, NULL, 2, ins, 1, &a);
  assert_int_equal(ir_attr_set_float(g, &g->nodes[nid], "alpha", 0.1f), KN_OK);
  ir_id dead_out = ir_value_new(g, "gone", NULL);
  ir_id dn = ir_node_new(g, IR_OP_Relu, NULL, 1, &x, 1, &dead_out);
  g->nodes[dn].dead = true;
  assert_int_equal(ir_graph_add_output(g, a), KN_OK);

  char *p1 = ir_print(g, NULL);
  assert_non_null(p1);
  assert_contains(p1, "  input x: f32[batch, ?]\n");
  assert_contains(p1, "  const k: f32[3] = hex\"0100c07f0000008001000000\"\n");
  assert_contains(p1, "{alpha=0.1}\n");
  assert_null(strstr(p1, "gone"));
  ir_graph *g2 = kt_keep(state, parse_ok(ctx, p1));
  char *p2 = ir_print(g2, NULL);
  assert_string_equal(p1, p2);
  ir_id c2 = ir_value_find(g2, "k");
  assert_int_not_equal(c2, IR_NONE);
  assert_non_null(g2->values[c2].constant);
  assert_memory_equal(g2->values[c2].constant->data, bits, sizeof bits); /* bit-exact */
  assert_true(g2->nodes[0].attrs[0].f == 0.1f);
  free(p1), free(p2);
}

static void test_hex_bit_exact(void **state) {
  kn_ctx *ctx = kt_kn(state);
  ir_graph *g = parse_ok(ctx, "graph h {\n"
                              "  const raw: f32[3] = hex\"0000803f0000004000004040\"\n"
                              "  const h: f16[2] = hex\"003C00FC\"\n"
                              "  const d: f64[1] = hex\"182d4454fb210940\"\n"
                              "  output raw, h, d }");
  const float *f = g->values[0].constant->data;
  assert_true(f[0] == 1.0f && f[1] == 2.0f && f[2] == 3.0f);
  const uint16_t *h = g->values[1].constant->data;
  assert_int_equal(h[0], 0x3c00);
  assert_int_equal(h[1], 0xfc00);
  const double *d = g->values[2].constant->data;
  assert_true(*d == 3.141592653589793);
  char *p = ir_print(g, NULL);
  assert_contains(p, "hex\"0000803f0000004000004040\"");
  assert_contains(p, "hex\"003c00fc\"");
  assert_contains(p, "hex\"182d4454fb210940\"");
  free(p);
  ir_graph_free(g);
  /* decimal literals convert with round-to-nearest-even */
  g = parse_ok(ctx, "graph h { const a: f32[2] = [0.1, 16777217] const b: f16[1] = [65504] output a, b }");
  f = g->values[0].constant->data;
  assert_true(f[0] == 0.1f && f[1] == 16777216.0f);
  assert_int_equal(((uint16_t *)g->values[1].constant->data)[0], 0x7bff);
  ir_graph_free(g);
}

static void test_elided_constants(void **state) {
  kn_ctx *ctx = kt_kn(state);
  ir_graph *g = parse_ok(ctx, "graph e { const w: f32[4] = ones const s: i64[2] = [1, 2] output w, s }");
  ir_print_opts o = {.max_const_elems = 2};
  char *p = ir_print(g, &o);
  assert_contains(p, "  const w: f32[4] = elided\n");
  assert_contains(p, "  const s: i64[2] = [1, 2]\n");
  ir_graph *g2 = NULL;
  assert_int_equal(ir_parse(ctx, p, "e.kir", &g2), KN_EPARSE);
  assert_null(g2);
  assert_contains(kn_errmsg(ctx), "e.kir:2:");
  assert_contains(kn_errmsg(ctx), "constant w was printed without data");
  free(p);
  o.max_const_elems = -1;
  p = ir_print(g, &o);
  assert_contains(p, "  const w: f32[4] = hex\"0000803f0000803f0000803f0000803f\"\n");
  free(p);
  ir_graph_free(g);
}

/* ---- seeded initializers ---- */
static void test_seeded_init(void **state) {
  kn_ctx *ctx = kt_kn(state);
  /* splitmix64, state 1: the first output, by hand from the three steps in docs/ir.md */
  ir_rng r = {1};
  assert_true(ir_rng_next(&r) == 0x910a2dec89025cc1ull);
  assert_true(r.state == 1 + 0x9E3779B97F4A7C15ull);
  /* normal(seed=1): u1 = ((0x910a2dec89025cc1 >> 11) + 1) * 2^-53, u2 from 0xbeeb8da1658eec67;
   * z0 = sqrt(-2 ln u1) cos(2 pi u2) = -0.0282497..., z1 = ... sin(...) = -1.0656177... */
  ir_graph *g = parse_ok(ctx, "graph r {\n"
                              "  const n: f32[5] = normal(seed=1, std=1)\n"
                              "  const m: f32[2] = normal(mean=0, std=0.02, seed=1)\n"
                              "  const u: f32[3] = uniform(seed=3, low=-1, high=1)\n"
                              "  const d: f64[2] = normal(seed=1)\n"
                              "  output n, m, u, d }");
  const float *n = g->values[0].constant->data;
  uint32_t bits[5];
  memcpy(bits, n, sizeof bits);
  assert_int_equal(bits[0], 0xbce76c03u); /* -0.0282497462 */
  assert_int_equal(bits[1], 0xbf886629u); /* -1.06561768 */
  assert_true(fabsf(n[2] - -0.227919519f) < 1e-8f);
  assert_true(fabsf(n[3] - 0.0830941722f) < 1e-8f);
  assert_true(fabsf(n[4] - 0.103090949f) < 1e-8f);
  const float *m = g->values[1].constant->data;
  assert_true(fabsf(m[0] - -0.000564994931f) < 1e-10f);
  assert_true(fabsf(m[1] - -0.0213123523f) < 1e-9f);
  const float *u = g->values[2].constant->data;
  assert_true(fabsf(u[0] - -0.773099303f) < 1e-8f);
  assert_true(fabsf(u[1] - 0.400587022f) < 1e-8f);
  assert_true(fabsf(u[2] - 0.225949362f) < 1e-8f);
  const double *d = g->values[3].constant->data;
  /* u1 = 0.566561575172281, u2 = 0.7457817572627011 (quadrant 2 of the circle) */
  assert_true(fabs(d[0] - -0.028249746095854945) < 1e-15 && fabs(d[1] - -1.065617648414326) < 1e-15);
  assert_true((float)d[0] == n[0] && (float)d[1] == n[1]);
  ir_graph_free(g);

  /* the portable log/sin/cos agree with libm to a few ulp */
  for (int i = 1; i <= 1000; i++) {
    double x = i / 1000.0, s, c;
    assert_true(fabs(ir_det_log(x) - log(x)) <= 4e-16 * (fabs(log(x)) + 1));
    ir_det_sincos_turns(x - floor(x), &s, &c);
    assert_true(fabs(s - sin(2 * M_PI * x)) < 4e-15 && fabs(c - cos(2 * M_PI * x)) < 4e-15);
  }

  /* statistics of a larger draw; same seed twice gives the same bytes */
  kn_tensor a, b;
  int64_t dims[1] = {200001};
  assert_int_equal(kn_tensor_alloc(ctx, &a, KN_F32, 1, dims), KN_OK);
  assert_int_equal(kn_tensor_alloc(ctx, &b, KN_F32, 1, dims), KN_OK);
  assert_int_equal(ir_init_normal(ctx, &a, 42, 1.0, 2.0), KN_OK);
  assert_int_equal(ir_init_normal(ctx, &b, 42, 1.0, 2.0), KN_OK);
  assert_memory_equal(a.data, b.data, (size_t)a.nbytes);
  double sum = 0, sq = 0;
  for (int64_t i = 0; i < dims[0]; i++) {
    double v = ((float *)a.data)[i];
    sum += v;
    sq += v * v;
  }
  double mean = sum / dims[0], sd = sqrt(sq / dims[0] - mean * mean);
  assert_true(fabs(mean - 1.0) < 0.02 && fabs(sd - 2.0) < 0.02);
  assert_int_equal(ir_init_uniform(ctx, &b, 7, -3.0, 5.0), KN_OK);
  float lo = 1e9f, hi = -1e9f;
  for (int64_t i = 0; i < dims[0]; i++) {
    float v = ((float *)b.data)[i];
    lo = v < lo ? v : lo;
    hi = v > hi ? v : hi;
  }
  assert_true(lo >= -3.0f && hi <= 5.0f && lo < -2.99f && hi > 4.99f);
  kn_tensor_free(&a);
  kn_tensor_free(&b);
}

/* ---- errors ---- */
typedef struct bad_case {
  const char *text;
  kn_status st;
  int line;
  const char *msg; /* substring of the message */
} bad_case;

static const bad_case bad_cases[] = {
    {"", KN_EPARSE, 1, "no graph"},
    {"graph g {\n input x: f32[2]\n", KN_EPARSE, 3, "missing '}'"},
    {"graph g {\n input x: f32[2", KN_EPARSE, 2, "expected"},
    {"graph g {\n input x: f32[-1] }", KN_ESHAPE, 2, "negative dim"},
    {"graph g {\n const w: f32[99999999999,99999999999] = zeros }", KN_ESHAPE, 2, "64 bits"},
    {"graph g {\n input w: f32[99999999999,99999999999,99999999999] }", KN_ESHAPE, 2, "64 bits"},
    {"graph g {\n const w: f32[3000000000,3000000000] = zeros }", KN_ESHAPE, 2, "w: tensor of"},
    {"graph g {\n const w: f32[100000,100000] = zeros }", KN_ELIMIT, 2, "memory limit"},
    {"graph g {\n\n input x: f32[1,1,1,1,1,1,1,1,1] }", KN_ESHAPE, 3, "more than 8 dims"},
    {"graph g {\n input x: f32[99999999999999999999] }", KN_EPARSE, 2, "out of range"},
    {"graph g {\n input x: f33[2] }", KN_EPARSE, 2, "unknown dtype"},
    {"graph g {\n input x: f32[2]\n y = Frobnicate(x)\n output y }", KN_EPARSE, 3, "unknown op 'Frobnicate'"},
    {"graph g {\n input x: f32[2]\n y = Relu(nope)\n output y }", KN_EPARSE, 3, "use of undefined value nope"},
    {"graph g {\n input x: f32[2]\n output nope }", KN_EPARSE, 3, "use of undefined value nope"},
    {"graph g {\n input x: f32[2]\n y = If(x) {then_branch=graph { output nowhere }}\n output y }", KN_EPARSE,
     3, "use of undefined value nowhere"},
    {"graph g {\n input x: f32[2]\n y = Relu(x) {s=\"abc}\n output y }", KN_EPARSE, 3, "unterminated string"},
    {"graph g {\n input \"x: f32[2] }", KN_EPARSE, 2, "unterminated string"},
    {"graph g {\n input x: f32[2]\n y = Relu(x) {s=\"a\\q\"} }", KN_EPARSE, 3, "unknown escape"},
    {"graph g {\n input x: f32[2]\n y = Relu(x) {s=\"a\\x4\"} }", KN_EPARSE, 3, "\\x escape"},
    {"graph g {\n const b: f32[3] = [1, 2] }", KN_ESHAPE, 2, "has 2 values but f32[3] needs 3"},
    {"graph g {\n const b: f32[1] = [1, 2] }", KN_ESHAPE, 2, "too many values"},
    {"graph g {\n const b: f32[2] = hex\"0000803f\" }", KN_ESHAPE, 2, "needs 8 bytes"},
    {"graph g {\n const b: f32[1] = hex\"0000803g\" }", KN_EPARSE, 2, "bad hex digit"},
    {"graph g {\n const b: i8[1] = [300] }", KN_EPARSE, 2, "out of range for i8"},
    {"graph g {\n const b: u32[1] = [-1] }", KN_EPARSE, 2, "out of range for u32"},
    {"graph g {\n const b: i32[1] = [1.5] }", KN_EPARSE, 2, "expected an integer"},
    {"graph g {\n const b: f32[1] = [1e99] }", KN_EPARSE, 2, "out of range"},
    {"graph g {\n const b: f32[n] = zeros }", KN_EPARSE, 2, "must be numbers"},
    {"graph g {\n const b: i32[2] = normal(seed=1) }", KN_ETYPE, 2, "float dtype"},
    {"graph g {\n const b: f32[2] = normal(seed=1, seed=2) }", KN_EPARSE, 2, "given twice"},
    {"graph g {\n const b: f32[2] = normal(seed=-1) }", KN_EPARSE, 2, "unsigned"},
    {"graph g {\n const b: f32[2] = uniform(sigma=1) }", KN_EPARSE, 2, "expected seed"},
    {"graph g {\n const b: f32[2] = elided }", KN_EPARSE, 2, "constant b was printed without data"},
    {"graph g {\n input x: f32[2]\n input x: f32[2] }", KN_EPARSE, 3, "already defined"},
    {"graph g {\n input x: f32[2]\n y = Relu(x) {a=1, a=2} }", KN_EPARSE, 3, "given twice"},
    {"graph g {\n input x: f32[2]\n y = Relu(x) {a=[]} }", KN_EPARSE, 3, "empty list"},
    {"graph g {\n input x: f32[2]\n y = Relu(x) {a=[1, \"s\"]} }", KN_EPARSE, 3, "mix"},
    {"graph g {\n input x: f32[2]\n y = Relu(x, x) }", KN_EPARSE, 3, "at most 1"},
    {"graph g {\n input x: f32[2]\n y = Gemm(x) }", KN_EPARSE, 3, "at least 2"},
    {"graph g {\n input x: f32[2]\n y, z = Relu(x) }", KN_EPARSE, 3, "outputs"},
    {"graph g {\n input x: f32[2]\n y = Relu(x) : f32[2], f32[2] }", KN_EPARSE, 3, "expected"},
    {"graph g {\n input x: f32[2]\n y = Relu(x) : f32 }", KN_EPARSE, 3, "expected '['"},
    {"graph g {\n input x: f32[2]\n tensor = Relu(x) }", KN_EPARSE, 3, "unexpected keyword"},
    {"graph g {\n input x: f32[2]\n y = Relu(x) @ }", KN_EPARSE, 3, "unexpected character '@'"},
    {"graph g {\n input x: f32[2]\n y = Relu(x) {t=tensor f32[2] = [1]} }", KN_ESHAPE, 3, "needs 2"},
    {"graph g {\n input x: f32[2]\n y = Relu(x) {g=graph { output q }} }", KN_EPARSE, 3, "undefined value q"},
    {"graph g opset 0 { }", KN_EPARSE, 1, "opset 0"},
    {"graph g { }\ngraph h { }", KN_EPARSE, 2, "only one graph"},
    {"graph g { }\nnonsense", KN_EPARSE, 2, "expected 'graph'"},
    {"graph g {\n input x: f32[2]\n y = Relu(x\n", KN_EPARSE, 4, "expected"},
    {"graph g {\n input x: f32[2]\n y = Identity(z)\n z = Identity(x) }", KN_EPARSE, 3, "undefined value z"},
    {"graph g {\n input x: f32[2]\n y = If(x) {g=graph { a = Identity(x) x = Neg(a) output x }} }", KN_EPARSE, 3,
     "defined after a use"},
    {"graph g {\n input \"a\\x00b\": f32[2] }", KN_EPARSE, 2, "NUL"},
    {"graph g {\n input x: ?[*] input y: str[2] const z: str[1] = zeros }", KN_EUNSUPPORTED, 2, "str"},
};

static void test_malformed(void **state) {
  kn_ctx *ctx = kt_kn(state);
  for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
    const bad_case *c = &bad_cases[i];
    ir_graph *g = (ir_graph *)1;
    kn_status st = ir_parse(ctx, c->text, "bad.kir", &g);
    char where[32];
    snprintf(where, sizeof where, "bad.kir:%d:", c->line);
    if (st != c->st || g != NULL || !strstr(kn_errmsg(ctx), where) || !strstr(kn_errmsg(ctx), c->msg))
      fail_msg("case %zu: status %s (want %s), message [%s], want [%s] and [%s]\n%s", i, kn_status_name(st),
               kn_status_name(c->st), kn_errmsg(ctx), where, c->msg, c->text);
  }
}

static void test_memory_limit(void **state) {
  kn_ctx *ctx = kt_kn(state);
  kn_set_mem_limit(ctx, 1000);
  ir_graph *g = NULL;
  assert_int_equal(ir_parse(ctx, "graph m {\n\n const w: f32[1000] = zeros }", "m.kir", &g), KN_ELIMIT);
  assert_null(g);
  assert_contains(kn_errmsg(ctx), "m.kir:3:");
  assert_contains(kn_errmsg(ctx), "memory limit");
  assert_int_equal(ir_parse(ctx, "graph m { const w: f32[250] = zeros output w }", "m.kir", &g), KN_OK);
  ir_graph_free(g);
  kn_set_mem_limit(ctx, (uint64_t)8 << 30);
}

static char *nested_text(int depth) {
  size_t cap = (size_t)depth * 128 + 256;
  char *s = malloc(cap), *p = s;
  p += sprintf(p, "graph top {\n input c: bool[]\n input x: f32[2]\n");
  for (int i = 1; i < depth; i++) p += sprintf(p, "%*sy%d = If(c) {then_branch=graph {\n", i, "", i);
  p += sprintf(p, "%*sz = Neg(x) output z\n", depth, "");
  for (int i = depth - 1; i >= 1; i--) p += sprintf(p, "%*s}} output y%d\n", i, "", i);
  p += sprintf(p, "}\n");
  return s;
}

static void test_nesting_depth(void **state) {
  kn_ctx *ctx = kt_kn(state);
  char *ok = nested_text(32); /* the top graph and 31 nested ones */
  char *p = round_trip(ctx, ok);
  free(p);
  free(ok);
  char *deep = nested_text(40);
  ir_graph *g = NULL;
  assert_int_equal(ir_parse(ctx, deep, "deep.kir", &g), KN_ELIMIT);
  assert_null(g);
  assert_contains(kn_errmsg(ctx), "deep.kir:35:"); /* the 33rd `graph` keyword */
  assert_contains(kn_errmsg(ctx), "nested deeper than 32");
  free(deep);
  /* a pathological nesting of braces never recurses */
  size_t n = 100000;
  char *br = malloc(n + 32);
  strcpy(br, "graph g { x = Relu(");
  memset(br + strlen(br), '(', n);
  br[n + 19] = 0;
  assert_int_equal(ir_parse(ctx, br, "br.kir", &g), KN_EPARSE);
  free(br);
}

/* The authoring layer (params, configs, expressions, macros, loops) in one
 * text, for the mutation loop; test_ir_text_macros.c tests it in detail. */
static const char *const g_macro_features =
    "param width = 4\n"
    "param layers = 3\n"
    "param eps = 1e-5\n"
    "config tiny { width = 2, layers = $(1 + 1) }\n"
    "macro lin(x, $out, std=0.1) {\n"
    "  const w: f32[$width, $out] = normal(std=$std)\n"
    "  const b: f32[$out] = uniform(seed=$(out * 3), low=-1, high=1)\n"
    "  mm = MatMul(x, w)\n"
    "  y = Add(mm, b)\n"
    "  return y\n"
    "}\n"
    "macro block(x, c, layer=0) {\n"
    "  h = lin(x, out=$width, std=$(0.5 / (layer + 1)))\n"
    "  n = LayerNormalization(h, _, _) {axis=-1, epsilon=$eps, k=[$layer, $(layer % 2)], t=tensor f32[2] = normal()}\n"
    "  r = If(c) {then_branch=graph { q = Add(n, h) output q }, else_branch=graph { output x }}\n"
    "  return r, h\n"
    "}\n"
    "graph m opset 17 {\n"
    "  input x: f32[1, $width]\n"
    "  input c: bool[]\n"
    "  for layer in 0 .. $layers {\n"
    "    x, last = block(x, c, layer=$layer)\n"
    "    for j in 0 .. $(layer < 1) { x = lin(x, out=$width) }\n"
    "  }\n"
    "  out = lin(x, out=$(width * 2))\n"
    "  output out, x\n"
    "}\n";

/* Mutations of a valid text must never crash, leak or succeed with a bad graph:
 * each either parses (and then round-trips as flat text) or fails with a
 * located message. The macro text is parsed with a small expansion cap, as a
 * mutated loop bound can be huge. */
static void mutate(kn_ctx *ctx, const char *text, const ir_parse_opts *opts, const char *alphabet, int iters) {
  size_t n = strlen(text), fails = 0, oks = 0, alen = strlen(alphabet);
  char *buf = malloc(n + 64);
  uint64_t seed = 12345;
  for (int it = 0; it < iters; it++) {
    memcpy(buf, text, n + 1);
    int edits = 1 + it % 4;
    size_t len = n;
    for (int e = 0; e < edits; e++) {
      seed = seed * 6364136223846793005ull + 1442695040888963407ull;
      size_t pos = (size_t)(seed >> 33) % len;
      int kind = (int)((seed >> 20) % 4);
      char ch = alphabet[(seed >> 8) % alen];
      if (kind == 0) buf[pos] = ch;                                     /* replace */
      else if (kind == 1) memmove(buf + pos, buf + pos + 1, len - pos), len--; /* delete */
      else if (kind == 2) buf[pos] = 0, len = pos;                      /* truncate */
      else {                                                            /* insert */
        memmove(buf + pos + 1, buf + pos, len - pos + 1);
        buf[pos] = ch;
        len++;
      }
      if (len == 0) break;
    }
    ir_graph *g = NULL;
    kn_status st = ir_parse_ex(ctx, buf, "mut.kir", opts, &g);
    if (st == KN_OK) {
      oks++;
      char *p1 = ir_print(g, NULL);
      ir_graph *g2 = NULL;
      if (ir_parse(ctx, p1, "mut2.kir", &g2) != KN_OK) fail_msg("mutant printed unparseable text: %s", kn_errmsg(ctx));
      char *p2 = ir_print(g2, NULL);
      assert_string_equal(p1, p2);
      free(p1);
      free(p2);
      ir_graph_free(g2);
      ir_graph_free(g);
    } else {
      fails++;
      assert_null(g);
      if (strncmp(kn_errmsg(ctx), "mut.kir:", 8) != 0) fail_msg("unlocated error: %s", kn_errmsg(ctx));
    }
  }
  assert_true(fails > 0 && oks > 0);
  free(buf);
}

static void test_mutations(void **state) {
  kn_ctx *ctx = kt_kn(state);
  mutate(ctx, g_features, NULL, "{}()[],=:?*;\"\\#_ax0-9.e\n ", 3000);
  free(round_trip(ctx, g_macro_features)); /* the unmutated text is valid */
  ir_parse_opts o = {.max_expand = 2000};
  mutate(ctx, g_macro_features, &o, "{}()[],=:?*;\"\\#_ax0-9.e\n $/%<+.", 3000);
  o.config = "tiny";
  mutate(ctx, g_macro_features, &o, "{}()[],=$_ax029.\n ", 1000);
}

KT_MAIN(
    KT_TEST(test_round_trip_features),
    KT_TEST(test_round_trip_attribute_values),
    KT_TEST(test_round_trip_nested),
    KT_TEST(test_symbolic_dims),
    KT_TEST(test_lexer_edges),
    KT_TEST(test_api_graph_round_trip),
    KT_TEST(test_hex_bit_exact),
    KT_TEST(test_elided_constants),
    KT_TEST(test_seeded_init),
    KT_TEST(test_malformed),
    KT_TEST(test_memory_limit),
    KT_TEST(test_nesting_depth),
    KT_TEST(test_mutations))
