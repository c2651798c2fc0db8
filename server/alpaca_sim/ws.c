/* ws.c - WebSocket sessions: write queue, framing and reassembly. */
#include "server/alpaca_sim/ws.h"

#include <string.h>
#include <sys/socket.h>

#include "server/alpaca_sim/json.h"
#include "server/alpaca_sim/mpack.h"
#include "server/util/alloc.h"
#include "server/util/log.h"

/* One queued outgoing message; data has LWS_PRE bytes of headroom. */
struct st_asim_wsmsg {
  st_asim_wsmsg *next;
  size_t len;
  int binary;
  unsigned char data[];
};

st_asim_ws *st_asim_ws_new(st_asim *a, struct lws *wsi, st_asim_ws_kind kind) {
  st_asim_ws *ws = st_calloc(1, sizeof(*ws));

  if (ws == NULL) {
    return NULL;
  }
  ws->wsi = wsi;
  ws->kind = kind;
  ws->next = a->ws_head;
  if (a->ws_head != NULL) {
    a->ws_head->prev = ws;
  }
  a->ws_head = ws;
  return ws;
}

void st_asim_ws_free(st_asim *a, st_asim_ws *ws) {
  st_asim_wsmsg *m, *next;

  if (ws == NULL) {
    return;
  }
  if (ws->prev != NULL) {
    ws->prev->next = ws->next;
  } else if (a->ws_head == ws) {
    a->ws_head = ws->next;
  }
  if (ws->next != NULL) {
    ws->next->prev = ws->prev;
  }
  for (m = ws->qhead; m != NULL; m = next) {
    next = m->next;
    st_free(m);
  }
  st_asim_subs_free(&ws->subs);
  st_asim_buf_free(&ws->rx);
  st_free(ws);
}

st_err st_asim_ws_send(st_asim_ws *ws, const cJSON *msg) {
  st_asim_buf out = {0};
  st_asim_wsmsg *m;
  char *text = NULL;
  const void *p;
  size_t n;
  int binary;

  if (ws->dead || ws->closing) {
    return ST_OK;
  }
  if (ws->qlen >= ST_ASIM_WS_MAX_QUEUE) {
    ST_WARN("asim", "stream client too slow: %zu messages queued; dropping",
            ws->qlen);
    st_asim_ws_drop(ws);
    return ST_EOVERFLOW;
  }
  if (ws->msgpack) {
    if (st_asim_mpack_encode(msg, &out) != ST_OK) {
      st_asim_buf_free(&out);
      return ST_ENOMEM;
    }
    p = out.data;
    n = out.len;
    binary = 1;
  } else {
    text = st_asim_json_print(msg);
    if (text == NULL) {
      return ST_ENOMEM;
    }
    p = text;
    n = strlen(text);
    binary = ws->kind == ST_ASIM_WS_TRADES;
  }
  m = st_malloc(sizeof(*m) + LWS_PRE + n);
  if (m == NULL) {
    st_asim_buf_free(&out);
    st_free(text);
    return ST_ENOMEM;
  }
  m->next = NULL;
  m->len = n;
  m->binary = binary;
  memcpy(m->data + LWS_PRE, p, n);
  st_asim_buf_free(&out);
  st_free(text);
  if (ws->qtail != NULL) {
    ws->qtail->next = m;
  } else {
    ws->qhead = m;
  }
  ws->qtail = m;
  ws->qlen++;
  lws_callback_on_writable(ws->wsi);
  return ST_OK;
}

void st_asim_ws_close_after(st_asim_ws *ws) {
  ws->closing = 1;
  lws_callback_on_writable(ws->wsi);
}

void st_asim_ws_drop(st_asim_ws *ws) {
  int fd = lws_get_socket_fd(ws->wsi);

  ws->dead = 1;
  if (fd >= 0) {
    shutdown(fd, SHUT_RDWR);
  }
  lws_callback_on_writable(ws->wsi);
}

int st_asim_ws_rx(st_asim_ws *ws, const void *in, size_t len, int binary,
                  int final) {
  if (ws->rx.len == 0) {
    ws->rx_binary = binary;
  }
  if (ws->rx.len + len > ST_ASIM_WS_MAX_MSG ||
      st_asim_buf_append(&ws->rx, in, len) != ST_OK) {
    return -1;
  }
  return final ? 1 : 0;
}

void st_asim_ws_take(st_asim_ws *ws, cJSON **out) {
  *out = NULL;
  if (ws->rx.len > 0) {
    if (ws->rx_binary && ws->msgpack) {
      (void)st_asim_mpack_decode(ws->rx.data, ws->rx.len, out);
    } else {
      *out = cJSON_ParseWithLength(ws->rx.data, ws->rx.len);
      if (*out == NULL && ws->rx_binary) {
        (void)st_asim_mpack_decode(ws->rx.data, ws->rx.len, out);
      }
    }
  }
  st_asim_buf_reset(&ws->rx);
}

int st_asim_ws_writable(st_asim_ws *ws) {
  st_asim_wsmsg *m = ws->qhead;

  if (ws->dead) {
    return -1;
  }
  if (m != NULL) {
    int n = lws_write(ws->wsi, m->data + LWS_PRE, m->len,
                      m->binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);

    ws->qhead = m->next;
    if (ws->qhead == NULL) {
      ws->qtail = NULL;
    }
    ws->qlen--;
    if (n < (int)m->len) {
      st_free(m);
      return -1;
    }
    st_free(m);
  }
  if (ws->qhead != NULL) {
    lws_callback_on_writable(ws->wsi);
    return 0;
  }
  if (ws->closing) {
    lws_close_reason(ws->wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
    return -1;
  }
  return 0;
}
