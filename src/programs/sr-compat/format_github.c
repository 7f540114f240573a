/*
 * sr-compat - GitHub Actions workflow commands: one annotation per finding,
 * `::error file=PATH,line=N,col=M,title=TITLE::MESSAGE`, placed on the line
 * of the offending element in the new schema, so the pull request shows it
 * beside the change.  Lint findings are warnings; with --confirm, a
 * disagreement of the registry is an error on the file.
 *
 * Escaping follows the runner's rules: in the message '%', CR and LF are
 * percent-encoded; in properties also ':' and ','.
 */
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "util.h"

/* Line breaks are the runner's to encode; every other control character
 * (ESC would colour or hide the log) is escaped first. */
static void put_escaped(FILE *out, const char *text, bool property) {
  char *shown = sc_printable(text, SC_TEXT_LINE | KAVRO_TEXT_KEEP_NEWLINES);
  for (const char *s = shown; *s; s++) {
    switch (*s) {
    case '%': fputs("%25", out); break;
    case '\r': fputs("%0D", out); break;
    case '\n': fputs("%0A", out); break;
    case ':': fputs(property ? "%3A" : ":", out); break;
    case ',': fputs(property ? "%2C" : ",", out); break;
    default: fputc(*s, out);
    }
  }
  free(shown);
}

static void annotate(FILE *out, const char *command, const char *file,
                     int line, int column, const char *title,
                     const char *message) {
  fprintf(out, "::%s file=", command);
  put_escaped(out, file, true);
  if (line > 0)
    fprintf(out, ",line=%d,col=%d", line, column);
  fputs(",title=", out);
  put_escaped(out, title, true);
  fputs("::", out);
  put_escaped(out, message, false);
  fputc('\n', out);
}

static const char *file_of(const sc_unit_t *unit) {
  return unit->annotation_file ? unit->annotation_file : unit->file;
}

static void annotate_finding(FILE *out, const sc_unit_t *unit,
                             const sc_finding_t *f) {
  char *title = sc_xasprintf("sr-compat: %s", f->kind);
  char *message;
  if (f->role == SC_ROLE_NONE)
    message = sc_xasprintf("%s\nfix: %s", f->message, f->fix);
  else if (f->role == SC_ROLE_CANDIDATE_READS)
    message = sc_xasprintf("%s\n(the new schema reads data written with %s)",
                           f->message, unit->previous[f->previous_index]);
  else
    message = sc_xasprintf("%s\n(%s reads data written with the new schema)",
                           f->message, unit->previous[f->previous_index]);
  annotate(out, f->severity == SC_SEVERITY_ERROR ? "error" : "warning",
           file_of(unit), f->line, f->column, title, message);
  free(message);
  free(title);
}

/* An invalid schema or an error: the position belongs to the unit's file
 * only when the error is about that file, not about a previous version. */
static void annotate_problem(FILE *out, const sc_unit_t *unit) {
  const kavro_error_t *e = &unit->error;
  bool here = strcmp(e->source, unit->file) == 0;
  char *text = sc_error_text(e);
  annotate(out, "error", file_of(unit), here ? e->line : 0, e->column,
           unit->status == SC_STATUS_INVALID ? "sr-compat: invalid schema"
           : unit->status == SC_STATUS_FAIL  ? "sr-compat: incompatible"
                                             : "sr-compat: error",
           text);
  free(text);
}

/* check --confirm: a disagreement is an error (or a warning when it does
 * not fail the run), a confirmation that could not be asked a notice. */
static void annotate_confirmation(FILE *out, const sc_report_t *report,
                                  const sc_unit_t *unit) {
  if (unit->confirm == SC_CONFIRM_SKIPPED) {
    annotate(out, "notice", file_of(unit), 0, 0, "sr-compat: registry not asked",
             unit->confirm_note);
    return;
  }
  if (unit->confirm != SC_CONFIRM_DISAGREE)
    return;
  char *message = sc_xasprintf(
      "the registry says %s, kavro says %s",
      unit->registry_compatible ? "compatible" : "incompatible",
      unit->registry_compatible ? "incompatible" : "compatible");
  for (size_t i = 0; i < unit->registry_message_count; i++) {
    char *longer = sc_xasprintf("%s\n%s", message, unit->registry_messages[i]);
    free(message);
    message = longer;
  }
  annotate(out, report->disagreement_fails ? "error" : "warning", file_of(unit),
           0, 0, "sr-compat: registry disagrees", message);
  free(message);
}

void sc_format_github(const sc_report_t *report, FILE *out) {
  for (size_t i = 0; i < report->unit_count; i++) {
    const sc_unit_t *unit = report->units[i];
    if (sc_unit_has_error(unit))
      annotate_problem(out, unit);
    for (size_t k = 0; k < unit->finding_count; k++)
      annotate_finding(out, unit, &unit->findings[k]);
    annotate_confirmation(out, report, unit);
  }
  sc_format_summary(report, out);
}
