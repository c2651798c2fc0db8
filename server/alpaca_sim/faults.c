/* faults.c - injected REST failures. */
#include "server/alpaca_sim/faults.h"

#include <string.h>

void st_asim_faults_init(st_asim_faults *f, uint64_t seed) {
  memset(f, 0, sizeof(*f));
  st_sim_rng_seed(&f->rng, seed ^ 0x5eedfa17u);
}

int st_asim_faults_draw(st_asim_faults *f, int *after) {
  *after = 0;
  if (f->burst_429 > 0) {
    f->burst_429--;
    f->injected_429++;
    return 429;
  }
  if (st_dec_is_pos(f->error_5xx_share) &&
      (int64_t)st_sim_rng_below(&f->rng, ST_DEC_SCALE) < f->error_5xx_share.v) {
    f->injected_5xx++;
    *after = f->error_5xx_after;
    return st_sim_rng_below(&f->rng, 2) == 0 ? 500 : 503;
  }
  return 0;
}
