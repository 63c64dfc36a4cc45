/* sort.c — topological order of the graph's nodes by Kahn's algorithm.
 * Iterative throughout (a 200,000-node chain must not overflow the stack);
 * ties keep the nodes' original order so that dumps stay readable. Dead nodes
 * (unlinked by passes) are dropped from the list. */
#include <stdlib.h>
#include <string.h>

#include "ir.h"

/* Producer index of v within the live list, or -1 for inputs/initializers. */
static int producer_index(const dlc_value *v, const int *pos) {
  if (!v || v->kind != DLC_VALUE_NODE || !v->producer || v->producer->dead)
    return -1;
  return pos[v->producer->id];
}

/* Reports one cycle among the nodes left unsorted: walk backwards from a
 * stuck node through stuck producers until a node repeats. */
static void report_cycle(dlc_node **live, size_t n, const int *indeg,
                         const int *pos, dlc_diag *d) {
  size_t start = 0;
  while (start < n && indeg[start] == 0)
    start++;
  int *seen_at = malloc(n * sizeof *seen_at);
  int *path = malloc((n + 1) * sizeof *path);
  DLC_ASSERT(seen_at && path);
  for (size_t i = 0; i < n; i++)
    seen_at[i] = -1;
  int cur = (int)start, len = 0;
  while (seen_at[cur] < 0) {
    seen_at[cur] = len;
    path[len++] = cur;
    int next = -1;
    for (int i = 0; i < live[cur]->n_inputs && next < 0; i++) {
      int p = producer_index(live[cur]->inputs[i], pos);
      if (p >= 0 && indeg[p] > 0)
        next = p;
    }
    DLC_ASSERT(next >= 0); /* a stuck node always has a stuck producer */
    cur = next;
  }
  char msg[1024];
  size_t off = 0;
  int first = seen_at[cur];
  for (int i = len - 1; i >= first && off < sizeof msg - 64; i--)
    off += (size_t)snprintf(msg + off, sizeof msg - off, "'%s' -> ",
                            live[path[i]]->name);
  snprintf(msg + off, sizeof msg - off, "'%s'", live[path[len - 1]]->name);
  char where[512];
  snprintf(where, sizeof where, "node '%s' (%s)", live[cur]->name,
           dlc_op_name(live[cur]->op));
  dlc_diag_error(d, where, "the graph has a cycle: %s", msg);
  free(seen_at);
  free(path);
}

dlc_status dlc_graph_sort(dlc_graph *g, dlc_diag *d) {
  size_t total = g->nodes.n, n = 0;
  dlc_node **live = malloc((total + 1) * sizeof *live);
  int *pos = malloc((total + 1) * sizeof *pos);
  DLC_ASSERT(live && pos);
  for (size_t i = 0; i < total; i++) {
    dlc_node *node = g->nodes.items[i];
    node->id = (int)i;
    pos[i] = -1;
    if (!node->dead) {
      pos[i] = (int)n;
      live[n++] = node;
    }
  }
  /* Consumer lists in CSR form: for each producer, the consumers. */
  int *indeg = calloc(n + 1, sizeof *indeg);
  int *first = calloc(n + 2, sizeof *first);
  DLC_ASSERT(indeg && first);
  for (size_t i = 0; i < n; i++)
    for (int k = 0; k < live[i]->n_inputs; k++) {
      int p = producer_index(live[i]->inputs[k], pos);
      if (p >= 0) {
        indeg[i]++;
        first[p + 1]++;
      }
    }
  for (size_t i = 0; i < n; i++)
    first[i + 1] += first[i];
  int *fill = malloc((n + 1) * sizeof *fill);
  int *consumers = malloc(((size_t)first[n] + 1) * sizeof *consumers);
  DLC_ASSERT(fill && consumers);
  memcpy(fill, first, n * sizeof *fill);
  for (size_t i = 0; i < n; i++)
    for (int k = 0; k < live[i]->n_inputs; k++) {
      int p = producer_index(live[i]->inputs[k], pos);
      if (p >= 0)
        consumers[fill[p]++] = (int)i;
    }
  /* Kahn: a FIFO of ready nodes, seeded in original order. */
  int *queue = malloc((n + 1) * sizeof *queue);
  DLC_ASSERT(queue);
  size_t head = 0, tail = 0;
  for (size_t i = 0; i < n; i++)
    if (indeg[i] == 0)
      queue[tail++] = (int)i;
  while (head < tail) {
    int u = queue[head++];
    for (int e = first[u]; e < first[u + 1]; e++)
      if (--indeg[consumers[e]] == 0)
        queue[tail++] = consumers[e];
  }
  dlc_status st = DLC_OK;
  if (tail < n) {
    report_cycle(live, n, indeg, pos, d);
    st = DLC_ERR_INVALID;
  } else {
    g->nodes.n = 0;
    for (size_t i = 0; i < n; i++) {
      dlc_node *node = live[queue[i]];
      node->id = (int)i;
      dlc_vec_push(&g->nodes, node);
    }
  }
  free(live);
  free(pos);
  free(indeg);
  free(first);
  free(fill);
  free(consumers);
  free(queue);
  return st;
}
