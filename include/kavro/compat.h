/*
 * kavro - schema compatibility: can a reader holding one schema decode what
 * a writer wrote with another (the Avro resolution rules), and the seven
 * Schema Registry levels built on that.
 *
 * A check lists every incompatibility it finds, not only the first, each
 * with its kind, a JSON pointer into the reader schema and one into the
 * writer schema, and a message written for a person.
 *
 * Thread safety: checks only read their schemas; any number may run at
 * once.  A kavro_compat_result_t is not shared: one thread at a time.
 */
#ifndef KAVRO_COMPAT_H
#define KAVRO_COMPAT_H

#include <stdbool.h>
#include <stddef.h>

#include <kavro/common.h>
#include <kavro/schema.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The registry's compatibility levels. */
typedef enum kavro_compat_level_e {
  KAVRO_COMPAT_NONE,
  KAVRO_COMPAT_BACKWARD,
  KAVRO_COMPAT_BACKWARD_TRANSITIVE,
  KAVRO_COMPAT_FORWARD,
  KAVRO_COMPAT_FORWARD_TRANSITIVE,
  KAVRO_COMPAT_FULL,
  KAVRO_COMPAT_FULL_TRANSITIVE
} kavro_compat_level_t;

/** "BACKWARD", ...  Static storage. */
KAVRO_EXPORT const char *kavro_compat_level_name(kavro_compat_level_t level);

/** True for the _TRANSITIVE levels, which hold a new schema against every
 *  earlier version rather than the latest only. */
KAVRO_EXPORT bool kavro_compat_level_is_transitive(kavro_compat_level_t level);

/** Parse a level name (case-insensitive).  KAVRO_ERR_INVALID_ARG if
 *  unknown. */
KAVRO_EXPORT kavro_err_t kavro_compat_level_parse(const char *name,
                                                  kavro_compat_level_t *level);

/** Kinds of incompatibility, as Apache Avro's reference checker names them. */
typedef enum kavro_incompat_kind_e {
  KAVRO_INCOMPAT_NAME_MISMATCH,
  KAVRO_INCOMPAT_FIXED_SIZE_MISMATCH,
  KAVRO_INCOMPAT_MISSING_ENUM_SYMBOLS,
  KAVRO_INCOMPAT_READER_FIELD_MISSING_DEFAULT_VALUE,
  KAVRO_INCOMPAT_TYPE_MISMATCH,
  KAVRO_INCOMPAT_MISSING_UNION_BRANCH
} kavro_incompat_kind_t;

/** "NAME_MISMATCH", ...  Static storage. */
KAVRO_EXPORT const char *kavro_incompat_kind_name(kavro_incompat_kind_t kind);

/** The outcome of a check: zero or more incompatibilities.  Opaque. */
typedef struct kavro_compat_result_s kavro_compat_result_t;

/** Which schema played the reader in the pair an incompatibility came
 *  from, in a level check. */
typedef enum kavro_compat_role_e {
  KAVRO_COMPAT_CANDIDATE_READS, /**< candidate = reader, previous = writer */
  KAVRO_COMPAT_PREVIOUS_READS   /**< previous = reader, candidate = writer */
} kavro_compat_role_t;

/**
 * One incompatibility.  Pointers are valid as long as the result lives.
 *
 * Locations follow Apache Avro's checker: "/" for the top level, then
 * "/fields/3/type", "/items", "/values", "/name", "/size", "/symbols"; a
 * reader field without a default is "/fields/3"; a writer union branch that
 * no branch of a reader union reads ends in the writer branch's index
 * (reader and writer location alike).  A named type reached through a
 * reference by name is located at its definition, so a location leads to
 * text that kavro_schema_locate() finds, except a branch index the reader
 * union does not have, and a type that comes from a referenced schema (then
 * it leads as far as the reference).
 */
typedef struct kavro_incompat_s {
  kavro_incompat_kind_t kind;
  const char *reader_location; /**< JSON pointer into the reader schema */
  const char *writer_location; /**< JSON pointer into the writer schema */
  const char *message;         /**< for a person, names fields and types */
  /* Level checks only (0 for a plain pair check): */
  size_t previous_index;       /**< index into the previous schemas */
  kavro_compat_role_t role;
} kavro_incompat_t;

/**
 * Check whether @p reader can read everything written with @p writer.
 * Stores a new result in @p *resultp (free with
 * kavro_compat_result_destroy()); returns KAVRO_OK even when incompatible
 * (ask kavro_compat_result_is_compatible()), KAVRO_ERR_NOMEM or
 * KAVRO_ERR_INVALID_ARG otherwise, and KAVRO_ERR_LIMIT for schemas whose
 * comparison would exceed the engine's bounds (about a million reader/writer
 * type pairs: only unions of thousands of branches on both sides get near).
 * The schemas are only read; the result is the caller's.  Work is linear in
 * the size of the schemas.
 */
KAVRO_EXPORT kavro_err_t kavro_compat_check(const kavro_schema_t *reader,
                                            const kavro_schema_t *writer,
                                            kavro_compat_result_t **resultp,
                                            kavro_error_t *error);

/**
 * Check @p candidate against a subject's @p previous versions (oldest
 * first, @p count of them) under @p level: the latest only, or all of them
 * for the _TRANSITIVE levels; as reader (BACKWARD), as writer (FORWARD) or
 * both (FULL).  NONE always passes, and so does an empty history.  Findings
 * come oldest previous schema first, and are worded for the candidate's
 * author: "consumers using this schema cannot read events written before
 * it", with the previous schema called "the latest schema", or "previous
 * schema N" (N = previous_index + 1) for the _TRANSITIVE levels.  Result
 * and errors as for kavro_compat_check().
 */
KAVRO_EXPORT kavro_err_t kavro_compat_check_level(kavro_compat_level_t level,
                                                  const kavro_schema_t *candidate,
                                                  kavro_schema_t *const *previous,
                                                  size_t count,
                                                  kavro_compat_result_t **resultp,
                                                  kavro_error_t *error);

/** True when the result holds no incompatibility. */
KAVRO_EXPORT bool kavro_compat_result_is_compatible(const kavro_compat_result_t *result);

/** Number of incompatibilities. */
KAVRO_EXPORT size_t kavro_compat_result_count(const kavro_compat_result_t *result);

/** Incompatibility @p i (< count), borrowed from the result. */
KAVRO_EXPORT const kavro_incompat_t *kavro_compat_result_get(const kavro_compat_result_t *result,
                                                             size_t i);

/** Free a result.  NULL-safe. */
KAVRO_EXPORT void kavro_compat_result_destroy(kavro_compat_result_t *result);

#ifdef __cplusplus
}
#endif
#endif /* KAVRO_COMPAT_H */
