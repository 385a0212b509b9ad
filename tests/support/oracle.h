/* oracle.h: comparing kiln's outputs with stored reference outputs, and
 * running one ONNX-backend-style test case directory (model.onnx +
 * test_data_set_N/input_K.pb, output_K.pb). Shared by the conformance runner,
 * the tiny-model runner and unit tests. */
#ifndef KILN_TEST_ORACLE_H
#define KILN_TEST_ORACLE_H

#include "ir_text.h"
#include <stdbool.h>
#include <stddef.h>

typedef enum kt_mode {
  KT_ELEMENTWISE, /* |a-b| <= atol + rtol*|b| for every element (ONNX backend style) */
  KT_REL_TO_MAX   /* max|a-b| / max|b| <= rtol (scale-relative, for whole models) */
} kt_mode;

typedef struct kt_tolerance {
  kt_mode mode;
  double rtol, atol;
} kt_tolerance;

typedef struct kt_compare {
  bool ok;
  double max_abs, rel_to_max;
  char why[256];
} kt_compare;

/* Compares got with want (shape, dtype, values; NaN == NaN). */
void kt_compare_tensors(const kn_tensor *got, const kn_tensor *want, const kt_tolerance *tol, kt_compare *out);

typedef enum kt_result { KT_PASS, KT_MISMATCH, KT_UNSUPPORTED, KT_ERROR, KT_SKIP } kt_result;
const char *kt_result_name(kt_result r);

typedef struct kt_case_report {
  kt_result result;
  char msg[1024];
  double max_abs, rel_to_max; /* worst over outputs and data sets */
  int data_sets;
  double run_ms;                       /* the planned (second) runs */
  int64_t workspace_bytes, naive_bytes; /* of the run plan (largest data set) */
  int32_t live_nodes, folded_nodes;     /* with KT_FOLD/KT_JIT: after folding (last data set) */
  int32_t lowered_nodes, fallback_nodes; /* with KT_JIT */
  double compile_ms;                     /* with KT_JIT: the largest */
  bool whole_graph_ref;                  /* with KT_JIT: ran on the reference executor */
  char fallback_ops[512];                /* with KT_JIT: the op types of the fallback nodes, space-separated */
  int32_t ops_imported[IR_OP_COUNT];     /* live nodes per op: the imported graph */
  int32_t ops_ran[IR_OP_COUNT];          /* the graph that ran (last data set), after any passes */
} kt_case_report;

/* Runs every test_data_set_* of a case directory on the reference executor,
 * twice per data set through one run plan (recording run, then the planned
 * workspace run); both runs must match.
 * KT_VIA_TEXT first prints the imported graph in the text IR and parses it back,
 * so the run also checks that the text form round-trips a real model. */
/* KT_FOLD binds the input shapes of each data set, folds constants and checks
 * the graph became fully static before running it. */
/* KT_JIT compiles the model with the LLVM JIT for each data set's shapes and
 * runs the compiled code (twice). */
/* KT_VIA_ONNX first writes the imported graph as ONNX (frontend/onnx_export.c)
 * and imports that, so the run checks the writer on a real model. The text
 * and ONNX round trips apply to every engine path (fold, JIT). */
/* KT_PASSES (reference engine) runs what the JIT compiles: a copy of the
 * model per data set, specialized to its shapes and folded, then the pass
 * pipeline of kt_set_passes, so the reference implementations of the fused
 * ops run on real models. */
/* KT_NO_LOWER (with KT_JIT) compiles every node without generated code (the
 * fallback path; tests of the fallback budget). */
/* KT_NO_FALLBACK (with KT_JIT) compiles as an AOT build must: a node without
 * compiled code (generated, or a kernel call) fails the compile instead of
 * running its reference kernel. */
enum { KT_VIA_TEXT = 1, KT_FOLD = 2, KT_JIT = 4, KT_VIA_ONNX = 8, KT_PASSES = 16, KT_NO_LOWER = 32, KT_NO_FALLBACK = 64 };
void kt_run_case(const char *dir, const kt_tolerance *tol, unsigned flags, kt_case_report *rep);
/* The names in directory `dir` that contain `filter` (NULL: all), without
 * the dot files, sorted (malloc'd, as is each name); *n gets their number,
 * or -1 (and NULL is returned) when dir cannot be opened. The runners' lists
 * of suites' cases and of zoo models. */
char **kt_list_dir(const char *dir, const char *filter, int *n);
/* The pass pipeline options KT_JIT and KT_PASSES use (NULL: the -O2 default). */
struct pm_options;
void kt_set_passes(const struct pm_options *o);

#endif
