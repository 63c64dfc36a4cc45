/* fuzz_onnx.c — libFuzzer harness for the ONNX reader (frontend/onnx_*.c)
 * through dlc_onnx_read_bytes, then the verifier and printer on what it
 * accepts. Seeds: corpus/onnx (tests/onnx models).
 *
 * Byte-level mutations of protobuf mostly produce messages that do not
 * decode, or decode to the same graph with a changed name. Half of the
 * mutations are therefore structural (LLVMFuzzerCustomMutator below): the
 * input is decoded with protobuf-c, one to three fields of the model are
 * changed in place (an attribute's int, ints or float, an initializer's
 * dims or data type, a graph input's dim, the opset version) or swapped
 * between two nodes (operator types, input names, node order), and the
 * model is encoded again. Swapping, never assigning, keeps every pointer
 * owned once, so protobuf-c frees the message as it decoded it. One in
 * eight structural mutations nests the graph instead, as a subgraph
 * attribute 1 to 3,000 levels deep (nest_graph), the shape of input that
 * once overflowed protobuf-c's stack.
 *
 * The target's body and its checks are in targets.h; scripts/fuzz.sh builds
 * and runs this, docs/fuzzing.md explains. */
#include <stddef.h>
#include <stdint.h>

#include <stdlib.h>
#include <string.h>

#include "frontend/onnx_impl.h" /* dlc_proto_depth */
#include "onnx.pb-c.h"
#include "targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
                               unsigned int seed);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  return dlc_fuzz_harness("fuzz_onnx", dlc_fuzz_onnx, data, size);
}

/* ------------------------------------------------- structural mutations */

static uint64_t rng_state;

static uint32_t rng(uint32_t n) { /* xorshift64*: uniform enough in [0, n) */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (uint32_t)((rng_state * 2685821657736338717ull) >> 33) % (n ? n : 1);
}

/* Dims, axes, counts and sizes at the edges shape inference checks. */
static const int64_t EDGE_INTS[] = {0,
                                    1,
                                    -1,
                                    2,
                                    3,
                                    4,
                                    -2,
                                    7,
                                    8,
                                    64,
                                    255,
                                    65536,
                                    INT32_MAX,
                                    (int64_t)INT32_MAX + 1,
                                    INT32_MIN,
                                    (int64_t)1 << 53,
                                    INT64_MAX,
                                    INT64_MIN,
                                    INT64_MAX / 2};
#define N_EDGE_INTS (sizeof EDGE_INTS / sizeof EDGE_INTS[0])

static const float EDGE_FLOATS[] = {0.0f,   -0.0f,         1.0f,  -1.0f, 0.5f,
                                    1e-45f, 3.4028235e38f, 1e30f, -1e30f};
#define N_EDGE_FLOATS (sizeof EDGE_FLOATS / sizeof EDGE_FLOATS[0])

static int64_t edge_int(void) { return EDGE_INTS[rng(N_EDGE_INTS)]; }

#define SWAP(T, a, b)                                                          \
  do {                                                                         \
    T swap_tmp_ = (a);                                                         \
    (a) = (b);                                                                 \
    (b) = swap_tmp_;                                                           \
  } while (0)

static void mutate_attribute(Onnx__AttributeProto *a) {
  switch (rng(4)) {
  case 0:
    if (a->has_i || rng(4) == 0) {
      a->has_i = true;
      a->i = edge_int();
    }
    break;
  case 1:
    if (a->n_ints)
      a->ints[rng((uint32_t)a->n_ints)] = edge_int();
    break;
  case 2:
    if (a->has_f)
      a->f = EDGE_FLOATS[rng(N_EDGE_FLOATS)];
    break;
  default: /* a type that may not match the field that is set */
    a->has_type = true;
    a->type = (Onnx__AttributeProto__AttributeType)rng(15);
    break;
  }
}

static void mutate_tensor(Onnx__TensorProto *t) {
  if (rng(2) && t->n_dims) {
    t->dims[rng((uint32_t)t->n_dims)] = edge_int();
  } else if (rng(2)) {
    t->has_data_type = true;
    t->data_type = (int32_t)rng(17);
  } else if (t->has_raw_data && t->raw_data.len) {
    t->raw_data.len = rng((uint32_t)t->raw_data.len); /* truncated data */
  }
}

static void mutate_value_info(Onnx__ValueInfoProto *v) {
  if (!v->type || v->type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE)
    return;
  Onnx__TypeProto__Tensor *tt = v->type->tensor_type;
  if (rng(3) == 0) {
    tt->has_elem_type = true;
    tt->elem_type = (int32_t)rng(17);
    return;
  }
  if (!tt->shape || !tt->shape->n_dim)
    return;
  Onnx__TensorShapeProto__Dimension *d =
      tt->shape->dim[rng((uint32_t)tt->shape->n_dim)];
  if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE)
    d->dim_value = edge_int();
}

/* Swaps something between two nodes of g: what they compute, what they
 * read, or where they stand (the reader must sort). SWAP evaluates its
 * operands twice: indices are drawn first. */
static void swap_nodes(Onnx__GraphProto *g) {
  uint32_t i = rng((uint32_t)g->n_node), j = rng((uint32_t)g->n_node);
  Onnx__NodeProto *a = g->node[i], *b = g->node[j];
  switch (rng(3)) {
  case 0:
    SWAP(char *, a->op_type, b->op_type);
    break;
  case 1:
    if (a->n_input && b->n_input) {
      uint32_t x = rng((uint32_t)a->n_input), y = rng((uint32_t)b->n_input);
      SWAP(char *, a->input[x], b->input[y]);
    }
    break;
  default:
    SWAP(Onnx__NodeProto *, g->node[i], g->node[j]);
    break;
  }
}

static void mutate_model(Onnx__ModelProto *m) {
  Onnx__GraphProto *g = m->graph;
  if (!g)
    return;
  switch (rng(6)) {
  case 0:
  case 1:
    if (g->n_node) {
      Onnx__NodeProto *n = g->node[rng((uint32_t)g->n_node)];
      if (n->n_attribute)
        mutate_attribute(n->attribute[rng((uint32_t)n->n_attribute)]);
    }
    break;
  case 2:
    if (g->n_initializer)
      mutate_tensor(g->initializer[rng((uint32_t)g->n_initializer)]);
    break;
  case 3:
    if (g->n_input)
      mutate_value_info(g->input[rng((uint32_t)g->n_input)]);
    break;
  case 4:
    if (g->n_node)
      swap_nodes(g);
    break;
  default:
    if (m->n_opset_import) {
      Onnx__OperatorSetIdProto *o =
          m->opset_import[rng((uint32_t)m->n_opset_import)];
      o->has_version = true;
      o->version = rng(4) ? 9 + (int64_t)rng(12) : edge_int();
    }
    break;
  }
}

/* ---------------------------------------------------- nesting mutations */

/* Prepends field `num` (length-delimited) around the n bytes at buf + at,
 * which must leave room for the 11 bytes of tag and length before them;
 * returns the new start. */
static size_t wrap_field(uint8_t *buf, size_t at, size_t n, unsigned num) {
  uint8_t head[11];
  size_t h = 0;
  head[h++] = (uint8_t)(num << 3 | 2);
  for (uint64_t v = n;; v >>= 7) {
    head[h++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
    if (v <= 0x7f)
      break;
  }
  memcpy(buf + at - h, head, h);
  return at - h;
}

/* The model's graph becomes the subgraph attribute of a node of a graph,
 * levels times over (Graph.node = 1, Node.attribute = 5, Attribute.g = 6,
 * Model.graph = 7): the shape of the input that overflowed protobuf-c's
 * stack, at depths around the reader's limit and far beyond it. */
static size_t nest_graph(uint8_t *data, size_t size, size_t max_size,
                         const Onnx__ModelProto *m) {
  static const int LEVELS[] = {1, 2, 31, 32, 33, 34, 100, 1000, 3000};
  int levels = LEVELS[rng(sizeof LEVELS / sizeof *LEVELS)];
  size_t g = m->graph ? onnx__graph_proto__get_packed_size(m->graph) : 0;
  size_t room = g + (size_t)levels * 33 + 16;
  uint8_t *buf = malloc(room);
  if (!buf) {
    free(buf);
    return LLVMFuzzerMutate(data, size, max_size);
  }
  size_t at = room - g;
  if (m->graph)
    onnx__graph_proto__pack(m->graph, buf + at);
  for (int i = 0; i < levels; i++) {
    at = wrap_field(buf, at, room - at, 6);
    at = wrap_field(buf, at, room - at, 5);
    at = wrap_field(buf, at, room - at, 1);
  }
  at = wrap_field(buf, at, room - at, 7);
  buf[--at] = 8; /* ir_version 8 */
  buf[--at] = 1 << 3;
  size_t len = room - at;
  if (len > max_size) {
    free(buf);
    return LLVMFuzzerMutate(data, size, max_size);
  }
  memcpy(data, buf + at, len);
  free(buf);
  return len;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
                               unsigned int seed) {
  rng_state = (uint64_t)seed * 0x9E3779B97F4A7C15ull + 1;
  if (rng(2))
    return LLVMFuzzerMutate(data, size, max_size);
  /* The mutator unpacks too: the same depth guard as the reader. */
  Onnx__ModelProto *m =
      dlc_proto_depth(&onnx__model_proto__descriptor, data, size, 100) <= 100
          ? onnx__model_proto__unpack(NULL, size, data)
          : NULL;
  if (!m)
    return LLVMFuzzerMutate(data, size, max_size);
  if (rng(8) == 0) {
    size_t len = nest_graph(data, size, max_size, m);
    onnx__model_proto__free_unpacked(m, NULL);
    return len;
  }
  for (uint32_t k = 1 + rng(3); k > 0; k--)
    mutate_model(m);
  size_t len = onnx__model_proto__get_packed_size(m);
  if (len <= max_size)
    len = onnx__model_proto__pack(m, data);
  else
    len = LLVMFuzzerMutate(data, size, max_size);
  onnx__model_proto__free_unpacked(m, NULL);
  return len;
}
