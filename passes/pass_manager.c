/* pass_manager.c: runs a pipeline of passes (a comma-separated list, or the
 * default pipeline of an -O level) with LLVM/MLIR-style instrumentation:
 * disabling passes, printing the IR before/after a pass, verifying after
 * each, a timing table and per-pass change counts. The pass table comes from
 * passes.def. */
#include "passes.h"
#include "ir_text.h"
#include <stdlib.h>
#include <string.h>

typedef struct pass_info {
  const char *name, *desc;
  kn_status (*run)(ir_graph *g, pass_result *r);
} pass_info;

static const pass_info pass_table[] = {
#define PASS(id, name, desc) {name, desc, pass_run_##id},
#include "passes.def"
#undef PASS
};
enum { NPASSES = sizeof pass_table / sizeof pass_table[0] };

static const char *const level_pipelines[4] = {
    "",                                        /* -O0: the graph as imported */
    "fold,remove-noops,canonicalize,cse,dce", /* -O1 */
    /* -O2 */
    "fold,remove-noops,canonicalize,cse,fold-batchnorm,fuse-attention,fuse-layernorm,fuse-gelu,fuse-elementwise,"
    "fuse-matmul,fuse-conv,dce",
    /* -O3: blocked convolutions and merge-qkv (docs/passes.md) */
    "fold,remove-noops,canonicalize,cse,fold-batchnorm,fuse-attention,fuse-layernorm,fuse-gelu,layout-nchwc,"
    "fuse-elementwise,fuse-matmul,merge-qkv,fuse-conv,dce",
};

const char *pm_pipeline_for_level(int level) { return level_pipelines[level < 0 ? 0 : level > 3 ? 3 : level]; }

static const pass_info *find_pass(const char *name, size_t n) {
  for (int i = 0; i < NPASSES; i++)
    if (strlen(pass_table[i].name) == n && strncmp(pass_table[i].name, name, n) == 0) return &pass_table[i];
  return NULL;
}

static bool listed(const char *const *list, int n, const char *name) {
  for (int i = 0; i < n; i++)
    if (strcmp(list[i], name) == 0) return true;
  return false;
}

void pm_list_passes(FILE *f) {
  fprintf(f, "passes (in -O1..-O3 order: %s):\n", pm_pipeline_for_level(3));
  for (int i = 0; i < NPASSES; i++) fprintf(f, "  %-14s %s\n", pass_table[i].name, pass_table[i].desc);
}

kn_status pm_check(kn_ctx *kn, const pm_options *o) {
  const char *p = o->pipeline ? o->pipeline : pm_pipeline_for_level(o->level);
  while (*p) {
    const char *e = strchr(p, ',');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    if (n && !find_pass(p, n)) return kn_fail(kn, KN_EINVAL, "unknown pass '%.*s' (see --list-passes)", (int)n, p);
    p += n + (e != NULL);
  }
  const char *const *lists[3] = {o->disabled, o->print_before, o->print_after};
  int counts[3] = {o->ndisabled, o->nprint_before, o->nprint_after};
  for (int l = 0; l < 3; l++)
    for (int i = 0; i < counts[l]; i++)
      if (!find_pass(lists[l][i], strlen(lists[l][i])))
        return kn_fail(kn, KN_EINVAL, "unknown pass '%s' (see --list-passes)", lists[l][i]);
  return KN_OK;
}

static void print_ir(FILE *f, const ir_graph *g, const char *when, const char *pass) {
  ir_print_opts po = {.max_const_elems = 16};
  char *text = ir_print(g, &po);
  fprintf(f, "// ----- IR %s %s -----\n%s", when, pass, text ? text : "(out of memory)\n");
  free(text);
}

kn_status pm_run(ir_graph *g, const pm_options *o) {
  KN_TRY(pm_check(g->ctx, o));
  FILE *out = o->out ? o->out : stderr;
  const char *p = o->pipeline ? o->pipeline : pm_pipeline_for_level(o->level);
  if (o->time_passes) fprintf(out, "%-14s %10s %8s %8s\n", "pass", "ms", "before", "after");
  kn_status st = KN_OK;
  while (*p && st == KN_OK) {
    const char *e = strchr(p, ',');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    const pass_info *pi = n ? find_pass(p, n) : NULL;
    p += n + (e != NULL);
    if (!pi || listed(o->disabled, o->ndisabled, pi->name)) continue;
    if (listed(o->print_before, o->nprint_before, pi->name)) print_ir(out, g, "before", pi->name);
    int32_t before = ir_graph_live_nodes(g);
    pass_result r = {.opt = o};
    double t0 = kn_now_ms();
    st = pi->run(g, &r);
    double ms = kn_now_ms() - t0;
    if (st != KN_OK) {
      kn_prefix(g->ctx, "pass %s: ", pi->name);
      break;
    }
    if (o->verify_each && (st = ir_verify(g)) != KN_OK) {
      kn_prefix(g->ctx, "after pass %s, the IR does not verify: ", pi->name);
      break;
    }
    if (o->time_passes) fprintf(out, "%-14s %10.3f %8d %8d\n", pi->name, ms, before, ir_graph_live_nodes(g));
    if (o->pass_stats) fprintf(out, "%s: %d changed\n", pi->name, r.changed);
    if (o->print_after_all || listed(o->print_after, o->nprint_after, pi->name)) print_ir(out, g, "after", pi->name);
  }
  return st;
}
