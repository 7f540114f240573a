/*
 * libFuzzer harness: sr-compat's reader of .sr-compat.yaml.
 *
 * The configuration comes with the repository under review, so its bytes
 * are untrusted: whatever they are, the reader gives either a value with
 * the position of each node or an error with a position, and nothing
 * crashes, leaks or grows without bound (aliases, which could, are
 * refused).  Checked on every input: a value is JSON's data model (it
 * dumps and reads back equal) and its positions hold the root; every
 * position is 1-based and no further down than the input has bytes; an
 * error names the file, has a text and a line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <kavro.h>

#include "config_yaml.h"

#define SOURCE ".sr-compat.yaml"

static void check_position(json_t *at, size_t size) {
  json_int_t line = json_integer_value(json_array_get(at, 0));
  json_int_t column = json_integer_value(json_array_get(at, 1));
  if (json_array_size(at) != 2 || line < 1 || column < 1 ||
      (size_t)line > size + 1 || (size_t)column > size + 1)
    abort();
}

static void check_value(json_t *root, json_t *positions, size_t size) {
  if (!json_object_get(positions, ""))
    abort();
  const char *pointer;
  json_t *at;
  json_object_foreach(positions, pointer, at) check_position(at, size);
  char *dumped = json_dumps(root, JSON_ENCODE_ANY);
  if (!dumped)
    abort();
  json_t *again = json_loads(dumped, JSON_DECODE_ANY, NULL);
  if (!again || !json_equal(root, again))
    abort();
  json_decref(again);
  free(dumped);
}

static void check_error(const kavro_error_t *error, size_t size) {
  if (strcmp(error->source, SOURCE) != 0 || error->text[0] == '\0' ||
      error->line < 1 || (size_t)error->line > size + 1 || error->column < 1)
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* sr-compat reads a file into a NUL-terminated buffer of its length. */
  char *text = malloc(size + 1);
  if (!text)
    return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  json_t *positions = NULL;
  kavro_error_t error;
  json_t *root = sc_yaml_load(SOURCE, text, size, &positions, &error);
  if (root)
    check_value(root, positions, size);
  else if (positions)
    abort();
  else
    check_error(&error, size);
  json_decref(root);
  json_decref(positions);
  free(text);
  return 0;
}
