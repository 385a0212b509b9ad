/* cg_internal.h: declarations shared by the files of codegen/ that build and
 * run the entry function (not needed by lowerings). */
#ifndef KILN_CG_INTERNAL_H
#define KILN_CG_INTERNAL_H

#include "cg.h"

#define CG_ENTRY_NAME "kiln_main"
#define CG_FALLBACK_NAME "kiln_fallback"
#define CG_PARALLEL_NAME "kiln_parallel_for"

/* cg_lower.c: emits the entry function into c->m (c->b, types, loc set). */
kn_status cg_build_entry(cg_ctx *c, cg_stats *st);

#endif
