/* onnx.h — the ONNX frontend: reads an ONNX model (protobuf, opsets 11 to 21
 * of the default domain) into the graph IR, normalising each operator to its
 * dlc form (ONNX opset 13 semantics; see docs/onnx.md), and converts ONNX
 * files to dlc JSON.
 *
 * Errors go to the dlc_diag as "FILE: WHERE: what", WHERE naming the node
 * (node 'Conv_3' (Conv)), initializer, graph input or output concerned. */
#ifndef DLC_ONNX_H
#define DLC_ONNX_H

#include "frontend/frontend.h"

/* Reads an ONNX model file. On success *out is a sorted graph with inferred
 * shapes (symbolic dims such as a batch "N" bound to 1 for inference; the
 * input values keep their sym[] names), verified. Weights stored as external
 * data are read from files beside the model. On failure *out is NULL and
 * every problem found is in d (d->file is set to path when it is NULL; path
 * must then outlive d's use). Free: dlc_graph_destroy. */
dlc_status dlc_onnx_read_file(const char *path, dlc_graph **out, dlc_diag *d);

/* Reads an ONNX model from memory. base_dir resolves external data
 * locations (NULL: external data is refused). */
dlc_status dlc_onnx_read_bytes(const void *bytes, size_t len,
                               const char *base_dir, dlc_graph **out,
                               dlc_diag *d);

/* Converts onnx_path to a dlc-graph JSON file at json_path; initializers
 * above 1 KiB go to a .bin file beside it (<stem>.bin, as
 * dlc_json_write_file names it). The model is read within limits (NULL:
 * the defaults, frontend.h). */
dlc_status dlc_onnx_import(const char *onnx_path, const char *json_path,
                           const dlc_load_limits *limits, dlc_diag *d);

#endif /* DLC_ONNX_H */
