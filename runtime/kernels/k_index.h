/* k_index.h: kernels of the INDEX family (Gather*, Scatter*, EyeLike, Trilu,
 * OneHot, DepthToSpace/SpaceToDepth, NonZero, Compress, ReverseSequence).
 * These ops move elements without looking at their values, so almost every
 * kernel is element-size generic (`es` bytes per element) with 2/4/8-byte fast
 * paths; only scatter reductions are typed. Indices are int32 or int64 (`idx64`).
 * Kernels that read user indices check every one against its bound before
 * using it and return the flat position of the first bad index (or -1 when
 * all are valid), so the caller can name it in an error: no out-of-bounds
 * access is possible whatever the index data. Negative indices count from the
 * end of their axis, as ONNX specifies. */
#ifndef KILN_K_INDEX_H
#define KILN_K_INDEX_H

#include "kernels.h"

/* Scatter reductions (ONNX `reduction` attribute). */
enum { KK_INDEX_RED_NONE = 0, KK_INDEX_RED_ADD, KK_INDEX_RED_MUL, KK_INDEX_RED_MAX, KK_INDEX_RED_MIN };

/* Gather along one axis: data viewed as [outer, axis_dim, inner], nidx indices,
 * out = [outer, nidx, inner]. Returns -1, or the position of a bad index. */
int64_t kk_index_gather(const void *data, const void *idx, int idx64, void *out, int64_t outer,
                        int64_t axis_dim, int64_t nidx, int64_t inner, size_t es);

/* GatherND/ScatterND addressing: indices viewed as [nbatch, per_batch, k],
 * data as [nbatch, kdims[0..k), slice]. off[b*per_batch+t] = element offset of
 * the slice addressed by tuple t of batch b. Returns -1 or a bad index position. */
int64_t kk_index_nd_offsets(const void *idx, int idx64, int64_t nbatch, int64_t per_batch, int k,
                            const int64_t *kdims, int64_t slice, int64_t *off);

/* GatherElements/ScatterElements addressing: off[i] = element offset in data
 * (strides dstrides) of indices element i, whose coordinate along `axis` is
 * replaced by the index value. idims are the indices dims (each <= the data
 * dim except along axis). Returns -1 or a bad index position. */
int64_t kk_index_elements_offsets(const void *idx, int idx64, int rank, const int64_t *idims,
                                  const int64_t *dstrides, int axis, int64_t axis_dim, int64_t *off);

/* out[i*slice + j] = data[off[i] + j] */
void kk_index_gather_slices(const void *data, const int64_t *off, int64_t n, int64_t slice, void *out,
                            size_t es);
/* dst[off[i] + j] = upd[i*slice + j], in order (later duplicates win) */
void kk_index_scatter_slices(void *dst, const int64_t *off, int64_t n, int64_t slice, const void *upd,
                             size_t es);
/* dst[off[i] + j] = reduce(dst[off[i] + j], upd[i*slice + j]); typed per dtype */
#define KK_INDEX_SCATTER_DECL(sfx, T)                                                              \
  void kk_index_scatter_slices_##sfx(T *dst, const int64_t *off, int64_t n, int64_t slice,        \
                                     const T *upd, int reduction);
KK_INDEX_SCATTER_DECL(f32, float)
KK_INDEX_SCATTER_DECL(f64, double)
KK_INDEX_SCATTER_DECL(i8, int8_t)
KK_INDEX_SCATTER_DECL(u8, uint8_t)
KK_INDEX_SCATTER_DECL(i16, int16_t)
KK_INDEX_SCATTER_DECL(u16, uint16_t)
KK_INDEX_SCATTER_DECL(i32, int32_t)
KK_INDEX_SCATTER_DECL(u32, uint32_t)
KK_INDEX_SCATTER_DECL(i64, int64_t)
KK_INDEX_SCATTER_DECL(u64, uint64_t)
#undef KK_INDEX_SCATTER_DECL

/* rows x cols matrix of zeros with `one` (es bytes) on diagonal j = i + k. */
void kk_index_eye(void *out, int64_t rows, int64_t cols, int64_t k, const void *one, size_t es);

/* batch of rows x cols matrices: keep j >= i + k (upper) or j <= i + k (lower),
 * zero the rest. */
void kk_index_trilu(const void *in, void *out, int64_t batch, int64_t rows, int64_t cols, int64_t k,
                    int upper, size_t es);

/* indices viewed as [outer, inner]; out = [outer, depth, inner] filled with
 * off_val, and on_val where the (wrapped) index hits; out-of-range indices
 * leave their column all off_val, as the spec says. */
void kk_index_one_hot(const int64_t *idx, int64_t outer, int64_t inner, int64_t depth,
                      const void *off_val, const void *on_val, void *out, size_t es);

/* [N,C,H,W] -> [N,C/(b*b),H*b,W*b]; crd != 0 selects CRD channel order, else DCR. */
void kk_index_depth_to_space(const void *in, void *out, int64_t n, int64_t c, int64_t h, int64_t w,
                             int64_t b, int crd, size_t es);
/* [N,C,H,W] -> [N,C*b*b,H/b,W/b] (the inverse of DCR DepthToSpace). */
void kk_index_space_to_depth(const void *in, void *out, int64_t n, int64_t c, int64_t h, int64_t w,
                             int64_t b, size_t es);

/* NonZero in two passes: count, then write coordinates as out[d*nnz + t].
 * is_float ignores the sign bit so -0.0 counts as zero. */
int64_t kk_index_nonzero_count(const void *x, int64_t n, size_t es, int is_float);
void kk_index_nonzero_write(const void *x, int rank, const int64_t *dims, size_t es, int is_float,
                            int64_t nnz, int64_t *out);

/* input viewed as [outer, axis_dim, inner]; copies the slices a < min(ncond,
 * axis_dim) whose cond[a] is nonzero. Returns the number of slices kept. */
int64_t kk_index_compress(const void *in, const uint8_t *cond, int64_t ncond, int64_t outer,
                          int64_t axis_dim, int64_t inner, void *out, size_t es);

/* input viewed as [d0, d1, inner] with {batch, time} = {d0, d1} (time_major:
 * time is d0). Reverses the first lens[b] time steps of each batch entry.
 * Returns -1, or the batch entry whose length is outside [0, T]. */
int64_t kk_index_reverse_sequence(const void *in, void *out, const void *lens, int lens64,
                                  int time_major, int64_t d0, int64_t d1, int64_t inner, size_t es);

#endif
