/* swish.c: custom-op functions for kiln's tests, as a user would write them
 * for an ONNX op kiln does not know (docs/deploy.md, "Custom ops"). Built as a
 * shared library for the JIT and the reference executor (dlopen), and
 * compiled into the AOT test's program for aarch64. Plain C, libm only.
 *   --custom-op 'MySwish=libkiln_test_customop.so:void kiln_test_swish(in0, numel(in0), out0, attr_f(beta))'
 *   --custom-op 'CheckedScale=...:int kiln_test_checked_scale(in0, dim(in0, 0), dim(in0, 1), out0, attr_i(factor))' */
#include <math.h>
#include <stdint.h>

#if defined(__GNUC__)
#define EXPORT __attribute__((visibility("default")))
#else
#define EXPORT
#endif

/* y = x * sigmoid(beta * x) */
EXPORT void kiln_test_swish(const float *x, int64_t n, float *y, float beta) {
  for (int64_t i = 0; i < n; i++) y[i] = x[i] / (1.0f + expf(-beta * x[i]));
}

/* y[r][c] = x[r][c] * factor * (r + 1); fails (returns 3) on a NaN input */
EXPORT int kiln_test_checked_scale(const float *x, int64_t rows, int64_t cols, float *y, int64_t factor) {
  for (int64_t r = 0; r < rows; r++)
    for (int64_t c = 0; c < cols; c++) {
      float v = x[r * cols + c];
      if (v != v) return 3;
      y[r * cols + c] = v * (float)factor * (float)(r + 1);
    }
  return 0;
}
