/*
 * kavro - logical types as C values: the conversions between the integers
 * and bytes Avro (and kavro's generated structs) carry and the C types and
 * text people use.
 *
 *   date                      int32 days since 1970-01-01   "2026-12-07"
 *   time-millis, time-micros  int32 / int64 after midnight  "06:17:16.123"
 *   timestamp-*  (UTC)        int64 since the epoch         "2026-12-07T06:17:16.123Z"
 *   local-timestamp-*         int64, no time zone           "2026-12-07T06:17:16.123"
 *   decimal (bytes, fixed)    two's-complement big-endian unscaled value
 *   big-decimal (bytes)       unscaled bytes and scale, Java's encoding
 *   uuid (string, fixed 16)   16 bytes                      "xxxxxxxx-xxxx-..."
 *   duration (fixed 12)       kavro_duration_t
 *
 * The text forms are RFC 3339 (timestamps, dates, times) in years 0000 to
 * 9999 of the proleptic Gregorian calendar; nothing here reads the locale,
 * the TZ variable or the C library's time zone data.  Formatting writes the
 * fraction of a second to the unit's precision with its trailing zeros
 * kept (3, 6 or 9 digits), so texts of one unit have one width and sort as
 * their values do.  Parsing accepts up to 9 fraction digits (or none) and
 * refuses a value the unit cannot hold exactly rather than round it.
 *
 * Texts to parse are given as a pointer and a length (a kavro_str_t's
 * data and length; need not be NUL-terminated).
 *
 * Errors: KAVRO_ERR_INVALID_ARG for a NULL pointer, an unknown unit, a
 * buffer too small, a text that is not of the form, or a value outside
 * what the logical type means (a time of day of 24 hours or more, a year
 * outside 0000-9999); KAVRO_ERR_ENCODE for a valid value the Avro type
 * cannot hold (a timestamp beyond int64 in its unit, a fraction finer than
 * the unit, a decimal with more digits than its precision or its scale, or
 * too large for its fixed); KAVRO_ERR_DECODE for Avro bytes that are not a
 * value of the type (a truncated big-decimal); KAVRO_ERR_LIMIT for a
 * decimal text over KAVRO_DECIMAL_TEXT_MAX; KAVRO_ERR_NOMEM.  The
 * kavro_error_t (may be NULL) says which.
 *
 * Thread safety: every function here is pure (it reads its arguments and
 * writes its outputs, nothing else) and may be called from any thread.
 */
#ifndef KAVRO_LOGICAL_H
#define KAVRO_LOGICAL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <kavro/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @name Timestamps and times
 * @{
 */

/** The unit of a timestamp or time value. */
typedef enum kavro_time_unit_e {
  KAVRO_TIME_MILLIS, /**< timestamp-millis, time-millis, ... */
  KAVRO_TIME_MICROS, /**< timestamp-micros, time-micros, ... */
  KAVRO_TIME_NANOS   /**< timestamp-nanos, local-timestamp-nanos (1.12) */
} kavro_time_unit_t;

/** Buffer size for any timestamp text, NUL included
 *  ("9999-12-31T23:59:59.999999999Z"). */
#define KAVRO_TIMESTAMP_TEXT_SIZE 31
/** Buffer size for a date text, NUL included ("9999-12-31"). */
#define KAVRO_DATE_TEXT_SIZE 11
/** Buffer size for any time-of-day text, NUL included
 *  ("23:59:59.999999999"). */
#define KAVRO_TIME_TEXT_SIZE 19

/**
 * The timestamp @p value (in @p unit since 1970-01-01T00:00:00, UTC for a
 * timestamp, the wall clock for a local timestamp) as a struct timespec:
 * tv_sec is rounded towards the past and tv_nsec is in 0..999999999, so
 * -1 ms is {-1, 999000000}, as clock_gettime() would give it.  Fails only
 * with KAVRO_ERR_ENCODE where time_t is narrower than 64 bits and the
 * seconds do not fit, or KAVRO_ERR_INVALID_ARG for NULL or a bad unit.
 */
KAVRO_EXPORT kavro_err_t kavro_timestamp_to_timespec(int64_t value,
                                                     kavro_time_unit_t unit,
                                                     struct timespec *out,
                                                     kavro_error_t *error);

/**
 * The struct timespec @p ts as a timestamp in @p unit, stored in @p *out.
 * Nanoseconds the unit cannot hold are dropped towards the past (a clock's
 * reading becomes the millisecond it falls in).  KAVRO_ERR_INVALID_ARG
 * when tv_nsec is outside 0..999999999; KAVRO_ERR_ENCODE when the value
 * does not fit in int64 (nanoseconds hold 1677-09-21 to 2262-04-11).
 */
KAVRO_EXPORT kavro_err_t kavro_timestamp_from_timespec(const struct timespec *ts,
                                                       kavro_time_unit_t unit,
                                                       int64_t *out,
                                                       kavro_error_t *error);

/**
 * Write the UTC timestamp @p value (timestamp-millis/-micros/-nanos) into
 * @p buf (@p size bytes, KAVRO_TIMESTAMP_TEXT_SIZE is always enough) as
 * RFC 3339 with "Z": "2026-12-07T06:17:16.123Z" for millis,
 * "...16.123000Z" for micros.  KAVRO_ERR_INVALID_ARG when the year is
 * outside 0000-9999 or @p size is too small (then @p buf holds "").
 */
KAVRO_EXPORT kavro_err_t kavro_timestamp_format(int64_t value,
                                                kavro_time_unit_t unit,
                                                char *buf, size_t size,
                                                kavro_error_t *error);

/**
 * Read RFC 3339 @p text (@p length bytes) into the UTC timestamp
 * @p *out in @p unit: "YYYY-MM-DDTHH:MM:SS[.f{1,9}]" followed by "Z" or a
 * "+hh:mm" / "-hh:mm" offset (subtracted to reach UTC); "t" and "z" may be
 * lowercase.  A leap second (":60") is refused: Avro timestamps have none.
 */
KAVRO_EXPORT kavro_err_t kavro_timestamp_parse(const char *text,
                                               size_t length,
                                               kavro_time_unit_t unit,
                                               int64_t *out,
                                               kavro_error_t *error);

/** As kavro_timestamp_format() for a local timestamp
 *  (local-timestamp-*): the same text without a time zone,
 *  "2026-12-07T06:17:16.123". */
KAVRO_EXPORT kavro_err_t kavro_local_timestamp_format(int64_t value,
                                                      kavro_time_unit_t unit,
                                                      char *buf, size_t size,
                                                      kavro_error_t *error);

/** As kavro_timestamp_parse() for a local timestamp: the text has no
 *  "Z" and no offset (one is refused: a local timestamp names no zone). */
KAVRO_EXPORT kavro_err_t kavro_local_timestamp_parse(const char *text,
                                                     size_t length,
                                                     kavro_time_unit_t unit,
                                                     int64_t *out,
                                                     kavro_error_t *error);

/**
 * Write the time of day @p value (time-millis with KAVRO_TIME_MILLIS, an
 * int32; time-micros with KAVRO_TIME_MICROS) into @p buf as "HH:MM:SS.fff"
 * (6 digits for micros, 9 for nanos).  KAVRO_ERR_INVALID_ARG unless
 * 0 <= @p value < one day, or when @p size is too small.
 */
KAVRO_EXPORT kavro_err_t kavro_time_format(int64_t value,
                                           kavro_time_unit_t unit, char *buf,
                                           size_t size, kavro_error_t *error);

/** Read "HH:MM:SS[.f{1,9}]" (00:00:00 to 23:59:59.999999999) into
 *  @p *out in @p unit; below one day, so a time-millis value fits its
 *  int32. */
KAVRO_EXPORT kavro_err_t kavro_time_parse(const char *text, size_t length,
                                          kavro_time_unit_t unit,
                                          int64_t *out, kavro_error_t *error);
/** @} */

/**
 * @name Dates
 * @{
 */

/** Write the date @p days (since 1970-01-01) into @p buf as "YYYY-MM-DD".
 *  KAVRO_ERR_INVALID_ARG when the year is outside 0000-9999 or @p size is
 *  too small. */
KAVRO_EXPORT kavro_err_t kavro_date_format(int32_t days, char *buf,
                                           size_t size, kavro_error_t *error);

/** Read "YYYY-MM-DD" (a real day of the proleptic Gregorian calendar) into
 *  @p *days. */
KAVRO_EXPORT kavro_err_t kavro_date_parse(const char *text, size_t length,
                                          int32_t *days, kavro_error_t *error);
/** @} */

/**
 * @name Decimals
 *
 * A decimal is an unscaled integer and a scale: 12.34 is 1234 with scale
 * 2.  Avro's `decimal` keeps the unscaled integer as big-endian two's
 * complement (in bytes, or sign-extended to fill a fixed) and the scale in
 * the schema; `big-decimal` (Avro 1.12) keeps both in the bytes value.
 * Any precision: the arithmetic is OpenSSL's BIGNUM.
 * @{
 */

/** Longest decimal text the format functions write (1 MiB): a bound on
 *  what an untrusted scale can make them allocate. */
#define KAVRO_DECIMAL_TEXT_MAX ((size_t)1 << 20)

/**
 * The decimal of @p length bytes @p unscaled (big-endian two's complement;
 * a decimal's bytes or its fixed, as kavro_decimal_t holds them; 0 bytes
 * read as 0) and @p scale as exact text: "-12.34", "0.05", "7" (scale 0).
 * A negative scale (possible in big-decimal) appends zeros: 12 with scale
 * -2 is "1200".  Stores a new NUL-terminated string in @p *text, which the
 * caller frees with free().
 */
KAVRO_EXPORT kavro_err_t kavro_decimal_format(const unsigned char *unscaled,
                                              size_t length, int32_t scale,
                                              char **text,
                                              kavro_error_t *error);

/**
 * Read decimal @p text ("-12.3", "+0.05", "7"; digits with an optional
 * sign and point, no exponent) for a `decimal` on bytes of @p precision
 * and @p scale: the value at that scale ("12.3" at scale 2 is 1230), in
 * the fewest bytes of two's complement, stored in a new buffer
 * @p *unscaled (caller frees with free()) of @p *unscaled_length bytes
 * (set them as a kavro_decimal_t's unscaled and length).  Fraction
 * digits beyond @p scale are refused unless they are zeros, as is a value
 * of more than @p precision digits (both KAVRO_ERR_ENCODE).
 */
KAVRO_EXPORT kavro_err_t kavro_decimal_parse(const char *text, size_t length,
                                             int32_t precision, int32_t scale,
                                             unsigned char **unscaled,
                                             size_t *unscaled_length,
                                             kavro_error_t *error);

/**
 * As kavro_decimal_parse() for a `decimal` on a fixed of @p size bytes:
 * the unscaled value sign-extended to fill all of @p out (@p size bytes).
 * KAVRO_ERR_ENCODE when it does not fit.
 */
KAVRO_EXPORT kavro_err_t kavro_decimal_parse_fixed(const char *text,
                                                   size_t length,
                                                   int32_t precision,
                                                   int32_t scale,
                                                   unsigned char *out,
                                                   size_t size,
                                                   kavro_error_t *error);

/**
 * The `big-decimal` value @p data (@p length bytes: the unscaled bytes as
 * Avro writes a bytes value, a zig-zag varint length then big-endian two's
 * complement, followed by the scale as a zig-zag varint int, as Java's
 * Conversions.BigDecimalConversion writes it) as text, as
 * kavro_decimal_format() writes it: a new string in @p *text that the
 * caller frees with free().  KAVRO_ERR_DECODE when @p data is not exactly
 * such a value.
 */
KAVRO_EXPORT kavro_err_t kavro_big_decimal_format(const unsigned char *data,
                                                  size_t length, char **text,
                                                  kavro_error_t *error);

/**
 * Read decimal @p text (as kavro_decimal_parse() reads it) into a
 * `big-decimal` value with the scale as written ("1.50" has scale 2, "7"
 * scale 0) and the unscaled value in the fewest bytes (Java's
 * BigInteger.toByteArray(), so 0 is one byte).  Stores a new buffer in
 * @p *data (caller frees with free()) of @p *data_length bytes.
 */
KAVRO_EXPORT kavro_err_t kavro_big_decimal_parse(const char *text,
                                                 size_t length,
                                                 unsigned char **data,
                                                 size_t *data_length,
                                                 kavro_error_t *error);
/** @} */

/**
 * @name UUIDs and durations
 * @{
 */

/** Bytes of a uuid on fixed. */
#define KAVRO_UUID_SIZE 16
/** Buffer size for a uuid text, NUL included. */
#define KAVRO_UUID_TEXT_SIZE 37

/** Write the 16 bytes @p uuid (a uuid on fixed(16), in text order) into
 *  @p text as "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", lowercase. */
KAVRO_EXPORT void kavro_uuid_format(const unsigned char uuid[KAVRO_UUID_SIZE],
                                    char text[KAVRO_UUID_TEXT_SIZE]);

/** Read the 36-character form (hex digits of either case at the places of
 *  the x's, '-' at the dashes, nothing before or after) into @p uuid. */
KAVRO_EXPORT kavro_err_t kavro_uuid_parse(const char *text, size_t length,
                                          unsigned char uuid[KAVRO_UUID_SIZE],
                                          kavro_error_t *error);

/** Bytes of a duration's fixed. */
#define KAVRO_DURATION_SIZE 12

/** A `duration`: three unsigned counts, independent of each other (a month
 *  is not a number of days). */
typedef struct kavro_duration_s {
  uint32_t months;
  uint32_t days;
  uint32_t millis;
} kavro_duration_t;

/** Write @p d as the fixed(12) of a duration: three little-endian uint32,
 *  months, days, milliseconds. */
KAVRO_EXPORT void kavro_duration_encode(const kavro_duration_t *d,
                                        unsigned char out[KAVRO_DURATION_SIZE]);

/** Read the fixed(12) @p in of a duration into @p d. */
KAVRO_EXPORT void kavro_duration_decode(const unsigned char in[KAVRO_DURATION_SIZE],
                                        kavro_duration_t *d);
/** @} */

#ifdef __cplusplus
}
#endif
#endif /* KAVRO_LOGICAL_H */
