/* optable.c — the operator table built from ops.def, and lookups on it. */
#include <string.h>

#include "ops_impl.h"

const dlc_attr_schema dlc_attrs_none[] = {{.name = NULL}};

/* The MAC counter of operators that do no multiply-adds worth counting. */
int64_t dlc_macs_zero(const dlc_op_ctx *c) {
  (void)c;
  return 0;
}

static const dlc_op_info op_table[] = {
#define DLC_OP(id, name, domain, min_in, max_in, min_out, max_out, flags,    \
               attrs, infer, macs, kernel)                                    \
  {DLC_OP_##id, name, domain, min_in, max_in, min_out, max_out, flags, attrs, \
   infer, macs, kernel},
#include "ops.def"
#undef DLC_OP
};

_Static_assert(sizeof(op_table) / sizeof(op_table[0]) == DLC_OP_COUNT_,
               "op_table out of step with ops.def");

const dlc_op_info *dlc_op_get_info(dlc_op op) {
  DLC_ASSERT(op >= 0 && op < DLC_OP_COUNT_);
  return &op_table[op];
}

int dlc_op_count(void) { return DLC_OP_COUNT_; }

bool dlc_op_is_view(dlc_op op) {
  return dlc_op_get_info(op)->flags & DLC_OPF_VIEW;
}

dlc_op dlc_op_from_name(const char *name, const char *domain) {
  if (!domain)
    domain = "";
  for (int i = 0; i < DLC_OP_COUNT_; i++)
    if (strcmp(op_table[i].name, name) == 0 &&
        strcmp(op_table[i].domain, domain) == 0)
      return (dlc_op)i;
  return DLC_OP_UNKNOWN;
}

const char *dlc_op_name(dlc_op op) {
  if (op < 0 || op >= DLC_OP_COUNT_)
    return "?";
  return op_table[op].name;
}

const dlc_attr_schema *dlc_op_find_attr_schema(dlc_op op, const char *name) {
  for (const dlc_attr_schema *s = dlc_op_get_info(op)->attrs; s->name; s++)
    if (strcmp(s->name, name) == 0)
      return s;
  return NULL;
}
