/* cg_lower.c: builds a model's entry function. For every live node in
 * schedule order it takes what ops.def's lowering column names: generated
 * code (the op's lowering), else a call of the op's kernel (its kernel-call
 * plan, lower_kernel_call.c), each of which may decline the node (a dtype,
 * an attribute). A node both decline becomes a call to kiln_fallback(rt,
 * node), which runs the node's reference kernel on the same workspace. The
 * entry returns 0, or the first failing node's status.
 *   i32 kiln_main(ptr io, ptr ws, ptr consts, ptr rt)
 * Ahead of time (c->aot) there are no reference kernels to call back into, so
 * such a node is a compile error that names it (so is it in the JIT with
 * cg_options.no_fallback, which tests use to check what AOT builds accept). */
#include "cg_internal.h"
#include <llvm-c/Analysis.h>
#include <string.h>

/* Verifies the functions a lowering added (everything after `last`), so a
 * code generation bug is reported with the node's name instead of surfacing
 * as a module-wide verifier error or a crash in LLVM. */
static kn_status verify_new_functions(cg_ctx *c, const ir_node *n, LLVMValueRef last) {
  for (LLVMValueRef fn = last ? LLVMGetNextFunction(last) : LLVMGetFirstFunction(c->m); fn; fn = LLVMGetNextFunction(fn))
    if (!LLVMIsDeclaration(fn) && LLVMVerifyFunction(fn, LLVMReturnStatusAction) != 0)
      return kn_fail(c->kn, KN_EINTERNAL, "node %s (%s): the generated LLVM function %s does not verify", n->name,
                     ir_op_table[n->op].name, LLVMGetValueName(fn));
  return KN_OK;
}

#define L(fn) fn
#define LK(fn, plan) fn
#define K(plan) NULL
#define L0 NULL
static const cg_lower_fn lowering[IR_OP_COUNT] = {
#define OP(name, dom, since, form, pat, lower, mi, ma, mo, mao, inf) [IR_OP_##name] = lower,
#include "ops.def"
#undef OP
};
#undef L
#undef LK
#undef K
#undef L0

cg_lower_fn cg_lowering_for(ir_op op) { return (unsigned)op < IR_OP_COUNT ? lowering[op] : NULL; }

kn_status cg_build_entry(cg_ctx *c, cg_stats *st) {
  LLVMTypeRef params[4] = {c->ptr, c->ptr, c->ptr, c->ptr};
  c->entry = LLVMAddFunction(c->m, CG_ENTRY_NAME, LLVMFunctionType(c->i32, params, 4, 0));
  c->io = LLVMGetParam(c->entry, 0);
  c->ws = LLVMGetParam(c->entry, 1);
  c->consts = LLVMGetParam(c->entry, 2);
  c->rt = LLVMGetParam(c->entry, 3);
  LLVMTypeRef fbp[2] = {c->ptr, c->i32};
  LLVMTypeRef fbty = LLVMFunctionType(c->i32, fbp, 2, 0);
  LLVMValueRef fb = c->aot ? NULL : LLVMAddFunction(c->m, CG_FALLBACK_NAME, fbty);
  LLVMPositionBuilderAtEnd(c->b, LLVMAppendBasicBlockInContext(c->c, c->entry, "entry"));
  for (int32_t i = 0; i < c->g->nnodes; i++) {
    const ir_node *n = &c->g->nodes[i];
    if (n->dead) continue;
    c->node = i;
    cg_lower_fn lower = c->opt->no_lower ? NULL : cg_lowering_for(n->op);
    kc_plan_fn plan = c->opt->no_lower ? NULL : kc_plan_for(n->op);
    if (lower) {
      LLVMValueRef last = LLVMGetLastFunction(c->m);
      kn_status ls = lower(c, n);
      if (ls == KN_OK) ls = verify_new_functions(c, n, last);
      if (ls == KN_OK) {
        st->lowered_nodes++;
        continue;
      }
      if (ls != KN_EUNSUPPORTED) return ls;
    }
    if (plan) {
      kn_status ks = cg_lower_kernel_call(c, n, plan);
      if (ks == KN_OK) {
        st->kernel_call_nodes++;
        continue;
      }
      if (ks != KN_EUNSUPPORTED) return ks;
    }
    if (c->aot || c->opt->no_fallback)
      return kn_fail(c->kn, KN_EUNSUPPORTED,
                     "node %s (%s): kiln has no compiled code for this node%s, so it cannot be built ahead of time "
                     "(the JIT runs it on its reference kernel)",
                     n->name, ir_op_table[n->op].name,
                     lower || plan ? " (its code generator declines these dtypes/attributes)" : "");
    /* the reference kernel for this node; stop at the first failure */
    LLVMValueRef args[2] = {c->rt, cg_i32(c, i)};
    LLVMValueRef status = LLVMBuildCall2(c->b, fbty, fb, args, 2, "status");
    LLVMBasicBlockRef fail = LLVMAppendBasicBlockInContext(c->c, c->entry, "fail");
    LLVMBasicBlockRef next = LLVMAppendBasicBlockInContext(c->c, c->entry, "next");
    LLVMBuildCondBr(c->b, LLVMBuildICmp(c->b, LLVMIntNE, status, cg_i32(c, 0), ""), fail, next);
    LLVMPositionBuilderAtEnd(c->b, fail);
    LLVMBuildRet(c->b, status);
    LLVMPositionBuilderAtEnd(c->b, next);
    st->fallback_nodes++;
    st->fallback_op[n->op] = true;
  }
  LLVMBuildRet(c->b, cg_i32(c, 0));
  return KN_OK;
}
