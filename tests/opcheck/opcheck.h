/* opcheck.h: the per-op differential harness (tests/test_codegen_ops.c, in
 * the spirit of ggml's test-backend-ops). Generators (gen_*.c) describe
 * cases: a few text-IR statements around one op, with concrete input shapes
 * drawn from a seeded generator; the runner (opcheck_run.c) fills the inputs with
 * seeded random data, runs each case on the reference executor (the oracle)
 * and on the JIT, and compares every output under a per-dtype tolerance.
 * A case's text marks every name with '@', which the runner replaces with a
 * per-case prefix ("c17_"), so many cases can share one compiled graph: the
 * JIT's fixed cost (parsing and linking the kernel bitcode) is then paid once
 * per batch instead of once per case. */
#ifndef KILN_OPCHECK_H
#define KILN_OPCHECK_H

#include "ir.h"
#include <stdbool.h>
#include <stdint.h>

/* Families group the generators in the coverage report. */
typedef enum oc_family {
  OC_ELEMENTWISE,
  OC_REDUCE,   /* reductions, arg-reductions, softmax-like, normalizations */
  OC_LINALG,   /* MatMul, Gemm, Conv, pools, attention, fused products */
  OC_MOVEMENT, /* shape, data movement, indexing, image ops */
  OC_MISC,     /* everything else: quantization, windows, losses, control flow */
  OC_NFAMILIES
} oc_family;

/* A per-input override of the value range (by the input's name without '@'). */
typedef struct oc_range {
  char name[24];
  double lo, hi;
} oc_range;

typedef struct oc_case {
  int id;
  oc_family family;
  char op[32];      /* the op under test (the coverage report also counts every op the case's graphs hold) */
  char *text;       /* statements: inputs, constants, nodes, outputs; names start with '@' */
  double lo, hi;    /* float inputs: uniform in [lo, hi) (default [-3, 3)) */
  double step;      /* > 0: float inputs rounded to multiples of step (ties for Round, Equal, ArgMax) */
  int64_t ilo, ihi; /* integer inputs: uniform in [ilo, ihi] (default [-20, 20], clamped to the dtype) */
  oc_range ranges[6];
  int nranges;
  bool specials;        /* float inputs also hold NaN, +-inf, +-0 and a huge value */
  double tol;           /* > 0: the bound for float outputs instead of the dtype's */
  const char *pipeline; /* kiln passes the JIT runs first (NULL: none; the reference runs the case as written) */
  int threads;          /* JIT threads (0: 1) */
  bool solo;            /* compile alone: the graph runs on the reference plan (data-dependent shapes, If/Loop) */
} oc_case;

typedef struct oc_suite {
  oc_case *cases;
  int n, cap;
  uint64_t rng; /* shapes and attributes; input data has its own streams (opcheck.c) */
  oc_family family;
} oc_suite;

/* Adds a case for `op` whose text is the printf-formatted fmt; the returned
 * case may be adjusted (ranges, tolerance, ...) until the next oc_add. */
oc_case *oc_add(oc_suite *s, const char *op, const char *fmt, ...) KN_PRINTF(3, 4);
/* Narrows the range of the input named `name` (without '@'). */
void oc_range_of(oc_case *c, const char *name, double lo, double hi);

/* Seeded choices for generators. */
int64_t oc_rand(oc_suite *s, int64_t lo, int64_t hi); /* uniform in [lo, hi] */
double oc_randf(oc_suite *s, double lo, double hi);   /* uniform in [lo, hi) */
int64_t oc_odd(oc_suite *s);                          /* one of 1, 3, 7, 17, 33 */
/* Random dims of the given rank whose product stays at most max_numel. */
void oc_shape(oc_suite *s, int rank, int64_t max_numel, int64_t *dims);
/* "3, 4, 5" for dims (a rotating set of static buffers: valid for a few calls). */
const char *oc_dims(int rank, const int64_t *dims);
/* "[1, -2]" for an int list, the same way. */
const char *oc_ints(int n, const int64_t *v);

/* Generators, one per family file. */
void oc_gen_elementwise(oc_suite *s); /* gen_elementwise.c */
void oc_gen_cast(oc_suite *s);        /* gen_elementwise.c */
void oc_gen_reduce(oc_suite *s);      /* gen_reduce.c */
void oc_gen_norm(oc_suite *s);        /* gen_reduce.c */
void oc_gen_linalg(oc_suite *s);      /* gen_linalg.c */
void oc_gen_sizes(oc_suite *s);       /* gen_linalg.c */
void oc_gen_fused(oc_suite *s);       /* gen_fused.c */
void oc_gen_movement(oc_suite *s);    /* gen_movement.c */
void oc_gen_index(oc_suite *s);       /* gen_movement.c */
void oc_gen_misc(oc_suite *s);        /* gen_misc.c */

/* ===== opcheck.c, for the runner ===== */
/* The statements of cases[0..n) in one graph, each case's '@' replaced by
 * its prefix "cN_" (malloc'd). */
char *oc_compose(oc_case *const *cases, int n);
/* The case's text without the '@' markers (malloc'd). */
char *oc_case_text(const oc_case *c);
/* The case id of a value named "cN_...", or -1; *rest is the name after the prefix. */
int oc_case_of(const char *name, const char **rest);
/* Seeded random data for the case's input `name` (without prefix). */
void oc_fill_input(kn_tensor *t, const oc_case *c, const char *name, uint64_t seed);
/* The bound of normalized error for float outputs of dtype dt (0: exact). */
double oc_dtype_tol(int dt);
/* True when got matches want; else why not, in msg. */
bool oc_compare(const kn_tensor *got, const kn_tensor *want, double tol, char *msg, size_t cap);

/* ===== the runner (opcheck_run.c) ===== */
/* A case the JIT is known to get wrong: matched by op and a substring of
 * the case's text (after the '@' prefixes are removed). */
typedef struct oc_known {
  const char *op, *text, *why;
} oc_known;

typedef struct oc_options {
  uint64_t seed;
  const char *only_op; /* run only cases of this op (NULL: all) */
  int only_case;       /* >= 0: run only this case id */
  int batch;           /* cases per compiled graph (1: each alone) */
  int llvm_level;      /* the JIT's LLVM pipeline default<On> */
  int threads;         /* > 0: every case on this many JIT threads */
  const char *cpu;     /* the CPU the JIT compiles for (NULL: this machine's), e.g. x86-64-v3 for AVX2 */
  bool verbose;        /* one line per case */
  bool list;           /* print the selected cases (id, op, text on one line) instead of running them */
  const oc_known *known;
  int nknown;
} oc_options;

/* What happened to an op across the run (the coverage report). */
typedef struct oc_op_cov {
  int cases;     /* cases in which the op ran on both engines and the outputs were compared */
  bool lowered;  /* some node of the op became generated code */
  bool fallback; /* some node called its reference kernel from compiled code */
  bool ref_plan; /* some case ran as a whole on the reference plan (dynamic graph) */
  bool folded;   /* some node was folded or rewritten away before lowering */
  uint32_t lowered_dtypes, fallback_dtypes; /* bit d: a node whose first input is of dtype d */
  bool family[OC_NFAMILIES];                /* the op is the one under test of some compared case of the family */
} oc_op_cov;

typedef struct oc_result {
  int cases, passed, failed, known_failed, known_passed, skipped;
  int batches;
  oc_op_cov cov[IR_OP_COUNT];
  int family_cases[OC_NFAMILIES];
} oc_result;

/* Runs every case of s (filtered by o) and fills r; failures are printed. */
void oc_run(oc_suite *s, const oc_options *o, oc_result *r);
void oc_suite_free(oc_suite *s);
const char *oc_family_name(oc_family f);

#endif
