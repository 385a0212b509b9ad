/* pb_compare.c: compares the output_K.pb files of one folder with those of a
 * reference folder (stored ONNX Runtime outputs) with the tiny-model runner's
 * tolerance (max|got - ref| / max|ref| <= 1e-4, integers exact). The AOT test
 * uses it for outputs written by a cross-built program under qemu and by
 * `kiln run model.so -o`.
 * usage: kiln_pbcmp GOT_DIR REF_DIR   (exit 0 all match, 1 mismatch or error) */
#include "frontend.h"
#include "oracle.h"
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s GOT_DIR REF_DIR\n", argv[0]);
    return 2;
  }
  kn_ctx *kn = kn_ctx_new();
  kt_tolerance tol = {KT_REL_TO_MAX, 1e-4, 0};
  int bad = 0, n = 0;
  double worst = 0;
  char gp[4200], rp[4200];
  for (int k = 0;; k++, n++) {
    snprintf(rp, sizeof rp, "%s/output_%d.pb", argv[2], k);
    if (access(rp, F_OK) != 0) break;
    snprintf(gp, sizeof gp, "%s/output_%d.pb", argv[1], k);
    kn_tensor got, want;
    if (onnx_read_tensor_file(kn, rp, &want, NULL) != KN_OK || onnx_read_tensor_file(kn, gp, &got, NULL) != KN_OK) {
      printf("output %d: %s\n", k, kn_errmsg(kn));
      bad++;
      continue;
    }
    kt_compare c;
    kt_compare_tensors(&got, &want, &tol, &c);
    if (!c.ok) {
      printf("output %d: %s\n", k, c.why);
      bad++;
    }
    if (c.rel_to_max > worst) worst = c.rel_to_max;
    kn_tensor_free(&got);
    kn_tensor_free(&want);
  }
  if (n == 0) {
    printf("no output_K.pb in %s\n", argv[2]);
    bad = 1;
  }
  printf("%s: %d outputs, worst rel_to_max %.3g\n", bad ? "MISMATCH" : "match", n, worst);
  kn_ctx_free(kn);
  return bad ? 1 : 0;
}
