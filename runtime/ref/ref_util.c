/* ref_util.c: the small services op kernels of the reference executor use:
 * errors that name the node, and output allocation. */
#include "ref.h"
#include <stdio.h>

kn_status ref_fail(ref_ctx *c, kn_status st, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  kn_status r = ir_node_failv(c->kn, c->node, st, fmt, ap);
  va_end(ap);
  return r;
}

kn_status ref_unsupported_dtype(ref_ctx *c, int dtype) {
  return ref_fail(c, KN_EUNSUPPORTED, "dtype %s is not supported by this op", kn_dtype_name(dtype));
}

void ref_release_out(ref_ctx *c, int k) {
  if (c->out_borrowed && c->out_borrowed[k]) {
    c->out[k].data = NULL;
    c->out[k].nbytes = 0;
    c->out_borrowed[k] = false;
  } else {
    kn_tensor_free(&c->out[k]);
  }
}

kn_status ref_alloc_out(ref_ctx *c, int k, int dtype, int rank, const int64_t *dims) {
  if (k < 0 || k >= c->nout) return ref_fail(c, KN_EINTERNAL, "output %d out of range", k);
  ref_release_out(c, k);
  kn_status st = kn_tensor_alloc(c->kn, &c->out[k], dtype, rank, dims);
  if (st != KN_OK) {
    c->out[k].rank = -1;
    kn_prefix(c->kn, "node %s (%s): ", c->node->name, ir_op_table[c->node->op].name);
  }
  return st;
}
