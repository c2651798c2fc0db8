/* ratelimit.c - fixed one-minute windows per API key. */
#include "server/alpaca_sim/ratelimit.h"

#include <stdio.h>
#include <string.h>

void st_asim_ratelimit_init(st_asim_ratelimit *rl, int limit) {
  memset(rl, 0, sizeof(*rl));
  rl->limit = limit;
}

/* Finds key's bucket, or claims an unused or the least recently used one. */
static st_asim_rl_bucket *lookup(st_asim_ratelimit *rl, const char *key) {
  st_asim_rl_bucket *victim = &rl->b[0];

  for (int i = 0; i < ST_ASIM_RL_KEYS; i++) {
    st_asim_rl_bucket *b = &rl->b[i];

    if (b->window_start_s != 0 && strcmp(b->key, key) == 0) {
      return b;
    }
    if (victim->window_start_s != 0 &&
        (b->window_start_s == 0 || b->last_s < victim->last_s)) {
      victim = b;
    }
  }
  memset(victim, 0, sizeof(*victim));
  snprintf(victim->key, sizeof(victim->key), "%s", key);
  return victim;
}

int st_asim_ratelimit_take(st_asim_ratelimit *rl, const char *key,
                           int64_t now_s, st_asim_rl_info *info) {
  st_asim_rl_bucket *b = lookup(rl, key != NULL ? key : "");
  int ok;

  if (b->window_start_s == 0 ||
      now_s >= b->window_start_s + ST_ASIM_RL_WINDOW_S) {
    b->window_start_s = now_s;
    b->count = 0;
  }
  b->last_s = now_s;
  ok = b->count < rl->limit;
  if (ok) {
    b->count++;
  }
  info->limit = rl->limit;
  info->remaining = rl->limit - b->count;
  info->reset_s = b->window_start_s + ST_ASIM_RL_WINDOW_S;
  return ok;
}
