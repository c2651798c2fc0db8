/* emit.c - events: the envelope, the journal, publishing after commit. */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "server/exec/internal.h"
#include "server/util/alloc.h"
#include "server/util/clock.h"
#include "server/util/log.h"

/* A random (version 4) UUID string (37 bytes with the NUL). */
static void uuid4(char *out) {
  static atomic_ulong counter;
  unsigned char b[16];

  if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
    /* Not expected; stay unique within the process anyway. */
    uint64_t t = (uint64_t)st_mono_ns(), c = atomic_fetch_add(&counter, 1);

    memcpy(b, &t, 8);
    memcpy(b + 8, &c, 8);
  }
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  snprintf(out, 37,
           "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x"
           "%02x",
           b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10],
           b[11], b[12], b[13], b[14], b[15]);
}

/* Storage for the envelope strings of one event under construction. */
typedef struct envelope {
  char id[40];
  Google__Protobuf__Timestamp ts;
} envelope;

static __thread envelope env;

void st__event_init(st_engine *e, execution *x, Settled__V1__Event *ev,
                    const char *source, const char *causation) {
  int64_t now = st__now(e);

  settled__v1__event__init(ev);
  google__protobuf__timestamp__init(&env.ts);
  uuid4(env.id);
  env.ts.seconds = now / ST_NS_PER_SEC;
  env.ts.nanos = (int32_t)(now % ST_NS_PER_SEC);
  ev->event_id = env.id;
  ev->timestamp = &env.ts;
  ev->correlation_id = x->plan.correlation_id;
  ev->causation_id = (char *)(causation != NULL && causation[0] != '\0'
                                  ? causation
                                  : x->plan.causation_id);
  ev->source_module = (char *)source;
  ev->plan_id = x->plan.plan_id;
  ev->schema_version = "1.0.0";
}

void st__begin(st_engine *e) {
  if (st_journal_begin(e->o.journal) != ST_OK) {
    ST_ERROR("exec", "cannot begin a journal transaction");
  }
}

void st__commit(st_engine *e) {
  pending_ev *p, *next;

  if (st_journal_commit(e->o.journal) != ST_OK) {
    ST_ERROR("exec", "journal commit failed: events not published");
    st_journal_rollback(e->o.journal);
    for (p = e->pend_head; p != NULL; p = next) {
      next = p->next;
      settled__v1__event__free_unpacked(p->ev, &st_pbc_allocator);
      st_free(p->body);
      st_free(p);
    }
    e->pend_head = e->pend_tail = NULL;
    return;
  }
  /* Committed: publish in sequence order. */
  for (p = e->pend_head; p != NULL; p = next) {
    next = p->next;
    if (e->o.publish != NULL) {
      e->o.publish(e->o.publish_ud, p->ev, p->body, p->len);
    }
    settled__v1__event__free_unpacked(p->ev, &st_pbc_allocator);
    st_free(p->body);
    st_free(p);
  }
  e->pend_head = e->pend_tail = NULL;
}

void st__emit(st_engine *e, execution *x, Settled__V1__Event *ev,
              const char *step_key) {
  pending_ev *p;
  st_err err;

  err = st_journal_append(e->o.journal, ev, step_key);
  if (err == ST_EEXIST) {
    /* Emitted before a restart: never twice. */
    ST_DEBUG("exec", "%s: step %s already journaled (seq %llu)",
             x->plan.plan_id, step_key, (unsigned long long)ev->sequence);
    return;
  }
  if (err != ST_OK) {
    ST_ERROR("exec", "%s: cannot journal event %s: %s", x->plan.plan_id,
             step_key != NULL ? step_key : "", st_strerror(err));
    return;
  }
  x->last_seq = ev->sequence;
  p = st_calloc(1, sizeof(*p));
  if (p == NULL) {
    return;
  }
  p->len = protobuf_c_message_get_packed_size(&ev->base);
  p->body = st_malloc(p->len == 0 ? 1 : p->len);
  if (p->body == NULL) {
    st_free(p);
    return;
  }
  protobuf_c_message_pack(&ev->base, p->body);
  p->ev = settled__v1__event__unpack(&st_pbc_allocator, p->len, p->body);
  if (p->ev == NULL) {
    st_free(p->body);
    st_free(p);
    return;
  }
  if (e->pend_tail != NULL) {
    e->pend_tail->next = p;
  } else {
    e->pend_head = p;
  }
  e->pend_tail = p;
}
