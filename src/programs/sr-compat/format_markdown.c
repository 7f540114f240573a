/*
 * sr-compat - a pull-request comment in Markdown (GitHub, GitLab, Gitea):
 * a heading with the verdict, the summary line, a table with one row per
 * finding or problem, and the whole text report in a collapsible
 * <details> block for the full messages.
 *
 * Everything quoted comes from schema files and registry replies, so table
 * cells are escaped for Markdown and HTML (a message cannot add a column,
 * a link or a tag), and the text report is fenced with more backticks than
 * it contains.
 */
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "util.h"

/* @s as one table cell: Markdown and HTML specials escaped, line breaks
 * as <br>. */
static void put_cell(FILE *out, const char *s) {
  char *shown = sc_printable(s ? s : "", SC_TEXT_LINE | KAVRO_TEXT_KEEP_NEWLINES);
  char *clean = sc_utf8_clean(shown);
  fputs(" ", out);
  for (const char *c = clean; *c; c++) {
    switch (*c) {
    case '&': fputs("&amp;", out); break;
    case '<': fputs("&lt;", out); break;
    case '>': fputs("&gt;", out); break;
    case '\r': break;
    case '\n': fputs("<br>", out); break;
    case '|': case '\\': case '`': case '*': case '_': case '[': case ']':
    case '#': case '~': case '!':
      fputc('\\', out);
      fputc(*c, out);
      break;
    default: fputc(*c, out);
    }
  }
  fputs(" |", out);
  free(clean);
  free(shown);
}

static void put_row(FILE *out, const sc_unit_t *unit, int line,
                    const char *severity, const char *kind,
                    const char *message) {
  fputs("|", out);
  put_cell(out, unit->file);
  char position[32] = "";
  if (line > 0)
    snprintf(position, sizeof(position), "%d", line);
  put_cell(out, position);
  put_cell(out, unit->subject ? unit->subject : "");
  put_cell(out, severity);
  put_cell(out, kind);
  put_cell(out, message);
  fputc('\n', out);
}

static size_t row_count(const sc_report_t *report) {
  size_t n = 0;
  for (size_t i = 0; i < report->unit_count; i++) {
    const sc_unit_t *unit = report->units[i];
    n += unit->finding_count + sc_unit_has_error(unit) +
         (unit->confirm == SC_CONFIRM_DISAGREE);
  }
  return n;
}

static void put_unit_rows(FILE *out, const sc_report_t *report,
                          const sc_unit_t *unit) {
  if (sc_unit_has_error(unit)) {
    bool here = strcmp(unit->error.source, unit->file) == 0;
    char *text = sc_error_text(&unit->error);
    put_row(out, unit, here ? unit->error.line : 0, "error",
            unit->status == SC_STATUS_INVALID ? "invalid schema"
            : unit->status == SC_STATUS_FAIL  ? "incompatible"
                                              : "error",
            text);
    free(text);
  }
  for (size_t k = 0; k < unit->finding_count; k++) {
    const sc_finding_t *f = &unit->findings[k];
    put_row(out, unit, f->line, sc_severity_name(f->severity), f->kind,
            f->message);
  }
  if (unit->confirm == SC_CONFIRM_DISAGREE)
    put_row(out, unit, 0, report->disagreement_fails ? "error" : "warning",
            "registry disagrees",
            unit->registry_compatible ? "the registry says compatible"
                                      : "the registry says incompatible");
}

/* The longest run of backticks in @text. */
static size_t longest_backtick_run(const char *text) {
  size_t longest = 0, run = 0;
  for (const char *c = text; *c; c++) {
    run = *c == '`' ? run + 1 : 0;
    if (run > longest)
      longest = run;
  }
  return longest;
}

static void put_fence(FILE *out, size_t length) {
  for (size_t i = 0; i < length; i++)
    fputc('`', out);
}

/* The text report, which has every message in full, folded away. */
static void put_details(FILE *out, const sc_report_t *report) {
  char *text = sc_format_to_string(sc_format_text, report);
  size_t fence = longest_backtick_run(text) + 1;
  if (fence < 3)
    fence = 3;
  fputs("<details>\n<summary>Full report</summary>\n\n", out);
  put_fence(out, fence);
  fputs("text\n", out);
  fputs(text, out);
  put_fence(out, fence);
  fputs("\n\n</details>\n", out);
  free(text);
}

void sc_format_markdown(const sc_report_t *report, FILE *out) {
  int status = sc_report_exit_code(report);
  size_t rows = row_count(report);
  fprintf(out, "### sr-compat %s%s: %s\n\n", report->command,
          report->dry_run ? " --dry-run" : "",
          status == SC_EXIT_OK      ? "passed"
          : status == SC_EXIT_ERROR ? "error"
                                    : "failed");
  char *summary = sc_format_to_string(sc_format_summary, report);
  fputs(summary, out);
  free(summary);
  fputc('\n', out);
  if (rows == 0) {
    fputs("No problems found.\n\n", out);
  } else {
    fputs("| File | Line | Subject | Severity | Kind | Message |\n"
          "|---|---:|---|---|---|---|\n", out);
    for (size_t i = 0; i < report->unit_count; i++)
      put_unit_rows(out, report, report->units[i]);
    fputc('\n', out);
  }
  put_details(out, report);
}
