/* exec_custom.c: Custom nodes (ir/custom_op.c) on the reference executor:
 * the user's function, found in its library with dlopen/dlsym, is called
 * through libffi, because its parameter list comes from the signature
 * attribute and is known only at run time. The JIT resolves the function here
 * too (ref_custom_function) and then calls it directly with that C type.
 * Libraries stay loaded for the life of the process: compiled code may hold
 * their function addresses. */
#include "ref.h"
#include <dlfcn.h>
#include <ffi.h>
#include <pthread.h>
#include <string.h>

static pthread_mutex_t dl_lock = PTHREAD_MUTEX_INITIALIZER;

kn_status ref_custom_function(kn_ctx *kn, const ir_node *n, const ir_custom_sig *sig, void (**fn)(void)) {
  const char *lib = ir_attr_str(n, "library", ""), *op_type = ir_attr_str(n, "op_type", "?");
  *fn = NULL;
  pthread_mutex_lock(&dl_lock);
  dlerror();
  /* no library: the function is already in the process (linked into it) */
  void *h = *lib ? dlopen(lib, RTLD_NOW | RTLD_LOCAL) : dlopen(NULL, RTLD_NOW);
  const char *why = h ? NULL : dlerror();
  void *p = h ? dlsym(h, sig->symbol) : NULL;
  if (h && !p) why = dlerror();
  pthread_mutex_unlock(&dl_lock);
  if (!h)
    return kn_fail(kn, KN_EIO, "node %s (Custom %s): cannot load %s: %s", n->name, op_type, *lib ? lib : "the process",
                   why ? why : "?");
  if (!p)
    return kn_fail(kn, KN_EINVAL, "node %s (Custom %s): %s has no function %s", n->name, op_type,
                   *lib ? lib : "the process", sig->symbol);
  *(void **)fn = p;
  return KN_OK;
}

kn_status ref_exec_Custom(ref_ctx *c) {
  ir_custom_sig sig;
  const char *op_type = ir_attr_str(c->node, "op_type", "?");
  kn_status st = ir_custom_sig_parse(c->kn, ir_attr_str(c->node, "signature", ""), &sig);
  if (st != KN_OK) return st;
  void (*fn)(void);
  KN_TRY(ref_custom_function(c->kn, c->node, &sig, &fn));
  ffi_type *types[IR_CUSTOM_MAX_ARGS];
  void *vals[IR_CUSTOM_MAX_ARGS];
  union {
    void *p;
    int64_t i;
    float f;
  } arg[IR_CUSTOM_MAX_ARGS];
  for (int i = 0; i < sig.nargs; i++) {
    const ir_custom_arg *a = &sig.args[i];
    const kn_tensor *t = a->kind == IR_CARG_OUT || a->of_output ? &c->out[a->index] : c->in[a->index];
    vals[i] = &arg[i];
    types[i] = &ffi_type_sint64;
    switch (a->kind) {
    case IR_CARG_IN:
    case IR_CARG_OUT:
      types[i] = &ffi_type_pointer;
      arg[i].p = t->data;
      break;
    case IR_CARG_NUMEL: arg[i].i = kn_tensor_numel(t); break;
    case IR_CARG_DIM: arg[i].i = a->dim < t->rank ? t->dims[a->dim] : 1; break;
    case IR_CARG_ATTR_I: arg[i].i = ir_attr_int(c->node, a->attr, 0); break;
    case IR_CARG_ATTR_F:
      types[i] = &ffi_type_float;
      arg[i].f = ir_attr_float(c->node, a->attr, 0.0f);
      break;
    }
  }
  ffi_cif cif;
  if (ffi_prep_cif(&cif, FFI_DEFAULT_ABI, (unsigned)sig.nargs, sig.returns_int ? &ffi_type_sint32 : &ffi_type_void,
                   types) != FFI_OK)
    return ref_fail(c, KN_EINTERNAL, "libffi cannot prepare the call of %s", sig.symbol);
  ffi_arg r = 0;
  ffi_call(&cif, fn, &r, vals);
  if (sig.returns_int && (int32_t)r != 0)
    return ref_fail(c, KN_EINVAL, "custom op %s: %s returned %d", op_type, sig.symbol, (int)(int32_t)r);
  return KN_OK;
}
