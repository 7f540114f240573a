/*
 * kavro decode - Avro binary bodies (with --writer) or Confluent-framed
 * messages (with --registry) to Avro JSON, one datum per line, resolved to
 * a reader schema when one is given.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <avro.h>

#include "cli.h"

static const char usage[] =
    "Usage: kavro decode --writer FILE [--reader FILE] [OPTIONS] [INPUT]\n"
    "       kavro decode --registry URL [--reader FILE] [OPTIONS] [INPUT]\n"
    "\n"
    "Read Avro binary data from INPUT (default: standard input) and print\n"
    "each datum as Avro JSON on its own line.  With --writer the input is\n"
    "bare bodies written with the schema in FILE; with --registry it is\n"
    "Confluent-framed messages whose writer schema is fetched by id.  The\n"
    "input is a stream of bodies (or messages) one after the other, or with\n"
    "--hex one hex-encoded body (or message) per line.  With --registry a\n"
    "hex line may also be two words, HEADERHEX PAYLOADHEX: the value of the\n"
    "message's __value_schema_id (or __key_schema_id) header, which names\n"
    "the writer schema, and the bare body (what `kavro encode\n"
    "--schema-id-format header --hex` writes).  With --reader each datum is\n"
    "resolved to that schema (defaults filled, promotions, ...).\n"
    "\n"
    "Options:\n"
    "  -w, --writer FILE      the schema the bodies were written with\n"
    "      --reader FILE      the schema to read them as\n"
    "      --references DIR   named types may come from every .avsc in DIR\n"
    "                         (repeatable)\n"
    "  -x, --hex              one hex body (or message) per line; an\n"
    "                         empty line is the zero-byte body; with\n"
    "                         --registry, or HEADERHEX PAYLOADHEX\n"
    "      --registry URL     Schema Registry to find writer schemas in\n"
    "      --topic TOPIC      the topic (for use.latest.version)\n"
    "      --context NAME     with --topic: the topic's subjects are in\n"
    "                         schema context NAME (.ctx), where the\n"
    "                         writers' ids are looked up\n"
    "      --key              the messages are keys\n"
    "  -X KEY=VALUE           a registry or deserializer setting, e.g.\n"
    "                         use.latest.version=true (repeatable)\n"
    "  -h, --help             show this help\n"
    "\n"
    "Exit status: 0 every datum printed, 1 a datum could not be decoded (the\n"
    "message names the line, or the byte offset in binary input) or the\n"
    "reader cannot read the writer, 2 usage, I/O or registry error.\n";

enum {
  OPT_READER = 256,
  OPT_REFERENCES,
  OPT_REGISTRY,
  OPT_TOPIC,
  OPT_CONTEXT,
  OPT_KEY
};

static const struct option options[] = {
    {"writer", required_argument, NULL, 'w'},
    {"reader", required_argument, NULL, OPT_READER},
    {"references", required_argument, NULL, OPT_REFERENCES},
    {"hex", no_argument, NULL, 'x'},
    {"registry", required_argument, NULL, OPT_REGISTRY},
    {"topic", required_argument, NULL, OPT_TOPIC},
    {"context", required_argument, NULL, OPT_CONTEXT},
    {"key", no_argument, NULL, OPT_KEY},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

typedef struct decode_s {
  const char *writer_path;
  const char *reader_path;
  const char *input;
  bool hex;
  const char *registry_url;
  const char *topic;
  const char *context; /* --context, NULL: the default context */
  bool is_key;
  kavro_conf_t *conf; /* -X settings, until the client takes them */
  size_t setting_count;
  cli_refs_t refs;
  /* while running */
  kavro_schema_t *writer;
  kavro_schema_t *reader;
  kavro_resolution_t *plan;    /* --writer with --reader */
  kavro_registry_t *registry;
  kavro_deserializer_t *deserializer;
  kavro_decoder_t *decoder;
  avro_schema_t avro;          /* of the schema datums are read as */
  avro_value_iface_t *iface;
  avro_value_t value;
  bool has_value;
} decode_t;

static int parse_args(decode_t *d, int argc, char **argv) {
  opterr = 0;
  optind = 1;
  int opt;
  while ((opt = getopt_long(argc, argv, ":w:xX:h", options, NULL)) != -1) {
    int status = CLI_EXIT_OK;
    switch (opt) {
    case 'w':
      d->writer_path = optarg;
      break;
    case OPT_READER:
      d->reader_path = optarg;
      break;
    case OPT_REFERENCES:
      status = cli_refs_option(&d->refs, "decode", CLI_OPT_REFERENCES, optarg);
      break;
    case 'x':
      d->hex = true;
      break;
    case OPT_REGISTRY:
      d->registry_url = optarg;
      break;
    case OPT_TOPIC:
      d->topic = optarg;
      break;
    case OPT_CONTEXT:
      d->context = optarg;
      break;
    case OPT_KEY:
      d->is_key = true;
      break;
    case 'X': {
      char key[256];
      kavro_error_t error;
      d->setting_count++;
      status = cli_conf_setting("decode", d->conf, optarg, key, sizeof key,
                                &error);
      if (status == CLI_SETTING_UNKNOWN)
        status = cli_setting_unknown("decode", &error);
      break;
    }
    case 'h':
      fputs(usage, stdout);
      return cli_finish_output(CLI_EXIT_OK);
    case ':':
      return cli_usage_error("decode", "option '%s' needs a value",
                             argv[optind - 1]);
    default:
      return cli_usage_error("decode", "unknown option '%s'",
                             argv[optind - 1]);
    }
    if (status != CLI_EXIT_OK)
      return status;
  }
  if (!d->writer_path == !d->registry_url)
    return cli_usage_error("decode", "give --writer FILE or --registry URL");
  if (!d->registry_url && (d->topic || d->is_key || d->setting_count))
    return cli_usage_error("decode", "--topic, --key and -X need --registry");
  if (d->context && !d->topic)
    return cli_usage_error("decode", "--context needs --topic");
  if (argc - optind > 1)
    return cli_usage_error("decode", "one INPUT at most");
  d->input = optind < argc ? argv[optind] : NULL;
  return -1;
}

static int load_schemas(decode_t *d) {
  char *targets[2];
  size_t count = 0;
  if (d->writer_path)
    targets[count++] = (char *)d->writer_path;
  if (d->reader_path)
    targets[count++] = (char *)d->reader_path;
  int status = cli_refs_load(&d->refs, targets, count);
  if (status == CLI_EXIT_OK && d->writer_path)
    status = cli_parse_schema(&d->refs, d->writer_path, &d->writer);
  if (status == CLI_EXIT_OK && d->reader_path)
    status = cli_parse_schema(&d->refs, d->reader_path, &d->reader);
  return status;
}

/* --writer: the plan (when a reader is given), a decoder and one value. */
static int open_plain(decode_t *d) {
  kavro_error_t error;
  if (d->reader &&
      kavro_resolution_new(d->writer, d->reader, &d->plan, &error) !=
          KAVRO_OK) {
    cli_print_kavro_error("decode", "the reader cannot read the writer",
                          &error);
    return error.code == KAVRO_ERR_INCOMPATIBLE ? CLI_EXIT_INVALID
                                                 : CLI_EXIT_USAGE;
  }
  const kavro_schema_t *target = d->reader ? d->reader : d->writer;
  if (!(d->decoder = kavro_decoder_new(NULL)) ||
      kavro_schema_to_avro(target, &d->avro, &error) != KAVRO_OK) {
    fprintf(stderr, "kavro decode: out of memory or avro-c failure\n");
    return CLI_EXIT_USAGE;
  }
  if (!(d->iface = avro_generic_class_from_schema(d->avro)) ||
      avro_generic_value_new(d->iface, &d->value) != 0) {
    fprintf(stderr, "kavro decode: avro-c: %s\n", avro_strerror());
    return CLI_EXIT_USAGE;
  }
  d->has_value = true;
  return CLI_EXIT_OK;
}

static int open_registry(decode_t *d) {
  int status =
      cli_registry_new("decode", d->registry_url, &d->conf, &d->registry);
  if (status != CLI_EXIT_OK)
    return status;
  kavro_error_t error;
  if (!(d->deserializer =
            kavro_deserializer_new(d->registry, NULL, NULL, &error))) {
    cli_print_kavro_error("decode", NULL, &error);
    return CLI_EXIT_USAGE;
  }
  if (d->reader)
    kavro_deserializer_set_reader(d->deserializer, d->is_key, d->reader);
  if (d->context)
    kavro_deserializer_set_context_name_cb(d->deserializer, cli_fixed_context,
                                           (void *)d->context);
  return CLI_EXIT_OK;
}

static int print_datum(const kavro_schema_t *schema,
                       const avro_value_t *value) {
  kavro_error_t error;
  char *json = kavro_value_to_json(schema, value, KAVRO_DATUM_JSON_AVRO, &error);
  if (!json) {
    cli_print_kavro_error("decode", NULL, &error);
    return CLI_EXIT_USAGE;
  }
  puts(json);
  free(json);
  return CLI_EXIT_OK;
}

/* The schema-id header of a two-word hex line (NULL: none). */
typedef struct header_s {
  const unsigned char *value;
  size_t size;
} header_t;

/* Decode the datum at the start of @data; with @consumed, more may follow
 * (stream input), else it must fill @data exactly (one hex line), its
 * schema id in @header when that names one. */
static int decode_one(decode_t *d, const header_t *header,
                      const unsigned char *data, size_t size,
                      size_t *consumed, const char *where) {
  kavro_error_t error;
  kavro_err_t err;
  if (d->deserializer) {
    kavro_deserialized_t msg;
    err = consumed ? kavro_deserializer_deserialize_next(
                         d->deserializer, d->topic, d->is_key, data, size,
                         &msg, consumed, &error)
                   : kavro_deserializer_deserialize(
                         d->deserializer, d->topic, d->is_key, header->value,
                         header->size, data, size, &msg, &error);
    if (err == KAVRO_OK)
      return print_datum(msg.schema, msg.value);
  } else {
    err = d->plan ? kavro_decode_resolved(d->decoder, d->plan, data, size,
                                          &d->value, consumed, &error)
                  : kavro_decode(d->decoder, d->writer, data, size, &d->value,
                                 consumed, &error);
    if (err == KAVRO_OK)
      return print_datum(d->reader ? d->reader : d->writer, &d->value);
  }
  cli_print_kavro_error("decode", where, &error);
  return cli_exit_status_of(&error);
}

/* The blank-separated words of @line (@length bytes): up to @max of them
 * in @words (start, length); returns how many there are, counting on past
 * @max so that a caller sees there were too many. */
static size_t split_words(const char *line, size_t length, size_t max,
                          size_t words[][2]) {
  size_t count = 0;
  for (size_t i = 0; i < length;) {
    if (strchr(" \t\r\f\v", line[i]) && line[i] != '\0') {
      i++;
      continue;
    }
    size_t start = i;
    while (i < length && !(strchr(" \t\r\f\v", line[i]) && line[i] != '\0'))
      i++;
    if (count < max) {
      words[count][0] = start;
      words[count][1] = i - start;
    }
    count++;
  }
  return count;
}

/* One hex line: PAYLOADHEX, or HEADERHEX PAYLOADHEX with --registry.
 * @bytes has room for the line's length / 2 bytes. */
static int decode_hex_line(decode_t *d, const char *line, size_t length,
                           unsigned char *bytes, const char *where) {
  size_t words[2][2], size, header_size = 0;
  size_t count = split_words(line, length, 2, words);
  if (count > 2) {
    cli_print_line("kavro decode: %s: %zu words; a line is PAYLOADHEX or "
                   "HEADERHEX PAYLOADHEX", where, count);
    return CLI_EXIT_INVALID;
  }
  if (count == 2 && !d->deserializer) {
    cli_print_line("kavro decode: %s: a schema-id header (two words) needs "
                   "--registry", where);
    return CLI_EXIT_INVALID;
  }
  header_t header = {NULL, 0};
  if (count == 2) {
    if (!cli_hex_decode(line + words[0][0], words[0][1], bytes,
                        &header_size)) {
      cli_print_line("kavro decode: %s: the header is not hex", where);
      return CLI_EXIT_INVALID;
    }
    header.value = bytes;
    header.size = header_size;
    line += words[1][0];
    length = words[1][1];
  }
  if (!cli_hex_decode(line, length, bytes + header_size, &size)) {
    cli_print_line("kavro decode: %s: %s", where,
                   count == 2 ? "the payload is not hex" : "not hex");
    return CLI_EXIT_INVALID;
  }
  return decode_one(d, &header, bytes + header_size, size, NULL, where);
}

/* --hex: one body or message per line, every line, so that nothing is
 * dropped unseen: an empty line is the zero-byte datum (null, a record
 * without fields, a fixed of size 0), and a bad line is reported and
 * skipped. */
static int decode_hex_lines(decode_t *d, FILE *in) {
  char *line = NULL;
  unsigned char *bytes = NULL;
  size_t capacity = 0, length;
  int status = CLI_EXIT_OK, got;
  unsigned long number = 0;
  char where[64];
  while ((got = cli_read_line(in, &line, &capacity, &length)) > 0) {
    number++;
    snprintf(where, sizeof(where), "line %lu", number);
    unsigned char *grown = realloc(bytes, length / 2 + 1);
    if (!grown) {
      status = CLI_EXIT_USAGE;
      break;
    }
    bytes = grown;
    int one = decode_hex_line(d, line, length, bytes, where);
    status = cli_worse(status, one);
    if (one == CLI_EXIT_USAGE)
      break;
  }
  if (got < 0) {
    fprintf(stderr, "kavro decode: line %lu: unreadable or longer than %u "
                    "bytes\n", number + 1, (unsigned)CLI_MAX_LINE);
    status = CLI_EXIT_USAGE;
  }
  free(bytes);
  free(line);
  return status;
}

/* Binary: datums one after the other; the first bad one stops the run,
 * since where the next one starts is then unknown. */
static int decode_stream(decode_t *d, FILE *in) {
  unsigned char *data;
  size_t size;
  int status = cli_read_all("decode", in, &data, &size);
  if (status != CLI_EXIT_OK)
    return status;
  char where[64];
  for (size_t offset = 0, n = 1; offset < size && status == CLI_EXIT_OK;
       n++) {
    size_t consumed = 0;
    snprintf(where, sizeof(where), "datum %zu at byte %zu", n, offset);
    status =
        decode_one(d, NULL, data + offset, size - offset, &consumed, where);
    if (status == CLI_EXIT_OK && consumed == 0) {
      fprintf(stderr, "kavro decode: %s: a datum of zero bytes cannot be "
                      "told apart in a stream; use --hex\n", where);
      status = CLI_EXIT_INVALID;
    }
    offset += consumed;
  }
  free(data);
  return status;
}

static void decode_free(decode_t *d) {
  if (d->has_value)
    avro_value_decref(&d->value);
  if (d->iface)
    avro_value_iface_decref(d->iface);
  if (d->avro)
    avro_schema_decref(d->avro);
  kavro_deserializer_destroy(d->deserializer);
  kavro_registry_destroy(d->registry);
  kavro_resolution_destroy(d->plan);
  kavro_decoder_destroy(d->decoder);
  kavro_schema_destroy(d->writer);
  kavro_schema_destroy(d->reader);
  kavro_conf_destroy(d->conf);
  cli_refs_free(&d->refs);
}

static int run(int argc, char **argv) {
  decode_t d;
  memset(&d, 0, sizeof(d));
  cli_refs_t init = CLI_REFS_INIT;
  d.refs = init;
  if (!(d.conf = kavro_conf_new())) {
    fprintf(stderr, "kavro decode: out of memory\n");
    return CLI_EXIT_USAGE;
  }
  int status = parse_args(&d, argc, argv);
  if (status >= 0) {
    decode_free(&d);
    return status;
  }
  status = load_schemas(&d);
  if (status == CLI_EXIT_OK)
    status = d.registry_url ? open_registry(&d) : open_plain(&d);
  FILE *in = NULL;
  if (status == CLI_EXIT_OK)
    status = cli_open_input("decode", d.input, &in);
  if (status == CLI_EXIT_OK) {
    status = d.hex ? decode_hex_lines(&d, in) : decode_stream(&d, in);
    cli_close_input(in);
  }
  decode_free(&d);
  return cli_finish_output(status);
}

const cli_command_t cli_decode = {
    "decode", "binary bodies or framed messages to Avro JSON lines", run};
