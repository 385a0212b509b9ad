/* test_frontend_invalid_graph.c: well-formed protobuf that is invalid ONNX,
 * which ONNX Runtime refuses, is refused on import with an error naming the
 * node and the value or attribute: a value name defined twice (two nodes with
 * one output name, a node output named like a graph input or an initializer,
 * a graph input listed twice, in the main graph or a subgraph) and attributes
 * of the wrong type (a Softmax axis given as FLOAT or STRING); while the valid
 * look-alikes (an initializer listed as a graph input, several absent optional
 * outputs, attributes of the right type) import and compute what they should.
 * Models are built in memory with the generated protobuf-c structs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "onnx_proto.h"
#include "ref.h"
#include "unit.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a small graph builder: nodes of up to 3 inputs, 3 outputs, 2 attributes ---- */
typedef struct attr_spec {
  const char *name;
  int type; /* KILN_ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__* */
  int64_t i;
  float f;
  const char *s;
  const KilnOnnx__GraphProto *g;
} attr_spec;

typedef struct node_spec {
  const char *name, *op;
  const char *in[3], *out[3]; /* NULL ends the list; "" is an absent optional */
  attr_spec attrs[2];
} node_spec;

enum { MAXN = 4 };
typedef struct graph_spec {
  const char *inputs[3];       /* f32[2, 3] each */
  const char *initializers[2]; /* f32[2, 3], values 10 * element index */
  const char *outputs[2];
  node_spec nodes[MAXN];
} graph_spec;

/* storage for one built GraphProto (everything points into it) */
typedef struct graph_store {
  KilnOnnx__GraphProto g;
  KilnOnnx__TensorShapeProto__Dimension d[2], *dp[2];
  KilnOnnx__TensorShapeProto sh;
  KilnOnnx__TypeProto__Tensor tt;
  KilnOnnx__TypeProto tp;
  KilnOnnx__ValueInfoProto in[3], out[2], *inp[3], *outp[2];
  KilnOnnx__TensorProto init[2], *initp[2];
  float init_data[2][6];
  int64_t init_dims[2];
  KilnOnnx__NodeProto nodes[MAXN], *nodep[MAXN];
  KilnOnnx__AttributeProto attrs[MAXN][2], *attrp[MAXN][2];
} graph_store;

static size_t count(const char *const *list, size_t max) {
  size_t n = 0;
  while (n < max && list[n]) n++;
  return n;
}

static void build_graph(const graph_spec *s, graph_store *st) {
  memset(st, 0, sizeof *st);
  KilnOnnx__GraphProto g = KILN_ONNX__GRAPH_PROTO__INIT;
  st->g = g;
  st->g.name = "g";
  for (int k = 0; k < 2; k++) {
    KilnOnnx__TensorShapeProto__Dimension d = KILN_ONNX__TENSOR_SHAPE_PROTO__DIMENSION__INIT;
    st->d[k] = d;
    st->d[k].value_case = KILN_ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
    st->d[k].dim_value = k ? 3 : 2;
    st->dp[k] = &st->d[k];
  }
  KilnOnnx__TensorShapeProto sh = KILN_ONNX__TENSOR_SHAPE_PROTO__INIT;
  st->sh = sh;
  st->sh.n_dim = 2;
  st->sh.dim = st->dp;
  KilnOnnx__TypeProto__Tensor tt = KILN_ONNX__TYPE_PROTO__TENSOR__INIT;
  st->tt = tt;
  st->tt.has_elem_type = 1;
  st->tt.elem_type = KN_F32;
  st->tt.shape = &st->sh;
  KilnOnnx__TypeProto tp = KILN_ONNX__TYPE_PROTO__INIT;
  st->tp = tp;
  st->tp.value_case = KILN_ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
  st->tp.tensor_type = &st->tt;
  size_t nin = count(s->inputs, 3), nout = count(s->outputs, 2), ninit = count(s->initializers, 2);
  for (size_t i = 0; i < nin; i++) {
    KilnOnnx__ValueInfoProto vi = KILN_ONNX__VALUE_INFO_PROTO__INIT;
    st->in[i] = vi;
    st->in[i].name = (char *)s->inputs[i];
    st->in[i].type = &st->tp;
    st->inp[i] = &st->in[i];
  }
  for (size_t i = 0; i < nout; i++) {
    KilnOnnx__ValueInfoProto vi = KILN_ONNX__VALUE_INFO_PROTO__INIT;
    st->out[i] = vi;
    st->out[i].name = (char *)s->outputs[i];
    st->outp[i] = &st->out[i];
  }
  st->init_dims[0] = 2, st->init_dims[1] = 3;
  for (size_t i = 0; i < ninit; i++) {
    KilnOnnx__TensorProto t = KILN_ONNX__TENSOR_PROTO__INIT;
    st->init[i] = t;
    st->init[i].name = (char *)s->initializers[i];
    st->init[i].n_dims = 2;
    st->init[i].dims = st->init_dims;
    st->init[i].has_data_type = 1;
    st->init[i].data_type = KN_F32;
    for (int k = 0; k < 6; k++) st->init_data[i][k] = 10.0f * (float)k;
    st->init[i].n_float_data = 6;
    st->init[i].float_data = st->init_data[i];
    st->initp[i] = &st->init[i];
  }
  st->g.n_input = nin, st->g.input = st->inp;
  st->g.n_output = nout, st->g.output = st->outp;
  st->g.n_initializer = ninit, st->g.initializer = st->initp;
  size_t nn = 0;
  while (nn < MAXN && s->nodes[nn].op) nn++;
  for (size_t i = 0; i < nn; i++) {
    const node_spec *ns = &s->nodes[i];
    KilnOnnx__NodeProto np = KILN_ONNX__NODE_PROTO__INIT;
    st->nodes[i] = np;
    st->nodes[i].name = (char *)ns->name;
    st->nodes[i].op_type = (char *)ns->op;
    st->nodes[i].n_input = count(ns->in, 3);
    st->nodes[i].input = (char **)ns->in;
    st->nodes[i].n_output = count(ns->out, 3);
    st->nodes[i].output = (char **)ns->out;
    size_t na = 0;
    while (na < 2 && ns->attrs[na].name) {
      const attr_spec *as = &ns->attrs[na];
      KilnOnnx__AttributeProto ap = KILN_ONNX__ATTRIBUTE_PROTO__INIT, *a = &st->attrs[i][na];
      *a = ap;
      a->name = (char *)as->name;
      a->has_type = 1;
      a->type = as->type;
      if (as->type == KILN_ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT) a->has_i = 1, a->i = as->i;
      if (as->type == KILN_ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT) a->has_f = 1, a->f = as->f;
      if (as->type == KILN_ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING)
        a->has_s = 1, a->s.data = (uint8_t *)as->s, a->s.len = strlen(as->s);
      if (as->type == KILN_ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH) a->g = (KilnOnnx__GraphProto *)as->g;
      st->attrp[i][na] = a;
      na++;
    }
    st->nodes[i].n_attribute = na;
    st->nodes[i].attribute = st->attrp[i];
    st->nodep[i] = &st->nodes[i];
  }
  st->g.n_node = nn, st->g.node = st->nodep;
}

typedef struct built {
  uint8_t *buf;
  size_t len;
} built;

static built pack_model(KilnOnnx__GraphProto *g) {
  KilnOnnx__ModelProto m = KILN_ONNX__MODEL_PROTO__INIT;
  KilnOnnx__OperatorSetIdProto os = KILN_ONNX__OPERATOR_SET_ID_PROTO__INIT, *osp = &os;
  os.domain = "";
  os.has_version = 1;
  os.version = 17;
  m.n_opset_import = 1;
  m.opset_import = &osp;
  m.has_ir_version = 1;
  m.ir_version = 8;
  m.graph = g;
  built b;
  b.len = kiln_onnx__model_proto__get_packed_size(&m);
  b.buf = malloc(b.len);
  assert_non_null(b.buf);
  kiln_onnx__model_proto__pack(&m, b.buf);
  return b;
}

static built build(const graph_spec *s) {
  graph_store *st = malloc(sizeof *st);
  assert_non_null(st);
  build_graph(s, st);
  built b = pack_model(&st->g);
  free(st);
  return b;
}

static void expect_refused(const graph_spec *s, const char *message) {
  built b = build(s);
  kn_ctx *kn = kn_ctx_new();
  ir_graph *g = NULL;
  kn_status st = onnx_import_buffer(kn, b.buf, b.len, NULL, "invalid.onnx", &g);
  if (st != KN_EINVAL || !strstr(kn_errmsg(kn), message)) print_message("status %d: %s\n", st, kn_errmsg(kn));
  assert_int_equal(st, KN_EINVAL);
  assert_non_null(strstr(kn_errmsg(kn), message));
  assert_non_null(strstr(kn_errmsg(kn), "invalid.onnx: "));
  assert_null(g);
  kn_ctx_free(kn);
  free(b.buf);
}

/* Imports s and runs it on the reference executor with inputs x[k] = k + 1
 * (every graph input), returning output 0 in *y. */
static void import_and_run(const graph_spec *s, kn_tensor *y) {
  built b = build(s);
  kn_ctx *kn = kn_ctx_new();
  ir_graph *g = NULL;
  if (onnx_import_buffer(kn, b.buf, b.len, NULL, "valid.onnx", &g) != KN_OK) print_message("%s\n", kn_errmsg(kn));
  assert_non_null(g);
  kn_tensor in[3];
  int64_t dims[2] = {2, 3};
  int nin = g->ninputs;
  for (int i = 0; i < nin; i++) {
    ir_id v = g->inputs[i];
    if (g->values[v].constant) { /* an initializer's default */
      nin = i;
      break;
    }
    assert_int_equal(kn_tensor_alloc(kn, &in[i], KN_F32, 2, dims), KN_OK);
    for (int k = 0; k < 6; k++) ((float *)in[i].data)[k] = (float)(k + 1);
  }
  if (ref_run_graph(kn, g, in, nin, y, 1) != KN_OK) print_message("%s\n", kn_errmsg(kn));
  assert_non_null(y->data);
  for (int i = 0; i < nin; i++) kn_tensor_free(&in[i]);
  ir_graph_free(g);
  kn_ctx_free(kn);
  free(b.buf);
}

#define INT_ATTR(nm, v) {.name = nm, .type = KILN_ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT, .i = v}
#define FLOAT_ATTR(nm, v) {.name = nm, .type = KILN_ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT, .f = v}
#define STRING_ATTR(nm, v) {.name = nm, .type = KILN_ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING, .s = v}

/* two nodes writing one name: the last used to win silently */
static void test_duplicate_node_outputs(void **state) {
  (void)state;
  graph_spec s = {.inputs = {"X"},
                  .outputs = {"Y"},
                  .nodes = {{"first", "Relu", {"X"}, {"h"}},
                            {"second", "Neg", {"X"}, {"h"}},
                            {"last", "Identity", {"h"}, {"Y"}}}};
  expect_refused(&s, "node second (Neg): output 'h' is already the output of node first (Relu)");
  /* unnamed nodes are named by op type and position */
  s.nodes[0].name = s.nodes[1].name = NULL;
  expect_refused(&s, "node Neg_1 (Neg): output 'h' is already the output of node Relu_0 (Relu)");
  /* one node listing a name twice */
  graph_spec twice = {.inputs = {"X"},
                      .outputs = {"Y"},
                      .nodes = {{"split", "Split", {"X"}, {"a", "a"}, {INT_ATTR("axis", 0)}},
                                {"last", "Identity", {"a"}, {"Y"}}}};
  expect_refused(&twice, "node split (Split): output 'a' is listed twice");
  /* Constant nodes are nodes too */
  graph_spec consts = {.inputs = {"X"},
                       .initializers = {"W"},
                       .outputs = {"Y"},
                       .nodes = {{"k", "Constant", {NULL}, {"W"}, {FLOAT_ATTR("value_float", 1.0f)}},
                                 {"add", "Add", {"X", "W"}, {"Y"}}}};
  expect_refused(&consts, "node k (Constant): output 'W' has the name of an initializer");
}

static void test_output_named_like_input_or_initializer(void **state) {
  (void)state;
  graph_spec s = {.inputs = {"X"}, .outputs = {"X"}, .nodes = {{"relu", "Relu", {"X"}, {"X"}}}};
  expect_refused(&s, "node relu (Relu): output 'X' has the name of a graph input");
  graph_spec w = {.inputs = {"X"},
                  .initializers = {"W"},
                  .outputs = {"Y"},
                  .nodes = {{"relu", "Relu", {"X"}, {"W"}}, {"add", "Add", {"X", "W"}, {"Y"}}}};
  expect_refused(&w, "node relu (Relu): output 'W' has the name of an initializer");
  /* an initializer that is also a graph input counts as a graph input */
  w.inputs[1] = "W";
  expect_refused(&w, "node relu (Relu): output 'W' has the name of a graph input");
}

static void test_duplicate_graph_inputs(void **state) {
  (void)state;
  graph_spec s = {.inputs = {"X", "X"}, .outputs = {"Y"}, .nodes = {{"add", "Add", {"X", "X"}, {"Y"}}}};
  expect_refused(&s, "graph g: input 'X' is listed twice");
  /* the same with an initializer of that name (still one name listed twice) */
  graph_spec w = {.inputs = {"X", "W", "W"},
                  .initializers = {"W"},
                  .outputs = {"Y"},
                  .nodes = {{"add", "Add", {"X", "W"}, {"Y"}}}};
  expect_refused(&w, "graph g: input 'W' is listed twice");
}

/* the same rules hold inside an If branch, and the error names the If node too */
static void test_duplicates_in_subgraph(void **state) {
  (void)state;
  graph_spec branch = {.outputs = {"b"},
                       .nodes = {{"inner1", "Relu", {"X"}, {"b"}}, {"inner2", "Neg", {"X"}, {"b"}}}};
  graph_store *bs = malloc(sizeof *bs);
  assert_non_null(bs);
  build_graph(&branch, bs);
  bs->g.name = "then";
  graph_spec s = {.inputs = {"X"},
                  .initializers = {"C"},
                  .outputs = {"Y"},
                  .nodes = {{"cond", "ReduceMin", {"C"}, {"m"}, {INT_ATTR("keepdims", 0)}},
                            {"tobool", "Cast", {"m"}, {"c"}, {INT_ATTR("to", KN_BOOL)}},
                            {"if", "If", {"c"}, {"Y"},
                             {{.name = "then_branch", .type = KILN_ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH, .g = &bs->g},
                              {.name = "else_branch", .type = KILN_ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH, .g = &bs->g}}}}};
  expect_refused(&s, "node if (If): node inner2 (Neg): output 'b' is already the output of node inner1 (Relu)");
  /* fixed, the branch imports and runs (both branches are Relu(X)) */
  branch.nodes[1].op = NULL;
  build_graph(&branch, bs);
  bs->g.name = "then";
  kn_tensor y;
  import_and_run(&s, &y);
  assert_float_equal(((float *)y.data)[5], 6.0f, 0.0f);
  kn_tensor_free(&y);
  free(bs);
}

/* what must keep working: an initializer listed as a graph input (older IR
 * versions list every initializer), absent optional outputs in several nodes */
static void test_valid_lookalikes_import(void **state) {
  (void)state;
  graph_spec s = {.inputs = {"X", "W"},
                  .initializers = {"W"},
                  .outputs = {"Y"},
                  .nodes = {{"d1", "Dropout", {"X"}, {"a", ""}},
                            {"d2", "Dropout", {"W"}, {"b", ""}},
                            {"add", "Add", {"a", "b"}, {"Y"}}}};
  kn_tensor y;
  import_and_run(&s, &y); /* X + W with W's default 10 * k */
  for (int k = 0; k < 6; k++) assert_float_equal(((float *)y.data)[k], (float)(k + 1) + 10.0f * (float)k, 0.0f);
  kn_tensor_free(&y);
}

/* Softmax over [[1,2,3],[4,5,6]]: axis 0 gives 1/(1+e^3) at [0][0], axis -1
 * (the default) gives 1/(1+e+e^2) */
static void test_attribute_types(void **state) {
  (void)state;
  graph_spec s = {.inputs = {"X"},
                  .outputs = {"Y"},
                  .nodes = {{"sm", "Softmax", {"X"}, {"Y"}, {INT_ATTR("axis", 0)}}}};
  kn_tensor y;
  import_and_run(&s, &y);
  assert_float_equal(((float *)y.data)[0], 1.0 / (1.0 + exp(3.0)), 1e-6);
  kn_tensor_free(&y);
  s.nodes[0].attrs[0] = (attr_spec)FLOAT_ATTR("axis", 0.0f);
  expect_refused(&s, "node sm (Softmax): attribute 'axis' is FLOAT, but Softmax expects INT");
  s.nodes[0].attrs[0] = (attr_spec)STRING_ATTR("axis", "0");
  expect_refused(&s, "node sm (Softmax): attribute 'axis' is STRING, but Softmax expects INT");
  graph_spec gemm = {.inputs = {"A", "B"},
                     .outputs = {"Y"},
                     .nodes = {{"mm", "Gemm", {"A", "B"}, {"Y"}, {INT_ATTR("transB", 1), INT_ATTR("alpha", 2)}}}};
  expect_refused(&gemm, "node mm (Gemm): attribute 'alpha' is INT, but Gemm expects FLOAT");
  gemm.nodes[0].attrs[0] = (attr_spec)FLOAT_ATTR("transB", 1.0f);
  gemm.nodes[0].attrs[1] = (attr_spec)FLOAT_ATTR("alpha", 2.0f);
  expect_refused(&gemm, "node mm (Gemm): attribute 'transB' is FLOAT, but Gemm expects INT");
  graph_spec cast = {.inputs = {"X"},
                     .outputs = {"Y"},
                     .nodes = {{"c", "Cast", {"X"}, {"Y"}, {STRING_ATTR("to", "INT64")}}}};
  expect_refused(&cast, "node c (Cast): attribute 'to' is STRING, but Cast expects INT");
  graph_spec k = {.inputs = {"X"},
                  .outputs = {"Y"},
                  .nodes = {{"k", "Constant", {NULL}, {"K"}, {INT_ATTR("value_float", 3)}},
                            {"add", "Add", {"X", "K"}, {"Y"}}}};
  expect_refused(&k, "node k (Constant): attribute 'value_float' is INT, but Constant expects FLOAT");
  k.nodes[0].attrs[0] = (attr_spec)FLOAT_ATTR("value_float", 3.0f);
  import_and_run(&k, &y);
  assert_float_equal(((float *)y.data)[5], 9.0f, 0.0f);
  kn_tensor_free(&y);
}

KT_MAIN(cmocka_unit_test(test_duplicate_node_outputs), cmocka_unit_test(test_output_named_like_input_or_initializer),
        cmocka_unit_test(test_duplicate_graph_inputs), cmocka_unit_test(test_duplicates_in_subgraph),
        cmocka_unit_test(test_valid_lookalikes_import), cmocka_unit_test(test_attribute_types))
