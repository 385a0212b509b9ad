/* cg_lower_custom.c: a Custom node (ir/custom_op.c) becomes a direct call of the
 * user's function with the C type its signature declares: data pointers,
 * element counts and dims (constants: shapes are static here), attribute
 * values. The JIT resolves the function now (ref_custom_function) and defines
 * its symbol at that address when it links; an AOT artifact keeps it an
 * external symbol that the user's link provides (libraries named by the nodes
 * are added to a --emit so link). A function returning int signals failure
 * with a nonzero value: the JIT then runs the node on its reference kernel,
 * which calls the function again and reports the error; an artifact returns
 * KN_EINVAL. */
#include "cg_internal.h"
#include <stdlib.h>
#include <string.h>

static kn_status note_function(cg_ctx *c, const ir_node *n, const ir_custom_sig *sig) {
  cg_model *m = c->model;
  for (int32_t i = 0; i < m->ncustom; i++)
    if (!strcmp(m->custom[i].symbol, sig->symbol)) return KN_OK;
  void (*addr)(void) = NULL;
  if (!c->aot) KN_TRY(ref_custom_function(c->kn, n, sig, &addr));
  cg_custom_fn *nc = realloc(m->custom, sizeof *nc * (size_t)(m->ncustom + 1));
  if (!nc) return kn_fail(c->kn, KN_ENOMEM, "out of memory");
  m->custom = nc;
  cg_custom_fn *f = &m->custom[m->ncustom++];
  memset(f, 0, sizeof *f);
  snprintf(f->symbol, sizeof f->symbol, "%s", sig->symbol);
  f->library = ir_attr_str(n, "library", "");
  f->addr = addr;
  return KN_OK;
}

kn_status cg_lower_custom(cg_ctx *c, const ir_node *n) {
  ir_custom_sig sig;
  KN_TRY(ir_custom_sig_parse(c->kn, ir_attr_str(n, "signature", ""), &sig));
  LLVMValueRef existing = LLVMGetNamedFunction(c->m, sig.symbol);
  if (existing && !LLVMIsDeclaration(existing))
    return kn_fail(c->kn, KN_EINVAL, "node %s (Custom): the function name %s is taken by kiln's own code", n->name,
                   sig.symbol);
  KN_TRY(note_function(c, n, &sig));
  LLVMTypeRef pt[IR_CUSTOM_MAX_ARGS];
  LLVMValueRef args[IR_CUSTOM_MAX_ARGS];
  for (int i = 0; i < sig.nargs; i++) {
    const ir_custom_arg *a = &sig.args[i];
    ir_id v = a->kind == IR_CARG_OUT || a->of_output ? n->out[a->index] : n->in[a->index];
    const ir_type *t = &c->g->values[v].type;
    pt[i] = c->i64;
    switch (a->kind) {
    case IR_CARG_IN:
    case IR_CARG_OUT:
      pt[i] = c->ptr;
      args[i] = cg_value_ptr(c, v);
      break;
    case IR_CARG_NUMEL: args[i] = cg_i64(c, kn_dims_numel(t->rank, t->dims)); break;
    case IR_CARG_DIM: args[i] = cg_i64(c, a->dim < t->rank ? t->dims[a->dim] : 1); break;
    case IR_CARG_ATTR_I: args[i] = cg_i64(c, ir_attr_int(n, a->attr, 0)); break;
    case IR_CARG_ATTR_F:
      pt[i] = c->f32;
      args[i] = cg_f32(c, ir_attr_float(n, a->attr, 0.0f));
      break;
    }
  }
  LLVMTypeRef fty = LLVMFunctionType(sig.returns_int ? c->i32 : c->void_t, pt, (unsigned)sig.nargs, 0);
  LLVMValueRef fn = existing ? existing : LLVMAddFunction(c->m, sig.symbol, fty);
  LLVMValueRef r = LLVMBuildCall2(c->b, fty, fn, args, (unsigned)sig.nargs, "");
  if (!sig.returns_int) return KN_OK;
  LLVMBasicBlockRef bad = LLVMAppendBasicBlockInContext(c->c, c->entry, "custom_failed");
  LLVMBasicBlockRef next = LLVMAppendBasicBlockInContext(c->c, c->entry, "next");
  LLVMBuildCondBr(c->b, LLVMBuildICmp(c->b, LLVMIntNE, r, cg_i32(c, 0), ""), bad, next);
  LLVMPositionBuilderAtEnd(c->b, bad);
  LLVMValueRef fb = LLVMGetNamedFunction(c->m, CG_FALLBACK_NAME);
  if (fb) { /* the reference kernel calls it again and says what failed */
    LLVMValueRef fargs[2] = {c->rt, cg_i32(c, c->node)};
    LLVMValueRef st = LLVMBuildCall2(c->b, LLVMGlobalGetValueType(fb), fb, fargs, 2, "");
    LLVMValueRef failed = LLVMBuildICmp(c->b, LLVMIntNE, st, cg_i32(c, 0), "");
    LLVMBuildRet(c->b, LLVMBuildSelect(c->b, failed, st, cg_i32(c, KN_EINVAL), ""));
  } else {
    LLVMBuildRet(c->b, cg_i32(c, KN_EINVAL));
  }
  LLVMPositionBuilderAtEnd(c->b, next);
  return KN_OK;
}
