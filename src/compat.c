/*
 * kavro - schema compatibility: the public API, results, and the seven
 * Schema Registry levels built on the reader/writer check of
 * compat_graph.c and compat_report.c.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "compat_int.h"
#include "common_error_int.h"

struct kavro_compat_result_s {
  kavro_incompat_t *items;
  size_t count, capacity;
};

/* ---- names ------------------------------------------------------------- */

static const char *const level_names[] = {
    [KAVRO_COMPAT_NONE] = "NONE",
    [KAVRO_COMPAT_BACKWARD] = "BACKWARD",
    [KAVRO_COMPAT_BACKWARD_TRANSITIVE] = "BACKWARD_TRANSITIVE",
    [KAVRO_COMPAT_FORWARD] = "FORWARD",
    [KAVRO_COMPAT_FORWARD_TRANSITIVE] = "FORWARD_TRANSITIVE",
    [KAVRO_COMPAT_FULL] = "FULL",
    [KAVRO_COMPAT_FULL_TRANSITIVE] = "FULL_TRANSITIVE",
};
#define LEVEL_COUNT (sizeof(level_names) / sizeof(level_names[0]))

static const char *const kind_names[] = {
    [KAVRO_INCOMPAT_NAME_MISMATCH] = "NAME_MISMATCH",
    [KAVRO_INCOMPAT_FIXED_SIZE_MISMATCH] = "FIXED_SIZE_MISMATCH",
    [KAVRO_INCOMPAT_MISSING_ENUM_SYMBOLS] = "MISSING_ENUM_SYMBOLS",
    [KAVRO_INCOMPAT_READER_FIELD_MISSING_DEFAULT_VALUE] =
        "READER_FIELD_MISSING_DEFAULT_VALUE",
    [KAVRO_INCOMPAT_TYPE_MISMATCH] = "TYPE_MISMATCH",
    [KAVRO_INCOMPAT_MISSING_UNION_BRANCH] = "MISSING_UNION_BRANCH",
};
#define KIND_COUNT (sizeof(kind_names) / sizeof(kind_names[0]))

const char *kavro_compat_level_name(kavro_compat_level_t level) {
  return (unsigned)level < LEVEL_COUNT ? level_names[level] : "UNKNOWN";
}

kavro_err_t kavro_compat_level_parse(const char *name,
                                     kavro_compat_level_t *level) {
  if (!name || !level)
    return KAVRO_ERR_INVALID_ARG;
  for (size_t i = 0; i < LEVEL_COUNT; i++) {
    if (strcasecmp(name, level_names[i]) == 0) {
      *level = (kavro_compat_level_t)i;
      return KAVRO_OK;
    }
  }
  return KAVRO_ERR_INVALID_ARG;
}

const char *kavro_incompat_kind_name(kavro_incompat_kind_t kind) {
  return (unsigned)kind < KIND_COUNT ? kind_names[kind] : "UNKNOWN";
}

/* ---- results ----------------------------------------------------------- */

kavro_compat_result_t *kv_compat_result_new(void) {
  return calloc(1, sizeof(kavro_compat_result_t));
}

static bool result_reserve(kavro_compat_result_t *result) {
  if (result->count < result->capacity)
    return true;
  size_t cap = result->capacity ? result->capacity * 2 : 8;
  kavro_incompat_t *items = realloc(result->items, cap * sizeof(*items));
  if (!items)
    return false;
  result->items = items;
  result->capacity = cap;
  return true;
}

kavro_err_t kv_compat_result_add(kavro_compat_result_t *result,
                                 kavro_incompat_kind_t kind,
                                 char *reader_location, char *writer_location,
                                 char *message, const kv_wording_t *wording) {
  if (!reader_location || !writer_location || !message ||
      !result_reserve(result)) {
    free(reader_location);
    free(writer_location);
    free(message);
    return KAVRO_ERR_NOMEM;
  }
  kavro_incompat_t *item = &result->items[result->count++];
  item->kind = kind;
  item->reader_location = reader_location;
  item->writer_location = writer_location;
  item->message = message;
  item->previous_index =
      wording->voice == KV_VOICE_PAIR ? 0 : wording->previous_index;
  item->role = wording->voice == KV_VOICE_PREVIOUS_READS
                   ? KAVRO_COMPAT_PREVIOUS_READS
                   : KAVRO_COMPAT_CANDIDATE_READS;
  return KAVRO_OK;
}

bool kavro_compat_result_is_compatible(const kavro_compat_result_t *result) {
  return !result || result->count == 0;
}

size_t kavro_compat_result_count(const kavro_compat_result_t *result) {
  return result ? result->count : 0;
}

const kavro_incompat_t *kavro_compat_result_get(const kavro_compat_result_t *result,
                                                size_t i) {
  return result && i < result->count ? &result->items[i] : NULL;
}

void kavro_compat_result_destroy(kavro_compat_result_t *result) {
  if (!result)
    return;
  for (size_t i = 0; i < result->count; i++) {
    free((char *)result->items[i].reader_location);
    free((char *)result->items[i].writer_location);
    free((char *)result->items[i].message);
  }
  free(result->items);
  free(result);
}

/* ---- checks -------------------------------------------------------------- */

/* Run @pairs (reader, writer) checks into a new result for *@resultp. */
typedef struct kv_pair_check_s {
  const kavro_schema_t *reader, *writer;
  kv_wording_t wording;
} kv_pair_check_t;

static kavro_err_t run_checks(const kv_pair_check_t *checks, size_t count,
                              kavro_compat_result_t **resultp,
                              kavro_error_t *error) {
  kavro_compat_result_t *result = kv_compat_result_new();
  if (!result)
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  kv_compat_graph_t graph;
  kv_compat_graph_init(&graph);
  kavro_err_t err = KAVRO_OK;
  for (size_t i = 0; !err && i < count; i++)
    err = kv_compat_collect(&graph, checks[i].reader, checks[i].writer,
                            &checks[i].wording, result, error);
  kv_compat_graph_free(&graph);
  if (err) {
    kavro_compat_result_destroy(result);
    return err;
  }
  *resultp = result;
  return KAVRO_OK;
}

kavro_err_t kavro_compat_check(const kavro_schema_t *reader,
                               const kavro_schema_t *writer,
                               kavro_compat_result_t **resultp,
                               kavro_error_t *error) {
  kv_error_clear(error);
  if (resultp)
    *resultp = NULL;
  if (!reader || !writer || !resultp)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "kavro_compat_check needs a reader, a writer and a "
                        "place for the result");
  kv_pair_check_t check = {reader, writer, {KV_VOICE_PAIR, 0, false}};
  return run_checks(&check, 1, resultp, error);
}

bool kavro_compat_level_is_transitive(kavro_compat_level_t level) {
  return level == KAVRO_COMPAT_BACKWARD_TRANSITIVE ||
         level == KAVRO_COMPAT_FORWARD_TRANSITIVE ||
         level == KAVRO_COMPAT_FULL_TRANSITIVE;
}

static bool level_candidate_reads(kavro_compat_level_t level) {
  return level == KAVRO_COMPAT_BACKWARD ||
         level == KAVRO_COMPAT_BACKWARD_TRANSITIVE ||
         level == KAVRO_COMPAT_FULL || level == KAVRO_COMPAT_FULL_TRANSITIVE;
}

static bool level_previous_reads(kavro_compat_level_t level) {
  return level == KAVRO_COMPAT_FORWARD ||
         level == KAVRO_COMPAT_FORWARD_TRANSITIVE ||
         level == KAVRO_COMPAT_FULL || level == KAVRO_COMPAT_FULL_TRANSITIVE;
}

kavro_err_t kavro_compat_check_level(kavro_compat_level_t level,
                                     const kavro_schema_t *candidate,
                                     kavro_schema_t *const *previous,
                                     size_t count,
                                     kavro_compat_result_t **resultp,
                                     kavro_error_t *error) {
  kv_error_clear(error);
  if (resultp)
    *resultp = NULL;
  if ((unsigned)level >= LEVEL_COUNT || !candidate || !resultp ||
      (count && !previous))
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "kavro_compat_check_level needs a known level, a "
                        "candidate, the previous schemas and a place for the "
                        "result");
  for (size_t i = 0; i < count; i++)
    if (!previous[i])
      return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                          "previous schema %zu is NULL", i + 1);
  /* NONE checks nothing, and a first version has nothing to break. */
  size_t first = kavro_compat_level_is_transitive(level) || count == 0 ? 0 : count - 1;
  if (level == KAVRO_COMPAT_NONE)
    first = count;
  kv_pair_check_t *checks = calloc(2 * (count - first) + 1, sizeof(*checks));
  if (!checks)
    return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
  size_t n = 0;
  for (size_t i = first; i < count; i++) {
    kv_wording_t wording = {KV_VOICE_CANDIDATE_READS, i,
                            !kavro_compat_level_is_transitive(level)};
    if (level_candidate_reads(level))
      checks[n++] = (kv_pair_check_t){candidate, previous[i], wording};
    wording.voice = KV_VOICE_PREVIOUS_READS;
    if (level_previous_reads(level))
      checks[n++] = (kv_pair_check_t){previous[i], candidate, wording};
  }
  kavro_err_t err = run_checks(checks, n, resultp, error);
  free(checks);
  return err;
}
