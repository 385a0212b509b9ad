/* text_macro.c: the parts of the text form that write many graph statements
 * from few lines (docs/ir.md, "Parameters", "Macros", "Loops"):
 *   param width = 768                      numbers the graph refers to as $width
 *   config tiny { width = 64 }             overrides selected by ir_parse_opts
 *   macro block(x, layer=0) { ... return y }   reusable statements
 *   for layer in 0 .. $layers { x = block(x) }  repetition
 * Everything is expanded while parsing: a macro call re-lexes the macro's
 * body (remembered as a lexer position) in a new scope frame, a loop re-lexes
 * its body once per iteration, so the graph is flat and prints as before.
 * Expansion is bounded three ways so hostile files fail cleanly: macro calls
 * nest at most IRP_MAX_MACRO_DEPTH deep and may not recurse, loops nest at
 * most IRP_MAX_LOOP_DEPTH deep, and the statements, iterations and calls run
 * inside expansions are counted against ir_parse_opts.max_expand. */
#include "text_parse.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool irp_is_ident(const char *s, size_t n) {
  if (n == 0 || (s[0] >= '0' && s[0] <= '9')) return false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

static bool same(const ir_token *t, const char *s, size_t n) { return t->len == n && memcmp(t->start, s, n) == 0; }

/* Appends context (which macro call, which loop iteration) to the error. */
static void note(parser *p, const char *fmt, ...) KN_PRINTF(2, 3);
static void note(parser *p, const char *fmt, ...) {
  size_t n = strnlen(p->ctx->msg, sizeof p->ctx->msg);
  if (n + 1 >= sizeof p->ctx->msg) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(p->ctx->msg + n, sizeof p->ctx->msg - n, fmt, ap);
  va_end(ap);
}

kn_status irp_count_expansion(parser *p, const ir_token *at) {
  if (++p->expanded <= p->max_expand) return KN_OK;
  return irp_err_at(p, at, KN_ELIMIT,
                    "macros and loops expand to more than %lld statements, iterations and calls "
                    "(a huge loop count or macros that call each other many times?)",
                    (long long)p->max_expand);
}

/* ---- declarations ---- */
static kn_status expect_ident(parser *p, const char *what, ir_token *out) {
  char descbuf[80];
  if (p->tok.kind != IR_TK_WORD || !irp_is_ident(p->tok.start, p->tok.len) ||
      ir_text_is_keyword(p->tok.start, p->tok.len))
    return PERR("expected %s (letters, digits and _), got %s", what, DESC(&p->tok));
  *out = p->tok;
  return irp_advance(p);
}

static kn_status expect_number(parser *p, ir_token *out) {
  char descbuf[80];
  if (!irp_is_number_tok(&p->tok)) return PERR("expected a number, $name or $( ... ), got %s", DESC(&p->tok));
  *out = p->tok;
  return irp_advance(p);
}

static int find_param(const parser *p, const char *s, size_t n) {
  for (int k = 0; k < p->nparams; k++)
    if (same(&p->params[k].name, s, n)) return k;
  return -1;
}

/* param NAME '=' NUMBER */
static kn_status parse_param(parser *p) {
  irp_param pr = {.override = {.kind = IR_TK_EOF}};
  KN_TRY(irp_advance(p));
  KN_TRY(expect_ident(p, "a param name", &pr.name));
  if (find_param(p, pr.name.start, pr.name.len) >= 0)
    return irp_err_at(p, &pr.name, KN_EPARSE, "param %.*s is declared twice", (int)pr.name.len, pr.name.start);
  KN_TRY(irp_expect(p, IR_TK_EQ, "after the param name"));
  KN_TRY(expect_number(p, &pr.value));
  size_t cap = (size_t)p->cap_params;
  KN_TRY(irp_grow(p, (void **)&p->params, &cap, (size_t)p->nparams + 1, sizeof *p->params));
  p->cap_params = (int)cap;
  p->params[p->nparams++] = pr;
  return KN_OK;
}

static kn_status push_entry(parser *p, irp_config_entry e) {
  size_t cap = (size_t)p->cap_centries;
  KN_TRY(irp_grow(p, (void **)&p->centries, &cap, (size_t)p->ncentries + 1, sizeof *p->centries));
  p->cap_centries = (int)cap;
  p->centries[p->ncentries++] = e;
  return KN_OK;
}

static bool config_exists(const parser *p, const char *s, size_t n) {
  for (int k = 0; k < p->ncentries; k++)
    if (same(&p->centries[k].config, s, n)) return true;
  return false;
}

/* config NAME '{' [NAME '=' NUMBER (',' NAME '=' NUMBER)*] '}'; the first
 * entry of each config has no name: it records that the config exists. */
static kn_status parse_config(parser *p) {
  char descbuf[80];
  ir_token name;
  KN_TRY(irp_advance(p));
  KN_TRY(expect_ident(p, "a config name", &name));
  if (config_exists(p, name.start, name.len))
    return irp_err_at(p, &name, KN_EPARSE, "config %.*s is declared twice", (int)name.len, name.start);
  int first = p->ncentries;
  KN_TRY(push_entry(p, (irp_config_entry){.config = name, .name = {.kind = IR_TK_EOF}}));
  KN_TRY(irp_expect(p, IR_TK_LBRACE, "to open the config"));
  while (p->tok.kind != IR_TK_RBRACE) {
    irp_config_entry e = {.config = name};
    KN_TRY(expect_ident(p, "a param name", &e.name));
    for (int k = first + 1; k < p->ncentries; k++)
      if (same(&p->centries[k].name, e.name.start, e.name.len))
        return irp_err_at(p, &e.name, KN_EPARSE, "config %.*s sets %.*s twice", (int)name.len, name.start,
                          (int)e.name.len, e.name.start);
    KN_TRY(irp_expect(p, IR_TK_EQ, "after the param name"));
    KN_TRY(expect_number(p, &e.value));
    KN_TRY(push_entry(p, e));
    if (p->tok.kind == IR_TK_COMMA || p->tok.kind == IR_TK_SEMI) KN_TRY(irp_advance(p));
    else if (p->tok.kind != IR_TK_RBRACE) return PERR("expected ',' or '}' in a config, got %s", DESC(&p->tok));
  }
  return irp_advance(p);
}

static bool macro_param_taken(const irp_macro *m, const ir_token *t) {
  for (int k = 0; k < m->nv; k++)
    if (same(&m->vparams[k], t->start, t->len)) return true;
  for (int k = 0; k < m->nn; k++)
    if (same(&m->nparams[k], t->start, t->len)) return true;
  return false;
}

/* macro NAME '(' [PARAM (',' PARAM)*] ')' '{' BODY '}'
 * PARAM := NAME (a value) | NAME '=' NUMBER (a number with a default) | $NAME (a required number) */
static kn_status parse_macro_def(parser *p) {
  char descbuf[80];
  irp_macro m;
  memset(&m, 0, sizeof m);
  KN_TRY(irp_advance(p));
  KN_TRY(expect_ident(p, "a macro name", &m.name));
  char nm[64];
  if (m.name.len < sizeof nm) {
    memcpy(nm, m.name.start, m.name.len);
    nm[m.name.len] = 0;
    if (ir_op_from_name(nm) >= 0) return irp_err_at(p, &m.name, KN_EPARSE, "macro %s has the name of an op", nm);
  }
  if (irp_find_macro(p, m.name.start, m.name.len))
    return irp_err_at(p, &m.name, KN_EPARSE, "macro %.*s is defined twice", (int)m.name.len, m.name.start);
  KN_TRY(irp_expect(p, IR_TK_LPAREN, "after the macro name"));
  while (p->tok.kind != IR_TK_RPAREN) {
    ir_token t = p->tok;
    bool required_num = t.kind == IR_TK_REF;
    if (required_num) {
      t.start++, t.len--; /* the name without '$' */
      KN_TRY(irp_advance(p));
    } else KN_TRY(expect_ident(p, "a parameter name, or $name for a number", &t));
    if (macro_param_taken(&m, &t))
      return irp_err_at(p, &t, KN_EPARSE, "parameter %.*s is given twice", (int)t.len, t.start);
    if (m.nv + m.nn >= IRP_MAX_ARGS) return irp_err_at(p, &t, KN_ELIMIT, "more than %d parameters", IRP_MAX_ARGS);
    if (required_num || p->tok.kind == IR_TK_EQ) {
      m.nparams[m.nn] = t;
      m.ndefault[m.nn].kind = IR_TK_EOF;
      if (!required_num) {
        KN_TRY(irp_advance(p));
        KN_TRY(expect_number(p, &m.ndefault[m.nn]));
      }
      m.nn++;
    } else {
      if (m.nn) return irp_err_at(p, &t, KN_EPARSE, "value parameters come before number parameters");
      m.vparams[m.nv++] = t;
    }
    if (p->tok.kind == IR_TK_COMMA) KN_TRY(irp_advance(p));
    else if (p->tok.kind != IR_TK_RPAREN) return PERR("expected ',' or ')' in the parameters, got %s", DESC(&p->tok));
  }
  KN_TRY(irp_advance(p));
  if (p->tok.kind != IR_TK_LBRACE) return PERR("expected '{' to open the macro body, got %s", DESC(&p->tok));
  m.body = p->lx; /* re-lexing from here gives the body's first token */
  size_t cap = (size_t)p->cap_macros;
  KN_TRY(irp_grow(p, (void **)&p->macros, &cap, (size_t)p->nmacros + 1, sizeof *p->macros));
  p->cap_macros = (int)cap;
  p->macros[p->nmacros++] = m;
  KN_TRY(irp_advance(p));
  return irp_skip_body(p, "a macro"); /* checked when it is called */
}

kn_status irp_parse_decl(parser *p) {
  if (irp_at(p, "param")) return parse_param(p);
  if (irp_at(p, "config")) return parse_config(p);
  return parse_macro_def(p);
}

const irp_macro *irp_find_macro(const parser *p, const char *name, size_t len) {
  for (int k = 0; k < p->nmacros; k++)
    if (same(&p->macros[k].name, name, len)) return &p->macros[k];
  return NULL;
}

/* ---- params ---- */
static void list_configs(const parser *p, char *buf, size_t n) {
  size_t len = 0;
  buf[0] = 0;
  for (int k = 0; k < p->ncentries && len + 1 < n; k++)
    if (p->centries[k].name.kind == IR_TK_EOF)
      len += (size_t)snprintf(buf + len, n - len, "%s%.*s", len ? ", " : "", (int)p->centries[k].config.len,
                              p->centries[k].config.start);
  if (len >= n) buf[n - 1] = 0;
}

static kn_status apply_defines(parser *p) {
  const ir_parse_opts *o = p->opts;
  for (int d = 0; o && d < o->ndefines; d++) {
    const char *def = o->defines[d], *eq = def ? strchr(def, '=') : NULL;
    if (!eq || eq == def) return kn_fail(p->ctx, KN_EINVAL, "%s: define wants NAME=VALUE, got '%.200s'", p->file, def ? def : "");
    int k = find_param(p, def, (size_t)(eq - def));
    if (k < 0)
      return kn_fail(p->ctx, KN_EINVAL, "%s: define %.200s: the file declares no param %.*s", p->file, def,
                     (int)(eq - def > 100 ? 100 : eq - def), def);
    p->params[k].define = eq + 1;
  }
  return KN_OK;
}

kn_status irp_eval_params(parser *p) {
  char names[400];
  for (int k = 0; k < p->ncentries; k++) { /* every config, selected or not, sets declared params */
    const irp_config_entry *e = &p->centries[k];
    if (e->name.kind == IR_TK_WORD && find_param(p, e->name.start, e->name.len) < 0)
      return irp_err_at(p, &e->name, KN_EPARSE, "config %.*s sets %.*s, which is not a declared param",
                        (int)e->config.len, e->config.start, (int)e->name.len, e->name.start);
  }
  const char *cfg = p->opts ? p->opts->config : NULL;
  if (cfg) {
    if (!config_exists(p, cfg, strlen(cfg))) {
      list_configs(p, names, sizeof names);
      return kn_fail(p->ctx, KN_EINVAL, "%s: unknown config '%.100s' (%s%s)", p->file, cfg,
                     names[0] ? "the file has: " : "the file has no configs", names);
    }
    for (int k = 0; k < p->ncentries; k++) {
      const irp_config_entry *e = &p->centries[k];
      if (e->name.kind == IR_TK_WORD && same(&e->config, cfg, strlen(cfg)))
        p->params[find_param(p, e->name.start, e->name.len)].override = e->value;
    }
  }
  KN_TRY(apply_defines(p));
  for (int k = 0; k < p->nparams; k++) { /* in order: a value may use the params before it */
    irp_param *pr = &p->params[k];
    p->nparams_ready = k;
    if (pr->define) {
      char msg[200];
      size_t off = 0;
      kn_status st = ir_expr_eval(pr->define, strlen(pr->define), irp_lookup_num, p, &pr->num, &off, msg, sizeof msg);
      if (st != KN_OK)
        return kn_fail(p->ctx, st, "%s: define %.*s=%.200s: %s", p->file, (int)pr->name.len, pr->name.start,
                       pr->define, msg);
    } else KN_TRY(irp_tok_num(p, pr->override.kind != IR_TK_EOF ? &pr->override : &pr->value, &pr->num));
  }
  p->nparams_ready = p->nparams;
  return KN_OK;
}

/* ---- macro calls ---- */
typedef struct call_args {
  ir_id vals[IRP_MAX_ARGS];
  int nv;
  ir_num nums[IRP_MAX_ARGS];
  bool given[IRP_MAX_ARGS];
} call_args;

/* '(' [VALUE (',' VALUE)*] [',' NAME '=' NUMBER]* ')' in the caller's scope */
static kn_status parse_call_args(parser *p, ir_graph *g, const irp_macro *m, call_args *a) {
  char descbuf[80];
  KN_TRY(irp_expect(p, IR_TK_LPAREN, "after the macro name"));
  bool keywords = false;
  while (p->tok.kind != IR_TK_RPAREN) {
    ir_token t = p->tok;
    if (t.kind != IR_TK_WORD && t.kind != IR_TK_STRING)
      return PERR("expected a value, _ or NAME=number in the call of %.*s, got %s", (int)m->name.len, m->name.start,
                  DESC(&t));
    KN_TRY(irp_advance(p));
    if (p->tok.kind == IR_TK_EQ && t.kind == IR_TK_WORD) {
      keywords = true;
      int k = 0;
      while (k < m->nn && !same(&m->nparams[k], t.start, t.len)) k++;
      if (k == m->nn)
        return irp_err_at(p, &t, KN_EPARSE, "macro %.*s has no number parameter %.*s", (int)m->name.len,
                          m->name.start, (int)t.len, t.start);
      if (a->given[k]) return irp_err_at(p, &t, KN_EPARSE, "%.*s is given twice", (int)t.len, t.start);
      KN_TRY(irp_advance(p));
      ir_token nt;
      KN_TRY(expect_number(p, &nt));
      KN_TRY(irp_tok_num(p, &nt, &a->nums[k]));
      a->given[k] = true;
    } else {
      if (keywords) return irp_err_at(p, &t, KN_EPARSE, "value arguments come before NAME=number arguments");
      if (a->nv == IRP_MAX_ARGS) return irp_err_at(p, &t, KN_ELIMIT, "more than %d arguments", IRP_MAX_ARGS);
      if (irp_tok_is(&t, "_")) a->vals[a->nv++] = IR_NONE;
      else KN_TRY(irp_resolve(p, g, &t, &a->vals[a->nv++]));
    }
    if (p->tok.kind == IR_TK_COMMA) KN_TRY(irp_advance(p));
    else if (p->tok.kind != IR_TK_RPAREN) return PERR("expected ',' or ')' in a macro call, got %s", DESC(&p->tok));
  }
  return irp_advance(p);
}

/* Binds the parameters in the new frame; a default may use the params before it. */
static kn_status bind_params(parser *p, ir_graph *g, const irp_macro *m, const call_args *a, const ir_token *call) {
  for (int k = 0; k < m->nv; k++) KN_TRY(irp_bind_value(p, m->vparams[k].start, m->vparams[k].len, g, a->vals[k]));
  for (int k = 0; k < m->nn; k++) {
    ir_num v = a->nums[k];
    if (!a->given[k]) {
      if (m->ndefault[k].kind == IR_TK_EOF)
        return irp_err_at(p, call, KN_EPARSE, "macro %.*s needs %.*s=...", (int)m->name.len, m->name.start,
                          (int)m->nparams[k].len, m->nparams[k].start);
      KN_TRY(irp_tok_num(p, &m->ndefault[k], &v));
    }
    KN_TRY(irp_bind_num(p, m->nparams[k].start, m->nparams[k].len, v));
  }
  return KN_OK;
}

/* The body from its first token through `return NAME, ...` and its '}'. */
static kn_status run_body(parser *p, ir_graph *g, irp_macro *m, ir_id *rets, int *nret) {
  char descbuf[80];
  p->lx = m->body;
  KN_TRY(irp_advance(p));
  KN_TRY(irp_parse_stmts(p, g, IRP_BODY_MACRO));
  KN_TRY(irp_advance(p)); /* return */
  *nret = 0;
  for (;;) {
    ir_token t = p->tok;
    if (t.kind != IR_TK_WORD && t.kind != IR_TK_STRING) return PERR("expected a value name after return, got %s", DESC(&t));
    if (*nret == IRP_MAX_ARGS) return irp_err_at(p, &t, KN_ELIMIT, "more than %d return values", IRP_MAX_ARGS);
    KN_TRY(irp_resolve(p, g, &t, &rets[*nret]));
    if (rets[*nret] == IR_NONE)
      return irp_err_at(p, &t, KN_EPARSE, "returns %.*s, an absent (_) argument", (int)t.len, t.start);
    ++*nret;
    KN_TRY(irp_advance(p));
    if (p->tok.kind != IR_TK_COMMA) break;
    KN_TRY(irp_advance(p));
  }
  if (p->tok.kind == IR_TK_SEMI) KN_TRY(irp_advance(p));
  if (p->tok.kind != IR_TK_RBRACE) return PERR("expected '}' after the return values, got %s", DESC(&p->tok));
  return KN_OK;
}

kn_status irp_expand_macro(parser *p, ir_graph *g, size_t base, int nout) {
  char descbuf[80];
  ir_token call = p->tok;
  irp_macro *m = (irp_macro *)irp_find_macro(p, call.start, call.len);
  int mlen = (int)m->name.len;
  KN_TRY(irp_count_expansion(p, &call));
  KN_TRY(irp_advance(p));
  call_args a;
  memset(&a, 0, sizeof a);
  KN_TRY(parse_call_args(p, g, m, &a));
  if (a.nv != m->nv)
    return irp_err_at(p, &call, KN_EPARSE, "macro %.*s takes %d value argument%s, got %d", mlen, m->name.start, m->nv,
                      m->nv == 1 ? "" : "s", a.nv);
  if (p->tok.kind == IR_TK_LBRACE || p->tok.kind == IR_TK_COLON)
    return PERR("a macro call takes no attributes or types, got %s", DESC(&p->tok));
  if (m->active)
    return irp_err_at(p, &call, KN_EPARSE, "macro %.*s calls itself (macros cannot recurse)", mlen, m->name.start);
  if (p->macro_depth >= IRP_MAX_MACRO_DEPTH)
    return irp_err_at(p, &call, KN_ELIMIT, "macro calls nest deeper than %d", IRP_MAX_MACRO_DEPTH);
  /* the instance is named after the call's first output: y = block(x) -> y/... */
  ir_token inst = m->name;
  for (int i = 0; i < nout; i++)
    if (!irp_tok_is(&p->toks[base + i], "_")) {
      inst = p->toks[base + i];
      break;
    }
  const char *part;
  KN_TRY(irp_name_text(p, &inst, &part));
  ir_id first_new = g->nvalues;
  int32_t first_node = g->nnodes;
  KN_TRY(irp_scope_push(p, IRP_FRAME_MACRO, part, strlen(part)));
  ir_lexer saved_lx = p->lx;
  ir_token saved_tok = p->tok;
  ir_id rets[IRP_MAX_ARGS];
  int nret = 0;
  kn_status st = bind_params(p, g, m, &a, &call);
  if (st == KN_OK) {
    m->active = true;
    p->macro_depth++;
    st = run_body(p, g, m, rets, &nret);
    p->macro_depth--;
    m->active = false;
    if (st != KN_OK) note(p, " (in macro %.*s called at %s:%d:%d)", mlen, m->name.start, p->file, call.line, call.col);
  }
  p->lx = saved_lx;
  p->tok = saved_tok;
  irp_scope_pop(p);
  KN_TRY(st);
  if (nret != nout)
    return irp_err_at(p, &call, KN_EPARSE, "macro %.*s returns %d value%s, the call takes %d", mlen, m->name.start,
                      nret, nret == 1 ? "" : "s", nout);
  for (int i = 0; i < nout; i++) {
    if (irp_tok_is(&p->toks[base + i], "_")) continue;
    /* a value this call made takes the caller's name (y, not y/out) */
    bool rename = rets[i] >= first_new;
    for (int j = 0; j < i; j++) rename &= !(rets[j] == rets[i] && !irp_tok_is(&p->toks[base + j], "_"));
    KN_TRY(irp_bind_alias(p, g, &p->toks[base + i], rets[i], rename, first_node));
  }
  return KN_OK;
}

/* ---- loops ---- */
/* for NAME in LO .. HI '{' BODY '}': the body runs for NAME = LO .. HI-1 */
kn_status irp_parse_for(parser *p, ir_graph *g) {
  char descbuf[80];
  ir_token at = p->tok, var;
  int64_t lo, hi, n = 0;
  KN_TRY(irp_advance(p));
  if (irp_at(p, "_")) {
    var = p->tok;
    KN_TRY(irp_advance(p));
  } else KN_TRY(expect_ident(p, "a loop variable", &var));
  if (!irp_at(p, "in")) return PERR("expected 'in' after the loop variable, got %s", DESC(&p->tok));
  KN_TRY(irp_advance(p));
  KN_TRY(irp_tok_int(p, &p->tok, &lo));
  KN_TRY(irp_advance(p));
  KN_TRY(irp_expect(p, IR_TK_DOTDOT, "between the loop bounds (for i in 0 .. 12)"));
  KN_TRY(irp_tok_int(p, &p->tok, &hi));
  KN_TRY(irp_advance(p));
  if (p->tok.kind != IR_TK_LBRACE) return PERR("expected '{' to open the loop body, got %s", DESC(&p->tok));
  if (var.len > 100) return irp_err_at(p, &var, KN_EPARSE, "loop variable name is too long");
  ir_num dummy;
  if (irp_lookup_num(p, var.start, var.len, &dummy))
    return irp_err_at(p, &var, KN_EPARSE, "loop variable %.*s hides a param or number of the same name", (int)var.len,
                      var.start);
  if (p->loop_depth >= IRP_MAX_LOOP_DEPTH)
    return irp_err_at(p, &at, KN_ELIMIT, "for loops nest deeper than %d", IRP_MAX_LOOP_DEPTH);
  if (hi > lo && __builtin_sub_overflow(hi, lo, &n))
    return irp_err_at(p, &at, KN_ELIMIT, "loop range %lld .. %lld is too large", (long long)lo, (long long)hi);
  ir_lexer body = p->lx;
  if (n == 0) {
    KN_TRY(irp_advance(p));
    return irp_skip_body(p, "a for loop");
  }
  p->loop_depth++;
  kn_status st = KN_OK;
  for (int64_t k = 0; k < n && st == KN_OK; k++) {
    int64_t i = lo + k;
    char part[160];
    snprintf(part, sizeof part, "%.*s%lld", (int)var.len, var.start, (long long)i);
    st = irp_count_expansion(p, &at);
    if (st == KN_OK) st = irp_scope_push(p, IRP_FRAME_LOOP, part, strlen(part));
    if (st != KN_OK) break;
    p->lx = body;
    st = irp_advance(p);
    if (st == KN_OK) st = irp_bind_num(p, var.start, var.len, (ir_num){.is_int = true, .i = i});
    if (st == KN_OK) st = irp_parse_stmts(p, g, IRP_BODY_LOOP);
    irp_scope_pop(p);
    if (st != KN_OK && kn_last_status(p->ctx) != KN_ENOMEM)
      note(p, " (in the loop at %s:%d:%d, %.*s = %lld)", p->file, at.line, at.col, (int)var.len, var.start,
           (long long)i);
  }
  p->loop_depth--;
  return st;
}
