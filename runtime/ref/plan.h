/* plan.h: private interface between the executor (exec.c) and the run plan
 * (plan.c). The executor asks the plan where each intermediate lives and
 * reports the sizes it measured; the plan owns the workspace. */
#ifndef KILN_REF_PLAN_H
#define KILN_REF_PLAN_H

#include "ref.h"

struct ref_plan {
  kn_ctx *kn;
  ir_graph *g;
  bool ready;          /* offsets valid for the recorded input shapes */
  int64_t *size;       /* per value: bytes measured in the recording run (-1: none) */
  int64_t *offset;     /* per value: offset in the workspace (-1: not planned) */
  int32_t *last_use;   /* per value: index of the last node that needs it */
  uint8_t *ws;
  int64_t ws_bytes, naive_bytes, planned_values, heap_fallbacks;
  int runs;
  /* input signature the plan was made for */
  int ninputs;
  kn_tensor *sig; /* dtype/rank/dims only, no data */
};

/* exec.c: runs the top-level graph with a plan (NULL: allocate per tensor). */
kn_status ref_exec_run(kn_ctx *kn, ir_graph *g, ref_plan *plan, const kn_tensor *inputs, int ninputs,
                       kn_tensor *outputs, int noutputs);

#endif
