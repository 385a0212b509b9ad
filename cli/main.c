/* main.c: the `kiln` command-line tool: dispatches subcommands. */
#include "cli.h"
#include <string.h>

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
