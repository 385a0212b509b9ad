/* lower_gemm.c: MatMul, Gemm and Conv (nothing lowered yet: these nodes run on
 * their reference kernels until the GEMM generator lands). */
#include "cg.h"

cg_lower_fn cg_lowering_gemm(ir_op op) {
  (void)op;
  return NULL;
}
