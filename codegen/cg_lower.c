/* cg_lower.c: builds a model's entry function. For every live node in
 * schedule order it takes what ops.def's lowering column names: generated
 * code (the op's lowering), else a call of the op's kernel (its kernel-call
 * plan, lower_kernel_call.c), each of which may decline the node (a dtype,
 * an attribute). A node both decline becomes a call to kiln_fallback(rt,
 * node), which runs the node's reference kernel on the same workspace. The
 * entry returns 0, or the first failing node's status.
 *   i32 kiln_main(ptr io, ptr ws, ptr consts, ptr rt)
 * The nodes' code goes into part functions of the same signature, 64 nodes
 * each, which the entry calls in order: LLVM compiles many small functions in
 * linear time, one huge one in far more.
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

/* Nodes per part function: LLVM's code generation grows faster than
 * linearly with a function's size, so one entry of 100,000 nodes took
 * minutes; parts of this many nodes keep it linear. */
#define CG_NODES_PER_PART 64

/* Ends the current part (returning 0) and has the entry call it, returning
 * its status when it is not 0. */
static void end_part(cg_ctx *c, LLVMValueRef part, LLVMBuilderRef eb, LLVMValueRef main_fn) {
  LLVMBuildRet(c->b, cg_i32(c, 0));
  LLVMValueRef args[4] = {LLVMGetParam(main_fn, 0), LLVMGetParam(main_fn, 1), LLVMGetParam(main_fn, 2),
                          LLVMGetParam(main_fn, 3)};
  LLVMValueRef r = LLVMBuildCall2(eb, LLVMGlobalGetValueType(part), part, args, 4, "status");
  LLVMBasicBlockRef fail = LLVMAppendBasicBlockInContext(c->c, main_fn, "fail");
  LLVMBasicBlockRef next = LLVMAppendBasicBlockInContext(c->c, main_fn, "next");
  LLVMBuildCondBr(eb, LLVMBuildICmp(eb, LLVMIntNE, r, cg_i32(c, 0), ""), fail, next);
  LLVMPositionBuilderAtEnd(eb, fail);
  LLVMBuildRet(eb, r);
  LLVMPositionBuilderAtEnd(eb, next);
}

/* A new part function (same signature as the entry, never inlined back into
 * it); the lowerings then emit into it through c->entry/io/ws/consts/rt. */
static LLVMValueRef begin_part(cg_ctx *c, LLVMTypeRef fty, int k) {
  char name[48];
  snprintf(name, sizeof name, "kiln_part_%d", k);
  LLVMValueRef fn = LLVMAddFunction(c->m, name, fty);
  unsigned kind = LLVMGetEnumAttributeKindForName("noinline", 8);
  LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(c->c, kind, 0));
  c->entry = fn;
  c->io = LLVMGetParam(fn, 0);
  c->ws = LLVMGetParam(fn, 1);
  c->consts = LLVMGetParam(fn, 2);
  c->rt = LLVMGetParam(fn, 3);
  LLVMPositionBuilderAtEnd(c->b, LLVMAppendBasicBlockInContext(c->c, fn, "entry"));
  return fn;
}

kn_status cg_build_entry(cg_ctx *c, cg_stats *st) {
  LLVMTypeRef params[4] = {c->ptr, c->ptr, c->ptr, c->ptr};
  LLVMTypeRef fty = LLVMFunctionType(c->i32, params, 4, 0);
  LLVMValueRef main_fn = LLVMAddFunction(c->m, CG_ENTRY_NAME, fty);
  LLVMBuilderRef eb = LLVMCreateBuilderInContext(c->c);
  LLVMPositionBuilderAtEnd(eb, LLVMAppendBasicBlockInContext(c->c, main_fn, "entry"));
  LLVMTypeRef fbp[2] = {c->ptr, c->i32};
  LLVMTypeRef fbty = LLVMFunctionType(c->i32, fbp, 2, 0);
  LLVMValueRef fb = c->aot ? NULL : LLVMAddFunction(c->m, CG_FALLBACK_NAME, fbty);
  LLVMValueRef part = NULL;
  int nparts = 0, in_part = 0;
  kn_status result = KN_OK;
  for (int32_t i = 0; result == KN_OK && i < c->g->nnodes; i++) {
    const ir_node *n = &c->g->nodes[i];
    if (n->dead) continue;
    if (part && in_part == CG_NODES_PER_PART) {
      end_part(c, part, eb, main_fn);
      part = NULL;
    }
    if (!part) {
      part = begin_part(c, fty, nparts++);
      in_part = 0;
    }
    in_part++;
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
      if (ls != KN_EUNSUPPORTED) {
        result = ls;
        break;
      }
    }
    if (plan) {
      kn_status ks = cg_lower_kernel_call(c, n, plan);
      if (ks == KN_OK) {
        st->kernel_call_nodes++;
        continue;
      }
      if (ks != KN_EUNSUPPORTED) {
        result = ks;
        break;
      }
    }
    if (c->aot || c->opt->no_fallback) {
      result = kn_fail(c->kn, KN_EUNSUPPORTED,
                     "node %s (%s): kiln has no compiled code for this node%s, so it cannot be built ahead of time "
                     "(the JIT runs it on its reference kernel)",
                     n->name, ir_op_table[n->op].name,
                     lower || plan ? " (its code generator declines these dtypes/attributes)" : "");
      break;
    }
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
  if (result == KN_OK && part) end_part(c, part, eb, main_fn);
  if (result == KN_OK) LLVMBuildRet(eb, cg_i32(c, 0));
  LLVMDisposeBuilder(eb);
  return result;
}
