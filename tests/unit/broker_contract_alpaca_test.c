/* broker_contract_alpaca_test.c - the broker contract against the Alpaca
 * adapter talking HTTP and WebSocket to a real alpaca-sim process. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>

#include "server/broker/alpaca.h"
#include "server/util/clock.h"
#include "tests/unit/broker_contract.h"

static char dir[256];
static int seq;

/* The alpaca-sim process behind the open broker (one at a time). */
static pid_t sim_pid;
static char sim_addr[64];

static const char *sim_path(void) {
  const char *p = getenv("ALPACA_SIM_BIN");

  if (p != NULL) {
    return p;
  }
  /* Bazel runs the test from its runfiles tree. */
  return "server/alpaca-sim";
}

static int start_sim(void) {
  char ready[300], port_file[300];
  int64_t end;
  FILE *f;

  snprintf(ready, sizeof(ready), "%s/sim-%d.ready", dir, ++seq);
  unlink(ready);
  sim_pid = fork();
  if (sim_pid == 0) {
    execl(sim_path(), "alpaca-sim", "--listen", "127.0.0.1:0", "--ready-file",
          ready, "--partial-fill-share", "0", "--tick-ms", "5", "--rate-limit",
          "100000", "--log-level", "warn", (char *)NULL);
    _exit(127);
  }
  end = st_mono_ns() + 10 * ST_NS_PER_SEC;
  while (st_mono_ns() < end) {
    f = fopen(ready, "r");
    if (f != NULL) {
      int ok = fscanf(f, "%63s", sim_addr) == 1;

      fclose(f);
      if (ok) {
        return 0;
      }
    }
    st_sleep_ms(10);
  }
  (void)port_file;
  fprintf(stderr, "alpaca-sim did not start (%s)\n", sim_path());
  return -1;
}

static void stop_sim(void) {
  int status;

  if (sim_pid > 0) {
    kill(sim_pid, SIGTERM);
    waitpid(sim_pid, &status, 0);
    sim_pid = 0;
  }
}

static size_t sink(char *p, size_t s, size_t n, void *ud) {
  return s * n;
}

/* POSTs body to the control API path; 0 on a 2xx answer. */
static int control(const char *path, const char *body) {
  CURL *c = curl_easy_init();
  char url[300];
  struct curl_slist *h =
      curl_slist_append(NULL, "Content-Type: application/json");
  long code = 0;

  snprintf(url, sizeof(url), "http://%s%s", sim_addr, path);
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
  if (curl_easy_perform(c) == CURLE_OK) {
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  }
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
  return code >= 200 && code < 300 ? 0 : -1;
}

static st_broker *alpaca_open(void) {
  st_alpaca_opts o;
  st_broker *b = NULL;
  st_errbuf eb;
  char url[100];

  if (start_sim() != 0) {
    return NULL;
  }
  snprintf(url, sizeof(url), "http://%s", sim_addr);
  memset(&o, 0, sizeof(o));
  o.key_id = "sim-key";
  o.secret_key = "sim-secret";
  o.base_url = url;
  o.data_url = url;
  o.max_attempts = 6;
  o.backoff_base_ms = 20;
  o.backoff_cap_ms = 200;
  o.reconnect_base_ms = 50;
  o.reconnect_cap_ms = 500;
  o.rate_wait_max_ms = 5000;
  if (st_alpaca_create(&o, &b, &eb) != ST_OK) {
    fprintf(stderr, "alpaca adapter: %s\n", eb.msg);
    stop_sim();
    return NULL;
  }
  return b;
}

static void alpaca_close(st_broker *b) {
  b->ops->destroy(b);
  stop_sim();
}

static st_err alpaca_fill(st_broker *b, const char *id, st_dec qty,
                          st_dec price) {
  char body[200], path[200], q[ST_DEC_STRLEN], p[ST_DEC_STRLEN];

  snprintf(path, sizeof(path), "/_sim/orders/%s/fill", id);
  if (st_dec_is_zero(qty)) {
    snprintf(body, sizeof(body), "{\"price\":\"%s\"}",
             st_dec_format(price, 2, p));
  } else {
    snprintf(body, sizeof(body), "{\"qty\":\"%s\",\"price\":\"%s\"}",
             st_dec_format(qty, 0, q), st_dec_format(price, 2, p));
  }
  return control(path, body) == 0 ? ST_OK : ST_EIO;
}

static st_err alpaca_pin(st_broker *b, const char *sym, st_dec bid,
                         st_dec ask) {
  char body[200], bs[ST_DEC_STRLEN], as[ST_DEC_STRLEN];

  snprintf(body, sizeof(body),
           "{\"symbol\":\"%s\",\"bid\":\"%s\",\"ask\":\"%s\","
           "\"bid_size\":300,\"ask_size\":300}",
           sym, st_dec_format(bid, 2, bs), st_dec_format(ask, 2, as));
  return control("/_sim/quote", body) == 0 ? ST_OK : ST_EIO;
}

static st_err alpaca_429(st_broker *b, int n) {
  char body[64];

  snprintf(body, sizeof(body), "{\"burst_429\":%d}", n);
  return control("/_sim/faults", body) == 0 ? ST_OK : ST_EIO;
}

static st_err alpaca_5xx(st_broker *b, double share) {
  char body[64];

  snprintf(body, sizeof(body), "{\"error_5xx_share\":%.2f}", share);
  return control("/_sim/faults", body) == 0 ? ST_OK : ST_EIO;
}

static st_err alpaca_drop(st_broker *b) {
  return control("/_sim/drop_streams", "{\"which\":\"all\"}") == 0 ? ST_OK
                                                                   : ST_EIO;
}

int main(void) {
  const st_contract_backend be = {
      .name = "alpaca",
      .open = alpaca_open,
      .close = alpaca_close,
      .force_fill = alpaca_fill,
      .pin_quote = alpaca_pin,
      .burst_429 = alpaca_429,
      .share_5xx = alpaca_5xx,
      .drop_streams = alpaca_drop,
  };
  const char *tmp = getenv("TEST_TMPDIR");
  int rc;

  signal(SIGPIPE, SIG_IGN);
  snprintf(dir, sizeof(dir), "%s", tmp != NULL ? tmp : "/tmp");
  curl_global_init(CURL_GLOBAL_DEFAULT);
  rc = st_contract_run(&be);
  curl_global_cleanup();
  return rc;
}
