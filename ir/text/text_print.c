/* text_print.c: writes a graph in kiln's canonical text form (docs/ir.md).
 * The output is canonical so tests can compare strings: inputs first, then
 * constants in value order, then live nodes in schedule order, then outputs.
 * Float data prints as exact little-endian hex so parse(print(g)) is bit-exact;
 * names print bare when the lexer reads them back as one word, else quoted. */
#include "text_lex.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct sbuf {
  char *s;
  size_t len, cap;
  bool oom;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n) {
  if (b->oom) return;
  if (b->len + n + 1 > b->cap) {
    size_t nc = b->cap ? b->cap : 4096;
    while (nc < b->len + n + 1) {
      if (nc > SIZE_MAX / 2) {
        b->oom = true;
        return;
      }
      nc *= 2;
    }
    char *p = realloc(b->s, nc);
    if (!p) {
      b->oom = true;
      return;
    }
    b->s = p;
    b->cap = nc;
  }
  memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = 0;
}
static void sb_str(sbuf *b, const char *s) { sb_put(b, s, strlen(s)); }
static void sb_fmt(sbuf *b, const char *fmt, ...) KN_PRINTF(2, 3);
static void sb_fmt(sbuf *b, const char *fmt, ...) {
  char tmp[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n < sizeof tmp) {
    sb_put(b, tmp, (size_t)n);
    return;
  }
  char *big = malloc((size_t)n + 1);
  if (!big) {
    b->oom = true;
    return;
  }
  va_start(ap, fmt);
  vsnprintf(big, (size_t)n + 1, fmt, ap);
  va_end(ap);
  sb_put(b, big, (size_t)n);
  free(big);
}
static void sb_indent(sbuf *b, int n) {
  for (int i = 0; i < n; i++) sb_put(b, " ", 1);
}

/* "..." with \" \\ \n \t and \xNN for every other byte outside printable ASCII */
static void sb_quoted(sbuf *b, const char *s, size_t n) {
  static const char hx[] = "0123456789abcdef";
  sb_put(b, "\"", 1);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"') sb_put(b, "\\\"", 2);
    else if (c == '\\') sb_put(b, "\\\\", 2);
    else if (c == '\n') sb_put(b, "\\n", 2);
    else if (c == '\t') sb_put(b, "\\t", 2);
    else if (c >= 32 && c < 127) sb_put(b, (const char *)&c, 1);
    else {
      char e[4] = {'\\', 'x', hx[c >> 4], hx[c & 15]};
      sb_put(b, e, 4);
    }
  }
  sb_put(b, "\"", 1);
}

static void sb_name(sbuf *b, const char *s) {
  size_t n = strlen(s);
  if (ir_text_is_bare_name(s, n)) sb_put(b, s, n);
  else sb_quoted(b, s, n);
}

/* Float text: the shortest of %.1g .. %.9g that reads back as the same float
 * (%.9g always does), so 1e-05 prints as written and not as 9.99999975e-06;
 * a '.' or exponent is always present so the parser knows it is a float. */
static void fmt_float(char *buf, size_t n, float v) {
  if (isnan(v)) snprintf(buf, n, "nan");
  else if (isinf(v)) snprintf(buf, n, v < 0 ? "-inf" : "inf");
  else {
    for (int prec = 1; prec <= 9; prec++) {
      snprintf(buf, n, "%.*g", prec, (double)v);
      if (strtof(buf, NULL) == v) break;
    }
    if (!strpbrk(buf, ".eE")) {
      size_t l = strlen(buf);
      if (l + 3 <= n) memcpy(buf + l, ".0", 3);
    }
  }
}

/* ---- types ---- */
static void dim_text(sbuf *b, const ir_graph *g, int64_t d) {
  if (d >= 0) {
    sb_fmt(b, "%lld", (long long)d);
    return;
  }
  const char *nm = g ? ir_sym_name(g, IR_SYM_ID(d)) : NULL;
  if (!nm) sb_put(b, "?", 1);
  else if (ir_text_is_bare_name(nm, strlen(nm)) && !ir_text_is_int_literal(nm, strlen(nm))) sb_str(b, nm);
  else sb_quoted(b, nm, strlen(nm));
}

static void type_text(sbuf *b, const ir_graph *g, const ir_type *t) {
  if (t->dtype == KN_UNDEF && t->rank < 0) {
    sb_put(b, "?", 1);
    return;
  }
  sb_str(b, t->dtype == KN_UNDEF ? "?" : kn_dtype_short(t->dtype));
  if (t->rank < 0) {
    sb_str(b, "[*]");
    return;
  }
  sb_put(b, "[", 1);
  int r = t->rank > KN_MAX_RANK ? KN_MAX_RANK : t->rank;
  for (int i = 0; i < r; i++) {
    if (i) sb_put(b, ", ", 2);
    dim_text(b, g, t->dims[i]);
  }
  sb_put(b, "]", 1);
}

static bool type_known(const ir_type *t) { return t->dtype != KN_UNDEF || t->rank >= 0; }

/* ---- constants ---- */
static void tensor_type(sbuf *b, const kn_tensor *t) {
  ir_type ty = {.dtype = t->dtype, .rank = t->rank};
  for (int i = 0; i < t->rank && i < KN_MAX_RANK; i++) ty.dims[i] = t->dims[i];
  type_text(b, NULL, &ty);
}

enum { SMALL_INT_CONST = 64 }; /* integer constants up to this many elements print as lists */

static void tensor_init(sbuf *b, const kn_tensor *t, const ir_print_opts *opts) {
  int64_t n = kn_tensor_numel(t);
  size_t es = kn_dtype_size(t->dtype);
  if (n < 0 || (n > 0 && !t->data) || (int64_t)es * n > t->nbytes) {
    sb_str(b, "elided");
    return;
  }
  if (opts && opts->max_const_elems >= 0 && n > opts->max_const_elems) {
    sb_str(b, "elided");
    return;
  }
  bool is_intlike = kn_dtype_is_int(t->dtype) || t->dtype == KN_BOOL;
  if (is_intlike && n <= SMALL_INT_CONST) {
    sb_put(b, "[", 1);
    for (int64_t i = 0; i < n; i++) {
      if (i) sb_put(b, ", ", 2);
      if (t->dtype == KN_U64) sb_fmt(b, "%llu", (unsigned long long)((const uint64_t *)t->data)[i]);
      else sb_fmt(b, "%lld", (long long)kn_tensor_get_i64(t, i));
    }
    sb_put(b, "]", 1);
    return;
  }
  static const char hx[] = "0123456789abcdef";
  size_t bytes = (size_t)n * es;
  const unsigned char *z = t->data;
  size_t nz = 0;
  while (nz < bytes && z[nz] == 0) nz++;
  if (nz == bytes) { /* all-zero bytes (so no -0.0): exact and short */
    sb_str(b, "zeros");
    return;
  }
  sb_put(b, "hex\"", 4);
  const unsigned char *p = t->data;
  char chunk[512];
  size_t k = 0;
  for (size_t i = 0; i < bytes; i++) {
    chunk[k++] = hx[p[i] >> 4];
    chunk[k++] = hx[p[i] & 15];
    if (k == sizeof chunk) {
      sb_put(b, chunk, k);
      k = 0;
    }
  }
  sb_put(b, chunk, k);
  sb_put(b, "\"", 1);
}

/* ---- graphs ---- */
static void print_body(sbuf *b, const ir_graph *g, const ir_print_opts *opts, int ind);

static void value_ref(sbuf *b, const ir_graph *g, ir_id v) {
  if (v == IR_NONE) sb_put(b, "_", 1);
  else if (v < 0 || v >= g->nvalues || !g->values[v].name) sb_fmt(b, "<invalid value %d>", (int)v);
  else sb_name(b, g->values[v].name);
}

static void print_attr(sbuf *b, const ir_graph *g, const ir_attr *a, const ir_print_opts *opts, int ind) {
  char fb[64];
  sb_name(b, a->name ? a->name : "");
  sb_put(b, "=", 1);
  switch (a->kind) {
  case IR_ATTR_INT: sb_fmt(b, "%lld", (long long)a->i); break;
  case IR_ATTR_FLOAT:
    fmt_float(fb, sizeof fb, a->f);
    sb_str(b, fb);
    break;
  case IR_ATTR_STRING: sb_quoted(b, a->s ? a->s : "", a->s ? (size_t)a->n : 0); break;
  case IR_ATTR_INTS:
  case IR_ATTR_FLOATS:
  case IR_ATTR_STRINGS:
    if (a->n <= 0) {
      sb_str(b, a->kind == IR_ATTR_INTS ? "ints[]" : a->kind == IR_ATTR_FLOATS ? "floats[]" : "strings[]");
      break;
    }
    sb_put(b, "[", 1);
    for (int32_t i = 0; i < a->n; i++) {
      if (i) sb_put(b, ", ", 2);
      if (a->kind == IR_ATTR_INTS) sb_fmt(b, "%lld", (long long)a->ints[i]);
      else if (a->kind == IR_ATTR_FLOATS) {
        fmt_float(fb, sizeof fb, a->floats[i]);
        sb_str(b, fb);
      } else sb_quoted(b, a->strings[i] ? a->strings[i] : "", a->strings[i] ? strlen(a->strings[i]) : 0);
    }
    sb_put(b, "]", 1);
    break;
  case IR_ATTR_TENSOR:
    sb_str(b, "tensor ");
    if (!a->t) {
      sb_str(b, "? = elided");
      break;
    }
    tensor_type(b, a->t);
    sb_str(b, " = ");
    tensor_init(b, a->t, opts);
    break;
  case IR_ATTR_GRAPH:
    sb_str(b, "graph ");
    if (!a->g) {
      sb_str(b, "{}");
      break;
    }
    if (a->g->name && strcmp(a->g->name, a->name ? a->name : "") != 0) {
      sb_name(b, a->g->name);
      sb_put(b, " ", 1);
    }
    if (a->g->opset > 0 && a->g->opset != g->opset) sb_fmt(b, "opset %d ", (int)a->g->opset);
    sb_str(b, "{\n");
    print_body(b, a->g, opts, ind + 2);
    sb_indent(b, ind);
    sb_put(b, "}", 1);
    break;
  default: sb_fmt(b, "<attribute kind %d>", (int)a->kind); break;
  }
}

static void print_decl_type(sbuf *b, const ir_graph *g, const ir_value *v) {
  sb_name(b, v->name);
  sb_str(b, ": ");
  if (v->constant) tensor_type(b, v->constant);
  else type_text(b, g, &v->type);
}

static void print_node(sbuf *b, const ir_graph *g, const ir_node *n, const ir_print_opts *opts, int ind) {
  sb_indent(b, ind);
  for (int32_t i = 0; i < n->nout; i++) {
    if (i) sb_put(b, ", ", 2);
    value_ref(b, g, n->out[i]);
  }
  sb_str(b, n->nout ? " = " : "= ");
  sb_str(b, (unsigned)n->op < IR_OP_COUNT ? ir_op_table[n->op].name : "<invalid op>");
  sb_put(b, "(", 1);
  for (int32_t i = 0; i < n->nin; i++) {
    if (i) sb_put(b, ", ", 2);
    value_ref(b, g, n->in[i]);
  }
  sb_put(b, ")", 1);
  if (n->nattr > 0) {
    sb_str(b, " {");
    for (int32_t i = 0; i < n->nattr; i++) {
      if (i) sb_put(b, ", ", 2);
      print_attr(b, g, &n->attrs[i], opts, ind);
    }
    sb_put(b, "}", 1);
  }
  bool any = false;
  for (int32_t i = 0; i < n->nout; i++) {
    ir_id v = n->out[i];
    if (v >= 0 && v < g->nvalues && type_known(&g->values[v].type)) any = true;
  }
  if (any) {
    sb_str(b, " : ");
    for (int32_t i = 0; i < n->nout; i++) {
      if (i) sb_put(b, ", ", 2);
      ir_id v = n->out[i];
      if (v == IR_NONE) sb_put(b, "_", 1);
      else if (v >= 0 && v < g->nvalues) type_text(b, g, &g->values[v].type);
      else sb_put(b, "?", 1);
    }
  }
  sb_put(b, "\n", 1);
}

static void print_body(sbuf *b, const ir_graph *g, const ir_print_opts *opts, int ind) {
  for (int32_t i = 0; i < g->ninputs; i++) {
    ir_id v = g->inputs[i];
    if (v < 0 || v >= g->nvalues) continue;
    const ir_value *val = &g->values[v];
    sb_indent(b, ind);
    sb_str(b, "input ");
    print_decl_type(b, g, val);
    if (val->constant) {
      sb_str(b, " = ");
      tensor_init(b, val->constant, opts);
    }
    sb_put(b, "\n", 1);
  }
  for (int32_t v = 0; v < g->nvalues; v++) {
    const ir_value *val = &g->values[v];
    if (!val->constant || val->is_input || val->is_outer) continue;
    if (val->producer >= 0 && val->producer < g->nnodes && !g->nodes[val->producer].dead) continue;
    sb_indent(b, ind);
    sb_str(b, "const ");
    print_decl_type(b, g, val);
    sb_str(b, " = ");
    tensor_init(b, val->constant, opts);
    sb_put(b, "\n", 1);
  }
  for (int32_t i = 0; i < g->nnodes; i++)
    if (!g->nodes[i].dead) print_node(b, g, &g->nodes[i], opts, ind);
  if (g->noutputs > 0) {
    sb_indent(b, ind);
    sb_str(b, "output ");
    for (int32_t i = 0; i < g->noutputs; i++) {
      if (i) sb_put(b, ", ", 2);
      value_ref(b, g, g->outputs[i]);
    }
    sb_put(b, "\n", 1);
  }
}

char *ir_print(const ir_graph *g, const ir_print_opts *opts) {
  if (!g) return NULL;
  sbuf b = {0};
  sb_str(&b, "graph ");
  sb_name(&b, g->name ? g->name : "main");
  if (g->opset > 0) sb_fmt(&b, " opset %d", (int)g->opset);
  sb_str(&b, " {\n");
  print_body(&b, g, opts, 2);
  sb_str(&b, "}\n");
  if (b.oom) {
    free(b.s);
    return NULL;
  }
  return b.s;
}
