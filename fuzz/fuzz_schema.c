/*
 * libFuzzer harness: the schema parser, on any bytes.
 *
 * Besides "no crash, no leak, no undefined behaviour", every schema that
 * parses must survive the trip through kavro's own JSON output: the
 * compact and pretty texts parse again to the same Parsing Canonical Form
 * and fingerprint.  A difference aborts, so the fuzzer reports it.  The
 * same holds for a lenient parse (a schema as a registry holds it), whose
 * output parses leniently again; and whatever parses strictly parses
 * leniently to the same canonical form, with nothing relaxed.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kavro.h>

static kavro_err_t parse(const char *text, size_t length, bool lenient,
                         kavro_schema_t **schema, kavro_error_t *error) {
  kavro_parse_options_t options;
  kavro_parse_options_init(&options);
  options.lenient = lenient;
  return kavro_schema_parse(text, length, &options, schema, error);
}

static void check_round_trip(const kavro_schema_t *schema, unsigned flags,
                             bool lenient) {
  char *json = kavro_schema_to_json(schema, flags);
  if (!json)
    abort(); /* only out of memory may fail, and the fuzzer bounds memory */
  kavro_schema_t *again = NULL;
  kavro_error_t error;
  if (parse(json, strlen(json), lenient, &again, &error) != KAVRO_OK) {
    fprintf(stderr, "own JSON output does not parse: %s\n%s\n", error.text,
            json);
    abort();
  }
  if (strcmp(kavro_schema_canonical(schema), kavro_schema_canonical(again)) !=
          0 ||
      kavro_schema_rabin(schema) != kavro_schema_rabin(again)) {
    fprintf(stderr, "canonical form changed through JSON output:\n%s\n%s\n",
            kavro_schema_canonical(schema), kavro_schema_canonical(again));
    abort();
  }
  kavro_schema_destroy(again);
  free(json);
}

/* Read everything a caller may read from a parsed schema. */
static void inspect(const kavro_schema_t *schema) {
  unsigned char digest[32];
  kavro_schema_fingerprint(schema, KAVRO_FINGERPRINT_MD5, digest,
                           sizeof(digest));
  kavro_schema_fingerprint(schema, KAVRO_FINGERPRINT_SHA256, digest,
                           sizeof(digest));
  (void)kavro_schema_name(schema);
  (void)kavro_type_name(kavro_schema_type(schema));
  for (size_t i = 0; i < kavro_schema_warning_count(schema); i++) {
    const char *warning = kavro_schema_warning(schema, i);
    int line, column;
    char pointer[256];
    const char *sep = strstr(warning, ": ");
    if (sep && (size_t)(sep - warning) < sizeof(pointer)) {
      memcpy(pointer, warning, (size_t)(sep - warning));
      pointer[sep - warning] = '\0';
      kavro_schema_locate(schema, pointer, &line, &column);
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parse @data as @lenient says; the schema, or NULL when it is refused. */
static kavro_schema_t *parse_checked(const uint8_t *data, size_t size,
                                     bool lenient) {
  kavro_schema_t *schema = NULL;
  kavro_error_t error;
  if (parse((const char *)data, size, lenient, &schema, &error) != KAVRO_OK) {
    if (schema || !error.text[0])
      abort(); /* a failure must leave no schema and say why */
    return NULL;
  }
  inspect(schema);
  check_round_trip(schema, KAVRO_JSON_COMPACT, lenient);
  check_round_trip(schema, KAVRO_JSON_PRETTY, lenient);
  return schema;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  kavro_schema_t *strict = parse_checked(data, size, false);
  kavro_schema_t *lenient = parse_checked(data, size, true);
  if (strict && (!lenient || kavro_schema_relaxed_count(lenient) != 0 ||
                 strcmp(kavro_schema_canonical(strict),
                        kavro_schema_canonical(lenient)) != 0)) {
    fprintf(stderr, "a valid schema reads differently when lenient\n");
    abort();
  }
  kavro_schema_destroy(strict);
  kavro_schema_destroy(lenient);
  return 0;
}
