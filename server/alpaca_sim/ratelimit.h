/* ratelimit.h - Alpaca's per-key REST rate limit: N requests a minute.
 *
 * A fixed one-minute window per API key, opened by the key's first request
 * after the previous window ended. Every REST response carries the window's
 * X-Ratelimit-Limit, X-Ratelimit-Remaining and X-Ratelimit-Reset (epoch
 * seconds); a request over the limit is answered 429. Plain value type, at
 * most ST_ASIM_RL_KEYS keys (the least recently used one is forgotten).
 * Not thread-safe: callers lock.
 */
#ifndef ST_ASIM_RATELIMIT_H
#define ST_ASIM_RATELIMIT_H

#include <stdint.h>

#define ST_ASIM_RL_KEYS 32
#define ST_ASIM_RL_KEY_LEN 128
#define ST_ASIM_RL_WINDOW_S 60

typedef struct st_asim_rl_bucket {
  char key[ST_ASIM_RL_KEY_LEN];
  int64_t window_start_s; /* 0: unused slot. */
  int64_t last_s;         /* Last request, for eviction. */
  int count;              /* Requests counted in the window. */
} st_asim_rl_bucket;

typedef struct st_asim_ratelimit {
  int limit; /* Requests per window. */
  st_asim_rl_bucket b[ST_ASIM_RL_KEYS];
} st_asim_ratelimit;

/* What the rate-limit headers of one response say. */
typedef struct st_asim_rl_info {
  int limit;
  int remaining;
  int64_t reset_s; /* Epoch seconds when the window ends. */
} st_asim_rl_info;

/* Sets up rl with `limit` requests per minute and no keys. */
void st_asim_ratelimit_init(st_asim_ratelimit *rl, int limit);

/* Counts one request of key (NULL counts as "") at now_s and fills *info.
 * Returns 1 if the request is within the limit, 0 if it must get 429. */
int st_asim_ratelimit_take(st_asim_ratelimit *rl, const char *key,
                           int64_t now_s, st_asim_rl_info *info);

#endif
