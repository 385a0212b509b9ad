/* lower_norm.c: the channel normalizations of convolutional models:
 * InstanceNormalization, GroupNormalization and BatchNormalization (inference
 * form). Each is one call into the kernel library's k_norm.h with the
 * (batch, channels, spatial) view and the parameter lengths checked at
 * compile time, so the code is the reference adapter's (exec_norm.c) with
 * every shape a constant. Mixed dtypes (f16 data, f32 statistics next to f64
 * data) and training-mode BatchNormalization are left to the reference
 * kernel; ahead of time they are a compile error naming the node. */
#include "cg.h"
#include <stdio.h>


/* The (N, C, spatial) view of input 0 and the kernel suffix; false when the
 * node's float inputs 0..nparams are not all f32 or all f64, or a parameter
 * vector's length is not `want` (0: check none here). */
static bool nc_view(cg_ctx *c, const ir_node *n, int nparams, int64_t want, int64_t *b, int64_t *ch, int64_t *sp,
                    const char **sfx) {
  const ir_type *x = cg_vtype(c, n->in[0]);
  if ((x->dtype != KN_F32 && x->dtype != KN_F64) || x->rank < 2 || cg_vtype(c, n->out[0])->dtype != x->dtype) return false;
  *b = x->dims[0], *ch = x->dims[1], *sp = 1;
  for (int d = 2; d < x->rank; d++) *sp *= x->dims[d];
  for (int i = 1; i <= nparams; i++) {
    if (i >= n->nin || n->in[i] == IR_NONE) return false;
    const ir_type *t = cg_vtype(c, n->in[i]);
    if (t->dtype != x->dtype || (want && kn_dims_numel(t->rank, t->dims) != want)) return false;
  }
  *sfx = x->dtype == KN_F32 ? "f32" : "f64";
  return true;
}

static kn_status call_kernel(cg_ctx *c, const char *base, const char *sfx, LLVMValueRef *args, unsigned nargs) {
  char name[48];
  snprintf(name, sizeof name, "kk_norm_%s_%s", base, sfx);
  LLVMValueRef fn = cg_kernel(c, name);
  if (!fn) return KN_EUNSUPPORTED;
  cg_call(c, fn, args, nargs);
  return KN_OK;
}

/* f32 takes the generated LayerNorm row code (lower_rows.c); what it
 * declines (f64, empty rows) the kernel library's instancenorm. */
kn_status cg_lower_instancenorm(cg_ctx *c, const ir_node *n) {
  kn_status st = cg_lower_instancenorm_rows(c, n);
  if (st != KN_EUNSUPPORTED) return st;
  int64_t b, ch, sp;
  const char *sfx;
  if (!nc_view(c, n, 2, cg_vtype(c, n->in[0])->rank >= 2 ? cg_vtype(c, n->in[0])->dims[1] : 0, &b, &ch, &sp, &sfx))
    return KN_EUNSUPPORTED;
  LLVMValueRef args[8] = {cg_value_ptr(c, n->in[0]), cg_value_ptr(c, n->in[1]), cg_value_ptr(c, n->in[2]),
                          cg_value_ptr(c, n->out[0]), cg_i64(c, b), cg_i64(c, ch), cg_i64(c, sp),
                          LLVMConstReal(c->f32, ir_norm_epsilon(n))};
  return call_kernel(c, "instancenorm", sfx, args, 8);
}

kn_status cg_lower_groupnorm(cg_ctx *c, const ir_node *n) {
  int64_t b, ch, sp;
  const char *sfx;
  if (!nc_view(c, n, 2, 0, &b, &ch, &sp, &sfx)) return KN_EUNSUPPORTED;
  int64_t groups = ir_attr_int(n, "num_groups", 0);
  if (groups <= 0 || ch % groups != 0) return KN_EUNSUPPORTED; /* the reference reports it */
  /* opset 18 gives scale/bias per group, opset 21 per channel: tell by length */
  const ir_type *st = cg_vtype(c, n->in[1]), *bt = cg_vtype(c, n->in[2]);
  int64_t len = kn_dims_numel(st->rank, st->dims);
  if ((len != ch && len != groups) || kn_dims_numel(bt->rank, bt->dims) != len) return KN_EUNSUPPORTED;
  LLVMValueRef args[10] = {cg_value_ptr(c, n->in[0]), cg_value_ptr(c, n->in[1]), cg_value_ptr(c, n->in[2]),
                           cg_value_ptr(c, n->out[0]), cg_i64(c, b), cg_i64(c, ch), cg_i64(c, sp), cg_i64(c, groups),
                           cg_i32(c, len == ch), LLVMConstReal(c->f32, ir_norm_epsilon(n))};
  return call_kernel(c, "groupnorm", sfx, args, 10);
}

kn_status cg_lower_batchnorm(cg_ctx *c, const ir_node *n) {
  int64_t b, ch, sp;
  const char *sfx;
  if (ir_attr_i(n, "training_mode") != 0 || n->nout != 1 || n->nin != 5) return KN_EUNSUPPORTED;
  if (!nc_view(c, n, 4, cg_vtype(c, n->in[0])->dims[1], &b, &ch, &sp, &sfx)) return KN_EUNSUPPORTED;
  LLVMValueRef args[10] = {cg_value_ptr(c, n->in[0]), cg_value_ptr(c, n->in[1]), cg_value_ptr(c, n->in[2]),
                           cg_value_ptr(c, n->in[3]), cg_value_ptr(c, n->in[4]), cg_value_ptr(c, n->out[0]),
                           cg_i64(c, b),              cg_i64(c, ch),             cg_i64(c, sp),
                           LLVMConstReal(c->f32, ir_norm_epsilon(n))};
  return call_kernel(c, "batchnorm", sfx, args, 10);
}
