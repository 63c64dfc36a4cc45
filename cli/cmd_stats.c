/* cmd_stats.c — `dlc stats MODEL [--json]`: print the statistics computed by
 * stats.c, either as an aligned table with totals in readable units, or as
 * one JSON object for tools to read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"

static const char STATS_HELP[] =
    "usage: dlc stats MODEL [--json] [-O0..-O3] [--disable-pass NAME]\n"
    "                 [--input-shape NAME=D0,D1,...] [--dim SYMBOL=VALUE]\n"
    "\n"
    "Per node: name, op, output shape(s), parameters (elements of its\n"
    "initializer inputs), MACs (a Conv's = output elements x Cin/group x\n"
    "kH x kW; bias excluded), receptive field and jump of its output with\n"
    "respect to the graph input (conv/pool chains; '-' where undefined), and\n"
    "activation bytes (its outputs). Totals count a shared initializer once.\n"
    "\n"
    "  --json   one JSON object: {\"model\", \"nodes\": [{\"name\", \"op\",\n"
    "           \"output_shapes\", \"params\", \"macs\", \"receptive_field\",\n"
    "           \"jump\", \"activation_bytes\"}], \"total_params\",\n"
    "           \"total_macs\", \"total_activation_bytes\"}; receptive_field\n"
    "           and jump are [h, w] (one entry per spatial dim) or null;\n"
    "           with -O1/-O2 also per node \"fused\" (the ops folded into\n"
    "           it) and \"arena_bytes\", \"arena_lower_bound_bytes\",\n"
    "           \"naive_bytes\", \"weights_bytes\"\n"
    "  -O0..-O3 statistics of the graph after that optimisation level\n"
    "           (default -O2: the graph dlc MODEL -o compiles, fused nodes\n"
    "           and all; -O0: the model as written)\n"
    "\n"
    "After the totals, a summary by operator type: nodes, parameters, MACs\n"
    "and share of all MACs (JSON: \"by_op\": [{\"op\", \"count\", \"params\",\n"
    "\"macs\", \"macs_share\"}], most MACs first).\n"
    DLC_CLI_SHAPES_HELP;

/* ------------------------------------------------------------ formatting */

/* 1234567 -> "1,234,567". */
static char *fmt_int(int64_t v, char *buf, size_t size) {
  char digits[32];
  int n = snprintf(digits, sizeof digits, "%lld", (long long)(v < 0 ? -v : v));
  size_t o = 0;
  if (v < 0 && o + 1 < size)
    buf[o++] = '-';
  for (int i = 0; i < n && o + 1 < size; i++) {
    if (i > 0 && (n - i) % 3 == 0 && o + 1 < size)
      buf[o++] = ',';
    buf[o++] = digits[i];
  }
  buf[o] = '\0';
  return buf;
}

/* 11689512 -> "11.7M", with sep " ": 1821638656 -> "1.82 G" (three
 * significant digits, decimal units). */
static char *fmt_units(int64_t v, const char *sep, char *buf, size_t size) {
  static const char *const units[] = {"", "K", "M", "G", "T", "P"};
  double x = (double)v;
  int u = 0;
  while ((x >= 999.5 || x <= -999.5) && u < 5) {
    x /= 1000.0;
    u++;
  }
  snprintf(buf, size, u ? "%.3g%s%s" : "%.0f%s%s", x, sep, units[u]);
  return buf;
}

static char *fmt_bytes(int64_t v, char *buf, size_t size) {
  static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double x = (double)v;
  int u = 0;
  while (x >= 1023.5 && u < 4) {
    x /= 1024.0;
    u++;
  }
  snprintf(buf, size, u ? "%.3g %s" : "%.0f %s", x, units[u]);
  return buf;
}

/* "5x5" (one entry per spatial dim) or "-". */
static char *fmt_rf(const dlc_rf *r, const int64_t *vals, char *buf,
                    size_t size) {
  if (r->state != DLC_RF_KNOWN)
    return strcpy(buf, "-");
  size_t n = 0;
  buf[0] = '\0';
  for (int k = 0; k < r->n_spatial && n < size; k++)
    n += (size_t)snprintf(buf + n, size - n, "%s%lld", k ? "x" : "",
                          (long long)vals[k]);
  return buf;
}

static char *fmt_shapes(const dlc_node *n, char *buf, size_t size) {
  size_t o = 0;
  buf[0] = '\0';
  for (int i = 0; i < n->n_outputs && o < size; i++) {
    char s[160];
    if (n->outputs[i])
      o += (size_t)snprintf(buf + o, size - o, "%s%s", o ? " " : "",
                            dlc_shape_str(&n->outputs[i]->type, s, sizeof s));
  }
  return buf;
}

/* "BatchNormalization+Relu" for a fused node, "" otherwise. */
static char *fmt_fused(const dlc_node *n, char *buf, size_t size) {
  size_t o = 0;
  buf[0] = '\0';
  const dlc_epilogue *e = n->epilogue;
  for (int i = 0; e && i < e->n_fused && i < 8 && o < size; i++)
    o += (size_t)snprintf(buf + o, size - o, "%s%s", i ? "+" : "",
                          e->fused[i]);
  return buf;
}

/* ------------------------------------------------------------ the table */

enum {
  COL_NAME,
  COL_OP,
  COL_SHAPE,
  COL_PARAMS,
  COL_MACS,
  COL_RF,
  COL_JUMP,
  COL_BYTES,
  COL_FUSED,
  N_COLS
};
typedef char stats_row[N_COLS][192];

static void table_row(const dlc_node_stats *s, stats_row row) {
  snprintf(row[COL_NAME], sizeof row[0], "%s", s->node->name);
  snprintf(row[COL_OP], sizeof row[0], "%s", dlc_op_name(s->node->op));
  fmt_shapes(s->node, row[COL_SHAPE], sizeof row[0]);
  fmt_int(s->params, row[COL_PARAMS], sizeof row[0]);
  fmt_int(s->macs, row[COL_MACS], sizeof row[0]);
  fmt_rf(&s->rf, s->rf.rf, row[COL_RF], sizeof row[0]);
  fmt_rf(&s->rf, s->rf.jump, row[COL_JUMP], sizeof row[0]);
  fmt_int(s->activation_bytes, row[COL_BYTES], sizeof row[0]);
  fmt_fused(s->node, row[COL_FUSED], sizeof row[0]);
}

static void table_print_row(stats_row row, const int *width) {
  for (int c = 0; c < N_COLS; c++) {
    bool left = c <= COL_SHAPE || c == COL_FUSED; /* text left, numbers right */
    printf(c ? "  " : "");
    if (c == N_COLS - 1 && left)
      printf("%s", row[c]); /* no trailing padding */
    else
      printf(left ? "%-*s" : "%*s", width[c], row[c]);
  }
  printf("\n");
}

/* Memory figures of the (possibly optimised) graph. */
static void print_memory_summary(const dlc_graph *g, const dlc_schedule *s) {
  dlc_plan_stats ps;
  dlc_plan_stats_compute(g, s, &ps);
  char a[48], lb[48], nv[48], w[48];
  if (ps.arena_bytes >= 0)
    printf("memory: arena %s (lower bound %s, one buffer per tensor %s), "
           "weights %s\n",
           fmt_bytes(ps.arena_bytes, a, sizeof a),
           fmt_bytes(ps.arena_lower_bound_bytes, lb, sizeof lb),
           fmt_bytes(ps.naive_bytes, nv, sizeof nv),
           fmt_bytes(ps.weights_bytes, w, sizeof w));
  else
    printf("memory: not planned (no schedule); one buffer per tensor %s, "
           "weights %s\n",
           fmt_bytes(ps.naive_bytes, nv, sizeof nv),
           fmt_bytes(ps.weights_bytes, w, sizeof w));
}

/* Share of the total in percent (0 when the total is 0). */
static double share(int64_t part, int64_t total) {
  return total > 0 ? 100.0 * (double)part / (double)total : 0.0;
}

/* The by-operator-type summary, as torchinfo and fvcore give it. */
static void print_by_op(const dlc_graph_stats *st) {
  dlc_op_summary *rows;
  int n = dlc_stats_by_op(st, &rows);
  printf("\nby operator type:\n%-24s %6s %14s %18s %7s\n", "op", "nodes",
         "params", "MACs", "share");
  for (int i = 0; i < n; i++) {
    char p[48], m[48];
    printf("%-24s %6d %14s %18s %6.1f%%\n", dlc_op_name(rows[i].op),
           rows[i].count, fmt_int(rows[i].params, p, sizeof p),
           fmt_int(rows[i].macs, m, sizeof m),
           share(rows[i].macs, st->total_macs));
  }
  free(rows);
}

static void stats_print_table(const char *model, const dlc_graph *g,
                              const dlc_schedule *s,
                              const dlc_graph_stats *st) {
  stats_row *rows = calloc((size_t)st->n_nodes + 1, sizeof *rows);
  DLC_ASSERT(rows != NULL);
  static const char *const heads[N_COLS] = {
      "name", "op", "output shape", "params",
      "MACs", "RF", "jump",         "act bytes", "fused"};
  int width[N_COLS];
  for (int c = 0; c < N_COLS; c++) {
    snprintf(rows[0][c], sizeof rows[0][c], "%s", heads[c]);
    width[c] = (int)strlen(heads[c]);
  }
  for (int i = 0; i < st->n_nodes; i++) {
    table_row(&st->nodes[i], rows[i + 1]);
    for (int c = 0; c < N_COLS; c++)
      if ((int)strlen(rows[i + 1][c]) > width[c])
        width[c] = (int)strlen(rows[i + 1][c]);
  }
  printf("model: %s\n", g->name ? g->name : model);
  for (int i = 0; i <= st->n_nodes; i++)
    table_print_row(rows[i], width);
  free(rows);
  char params[48], params_u[48], macs[48], macs_u[48], bytes[48], bytes_u[48];
  printf("\ntotal: %s params (%s), %s MACs (%sMACs), %s activation bytes "
         "(%s)\n",
         fmt_int(st->total_params, params, sizeof params),
         fmt_units(st->total_params, "", params_u, sizeof params_u),
         fmt_int(st->total_macs, macs, sizeof macs),
         fmt_units(st->total_macs, " ", macs_u, sizeof macs_u),
         fmt_int(st->total_activation_bytes, bytes, sizeof bytes),
         fmt_bytes(st->total_activation_bytes, bytes_u, sizeof bytes_u));
  print_memory_summary(g, s);
  print_by_op(st);
}

/* ----------------------------------------------------------------- JSON */

static cJSON *json_int_array(const int64_t *v, int n) {
  cJSON *arr = cJSON_CreateArray();
  for (int i = 0; i < n; i++)
    cJSON_AddItemToArray(arr, cJSON_CreateNumber((double)v[i]));
  return arr;
}

/* The node's schedule record: algorithm (or why it runs none), tile,
 * parameters, scratch and the reason. */
static cJSON *json_schedule(const dlc_node_sched *r) {
  cJSON *o = cJSON_CreateObject();
  char line[512];
  cJSON_AddStringToObject(o, "algorithm", r->kind == DLC_SCHED_KERNEL
                                              ? dlc_algo_name(r->algo)
                                              : "none");
  if (dlc_algo_traits(r->algo) & DLC_AT_TILE) {
    cJSON_AddNumberToObject(o, "mr", r->p.tile.mr);
    cJSON_AddNumberToObject(o, "nv", r->p.tile.nv);
    cJSON_AddNumberToObject(o, "kc", (double)r->p.tile.kc);
  }
  if (r->algo == DLC_ALGO_CONV_IM2COL)
    cJSON_AddNumberToObject(o, "rows", (double)r->p.rows);
  cJSON_AddNumberToObject(o, "scratch_bytes", (double)r->scratch);
  cJSON_AddNumberToObject(o, "scratch_offset", (double)r->scratch_offset);
  cJSON_AddStringToObject(o, "why", r->why);
  cJSON_AddStringToObject(o, "line", dlc_schedule_format(r, line, sizeof line));
  return o;
}

static cJSON *json_node(const dlc_node_stats *s, const dlc_schedule *sc) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "name", s->node->name);
  cJSON_AddStringToObject(o, "op", dlc_op_name(s->node->op));
  cJSON *shapes = cJSON_AddArrayToObject(o, "output_shapes");
  for (int i = 0; i < s->node->n_outputs; i++)
    if (s->node->outputs[i])
      cJSON_AddItemToArray(shapes,
                           json_int_array(s->node->outputs[i]->type.dims,
                                          s->node->outputs[i]->type.rank));
  cJSON_AddNumberToObject(o, "params", (double)s->params);
  cJSON_AddNumberToObject(o, "macs", (double)s->macs);
  bool known = s->rf.state == DLC_RF_KNOWN;
  cJSON_AddItemToObject(o, "receptive_field",
                        known ? json_int_array(s->rf.rf, s->rf.n_spatial)
                              : cJSON_CreateNull());
  cJSON_AddItemToObject(o, "jump",
                        known ? json_int_array(s->rf.jump, s->rf.n_spatial)
                              : cJSON_CreateNull());
  cJSON_AddNumberToObject(o, "activation_bytes", (double)s->activation_bytes);
  const dlc_epilogue *e = s->node->epilogue;
  cJSON *fused = cJSON_AddArrayToObject(o, "fused");
  for (int i = 0; e && i < e->n_fused && i < 8; i++)
    cJSON_AddItemToArray(fused, cJSON_CreateString(e->fused[i]));
  cJSON_AddItemToObject(o, "schedule",
                        sc ? json_schedule(dlc_schedule_node(sc, s->node))
                           : cJSON_CreateNull());
  return o;
}

static cJSON *json_by_op(const dlc_graph_stats *st) {
  dlc_op_summary *rows;
  int n = dlc_stats_by_op(st, &rows);
  cJSON *arr = cJSON_CreateArray();
  for (int i = 0; i < n; i++) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "op", dlc_op_name(rows[i].op));
    cJSON_AddNumberToObject(o, "count", rows[i].count);
    cJSON_AddNumberToObject(o, "params", (double)rows[i].params);
    cJSON_AddNumberToObject(o, "macs", (double)rows[i].macs);
    cJSON_AddNumberToObject(o, "macs_share",
                            share(rows[i].macs, st->total_macs) / 100.0);
    cJSON_AddItemToArray(arr, o);
  }
  free(rows);
  return arr;
}

static void stats_print_json(const char *model, const dlc_graph *g,
                             const dlc_schedule *sc,
                             const dlc_graph_stats *st, int opt_level) {
  cJSON *root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "model", g->name ? g->name : model);
  cJSON *nodes = cJSON_AddArrayToObject(root, "nodes");
  for (int i = 0; i < st->n_nodes; i++)
    cJSON_AddItemToArray(nodes, json_node(&st->nodes[i], sc));
  cJSON_AddNumberToObject(root, "total_params", (double)st->total_params);
  cJSON_AddNumberToObject(root, "total_macs", (double)st->total_macs);
  cJSON_AddNumberToObject(root, "total_activation_bytes",
                          (double)st->total_activation_bytes);
  cJSON_AddNumberToObject(root, "opt_level", opt_level);
  cJSON_AddItemToObject(root, "by_op", json_by_op(st));
  dlc_plan_stats ps;
  dlc_plan_stats_compute(g, sc, &ps);
  cJSON_AddNumberToObject(root, "arena_bytes", (double)ps.arena_bytes);
  cJSON_AddNumberToObject(root, "arena_lower_bound_bytes",
                          (double)ps.arena_lower_bound_bytes);
  cJSON_AddNumberToObject(root, "naive_bytes", (double)ps.naive_bytes);
  cJSON_AddNumberToObject(root, "weights_bytes", (double)ps.weights_bytes);
  char *text = cJSON_Print(root);
  DLC_ASSERT(text != NULL);
  printf("%s\n", text);
  free(text);
  cJSON_Delete(root);
}

int dlc_cmd_stats(int argc, char **argv) {
  const char *model;
  bool json;
  int rc = DLC_EXIT_OK;
  dlc_cli_passes passes;
  dlc_cli_passes_init(&passes, 2);
  dlc_cli_shapes shapes = {0};
  bool parsed = dlc_cli_parse_optimising_args(
      argc, argv, STATS_HELP, "--json", &json, &model, &passes, &shapes, &rc);
  dlc_graph *g = parsed ? dlc_cli_load_shaped(model, &shapes, true) : NULL;
  dlc_cli_shapes_free(&shapes);
  dlc_schedule *sc = NULL;
  char why[512];
  if (g && !dlc_cli_schedule(g, model, &passes, &sc, why, sizeof why)) {
    dlc_graph_destroy(g);
    g = NULL;
  }
  int level = passes.opt.opt_level;
  dlc_cli_passes_free(&passes);
  if (!parsed)
    return rc;
  if (!g)
    return DLC_EXIT_BAD_INPUT;
  dlc_graph_stats st;
  dlc_stats_compute(g, &st);
  if (json)
    stats_print_json(model, g, sc, &st, level);
  else
    stats_print_table(model, g, sc, &st);
  dlc_stats_free(&st);
  dlc_schedule_destroy(sc);
  dlc_graph_destroy(g);
  return DLC_EXIT_OK;
}
