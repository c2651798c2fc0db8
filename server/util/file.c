/* file.c - writing a small file atomically. */
#include "server/util/file.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

st_err st_write_file_atomic(const char *path, const void *data, size_t len,
                            st_errbuf *eb) {
  char tmp[1100];
  FILE *f;

  snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
  f = fopen(tmp, "w");
  if (f == NULL) {
    return st_errf(eb, ST_EIO, "cannot write %s: %s", tmp, strerror(errno));
  }
  if (fwrite(data, 1, len, f) != len || fclose(f) != 0 ||
      rename(tmp, path) != 0) {
    int e = errno;

    unlink(tmp);
    return st_errf(eb, ST_EIO, "cannot write %s: %s", path, strerror(e));
  }
  return ST_OK;
}
