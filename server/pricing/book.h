/* book.h - the quote book: the latest quote per symbol, with waiters.
 *
 * One record per symbol holds the latest quote exactly as it came (a
 * missing side stays zero, which is how st_quote says "missing", so a
 * reader always sees that the latest update lacked that side) and, apart
 * from it, the last good value of each side with the time it came. A
 * one-sided quote is therefore stored as it came: the missing side is never
 * filled from the other, and its zero never overwrites the good earlier
 * value of that side, which stays readable in the record. A quote with
 * neither side carries nothing and is dropped (the earlier quote stays and
 * grows stale). Negative prices or sizes are refused.
 *
 * Thread-safe: one mutex, held only to copy a record in or out, and a
 * condition variable for st_pricing_book_wait.
 */
#ifndef ST_PRICING_BOOK_H
#define ST_PRICING_BOOK_H

#include <stddef.h>
#include <stdint.h>

#include "server/broker/broker.h"
#include "server/util/err.h"

/* What the book knows about one symbol. Plain value type. */
typedef struct st_pricing_record {
  st_quote quote; /* The latest quote as received; a missing side is 0. */
  /* The last bid (ask) received, from the latest quote that had one; its
   * received time is 0 when no quote ever had that side. */
  st_dec bid, bid_size;
  int64_t bid_received_ns;
  st_dec ask, ask_size;
  int64_t ask_received_ns;
} st_pricing_record;

typedef struct st_pricing_book st_pricing_book;

/* Creates an empty book; the caller owns *out (st_pricing_book_destroy). */
st_err st_pricing_book_create(st_pricing_book **out);

/* Frees b. No call may be in flight (call st_pricing_book_shutdown and let
 * waiters return first). NULL is ignored. */
void st_pricing_book_destroy(st_pricing_book *b);

/* Stores a copy of q (q is borrowed) and wakes waiters. The symbol is
 * upper-cased; received_ns is kept when set, else set to now_ns. If stored
 * is not NULL it gets the quote as stored. Refused, with the book
 * unchanged: ST_EINVAL for a bad symbol, a negative price or size, or no
 * side at all; ST_ERANGE for a quote older (exchange time, ts_ns) than the
 * one held. Never blocks beyond the book's mutex. */
st_err st_pricing_book_put(st_pricing_book *b, const st_quote *q,
                           int64_t now_ns, st_quote *stored);

/* Copies the record of symbol (upper-case) into *out. ST_ENOTFOUND when
 * the book has no quote for it. */
st_err st_pricing_book_get(st_pricing_book *b, const char *symbol,
                           st_pricing_record *out);

/* Waits until the book holds a quote of symbol received after after_ns
 * (quote.received_ns > after_ns) and copies its record into *out.
 * deadline_ns is a wall-clock time (st_now_ns); 0 means no deadline.
 * ST_ETIMEDOUT when the deadline passes first, ST_ECANCELED after
 * st_pricing_book_shutdown. */
st_err st_pricing_book_wait(st_pricing_book *b, const char *symbol,
                            int64_t after_ns, int64_t deadline_ns,
                            st_pricing_record *out);

/* Drops every record whose latest quote was received before
 * now_ns - max_age_ns; returns how many were dropped. */
size_t st_pricing_book_prune(st_pricing_book *b, int64_t now_ns,
                             int64_t max_age_ns);

/* Number of symbols with a quote. */
size_t st_pricing_book_count(st_pricing_book *b);

/* Wakes every waiter with ST_ECANCELED, now and for later waits. Puts and
 * reads still work. */
void st_pricing_book_shutdown(st_pricing_book *b);

#endif
