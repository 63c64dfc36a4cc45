/* override.c — `--schedule FILE`: per-node choices for experiments.
 *
 *   {"nodes": {"conv1": {"algorithm": "conv_im2col", "rows": 4,
 *                        "mr": 6, "nv": 2, "kc": 64}}}
 *
 * Every field is optional. The algorithm must compute the node's operator
 * and accept its shapes, dtypes and constants; tile fields need a
 * micro-kernel algorithm and must fit the target's registers; rows needs
 * conv_im2col. Anything the kernel cannot honour is an error located as
 * `FILE: nodes.NAME.FIELD: ...`, never wrong code. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "schedule/schedule_impl.h"

typedef struct ov_ctx {
  dlc_schedule *s;
  const char *path;
  dlc_diag *d;
  bool ok;
} ov_ctx;

static void ov_error(ov_ctx *c, const char *node, const char *field,
                     const char *fmt, const char *arg) {
  char where[256];
  snprintf(where, sizeof where, "nodes.%s%s%s", node, field ? "." : "",
           field ? field : "");
  char msg[512];
  snprintf(msg, sizeof msg, fmt, arg ? arg : "");
  dlc_diag_error(c->d, where, "%s", msg);
  c->ok = false;
}

static dlc_node_sched *find_record(dlc_schedule *s, const char *name) {
  for (size_t k = 0; k < s->g->nodes.n; k++) {
    const dlc_node *n = s->g->nodes.items[k];
    if (!n->dead && strcmp(n->name, name) == 0)
      return &s->nodes[n->id];
  }
  return NULL;
}

/* Structural conditions of the algorithms that share an operator. */
static const char *shape_refused(const dlc_node_sched *r, dlc_algo a) {
  const dlc_node *n = r->node;
  if (a == DLC_ALGO_CONV_POINTWISE && !dlc_sched_conv_is_pointwise(&r->win))
    return "conv_pointwise needs a 1x1 window with stride 1 and no padding";
  if (a == DLC_ALGO_CONV_DEPTHWISE && !dlc_sched_conv_is_depthwise(n))
    return "conv_depthwise needs one filter per input channel and at most "
           "64 taps";
  if (a == DLC_ALGO_GEMM_DIRECT_PACKED && !dlc_node_get_int(n, "transB"))
    return "gemm_direct_packed needs transB = 1";
  if (a != DLC_ALGO_CONV_DIRECT && n->op == DLC_OP_CONV &&
      a != DLC_ALGO_CONV_DEPTHWISE && !n->inputs[1]->type.data)
    return "the GEMM convolutions need constant weights";
  if (n->epilogue && !(dlc_algo_traits(a) & DLC_AT_EPILOGUE))
    return "this algorithm does not apply the node's fused epilogue";
  return dlc_sched_check_algo(n, a);
}

static bool set_algorithm(ov_ctx *c, dlc_node_sched *r, const char *node,
                          const cJSON *v) {
  if (!cJSON_IsString(v)) {
    ov_error(c, node, "algorithm", "must be a string%s", NULL);
    return false;
  }
  dlc_algo a = dlc_algo_from_name(v->valuestring);
  if (a == DLC_ALGO_NONE) {
    ov_error(c, node, "algorithm", "unknown algorithm '%s'", v->valuestring);
    return false;
  }
  if (!dlc_sched_algo_implements(a, r->node)) {
    ov_error(c, node, "algorithm", "'%s' does not compute this operator",
             v->valuestring);
    return false;
  }
  const char *why = shape_refused(r, a);
  if (why) {
    ov_error(c, node, "algorithm", "cannot honour: %s", why);
    return false;
  }
  r->algo = a;
  return true;
}

/* A positive integer field, or 0 when absent; -1 after an error. */
static int64_t int_field(ov_ctx *c, const cJSON *o, const char *node,
                         const char *name) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
  if (!v)
    return 0;
  if (!cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble > 1e9 ||
      v->valuedouble != (double)(int64_t)v->valuedouble) {
    ov_error(c, node, name, "must be a positive integer%s", NULL);
    return -1;
  }
  return (int64_t)v->valuedouble;
}

static void check_fields(ov_ctx *c, const cJSON *o, const char *node) {
  static const char *const known[] = {"algorithm", "mr", "nv", "kc", "rows"};
  for (const cJSON *f = o->child; f; f = f->next) {
    bool found = false;
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
      found |= strcmp(f->string, known[i]) == 0;
    if (!found)
      ov_error(c, node, f->string,
               "unknown field '%s' (algorithm, mr, nv, kc, rows)", f->string);
  }
}

/* conv_nchwc's tile: mr pixels x nv output blocks in registers (with nv
 * weight vectors and a broadcast), kc input blocks per chunk. */
static void nchwc_tile(ov_ctx *c, dlc_node_sched *r, const char *node,
                       int64_t mr, int64_t nv, int64_t kc) {
  memset(&r->p, 0, sizeof r->p);
  dlc_sched_choose_tiling(&c->s->target, r);
  const dlc_node *n = r->node;
  int64_t nib = dlc_sched_nchwc_input_blocks(n, n->outputs[0]->type.dims[4]);
  int64_t rw = mr ? mr : r->p.tile.mr, nb = nv ? nv : r->p.tile.nv;
  int64_t max_nb = dlc_node_get_int(n, "group") > 1 ? 1 : 4;
  char what[96];
  snprintf(what, sizeof what, "%d pixels x %d blocks", (int)rw, (int)nb);
  if (nb > max_nb)
    ov_error(c, node, "nv", "cannot honour: at most %s output blocks per "
             "tile here", max_nb == 1 ? "1" : "4");
  else if (!dlc_sched_nchwc_tile_fits(&c->s->target, (int)nb, (int)rw))
    ov_error(c, node, mr ? "mr" : "nv",
             "cannot honour: %s do not fit the registers", what);
  else if (kc > nib)
    ov_error(c, node, "kc", "cannot honour: kc must be between 1 and the "
             "input blocks%s", "");
  else {
    r->p.tile.mr = (int)rw;
    r->p.tile.nv = (int)nb;
    r->p.tile.kc = kc ? kc : r->p.tile.kc;
  }
}

/* The blocked depthwise and pooling kernels' tile: mr pixels of one
 * block (1 to 32). */
static void window_nchwc_tile(ov_ctx *c, dlc_node_sched *r, const char *node,
                              int64_t mr, int64_t nv, int64_t kc) {
  memset(&r->p, 0, sizeof r->p);
  dlc_sched_choose_tiling(&c->s->target, r);
  if (nv || kc)
    ov_error(c, node, nv ? "nv" : "kc", "cannot honour: '%s' has one block "
             "per tile and no input chunks (only mr)", dlc_algo_name(r->algo));
  else if (mr > 32 || mr + 2 > c->s->target.vector_regs) {
    char what[32];
    snprintf(what, sizeof what, "%d", (int)mr);
    ov_error(c, node, "mr", "cannot honour: %s pixels do not fit the "
             "registers", what);
  }
  else if (mr)
    r->p.tile.mr = (int)mr;
}

/* Re-derives the record for its (new) algorithm, then applies the fields. */
static void apply_tile(ov_ctx *c, dlc_node_sched *r, const cJSON *o,
                       const char *node) {
  int64_t rows = int_field(c, o, node, "rows"), mr = int_field(c, o, node, "mr");
  int64_t nv = int_field(c, o, node, "nv"), kc = int_field(c, o, node, "kc");
  if (rows < 0 || mr < 0 || nv < 0 || kc < 0)
    return;
  if (rows && r->algo != DLC_ALGO_CONV_IM2COL) {
    ov_error(c, node, "rows", "rows needs conv_im2col%s", NULL);
    return;
  }
  if ((mr || nv || kc) && r->algo == DLC_ALGO_CONV_NCHWC) {
    nchwc_tile(c, r, node, mr, nv, kc);
    return;
  }
  if ((mr || nv || kc) && (r->algo == DLC_ALGO_CONV_NCHWC_DEPTHWISE ||
                           r->algo == DLC_ALGO_POOL_NCHWC)) {
    window_nchwc_tile(c, r, node, mr, nv, kc);
    return;
  }
  if ((mr || nv || kc) && !(dlc_algo_traits(r->algo) & DLC_AT_TILE)) {
    ov_error(c, node, mr ? "mr" : nv ? "nv" : "kc",
             "'%s' does not run on the micro-kernel: no tile to set",
             dlc_algo_name(r->algo));
    return;
  }
  memset(&r->p, 0, sizeof r->p);
  r->scratch = 0;
  r->p.rows = rows;
  dlc_sched_choose_tiling(&c->s->target, r);
  if (!(mr || nv || kc))
    return;
  dlc_tile t = r->p.tile;
  int64_t m, n, k;
  dlc_sched_gemm_mnk(r, &m, &n, &k);
  t.mr = mr ? (int)mr : t.mr;
  t.nv = nv ? (int)nv : t.nv;
  t.kc = kc ? kc : k;
  const char *why = dlc_sched_tile_invalid(&c->s->target, &t, k);
  if (why) {
    ov_error(c, node, kc && t.kc > k ? "kc" : mr ? "mr" : "nv",
             "cannot honour: %s", why);
    return;
  }
  r->p.tile = t;
}

static void apply_node(ov_ctx *c, const cJSON *o) {
  const char *node = o->string;
  dlc_node_sched *r = find_record(c->s, node);
  if (!r) {
    ov_error(c, node, NULL, "no node named '%s' in the graph", node);
    return;
  }
  if (!cJSON_IsObject(o)) {
    ov_error(c, node, NULL, "must be an object%s", NULL);
    return;
  }
  if (r->kind != DLC_SCHED_KERNEL) {
    ov_error(c, node, NULL, "the node runs no kernel (its outputs are "
             "known at compile time)%s", NULL);
    return;
  }
  check_fields(c, o, node);
  const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "algorithm");
  if (a && !set_algorithm(c, r, node, a))
    return;
  apply_tile(c, r, o, node);
  if (c->ok) {
    r->overridden = true;
    snprintf(r->why, sizeof r->why, "%s", c->path);
  }
}

static char *read_text(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  DLC_VEC(char) text = {0};
  char buf[4096];
  size_t got;
  while ((got = fread(buf, 1, sizeof buf, f)) > 0 && text.n < (1u << 24))
    for (size_t i = 0; i < got; i++)
      dlc_vec_push(&text, buf[i]);
  fclose(f);
  dlc_vec_push(&text, '\0');
  return text.items;
}

bool dlc_sched_apply_overrides(dlc_schedule *s, const char *path,
                               dlc_diag *d) {
  char *text = read_text(path);
  if (!text) {
    dlc_diag_error(d, "", "cannot read schedule file '%s'", path);
    return false;
  }
  dlc_diag local;
  dlc_diag_init(&local, path);
  ov_ctx c = {s, path, &local, true};
  cJSON *root = cJSON_Parse(text);
  const cJSON *nodes = root ? cJSON_GetObjectItemCaseSensitive(root, "nodes")
                            : NULL;
  if (!root)
    dlc_diag_error(&local, "", "not valid JSON");
  else if (!cJSON_IsObject(nodes))
    dlc_diag_error(&local, "nodes", "missing: the file must be "
                   "{\"nodes\": {\"NAME\": {...}}}");
  else
    for (const cJSON *o = nodes->child; o; o = o->next)
      apply_node(&c, o);
  bool ok = c.ok && root && cJSON_IsObject(nodes);
  /* The lines name the schedule file, not the model: move them as they are. */
  for (size_t i = 0; d && i < local.messages.n; i++) {
    dlc_vec_push(&d->messages, local.messages.items[i]);
    local.messages.items[i] = NULL;
  }
  dlc_diag_free(&local);
  cJSON_Delete(root);
  free(text);
  return ok;
}
