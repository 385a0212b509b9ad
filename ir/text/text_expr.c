/* text_expr.c: the numeric expressions of the IR text form, `$name` and
 * `$( ... )` (docs/ir.md, "Parameters and expressions"). The lexer hands the
 * text between the parentheses over as one token, so the expression has its
 * own tokenization here: in the rest of the text `/`, `+`, `-` are word
 * characters, inside an expression they are operators.
 *
 * Values are exact 64-bit integers or IEEE doubles (ir_num). Integer
 * arithmetic is checked: overflow, division by zero and a non-finite float
 * result are errors, never undefined behaviour, because expressions come from
 * files that may be hostile. The evaluator recurses only through parentheses,
 * unary signs and function arguments, and that depth is bounded. */
#include "text_lex.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_EXPR_DEPTH = 64 };

typedef struct ev {
  const char *s;
  size_t n, i;
  ir_expr_lookup_fn lookup;
  void *env;
  int depth;
  kn_status st;
  size_t err_off;
  char *err;
  size_t errn;
} ev;

double ir_num_f64(ir_num v) { return v.is_int ? (double)v.i : v.f; }

static ir_num num_int(int64_t i) { return (ir_num){.is_int = true, .i = i}; }
static ir_num num_float(double f) { return (ir_num){.is_int = false, .f = f}; }

static bool fail_at(ev *e, size_t off, kn_status st, const char *fmt, ...) KN_PRINTF(4, 5);
static bool fail_at(ev *e, size_t off, kn_status st, const char *fmt, ...) {
  if (e->st != KN_OK) return false;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e->err, e->errn, fmt, ap);
  va_end(ap);
  e->st = st;
  e->err_off = off;
  return false;
}

static void skip_ws(ev *e) {
  while (e->i < e->n && (e->s[e->i] == ' ' || e->s[e->i] == '\t' || e->s[e->i] == '\n' || e->s[e->i] == '\r'))
    e->i++;
}

static bool is_ident_start(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static bool is_ident_char(int c) { return is_ident_start(c) || (c >= '0' && c <= '9'); }
static bool is_digit(int c) { return c >= '0' && c <= '9'; }

/* Consumes the operator `op` (one or two characters) if it comes next. */
static bool take(ev *e, const char *op) {
  skip_ws(e);
  size_t k = strlen(op);
  if (e->i + k > e->n || memcmp(e->s + e->i, op, k) != 0) return false;
  /* `<` must not eat the first half of `<=`; same for the other pairs */
  if (k == 1 && e->i + 1 < e->n && e->s[e->i + 1] == '=' && strchr("<>=!", op[0])) return false;
  e->i += k;
  return true;
}

static bool finite_or_fail(ev *e, size_t off, double f, ir_num *out) {
  if (!isfinite(f)) return fail_at(e, off, KN_EPARSE, "the result is not a finite number");
  *out = num_float(f);
  return true;
}

static bool parse_expr(ev *e, ir_num *out);

static bool number(ev *e, ir_num *out) {
  size_t st = e->i;
  bool is_float = false;
  while (e->i < e->n && is_digit(e->s[e->i])) e->i++;
  if (e->i < e->n && e->s[e->i] == '.') {
    is_float = true;
    e->i++;
    while (e->i < e->n && is_digit(e->s[e->i])) e->i++;
  }
  if (e->i < e->n && (e->s[e->i] == 'e' || e->s[e->i] == 'E')) {
    size_t j = e->i + 1;
    if (j < e->n && (e->s[j] == '+' || e->s[j] == '-')) j++;
    if (j < e->n && is_digit(e->s[j])) {
      is_float = true;
      e->i = j;
      while (e->i < e->n && is_digit(e->s[e->i])) e->i++;
    }
  }
  char buf[64];
  size_t len = e->i - st;
  if (len >= sizeof buf) return fail_at(e, st, KN_EPARSE, "number is too long");
  memcpy(buf, e->s + st, len);
  buf[len] = 0;
  if (is_float) return finite_or_fail(e, st, strtod(buf, NULL), out);
  int64_t v = 0;
  for (size_t k = 0; k < len; k++)
    if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, buf[k] - '0', &v))
      return fail_at(e, st, KN_EPARSE, "integer %s is out of range", buf);
  *out = num_int(v);
  return true;
}

/* min(a, b, ...), max(...), pick(i, v0, v1, ...), pow(a, n), abs(x), sqrt(x),
 * int(x), float(x). No libm function whose last bit varies between C
 * libraries: sqrt is exactly rounded, pow is integer-only. */
static bool call(ev *e, const char *name, size_t len, size_t at, ir_num *out) {
  ir_num args[16];
  int nargs = 0;
  skip_ws(e);
  e->i++; /* '(' */
  for (;;) {
    if (nargs == (int)(sizeof args / sizeof args[0])) return fail_at(e, e->i, KN_EPARSE, "too many arguments");
    if (!parse_expr(e, &args[nargs++])) return false;
    if (take(e, ",")) continue;
    if (take(e, ")")) break;
    return fail_at(e, e->i, KN_EPARSE, "expected ',' or ')' in the arguments of %.*s", (int)len, name);
  }
#define IS(w) (len == strlen(w) && memcmp(name, w, len) == 0)
  if (IS("min") || IS("max")) {
    bool mx = IS("max"), all_int = true;
    for (int k = 0; k < nargs; k++) all_int &= args[k].is_int;
    ir_num best = args[0];
    for (int k = 1; k < nargs; k++) {
      bool better = all_int ? (mx ? args[k].i > best.i : args[k].i < best.i)
                            : (mx ? ir_num_f64(args[k]) > ir_num_f64(best) : ir_num_f64(args[k]) < ir_num_f64(best));
      if (better) best = args[k];
    }
    *out = all_int ? best : num_float(ir_num_f64(best));
    return true;
  }
  if (IS("pick")) { /* the i-th of the values after i: per-stage lists such as depths */
    if (!args[0].is_int || args[0].i < 0 || args[0].i >= nargs - 1)
      return fail_at(e, at, KN_EPARSE, "pick(i, ...) needs an integer i from 0 to %d", nargs - 2);
    *out = args[1 + args[0].i];
    return true;
  }
  if (IS("pow")) {
    if (nargs != 2 || !args[0].is_int || !args[1].is_int || args[1].i < 0)
      return fail_at(e, at, KN_EPARSE, "pow(a, n) needs two integers, n >= 0");
    int64_t b = args[0].i, n = args[1].i, r = 1;
    if (b == 0 || b == 1 || b == -1) r = n == 0 ? 1 : b == -1 && n % 2 == 0 ? 1 : b;
    else /* |b| >= 2 overflows within 63 steps */
      for (int64_t k = 0; k < n; k++)
        if (__builtin_mul_overflow(r, b, &r)) return fail_at(e, at, KN_EPARSE, "integer overflow in pow");
    *out = num_int(r);
    return true;
  }
  if (nargs != 1) return fail_at(e, at, KN_EPARSE, "%.*s takes one argument, got %d", (int)len, name, nargs);
  if (IS("abs")) {
    if (!args[0].is_int) *out = num_float(args[0].f < 0 ? -args[0].f : args[0].f);
    else if (args[0].i == INT64_MIN) return fail_at(e, at, KN_EPARSE, "integer overflow");
    else *out = num_int(args[0].i < 0 ? -args[0].i : args[0].i);
    return true;
  }
  double x = ir_num_f64(args[0]);
  if (IS("sqrt")) {
    if (x < 0) return fail_at(e, at, KN_EPARSE, "sqrt of a negative number");
    *out = num_float(sqrt(x));
    return true;
  }
  if (IS("float")) {
    *out = num_float(x);
    return true;
  }
  if (IS("int")) {
    if (args[0].is_int) *out = args[0];
    else if (!(x > -9223372036854775808.0 && x < 9223372036854775808.0))
      return fail_at(e, at, KN_EPARSE, "int() of %g is out of range", x);
    else *out = num_int((int64_t)x); /* truncates toward zero */
    return true;
  }
#undef IS
  return fail_at(e, at, KN_EPARSE, "unknown function %.*s (have min, max, pick, pow, abs, sqrt, int, float)",
                 (int)len, name);
}

static bool atom(ev *e, ir_num *out) {
  skip_ws(e);
  size_t at = e->i;
  if (e->i >= e->n) return fail_at(e, at, KN_EPARSE, "expected a number, a name or '('");
  char c = e->s[e->i];
  if (c == '(') {
    e->i++;
    if (!parse_expr(e, out)) return false;
    if (!take(e, ")")) return fail_at(e, e->i, KN_EPARSE, "expected ')'");
    return true;
  }
  if (is_digit(c) || (c == '.' && e->i + 1 < e->n && is_digit(e->s[e->i + 1]))) return number(e, out);
  if (c == '$') e->i++; /* `$name` inside $( ) means the same as `name` */
  if (e->i < e->n && is_ident_start(e->s[e->i])) {
    size_t st = e->i;
    while (e->i < e->n && is_ident_char(e->s[e->i])) e->i++;
    size_t len = e->i - st;
    skip_ws(e);
    if (e->i < e->n && e->s[e->i] == '(') return call(e, e->s + st, len, at, out);
    if (!e->lookup(e->env, e->s + st, len, out))
      return fail_at(e, st, KN_EPARSE, "undefined parameter $%.*s", (int)(len > 64 ? 64 : len), e->s + st);
    return true;
  }
  return fail_at(e, at, KN_EPARSE, "unexpected character '%c' in an expression", c > 32 && c < 127 ? c : '?');
}

static bool unary(ev *e, ir_num *out) {
  skip_ws(e);
  size_t at = e->i;
  if (take(e, "-") || take(e, "+")) {
    bool neg = e->s[at] == '-';
    if (++e->depth > MAX_EXPR_DEPTH) return fail_at(e, at, KN_ELIMIT, "expression nests too deeply");
    bool ok = unary(e, out);
    e->depth--;
    if (!ok || !neg) return ok;
    if (!out->is_int) out->f = -out->f;
    else if (out->i == INT64_MIN) return fail_at(e, at, KN_EPARSE, "integer overflow");
    else out->i = -out->i;
    return true;
  }
  if (++e->depth > MAX_EXPR_DEPTH) return fail_at(e, at, KN_ELIMIT, "expression nests too deeply");
  bool ok = atom(e, out);
  e->depth--;
  return ok;
}

/* a OP b; ints stay exact (checked), anything with a float is double */
static bool binop(ev *e, char op, size_t at, ir_num a, ir_num b, ir_num *out) {
  if (a.is_int && b.is_int) {
    int64_t r = 0;
    bool ovf = false;
    switch (op) {
    case '+': ovf = __builtin_add_overflow(a.i, b.i, &r); break;
    case '-': ovf = __builtin_sub_overflow(a.i, b.i, &r); break;
    case '*': ovf = __builtin_mul_overflow(a.i, b.i, &r); break;
    case '/':
    case '%':
      if (b.i == 0) return fail_at(e, at, KN_EPARSE, "division by zero");
      if (a.i == INT64_MIN && b.i == -1) ovf = true;
      else r = op == '/' ? a.i / b.i : a.i % b.i;
      break;
    default: break;
    }
    if (ovf) return fail_at(e, at, KN_EPARSE, "integer overflow");
    *out = num_int(r);
    return true;
  }
  double x = ir_num_f64(a), y = ir_num_f64(b);
  switch (op) {
  case '+': return finite_or_fail(e, at, x + y, out);
  case '-': return finite_or_fail(e, at, x - y, out);
  case '*': return finite_or_fail(e, at, x * y, out);
  case '/':
    if (y == 0) return fail_at(e, at, KN_EPARSE, "division by zero");
    return finite_or_fail(e, at, x / y, out);
  default: return fail_at(e, at, KN_EPARSE, "%% needs integers");
  }
}

static bool term(ev *e, ir_num *out) {
  if (!unary(e, out)) return false;
  for (;;) {
    skip_ws(e);
    size_t at = e->i;
    char op = take(e, "*") ? '*' : take(e, "/") ? '/' : take(e, "%") ? '%' : 0;
    if (!op) return true;
    ir_num b;
    if (!unary(e, &b) || !binop(e, op, at, *out, b, out)) return false;
  }
}

static bool sum(ev *e, ir_num *out) {
  if (!term(e, out)) return false;
  for (;;) {
    skip_ws(e);
    size_t at = e->i;
    char op = take(e, "+") ? '+' : take(e, "-") ? '-' : 0;
    if (!op) return true;
    ir_num b;
    if (!term(e, &b) || !binop(e, op, at, *out, b, out)) return false;
  }
}

/* a < b etc.: 1 or 0, so a comparison can be a loop count (0 or 1 times) */
static bool parse_expr(ev *e, ir_num *out) {
  if (!sum(e, out)) return false;
  static const char *const ops[] = {"<=", ">=", "==", "!=", "<", ">"};
  skip_ws(e);
  for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++)
    if (take(e, ops[k])) {
      ir_num b;
      if (!sum(e, &b)) return false;
      int c;
      if (out->is_int && b.is_int) c = out->i < b.i ? -1 : out->i > b.i;
      else {
        double x = ir_num_f64(*out), y = ir_num_f64(b);
        c = x < y ? -1 : x > y;
      }
      bool r = k == 0 ? c <= 0 : k == 1 ? c >= 0 : k == 2 ? c == 0 : k == 3 ? c != 0 : k == 4 ? c < 0 : c > 0;
      *out = num_int(r);
      return true;
    }
  return true;
}

kn_status ir_expr_eval(const char *s, size_t n, ir_expr_lookup_fn lookup, void *env, ir_num *out, size_t *err_off,
                       char *err, size_t errn) {
  ev e = {.s = s, .n = n, .lookup = lookup, .env = env, .err = err, .errn = errn};
  if (errn) err[0] = 0;
  if (parse_expr(&e, out)) {
    skip_ws(&e);
    if (e.i < e.n) fail_at(&e, e.i, KN_EPARSE, "unexpected '%c' in an expression", e.s[e.i] > 32 && e.s[e.i] < 127 ? e.s[e.i] : '?');
  }
  if (e.st != KN_OK && err_off) *err_off = e.err_off;
  return e.st;
}
