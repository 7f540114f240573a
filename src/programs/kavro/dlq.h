/*
 * kavro (the program) - what `kavro dlq inspect` and `kavro dlq replay`
 * share: reading a dead-letter message's headers into one description,
 * whichever writer put it there (the forwarder's kavro.dlq.* headers, or
 * the DLQ rule action's __rule.* headers), and reading a TIME argument.
 */
#ifndef KAVRO_DLQ_CLI_H
#define KAVRO_DLQ_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include <kavro.h>
#include <kavro/kafka.h>

/* The DLQ rule action's headers (kavro_kafka_dlq_action_add()). */
#define DLQ_RULE_HEADER_NAME "__rule.name"
#define DLQ_RULE_HEADER_MODE "__rule.mode"
#define DLQ_RULE_HEADER_SUBJECT "__rule.subject"
#define DLQ_RULE_HEADER_TOPIC "__rule.topic"
#define DLQ_RULE_HEADER_EXCEPTION "__rule.exception"

/* The header `kavro dlq replay` adds to each message it re-produces:
 * "DLQ_TOPIC/PARTITION/OFFSET", the dead-letter message it came from. */
#define DLQ_HEADER_REPLAY "kavro.replay"

/* The prefixes of the headers a dead-letter topic added, which a replay
 * drops. */
#define DLQ_ADDED_PREFIX "kavro.dlq."
#define DLQ_RULE_PREFIX "__rule."

/* Longest header text kept; longer values are cut (they are shown, and
 * grouped by, never trusted). */
#define DLQ_TEXT_MAX 1024

/* One dead-letter message, as far as its headers tell. */
typedef struct dlq_entry_s {
  char origin_topic[256];        /* "" when unknown */
  int32_t origin_partition;      /* -1 when unknown (always, for a rule) */
  int64_t origin_offset;         /* -1 when unknown (always, for a rule) */
  int64_t origin_timestamp;      /* ms, -1 when unknown */
  int64_t timestamp;             /* the dead-letter message's own, or -1 */
  char error_class[32];          /* "permanent", ..., "unknown" */
  char error_code[64];           /* the error's name: "DECODE", "RULE" */
  char reason[DLQ_TEXT_MAX];     /* what went wrong */
  long retries;                  /* handler tries, -1 when not said */
  bool from_rule;                /* written by the DLQ rule action */
  char rule[256];                /* then the rule's name */
} dlq_entry_t;

/* Describe @message, a message of a dead-letter topic. */
void dlq_entry_read(const rd_kafka_message_t *message, dlq_entry_t *entry);

/* The timestamp --since and --until are compared with: the origin's
 * when the headers say it, else the dead-letter message's own. */
int64_t dlq_entry_time(const dlq_entry_t *entry);

/* Whether header @name is one a dead-letter topic added (kavro.dlq.*,
 * __rule.*). */
bool dlq_header_is_added(const char *name);

/* TIME: RFC 3339 ("2026-12-07T10:00:00Z", "...10:00:00.250+01:00") or
 * milliseconds since the epoch, into @*ms.  CLI_EXIT_OK, or
 * CLI_EXIT_USAGE reported for option @option of subcommand @cmd. */
int dlq_parse_time(const char *cmd, const char *option, const char *arg,
                   int64_t *ms);

/* The two subcommands of `kavro dlq`. */
int dlq_inspect_run(int argc, char **argv);
int dlq_replay_run(int argc, char **argv);
extern const char dlq_inspect_usage[];
extern const char dlq_replay_usage[];

#endif /* KAVRO_DLQ_CLI_H */
