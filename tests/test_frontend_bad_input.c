/* test_frontend_bad_input.c: malformed and hostile model files must give one
 * clear error naming the file/node/op, never a crash. Models are built in
 * memory with the generated protobuf-c structs, then corrupted on purpose. */
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
#include <sys/stat.h>
#include <unistd.h>

/* ---- a tiny model builder: Y = Op(X, W) with one initializer ---- */
typedef struct built {
  uint8_t *buf;
  size_t len;
} built;

typedef struct spec {
  const char *op;
  int opset;
  const char *domain;
  int64_t wdims[2];
  int wrank;
  int wdtype;
  size_t wraw_bytes; /* raw_data length (may be wrong on purpose) */
  const char *ext_location; /* external data instead of raw */
  int64_t ext_offset, ext_length;
  const char *node_input1; /* name of the second input (default "W") */
  int64_t xdim;
  bool w_is_input; /* list W among the graph inputs too (an overridable default) */
} spec;

static built build(const spec *s) {
  KilnOnnx__ModelProto m = KILN_ONNX__MODEL_PROTO__INIT;
  KilnOnnx__OperatorSetIdProto os = KILN_ONNX__OPERATOR_SET_ID_PROTO__INIT, *osp = &os;
  os.domain = "";
  os.has_version = 1;
  os.version = s->opset ? s->opset : 17;
  m.n_opset_import = 1;
  m.opset_import = &osp;
  m.has_ir_version = 1;
  m.ir_version = 8;
  KilnOnnx__GraphProto g = KILN_ONNX__GRAPH_PROTO__INIT;
  g.name = "bad_model";
  m.graph = &g;
  /* input X: f32[xdim] */
  KilnOnnx__TensorShapeProto__Dimension d = KILN_ONNX__TENSOR_SHAPE_PROTO__DIMENSION__INIT, *dp = &d;
  d.value_case = KILN_ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
  d.dim_value = s->xdim ? s->xdim : 4;
  KilnOnnx__TensorShapeProto sh = KILN_ONNX__TENSOR_SHAPE_PROTO__INIT;
  sh.n_dim = 1;
  sh.dim = &dp;
  KilnOnnx__TypeProto__Tensor tt = KILN_ONNX__TYPE_PROTO__TENSOR__INIT;
  tt.has_elem_type = 1;
  tt.elem_type = KN_F32;
  tt.shape = &sh;
  KilnOnnx__TypeProto tp = KILN_ONNX__TYPE_PROTO__INIT;
  tp.value_case = KILN_ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
  tp.tensor_type = &tt;
  KilnOnnx__ValueInfoProto xi = KILN_ONNX__VALUE_INFO_PROTO__INIT, yi = KILN_ONNX__VALUE_INFO_PROTO__INIT;
  xi.name = "X";
  xi.type = &tp;
  yi.name = "Y";
  KilnOnnx__ValueInfoProto wi = KILN_ONNX__VALUE_INFO_PROTO__INIT;
  wi.name = "W";
  wi.type = &tp;
  KilnOnnx__ValueInfoProto *inps[2] = {&wi, &xi}, *outp = &yi; /* W first: defaults must move last */
  g.n_input = s->w_is_input ? 2 : 1;
  g.input = s->w_is_input ? inps : inps + 1;
  g.n_output = 1;
  g.output = &outp;
  /* initializer W */
  KilnOnnx__TensorProto w = KILN_ONNX__TENSOR_PROTO__INIT, *wp = &w;
  w.name = "W";
  w.n_dims = (size_t)s->wrank;
  w.dims = (int64_t *)s->wdims;
  w.has_data_type = 1;
  w.data_type = s->wdtype ? s->wdtype : KN_F32;
  static uint8_t zeros[64];
  KilnOnnx__StringStringEntryProto e1 = KILN_ONNX__STRING_STRING_ENTRY_PROTO__INIT, e2 = e1, e3 = e1;
  KilnOnnx__StringStringEntryProto *ents[3] = {&e1, &e2, &e3};
  char off[32], len[32];
  if (s->ext_location) {
    w.has_data_location = 1;
    w.data_location = KILN_ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    e1.key = "location";
    e1.value = (char *)s->ext_location;
    snprintf(off, sizeof off, "%lld", (long long)s->ext_offset);
    snprintf(len, sizeof len, "%lld", (long long)s->ext_length);
    e2.key = "offset";
    e2.value = off;
    e3.key = "length";
    e3.value = len;
    w.n_external_data = 3;
    w.external_data = ents;
  } else {
    w.has_raw_data = 1;
    w.raw_data.len = s->wraw_bytes;
    w.raw_data.data = zeros;
  }
  g.n_initializer = 1;
  g.initializer = &wp;
  KilnOnnx__NodeProto n = KILN_ONNX__NODE_PROTO__INIT, *np = &n;
  char *ins[2] = {"X", (char *)(s->node_input1 ? s->node_input1 : "W")}, *outs[1] = {"Y"};
  n.name = "the_node";
  n.op_type = (char *)s->op;
  n.domain = (char *)s->domain;
  n.n_input = 2;
  n.input = ins;
  n.n_output = 1;
  n.output = outs;
  g.n_node = 1;
  g.node = &np;
  built b;
  b.len = kiln_onnx__model_proto__get_packed_size(&m);
  b.buf = malloc(b.len);
  kiln_onnx__model_proto__pack(&m, b.buf);
  return b;
}

static const spec good = {.op = "Add", .wdims = {4}, .wrank = 1, .wraw_bytes = 16};

static kn_status import(kn_ctx *kn, const built *b, const char *dir, ir_graph **g) {
  return onnx_import_buffer(kn, b->buf, b->len, dir, "bad_model.onnx", g);
}

static void expect_error(const spec *s, kn_status want, const char *needle, const char *dir) {
  kn_ctx *kn = kn_ctx_new();
  built b = build(s);
  ir_graph *g = NULL;
  kn_status st = import(kn, &b, dir, &g);
  if (st != want || !strstr(kn_errmsg(kn), needle)) print_message("status %d, message: %s\n", st, kn_errmsg(kn));
  assert_int_equal(st, want);
  assert_non_null(strstr(kn_errmsg(kn), needle));
  assert_non_null(strstr(kn_errmsg(kn), "bad_model.onnx"));
  assert_null(g);
  free(b.buf);
  kn_ctx_free(kn);
}

static void test_good_model_runs(void **state) {
  (void)state;
  kn_ctx *kn = kn_ctx_new();
  built b = build(&good);
  ir_graph *g = NULL;
  assert_int_equal(import(kn, &b, NULL, &g), KN_OK);
  kn_tensor x, y;
  int64_t d = 4;
  assert_int_equal(kn_tensor_alloc(kn, &x, KN_F32, 1, &d), KN_OK);
  for (int i = 0; i < 4; i++) ((float *)x.data)[i] = (float)i;
  assert_int_equal(ref_run_graph(kn, g, &x, 1, &y, 1), KN_OK);
  assert_float_equal(((float *)y.data)[3], 3.0f, 0.0f); /* W is zeros */
  kn_tensor_free(&y);
  /* dtype mismatch on the input: clean error naming the input */
  kn_tensor xi;
  assert_int_equal(kn_tensor_alloc(kn, &xi, KN_I64, 1, &d), KN_OK);
  assert_int_equal(ref_run_graph(kn, g, &xi, 1, &y, 1), KN_ETYPE);
  assert_non_null(strstr(kn_errmsg(kn), "'X'"));
  kn_tensor_free(&xi);
  /* wrong shape */
  int64_t d5 = 5;
  assert_int_equal(kn_tensor_alloc(kn, &xi, KN_F32, 1, &d5), KN_OK);
  assert_int_equal(ref_run_graph(kn, g, &xi, 1, &y, 1), KN_ESHAPE);
  kn_tensor_free(&xi);
  /* missing input */
  assert_int_equal(ref_run_graph(kn, g, NULL, 0, &y, 1), KN_EINVAL);
  assert_non_null(strstr(kn_errmsg(kn), "inputs"));
  kn_tensor_free(&x);
  ir_graph_free(g);
  free(b.buf);
  kn_ctx_free(kn);
}

static void test_initializer_input_default_and_override(void **state) {
  (void)state;
  spec s = good;
  s.w_is_input = true;
  kn_ctx *kn = kn_ctx_new();
  built b = build(&s);
  ir_graph *g = NULL;
  assert_int_equal(import(kn, &b, NULL, &g), KN_OK);
  assert_int_equal(g->ninputs, 2);
  assert_string_equal(g->values[g->inputs[0]].name, "X"); /* required inputs first */
  assert_string_equal(g->values[g->inputs[1]].name, "W");
  kn_tensor in[2], y;
  int64_t d = 4;
  assert_int_equal(kn_tensor_alloc(kn, &in[0], KN_F32, 1, &d), KN_OK);
  assert_int_equal(kn_tensor_alloc(kn, &in[1], KN_F32, 1, &d), KN_OK);
  for (int i = 0; i < 4; i++) ((float *)in[0].data)[i] = 1.0f, ((float *)in[1].data)[i] = 10.0f * (float)i;
  assert_int_equal(ref_run_graph(kn, g, in, 1, &y, 1), KN_OK); /* W defaults to zeros */
  assert_float_equal(((float *)y.data)[3], 1.0f, 0.0f);
  kn_tensor_free(&y);
  assert_int_equal(ref_run_graph(kn, g, in, 2, &y, 1), KN_OK); /* W overridden */
  assert_float_equal(((float *)y.data)[3], 31.0f, 0.0f);
  kn_tensor_free(&y);
  kn_tensor_free(&in[0]);
  kn_tensor_free(&in[1]);
  ir_graph_free(g);
  free(b.buf);
  kn_ctx_free(kn);
}

static void test_truncated_and_garbage(void **state) {
  (void)state;
  built b = build(&good);
  kn_ctx *kn = kn_ctx_new();
  /* every truncation point must fail cleanly or (rarely) still decode a valid prefix */
  for (size_t cut = 0; cut < b.len; cut++) {
    ir_graph *g = NULL;
    kn_status st = onnx_import_buffer(kn, b.buf, cut, NULL, "bad_model.onnx", &g);
    if (st == KN_OK) ir_graph_free(g);
    else assert_non_null(strstr(kn_errmsg(kn), "bad_model.onnx"));
  }
  /* random garbage and flipped bytes */
  uint8_t junk[512];
  uint32_t x = 12345;
  for (int round = 0; round < 200; round++) {
    for (size_t i = 0; i < sizeof junk; i++) junk[i] = (uint8_t)((x = x * 1103515245u + 12345u) >> 16);
    ir_graph *g = NULL;
    if (onnx_import_buffer(kn, junk, sizeof junk, NULL, "bad_model.onnx", &g) == KN_OK) ir_graph_free(g);
    uint8_t *copy = malloc(b.len);
    memcpy(copy, b.buf, b.len);
    copy[(x >> 8) % b.len] ^= (uint8_t)(1u << (x % 8));
    if (onnx_import_buffer(kn, copy, b.len, NULL, "bad_model.onnx", &g) == KN_OK) ir_graph_free(g);
    free(copy);
  }
  ir_graph *g = NULL;
  assert_int_equal(onnx_import_buffer(kn, (const uint8_t *)"\x08\x96\x01garbage", 10, NULL, "bad_model.onnx", &g),
                   KN_EPARSE);
  free(b.buf);
  kn_ctx_free(kn);
}

static void test_unknown_op_and_domain(void **state) {
  (void)state;
  spec s = good;
  s.op = "FrobnicateTensor";
  expect_error(&s, KN_EUNSUPPORTED, "unsupported op FrobnicateTensor", NULL);
  s.op = "Add";
  s.domain = "com.example";
  expect_error(&s, KN_EUNSUPPORTED, "domain 'com.example'", NULL);
}

/* ops.def decides what an ONNX file may name: internal ops (made only by
 * kiln's passes) and ops newer than the model's opset are refused, naming
 * the node and the op */
static void test_internal_and_too_new_ops(void **state) {
  (void)state;
  spec s = good;
  const char *internal[] = {"ConvNCHWc", "FusedElementwise", "Attention", "FusedMatMul", "ToNCHWc", "Custom"};
  for (size_t i = 0; i < sizeof internal / sizeof internal[0]; i++) {
    s.op = internal[i];
    char want[96];
    snprintf(want, sizeof want, "op %s is internal to kiln", internal[i]);
    expect_error(&s, KN_EUNSUPPORTED, want, NULL);
  }
  s.op = "Gelu"; /* ONNX added it in opset 20 */
  s.opset = 17;
  expect_error(&s, KN_EUNSUPPORTED, "op Gelu does not exist in opset 17 (ONNX added it in opset 20)", NULL);
  s.op = "Upsample"; /* removed in opset 10 */
  s.opset = 13;
  expect_error(&s, KN_EUNSUPPORTED, "op Upsample exists only in opsets 7 to 9", NULL);
}

static void test_unsupported_opset(void **state) {
  (void)state;
  spec s = good;
  s.opset = 22;
  expect_error(&s, KN_EUNSUPPORTED, "opset 22", NULL);
  s.opset = 4;
  s.op = "Reshape";
  expect_error(&s, KN_EUNSUPPORTED, "opset-4 form", NULL);
  s.op = "Add";
  s.opset = 99;
  expect_error(&s, KN_EUNSUPPORTED, "opset 99", NULL);
}

static void test_bad_dims(void **state) {
  (void)state;
  spec s = good;
  s.wdims[0] = -3;
  expect_error(&s, KN_ESHAPE, "negative dim", NULL);
  s.wrank = 2;
  s.wdims[0] = INT64_MAX / 2;
  s.wdims[1] = 7; /* product overflows int64 */
  expect_error(&s, KN_ESHAPE, "overflow", NULL);
  s.wdims[0] = 1 << 20;
  s.wdims[1] = 1 << 20; /* 4 TiB: over the 8 GiB limit */
  expect_error(&s, KN_ELIMIT, "memory limit", NULL);
  s = good;
  s.wraw_bytes = 12; /* shape needs 16 */
  expect_error(&s, KN_EINVAL, "raw_data has 12 bytes", NULL);
  s = good;
  s.wdims[0] = 3; /* cannot broadcast with X[4] */
  s.wraw_bytes = 12;
  expect_error(&s, KN_ESHAPE, "the_node", NULL);
}

static void test_undefined_input(void **state) {
  (void)state;
  spec s = good;
  s.node_input1 = "nowhere";
  expect_error(&s, KN_EINVAL, "input 'nowhere' is not defined", NULL);
}

/* A fresh folder dir (mkdtemp of its template) with weights.bin holding the
 * n floats vals; its path in path[256]. */
static void make_weights_dir(char *dir, char *path, const float *vals, size_t n) {
  assert_non_null(mkdtemp(dir));
  snprintf(path, 256, "%s/weights.bin", dir);
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  fwrite(vals, sizeof *vals, n, f);
  fclose(f);
}

static void test_external_data(void **state) {
  (void)state;
  char dir[] = "/tmp/kiln_ext_XXXXXX", path[256];
  const float vals[6] = {1, 2, 3, 4, 5, 6};
  make_weights_dir(dir, path, vals, 6);
  spec s = good;
  s.ext_location = "weights.bin";
  s.ext_offset = 8;
  s.ext_length = 16;
  kn_ctx *kn = kn_ctx_new();
  built b = build(&s);
  ir_graph *g = NULL;
  assert_int_equal(import(kn, &b, dir, &g), KN_OK);
  ir_id w = ir_value_find(g, "W");
  assert_float_equal(((float *)g->values[w].constant->data)[0], 3.0f, 0.0f);
  ir_graph_free(g);
  free(b.buf);
  kn_ctx_free(kn);
  s.ext_location = "../etc/passwd";
  expect_error(&s, KN_EINVAL, "outside the model folder", dir);
  s.ext_location = "/etc/passwd";
  expect_error(&s, KN_EINVAL, "outside the model folder", dir);
  s.ext_location = "weights.bin";
  s.ext_offset = 16; /* 16 + 16 > 24 bytes */
  expect_error(&s, KN_EINVAL, "too short", dir);
  s.ext_offset = 0;
  s.ext_length = 20;
  expect_error(&s, KN_EINVAL, "do not match", dir);
  s.ext_length = 16;
  s.ext_location = "missing.bin";
  expect_error(&s, KN_EIO, "missing.bin", dir);
  unlink(path);
  rmdir(dir);
}

/* external data is read only from regular files whose real path lies in the
 * model's folder: a symlink out of the folder, a FIFO (which must not hang the
 * open), a directory or a device are refused; a symlink that stays inside the
 * folder is followed */
static void test_external_data_links_and_special_files(void **state) {
  (void)state;
  char dir[] = "/tmp/kiln_ext_XXXXXX", outside[] = "/tmp/kiln_out_XXXXXX";
  assert_non_null(mkdtemp(dir));
  assert_non_null(mkdtemp(outside));
  char path[256], secret[256], link_out[256], link_in[256], fifo[256], sub[256], dev[256], linked_dir[256];
  float vals[4] = {1, 2, 3, 4};
  snprintf(path, sizeof path, "%s/weights.bin", dir);
  snprintf(secret, sizeof secret, "%s/secret.bin", outside);
  FILE *f = fopen(path, "wb");
  fwrite(vals, sizeof vals, 1, f);
  fclose(f);
  f = fopen(secret, "wb");
  fwrite(vals, sizeof vals, 1, f);
  fclose(f);
  snprintf(link_out, sizeof link_out, "%s/out.bin", dir);
  snprintf(link_in, sizeof link_in, "%s/in.bin", dir);
  snprintf(fifo, sizeof fifo, "%s/fifo.bin", dir);
  snprintf(sub, sizeof sub, "%s/sub.bin", dir);
  snprintf(dev, sizeof dev, "%s/dev.bin", dir);
  snprintf(linked_dir, sizeof linked_dir, "%s/elsewhere", dir);
  assert_int_equal(symlink(secret, link_out), 0);
  assert_int_equal(symlink("weights.bin", link_in), 0);
  assert_int_equal(mkfifo(fifo, 0600), 0);
  assert_int_equal(mkdir(sub, 0700), 0);
  assert_int_equal(symlink("/dev/zero", dev), 0);
  assert_int_equal(symlink(outside, linked_dir), 0);
  spec s = good;
  s.ext_length = 16;
  /* a link to a file inside the folder is fine */
  s.ext_location = "in.bin";
  kn_ctx *kn = kn_ctx_new();
  built b = build(&s);
  ir_graph *g = NULL;
  assert_int_equal(import(kn, &b, dir, &g), KN_OK);
  assert_float_equal(((float *)g->values[ir_value_find(g, "W")].constant->data)[3], 4.0f, 0.0f);
  ir_graph_free(g);
  free(b.buf);
  kn_ctx_free(kn);
  s.ext_location = "out.bin";
  expect_error(&s, KN_EINVAL, "tensor W: external data location 'out.bin' resolves to", dir);
  expect_error(&s, KN_EINVAL, "outside the model folder", dir);
  s.ext_location = "elsewhere/secret.bin"; /* a linked folder */
  expect_error(&s, KN_EINVAL, "outside the model folder", dir);
  s.ext_location = "dev.bin";
  expect_error(&s, KN_EINVAL, "outside the model folder", dir);
  s.ext_location = "fifo.bin";
  expect_error(&s, KN_EINVAL, "tensor W: external data fifo.bin is not a regular file", dir);
  s.ext_location = "sub.bin";
  expect_error(&s, KN_EINVAL, "tensor W: external data sub.bin is not a regular file", dir);
  unlink(linked_dir);
  unlink(dev);
  rmdir(sub);
  unlink(fifo);
  unlink(link_in);
  unlink(link_out);
  unlink(path);
  rmdir(dir);
  unlink(secret);
  rmdir(outside);
}

/* write a model whose W has external_data entries with these offset/length texts */
static void expect_ext_numbers(const char *offset, const char *length, const char *needle, const char *dir) {
  spec s = good;
  s.ext_location = "weights.bin";
  s.ext_length = 16;
  built b = build(&s);
  /* rewrite the decoded model's texts: simplest through protobuf-c itself */
  KilnOnnx__ModelProto *m = kiln_onnx__model_proto__unpack(NULL, b.len, b.buf);
  assert_non_null(m);
  KilnOnnx__TensorProto *w = m->graph->initializer[0];
  assert_int_equal(w->n_external_data, 3);
  free(w->external_data[1]->value);
  free(w->external_data[2]->value);
  w->external_data[1]->value = strdup(offset);
  w->external_data[2]->value = strdup(length);
  free(b.buf);
  b.len = kiln_onnx__model_proto__get_packed_size(m);
  b.buf = malloc(b.len);
  kiln_onnx__model_proto__pack(m, b.buf);
  kiln_onnx__model_proto__free_unpacked(m, NULL);
  kn_ctx *kn = kn_ctx_new();
  ir_graph *g = NULL;
  kn_status st = import(kn, &b, dir, &g);
  if (!needle) {
    if (st != KN_OK) print_message("%s\n", kn_errmsg(kn));
    assert_int_equal(st, KN_OK);
    ir_graph_free(g);
  } else {
    if (st != KN_EINVAL || !strstr(kn_errmsg(kn), needle)) print_message("status %d: %s\n", st, kn_errmsg(kn));
    assert_int_equal(st, KN_EINVAL);
    assert_non_null(strstr(kn_errmsg(kn), needle));
    assert_null(g);
  }
  free(b.buf);
  kn_ctx_free(kn);
}

/* external-data offset and length must be plain non-negative decimal numbers */
static void test_external_data_numbers(void **state) {
  (void)state;
  char dir[] = "/tmp/kiln_ext_XXXXXX", path[256];
  const float vals[8] = {0};
  make_weights_dir(dir, path, vals, 8);
  expect_ext_numbers("16", "16", NULL, dir);
  expect_ext_numbers("0", "16", NULL, dir);
  expect_ext_numbers("0x10", "16", "tensor W: external data offset '0x10' is not a non-negative decimal number", dir);
  expect_ext_numbers("-4", "16", "tensor W: external data offset '-4' is not a non-negative decimal number", dir);
  expect_ext_numbers("", "16", "tensor W: external data offset '' is not a non-negative decimal number", dir);
  expect_ext_numbers("8 ", "16", "offset '8 ' is not", dir);
  expect_ext_numbers(" 8", "16", "offset ' 8' is not", dir);
  expect_ext_numbers("+8", "16", "offset '+8' is not", dir);
  expect_ext_numbers("99999999999999999999", "16", "offset '99999999999999999999' is not", dir);
  expect_ext_numbers("0", "sixteen", "tensor W: external data length 'sixteen' is not a non-negative decimal number",
                     dir);
  expect_ext_numbers("0", "-1", "tensor W: external data length '-1' is not a non-negative decimal number", dir);
  expect_ext_numbers("0", "16abc", "length '16abc' is not", dir);
  unlink(path);
  rmdir(dir);
}

KT_MAIN(
    cmocka_unit_test(test_good_model_runs),
    cmocka_unit_test(test_initializer_input_default_and_override),
    cmocka_unit_test(test_truncated_and_garbage),
    cmocka_unit_test(test_unknown_op_and_domain),
    cmocka_unit_test(test_internal_and_too_new_ops),
    cmocka_unit_test(test_unsupported_opset),
    cmocka_unit_test(test_bad_dims),
    cmocka_unit_test(test_undefined_input),
    cmocka_unit_test(test_external_data),
    cmocka_unit_test(test_external_data_links_and_special_files),
    cmocka_unit_test(test_external_data_numbers))
