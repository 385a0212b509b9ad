/* reduce_plan.c: the loop plan of a reduction over any set of axes, shared by
 * the reference executor's adapter and the JIT's lowering. Unit dims drop out,
 * adjacent dims that are all kept or all reduced merge; one reduced group
 * gives an [outer, red, inner] view of the input as it is, several need a
 * gather that puts the kept groups first and the reduced ones after. */
#include "ir.h"

void ir_reduce_plan_make(int rank, const int64_t *dims, const bool *reduced, ir_reduce_plan *p) {
  int64_t gdim[KN_MAX_RANK];
  bool gred[KN_MAX_RANK];
  int ng = 0, nred = 0;
  for (int d = 0; d < rank; d++) {
    if (dims[d] == 1) continue;
    if (ng > 0 && gred[ng - 1] == reduced[d]) {
      gdim[ng - 1] *= dims[d];
      continue;
    }
    gdim[ng] = dims[d];
    gred[ng] = reduced[d];
    nred += reduced[d];
    ng++;
  }
  p->outer = p->red = p->inner = 1;
  p->np = 0;
  if (nred <= 1) {
    int g = 0;
    for (; g < ng && !gred[g]; g++) p->outer *= gdim[g];
    if (g < ng) p->red = gdim[g++];
    for (; g < ng; g++) p->inner *= gdim[g];
    return;
  }
  /* kept groups first, then reduced groups, each in their original order */
  int64_t gstride[KN_MAX_RANK];
  gstride[ng - 1] = 1;
  for (int g = ng - 2; g >= 0; g--) gstride[g] = gstride[g + 1] * gdim[g + 1];
  for (int pass = 0; pass < 2; pass++)
    for (int g = 0; g < ng; g++)
      if (gred[g] == (pass == 1)) {
        p->pdim[p->np] = gdim[g];
        p->pstride[p->np++] = gstride[g];
        if (pass == 0) p->outer *= gdim[g];
        else p->red *= gdim[g];
      }
}
