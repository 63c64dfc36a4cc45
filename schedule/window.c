/* window.c — the schedule's 2-D view of a node's window (ir/ir.h
 * dlc_window_of, the geometry shape inference computed): 1-D windows live
 * in axis 1 with H = 1, so every kernel is written once for 2-D. */
#include <string.h>

#include "schedule/schedule.h"

bool dlc_window2d_of(const dlc_node *n, dlc_window2d *g) {
  dlc_window w;
  if (!dlc_window_of(n, &w) || w.ns < 1 || w.ns > 2)
    return false;
  int off = 2 - w.ns;
  for (int a = 0; a < 2; a++) {
    int i = a - off;
    bool real = i >= 0;
    g->in[a] = real ? w.in[i] : 1;
    g->out[a] = real ? w.out[i] : 1;
    g->k[a] = real ? w.k[i] : 1;
    g->s[a] = real ? w.s[i] : 1;
    g->d[a] = real ? w.d[i] : 1;
    g->pb[a] = real ? w.pb[i] : 0;
    g->pe[a] = real ? w.pe[i] : 0;
  }
  return true;
}
