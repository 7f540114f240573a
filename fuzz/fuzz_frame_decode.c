/*
 * libFuzzer harness: whole messages through the deserializer.
 *
 * A mock registry in the process (mock://fuzz_frame_decode) holds a few
 * schemas; three deserializers read from it: one with the writer schema,
 * one with a fixed reader schema (resolution), one with the subject's
 * latest version (`use.latest.version`).  The first byte of the input says
 * which, key or value, whether the rest is one message or a stream of
 * prefix frames, and how many of the following bytes are the schema-id
 * header's value; the rest is the payload.
 *
 * Nothing may crash or leak.  A refusal must be permanent (a dead-letter
 * queue takes only those: the registry here never fails, so any other
 * class means a bad message was taken for a registry or local problem).
 * A message that decodes encodes again and prints as JSON; with the
 * writer schema, the re-encoded body framed again decodes to the same
 * encoding.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <avro.h>
#include <kavro.h>
#include <kavro/mock.h>

#define SCOPE "fuzz_frame_decode"
#define TOPIC "orders"
/* Frames read from one input in stream mode, at most. */
#define MAX_STREAM_FRAMES 8

#define ORDER_HEAD                                                             \
  "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"com.acme\","       \
  "\"fields\":[{\"name\":\"id\",\"type\":\"long\"},"                          \
  "{\"name\":\"note\",\"type\":\"string\"}"

/* Registered in this order, so that their ids are 1, 2, 3 in a fresh
 * mock: two versions of TOPIC's value subject, and a key schema. */
static const struct {
  const char *subject;
  const char *text;
} registered[] = {
    {TOPIC "-value", ORDER_HEAD "]}"},
    {TOPIC "-value",
     ORDER_HEAD ",{\"name\":\"qty\",\"type\":\"int\",\"default\":1},"
                "{\"name\":\"tags\",\"type\":{\"type\":\"array\",\"items\":"
                "\"string\"},\"default\":[\"new\"]},"
                "{\"name\":\"why\",\"type\":[\"null\",\"string\"],"
                "\"default\":null}]}"},
    {TOPIC "-key",
     "[\"null\",\"string\",{\"type\":\"record\",\"name\":\"com.acme.Key\","
     "\"fields\":[{\"name\":\"kind\",\"type\":{\"type\":\"enum\",\"name\":"
     "\"Kind\",\"symbols\":[\"A\",\"B\",\"C\"]}},{\"name\":\"at\",\"type\":"
     "{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}},"
     "{\"name\":\"blob\",\"type\":{\"type\":\"fixed\",\"name\":\"Blob\","
     "\"size\":8}},{\"name\":\"attrs\",\"type\":{\"type\":\"map\",\"values\":"
     "\"bytes\"}},{\"name\":\"next\",\"type\":[\"null\",\"Key\"]}]}]"},
};

#define REGISTERED_COUNT (sizeof(registered) / sizeof(registered[0]))

/* The fixed reader: promotes id and note, skips tags, adds a field. */
static const char reader_text[] =
    "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"com.acme\","
    "\"fields\":[{\"name\":\"why\",\"type\":[\"null\",\"string\"],"
    "\"default\":null},{\"name\":\"id\",\"type\":\"double\"},"
    "{\"name\":\"note\",\"type\":\"bytes\"},"
    "{\"name\":\"qty\",\"type\":\"long\",\"default\":1},"
    "{\"name\":\"extra\",\"type\":{\"type\":\"map\",\"values\":\"int\"},"
    "\"default\":{}}]}";

enum { WITH_WRITER, WITH_READER, WITH_LATEST, DESERIALIZER_COUNT };

/*
 * avro-c's generic values pack their parts without alignment (a union's
 * branch follows its 4-byte discriminant), so a string held by a value
 * that lives across runs, as the deserializers' values do, is referenced
 * from an unaligned address only.  LeakSanitizer does not look there by
 * default and calls the string leaked at libFuzzer's check between runs;
 * it is freed with its value.  Make it scan unaligned words too.
 */
const char *__lsan_default_options(void);
const char *__lsan_default_options(void) { return "use_unaligned=1"; }

static kavro_mock_t *mock;
static kavro_registry_t *registry;
static kavro_schema_t *reader;
static kavro_deserializer_t *deserializers[DESERIALIZER_COUNT];
static kavro_buf_t *first, *second, *reframed;

static kavro_schema_t *parse(const char *text) {
  kavro_schema_t *schema = NULL;
  if (kavro_schema_parse(text, strlen(text), NULL, &schema, NULL))
    abort();
  return schema;
}

static void seed_registry(void) {
  for (size_t i = 0; i < REGISTERED_COUNT; i++) {
    kavro_schema_t *schema = parse(registered[i].text);
    int id;
    if (kavro_registry_register(registry, registered[i].subject, schema, NULL,
                                0, false, &id, NULL) ||
        id != (int)i + 1)
      abort();
    kavro_schema_destroy(schema);
  }
}

static kavro_deserializer_t *deserializer(const kavro_conf_t *conf) {
  /* Tight limits, so that a hostile body is refused before it costs. */
  kavro_decode_limits_t limits;
  kavro_decode_limits_init(&limits);
  limits.max_depth = 32;
  limits.max_collection = 4096;
  limits.max_elements = 65536;
  kavro_deserializer_t *d = kavro_deserializer_new(registry, conf, &limits,
                                                   NULL);
  if (!d)
    abort();
  return d;
}

/* Freed at exit, so that a leak checker sees only what a run leaked. */
static void unload(void) {
  for (size_t i = 0; i < DESERIALIZER_COUNT; i++)
    kavro_deserializer_destroy(deserializers[i]);
  kavro_schema_destroy(reader);
  kavro_registry_destroy(registry);
  kavro_mock_destroy(mock);
  kavro_buf_destroy(first);
  kavro_buf_destroy(second);
  kavro_buf_destroy(reframed);
}

/* Built once, for the life of the process. */
static void load(void) {
  kavro_conf_t *conf = kavro_conf_new();
  if (kavro_mock_new(SCOPE, &mock, NULL) || !conf ||
      kavro_conf_set(conf, "schema.registry.url", "mock://" SCOPE, NULL) ||
      kavro_conf_set(conf, "max.retries", "0", NULL) ||
      !(registry = kavro_registry_new(conf, NULL)))
    abort();
  seed_registry();
  reader = parse(reader_text);
  deserializers[WITH_WRITER] = deserializer(NULL);
  deserializers[WITH_READER] = deserializer(NULL);
  kavro_deserializer_set_reader(deserializers[WITH_READER], false, reader);
  kavro_deserializer_set_reader(deserializers[WITH_READER], true, reader);
  kavro_conf_t *latest = kavro_conf_dup(kavro_registry_conf(registry));
  if (!latest || kavro_conf_set(latest, "use.latest.version", "true", NULL))
    abort();
  deserializers[WITH_LATEST] = deserializer(latest);
  kavro_conf_destroy(latest);
  first = kavro_buf_new(0, 0);
  second = kavro_buf_new(0, 0);
  reframed = kavro_buf_new(0, 0);
  if (!first || !second || !reframed)
    abort();
  atexit(unload);
}

/* Encode @msg's value into @out; it must encode and print. */
static void encode_message(const kavro_deserialized_t *msg, kavro_buf_t *out) {
  kavro_buf_reset(out);
  if (kavro_encode(msg->schema, msg->value, out, NULL))
    abort();
  for (unsigned flags = 0; flags <= KAVRO_DATUM_JSON_PLAIN; flags++) {
    char *json = kavro_value_to_json(msg->schema, msg->value, flags, NULL);
    if (!json)
      abort();
    free(json);
  }
}

/* The body re-encoded from a message read with its writer schema, framed
 * with the same id, reads back to the same encoding. */
static void check_reframed(kavro_deserializer_t *d, bool is_key,
                           const kavro_deserialized_t *msg) {
  kavro_schema_id_t id = msg->writer_id;
  size_t capacity = kavro_wire_id_size(&id) + kavro_buf_length(first), length;
  uint8_t *frame = malloc(capacity);
  if (!frame ||
      kavro_wire_frame(&id, kavro_buf_data(first), kavro_buf_length(first),
                       frame, capacity, &length, NULL))
    abort();
  kavro_deserialized_t again;
  if (kavro_deserializer_deserialize(d, TOPIC, is_key, NULL, 0, frame, length,
                                     &again, NULL))
    abort();
  encode_message(&again, second);
  if (kavro_buf_length(first) != kavro_buf_length(second) ||
      memcmp(kavro_buf_data(first), kavro_buf_data(second),
             kavro_buf_length(first)) != 0)
    abort();
  free(frame);
}

static void check_outcome(int which, bool is_key, kavro_err_t err,
                          const kavro_error_t *error,
                          const kavro_deserialized_t *msg) {
  if (err) {
    /* Every failure is the message's (permanent): a GUID id the registry
     * does not know is its definite 40403, like an unknown integer id. */
    if (kavro_error_classify(error) != KAVRO_ERROR_CLASS_PERMANENT ||
        msg->value || msg->schema || msg->writer)
      abort();
    return;
  }
  if (!msg->value || !msg->schema || !msg->writer)
    abort();
  if (which == WITH_WRITER && (msg->resolved || msg->schema != msg->writer))
    abort();
  encode_message(msg, first);
  if (which == WITH_WRITER)
    check_reframed(deserializers[which], is_key, msg);
}

/* Header-value sizes the first byte's high nibble picks: none, then the
 * sizes around a 5-byte integer id and a 17-byte GUID. */
static const int header_sizes[16] = {-1, 0, 1, 4, 5, 6, 9, 16,
                                     17, 18, 20, 24, 1, 5, 17, 5};

static void one_message(int which, bool is_key, const uint8_t *data,
                        size_t size, int header_size) {
  const uint8_t *header = NULL;
  if (header_size >= 0) {
    size_t taken = (size_t)header_size < size ? (size_t)header_size : size;
    header = data;
    data += taken;
    size -= taken;
    header_size = (int)taken;
  }
  kavro_deserialized_t msg;
  kavro_error_t error;
  kavro_err_t err = kavro_deserializer_deserialize(
      deserializers[which], TOPIC, is_key, header,
      header ? (size_t)header_size : 0, data, size, &msg, &error);
  check_outcome(which, is_key, err, &error, &msg);
}

static void stream(int which, bool is_key, const uint8_t *data, size_t size) {
  for (int frames = 0; frames < MAX_STREAM_FRAMES && size > 0; frames++) {
    kavro_deserialized_t msg;
    kavro_error_t error;
    size_t consumed = 0;
    kavro_err_t err = kavro_deserializer_deserialize_next(
        deserializers[which], TOPIC, is_key, data, size, &msg, &consumed,
        &error);
    check_outcome(which, is_key, err, &error, &msg);
    if (err)
      return;
    if (consumed == 0 || consumed > size)
      abort();
    data += consumed;
    size -= consumed;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!mock)
    load();
  if (size == 0)
    return 0;
  int which = (data[0] & 3) % DESERIALIZER_COUNT;
  bool is_key = data[0] & 4;
  bool as_stream = data[0] & 8;
  int header_size = header_sizes[data[0] >> 4];
  if (as_stream)
    stream(which, is_key, data + 1, size - 1);
  else
    one_message(which, is_key, data + 1, size - 1, header_size);
  return 0;
}
