/*
 * kavro tests - JSON output of the schema model and conversion to avro-c.
 *
 * JSON output: every schema of compat.jsonl and canonical.jsonl that
 * parses is written compact and pretty, parsed again, and must give the
 * same canonical form and the same output (nothing lost on the way).
 *
 * avro-c conversion: every schema of encoding.jsonl and every writer schema
 * of resolution.jsonl is converted and used with avro-c's generic values to
 * read the vector's bytes and write them again, byte for byte; and every
 * schema that avro-c's own parser accepts converts to an equal avro-c
 * schema.
 */
#include <avro.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kavro/schema.h"
#include "testutil.h"

/* Every schema text of compat.jsonl and canonical.jsonl, as {id, text}. */
static json_t *all_schemas;
static json_t *encoding_rows;
static json_t *resolution_rows;

static kavro_schema_t *parse_with(const char *text,
                                  const kavro_parse_options_t *options,
                                  const char *what) {
  kavro_schema_t *s = NULL;
  kavro_error_t err;
  kavro_err_t rc = kavro_schema_parse(text, strlen(text), options, &s, &err);
  ck_assert_msg(rc == KAVRO_OK, "%s: does not parse: %s at %s\n%s", what,
                err.text, err.path, text);
  return s;
}

static kavro_schema_t *parse_ok(const char *text, const char *what) {
  return parse_with(text, NULL, what);
}

/* Parse @text, or NULL when kavro rejects it (invalid-schema vectors). */
static kavro_schema_t *parse_if_valid(const char *text) {
  kavro_schema_t *s = NULL;
  kavro_schema_parse(text, strlen(text), NULL, &s, NULL);
  return s;
}

static const char *schema_id(int i) {
  return json_string_value(json_object_get(json_array_get(all_schemas, (size_t)i), "id"));
}

static const char *schema_text(int i) {
  return json_string_value(json_object_get(json_array_get(all_schemas, (size_t)i), "text"));
}

/* ======================= JSON output ======================================= */

/* Write @s with @flags, parse it again with @options and check that the
 * canonical form and the output itself are unchanged.  Returns the output. */
static char *assert_round_trip(const kavro_schema_t *s, unsigned flags,
                               const kavro_parse_options_t *options,
                               const char *what) {
  char *out = kavro_schema_to_json(s, flags);
  ck_assert_ptr_nonnull(out);
  kavro_schema_t *again = parse_with(out, options, what);
  ck_assert_msg(strcmp(kavro_schema_canonical(again), kavro_schema_canonical(s)) == 0,
                "%s: canonical form changed\n was %s\n now %s\n via %s", what,
                kavro_schema_canonical(s), kavro_schema_canonical(again), out);
  char *out2 = kavro_schema_to_json(again, flags);
  ck_assert_msg(strcmp(out, out2) == 0, "%s: output is not stable\n %s\n %s",
                what, out, out2);
  free(out2);
  kavro_schema_destroy(again);
  return out;
}

START_TEST(test_json_round_trip_vectors) {
  kavro_schema_t *s = parse_if_valid(schema_text(_i));
  if (!s) {
    /* Only the invalid-schema vectors may fail; check_schema covers them. */
    ck_assert_msg(strstr(schema_id(_i), ".schema_validity.") != NULL,
                  "%s: does not parse", schema_id(_i));
    return;
  }
  char *compact = assert_round_trip(s, KAVRO_JSON_COMPACT, NULL, schema_id(_i));
  char *pretty = assert_round_trip(s, KAVRO_JSON_PRETTY, NULL, schema_id(_i));
  ck_assert_ptr_null(strchr(compact, '\n'));
  /* Pretty and compact are the same JSON value. */
  json_t *a = json_loads(compact, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
  json_t *b = json_loads(pretty, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
  ck_assert_msg(a && b && json_equal(a, b), "%s: pretty differs from compact",
                schema_id(_i));
  json_decref(a);
  json_decref(b);
  free(compact);
  free(pretty);
  kavro_schema_destroy(s);
}
END_TEST

/* Enough of the vectors parse for the round trip above to mean something. */
START_TEST(test_json_round_trip_coverage) {
  size_t parsed = 0;
  for (size_t i = 0; i < json_array_size(all_schemas); i++) {
    kavro_schema_t *s = parse_if_valid(schema_text((int)i));
    parsed += s != NULL;
    kavro_schema_destroy(s);
  }
  ck_assert_uint_ge(parsed, 415);
}
END_TEST

/* Every kind of attribute, written back as it was given. */
static const char rich_schema[] =
    "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"com.acme\","
    "\"doc\":\"An order.\\n\\\"Quoted\\\"\",\"aliases\":[\"OldOrder\",\"x.Y\"],"
    "\"fields\":["
    "{\"name\":\"id\",\"type\":{\"type\":\"string\",\"logicalType\":\"uuid\"},"
    "\"doc\":\"key\",\"order\":\"descending\",\"aliases\":[\"key\"]},"
    "{\"name\":\"amount\",\"type\":{\"type\":\"bytes\",\"logicalType\":\"decimal\","
    "\"precision\":10,\"scale\":2},\"default\":\"\\u0000\\u00ff\"},"
    "{\"name\":\"state\",\"type\":{\"type\":\"enum\",\"name\":\"State\","
    "\"namespace\":\"com.acme.types\",\"symbols\":[\"NEW\",\"DONE\"],"
    "\"default\":\"NEW\",\"x-enum\":true},\"default\":\"DONE\",\"order\":\"ignore\"},"
    "{\"name\":\"hash\",\"type\":{\"type\":\"fixed\",\"name\":\"Hash\","
    "\"namespace\":\"\",\"size\":12,\"logicalType\":\"duration\"}},"
    "{\"name\":\"tags\",\"type\":{\"type\":\"map\",\"values\":{\"type\":\"array\","
    "\"items\":\"com.acme.types.State\"},\"x-map\":[1,{\"a\":null}]},"
    "\"default\":{\"k\":[\"NEW\"]}},"
    "{\"name\":\"next\",\"type\":[\"null\",\"Order\",\"Hash\"],\"default\":null,"
    "\"x-field\":\"f\"},"
    "{\"name\":\"odd\",\"type\":{\"type\":\"int\",\"logicalType\":\"date\","
    "\"x-p\":1},\"default\":-5},"
    "{\"name\":\"ignored\",\"type\":{\"type\":\"string\",\"logicalType\":"
    "\"x-unknown\",\"x-param\":2.5}}"
    "],\"x-record\":{\"nested\":[true,false]}}";

/* In the order Java's Avro writes (the registry's schema text): a named
 * type's aliases last. */
static const char rich_compact[] =
    "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"com.acme\","
    "\"doc\":\"An order.\\n\\\"Quoted\\\"\","
    "\"fields\":["
    "{\"name\":\"id\",\"type\":{\"type\":\"string\",\"logicalType\":\"uuid\"},"
    "\"doc\":\"key\",\"order\":\"descending\",\"aliases\":[\"key\"]},"
    "{\"name\":\"amount\",\"type\":{\"type\":\"bytes\",\"logicalType\":\"decimal\","
    "\"precision\":10,\"scale\":2},\"default\":\"\\u0000\xc3\xbf\"},"
    "{\"name\":\"state\",\"type\":{\"type\":\"enum\",\"name\":\"State\","
    "\"namespace\":\"com.acme.types\",\"symbols\":[\"NEW\",\"DONE\"],"
    "\"default\":\"NEW\",\"x-enum\":true},\"default\":\"DONE\",\"order\":\"ignore\"},"
    "{\"name\":\"hash\",\"type\":{\"type\":\"fixed\",\"name\":\"Hash\","
    "\"namespace\":\"\",\"size\":12,\"logicalType\":\"duration\"}},"
    "{\"name\":\"tags\",\"type\":{\"type\":\"map\",\"values\":{\"type\":\"array\","
    "\"items\":\"com.acme.types.State\"},\"x-map\":[1,{\"a\":null}]},"
    "\"default\":{\"k\":[\"NEW\"]}},"
    "{\"name\":\"next\",\"type\":[\"null\",\"Order\",\"Hash\"],\"default\":null,"
    "\"x-field\":\"f\"},"
    "{\"name\":\"odd\",\"type\":{\"type\":\"int\",\"logicalType\":\"date\","
    "\"x-p\":1},\"default\":-5},"
    "{\"name\":\"ignored\",\"type\":{\"type\":\"string\",\"logicalType\":"
    "\"x-unknown\",\"x-param\":2.5}}"
    "],\"x-record\":{\"nested\":[true,false]},"
    "\"aliases\":[\"OldOrder\",\"x.Y\"]}";

START_TEST(test_json_keeps_every_attribute) {
  kavro_schema_t *s = parse_ok(rich_schema, "rich schema");
  char *out = kavro_schema_to_json(s, KAVRO_JSON_COMPACT);
  ck_assert_str_eq(out, rich_compact);
  free(out);
  free(assert_round_trip(s, KAVRO_JSON_PRETTY, NULL, "rich schema"));
  kavro_schema_destroy(s);
}
END_TEST

START_TEST(test_json_pretty_layout) {
  kavro_schema_t *s = parse_ok(
      "{\"type\":\"record\",\"name\":\"P\",\"fields\":[{\"name\":\"a\",\"type\":"
      "[\"null\",{\"type\":\"array\",\"items\":\"int\"}],\"default\":null},"
      "{\"name\":\"e\",\"type\":{\"type\":\"record\",\"name\":\"E\",\"fields\":[]}}]}",
      "pretty");
  char *out = kavro_schema_to_json(s, KAVRO_JSON_PRETTY);
  ck_assert_str_eq(out,
                   "{\n"
                   "  \"type\": \"record\",\n"
                   "  \"name\": \"P\",\n"
                   "  \"fields\": [\n"
                   "    {\n"
                   "      \"name\": \"a\",\n"
                   "      \"type\": [\n"
                   "        \"null\",\n"
                   "        {\n"
                   "          \"type\": \"array\",\n"
                   "          \"items\": \"int\"\n"
                   "        }\n"
                   "      ],\n"
                   "      \"default\": null\n"
                   "    },\n"
                   "    {\n"
                   "      \"name\": \"e\",\n"
                   "      \"type\": {\n"
                   "        \"type\": \"record\",\n"
                   "        \"name\": \"E\",\n"
                   "        \"fields\": []\n"
                   "      }\n"
                   "    }\n"
                   "  ]\n"
                   "}");
  free(out);
  kavro_schema_destroy(s);
}
END_TEST

/* KAVRO_JSON_NORMALIZED writes two spellings of one schema alike: aliases
 * and custom properties sorted, no empty doc on a named type; without it
 * each keeps its own. */
START_TEST(test_json_normalized) {
  const char *a =
      "{\"type\":\"record\",\"name\":\"N\",\"doc\":\"\",\"aliases\":[\"Q\",\"P\"],"
      "\"x-b\":1,\"x-a\":{\"z\":1,\"y\":2},\"fields\":[{\"name\":\"f\",\"doc\":\"\","
      "\"aliases\":[\"h\",\"g\"],\"type\":\"int\"}]}";
  const char *b =
      "{\"type\":\"record\",\"name\":\"N\",\"aliases\":[\"P\",\"Q\"],"
      "\"x-a\":{\"z\":1,\"y\":2},\"x-b\":1,\"fields\":[{\"name\":\"f\",\"doc\":\"\","
      "\"aliases\":[\"g\",\"h\"],\"type\":\"int\"}]}";
  kavro_schema_t *sa = parse_ok(a, "a"), *sb = parse_ok(b, "b");
  char *plain_a = kavro_schema_to_json(sa, KAVRO_JSON_COMPACT);
  char *plain_b = kavro_schema_to_json(sb, KAVRO_JSON_COMPACT);
  ck_assert_str_ne(plain_a, plain_b);
  char *norm_a = kavro_schema_to_json(sa, KAVRO_JSON_NORMALIZED);
  char *norm_b = kavro_schema_to_json(sb, KAVRO_JSON_NORMALIZED);
  ck_assert_str_eq(norm_a, norm_b);
  /* A field's empty doc stays, as in the registry's form; nested
   * property values keep their order. */
  ck_assert_str_eq(norm_a,
                   "{\"type\":\"record\",\"name\":\"N\","
                   "\"fields\":[{\"name\":\"f\",\"type\":\"int\",\"doc\":\"\","
                   "\"aliases\":[\"g\",\"h\"]}],\"x-a\":{\"z\":1,\"y\":2},"
                   "\"x-b\":1,\"aliases\":[\"P\",\"Q\"]}");
  char *pretty = kavro_schema_to_json(sa, KAVRO_JSON_NORMALIZED | KAVRO_JSON_PRETTY);
  ck_assert_ptr_nonnull(strchr(pretty, '\n'));
  free(pretty);
  free(plain_a);
  free(plain_b);
  free(norm_a);
  free(norm_b);
  kavro_schema_destroy(sa);
  kavro_schema_destroy(sb);
}
END_TEST

/* The registry's text is what Java's Avro writes (Schema.toString()): a
 * logicalType and its parameters are properties there, in the text's
 * order; normalizing writes the logical type first (a decimal's scale only
 * when it is not 0, unless the text gave it) and the rest sorted.  Each
 * expected text here is Java's output for the same input. */
START_TEST(test_json_java_layout) {
  const char *text =
      "{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"ns\","
      "\"aliases\":[\"Z\",\"A\"],\"doc\":\"d\",\"zprop\":1,\"aprop\":2.50,"
      "\"fields\":[{\"name\":\"x\",\"type\":\"double\",\"aliases\":[\"q\"],"
      "\"fp\":true,\"default\":1e2,\"doc\":\"fd\",\"order\":\"ignore\"},"
      "{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\","
      "\"symbols\":[\"A\"],\"aliases\":[\"EE\"],\"ep\":1,\"default\":\"A\"}},"
      "{\"name\":\"f\",\"type\":{\"type\":\"fixed\",\"name\":\"F\",\"size\":4,"
      "\"aliases\":[\"FF\"],\"fp\":1,\"logicalType\":\"decimal\","
      "\"precision\":4,\"scale\":0}},"
      "{\"name\":\"d\",\"type\":{\"type\":\"bytes\",\"scale\":0,"
      "\"precision\":4,\"logicalType\":\"decimal\"}},"
      "{\"name\":\"m\",\"type\":{\"type\":\"bytes\",\"x\":1,"
      "\"logicalType\":\"decimal\",\"precision\":9}}]}";
  kavro_schema_t *s = parse_ok(text, "layout");
  char *plain = kavro_schema_to_json(s, KAVRO_JSON_COMPACT);
  ck_assert_str_eq(
      plain,
      "{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"ns\",\"doc\":\"d\","
      "\"fields\":[{\"name\":\"x\",\"type\":\"double\",\"doc\":\"fd\","
      "\"default\":100.0,\"order\":\"ignore\",\"aliases\":[\"q\"],\"fp\":true},"
      "{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\","
      "\"symbols\":[\"A\"],\"default\":\"A\",\"ep\":1,\"aliases\":[\"EE\"]}},"
      "{\"name\":\"f\",\"type\":{\"type\":\"fixed\",\"name\":\"F\",\"size\":4,"
      "\"fp\":1,\"logicalType\":\"decimal\",\"precision\":4,\"scale\":0,"
      "\"aliases\":[\"FF\"]}},"
      "{\"name\":\"d\",\"type\":{\"type\":\"bytes\",\"scale\":0,"
      "\"precision\":4,\"logicalType\":\"decimal\"}},"
      "{\"name\":\"m\",\"type\":{\"type\":\"bytes\",\"x\":1,"
      "\"logicalType\":\"decimal\",\"precision\":9}}],"
      "\"zprop\":1,\"aprop\":2.5,\"aliases\":[\"Z\",\"A\"]}");
  char *normal = kavro_schema_to_json(s, KAVRO_JSON_NORMALIZED);
  ck_assert_str_eq(
      normal,
      "{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"ns\",\"doc\":\"d\","
      "\"fields\":[{\"name\":\"x\",\"type\":\"double\",\"doc\":\"fd\","
      "\"default\":100.0,\"order\":\"ignore\",\"aliases\":[\"q\"],\"fp\":true},"
      "{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\","
      "\"symbols\":[\"A\"],\"default\":\"A\",\"ep\":1,\"aliases\":[\"EE\"]}},"
      "{\"name\":\"f\",\"type\":{\"type\":\"fixed\",\"name\":\"F\",\"size\":4,"
      "\"logicalType\":\"decimal\",\"precision\":4,\"fp\":1,\"scale\":0,"
      "\"aliases\":[\"FF\"]}},"
      "{\"name\":\"d\",\"type\":{\"type\":\"bytes\",\"logicalType\":\"decimal\","
      "\"precision\":4,\"scale\":0}},"
      "{\"name\":\"m\",\"type\":{\"type\":\"bytes\",\"logicalType\":\"decimal\","
      "\"precision\":9,\"x\":1}}],"
      "\"aprop\":2.5,\"zprop\":1,\"aliases\":[\"A\",\"Z\"]}");
  free(plain);
  free(normal);
  kavro_schema_destroy(s);
}
END_TEST

/* Numbers read back to the same value: integers as given, reals as Java
 * writes them (Double.toString(), the registry's text). */
START_TEST(test_json_numbers_exact) {
  kavro_schema_t *s = parse_ok(
      "{\"type\":\"record\",\"name\":\"N\",\"fields\":["
      "{\"name\":\"a\",\"type\":\"double\",\"default\":0.1},"
      "{\"name\":\"b\",\"type\":\"double\",\"default\":-0.0},"
      "{\"name\":\"c\",\"type\":\"double\",\"default\":1e300},"
      "{\"name\":\"d\",\"type\":\"double\",\"default\":5e-324},"
      "{\"name\":\"e\",\"type\":\"float\",\"default\":1},"
      "{\"name\":\"f\",\"type\":\"long\",\"default\":-9223372036854775808},"
      "{\"name\":\"g\",\"type\":\"long\",\"default\":9007199254740993},"
      "{\"name\":\"h\",\"type\":\"double\",\"default\":100.0}]}",
      "numbers");
  char *out = kavro_schema_to_json(s, KAVRO_JSON_COMPACT);
  static const char *const expected[] = {
      "\"default\":0.1}", "\"default\":-0.0}", "\"default\":1.0E300}",
      "\"default\":4.9E-324}", "\"default\":1}",
      "\"default\":-9223372036854775808}", "\"default\":9007199254740993}",
      "\"default\":100.0}"};
  for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++)
    ck_assert_msg(strstr(out, expected[i]), "%s not in %s", expected[i], out);
  json_t *in = json_loads(kavro_schema_text(s), 0, NULL);
  json_t *back = json_loads(out, 0, NULL);
  ck_assert(json_equal(in, back));
  json_decref(in);
  json_decref(back);
  free(out);
  kavro_schema_destroy(s);
}
END_TEST

/* Named types from references are written by name, and the output parses
 * with the same references to the same schema. */
START_TEST(test_json_references_by_name) {
  kavro_schema_t *address = parse_ok(
      "{\"type\":\"record\",\"name\":\"Address\",\"namespace\":\"com.acme.geo\","
      "\"fields\":[{\"name\":\"street\",\"type\":\"string\"}]}",
      "Address");
  kavro_parse_options_t options;
  kavro_parse_options_init(&options);
  options.references = &address;
  options.reference_count = 1;
  kavro_schema_t *order = parse_with(
      "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"com.acme\","
      "\"fields\":[{\"name\":\"ship\",\"type\":\"com.acme.geo.Address\"},"
      "{\"name\":\"bill\",\"type\":[\"null\",\"com.acme.geo.Address\"]}]}",
      &options, "Order");
  char *out = assert_round_trip(order, KAVRO_JSON_COMPACT, &options, "Order");
  ck_assert_str_eq(out,
                   "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":"
                   "\"com.acme\",\"fields\":[{\"name\":\"ship\",\"type\":"
                   "\"com.acme.geo.Address\"},{\"name\":\"bill\",\"type\":"
                   "[\"null\",\"com.acme.geo.Address\"]}]}");
  /* A schema that is only a referenced type stays a name. */
  kavro_schema_t *bare = parse_with("\"com.acme.geo.Address\"", &options, "bare");
  char *bare_out = assert_round_trip(bare, KAVRO_JSON_PRETTY, &options, "bare");
  ck_assert_str_eq(bare_out, "\"com.acme.geo.Address\"");
  ck_assert_str_eq(kavro_schema_canonical(bare), kavro_schema_canonical(address));
  free(bare_out);
  kavro_schema_destroy(bare);
  /* Without the reference the output does not stand alone. */
  kavro_schema_t *alone = NULL;
  ck_assert_int_eq(kavro_schema_parse(out, strlen(out), NULL, &alone, NULL),
                   KAVRO_ERR_SCHEMA_INVALID);
  free(out);
  kavro_schema_destroy(order);
  kavro_schema_destroy(address);
}
END_TEST

/* Namespaces are written only where they change, "" for the null one, and
 * references use the shortest name that resolves. */
START_TEST(test_json_namespaces) {
  kavro_schema_t *s = parse_ok(
      "{\"type\":\"record\",\"name\":\"a.b.Outer\",\"fields\":["
      "{\"name\":\"i\",\"type\":{\"type\":\"record\",\"name\":\"Inner\","
      "\"fields\":[{\"name\":\"o\",\"type\":[\"null\",\"a.b.Outer\"]}]}},"
      "{\"name\":\"n\",\"type\":{\"type\":\"enum\",\"name\":\"Top\","
      "\"namespace\":\"\",\"symbols\":[\"X\"]}},"
      "{\"name\":\"c\",\"type\":{\"type\":\"fixed\",\"name\":\"c.F\",\"size\":1}},"
      "{\"name\":\"r\",\"type\":[\"Inner\",\"c.F\"]}]}",
      "namespaces");
  char *out = assert_round_trip(s, KAVRO_JSON_COMPACT, NULL, "namespaces");
  ck_assert_str_eq(out,
                   "{\"type\":\"record\",\"name\":\"Outer\",\"namespace\":\"a.b\","
                   "\"fields\":[{\"name\":\"i\",\"type\":{\"type\":\"record\","
                   "\"name\":\"Inner\",\"fields\":[{\"name\":\"o\",\"type\":"
                   "[\"null\",\"Outer\"]}]}},{\"name\":\"n\",\"type\":{\"type\":"
                   "\"enum\",\"name\":\"Top\",\"namespace\":\"\",\"symbols\":"
                   "[\"X\"]}},{\"name\":\"c\",\"type\":{\"type\":\"fixed\","
                   "\"name\":\"F\",\"namespace\":\"c\",\"size\":1}},{\"name\":"
                   "\"r\",\"type\":[\"Inner\",\"c.F\"]}]}");
  free(out);
  kavro_schema_destroy(s);
}
END_TEST

START_TEST(test_json_error_and_primitives) {
  static const struct {
    const char *in, *out;
  } cases[] = {
      {"{\"type\":\"error\",\"name\":\"Oops\",\"fields\":[]}",
       "{\"type\":\"error\",\"name\":\"Oops\",\"fields\":[]}"},
      {"{\"type\":\"long\"}", "\"long\""},
      {"[\"null\",{\"type\":\"string\",\"avro.java.string\":\"String\"}]",
       "[\"null\",{\"type\":\"string\",\"avro.java.string\":\"String\"}]"},
      {"{\"type\":\"string\",\"x\":\"a\\u0000b\"}",
       "{\"type\":\"string\",\"x\":\"a\\u0000b\"}"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    kavro_schema_t *s = parse_ok(cases[i].in, cases[i].in);
    char *out = assert_round_trip(s, KAVRO_JSON_COMPACT, NULL, cases[i].in);
    ck_assert_str_eq(out, cases[i].out);
    free(out);
    kavro_schema_destroy(s);
  }
  ck_assert_ptr_null(kavro_schema_to_json(NULL, KAVRO_JSON_COMPACT));
}
END_TEST

/* ======================= avro-c conversion ================================= */

static avro_schema_t to_avro_ok(const kavro_schema_t *s, const char *what) {
  avro_schema_t out = NULL;
  kavro_error_t err;
  kavro_err_t rc = kavro_schema_to_avro(s, &out, &err);
  ck_assert_msg(rc == KAVRO_OK && out, "%s: conversion failed: %s", what, err.text);
  return out;
}

/* Read @hex with avro-c's generic value for @schema, write it again and
 * compare the bytes: the conversion must describe the exact encoding. */
static void assert_bytes_round_trip(avro_schema_t schema, const char *hex,
                                    const char *what) {
  size_t length;
  unsigned char *bytes = kt_hex_decode(hex, &length);
  ck_assert_ptr_nonnull(bytes);
  avro_value_iface_t *iface = avro_generic_class_from_schema(schema);
  ck_assert_msg(iface != NULL, "%s: no generic class: %s", what, avro_strerror());
  avro_value_t value;
  ck_assert_int_eq(avro_generic_value_new(iface, &value), 0);

  avro_reader_t reader = avro_reader_memory((const char *)bytes, (int64_t)length);
  ck_assert_msg(avro_value_read(reader, &value) == 0, "%s: avro-c cannot read %s: %s",
                what, hex, avro_strerror());
  size_t size = 0;
  ck_assert_int_eq(avro_value_sizeof(&value, &size), 0);
  ck_assert_msg(size == length, "%s: read %zu of %zu bytes", what, size, length);

  char *again = calloc(1, length + 16);
  avro_writer_t writer = avro_writer_memory(again, (int64_t)length + 16);
  ck_assert_int_eq(avro_value_write(writer, &value), 0);
  ck_assert_int_eq(avro_writer_tell(writer), (int64_t)length);
  char *again_hex = kt_hex_encode((unsigned char *)again, length);
  ck_assert_msg(strcmp(again_hex, hex) == 0, "%s: wrote %s, read %s", what,
                again_hex, hex);

  free(again_hex);
  avro_writer_free(writer);
  free(again);
  avro_reader_free(reader);
  avro_value_decref(&value);
  avro_value_iface_decref(iface);
  free(bytes);
}

static void assert_vector_round_trip(const json_t *row, const char *schema_key,
                                     const char *hex_key) {
  const char *id = json_string_value(json_object_get(row, "id"));
  char *text = json_dumps(json_object_get(row, schema_key), JSON_ENCODE_ANY);
  kavro_schema_t *s = parse_ok(text, id);
  avro_schema_t schema = to_avro_ok(s, id);
  assert_bytes_round_trip(schema, json_string_value(json_object_get(row, hex_key)), id);
  avro_schema_decref(schema);
  kavro_schema_destroy(s);
  free(text);
}

START_TEST(test_avro_encoding_vectors) {
  assert_vector_round_trip(json_array_get(encoding_rows, (size_t)_i), "schema", "hex");
}
END_TEST

START_TEST(test_avro_resolution_writers) {
  assert_vector_round_trip(json_array_get(resolution_rows, (size_t)_i), "writer",
                           "writer_bytes_hex");
}
END_TEST

/* avro-c's text form of @schema (its own writer), malloc'd. */
static char *avro_text(avro_schema_t schema) {
  size_t cap = 1u << 20;
  char *buf = calloc(1, cap);
  avro_writer_t writer = avro_writer_memory(buf, (int64_t)cap - 1);
  ck_assert_int_eq(avro_schema_to_json(schema, writer), 0);
  buf[avro_writer_tell(writer)] = '\0';
  avro_writer_free(writer);
  return buf;
}

/* Compare the conversion with avro-c's parse of @text, when avro-c accepts
 * it.  Returns whether a comparison was made. */
static bool compare_with_avroc_parse(avro_schema_t ours, const char *text,
                                     const char *what) {
  avro_schema_t theirs = NULL;
  if (avro_schema_from_json_length(text, strlen(text), &theirs) != 0)
    return false;
  ck_assert_msg(avro_schema_equal(ours, theirs) && avro_schema_equal(theirs, ours),
                "%s: differs from avro-c's parse of %s", what, text);
  char *a = avro_text(ours), *b = avro_text(theirs);
  ck_assert_msg(strcmp(a, b) == 0, "%s:\n ours   %s\n avro-c %s", what, a, b);
  free(a);
  free(b);
  avro_schema_decref(theirs);
  return true;
}

/* Every valid vector schema converts; where avro-c's parser accepts the
 * original text or the canonical form, the two avro-c schemas are equal
 * (recursive ones too: avro-c's links hold no reference, so its parse of
 * them is freed). */
START_TEST(test_avro_matches_avroc_parser) {
  size_t compared = 0, converted = 0;
  for (size_t i = 0; i < json_array_size(all_schemas); i++) {
    const char *id = schema_id((int)i), *text = schema_text((int)i);
    kavro_schema_t *s = parse_if_valid(text);
    if (!s)
      continue;
    avro_schema_t ours = to_avro_ok(s, id);
    converted++;
    compared += compare_with_avroc_parse(ours, text, id);
    compared += compare_with_avroc_parse(ours, kavro_schema_canonical(s), id);
    avro_schema_decref(ours);
    kavro_schema_destroy(s);
  }
  /* avro-c refuses three of them (an "error" record, an empty union, a NUL
   * in a default), in both forms or in the original text only. */
  ck_assert_uint_ge(converted, 415);
  ck_assert_uint_ge(compared, 2 * converted - 8);
}
END_TEST

static void set_list_node(avro_value_t *record, int64_t v, avro_value_t *next) {
  avro_value_t field;
  ck_assert_int_eq(avro_value_get_by_name(record, "value", &field, NULL), 0);
  ck_assert_int_eq(avro_value_set_long(&field, v), 0);
  ck_assert_int_eq(avro_value_get_by_name(record, "next", &field, NULL), 0);
  if (next) {
    ck_assert_int_eq(avro_value_set_branch(&field, 1, next), 0);
  } else {
    avro_value_t null_branch;
    ck_assert_int_eq(avro_value_set_branch(&field, 0, &null_branch), 0);
    ck_assert_int_eq(avro_value_set_null(&null_branch), 0);
  }
}

/* A recursive schema works through avro-c and is freed completely (the
 * sanitizer build checks that nothing leaks). */
START_TEST(test_avro_recursive_value) {
  kavro_schema_t *s = parse_ok(
      "{\"type\":\"record\",\"name\":\"LongList\",\"fields\":[{\"name\":\"value\","
      "\"type\":\"long\"},{\"name\":\"next\",\"type\":[\"null\",\"LongList\"]}]}",
      "LongList");
  avro_schema_t schema = to_avro_ok(s, "LongList");
  avro_schema_t next = avro_schema_record_field_get(schema, "next");
  avro_schema_t link = avro_schema_union_branch(next, 1);
  ck_assert(is_avro_link(link));
  ck_assert_ptr_eq(avro_schema_link_target(link), schema);

  avro_value_iface_t *iface = avro_generic_class_from_schema(schema);
  avro_value_t head, second, third;
  ck_assert_int_eq(avro_generic_value_new(iface, &head), 0);
  set_list_node(&head, 1, &second);
  set_list_node(&second, 2, &third);
  set_list_node(&third, 3, NULL);

  char buf[64] = {0};
  avro_writer_t writer = avro_writer_memory(buf, sizeof(buf));
  ck_assert_int_eq(avro_value_write(writer, &head), 0);
  char *hex = kt_hex_encode((unsigned char *)buf, (size_t)avro_writer_tell(writer));
  ck_assert_str_eq(hex, "020204020600");
  free(hex);
  avro_writer_free(writer);
  avro_value_decref(&head);
  avro_value_iface_decref(iface);
  avro_schema_decref(schema);
  /* The schema's recursion also round-trips through encoded bytes. */
  schema = to_avro_ok(s, "LongList");
  assert_bytes_round_trip(schema, "020204020600", "LongList");
  avro_schema_decref(schema);
  kavro_schema_destroy(s);
}
END_TEST

/* Mutual recursion through a union, and a named type used twice: the
 * first use is the definition, later ones are links to it. */
START_TEST(test_avro_links) {
  kavro_schema_t *s = parse_ok(
      "{\"type\":\"record\",\"name\":\"Ping\",\"namespace\":\"m\",\"fields\":["
      "{\"name\":\"pong\",\"type\":[\"null\",{\"type\":\"record\",\"name\":"
      "\"Pong\",\"fields\":[{\"name\":\"ping\",\"type\":[\"null\",\"Ping\"]},"
      "{\"name\":\"h\",\"type\":{\"type\":\"fixed\",\"name\":\"H\",\"size\":2}}]}]},"
      "{\"name\":\"h1\",\"type\":\"H\"},{\"name\":\"p2\",\"type\":{\"type\":"
      "\"array\",\"items\":\"Pong\"}}]}",
      "PingPong");
  avro_schema_t ping = to_avro_ok(s, "PingPong");
  avro_schema_t pong = avro_schema_union_branch(
      avro_schema_record_field_get(ping, "pong"), 1);
  ck_assert(is_avro_record(pong));
  ck_assert_str_eq(avro_schema_namespace(pong), "m");
  avro_schema_t h1 = avro_schema_record_field_get(ping, "h1");
  ck_assert(is_avro_link(h1));
  ck_assert_ptr_eq(avro_schema_link_target(h1),
                   avro_schema_record_field_get(pong, "h"));
  avro_schema_t items = avro_schema_array_items(avro_schema_record_field_get(ping, "p2"));
  ck_assert(is_avro_link(items));
  ck_assert_ptr_eq(avro_schema_link_target(items), pong);
  /* Ping{pong: Pong{ping: null, h: "ab"}, h1: "cd", p2: []}. */
  assert_bytes_round_trip(ping, "02006162636400", "PingPong");
  avro_schema_decref(ping);
  kavro_schema_destroy(s);
}
END_TEST

/* Valid schemas that avro-c's own parser refuses still convert, and an
 * empty record and a type in the null namespace inside another come out
 * right. */
START_TEST(test_avro_beyond_avroc_parser) {
  static const struct {
    const char *text, *hex;
  } cases[] = {
      {"{\"type\":\"error\",\"name\":\"Oops\",\"fields\":[{\"name\":\"m\","
       "\"type\":\"string\"}]}", "026f"},
      {"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"b\","
       "\"type\":\"bytes\",\"default\":\"\\u0000\"}]}", "0261"},
      {"{\"type\":\"record\",\"name\":\"Empty\",\"fields\":[]}", ""},
      {"{\"type\":\"record\",\"name\":\"O\",\"namespace\":\"ns\",\"fields\":["
       "{\"name\":\"i\",\"type\":{\"type\":\"fixed\",\"name\":\"I\","
       "\"namespace\":\"\",\"size\":1}},{\"name\":\"j\",\"type\":\"I\"}]}",
       "0708"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    kavro_schema_t *s = parse_ok(cases[i].text, cases[i].text);
    avro_schema_t schema = to_avro_ok(s, cases[i].text);
    assert_bytes_round_trip(schema, cases[i].hex, cases[i].text);
    avro_schema_decref(schema);
    kavro_schema_destroy(s);
  }
  kavro_schema_t *s = parse_ok(cases[3].text, "null namespace");
  avro_schema_t schema = to_avro_ok(s, "null namespace");
  avro_schema_t fixed = avro_schema_record_field_get(schema, "i");
  ck_assert(is_avro_fixed(fixed));
  ck_assert_ptr_null(avro_schema_namespace(fixed));
  avro_schema_t link = avro_schema_record_field_get(schema, "j");
  ck_assert(is_avro_link(link));
  ck_assert_ptr_eq(avro_schema_link_target(link), fixed);
  avro_schema_decref(schema);
  kavro_schema_destroy(s);

  s = parse_ok("{\"type\":\"enum\",\"name\":\"None\",\"symbols\":[]}", "None");
  schema = to_avro_ok(s, "None");
  ck_assert_int_eq(avro_schema_enum_number_of_symbols(schema), 0);
  avro_schema_decref(schema);
  kavro_schema_destroy(s);
}
END_TEST

START_TEST(test_avro_logical_types_are_underlying) {
  kavro_schema_t *s = parse_ok(
      "[{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"},"
      "{\"type\":\"fixed\",\"name\":\"D\",\"size\":4,\"logicalType\":\"decimal\","
      "\"precision\":9,\"scale\":2}]",
      "logical");
  avro_schema_t schema = to_avro_ok(s, "logical");
  ck_assert(is_avro_int64(avro_schema_union_branch(schema, 0)));
  avro_schema_t d = avro_schema_union_branch(schema, 1);
  ck_assert(is_avro_fixed(d));
  ck_assert_int_eq(avro_schema_fixed_size(d), 4);
  avro_schema_decref(schema);
  kavro_schema_destroy(s);

  avro_schema_t out = (avro_schema_t)1;
  kavro_error_t err;
  ck_assert_int_eq(kavro_schema_to_avro(NULL, &out, &err), KAVRO_ERR_INVALID_ARG);
  ck_assert_ptr_null(out);
}
END_TEST

/* ======================= the program ======================================= */

static void add_schema(const char *id, const char *suffix, const char *text) {
  char full[512];
  snprintf(full, sizeof(full), "%s%s", id, suffix);
  json_array_append_new(all_schemas, json_pack("{s:s, s:s}", "id", full, "text", text));
}

static void add_schema_value(const char *id, const char *suffix, json_t *value) {
  char *text = json_dumps(value, JSON_ENCODE_ANY);
  add_schema(id, suffix, text);
  free(text);
}

static void collect_schemas(void) {
  all_schemas = json_array();
  json_t *rows = kt_load_jsonl(kt_conformance_path("compat.jsonl"));
  size_t i;
  json_t *row;
  json_array_foreach(rows, i, row) {
    const char *id = json_string_value(json_object_get(row, "id"));
    json_t *text = json_object_get(row, "schema_text");
    if (json_is_string(text)) {
      add_schema(id, "", json_string_value(text));
    } else {
      add_schema_value(id, " reader", json_object_get(row, "reader"));
      add_schema_value(id, " writer", json_object_get(row, "writer"));
    }
  }
  json_decref(rows);
  rows = kt_load_jsonl(kt_conformance_path("canonical.jsonl"));
  json_array_foreach(rows, i, row) {
    add_schema(json_string_value(json_object_get(row, "id")), "",
               json_string_value(json_object_get(row, "schema_text")));
  }
  json_decref(rows);
}

static Suite *output_suite(void) {
  Suite *suite = suite_create("schema output");
  TCase *tc = tcase_create("json");
  tcase_add_loop_test(tc, test_json_round_trip_vectors, 0,
                      (int)json_array_size(all_schemas));
  tcase_add_test(tc, test_json_round_trip_coverage);
  tcase_add_test(tc, test_json_keeps_every_attribute);
  tcase_add_test(tc, test_json_pretty_layout);
  tcase_add_test(tc, test_json_normalized);
  tcase_add_test(tc, test_json_numbers_exact);
  tcase_add_test(tc, test_json_java_layout);
  tcase_add_test(tc, test_json_references_by_name);
  tcase_add_test(tc, test_json_namespaces);
  tcase_add_test(tc, test_json_error_and_primitives);
  suite_add_tcase(suite, tc);

  tc = tcase_create("avro-c");
  tcase_set_timeout(tc, 60);
  tcase_add_loop_test(tc, test_avro_encoding_vectors, 0,
                      (int)json_array_size(encoding_rows));
  tcase_add_loop_test(tc, test_avro_resolution_writers, 0,
                      (int)json_array_size(resolution_rows));
  tcase_add_test(tc, test_avro_matches_avroc_parser);
  tcase_add_test(tc, test_avro_recursive_value);
  tcase_add_test(tc, test_avro_links);
  tcase_add_test(tc, test_avro_beyond_avroc_parser);
  tcase_add_test(tc, test_avro_logical_types_are_underlying);
  suite_add_tcase(suite, tc);
  return suite;
}

int main(void) {
  collect_schemas();
  encoding_rows = kt_load_jsonl(kt_conformance_path("encoding.jsonl"));
  resolution_rows = kt_load_jsonl(kt_conformance_path("resolution.jsonl"));
  SRunner *runner = srunner_create(output_suite());
  srunner_run_all(runner, CK_NORMAL);
  int failed = srunner_ntests_failed(runner);
  srunner_free(runner);
  json_decref(all_schemas);
  json_decref(encoding_rows);
  json_decref(resolution_rows);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
