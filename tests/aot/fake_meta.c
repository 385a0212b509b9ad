/* fake_meta.c: a hand-made shared library that exports a kiln_artifact_meta,
 * for tests/aot_load_test.sh: kiln's loader must refuse it, from the file,
 * before dlopen. As written it is well formed (one float input 'x', one
 * output 'y', exported entry points, no weights) and only lacks the image
 * hash kiln compile writes; each -D below breaks one thing the loader checks:
 *   -DNAME=0 -DENTRY=0 -DRANK=9 -DNUMEL=7 -DDIM0=-3 -DNINPUTS=100000
 *   -DRAW_INPUTS=64   (inputs: an address without a relocation)
 *   -DSYM_RUN='"no_such_function"' -DSRC_KIND=1 -DSRC_INDEX=5
 *   -DMARKER='"path"'  a constructor that creates that file (it must not run)
 * build: cc -shared -fPIC -I runtime [-D...] fake_meta.c -o fake.so */
#include "kiln_rt.h"
#include <stdio.h>

#ifndef NAME
#define NAME "fake"
#endif
#ifndef ENTRY
#define ENTRY entry
#endif
#ifndef RANK
#define RANK 2
#endif
#ifndef NUMEL
#define NUMEL 6
#endif
#ifndef DIM0
#define DIM0 2
#endif
#ifndef NINPUTS
#define NINPUTS 1
#endif
#ifdef RAW_INPUTS
#define INPUTS ((const kiln_io_info *)RAW_INPUTS)
#else
#define INPUTS ins
#endif
#ifndef SYM_RUN
#define SYM_RUN "fake_run"
#endif
#ifndef SRC_KIND
#define SRC_KIND KILN_SRC_CODE
#endif
#ifndef SRC_INDEX
#define SRC_INDEX 0
#endif

static const int64_t dims[2] = {DIM0, 3};
static kiln_rt_ctx *default_ctx;

static int32_t entry(void **io, void *ws, const void *const *consts, void *rt) {
  (void)io, (void)ws, (void)consts, (void)rt;
  return 0;
}

/* the entry points the metadata names (never called: the loader refuses first) */
int fake_run(void) { return 0; }
int fake_run_ctx(void) { return 0; }
void *fake_ctx_new(int threads, const char *weights) { return (void)threads, (void)weights, NULL; }
void fake_ctx_free(void *ctx) { (void)ctx; }
int fake_init(const char *weights) { return (void)weights, 0; }
const char *fake_error(void) { return ""; }

static const kiln_io_info ins[1] = {{"x", KILN_FLOAT, RANK, dims, NUMEL, NUMEL * 4, KILN_SRC_CODE, 0}};
static const kiln_io_info outs[1] = {{"y", KILN_FLOAT, 2, dims, 6, 24, SRC_KIND, SRC_INDEX}};

const kiln_artifact_meta fake_meta __asm__("kiln_artifact_meta") = {
    .magic = KILN_ARTIFACT_MAGIC,
    .abi_version = KILN_ABI_VERSION,
#if defined(__aarch64__)
    .arch = KILN_ARCH_AARCH64,
#else
    .arch = KILN_ARCH_X86_64,
#endif
    .struct_bytes = sizeof(kiln_artifact_meta),
    .name = NAME,
    .kiln_version = "0",
    .target = "host",
    .cpu = "",
    .features = "",
    .ninputs = NINPUTS,
    .noutputs = 1,
    .inputs = INPUTS,
    .outputs = outs,
    .entry = ENTRY,
    .default_ctx = &default_ctx,
    .sym_run = SYM_RUN,
    .sym_run_ctx = "fake_run_ctx",
    .sym_ctx_new = "fake_ctx_new",
    .sym_ctx_free = "fake_ctx_free",
    .sym_init = "fake_init",
    .sym_error = "fake_error",
};

#ifdef MARKER
__attribute__((constructor)) static void mark(void) {
  FILE *f = fopen(MARKER, "w");
  if (f) fclose(f);
}
#endif
