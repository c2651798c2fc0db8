/* log.h - one line per step: human-readable text or JSON lines on stderr.
 *
 * Thread-safe: each line is formatted into a local buffer and written with
 * one write(2), so lines from different threads never interleave.
 */
#ifndef ST_UTIL_LOG_H
#define ST_UTIL_LOG_H

#include "server/util/err.h"

typedef enum st_log_level {
  ST_LOG_DEBUG = 0,
  ST_LOG_INFO,
  ST_LOG_WARN,
  ST_LOG_ERROR,
} st_log_level;

typedef enum st_log_format {
  ST_LOG_TEXT = 0,
  ST_LOG_JSON,
} st_log_format;

/* Sets the format, the lowest level written and the file descriptor lines go
 * to (2 for stderr). Call before starting threads. */
void st_log_init(st_log_format fmt, st_log_level level, int fd);

/* Parses "debug", "info", "warn" or "error". */
st_err st_log_parse_level(const char *s, st_log_level *out);

/* Parses "text" or "json". */
st_err st_log_parse_format(const char *s, st_log_format *out);

/* True when lines at lvl are written. */
int st_log_enabled(st_log_level lvl);

/* Writes one line from module (e.g. "rpc"). */
void st_log(st_log_level lvl, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Writes one line about one plan: plan_id and correlation_id become fields
 * (JSON) or a "[plan=... corr=...]" prefix (text). Either may be NULL. */
void st_log_plan(st_log_level lvl, const char *module, const char *plan_id,
                 const char *correlation_id, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#define ST_DEBUG(mod, ...)                    \
  do {                                        \
    if (st_log_enabled(ST_LOG_DEBUG))         \
      st_log(ST_LOG_DEBUG, mod, __VA_ARGS__); \
  } while (0)
#define ST_INFO(mod, ...) st_log(ST_LOG_INFO, mod, __VA_ARGS__)
#define ST_WARN(mod, ...) st_log(ST_LOG_WARN, mod, __VA_ARGS__)
#define ST_ERROR(mod, ...) st_log(ST_LOG_ERROR, mod, __VA_ARGS__)

#endif
