/*
 * kavro tests - Parsing Canonical Form and fingerprints.
 *
 * Conformance: every row of canonical.jsonl.  The expected canonical form,
 * Rabin fingerprint and digests come from Java (SchemaNormalization of Avro
 * 1.8.2), which reproduces Apache Avro's cross-language schema-tests.txt;
 * python's form is only for comparison (it keeps logical types on
 * primitives and writes "error", both against the 1.11 specification).  No
 * row of the file departs from the 1.11 specification.
 */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kavro/schema.h"
#include "testutil.h"

static json_t *canonical_rows;

static const char *row_str(const json_t *row, const char *key) {
  return json_string_value(json_object_get(row, key));
}

static kavro_schema_t *parse_ok(const char *text,
                                const kavro_parse_options_t *options,
                                const char *what) {
  kavro_schema_t *s = NULL;
  kavro_error_t err;
  kavro_err_t rc = kavro_schema_parse(text, strlen(text), options, &s, &err);
  ck_assert_msg(rc == KAVRO_OK, "%s: does not parse: %s at %s", what, err.text,
                err.path);
  return s;
}

static void assert_fingerprint_hex(const kavro_schema_t *s,
                                   kavro_fingerprint_t kind,
                                   const char *expected, const char *what) {
  unsigned char fp[32];
  size_t size = kavro_fingerprint_size(kind);
  ck_assert_int_eq(kavro_schema_fingerprint(s, kind, fp, sizeof(fp)), KAVRO_OK);
  char *hex = kt_hex_encode(fp, size);
  ck_assert_msg(strcmp(hex, expected) == 0, "%s: fingerprint %d is %s, want %s",
                what, (int)kind, hex, expected);
  free(hex);
}

/* One row of canonical.jsonl: form, Rabin (both byte orders), MD5, SHA-256. */
START_TEST(test_canonical_vector) {
  const json_t *row = json_array_get(canonical_rows, (size_t)_i);
  const char *id = row_str(row, "id");
  kavro_schema_t *s = parse_ok(row_str(row, "schema_text"), NULL, id);

  const char *expected = row_str(row, "canonical");
  ck_assert_msg(strcmp(kavro_schema_canonical(s), expected) == 0,
                "%s:\n got  %s\n want %s", id, kavro_schema_canonical(s),
                expected);

  char hex[17];
  snprintf(hex, sizeof(hex), "%016" PRIx64, kavro_schema_rabin(s));
  ck_assert_str_eq(hex, row_str(row, "rabin_fp_hex"));
  assert_fingerprint_hex(s, KAVRO_FINGERPRINT_RABIN,
                         row_str(row, "rabin_fp_le_hex"), id);
  assert_fingerprint_hex(s, KAVRO_FINGERPRINT_MD5, row_str(row, "md5_hex"), id);
  assert_fingerprint_hex(s, KAVRO_FINGERPRINT_SHA256, row_str(row, "sha256_hex"),
                         id);

  /* The Apache cross-language file's own expectation, where the row has one. */
  const json_t *share = json_object_get(row, "avro_share_test");
  if (share) {
    ck_assert_str_eq(kavro_schema_canonical(s), row_str(share, "canonical"));
    const json_t *dec = json_object_get(share, "fingerprint_signed_decimal");
    if (dec)
      ck_assert_uint_eq(kavro_schema_rabin(s),
                        (uint64_t)json_integer_value(dec));
  }
  kavro_schema_destroy(s);
}
END_TEST

/* kavro_rabin() on its own: the empty input gives the spec's EMPTY, and
 * the canonical texts of Apache's schema-tests.txt give their published
 * fingerprints (independent of our canonical writer). */
START_TEST(test_rabin_known_strings) {
  ck_assert_uint_eq(kavro_rabin("", 0), UINT64_C(0xc15d213aa4d7a795));
  ck_assert_uint_eq(kavro_rabin("\"null\"", 6), UINT64_C(0x63dd24e7cc258f8a));
  size_t i, checked = 0;
  json_t *row;
  json_array_foreach(canonical_rows, i, row) {
    const json_t *share = json_object_get(row, "avro_share_test");
    const json_t *dec = json_object_get(share, "fingerprint_signed_decimal");
    if (!dec)
      continue;
    const char *text = row_str(share, "canonical");
    ck_assert_uint_eq(kavro_rabin(text, strlen(text)),
                      (uint64_t)json_integer_value(dec));
    checked++;
  }
  ck_assert_uint_ge(checked, 5);
}
END_TEST

START_TEST(test_fingerprint_sizes_and_bounds) {
  ck_assert_uint_eq(kavro_fingerprint_size(KAVRO_FINGERPRINT_RABIN), 8);
  ck_assert_uint_eq(kavro_fingerprint_size(KAVRO_FINGERPRINT_MD5), 16);
  ck_assert_uint_eq(kavro_fingerprint_size(KAVRO_FINGERPRINT_SHA256), 32);
  ck_assert_uint_eq(kavro_fingerprint_size((kavro_fingerprint_t)42), 0);

  kavro_schema_t *s = parse_ok("\"null\"", NULL, "null");
  unsigned char fp[32];
  ck_assert_int_eq(kavro_schema_fingerprint(s, KAVRO_FINGERPRINT_SHA256, fp, 31),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_int_eq(kavro_schema_fingerprint(s, KAVRO_FINGERPRINT_RABIN, fp, 7),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_int_eq(kavro_schema_fingerprint(s, (kavro_fingerprint_t)42, fp, 32),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_int_eq(kavro_schema_fingerprint(NULL, KAVRO_FINGERPRINT_MD5, fp, 32),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_int_eq(kavro_schema_fingerprint(s, KAVRO_FINGERPRINT_RABIN, fp, 8),
                   KAVRO_OK);
  /* Little-endian: the least significant byte of 0x63dd24e7cc258f8a first. */
  ck_assert_uint_eq(fp[0], 0x8a);
  ck_assert_uint_eq(fp[7], 0x63);
  kavro_schema_destroy(s);
}
END_TEST

/* Cases the vectors do not cover, each with the form the 1.11 rules give. */
static const struct {
  const char *text;
  const char *canonical;
} spec_cases[] = {
    /* "namespace": "" puts a nested type in the null namespace (python gets
     * this wrong, see the README's canonical-form notes). */
    {"{\"type\":\"record\",\"name\":\"Outer\",\"namespace\":\"ns\",\"fields\":"
     "[{\"name\":\"i\",\"type\":{\"type\":\"record\",\"name\":\"Inner\","
     "\"namespace\":\"\",\"fields\":[{\"name\":\"e\",\"type\":{\"type\":"
     "\"enum\",\"name\":\"E\",\"symbols\":[\"A\"]}}]}}]}",
     "{\"name\":\"ns.Outer\",\"type\":\"record\",\"fields\":[{\"name\":\"i\","
     "\"type\":{\"name\":\"Inner\",\"type\":\"record\",\"fields\":[{\"name\":"
     "\"e\",\"type\":{\"name\":\"E\",\"type\":\"enum\",\"symbols\":[\"A\"]}}"
     "]}}]}"},
    /* [ORDER] for every kind, with attributes in the opposite order, and
     * [STRIP] of enum defaults, field orders and properties. */
    {"{\"fields\":[{\"order\":\"descending\",\"type\":{\"size\":2,\"name\":\"F\","
     "\"type\":\"fixed\"},\"name\":\"f\"},{\"type\":{\"default\":\"B\","
     "\"symbols\":[\"A\",\"B\"],\"type\":\"enum\",\"name\":\"E\"},\"name\":\"e\"},"
     "{\"type\":{\"values\":{\"items\":\"F\",\"type\":\"array\",\"x\":1},"
     "\"type\":\"map\"},\"name\":\"m\"}],\"type\":\"record\",\"name\":\"a.R\"}",
     "{\"name\":\"a.R\",\"type\":\"record\",\"fields\":[{\"name\":\"f\",\"type\":"
     "{\"name\":\"a.F\",\"type\":\"fixed\",\"size\":2}},{\"name\":\"e\",\"type\":"
     "{\"name\":\"a.E\",\"type\":\"enum\",\"symbols\":[\"A\",\"B\"]}},{\"name\":"
     "\"m\",\"type\":{\"type\":\"map\",\"values\":{\"type\":\"array\",\"items\":"
     "\"a.F\"}}}]}"},
    /* A decimal and an ignored logical type are both their plain type. */
    {"[{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":4},"
     "{\"type\":\"string\",\"logicalType\":\"no-such-type\"}]",
     "[\"bytes\",\"string\"]"},
    /* A reference in object form. */
    {"{\"type\":\"record\",\"name\":\"W\",\"fields\":[{\"name\":\"w\","
     "\"type\":[\"null\",{\"type\":\"W\"}]}]}",
     "{\"name\":\"W\",\"type\":\"record\",\"fields\":[{\"name\":\"w\",\"type\":"
     "[\"null\",\"W\"]}]}"},
};

START_TEST(test_spec_cases) {
  kavro_schema_t *s = parse_ok(spec_cases[_i].text, NULL, spec_cases[_i].text);
  ck_assert_str_eq(kavro_schema_canonical(s), spec_cases[_i].canonical);
  kavro_schema_destroy(s);
}
END_TEST

/* Named types from a referenced schema are written in full at their first
 * use: the form equals that of the same schema written self-contained. */
START_TEST(test_references_written_in_full) {
  kavro_schema_t *address = parse_ok(
      "{\"type\":\"record\",\"name\":\"Address\",\"namespace\":\"com.acme\","
      "\"fields\":[{\"name\":\"street\",\"type\":\"string\"},{\"name\":\"kind\","
      "\"type\":{\"type\":\"enum\",\"name\":\"Kind\",\"symbols\":[\"HOME\"]}}]}",
      NULL, "Address");
  kavro_parse_options_t options;
  kavro_parse_options_init(&options);
  options.references = &address;
  options.reference_count = 1;
  kavro_schema_t *order = parse_ok(
      "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"com.acme\","
      "\"fields\":[{\"name\":\"ship\",\"type\":\"Address\"},{\"name\":\"bill\","
      "\"type\":[\"null\",\"com.acme.Address\"]},{\"name\":\"k\",\"type\":"
      "\"Kind\"}]}",
      &options, "Order");
  kavro_schema_t *inlined = parse_ok(
      "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"com.acme\","
      "\"fields\":[{\"name\":\"ship\",\"type\":{\"type\":\"record\",\"name\":"
      "\"Address\",\"fields\":[{\"name\":\"street\",\"type\":\"string\"},"
      "{\"name\":\"kind\",\"type\":{\"type\":\"enum\",\"name\":\"Kind\","
      "\"symbols\":[\"HOME\"]}}]}},{\"name\":\"bill\",\"type\":[\"null\","
      "\"Address\"]},{\"name\":\"k\",\"type\":\"Kind\"}]}",
      NULL, "inlined Order");
  ck_assert_str_eq(kavro_schema_canonical(order), kavro_schema_canonical(inlined));
  ck_assert_uint_eq(kavro_schema_rabin(order), kavro_schema_rabin(inlined));
  ck_assert_ptr_nonnull(strstr(kavro_schema_canonical(order),
                               "\"type\":[\"null\",\"com.acme.Address\"]"));
  /* A schema that is nothing but a referenced type is that type. */
  kavro_schema_t *alias = parse_ok("[\"null\",\"com.acme.Address\"]", &options,
                                   "union of a reference");
  char expected[512];
  snprintf(expected, sizeof(expected), "[\"null\",%s]",
           kavro_schema_canonical(address));
  ck_assert_str_eq(kavro_schema_canonical(alias), expected);
  kavro_schema_destroy(alias);
  kavro_schema_destroy(inlined);
  kavro_schema_destroy(order);
  kavro_schema_destroy(address);
}
END_TEST

/* The same schema text gives the same form however it is spaced, and a
 * recursive type through a map and an array terminates. */
START_TEST(test_recursive_terminates) {
  kavro_schema_t *s = parse_ok(
      "{\"type\":\"record\",\"name\":\"Node\",\"namespace\":\"t\",\"fields\":["
      "{\"name\":\"kids\",\"type\":{\"type\":\"array\",\"items\":\"Node\"}},"
      "{\"name\":\"byname\",\"type\":{\"type\":\"map\",\"values\":\"t.Node\"}}]}",
      NULL, "Node");
  ck_assert_str_eq(kavro_schema_canonical(s),
                   "{\"name\":\"t.Node\",\"type\":\"record\",\"fields\":["
                   "{\"name\":\"kids\",\"type\":{\"type\":\"array\",\"items\":"
                   "\"t.Node\"}},{\"name\":\"byname\",\"type\":{\"type\":\"map\","
                   "\"values\":\"t.Node\"}}]}");
  kavro_schema_destroy(s);
}
END_TEST

static Suite *canonical_suite(void) {
  Suite *suite = suite_create("canonical");
  TCase *tc = tcase_create("vectors");
  tcase_add_loop_test(tc, test_canonical_vector, 0,
                      (int)json_array_size(canonical_rows));
  tcase_add_test(tc, test_rabin_known_strings);
  suite_add_tcase(suite, tc);

  tc = tcase_create("api");
  tcase_add_test(tc, test_fingerprint_sizes_and_bounds);
  tcase_add_loop_test(tc, test_spec_cases, 0,
                      (int)(sizeof(spec_cases) / sizeof(spec_cases[0])));
  tcase_add_test(tc, test_references_written_in_full);
  tcase_add_test(tc, test_recursive_terminates);
  suite_add_tcase(suite, tc);
  return suite;
}

int main(void) {
  canonical_rows = kt_load_jsonl(kt_conformance_path("canonical.jsonl"));
  SRunner *runner = srunner_create(canonical_suite());
  srunner_run_all(runner, CK_NORMAL);
  int failed = srunner_ntests_failed(runner);
  srunner_free(runner);
  json_decref(canonical_rows);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
