/*
 * kavro tests - the compatibility engine.
 *
 * Conformance: every `kind: compat` row of compat.jsonl.  The verdict and the
 * set of (kind, reader location) pairs follow python3-avro 1.11.1, the
 * reference that implements the 1.11 rules, except in the rows of
 * spec_cases below, where kavro follows the Avro 1.11 specification (see
 * the conformance README, "Known disagreements").  Rows where python and
 * Java 1.8.2 disagree and python is the one that follows the specification
 * need no entry:
 *   - enum defaults (spec 1.9+; Java 1.8.2 predates them):
 *     compat.enum.reader_removes_symbol_reader_enum_default,
 *     compat.enum.disjoint_symbols_reader_enum_default;
 *   - named types match on unqualified names (Java compares full names):
 *     compat.namespace.nested_inner_namespace_differs,
 *     compat.namespace.nested_enum_namespace_differs,
 *     compat.field_service.ProjectCreated.change_namespace.backward,
 *     compat.field_service.ServiceOrderCreated.change_namespace.backward,
 *     compat.field_service.FsmOrderStatusUpdated.change_namespace.backward.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat_int.h"
#include "kavro.h"
#include "testutil.h"

/* Rows where kavro's expected answer is not python's. */
static const struct {
  const char *id;
  bool compatible;
  const char *findings; /* sorted "KIND reader_location" lines */
  const char *why;
} spec_cases[] = {
    /* An error is a record (python's checker raises; Java agrees). */
    {"compat.record.error_vs_record", true, "", "error is a record"},
    /* A reader alias is a name, relative to the record's namespace: "Y" in
     * namespace a is a.Y, the writer's full name (python compares the alias
     * text with the full name; Java qualifies it). */
    {"compat.namespace.record_alias_relative_same_namespace", true, "",
     "alias relative to the namespace"},
    /* A problem inside a writer union: python reports it at "/" (README
     * "Python quirks"); kavro names the reader type that cannot read it. */
    {"compat.field_service.ProjectCreated.make_field_nullable.forward", false,
     "TYPE_MISMATCH /fields/3/type", "writer union location"},
    {"compat.field_service.CheckinCompleted.make_field_nullable.forward", false,
     "TYPE_MISMATCH /fields/4/type", "writer union location"},
    {"compat.field_service.TvOutcomeRecorded.drop_null_from_optional_array.backward",
     false, "TYPE_MISMATCH /fields/5/type", "writer union location"},
    {"compat.map.values_nullable_writer", false, "TYPE_MISMATCH /values",
     "writer union location"},
};
#define SPEC_CASE_COUNT (sizeof(spec_cases) / sizeof(spec_cases[0]))

static json_t *vectors;     /* every row of compat.jsonl */
static json_t *compat_rows; /* its `kind: compat` rows */

/* ---- helpers --------------------------------------------------------------- */

static kavro_schema_t *parse(const char *text) {
  kavro_schema_t *s = NULL;
  kavro_error_t err;
  kavro_err_t rc = kavro_schema_parse(text, strlen(text), NULL, &s, &err);
  ck_assert_msg(rc == KAVRO_OK, "parse failed: %s (%s) in %s", err.text,
                err.path, text);
  return s;
}

static kavro_schema_t *parse_json(const json_t *j) {
  char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
                                 JSON_ENCODE_ANY);
  ck_assert_ptr_nonnull(text);
  kavro_schema_t *s = parse(text);
  free(text);
  return s;
}

static kavro_compat_result_t *check_pair(const kavro_schema_t *reader,
                                         const kavro_schema_t *writer) {
  kavro_compat_result_t *res = NULL;
  kavro_error_t err;
  ck_assert_int_eq(kavro_compat_check(reader, writer, &res, &err), KAVRO_OK);
  ck_assert_ptr_nonnull(res);
  return res;
}

static int compare_strings(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort and de-duplicate @lines, then join them with '\n' (frees them). */
static char *join_set(char **lines, size_t n) {
  qsort(lines, n, sizeof(*lines), compare_strings);
  size_t total = 1;
  for (size_t i = 0; i < n; i++)
    total += strlen(lines[i]) + 1;
  char *out = calloc(1, total);
  ck_assert_ptr_nonnull(out);
  for (size_t i = 0; i < n; i++) {
    if (i == 0 || strcmp(lines[i], lines[i - 1]) != 0) {
      if (*out)
        strcat(out, "\n");
      strcat(out, lines[i]);
    }
  }
  for (size_t i = 0; i < n; i++)
    free(lines[i]);
  free(lines);
  return out;
}

static char *kind_and_location(const char *kind, const char *location) {
  char *s = malloc(strlen(kind) + strlen(location) + 2);
  ck_assert_ptr_nonnull(s);
  sprintf(s, "%s %s", kind, location);
  return s;
}

/* kavro's findings as a sorted set of "KIND reader_location" lines. */
static char *result_set(const kavro_compat_result_t *res) {
  size_t n = kavro_compat_result_count(res);
  char **lines = calloc(n + 1, sizeof(*lines));
  for (size_t i = 0; i < n; i++) {
    const kavro_incompat_t *x = kavro_compat_result_get(res, i);
    lines[i] = kind_and_location(kavro_incompat_kind_name(x->kind),
                                 x->reader_location);
  }
  return join_set(lines, n);
}

/* python's findings in the same form ("type_mismatch" -> TYPE_MISMATCH). */
static char *python_set(const json_t *incompatibilities) {
  size_t n = json_array_size(incompatibilities);
  char **lines = calloc(n + 1, sizeof(*lines));
  for (size_t i = 0; i < n; i++) {
    const json_t *x = json_array_get(incompatibilities, i);
    char kind[64];
    snprintf(kind, sizeof(kind), "%s",
             json_string_value(json_object_get(x, "type")));
    for (char *c = kind; *c; c++)
      *c = (char)(*c >= 'a' && *c <= 'z' ? *c - 'a' + 'A' : *c);
    lines[i] = kind_and_location(
        kind, json_string_value(json_object_get(x, "location")));
  }
  return join_set(lines, n);
}

/* Does JSON pointer @pointer lead somewhere in @schema's text?  A reader
 * union facing a writer union is reported at the writer branch's index,
 * which the reader union need not have: then its parent must exist. */
static bool location_resolves(const kavro_schema_t *schema,
                              const char *pointer, bool allow_branch_index) {
  if (kavro_schema_locate(schema, strcmp(pointer, "/") ? pointer : "", NULL,
                          NULL))
    return true;
  if (!allow_branch_index)
    return false;
  char parent[512];
  snprintf(parent, sizeof(parent), "%s", pointer);
  char *slash = strrchr(parent, '/');
  if (!slash)
    return false;
  *slash = '\0';
  return kavro_schema_locate(schema, parent, NULL, NULL);
}

/* Every finding: a message, and locations that lead into the texts. */
static void check_findings_are_sound(const kavro_compat_result_t *res,
                                     const kavro_schema_t *reader,
                                     const kavro_schema_t *writer,
                                     const char *id) {
  for (size_t i = 0; i < kavro_compat_result_count(res); i++) {
    const kavro_incompat_t *x = kavro_compat_result_get(res, i);
    ck_assert_msg(x->message && strlen(x->message) > 20, "%s: no message", id);
    ck_assert_msg(location_resolves(reader, x->reader_location,
                                    x->kind == KAVRO_INCOMPAT_MISSING_UNION_BRANCH),
                  "%s: reader location %s leads nowhere", id,
                  x->reader_location);
    ck_assert_msg(location_resolves(writer, x->writer_location, false),
                  "%s: writer location %s leads nowhere", id,
                  x->writer_location);
  }
  ck_assert_ptr_null(kavro_compat_result_get(res, kavro_compat_result_count(res)));
}

static const json_t *vector(const char *id) {
  size_t i;
  json_t *row;
  json_array_foreach(vectors, i, row)
    if (strcmp(json_string_value(json_object_get(row, "id")), id) == 0)
      return row;
  ck_abort_msg("no vector %s", id);
  return NULL;
}

static bool has_finding(const kavro_compat_result_t *res,
                        kavro_incompat_kind_t kind, const char *location) {
  for (size_t i = 0; i < kavro_compat_result_count(res); i++) {
    const kavro_incompat_t *x = kavro_compat_result_get(res, i);
    if (x->kind == kind && strcmp(x->reader_location, location) == 0)
      return true;
  }
  return false;
}

/* ---- conformance ------------------------------------------------------------ */

/* The `kind: compat` rows (`kind: parse` rows belong to check_schema). */
static json_t *select_compat_rows(void) {
  json_t *rows = json_array();
  size_t i;
  json_t *row;
  json_array_foreach(vectors, i, row)
    if (strcmp(json_string_value(json_object_get(row, "kind")), "compat") == 0)
      json_array_append(rows, row);
  return rows;
}

/* Compat row @_i. */
START_TEST(test_conformance_row) {
  const json_t *row = json_array_get(compat_rows, (size_t)_i);
  const char *id = json_string_value(json_object_get(row, "id"));
  kavro_schema_t *reader = parse_json(json_object_get(row, "reader"));
  kavro_schema_t *writer = parse_json(json_object_get(row, "writer"));
  kavro_compat_result_t *res = check_pair(reader, writer);

  bool expect_compatible;
  char *expected;
  size_t k = 0;
  while (k < SPEC_CASE_COUNT && strcmp(spec_cases[k].id, id) != 0)
    k++;
  if (k < SPEC_CASE_COUNT) {
    expect_compatible = spec_cases[k].compatible;
    expected = strdup(spec_cases[k].findings);
  } else {
    const json_t *py = json_object_get(row, "py_compatible");
    ck_assert_msg(json_is_boolean(py), "%s: no python verdict to follow", id);
    expect_compatible = json_is_true(py);
    expected = python_set(json_object_get(row, "py_incompatibilities"));
  }
  char *got = result_set(res);
  ck_assert_msg(kavro_compat_result_is_compatible(res) == expect_compatible,
                "%s: expected %s, got %s:\n%s", id,
                expect_compatible ? "compatible" : "incompatible",
                kavro_compat_result_is_compatible(res) ? "compatible"
                                                       : "incompatible",
                got);
  ck_assert_msg(strcmp(got, expected) == 0, "%s: findings\n%s\nexpected\n%s",
                id, got, expected);
  check_findings_are_sound(res, reader, writer, id);
  free(got);
  free(expected);
  kavro_compat_result_destroy(res);
  kavro_schema_destroy(reader);
  kavro_schema_destroy(writer);
}
END_TEST

START_TEST(test_conformance_coverage) {
  /* Every spec case names a row that exists, and the file has its rows. */
  for (size_t k = 0; k < SPEC_CASE_COUNT; k++)
    ck_assert_ptr_nonnull(vector(spec_cases[k].id));
  ck_assert_uint_ge(json_array_size(compat_rows), 180);
}
END_TEST

/* Every schema of the file reads itself, and the reverse of each pair gives
 * sound findings (messages, locations that lead into the texts). */
START_TEST(test_conformance_self_compatible) {
  size_t i;
  json_t *row;
  json_array_foreach(compat_rows, i, row) {
    kavro_schema_t *reader = parse_json(json_object_get(row, "reader"));
    kavro_schema_t *writer = parse_json(json_object_get(row, "writer"));
    kavro_compat_result_t *res = check_pair(reader, reader);
    ck_assert_msg(kavro_compat_result_is_compatible(res), "%s",
                  json_string_value(json_object_get(row, "id")));
    kavro_compat_result_destroy(res);
    res = check_pair(writer, reader);
    check_findings_are_sound(res, writer, reader,
                             json_string_value(json_object_get(row, "id")));
    kavro_compat_result_destroy(res);
    kavro_schema_destroy(reader);
    kavro_schema_destroy(writer);
  }
}
END_TEST

/* ---- the levels ---------------------------------------------------------------- */

static const char *const record_prefix =
    "{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"com.x\",\"fields\":[";

/* A record com.x.R with the given fields (JSON text without brackets). */
static kavro_schema_t *record_with(const char *fields) {
  char text[2048];
  snprintf(text, sizeof(text), "%s%s]}", record_prefix, fields);
  return parse(text);
}

static kavro_compat_result_t *check_level(kavro_compat_level_t level,
                                          const kavro_schema_t *candidate,
                                          kavro_schema_t *const *previous,
                                          size_t count) {
  kavro_compat_result_t *res = NULL;
  kavro_error_t err;
  ck_assert_int_eq(kavro_compat_check_level(level, candidate, previous, count,
                                            &res, &err),
                   KAVRO_OK);
  return res;
}

static void destroy_all(kavro_schema_t **schemas, size_t n) {
  for (size_t i = 0; i < n; i++)
    kavro_schema_destroy(schemas[i]);
}

START_TEST(test_level_names) {
  for (int l = KAVRO_COMPAT_NONE; l <= KAVRO_COMPAT_FULL_TRANSITIVE; l++) {
    kavro_compat_level_t parsed;
    const char *name = kavro_compat_level_name((kavro_compat_level_t)l);
    ck_assert_int_eq(kavro_compat_level_parse(name, &parsed), KAVRO_OK);
    ck_assert_int_eq(parsed, l);
  }
  kavro_compat_level_t parsed;
  ck_assert_int_eq(kavro_compat_level_parse("full_transitive", &parsed), KAVRO_OK);
  ck_assert_int_eq(parsed, KAVRO_COMPAT_FULL_TRANSITIVE);
  ck_assert_int_eq(kavro_compat_level_parse("Backward", &parsed), KAVRO_OK);
  ck_assert_int_eq(parsed, KAVRO_COMPAT_BACKWARD);
  ck_assert_int_eq(kavro_compat_level_parse("SIDEWAYS", &parsed),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_int_eq(kavro_compat_level_parse(NULL, &parsed), KAVRO_ERR_INVALID_ARG);
  ck_assert_str_eq(kavro_compat_level_name((kavro_compat_level_t)99), "UNKNOWN");
  ck_assert_str_eq(kavro_incompat_kind_name(KAVRO_INCOMPAT_MISSING_UNION_BRANCH),
                   "MISSING_UNION_BRANCH");
  ck_assert_str_eq(kavro_incompat_kind_name(
                       KAVRO_INCOMPAT_READER_FIELD_MISSING_DEFAULT_VALUE),
                   "READER_FIELD_MISSING_DEFAULT_VALUE");
}
END_TEST

/* v1 b:string, v2 b removed, candidate b:int with a default.  The candidate
 * reads v2 (b filled by its default) but not v1 (string is not int). */
START_TEST(test_level_backward_transitive) {
  kavro_schema_t *history[] = {
      record_with("{\"name\":\"a\",\"type\":\"int\"},"
                  "{\"name\":\"b\",\"type\":\"string\",\"default\":\"x\"}"),
      record_with("{\"name\":\"a\",\"type\":\"int\"}"),
  };
  kavro_schema_t *candidate = record_with(
      "{\"name\":\"a\",\"type\":\"int\"},"
      "{\"name\":\"b\",\"type\":\"int\",\"default\":0}");
  kavro_compat_result_t *res =
      check_level(KAVRO_COMPAT_BACKWARD, candidate, history, 2);
  ck_assert(kavro_compat_result_is_compatible(res));
  kavro_compat_result_destroy(res);

  res = check_level(KAVRO_COMPAT_BACKWARD_TRANSITIVE, candidate, history, 2);
  ck_assert_uint_eq(kavro_compat_result_count(res), 1);
  const kavro_incompat_t *x = kavro_compat_result_get(res, 0);
  ck_assert_int_eq(x->kind, KAVRO_INCOMPAT_TYPE_MISMATCH);
  ck_assert_str_eq(x->reader_location, "/fields/1/type");
  ck_assert_str_eq(x->writer_location, "/fields/1/type");
  ck_assert_uint_eq(x->previous_index, 0);
  ck_assert_int_eq(x->role, KAVRO_COMPAT_CANDIDATE_READS);
  ck_assert_ptr_nonnull(strstr(x->message, "field `b` of com.x.R"));
  ck_assert_ptr_nonnull(strstr(x->message, "previous schema 1"));
  kavro_compat_result_destroy(res);

  /* Under FORWARD the old schemas read the candidate: b is int there. */
  res = check_level(KAVRO_COMPAT_FORWARD_TRANSITIVE, candidate, history, 2);
  ck_assert_uint_eq(kavro_compat_result_count(res), 1);
  ck_assert_int_eq(kavro_compat_result_get(res, 0)->role,
                   KAVRO_COMPAT_PREVIOUS_READS);
  kavro_compat_result_destroy(res);
  kavro_schema_destroy(candidate);
  destroy_all(history, 2);
}
END_TEST

/* v1 has c required, v2 gives c a default, v3 adds d with a default; the
 * candidate drops c.  v2 and v3 read the candidate, v1 cannot. */
START_TEST(test_level_forward_and_full_transitive) {
  kavro_schema_t *history[] = {
      record_with("{\"name\":\"a\",\"type\":\"int\"},"
                  "{\"name\":\"c\",\"type\":\"string\"}"),
      record_with("{\"name\":\"a\",\"type\":\"int\"},"
                  "{\"name\":\"c\",\"type\":\"string\",\"default\":\"\"}"),
      record_with("{\"name\":\"a\",\"type\":\"int\"},"
                  "{\"name\":\"c\",\"type\":\"string\",\"default\":\"\"},"
                  "{\"name\":\"d\",\"type\":\"long\",\"default\":0}"),
  };
  kavro_schema_t *candidate = record_with(
      "{\"name\":\"a\",\"type\":\"int\"},"
      "{\"name\":\"d\",\"type\":\"long\",\"default\":0}");
  static const struct {
    kavro_compat_level_t level;
    bool compatible;
  } expect[] = {
      {KAVRO_COMPAT_NONE, true},
      {KAVRO_COMPAT_BACKWARD, true},
      {KAVRO_COMPAT_BACKWARD_TRANSITIVE, true},
      {KAVRO_COMPAT_FORWARD, true},
      {KAVRO_COMPAT_FORWARD_TRANSITIVE, false},
      {KAVRO_COMPAT_FULL, true},
      {KAVRO_COMPAT_FULL_TRANSITIVE, false},
  };
  for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
    kavro_compat_result_t *res =
        check_level(expect[i].level, candidate, history, 3);
    ck_assert_msg(kavro_compat_result_is_compatible(res) == expect[i].compatible,
                  "%s", kavro_compat_level_name(expect[i].level));
    if (!expect[i].compatible) {
      ck_assert_uint_eq(kavro_compat_result_count(res), 1);
      const kavro_incompat_t *x = kavro_compat_result_get(res, 0);
      ck_assert_int_eq(x->kind, KAVRO_INCOMPAT_READER_FIELD_MISSING_DEFAULT_VALUE);
      ck_assert_str_eq(x->reader_location, "/fields/1");
      ck_assert_str_eq(x->writer_location, "/");
      ck_assert_uint_eq(x->previous_index, 0);
      ck_assert_int_eq(x->role, KAVRO_COMPAT_PREVIOUS_READS);
      ck_assert_ptr_nonnull(strstr(x->message, "field `c` of com.x.R"));
      ck_assert_ptr_nonnull(strstr(x->message, "previous schema 1"));
    }
    kavro_compat_result_destroy(res);
  }
  kavro_schema_destroy(candidate);
  destroy_all(history, 3);
}
END_TEST

/* FULL checks both ways: string -> int breaks both, int -> long one. */
START_TEST(test_level_full_both_roles) {
  kavro_schema_t *previous[] = {record_with(
      "{\"name\":\"n\",\"type\":\"int\"},{\"name\":\"s\",\"type\":\"string\"}")};
  kavro_schema_t *candidate = record_with(
      "{\"name\":\"n\",\"type\":\"long\"},{\"name\":\"s\",\"type\":\"int\"}");
  kavro_compat_result_t *res =
      check_level(KAVRO_COMPAT_FULL, candidate, previous, 1);
  ck_assert_uint_eq(kavro_compat_result_count(res), 3);
  size_t candidate_reads = 0, previous_reads = 0;
  for (size_t i = 0; i < 3; i++) {
    const kavro_incompat_t *x = kavro_compat_result_get(res, i);
    ck_assert_int_eq(x->kind, KAVRO_INCOMPAT_TYPE_MISMATCH);
    ck_assert_uint_eq(x->previous_index, 0);
    if (x->role == KAVRO_COMPAT_CANDIDATE_READS) {
      candidate_reads++;
      ck_assert_str_eq(x->reader_location, "/fields/1/type");
      ck_assert_ptr_nonnull(strstr(x->message, "consumers using this schema"));
    } else {
      previous_reads++;
      ck_assert_ptr_nonnull(
          strstr(x->message, "consumers still using the latest schema"));
    }
  }
  ck_assert_uint_eq(candidate_reads, 1);
  ck_assert_uint_eq(previous_reads, 2);
  kavro_compat_result_destroy(res);

  /* NONE passes anything; an empty history has nothing to break. */
  res = check_level(KAVRO_COMPAT_NONE, candidate, previous, 1);
  ck_assert(kavro_compat_result_is_compatible(res));
  kavro_compat_result_destroy(res);
  res = check_level(KAVRO_COMPAT_FULL_TRANSITIVE, candidate, NULL, 0);
  ck_assert(kavro_compat_result_is_compatible(res));
  kavro_compat_result_destroy(res);
  kavro_schema_destroy(candidate);
  destroy_all(previous, 1);
}
END_TEST

/* Four versions: only the transitive levels see the break with v1. */
START_TEST(test_level_latest_only) {
  kavro_schema_t *history[] = {
      record_with("{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\","
                  "\"symbols\":[\"A\",\"B\",\"C\"]}}"),
      record_with("{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\","
                  "\"symbols\":[\"A\",\"B\"]}}"),
      record_with("{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\","
                  "\"symbols\":[\"A\",\"B\"]}},"
                  "{\"name\":\"f\",\"type\":\"int\",\"default\":1}"),
  };
  kavro_schema_t *candidate = record_with(
      "{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\","
      "\"symbols\":[\"A\",\"B\"]}}");
  kavro_compat_result_t *res =
      check_level(KAVRO_COMPAT_BACKWARD, candidate, history, 3);
  ck_assert(kavro_compat_result_is_compatible(res));
  kavro_compat_result_destroy(res);
  res = check_level(KAVRO_COMPAT_FULL, candidate, history, 3);
  ck_assert(kavro_compat_result_is_compatible(res));
  kavro_compat_result_destroy(res);
  res = check_level(KAVRO_COMPAT_BACKWARD_TRANSITIVE, candidate, history, 3);
  ck_assert_uint_eq(kavro_compat_result_count(res), 1);
  const kavro_incompat_t *x = kavro_compat_result_get(res, 0);
  ck_assert_int_eq(x->kind, KAVRO_INCOMPAT_MISSING_ENUM_SYMBOLS);
  ck_assert_str_eq(x->reader_location, "/fields/0/type/symbols");
  ck_assert_uint_eq(x->previous_index, 0);
  ck_assert_ptr_nonnull(strstr(x->message, "symbol C "));
  kavro_compat_result_destroy(res);
  res = check_level(KAVRO_COMPAT_FORWARD_TRANSITIVE, candidate, history, 3);
  ck_assert(kavro_compat_result_is_compatible(res));
  kavro_compat_result_destroy(res);
  kavro_schema_destroy(candidate);
  destroy_all(history, 3);
}
END_TEST

START_TEST(test_invalid_arguments) {
  kavro_schema_t *s = parse("\"int\"");
  kavro_compat_result_t *res = (kavro_compat_result_t *)&res;
  kavro_error_t err;
  ck_assert_int_eq(kavro_compat_check(NULL, s, &res, &err), KAVRO_ERR_INVALID_ARG);
  ck_assert_ptr_null(res);
  ck_assert_int_eq(err.code, KAVRO_ERR_INVALID_ARG);
  ck_assert_int_eq(kavro_compat_check(s, s, NULL, NULL), KAVRO_ERR_INVALID_ARG);
  ck_assert_int_eq(kavro_compat_check_level((kavro_compat_level_t)42, s, &s, 1,
                                            &res, NULL),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_int_eq(kavro_compat_check_level(KAVRO_COMPAT_FULL, s, NULL, 2, &res,
                                            NULL),
                   KAVRO_ERR_INVALID_ARG);
  kavro_schema_t *with_null[] = {s, NULL};
  ck_assert_int_eq(kavro_compat_check_level(KAVRO_COMPAT_FULL, s, with_null, 2,
                                            &res, &err),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_ptr_nonnull(strstr(err.text, "previous schema 2"));
  /* Accessors are NULL-safe. */
  ck_assert(kavro_compat_result_is_compatible(NULL));
  ck_assert_uint_eq(kavro_compat_result_count(NULL), 0);
  ck_assert_ptr_null(kavro_compat_result_get(NULL, 0));
  kavro_compat_result_destroy(NULL);
  kavro_schema_destroy(s);
}
END_TEST

/* ---- field-service walkthrough ---------------------------------------------- */

/* A copy of ServiceOrderCreated as the conformance file has it. */
static json_t *service_order_created(void) {
  return json_deep_copy(json_object_get(
      vector("compat.field_service.ServiceOrderCreated.add_required_no_default."
             "backward"),
      "writer"));
}

static json_t *tv_outcome_recorded(void) {
  return json_deep_copy(json_object_get(
      vector("compat.field_service.TvOutcomeRecorded.add_enum_symbol.forward"),
      "reader"));
}

static json_t *field_named(json_t *record, const char *name) {
  size_t i;
  json_t *f;
  json_array_foreach(json_object_get(record, "fields"), i, f)
    if (strcmp(json_string_value(json_object_get(f, "name")), name) == 0)
      return f;
  ck_abort_msg("no field %s", name);
  return NULL;
}

static void add_field(json_t *record, const char *field_json) {
  json_t *f = json_loads(field_json, 0, NULL);
  ck_assert_ptr_nonnull(f);
  json_array_append_new(json_object_get(record, "fields"), f);
}

typedef struct {
  bool backward, forward, full;
} verdicts_t;

/* Check @evolved against @old under the three levels. */
static void expect_levels(const char *what, const json_t *old,
                          const json_t *evolved, verdicts_t want) {
  kavro_schema_t *previous[] = {parse_json(old)};
  kavro_schema_t *candidate = parse_json(evolved);
  static const kavro_compat_level_t levels[] = {
      KAVRO_COMPAT_BACKWARD, KAVRO_COMPAT_FORWARD, KAVRO_COMPAT_FULL};
  const bool expected[] = {want.backward, want.forward, want.full};
  for (size_t i = 0; i < 3; i++) {
    kavro_compat_result_t *res = check_level(levels[i], candidate, previous, 1);
    ck_assert_msg(kavro_compat_result_is_compatible(res) == expected[i],
                  "%s under %s: expected %s (%zu findings; first: %s)", what,
                  kavro_compat_level_name(levels[i]),
                  expected[i] ? "compatible" : "incompatible",
                  kavro_compat_result_count(res),
                  kavro_compat_result_count(res)
                      ? kavro_compat_result_get(res, 0)->message
                      : "-");
    check_findings_are_sound(res, levels[i] == KAVRO_COMPAT_FORWARD
                                      ? previous[0] : candidate,
                             levels[i] == KAVRO_COMPAT_FORWARD
                                 ? candidate : previous[0],
                             what);
    kavro_compat_result_destroy(res);
  }
  kavro_schema_destroy(candidate);
  kavro_schema_destroy(previous[0]);
}

/* The first finding of a BACKWARD or FORWARD check (caller destroys). */
static kavro_compat_result_t *first_finding(kavro_compat_level_t level,
                                            const json_t *old,
                                            const json_t *evolved,
                                            const kavro_incompat_t **x) {
  kavro_schema_t *previous[] = {parse_json(old)};
  kavro_schema_t *candidate = parse_json(evolved);
  kavro_compat_result_t *res = check_level(level, candidate, previous, 1);
  ck_assert_uint_ge(kavro_compat_result_count(res), 1);
  *x = kavro_compat_result_get(res, 0);
  kavro_schema_destroy(candidate);
  kavro_schema_destroy(previous[0]);
  return res;
}

START_TEST(test_walkthrough_optional_field) {
  json_t *old = service_order_created(), *next = service_order_created();
  add_field(next, "{\"name\":\"technician_note\",\"type\":[\"null\",\"string\"],"
                  "\"default\":null}");
  expect_levels("add optional field", old, next, (verdicts_t){true, true, true});
  json_decref(old);
  json_decref(next);
}
END_TEST

START_TEST(test_walkthrough_required_field) {
  json_t *old = service_order_created(), *next = service_order_created();
  add_field(next, "{\"name\":\"tenant_id\",\"type\":\"string\"}");
  expect_levels("add required field", old, next, (verdicts_t){false, true, false});
  const kavro_incompat_t *x;
  kavro_compat_result_t *res = first_finding(KAVRO_COMPAT_BACKWARD, old, next, &x);
  ck_assert_int_eq(x->kind, KAVRO_INCOMPAT_READER_FIELD_MISSING_DEFAULT_VALUE);
  ck_assert_str_eq(x->reader_location, "/fields/10");
  ck_assert_str_eq(x->message,
                   "field `tenant_id` was added to "
                   "com.ahs.fsm.events.projects.ServiceOrderCreated without a "
                   "default (a renamed field needs its old name among its "
                   "aliases); consumers using this schema cannot read events "
                   "written before it");
  kavro_compat_result_destroy(res);
  json_decref(next);

  next = service_order_created();
  add_field(next, "{\"name\":\"tenant_id\",\"type\":\"string\",\"default\":\"\"}");
  expect_levels("add required field with default", old, next,
                (verdicts_t){true, true, true});
  json_decref(old);
  json_decref(next);
}
END_TEST

START_TEST(test_walkthrough_rename_with_alias) {
  json_t *old = service_order_created(), *next = service_order_created();
  json_t *f = field_named(next, "service_type");
  json_object_set_new(f, "name", json_string("service_kind"));
  json_object_set_new(f, "aliases", json_pack("[s]", "service_type"));
  /* The new schema reads old events through the alias; old consumers do
   * not know the new name, and aliases are the reader's. */
  expect_levels("rename with alias", old, next, (verdicts_t){true, false, false});
  const kavro_incompat_t *x;
  kavro_compat_result_t *res = first_finding(KAVRO_COMPAT_FORWARD, old, next, &x);
  ck_assert_int_eq(x->kind, KAVRO_INCOMPAT_READER_FIELD_MISSING_DEFAULT_VALUE);
  ck_assert_str_eq(x->reader_location, "/fields/4");
  ck_assert_int_eq(x->role, KAVRO_COMPAT_PREVIOUS_READS);
  ck_assert_ptr_nonnull(strstr(x->message, "field `service_type` of "
                                           "com.ahs.fsm.events.projects."
                                           "ServiceOrderCreated has no default "
                                           "in the latest schema"));
  kavro_compat_result_destroy(res);
  json_decref(old);
  json_decref(next);
}
END_TEST

START_TEST(test_walkthrough_widen_int_to_long) {
  json_t *old = service_order_created(), *next = service_order_created();
  json_object_set_new(field_named(next, "estimated_duration_min"), "type",
                      json_string("long"));
  expect_levels("widen int to long", old, next, (verdicts_t){true, false, false});
  const kavro_incompat_t *x;
  kavro_compat_result_t *res = first_finding(KAVRO_COMPAT_FORWARD, old, next, &x);
  ck_assert_int_eq(x->kind, KAVRO_INCOMPAT_TYPE_MISMATCH);
  ck_assert_str_eq(x->reader_location, "/fields/7/type");
  ck_assert_str_eq(x->message,
                   "field `estimated_duration_min` of "
                   "com.ahs.fsm.events.projects.ServiceOrderCreated is int in "
                   "the latest schema but long in this schema, and long values "
                   "cannot be read as int; consumers still using the latest "
                   "schema cannot read events written with this schema");
  kavro_compat_result_destroy(res);
  json_decref(old);
  json_decref(next);
}
END_TEST

START_TEST(test_walkthrough_enum_symbol) {
  json_t *old = tv_outcome_recorded(), *next = tv_outcome_recorded();
  json_t *outcome = json_object_get(field_named(next, "outcome"), "type");
  json_array_append_new(json_object_get(outcome, "symbols"),
                        json_string("POSTPONED"));
  expect_levels("add enum symbol", old, next, (verdicts_t){true, false, false});
  const kavro_incompat_t *x;
  kavro_compat_result_t *res = first_finding(KAVRO_COMPAT_FORWARD, old, next, &x);
  ck_assert_int_eq(x->kind, KAVRO_INCOMPAT_MISSING_ENUM_SYMBOLS);
  ck_assert_str_eq(x->reader_location, "/fields/4/type/symbols");
  ck_assert_ptr_nonnull(strstr(x->message, "field `outcome`"));
  ck_assert_ptr_nonnull(strstr(x->message, "TvOutcome in the latest schema lacks the symbol POSTPONED "));
  kavro_compat_result_destroy(res);

  /* With an enum default in every version, old readers map the new symbol
   * to it (spec 1.9+), and the same change passes all three levels. */
  json_object_set_new(json_object_get(field_named(old, "outcome"), "type"),
                      "default", json_string("NO"));
  json_object_set_new(outcome, "default", json_string("NO"));
  expect_levels("add enum symbol with default", old, next,
                (verdicts_t){true, true, true});
  json_decref(old);
  json_decref(next);
}
END_TEST

/* ---- recursion, reuse, messages ---------------------------------------------- */

START_TEST(test_recursive_linked_list) {
  kavro_schema_t *reader = parse(
      "{\"type\":\"record\",\"name\":\"LongList\",\"fields\":["
      "{\"name\":\"value\",\"type\":\"long\"},"
      "{\"name\":\"next\",\"type\":[\"null\",\"LongList\"]}]}");
  kavro_schema_t *writer = parse(
      "{\"type\":\"record\",\"name\":\"LongList\",\"fields\":["
      "{\"name\":\"value\",\"type\":\"string\"},"
      "{\"name\":\"next\",\"type\":[\"null\",\"LongList\"]}]}");
  kavro_compat_result_t *res = check_pair(reader, writer);
  /* One problem, once: the recursive `next` fails only because of it. */
  ck_assert_uint_eq(kavro_compat_result_count(res), 1);
  ck_assert(has_finding(res, KAVRO_INCOMPAT_TYPE_MISMATCH, "/fields/0/type"));
  kavro_compat_result_destroy(res);
  res = check_pair(writer, reader);
  ck_assert_uint_eq(kavro_compat_result_count(res), 1);
  kavro_compat_result_destroy(res);
  kavro_schema_destroy(reader);
  kavro_schema_destroy(writer);
}
END_TEST

/* A and B refer to each other; a field added to B without a default is
 * reported once, at B's definition, whichever way the walk reaches it. */
START_TEST(test_recursive_mutual) {
  const char *fmt =
      "{\"type\":\"record\",\"name\":\"A\",\"namespace\":\"m\",\"fields\":["
      "{\"name\":\"b\",\"type\":[\"null\",{\"type\":\"record\",\"name\":\"B\","
      "\"fields\":[{\"name\":\"a\",\"type\":[\"null\",\"A\"]}%s]}]},"
      "{\"name\":\"more\",\"type\":{\"type\":\"array\",\"items\":\"B\"}}]}";
  char old_text[1024], new_text[1024];
  snprintf(old_text, sizeof(old_text), fmt, "");
  snprintf(new_text, sizeof(new_text), fmt,
           ",{\"name\":\"extra\",\"type\":\"int\"}");
  kavro_schema_t *old = parse(old_text), *next = parse(new_text);
  kavro_compat_result_t *res = check_pair(next, old);
  ck_assert(!kavro_compat_result_is_compatible(res));
  ck_assert(has_finding(res, KAVRO_INCOMPAT_READER_FIELD_MISSING_DEFAULT_VALUE,
                        "/fields/0/type/1/fields/1"));
  for (size_t i = 0; i < kavro_compat_result_count(res); i++) {
    const kavro_incompat_t *x = kavro_compat_result_get(res, i);
    if (x->kind == KAVRO_INCOMPAT_READER_FIELD_MISSING_DEFAULT_VALUE)
      ck_assert_ptr_nonnull(strstr(x->message, "field `extra` of m.B"));
  }
  check_findings_are_sound(res, next, old, "mutual");
  kavro_compat_result_destroy(res);
  res = check_pair(old, next);
  ck_assert(kavro_compat_result_is_compatible(res));
  kavro_compat_result_destroy(res);
  kavro_schema_destroy(old);
  kavro_schema_destroy(next);
}
END_TEST

/* The reader union's only candidate for the writer's recursive Node is its
 * own Node, which cannot read it; the message says why. */
START_TEST(test_recursive_union_choice) {
  kavro_schema_t *reader = parse(
      "[\"null\",{\"type\":\"record\",\"name\":\"Node\",\"fields\":["
      "{\"name\":\"next\",\"type\":[\"null\",\"Node\"]},"
      "{\"name\":\"v\",\"type\":\"int\"}]}]");
  kavro_schema_t *writer = parse(
      "{\"type\":\"record\",\"name\":\"Node\",\"fields\":["
      "{\"name\":\"next\",\"type\":[\"null\",\"Node\"]},"
      "{\"name\":\"v\",\"type\":\"string\"}]}");
  kavro_compat_result_t *res = check_pair(reader, writer);
  ck_assert(!kavro_compat_result_is_compatible(res));
  ck_assert_uint_eq(kavro_compat_result_count(res), 1);
  const kavro_incompat_t *x = kavro_compat_result_get(res, 0);
  ck_assert_int_eq(x->kind, KAVRO_INCOMPAT_MISSING_UNION_BRANCH);
  ck_assert_str_eq(x->reader_location, "/");
  /* The message says why the nearest branch fails. */
  ck_assert_ptr_nonnull(strstr(x->message, "the nearest branch, record Node"));
  ck_assert_ptr_nonnull(strstr(x->message, "field `v` of Node is int"));
  kavro_compat_result_destroy(res);
  kavro_schema_destroy(reader);
  kavro_schema_destroy(writer);
}
END_TEST

/* A named type used twice is reported once, at its definition. */
/* Avro 1.12's logical types resolve on their underlying types, as the
 * others do (and as the conformance rows show both references doing for
 * decimals of another scale): a timestamp-nanos reads as a long, a
 * big-decimal's bytes as a string; a uuid on fixed(16) is no string. */
START_TEST(test_logical_avro_1_12) {
  static const struct {
    const char *reader, *writer;
    bool compatible;
  } pairs[] = {
      {"\"long\"", "{\"type\":\"long\",\"logicalType\":\"timestamp-nanos\"}",
       true},
      {"{\"type\":\"long\",\"logicalType\":\"local-timestamp-nanos\"}",
       "{\"type\":\"long\",\"logicalType\":\"timestamp-micros\"}", true},
      {"{\"type\":\"long\",\"logicalType\":\"timestamp-nanos\"}", "\"int\"",
       true},
      {"\"string\"", "{\"type\":\"bytes\",\"logicalType\":\"big-decimal\"}",
       true},
      {"{\"type\":\"fixed\",\"name\":\"Id\",\"size\":16,\"logicalType\":\"uuid\"}",
       "{\"type\":\"fixed\",\"name\":\"Id\",\"size\":16}", true},
      {"{\"type\":\"string\",\"logicalType\":\"uuid\"}",
       "{\"type\":\"fixed\",\"name\":\"Id\",\"size\":16,\"logicalType\":\"uuid\"}",
       false},
      {"{\"type\":\"bytes\",\"logicalType\":\"big-decimal\"}",
       "{\"type\":\"long\",\"logicalType\":\"timestamp-nanos\"}", false},
  };
  for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
    kavro_schema_t *reader = parse(pairs[i].reader);
    kavro_schema_t *writer = parse(pairs[i].writer);
    kavro_compat_result_t *res = check_pair(reader, writer);
    ck_assert_msg(kavro_compat_result_is_compatible(res) == pairs[i].compatible,
                  "reader %s, writer %s", pairs[i].reader, pairs[i].writer);
    kavro_compat_result_destroy(res);
    kavro_schema_destroy(reader);
    kavro_schema_destroy(writer);
  }
}
END_TEST

START_TEST(test_named_type_reused) {
  const char *fmt =
      "{\"type\":\"record\",\"name\":\"Person\",\"fields\":["
      "{\"name\":\"home\",\"type\":{\"type\":\"record\",\"name\":\"Address\","
      "\"fields\":[{\"name\":\"zip\",\"type\":\"%s\"}]}},"
      "{\"name\":\"work\",\"type\":\"Address\"}]}";
  char r_text[512], w_text[512];
  snprintf(r_text, sizeof(r_text), fmt, "int");
  snprintf(w_text, sizeof(w_text), fmt, "string");
  kavro_schema_t *reader = parse(r_text), *writer = parse(w_text);
  kavro_compat_result_t *res = check_pair(reader, writer);
  ck_assert_uint_eq(kavro_compat_result_count(res), 1);
  const kavro_incompat_t *x = kavro_compat_result_get(res, 0);
  ck_assert_str_eq(x->reader_location, "/fields/0/type/fields/0/type");
  ck_assert_str_eq(x->writer_location, "/fields/0/type/fields/0/type");
  ck_assert_str_eq(x->message,
                   "field `zip` of Address is int in the reader but string in "
                   "the writer, and string values cannot be read as int");
  kavro_compat_result_destroy(res);
  kavro_schema_destroy(reader);
  kavro_schema_destroy(writer);
}
END_TEST

/* Reaching a reused type through its name first, the locations still lead
 * to its definition in each text. */
START_TEST(test_locations_follow_definitions) {
  kavro_schema_t *reader = parse(
      "{\"type\":\"record\",\"name\":\"P\",\"fields\":["
      "{\"name\":\"a\",\"type\":{\"type\":\"fixed\",\"name\":\"F\",\"size\":4}},"
      "{\"name\":\"b\",\"type\":\"F\"}]}");
  kavro_schema_t *writer = parse(
      "{\"type\":\"record\",\"name\":\"P\",\"fields\":["
      "{\"name\":\"b\",\"type\":{\"type\":\"fixed\",\"name\":\"F\",\"size\":8}},"
      "{\"name\":\"a\",\"type\":\"F\"}]}");
  kavro_compat_result_t *res = check_pair(reader, writer);
  ck_assert_uint_eq(kavro_compat_result_count(res), 1);
  const kavro_incompat_t *x = kavro_compat_result_get(res, 0);
  ck_assert_int_eq(x->kind, KAVRO_INCOMPAT_FIXED_SIZE_MISMATCH);
  ck_assert_str_eq(x->reader_location, "/fields/0/type/size");
  ck_assert_str_eq(x->writer_location, "/fields/0/type/size");
  ck_assert_ptr_nonnull(strstr(x->message, "fixed F is 4 bytes in the reader "
                                           "but 8 in the writer"));
  kavro_compat_result_destroy(res);
  kavro_schema_destroy(reader);
  kavro_schema_destroy(writer);
}
END_TEST

/* A location leads to the offending line of a schema written over many. */
START_TEST(test_location_line) {
  json_t *old = service_order_created(), *next = service_order_created();
  add_field(next, "{\"name\":\"tenant_id\",\"type\":\"string\"}");
  kavro_schema_t *previous = parse_json(old);
  kavro_schema_t *candidate = parse_json(next);
  kavro_compat_result_t *res = check_pair(candidate, previous);
  const kavro_incompat_t *x = kavro_compat_result_get(res, 0);
  ck_assert_ptr_nonnull(x);
  int line = 0, column = 0;
  ck_assert(kavro_schema_locate(candidate, x->reader_location, &line, &column));
  const char *text = kavro_schema_text(candidate);
  const char *at = strstr(text, "\"tenant_id\"");
  int expected_line = 1;
  for (const char *c = text; c < at; c++)
    expected_line += *c == '\n';
  /* The field object opens on the line before its "name". */
  ck_assert_int_eq(line, expected_line - 1);
  kavro_compat_result_destroy(res);
  kavro_schema_destroy(candidate);
  kavro_schema_destroy(previous);
  json_decref(old);
  json_decref(next);
}
END_TEST

START_TEST(test_messages_name_field_and_record) {
  const json_t *row = vector("compat.nested.deep_several_problems");
  kavro_schema_t *reader = parse_json(json_object_get(row, "reader"));
  kavro_schema_t *writer = parse_json(json_object_get(row, "writer"));
  kavro_compat_result_t *res = check_pair(reader, writer);
  ck_assert_uint_eq(kavro_compat_result_count(res), 3);
  static const char *const expected[] = {
      "field `sku` of Line is int in the reader but string in the writer",
      "the values of field `attrs` of Line: enum Flag in the reader lacks the "
      "symbol",
      "of Line has no default in the reader",
  };
  for (size_t i = 0; i < 3; i++)
    ck_assert_msg(strstr(kavro_compat_result_get(res, i)->message, expected[i]),
                  "message %zu: %s", i, kavro_compat_result_get(res, i)->message);
  kavro_compat_result_destroy(res);
  kavro_schema_destroy(reader);
  kavro_schema_destroy(writer);
}
END_TEST

/* Every incompatibility is listed: a thousand changed fields, a thousand
 * findings, in field order. */
START_TEST(test_lists_every_incompatibility) {
  size_t n = 1000, cap = n * 48 + 128;
  char *r_text = malloc(cap), *w_text = malloc(cap);
  size_t rl = (size_t)sprintf(r_text, "%s", record_prefix);
  size_t wl = (size_t)sprintf(w_text, "%s", record_prefix);
  for (size_t i = 0; i < n; i++) {
    rl += (size_t)sprintf(r_text + rl, "%s{\"name\":\"f%zu\",\"type\":\"int\"}",
                          i ? "," : "", i);
    wl += (size_t)sprintf(w_text + wl, "%s{\"name\":\"f%zu\",\"type\":\"bytes\"}",
                          i ? "," : "", i);
  }
  strcpy(r_text + rl, "]}");
  strcpy(w_text + wl, "]}");
  kavro_schema_t *reader = parse(r_text), *writer = parse(w_text);
  kavro_compat_result_t *res = check_pair(reader, writer);
  ck_assert_uint_eq(kavro_compat_result_count(res), n);
  char where[64];
  snprintf(where, sizeof(where), "/fields/%zu/type", n - 1);
  ck_assert_str_eq(kavro_compat_result_get(res, n - 1)->reader_location, where);
  kavro_compat_result_destroy(res);
  kavro_schema_destroy(reader);
  kavro_schema_destroy(writer);
  free(r_text);
  free(w_text);
}
END_TEST

/* Types that come from a referenced schema are checked like the others;
 * their findings point at the reference in the schema that uses them. */
START_TEST(test_referenced_types) {
  kavro_schema_t *addr_v1 = parse(
      "{\"type\":\"record\",\"name\":\"Address\",\"namespace\":\"geo\","
      "\"fields\":[{\"name\":\"zip\",\"type\":\"string\"}]}");
  kavro_schema_t *addr_v2 = parse(
      "{\"type\":\"record\",\"name\":\"Address\",\"namespace\":\"geo\","
      "\"fields\":[{\"name\":\"zip\",\"type\":\"string\"},"
      "{\"name\":\"country\",\"type\":\"string\"}]}");
  const char *person =
      "{\"type\":\"record\",\"name\":\"Person\",\"fields\":["
      "{\"name\":\"address\",\"type\":\"geo.Address\"}]}";
  kavro_parse_options_t opts;
  kavro_parse_options_init(&opts);
  kavro_schema_t *p1 = NULL, *p2 = NULL;
  opts.references = &addr_v1;
  opts.reference_count = 1;
  ck_assert_int_eq(kavro_schema_parse(person, strlen(person), &opts, &p1, NULL),
                   KAVRO_OK);
  opts.references = &addr_v2;
  ck_assert_int_eq(kavro_schema_parse(person, strlen(person), &opts, &p2, NULL),
                   KAVRO_OK);
  kavro_compat_result_t *res = check_pair(p2, p1);
  ck_assert_uint_eq(kavro_compat_result_count(res), 1);
  const kavro_incompat_t *x = kavro_compat_result_get(res, 0);
  ck_assert_int_eq(x->kind, KAVRO_INCOMPAT_READER_FIELD_MISSING_DEFAULT_VALUE);
  ck_assert_str_eq(x->reader_location, "/fields/0/type/fields/1");
  ck_assert_ptr_nonnull(strstr(x->message, "field `country` of geo.Address"));
  int line;
  kavro_schema_locate(p2, x->reader_location, &line, NULL);
  ck_assert_int_eq(line, 1);
  kavro_compat_result_destroy(res);
  kavro_schema_destroy(p1);
  kavro_schema_destroy(p2);
  kavro_schema_destroy(addr_v1);
  kavro_schema_destroy(addr_v2);
}
END_TEST

/* A check that needs more pairs than its bound stops with KAVRO_ERR_LIMIT
 * instead of growing without end. */
START_TEST(test_pair_limit) {
  kavro_schema_t *s = parse(
      "[\"null\",\"int\",\"long\",\"string\",{\"type\":\"array\",\"items\":"
      "[\"int\",\"string\"]}]");
  kv_compat_graph_t g;
  kv_compat_graph_init(&g);
  g.max_pairs = 4;
  kavro_compat_result_t *res = kv_compat_result_new();
  kv_wording_t wording = {KV_VOICE_PAIR, 0, false};
  kavro_error_t err;
  ck_assert_int_eq(kv_compat_collect(&g, s, s, &wording, res, &err),
                   KAVRO_ERR_LIMIT);
  ck_assert_ptr_nonnull(strstr(err.text, "more than 4 reader/writer"));
  /* The same for the branches a union against a union looks at. */
  g.max_pairs = KV_COMPAT_MAX_PAIRS;
  g.max_work = 10;
  ck_assert_int_eq(kv_compat_collect(&g, s, s, &wording, res, &err),
                   KAVRO_ERR_LIMIT);
  ck_assert_ptr_nonnull(strstr(err.text, "more than 10 branch"));
  ck_assert_uint_eq(kavro_compat_result_count(res), 0);
  kv_compat_graph_free(&g);
  kavro_compat_result_destroy(res);
  kavro_schema_destroy(s);
}
END_TEST

/* A union of many event records against the next version of itself: each
 * writer branch is compared with the reader branch of its name only, so the
 * work stays linear, and the one changed record is the one finding. */
START_TEST(test_union_of_many_records) {
  enum { N = 500 };
  size_t cap = N * 128 + 16;
  char *texts[2];
  for (int version = 0; version < 2; version++) {
    char *t = texts[version] = malloc(cap);
    size_t len = (size_t)sprintf(t, "[");
    for (int i = 0; i < N; i++)
      len += (size_t)sprintf(t + len,
                             "%s{\"type\":\"record\",\"name\":\"Event%d\","
                             "\"fields\":[{\"name\":\"id\",\"type\":\"%s\"},"
                             "{\"name\":\"at\",\"type\":\"long\"}]}",
                             i ? "," : "",
                             i, version && i == 250 ? "int" : "string");
    strcpy(t + len, "]");
  }
  kavro_schema_t *old = parse(texts[0]), *next = parse(texts[1]);
  kavro_compat_result_t *res = check_pair(next, old);
  ck_assert_uint_eq(kavro_compat_result_count(res), 1);
  const kavro_incompat_t *x = kavro_compat_result_get(res, 0);
  ck_assert_int_eq(x->kind, KAVRO_INCOMPAT_MISSING_UNION_BRANCH);
  ck_assert_str_eq(x->reader_location, "/250");
  ck_assert_str_eq(x->writer_location, "/250");
  ck_assert_ptr_nonnull(strstr(x->message, "the nearest branch, record Event250, "
                                           "fails because field `id` of "
                                           "Event250 is int in the reader"));
  kavro_compat_result_destroy(res);

  kv_compat_graph_t g;
  kv_compat_graph_init(&g);
  uint32_t root;
  ck_assert_int_eq(kv_compat_settle(&g, kv_schema_root(next),
                                    kv_schema_root(old), &root, NULL),
                   KAVRO_OK);
  ck_assert_uint_le(g.pair_count, 4 * N + 1);
  ck_assert_uint_le(g.work, (size_t)N * N);
  kv_compat_graph_free(&g);
  kavro_schema_destroy(old);
  kavro_schema_destroy(next);
  free(texts[0]);
  free(texts[1]);
}
END_TEST

static Suite *compat_suite(void) {
  Suite *s = suite_create("compat");
  TCase *tc = tcase_create("conformance");
  tcase_set_timeout(tc, 60);
  tcase_add_loop_test(tc, test_conformance_row, 0,
                      (int)json_array_size(compat_rows));
  tcase_add_test(tc, test_conformance_coverage);
  tcase_add_test(tc, test_conformance_self_compatible);
  suite_add_tcase(s, tc);

  tc = tcase_create("levels");
  tcase_add_test(tc, test_level_names);
  tcase_add_test(tc, test_level_backward_transitive);
  tcase_add_test(tc, test_level_forward_and_full_transitive);
  tcase_add_test(tc, test_level_full_both_roles);
  tcase_add_test(tc, test_level_latest_only);
  tcase_add_test(tc, test_invalid_arguments);
  suite_add_tcase(s, tc);

  tc = tcase_create("walkthrough");
  tcase_add_test(tc, test_walkthrough_optional_field);
  tcase_add_test(tc, test_walkthrough_required_field);
  tcase_add_test(tc, test_walkthrough_rename_with_alias);
  tcase_add_test(tc, test_walkthrough_widen_int_to_long);
  tcase_add_test(tc, test_walkthrough_enum_symbol);
  suite_add_tcase(s, tc);

  tc = tcase_create("engine");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_recursive_linked_list);
  tcase_add_test(tc, test_recursive_mutual);
  tcase_add_test(tc, test_recursive_union_choice);
  tcase_add_test(tc, test_named_type_reused);
  tcase_add_test(tc, test_logical_avro_1_12);
  tcase_add_test(tc, test_locations_follow_definitions);
  tcase_add_test(tc, test_location_line);
  tcase_add_test(tc, test_messages_name_field_and_record);
  tcase_add_test(tc, test_lists_every_incompatibility);
  tcase_add_test(tc, test_referenced_types);
  tcase_add_test(tc, test_pair_limit);
  tcase_add_test(tc, test_union_of_many_records);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  vectors = kt_load_jsonl(kt_conformance_path("compat.jsonl"));
  compat_rows = select_compat_rows();
  SRunner *sr = srunner_create(compat_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  json_decref(compat_rows);
  json_decref(vectors);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
