/* broadcast_plan.c: the loop plan of a broadcasting elementwise op, shared by
 * the reference executor's adapters and the JIT's lowering so both iterate
 * the same way: per-input element strides against the output (0 where an
 * input is broadcast), unit dims dropped, and neighbouring dims merged
 * wherever every input stays contiguous across them (a same-shape or scalar
 * operation becomes one flat loop). */
#include "ir.h"

int ir_bcast_plan_make(int out_rank, const int64_t *out_dims, int n, const int *ranks,
                       const int64_t *const *dims, ir_bcast_plan *p) {
  int64_t st[IR_BCAST_MAX_IN][KN_MAX_RANK];
  if (n > IR_BCAST_MAX_IN) return 0;
  for (int k = 0; k < n; k++) {
    if (ranks[k] > out_rank) return k;
    int64_t s = 1;
    for (int d = out_rank - 1; d >= 0; d--) {
      const int j = d - (out_rank - ranks[k]);
      const int64_t dim = j >= 0 ? dims[k][j] : 1;
      if (dim != 1 && dim != out_dims[d]) return k;
      st[k][d] = dim == 1 ? 0 : s;
      s *= dim;
    }
  }
  p->rank = 0;
  for (int d = 0; d < out_rank; d++) {
    const int64_t dim = out_dims[d];
    if (dim == 1) continue;
    bool merge = p->rank > 0;
    for (int k = 0; k < n && merge; k++) merge = p->st[k][p->rank - 1] == st[k][d] * dim;
    if (merge) {
      p->dims[p->rank - 1] *= dim;
      for (int k = 0; k < n; k++) p->st[k][p->rank - 1] = st[k][d];
    } else {
      p->dims[p->rank] = dim;
      for (int k = 0; k < n; k++) p->st[k][p->rank] = st[k][d];
      p->rank++;
    }
  }
  return -1;
}
