/* loader.h: loads a model built ahead of time as a shared library (`kiln
 * compile --emit so`, artifact.c) so the CLI treats it like any model. It
 * sits beside the artifact runtime it loads (runtime/), not in the frontend:
 * it imports nothing, it checks and calls compiled code. Library kiln_loader
 * (elf_image.c, dlopen, libffi, the IR core for the I/O description). */
#ifndef KILN_LOADER_H
#define KILN_LOADER_H

#include "ir.h"

typedef struct kn_artifact kn_artifact;
bool kn_is_artifact_path(const char *path); /* NAME.so */
/* Checks the file (ELF structure, architecture, ABI, the whole metadata, the
 * image hash) before dlopen, then dlopens it and creates a context with
 * `threads` threads (weights not embedded: NAME.weights next to the library). */
kn_status kn_artifact_open(kn_ctx *ctx, const char *path, int threads, kn_artifact **out);
/* Its inputs and outputs as a graph without nodes (names, dtypes, shapes). */
const ir_graph *kn_artifact_graph(const kn_artifact *a);
const char *kn_artifact_target(const kn_artifact *a);
int64_t kn_artifact_macs(const kn_artifact *a); /* multiply-accumulates of one run */
/* Calls NAME_run_ctx through libffi; allocates the outputs. */
kn_status kn_artifact_run(kn_artifact *a, const kn_tensor *in, int nin, kn_tensor *out, int nout);
void kn_artifact_close(kn_artifact *a);

#endif
