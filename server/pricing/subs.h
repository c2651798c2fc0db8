/* subs.h - the quote subscription set: symbols claimed by owners with
 * priorities, under a symbol limit.
 *
 * A claim is (owner, priority): owners are strings such as "exec:<plan_id>",
 * "rpc" or "stream:<n>". A symbol's priority is the highest priority of its
 * claims; the same owner claiming a symbol again keeps the higher of its
 * two priorities. At most `limit` symbols are held. A bulk add by one owner
 * at priority P puts new symbols in free slots first and, when short of
 * slots, evicts the symbols of lowest priority STRICTLY below P (all their
 * claims go); a symbol that still does not fit is refused. Equal priority
 * never replaces.
 *
 * A plain data structure: no I/O, no threads, not thread-safe (the pricing
 * service works on a clone under its own lock, so that a change the broker
 * refuses can be thrown away).
 */
#ifndef ST_PRICING_SUBS_H
#define ST_PRICING_SUBS_H

#include <stddef.h>

#include "server/broker/broker.h"
#include "server/util/err.h"

#define ST_PRICING_OWNER_LEN 128 /* Owner string plus NUL. */

/* The outcome of one symbol of a bulk add. */
typedef enum st_pricing_sub_status {
  ST_PRICING_SUB_ADDED = 0, /* Newly subscribed (free slot or eviction). */
  ST_PRICING_SUB_KEPT,      /* Already subscribed; the claim was added or
                               raised to the higher priority. */
  ST_PRICING_SUB_INVALID,   /* Not a valid symbol; nothing was done. */
  ST_PRICING_SUB_FULL,      /* No slot: every symbol held has a priority at
                               or above this one. Not subscribed. */
} st_pricing_sub_status;

/* One row per input symbol of a bulk add. Plain value type. */
typedef struct st_pricing_sub_result {
  char symbol[ST_SYMBOL_LEN]; /* Upper-cased; empty when INVALID. */
  st_pricing_sub_status status;
  double priority; /* The symbol's priority after the add
                      (ADDED, KEPT); 0 otherwise. */
} st_pricing_sub_result;

/* One claim on one symbol. Plain value type. */
typedef struct st_pricing_claim {
  char symbol[ST_SYMBOL_LEN];
  char owner[ST_PRICING_OWNER_LEN];
  double priority; /* This owner's priority on this symbol. */
} st_pricing_claim;

typedef struct st_pricing_subs st_pricing_subs;

/* Creates an empty set holding at most limit symbols (limit >= 1, else
 * ST_EINVAL). The caller owns *out and frees it with
 * st_pricing_subs_destroy. */
st_err st_pricing_subs_create(size_t limit, st_pricing_subs **out);

/* Makes a deep copy of s into *out (owned by the caller). */
st_err st_pricing_subs_clone(const st_pricing_subs *s, st_pricing_subs **out);

/* Frees s and everything in it. NULL is ignored. */
void st_pricing_subs_destroy(st_pricing_subs *s);

/* Adds owner's claim at priority to each of the n symbols (upper-cased and
 * validated here), as one bulk (see the top of this file); a symbol given
 * twice counts once. res must hold n rows (caller-owned); row i tells what
 * became of symbols[i]. The claims of evicted symbols are returned in
 * *evicted (*nevicted rows, NULL when none; caller frees with st_free) so
 * that the caller can tell their owners. *changed is set to 1 when the set
 * of symbols changed (a symbol added or evicted), else 0.
 * ST_EINVAL when owner is NULL, empty or too long (ST_PRICING_OWNER_LEN - 1
 * characters at most), or priority is not finite; nothing is changed then.
 * ST_ENOMEM leaves s valid but partly changed: work on a clone. */
st_err st_pricing_subs_add(st_pricing_subs *s, const char *owner,
                           const char *const *symbols, size_t n,
                           double priority, st_pricing_sub_result *res,
                           st_pricing_claim **evicted, size_t *nevicted,
                           int *changed);

/* Drops owner's claims on the n symbols; a symbol left without claims is
 * removed. Symbols not held, or not claimed by owner, are ignored (so this
 * is idempotent). ST_EINVAL, with nothing changed, when owner or any
 * symbol is invalid. *changed as for st_pricing_subs_add. */
st_err st_pricing_subs_remove(st_pricing_subs *s, const char *owner,
                              const char *const *symbols, size_t n,
                              int *changed);

/* Drops every claim of owner (idempotent). ST_EINVAL for a bad owner. */
st_err st_pricing_subs_remove_owner(st_pricing_subs *s, const char *owner,
                                    int *changed);

/* Number of symbols held, and the limit. */
size_t st_pricing_subs_count(const st_pricing_subs *s);
size_t st_pricing_subs_limit(const st_pricing_subs *s);

/* The i-th symbol held (0 <= i < count), in the order they were added;
 * the string belongs to s and lives until s changes. */
const char *st_pricing_subs_symbol(const st_pricing_subs *s, size_t i);

/* The priority of symbol (upper-case) in *priority; ST_ENOTFOUND when it
 * is not held. */
st_err st_pricing_subs_priority(const st_pricing_subs *s, const char *symbol,
                                double *priority);

/* Copies every claim into *out (*n rows, grouped by symbol in the order of
 * st_pricing_subs_symbol; NULL when none); caller frees with st_free. */
st_err st_pricing_subs_claims(const st_pricing_subs *s, st_pricing_claim **out,
                              size_t *n);

#endif
