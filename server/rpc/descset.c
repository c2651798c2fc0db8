/* descset.c - split and index the embedded FileDescriptorSet. */
#include "server/rpc/descset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "google/protobuf/descriptor.pb-c.h"
#include "server/util/alloc.h"

typedef struct sym {
  char *name;
  size_t file;
} sym;

struct st_descset {
  st_ds_file *files;
  size_t nfiles;
  sym *syms;
  size_t nsyms, capsyms;
  char **services;
  size_t nservices, capservices;
  st_ds_method *methods;
  size_t nmethods, capmethods;
};

/* Reads a base-128 varint at *p (below end); advances *p. */
static int read_varint(const uint8_t **p, const uint8_t *end, uint64_t *out) {
  uint64_t v = 0;
  int shift = 0;

  while (*p < end && shift < 64) {
    uint8_t b = *(*p)++;

    v |= (uint64_t)(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      *out = v;
      return 0;
    }
    shift += 7;
  }
  return -1;
}

static int grow(void **arr, size_t *cap, size_t need, size_t elem) {
  void *n;
  size_t c = *cap == 0 ? 16 : *cap;

  if (need <= *cap) {
    return 0;
  }
  while (c < need) {
    c *= 2;
  }
  n = st_realloc(*arr, c * elem);
  if (n == NULL) {
    return -1;
  }
  *arr = n;
  *cap = c;
  return 0;
}

/* Joins prefix and name with a dot (prefix may be empty). */
static char *join(const char *prefix, const char *name) {
  size_t a = strlen(prefix), b = strlen(name);
  char *s = st_malloc(a + b + 2);

  if (s == NULL) {
    return NULL;
  }
  if (a == 0) {
    memcpy(s, name, b + 1);
  } else {
    memcpy(s, prefix, a);
    s[a] = '.';
    memcpy(s + a + 1, name, b + 1);
  }
  return s;
}

static int add_sym_owned(st_descset *ds, char *name, size_t file) {
  if (name == NULL ||
      grow((void **)&ds->syms, &ds->capsyms, ds->nsyms + 1, sizeof(sym))) {
    st_free(name);
    return -1;
  }
  ds->syms[ds->nsyms].name = name;
  ds->syms[ds->nsyms].file = file;
  ds->nsyms++;
  return 0;
}

static int add_sym(st_descset *ds, const char *prefix, const char *name,
                   size_t file) {
  return add_sym_owned(ds, join(prefix, name), file);
}

static int index_enum(st_descset *ds, const char *scope,
                      const Google__Protobuf__EnumDescriptorProto *e,
                      size_t file) {
  if (add_sym(ds, scope, e->name, file)) {
    return -1;
  }
  /* Enum values live in the enum's enclosing scope. */
  for (size_t i = 0; i < e->n_value; i++) {
    if (add_sym(ds, scope, e->value[i]->name, file)) {
      return -1;
    }
  }
  return 0;
}

static int index_message(st_descset *ds, const char *scope,
                         const Google__Protobuf__DescriptorProto *m,
                         size_t file) {
  char *full = join(scope, m->name);
  int rc = -1;

  if (full == NULL || add_sym(ds, scope, m->name, file)) {
    goto out;
  }
  for (size_t i = 0; i < m->n_field; i++) {
    if (add_sym(ds, full, m->field[i]->name, file)) {
      goto out;
    }
  }
  for (size_t i = 0; i < m->n_extension; i++) {
    if (add_sym(ds, full, m->extension[i]->name, file)) {
      goto out;
    }
  }
  for (size_t i = 0; i < m->n_oneof_decl; i++) {
    if (add_sym(ds, full, m->oneof_decl[i]->name, file)) {
      goto out;
    }
  }
  for (size_t i = 0; i < m->n_enum_type; i++) {
    if (index_enum(ds, full, m->enum_type[i], file)) {
      goto out;
    }
  }
  for (size_t i = 0; i < m->n_nested_type; i++) {
    if (index_message(ds, full, m->nested_type[i], file)) {
      goto out;
    }
  }
  rc = 0;
out:
  st_free(full);
  return rc;
}

static char *strip_dot(const char *type) {
  return st_strdup(type[0] == '.' ? type + 1 : type);
}

static int index_service(st_descset *ds, const char *pkg,
                         const Google__Protobuf__ServiceDescriptorProto *s,
                         size_t file) {
  char *svc = join(pkg, s->name);

  if (svc == NULL || grow((void **)&ds->services, &ds->capservices,
                          ds->nservices + 1, sizeof(char *))) {
    st_free(svc);
    return -1;
  }
  ds->services[ds->nservices++] = svc;
  if (add_sym(ds, pkg, s->name, file)) {
    return -1;
  }
  for (size_t i = 0; i < s->n_method; i++) {
    const Google__Protobuf__MethodDescriptorProto *m = s->method[i];
    st_ds_method *dm;
    size_t plen;

    if (add_sym(ds, svc, m->name, file) ||
        grow((void **)&ds->methods, &ds->capmethods, ds->nmethods + 1,
             sizeof(st_ds_method))) {
      return -1;
    }
    dm = &ds->methods[ds->nmethods++];
    memset(dm, 0, sizeof(*dm));
    plen = strlen(svc) + strlen(m->name) + 3;
    dm->path = st_malloc(plen);
    dm->full_name = join(svc, m->name);
    dm->service = st_strdup(svc);
    dm->name = st_strdup(m->name);
    dm->input_type = strip_dot(m->input_type);
    dm->output_type = strip_dot(m->output_type);
    dm->client_streaming = m->has_client_streaming && m->client_streaming;
    dm->server_streaming = m->has_server_streaming && m->server_streaming;
    if (dm->path == NULL || dm->full_name == NULL || dm->service == NULL ||
        dm->name == NULL || dm->input_type == NULL || dm->output_type == NULL) {
      return -1;
    }
    snprintf(dm->path, plen, "/%s/%s", svc, m->name);
  }
  return 0;
}

static int index_file(st_descset *ds, size_t idx,
                      const Google__Protobuf__FileDescriptorProto *fdp) {
  const char *pkg = fdp->package != NULL ? fdp->package : "";

  for (size_t i = 0; i < fdp->n_message_type; i++) {
    if (index_message(ds, pkg, fdp->message_type[i], idx)) {
      return -1;
    }
  }
  for (size_t i = 0; i < fdp->n_enum_type; i++) {
    if (index_enum(ds, pkg, fdp->enum_type[i], idx)) {
      return -1;
    }
  }
  for (size_t i = 0; i < fdp->n_extension; i++) {
    if (add_sym(ds, pkg, fdp->extension[i]->name, idx)) {
      return -1;
    }
  }
  for (size_t i = 0; i < fdp->n_service; i++) {
    if (index_service(ds, pkg, fdp->service[i], idx)) {
      return -1;
    }
  }
  return 0;
}

static int sym_cmp(const void *a, const void *b) {
  return strcmp(((const sym *)a)->name, ((const sym *)b)->name);
}

/* Counts the files in the set and checks its framing. */
static st_err count_files(const uint8_t *p, const uint8_t *end, size_t *n,
                          st_errbuf *eb) {
  uint64_t tag, len;

  *n = 0;
  while (p < end) {
    if (read_varint(&p, end, &tag) || tag != 0x0a ||
        read_varint(&p, end, &len) || len > (uint64_t)(end - p)) {
      return st_errf(eb, ST_EPROTO, "not a FileDescriptorSet");
    }
    p += len;
    (*n)++;
  }
  return ST_OK;
}

st_err st_descset_load(const uint8_t *data, size_t len, st_descset **out,
                       st_errbuf *eb) {
  const uint8_t *p = data, *end = data + len;
  Google__Protobuf__FileDescriptorProto **fdps = NULL;
  st_descset *ds;
  st_err err;
  size_t n;

  *out = NULL;
  err = count_files(p, end, &n, eb);
  if (err != ST_OK) {
    return err;
  }
  ds = st_calloc(1, sizeof(*ds));
  fdps = st_calloc(n, sizeof(*fdps));
  if (ds == NULL || fdps == NULL ||
      (n > 0 && (ds->files = st_calloc(n, sizeof(st_ds_file))) == NULL)) {
    err = ST_ENOMEM;
    goto fail;
  }
  for (size_t i = 0; i < n; i++) {
    uint64_t tag = 0, flen = 0;
    st_ds_file *f = &ds->files[i];

    read_varint(&p, end, &tag);
    read_varint(&p, end, &flen);
    f->data = p;
    f->len = (size_t)flen;
    p += flen;
    ds->nfiles++;
    fdps[i] = google__protobuf__file_descriptor_proto__unpack(&st_pbc_allocator,
                                                              f->len, f->data);
    if (fdps[i] == NULL || fdps[i]->name == NULL) {
      err = st_errf(eb, ST_EPROTO, "file %zu of the set does not parse", i);
      goto fail;
    }
    f->name = st_strdup(fdps[i]->name);
    if (f->name == NULL || index_file(ds, i, fdps[i])) {
      err = ST_ENOMEM;
      goto fail;
    }
  }
  /* Dependencies point back into the set (they come first with
   * --include_imports). */
  for (size_t i = 0; i < n; i++) {
    st_ds_file *f = &ds->files[i];

    if (fdps[i]->n_dependency > 0) {
      f->deps = st_calloc(fdps[i]->n_dependency, sizeof(size_t));
      if (f->deps == NULL) {
        err = ST_ENOMEM;
        goto fail;
      }
    }
    for (size_t d = 0; d < fdps[i]->n_dependency; d++) {
      long j = st_descset_find_file(ds, fdps[i]->dependency[d]);

      if (j < 0) {
        err = st_errf(eb, ST_EPROTO, "%s imports %s, which is not in the set",
                      f->name, fdps[i]->dependency[d]);
        goto fail;
      }
      f->deps[f->ndeps++] = (size_t)j;
    }
  }
  if (ds->nsyms > 0) {
    qsort(ds->syms, ds->nsyms, sizeof(sym), sym_cmp);
  }
  for (size_t i = 0; i < n; i++) {
    google__protobuf__file_descriptor_proto__free_unpacked(fdps[i],
                                                           &st_pbc_allocator);
  }
  st_free(fdps);
  *out = ds;
  return ST_OK;
fail:
  for (size_t i = 0; fdps != NULL && i < n; i++) {
    if (fdps[i] != NULL) {
      google__protobuf__file_descriptor_proto__free_unpacked(fdps[i],
                                                             &st_pbc_allocator);
    }
  }
  st_free(fdps);
  st_descset_free(ds);
  return err;
}

void st_descset_free(st_descset *ds) {
  if (ds == NULL) {
    return;
  }
  for (size_t i = 0; i < ds->nfiles; i++) {
    st_free(ds->files[i].name);
    st_free(ds->files[i].deps);
  }
  st_free(ds->files);
  for (size_t i = 0; i < ds->nsyms; i++) {
    st_free(ds->syms[i].name);
  }
  st_free(ds->syms);
  for (size_t i = 0; i < ds->nservices; i++) {
    st_free(ds->services[i]);
  }
  st_free(ds->services);
  for (size_t i = 0; i < ds->nmethods; i++) {
    st_ds_method *m = &ds->methods[i];

    st_free(m->path);
    st_free(m->full_name);
    st_free(m->service);
    st_free(m->name);
    st_free(m->input_type);
    st_free(m->output_type);
  }
  st_free(ds->methods);
  st_free(ds);
}

size_t st_descset_nfiles(const st_descset *ds) {
  return ds->nfiles;
}

const st_ds_file *st_descset_file(const st_descset *ds, size_t i) {
  return i < ds->nfiles ? &ds->files[i] : NULL;
}

long st_descset_find_file(const st_descset *ds, const char *name) {
  for (size_t i = 0; i < ds->nfiles; i++) {
    if (ds->files[i].name != NULL && strcmp(ds->files[i].name, name) == 0) {
      return (long)i;
    }
  }
  return -1;
}

long st_descset_find_symbol(const st_descset *ds, const char *symbol) {
  sym key = {.name = (char *)symbol};
  const sym *hit;

  if (symbol[0] == '.') {
    key.name = (char *)symbol + 1;
  }
  if (ds->nsyms == 0) {
    return -1;
  }
  hit = bsearch(&key, ds->syms, ds->nsyms, sizeof(sym), sym_cmp);
  return hit != NULL ? (long)hit->file : -1;
}

size_t st_descset_closure(const st_descset *ds, size_t idx, size_t *order) {
  size_t n = 0;

  if (idx >= ds->nfiles) {
    return 0;
  }
  order[n++] = idx;
  /* Breadth-first over the dependency graph; order[] doubles as the queue
   * and the visited set (the graph is small). */
  for (size_t q = 0; q < n; q++) {
    const st_ds_file *f = &ds->files[order[q]];

    for (size_t d = 0; d < f->ndeps; d++) {
      size_t j = f->deps[d], k;

      for (k = 0; k < n && order[k] != j; k++) {
      }
      if (k == n) {
        order[n++] = j;
      }
    }
  }
  return n;
}

size_t st_descset_nservices(const st_descset *ds) {
  return ds->nservices;
}

const char *st_descset_service(const st_descset *ds, size_t i) {
  return i < ds->nservices ? ds->services[i] : NULL;
}

size_t st_descset_nmethods(const st_descset *ds) {
  return ds->nmethods;
}

const st_ds_method *st_descset_method(const st_descset *ds, size_t i) {
  return i < ds->nmethods ? &ds->methods[i] : NULL;
}

const st_ds_method *st_descset_find_method(const st_descset *ds,
                                           const char *path) {
  for (size_t i = 0; i < ds->nmethods; i++) {
    if (strcmp(ds->methods[i].path, path) == 0) {
      return &ds->methods[i];
    }
  }
  return NULL;
}
