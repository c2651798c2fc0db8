/* log.c - text and JSON log lines. */
#include "server/util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static st_log_format log_fmt = ST_LOG_TEXT;
static st_log_level log_level = ST_LOG_INFO;
static int log_fd = 2;

static const char *const level_names[] = {"debug", "info", "warn", "error"};
static const char *const level_text[] = {"DEBUG", "INFO ", "WARN ", "ERROR"};

void st_log_init(st_log_format fmt, st_log_level level, int fd) {
  log_fmt = fmt;
  log_level = level;
  log_fd = fd;
}

st_err st_log_parse_level(const char *s, st_log_level *out) {
  for (int i = 0; i < 4; i++) {
    if (strcmp(s, level_names[i]) == 0) {
      *out = (st_log_level)i;
      return ST_OK;
    }
  }
  if (strcmp(s, "warning") == 0) {
    *out = ST_LOG_WARN;
    return ST_OK;
  }
  return ST_EINVAL;
}

st_err st_log_parse_format(const char *s, st_log_format *out) {
  if (strcmp(s, "text") == 0) {
    *out = ST_LOG_TEXT;
  } else if (strcmp(s, "json") == 0) {
    *out = ST_LOG_JSON;
  } else {
    return ST_EINVAL;
  }
  return ST_OK;
}

int st_log_enabled(st_log_level lvl) {
  return lvl >= log_level;
}

/* Appends s to buf[*len..cap) as the inside of a JSON string. */
static void json_escape(char *buf, size_t cap, size_t *len, const char *s) {
  size_t n = *len;

  for (; *s != '\0' && n + 7 < cap; s++) {
    unsigned char c = (unsigned char)*s;

    if (c == '"' || c == '\\') {
      buf[n++] = '\\';
      buf[n++] = (char)c;
    } else if (c == '\n') {
      buf[n++] = '\\';
      buf[n++] = 'n';
    } else if (c < 0x20) {
      n += (size_t)snprintf(buf + n, cap - n, "\\u%04x", c);
    } else {
      buf[n++] = (char)c;
    }
  }
  *len = n;
}

static void append(char *buf, size_t cap, size_t *len, const char *fmt, ...) {
  va_list ap;
  int w;

  if (*len >= cap) {
    return;
  }
  va_start(ap, fmt);
  w = vsnprintf(buf + *len, cap - *len, fmt, ap);
  va_end(ap);
  if (w > 0) {
    *len += (size_t)w < cap - *len ? (size_t)w : cap - *len - 1;
  }
}

static void vlog_line(st_log_level lvl, const char *module, const char *plan_id,
                      const char *corr, const char *fmt, va_list ap) {
  char msg[2048];
  char line[4096];
  char ts[64];
  size_t len = 0;
  struct timespec now;
  struct tm tm;

  if (!st_log_enabled(lvl)) {
    return;
  }
  vsnprintf(msg, sizeof(msg), fmt, ap);
  clock_gettime(CLOCK_REALTIME, &now);
  gmtime_r(&now.tv_sec, &tm);
  snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
           tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
           tm.tm_sec, now.tv_nsec / 1000000);
  if (log_fmt == ST_LOG_JSON) {
    append(line, sizeof(line), &len, "{\"ts\":\"%s\",\"level\":\"%s\",", ts,
           level_names[lvl]);
    append(line, sizeof(line), &len, "\"module\":\"");
    json_escape(line, sizeof(line), &len, module);
    append(line, sizeof(line), &len, "\",");
    if (plan_id != NULL) {
      append(line, sizeof(line), &len, "\"plan_id\":\"");
      json_escape(line, sizeof(line), &len, plan_id);
      append(line, sizeof(line), &len, "\",");
    }
    if (corr != NULL) {
      append(line, sizeof(line), &len, "\"correlation_id\":\"");
      json_escape(line, sizeof(line), &len, corr);
      append(line, sizeof(line), &len, "\",");
    }
    append(line, sizeof(line), &len, "\"msg\":\"");
    json_escape(line, sizeof(line), &len, msg);
    append(line, sizeof(line), &len, "\"}\n");
  } else {
    append(line, sizeof(line), &len, "%s %s %s", ts, level_text[lvl], module);
    if (plan_id != NULL || corr != NULL) {
      append(line, sizeof(line), &len, " [plan=%s corr=%s]",
             plan_id != NULL ? plan_id : "-", corr != NULL ? corr : "-");
    }
    append(line, sizeof(line), &len, ": %s\n", msg);
  }
  if (len > 0 && line[len - 1] != '\n') {
    line[len - 1] = '\n';
  }
  (void)!write(log_fd, line, len);
}

void st_log(st_log_level lvl, const char *module, const char *fmt, ...) {
  va_list ap;

  va_start(ap, fmt);
  vlog_line(lvl, module, NULL, NULL, fmt, ap);
  va_end(ap);
}

void st_log_plan(st_log_level lvl, const char *module, const char *plan_id,
                 const char *correlation_id, const char *fmt, ...) {
  va_list ap;

  va_start(ap, fmt);
  vlog_line(lvl, module, plan_id, correlation_id, fmt, ap);
  va_end(ap);
}
