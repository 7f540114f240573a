/*
 * kavro tests - decode header-id messages for tests/js_interop.sh.
 *
 * Usage: header_decode REGISTRY-URL < LINES
 *
 * Each input line is "HEADERHEX PAYLOADHEX": the value of the schema-id
 * header (0x01 and a GUID, as Confluent's HeaderSchemaIdSerializer writes
 * it) and the bare Avro body.  Each is decoded with a registry
 * deserializer, which reads the writer id from the header, and printed as
 * Avro JSON on its own line.  Exit status 0 when every line decoded, 1
 * otherwise (the error on standard error).  Public API only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kavro.h>

static int nibble(int c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* @hex (@length characters) into @out, which holds @length / 2 bytes. */
static int unhex(const char *hex, size_t length, unsigned char *out) {
  if (length % 2)
    return -1;
  for (size_t i = 0; i < length; i += 2) {
    int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0)
      return -1;
    out[i / 2] = (unsigned char)(hi << 4 | lo);
  }
  return 0;
}

static int decode_line(kavro_deserializer_t *des, char *line,
                       unsigned long number) {
  line[strcspn(line, "\r\n")] = '\0';
  char *space = strchr(line, ' ');
  if (!space) {
    fprintf(stderr, "line %lu: expected HEADERHEX PAYLOADHEX\n", number);
    return 1;
  }
  size_t header_length = (size_t)(space - line);
  size_t payload_length = strlen(space + 1);
  unsigned char *header = malloc(header_length / 2 + 1);
  unsigned char *payload = malloc(payload_length / 2 + 1);
  int status = 1;
  if (!header || !payload ||
      unhex(line, header_length, header) != 0 ||
      unhex(space + 1, payload_length, payload) != 0) {
    fprintf(stderr, "line %lu: bad hex\n", number);
  } else {
    kavro_deserialized_t msg;
    kavro_error_t error;
    if (kavro_deserializer_deserialize(des, "interop", false, header,
                                       header_length / 2, payload,
                                       payload_length / 2, &msg,
                                       &error) != KAVRO_OK) {
      char text[1024];
      fprintf(stderr, "line %lu: %s\n", number,
              kavro_error_format(&error, text, sizeof(text)));
    } else if (msg.format != KAVRO_WIRE_FORMAT_HEADER) {
      fprintf(stderr, "line %lu: the id was not read from the header\n",
              number);
    } else {
      char *json = kavro_value_to_json(msg.schema, msg.value,
                                       KAVRO_DATUM_JSON_AVRO, NULL);
      if (json) {
        puts(json);
        status = 0;
      }
      free(json);
    }
  }
  free(header);
  free(payload);
  return status;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s REGISTRY-URL < LINES\n", argv[0]);
    return 2;
  }
  kavro_error_t error = {.text = "out of memory"};
  kavro_conf_t *conf = kavro_conf_new();
  kavro_registry_t *reg = NULL;
  kavro_deserializer_t *des = NULL;
  if (!conf ||
      kavro_conf_set(conf, "schema.registry.url", argv[1], &error) !=
          KAVRO_OK ||
      !(reg = kavro_registry_new(conf, &error)) ||
      !(des = kavro_deserializer_new(reg, NULL, NULL, &error))) {
    fprintf(stderr, "header_decode: %s\n", error.text);
    if (!reg)
      kavro_conf_destroy(conf);
    kavro_registry_destroy(reg);
    return 2;
  }
  int status = 0;
  char line[65536];
  unsigned long number = 0;
  while (fgets(line, sizeof(line), stdin))
    status |= decode_line(des, line, ++number);
  kavro_deserializer_destroy(des);
  kavro_registry_destroy(reg);
  return status;
}
