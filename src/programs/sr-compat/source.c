/*
 * sr-compat - what every source of previous versions shares (see source.h).
 */
#include <stdlib.h>
#include <string.h>

#include "source.h"
#include "util.h"

void sc_versions_add(sc_versions_t *versions, char *text, size_t length,
                     char *label) {
  SC_GROW(versions->items, versions->count, versions->capacity);
  versions->items[versions->count++] = (sc_version_t){text, length, label,
                                                     NULL, 0};
}

void sc_versions_add_schema(sc_versions_t *versions, kavro_schema_t *schema,
                            int number, char *label) {
  const char *text = kavro_schema_text(schema);
  SC_GROW(versions->items, versions->count, versions->capacity);
  versions->items[versions->count++] =
      (sc_version_t){sc_xstrdup(text), strlen(text), label, schema, number};
}

void sc_versions_clear(sc_versions_t *versions) {
  for (size_t i = 0; i < versions->count; i++) {
    free(versions->items[i].text);
    free(versions->items[i].label);
    kavro_schema_destroy(versions->items[i].schema);
  }
  free(versions->items);
  *versions = (sc_versions_t){0};
}

void sc_source_destroy(sc_source_t *source) {
  if (!source)
    return;
  free(source->description);
  source->destroy(source);
}
