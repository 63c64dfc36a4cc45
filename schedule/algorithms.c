/* algorithms.c — the algorithm table (algorithms.def) and its accessors:
 * names, traits and the inputs each algorithm needs constant. */
#include <string.h>

#include "schedule/schedule.h"

typedef struct algo_row {
  const char *name;
  unsigned traits, const_inputs;
} algo_row;

static const algo_row algos[DLC_ALGO_COUNT] = {
    [DLC_ALGO_NONE] = {"none", 0, 0},
#define DLC_ALGO(id, nm, cls, tr, cin) [DLC_ALGO_##id] = {nm, tr, cin},
#include "schedule/algorithms.def"
#undef DLC_ALGO
};

const char *dlc_algo_name(dlc_algo a) {
  return a >= 0 && a < DLC_ALGO_COUNT ? algos[a].name : "?";
}

dlc_algo dlc_algo_from_name(const char *name) {
  for (int a = 1; name && a < DLC_ALGO_COUNT; a++)
    if (strcmp(algos[a].name, name) == 0)
      return (dlc_algo)a;
  return DLC_ALGO_NONE;
}

unsigned dlc_algo_traits(dlc_algo a) {
  return a > 0 && a < DLC_ALGO_COUNT ? algos[a].traits : 0;
}

unsigned dlc_algo_const_inputs(dlc_algo a) {
  return a > 0 && a < DLC_ALGO_COUNT ? algos[a].const_inputs : 0;
}
