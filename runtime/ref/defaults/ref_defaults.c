/* ref_defaults.c: weak fallbacks for ops whose kernel or inference is not
 * written yet. They make an unimplemented op a clean, named error instead of
 * a link failure, so op families can land one at a time. A real definition
 * anywhere in the link overrides these (this archive is linked after the real ones). */
#include "ref.h"

#define OP(name, mi, ma, mo, mao, inf)                                                             \
  __attribute__((weak)) kn_status ref_exec_##name(ref_ctx *c) {                                    \
    return ref_fail(c, KN_EUNSUPPORTED, "op " #name " has no kernel in the reference executor yet"); \
  }
#include "ops.def"
#undef OP
