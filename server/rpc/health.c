/* health.c - grpc.health.v1.Health over the rpc layer. */
#include "server/rpc/health.h"

#include <pthread.h>
#include <string.h>

#include "grpc/health/v1/health.pb-c.h"
#include "server/util/alloc.h"
#include "server/util/log.h"

#define SERVING GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING
#define NOT_SERVING \
  GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING
#define SERVICE_UNKNOWN \
  GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVICE_UNKNOWN

typedef struct watcher {
  st_call *call;
  char *service;
  int last; /* Last status sent. */
  struct watcher *prev, *next;
} watcher;

typedef struct svc {
  char *name;
  int status;
} svc;

struct st_health {
  pthread_mutex_t mu;
  svc *svcs;
  size_t nsvcs;
  watcher *watchers;
};

static svc *find(st_health *h, const char *name) {
  for (size_t i = 0; i < h->nsvcs; i++) {
    if (strcmp(h->svcs[i].name, name) == 0) {
      return &h->svcs[i];
    }
  }
  return NULL;
}

/* Sends status to w unless it already has it; with h->mu held. */
static void notify(watcher *w, int status) {
  Grpc__Health__V1__HealthCheckResponse resp =
      GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__INIT;
  st_err err;

  if (w->last == status) {
    return;
  }
  resp.status = status;
  err = st_call_send(w->call, &resp.base, 0);
  if (err == ST_OK) {
    w->last = status;
  } else if (err == ST_EOVERFLOW) {
    st_call_abort(w->call, GRPC_STATUS_RESOURCE_EXHAUSTED,
                  "health watcher too slow");
  }
}

static void on_check(st_call *call, const ProtobufCMessage *req, void *ud) {
  st_health *h = ud;
  const Grpc__Health__V1__HealthCheckRequest *r =
      (const Grpc__Health__V1__HealthCheckRequest *)req;
  Grpc__Health__V1__HealthCheckResponse resp =
      GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__INIT;
  svc *s;

  pthread_mutex_lock(&h->mu);
  s = find(h, r->service);
  if (s != NULL) {
    resp.status = s->status;
  }
  pthread_mutex_unlock(&h->mu);
  if (s == NULL) {
    st_call_finish(call, GRPC_STATUS_NOT_FOUND, "unknown service %s",
                   r->service);
    return;
  }
  st_call_reply(call, &resp.base);
}

static void on_watch(st_call *call, const ProtobufCMessage *req, void *ud) {
  st_health *h = ud;
  const Grpc__Health__V1__HealthCheckRequest *r =
      (const Grpc__Health__V1__HealthCheckRequest *)req;
  watcher *w = st_calloc(1, sizeof(*w));
  svc *s;

  if (w == NULL || (w->service = st_strdup(r->service)) == NULL) {
    st_free(w);
    st_call_finish(call, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
    return;
  }
  w->call = call;
  w->last = -1;
  st_call_set_data(call, w);
  pthread_mutex_lock(&h->mu);
  w->next = h->watchers;
  if (h->watchers != NULL) {
    h->watchers->prev = w;
  }
  h->watchers = w;
  s = find(h, r->service);
  /* An unknown service is SERVICE_UNKNOWN and the stream stays open. */
  notify(w, s != NULL ? s->status : SERVICE_UNKNOWN);
  pthread_mutex_unlock(&h->mu);
}

static void on_watch_done(st_call *call, int cancelled, void *ud) {
  st_health *h = ud;
  watcher *w = st_call_data(call);

  if (w == NULL) {
    return;
  }
  pthread_mutex_lock(&h->mu);
  if (w->prev != NULL) {
    w->prev->next = w->next;
  } else {
    h->watchers = w->next;
  }
  if (w->next != NULL) {
    w->next->prev = w->prev;
  }
  pthread_mutex_unlock(&h->mu);
  st_free(w->service);
  st_free(w);
}

static void on_drain(void *ud) {
  st_health_set(ud, NULL, 0);
}

st_err st_health_set(st_health *h, const char *service, int serving) {
  int status = serving ? SERVING : NOT_SERVING;
  st_err err = ST_ENOTFOUND;

  pthread_mutex_lock(&h->mu);
  for (size_t i = 0; i < h->nsvcs; i++) {
    if (service == NULL || strcmp(h->svcs[i].name, service) == 0) {
      h->svcs[i].status = status;
      err = ST_OK;
    }
  }
  if (err == ST_OK) {
    for (watcher *w = h->watchers; w != NULL; w = w->next) {
      if (service == NULL || strcmp(w->service, service) == 0) {
        svc *s = find(h, w->service);

        if (s != NULL) {
          notify(w, s->status);
        }
      }
    }
  }
  pthread_mutex_unlock(&h->mu);
  return err;
}

st_err st_health_create(st_server *srv, st_health **out) {
  const st_descset *ds = st_server_descset(srv);
  size_t n = st_descset_nservices(ds);
  st_handler check = {.on_call = on_check};
  st_handler watch = {.on_call = on_watch, .on_done = on_watch_done};
  st_health *h;
  st_err err = ST_ENOMEM;

  *out = NULL;
  h = st_calloc(1, sizeof(*h));
  if (h == NULL) {
    return ST_ENOMEM;
  }
  pthread_mutex_init(&h->mu, NULL);
  h->svcs = st_calloc(n + 1, sizeof(svc));
  if (h->svcs == NULL) {
    goto fail;
  }
  h->svcs[h->nsvcs++] = (svc){st_strdup(""), SERVING};
  for (size_t i = 0; i < n; i++) {
    h->svcs[h->nsvcs++] = (svc){st_strdup(st_descset_service(ds, i)), SERVING};
  }
  for (size_t i = 0; i < h->nsvcs; i++) {
    if (h->svcs[i].name == NULL) {
      goto fail;
    }
  }
  if ((err = st_server_handle(srv, "grpc.health.v1.Health/Check", &check, h)) !=
          ST_OK ||
      (err = st_server_handle(srv, "grpc.health.v1.Health/Watch", &watch, h)) !=
          ST_OK ||
      (err = st_server_on_drain(srv, on_drain, h)) != ST_OK) {
    goto fail;
  }
  *out = h;
  return ST_OK;
fail:
  st_health_free(h);
  return err;
}

void st_health_free(st_health *h) {
  if (h == NULL) {
    return;
  }
  for (size_t i = 0; i < h->nsvcs; i++) {
    st_free(h->svcs[i].name);
  }
  st_free(h->svcs);
  pthread_mutex_destroy(&h->mu);
  st_free(h);
}
