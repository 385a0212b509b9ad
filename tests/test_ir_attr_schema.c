/* test_ir_attr_schema.c: the attribute schema (ir/attr_schema.c) and its
 * typed getters: ONNX's defaults come out per op (LeakyRelu alpha 0.01 vs Elu
 * 1, Pad mode constant vs Resize nearest, Conv group 1, keepdims 1), a present
 * attribute wins, a read without a default gives 0 and is counted, the table
 * is well formed, and every attribute name the sources read through
 * ir_attr_i/f/s has a default row. The last check scans ir/, passes/,
 * codegen/ and runtime/ (the tests run in the source folder); whether each op
 * that reaches a read has its row is checked by the runners, which fail a
 * case that counted a miss (tests/support/case_runner.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit.h"
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The fixture's empty graph "t". */
static ir_graph *graph(void **state) { return ((kt_fixture *)*state)->g; }

/* A node of op x -> y without attributes. */
static ir_node *node(ir_graph *g, ir_op op) {
  ir_id x = ir_value_new(g, NULL, NULL), y = ir_value_new(g, NULL, NULL);
  ir_id n = ir_node_new(g, op, NULL, 1, &x, 1, &y);
  assert_int_not_equal(n, IR_NONE);
  return &g->nodes[n];
}

static void test_op_specific_defaults(void **state) {
  ir_graph *g = graph(state);
  const long misses = ir_attr_schema_misses(NULL, NULL);
  assert_true(ir_attr_f(node(g, IR_OP_LeakyRelu), "alpha") == 0.01f);
  assert_true(ir_attr_f(node(g, IR_OP_Elu), "alpha") == 1.0f);
  assert_true(ir_attr_f(node(g, IR_OP_Selu), "alpha") == 1.67326319217681884765625f);
  assert_true(ir_attr_f(node(g, IR_OP_HardSigmoid), "alpha") == 0.2f);
  assert_true(ir_attr_f(node(g, IR_OP_LRN), "alpha") == 1e-4f);
  assert_true(ir_attr_f(node(g, IR_OP_Gemm), "beta") == 1.0f);
  assert_true(ir_attr_f(node(g, IR_OP_LRN), "beta") == 0.75f);
  assert_true(ir_attr_f(node(g, IR_OP_Shrink), "bias") == 0.0f);
  assert_true(ir_attr_f(node(g, IR_OP_LRN), "bias") == 1.0f);
  assert_string_equal(ir_attr_s(node(g, IR_OP_Pad), "mode"), "constant");
  assert_string_equal(ir_attr_s(node(g, IR_OP_Resize), "mode"), "nearest");
  assert_string_equal(ir_attr_s(node(g, IR_OP_DepthToSpace), "mode"), "DCR");
  assert_string_equal(ir_attr_s(node(g, IR_OP_RoiAlign), "mode"), "avg");
  assert_string_equal(ir_attr_s(node(g, IR_OP_ScatterND), "reduction"), "none");
  assert_string_equal(ir_attr_s(node(g, IR_OP_NegativeLogLikelihoodLoss), "reduction"), "mean");
  assert_int_equal(ir_attr_i(node(g, IR_OP_Conv), "group"), 1);
  assert_int_equal(ir_attr_i(node(g, IR_OP_ReduceMean), "keepdims"), 1);
  assert_int_equal(ir_attr_i(node(g, IR_OP_ArgMax), "keepdims"), 1);
  assert_int_equal(ir_attr_i(node(g, IR_OP_LayerNormalization), "stash_type"), KN_F32);
  assert_true(ir_norm_epsilon(node(g, IR_OP_BatchNormalization)) == 1e-5f);
  /* axis through ir_op_axis: the op's row, else 0 */
  assert_int_equal(ir_op_axis(node(g, IR_OP_Softmax)), -1);
  assert_int_equal(ir_op_axis(node(g, IR_OP_Flatten)), 1);
  assert_int_equal(ir_op_axis(node(g, IR_OP_Gather)), 0);
  assert_int_equal(ir_op_axis(node(g, IR_OP_Concat)), 0);
  ir_node *legacy = node(g, IR_OP_Softmax);
  assert_int_equal(ir_attr_set_int(g, legacy, "legacy_coerce_2d", 1), KN_OK);
  assert_int_equal(ir_op_axis(legacy), 1);
  assert_int_equal(ir_attr_schema_misses(NULL, NULL), misses);
}

static void test_present_attribute_wins(void **state) {
  ir_graph *g = graph(state);
  ir_node *lr = node(g, IR_OP_LeakyRelu), *conv = node(g, IR_OP_Conv), *pad = node(g, IR_OP_Pad);
  ir_node *elu = node(g, IR_OP_Elu), *red = node(g, IR_OP_ReduceSum);
  assert_int_equal(ir_attr_set_float(g, lr, "alpha", 0.3f), KN_OK);
  assert_int_equal(ir_attr_set_int(g, conv, "group", 4), KN_OK);
  assert_int_equal(ir_attr_set_string(g, pad, "mode", "reflect", 7), KN_OK);
  assert_int_equal(ir_attr_set_int(g, elu, "alpha", 2), KN_OK);         /* a .kir's alpha=2 */
  assert_int_equal(ir_attr_set_float(g, red, "keepdims", 0.0f), KN_OK); /* converts as ir_attr_int does */
  assert_true(ir_attr_f(lr, "alpha") == 0.3f);
  assert_int_equal(ir_attr_i(conv, "group"), 4);
  assert_string_equal(ir_attr_s(pad, "mode"), "reflect");
  assert_true(ir_attr_f(elu, "alpha") == 2.0f);
  assert_int_equal(ir_attr_i(red, "keepdims"), 0);
  /* an attribute of another type than read falls back to the default */
  ir_node *gelu = node(g, IR_OP_Gelu);
  assert_int_equal(ir_attr_set_int(g, gelu, "approximate", 1), KN_OK);
  assert_string_equal(ir_attr_s(gelu, "approximate"), "none");
}

static void test_missing_default_counted(void **state) {
  ir_graph *g = graph(state);
  const long misses = ir_attr_schema_misses(NULL, NULL);
  /* required by ONNX: no default */
  assert_int_equal(ir_attr_i(node(g, IR_OP_DepthToSpace), "blocksize"), 0);
  int op = -1;
  const char *name = NULL;
  long now = ir_attr_schema_misses(&op, &name);
  assert_int_equal(now, misses + 1);
  if (misses == 0) { /* the first miss is the one remembered */
    assert_int_equal(op, IR_OP_DepthToSpace);
    assert_string_equal(name, "blocksize");
  }
  assert_string_equal(ir_attr_s(node(g, IR_OP_BitShift), "direction"), "");
  assert_true(ir_attr_f(node(g, IR_OP_Relu), "alpha") == 0.0f); /* alpha differs by op: Relu has none */
  assert_int_equal(ir_attr_schema_misses(NULL, NULL), misses + 3);
}

/* An older opset's row holds up to its opset only; the IR form (0) and the
 * frontend's unknown ops (-1) get the row for every op. */
static void test_opset_rows(void **state) {
  (void)state;
  assert_int_equal(ir_attr_schema_find(IR_OP_Cast, "to", 5)->kind, IR_ATTR_STRING);
  assert_int_equal(ir_attr_schema_find(IR_OP_Cast, "to", 6)->kind, IR_ATTR_INT);
  assert_int_equal(ir_attr_schema_find(IR_OP_Cast, "to", 0)->kind, IR_ATTR_INT);
  assert_int_equal(ir_attr_schema_find(IR_OP_LpPool, "p", 1)->kind, IR_ATTR_FLOAT);
  const ir_attr_schema *p = ir_attr_schema_find(IR_OP_LpPool, "p", 0);
  assert_int_equal(p->kind, IR_ATTR_INT);
  assert_true(p->has_default && p->i == 2);
  assert_int_equal(ir_attr_schema_find(-1, "alpha", 13)->kind, IR_ATTR_FLOAT);
  assert_false(ir_attr_schema_find(-1, "alpha", 13)->has_default);
  assert_null(ir_attr_schema_find(IR_OP_Relu, "no_such_attribute", 0));
}

static void test_rows_well_formed(void **state) {
  (void)state;
  size_t n = 0;
  const ir_attr_schema *rows = ir_attr_schema_rows(&n);
  assert_true(n > 50);
  for (size_t i = 0; i < n; i++) {
    const ir_attr_schema *r = &rows[i];
    assert_true(r->op == IR_ATTR_ANY_OP || (r->op >= 0 && r->op < IR_OP_COUNT));
    assert_true(r->kind >= IR_ATTR_FLOAT && r->kind <= IR_ATTR_STRINGS);
    if (r->has_default) {
      assert_true(r->kind == IR_ATTR_INT || r->kind == IR_ATTR_FLOAT || r->kind == IR_ATTR_STRING);
      if (r->kind == IR_ATTR_STRING) assert_non_null(r->s);
      assert_int_equal(r->until, 0); /* defaults are the IR form's */
    }
    for (size_t j = i + 1; j < n; j++)
      if (strcmp(r->name, rows[j].name) == 0 && r->op == rows[j].op && r->until == rows[j].until)
        fail_msg("two rows for attribute %s of op %d", r->name, r->op);
    /* an op's own row of every opset has the type ONNX gives the name elsewhere */
    const ir_attr_schema *any = ir_attr_schema_find(IR_ATTR_ANY_OP, r->name, 0);
    if (r->op != IR_ATTR_ANY_OP && r->until == 0 && any && any->kind != r->kind)
      fail_msg("attribute %s of %s is %d, elsewhere %d", r->name, ir_op_table[r->op].name, r->kind, any->kind);
  }
}

/* ---- every name read through ir_attr_i/f/s has a default row ---- */

static bool has_default_row(const char *name) {
  size_t n = 0;
  const ir_attr_schema *rows = ir_attr_schema_rows(&n);
  for (size_t i = 0; i < n; i++)
    if (rows[i].has_default && strcmp(rows[i].name, name) == 0) return true;
  return false;
}

/* Checks the literal names of the typed reads in file path; counts them. */
static void scan_file(const char *path, int *reads) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *s = malloc((size_t)len + 1);
  assert_non_null(s);
  assert_int_equal(fread(s, 1, (size_t)len, f), (size_t)len);
  s[len] = 0;
  fclose(f);
  for (const char *p = s; (p = strstr(p, "ir_attr_")) != NULL; p++) {
    char kind = p[8];
    if ((kind != 'i' && kind != 'f' && kind != 's') || p[9] != '(') continue;
    const char *q = strchr(p, ',');
    if (!q || q[1] != ' ' || q[2] != '"') continue; /* the declaration, or a name held in a variable */
    const char *name = q + 3, *end = strchr(name, '"');
    assert_non_null(end);
    char buf[64];
    snprintf(buf, sizeof buf, "%.*s", (int)(end - name), name);
    if (!has_default_row(buf)) fail_msg("%s reads attribute %s, which has no default in ir/attr_schema.c", path, buf);
    (*reads)++;
  }
  free(s);
}

static void scan_dir(const char *dir, int *reads) {
  DIR *d = opendir(dir);
  assert_non_null(d);
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    size_t len = strlen(e->d_name);
    DIR *sub = opendir(path);
    if (sub) {
      closedir(sub);
      scan_dir(path, reads);
    } else if (len > 2 && strcmp(e->d_name + len - 2, ".c") == 0) {
      scan_file(path, reads);
    }
  }
  closedir(d);
}

static void test_sources_read_defaults(void **state) {
  (void)state;
  int reads = 0;
  const char *dirs[] = {"ir", "passes", "codegen", "runtime"};
  for (int i = 0; i < 4; i++) scan_dir(dirs[i], &reads);
  assert_true(reads > 100); /* the scan found the typed reads */
}

KT_MAIN(KT_TEST(test_op_specific_defaults), KT_TEST(test_present_attribute_wins), KT_TEST(test_missing_default_counted),
        cmocka_unit_test(test_opset_rows), cmocka_unit_test(test_rows_well_formed),
        cmocka_unit_test(test_sources_read_defaults))
