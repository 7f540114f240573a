/*
 * libFuzzer harness: the schema parser, on any bytes.
 *
 * Besides "no crash, no leak, no undefined behaviour", every schema that
 * parses must survive the trip through kavro's own JSON output: the
 * compact and pretty texts parse again to the same Parsing Canonical Form
 * and fingerprint.  A difference aborts, so the fuzzer reports it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kavro.h>

static void check_round_trip(const kavro_schema_t *schema, unsigned flags) {
  char *json = kavro_schema_to_json(schema, flags);
  if (!json)
    abort(); /* only out of memory may fail, and the fuzzer bounds memory */
  kavro_schema_t *again = NULL;
  kavro_error_t error;
  if (kavro_schema_parse(json, strlen(json), NULL, &again, &error) !=
      KAVRO_OK) {
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  kavro_schema_t *schema = NULL;
  kavro_error_t error;
  if (kavro_schema_parse((const char *)data, size, NULL, &schema, &error) !=
      KAVRO_OK) {
    if (schema || !error.text[0])
      abort(); /* a failure must leave no schema and say why */
    return 0;
  }
  inspect(schema);
  check_round_trip(schema, KAVRO_JSON_COMPACT);
  check_round_trip(schema, KAVRO_JSON_PRETTY);
  kavro_schema_destroy(schema);
  return 0;
}
