/* lower_kernel_call.c: a node without generated code calls its op's kernel
 * from the linked kernel library (runtime/kernels/k_call.h), in the JIT and
 * in AOT builds alike. The op's plan (runtime/kcall/, named by ops.def)
 * decides everything at compile time; here the plan's params become a
 * private constant of the module (so no host address enters the code), the
 * node's buffers a pointer block, and the thunk's result a check:
 *     buf = {inputs..., outputs..., scratch}
 *     if (kk_call_<op>(&params, buf) != KK_CALL_OK) -> the node's error
 * On a bad input value the JIT calls the node's reference kernel, which
 * either reports the value in its message or (having computed the outputs
 * itself) lets the run go on; an AOT entry returns KN_EINVAL. Outputs the
 * graph does not use get scratch space, since thunks write every output. */
#include "cg_internal.h"
#include "kcall.h"

static int64_t align64(int64_t v) { return (v + 63) & ~(int64_t)63; }

/* Bytes of output k when compiled code has no place for it, else 0. */
static int64_t unplaced_output_bytes(cg_ctx *c, const ir_node *n, int k) {
  ir_id v = n->out[k];
  if (v == IR_NONE || c->loc[v].kind != CG_LOC_NONE) return 0;
  const ir_type *t = &c->g->values[v].type;
  return align64(ir_type_numel(t) * (int64_t)kn_dtype_size(t->dtype));
}

void cg_emit_bad_value_check(cg_ctx *c, LLVMValueRef is_bad) {
  LLVMBasicBlockRef bad = LLVMAppendBasicBlockInContext(c->c, c->entry, "bad_value");
  LLVMBasicBlockRef next = LLVMAppendBasicBlockInContext(c->c, c->entry, "next");
  LLVMValueRef br = LLVMBuildCondBr(c->b, is_bad, bad, next);
  /* a bad input value is the exceptional path */
  unsigned kind = LLVMGetMDKindIDInContext(c->c, "prof", 4);
  LLVMValueRef md[3] = {LLVMMDStringInContext(c->c, "branch_weights", 14), cg_i32(c, 1), cg_i32(c, 1 << 20)};
  LLVMSetMetadata(br, kind, LLVMMDNodeInContext(c->c, md, 3));
  LLVMPositionBuilderAtEnd(c->b, bad);
  LLVMValueRef fb = c->aot ? NULL : LLVMGetNamedFunction(c->m, CG_FALLBACK_NAME);
  if (!fb) {
    LLVMBuildRet(c->b, cg_i32(c, KN_EINVAL));
  } else {
    LLVMValueRef args[2] = {c->rt, cg_i32(c, c->node)};
    LLVMValueRef status = LLVMBuildCall2(c->b, LLVMGlobalGetValueType(fb), fb, args, 2, "status");
    LLVMBasicBlockRef fail = LLVMAppendBasicBlockInContext(c->c, c->entry, "fail");
    LLVMBuildCondBr(c->b, LLVMBuildICmp(c->b, LLVMIntNE, status, cg_i32(c, 0), ""), fail, next);
    LLVMPositionBuilderAtEnd(c->b, fail);
    LLVMBuildRet(c->b, status);
  }
  LLVMPositionBuilderAtEnd(c->b, next);
}

kn_status cg_lower_kernel_call(cg_ctx *c, const ir_node *n, kc_plan_fn plan) {
  kc_plan p = {0};
  kn_status st = plan(c->kn, c->g, n, &p);
  if (st != KN_OK) {
    kc_plan_free(&p);
    return st;
  }
  LLVMValueRef fn = cg_kernel(c, p.fn);
  if (!fn) {
    st = kn_fail(c->kn, KN_EUNSUPPORTED, "node %s (%s): the kernel library has no %s", n->name,
                 ir_op_table[n->op].name, p.fn);
    kc_plan_free(&p);
    return st;
  }
  /* the params: a private constant, 16-byte aligned like the structs */
  LLVMValueRef init = LLVMConstStringInContext(c->c, p.params, (unsigned)p.nparams, 1);
  char label[64];
  LLVMValueRef params = LLVMAddGlobal(c->m, LLVMTypeOf(init), cg_node_label(c, label, sizeof label));
  LLVMSetInitializer(params, init);
  LLVMSetGlobalConstant(params, 1);
  LLVMSetLinkage(params, LLVMPrivateLinkage);
  LLVMSetAlignment(params, 16);

  /* scratch: the thunk's, then a place for each output nobody reads */
  int64_t scratch = align64(p.scratch_bytes);
  for (int k = 0; k < n->nout; k++) scratch += unplaced_output_bytes(c, n, k);
  LLVMValueRef base = scratch > 0 ? cg_scratch(c, scratch) : LLVMConstNull(c->ptr);
  const int nin = kc_in_slots(n), nout = kc_out_slots(n), nbuf = nin + nout + 1;
  LLVMValueRef buf = cg_entry_alloca(c, LLVMArrayType(c->ptr, (unsigned)nbuf));
  int64_t at = align64(p.scratch_bytes);
  for (int i = 0; i < nbuf; i++) {
    LLVMValueRef v;
    if (i < nin) {
      v = i < n->nin && n->in[i] != IR_NONE ? cg_value_ptr(c, n->in[i]) : LLVMConstNull(c->ptr);
    } else if (i < nin + nout) {
      int k = i - nin;
      int64_t own = k < n->nout ? unplaced_output_bytes(c, n, k) : 0;
      if (k >= n->nout || n->out[k] == IR_NONE) v = LLVMConstNull(c->ptr);
      else if (own == 0) v = cg_value_ptr(c, n->out[k]);
      else {
        v = LLVMBuildGEP2(c->b, c->i8, base, (LLVMValueRef[]){cg_i64(c, at)}, 1, "");
        at += own;
      }
    } else {
      v = base;
    }
    LLVMValueRef slot = LLVMBuildGEP2(c->b, c->ptr, buf, (LLVMValueRef[]){cg_i64(c, i)}, 1, "");
    LLVMBuildStore(c->b, v, slot);
  }
  LLVMValueRef args[2] = {params, buf};
  LLVMValueRef result = cg_call(c, fn, args, 2);
  cg_emit_bad_value_check(c, LLVMBuildICmp(c->b, LLVMIntNE, result, cg_i64(c, KK_CALL_OK), ""));
  kc_plan_free(&p);
  return KN_OK;
}
