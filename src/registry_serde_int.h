/*
 * kavro - what the serde part asks of the registry client beyond the
 * public API: questions prepared once, so that the deserializer's
 * per-message lookups build nothing and allocate nothing when cached.
 */
#ifndef KAVRO_REGISTRY_SERDE_INT_H
#define KAVRO_REGISTRY_SERDE_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "kavro/registry.h"

/* The question of kavro_registry_latest_with_metadata(): its query string
 * and the cache key derived from it. */
typedef struct kv_metadata_query_s kv_metadata_query_t;

/* Prepare the question for the @count pairs of @keys and @values (and
 * deleted versions when @deleted) into @*qp.  KAVRO_ERR_INVALID_ARG for a
 * NULL key or value, KAVRO_ERR_NOMEM. */
kavro_err_t kv_metadata_query_new(const char *const *keys,
                                  const char *const *values, size_t count,
                                  bool deleted, kv_metadata_query_t **qp,
                                  kavro_error_t *error);
void kv_metadata_query_destroy(kv_metadata_query_t *q);

/* As kavro_registry_latest_with_metadata() for the prepared @q: the
 * schema (a new reference) in @*schemap and a copy of its info in @*infop,
 * each when not NULL.  With @infop NULL a cache hit allocates nothing.
 * @subject is not checked: the caller built it. */
kavro_err_t kv_registry_latest_with_metadata_prepared(
    kavro_registry_t *reg, const char *subject, const kv_metadata_query_t *q,
    kavro_schema_t **schemap, kavro_schema_info_t **infop,
    kavro_error_t *error);

#endif /* KAVRO_REGISTRY_SERDE_INT_H */
