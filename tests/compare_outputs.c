/* compare_outputs.c: kiln_compare, the comparison step of shell tests such as
 * ort_roundtrip.sh (the CI machine has no numpy). Compares serialized
 * TensorProto files, or every output_K.pb of two folders, with the model
 * runner's measure: float outputs by max|got - want| / max|want| <= TOL
 * (tests/support/oracle.c), integer and bool outputs exactly.
 * usage: kiln_compare [--tol TOL] GOT WANT   (files, or folders of output_K.pb)
 * Prints one line per output and the worst relative error; exit 0 when all
 * match, 1 on a mismatch, 2 on a usage or file error. */
#include "frontend.h"
#include "oracle.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static bool is_dir(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Compares one pair; returns 0 match, 1 mismatch, 2 error. */
static int compare_files(kn_ctx *kn, const char *got_path, const char *want_path, double tol, double *worst) {
  kn_tensor got, want;
  char *name = NULL;
  if (onnx_read_tensor_file(kn, got_path, &got, NULL) != KN_OK) {
    fprintf(stderr, "kiln_compare: %s\n", kn_errmsg(kn));
    return 2;
  }
  if (onnx_read_tensor_file(kn, want_path, &want, &name) != KN_OK) {
    fprintf(stderr, "kiln_compare: %s\n", kn_errmsg(kn));
    kn_tensor_free(&got);
    return 2;
  }
  kt_tolerance t = {KT_REL_TO_MAX, tol, 0};
  kt_compare c;
  kt_compare_tensors(&got, &want, &t, &c);
  printf("%-40s %-24s max_abs %10.3g  rel_to_max %10.3g  %s%s\n", want_path, name && *name ? name : "-", c.max_abs,
         c.rel_to_max, c.ok ? "ok" : "MISMATCH: ", c.ok ? "" : c.why);
  if (c.rel_to_max > *worst) *worst = c.rel_to_max;
  kn_tensor_free(&got);
  kn_tensor_free(&want);
  free(name);
  return c.ok ? 0 : 1;
}

int main(int argc, char **argv) {
  double tol = 1e-4;
  const char *paths[2] = {NULL, NULL};
  int np = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--tol") && i + 1 < argc) tol = strtod(argv[++i], NULL);
    else if (argv[i][0] != '-' && np < 2) paths[np++] = argv[i];
    else np = 3;
  }
  if (np != 2 || !(tol >= 0)) {
    fprintf(stderr, "usage: kiln_compare [--tol TOL] GOT WANT   (TensorProto files, or folders of output_K.pb)\n");
    return 2;
  }
  kn_ctx *kn = kn_ctx_new();
  double worst = 0;
  int rc = 0, n = 0;
  if (is_dir(paths[1])) {
    char a[4096], b[4096];
    for (;; n++) {
      snprintf(b, sizeof b, "%s/output_%d.pb", paths[1], n);
      struct stat st;
      if (stat(b, &st) != 0) break;
      snprintf(a, sizeof a, "%s/output_%d.pb", paths[0], n);
      int r = compare_files(kn, a, b, tol, &worst);
      if (r > rc) rc = r;
    }
    if (n == 0) {
      fprintf(stderr, "kiln_compare: no output_K.pb files in %s\n", paths[1]);
      rc = 2;
    }
  } else {
    rc = compare_files(kn, paths[0], paths[1], tol, &worst);
    n = 1;
  }
  printf("%d outputs, max rel_to_max %.3g (tolerance %.3g): %s\n", n, worst, tol,
         rc == 0 ? "match" : rc == 1 ? "MISMATCH" : "ERROR");
  kn_ctx_free(kn);
  return rc;
}
