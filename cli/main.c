/* main.c: the `kiln` command-line tool: dispatches subcommands. It also
 * installs LLVM's fatal-error handler: LLVM reports some failures it cannot
 * recover from (e.g. "Cannot select" in instruction selection) by aborting
 * the process with a dump of its internals; the handler prints one kiln error
 * line instead and exits with 1. The process cannot go on after such an error,
 * so the exit is here in the tool, not in the library. */
#include "cli.h"
#include <llvm-c/ErrorHandling.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void llvm_fatal(const char *reason) {
  size_t n = strcspn(reason, "\n"); /* the first line: "Cannot select: ..." dumps the DAG after it */
  fflush(stdout);
  fprintf(stderr,
          "kiln: error: LLVM failed and cannot continue: %.*s%s\n"
          "kiln: (a kiln bug, or a --cpu/--features combination LLVM cannot compile for)\n",
          (int)(n > 400 ? 400 : n), reason, n > 400 ? "..." : "");
  fflush(stderr);
  _exit(EXIT_MODEL); /* LLVM's state is broken: no atexit handlers or static destructors */
}

static const char main_help[] =
    "kiln " KN_VERSION ": a dataflow graph compiler and runtime for vision-language models\n"
    "usage: kiln COMMAND [options]   (kiln COMMAND --help for its options)\n"
    "commands:\n"
    "  run MODEL       import, compile, execute and summarize a model (.onnx or .kir)\n"
    "  bench MODEL     compile once and time repeated runs\n"
    "  inspect MODEL   print the IR, op histogram, params and MACs\n"
    "  export MODEL    write the model as ONNX (-o OUT.onnx)\n"
    "  compile MODEL   build ahead of time for a target: object/.so, C header, runtime\n"
    "  help            this text\n"
    "exit codes: 0 ok, 1 model error, 2 usage error\n";

int main(int argc, char **argv) {
  LLVMInstallFatalErrorHandler(llvm_fatal);
  if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
    fputs(main_help, argc < 2 ? stderr : stdout);
    return argc < 2 ? EXIT_USAGE : EXIT_OK;
  }
  if (!strcmp(argv[1], "--version")) {
    printf("kiln %s\n", KN_VERSION);
    return EXIT_OK;
  }
  if (!strcmp(argv[1], "run")) return cmd_run(argc - 2, argv + 2);
  if (!strcmp(argv[1], "bench")) return cmd_bench(argc - 2, argv + 2);
  if (!strcmp(argv[1], "inspect")) return cmd_inspect(argc - 2, argv + 2);
  if (!strcmp(argv[1], "export")) return cmd_export(argc - 2, argv + 2);
  if (!strcmp(argv[1], "compile")) return cmd_compile(argc - 2, argv + 2);
  fprintf(stderr, "kiln: unknown command '%s' (see kiln --help)\n", argv[1]);
  return EXIT_USAGE;
}
