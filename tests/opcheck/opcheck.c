/* opcheck.c: what the harness's runner (opcheck_run.c) builds on: the
 * suite of cases and the seeded choices of the generators, a case's text
 * with its '@' markers replaced (one graph holds a batch of cases, each
 * under its prefix "cN_"), input data seeded per case and input name (a case
 * gets the same numbers whichever batch it is in and whatever filter
 * selected it), and the comparison with its per-dtype bounds. */
#include "opcheck.h"
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ===== building suites ===== */
static uint64_t splitmix(uint64_t *s) {
  uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
static double unit(uint64_t *s) { return (double)(splitmix(s) >> 11) * 0x1p-53; }

int64_t oc_rand(oc_suite *s, int64_t lo, int64_t hi) {
  return hi <= lo ? lo : lo + (int64_t)(splitmix(&s->rng) % (uint64_t)(hi - lo + 1));
}
double oc_randf(oc_suite *s, double lo, double hi) { return lo + (hi - lo) * unit(&s->rng); }
int64_t oc_odd(oc_suite *s) {
  static const int64_t odd[] = {1, 3, 7, 17, 33};
  return odd[oc_rand(s, 0, 4)];
}

void oc_shape(oc_suite *s, int rank, int64_t max_numel, int64_t *dims) {
  int64_t left = max_numel;
  for (int d = 0; d < rank; d++) {
    int64_t v = oc_odd(s);
    if (oc_rand(s, 0, 3) == 0) v = oc_rand(s, 1, 9);
    while (v > 1 && v > left) v = (v / 2) | 1; /* shrink, staying odd */
    if (v < 1) v = 1;
    dims[d] = v;
    left /= v;
  }
}

static char *ring_buf(void) {
  static char bufs[16][256];
  static int next;
  return bufs[next++ % 16];
}
const char *oc_dims(int rank, const int64_t *dims) {
  char *b = ring_buf();
  b[0] = 0;
  for (int d = 0; d < rank; d++) snprintf(b + strlen(b), 256 - strlen(b), "%s%lld", d ? ", " : "", (long long)dims[d]);
  return b;
}
const char *oc_ints(int n, const int64_t *v) {
  char *b = ring_buf();
  strcpy(b, "[");
  for (int d = 0; d < n; d++) snprintf(b + strlen(b), 256 - strlen(b), "%s%lld", d ? ", " : "", (long long)v[d]);
  strcat(b, "]");
  return b;
}

oc_case *oc_add(oc_suite *s, const char *op, const char *fmt, ...) {
  if (s->n == s->cap) {
    s->cap = s->cap ? 2 * s->cap : 256;
    s->cases = realloc(s->cases, sizeof *s->cases * (size_t)s->cap);
    if (!s->cases) abort();
  }
  oc_case *c = &s->cases[s->n];
  memset(c, 0, sizeof *c);
  c->id = s->n++;
  c->family = s->family;
  snprintf(c->op, sizeof c->op, "%s", op);
  c->lo = -3, c->hi = 3, c->ilo = -20, c->ihi = 20;
  va_list ap, ap2;
  va_start(ap, fmt);
  va_copy(ap2, ap);
  int len = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  c->text = malloc((size_t)len + 1);
  if (!c->text) abort();
  vsnprintf(c->text, (size_t)len + 1, fmt, ap2);
  va_end(ap2);
  return c;
}

void oc_range_of(oc_case *c, const char *name, double lo, double hi) {
  if (c->nranges == (int)(sizeof c->ranges / sizeof c->ranges[0])) abort();
  oc_range *r = &c->ranges[c->nranges++];
  snprintf(r->name, sizeof r->name, "%s", name);
  r->lo = lo, r->hi = hi;
}

void oc_suite_free(oc_suite *s) {
  for (int i = 0; i < s->n; i++) free(s->cases[i].text);
  free(s->cases);
  memset(s, 0, sizeof *s);
}

const char *oc_family_name(oc_family f) {
  static const char *const names[OC_NFAMILIES] = {"elementwise", "reduce/normalize", "linalg/nn", "movement/index",
                                                  "misc"};
  return f < OC_NFAMILIES ? names[f] : "?";
}

/* ===== text ===== */
typedef struct strbuf {
  char *p;
  size_t n, cap;
} strbuf;
static void sb_put(strbuf *b, const char *s, size_t n) {
  if (b->n + n + 1 > b->cap) {
    b->cap = (b->n + n + 1) * 2;
    b->p = realloc(b->p, b->cap);
    if (!b->p) abort();
  }
  memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = 0;
}
static void sb_str(strbuf *b, const char *s) { sb_put(b, s, strlen(s)); }

/* the case's statements with '@' replaced by prefix */
static void put_case(strbuf *b, const oc_case *c, const char *prefix) {
  for (const char *p = c->text; *p;) {
    const char *at = strchr(p, '@');
    size_t n = at ? (size_t)(at - p) : strlen(p);
    sb_put(b, p, n);
    p += n;
    if (at) sb_str(b, prefix), p++;
  }
  sb_str(b, "\n");
}

char *oc_compose(oc_case *const *cases, int n) {
  strbuf b = {0};
  sb_str(&b, "graph ops {\n");
  for (int i = 0; i < n; i++) {
    char prefix[24];
    snprintf(prefix, sizeof prefix, "c%d_", cases[i]->id);
    put_case(&b, cases[i], prefix);
  }
  sb_str(&b, "}\n");
  return b.p;
}

char *oc_case_text(const oc_case *c) {
  strbuf b = {0};
  put_case(&b, c, "");
  return b.p;
}

int oc_case_of(const char *name, const char **rest) {
  if (!name || name[0] != 'c') return -1;
  char *end;
  long v = strtol(name + 1, &end, 10);
  if (end == name + 1 || *end != '_') return -1;
  if (rest) *rest = end + 1;
  return (int)v;
}

/* ===== inputs ===== */
static uint64_t hash_str(const char *s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
  return h;
}

static void int_limits(int dt, double *lo, double *hi) {
  switch (dt) {
  case KN_I8: *lo = -128, *hi = 127; break;
  case KN_U8: *lo = 0, *hi = 255; break;
  case KN_I16: *lo = -32768, *hi = 32767; break;
  case KN_U16: *lo = 0, *hi = 65535; break;
  case KN_I32: *lo = -2147483648.0, *hi = 2147483647.0; break;
  case KN_U32: *lo = 0, *hi = 4294967295.0; break;
  case KN_U64: *lo = 0, *hi = 1e18; break;
  default: *lo = -1e18, *hi = 1e18; break;
  }
}

void oc_fill_input(kn_tensor *t, const oc_case *c, const char *name, uint64_t seed) {
  uint64_t st = seed ^ hash_str(name) ^ ((uint64_t)(c->id + 1) * 0xD1B54A32D192ED03ull);
  double lo = c->lo, hi = c->hi;
  bool ranged = false;
  for (int i = 0; i < c->nranges; i++)
    if (strcmp(c->ranges[i].name, name) == 0) lo = c->ranges[i].lo, hi = c->ranges[i].hi, ranged = true;
  const int64_t n = kn_tensor_numel(t);
  if (kn_dtype_is_float(t->dtype)) {
    static const double specials[] = {NAN, INFINITY, -INFINITY, 0.0, -0.0, 1e30, -7.5};
    for (int64_t i = 0; i < n; i++) {
      double v = lo + (hi - lo) * unit(&st);
      if (c->step > 0) v = round(v / c->step) * c->step;
      uint64_t r = splitmix(&st);
      if (c->specials && r % 6 == 0) v = specials[(r >> 8) % (sizeof specials / sizeof specials[0])];
      kn_tensor_set_f64(t, i, v);
    }
  } else if (t->dtype == KN_BOOL) {
    for (int64_t i = 0; i < n; i++) ((uint8_t *)t->data)[i] = (uint8_t)(splitmix(&st) >> 63);
  } else {
    double dlo, dhi;
    int_limits(t->dtype, &dlo, &dhi);
    int64_t a = ranged ? (int64_t)lo : c->ilo, b = ranged ? (int64_t)hi : c->ihi;
    if (a < dlo) a = (int64_t)dlo;
    if (b > dhi) b = (int64_t)dhi;
    for (int64_t i = 0; i < n; i++) {
      int64_t v = b <= a ? a : a + (int64_t)(splitmix(&st) % (uint64_t)(b - a + 1));
      switch (t->dtype) {
      case KN_I64: ((int64_t *)t->data)[i] = v; break;
      case KN_U64: ((uint64_t *)t->data)[i] = (uint64_t)v; break;
      default: kn_tensor_set_f64(t, i, (double)v); break;
      }
    }
  }
}

/* ===== comparing ===== */
double oc_dtype_tol(int dt) {
  switch (dt) {
  case KN_F32: return 1e-5;
  case KN_F64: return 1e-12;
  case KN_F16: return 2e-3;
  case KN_BF16: return 1.6e-2;
  default: return 0;
  }
}

bool oc_compare(const kn_tensor *got, const kn_tensor *want, double tol, char *msg, size_t cap) {
  msg[0] = 0;
  if (got->dtype != want->dtype) {
    snprintf(msg, cap, "dtype %s, reference %s", kn_dtype_short(got->dtype), kn_dtype_short(want->dtype));
    return false;
  }
  bool same = got->rank == want->rank;
  for (int d = 0; same && d < got->rank; d++) same = got->dims[d] == want->dims[d];
  if (!same) {
    char a[96], b[96];
    snprintf(a, sizeof a, "[%s]", oc_dims(got->rank, got->dims));
    snprintf(b, sizeof b, "[%s]", oc_dims(want->rank, want->dims));
    snprintf(msg, cap, "shape %s, reference %s", a, b);
    return false;
  }
  const int64_t n = kn_tensor_numel(want);
  if (!kn_dtype_is_float(want->dtype)) {
    for (int64_t i = 0; i < n; i++) {
      bool eq = want->dtype == KN_U64 ? ((const uint64_t *)got->data)[i] == ((const uint64_t *)want->data)[i]
                                      : kn_tensor_get_i64(got, i) == kn_tensor_get_i64(want, i);
      if (!eq) {
        snprintf(msg, cap, "element %lld is %lld, reference %lld (integers must match exactly)", (long long)i,
                 (long long)kn_tensor_get_i64(got, i), (long long)kn_tensor_get_i64(want, i));
        return false;
      }
    }
    return true;
  }
  double max_ref = 0, max_err = 0;
  int64_t worst = -1;
  for (int64_t i = 0; i < n; i++) {
    double g = kn_tensor_get_f64(got, i), w = kn_tensor_get_f64(want, i);
    if (isnan(g) || isnan(w) || isinf(g) || isinf(w)) {
      if (isnan(g) != isnan(w) || (!isnan(w) && g != w && (isinf(g) || isinf(w)))) {
        snprintf(msg, cap, "element %lld is %.9g, reference %.9g (NaN/inf positions must agree)", (long long)i, g, w);
        return false;
      }
      continue;
    }
    if (fabs(w) > max_ref) max_ref = fabs(w);
    if (fabs(g - w) > max_err) max_err = fabs(g - w), worst = i;
  }
  const double tiny = 1e-30;
  double err = max_err / (max_ref > tiny ? max_ref : tiny);
  if (err > tol) {
    snprintf(msg, cap,
             "normalized error %.3g > %.3g (max |jit - ref| %.3g at element %lld: %.9g vs %.9g, max |ref| %.3g)", err,
             tol, max_err, (long long)worst, kn_tensor_get_f64(got, worst), kn_tensor_get_f64(want, worst), max_ref);
    return false;
  }
  return true;
}
