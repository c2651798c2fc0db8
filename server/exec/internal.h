/* internal.h - the engine's internal state, shared by its .c files. */
#ifndef ST_EXEC_INTERNAL_H
#define ST_EXEC_INTERNAL_H

#include <pthread.h>

#include "server/exec/coid.h"
#include "server/exec/engine.h"

#define MAX_TRIED 64
#define MAX_CHAIN_ORDERS 64

typedef enum chain_state {
  CH_PENDING = 0, /* Not placed yet (waiting for a quote or the open). */
  CH_WORKING,     /* An order is working at the broker. */
  CH_CANCELING,   /* A cancel was sent; waiting for the broker to confirm. */
  CH_DONE,        /* Nothing more to do. */
} chain_state;

typedef enum chain_next {
  NEXT_NONE = 0, /* After the cancel: stop (deadline or cancel). */
  NEXT_REPEG,    /* After the cancel: a new limit order for the rest. */
  NEXT_MARKET,   /* After the cancel: a market order for the rest. */
} chain_next;

/* One plan item's order chain: a limit order, its re-pegs and a final
 * market order, with fills summed over the whole chain. */
typedef struct chain {
  size_t idx; /* Plan item index. */
  char symbol[ST_SYMBOL_LEN];
  st_side side;
  st_dec amount; /* |trade_amount|, dollars. */
  int liquidate;
  int fractionable;
  int sized;
  st_dec requested; /* Shares wanted over the chain. */
  st_dec need_bp;   /* Buys: buying power the chain was sized for. */
  st_dec prior_filled, prior_value; /* Finished orders of the chain. */
  st_dec cur_filled, cur_avg;       /* The current order, cumulative. */
  int attempt;                      /* Attempt number of the current order. */
  int next_attempt;                 /* Next attempt number to use. */
  int repegs;
  int escalated;
  chain_state state;
  chain_next next;
  st_otype type;
  st_dec limit;
  st_dec tried[MAX_TRIED];
  size_t ntried;
  char coid[ST_COID_LEN];
  char order_id[ST_ORDER_ID_LEN];
  st_ostatus status;
  char order_ids[MAX_CHAIN_ORDERS][ST_ORDER_ID_LEN];
  size_t norders;
  int64_t placed_ns;
  int64_t quote_deadline_ns;
  int64_t cancel_sent_ns;
  int64_t filled_at_ns;
  int64_t rest_read_ns; /* Last REST quote read for this chain. */
  st_dec anchor;        /* Far touch when the current limit was priced. */
  int success, failed, skipped;
  char reason[200];
  char last_event_id[40];
  int settlement_emitted;
  int resume_continue; /* Restored after a cancel: continue the chain. */
} chain;

typedef struct execution {
  struct execution *next; /* Queue link. */
  st_plan plan;
  st_exec_config cfg;
  Settled__V1__ExecutePlanRequest *req; /* Owned (unpacked). */
  int status;                           /* settled.v1.ExecutionStatus */
  int phase;                            /* settled.v1.PhaseType */
  chain *chains;
  size_t nchains;
  int64_t created_ns;
  int64_t finished_ns;
  st_dec released;
  st_dec failed_sell_value;
  st_dec bp_needed; /* Dry run: buying power the buys need. */
  char failure_reason[256];
  _Atomic int cancel_requested;
  int queued_emitted;
  char cancel_reason[200];
  int resumed;
  int dry_run;
  char started_event_id[40];
  uint64_t last_seq;
  /* Serialized result, under e->mu: what readers see. */
  uint8_t *snap;
  size_t snap_len;
  int terminal;
} execution;

typedef enum inbox_kind {
  IN_UPDATE = 1,
  IN_STREAM,
  IN_QUOTE,
} inbox_kind;

typedef struct inbox_item {
  inbox_kind kind;
  st_trade_update u;
  int stream_kind, up;
  struct inbox_item *next;
} inbox_item;

typedef struct waiter {
  uint64_t id;
  char plan_id[ST_PLAN_ID_MAX + 1];
  int64_t deadline_ns;
  void (*fn)(void *ud, const uint8_t *result, size_t len);
  void *ud;
  struct waiter *next;
} waiter;

/* A pending event: committed in the current step, published after the
 * commit. */
typedef struct pending_ev {
  Settled__V1__Event *ev; /* Owned copy (unpacked from body). */
  uint8_t *body;
  size_t len;
  struct pending_ev *next;
} pending_ev;

struct st_engine {
  st_engine_opts o;
  pthread_t thread;
  int running;

  pthread_mutex_t mu; /* Guards everything below. */
  pthread_cond_t cv;
  int stop;
  execution *queue; /* FIFO: head runs first. */
  execution *current;
  inbox_item *in_head, *in_tail;
  waiter *waiters;
  uint64_t next_waiter;
  int trades_up;

  /* Worker-only state. */
  pending_ev *pend_head, *pend_tail;
};

/* engine.c */
int64_t st__now(st_engine *e);
/* Waits for inbox items or until deadline_ns; returns the drained list
 * (caller frees each item) or NULL. */
inbox_item *st__wait_inbox(st_engine *e, int64_t deadline_ns);
void st__snapshot(st_engine *e, execution *x);
void st__service_waiters(st_engine *e);
int st__stopping(st_engine *e);

/* emit.c: builds an event for x with the payload set by the caller (ev is
 * initialised by st__event_init), journals it under step_key in the open
 * transaction and queues it for publishing at st__commit. */
void st__event_init(st_engine *e, execution *x, Settled__V1__Event *ev,
                    const char *source, const char *causation);
void st__emit(st_engine *e, execution *x, Settled__V1__Event *ev,
              const char *step_key);
void st__begin(st_engine *e);
void st__commit(st_engine *e);

/* result.c */
st_err st__result_pack(execution *x, uint8_t **out, size_t *len);
const char *st__status_name(int status);
int st__status_terminal(int status);

/* run.c */
void st__run(st_engine *e, execution *x);
void st__dry_run(st_engine *e, execution *x);
/* Ends x, canceled before it started (nothing is sent to the broker). */
void st__finish_canceled(st_engine *e, execution *x);
/* engine.c: ends queued executions that were canceled, at once. */
void st__reap_canceled(st_engine *e);
/* engine.c: ExecutionQueued for plans waiting behind cur. */
void st__note_queued(st_engine *e, execution *cur);
chain *st__chain_by_order(execution *x, const char *order_id);

#endif
