/* ops.c: the op table generated from ops.def. */
#include "ir.h"
#include <string.h>

const ir_op_info ir_op_table[IR_OP_COUNT] = {
#define OP(name, mi, ma, mo, mao, inf) {#name, mi, ma, mo, mao},
#include "ops.def"
#undef OP
};

int ir_op_from_name(const char *name) {
  for (int i = 0; i < IR_OP_COUNT; i++)
    if (strcmp(ir_op_table[i].name, name) == 0) return i;
  return -1;
}
