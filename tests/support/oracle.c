/* oracle.c: tensor comparison with explicit tolerances. Float outputs compare
 * in double; integer and bool outputs must match exactly. */
#include "oracle.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

void kt_compare_tensors(const kn_tensor *got, const kn_tensor *want, const kt_tolerance *tol, kt_compare *out) {
  memset(out, 0, sizeof *out);
  if (got->dtype != want->dtype) {
    snprintf(out->why, sizeof out->why, "dtype %s, expected %s", kn_dtype_name(got->dtype), kn_dtype_name(want->dtype));
    return;
  }
  bool shape_ok = got->rank == want->rank;
  for (int i = 0; shape_ok && i < got->rank; i++) shape_ok = got->dims[i] == want->dims[i];
  if (!shape_ok) {
    char a[128] = "", b[128] = "";
    for (int i = 0; i < got->rank; i++) snprintf(a + strlen(a), sizeof a - strlen(a), "%s%lld", i ? "x" : "", (long long)got->dims[i]);
    for (int i = 0; i < want->rank; i++) snprintf(b + strlen(b), sizeof b - strlen(b), "%s%lld", i ? "x" : "", (long long)want->dims[i]);
    snprintf(out->why, sizeof out->why, "shape [%.100s], expected [%.100s]", a, b);
    return;
  }
  int64_t n = kn_tensor_numel(want);
  bool exact = !kn_dtype_is_float(want->dtype);
  double max_ref = 0, max_abs = 0;
  int64_t bad = -1;
  for (int64_t i = 0; i < n; i++) {
    double g = kn_tensor_get_f64(got, i), w = kn_tensor_get_f64(want, i);
    if (exact) {
      if (kn_tensor_get_i64(got, i) != kn_tensor_get_i64(want, i) && bad < 0) bad = i;
      continue;
    }
    if (isnan(w) || isnan(g)) {
      if (isnan(w) != isnan(g) && bad < 0) bad = i;
      continue;
    }
    if (isinf(w) || isinf(g)) {
      if (g != w && bad < 0) bad = i;
      continue;
    }
    double d = fabs(g - w);
    if (d > max_abs) max_abs = d;
    if (fabs(w) > max_ref) max_ref = fabs(w);
    if (tol->mode == KT_ELEMENTWISE && d > tol->atol + tol->rtol * fabs(w) && bad < 0) bad = i;
  }
  out->max_abs = max_abs;
  out->rel_to_max = max_ref > 0 ? max_abs / max_ref : max_abs;
  if (bad >= 0) {
    snprintf(out->why, sizeof out->why, "element %lld is %.9g, expected %.9g (max abs err %.3g)", (long long)bad,
             kn_tensor_get_f64(got, bad), kn_tensor_get_f64(want, bad), max_abs);
    return;
  }
  if (tol->mode == KT_REL_TO_MAX && out->rel_to_max > tol->rtol && max_abs > tol->atol) {
    snprintf(out->why, sizeof out->why, "max abs err %.3g, relative to max %.3g > %.1g", max_abs, out->rel_to_max,
             tol->rtol);
    return;
  }
  out->ok = true;
}

const char *kt_result_name(kt_result r) {
  switch (r) {
  case KT_PASS: return "pass";
  case KT_MISMATCH: return "mismatch";
  case KT_UNSUPPORTED: return "unsupported";
  case KT_ERROR: return "error";
  case KT_SKIP: return "skip";
  }
  return "?";
}
