/* test_ir_graph.c: the IR core: building graphs, name lookup, attributes,
 * topological sort, symbolic-dim broadcasting in shape inference, the
 * verifier (subgraphs' reads of outer values included), and the tensor
 * allocation limits every allocation goes through. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit.h"
#include <stdio.h>
#include <string.h>

static ir_id input(ir_graph *g, const char *name, int rank, const int64_t *dims) {
  ir_type t = {.dtype = KN_F32, .rank = rank};
  memcpy(t.dims, dims, sizeof(int64_t) * (size_t)rank);
  ir_id v = ir_value_new(g, name, &t);
  assert_int_equal(ir_graph_add_input(g, v), KN_OK);
  return v;
}

/* The fixture's empty graph "t". */
static ir_graph *graph(void **state) { return ((kt_fixture *)*state)->g; }

/* x: f32[4] and two nodes out of order: `relu` b = Relu(a) is added before
 * `neg` a = Neg(x). Returns b. */
static ir_id out_of_order(ir_graph *g, const char *relu, const char *neg, ir_id *x) {
  int64_t d[1] = {4};
  *x = input(g, "x", 1, d);
  ir_id a = ir_value_new(g, "a", NULL), b = ir_value_new(g, "b", NULL);
  ir_node_new(g, IR_OP_Relu, relu, 1, &a, 1, &b);
  ir_node_new(g, IR_OP_Neg, neg, 1, x, 1, &a);
  return b;
}

static void test_build_and_lookup(void **state) {
  ir_graph *g = graph(state);
  char name[32];
  for (int i = 0; i < 1000; i++) {
    snprintf(name, sizeof name, "v%d", i);
    assert_int_equal(ir_value_new(g, name, NULL), i);
  }
  assert_int_equal(ir_value_find(g, "v737"), 737);
  assert_int_equal(ir_value_find(g, "nope"), IR_NONE);
  ir_id anon = ir_value_new(g, NULL, NULL);
  assert_true(strlen(g->values[anon].name) > 0);
  assert_int_equal(ir_value_find(g, g->values[anon].name), anon);
}

static void test_attributes(void **state) {
  ir_graph *g = graph(state);
  ir_id x = ir_value_new(g, "x", NULL), y = ir_value_new(g, "y", NULL);
  ir_id n = ir_node_new(g, IR_OP_Transpose, "tr", 1, &x, 1, &y);
  int64_t perm[3] = {2, 0, 1};
  assert_int_equal(ir_attr_set_ints(g, &g->nodes[n], "perm", perm, 3), KN_OK);
  assert_int_equal(ir_attr_set_int(g, &g->nodes[n], "k", 7), KN_OK);
  assert_int_equal(ir_attr_set_int(g, &g->nodes[n], "k", 9), KN_OK); /* replaces */
  assert_int_equal(g->nodes[n].nattr, 2);
  assert_int_equal(ir_attr_int(&g->nodes[n], "k", 0), 9);
  assert_int_equal(ir_attr_get(&g->nodes[n], "perm")->ints[0], 2);
  assert_int_equal(ir_attr_int(&g->nodes[n], "missing", -5), -5);
}

static void test_toposort(void **state) {
  ir_graph *g = graph(state);
  kn_ctx *kn = g->ctx;
  ir_id x, b = out_of_order(g, "second", "first", &x);
  assert_int_equal(ir_graph_toposort(g), KN_OK);
  assert_string_equal(g->nodes[0].name, "first");
  assert_int_equal(g->values[b].producer, 1);
  /* a cycle is an error naming a node */
  ir_graph *c = ir_graph_new(kn, "cyc");
  ir_id p = ir_value_new(c, "p", NULL), q = ir_value_new(c, "q", NULL);
  ir_node_new(c, IR_OP_Relu, "n1", 1, &p, 1, &q);
  ir_node_new(c, IR_OP_Relu, "n2", 1, &q, 1, &p);
  assert_int_equal(ir_graph_toposort(c), KN_EINVAL);
  assert_non_null(strstr(kn_errmsg(kn), "cycle"));
  ir_graph_free(c);
}

static void test_infer_symbolic_broadcast(void **state) {
  ir_graph *g = graph(state);
  int32_t batch = ir_sym_get(g, "batch");
  int64_t da[3] = {IR_SYM(batch), 1, 8}, db[2] = {5, 1};
  ir_id a = input(g, "a", 3, da), b = input(g, "b", 2, db);
  ir_id y = ir_value_new(g, "y", NULL);
  ir_id in[2] = {a, b};
  ir_node_new(g, IR_OP_Add, "add", 2, in, 1, &y);
  assert_int_equal(ir_infer_graph(g), KN_OK);
  const ir_type *t = &g->values[y].type;
  assert_int_equal(t->rank, 3);
  assert_int_equal(t->dims[0], IR_SYM(batch)); /* symbol flows through */
  assert_int_equal(t->dims[1], 5);
  assert_int_equal(t->dims[2], 8);
  /* incompatible known dims: error naming the node */
  int64_t dc[1] = {3};
  ir_id c = input(g, "c", 1, dc), z = ir_value_new(g, "z", NULL);
  ir_id in2[2] = {a, c};
  ir_node_new(g, IR_OP_Mul, "bad_mul", 2, in2, 1, &z);
  assert_int_equal(ir_infer_graph(g), KN_ESHAPE);
  assert_non_null(strstr(kn_errmsg(g->ctx), "bad_mul"));
}

static void test_verifier(void **state) {
  ir_graph *g = graph(state);
  kn_ctx *kn = g->ctx;
  ir_id x, b = out_of_order(g, "uses_a_early", "defines_a", &x);
  assert_int_equal(ir_graph_add_output(g, b), KN_OK);
  assert_int_equal(ir_verify(g), KN_EINVAL);
  assert_non_null(strstr(kn_errmsg(kn), "used before it is defined"));
  assert_int_equal(ir_graph_toposort(g), KN_OK);
  assert_int_equal(ir_verify(g), KN_OK);
  /* a second producer of b */
  ir_id n3 = ir_node_new(g, IR_OP_Abs, "redefines_b", 1, &x, 1, &b);
  assert_int_equal(ir_verify(g), KN_EINVAL);
  assert_non_null(strstr(kn_errmsg(kn), "value 'b'"));
  g->nodes[n3].dead = true;
  g->values[b].producer = 1; /* the Relu, second after sorting */
  /* dead, it must still give b up: one node names a value as its output */
  assert_int_equal(ir_verify(g), KN_EINVAL);
  assert_non_null(strstr(kn_errmsg(kn), "redefines_b (Abs) is dead but still names 'b'"));
  g->nodes[n3].out[0] = IR_NONE;
  assert_int_equal(ir_verify(g), KN_OK);
  /* wrong arity: Add with one input */
  ir_id c = ir_value_new(g, "c", NULL);
  ir_node_new(g, IR_OP_Add, "lonely_add", 1, &x, 1, &c);
  assert_int_equal(ir_verify(g), KN_EINVAL);
  assert_non_null(strstr(kn_errmsg(kn), "lonely_add"));
}

/* A branch reads w, an initializer, and h, computed before the If, by name:
 * the verifier finds both, and counts them as uses (compaction keeps them);
 * it fails, naming the node and the value, when the name is gone or h's
 * producer is dead. A name the branch defines itself is not a read. */
static void test_verifier_subgraph_reads(void **state) {
  kn_ctx *kn = kt_kn(state);
  const char *text = "graph t {\n input x: f32[2]\n input c: bool[]\n const w: f32[2] = [1, 2]\n h = Neg(x)\n"
                     " y = If(c) {then_branch=graph { a = Add(h, w) output a },\n"
                     "            else_branch=graph { w = Abs(x) b = Sub(w, h) output b }}\n output y\n}\n";
  ir_graph *g = kt_load(state, text);
  assert_int_equal(ir_verify(g), KN_OK);
  int32_t count[16] = {0};
  assert_true(g->nvalues <= 16);
  ir_count_captures(g, count);
  ir_id w = ir_value_find(g, "w"), h = ir_value_find(g, "h"), x = ir_value_find(g, "x");
  assert_int_equal(count[w], 1); /* the else branch's w is its own */
  assert_int_equal(count[h], 2);
  assert_int_equal(count[x], 1);
  assert_true(ir_value_captured(g, w));
  assert_int_equal(ir_graph_compact(g), KN_OK); /* nothing but the If uses w and h */
  assert_true(ir_value_find(g, "w") != IR_NONE);
  assert_int_equal(ir_verify(g), KN_OK);
  h = ir_value_find(g, "h");
  g->nodes[g->values[h].producer].dead = true;
  assert_int_equal(ir_verify(g), KN_EINVAL);
  assert_non_null(strstr(kn_errmsg(kn), "subgraph then_branch reads 'h', which is not defined before the node"));
  g = kt_load(state, text);
  assert_int_equal(ir_value_rename(g, ir_value_find(g, "w"), "w2"), KN_OK);
  assert_int_equal(ir_verify(g), KN_EINVAL);
  assert_non_null(strstr(kn_errmsg(kn), "reads 'w', which no enclosing graph defines"));
}

static void test_tensor_limits(void **state) {
  kn_ctx *kn = kt_kn(state);
  kn_tensor t;
  int64_t big[2] = {INT64_MAX / 2, 3};
  assert_int_equal(kn_tensor_alloc(kn, &t, KN_F32, 2, big), KN_ESHAPE);
  int64_t neg[1] = {-1};
  assert_int_equal(kn_tensor_alloc(kn, &t, KN_F32, 1, neg), KN_ESHAPE);
  kn_set_mem_limit(kn, 1000);
  int64_t d[1] = {251}; /* 1004 bytes */
  assert_int_equal(kn_tensor_alloc(kn, &t, KN_F32, 1, d), KN_ELIMIT);
  d[0] = 250;
  assert_int_equal(kn_tensor_alloc(kn, &t, KN_F32, 1, d), KN_OK);
  assert_int_equal((uintptr_t)t.data % 64, 0);
  kn_tensor_free(&t);
  assert_int_equal(kn_tensor_alloc(kn, &t, KN_STRING, 1, d), KN_EUNSUPPORTED);
}

static void test_half_conversions(void **state) {
  (void)state;
  /* hand-checked bit patterns: 1.0 = 0x3c00, -2.0 = 0xc000, 65504 = 0x7bff, 2^-24 = 0x0001 */
  assert_int_equal(kn_f32_to_f16(1.0f), 0x3c00);
  assert_int_equal(kn_f32_to_f16(-2.0f), 0xc000);
  assert_int_equal(kn_f32_to_f16(65504.0f), 0x7bff);
  assert_int_equal(kn_f32_to_f16(1e6f), 0x7c00); /* overflow to inf */
  assert_float_equal(kn_f16_to_f32(0x0001), 5.9604645e-8f, 1e-14);
  assert_float_equal(kn_f16_to_f32(0x3555), 0.33325195f, 0);
  assert_int_equal(kn_f32_to_bf16(1.0f), 0x3f80);
  assert_float_equal(kn_bf16_to_f32(0x4049), 3.140625f, 0);
}

KT_MAIN(
    KT_TEST(test_build_and_lookup),
    KT_TEST(test_attributes),
    KT_TEST(test_toposort),
    KT_TEST(test_infer_symbolic_broadcast),
    KT_TEST(test_verifier),
    KT_TEST(test_verifier_subgraph_reads),
    KT_TEST(test_tensor_limits),
    cmocka_unit_test(test_half_conversions))
