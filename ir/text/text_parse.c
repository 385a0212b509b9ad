/* text_parse.c: reads kiln's IR text form (docs/ir.md) into a graph.
 * A hand-written recursive-descent parser with one token of lookahead. It is
 * fed fuzzed input, so: every error is `file:line:col: message` in the context
 * (first error wins, parsing stops), nothing exits or asserts on bad input,
 * the partial graph is freed on every error path, graph nesting is bounded,
 * and every tensor is allocated through kn_tensor_alloc (overflow and memory
 * limit checks) from its declared shape before any literal is read, so a
 * literal can never grow a buffer beyond what the shape allows.
 * Scratch arrays live in the parser and are reused across statements; the
 * output-name list is a stack because a node's attributes may hold a nested
 * graph, and a macro call a whole body, whose statements push their own
 * output names. Names go through text_scope.c (prefixes, rebinding in loops);
 * params, macros and loops are text_macro.c's. */
#include "text_parse.h"
#include <float.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- errors ---- */
kn_status irp_err_at(parser *p, const ir_token *t, kn_status st, const char *fmt, ...) {
  char msg[1200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return kn_fail(p->ctx, st, "%s:%d:%d: %s", p->file, t->line, t->col, msg);
}

/* Adds the location to an error some other function (kn_tensor_alloc, ...) set. */
static kn_status located(parser *p, const ir_token *t, kn_status st) {
  if (st != KN_OK) kn_prefix(p->ctx, "%s:%d:%d: ", p->file, t->line, t->col);
  return st;
}

const char *irp_tok_desc(const ir_token *t, char *buf, size_t n) {
  if (t->kind == IR_TK_WORD || t->kind == IR_TK_REF || t->kind == IR_TK_EXPR) snprintf(buf, n, "'%.*s'", (int)(t->len > 48 ? 48 : t->len), t->start);
  else if (t->kind == IR_TK_STRING) snprintf(buf, n, "a string");
  else snprintf(buf, n, "%s", ir_tok_kind_name(t->kind));
  return buf;
}

/* ---- scratch ---- */
kn_status irp_grow(parser *p, void **buf, size_t *cap, size_t need, size_t elem) {
  if (need <= *cap) return KN_OK;
  size_t nc = *cap ? *cap : 16;
  while (nc < need) {
    if (nc > (SIZE_MAX / 2) / elem) return kn_fail(p->ctx, KN_ENOMEM, "out of memory parsing IR text");
    nc *= 2;
  }
  void *q = realloc(*buf, nc * elem);
  if (!q) return kn_fail(p->ctx, KN_ENOMEM, "out of memory parsing IR text");
  *buf = q;
  *cap = nc;
  return KN_OK;
}

static kn_status push_tok(parser *p, const ir_token *t) {
  KN_TRY(irp_grow(p, (void **)&p->toks, &p->cap_toks, p->ntoks + 1, sizeof *p->toks));
  p->toks[p->ntoks++] = *t;
  return KN_OK;
}

/* ---- tokens ---- */
kn_status irp_advance(parser *p) {
  p->tok = ir_lex_next(&p->lx);
  if (p->tok.kind == IR_TK_ERROR) return irp_err_at(p, &p->tok, KN_EPARSE, "%s", p->lx.err);
  return KN_OK;
}

bool irp_tok_is(const ir_token *t, const char *w) {
  return t->kind == IR_TK_WORD && t->len == strlen(w) && memcmp(t->start, w, t->len) == 0;
}
bool irp_at(parser *p, const char *w) { return irp_tok_is(&p->tok, w); }

kn_status irp_expect(parser *p, ir_tok_kind k, const char *where) {
  char descbuf[80];
  if (p->tok.kind != k) return PERR("expected %s %s, got %s", ir_tok_kind_name(k), where, DESC(&p->tok));
  return irp_advance(p);
}

/* Text of a word or string token (unescaped), NUL-terminated in p->sbuf and
 * valid until the next call. *len excludes the terminator. */
static kn_status tok_text(parser *p, const ir_token *t, const char **out, size_t *len) {
  KN_TRY(irp_grow(p, (void **)&p->sbuf, &p->scap, t->len + 1, 1));
  size_t n;
  if (t->kind == IR_TK_STRING) n = ir_lex_unescape(t->start, t->len, p->sbuf);
  else {
    memcpy(p->sbuf, t->start, t->len);
    n = t->len;
  }
  p->sbuf[n] = 0;
  *out = p->sbuf;
  if (len) *len = n;
  return KN_OK;
}

/* A name (value, graph, symbol): a non-keyword word or a string without NUL bytes. */
static bool is_name_tok(const ir_token *t) {
  return t->kind == IR_TK_STRING || (t->kind == IR_TK_WORD && !ir_text_is_keyword(t->start, t->len));
}

kn_status irp_name_text(parser *p, const ir_token *t, const char **out) {
  size_t n;
  KN_TRY(tok_text(p, t, out, &n));
  if (strlen(*out) != n) return irp_err_at(p, t, KN_EPARSE, "names cannot contain NUL bytes");
  return KN_OK;
}

static kn_status expect_name(parser *p, const char *what, ir_token *out) {
  char descbuf[80];
  if (!is_name_tok(&p->tok)) return PERR("expected %s, got %s", what, DESC(&p->tok));
  *out = p->tok;
  return irp_advance(p);
}

/* ---- numbers ----
 * A number token is a literal word, `$name` or `$( ... )`. Literal words keep
 * their own conversions (strtof for floats: one rounding, so printed floats
 * read back bit for bit); expressions give an exact int64 or a double. */
static bool is_literal_tok(const ir_token *t) {
  return t->kind == IR_TK_WORD &&
         (ir_text_is_int_literal(t->start, t->len) || ir_text_is_float_literal(t->start, t->len));
}
static bool is_expr_tok(const ir_token *t) { return t->kind == IR_TK_REF || t->kind == IR_TK_EXPR; }
bool irp_is_number_tok(const ir_token *t) { return is_literal_tok(t) || is_expr_tok(t); }
static bool is_inf_literal(const char *s) { return strstr(s, "inf") != NULL; }

/* The position of byte `off` of an expression token's text. */
static ir_token pos_in(const ir_token *t, size_t off) {
  ir_token at = *t;
  for (size_t i = 0; i < off && i < t->len; i++) {
    if (t->start[i] == '\n') {
      at.line++;
      at.col = 1;
    } else at.col++;
  }
  return at;
}

kn_status irp_tok_num(parser *p, const ir_token *t, ir_num *out) {
  char descbuf[80];
  if (t->kind == IR_TK_REF) {
    if (!irp_lookup_num(p, t->start + 1, t->len - 1, out))
      return irp_err_at(p, t, KN_EPARSE, "undefined parameter %.*s", (int)(t->len > 64 ? 64 : t->len), t->start);
    return KN_OK;
  }
  if (t->kind == IR_TK_EXPR) {
    char msg[200];
    size_t off = 0;
    kn_status st = ir_expr_eval(t->start + 2, t->len - 3, irp_lookup_num, p, out, &off, msg, sizeof msg);
    if (st != KN_OK) {
      ir_token at = pos_in(t, off + 2);
      return irp_err_at(p, &at, st, "%s", msg);
    }
    return KN_OK;
  }
  if (!is_literal_tok(t)) return irp_err_at(p, t, KN_EPARSE, "expected a number, got %s", DESC(t));
  const char *s;
  KN_TRY(tok_text(p, t, &s, NULL));
  errno = 0;
  if (ir_text_is_int_literal(t->start, t->len)) {
    long long x = strtoll(s, NULL, 10);
    if (errno == ERANGE) return irp_err_at(p, t, KN_EPARSE, "integer %s is out of range", DESC(t));
    *out = (ir_num){.is_int = true, .i = x};
    return KN_OK;
  }
  double x = strtod(s, NULL);
  if (isinf(x) && !is_inf_literal(s)) return irp_err_at(p, t, KN_EPARSE, "number %s is out of range", DESC(t));
  *out = (ir_num){.f = x};
  return KN_OK;
}

kn_status irp_tok_int(parser *p, const ir_token *t, int64_t *v) {
  char descbuf[80];
  if (!(t->kind == IR_TK_WORD && ir_text_is_int_literal(t->start, t->len)) && !is_expr_tok(t))
    return irp_err_at(p, t, KN_EPARSE, "expected an integer, got %s", DESC(t));
  ir_num n;
  KN_TRY(irp_tok_num(p, t, &n));
  if (!n.is_int) return irp_err_at(p, t, KN_EPARSE, "expected an integer, got %s = %g", DESC(t), n.f);
  *v = n.i;
  return KN_OK;
}

static kn_status tok_u64(parser *p, const ir_token *t, uint64_t *v) {
  char descbuf[80];
  if (is_expr_tok(t)) {
    int64_t x;
    KN_TRY(irp_tok_int(p, t, &x));
    if (x < 0) return irp_err_at(p, t, KN_EPARSE, "expected an unsigned integer, got %s = %lld", DESC(t), (long long)x);
    *v = (uint64_t)x;
    return KN_OK;
  }
  const char *s;
  if (t->kind != IR_TK_WORD || !ir_text_is_int_literal(t->start, t->len) || t->start[0] == '-')
    return irp_err_at(p, t, KN_EPARSE, "expected an unsigned integer, got %s", DESC(t));
  KN_TRY(tok_text(p, t, &s, NULL));
  errno = 0;
  unsigned long long x = strtoull(s, NULL, 10);
  if (errno == ERANGE) return irp_err_at(p, t, KN_EPARSE, "integer %s is out of range", DESC(t));
  *v = x;
  return KN_OK;
}

static kn_status tok_double(parser *p, const ir_token *t, double *v) {
  char descbuf[80];
  if (is_expr_tok(t)) {
    ir_num n;
    KN_TRY(irp_tok_num(p, t, &n));
    *v = ir_num_f64(n);
    return KN_OK;
  }
  const char *s;
  if (!is_literal_tok(t)) return irp_err_at(p, t, KN_EPARSE, "expected a number, got %s", DESC(t));
  KN_TRY(tok_text(p, t, &s, NULL));
  double x = strtod(s, NULL);
  if (isinf(x) && !is_inf_literal(s)) return irp_err_at(p, t, KN_EPARSE, "number %s is out of range", DESC(t));
  *v = x;
  return KN_OK;
}

static kn_status tok_float(parser *p, const ir_token *t, float *v) {
  char descbuf[80];
  if (is_expr_tok(t)) {
    double d;
    KN_TRY(tok_double(p, t, &d));
    if (fabs(d) > FLT_MAX) return irp_err_at(p, t, KN_EPARSE, "number %s = %g is out of range for a float", DESC(t), d);
    *v = (float)d;
    return KN_OK;
  }
  const char *s;
  if (!is_literal_tok(t)) return irp_err_at(p, t, KN_EPARSE, "expected a number, got %s", DESC(t));
  KN_TRY(tok_text(p, t, &s, NULL));
  float x = strtof(s, NULL);
  if (isinf(x) && !is_inf_literal(s))
    return irp_err_at(p, t, KN_EPARSE, "number %s is out of range for a float", DESC(t));
  *v = x;
  return KN_OK;
}

/* ---- types ---- */
static int dtype_from_text(const char *s, size_t n) {
  for (int d = 1; d < KN_DTYPE_END; d++) { /* also str/c64/c128, valid in types */
    const char *nm = kn_dtype_short(d);
    if (strcmp(nm, "?") != 0 && strlen(nm) == n && memcmp(nm, s, n) == 0) return d;
  }
  return KN_UNDEF;
}

/* type := '?' | ('?' | dtype) '[' ('*' | dims) ']'
 * consts=true: numeric dims only and a known dtype (tensor data follows). */
static kn_status parse_type(parser *p, ir_graph *g, ir_type *t, bool consts) {
  char descbuf[80];
  memset(t, 0, sizeof *t);
  t->rank = IR_RANK_UNKNOWN;
  ir_token start = p->tok;
  if (p->tok.kind == IR_TK_QUEST) {
    if (consts) return PERR("a constant needs a known dtype");
    KN_TRY(irp_advance(p));
    if (p->tok.kind != IR_TK_LBRACK) return KN_OK;
  } else if (p->tok.kind == IR_TK_WORD) {
    t->dtype = dtype_from_text(p->tok.start, p->tok.len);
    if (t->dtype == KN_UNDEF) return PERR("unknown dtype %s", DESC(&p->tok));
    KN_TRY(irp_advance(p));
    if (p->tok.kind != IR_TK_LBRACK) return PERR("expected '[' after the dtype, got %s", DESC(&p->tok));
  } else return PERR("expected a type, got %s", DESC(&p->tok));
  KN_TRY(irp_advance(p)); /* '[' */
  if (p->tok.kind == IR_TK_STAR) {
    if (consts) return PERR("a constant needs a known shape, not [*]");
    KN_TRY(irp_advance(p));
    return irp_expect(p, IR_TK_RBRACK, "after '*'");
  }
  t->rank = 0;
  if (p->tok.kind == IR_TK_RBRACK) return irp_advance(p);
  for (;;) {
    if (t->rank >= KN_MAX_RANK)
      return irp_err_at(p, &p->tok, KN_ESHAPE, "more than %d dims in a type", KN_MAX_RANK);
    int64_t d;
    if ((p->tok.kind == IR_TK_WORD && ir_text_is_int_literal(p->tok.start, p->tok.len)) || is_expr_tok(&p->tok)) {
      KN_TRY(irp_tok_int(p, &p->tok, &d));
      if (d < 0) return irp_err_at(p, &p->tok, KN_ESHAPE, "negative dim %lld", (long long)d);
    } else if (p->tok.kind == IR_TK_QUEST || p->tok.kind == IR_TK_WORD || p->tok.kind == IR_TK_STRING) {
      if (consts) return PERR("constant dims must be numbers, got %s", DESC(&p->tok));
      const char *nm = NULL;
      if (p->tok.kind != IR_TK_QUEST) KN_TRY(irp_name_text(p, &p->tok, &nm));
      int32_t s = ir_sym_get(g, nm);
      if (s < 0) return kn_fail(p->ctx, KN_ENOMEM, "out of memory adding a symbol");
      d = IR_SYM(s);
    } else return PERR("expected a dim, got %s", DESC(&p->tok));
    t->dims[t->rank++] = d;
    KN_TRY(irp_advance(p));
    if (p->tok.kind == IR_TK_RBRACK) break;
    KN_TRY(irp_expect(p, IR_TK_COMMA, "between dims"));
  }
  KN_TRY(irp_advance(p)); /* ']' */
  int64_t n = 1;
  for (int i = 0; i < t->rank; i++) {
    int64_t d = t->dims[i] < 0 ? 1 : t->dims[i];
    if (d != 0 && n > INT64_MAX / d)
      return irp_err_at(p, &start, KN_ESHAPE, "type has more elements than fit in 64 bits");
    n *= d;
  }
  return KN_OK;
}

/* ---- tensor data ---- */
static kn_status store_literal(parser *p, kn_tensor *t, int64_t i, const ir_token *tk) {
  char descbuf[80];
  void *d = t->data;
  switch (t->dtype) {
  case KN_F32:
  case KN_F16:
  case KN_BF16: {
    float f;
    KN_TRY(tok_float(p, tk, &f));
    if (t->dtype == KN_F32) ((float *)d)[i] = f;
    else ((uint16_t *)d)[i] = t->dtype == KN_F16 ? kn_f32_to_f16(f) : kn_f32_to_bf16(f);
    return KN_OK;
  }
  case KN_F64: return tok_double(p, tk, &((double *)d)[i]);
  case KN_BOOL:
    if (is_expr_tok(tk)) {
      int64_t b;
      KN_TRY(irp_tok_int(p, tk, &b));
      if (b != 0 && b != 1) return irp_err_at(p, tk, KN_EPARSE, "expected 0 or 1 for a bool, got %lld", (long long)b);
      ((uint8_t *)d)[i] = (uint8_t)b;
    } else if (irp_tok_is(tk, "true") || irp_tok_is(tk, "1")) ((uint8_t *)d)[i] = 1;
    else if (irp_tok_is(tk, "false") || irp_tok_is(tk, "0")) ((uint8_t *)d)[i] = 0;
    else return irp_err_at(p, tk, KN_EPARSE, "expected true, false, 0 or 1, got %s", DESC(tk));
    return KN_OK;
  case KN_U64: return tok_u64(p, tk, &((uint64_t *)d)[i]);
  default: break;
  }
  int64_t v;
  KN_TRY(irp_tok_int(p, tk, &v));
  int64_t lo = INT64_MIN, hi = INT64_MAX;
  switch (t->dtype) {
  case KN_I8: lo = INT8_MIN, hi = INT8_MAX; break;
  case KN_U8: lo = 0, hi = UINT8_MAX; break;
  case KN_I16: lo = INT16_MIN, hi = INT16_MAX; break;
  case KN_U16: lo = 0, hi = UINT16_MAX; break;
  case KN_I32: lo = INT32_MIN, hi = INT32_MAX; break;
  case KN_U32: lo = 0, hi = UINT32_MAX; break;
  default: break;
  }
  if (v < lo || v > hi)
    return irp_err_at(p, tk, KN_EPARSE, "value %lld is out of range for %s", (long long)v, kn_dtype_short(t->dtype));
  switch (t->dtype) {
  case KN_I8: ((int8_t *)d)[i] = (int8_t)v; break;
  case KN_U8: ((uint8_t *)d)[i] = (uint8_t)v; break;
  case KN_I16: ((int16_t *)d)[i] = (int16_t)v; break;
  case KN_U16: ((uint16_t *)d)[i] = (uint16_t)v; break;
  case KN_I32: ((int32_t *)d)[i] = (int32_t)v; break;
  case KN_U32: ((uint32_t *)d)[i] = (uint32_t)v; break;
  case KN_I64: ((int64_t *)d)[i] = v; break;
  default: return irp_err_at(p, tk, KN_EUNSUPPORTED, "no literals for dtype %s", kn_dtype_short(t->dtype));
  }
  return KN_OK;
}

static void type_str(char *buf, size_t n, const ir_type *t) { ir_print_type(buf, n, NULL, t); }

/* normal(seed=1, std=0.02, mean=0) / uniform(seed=3, low=-1, high=1); without
 * a seed, the seed comes from the name of what is being initialized. */
static kn_status parse_seeded(parser *p, kn_tensor *t, bool normal, const char *seed_name) {
  char descbuf[80];
  const char *keys[] = {"seed", normal ? "std" : "low", normal ? "mean" : "high"};
  double vals[3] = {0, normal ? 1.0 : 0.0, normal ? 0.0 : 1.0};
  uint64_t seed = 0;
  bool seen[3] = {false, false, false};
  ir_token at = p->tok;
  KN_TRY(irp_advance(p));
  KN_TRY(irp_expect(p, IR_TK_LPAREN, normal ? "after normal" : "after uniform"));
  while (p->tok.kind != IR_TK_RPAREN) {
    int k = 0;
    while (k < 3 && !irp_at(p, keys[k])) k++;
    if (k == 3)
      return PERR("expected %s, %s or %s in %s(), got %s", keys[0], keys[1], keys[2], normal ? "normal" : "uniform",
                  DESC(&p->tok));
    if (seen[k]) return PERR("%s is given twice", keys[k]);
    seen[k] = true;
    KN_TRY(irp_advance(p));
    KN_TRY(irp_expect(p, IR_TK_EQ, "after the parameter name"));
    if (k == 0) KN_TRY(tok_u64(p, &p->tok, &seed));
    else KN_TRY(tok_double(p, &p->tok, &vals[k]));
    KN_TRY(irp_advance(p));
    if (p->tok.kind == IR_TK_COMMA) KN_TRY(irp_advance(p));
    else if (p->tok.kind != IR_TK_RPAREN) return PERR("expected ',' or ')', got %s", DESC(&p->tok));
  }
  KN_TRY(irp_advance(p));
  if (!seen[0] && seed_name) seed = ir_seed_from_name(seed_name, strlen(seed_name));
  if (normal && !(vals[1] >= 0)) return irp_err_at(p, &at, KN_EPARSE, "normal() needs std >= 0");
  if (!isfinite(vals[1]) || !isfinite(vals[2]))
    return irp_err_at(p, &at, KN_EPARSE, "%s() parameters must be finite", normal ? "normal" : "uniform");
  kn_status st = normal ? ir_init_normal(p->ctx, t, seed, vals[2], vals[1])
                        : ir_init_uniform(p->ctx, t, seed, vals[1], vals[2]);
  return located(p, &at, st);
}

static int hexdig(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static kn_status parse_init_data(parser *p, kn_tensor *t, const char *what, const char *seed_name) {
  char descbuf[80], tb[160];
  int64_t n = kn_tensor_numel(t);
  ir_type ty = {.dtype = t->dtype, .rank = t->rank};
  memcpy(ty.dims, t->dims, sizeof ty.dims);
  type_str(tb, sizeof tb, &ty);
  if (irp_at(p, "zeros")) return irp_advance(p);
  if (irp_at(p, "ones")) {
    for (int64_t i = 0; i < n; i++) kn_tensor_set_f64(t, i, 1.0);
    return irp_advance(p);
  }
  if (irp_at(p, "normal") || irp_at(p, "uniform")) return parse_seeded(p, t, irp_at(p, "normal"), seed_name);
  if (irp_at(p, "fill")) {
    KN_TRY(irp_advance(p));
    KN_TRY(irp_expect(p, IR_TK_LPAREN, "after fill"));
    if (n > 0) {
      KN_TRY(store_literal(p, t, 0, &p->tok));
      size_t es = kn_dtype_size(t->dtype);
      for (int64_t i = 1; i < n; i++) memcpy((char *)t->data + (size_t)i * es, t->data, es);
    } else {
      double dummy;
      KN_TRY(tok_double(p, &p->tok, &dummy));
    }
    KN_TRY(irp_advance(p));
    return irp_expect(p, IR_TK_RPAREN, "after the fill value");
  }
  if (irp_at(p, "hex")) {
    KN_TRY(irp_advance(p));
    if (p->tok.kind != IR_TK_STRING) return PERR("expected a string after hex, got %s", DESC(&p->tok));
    const ir_token *h = &p->tok;
    uint64_t want = (uint64_t)t->nbytes;
    if (h->len % 2 != 0 || h->len / 2 != want)
      return irp_err_at(p, h, KN_ESHAPE, "hex data of %s has %zu digits but %s needs %llu bytes (%llu digits)", what,
                     h->len, tb, (unsigned long long)want, (unsigned long long)want * 2);
    unsigned char *d = t->data;
    for (size_t i = 0; i < h->len; i += 2) {
      int a = hexdig((unsigned char)h->start[i]), b = hexdig((unsigned char)h->start[i + 1]);
      if (a < 0 || b < 0) {
        ir_token at = *h;
        at.col += (int)i + 1;
        return irp_err_at(p, &at, KN_EPARSE, "bad hex digit in the data of %s", what);
      }
      d[i / 2] = (unsigned char)(a * 16 + b);
    }
    return irp_advance(p);
  }
  if (irp_at(p, "elided")) return PERR("constant %s was printed without data", what);
  if (p->tok.kind != IR_TK_LBRACK)
    return PERR("expected the data of %s (a list, hex\"...\", zeros, ones, fill(), normal(), uniform()), got %s",
                what, DESC(&p->tok));
  ir_token open = p->tok;
  KN_TRY(irp_advance(p));
  int64_t i = 0;
  while (p->tok.kind != IR_TK_RBRACK) {
    if (i >= n)
      return irp_err_at(p, &p->tok, KN_ESHAPE, "too many values for %s: %s holds %lld", what, tb, (long long)n);
    KN_TRY(store_literal(p, t, i, &p->tok));
    i++;
    KN_TRY(irp_advance(p));
    if (p->tok.kind == IR_TK_COMMA) KN_TRY(irp_advance(p));
    else if (p->tok.kind != IR_TK_RBRACK) return PERR("expected ',' or ']' in a list, got %s", DESC(&p->tok));
  }
  if (i != n)
    return irp_err_at(p, &open, KN_ESHAPE, "%s has %lld values but %s needs %lld", what, (long long)i, tb, (long long)n);
  return irp_advance(p);
}

/* Allocates t from a concrete type and reads its data; frees t on error. All
 * the constants of one parse together stay within the memory limit too, or a
 * loop of big constants could take any amount of memory. */
static kn_status parse_init(parser *p, const ir_type *ty, const ir_token *at, const char *what,
                            const char *seed_name, kn_tensor *t) {
  /* refused before the bytes are allocated and seeded */
  int64_t ne = ir_type_numel(ty);
  uint64_t es = kn_dtype_size(ty->dtype);
  /* (a size that overflows is kn_tensor_alloc's shape error below) */
  if (ne >= 0 && es > 0 && (uint64_t)ne <= UINT64_MAX / es) {
    uint64_t want = (uint64_t)ne * es;
    if (want > p->ctx->mem_limit || p->const_bytes + want > p->ctx->mem_limit)
      return irp_err_at(p, at, KN_ELIMIT,
                        "%s: the constants would take %llu bytes with this one, more than the memory limit (%llu)",
                        what, (unsigned long long)(p->const_bytes + want), (unsigned long long)p->ctx->mem_limit);
  }
  kn_status st = kn_tensor_alloc(p->ctx, t, ty->dtype, ty->rank, ty->dims);
  if (st != KN_OK) {
    kn_prefix(p->ctx, "%s:%d:%d: %s: ", p->file, at->line, at->col, what);
    return st;
  }
  p->const_bytes += (uint64_t)t->nbytes;
  if (p->const_bytes > p->ctx->mem_limit) {
    kn_tensor_free(t);
    return irp_err_at(p, at, KN_ELIMIT, "%s: the constants so far take %llu bytes, more than the memory limit (%llu)",
                      what, (unsigned long long)p->const_bytes, (unsigned long long)p->ctx->mem_limit);
  }
  st = parse_init_data(p, t, what, seed_name);
  if (st != KN_OK) kn_tensor_free(t);
  return st;
}

/* ---- statements ---- */
static kn_status parse_graph(parser *p, ir_graph *parent, const char *attr_name, ir_graph **out);

/* ':' after a declared name; `x:f32[2]` lexes as the word x:f32, so say how to fix it. */
static kn_status expect_decl_colon(parser *p, const ir_token *nt, const char *what) {
  char descbuf[80];
  if (p->tok.kind == IR_TK_COLON) return irp_advance(p);
  bool glued = nt->kind == IR_TK_WORD && memchr(nt->start, ':', nt->len) && p->tok.kind == IR_TK_LBRACK;
  return PERR("expected ':' after the %s name, got %s%s", what, DESC(&p->tok),
              glued ? " (put a space after the colon: `x: f32[2]`)" : "");
}

/* The full (prefixed) name of nt, malloc'd: it names the seed of a seeded
 * initializer written without one. `suffix` (or NULL) is appended. */
static kn_status seed_name(parser *p, const ir_token *nt, const char *suffix, char **out) {
  const char *nm, *full;
  KN_TRY(irp_name_text(p, nt, &nm));
  KN_TRY(irp_full_name(p, nm, strlen(nm), &full));
  size_t n = strlen(full), m = suffix ? strlen(suffix) : 0;
  *out = malloc(n + m + 1);
  if (!*out) return kn_fail(p->ctx, KN_ENOMEM, "out of memory parsing IR text");
  memcpy(*out, full, n);
  if (m) memcpy(*out + n, suffix, m);
  (*out)[n + m] = 0;
  return KN_OK;
}

/* input NAME ':' TYPE ['=' DATA] */
static kn_status parse_input(parser *p, ir_graph *g) {
  ir_token nt;
  ir_type ty;
  ir_id v;
  KN_TRY(irp_advance(p));
  KN_TRY(expect_name(p, "an input name", &nt));
  KN_TRY(expect_decl_colon(p, &nt, "input"));
  ir_token tat = p->tok;
  KN_TRY(parse_type(p, g, &ty, false));
  if (p->tok.kind == IR_TK_EQ) { /* an input with a default value (ONNX initializer listed as input) */
    KN_TRY(irp_advance(p));
    if (!ir_type_is_concrete(&ty) || ty.dtype == KN_UNDEF)
      return irp_err_at(p, &tat, KN_EPARSE, "an input with a default value needs a numeric shape and a dtype");
    kn_tensor t;
    char *sn = NULL;
    KN_TRY(seed_name(p, &nt, NULL, &sn));
    kn_status st = parse_init(p, &ty, &tat, "the input default", sn, &t);
    free(sn);
    KN_TRY(st);
    KN_TRY(irp_define_value(p, g, &nt, NULL, &t, &v));
  } else KN_TRY(irp_define_value(p, g, &nt, &ty, NULL, &v));
  return ir_graph_add_input(g, v);
}

/* const NAME ':' TYPE '=' DATA */
static kn_status parse_const(parser *p, ir_graph *g) {
  ir_token nt;
  ir_type ty;
  ir_id v;
  char what[240];
  KN_TRY(irp_advance(p));
  KN_TRY(expect_name(p, "a constant name", &nt));
  snprintf(what, sizeof what, "%.*s", (int)(nt.len > 200 ? 200 : nt.len), nt.start);
  KN_TRY(expect_decl_colon(p, &nt, "constant"));
  ir_token tat = p->tok;
  KN_TRY(parse_type(p, g, &ty, true));
  KN_TRY(irp_expect(p, IR_TK_EQ, "before the constant's data"));
  kn_tensor t;
  char *sn = NULL;
  KN_TRY(seed_name(p, &nt, NULL, &sn));
  kn_status st = parse_init(p, &ty, &tat, what, sn, &t);
  free(sn);
  KN_TRY(st);
  return irp_define_value(p, g, &nt, NULL, &t, &v);
}

/* output NAME (',' NAME)* */
static kn_status parse_output(parser *p, ir_graph *g) {
  KN_TRY(irp_advance(p));
  for (;;) {
    ir_token nt;
    ir_id v;
    KN_TRY(expect_name(p, "an output name", &nt));
    KN_TRY(irp_resolve(p, g, &nt, &v));
    if (v == IR_NONE) return irp_err_at(p, &nt, KN_EPARSE, "output %.*s is an absent (_) macro argument",
                                        (int)(nt.len > 200 ? 200 : nt.len), nt.start);
    KN_TRY(ir_graph_add_output(g, v));
    if (p->tok.kind != IR_TK_COMMA) return KN_OK;
    KN_TRY(irp_advance(p));
  }
}

/* Whether a number token is an integer (list kinds are inferred from it). */
static kn_status num_is_int(parser *p, const ir_token *t, bool *is_int) {
  if (t->kind == IR_TK_WORD) {
    *is_int = ir_text_is_int_literal(t->start, t->len);
    return KN_OK;
  }
  ir_num n;
  KN_TRY(irp_tok_num(p, t, &n));
  *is_int = n.is_int;
  return KN_OK;
}

/* list attribute: '[' elems ']' or ints[...] floats[...] strings[...] */
static kn_status parse_list_attr(parser *p, ir_graph *g, ir_id nid, const char *aname, ir_attr_kind kind) {
  char descbuf[80];
  ir_token open = p->tok;
  KN_TRY(irp_advance(p));
  size_t base = p->ntoks;
  while (p->tok.kind != IR_TK_RBRACK) {
    if (p->tok.kind != IR_TK_STRING && !irp_is_number_tok(&p->tok))
      return PERR("expected a number or a string in a list, got %s", DESC(&p->tok));
    if (p->ntoks - base >= INT32_MAX) return irp_err_at(p, &p->tok, KN_ELIMIT, "list is too long");
    KN_TRY(push_tok(p, &p->tok));
    KN_TRY(irp_advance(p));
    if (p->tok.kind == IR_TK_COMMA) KN_TRY(irp_advance(p));
    else if (p->tok.kind != IR_TK_RBRACK) return PERR("expected ',' or ']' in a list, got %s", DESC(&p->tok));
  }
  KN_TRY(irp_advance(p));
  size_t n = p->ntoks - base;
  if (kind == 0) { /* infer from the elements */
    if (n == 0) return irp_err_at(p, &open, KN_EPARSE, "an empty list needs its kind: ints[], floats[] or strings[]");
    kind = p->toks[base].kind == IR_TK_STRING ? IR_ATTR_STRINGS : IR_ATTR_INTS;
    for (size_t i = 0; i < n; i++) {
      const ir_token *e = &p->toks[base + i];
      if ((e->kind == IR_TK_STRING) != (kind == IR_ATTR_STRINGS))
        return irp_err_at(p, e, KN_EPARSE, "a list cannot mix strings and numbers");
      bool is_int = true;
      if (kind != IR_ATTR_STRINGS) KN_TRY(num_is_int(p, e, &is_int));
      if (!is_int) kind = IR_ATTR_FLOATS;
    }
  }
  ir_node *nd = &g->nodes[nid];
  kn_status st = KN_OK;
  if (kind == IR_ATTR_INTS) {
    KN_TRY(irp_grow(p, (void **)&p->ibuf, &p->cap_i, n + 1, sizeof(int64_t)));
    for (size_t i = 0; i < n; i++) KN_TRY(irp_tok_int(p, &p->toks[base + i], &p->ibuf[i]));
    st = ir_attr_set_ints(g, nd, aname, p->ibuf, (int)n);
  } else if (kind == IR_ATTR_FLOATS) {
    KN_TRY(irp_grow(p, (void **)&p->fbuf, &p->cap_f, n + 1, sizeof(float)));
    for (size_t i = 0; i < n; i++) KN_TRY(tok_float(p, &p->toks[base + i], &p->fbuf[i]));
    st = ir_attr_set_floats(g, nd, aname, p->fbuf, (int)n);
  } else {
    for (size_t i = 0; i < n; i++)
      if (p->toks[base + i].kind != IR_TK_STRING)
        return irp_err_at(p, &p->toks[base + i], KN_EPARSE, "expected a string in strings[...]");
    ir_attr *a = ir_attr_add(g, nd, aname, IR_ATTR_STRINGS);
    if (!a || !(a->strings = ir_arena_alloc(&g->arena, sizeof(char *) * (n + 1))))
      return kn_fail(p->ctx, KN_ENOMEM, "out of memory setting an attribute");
    for (size_t i = 0; i < n; i++) {
      const char *s;
      size_t len;
      KN_TRY(tok_text(p, &p->toks[base + i], &s, &len));
      if (strlen(s) != len)
        return irp_err_at(p, &p->toks[base + i], KN_EPARSE, "strings in a list cannot contain NUL bytes");
      if (!(a->strings[i] = ir_arena_strndup(&g->arena, s, len)))
        return kn_fail(p->ctx, KN_ENOMEM, "out of memory setting an attribute");
    }
    a->n = (int32_t)n;
  }
  p->ntoks = base;
  return st;
}

/* The seed name of a tensor attribute: its node's first output, '.', the
 * attribute's name. */
static kn_status attr_seed_name(parser *p, size_t base, int nout, const char *aname, char **out) {
  char suffix[256];
  for (int i = 0; i < nout; i++)
    if (!irp_tok_is(&p->toks[base + i], "_")) {
      snprintf(suffix, sizeof suffix, ".%.250s", aname);
      return seed_name(p, &p->toks[base + i], suffix, out);
    }
  ir_token t = {.kind = IR_TK_WORD, .start = aname, .len = strlen(aname)};
  return seed_name(p, &t, NULL, out);
}

static kn_status parse_attr_value(parser *p, ir_graph *g, ir_id nid, const char *aname, size_t base, int nout) {
  char descbuf[80];
  ir_token at = p->tok;
  if (irp_at(p, "graph")) {
    ir_graph *sub = NULL;
    KN_TRY(parse_graph(p, g, aname, &sub));
    return ir_attr_set_graph(g, &g->nodes[nid], aname, sub);
  }
  if (irp_at(p, "tensor")) {
    ir_type ty;
    kn_tensor t;
    char what[240];
    snprintf(what, sizeof what, "attribute %.200s", aname);
    KN_TRY(irp_advance(p));
    ir_token tat = p->tok;
    KN_TRY(parse_type(p, g, &ty, true));
    KN_TRY(irp_expect(p, IR_TK_EQ, "before the tensor's data"));
    char *sn = NULL;
    KN_TRY(attr_seed_name(p, base, nout, aname, &sn));
    kn_status st = parse_init(p, &ty, &tat, what, sn, &t);
    free(sn);
    KN_TRY(st);
    st = ir_attr_set_tensor(g, &g->nodes[nid], aname, &t);
    if (st != KN_OK) kn_tensor_free(&t);
    return st;
  }
  if (irp_at(p, "ints") || irp_at(p, "floats") || irp_at(p, "strings")) {
    ir_attr_kind k = irp_at(p, "ints") ? IR_ATTR_INTS : irp_at(p, "floats") ? IR_ATTR_FLOATS : IR_ATTR_STRINGS;
    KN_TRY(irp_advance(p));
    if (p->tok.kind != IR_TK_LBRACK) return PERR("expected '[' after %s, got %s", DESC(&at), DESC(&p->tok));
    return parse_list_attr(p, g, nid, aname, k);
  }
  if (p->tok.kind == IR_TK_LBRACK) return parse_list_attr(p, g, nid, aname, 0);
  if (p->tok.kind == IR_TK_STRING) {
    const char *s;
    size_t len;
    KN_TRY(tok_text(p, &p->tok, &s, &len));
    if (len > INT32_MAX) return PERR("string is too long");
    KN_TRY(ir_attr_set_string(g, &g->nodes[nid], aname, s, len));
    return irp_advance(p);
  }
  bool is_int = false;
  if (irp_is_number_tok(&p->tok)) KN_TRY(num_is_int(p, &p->tok, &is_int));
  if (is_int) {
    int64_t v;
    KN_TRY(irp_tok_int(p, &p->tok, &v));
    KN_TRY(ir_attr_set_int(g, &g->nodes[nid], aname, v));
    return irp_advance(p);
  }
  if (irp_is_number_tok(&p->tok)) {
    float f;
    KN_TRY(tok_float(p, &p->tok, &f));
    KN_TRY(ir_attr_set_float(g, &g->nodes[nid], aname, f));
    return irp_advance(p);
  }
  return PERR("expected an attribute value, got %s", DESC(&p->tok));
}

/* '{' [NAME '=' VALUE (',' NAME '=' VALUE)*] '}' */
static kn_status parse_attrs(parser *p, ir_graph *g, ir_id nid, size_t base, int nout) {
  char descbuf[80];
  KN_TRY(irp_advance(p));
  while (p->tok.kind != IR_TK_RBRACE) {
    if (p->tok.kind != IR_TK_WORD && p->tok.kind != IR_TK_STRING)
      return PERR("expected an attribute name, got %s", DESC(&p->tok));
    const char *nm;
    KN_TRY(irp_name_text(p, &p->tok, &nm));
    if (ir_attr_get(&g->nodes[nid], nm)) return PERR("attribute %.200s is given twice", nm);
    char *aname = ir_arena_strdup(&g->arena, nm);
    if (!aname) return kn_fail(p->ctx, KN_ENOMEM, "out of memory");
    KN_TRY(irp_advance(p));
    KN_TRY(irp_expect(p, IR_TK_EQ, "after the attribute name"));
    KN_TRY(parse_attr_value(p, g, nid, aname, base, nout));
    if (p->tok.kind == IR_TK_COMMA) KN_TRY(irp_advance(p));
    else if (p->tok.kind != IR_TK_RBRACE) return PERR("expected ',' or '}' after an attribute, got %s", DESC(&p->tok));
  }
  return irp_advance(p);
}

/* OUTS '=' Op '(' ARGS ')' ['{' ATTRS '}'] [':' TYPES] */
static kn_status parse_node(parser *p, ir_graph *g) {
  char descbuf[80];
  size_t base = p->ntoks;
  if (p->tok.kind != IR_TK_EQ)
    for (;;) {
      if (!is_name_tok(&p->tok) && !irp_at(p, "_"))
        return PERR("expected a statement (input, const, output, for or OUTPUTS = Op(...)), got %s", DESC(&p->tok));
      if (p->ntoks - base >= KN_VARIADIC) return PERR("too many outputs");
      KN_TRY(push_tok(p, &p->tok));
      KN_TRY(irp_advance(p));
      if (p->tok.kind != IR_TK_COMMA) break;
      KN_TRY(irp_advance(p));
    }
  int nout = (int)(p->ntoks - base);
  KN_TRY(irp_expect(p, IR_TK_EQ, "after the output names"));
  if (p->tok.kind != IR_TK_WORD) return PERR("expected an op name, got %s", DESC(&p->tok));
  ir_token optok = p->tok;
  char opname[64];
  int op = -1;
  if (optok.len < sizeof opname) {
    memcpy(opname, optok.start, optok.len);
    opname[optok.len] = 0;
    op = ir_op_from_name(opname);
  }
  if (op < 0 && irp_find_macro(p, optok.start, optok.len)) {
    KN_TRY(irp_expand_macro(p, g, base, nout));
    p->ntoks = base;
    return KN_OK;
  }
  if (op < 0) return PERR("unknown op %s", DESC(&optok));
  const ir_op_info *info = &ir_op_table[op];
  KN_TRY(irp_advance(p));
  KN_TRY(irp_expect(p, IR_TK_LPAREN, "after the op name"));
  size_t nin = 0;
  while (p->tok.kind != IR_TK_RPAREN) {
    if ((int)nin >= info->max_in)
      return PERR("%s takes at most %d inputs", info->name, info->max_in);
    KN_TRY(irp_grow(p, (void **)&p->ids, &p->cap_ids, nin + 1, sizeof(ir_id)));
    if (irp_at(p, "_")) p->ids[nin] = IR_NONE;
    else if (is_name_tok(&p->tok)) KN_TRY(irp_resolve(p, g, &p->tok, &p->ids[nin]));
    else return PERR("expected an input name or _, got %s", DESC(&p->tok));
    nin++;
    KN_TRY(irp_advance(p));
    if (p->tok.kind == IR_TK_COMMA) KN_TRY(irp_advance(p));
    else if (p->tok.kind != IR_TK_RPAREN) return PERR("expected ',' or ')' after an input, got %s", DESC(&p->tok));
  }
  if ((int)nin < info->min_in)
    return PERR("%s needs at least %d inputs, got %d", info->name, info->min_in, (int)nin);
  if (nout < info->min_out || nout > info->max_out)
    return irp_err_at(p, &optok, KN_EPARSE, "%s has %d to %d outputs, got %d", info->name, info->min_out,
                   info->max_out, nout);
  KN_TRY(irp_advance(p));
  ir_id nid = ir_node_new(g, (ir_op)op, NULL, (int)nin, p->ids, nout, NULL);
  if (nid == IR_NONE) return kn_fail(p->ctx, KN_ENOMEM, "out of memory adding a node");
  if (p->tok.kind == IR_TK_LBRACE) KN_TRY(parse_attrs(p, g, nid, base, nout));
  bool typed = false;
  if (p->tok.kind == IR_TK_COLON) {
    typed = true;
    KN_TRY(irp_advance(p));
    KN_TRY(irp_grow(p, (void **)&p->types, &p->cap_types, (size_t)nout + 1, sizeof(ir_type)));
    for (int i = 0; i < nout; i++) {
      if (i) KN_TRY(irp_expect(p, IR_TK_COMMA, "between output types"));
      if (irp_tok_is(&p->toks[base + i], "_")) {
        if (!irp_at(p, "_") && p->tok.kind != IR_TK_QUEST)
          return PERR("expected _ as the type of an absent output, got %s", DESC(&p->tok));
        KN_TRY(irp_advance(p));
      } else KN_TRY(parse_type(p, g, &p->types[i], false));
    }
  }
  for (int i = 0; i < nout; i++) {
    const ir_token *nt = &p->toks[base + i];
    if (irp_tok_is(nt, "_")) continue;
    ir_id v;
    KN_TRY(irp_define_value(p, g, nt, typed ? &p->types[i] : NULL, NULL, &v));
    g->nodes[nid].out[i] = v;
    g->values[v].producer = nid;
  }
  p->ntoks = base;
  return KN_OK;
}

kn_status irp_parse_stmts(parser *p, ir_graph *g, irp_body kind) {
  char descbuf[80];
  bool expanding = p->macro_depth > 0 || p->loop_depth > 0;
  for (;;) {
    if (p->tok.kind == IR_TK_RBRACE) {
      if (kind == IRP_BODY_MACRO) return PERR("a macro body ends with `return NAME, ...`");
      return irp_advance(p);
    }
    if (p->tok.kind == IR_TK_EOF) {
      if (kind == IRP_BODY_GRAPH) return PERR("unexpected end of input: missing '}' of graph %.200s", g->name);
      return PERR("unexpected end of input: missing '}' of a %s", kind == IRP_BODY_LOOP ? "for loop" : "macro");
    }
    if (expanding) KN_TRY(irp_count_expansion(p, &p->tok));
    if (p->tok.kind == IR_TK_SEMI) KN_TRY(irp_advance(p));
    else if (irp_at(p, "return")) {
      if (kind == IRP_BODY_MACRO) return KN_OK;
      return PERR("return may only end a macro body (not inside a loop or graph)");
    } else if (irp_at(p, "for")) KN_TRY(irp_parse_for(p, g));
    else if ((irp_at(p, "input") || irp_at(p, "output")) && irp_in_macro_body(p))
      return PERR("%s statements are not allowed in a macro body", irp_at(p, "input") ? "input" : "output");
    else if (irp_at(p, "input")) KN_TRY(parse_input(p, g));
    else if (irp_at(p, "const")) KN_TRY(parse_const(p, g));
    else if (irp_at(p, "output")) KN_TRY(parse_output(p, g));
    else if (p->tok.kind == IR_TK_WORD && ir_text_is_keyword(p->tok.start, p->tok.len) && !irp_at(p, "_"))
      return PERR("unexpected keyword %s at the start of a statement", DESC(&p->tok));
    else KN_TRY(parse_node(p, g));
  }
}

kn_status irp_skip_body(parser *p, const char *what) {
  for (int depth = 1;;) {
    if (p->tok.kind == IR_TK_EOF) return PERR("unexpected end of input: missing '}' of %s", what);
    if (p->tok.kind == IR_TK_LBRACE) depth++;
    else if (p->tok.kind == IR_TK_RBRACE && --depth == 0) return irp_advance(p);
    KN_TRY(irp_advance(p));
  }
}

/* 'graph' [NAME] ['opset' INT] '{' BODY '}' */
static kn_status parse_graph(parser *p, ir_graph *parent, const char *attr_name, ir_graph **out) {
  char descbuf[80];
  *out = NULL;
  if (p->depth >= IRP_MAX_GRAPH_DEPTH)
    return irp_err_at(p, &p->tok, KN_ELIMIT, "graphs are nested deeper than %d levels", IRP_MAX_GRAPH_DEPTH);
  KN_TRY(irp_advance(p));
  const char *nm = NULL;
  if (is_name_tok(&p->tok)) {
    KN_TRY(irp_name_text(p, &p->tok, &nm));
    KN_TRY(irp_advance(p)); /* the lexer does not touch p->sbuf */
  }
  ir_graph *g = parent ? ir_subgraph_new(parent, nm ? nm : attr_name) : ir_graph_new(p->ctx, nm);
  if (!g) return kn_fail(p->ctx, KN_ENOMEM, "out of memory creating a graph");
  kn_status st = KN_OK;
  if (parent) g->opset = parent->opset;
  if (irp_at(p, "opset")) {
    int64_t v = 0;
    st = irp_advance(p);
    if (st == KN_OK) st = irp_tok_int(p, &p->tok, &v);
    if (st == KN_OK && (v < 1 || v > INT32_MAX)) st = PERR("opset %lld is out of range", (long long)v);
    if (st == KN_OK) {
      g->opset = (int32_t)v;
      st = irp_advance(p);
    }
  }
  if (st == KN_OK && p->tok.kind != IR_TK_LBRACE)
    st = PERR("expected '{' to open graph %.200s, got %s", g->name, DESC(&p->tok));
  if (st == KN_OK) st = irp_scope_push(p, IRP_FRAME_GRAPH, NULL, 0);
  if (st == KN_OK) {
    p->depth++;
    st = irp_advance(p);
    if (st == KN_OK) st = irp_parse_stmts(p, g, IRP_BODY_GRAPH);
    p->depth--;
    irp_scope_pop(p);
  }
  if (st != KN_OK) {
    ir_graph_free(g);
    return st;
  }
  *out = g;
  return KN_OK;
}

static void parser_free(parser *p) {
  free(p->sbuf);
  free(p->nbuf);
  free(p->toks);
  free(p->ids);
  free(p->types);
  free(p->ibuf);
  free(p->fbuf);
  free(p->params);
  free(p->centries);
  free(p->macros);
  irp_scope_free(&p->scope);
}

/* A file is params, configs and macros in any order, then one graph. The
 * declarations come first so that the graph is parsed in one pass with every
 * param known (a graph body is never lexed twice, which matters for printed
 * models with hundreds of MB of hex data). */
kn_status ir_parse_ex(kn_ctx *ctx, const char *text, const char *filename, const ir_parse_opts *opts,
                      ir_graph **out) {
  char descbuf[80];
  if (out) *out = NULL;
  if (!out) return kn_fail(ctx, KN_EINVAL, "ir_parse: no output pointer");
  parser pp = {.ctx = ctx, .file = filename ? filename : "<input>", .opts = opts}, *p = &pp;
  p->max_expand = opts && opts->max_expand > 0 ? opts->max_expand : IRP_DEFAULT_MAX_EXPAND;
  ir_lex_init(&p->lx, text);
  ir_graph *g = NULL;
  kn_status st = irp_advance(p);
  while (st == KN_OK && p->tok.kind != IR_TK_EOF) {
    bool decl = irp_at(p, "param") || irp_at(p, "config") || irp_at(p, "macro");
    if (p->tok.kind == IR_TK_SEMI) st = irp_advance(p);
    else if (irp_at(p, "graph")) {
      if (g) st = PERR("only one graph per file (graph %.200s is already defined)", g->name);
      else {
        st = irp_eval_params(p);
        if (st == KN_OK) st = parse_graph(p, NULL, NULL, &g);
      }
    } else if (decl && g) st = PERR("%s declarations must come before the graph", DESC(&p->tok));
    else if (decl) st = irp_parse_decl(p);
    else st = PERR("expected 'graph' (or param, config, macro) at the top level, got %s", DESC(&p->tok));
  }
  if (st == KN_OK && !g) st = PERR("no graph in the input");
  parser_free(p);
  if (st != KN_OK) {
    ir_graph_free(g);
    return st;
  }
  *out = g;
  return KN_OK;
}

kn_status ir_parse(kn_ctx *ctx, const char *text, const char *filename, ir_graph **out) {
  return ir_parse_ex(ctx, text, filename, NULL, out);
}
