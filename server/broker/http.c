/* http.c - a small thread-safe HTTP client over libcurl for broker REST. */
#include "server/broker/http.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "server/util/alloc.h"

struct st_http {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  CURL **free_handles; /* Stack of idle handles. */
  size_t nfree, n;
  struct curl_slist *hdrs;      /* Fixed headers. */
  struct curl_slist *hdrs_json; /* Fixed headers plus a JSON body's. */
  long connect_timeout_ms, timeout_ms;
  size_t max_body;
};

/* What a transfer collects. */
typedef struct xfer {
  st_http_resp *resp;
  size_t cap, max;
  int too_big, nomem;
} xfer;

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void) {
  curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* Wipes and frees a header list that may hold secrets. */
static void wipe_slist(struct curl_slist *l) {
  struct curl_slist *p;

  for (p = l; p != NULL; p = p->next) {
    if (p->data != NULL) {
      volatile char *d = p->data;

      while (*d != '\0') {
        *d++ = '\0';
      }
    }
  }
  curl_slist_free_all(l);
}

static st_err append(struct curl_slist **l, const char *line) {
  struct curl_slist *n = curl_slist_append(*l, line);

  if (n == NULL) {
    return ST_ENOMEM;
  }
  *l = n;
  return ST_OK;
}

st_err st_http_create(const st_http_opts *o, st_http **out, st_errbuf *eb) {
  st_http *h = NULL;
  size_t i, pool;
  st_err err = ST_OK;

  *out = NULL;
  pthread_once(&curl_once, curl_init);
  if (curl_init_rc != CURLE_OK) {
    return st_errf(eb, ST_EIO, "curl_global_init: %s",
                   curl_easy_strerror(curl_init_rc));
  }
  pool = o->pool_size != 0 ? o->pool_size : 4;
  h = st_calloc(1, sizeof(*h));
  if (h == NULL) {
    return st_errf(eb, ST_ENOMEM, "http client");
  }
  pthread_mutex_init(&h->mu, NULL);
  pthread_cond_init(&h->cv, NULL);
  h->connect_timeout_ms =
      o->connect_timeout_ms > 0 ? o->connect_timeout_ms : 5000;
  h->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 15000;
  h->max_body = o->max_body != 0 ? o->max_body : (16u << 20);
  h->free_handles = st_calloc(pool, sizeof(*h->free_handles));
  if (h->free_handles == NULL) {
    err = st_errf(eb, ST_ENOMEM, "http pool");
    goto fail;
  }
  for (i = 0; i < o->nheaders; i++) {
    if (append(&h->hdrs, o->headers[i]) != ST_OK ||
        append(&h->hdrs_json, o->headers[i]) != ST_OK) {
      err = st_errf(eb, ST_ENOMEM, "http headers");
      goto fail;
    }
  }
  if (append(&h->hdrs, "Accept: application/json") != ST_OK ||
      append(&h->hdrs_json, "Accept: application/json") != ST_OK ||
      append(&h->hdrs_json, "Content-Type: application/json") != ST_OK ||
      append(&h->hdrs_json, "Expect:") != ST_OK) {
    err = st_errf(eb, ST_ENOMEM, "http headers");
    goto fail;
  }
  for (i = 0; i < pool; i++) {
    CURL *c = curl_easy_init();

    if (c == NULL) {
      err = st_errf(eb, ST_EIO, "curl_easy_init failed");
      goto fail;
    }
    h->free_handles[h->nfree++] = c;
    h->n++;
  }
  *out = h;
  return ST_OK;
fail:
  st_http_destroy(h);
  return err;
}

void st_http_destroy(st_http *h) {
  size_t i;

  if (h == NULL) {
    return;
  }
  for (i = 0; i < h->nfree; i++) {
    curl_easy_cleanup(h->free_handles[i]);
  }
  st_free(h->free_handles);
  wipe_slist(h->hdrs);
  wipe_slist(h->hdrs_json);
  pthread_cond_destroy(&h->cv);
  pthread_mutex_destroy(&h->mu);
  st_free(h);
}

static CURL *take(st_http *h) {
  CURL *c;

  pthread_mutex_lock(&h->mu);
  while (h->nfree == 0) {
    pthread_cond_wait(&h->cv, &h->mu);
  }
  c = h->free_handles[--h->nfree];
  pthread_mutex_unlock(&h->mu);
  return c;
}

static void give(st_http *h, CURL *c) {
  pthread_mutex_lock(&h->mu);
  h->free_handles[h->nfree++] = c;
  pthread_cond_signal(&h->cv);
  pthread_mutex_unlock(&h->mu);
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud) {
  xfer *x = ud;
  st_http_resp *r = x->resp;
  size_t n = size * nmemb;

  if (r->len + n > x->max) {
    x->too_big = 1;
    return 0;
  }
  if (r->len + n + 1 > x->cap) {
    size_t cap = x->cap == 0 ? 4096 : x->cap;
    char *b;

    while (cap < r->len + n + 1) {
      cap *= 2;
    }
    b = st_realloc(r->body, cap);
    if (b == NULL) {
      x->nomem = 1;
      return 0;
    }
    r->body = b;
    x->cap = cap;
  }
  memcpy(r->body + r->len, p, n);
  r->len += n;
  r->body[r->len] = '\0';
  return n;
}

/* Reads the value of header `name` from one header line, or NULL. */
static const char *header_value(const char *line, size_t len,
                                const char *name) {
  size_t n = strlen(name);

  if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':') {
    return NULL;
  }
  line += n + 1;
  while (*line == ' ' || *line == '\t') {
    line++;
  }
  return line;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *ud) {
  xfer *x = ud;
  size_t n = size * nmemb;
  char line[256];
  const char *v;

  if (n >= sizeof(line)) {
    return n; /* Not one of ours. */
  }
  memcpy(line, p, n);
  line[n] = '\0';
  if (strncmp(line, "HTTP/", 5) == 0) {
    /* A new response (after 100 Continue or a redirect): start over. */
    x->resp->rl_limit = x->resp->rl_remaining = -1;
    x->resp->rl_reset_s = -1;
  } else if ((v = header_value(line, n, "X-Ratelimit-Limit")) != NULL) {
    x->resp->rl_limit = strtol(v, NULL, 10);
  } else if ((v = header_value(line, n, "X-Ratelimit-Remaining")) != NULL) {
    x->resp->rl_remaining = strtol(v, NULL, 10);
  } else if ((v = header_value(line, n, "X-Ratelimit-Reset")) != NULL) {
    x->resp->rl_reset_s = strtoll(v, NULL, 10);
  }
  return n;
}

st_err st_http_do(st_http *h, const char *method, const char *url,
                  const char *body, st_http_resp *resp, st_errbuf *eb) {
  char cerr[CURL_ERROR_SIZE];
  xfer x = {resp, 0, h->max_body, 0, 0};
  CURLcode rc;
  CURL *c;
  st_err err = ST_OK;

  memset(resp, 0, sizeof(*resp));
  resp->rl_limit = resp->rl_remaining = -1;
  resp->rl_reset_s = -1;
  cerr[0] = '\0';
  c = take(h);
  curl_easy_reset(c);
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, h->connect_timeout_ms);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, h->timeout_ms);
  curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(c, CURLOPT_USERAGENT, "settled/1");
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &x);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER,
                   body != NULL ? h->hdrs_json : h->hdrs);
  if (body != NULL) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
  }
  if (strcmp(method, "GET") == 0) {
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  } else if (strcmp(method, "POST") != 0 || body == NULL) {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  }
  rc = curl_easy_perform(c);
  if (rc == CURLE_OK) {
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
  }
  /* Drop the pointers to this call's stack before the handle is reused. */
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
  give(h, c);
  if (x.too_big) {
    err = st_errf(eb, ST_EPROTO, "%s %s: response body over %zu bytes", method,
                  url, h->max_body);
  } else if (x.nomem) {
    err = st_errf(eb, ST_ENOMEM, "%s %s: response body", method, url);
  } else if (rc != CURLE_OK) {
    err = st_errf(eb, ST_ETRANSIENT, "%s %s: %s", method, url,
                  cerr[0] != '\0' ? cerr : curl_easy_strerror(rc));
  }
  return err;
}

void st_http_resp_free(st_http_resp *r) {
  st_free(r->body);
  r->body = NULL;
  r->len = 0;
}
