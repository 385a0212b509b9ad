/* cmd_compile.c: `kiln compile MODEL -o OUTDIR`: builds the model ahead of
 * time for a target (codegen/aot.c) and prints what it wrote. Input shapes
 * come from --shape, from -i DIR (the shapes of its input_K.pb files), or the
 * declared dims with free dims 1, exactly as for `kiln run`. */
#include "aot.h"
#include "cli.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char compile_usage[] =
    "usage: kiln compile MODEL -o OUTDIR [options]\n"
    "Builds MODEL (.onnx or .kir) ahead of time: OUTDIR gets NAME.o (or .so/.s/.ll), NAME.h,\n"
    "libkiln_rt.a, kiln_rt.h, README.txt (the link line) and, with --weights file, NAME.weights.\n";

/* --target: a triple kiln builds for (codegen/cg_target.c), checked before
 * the model loads so that a typo is a usage error with a did-you-mean. */
static int set_target(const cli_parser *p, const cli_opt *opt, const char *name, const char *v) {
  kn_ctx *kn = kn_ctx_new();
  const char *triple;
  cg_arch arch;
  kn_status st = cg_target_resolve(kn, v, &triple, &arch);
  if (st == KN_OK) *opt->str = v;
  else {
    const char *names[16];
    int n = 0;
    while (n < 16 && (names[n] = cg_target_name(n))) n++;
    const char *near = cli_suggest(v, names, n);
    fprintf(stderr, "kiln %s: %s%s%s%s\n", p->cmd, kn_errmsg(kn), near ? " (did you mean " : "", near ? near : "",
            near ? "?)" : "");
  }
  kn_ctx_free(kn);
  return st == KN_OK ? CLI_GO_ON : EXIT_USAGE;
}

/* "model.onnx" in dir "clip_image/" -> "clip_image"; any name -> a C identifier */
static void default_name(const char *model, char *out, size_t n) {
  const char *base = strrchr(model, '/') ? strrchr(model, '/') + 1 : model;
  char stem[256];
  snprintf(stem, sizeof stem, "%s", base);
  char *dot = strrchr(stem, '.');
  if (dot) *dot = 0;
  if (!strcmp(stem, "model") && base != model) { /* zoo layout: NAME/model.onnx */
    const char *end = base - 1;
    while (end > model && end[-1] == '/') end--;
    const char *p = end;
    while (p > model && p[-1] != '/') p--;
    if (end > p) snprintf(stem, sizeof stem, "%.*s", (int)(end - p), p);
  }
  size_t k = 0;
  if (stem[0] >= '0' && stem[0] <= '9') out[k++] = 'm';
  for (const char *p = stem; *p && k + 1 < n; p++)
    out[k++] = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ? *p : '_';
  out[k] = 0;
  if (!k) snprintf(out, n, "model");
}

int cmd_compile(int argc, char **argv) {
  cli_common o;
  cli_common_init(&o);
  cg_aot_options ao = {0};
  const char *in_dir = NULL, *emit = "obj", *weights = "embed";
  const cli_opt opts[] = {
      {{"-o", "--outdir"}, "DIR", "where to write (created if missing)", .str = &ao.outdir},
      {{"--target"}, "TRIPLE", "x86_64-linux-gnu or aarch64-linux-gnu (default: this machine)", .str = &ao.cg.target,
       .fn = set_target},
      {{NULL}, NULL, "CPU to tune for and require (default: this machine's without\n"
                     "--target, else the target's baseline: x86-64 / generic);\n"
                     "'native': this machine's", .usage = "--cpu NAME"},
      {{NULL}, NULL, "e.g. +avx2,-avx512f or +neon,+dotprod (default: the CPU's)", .usage = "--features LIST"},
      {{"--name"}, "NAME", "C identifier prefixing every symbol (default: from the file name)", .str = &ao.name},
      {{"--emit"}, "obj|so|asm|llvm", "object (default), shared library, assembly, or LLVM IR text", .str = &emit},
      {{"--weights"}, "embed|file", "weights inside the object (default) or in NAME.weights", .str = &weights},
      {{"--cc"}, "COMPILER", "the target's C compiler (default: cc, or TRIPLE-gcc when cross)", .str = &ao.cc},
      {{"--no-runtime"}, NULL, "do not build libkiln_rt.a (then no C compiler is needed for obj)",
       .flag = &ao.no_runtime},
      {{"-i", "--inputs"}, "DIR", "take the input shapes from DIR/input_K.pb", .str = &in_dir},
      CLI_OPT_END};
  const cli_cmd cmd = {"compile", compile_usage, opts, NULL, true};
  int rc = cli_parse(&cmd, &o, argc, argv);
  if (rc != CLI_GO_ON) return rc;
  static const char *const emits[] = {"obj", "so", "asm", "llvm"};
  int e = -1;
  for (int k = 0; k < 4; k++)
    if (!strcmp(emit, emits[k])) e = k;
  if (e < 0) {
    fprintf(stderr, "kiln compile: --emit wants obj, so, asm or llvm, got '%s'\n", emit);
    cli_common_free(&o);
    return EXIT_USAGE;
  }
  if (strcmp(weights, "embed") != 0 && strcmp(weights, "file") != 0) {
    fprintf(stderr, "kiln compile: --weights wants embed or file, got '%s'\n", weights);
    cli_common_free(&o);
    return EXIT_USAGE;
  }
  if (!ao.outdir) {
    fprintf(stderr, "kiln compile: no -o OUTDIR given (see kiln compile --help)\n");
    cli_common_free(&o);
    return EXIT_USAGE;
  }
  char name[128];
  default_name(o.model, name, sizeof name);
  if (!ao.name) ao.name = name;
  ao.emit = (cg_emit)e;
  ao.weights_file = !strcmp(weights, "file");
  ao.model = o.model;
  ao.cg = (cg_options){.target = ao.cg.target, .opt_level = o.opt_level, .cpu = o.cpu, .features = o.features,
                       .dump_llvm = o.dump_llvm, .threads = 1, .passes = &o.passes};
  kn_ctx *kn = kn_ctx_new();
  ir_graph *g = NULL;
  rc = cli_load(kn, &o, &g);
  int *ranks = NULL;
  int64_t(*dims)[KN_MAX_RANK] = NULL;
  kn_tensor *values = NULL; /* -i DIR's inputs: the values of inputs that shape the graph are bound */
  int nvalues = 0;
  kn_status st = KN_OK;
  if (rc == EXIT_OK) {
    nvalues = g->ninputs;
    ranks = calloc((size_t)g->ninputs + 1, sizeof *ranks);
    dims = calloc((size_t)g->ninputs + 1, sizeof *dims);
    values = calloc((size_t)g->ninputs + 1, sizeof *values);
    if (!ranks || !dims || !values) st = kn_fail(kn, KN_ENOMEM, "out of memory");
    char path[4200];
    for (int i = 0; st == KN_OK && i < g->ninputs; i++) {
      snprintf(path, sizeof path, "%s/input_%d.pb", in_dir ? in_dir : "", i);
      if (in_dir && access(path, F_OK) == 0) {
        kn_tensor t;
        st = onnx_read_tensor_file(kn, path, &t, NULL);
        if (st != KN_OK) break;
        ranks[i] = t.rank;
        memcpy(dims[i], t.dims, sizeof dims[i]);
        values[i] = t;
      } else if (g->values[g->inputs[i]].constant) {
        ranks[i] = -1; /* an input with a default keeps its initializer's shape */
      } else {
        cli_input_shape(&o, g, i, &ranks[i], dims[i]);
      }
    }
  }
  ao.cg.input_values = values;
  ao.cg.ninput_values = nvalues;
  cg_aot_report rep;
  if (rc == EXIT_OK && st == KN_OK) {
    st = cg_aot_compile(kn, g, ranks, (const int64_t(*)[KN_MAX_RANK])dims, &ao, &rep);
    g = NULL;
  }
  if (rc == EXIT_OK && st != KN_OK) {
    fprintf(stderr, "kiln: error: %s: %s\n", o.model, kn_errmsg(kn));
    rc = EXIT_MODEL;
  } else if (rc == EXIT_OK) {
    printf("compiled %s for %s (cpu %s, %d-byte vectors): %d nodes, workspace %lld bytes, %d weights of %lld bytes %s\n",
           o.model, rep.triple, rep.cpu, rep.vec_bytes, rep.stats.live_nodes,
           (long long)rep.stats.workspace_bytes, rep.nweights, (long long)rep.weights_bytes,
           ao.weights_file ? "in a file" : "embedded");
    printf("wrote %s in %s: %s.h, kiln_rt.h%s%s, README.txt\n", rep.artifact + strlen(ao.outdir) + 1, ao.outdir,
           ao.name, ao.no_runtime ? "" : ", libkiln_rt.a", ao.weights_file ? ", the weights file" : "");
    if (o.verbose)
      printf("aot: specialize %.1f ms, LLVM %.1f ms, emit %.1f ms, runtime/link %.1f ms%s%s\n", rep.stats.specialize_ms,
             rep.llvm_ms, rep.emit_ms, rep.runtime_ms, rep.cc[0] ? ", C compiler " : "", rep.cc);
  }
  ir_graph_free(g);
  for (int i = 0; values && i < nvalues; i++) kn_tensor_free(&values[i]);
  free(values);
  free(ranks);
  free(dims);
  kn_ctx_free(kn);
  cli_common_free(&o);
  return rc;
}
