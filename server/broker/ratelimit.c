/* ratelimit.c - a shared, thread-safe token bucket (GCRA) for REST calls. */
#include "server/broker/ratelimit.h"

#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "server/util/alloc.h"

struct st_ratelimit {
  pthread_mutex_t mu;
  st_ratelimit_clock clk;
  int64_t interval_ns;  /* Emission interval T. */
  int64_t tau_ns;       /* Burst tolerance: (burst - 1) * T. */
  int64_t tat_ns;       /* Theoretical arrival time of the next grant. */
  int64_t paused_until; /* No grant before this. */
};

static int64_t mono_now(void *ud) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static st_err mono_sleep(void *ud, int64_t ns) {
  struct timespec ts = {ns / 1000000000LL, ns % 1000000000LL};

  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
  return ST_OK;
}

st_err st_ratelimit_create(int limit, int64_t window_ns, int burst,
                           const st_ratelimit_clock *clk, st_ratelimit **out) {
  st_ratelimit *rl;
  int64_t per;

  *out = NULL;
  if (limit < 1 || window_ns < 1) {
    return ST_EINVAL;
  }
  if (burst < 1) {
    burst = 1;
  }
  if (burst > limit) {
    burst = limit;
  }
  rl = st_calloc(1, sizeof(*rl));
  if (rl == NULL) {
    return ST_ENOMEM;
  }
  if (clk != NULL) {
    rl->clk = *clk;
  } else {
    rl->clk.now_ns = mono_now;
    rl->clk.sleep_ns = mono_sleep;
  }
  per = limit - burst + 1;
  /* Round the interval up so that a window never holds more than limit. */
  rl->interval_ns = (window_ns + per - 1) / per;
  rl->tau_ns = (int64_t)(burst - 1) * rl->interval_ns;
  rl->tat_ns = rl->clk.now_ns(rl->clk.ud);
  pthread_mutex_init(&rl->mu, NULL);
  *out = rl;
  return ST_OK;
}

void st_ratelimit_destroy(st_ratelimit *rl) {
  if (rl == NULL) {
    return;
  }
  pthread_mutex_destroy(&rl->mu);
  st_free(rl);
}

static int64_t max64(int64_t a, int64_t b) {
  return a > b ? a : b;
}

st_err st_ratelimit_acquire(st_ratelimit *rl, int64_t max_wait_ns,
                            int64_t *due_ns) {
  int64_t now, grant;

  pthread_mutex_lock(&rl->mu);
  now = rl->clk.now_ns(rl->clk.ud);
  grant = max64(max64(now, rl->tat_ns - rl->tau_ns), rl->paused_until);
  if (due_ns != NULL) {
    *due_ns = grant;
  }
  if (grant - now > max_wait_ns) {
    pthread_mutex_unlock(&rl->mu);
    return ST_ERATELIMIT;
  }
  rl->tat_ns = max64(rl->tat_ns, grant) + rl->interval_ns;
  pthread_mutex_unlock(&rl->mu);
  if (grant > now) {
    return rl->clk.sleep_ns(rl->clk.ud, grant - now);
  }
  return ST_OK;
}

void st_ratelimit_pause_until(st_ratelimit *rl, int64_t until_ns) {
  pthread_mutex_lock(&rl->mu);
  if (until_ns > rl->paused_until) {
    rl->paused_until = until_ns;
  }
  pthread_mutex_unlock(&rl->mu);
}

int64_t st_ratelimit_now(st_ratelimit *rl) {
  return rl->clk.now_ns(rl->clk.ud);
}
