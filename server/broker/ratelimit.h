/* ratelimit.h - a shared, thread-safe token bucket for broker REST calls.
 *
 * One st_ratelimit holds the request budget of one broker account (Alpaca:
 * 200 requests per minute), shared by every thread that calls the broker,
 * so that submits, cancels and polling together never exceed it. It is a
 * GCRA token bucket with a small burst: `limit` requests per `window`,
 * refilled evenly at (limit - burst) / window, so that no window of that
 * length (half-open) ever holds more than `limit` grants.
 *
 * Callers reserve a slot and then sleep until it comes, outside the lock;
 * a reservation that would wait longer than the caller allows is refused
 * without taking anything. The broker's own signals (X-Ratelimit-Remaining
 * reaching 0, or a 429) pause the bucket until the reset time it gave.
 *
 * Time comes from an injectable clock (monotonic nanoseconds) so that
 * tests run without sleeping.
 */
#ifndef ST_BROKER_RATELIMIT_H
#define ST_BROKER_RATELIMIT_H

#include <stdint.h>

#include "server/util/err.h"

/* Where time comes from. now_ns returns a monotonic time in ns; sleep_ns
 * sleeps for ns (> 0) and returns ST_OK, or ST_ECANCELED if interrupted
 * (e.g. by shutdown). Both may be called from any thread. */
typedef struct st_ratelimit_clock {
  int64_t (*now_ns)(void *ud);
  st_err (*sleep_ns)(void *ud, int64_t ns);
  void *ud;
} st_ratelimit_clock;

typedef struct st_ratelimit st_ratelimit;

/* Creates a bucket allowing `limit` requests per window_ns with bursts of
 * up to `burst` (clamped to 1..limit; the refill rate is
 * (limit - burst + 1) / window, so that a window never exceeds limit).
 * clk NULL means CLOCK_MONOTONIC and nanosleep. The bucket starts full.
 * ST_EINVAL for limit < 1 or window_ns < 1. Caller frees *out with
 * st_ratelimit_destroy. */
st_err st_ratelimit_create(int limit, int64_t window_ns, int burst,
                           const st_ratelimit_clock *clk, st_ratelimit **out);

/* Frees rl. No call may be in progress. */
void st_ratelimit_destroy(st_ratelimit *rl);

/* Takes one token, sleeping (through the clock) until it is due.
 * If the token would come more than max_wait_ns from now, nothing is taken
 * and ST_ERATELIMIT is returned with *due_ns (if not NULL) set to when a
 * token would have come. ST_ECANCELED if the sleep was interrupted (the
 * token is then spent). Thread-safe. */
st_err st_ratelimit_acquire(st_ratelimit *rl, int64_t max_wait_ns,
                            int64_t *due_ns);

/* Grants nothing before until_ns (monotonic clock of rl), e.g. because the
 * broker said it has no requests left until its reset. A pause that ends
 * earlier than one already set does not shorten it. Thread-safe. */
void st_ratelimit_pause_until(st_ratelimit *rl, int64_t until_ns);

/* The clock's current time (for callers converting reset times). */
int64_t st_ratelimit_now(st_ratelimit *rl);

#endif
