/* main.c - the settled binary: configuration, the broker, the journal, the
 * engine and the gRPC server; signals. */
#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <grpc/grpc.h>

#include "grpc/health/v1/health.pb-c.h"
#include "grpc/reflection/v1/reflection.pb-c.h"
#include "grpc/reflection/v1alpha/reflection.pb-c.h"
#include "server/api/api.h"
#include "server/broker/alpaca.h"
#include "server/broker/sim_broker.h"
#include "server/config.h"
#include "server/events/hub.h"
#include "server/events/journal.h"
#include "server/exec/engine.h"
#include "server/pricing/pricing.h"
#include "server/rpc/health.h"
#include "server/rpc/reflection.h"
#include "server/rpc/server.h"
#include "server/util/alloc.h"
#include "server/util/clock.h"
#include "server/util/file.h"
#include "server/util/log.h"
#include "server/util/pool.h"
#include "settled/v1/account.pb-c.h"
#include "settled/v1/execution.pb-c.h"
#include "settled/v1/pricing.pb-c.h"

#define SETTLED_VERSION "0.2.0"

extern const unsigned char st_descriptor_set[];
extern const size_t st_descriptor_set_len;

/* The protobuf-c service descriptors the method table resolves types
 * with. */
static const ProtobufCServiceDescriptor *const services[] = {
    &settled__v1__executor__descriptor,
    &settled__v1__pricing__descriptor,
    &settled__v1__account__descriptor,
    &grpc__health__v1__health__descriptor,
    &grpc__reflection__v1__server_reflection__descriptor,
    &grpc__reflection__v1alpha__server_reflection__descriptor,
};

#define MAX_TOKENS 64

/* Bearer tokens accepted for settled.v1 calls. */
typedef struct tokens {
  char *tok[MAX_TOKENS];
  size_t n;
} tokens;

/* Everything the process runs, torn down in reverse. */
typedef struct app {
  st_config cfg;
  st_journal *journal;
  st_broker *broker;
  st_pricing *pricing;
  st_engine *engine;
  st_pool *pool;
  st_api api;
  st_server *srv;
  st_health *health;
  st_hub *hub;
  pthread_t housekeeper;
  int housekeeping;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int stopping;
  tokens toks;
  char *tls_cert, *tls_key, *tls_ca;
} app;

/* Reads a whole small file into a NUL-terminated buffer (st_free). */
static char *slurp(const char *path, st_errbuf *eb, const char *flag) {
  FILE *f = fopen(path, "r");
  char *buf = NULL;
  long n;

  if (f == NULL) {
    st_errf(eb, ST_EINVAL, "%s: cannot read %s: %s", flag, path,
            strerror(errno));
    return NULL;
  }
  if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && n < 1 << 20 &&
      fseek(f, 0, SEEK_SET) == 0 && (buf = st_malloc((size_t)n + 1)) != NULL) {
    if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
      st_free(buf);
      buf = NULL;
    } else {
      buf[n] = '\0';
    }
  }
  fclose(f);
  if (buf == NULL) {
    st_errf(eb, ST_EINVAL, "%s: cannot read %s", flag, path);
  }
  return buf;
}

/* Loads the tokens file: one token a line, blank lines and # comments
 * ignored. */
static st_err load_tokens(app *a, st_errbuf *eb) {
  char *text = slurp(a->cfg.tokens_file, eb, "--tokens-file"), *save = NULL;

  if (text == NULL) {
    return ST_EINVAL;
  }
  for (char *line = strtok_r(text, "\r\n", &save); line != NULL;
       line = strtok_r(NULL, "\r\n", &save)) {
    while (*line == ' ' || *line == '\t') {
      line++;
    }
    for (char *end = line + strlen(line);
         end > line && (end[-1] == ' ' || end[-1] == '\t'); end--) {
      end[-1] = '\0';
    }
    if (*line == '\0' || *line == '#') {
      continue;
    }
    if (a->toks.n == MAX_TOKENS || strlen(line) < 16) {
      st_free(text);
      return st_errf(eb, ST_EINVAL,
                     "--tokens-file: at most %d tokens, each at least 16 "
                     "characters",
                     MAX_TOKENS);
    }
    a->toks.tok[a->toks.n++] = st_strdup(line);
  }
  st_free(text);
  if (a->toks.n == 0) {
    return st_errf(eb, ST_EINVAL, "--tokens-file: no token in %s",
                   a->cfg.tokens_file);
  }
  return ST_OK;
}

/* Compares in time that does not depend on where the strings differ. */
static int same(const char *x, const char *y) {
  size_t nx = strlen(x), ny = strlen(y);
  unsigned char d = nx != ny;

  for (size_t i = 0; i < nx; i++) {
    d |= (unsigned char)(x[i] ^ (i < ny ? y[i] : 0));
  }
  return d == 0;
}

static int authorize(void *ud, const st_call *call, char *why, size_t cap) {
  const tokens *t = ud;
  char hdr[600];

  if (st_call_metadata(call, "authorization", hdr, sizeof(hdr)) != ST_OK) {
    snprintf(why, cap, "missing bearer token (authorization metadata)");
    return 0;
  }
  if (strncmp(hdr, "Bearer ", 7) == 0) {
    for (size_t i = 0; i < t->n; i++) {
      if (same(hdr + 7, t->tok[i])) {
        return 1;
      }
    }
  }
  snprintf(why, cap, "invalid bearer token");
  return 0;
}

/* True for loopback listen addresses. */
static int loopback(const char *addr) {
  return strncmp(addr, "127.", 4) == 0 || strncmp(addr, "[::1]:", 6) == 0 ||
         strncmp(addr, "localhost:", 10) == 0;
}

/* Every --housekeeping-interval: event retention and stale quotes. */
static void *housekeep(void *arg) {
  app *a = arg;

  pthread_mutex_lock(&a->mu);
  while (!a->stopping) {
    struct timespec ts;
    uint64_t deleted = 0;
    int64_t now;

    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += a->cfg.housekeeping_s;
    pthread_cond_timedwait(&a->cv, &a->mu, &ts);
    if (a->stopping) {
      break;
    }
    pthread_mutex_unlock(&a->mu);
    now = st_now_ns();
    st_journal_prune(a->journal, (uint64_t)a->cfg.retention_count,
                     now - (int64_t)a->cfg.retention_age_s * ST_NS_PER_SEC,
                     &deleted);
    if (deleted > 0) {
      ST_INFO("main", "retention: %llu old events pruned",
              (unsigned long long)deleted);
    }
    st_pricing_prune(a->pricing, now, ST_PRICING_PRUNE_MAX_AGE_NS);
    pthread_mutex_lock(&a->mu);
  }
  pthread_mutex_unlock(&a->mu);
  return NULL;
}

/* Writes the bound address and a newline to path, atomically. */
static st_err write_ready_file(const char *path, const char *addr,
                               st_errbuf *eb) {
  char line[320];
  int n = snprintf(line, sizeof(line), "%s\n", addr);

  return st_write_file_atomic(path, line, (size_t)n, eb);
}

/* Creates dir and its parents (mode 0700 for the last one). */
static st_err make_dirs(const char *dir, st_errbuf *eb) {
  char buf[1024];
  size_t n = strlen(dir);

  if (n == 0 || n >= sizeof(buf)) {
    return st_errf(eb, ST_EINVAL, "--data-dir: bad path");
  }
  memcpy(buf, dir, n + 1);
  for (size_t i = 1; i <= n; i++) {
    if (buf[i] == '/' || buf[i] == '\0') {
      char c = buf[i];

      buf[i] = '\0';
      if (mkdir(buf, 0700) != 0 && errno != EEXIST) {
        return st_errf(eb, ST_EIO, "--data-dir: cannot create %s: %s", buf,
                       strerror(errno));
      }
      buf[i] = c;
    }
  }
  return ST_OK;
}

static const char *env(const char *name) {
  const char *v = getenv(name);

  return v != NULL && v[0] != '\0' ? v : NULL;
}

static st_err make_broker(app *a, st_errbuf *eb) {
  const st_config *c = &a->cfg;

  if (strcmp(c->broker, "alpaca") == 0) {
    st_alpaca_opts o;

    memset(&o, 0, sizeof(o));
    o.key_id = env("APCA_API_KEY_ID");
    o.secret_key = env("APCA_API_SECRET_KEY");
    o.base_url = env("APCA_API_BASE_URL");
    o.data_url = env("APCA_API_DATA_URL");
    o.stream_url = env("APCA_API_STREAM_URL");
    o.data_stream_url = env("APCA_API_DATA_STREAM_URL");
    o.feed = env("APCA_API_FEED");
    o.live = c->alpaca_live;
    o.no_streams = c->alpaca_no_streams;
    if (o.key_id == NULL || o.secret_key == NULL) {
      return st_errf(eb, ST_EINVAL,
                     "--broker=alpaca needs APCA_API_KEY_ID and "
                     "APCA_API_SECRET_KEY");
    }
    a->api.live = c->alpaca_live;
    return st_alpaca_create(&o, &a->broker, eb);
  } else {
    st_sim_broker_opts o;
    st_sim_config sc;
    st_sim_start start;
    char path[1100];

    memset(&o, 0, sizeof(o));
    st_sim_config_default(&sc);
    sc.seed = (uint64_t)c->sim_seed;
    sc.fill_latency_ns = (int64_t)c->sim_fill_latency_ms * 1000000LL;
    st_dec_parse(c->sim_partial_share, &sc.partial_share);
    if (st_dec_cmp(sc.partial_share, st_dec_from_int(1)) > 0) {
      return st_errf(eb, ST_EINVAL,
                     "--sim-partial-fill-share: must be from 0 to 1");
    }
    if (strcmp(c->sim_portfolio, "cash") == 0) {
      st_dec cash = ST_DEC_ZERO;

      st_dec_parse(c->sim_cash, &cash);
      st_sim_start_cash(&start, cash);
    } else {
      st_sim_start_demo(&start);
    }
    snprintf(path, sizeof(path), "%s/sim-account.state", c->data_dir);
    o.state_path = path;
    o.cfg = &sc;
    o.start = &start;
    return st_sim_broker_create(&o, &a->broker, eb);
  }
}

static st_err start(app *a, st_errbuf *eb) {
  st_config *c = &a->cfg;
  st_server_opts so;
  st_engine_opts eo;
  st_pricing_opts po;
  char path[1100];
  st_err err;

  /* Security settings first. */
  if (c->tokens_file[0] != '\0' && (err = load_tokens(a, eb)) != ST_OK) {
    return err;
  }
  if ((c->tls_cert[0] != '\0') != (c->tls_key[0] != '\0')) {
    return st_errf(eb, ST_EINVAL, "--tls-cert and --tls-key go together");
  }
  if (c->tls_client_ca[0] != '\0' && c->tls_cert[0] == '\0') {
    return st_errf(eb, ST_EINVAL, "--tls-client-ca needs --tls-cert");
  }
  if (c->tls_cert[0] != '\0' &&
      ((a->tls_cert = slurp(c->tls_cert, eb, "--tls-cert")) == NULL ||
       (a->tls_key = slurp(c->tls_key, eb, "--tls-key")) == NULL ||
       (c->tls_client_ca[0] != '\0' &&
        (a->tls_ca = slurp(c->tls_client_ca, eb, "--tls-client-ca")) ==
            NULL))) {
    return ST_EINVAL;
  }
  if (a->tls_cert == NULL && !loopback(c->listen) && !c->insecure) {
    return st_errf(eb, ST_EINVAL,
                   "refusing plaintext on %s, beyond loopback: give "
                   "--tls-cert and --tls-key, or --insecure",
                   c->listen);
  }
  /* Bind the port first: a bad address fails before anything else. */
  st_server_opts_init(&so);
  so.listen_addr = c->listen;
  so.cq_threads = c->cq_threads;
  so.keepalive_time_ms = c->keepalive_time_ms;
  so.keepalive_timeout_ms = c->keepalive_timeout_ms;
  so.max_message_bytes = c->max_message_bytes;
  so.stream_queue = (size_t)c->stream_queue;
  so.descset = st_descriptor_set;
  so.descset_len = st_descriptor_set_len;
  so.services = services;
  so.nservices = sizeof(services) / sizeof(services[0]);
  so.tls_cert_pem = a->tls_cert;
  so.tls_key_pem = a->tls_key;
  so.tls_client_ca_pem = a->tls_ca;
  if (a->toks.n > 0) {
    so.authorize = authorize;
    so.auth_ud = &a->toks;
    so.auth_prefix = "/settled.";
  }
  if ((err = st_server_create(&so, &a->srv, eb)) != ST_OK) {
    return err;
  }
  err = make_dirs(c->data_dir, eb);
  if (err != ST_OK) {
    return err;
  }
  snprintf(path, sizeof(path), "%s/journal.db", c->data_dir);
  if ((err = st_journal_open(path, &a->journal, eb)) != ST_OK ||
      (err = make_broker(a, eb)) != ST_OK) {
    return err;
  }
  memset(&po, 0, sizeof(po));
  if ((err = st_pricing_create(a->broker, &po, &a->pricing)) != ST_OK) {
    return st_errf(eb, err, "cannot start the pricing layer");
  }
  if ((err = st_hub_create(st_journal_last_seq(a->journal), &a->hub)) !=
      ST_OK) {
    return err;
  }
  memset(&eo, 0, sizeof(eo));
  eo.broker = a->broker;
  eo.pricing = a->pricing;
  eo.journal = a->journal;
  st_plan_limits_init(&eo.limits);
  eo.limits.max_items = (size_t)c->max_plan_items;
  eo.limits.default_ttl_ns = (int64_t)c->plan_ttl_ms * 1000000LL;
  st_dec_parse(c->max_order_notional, &eo.limits.max_order_notional);
  st_dec_parse(c->max_plan_notional, &eo.limits.max_plan_notional);
  eo.allow_margin = c->allow_margin;
  eo.publish = st_api_publish;
  eo.publish_ud = &a->api;
  eo.check_market_open = 1;
  if ((err = st_engine_create(&eo, &a->engine, eb)) != ST_OK ||
      (err = st_pool_create(c->api_threads, &a->pool)) != ST_OK) {
    return err;
  }
  a->api.engine = a->engine;
  a->api.pricing = a->pricing;
  a->api.broker = a->broker;
  a->api.pool = a->pool;
  a->api.journal = a->journal;
  a->api.hub = a->hub;
  if ((err = st_health_create(a->srv, &a->health)) != ST_OK ||
      (err = st_reflection_register(a->srv)) != ST_OK ||
      (err = st_api_register(a->srv, &a->api)) != ST_OK) {
    return st_errf(eb, err, "cannot attach the services");
  }
  /* The engine first: it resumes unfinished executions before any new
   * plan can arrive. */
  if ((err = st_engine_start(a->engine, eb)) != ST_OK ||
      (err = st_server_start(a->srv, eb)) != ST_OK) {
    return err;
  }
  if (pthread_create(&a->housekeeper, NULL, housekeep, a) == 0) {
    a->housekeeping = 1;
  }
  return ST_OK;
}

static void stop(app *a) {
  if (a->housekeeping) {
    pthread_mutex_lock(&a->mu);
    a->stopping = 1;
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
    pthread_join(a->housekeeper, NULL);
  }
  /* Calls first (clients see UNAVAILABLE), then the engine's thread
   * (executions in flight stay RUNNING in the journal and resume at the
   * next start), then the broker (no callback after it is gone), then the
   * memory. */
  if (a->srv != NULL) {
    st_server_shutdown(a->srv, a->cfg.shutdown_timeout_ms);
  }
  st_pool_free(a->pool);
  st_engine_stop(a->engine);
  if (a->pricing != NULL) {
    st_pricing_shutdown(a->pricing);
  }
  if (a->broker != NULL) {
    a->broker->ops->destroy(a->broker);
  }
  st_engine_free(a->engine);
  st_server_destroy(a->srv);
  st_health_free(a->health);
  st_pricing_destroy(a->pricing);
  st_hub_free(a->hub);
  st_journal_close(a->journal);
  for (size_t i = 0; i < a->toks.n; i++) {
    st_free(a->toks.tok[i]);
  }
  st_free(a->tls_cert);
  st_free(a->tls_key);
  st_free(a->tls_ca);
}

int main(int argc, char **argv) {
  static app a = {.mu = PTHREAD_MUTEX_INITIALIZER,
                  .cv = PTHREAD_COND_INITIALIZER};
  st_errbuf eb = {{0}};
  sigset_t sigs;
  int sig = 0;
  int rc = 1;
  st_err err;

  if (st_config_parse(&a.cfg, argc, argv, &eb) != ST_OK) {
    fprintf(stderr, "settled: %s\n", eb.msg);
    return 2;
  }
  if (a.cfg.help) {
    st_config_usage(stdout);
    return 0;
  }
  if (a.cfg.version) {
    printf("settled %s (grpc core %s)\n", SETTLED_VERSION,
           grpc_version_string());
    return 0;
  }
  st_log_init(a.cfg.log_format, a.cfg.log_level, 2);
  /* Block the shutdown signals before any thread starts, so that only
   * sigwait below sees them. */
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  pthread_sigmask(SIG_BLOCK, &sigs, NULL);
  signal(SIGPIPE, SIG_IGN);
  err = start(&a, &eb);
  if (err != ST_OK) {
    /* Bad settings are the user's to fix: one line, exit 2. */
    fprintf(stderr, "settled: %s\n", eb.msg[0] ? eb.msg : st_strerror(err));
    stop(&a);
    return err == ST_EINVAL || err == ST_EIO ? 2 : 1;
  }
  ST_INFO("main", "settled %s serving on %s (%s%s, broker %s, data in %s)",
          SETTLED_VERSION, st_server_address(a.srv),
          a.tls_cert != NULL ? "TLS" : "plaintext",
          a.toks.n > 0 ? ", bearer tokens required" : "", a.broker->name,
          a.cfg.data_dir);
  if (a.cfg.ready_file[0] != '\0' &&
      write_ready_file(a.cfg.ready_file, st_server_address(a.srv), &eb) !=
          ST_OK) {
    ST_ERROR("main", "%s", eb.msg);
    goto out;
  }
  while (sigwait(&sigs, &sig) != 0 || (sig != SIGTERM && sig != SIGINT)) {
  }
  ST_INFO("main", "received %s: shutting down", strsignal(sig));
  rc = 0;
out:
  stop(&a);
  if (a.cfg.ready_file[0] != '\0') {
    unlink(a.cfg.ready_file);
  }
  ST_INFO("main", "exit %d", rc);
  return rc;
}
