/* utf8.c - UTF-8 validation of decoded protobuf-c messages. */
#include "server/rpc/utf8.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

int st_utf8_valid(const char *str, size_t len) {
  const unsigned char *s = (const unsigned char *)str;
  size_t i = 0;

  while (i < len) {
    unsigned char c = s[i];
    uint32_t cp;
    size_t n;

    if (c < 0x80) {
      i++;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) {
      n = 1;
      cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      cp = c & 0x07;
    } else {
      return 0;
    }
    if (i + n >= len) {
      return 0;
    }
    for (size_t k = 1; k <= n; k++) {
      if ((s[i + k] & 0xc0) != 0x80) {
        return 0;
      }
      cp = (cp << 6) | (s[i + k] & 0x3f);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) {
      return 0;
    }
    i += n + 1;
  }
  return 1;
}

static void set_path(char *path, size_t cap, const char *prefix,
                     const char *name) {
  if (path == NULL || cap == 0) {
    return;
  }
  if (prefix[0] != '\0') {
    snprintf(path, cap, "%s.%s", prefix, name);
  } else {
    snprintf(path, cap, "%s", name);
  }
}

static int check(const ProtobufCMessage *msg, const char *prefix, char *path,
                 size_t cap);

static int check_value(const ProtobufCFieldDescriptor *f, const void *v,
                       const char *prefix, char *path, size_t cap) {
  char sub[256];

  if (f->type == PROTOBUF_C_TYPE_STRING) {
    const char *s = *(char *const *)v;

    if (s != NULL && !st_utf8_valid(s, strlen(s))) {
      set_path(path, cap, prefix, f->name);
      return 0;
    }
  } else if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
    const ProtobufCMessage *m = *(const ProtobufCMessage *const *)v;

    if (m != NULL) {
      set_path(sub, sizeof(sub), prefix, f->name);
      return check(m, sub, path, cap);
    }
  }
  return 1;
}

static int check(const ProtobufCMessage *msg, const char *prefix, char *path,
                 size_t cap) {
  const ProtobufCMessageDescriptor *d = msg->descriptor;

  for (unsigned i = 0; i < d->n_fields; i++) {
    const ProtobufCFieldDescriptor *f = &d->fields[i];
    const char *base = (const char *)msg;

    if (f->type != PROTOBUF_C_TYPE_STRING &&
        f->type != PROTOBUF_C_TYPE_MESSAGE) {
      continue;
    }
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
      size_t n = *(const size_t *)(base + f->quantifier_offset);
      const char *arr = *(const char *const *)(base + f->offset);

      for (size_t k = 0; k < n; k++) {
        if (!check_value(f, arr + k * sizeof(void *), prefix, path, cap)) {
          return 0;
        }
      }
      continue;
    }
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
      uint32_t which = *(const uint32_t *)(base + f->quantifier_offset);

      if (which != f->id) {
        continue;
      }
    }
    if (!check_value(f, base + f->offset, prefix, path, cap)) {
      return 0;
    }
  }
  return 1;
}

int st_utf8_check_message(const ProtobufCMessage *msg, char *path, size_t cap) {
  if (path != NULL && cap > 0) {
    path[0] = '\0';
  }
  return check(msg, "", path, cap);
}
