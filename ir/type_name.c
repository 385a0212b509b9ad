/* type_name.c: a type as text for messages ("f32[1, seq, 77]", "?" where
 * unknown), bounded by the caller's buffer. The text IR's printer has its own
 * canonical form (quoted names); this one is for errors and reports, which the
 * core, the passes and codegen write without the text library. */
#include "ir.h"
#include <stdio.h>
#include <string.h>

static void put(char *buf, size_t n, size_t *len, const char *s) {
  size_t l = strlen(s);
  for (size_t i = 0; i < l && *len + 1 < n; i++) buf[(*len)++] = s[i];
  if (n) buf[*len < n ? *len : n - 1] = 0;
}

void ir_print_type(char *buf, size_t n, const ir_graph *g, const ir_type *t) {
  size_t len = 0;
  if (n) buf[0] = 0;
  if (t->dtype == KN_UNDEF && t->rank < 0) {
    put(buf, n, &len, "?");
    return;
  }
  put(buf, n, &len, t->dtype == KN_UNDEF ? "?" : kn_dtype_short(t->dtype));
  if (t->rank < 0) {
    put(buf, n, &len, "[*]");
    return;
  }
  put(buf, n, &len, "[");
  int r = t->rank > KN_MAX_RANK ? KN_MAX_RANK : t->rank;
  for (int i = 0; i < r; i++) {
    char d[32];
    const char *nm = t->dims[i] < 0 && g ? ir_sym_name(g, IR_SYM_ID(t->dims[i])) : NULL;
    if (t->dims[i] >= 0) snprintf(d, sizeof d, "%lld", (long long)t->dims[i]);
    if (i) put(buf, n, &len, ", ");
    put(buf, n, &len, t->dims[i] >= 0 ? d : nm ? nm : "?");
  }
  put(buf, n, &len, "]");
}
