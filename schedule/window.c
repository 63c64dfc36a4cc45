/* window.c — the one resolved sliding-window geometry of Conv,
 * ConvTranspose and the pools (kernel, strides, dilations, pads after
 * auto_pad), recorded in each node's schedule and read by the kernels. */
#include <string.h>

#include "schedule/schedule.h"

static void axis_ints(const dlc_node *n, const char *name, int ns, int64_t dflt,
                      int64_t *dst, int per_axis) {
  const int64_t *v = NULL;
  int cnt = dlc_node_get_ints(n, name, &v);
  for (int i = 0; i < per_axis * ns; i++)
    dst[i] = cnt == per_axis * ns ? v[i] : dflt;
}

bool dlc_window_get(const dlc_node *n, const dlc_tensor *x, const dlc_tensor *y,
                 const int64_t *kernel, dlc_window *g) {
  int ns = x->rank - 2;
  if (ns < 1 || ns > 2)
    return false;
  int64_t s[2], d[2], pads[4];
  axis_ints(n, "strides", ns, 1, s, 1);
  axis_ints(n, "dilations", ns, 1, d, 1);
  axis_ints(n, "pads", ns, 0, pads, 2);
  const char *ap = dlc_node_get_string(n, "auto_pad");
  int off = 2 - ns; /* 1-D lives in axis 1 of the 2-D view */
  for (int a = 0; a < 2; a++) {
    int i = a - off;
    bool real = i >= 0;
    g->in[a] = real ? x->dims[2 + i] : 1;
    g->out[a] = real ? y->dims[2 + i] : 1;
    g->k[a] = real ? kernel[i] : 1;
    g->s[a] = real ? s[i] : 1;
    g->d[a] = real ? d[i] : 1;
    g->pb[a] = real ? pads[i] : 0;
    g->pe[a] = real ? pads[ns + i] : 0;
    if (real && ap && (strncmp(ap, "SAME", 4) == 0 || !strcmp(ap, "VALID"))) {
      int64_t ext = (g->k[a] - 1) * g->d[a] + 1;
      int64_t total = (g->out[a] - 1) * g->s[a] + ext - g->in[a];
      if (total < 0 || !strcmp(ap, "VALID"))
        total = 0;
      bool lower = strcmp(ap, "SAME_LOWER") == 0;
      g->pb[a] = lower ? total - total / 2 : total / 2;
      g->pe[a] = total - g->pb[a];
    }
  }
  return true;
}
