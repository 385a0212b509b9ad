/* test_frontend_nesting.c: models whose messages nest absurdly deep (If
 * subgraphs inside If subgraphs thousands of levels down, sequence types of
 * sequence types) and truncated copies of them are refused with a clean error
 * before protobuf-c's recursive decoder sees them, while a model nested ten
 * levels deep still imports and runs. The files are built byte by byte here,
 * wrapping each level's bytes in the next, as a hostile tool would. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "onnx_proto.h"
#include "ref.h"
#include "unit.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- protobuf wire encoding: a growable byte buffer ---- */
typedef struct bytes {
  uint8_t *p;
  size_t len, cap;
} bytes;

static void put(bytes *b, const void *src, size_t n) {
  if (b->len + n > b->cap) {
    b->cap = (b->len + n) * 2 + 64;
    b->p = realloc(b->p, b->cap);
    assert_non_null(b->p);
  }
  if (n) memcpy(b->p + b->len, src, n);
  b->len += n;
}
static void put_varint(bytes *b, uint64_t v) {
  uint8_t tmp[10];
  size_t n = 0;
  do {
    tmp[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
    v >>= 7;
  } while (v);
  put(b, tmp, n);
}
/* field of wire type 2 (string, bytes, message) */
static void put_len(bytes *b, int field, const void *src, size_t n) {
  put_varint(b, (uint64_t)field << 3 | 2);
  put_varint(b, n);
  put(b, src, n);
}
static void put_str(bytes *b, int field, const char *s) { put_len(b, field, s, strlen(s)); }
static void put_msg(bytes *b, int field, const bytes *m) { put_len(b, field, m->p, m->len); }
static void put_int(bytes *b, int field, uint64_t v) {
  put_varint(b, (uint64_t)field << 3);
  put_varint(b, v);
}

/* TypeProto of a tensor with element type dt and one dim d (d < 0: no shape) */
static bytes tensor_type(int dt, int64_t d) {
  bytes tt = {0}, ty = {0}, shape = {0}, dim = {0};
  put_int(&tt, 1, (uint64_t)dt);
  if (d >= 0) {
    put_int(&dim, 1, (uint64_t)d);
    put_msg(&shape, 1, &dim);
    put_msg(&tt, 2, &shape);
  }
  put_msg(&ty, 1, &tt);
  free(tt.p), free(shape.p), free(dim.p);
  return ty;
}
/* ValueInfoProto name: type (type may be NULL) */
static void put_value_info(bytes *g, int field, const char *name, const bytes *type) {
  bytes vi = {0};
  put_str(&vi, 1, name);
  if (type) put_msg(&vi, 2, type);
  put_msg(g, field, &vi);
  free(vi.p);
}

/* GraphProto "leaf": its output copies the outer value x */
static bytes leaf_graph(void) {
  bytes g = {0};
  put_str(&g, 2, "leaf");
  put_value_info(&g, 12, "x", NULL);
  return g;
}

/* the node y = If(c) with then_branch = then, else_branch = els */
static void put_if_node(bytes *g, const char *y, const bytes *then, const bytes *els) {
  bytes n = {0}, a1 = {0}, a2 = {0};
  put_str(&n, 1, "c");
  put_str(&n, 2, y);
  put_str(&n, 3, y);
  put_str(&n, 4, "If");
  put_str(&a1, 1, "then_branch");
  put_int(&a1, 20, KILN_ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH);
  put_msg(&a1, 6, then);
  put_str(&a2, 1, "else_branch");
  put_int(&a2, 20, KILN_ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH);
  put_msg(&a2, 6, els);
  put_msg(&n, 5, &a1);
  put_msg(&n, 5, &a2);
  put_msg(g, 1, &n);
  free(n.p), free(a1.p), free(a2.p);
}

/* A model whose main graph holds an If whose then-branch holds an If ...,
 * `depth` subgraph levels down to a leaf that returns x; the main graph's
 * inputs are c (bool scalar) and x (f32[2]), its output y_0. `input_type`
 * (may be NULL) replaces x's type; `deepest_type` (may be NULL) is the type
 * of an extra input z of the innermost graph. */
static bytes nested_if_model(int depth, const bytes *input_type, const bytes *deepest_type) {
  bytes leaf = leaf_graph(), inner = leaf_graph();
  if (deepest_type) put_value_info(&inner, 11, "z", deepest_type);
  char name[32];
  for (int k = depth - 1; k >= 1; k--) { /* inner becomes the subgraph at level k */
    bytes g = {0};
    snprintf(name, sizeof name, "y_%d", k);
    put_str(&g, 2, name);
    put_if_node(&g, name, &inner, &leaf);
    put_value_info(&g, 12, name, NULL);
    free(inner.p);
    inner = g;
  }
  bytes main = {0}, m = {0}, os = {0};
  bytes bool_t = tensor_type(KN_BOOL, -1), f32_t = tensor_type(KN_F32, 2);
  put_str(&main, 2, "main");
  put_if_node(&main, "y_0", depth >= 1 ? &inner : &leaf, &leaf);
  put_value_info(&main, 11, "c", &bool_t);
  put_value_info(&main, 11, "x", input_type ? input_type : &f32_t);
  put_value_info(&main, 12, "y_0", &f32_t);
  put_int(&m, 1, 8); /* ir_version */
  put_str(&os, 1, "");
  put_int(&os, 2, 17);
  put_msg(&m, 8, &os);
  put_msg(&m, 7, &main);
  free(leaf.p), free(inner.p), free(main.p), free(os.p), free(bool_t.p), free(f32_t.p);
  return m;
}

static kn_status import(kn_ctx *kn, const bytes *b, ir_graph **g) {
  return onnx_import_buffer(kn, b->p, b->len, NULL, "nested.onnx", g);
}

static void expect_refused(const bytes *b, kn_status want, const char *needle) {
  kn_ctx *kn = kn_ctx_new();
  ir_graph *g = NULL;
  kn_status st = import(kn, b, &g);
  if (st != want || !strstr(kn_errmsg(kn), needle)) print_message("status %d: %s\n", st, kn_errmsg(kn));
  assert_int_equal(st, want);
  assert_non_null(strstr(kn_errmsg(kn), needle));
  assert_non_null(strstr(kn_errmsg(kn), "nested.onnx"));
  assert_null(g);
  kn_ctx_free(kn);
}

/* ten levels of If import, and the reference executor takes the then-branch
 * all the way down to the leaf */
static void test_ten_levels_import_and_run(void **state) {
  (void)state;
  bytes b = nested_if_model(10, NULL, NULL);
  kn_ctx *kn = kn_ctx_new();
  ir_graph *g = NULL;
  if (import(kn, &b, &g) != KN_OK) print_message("%s\n", kn_errmsg(kn));
  assert_non_null(g);
  kn_tensor in[2], y;
  int64_t two = 2;
  assert_int_equal(kn_tensor_alloc(kn, &in[0], KN_BOOL, 0, NULL), KN_OK);
  assert_int_equal(kn_tensor_alloc(kn, &in[1], KN_F32, 1, &two), KN_OK);
  *(uint8_t *)in[0].data = 1;
  ((float *)in[1].data)[0] = 2.5f;
  ((float *)in[1].data)[1] = -7.0f;
  assert_int_equal(ref_run_graph(kn, g, in, 2, &y, 1), KN_OK);
  assert_int_equal(y.rank, 1);
  assert_float_equal(((float *)y.data)[0], 2.5f, 0.0f);
  assert_float_equal(((float *)y.data)[1], -7.0f, 0.0f);
  kn_tensor_free(&y);
  kn_tensor_free(&in[0]);
  kn_tensor_free(&in[1]);
  ir_graph_free(g);
  kn_ctx_free(kn);
  free(b.p);
}

/* past kiln's own limit of 16 subgraph levels, the importer refuses; past 64
 * the wire scan refuses before decoding; 3000 levels (about 120 KB) used to
 * overflow the stack in protobuf-c */
static void test_deep_if_nesting_refused(void **state) {
  (void)state;
  bytes b = nested_if_model(17, NULL, NULL);
  expect_refused(&b, KN_ELIMIT, "subgraphs nested deeper than 16 levels");
  free(b.p);
  b = nested_if_model(64, NULL, NULL);
  expect_refused(&b, KN_ELIMIT, "subgraphs nested deeper than 16 levels");
  free(b.p);
  b = nested_if_model(65, NULL, NULL);
  expect_refused(&b, KN_ELIMIT, "subgraphs nested deeper than 64 levels");
  free(b.p);
  b = nested_if_model(3000, NULL, NULL);
  assert_true(b.len > 100000);
  expect_refused(&b, KN_ELIMIT, "nested.onnx: subgraphs nested deeper than 64 levels");
  free(b.p);
}

/* sequence(sequence(...(tensor))) with `levels` TypeProto levels */
static bytes sequence_type(int levels) {
  bytes t = tensor_type(KN_F32, 2);
  for (int k = 1; k < levels; k++) {
    bytes seq = {0}, ty = {0};
    put_msg(&seq, 1, &t);
    put_msg(&ty, 4, &seq);
    free(seq.p), free(t.p);
    t = ty;
  }
  return t;
}

/* a graph input typed sequence(sequence(...(tensor))) nests TypeProto the same way */
static void test_deep_type_nesting_refused(void **state) {
  (void)state;
  bytes t = sequence_type(50000);
  bytes b = nested_if_model(1, &t, NULL);
  expect_refused(&b, KN_ELIMIT, "nested.onnx: types nested deeper than 64 levels");
  free(b.p), free(t.p);
}

/* the deepest nesting the scan lets through (64 subgraph levels, and 64 type
 * levels inside the innermost graph) decodes without trouble, and the
 * importer then refuses it by its own subgraph limit */
static void test_deepest_allowed_nesting_decodes(void **state) {
  (void)state;
  bytes t = sequence_type(64);
  bytes b = nested_if_model(64, NULL, &t);
  expect_refused(&b, KN_ELIMIT, "subgraphs nested deeper than 16 levels");
  free(b.p), free(t.p);
  t = sequence_type(65);
  b = nested_if_model(64, NULL, &t);
  expect_refused(&b, KN_ELIMIT, "nested.onnx: types nested deeper than 64 levels");
  free(b.p), free(t.p);
}

/* every cut of a deep file (lengths that run past the end) is a clean parse
 * error, and so are broken varints */
static void test_truncated_deep_file(void **state) {
  (void)state;
  bytes b = nested_if_model(40, NULL, NULL);
  kn_ctx *kn = kn_ctx_new();
  /* the first 8 bytes are ir_version and opset_import: cuts there leave a whole model without a graph */
  for (size_t cut = 9; cut < b.len; cut += 1 + cut / 50) {
    ir_graph *g = NULL;
    kn_status st = onnx_import_buffer(kn, b.p, cut, NULL, "nested.onnx", &g);
    if (st != KN_EPARSE) print_message("cut %zu: status %d: %s\n", cut, st, kn_errmsg(kn));
    assert_int_equal(st, KN_EPARSE);
    assert_non_null(strstr(kn_errmsg(kn), "nested.onnx: not a valid ONNX model (truncated or corrupt protobuf"));
  }
  kn_ctx_free(kn);
  free(b.p);
  /* a varint that never ends; a length longer than the file; a group */
  static const uint8_t endless[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
  static const uint8_t too_long[] = {0x3a, 0x80, 0x01, 0x0a, 0x00};
  static const uint8_t group[] = {0x3b, 0x3c};
  bytes e = {(uint8_t *)endless, sizeof endless, 0}, l = {(uint8_t *)too_long, sizeof too_long, 0},
        gr = {(uint8_t *)group, sizeof group, 0};
  expect_refused(&e, KN_EPARSE, "nested.onnx: not a valid ONNX model (truncated or corrupt protobuf: ");
  expect_refused(&l, KN_EPARSE, "nested.onnx: not a valid ONNX model (truncated or corrupt protobuf: ");
  expect_refused(&gr, KN_EPARSE, "nested.onnx: not a valid ONNX model (truncated or corrupt protobuf: ");
}

KT_MAIN(cmocka_unit_test(test_ten_levels_import_and_run), cmocka_unit_test(test_deep_if_nesting_refused),
        cmocka_unit_test(test_deep_type_nesting_refused), cmocka_unit_test(test_deepest_allowed_nesting_decodes),
        cmocka_unit_test(test_truncated_deep_file))
