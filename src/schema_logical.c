/*
 * kavro - logical types as C values (kavro/logical.h).
 *
 * Calendar arithmetic is the proleptic Gregorian days-from-civil algorithm
 * (Howard Hinnant's, exact for every int64 day count used here) rather
 * than timegm()/gmtime_r(): no locale, no TZ, no C library differences,
 * and years before 1970 or 1900 work alike.  Decimals use OpenSSL's BIGNUM
 * (libcrypto is linked already) for any precision; OpenSSL 3.0 has no
 * signed binary conversions, so two's complement is done here.
 */
#include <ctype.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>

#include "config.h"
#include "kavro/logical.h"
#include "common_error_int.h"
#include "common_text_int.h"

/* Return what @expr returns unless it is KAVRO_OK (codec.h has one, out of
 * this part's reach). */
#define TRY(expr)                                                              \
  do {                                                                         \
    kavro_err_t try_err_ = (expr);                                             \
    if (try_err_ != KAVRO_OK)                                                  \
      return try_err_;                                                         \
  } while (0)

#define SECONDS_PER_DAY INT64_C(86400)
#define NANOS_PER_SECOND INT64_C(1000000000)

/* ---- units and the calendar -------------------------------------------- */

/* Ticks of @unit in a second (0 for an unknown unit) and digits of its
 * fraction. */
static int64_t per_second(kavro_time_unit_t unit) {
  switch (unit) {
  case KAVRO_TIME_MILLIS: return INT64_C(1000);
  case KAVRO_TIME_MICROS: return INT64_C(1000000);
  case KAVRO_TIME_NANOS: return NANOS_PER_SECOND;
  }
  return 0;
}

static int fraction_digits(kavro_time_unit_t unit) {
  return unit == KAVRO_TIME_MILLIS ? 3 : unit == KAVRO_TIME_MICROS ? 6 : 9;
}

static const char *unit_name(kavro_time_unit_t unit) {
  return unit == KAVRO_TIME_MILLIS   ? "milliseconds"
         : unit == KAVRO_TIME_MICROS ? "microseconds"
                                     : "nanoseconds";
}

/* Division rounded towards negative infinity (C rounds towards zero). */
static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* The remainder of floor_div(): 0 <= result < @b for @b > 0.  Computed
 * from C's remainder, not as a - floor_div(a, b) * b, which overflows
 * near INT64_MIN. */
static int64_t floor_mod(int64_t a, int64_t b) {
  int64_t r = a % b;
  return r < 0 ? r + b : r;
}

/* Days since 1970-01-01 of year @y, month @m (1-12), day @d. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

/* The inverse of days_from_civil(). */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned doe = (unsigned)(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static unsigned days_in_month(int64_t y, unsigned m) {
  static const unsigned days[] = {31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
  bool leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
  return m == 2 && leap ? 29 : days[m - 1];
}

/* A buffer of @size bytes for a text of @need (NUL included); a short one
 * is left holding "" so that no caller prints a stale text. */
static kavro_err_t check_out(char *buf, size_t size, size_t need,
                             kavro_error_t *error) {
  if (!buf)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "no output buffer");
  if (size > 0)
    buf[0] = '\0';
  if (size < need)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "the buffer has %zu bytes, the text needs %zu", size,
                        need);
  return KAVRO_OK;
}

/* ---- text in ----------------------------------------------------------- */

typedef struct scan_s {
  const char *p, *end;
} scan_t;

/* Exactly @n decimal digits. */
static bool scan_digits(scan_t *s, int n, unsigned *out) {
  unsigned v = 0;
  for (int i = 0; i < n; i++, s->p++) {
    if (s->p >= s->end || !isdigit((unsigned char)*s->p))
      return false;
    v = v * 10 + (unsigned)(*s->p - '0');
  }
  *out = v;
  return true;
}

/* The character @c, or its lowercase form when @fold. */
static bool scan_char(scan_t *s, char c, bool fold) {
  if (s->p < s->end && (*s->p == c || (fold && *s->p == (char)tolower(c)))) {
    s->p++;
    return true;
  }
  return false;
}

/* "YYYY-MM-DD" of a real day: its day count. */
static bool scan_date(scan_t *s, int64_t *days, const char **why) {
  unsigned y, m, d;
  if (!scan_digits(s, 4, &y) || !scan_char(s, '-', false) ||
      !scan_digits(s, 2, &m) || !scan_char(s, '-', false) ||
      !scan_digits(s, 2, &d)) {
    *why = "expected a date YYYY-MM-DD";
    return false;
  }
  if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m)) {
    *why = "no such day";
    return false;
  }
  *days = days_from_civil(y, m, d);
  return true;
}

/* "HH:MM:SS[.f{1,9}]": seconds after midnight and nanoseconds. */
static bool scan_time(scan_t *s, int64_t *seconds, int64_t *nanos,
                      const char **why) {
  unsigned h, mi, sec;
  if (!scan_digits(s, 2, &h) || !scan_char(s, ':', false) ||
      !scan_digits(s, 2, &mi) || !scan_char(s, ':', false) ||
      !scan_digits(s, 2, &sec)) {
    *why = "expected a time HH:MM:SS";
    return false;
  }
  if (h > 23 || mi > 59 || sec > 59) {
    *why = sec == 60 ? "a leap second (:60) has no Avro value"
                     : "no such time of day";
    return false;
  }
  *nanos = 0;
  if (scan_char(s, '.', false)) {
    int n = 0;
    for (; s->p < s->end && isdigit((unsigned char)*s->p); s->p++, n++)
      if (n < 9)
        *nanos = *nanos * 10 + (*s->p - '0');
    if (n == 0 || n > 9) {
      *why = n ? "more than 9 fraction digits" : "no digits after '.'";
      return false;
    }
    for (; n < 9; n++)
      *nanos *= 10;
  }
  *seconds = (int64_t)h * 3600 + mi * 60 + sec;
  return true;
}

/* "Z" or "±hh:mm": the offset from UTC in seconds. */
static bool scan_offset(scan_t *s, int64_t *offset, const char **why) {
  *offset = 0;
  if (scan_char(s, 'Z', true))
    return true;
  int sign = scan_char(s, '+', false) ? 1 : scan_char(s, '-', false) ? -1 : 0;
  unsigned h, m;
  if (!sign || !scan_digits(s, 2, &h) || !scan_char(s, ':', false) ||
      !scan_digits(s, 2, &m)) {
    *why = "expected \"Z\" or an offset +hh:mm / -hh:mm";
    return false;
  }
  if (h > 23 || m > 59) {
    *why = "no such offset";
    return false;
  }
  *offset = sign * ((int64_t)h * 3600 + m * 60);
  return true;
}

/* Seconds and nanoseconds (0..1e9) as a count of @unit, exactly. */
static kavro_err_t to_units(int64_t seconds, int64_t nanos,
                            kavro_time_unit_t unit, int64_t *out,
                            kavro_error_t *error) {
  int64_t per = per_second(unit), tick = NANOS_PER_SECOND / per, v;
  if (nanos % tick)
    return kv_error_set(error, KAVRO_ERR_ENCODE,
                        "the fraction .%09" PRId64 " is finer than %s", nanos,
                        unit_name(unit));
  int64_t ticks = nanos / tick;
  if (seconds < 0 && ticks > 0) { /* reach INT64_MIN from above */
    seconds++;
    ticks -= per;
  }
  if (__builtin_mul_overflow(seconds, per, &v) ||
      __builtin_add_overflow(v, ticks, &v))
    return kv_error_set(error, KAVRO_ERR_ENCODE,
                        "the time is beyond what a long of %s holds",
                        unit_name(unit));
  *out = v;
  return KAVRO_OK;
}

static kavro_err_t text_fails(kavro_error_t *error, const char *what,
                              const char *text, size_t length,
                              const char *why) {
  int shown = length > 64 ? 64 : (int)length;
  return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "\"%.*s%s\" is not %s: %s",
                      shown, text, length > 64 ? "..." : "", what, why);
}

static kavro_err_t parse_timestamp(const char *text, size_t length,
                                   kavro_time_unit_t unit, bool local,
                                   int64_t *out, kavro_error_t *error) {
  if (!text || !out || !per_second(unit))
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "a timestamp needs a text, an output and a unit");
  const char *what = local ? "a local timestamp" : "an RFC 3339 timestamp";
  scan_t s = {text, text + length};
  const char *why = NULL;
  int64_t days, seconds, nanos, offset = 0;
  if (!scan_date(&s, &days, &why))
    return text_fails(error, what, text, length, why);
  if (!scan_char(&s, 'T', true))
    return text_fails(error, what, text, length, "expected 'T' after the date");
  if (!scan_time(&s, &seconds, &nanos, &why))
    return text_fails(error, what, text, length, why);
  if (local && s.p < s.end)
    return text_fails(error, what, text, length,
                      "a local timestamp has no time zone or offset");
  if (!local && !scan_offset(&s, &offset, &why))
    return text_fails(error, what, text, length, why);
  if (s.p != s.end)
    return text_fails(error, what, text, length, "text after the end");
  return to_units(days * SECONDS_PER_DAY + seconds - offset, nanos, unit, out,
                  error);
}

/* ---- text out ---------------------------------------------------------- */

/* Write @seconds after midnight and @ticks of @unit as HH:MM:SS.fff. */
static int put_time(char *buf, size_t size, int64_t seconds, int64_t ticks,
                    kavro_time_unit_t unit) {
  return snprintf(buf, size, "%02d:%02d:%02d.%0*" PRId64,
                  (int)(seconds / 3600), (int)(seconds / 60 % 60),
                  (int)(seconds % 60), fraction_digits(unit), ticks);
}

static kavro_err_t put_date(char *buf, size_t size, int64_t days,
                            kavro_error_t *error) {
  int64_t y;
  unsigned m, d;
  civil_from_days(days, &y, &m, &d);
  if (y < 0 || y > 9999)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "year %" PRId64 " is outside 0000-9999, which RFC "
                        "3339 cannot write", y);
  snprintf(buf, size, "%04d-%02u-%02u", (int)y, m, d);
  return KAVRO_OK;
}

static kavro_err_t format_timestamp(int64_t value, kavro_time_unit_t unit,
                                    bool local, char *buf, size_t size,
                                    kavro_error_t *error) {
  if (!per_second(unit))
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "unknown time unit");
  size_t need = 21 + (size_t)fraction_digits(unit) + !local;
  TRY(check_out(buf, size, need, error));
  int64_t per = per_second(unit);
  int64_t seconds = floor_div(value, per), ticks = floor_mod(value, per);
  int64_t days = floor_div(seconds, SECONDS_PER_DAY);
  TRY(put_date(buf, size, days, error));
  buf[10] = 'T';
  put_time(buf + 11, size - 11, seconds - days * SECONDS_PER_DAY, ticks, unit);
  if (!local)
    strcpy(buf + need - 2, "Z");
  return KAVRO_OK;
}

/* ---- timestamps -------------------------------------------------------- */

kavro_err_t kavro_timestamp_to_timespec(int64_t value, kavro_time_unit_t unit,
                                        struct timespec *out,
                                        kavro_error_t *error) {
  int64_t per = per_second(unit);
  if (!per || !out)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "a timestamp needs an output and a unit");
  int64_t seconds = floor_div(value, per);
  if ((int64_t)(time_t)seconds != seconds)
    return kv_error_set(error, KAVRO_ERR_ENCODE,
                        "%" PRId64 " seconds do not fit in time_t", seconds);
  out->tv_sec = (time_t)seconds;
  out->tv_nsec = (long)(floor_mod(value, per) * (NANOS_PER_SECOND / per));
  return KAVRO_OK;
}

kavro_err_t kavro_timestamp_from_timespec(const struct timespec *ts,
                                          kavro_time_unit_t unit,
                                          int64_t *out, kavro_error_t *error) {
  int64_t per = per_second(unit);
  if (!per || !ts || !out)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "a timestamp needs a timespec, an output and a unit");
  if (ts->tv_nsec < 0 || ts->tv_nsec >= NANOS_PER_SECOND)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "tv_nsec %ld is outside 0..999999999",
                        (long)ts->tv_nsec);
  int64_t tick = NANOS_PER_SECOND / per;
  return to_units((int64_t)ts->tv_sec, ts->tv_nsec - ts->tv_nsec % tick, unit,
                  out, error);
}

kavro_err_t kavro_timestamp_format(int64_t value, kavro_time_unit_t unit,
                                   char *buf, size_t size,
                                   kavro_error_t *error) {
  return format_timestamp(value, unit, false, buf, size, error);
}

kavro_err_t kavro_local_timestamp_format(int64_t value, kavro_time_unit_t unit,
                                         char *buf, size_t size,
                                         kavro_error_t *error) {
  return format_timestamp(value, unit, true, buf, size, error);
}

kavro_err_t kavro_timestamp_parse(const char *text, size_t length,
                                  kavro_time_unit_t unit, int64_t *out,
                                  kavro_error_t *error) {
  return parse_timestamp(text, length, unit, false, out, error);
}

kavro_err_t kavro_local_timestamp_parse(const char *text, size_t length,
                                        kavro_time_unit_t unit, int64_t *out,
                                        kavro_error_t *error) {
  return parse_timestamp(text, length, unit, true, out, error);
}

/* ---- times of day and dates --------------------------------------------- */

kavro_err_t kavro_time_format(int64_t value, kavro_time_unit_t unit, char *buf,
                              size_t size, kavro_error_t *error) {
  int64_t per = per_second(unit);
  if (!per)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "unknown time unit");
  TRY(check_out(buf, size, 10 + (size_t)fraction_digits(unit), error));
  if (value < 0 || value >= SECONDS_PER_DAY * per)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "%" PRId64 " %s is not a time of day (0 to one day)",
                        value, unit_name(unit));
  put_time(buf, size, value / per, value % per, unit);
  return KAVRO_OK;
}

kavro_err_t kavro_time_parse(const char *text, size_t length,
                             kavro_time_unit_t unit, int64_t *out,
                             kavro_error_t *error) {
  if (!text || !out || !per_second(unit))
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "a time needs a text, an output and a unit");
  scan_t s = {text, text + length};
  const char *why = NULL;
  int64_t seconds, nanos;
  if (!scan_time(&s, &seconds, &nanos, &why))
    return text_fails(error, "a time of day", text, length, why);
  if (s.p != s.end)
    return text_fails(error, "a time of day", text, length,
                      "text after the end");
  return to_units(seconds, nanos, unit, out, error);
}

kavro_err_t kavro_date_format(int32_t days, char *buf, size_t size,
                              kavro_error_t *error) {
  TRY(check_out(buf, size, KAVRO_DATE_TEXT_SIZE, error));
  return put_date(buf, size, days, error);
}

kavro_err_t kavro_date_parse(const char *text, size_t length, int32_t *days,
                             kavro_error_t *error) {
  if (!text || !days)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "a date needs a text and an output");
  scan_t s = {text, text + length};
  const char *why = NULL;
  int64_t d;
  if (!scan_date(&s, &d, &why))
    return text_fails(error, "a date", text, length, why);
  if (s.p != s.end)
    return text_fails(error, "a date", text, length, "text after the end");
  *days = (int32_t)d; /* years 0000-9999 are well inside int32 days */
  return KAVRO_OK;
}

/* ---- decimals ---------------------------------------------------------- */

static kavro_err_t no_memory(kavro_error_t *error) {
  return kv_error_set(error, KAVRO_ERR_NOMEM, "out of memory");
}

/* Big-endian two's complement @data into a new BIGNUM (0 bytes read as 0):
 * the unsigned reading less 2^(8 length) when the sign bit is set. */
static BIGNUM *bn_from_twos(const unsigned char *data, size_t length) {
  if (length > INT_MAX / 8)
    return NULL;
  BIGNUM *bn = BN_bin2bn(data, (int)length, NULL);
  if (!bn || length == 0 || !(data[0] & 0x80))
    return bn;
  BIGNUM *wrap = BN_new();
  if (!wrap || !BN_set_bit(wrap, (int)length * 8) || !BN_sub(bn, bn, wrap)) {
    BN_free(bn);
    bn = NULL;
  }
  BN_free(wrap);
  return bn;
}

/* Fewest bytes of two's complement that hold @bn (1 for 0, as Java's
 * BigInteger.toByteArray()). */
static size_t twos_length(const BIGNUM *bn, BIGNUM *scratch) {
  if (!BN_is_negative(bn))
    return (size_t)BN_num_bits(bn) / 8 + 1;
  /* -m fits L bytes when m - 1 fits in 8L - 1 bits */
  BN_copy(scratch, bn);
  BN_set_negative(scratch, 0);
  BN_sub_word(scratch, 1);
  return (size_t)BN_num_bits(scratch) / 8 + 1;
}

/* Write @bn into @out as @size bytes of two's complement (sign-extended);
 * @size is at least twos_length(bn). */
static bool bn_to_twos(const BIGNUM *bn, unsigned char *out, size_t size) {
  if (!BN_is_negative(bn))
    return BN_bn2binpad(bn, out, (int)size) == (int)size;
  BIGNUM *t = BN_new();
  bool ok = t && BN_set_bit(t, (int)size * 8) && BN_add(t, t, bn) &&
            BN_bn2binpad(t, out, (int)size) == (int)size;
  BN_free(t);
  return ok;
}

/* @digits (a NUL-terminated run of decimal digits, no sign, no leading
 * zero) with @scale as text; @negative prefixes '-'. */
static kavro_err_t place_point(const char *digits, bool negative,
                               int64_t scale, char **text,
                               kavro_error_t *error) {
  size_t n = strlen(digits);
  bool zero = strcmp(digits, "0") == 0;
  /* zeros after the digits (negative scale), or before them ("0.00ddd") */
  uint64_t after = scale < 0 && !zero ? (uint64_t)-scale : 0;
  uint64_t before = scale > 0 && (uint64_t)scale >= n ? (uint64_t)scale - n : 0;
  if (after + before + n + 4 > KAVRO_DECIMAL_TEXT_MAX)
    return kv_error_set(error, KAVRO_ERR_LIMIT,
                        "the decimal's text would pass %zu bytes (scale "
                        "%" PRId64 ")", KAVRO_DECIMAL_TEXT_MAX, scale);
  char *out = malloc(n + (size_t)(after + before) + 4), *p = out;
  if (!out)
    return no_memory(error);
  if (negative && !zero)
    *p++ = '-';
  if (scale <= 0) {
    memcpy(p, digits, n);
    memset(p + n, '0', (size_t)after);
    p += n + after;
  } else if (before || (uint64_t)scale == n) {
    memcpy(p, "0.", 2);
    memset(p + 2, '0', (size_t)before);
    memcpy(p + 2 + before, digits, n);
    p += 2 + before + n;
  } else {
    size_t whole = n - (size_t)scale;
    memcpy(p, digits, whole);
    p[whole] = '.';
    memcpy(p + whole + 1, digits + whole, (size_t)scale);
    p += n + 1;
  }
  *p = '\0';
  *text = out;
  return KAVRO_OK;
}

kavro_err_t kavro_decimal_format(const unsigned char *unscaled, size_t length,
                                 int32_t scale, char **text,
                                 kavro_error_t *error) {
  if (!text || (!unscaled && length))
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "a decimal needs its bytes and an output");
  *text = NULL;
  if (length > KAVRO_DECIMAL_TEXT_MAX / 3)
    return kv_error_set(error, KAVRO_ERR_LIMIT,
                        "a decimal of %zu bytes passes the text bound", length);
  BIGNUM *bn = bn_from_twos(unscaled, length);
  if (!bn)
    return no_memory(error);
  bool negative = BN_is_negative(bn);
  BN_set_negative(bn, 0);
  char *digits = BN_bn2dec(bn);
  BN_free(bn);
  if (!digits)
    return no_memory(error);
  kavro_err_t err = place_point(digits, negative, scale, text, error);
  OPENSSL_free(digits);
  return err;
}

/* A decimal text read: its sign and digits, the point removed, as the
 * integer at a scale (fraction digits beyond it must be zeros, missing ones
 * are zeros). */
typedef struct decimal_text_s {
  bool negative;
  char *digits;   /* NUL-terminated, no leading zeros ("0" for zero) */
  int64_t scale;
} decimal_text_t;

/* Read @text into @d at @scale; a negative @scale keeps the scale as
 * written ("1.50": 150, scale 2). */
static kavro_err_t read_decimal(const char *text, size_t length, int64_t scale,
                                decimal_text_t *d, kavro_error_t *error) {
  const char *p = text, *end = text + length;
  d->negative = false;
  d->digits = NULL;
  if (p < end && (*p == '-' || *p == '+'))
    d->negative = *p++ == '-';
  const char *int_start = p;
  while (p < end && isdigit((unsigned char)*p))
    p++;
  size_t int_n = (size_t)(p - int_start), frac_n = 0;
  const char *frac_start = p;
  if (p < end && *p == '.') {
    frac_start = ++p;
    while (p < end && isdigit((unsigned char)*p))
      p++;
    frac_n = (size_t)(p - frac_start);
  }
  if (p != end || int_n + frac_n == 0)
    return text_fails(error, "a decimal", text, length,
                      "expected digits with an optional sign and '.'");
  if (scale < 0)
    scale = (int64_t)frac_n;
  if (scale > INT32_MAX)
    return text_fails(error, "a decimal", text, length, "too many digits");
  size_t keep = frac_n < (size_t)scale ? frac_n : (size_t)scale;
  for (size_t i = keep; i < frac_n; i++)
    if (frac_start[i] != '0')
      return kv_error_set(error, KAVRO_ERR_ENCODE,
                          "the decimal has %zu fraction digits, its scale "
                          "is %" PRId64, frac_n, scale);
  while (int_n > 0 && *int_start == '0') /* leading zeros say nothing */
    int_start++, int_n--;
  size_t pad = (size_t)scale - keep, n = int_n + keep + pad;
  if (n > KAVRO_DECIMAL_TEXT_MAX)
    return kv_error_set(error, KAVRO_ERR_LIMIT,
                        "the decimal would have %zu digits", n);
  char *digits = malloc(n + 2);
  if (!digits)
    return no_memory(error);
  memcpy(digits, int_start, int_n);
  memcpy(digits + int_n, frac_start, keep);
  memset(digits + int_n + keep, '0', pad);
  digits[n] = '\0';
  size_t skip = strspn(digits, "0");
  if (skip == n) {
    strcpy(digits, "0");
    d->negative = false;
  } else {
    memmove(digits, digits + skip, n - skip + 1);
  }
  d->digits = digits;
  d->scale = scale;
  return KAVRO_OK;
}

/* The unscaled BIGNUM of @d. */
static kavro_err_t decimal_bn(const decimal_text_t *d, BIGNUM **bn,
                              kavro_error_t *error) {
  *bn = NULL;
  if (!BN_dec2bn(bn, d->digits))
    return no_memory(error);
  BN_set_negative(*bn, d->negative);
  return KAVRO_OK;
}

static kavro_err_t check_precision(const decimal_text_t *d, int32_t precision,
                                   kavro_error_t *error) {
  size_t digits = strlen(d->digits);
  if (digits > (size_t)precision)
    return kv_error_set(error, KAVRO_ERR_ENCODE,
                        "the decimal has %zu digits, its precision is %d",
                        digits, (int)precision);
  return KAVRO_OK;
}

/* Read @text at the schema's @precision and @scale into @d and @bn. */
static kavro_err_t read_scaled(const char *text, size_t length,
                               int32_t precision, int32_t scale,
                               decimal_text_t *d, BIGNUM **bn,
                               kavro_error_t *error) {
  *bn = NULL;
  d->digits = NULL;
  if (!text || precision <= 0 || scale < 0 || scale > precision)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "a decimal needs a text, precision > 0 and "
                        "0 <= scale <= precision");
  TRY(read_decimal(text, length, scale, d, error));
  kavro_err_t err = check_precision(d, precision, error);
  if (err == KAVRO_OK)
    err = decimal_bn(d, bn, error);
  return err;
}

/* A new buffer of @bn in its fewest bytes. */
static kavro_err_t bn_to_new_bytes(const BIGNUM *bn, unsigned char **out,
                                   size_t *out_length, size_t prefix,
                                   kavro_error_t *error) {
  BIGNUM *scratch = BN_new();
  if (!scratch)
    return no_memory(error);
  size_t n = twos_length(bn, scratch);
  BN_free(scratch);
  unsigned char *buf = malloc(prefix + n + 10);
  if (!buf || !bn_to_twos(bn, buf + prefix, n)) {
    free(buf);
    return no_memory(error);
  }
  *out = buf;
  *out_length = n;
  return KAVRO_OK;
}

kavro_err_t kavro_decimal_parse(const char *text, size_t length,
                                int32_t precision, int32_t scale,
                                unsigned char **unscaled,
                                size_t *unscaled_length, kavro_error_t *error) {
  if (!unscaled || !unscaled_length)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG, "no output");
  *unscaled = NULL;
  *unscaled_length = 0;
  decimal_text_t d;
  BIGNUM *bn;
  kavro_err_t err = read_scaled(text, length, precision, scale, &d, &bn, error);
  if (err == KAVRO_OK)
    err = bn_to_new_bytes(bn, unscaled, unscaled_length, 0, error);
  BN_free(bn);
  free(d.digits);
  return err;
}

kavro_err_t kavro_decimal_parse_fixed(const char *text, size_t length,
                                      int32_t precision, int32_t scale,
                                      unsigned char *out, size_t size,
                                      kavro_error_t *error) {
  if (!out || size == 0 || size > INT_MAX / 8)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "a decimal on fixed needs its output and size");
  decimal_text_t d;
  BIGNUM *bn;
  kavro_err_t err = read_scaled(text, length, precision, scale, &d, &bn, error);
  BIGNUM *scratch = err == KAVRO_OK ? BN_new() : NULL;
  if (err == KAVRO_OK && !scratch)
    err = no_memory(error);
  if (err == KAVRO_OK && twos_length(bn, scratch) > size)
    err = kv_error_set(error, KAVRO_ERR_ENCODE,
                       "the decimal needs %zu bytes, its fixed has %zu",
                       twos_length(bn, scratch), size);
  if (err == KAVRO_OK && !bn_to_twos(bn, out, size))
    err = no_memory(error);
  BN_free(scratch);
  BN_free(bn);
  free(d.digits);
  return err;
}

/* ---- big-decimal: Avro binary inside the bytes -------------------------
 * The schema part cannot reach codec's primitives; a zig-zag varint is a
 * few lines. */

static bool read_varint(const unsigned char **p, const unsigned char *end,
                        int max_bytes, int64_t *out) {
  uint64_t v = 0;
  for (int i = 0; i < max_bytes && *p < end; i++) {
    unsigned char b = *(*p)++;
    v |= (uint64_t)(b & 0x7f) << (7 * i);
    if (!(b & 0x80)) {
      *out = (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
      return true;
    }
  }
  return false;
}

static size_t write_varint(unsigned char *out, int64_t value) {
  uint64_t v = ((uint64_t)value << 1) ^ (uint64_t)(value >> 63);
  size_t n = 0;
  for (; v >= 0x80; v >>= 7)
    out[n++] = (unsigned char)(v | 0x80);
  out[n++] = (unsigned char)v;
  return n;
}

kavro_err_t kavro_big_decimal_format(const unsigned char *data, size_t length,
                                     char **text, kavro_error_t *error) {
  if (!text || (!data && length))
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "a big-decimal needs its bytes and an output");
  *text = NULL;
  const unsigned char *p = data, *end = data + length;
  int64_t n, scale;
  if (!read_varint(&p, end, 10, &n) || n < 0 || n > end - p)
    return kv_error_set(error, KAVRO_ERR_DECODE,
                        "a big-decimal's unscaled bytes are cut short");
  const unsigned char *unscaled = p;
  p += n;
  if (!read_varint(&p, end, 5, &scale) || scale < INT32_MIN ||
      scale > INT32_MAX)
    return kv_error_set(error, KAVRO_ERR_DECODE,
                        "a big-decimal's scale is missing or not an int");
  if (p != end)
    return kv_error_set(error, KAVRO_ERR_DECODE,
                        "%td bytes after a big-decimal's scale", end - p);
  return kavro_decimal_format(unscaled, (size_t)n, (int32_t)scale, text,
                              error);
}

kavro_err_t kavro_big_decimal_parse(const char *text, size_t length,
                                    unsigned char **data, size_t *data_length,
                                    kavro_error_t *error) {
  if (!text || !data || !data_length)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "a big-decimal needs a text and an output");
  *data = NULL;
  *data_length = 0;
  decimal_text_t d;
  BIGNUM *bn = NULL;
  unsigned char *buf = NULL;
  size_t n = 0;
  kavro_err_t err = read_decimal(text, length, -1, &d, error);
  if (err == KAVRO_OK)
    err = decimal_bn(&d, &bn, error);
  /* room for the length's varint before the bytes (10 at most) */
  if (err == KAVRO_OK)
    err = bn_to_new_bytes(bn, &buf, &n, 10, error);
  if (err == KAVRO_OK) {
    unsigned char head[10];
    size_t h = write_varint(head, (int64_t)n);
    memmove(buf + h, buf + 10, n);
    memcpy(buf, head, h);
    n += h;
    n += write_varint(buf + n, d.scale);
    *data = buf;
    *data_length = n;
  }
  BN_free(bn);
  free(d.digits);
  return err;
}

/* ---- uuid and duration --------------------------------------------------- */

void kavro_uuid_format(const unsigned char uuid[KAVRO_UUID_SIZE],
                       char text[KAVRO_UUID_TEXT_SIZE]) {
  kv_guid_format(uuid, text);
}

kavro_err_t kavro_uuid_parse(const char *text, size_t length,
                             unsigned char uuid[KAVRO_UUID_SIZE],
                             kavro_error_t *error) {
  char copy[KAVRO_UUID_TEXT_SIZE];
  if (!text || !uuid)
    return kv_error_set(error, KAVRO_ERR_INVALID_ARG,
                        "a uuid needs a text and an output");
  if (length == KAVRO_UUID_TEXT_SIZE - 1 && !memchr(text, '\0', length)) {
    memcpy(copy, text, length);
    copy[length] = '\0';
    if (kv_guid_parse(copy, uuid))
      return KAVRO_OK;
  }
  return text_fails(error, "a uuid", text, length,
                    "expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx in hex");
}

static void put_le32(unsigned char *out, uint32_t v) {
  for (int i = 0; i < 4; i++)
    out[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get_le32(const unsigned char *in) {
  return (uint32_t)in[0] | (uint32_t)in[1] << 8 | (uint32_t)in[2] << 16 |
         (uint32_t)in[3] << 24;
}

void kavro_duration_encode(const kavro_duration_t *d,
                           unsigned char out[KAVRO_DURATION_SIZE]) {
  put_le32(out, d->months);
  put_le32(out + 4, d->days);
  put_le32(out + 8, d->millis);
}

void kavro_duration_decode(const unsigned char in[KAVRO_DURATION_SIZE],
                           kavro_duration_t *d) {
  d->months = get_le32(in);
  d->days = get_le32(in + 4);
  d->millis = get_le32(in + 8);
}
