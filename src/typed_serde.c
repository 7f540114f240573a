/*
 * kavro - typed records and the registry: the typed serializer (frame a
 * struct through the generic serializer's subject strategy, gate and
 * registration) and deserializer (writer schema by id, then the type's
 * decoder or a resolution program).
 *
 * Both keep a small table of what the first message of a kind learned;
 * later messages find it there (a handful of entries per producer or
 * consumer; the serializer tries the previous message's entry first),
 * so the warm path makes no registry call, takes no lock and allocates
 * nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "error_int.h"
#include "kavro/registry.h"
#include "kavro/serializer.h"
#include "typed_int.h"

/* ---- serializer ------------------------------------------------------------ */

typedef struct ser_entry_s {
  const kavro_typed_type_t *type;
  bool is_key;
  char *topic;
  unsigned char header[5];   /* magic byte and big-endian id */
} ser_entry_t;

struct kavro_typed_serializer_s {
  kavro_serializer_t *serializer;
  kavro_registry_t *registry;
  ser_entry_t *entries;
  size_t count, capacity;
  /* The entry of the previous message (NULL: none yet), tried before the
   * table is scanned: a run of messages of one kind costs one comparison
   * each.  Points into @entries, which move only in ser_learn(), which
   * then resets it. */
  const ser_entry_t *last;
};

kavro_typed_serializer_t *kavro_typed_serializer_new(kavro_serializer_t *serializer,
                                                     kavro_registry_t *registry,
                                                     kavro_error_t *error) {
  if (!serializer || !registry) {
    kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                 "a serializer and its registry are required");
    return NULL;
  }
  kavro_typed_serializer_t *ts = calloc(1, sizeof(*ts));
  if (!ts) {
    kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
    return NULL;
  }
  ts->serializer = serializer;
  ts->registry = registry;
  return ts;
}

void kavro_typed_serializer_destroy(kavro_typed_serializer_t *ts) {
  if (!ts)
    return;
  for (size_t i = 0; i < ts->count; i++)
    free(ts->entries[i].topic);
  free(ts->entries);
  free(ts);
}

static inline bool ser_matches(const ser_entry_t *e, const char *topic,
                               bool is_key, const kavro_typed_type_t *type) {
  return e->type == type && e->is_key == is_key && strcmp(e->topic, topic) == 0;
}

static const ser_entry_t *ser_find(const kavro_typed_serializer_t *ts,
                                   const char *topic, bool is_key,
                                   const kavro_typed_type_t *type) {
  for (size_t i = 0; i < ts->count; i++)
    if (ser_matches(&ts->entries[i], topic, is_key, type))
      return &ts->entries[i];
  return NULL;
}

static kavro_err_t parse_type(const kavro_typed_type_t *type,
                              kavro_schema_t **out, kavro_error_t *error) {
  kavro_parse_options_t options;
  kavro_parse_options_init(&options);
  options.source = type->name;
  return kavro_schema_parse(type->schema_text, strlen(type->schema_text),
                            &options, out, error);
}

/* The first message of (@topic, @is_key, @type): prepare the schema with
 * the serializer, check that the id it gives names the type's schema. */
static kavro_err_t ser_learn(kavro_typed_serializer_t *ts, const char *topic,
                             bool is_key, const kavro_typed_type_t *type,
                             const ser_entry_t **out, kavro_error_t *error) {
  kavro_schema_t *schema = NULL, *named = NULL;
  int id = 0;
  kavro_err_t err = parse_type(type, &schema, error);
  if (!err)
    err = kavro_serializer_prepare(ts->serializer, topic, is_key, schema, &id,
                                   error);
  if (!err)
    err = kavro_registry_schema_by_id(ts->registry, id, NULL, &named, error);
  if (!err && kavro_schema_rabin(named) != type->rabin)
    err = kv_error_set(error, KAVRO_ERR_ENCODE,
                       "schema id %d, which the serializer gives %s, names "
                       "another schema: the type's data cannot be framed "
                       "with it",
                       id, type->name);
  kavro_schema_destroy(named);
  kavro_schema_destroy(schema);
  if (err)
    return err;
  if (ts->count == ts->capacity) {
    size_t cap = ts->capacity ? 2 * ts->capacity : 8;
    ser_entry_t *e = realloc(ts->entries, cap * sizeof(*e));
    if (!e)
      return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
    ts->entries = e;
    ts->capacity = cap;
  }
  ts->last = NULL;   /* the table may have moved */
  ser_entry_t *e = &ts->entries[ts->count];
  if (!(e->topic = strdup(topic)))
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  e->type = type;
  e->is_key = is_key;
  e->header[0] = 0;
  for (int i = 0; i < 4; i++)
    e->header[1 + i] = (unsigned char)((uint32_t)id >> (24 - 8 * i));
  ts->count++;
  *out = e;
  return KAVRO_OK;
}

/* The entry of (@topic, @is_key, @type) when it is not the previous
 * message's: from the table, else learned.  Out of line, so that the warm
 * path keeps its registers. */
static KV_NOINLINE kavro_err_t ser_entry(kavro_typed_serializer_t *ts,
                                         const char *topic, bool is_key,
                                         const kavro_typed_type_t *type,
                                         const ser_entry_t **out,
                                         kavro_error_t *error) {
  const ser_entry_t *e = ser_find(ts, topic, is_key, type);
  if (!e)
    KAVRO_TRY(ser_learn(ts, topic, is_key, type, &e, error));
  ts->last = *out = e;
  return KAVRO_OK;
}

kavro_err_t kavro_typed_serialize(kavro_typed_serializer_t *ts,
                                  const char *topic, bool is_key,
                                  const kavro_typed_type_t *type,
                                  const void *value, kavro_buf_t *out,
                                  kavro_error_t *error) {
  if (!ts || !topic || !type || !out)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "serializer, topic, type and buffer are required");
  out->length = 0;
  if (!value)
    return KAVRO_OK;
  const ser_entry_t *e = ts->last;
  if (!e || !ser_matches(e, topic, is_key, type))
    KAVRO_TRY(ser_entry(ts, topic, is_key, type, &e, error));
  kavro_writer_t w;
  kv_writer_begin(&w, out, error);
  kavro_err_t err = kavro_w_raw(&w, e->header, sizeof(e->header));
  if (!err)
    err = type->write(&w, value);
  return kv_writer_end(&w, err);
}

/* ---- deserializer ------------------------------------------------------------ */

typedef struct de_entry_s {
  uint32_t id;
  kavro_schema_t *writer;
} de_entry_t;

struct kavro_typed_deserializer_s {
  kavro_registry_t *registry;
  kavro_typed_resolver_t *resolver;
  de_entry_t *entries;
  size_t count, capacity;
};

kavro_typed_deserializer_t *kavro_typed_deserializer_new(kavro_registry_t *registry,
                                                         const kavro_decode_limits_t *limits,
                                                         kavro_error_t *error) {
  if (!registry) {
    kv_error_set(error, KAVRO_ERR_INVALID_ARG, "a registry is required");
    return NULL;
  }
  kavro_typed_deserializer_t *td = calloc(1, sizeof(*td));
  if (!td || !(td->resolver = kavro_typed_resolver_new(limits))) {
    free(td);
    kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
    return NULL;
  }
  td->registry = registry;
  return td;
}

void kavro_typed_deserializer_destroy(kavro_typed_deserializer_t *td) {
  if (!td)
    return;
  for (size_t i = 0; i < td->count; i++)
    kavro_schema_destroy(td->entries[i].writer);
  free(td->entries);
  kavro_typed_resolver_destroy(td->resolver);
  free(td);
}

/* The writer schema of @id: from the table, else from the registry. */
static kavro_err_t writer_schema(kavro_typed_deserializer_t *td, uint32_t id,
                                 kavro_schema_t **out, kavro_error_t *error) {
  for (size_t i = 0; i < td->count; i++)
    if (td->entries[i].id == id) {
      *out = td->entries[i].writer;
      return KAVRO_OK;
    }
  if (id > INT32_MAX)
    return kv_error_set(error, KAVRO_ERR_SCHEMA_NOT_FOUND,
                        "schema id %u is out of the registry's range", id);
  if (td->count == td->capacity) {
    size_t cap = td->capacity ? 2 * td->capacity : 8;
    de_entry_t *e = realloc(td->entries, cap * sizeof(*e));
    if (!e)
      return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
    td->entries = e;
    td->capacity = cap;
  }
  kavro_schema_t *writer = NULL;
  KAVRO_TRY(kavro_registry_schema_by_id(td->registry, (int)id, NULL, &writer,
                                        error));
  td->entries[td->count++] = (de_entry_t){id, writer};
  *out = writer;
  return KAVRO_OK;
}

kavro_err_t kavro_typed_deserialize(kavro_typed_deserializer_t *td,
                                    const kavro_typed_type_t *type,
                                    const void *header_value,
                                    size_t header_size, const void *payload,
                                    size_t size, kavro_arena_t *arena,
                                    void *value, kavro_schema_id_t *writer_id,
                                    kavro_error_t *error) {
  if (writer_id)
    memset(writer_id, 0, sizeof(*writer_id));
  if (!td || !type || !arena || !value)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "deserializer, type, arena and value are required");
  if (!payload) {
    type->init(value);
    return KAVRO_OK;
  }
  kavro_wire_frame_t frame;
  /* Without an error to clear first; again with it only on failure. */
  if (kavro_wire_unframe_dual(header_value, header_size, payload, size, &frame,
                              NULL) != KAVRO_OK)
    return kavro_wire_unframe_dual(header_value, header_size, payload, size,
                                   &frame, error);
  if (writer_id)
    *writer_id = frame.id;
  if (frame.id.kind != KAVRO_SCHEMA_ID_INT)
    return kv_error_set(error, KAVRO_ERR_SCHEMA_NOT_FOUND,
                        "a GUID schema id cannot be looked up by id");
  kavro_schema_t *writer = NULL;
  KAVRO_TRY(writer_schema(td, frame.id.id, &writer, error));
  return kavro_typed_decode_from(td->resolver, type, writer, frame.body,
                                 frame.body_size, arena, value, error);
}
