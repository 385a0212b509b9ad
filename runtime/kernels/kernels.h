/* kernels.h: conventions and shared declarations of kiln's kernel library.
 * The kernels are plain, freestanding C11: they include only <stdint.h> and
 * <stddef.h>, use __builtin_* for math (expf, sqrtf, ...), allocate nothing,
 * and take raw pointers plus explicit sizes/strides. That lets the same
 * sources run in the reference executor (compiled by the host compiler) and be
 * compiled by clang-19 to LLVM bitcode, linked into a model's module, and
 * inlined with constant arguments by the JIT/AOT code generator.
 * Every exported kernel is named kk_<family>_<what>; each family has its own
 * header (k_<family>.h) that includes this one. */
#ifndef KILN_KERNELS_H
#define KILN_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#define KK_MAX_RANK 8

/* Strided N-d iteration helper: advances a multi-index over dims and returns
 * the flat offset change for each stride array. Kernels keep their own loops;
 * this is the common odometer for broadcasting code. */
static inline void kk_index_next(int rank, const int64_t *dims, int64_t *idx) {
  for (int d = rank - 1; d >= 0; --d) {
    if (++idx[d] < dims[d]) return;
    idx[d] = 0;
  }
}

#endif
