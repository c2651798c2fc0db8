/* broker.c - names of order statuses and trade events. */
#include "server/broker/broker.h"

#include <string.h>

static const char *const status_names[] = {
    [ST_OS_UNKNOWN] = "",
    [ST_OS_PENDING_NEW] = "pending_new",
    [ST_OS_ACCEPTED] = "accepted",
    [ST_OS_NEW] = "new",
    [ST_OS_PARTIALLY_FILLED] = "partially_filled",
    [ST_OS_FILLED] = "filled",
    [ST_OS_CANCELED] = "canceled",
    [ST_OS_EXPIRED] = "expired",
    [ST_OS_REJECTED] = "rejected",
    [ST_OS_REPLACED] = "replaced",
    [ST_OS_PENDING_CANCEL] = "pending_cancel",
    [ST_OS_PENDING_REPLACE] = "pending_replace",
    [ST_OS_DONE_FOR_DAY] = "done_for_day",
};

#define NSTATUS (sizeof(status_names) / sizeof(status_names[0]))

int st_ostatus_terminal(st_ostatus s) {
  return s == ST_OS_FILLED || s == ST_OS_CANCELED || s == ST_OS_EXPIRED ||
         s == ST_OS_REJECTED || s == ST_OS_REPLACED;
}

const char *st_ostatus_name(st_ostatus s) {
  if ((unsigned)s >= NSTATUS) {
    return "";
  }
  return status_names[s];
}

st_ostatus st_ostatus_parse(const char *name) {
  if (name == NULL) {
    return ST_OS_UNKNOWN;
  }
  for (size_t i = 1; i < NSTATUS; i++) {
    if (strcmp(status_names[i], name) == 0) {
      return (st_ostatus)i;
    }
  }
  /* Rare statuses settled treats as working orders. */
  if (strcmp(name, "accepted_for_bidding") == 0 ||
      strcmp(name, "calculated") == 0 || strcmp(name, "held") == 0 ||
      strcmp(name, "stopped") == 0 || strcmp(name, "suspended") == 0) {
    return ST_OS_NEW;
  }
  return ST_OS_UNKNOWN;
}

static const char *const event_names[] = {
    [ST_TE_OTHER] = "",
    [ST_TE_NEW] = "new",
    [ST_TE_PARTIAL_FILL] = "partial_fill",
    [ST_TE_FILL] = "fill",
    [ST_TE_CANCELED] = "canceled",
    [ST_TE_EXPIRED] = "expired",
    [ST_TE_DONE_FOR_DAY] = "done_for_day",
    [ST_TE_REPLACED] = "replaced",
    [ST_TE_REJECTED] = "rejected",
    [ST_TE_PENDING_NEW] = "pending_new",
    [ST_TE_PENDING_CANCEL] = "pending_cancel",
    [ST_TE_PENDING_REPLACE] = "pending_replace",
    [ST_TE_CANCEL_REJECTED] = "order_cancel_rejected",
    [ST_TE_REPLACE_REJECTED] = "order_replace_rejected",
};

#define NEVENTS (sizeof(event_names) / sizeof(event_names[0]))

const char *st_trade_event_name(st_trade_event e) {
  if ((unsigned)e >= NEVENTS) {
    return "";
  }
  return event_names[e];
}

st_trade_event st_trade_event_parse(const char *name) {
  if (name == NULL) {
    return ST_TE_OTHER;
  }
  for (size_t i = 1; i < NEVENTS; i++) {
    if (strcmp(event_names[i], name) == 0) {
      return (st_trade_event)i;
    }
  }
  return ST_TE_OTHER;
}
