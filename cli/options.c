/* options.c: the one command-line parser of every kiln subcommand. A command
 * declares a table of its own options (cli_opt rows: names, flag or value,
 * where the value goes, help); the engine/pass flags all commands share come
 * from common_options.c. One parser gives one behaviour everywhere: a long
 * option's value as `--opt=value` or `--opt value`, -h/--help, exactly one
 * positional MODEL, the same messages, exit 2 for every usage error, and a
 * did-you-mean for a mistyped option. --help is printed from the same rows,
 * so an option and its help text cannot drift apart. */
#include "cli.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Optimal string alignment distance: Levenshtein plus adjacent swaps, so
 * --theads and --thraeds are both one edit from --threads. */
static int edit_distance(const char *a, const char *b) {
  enum { N = 64 };
  size_t n = strlen(a), m = strlen(b);
  if (n >= N || m >= N) return N;
  int d[N][N];
  for (size_t i = 0; i <= n; i++) d[i][0] = (int)i;
  for (size_t j = 0; j <= m; j++) d[0][j] = (int)j;
  for (size_t i = 1; i <= n; i++)
    for (size_t j = 1; j <= m; j++) {
      int v = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
      if (d[i - 1][j] + 1 < v) v = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < v) v = d[i][j - 1] + 1;
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
        v = d[i - 2][j - 2] + 1;
      d[i][j] = v;
    }
  return d[n][m];
}

const char *cli_suggest(const char *typed, const char *const *cands, int n) {
  const char *t = typed;
  while (*t == '-') t++;
  size_t len = strlen(t);
  /* half the length at most: "-x" is one edit from "-i" but hardly a typo of it */
  int best_d = (len / 2 < 2 ? (int)(len / 2) : 2) + 1;
  const char *best = NULL;
  for (int k = 0; k < n; k++) {
    int d = edit_distance(typed, cands[k]);
    if (d < best_d) best_d = d, best = cands[k];
  }
  if (best || len < 3) return best;
  int hits = 0; /* a unique prefix: --thr for --threads */
  for (int k = 0; k < n; k++)
    if (!strncmp(cands[k], typed, strlen(typed))) hits++, best = cands[k];
  return hits == 1 ? best : NULL;
}

static bool row_is_end(const cli_opt *r) { return !r->names[0] && !r->usage && !r->help; }

static const cli_opt *find_opt(const cli_opt *t, const char *a, size_t n, const char **name) {
  for (; !row_is_end(t); t++)
    for (int k = 0; k < 4 && t->names[k]; k++)
      if (strlen(t->names[k]) == n && !strncmp(t->names[k], a, n)) {
        *name = t->names[k];
        return t;
      }
  return NULL;
}

/* "  -i, --inputs DIR       help", continuation lines under the help column;
 * a left column too wide for it puts the help on the next line. */
static void print_rows(const cli_opt *t) {
  for (; !row_is_end(t); t++) {
    if (!t->help) continue;
    if (!t->names[0] && !t->usage) { /* a heading */
      printf("%s\n", t->help);
      continue;
    }
    char left[160] = "";
    if (t->usage) snprintf(left, sizeof left, "%s", t->usage);
    for (int k = 0; !t->usage && k < 4 && t->names[k]; k++)
      snprintf(left + strlen(left), sizeof left - strlen(left), "%s%s", k ? ", " : "", t->names[k]);
    if (!t->usage && t->arg) snprintf(left + strlen(left), sizeof left - strlen(left), " %s", t->arg);
    if (strlen(left) <= 22) printf("  %-22s ", left);
    else printf("  %s\n%25s", left, "");
    for (const char *h = t->help; *h; h++) {
      putchar(*h);
      if (*h == '\n') printf("%25s", "");
    }
    putchar('\n');
  }
}

static int unknown_option(const cli_parser *p, const char *a, size_t n, const cli_opt *const tables[2]) {
  const char *cands[128];
  int nc = 0;
  cands[nc++] = "--help";
  for (int t = 0; t < 2; t++)
    for (const cli_opt *r = tables[t]; !row_is_end(r); r++)
      for (int k = 0; k < 4 && r->names[k] && nc < 128; k++) cands[nc++] = r->names[k];
  char typed[128];
  snprintf(typed, sizeof typed, "%.*s", (int)n, a);
  const char *s = cli_suggest(typed, cands, nc);
  if (s) fprintf(stderr, "kiln %s: unknown option %s (did you mean %s?)\n", p->cmd, typed, s);
  else fprintf(stderr, "kiln %s: unknown option %s (see kiln %s --help)\n", p->cmd, typed, p->cmd);
  return EXIT_USAGE;
}

static int parse_int(const cli_parser *p, const cli_opt *opt, const char *name, const char *v) {
  char *end;
  errno = 0;
  long n = strtol(v, &end, 10);
  if (end == v || *end || errno || n < opt->min || n > opt->max) {
    fprintf(stderr, "kiln %s: %s wants an integer from %d to %d, got '%s'\n", p->cmd, name, opt->min, opt->max, v);
    return EXIT_USAGE;
  }
  *opt->num = (int)n;
  return CLI_GO_ON;
}

static int apply(const cli_parser *p, const cli_opt *opt, const char *name, const char *val) {
  if (opt->fn) return opt->fn(p, opt, name, val);
  if (opt->num) return parse_int(p, opt, name, val);
  if (opt->flag) *opt->flag = true;
  else if (opt->str) *opt->str = val;
  return CLI_GO_ON;
}

static int parse(const cli_cmd *cmd, const cli_opt *common, cli_common *o, int argc, char **argv) {
  const cli_opt *const tables[2] = {cmd->opts, common};
  const cli_parser p = {cmd->name, o};
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (a[0] != '-') {
      if (o->model) {
        fprintf(stderr, "kiln %s: more than one model given (%s and %s)\n", cmd->name, o->model, a);
        return EXIT_USAGE;
      }
      o->model = a;
      continue;
    }
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      fputs(cmd->usage, stdout);
      print_rows(cmd->opts);
      if (cmd->notes) fputs(cmd->notes, stdout);
      if (cmd->common_help) print_rows(common);
      return EXIT_OK;
    }
    const char *eq = a[1] == '-' ? strchr(a, '=') : NULL; /* only long options take --opt=value */
    size_t n = eq ? (size_t)(eq - a) : strlen(a);
    const char *name = NULL;
    const cli_opt *opt = find_opt(cmd->opts, a, n, &name);
    if (!opt) opt = find_opt(common, a, n, &name);
    if (!opt) return unknown_option(&p, a, n, tables);
    const char *val = eq ? eq + 1 : NULL;
    if (!opt->arg && eq) {
      fprintf(stderr, "kiln %s: %s takes no value\n", cmd->name, name);
      return EXIT_USAGE;
    }
    if (opt->arg && !eq) {
      if (i + 1 >= argc) {
        fprintf(stderr, "kiln %s: %s needs a value (%s %s)\n", cmd->name, name, name, opt->arg);
        return EXIT_USAGE;
      }
      val = argv[++i];
    }
    int rc = apply(&p, opt, name, val);
    if (rc != CLI_GO_ON) return rc;
  }
  if (!o->model) {
    fprintf(stderr, "kiln %s: no model given (see kiln %s --help)\n", cmd->name, cmd->name);
    return EXIT_USAGE;
  }
  return CLI_GO_ON;
}

int cli_parse(const cli_cmd *cmd, cli_common *o, int argc, char **argv) {
  cli_opt common[CLI_MAX_COMMON];
  cli_common_opts(o, common);
  int rc = parse(cmd, common, o, argc, argv);
  if (rc != CLI_GO_ON) cli_common_free(o);
  return rc;
}
