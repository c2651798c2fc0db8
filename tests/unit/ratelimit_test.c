/* ratelimit_test.c - unit tests for the shared REST token bucket
 * (server/broker/ratelimit), on an injected clock. */
#include "server/broker/ratelimit.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "server/util/alloc.h"
#include "tests/unit/cunit_main.h"

#define SEC 1000000000LL
#define MIN (60 * SEC)

/* A fake clock: sleeping advances time; every sleep is recorded. */
typedef struct fake {
  atomic_llong now;
  atomic_llong slept;
  atomic_int sleeps;
  int cancel; /* sleep returns ST_ECANCELED */
} fake;

static int64_t fake_now(void *ud) {
  return atomic_load(&((fake *)ud)->now);
}

static st_err fake_sleep(void *ud, int64_t ns) {
  fake *f = ud;

  CU_ASSERT(ns > 0);
  atomic_fetch_add(&f->now, ns);
  atomic_fetch_add(&f->slept, ns);
  atomic_fetch_add(&f->sleeps, 1);
  return f->cancel ? ST_ECANCELED : ST_OK;
}

static st_ratelimit *make(fake *f, int limit, int64_t window, int burst) {
  st_ratelimit_clock clk = {fake_now, fake_sleep, f};
  st_ratelimit *rl = NULL;

  CU_ASSERT_EQUAL_FATAL(st_ratelimit_create(limit, window, burst, &clk, &rl),
                        ST_OK);
  return rl;
}

/* Asserts that no half-open window of length w holds more than limit of
 * the sorted times t[0..n). */
static void assert_windows(const int64_t *t, size_t n, int64_t w, int limit) {
  size_t i, j = 0;

  for (i = 0; i < n; i++) {
    while (t[i] - t[j] >= w) {
      j++;
    }
    CU_ASSERT((int)(i - j + 1) <= limit);
    if ((int)(i - j + 1) > limit) {
      return;
    }
  }
}

static void test_invalid(void) {
  st_ratelimit *rl = (st_ratelimit *)1;

  CU_ASSERT_EQUAL(st_ratelimit_create(0, MIN, 1, NULL, &rl), ST_EINVAL);
  CU_ASSERT_PTR_NULL(rl);
  CU_ASSERT_EQUAL(st_ratelimit_create(10, 0, 1, NULL, &rl), ST_EINVAL);
}

static void test_burst_then_even(void) {
  fake f = {0};
  st_ratelimit *rl;
  int i;

  atomic_store(&f.now, 1000 * SEC);
  rl = make(&f, 200, MIN, 10);
  /* The burst goes through without sleeping. */
  for (i = 0; i < 10; i++) {
    CU_ASSERT_EQUAL(st_ratelimit_acquire(rl, MIN, NULL), ST_OK);
  }
  CU_ASSERT_EQUAL(atomic_load(&f.sleeps), 0);
  /* Then one per 60/191 s. */
  CU_ASSERT_EQUAL(st_ratelimit_acquire(rl, MIN, NULL), ST_OK);
  CU_ASSERT_EQUAL(atomic_load(&f.sleeps), 1);
  CU_ASSERT_EQUAL(atomic_load(&f.slept), (MIN + 190) / 191);
  st_ratelimit_destroy(rl);
}

/* 1000 requests as fast as allowed never put more than the limit in any
 * minute, and the rate over time approaches it. */
static void test_never_exceeds(void) {
  static const int limits[][2] = {{200, 10}, {200, 1}, {200, 200}, {7, 3}};
  size_t k;

  for (k = 0; k < sizeof(limits) / sizeof(limits[0]); k++) {
    fake f = {0};
    st_ratelimit *rl = make(&f, limits[k][0], MIN, limits[k][1]);
    int64_t *t = calloc(1000, sizeof(*t));
    size_t i;

    for (i = 0; i < 1000; i++) {
      CU_ASSERT_EQUAL(st_ratelimit_acquire(rl, 10 * MIN, NULL), ST_OK);
      t[i] = atomic_load(&f.now);
    }
    assert_windows(t, 1000, MIN, limits[k][0]);
    /* Not needlessly slow either: at least limit - burst + 1 per minute. */
    CU_ASSERT(t[999] - t[0] <=
              (int64_t)(1000 / (limits[k][0] - limits[k][1] + 1) + 1) * MIN);
    free(t);
    st_ratelimit_destroy(rl);
  }
}

static void test_max_wait_refuses(void) {
  fake f = {0};
  st_ratelimit *rl = make(&f, 60, MIN, 1); /* One per second. */
  int64_t due = 0;

  CU_ASSERT_EQUAL(st_ratelimit_acquire(rl, 0, NULL), ST_OK);
  /* The next is due in 1 s: refused with a 0.5 s budget, nothing taken. */
  CU_ASSERT_EQUAL(st_ratelimit_acquire(rl, SEC / 2, &due), ST_ERATELIMIT);
  CU_ASSERT_EQUAL(due, SEC);
  CU_ASSERT_EQUAL(st_ratelimit_acquire(rl, SEC / 2, &due), ST_ERATELIMIT);
  CU_ASSERT_EQUAL(due, SEC);
  CU_ASSERT_EQUAL(atomic_load(&f.sleeps), 0);
  /* With a budget it waits exactly until then. */
  CU_ASSERT_EQUAL(st_ratelimit_acquire(rl, 2 * SEC, &due), ST_OK);
  CU_ASSERT_EQUAL(atomic_load(&f.now), SEC);
  st_ratelimit_destroy(rl);
}

static void test_pause(void) {
  fake f = {0};
  st_ratelimit *rl = make(&f, 200, MIN, 10);

  CU_ASSERT_EQUAL(st_ratelimit_acquire(rl, MIN, NULL), ST_OK);
  /* The broker said: nothing left until t = 30 s. */
  st_ratelimit_pause_until(rl, 30 * SEC);
  st_ratelimit_pause_until(rl, 10 * SEC); /* Does not shorten it. */
  CU_ASSERT_EQUAL(st_ratelimit_acquire(rl, 5 * SEC, NULL), ST_ERATELIMIT);
  CU_ASSERT_EQUAL(st_ratelimit_acquire(rl, MIN, NULL), ST_OK);
  CU_ASSERT_EQUAL(atomic_load(&f.now), 30 * SEC);
  /* After the pause the burst is available again. */
  CU_ASSERT_EQUAL(st_ratelimit_acquire(rl, 0, NULL), ST_OK);
  CU_ASSERT_EQUAL(st_ratelimit_now(rl), 30 * SEC);
  st_ratelimit_destroy(rl);
}

static void test_cancelled_sleep(void) {
  fake f = {0};
  st_ratelimit *rl = make(&f, 60, MIN, 1);

  f.cancel = 1;
  CU_ASSERT_EQUAL(st_ratelimit_acquire(rl, MIN, NULL), ST_OK);
  CU_ASSERT_EQUAL(st_ratelimit_acquire(rl, MIN, NULL), ST_ECANCELED);
  st_ratelimit_destroy(rl);
}

/* Threads sharing one bucket: the grant times handed out (due) never
 * exceed the limit in any window, whoever asks. The fake clock stands
 * still (sleep does not advance it) so that reservations pile up. */
static int64_t still_now(void *ud) {
  return 0;
}

static st_err no_sleep(void *ud, int64_t ns) {
  return ST_OK;
}

typedef struct share {
  st_ratelimit *rl;
  int64_t *due;
  atomic_int next;
} share;

static void *hammer(void *arg) {
  share *s = arg;
  int i;

  for (i = 0; i < 250; i++) {
    int64_t d = -1;
    int slot;

    CU_ASSERT_EQUAL(st_ratelimit_acquire(s->rl, 1000 * MIN, &d), ST_OK);
    slot = atomic_fetch_add(&s->next, 1);
    s->due[slot] = d;
  }
  return NULL;
}

static int cmp64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

  return x < y ? -1 : x > y;
}

static void test_threads(void) {
  st_ratelimit_clock clk = {still_now, no_sleep, NULL};
  pthread_t th[4];
  share s;
  int i;

  memset(&s, 0, sizeof(s));
  CU_ASSERT_EQUAL_FATAL(st_ratelimit_create(200, MIN, 10, &clk, &s.rl), ST_OK);
  s.due = calloc(1000, sizeof(*s.due));
  for (i = 0; i < 4; i++) {
    pthread_create(&th[i], NULL, hammer, &s);
  }
  for (i = 0; i < 4; i++) {
    pthread_join(th[i], NULL);
  }
  CU_ASSERT_EQUAL(atomic_load(&s.next), 1000);
  qsort(s.due, 1000, sizeof(*s.due), cmp64);
  assert_windows(s.due, 1000, MIN, 200);
  /* Each slot handed out once: no two equal past the burst. */
  for (i = 10; i < 1000; i++) {
    CU_ASSERT(s.due[i] > s.due[i - 1]);
  }
  free(s.due);
  st_ratelimit_destroy(s.rl);
}

static void test_real_clock(void) {
  st_ratelimit *rl = NULL;

  /* Default clock: 1000 per 100 ms, burst 1000: no noticeable wait. */
  CU_ASSERT_EQUAL_FATAL(st_ratelimit_create(1000, SEC / 10, 1000, NULL, &rl),
                        ST_OK);
  CU_ASSERT_EQUAL(st_ratelimit_acquire(rl, SEC, NULL), ST_OK);
  CU_ASSERT(st_ratelimit_now(rl) > 0);
  st_ratelimit_destroy(rl);
  CU_ASSERT_EQUAL(st_alloc_live(), 0);
}

static const st_test tests[] = {
    {"invalid", test_invalid},
    {"burst_then_even", test_burst_then_even},
    {"never_exceeds", test_never_exceeds},
    {"max_wait_refuses", test_max_wait_refuses},
    {"pause", test_pause},
    {"cancelled_sleep", test_cancelled_sleep},
    {"threads", test_threads},
    {"real_clock", test_real_clock},
    {NULL, NULL},
};

ST_TEST_MAIN("ratelimit", tests)
