/* text_parse.h: internals of the IR text parser, shared by its three files:
 * text_parse.c (tokens, numbers, types, data, statements, graphs, the entry
 * point), text_scope.c (which value or number a name means: bindings, frames,
 * name prefixes) and text_macro.c (params, configs, macros and for loops).
 *
 * Macros and loops are expanded while parsing, by re-lexing their bodies: a
 * body is remembered as a lexer position (ir_lexer is a few pointers) and
 * replayed with new bindings, so the graph that comes out is flat. Internal
 * symbols carry the prefix irp_. */
#ifndef KILN_TEXT_PARSE_H
#define KILN_TEXT_PARSE_H

#include "text_lex.h"

enum {
  IRP_MAX_GRAPH_DEPTH = 32, /* nested graph attributes, counting the top graph */
  IRP_MAX_MACRO_DEPTH = 32, /* macro calls inside macro calls */
  IRP_MAX_LOOP_DEPTH = 32,  /* for loops inside for loops */
  IRP_MAX_ARGS = 32,        /* values, numbers or returns of one macro */
  IRP_MAX_FRAMES = IRP_MAX_GRAPH_DEPTH + IRP_MAX_MACRO_DEPTH + IRP_MAX_LOOP_DEPTH + 1,
};
#define IRP_DEFAULT_MAX_EXPAND (1 << 18)

/* ---- names in scope (text_scope.c) ---- */
typedef struct irp_binding {
  size_t name_off; /* in the scope's pool */
  uint32_t name_len, hash;
  int32_t next; /* older binding in the same hash bucket, -1 at the end */
  bool is_num;
  ir_graph *g; /* the graph that holds v */
  ir_id v;     /* IR_NONE: a macro argument passed as _ (absent) */
  uint32_t rebound_in; /* serial of the loop iteration that last rebound it */
  ir_num num;
} irp_binding;

typedef enum irp_frame_kind { IRP_FRAME_GRAPH, IRP_FRAME_MACRO, IRP_FRAME_LOOP } irp_frame_kind;
typedef struct irp_frame {
  irp_frame_kind kind;
  int32_t mark;     /* first binding of this frame */
  int32_t def_mark; /* first binding of the innermost graph or macro frame: names below it are not rebound */
  int32_t barrier;  /* first binding of the innermost macro frame: names below it are invisible */
  size_t prefix_len; /* the value-name prefix before this frame added its part */
  uint32_t serial;   /* unique per push */
} irp_frame;

typedef struct irp_scope {
  irp_binding *b;
  int32_t nb;
  size_t capb;
  int32_t *buckets; /* newest binding per hash bucket */
  uint32_t nbuckets;
  char *pool;
  size_t npool, cappool;
  char *prefix; /* "layer3/x/" : prepended to every value defined now */
  size_t nprefix, capprefix;
  irp_frame frames[IRP_MAX_FRAMES];
  int nframes;
  uint32_t serials;
} irp_scope;

/* ---- top-level declarations (text_macro.c) ---- */
typedef struct irp_param {
  ir_token name;
  ir_token value;     /* the declared default */
  ir_token override;  /* from the selected config (kind EOF when none) */
  const char *define; /* the VALUE text of --define NAME=VALUE, or NULL */
  ir_num num;         /* evaluated */
} irp_param;

typedef struct irp_config_entry {
  ir_token config, name, value;
} irp_config_entry;

typedef struct irp_macro {
  ir_token name;
  ir_token vparams[IRP_MAX_ARGS]; /* value parameters, positional */
  int nv;
  ir_token nparams[IRP_MAX_ARGS]; /* number parameters, by keyword */
  ir_token ndefault[IRP_MAX_ARGS]; /* kind EOF: required */
  int nn;
  ir_lexer body; /* positioned just after the body's '{' */
  bool active;   /* being expanded: calling it again is recursion */
} irp_macro;

typedef struct parser {
  kn_ctx *ctx;
  const char *file;
  ir_lexer lx;
  ir_token tok; /* lookahead */
  int depth;    /* graph nesting */
  char *sbuf;   /* decoded text of the last word/string asked for */
  size_t scap;
  char *nbuf; /* the last full (prefixed) value name built */
  size_t ncap;
  ir_token *toks; /* stack: output names of the nodes being parsed, list elements */
  size_t ntoks, cap_toks;
  ir_id *ids;
  size_t cap_ids;
  ir_type *types;
  size_t cap_types;
  int64_t *ibuf;
  size_t cap_i;
  float *fbuf;
  size_t cap_f;
  ir_num *nums;
  size_t cap_nums;
  irp_scope scope;
  irp_param *params;
  int nparams, cap_params, nparams_ready; /* params [0, nparams_ready) have values */
  irp_config_entry *centries;
  int ncentries, cap_centries;
  irp_macro *macros;
  int nmacros, cap_macros;
  const ir_parse_opts *opts;
  int macro_depth, loop_depth;
  int64_t expanded, max_expand; /* statements, iterations and calls run inside macros and loops */
  uint64_t const_bytes;         /* all constant data so far, against ctx->mem_limit */
} parser;

/* ---- text_parse.c ---- */
kn_status irp_err_at(parser *p, const ir_token *t, kn_status st, const char *fmt, ...) KN_PRINTF(4, 5);
#define PERR(...) irp_err_at(p, &p->tok, KN_EPARSE, __VA_ARGS__)
const char *irp_tok_desc(const ir_token *t, char *buf, size_t n);
#define DESC(t) irp_tok_desc((t), descbuf, sizeof descbuf)
kn_status irp_grow(parser *p, void **buf, size_t *cap, size_t need, size_t elem);
kn_status irp_advance(parser *p);
bool irp_tok_is(const ir_token *t, const char *w);
bool irp_at(parser *p, const char *w);
kn_status irp_expect(parser *p, ir_tok_kind k, const char *where);
kn_status irp_name_text(parser *p, const ir_token *t, const char **out); /* valid until the next call */
/* A number token: an int or float literal word, $name or $( ... ). */
bool irp_is_number_tok(const ir_token *t);
kn_status irp_tok_num(parser *p, const ir_token *t, ir_num *out);
kn_status irp_tok_int(parser *p, const ir_token *t, int64_t *v);
/* Statements until the end of a body: '}' (consumed) for a graph or loop
 * body, `return` (not consumed) for a macro body. */
typedef enum irp_body { IRP_BODY_GRAPH, IRP_BODY_LOOP, IRP_BODY_MACRO } irp_body;
kn_status irp_parse_stmts(parser *p, ir_graph *g, irp_body kind);
/* Skips tokens up to and including the '}' that closes the current body. */
kn_status irp_skip_body(parser *p, const char *what);

/* ---- text_scope.c ---- */
void irp_scope_free(irp_scope *s);
kn_status irp_scope_push(parser *p, irp_frame_kind kind, const char *part, size_t len);
void irp_scope_pop(parser *p);
const irp_frame *irp_scope_top(const parser *p);
bool irp_in_macro_body(const parser *p); /* the innermost graph-or-macro frame is a macro */
/* The prefixed name of `name` as defined now, in p->nbuf. */
kn_status irp_full_name(parser *p, const char *name, size_t len, const char **out);
/* Defines the name token nt (in graph g) as a new value: typed, or a constant
 * taking c (freed on error). Enforces one definition per scope, rebinding in
 * loops (docs/ir.md, "Scopes"). */
kn_status irp_define_value(parser *p, ir_graph *g, const ir_token *nt, const ir_type *ty, kn_tensor *c, ir_id *out);
/* Binds nt to an existing value v (a macro's return), with the same rules;
 * rename: give v the prefixed name of nt in its graph, and the outer
 * references to it in subgraphs of the nodes from first_node on. */
kn_status irp_bind_alias(parser *p, ir_graph *g, const ir_token *nt, ir_id v, bool rename, int32_t first_node);
kn_status irp_bind_value(parser *p, const char *name, size_t len, ir_graph *g, ir_id v);
kn_status irp_bind_num(parser *p, const char *name, size_t len, ir_num num);
/* The value a used name means in g (an outer reference is made for a value
 * of an enclosing graph). IR_NONE for a macro argument given as _. */
kn_status irp_resolve(parser *p, ir_graph *g, const ir_token *nt, ir_id *out);
/* Number lookup for expressions: loop variables and macro numbers in scope,
 * then the params evaluated so far. */
bool irp_lookup_num(void *parser_env, const char *name, size_t len, ir_num *out);

/* ---- text_macro.c ---- */
bool irp_is_ident(const char *s, size_t n); /* [A-Za-z_][A-Za-z0-9_]* */
/* One top-level `param`, `config` or `macro` item, at p->tok. */
kn_status irp_parse_decl(parser *p);
/* Applies the options (config, defines) and evaluates every param. */
kn_status irp_eval_params(parser *p);
const irp_macro *irp_find_macro(const parser *p, const char *name, size_t len);
/* OUTS = MACRO(args): p->toks[base, base+nout) are the output names, p->tok
 * is the macro's name. */
kn_status irp_expand_macro(parser *p, ir_graph *g, size_t base, int nout);
/* for NAME in LO .. HI { body } at p->tok. */
kn_status irp_parse_for(parser *p, ir_graph *g);
/* Counts one unit of expansion work against the cap. */
kn_status irp_count_expansion(parser *p, const ir_token *at);

#endif
