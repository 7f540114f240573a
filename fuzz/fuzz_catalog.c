/*
 * libFuzzer harness: what sr-compat does with the files of a catalog.
 *
 * sr-compat reads untrusted schema files: shared types first, then a
 * topic's schema parsed with them as references, then that schema checked
 * against its earlier versions at the subject's level, and every finding
 * placed in the file by its JSON pointer.  This harness makes the same
 * library calls on arbitrary input:
 *
 *   byte 0             level (low 3 bits, modulo 7), number of shared
 *                      types (next 2 bits, modulo 3)
 *   then               schema texts separated by a NUL byte, the shared
 *                      types first, then the versions of one subject (the
 *                      last one that parses is the candidate)
 *   after a NUL NUL    JSON pointers, one per line, looked up in every
 *                      schema that parsed
 *
 * Nothing may crash or leak.  A parse error carries a position; every
 * warning is a string; a position found lies inside the schema's text; a
 * schema is compatible with itself; and every incompatibility found has a
 * kind name and a message, and its locations can be looked up.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <kavro.h>

/* Schemas one input may hold: shared types and versions together. */
#define MAX_SCHEMAS 6
/* Pointers looked up per input, at most. */
#define MAX_POINTERS 16
#define LEVEL_COUNT 7

typedef struct input_s {
  const char *schemas[MAX_SCHEMAS];
  size_t schema_sizes[MAX_SCHEMAS];
  size_t schema_count;
  const char *pointers; /* NULL when the input has none */
  size_t pointers_size;
} input_t;

/* The first two NUL bytes in a row in @size bytes at @text, or NULL. */
static const char *find_double_nul(const char *text, size_t size) {
  const char *end = text + size;
  for (const char *c = text; c < end;) {
    const char *nul = memchr(c, '\0', (size_t)(end - c));
    if (!nul || nul + 1 == end)
      return NULL;
    if (nul[1] == '\0')
      return nul;
    c = nul + 1;
  }
  return NULL;
}

/* Split the input after byte 0 as the header comment says. */
static void split(const char *text, size_t size, input_t *in) {
  memset(in, 0, sizeof(*in));
  const char *end = text + size;
  const char *pairs = find_double_nul(text, size);
  if (pairs) {
    in->pointers = pairs + 2;
    in->pointers_size = (size_t)(end - in->pointers);
    end = pairs;
  }
  while (text <= end && in->schema_count < MAX_SCHEMAS) {
    const char *nul = memchr(text, '\0', (size_t)(end - text));
    const char *stop = nul ? nul : end;
    in->schemas[in->schema_count] = text;
    in->schema_sizes[in->schema_count++] = (size_t)(stop - text);
    if (!nul)
      break;
    text = nul + 1;
  }
}

/* Lines of the text, a position past its last line is not in it. */
static int line_count(const char *text) {
  int lines = 1;
  for (const char *c = text; *c; c++)
    lines += *c == '\n';
  return lines;
}

static void locate(const kavro_schema_t *schema, const char *pointer) {
  int line = 0, column = 0;
  kavro_schema_locate(schema, pointer, &line, &column);
  if (line < 1 || column < 1 || line > line_count(kavro_schema_text(schema)))
    abort();
}

static void check_schema(const kavro_schema_t *schema) {
  for (size_t i = 0; i < kavro_schema_warning_count(schema); i++)
    if (strlen(kavro_schema_warning(schema, i)) == 0)
      abort();
  if (!kavro_schema_name(schema) || !kavro_schema_canonical(schema))
    abort();
  locate(schema, "");
  kavro_compat_result_t *self = NULL;
  kavro_err_t err = kavro_compat_check(schema, schema, &self, NULL);
  if (err == KAVRO_OK && !kavro_compat_result_is_compatible(self))
    abort();
  if (err != KAVRO_OK && err != KAVRO_ERR_LIMIT)
    abort();
  kavro_compat_result_destroy(self);
}

/* Parse schema @i with the @ref_count schemas at @refs as references. */
static kavro_schema_t *parse(const input_t *in, size_t i,
                             kavro_schema_t *const *refs, size_t ref_count) {
  kavro_parse_options_t options;
  kavro_parse_options_init(&options);
  options.source = "fuzz.avsc";
  options.references = refs;
  options.reference_count = ref_count;
  kavro_schema_t *schema = NULL;
  kavro_error_t error;
  kavro_err_t err = kavro_schema_parse(in->schemas[i], in->schema_sizes[i],
                                       &options, &schema, &error);
  if (err) {
    if (schema || error.code != err || error.line < 0 || error.column < 0 ||
        error.text[0] == '\0')
      abort();
    return NULL;
  }
  check_schema(schema);
  return schema;
}

/* Each incompatibility is described and its locations can be looked up
 * in the schema that played each part. */
static void check_findings(const kavro_compat_result_t *result,
                           const kavro_schema_t *candidate,
                           kavro_schema_t *const *previous, size_t count) {
  for (size_t i = 0; i < kavro_compat_result_count(result); i++) {
    const kavro_incompat_t *inc = kavro_compat_result_get(result, i);
    if (!inc || !kavro_incompat_kind_name(inc->kind) || !inc->message ||
        !inc->reader_location || !inc->writer_location ||
        inc->previous_index >= count)
      abort();
    const kavro_schema_t *other = previous[inc->previous_index];
    bool candidate_reads = inc->role == KAVRO_COMPAT_CANDIDATE_READS;
    locate(candidate_reads ? candidate : other, inc->reader_location);
    locate(candidate_reads ? other : candidate, inc->writer_location);
  }
}

static void check_level(kavro_compat_level_t level,
                        kavro_schema_t *const *versions, size_t count) {
  if (count == 0)
    return;
  kavro_compat_result_t *result = NULL;
  kavro_err_t err = kavro_compat_check_level(level, versions[count - 1],
                                             versions, count - 1, &result,
                                             NULL);
  if (err == KAVRO_OK)
    check_findings(result, versions[count - 1], versions, count - 1);
  else if (err != KAVRO_ERR_LIMIT)
    abort();
  kavro_compat_result_destroy(result);
}

/* Every pointer of the input, looked up in every schema that parsed. */
static void locate_pointers(const input_t *in, kavro_schema_t *const *schemas,
                            size_t count) {
  if (!in->pointers)
    return;
  char *copy = strndup(in->pointers, in->pointers_size);
  if (!copy)
    abort();
  char *rest = copy;
  for (int n = 0; n < MAX_POINTERS && rest; n++) {
    char *pointer = strsep(&rest, "\n");
    for (size_t i = 0; i < count; i++)
      locate(schemas[i], pointer);
  }
  free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  kavro_compat_level_t level = (kavro_compat_level_t)((data[0] & 7) %
                                                      LEVEL_COUNT);
  size_t shared_wanted = ((data[0] >> 3) & 3) % 3;
  input_t in;
  split((const char *)data + 1, size - 1, &in);

  /* Shared types see the ones before them; versions see all of them. */
  kavro_schema_t *parsed[MAX_SCHEMAS];
  size_t shared = 0, count = 0;
  for (size_t i = 0; i < in.schema_count; i++) {
    kavro_schema_t *schema = parse(&in, i, parsed, shared);
    if (!schema)
      continue;
    parsed[count++] = schema;
    if (i < shared_wanted)
      shared = count;
  }
  check_level(level, parsed + shared, count - shared);
  locate_pointers(&in, parsed, count);
  for (size_t i = count; i-- > 0;)
    kavro_schema_destroy(parsed[i]);
  return 0;
}
