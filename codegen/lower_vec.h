/* lower_vec.h: helpers for lowerings that generate their own vector IR
 * (lower_rows.c, lower_elementwise.c, lower_fused.c): a function named by
 * what it computes, with a builder of its own (llvm_kit.c's cg_fn_begin; its
 * loops are the kit's cg_loop), f32 vectors of the target's width
 * (<VW x float>, VW = vec_bytes / 4) with masked loads/stores for the tail of
 * a row whose length is a compile-time constant, horizontal reductions, and
 * vector exp/log/sigmoid/erf/tanh approximations (LLVM has no vector libm
 * here: llvm.exp on a vector becomes one scalar expf call per lane). */
#ifndef KILN_LOWER_VEC_H
#define KILN_LOWER_VEC_H

#include "cg.h"

#define CG_VG_MAX_PARAMS 16
#define CG_VG_MAX_ACC 8 /* the most accumulators of cg_vpass (<= CG_LOOP_MAX_ACC) */

typedef struct cg_vgen {
  cg_ctx *c;
  LLVMBuilderRef b; /* positioned in fn */
  LLVMValueRef fn;
  int vw;         /* f32 lanes of a vector */
  LLVMTypeRef vf; /* <vw x float> */
  LLVMTypeRef vi; /* <vw x i32> */
  int nparams;
} cg_vgen;

/* Generated functions are named by what they compute (op, shapes, constant
 * parameters), not by node: nodes that would generate the same function call
 * one copy (the 12 layers of a transformer share each of theirs), which keeps
 * LLVM's compile time and the code size proportional to the distinct shapes.
 * cg_vgen_reuse emits the call at c->b and returns true when `name` exists. */
bool cg_vgen_reuse(cg_ctx *c, const char *name, LLVMValueRef *args, int nargs);
/* Starts `void name(ptr, ..., ptr)` with nptr pointer parameters (an
 * internal, noinline function: the entry stays small and each function's
 * loops get their own register allocation). */
void cg_vgen_begin(cg_vgen *g, cg_ctx *c, const char *name, int nptr);
LLVMValueRef cg_vgen_param(cg_vgen *g, int i);
/* Returns from the function and emits the call at c->b with args. */
void cg_vgen_end(cg_vgen *g, LLVMValueRef *args);
/* The same function start with parameters of the given types, and its end
 * without a call (for functions called from other generated functions). */
void cg_vgen_begin_typed(cg_vgen *g, cg_ctx *c, const char *name, LLVMTypeRef *params, int n);
void cg_vgen_finish(cg_vgen *g);

/* Constants and element addressing (off: i64 element offset). */
LLVMValueRef cg_vf(cg_vgen *g, float v);                 /* splat constant */
LLVMValueRef cg_vsplat(cg_vgen *g, LLVMValueRef scalar); /* splat of a runtime float */
LLVMValueRef cg_vgep(cg_vgen *g, LLVMValueRef base, LLVMValueRef off);
LLVMValueRef cg_vi64(cg_vgen *g, int64_t v);
/* Mask of the first `lanes` lanes (0 < lanes < vw). */
LLVMValueRef cg_vmask(cg_vgen *g, int64_t lanes);
/* Loads/stores `lanes` floats at base+off: a plain vector access when
 * lanes == vw, else a masked one (masked-off lanes read `fill`). Alignment 4:
 * rows start anywhere and graph inputs are only 4-byte aligned. */
LLVMValueRef cg_vload(cg_vgen *g, LLVMValueRef base, LLVMValueRef off, int64_t lanes, float fill);
void cg_vstore(cg_vgen *g, LLVMValueRef v, LLVMValueRef base, LLVMValueRef off, int64_t lanes);
LLVMValueRef cg_vscalar_load(cg_vgen *g, LLVMValueRef base, LLVMValueRef off);

/* Lane-wise ops. max/min follow x > y ? x : y (NaN in y is dropped). */
typedef enum cg_vop { CG_VADD, CG_VMAX } cg_vop;
LLVMValueRef cg_vcombine(cg_vgen *g, cg_vop op, LLVMValueRef a, LLVMValueRef b);
/* Horizontal reduction of a vector to a float (a tree of half-width shuffles). */
LLVMValueRef cg_vhreduce(cg_vgen *g, cg_vop op, LLVMValueRef v);
LLVMValueRef cg_vfmuladd(cg_vgen *g, LLVMValueRef a, LLVMValueRef b, LLVMValueRef c);
/* Calls a float intrinsic such as "llvm.sqrt" overloaded on v's type. */
LLVMValueRef cg_vintrinsic1(cg_vgen *g, const char *name, LLVMValueRef v);
/* The same for two-operand intrinsics such as "llvm.minnum" (a and b of one type). */
LLVMValueRef cg_vintrinsic2(cg_vgen *g, const char *name, LLVMValueRef a, LLVMValueRef b);
/* ONNX Min/Max of two floats: u != u || u < w ? u : w (for min; > for max),
 * so NaN in either operand propagates, as the kernel library's do. */
LLVMValueRef cg_vminmax(cg_vgen *g, bool is_min, LLVMValueRef u, LLVMValueRef w);

/* e^x on a float vector, within 2 ulp of expf over the whole range (overflow
 * to +inf, gradual underflow to 0, NaN kept). */
LLVMValueRef cg_vexp(cg_vgen *g, LLVMValueRef x);
/* 1 / (1 + e^-x) */
LLVMValueRef cg_vsigmoid(cg_vgen *g, LLVMValueRef x);
/* erf and tanh as odd rational functions, within a few ulp of libm; NaN kept */
LLVMValueRef cg_verf(cg_vgen *g, LLVMValueRef x);
LLVMValueRef cg_vtanh(cg_vgen *g, LLVMValueRef x);
/* natural log (Cephes logf: frexp split, degree-8 polynomial on
 * [sqrt(1/2)-1, sqrt(2)-1]); within 2 ulp of logf for normal and subnormal
 * x; log(0) = -inf, log(x < 0) = NaN, log(+inf) = +inf, NaN kept */
LLVMValueRef cg_vlog(cg_vgen *g, LLVMValueRef x);
/* GELU as the kernel library evaluates it: 0.5x (1 + erf(x / sqrt 2)), and
 * the tanh form 0.5x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) */
LLVMValueRef cg_vgelu(cg_vgen *g, LLVMValueRef x);
LLVMValueRef cg_vgelu_tanh(cg_vgen *g, LLVMValueRef x);

/* One pass over n contiguous elements in vectors: `unroll` vectors per loop
 * iteration (each with its own accumulator), then the remaining full vectors,
 * then one masked vector of n % vw lanes. body(off, lanes, acc) emits the
 * work for the vector at element offset off and returns the new accumulator
 * (acc is NULL and the return value ignored when init is NULL). Returns the
 * accumulators combined with op, or NULL. */
typedef LLVMValueRef (*cg_vpass_body)(cg_vgen *g, void *ctx, LLVMValueRef off, int64_t lanes, LLVMValueRef acc);
LLVMValueRef cg_vpass(cg_vgen *g, int64_t n, int unroll, LLVMValueRef init, cg_vop op, cg_vpass_body body, void *ctx);

#endif
