/*
 * kavro encode - Avro JSON datums (one per line) to Avro binary bodies, or,
 * with --registry, to Confluent-framed messages through the serializer
 * (subject, compatibility gate, registration); with the schema id in a
 * header, to "HEADERHEX PAYLOADHEX" lines.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <avro.h>

#include "cli.h"

static const char usage[] =
    "Usage: kavro encode --schema FILE [OPTIONS] [INPUT]\n"
    "\n"
    "Read Avro JSON datums of the schema in FILE, one per line, from INPUT\n"
    "(default: standard input; blank lines are skipped) and write each as\n"
    "its Avro binary body, one after the other.  With --registry, register\n"
    "or look up the schema and write Confluent-framed messages instead\n"
    "(0x00, the 4-byte schema id, the body).  With --schema-id-format\n"
    "header (and --hex) the id travels as Kafka's __value_schema_id (or\n"
    "__key_schema_id) header would carry it: each line is the header's\n"
    "value in hex (0x01 and the schema's GUID), a space, and the bare body\n"
    "in hex.\n"
    "\n"
    "Options:\n"
    "  -s, --schema FILE      the schema of the datums (required)\n"
    "      --references DIR   named types may come from every .avsc in DIR\n"
    "                         (repeatable)\n"
    "  -x, --hex              write one lowercase hex line per datum\n"
    "      --registry URL     Schema Registry to register the schema with\n"
    "      --subject SUBJECT  the subject (with --registry)\n"
    "      --topic TOPIC      or: name the subject from TOPIC by the\n"
    "                         configured strategy (AssociatedNameStrategy:\n"
    "                         the topic's associated subject, else\n"
    "                         TOPIC-value)\n"
    "      --key              with --topic: the datums are keys\n"
    "      --context NAME     put the subject in schema context NAME\n"
    "                         (.ctx), where its ids live\n"
    "      --schema-id-format prefix|header\n"
    "                         where the schema id goes (with --registry):\n"
    "                         before the body (default), or in a header\n"
    "                         (needs --hex; sets value.schema.id.serializer,\n"
    "                         or key.schema.id.serializer with --key)\n"
    "  -X KEY=VALUE           a registry or serializer setting, e.g.\n"
    "                         auto.register.schemas=false (repeatable)\n"
    "  -h, --help             show this help\n"
    "\n"
    "Exit status: 0 every datum written, 1 a datum does not fit the schema\n"
    "or the schema is incompatible with the subject, 2 usage, I/O or\n"
    "registry error.\n";

enum {
  OPT_REFERENCES = 256,
  OPT_REGISTRY,
  OPT_SUBJECT,
  OPT_TOPIC,
  OPT_CONTEXT,
  OPT_KEY,
  OPT_ID_FORMAT
};

static const struct option options[] = {
    {"schema", required_argument, NULL, 's'},
    {"references", required_argument, NULL, OPT_REFERENCES},
    {"hex", no_argument, NULL, 'x'},
    {"registry", required_argument, NULL, OPT_REGISTRY},
    {"subject", required_argument, NULL, OPT_SUBJECT},
    {"topic", required_argument, NULL, OPT_TOPIC},
    {"context", required_argument, NULL, OPT_CONTEXT},
    {"key", no_argument, NULL, OPT_KEY},
    {"schema-id-format", required_argument, NULL, OPT_ID_FORMAT},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

typedef struct encode_s {
  const char *schema_path;
  const char *input;
  bool hex;
  const char *registry_url;
  const char *subject;
  const char *topic;
  const char *context;    /* --context, NULL: the default context */
  bool is_key;
  const char *id_format;  /* --schema-id-format, NULL: not given */
  kavro_conf_t *conf;     /* -X settings, until the client takes them */
  size_t setting_count;
  cli_refs_t refs;
  /* while running */
  kavro_schema_t *schema;
  kavro_registry_t *registry;
  kavro_serializer_t *serializer;
  avro_schema_t avro;
  avro_value_iface_t *iface;
  avro_value_t value;
  bool has_value;
  kavro_buf_t *out;
  kavro_serializer_framing_t framing; /* of the last datum framed */
} encode_t;

/* --schema-id-format: the serializer setting of the side encoded. */
static int apply_id_format(encode_t *e) {
  if (strcmp(e->id_format, "prefix") != 0 &&
      strcmp(e->id_format, "header") != 0)
    return cli_usage_error("encode", "--schema-id-format is prefix or "
                                     "header, not '%s'", e->id_format);
  kavro_error_t error;
  const char *key = e->is_key ? "key.schema.id.serializer"
                              : "value.schema.id.serializer";
  if (kavro_conf_set(e->conf, key, e->id_format, &error) != KAVRO_OK)
    return cli_usage_error("encode", "%s", error.text);
  return -1;
}

/* Whether the serializer puts the id of the side encoded in a header
 * (--schema-id-format header or -X ...schema.id.serializer=header). */
static bool id_in_header(const encode_t *e) {
  char value[16];
  size_t size = sizeof value;
  return kavro_conf_get(e->conf, e->is_key ? "key.schema.id.serializer"
                                           : "value.schema.id.serializer",
                        value, &size) == KAVRO_OK &&
         strcmp(value, "header") == 0;
}

static int parse_args(encode_t *e, int argc, char **argv) {
  opterr = 0;
  optind = 1;
  int opt;
  while ((opt = getopt_long(argc, argv, ":s:xX:h", options, NULL)) != -1) {
    int status = CLI_EXIT_OK;
    switch (opt) {
    case 's':
      e->schema_path = optarg;
      break;
    case OPT_REFERENCES:
      status = cli_refs_option(&e->refs, "encode", CLI_OPT_REFERENCES, optarg);
      break;
    case 'x':
      e->hex = true;
      break;
    case OPT_REGISTRY:
      e->registry_url = optarg;
      break;
    case OPT_SUBJECT:
      e->subject = optarg;
      break;
    case OPT_TOPIC:
      e->topic = optarg;
      break;
    case OPT_CONTEXT:
      e->context = optarg;
      break;
    case OPT_KEY:
      e->is_key = true;
      break;
    case OPT_ID_FORMAT:
      e->id_format = optarg;
      break;
    case 'X': {
      char key[256];
      kavro_error_t error;
      e->setting_count++;
      status = cli_conf_setting("encode", e->conf, optarg, key, sizeof key,
                                &error);
      if (status == CLI_SETTING_UNKNOWN)
        status = cli_setting_unknown("encode", &error);
      break;
    }
    case 'h':
      fputs(usage, stdout);
      return cli_finish_output(CLI_EXIT_OK);
    case ':':
      return cli_usage_error("encode", "option '%s' needs a value",
                             argv[optind - 1]);
    default:
      return cli_usage_error("encode", "unknown option '%s'",
                             argv[optind - 1]);
    }
    if (status != CLI_EXIT_OK)
      return status;
  }
  if (!e->schema_path)
    return cli_usage_error("encode", "--schema FILE is required");
  if (argc - optind > 1)
    return cli_usage_error("encode", "one INPUT at most");
  e->input = optind < argc ? argv[optind] : NULL;
  if (e->registry_url && !e->subject == !e->topic)
    return cli_usage_error("encode",
                           "--registry needs --subject or --topic (one)");
  if (!e->registry_url &&
      (e->subject || e->topic || e->context || e->setting_count ||
       e->id_format))
    return cli_usage_error("encode", "--subject, --topic, --context, "
                                     "--schema-id-format and -X need "
                                     "--registry");
  return e->id_format ? apply_id_format(e) : -1;
}

static int open_serializer(encode_t *e) {
  int status = cli_registry_new("encode", e->registry_url, &e->conf,
                                &e->registry);
  if (status != CLI_EXIT_OK)
    return status;
  kavro_error_t error;
  if (!(e->serializer = kavro_serializer_new(e->registry, NULL, &error)) ||
      kavro_schema_to_avro(e->schema, &e->avro, &error) != KAVRO_OK) {
    cli_print_kavro_error("encode", NULL, &error);
    return CLI_EXIT_USAGE;
  }
  if (e->subject)
    kavro_serializer_set_subject_name_cb(e->serializer, e->is_key,
                                         cli_fixed_subject,
                                         (void *)e->subject);
  if (e->context)
    kavro_serializer_set_context_name_cb(e->serializer, cli_fixed_context,
                                         (void *)e->context);
  if (!(e->iface = avro_generic_class_from_schema(e->avro)) ||
      avro_generic_value_new(e->iface, &e->value) != 0) {
    fprintf(stderr, "kavro encode: avro-c: %s\n", avro_strerror());
    return CLI_EXIT_USAGE;
  }
  e->has_value = true;
  return CLI_EXIT_OK;
}

/* Say why the gate refused, one incompatibility per line. */
static void print_refusal(const kavro_compat_result_t *result) {
  for (size_t i = 0; result && i < kavro_compat_result_count(result); i++) {
    const kavro_incompat_t *inc = kavro_compat_result_get(result, i);
    cli_print_line("  %s at %s: %s", kavro_incompat_kind_name(inc->kind),
                   inc->reader_location[0] ? inc->reader_location : "/",
                   inc->message);
  }
}

/* Frame one datum through the serializer. */
static int frame_line(encode_t *e, const char *line, size_t length,
                      const char *where) {
  kavro_error_t error;
  kavro_err_t err =
      kavro_value_from_json(e->schema, line, length, &e->value, &error);
  if (err != KAVRO_OK) {
    cli_print_kavro_error("encode", where, &error);
    return err == KAVRO_ERR_NOMEM ? CLI_EXIT_USAGE : CLI_EXIT_INVALID;
  }
  err = kavro_serializer_serialize_message(e->serializer, e->topic, e->is_key,
                                           e->schema, &e->value, e->out,
                                           &e->framing, &error);
  if (err == KAVRO_OK)
    return CLI_EXIT_OK;
  cli_print_kavro_error("encode", where, &error);
  if (err == KAVRO_ERR_INCOMPATIBLE)
    print_refusal(kavro_serializer_last_incompatibility(e->serializer));
  /* Here the registry's "not found" is about what the options name
   * (use.schema.id, use.latest.version), not about the datum. */
  if (err == KAVRO_ERR_SCHEMA_NOT_FOUND || err == KAVRO_ERR_SUBJECT_NOT_FOUND)
    return CLI_EXIT_USAGE;
  return cli_exit_status_of(&error);
}

static int encode_line(encode_t *e, const char *line, size_t length,
                       unsigned long number) {
  char where[64];
  snprintf(where, sizeof(where), "line %lu", number);
  kavro_buf_reset(e->out);
  int status;
  if (e->serializer) {
    status = frame_line(e, line, length, where);
  } else {
    kavro_error_t error;
    kavro_err_t err =
        kavro_json_to_binary(e->schema, line, length, e->out, &error);
    if (err != KAVRO_OK)
      cli_print_kavro_error("encode", where, &error);
    status = err == KAVRO_OK        ? CLI_EXIT_OK
             : err == KAVRO_ERR_NOMEM ? CLI_EXIT_USAGE
                                      : CLI_EXIT_INVALID;
  }
  if (status != CLI_EXIT_OK)
    return status;
  if (e->hex && e->framing.header_name) { /* "HEADERHEX PAYLOADHEX" */
    cli_put_hex(e->framing.header_value, e->framing.header_size);
    putchar(' ');
  }
  if (e->hex)
    cli_print_hex(kavro_buf_data(e->out), kavro_buf_length(e->out));
  else
    fwrite(kavro_buf_data(e->out), 1, kavro_buf_length(e->out), stdout);
  return CLI_EXIT_OK;
}


/* Every line of @in; a datum that does not fit is reported and skipped,
 * a registry failure stops. */
static int encode_lines(encode_t *e, FILE *in) {
  char *line = NULL;
  size_t capacity = 0, length;
  int status = CLI_EXIT_OK, got;
  unsigned long number = 0;
  while ((got = cli_read_line(in, &line, &capacity, &length)) > 0) {
    number++;
    if (cli_blank_line(line, length))
      continue;
    int one = encode_line(e, line, length, number);
    status = cli_worse(status, one);
    if (one == CLI_EXIT_USAGE)
      break;
  }
  if (got < 0) {
    fprintf(stderr, "kavro encode: line %lu: unreadable or longer than %u "
                    "bytes\n", number + 1, (unsigned)CLI_MAX_LINE);
    status = CLI_EXIT_USAGE;
  }
  free(line);
  return status;
}

static void encode_free(encode_t *e) {
  if (e->has_value)
    avro_value_decref(&e->value);
  if (e->iface)
    avro_value_iface_decref(e->iface);
  if (e->avro)
    avro_schema_decref(e->avro);
  kavro_serializer_destroy(e->serializer);
  kavro_registry_destroy(e->registry);
  kavro_schema_destroy(e->schema);
  kavro_buf_destroy(e->out);
  kavro_conf_destroy(e->conf);
  cli_refs_free(&e->refs);
}

static int run(int argc, char **argv) {
  encode_t e;
  memset(&e, 0, sizeof(e));
  cli_refs_t init = CLI_REFS_INIT;
  e.refs = init;
  if (!(e.conf = kavro_conf_new())) {
    fprintf(stderr, "kavro encode: out of memory\n");
    return CLI_EXIT_USAGE;
  }
  int status = parse_args(&e, argc, argv);
  if (status < 0 && !e.hex && id_in_header(&e))
    status = cli_usage_error("encode", "a schema id in a header needs --hex "
                                       "(a binary stream has no headers)");
  if (status >= 0) {
    encode_free(&e);
    return status;
  }
  char *target = (char *)e.schema_path;
  status = cli_refs_load(&e.refs, &target, 1);
  if (status == CLI_EXIT_OK)
    status = cli_parse_schema(&e.refs, e.schema_path, &e.schema);
  if (status == CLI_EXIT_OK && !(e.out = kavro_buf_new(0, 0))) {
    fprintf(stderr, "kavro encode: out of memory\n");
    status = CLI_EXIT_USAGE;
  }
  if (status == CLI_EXIT_OK && e.registry_url)
    status = open_serializer(&e);
  FILE *in = NULL;
  if (status == CLI_EXIT_OK)
    status = cli_open_input("encode", e.input, &in);
  if (status == CLI_EXIT_OK) {
    status = encode_lines(&e, in);
    cli_close_input(in);
  }
  encode_free(&e);
  return cli_finish_output(status);
}

const cli_command_t cli_encode = {
    "encode", "Avro JSON lines to binary bodies or framed messages", run};
