/* main.c - the alpaca-sim binary: configuration, the server, signals and
 * the periodic state save. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "server/alpaca_sim/config.h"
#include "server/alpaca_sim/json.h"
#include "server/alpaca_sim/server.h"
#include "server/alpaca_sim/setup.h"
#include "server/alpaca_sim/timefmt.h"
#include "server/util/file.h"
#include "server/util/log.h"

#define SAVE_INTERVAL_S 1

/* Writes "HOST:PORT\n" to path atomically. */
static st_err write_ready_file(const char *path, const char *host, int port,
                               st_errbuf *eb) {
  char line[320];
  int n =
      snprintf(line, sizeof(line),
               strchr(host, ':') != NULL ? "[%s]:%d\n" : "%s:%d\n", host, port);

  return st_write_file_atomic(path, line, (size_t)n, eb);
}

/* Saves the state if a state file is configured; logs failures. */
static void save(st_asim *a) {
  st_errbuf eb;

  if (a->cfg.state_file[0] == '\0') {
    return;
  }
  if (st_asim_save(a, a->cfg.state_file, &eb) != ST_OK) {
    ST_WARN("asim", "%s", eb.msg);
  }
}

int main(int argc, char **argv) {
  st_asim_config cfg;
  st_asim *a = NULL;
  st_sim *sim = NULL;
  sigset_t sigs;
  st_errbuf eb;
  int loaded = 0, rc = 1, sig = 0;

  if (st_asim_config_parse(&cfg, argc, argv, &eb) != ST_OK) {
    fprintf(stderr, "alpaca-sim: %s\n", eb.msg);
    return 2;
  }
  if (cfg.help) {
    st_asim_config_usage(stdout);
    return 0;
  }
  st_log_init(ST_LOG_TEXT, cfg.log_level, 2);
  st_asim_json_init();
  /* Signals are taken synchronously by this thread only. */
  signal(SIGPIPE, SIG_IGN);
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  pthread_sigmask(SIG_BLOCK, &sigs, NULL);

  if (st_asim_setup_sim(&cfg, st_asim_now_ns(), &sim, &loaded, &eb) != ST_OK) {
    fprintf(stderr, "alpaca-sim: %s\n", eb.msg);
    return 1;
  }
  if (st_asim_create(&cfg, sim, &a, &eb) != ST_OK) {
    fprintf(stderr, "alpaca-sim: %s\n", eb.msg);
    return 1;
  }
  if (st_asim_start(a) != ST_OK) {
    fprintf(stderr, "alpaca-sim: cannot start the service thread\n");
    goto out;
  }
  if (cfg.ready_file[0] != '\0' &&
      write_ready_file(cfg.ready_file, cfg.host, a->port, &eb) != ST_OK) {
    fprintf(stderr, "alpaca-sim: %s\n", eb.msg);
    goto out;
  }
  ST_INFO("asim", "serving on %s:%d (key %s, %s portfolio%s)", cfg.host,
          a->port, cfg.key_id,
          cfg.portfolio == ST_ASIM_PORTFOLIO_DEMO ? "demo" : "cash",
          loaded ? ", state loaded" : "");
  for (;;) {
    struct timespec ts = {SAVE_INTERVAL_S, 0};

    sig = sigtimedwait(&sigs, NULL, &ts);
    if (sig == SIGTERM || sig == SIGINT) {
      break;
    }
    save(a);
  }
  ST_INFO("asim", "signal %d: shutting down", sig);
  rc = 0;
out:
  st_asim_stop(a);
  if (rc == 0) {
    save(a);
  }
  st_asim_free(a);
  return rc;
}
