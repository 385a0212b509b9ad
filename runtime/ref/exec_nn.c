/* exec_nn.c: reference-executor adapters of the NN family. Each adapter turns
 * tensors into the raw pointers / strides / window geometry the kernels in
 * runtime/kernels/{gemm,conv,pool}.c take: MatMul loops the GEMM over the
 * broadcast batch (or folds the batch into M when B is a plain matrix), Conv
 * is im2col + GEMM per (image, group) with a direct depthwise path,
 * ConvTranspose is GEMM + col2im. Window geometry and the einsum label map
 * come from ir/infer_nn.c so execution and shape inference agree by
 * construction. float16/bfloat16 run through f32 copies. */
#include "k_nn.h"
#include "ref.h"
#include <string.h>


/* ---- shared helpers ---- */
static void *scratch_alloc(ref_ctx *c, int64_t n, size_t es) {
  uint64_t limit = c->kn ? c->kn->mem_limit : (uint64_t)8 << 30;
  if (n < 0 || (uint64_t)n > limit / es) {
    ref_fail(c, KN_ELIMIT, "scratch buffer of %lld elements exceeds the memory limit", (long long)n);
    return NULL;
  }
  void *p = kn_aligned_alloc((size_t)n * es);
  if (!p) ref_fail(c, KN_ENOMEM, "out of memory allocating %lld bytes of scratch", (long long)n * (long long)es);
  return p;
}

static bool is_half(int dt) { return dt == KN_F16 || dt == KN_BF16; }

static void half_to_f32(const kn_tensor *src, float *dst) {
  const uint16_t *s = src->data;
  int64_t n = kn_tensor_numel(src);
  for (int64_t i = 0; i < n; i++) dst[i] = src->dtype == KN_F16 ? kn_f16_to_f32(s[i]) : kn_bf16_to_f32(s[i]);
}

/* Runs fn on f32 copies of the f16/bf16 inputs and outputs, then converts
 * the outputs back: the kernels only exist for f32/f64. */
#define HALF_MAX_IO 16
static kn_status via_f32(ref_ctx *c, kn_status (*fn)(ref_ctx *)) {
  if (c->nin > HALF_MAX_IO || c->nout > HALF_MAX_IO) return ref_fail(c, KN_EUNSUPPORTED, "too many operands for f16");
  kn_tensor tin[HALF_MAX_IO], tout[HALF_MAX_IO];
  const kn_tensor *ins[HALF_MAX_IO];
  bool own_in[HALF_MAX_IO] = {false}, own_out[HALF_MAX_IO] = {false};
  kn_status st = KN_OK;
  for (int i = 0; i < c->nin && st == KN_OK; i++) {
    ins[i] = c->in[i];
    if (!c->in[i] || !is_half(c->in[i]->dtype)) continue;
    st = kn_tensor_alloc(c->kn, &tin[i], KN_F32, c->in[i]->rank, c->in[i]->dims);
    if (st != KN_OK) break;
    own_in[i] = true;
    half_to_f32(c->in[i], tin[i].data);
    ins[i] = &tin[i];
  }
  for (int k = 0; k < c->nout && st == KN_OK; k++) {
    tout[k] = c->out[k];
    if (c->out[k].rank < 0 || !is_half(c->out[k].dtype)) continue;
    st = kn_tensor_alloc(c->kn, &tout[k], KN_F32, c->out[k].rank, c->out[k].dims);
    if (st != KN_OK) break;
    own_out[k] = true;
  }
  if (st == KN_OK) {
    ref_ctx cc = *c;
    cc.in = ins;
    cc.out = tout;
    st = fn(&cc);
  }
  for (int k = 0; k < c->nout; k++) {
    if (!own_out[k]) {
      if (st == KN_OK) c->out[k] = tout[k]; /* fn may have (re)allocated it */
      continue;
    }
    if (st == KN_OK) {
      uint16_t *d = c->out[k].data;
      const float *s = tout[k].data;
      int64_t n = kn_tensor_numel(&c->out[k]);
      for (int64_t i = 0; i < n; i++) d[i] = c->out[k].dtype == KN_F16 ? kn_f32_to_f16(s[i]) : kn_f32_to_bf16(s[i]);
    }
    kn_tensor_free(&tout[k]);
  }
  for (int i = 0; i < c->nin; i++)
    if (own_in[i]) kn_tensor_free(&tin[i]);
  return st;
}

#define ELEM(p, es, off) ((const char *)(p) + (size_t)(off) * (es))
#define ELEMW(p, es, off) ((char *)(p) + (size_t)(off) * (es))

/* GEMM dispatch by dtype (C += alpha * A B, see k_nn.h). */
static bool gemm_dt(int dt, int64_t M, int64_t N, int64_t K, double alpha, const void *A, int64_t rsa,
                    int64_t csa, const void *B, int64_t ldb, void *C, int64_t ldc) {
  switch (dt) {
#define G(D, sfx, T)                                                                                \
  case D: kk_nn_gemm_##sfx(M, N, K, (T)alpha, A, rsa, csa, B, ldb, C, ldc); return true;
    G(KN_F32, f32, float)
    G(KN_F64, f64, double)
    G(KN_I32, i32, int32_t)
    G(KN_I64, i64, int64_t)
    G(KN_U32, u32, uint32_t)
    G(KN_U64, u64, uint64_t)
#undef G
  default: return false;
  }
}

/* ---- MatMul ---- */
static kn_status matmul_run(ref_ctx *c) {
  const kn_tensor *a = c->in[0], *b = c->in[1];
  kn_tensor *y = &c->out[0];
  const int dt = a->dtype;
  const size_t es = kn_dtype_size(dt);
  if (dt != KN_F32 && dt != KN_F64 && dt != KN_I32 && dt != KN_I64 && dt != KN_U32 && dt != KN_U64)
    return ref_unsupported_dtype(c, dt);
  const int ra = a->rank, rb = b->rank;
  const int64_t M = ra > 1 ? a->dims[ra - 2] : 1, K = a->dims[ra - 1], N = rb > 1 ? b->dims[rb - 1] : 1;
  const int64_t Kb = rb > 1 ? b->dims[rb - 2] : b->dims[0];
  if (K != Kb) return ref_fail(c, KN_ESHAPE, "inner dims differ: %lld vs %lld", (long long)K, (long long)Kb);
  if (kn_tensor_numel(y) == 0 || K == 0) return KN_OK; /* output is already zero */
  const int yb = y->rank - (ra > 1) - (rb > 1); /* batch rank */
  if (rb <= 2) { /* B is one matrix: fold A's batch into M */
    gemm_dt(dt, kn_tensor_numel(a) / K, N, K, 1.0, a->data, K, 1, b->data, N, y->data, N);
    return KN_OK;
  }
  int64_t sa[KN_MAX_RANK] = {0}, sb[KN_MAX_RANK] = {0}, idx[KN_MAX_RANK] = {0}, nbatch = 1;
  const int ba = ra > 2 ? ra - 2 : 0, bb = rb - 2;
  int64_t acc_a = M * K, acc_b = K * N;
  for (int i = yb - 1; i >= 0; i--) {
    int ia = i - (yb - ba), ib = i - (yb - bb);
    if (ia >= 0) {
      sa[i] = a->dims[ia] == 1 ? 0 : acc_a;
      acc_a *= a->dims[ia];
    }
    if (ib >= 0) {
      sb[i] = b->dims[ib] == 1 ? 0 : acc_b;
      acc_b *= b->dims[ib];
    }
    nbatch *= y->dims[i];
  }
  int64_t oa = 0, ob = 0;
  for (int64_t t = 0; t < nbatch; t++) {
    gemm_dt(dt, M, N, K, 1.0, ELEM(a->data, es, oa), K, 1, ELEM(b->data, es, ob), N,
            ELEMW(y->data, es, t * M * N), N);
    for (int d = yb - 1; d >= 0; d--) { /* odometer over the batch dims */
      oa += sa[d], ob += sb[d];
      if (++idx[d] < y->dims[d]) break;
      oa -= sa[d] * y->dims[d], ob -= sb[d] * y->dims[d];
      idx[d] = 0;
    }
  }
  return KN_OK;
}

kn_status ref_exec_MatMul(ref_ctx *c) { return is_half(c->in[0]->dtype) ? via_f32(c, matmul_run) : matmul_run(c); }

/* ---- Gemm ---- */
#define GEMM_FILL_C(sfx, T)                                                                         \
  static void gemm_fill_c_##sfx(const kn_tensor *ct, double beta, int64_t M, int64_t N, T *y) {     \
    int64_t rs = 0, cs = 0; /* broadcast strides of C over [M, N] */                                \
    if (ct->rank == 2) {                                                                            \
      rs = ct->dims[0] == 1 ? 0 : ct->dims[1];                                                      \
      cs = ct->dims[1] == 1 ? 0 : 1;                                                                \
    } else if (ct->rank == 1)                                                                       \
      cs = ct->dims[0] == 1 ? 0 : 1;                                                                \
    const T *cv = ct->data, bt = (T)beta;                                                           \
    for (int64_t i = 0; i < M; i++)                                                                 \
      for (int64_t j = 0; j < N; j++) y[i * N + j] = bt * cv[i * rs + j * cs];                      \
  }
GEMM_FILL_C(f32, float)
GEMM_FILL_C(f64, double)
GEMM_FILL_C(i32, int32_t)
GEMM_FILL_C(i64, int64_t)
GEMM_FILL_C(u32, uint32_t)
GEMM_FILL_C(u64, uint64_t)

static kn_status gemm_run(ref_ctx *c) {
  const kn_tensor *a = c->in[0], *b = c->in[1], *ct = c->nin > 2 ? c->in[2] : NULL;
  kn_tensor *y = &c->out[0];
  const int dt = a->dtype;
  const size_t es = kn_dtype_size(dt);
  const int ta = ir_attr_i(c->node, "transA") != 0, tb = ir_attr_i(c->node, "transB") != 0;
  const double alpha = ir_attr_f(c->node, "alpha"), beta = ir_attr_f(c->node, "beta");
  const int64_t M = a->dims[ta], K = a->dims[!ta], N = b->dims[!tb];
  if (b->dims[tb] != K) return ref_fail(c, KN_ESHAPE, "inner dims differ");
  if (ct && beta != 0) { /* Y = beta * C first; the GEMM then accumulates alpha * A B */
    bool bad = ct->rank > 2;
    for (int i = 0; i < ct->rank && !bad; i++) {
      int64_t d = ct->dims[i], want = i == ct->rank - 1 ? N : M;
      bad = d != 1 && d != want;
    }
    if (bad) return ref_fail(c, KN_ESHAPE, "C does not broadcast to [%lld, %lld]", (long long)M, (long long)N);
    switch (dt) {
#define F(D, sfx)                                                                                   \
  case D: gemm_fill_c_##sfx(ct, beta, M, N, y->data); break;
      F(KN_F32, f32) F(KN_F64, f64) F(KN_I32, i32) F(KN_I64, i64) F(KN_U32, u32) F(KN_U64, u64)
#undef F
    default: return ref_unsupported_dtype(c, dt);
    }
  }
  if (M == 0 || N == 0 || K == 0) return KN_OK;
  const void *bp = b->data;
  void *bt = NULL;
  if (tb) { /* the GEMM kernel wants B's rows contiguous: B^T -> [K, N] */
    if (!(bt = scratch_alloc(c, K * N, es))) return kn_last_status(c->kn);
    switch (dt) {
    case KN_F32: kk_nn_transpose_f32(N, K, b->data, K, bt, N); break;
    case KN_F64: kk_nn_transpose_f64(N, K, b->data, K, bt, N); break;
    case KN_I32: case KN_U32: kk_nn_transpose_i32(N, K, b->data, K, bt, N); break;
    case KN_I64: case KN_U64: kk_nn_transpose_i64(N, K, b->data, K, bt, N); break;
    default: break;
    }
    bp = bt;
  }
  bool ok = gemm_dt(dt, M, N, K, alpha, a->data, ta ? 1 : K, ta ? M : 1, bp, N, y->data, N);
  kn_aligned_free(bt);
  return ok ? KN_OK : ref_unsupported_dtype(c, dt);
}

kn_status ref_exec_Gemm(ref_ctx *c) {
  int dt = c->in[0]->dtype;
  if (is_half(dt)) return via_f32(c, gemm_run);
  if (dt != KN_F32 && dt != KN_F64 && dt != KN_I32 && dt != KN_I64 && dt != KN_U32 && dt != KN_U64)
    return ref_unsupported_dtype(c, dt);
  return gemm_run(c);
}

/* ---- windows: geometry normalized to 3 spatial dims ---- */
typedef struct nn_plan {
  kk_nn_win w;
  int64_t N, C, M, group, kprod, isz, osz; /* isz/osz: spatial sizes of x / y */
} nn_plan;

/* Fills p->w for x's spatial dims (wkernel: weight kernel dims or NULL). For
 * ConvTranspose the roles swap: the window's image is y, its grid is x. */
static kn_status plan_window(ref_ctx *c, const kn_tensor *x, const int64_t *wkernel, nn_plan *p) {
  int64_t out[KN_MAX_RANK];
  kn_status st = ir_nn_win_make(c->kn, c->node, x->rank, x->dims, wkernel, &p->w, out);
  if (st != KN_OK) return st; /* the message names the node */
  const int nsp = x->rank - 2;
  p->isz = kn_dims_prod(x->dims, 2, x->rank);
  p->osz = kn_dims_prod(out, 0, nsp);
  p->kprod = kn_dims_prod(p->w.k, 0, KK_NN_SP);
  p->N = x->dims[0];
  p->C = x->dims[1];
  return KN_OK;
}

static bool float_dt(int dt) { return dt == KN_F32 || dt == KN_F64; }

/* ---- Conv ---- */
#define CONV_RUN(sfx, T)                                                                            \
  static kn_status conv_run_##sfx(ref_ctx *c, const nn_plan *p) {                                   \
    const T *x = c->in[0]->data, *wt = c->in[1]->data;                                              \
    T *y = c->out[0].data;                                                                          \
    const int64_t Cg = p->C / p->group, Mg = p->M / p->group, kdim = Cg * p->kprod;                 \
    if (Cg == 1 && p->group == p->C) { /* depthwise: direct loop */                                 \
      for (int64_t n = 0; n < p->N; n++)                                                            \
        kk_nn_conv_depthwise_##sfx(&p->w, p->C, Mg, x + n * p->C * p->isz, wt, y + n * p->M * p->osz); \
    } else {                                                                                        \
      bool pointwise = p->kprod == 1 && p->isz == p->osz;                                           \
      for (int i = 0; i < KK_NN_SP; i++) pointwise = pointwise && p->w.stride[i] == 1 && p->w.pad[i] == 0; \
      T *col = NULL;                                                                                \
      if (!pointwise && !(col = scratch_alloc(c, kdim * p->osz, sizeof(T)))) return kn_last_status(c->kn); \
      for (int64_t n = 0; n < p->N; n++)                                                            \
        for (int64_t g = 0; g < p->group; g++) {                                                    \
          const T *xg = x + (n * p->C + g * Cg) * p->isz, *b = xg;                                  \
          if (!pointwise) {                                                                         \
            kk_nn_im2col_##sfx(&p->w, Cg, xg, col);                                                 \
            b = col;                                                                                \
          }                                                                                         \
          kk_nn_gemm_##sfx(Mg, p->osz, kdim, 1, wt + g * Mg * kdim, kdim, 1, b, p->osz,             \
                           y + (n * p->M + g * Mg) * p->osz, p->osz);                               \
        }                                                                                           \
      kn_aligned_free(col);                                                                         \
    }                                                                                               \
    if (c->nin > 2 && c->in[2]) kk_nn_add_bias_##sfx(p->N, p->M, p->osz, c->in[2]->data, y);        \
    return KN_OK;                                                                                   \
  }
CONV_RUN(f32, float)
CONV_RUN(f64, double)

static kn_status conv_exec(ref_ctx *c) {
  const kn_tensor *x = c->in[0], *w = c->in[1];
  if (!float_dt(x->dtype)) return ref_unsupported_dtype(c, x->dtype);
  if (w->rank != x->rank || w->dtype != x->dtype) return ref_fail(c, KN_ESHAPE, "weight does not match the input");
  nn_plan p;
  KN_TRY(plan_window(c, x, w->dims + 2, &p));
  p.group = ir_attr_i(c->node, "group");
  p.M = w->dims[0];
  if (p.group < 1 || p.C % p.group || p.M % p.group || w->dims[1] * p.group != p.C)
    return ref_fail(c, KN_ESHAPE, "channels do not match the weight and group");
  if (c->nin > 2 && c->in[2] && kn_tensor_numel(c->in[2]) != p.M) return ref_fail(c, KN_ESHAPE, "bad bias size");
  if (kn_tensor_numel(&c->out[0]) == 0) return KN_OK;
  return x->dtype == KN_F32 ? conv_run_f32(c, &p) : conv_run_f64(c, &p);
}

kn_status ref_exec_Conv(ref_ctx *c) { return is_half(c->in[0]->dtype) ? via_f32(c, conv_exec) : conv_exec(c); }

/* ---- ConvTranspose: col = W_g^T x_g (GEMM), then col2im scatters into y ---- */
#define CONVT_RUN(sfx, T)                                                                           \
  static kn_status convt_run_##sfx(ref_ctx *c, const nn_plan *p) {                                  \
    const T *x = c->in[0]->data, *wt = c->in[1]->data;                                              \
    T *y = c->out[0].data;                                                                          \
    const int64_t Cg = p->C / p->group, Mg = p->M / p->group, rows = Mg * p->kprod;                 \
    T *col = scratch_alloc(c, rows * p->isz, sizeof(T));                                            \
    if (!col) return kn_last_status(c->kn);                                                         \
    for (int64_t n = 0; n < p->N; n++)                                                              \
      for (int64_t g = 0; g < p->group; g++) {                                                      \
        for (int64_t i = 0; i < rows * p->isz; i++) col[i] = 0;                                     \
        kk_nn_gemm_##sfx(rows, p->isz, Cg, 1, wt + g * Cg * rows, 1, rows,                          \
                         x + (n * p->C + g * Cg) * p->isz, p->isz, col, p->isz);                    \
        kk_nn_col2im_##sfx(&p->w, Mg, col, y + (n * p->M + g * Mg) * p->osz);                       \
      }                                                                                             \
    kn_aligned_free(col);                                                                           \
    if (c->nin > 2 && c->in[2]) kk_nn_add_bias_##sfx(p->N, p->M, p->osz, c->in[2]->data, y);        \
    return KN_OK;                                                                                   \
  }
CONVT_RUN(f32, float)
CONVT_RUN(f64, double)

static kn_status convt_exec(ref_ctx *c) {
  const kn_tensor *x = c->in[0], *w = c->in[1];
  if (!float_dt(x->dtype)) return ref_unsupported_dtype(c, x->dtype);
  if (w->rank != x->rank || w->dtype != x->dtype) return ref_fail(c, KN_ESHAPE, "weight does not match the input");
  nn_plan p;
  KN_TRY(plan_window(c, x, w->dims + 2, &p));
  p.group = ir_attr_i(c->node, "group");
  if (p.group < 1 || p.C % p.group || w->dims[0] != p.C) return ref_fail(c, KN_ESHAPE, "channels do not match the weight");
  p.M = w->dims[1] * p.group;
  if (c->nin > 2 && c->in[2] && kn_tensor_numel(c->in[2]) != p.M) return ref_fail(c, KN_ESHAPE, "bad bias size");
  if (kn_tensor_numel(&c->out[0]) == 0) return KN_OK;
  return x->dtype == KN_F32 ? convt_run_f32(c, &p) : convt_run_f64(c, &p);
}

kn_status ref_exec_ConvTranspose(ref_ctx *c) {
  return is_half(c->in[0]->dtype) ? via_f32(c, convt_exec) : convt_exec(c);
}

/* ---- pools ---- */
static kn_status pool_exec(ref_ctx *c) {
  const kn_tensor *x = c->in[0];
  nn_plan p;
  KN_TRY(plan_window(c, x, NULL, &p));
  const int64_t NC = p.N * p.C;
  const int dt = x->dtype;
  void *y = c->out[0].data;
  switch (c->node->op) {
  case IR_OP_MaxPool: {
    int64_t *idx = c->nout > 1 && c->out[1].rank >= 0 ? c->out[1].data : NULL;
    int col_major = ir_attr_i(c->node, "storage_order") != 0;
    switch (dt) {
#define MP(D, sfx)                                                                                  \
  case D: kk_nn_maxpool_##sfx(&p.w, NC, x->data, y, idx, col_major); return KN_OK;
      MP(KN_F32, f32) MP(KN_F64, f64) MP(KN_I8, i8) MP(KN_U8, u8) MP(KN_I32, i32) MP(KN_I64, i64)
#undef MP
    default: return ref_unsupported_dtype(c, dt);
    }
  }
  case IR_OP_AveragePool: {
    int cip = ir_attr_i(c->node, "count_include_pad") != 0;
    if (dt == KN_F32) kk_nn_avgpool_f32(&p.w, NC, cip, x->data, y);
    else if (dt == KN_F64) kk_nn_avgpool_f64(&p.w, NC, cip, x->data, y);
    else return ref_unsupported_dtype(c, dt);
    return KN_OK;
  }
  default: { /* LpPool: p is an int since opset 2, a float before */
    const ir_attr *pa = ir_attr_get(c->node, "p");
    double pv = !pa ? 2.0 : pa->kind == IR_ATTR_FLOAT ? pa->f : (double)pa->i;
    if (!(pv > 0)) return ref_fail(c, KN_EINVAL, "LpPool p must be positive");
    if (dt == KN_F32) kk_nn_lppool_f32(&p.w, NC, (float)pv, x->data, y);
    else if (dt == KN_F64) kk_nn_lppool_f64(&p.w, NC, pv, x->data, y);
    else return ref_unsupported_dtype(c, dt);
    return KN_OK;
  }
  }
}

static kn_status pool_entry(ref_ctx *c) { return is_half(c->in[0]->dtype) ? via_f32(c, pool_exec) : pool_exec(c); }
kn_status ref_exec_MaxPool(ref_ctx *c) { return pool_entry(c); }
kn_status ref_exec_AveragePool(ref_ctx *c) { return pool_entry(c); }
kn_status ref_exec_LpPool(ref_ctx *c) { return pool_entry(c); }

static kn_status global_pool_exec(ref_ctx *c) {
  const kn_tensor *x = c->in[0];
  const int dt = x->dtype;
  if (x->rank < 2) return ref_fail(c, KN_ESHAPE, "input must be [N, C, spatial...]");
  const int64_t NC = x->dims[0] * x->dims[1], S = kn_dims_numel(x->rank - 2, x->dims + 2);
  const bool mx = c->node->op == IR_OP_GlobalMaxPool;
  if (dt == KN_F32) (mx ? kk_nn_global_max_f32 : kk_nn_global_avg_f32)(NC, S, x->data, c->out[0].data);
  else if (dt == KN_F64) (mx ? kk_nn_global_max_f64 : kk_nn_global_avg_f64)(NC, S, x->data, c->out[0].data);
  else return ref_unsupported_dtype(c, dt);
  return KN_OK;
}

static kn_status global_entry(ref_ctx *c) {
  return is_half(c->in[0]->dtype) ? via_f32(c, global_pool_exec) : global_pool_exec(c);
}
kn_status ref_exec_GlobalAveragePool(ref_ctx *c) { return global_entry(c); }
kn_status ref_exec_GlobalMaxPool(ref_ctx *c) { return global_entry(c); }

/* ---- Einsum: label strides per operand, then the generic loop nest ---- */
static kn_status einsum_exec(ref_ctx *c) {
  const int nops = c->nin;
  int ranks[KN_MAX_RANK + 1], op_lab[(KN_MAX_RANK + 1) * KN_MAX_RANK], out_lab[KN_MAX_RANK], nout;
  const char *eq = ir_attr_str(c->node, "equation", NULL);
  if (!eq) return ref_fail(c, KN_EINVAL, "Einsum needs an equation");
  if (nops > KN_MAX_RANK + 1 || nops > KK_NN_EINSUM_MAX_OPS) return ref_fail(c, KN_EUNSUPPORTED, "too many operands");
  const int dt = c->in[0]->dtype;
  for (int q = 0; q < nops; q++) {
    if (!c->in[q] || c->in[q]->dtype != dt) return ref_fail(c, KN_ETYPE, "operands must share one dtype");
    ranks[q] = c->in[q]->rank;
  }
  KN_TRY(ir_einsum_parse(c->kn, c->node, eq, nops, ranks, op_lab, out_lab, &nout));
  enum { NL = KK_NN_EINSUM_MAX_LABELS };
  int64_t ldim[NL], dims[NL], strides[KK_NN_EINSUM_MAX_OPS * NL] = {0};
  int pos[NL], nlab = 0;
  bool have[NL] = {false};
  for (int q = 0; q < nops; q++)
    for (int ax = 0; ax < ranks[q]; ax++) {
      int l = op_lab[q * KN_MAX_RANK + ax];
      int64_t d = c->in[q]->dims[ax];
      if (!have[l] || ldim[l] == 1) ldim[l] = d;
      else if (d != 1 && d != ldim[l]) return ref_fail(c, KN_ESHAPE, "einsum label sizes disagree");
      have[l] = true;
    }
  for (int i = 0; i < NL; i++) pos[i] = -1;
  for (int i = 0; i < nout; i++) {
    pos[out_lab[i]] = nlab;
    dims[nlab++] = have[out_lab[i]] ? ldim[out_lab[i]] : 1;
  }
  for (int l = 0; l < NL; l++)
    if (have[l] && pos[l] < 0) pos[l] = nlab, dims[nlab++] = ldim[l];
  for (int q = 0; q < nops; q++) {
    int64_t st = 1;
    for (int ax = ranks[q] - 1; ax >= 0; ax--) {
      int64_t d = c->in[q]->dims[ax];
      if (d != 1) strides[q * nlab + pos[op_lab[q * KN_MAX_RANK + ax]]] += st;
      st *= d;
    }
  }
  const void *ops[KK_NN_EINSUM_MAX_OPS];
  for (int q = 0; q < nops; q++) ops[q] = c->in[q]->data;
  void *y = c->out[0].data;
  switch (dt) {
  case KN_F32: kk_nn_einsum_f32(nops, (const float *const *)ops, strides, nlab, nout, dims, y); break;
  case KN_F64: kk_nn_einsum_f64(nops, (const double *const *)ops, strides, nlab, nout, dims, y); break;
  case KN_I32: kk_nn_einsum_i32(nops, (const int32_t *const *)ops, strides, nlab, nout, dims, y); break;
  case KN_I64: kk_nn_einsum_i64(nops, (const int64_t *const *)ops, strides, nlab, nout, dims, y); break;
  default: return ref_unsupported_dtype(c, dt);
  }
  return KN_OK;
}

kn_status ref_exec_Einsum(ref_ctx *c) {
  return c->nin > 0 && c->in[0] && is_half(c->in[0]->dtype) ? via_f32(c, einsum_exec) : einsum_exec(c);
}
