/* test_frontend_export.c: the ONNX writer (frontend/onnx_export.c), by round
 * trip: text IR -> graph -> ONNX bytes -> graph. The re-imported graph must
 * print to the same text as the original, apart from these documented
 * normalizations (docs/usage.md, "Exporting to ONNX"):
 *  - the opset becomes the one written (the graph's, raised to >= 18);
 *  - trailing absent optional inputs and outputs are left out (`Clip(x, lo, _)`
 *    comes back as `Clip(x, lo)`);
 *  - a subgraph value that shadows a name of an enclosing graph is renamed
 *    NAME__1 (ONNX wants one assignment per name across scopes);
 *  - outputs listed twice, and subgraph outputs that are outer values, get an
 *    Identity; legacy_coerce_2d Softmax becomes Flatten/Softmax/Reshape;
 *    a Split into equal parts gets num_outputs (opset 18 wants it);
 *  - a number attribute of the other type than ONNX's is written as ONNX's.
 * Both graphs must also compute the same on the reference executor. The tests
 * also check what the bytes hold: names, value_info, opset choice, and the
 * clear error for kiln-internal ops. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ir_text.h"
#include "onnx_proto.h"
#include "oracle.h"
#include "unit.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *print(const ir_graph *g) {
  ir_print_opts po = {.max_const_elems = -1};
  char *s = ir_print(g, &po);
  assert_non_null(s);
  return s;
}

/* Writes g as ONNX and imports the bytes (the graph is the fixture's). */
static ir_graph *round_trip(void **state, const ir_graph *g, const onnx_export_opts *o, int *opset) {
  kn_ctx *kn = kt_kn(state);
  uint8_t *buf = NULL;
  size_t len = 0;
  int used = 0;
  if (onnx_export_buffer(kn, g, o, &buf, &len, &used) != KN_OK) fail_msg("export: %s", kn_errmsg(kn));
  ir_graph *back = NULL;
  kn_status st = onnx_import_buffer(kn, buf, len, NULL, "roundtrip.onnx", &back);
  free(buf);
  if (st != KN_OK) fail_msg("import: %s", kn_errmsg(kn));
  kt_keep(state, back);
  assert_int_equal(back->opset, used);
  if (opset) *opset = used;
  return back;
}

static void free_model(void *m) { kiln_onnx__model_proto__free_unpacked(m, NULL); }

/* The written bytes, decoded (the fixture frees them). */
static KilnOnnx__ModelProto *written(void **state, const ir_graph *g, const onnx_export_opts *o) {
  kn_ctx *kn = kt_kn(state);
  uint8_t *buf = NULL;
  size_t len = 0;
  if (onnx_export_buffer(kn, g, o, &buf, &len, NULL) != KN_OK) fail_msg("export: %s", kn_errmsg(kn));
  KilnOnnx__ModelProto *m = kiln_onnx__model_proto__unpack(NULL, len, buf);
  free(buf);
  assert_non_null(m);
  return kt_defer(state, free_model, m);
}

static void set_opset(ir_graph *g, int opset) {
  g->opset = opset;
  for (int32_t i = 0; i < g->nnodes; i++)
    for (int32_t k = 0; k < g->nodes[i].nattr; k++)
      if (g->nodes[i].attrs[k].kind == IR_ATTR_GRAPH) set_opset(g->nodes[i].attrs[k].g, opset);
}

/* Deterministic inputs: symbolic dims 2, unknown rank [3]; inputs with a
 * default keep it (dtype KN_UNDEF). */
static kn_tensor *make_inputs(kn_ctx *kn, const ir_graph *g) {
  kn_tensor *in = calloc((size_t)g->ninputs + 1, sizeof *in);
  assert_non_null(in);
  for (int i = 0; i < g->ninputs; i++) {
    const ir_value *v = &g->values[g->inputs[i]];
    if (v->constant) continue;
    int64_t dims[KN_MAX_RANK] = {3};
    int rank = v->type.rank < 0 ? 1 : v->type.rank;
    for (int d = 0; v->type.rank >= 0 && d < rank; d++) dims[d] = v->type.dims[d] < 0 ? 2 : v->type.dims[d];
    assert_int_equal(kn_tensor_alloc(kn, &in[i], v->type.dtype, rank, dims), KN_OK);
    for (int64_t k = 0; k < kn_tensor_numel(&in[i]); k++) {
      int dt = v->type.dtype;
      double x = kn_dtype_is_float(dt) ? 3.0 * sin(0.7 * (double)k + i) : dt == KN_BOOL ? (double)(k % 2 == 0)
                                                                                        : (double)(1 + (k + i) % 4);
      kn_tensor_set_f64(&in[i], k, x);
    }
  }
  return in;
}

/* a and b compute the same outputs on the same inputs (bit for bit, unless
 * `tol` allows more). */
static void assert_same_outputs(void **state, ir_graph *a, ir_graph *b, double tol) {
  kn_ctx *kn = kt_kn(state);
  assert_int_equal(a->ninputs, b->ninputs);
  assert_int_equal(a->noutputs, b->noutputs);
  kn_tensor *in = make_inputs(kn, a);
  kn_tensor *oa = calloc((size_t)a->noutputs, sizeof *oa), *ob = calloc((size_t)b->noutputs, sizeof *ob);
  assert_non_null(oa);
  assert_non_null(ob);
  if (ref_run_graph(kn, a, in, a->ninputs, oa, a->noutputs) != KN_OK) fail_msg("run original: %s", kn_errmsg(kn));
  if (ref_run_graph(kn, b, in, b->ninputs, ob, b->noutputs) != KN_OK) fail_msg("run round trip: %s", kn_errmsg(kn));
  for (int i = 0; i < a->noutputs; i++) {
    kt_tolerance t = {KT_ELEMENTWISE, tol, 0};
    kt_compare c;
    kt_compare_tensors(&ob[i], &oa[i], &t, &c);
    if (!c.ok) fail_msg("output %d: %s", i, c.why);
    if (tol == 0 && oa[i].nbytes) assert_memory_equal(oa[i].data, ob[i].data, (size_t)oa[i].nbytes);
    kn_tensor_free(&oa[i]);
    kn_tensor_free(&ob[i]);
  }
  for (int i = 0; i < a->ninputs; i++) kn_tensor_free(&in[i]);
  free(in), free(oa), free(ob);
}

/* The full check: same text after the round trip (at the written opset),
 * or the text of `expected` when given; same outputs. */
static void check_round_trip(void **state, const char *text, const char *expected) {
  ir_graph *g = kt_load(state, text);
  int opset = 0;
  ir_graph *back = round_trip(state, g, NULL, &opset);
  ir_graph *want = kt_load(state, expected ? expected : text);
  set_opset(want, opset);
  char *pw = print(want), *pb = print(back);
  assert_string_equal(pb, pw);
  free(pw), free(pb);
  assert_same_outputs(state, g, back, 0);
}

static void test_attribute_kinds(void **state) {
  /* every attribute kind, including empty lists, bytes with a NUL, a tensor
   * and subgraphs (unknown attributes ride along: the importer keeps them) */
  check_round_trip(state,
                   "graph attrs opset 17 {\n"
                   "  input x: f32[2, 3]\n"
                   "  input c: bool[]\n"
                   "  a = Relu(x) {i=-7, f=0.5, s=\"by\\x00tes\", is=[1, -2, 3], fs=[1.5, -0.25, inf],\n"
                   "               ss=[\"a\", \"\", \"b c\"], e=ints[], ef=floats[], es=strings[]}\n"
                   "  shape = Shape(x)\n"
                   "  z = ConstantOfShape(shape) {value=tensor f32[1] = [2.5]}\n"
                   "  b = Add(a, z)\n"
                   "  y = If(c) {then_branch=graph { r = Neg(b) output r }, else_branch=graph { r = Abs(b) output r }}\n"
                   "  t = Transpose(y) {perm=[1, 0]}\n"
                   "  output t\n"
                   "}\n",
                   NULL);
}

static void test_dtypes(void **state) {
  check_round_trip(state,
                   "graph dtypes opset 17 {\n"
                   "  input h: f16[2, 2]\n"
                   "  input bh: bf16[3]\n"
                   "  input d: f64[2]\n"
                   "  input s8: i8[4]\n"
                   "  input w16: u16[2]\n"
                   "  input b: bool[3]\n"
                   "  input l: i64[2]\n"
                   "  const k64: i64[3] = [1, -2, 9223372036854775807]\n"
                   "  const k32: i32[2] = [7, -9]\n"
                   "  const k16: i16[2] = [-300, 300]\n"
                   "  const ku8: u8[3] = [0, 128, 255]\n"
                   "  const ku32: u32[1] = [4000000000]\n"
                   "  const ku64: u64[1] = [18446744073709551615]\n"
                   "  const kf16: f16[2] = [0.5, -1]\n"
                   "  const kbf: bf16[3] = [1, -2, 0.25]\n"
                   "  const kf64: f64[2] = [0.1, -1e300]\n"
                   "  const kb: bool[3] = [true, false, true]\n"
                   "  const big: f32[3, 40] = normal(seed=1, std=2)\n"
                   "  hh = Add(h, kf16)\n"
                   "  hf = Cast(hh) {to=1}\n"
                   "  bf = Mul(bh, kbf)\n"
                   "  bb = And(b, kb)\n"
                   "  dd = Add(d, kf64)\n"
                   "  s8f = Cast(s8) {to=1}\n"
                   "  wf = Cast(w16) {to=1}\n"
                   "  ll = Add(l, l)\n"
                   "  o64 = Identity(k64)\n"
                   "  o32 = Identity(k32)\n"
                   "  o16 = Identity(k16)\n"
                   "  ou8 = Identity(ku8)\n"
                   "  ou32 = Identity(ku32)\n"
                   "  ou64 = Identity(ku64)\n"
                   "  obig = Neg(big)\n"
                   "  output hh, hf, bf, bb, dd, s8f, wf, ll, o64, o32, o16, ou8, ou32, ou64, obig\n"
                   "}\n",
                   NULL);
}

/* Named, anonymous and quoted symbols; a loop body whose input types are
 * left to inference (no type in the ValueInfoProto). */
static void test_symbolic_dims(void **state) {
  check_round_trip(state,
                   "graph syms opset 18 {\n"
                   "  input x: f32[batch, seq, 4]\n"
                   "  input m: f32[?, 4]\n"
                   "  input q: f32[\"seq len\", \"12\"]\n"
                   "  input n: i64[]\n"
                   "  a = Add(x, m)\n"
                   "  nq = Neg(q)\n"
                   "  fin = Loop(n, _, nq) {body=graph {\n"
                   "    input i: ?\n"
                   "    input c: ?\n"
                   "    input acc: ?\n"
                   "    s = Add(acc, acc)\n"
                   "    c2 = Identity(c)\n"
                   "    output c2, s\n"
                   "  }}\n"
                   "  output a, nq, fin\n"
                   "}\n",
                   NULL);
}

/* Loop and If bodies that use values of the enclosing graphs, from one and
 * two levels up. */
static void test_subgraphs_with_outer_references(void **state) {
  check_round_trip(state,
                   "graph loops opset 17 {\n"
                   "  input n: i64[]\n"
                   "  input cond: bool[]\n"
                   "  input x: f32[3]\n"
                   "  const w: f32[3] = [1, 2, 3]\n"
                   "  xw = Mul(x, w)\n"
                   "  final, scan = Loop(n, cond, x) {body=graph {\n"
                   "    input i: i64[]\n"
                   "    input c: bool[]\n"
                   "    input acc: f32[3]\n"
                   "    s = Add(acc, xw)\n"
                   "    t = If(c) {then_branch=graph {\n"
                   "      deep = Sub(s, w)\n"
                   "      inner = Mul(deep, xw)\n"
                   "      output inner\n"
                   "    }, else_branch=graph { e = Neg(s) output e }}\n"
                   "    c2 = Identity(c)\n"
                   "    output c2, t, s\n"
                   "  }}\n"
                   "  output final, scan\n"
                   "}\n",
                   NULL);
}

/* A subgraph that defines a name of its enclosing graph gets a fresh one. */
static void test_shadowing_renamed(void **state) {
  const char *text = "graph shadow opset 17 {\n"
                     "  input c: bool[]\n"
                     "  input x: f32[2]\n"
                     "  y = Neg(x)\n"
                     "  out = If(c) {then_branch=graph { y = Relu(x) k = Mul(y, y) output k },\n"
                     "               else_branch=graph { z = Abs(y) output z }}\n"
                     "  output out\n"
                     "}\n";
  check_round_trip(state, text, "graph shadow opset 17 {\n"
                                "  input c: bool[]\n"
                                "  input x: f32[2]\n"
                                "  y = Neg(x)\n"
                                "  out = If(c) {then_branch=graph { y__1 = Relu(x) k = Mul(y__1, y__1) output k },\n"
                                "               else_branch=graph { z = Abs(y) output z }}\n"
                                "  output out\n"
                                "}\n");
}

static void test_absent_optionals(void **state) {
  check_round_trip(state,
                   "graph opt opset 17 {\n"
                   "  input x: f32[1, 1, 2, 2]\n"
                   "  const lo: f32[] = [0.5]\n"
                   "  const sc: f32[4] = [1, 1, 2, 2]\n"
                   "  a = Clip(x, _, lo)\n"
                   "  b = Clip(x, lo, _)\n"
                   "  r = Resize(x, _, sc) {mode=\"nearest\"}\n"
                   "  d, _ = Dropout(a)\n"
                   "  output a, b, r, d\n"
                   "}\n",
                   "graph opt opset 17 {\n"
                   "  input x: f32[1, 1, 2, 2]\n"
                   "  const lo: f32[] = [0.5]\n"
                   "  const sc: f32[4] = [1, 1, 2, 2]\n"
                   "  a = Clip(x, _, lo)\n"
                   "  b = Clip(x, lo)\n"
                   "  r = Resize(x, _, sc) {mode=\"nearest\"}\n"
                   "  d = Dropout(a)\n"
                   "  output a, b, r, d\n"
                   "}\n");
}

/* A required output left absent in the text IR (`_, idx = TopK(...)`) gets
 * a name of its own: ONNX has no absent required outputs. */
static void test_absent_required_output_named(void **state) {
  ir_graph *g = kt_load(state, "graph t opset 17 {\n  input x: f32[2, 5]\n  const k: i64[1] = [2]\n"
                               "  _, idx = TopK(x, k) {axis=-1}\n  output idx\n}\n");
  KilnOnnx__ModelProto *m = written(state, g, NULL);
  assert_int_equal(m->graph->n_node, 1);
  assert_int_equal(m->graph->node[0]->n_output, 2);
  assert_true(strlen(m->graph->node[0]->output[0]) > 0);
  assert_string_not_equal(m->graph->node[0]->output[0], m->graph->node[0]->output[1]);
  ir_graph *back = round_trip(state, g, NULL, NULL);
  assert_same_outputs(state, g, back, 0);
}

/* A graph input with a default (an initializer listed as an input) stays
 * overridable; a constant stays a constant. */
static void test_initializer_inputs(void **state) {
  const char *text = "graph init opset 17 {\n"
                     "  input x: f32[2]\n"
                     "  input w: f32[2] = [1.5, -2]\n"
                     "  const c: f32[2] = [3, 4]\n"
                     "  a = Mul(x, w)\n"
                     "  y = Add(a, c)\n"
                     "  output y\n"
                     "}\n";
  check_round_trip(state, text, NULL);
  kn_ctx *kn = kt_kn(state);
  ir_graph *g = kt_load(state, text);
  KilnOnnx__ModelProto *m = written(state, g, NULL);
  assert_int_equal(m->graph->n_input, 2);
  assert_string_equal(m->graph->input[0]->name, "x");
  assert_string_equal(m->graph->input[1]->name, "w");
  assert_int_equal(m->graph->n_initializer, 2);
  assert_string_equal(m->graph->initializer[0]->name, "w");
  assert_string_equal(m->graph->initializer[1]->name, "c");
  /* overriding the default: both graphs see the new w */
  ir_graph *back = round_trip(state, g, NULL, NULL);
  float xv[2] = {1, 2}, wv[2] = {10, 20};
  int64_t d2 = 2;
  kn_tensor in[2], oa, ob;
  assert_int_equal(kn_tensor_alloc(kn, &in[0], KN_F32, 1, &d2), KN_OK);
  assert_int_equal(kn_tensor_alloc(kn, &in[1], KN_F32, 1, &d2), KN_OK);
  memcpy(in[0].data, xv, sizeof xv);
  memcpy(in[1].data, wv, sizeof wv);
  assert_int_equal(ref_run_graph(kn, g, in, 2, &oa, 1), KN_OK);
  assert_int_equal(ref_run_graph(kn, back, in, 2, &ob, 1), KN_OK);
  assert_true(((float *)ob.data)[0] == 13.0f && ((float *)ob.data)[1] == 44.0f);
  assert_memory_equal(oa.data, ob.data, 8);
  kn_tensor_free(&oa), kn_tensor_free(&ob), kn_tensor_free(&in[0]), kn_tensor_free(&in[1]);
}

static const char *const chain =
    "graph chain opset 17 {\n  input x: f32[4]\n  const b: f32[4] = [1, 2, 3, 4]\n"
    "  a = Add(x, b)\n  r = Relu(a)\n  y = Mul(r, r)\n  output y\n}\n";

/* Fusion products have no ONNX form: a clear error naming the node. */
static void test_internal_op_refused(void **state) {
  kn_ctx *kn = kt_kn(state);
  ir_graph *g = kt_load(state, chain);
  assert_int_equal(kt_run_pipeline(g, "fuse-elementwise,dce"), KN_OK);
  assert_int_equal(kt_count_op(g, IR_OP_FusedElementwise), 1);
  uint8_t *buf = NULL;
  size_t len = 0;
  assert_int_equal(onnx_export_buffer(kn, g, NULL, &buf, &len, NULL), KN_EUNSUPPORTED);
  assert_null(buf);
  const char *msg = kn_errmsg(kn);
  assert_non_null(strstr(msg, "FusedElementwise"));
  assert_non_null(strstr(msg, "kiln-internal"));
  assert_non_null(strstr(msg, kt_live_node(g, IR_OP_FusedElementwise)->name));
  /* the cleanup pipeline (-O1) makes only ONNX ops */
  g = kt_load(state, chain);
  assert_int_equal(kt_run_pipeline(g, pm_pipeline_for_level(1)), KN_OK);
  ir_graph *back = round_trip(state, g, NULL, NULL);
  assert_same_outputs(state, g, back, 0);
}

static int written_opset(kn_ctx *kn, const char *text, int want) {
  ir_graph *g = kt_parse(kn, text);
  onnx_export_opts o = {.opset = want};
  uint8_t *buf = NULL;
  size_t len = 0;
  int used = -1;
  kn_status st = onnx_export_buffer(kn, g, &o, &buf, &len, &used);
  free(buf);
  ir_graph_free(g);
  return st == KN_OK ? used : -1;
}

static void test_opset_choice(void **state) {
  kn_ctx *kn = kt_kn(state);
  assert_int_equal(written_opset(kn, chain, 0), 18); /* the floor */
  assert_int_equal(written_opset(kn, "graph g opset 21 {\n input x: f32[2]\n y = Relu(x)\n output y\n}\n", 0), 21);
  assert_int_equal(written_opset(kn, "graph g opset 11 {\n input x: f32[2]\n y = Relu(x)\n output y\n}\n", 0), 18);
  assert_int_equal(written_opset(kn, "graph g opset 17 {\n input x: f32[2]\n y = Gelu(x)\n output y\n}\n", 0), 20);
  /* GroupNormalization: per-channel scale needs 21, per-group at most 20 */
  const char *gn_ch = "graph g opset 18 {\n input x: f32[1, 4, 2, 2]\n const s: f32[4] = ones\n const b: f32[4] = zeros\n"
                      " y = GroupNormalization(x, s, b) {num_groups=2}\n output y\n}\n";
  const char *gn_gr = "graph g opset 21 {\n input x: f32[1, 4, 2, 2]\n const s: f32[2] = ones\n const b: f32[2] = zeros\n"
                      " y = GroupNormalization(x, s, b) {num_groups=2}\n output y\n}\n";
  assert_int_equal(written_opset(kn, gn_ch, 0), 21);
  assert_int_equal(written_opset(kn, gn_gr, 0), 20);
  assert_int_equal(written_opset(kn, gn_gr, 21), -1);
  assert_non_null(strstr(kn_errmsg(kn), "GroupNormalization"));
  /* a forced opset must fit every op */
  const char *rm = "graph g opset 18 {\n input x: f32[2, 3]\n const ax: i64[1] = [1]\n"
                   " y = ReduceMean(x, ax)\n output y\n}\n";
  assert_int_equal(written_opset(kn, rm, 17), -1);
  assert_non_null(strstr(kn_errmsg(kn), "ReduceMean"));
  assert_non_null(strstr(kn_errmsg(kn), "18"));
  assert_int_equal(written_opset(kn, rm, 19), 19);
  assert_int_equal(written_opset(kn, "graph g {\n input x: f32[2]\n y = Relu(x)\n output y\n}\n", 14), 14);
  /* ir_version follows the opset */
  ir_graph *g = kt_load(state, chain);
  KilnOnnx__ModelProto *m = written(state, g, NULL);
  assert_int_equal(m->ir_version, 8);
  assert_int_equal(m->n_opset_import, 1);
  assert_string_equal(m->opset_import[0]->domain, "");
  assert_int_equal(m->opset_import[0]->version, 18);
  assert_string_equal(m->producer_name, "kiln");
}

/* Softmax of opset < 13 (legacy_coerce_2d) on a middle axis becomes
 * Flatten, Softmax, Reshape; on the last axis it is just the op. */
static void test_legacy_softmax(void **state) {
  ir_graph *g = kt_load(state, "graph sm opset 11 {\n"
                               "  input x: f32[2, 3, 4]\n"
                               "  y = Softmax(x) {axis=1, legacy_coerce_2d=1}\n"
                               "  z = LogSoftmax(x) {axis=2, legacy_coerce_2d=1}\n"
                               "  output y, z\n"
                               "}\n");
  KilnOnnx__ModelProto *m = written(state, g, NULL);
  const char *ops[] = {"Flatten", "Softmax", "Shape", "Reshape", "LogSoftmax"};
  assert_int_equal(m->graph->n_node, 5);
  for (int i = 0; i < 5; i++) {
    assert_string_equal(m->graph->node[i]->op_type, ops[i]);
    for (size_t k = 0; k < m->graph->node[i]->n_attribute; k++)
      assert_string_not_equal(m->graph->node[i]->attribute[k]->name, "legacy_coerce_2d");
  }
  ir_graph *back = round_trip(state, g, NULL, NULL);
  assert_same_outputs(state, g, back, 1e-6);
}

/* A Split into equal parts names its count from opset 18 on (num_outputs). */
static void test_split_equal_parts(void **state) {
  check_round_trip(state,
                   "graph sp opset 13 {\n  input x: f32[6, 2]\n  a, b, c = Split(x) {axis=0}\n  output a, b, c\n}\n",
                   "graph sp opset 13 {\n  input x: f32[6, 2]\n  a, b, c = Split(x) {axis=0, num_outputs=3}\n"
                   "  output a, b, c\n}\n");
  /* not when the sizes are given, nor for an older forced opset */
  ir_graph *g = kt_load(state, "graph sp {\n  input x: f32[6]\n  const s: i64[2] = [2, 4]\n"
                               "  a, b = Split(x, s)\n  c, d = Split(x)\n  output a, b, c, d\n}\n");
  onnx_export_opts o = {.opset = 17};
  KilnOnnx__ModelProto *m = written(state, g, &o);
  assert_int_equal(m->graph->node[0]->n_attribute, 0);
  assert_int_equal(m->graph->node[1]->n_attribute, 0);
  m = written(state, g, NULL);
  assert_int_equal(m->graph->node[0]->n_attribute, 0);
  assert_int_equal(m->graph->node[1]->n_attribute, 1);
  assert_string_equal(m->graph->node[1]->attribute[0]->name, "num_outputs");
  assert_int_equal(m->graph->node[1]->attribute[0]->i, 2);
}

/* What the bytes hold: unique non-empty node names, one value per output,
 * value_info for intermediates (unless switched off), LpPool's int p. */
static void test_names_outputs_value_info(void **state) {
  ir_graph *g = kt_load(state, "graph names opset 17 {\n"
                               "  input x: f32[1, 1, 4, batch]\n"
                               "  a = Relu(x)\n"
                               "  b = Neg(a)\n"
                               "  p = LpPool(b) {kernel_shape=[2, 1], p=2.0}\n"
                               "  output p, b, p\n"
                               "}\n");
  g->nodes[0].name = "n";
  g->nodes[1].name = "n";
  g->nodes[2].name = "";
  KilnOnnx__ModelProto *m = written(state, g, NULL);
  KilnOnnx__GraphProto *gp = m->graph;
  assert_int_equal(gp->n_node, 4); /* + Identity for the repeated output */
  for (size_t i = 0; i < gp->n_node; i++) {
    assert_true(gp->node[i]->name && *gp->node[i]->name);
    for (size_t j = 0; j < i; j++) assert_string_not_equal(gp->node[i]->name, gp->node[j]->name);
  }
  assert_string_equal(gp->node[3]->op_type, "Identity");
  assert_int_equal(gp->n_output, 3);
  assert_string_equal(gp->output[0]->name, "p");
  assert_string_equal(gp->output[1]->name, "b");
  assert_string_not_equal(gp->output[2]->name, "p");
  assert_string_equal(gp->node[3]->output[0], gp->output[2]->name);
  /* input types keep the symbol */
  KilnOnnx__TensorShapeProto *sh = gp->input[0]->type->tensor_type->shape;
  assert_int_equal(sh->n_dim, 4);
  assert_int_equal(sh->dim[3]->value_case, KILN_ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM);
  assert_string_equal(sh->dim[3]->dim_param, "batch");
  assert_int_equal(sh->dim[2]->dim_value, 4);
  /* value_info: a (b and p are outputs) */
  assert_int_equal(gp->n_value_info, 1);
  assert_string_equal(gp->value_info[0]->name, "a");
  /* LpPool's p is an int attribute */
  const KilnOnnx__NodeProto *lp = gp->node[2];
  assert_string_equal(lp->op_type, "LpPool");
  for (size_t k = 0; k < lp->n_attribute; k++)
    if (!strcmp(lp->attribute[k]->name, "p")) {
      assert_int_equal(lp->attribute[k]->type, KILN_ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
      assert_int_equal(lp->attribute[k]->i, 2);
    }
  onnx_export_opts o = {.no_value_info = true};
  m = written(state, g, &o);
  assert_int_equal(m->graph->n_value_info, 0);
  ir_graph *back = round_trip(state, g, NULL, NULL);
  assert_same_outputs(state, g, back, 0);
}

/* The attribute type of `name` in node k of m. */
static int attr_type(const KilnOnnx__ModelProto *m, size_t k, const char *name) {
  const KilnOnnx__NodeProto *np = m->graph->node[k];
  for (size_t i = 0; i < np->n_attribute; i++)
    if (!strcmp(np->attribute[i]->name, name)) return (int)np->attribute[i]->type;
  fail_msg("node %zu has no attribute %s", k, name);
  return -1;
}

/* Numbers written in the text form with the other type than ONNX gives the
 * attribute are written as ONNX's type (the importer refuses the other, as
 * ONNX Runtime does), and the model still computes the same. */
static void test_attribute_types_written_as_onnx(void **state) {
  ir_graph *g = kt_load(state, "graph kinds opset 17 {\n"
                               "  input x: f32[2, 3]\n"
                               "  a = LeakyRelu(x) {alpha=2}\n"
                               "  b = Softmax(a) {axis=0.0}\n"
                               "  c = Gemm(b, x) {transB=1.0, beta=1}\n"
                               "  output c\n"
                               "}\n");
  KilnOnnx__ModelProto *m = written(state, g, NULL);
  assert_int_equal(attr_type(m, 0, "alpha"), KILN_ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
  assert_float_equal(m->graph->node[0]->attribute[0]->f, 2.0f, 0.0f);
  assert_int_equal(attr_type(m, 1, "axis"), KILN_ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
  assert_int_equal(m->graph->node[1]->attribute[0]->i, 0);
  assert_int_equal(attr_type(m, 2, "transB"), KILN_ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
  assert_int_equal(attr_type(m, 2, "beta"), KILN_ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
  ir_graph *back = round_trip(state, g, NULL, NULL);
  assert_same_outputs(state, g, back, 0);
}

/* onnx_export_file writes what kn_load_graph reads; a bad path is an error. */
static void test_file(void **state) {
  kn_ctx *kn = kt_kn(state);
  ir_graph *g = kt_load(state, chain);
  char path[] = "/tmp/kiln_export_XXXXXX.onnx";
  int fd = mkstemps(path, 5);
  assert_true(fd >= 0);
  close(fd);
  int opset = 0;
  assert_int_equal(onnx_export_file(kn, g, path, NULL, &opset), KN_OK);
  assert_int_equal(opset, 18);
  ir_graph *back = NULL;
  assert_int_equal(kn_load_graph(kn, path, &back), KN_OK);
  assert_same_outputs(state, g, back, 0);
  remove(path);
  assert_int_equal(onnx_export_file(kn, g, "/nonexistent-dir/x.onnx", NULL, NULL), KN_EIO);
  assert_non_null(strstr(kn_errmsg(kn), "/nonexistent-dir/x.onnx"));
  ir_graph_free(back);
}

KT_MAIN(
    KT_TEST(test_attribute_kinds),
    KT_TEST(test_dtypes),
    KT_TEST(test_symbolic_dims),
    KT_TEST(test_subgraphs_with_outer_references),
    KT_TEST(test_shadowing_renamed),
    KT_TEST(test_absent_optionals),
    KT_TEST(test_absent_required_output_named),
    KT_TEST(test_initializer_inputs),
    KT_TEST(test_internal_op_refused),
    KT_TEST(test_opset_choice),
    KT_TEST(test_legacy_softmax),
    KT_TEST(test_split_equal_parts),
    KT_TEST(test_names_outputs_value_info),
    KT_TEST(test_attribute_types_written_as_onnx),
    KT_TEST(test_file))
