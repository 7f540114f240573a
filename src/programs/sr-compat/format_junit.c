/*
 * sr-compat - JUnit XML, which CI systems turn into test reports: one
 * testcase per checked pair or linted file, a failure element per
 * incompatibility or lint finding, an error element when a file could not
 * be checked.
 */
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "util.h"

/* Write @s escaped for XML 1.0 content (@attribute false) or a quoted
 * attribute value (@attribute true), URLs without user info.  Characters
 * XML 1.0 cannot carry at all (control characters other than tab and
 * newlines, U+FFFE, U+FFFF, invalid UTF-8) become '?'. */
static void put_escaped(FILE *out, const char *s, bool attribute) {
  char *redacted = sc_printable(s ? s : "", KAVRO_TEXT_REDACT_URLS);
  char *clean = sc_utf8_clean(redacted);
  free(redacted);
  for (const unsigned char *p = (const unsigned char *)clean; *p; p++) {
    switch (*p) {
    case '&': fputs("&amp;", out); break;
    case '<': fputs("&lt;", out); break;
    case '>': fputs("&gt;", out); break;
    case '"': fputs(attribute ? "&quot;" : "\"", out); break;
    case '\'': fputs(attribute ? "&apos;" : "'", out); break;
    case '\n': fputs(attribute ? "&#10;" : "\n", out); break;
    case '\r': fputs("&#13;", out); break;
    case '\t': fputs(attribute ? "&#9;" : "\t", out); break;
    default:
      if (*p < 0x20) {
        fputc('?', out);
      } else if (p[0] == 0xEF && p[1] == 0xBF && (p[2] == 0xBE || p[2] == 0xBF)) {
        fputc('?', out);
        p += 2;
      } else {
        fputc(*p, out);
      }
    }
  }
  free(clean);
}

static void put_attribute(FILE *out, const char *name, const char *value) {
  fprintf(out, " %s=\"", name);
  put_escaped(out, value, true);
  fputc('"', out);
}

static void put_finding(FILE *out, const sc_unit_t *unit,
                        const sc_finding_t *f) {
  fputs("      <failure", out);
  put_attribute(out, "type", f->kind);
  put_attribute(out, "message", f->message);
  fputc('>', out);
  char *where = f->line > 0
                    ? sc_xasprintf("%s:%d:%d", unit->file, f->line, f->column)
                    : sc_xstrdup(unit->file);
  char *detail;
  if (f->role == SC_ROLE_NONE)
    detail = sc_xasprintf("%s: %s\nat %s\nfix: %s", where, f->message,
                          f->pointer, f->fix);
  else if (f->role == SC_ROLE_CANDIDATE_READS)
    detail = sc_xasprintf("%s: %s\nat %s; the new schema reads data written "
                          "with %s", where, f->message, f->pointer,
                          unit->previous[f->previous_index]);
  else
    detail = sc_xasprintf("%s: %s\nat %s; %s reads data written with the new "
                          "schema", where, f->message, f->pointer,
                          unit->previous[f->previous_index]);
  put_escaped(out, detail, false);
  fputs("</failure>\n", out);
  free(detail);
  free(where);
}

static void put_unit_problem(FILE *out, const sc_unit_t *unit) {
  char *text = sc_error_text(&unit->error);
  bool failure = unit->status != SC_STATUS_ERROR;
  fputs(failure ? "      <failure" : "      <error", out);
  put_attribute(out, "type",
                unit->status == SC_STATUS_INVALID ? "invalid-schema"
                : failure                         ? "incompatible"
                                                  : kavro_err2name(unit->error.code));
  put_attribute(out, "message", text);
  fputs("/>\n", out);
  free(text);
}

static void put_system_out(FILE *out, const char *note) {
  fputs("      <system-out>", out);
  put_escaped(out, note, false);
  fputs("</system-out>\n", out);
}

/* The registry's verdict as "registry agrees: compatible" plus its
 * messages, one per line. */
static char *confirmation_text(const sc_unit_t *unit) {
  if (unit->confirm == SC_CONFIRM_SKIPPED)
    return sc_xasprintf("registry not asked: %s", unit->confirm_note);
  char *text = sc_xasprintf("registry %s: %s", sc_confirm_name(unit->confirm),
                            unit->registry_compatible ? "compatible"
                                                      : "incompatible");
  for (size_t i = 0; i < unit->registry_message_count; i++) {
    char *longer = sc_xasprintf("%s\n%s", text, unit->registry_messages[i]);
    free(text);
    text = longer;
  }
  return text;
}

/* A disagreement that fails the run is an error of the test case; any
 * other confirmation is a note. */
static bool disagreement_error(const sc_report_t *report, const sc_unit_t *unit) {
  return report->disagreement_fails && unit->confirm == SC_CONFIRM_DISAGREE &&
         unit->status != SC_STATUS_ERROR;
}

static void put_confirmation(FILE *out, const sc_report_t *report,
                             const sc_unit_t *unit) {
  char *text = confirmation_text(unit);
  if (disagreement_error(report, unit)) {
    fputs("      <error", out);
    put_attribute(out, "type", "registry-disagrees");
    put_attribute(out, "message", text);
    fputs("/>\n", out);
  } else {
    put_system_out(out, text);
  }
  free(text);
}

/* What the testcase says besides its failures: new, registered, the
 * registry's confirmation. */
static void put_notes(FILE *out, const sc_report_t *report,
                      const sc_unit_t *unit) {
  if (unit->confirm != SC_CONFIRM_NONE) {
    put_confirmation(out, report, unit);
  } else if (unit->version > 0 && !sc_unit_has_error(unit)) {
    char *note = sc_xasprintf("%s: subject %s version %d id %d",
                              sc_status_name(report, unit->status),
                              unit->subject, unit->version, unit->id);
    put_system_out(out, note);
    free(note);
  } else if (unit->status == SC_STATUS_NEW) {
    char *note = sc_xasprintf("new, not in %s: nothing to break", unit->against);
    put_system_out(out, note);
    free(note);
  }
}

static void put_testcase(FILE *out, const sc_report_t *report,
                         const sc_unit_t *unit) {
  char *classname = sc_xasprintf("sr-compat.%s", report->command);
  char *name = unit->topic ? sc_xasprintf("%s [%s]", unit->file, unit->topic)
                           : sc_xstrdup(unit->file);
  fputs("    <testcase", out);
  put_attribute(out, "classname", unit->subject ? unit->subject : classname);
  put_attribute(out, "name", name);
  put_attribute(out, "file", unit->file);
  fputs(">\n", out);
  if (sc_unit_has_error(unit))
    put_unit_problem(out, unit);
  for (size_t i = 0; i < unit->finding_count; i++)
    put_finding(out, unit, &unit->findings[i]);
  put_notes(out, report, unit);
  fputs("    </testcase>\n", out);
  free(name);
  free(classname);
}

void sc_format_junit(const sc_report_t *report, FILE *out) {
  size_t counts[SC_STATUS_COUNT];
  sc_report_count(report, counts);
  char *suite = sc_xasprintf("sr-compat %s", report->command);
  size_t errors = counts[SC_STATUS_ERROR];
  for (size_t i = 0; i < report->unit_count; i++)
    errors += disagreement_error(report, report->units[i]);
  char totals[128];
  snprintf(totals, sizeof(totals),
           " tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"0\"",
           report->unit_count, counts[SC_STATUS_FAIL] + counts[SC_STATUS_INVALID],
           errors);
  fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites", out);
  put_attribute(out, "name", suite);
  fprintf(out, "%s>\n  <testsuite", totals);
  put_attribute(out, "name", suite);
  fprintf(out, "%s>\n", totals);
  for (size_t i = 0; i < report->unit_count; i++)
    put_testcase(out, report, report->units[i]);
  fputs("  </testsuite>\n</testsuites>\n", out);
  free(suite);
}
