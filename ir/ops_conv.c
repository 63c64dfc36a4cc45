/* ops_conv.c — STUB: to be replaced by the real implementation. */
#include "ops_impl.h"

const dlc_attr_schema dlc_attrs_conv[] = {{NULL}};
bool dlc_infer_conv(dlc_op_ctx *c) { return dlc_op_error(c, "not implemented"); }
bool dlc_ref_conv(dlc_op_ctx *c) { return dlc_op_error(c, "not implemented"); }
int64_t dlc_macs_conv(const dlc_op_ctx *c) { (void)c; return 0; }
const dlc_attr_schema dlc_attrs_conv_transpose[] = {{NULL}};
bool dlc_infer_conv_transpose(dlc_op_ctx *c) { return dlc_op_error(c, "not implemented"); }
bool dlc_ref_conv_transpose(dlc_op_ctx *c) { return dlc_op_error(c, "not implemented"); }
int64_t dlc_macs_conv_transpose(const dlc_op_ctx *c) { (void)c; return 0; }
const dlc_attr_schema dlc_attrs_max_pool[] = {{NULL}};
bool dlc_infer_pool(dlc_op_ctx *c) { return dlc_op_error(c, "not implemented"); }
bool dlc_ref_max_pool(dlc_op_ctx *c) { return dlc_op_error(c, "not implemented"); }
const dlc_attr_schema dlc_attrs_average_pool[] = {{NULL}};
bool dlc_ref_average_pool(dlc_op_ctx *c) { return dlc_op_error(c, "not implemented"); }
bool dlc_infer_global_pool(dlc_op_ctx *c) { return dlc_op_error(c, "not implemented"); }
bool dlc_ref_global_average_pool(dlc_op_ctx *c) { return dlc_op_error(c, "not implemented"); }
bool dlc_ref_global_max_pool(dlc_op_ctx *c) { return dlc_op_error(c, "not implemented"); }
const dlc_attr_schema dlc_attrs_pad[] = {{NULL}};
bool dlc_infer_pad(dlc_op_ctx *c) { return dlc_op_error(c, "not implemented"); }
bool dlc_ref_pad(dlc_op_ctx *c) { return dlc_op_error(c, "not implemented"); }
const dlc_attr_schema dlc_attrs_resize[] = {{NULL}};
bool dlc_infer_resize(dlc_op_ctx *c) { return dlc_op_error(c, "not implemented"); }
bool dlc_ref_resize(dlc_op_ctx *c) { return dlc_op_error(c, "not implemented"); }
