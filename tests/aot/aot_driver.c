/* aot_driver.c: a small C program around one ahead-of-time built model, as a
 * user would write it on the device: it reads IN_DIR/input_K.pb, calls the
 * model's typed entry point, and writes OUT_DIR/output_K.pb, which the AOT
 * test compares with ONNX Runtime's outputs on the host. It is compiled per
 * model with -DKILN_MODEL=NAME and linked with NAME.o and libkiln_rt.a; the
 * I/O layout comes from NAME_meta, and the entry point (whose arity depends
 * on the model) is called through a pointer cast to the exact arity.
 * usage: aot_driver IN_DIR OUT_DIR [THREADS [WEIGHTS]]
 *   THREADS 0 (default): NAME_run on the default context (NAME_init first when
 *   WEIGHTS is given); else NAME_ctx_new(THREADS, WEIGHTS) and NAME_run_ctx. */
#include "kiln_rt.h"
#include "pb_lite.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define SYM(s) CAT(KILN_MODEL, s)
#define STR2(x) #x
#define STR(x) STR2(x)

extern const kiln_artifact_meta SYM(_meta);
kiln_rt_ctx *SYM(_ctx_new)(int threads, const char *weights_path);
void SYM(_ctx_free)(kiln_rt_ctx *ctx);
int SYM(_init)(const char *weights_path);
/* the typed entry points; called through casts to their real arity */
void SYM(_run)(void);
void SYM(_run_ctx)(void);

typedef void *P;
static int call(void (*fn)(void), P *a, int n) {
  switch (n) {
  case 1: return ((int (*)(P))fn)(a[0]);
  case 2: return ((int (*)(P, P))fn)(a[0], a[1]);
  case 3: return ((int (*)(P, P, P))fn)(a[0], a[1], a[2]);
  case 4: return ((int (*)(P, P, P, P))fn)(a[0], a[1], a[2], a[3]);
  case 5: return ((int (*)(P, P, P, P, P))fn)(a[0], a[1], a[2], a[3], a[4]);
  case 6: return ((int (*)(P, P, P, P, P, P))fn)(a[0], a[1], a[2], a[3], a[4], a[5]);
  case 7: return ((int (*)(P, P, P, P, P, P, P))fn)(a[0], a[1], a[2], a[3], a[4], a[5], a[6]);
  case 8: return ((int (*)(P, P, P, P, P, P, P, P))fn)(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
  case 9: return ((int (*)(P, P, P, P, P, P, P, P, P))fn)(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8]);
  case 10:
    return ((int (*)(P, P, P, P, P, P, P, P, P, P))fn)(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9]);
  case 11:
    return ((int (*)(P, P, P, P, P, P, P, P, P, P, P))fn)(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9],
                                                           a[10]);
  case 12:
    return ((int (*)(P, P, P, P, P, P, P, P, P, P, P, P))fn)(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8],
                                                              a[9], a[10], a[11]);
  default: fprintf(stderr, "aot_driver: %d entry-point arguments: extend call()\n", n); return -1;
  }
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s IN_DIR OUT_DIR [THREADS [WEIGHTS]]\n", argv[0]);
    return 2;
  }
  const kiln_artifact_meta *m = &SYM(_meta);
  int threads = argc > 3 ? atoi(argv[3]) : 0;
  const char *weights = argc > 4 ? argv[4] : NULL;
  int nio = m->ninputs + m->noutputs;
  P args[16];
  pbl_tensor *ts = calloc((size_t)nio + 1, sizeof *ts);
  char path[4096], err[512];
  int rc = 0;
  for (int k = 0; k < m->ninputs && !rc; k++) {
    const kiln_io_info *in = &m->inputs[k];
    snprintf(path, sizeof path, "%s/input_%d.pb", argv[1], k);
    if (pbl_read(path, &ts[k], err, sizeof err)) {
      fprintf(stderr, "aot_driver: %s\n", err);
      rc = 1;
      break;
    }
    int same = ts[k].dtype == in->dtype && ts[k].rank == in->rank;
    for (int d = 0; same && d < in->rank; d++) same = ts[k].dims[d] == in->dims[d];
    if (!same) {
      fprintf(stderr, "aot_driver: %s does not have the dtype/shape input '%s' was compiled for\n", path, in->name);
      rc = 1;
    }
  }
  for (int k = 0; k < m->noutputs && !rc; k++) {
    pbl_tensor *t = &ts[m->ninputs + k];
    const kiln_io_info *out = &m->outputs[k];
    t->dtype = out->dtype;
    t->rank = out->rank;
    for (int d = 0; d < out->rank; d++) t->dims[d] = out->dims[d];
    snprintf(t->name, sizeof t->name, "%s", out->name);
    t->nbytes = out->nbytes;
    t->data = calloc(1, (size_t)(out->nbytes ? out->nbytes : 1));
  }
  if (!rc) {
    int ctxarg = threads > 0 ? 1 : 0;
    kiln_rt_ctx *ctx = NULL;
    if (threads > 0) {
      ctx = SYM(_ctx_new)(threads, weights);
      if (!ctx) {
        fprintf(stderr, "aot_driver: %s_ctx_new: %s\n", STR(KILN_MODEL), kiln_rt_error());
        return 1;
      }
      args[0] = ctx;
    } else if (weights && SYM(_init)(weights) != 0) {
      fprintf(stderr, "aot_driver: %s_init: %s\n", STR(KILN_MODEL), kiln_rt_error());
      return 1;
    }
    for (int i = 0; i < nio; i++) args[ctxarg + i] = ts[i].data;
    rc = call(threads > 0 ? SYM(_run_ctx) : SYM(_run), args, nio + ctxarg);
    if (rc) fprintf(stderr, "aot_driver: %s: status %d: %s\n", STR(KILN_MODEL), rc, kiln_rt_error());
    SYM(_ctx_free)(ctx);
  }
  for (int k = 0; k < m->noutputs && !rc; k++) {
    snprintf(path, sizeof path, "%s/output_%d.pb", argv[2], k);
    if (pbl_write(path, &ts[m->ninputs + k])) {
      fprintf(stderr, "aot_driver: cannot write %s\n", path);
      rc = 1;
    }
  }
  for (int i = 0; i < nio; i++) pbl_free(&ts[i]);
  free(ts);
  if (!rc) printf("%s: %d inputs, %d outputs written to %s\n", m->name, m->ninputs, m->noutputs, argv[2]);
  return rc ? 1 : 0;
}
