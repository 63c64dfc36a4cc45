/* fuzz_json.c — libFuzzer harness for the JSON model reader
 * (frontend/json_reader.c) through dlc_json_read_string, then the verifier
 * and printer on what it accepts. Seeds: corpus/json (fixture models and
 * tests/bad_models); dictionary: json.dict (the format's keys, dtypes and
 * operator names).
 *
 * Byte-level mutations mostly break the JSON syntax, so they exercise the
 * parser and its error positions but rarely reach shape inference. Half of
 * the mutations are therefore structural (LLVMFuzzerCustomMutator below):
 * the input is parsed with cJSON and one value is changed in a way that
 * keeps the document well-formed: a number set to an edge value, a string
 * set to an operator, dtype or name found elsewhere in the model, an array
 * item dropped or duplicated, an attribute from the node's operator schema
 * added, any value replaced by a copy of another.
 *
 * The target's body and its checks are in targets.h; scripts/fuzz.sh builds
 * and runs this, docs/fuzzing.md explains. */
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
                               unsigned int seed);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  return dlc_fuzz_harness("fuzz_json", dlc_fuzz_json, data, size);
}

/* ------------------------------------------------- structural mutations */

static uint64_t rng_state;

static uint32_t rng(uint32_t n) { /* xorshift64*: uniform enough in [0, n) */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (uint32_t)((rng_state * 2685821657736338717ull) >> 33) % (n ? n : 1);
}

/* Numbers at the edges the reader and shape inference check: dims and axes
 * near zero, integer ranges of each dtype, 2^53 and 2^63, float limits. */
static const double EDGE_NUMBERS[] = {0,
                                      1,
                                      -1,
                                      2,
                                      3,
                                      4,
                                      7,
                                      8,
                                      9,
                                      16,
                                      64,
                                      255,
                                      256,
                                      -128,
                                      65504,
                                      65520,
                                      2147483647.0,
                                      2147483648.0,
                                      -2147483649.0,
                                      4294967296.0,
                                      9007199254740992.0,
                                      9007199254740993.0,
                                      9223372036854775807.0,
                                      -9223372036854775807.0 - 1,
                                      1e19,
                                      1e300,
                                      -1e300,
                                      0.5,
                                      -0.5,
                                      1e-45,
                                      3.4028234663852886e38,
                                      3.5e38,
                                      1e-300};
#define N_EDGE (sizeof EDGE_NUMBERS / sizeof EDGE_NUMBERS[0])

static const char *const EDGE_STRINGS[] = {
    "",           "N",     "float32", "int64",     "int32",       "float16",
    "int8",       "uint8", "dlc",     "dlc-graph", "sixteen.bin", "SAME_UPPER",
    "SAME_LOWER", "VALID", "CRD",     "AACAPw=="};
#define N_EDGE_STRINGS (sizeof EDGE_STRINGS / sizeof EDGE_STRINGS[0])

enum { MAX_ITEMS = 8192 };

/* Every value of the document with its parent (NULL for the root). */
typedef struct walk {
  cJSON *item[MAX_ITEMS], *parent[MAX_ITEMS];
  int n;
} walk;

static void walk_tree(walk *w, cJSON *item, cJSON *parent) {
  if (w->n == MAX_ITEMS)
    return;
  w->item[w->n] = item;
  w->parent[w->n++] = parent;
  for (cJSON *c = item->child; c; c = c->next)
    walk_tree(w, c, item);
}

static int count_children(const cJSON *item) {
  int n = 0;
  for (const cJSON *c = item->child; c; c = c->next)
    n++;
  return n;
}

/* Replaces item (a child of parent) by repl; the root cannot be replaced. */
static void replace(cJSON *parent, cJSON *item, cJSON *repl) {
  if (!parent || !repl) {
    cJSON_Delete(repl);
    return;
  }
  cJSON_ReplaceItemViaPointer(parent, item, repl);
}

/* A value for an attribute: an int, a float, a short int list or a string. */
static cJSON *random_attr_value(void) {
  switch (rng(4)) {
  case 0:
    return cJSON_CreateNumber(EDGE_NUMBERS[rng(N_EDGE)]);
  case 1:
    return cJSON_CreateNumber((double)rng(5) - 1);
  case 2: {
    cJSON *a = cJSON_CreateArray();
    for (uint32_t i = 0, n = rng(5); i < n; i++)
      cJSON_AddItemToArray(a, cJSON_CreateNumber((double)rng(6) - 1));
    return a;
  }
  default:
    return cJSON_CreateString(EDGE_STRINGS[rng(N_EDGE_STRINGS)]);
  }
}

/* On a node object: sets one attribute its operator defines. */
static bool mutate_node_attr(cJSON *node) {
  const cJSON *op = cJSON_GetObjectItemCaseSensitive(node, "op");
  if (!cJSON_IsString(op))
    return false;
  const cJSON *dom = cJSON_GetObjectItemCaseSensitive(node, "domain");
  dlc_op id = dlc_op_from_name(op->valuestring,
                               cJSON_IsString(dom) ? dom->valuestring : "");
  if (id == DLC_OP_UNKNOWN)
    return false;
  const dlc_attr_schema *s = dlc_op_get_info(id)->attrs;
  int n = 0;
  while (s && s[n].name)
    n++;
  if (n == 0)
    return false;
  cJSON *attrs = cJSON_GetObjectItemCaseSensitive(node, "attrs");
  if (!cJSON_IsObject(attrs)) {
    cJSON_DeleteItemFromObjectCaseSensitive(node, "attrs");
    attrs = cJSON_AddObjectToObject(node, "attrs");
  }
  const char *name = s[rng((uint32_t)n)].name;
  cJSON_DeleteItemFromObjectCaseSensitive(attrs, name);
  cJSON_AddItemToObject(attrs, name, random_attr_value());
  return true;
}

static void mutate_container(walk *w, int i) {
  cJSON *item = w->item[i];
  int n = count_children(item);
  uint32_t choice = rng(4);
  if (cJSON_IsObject(item) && choice == 0 && mutate_node_attr(item))
    return;
  if (n == 0) {
    if (cJSON_IsArray(item))
      cJSON_AddItemToArray(item, cJSON_CreateNumber(EDGE_NUMBERS[rng(N_EDGE)]));
    return;
  }
  cJSON *child = item->child;
  for (uint32_t k = rng((uint32_t)n); k > 0; k--)
    child = child->next;
  if (choice == 1 && cJSON_IsArray(item)) /* duplicate an item */
    cJSON_AddItemToArray(item, cJSON_Duplicate(child, true));
  else /* drop an item or a key */
    cJSON_Delete(cJSON_DetachItemViaPointer(item, child));
}

/* Changes one value of the document in place. */
static void mutate_tree(cJSON *root) {
  static walk w; /* large: not on the stack */
  w.n = 0;
  walk_tree(&w, root, NULL);
  int i = (int)rng((uint32_t)w.n);
  cJSON *item = w.item[i], *parent = w.parent[i];
  if (rng(8) == 0) { /* a copy of another value: type confusion */
    cJSON *other = w.item[rng((uint32_t)w.n)];
    if (other != root && other != item)
      replace(parent, item, cJSON_Duplicate(other, true));
    return;
  }
  if (cJSON_IsNumber(item)) {
    double v = rng(3) ? EDGE_NUMBERS[rng(N_EDGE)] : item->valuedouble + 1;
    cJSON_SetNumberValue(item, v);
  } else if (cJSON_IsString(item)) {
    /* Names used elsewhere make graphs whose wiring changes but stays
     * plausible; operator names swap one op for another. */
    int j = (int)rng((uint32_t)w.n);
    if (rng(2) && cJSON_IsString(w.item[j]))
      replace(parent, item, cJSON_CreateString(w.item[j]->valuestring));
    else if (rng(2))
      replace(parent, item,
              cJSON_CreateString(dlc_op_name((dlc_op)rng(DLC_OP_COUNT_))));
    else
      replace(parent, item,
              cJSON_CreateString(EDGE_STRINGS[rng(N_EDGE_STRINGS)]));
  } else if (cJSON_IsArray(item) || cJSON_IsObject(item)) {
    mutate_container(&w, i);
  } else {
    replace(parent, item, cJSON_CreateNumber(EDGE_NUMBERS[rng(N_EDGE)]));
  }
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
                               unsigned int seed) {
  rng_state = (uint64_t)seed * 0x9E3779B97F4A7C15ull + 1;
  if (rng(2))
    return LLVMFuzzerMutate(data, size, max_size);
  cJSON *root = cJSON_ParseWithLength((const char *)data, size);
  if (!root)
    return LLVMFuzzerMutate(data, size, max_size);
  for (uint32_t k = 1 + rng(3); k > 0; k--)
    mutate_tree(root);
  char *text = cJSON_PrintUnformatted(root);
  cJSON_Delete(root);
  size_t len = text ? strlen(text) : 0;
  if (!text || len > max_size) {
    free(text);
    return LLVMFuzzerMutate(data, size, max_size);
  }
  memcpy(data, text, len);
  free(text);
  return len;
}
