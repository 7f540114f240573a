/*
 * kavro - typed records on the one serializer and deserializer.
 *
 * The typed serializer asks kavro_serializer_framing() how a type's
 * messages carry their schema id (a prefix to write before the body, or a
 * header to hand out with it), so that every serializer setting (subject
 * strategy, gate, auto-registration, use.latest.version, use.schema.id,
 * use.schema.guid, prefix or header) holds for typed records as for
 * generic values, and only writes the body itself.
 * The typed deserializer asks the deserializer for the writer schema and
 * the reader that applies, with every deserializer setting, and only
 * decodes: directly, or through its resolution program.  A schema with
 * data contract rules goes through a generic value, on both sides, only
 * when it has rules: the rules run over it and the record is written from
 * (or read from) its encoding.
 *
 * The serializer keeps a small table of what the first message of a kind
 * learned; later messages find it there (a handful of entries per
 * producer; the previous message's entry is tried first), so the warm path
 * makes no registry call, takes no lock and allocates nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "common_error_int.h"
#include "kavro/serializer.h"
#include "serde_serializer_int.h"
#include "typed_int.h"

/* ---- serializer ------------------------------------------------------------ */

typedef struct ser_entry_s {
  const kavro_typed_type_t *type;
  bool is_key;
  char *topic;
  /* From the serializer; its pointers live as long as the serializer. */
  kavro_serializer_framing_t framing;
  const void *rules; /* the serializer's entry when rules run on write */
  kv_serde_counters_t counters; /* the topic's, resolved once */
} ser_entry_t;

struct kavro_typed_serializer_s {
  kavro_serializer_t *serializer;
  ser_entry_t *entries;
  size_t count, capacity;
  /* The entry of the previous message (NULL: none yet), tried before the
   * table is scanned: a run of messages of one kind costs one comparison
   * each.  Points into @entries, which move only in ser_learn(), which
   * then resets it. */
  const ser_entry_t *last;
};

kavro_typed_serializer_t *kavro_typed_serializer_new(kavro_serializer_t *serializer,
                                                     kavro_error_t *error) {
  if (!serializer) {
    kv_error_set(error, KAVRO_ERR_INVALID_ARG, "a serializer is required");
    return NULL;
  }
  kavro_typed_serializer_t *ts = calloc(1, sizeof(*ts));
  if (!ts) {
    kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
    return NULL;
  }
  ts->serializer = serializer;
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

/* The first message of (@topic, @is_key, @type): the serializer prepares
 * the type's schema and says how its messages carry the id. */
static kavro_err_t ser_learn(kavro_typed_serializer_t *ts, const char *topic,
                             bool is_key, const kavro_typed_type_t *type,
                             const ser_entry_t **out, kavro_error_t *error) {
  kavro_serializer_framing_t framing;
  kavro_schema_t *schema = NULL;
  kavro_err_t err = parse_type(type, &schema, error);
  if (!err)
    err = kavro_serializer_framing(ts->serializer, topic, is_key, schema,
                                   &framing, error);
  const void *rules =
      err ? NULL
          : kv_serializer_rules_entry(ts->serializer, topic, is_key, schema);
  kavro_schema_destroy(schema); /* the serializer keeps its own */
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
  e->framing = framing;
  e->rules = rules;
  kv_serde_counters_init(&e->counters, KV_M_SERIALIZED, topic);
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

/* A failed message counted, out of the warm path's way. */
static KV_NOINLINE void ser_failed(const char *topic, kavro_err_t err,
                                   const kavro_error_t *error) {
  kv_serde_count_failure(KV_M_SERIALIZED, topic, err, error);
}

/* Frame @value into @out; a NULL @framing is a caller that cannot send a
 * header, refused (as the serializer refuses) when the id goes in one.
 * Inlined into its two callers: kavro_typed_serialize() is the warm path
 * the bench holds to the hand-written limit. */
static KV_ALWAYS_INLINE kavro_err_t
typed_frame(kavro_typed_serializer_t *ts, const char *topic, bool is_key,
            const kavro_typed_type_t *type, const void *value,
            kavro_buf_t *out, kavro_serializer_framing_t *framing,
            kavro_error_t *error) {
  if (!ts || !topic || !type || !out) {
    kv_framing_clear(framing);
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "serializer, topic, type and buffer are required");
  }
  out->length = 0;
  if (!value) {
    kv_framing_clear(framing);
    return KAVRO_OK; /* a tombstone */
  }
  const ser_entry_t *e = ts->last;
  if (!e || !ser_matches(e, topic, is_key, type)) {
    kavro_err_t err = ser_entry(ts, topic, is_key, type, &e, error);
    if (err != KAVRO_OK) {
      kv_framing_clear(framing);
      ser_failed(topic, err, error);
      return err;
    }
  }
  if (!framing && e->framing.header_name)
    return kv_serializer_header_refused(is_key, error);
  kavro_writer_t w;
  kv_writer_begin(&w, out, error);
  /* A prefix is KAVRO_WIRE_PREFIX_SIZE bytes or none: the constant size
   * lets the copy be a few moves instead of a memcpy() call. */
  kavro_err_t err = e->framing.prefix_size
                        ? kavro_w_raw(&w, e->framing.prefix,
                                      KAVRO_WIRE_PREFIX_SIZE)
                        : KAVRO_OK;
  if (!err)
    err = type->write(&w, value);
  err = kv_writer_end(&w, err);
  /* A schema with rules: they run over the record as a generic value. */
  if (err == KAVRO_OK && e->rules)
    err = kv_serializer_rules_apply(ts->serializer, e->rules, topic, out,
                                    e->framing.prefix_size, error);
  if (err == KAVRO_OK) {
    if (framing)
      *framing = e->framing;
    kv_serde_counted(&e->counters, out->length);
  } else {
    kv_framing_clear(framing);
    ser_failed(topic, err, error);
  }
  return err;
}

kavro_err_t kavro_typed_serialize(kavro_typed_serializer_t *ts,
                                  const char *topic, bool is_key,
                                  const kavro_typed_type_t *type,
                                  const void *value, kavro_buf_t *out,
                                  kavro_error_t *error) {
  return typed_frame(ts, topic, is_key, type, value, out, NULL, error);
}

kavro_err_t kavro_typed_serialize_message(kavro_typed_serializer_t *ts,
                                          const char *topic, bool is_key,
                                          const kavro_typed_type_t *type,
                                          const void *value, kavro_buf_t *out,
                                          kavro_serializer_framing_t *framing,
                                          kavro_error_t *error) {
  if (!framing)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "no framing given");
  return typed_frame(ts, topic, is_key, type, value, out, framing, error);
}

/* ---- deserializer ------------------------------------------------------------ */

struct kavro_typed_deserializer_s {
  kavro_deserializer_t *deserializer;
  kavro_typed_resolver_t *resolver;
};

kavro_deserializer_t *
kv_typed_deserializer_base(const kavro_typed_deserializer_t *td) {
  return td->deserializer;
}

kavro_typed_deserializer_t *kavro_typed_deserializer_new(
    kavro_deserializer_t *deserializer, kavro_error_t *error) {
  if (!deserializer) {
    kv_error_set(error, KAVRO_ERR_INVALID_ARG, "a deserializer is required");
    return NULL;
  }
  kavro_typed_deserializer_t *td = calloc(1, sizeof(*td));
  if (!td || !(td->resolver = kavro_typed_resolver_new(
                   kavro_deserializer_limits(deserializer)))) {
    free(td);
    kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
    return NULL;
  }
  td->deserializer = deserializer;
  return td;
}

void kavro_typed_deserializer_destroy(kavro_typed_deserializer_t *td) {
  if (!td)
    return;
  kavro_typed_resolver_destroy(td->resolver);
  free(td);
}

/* A reader schema set on the deserializer (or chosen by use.latest.version
 * or use.schema.id) is what the application reads as; a type is its own
 * reader, so the two must be one schema. */
static kavro_err_t check_reader(const kavro_schema_t *reader,
                                const kavro_typed_type_t *type,
                                kavro_error_t *error) {
  if (!reader || kavro_schema_rabin(reader) == type->rabin)
    return KAVRO_OK;
  return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                      "the deserializer reads these messages as %s, not as "
                      "the type %s: a typed record is read as its own schema",
                      kavro_schema_name(reader) ? kavro_schema_name(reader)
                                                : "another schema",
                      type->name);
}

kavro_err_t kavro_typed_deserialize(kavro_typed_deserializer_t *td,
                                    const char *topic, bool is_key,
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
  kavro_deserializer_frame_t f;
  kavro_err_t err = kv_deserializer_typed_frame(td->deserializer, topic,
                                                is_key, header_value,
                                                header_size, payload, size, &f,
                                                error);
  if (writer_id)
    *writer_id = f.writer_id;
  if (err == KAVRO_OK)
    err = check_reader(f.reader, type, error);
  /* Most messages have no reader of their own: no call to let it go. */
  if (f.reader)
    kavro_schema_destroy(f.reader);
  if (err != KAVRO_OK)
    return err;
  /* The deserializer owns the writer for as long as it lives. */
  return kavro_typed_decode_from(td->resolver, type,
                                 (kavro_schema_t *)f.writer, f.body,
                                 f.body_size, arena, value, error);
}
