/* mpack.c - cJSON <-> msgpack for the market-data stream. */
#include "server/alpaca_sim/mpack.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <msgpack.h>

#include "server/alpaca_sim/timefmt.h"

#define NS_PER_SEC 1000000000LL

/* msgpack_packer's write callback: appends to an st_asim_buf. */
static int buf_write(void *data, const char *p, size_t n) {
  return st_asim_buf_append(data, p, n) == ST_OK ? 0 : -1;
}

/* True for the keys whose numbers are prices (always float64). */
static int is_price_key(const char *k) {
  static const char *const keys[] = {"ap", "bp", "p", "o", "h", "l", "c", "vw"};

  if (k == NULL) {
    return 0;
  }
  for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
    if (strcmp(k, keys[i]) == 0) {
      return 1;
    }
  }
  return 0;
}

static int pack_str(msgpack_packer *pk, const char *s) {
  size_t n = strlen(s);

  return msgpack_pack_str(pk, n) || msgpack_pack_str_body(pk, s, n);
}

/* Packs j; key is the map key j sits under (NULL in arrays). */
static int pack(msgpack_packer *pk, const cJSON *j, const char *key) {
  const cJSON *c;
  int64_t ns;
  size_t n = 0;

  if (cJSON_IsObject(j)) {
    cJSON_ArrayForEach(c, j) {
      n++;
    }
    if (msgpack_pack_map(pk, n)) {
      return -1;
    }
    cJSON_ArrayForEach(c, j) {
      if (pack_str(pk, c->string) || pack(pk, c, c->string)) {
        return -1;
      }
    }
    return 0;
  }
  if (cJSON_IsArray(j)) {
    if (msgpack_pack_array(pk, (size_t)cJSON_GetArraySize(j))) {
      return -1;
    }
    cJSON_ArrayForEach(c, j) {
      if (pack(pk, c, NULL)) {
        return -1;
      }
    }
    return 0;
  }
  if (cJSON_IsString(j)) {
    if (key != NULL && strcmp(key, "t") == 0 &&
        st_asim_time_parse(j->valuestring, &ns) == ST_OK) {
      msgpack_timestamp ts;

      ts.tv_sec = ns / NS_PER_SEC;
      ts.tv_nsec = (uint32_t)(ns % NS_PER_SEC);
      return msgpack_pack_timestamp(pk, &ts);
    }
    return pack_str(pk, j->valuestring);
  }
  if (cJSON_IsNumber(j)) {
    double d = j->valuedouble;

    if (is_price_key(key) || d != floor(d) || fabs(d) > 9e15) {
      return msgpack_pack_double(pk, d);
    }
    return msgpack_pack_int64(pk, (int64_t)d);
  }
  if (cJSON_IsTrue(j)) {
    return msgpack_pack_true(pk);
  }
  if (cJSON_IsFalse(j)) {
    return msgpack_pack_false(pk);
  }
  return msgpack_pack_nil(pk);
}

st_err st_asim_mpack_encode(const cJSON *j, st_asim_buf *out) {
  msgpack_packer pk;

  msgpack_packer_init(&pk, out, buf_write);
  return pack(&pk, j, NULL) == 0 ? ST_OK : ST_ENOMEM;
}

/* Converts one msgpack object into a new cJSON value (NULL on failure). */
static cJSON *to_json(const msgpack_object *o) {
  cJSON *j = NULL;
  char tmp[ST_ASIM_TIME_LEN];

  switch (o->type) {
    case MSGPACK_OBJECT_NIL:
      return cJSON_CreateNull();
    case MSGPACK_OBJECT_BOOLEAN:
      return cJSON_CreateBool(o->via.boolean);
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
      return cJSON_CreateNumber((double)o->via.u64);
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
      return cJSON_CreateNumber((double)o->via.i64);
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
      return cJSON_CreateNumber(o->via.f64);
    case MSGPACK_OBJECT_STR:
    case MSGPACK_OBJECT_BIN: {
      const char *p =
          o->type == MSGPACK_OBJECT_STR ? o->via.str.ptr : o->via.bin.ptr;
      uint32_t n =
          o->type == MSGPACK_OBJECT_STR ? o->via.str.size : o->via.bin.size;
      cJSON *s = cJSON_CreateString("");
      char *copy;

      if (s == NULL) {
        return NULL;
      }
      copy = cJSON_malloc(n + 1);
      if (copy == NULL) {
        cJSON_Delete(s);
        return NULL;
      }
      memcpy(copy, p, n);
      copy[n] = '\0';
      cJSON_free(s->valuestring);
      s->valuestring = copy;
      return s;
    }
    case MSGPACK_OBJECT_ARRAY:
      j = cJSON_CreateArray();
      for (uint32_t i = 0; j != NULL && i < o->via.array.size; i++) {
        cJSON *c = to_json(&o->via.array.ptr[i]);

        if (c == NULL || !cJSON_AddItemToArray(j, c)) {
          cJSON_Delete(c);
          cJSON_Delete(j);
          return NULL;
        }
      }
      return j;
    case MSGPACK_OBJECT_MAP:
      j = cJSON_CreateObject();
      for (uint32_t i = 0; j != NULL && i < o->via.map.size; i++) {
        const msgpack_object_kv *kv = &o->via.map.ptr[i];
        char key[128];
        cJSON *c;

        if (kv->key.type != MSGPACK_OBJECT_STR ||
            kv->key.via.str.size >= sizeof(key)) {
          cJSON_Delete(j);
          return NULL;
        }
        memcpy(key, kv->key.via.str.ptr, kv->key.via.str.size);
        key[kv->key.via.str.size] = '\0';
        c = to_json(&kv->val);
        if (c == NULL || !cJSON_AddItemToObject(j, key, c)) {
          cJSON_Delete(c);
          cJSON_Delete(j);
          return NULL;
        }
      }
      return j;
    case MSGPACK_OBJECT_EXT: {
      msgpack_timestamp ts;

      if (msgpack_object_to_timestamp(o, &ts)) {
        return cJSON_CreateString(
            st_asim_time_format(ts.tv_sec * NS_PER_SEC + ts.tv_nsec, 0, tmp));
      }
      return cJSON_CreateNull();
    }
  }
  return NULL;
}

st_err st_asim_mpack_decode(const char *data, size_t len, cJSON **out) {
  msgpack_unpacked u;
  size_t off = 0;
  st_err err = ST_EPROTO;

  *out = NULL;
  msgpack_unpacked_init(&u);
  if (msgpack_unpack_next(&u, data, len, &off) == MSGPACK_UNPACK_SUCCESS) {
    *out = to_json(&u.data);
    err = *out != NULL ? ST_OK : ST_EPROTO;
  }
  msgpack_unpacked_destroy(&u);
  return err;
}
