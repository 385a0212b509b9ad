/* text_lex.c: the tokenizer of kiln's IR text form, and the word-class rules
 * the printer uses to decide when a name needs quotes. Both sides share one
 * definition so a printed name always lexes back to the same token.
 *
 * Newlines are plain whitespace: statements are self-delimiting, which lets a
 * nested graph sit on one line in hand-written tests. A word is a run of
 * [A-Za-z0-9_.:/+-], so ONNX names such as onnx::Gather_12 and
 * /enc/layer.0/Add_output_0 need no quotes and numbers (-1e-3) are words too;
 * the parser interprets a word by position. A ':' belongs to a word only inside
 * it (a word character on both sides), so `x: f32[2]` and `y = Relu(x) :f32[2]`
 * split into x, ':', f32; `x:f32` stays one word. Two dots end a word, so the
 * range `0..12` is three tokens (0, .., 12).
 *
 * `$name` and `$( ... )` are numeric expressions (text_expr.c). The whole
 * `$( ... )` with balanced parentheses is one token because inside it `/`,
 * `+`, `-` are operators, not word characters. */
#include "text_lex.h"
#include <stdio.h>
#include <string.h>

static const char *const keywords[] = {
    "graph", "input", "const", "output", "opset", "tensor", "_",
    "macro", "return", "for",
    /* reserved for later: functions and includes */
    "func", "import",
};

bool ir_text_is_word_char(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
         c == ':' || c == '/' || c == '-' || c == '+';
}

bool ir_text_is_keyword(const char *s, size_t n) {
  for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
    if (strlen(keywords[i]) == n && memcmp(keywords[i], s, n) == 0) return true;
  return false;
}

bool ir_text_is_bare_name(const char *s, size_t n) {
  if (n == 0 || s[0] == ':' || s[n - 1] == ':') return false;
  for (size_t i = 0; i < n; i++)
    if (!ir_text_is_word_char((unsigned char)s[i]) || s[i] == '+' || (s[i] == '.' && i + 1 < n && s[i + 1] == '.'))
      return false;
  return !ir_text_is_keyword(s, n);
}

bool ir_text_is_int_literal(const char *s, size_t n) {
  size_t i = 0;
  if (n && (s[0] == '-' || s[0] == '+')) i++;
  if (i == n) return false;
  for (; i < n; i++)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

static bool digits(const char *s, size_t n, size_t *i) {
  size_t st = *i;
  while (*i < n && s[*i] >= '0' && s[*i] <= '9') (*i)++;
  return *i > st;
}

bool ir_text_is_float_literal(const char *s, size_t n) {
  size_t i = 0;
  if (n && (s[0] == '-' || s[0] == '+')) i++;
  if (n - i == 3 && (memcmp(s + i, "inf", 3) == 0 || memcmp(s + i, "nan", 3) == 0)) return true;
  bool mant = digits(s, n, &i);
  if (i < n && s[i] == '.') {
    i++;
    mant |= digits(s, n, &i);
  }
  if (!mant) return false;
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    i++;
    if (i < n && (s[i] == '-' || s[i] == '+')) i++;
    if (!digits(s, n, &i)) return false;
  }
  return i == n;
}

void ir_lex_init(ir_lexer *lx, const char *text) {
  memset(lx, 0, sizeof *lx);
  lx->p = text ? text : "";
  lx->line_start = lx->p;
  lx->line = 1;
}

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static ir_token lex_error(ir_lexer *lx, ir_token t, const char *msg, int ch) {
  t.kind = IR_TK_ERROR;
  if (ch < 0) snprintf(lx->err, sizeof lx->err, "%s", msg);
  else if (ch > 32 && ch < 127) snprintf(lx->err, sizeof lx->err, "%s '%c'", msg, ch);
  else snprintf(lx->err, sizeof lx->err, "%s (byte 0x%02x)", msg, ch);
  return t;
}

static bool ident_char(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* `$name` or `$( ... )`; an expression may span lines. */
static ir_token lex_dollar(ir_lexer *lx, ir_token t) {
  const char *p = t.start, *q = p + 1;
  if (*q == '(') {
    int depth = 0;
    for (;; q++) {
      if (*q == 0) {
        lx->p = q;
        return lex_error(lx, t, "unterminated $( expression", -1);
      }
      if (*q == '\n') {
        lx->line++;
        lx->line_start = q + 1;
      }
      if (*q == '(') depth++;
      else if (*q == ')' && --depth == 0) break;
    }
    t.kind = IR_TK_EXPR;
    t.len = (size_t)(q + 1 - p);
    lx->p = q + 1;
    return t;
  }
  if (!ident_char((unsigned char)*q) || (*q >= '0' && *q <= '9')) {
    lx->p = p;
    return lex_error(lx, t, "expected a parameter name or '(' after '$'", -1);
  }
  while (ident_char((unsigned char)*q)) q++;
  t.kind = IR_TK_REF;
  t.len = (size_t)(q - p);
  lx->p = q;
  return t;
}

ir_token ir_lex_next(ir_lexer *lx) {
  ir_token t = {0};
  const char *p = lx->p;
  for (;;) { /* whitespace and comments */
    if (*p == '\n') {
      p++;
      lx->line++;
      lx->line_start = p;
    } else if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\f' || *p == '\v') p++;
    else if (*p == '#') {
      while (*p && *p != '\n') p++;
    } else break;
  }
  t.start = p;
  t.line = lx->line;
  t.col = (int)(p - lx->line_start) + 1;
  unsigned char c = (unsigned char)*p;
  if (c == 0) {
    t.kind = IR_TK_EOF;
    lx->p = p;
    return t;
  }
  if (c == '.' && p[1] == '.') {
    t.kind = IR_TK_DOTDOT;
    t.len = 2;
    lx->p = p + 2;
    return t;
  }
  if (ir_text_is_word_char(c) && c != ':') {
    const char *q = p;
    while (ir_text_is_word_char((unsigned char)*q)) {
      if (*q == ':' && !ir_text_is_word_char((unsigned char)q[1])) break;
      if (*q == '.' && q[1] == '.') break;
      q++;
    }
    t.kind = IR_TK_WORD;
    t.len = (size_t)(q - p);
    lx->p = q;
    return t;
  }
  if (c == '"') {
    const char *q = p + 1;
    for (;;) {
      unsigned char d = (unsigned char)*q;
      if (d == 0 || d == '\n') {
        lx->p = q;
        return lex_error(lx, t, "unterminated string", -1);
      }
      if (d == '"') break;
      if (d == '\\') {
        unsigned char e = (unsigned char)q[1];
        if (e == 'x') {
          if (hexval((unsigned char)q[2]) < 0 || hexval((unsigned char)q[3]) < 0) {
            t.col = (int)(q - lx->line_start) + 1;
            lx->p = q;
            return lex_error(lx, t, "bad \\x escape in string: needs two hex digits", -1);
          }
          q += 4;
        } else if (e == '"' || e == '\\' || e == 'n' || e == 't' || e == 'r' || e == '0') {
          q += 2;
        } else {
          t.col = (int)(q - lx->line_start) + 1;
          lx->p = q;
          return lex_error(lx, t, "unknown escape in string", e ? e : -1);
        }
      } else q++;
    }
    t.kind = IR_TK_STRING;
    t.start = p + 1;
    t.len = (size_t)(q - (p + 1));
    lx->p = q + 1;
    return t;
  }
  if (c == '$') return lex_dollar(lx, t);
  static const char punct[] = "{}()[],=:?*;";
  static const ir_tok_kind kinds[] = {IR_TK_LBRACE, IR_TK_RBRACE, IR_TK_LPAREN, IR_TK_RPAREN,
                                      IR_TK_LBRACK, IR_TK_RBRACK, IR_TK_COMMA,  IR_TK_EQ,
                                      IR_TK_COLON,  IR_TK_QUEST,  IR_TK_STAR,   IR_TK_SEMI};
  const char *hit = strchr(punct, c);
  if (hit) {
    t.kind = kinds[hit - punct];
    t.len = 1;
    lx->p = p + 1;
    return t;
  }
  lx->p = p;
  return lex_error(lx, t, "unexpected character", c);
}

size_t ir_lex_unescape(const char *raw, size_t len, char *out) {
  size_t o = 0;
  for (size_t i = 0; i < len;) {
    if (raw[i] != '\\' || i + 1 >= len) {
      out[o++] = raw[i++];
      continue;
    }
    char e = raw[i + 1];
    if (e == 'x' && i + 3 < len) {
      out[o++] = (char)(hexval((unsigned char)raw[i + 2]) * 16 + hexval((unsigned char)raw[i + 3]));
      i += 4;
      continue;
    }
    out[o++] = e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e == '0' ? '\0' : e;
    i += 2;
  }
  return o;
}

const char *ir_tok_kind_name(ir_tok_kind k) {
  static const char *const names[] = {"end of input", "word", "string", "'{'", "'}'", "'('",
                                      "')'", "'['", "']'", "','", "'='", "':'", "'?'", "'*'",
                                      "';'", "'..'", "$parameter", "$( expression )", "invalid token"};
  return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "token";
}
