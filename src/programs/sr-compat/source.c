/*
 * sr-compat - what every source of previous versions shares (see source.h).
 */
#include <stdlib.h>

#include "source.h"
#include "util.h"

void sc_versions_add(sc_versions_t *versions, char *text, size_t length,
                     char *label) {
  SC_GROW(versions->items, versions->count, versions->capacity);
  versions->items[versions->count++] = (sc_version_t){text, length, label};
}

void sc_versions_clear(sc_versions_t *versions) {
  for (size_t i = 0; i < versions->count; i++) {
    free(versions->items[i].text);
    free(versions->items[i].label);
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
