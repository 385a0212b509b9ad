/* plan_cvt.h: host-side helpers of the plans of k_call_nn.h's thunks:
 * laying out scratch (64-byte aligned pieces), the kk_cvt of an operand the
 * thunk converts to or from the compute dtype, the dtype the reference
 * adapters compute a float tensor in. */
#ifndef KILN_PLAN_CVT_H
#define KILN_PLAN_CVT_H

#include "k_call_nn.h"
#include "kcall.h"

/* Reserves bytes of the thunk's scratch; returns their offset. */
static inline int64_t kc_scratch(kc_plan *p, int64_t bytes) {
  int64_t off = (p->scratch_bytes + 63) & ~(int64_t)63;
  p->scratch_bytes = off + (bytes > 0 ? bytes : 0);
  return off;
}

/* Operand of dtype dt and n elements computed as ct (dt 0: absent). */
static inline kk_cvt kc_cvt(kc_plan *p, int dt, int ct, int64_t n) {
  kk_cvt c = {.dt = dt, .ct = dt ? ct : 0, .n = n, .off = 0};
  if (c.dt != c.ct) c.off = kc_scratch(p, n * (int64_t)kn_dtype_size(ct));
  return c;
}

static inline bool kc_half(int dt) { return dt == KN_F16 || dt == KN_BF16; }
/* The dtype the adapters compute dt in: half precision widens to f32. */
static inline int kc_widen(int dt) { return kc_half(dt) ? KN_F32 : dt; }

/* A type the thunk can be planned for: known rank, dims and dtype size. */
static inline bool kc_concrete(const ir_type *t) { return t && ir_type_is_concrete(t) && kn_dtype_size(t->dtype) > 0; }

#endif
