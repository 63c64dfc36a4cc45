/* test_frontend.c — the JSON frontend: hostile and malformed models (each
 * must fail with a diagnostic at the right place), valid models in every
 * data form, symbolic dims, metadata, the writer's round trip, and the
 * base64 / SHA-256 codecs against their standards' test vectors. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "frontend/frontend.h"
#include "helpers.h"

#define BAD_DIR DLC_SOURCE_DIR "/tests/bad_models/"
#define TMP_DIR DLC_BINARY_DIR "/frontend_tmp"

/* ------------------------------------------------------------ helpers */

static void print_diag(const dlc_diag *d) {
  for (size_t i = 0; i < d->messages.n; i++)
    cr_log_info("  %s", d->messages.items[i]);
}

static dlc_graph *load_string(const char *text, const char *base_dir,
                              dlc_diag *d) {
  dlc_graph *g = NULL;
  dlc_diag_init(d, "test.json");
  dlc_status st = dlc_json_read_string(text, strlen(text), base_dir, &g, d);
  if (st != DLC_OK)
    print_diag(d);
  cr_assert_eq(st, DLC_OK, "valid model refused (%d messages, see log)",
               dlc_diag_count(d));
  cr_assert_not_null(g);
  return g;
}

static void write_text(const char *path, const void *data, size_t n) {
  FILE *f = fopen(path, "wb");
  cr_assert_not_null(f, "cannot create %s", path);
  cr_assert_eq(fwrite(data, 1, n, f), n);
  fclose(f);
}

static const char *tmp_path(char *buf, size_t size, const char *name) {
  mkdir(TMP_DIR, 0755);
  snprintf(buf, size, "%s/%s", TMP_DIR, name);
  return buf;
}

static const dlc_node *find_node(const dlc_graph *g, const char *name) {
  for (size_t i = 0; i < g->nodes.n; i++)
    if (strcmp(g->nodes.items[i]->name, name) == 0)
      return g->nodes.items[i];
  return NULL;
}

/* --------------------------------------------------- hostile models */

typedef struct bad_case {
  const char *file;
  const char *expect; /* substring of some diagnostic */
} bad_case;

static bad_case bad_cases[] = {
    /* malformed JSON: FILE:LINE:COL */
    {"syntax_missing_comma.json", "syntax_missing_comma.json:4:3: malformed JSON"},
    {"empty_file.json", "empty_file.json:1:1: malformed JSON: the document is empty"},
    {"binary_garbage.json", "binary_garbage.json:1:1: malformed JSON"},
    {"trailing_garbage.json", ":2:1: malformed JSON: unexpected content after"},
    {"deep_nesting.json", "nested too deeply"},
    {"top_not_object.json", "expected a JSON object at the top level"},
    /* top level */
    {"top_unknown_key.json", "nodez: unknown key 'nodez'"},
    {"top_duplicate_key.json", "inputs: key 'inputs' given twice"},
    {"format_wrong.json", "format: expected \"dlc-graph\", got 'onnx'"},
    {"format_missing.json", "format: missing required key 'format'"},
    {"version_unknown.json", "version: unsupported version 2"},
    {"version_string.json", "version: expected the integer 1"},
    {"nodes_not_array.json", "nodes: expected an array, got an object"},
    {"nodes_missing.json", "nodes: missing required key 'nodes'"},
    {"outputs_empty.json", "outputs: the outputs list is empty"},
    {"output_undefined.json", "outputs[0].name: output 'nope' is not defined"},
    {"output_listed_twice.json", "outputs[1].name: output 'y' is listed twice"},
    {"output_unknown_key.json", "outputs[0].dtype: unknown key 'dtype'"},
    {"metadata_not_string.json", "metadata.author: expected a string"},
    {"doc_not_string.json", "doc: expected a string, got an array"},
    /* inputs */
    {"input_unknown_key.json", "inputs[0].layout: unknown key 'layout'"},
    {"input_bad_dtype.json", "inputs[0].dtype: unknown dtype 'float64'"},
    {"input_zero_dim.json", "inputs[0].shape[1]: expected a positive integer"},
    {"input_negative_dim.json", "inputs[0].shape[2]: expected a positive integer below 2^63 or a symbolic name, got -3"},
    {"input_fractional_dim.json", "inputs[0].shape[3]: expected a positive integer below 2^63 or a symbolic name, got 2.5"},
    {"input_dim_too_large.json", "inputs[0].shape[0]: expected a positive integer"},
    {"input_rank_9.json", "inputs[0].shape: rank 9 exceeds the maximum rank 8"},
    {"input_shape_overflow.json", "inputs[0].shape: the element count of this shape overflows 64 bits"},
    {"input_name_not_string.json", "inputs[0].name: expected a string, got a number"},
    {"input_empty_symbol.json", "inputs[0].shape[0]: a symbolic dimension needs a name"},
    {"input_missing_shape.json", "inputs[0].shape: missing required key 'shape'"},
    {"inputs_not_array.json", "inputs: expected an array, got an object"},
    /* initializers */
    {"init_symbolic_dim.json", "initializers[0] 'w'.shape[0]: symbolic dimension 'N' is only allowed in graph inputs"},
    {"init_data_length.json", "initializers[0] 'w'.data: data has 5 elements but shape [2, 3] needs 6"},
    {"init_nested_count.json", "initializers[0] 'w'.data[1]: expected 3 items at nesting level 1"},
    {"init_nested_not_array.json", "initializers[0] 'w'.data[1]: expected an array"},
    {"init_nested_rank1.json", "initializers[0] 'w'.data: data is nested but the tensor has rank 1"},
    {"init_nested_too_deep.json", "initializers[0] 'w'.data[0][0]: expected a number, got an array"},
    {"init_data_string.json", "initializers[0] 'w'.data[1]: expected a number, got a string"},
    {"init_int_fraction.json", "initializers[0] 'w'.data[1]: int64 needs an integer, got 2.5"},
    {"init_uint8_range.json", "initializers[0] 'w'.data[2]: 300 is out of uint8 range"},
    {"init_int8_range.json", "initializers[0] 'w'.data[0]: -129 is out of int8 range"},
    {"init_int32_range.json", "initializers[0] 'w'.data[0]: 2147483648 is out of int32 range"},
    {"init_float_range.json", "initializers[0] 'w'.data[1]: 1e+39 is out of float32 range"},
    {"init_float16_range.json", "initializers[0] 'w'.data[0]: 70000 is out of float16 range"},
    {"init_two_data_forms.json", "initializers[0] 'w': give only one of data, data_base64 or buffer"},
    {"init_no_data.json", "initializers[0] 'w': no data"},
    {"init_base64_size.json", "initializers[0] 'w'.data_base64: base64 data decodes to 3 bytes but float32 [2] needs 8"},
    {"init_base64_char.json", "initializers[0] 'w'.data_base64: invalid base64 character at offset 3"},
    {"init_base64_length.json", "initializers[0] 'w'.data_base64: invalid base64: length 5"},
    {"init_base64_not_string.json", "initializers[0] 'w'.data_base64: expected a base64 string"},
    {"init_unknown_key.json", "initializers[0].scale: unknown key 'scale'"},
    {"init_huge_shape.json", "data has 2 elements but shape [1000000000] needs 1000000000"},
    {"init_bytes_overflow.json", "initializers[0] 'w': the byte size of this tensor overflows 64 bits"},
    {"init_missing_dtype.json", "initializers[0] 'w'.dtype: missing required key 'dtype'"},
    {"init_offset_without_buffer.json", "initializers[0] 'w'.offset: offset given without buffer"},
    {"init_defined_twice.json", "initializers[0].name: value 'x' is defined twice"},
    {"init_not_object.json", "initializers[0]: expected an object, got a string"},
    /* buffers */
    {"buffer_range_outside.json", "initializers[0] 'w'.offset: bytes 16..32 are outside buffer 0 ('sixteen.bin', 16 bytes)"},
    {"buffer_huge_offset.json", "initializers[0] 'w'.offset: bytes 1000000000000000000..1000000000000000004 are outside buffer 0"},
    {"buffer_negative_offset.json", "initializers[0] 'w'.offset: -4 is out of range"},
    {"buffer_index_missing.json", "initializers[0] 'w'.buffer: buffer 3 does not exist"},
    {"buffer_claims_1gb.json", "buffers[0].byte_length: byte_length is 1073741824 but 'sixteen.bin' has 16 bytes"},
    {"buffer_sha_mismatch.json", "buffers[0].sha256: sha256 mismatch: 'sixteen.bin' hashes to be45cb2605bf36bebde684841a28f0fd43c69850a3dce5fedba69928ee3a8991"},
    {"buffer_sha_not_hex.json", "buffers[0].sha256: sha256 must be 64 hexadecimal characters"},
    {"buffer_absolute_uri.json", "buffers[0].uri: absolute uri '/etc/passwd' refused"},
    {"buffer_dotdot_uri.json", "buffers[0].uri: uri 'sub/../../sixteen.bin' refused: it contains '..'"},
    {"buffer_missing_file.json", "buffers[0].uri: cannot read"},
    {"buffer_unknown_key.json", "buffers[0].compression: unknown key 'compression'"},
    /* nodes */
    {"node_unknown_op.json", "nodes[0].op: node 'r1': unknown operator 'Convolution'"},
    {"node_unknown_dlc_op.json", "nodes[0].op: node 'r1': unknown operator 'Relu' in domain 'dlc'"},
    {"node_bad_domain.json", "nodes[0].domain: node 'r1': unknown domain 'com.microsoft'"},
    {"node_unknown_key.json", "nodes[0].input: unknown key 'input'"},
    {"node_duplicate_key.json", "nodes[0].op: key 'op' given twice"},
    {"node_unknown_attr.json", "nodes[0].attrs.alpha: operator Relu has no attribute 'alpha'"},
    {"node_attrs_not_object.json", "nodes[0].attrs: expected an object, got an array"},
    {"node_undefined_input.json", "nodes[0].inputs[0]: node 'r1' uses value 'ghost', which is never defined"},
    {"node_arity.json", "nodes[0].inputs: node 'r1' (Relu) takes 1 inputs, got 2"},
    {"node_input_not_string.json", "nodes[0].inputs[0]: expected a value name, got a number"},
    {"node_empty_output.json", "nodes[0].outputs[0]: node 'r1': output name is empty"},
    {"node_name_empty.json", "nodes[0].name: node name is empty"},
    {"node_op_not_string.json", "nodes[0].op: expected a string, got a number"},
    {"node_not_object.json", "nodes[1]: expected an object, got a number"},
    {"node_output_twice.json", "nodes[1].outputs[0]: node 'r2': value 'y' is defined twice"},
    {"node_output_is_input.json", "nodes[1].outputs[0]: node 'r2': value 'x' is defined twice"},
    {"node_name_twice.json", "nodes[1].name: node name 'r1' is used twice"},
    {"node_cycle.json", "cycle"},
    /* attributes against the operator table */
    {"attr_strides_string.json", "nodes[1].attrs.strides: attribute 'strides' must be a list of ints, got a string"},
    {"attr_int_fraction.json", "nodes[1].attrs.group: attribute 'group' must be an integer"},
    {"attr_list_item.json", "nodes[1].attrs.strides[1]: attribute 'strides' must be a list of ints"},
    {"attr_typo.json", "nodes[1].attrs.stride: operator Conv has no attribute 'stride'"},
    /* shapes an operator rejects: named by node */
    {"infer_broadcast_mismatch.json", "node 'add' (Add)"},
    /* the format: a Dropout's mask output must be unused (it was read) */
    {"dropout_mask_read.json", "node 'drop' (Dropout): its mask output "
                               "'mask' is read by node 'cast' (Cast)"},
    {"dropout_mask_output.json", "node 'drop' (Dropout): its mask output "
                                 "'mask' is a graph output"},
};

enum { N_BAD = sizeof bad_cases / sizeof bad_cases[0] };

/* The parameter is an index: Criterion may run each case in a re-executed
 * process where pointers into this one's data would be meaningless. */
ParameterizedTestParameters(frontend, bad_model) {
  static int index[N_BAD];
  for (int i = 0; i < N_BAD; i++)
    index[i] = i;
  return cr_make_param_array(int, index, N_BAD);
}

/* Every hostile model is refused, with no graph, a diagnostic at the
 * expected place, and each diagnostic one line starting with the file. */
ParameterizedTest(int *i, frontend, bad_model) {
  const bad_case *c = &bad_cases[*i];
  char path[512];
  snprintf(path, sizeof path, "%s%s", BAD_DIR, c->file);
  dlc_diag d;
  dlc_diag_init(&d, path);
  dlc_graph *g = (dlc_graph *)1;
  dlc_status st = dlc_frontend_load(path, &g, &d);
  bool found = dlc_diag_contains(&d, c->expect);
  if (!found)
    print_diag(&d);
  cr_expect_neq(st, DLC_OK, "%s: loaded but should fail", c->file);
  cr_expect_null(g, "%s: a graph was returned on failure", c->file);
  cr_expect(found, "%s: no diagnostic contains \"%s\" (%d messages, see log)",
            c->file, c->expect, dlc_diag_count(&d));
  for (size_t i = 0; i < d.messages.n; i++) {
    const char *m = d.messages.items[i];
    cr_expect(strncmp(m, path, strlen(path)) == 0 && !strchr(m, '\n'),
              "%s: message %zu is not one line starting with the file: %s",
              c->file, i, m);
  }
  dlc_graph_destroy(g);
  dlc_diag_free(&d);
}

Test(frontend, bad_model_count) {
  cr_expect_geq(N_BAD, 45, "only %d hostile models", (int)N_BAD);
}

/* Collecting, not stopping: three independent problems, three messages
 * (and no cascade: the input with a bad dtype still counts as defined). */
Test(frontend, reports_all_three_errors) {
  dlc_diag d;
  dlc_diag_init(&d, BAD_DIR "three_errors.json");
  dlc_graph *g = NULL;
  cr_assert_neq(dlc_frontend_load(BAD_DIR "three_errors.json", &g, &d), DLC_OK);
  print_diag(&d);
  cr_expect(dlc_diag_contains(&d, "inputs[0].dtype: unknown dtype 'float64'"));
  cr_expect(dlc_diag_contains(&d, "nodes[0].op: node 'r1': unknown operator 'Rleu'"));
  cr_expect(dlc_diag_contains(&d, "outputs[1].name: output 'zz' is not defined"));
  cr_expect_eq(dlc_diag_count(&d), 3, "expected 3 messages, got %d",
               dlc_diag_count(&d));
  dlc_diag_free(&d);
}

Test(frontend, unreadable_file_and_unknown_format) {
  dlc_diag d;
  dlc_graph *g = NULL;
  dlc_diag_init(&d, NULL);
  cr_expect_eq(dlc_frontend_load(BAD_DIR "no_such_model.json", &g, &d),
               DLC_ERR_IO);
  cr_expect(dlc_diag_contains(&d, "cannot read"));
  cr_expect_str_eq(d.file, BAD_DIR "no_such_model.json",
                   "d->file set from the path");
  dlc_diag_free(&d);
  dlc_diag_init(&d, "model.pb");
  cr_expect_eq(dlc_frontend_load("model.pb", &g, &d), DLC_ERR_UNSUPPORTED);
  cr_expect(dlc_diag_contains(&d, "model.pb: unsupported model format"));
  cr_expect_null(g);
  dlc_diag_free(&d);
}

Test(frontend, buffers_refused_without_base_dir) {
  static const char text[] =
      "{\"format\": \"dlc-graph\", \"version\": 1,"
      " \"buffers\": [{\"uri\": \"w.bin\", \"byte_length\": 4}],"
      " \"inputs\": [{\"name\": \"x\", \"dtype\": \"float32\", \"shape\": [1]}],"
      " \"outputs\": [{\"name\": \"x\"}], \"nodes\": []}";
  dlc_diag d;
  dlc_diag_init(&d, NULL);
  dlc_graph *g = NULL;
  cr_expect_eq(dlc_json_read_string(text, strlen(text), NULL, &g, &d),
               DLC_ERR_INVALID);
  cr_expect(dlc_diag_contains(&d, "buffers[0].uri: buffers cannot be resolved"));
  dlc_diag_free(&d);
}

/* ------------------------------------------------------ valid models */

/* x (1,1,2,2) -> Conv 1x1 (w=2, b=0.5) -> Relu -> Reshape (1,4)
 *   -> Gemm with W (4,2) nested, B (2) as base64 -> y (1,2).
 * Tensor data in all inline forms: flat `data`, nested `data`, base64. */
static const char valid_model[] =
    "{\n"
    "  \"format\": \"dlc-graph\", \"version\": 1, \"name\": \"tiny\",\n"
    "  \"doc\": \"a tiny model\",\n"
    "  \"metadata\": {\"author\": \"frontend test\", \"license\": \"MIT\"},\n"
    "  \"inputs\": [{\"name\": \"x\", \"dtype\": \"float32\", \"shape\": [1, 1, 2, 2]}],\n"
    "  \"outputs\": [{\"name\": \"y\"}],\n"
    "  \"initializers\": [\n"
    "    {\"name\": \"w\", \"dtype\": \"float32\", \"shape\": [1, 1, 1, 1], \"data\": [2]},\n"
    "    {\"name\": \"b\", \"dtype\": \"float32\", \"shape\": [1], \"data\": [0.5]},\n"
    "    {\"name\": \"shape\", \"dtype\": \"int64\", \"shape\": [2], \"data\": [1, -1]},\n"
    "    {\"name\": \"W\", \"dtype\": \"float32\", \"shape\": [4, 2],\n"
    "     \"data\": [[1, -1], [0.25, 3], [0, 0], [-2.5, 1e-3]]},\n"
    "    {\"name\": \"B\", \"dtype\": \"float32\", \"shape\": [2], \"data_base64\": \"AACAPwAAAEA=\"}\n"
    "  ],\n"
    "  \"nodes\": [\n"
    "    {\"name\": \"fc\", \"op\": \"Gemm\", \"inputs\": [\"flat\", \"W\", \"B\"],\n"
    "     \"outputs\": [\"y\"], \"attrs\": {\"alpha\": 1, \"transB\": 0}, \"doc\": \"last\"},\n"
    "    {\"name\": \"c1\", \"op\": \"Conv\", \"inputs\": [\"x\", \"w\", \"b\"],\n"
    "     \"outputs\": [\"c\"], \"attrs\": {\"kernel_shape\": [1, 1], \"strides\": [1, 1],\n"
    "     \"pads\": [0, 0, 0, 0], \"dilations\": [1, 1], \"group\": 1}},\n"
    "    {\"name\": \"r\", \"op\": \"Relu\", \"domain\": \"\", \"inputs\": [\"c\"], \"outputs\": [\"rc\"]},\n"
    "    {\"name\": \"flatten\", \"op\": \"Reshape\", \"inputs\": [\"rc\", \"shape\"], \"outputs\": [\"flat\"]}\n"
    "  ]\n"
    "}\n";

static void check_f32(const dlc_value *v, const float *want, int n) {
  cr_assert_not_null(v);
  cr_assert_eq(v->type.dtype, DLC_DT_FLOAT32, "%s: dtype", v->name);
  cr_assert_eq(dlc_tensor_numel(&v->type), n, "%s: numel", v->name);
  const float *got = v->type.data;
  for (int i = 0; i < n; i++)
    cr_expect_eq(got[i], want[i], "%s[%d]: expected %.9g, got %.9g", v->name,
                 i, want[i], got[i]);
}

Test(frontend, valid_model_inline_forms) {
  dlc_diag d;
  dlc_graph *g = load_string(valid_model, NULL, &d);
  /* sorted: the producer of every input comes first */
  for (size_t i = 0; i < g->nodes.n; i++)
    for (int k = 0; k < g->nodes.items[i]->n_inputs; k++) {
      const dlc_value *v = g->nodes.items[i]->inputs[k];
      if (v && v->producer)
        cr_expect_lt(v->producer->id, (int)i, "node %zu before its producer", i);
    }
  cr_expect_str_eq(g->nodes.items[0]->name, "c1");
  const float w[] = {2}, W[] = {1, -1, 0.25f, 3, 0, 0, -2.5f, 1e-3f},
              B[] = {1, 2};
  check_f32(dlc_graph_find_value(g, "w"), w, 1);
  check_f32(dlc_graph_find_value(g, "W"), W, 8);
  check_f32(dlc_graph_find_value(g, "B"), B, 2);
  const dlc_value *sh = dlc_graph_find_value(g, "shape");
  cr_expect_eq(((const int64_t *)sh->type.data)[1], -1);
  const dlc_value *y = dlc_graph_find_value(g, "y");
  cr_assert_eq(g->outputs.n, 1);
  cr_expect_eq(g->outputs.items[0], y);
  cr_expect(y->is_output);
  cr_expect_eq(y->type.rank, 2);
  cr_expect_eq(y->type.dims[0], 1);
  cr_expect_eq(y->type.dims[1], 2);
  const dlc_node *fc = find_node(g, "fc"), *c1 = find_node(g, "c1");
  cr_expect_eq(fc->op, DLC_OP_GEMM);
  cr_expect_eq(dlc_node_get_float(fc, "alpha"), 1.0, "integer read as float");
  cr_expect_eq(dlc_node_find_attr(fc, "alpha")->kind, DLC_ATTR_FLOAT);
  const int64_t *pads;
  cr_expect_eq(dlc_node_get_ints(c1, "pads", &pads), 4);
  cr_expect_eq(dlc_node_get_int(c1, "group"), 1);
  dlc_graph_destroy(g);
  dlc_diag_free(&d);
}

Test(frontend, metadata_and_docs_carried) {
  dlc_diag d;
  dlc_graph *g = load_string(valid_model, NULL, &d);
  cr_expect_str_eq(g->name, "tiny");
  cr_expect_str_eq(g->doc, "a tiny model");
  cr_assert_eq(g->metadata.n, 4);
  cr_expect_str_eq(g->metadata.items[0], "author");
  cr_expect_str_eq(g->metadata.items[1], "frontend test");
  cr_expect_str_eq(g->metadata.items[2], "license");
  cr_expect_str_eq(g->metadata.items[3], "MIT");
  cr_expect_str_eq(find_node(g, "fc")->doc, "last");
  cr_expect_null(find_node(g, "c1")->doc);
  dlc_graph_destroy(g);
  dlc_diag_free(&d);
}

/* The text argument need not be NUL-terminated: only len bytes count. */
Test(frontend, read_string_respects_length) {
  size_t n = strlen(valid_model);
  char *text = malloc(n + 8);
  memcpy(text, valid_model, n);
  memcpy(text + n, "garbage", 7); /* no NUL at all */
  dlc_diag d;
  dlc_diag_init(&d, NULL);
  dlc_graph *g = NULL;
  cr_expect_eq(dlc_json_read_string(text, n, NULL, &g, &d), DLC_OK);
  dlc_graph_destroy(g);
  cr_expect_neq(dlc_json_read_string(text, n + 7, NULL, &g, &d), DLC_OK);
  cr_expect(dlc_diag_contains(&d, "<string>:"), "location without a file");
  cr_expect(dlc_diag_contains(&d, "unexpected content after the document"));
  free(text);
  dlc_diag_free(&d);
}

Test(frontend, symbolic_dims) {
  static const char text[] =
      "{\"format\": \"dlc-graph\", \"version\": 1,"
      " \"inputs\": [{\"name\": \"x\", \"dtype\": \"float32\", \"shape\": [\"N\", 3, \"H\"]}],"
      " \"outputs\": [{\"name\": \"y\"}],"
      " \"nodes\": [{\"name\": \"r\", \"op\": \"Relu\", \"inputs\": [\"x\"], \"outputs\": [\"y\"]}]}";
  dlc_diag d;
  dlc_graph *g = load_string(text, NULL, &d);
  const dlc_value *x = g->inputs.items[0];
  cr_expect_eq(x->kind, DLC_VALUE_INPUT);
  cr_expect_eq(x->type.rank, 3);
  cr_expect_str_eq(x->sym[0], "N");
  cr_expect_null(x->sym[1]);
  cr_expect_str_eq(x->sym[2], "H");
  cr_expect_eq(x->type.dims[0], 1, "symbolic dims are 1 placeholders");
  cr_expect_eq(x->type.dims[1], 3);
  const dlc_value *y = dlc_graph_find_value(g, "y");
  cr_expect_eq(y->type.dims[0], 1, "inferred with N bound to 1");
  cr_expect_eq(y->type.dims[1], 3);
  dlc_graph_destroy(g);
  dlc_diag_free(&d);
}

/* Integers at and beyond the int64 range clamp (ONNX Slice's "to the end");
 * float edges read exactly; float16 rounds to nearest even. */
Test(frontend, number_edges) {
  static const char text[] =
      "{\"format\": \"dlc-graph\", \"version\": 1,"
      " \"inputs\": [{\"name\": \"x\", \"dtype\": \"float32\", \"shape\": [1]}],"
      " \"outputs\": [{\"name\": \"x\"}], \"nodes\": [], \"initializers\": ["
      "  {\"name\": \"i\", \"dtype\": \"int64\", \"shape\": [6], \"data\":"
      "   [9223372036854775807, -9223372036854775808, 9007199254740993, -9007199254740993, 9007199254740992, -7]},"
      "  {\"name\": \"f\", \"dtype\": \"float32\", \"shape\": [4], \"data\":"
      "   [3.40282347e+38, -1.17549435e-38, 1e-45, -0.0]},"
      "  {\"name\": \"h\", \"dtype\": \"float16\", \"shape\": [5], \"data\":"
      "   [1.5, 65504, -6.103515625e-05, 5.960464477539063e-08, 1.0009765625]},"
      "  {\"name\": \"u\", \"dtype\": \"uint8\", \"shape\": [2], \"data\": [0, 255]},"
      "  {\"name\": \"s\", \"dtype\": \"int8\", \"shape\": [2], \"data\": [-128, 127]},"
      "  {\"name\": \"k\", \"dtype\": \"int32\", \"shape\": [2], \"data\": [-2147483648, 2147483647]}]}";
  dlc_diag d;
  dlc_graph *g = load_string(text, NULL, &d);
  const int64_t *i = dlc_graph_find_value(g, "i")->type.data;
  /* Exactly as written: 2^53 + 1 has no double. */
  const int64_t want_i[] = {INT64_MAX, INT64_MIN, ((int64_t)1 << 53) + 1,
                            -((int64_t)1 << 53) - 1, (int64_t)1 << 53, -7};
  for (int k = 0; k < 6; k++)
    cr_expect_eq(i[k], want_i[k], "i[%d]: expected %lld, got %lld", k,
                 (long long)want_i[k], (long long)i[k]);
  const float *f = dlc_graph_find_value(g, "f")->type.data;
  cr_expect_eq(f[0], FLT_MAX);
  cr_expect_eq(f[1], -FLT_MIN);
  cr_expect_eq(f[2], 1.40129846e-45f, "smallest subnormal");
  cr_expect(signbit(f[3]) && f[3] == 0, "-0.0 keeps its sign");
  const uint16_t *h = dlc_graph_find_value(g, "h")->type.data;
  const uint16_t want_h[] = {0x3e00, 0x7bff, 0x8400, 0x0001, 0x3c01};
  for (int k = 0; k < 5; k++)
    cr_expect_eq(h[k], want_h[k], "h[%d]: expected 0x%04x, got 0x%04x", k,
                 want_h[k], h[k]);
  const uint8_t *u = dlc_graph_find_value(g, "u")->type.data;
  const int8_t *s = dlc_graph_find_value(g, "s")->type.data;
  const int32_t *k32 = dlc_graph_find_value(g, "k")->type.data;
  cr_expect(u[0] == 0 && u[1] == 255);
  cr_expect(s[0] == -128 && s[1] == 127);
  cr_expect(k32[0] == INT32_MIN && k32[1] == INT32_MAX);
  dlc_graph_destroy(g);
  dlc_diag_free(&d);
}

/* The third data form: a buffer beside the JSON, with sha256 checked. */
Test(frontend, valid_model_buffer_form) {
  const float wdata[6] = {1, 2, 3, 4, 5, 6};
  unsigned char bin[40] = {0};
  memcpy(bin + 16, wdata, sizeof wdata); /* at offset 16 */
  char sha[65], p[512], text[1024];
  dlc_sha256_hex(bin, sizeof bin, sha);
  write_text(tmp_path(p, sizeof p, "buf_model.bin"), bin, sizeof bin);
  snprintf(text, sizeof text,
           "{\"format\": \"dlc-graph\", \"version\": 1,"
           " \"buffers\": [{\"uri\": \"buf_model.bin\", \"byte_length\": 40,"
           "  \"sha256\": \"%s\"}],"
           " \"inputs\": [{\"name\": \"x\", \"dtype\": \"float32\", \"shape\": [2, 3]}],"
           " \"outputs\": [{\"name\": \"y\"}],"
           " \"initializers\": [{\"name\": \"w\", \"dtype\": \"float32\","
           "  \"shape\": [2, 3], \"buffer\": 0, \"offset\": 16}],"
           " \"nodes\": [{\"name\": \"add\", \"op\": \"Add\", \"inputs\": [\"x\", \"w\"],"
           "  \"outputs\": [\"y\"]}]}",
           sha);
  write_text(tmp_path(p, sizeof p, "buf_model.json"), text, strlen(text));
  dlc_diag d;
  dlc_diag_init(&d, p);
  dlc_graph *g = NULL;
  dlc_status st = dlc_frontend_load(p, &g, &d);
  print_diag(&d);
  cr_assert_eq(st, DLC_OK);
  check_f32(dlc_graph_find_value(g, "w"), wdata, 6);
  dlc_graph_destroy(g);
  dlc_diag_free(&d);
}

/* ---------------------------------------------------------- round trip */

static void expect_same_tensor(const dlc_tensor *a, const dlc_tensor *b,
                               const char *what) {
  cr_expect_eq(a->dtype, b->dtype, "%s: dtype", what);
  cr_expect(dlc_tensor_same_shape(a, b), "%s: shape", what);
  size_t n = dlc_tensor_nbytes(a);
  if (a->data && b->data && n == dlc_tensor_nbytes(b))
    for (size_t i = 0; i < n; i++)
      if (((const unsigned char *)a->data)[i] !=
          ((const unsigned char *)b->data)[i]) {
        cr_expect_fail("%s: byte %zu differs: 0x%02x vs 0x%02x", what, i,
                       ((const unsigned char *)a->data)[i],
                       ((const unsigned char *)b->data)[i]);
        return;
      }
  cr_expect((a->data == NULL) == (b->data == NULL), "%s: data presence", what);
}

static void expect_same_attr(const dlc_attr *a, const dlc_attr *b,
                             const char *node) {
  cr_assert_not_null(b, "node %s: attribute %s lost", node, a->name);
  cr_expect_eq(a->kind, b->kind, "node %s attr %s: kind", node, a->name);
  cr_expect_eq(a->i, b->i, "node %s attr %s: int", node, a->name);
  cr_expect(a->f == b->f, "node %s attr %s: %.17g vs %.17g", node, a->name,
            a->f, b->f);
  cr_expect_eq(a->n, b->n, "node %s attr %s: count", node, a->name);
  for (int i = 0; i < a->n && i < b->n; i++) {
    if (a->kind == DLC_ATTR_INTS)
      cr_expect_eq(a->ints[i], b->ints[i], "attr %s[%d]", a->name, i);
    if (a->kind == DLC_ATTR_FLOATS)
      cr_expect(a->floats[i] == b->floats[i], "attr %s[%d]", a->name, i);
    if (a->kind == DLC_ATTR_STRINGS)
      cr_expect_str_eq(a->strings[i], b->strings[i]);
  }
  if (a->kind == DLC_ATTR_STRING)
    cr_expect_str_eq(a->s, b->s);
  if (a->kind == DLC_ATTR_TENSOR)
    expect_same_tensor(&a->tensor, &b->tensor, a->name);
}

static void expect_same_node(const dlc_node *a, const dlc_node *b) {
  cr_assert_not_null(b, "node %s lost", a->name);
  cr_expect_eq(a->op, b->op, "node %s: op", a->name);
  cr_expect_str_eq(a->domain, b->domain);
  cr_expect((a->doc == NULL) == (b->doc == NULL), "node %s: doc", a->name);
  if (a->doc && b->doc)
    cr_expect_str_eq(a->doc, b->doc);
  cr_assert_eq(a->n_inputs, b->n_inputs, "node %s: inputs", a->name);
  for (int i = 0; i < a->n_inputs; i++)
    cr_expect_str_eq(a->inputs[i] ? a->inputs[i]->name : "",
                     b->inputs[i] ? b->inputs[i]->name : "");
  cr_assert_eq(a->n_outputs, b->n_outputs, "node %s: outputs", a->name);
  for (int i = 0; i < a->n_outputs; i++)
    cr_expect_str_eq(a->outputs[i]->name, b->outputs[i]->name);
  cr_expect_eq(a->n_attrs, b->n_attrs, "node %s: attribute count", a->name);
  for (int i = 0; i < a->n_attrs; i++)
    expect_same_attr(&a->attrs[i], dlc_node_find_attr(b, a->attrs[i].name),
                     a->name);
}

static void expect_same_graph(const dlc_graph *a, const dlc_graph *b) {
  cr_expect_str_eq(a->name ? a->name : "", b->name ? b->name : "");
  cr_expect_str_eq(a->doc ? a->doc : "", b->doc ? b->doc : "");
  cr_assert_eq(a->metadata.n, b->metadata.n);
  for (size_t i = 0; i < a->metadata.n; i++)
    cr_expect_str_eq(a->metadata.items[i], b->metadata.items[i]);
  cr_assert_eq(a->inputs.n, b->inputs.n);
  for (size_t i = 0; i < a->inputs.n; i++) {
    const dlc_value *x = a->inputs.items[i], *y = b->inputs.items[i];
    cr_expect_str_eq(x->name, y->name);
    expect_same_tensor(&x->type, &y->type, x->name);
    for (int k = 0; k < x->type.rank; k++)
      cr_expect_str_eq(x->sym[k] ? x->sym[k] : "-", y->sym[k] ? y->sym[k] : "-");
  }
  cr_assert_eq(a->outputs.n, b->outputs.n);
  for (size_t i = 0; i < a->outputs.n; i++)
    cr_expect_str_eq(a->outputs.items[i]->name, b->outputs.items[i]->name);
  cr_assert_eq(a->initializers.n, b->initializers.n);
  for (size_t i = 0; i < a->initializers.n; i++) {
    const dlc_value *x = a->initializers.items[i];
    const dlc_value *y = dlc_graph_find_value(b, x->name);
    cr_assert_not_null(y, "initializer %s lost", x->name);
    expect_same_tensor(&x->type, &y->type, x->name);
  }
  cr_assert_eq(a->nodes.n, b->nodes.n);
  for (size_t i = 0; i < a->nodes.n; i++)
    expect_same_node(a->nodes.items[i], find_node(b, a->nodes.items[i]->name));
  for (size_t i = 0; i < a->values.n; i++) {
    const dlc_value *x = a->values.items[i];
    const dlc_value *y = dlc_graph_find_value(b, x->name);
    cr_assert_not_null(y, "value %s lost", x->name);
    cr_expect(dlc_tensor_same_shape(&x->type, &y->type), "value %s: shape",
              x->name);
  }
}

/* A model with the awkward cases for a writer: NaN/inf, int64 beyond 2^53,
 * float16, a Constant's TENSOR attribute, strings needing escapes, a
 * symbolic input dim, and a tensor big enough for the external buffer. */
static dlc_graph *build_awkward_graph(void) {
  dlc_graph *g = dlc_graph_create();
  dlc_tensor tx = {.dtype = DLC_DT_FLOAT32, .rank = 2, .dims = {1, 300}};
  dlc_value *x = dlc_graph_add_input(g, "in\"put\\1", &tx);
  x->sym[0] = "batch";
  float big[300], odd[4] = {NAN, INFINITY, -0.0f, 0.1f};
  for (int i = 0; i < 300; i++)
    big[i] = (float)i / 7.0f - 20.0f;
  dlc_tensor tb = {.dtype = DLC_DT_FLOAT32, .rank = 2, .dims = {1, 300}};
  dlc_value *wb = dlc_graph_add_initializer(g, "big", &tb, big);
  dlc_tensor to = {.dtype = DLC_DT_FLOAT32, .rank = 1, .dims = {4}};
  dlc_graph_add_initializer(g, "odd", &to, odd);
  int64_t ints[4] = {INT64_MAX, INT64_MIN, ((int64_t)1 << 60) + 1, -5};
  dlc_tensor ti = {.dtype = DLC_DT_INT64, .rank = 1, .dims = {4}};
  dlc_graph_add_initializer(g, "ints", &ti, ints);
  uint16_t halfs[3] = {0x3c00, 0x7bff, 0x0001};
  dlc_tensor th = {.dtype = DLC_DT_FLOAT16, .rank = 1, .dims = {3}};
  dlc_graph_add_initializer(g, "halfs", &th, halfs);
  dlc_value *sum = dlc_graph_add_value(g, "sum", DLC_VALUE_NODE);
  dlc_value *ins[2] = {x, wb};
  dlc_node *add = dlc_graph_add_node(g, "add", DLC_OP_ADD, 2, ins, 1, &sum);
  add->doc = "tab\there, newline\nthere";
  dlc_value *y = dlc_graph_add_value(g, "y", DLC_VALUE_NODE);
  dlc_node *lr = dlc_graph_add_node(g, "lrelu", DLC_OP_LEAKY_RELU, 1, &sum, 1, &y);
  dlc_node_set_float(g, lr, "alpha", 0.1);
  dlc_value *k = dlc_graph_add_value(g, "k", DLC_VALUE_NODE);
  dlc_node *cst = dlc_graph_add_node(g, "const", DLC_OP_CONSTANT, 0, NULL, 1, &k);
  dlc_attr *a = dlc_node_add_attr(g, cst, "value", DLC_ATTR_TENSOR);
  float kv[2] = {1.5f, -2.25f};
  a->tensor = (dlc_tensor){.dtype = DLC_DT_FLOAT32, .rank = 1, .dims = {2}};
  a->tensor.data = dlc_arena_alloc(g->arena, sizeof kv);
  memcpy(a->tensor.data, kv, sizeof kv);
  y->is_output = k->is_output = true;
  dlc_vec_push(&g->outputs, y);
  dlc_vec_push(&g->outputs, k);
  g->name = "awkward";
  g->doc = "quotes \" and backslashes \\";
  dlc_vec_push(&g->metadata, "key");
  dlc_vec_push(&g->metadata, "value");
  return g;
}

static void round_trip(const dlc_graph *g, const char *name,
                       const dlc_json_write_options *opt, bool expect_bin) {
  char json[512], bin[512];
  tmp_path(json, sizeof json, name);
  snprintf(bin, sizeof bin, "%.*s.bin", (int)(strlen(json) - 5), json);
  remove(bin);
  dlc_diag d;
  dlc_diag_init(&d, json);
  dlc_status st = dlc_json_write_file(g, json, opt, &d);
  print_diag(&d);
  cr_assert_eq(st, DLC_OK, "write failed");
  struct stat sb;
  cr_expect_eq(stat(bin, &sb) == 0, expect_bin, "%s: .bin %s expected", name,
               expect_bin ? "" : "not");
  dlc_graph *back = NULL;
  st = dlc_frontend_load(json, &back, &d);
  print_diag(&d);
  cr_assert_eq(st, DLC_OK, "re-reading %s failed", json);
  expect_same_graph(g, back);
  dlc_graph_destroy(back);
  dlc_diag_free(&d);
}

Test(frontend, round_trip_valid_model) {
  dlc_diag d;
  dlc_graph *g = load_string(valid_model, NULL, &d);
  round_trip(g, "rt_valid.json", NULL, false);
  dlc_json_write_options small = {.external_threshold_bytes = 8};
  round_trip(g, "rt_valid_ext.json", &small, true);
  dlc_graph_destroy(g);
  dlc_diag_free(&d);
}

Test(frontend, round_trip_awkward_values) {
  dlc_graph *g = build_awkward_graph();
  dlc_diag d;
  dlc_diag_init(&d, "built");
  cr_assert_eq(dlc_graph_sort(g, &d), DLC_OK);
  cr_assert_eq(dlc_graph_infer_shapes(g, NULL, 0, &d), DLC_OK);
  print_diag(&d);
  round_trip(g, "rt_awkward.json", NULL, true); /* 1200-byte "big" */
  dlc_json_write_options inl = {.inline_all = true};
  round_trip(g, "rt_awkward_inline.json", &inl, false);
  dlc_graph_destroy(g);
  dlc_diag_free(&d);
}

/* The writer's choices are visible in the text: exact short floats inline,
 * NaN and big int64 in base64, the buffer with a checksum that matches. */
Test(frontend, writer_output_form) {
  dlc_graph *g = build_awkward_graph();
  char json[512], bin[512];
  tmp_path(json, sizeof json, "form.json");
  tmp_path(bin, sizeof bin, "form.bin");
  dlc_diag d;
  dlc_diag_init(&d, json);
  cr_assert_eq(dlc_json_write_file(g, json, NULL, &d), DLC_OK);
  size_t n = 0, nb = 0;
  char *text = th_read_file(json, &n);
  unsigned char *bytes = (unsigned char *)th_read_file(bin, &nb);
  cr_assert(text && bytes);
  cr_expect(strstr(text, "\"format\": \"dlc-graph\""));
  cr_expect(strstr(text, "\"shape\": [\"batch\", 300]"), "symbolic dim kept");
  cr_expect(strstr(text, "\"data\": [1.5, -2.25]"), "constant tensor inline");
  cr_expect(strstr(text, "\"alpha\": 0.1"), "shortest double");
  cr_expect(strstr(text, "\"buffer\": 0, \"offset\": 0"), "big goes to the .bin");
  cr_expect(strstr(text, "\"name\": \"odd\", \"dtype\": \"float32\", \"shape\": [4], \"data_base64\""));
  cr_expect(strstr(text, "\"name\": \"ints\", \"dtype\": \"int64\", \"shape\": [4], \"data_base64\""));
  cr_expect(strstr(text, "\"uri\": \"form.bin\", \"byte_length\": 1200"));
  char sha[65], want[100];
  dlc_sha256_hex(bytes, nb, sha);
  snprintf(want, sizeof want, "\"sha256\": \"%s\"", sha);
  cr_expect(strstr(text, want), "sha256 of the written .bin");
  cr_expect_eq(nb, 1200);
  free(text);
  free(bytes);
  dlc_graph_destroy(g);
  dlc_diag_free(&d);
}

/* ------------------------------------------------------ base64, SHA-256 */

Test(frontend, base64_rfc4648_vectors) {
  static const char *plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
  static const char *coded[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
                                "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
  for (int i = 0; i < 7; i++) {
    char *e = dlc_base64_encode(plain[i], strlen(plain[i]));
    cr_expect_str_eq(e, coded[i], "encode '%s'", plain[i]);
    free(e);
    char out[8] = {0};
    size_t n = 99, bad = 0;
    cr_expect(dlc_base64_decode(coded[i], strlen(coded[i]), out, sizeof out, &n,
                                &bad),
              "decode '%s'", coded[i]);
    cr_expect_eq(n, strlen(plain[i]));
    cr_expect_eq(memcmp(out, plain[i], n), 0, "decode '%s'", coded[i]);
    cr_expect_eq(dlc_base64_decoded_size(coded[i], strlen(coded[i])),
                 (int64_t)strlen(plain[i]));
  }
  /* all 256 byte values survive */
  unsigned char all[256], back[256];
  for (int i = 0; i < 256; i++)
    all[i] = (unsigned char)i;
  char *e = dlc_base64_encode(all, 256);
  size_t n = 0, bad = 0;
  cr_expect(dlc_base64_decode(e, strlen(e), back, sizeof back, &n, &bad));
  cr_expect_eq(n, 256);
  cr_expect_eq(memcmp(all, back, 256), 0);
  free(e);
}

Test(frontend, base64_rejects_bad_text) {
  struct { const char *text; size_t bad_at; } cases[] = {
      {"Zg=", 3},   {"Zm9*", 3}, {"Z===", 1}, {"=Zg=", 0},
      {"Zg==Zg==", 2}, {"Zm 9", 2}, {"Zm9v\n", 5}, {"Zg=A", 2},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char out[16];
    size_t n = 0, bad = 99;
    cr_expect_not(dlc_base64_decode(cases[i].text, strlen(cases[i].text), out,
                                    sizeof out, &n, &bad),
                  "'%s' accepted", cases[i].text);
    cr_expect_eq(bad, cases[i].bad_at, "'%s': bad at %zu, expected %zu",
                 cases[i].text, bad, cases[i].bad_at);
  }
  char small[2];
  size_t n = 0, bad = 0;
  cr_expect_not(dlc_base64_decode("Zm9v", 4, small, sizeof small, &n, &bad),
                "3 bytes do not fit in 2");
}

Test(frontend, sha256_fips180_vectors) {
  char hex[65];
  dlc_sha256_hex("abc", 3, hex);
  cr_expect_str_eq(hex,
                   "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  dlc_sha256_hex("", 0, hex);
  cr_expect_str_eq(hex,
                   "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  dlc_sha256_hex(two, strlen(two), hex);
  cr_expect_str_eq(hex,
                   "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  const char *four = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
                     "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
  dlc_sha256_hex(four, strlen(four), hex);
  cr_expect_str_eq(hex,
                   "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
  /* one million 'a', fed in uneven pieces through the streaming API */
  static char a[1000000];
  memset(a, 'a', sizeof a);
  dlc_sha256 s;
  unsigned char dg[32];
  dlc_sha256_init(&s);
  for (size_t off = 0, step = 1; off < sizeof a; off += step, step = step * 3 % 1000 + 1)
    dlc_sha256_update(&s, a + off, off + step > sizeof a ? sizeof a - off : step);
  dlc_sha256_final(&s, dg);
  static const unsigned char want[32] = {
      0xcd, 0xc7, 0x6e, 0x5c, 0x99, 0x14, 0xfb, 0x92, 0x81, 0xa1, 0xc7,
      0xe2, 0x84, 0xd7, 0x3e, 0x67, 0xf1, 0x80, 0x9a, 0x48, 0xa4, 0x97,
      0x20, 0x0e, 0x04, 0x6d, 0x39, 0xcc, 0xc7, 0x11, 0x2c, 0xd0};
  for (int i = 0; i < 32; i++)
    cr_expect_eq(dg[i], want[i], "byte %d: expected %02x, got %02x", i,
                 want[i], dg[i]);
}

/* A Dropout mask that is declared but read by nothing (torch exports one)
 * is accepted: only a read mask is against the format. */
Test(frontend, dropout_mask_declared_but_unused_is_accepted) {
  static const char text[] =
      "{\"format\": \"dlc-graph\", \"version\": 1,\n"
      " \"inputs\": [{\"name\": \"x\", \"dtype\": \"float32\", \"shape\": "
      "[2, 3]}],\n \"outputs\": [{\"name\": \"y\"}],\n"
      " \"nodes\": [{\"name\": \"drop\", \"op\": \"Dropout\", \"inputs\": "
      "[\"x\"], \"outputs\": [\"y\", \"mask\"]}]}\n";
  dlc_diag d;
  dlc_diag_init(&d, "mask.json");
  dlc_graph *g = NULL;
  dlc_status st = dlc_json_read_string(text, strlen(text), NULL, &g, &d);
  if (st != DLC_OK)
    print_diag(&d);
  cr_expect_eq(st, DLC_OK);
  cr_expect_not_null(g);
  dlc_graph_destroy(g);
  dlc_diag_free(&d);
}
