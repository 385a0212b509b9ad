/* test_custom_op.c: custom ops (ir/custom_op.c): the signature grammar and
 * its errors; an ONNX model with an op kiln does not know, imported as Custom
 * only when registered; the reference executor (libffi) and the JIT (a direct
 * call) computing the same as the functions do by hand; a failing function's
 * error; the text IR round trip. The functions are in the shared library
 * tests/custom_op/swish.c (KILN_TEST_CUSTOMOP_LIB).
 * `test_custom_op --write-onnx PATH` writes the test model for the CLI test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ir_text.h"
#include "frontend.h"
#include "unit.h"
#include "onnx.pb-c.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SWISH_SIG "void kiln_test_swish(in0, numel(in0), out0, attr_f(beta))"
#define SCALE_SIG "int kiln_test_checked_scale(in0, dim(in0, 0), dim(in0, 1), out0, attr_i(factor))"

/* model: x [2, 5] -> MySwish (domain com.example, beta 1.5) -> y -> Relu -> z */
static uint8_t *swish_model(size_t *len) {
  KilnOnnx__AttributeProto beta = KILN_ONNX__ATTRIBUTE_PROTO__INIT, *attrs[1] = {&beta};
  beta.name = "beta";
  beta.has_type = 1, beta.type = KILN_ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
  beta.has_f = 1, beta.f = 1.5f;
  char *x = "x", *y = "y", *z = "z";
  KilnOnnx__NodeProto n1 = KILN_ONNX__NODE_PROTO__INIT, n2 = KILN_ONNX__NODE_PROTO__INIT, *nodes[2] = {&n1, &n2};
  n1.n_input = 1, n1.input = &x, n1.n_output = 1, n1.output = &y, n1.name = "swish", n1.op_type = "MySwish";
  n1.domain = "com.example", n1.n_attribute = 1, n1.attribute = attrs;
  n2.n_input = 1, n2.input = &y, n2.n_output = 1, n2.output = &z, n2.name = "relu", n2.op_type = "Relu";
  KilnOnnx__TensorShapeProto__Dimension d0 = KILN_ONNX__TENSOR_SHAPE_PROTO__DIMENSION__INIT,
                                        d1 = KILN_ONNX__TENSOR_SHAPE_PROTO__DIMENSION__INIT, *dims[2] = {&d0, &d1};
  d0.value_case = d1.value_case = KILN_ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
  d0.dim_value = 2, d1.dim_value = 5;
  KilnOnnx__TensorShapeProto shape = KILN_ONNX__TENSOR_SHAPE_PROTO__INIT;
  shape.n_dim = 2, shape.dim = dims;
  KilnOnnx__TypeProto__Tensor tt = KILN_ONNX__TYPE_PROTO__TENSOR__INIT;
  tt.has_elem_type = 1, tt.elem_type = 1, tt.shape = &shape;
  KilnOnnx__TypeProto type = KILN_ONNX__TYPE_PROTO__INIT;
  type.value_case = KILN_ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE, type.tensor_type = &tt;
  KilnOnnx__ValueInfoProto vin = KILN_ONNX__VALUE_INFO_PROTO__INIT, vout = KILN_ONNX__VALUE_INFO_PROTO__INIT;
  KilnOnnx__ValueInfoProto *ins[1] = {&vin}, *outs[1] = {&vout};
  vin.name = x, vin.type = &type, vout.name = z, vout.type = &type;
  KilnOnnx__GraphProto g = KILN_ONNX__GRAPH_PROTO__INIT;
  g.name = "custom", g.n_node = 2, g.node = nodes, g.n_input = 1, g.input = ins, g.n_output = 1, g.output = outs;
  KilnOnnx__OperatorSetIdProto os = KILN_ONNX__OPERATOR_SET_ID_PROTO__INIT, *oss[1] = {&os};
  os.domain = "", os.has_version = 1, os.version = 17;
  KilnOnnx__ModelProto m = KILN_ONNX__MODEL_PROTO__INIT;
  m.has_ir_version = 1, m.ir_version = 8, m.n_opset_import = 1, m.opset_import = oss, m.graph = &g;
  *len = kiln_onnx__model_proto__get_packed_size(&m);
  uint8_t *buf = malloc(*len);
  kiln_onnx__model_proto__pack(&m, buf);
  return buf;
}

static void test_signature_grammar(void **state) {
  kn_ctx *kn = kt_kn(state);
  ir_custom_sig s;
  assert_int_equal(ir_custom_sig_parse(kn, SCALE_SIG, &s), KN_OK);
  assert_true(s.returns_int);
  assert_string_equal(s.symbol, "kiln_test_checked_scale");
  assert_int_equal(s.nargs, 5);
  assert_int_equal(s.args[1].kind, IR_CARG_DIM);
  assert_int_equal(s.args[2].dim, 1);
  assert_int_equal(s.args[3].kind, IR_CARG_OUT);
  assert_int_equal(s.args[4].kind, IR_CARG_ATTR_I);
  assert_string_equal(s.args[4].attr, "factor");
  assert_int_equal(ir_custom_sig_parse(kn, "void f()", &s), KN_OK);
  assert_int_equal(s.nargs, 0);
  static const char *const bad[][2] = {{"float f(in0)", "return type"},    {"void (in0)", "SYMBOL("},
                                       {"void f(in0 out0)", "expected ','"}, {"void f(size(in0))", "unknown argument"},
                                       {"void f(dim(in0))", "dim number"},   {"void f(in0) extra", "at the end"},
                                       {"void f(numel(x))", "inK or outK"}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_int_not_equal(ir_custom_sig_parse(kn, bad[i][0], &s), KN_OK);
    if (!strstr(kn_errmsg(kn), bad[i][1])) fail_msg("'%s': %s", bad[i][0], kn_errmsg(kn));
  }
  ir_custom_ops *reg = ir_custom_ops_new();
  assert_non_null(reg);
  assert_int_not_equal(ir_custom_register(kn, reg, "MySwish=" SWISH_SIG), KN_OK); /* no LIB: */
  assert_int_not_equal(ir_custom_register(kn, reg, "Relu=lib.so:" SWISH_SIG), KN_OK);
  assert_non_null(strstr(kn_errmsg(kn), "kiln implements Relu"));
  assert_false(ir_custom_registered(reg, "MySwish"));
  ir_custom_ops_free(reg);
}

static void expect_swish(const kn_tensor *in, const kn_tensor *out) {
  const float *x = in->data, *z = out->data;
  for (int64_t i = 0; i < kn_tensor_numel(in); i++) {
    float want = x[i] / (1.0f + expf(-1.5f * x[i]));
    want = want > 0 ? want : 0; /* the Relu after it */
    assert_float_equal(z[i], want, 1e-6);
  }
}

static void run_engines(kn_ctx *kn, const ir_custom_ops *reg, const uint8_t *buf, size_t len) {
  kn_tensor in, out;
  int64_t dims[2] = {2, 5};
  assert_int_equal(kn_tensor_alloc(kn, &in, KN_F32, 2, dims), KN_OK);
  for (int i = 0; i < 10; i++) ((float *)in.data)[i] = (float)i - 4.5f;
  ir_graph *g = NULL;
  /* the reference executor: libffi */
  assert_int_equal(onnx_import_buffer_with(kn, buf, len, NULL, "custom.onnx", reg, &g), KN_OK);
  kt_ref_run(kn, g, &in, &out, 1);
  expect_swish(&in, &out);
  kn_tensor_free(&out);
  /* the JIT: a direct call */
  cg_options co = {.opt_level = 2, .no_cache = true, .threads = 1};
  cg_model *m = kt_jit_compile(kn, g, NULL, &co);
  cg_stats st;
  cg_model_stats(m, &st);
  assert_int_equal(st.fallback_nodes, 0);
  kt_jit_run(kn, m, &in, 1, &out, 1);
  expect_swish(&in, &out);
  kn_tensor_free(&out);
  cg_model_free(m);
  kn_tensor_free(&in);
}

static void test_onnx_custom_op(void **state) {
  size_t len;
  uint8_t *buf = swish_model(&len);
  kn_ctx *kn = kt_kn(state);
  ir_graph *g = NULL;
  /* unregistered: the importer refuses the unknown op, naming its domain */
  assert_int_not_equal(onnx_import_buffer(kn, buf, len, NULL, "custom.onnx", &g), KN_OK);
  assert_non_null(strstr(kn_errmsg(kn), "com.example"));
  ir_custom_ops *reg = ir_custom_ops_new();
  assert_int_equal(ir_custom_register(kn, reg, "MySwish=" KILN_TEST_CUSTOMOP_LIB ":" SWISH_SIG), KN_OK);
  assert_int_equal(onnx_import_buffer_with(kn, buf, len, NULL, "custom.onnx", reg, &g), KN_OK);
  const ir_node *n = &g->nodes[0];
  assert_int_equal(n->op, IR_OP_Custom);
  assert_string_equal(ir_attr_str(n, "op_type", ""), "MySwish");
  assert_float_equal(ir_attr_float(n, "beta", 0), 1.5f, 0);
  /* the text form keeps everything */
  char *text = ir_print(g, NULL);
  ir_graph *back = NULL;
  assert_int_equal(ir_parse(kn, text, "t.kir", &back), KN_OK);
  char *again = ir_print(back, NULL);
  assert_string_equal(text, again);
  free(text), free(again);
  ir_graph_free(back);
  ir_graph_free(g);
  run_engines(kn, reg, buf, len);
  ir_custom_ops_free(reg);
  /* a library without the function, on the reference executor and the JIT */
  kn_ctx *kn2 = kn_ctx_new();
  ir_custom_ops *reg2 = ir_custom_ops_new();
  assert_int_equal(ir_custom_register(kn2, reg2, "MySwish=" KILN_TEST_CUSTOMOP_LIB ":void no_such_fn(in0, out0)"), KN_OK);
  assert_int_equal(onnx_import_buffer_with(kn2, buf, len, NULL, "custom.onnx", reg2, &g), KN_OK);
  ir_custom_ops_free(reg2);
  cg_options co = {.opt_level = 2, .no_cache = true, .threads = 1};
  cg_model *m = NULL;
  const int declared[1] = {-1};
  assert_int_not_equal(cg_compile(kn2, g, declared, (const int64_t[1][KN_MAX_RANK]){{0}}, &co, &m), KN_OK);
  assert_non_null(strstr(kn_errmsg(kn2), "no function no_such_fn"));
  kn_ctx_free(kn2);
  free(buf);
}

/* A function that returns nonzero: both engines report it and fail the run. */
static void test_failing_function(void **state) {
  kn_ctx *kn = kt_kn(state);
  char text[1024];
  snprintf(text, sizeof text,
           "graph t {\n input x: f32[3, 4]\n y = Custom(x) {op_type=\"CheckedScale\", library=\"%s\", "
           "signature=\"%s\", factor=2}\n output y\n}\n",
           KILN_TEST_CUSTOMOP_LIB, SCALE_SIG);
  kn_tensor in, out;
  int64_t dims[2] = {3, 4};
  assert_int_equal(kn_tensor_alloc(kn, &in, KN_F32, 2, dims), KN_OK);
  for (int i = 0; i < 12; i++) ((float *)in.data)[i] = (float)i;
  for (int engine = 0; engine < 2; engine++) {
    ir_graph *g = kt_parse(kn, text);
    cg_options co = {.opt_level = 2, .no_cache = true, .threads = 1};
    cg_model *m = engine == 1 ? kt_jit_compile(kn, g, NULL, &co) : NULL;
    kn_status st = engine ? cg_run(m, &in, 1, &out, 1) : ref_run_graph(kn, g, &in, 1, &out, 1);
    assert_int_equal(st, KN_OK);
    for (int i = 0; i < 12; i++) assert_float_equal(((float *)out.data)[i], (float)i * 2.0f * (float)(i / 4 + 1), 0);
    kn_tensor_free(&out);
    ((float *)in.data)[5] = NAN;
    st = engine ? cg_run(m, &in, 1, &out, 1) : ref_run_graph(kn, g, &in, 1, &out, 1);
    assert_int_equal(st, KN_EINVAL);
    if (!strstr(kn_errmsg(kn), "kiln_test_checked_scale returned 3")) fail_msg("%s", kn_errmsg(kn));
    ((float *)in.data)[5] = 5.0f;
    if (m) cg_model_free(m);
    else ir_graph_free(g);
  }
  kn_tensor_free(&in);
}

int main(int argc, char **argv) {
  if (argc == 3 && !strcmp(argv[1], "--write-onnx")) {
    size_t len;
    uint8_t *buf = swish_model(&len);
    FILE *f = fopen(argv[2], "wb");
    int ok = f && fwrite(buf, 1, len, f) == len;
    if (f) ok &= fclose(f) == 0;
    free(buf);
    return ok ? 0 : 1;
  }
  const struct CMUnitTest tests[] = {
      KT_TEST(test_signature_grammar),
      KT_TEST(test_onnx_custom_op),
      KT_TEST(test_failing_function),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
