/* text_lex.h: internals of kiln's canonical IR text form shared by the lexer,
 * parser, printer and seeded initializers (text_lex.c, text_parse.c,
 * text_print.c, seeded_init.c). The public entry points (ir_print, ir_parse)
 * are declared in ir_text.h; docs/ir.md is the syntax reference.
 * Kept separate from ir.h because nothing outside the text form needs it
 * except the seeded initializers, which are declared at the end. */
#ifndef KILN_TEXT_LEX_H
#define KILN_TEXT_LEX_H

#include "ir_text.h"

/* ===== text_lex.c: tokens ===== */
typedef enum ir_tok_kind {
  IR_TK_EOF = 0,
  IR_TK_WORD,   /* run of [A-Za-z0-9_.:/+-]; names, keywords, numbers, dtypes */
  IR_TK_STRING, /* "..." ; start/len cover the raw text between the quotes */
  IR_TK_LBRACE, /* { */
  IR_TK_RBRACE, /* } */
  IR_TK_LPAREN, /* ( */
  IR_TK_RPAREN, /* ) */
  IR_TK_LBRACK, /* [ */
  IR_TK_RBRACK, /* ] */
  IR_TK_COMMA,  /* , */
  IR_TK_EQ,     /* = */
  IR_TK_COLON,  /* : (a ':' between two word characters is part of the word) */
  IR_TK_QUEST,  /* ? */
  IR_TK_STAR,   /* * */
  IR_TK_SEMI,   /* ; optional statement separator */
  IR_TK_DOTDOT, /* .. in `for i in 0 .. 12` (never part of a word) */
  IR_TK_REF,    /* $name: start/len cover "$name" */
  IR_TK_EXPR,   /* $( ... ): start/len cover "$(...)" with balanced parentheses */
  IR_TK_ERROR   /* lexer error; message in ir_lexer.err */
} ir_tok_kind;

typedef struct ir_token {
  ir_tok_kind kind;
  const char *start;
  size_t len;
  int line, col; /* 1-based; col counts bytes */
} ir_token;

typedef struct ir_lexer {
  const char *p;
  const char *line_start;
  int line;
  char err[160];
} ir_lexer;

void ir_lex_init(ir_lexer *lx, const char *text);
/* Next token. On IR_TK_ERROR the token's line/col locate the problem. */
ir_token ir_lex_next(ir_lexer *lx);
/* Decodes the raw contents of a string token (escapes already validated by the
 * lexer) into out, which must hold len bytes; returns the decoded length. */
size_t ir_lex_unescape(const char *raw, size_t len, char *out);
const char *ir_tok_kind_name(ir_tok_kind k);

/* Word classes. */
bool ir_text_is_word_char(int c);
/* Reserved words that cannot be bare value/graph/attribute names. */
bool ir_text_is_keyword(const char *s, size_t n);
/* True when name can print without quotes: word characters but '+' only, not
 * starting or ending with ':', no "..", not a keyword. */
bool ir_text_is_bare_name(const char *s, size_t n);
/* "[+-]?[0-9]+" */
bool ir_text_is_int_literal(const char *s, size_t n);
/* decimal float, or inf / -inf / +inf / nan */
bool ir_text_is_float_literal(const char *s, size_t n);

/* ===== text_expr.c: numeric expressions ($name, $( ... )) ===== */
typedef struct ir_num {
  bool is_int; /* exact int64 in i, else a finite double in f */
  int64_t i;
  double f;
} ir_num;
double ir_num_f64(ir_num v);
/* Looks a parameter name up; false when it is not defined. */
typedef bool (*ir_expr_lookup_fn)(void *env, const char *name, size_t len, ir_num *out);
/* Evaluates the expression text s[0..n) (the inside of `$( )`). On error
 * returns the status, the message in err and the byte offset in *err_off. */
kn_status ir_expr_eval(const char *s, size_t n, ir_expr_lookup_fn lookup, void *env, ir_num *out, size_t *err_off,
                       char *err, size_t errn);

/* ===== seeded_init.c: deterministic initializers (docs/ir.md has the algorithm) ===== */
typedef struct ir_rng {
  uint64_t state;
} ir_rng;
uint64_t ir_rng_next(ir_rng *r);           /* splitmix64 */
double ir_rng_uniform01(ir_rng *r);        /* [0, 1): (x >> 11) * 2^-53 */
double ir_det_log(double x);               /* natural log for x > 0, portable bit-exact */
void ir_det_sincos_turns(double t, double *s, double *c); /* sin/cos(2*pi*t), t in [0,1) */
/* Fill an allocated float tensor (f32/f64/f16/bf16). */
kn_status ir_init_normal(kn_ctx *ctx, kn_tensor *t, uint64_t seed, double mean, double std);
kn_status ir_init_uniform(kn_ctx *ctx, kn_tensor *t, uint64_t seed, double low, double high);
/* The seed of a seeded initializer written without one: FNV-1a 64 of the
 * value's full name, so every layer's weights differ and stay reproducible. */
uint64_t ir_seed_from_name(const char *name, size_t len);

#endif
