/* setup.h - builds alpaca-sim's simulator from its configuration: the
 * universe (--universe), the starting account (--portfolio, --cash), the
 * tunables, or the saved state (--state-file).
 */
#ifndef ST_ASIM_SETUP_H
#define ST_ASIM_SETUP_H

#include <stdint.h>

#include "server/alpaca_sim/config.h"
#include "server/sim/sim.h"
#include "server/util/err.h"

/* Creates the simulator at now_ns: loaded from cfg->state_file when that
 * file exists (its tunables then overridden by cfg; *loaded set to 1),
 * else built from cfg (*loaded 0). The caller owns *out (st_sim_free).
 * ST_EINVAL, ST_EIO or ST_EPROTO with a one-line message in eb;
 * ST_ENOMEM. */
st_err st_asim_setup_sim(const st_asim_config *cfg, int64_t now_ns,
                         st_sim **out, int *loaded, st_errbuf *eb);

#endif
