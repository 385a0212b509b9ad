/* custom_op.c: user functions for ONNX ops kiln does not know. A node of op
 * Custom carries the ONNX op type (attribute op_type), the library that
 * defines the function (library; only the JIT and the reference executor load
 * it) and the function's declared signature (signature), e.g.
 *     void my_swish(in0, numel(in0), out0, attr_f(beta))
 * The signature says what kiln passes, in order:
 *     inK / outK        data pointer of input / output K (const T * / T *)
 *     numel(inK|outK)   element count (int64_t)
 *     dim(inK|outK, D)  size of dim D (int64_t)
 *     attr_i(NAME)      an int attribute of the node (int64_t)
 *     attr_f(NAME)      a float attribute of the node (float)
 * and returns void, or int (0 = success). Every output has input 0's dtype
 * and shape. The signature is known only at run time (from the model and the
 * command line), so the reference executor calls the function through libffi
 * and the code generators emit a call of exactly that C type. Registrations
 * (`--custom-op OPTYPE=LIB:SIGNATURE`) live in the kn_ctx; the ONNX importer
 * turns a node of a registered, otherwise unknown op type into Custom. */
#include "ir.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct sig_lex {
  const char *p;
} sig_lex;

static void skip_ws(sig_lex *l) {
  while (isspace((unsigned char)*l->p)) l->p++;
}

static size_t word(sig_lex *l, char *out, size_t n) {
  skip_ws(l);
  size_t k = 0;
  while ((isalnum((unsigned char)*l->p) || *l->p == '_' || *l->p == '.' || *l->p == '-') && k + 1 < n) out[k++] = *l->p++;
  out[k] = 0;
  return k;
}

static bool punct(sig_lex *l, char c) {
  skip_ws(l);
  if (*l->p != c) return false;
  l->p++;
  return true;
}

/* "in3" / "out0" -> kind and index */
static bool io_ref(const char *w, bool *is_out, int *index) {
  const char *d = !strncmp(w, "in", 2) ? w + 2 : !strncmp(w, "out", 3) ? w + 3 : NULL;
  if (!d || !*d) return false;
  for (const char *q = d; *q; q++)
    if (!isdigit((unsigned char)*q)) return false;
  *is_out = w[0] == 'o';
  *index = atoi(d);
  return *index < 1024;
}

kn_status ir_custom_sig_parse(kn_ctx *kn, const char *text, ir_custom_sig *sig) {
  memset(sig, 0, sizeof *sig);
  sig_lex l = {text ? text : ""};
  char w[128];
  word(&l, w, sizeof w);
  if (strcmp(w, "void") != 0 && strcmp(w, "int") != 0)
    return kn_fail(kn, KN_EINVAL, "custom-op signature '%s': starts with the return type, void or int", text);
  sig->returns_int = w[0] == 'i';
  if (!word(&l, sig->symbol, sizeof sig->symbol) || !punct(&l, '('))
    return kn_fail(kn, KN_EINVAL, "custom-op signature '%s': expected SYMBOL( after the return type", text);
  while (!punct(&l, ')')) {
    if (sig->nargs && !punct(&l, ','))
      return kn_fail(kn, KN_EINVAL, "custom-op signature '%s': expected ',' or ')' after argument %d", text, sig->nargs);
    if (sig->nargs == IR_CUSTOM_MAX_ARGS)
      return kn_fail(kn, KN_ELIMIT, "custom-op signature '%s': more than %d arguments", text, IR_CUSTOM_MAX_ARGS);
    ir_custom_arg *a = &sig->args[sig->nargs++];
    bool out;
    if (!word(&l, w, sizeof w)) return kn_fail(kn, KN_EINVAL, "custom-op signature '%s': expected an argument", text);
    if (io_ref(w, &out, &a->index)) {
      a->kind = out ? IR_CARG_OUT : IR_CARG_IN;
      continue;
    }
    bool numel = !strcmp(w, "numel"), dim = !strcmp(w, "dim"), ai = !strcmp(w, "attr_i"), af = !strcmp(w, "attr_f");
    if (!numel && !dim && !ai && !af)
      return kn_fail(kn, KN_EINVAL,
                     "custom-op signature '%s': unknown argument '%s' (inK, outK, numel(inK), dim(inK, D), attr_i(NAME), "
                     "attr_f(NAME))", text, w);
    if (!punct(&l, '(')) return kn_fail(kn, KN_EINVAL, "custom-op signature '%s': expected '(' after %s", text, w);
    if (ai || af) {
      a->kind = ai ? IR_CARG_ATTR_I : IR_CARG_ATTR_F;
      if (!word(&l, a->attr, sizeof a->attr))
        return kn_fail(kn, KN_EINVAL, "custom-op signature '%s': %s needs an attribute name", text, w);
    } else {
      char r[32];
      if (!word(&l, r, sizeof r) || !io_ref(r, &out, &a->index))
        return kn_fail(kn, KN_EINVAL, "custom-op signature '%s': %s needs inK or outK", text, w);
      a->of_output = out;
      a->kind = numel ? IR_CARG_NUMEL : IR_CARG_DIM;
      if (dim) {
        char d[32];
        if (!punct(&l, ',') || !word(&l, d, sizeof d) || !isdigit((unsigned char)d[0]))
          return kn_fail(kn, KN_EINVAL, "custom-op signature '%s': dim(%s, D) needs a dim number", text, r);
        a->dim = atoi(d);
      }
    }
    if (!punct(&l, ')')) return kn_fail(kn, KN_EINVAL, "custom-op signature '%s': expected ')' after %s(...", text, w);
  }
  skip_ws(&l);
  if (*l.p) return kn_fail(kn, KN_EINVAL, "custom-op signature '%s': unexpected '%s' at the end", text, l.p);
  return KN_OK;
}

kn_status ir_infer_custom(ir_infer_ctx *c) {
  const char *text = ir_attr_str(c->node, "signature", NULL);
  if (!text) return ir_infer_fail(c, KN_EINVAL, "a Custom node needs a `signature` attribute");
  ir_custom_sig sig;
  kn_status st = ir_custom_sig_parse(c->kn, text, &sig);
  if (st != KN_OK) {
    kn_prefix(c->kn, "node %s (Custom %s): ", c->node->name, ir_attr_str(c->node, "op_type", "?"));
    return st;
  }
  if (c->nin < 1 || !c->in[0]) return ir_infer_fail(c, KN_EINVAL, "a custom op needs input 0 (its outputs are like it)");
  for (int i = 0; i < sig.nargs; i++) {
    const ir_custom_arg *a = &sig.args[i];
    bool out = a->kind == IR_CARG_OUT || ((a->kind == IR_CARG_NUMEL || a->kind == IR_CARG_DIM) && a->of_output);
    if (a->kind == IR_CARG_ATTR_I || a->kind == IR_CARG_ATTR_F) {
      const ir_attr *at = ir_attr_get(c->node, a->attr);
      if (!at || at->kind != (a->kind == IR_CARG_ATTR_I ? IR_ATTR_INT : IR_ATTR_FLOAT))
        return ir_infer_fail(c, KN_EINVAL, "the signature passes %s attribute '%s', which the node does not have",
                             a->kind == IR_CARG_ATTR_I ? "int" : "float", a->attr);
      continue;
    }
    if (a->index >= (out ? c->nout : c->nin) || (!out && !c->in[a->index]))
      return ir_infer_fail(c, KN_EINVAL, "the signature passes %s%d, but the node has %d %s", out ? "out" : "in",
                           a->index, out ? c->nout : c->nin, out ? "outputs" : "inputs");
    const ir_type *t = out ? c->in[0] : c->in[a->index];
    if (a->kind == IR_CARG_DIM && t->rank >= 0 && a->dim >= t->rank)
      return ir_infer_fail(c, KN_EINVAL, "the signature passes dim %d of a rank-%d tensor", a->dim, t->rank);
  }
  for (int k = 0; k < c->nout; k++) c->out[k] = *c->in[0];
  return KN_OK;
}

/* ---- registrations: OPTYPE=LIBRARY:SIGNATURE ---- */
typedef struct custom_reg {
  char *op_type, *library, *signature;
} custom_reg;
struct ir_custom_ops {
  custom_reg *regs;
  int32_t n;
};

ir_custom_ops *ir_custom_ops_new(void) { return calloc(1, sizeof(ir_custom_ops)); }

kn_status ir_custom_register(kn_ctx *kn, ir_custom_ops *r, const char *spec) {
  const char *eq = strchr(spec, '='), *paren = strchr(spec, '(');
  /* the library ends at the last ':' before the signature's '(' */
  const char *colon = NULL;
  for (const char *p = eq ? eq + 1 : spec; paren && p < paren; p++)
    if (*p == ':') colon = p;
  if (!eq || eq == spec || !paren || !colon)
    return kn_fail(kn, KN_EINVAL, "--custom-op wants OPTYPE=LIBRARY:RET SYMBOL(ARGS), got '%s'", spec);
  char *type = strndup(spec, (size_t)(eq - spec)), *lib = strndup(eq + 1, (size_t)(colon - eq - 1)),
       *sigtext = strdup(colon + 1);
  ir_custom_sig sig;
  kn_status st = type && lib && sigtext ? ir_custom_sig_parse(kn, sigtext, &sig) : kn_fail(kn, KN_ENOMEM, "out of memory");
  if (st == KN_OK && ir_op_from_name(type) >= 0)
    st = kn_fail(kn, KN_EINVAL, "--custom-op %s: kiln implements %s itself", type, type);
  custom_reg *regs = st == KN_OK ? realloc(r->regs, sizeof *regs * (size_t)(r->n + 1)) : NULL;
  if (st == KN_OK && !regs) st = kn_fail(kn, KN_ENOMEM, "out of memory");
  if (st != KN_OK) {
    free(type), free(lib), free(sigtext);
    return st;
  }
  r->regs = regs;
  regs[r->n++] = (custom_reg){type, lib, sigtext};
  return KN_OK;
}

static const custom_reg *find(const ir_custom_ops *r, const char *op_type) {
  for (int32_t i = 0; r && i < r->n; i++)
    if (!strcmp(r->regs[i].op_type, op_type)) return &r->regs[i];
  return NULL;
}

kn_status ir_custom_make_node(ir_graph *g, ir_node *n, const ir_custom_ops *r, const char *op_type) {
  const custom_reg *c = find(r, op_type);
  if (!c) return KN_EUNSUPPORTED;
  KN_TRY(ir_attr_set_string(g, n, "op_type", c->op_type, strlen(c->op_type)));
  KN_TRY(ir_attr_set_string(g, n, "library", c->library, strlen(c->library)));
  return ir_attr_set_string(g, n, "signature", c->signature, strlen(c->signature));
}

bool ir_custom_registered(const ir_custom_ops *r, const char *op_type) { return find(r, op_type) != NULL; }

void ir_custom_ops_free(ir_custom_ops *r) {
  if (!r) return;
  for (int32_t i = 0; i < r->n; i++) {
    free(r->regs[i].op_type);
    free(r->regs[i].library);
    free(r->regs[i].signature);
  }
  free(r->regs);
  free(r);
}
