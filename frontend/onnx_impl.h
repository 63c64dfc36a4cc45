/* onnx_impl.h — private to the ONNX frontend (frontend/onnx_*.c): the reader
 * state and the helpers its files share. Only these files see the protobuf-c
 * types generated from onnx.proto at build time. */
#ifndef DLC_ONNX_IMPL_H
#define DLC_ONNX_IMPL_H

#include "onnx.pb-c.h"

#include "frontend/frontend_impl.h"
#include "frontend/onnx.h"

/* The default domain's opsets the reader normalises (docs/onnx.md). */
enum { DLC_ONNX_MIN_OPSET = 11, DLC_ONNX_MAX_OPSET = 21 };

typedef struct dlc_onnx_reader {
  dlc_graph *g;
  dlc_diag *d;
  const char *base_dir; /* resolves external data; NULL: refused */
  dlc_fe_budget *budget; /* --max-memory; NULL: none */
  int64_t opset;        /* of the default domain */
  int errors;
  int fresh;            /* counter behind generated names */
  /* Opset < 13 Softmax/LogSoftmax nodes: their axis means "flatten to 2-D
   * here", which equals opset 13's only on the last axis; decided once the
   * input ranks are known (dlc_onnx_fix_legacy_softmax). */
  DLC_VEC(dlc_node *) legacy_softmax;
} dlc_onnx_reader;

/* A node on its way into the graph: normalisation edits inputs and
 * attributes before dlc_graph_add_node sees it. `in` has room for
 * DLC_ONNX_EXTRA_INPUTS more inputs than the ONNX node has. */
enum { DLC_ONNX_EXTRA_INPUTS = 4 };
typedef struct dlc_onnx_node {
  const char *name;
  const char *op_type;
  dlc_op op;
  int n_in;
  dlc_value **in;
  int n_out;
  dlc_value **out;
  int n_attrs;
  dlc_attr *attrs;
} dlc_onnx_node;

void dlc_onnx_err(dlc_onnx_reader *r, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A name or string from the file made safe for a one-line message (control
 * characters become '?', long strings are cut); lives in the graph arena. */
const char *dlc_onnx_shown(dlc_onnx_reader *r, const char *s);
/* A value name derived from base that no value has yet. */
const char *dlc_onnx_fresh_name(dlc_onnx_reader *r, const char *base,
                                const char *suffix);

/* "float32", "double", "bool", ... for an ONNX TensorProto data type. */
const char *dlc_onnx_type_name(int32_t onnx_type);
/* The dlc dtype a graph input or value of this ONNX type has: bool is held
 * as uint8 (0/1); false for types dlc does not compute in. */
bool dlc_onnx_value_dtype(int32_t onnx_type, dlc_dtype *out);
/* Converts a TensorProto (raw_data, typed fields or external data) into a
 * tensor whose data lives in the graph arena. bool becomes uint8 0/1;
 * double and float16 constants become float32. Reports at `where`. */
bool dlc_onnx_load_tensor(dlc_onnx_reader *r, const Onnx__TensorProto *t,
                          const char *where, dlc_tensor *out);

/* Replaces every call of one of m's local functions in gp's node list by
 * the function's body (onnx_functions.c); gp is the reader's own copy of
 * the graph message, its new node array lives in the graph arena. */
bool dlc_onnx_inline_functions(dlc_onnx_reader *r, const Onnx__ModelProto *m,
                               Onnx__GraphProto *gp);

/* Converts the node's attributes into an arena array. */
bool dlc_onnx_convert_attrs(dlc_onnx_reader *r, const Onnx__NodeProto *np,
                            const char *where, dlc_onnx_node *nb);
/* Rewrites a node from its opset's form to dlc's (opset 13) form. */
bool dlc_onnx_normalize(dlc_onnx_reader *r, dlc_onnx_node *nb,
                        const char *where);
/* After shape inference: rewrites the legacy Softmax nodes whose axis is not
 * the last as Flatten -> Softmax -> Reshape. Sets *changed when the graph
 * must be sorted and inferred again. */
bool dlc_onnx_fix_legacy_softmax(dlc_onnx_reader *r, bool *changed);

/* Deepest nesting of messages in a protobuf encoding of type desc (1: no
 * sub-message), walking the wire format without unpacking it; limit + 1 as
 * soon as it is deeper than limit; 0 if malformed (frontend/proto_depth.c). */
int dlc_proto_depth(const ProtobufCMessageDescriptor *desc, const void *bytes,
                    size_t len, int limit);
/* The same walk, also counting the messages of type counted (in *count,
 * as far as the walk went). */
int dlc_proto_census(const ProtobufCMessageDescriptor *desc, const void *bytes,
                     size_t len, int limit,
                     const ProtobufCMessageDescriptor *counted,
                     uint64_t *count);

#endif /* DLC_ONNX_IMPL_H */
