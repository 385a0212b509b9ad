/* llvm_kit.c: the LLVM building blocks every lowering that generates its own
 * functions uses (declared in cg.h): a new internal function with a builder
 * of its own, counted and ranged loops with loop-carried values, and typed
 * addressing, loads and stores that always state their alignment.
 *
 * One kit rather than one per family (the GEMM, the vector row kernels and
 * the data-movement copies each had their own) so that a loop or an access
 * means the same thing in every generated function: the exit test, the
 * wrap flags of the induction variable and the alignment LLVM is told are
 * chosen here once. Alignment is never left to LLVM's default, which is the
 * type's natural alignment: a <16 x float> access would claim 64 bytes that
 * a graph input does not have. Each generated function gets its own builder,
 * so making one never moves the builder of the function being lowered. */
#include "cg.h"
#include <stdio.h>
#include <string.h>

/* ---- functions ---- */
static void add_fn_attr(cg_ctx *c, LLVMValueRef fn, const char *name) {
  unsigned kind = LLVMGetEnumAttributeKindForName(name, strlen(name));
  LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(c->c, kind, 0));
}

LLVMValueRef cg_fn_begin(cg_ctx *c, const char *name, const LLVMTypeRef *params, int n, unsigned flags,
                         LLVMBuilderRef *b) {
  LLVMValueRef fn =
      LLVMAddFunction(c->m, name, LLVMFunctionType(c->void_t, (LLVMTypeRef *)params, (unsigned)n, 0));
  LLVMSetLinkage(fn, LLVMInternalLinkage);
  if (flags & CG_FN_NOINLINE) {
    add_fn_attr(c, fn, "nounwind");
    add_fn_attr(c, fn, "noinline");
  }
  if (flags & CG_FN_NOALIAS) {
    unsigned kind = LLVMGetEnumAttributeKindForName("noalias", 7);
    for (unsigned i = 1; i <= (unsigned)n; i++) LLVMAddAttributeAtIndex(fn, i, LLVMCreateEnumAttribute(c->c, kind, 0));
  }
  *b = LLVMCreateBuilderInContext(c->c);
  LLVMPositionBuilderAtEnd(*b, LLVMAppendBasicBlockInContext(c->c, fn, "entry"));
  return fn;
}

LLVMValueRef cg_fn_begin_ptrs(cg_ctx *c, const char *name, int nptr, unsigned flags, LLVMBuilderRef *b) {
  LLVMTypeRef params[CG_FN_MAX_PARAMS];
  if (nptr > CG_FN_MAX_PARAMS) nptr = CG_FN_MAX_PARAMS;
  for (int i = 0; i < nptr; i++) params[i] = c->ptr;
  return cg_fn_begin(c, name, params, nptr, flags, b);
}

LLVMValueRef cg_fn_begin_body(cg_ctx *c, const char *name, LLVMBuilderRef *b) {
  LLVMTypeRef params[3] = {c->ptr, c->i64, c->i64};
  return cg_fn_begin(c, name, params, 3, CG_FN_NOINLINE, b);
}

void cg_fn_end(LLVMBuilderRef b) {
  LLVMBuildRetVoid(b);
  LLVMDisposeBuilder(b);
}

void cg_fn_end_call(cg_ctx *c, LLVMValueRef fn, LLVMBuilderRef b, LLVMValueRef *args, unsigned n) {
  cg_fn_end(b);
  cg_call(c, fn, args, n);
}

LLVMValueRef cg_call_at(LLVMBuilderRef b, LLVMValueRef fn, LLVMValueRef *args, unsigned n) {
  return LLVMBuildCall2(b, LLVMGlobalGetValueType(fn), fn, args, n, "");
}

LLVMValueRef cg_intrinsic(cg_ctx *c, const char *name, LLVMTypeRef *types, size_t ntypes) {
  unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
  return LLVMGetIntrinsicDeclaration(c->m, id, types, ntypes);
}

/* ---- loops ----
 * A counted loop runs iv = 0 .. n-1 (n >= 1, so the body is entered
 * unguarded, the exit test at its end); a constant count of 1 emits the body
 * once, without a loop. A constant count is a known non-negative number and
 * is compared unsigned (add nuw, icmp ult); a run-time bound is an i64 value
 * and compared signed (add nsw, icmp slt), as are the bounds of a ranged
 * loop, which may run zero times and so tests before entering. */

/* Positions b in l->body (already branched to from l->pre) and starts the
 * induction variable there at first. */
static void open_body(cg_ctx *c, LLVMBuilderRef b, cg_loop *l, const char *name, LLVMValueRef first) {
  LLVMPositionBuilderAtEnd(b, l->body);
  l->iv = LLVMBuildPhi(b, c->i64, name);
  LLVMAddIncoming(l->iv, &first, &l->pre, 1);
}

void cg_loop_begin(cg_ctx *c, LLVMBuilderRef b, cg_loop *l, int64_t count, const char *name) {
  memset(l, 0, sizeof *l);
  l->count = count;
  l->pre = LLVMGetInsertBlock(b);
  if (count == 1) {
    l->iv = cg_i64(c, 0);
    return;
  }
  l->bound = cg_i64(c, count);
  l->body = LLVMAppendBasicBlockInContext(c->c, LLVMGetBasicBlockParent(l->pre), name);
  LLVMBuildBr(b, l->body);
  open_body(c, b, l, name, cg_i64(c, 0));
}

void cg_loop_begin_n(cg_ctx *c, LLVMBuilderRef b, cg_loop *l, LLVMValueRef n, const char *name) {
  memset(l, 0, sizeof *l);
  l->count = -1;
  l->bound = n;
  l->pre = LLVMGetInsertBlock(b);
  l->body = LLVMAppendBasicBlockInContext(c->c, LLVMGetBasicBlockParent(l->pre), name);
  LLVMBuildBr(b, l->body);
  open_body(c, b, l, name, cg_i64(c, 0));
}

void cg_loop_begin_range(cg_ctx *c, LLVMBuilderRef b, cg_loop *l, LLVMValueRef lo, LLVMValueRef hi,
                         const char *name) {
  memset(l, 0, sizeof *l);
  l->count = -1;
  l->range = true;
  l->bound = hi;
  l->pre = LLVMGetInsertBlock(b);
  LLVMValueRef fn = LLVMGetBasicBlockParent(l->pre);
  char ename[64];
  snprintf(ename, sizeof ename, "%.50s.done", name);
  l->body = LLVMAppendBasicBlockInContext(c->c, fn, name);
  l->exit = LLVMAppendBasicBlockInContext(c->c, fn, ename);
  LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntSLT, lo, hi, ""), l->body, l->exit);
  open_body(c, b, l, name, lo);
}

void cg_loop_carry(LLVMBuilderRef b, cg_loop *l, int nacc, const LLVMValueRef *init) {
  if (nacc > CG_LOOP_MAX_ACC) nacc = CG_LOOP_MAX_ACC;
  l->nacc = nacc;
  for (int k = 0; k < nacc; k++) {
    if (!l->body) {
      l->acc[k] = init[k];
      continue;
    }
    l->acc[k] = LLVMBuildPhi(b, LLVMTypeOf(init[k]), "acc");
    LLVMValueRef v = init[k];
    LLVMAddIncoming(l->acc[k], &v, &l->pre, 1);
  }
}

LLVMBasicBlockRef cg_loop_end(cg_ctx *c, LLVMBuilderRef b, cg_loop *l, const LLVMValueRef *next) {
  LLVMBasicBlockRef latch = LLVMGetInsertBlock(b);
  if (!l->body) {
    for (int k = 0; k < l->nacc; k++) l->acc[k] = next[k];
    return latch;
  }
  const bool sgn = l->count < 0;
  LLVMValueRef one = cg_i64(c, 1);
  LLVMValueRef ivn = sgn ? LLVMBuildNSWAdd(b, l->iv, one, "") : LLVMBuildNUWAdd(b, l->iv, one, "");
  LLVMValueRef more = LLVMBuildICmp(b, sgn ? LLVMIntSLT : LLVMIntULT, ivn, l->bound, "");
  LLVMBasicBlockRef exit = l->exit;
  if (!exit) exit = LLVMAppendBasicBlockInContext(c->c, LLVMGetBasicBlockParent(latch), "done");
  LLVMBuildCondBr(b, more, l->body, exit);
  LLVMAddIncoming(l->iv, &ivn, &latch, 1);
  for (int k = 0; k < l->nacc; k++) {
    LLVMValueRef v = next[k];
    LLVMAddIncoming(l->acc[k], &v, &latch, 1);
    l->acc[k] = next[k];
  }
  if (l->range) LLVMMoveBasicBlockAfter(exit, latch);
  LLVMPositionBuilderAtEnd(b, exit);
  return latch;
}

/* ---- addresses and memory ---- */
LLVMValueRef cg_gep(LLVMBuilderRef b, LLVMTypeRef t, LLVMValueRef p, LLVMValueRef idx) {
  return LLVMBuildGEP2(b, t, p, &idx, 1, "");
}

LLVMValueRef cg_gep_inbounds(LLVMBuilderRef b, LLVMTypeRef t, LLVMValueRef p, LLVMValueRef idx) {
  return LLVMBuildInBoundsGEP2(b, t, p, &idx, 1, "");
}

LLVMValueRef cg_load(LLVMBuilderRef b, LLVMTypeRef t, LLVMValueRef p, unsigned align) {
  LLVMValueRef v = LLVMBuildLoad2(b, t, p, "");
  LLVMSetAlignment(v, align);
  return v;
}

LLVMValueRef cg_store(LLVMBuilderRef b, LLVMValueRef v, LLVMValueRef p, unsigned align) {
  LLVMValueRef s = LLVMBuildStore(b, v, p);
  LLVMSetAlignment(s, align);
  return s;
}

LLVMValueRef cg_load_masked(cg_ctx *c, LLVMBuilderRef b, LLVMTypeRef vt, LLVMValueRef p, unsigned align,
                            LLVMValueRef mask, LLVMValueRef fill) {
  LLVMTypeRef tys[2] = {vt, c->ptr};
  LLVMValueRef fn = cg_intrinsic(c, "llvm.masked.load", tys, 2);
  LLVMValueRef args[4] = {p, cg_i32(c, (int32_t)align), mask, fill};
  return cg_call_at(b, fn, args, 4);
}

void cg_store_masked(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef v, LLVMValueRef p, unsigned align, LLVMValueRef mask) {
  LLVMTypeRef tys[2] = {LLVMTypeOf(v), c->ptr};
  LLVMValueRef fn = cg_intrinsic(c, "llvm.masked.store", tys, 2);
  LLVMValueRef args[4] = {v, p, cg_i32(c, (int32_t)align), mask};
  cg_call_at(b, fn, args, 4);
}

LLVMValueRef cg_load_slot(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef base, int64_t i) {
  return cg_load(b, c->ptr, cg_gep(b, c->ptr, base, cg_i64(c, i)), 8);
}

void cg_store_slot(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef base, int64_t i, LLVMValueRef v) {
  cg_store(b, v, cg_gep(b, c->ptr, base, cg_i64(c, i)), 8);
}
