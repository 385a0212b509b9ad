/* conformance_runner.c: runs the ONNX backend conformance suites
 * (/usr/share/libonnx-testdata/data/{node,pytorch-converted,pytorch-operator,
 * simple}) on the reference executor. Each case runs in a forked child with a
 * time limit, so a crash or hang is reported as such instead of killing the
 * run. Prints pass/fail/unsupported counts per suite and compares every case's
 * status with a committed expectation list (a case not on the list is
 * expected to pass). Statuses are ranked pass > unsupported = error >
 * mismatch > crash = timeout (docs/testing.md): a case that does worse than
 * listed fails the run (exit 1), and so does every crash or timeout, listed
 * or not; one that does better, or differently at the same rank, is reported
 * with a request to update the list but does not fail. A filter or suite
 * list that selects no case fails too: "0 of 0" proves nothing.
 *
 * usage: kiln_conformance [--data DIR] [--suite NAME]... [--filter SUBSTR]
 *                         [--expect FILE] [--write-expect FILE] [--engine ref|jit] [-O0..-O3]
 *                         [--via-onnx] [--no-fallback] [-v]
 * --engine jit compiles each case with the LLVM JIT instead of running the
 * reference executor, after the pass pipeline of -O<n> (default -O3); -O<n>
 * given with the reference engine runs that pipeline on each case specialized
 * to its shapes first (what the JIT would compile). The same expectation list
 * applies to both engines and every level.
 * --via-onnx writes each imported case back as ONNX with kiln's writer and
 * imports that first (the writer's round trip on every op test).
 * --no-fallback (with --engine jit) compiles as an AOT build must, with no
 * reference kernels to call back into (its own expectation list says which
 * cases AOT builds cannot take, and why). */
#include "oracle.h"
#include "passes.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define CASE_TIMEOUT_S 120

typedef struct entry {
  char name[256]; /* suite/test */
  char status[32];
  char msg[1024];
} entry;

typedef struct list {
  entry *v;
  int n, cap;
} list;

static void push(list *l, const entry *e) {
  if (l->n == l->cap) {
    l->cap = l->cap ? l->cap * 2 : 256;
    l->v = realloc(l->v, sizeof *l->v * (size_t)l->cap);
    if (!l->v) {
      fprintf(stderr, "out of memory\n");
      exit(2);
    }
  }
  l->v[l->n++] = *e;
}

static const entry *find(const list *l, const char *name) {
  for (int i = 0; i < l->n; i++)
    if (strcmp(l->v[i].name, name) == 0) return &l->v[i];
  return NULL;
}

/* Higher is better; -1 for a word that is not a status. Unsupported and
 * error are both clean refusals with a message; a mismatch is a wrong answer
 * given silently, worse than a refusal; a crash or hang is worst. */
static int status_rank(const char *s) {
  static const struct { const char *name; int rank; } ranks[] = {
      {"pass", 3}, {"unsupported", 2}, {"error", 2}, {"mismatch", 1}, {"crash", 0}, {"timeout", 0}};
  for (size_t i = 0; i < sizeof ranks / sizeof ranks[0]; i++)
    if (!strcmp(s, ranks[i].name)) return ranks[i].rank;
  return -1;
}


/* Runs one case in a child; the child writes "status\tmessage" into a pipe. */
static unsigned case_flags;

static void run_forked(const char *dir, entry *e) {
  int fd[2];
  if (pipe(fd) != 0) {
    snprintf(e->status, sizeof e->status, "error");
    snprintf(e->msg, sizeof e->msg, "pipe failed");
    return;
  }
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    close(fd[0]);
    alarm(CASE_TIMEOUT_S);
    kt_tolerance tol = {KT_ELEMENTWISE, 1e-3, 1e-5};
    kt_case_report rep;
    kt_run_case(dir, &tol, case_flags, &rep);
    char buf[1200];
    for (char *p = rep.msg; *p; p++)
      if (*p == '\n' || *p == '\t') *p = ' ';
    int n = snprintf(buf, sizeof buf, "%s\t%s", kt_result_name(rep.result), rep.msg);
    if (write(fd[1], buf, (size_t)n) < 0) _exit(3);
    exit(0); /* not _exit: lets LeakSanitizer check the case in sanitizer builds */
  }
  close(fd[1]);
  char buf[1300];
  size_t got = 0;
  ssize_t r;
  while ((r = read(fd[0], buf + got, sizeof buf - 1 - got)) > 0) got += (size_t)r;
  buf[got] = 0;
  close(fd[0]);
  int wst = 0;
  waitpid(pid, &wst, 0);
  if (WIFSIGNALED(wst)) {
    int sig = WTERMSIG(wst);
    snprintf(e->status, sizeof e->status, sig == SIGALRM ? "timeout" : "crash");
    snprintf(e->msg, sizeof e->msg, "child died with signal %d", sig);
    return;
  }
  if (WIFEXITED(wst) && WEXITSTATUS(wst) != 0) {
    snprintf(e->status, sizeof e->status, "crash");
    snprintf(e->msg, sizeof e->msg, "child exited with status %d (a sanitizer report?)", WEXITSTATUS(wst));
    return;
  }
  char *tab = strchr(buf, '\t');
  if (!tab) {
    snprintf(e->status, sizeof e->status, "crash");
    snprintf(e->msg, sizeof e->msg, "child exited without a result");
    return;
  }
  *tab = 0;
  snprintf(e->status, sizeof e->status, "%.31s", buf);
  snprintf(e->msg, sizeof e->msg, "%s", tab + 1);
}

/* Reads "suite/case status reason" lines; a missing file or an unknown
 * status is an error (a typo must not silently expect a pass). */
static bool load_expect(const char *path, list *l) {
  FILE *f = fopen(path, "r");
  if (!f) {
    perror(path);
    return false;
  }
  char line[2048];
  int lineno = 0;
  bool ok = true;
  while (fgets(line, sizeof line, f)) {
    lineno++;
    if (line[0] == '#' || line[0] == '\n') continue;
    entry e = {0};
    char *sp = strchr(line, ' ');
    if (!sp) sp = line + strcspn(line, "\n"); /* no status: reported as unknown below */
    *sp = 0;
    snprintf(e.name, sizeof e.name, "%.255s", line);
    char *st = sp[1] ? sp + 1 : sp, *sp2 = strpbrk(st, " \n");
    if (sp2) *sp2 = 0;
    snprintf(e.status, sizeof e.status, "%.31s", st);
    if (status_rank(e.status) < 0) {
      fprintf(stderr, "%s:%d: unknown status '%s' (pass, unsupported, error, mismatch, crash, timeout)\n", path,
              lineno, e.status);
      ok = false;
    }
    push(l, &e);
  }
  fclose(f);
  return ok;
}

int main(int argc, char **argv) {
  const char *data = "/usr/share/libonnx-testdata/data", *filter = NULL, *expect = NULL, *write_expect = NULL;
  const char *suites[8];
  int nsuites = 0, verbose = 0;
  pm_options passes = {.level = 3};
  bool level_given = false;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--data") && i + 1 < argc) data = argv[++i];
    else if (!strcmp(argv[i], "--suite") && i + 1 < argc && nsuites < 8) suites[nsuites++] = argv[++i];
    else if (!strcmp(argv[i], "--filter") && i + 1 < argc) filter = argv[++i];
    else if (!strcmp(argv[i], "--expect") && i + 1 < argc) expect = argv[++i];
    else if (!strcmp(argv[i], "--write-expect") && i + 1 < argc) write_expect = argv[++i];
    else if (!strcmp(argv[i], "-v")) verbose = 1;
    else if (argv[i][0] == '-' && argv[i][1] == 'O' && argv[i][2] >= '0' && argv[i][2] <= '3' && !argv[i][3])
      passes.level = argv[i][2] - '0', level_given = true;
    else if (!strcmp(argv[i], "--engine") && i + 1 < argc && !strcmp(argv[i + 1], "jit")) case_flags |= KT_JIT, i++;
    else if (!strcmp(argv[i], "--engine") && i + 1 < argc && !strcmp(argv[i + 1], "ref")) case_flags &= ~(unsigned)KT_JIT, i++;
    else if (!strcmp(argv[i], "--via-onnx")) case_flags |= KT_VIA_ONNX;
    else if (!strcmp(argv[i], "--no-fallback")) case_flags |= KT_NO_FALLBACK;
    else {
      fprintf(stderr, "usage: %s [--data DIR] [--suite NAME]... [--filter SUBSTR] [--expect FILE] "
                      "[--write-expect FILE] [--engine ref|jit] [-O0..-O3] [--via-onnx] [--no-fallback] [-v]\n", argv[0]);
      return 2;
    }
  }
  kt_set_passes(&passes);
  if (level_given && !(case_flags & KT_JIT)) case_flags |= KT_PASSES;
  if (!nsuites) {
    suites[nsuites++] = "node";
    suites[nsuites++] = "pytorch-converted";
    suites[nsuites++] = "pytorch-operator";
    suites[nsuites++] = "simple";
  }
  struct stat sb;
  if (stat(data, &sb) != 0) {
    printf("SKIP: ONNX backend test data not found at %s (apt-get install libonnx-testdata)\n", data);
    return 77;
  }
  list expected = {0}, results = {0};
  if (expect && !load_expect(expect, &expected)) {
    free(expected.v);
    return 2;
  }
  int worse = 0, better = 0, changed = 0, total = 0;
  for (int s = 0; s < nsuites; s++) {
    char sdir[4096];
    snprintf(sdir, sizeof sdir, "%s/%s", data, suites[s]);
    int nn;
    char **names = kt_list_dir(sdir, filter, &nn);
    if (nn < 0) {
      printf("suite %s: not found, skipped\n", suites[s]);
      continue;
    }
    int counts[6] = {0}; /* pass mismatch unsupported error crash/timeout total */
    for (int i = 0; i < nn; i++) {
      char cdir[8200];
      snprintf(cdir, sizeof cdir, "%s/%s", sdir, names[i]);
      entry e = {0};
      snprintf(e.name, sizeof e.name, "%s/%s", suites[s], names[i]);
      run_forked(cdir, &e);
      push(&results, &e);
      bool pass = !strcmp(e.status, "pass");
      counts[pass ? 0 : !strcmp(e.status, "mismatch") ? 1 : !strcmp(e.status, "unsupported") ? 2
                 : !strcmp(e.status, "error") ? 3 : 4]++;
      const entry *x = expect ? find(&expected, e.name) : NULL;
      const char *want = x ? x->status : "pass";
      int rg = status_rank(e.status), rw = status_rank(want);
      if (expect && (rg < rw || rg == 0)) { /* a crash or hang fails even when listed */
        worse++;
        printf("WORSE   %s: expected %s -> got %s: %s\n", e.name, want, e.status, e.msg);
      } else if (expect && rg > rw) {
        better++;
        printf("BETTER  %s: expected %s -> got %s\n", e.name, want, e.status);
      } else if (expect && strcmp(e.status, want)) {
        changed++;
        printf("CHANGED %s: expected %s -> got %s (same rank): %s\n", e.name, want, e.status, e.msg);
      }
      if (verbose) printf("%-11s %s%s%s\n", e.status, e.name, pass ? "" : ": ", pass ? "" : e.msg);
      free(names[i]);
    }
    free(names);
    total += nn;
    printf("%s suite %-18s %4d cases: %4d pass, %3d mismatch, %3d unsupported, %3d error, %3d crash/timeout\n", case_flags & KT_JIT ? "jit" : "ref", suites[s],
           nn, counts[0], counts[1], counts[2], counts[3], counts[4]);
  }
  if (write_expect) {
    FILE *f = fopen(write_expect, "w");
    if (!f) {
      perror(write_expect);
      return 2;
    }
    fprintf(f, "# ONNX backend conformance cases that do not pass on the reference executor.\n"
               "# Format: suite/case status reason. Regenerate with kiln_conformance --write-expect.\n");
    for (int i = 0; i < results.n; i++)
      if (strcmp(results.v[i].status, "pass")) {
        fprintf(f, "%s %s %.199s\n", results.v[i].name, results.v[i].status, results.v[i].msg);
      }
    fclose(f);
  }
  if (expect) {
    printf("%d cases differ from %s: %d worse, %d better, %d changed at the same rank\n", worse + better + changed,
           expect, worse, better, changed);
    if (better + changed)
      printf("update %s: kiln_conformance --write-expect FILE on the reference engine, all suites (the list is "
             "shared by every engine and level)\n", expect);
  }
  if (!total) {
    printf("FAIL: no conformance case found (data %s%s%s): a run of nothing proves nothing\n", data,
           filter ? ", filter " : "", filter ? filter : "");
    worse++;
  }
  free(expected.v);
  free(results.v);
  return worse ? 1 : 0;
}
