/* broker_contract.h - one contract suite for every broker implementation.
 *
 * The same tests run against the in-process simulated broker and against
 * the Alpaca adapter talking to a real alpaca-sim process; a backend
 * supplies the broker and the test-only levers (force a fill, pin a quote,
 * inject faults, drop the streams) each side has.
 */
#ifndef ST_TESTS_BROKER_CONTRACT_H
#define ST_TESTS_BROKER_CONTRACT_H

#include "server/broker/broker.h"
#include "tests/unit/cunit_main.h"

typedef struct st_contract_backend {
  const char *name;
  /* Creates and returns a fresh broker over a fresh account holding the
   * demo portfolio ($25,000 cash, AAPL 50, MSFT 20, NVDA 40, AMZN 15.5, SPY
   * 30, VTI 25, AGG 60), not yet started. */
  st_broker *(*open)(void);
  /* Destroys the broker and anything behind it. */
  void (*close)(st_broker *b);
  /* Fills qty (zero: all) of order id at price now. */
  st_err (*force_fill)(st_broker *b, const char *id, st_dec qty, st_dec price);
  /* Pins symbol's quote. */
  st_err (*pin_quote)(st_broker *b, const char *symbol, st_dec bid, st_dec ask);
  /* Optional (NULL when the backend has no such fault): the next n REST
   * requests get 429; a share (0..1) of requests get a 5xx; drop the
   * streams. */
  st_err (*burst_429)(st_broker *b, int n);
  st_err (*share_5xx)(st_broker *b, double share);
  st_err (*drop_streams)(st_broker *b);
} st_contract_backend;

/* The suite's tests, for the backend set by st_contract_run. */
int st_contract_run(const st_contract_backend *backend);

#endif
