/* pool.c - a fixed pool of worker threads with a FIFO of jobs. */
#include "server/util/pool.h"

#include <pthread.h>

#include "server/util/alloc.h"

typedef struct job {
  void (*fn)(void *ud);
  void *ud;
  struct job *next;
} job;

struct st_pool {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  job *head, *tail;
  int stop;
  int n;
  pthread_t threads[64];
};

static void *run(void *arg) {
  st_pool *p = arg;

  pthread_mutex_lock(&p->mu);
  for (;;) {
    job *j;

    while (p->head == NULL && !p->stop) {
      pthread_cond_wait(&p->cv, &p->mu);
    }
    j = p->head;
    if (j == NULL) {
      break; /* Stopping and drained. */
    }
    p->head = j->next;
    if (p->head == NULL) {
      p->tail = NULL;
    }
    pthread_mutex_unlock(&p->mu);
    j->fn(j->ud);
    st_free(j);
    pthread_mutex_lock(&p->mu);
  }
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

st_err st_pool_create(int n, st_pool **out) {
  st_pool *p;

  *out = NULL;
  if (n < 1 || n > 64) {
    return ST_EINVAL;
  }
  p = st_calloc(1, sizeof(*p));
  if (p == NULL) {
    return ST_ENOMEM;
  }
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->cv, NULL);
  for (int i = 0; i < n; i++) {
    if (pthread_create(&p->threads[i], NULL, run, p) != 0) {
      st_pool_free(p);
      return ST_EINTERNAL;
    }
    p->n++;
  }
  *out = p;
  return ST_OK;
}

st_err st_pool_submit(st_pool *p, void (*fn)(void *ud), void *ud) {
  job *j = st_malloc(sizeof(*j));

  if (j == NULL) {
    return ST_ENOMEM;
  }
  j->fn = fn;
  j->ud = ud;
  j->next = NULL;
  pthread_mutex_lock(&p->mu);
  if (p->stop) {
    pthread_mutex_unlock(&p->mu);
    st_free(j);
    return ST_ECANCELED;
  }
  if (p->tail != NULL) {
    p->tail->next = j;
  } else {
    p->head = j;
  }
  p->tail = j;
  pthread_cond_signal(&p->cv);
  pthread_mutex_unlock(&p->mu);
  return ST_OK;
}

void st_pool_free(st_pool *p) {
  if (p == NULL) {
    return;
  }
  pthread_mutex_lock(&p->mu);
  p->stop = 1;
  pthread_cond_broadcast(&p->cv);
  pthread_mutex_unlock(&p->mu);
  for (int i = 0; i < p->n; i++) {
    pthread_join(p->threads[i], NULL);
  }
  pthread_cond_destroy(&p->cv);
  pthread_mutex_destroy(&p->mu);
  st_free(p);
}
