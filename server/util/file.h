/* file.h - writing a small file atomically. */
#ifndef ST_UTIL_FILE_H
#define ST_UTIL_FILE_H

#include <stddef.h>

#include "server/util/err.h"

/* Writes len bytes of data to path through a temporary file in the same
 * directory and a rename, so readers see the old file or the new one,
 * never a part. ST_EIO with the reason in eb (may be NULL). */
st_err st_write_file_atomic(const char *path, const void *data, size_t len,
                            st_errbuf *eb);

#endif
