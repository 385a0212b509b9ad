/* test_ir_text_macros.c: the authoring layer of the IR text form (docs/ir.md,
 * "Parameters and configs" to "Limits"): params, configs and defines; `$`
 * expressions (precedence, integer/float rules, located errors); macros
 * (nesting, several returns, arity and recursion errors, hygiene, renaming of
 * returned values); for loops (rebinding, zero iterations, nesting, scoping);
 * seeds derived from names; the flat print of an expanded graph parsing back
 * to the same text; and hostile files (huge loop counts, exponential macro
 * call trees, huge dims) that must fail cleanly and quickly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ir_text.h"
#include "ir.h"
#include "unit.h"
#include "text_lex.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ---- */
static ir_graph *parse_opts(kn_ctx *ctx, const char *text, const ir_parse_opts *o) {
  ir_graph *g = NULL;
  if (ir_parse_ex(ctx, text, "t.kir", o, &g) != KN_OK) fail_msg("parse failed: %s\n%s", kn_errmsg(ctx), text);
  assert_non_null(g);
  return g;
}
static ir_graph *parse_ok(kn_ctx *ctx, const char *text) { return parse_opts(ctx, text, NULL); }

/* Parses, expecting status st and a message containing each of msg1, msg2. */
static void parse_bad(kn_ctx *ctx, const char *text, const ir_parse_opts *o, kn_status st, const char *msg1,
                      const char *msg2) {
  ir_graph *g = (ir_graph *)1;
  kn_status got = ir_parse_ex(ctx, text, "t.kir", o, &g);
  if (got != st || g != NULL || !strstr(kn_errmsg(ctx), msg1) || (msg2 && !strstr(kn_errmsg(ctx), msg2)))
    fail_msg("status %s (want %s), message [%s], want [%s] [%s]\n%s", kn_status_name(got), kn_status_name(st),
             kn_errmsg(ctx), msg1, msg2 ? msg2 : "", text);
}

static ir_id find(const ir_graph *g, const char *name) {
  ir_id v = ir_value_find(g, name);
  if (v == IR_NONE) fail_msg("no value %s", name);
  return v;
}

static const ir_node *producer(const ir_graph *g, const char *name) {
  ir_id v = find(g, name);
  assert_true(g->values[v].producer != IR_NONE);
  return &g->nodes[g->values[v].producer];
}

/* The value of $( expr ) (given params as a prefix) through a constant of
 * dtype i64 or f64. */
typedef union value {
  int64_t i;
  double f;
} value;
static value eval(kn_ctx *ctx, const char *params, const char *dtype, const char *expr) {
  char text[1024];
  snprintf(text, sizeof text, "%s\ngraph g {\n const c: %s[] = [$(%s)]\n output c }", params, dtype, expr);
  ir_graph *g = parse_ok(ctx, text);
  value v;
  memcpy(&v, g->values[find(g, "c")].constant->data, sizeof v);
  ir_graph_free(g);
  return v;
}
static int64_t eval_int(kn_ctx *ctx, const char *params, const char *expr) { return eval(ctx, params, "i64", expr).i; }
static double eval_f64(kn_ctx *ctx, const char *params, const char *expr) { return eval(ctx, params, "f64", expr).f; }

/* ---- params, configs, defines ---- */
static const char *const g_params =
    "param image = 224\n"
    "param patch = 32\n"
    "param grid = $(image / patch)\n"
    "param width = 768\n"
    "param eps = 1e-5\n"
    "config tiny { image = 64, patch = 16, width = 64 }\n"
    "config odd { width = $(grid * 2) }\n"
    "graph g {\n"
    "  input x: f32[1, $grid, $grid, $width]\n"
    "  y = LayerNormalization(x, _, _) {axis=-1, epsilon=$eps, kernel=[$patch, $(patch * 2)]}\n"
    "  output y\n"
    "}\n";

static void check_dims(const ir_graph *g, int64_t grid, int64_t width) {
  const ir_type *t = &g->values[find(g, "x")].type;
  assert_int_equal(t->rank, 4);
  assert_int_equal(t->dims[1], grid);
  assert_int_equal(t->dims[2], grid);
  assert_int_equal(t->dims[3], width);
}

static void test_params_configs_defines(void **state) {
  kn_ctx *ctx = kt_kn(state);
  ir_graph *g = parse_ok(ctx, g_params);
  check_dims(g, 7, 768);
  const ir_node *ln = producer(g, "y");
  assert_true(ir_attr_float(ln, "epsilon", 0) == 1e-5f);
  const ir_attr *k = ir_attr_get(ln, "kernel");
  assert_int_equal(k->kind, IR_ATTR_INTS);
  assert_int_equal(k->ints[0], 32);
  assert_int_equal(k->ints[1], 64);
  ir_graph_free(g);

  ir_parse_opts o = {.config = "tiny"};
  g = parse_opts(ctx, g_params, &o);
  check_dims(g, 4, 64); /* grid follows the config's image and patch */
  ir_graph_free(g);

  /* a config value is evaluated in its param's place: it sees grid's final value */
  o.config = "odd";
  g = parse_opts(ctx, g_params, &o);
  check_dims(g, 7, 14);
  ir_graph_free(g);

  /* defines come after the config; the value is an expression over params */
  const char *defs[] = {"patch=8", "width=image*2"};
  o = (ir_parse_opts){.config = "tiny", .defines = defs, .ndefines = 2};
  g = parse_opts(ctx, g_params, &o);
  check_dims(g, 8, 128);
  ir_graph_free(g);

  /* errors: from the caller (KN_EINVAL) and in the file (located) */
  o = (ir_parse_opts){.config = "huge"};
  parse_bad(ctx, g_params, &o, KN_EINVAL, "t.kir: unknown config 'huge'", "the file has: tiny, odd");
  const char *bad1[] = {"depth=3"};
  o = (ir_parse_opts){.defines = bad1, .ndefines = 1};
  parse_bad(ctx, g_params, &o, KN_EINVAL, "declares no param depth", NULL);
  const char *bad2[] = {"width"};
  o = (ir_parse_opts){.defines = bad2, .ndefines = 1};
  parse_bad(ctx, g_params, &o, KN_EINVAL, "NAME=VALUE", NULL);
  const char *bad3[] = {"width=nope*2"};
  o = (ir_parse_opts){.defines = bad3, .ndefines = 1};
  parse_bad(ctx, g_params, &o, KN_EPARSE, "define width=nope*2: undefined parameter $nope", NULL);
  o = (ir_parse_opts){.config = "tiny"};
  parse_bad(ctx, "graph g { }", &o, KN_EINVAL, "the file has no configs", NULL);
  parse_bad(ctx, "param a = 1\nconfig c { a = 2, b = 3 }\ngraph g { }", NULL, KN_EPARSE, "t.kir:2:19:",
            "not a declared param");
  parse_bad(ctx, "param a = $b\nparam b = 1\ngraph g { }", NULL, KN_EPARSE, "t.kir:1:11: undefined parameter $b",
            NULL);
  parse_bad(ctx, "param a = 1\nparam a = 2\ngraph g { }", NULL, KN_EPARSE, "t.kir:2:7:", "declared twice");
  parse_bad(ctx, "config c { }\nconfig c { }\ngraph g { }", NULL, KN_EPARSE, "t.kir:2:8:", "declared twice");
  parse_bad(ctx, "param a = 1\nconfig c { a = 1, a = 2 }\ngraph g { }", NULL, KN_EPARSE, "t.kir:2:19:", "twice");
  parse_bad(ctx, "graph g { }\nparam a = 1", NULL, KN_EPARSE, "t.kir:2:1:", "before the graph");
  parse_bad(ctx, "param 2a = 1\ngraph g { }", NULL, KN_EPARSE, "t.kir:1:7:", "param name");
  parse_bad(ctx, "param a = x\ngraph g { }", NULL, KN_EPARSE, "t.kir:1:11:", "expected a number");
  /* an integer is needed for a dim; a float param is an error there */
  parse_bad(ctx, "param a = 1.5\ngraph g {\n input x: f32[$a]\n output x }", NULL, KN_EPARSE, "t.kir:3:15:",
            "expected an integer");
  parse_bad(ctx, "param a = -2\ngraph g {\n input x: f32[$a]\n output x }", NULL, KN_ESHAPE, "t.kir:3:15:",
            "negative dim");
}

/* ---- expressions ---- */
static void test_expressions(void **state) {
  kn_ctx *ctx = kt_kn(state);
  const char *none = "";
  assert_int_equal(eval_int(ctx, none, "1 + 2 * 3"), 7);
  assert_int_equal(eval_int(ctx, none, "(1 + 2) * 3"), 9);
  assert_int_equal(eval_int(ctx, none, "10 - 2 - 3"), 5);
  assert_int_equal(eval_int(ctx, none, "2 * 3 % 4"), 2);
  assert_int_equal(eval_int(ctx, none, "7 / 2"), 3);
  assert_int_equal(eval_int(ctx, none, "-7 / 2"), -3); /* truncates toward zero, as in C */
  assert_int_equal(eval_int(ctx, none, "-7 % 3"), -1);
  assert_int_equal(eval_int(ctx, none, "- -3"), 3);
  assert_int_equal(eval_int(ctx, none, "min(3, 1, 2) + max(2, 5)"), 6);
  assert_int_equal(eval_int(ctx, none, "int(7.9) + int(-7.9)"), 0);
  assert_int_equal(eval_int(ctx, none, "1 < 2"), 1);
  assert_int_equal(eval_int(ctx, none, "2 <= 1"), 0);
  assert_int_equal(eval_int(ctx, none, "3 == 1 + 2"), 1);
  assert_int_equal(eval_int(ctx, none, "3 != 3"), 0);
  assert_int_equal(eval_int(ctx, none, "9223372036854775807"), INT64_MAX);
  assert_int_equal(eval_int(ctx, none, "pick(2, 2, 2, 6, 2) * pow(2, 10) + abs(-3)"), 6 * 1024 + 3);
  assert_int_equal(eval_int(ctx, none, "pow(-1, 1000000000000) + pow(0, 0) + pow(-1, 3) + pow(1, 99999999999)"), 2);
  const char *vit = "param image = 224\nparam patch = 32";
  assert_int_equal(eval_int(ctx, vit, "image / patch * (image / patch) + 1"), 50);
  assert_int_equal(eval_int(ctx, vit, "$image/$patch"), 7); /* `$` is optional inside, no spaces needed */
  assert_true(eval_f64(ctx, "param w = 64", "1 / sqrt(w)") == 0.125);
  assert_true(eval_f64(ctx, none, "1 / 2.0") == 0.5);
  assert_true(eval_f64(ctx, none, "7 / 2") == 3.0);
  assert_true(eval_f64(ctx, none, "float(7) / 2") == 3.5);
  assert_true(eval_f64(ctx, none, "2.5e-1 * 4") == 1.0);
  assert_true(eval_f64(ctx, none, "min(1, 0.5)") == 0.5);
  /* multi-line expression, and an expression as a seed */
  ir_graph *g = parse_ok(ctx, "graph g {\n const c: i64[2] = [$(1 +\n 2), $(3)]\n"
                              " const n: f32[4] = normal(seed=$(0 + 1))\n const m: f32[4] = normal(seed=1)\n"
                              " output c, n, m }");
  assert_int_equal(((int64_t *)g->values[find(g, "c")].constant->data)[0], 3);
  assert_memory_equal(g->values[find(g, "n")].constant->data, g->values[find(g, "m")].constant->data, 16);
  ir_graph_free(g);

  /* located errors: file:line:col of the offending part */
  parse_bad(ctx, "graph g {\n const c: i64[] = [$(4 / (2 - 2))]\n output c }", NULL, KN_EPARSE,
            "t.kir:2:24: division by zero", NULL);
  parse_bad(ctx, "graph g {\n const c: i64[] = [$(4 % 0)]\n output c }", NULL, KN_EPARSE, "t.kir:2:24:",
            "division by zero");
  parse_bad(ctx, "graph g {\n const c: f32[] = [$(1.0 / 0)]\n output c }", NULL, KN_EPARSE, "division by zero",
            NULL);
  parse_bad(ctx, "param a = 2\ngraph g {\n input x: f32[$(a +\n  nope)]\n output x }", NULL, KN_EPARSE,
            "t.kir:4:3: undefined parameter $nope", NULL);
  parse_bad(ctx, "graph g {\n input x: f32[$nope]\n output x }", NULL, KN_EPARSE,
            "t.kir:2:15: undefined parameter $nope", NULL);
  parse_bad(ctx, "graph g {\n const c: i64[] = [$(9223372036854775807 + 1)]\n output c }", NULL, KN_EPARSE,
            "t.kir:2:42: integer overflow", NULL);
  parse_bad(ctx, "graph g {\n const c: i64[] = [$(99999999999999999999)]\n output c }", NULL, KN_EPARSE,
            "out of range", NULL);
  parse_bad(ctx, "graph g {\n const c: i64[] = [$(1.5 % 2)]\n output c }", NULL, KN_EPARSE, "needs integers", NULL);
  parse_bad(ctx, "graph g {\n const c: i64[] = [$(1 < 2 < 3)]\n output c }", NULL, KN_EPARSE, "unexpected '<'",
            NULL);
  parse_bad(ctx, "graph g {\n const c: i64[] = [$(frob(1))]\n output c }", NULL, KN_EPARSE, "unknown function",
            NULL);
  parse_bad(ctx, "graph g {\n const c: i64[] = [$(sqrt(1, 2))]\n output c }", NULL, KN_EPARSE, "one argument",
            NULL);
  parse_bad(ctx, "graph g {\n const c: i64[] = [$(pick(4, 1, 2, 3))]\n output c }", NULL, KN_EPARSE,
            "from 0 to 2", NULL);
  parse_bad(ctx, "graph g {\n const c: i64[] = [$(pow(3, 99))]\n output c }", NULL, KN_EPARSE, "overflow", NULL);
  parse_bad(ctx, "graph g {\n const c: f32[] = [$(pow(2.0, 2))]\n output c }", NULL, KN_EPARSE, "two integers",
            NULL);
  parse_bad(ctx, "graph g {\n const c: i64[] = [$(1.5)]\n output c }", NULL, KN_EPARSE, "expected an integer", NULL);
  parse_bad(ctx, "graph g {\n const c: i64[] = [$(2 3)]\n output c }", NULL, KN_EPARSE, "t.kir:2:24:", "unexpected");
  parse_bad(ctx, "graph g {\n const c: i64[] = [$(1 + ]\n output c }", NULL, KN_EPARSE, "t.kir:2:20:",
            "unterminated $(");
  parse_bad(ctx, "graph g {\n const c: i64[] = [$ 1]\n output c }", NULL, KN_EPARSE, "t.kir:2:20:", "after '$'");
  parse_bad(ctx, "graph g {\n const c: f32[] = [$(1e300 * 1e300)]\n output c }", NULL, KN_EPARSE, "not a finite",
            NULL);
  parse_bad(ctx, "graph g {\n const c: f32[] = [$(1e300)]\n output c }", NULL, KN_EPARSE, "out of range for a float",
            NULL);
  char deep[400];
  snprintf(deep, sizeof deep, "graph g {\n const c: i64[] = [$(%s1%s)]\n output c }",
           "((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((",
           "))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))");
  parse_bad(ctx, deep, NULL, KN_ELIMIT, "nests too deeply", NULL);
}

/* ---- macros ---- */
static const char *const g_macros =
    "param width = 4\n"
    "macro linear(x, $out, std=0.5) {\n"
    "  const w: f32[$width, $out] = normal(std=$std)\n"
    "  mm = MatMul(x, w)\n"
    "  return mm\n"
    "}\n"
    "macro pair(x, y) {\n"
    "  a = linear(x, out=$width)\n"
    "  b = linear(y, out=$width, std=0.1)\n"
    "  s = Add(a, b)\n"
    "  return s, a, x\n"
    "}\n"
    "graph g {\n"
    "  input x: f32[1, $width]\n"
    "  input y: f32[1, $width]\n"
    "  s, a, back = pair(x, y)\n"
    "  _, a2, _ = pair(y, x)\n"
    "  t = Add(s, back)\n"
    "  output t, a, a2\n"
    "}\n";

static void test_macros(void **state) {
  kn_ctx *ctx = kt_kn(state);
  ir_graph *g = parse_ok(ctx, g_macros);
  assert_int_equal(ir_graph_live_nodes(g), 1 + 2 * 3); /* t, and MatMul, MatMul, Add per call */
  /* a returned value the call made takes the caller's name; a passed-through one keeps its own */
  assert_int_equal(producer(g, "s")->op, IR_OP_Add);
  assert_int_equal(producer(g, "a")->op, IR_OP_MatMul); /* renamed from s/a: returned twice, named once */
  assert_int_equal(producer(g, "a2")->op, IR_OP_MatMul);
  const ir_node *t = producer(g, "t");
  assert_int_equal(t->in[1], find(g, "x")); /* back = x */
  /* nested prefixes; each call has its own weights, which differ (seeds from names) */
  ir_id w1 = find(g, "s/a/w"), w2 = find(g, "s/b/w"), w3 = find(g, "a2/a/w");
  assert_non_null(g->values[w1].constant);
  assert_int_equal(g->values[w1].type.dims[1], 4);
  assert_true(memcmp(g->values[w1].constant->data, g->values[w3].constant->data, 64) != 0);
  float *b = g->values[w2].constant->data, mx = 0;
  for (int i = 0; i < 16; i++) mx = b[i] > mx ? b[i] : b[i] < -mx ? -b[i] : mx;
  assert_true(mx < 0.5f); /* std=0.1 was passed */
  assert_int_equal(ir_value_find(g, "s/s"), IR_NONE); /* renamed */
  ir_graph_free(g);

  /* a subgraph built by the call captures a value the call returns (y/h, renamed y): the
   * capture follows the rename */
  g = parse_ok(ctx, "macro m(c, x) {\n h = Relu(x)\n"
                    " r = If(c) {then_branch=graph { output h }, else_branch=graph {\n"
                    "   s = If(c) {then_branch=graph { output h }, else_branch=graph { h = Neg(x) output h }}\n"
                    "   output s }}\n"
                    " return h, r }\n"
                    "graph g {\n input c: bool[]\n input x: f32[2]\n y, z = m(c, x)\n output y, z }");
  const ir_graph *then = ir_attr_get(producer(g, "z"), "then_branch")->g;
  assert_true(ir_value_find(then, "y") != IR_NONE && ir_value_find(then, "y/h") == IR_NONE);
  const ir_graph *els = ir_attr_get(producer(g, "z"), "else_branch")->g;
  const ir_node *inner = &els->nodes[els->values[find(els, "y/s")].producer];
  assert_true(ir_value_find(ir_attr_get(inner, "then_branch")->g, "y") != IR_NONE);
  const ir_graph *shadow = ir_attr_get(inner, "else_branch")->g; /* defines its own y/h: untouched */
  assert_false(shadow->values[find(shadow, "y/h")].is_outer);
  char *p1 = ir_print(g, NULL);
  ir_graph *g2 = parse_ok(ctx, p1);
  char *p2 = ir_print(g2, NULL);
  assert_string_equal(p1, p2);
  free(p1);
  free(p2);
  ir_graph_free(g2);
  assert_int_equal(ir_verify(g), KN_OK);
  ir_graph_free(g);

  /* an absent value argument reaches an optional input */
  g = parse_ok(ctx, "macro clip(x, lo) {\n y = Clip(x, lo)\n return y }\n"
                    "graph g {\n input x: f32[2]\n y = clip(x, _)\n output y }");
  assert_int_equal(producer(g, "y")->in[1], IR_NONE);
  ir_graph_free(g);

  /* a macro with only value parameters, called with all outputs dropped, is named after itself */
  g = parse_ok(ctx, "macro m(x) {\n y = Relu(x)\n z = Neg(y)\n return z }\n"
                    "graph g {\n input x: f32[2]\n _ = m(x)\n output x }");
  find(g, "m/y");
  ir_graph_free(g);

  /* errors */
  const char *def = "macro m(x, $n, k=1) {\n y = Relu(x)\n return y }\n";
  char buf[512];
#define BAD(body, st, m1, m2)                                                                                          \
  do {                                                                                                                 \
    snprintf(buf, sizeof buf, "%sgraph g {\n input x: f32[2]\n %s\n output x }", def, body);                           \
    parse_bad(ctx, buf, NULL, st, m1, m2);                                                                             \
  } while (0)
  BAD("y = m(x, x, n=1)", KN_EPARSE, "t.kir:6:6:", "takes 1 value argument, got 2");
  BAD("y = m(n=1)", KN_EPARSE, "t.kir:6:6:", "takes 1 value argument, got 0");
  BAD("y, z = m(x, n=1)", KN_EPARSE, "t.kir:6:9:", "returns 1 value, the call takes 2");
  BAD("y = m(x)", KN_EPARSE, "t.kir:6:6:", "needs n=");
  BAD("y = m(x, n=1, q=2)", KN_EPARSE, "t.kir:6:16:", "no number parameter q");
  BAD("y = m(x, n=1, n=2)", KN_EPARSE, "t.kir:6:16:", "given twice");
  BAD("y = m(n=1, x)", KN_EPARSE, "t.kir:6:13:", "come before");
  BAD("y = m(x, n=1) {a=1}", KN_EPARSE, "t.kir:6:16:", "no attributes");
  BAD("y = m(nope, n=1)", KN_EPARSE, "t.kir:6:8:", "undefined value nope");
  BAD("x = m(x, n=1)", KN_EPARSE, "t.kir:6:2:", "already defined");
#undef BAD
  /* recursion, directly and through another macro; the error names the calls */
  parse_bad(ctx, "macro m(x) {\n y = m(x)\n return y }\ngraph g {\n input x: f32[2]\n y = m(x)\n output y }",
            NULL, KN_EPARSE, "t.kir:2:6: macro m calls itself", "(in macro m called at t.kir:6:6)");
  parse_bad(ctx,
            "macro a(x) {\n y = b(x)\n return y }\nmacro b(x) {\n y = a(x)\n return y }\n"
            "graph g {\n input x: f32[2]\n y = a(x)\n output y }",
            NULL, KN_EPARSE, "t.kir:5:6: macro a calls itself", "(in macro b called at t.kir:2:6)");
  /* a body sees no caller values */
  parse_bad(ctx, "macro m(x) {\n y = Add(x, q)\n return y }\ngraph g {\n input x: f32[2]\n input q: f32[2]\n"
                 " y = m(x)\n output y }",
            NULL, KN_EPARSE, "t.kir:2:13: use of undefined value q", "in macro m called at t.kir:7:6");
  parse_bad(ctx, "macro m(x) {\n input z: f32[2]\n return x }\ngraph g {\n input x: f32[2]\n y = m(x)\n output y }",
            NULL, KN_EPARSE, "t.kir:2:2:", "not allowed in a macro body");
  parse_bad(ctx, "macro m(x) {\n y = Relu(x)\n}\ngraph g {\n input x: f32[2]\n y = m(x)\n output y }", NULL,
            KN_EPARSE, "t.kir:3:1:", "ends with `return");
  parse_bad(ctx, "macro m(x, lo) {\n return lo }\ngraph g {\n input x: f32[2]\n y = m(x, _)\n output y }", NULL,
            KN_EPARSE, "t.kir:2:9:", "absent");
  parse_bad(ctx, "macro Relu(x) {\n return x }\ngraph g { }", NULL, KN_EPARSE, "t.kir:1:7:", "name of an op");
  parse_bad(ctx, "macro m(x) {\n return x }\nmacro m(y) {\n return y }\ngraph g { }", NULL, KN_EPARSE,
            "t.kir:3:7:", "defined twice");
  parse_bad(ctx, "macro m(x, x) {\n return x }\ngraph g { }", NULL, KN_EPARSE, "t.kir:1:12:", "given twice");
  parse_bad(ctx, "macro m(n=1, x) {\n return x }\ngraph g { }", NULL, KN_EPARSE, "t.kir:1:14:", "come before");
  parse_bad(ctx, "graph g {\n input x: f32[2]\n return x }", NULL, KN_EPARSE, "t.kir:3:2:", "only end a macro");
  /* a body is checked when it is called, and only its braces before that */
  g = parse_ok(ctx, "macro unused(x) {\n y = Frob(x)\n return y }\ngraph g {\n input x: f32[2]\n output x }");
  ir_graph_free(g);
  parse_bad(ctx, "macro unused(x) {\n y = Frob(x)\n return y \ngraph g {\n input x: f32[2]\n output x }", NULL,
            KN_EPARSE, "missing '}' of a macro", NULL);
}

/* ---- loops ---- */
static void test_loops(void **state) {
  kn_ctx *ctx = kt_kn(state);
  /* rebinding: each iteration's x is a new value, x after the loop is the last */
  ir_graph *g = parse_ok(ctx, "param n = 3\ngraph g {\n input x: f32[2]\n"
                              " for i in 0 .. $n { t = Relu(x)\n x = Add(t, x) }\n"
                              " y = Neg(x)\n output y }");
  assert_int_equal(ir_graph_live_nodes(g), 7);
  assert_int_equal(producer(g, "y")->in[0], find(g, "i2/x"));
  assert_int_equal(producer(g, "i1/x")->in[1], find(g, "i0/x"));
  assert_int_equal(producer(g, "i0/t")->in[0], find(g, "x"));
  ir_graph_free(g);

  /* zero iterations: x unchanged, the body is only lexed */
  g = parse_ok(ctx, "graph g {\n input x: f32[2]\n for i in 5 .. 2 { x = Frob(x) }\n"
                    " for i in 0 .. 0 { x = Relu(x) }\n y = Neg(x)\n output y }");
  assert_int_equal(ir_graph_live_nodes(g), 1);
  assert_int_equal(producer(g, "y")->in[0], find(g, "x"));
  ir_graph_free(g);

  /* nested loops, ranges from params, the loop variable in dims and seeds */
  g = parse_ok(ctx, "param a = 2\ngraph g {\n input x: f32[2]\n"
                    " for i in 1 .. $(a + 1) {\n  for j in 0 .. $i {\n"
                    "   const w: f32[$(i * 10 + j)] = normal(seed=$(i * 10 + j))\n"
                    "   x = Relu(x)\n  }\n }\n output x }");
  assert_int_equal(ir_graph_live_nodes(g), 3); /* i=1: j=0; i=2: j=0,1 */
  assert_int_equal(g->values[find(g, "i2/j1/w")].type.dims[0], 21);
  assert_int_equal(g->outputs[0], find(g, "i2/j1/x"));
  assert_int_equal(producer(g, "i2/j0/x")->in[0], find(g, "i1/j0/x"));
  ir_graph_free(g);

  /* a macro call rebinding in a loop; the call's output takes the loop-prefixed name */
  g = parse_ok(ctx, "macro blk(x) {\n h = Relu(x)\n y = Add(x, h)\n return y }\n"
                    "graph g {\n input x: f32[2]\n for layer in 0 .. 2 { x = blk(x) }\n output x }");
  assert_int_equal(g->outputs[0], find(g, "layer1/x"));
  assert_int_equal(producer(g, "layer1/x/h")->in[0], find(g, "layer0/x"));
  ir_graph_free(g);

  /* scoping errors */
  parse_bad(ctx, "graph g {\n input x: f32[2]\n for i in 0 .. 2 { t = Relu(x) }\n y = Neg(t)\n output y }", NULL,
            KN_EPARSE, "t.kir:4:10: use of undefined value t", NULL);
  parse_bad(ctx, "graph g {\n input x: f32[2]\n for i in 0 .. 2 {\n x = Relu(x)\n x = Neg(x) }\n output x }", NULL,
            KN_EPARSE, "t.kir:5:2:", "already defined in this loop iteration");
  parse_bad(ctx, "graph g {\n input x: f32[2]\n for i in 0 .. 2 { for i in 0 .. 2 { } }\n output x }", NULL,
            KN_EPARSE, "t.kir:3:24:", "hides");
  parse_bad(ctx, "param i = 1\ngraph g {\n input x: f32[2]\n for i in 0 .. 2 { }\n output x }", NULL, KN_EPARSE,
            "t.kir:4:6:", "hides");
  parse_bad(ctx, "graph g {\n input x: f32[2]\n for i in 0 .. 2 { y = Relu(q) }\n output x }", NULL, KN_EPARSE,
            "t.kir:3:29: use of undefined value q", "(in the loop at t.kir:3:2, i = 0)");
  parse_bad(ctx, "graph g {\n input x: f32[2]\n for i in 0 2 { }\n output x }", NULL, KN_EPARSE, "t.kir:3:13:",
            "'..'");
  parse_bad(ctx, "graph g {\n input x: f32[2]\n for i of 0 .. 2 { }\n output x }", NULL, KN_EPARSE, "t.kir:3:8:",
            "'in'");
  parse_bad(ctx, "graph g {\n input x: f32[2]\n for i in 0 .. 1.5 { }\n output x }", NULL, KN_EPARSE, "t.kir:3:16:",
            "integer");
  parse_bad(ctx, "graph g {\n input x: f32[2]\n for i in 0 .. 2 { y = Relu(x) ", NULL, KN_EPARSE,
            "missing '}' of a for loop", NULL);
  /* a subgraph in a loop: names of the subgraph are its own, outer values are captured */
  g = parse_ok(ctx, "graph g {\n input c: bool[]\n input x: f32[2]\n for i in 0 .. 2 {\n"
                    "  x = If(c) {then_branch=graph { r = Relu(x) output r }, else_branch=graph { output x }}\n"
                    " }\n output x }");
  const ir_node *n = producer(g, "i1/x");
  const ir_graph *then = ir_attr_get(n, "then_branch")->g;
  ir_id outer = ir_value_find(then, "i0/x");
  assert_true(outer != IR_NONE && then->values[outer].is_outer);
  ir_graph_free(g);
}

/* ---- seeds from names ---- */
static uint64_t fnv1a(const char *s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
  return h;
}

static void test_auto_seeds(void **state) {
  kn_ctx *ctx = kt_kn(state);
  const char *text = "macro lin(x) {\n const w: f32[8] = normal(std=0.02)\n const u: f32[8] = uniform(low=-1, high=1)\n"
                     " y = Mul(x, w)\n return y }\n"
                     "graph g {\n input x: f32[8]\n for layer in 0 .. 3 { x = lin(x) }\n"
                     " const top: f32[8] = normal()\n output x }";
  ir_graph *g1 = parse_ok(ctx, text), *g2 = parse_ok(ctx, text);
  const char *names[] = {"layer0/x/w", "layer1/x/w", "layer2/x/w", "layer0/x/u", "top"};
  for (int i = 0; i < 5; i++) { /* deterministic */
    ir_id a = find(g1, names[i]), b = find(g2, names[i]);
    assert_memory_equal(g1->values[a].constant->data, g2->values[b].constant->data, 32);
  }
  for (int i = 0; i < 3; i++) /* distinct per layer */
    for (int j = i + 1; j < 3; j++)
      assert_true(memcmp(g1->values[find(g1, names[i])].constant->data, g1->values[find(g1, names[j])].constant->data,
                         32) != 0);
  /* the seed is FNV-1a 64 of the full name, exactly */
  char ref[256];
  snprintf(ref, sizeof ref,
           "graph g {\n const a: f32[8] = normal(seed=%llu, std=0.02)\n"
           " const b: f32[8] = uniform(seed=%llu, low=-1, high=1)\n const c: f32[8] = normal(seed=%llu)\n output a, b, c }",
           (unsigned long long)fnv1a("layer1/x/w"), (unsigned long long)fnv1a("layer0/x/u"),
           (unsigned long long)fnv1a("top"));
  ir_graph *r = parse_ok(ctx, ref);
  assert_memory_equal(r->values[find(r, "a")].constant->data, g1->values[find(g1, "layer1/x/w")].constant->data, 32);
  assert_memory_equal(r->values[find(r, "b")].constant->data, g1->values[find(g1, "layer0/x/u")].constant->data, 32);
  assert_memory_equal(r->values[find(r, "c")].constant->data, g1->values[find(g1, "top")].constant->data, 32);
  assert_true(ir_seed_from_name("top", 3) == fnv1a("top"));
  ir_graph_free(r);
  ir_graph_free(g1);
  ir_graph_free(g2);
}

/* ---- flat print of an expanded graph ---- */
static void test_expanded_round_trip(void **state) {
  kn_ctx *ctx = kt_kn(state);
  const ir_parse_opts tiny = {.config = "tiny"};
  const char *files[] = {"models/clip_vit_tiny.kir", "models/clip_vit_b32.kir"};
  for (int f = 0; f < 2; f++) {
    FILE *fp = fopen(files[f], "rb");
    if (!fp) fail_msg("cannot open %s (tests run from the source folder)", files[f]);
    static char text[1 << 16];
    size_t n = fread(text, 1, sizeof text - 1, fp);
    fclose(fp);
    text[n] = 0;
    ir_graph *g = parse_opts(ctx, text, &tiny);
    char *p1 = ir_print(g, NULL);
    ir_graph *g2 = NULL;
    if (ir_parse(ctx, p1, "printed.kir", &g2) != KN_OK) fail_msg("reparse: %s", kn_errmsg(ctx));
    char *p2 = ir_print(g2, NULL);
    assert_string_equal(p1, p2);
    assert_int_equal(ir_graph_live_nodes(g), ir_graph_live_nodes(g2));
    assert_true(strstr(p1, "layer1/x/attn") != NULL);
    assert_true(strstr(p1, "$") == NULL && strstr(p1, "macro") == NULL);
    assert_int_equal(ir_verify(g2), KN_OK);
    assert_int_equal(ir_infer_graph(g2), KN_OK);
    if (f == 1) { /* the ViT-B/32 structure at tiny size: 2 blocks of 4 heads over 17 tokens */
      assert_int_equal(ir_graph_live_nodes(g2), 2 * 28 + 10);
      const ir_type *t = &g2->values[find(g2, "layer1/x/attn/probs")].type;
      assert_int_equal(t->dims[1], 4);
      assert_int_equal(t->dims[3], 17);
      assert_int_equal(g2->values[g2->outputs[0]].type.dims[1], 32);
    }
    free(p1);
    free(p2);
    ir_graph_free(g);
    ir_graph_free(g2);
  }
}

/* ---- hostile input ---- */
static void test_hostile(void **state) {
  kn_ctx *ctx = kt_kn(state);
  /* huge repeat counts end at the expansion cap */
  parse_bad(ctx, "graph g {\n input x: f32[2]\n for i in 0 .. 9223372036854775807 { }\n output x }", NULL, KN_ELIMIT,
            "t.kir:3:2:", "expand to more than 262144");
  parse_bad(ctx, "graph g {\n input x: f32[2]\n for i in -9223372036854775807 .. 9223372036854775807 { }\n output x }",
            NULL, KN_ELIMIT, "too large", NULL);
  parse_bad(ctx, "graph g {\n input x: f32[2]\n for i in 0 .. 100000 { for j in 0 .. 100000 { y = Relu(x) } }\n output x }",
            NULL, KN_ELIMIT, "expand to more than", NULL);
  /* a small cap from the options */
  ir_parse_opts o = {.max_expand = 50};
  parse_bad(ctx, "graph g {\n input x: f32[2]\n for i in 0 .. 30 { y = Relu(x) }\n output x }", &o, KN_ELIMIT,
            "more than 50", NULL);
  o.max_expand = 100;
  ir_graph *g = parse_opts(ctx, "graph g {\n input x: f32[2]\n for i in 0 .. 30 { y = Relu(x) }\n output x }", &o);
  ir_graph_free(g);
  /* macros that double at every level: 2^30 calls */
  char *text = malloc(8192), *p = text;
  for (int i = 0; i < 30; i++) p += sprintf(p, "macro m%d(x) { a = m%d(x)\n b = m%d(a)\n return b }\n", i, i + 1, i + 1);
  p += sprintf(p, "macro m30(x) { y = Relu(x)\n return y }\ngraph g {\n input x: f32[2]\n y = m0(x)\n output y }");
  parse_bad(ctx, text, NULL, KN_ELIMIT, "expand to more than", NULL);
  /* deep call chains and loop nests */
  p = text;
  for (int i = 0; i < 40; i++) p += sprintf(p, "macro m%d(x) { y = m%d(x)\n return y }\n", i, i + 1);
  p += sprintf(p, "macro m40(x) { return x }\ngraph g {\n input x: f32[2]\n y = m0(x)\n output y }");
  parse_bad(ctx, text, NULL, KN_ELIMIT, "nest deeper than 32", NULL);
  p = text + sprintf(text, "graph g {\n input x: f32[2]\n");
  for (int i = 0; i < 40; i++) p += sprintf(p, "for i%d in 0 .. 1 {\n", i);
  for (int i = 0; i < 40; i++) p += sprintf(p, "}");
  sprintf(p, "\n output x }");
  parse_bad(ctx, text, NULL, KN_ELIMIT, "nest deeper than 32", NULL);
  free(text);
  /* huge dims from expressions */
  parse_bad(ctx, "graph g {\n input x: f32[$(1 << 2)]\n output x }", NULL, KN_EPARSE, "unexpected", NULL);
  parse_bad(ctx, "graph g {\n input x: f32[$(3000000000 * 3000000000), $(3000000000 * 3000000000)]\n output x }", NULL,
            KN_ESHAPE, "64 bits", NULL);
  parse_bad(ctx, "graph g {\n const w: f32[$(100000 * 100000)] = zeros\n output w }", NULL, KN_ELIMIT, "memory limit",
            NULL);
  parse_bad(ctx, "graph g {\n const w: f32[$(3000000000 * 3)] = normal(std=1)\n output w }", NULL, KN_ELIMIT,
            "memory limit", NULL);
  /* many constants, each under the memory limit, together over it */
  kn_set_mem_limit(ctx, 1 << 20);
  parse_bad(ctx, "graph g {\n input x: f32[2]\n for i in 0 .. 100 { const w: f32[65536] = zeros }\n output x }", NULL,
            KN_ELIMIT, "t.kir:3:31:", "more than the memory limit");
  kn_set_mem_limit(ctx, (uint64_t)8 << 30);
}

KT_MAIN(
    KT_TEST(test_params_configs_defines),
    KT_TEST(test_expressions),
    KT_TEST(test_macros),
    KT_TEST(test_loops),
    KT_TEST(test_auto_seeds),
    KT_TEST(test_expanded_round_trip),
    KT_TEST(test_hostile))
