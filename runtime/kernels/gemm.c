/* gemm.c: the NN family's matrix kernels: a cache-blocked GEMM, a blocked 2-D
 * transpose (to give GEMM a row-contiguous B), and the generic einsum loop nest.
 * The GEMM is written as plain C in i-k-j order so that the compiler's
 * vectorizer (and later the JIT, with constant sizes) turns the innermost j
 * loop into vector FMAs: four rows of C and two k steps are updated per pass
 * so every loaded B element feeds eight multiply-adds, and `restrict` tells the
 * compiler the rows do not alias. Blocks of NB columns x KB depth keep the B
 * panel in L2 and the four C row segments in L1. */
#include "k_nn.h"

#define GEMM_NB 256
#define GEMM_KB 256

/* U is the arithmetic type: the element type for floats, the unsigned type
 * for integers so that overflow wraps instead of being undefined. */
#define GEMM_IMPL(sfx, T, U)                                                                        \
  static inline void gemm_r4k2_##sfx(int64_t n, const T *restrict b0, const T *restrict b1, U a00,  \
                                     U a01, U a10, U a11, U a20, U a21, U a30, U a31,               \
                                     T *restrict c0, T *restrict c1, T *restrict c2,                \
                                     T *restrict c3) {                                              \
    for (int64_t j = 0; j < n; j++) {                                                               \
      U x0 = (U)b0[j], x1 = (U)b1[j];                                                               \
      c0[j] = (T)((U)c0[j] + a00 * x0 + a01 * x1);                                                  \
      c1[j] = (T)((U)c1[j] + a10 * x0 + a11 * x1);                                                  \
      c2[j] = (T)((U)c2[j] + a20 * x0 + a21 * x1);                                                  \
      c3[j] = (T)((U)c3[j] + a30 * x0 + a31 * x1);                                                  \
    }                                                                                               \
  }                                                                                                 \
  static inline void gemm_r4k1_##sfx(int64_t n, const T *restrict b0, U a0, U a1, U a2, U a3,       \
                                     T *restrict c0, T *restrict c1, T *restrict c2,                \
                                     T *restrict c3) {                                              \
    for (int64_t j = 0; j < n; j++) {                                                               \
      U x0 = (U)b0[j];                                                                              \
      c0[j] = (T)((U)c0[j] + a0 * x0);                                                              \
      c1[j] = (T)((U)c1[j] + a1 * x0);                                                              \
      c2[j] = (T)((U)c2[j] + a2 * x0);                                                              \
      c3[j] = (T)((U)c3[j] + a3 * x0);                                                              \
    }                                                                                               \
  }                                                                                                 \
  static inline void gemm_r1k2_##sfx(int64_t n, const T *restrict b0, const T *restrict b1, U a0,   \
                                     U a1, T *restrict c0) {                                        \
    for (int64_t j = 0; j < n; j++) c0[j] = (T)((U)c0[j] + a0 * (U)b0[j] + a1 * (U)b1[j]);          \
  }                                                                                                 \
  static inline void gemm_r1k1_##sfx(int64_t n, const T *restrict b0, U a0, T *restrict c0) {       \
    for (int64_t j = 0; j < n; j++) c0[j] = (T)((U)c0[j] + a0 * (U)b0[j]);                          \
  }                                                                                                 \
  void kk_nn_gemm_##sfx(int64_t M, int64_t N, int64_t K, T alpha, const T *A, int64_t rsa,          \
                        int64_t csa, const T *B, int64_t ldb, T *C, int64_t ldc) {                  \
    U al = (U)alpha;                                                                                \
    for (int64_t j0 = 0; j0 < N; j0 += GEMM_NB) {                                                   \
      int64_t nb = N - j0 < GEMM_NB ? N - j0 : GEMM_NB;                                             \
      for (int64_t k0 = 0; k0 < K; k0 += GEMM_KB) {                                                 \
        int64_t ke = K - k0 < GEMM_KB ? K : k0 + GEMM_KB;                                           \
        int64_t i = 0;                                                                              \
        for (; i + 4 <= M; i += 4) {                                                                \
          T *c0 = C + i * ldc + j0;                                                                 \
          const T *a0 = A + i * rsa, *a1 = a0 + rsa, *a2 = a1 + rsa, *a3 = a2 + rsa;                \
          int64_t k = k0;                                                                           \
          for (; k + 2 <= ke; k += 2) {                                                             \
            int64_t p = k * csa, q = p + csa;                                                       \
            const T *b0 = B + k * ldb + j0;                                                         \
            gemm_r4k2_##sfx(nb, b0, b0 + ldb, al * (U)a0[p], al * (U)a0[q], al * (U)a1[p],          \
                            al * (U)a1[q], al * (U)a2[p], al * (U)a2[q], al * (U)a3[p],             \
                            al * (U)a3[q], c0, c0 + ldc, c0 + 2 * ldc, c0 + 3 * ldc);               \
          }                                                                                         \
          if (k < ke) {                                                                             \
            int64_t p = k * csa;                                                                    \
            gemm_r4k1_##sfx(nb, B + k * ldb + j0, al * (U)a0[p], al * (U)a1[p], al * (U)a2[p],      \
                            al * (U)a3[p], c0, c0 + ldc, c0 + 2 * ldc, c0 + 3 * ldc);               \
          }                                                                                         \
        }                                                                                           \
        for (; i < M; i++) {                                                                        \
          T *c0 = C + i * ldc + j0;                                                                 \
          const T *a0 = A + i * rsa;                                                                \
          int64_t k = k0;                                                                           \
          for (; k + 2 <= ke; k += 2) {                                                             \
            const T *b0 = B + k * ldb + j0;                                                         \
            gemm_r1k2_##sfx(nb, b0, b0 + ldb, al * (U)a0[k * csa], al * (U)a0[(k + 1) * csa], c0);  \
          }                                                                                         \
          if (k < ke) gemm_r1k1_##sfx(nb, B + k * ldb + j0, al * (U)a0[k * csa], c0);               \
        }                                                                                           \
      }                                                                                             \
    }                                                                                               \
  }

GEMM_IMPL(f32, float, float)
GEMM_IMPL(f64, double, double)
GEMM_IMPL(i32, int32_t, uint32_t)
GEMM_IMPL(i64, int64_t, uint64_t)
GEMM_IMPL(u32, uint32_t, uint32_t)
GEMM_IMPL(u64, uint64_t, uint64_t)

/* 32x32 tiles: both the reads and the writes stay within a few cache lines. */
#define TRANSPOSE_IMPL(sfx, T)                                                                      \
  void kk_nn_transpose_##sfx(int64_t rows, int64_t cols, const T *src, int64_t lds, T *dst,         \
                             int64_t ldd) {                                                         \
    for (int64_t r0 = 0; r0 < rows; r0 += 32)                                                       \
      for (int64_t c0 = 0; c0 < cols; c0 += 32) {                                                   \
        int64_t re = rows - r0 < 32 ? rows : r0 + 32, ce = cols - c0 < 32 ? cols : c0 + 32;         \
        for (int64_t r = r0; r < re; r++)                                                           \
          for (int64_t c = c0; c < ce; c++) dst[c * ldd + r] = src[r * lds + c];                    \
      }                                                                                             \
  }
TRANSPOSE_IMPL(f32, float)
TRANSPOSE_IMPL(f64, double)
TRANSPOSE_IMPL(i32, int32_t)
TRANSPOSE_IMPL(i64, int64_t)

/* One odometer over the summed labels nested in one over the output labels;
 * operand offsets move incrementally, so a step costs O(nops) and a full
 * wrap of the inner odometer returns them to the output position's base. */
#define EINSUM_IMPL(sfx, T, U)                                                                      \
  void kk_nn_einsum_##sfx(int nops, const T *const *ops, const int64_t *strides, int nlab, int nout,   \
                          const int64_t *dims, T *out) {                                            \
    int64_t off[KK_NN_EINSUM_MAX_OPS] = {0}, idx[KK_NN_EINSUM_MAX_LABELS] = {0};                    \
    int64_t nouter = 1, ninner = 1;                                                                 \
    for (int l = 0; l < nout; l++) nouter *= dims[l];                                               \
    for (int l = nout; l < nlab; l++) ninner *= dims[l];                                            \
    for (int64_t o = 0; o < nouter; o++) {                                                          \
      U acc = 0;                                                                                    \
      for (int64_t s = 0; s < ninner; s++) {                                                        \
        U p = 1;                                                                                    \
        for (int q = 0; q < nops; q++) p *= (U)ops[q][off[q]];                                      \
        acc += p;                                                                                   \
        for (int l = nlab - 1; l >= nout; l--) {                                                    \
          for (int q = 0; q < nops; q++) off[q] += strides[q * nlab + l];                           \
          if (++idx[l] < dims[l]) break;                                                            \
          for (int q = 0; q < nops; q++) off[q] -= strides[q * nlab + l] * dims[l];                 \
          idx[l] = 0;                                                                               \
        }                                                                                           \
      }                                                                                             \
      out[o] = (T)acc;                                                                              \
      for (int l = nout - 1; l >= 0; l--) {                                                         \
        for (int q = 0; q < nops; q++) off[q] += strides[q * nlab + l];                             \
        if (++idx[l] < dims[l]) break;                                                              \
        for (int q = 0; q < nops; q++) off[q] -= strides[q * nlab + l] * dims[l];                   \
        idx[l] = 0;                                                                                 \
      }                                                                                             \
    }                                                                                               \
  }
EINSUM_IMPL(f32, float, float)
EINSUM_IMPL(f64, double, double)
EINSUM_IMPL(i32, int32_t, uint32_t)
EINSUM_IMPL(i64, int64_t, uint64_t)
