/*
 * kavro tests - the schema parser and validator.
 *
 * Conformance: every `kind: parse` row of compat.jsonl, and every schema of
 * compat.jsonl and canonical.jsonl that both references accept must parse.
 * Where the two references disagree, kavro follows the Avro 1.11
 * specification; the expected verdicts below name those cases.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common_json_locate_int.h"
#include "common_strbuf_int.h"
#include "kavro.h"
#include "legacy_schemas.h"
#include "schema_int.h"
#include "testutil.h"

/* The 1.11 specification's verdict where python and Java 1.8.2 differ. */
static const struct {
  const char *id;
  bool valid;
  const char *why;
} spec_verdicts[] = {
    /* Field names must match [A-Za-z_][A-Za-z0-9_]* (python does not check). */
    {"compat.schema_validity.bad_field_name_leading_digit", false, "field name"},
    /* Defaults must match their type: both references skip the check by
     * default; Java's validate-defaults mode agrees with the spec. */
    {"compat.schema_validity.default_bool_string", false, "boolean default"},
    {"compat.schema_validity.default_record_missing_field", false, "record default"},
    /* Aliases are names (python does not check). */
    {"compat.schema_validity.record_aliases_bad_name", false, "alias"},
    /* A namespace is a string (Java 1.8.2 accepts a number). */
    {"compat.schema_validity.namespace_not_string", false, "namespace"},
};

static int spec_verdict(const char *id) {
  for (size_t i = 0; i < sizeof(spec_verdicts) / sizeof(spec_verdicts[0]); i++)
    if (strcmp(spec_verdicts[i].id, id) == 0)
      return spec_verdicts[i].valid;
  return -1;
}

static kavro_err_t parse_text(const char *text, kavro_schema_t **s,
                              kavro_error_t *err) {
  return kavro_schema_parse(text, strlen(text), NULL, s, err);
}

START_TEST(test_conformance_validity) {
  json_t *rows = kt_load_jsonl(kt_conformance_path("compat.jsonl"));
  size_t i, checked = 0;
  json_t *row;
  json_array_foreach(rows, i, row) {
    if (strcmp(json_string_value(json_object_get(row, "kind")), "parse") != 0)
      continue;
    const char *id = json_string_value(json_object_get(row, "id"));
    const char *text = json_string_value(json_object_get(row, "schema_text"));
    int expected = spec_verdict(id);
    if (expected < 0) {
      ck_assert_msg(json_is_true(json_object_get(row, "agree")),
                    "%s: references disagree but no spec verdict is recorded", id);
      expected = json_is_true(json_object_get(row, "py_valid"));
    }
    kavro_schema_t *s = NULL;
    kavro_error_t err;
    kavro_err_t rc = parse_text(text, &s, &err);
    ck_assert_msg((rc == KAVRO_OK) == (expected == 1),
                  "%s: expected %s, got %s (%s at %s)", id,
                  expected ? "valid" : "invalid", kavro_err2name(rc), err.text,
                  err.path);
    if (rc != KAVRO_OK) {
      ck_assert_ptr_null(s);
      ck_assert_msg(err.text[0] != '\0', "%s: error without text", id);
      ck_assert_int_gt(err.line, 0);
    }
    kavro_schema_destroy(s);
    checked++;
  }
  ck_assert_uint_ge(checked, 20);
  json_decref(rows);
}
END_TEST

/* Every schema both references accept is valid for kavro too. */
static void check_accepted_schemas(const char *file, const char *const *fields) {
  json_t *rows = kt_load_jsonl(kt_conformance_path(file));
  size_t i;
  json_t *row;
  json_array_foreach(rows, i, row) {
    const char *id = json_string_value(json_object_get(row, "id"));
    if (json_object_get(row, "py_error") && !json_is_null(json_object_get(row, "py_error")))
      continue;
    if (json_object_get(row, "java182_error") &&
        !json_is_null(json_object_get(row, "java182_error")))
      continue;
    for (const char *const *f = fields; *f; f++) {
      json_t *schema = json_object_get(row, *f);
      if (!schema)
        continue;
      char *text = json_dumps(schema, JSON_ENCODE_ANY);
      kavro_schema_t *s = NULL;
      kavro_error_t err;
      kavro_err_t rc = parse_text(text, &s, &err);
      ck_assert_msg(rc == KAVRO_OK, "%s.%s: %s at %s", id, *f, err.text, err.path);
      kavro_schema_destroy(s);
      free(text);
    }
  }
  json_decref(rows);
}

START_TEST(test_conformance_accepted) {
  static const char *const compat_fields[] = {"reader", "writer", NULL};
  static const char *const canonical_fields[] = {"schema", NULL};
  check_accepted_schemas("compat.jsonl", compat_fields);
  check_accepted_schemas("canonical.jsonl", canonical_fields);
  check_accepted_schemas("resolution.jsonl", compat_fields);
}
END_TEST

/* Each invalid schema fails with the expected code at the expected place. */
static const struct {
  const char *text;
  kavro_err_t code;
  const char *path;
  const char *says;
} invalid_cases[] = {
    {"{\"type\": \"record\", \"name\": \"R\", \"fields\": [", KAVRO_ERR_JSON, "", "invalid JSON"},
    {"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"},"
     "{\"name\":\"a\",\"type\":\"long\"}]}",
     KAVRO_ERR_SCHEMA_INVALID, "/fields/1/name", "appears twice"},
    {"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\","
     "\"default\":\"x\"}]}",
     KAVRO_ERR_SCHEMA_INVALID, "/fields/0/default", "integer"},
    {"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":"
     "[\"null\",\"string\"],\"default\":\"x\"}]}",
     KAVRO_ERR_SCHEMA_INVALID, "/fields/0/default", "null"},
    {"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\","
     "\"default\":2147483648}]}",
     KAVRO_ERR_SCHEMA_INVALID, "/fields/0/default", "32-bit"},
    {"{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\"],\"default\":\"B\"}",
     KAVRO_ERR_SCHEMA_INVALID, "/default", "not one of the symbols"},
    {"{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"1B\"]}",
     KAVRO_ERR_SCHEMA_INVALID, "/symbols/1", "not a valid name"},
    {"{\"type\":\"fixed\",\"name\":\"F\",\"size\":-1}", KAVRO_ERR_SCHEMA_INVALID,
     "/size", "size"},
    {"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"f\",\"type\":"
     "{\"type\":\"fixed\",\"name\":\"F\",\"size\":2},\"default\":\"\\u00ff\"}]}",
     KAVRO_ERR_SCHEMA_INVALID, "/fields/0/default", "2 code points"},
    {"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"b\",\"type\":\"bytes\","
     "\"default\":\"\\u0100\"}]}",
     KAVRO_ERR_SCHEMA_INVALID, "/fields/0/default", "0-255"},
    {"[\"null\", {\"type\":\"record\",\"name\":\"X\",\"fields\":[]}, \"X\"]",
     KAVRO_ERR_SCHEMA_INVALID, "/2", "two branches"},
    {"{\"type\":\"array\"}", KAVRO_ERR_SCHEMA_INVALID, "", "items"},
    {"{\"type\":\"map\",\"values\":\"nope\"}", KAVRO_ERR_SCHEMA_INVALID, "/values",
     "not defined"},
    {"{\"type\":\"record\",\"name\":\"a.b.R\",\"fields\":[{\"name\":\"x\",\"type\":"
     "\"R2\"}]}",
     KAVRO_ERR_SCHEMA_INVALID, "/fields/0/type", "a.b.R2"},
    {"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"x\",\"type\":\"int\","
     "\"order\":\"up\"}]}",
     KAVRO_ERR_SCHEMA_INVALID, "/fields/0/order", "order"},
    {"{\"type\":\"record\",\"name\":\"R\",\"doc\":5,\"fields\":[]}",
     KAVRO_ERR_SCHEMA_INVALID, "/doc", "doc"},
    {"{\"type\":\"record\",\"name\":\"R\",\"name\":\"S\",\"fields\":[]}", KAVRO_ERR_JSON,
     "", "duplicate"},
    {"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"r\",\"type\":"
     "{\"type\":\"record\",\"name\":\"In\",\"fields\":[{\"name\":\"a\",\"type\":"
     "{\"type\":\"array\",\"items\":\"int\"}}]},\"default\":{\"a\":[1,\"x\"]}}]}",
     KAVRO_ERR_SCHEMA_INVALID, "/fields/0/default", "integer"},
    {"42", KAVRO_ERR_SCHEMA_INVALID, "", "must be a type name"},
    /* found by fuzz_schema: a wrapped union inside a union */
    {"[{\"type\": [\"null\",\"int\"]}]", KAVRO_ERR_SCHEMA_INVALID, "/0",
     "union directly"},
    /* The "type" of a schema object names a type; only a field's "type" is
     * a schema (Java and Python agree). */
    {"{\"type\": {\"type\": \"int\"}}", KAVRO_ERR_SCHEMA_INVALID, "/type",
     "must name a type"},
    {"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":"
     "{\"type\":{\"type\":\"record\",\"name\":\"S\",\"fields\":[]}}}]}",
     KAVRO_ERR_SCHEMA_INVALID, "/fields/0/type/type", "must name a type"},
    /* A default of a record inside that record's own definition, where
     * the field being parsed has no type yet: it crashed the parser. */
    {"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":"
     "{\"type\":\"record\",\"name\":\"S\",\"fields\":[{\"name\":\"r\",\"type\":"
     "\"R\",\"default\":{\"a\":{}}}]}}]}",
     KAVRO_ERR_SCHEMA_INVALID, "/fields/0/type/fields/0/default",
     "inside the definition of R"},
    /* An enum default is a whole symbol, not one cut short by a NUL. */
    {"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"e\",\"type\":"
     "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\"]},"
     "\"default\":\"A\\u0000B\"}]}",
     KAVRO_ERR_SCHEMA_INVALID, "/fields/0/default", "one of its symbols"},
};

START_TEST(test_invalid_cases) {
  for (size_t i = 0; i < sizeof(invalid_cases) / sizeof(invalid_cases[0]); i++) {
    kavro_schema_t *s = NULL;
    kavro_error_t err;
    kavro_err_t rc = parse_text(invalid_cases[i].text, &s, &err);
    ck_assert_msg(rc == invalid_cases[i].code, "case %zu: got %s (%s)", i,
                  kavro_err2name(rc), err.text);
    ck_assert_ptr_null(s);
    if (invalid_cases[i].path[0])
      ck_assert_str_eq(err.path, invalid_cases[i].path);
    ck_assert_msg(strstr(err.text, invalid_cases[i].says),
                  "case %zu: '%s' lacks '%s'", i, err.text, invalid_cases[i].says);
  }
}
END_TEST

/* Errors point at the line and column of the element at fault. */
START_TEST(test_error_position) {
  const char *text = "{\n"
                     "  \"type\": \"record\",\n"
                     "  \"name\": \"R\",\n"
                     "  \"fields\": [\n"
                     "    {\"name\": \"ok\", \"type\": \"int\"},\n"
                     "    {\"name\": \"bad\", \"type\": \"Undefined\"}\n"
                     "  ]\n"
                     "}\n";
  kavro_schema_t *s;
  kavro_error_t err;
  ck_assert_int_eq(parse_text(text, &s, &err), KAVRO_ERR_SCHEMA_INVALID);
  ck_assert_str_eq(err.path, "/fields/1/type");
  ck_assert_int_eq(err.line, 6);
  ck_assert_int_eq(err.column, 21);
  char line[1024];
  kavro_error_format(&err, line, sizeof(line));
  ck_assert_msg(strstr(line, "6:21: /fields/1/type: type \"Undefined\""), "%s", line);

  /* Invalid JSON: jansson's position. */
  ck_assert_int_eq(parse_text("{\n\"type\": \"int\",,}", &s, &err), KAVRO_ERR_JSON);
  ck_assert_int_eq(err.line, 2);
}
END_TEST

START_TEST(test_locate) {
  const char *text = "{\"type\":\"record\",\"name\":\"R\",\"fields\":[\n"
                     "  {\"name\":\"a\",\"type\":\"int\"},\n"
                     "  {\"name\":\"b~/\",\"type\":{\"type\":\"array\",\"items\":\"long\"}}]}";
  kavro_schema_t *s = NULL;
  kavro_error_t err;
  /* the field name b~/ is invalid, so locate through the raw scanner */
  ck_assert_int_ne(parse_text(text, &s, &err), KAVRO_OK);
  kv_json_pos_t pos;
  ck_assert(kv_json_locate(text, strlen(text), "/fields/1/type/items", &pos));
  ck_assert_int_eq(pos.line, 3);
  ck_assert_int_eq(pos.column, 48);
  ck_assert(!kv_json_locate(text, strlen(text), "/fields/7", &pos));
  ck_assert_int_eq(pos.line, 1); /* deepest found: the fields array */
  ck_assert_int_eq(pos.column, 38);

  const char *one_line = "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\","
                         "\"type\":\"int\"},{\"name\":\"b\",\"type\":\"string\"}]}";
  ck_assert_int_eq(parse_text(one_line, &s, &err), KAVRO_OK);
  int line, col;
  ck_assert(kavro_schema_locate(s, "/fields/1/type", &line, &col));
  ck_assert_int_eq(line, 1);
  ck_assert_int_eq(col, 77);
  ck_assert(kavro_schema_locate(s, "/", &line, &col));
  ck_assert_int_eq(col, 1);
  kavro_schema_destroy(s);
}
END_TEST

START_TEST(test_model) {
  const char *text =
      "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"com.acme\","
      "\"doc\":\"an order\",\"aliases\":[\"OldOrder\"],\"x-owner\":\"team\",\"fields\":["
      "{\"name\":\"id\",\"type\":\"string\",\"aliases\":[\"order_id\"],\"order\":\"descending\"},"
      "{\"name\":\"at\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}},"
      "{\"name\":\"price\",\"type\":{\"type\":\"bytes\",\"logicalType\":\"decimal\","
      "\"precision\":9,\"scale\":2}},"
      "{\"name\":\"state\",\"type\":{\"type\":\"enum\",\"name\":\"State\",\"symbols\":"
      "[\"NEW\",\"DONE\"],\"default\":\"NEW\"},\"default\":\"DONE\"},"
      "{\"name\":\"next\",\"type\":[\"null\",\"Order\"],\"default\":null},"
      "{\"name\":\"h\",\"type\":{\"type\":\"fixed\",\"name\":\"other.Hash\",\"size\":4}}"
      "]}";
  kavro_schema_t *s;
  kavro_error_t err;
  ck_assert_int_eq(parse_text(text, &s, &err), KAVRO_OK);
  const kv_node_t *root = kv_schema_root(s);
  ck_assert_str_eq(kavro_schema_name(s), "com.acme.Order");
  ck_assert_str_eq(root->name, "Order");
  ck_assert_str_eq(root->space, "com.acme");
  ck_assert_str_eq(root->aliases[0], "com.acme.OldOrder");
  ck_assert_str_eq(root->doc, "an order");
  ck_assert_str_eq(json_string_value(json_object_get(root->props, "x-owner")), "team");
  ck_assert_uint_eq(root->field_count, 6);
  const kv_field_t *id = kv_record_field(root, "id");
  ck_assert_ptr_nonnull(id);
  ck_assert_int_eq(id->order, KV_ORDER_DESCENDING);
  ck_assert_str_eq(id->aliases[0], "order_id");
  ck_assert_int_eq(kv_record_field(root, "at")->type->logical,
                   KAVRO_LOGICAL_TIMESTAMP_MILLIS);
  const kv_node_t *price = kv_record_field(root, "price")->type;
  ck_assert_int_eq(price->logical, KAVRO_LOGICAL_DECIMAL);
  ck_assert_int_eq(price->precision, 9);
  ck_assert_int_eq(price->scale, 2);
  ck_assert_ptr_null(price->props);
  const kv_node_t *state = kv_record_field(root, "state")->type;
  ck_assert_str_eq(state->fullname, "com.acme.State");
  ck_assert_int_eq(state->enum_default, 0);
  /* recursion: the union branch is the record itself */
  ck_assert_ptr_eq(kv_record_field(root, "next")->type->branches[1], root);
  ck_assert_str_eq(kv_record_field(root, "h")->type->fullname, "other.Hash");
  ck_assert_ptr_null(kv_record_field(root, "missing"));
  ck_assert_ptr_eq(kv_schema_find_named(s, "com.acme.State"), state);
  ck_assert_uint_eq(kavro_schema_warning_count(s), 0);
  kavro_schema_destroy(s);
}
END_TEST

START_TEST(test_logical_fallback_warns) {
  static const char *const cases[] = {
      "{\"type\":\"long\",\"logicalType\":\"date\"}",
      "{\"type\":\"string\",\"logicalType\":\"x-unknown\"}",
      "{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":2,\"scale\":3}",
      "{\"type\":\"fixed\",\"name\":\"D\",\"size\":2,\"logicalType\":\"decimal\",\"precision\":5}",
      "{\"type\":\"fixed\",\"name\":\"D\",\"size\":8,\"logicalType\":\"duration\"}",
      /* Avro 1.12's types, on types they do not annotate */
      "{\"type\":\"int\",\"logicalType\":\"timestamp-nanos\"}",
      "{\"type\":\"string\",\"logicalType\":\"local-timestamp-nanos\"}",
      "{\"type\":\"fixed\",\"name\":\"B\",\"size\":8,\"logicalType\":\"big-decimal\"}",
      "{\"type\":\"string\",\"logicalType\":\"big-decimal\"}",
      "{\"type\":\"fixed\",\"name\":\"U\",\"size\":15,\"logicalType\":\"uuid\"}",
      "{\"type\":\"bytes\",\"logicalType\":\"uuid\"}",
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    kavro_schema_t *s;
    kavro_error_t err;
    ck_assert_int_eq(parse_text(cases[i], &s, &err), KAVRO_OK);
    ck_assert_int_eq(kv_schema_root(s)->logical, KAVRO_LOGICAL_NONE);
    ck_assert_uint_eq(kavro_schema_warning_count(s), 1);
    ck_assert_ptr_nonnull(strstr(kavro_schema_warning(s, 0), "ignored"));
    /* the ignored attribute is kept for output */
    ck_assert_ptr_nonnull(json_object_get(kv_schema_root(s)->props, "logicalType"));
    kavro_schema_destroy(s);
  }
}
END_TEST

/* Avro 1.12: timestamp-nanos and local-timestamp-nanos on long,
 * big-decimal on bytes, uuid on fixed(16) as well as on string.  Recognised
 * without a warning, kept in JSON output, dropped from the canonical form. */
START_TEST(test_logical_avro_1_12) {
  static const struct {
    const char *text;
    kavro_logical_t logical;
    const char *canonical;
  } cases[] = {
      {"{\"type\":\"long\",\"logicalType\":\"timestamp-nanos\"}",
       KAVRO_LOGICAL_TIMESTAMP_NANOS, "\"long\""},
      {"{\"type\":\"long\",\"logicalType\":\"local-timestamp-nanos\"}",
       KAVRO_LOGICAL_LOCAL_TIMESTAMP_NANOS, "\"long\""},
      {"{\"type\":\"bytes\",\"logicalType\":\"big-decimal\"}",
       KAVRO_LOGICAL_BIG_DECIMAL, "\"bytes\""},
      {"{\"type\":\"fixed\",\"name\":\"Id\",\"size\":16,\"logicalType\":\"uuid\"}",
       KAVRO_LOGICAL_UUID, "{\"name\":\"Id\",\"type\":\"fixed\",\"size\":16}"},
      {"{\"type\":\"string\",\"logicalType\":\"uuid\"}", KAVRO_LOGICAL_UUID,
       "\"string\""},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    kavro_schema_t *s;
    kavro_error_t err;
    ck_assert_int_eq(parse_text(cases[i].text, &s, &err), KAVRO_OK);
    ck_assert_int_eq(kv_schema_root(s)->logical, cases[i].logical);
    ck_assert_uint_eq(kavro_schema_warning_count(s), 0);
    ck_assert_ptr_null(kv_schema_root(s)->props);
    ck_assert_str_eq(kavro_schema_canonical(s), cases[i].canonical);
    char *json = kavro_schema_to_json(s, KAVRO_JSON_COMPACT);
    char want[64];
    snprintf(want, sizeof(want), "\"logicalType\":\"%s\"",
             kv_logical_name(cases[i].logical));
    ck_assert_msg(strstr(json, want), "%s", json);
    /* the output reads back as the same logical type */
    kavro_schema_t *again;
    ck_assert_int_eq(parse_text(json, &again, &err), KAVRO_OK);
    ck_assert_int_eq(kv_schema_root(again)->logical, cases[i].logical);
    kavro_schema_destroy(again);
    free(json);
    kavro_schema_destroy(s);
  }
  /* the enum keeps its values: new ones were appended */
  ck_assert_int_eq(KAVRO_LOGICAL_DURATION, 10);
  ck_assert_int_eq(KAVRO_LOGICAL_TIMESTAMP_NANOS, 11);
  ck_assert_int_eq(KAVRO_LOGICAL_LOCAL_TIMESTAMP_NANOS, 12);
  ck_assert_int_eq(KAVRO_LOGICAL_BIG_DECIMAL, 13);
}
END_TEST

START_TEST(test_logical_beside_field_warns) {
  kavro_schema_t *s;
  kavro_error_t err;
  ck_assert_int_eq(parse_text("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":"
                              "\"at\",\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}]}",
                              &s, &err),
                   KAVRO_OK);
  ck_assert_uint_eq(kavro_schema_warning_count(s), 1);
  ck_assert_msg(strstr(kavro_schema_warning(s, 0), "/fields/0: logicalType on field \"at\""),
                "%s", kavro_schema_warning(s, 0));
  ck_assert_int_eq(kv_schema_root(s)->fields[0].type->logical, KAVRO_LOGICAL_NONE);
  kavro_schema_destroy(s);
}
END_TEST

START_TEST(test_references) {
  const char *common = "{\"type\":\"enum\",\"name\":\"SalesChannel\","
                       "\"namespace\":\"com.ahs.common\",\"symbols\":[\"WEB\",\"STORE\"]}";
  const char *mid = "{\"type\":\"record\",\"name\":\"Address\",\"namespace\":\"com.ahs.common\","
                    "\"fields\":[{\"name\":\"channel\",\"type\":\"SalesChannel\"}]}";
  const char *top = "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"com.ahs.orders\","
                    "\"fields\":[{\"name\":\"a\",\"type\":\"com.ahs.common.Address\"},"
                    "{\"name\":\"c\",\"type\":\"com.ahs.common.SalesChannel\"}]}";
  kavro_schema_t *c, *m, *t;
  kavro_error_t err;
  ck_assert_int_eq(parse_text(common, &c, &err), KAVRO_OK);
  kavro_parse_options_t opts;
  kavro_parse_options_init(&opts);
  opts.references = &c;
  opts.reference_count = 1;
  ck_assert_int_eq(kavro_schema_parse(mid, strlen(mid), &opts, &m, &err), KAVRO_OK);
  /* Without references the name is undefined. */
  ck_assert_int_eq(parse_text(top, &t, &err), KAVRO_ERR_SCHEMA_INVALID);
  ck_assert_str_eq(err.path, "/fields/0/type");
  opts.references = &m; /* c is visible through m */
  ck_assert_int_eq(kavro_schema_parse(top, strlen(top), &opts, &t, &err), KAVRO_OK);
  const kv_node_t *root = kv_schema_root(t);
  ck_assert_ptr_eq(root->fields[1].type, kv_schema_find_named(c, "com.ahs.common.SalesChannel"));
  ck_assert_ptr_eq(root->fields[1].type->owner, c);
  /* The parsed schema keeps its references alive. */
  kavro_schema_destroy(c);
  kavro_schema_destroy(m);
  ck_assert_str_eq(root->fields[0].type->fields[0].type->symbols[1], "STORE");
  /* Redefining a referenced name is an error. */
  kavro_schema_t *again;
  ck_assert_int_eq(kavro_schema_parse(common, strlen(common), &opts, &again, &err),
                   KAVRO_ERR_SCHEMA_INVALID);
  ck_assert_ptr_nonnull(strstr(err.text, "defined twice"));
  kavro_schema_destroy(t);
}
END_TEST

START_TEST(test_namespaces) {
  const char *text =
      "{\"type\":\"record\",\"name\":\"a.b.Outer\",\"namespace\":\"ignored\",\"fields\":["
      "{\"name\":\"i\",\"type\":{\"type\":\"record\",\"name\":\"Inner\",\"fields\":[]}},"
      "{\"name\":\"n\",\"type\":{\"type\":\"record\",\"name\":\"Null\",\"namespace\":\"\","
      "\"fields\":[]}},"
      "{\"name\":\"r1\",\"type\":\"Inner\"},"
      "{\"name\":\"r2\",\"type\":\"a.b.Inner\"},"
      "{\"name\":\"r3\",\"type\":\"Null\"}]}";
  kavro_schema_t *s;
  kavro_error_t err;
  ck_assert_int_eq(parse_text(text, &s, &err), KAVRO_OK);
  const kv_node_t *root = kv_schema_root(s);
  ck_assert_str_eq(root->fullname, "a.b.Outer");
  ck_assert_str_eq(root->fields[0].type->fullname, "a.b.Inner");
  ck_assert_str_eq(root->fields[1].type->fullname, "Null");
  ck_assert_ptr_null(root->fields[1].type->space);
  ck_assert_ptr_eq(root->fields[2].type, root->fields[0].type);
  ck_assert_ptr_eq(root->fields[3].type, root->fields[0].type);
  ck_assert_ptr_eq(root->fields[4].type, root->fields[1].type);
  kavro_schema_destroy(s);

  /* A primitive name cannot name a type in any namespace. */
  ck_assert_int_eq(parse_text("{\"type\":\"fixed\",\"name\":\"x.long\",\"size\":1}", &s, &err),
                   KAVRO_ERR_SCHEMA_INVALID);
}
END_TEST

/* Bounds: text size and nesting depth are ordinary errors. */
START_TEST(test_limits) {
  kavro_parse_options_t opts;
  kavro_parse_options_init(&opts);
  kavro_schema_t *s;
  kavro_error_t err;
  const char *text = "{\"type\":\"array\",\"items\":\"int\"}";
  opts.max_size = strlen(text) - 1;
  ck_assert_int_eq(kavro_schema_parse(text, strlen(text), &opts, &s, &err), KAVRO_ERR_LIMIT);
  opts.max_size = strlen(text);
  ck_assert_int_eq(kavro_schema_parse(text, strlen(text), &opts, &s, &err), KAVRO_OK);
  kavro_schema_destroy(s);

  /* Arrays nested exactly at the limit parse; one more level does not. */
  for (unsigned depth = 63; depth <= 65; depth++) {
    size_t cap = depth * 40 + 64;
    char *deep = malloc(cap);
    size_t n = 0;
    for (unsigned i = 0; i < depth; i++)
      n += (size_t)snprintf(deep + n, cap - n, "{\"type\":\"array\",\"items\":");
    n += (size_t)snprintf(deep + n, cap - n, "\"int\"");
    for (unsigned i = 0; i < depth; i++)
      deep[n++] = '}';
    deep[n] = '\0';
    kavro_err_t rc = parse_text(deep, &s, &err);
    ck_assert_int_eq(rc, depth <= KAVRO_SCHEMA_DEFAULT_MAX_DEPTH ? KAVRO_OK : KAVRO_ERR_LIMIT);
    kavro_schema_destroy(s);
    free(deep);
  }

  /* A hostile 100,000-deep nesting is refused without a crash. */
  size_t levels = 100000;
  char *hostile = malloc(levels * 2 + 8);
  memset(hostile, '[', levels);
  memcpy(hostile + levels, "\"int\"", 5);
  memset(hostile + levels + 5, ']', levels);
  ck_assert_int_ne(kavro_schema_parse(hostile, levels * 2 + 5, NULL, &s, &err), KAVRO_OK);
  ck_assert_ptr_null(s);
  free(hostile);
}
END_TEST

START_TEST(test_embedded_nul_and_junk) {
  kavro_schema_t *s;
  kavro_error_t err;
  const char text[] = "\"int\"\0garbage";
  ck_assert_int_ne(kavro_schema_parse(text, sizeof(text) - 1, NULL, &s, &err), KAVRO_OK);
  ck_assert_int_eq(kavro_schema_parse(text, 5, NULL, &s, &err), KAVRO_OK);
  ck_assert_int_eq(kavro_schema_type(s), KAVRO_INT);
  kavro_schema_destroy(s);
  ck_assert_int_eq(parse_text("{\"type\":\"record\",\"name\":\"R\\u0000x\",\"fields\":[]}", &s, &err),
                   KAVRO_ERR_SCHEMA_INVALID);
  ck_assert_int_eq(kavro_schema_parse(NULL, 0, NULL, &s, &err), KAVRO_ERR_INVALID_ARG);
}
END_TEST

START_TEST(test_parse_file) {
  kavro_schema_t *s;
  kavro_error_t err;
  ck_assert_int_eq(kavro_schema_parse_file("/nonexistent/x.avsc", NULL, &s, &err), KAVRO_ERR_IO);
  ck_assert_str_eq(err.source, "/nonexistent/x.avsc");
  char path[] = "/tmp/kavro-schema-XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  FILE *f = fdopen(fd, "w");
  fputs("{\"type\": \"map\",\n \"values\": \"nothing\"}", f);
  fclose(f);
  ck_assert_int_eq(kavro_schema_parse_file(path, NULL, &s, &err), KAVRO_ERR_SCHEMA_INVALID);
  ck_assert_str_eq(err.source, path);
  ck_assert_int_eq(err.line, 2);
  kavro_parse_options_t opts;
  kavro_parse_options_init(&opts);
  opts.max_size = 10;
  ck_assert_int_eq(kavro_schema_parse_file(path, &opts, &s, &err), KAVRO_ERR_LIMIT);
  unlink(path);
}
END_TEST

START_TEST(test_refcount_and_errors) {
  kavro_schema_t *s;
  ck_assert_int_eq(parse_text("\"string\"", &s, NULL), KAVRO_OK);
  ck_assert_ptr_eq(kavro_schema_dup(s), s);
  kavro_schema_destroy(s);
  ck_assert_str_eq(kavro_schema_name(s), "string");
  kavro_schema_destroy(s);
  kavro_schema_destroy(NULL);
  ck_assert_int_eq(parse_text("\"strin\"", &s, NULL), KAVRO_ERR_SCHEMA_INVALID);
  ck_assert_str_eq(kavro_err2name(KAVRO_ERR_SUBJECT_NOT_FOUND), "SUBJECT_NOT_FOUND");
  ck_assert_str_eq(kavro_err2str((kavro_err_t)12345), "Unknown error");
  kavro_error_t e = {.code = KAVRO_ERR_TRANSPORT};
  ck_assert(kavro_error_is_retriable(&e));
  e.code = KAVRO_ERR_SUBJECT_NOT_FOUND;
  ck_assert(!kavro_error_is_retriable(&e));
}
END_TEST

/* The project's own schemas parse cleanly: no error, no warning.  Shared
 * types in avro/common/ are parsed first, in whatever order their own
 * references allow, and every other schema may use them. */
typedef struct schema_files_s {
  char paths[256][512];
  size_t count;
} schema_files_t;

static void collect_avsc(const char *dir, schema_files_t *files) {
  DIR *d = opendir(dir);
  ck_assert_msg(d != NULL, "cannot open %s", dir);
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.')
      continue;
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
    size_t n = strlen(e->d_name);
    if (n > 5 && strcmp(e->d_name + n - 5, ".avsc") == 0) {
      ck_assert_uint_lt(files->count, 256);
      snprintf(files->paths[files->count++], 512, "%s", path);
    } else if (!strchr(e->d_name, '.')) {
      collect_avsc(path, files);
    }
  }
  closedir(d);
}

static kavro_err_t parse_with(const char *path, kavro_schema_t **refs,
                              size_t nrefs, kavro_schema_t **s,
                              kavro_error_t *err) {
  kavro_parse_options_t opts;
  kavro_parse_options_init(&opts);
  opts.references = refs;
  opts.reference_count = nrefs;
  return kavro_schema_parse_file(path, &opts, s, err);
}

START_TEST(test_project_schemas) {
  static schema_files_t common, events;
  common.count = events.count = 0;
  char dir[1024];
  snprintf(dir, sizeof(dir), "%s", kt_src_path("avro/common"));
  DIR *probe = opendir(dir);
  if (probe) {
    closedir(probe);
    collect_avsc(dir, &common);
  }
  collect_avsc(kt_src_path("avro"), &events);
  kavro_schema_t *shared[256];
  size_t nshared = 0;
  bool done[256] = {false};
  for (bool progress = true; progress && nshared < common.count;) {
    progress = false;
    for (size_t i = 0; i < common.count; i++) {
      kavro_error_t err;
      if (!done[i] && parse_with(common.paths[i], shared, nshared,
                                 &shared[nshared], &err) == KAVRO_OK) {
        done[i] = progress = true;
        nshared++;
      }
    }
  }
  ck_assert_msg(nshared == common.count, "avro/common: a schema does not parse");
  size_t checked = 0;
  for (size_t i = 0; i < events.count; i++) {
    if (strstr(events.paths[i], "/avro/common/"))
      continue;
    kavro_schema_t *s;
    kavro_error_t err;
    ck_assert_msg(parse_with(events.paths[i], shared, nshared, &s, &err) == KAVRO_OK,
                  "%s: %s at %s", events.paths[i], err.text, err.path);
    ck_assert_msg(kavro_schema_warning_count(s) == 0, "%s: %s", events.paths[i],
                  kavro_schema_warning(s, 0));
    kavro_schema_destroy(s);
    checked++;
  }
  for (size_t i = 0; i < nshared; i++)
    kavro_schema_destroy(shared[i]);
  ck_assert_uint_ge(checked, 3);
}
END_TEST

/* ---- large schemas ------------------------------------------------------
 *
 * Members of records, enums and unions are checked against each other
 * through hash indexes.  These schemas are large enough that a check that
 * compares each member with every earlier one runs past the test case's
 * time-out; the tests themselves check only results.  A duplicate goes
 * last, where it is found only after every other member was indexed.
 */

#define LARGE_COUNT 200000

/* Parse the JSON @schema (stolen) with a text bound fitting its size. */
static kavro_err_t parse_json_value(json_t *schema, kavro_schema_t **s,
                                    kavro_error_t *err) {
  char *text = json_dumps(schema, JSON_COMPACT | JSON_ENCODE_ANY);
  json_decref(schema);
  ck_assert_ptr_nonnull(text);
  kavro_parse_options_t opts;
  kavro_parse_options_init(&opts);
  opts.max_size = strlen(text);
  kavro_err_t rc = kavro_schema_parse(text, strlen(text), &opts, s, err);
  free(text);
  return rc;
}

/* "<prefix><i>" as a new JSON string. */
static json_t *numbered(const char *prefix, size_t i) {
  char name[32];
  snprintf(name, sizeof(name), "%s%zu", prefix, i);
  return json_string(name);
}

/* An enum of @count symbols S0, S1, ...; then S0 again when @duplicate. */
static json_t *large_enum(size_t count, bool duplicate) {
  json_t *symbols = json_array();
  for (size_t i = 0; i < count; i++)
    json_array_append_new(symbols, numbered("S", i));
  if (duplicate)
    json_array_append_new(symbols, json_string("S0"));
  char last[32];
  snprintf(last, sizeof(last), "S%zu", count - 1);
  return json_pack("{s:s, s:s, s:o, s:s}", "type", "enum", "name", "E",
                   "symbols", symbols, "default", last);
}

START_TEST(test_large_enum) {
  kavro_schema_t *s;
  kavro_error_t err;
  ck_assert_int_eq(parse_json_value(large_enum(LARGE_COUNT, false), &s, &err),
                   KAVRO_OK);
  const kv_node_t *root = kv_schema_root(s);
  ck_assert_uint_eq(root->symbol_count, LARGE_COUNT);
  ck_assert_int_eq(root->enum_default, LARGE_COUNT - 1);
  ck_assert_int_eq(kv_enum_symbol(root, "S12345"), 12345);
  ck_assert_int_eq(kv_enum_symbol(root, "S200000"), -1);
  kavro_schema_destroy(s);

  ck_assert_int_eq(parse_json_value(large_enum(LARGE_COUNT, true), &s, &err),
                   KAVRO_ERR_SCHEMA_INVALID);
  ck_assert_str_eq(err.path, "/symbols/200000");
  ck_assert_str_eq(err.text, "enum symbol \"S0\" appears twice");
}
END_TEST

/* {"name": "<prefix><i>", "type": @type} with a default when @value. */
static json_t *field(const char *prefix, size_t i, const char *type,
                     json_t *value) {
  json_t *f = json_pack("{s:o, s:s}", "name", numbered(prefix, i), "type", type);
  if (value)
    json_object_set_new(f, "default", value);
  return f;
}

/* A record of @count fields f0, f1, ... of the enum E of @count symbols,
 * field i with the default S<i>, so that every symbol is looked up once;
 * then f0 again when @duplicate. */
static json_t *large_record(size_t count, bool duplicate) {
  json_t *fields = json_array();
  json_t *first = json_pack("{s:s, s:o, s:s}", "name", "f0", "type",
                            large_enum(count, false), "default", "S0");
  json_array_append_new(fields, first);
  for (size_t i = 1; i < count; i++)
    json_array_append_new(fields, field("f", i, "E", numbered("S", i)));
  if (duplicate)
    json_array_append_new(fields, field("f", 0, "long", NULL));
  return json_pack("{s:s, s:s, s:o}", "type", "record", "name", "R", "fields",
                   fields);
}

START_TEST(test_large_record) {
  kavro_schema_t *s;
  kavro_error_t err;
  ck_assert_int_eq(parse_json_value(large_record(LARGE_COUNT, false), &s, &err),
                   KAVRO_OK);
  const kv_node_t *root = kv_schema_root(s);
  ck_assert_uint_eq(root->field_count, LARGE_COUNT);
  const kv_field_t *last = kv_record_field(root, "f199999");
  ck_assert_uint_eq(last->index, LARGE_COUNT - 1);
  ck_assert_str_eq(json_string_value(last->default_value), "S199999");
  kavro_schema_destroy(s);

  ck_assert_int_eq(parse_json_value(large_record(LARGE_COUNT, true), &s, &err),
                   KAVRO_ERR_SCHEMA_INVALID);
  ck_assert_str_eq(err.path, "/fields/200000/name");
  ck_assert_str_eq(err.text, "field \"f0\" appears twice in R");
}
END_TEST

/* A union of @count fixed types F0, F1, ...; then F0 by name when
 * @duplicate. */
static json_t *large_union(size_t count, bool duplicate) {
  json_t *branches = json_array();
  for (size_t i = 0; i < count; i++)
    json_array_append_new(branches,
                          json_pack("{s:s, s:o, s:i}", "type", "fixed", "name",
                                    numbered("F", i), "size", 1));
  if (duplicate)
    json_array_append_new(branches, json_string("F0"));
  return branches;
}

START_TEST(test_large_union) {
  kavro_schema_t *s;
  kavro_error_t err;
  ck_assert_int_eq(parse_json_value(large_union(LARGE_COUNT, false), &s, &err),
                   KAVRO_OK);
  ck_assert_uint_eq(kv_schema_root(s)->branch_count, LARGE_COUNT);
  ck_assert_ptr_eq(kv_schema_find_named(s, "F199999"),
                   kv_schema_root(s)->branches[LARGE_COUNT - 1]);
  kavro_schema_destroy(s);

  ck_assert_int_eq(parse_json_value(large_union(LARGE_COUNT, true), &s, &err),
                   KAVRO_ERR_SCHEMA_INVALID);
  ck_assert_str_eq(err.path, "/200000");
  ck_assert_str_eq(err.text,
                   "union has two branches of type F0 (branches 0 and 200000)");
}
END_TEST

/* A record W of @count fields that all have defaults, used as the type of
 * @count more fields whose default holds no field of W: each such default
 * is checked in the time its own size takes, not in the time W's fields
 * take.  A member that is no field of W is ignored, as in Java. */
static json_t *wide_defaults(size_t count, bool missing_required) {
  json_t *wide = json_array();
  for (size_t i = 0; i < count; i++)
    json_array_append_new(wide, field("w", i, "int", json_integer(0)));
  if (missing_required)
    json_array_append_new(wide, field("w", count, "int", NULL));
  json_t *fields = json_array();
  json_array_append_new(fields, json_pack("{s:s, s:{s:s, s:s, s:o}}", "name",
                                          "first", "type", "type", "record",
                                          "name", "W", "fields", wide));
  for (size_t i = 0; i < count; i++)
    json_array_append_new(fields, field("u", i, "W", json_pack("{s:i}", "x", 1)));
  return json_pack("{s:s, s:s, s:o}", "type", "record", "name", "R", "fields",
                   fields);
}

START_TEST(test_wide_record_defaults) {
  kavro_schema_t *s;
  kavro_error_t err;
  ck_assert_int_eq(parse_json_value(wide_defaults(LARGE_COUNT / 2, false), &s,
                                    &err),
                   KAVRO_OK);
  ck_assert_uint_eq(kv_schema_root(s)->field_count, LARGE_COUNT / 2 + 1);
  kavro_schema_destroy(s);

  ck_assert_int_eq(parse_json_value(wide_defaults(LARGE_COUNT / 2, true), &s,
                                    &err),
                   KAVRO_ERR_SCHEMA_INVALID);
  ck_assert_str_eq(err.path, "/fields/1/default");
  ck_assert_str_eq(err.text,
                   "default for record W lacks field \"w100000\", which has no "
                   "default");
}
END_TEST

/* Each schema of a chain references the one before twice, so that a
 * search through references that revisits shared schemas would take 2^n
 * steps for a name none of them defines. */
START_TEST(test_shared_references) {
  enum { LEVELS = 48 };
  kavro_schema_t *chain[LEVELS];
  kavro_error_t err;
  kavro_parse_options_t opts;
  kavro_parse_options_init(&opts);
  for (int level = 0; level < LEVELS; level++) {
    char text[128];
    snprintf(text, sizeof(text),
             "{\"type\":\"fixed\",\"name\":\"F%d\",\"size\":1}", level);
    kavro_schema_t *twice[2] = {level ? chain[level - 1] : NULL,
                                level ? chain[level - 1] : NULL};
    opts.references = twice;
    opts.reference_count = level ? 2 : 0;
    ck_assert_int_eq(kavro_schema_parse(text, strlen(text), &opts,
                                        &chain[level], &err),
                     KAVRO_OK);
  }
  /* Every level's type is visible at the top, the nearest reference's
   * definition first. */
  ck_assert_ptr_eq(kv_schema_find_named(chain[LEVELS - 1], "F0"),
                   kv_schema_root(chain[0]));
  ck_assert_ptr_eq(kv_schema_find_named(chain[LEVELS - 1], "F46"),
                   kv_schema_root(chain[46]));
  ck_assert_ptr_null(kv_schema_find_named(chain[LEVELS - 1], "Nowhere"));
  for (int level = 0; level < LEVELS; level++)
    kavro_schema_destroy(chain[level]);
}
END_TEST

/* ---- lenient parsing: what registries hold ------------------------------------ */

static kavro_err_t parse_lenient(const char *text, kavro_schema_t **s,
                                 kavro_error_t *err) {
  kavro_parse_options_t options;
  kavro_parse_options_init(&options);
  options.lenient = true;
  return kavro_schema_parse(text, strlen(text), &options, s, err);
}

/* Each defect: refused strictly at its place, accepted leniently with one
 * warning that names it at the same place. */
START_TEST(test_lenient_defects) {
  for (size_t i = 0; i < kt_legacy_count; i++) {
    const kt_legacy_t *c = &kt_legacy[i];
    kavro_schema_t *s = NULL;
    kavro_error_t err;
    kavro_err_t rc = parse_text(c->text, &s, &err);
    ck_assert_msg(rc == KAVRO_ERR_SCHEMA_INVALID || rc == KAVRO_ERR_JSON,
                  "%s: strict parse gave %s", c->name, kavro_err2name(rc));
    ck_assert_ptr_null(s);
    ck_assert_msg(strstr(err.text, c->says) ||
                      (rc == KAVRO_ERR_JSON && strstr(err.text, "duplicate")),
                  "%s: strict error '%s'", c->name, err.text);
    if (rc == KAVRO_ERR_SCHEMA_INVALID)
      ck_assert_str_eq(err.path, c->pointer);

    rc = parse_lenient(c->text, &s, &err);
    ck_assert_msg(rc == KAVRO_OK, "%s: lenient parse: %s at %s", c->name,
                  err.text, err.path);
    ck_assert_uint_eq(kavro_schema_relaxed_count(s), 1);
    const char *w = kavro_schema_relaxed(s, 0);
    ck_assert_uint_eq(kavro_schema_warning_count(s), 1);
    ck_assert_str_eq(kavro_schema_warning(s, 0), w);
    ck_assert_msg(strncmp(w, c->pointer, strlen(c->pointer)) == 0 &&
                      w[strlen(c->pointer)] == ':',
                  "%s: warning '%s' not at %s", c->name, w, c->pointer);
    ck_assert_msg(strstr(w, c->says) && strstr(w, "accepted as a registry does"),
                  "%s: warning '%s'", c->name, w);
    ck_assert_ptr_null(kavro_schema_relaxed(s, 1));
    /* The canonical form and fingerprint exist; the JSON output parses
     * back leniently to the same identity (invalid defaults kept). */
    ck_assert_ptr_nonnull(kavro_schema_canonical(s));
    char *out = kavro_schema_to_json(s, KAVRO_JSON_COMPACT);
    kavro_schema_t *again = NULL;
    ck_assert_msg(parse_lenient(out, &again, &err) == KAVRO_OK, "%s: %s: %s",
                  c->name, out, err.text);
    ck_assert_str_eq(kavro_schema_canonical(again), kavro_schema_canonical(s));
    ck_assert(memcmp(kv_schema_identity(again), kv_schema_identity(s), 32) == 0);
    free(out);
    kavro_schema_destroy(again);
    kavro_schema_destroy(s);
  }
}
END_TEST

/* An invalid default is kept as written with its defect, not coerced. */
START_TEST(test_lenient_default_kept_invalid) {
  kavro_schema_t *s;
  kavro_error_t err;
  ck_assert_int_eq(parse_lenient(kt_legacy[0].text, &s, &err), KAVRO_OK);
  const kv_field_t *x = kv_record_field(kv_schema_root(s), "x");
  ck_assert_str_eq(json_string_value(x->default_value), "true");
  ck_assert_ptr_nonnull(strstr(x->default_defect, "true or false"));
  ck_assert_ptr_null(kv_record_field(kv_schema_root(s), "id")->default_defect);
  char *out = kavro_schema_to_json(s, KAVRO_JSON_COMPACT);
  ck_assert_ptr_nonnull(strstr(out, "\"default\":\"true\""));
  free(out);
  kavro_schema_destroy(s);

  /* The enum's own default: no symbol index, the text kept for output. */
  ck_assert_int_eq(parse_lenient(kt_legacy[5].text, &s, &err), KAVRO_OK);
  const kv_node_t *mood = kv_record_field(kv_schema_root(s), "x")->type;
  ck_assert_int_eq(mood->enum_default, -1);
  ck_assert_str_eq(json_string_value(mood->bad_enum_default), "MEH");
  ck_assert_ptr_nonnull(mood->enum_default_defect);
  out = kavro_schema_to_json(s, KAVRO_JSON_COMPACT);
  ck_assert_ptr_nonnull(strstr(out, "\"default\":\"MEH\""));
  free(out);
  kavro_schema_destroy(s);

  /* A valid schema has nothing relaxed, lenient or not. */
  ck_assert_int_eq(parse_lenient(kt_legacy_v1, &s, &err), KAVRO_OK);
  ck_assert_uint_eq(kavro_schema_relaxed_count(s), 0);
  kavro_schema_destroy(s);
}
END_TEST

/* What stays an error leniently: a bare primitive name (no reference to it
 * could work), JSON that is not JSON, and what no registry accepts. */
START_TEST(test_lenient_limits) {
  static const char *const still_invalid[] = {
      "{\"type\":\"record\",\"name\":\"string\",\"fields\":[]}",
      "{\"type\":\"record\",\"name\":\"R\",\"fields\":[",
      "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"A\"]}",
      "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"1a\",\"type\":\"int\"}]}",
      "[\"int\",\"int\"]",
  };
  for (size_t i = 0; i < sizeof(still_invalid) / sizeof(still_invalid[0]); i++) {
    kavro_schema_t *s = NULL;
    kavro_error_t err;
    ck_assert_msg(parse_lenient(still_invalid[i], &s, &err) != KAVRO_OK,
                  "case %zu parsed", i);
    ck_assert_ptr_null(s);
  }
  /* Several repeated keys: one warning each, with its pointer (escaped). */
  kavro_schema_t *s;
  kavro_error_t err;
  ck_assert_int_eq(
      parse_lenient("{\"type\":\"record\",\"name\":\"R\",\"a/b\":1,\"a/b\":2,"
                    "\"fields\":[{\"name\":\"f\",\"type\":\"int\",\"x\":[{\"k\":"
                    "1,\"k\":2}],\"doc\":\"a\",\"doc\":\"b\"}],\"type\":\"record\"}",
                    &s, &err),
      KAVRO_OK);
  ck_assert_uint_eq(kavro_schema_relaxed_count(s), 4);
  ck_assert_ptr_nonnull(strstr(kavro_schema_relaxed(s, 0), "/a~1b: "));
  ck_assert_ptr_nonnull(strstr(kavro_schema_relaxed(s, 1), "/fields/0/x/0/k: "));
  ck_assert_ptr_nonnull(strstr(kavro_schema_relaxed(s, 2), "/fields/0/doc: "));
  ck_assert_ptr_nonnull(strstr(kavro_schema_relaxed(s, 3), "/type: "));
  ck_assert_str_eq(kv_schema_root(s)->fields[0].doc, "b");
  kavro_schema_destroy(s);
  /* jansson reads a NUL after a number as the number's end ("0\0" is 0);
   * the scan for repeated keys must step over it, not stall there (a
   * fuzzer's find: it looped forever). */
  static const char nul_after_number[] =
      "{\"type\":\"int\",\"x\":[0\0],\"x\":1}";
  kavro_parse_options_t options;
  kavro_parse_options_init(&options);
  options.lenient = true;
  ck_assert_int_eq(kavro_schema_parse(nul_after_number,
                                      sizeof(nul_after_number) - 1, &options,
                                      &s, &err),
                   KAVRO_OK);
  ck_assert_uint_eq(kavro_schema_relaxed_count(s), 1);
  ck_assert_ptr_nonnull(strstr(kavro_schema_relaxed(s, 0), "/x: "));
  kavro_schema_destroy(s);
  /* Hostile text of many repeated keys is a limit, not ten times its
   * size in warnings. */
  kv_strbuf_t big = KV_STRBUF_INIT;
  kv_strbuf_puts(&big, "{\"type\":\"int\"");
  for (int i = 0; i < 1500; i++)
    kv_strbuf_puts(&big, ",\"k\":0");
  kv_strbuf_puts(&big, "}");
  ck_assert_int_eq(parse_lenient(big.data, &s, &err), KAVRO_ERR_LIMIT);
  ck_assert_ptr_null(s);
  kv_strbuf_free(&big);
}
END_TEST

/* A registry with default validation off is Java's parser with default
 * settings: every `kind: parse` row Java 1.8.2 accepts there and the 1.11
 * rules kavro keeps even leniently (field names, aliases) allow parses
 * leniently, and every row both references refuse stays refused. */
START_TEST(test_lenient_conformance) {
  json_t *rows = kt_load_jsonl(kt_conformance_path("compat.jsonl"));
  size_t i, accepted = 0;
  json_t *row;
  json_array_foreach(rows, i, row) {
    if (strcmp(json_string_value(json_object_get(row, "kind")), "parse") != 0)
      continue;
    const char *id = json_string_value(json_object_get(row, "id"));
    const char *text = json_string_value(json_object_get(row, "schema_text"));
    bool java = json_is_true(json_object_get(row, "java182_valid"));
    bool python = json_is_true(json_object_get(row, "py_valid"));
    kavro_schema_t *s = NULL;
    kavro_error_t err;
    kavro_err_t rc = parse_lenient(text, &s, &err);
    if (java)
      ck_assert_msg(rc == KAVRO_OK, "%s: Java accepts it; lenient: %s", id,
                    err.text);
    if (!java && !python)
      ck_assert_msg(rc != KAVRO_OK, "%s: both refuse it; lenient accepts", id);
    accepted += rc == KAVRO_OK;
    kavro_schema_destroy(s);
  }
  ck_assert_uint_ge(accepted, 6);
  json_decref(rows);
}
END_TEST

static Suite *schema_suite(void) {
  Suite *s = suite_create("schema");
  TCase *tc = tcase_create("parse");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_conformance_validity);
  tcase_add_test(tc, test_conformance_accepted);
  tcase_add_test(tc, test_invalid_cases);
  tcase_add_test(tc, test_error_position);
  tcase_add_test(tc, test_locate);
  tcase_add_test(tc, test_model);
  tcase_add_test(tc, test_logical_fallback_warns);
  tcase_add_test(tc, test_logical_beside_field_warns);
  tcase_add_test(tc, test_logical_avro_1_12);
  tcase_add_test(tc, test_references);
  tcase_add_test(tc, test_namespaces);
  tcase_add_test(tc, test_limits);
  tcase_add_test(tc, test_embedded_nul_and_junk);
  tcase_add_test(tc, test_parse_file);
  tcase_add_test(tc, test_refcount_and_errors);
  tcase_add_test(tc, test_project_schemas);
  tcase_add_test(tc, test_lenient_defects);
  tcase_add_test(tc, test_lenient_default_kept_invalid);
  tcase_add_test(tc, test_lenient_limits);
  tcase_add_test(tc, test_lenient_conformance);
  suite_add_tcase(s, tc);
  /* These prove time linear in the members of 200k-member schemas; the
   * plain and sanitizer runs do that, and under valgrind they would only
   * cost minutes (scripts/valgrind-one sets the variable). */
  if (!getenv("KAVRO_UNDER_VALGRIND")) {
    TCase *large = tcase_create("large");
    tcase_set_timeout(large, 60);
    tcase_add_test(large, test_large_enum);
    tcase_add_test(large, test_large_record);
    tcase_add_test(large, test_large_union);
    tcase_add_test(large, test_wide_record_defaults);
    tcase_add_test(large, test_shared_references);
    suite_add_tcase(s, large);
  }
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(schema_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
