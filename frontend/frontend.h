/* frontend.h — the public header of dlc's frontend: reading models into the
 * graph IR (the JSON format of docs/format.md and ONNX, docs/onnx.md) and
 * writing a graph back out as JSON. Also the two small codecs the format needs
 * (base64 for inline tensor bytes, SHA-256 for buffer checksums).
 *
 * Errors are user errors: they go to the dlc_diag as "FILE: WHERE: what"
 * where WHERE is a JSON path (nodes[3].attrs.strides) or a node
 * (node 'conv1' (Conv)); malformed JSON reads "FILE:LINE:COL: what". */
#ifndef DLC_FRONTEND_H
#define DLC_FRONTEND_H

#include "ir/ir.h"

/* What a model may cost before it is read (docs/reliability.md, "Limits").
 * max_input: the model file's size in bytes (JSON and ONNX alike; ONNX
 * stops at protobuf's 2 GiB in any case). max_memory: the bytes the loaded
 * model is estimated to take (parser, graph, weights), from the file before
 * it is parsed and from each weight file before it is read. 0: no limit. */
typedef struct dlc_load_limits {
  int64_t max_input;
  int64_t max_memory;
} dlc_load_limits;

enum { DLC_DEFAULT_MAX_INPUT_LOG2 = 31 }; /* 2 GiB */

/* The defaults: 2 GiB of input, half the physical memory (sysconf; 8 GiB
 * where it cannot be read). */
void dlc_load_limits_init(dlc_load_limits *l);

/* Loads a model by file extension (.json or .onnx; others are reported as
 * "unsupported model format"). On success *out is a sorted graph with
 * inferred shapes (symbolic dims bound to 1 for inference; the input values
 * keep their sym[] names) whose sources list path and every weight file
 * read. On failure *out is NULL and every problem
 * found is in d (d->file is set by the caller or by this function to path;
 * it is borrowed, so path must outlive d's use). Free: dlc_graph_destroy. */
dlc_status dlc_frontend_load(const char *path, dlc_graph **out, dlc_diag *d);
/* The same within limits (NULL: the defaults); a model over one is refused
 * before it is parsed, naming the limit's option. */
dlc_status dlc_frontend_load_limited(const char *path,
                                     const dlc_load_limits *limits,
                                     dlc_graph **out, dlc_diag *d);
dlc_status dlc_json_read_file(const char *path, dlc_graph **out, dlc_diag *d);
/* text need not be NUL-terminated; base_dir resolves buffer uris (NULL:
 * buffers are refused). */
dlc_status dlc_json_read_string(const char *text, size_t len,
                                const char *base_dir, dlc_graph **out,
                                dlc_diag *d);

typedef struct dlc_json_write_options {
  /* initializers with more bytes go to <stem>.bin beside the JSON;
   * 0 = default 1024 */
  size_t external_threshold_bytes;
  bool inline_all; /* never write a .bin: large tensors go to data_base64 */
} dlc_json_write_options;

/* Where dlc_json_write_file puts large tensors: "dir/m.json" ->
 * "dir/m.bin" (malloc'd; free: free()). */
char *dlc_json_bin_path(const char *json_path);
/* Writes g as a dlc-graph v1 JSON file (opt may be NULL for defaults); the
 * JSON and its .bin appear together, whole, or not at all. */
dlc_status dlc_json_write_file(const dlc_graph *g, const char *path,
                               const dlc_json_write_options *opt, dlc_diag *d);

/* ------------------------------------------------------------ base64 */

/* Standard alphabet with '=' padding (RFC 4648 section 4). Returns a
 * malloc'd NUL-terminated string (free: free()). */
char *dlc_base64_encode(const void *data, size_t len);
/* Exact decoded size of a canonical base64 text, or -1 if its length or
 * padding is malformed (characters are checked by dlc_base64_decode). */
int64_t dlc_base64_decoded_size(const char *text, size_t len);
/* Decodes text into out (cap bytes). Returns false, with *bad_at set to the
 * offset of the first bad character (or len for bad length/padding), if
 * text is not canonical base64 or does not fit in cap. */
bool dlc_base64_decode(const char *text, size_t len, void *out, size_t cap,
                       size_t *out_len, size_t *bad_at);

/* ------------------------------------------------------------ SHA-256 */

typedef struct dlc_sha256 {
  uint32_t h[8];
  uint64_t total; /* bytes hashed so far */
  unsigned char block[64];
  size_t used; /* bytes waiting in block */
} dlc_sha256;

void dlc_sha256_init(dlc_sha256 *s);
void dlc_sha256_update(dlc_sha256 *s, const void *data, size_t len);
void dlc_sha256_final(dlc_sha256 *s, unsigned char digest[32]);
/* One-shot digest as 64 lowercase hex characters plus NUL into hex[65]. */
void dlc_sha256_hex(const void *data, size_t len, char hex[65]);
/* The digest of a whole file, streamed; false when it cannot be read. */
bool dlc_sha256_file(const char *path, char hex[65]);

#endif /* DLC_FRONTEND_H */
