/* norm.c: NORM family kernels (see k_norm.h for the calling conventions).
 * One macro body is instantiated for float and double so the two stay in
 * lockstep; element math (exp/log) runs in T, every sum, mean and variance in
 * double, and variances are computed in two passes (mean first, then squared
 * deviations) because E[x^2]-E[x]^2 cancels badly and can go negative.
 * Freestanding: stdint/stddef only, math through __builtin_*. */
#include "k_norm.h"

#define KKN_EXP_f32 __builtin_expf
#define KKN_EXP_f64 __builtin_exp
#define KKN_LOG_f32 __builtin_logf
#define KKN_LOG_f64 __builtin_log

/* Mean and population variance of len elements at stride `step`. */
static inline void kkn_moments_f32(const float *x, int64_t len, int64_t step, double *mean,
                                   double *var) {
  double s = 0, q = 0;
  for (int64_t i = 0; i < len; i++) s += x[i * step];
  double m = len > 0 ? s / (double)len : 0;
  for (int64_t i = 0; i < len; i++) {
    double d = x[i * step] - m;
    q += d * d;
  }
  *mean = m;
  *var = len > 0 ? q / (double)len : 0;
}
static inline void kkn_moments_f64(const double *x, int64_t len, int64_t step, double *mean,
                                   double *var) {
  double s = 0, q = 0;
  for (int64_t i = 0; i < len; i++) s += x[i * step];
  double m = len > 0 ? s / (double)len : 0;
  for (int64_t i = 0; i < len; i++) {
    double d = x[i * step] - m;
    q += d * d;
  }
  *mean = m;
  *var = len > 0 ? q / (double)len : 0;
}

#define KK_NORM_DEFINE(T, S)                                                                       \
  void kk_norm_softmax_##S(const T *x, T *y, int64_t outer, int64_t n, int64_t inner) {            \
    for (int64_t o = 0; o < outer; o++)                                                            \
      for (int64_t i = 0; i < inner; i++) {                                                        \
        const T *xr = x + o * n * inner + i;                                                       \
        T *yr = y + o * n * inner + i;                                                             \
        if (n <= 0) continue;                                                                      \
        T mx = xr[0];                                                                              \
        for (int64_t k = 1; k < n; k++)                                                            \
          if (xr[k * inner] > mx) mx = xr[k * inner];                                              \
        double sum = 0;                                                                            \
        for (int64_t k = 0; k < n; k++) {                                                          \
          T e = KKN_EXP_##S(xr[k * inner] - mx);                                                   \
          yr[k * inner] = e;                                                                       \
          sum += e;                                                                                \
        }                                                                                          \
        for (int64_t k = 0; k < n; k++) yr[k * inner] = (T)(yr[k * inner] / sum);                  \
      }                                                                                            \
  }                                                                                                \
                                                                                                   \
  void kk_norm_logsoftmax_##S(const T *x, T *y, int64_t outer, int64_t n, int64_t inner) {         \
    for (int64_t o = 0; o < outer; o++)                                                            \
      for (int64_t i = 0; i < inner; i++) {                                                        \
        const T *xr = x + o * n * inner + i;                                                       \
        T *yr = y + o * n * inner + i;                                                             \
        if (n <= 0) continue;                                                                      \
        T mx = xr[0];                                                                              \
        for (int64_t k = 1; k < n; k++)                                                            \
          if (xr[k * inner] > mx) mx = xr[k * inner];                                              \
        double sum = 0;                                                                            \
        for (int64_t k = 0; k < n; k++) sum += KKN_EXP_##S(xr[k * inner] - mx);                    \
        T lse = (T)__builtin_log(sum);                                                             \
        for (int64_t k = 0; k < n; k++) yr[k * inner] = (xr[k * inner] - mx) - lse;                \
      }                                                                                            \
  }                                                                                                \
                                                                                                   \
  void kk_norm_hardmax_##S(const T *x, T *y, int64_t outer, int64_t n, int64_t inner) {            \
    for (int64_t o = 0; o < outer; o++)                                                            \
      for (int64_t i = 0; i < inner; i++) {                                                        \
        const T *xr = x + o * n * inner + i;                                                       \
        T *yr = y + o * n * inner + i;                                                             \
        int64_t best = 0; /* the first maximum wins, as numpy's argmax */                          \
        for (int64_t k = 0; k < n; k++) {                                                          \
          if (xr[k * inner] > xr[best * inner]) best = k;                                          \
          yr[k * inner] = 0;                                                                       \
        }                                                                                          \
        if (n > 0) yr[best * inner] = 1;                                                           \
      }                                                                                            \
  }                                                                                                \
                                                                                                   \
  void kk_norm_lpnorm_##S(const T *x, T *y, int64_t outer, int64_t n, int64_t inner, int p) {       \
    for (int64_t o = 0; o < outer; o++)                                                            \
      for (int64_t i = 0; i < inner; i++) {                                                        \
        const T *xr = x + o * n * inner + i;                                                       \
        T *yr = y + o * n * inner + i;                                                             \
        double acc = 0;                                                                            \
        for (int64_t k = 0; k < n; k++) {                                                          \
          double v = xr[k * inner];                                                                \
          acc += p == 1 ? (v < 0 ? -v : v) : v * v;                                                \
        }                                                                                          \
        double norm = p == 1 ? acc : __builtin_sqrt(acc);                                          \
        for (int64_t k = 0; k < n; k++) yr[k * inner] = (T)(xr[k * inner] / norm);                 \
      }                                                                                            \
  }                                                                                                \
                                                                                                   \
  void kk_norm_batchnorm_##S(const T *x, const T *scale, const T *bias, const T *mean,             \
                             const T *var, T *y, int64_t batch, int64_t ch, int64_t spatial,       \
                             float eps) {                                                          \
    for (int64_t c = 0; c < ch; c++) {                                                             \
      double a = scale[c] / __builtin_sqrt((double)var[c] + eps);                                  \
      double m = mean[c], b = bias[c];                                                             \
      for (int64_t n = 0; n < batch; n++) {                                                        \
        const T *xp = x + (n * ch + c) * spatial;                                                  \
        T *yp = y + (n * ch + c) * spatial;                                                        \
        for (int64_t s = 0; s < spatial; s++) yp[s] = (T)((xp[s] - m) * a + b);                    \
      }                                                                                            \
    }                                                                                              \
  }                                                                                                \
                                                                                                   \
  void kk_norm_channel_moments_##S(const T *x, T *mean, T *var, int64_t batch, int64_t ch,         \
                                   int64_t spatial) {                                              \
    double cnt = (double)batch * (double)spatial;                                                  \
    for (int64_t c = 0; c < ch; c++) {                                                             \
      double s = 0, q = 0;                                                                         \
      for (int64_t n = 0; n < batch; n++)                                                          \
        for (int64_t k = 0; k < spatial; k++) s += x[(n * ch + c) * spatial + k];                  \
      double m = s / cnt;                                                                          \
      for (int64_t n = 0; n < batch; n++)                                                          \
        for (int64_t k = 0; k < spatial; k++) {                                                    \
          double d = x[(n * ch + c) * spatial + k] - m;                                            \
          q += d * d;                                                                              \
        }                                                                                          \
      mean[c] = (T)m;                                                                              \
      var[c] = (T)(q / cnt);                                                                       \
    }                                                                                              \
  }                                                                                                \
                                                                                                   \
  void kk_norm_batchnorm_train_##S(const T *x, const T *scale, const T *bias, const T *in_mean,    \
                                   const T *in_var, T *y, T *run_mean, T *run_var, int64_t batch,  \
                                   int64_t ch, int64_t spatial, float eps, float momentum,         \
                                   T *scratch) {                                                   \
    T *bmean = scratch, *bvar = scratch + ch;                                                      \
    kk_norm_channel_moments_##S(x, bmean, bvar, batch, ch, spatial);                               \
    kk_norm_batchnorm_##S(x, scale, bias, bmean, bvar, y, batch, ch, spatial, eps);                \
    for (int64_t c = 0; c < ch; c++) {                                                             \
      if (run_mean) run_mean[c] = (T)(in_mean[c] * (double)momentum + bmean[c] * (1.0 - momentum)); \
      if (run_var) run_var[c] = (T)(in_var[c] * (double)momentum + bvar[c] * (1.0 - momentum));    \
    }                                                                                              \
  }                                                                                                \
                                                                                                   \
  void kk_norm_instancenorm_##S(const T *x, const T *scale, const T *bias, T *y, int64_t batch,     \
                                int64_t ch, int64_t spatial, float eps) {                          \
    for (int64_t n = 0; n < batch; n++)                                                            \
      for (int64_t c = 0; c < ch; c++) {                                                           \
        const T *xp = x + (n * ch + c) * spatial;                                                  \
        T *yp = y + (n * ch + c) * spatial;                                                        \
        double m, v;                                                                               \
        kkn_moments_##S(xp, spatial, 1, &m, &v);                                                   \
        double a = scale[c] / __builtin_sqrt(v + eps), b = bias[c];                                \
        for (int64_t s = 0; s < spatial; s++) yp[s] = (T)((xp[s] - m) * a + b);                    \
      }                                                                                            \
  }                                                                                                \
                                                                                                   \
  void kk_norm_groupnorm_##S(const T *x, const T *scale, const T *bias, T *y, int64_t batch,        \
                             int64_t ch, int64_t spatial, int64_t groups, int per_channel,         \
                             float eps) {                                                          \
    int64_t cg = groups > 0 ? ch / groups : 0; /* channels per group */                            \
    for (int64_t n = 0; n < batch; n++)                                                            \
      for (int64_t g = 0; g < groups; g++) {                                                       \
        const T *xp = x + (n * ch + g * cg) * spatial;                                             \
        T *yp = y + (n * ch + g * cg) * spatial;                                                   \
        double m, v;                                                                               \
        kkn_moments_##S(xp, cg * spatial, 1, &m, &v);                                              \
        double inv = 1.0 / __builtin_sqrt(v + eps);                                                \
        for (int64_t k = 0; k < cg; k++) {                                                         \
          int64_t p = per_channel ? g * cg + k : g;                                                \
          double a = scale[p] * inv, b = bias[p];                                                  \
          for (int64_t s = 0; s < spatial; s++)                                                    \
            yp[k * spatial + s] = (T)((xp[k * spatial + s] - m) * a + b);                          \
        }                                                                                          \
      }                                                                                            \
  }                                                                                                \
                                                                                                   \
  void kk_norm_layernorm_##S(const T *x, const T *scale, const T *bias, T *y, T *mean_out,          \
                             T *inv_std_out, int64_t outer, int64_t inner, float eps) {            \
    for (int64_t o = 0; o < outer; o++) {                                                          \
      const T *xr = x + o * inner;                                                                 \
      T *yr = y + o * inner;                                                                       \
      double m, v;                                                                                 \
      kkn_moments_##S(xr, inner, 1, &m, &v);                                                       \
      double inv = 1.0 / __builtin_sqrt(v + eps);                                                  \
      for (int64_t k = 0; k < inner; k++) {                                                        \
        double r = (xr[k] - m) * inv * scale[k];                                                   \
        yr[k] = (T)(bias ? r + bias[k] : r);                                                       \
      }                                                                                            \
      if (mean_out) mean_out[o] = (T)m;                                                            \
      if (inv_std_out) inv_std_out[o] = (T)inv;                                                    \
    }                                                                                              \
  }                                                                                                \
                                                                                                   \
  void kk_norm_lrn_##S(const T *x, T *y, int64_t batch, int64_t ch, int64_t spatial, int64_t size,  \
                       float alpha, float beta, float bias) {                                      \
    /* the window is asymmetric for even sizes: floor((size-1)/2) channels below,                  \
     * ceil((size-1)/2) above */                                                                   \
    int64_t lo = (size - 1) / 2, hi = size / 2;                                                    \
    double k = (double)alpha / (double)size;                                                       \
    for (int64_t n = 0; n < batch; n++)                                                            \
      for (int64_t c = 0; c < ch; c++) {                                                           \
        int64_t c0 = c - lo < 0 ? 0 : c - lo, c1 = c + hi >= ch ? ch - 1 : c + hi;                \
        for (int64_t s = 0; s < spatial; s++) {                                                    \
          double sq = 0;                                                                           \
          for (int64_t j = c0; j <= c1; j++) {                                                     \
            double v = x[(n * ch + j) * spatial + s];                                              \
            sq += v * v;                                                                           \
          }                                                                                        \
          int64_t at = (n * ch + c) * spatial + s;                                                 \
          y[at] = (T)(x[at] / __builtin_pow(bias + k * sq, beta));                                 \
        }                                                                                          \
      }                                                                                            \
  }                                                                                                \
                                                                                                   \
  void kk_norm_mvn_##S(const T *x, T *y, int rank, const int64_t *dims, const uint8_t *reduce,      \
                       double *scratch) {                                                          \
    int64_t kstride[KK_MAX_RANK], idx[KK_MAX_RANK], kept = 1, total = 1;                           \
    for (int d = rank - 1; d >= 0; d--) {                                                          \
      kstride[d] = reduce[d] ? 0 : kept;                                                           \
      if (!reduce[d]) kept *= dims[d];                                                             \
      total *= dims[d];                                                                            \
      idx[d] = 0;                                                                                  \
    }                                                                                              \
    if (total == 0) return;                                                                        \
    double cnt = (double)(total / kept);                                                           \
    double *mean = scratch, *var = scratch + kept;                                                 \
    for (int64_t j = 0; j < 2 * kept; j++) scratch[j] = 0;                                         \
    /* three sweeps (mean, variance, output) over the odometer; off is the flat                    \
     * index of the current element among the kept (not reduced) axes */                           \
    for (int pass = 0; pass < 3; pass++) {                                                         \
      for (int d = 0; d < rank; d++) idx[d] = 0;                                                   \
      for (int64_t i = 0; i < total; i++) {                                                        \
        int64_t off = 0;                                                                           \
        for (int d = 0; d < rank; d++) off += idx[d] * kstride[d];                                 \
        if (pass == 0) mean[off] += x[i];                                                          \
        else if (pass == 1) {                                                                      \
          double dv = x[i] - mean[off];                                                            \
          var[off] += dv * dv;                                                                     \
        } else                                                                                     \
          y[i] = (T)((x[i] - mean[off]) / var[off]);                                               \
        kk_index_next(rank, dims, idx);                                                            \
      }                                                                                            \
      for (int64_t j = 0; j < kept; j++) {                                                         \
        if (pass == 0) mean[j] /= cnt;                                                             \
        /* ONNX's function body adds 1e-9 to the standard deviation, not the variance */           \
        else if (pass == 1) var[j] = __builtin_sqrt(var[j] / cnt) + 1e-9;                          \
      }                                                                                            \
    }                                                                                              \
  }                                                                                                \
                                                                                                   \
  int64_t kk_norm_nll_##S(const T *x, const int64_t *target, const T *weight, T *out, int64_t n,   \
                          int64_t c, int64_t d, int has_ignore, int64_t ignore_index,              \
                          int reduction) {                                                         \
    double sum = 0, wsum = 0;                                                                      \
    for (int64_t i = 0; i < n; i++)                                                                \
      for (int64_t j = 0; j < d; j++) {                                                            \
        int64_t t = target[i * d + j];                                                             \
        double l = 0, w = 0;                                                                       \
        if (!has_ignore || t != ignore_index) {                                                    \
          if (t < 0 || t >= c) return i * d + j;                                                   \
          w = weight ? (double)weight[t] : 1.0;                                                    \
          l = -(double)x[(i * c + t) * d + j] * w;                                                 \
        }                                                                                          \
        if (reduction == KK_NORM_REDUCE_NONE) out[i * d + j] = (T)l;                               \
        sum += l;                                                                                  \
        wsum += w;                                                                                 \
      }                                                                                            \
    if (reduction == KK_NORM_REDUCE_SUM) out[0] = (T)sum;                                          \
    /* mean divides by the total weight of the counted targets (0/0 = NaN when                     \
     * every target is ignored, as in the ONNX reference) */                                       \
    else if (reduction == KK_NORM_REDUCE_MEAN) out[0] = (T)(sum / wsum);                           \
    return -1;                                                                                     \
  }                                                                                                \
                                                                                                   \
  void kk_norm_det_##S(const T *x, T *y, int64_t batch, int64_t n, double *scratch) {              \
    for (int64_t b = 0; b < batch; b++) {                                                          \
      double *a = scratch, det = 1;                                                                \
      for (int64_t i = 0; i < n * n; i++) a[i] = x[b * n * n + i];                                 \
      /* LU with partial pivoting: det = sign(perm) * prod(diag U) */                              \
      for (int64_t k = 0; k < n && det != 0; k++) {                                                \
        int64_t p = k;                                                                             \
        double best = a[k * n + k] < 0 ? -a[k * n + k] : a[k * n + k];                             \
        for (int64_t r = k + 1; r < n; r++) {                                                      \
          double v = a[r * n + k] < 0 ? -a[r * n + k] : a[r * n + k];                              \
          if (v > best) best = v, p = r;                                                           \
        }                                                                                          \
        if (best == 0) {                                                                           \
          det = 0;                                                                                 \
          break;                                                                                   \
        }                                                                                          \
        if (p != k) {                                                                              \
          for (int64_t j = 0; j < n; j++) {                                                        \
            double t = a[k * n + j];                                                               \
            a[k * n + j] = a[p * n + j];                                                           \
            a[p * n + j] = t;                                                                      \
          }                                                                                        \
          det = -det;                                                                              \
        }                                                                                          \
        double piv = a[k * n + k];                                                                 \
        det *= piv;                                                                                \
        for (int64_t r = k + 1; r < n; r++) {                                                      \
          double f = a[r * n + k] / piv;                                                           \
          for (int64_t j = k + 1; j < n; j++) a[r * n + j] -= f * a[k * n + j];                    \
        }                                                                                          \
      }                                                                                            \
      y[b] = (T)det;                                                                               \
    }                                                                                              \
  }

KK_NORM_DEFINE(float, f32)
KK_NORM_DEFINE(double, f64)
