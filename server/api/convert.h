/* convert.h - broker structs as settled.v1 messages.
 *
 * Each converter fills a message whose strings point into a caller-owned
 * strings struct of the same lifetime; nothing is allocated.
 */
#ifndef ST_API_CONVERT_H
#define ST_API_CONVERT_H

#include "server/broker/broker.h"
#include "server/util/decimal.h"
#include "settled/v1/account.pb-c.h"
#include "settled/v1/types.pb-c.h"

typedef struct st_order_strs {
  char qty[ST_DEC_STRLEN], filled[ST_DEC_STRLEN], avg[ST_DEC_STRLEN],
      limit[ST_DEC_STRLEN];
  Google__Protobuf__Timestamp created, updated, filled_at, canceled;
} st_order_strs;

typedef struct st_position_strs {
  char qty[ST_DEC_STRLEN], avail[ST_DEC_STRLEN], entry[ST_DEC_STRLEN],
      value[ST_DEC_STRLEN], price[ST_DEC_STRLEN], cost[ST_DEC_STRLEN];
} st_position_strs;

typedef struct st_quote_strs {
  char bid[ST_DEC_STRLEN], ask[ST_DEC_STRLEN], bid_size[ST_DEC_STRLEN],
      ask_size[ST_DEC_STRLEN], mid[ST_DEC_STRLEN];
  Google__Protobuf__Timestamp ts, received;
} st_quote_strs;

/* Fills m from o (m's strings point into o and s). */
void st_order_to_pb(const st_order *o, Settled__V1__Order *m, st_order_strs *s);
void st_position_to_pb(const st_position *p, Settled__V1__Position *m,
                       st_position_strs *s);
void st_quote_to_pb(const st_quote *q, Settled__V1__Quote *m, st_quote_strs *s);

/* Sets ts from ns since the epoch and returns it (NULL when ns is 0). */
Google__Protobuf__Timestamp *st_ts_to_pb(int64_t ns,
                                         Google__Protobuf__Timestamp *ts);

#endif
