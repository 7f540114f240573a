/*
 * kavro tests - schema resolution: every row of resolution.jsonl, plus the
 * plan's errors, recursion, unions and defaults of every type.
 *
 * Each row's bytes (python's encoding with the writer schema) are decoded
 * with the writer and reader schemas and compared with the reader datum.
 * The reference is python's `expected_reader_datum` (`_raw` when a schema
 * has a logical type, since avro-c values carry none), except where the
 * Avro 1.11 specification says otherwise; those rows are listed below with
 * the rule that decides them.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datum_util.h"
#include "testutil.h"

static json_t *resolution_rows;

typedef enum expect_e {
  FROM_PYTHON,       /* python's datum, or an error where python raised */
  FROM_JAVA,         /* Java's datum: the spec resolves what python refuses */
  ERROR,             /* the spec refuses what python accepts */
  READER_ENUM_DEFAULT, /* the reader enum's default symbol */
  WRITER_DATUM       /* the datum as the writer decodes it: only names differ */
} expect_t;

static const struct {
  const char *id;
  expect_t expect;
} spec_rows[] = {
    /* Promotion applies inside arrays and maps ("Schema Resolution":
     * arrays and maps resolve their items and values recursively). */
    {"resolution.promotion.in_array_int_long", FROM_JAVA},
    {"resolution.promotion.in_map_int_long", FROM_JAVA},
    {"resolution.promotion.array_of_array_int_long", FROM_JAVA},
    /* A JSON integer is a valid default for a double. */
    {"resolution.defaults.double_int_literal", FROM_JAVA},
    /* Bytes defaults map code points 0-255 to bytes, not UTF-8. */
    {"resolution.defaults.bytes_latin1", FROM_JAVA},
    /* A boolean default must be true or false: the string "false" is not
     * one, and the reader schema is refused. */
    {"resolution.defaults.boolean_string_false", ERROR},
    /* Reader aliases of records, enums, fixed and fields are applied. */
    {"resolution.enum.renamed_with_reader_alias", FROM_JAVA},
    {"resolution.alias.record_renamed_reader_alias_namespaced", FROM_JAVA},
    {"resolution.alias.fixed_renamed_reader_alias", FROM_JAVA},
    {"resolution.alias.nested_record_renamed_alias", FROM_JAVA},
    {"resolution.field_service.TvOutcomeRecorded.rename_field_with_alias.backward", FROM_JAVA},
    {"resolution.field_service.ProjectCreated.rename_record_with_alias.backward", FROM_JAVA},
    {"resolution.field_service.CheckinCompleted.rename_record_with_alias.backward", FROM_JAVA},
    /* Named types match on unqualified names (1.11): a namespace change
     * resolves. */
    {"resolution.field_service.ProjectCreated.change_namespace.forward", FROM_JAVA},
    {"resolution.field_service.ServiceOrderCreated.change_namespace.forward", FROM_JAVA},
    {"resolution.field_service.TvOutcomeRecorded.change_namespace.backward", WRITER_DATUM},
    {"resolution.field_service.TvOutcomeRecorded.change_namespace.forward", WRITER_DATUM},
    /* string and bytes promote to each other. */
    {"resolution.field_service.ProjectCreated.string_to_bytes.backward", FROM_JAVA},
    {"resolution.field_service.ProjectCreated.string_to_bytes.forward", FROM_JAVA},
    /* A writer union read by a non-union reader resolves the written branch,
     * per datum. */
    {"resolution.field_service.ServiceOrderCreated.make_field_nullable.forward", FROM_JAVA},
    {"resolution.field_service.ServiceOrderCreated.make_field_non_nullable.backward", FROM_JAVA},
    /* An unknown symbol becomes the reader enum's default (1.9+). */
    {"resolution.enum.enum_default_fallback", READER_ENUM_DEFAULT},
};

static expect_t expectation(const char *id) {
  for (size_t i = 0; i < sizeof(spec_rows) / sizeof(spec_rows[0]); i++)
    if (strcmp(spec_rows[i].id, id) == 0)
      return spec_rows[i].expect;
  return FROM_PYTHON;
}

/* The reader datum the row must give, or NULL when it must fail. */
static json_t *expected_datum(const json_t *row, const kavro_schema_t *writer,
                              const unsigned char *bytes, size_t length) {
  const char *id = json_string_value(json_object_get(row, "id"));
  switch (expectation(id)) {
  case FROM_JAVA:
    return json_incref(json_object_get(row, "java182_reader_datum"));
  case ERROR:
    return NULL;
  case READER_ENUM_DEFAULT:
    return json_incref(json_object_get(json_object_get(row, "reader"), "default"));
  case WRITER_DATUM: {
    kt_value_t v;
    kavro_error_t error;
    kt_value_init(&v, writer);
    ck_assert_msg(kavro_decode(NULL, writer, bytes, length, &v.value, NULL,
                               &error) == KAVRO_OK, "%s: %s", id, error.text);
    json_t *datum = kt_value_plain(writer, &v.value);
    kt_value_free(&v);
    return datum;
  }
  default:
    if (!json_is_null(json_object_get(row, "py_error")))
      return NULL;
    if (json_object_get(row, "expected_reader_datum_raw"))
      return json_incref(json_object_get(row, "expected_reader_datum_raw"));
    return json_incref(json_object_get(row, "expected_reader_datum"));
  }
}

/* Resolve the row; the reader's datum as plain JSON, or NULL with the
 * stage that refused it in @why. */
static json_t *resolve_row(const json_t *row, kavro_schema_t *writer,
                           kavro_schema_t *reader, const unsigned char *bytes,
                           size_t length, char *why, size_t why_size) {
  kavro_error_t error;
  kavro_resolution_t *plan = NULL;
  if (!reader) {
    snprintf(why, why_size, "reader schema refused");
    return NULL;
  }
  if (kavro_resolution_new(writer, reader, &plan, &error) != KAVRO_OK) {
    ck_assert_int_eq(error.code, KAVRO_ERR_INCOMPATIBLE);
    snprintf(why, why_size, "plan refused at %.100s: %.400s", error.path, error.text);
    return NULL;
  }
  kt_value_t v;
  kt_value_init(&v, reader);
  size_t consumed = 0;
  json_t *datum = NULL;
  kavro_err_t err = kavro_decode_resolved(NULL, plan, bytes, length, &v.value,
                                          &consumed, &error);
  if (err == KAVRO_OK) {
    ck_assert_uint_eq(consumed, length);
    datum = kt_value_plain(reader, &v.value);
  } else {
    ck_assert_int_eq(err, KAVRO_ERR_DECODE);
    snprintf(why, why_size, "datum refused: %.500s", error.text);
  }
  kt_value_free(&v);
  kavro_resolution_destroy(plan);
  return datum;
}

START_TEST(test_resolution_vector) {
  const json_t *row = json_array_get(resolution_rows, (size_t)_i);
  const char *id = json_string_value(json_object_get(row, "id"));
  kavro_error_t error;
  kavro_schema_t *writer = kt_schema_from_json(json_object_get(row, "writer"), &error);
  ck_assert_msg(writer, "%s: writer refused: %s", id, error.text);
  kavro_schema_t *reader = kt_schema_from_json(json_object_get(row, "reader"), &error);
  size_t length;
  unsigned char *bytes = kt_hex_decode(
      json_string_value(json_object_get(row, "writer_bytes_hex")), &length);
  ck_assert_ptr_nonnull(bytes);

  json_t *expected = expected_datum(row, writer, bytes, length);
  char why[700] = "";
  json_t *actual = resolve_row(row, writer, reader, bytes, length, why, sizeof(why));
  if (!expected) {
    ck_assert_msg(!actual, "%s: resolved, but the reference fails", id);
  } else {
    ck_assert_msg(actual, "%s: %s", id, why);
    ck_assert_msg(kt_datum_equal(expected, actual, why, sizeof(why)), "%s: %s", id, why);
  }
  json_decref(expected);
  json_decref(actual);
  free(bytes);
  kavro_schema_destroy(writer);
  kavro_schema_destroy(reader);
}
END_TEST

/* ---- beyond the vectors -------------------------------------------------------------- */

static kavro_schema_t *parse(const char *text) {
  kavro_schema_t *s = NULL;
  kavro_error_t error;
  ck_assert_msg(kavro_schema_parse(text, strlen(text), NULL, &s, &error) == KAVRO_OK,
                "%s: %s", text, error.text);
  return s;
}

/* Resolve the Avro JSON datum @json of @w as @r and return the reader's
 * Avro JSON (malloc'd), or NULL with @error filled. */
static char *read_as(const char *w, const char *r, const char *json,
                     kavro_error_t *error) {
  kavro_schema_t *ws = parse(w), *rs = parse(r);
  kavro_buf_t *bytes = kavro_buf_new(0, 0);
  ck_assert_msg(kavro_json_to_binary(ws, json, strlen(json), bytes, error) == KAVRO_OK,
                "%s", error->text);
  kavro_resolution_t *plan = NULL;
  char *out = NULL;
  if (kavro_resolution_new(ws, rs, &plan, error) == KAVRO_OK) {
    kt_value_t v;
    kt_value_init(&v, rs);
    if (kavro_decode_resolved(NULL, plan, kavro_buf_data(bytes), kavro_buf_length(bytes),
                              &v.value, NULL, error) == KAVRO_OK)
      out = kavro_value_to_json(rs, &v.value, KAVRO_DATUM_JSON_AVRO, error);
    kt_value_free(&v);
  }
  kavro_resolution_destroy(plan);
  kavro_buf_destroy(bytes);
  kavro_schema_destroy(ws);
  kavro_schema_destroy(rs);
  return out;
}

static const struct {
  const char *writer, *reader, *datum, *expected;
} cases[] = {
    /* Defaults of every type, written into the reader's value. */
    {"{\"type\":\"record\",\"name\":\"R\",\"fields\":[]}",
     "{\"type\":\"record\",\"name\":\"R\",\"fields\":["
     "{\"name\":\"r\",\"type\":{\"type\":\"record\",\"name\":\"In\",\"fields\":["
     "{\"name\":\"x\",\"type\":\"int\"},{\"name\":\"y\",\"type\":\"string\",\"default\":\"d\"}]},"
     "\"default\":{\"x\":7}},"
     "{\"name\":\"a\",\"type\":{\"type\":\"array\",\"items\":\"long\"},\"default\":[1,2]},"
     "{\"name\":\"m\",\"type\":{\"type\":\"map\",\"values\":\"boolean\"},\"default\":{\"k\":true}},"
     "{\"name\":\"u\",\"type\":[\"double\",\"null\"],\"default\":2.5},"
     "{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"P\",\"Q\"]},\"default\":\"Q\"},"
     "{\"name\":\"f\",\"type\":{\"type\":\"fixed\",\"name\":\"F\",\"size\":2},\"default\":\"\\u00ff\\u0000\"},"
     "{\"name\":\"b\",\"type\":\"bytes\",\"default\":\"\\u0080\"},"
     "{\"name\":\"fl\",\"type\":\"float\",\"default\":0.1}]}",
     "{}",
     "{\"r\": {\"x\": 7, \"y\": \"d\"}, \"a\": [1, 2], \"m\": {\"k\": true}, "
     "\"u\": {\"double\": 2.5}, \"e\": \"Q\", \"f\": \"\\u00ff\\u0000\", "
     "\"b\": \"\\u0080\", \"fl\": 0.1}"},
    /* Writer fields the reader lacks are skipped, of every type. */
    {"{\"type\":\"record\",\"name\":\"R\",\"fields\":["
     "{\"name\":\"s1\",\"type\":{\"type\":\"map\",\"values\":{\"type\":\"array\",\"items\":\"string\"}}},"
     "{\"name\":\"keep\",\"type\":\"int\"},"
     "{\"name\":\"s2\",\"type\":[\"null\",{\"type\":\"fixed\",\"name\":\"F\",\"size\":3}]},"
     "{\"name\":\"s3\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"B\"]}},"
     "{\"name\":\"s4\",\"type\":\"double\"},{\"name\":\"s5\",\"type\":\"float\"},"
     "{\"name\":\"s6\",\"type\":\"boolean\"},{\"name\":\"s7\",\"type\":\"bytes\"}]}",
     "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"keep\",\"type\":\"long\"}]}",
     "{\"s1\": {\"a\": [\"x\", \"y\"]}, \"keep\": 5, \"s2\": {\"F\": \"abc\"}, \"s3\": \"B\", "
     "\"s4\": 1.5, \"s5\": 2.5, \"s6\": true, \"s7\": \"zz\"}",
     "{\"keep\": 5}"},
    /* Reader union: the writer's own type first, then a promotion. */
    {"\"long\"", "[\"double\",\"long\"]", "3", "{\"long\": 3}"},
    {"\"int\"", "[\"null\",\"float\",\"double\"]", "3", "{\"float\": 3.0}"},
    {"\"string\"", "[\"null\",\"bytes\"]", "\"hi\"", "{\"bytes\": \"hi\"}"},
    /* Writer union to reader union, branches reordered and promoted. */
    {"[\"int\",\"string\",\"null\"]", "[\"null\",\"string\",\"long\"]",
     "{\"int\": -4}", "{\"long\": -4}"},
    /* Long to float rounds once, to the nearest float. */
    {"\"long\"", "\"float\"", "123456789012", "123456790528.0"},
    /* Bytes to string: invalid UTF-8 becomes U+FFFD. */
    {"\"bytes\"", "\"string\"", "\"a\\u00ff\"", "\"a\xef\xbf\xbd\""},
    /* Recursive schemas on both sides, with a field added by the reader. */
    {"{\"type\":\"record\",\"name\":\"L\",\"fields\":[{\"name\":\"v\",\"type\":\"int\"},"
     "{\"name\":\"next\",\"type\":[\"null\",\"L\"]}]}",
     "{\"type\":\"record\",\"name\":\"L\",\"fields\":[{\"name\":\"next\",\"type\":[\"null\",\"L\"]},"
     "{\"name\":\"v\",\"type\":\"long\"},{\"name\":\"w\",\"type\":\"string\",\"default\":\"-\"}]}",
     "{\"v\": 1, \"next\": {\"L\": {\"v\": 2, \"next\": null}}}",
     "{\"next\": {\"L\": {\"next\": null, \"v\": 2, \"w\": \"-\"}}, \"v\": 1, \"w\": \"-\"}"},
    /* A field alias. */
    {"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"old\",\"type\":\"int\"}]}",
     "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"new\",\"type\":\"int\","
     "\"aliases\":[\"old\"]}]}",
     "{\"old\": 9}", "{\"new\": 9}"},
};

START_TEST(test_resolution_case) {
  kavro_error_t error;
  char *out = read_as(cases[_i].writer, cases[_i].reader, cases[_i].datum, &error);
  ck_assert_msg(out, "case %d: %s (at %s)", _i, error.text, error.path);
  ck_assert_str_eq(out, cases[_i].expected);
  free(out);
}
END_TEST

static const struct {
  const char *writer, *reader, *path, *text;
} incompatible[] = {
    {"{\"type\":\"record\",\"name\":\"R\",\"fields\":[]}",
     "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"x\",\"type\":\"int\"}]}",
     "/fields/0", "no default"},
    {"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"x\",\"type\":\"string\"}]}",
     "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"x\",\"type\":\"int\"}]}",
     "/fields/0/type", "cannot be read"},
    {"{\"type\":\"record\",\"name\":\"A\",\"fields\":[]}",
     "{\"type\":\"record\",\"name\":\"B\",\"fields\":[]}", "/", "different names"},
    {"{\"type\":\"fixed\",\"name\":\"F\",\"size\":2}",
     "{\"type\":\"fixed\",\"name\":\"F\",\"size\":3}", "/", "size"},
    {"\"long\"", "\"int\"", "/", "cannot be read"},
    {"\"double\"", "[\"null\",\"float\"]", "/", "no branch"},
    {"[\"string\",\"boolean\"]", "\"int\"", "/", "cannot be read"},
    {"{\"type\":\"array\",\"items\":\"int\"}",
     "{\"type\":\"array\",\"items\":{\"type\":\"map\",\"values\":\"int\"}}", "/items",
     "cannot be read"},
};

START_TEST(test_incompatible_plan) {
  kavro_schema_t *w = parse(incompatible[_i].writer), *r = parse(incompatible[_i].reader);
  kavro_resolution_t *plan = (kavro_resolution_t *)1;
  kavro_error_t error;
  ck_assert_int_eq(kavro_resolution_new(w, r, &plan, &error), KAVRO_ERR_INCOMPATIBLE);
  ck_assert_ptr_null(plan);
  ck_assert_msg(strstr(error.text, incompatible[_i].text), "%s", error.text);
  ck_assert_str_eq(error.path, incompatible[_i].path);
  kavro_schema_destroy(w);
  kavro_schema_destroy(r);
}
END_TEST

/* A writer branch the reader cannot take fails the datum that uses it,
 * and only that datum; so does an enum symbol without a reader default. */
START_TEST(test_per_datum_failures) {
  kavro_error_t error;
  char *out = read_as("[\"null\",\"int\"]", "\"long\"", "{\"int\": 3}", &error);
  ck_assert_str_eq(out, "3");
  free(out);
  ck_assert_ptr_null(read_as("[\"null\",\"int\"]", "\"long\"", "null", &error));
  ck_assert_int_eq(error.code, KAVRO_ERR_DECODE);
  ck_assert_ptr_nonnull(strstr(error.text, "branch 0 (null)"));
  const char *w = "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"B\"]}";
  const char *r = "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"B\"]}";
  out = read_as(w, r, "\"B\"", &error);
  ck_assert_str_eq(out, "\"B\"");
  free(out);
  ck_assert_ptr_null(read_as(w, r, "\"A\"", &error));
  ck_assert_ptr_nonnull(strstr(error.text, "symbol A"));
}
END_TEST

/* Hostile bodies through a plan: limits hold on skipped fields too. */
START_TEST(test_resolved_limits) {
  kavro_schema_t *w = parse("{\"type\":\"record\",\"name\":\"R\",\"fields\":["
                            "{\"name\":\"skip\",\"type\":{\"type\":\"array\",\"items\":\"null\"}},"
                            "{\"name\":\"s\",\"type\":\"string\"}]}");
  kavro_schema_t *r = parse("{\"type\":\"record\",\"name\":\"R\",\"fields\":["
                            "{\"name\":\"s\",\"type\":\"string\"}]}");
  kavro_resolution_t *plan;
  kavro_error_t error;
  ck_assert_int_eq(kavro_resolution_new(w, r, &plan, &error), KAVRO_OK);
  kt_value_t v;
  kt_value_init(&v, r);
  static const struct {
    const char *hex;
    kavro_err_t err;
  } bodies[] = {
      {"00" "0461", KAVRO_ERR_DECODE},               /* string runs out */
      {"00" "03", KAVRO_ERR_DECODE},                 /* negative length */
      {"80808080808002" "00", KAVRO_ERR_LIMIT},      /* 2^42 nulls skipped */
      {"0600" "026100", KAVRO_OK},                    /* 3 nulls, "a", a trailing byte */
  };
  for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
    size_t n, consumed = 0;
    unsigned char *b = kt_hex_decode(bodies[i].hex, &n);
    kavro_err_t err = kavro_decode_resolved(NULL, plan, b, n, &v.value, &consumed, &error);
    ck_assert_msg(err == bodies[i].err, "%s: %s (%s)", bodies[i].hex,
                  kavro_err2name(err), error.text);
    if (!err) {
      ck_assert_uint_eq(consumed, n - 1);
      ck_assert_int_eq(kavro_decode_resolved(NULL, plan, b, n, &v.value, NULL, &error),
                       KAVRO_ERR_DECODE);
    }
    free(b);
  }
  kt_value_free(&v);
  kavro_resolution_destroy(plan);
  kavro_schema_destroy(w);
  kavro_schema_destroy(r);
}
END_TEST

static Suite *resolution_suite(void) {
  Suite *s = suite_create("resolution");
  TCase *tc = tcase_create("conformance");
  tcase_add_loop_test(tc, test_resolution_vector, 0,
                      (int)json_array_size(resolution_rows));
  suite_add_tcase(s, tc);
  tc = tcase_create("plans");
  tcase_add_loop_test(tc, test_resolution_case, 0,
                      (int)(sizeof(cases) / sizeof(cases[0])));
  tcase_add_loop_test(tc, test_incompatible_plan, 0,
                      (int)(sizeof(incompatible) / sizeof(incompatible[0])));
  tcase_add_test(tc, test_per_datum_failures);
  tcase_add_test(tc, test_resolved_limits);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  resolution_rows = kt_load_jsonl(kt_conformance_path("resolution.jsonl"));
  SRunner *sr = srunner_create(resolution_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  json_decref(resolution_rows);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
