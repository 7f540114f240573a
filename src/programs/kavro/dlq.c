/*
 * kavro dlq - look at a dead-letter topic (inspect) and send its messages
 * back (replay).  This file finds the subcommand and reads what a
 * dead-letter message's headers say; dlq_inspect.c and dlq_replay.c do
 * the rest.
 */
#define _XOPEN_SOURCE 700 /* strptime */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "dlq.h"

static const char usage_head[] =
    "Usage: kavro dlq inspect -b HOSTS -t DLQ_TOPIC [OPTIONS]\n"
    "       kavro dlq replay -b HOSTS -t DLQ_TOPIC [OPTIONS]\n"
    "\n";

/* `kavro dlq --help`: both subcommands' help. */
static int usage(FILE *out, int status) {
  fputs(usage_head, out);
  fputs(dlq_inspect_usage, out);
  fputs("\n", out);
  fputs(dlq_replay_usage, out);
  return out == stdout ? cli_finish_output(status) : status;
}

static int run(int argc, char **argv) {
  if (argc < 2)
    return cli_usage_error("dlq", "a subcommand is needed: inspect or "
                                  "replay");
  const char *word = argv[1];
  if (strcmp(word, "--help") == 0 || strcmp(word, "-h") == 0)
    return usage(stdout, CLI_EXIT_OK);
  /* The subcommand's name becomes its argv[0], as main() does. */
  if (strcmp(word, "inspect") == 0) {
    cli_set_command("dlq inspect");
    return dlq_inspect_run(argc - 1, argv + 1);
  }
  if (strcmp(word, "replay") == 0) {
    cli_set_command("dlq replay");
    return dlq_replay_run(argc - 1, argv + 1);
  }
  return cli_usage_error("dlq", "'%s' is not a dlq subcommand (inspect, "
                                "replay)",
                         word);
}

const cli_command_t cli_dlq = {
    .name = "dlq",
    .summary = "inspect a dead-letter topic, or replay its messages",
    .run = run,
};

/* ---- what a dead-letter message says --------------------------------- */

/* Header @name's last value as text in @buf (@size bytes, cut to fit);
 * false when the message has no such header. */
static bool header_text(rd_kafka_headers_t *headers, const char *name,
                        char *buf, size_t size) {
  const void *value;
  size_t length;
  if (!headers ||
      rd_kafka_header_get_last(headers, name, &value, &length) !=
          RD_KAFKA_RESP_ERR_NO_ERROR)
    return false;
  if (!value)
    length = 0;
  if (length >= size)
    length = size - 1;
  if (length)
    memcpy(buf, value, length);
  buf[length] = '\0';
  return true;
}

/* Header @name as a decimal integer from @min to @max into @*out
 * (left alone otherwise); false when absent or not such a number. */
static bool header_number(rd_kafka_headers_t *headers, const char *name,
                          long long min, long long max, long long *out) {
  char text[32];
  if (!header_text(headers, name, text, sizeof text) || !text[0] ||
      isspace((unsigned char)text[0]))
    return false;
  char *end;
  errno = 0;
  long long n = strtoll(text, &end, 10);
  if (*end || errno || n < min || n > max)
    return false;
  *out = n;
  return true;
}

/* The class and name of an error known only by its code (a forwarder that
 * wrote no class header): the library's own classification. */
static void describe_code(kavro_err_t code, dlq_entry_t *e) {
  kavro_error_t error;
  memset(&error, 0, sizeof error);
  error.code = code;
  snprintf(e->error_class, sizeof e->error_class, "%s",
           kavro_error_class_name(kavro_error_classify(&error)));
  snprintf(e->error_code, sizeof e->error_code, "%s", kavro_err2name(code));
}

/* The DLQ rule action's message: a permanent RULE failure of the topic
 * __rule.topic names; where in that topic is not said. */
static void read_rule(rd_kafka_headers_t *h, dlq_entry_t *e) {
  e->from_rule = true;
  header_text(h, DLQ_RULE_HEADER_TOPIC, e->origin_topic,
              sizeof e->origin_topic);
  snprintf(e->error_class, sizeof e->error_class, "permanent");
  snprintf(e->error_code, sizeof e->error_code, "RULE");
  header_text(h, DLQ_RULE_HEADER_NAME, e->rule, sizeof e->rule);
  /* A rule whose onSuccess says DLQ did not fail: its name is the why. */
  if (!header_text(h, DLQ_RULE_HEADER_EXCEPTION, e->reason, sizeof e->reason))
    snprintf(e->reason, sizeof e->reason, "rule %s", e->rule);
}

static void read_forwarded(rd_kafka_headers_t *h, dlq_entry_t *e) {
  header_text(h, KAVRO_DLQ_HEADER_TOPIC, e->origin_topic,
              sizeof e->origin_topic);
  long long n;
  if (header_number(h, KAVRO_DLQ_HEADER_PARTITION, 0, INT32_MAX, &n))
    e->origin_partition = (int32_t)n;
  if (header_number(h, KAVRO_DLQ_HEADER_OFFSET, 0, INT64_MAX, &n))
    e->origin_offset = n;
  if (header_number(h, KAVRO_DLQ_HEADER_TIMESTAMP, 0, INT64_MAX, &n))
    e->origin_timestamp = n;
  if (header_number(h, KAVRO_DLQ_HEADER_ERROR_CODE, INT32_MIN, INT32_MAX, &n))
    describe_code((kavro_err_t)n, e);
  header_text(h, KAVRO_DLQ_HEADER_ERROR_CLASS, e->error_class,
              sizeof e->error_class);
  header_text(h, KAVRO_DLQ_HEADER_ERROR_NAME, e->error_code,
              sizeof e->error_code);
  header_text(h, KAVRO_DLQ_HEADER_ERROR_MESSAGE, e->reason, sizeof e->reason);
  if (header_number(h, KAVRO_DLQ_HEADER_RETRIES, 0, LONG_MAX, &n))
    e->retries = (long)n;
}

void dlq_entry_read(const rd_kafka_message_t *message, dlq_entry_t *e) {
  memset(e, 0, sizeof *e);
  e->origin_partition = -1;
  e->origin_offset = -1;
  e->origin_timestamp = -1;
  e->retries = -1;
  snprintf(e->error_class, sizeof e->error_class, "unknown");
  snprintf(e->error_code, sizeof e->error_code, "unknown");
  rd_kafka_timestamp_type_t type;
  e->timestamp = rd_kafka_message_timestamp(message, &type);
  if (type == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE)
    e->timestamp = -1;
  rd_kafka_headers_t *h = NULL;
  rd_kafka_message_headers(message, &h);
  const void *value;
  size_t length;
  if (h && rd_kafka_header_get_last(h, DLQ_RULE_HEADER_NAME, &value,
                                    &length) == RD_KAFKA_RESP_ERR_NO_ERROR)
    read_rule(h, e);
  else
    read_forwarded(h, e);
  if (!e->reason[0])
    snprintf(e->reason, sizeof e->reason, "(no reason given)");
}

int64_t dlq_entry_time(const dlq_entry_t *e) {
  return e->origin_timestamp >= 0 ? e->origin_timestamp : e->timestamp;
}

bool dlq_header_is_added(const char *name) {
  return strncmp(name, DLQ_ADDED_PREFIX, strlen(DLQ_ADDED_PREFIX)) == 0 ||
         strncmp(name, DLQ_RULE_PREFIX, strlen(DLQ_RULE_PREFIX)) == 0;
}

/* ---- TIME ------------------------------------------------------------ */

/* The fraction of a second after ".", as milliseconds (digits past the
 * third are read and dropped); NULL when there is no digit. */
static const char *read_fraction(const char *p, int64_t *ms) {
  size_t digits = strspn(p, "0123456789");
  if (digits == 0)
    return NULL;
  int64_t scale = 100;
  for (size_t i = 0; i < digits && i < 3; i++, scale /= 10)
    *ms += (p[i] - '0') * scale;
  return p + digits;
}

/* "Z" or "+HH:MM" / "-HH:MM" into seconds east of UTC; false otherwise. */
static bool read_zone(const char *p, long *east) {
  if ((p[0] == 'Z' || p[0] == 'z') && !p[1]) {
    *east = 0;
    return true;
  }
  if ((p[0] != '+' && p[0] != '-') || strlen(p) != 6 || p[3] != ':' ||
      !isdigit((unsigned char)p[1]) || !isdigit((unsigned char)p[2]) ||
      !isdigit((unsigned char)p[4]) || !isdigit((unsigned char)p[5]))
    return false;
  long hours = (p[1] - '0') * 10 + (p[2] - '0');
  long minutes = (p[4] - '0') * 10 + (p[5] - '0');
  if (hours > 23 || minutes > 59)
    return false;
  *east = (p[0] == '-' ? -1 : 1) * (hours * 3600 + minutes * 60);
  return true;
}

static bool parse_rfc3339(const char *arg, int64_t *ms) {
  struct tm tm;
  memset(&tm, 0, sizeof tm);
  const char *p = strptime(arg, "%Y-%m-%d", &tm);
  if (!p || (*p != 'T' && *p != 't' && *p != ' ') || strlen(arg) < 10 ||
      !isdigit((unsigned char)arg[0]))
    return false;
  p = strptime(p + 1, "%H:%M:%S", &tm);
  if (!p)
    return false;
  int64_t fraction = 0;
  if (*p == '.' && !(p = read_fraction(p + 1, &fraction)))
    return false;
  long east;
  if (!read_zone(p, &east))
    return false;
  time_t seconds = timegm(&tm);
  if (seconds == (time_t)-1 && tm.tm_year != 69)
    return false;
  *ms = ((int64_t)seconds - east) * 1000 + fraction;
  return true;
}

int dlq_parse_time(const char *cmd, const char *option, const char *arg,
                   int64_t *ms) {
  size_t digits = strspn(arg, "0123456789");
  if (digits > 0 && !arg[digits] && digits <= 15) {
    *ms = strtoll(arg, NULL, 10);
    return CLI_EXIT_OK;
  }
  if (parse_rfc3339(arg, ms))
    return CLI_EXIT_OK;
  return cli_usage_error(cmd, "%s wants a time: RFC 3339 "
                              "(2026-12-07T10:00:00Z) or milliseconds since "
                              "the epoch, not '%s'",
                         option, arg);
}
