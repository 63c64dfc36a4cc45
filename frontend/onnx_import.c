/* onnx_import.c — `dlc import`: converts an ONNX model into a dlc-graph JSON
 * file (weights in a .bin beside it), through the graph IR: the ONNX reader
 * builds and checks the graph, the JSON writer writes it. */
#include "frontend/onnx_impl.h"

dlc_status dlc_onnx_import(const char *onnx_path, const char *json_path,
                           const dlc_load_limits *limits, dlc_diag *d) {
  dlc_graph *g = NULL;
  dlc_status st = dlc_fe_onnx_read_file(onnx_path, limits, &g, d);
  if (st != DLC_OK)
    return st;
  st = dlc_json_write_file(g, json_path, NULL, d);
  dlc_graph_destroy(g);
  return st;
}
