/* alpaca_rest.c - one Alpaca REST call: rate limit, retries, error mapping. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "server/broker/alpaca_error.h"
#include "server/broker/alpaca_internal.h"
#include "server/broker/alpaca_json.h"
#include "server/util/log.h"

#define NS_PER_SEC 1000000000LL
#define NS_PER_MS 1000000LL

int64_t st_alpaca__real_ns(void) {
  struct timespec ts;

  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

int64_t st_alpaca__mono_ns(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

st_err st_alpaca__fail(st_brokerr *e, st_err err, const char *fmt, ...) {
  va_list ap;

  if (e != NULL) {
    memset(e, 0, sizeof(*e));
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof(e->message), fmt, ap);
    va_end(ap);
  }
  return err;
}

st_err st_alpaca__escape(const char *s, char *dst, size_t cap) {
  static const char hex[] = "0123456789ABCDEF";
  size_t o = 0;

  for (; *s != '\0'; s++) {
    unsigned char c = (unsigned char)*s;

    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
        (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
        c == '~') {
      if (o + 1 >= cap) {
        return ST_EINVAL;
      }
      dst[o++] = (char)c;
    } else {
      if (o + 3 >= cap) {
        return ST_EINVAL;
      }
      dst[o++] = '%';
      dst[o++] = hex[c >> 4];
      dst[o++] = hex[c & 15];
    }
  }
  if (o >= cap) {
    return ST_EINVAL;
  }
  dst[o] = '\0';
  return ST_OK;
}

st_err st_alpaca__sleep(st_alpaca *a, int64_t ns) {
  struct timespec dl;
  int64_t until = st_alpaca__mono_ns() + (ns > 0 ? ns : 0);
  st_err err = ST_OK;

  dl.tv_sec = until / NS_PER_SEC;
  dl.tv_nsec = until % NS_PER_SEC;
  pthread_mutex_lock(&a->mu);
  while (!a->stopping && st_alpaca__mono_ns() < until) {
    pthread_cond_timedwait(&a->cv, &a->mu, &dl);
  }
  if (a->stopping) {
    err = ST_ECANCELED;
  }
  pthread_mutex_unlock(&a->mu);
  return err;
}

static uint64_t rand64(st_alpaca *a) {
  uint64_t x;

  pthread_mutex_lock(&a->mu);
  a->rng ^= a->rng << 13;
  a->rng ^= a->rng >> 7;
  a->rng ^= a->rng << 17;
  x = a->rng;
  pthread_mutex_unlock(&a->mu);
  return x;
}

int64_t st_alpaca__backoff_ns(st_alpaca *a, int attempt) {
  int64_t d = a->backoff_base_ns;
  int i;

  for (i = 1; i < attempt && d < a->backoff_cap_ns; i++) {
    d *= 2;
  }
  if (d > a->backoff_cap_ns) {
    d = a->backoff_cap_ns;
  }
  /* Equal jitter: half fixed, half random, so retries of many callers
   * spread out but never come back at once. */
  return d / 2 + (int64_t)(rand64(a) % (uint64_t)(d / 2 + 1));
}

/* Pauses the shared bucket while the broker says none are left. */
static void note_limits(st_alpaca *a, const st_http_resp *r) {
  int64_t wait;

  if (r->rl_remaining != 0 || r->rl_reset_s <= 0) {
    return;
  }
  wait = r->rl_reset_s * NS_PER_SEC - st_alpaca__real_ns();
  if (wait <= 0) {
    return;
  }
  if (wait > a->rate_wait_max_ns) {
    wait = a->rate_wait_max_ns;
  }
  st_ratelimit_pause_until(a->rl, st_ratelimit_now(a->rl) + wait);
}

st_err st_alpaca__request(st_alpaca *a, const char *method, const char *path,
                          const char *body, unsigned flags, cJSON **out,
                          st_brokerr *e) {
  const char *root = (flags & ST_ALPACA__DATA) ? a->data_url : a->base_url;
  size_t ulen = strlen(root) + strlen(path) + 1;
  char url[8192];
  st_http_resp r;
  st_errbuf eb;
  int attempt;
  st_err err;

  if (out != NULL) {
    *out = NULL;
  }
  if (ulen > sizeof(url)) {
    return st_alpaca__fail(e, ST_EINVAL, "request URL too long");
  }
  snprintf(url, sizeof(url), "%s%s", root, path);
  for (attempt = 1;; attempt++) {
    int64_t due = 0, wait;

    err = st_ratelimit_acquire(a->rl, a->rate_wait_max_ns, &due);
    if (err == ST_ERATELIMIT) {
      err = st_alpaca__fail(e, ST_ERATELIMIT,
                            "no request slot within %lld ms (client-side "
                            "rate limit)",
                            (long long)(a->rate_wait_max_ns / NS_PER_MS));
      if (e != NULL) {
        e->retry_at_ns = st_alpaca__real_ns() + (due - st_ratelimit_now(a->rl));
      }
      return err;
    }
    if (err != ST_OK) {
      return st_alpaca__fail(e, err, "canceled: shutting down");
    }
    err = st_http_do(a->http, method, url, body, &r, &eb);
    if (err == ST_ETRANSIENT) {
      st_http_resp_free(&r);
      st_alpaca__fail(e, ST_ETRANSIENT, "%s", eb.msg);
      if ((flags & ST_ALPACA__ONCE) || attempt >= a->max_attempts) {
        return ST_ETRANSIENT;
      }
      ST_WARN("alpaca", "%s (attempt %d of %d; retrying)", eb.msg, attempt,
              a->max_attempts);
      if (st_alpaca__sleep(a, st_alpaca__backoff_ns(a, attempt)) != ST_OK) {
        return ST_ETRANSIENT;
      }
      continue;
    }
    if (err != ST_OK) {
      st_http_resp_free(&r);
      return st_alpaca__fail(e, err, "%s", eb.msg);
    }
    note_limits(a, &r);
    if (r.status >= 200 && r.status < 300) {
      if (out != NULL && r.len > 0) {
        err = st_alpaca_json_parse(r.body, r.len, out, &eb);
        if (err != ST_OK) {
          st_alpaca__fail(e, err, "%s %s: %s", method, path, eb.msg);
          if (e != NULL) {
            e->http_status = (int)r.status;
          }
        }
      }
      st_http_resp_free(&r);
      return err;
    }
    err = st_alpaca_error_map(r.status, r.body, r.len, e);
    st_http_resp_free(&r);
    if (r.status == 429) {
      int64_t now = st_alpaca__real_ns(), reset;

      if (r.rl_remaining > 0) {
        /* The broker still counts requests left: this limit is not the
         * account window, so its reset time is not worth waiting for. */
        wait = st_alpaca__backoff_ns(a, attempt);
        reset = now + wait;
      } else {
        reset = r.rl_reset_s > 0 ? r.rl_reset_s * NS_PER_SEC
                                 : now + st_alpaca__backoff_ns(a, attempt);
        if (reset < now) {
          reset = now;
        }
        /* Everyone waits for the reset, spread by a little jitter so that
         * they do not all come back in the same instant. */
        wait = reset - now +
               (int64_t)(rand64(a) % (uint64_t)(2 * a->backoff_base_ns + 1));
        if (wait > a->rate_wait_max_ns) {
          wait = a->rate_wait_max_ns;
        }
        st_ratelimit_pause_until(a->rl, st_ratelimit_now(a->rl) + wait);
      }
      if (e != NULL) {
        e->retry_at_ns = reset;
      }
      if (attempt >= a->max_attempts) {
        return ST_ERATELIMIT;
      }
      ST_WARN("alpaca", "%s %s: rate limited (429); retrying in %lld ms",
              method, path, (long long)(wait / NS_PER_MS));
      if (st_alpaca__sleep(a, wait) != ST_OK) {
        return ST_ERATELIMIT;
      }
      continue;
    }
    if (r.status >= 500) {
      if ((flags & ST_ALPACA__ONCE) || attempt >= a->max_attempts) {
        return err;
      }
      ST_WARN("alpaca", "%s %s: HTTP %ld (attempt %d of %d; retrying)", method,
              path, r.status, attempt, a->max_attempts);
      if (st_alpaca__sleep(a, st_alpaca__backoff_ns(a, attempt)) != ST_OK) {
        return err;
      }
      continue;
    }
    return err;
  }
}
