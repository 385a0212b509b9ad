/* fold.c: the constant-folding pass, the pass-manager face of
 * pass_fold_constants (specialize.c). */
#include "passes.h"

kn_status pass_run_fold(ir_graph *g, pass_result *r) { return pass_fold_constants(g, (int64_t)64 << 20, &r->changed); }
