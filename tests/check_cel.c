/*
 * kavro tests - the CEL engine (src/rules_cel_int.h): parsing and
 * compile-time refusals, evaluation, the avro-c binding both ways, scratch
 * reuse, and every case of cel-spec's conformance files
 * (tests/data/cel-spec).
 */
#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cel_textproto.h"
#include "datum_util.h"
#include "rules_cel_impl_int.h"
#include "schema_int.h"
#include "serde_fixture.h"
#include "testutil.h"

/* ---- allocation counting -------------------------------------------- */

static atomic_ulong allocations;
void *__real_malloc(size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_malloc(size_t size) {
  atomic_fetch_add(&allocations, 1);
  return __real_malloc(size);
}

/* ---- helpers --------------------------------------------------------- */

static kv_cel_program_t *compile_ok(const char *expr, const char *const *vars,
                                    size_t nvars) {
  kv_cel_program_t *p = NULL;
  kavro_error_t e;
  kavro_err_t err = kv_cel_compile(expr, vars, nvars, &p, &e);
  ck_assert_msg(err == KAVRO_OK, "%s: %s", expr, e.text);
  return p;
}

/* Evaluate @expr without variables; the result in *@out (in @s). */
static void eval_expr(kv_cel_scratch_t *s, const char *expr,
                      kv_cel_val_t *out) {
  kv_cel_program_t *p = compile_ok(expr, NULL, 0);
  kavro_error_t e;
  ck_assert_int_eq(kv_cel_eval_value(p, s, NULL, out, &e), KAVRO_OK);
  kv_cel_program_destroy(p);
}

static bool eval_true(const char *expr) {
  kv_cel_scratch_t *s = kv_cel_scratch_new();
  kv_cel_val_t v;
  eval_expr(s, expr, &v);
  ck_assert_msg(v.kind == KV_CEL_BOOL, "%s: %s", expr,
                v.kind == KV_CEL_ERROR ? v.u.err : kv_cel_type_name(v.kind));
  bool b = v.u.b;
  kv_cel_scratch_destroy(s);
  return b;
}

static const char *eval_error(const char *expr) {
  static char msg[256];
  kv_cel_scratch_t *s = kv_cel_scratch_new();
  kv_cel_val_t v;
  eval_expr(s, expr, &v);
  ck_assert_msg(v.kind == KV_CEL_ERROR, "%s: no error", expr);
  snprintf(msg, sizeof msg, "%s", v.u.err);
  kv_cel_scratch_destroy(s);
  return msg;
}

/* ---- parsing and refusals -------------------------------------------- */

START_TEST(test_literals_and_precedence) {
  ck_assert(eval_true("1 + 2 * 3 == 7 && (1 + 2) * 3 == 9"));
  ck_assert(eval_true("-9223372036854775808 < 0"));
  ck_assert(eval_true("0x10 == 16 && 10u == uint(10) && .5 == 0.5"));
  ck_assert(eval_true("r'\\d' == '\\\\d' && '''a\nb''' == \"a\\nb\""));
  ck_assert(eval_true("b'\\xff' == bytes(b'\\377') && size(b'\\xff') == 1"));
  ck_assert(eval_true("'\\u00e9' == '\\xe9' && size('\\u00e9') == 1"));
  ck_assert(eval_true("(true ? 1 : 2) == 1 && !false && 7 % 3 == 1"));
  ck_assert(eval_true("[1, 2][1] == 2 && {'a': 1}['a'] == 1 && 2 in [1, 2]"));
}
END_TEST

/* @expr is refused when compiled with @code and a message saying @says. */
static void assert_refused(const char *expr, kavro_err_t code,
                           const char *says) {
  kv_cel_program_t *p = NULL;
  kavro_error_t e;
  kavro_err_t err = kv_cel_compile(expr, NULL, 0, &p, &e);
  ck_assert_msg(err == code, "%s: %d (%s)", expr, err, e.text);
  ck_assert_msg(strstr(e.text, says), "%s: %s", expr, e.text);
  ck_assert_int_gt(e.column, 0);
  ck_assert_ptr_null(p);
}

START_TEST(test_compile_refusals) {
  static const struct {
    const char *expr;
    kavro_err_t code;
    const char *says;
  } cases[] = {
      {"1 +", KAVRO_ERR_INVALID_ARG, "syntax error"},
      {"x == 1", KAVRO_ERR_INVALID_ARG, "undeclared reference to 'x'"},
      {"'abc", KAVRO_ERR_INVALID_ARG, "unterminated"},
      {"'\\s'", KAVRO_ERR_INVALID_ARG, "escape"},
      {"if", KAVRO_ERR_INVALID_ARG, "reserved"},
      {"9223372036854775808", KAVRO_ERR_INVALID_ARG, "out of range"},
      {"Msg{a: 1}", KAVRO_ERR_UNSUPPORTED, "message construction"},
      {"{'a': 1}.?a", KAVRO_ERR_UNSUPPORTED, "optional"},
      {"[?1]", KAVRO_ERR_UNSUPPORTED, "optional"},
      {"math.greatest([1, 2]) == 2", KAVRO_ERR_UNSUPPORTED,
       "unsupported function .greatest"},
      {"[1].all(i, v, v > 0)", KAVRO_ERR_UNSUPPORTED, "two-variable"},
      {"'a'.matches('(a)\\\\1')", KAVRO_ERR_UNSUPPORTED, "backreferences"},
      {"'a'.matches('a(?=b)')", KAVRO_ERR_UNSUPPORTED, "lookaround"},
      {"'a'.matches('a*+')", KAVRO_ERR_UNSUPPORTED, "possessive"},
      {"'a'.matches('(')", KAVRO_ERR_UNSUPPORTED, "invalid regular"},
      {"timestamp(0).getHours('Mars/Olympus_Mons') == 1",
       KAVRO_ERR_UNSUPPORTED, "unknown time zone"},
      {"timestamp(0).getHours('../../etc/passwd') == 1",
       KAVRO_ERR_UNSUPPORTED, "unknown time zone"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    assert_refused(cases[i].expr, cases[i].code, cases[i].says);
}
END_TEST

/* Patterns are read as RE2 reads them, whatever PCRE2 would accept. */
START_TEST(test_regex_dialect) {
  ck_assert(eval_true("'a b'.matches(r'^a\\sb$') && "
                      "'a\\tb'.matches(r'a[\\s]b')"));
  ck_assert(eval_true("!'a\\vb'.matches(r'a\\sb') && "
                      "'a\\vb'.matches(r'a\\Sb')"));
  ck_assert(eval_true("'x{'.matches('x{') && 'aa'.matches('^a{2}$')"));
  ck_assert(eval_true("'AB'.matches('(?i)ab') && 'ab'.matches('(?P<n>a)b')"));
  ck_assert(eval_true("'a\\n'.matches('a$') == false"));
  ck_assert(eval_true("'\\u00e9'.matches('^.$') && '9'.matches(r'\\d')"));
  ck_assert(eval_true("'a.b'.matches(r'\\Q.\\E') && "
                      "!'ab'.matches(r'\\Q.\\E')"));
  static const char *const refused[] = {
      "'a'.matches('a{,2}')",  "'a'.matches('a{1001}')",
      "'a'.matches(r'[\\S]')",  "'a'.matches(r'[\\b]')",
      "'a'.matches('(?x)a')",  "'a'.matches('a(?<=b)')",
      "'a'.matches('(?>a)')",  "'a'.matches('a{2}+')",
      "'a'.matches(r'\\Z')",    "'a'.matches(r'\\x')",
      "'a'.matches('(*ANY)a')", "'a'.matches('(?#c)a')"};
  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
    assert_refused(refused[i], KAVRO_ERR_UNSUPPORTED, "regular expression");
  /* Backtracking that RE2 would not do is cut off, an error. */
  ck_assert(strstr(eval_error("'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!'"
                              ".matches('^(a|a)*$')"),
                   "too many steps"));
  /* The same refusal, as an error, for a pattern made while evaluating. */
  ck_assert(strstr(eval_error("'a'.matches('a' + '(?=b)')"), "lookaround"));
}
END_TEST

START_TEST(test_depth_limit) {
  char expr[2 * KV_CEL_MAX_DEPTH + 16];
  size_t n = 0;
  for (int i = 0; i <= KV_CEL_MAX_DEPTH; i++)
    expr[n++] = '[';
  for (int i = 0; i <= KV_CEL_MAX_DEPTH; i++)
    expr[n++] = ']';
  expr[n] = '\0';
  kv_cel_program_t *p = NULL;
  kavro_error_t e;
  ck_assert_int_eq(kv_cel_compile(expr, NULL, 0, &p, &e), KAVRO_ERR_LIMIT);
  char *chain = malloc(4 * 1000 + 2);
  n = 0;
  chain[n++] = '1';
  for (int i = 0; i < 1000; i++)
    memcpy(chain + n, " + 1", 4), n += 4;
  chain[n] = '\0';
  ck_assert_int_eq(kv_cel_compile(chain, NULL, 0, &p, &e), KAVRO_ERR_LIMIT);
  free(chain);
}
END_TEST

/* ---- evaluation ------------------------------------------------------ */

START_TEST(test_errors_and_absorption) {
  ck_assert(eval_true("1 / 0 == 1 || true"));
  ck_assert(eval_true("!(false && 1 / 0 == 1)"));
  ck_assert(eval_true("[1, 0].exists(x, 1 / x == 1)"));
  ck_assert_str_eq(eval_error("true && 1 / 0 == 1"), "division by zero");
  ck_assert_str_eq(eval_error("9223372036854775807 + 1"), "integer overflow");
  ck_assert_str_eq(eval_error("0u - 1u"), "unsigned integer overflow");
  ck_assert_str_eq(eval_error("5 % 0"), "modulus by zero");
  ck_assert_str_eq(eval_error("1 + 1u"), KV_CEL_NO_OVERLOAD);
  ck_assert_str_eq(eval_error("{'a': 1}.b"), "no such key: b");
  ck_assert_str_eq(eval_error("{1: 1, 1u: 2}"), "Failed with repeated key");
  ck_assert_str_eq(eval_error("duration('11111111111111111111111111111m')"),
                   "duration out of range");
  ck_assert(eval_true("duration('1.00000000000000000000000000009s') == "
                      "duration('1s') && duration('2562047h') > "
                      "duration('0')"));
  ck_assert_str_eq(eval_error("duration('2562048h')"),
                   "duration out of range");
}
END_TEST

START_TEST(test_equality_and_functions) {
  ck_assert(eval_true("1 == 1u && 1u == 1.0 && 1 == 1.0 && 2 > 1.5"));
  ck_assert(eval_true("[1, 'a'] == [1.0, 'a'] && {1: 2} == {1u: 2.0}"));
  ck_assert(eval_true("null != 0 && type(1) == int && type(int) == type"));
  ck_assert(eval_true("size('h\\u00e9llo') == 5 && 'hello'.contains('ll')"));
  ck_assert(eval_true("'abc'.startsWith('ab') && 'abc'.endsWith('bc')"));
  ck_assert(eval_true("'a1b'.matches('[0-9]') && !'ab'.matches('^b')"));
  ck_assert(eval_true("'x'.matches('a|' + 'x') && matches('ab', 'b$')"));
  ck_assert(eval_true("[1, 2, 3].map(x, x * 2) == [2, 4, 6]"));
  ck_assert(eval_true("[1, 2, 3].map(x, x > 1, x * 2) == [4, 6]"));
  ck_assert(eval_true("[1, 2, 3].filter(x, x > 1) == [2, 3]"));
  ck_assert(eval_true("[1, 2, 3].exists_one(x, x == 2)"));
  ck_assert(eval_true("{'a': 1, 'b': 2}.all(k, k in ['a', 'b'])"));
  ck_assert(eval_true("int('-12') == -12 && uint('12') == 12u"));
  ck_assert(eval_true("string(1.5) == '1.5' && double('2.5') == 2.5"));
  ck_assert(eval_true("timestamp('2009-02-13T23:31:30Z') == timestamp("
                      "1234567890)"));
  ck_assert(eval_true("timestamp('2009-02-13T23:31:30Z').getFullYear() == "
                      "2009 && timestamp('2009-02-13T23:31:30Z')"
                      ".getHours('+01:00') == 0"));
  ck_assert(eval_true("timestamp('2009-02-13T23:31:30,1234567891Z') == "
                      "timestamp('2009-02-13T23:31:30.123456789Z')"));
  ck_assert_str_eq(eval_error("timestamp('2009-02-13t23:31:30Z')"),
                   "timestamp: not an RFC 3339 time");
  ck_assert_str_eq(eval_error("double('0x1')"), "double: invalid number text");
  ck_assert_str_eq(eval_error("double('nan(1)')"),
                   "double: invalid number text");
  ck_assert(eval_true("double('0x1p-2') == 0.25 && double('-Inf') < 0.0"));
  ck_assert(eval_true("duration('1h30m') == duration('90m') && "
                      "string(duration('-1.5s')) == '-1.5s'"));
  ck_assert(eval_true("timestamp('2009-02-13T23:31:30Z') + duration('1s') - "
                      "timestamp('2009-02-13T23:31:30Z') == duration('1s')"));
  ck_assert_str_eq(eval_error("'a'.matches(')' + '')"),
                   "invalid regular expression: unmatched closing "
                   "parenthesis");
}
END_TEST

/* ---- avro binding ---------------------------------------------------- */

static const char order_schema[] =
    "{\"type\":\"record\",\"name\":\"Order\",\"fields\":["
    "{\"name\":\"id\",\"type\":\"string\"},"
    "{\"name\":\"qty\",\"type\":\"int\"},"
    "{\"name\":\"price\",\"type\":\"double\"},"
    "{\"name\":\"note\",\"type\":[\"null\",\"string\"]},"
    "{\"name\":\"status\",\"type\":{\"type\":\"enum\",\"name\":\"S\","
    "\"symbols\":[\"NEW\",\"DONE\"]}},"
    "{\"name\":\"blob\",\"type\":\"bytes\"},"
    "{\"name\":\"tags\",\"type\":{\"type\":\"array\",\"items\":\"string\"}},"
    "{\"name\":\"attrs\",\"type\":{\"type\":\"map\",\"values\":\"long\"}},"
    "{\"name\":\"site\",\"type\":{\"type\":\"record\",\"name\":\"Site\","
    "\"fields\":[{\"name\":\"code\",\"type\":\"string\"}]}},"
    "{\"name\":\"visits\",\"type\":{\"type\":\"array\",\"items\":"
    "{\"type\":\"record\",\"name\":\"Visit\",\"fields\":["
    "{\"name\":\"at\",\"type\":\"long\"},"
    "{\"name\":\"done\",\"type\":[\"null\",\"boolean\"]}]}}},"
    "{\"name\":\"crews\",\"type\":{\"type\":\"map\",\"values\":"
    "{\"type\":\"array\",\"items\":\"string\"}}}]}";

typedef struct order_s {
  avro_schema_t schema;
  avro_value_iface_t *iface;
  avro_value_t value;
} order_t;

static void order_make(order_t *o) {
  avro_value_t f, b, e;
  ck_assert_int_eq(avro_schema_from_json_length(order_schema,
                                                sizeof order_schema - 1,
                                                &o->schema), 0);
  o->iface = avro_generic_class_from_schema(o->schema);
  ck_assert_int_eq(avro_generic_value_new(o->iface, &o->value), 0);
  avro_value_get_by_name(&o->value, "id", &f, NULL);
  avro_value_set_string(&f, "o-1");
  avro_value_get_by_name(&o->value, "qty", &f, NULL);
  avro_value_set_int(&f, 3);
  avro_value_get_by_name(&o->value, "price", &f, NULL);
  avro_value_set_double(&f, 9.5);
  avro_value_get_by_name(&o->value, "note", &f, NULL);
  avro_value_set_branch(&f, 0, &b);
  avro_value_set_null(&b);
  avro_value_get_by_name(&o->value, "status", &f, NULL);
  avro_value_set_enum(&f, 1);
  avro_value_get_by_name(&o->value, "blob", &f, NULL);
  avro_value_set_bytes(&f, "\x01\x02", 2);
  avro_value_get_by_name(&o->value, "tags", &f, NULL);
  avro_value_append(&f, &e, NULL);
  avro_value_set_string(&e, "pii");
  avro_value_get_by_name(&o->value, "attrs", &f, NULL);
  avro_value_add(&f, "w", &e, NULL, NULL);
  avro_value_set_long(&e, 7);
  avro_value_get_by_name(&o->value, "site", &f, NULL);
  avro_value_get_by_name(&f, "code", &e, NULL);
  avro_value_set_string(&e, "BER");
  avro_value_get_by_name(&o->value, "visits", &f, NULL);
  for (int i = 0; i < 2; i++) {
    avro_value_t visit, field;
    avro_value_append(&f, &visit, NULL);
    avro_value_get_by_name(&visit, "at", &field, NULL);
    avro_value_set_long(&field, 1000 + i);
    avro_value_get_by_name(&visit, "done", &field, NULL);
    avro_value_set_branch(&field, i, &b); /* null, then true */
    if (i)
      avro_value_set_boolean(&b, 1);
    else
      avro_value_set_null(&b);
  }
  avro_value_get_by_name(&o->value, "crews", &f, NULL);
  avro_value_add(&f, "night", &e, NULL, NULL);
  avro_value_append(&e, &b, NULL);
  avro_value_set_string(&b, "ana");
  avro_value_append(&e, &b, NULL);
  avro_value_set_string(&b, "bo");
}

static void order_free(order_t *o) {
  avro_value_decref(&o->value);
  avro_value_iface_decref(o->iface);
  avro_schema_decref(o->schema);
}

static bool message_true(const order_t *o, const char *expr) {
  static const char *const vars[] = {"message"};
  kv_cel_program_t *p = compile_ok(expr, vars, 1);
  kv_cel_scratch_t *s = kv_cel_scratch_new();
  kv_cel_binding_t b = {.kind = KV_CEL_BIND_AVRO, .avro = &o->value};
  kavro_error_t e;
  bool r = false;
  ck_assert_msg(kv_cel_eval_bool(p, s, &b, &r, &e) == KAVRO_OK, "%s: %s",
                expr, e.text);
  kv_cel_scratch_destroy(s);
  kv_cel_program_destroy(p);
  return r;
}

START_TEST(test_avro_record) {
  order_t o;
  order_make(&o);
  ck_assert(message_true(&o, "message.id == 'o-1' && message.qty == 3"));
  ck_assert(message_true(&o, "message.price > 9.0 && message['qty'] < 4"));
  ck_assert(message_true(&o, "message.note == null && has(message.note)"));
  ck_assert(message_true(&o, "!has(message.missing) && has(message.qty)"));
  ck_assert(message_true(&o, "message.status == 'DONE'"));
  ck_assert(message_true(&o, "message.blob == b'\\x01\\x02'"));
  ck_assert(message_true(&o, "'pii' in message.tags && "
                             "size(message.tags) == 1"));
  ck_assert(message_true(&o, "message.attrs.w == 7 && 'w' in message.attrs "
                             "&& message.attrs.all(k, k == 'w')"));
  ck_assert(message_true(&o, "message.site.code.startsWith('BE')"));
  ck_assert(message_true(&o, "size(message) == 11 && "
                             "message.exists(f, f == 'site')"));
  ck_assert(message_true(&o, "message.visits[0].done == null && "
                             "message.visits[1].done && "
                             "message.visits.all(v, v.at >= 1000) && "
                             "message.visits.map(v, v.at) == [1000, 1001]"));
  ck_assert(message_true(&o, "message.crews.night[1] == 'bo' && "
                             "size(message.crews['night']) == 2 && "
                             "message.crews == {'night': ['ana', 'bo']}"));
  ck_assert(message_true(&o, "message.site == {'code': 'BER'} && "
                             "type(message.site) == map && "
                             "type(message.visits) == list"));
  ck_assert(!message_true(&o, "message.qty > 3"));
  order_free(&o);
}
END_TEST

/* The strings extension beyond cel-spec's cases: Go's Split and Replace
 * edges, join() and format() over Avro values, a variable named like the
 * extension's namespace, and
 * transforms whose result is a slice of the field they rewrite. */
/* ---- a whole-message transform's result ------------------------------ */

static const char job_schema[] =
    "{\"type\":\"record\",\"name\":\"Job\",\"fields\":["
    "{\"name\":\"id\",\"type\":\"string\"},"
    "{\"name\":\"count\",\"type\":\"int\"},"
    "{\"name\":\"ratio\",\"type\":\"float\"},"
    "{\"name\":\"site\",\"type\":{\"type\":\"record\",\"name\":\"Site\","
    "\"fields\":[{\"name\":\"city\",\"type\":\"string\"},"
    "{\"name\":\"zip\",\"type\":[\"null\",\"string\"],\"default\":null}]}},"
    "{\"name\":\"tags\",\"type\":{\"type\":\"array\",\"items\":\"string\"}},"
    "{\"name\":\"attrs\",\"type\":{\"type\":\"map\",\"values\":\"long\"}},"
    "{\"name\":\"blob\",\"type\":\"bytes\",\"default\":\"\\u00ffA\"},"
    "{\"name\":\"hash\",\"type\":{\"type\":\"fixed\",\"name\":\"H\","
    "\"size\":2}},"
    "{\"name\":\"state\",\"type\":{\"type\":\"enum\",\"name\":\"State\","
    "\"symbols\":[\"OPEN\",\"DONE\"]}},"
    "{\"name\":\"parent\",\"type\":[\"null\",\"Site\"],\"default\":null}]}";

static const char job_datum[] =
    "{\"id\":\"j-1\",\"count\":2,\"ratio\":0.5,"
    "\"site\":{\"city\":\"Lyon\",\"zip\":{\"string\":\"69001\"}},"
    "\"tags\":[\"a\"],\"attrs\":{\"k\":1},\"blob\":\"x\",\"hash\":\"ab\","
    "\"state\":\"OPEN\",\"parent\":null}";

/* Evaluate @expr over the Job @job as a whole-message transform. */
static kavro_err_t job_transform(const kavro_schema_t *schema, kt_value_t *job,
                                 const char *expr, kavro_error_t *e) {
  static const char *const vars[] = {"message"};
  kv_cel_program_t *p = compile_ok(expr, vars, 1);
  kv_cel_scratch_t *s = kv_cel_scratch_new();
  kt_value_t result;
  kt_value_init(&result, schema);
  kv_cel_binding_t b = {.kind = KV_CEL_BIND_AVRO, .avro = &job->value};
  memset(e, 0, sizeof *e);
  kavro_err_t err = kv_cel_eval_to_message(p, s, &b, kv_schema_root(schema),
                                           &job->value, &result.value, e);
  kt_value_free(&result);
  kv_cel_scratch_destroy(s);
  kv_cel_program_destroy(p);
  return err;
}

/* Whether @job holds the Avro JSON datum @json. */
static void job_is(const kavro_schema_t *schema, const kt_value_t *job,
                   const char *json) {
  kt_value_t want;
  kt_value_from_json(&want, schema, json);
  json_t *a = kt_value_plain(schema, &job->value);
  json_t *b = kt_value_plain(schema, &want.value);
  char *got = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
  ck_assert_msg(json_equal(a, b), "got %s", got);
  free(got);
  json_decref(a);
  json_decref(b);
  kt_value_free(&want);
}

/* The result is converted through the schema as Java's AvroResultWriter
 * does: maps to records (nested too, missing fields from their defaults,
 * other keys ignored), lists to arrays, int to float, bytes to fixed,
 * strings to enums, a map to a union's record branch; `message` itself
 * leaves the message as it is. */
START_TEST(test_avro_message_transform) {
  kavro_schema_t *schema = kt_parse(job_schema);
  kt_value_t job;
  kt_value_from_json(&job, schema, job_datum);
  kavro_error_t e;
  ck_assert_int_eq(job_transform(schema, &job, "message", &e), KAVRO_OK);
  job_is(schema, &job, job_datum);
  ck_assert_msg(
      job_transform(schema, &job,
                    "{'id': message.id.upperAscii(), 'count': message.count "
                    "+ 1, 'ratio': 1, 'site': {'city': message.site.city, "
                    "'extra': true}, 'tags': message.tags + ['b'], 'attrs': "
                    "{'n': 5}, 'hash': b'zz', 'state': 'DONE', 'parent': "
                    "message.site, 'unknown': 1}",
                    &e) == KAVRO_OK,
      "%s", e.text);
  job_is(schema, &job,
         "{\"id\":\"J-1\",\"count\":3,\"ratio\":1.0,"
         "\"site\":{\"city\":\"Lyon\",\"zip\":null},"
         "\"tags\":[\"a\",\"b\"],\"attrs\":{\"n\":5},\"blob\":\"\\u00ffA\","
         "\"hash\":\"zz\",\"state\":\"DONE\",\"parent\":{\"Site\":"
         "{\"city\":\"Lyon\",\"zip\":{\"string\":\"69001\"}}}}");
  kt_value_free(&job);
  kt_value_from_json(&job, schema, job_datum);
  /* What does not fit fails at its path and leaves the message alone. */
  static const struct {
    const char *expr, *path, *says;
  } bad[] = {
      {"{'id': 'x'}", "/count", "no field \"count\", which has no default"},
      {"{'id': 'x', 'count': 1.5}", "/count", "double does not fit"},
      {"{'id': 'x', 'count': 1u}", "/count", "uint does not fit"},
      {"{'id': 'x', 'count': 1, 'ratio': 1, 'site': {'city': 5}}",
       "/site/city", "int does not fit the Avro type string"},
      {"{'id': 'x', 'count': 1, 'ratio': 1, 'site': {'city': 'a'}, "
       "'tags': [1]}",
       "/tags/0", "int does not fit"},
      {"{'id': 'x', 'count': 1, 'ratio': 1, 'site': {'city': 'a'}, "
       "'tags': [], 'attrs': {}, 'hash': b'abc'}",
       "/hash", "bytes does not fit"},
      {"'text'", "", "string does not fit the Avro type Job"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    ck_assert_int_eq(job_transform(schema, &job, bad[i].expr, &e),
                     KAVRO_ERR_ENCODE);
    ck_assert_msg(strstr(e.text, bad[i].says), "%s", e.text);
    ck_assert_str_eq(e.path, bad[i].path);
    job_is(schema, &job, job_datum);
  }
  kt_value_free(&job);
  kavro_schema_destroy(schema);
}
END_TEST

START_TEST(test_strings_extension) {
  ck_assert(eval_true("'a©c'.split('') == ['a', '©', 'c'] && "
                      "'a©c'.split('', 2) == ['a', '©c'] && "
                      "''.split('') == [] && ''.split(',') == [''] && "
                      "'a,'.split(',') == ['a', '']"));
  ck_assert(eval_true("'ab'.replace('', '-') == '-a-b-' && "
                      "'ab'.replace('', '-', 2) == '-a-b' && "
                      "'aaa'.replace('a', 'b', 0) == 'aaa' && "
                      "'aaa'.replace('aa', 'b') == 'ba'"));
  ck_assert(eval_true("''.indexOf('a') == -1 && ''.lastIndexOf('') == 0 && "
                      "'abc'.indexOf('', 3) == 3 && 'abc'.charAt(3) == ''"));
  ck_assert_str_eq(eval_error("'abc'.indexOf('c', 3)"), "index out of range: 3");
  ck_assert_str_eq(eval_error("['a', 1].join()"), "no such overload");
  static const char *const strings_var[] = {"strings"};
  kavro_error_t e;
  kv_cel_program_t *p = NULL;
  ck_assert_int_eq(kv_cel_compile("strings.quote('a')", strings_var, 1, &p,
                                  &e), KAVRO_ERR_UNSUPPORTED);
  ck_assert(strstr(e.text, "unsupported function .quote"));
  order_t o;
  order_make(&o);
  ck_assert(message_true(&o, "'%s %s %.1f %x'.format([message.tags, "
                             "message.attrs, message.price, message.blob]) "
                             "== '[pii] {w: 7} 9.5 0102'"));
  ck_assert(message_true(&o, "message.tags.join('+') == 'pii' && "
                             "message.id.upperAscii() == 'O-1' && "
                             "message.id.split('-')[1] == '1'"));
  static const char *const vars[] = {"value"};
  avro_value_t id;
  avro_value_get_by_name(&o.value, "id", &id, NULL);
  avro_value_set_string(&id, "  Jane Doe  ");
  kv_cel_scratch_t *s = kv_cel_scratch_new();
  kv_cel_binding_t b[1] = {{.kind = KV_CEL_BIND_AVRO, .avro = &id}};
  const char *got;
  size_t n;
  p = compile_ok("value.trim()", vars, 1);
  ck_assert_int_eq(kv_cel_eval_to_avro(p, s, b, &id, &e), KAVRO_OK);
  avro_value_get_string(&id, &got, &n);
  ck_assert_str_eq(got, "Jane Doe");
  kv_cel_program_destroy(p);
  p = compile_ok("value.substring(0, 1) + '***' + value.substring(5)", vars,
                 1);
  ck_assert_int_eq(kv_cel_eval_to_avro(p, s, b, &id, &e), KAVRO_OK);
  avro_value_get_string(&id, &got, &n);
  ck_assert_str_eq(got, "J***Doe");
  kv_cel_program_destroy(p);
  kv_cel_scratch_destroy(s);
  order_free(&o);
}
END_TEST

START_TEST(test_avro_field_transform) {
  static const char *const vars[] = {"name", "typeName", "tags", "value",
                                     "message"};
  static const char *const tags[] = {"PII", NULL};
  order_t o;
  order_make(&o);
  avro_value_t id, qty, status, note;
  avro_value_get_by_name(&o.value, "id", &id, NULL);
  avro_value_get_by_name(&o.value, "qty", &qty, NULL);
  avro_value_get_by_name(&o.value, "status", &status, NULL);
  avro_value_get_by_name(&o.value, "note", &note, NULL);
  kv_cel_scratch_t *s = kv_cel_scratch_new();
  kv_cel_binding_t b[5] = {
      {.kind = KV_CEL_BIND_STRING, .str = "id"},
      {.kind = KV_CEL_BIND_STRING, .str = "STRING"},
      {.kind = KV_CEL_BIND_STRINGS, .strs = tags, .nstrs = 1},
      {.kind = KV_CEL_BIND_AVRO, .avro = &id},
      {.kind = KV_CEL_BIND_AVRO, .avro = &o.value}};
  kavro_error_t e;
  /* A string field rewritten from itself: the result aliases its input. */
  kv_cel_program_t *p = compile_ok(
      "'PII' in tags && name == 'id' ? value + '-' + message.status : value",
      vars, 5);
  ck_assert_int_eq(kv_cel_eval_to_avro(p, s, b, &id, &e), KAVRO_OK);
  const char *str;
  size_t n;
  avro_value_get_string(&id, &str, &n);
  ck_assert_str_eq(str, "o-1-DONE");
  kv_cel_program_destroy(p);
  /* int into int, range-checked; string into enum; null into a union. */
  b[3].avro = &qty;
  p = compile_ok("value * 2", vars, 5);
  ck_assert_int_eq(kv_cel_eval_to_avro(p, s, b, &qty, &e), KAVRO_OK);
  int32_t q;
  avro_value_get_int(&qty, &q);
  ck_assert_int_eq(q, 6);
  kv_cel_program_destroy(p);
  p = compile_ok("value * 1000000000", vars, 5);
  ck_assert_int_eq(kv_cel_eval_to_avro(p, s, b, &qty, &e), KAVRO_ERR_ENCODE);
  ck_assert(strstr(e.text, "int does not fit the Avro type int"));
  kv_cel_program_destroy(p);
  p = compile_ok("'NEW'", vars, 5);
  ck_assert_int_eq(kv_cel_eval_to_avro(p, s, b, &status, &e), KAVRO_OK);
  int sym;
  avro_value_get_enum(&status, &sym);
  ck_assert_int_eq(sym, 0);
  ck_assert_int_eq(kv_cel_eval_to_avro(p, s, b, &qty, &e), KAVRO_ERR_ENCODE);
  kv_cel_program_destroy(p);
  p = compile_ok("'UNKNOWN'", vars, 5);
  ck_assert_int_eq(kv_cel_eval_to_avro(p, s, b, &status, &e),
                   KAVRO_ERR_ENCODE);
  kv_cel_program_destroy(p);
  p = compile_ok("name == 'note' ? 'text' : null", vars, 5);
  b[0].str = "note";
  ck_assert_int_eq(kv_cel_eval_to_avro(p, s, b, &note, &e), KAVRO_OK);
  avro_value_t branch;
  int disc;
  avro_value_get_discriminant(&note, &disc);
  ck_assert_int_eq(disc, 1);
  avro_value_get_current_branch(&note, &branch);
  avro_value_get_string(&branch, &str, &n);
  ck_assert_str_eq(str, "text");
  kv_cel_program_destroy(p);
  kv_cel_scratch_destroy(s);
  order_free(&o);
}
END_TEST

/* IANA zones against the C library's reading of the same tzdata files,
 * at instants from 1970 to 2200 (past the last transition, the footer's
 * POSIX rule decides). */
START_TEST(test_time_zones_match_libc) {
  static const char *const zones[] = {
      "America/Los_Angeles", "Europe/Paris", "Australia/Sydney",
      "Asia/Kathmandu", "America/St_Johns", "Africa/Casablanca",
      "Pacific/Chatham", "America/Sao_Paulo", "Europe/Dublin", "UTC"};
  unsigned seed = 7;
  for (size_t z = 0; z < sizeof zones / sizeof zones[0]; z++) {
    kv_cel_tz_t *tz = kv_cel_tz_load(zones[z], strlen(zones[z]));
    ck_assert_msg(tz != NULL, "%s: no zoneinfo (tzdata installed?)",
                  zones[z]);
    setenv("TZ", zones[z], 1);
    tzset();
    for (int i = 0; i < 4000; i++) {
      seed = seed * 1103515245u + 12345u;
      int64_t t = (int64_t)((seed >> 1) % 7258118400u); /* to 2200 */
      if (i % 4 == 0) /* near a northern spring change, 02:00 local */
        t = 1710054000 + (int64_t)(i % 40) * 31556952 + (i % 7) * 900;
      time_t tt = (time_t)t;
      struct tm tm;
      ck_assert_ptr_nonnull(localtime_r(&tt, &tm));
      ck_assert_msg(kv_cel_tz_offset(tz, t) == tm.tm_gmtoff,
                    "%s at %lld: %d, libc %ld", zones[z], (long long)t,
                    (int)kv_cel_tz_offset(tz, t), (long)tm.tm_gmtoff);
    }
    kv_cel_tz_free(tz);
  }
  unsetenv("TZ");
  tzset();
  ck_assert(eval_true("timestamp('2024-07-01T12:00:00Z').getHours("
                      "'Europe/Paris') == 14 && timestamp('2024-01-01T12:00:"
                      "00Z').getHours('Europe/Paris') == 13"));
  ck_assert(eval_true("timestamp('2009-02-13T23:31:30Z').getHours('02:00')"
                      " == 1 && timestamp(0).getMinutes('-00:30') == 30"));
  ck_assert_str_eq(eval_error("timestamp(0).getHours('Europe/' + 'Paris')"),
                   "time zone: a zone name must be a constant; computed "
                   "zones may only be fixed offsets (+05:30)");
}
END_TEST

START_TEST(test_bind_timestamp) {
  static const char *const vars[] = {"now"};
  kv_cel_program_t *p = compile_ok(
      "now > timestamp('2009-02-13T23:31:29Z') && now.getSeconds() == 30 && "
      "now.getMilliseconds() == 250",
      vars, 1);
  kv_cel_scratch_t *s = kv_cel_scratch_new();
  kv_cel_binding_t b = {.kind = KV_CEL_BIND_TIMESTAMP, .sec = 1234567890,
                        .nsec = 250000000};
  kavro_error_t e;
  bool r = false;
  ck_assert_int_eq(kv_cel_eval_bool(p, s, &b, &r, &e), KAVRO_OK);
  ck_assert(r);
  b.nsec = 1000000000;
  ck_assert_int_eq(kv_cel_eval_bool(p, s, &b, &r, &e), KAVRO_ERR_INVALID_ARG);
  kv_cel_scratch_destroy(s);
  kv_cel_program_destroy(p);
}
END_TEST

START_TEST(test_unbound_and_non_bool) {
  static const char *const vars[] = {"message", "value"};
  kv_cel_scratch_t *s = kv_cel_scratch_new();
  kv_cel_binding_t b[2] = {{.kind = KV_CEL_BIND_NULL}, {0}};
  kavro_error_t e;
  bool r;
  kv_cel_program_t *p = compile_ok("message == null || value == 1", vars, 2);
  ck_assert_int_eq(kv_cel_eval_bool(p, s, b, &r, &e), KAVRO_OK);
  ck_assert(r); /* the unbound variable is never read */
  kv_cel_program_destroy(p);
  p = compile_ok("value + 1 == 2", vars, 2);
  ck_assert_int_eq(kv_cel_eval_bool(p, s, b, &r, &e), KAVRO_ERR_INVALID_ARG);
  ck_assert(strstr(e.text, "no value bound to 'value'"));
  b[1] = (kv_cel_binding_t){.kind = KV_CEL_BIND_AVRO}; /* no value */
  ck_assert_int_eq(kv_cel_eval_bool(p, s, b, &r, &e), KAVRO_ERR_INVALID_ARG);
  ck_assert(strstr(e.text, "no value bound to 'value'"));
  kv_cel_program_destroy(p);
  p = compile_ok("1", vars, 2);
  ck_assert_int_eq(kv_cel_eval_bool(p, s, b, &r, &e), KAVRO_ERR_INVALID_ARG);
  ck_assert(strstr(e.text, "not bool"));
  kv_cel_program_destroy(p);
  kv_cel_scratch_destroy(s);
}
END_TEST

/* ---- scratch reuse --------------------------------------------------- */

START_TEST(test_scratch_warm_path) {
  static const char *const vars[] = {"message"};
  order_t o;
  order_make(&o);
  kv_cel_program_t *p = compile_ok(
      "message.tags.map(t, t + '!').exists(t, t.matches('^p.*!$')) && "
      "[message.id, message.site.code].filter(x, size(x) > 2).size() == 3 - "
      "1 && string(message.price) + 'x' == '9.5x' && "
      "message.id.matches(message.id)",
      vars, 1);
  kv_cel_scratch_t *s = kv_cel_scratch_new();
  kv_cel_binding_t b = {.kind = KV_CEL_BIND_AVRO, .avro = &o.value};
  kavro_error_t e;
  bool r = false;
  ck_assert_int_eq(kv_cel_eval_bool(p, s, &b, &r, &e), KAVRO_OK);
  ck_assert(r);
  size_t growths = kv_cel_scratch_growths(s);
  ck_assert_uint_gt(growths, 0);
  /* No assertion inside the measured loop: Check's own bookkeeping
   * allocates. */
  kavro_err_t errs[3];
  bool results[3];
  unsigned long before = atomic_load(&allocations);
  for (int i = 0; i < 3; i++)
    errs[i] = kv_cel_eval_bool(p, s, &b, &results[i], &e);
  unsigned long after = atomic_load(&allocations);
  for (int i = 0; i < 3; i++) {
    ck_assert_int_eq(errs[i], KAVRO_OK);
    ck_assert(results[i]);
  }
  ck_assert_uint_eq(after, before);
  ck_assert_uint_eq(kv_cel_scratch_growths(s), growths);
  kv_cel_scratch_destroy(s);
  kv_cel_program_destroy(p);
  order_free(&o);
}
END_TEST

/* One program, one scratch per thread, one message read by all. */
typedef struct share_s {
  const kv_cel_program_t *program;
  const avro_value_t *message;
  int wrong;
} share_t;

static void *evaluate_often(void *arg) {
  share_t *sh = arg;
  kv_cel_scratch_t *s = kv_cel_scratch_new();
  kv_cel_binding_t b = {.kind = KV_CEL_BIND_AVRO, .avro = sh->message};
  for (int i = 0; i < 2000; i++) {
    kavro_error_t e;
    bool r = false;
    if (kv_cel_eval_bool(sh->program, s, &b, &r, &e) != KAVRO_OK || !r)
      sh->wrong++;
  }
  kv_cel_scratch_destroy(s);
  return NULL;
}

START_TEST(test_threads_share_program) {
  static const char *const vars[] = {"message"};
  order_t o;
  order_make(&o);
  kv_cel_program_t *p = compile_ok(
      "message.id.matches('^o-[0-9]+$') && message.tags.map(t, t + '!') == "
      "['pii!'] && message.visits.exists(v, v.done == true)",
      vars, 1);
  pthread_t threads[4];
  share_t shares[4];
  for (int i = 0; i < 4; i++) {
    shares[i] = (share_t){.program = p, .message = &o.value};
    ck_assert_int_eq(pthread_create(&threads[i], NULL, evaluate_often,
                                    &shares[i]), 0);
  }
  for (int i = 0; i < 4; i++) {
    pthread_join(threads[i], NULL);
    ck_assert_int_eq(shares[i].wrong, 0);
  }
  kv_cel_program_destroy(p);
  order_free(&o);
}
END_TEST

START_TEST(test_scratch_bound) {
  kv_cel_program_t *p = compile_ok(
      "[1,2,3,4,5,6,7,8,9,10].map(a, [1,2,3,4,5,6,7,8,9,10].map(b, "
      "[1,2,3,4,5,6,7,8,9,10].map(c, [1,2,3,4,5,6,7,8,9,10].map(d, "
      "[1,2,3,4,5,6,7,8,9,10].map(e, [1,2,3,4,5,6,7,8,9,10].map(f, "
      "[1,2,3,4,5,6,7,8,9,10].map(g, 'xxxxxxxxxxxxxxxx' + string(g)))))))) "
      "== []",
      NULL, 0);
  kv_cel_scratch_t *s = kv_cel_scratch_new();
  kavro_error_t e;
  bool r;
  ck_assert_int_eq(kv_cel_eval_bool(p, s, NULL, &r, &e), KAVRO_ERR_LIMIT);
  kv_cel_scratch_destroy(s);
  kv_cel_program_destroy(p);
}
END_TEST

/* ---- cel-spec conformance -------------------------------------------- */

static const char *const spec_files[] = {
    "basic", "comparisons", "conversions", "fields", "fp_math",
    "integer_math", "lists", "logic", "macros", "macros2", "parse",
    "plumbing", "string", "string_ext", "timestamps"};

/* Memory of one case's expected and bound values. */
typedef struct pool_s {
  void *p[4096];
  size_t n;
} pool_t;

static void *pool_alloc(pool_t *pool, size_t size) {
  ck_assert_uint_lt(pool->n, 4096);
  void *p = calloc(1, size ? size : 1);
  ck_assert_ptr_nonnull(p);
  return pool->p[pool->n++] = p;
}

static void pool_clear(pool_t *pool) {
  while (pool->n)
    free(pool->p[--pool->n]);
}

static const char *scalar(const tp_node_t *n, const char *name) {
  const tp_node_t *k = tp_get(n, name);
  return k && k->scalar ? k->scalar : NULL;
}

static double parse_double(const char *s) {
  if (strcmp(s, "inf") == 0 || strcmp(s, "infinity") == 0)
    return INFINITY;
  if (strcmp(s, "-inf") == 0 || strcmp(s, "-infinity") == 0)
    return -INFINITY;
  if (strcmp(s, "nan") == 0)
    return NAN;
  return strtod(s, NULL);
}

/* cel-spec's Value message as a CEL value; false when the engine has no
 * such value (protobuf messages, enums). */
static bool spec_value(pool_t *pool, const tp_node_t *v, kv_cel_val_t *out) {
  const char *s;
  const tp_node_t *k;
  if (!v->nkids)
    return false;
  k = v->kids[0];
  if (k->scalar && strcmp(k->name, "int64_value") == 0)
    *out = kv_cel_int(strtoll(k->scalar, NULL, 0));
  else if (k->scalar && strcmp(k->name, "uint64_value") == 0)
    *out = kv_cel_uint(strtoull(k->scalar, NULL, 0));
  else if (k->scalar && strcmp(k->name, "double_value") == 0)
    *out = kv_cel_double(parse_double(k->scalar));
  else if (k->scalar && (strcmp(k->name, "string_value") == 0 ||
                         strcmp(k->name, "bytes_value") == 0))
    *out = kv_cel_str(k->name[0] == 's' ? KV_CEL_STRING : KV_CEL_BYTES,
                      k->scalar, k->scalar_len);
  else if (k->scalar && strcmp(k->name, "bool_value") == 0)
    *out = kv_cel_bool(strcmp(k->scalar, "true") == 0);
  else if (strcmp(k->name, "null_value") == 0)
    *out = (kv_cel_val_t){.kind = KV_CEL_NULL};
  else if (k->scalar && strcmp(k->name, "type_value") == 0) {
    int t;
    for (t = 0; t < KV_CEL_ERROR; t++)
      if (strcmp(kv_cel_type_name(t), k->scalar) == 0)
        break;
    if (t == KV_CEL_ERROR)
      return false;
    *out = kv_cel_type((kv_cel_kind_t)t);
  } else if (strcmp(k->name, "list_value") == 0) {
    kv_cel_val_t *items = pool_alloc(pool, k->nkids * sizeof *items);
    for (size_t i = 0; i < k->nkids; i++)
      if (!spec_value(pool, k->kids[i], &items[i]))
        return false;
    *out = (kv_cel_val_t){.kind = KV_CEL_LIST, .rep = KV_CEL_REP_ARENA};
    out->u.list.v = items;
    out->u.list.n = k->nkids;
  } else if (strcmp(k->name, "map_value") == 0) {
    kv_cel_val_t *kv = pool_alloc(pool, 2 * k->nkids * sizeof *kv);
    for (size_t i = 0; i < k->nkids; i++) {
      const tp_node_t *key = tp_get(k->kids[i], "key");
      const tp_node_t *val = tp_get(k->kids[i], "value");
      if (!key || !val || !spec_value(pool, key, &kv[2 * i]) ||
          !spec_value(pool, val, &kv[2 * i + 1]))
        return false;
    }
    *out = (kv_cel_val_t){.kind = KV_CEL_MAP, .rep = KV_CEL_REP_ARENA};
    out->u.map.kv = kv;
    out->u.map.n = k->nkids;
  } else if (strcmp(k->name, "object_value") == 0 && k->nkids == 1) {
    const tp_node_t *any = k->kids[0];
    bool ts = strstr(any->name, "google.protobuf.Timestamp") != NULL;
    if (!ts && !strstr(any->name, "google.protobuf.Duration"))
      return false;
    s = scalar(any, "seconds");
    const char *ns = scalar(any, "nanos");
    int64_t sec = s ? strtoll(s, NULL, 10) : 0, nsec = ns ? atoll(ns) : 0;
    if (nsec < 0)
      nsec += 1000000000, sec--;
    *out = kv_cel_time(ts ? KV_CEL_TIMESTAMP : KV_CEL_DURATION, sec,
                       (int32_t)nsec);
  } else {
    return false;
  }
  return true;
}

/* The same value, kinds compared too (no heterogeneous equality). */
static bool same(kv_cel_scratch_t *s, const kv_cel_val_t *a,
                 const kv_cel_val_t *b) {
  if (a->kind != b->kind)
    return false;
  if (a->kind == KV_CEL_DOUBLE && isnan(a->u.d))
    return isnan(b->u.d);
  if (a->kind == KV_CEL_LIST) {
    size_t n = kv_cel_list_size(a);
    if (n != kv_cel_list_size(b))
      return false;
    for (size_t i = 0; i < n; i++) {
      kv_cel_val_t x = kv_cel_list_get(s, a, i), y = kv_cel_list_get(s, b, i);
      if (!same(s, &x, &y))
        return false;
    }
    return true;
  }
  if (a->kind == KV_CEL_MAP) {
    size_t n = kv_cel_map_size(a);
    if (n != kv_cel_map_size(b))
      return false;
    for (size_t i = 0; i < n; i++) {
      kv_cel_val_t key = kv_cel_map_key(s, a, i), x, y;
      if (!kv_cel_map_find(s, a, &key, &x) ||
          !kv_cel_map_find(s, b, &key, &y) || !same(s, &x, &y))
        return false;
    }
    return true;
  }
  return kv_cel_equal(s, a, b);
}

/* CEL_SHOW_REFUSED=1 in the environment lists every case not run and
 * why, and every expected error met at compile time. */
typedef struct tally_s {
  int passed, refused, wrong;
} tally_t;

static void run_case(const tp_node_t *t, kv_cel_scratch_t *s, tally_t *tally,
                     const char *file) {
  pool_t *pool = calloc(1, sizeof *pool);
  const char *expr = scalar(t, "expr"), *name = scalar(t, "name");
  const char *vars[64];
  kv_cel_binding_t binds[64];
  size_t nvars = 0;
  bool representable = true;
  memset(binds, 0, sizeof binds);
  for (size_t i = 0; i < t->nkids && nvars < 64; i++) {
    const tp_node_t *k = t->kids[i];
    const char *var = NULL;
    if (strcmp(k->name, "type_env") == 0)
      var = scalar(k, "name");
    else if (strcmp(k->name, "bindings") == 0)
      var = scalar(k, "key");
    if (!var)
      continue;
    size_t at;
    for (at = 0; at < nvars && strcmp(vars[at], var) != 0; at++)
      ;
    if (at == nvars)
      vars[nvars++] = var;
    const tp_node_t *val = tp_get(tp_get(k, "value"), "value");
    if (strcmp(k->name, "bindings") == 0) {
      kv_cel_val_t *v = pool_alloc(pool, sizeof *v);
      if (!val || !spec_value(pool, val, v))
        representable = false;
      binds[at].kind = KV_CEL_BIND_VALUE;
      binds[at].value = v;
    }
  }
  const tp_node_t *want_value = tp_get(t, "value");
  bool want_error = tp_get(t, "eval_error") || tp_get(t, "any_eval_errors");
  kv_cel_val_t want = kv_cel_bool(true);
  if (tp_get(t, "unknown") || tp_get(t, "typed_result") ||
      (want_value && !spec_value(pool, want_value, &want)))
    representable = false;
  kv_cel_program_t *p = NULL;
  kavro_error_t e;
  const tp_node_t *expr_node = tp_get(t, "expr");
  kavro_err_t err = kv_cel_compile_len(expr, expr_node->scalar_len, vars,
                                       nvars, &p, &e);
  const char *verdict = NULL;
  /* Cases run without cel-spec's checker may name variables they never
   * declare; the engine always refuses those when compiling. */
  bool unchecked_refusal = err == KAVRO_ERR_INVALID_ARG &&
                           tp_get(t, "disable_check") &&
                           strstr(e.text, "undeclared reference");
  if (err == KAVRO_ERR_UNSUPPORTED || (unchecked_refusal && !want_error) ||
      (!err && !representable)) {
    tally->refused++;
  } else if (err) {
    if (want_error)
      tally->passed++;
    else
      verdict = e.text;
  } else {
    kv_cel_val_t got;
    ck_assert_int_eq(kv_cel_eval_value(p, s, binds, &got, &e), KAVRO_OK);
    if (want_error ? got.kind == KV_CEL_ERROR : same(s, &got, &want))
      tally->passed++;
    else
      verdict = got.kind == KV_CEL_ERROR ? got.u.err
                                         : kv_cel_type_name(got.kind);
  }
  if (verdict) {
    tally->wrong++;
    printf("cel-spec %s: %s: `%s` wrong (%s)\n", file, name, expr, verdict);
  } else if (getenv("CEL_SHOW_REFUSED") && (err || !representable)) {
    printf("refused %s: %s: `%s`: %s\n", file, name, expr,
           err ? e.text : "a binding or result of a type the engine lacks");
  }
  kv_cel_program_destroy(p);
  pool_clear(pool);
  free(pool);
}

START_TEST(test_cel_spec) {
  const char *file = spec_files[_i];
  char path[512];
  snprintf(path, sizeof path, "%s/tests/data/cel-spec/%s.textproto",
           KAVRO_SRCDIR, file);
  FILE *f = fopen(path, "rb");
  ck_assert_msg(f != NULL, "%s", path);
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  rewind(f);
  char *text = malloc((size_t)size + 1);
  ck_assert_uint_eq(fread(text, 1, (size_t)size, f), (size_t)size);
  text[size] = '\0';
  fclose(f);
  char err[200];
  tp_node_t *root = tp_parse(text, err, sizeof err);
  ck_assert_msg(root != NULL, "%s: %s", file, err);
  kv_cel_scratch_t *s = kv_cel_scratch_new();
  tally_t tally = {0, 0, 0};
  int cases = 0;
  for (size_t i = 0; i < root->nkids; i++) {
    const tp_node_t *sec = root->kids[i];
    if (strcmp(sec->name, "section") != 0)
      continue;
    for (size_t j = 0; j < sec->nkids; j++)
      if (strcmp(sec->kids[j]->name, "test") == 0) {
        run_case(sec->kids[j], s, &tally, file);
        cases++;
      }
  }
  printf("cel-spec %s: %d passed, %d refused as unsupported, %d wrong\n",
         file, tally.passed, tally.refused, tally.wrong);
  fflush(stdout);
  ck_assert_int_gt(cases, 0);
  ck_assert_int_eq(tally.passed + tally.refused + tally.wrong, cases);
  ck_assert_int_eq(tally.wrong, 0);
  kv_cel_scratch_destroy(s);
  tp_free(root);
  free(text);
}
END_TEST

static Suite *cel_suite(void) {
  Suite *s = suite_create("cel");
  TCase *tc = tcase_create("parse");
  tcase_add_test(tc, test_literals_and_precedence);
  tcase_add_test(tc, test_compile_refusals);
  tcase_add_test(tc, test_depth_limit);
  tcase_add_test(tc, test_regex_dialect);
  suite_add_tcase(s, tc);

  tc = tcase_create("eval");
  tcase_add_test(tc, test_errors_and_absorption);
  tcase_add_test(tc, test_equality_and_functions);
  tcase_add_test(tc, test_time_zones_match_libc);
  suite_add_tcase(s, tc);

  tc = tcase_create("avro");
  tcase_add_test(tc, test_avro_record);
  tcase_add_test(tc, test_avro_field_transform);
  tcase_add_test(tc, test_avro_message_transform);
  tcase_add_test(tc, test_strings_extension);
  tcase_add_test(tc, test_unbound_and_non_bool);
  tcase_add_test(tc, test_bind_timestamp);
  suite_add_tcase(s, tc);

  tc = tcase_create("scratch");
  tcase_add_test(tc, test_scratch_warm_path);
  tcase_add_test(tc, test_scratch_bound);
  tcase_add_test(tc, test_threads_share_program);
  suite_add_tcase(s, tc);

  tc = tcase_create("conformance");
  tcase_set_timeout(tc, 120);
  tcase_add_loop_test(tc, test_cel_spec, 0,
                      (int)(sizeof spec_files / sizeof spec_files[0]));
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(cel_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
