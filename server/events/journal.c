/* journal.c - the durable journal over SQLite (WAL, synchronous=FULL). */
#include "server/events/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <sqlite3.h>

#include "server/util/alloc.h"
#include "server/util/clock.h"
#include "server/util/log.h"

#define MOD "journal"

/* The marker that makes a SQLite file a settled journal. */
#define FORMAT_NAME "settled-journal"
#define SCHEMA_VERSION 1

/* Events copied out per lock hold in st_journal_read. */
#define READ_BATCH 64

/* The SQL that does not depend on the status enum's values. Statuses 1
 * (QUEUED) and 2 (RUNNING) of settled.v1.ExecutionStatus are the
 * non-terminal ones: their events are never pruned. */
#define KEEP_EVENT                                       \
  "EXISTS (SELECT 1 FROM executions x WHERE x.plan_id =" \
  " events.plan_id AND x.status IN (1, 2))"

static const char schema_sql[] =
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value NOT NULL);"
    "CREATE TABLE executions ("
    " plan_id TEXT PRIMARY KEY, arrival INTEGER NOT NULL UNIQUE,"
    " correlation_id TEXT NOT NULL, plan_hash TEXT NOT NULL,"
    " status INTEGER NOT NULL, phase INTEGER NOT NULL,"
    " created_ns INTEGER NOT NULL, updated_ns INTEGER NOT NULL,"
    " expires_ns INTEGER NOT NULL, request BLOB, result BLOB);"
    "CREATE TABLE intents ("
    " client_order_id TEXT PRIMARY KEY, plan_id TEXT NOT NULL,"
    " symbol TEXT NOT NULL, side INTEGER NOT NULL, chain INTEGER NOT NULL,"
    " attempt INTEGER NOT NULL, type INTEGER NOT NULL, qty TEXT NOT NULL,"
    " limit_price TEXT NOT NULL, state INTEGER NOT NULL,"
    " broker_id TEXT NOT NULL, status INTEGER NOT NULL,"
    " filled_qty TEXT NOT NULL, filled_avg_price TEXT NOT NULL,"
    " created_ns INTEGER NOT NULL, updated_ns INTEGER NOT NULL);"
    "CREATE INDEX intents_chain ON intents (plan_id, chain, attempt);"
    "CREATE TABLE fills_seen ("
    " execution_id TEXT PRIMARY KEY, order_id TEXT NOT NULL);"
    "CREATE TABLE events ("
    " seq INTEGER PRIMARY KEY, event_id TEXT NOT NULL,"
    " plan_id TEXT NOT NULL, step_key TEXT, type TEXT NOT NULL,"
    " correlation_id TEXT NOT NULL, ts_ns INTEGER NOT NULL,"
    " body BLOB NOT NULL);"
    "CREATE UNIQUE INDEX events_step ON events (plan_id, step_key)"
    " WHERE step_key IS NOT NULL;"
    "CREATE INDEX events_plan ON events (plan_id, seq);";

#define EXEC_COLS                                               \
  "plan_id, correlation_id, arrival, plan_hash, status, phase," \
  " created_ns, updated_ns, expires_ns, request, result"
#define INTENT_COLS                                                    \
  "client_order_id, plan_id, symbol, side, chain, attempt, type, qty," \
  " limit_price, state, broker_id, status, filled_qty,"                \
  " filled_avg_price, created_ns, updated_ns"
#define EVENT_COLS "seq, plan_id, correlation_id, type, ts_ns, body"

/* The cached prepared statements. */
enum {
  S_BEGIN,
  S_COMMIT,
  S_ROLLBACK,
  S_SAVEPOINT,
  S_RELEASE,
  S_ROLLBACK_TO,
  S_META_GET,
  S_META_SET,
  S_EXEC_EXISTS,
  S_EXEC_INSERT,
  S_EXEC_GET,
  S_EXEC_UPDATE,
  S_EXEC_LIST,
  S_INTENT_PUT,
  S_INTENT_GET,
  S_INTENTS_OF,
  S_FILL_SEEN,
  S_EV_FIND,
  S_EV_INSERT,
  S_EV_READ,
  S_EV_READ_PLAN,
  S_EV_OLDEST,
  S_EV_COUNT,
  S_EV_PRUNE_AGE,
  S_EV_PRUNE_COUNT,
  S_COUNT
};

static const char *const stmt_sql[S_COUNT] = {
    [S_BEGIN] = "BEGIN IMMEDIATE",
    [S_COMMIT] = "COMMIT",
    [S_ROLLBACK] = "ROLLBACK",
    [S_SAVEPOINT] = "SAVEPOINT op",
    [S_RELEASE] = "RELEASE op",
    [S_ROLLBACK_TO] = "ROLLBACK TO op",
    [S_META_GET] = "SELECT value FROM meta WHERE key = ?1",
    [S_META_SET] = "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
    [S_EXEC_EXISTS] = "SELECT 1 FROM executions WHERE plan_id = ?1",
    [S_EXEC_INSERT] = "INSERT INTO executions (" EXEC_COLS
                      ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
                      " ?11)",
    [S_EXEC_GET] = "SELECT " EXEC_COLS " FROM executions WHERE plan_id = ?1",
    [S_EXEC_UPDATE] =
        "UPDATE executions SET status = ?2, phase = ?3,"
        " updated_ns = ?4, result = coalesce(?5, result)"
        " WHERE plan_id = ?1",
    [S_EXEC_LIST] = "SELECT " EXEC_COLS
                    " FROM executions"
                    " WHERE (?1 <= 0 OR arrival < ?1) AND (?2 IS NULL OR"
                    " instr(?2, ',' || status || ',') > 0)"
                    " ORDER BY arrival DESC LIMIT ?3",
    [S_INTENT_PUT] = "INSERT OR REPLACE INTO intents (" INTENT_COLS
                     ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
                     " ?11, ?12, ?13, ?14, ?15, ?16)",
    [S_INTENT_GET] =
        "SELECT " INTENT_COLS " FROM intents WHERE client_order_id = ?1",
    [S_INTENTS_OF] = "SELECT " INTENT_COLS
                     " FROM intents WHERE plan_id = ?1"
                     " ORDER BY chain, attempt, client_order_id",
    [S_FILL_SEEN] =
        "INSERT OR IGNORE INTO fills_seen (execution_id,"
        " order_id) VALUES (?1, ?2)",
    [S_EV_FIND] =
        "SELECT seq FROM events WHERE plan_id = ?1"
        " AND step_key = ?2",
    [S_EV_INSERT] =
        "INSERT INTO events (seq, event_id, plan_id, step_key,"
        " type, correlation_id, ts_ns, body)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [S_EV_READ] = "SELECT " EVENT_COLS
                  " FROM events WHERE seq > ?1"
                  " ORDER BY seq LIMIT ?2",
    [S_EV_READ_PLAN] = "SELECT " EVENT_COLS
                       " FROM events WHERE seq > ?1"
                       " AND plan_id = ?3 ORDER BY seq LIMIT ?2",
    [S_EV_OLDEST] = "SELECT min(seq) FROM events",
    [S_EV_COUNT] = "SELECT count(*) FROM events",
    [S_EV_PRUNE_AGE] = "DELETE FROM events WHERE ts_ns < ?1 AND NOT " KEEP_EVENT
                       " RETURNING seq",
    [S_EV_PRUNE_COUNT] =
        "DELETE FROM events WHERE seq IN (SELECT seq FROM"
        " events WHERE NOT " KEEP_EVENT " ORDER BY seq LIMIT ?1) RETURNING seq",
};

struct st_journal {
  pthread_mutex_t mu; /* Recursive: the transaction owner re-enters. */
  sqlite3 *db;
  sqlite3_stmt *stmt[S_COUNT];
  int tx_open;        /* st_journal_begin ran; mu is held by tx_owner. */
  pthread_t tx_owner; /* Read and written only with mu held. */
  char ns[9];
};

/* One event copied out of the database by st_journal_read. */
typedef struct read_row {
  st_event_row row;
  char *mem; /* Holds the strings and the body of row. */
} read_row;

static void jlock(st_journal *j) {
  pthread_mutex_lock(&j->mu);
}

static void junlock(st_journal *j) {
  pthread_mutex_unlock(&j->mu);
}

/* Logs the database's last error about what and returns ST_EIO. */
static st_err db_fail(st_journal *j, const char *what) {
  ST_ERROR(MOD, "%s: %s", what, sqlite3_errmsg(j->db));
  return ST_EIO;
}

/* Resets a cached statement so that it holds no read lock or binding. */
static void sreset(sqlite3_stmt *s) {
  sqlite3_reset(s);
  sqlite3_clear_bindings(s);
}

/* Runs a statement that returns no row (or whose rows are ignored). */
static st_err run(st_journal *j, int id, const char *what) {
  sqlite3_stmt *s = j->stmt[id];
  int rc;

  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
  }
  sreset(s);
  if (rc != SQLITE_DONE) {
    return db_fail(j, what);
  }
  return ST_OK;
}

/* Binds a string of at most cap bytes (NULL binds ""). */
static int bind_str(sqlite3_stmt *s, int i, const char *v, size_t cap) {
  if (v == NULL) {
    v = "";
  }
  return sqlite3_bind_text(s, i, v, (int)strnlen(v, cap), SQLITE_TRANSIENT);
}

/* Binds a blob; NULL binds SQL NULL, a non-NULL empty one an empty blob. */
static int bind_blob(sqlite3_stmt *s, int i, const uint8_t *p, size_t len) {
  if (p == NULL) {
    return sqlite3_bind_null(s, i);
  }
  return sqlite3_bind_blob64(s, i, len == 0 ? (const void *)"" : p, len,
                             SQLITE_TRANSIENT);
}

/* Copies a text column into buf (truncated to size - 1 bytes). */
static void col_text(sqlite3_stmt *s, int i, char *buf, size_t size) {
  const unsigned char *t = sqlite3_column_text(s, i);
  size_t n = (size_t)sqlite3_column_bytes(s, i);

  if (t == NULL) {
    n = 0;
  }
  if (n >= size) {
    n = size - 1;
  }
  if (n > 0) {
    memcpy(buf, t, n);
  }
  buf[n] = '\0';
}

/* Copies a blob column into a new buffer (NULL for SQL NULL). */
static st_err col_blob(sqlite3_stmt *s, int i, uint8_t **out, size_t *len) {
  const void *p;
  size_t n;

  *out = NULL;
  *len = 0;
  if (sqlite3_column_type(s, i) == SQLITE_NULL) {
    return ST_OK;
  }
  p = sqlite3_column_blob(s, i);
  n = (size_t)sqlite3_column_bytes(s, i);
  *out = st_malloc(n);
  if (*out == NULL) {
    return ST_ENOMEM;
  }
  if (n > 0) {
    memcpy(*out, p, n);
  }
  *len = n;
  return ST_OK;
}

/* Reads the integer meta value of key (0 when absent). */
static st_err meta_get_int(st_journal *j, const char *key, int64_t *out) {
  sqlite3_stmt *s = j->stmt[S_META_GET];
  int rc;

  *out = 0;
  if (sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC) != SQLITE_OK) {
    sreset(s);
    return db_fail(j, "meta get");
  }
  rc = sqlite3_step(s);
  if (rc == SQLITE_ROW) {
    *out = sqlite3_column_int64(s, 0);
    rc = SQLITE_DONE;
  }
  sreset(s);
  if (rc != SQLITE_DONE) {
    return db_fail(j, "meta get");
  }
  return ST_OK;
}

static st_err meta_set_int(st_journal *j, const char *key, int64_t v) {
  sqlite3_stmt *s = j->stmt[S_META_SET];

  if (sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC) != SQLITE_OK ||
      sqlite3_bind_int64(s, 2, v) != SQLITE_OK) {
    sreset(s);
    return db_fail(j, "meta set");
  }
  return run(j, S_META_SET, "meta set");
}

/* Starts one operation's writes: a savepoint inside the caller's
 * transaction, else a transaction of its own. Takes the lock; op_end
 * releases it. */
static st_err op_begin(st_journal *j) {
  st_err err;

  jlock(j);
  err = run(j, j->tx_open ? S_SAVEPOINT : S_BEGIN, "begin operation");
  if (err != ST_OK) {
    junlock(j);
  }
  return err;
}

/* Ends what op_begin started: keeps its writes when err is ST_OK or
 * ST_EEXIST (nothing written), else undoes them. Returns err, or ST_EIO
 * when the commit fails. */
static st_err op_end(st_journal *j, st_err err) {
  int keep = err == ST_OK || err == ST_EEXIST;

  if (j->tx_open) {
    if (!keep) {
      run(j, S_ROLLBACK_TO, "rollback operation");
    }
    if (run(j, S_RELEASE, "release operation") != ST_OK && keep) {
      err = ST_EIO;
    }
  } else if (keep) {
    if (run(j, S_COMMIT, "commit operation") != ST_OK) {
      err = ST_EIO;
      if (!sqlite3_get_autocommit(j->db)) {
        run(j, S_ROLLBACK, "rollback operation");
      }
    }
  } else if (!sqlite3_get_autocommit(j->db)) {
    run(j, S_ROLLBACK, "rollback operation");
  }
  junlock(j);
  return err;
}

/* Fills ns with 8 random lower-case hex characters. */
static st_err make_namespace(char ns[9]) {
  static const char hex[] = "0123456789abcdef";
  unsigned char b[4];
  size_t got = 0;
  ssize_t r;
  int fd;

  while (got < sizeof(b)) {
    r = getrandom(b + got, sizeof(b) - got, 0);
    if (r < 0 && errno == EINTR) {
      continue;
    }
    if (r <= 0) {
      break;
    }
    got += (size_t)r;
  }
  if (got < sizeof(b)) {
    fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      return ST_EIO;
    }
    while (got < sizeof(b)) {
      r = read(fd, b + got, sizeof(b) - got);
      if (r < 0 && errno == EINTR) {
        continue;
      }
      if (r <= 0) {
        break;
      }
      got += (size_t)r;
    }
    close(fd);
    if (got < sizeof(b)) {
      return ST_EIO;
    }
  }
  for (size_t i = 0; i < sizeof(b); i++) {
    ns[2 * i] = hex[b[i] >> 4];
    ns[2 * i + 1] = hex[b[i] & 15];
  }
  ns[8] = '\0';
  return ST_OK;
}

/* Runs one SQL text during open; on failure formats eb. */
static st_err open_exec(sqlite3 *db, const char *sql, const char *path,
                        st_errbuf *eb) {
  char *msg = NULL;
  st_err err = ST_OK;

  if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
    err = st_errf(eb, ST_EIO, "journal %s: %s", path,
                  msg != NULL ? msg : sqlite3_errmsg(db));
    ST_ERROR(MOD, "open %s: %s: %s", path, sql,
             msg != NULL ? msg : sqlite3_errmsg(db));
  }
  sqlite3_free(msg);
  return err;
}

/* Runs a one-value query during open: *out is the first column's text
 * (copied into out, size bytes) or "" when there is no row. */
static st_err open_query(sqlite3 *db, const char *sql, const char *arg,
                         char *out, size_t size, const char *path,
                         st_errbuf *eb) {
  sqlite3_stmt *s = NULL;
  st_err err = ST_OK;
  int rc;

  out[0] = '\0';
  rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
  if (rc == SQLITE_OK && arg != NULL) {
    rc = sqlite3_bind_text(s, 1, arg, -1, SQLITE_STATIC);
  }
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
      col_text(s, 0, out, size);
      rc = SQLITE_DONE;
    }
  }
  if (rc != SQLITE_DONE) {
    err = st_errf(eb, ST_EIO, "journal %s: %s", path, sqlite3_errmsg(db));
    ST_ERROR(MOD, "open %s: %s", path, sqlite3_errmsg(db));
  }
  sqlite3_finalize(s);
  return err;
}

/* Creates the schema and the meta rows of a new journal. */
static st_err create_schema(sqlite3 *db, char ns[9], const char *path,
                            st_errbuf *eb) {
  char sql[512];
  st_err err;

  err = make_namespace(ns);
  if (err != ST_OK) {
    return st_errf(eb, err, "journal %s: no random source for the namespace",
                   path);
  }
  err = open_exec(db, schema_sql, path, eb);
  if (err != ST_OK) {
    return err;
  }
  snprintf(sql, sizeof(sql),
           "INSERT INTO meta (key, value) VALUES ('format', '%s'),"
           " ('schema_version', %d), ('namespace', '%s'), ('last_seq', 0),"
           " ('last_arrival', 0), ('pruned_seq', 0)",
           FORMAT_NAME, SCHEMA_VERSION, ns);
  return open_exec(db, sql, path, eb);
}

/* Checks that an existing database is a settled journal and reads its
 * namespace. */
static st_err check_schema(sqlite3 *db, char ns[9], const char *path,
                           st_errbuf *eb) {
  char v[64];
  st_err err;
  long ver;

  err = open_query(db,
                   "SELECT name FROM sqlite_master WHERE type = 'table'"
                   " AND name = 'meta'",
                   NULL, v, sizeof(v), path, eb);
  if (err != ST_OK) {
    return err;
  }
  if (v[0] != '\0') {
    err = open_query(db, "SELECT value FROM meta WHERE key = ?1", "format", v,
                     sizeof(v), path, eb);
    if (err != ST_OK) {
      return err;
    }
  }
  if (strcmp(v, FORMAT_NAME) != 0) {
    return st_errf(eb, ST_EIO,
                   "journal %s: not a settled journal (a SQLite database"
                   " without the settled marker)",
                   path);
  }
  err = open_query(db, "SELECT value FROM meta WHERE key = ?1",
                   "schema_version", v, sizeof(v), path, eb);
  if (err != ST_OK) {
    return err;
  }
  ver = strtol(v, NULL, 10);
  if (ver != SCHEMA_VERSION) {
    return st_errf(eb, ST_EIO,
                   "journal %s: schema version %ld, this settled reads %d",
                   path, ver, SCHEMA_VERSION);
  }
  err = open_query(db, "SELECT value FROM meta WHERE key = ?1", "namespace", v,
                   sizeof(v), path, eb);
  if (err != ST_OK) {
    return err;
  }
  if (strlen(v) != 8 || strspn(v, "0123456789abcdef") != 8) {
    return st_errf(eb, ST_EIO, "journal %s: bad namespace '%s'", path, v);
  }
  memcpy(ns, v, 9);
  return ST_OK;
}

/* Sets the connection up and creates or checks the schema. A foreign
 * database is refused before anything is written to it (not even the WAL
 * switch); the schema is made in an immediate transaction so that two
 * processes cannot both create it. */
static st_err setup_db(st_journal *j, const char *path, st_errbuf *eb) {
  char v[64];
  st_err err;

  sqlite3_busy_timeout(j->db, 5000);
  err = open_query(j->db, "SELECT count(*) FROM sqlite_master", NULL, v,
                   sizeof(v), path, eb);
  if (err != ST_OK) {
    if (sqlite3_errcode(j->db) == SQLITE_NOTADB) {
      st_errf(eb, ST_EIO, "journal %s: not a settled journal (%s)", path,
              sqlite3_errmsg(j->db));
    }
    return err;
  }
  if (strcmp(v, "0") != 0) {
    err = check_schema(j->db, j->ns, path, eb);
    if (err != ST_OK) {
      return err;
    }
  }
  err = open_query(j->db, "PRAGMA journal_mode=WAL", NULL, v, sizeof(v), path,
                   eb);
  if (err != ST_OK) {
    return err;
  }
  if (strcmp(v, "wal") != 0) {
    ST_WARN(MOD, "%s: journal_mode is '%s', not wal", path, v);
  }
  err = open_exec(j->db, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON",
                  path, eb);
  if (err != ST_OK) {
    return err;
  }
  err = open_exec(j->db, "BEGIN IMMEDIATE", path, eb);
  if (err != ST_OK) {
    return err;
  }
  err = open_query(j->db, "SELECT count(*) FROM sqlite_master", NULL, v,
                   sizeof(v), path, eb);
  if (err == ST_OK) {
    if (strcmp(v, "0") == 0) {
      err = create_schema(j->db, j->ns, path, eb);
      if (err == ST_OK) {
        ST_INFO(MOD, "created journal %s (namespace %s)", path, j->ns);
      }
    } else {
      err = check_schema(j->db, j->ns, path, eb);
    }
  }
  if (err == ST_OK) {
    err = open_exec(j->db, "COMMIT", path, eb);
  }
  if (err != ST_OK && !sqlite3_get_autocommit(j->db)) {
    sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
  }
  return err;
}

st_err st_journal_open(const char *path, st_journal **out, st_errbuf *eb) {
  pthread_mutexattr_t attr;
  st_journal *j;
  st_err err = ST_OK;
  int rc;

  *out = NULL;
  if (path == NULL || path[0] == '\0') {
    return st_errf(eb, ST_EINVAL, "journal: empty path");
  }
  j = st_calloc(1, sizeof(*j));
  if (j == NULL) {
    return st_errf(eb, ST_ENOMEM, "journal: out of memory");
  }
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
  rc = pthread_mutex_init(&j->mu, &attr);
  pthread_mutexattr_destroy(&attr);
  if (rc != 0) {
    st_free(j);
    return st_errf(eb, ST_EINTERNAL, "journal: mutex: %s", strerror(rc));
  }
  rc = sqlite3_open_v2(path, &j->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                       NULL);
  if (rc != SQLITE_OK) {
    err = st_errf(eb, ST_EIO, "journal %s: %s", path,
                  j->db != NULL ? sqlite3_errmsg(j->db) : sqlite3_errstr(rc));
    ST_ERROR(MOD, "open %s: %s", path,
             j->db != NULL ? sqlite3_errmsg(j->db) : sqlite3_errstr(rc));
    goto fail;
  }
  sqlite3_extended_result_codes(j->db, 0);
  err = setup_db(j, path, eb);
  if (err != ST_OK) {
    goto fail;
  }
  for (int i = 0; i < S_COUNT; i++) {
    rc = sqlite3_prepare_v3(j->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                            &j->stmt[i], NULL);
    if (rc != SQLITE_OK) {
      err = st_errf(eb, ST_EIO, "journal %s: prepare: %s", path,
                    sqlite3_errmsg(j->db));
      ST_ERROR(MOD, "prepare '%s': %s", stmt_sql[i], sqlite3_errmsg(j->db));
      goto fail;
    }
  }
  *out = j;
  return ST_OK;

fail:
  for (int i = 0; i < S_COUNT; i++) {
    sqlite3_finalize(j->stmt[i]);
  }
  sqlite3_close(j->db);
  pthread_mutex_destroy(&j->mu);
  st_free(j);
  return err;
}

void st_journal_close(st_journal *j) {
  if (j == NULL) {
    return;
  }
  jlock(j);
  if (j->tx_open) {
    ST_WARN(MOD, "closing with an open transaction: rolled back");
    run(j, S_ROLLBACK, "rollback on close");
    j->tx_open = 0;
    junlock(j); /* The hold of st_journal_begin. */
  }
  for (int i = 0; i < S_COUNT; i++) {
    sqlite3_finalize(j->stmt[i]);
  }
  if (sqlite3_close(j->db) != SQLITE_OK) {
    ST_ERROR(MOD, "close: %s", sqlite3_errmsg(j->db));
  }
  junlock(j);
  pthread_mutex_destroy(&j->mu);
  st_free(j);
}

const char *st_journal_namespace(const st_journal *j) {
  return j->ns;
}

st_err st_journal_begin(st_journal *j) {
  st_err err;

  jlock(j);
  if (j->tx_open) {
    /* Holding mu while a transaction is open means this thread owns it. */
    junlock(j);
    return ST_EPRECOND;
  }
  err = run(j, S_BEGIN, "begin");
  if (err != ST_OK) {
    junlock(j);
    return err;
  }
  j->tx_open = 1;
  j->tx_owner = pthread_self();
  return ST_OK; /* mu stays held until commit or rollback. */
}

/* Ends the open transaction of this thread: releases both holds. */
static void tx_end(st_journal *j) {
  j->tx_open = 0;
  junlock(j);
  junlock(j);
}

st_err st_journal_commit(st_journal *j) {
  st_err err = ST_OK;

  jlock(j);
  if (!j->tx_open || !pthread_equal(j->tx_owner, pthread_self())) {
    junlock(j);
    return ST_EPRECOND;
  }
  if (sqlite3_get_autocommit(j->db)) {
    ST_ERROR(MOD, "commit: the transaction was lost (rolled back by SQLite)");
    err = ST_EIO;
  } else if (run(j, S_COMMIT, "commit") != ST_OK) {
    err = ST_EIO;
    if (!sqlite3_get_autocommit(j->db)) {
      run(j, S_ROLLBACK, "rollback after a failed commit");
    }
  }
  tx_end(j);
  return err;
}

void st_journal_rollback(st_journal *j) {
  jlock(j);
  if (!j->tx_open || !pthread_equal(j->tx_owner, pthread_self())) {
    junlock(j);
    return;
  }
  if (!sqlite3_get_autocommit(j->db)) {
    run(j, S_ROLLBACK, "rollback");
  }
  tx_end(j);
}

/* --- Executions. --- */

void st_exec_row_clear(st_exec_row *r) {
  if (r == NULL) {
    return;
  }
  st_free(r->request);
  st_free(r->result);
  r->request = NULL;
  r->request_len = 0;
  r->result = NULL;
  r->result_len = 0;
}

/* Reads the EXEC_COLS of the current row of s into r (blobs owned). */
static st_err exec_from_row(sqlite3_stmt *s, st_exec_row *r) {
  st_err err;

  memset(r, 0, sizeof(*r));
  col_text(s, 0, r->plan_id, sizeof(r->plan_id));
  col_text(s, 1, r->correlation_id, sizeof(r->correlation_id));
  r->arrival = sqlite3_column_int64(s, 2);
  col_text(s, 3, r->plan_hash, sizeof(r->plan_hash));
  r->status = sqlite3_column_int(s, 4);
  r->phase = sqlite3_column_int(s, 5);
  r->created_ns = sqlite3_column_int64(s, 6);
  r->updated_ns = sqlite3_column_int64(s, 7);
  r->expires_ns = sqlite3_column_int64(s, 8);
  err = col_blob(s, 9, &r->request, &r->request_len);
  if (err == ST_OK) {
    err = col_blob(s, 10, &r->result, &r->result_len);
  }
  if (err != ST_OK) {
    st_exec_row_clear(r);
  }
  return err;
}

st_err st_journal_exec_insert(st_journal *j, st_exec_row *r) {
  sqlite3_stmt *s;
  int64_t arrival = 0;
  st_err err;
  int rc;

  if (r == NULL || r->plan_id[0] == '\0') {
    return ST_EINVAL;
  }
  err = op_begin(j);
  if (err != ST_OK) {
    return err;
  }
  s = j->stmt[S_EXEC_EXISTS];
  rc = bind_str(s, 1, r->plan_id, sizeof(r->plan_id));
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(s);
  }
  sreset(s);
  if (rc == SQLITE_ROW) {
    err = ST_EEXIST;
    goto out;
  }
  if (rc != SQLITE_DONE) {
    err = db_fail(j, "exec insert");
    goto out;
  }
  err = meta_get_int(j, "last_arrival", &arrival);
  if (err != ST_OK) {
    goto out;
  }
  arrival++;
  s = j->stmt[S_EXEC_INSERT];
  if (bind_str(s, 1, r->plan_id, sizeof(r->plan_id)) != SQLITE_OK ||
      bind_str(s, 2, r->correlation_id, sizeof(r->correlation_id)) !=
          SQLITE_OK ||
      sqlite3_bind_int64(s, 3, arrival) != SQLITE_OK ||
      bind_str(s, 4, r->plan_hash, sizeof(r->plan_hash)) != SQLITE_OK ||
      sqlite3_bind_int(s, 5, r->status) != SQLITE_OK ||
      sqlite3_bind_int(s, 6, r->phase) != SQLITE_OK ||
      sqlite3_bind_int64(s, 7, r->created_ns) != SQLITE_OK ||
      sqlite3_bind_int64(s, 8, r->updated_ns) != SQLITE_OK ||
      sqlite3_bind_int64(s, 9, r->expires_ns) != SQLITE_OK ||
      bind_blob(s, 10, r->request, r->request_len) != SQLITE_OK ||
      bind_blob(s, 11, r->result, r->result_len) != SQLITE_OK) {
    sreset(s);
    err = db_fail(j, "exec insert");
    goto out;
  }
  err = run(j, S_EXEC_INSERT, "exec insert");
  if (err == ST_OK) {
    err = meta_set_int(j, "last_arrival", arrival);
  }

out:
  err = op_end(j, err);
  if (err == ST_OK) {
    r->arrival = arrival;
  }
  return err;
}

st_err st_journal_exec_get(st_journal *j, const char *plan_id,
                           st_exec_row *out) {
  sqlite3_stmt *s;
  st_err err;
  int rc;

  if (plan_id == NULL || out == NULL) {
    return ST_EINVAL;
  }
  jlock(j);
  s = j->stmt[S_EXEC_GET];
  rc = sqlite3_bind_text(s, 1, plan_id, -1, SQLITE_STATIC);
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(s);
  }
  if (rc == SQLITE_ROW) {
    err = exec_from_row(s, out);
  } else if (rc == SQLITE_DONE) {
    err = ST_ENOTFOUND;
  } else {
    err = db_fail(j, "exec get");
  }
  sreset(s);
  junlock(j);
  return err;
}

st_err st_journal_exec_update(st_journal *j, const char *plan_id, int status,
                              int phase, int64_t updated_ns,
                              const uint8_t *result, size_t result_len) {
  sqlite3_stmt *s;
  st_err err;

  if (plan_id == NULL) {
    return ST_EINVAL;
  }
  err = op_begin(j);
  if (err != ST_OK) {
    return err;
  }
  s = j->stmt[S_EXEC_UPDATE];
  if (sqlite3_bind_text(s, 1, plan_id, -1, SQLITE_STATIC) != SQLITE_OK ||
      sqlite3_bind_int(s, 2, status) != SQLITE_OK ||
      sqlite3_bind_int(s, 3, phase) != SQLITE_OK ||
      sqlite3_bind_int64(s, 4, updated_ns) != SQLITE_OK ||
      bind_blob(s, 5, result, result_len) != SQLITE_OK) {
    sreset(s);
    err = db_fail(j, "exec update");
  } else {
    err = run(j, S_EXEC_UPDATE, "exec update");
  }
  if (err == ST_OK && sqlite3_changes(j->db) == 0) {
    err = ST_ENOTFOUND;
  }
  return op_end(j, err);
}

/* Builds ",1,2," from statuses for the instr() filter; caller frees. */
static char *status_filter(const int *statuses, size_t n) {
  size_t cap = 2 + n * 12;
  size_t len = 1;
  char *f = st_malloc(cap);

  if (f == NULL) {
    return NULL;
  }
  f[0] = ',';
  f[1] = '\0';
  for (size_t i = 0; i < n; i++) {
    len += (size_t)snprintf(f + len, cap - len, "%d,", statuses[i]);
  }
  return f;
}

st_err st_journal_exec_list(st_journal *j, int64_t before, int limit,
                            const int *statuses, size_t nstatuses,
                            st_exec_row **out, size_t *n) {
  st_exec_row *rows = NULL, *grown;
  size_t count = 0, cap = 0;
  char *filter = NULL;
  sqlite3_stmt *s;
  st_err err = ST_OK;
  int rc;

  *out = NULL;
  *n = 0;
  if (nstatuses > 0 && statuses == NULL) {
    return ST_EINVAL;
  }
  if (nstatuses > 0) {
    filter = status_filter(statuses, nstatuses);
    if (filter == NULL) {
      return ST_ENOMEM;
    }
  }
  jlock(j);
  s = j->stmt[S_EXEC_LIST];
  if (sqlite3_bind_int64(s, 1, before) != SQLITE_OK ||
      (filter != NULL &&
       sqlite3_bind_text(s, 2, filter, -1, SQLITE_STATIC) != SQLITE_OK) ||
      sqlite3_bind_int(s, 3, limit > 0 ? limit : -1) != SQLITE_OK) {
    err = db_fail(j, "exec list");
    goto out;
  }
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    if (count == cap) {
      cap = cap == 0 ? 16 : cap * 2;
      grown = st_realloc(rows, cap * sizeof(*rows));
      if (grown == NULL) {
        err = ST_ENOMEM;
        goto out;
      }
      rows = grown;
    }
    err = exec_from_row(s, &rows[count]);
    if (err != ST_OK) {
      goto out;
    }
    count++;
  }
  if (rc != SQLITE_DONE) {
    err = db_fail(j, "exec list");
  }

out:
  sreset(s);
  junlock(j);
  st_free(filter);
  if (err != ST_OK) {
    for (size_t i = 0; i < count; i++) {
      st_exec_row_clear(&rows[i]);
    }
    st_free(rows);
    return err;
  }
  *out = rows;
  *n = count;
  return ST_OK;
}

/* --- Order intents. --- */

static void intent_from_row(sqlite3_stmt *s, st_intent *in) {
  memset(in, 0, sizeof(*in));
  col_text(s, 0, in->client_order_id, sizeof(in->client_order_id));
  col_text(s, 1, in->plan_id, sizeof(in->plan_id));
  col_text(s, 2, in->symbol, sizeof(in->symbol));
  in->side = sqlite3_column_int(s, 3);
  in->chain = sqlite3_column_int(s, 4);
  in->attempt = sqlite3_column_int(s, 5);
  in->type = sqlite3_column_int(s, 6);
  col_text(s, 7, in->qty, sizeof(in->qty));
  col_text(s, 8, in->limit_price, sizeof(in->limit_price));
  in->state = sqlite3_column_int(s, 9);
  col_text(s, 10, in->broker_id, sizeof(in->broker_id));
  in->status = sqlite3_column_int(s, 11);
  col_text(s, 12, in->filled_qty, sizeof(in->filled_qty));
  col_text(s, 13, in->filled_avg_price, sizeof(in->filled_avg_price));
  in->created_ns = sqlite3_column_int64(s, 14);
  in->updated_ns = sqlite3_column_int64(s, 15);
}

st_err st_journal_intent_put(st_journal *j, const st_intent *in) {
  sqlite3_stmt *s;
  st_err err;

  if (in == NULL || in->client_order_id[0] == '\0') {
    return ST_EINVAL;
  }
  err = op_begin(j);
  if (err != ST_OK) {
    return err;
  }
  s = j->stmt[S_INTENT_PUT];
  if (bind_str(s, 1, in->client_order_id, sizeof(in->client_order_id)) !=
          SQLITE_OK ||
      bind_str(s, 2, in->plan_id, sizeof(in->plan_id)) != SQLITE_OK ||
      bind_str(s, 3, in->symbol, sizeof(in->symbol)) != SQLITE_OK ||
      sqlite3_bind_int(s, 4, in->side) != SQLITE_OK ||
      sqlite3_bind_int(s, 5, in->chain) != SQLITE_OK ||
      sqlite3_bind_int(s, 6, in->attempt) != SQLITE_OK ||
      sqlite3_bind_int(s, 7, in->type) != SQLITE_OK ||
      bind_str(s, 8, in->qty, sizeof(in->qty)) != SQLITE_OK ||
      bind_str(s, 9, in->limit_price, sizeof(in->limit_price)) != SQLITE_OK ||
      sqlite3_bind_int(s, 10, in->state) != SQLITE_OK ||
      bind_str(s, 11, in->broker_id, sizeof(in->broker_id)) != SQLITE_OK ||
      sqlite3_bind_int(s, 12, in->status) != SQLITE_OK ||
      bind_str(s, 13, in->filled_qty, sizeof(in->filled_qty)) != SQLITE_OK ||
      bind_str(s, 14, in->filled_avg_price, sizeof(in->filled_avg_price)) !=
          SQLITE_OK ||
      sqlite3_bind_int64(s, 15, in->created_ns) != SQLITE_OK ||
      sqlite3_bind_int64(s, 16, in->updated_ns) != SQLITE_OK) {
    sreset(s);
    err = db_fail(j, "intent put");
  } else {
    err = run(j, S_INTENT_PUT, "intent put");
  }
  return op_end(j, err);
}

st_err st_journal_intent_get(st_journal *j, const char *client_order_id,
                             st_intent *out) {
  sqlite3_stmt *s;
  st_err err = ST_OK;
  int rc;

  if (client_order_id == NULL || out == NULL) {
    return ST_EINVAL;
  }
  jlock(j);
  s = j->stmt[S_INTENT_GET];
  rc = sqlite3_bind_text(s, 1, client_order_id, -1, SQLITE_STATIC);
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(s);
  }
  if (rc == SQLITE_ROW) {
    intent_from_row(s, out);
  } else if (rc == SQLITE_DONE) {
    err = ST_ENOTFOUND;
  } else {
    err = db_fail(j, "intent get");
  }
  sreset(s);
  junlock(j);
  return err;
}

st_err st_journal_intents_of(st_journal *j, const char *plan_id,
                             st_intent **out, size_t *n) {
  st_intent *rows = NULL, *grown;
  size_t count = 0, cap = 0;
  sqlite3_stmt *s;
  st_err err = ST_OK;
  int rc;

  *out = NULL;
  *n = 0;
  if (plan_id == NULL) {
    return ST_EINVAL;
  }
  jlock(j);
  s = j->stmt[S_INTENTS_OF];
  if (sqlite3_bind_text(s, 1, plan_id, -1, SQLITE_STATIC) != SQLITE_OK) {
    err = db_fail(j, "intents of");
    goto out;
  }
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    if (count == cap) {
      cap = cap == 0 ? 8 : cap * 2;
      grown = st_realloc(rows, cap * sizeof(*rows));
      if (grown == NULL) {
        err = ST_ENOMEM;
        goto out;
      }
      rows = grown;
    }
    intent_from_row(s, &rows[count++]);
  }
  if (rc != SQLITE_DONE) {
    err = db_fail(j, "intents of");
  }

out:
  sreset(s);
  junlock(j);
  if (err != ST_OK) {
    st_free(rows);
    return err;
  }
  *out = rows;
  *n = count;
  return ST_OK;
}

/* --- Broker fills seen. --- */

st_err st_journal_fill_seen(st_journal *j, const char *execution_id,
                            const char *order_id) {
  sqlite3_stmt *s;
  st_err err;

  if (execution_id == NULL || execution_id[0] == '\0') {
    return ST_EINVAL;
  }
  err = op_begin(j);
  if (err != ST_OK) {
    return err;
  }
  s = j->stmt[S_FILL_SEEN];
  if (sqlite3_bind_text(s, 1, execution_id, -1, SQLITE_STATIC) != SQLITE_OK ||
      sqlite3_bind_text(s, 2, order_id != NULL ? order_id : "", -1,
                        SQLITE_STATIC) != SQLITE_OK) {
    sreset(s);
    err = db_fail(j, "fill seen");
  } else {
    err = run(j, S_FILL_SEEN, "fill seen");
  }
  if (err == ST_OK && sqlite3_changes(j->db) == 0) {
    err = ST_EEXIST;
  }
  return op_end(j, err);
}

/* --- Events. --- */

/* The payload's message name: ev->event_type when set, else the short name
 * of the set oneof member's message ("" when no payload is set). */
static const char *event_type_of(const Settled__V1__Event *ev) {
  const ProtobufCFieldDescriptor *f;

  if (ev->event_type != NULL && ev->event_type[0] != '\0') {
    return ev->event_type;
  }
  if (ev->payload_case == SETTLED__V1__EVENT__PAYLOAD__NOT_SET) {
    return "";
  }
  f = protobuf_c_message_descriptor_get_field(ev->base.descriptor,
                                              (unsigned)ev->payload_case);
  if (f == NULL || f->type != PROTOBUF_C_TYPE_MESSAGE ||
      f->descriptor == NULL) {
    return "";
  }
  return ((const ProtobufCMessageDescriptor *)f->descriptor)->short_name;
}

/* Finds the stored event keyed (plan_id, step_key): ST_OK with *seq,
 * ST_ENOTFOUND, or ST_EIO. */
static st_err find_step(st_journal *j, const char *plan_id,
                        const char *step_key, uint64_t *seq) {
  sqlite3_stmt *s = j->stmt[S_EV_FIND];
  st_err err = ST_ENOTFOUND;
  int rc;

  rc = sqlite3_bind_text(s, 1, plan_id, -1, SQLITE_STATIC);
  if (rc == SQLITE_OK) {
    rc = sqlite3_bind_text(s, 2, step_key, -1, SQLITE_STATIC);
  }
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(s);
  }
  if (rc == SQLITE_ROW) {
    *seq = (uint64_t)sqlite3_column_int64(s, 0);
    err = ST_OK;
  } else if (rc != SQLITE_DONE) {
    err = db_fail(j, "event lookup");
  }
  sreset(s);
  return err;
}

st_err st_journal_append(st_journal *j, Settled__V1__Event *ev,
                         const char *step_key) {
  uint64_t old_seq, seq = 0;
  char *old_type;
  const char *plan_id, *type;
  uint8_t *body = NULL;
  size_t len;
  int64_t last = 0, ts_ns;
  sqlite3_stmt *s;
  st_err err;

  if (ev == NULL || ev->base.descriptor != &settled__v1__event__descriptor) {
    return ST_EINVAL;
  }
  if (step_key != NULL && step_key[0] == '\0') {
    step_key = NULL;
  }
  plan_id = ev->plan_id != NULL ? ev->plan_id : "";
  old_seq = ev->sequence;
  old_type = ev->event_type;
  if (ev->timestamp != NULL) {
    ts_ns = ev->timestamp->seconds * ST_NS_PER_SEC + ev->timestamp->nanos;
  } else {
    ts_ns = st_now_ns();
  }
  err = op_begin(j);
  if (err != ST_OK) {
    return err;
  }
  if (step_key != NULL) {
    err = find_step(j, plan_id, step_key, &seq);
    if (err == ST_OK) {
      err = ST_EEXIST;
      goto out;
    }
    if (err != ST_ENOTFOUND) {
      goto out;
    }
  }
  err = meta_get_int(j, "last_seq", &last);
  if (err != ST_OK) {
    goto out;
  }
  seq = (uint64_t)last + 1;
  type = event_type_of(ev);
  ev->sequence = seq;
  ev->event_type = (char *)type;
  len = protobuf_c_message_get_packed_size(&ev->base);
  body = st_malloc(len);
  if (body == NULL) {
    err = ST_ENOMEM;
    goto out;
  }
  if (protobuf_c_message_pack(&ev->base, body) != len) {
    ST_ERROR(MOD, "append: packed size mismatch");
    err = ST_EINTERNAL;
    goto out;
  }
  s = j->stmt[S_EV_INSERT];
  if (sqlite3_bind_int64(s, 1, (int64_t)seq) != SQLITE_OK ||
      sqlite3_bind_text(s, 2, ev->event_id != NULL ? ev->event_id : "", -1,
                        SQLITE_STATIC) != SQLITE_OK ||
      sqlite3_bind_text(s, 3, plan_id, -1, SQLITE_STATIC) != SQLITE_OK ||
      (step_key != NULL ? sqlite3_bind_text(s, 4, step_key, -1, SQLITE_STATIC)
                        : sqlite3_bind_null(s, 4)) != SQLITE_OK ||
      sqlite3_bind_text(s, 5, type, -1, SQLITE_STATIC) != SQLITE_OK ||
      sqlite3_bind_text(s, 6,
                        ev->correlation_id != NULL ? ev->correlation_id : "",
                        -1, SQLITE_STATIC) != SQLITE_OK ||
      sqlite3_bind_int64(s, 7, ts_ns) != SQLITE_OK ||
      sqlite3_bind_blob64(s, 8, len > 0 ? (const void *)body : "", len,
                          SQLITE_STATIC) != SQLITE_OK) {
    sreset(s);
    err = db_fail(j, "append");
    goto out;
  }
  err = run(j, S_EV_INSERT, "append");
  if (err == ST_OK) {
    err = meta_set_int(j, "last_seq", (int64_t)seq);
  }

out:
  err = op_end(j, err);
  st_free(body);
  if (err == ST_EEXIST) {
    ev->sequence = seq;
  } else if (err != ST_OK) {
    ev->sequence = old_seq;
    ev->event_type = old_type;
  }
  return err;
}

/* Copies up to want events with seq > after (of plan_id when not NULL)
 * into rows; *got is how many. */
static st_err read_batch(st_journal *j, uint64_t after, size_t want,
                         const char *plan_id, read_row *rows, size_t *got) {
  sqlite3_stmt *s;
  st_err err = ST_OK;
  size_t n = 0;
  int rc = SQLITE_DONE;

  *got = 0;
  jlock(j);
  s = j->stmt[plan_id != NULL ? S_EV_READ_PLAN : S_EV_READ];
  if (sqlite3_bind_int64(s, 1, (int64_t)after) != SQLITE_OK ||
      sqlite3_bind_int64(s, 2, (int64_t)want) != SQLITE_OK ||
      (plan_id != NULL &&
       sqlite3_bind_text(s, 3, plan_id, -1, SQLITE_STATIC) != SQLITE_OK)) {
    err = db_fail(j, "read");
    goto out;
  }
  while (n < want && (rc = sqlite3_step(s)) == SQLITE_ROW) {
    size_t lp = (size_t)sqlite3_column_bytes(s, 1);
    size_t lc = (size_t)sqlite3_column_bytes(s, 2);
    size_t lt = (size_t)sqlite3_column_bytes(s, 3);
    size_t lb = (size_t)sqlite3_column_bytes(s, 5);
    const void *b = sqlite3_column_blob(s, 5);
    read_row *r = &rows[n];
    char *m = st_malloc(lp + lc + lt + 3 + lb);

    if (m == NULL) {
      err = ST_ENOMEM;
      goto out;
    }
    r->mem = m;
    r->row.seq = (uint64_t)sqlite3_column_int64(s, 0);
    r->row.ts_ns = sqlite3_column_int64(s, 4);
    col_text(s, 1, m, lp + 1);
    r->row.plan_id = m;
    m += lp + 1;
    col_text(s, 2, m, lc + 1);
    r->row.correlation_id = m;
    m += lc + 1;
    col_text(s, 3, m, lt + 1);
    r->row.type = m;
    m += lt + 1;
    if (lb > 0) {
      memcpy(m, b, lb);
    }
    r->row.body = (const uint8_t *)m;
    r->row.len = lb;
    n++;
  }
  if (n < want && rc != SQLITE_DONE) {
    err = db_fail(j, "read");
  }

out:
  sreset(s);
  junlock(j);
  if (err != ST_OK) {
    for (size_t i = 0; i < n; i++) {
      st_free(rows[i].mem);
    }
    n = 0;
  }
  *got = n;
  return err;
}

st_err st_journal_read(st_journal *j, uint64_t after_seq, size_t limit,
                       const char *plan_id,
                       int (*fn)(void *ud, const st_event_row *row), void *ud,
                       uint64_t *last) {
  read_row *rows;
  size_t done = 0, got, want, i;
  uint64_t cur = after_seq;
  int stop = 0;
  st_err err = ST_OK;

  if (last != NULL) {
    *last = after_seq;
  }
  if (fn == NULL) {
    return ST_EINVAL;
  }
  rows = st_malloc(READ_BATCH * sizeof(*rows));
  if (rows == NULL) {
    return ST_ENOMEM;
  }
  while (!stop) {
    want = READ_BATCH;
    if (limit > 0 && limit - done < want) {
      want = limit - done;
    }
    if (want == 0) {
      break;
    }
    /* The lock is not held while fn runs (unless this thread has a
     * transaction open), so fn may call the journal. */
    err = read_batch(j, cur, want, plan_id, rows, &got);
    if (err != ST_OK || got == 0) {
      break;
    }
    for (i = 0; i < got && !stop; i++) {
      cur = rows[i].row.seq;
      done++;
      if (last != NULL) {
        *last = cur;
      }
      stop = fn(ud, &rows[i].row) != 0;
    }
    for (i = 0; i < got; i++) {
      st_free(rows[i].mem);
    }
    if (got < want) {
      break;
    }
  }
  st_free(rows);
  return err;
}

/* Runs a one-integer query (NULL reads as 0); errors log and give 0. */
static uint64_t query_u64(st_journal *j, int id, const char *what) {
  sqlite3_stmt *s = j->stmt[id];
  uint64_t v = 0;
  int rc;

  rc = sqlite3_step(s);
  if (rc == SQLITE_ROW) {
    v = (uint64_t)sqlite3_column_int64(s, 0);
  } else {
    db_fail(j, what);
  }
  sreset(s);
  return v;
}

uint64_t st_journal_last_seq(st_journal *j) {
  int64_t v = 0;

  jlock(j);
  meta_get_int(j, "last_seq", &v);
  junlock(j);
  return (uint64_t)v;
}

uint64_t st_journal_oldest_seq(st_journal *j) {
  uint64_t v;

  jlock(j);
  v = query_u64(j, S_EV_OLDEST, "oldest seq");
  junlock(j);
  return v;
}

uint64_t st_journal_pruned_seq(st_journal *j) {
  int64_t v = 0;

  jlock(j);
  meta_get_int(j, "pruned_seq", &v);
  junlock(j);
  return (uint64_t)v;
}

/* Runs a DELETE ... RETURNING seq: adds the rows deleted to *n and raises
 * *max_seq to the highest seq deleted. */
static st_err prune_run(st_journal *j, int id, uint64_t *n, uint64_t *max_seq) {
  sqlite3_stmt *s = j->stmt[id];
  uint64_t seq;
  int rc;

  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    seq = (uint64_t)sqlite3_column_int64(s, 0);
    if (seq > *max_seq) {
      *max_seq = seq;
    }
    (*n)++;
  }
  sreset(s);
  if (rc != SQLITE_DONE) {
    return db_fail(j, "prune");
  }
  return ST_OK;
}

st_err st_journal_prune(st_journal *j, uint64_t max_count, int64_t min_ts_ns,
                        uint64_t *deleted) {
  uint64_t n = 0, max_seq = 0, total;
  int64_t pruned = 0;
  sqlite3_stmt *s;
  st_err err;

  if (deleted != NULL) {
    *deleted = 0;
  }
  err = op_begin(j);
  if (err != ST_OK) {
    return err;
  }
  /* Age first: then the count limit removes only what is still needed. */
  if (min_ts_ns > 0) {
    s = j->stmt[S_EV_PRUNE_AGE];
    if (sqlite3_bind_int64(s, 1, min_ts_ns) != SQLITE_OK) {
      sreset(s);
      err = db_fail(j, "prune");
      goto out;
    }
    err = prune_run(j, S_EV_PRUNE_AGE, &n, &max_seq);
    if (err != ST_OK) {
      goto out;
    }
  }
  if (max_count > 0) {
    s = j->stmt[S_EV_COUNT];
    if (sqlite3_step(s) != SQLITE_ROW) {
      sreset(s);
      err = db_fail(j, "prune count");
      goto out;
    }
    total = (uint64_t)sqlite3_column_int64(s, 0);
    sreset(s);
    if (total > max_count) {
      s = j->stmt[S_EV_PRUNE_COUNT];
      if (sqlite3_bind_int64(s, 1, (int64_t)(total - max_count)) != SQLITE_OK) {
        sreset(s);
        err = db_fail(j, "prune");
        goto out;
      }
      err = prune_run(j, S_EV_PRUNE_COUNT, &n, &max_seq);
      if (err != ST_OK) {
        goto out;
      }
    }
  }
  if (n > 0) {
    err = meta_get_int(j, "pruned_seq", &pruned);
    if (err == ST_OK && (uint64_t)pruned < max_seq) {
      err = meta_set_int(j, "pruned_seq", (int64_t)max_seq);
    }
  }

out:
  err = op_end(j, err);
  if (err == ST_OK && deleted != NULL) {
    *deleted = n;
  }
  return err;
}
