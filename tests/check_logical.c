/*
 * kavro tests - logical types as C values (kavro/logical.h): timestamps,
 * dates and times against known vectors (the epoch, before 1970 with
 * fractions, leap years, the limits of int64 nanoseconds and of year
 * 9999), decimals against the values Python's decimal module and
 * int.to_bytes(signed=True) give, big-decimal against the bytes Java's
 * Conversions.BigDecimalConversion writes, uuid and duration; and every
 * refusal with its error code.
 */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kavro.h"

#define LEN(s) (sizeof(s) - 1)

/* ---- timestamps ---------------------------------------------------------- */

typedef struct ts_vector_s {
  int64_t value;
  kavro_time_unit_t unit;
  const char *text;
} ts_vector_t;

static const ts_vector_t ts_vectors[] = {
    {0, KAVRO_TIME_MILLIS, "1970-01-01T00:00:00.000Z"},
    {0, KAVRO_TIME_NANOS, "1970-01-01T00:00:00.000000000Z"},
    {-1, KAVRO_TIME_MILLIS, "1969-12-31T23:59:59.999Z"},
    {-1500, KAVRO_TIME_MILLIS, "1969-12-31T23:59:58.500Z"},
    {-1, KAVRO_TIME_MICROS, "1969-12-31T23:59:59.999999Z"},
    /* 1901-06-15: -25037 days, then 12 h 250 ms */
    {-2163153599750, KAVRO_TIME_MILLIS, "1901-06-15T12:00:00.250Z"},
    {INT64_C(1796624236123), KAVRO_TIME_MILLIS, "2026-12-07T06:17:16.123Z"},
    {INT64_C(1796624236123000), KAVRO_TIME_MICROS,
     "2026-12-07T06:17:16.123000Z"},
    /* leap days: 2000 (divisible by 400) has one, 1900 has none */
    {INT64_C(11016) * 86400000, KAVRO_TIME_MILLIS, "2000-02-29T00:00:00.000Z"},
    {INT64_C(-25508) * 86400000, KAVRO_TIME_MILLIS, "1900-03-01T00:00:00.000Z"},
    /* the ends of int64 nanoseconds */
    {INT64_MAX, KAVRO_TIME_NANOS, "2262-04-11T23:47:16.854775807Z"},
    {INT64_MIN, KAVRO_TIME_NANOS, "1677-09-21T00:12:43.145224192Z"},
    /* the ends of RFC 3339 */
    {INT64_C(253402300799999999), KAVRO_TIME_MICROS,
     "9999-12-31T23:59:59.999999Z"},
    {INT64_C(-719528) * 86400000, KAVRO_TIME_MILLIS,
     "0000-01-01T00:00:00.000Z"},
};

START_TEST(test_timestamp_vectors) {
  const ts_vector_t *v = &ts_vectors[_i];
  char buf[KAVRO_TIMESTAMP_TEXT_SIZE];
  kavro_error_t err;
  ck_assert_int_eq(kavro_timestamp_format(v->value, v->unit, buf, sizeof(buf),
                                          &err),
                   KAVRO_OK);
  ck_assert_str_eq(buf, v->text);
  int64_t back = 0;
  ck_assert_int_eq(
      kavro_timestamp_parse(v->text, strlen(v->text), v->unit, &back, &err),
      KAVRO_OK);
  ck_assert_int_eq(back, v->value);
  /* the local form is the same text without the Z */
  ck_assert_int_eq(kavro_local_timestamp_format(v->value, v->unit, buf,
                                                sizeof(buf), &err),
                   KAVRO_OK);
  ck_assert_int_eq(strncmp(buf, v->text, strlen(v->text) - 1), 0);
  ck_assert_uint_eq(strlen(buf), strlen(v->text) - 1);
  ck_assert_int_eq(
      kavro_local_timestamp_parse(buf, strlen(buf), v->unit, &back, &err),
      KAVRO_OK);
  ck_assert_int_eq(back, v->value);
}
END_TEST

START_TEST(test_timestamp_offsets) {
  static const char *const same[] = {
      "2026-12-07T06:17:16.123Z", "2026-12-07t06:17:16.123z",
      "2026-12-07T07:17:16.123+01:00", "2026-12-06T22:17:16.123-08:00",
      "2026-12-07T06:17:16.123-00:00", "2026-12-07T11:47:16.123+05:30",
      "2026-12-07T06:17:16.123000000Z", "2026-12-07T06:17:16.12300Z"};
  for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
    int64_t v = 0;
    ck_assert_msg(kavro_timestamp_parse(same[i], strlen(same[i]),
                                        KAVRO_TIME_MILLIS, &v, NULL) == KAVRO_OK,
                  "%s", same[i]);
    ck_assert_int_eq(v, INT64_C(1796624236123));
  }
  /* an offset that crosses midnight and the year */
  int64_t v = 0;
  ck_assert_int_eq(kavro_timestamp_parse("1970-01-01T00:30:00+01:00",
                                         LEN("1970-01-01T00:30:00+01:00"),
                                         KAVRO_TIME_MICROS, &v, NULL),
                   KAVRO_OK);
  ck_assert_int_eq(v, INT64_C(-1800000000));
  /* no fraction: a whole second */
  ck_assert_int_eq(kavro_timestamp_parse("1970-01-01T00:00:01Z",
                                         LEN("1970-01-01T00:00:01Z"),
                                         KAVRO_TIME_NANOS, &v, NULL),
                   KAVRO_OK);
  ck_assert_int_eq(v, INT64_C(1000000000));
}
END_TEST

/* The text need not be NUL-terminated: the length is what counts. */
START_TEST(test_timestamp_length_counts) {
  const char text[] = "1970-01-01T00:00:00.001Z trailing";
  int64_t v = 0;
  ck_assert_int_eq(
      kavro_timestamp_parse(text, 24, KAVRO_TIME_MILLIS, &v, NULL), KAVRO_OK);
  ck_assert_int_eq(v, 1);
  ck_assert_int_eq(kavro_timestamp_parse(text, sizeof(text) - 1,
                                         KAVRO_TIME_MILLIS, &v, NULL),
                   KAVRO_ERR_INVALID_ARG);
}
END_TEST

typedef struct refusal_s {
  const char *text;
  kavro_time_unit_t unit;
  kavro_err_t code;
  const char *says; /* in the error text */
} refusal_t;

static const refusal_t ts_refusals[] = {
    {"", KAVRO_TIME_MILLIS, KAVRO_ERR_INVALID_ARG, "expected a date"},
    {"2026-12-07", KAVRO_TIME_MILLIS, KAVRO_ERR_INVALID_ARG, "'T'"},
    {"2026-12-07 06:17:16Z", KAVRO_TIME_MILLIS, KAVRO_ERR_INVALID_ARG, "'T'"},
    {"2026-12-07T06:17:16", KAVRO_TIME_MILLIS, KAVRO_ERR_INVALID_ARG,
     "offset"},
    {"2026-02-29T00:00:00Z", KAVRO_TIME_MILLIS, KAVRO_ERR_INVALID_ARG,
     "no such day"},
    {"1900-02-29T00:00:00Z", KAVRO_TIME_MILLIS, KAVRO_ERR_INVALID_ARG,
     "no such day"},
    {"2026-13-01T00:00:00Z", KAVRO_TIME_MILLIS, KAVRO_ERR_INVALID_ARG,
     "no such day"},
    {"2026-12-07T24:00:00Z", KAVRO_TIME_MILLIS, KAVRO_ERR_INVALID_ARG,
     "no such time"},
    {"2016-12-31T23:59:60Z", KAVRO_TIME_MILLIS, KAVRO_ERR_INVALID_ARG,
     "leap second"},
    {"2026-12-07T06:17:16.Z", KAVRO_TIME_MILLIS, KAVRO_ERR_INVALID_ARG,
     "no digits"},
    {"2026-12-07T06:17:16.1234567891Z", KAVRO_TIME_NANOS,
     KAVRO_ERR_INVALID_ARG, "more than 9"},
    {"2026-12-07T06:17:16Z ", KAVRO_TIME_MILLIS, KAVRO_ERR_INVALID_ARG,
     "after the end"},
    {"2026-12-07T06:17:16+24:00", KAVRO_TIME_MILLIS, KAVRO_ERR_INVALID_ARG,
     "no such offset"},
    {"2026-12-07T06:17:16+0100", KAVRO_TIME_MILLIS, KAVRO_ERR_INVALID_ARG,
     "offset"},
    {"26-12-07T06:17:16Z", KAVRO_TIME_MILLIS, KAVRO_ERR_INVALID_ARG,
     "expected a date"},
    {"+2026-12-07T06:17:16Z", KAVRO_TIME_MILLIS, KAVRO_ERR_INVALID_ARG,
     "expected a date"},
    /* valid text the unit cannot hold exactly */
    {"2026-12-07T06:17:16.1234Z", KAVRO_TIME_MILLIS, KAVRO_ERR_ENCODE,
     "finer than milliseconds"},
    {"9999-12-31T23:59:59.999999999Z", KAVRO_TIME_MICROS, KAVRO_ERR_ENCODE,
     "finer than microseconds"},
    /* beyond int64 nanoseconds (2262-04-11T23:47:16.854775807Z) */
    {"9999-12-31T23:59:59.999999999Z", KAVRO_TIME_NANOS, KAVRO_ERR_ENCODE,
     "beyond"},
    {"2262-04-11T23:47:16.854775808Z", KAVRO_TIME_NANOS, KAVRO_ERR_ENCODE,
     "beyond"},
    {"1677-09-21T00:12:43.145224191Z", KAVRO_TIME_NANOS, KAVRO_ERR_ENCODE,
     "beyond"},
};

START_TEST(test_timestamp_refusals) {
  const refusal_t *r = &ts_refusals[_i];
  kavro_error_t err;
  int64_t v = 42;
  ck_assert_int_eq(
      kavro_timestamp_parse(r->text, strlen(r->text), r->unit, &v, &err),
      r->code);
  ck_assert_int_eq(err.code, r->code);
  ck_assert_msg(strstr(err.text, r->says), "\"%s\": %s", r->text, err.text);
}
END_TEST

START_TEST(test_local_timestamp_refuses_zones) {
  static const char *const zoned[] = {"2026-12-07T06:17:16.123Z",
                                      "2026-12-07T06:17:16.123+01:00"};
  for (size_t i = 0; i < 2; i++) {
    kavro_error_t err;
    int64_t v;
    ck_assert_int_eq(kavro_local_timestamp_parse(zoned[i], strlen(zoned[i]),
                                                 KAVRO_TIME_MILLIS, &v, &err),
                     KAVRO_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(err.text, "no time zone"));
  }
}
END_TEST

START_TEST(test_timestamp_format_refusals) {
  char buf[KAVRO_TIMESTAMP_TEXT_SIZE];
  kavro_error_t err;
  /* 10000-01-01T00:00:00Z and the day before 0000-01-01 */
  ck_assert_int_eq(kavro_timestamp_format(INT64_C(253402300800000),
                                          KAVRO_TIME_MILLIS, buf, sizeof(buf),
                                          &err),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_ptr_nonnull(strstr(err.text, "year 10000"));
  ck_assert_str_eq(buf, "");
  ck_assert_int_eq(kavro_timestamp_format(INT64_C(-62167219200001),
                                          KAVRO_TIME_MILLIS, buf, sizeof(buf),
                                          &err),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_ptr_nonnull(strstr(err.text, "year -1"));
  ck_assert_int_eq(kavro_timestamp_format(INT64_MAX, KAVRO_TIME_MILLIS, buf,
                                          sizeof(buf), &err),
                   KAVRO_ERR_INVALID_ARG);
  /* a buffer one byte short (left holding ""); exactly enough */
  strcpy(buf, "stale");
  ck_assert_int_eq(kavro_timestamp_format(0, KAVRO_TIME_MILLIS, buf, 24, &err),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_str_eq(buf, "");
  ck_assert_ptr_nonnull(strstr(err.text, "the text needs 25"));
  ck_assert_int_eq(kavro_timestamp_format(0, KAVRO_TIME_MILLIS, buf, 25, &err),
                   KAVRO_OK);
  ck_assert_int_eq(kavro_timestamp_format(0, (kavro_time_unit_t)7, buf,
                                          sizeof(buf), &err),
                   KAVRO_ERR_INVALID_ARG);
}
END_TEST

START_TEST(test_timespec) {
  struct timespec ts;
  ck_assert_int_eq(
      kavro_timestamp_to_timespec(-1, KAVRO_TIME_MILLIS, &ts, NULL), KAVRO_OK);
  ck_assert_int_eq(ts.tv_sec, -1);
  ck_assert_int_eq(ts.tv_nsec, 999000000);
  ck_assert_int_eq(
      kavro_timestamp_to_timespec(-1500001, KAVRO_TIME_MICROS, &ts, NULL),
      KAVRO_OK);
  ck_assert_int_eq(ts.tv_sec, -2);
  ck_assert_int_eq(ts.tv_nsec, 499999000);
  ck_assert_int_eq(
      kavro_timestamp_to_timespec(INT64_MIN, KAVRO_TIME_NANOS, &ts, NULL),
      KAVRO_OK);
  ck_assert_int_eq(ts.tv_sec, INT64_C(-9223372037));
  ck_assert_int_eq(ts.tv_nsec, 145224192);
  int64_t v = 0;
  ck_assert_int_eq(kavro_timestamp_from_timespec(&ts, KAVRO_TIME_NANOS, &v,
                                                 NULL),
                   KAVRO_OK);
  ck_assert_int_eq(v, INT64_MIN);
  /* sub-unit nanoseconds are dropped towards the past */
  struct timespec clock = {-2, 499999999};
  ck_assert_int_eq(
      kavro_timestamp_from_timespec(&clock, KAVRO_TIME_MILLIS, &v, NULL),
      KAVRO_OK);
  ck_assert_int_eq(v, -1501);
  kavro_error_t err;
  struct timespec bad = {0, 1000000000};
  ck_assert_int_eq(
      kavro_timestamp_from_timespec(&bad, KAVRO_TIME_MILLIS, &v, &err),
      KAVRO_ERR_INVALID_ARG);
  struct timespec far = {INT64_C(9223372037), 0};
  ck_assert_int_eq(
      kavro_timestamp_from_timespec(&far, KAVRO_TIME_NANOS, &v, &err),
      KAVRO_ERR_ENCODE);
  ck_assert_int_eq(
      kavro_timestamp_from_timespec(&far, KAVRO_TIME_MICROS, &v, &err),
      KAVRO_OK);
  ck_assert_int_eq(v, INT64_C(9223372037000000));
}
END_TEST

/* ---- dates and times of day ------------------------------------------------ */

START_TEST(test_dates) {
  static const struct {
    int32_t days;
    const char *text;
  } vectors[] = {{0, "1970-01-01"},       {-1, "1969-12-31"},
                 {11016, "2000-02-29"},   {-25508, "1900-03-01"},
                 {-25509, "1900-02-28"},  {19782, "2024-02-29"},
                 {2932896, "9999-12-31"}, {-719528, "0000-01-01"}};
  for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
    char buf[KAVRO_DATE_TEXT_SIZE];
    ck_assert_int_eq(kavro_date_format(vectors[i].days, buf, sizeof(buf), NULL),
                     KAVRO_OK);
    ck_assert_str_eq(buf, vectors[i].text);
    int32_t back = 1;
    ck_assert_int_eq(kavro_date_parse(buf, strlen(buf), &back, NULL), KAVRO_OK);
    ck_assert_int_eq(back, vectors[i].days);
  }
  kavro_error_t err;
  char buf[KAVRO_DATE_TEXT_SIZE];
  ck_assert_int_eq(kavro_date_format(2932897, buf, sizeof(buf), &err),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_ptr_nonnull(strstr(err.text, "year 10000"));
  ck_assert_int_eq(kavro_date_format(INT32_MIN, buf, sizeof(buf), &err),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_int_eq(kavro_date_format(0, buf, 10, &err), KAVRO_ERR_INVALID_ARG);
  static const char *const bad[] = {"1900-02-29", "2026-04-31", "2026-00-10",
                                    "2026-1-01",  "2026-01-01T", "20260101",
                                    ""};
  int32_t d;
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    ck_assert_msg(kavro_date_parse(bad[i], strlen(bad[i]), &d, &err) ==
                      KAVRO_ERR_INVALID_ARG,
                  "%s", bad[i]);
}
END_TEST

START_TEST(test_times) {
  char buf[KAVRO_TIME_TEXT_SIZE];
  int64_t v = -1;
  ck_assert_int_eq(kavro_time_format(0, KAVRO_TIME_MILLIS, buf, sizeof(buf),
                                     NULL),
                   KAVRO_OK);
  ck_assert_str_eq(buf, "00:00:00.000");
  ck_assert_int_eq(kavro_time_format(86399999, KAVRO_TIME_MILLIS, buf,
                                     sizeof(buf), NULL),
                   KAVRO_OK);
  ck_assert_str_eq(buf, "23:59:59.999");
  ck_assert_int_eq(kavro_time_format(INT64_C(45296789012), KAVRO_TIME_MICROS,
                                     buf, sizeof(buf), NULL),
                   KAVRO_OK);
  ck_assert_str_eq(buf, "12:34:56.789012");
  ck_assert_int_eq(kavro_time_parse(buf, strlen(buf), KAVRO_TIME_MICROS, &v,
                                    NULL),
                   KAVRO_OK);
  ck_assert_int_eq(v, INT64_C(45296789012));
  ck_assert_int_eq(kavro_time_parse("23:59:59", 8, KAVRO_TIME_MILLIS, &v, NULL),
                   KAVRO_OK);
  ck_assert_int_eq(v, 86399000);
  kavro_error_t err;
  /* a day or more, or negative */
  ck_assert_int_eq(kavro_time_format(86400000, KAVRO_TIME_MILLIS, buf,
                                     sizeof(buf), &err),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_ptr_nonnull(strstr(err.text, "not a time of day"));
  ck_assert_int_eq(kavro_time_format(-1, KAVRO_TIME_MICROS, buf, sizeof(buf),
                                     &err),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_int_eq(kavro_time_parse("24:00:00", 8, KAVRO_TIME_MILLIS, &v, &err),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_int_eq(kavro_time_parse("12:00:00.0001", 13, KAVRO_TIME_MILLIS, &v,
                                    &err),
                   KAVRO_ERR_ENCODE);
  ck_assert_int_eq(kavro_time_parse("12:00", 5, KAVRO_TIME_MILLIS, &v, &err),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_int_eq(kavro_time_parse("12:00:00Z", 9, KAVRO_TIME_MILLIS, &v,
                                    &err),
                   KAVRO_ERR_INVALID_ARG);
}
END_TEST

/* ---- decimals ---------------------------------------------------------------- */

/* Expected bytes: Python's int(Decimal(text).scaleb(scale)).to_bytes(n,
 * 'big', signed=True) with the fewest n, written out by hand. */
typedef struct dec_vector_s {
  const char *text;
  int32_t precision, scale;
  unsigned char bytes[16];
  size_t length;
  const char *formatted; /* the text formatting gives back */
} dec_vector_t;

static const dec_vector_t dec_vectors[] = {
    /* 1234 = 0x04d2 */
    {"12.34", 9, 2, {0x04, 0xd2}, 2, "12.34"},
    /* -1234 = 0x10000 - 1234 = 0xfb2e */
    {"-12.34", 9, 2, {0xfb, 0x2e}, 2, "-12.34"},
    /* 1230: missing fraction digits are zeros */
    {"12.3", 9, 2, {0x04, 0xce}, 2, "12.30"},
    /* fraction digits beyond the scale are fine when zeros */
    {"+12.340", 4, 2, {0x04, 0xd2}, 2, "12.34"},
    {"0", 1, 0, {0x00}, 1, "0"},
    {"-0.00", 3, 2, {0x00}, 1, "0.00"},
    /* 128 needs a sign byte; -128 does not; -129 does */
    {"1.28", 3, 2, {0x00, 0x80}, 2, "1.28"},
    {"-1.28", 3, 2, {0x80}, 1, "-1.28"},
    {"-1.29", 3, 2, {0xff, 0x7f}, 2, "-1.29"},
    {"0.05", 3, 3, {0x32}, 1, "0.050"},
    {".5", 1, 1, {0x05}, 1, "0.5"},
    {"007.", 1, 0, {0x07}, 1, "7"},
    /* 12345678901234567890123456789012, 104 bits: 14 bytes */
    {"123456789012345678901234567890.12", 32, 2,
     {0x00, 0x9b, 0xd3, 0x0a, 0x3c, 0x64, 0x59, 0x43, 0xdd, 0x16, 0x90, 0xa0,
      0x3a, 0x14},
     14, "123456789012345678901234567890.12"},
    {"-123456789012345678901234567890.12", 32, 2,
     {0xff, 0x64, 0x2c, 0xf5, 0xc3, 0x9b, 0xa6, 0xbc, 0x22, 0xe9, 0x6f, 0x5f,
      0xc5, 0xec},
     14, "-123456789012345678901234567890.12"},
};

START_TEST(test_decimal_vectors) {
  const dec_vector_t *v = &dec_vectors[_i];
  unsigned char *bytes = NULL;
  size_t n = 0;
  kavro_error_t err;
  ck_assert_msg(kavro_decimal_parse(v->text, strlen(v->text), v->precision,
                                    v->scale, &bytes, &n, &err) == KAVRO_OK,
                "%s: %s", v->text, err.text);
  ck_assert_uint_eq(n, v->length);
  ck_assert_mem_eq(bytes, v->bytes, n);
  char *text = NULL;
  ck_assert_int_eq(kavro_decimal_format(bytes, n, v->scale, &text, &err),
                   KAVRO_OK);
  ck_assert_str_eq(text, v->formatted);
  free(text);
  free(bytes);
}
END_TEST

START_TEST(test_decimal_format) {
  static const struct {
    unsigned char bytes[4];
    size_t length;
    int32_t scale;
    const char *text;
  } vectors[] = {{{0x05}, 1, 3, "0.005"},   {{0}, 0, 2, "0.00"},
                 {{0xff}, 1, 1, "-0.1"},    {{0x00, 0x80}, 2, 0, "128"},
                 {{0x0c}, 1, -2, "1200"},   {{0xf4}, 1, -2, "-1200"},
                 {{0x00}, 1, -3, "0"},      {{0xff, 0xff, 0xff, 0x85}, 4, 2,
                                             "-1.23"}};
  for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
    char *text = NULL;
    ck_assert_int_eq(kavro_decimal_format(vectors[i].bytes, vectors[i].length,
                                          vectors[i].scale, &text, NULL),
                     KAVRO_OK);
    ck_assert_str_eq(text, vectors[i].text);
    free(text);
  }
  /* an untrusted scale cannot make it allocate without a bound */
  kavro_error_t err;
  char *text = (char *)"unchanged";
  ck_assert_int_eq(kavro_decimal_format((const unsigned char *)"\x01", 1,
                                        INT32_MAX, &text, &err),
                   KAVRO_ERR_LIMIT);
  ck_assert_ptr_null(text);
  ck_assert_int_eq(kavro_decimal_format((const unsigned char *)"\x01", 1,
                                        INT32_MIN, &text, &err),
                   KAVRO_ERR_LIMIT);
}
END_TEST

START_TEST(test_decimal_refusals) {
  static const struct {
    const char *text;
    int32_t precision, scale;
    kavro_err_t code;
    const char *says;
  } refusals[] = {
      {"", 5, 2, KAVRO_ERR_INVALID_ARG, "expected digits"},
      {"-", 5, 2, KAVRO_ERR_INVALID_ARG, "expected digits"},
      {".", 5, 2, KAVRO_ERR_INVALID_ARG, "expected digits"},
      {"1.2.3", 5, 2, KAVRO_ERR_INVALID_ARG, "expected digits"},
      {"1e5", 5, 2, KAVRO_ERR_INVALID_ARG, "expected digits"},
      {" 1", 5, 2, KAVRO_ERR_INVALID_ARG, "expected digits"},
      {"1,5", 5, 2, KAVRO_ERR_INVALID_ARG, "expected digits"},
      {"12.345", 9, 2, KAVRO_ERR_ENCODE, "3 fraction digits, its scale is 2"},
      {"0.001", 9, 2, KAVRO_ERR_ENCODE, "fraction digits"},
      {"123.45", 4, 2, KAVRO_ERR_ENCODE, "5 digits, its precision is 4"},
      {"100", 2, 0, KAVRO_ERR_ENCODE, "precision is 2"},
      {"1", 0, 0, KAVRO_ERR_INVALID_ARG, "precision > 0"},
      {"1", 2, 3, KAVRO_ERR_INVALID_ARG, "scale <= precision"},
  };
  for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
    unsigned char *bytes = (unsigned char *)"unchanged";
    size_t n = 9;
    kavro_error_t err;
    ck_assert_int_eq(kavro_decimal_parse(refusals[i].text,
                                         strlen(refusals[i].text),
                                         refusals[i].precision,
                                         refusals[i].scale, &bytes, &n, &err),
                     refusals[i].code);
    ck_assert_msg(strstr(err.text, refusals[i].says), "%s: %s",
                  refusals[i].text, err.text);
    ck_assert_ptr_null(bytes);
    ck_assert_uint_eq(n, 0);
  }
}
END_TEST

START_TEST(test_decimal_fixed) {
  unsigned char out[4];
  /* -15 sign-extended to 4 bytes */
  ck_assert_int_eq(kavro_decimal_parse_fixed("-1.5", 4, 5, 1, out, 4, NULL),
                   KAVRO_OK);
  ck_assert_mem_eq(out, "\xff\xff\xff\xf1", 4);
  ck_assert_int_eq(kavro_decimal_parse_fixed("1.5", 3, 5, 1, out, 4, NULL),
                   KAVRO_OK);
  ck_assert_mem_eq(out, "\x00\x00\x00\x0f", 4);
  /* one byte holds -128..127 */
  ck_assert_int_eq(kavro_decimal_parse_fixed("127", 3, 3, 0, out, 1, NULL),
                   KAVRO_OK);
  ck_assert_uint_eq(out[0], 0x7f);
  ck_assert_int_eq(kavro_decimal_parse_fixed("-128", 4, 3, 0, out, 1, NULL),
                   KAVRO_OK);
  ck_assert_uint_eq(out[0], 0x80);
  kavro_error_t err;
  ck_assert_int_eq(kavro_decimal_parse_fixed("128", 3, 3, 0, out, 1, &err),
                   KAVRO_ERR_ENCODE);
  ck_assert_ptr_nonnull(strstr(err.text, "needs 2 bytes, its fixed has 1"));
  ck_assert_int_eq(kavro_decimal_parse_fixed("-129", 4, 3, 0, out, 1, &err),
                   KAVRO_ERR_ENCODE);
  ck_assert_int_eq(kavro_decimal_parse_fixed("1", 1, 1, 0, out, 0, &err),
                   KAVRO_ERR_INVALID_ARG);
  /* the fixed's bytes read back through the same formatter */
  char *text = NULL;
  ck_assert_int_eq(kavro_decimal_parse_fixed("-0.01", 5, 5, 2, out, 4, NULL),
                   KAVRO_OK);
  ck_assert_int_eq(kavro_decimal_format(out, 4, 2, &text, NULL), KAVRO_OK);
  ck_assert_str_eq(text, "-0.01");
  free(text);
}
END_TEST

/* big-decimal: Java writes encoder.writeBytes(unscaled.toByteArray()) then
 * encoder.writeInt(scale), both zig-zag varints (Conversions.java). */
START_TEST(test_big_decimal) {
  static const struct {
    const char *text;
    unsigned char bytes[8];
    size_t length;
  } vectors[] = {
      /* 150 = 0x96 needs a sign byte: length 2 (zig-zag 4), scale 2 (4) */
      {"1.50", {0x04, 0x00, 0x96, 0x04}, 4},
      /* -7 = 0xf9, length 1 (2), scale 0 (0) */
      {"-7", {0x02, 0xf9, 0x00}, 3},
      /* zero is one byte, as BigInteger.ZERO.toByteArray() */
      {"0", {0x02, 0x00, 0x00}, 3},
      /* -0.0001: -1 = 0xff, scale 4 (8) */
      {"-0.0001", {0x02, 0xff, 0x08}, 3},
      /* 32767 = 0x7fff, scale 70 (zig-zag 140 = 0x8c 0x01) */
      {"0.0000000000000000000000000000000000000000000000000000000000000000032767",
       {0x04, 0x7f, 0xff, 0x8c, 0x01}, 5},
  };
  for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
    unsigned char *data = NULL;
    size_t n = 0;
    ck_assert_int_eq(kavro_big_decimal_parse(vectors[i].text,
                                             strlen(vectors[i].text), &data,
                                             &n, NULL),
                     KAVRO_OK);
    ck_assert_uint_eq(n, vectors[i].length);
    ck_assert_mem_eq(data, vectors[i].bytes, n);
    char *text = NULL;
    ck_assert_int_eq(kavro_big_decimal_format(data, n, &text, NULL), KAVRO_OK);
    ck_assert_str_eq(text, vectors[i].text);
    free(text);
    free(data);
  }
  /* a negative scale (Java's 1.2E+3: 12, scale -2, zig-zag 3) */
  char *text = NULL;
  ck_assert_int_eq(kavro_big_decimal_format((const unsigned char *)"\x02\x0c\x03",
                                            3, &text, NULL),
                   KAVRO_OK);
  ck_assert_str_eq(text, "1200");
  free(text);
  /* bytes that are not one big-decimal */
  static const struct {
    const char *bytes;
    size_t length;
  } bad[] = {{"", 0},
             {"\x04\x00", 2},             /* cut short */
             {"\x02\x00", 2},             /* no scale */
             {"\x02\x00\x00\x00", 4},     /* a byte after the scale */
             {"\x01\x00\x00", 3},         /* negative length */
             {"\x02\x00\xff\xff\xff\xff\x7f", 7}, /* scale over int */
             {"\x02\x00\x80\x80\x80\x80\x80\x01", 8}}; /* varint too long */
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    kavro_error_t err;
    text = (char *)"unchanged";
    ck_assert_msg(kavro_big_decimal_format((const unsigned char *)bad[i].bytes,
                                           bad[i].length, &text, &err) ==
                      KAVRO_ERR_DECODE,
                  "case %zu", i);
    ck_assert_ptr_null(text);
  }
  unsigned char *data = NULL;
  size_t n = 0;
  ck_assert_int_eq(kavro_big_decimal_parse("1e3", 3, &data, &n, NULL),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_ptr_null(data);
}
END_TEST

/* ---- uuid and duration --------------------------------------------------------- */

START_TEST(test_uuid) {
  static const unsigned char bytes[16] = {0x12, 0x3e, 0x45, 0x67, 0xe8, 0x9b,
                                          0x12, 0xd3, 0xa4, 0x56, 0x42, 0x66,
                                          0x14, 0x17, 0x40, 0x00};
  char text[KAVRO_UUID_TEXT_SIZE];
  kavro_uuid_format(bytes, text);
  ck_assert_str_eq(text, "123e4567-e89b-12d3-a456-426614174000");
  unsigned char back[16];
  ck_assert_int_eq(kavro_uuid_parse(text, 36, back, NULL), KAVRO_OK);
  ck_assert_mem_eq(back, bytes, 16);
  ck_assert_int_eq(kavro_uuid_parse("123E4567-E89B-12D3-A456-426614174000", 36,
                                    back, NULL),
                   KAVRO_OK);
  ck_assert_mem_eq(back, bytes, 16);
  static const char *const bad[] = {
      "123e4567-e89b-12d3-a456-42661417400",   /* short */
      "123e4567-e89b-12d3-a456-4266141740000", /* long */
      "123e4567e89b12d3a456426614174000",      /* no dashes */
      "123e4567-e89b-12d3-a456-42661417400g",  /* not hex */
      "123e4567-e89b-12d3-a456_426614174000",  /* not a dash */
      "{23e4567-e89b-12d3-a456-42661417400}",
      ""};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    kavro_error_t err;
    ck_assert_int_eq(kavro_uuid_parse(bad[i], strlen(bad[i]), back, &err),
                     KAVRO_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(err.text, "is not a uuid"));
  }
  /* a NUL inside the 36 bytes is not hex */
  ck_assert_int_eq(kavro_uuid_parse("123e4567-e89b-12d3-a456-42661417\0" "000",
                                    36, back, NULL),
                   KAVRO_ERR_INVALID_ARG);
}
END_TEST

START_TEST(test_duration) {
  kavro_duration_t d = {1, 2, 3}, back;
  unsigned char out[KAVRO_DURATION_SIZE];
  kavro_duration_encode(&d, out);
  ck_assert_mem_eq(out, "\x01\x00\x00\x00\x02\x00\x00\x00\x03\x00\x00\x00", 12);
  kavro_duration_t big = {0xffffffffu, 0x01020304u, 86400000u};
  kavro_duration_encode(&big, out);
  ck_assert_mem_eq(out, "\xff\xff\xff\xff\x04\x03\x02\x01\x00\x5c\x26\x05", 12);
  kavro_duration_decode(out, &back);
  ck_assert_uint_eq(back.months, 0xffffffffu);
  ck_assert_uint_eq(back.days, 0x01020304u);
  ck_assert_uint_eq(back.millis, 86400000u);
}
END_TEST

/* NULL where an argument is needed: a clear error, never a crash. */
START_TEST(test_null_arguments) {
  kavro_error_t err;
  int64_t v;
  int32_t d;
  char *text = NULL;
  unsigned char *bytes = NULL, out[16];
  size_t n;
  struct timespec ts = {0, 0};
  ck_assert_int_eq(kavro_timestamp_parse(NULL, 0, KAVRO_TIME_MILLIS, &v, &err),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_int_eq(kavro_timestamp_parse("x", 1, KAVRO_TIME_MILLIS, NULL, &err),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_int_eq(kavro_timestamp_format(0, KAVRO_TIME_MILLIS, NULL, 40, &err),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_int_eq(kavro_timestamp_to_timespec(0, KAVRO_TIME_MILLIS, NULL, &err),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_int_eq(kavro_timestamp_from_timespec(&ts, (kavro_time_unit_t)-1, &v,
                                                 &err),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_int_eq(kavro_time_parse(NULL, 0, KAVRO_TIME_MILLIS, &v, &err),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_int_eq(kavro_date_parse("1970-01-01", 10, NULL, &err),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_int_eq(kavro_decimal_format(NULL, 1, 0, &text, &err),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_int_eq(kavro_decimal_parse(NULL, 0, 5, 2, &bytes, &n, &err),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_int_eq(kavro_decimal_parse_fixed(NULL, 0, 5, 2, out, 4, &err),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_int_eq(kavro_big_decimal_parse(NULL, 0, &bytes, &n, &err),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_int_eq(kavro_big_decimal_format(NULL, 3, &text, &err),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_int_eq(kavro_uuid_parse(NULL, 36, out, &err), KAVRO_ERR_INVALID_ARG);
  /* and without a kavro_error_t */
  ck_assert_int_eq(kavro_date_parse("x", 1, &d, NULL), KAVRO_ERR_INVALID_ARG);
}
END_TEST

static Suite *logical_suite(void) {
  Suite *s = suite_create("logical");
  TCase *tc = tcase_create("time");
  tcase_add_loop_test(tc, test_timestamp_vectors, 0,
                      sizeof(ts_vectors) / sizeof(ts_vectors[0]));
  tcase_add_test(tc, test_timestamp_offsets);
  tcase_add_test(tc, test_timestamp_length_counts);
  tcase_add_loop_test(tc, test_timestamp_refusals, 0,
                      sizeof(ts_refusals) / sizeof(ts_refusals[0]));
  tcase_add_test(tc, test_local_timestamp_refuses_zones);
  tcase_add_test(tc, test_timestamp_format_refusals);
  tcase_add_test(tc, test_timespec);
  tcase_add_test(tc, test_dates);
  tcase_add_test(tc, test_times);
  suite_add_tcase(s, tc);
  tc = tcase_create("decimal");
  tcase_add_loop_test(tc, test_decimal_vectors, 0,
                      sizeof(dec_vectors) / sizeof(dec_vectors[0]));
  tcase_add_test(tc, test_decimal_format);
  tcase_add_test(tc, test_decimal_refusals);
  tcase_add_test(tc, test_decimal_fixed);
  tcase_add_test(tc, test_big_decimal);
  suite_add_tcase(s, tc);
  tc = tcase_create("uuid_duration");
  tcase_add_test(tc, test_uuid);
  tcase_add_test(tc, test_duration);
  tcase_add_test(tc, test_null_arguments);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(logical_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
