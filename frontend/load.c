/* load.c — the frontend's entry points by file: pick the reader from the
 * extension, read the file, and resolve buffer uris beside it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/frontend_impl.h"
#include "frontend/onnx.h"

static bool has_suffix(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

dlc_status dlc_fe_json_read_file(const char *path, const dlc_load_limits *l,
                                 dlc_graph **out, dlc_diag *d) {
  *out = NULL;
  if (d && !d->file)
    d->file = path;
  dlc_load_limits def;
  if (!l) {
    dlc_load_limits_init(&def);
    l = &def;
  }
  size_t size = 0;
  char *text = (char *)dlc_fe_read_model(path, l, &size, d);
  if (!text)
    return DLC_ERR_IO;
  /* Buffer uris are relative to the JSON file's directory. */
  const char *slash = strrchr(path, '/');
  size_t dir_len = slash ? (size_t)(slash - path) : 0;
  char *dir = malloc(dir_len + 2);
  DLC_ASSERT(dir != NULL);
  if (slash)
    memcpy(dir, path, dir_len ? dir_len : 1); /* "/x.json" -> "/" */
  else
    dir[0] = '.';
  dir[slash ? (dir_len ? dir_len : 1) : 1] = 0;
  dlc_fe_budget budget = {.limit = l->max_memory};
  dlc_status st = dlc_fe_json_read(text, size, dir, &budget, out, d);
  free(dir);
  free(text);
  return st;
}

dlc_status dlc_json_read_file(const char *path, dlc_graph **out, dlc_diag *d) {
  return dlc_fe_json_read_file(path, NULL, out, d);
}

dlc_status dlc_frontend_load_limited(const char *path,
                                     const dlc_load_limits *limits,
                                     dlc_graph **out, dlc_diag *d) {
  *out = NULL;
  if (d && !d->file)
    d->file = path;
  dlc_status st = DLC_ERR_UNSUPPORTED;
  if (has_suffix(path, ".json"))
    st = dlc_fe_json_read_file(path, limits, out, d);
  else if (has_suffix(path, ".onnx"))
    st = dlc_fe_onnx_read_file(path, limits, out, d);
  else
    dlc_diag_error(d, NULL,
                   "unsupported model format (expected a .json or .onnx file)");
  if (*out)
    dlc_graph_add_source(*out, path);
  return st;
}

dlc_status dlc_frontend_load(const char *path, dlc_graph **out, dlc_diag *d) {
  return dlc_frontend_load_limited(path, NULL, out, d);
}
