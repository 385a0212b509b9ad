/* k_shape.h: kernels of the SHAPE family (Reshape/Flatten/Squeeze/Unsqueeze,
 * Transpose, Concat, Split, Slice, Expand, Tile, Pad, ConstantOfShape, Range).
 * These ops only move bytes, so the kernels take the element size `es` and
 * never look at values (Range alone is typed). Almost all of them reduce to
 * one primitive, an N-d strided copy with strides in elements: Slice is a copy
 * with an offset source and stepped (possibly negative) strides, Expand uses
 * stride 0 for broadcast dims, Tile views the output as [r0,d0,r1,d1,...] with
 * stride 0 for the repeat dims (hence twice KK_MAX_RANK dims), Concat/Split
 * copy into/out of a window of a bigger tensor. Callers should coalesce
 * contiguous dims first: the innermost loop is then as long as possible. */
#ifndef KILN_K_SHAPE_H
#define KILN_K_SHAPE_H

#include "kernels.h"

#define KK_SHAPE_MAX_RANK (2 * KK_MAX_RANK)

/* dst[0..nbytes) = src[0..nbytes); buffers must not overlap. */
void kk_shape_copy(void *dst, const void *src, int64_t nbytes);

/* n elements of es bytes, each a copy of *value. */
void kk_shape_fill(void *dst, int64_t n, const void *value, size_t es);

/* For every index i over dims[0..rank): dst[sum i*dst_strides] = src[sum i*src_strides].
 * Strides are in elements and may be 0 or negative; rank <= KK_SHAPE_MAX_RANK.
 * rank 0 copies one element. */
void kk_shape_copy_strided(void *dst, const int64_t *dst_strides, const void *src,
                           const int64_t *src_strides, const int64_t *dims, int rank, size_t es);

/* Gathers src (strides src_strides, a permutation of a contiguous layout) into
 * contiguous dst of shape dims. When the source's unit-stride dim is not the
 * innermost one, copies in square tiles so both sides stay in cache. */
void kk_shape_transpose(void *dst, const void *src, const int64_t *dims, const int64_t *src_strides,
                        int rank, size_t es);

/* Pad by index maps: maps holds, for each dim d in order, out_dims[d] entries
 * giving the source index along d of each output index, or -1 for "padding".
 * dst (contiguous, shape out_dims) gets src[sum map*src_strides], or *cval where
 * any coordinate maps to -1. Edge/reflect/wrap/constant modes differ only in
 * the maps, which the caller builds (kk_shape_pad_map). */
void kk_shape_pad(void *dst, const void *src, const int64_t *out_dims, const int64_t *src_strides,
                  const int64_t *maps, int rank, const void *cval, size_t es);

enum { KK_SHAPE_PAD_CONSTANT = 0, KK_SHAPE_PAD_REFLECT, KK_SHAPE_PAD_EDGE, KK_SHAPE_PAD_WRAP };
/* Fills map[0..out_dim) for one axis of input length in_dim padded by `before`
 * (negative = crop). Reflect follows numpy (period 2*(in_dim-1)). Returns 0, or
 * -1 when the mode needs source elements that do not exist (in_dim == 0). */
int kk_shape_pad_map(int64_t *map, int64_t out_dim, int64_t in_dim, int64_t before, int mode);

/* dst[i] = start + i*delta, i < n (computed in the wider type, no accumulation). */
void kk_shape_range_f32(float *dst, int64_t n, double start, double delta);
void kk_shape_range_f64(double *dst, int64_t n, double start, double delta);
void kk_shape_range_i16(int16_t *dst, int64_t n, int64_t start, int64_t delta);
void kk_shape_range_i32(int32_t *dst, int64_t n, int64_t start, int64_t delta);
void kk_shape_range_i64(int64_t *dst, int64_t n, int64_t start, int64_t delta);

#endif
