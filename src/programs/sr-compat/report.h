/*
 * sr-compat - the outcome of a run, independent of how it is printed:
 * one unit per checked pair or linted file, each with its findings.  The
 * four output formats (format_*.c) render the same report.
 */
#ifndef SR_COMPAT_REPORT_H
#define SR_COMPAT_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <kavro.h>

typedef enum sc_status_e {
  SC_STATUS_PASS,    /* check: compatible; lint: clean; register: already
                        registered, unchanged */
  SC_STATUS_NEW,     /* check: no previous version, nothing to break;
                        register: registered now (a new version) */
  SC_STATUS_FAIL,    /* check: incompatible; lint: has findings; register:
                        refused by the registry as incompatible */
  SC_STATUS_INVALID, /* a schema of the unit does not parse */
  SC_STATUS_ERROR    /* could not be checked (I/O, git, registry) */
} sc_status_t;

#define SC_STATUS_COUNT 5

typedef enum sc_severity_e { SC_SEVERITY_ERROR, SC_SEVERITY_WARNING } sc_severity_t;

/* Which schema reads, in a check finding. */
typedef enum sc_role_e {
  SC_ROLE_NONE,            /* lint */
  SC_ROLE_CANDIDATE_READS, /* the new schema reads the previous version */
  SC_ROLE_PREVIOUS_READS   /* the previous version reads the new schema */
} sc_role_t;

typedef struct sc_finding_s {
  char *kind;            /* incompatibility kind, or lint rule id */
  sc_severity_t severity;
  char *message;
  char *fix;             /* lint: a one-line fix; NULL for check */
  char *pointer;         /* JSON pointer into the unit's file */
  int line, column;      /* in the unit's file; 0 when unknown */
  /* check only */
  char *reader_location, *writer_location;
  sc_role_t role;
  size_t previous_index; /* into the unit's previous versions */
  /* An ignored finding (sr-compat.json): why, and which rule said so */
  char *ignore_reason;   /* the rule's "reason", NULL when it gives none */
  char *ignore_rule;     /* "ignore[2]": the rule in the configuration */
} sc_finding_t;

/* check --confirm: what the registry's own compatibility test said. */
typedef enum sc_confirm_e {
  SC_CONFIRM_NONE,     /* not asked */
  SC_CONFIRM_AGREE,    /* same verdict as the local engine */
  SC_CONFIRM_DISAGREE, /* the other verdict */
  SC_CONFIRM_SKIPPED   /* could not be asked meaningfully: see confirm_note */
} sc_confirm_t;

typedef struct sc_unit_s {
  char *file;            /* the (new) file, as shown */
  char *real;            /* its canonical absolute path, NULL when unknown */
  char *annotation_file; /* the same, relative to the repository top */
  char *topic, *subject; /* NULL when the catalog says nothing */
  const char *level;     /* check: level name; lint: NULL */
  char *against;         /* check: where previous versions come from */
  char **previous;       /* labels of the previous versions, oldest first */
  size_t previous_count;
  sc_status_t status;
  kavro_error_t error;   /* INVALID and ERROR: what went wrong */
  sc_finding_t *findings;
  size_t finding_count, finding_capacity;
  /* findings the configuration ignores: not part of the verdict */
  sc_finding_t *ignored;
  size_t ignored_count, ignored_capacity;
  /* check --confirm */
  sc_confirm_t confirm;
  bool registry_compatible;  /* the registry's verdict (AGREE, DISAGREE) */
  char **registry_messages;  /* its explanations, owned */
  size_t registry_message_count;
  char *confirm_note;        /* SKIPPED: why */
  /* register: where the schema is registered; 0 when unknown */
  int id, version;
} sc_unit_t;

typedef struct sc_report_s {
  const char *command;   /* "check", "lint" or "register" */
  const char *registry;  /* the registry's URL, credentials stripped; NULL
                            when the run did not use one */
  bool disagreement_fails; /* check --confirm: a disagreement is an error */
  bool verbose;          /* --verbose: the text formats show ignored findings */
  bool dry_run;          /* register --dry-run: nothing was changed */
  const char *config;    /* the configuration file applied, as shown; NULL
                            when none */
  sc_unit_t **units;
  size_t unit_count, unit_capacity;
} sc_report_t;

sc_report_t *sc_report_new(const char *command);
void sc_report_destroy(sc_report_t *report);

/* A new unit for @file (copied), status PASS, appended to @report. */
sc_unit_t *sc_report_add_unit(sc_report_t *report, const char *file);

/* A new zeroed finding appended to @unit; its strings are owned by it. */
sc_finding_t *sc_unit_add_finding(sc_unit_t *unit);

/* Move the finding at @index of @unit's findings to its ignored ones,
 * with @reason (may be NULL) and @rule, both copied. */
void sc_unit_ignore_finding(sc_unit_t *unit, size_t index, const char *reason,
                            const char *rule);

/* "the new schema reads data written with V1", "V1 reads data written
 * with the new schema" or, for lint, "fix: ...": what a finding's message
 * needs beside it to be understood, in a new string. */
char *sc_finding_context(const sc_unit_t *unit, const sc_finding_t *f);

/* A finding's severity as a word: "error" or "warning". */
const char *sc_severity_name(sc_severity_t severity);

/* Set @unit to INVALID or ERROR (or, for register, FAIL: refused by the
 * registry) with @error's details. */
void sc_unit_fail(sc_unit_t *unit, sc_status_t status,
                  const kavro_error_t *error);

/* Does @unit carry an error to show (INVALID, ERROR, or a FAIL the registry
 * explained in an error rather than in findings)? */
bool sc_unit_has_error(const sc_unit_t *unit);

/* Append a copy of @message to @unit's registry messages. */
void sc_unit_add_registry_message(sc_unit_t *unit, const char *message);

/* "agrees", "disagrees", "skipped"; NULL for SC_CONFIRM_NONE. */
const char *sc_confirm_name(sc_confirm_t confirm);

/* Number of units whose confirmation disagrees. */
size_t sc_report_disagreements(const sc_report_t *report);

/* How the status reads for this report's command ("compatible", "clean",
 * "registered"). */
const char *sc_status_name(const sc_report_t *report, sc_status_t status);

/* "candidate_reads", "previous_reads", NULL for SC_ROLE_NONE. */
const char *sc_role_name(sc_role_t role);

/* Number of units in each status, indexed by sc_status_t. */
void sc_report_count(const sc_report_t *report, size_t counts[SC_STATUS_COUNT]);

/* SC_EXIT_OK, SC_EXIT_FINDINGS or SC_EXIT_ERROR for the whole report. */
int sc_report_exit_code(const sc_report_t *report);

/* A renderer of a report onto a stream. */
typedef void (*sc_format_fn)(const sc_report_t *report, FILE *out);

/* The renderer called @name ("text", "json", "junit", "github", "gitlab",
 * "markdown", "msvs"), NULL when there is none. */
sc_format_fn sc_format_find(const char *name);

/* The renderers, one file each. */
void sc_format_text(const sc_report_t *report, FILE *out);
void sc_format_json(const sc_report_t *report, FILE *out);
void sc_format_junit(const sc_report_t *report, FILE *out);
void sc_format_github(const sc_report_t *report, FILE *out);
void sc_format_gitlab(const sc_report_t *report, FILE *out);
void sc_format_markdown(const sc_report_t *report, FILE *out);
void sc_format_msvs(const sc_report_t *report, FILE *out);

/* The names of the formats, for usage messages: "text, json, ...". */
extern const char sc_format_names[];

/* Do paths in @format's output start at the top of the repository (the
 * annotations of github and gitlab) rather than at the current directory? */
bool sc_format_wants_repo_paths(sc_format_fn format);

/* The one-line summary the text format ends with ("sr-compat check: 3
 * checked: ..."). */
void sc_format_summary(const sc_report_t *report, FILE *out);

/* What @format_fn would print of @report, in a new string (the markdown
 * format quotes the text format). */
char *sc_format_to_string(sc_format_fn format_fn, const sc_report_t *report);

/* Copy of @s where every byte sequence that is not valid UTF-8 is replaced
 * by '?', for formats that must be valid UTF-8 (JSON, XML). */
char *sc_utf8_clean(const char *s);

#endif /* SR_COMPAT_REPORT_H */
