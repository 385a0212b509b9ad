/* resize_plan.h: the plan of one Resize node (resize_plan.c), geometry of ir/ shared by the
 * reference adapter (exec_image.c) and the JIT's lowering
 * (codegen/lower_movement_nn.c), so both compute the same per-axis scales and
 * tap tables from the same attributes and parameter inputs. */
#ifndef KILN_RESIZE_PLAN_H
#define KILN_RESIZE_PLAN_H

#include "ir.h"

typedef struct rs_axis {
  int64_t in_len, out_len, ntaps;
  double scale, roi_start, roi_end;
  int64_t *idx;     /* ntaps source indices per output position */
  float *w;         /* and their weights */
  uint8_t *outside; /* output positions that take the extrapolation value */
  bool identity;    /* the taps copy the axis unchanged: no pass needed */
} rs_axis;

typedef struct rs_plan {
  int mode, ctm, nmode; /* KK_RESIZE_* codes of mode, coordinate_transformation_mode, nearest_mode */
  int rank;
  float extrap; /* extrapolation_value */
  rs_axis ax[KN_MAX_RANK];
} rs_plan;

/* The plan of Resize node n from x's and y's dims and its parameter inputs
 * (roi, scales, sizes: NULL when absent or empty). Tap tables wider than
 * max_taps entries per axis are refused (KN_ELIMIT). On failure the error is
 * in kn (which may be NULL) and nothing stays allocated. */
kn_status rs_plan_make(kn_ctx *kn, const ir_node *n, int rank, const int64_t *xdims, const int64_t *ydims,
                       const kn_tensor *roi, const kn_tensor *scales, const kn_tensor *sizes, uint64_t max_taps,
                       rs_plan *p);
void rs_plan_free(rs_plan *p);

#endif
