/* main.c - the settled binary: configuration, the gRPC server, signals. */
#include <errno.h>
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
#include "server/config.h"
#include "server/rpc/health.h"
#include "server/rpc/reflection.h"
#include "server/rpc/server.h"
#include "server/util/log.h"
#include "settled/v1/account.pb-c.h"
#include "settled/v1/execution.pb-c.h"
#include "settled/v1/pricing.pb-c.h"

#define SETTLED_VERSION "0.1.0"

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

/* Writes the bound address to path atomically (temp file + rename). */
static st_err write_ready_file(const char *path, const char *addr,
                               st_errbuf *eb) {
  char tmp[1100];
  FILE *f;

  snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
  f = fopen(tmp, "w");
  if (f == NULL) {
    return st_errf(eb, ST_EIO, "cannot write %s: %s", tmp, strerror(errno));
  }
  fprintf(f, "%s\n", addr);
  if (fclose(f) != 0 || rename(tmp, path) != 0) {
    unlink(tmp);
    return st_errf(eb, ST_EIO, "cannot write %s: %s", path, strerror(errno));
  }
  return ST_OK;
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

int main(int argc, char **argv) {
  st_config cfg;
  st_errbuf eb = {{0}};
  st_server_opts so;
  st_server *srv = NULL;
  st_health *health = NULL;
  sigset_t sigs;
  int sig = 0;
  int rc = 1;

  if (st_config_parse(&cfg, argc, argv, &eb) != ST_OK) {
    fprintf(stderr, "settled: %s\n", eb.msg);
    return 2;
  }
  if (cfg.help) {
    st_config_usage(stdout);
    return 0;
  }
  if (cfg.version) {
    printf("settled %s (grpc core %s)\n", SETTLED_VERSION,
           grpc_version_string());
    return 0;
  }
  st_log_init(cfg.log_format, cfg.log_level, 2);
  if (make_dirs(cfg.data_dir, &eb) != ST_OK) {
    fprintf(stderr, "settled: %s\n", eb.msg);
    return 2;
  }
  /* Block the shutdown signals before any thread starts, so that only
   * sigwait below sees them. */
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  pthread_sigmask(SIG_BLOCK, &sigs, NULL);
  signal(SIGPIPE, SIG_IGN);

  st_server_opts_init(&so);
  so.listen_addr = cfg.listen;
  so.cq_threads = cfg.cq_threads;
  so.keepalive_time_ms = cfg.keepalive_time_ms;
  so.keepalive_timeout_ms = cfg.keepalive_timeout_ms;
  so.max_message_bytes = cfg.max_message_bytes;
  so.stream_queue = (size_t)cfg.stream_queue;
  so.descset = st_descriptor_set;
  so.descset_len = st_descriptor_set_len;
  so.services = services;
  so.nservices = sizeof(services) / sizeof(services[0]);
  if (st_server_create(&so, &srv, &eb) != ST_OK) {
    fprintf(stderr, "settled: %s\n", eb.msg);
    return 2;
  }
  if (st_health_create(srv, &health) != ST_OK ||
      st_reflection_register(srv) != ST_OK) {
    ST_ERROR("main", "cannot attach health and reflection");
    goto out;
  }
  if (st_server_start(srv, &eb) != ST_OK) {
    ST_ERROR("main", "cannot start: %s", eb.msg);
    goto out;
  }
  ST_INFO("main", "settled %s serving on %s (data in %s)", SETTLED_VERSION,
          st_server_address(srv), cfg.data_dir);
  if (cfg.ready_file[0] != '\0' &&
      write_ready_file(cfg.ready_file, st_server_address(srv), &eb) != ST_OK) {
    ST_ERROR("main", "%s", eb.msg);
    goto out;
  }
  while (sigwait(&sigs, &sig) != 0 || (sig != SIGTERM && sig != SIGINT)) {
  }
  ST_INFO("main", "received %s: shutting down", strsignal(sig));
  rc = 0;
out:
  st_server_shutdown(srv, cfg.shutdown_timeout_ms);
  st_server_destroy(srv);
  st_health_free(health);
  if (cfg.ready_file[0] != '\0') {
    unlink(cfg.ready_file);
  }
  ST_INFO("main", "exit %d", rc);
  return rc;
}
