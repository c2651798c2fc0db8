/* buf.h - a growable byte buffer for request bodies, frames and output.
 *
 * Plain value type owning one heap block (st_malloc); always kept
 * NUL-terminated so text can be read in place. Not thread-safe.
 */
#ifndef ST_ASIM_BUF_H
#define ST_ASIM_BUF_H

#include <stddef.h>

#include "server/util/err.h"

typedef struct st_asim_buf {
  char *data; /* NULL until the first append; owned by the buffer. */
  size_t len; /* Bytes used, not counting the trailing NUL. */
  size_t cap; /* Bytes allocated. */
} st_asim_buf;

/* Appends n bytes of p to b, growing it. ST_ENOMEM (b is unchanged). */
st_err st_asim_buf_append(st_asim_buf *b, const void *p, size_t n);

/* Appends the NUL-terminated string s. ST_ENOMEM. */
st_err st_asim_buf_puts(st_asim_buf *b, const char *s);

/* Empties b, keeping its memory. */
void st_asim_buf_reset(st_asim_buf *b);

/* Frees b's memory and zeroes it (safe on a zeroed buffer). */
void st_asim_buf_free(st_asim_buf *b);

/* Moves b's block out: returns it (the caller frees it with st_free; NULL
 * when b is empty and never allocated) and leaves b zeroed. */
char *st_asim_buf_take(st_asim_buf *b);

#endif
