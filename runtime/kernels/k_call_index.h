/* k_call_index.h: params and thunks (the kernel-call ABI of k_call.h) of
 * the indexing ops GatherElements, GatherND, ScatterElements, ScatterND,
 * ReverseSequence, of the losses NegativeLogLikelihoodLoss and
 * SoftmaxCrossEntropyLoss, of Einsum and Det, and of CumSum when its axis is
 * a run-time input. Kept apart from k_call.h so each family of thunks owns
 * its header. Indices are int32 or int64 (idx64); the thunks validate every
 * index with the kernels of k_index.h before using it and return the
 * position of the first bad one, so no run-time value makes them touch
 * memory out of bounds. Offsets and widened indices live in scratch. */
#ifndef KILN_K_CALL_INDEX_H
#define KILN_K_CALL_INDEX_H

#include "k_call.h"

/* ---- gathers and scatters (element data moved as es-byte units) ---- */
/* GatherElements buf: x, indices, y, scratch (n int64 offsets);
 * ScatterElements buf: x, indices, updates, y, scratch (n int64 offsets).
 * reduction is a KK_INDEX_RED_* (scatter only); dt names the typed
 * reduction kernel when reduction != NONE. */
typedef struct kk_elements_params {
  int32_t idx64, axis, rank, reduction, dt, pad_;
  int64_t es, n, axis_dim, data_bytes;
  int64_t idims[KK_MAX_RANK], dstrides[KK_MAX_RANK];
} kk_elements_params;
int64_t kk_call_gather_elements(const void *params, void *const *buf);
int64_t kk_call_scatter_elements(const void *params, void *const *buf);

/* GatherND buf: x, indices, y, scratch (nbatch*per_batch int64 offsets);
 * ScatterND buf: x, indices, updates, y, scratch (per_batch offsets, nbatch 1).
 * Indices viewed as [nbatch, per_batch, k], data as [nbatch, kdims[0..k), slice]. */
typedef struct kk_nd_params {
  int32_t idx64, k, reduction, dt;
  int64_t es, nbatch, per_batch, slice, data_bytes;
  int64_t kdims[KK_MAX_RANK];
} kk_nd_params;
int64_t kk_call_gather_nd(const void *params, void *const *buf);
int64_t kk_call_scatter_nd(const void *params, void *const *buf);

/* buf: x, sequence_lens, y, scratch; x viewed as [d0, d1, inner] */
typedef struct kk_reverse_seq_params {
  int32_t lens64, time_major;
  int64_t d0, d1, inner, es;
} kk_reverse_seq_params;
int64_t kk_call_reverse_sequence(const void *params, void *const *buf);

/* buf: x, condition (bool), y, scratch; x viewed as [outer, extent, inner]
 * (axis absent: [1, numel, 1]). The condition must select exactly `kept`
 * positions, all below extent (the output was sized for that at compile
 * time); otherwise the condition (position 1) is the bad input. */
typedef struct kk_compress_params {
  int64_t outer, extent, inner, ncond, kept, es;
} kk_compress_params;
int64_t kk_call_compress(const void *params, void *const *buf);

/* ---- losses: x viewed as [n, c, d], target [n, d] ---- */
/* NegativeLogLikelihoodLoss buf: x, target, weight?, loss, scratch;
 * SoftmaxCrossEntropyLoss buf: x, target, weight?, loss, log_prob?, scratch.
 * dt is f32 or f64 (x, weight and outputs alike); reduction a KK_NORM_REDUCE_*.
 * Scratch: the log-probabilities at lp_off when SCE has no log_prob output
 * (lp_off < 0 otherwise), the int32 targets widened to int64 at tgt_off when
 * target64 is 0. */
typedef struct kk_loss_params {
  int32_t dt, target64, has_ignore, reduction;
  int64_t n, c, d, ignore_index, lp_off, tgt_off;
} kk_loss_params;
int64_t kk_call_nll_loss(const void *params, void *const *buf);
int64_t kk_call_sce_loss(const void *params, void *const *buf);

/* ---- Einsum and Det ---- */
/* Einsum buf: the nops operands, y, scratch. v holds dims[nlab], then
 * strides[nops][nlab] (kk_nn_einsum's contract, k_nn.h); dt is f32, f64,
 * i32 or i64. The params are sizeof(kk_einsum_params) + (1 + nops) * nlab
 * int64s. */
typedef struct kk_einsum_params {
  int32_t dt, nops, nlab, nout;
  int64_t v[];
} kk_einsum_params;
int64_t kk_call_einsum(const void *params, void *const *buf);

/* Det buf: x, y, scratch (m*m doubles); batch square m x m matrices */
typedef struct kk_det_params {
  int32_t dt, pad_;
  int64_t batch, m;
} kk_det_params;
int64_t kk_call_det(const void *params, void *const *buf);

/* ---- CumSum with its axis read at run time (buf as kk_call_cumsum's) ----
 * The thunk views x ([rank] dims) around the axis value; an axis outside
 * [-rank, rank) is a bad input value (position 0). */
typedef struct kk_cumsum_axis_params {
  int32_t dt, exclusive, reverse, axis_dt, rank, pad_;
  int64_t dims[KK_MAX_RANK];
} kk_cumsum_axis_params;
int64_t kk_call_cumsum_axis(const void *params, void *const *buf);

#endif
