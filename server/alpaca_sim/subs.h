/* subs.h - the subscription set of one market-data stream connection.
 *
 * Channels (trades, quotes, bars, ...) each hold a list of symbols, "*"
 * meaning every symbol. subscribe adds, unsubscribe removes; the reply to
 * either is the whole set, with corrections and cancelErrors mirroring
 * trades. Plain value type owning its lists. Not thread-safe: callers
 * lock.
 */
#ifndef ST_ASIM_SUBS_H
#define ST_ASIM_SUBS_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "server/util/err.h"

#define ST_ASIM_SUB_SYM_LEN 32 /* Longer symbols are refused. */

typedef enum st_asim_channel {
  ST_ASIM_CH_TRADES = 0,
  ST_ASIM_CH_QUOTES,
  ST_ASIM_CH_BARS,
  ST_ASIM_CH_UPDATED_BARS,
  ST_ASIM_CH_DAILY_BARS,
  ST_ASIM_CH_STATUSES,
  ST_ASIM_CH_LULDS,
  ST_ASIM_CH_COUNT
} st_asim_channel;

typedef struct st_asim_symlist {
  char (*s)[ST_ASIM_SUB_SYM_LEN]; /* Owned; n used of cap. */
  size_t n;
  size_t cap;
} st_asim_symlist;

typedef struct st_asim_subs {
  st_asim_symlist ch[ST_ASIM_CH_COUNT];
} st_asim_subs;

/* The wire name of channel ch ("trades", "updatedBars", ...). */
const char *st_asim_subs_channel_name(st_asim_channel ch);

/* Adds sym to channel ch unless present. ST_EINVAL for an empty or too
 * long symbol, ST_ENOMEM. */
st_err st_asim_subs_add(st_asim_subs *s, st_asim_channel ch, const char *sym);

/* Removes sym from channel ch (nothing if absent). */
void st_asim_subs_remove(st_asim_subs *s, st_asim_channel ch, const char *sym);

/* True when channel ch has sym or "*". */
int st_asim_subs_has(const st_asim_subs *s, st_asim_channel ch,
                     const char *sym);

/* Number of distinct symbols over trades and quotes (the plan limit). */
size_t st_asim_subs_symbol_count(const st_asim_subs *s);

/* Makes *dst a deep copy of src (dst's old content is not freed).
 * ST_ENOMEM (dst is then zeroed). */
st_err st_asim_subs_copy(st_asim_subs *dst, const st_asim_subs *src);

/* Frees every list of s and zeroes it. */
void st_asim_subs_free(st_asim_subs *s);

/* The subscription message object {"T":"subscription","trades":[...],
 * ...}; the caller owns it (cJSON_Delete). NULL when memory is short. */
cJSON *st_asim_subs_json(const st_asim_subs *s);

#endif
