/*
 * kavro tests - sr-compat, the pull-request tool.
 *
 * Runs the built program (fork and exec, output captured) the way a CI
 * pipeline does: every source of previous versions (a pair, a directory, a
 * git repository made here), every output format against expected output,
 * line mapping on schemas written across many lines and on one line, the
 * catalog, each lint rule firing and each one silenced, and the exit codes.
 * Registry mode (check --registry, register) runs against kavro's mock
 * registry served over HTTP on loopback from this process, so that a test
 * can set levels, inject faults and take the registry down.
 *
 * Expected incompatibilities come from the library itself (the program
 * must report exactly what the engine found, in its format); expected
 * positions come from searching the fixture text, independently of the
 * library's JSON locator.
 */
#define _XOPEN_SOURCE 700 /* nftw() */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <regex.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kavro.h"
#include "kavro/mock.h"
#include "legacy_schemas.h"
#include "serde_fixture.h"
#include "testutil.h"

#ifndef SR_COMPAT_BIN
#error "SR_COMPAT_BIN must name the built sr-compat program"
#endif

#define MAX_ARGS 32

/* ---- temporary directory and files ------------------------------------ */

static char tmp_root[64];        /* per test: output files and w/ */
static char work[PATH_MAX];     /* where fixtures for one test are built */

static void setup(void) {
  snprintf(tmp_root, sizeof(tmp_root), "/tmp/kavro-srcompat-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(tmp_root));
  snprintf(work, sizeof(work), "%s/w", tmp_root);
  ck_assert_int_eq(mkdir(work, 0700), 0);
  /* git must not read the machine's or the user's configuration. */
  setenv("HOME", tmp_root, 1);
  setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
  setenv("LC_ALL", "C", 1);
}

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw) {
  (void)st, (void)flag, (void)ftw;
  return remove(path);
}

static void teardown(void) { nftw(tmp_root, remove_entry, 16, FTW_DEPTH | FTW_PHYS); }

static char *path_in(const char *dir, const char *name) {
  char *p = malloc(strlen(dir) + strlen(name) + 2);
  ck_assert_ptr_nonnull(p);
  sprintf(p, "%s/%s", dir, name);
  return p;
}

static const char *data_dir(void) { return kt_src_path("tests/data/sr-compat"); }

static char *read_text(const char *path) {
  char *text = kt_read_file(path, NULL);
  ck_assert_msg(text != NULL, "cannot read %s", path);
  return text;
}

static char *fixture_text(const char *name) {
  char *path = path_in(data_dir(), name);
  char *text = read_text(path);
  free(path);
  return text;
}

/* Write @text to @dir/@name, creating the directories on the way. */
static void write_file(const char *dir, const char *name, const char *text) {
  char *path = path_in(dir, name);
  for (char *slash = strchr(path + strlen(dir) + 1, '/'); slash;
       slash = strchr(slash + 1, '/')) {
    *slash = '\0';
    ck_assert(mkdir(path, 0700) == 0 || errno == EEXIST);
    *slash = '/';
  }
  FILE *f = fopen(path, "wb");
  ck_assert_msg(f != NULL, "cannot write %s", path);
  fputs(text, f);
  fclose(f);
  free(path);
}

/* Copy fixture @name into @dir as @as. */
static void copy_fixture(const char *name, const char *dir, const char *as) {
  char *text = fixture_text(name);
  write_file(dir, as, text);
  free(text);
}

/* ---- running programs -------------------------------------------------- */

typedef struct run_s {
  int status;
  char *out;
  char *err;
} run_t;

static void run_free(run_t *r) {
  free(r->out);
  free(r->err);
}

/* Run @argv (NULL-terminated, looked up in PATH unless it has a slash) in
 * @cwd; standard output and error go to files and are read back. */
static run_t run_argv(const char *cwd, char *const *argv) {
  char *out_path = path_in(tmp_root, "stdout");
  char *err_path = path_in(tmp_root, "stderr");
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int in = open("/dev/null", O_RDONLY);
    if (out < 0 || err < 0 || in < 0 || chdir(cwd) != 0)
      _exit(126);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    execvp(argv[0], argv);
    _exit(127);
  }
  int status;
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  run_t r;
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_text(out_path);
  r.err = read_text(err_path);
  free(out_path);
  free(err_path);
  /* Under --enable-sanitizers a memory error may end with the very status
   * a test expects: look for the report itself. */
  ck_assert_msg(strstr(r.err, "Sanitizer") == NULL &&
                    strstr(r.err, "runtime error:") == NULL,
                "%s reported a memory error:\n%s", argv[0], r.err);
  return r;
}

static run_t run_va(const char *program, const char *cwd, va_list ap) {
  char *argv[MAX_ARGS + 2];
  int n = 0;
  argv[n++] = (char *)program;
  const char *arg;
  while ((arg = va_arg(ap, const char *)) != NULL) {
    ck_assert_int_lt(n, MAX_ARGS);
    argv[n++] = (char *)arg;
  }
  argv[n] = NULL;
  return run_argv(cwd, argv);
}

/* sr-compat with the NULL-terminated arguments, in @cwd. */
static run_t sr(const char *cwd, ...) {
  va_list ap;
  va_start(ap, cwd);
  run_t r = run_va(SR_COMPAT_BIN, cwd, ap);
  va_end(ap);
  return r;
}

/* git with the NULL-terminated arguments, in @cwd; must succeed. */
static void git(const char *cwd, ...) {
  va_list ap;
  va_start(ap, cwd);
  run_t r = run_va("git", cwd, ap);
  va_end(ap);
  ck_assert_msg(r.status == 0, "git failed (%d): %s", r.status, r.err);
  run_free(&r);
}

#define assert_contains(haystack, needle)                                     \
  ck_assert_msg(strstr((haystack), (needle)) != NULL,                         \
                "expected \"%s\" in:\n%s", (needle), (haystack))
#define assert_lacks(haystack, needle)                                        \
  ck_assert_msg(strstr((haystack), (needle)) == NULL,                         \
                "did not expect \"%s\" in:\n%s", (needle), (haystack))

/* ---- positions and expectations ---------------------------------------- */

/* 1-based line and column (bytes) of the first @needle in @text. */
static void position_of(const char *text, const char *needle, int *line,
                        int *column) {
  const char *at = strstr(text, needle);
  ck_assert_msg(at != NULL, "\"%s\" not in fixture", needle);
  *line = 1;
  const char *line_start = text;
  for (const char *c = text; c < at; c++)
    if (*c == '\n') {
      (*line)++;
      line_start = c + 1;
    }
  *column = (int)(at - line_start) + 1;
}

static kavro_schema_t *parse_fixture(const char *name) {
  char *path = path_in(data_dir(), name);
  kavro_schema_t *schema = NULL;
  kavro_error_t error;
  ck_assert_msg(kavro_schema_parse_file(path, NULL, &schema, &error) == KAVRO_OK,
                "%s: %s", name, error.text);
  free(path);
  return schema;
}

/* What the engine says about fixture @candidate against fixture @previous. */
static kavro_compat_result_t *engine_result(kavro_compat_level_t level,
                                            const char *candidate,
                                            const char *previous,
                                            kavro_schema_t **candidatep) {
  kavro_schema_t *cand = parse_fixture(candidate);
  kavro_schema_t *prev = parse_fixture(previous);
  kavro_compat_result_t *result = NULL;
  ck_assert_int_eq(kavro_compat_check_level(level, cand, &prev, 1, &result, NULL),
                   KAVRO_OK);
  kavro_schema_destroy(prev);
  *candidatep = cand;
  return result;
}

static const char *new_side(const kavro_incompat_t *inc) {
  return inc->role == KAVRO_COMPAT_CANDIDATE_READS ? inc->reader_location
                                                   : inc->writer_location;
}

/* Append printf output to the growing string *@s. */
static void append(char **s, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  size_t have = *s ? strlen(*s) : 0;
  *s = realloc(*s, have + (size_t)n + 1);
  ck_assert_ptr_nonnull(*s);
  va_start(ap, fmt);
  vsnprintf(*s + have, (size_t)n + 1, fmt, ap);
  va_end(ap);
}

/* The text output for one incompatible pair, as documented. */
static char *expected_pair_text(kavro_compat_level_t level, const char *candidate,
                                const char *previous) {
  kavro_schema_t *cand;
  kavro_compat_result_t *result = engine_result(level, candidate, previous, &cand);
  size_t n = kavro_compat_result_count(result);
  ck_assert_uint_gt(n, 0);
  char *text = NULL;
  append(&text, "%s: incompatible under %s with %s: %zu problem%s\n", candidate,
         kavro_compat_level_name(level), previous, n, n == 1 ? "" : "s");
  for (size_t i = 0; i < n; i++) {
    const kavro_incompat_t *inc = kavro_compat_result_get(result, i);
    int line, column;
    kavro_schema_locate(cand, new_side(inc), &line, &column);
    append(&text, "%s:%d:%d: %s: %s\n    at %s; ", candidate, line, column,
           kavro_incompat_kind_name(inc->kind), inc->message,
           *new_side(inc) ? new_side(inc) : "/");
    if (inc->role == KAVRO_COMPAT_CANDIDATE_READS)
      append(&text, "the new schema reads data written with %s\n", previous);
    else
      append(&text, "%s reads data written with the new schema\n", previous);
  }
  append(&text, "sr-compat check: 1 checked: 0 compatible, 1 incompatible, 0 "
                "new, 0 invalid, 0 errors\n");
  kavro_compat_result_destroy(result);
  kavro_schema_destroy(cand);
  return text;
}

static json_t *parse_json_output(const run_t *r) {
  json_error_t jerr;
  json_t *root = json_loads(r->out, 0, &jerr);
  ck_assert_msg(root != NULL, "output is not JSON (%s):\n%s", jerr.text, r->out);
  return root;
}

/* ---- a small XML well-formedness check ---------------------------------- */

/* Skip a reference (&amp; &#10; ...) at @p; NULL when it is not one. */
static const char *xml_reference(const char *p) {
  static const char *const names[] = {"&amp;", "&lt;", "&gt;", "&quot;",
                                      "&apos;"};
  for (size_t i = 0; i < 5; i++)
    if (strncmp(p, names[i], strlen(names[i])) == 0)
      return p + strlen(names[i]);
  if (p[1] != '#')
    return NULL;
  const char *d = p + 2;
  if (*d < '0' || *d > '9')
    return NULL;
  while (*d >= '0' && *d <= '9')
    d++;
  return *d == ';' ? d + 1 : NULL;
}

static bool xml_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' || c == ':';
}

/* Character data or an attribute value up to @stop; NULL on a raw '<', a
 * bad reference or a control character XML 1.0 forbids. */
static const char *xml_chars(const char *p, char stop) {
  while (*p && *p != stop) {
    unsigned char c = (unsigned char)*p;
    if (c == '<' && stop != '<')
      return NULL;
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
      return NULL;
    if (c == '&') {
      if (!(p = xml_reference(p)))
        return NULL;
      continue;
    }
    p++;
  }
  return p;
}

/* Well-formed XML with one root element?  Counts the elements called
 * @count_name into *@count.  Returns NULL, or what is wrong. */
static const char *xml_check(const char *xml, const char *count_name,
                             int *count) {
  char stack[32][64];
  int depth = 0, roots = 0;
  *count = 0;
  const char *p = xml;
  if (strncmp(p, "<?xml ", 6) == 0) {
    p = strstr(p, "?>");
    if (!p)
      return "unterminated XML declaration";
    p += 2;
  }
  while (*p) {
    if (*p != '<') {
      const char *end = xml_chars(p, '<');
      if (!end)
        return "bad character data";
      for (const char *c = p; c < end; c++)
        if (depth == 0 && *c != '\n' && *c != ' ')
          return "text outside the root element";
      p = end;
      continue;
    }
    bool closing = p[1] == '/';
    const char *name = p + (closing ? 2 : 1);
    const char *c = name;
    while (xml_name_char(*c))
      c++;
    size_t len = (size_t)(c - name);
    if (len == 0 || len >= sizeof(stack[0]))
      return "bad element name";
    if (closing) {
      if (depth == 0 || strlen(stack[depth - 1]) != len ||
          strncmp(stack[depth - 1], name, len) != 0 || *c != '>')
        return "mismatched end tag";
      depth--;
      p = c + 1;
      continue;
    }
    if (depth == 0 && ++roots > 1)
      return "more than one root element";
    if (strlen(count_name) == len && strncmp(count_name, name, len) == 0)
      (*count)++;
    for (;;) {
      while (*c == ' ' || *c == '\n')
        c++;
      if (*c == '>' || (c[0] == '/' && c[1] == '>'))
        break;
      const char *attr = c;
      while (xml_name_char(*c))
        c++;
      if (c == attr || c[0] != '=' || (c[1] != '"' && c[1] != '\''))
        return "bad attribute";
      char quote = c[1];
      const char *end = xml_chars(c + 2, quote);
      if (!end || *end != quote)
        return "bad attribute value";
      c = end + 1;
    }
    if (*c == '>') {
      if (depth == 32)
        return "too deep";
      memcpy(stack[depth], name, len);
      stack[depth++][len] = '\0';
      p = c + 1;
    } else {
      p = c + 2;
    }
  }
  if (depth != 0)
    return "unclosed element";
  return roots == 1 ? NULL : "no root element";
}

/* Self-test of the checker, so that a lenient checker cannot pass JUnit
 * output that is not XML. */
START_TEST(test_xml_checker) {
  int n;
  ck_assert_ptr_null(xml_check("<?xml version=\"1.0\"?>\n<a x=\"1&amp;\"><b/>t&lt;</a>\n", "b", &n));
  ck_assert_int_eq(n, 1);
  ck_assert_ptr_nonnull(xml_check("<a><b></a></b>", "b", &n));
  ck_assert_ptr_nonnull(xml_check("<a>x & y</a>", "b", &n));
  ck_assert_ptr_nonnull(xml_check("<a m=\"<\"/>", "b", &n));
  ck_assert_ptr_nonnull(xml_check("<a/><b/>", "b", &n));
  ck_assert_ptr_nonnull(xml_check("<a>\x01</a>", "b", &n));
  ck_assert_ptr_nonnull(xml_check("<a x=\"\"\"/>", "b", &n));
}
END_TEST

/* ---- help, usage and exit codes ------------------------------------------ */

START_TEST(test_help) {
  run_t r = sr(work, "--help", NULL);
  ck_assert_int_eq(r.status, 0);
  assert_contains(r.out, "Usage: sr-compat COMMAND");
  run_free(&r);
  r = sr(work, "check", "--help", NULL);
  ck_assert_int_eq(r.status, 0);
  assert_contains(r.out, "--against-git REF");
  assert_contains(r.out, "Exit status");
  run_free(&r);
  r = sr(work, "help", "lint", NULL);
  ck_assert_int_eq(r.status, 0);
  static const char *const ids[] = {"logical-type-on-field", "nullable-without-default",
      "null-not-first", "enum-without-default", "unportable-name", "missing-doc",
      "duplicate-type", "schema-warning", "invalid-disable", "rule-malformed",
      "rule-unknown-kind", "rule-unknown-mode", "rule-no-executor", "rule-cel-syntax",
      "rule-cel-unsupported", "rule-unknown-tag", "rule-unknown-action",
      "rule-bad-param"};
  for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
    assert_contains(r.out, ids[i]);
  run_free(&r);
  r = sr(work, "--version", NULL);
  ck_assert_int_eq(r.status, 0);
  assert_contains(r.out, kavro_version_str());
  run_free(&r);
}
END_TEST

static const struct {
  const char *args[8];
  const char *says;
} usage_cases[] = {
    {{NULL}, "Usage: sr-compat"},
    {{"frobnicate", NULL}, "unknown command \"frobnicate\""},
    {{"check", "--no-catalog", "x.avsc", NULL}, "--against-git REF"},
    {{"check", "--against", "a.avsc", "b.avsc", "c.avsc", NULL}, "exactly one NEW"},
    {{"check", "--against-git", "v1", "--against-dir", "d", "x.avsc", NULL},
     "give one of"},
    {{"check", "--level", "SIDEWAYS", "--against", "a", "b", NULL},
     "unknown compatibility level \"SIDEWAYS\""},
    {{"check", "--format", "xml", "--against", "a", "b", NULL}, "unknown format \"xml\""},
    {{"check", "--against", NULL}, "missing argument"},
    {{"lint", "--disable", "no-such-rule", "x.avsc", NULL}, "unknown rule \"no-such-rule\""},
    {{"lint", "--bogus", NULL}, "unknown option or missing argument: --bogus"},
    {{"lint", "--no-catalog", NULL}, "no schema files given"},
};

START_TEST(test_usage_errors) {
  char *argv[MAX_ARGS];
  argv[0] = SR_COMPAT_BIN;
  int n = 1;
  for (const char *const *a = usage_cases[_i].args; *a; a++)
    argv[n++] = (char *)*a;
  argv[n] = NULL;
  run_t r = run_argv(work, argv);
  ck_assert_msg(r.status == 2, "case %d: exit %d", _i, r.status);
  assert_contains(r.err, usage_cases[_i].says);
  ck_assert_str_eq(r.out, "");
  run_free(&r);
}
END_TEST

/* Files that cannot be read are errors (exit 2) that name the file. */
START_TEST(test_io_errors) {
  run_t r = sr(data_dir(), "check", "--no-catalog", "--against", "order_v1.avsc", "missing.avsc", NULL);
  ck_assert_int_eq(r.status, 2);
  assert_contains(r.err, "missing.avsc");
  run_free(&r);
  r = sr(data_dir(), "check", "--no-catalog", "--against", "gone.avsc", "order_v2.avsc", NULL);
  ck_assert_int_eq(r.status, 2);
  assert_contains(r.out, "order_v2.avsc: error: gone.avsc: cannot open");
  run_free(&r);
  r = sr(data_dir(), "lint", "--no-catalog", "absent.avsc", NULL);
  ck_assert_int_eq(r.status, 2);
  assert_contains(r.err, "absent.avsc: cannot open");
  run_free(&r);
  r = sr(data_dir(), "check", "--no-catalog", "--against-dir", "no-such-dir", "order_v2.avsc", NULL);
  ck_assert_int_eq(r.status, 2);
  assert_contains(r.err, "no-such-dir");
  run_free(&r);
}
END_TEST

/* ---- check: a pair ------------------------------------------------------ */

START_TEST(test_pair_text_backward) {
  run_t r = sr(data_dir(), "check", "--no-catalog", "--against", "order_v1.avsc", "order_v2.avsc", NULL);
  char *expected = expected_pair_text(KAVRO_COMPAT_BACKWARD, "order_v2.avsc",
                                      "order_v1.avsc");
  ck_assert_str_eq(r.out, expected);
  ck_assert_int_eq(r.status, 1);
  /* The added field, on the line where its object opens. */
  char *text = fixture_text("order_v2.avsc");
  int line, column;
  position_of(text, "{\n      \"name\": \"country_code\"", &line, &column);
  char where[64];
  snprintf(where, sizeof(where), "order_v2.avsc:%d:%d: READER_FIELD_MISSING_DEFAULT_VALUE",
           line, column);
  assert_contains(r.out, where);
  free(text);
  free(expected);
  run_free(&r);
}
END_TEST

START_TEST(test_pair_text_forward_full) {
  static const kavro_compat_level_t levels[] = {KAVRO_COMPAT_FORWARD,
                                                KAVRO_COMPAT_FULL};
  for (size_t i = 0; i < 2; i++) {
    run_t r = sr(data_dir(), "check", "--no-catalog", "--level", kavro_compat_level_name(levels[i]),
                 "--against", "order_v1.avsc", "order_v2.avsc", NULL);
    char *expected = expected_pair_text(levels[i], "order_v2.avsc", "order_v1.avsc");
    ck_assert_str_eq(r.out, expected);
    ck_assert_int_eq(r.status, 1);
    /* Under FORWARD the previous schema reads: int cannot read long. */
    assert_contains(r.out, "order_v1.avsc reads data written with the new schema");
    free(expected);
    run_free(&r);
  }
}
END_TEST

START_TEST(test_pair_compatible_and_none) {
  run_t r = sr(data_dir(), "check", "--no-catalog", "--against", "order_v1.avsc",
               "order_v2_optional.avsc", NULL);
  ck_assert_str_eq(r.out,
                   "order_v2_optional.avsc: compatible under BACKWARD with order_v1.avsc\n"
                   "sr-compat check: 1 checked: 1 compatible, 0 incompatible, 0 new, "
                   "0 invalid, 0 errors\n");
  ck_assert_int_eq(r.status, 0);
  run_free(&r);
  r = sr(data_dir(), "check", "--no-catalog", "--level", "none", "--against", "order_v1.avsc",
         "order_v2.avsc", NULL);
  ck_assert_int_eq(r.status, 0);
  assert_contains(r.out, "order_v2.avsc: compatible under NONE");
  run_free(&r);
}
END_TEST

/* The same change written on many lines and on one line is placed on the
 * line and column of the field in each. */
START_TEST(test_line_mapping) {
  static const struct {
    const char *file;
    const char *needle;
  } cases[] = {{"order_v2.avsc", "{\n      \"name\": \"country_code\""},
               {"order_v2_oneline.avsc", "{\"name\":\"country_code\""}};
  for (size_t i = 0; i < 2; i++) {
    copy_fixture("order_v1.avsc", work, "old.avsc");
    copy_fixture(cases[i].file, work, "new.avsc");
    run_t r = sr(work, "check", "--format", "github", "--against", "old.avsc",
                 "new.avsc", NULL);
    char *text = fixture_text(cases[i].file);
    int line, column;
    position_of(text, cases[i].needle, &line, &column);
    if (i == 1)
      ck_assert_int_eq(line, 1);
    char prefix[128];
    snprintf(prefix, sizeof(prefix),
             "::error file=new.avsc,line=%d,col=%d,title=sr-compat%%3A "
             "READER_FIELD_MISSING_DEFAULT_VALUE::", line, column);
    ck_assert_msg(strncmp(r.out, prefix, strlen(prefix)) == 0,
                  "expected %s at the start of:\n%s", prefix, r.out);
    ck_assert_int_eq(r.status, 1);
    free(text);
    run_free(&r);
  }
  /* Under FORWARD the new schema writes: the place is its "type". */
  run_t r = sr(data_dir(), "check", "--no-catalog", "--level", "FORWARD", "--format", "json",
               "--against", "order_v1.avsc", "order_v2.avsc", NULL);
  json_t *root = parse_json_output(&r);
  json_t *f = json_array_get(json_object_get(json_array_get(json_object_get(root, "results"), 0), "findings"), 0);
  char *text = fixture_text("order_v2.avsc");
  int line, column;
  position_of(text, "\"type\": \"long\"", &line, &column);
  ck_assert_str_eq(json_string_value(json_object_get(f, "role")), "previous_reads");
  ck_assert_int_eq(json_integer_value(json_object_get(f, "line")), line);
  ck_assert_int_eq(json_integer_value(json_object_get(f, "column")), column);
  free(text);
  json_decref(root);
  run_free(&r);
}
END_TEST

START_TEST(test_json_format) {
  run_t r = sr(data_dir(), "check", "--no-catalog", "--level", "FULL", "--format", "json",
               "--against", "order_v1.avsc", "order_v2.avsc", NULL);
  ck_assert_int_eq(r.status, 1);
  json_t *root = parse_json_output(&r);
  ck_assert_str_eq(json_string_value(json_object_get(root, "tool")), "sr-compat");
  ck_assert_int_eq(json_integer_value(json_object_get(root, "format_version")), 1);
  ck_assert_str_eq(json_string_value(json_object_get(root, "command")), "check");
  ck_assert_int_eq(json_integer_value(json_object_get(root, "exit_code")), 1);
  json_t *summary = json_object_get(root, "summary");
  ck_assert_int_eq(json_integer_value(json_object_get(summary, "total")), 1);
  ck_assert_int_eq(json_integer_value(json_object_get(summary, "incompatible")), 1);
  ck_assert_int_eq(json_integer_value(json_object_get(summary, "compatible")), 0);
  json_t *unit = json_array_get(json_object_get(root, "results"), 0);
  ck_assert_str_eq(json_string_value(json_object_get(unit, "file")), "order_v2.avsc");
  ck_assert_str_eq(json_string_value(json_object_get(unit, "status")), "incompatible");
  ck_assert_str_eq(json_string_value(json_object_get(unit, "level")), "FULL");
  ck_assert(json_is_null(json_object_get(unit, "subject")));
  ck_assert(json_is_null(json_object_get(unit, "error")));
  ck_assert_str_eq(json_string_value(json_array_get(json_object_get(unit, "previous"), 0)),
                   "order_v1.avsc");

  kavro_schema_t *cand;
  kavro_compat_result_t *result = engine_result(KAVRO_COMPAT_FULL, "order_v2.avsc",
                                                "order_v1.avsc", &cand);
  json_t *findings = json_object_get(unit, "findings");
  ck_assert_uint_eq(json_array_size(findings), kavro_compat_result_count(result));
  for (size_t i = 0; i < json_array_size(findings); i++) {
    json_t *f = json_array_get(findings, i);
    const kavro_incompat_t *inc = kavro_compat_result_get(result, i);
    int line, column;
    kavro_schema_locate(cand, new_side(inc), &line, &column);
    ck_assert_str_eq(json_string_value(json_object_get(f, "kind")),
                     kavro_incompat_kind_name(inc->kind));
    ck_assert_str_eq(json_string_value(json_object_get(f, "severity")), "error");
    ck_assert_str_eq(json_string_value(json_object_get(f, "message")), inc->message);
    ck_assert_str_eq(json_string_value(json_object_get(f, "pointer")), new_side(inc));
    ck_assert_str_eq(json_string_value(json_object_get(f, "reader_location")),
                     inc->reader_location);
    ck_assert_str_eq(json_string_value(json_object_get(f, "writer_location")),
                     inc->writer_location);
    ck_assert_str_eq(json_string_value(json_object_get(f, "role")),
                     inc->role == KAVRO_COMPAT_CANDIDATE_READS ? "candidate_reads"
                                                               : "previous_reads");
    ck_assert_int_eq(json_integer_value(json_object_get(f, "line")), line);
    ck_assert_int_eq(json_integer_value(json_object_get(f, "column")), column);
    ck_assert_int_eq(json_integer_value(json_object_get(f, "previous_index")), 0);
    ck_assert_str_eq(json_string_value(json_object_get(f, "previous")), "order_v1.avsc");
  }
  kavro_compat_result_destroy(result);
  kavro_schema_destroy(cand);
  json_decref(root);
  run_free(&r);
}
END_TEST

START_TEST(test_junit_format) {
  /* Names with every character XML must escape. */
  const char *name = "new&<\"it's\">.avsc";
  copy_fixture("order_v1.avsc", work, "old.avsc");
  copy_fixture("order_v2.avsc", work, name);
  copy_fixture("order_v2_optional.avsc", work, "fine.avsc");
  copy_fixture("invalid.avsc", work, "broken.avsc");
  run_t r = sr(work, "check", "--level", "FULL", "--format", "junit", "--against",
               "old.avsc", name, NULL);
  ck_assert_int_eq(r.status, 1);
  int failures;
  const char *problem = xml_check(r.out, "failure", &failures);
  ck_assert_msg(problem == NULL, "%s in:\n%s", problem, r.out);
  kavro_schema_t *cand;
  kavro_compat_result_t *result = engine_result(KAVRO_COMPAT_FULL, "order_v2.avsc",
                                                "order_v1.avsc", &cand);
  ck_assert_int_eq(failures, (int)kavro_compat_result_count(result));
  kavro_compat_result_destroy(result);
  kavro_schema_destroy(cand);
  int cases;
  xml_check(r.out, "testcase", &cases);
  ck_assert_int_eq(cases, 1);
  assert_contains(r.out, "name=\"new&amp;&lt;&quot;it&apos;s&quot;&gt;.avsc\"");
  assert_contains(r.out, "tests=\"1\" failures=\"1\" errors=\"0\"");
  assert_contains(r.out, "type=\"READER_FIELD_MISSING_DEFAULT_VALUE\"");
  run_free(&r);

  /* A passing case and an invalid schema: one testcase each. */
  r = sr(work, "check", "--format", "junit", "--against", "old.avsc", "broken.avsc",
         NULL);
  ck_assert_int_eq(r.status, 1);
  ck_assert_ptr_null(xml_check(r.out, "failure", &failures));
  ck_assert_int_eq(failures, 1);
  assert_contains(r.out, "type=\"invalid-schema\"");
  run_free(&r);
  r = sr(work, "check", "--format", "junit", "--against", "old.avsc", "fine.avsc", NULL);
  ck_assert_int_eq(r.status, 0);
  ck_assert_ptr_null(xml_check(r.out, "failure", &failures));
  ck_assert_int_eq(failures, 0);
  run_free(&r);
}
END_TEST

START_TEST(test_github_format) {
  const char *name = "odd,name:100%.avsc";
  copy_fixture("order_v1.avsc", work, "old.avsc");
  copy_fixture("order_v2.avsc", work, name);
  run_t r = sr(work, "check", "--level", "FULL", "--format", "github", "--against",
               "old.avsc", name, NULL);
  ck_assert_int_eq(r.status, 1);
  regex_t re;
  ck_assert_int_eq(regcomp(&re, "^::error file=[^,:]+,line=[1-9][0-9]*,col=[1-9][0-9]*,"
                                "title=[^,:]+::[^\n]+$", REG_EXTENDED | REG_NOSUB), 0);
  int annotations = 0;
  char *copy = strdup(r.out);
  for (char *line = strtok(copy, "\n"); line; line = strtok(NULL, "\n")) {
    if (strncmp(line, "::", 2) != 0) {
      ck_assert_msg(strncmp(line, "sr-compat check: ", 17) == 0, "stray line: %s", line);
      continue;
    }
    annotations++;
    ck_assert_msg(regexec(&re, line, 0, NULL, 0) == 0, "bad annotation: %s", line);
    assert_contains(line, "file=odd%2Cname%3A100%25.avsc,");
    /* The message's own newline is encoded, never raw. */
    assert_contains(line, "%0A(");
  }
  regfree(&re);
  free(copy);
  kavro_schema_t *cand;
  kavro_compat_result_t *result = engine_result(KAVRO_COMPAT_FULL, "order_v2.avsc",
                                                "order_v1.avsc", &cand);
  ck_assert_int_eq(annotations, (int)kavro_compat_result_count(result));
  kavro_compat_result_destroy(result);
  kavro_schema_destroy(cand);
  run_free(&r);
}
END_TEST

/* An invalid new schema is a finding (exit 1) placed on its line; an
 * invalid previous version is named, without a line in the new file.  A
 * previous version is read as a registry reads what it holds, so only a
 * defect no registry accepts makes it invalid (an invalid default does
 * not). */
START_TEST(test_invalid_schemas) {
  copy_fixture("order_v1.avsc", work, "old.avsc");
  copy_fixture("invalid.avsc", work, "broken.avsc");
  write_file(work, "unreadable.avsc",
             "{\"type\": \"record\", \"name\": \"Broken\", \"fields\": [\n"
             "  {\"name\": \"count\", \"type\": \"int\"},\n"
             "  {\"name\": \"count\", \"type\": \"int\"}]}\n");
  char *text = fixture_text("invalid.avsc");
  int line, column;
  position_of(text, "\"default\": \"ten\"", &line, &column);
  free(text);
  run_t r = sr(work, "check", "--format", "github", "--against", "old.avsc",
               "broken.avsc", NULL);
  ck_assert_int_eq(r.status, 1);
  char prefix[128];
  snprintf(prefix, sizeof(prefix),
           "::error file=broken.avsc,line=%d,col=%d,title=sr-compat%%3A invalid schema::"
           "broken.avsc:%d:%d: /fields/0/default: ", line, column, line, column);
  ck_assert_msg(strncmp(r.out, prefix, strlen(prefix)) == 0, "expected %s in:\n%s",
                prefix, r.out);
  run_free(&r);
  r = sr(work, "check", "--format", "github", "--against", "unreadable.avsc",
         "old.avsc", NULL);
  ck_assert_int_eq(r.status, 1);
  assert_contains(r.out, "::error file=old.avsc,title=sr-compat%3A invalid schema::unreadable.avsc:");
  run_free(&r);
  r = sr(work, "check", "--format", "json", "--against", "unreadable.avsc",
         "old.avsc", NULL);
  json_t *root = parse_json_output(&r);
  json_t *unit = json_array_get(json_object_get(root, "results"), 0);
  ck_assert_str_eq(json_string_value(json_object_get(unit, "status")), "invalid");
  json_t *error = json_object_get(unit, "error");
  ck_assert_str_eq(json_string_value(json_object_get(error, "source")), "unreadable.avsc");
  ck_assert_str_eq(json_string_value(json_object_get(error, "pointer")), "/fields/1/name");
  ck_assert_int_eq(json_integer_value(json_object_get(error, "line")), 3);
  json_decref(root);
  run_free(&r);
  /* The invalid default as a previous version: checked, not refused. */
  r = sr(work, "check", "--format", "json", "--against", "broken.avsc", "old.avsc",
         NULL);
  root = parse_json_output(&r);
  unit = json_array_get(json_object_get(root, "results"), 0);
  ck_assert_str_ne(json_string_value(json_object_get(unit, "status")), "invalid");
  json_decref(root);
  run_free(&r);
}
END_TEST

/* ---- check: a git repository made here ---------------------------------- */

static void make_repository(void) {
  git(work, "-c", "init.defaultBranch=main", "init", "-q", NULL);
  copy_fixture("order_v1.avsc", work, "avro/order.avsc");
  copy_fixture("order_v1.avsc", work, "avro/keep.avsc");
  write_file(work, "avro/catalog.json",
             "{\"topics\": {\"shop.order.placed\": {\"file\": \"order.avsc\", "
             "\"level\": \"FORWARD\"}}}\n");
  write_file(work, "docs/README", "documentation\n");
  git(work, "add", "-A", NULL);
  git(work, "-c", "user.name=kavro", "-c", "user.email=kavro@example.invalid",
      "commit", "-q", "-m", "v1", NULL);
  git(work, "tag", "v1", NULL);
  copy_fixture("order_v2.avsc", work, "avro/order.avsc");
  copy_fixture("order_v2_optional.avsc", work, "avro/fresh.avsc");
}

START_TEST(test_against_git) {
  make_repository();
  run_t r = sr(work, "check", "--no-catalog", "--against-git", "v1",
               "avro/order.avsc", "avro/keep.avsc", "avro/fresh.avsc", NULL);
  ck_assert_int_eq(r.status, 1);
  assert_contains(r.out, "avro/order.avsc: incompatible under BACKWARD with "
                         "v1:avro/order.avsc: 1 problem\n");
  assert_contains(r.out, "avro/keep.avsc: compatible under BACKWARD with v1:avro/keep.avsc\n");
  assert_contains(r.out, "avro/fresh.avsc: new, not in git ref v1: nothing to break\n");
  assert_contains(r.out, "3 checked: 1 compatible, 1 incompatible, 1 new, 0 invalid, 0 errors");
  run_free(&r);

  /* From a subdirectory: paths at the ref are taken from the top, and
   * annotations name files from the top as GitHub wants. */
  char *avro = path_in(work, "avro");
  r = sr(avro, "check", "--no-catalog", "--format", "github", "--against-git", "v1",
         "order.avsc", NULL);
  ck_assert_int_eq(r.status, 1);
  char *text = fixture_text("order_v2.avsc");
  int line, column;
  position_of(text, "{\n      \"name\": \"country_code\"", &line, &column);
  char prefix[128];
  snprintf(prefix, sizeof(prefix), "::error file=avro/order.avsc,line=%d,col=%d,", line,
           column);
  ck_assert_msg(strncmp(r.out, prefix, strlen(prefix)) == 0, "expected %s in:\n%s",
                prefix, r.out);
  assert_contains(r.out, "written with v1:avro/order.avsc)");
  run_free(&r);

  /* Only a new file: nothing to break. */
  r = sr(avro, "check", "--no-catalog", "--against-git", "v1", "fresh.avsc", NULL);
  ck_assert_int_eq(r.status, 0);
  run_free(&r);
  free(text);
  free(avro);
}
END_TEST

START_TEST(test_against_git_errors) {
  make_repository();
  run_t r = sr(work, "check", "--no-catalog", "--against-git", "no-such-ref",
               "avro/order.avsc", NULL);
  ck_assert_int_eq(r.status, 2);
  assert_contains(r.err, "git ref \"no-such-ref\"");
  run_free(&r);
  r = sr(work, "check", "--no-catalog", "--against-git", "--output=x", "avro/order.avsc",
         NULL);
  ck_assert_int_eq(r.status, 2);
  assert_contains(r.err, "\"--output=x\" is not a git ref");
  run_free(&r);
  /* Outside any work tree. */
  char *outside = path_in(tmp_root, "outside");
  ck_assert_int_eq(mkdir(outside, 0700), 0);
  copy_fixture("order_v1.avsc", outside, "a.avsc");
  r = sr(outside, "check", "--against-git", "v1", "a.avsc", NULL);
  ck_assert_int_eq(r.status, 2);
  assert_contains(r.err, "not inside a git work tree");
  run_free(&r);
  free(outside);
}
END_TEST

/* avro/catalog.json at the top of the repository is found from anywhere in
 * it, and its level applies unless --level says otherwise. */
START_TEST(test_default_catalog) {
  make_repository();
  char *docs = path_in(work, "docs");
  run_t r = sr(docs, "check", "--against-git", "v1", NULL);
  ck_assert_int_eq(r.status, 1);
  assert_contains(r.out, "../avro/order.avsc: incompatible under FORWARD with "
                         "v1:avro/order.avsc (subject shop.order.placed-value)");
  assert_contains(r.out, "TYPE_MISMATCH");
  run_free(&r);
  r = sr(docs, "check", "--level", "BACKWARD", "--against-git", "v1", NULL);
  ck_assert_int_eq(r.status, 1);
  assert_contains(r.out, "READER_FIELD_MISSING_DEFAULT_VALUE");
  assert_lacks(r.out, "TYPE_MISMATCH");
  run_free(&r);
  free(docs);
}
END_TEST

/* ---- the README's sample ------------------------------------------------ */

/* README.md's Guide shows `sr-compat check` refusing a new field without a
 * default in avro/projects/ServiceOrderCreated.avsc; its sample output is
 * the real one: a clone of avro/ whose origin/main is the committed schema
 * and whose work tree has README_FIELD inserted after README_AFTER.  Set
 * KAVRO_UPDATE_DOCS=1 to write the real output into README.md. */
#define README_SCHEMA "avro/projects/ServiceOrderCreated.avsc"
#define README_COMMAND                                                        \
  "$ sr-compat check --against-git origin/main " README_SCHEMA "\n"
#define README_FIELD "{ \"name\": \"priority\", \"type\": \"int\" }"
#define README_FIELD_DEFAULT                                                  \
  "{ \"name\": \"priority\", \"type\": \"int\", \"default\": 0 }"
#define README_AFTER "\"requires_confirmation_tv\""

/* @text with the line @field (indented as the fields are, and a comma)
 * inserted after the line holding README_AFTER; a new string. */
static char *with_field(const char *text, const char *field) {
  const char *at = strstr(text, README_AFTER);
  ck_assert_ptr_nonnull(at);
  const char *eol = strchr(at, '\n');
  ck_assert_ptr_nonnull(eol);
  char *out = NULL;
  append(&out, "%.*s    %s,%s", (int)(eol + 1 - text), text, field, eol + 1);
  return out;
}

START_TEST(test_readme_sample) {
  char *avro = path_in(work, "avro");
  char *from = strdup(kt_src_path("avro"));
  char *const copy[] = {"cp", "-R", from, avro, NULL};
  run_t r = run_argv(work, copy);
  ck_assert_msg(r.status == 0, "cp: %s", r.err);
  run_free(&r);
  git(work, "-c", "init.defaultBranch=main", "init", "-q", NULL);
  git(work, "add", "-A", NULL);
  git(work, "-c", "user.name=kavro", "-c", "user.email=kavro@example.invalid",
      "commit", "-q", "-m", "catalog", NULL);
  git(work, "update-ref", "refs/remotes/origin/main", "HEAD", NULL);

  char *schema_path = path_in(work, README_SCHEMA);
  char *committed = read_text(schema_path);
  char *changed = with_field(committed, README_FIELD);
  write_file(work, README_SCHEMA, changed);
  r = sr(work, "check", "--against-git", "origin/main", README_SCHEMA, NULL);
  ck_assert_msg(r.status == 1, "exit %d: %s%s", r.status, r.out, r.err);
  ck_assert_str_eq(r.err, "");

  const char *readme_path = kt_src_path("README.md");
  char *readme = read_text(readme_path);
  ck_assert_msg(strstr(readme, README_FIELD) != NULL,
                "README.md does not show the change it checks: %s",
                README_FIELD);
  char *sample = strstr(readme, README_COMMAND);
  ck_assert_msg(sample != NULL, "no \"%s\" in README.md", README_COMMAND);
  sample += strlen(README_COMMAND);
  char *sample_end = strstr(sample, "```\n");
  ck_assert_ptr_nonnull(sample_end);
  if (getenv("KAVRO_UPDATE_DOCS")) {
    char *updated = NULL;
    append(&updated, "%.*s%s%s", (int)(sample - readme), readme, r.out,
           sample_end);
    FILE *f = fopen(readme_path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(updated, f);
    ck_assert_int_eq(fclose(f), 0);
    free(updated);
  } else {
    ck_assert_msg(strlen(r.out) == (size_t)(sample_end - sample) &&
                      strncmp(sample, r.out, strlen(r.out)) == 0,
                  "README.md's sample output of sr-compat check is stale "
                  "(run KAVRO_UPDATE_DOCS=1 tests/check_sr_compat); the real "
                  "output is:\n%s",
                  r.out);
  }
  run_free(&r);

  /* "With "default": 0 on the new field the check passes." */
  free(changed);
  changed = with_field(committed, README_FIELD_DEFAULT);
  write_file(work, README_SCHEMA, changed);
  r = sr(work, "check", "--against-git", "origin/main", README_SCHEMA, NULL);
  ck_assert_msg(r.status == 0, "exit %d: %s%s", r.status, r.out, r.err);
  run_free(&r);
  free(readme);
  free(changed);
  free(committed);
  free(schema_path);
  free(from);
  free(avro);
}
END_TEST

/* ---- check: a directory and the catalog ---------------------------------- */

START_TEST(test_against_dir_catalog) {
  char *dir = path_in(data_dir(), "catalog");
  run_t r = sr(dir, "check", "--catalog", "catalog.json", "--against-dir",
               "../catalog-old", NULL);
  ck_assert_int_eq(r.status, 1);
  /* Dependency order: the shared type first; each under its own level. */
  const char *address = strstr(r.out, "common/Address.avsc: incompatible under BACKWARD"
                                      " with ../catalog-old/common/Address.avsc "
                                      "(subject com.example.common.Address)");
  const char *customer = strstr(r.out, "Customer.avsc: incompatible under BACKWARD with "
                                       "../catalog-old/Customer.avsc (subject "
                                       "crm.customer.created-value)");
  const char *ledger = strstr(r.out, "Ledger.avsc: compatible under NONE with "
                                     "../catalog-old/Ledger.avsc (subject audit-ledger)");
  ck_assert_msg(address && customer && ledger && address < customer,
                "unexpected output:\n%s", r.out);
  run_free(&r);

  /* Customer.avsc did not change, but the type it references did: its
   * previous version is read with the previous Address. */
  r = sr(dir, "check", "--catalog", "catalog.json", "--format", "json",
         "--against-dir", "../catalog-old", "Customer.avsc", NULL);
  ck_assert_int_eq(r.status, 1);
  json_t *root = parse_json_output(&r);
  json_t *results = json_object_get(root, "results");
  ck_assert_uint_eq(json_array_size(results), 1);
  json_t *unit = json_array_get(results, 0);
  ck_assert_str_eq(json_string_value(json_object_get(unit, "topic")), "crm.customer.created");
  ck_assert_str_eq(json_string_value(json_object_get(unit, "subject")),
                   "crm.customer.created-value");
  json_t *f = json_array_get(json_object_get(unit, "findings"), 0);
  ck_assert_str_eq(json_string_value(json_object_get(f, "kind")),
                   "READER_FIELD_MISSING_DEFAULT_VALUE");
  assert_contains(json_string_value(json_object_get(f, "message")), "postal_code");
  json_decref(root);
  run_free(&r);

  /* --level overrides every subject's level. */
  r = sr(dir, "check", "--catalog", "catalog.json", "--level", "NONE", "--against-dir",
         "../catalog-old", NULL);
  ck_assert_int_eq(r.status, 0);
  run_free(&r);
  /* Against an empty directory everything is new. */
  r = sr(dir, "check", "--catalog", "catalog.json", "--against-dir", work, NULL);
  ck_assert_int_eq(r.status, 0);
  assert_contains(r.out, "3 checked: 0 compatible, 0 incompatible, 3 new");
  run_free(&r);
  /* Without the catalog the reference cannot be resolved. */
  r = sr(dir, "check", "--no-catalog", "--against-dir", "../catalog-old", "Customer.avsc",
         NULL);
  ck_assert_int_eq(r.status, 1);
  assert_contains(r.out, "Customer.avsc: invalid schema: Customer.avsc:9:");
  run_free(&r);
  free(dir);
}
END_TEST

static const struct {
  const char *catalog;
  const char *says;
} catalog_errors[] = {
    {"{\"topics\": {\"t\": {\"file\": \"a.avsc\", \"refrences\": []}}}",
     "catalog.json: /topics/t: unknown member \"refrences\""},
    {"{\"topics\": {\"t\": {\"file\": \"missing.avsc\"}}}",
     "catalog.json: /topics/t: cannot open \"missing.avsc\", listed here"},
    {"{\"topics\": {\"t\": {\"file\": \"a.avsc\", \"references\": [\"b.avsc\"]},"
     " \"u\": {\"file\": \"b.avsc\", \"references\": [\"a.avsc\"]}}}",
     "references form a cycle: a.avsc -> b.avsc -> a.avsc"},
    {"{\"topics\": {\"t\": {\"file\": \"a.avsc\", \"level\": \"SOMETIMES\"}}}",
     "unknown compatibility level \"SOMETIMES\""},
    {"{\"topics\": {\"t\": {\"file\": \"a.avsc\", \"key\": \"{country\"}}}",
     "is not a key template"},
    {"{\"topics\": {\"t\": {\"file\": \"a.avsc\", \"references\": [{\"name\": \"X\"}]}}}",
     "/topics/t/references/0: \"file\" is required"},
    {"{\"topics\": {\"t/1\": {\"file\": \"/etc/a.avsc\"}}}",
     "/topics/t~11: \"/etc/a.avsc\": paths are relative to the catalog"},
    {"{\"topics\": {\"t\": {\"file\": \"a.avsc\",}}}", "catalog.json:1:"},
    {"[]", "a catalog is a JSON object"},
};

START_TEST(test_catalog_errors) {
  copy_fixture("order_v1.avsc", work, "a.avsc");
  copy_fixture("order_v1.avsc", work, "b.avsc");
  write_file(work, "catalog.json", catalog_errors[_i].catalog);
  run_t r = sr(work, "lint", "--catalog", "catalog.json", NULL);
  ck_assert_msg(r.status == 2, "case %d: exit %d", _i, r.status);
  assert_contains(r.err, catalog_errors[_i].says);
  run_free(&r);
}
END_TEST

/* ---- lint --------------------------------------------------------------- */

static const struct {
  const char *file;
  const char *rule;
  const char *needle; /* where the finding must be placed */
  bool valid;         /* the schema parses */
} lint_cases[] = {
    {"logical_type_on_field.avsc", "logical-type-on-field", "\"logicalType\"", true},
    {"nullable_without_default.avsc", "nullable-without-default",
     "{\"name\": \"assignee\"", true},
    {"null_not_first.avsc", "null-not-first", "\"default\": null", false},
    {"enum_without_default.avsc", "enum-without-default", "\"name\": \"TvOutcome\"", true},
    {"unportable_name.avsc", "unportable-name", "\"name\": \"_Shipment\"", true},
    {"missing_doc.avsc", "missing-doc", "\"name\": \"PaymentReady\"", true},
    {"schema_warning.avsc", "schema-warning", "\"type\": {\"type\": \"bytes\"", true},
    {"invalid_disable.avsc", "invalid-disable", "\"sr-compat.disable\"", true},
};

/* Lint @file (in @cwd) with rule missing-doc on, plus @extra (may be NULL);
 * returns the findings of the one result. */
static json_t *lint_json(const char *cwd, const char *file, const char *extra,
                         const char *extra_arg, run_t *r) {
  if (extra)
    *r = sr(cwd, "lint", "--no-catalog", "--enable", "missing-doc", "--format", "json",
            extra, extra_arg, file, NULL);
  else
    *r = sr(cwd, "lint", "--no-catalog", "--enable", "missing-doc", "--format", "json",
            file, NULL);
  return parse_json_output(r);
}

static size_t count_kind(json_t *root, const char *kind, json_t **first) {
  size_t n = 0;
  size_t i, k;
  json_t *unit, *f;
  json_array_foreach(json_object_get(root, "results"), i, unit) {
    json_array_foreach(json_object_get(unit, "findings"), k, f) {
      if (strcmp(json_string_value(json_object_get(f, "kind")), kind) == 0) {
        if (n++ == 0 && first)
          *first = f;
      }
    }
  }
  return n;
}

START_TEST(test_lint_rule_fires) {
  const char *dir = kt_src_path("tests/data/sr-compat/lint");
  run_t r;
  json_t *root = lint_json(dir, lint_cases[_i].file, NULL, NULL, &r);
  ck_assert_int_eq(r.status, 1);
  json_t *f = NULL;
  ck_assert_msg(count_kind(root, lint_cases[_i].rule, &f) >= 1, "%s did not fire:\n%s",
                lint_cases[_i].rule, r.out);
  char *path = path_in(dir, lint_cases[_i].file);
  char *text = read_text(path);
  int line, column;
  position_of(text, lint_cases[_i].needle, &line, &column);
  ck_assert_int_eq(json_integer_value(json_object_get(f, "line")), line);
  ck_assert_int_eq(json_integer_value(json_object_get(f, "column")), column);
  ck_assert_str_eq(json_string_value(json_object_get(f, "severity")), "warning");
  ck_assert_uint_gt(strlen(json_string_value(json_object_get(f, "fix"))), 10);
  ck_assert_uint_gt(strlen(json_string_value(json_object_get(f, "pointer"))), 0);
  json_t *unit = json_array_get(json_object_get(root, "results"), 0);
  ck_assert_str_eq(json_string_value(json_object_get(unit, "status")),
                   lint_cases[_i].valid ? "warnings" : "invalid");
  free(text);
  free(path);
  json_decref(root);
  run_free(&r);
}
END_TEST

START_TEST(test_lint_rule_disabled_by_flag) {
  const char *dir = kt_src_path("tests/data/sr-compat/lint");
  run_t r;
  json_t *root = lint_json(dir, lint_cases[_i].file, "--disable", lint_cases[_i].rule, &r);
  ck_assert_uint_eq(count_kind(root, lint_cases[_i].rule, NULL), 0);
  json_decref(root);
  run_free(&r);
}
END_TEST

/* "sr-compat.disable" on the top-level object covers the whole schema. */
START_TEST(test_lint_rule_disabled_in_schema) {
  char *path = path_in(kt_src_path("tests/data/sr-compat/lint"), lint_cases[_i].file);
  json_t *schema = json_load_file(path, JSON_PRESERVE_ORDER, NULL);
  ck_assert_ptr_nonnull(schema);
  json_t *list = json_object_get(schema, "sr-compat.disable");
  if (!list) {
    list = json_array();
    json_object_set_new(schema, "sr-compat.disable", list);
  }
  json_array_append_new(list, json_string(lint_cases[_i].rule));
  char *text = json_dumps(schema, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
  write_file(work, "silenced.avsc", text);
  run_t r;
  json_t *root = lint_json(work, "silenced.avsc", NULL, NULL, &r);
  ck_assert_msg(count_kind(root, lint_cases[_i].rule, NULL) == 0, "%s still fires:\n%s",
                lint_cases[_i].rule, r.out);
  json_decref(root);
  run_free(&r);
  free(text);
  json_decref(schema);
  free(path);
}
END_TEST

/* On a field, the property covers that field only. */
START_TEST(test_lint_disable_scope) {
  const char *dir = kt_src_path("tests/data/sr-compat/lint");
  run_t r;
  json_t *root = lint_json(dir, "field_scoped.avsc", NULL, NULL, &r);
  json_t *f = NULL;
  ck_assert_uint_eq(count_kind(root, "logical-type-on-field", &f), 1);
  ck_assert_str_eq(json_string_value(json_object_get(f, "pointer")), "/fields/1/logicalType");
  json_decref(root);
  run_free(&r);
}
END_TEST

START_TEST(test_lint_duplicate_type) {
  const char *dir = kt_src_path("tests/data/sr-compat/lint");
  run_t r = sr(dir, "lint", "--no-catalog", "--format", "json", "duplicate_a.avsc",
               "duplicate_b.avsc", NULL);
  ck_assert_int_eq(r.status, 1);
  json_t *root = parse_json_output(&r);
  json_t *f = NULL;
  ck_assert_uint_eq(count_kind(root, "duplicate-type", &f), 2);
  assert_contains(json_string_value(json_object_get(f, "message")),
                  "com.example.common.Money");
  assert_contains(json_string_value(json_object_get(f, "message")), "duplicate_b.avsc:");
  json_decref(root);
  run_free(&r);
  /* Each file alone is fine. */
  r = sr(dir, "lint", "--no-catalog", "duplicate_a.avsc", NULL);
  ck_assert_int_eq(r.status, 0);
  run_free(&r);
  r = sr(dir, "lint", "--no-catalog", "--disable", "duplicate-type", "duplicate_a.avsc",
         "duplicate_b.avsc", NULL);
  ck_assert_int_eq(r.status, 0);
  run_free(&r);
  /* Silenced on the record of one file, the other still reports. */
  char *text = read_text(kt_src_path("tests/data/sr-compat/lint/duplicate_b.avsc"));
  char *marked = malloc(strlen(text) + 64);
  sprintf(marked, "{\"sr-compat.disable\": [\"duplicate-type\"],%s", text + 1);
  write_file(work, "b.avsc", marked);
  copy_fixture("lint/duplicate_a.avsc", work, "a.avsc");
  r = sr(work, "lint", "--no-catalog", "--format", "json", "a.avsc", "b.avsc", NULL);
  root = parse_json_output(&r);
  ck_assert_uint_eq(count_kind(root, "duplicate-type", &f), 1);
  assert_contains(json_string_value(json_object_get(f, "message")), "b.avsc:");
  json_decref(root);
  run_free(&r);
  free(marked);
  free(text);
}
END_TEST

START_TEST(test_lint_text_and_defaults) {
  const char *dir = kt_src_path("tests/data/sr-compat/lint");
  run_t r = sr(dir, "lint", "--no-catalog", "clean.avsc", NULL);
  ck_assert_str_eq(r.out, "clean.avsc: clean\nsr-compat lint: 1 file: 1 clean, 0 with "
                          "warnings, 0 invalid, 0 errors\n");
  ck_assert_int_eq(r.status, 0);
  run_free(&r);
  /* missing-doc is off unless enabled. */
  r = sr(dir, "lint", "--no-catalog", "missing_doc.avsc", NULL);
  ck_assert_int_eq(r.status, 0);
  run_free(&r);
  r = sr(dir, "lint", "--no-catalog", "nullable_without_default.avsc", NULL);
  char *text = read_text(kt_src_path("tests/data/sr-compat/lint/nullable_without_default.avsc"));
  int line, column;
  position_of(text, "{\"name\": \"assignee\"", &line, &column);
  char expected[1024];
  snprintf(expected, sizeof(expected),
           "nullable_without_default.avsc:%d:%d: warning: nullable-without-default: "
           "nullable field `assignee` has no default, so it can never be added or "
           "removed compatibly\n    fix: add \"default\": null (at /fields/1)\n"
           "sr-compat lint: 1 file: 0 clean, 1 with warnings, 0 invalid, 0 errors\n",
           line, column);
  ck_assert_str_eq(r.out, expected);
  ck_assert_int_eq(r.status, 1);
  run_free(&r);
  free(text);
}
END_TEST

START_TEST(test_lint_formats) {
  const char *dir = kt_src_path("tests/data/sr-compat/lint");
  run_t r = sr(dir, "lint", "--no-catalog", "--format", "junit", "unportable_name.avsc",
               "clean.avsc", NULL);
  int failures, cases;
  const char *problem = xml_check(r.out, "failure", &failures);
  ck_assert_msg(problem == NULL, "%s in:\n%s", problem, r.out);
  xml_check(r.out, "testcase", &cases);
  ck_assert_int_eq(cases, 2);
  ck_assert_int_eq(failures, 4);
  ck_assert_int_eq(r.status, 1);
  run_free(&r);
  r = sr(dir, "lint", "--no-catalog", "--format", "github", "unportable_name.avsc", NULL);
  regex_t re;
  ck_assert_int_eq(regcomp(&re, "^::warning file=[^,:]+,line=[1-9][0-9]*,col=[1-9][0-9]*,"
                                "title=sr-compat%3A unportable-name::[^\n]+%0Afix: [^\n]+$",
                           REG_EXTENDED | REG_NOSUB), 0);
  int annotations = 0;
  for (char *line = strtok(r.out, "\n"); line; line = strtok(NULL, "\n"))
    if (strncmp(line, "::", 2) == 0) {
      ck_assert_msg(regexec(&re, line, 0, NULL, 0) == 0, "bad annotation: %s", line);
      annotations++;
    }
  ck_assert_int_eq(annotations, 4);
  regfree(&re);
  run_free(&r);
}
END_TEST

/* Each kind of unportable name, including one the parser refuses: that
 * finding is placed where the parser failed. */
START_TEST(test_lint_unportable_names) {
  write_file(work, "names.avsc",
             "{\"type\": \"record\", \"name\": \"Visit\", \"doc\": \"d\", \"fields\": [\n"
             "  {\"name\": \"class\", \"type\": \"string\"},\n"
             "  {\"name\": \"gr\xc3\xb6\xc3\x9f" "e\", \"type\": \"int\"}\n]}\n");
  run_t r;
  json_t *root = lint_json(work, "names.avsc", NULL, NULL, &r);
  ck_assert_int_eq(r.status, 1);
  json_t *unit = json_array_get(json_object_get(root, "results"), 0);
  ck_assert_str_eq(json_string_value(json_object_get(unit, "status")), "invalid");
  json_t *error = json_object_get(unit, "error");
  ck_assert_str_eq(json_string_value(json_object_get(error, "pointer")), "/fields/1/name");
  json_t *findings = json_object_get(unit, "findings");
  ck_assert_uint_eq(json_array_size(findings), 2);
  json_t *keyword = json_array_get(findings, 0);
  assert_contains(json_string_value(json_object_get(keyword, "message")),
                  "field `class` is a reserved word in Java and Python");
  /* Elsewhere in a file that does not parse, there is no position: the
   * schema's locator needs a parsed schema. */
  ck_assert(json_is_null(json_object_get(keyword, "line")));
  ck_assert_str_eq(json_string_value(json_object_get(keyword, "pointer")), "/fields/0/name");
  json_t *ascii = json_array_get(findings, 1);
  assert_contains(json_string_value(json_object_get(ascii, "message")), "non-ASCII");
  ck_assert_str_eq(json_string_value(json_object_get(ascii, "pointer")), "/fields/1/name");
  /* Without a parsed schema, the position is the parser's. */
  ck_assert_int_eq(json_integer_value(json_object_get(ascii, "line")),
                   json_integer_value(json_object_get(error, "line")));
  ck_assert_int_eq(json_integer_value(json_object_get(ascii, "column")),
                   json_integer_value(json_object_get(error, "column")));
  json_decref(root);
  run_free(&r);
}
END_TEST

/* With the catalog, references are parsed first, so a schema that uses a
 * shared type lints clean; without it, it is invalid. */
START_TEST(test_lint_catalog) {
  char *dir = path_in(data_dir(), "catalog");
  run_t r = sr(dir, "lint", "--catalog", "catalog.json", NULL);
  ck_assert_int_eq(r.status, 0);
  assert_contains(r.out, "sr-compat lint: 3 files: 3 clean");
  run_free(&r);
  r = sr(dir, "lint", "--no-catalog", "Customer.avsc", NULL);
  ck_assert_int_eq(r.status, 1);
  assert_contains(r.out, "Customer.avsc: invalid schema: ");
  run_free(&r);
  free(dir);
}
END_TEST

/* ---- suite -------------------------------------------------------------- */

/* ---- registry mode ------------------------------------------------------ */

static kavro_mock_t *mock;
static char mock_url[128];

static void registry_setup(void) {
  setup();
  /* Only what a test sets reaches the program. */
  unsetenv("SCHEMA_REGISTRY_URL");
  unsetenv("SR_COMPAT_BASIC_AUTH");
  ck_assert_int_eq(kavro_mock_new(NULL, &mock, NULL), KAVRO_OK);
  ck_assert_int_eq(kavro_mock_listen(mock, NULL, 0, NULL), KAVRO_OK);
  snprintf(mock_url, sizeof(mock_url), "%s", kavro_mock_url(mock));
}

static void registry_teardown(void) {
  kavro_mock_destroy(mock);
  mock = NULL;
  teardown();
}

/* Set @subject's level through kavro's own client, as an operator would. */
static void set_level(const char *subject, const char *level) {
  kavro_conf_t *conf = kavro_conf_new();
  ck_assert_int_eq(kavro_conf_set(conf, "schema.registry.url", mock_url, NULL),
                   KAVRO_OK);
  kavro_error_t error;
  kavro_registry_t *registry = kavro_registry_new(conf, &error);
  ck_assert_msg(registry != NULL, "%s", error.text);
  ck_assert_int_eq(kavro_registry_set_level(registry, subject, level, NULL),
                   KAVRO_OK);
  kavro_registry_destroy(registry);
}

/* An order, its first version. */
static const char order_v1[] =
    "{\n"
    "  \"type\": \"record\", \"name\": \"Order\", \"namespace\": \"shop\",\n"
    "  \"fields\": [\n"
    "    {\"name\": \"id\", \"type\": \"string\"},\n"
    "    {\"name\": \"note\", \"type\": \"string\"}\n"
    "  ]\n"
    "}\n";
/* A field added without a default: new readers cannot read old events
 * (BACKWARD breaks), old readers ignore it (FORWARD holds). */
static const char order_added[] =
    "{\n"
    "  \"type\": \"record\", \"name\": \"Order\", \"namespace\": \"shop\",\n"
    "  \"fields\": [\n"
    "    {\"name\": \"id\", \"type\": \"string\"},\n"
    "    {\"name\": \"note\", \"type\": \"string\"},\n"
    "    {\"name\": \"country\", \"type\": \"string\"}\n"
    "  ]\n"
    "}\n";
/* A field without a default dropped: BACKWARD holds, FORWARD breaks. */
static const char order_dropped[] =
    "{\n"
    "  \"type\": \"record\", \"name\": \"Order\", \"namespace\": \"shop\",\n"
    "  \"fields\": [\n"
    "    {\"name\": \"id\", \"type\": \"string\"}\n"
    "  ]\n"
    "}\n";

/* What the engine says of @candidate against @previous under @level. */
static bool engine_compatible(kavro_compat_level_t level, const char *candidate,
                              const char *previous) {
  kavro_schema_t *cand = NULL, *prev = NULL;
  ck_assert_int_eq(kavro_schema_parse(candidate, strlen(candidate), NULL, &cand,
                                      NULL), KAVRO_OK);
  ck_assert_int_eq(kavro_schema_parse(previous, strlen(previous), NULL, &prev,
                                      NULL), KAVRO_OK);
  kavro_compat_result_t *result = NULL;
  ck_assert_int_eq(kavro_compat_check_level(level, cand, &prev, 1, &result, NULL),
                   KAVRO_OK);
  bool compatible = kavro_compat_result_is_compatible(result);
  kavro_compat_result_destroy(result);
  kavro_schema_destroy(cand);
  kavro_schema_destroy(prev);
  return compatible;
}

/* Write the three orders to work/ and register v1 under shop-value. */
static void register_order_v1(void) {
  write_file(work, "v1.avsc", order_v1);
  write_file(work, "added.avsc", order_added);
  write_file(work, "dropped.avsc", order_dropped);
  run_t r = sr(work, "register", "--no-catalog", "--registry", mock_url,
               "--subject", "shop-value", "v1.avsc", NULL);
  ck_assert_msg(r.status == 0, "register failed:\n%s%s", r.out, r.err);
  assert_contains(r.out, "v1.avsc: registered: subject shop-value version 1 id ");
  run_free(&r);
}

static json_t *only_result(json_t *root) {
  json_t *results = json_object_get(root, "results");
  ck_assert_uint_eq(json_array_size(results), 1);
  return json_array_get(results, 0);
}

static const char *member_str(json_t *obj, const char *key) {
  json_t *value = json_object_get(obj, key);
  ck_assert_msg(json_is_string(value), "\"%s\" is not a string", key);
  return json_string_value(value);
}

/* Files a run over @catalog reports on: one unit per topic, plus one per
 * referenced file that is no topic's schema. */
static size_t catalog_units(const char *catalog) {
  json_t *root = json_load_file(catalog, 0, NULL);
  ck_assert_ptr_nonnull(root);
  json_t *topics = json_object_get(root, "topics");
  json_t *topic_files = json_object(), *ref_files = json_object();
  const char *name;
  json_t *topic;
  json_object_foreach(topics, name, topic) {
    json_object_set(topic_files, member_str(topic, "file"), json_true());
    size_t i;
    json_t *ref;
    json_array_foreach(json_object_get(topic, "references"), i, ref)
      json_object_set(ref_files,
                      json_is_string(ref) ? json_string_value(ref)
                                          : member_str(ref, "file"),
                      json_true());
  }
  size_t units = json_object_size(topics);
  const char *file;
  json_t *value;
  json_object_foreach(ref_files, file, value)
    units += json_object_get(topic_files, file) == NULL;
  json_decref(topic_files);
  json_decref(ref_files);
  json_decref(root);
  return units;
}

/* Index of the result for @file in @results, which must hold it. */
static size_t result_index(json_t *results, const char *file) {
  for (size_t i = 0; i < json_array_size(results); i++)
    if (strcmp(member_str(json_array_get(results, i), "file"), file) == 0)
      return i;
  ck_abort_msg("no result for %s", file);
  return 0;
}

/* Does the saved store hold a schema with reference {name, subject,
 * version}? */
static bool store_has_reference(const char *name, const char *subject,
                                int version) {
  char *path = path_in(tmp_root, "store.json");
  ck_assert_int_eq(kavro_mock_save(mock, path, NULL), KAVRO_OK);
  json_t *root = json_load_file(path, 0, NULL);
  free(path);
  ck_assert_ptr_nonnull(root);
  bool found = false;
  size_t i, k;
  json_t *schema, *ref;
  json_array_foreach(json_object_get(root, "schemas"), i, schema)
    json_array_foreach(json_object_get(schema, "references"), k, ref)
      found = found ||
              (strcmp(member_str(ref, "name"), name) == 0 &&
               strcmp(member_str(ref, "subject"), subject) == 0 &&
               json_integer_value(json_object_get(ref, "version")) == version);
  json_decref(root);
  return found;
}

START_TEST(test_registry_register_catalog) {
  char *avro = strdup(kt_src_path("avro"));
  char *catalog = path_in(avro, "catalog.json");
  size_t units = catalog_units(catalog);
  run_t r = sr(avro, "register", "--catalog", "catalog.json", "--registry",
               mock_url, "--format", "json", NULL);
  ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
  json_t *first = parse_json_output(&r);
  run_free(&r);
  json_t *results = json_object_get(first, "results");
  ck_assert_uint_eq(json_array_size(results), units);
  uint64_t registrations =
      kavro_mock_request_count(mock, "POST /subjects/{subject}/versions");
  ck_assert_uint_eq(registrations, units);
  for (size_t i = 0; i < units; i++) {
    json_t *unit = json_array_get(results, i);
    ck_assert_str_eq(member_str(unit, "status"), "registered");
    ck_assert_int_eq(json_integer_value(json_object_get(unit, "version")), 1);
    ck_assert_int_gt(json_integer_value(json_object_get(unit, "id")), 0);
  }
  /* Referenced types first, under the subject the catalog gives them, and
   * referenced by the schemas that use them. */
  ck_assert_uint_lt(result_index(results, "common/Address.avsc"),
                    result_index(results, "projects/ProjectCreated.avsc"));
  ck_assert(store_has_reference("com.ahs.fsm.common.Address",
                                "com.ahs.fsm.common.Address", 1));

  /* Again: the same subjects, versions and ids, and nothing registered. */
  r = sr(avro, "register", "--catalog", "catalog.json", "--registry", mock_url,
         "--format", "json", NULL);
  ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
  json_t *second = parse_json_output(&r);
  run_free(&r);
  json_t *again = json_object_get(second, "results");
  ck_assert_uint_eq(json_array_size(again), units);
  for (size_t i = 0; i < units; i++) {
    json_t *a = json_array_get(results, i), *b = json_array_get(again, i);
    ck_assert_str_eq(member_str(b, "status"), "unchanged");
    ck_assert_str_eq(member_str(a, "subject"), member_str(b, "subject"));
    ck_assert(json_equal(json_object_get(a, "version"), json_object_get(b, "version")));
    ck_assert(json_equal(json_object_get(a, "id"), json_object_get(b, "id")));
  }
  ck_assert_uint_eq(kavro_mock_request_count(mock, "POST /subjects/{subject}/versions"),
                    registrations);
  json_decref(first);
  json_decref(second);

  /* And the whole tree checks clean against what was registered, the
   * registry agreeing. */
  r = sr(avro, "check", "--catalog", "catalog.json", "--registry", mock_url,
         "--confirm", NULL);
  ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
  assert_contains(r.out, "0 incompatible, 0 new, 0 invalid, 0 errors, 0 "
                         "disagreements with the registry");
  assert_lacks(r.out, "registry disagrees");
  run_free(&r);
  free(catalog);
  free(avro);
}
END_TEST

/* The subject's level as the registry has it; what kavro and the registry
 * say of each candidate under it. */
static const struct {
  const char *level;  /* set on the subject; NULL: the global BACKWARD */
  kavro_compat_level_t engine_level;
  bool added_ok, dropped_ok;
} level_cases[] = {
    {NULL, KAVRO_COMPAT_BACKWARD, false, true},
    {"FORWARD", KAVRO_COMPAT_FORWARD, true, false},
    {"FULL", KAVRO_COMPAT_FULL, false, false},
    {"BACKWARD", KAVRO_COMPAT_BACKWARD, false, true},
};

static void check_verdict(const char *file, bool expected,
                          kavro_compat_level_t level) {
  run_t r = sr(work, "check", "--no-catalog", "--registry", mock_url, "--confirm",
               "--subject", "shop-value", "--format", "json", file, NULL);
  ck_assert_msg(r.status == (expected ? 0 : 1), "%s under %s: status %d\n%s%s",
                file, kavro_compat_level_name(level), r.status, r.out, r.err);
  json_t *root = parse_json_output(&r);
  json_t *unit = only_result(root);
  ck_assert_str_eq(member_str(unit, "level"), kavro_compat_level_name(level));
  ck_assert_str_eq(member_str(unit, "status"), expected ? "compatible" : "incompatible");
  ck_assert_str_eq(member_str(unit, "subject"), "shop-value");
  json_t *registry = json_object_get(unit, "registry");
  ck_assert_str_eq(member_str(registry, "verdict"), "agrees");
  ck_assert(json_is_true(json_object_get(registry, "compatible")) == expected);
  ck_assert_str_eq(member_str(root, "registry"), mock_url);
  json_decref(root);
  run_free(&r);
}

START_TEST(test_registry_check_levels) {
  register_order_v1();
  for (size_t i = 0; i < sizeof(level_cases) / sizeof(level_cases[0]); i++) {
    if (level_cases[i].level)
      set_level("shop-value", level_cases[i].level);
    kavro_compat_level_t level = level_cases[i].engine_level;
    /* The expectations are the engine's, and they are what they should. */
    ck_assert(engine_compatible(level, order_added, order_v1) ==
              level_cases[i].added_ok);
    ck_assert(engine_compatible(level, order_dropped, order_v1) ==
              level_cases[i].dropped_ok);
    check_verdict("added.avsc", level_cases[i].added_ok, level);
    check_verdict("dropped.avsc", level_cases[i].dropped_ok, level);
  }
  /* --level overrides the subject's level (BACKWARD again); the registry,
   * which would judge under BACKWARD, is not asked the same question. */
  run_t r = sr(work, "check", "--registry", mock_url, "--level", "FORWARD",
               "--confirm", "--subject", "shop-value", "added.avsc", NULL);
  ck_assert_int_eq(r.status, 0);
  assert_contains(r.out, "added.avsc: compatible under FORWARD with shop-value "
                         "version 1 (subject shop-value)");
  assert_contains(r.out, "registry not asked: checked under FORWARD (--level), but "
                         "the registry judges subject shop-value under BACKWARD");
  run_free(&r);
  set_level("shop-value", "FORWARD");
  r = sr(work, "check", "--registry", mock_url, "--level", "BACKWARD", "--subject",
         "shop-value", "dropped.avsc", NULL);
  ck_assert_int_eq(r.status, 0);
  assert_contains(r.out, "compatible under BACKWARD");
  run_free(&r);
}
END_TEST

/* A subject holding a schema the specification forbids (registries hold
 * them): a change is checked against it, from a file as from the
 * registry, and the registry agrees with the verdict. */
START_TEST(test_registry_legacy_subject) {
  static const char worse[] =
      "{\"type\":\"record\",\"name\":\"Legacy\",\"namespace\":\"com.acme\","
      "\"fields\":[{\"name\":\"id\",\"type\":\"long\"},"
      "{\"name\":\"w\",\"type\":\"string\"}]}";
  write_file(work, "new.avsc", kt_legacy_v1);
  write_file(work, "worse.avsc", worse);
  for (size_t i = 0; i < kt_legacy_count; i++) {
    const kt_legacy_t *c = &kt_legacy[i];
    write_file(work, "old.avsc", c->text);
    run_t r = sr(work, "check", "--no-catalog", "--against", "old.avsc",
                 "new.avsc", NULL);
    ck_assert_msg(r.status == 0, "%s: status %d\n%s%s", c->name, r.status,
                  r.out, r.err);
    run_free(&r);
    r = sr(work, "check", "--no-catalog", "--against", "old.avsc", "worse.avsc",
           NULL);
    ck_assert_msg(r.status == 1, "%s: status %d\n%s%s", c->name, r.status,
                  r.out, r.err);
    assert_contains(r.out, "incompatible");
    run_free(&r);

    kt_mock_hold(mock, "shop-value", &c->text, 1);
    check_verdict("new.avsc", true, KAVRO_COMPAT_BACKWARD);
    check_verdict("worse.avsc", false, KAVRO_COMPAT_BACKWARD);
  }
  /* The candidate itself stays strict: a legacy schema is refused as a
   * new version. */
  write_file(work, "legacy.avsc", kt_legacy[0].text);
  run_t r = sr(work, "check", "--no-catalog", "--against", "new.avsc",
               "legacy.avsc", NULL);
  ck_assert_int_ne(r.status, 0);
  run_free(&r);
}
END_TEST

START_TEST(test_registry_transitive) {
  /* Version 2 drops `note`; the candidate brings it back as a string with a
   * default: readable after version 2, not after version 1's int. */
  static const char v1[] = "{\"type\": \"record\", \"name\": \"T\", \"fields\": ["
                           "{\"name\": \"id\", \"type\": \"string\"},"
                           "{\"name\": \"note\", \"type\": \"int\"}]}";
  static const char v2[] = "{\"type\": \"record\", \"name\": \"T\", \"fields\": ["
                           "{\"name\": \"id\", \"type\": \"string\"}]}";
  static const char v3[] = "{\"type\": \"record\", \"name\": \"T\", \"fields\": ["
                           "{\"name\": \"id\", \"type\": \"string\"},"
                           "{\"name\": \"note\", \"type\": \"string\", \"default\": \"\"}]}";
  write_file(work, "v1.avsc", v1);
  write_file(work, "v2.avsc", v2);
  write_file(work, "v3.avsc", v3);
  set_level("t-value", "NONE");
  for (int i = 1; i <= 2; i++) {
    run_t r = sr(work, "register", "--registry", mock_url, "--topic", "t",
                 i == 1 ? "v1.avsc" : "v2.avsc", NULL);
    ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
    run_free(&r);
  }
  set_level("t-value", "BACKWARD");
  run_t r = sr(work, "check", "--registry", mock_url, "--confirm", "--topic", "t",
               "v3.avsc", NULL);
  ck_assert_int_eq(r.status, 0);
  assert_contains(r.out, "v3.avsc: compatible under BACKWARD with t-value version 2");
  assert_contains(r.out, "registry agrees: compatible");
  run_free(&r);
  set_level("t-value", "BACKWARD_TRANSITIVE");
  r = sr(work, "check", "--registry", mock_url, "--confirm", "--topic", "t",
         "--format", "json", "v3.avsc", NULL);
  ck_assert_int_eq(r.status, 1);
  json_t *root = parse_json_output(&r);
  json_t *unit = only_result(root);
  ck_assert_str_eq(member_str(unit, "topic"), "t");
  ck_assert_uint_eq(json_array_size(json_object_get(unit, "previous")), 2);
  json_t *finding = json_array_get(json_object_get(unit, "findings"), 0);
  ck_assert_str_eq(member_str(finding, "kind"), "TYPE_MISMATCH");
  ck_assert_str_eq(member_str(finding, "previous"), "t-value version 1");
  /* The registry was asked about each version, and agrees. */
  ck_assert_str_eq(member_str(json_object_get(unit, "registry"), "verdict"), "agrees");
  ck_assert_uint_eq(kavro_mock_request_count(
                        mock, "POST /compatibility/subjects/{subject}/versions/{version}"),
                    3);
  json_decref(root);
  run_free(&r);
}
END_TEST

START_TEST(test_registry_disagreement) {
  register_order_v1();
  set_level("shop-value", "FORWARD");
  /* The registry hides the subject's level from kavro once: kavro judges
   * under BACKWARD, the registry under FORWARD. */
  kavro_mock_fault_t hide = {KAVRO_MOCK_FAULT_ERROR, "GET", "/config/", 404,
                             40408, -1};
  ck_assert_int_eq(kavro_mock_push_fault(mock, &hide, 1, NULL), KAVRO_OK);
  run_t r = sr(work, "check", "--registry", mock_url, "--confirm", "--subject",
               "shop-value", "added.avsc", NULL);
  ck_assert_int_eq(r.status, 2);
  assert_contains(r.out, "added.avsc: incompatible under BACKWARD");
  assert_contains(r.out, "registry disagrees: compatible");
  assert_contains(r.out, "1 disagreement with the registry");
  run_free(&r);

  ck_assert_int_eq(kavro_mock_push_fault(mock, &hide, 1, NULL), KAVRO_OK);
  r = sr(work, "check", "--registry", mock_url, "--confirm", "--subject",
         "shop-value", "--format", "json", "added.avsc", NULL);
  ck_assert_int_eq(r.status, 2);
  json_t *root = parse_json_output(&r);
  ck_assert_int_eq(json_integer_value(json_object_get(root, "exit_code")), 2);
  ck_assert_int_eq(json_integer_value(json_object_get(
                       json_object_get(root, "summary"), "disagreements")), 1);
  ck_assert_str_eq(member_str(json_object_get(only_result(root), "registry"),
                              "verdict"), "disagrees");
  json_decref(root);
  run_free(&r);

  /* Told to warn, kavro's verdict decides. */
  ck_assert_int_eq(kavro_mock_push_fault(mock, &hide, 1, NULL), KAVRO_OK);
  r = sr(work, "check", "--registry", mock_url, "--confirm", "--on-disagreement",
         "warn", "--subject", "shop-value", "--format", "github", "added.avsc", NULL);
  ck_assert_int_eq(r.status, 1);
  assert_contains(r.out, "::warning file=added.avsc,title=sr-compat%3A registry "
                         "disagrees::the registry says compatible, kavro says "
                         "incompatible");
  run_free(&r);
  r = sr(work, "check", "--registry", mock_url, "--confirm", "--on-disagreement",
         "sometimes", "--subject", "shop-value", "added.avsc", NULL);
  ck_assert_int_eq(r.status, 2);
  assert_contains(r.err, "--on-disagreement takes error or warn");
  run_free(&r);
}
END_TEST

/* The catalog fixture as it was (registered) and as it is now (checked):
 * Address gained a required postal_code, Ledger's amount became a string. */
START_TEST(test_registry_references) {
  copy_fixture("catalog/catalog.json", work, "catalog.json");
  static const char *const files[] = {"Customer.avsc", "Ledger.avsc",
                                      "common/Address.avsc"};
  for (size_t i = 0; i < 3; i++) {
    char *old = path_in("catalog-old", files[i]);
    copy_fixture(old, work, files[i]);
    free(old);
  }
  run_t r = sr(work, "register", "--catalog", "catalog.json", "--registry",
               mock_url, NULL);
  ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
  assert_contains(r.out, "common/Address.avsc: registered: subject "
                         "com.example.common.Address version 1");
  assert_contains(r.out, "Customer.avsc: registered: subject "
                         "crm.customer.created-value version 1");
  assert_contains(r.out, "3 schemas: 3 registered, 0 unchanged");
  run_free(&r);
  ck_assert(store_has_reference("com.example.common.Address",
                                "com.example.common.Address", 1));
  for (size_t i = 0; i < 3; i++) {
    char *now = path_in("catalog", files[i]);
    copy_fixture(now, work, files[i]);
    free(now);
  }
  r = sr(work, "check", "--catalog", "catalog.json", "--registry", mock_url,
         "--confirm", "--format", "json", NULL);
  ck_assert_int_eq(r.status, 1);
  json_t *root = parse_json_output(&r);
  json_t *results = json_object_get(root, "results");
  ck_assert_uint_eq(json_array_size(results), 3);
  /* Customer.avsc did not change, but the version registered was read with
   * the Address it references, through the registry's reference. */
  json_t *customer = json_array_get(results, result_index(results, "Customer.avsc"));
  ck_assert_str_eq(member_str(customer, "status"), "incompatible");
  json_t *finding = json_array_get(json_object_get(customer, "findings"), 0);
  assert_contains(member_str(finding, "message"), "postal_code");
  /* The registry cannot be asked about it: the Address it uses now is not
   * registered. */
  json_t *confirm = json_object_get(customer, "registry");
  ck_assert_str_eq(member_str(confirm, "verdict"), "skipped");
  assert_contains(member_str(confirm, "note"), "common/Address.avsc");
  /* The registry's level wins over the catalog's NONE for audit-ledger. */
  json_t *ledger = json_array_get(results, result_index(results, "Ledger.avsc"));
  ck_assert_str_eq(member_str(ledger, "level"), "BACKWARD");
  ck_assert_str_eq(member_str(ledger, "status"), "incompatible");
  ck_assert_str_eq(member_str(json_object_get(ledger, "registry"), "verdict"),
                   "agrees");
  json_decref(root);
  run_free(&r);
}
END_TEST

START_TEST(test_registry_new_subject) {
  write_file(work, "v1.avsc", order_v1);
  run_t r = sr(work, "check", "--registry", mock_url, "--confirm", "--subject",
               "nobody-value", "v1.avsc", NULL);
  ck_assert_int_eq(r.status, 0);
  char *expected = NULL;
  append(&expected, "v1.avsc: new, not in registry %s: nothing to break\n", mock_url);
  assert_contains(r.out, expected);
  free(expected);
  run_free(&r);
  /* The URL may come from the environment, and the subject from a topic. */
  setenv("SCHEMA_REGISTRY_URL", mock_url, 1);
  r = sr(work, "check", "--topic", "nobody", "--format", "json", "v1.avsc", NULL);
  unsetenv("SCHEMA_REGISTRY_URL");
  ck_assert_int_eq(r.status, 0);
  json_t *root = parse_json_output(&r);
  json_t *unit = only_result(root);
  ck_assert_str_eq(member_str(unit, "status"), "new");
  ck_assert_str_eq(member_str(unit, "subject"), "nobody-value");
  json_decref(root);
  run_free(&r);
  /* A list of URLs fails over from a dead registry to a live one. */
  char *list = NULL;
  append(&list, "http://127.0.0.1:1,%s", mock_url);
  r = sr(work, "check", "--registry", list, "--subject", "nobody-value", "v1.avsc",
         NULL);
  ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
  assert_contains(r.out, "new, not in registry http://127.0.0.1:1,");
  run_free(&r);
  free(list);
  /* A file with no subject at all cannot be checked against a registry. */
  r = sr(work, "check", "--no-catalog", "--registry", mock_url, "v1.avsc", NULL);
  ck_assert_int_eq(r.status, 2);
  assert_contains(r.out, "v1.avsc: error: v1.avsc: no registry subject");
  run_free(&r);
}
END_TEST

/* Every output of @r, where no credential may appear. */
static void assert_no_secrets(const run_t *r) {
  static const char *const secrets[] = {"alice", "pw-in-url", "bob", "pw-in-env",
                                        "carol", "pw-in-option"};
  for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
    assert_lacks(r->out, secrets[i]);
    assert_lacks(r->err, secrets[i]);
  }
}

START_TEST(test_registry_down) {
  write_file(work, "v1.avsc", order_v1);
  char *plain = strdup(mock_url);
  const char *host = strstr(plain, "://") + 3;
  char *with_user = NULL;
  append(&with_user, "http://alice:pw-in-url@%s", host);
  ck_assert_int_eq(kavro_mock_set_down(mock, true, NULL), KAVRO_OK);
  static const char *const formats[] = {"text", "json", "junit", "github"};
  for (int how = 0; how < 3; how++) {
    const char *url = how == 0 ? with_user : plain;
    if (how == 1)
      setenv("SR_COMPAT_BASIC_AUTH", "bob:pw-in-env", 1);
    for (size_t f = 0; f < 4; f++) {
      run_t r = sr(work, "check", "--registry", url, "-X", "max.retries=0", "-X",
             how == 2 ? "basic.auth.user.info=carol:pw-in-option"
                      : "request.timeout.ms=5000",
             "--format", formats[f], "--topic", "shop", "v1.avsc", NULL);
      ck_assert_msg(r.status == 2, "%s%s", r.out, r.err);
      /* The message names the registry, without its credentials. */
      assert_contains(r.out, plain);
      assert_no_secrets(&r);
      run_free(&r);
    }
    run_t r = sr(work, "register", "--registry", url, "-X", "max.retries=0",
                 "--subject", "shop-value", "v1.avsc", "-X",
                 how == 2 ? "basic.auth.user.info=carol:pw-in-option"
                          : "request.timeout.ms=5000", NULL);
    ck_assert_int_eq(r.status, 2);
    assert_contains(r.out, "v1.avsc: error: ");
    assert_contains(r.out, host);
    assert_no_secrets(&r);
    run_free(&r);
    unsetenv("SR_COMPAT_BASIC_AUTH");
  }
  /* Bad settings are refused without echoing their values. */
  run_t r = sr(work, "check", "--registry", plain, "-X",
               "basic.auth.user.info=pw-in-option", "--topic", "shop", "v1.avsc", NULL);
  ck_assert_int_eq(r.status, 2);
  assert_contains(r.err, "basic.auth.user.info");
  assert_no_secrets(&r);
  run_free(&r);
  r = sr(work, "check", "--registry", plain, "-X", "carol:pw-in-option", "--topic",
         "shop", "v1.avsc", NULL);
  ck_assert_int_eq(r.status, 2);
  assert_contains(r.err, "-X: expected KEY=VALUE");
  assert_no_secrets(&r);
  run_free(&r);
  r = sr(work, "check", "--registry", plain, "-X", "no.such.key=1", "--topic",
         "shop", "v1.avsc", NULL);
  ck_assert_int_eq(r.status, 2);
  assert_contains(r.err, "no.such.key");
  run_free(&r);
  free(with_user);
  free(plain);
}
END_TEST

START_TEST(test_registry_formats) {
  register_order_v1();
  /* JUnit: valid, one failure per incompatibility, the registry's verdict
   * as a note. */
  run_t r = sr(work, "check", "--registry", mock_url, "--confirm", "--subject",
               "shop-value", "--format", "junit", "added.avsc", NULL);
  ck_assert_int_eq(r.status, 1);
  int failures;
  const char *problem = xml_check(r.out, "failure", &failures);
  ck_assert_msg(problem == NULL, "%s in:\n%s", problem, r.out);
  ck_assert_int_eq(failures, 1);
  assert_contains(r.out, "<system-out>registry agrees: incompatible");
  run_free(&r);
  /* GitHub: the finding on its line, then the summary. */
  r = sr(work, "check", "--registry", mock_url, "--confirm", "--subject",
         "shop-value", "--format", "github", "added.avsc", NULL);
  ck_assert_int_eq(r.status, 1);
  int line, column;
  position_of(order_added, "{\"name\": \"country\"", &line, &column);
  char *expected = NULL;
  append(&expected, "::error file=added.avsc,line=%d,col=%d,title=sr-compat%%3A "
                    "READER_FIELD_MISSING_DEFAULT_VALUE::", line, column);
  assert_contains(r.out, expected);
  free(expected);
  assert_contains(r.out, "\nsr-compat check: 1 checked: 0 compatible, 1 incompatible");
  run_free(&r);

  /* register in every format; refused as incompatible is exit 1. */
  r = sr(work, "register", "--registry", mock_url, "--subject", "shop-value",
         "--format", "junit", "v1.avsc", NULL);
  ck_assert_int_eq(r.status, 0);
  ck_assert_ptr_null(xml_check(r.out, "testcase", &failures));
  ck_assert_int_eq(failures, 1);
  assert_contains(r.out, "<system-out>unchanged: subject shop-value version 1 id ");
  run_free(&r);
  r = sr(work, "register", "--registry", mock_url, "--subject", "shop-value",
         "--format", "github", "added.avsc", NULL);
  ck_assert_int_eq(r.status, 1);
  assert_contains(r.out, "::error file=added.avsc,title=sr-compat%3A incompatible::");
  assert_contains(r.out, "sr-compat register: 1 schema: 0 registered, 0 unchanged, "
                         "1 incompatible");
  run_free(&r);
  r = sr(work, "register", "--registry", mock_url, "--subject", "shop-value",
         "--format", "json", "added.avsc", NULL);
  ck_assert_int_eq(r.status, 1);
  json_t *root = parse_json_output(&r);
  json_t *unit = only_result(root);
  ck_assert_str_eq(member_str(unit, "status"), "incompatible");
  ck_assert(json_is_null(json_object_get(unit, "version")));
  assert_contains(member_str(json_object_get(unit, "error"), "message"), "country");
  json_decref(root);
  run_free(&r);
  r = sr(work, "register", "--registry", mock_url, "--subject", "shop-value",
         "--format", "junit", "added.avsc", NULL);
  ck_assert_int_eq(r.status, 1);
  ck_assert_ptr_null(xml_check(r.out, "failure", &failures));
  ck_assert_int_eq(failures, 1);
  run_free(&r);
  /* Nothing was registered by the refused attempts. */
  ck_assert_uint_eq(kavro_mock_request_count(mock, "POST /subjects/{subject}/versions"),
                    4);
}
END_TEST

static const struct {
  const char *args[10];
  const char *message;
} registry_usage_cases[] = {
    {{"check", "--confirm", "--against", "a.avsc", "a.avsc"}, "need a registry"},
    {{"check", "-X", "max.retries=0", "--against-dir", ".", "a.avsc"}, "need a registry"},
    {{"check", "--registry", "http://127.0.0.1:1", "--subject", "s", "a.avsc", "b.avsc"},
     "exactly one FILE"},
    {{"check", "--registry", "http://127.0.0.1:1", "--subject", "s", "--topic", "t",
      "a.avsc"}, "give one --subject or --topic"},
    {{"check", "--registry", "http://127.0.0.1:1", "--against-dir", ".", "a.avsc"},
     "give one of"},
    {{"register", "a.avsc"}, "say where to register"},
    {{"register", "--registry", "http://127.0.0.1:1", "--topic", "t", "a.avsc",
      "b.avsc"}, "exactly one FILE"},
};

START_TEST(test_registry_usage) {
  write_file(work, "a.avsc", order_v1);
  write_file(work, "b.avsc", order_v1);
  char *argv[12] = {SR_COMPAT_BIN};
  int n = 1;
  for (int k = 0; registry_usage_cases[_i].args[k]; k++)
    argv[n++] = (char *)registry_usage_cases[_i].args[k];
  argv[n] = NULL;
  run_t r = run_argv(work, argv);
  ck_assert_int_eq(r.status, 2);
  assert_contains(r.err, registry_usage_cases[_i].message);
  run_free(&r);
}
END_TEST

START_TEST(test_registry_help) {
  run_t r = sr(work, "check", "--help", NULL);
  ck_assert_int_eq(r.status, 0);
  assert_contains(r.out, "--registry URL");
  assert_contains(r.out, "--confirm");
  assert_contains(r.out, "SR_COMPAT_BASIC_AUTH");
  run_free(&r);
  r = sr(work, "help", "register", NULL);
  ck_assert_int_eq(r.status, 0);
  assert_contains(r.out, "Usage: sr-compat register --registry URL");
  run_free(&r);
  r = sr(work, "--help", NULL);
  assert_contains(r.out, "register  register schemas");
  run_free(&r);
}
END_TEST

/* ---- configuration, path filters and paths as given --------------------- */

/* work/avro/order.avsc is v2, old/avro/order.avsc v1: one
 * READER_FIELD_MISSING_DEFAULT_VALUE under BACKWARD. */
static void make_old_and_new(void) {
  copy_fixture("order_v1.avsc", work, "old/avro/order.avsc");
  copy_fixture("order_v2.avsc", work, "avro/order.avsc");
}

static const struct {
  const char *config;    /* sr-compat.json */
  const char *yaml;      /* the same rules as .sr-compat.yaml */
  int status;            /* exit status with it */
  const char *reason;    /* of the ignored finding, NULL: not ignored */
} ignore_cases[] = {
    {"{\"ignore\": [{\"kind\": \"READER_FIELD_MISSING_DEFAULT_VALUE\", "
     "\"reason\": \"by kind\"}]}",
     "# accepted findings\n"
     "ignore:\n"
     "  - kind: READER_FIELD_MISSING_DEFAULT_VALUE\n"
     "    reason: by kind\n", 0, "by kind"},
    {"{\"ignore\": [{\"path\": \"avro/*.avsc\", \"reason\": \"by glob\"}]}",
     "ignore: [{path: avro/*.avsc, reason: by glob}]\n", 0, "by glob"},
    {"{\"ignore\": [{\"path\": \"avro\", \"reason\": \"by directory\"}]}",
     "ignore:\n"
     "- path: avro  # the whole directory\n"
     "  reason: >-\n"
     "    by\n"
     "    directory\n", 0, "by directory"},
    {"{\"ignore\": [{\"subject\": \"shop-*\", \"reason\": \"by subject\"}]}",
     "%YAML 1.2\n---\nignore:\n  - {\"subject\": \"shop-*\", reason: 'by subject'}\n"
     "...\n", 0, "by subject"},
    /* YAML 1.1 would read yes as true, which is not a reason. */
    {"{\"ignore\": [{\"kind\": \"READER_FIELD_MISSING_DEFAULT_VALUE\", "
     "\"reason\": \"yes\"}]}",
     "ignore:\n  - kind: READER_FIELD_MISSING_DEFAULT_VALUE\n    reason: yes\n", 0,
     "yes"},
    {"{\"ignore\": [{\"kind\": \"READER_FIELD_MISSING_DEFAULT_VALUE\", "
     "\"path\": \"other/*\"}]}",
     "ignore:\n  - kind: READER_FIELD_MISSING_DEFAULT_VALUE\n    path: other/*\n",
     1, NULL},
    {"{\"ignore\": [{\"kind\": \"TYPE_MISMATCH\"}]}",
     "ignore: [{kind: TYPE_MISMATCH}]", 1, NULL},
    {"{\"ignore\": [{\"subject\": \"billing-*\"}]}",
     "ignore:\n- subject: billing-*\n", 1, NULL},
    {"{\"ignore\": []}", "ignore: []\n", 1, NULL},
    {"{}", "{}\n", 1, NULL},
};

/* The JSON report of case @i's check with the configuration @text written
 * as @name at the top of work, the case's verdict asserted; without its
 * "config" member, which names the file. */
static json_t *ignore_case_report(int i, const char *name, const char *text) {
  write_file(work, name, text);
  run_t r = sr(work, "check", "--no-catalog", "--format", "json", "--subject",
               "shop-value", "--against-dir", "old", "avro/order.avsc", NULL);
  ck_assert_msg(r.status == ignore_cases[i].status, "case %d, %s: exit %d\n%s%s",
                i, name, r.status, r.out, r.err);
  json_t *root = parse_json_output(&r);
  ck_assert_str_eq(json_string_value(json_object_get(root, "config")), name);
  json_object_del(root, "config");
  json_t *unit = json_array_get(json_object_get(root, "results"), 0);
  json_t *ignored = json_object_get(unit, "ignored");
  json_t *findings = json_object_get(unit, "findings");
  if (ignore_cases[i].reason) {
    ck_assert_str_eq(json_string_value(json_object_get(unit, "status")), "compatible");
    ck_assert_uint_eq(json_array_size(findings), 0);
    ck_assert_uint_eq(json_array_size(ignored), 1);
    json_t *f = json_array_get(ignored, 0);
    ck_assert_str_eq(json_string_value(json_object_get(f, "kind")),
                     "READER_FIELD_MISSING_DEFAULT_VALUE");
    ck_assert_str_eq(json_string_value(json_object_get(f, "reason")),
                     ignore_cases[i].reason);
    ck_assert_str_eq(json_string_value(json_object_get(f, "rule")), "ignore[0]");
  } else {
    ck_assert_str_eq(json_string_value(json_object_get(unit, "status")),
                     "incompatible");
    ck_assert_uint_eq(json_array_size(findings), 1);
    ck_assert_uint_eq(json_array_size(ignored), 0);
  }
  run_free(&r);
  return root;
}

START_TEST(test_config_ignore) {
  make_old_and_new();
  json_decref(ignore_case_report(_i, "sr-compat.json", ignore_cases[_i].config));
}
END_TEST

/* The same rules in YAML give the very same report. */
START_TEST(test_config_yaml_same_as_json) {
  make_old_and_new();
  json_t *from_json = ignore_case_report(_i, "sr-compat.json", ignore_cases[_i].config);
  char *json_file = path_in(work, "sr-compat.json");
  ck_assert_int_eq(unlink(json_file), 0);
  free(json_file);
  json_t *from_yaml = ignore_case_report(_i, ".sr-compat.yaml", ignore_cases[_i].yaml);
  ck_assert_msg(json_equal(from_json, from_yaml), "case %d: reports differ", _i);
  json_decref(from_json);
  json_decref(from_yaml);
}
END_TEST

/* Text: ignored findings are silent, shown with --verbose and their
 * reason; --no-config and --config FILE choose the configuration. */
START_TEST(test_config_verbose_and_choice) {
  make_old_and_new();
  write_file(work, "sr-compat.json",
             "{\"ignore\": [{\"kind\": \"READER_FIELD_MISSING_DEFAULT_VALUE\", "
             "\"reason\": \"replayed from S3 only\"}]}");
  write_file(work, "strict.json", "{\"ignore\": [{\"kind\": \"TYPE_MISMATCH\"}]}");
  run_t r = sr(work, "check", "--no-catalog", "--against-dir", "old",
               "avro/order.avsc", NULL);
  ck_assert_int_eq(r.status, 0);
  assert_contains(r.out, "avro/order.avsc: compatible under BACKWARD");
  assert_lacks(r.out, "READER_FIELD_MISSING_DEFAULT_VALUE");
  run_free(&r);
  r = sr(work, "check", "--no-catalog", "--verbose", "--against-dir", "old",
         "avro/order.avsc", NULL);
  ck_assert_int_eq(r.status, 0);
  assert_contains(r.out, ": READER_FIELD_MISSING_DEFAULT_VALUE: ");
  assert_contains(r.out, "    ignored by sr-compat.json ignore[0]: replayed from S3 only\n");
  run_free(&r);
  r = sr(work, "check", "--no-catalog", "--no-config", "--against-dir", "old",
         "avro/order.avsc", NULL);
  ck_assert_int_eq(r.status, 1);
  run_free(&r);
  r = sr(work, "check", "--no-catalog", "--config", "strict.json", "--against-dir",
         "old", "avro/order.avsc", NULL);
  ck_assert_int_eq(r.status, 1);
  run_free(&r);
  /* From a subdirectory of a repository: found at the top, its paths
   * relative to it. */
  git(work, "-c", "init.defaultBranch=main", "init", "-q", NULL);
  char *avro = path_in(work, "avro");
  write_file(work, "sr-compat.json",
             "{\"ignore\": [{\"path\": \"avro/order.avsc\", \"reason\": \"r\"}]}");
  r = sr(avro, "check", "--no-catalog", "--against", "../old/avro/order.avsc",
         "order.avsc", NULL);
  ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
  run_free(&r);
  free(avro);
}
END_TEST

static const struct {
  const char *config;
  const char *says;
} bad_configs[] = {
    {"{\"ignore\": [{\"kind\": \"NO_SUCH_KIND\"}]}", "unknown kind \"NO_SUCH_KIND\""},
    {"{\"ignore\": [{\"kinds\": \"TYPE_MISMATCH\"}]}", "unknown member \"kinds\""},
    {"{\"ignore\": [{\"reason\": \"everything\"}]}", "would ignore every finding"},
    {"{\"ignore\": [{\"path\": 7}]}", "must be a non-empty string"},
    {"{\"ignore\": {}}", "must be an array"},
    {"{\"exclude\": []}", "unknown member \"exclude\""},
    {"{\"ignore\": [", "invalid JSON"},
};

START_TEST(test_config_errors) {
  make_old_and_new();
  write_file(work, "sr-compat.json", bad_configs[_i].config);
  run_t r = sr(work, "check", "--no-catalog", "--against-dir", "old",
               "avro/order.avsc", NULL);
  ck_assert_msg(r.status == 2, "case %d: exit %d", _i, r.status);
  assert_contains(r.err, "sr-compat.json");
  assert_contains(r.err, bad_configs[_i].says);
  ck_assert_str_eq(r.out, "");
  run_free(&r);
  r = sr(work, "check", "--no-catalog", "--config", "missing.json", "--against-dir",
         "old", "avro/order.avsc", NULL);
  ck_assert_int_eq(r.status, 2);
  assert_contains(r.err, "missing.json");
  run_free(&r);
}
END_TEST

static const struct {
  const char *yaml;
  const char *at;    /* ".sr-compat.yaml:LINE:COLUMN: " */
  const char *says;
} bad_yaml[] = {
    /* What YAML has and the JSON file does not. */
    {"ignore:\n  - kind: &k TYPE_MISMATCH\n  - kind: *k\n", ":2:11: ",
     "an anchor (&k): anchors and aliases are not supported"},
    {"ignore: *rules\n", ":1:9: ", "an alias (*rules): anchors and aliases"},
    {"ignore:\n  - kind: !!str TYPE_MISMATCH\n", ":2:11: ",
     "a tag (tag:yaml.org,2002:str): tags are not supported"},
    {"ignore: !rules []\n", ":1:9: ", "a tag (!rules): tags are not supported"},
    {"%TAG !k! tag:example.com,2026:\n---\nignore: []\n", ":1:1: ",
     "a %TAG directive: tags are not supported"},
    {"ignore: []\n---\nignore: []\n", ":2:1: ",
     "a second document: the configuration is one document"},
    {"ignore:\n  - kind: TYPE_MISMATCH\n    kind: TYPE_MISMATCH\n", ":3:5: ",
     "duplicate key \"kind\""},
    {"ignore:\n  - {? [kind]: TYPE_MISMATCH}\n", ":2:8: ",
     "a key that is a sequence: keys are strings"},
    {"ignore:\n  - path: \"avro\\0x\"\n", ":2:11: ",
     "a string with a NUL character"},
    {"ignore:\n  - path: \"\xff\"\n", ":2:12: ", "invalid YAML: invalid leading UTF-8"},
    {"ignore:\n  - path: 99999999999999999999\n", ":2:11: ",
     "integer 99999999999999999999 out of range"},
    {"ignore:\n  - path: .nan\n", ":2:11: ", ".nan is not a finite number"},
    {"ignore: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]"
     "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
     ":1:72: ", "nested deeper than 64 levels"},
    {"# no rules yet\n", ":2:1: ", "no document: the configuration is a mapping"},
    /* Malformed YAML. */
    {"ignore:\n  - kind: X\n   bad: [\n", ":3:4: ",
     "invalid YAML: did not find expected '-' indicator (while parsing a "
     "block collection at 2:3)"},
    {"ignore: [{kind: TYPE_MISMATCH\n", ":2:1: ",
     "invalid YAML: did not find expected ',' or '}'"},
    /* The checks the JSON file gets, placed on the line. */
    {"ignore:\n  - path: avro\n  - kind: NO_SUCH_KIND\n", ":3:5: /ignore/1/kind: ",
     "unknown kind \"NO_SUCH_KIND\""},
    {"ignore:\n  - kinds: TYPE_MISMATCH\n", ":2:5: /ignore/0/kinds: ",
     "unknown member \"kinds\""},
    {"ignore:\n  - path: 7\n", ":2:5: /ignore/0/path: ", "must be a non-empty string"},
    {"ignore:\n  - path: true\n", ":2:5: /ignore/0/path: ",
     "must be a non-empty string"},
    {"ignore:\n  - reason: everything\n", ":2:5: /ignore/0: ",
     "a rule needs \"kind\", \"path\" or \"subject\": this one would ignore "
     "every finding"},
    {"ignore:\n  - TYPE_MISMATCH\n", ":2:5: /ignore/0: ",
     "an ignore rule is a mapping"},
    {"ignore: {}\n", ":1:1: /ignore: ", "must be a sequence of rules"},
    {"- ignore: []\n", ":1:1: ", "must be a mapping"},
};

START_TEST(test_config_yaml_errors) {
  make_old_and_new();
  write_file(work, ".sr-compat.yaml", bad_yaml[_i].yaml);
  run_t r = sr(work, "check", "--no-catalog", "--against-dir", "old",
               "avro/order.avsc", NULL);
  ck_assert_msg(r.status == 2, "case %d: exit %d\n%s", _i, r.status, r.err);
  char *where = NULL;
  append(&where, "sr-compat: .sr-compat.yaml%s%s", bad_yaml[_i].at, bad_yaml[_i].says);
  assert_contains(r.err, where);
  free(where);
  ck_assert_str_eq(r.out, "");
  run_free(&r);
}
END_TEST

/* Which file is the configuration: the YAML names at the top of the
 * repository, the format by the name --config gives, and a refusal to
 * guess between two files. */
START_TEST(test_config_discovery) {
  make_old_and_new();
  git(work, "-c", "init.defaultBranch=main", "init", "-q", NULL);
  char *avro = path_in(work, "avro");
  static const char *const names[] = {".sr-compat.yaml", ".sr-compat.yml"};
  for (size_t i = 0; i < 2; i++) {
    write_file(work, names[i], "ignore:\n  - path: avro/order.avsc\n");
    run_t r = sr(avro, "check", "--no-catalog", "--format", "json", "--against",
                 "../old/avro/order.avsc", "order.avsc", NULL);
    ck_assert_msg(r.status == 0, "%s: %s%s", names[i], r.out, r.err);
    json_t *root = parse_json_output(&r);
    char *shown = NULL;
    append(&shown, "../%s", names[i]);
    ck_assert_str_eq(json_string_value(json_object_get(root, "config")), shown);
    free(shown);
    json_decref(root);
    run_free(&r);
    char *file = path_in(work, names[i]);
    ck_assert_int_eq(unlink(file), 0);
    free(file);
  }
  /* Two of them: which one holds the rules would be a guess. */
  write_file(work, "sr-compat.json", "{\"ignore\": [{\"path\": \"avro\"}]}");
  write_file(work, ".sr-compat.yaml", "ignore: [{kind: TYPE_MISMATCH}]\n");
  run_t r = sr(avro, "check", "--no-catalog", "--against", "../old/avro/order.avsc",
               "order.avsc", NULL);
  ck_assert_int_eq(r.status, 2);
  assert_contains(r.err, "more than one configuration file: ../sr-compat.json and "
                         "../.sr-compat.yaml; keep one (or choose one with --config)");
  ck_assert_str_eq(r.out, "");
  run_free(&r);
  write_file(work, ".sr-compat.yml", "ignore: []\n");
  r = sr(work, "lint", "--no-catalog", "avro/order.avsc", NULL);
  ck_assert_int_eq(r.status, 2);
  assert_contains(r.err, "sr-compat.json, .sr-compat.yaml and .sr-compat.yml; ");
  run_free(&r);
  /* --config chooses; --no-config reads none. */
  r = sr(work, "check", "--no-catalog", "--config", ".sr-compat.yaml",
         "--against-dir", "old", "avro/order.avsc", NULL);
  ck_assert_int_eq(r.status, 1);
  run_free(&r);
  r = sr(work, "check", "--no-catalog", "--config", "sr-compat.json",
         "--against-dir", "old", "avro/order.avsc", NULL);
  ck_assert_int_eq(r.status, 0);
  run_free(&r);
  r = sr(work, "check", "--no-catalog", "--no-config", "--against-dir", "old",
         "avro/order.avsc", NULL);
  ck_assert_int_eq(r.status, 1);
  run_free(&r);
  /* The format goes by the name: YAML in a file named .json is bad JSON. */
  write_file(work, "rules.json", "ignore: [{path: avro}]\n");
  r = sr(work, "check", "--no-catalog", "--config", "rules.json",
         "--against-dir", "old", "avro/order.avsc", NULL);
  ck_assert_int_eq(r.status, 2);
  assert_contains(r.err, "rules.json:1:6: invalid JSON");
  run_free(&r);
  write_file(work, "rules.yml", "ignore: [{path: avro}]\n");
  r = sr(work, "check", "--no-catalog", "--config", "rules.yml",
         "--against-dir", "old", "avro/order.avsc", NULL);
  ck_assert_msg(r.status == 0, "%s", r.err);
  run_free(&r);
  free(avro);
}
END_TEST

/* Outside a repository: the current directory's .sr-compat.yaml. */
START_TEST(test_config_yaml_outside_repository) {
  make_old_and_new();
  write_file(work, ".sr-compat.yaml",
             "ignore:\n  - kind: READER_FIELD_MISSING_DEFAULT_VALUE\n"
             "    reason: \"replayed from S3 only\"\n");
  run_t r = sr(work, "check", "--no-catalog", "--verbose", "--against-dir", "old",
               "avro/order.avsc", NULL);
  ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
  assert_contains(r.out,
                  "    ignored by .sr-compat.yaml ignore[0]: replayed from S3 only\n");
  run_free(&r);
}
END_TEST

/* Lint findings are ignored by rule id the same way. */
START_TEST(test_config_lint) {
  copy_fixture("lint/enum_without_default.avsc", work, "e.avsc");
  run_t r = sr(work, "lint", "--no-catalog", "e.avsc", NULL);
  ck_assert_int_eq(r.status, 1);
  run_free(&r);
  write_file(work, "sr-compat.json",
             "{\"ignore\": [{\"kind\": \"enum-without-default\", \"reason\": \"x\"}]}");
  r = sr(work, "lint", "--no-catalog", "e.avsc", NULL);
  ck_assert_msg(r.status == 0, "%s", r.out);
  run_free(&r);
}
END_TEST

START_TEST(test_path_filters) {
  copy_fixture("order_v1.avsc", work, "old/avro/a/order.avsc");
  copy_fixture("order_v2.avsc", work, "avro/a/order.avsc");
  copy_fixture("order_v1.avsc", work, "old/avro/b/order.avsc");
  copy_fixture("order_v1.avsc", work, "avro/b/order.avsc");
  run_t r = sr(work, "check", "--no-catalog", "--against-dir", "old", "--path",
               "avro/b", "avro/a/order.avsc", "avro/b/order.avsc", NULL);
  ck_assert_int_eq(r.status, 0);
  assert_contains(r.out, "avro/b/order.avsc: compatible");
  assert_lacks(r.out, "avro/a/");
  assert_contains(r.out, "1 checked");
  run_free(&r);
  r = sr(work, "check", "--no-catalog", "--against-dir", "old", "--exclude-path",
         "avro/a", "avro/a/order.avsc", "avro/b/order.avsc", NULL);
  ck_assert_int_eq(r.status, 0);
  assert_lacks(r.out, "avro/a/");
  run_free(&r);
  r = sr(work, "check", "--no-catalog", "--against-dir", "old", "--path", "avro",
         "--exclude-path", "avro/b/order.avsc", "avro/a/order.avsc",
         "avro/b/order.avsc", NULL);
  ck_assert_int_eq(r.status, 1);
  assert_contains(r.out, "avro/a/order.avsc: incompatible");
  assert_lacks(r.out, "avro/b/");
  run_free(&r);
  r = sr(work, "check", "--no-catalog", "--against-dir", "old", "--path",
         "no-such-dir", "avro/a/order.avsc", NULL);
  ck_assert_int_eq(r.status, 2);
  assert_contains(r.err, "no-such-dir");
  run_free(&r);
}
END_TEST

/* File paths are printed as given: ./x stays ./x, ../ and absolute paths
 * stay as written. */
START_TEST(test_paths_as_given) {
  make_old_and_new();
  char *sub = path_in(work, "old");
  char *absolute = path_in(work, "avro/order.avsc");
  const char *given[] = {"./avro/order.avsc", "avro//order.avsc", absolute};
  for (size_t i = 0; i < 3; i++) {
    run_t r = sr(work, "check", "--no-catalog", "--against", "./old/avro/order.avsc",
                 given[i], NULL);
    ck_assert_int_eq(r.status, 1);
    char *expected = NULL;
    append(&expected, "%s: incompatible under BACKWARD with ./old/avro/order.avsc",
           given[i]);
    assert_contains(r.out, expected);
    free(expected);
    expected = NULL;
    append(&expected, "\n%s:", given[i]);
    assert_contains(r.out, expected);
    free(expected);
    run_free(&r);
  }
  run_t r = sr(sub, "check", "--no-catalog", "--format", "msvs", "--against",
               "avro/order.avsc", "../avro/order.avsc", NULL);
  ck_assert_int_eq(r.status, 1);
  ck_assert_msg(strncmp(r.out, "../avro/order.avsc(", 19) == 0, "%s", r.out);
  run_free(&r);
  free(absolute);
  free(sub);
}
END_TEST

/* ---- the formats added for other CI systems ----------------------------- */

START_TEST(test_msvs_format) {
  run_t r = sr(data_dir(), "check", "--no-catalog", "--level", "FULL", "--format",
               "msvs", "--against", "order_v1.avsc", "./order_v2.avsc", NULL);
  ck_assert_int_eq(r.status, 1);
  kavro_schema_t *cand;
  kavro_compat_result_t *result = engine_result(KAVRO_COMPAT_FULL, "order_v2.avsc",
                                                "order_v1.avsc", &cand);
  regex_t re;
  ck_assert_int_eq(regcomp(&re, "^\\./order_v2\\.avsc\\(([0-9]+),([0-9]+)\\) : error "
                                "([A-Z_]+) : .+$", REG_EXTENDED), 0);
  size_t lines = 0;
  char *copy = strdup(r.out);
  for (char *line = strtok(copy, "\n"); line; line = strtok(NULL, "\n")) {
    if (strncmp(line, "sr-compat check: ", 17) == 0)
      continue;
    regmatch_t m[4];
    ck_assert_msg(regexec(&re, line, 4, m, 0) == 0, "bad line: %s", line);
    const kavro_incompat_t *inc = kavro_compat_result_get(result, lines);
    int l, c;
    kavro_schema_locate(cand, new_side(inc), &l, &c);
    ck_assert_int_eq(atoi(line + m[1].rm_so), l);
    ck_assert_int_eq(atoi(line + m[2].rm_so), c);
    ck_assert(strncmp(line + m[3].rm_so, kavro_incompat_kind_name(inc->kind),
                      (size_t)(m[3].rm_eo - m[3].rm_so)) == 0);
    lines++;
  }
  ck_assert_uint_eq(lines, kavro_compat_result_count(result));
  regfree(&re);
  free(copy);
  kavro_compat_result_destroy(result);
  kavro_schema_destroy(cand);
  run_free(&r);
  /* Lint: warnings. */
  r = sr(data_dir(), "lint", "--no-catalog", "--format", "msvs",
         "lint/enum_without_default.avsc", NULL);
  ck_assert_int_eq(r.status, 1);
  assert_contains(r.out, "lint/enum_without_default.avsc(");
  assert_contains(r.out, ") : warning enum-without-default : ");
  run_free(&r);
}
END_TEST

/* The structure GitLab's Code Quality report schema requires of every
 * issue: description, check_name, fingerprint (unique), severity (one of
 * five), location.path (relative) and location.lines.begin (>= 1); NULL
 * when @report conforms, else what is wrong. */
static const char *code_quality_problem(json_t *report) {
  static const char *const severities[] = {"info", "minor", "major", "critical",
                                           "blocker"};
  if (!json_is_array(report))
    return "the report is not an array";
  size_t i;
  json_t *issue;
  json_array_foreach(report, i, issue) {
    if (!json_is_object(issue))
      return "an issue is not an object";
    static const char *const strings[] = {"description", "check_name", "fingerprint",
                                          "severity"};
    for (size_t k = 0; k < 4; k++) {
      json_t *s = json_object_get(issue, strings[k]);
      if (!json_is_string(s) || json_string_length(s) == 0)
        return "a required string is missing or empty";
    }
    const char *severity = json_string_value(json_object_get(issue, "severity"));
    bool known = false;
    for (size_t k = 0; k < 5; k++)
      known = known || strcmp(severity, severities[k]) == 0;
    if (!known)
      return "an unknown severity";
    json_t *location = json_object_get(issue, "location");
    json_t *path = json_object_get(location, "path");
    json_t *begin = json_object_get(json_object_get(location, "lines"), "begin");
    if (!json_is_object(location) || !json_is_string(path) ||
        json_string_value(path)[0] == '/' || json_string_length(path) == 0)
      return "location.path is missing or absolute";
    if (!json_is_integer(begin) || json_integer_value(begin) < 1)
      return "location.lines.begin is missing or below 1";
    for (size_t k = 0; k < i; k++)
      if (json_equal(json_object_get(json_array_get(report, k), "fingerprint"),
                     json_object_get(issue, "fingerprint")))
        return "two issues share a fingerprint";
  }
  return NULL;
}

START_TEST(test_gitlab_format) {
  /* The checker itself refuses what the schema refuses. */
  const char *bad[] = {
      "{}",
      "[{\"description\": \"d\", \"check_name\": \"c\", \"fingerprint\": \"f\", "
      "\"severity\": \"fatal\", \"location\": {\"path\": \"a\", \"lines\": {\"begin\": 1}}}]",
      "[{\"description\": \"d\", \"check_name\": \"c\", \"fingerprint\": \"f\", "
      "\"severity\": \"major\", \"location\": {\"path\": \"a\", \"lines\": {\"begin\": 0}}}]",
      "[{\"description\": \"d\", \"check_name\": \"c\", \"severity\": \"major\", "
      "\"location\": {\"path\": \"a\", \"lines\": {\"begin\": 1}}}]"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    json_t *j = json_loads(bad[i], 0, NULL);
    ck_assert_ptr_nonnull(code_quality_problem(j));
    json_decref(j);
  }
  make_repository();
  copy_fixture("invalid.avsc", work, "avro/broken.avsc");
  char *avro = path_in(work, "avro");
  run_t r = sr(avro, "check", "--no-catalog", "--level", "FULL", "--format", "gitlab",
               "--against-git", "v1", "order.avsc", "broken.avsc", "keep.avsc", NULL);
  ck_assert_int_eq(r.status, 1);
  json_t *report = parse_json_output(&r);
  const char *problem = code_quality_problem(report);
  ck_assert_msg(problem == NULL, "%s in:\n%s", problem, r.out);
  kavro_schema_t *cand;
  kavro_compat_result_t *result = engine_result(KAVRO_COMPAT_FULL, "order_v2.avsc",
                                                "order_v1.avsc", &cand);
  size_t findings = kavro_compat_result_count(result);
  /* One issue per finding, plus the invalid schema. */
  ck_assert_uint_eq(json_array_size(report), findings + 1);
  json_t *first = json_array_get(report, 0);
  ck_assert_str_eq(json_string_value(json_object_get(json_object_get(first, "location"),
                                                     "path")), "avro/order.avsc");
  ck_assert_str_eq(json_string_value(json_object_get(first, "check_name")),
                   kavro_incompat_kind_name(kavro_compat_result_get(result, 0)->kind));
  ck_assert_str_eq(json_string_value(json_object_get(json_array_get(report, findings),
                                                     "check_name")), "invalid-schema");
  /* Fingerprints are the same run after run. */
  run_t again = sr(avro, "check", "--no-catalog", "--level", "FULL", "--format",
                   "gitlab", "--against-git", "v1", "order.avsc", "broken.avsc",
                   "keep.avsc", NULL);
  json_t *second = parse_json_output(&again);
  ck_assert(json_equal(report, second));
  json_decref(second);
  run_free(&again);
  kavro_compat_result_destroy(result);
  kavro_schema_destroy(cand);
  json_decref(report);
  run_free(&r);
  /* Nothing to report: an empty array. */
  r = sr(avro, "check", "--no-catalog", "--format", "gitlab", "--against-git", "v1",
         "keep.avsc", NULL);
  ck_assert_int_eq(r.status, 0);
  ck_assert_str_eq(r.out, "[]\n");
  run_free(&r);
  free(avro);
}
END_TEST

START_TEST(test_markdown_format) {
  const char *name = "a|b<i>.avsc";
  copy_fixture("order_v1.avsc", work, "old.avsc");
  copy_fixture("order_v2.avsc", work, name);
  copy_fixture("order_v1.avsc", work, "same.avsc");
  run_t r = sr(work, "check", "--level", "FULL", "--format", "markdown", "--against",
               "old.avsc", name, NULL);
  ck_assert_int_eq(r.status, 1);
  ck_assert_msg(strncmp(r.out, "### sr-compat check: failed\n\n", 29) == 0, "%s", r.out);
  assert_contains(r.out, "\nsr-compat check: 1 checked: 0 compatible, 1 incompatible");
  assert_contains(r.out, "| File | Line | Subject | Severity | Kind | Message |\n");
  kavro_schema_t *cand;
  kavro_compat_result_t *result = engine_result(KAVRO_COMPAT_FULL, "order_v2.avsc",
                                                "order_v1.avsc", &cand);
  /* One row per finding, each with the escaped name and its line. */
  size_t rows = 0;
  for (const char *p = strstr(r.out, "| a\\|b&lt;i&gt;.avsc | "); p;
       p = strstr(p + 1, "| a\\|b&lt;i&gt;.avsc | "))
    rows++;
  ck_assert_uint_eq(rows, kavro_compat_result_count(result));
  int line, column;
  kavro_schema_locate(cand, new_side(kavro_compat_result_get(result, 0)), &line,
                      &column);
  char cell[64];
  snprintf(cell, sizeof(cell), "| a\\|b&lt;i&gt;.avsc | %d |", line);
  assert_contains(r.out, cell);
  /* The full text report, folded. */
  const char *details = strstr(r.out, "<details>\n<summary>");
  ck_assert_ptr_nonnull(details);
  assert_contains(details, "\n```text\na|b<i>.avsc: incompatible under FULL");
  assert_contains(details, "\n```\n\n</details>\n");
  kavro_compat_result_destroy(result);
  kavro_schema_destroy(cand);
  run_free(&r);
  r = sr(work, "check", "--format", "markdown", "--against", "old.avsc", "same.avsc",
         NULL);
  ck_assert_int_eq(r.status, 0);
  assert_contains(r.out, "### sr-compat check: passed\n");
  assert_contains(r.out, "No problems found.\n");
  run_free(&r);
}
END_TEST

/* xmllint --schema of @xml against the committed JUnit XSD; its exit
 * status (0: valid). */
static int junit_validate(const char *xml) {
  write_file(tmp_root, "report.xml", xml);
  char *report = path_in(tmp_root, "report.xml");
  char *xsd = path_in(data_dir(), "junit.xsd");
  run_t r = run_argv(tmp_root, (char *[]){"xmllint", "--noout", "--schema", xsd,
                                          report, NULL});
  int status = r.status;
  if (status != 0)
    fprintf(stderr, "xmllint: %s\n", r.err);
  run_free(&r);
  free(xsd);
  free(report);
  return status;
}

START_TEST(test_junit_schema) {
  /* The XSD refuses what it should. */
  ck_assert_int_ne(junit_validate("<testsuites><testsuite name=\"s\"><testcase/>"
                                  "</testsuite></testsuites>"), 0);
  ck_assert_int_ne(junit_validate("<testsuites tests=\"x\"/>"), 0);
  ck_assert_int_ne(junit_validate("<testsuites><testsuite name=\"s\"><testcase "
                                  "name=\"t\"><oops/></testcase></testsuite>"
                                  "</testsuites>"), 0);
  copy_fixture("order_v1.avsc", work, "old.avsc");
  copy_fixture("order_v2.avsc", work, "new&<\"it's\">.avsc");
  copy_fixture("invalid.avsc", work, "broken.avsc");
  copy_fixture("order_v1.avsc", work, "same.avsc");
  copy_fixture("lint/enum_without_default.avsc", work, "lint.avsc");
  const char *const candidates[] = {"new&<\"it's\">.avsc", "broken.avsc", "same.avsc",
                                    "gone.avsc"};
  for (size_t i = 0; i < 3; i++) {
    run_t r = sr(work, "check", "--level", "FULL", "--format", "junit", "--against",
                 "old.avsc", candidates[i], NULL);
    ck_assert_msg(junit_validate(r.out) == 0, "invalid JUnit:\n%s", r.out);
    run_free(&r);
  }
  run_t r = sr(work, "check", "--format", "junit", "--against", "gone.avsc",
               "same.avsc", NULL);
  ck_assert_int_eq(r.status, 2);
  assert_contains(r.out, "<error");
  ck_assert_msg(junit_validate(r.out) == 0, "invalid JUnit:\n%s", r.out);
  run_free(&r);
  r = sr(work, "lint", "--no-catalog", "--format", "junit", "lint.avsc", "broken.avsc",
         NULL);
  ck_assert_msg(junit_validate(r.out) == 0, "invalid JUnit:\n%s", r.out);
  run_free(&r);
}
END_TEST

/* ---- baselines: archives and remote repositories ------------------------ */

/* The v1 tree of make_repository() in @dir (which must not exist). */
static void v1_tree(const char *dir) {
  copy_fixture("order_v1.avsc", dir, "avro/order.avsc");
  copy_fixture("order_v1.avsc", dir, "avro/keep.avsc");
}

static void assert_v1_verdicts(const run_t *r, const char *label) {
  ck_assert_msg(r->status == 1, "exit %d\n%s%s", r->status, r->out, r->err);
  char *expected = NULL;
  append(&expected, "avro/order.avsc: incompatible under BACKWARD with %s:avro/order.avsc: "
                    "1 problem\n", label);
  assert_contains(r->out, expected);
  free(expected);
  expected = NULL;
  append(&expected, "avro/keep.avsc: compatible under BACKWARD with %s:avro/keep.avsc\n",
         label);
  assert_contains(r->out, expected);
  free(expected);
  assert_contains(r->out, "avro/fresh.avsc: new, not in ");
  assert_contains(r->out, "3 checked: 1 compatible, 1 incompatible, 1 new");
}

START_TEST(test_against_archive) {
  char *src = path_in(tmp_root, "src");
  char *project = path_in(src, "project-v1");
  ck_assert_int_eq(mkdir(src, 0700), 0);
  ck_assert_int_eq(mkdir(project, 0700), 0);
  v1_tree(project);
  run_t t = run_argv(src, (char *[]){"tar", "czf", "../v1.tar.gz", "project-v1", NULL});
  ck_assert_int_eq(t.status, 0);
  run_free(&t);
  t = run_argv(project, (char *[]){"zip", "-qr", "../../v1.zip", "avro", NULL});
  ck_assert_int_eq(t.status, 0);
  run_free(&t);
  copy_fixture("order_v2.avsc", work, "avro/order.avsc");
  copy_fixture("order_v1.avsc", work, "avro/keep.avsc");
  copy_fixture("order_v2_optional.avsc", work, "avro/fresh.avsc");
  run_t r = sr(work, "check", "--no-catalog", "--against-archive",
               "../v1.tar.gz#strip_components=1", "avro/order.avsc", "avro/keep.avsc",
               "avro/fresh.avsc", NULL);
  assert_v1_verdicts(&r, "../v1.tar.gz");
  run_free(&r);
  r = sr(work, "check", "--no-catalog", "--against-archive", "../v1.zip",
         "avro/order.avsc", "avro/keep.avsc", "avro/fresh.avsc", NULL);
  assert_v1_verdicts(&r, "../v1.zip");
  run_free(&r);
  /* Without stripping, the archive's names do not match: all new. */
  r = sr(work, "check", "--no-catalog", "--against-archive", "../v1.tar.gz",
         "avro/order.avsc", NULL);
  ck_assert_int_eq(r.status, 0);
  assert_contains(r.out, "avro/order.avsc: new, not in archive ../v1.tar.gz");
  run_free(&r);
  /* Errors: no archive, not an archive, a bad option. */
  static const char *const bad[][2] = {
      {"../none.tar.gz", "none.tar.gz"},
      {"avro/keep.avsc", "cannot read the archive"},
      {"../v1.tar.gz#strip_components=-1", "strip_components takes a number"}};
  for (size_t i = 0; i < 3; i++) {
    r = sr(work, "check", "--no-catalog", "--against-archive", bad[i][0],
           "avro/order.avsc", NULL);
    ck_assert_msg(r.status == 2, "%s: exit %d", bad[i][0], r.status);
    assert_contains(r.err, bad[i][1]);
    run_free(&r);
  }
  free(project);
  free(src);
}
END_TEST

/* Is the directory @dir empty? */
static bool dir_empty(const char *dir) {
  run_t r = run_argv(dir, (char *[]){"ls", "-A", (char *)dir, NULL});
  bool empty = r.out[0] == '\0';
  run_free(&r);
  return empty;
}

START_TEST(test_against_git_url) {
  make_repository();
  copy_fixture("order_v2_optional.avsc", work, "avro/fresh.avsc");
  char *bare = path_in(tmp_root, "remote.git");
  git(work, "clone", "-q", "--bare", ".", bare, NULL);
  /* The clone goes to $TMPDIR and is removed afterwards. */
  char *scratch = path_in(tmp_root, "scratch");
  ck_assert_int_eq(mkdir(scratch, 0700), 0);
  setenv("TMPDIR", scratch, 1);
  char url[PATH_MAX + 32];
  snprintf(url, sizeof(url), "file://%s", bare);
  run_t r = sr(work, "check", "--no-catalog", "--against", url, "avro/order.avsc",
               "avro/keep.avsc", "avro/fresh.avsc", NULL);
  assert_v1_verdicts(&r, url);
  run_free(&r);
  ck_assert(dir_empty(scratch));
  snprintf(url, sizeof(url), "file://%s#branch=main", bare);
  r = sr(work, "check", "--no-catalog", "--against", url, "avro/order.avsc",
         "avro/keep.avsc", "avro/fresh.avsc", NULL);
  assert_v1_verdicts(&r, url);
  run_free(&r);
  snprintf(url, sizeof(url), "file://%s#tag=v1", bare);
  r = sr(work, "check", "--no-catalog", "--against", url, "avro/order.avsc",
         "avro/keep.avsc", "avro/fresh.avsc", NULL);
  assert_v1_verdicts(&r, url);
  run_free(&r);
  /* Errors: a branch that is not there, an unknown option, no repository. */
  snprintf(url, sizeof(url), "file://%s#branch=nope", bare);
  r = sr(work, "check", "--no-catalog", "--against", url, "avro/order.avsc", NULL);
  ck_assert_int_eq(r.status, 2);
  assert_contains(r.err, "git clone failed");
  run_free(&r);
  snprintf(url, sizeof(url), "file://%s#commit=abc", bare);
  r = sr(work, "check", "--no-catalog", "--against", url, "avro/order.avsc", NULL);
  ck_assert_int_eq(r.status, 2);
  assert_contains(r.err, "#branch=NAME or #tag=NAME");
  run_free(&r);
  r = sr(work, "check", "--no-catalog", "--against", "file:///nonexistent/x.git",
         "avro/order.avsc", NULL);
  ck_assert_int_eq(r.status, 2);
  assert_contains(r.err, "git clone failed");
  run_free(&r);
  ck_assert(dir_empty(scratch));
  unsetenv("TMPDIR");
  free(scratch);
  free(bare);
}
END_TEST

/* ---- register --dry-run ---------------------------------------------------- */

/* No request of the run changed anything: every one was a GET. */
static void assert_reads_only(void) {
  kavro_mock_request_t *requests;
  size_t count;
  ck_assert_int_eq(kavro_mock_requests(mock, &requests, &count, NULL), KAVRO_OK);
  ck_assert_uint_gt(count, 0);
  for (size_t i = 0; i < count; i++)
    ck_assert_msg(strcmp(requests[i].method, "GET") == 0, "%s %s",
                  requests[i].method, requests[i].path);
  kavro_mock_requests_free(requests, count);
}

static const struct {
  const char *file;
  const char *subject;
  int status;
  const char *json_status;
  const char *says;
} dry_run_cases[] = {
    {"v1.avsc", "shop-value", 0, "unchanged",
     "v1.avsc: unchanged: subject shop-value version 1\n"},
    {"dropped.avsc", "shop-value", 0, "registered",
     "dropped.avsc: would register: subject shop-value, a new version\n"},
    {"added.avsc", "shop-value", 1, "incompatible",
     "would be refused: incompatible under BACKWARD with shop-value version 1"},
    {"added.avsc", "fresh-value", 0, "registered",
     "added.avsc: would register: subject fresh-value, a new version\n"},
};

START_TEST(test_register_dry_run) {
  register_order_v1();
  kavro_mock_clear_requests(mock);
  run_t r = sr(work, "register", "--dry-run", "--no-catalog", "--registry", mock_url,
               "--subject", dry_run_cases[_i].subject, dry_run_cases[_i].file, NULL);
  ck_assert_msg(r.status == dry_run_cases[_i].status, "exit %d\n%s%s", r.status,
                r.out, r.err);
  assert_contains(r.out, dry_run_cases[_i].says);
  assert_contains(r.out, "sr-compat register --dry-run: 1 schema: ");
  run_free(&r);
  r = sr(work, "register", "--dry-run", "--no-catalog", "--registry", mock_url,
         "--format", "json", "--subject", dry_run_cases[_i].subject,
         dry_run_cases[_i].file, NULL);
  json_t *root = parse_json_output(&r);
  ck_assert(json_is_true(json_object_get(root, "dry_run")));
  ck_assert_str_eq(member_str(only_result(root), "status"),
                   dry_run_cases[_i].json_status);
  json_decref(root);
  run_free(&r);
  assert_reads_only();
  ck_assert_uint_eq(kavro_mock_request_count(mock, "POST /subjects/{subject}/versions"),
                    0);
  /* The registry is as it was: a real run still finds v1 alone. */
  r = sr(work, "check", "--no-catalog", "--registry", mock_url, "--subject",
         "shop-value", "--format", "json", "v1.avsc", NULL);
  root = parse_json_output(&r);
  ck_assert_uint_eq(json_array_size(json_object_get(only_result(root), "previous")), 1);
  ck_assert_str_eq(json_string_value(json_array_get(
                       json_object_get(only_result(root), "previous"), 0)),
                   "shop-value version 1");
  json_decref(root);
  run_free(&r);
}
END_TEST

/* ---- download, get-compatibility, set-compatibility --------------------- */

/* Register the old versions of the fixture catalog (a schema referencing a
 * shared type), then put the new ones in work/. */
static void register_old_catalog(void) {
  copy_fixture("catalog/catalog.json", work, "catalog.json");
  static const char *const files[] = {"Customer.avsc", "Ledger.avsc",
                                      "common/Address.avsc"};
  for (size_t i = 0; i < 3; i++) {
    char *old = path_in("catalog-old", files[i]);
    copy_fixture(old, work, files[i]);
    free(old);
  }
  run_t r = sr(work, "register", "--catalog", "catalog.json", "--registry",
               mock_url, NULL);
  ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
  run_free(&r);
  for (size_t i = 0; i < 3; i++) {
    char *now = path_in("catalog", files[i]);
    copy_fixture(now, work, files[i]);
    free(now);
  }
}

/* The verdict of one result: status, level and findings, without where
 * the previous versions came from. */
static json_t *verdict(json_t *result) {
  json_t *findings = json_array();
  size_t i;
  json_t *f;
  json_array_foreach(json_object_get(result, "findings"), i, f)
    json_array_append_new(findings, json_pack("{s:O, s:O}", "kind",
                                              json_object_get(f, "kind"),
                                              "message",
                                              json_object_get(f, "message")));
  return json_pack("{s:O, s:O, s:O, s:O, s:o}", "file",
                   json_object_get(result, "file"), "subject",
                   json_object_get(result, "subject"), "status",
                   json_object_get(result, "status"), "level",
                   json_object_get(result, "level"), "findings", findings);
}

static json_t *check_verdicts(const char *against_option, const char *against,
                              int expected_status) {
  run_t r = sr(work, "check", "--catalog", "catalog.json", against_option,
               against, "--format", "json", NULL);
  ck_assert_msg(r.status == expected_status, "%s%s", r.out, r.err);
  json_t *root = parse_json_output(&r);
  run_free(&r);
  json_t *verdicts = json_array();
  size_t i;
  json_t *result;
  json_array_foreach(json_object_get(root, "results"), i, result)
    json_array_append_new(verdicts, verdict(result));
  json_decref(root);
  return verdicts;
}

START_TEST(test_download_baseline) {
  register_old_catalog();
  set_level("audit-ledger", "FULL");
  run_t r = sr(work, "download", "--registry", mock_url, "--output", "dl/snap",
               "--format", "json", NULL);
  ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
  json_t *root = parse_json_output(&r);
  run_free(&r);
  /* Three subjects, each once, each at version 1. */
  json_t *files = json_object_get(root, "files");
  ck_assert_uint_eq(json_array_size(files), 3);
  json_decref(root);
  /* The registry's text of the schema registered. */
  char *address = path_in(work, "dl/snap/com.example.common.Address/v1.avsc");
  char *text = read_text(address);
  kavro_schema_t *downloaded = NULL;
  ck_assert_int_eq(kavro_schema_parse(text, strlen(text), NULL, &downloaded,
                                      NULL), KAVRO_OK);
  kavro_schema_t *registered = parse_fixture("catalog-old/common/Address.avsc");
  ck_assert_str_eq(kavro_schema_canonical(downloaded),
                   kavro_schema_canonical(registered));
  kavro_schema_destroy(downloaded);
  kavro_schema_destroy(registered);
  free(text);
  free(address);
  /* The catalog maps the referencing schema to the file of its reference. */
  char *catalog = path_in(work, "dl/snap/sr-compat-download.json");
  json_t *cat = json_load_file(catalog, 0, NULL);
  ck_assert_ptr_nonnull(cat);
  json_t *customer = json_object_get(json_object_get(cat, "topics"),
                                     "crm.customer.created-value");
  ck_assert_ptr_nonnull(customer);
  json_t *ref = json_array_get(json_object_get(customer, "references"), 0);
  ck_assert_str_eq(member_str(ref, "file"),
                   "com.example.common.Address/v1.avsc");
  ck_assert_str_eq(member_str(json_object_get(json_object_get(cat, "topics"),
                                              "audit-ledger"), "level"),
                   "FULL");
  json_decref(cat);
  free(catalog);

  /* The download as a baseline judges as the registry does. */
  json_t *by_registry = check_verdicts("--registry", mock_url, 1);
  json_t *by_download = check_verdicts("--against-dir", "dl/snap", 1);
  char *a = json_dumps(by_registry, JSON_INDENT(1));
  char *b = json_dumps(by_download, JSON_INDENT(1));
  ck_assert_str_eq(b, a);
  /* Not vacuous: the referencing schema is incompatible through its
   * reference, and audit-ledger is judged under the registry's FULL. */
  assert_contains(a, "postal_code");
  assert_contains(a, "FULL");
  free(a);
  free(b);
  json_decref(by_registry);
  json_decref(by_download);
}
END_TEST

START_TEST(test_download_select) {
  register_old_catalog();
  /* One subject by glob at a fixed version: its reference comes along. */
  run_t r = sr(work, "download", "--registry", mock_url, "--output", "one",
               "--version", "1", "crm.*", NULL);
  ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
  assert_contains(r.out, "subject crm.customer.created-value version 1");
  assert_contains(r.out, "subject com.example.common.Address version 1 id ");
  assert_contains(r.out, "(referenced)");
  assert_lacks(r.out, "audit-ledger");
  assert_contains(r.out, "2 files written to one");
  run_free(&r);
  /* A pattern that selects nothing, a version that is not there. */
  r = sr(work, "download", "--registry", mock_url, "--output", "none",
         "nothing.*", NULL);
  ck_assert_int_eq(r.status, 2);
  assert_contains(r.err, "no subject of the registry matches \"nothing.*\"");
  run_free(&r);
  r = sr(work, "download", "--registry", mock_url, "--output", "none",
         "--version", "7", "crm.customer.created-value", NULL);
  ck_assert_int_eq(r.status, 2);
  run_free(&r);
  r = sr(work, "download", "--registry", mock_url, "--output", "none",
         "--version", "first", NULL);
  ck_assert_int_eq(r.status, 2);
  assert_contains(r.err, "--version takes a number from 1 up or latest");
  run_free(&r);
  r = sr(work, "download", "--registry", mock_url, NULL);
  ck_assert_int_eq(r.status, 2);
  assert_contains(r.err, "--output DIR");
  run_free(&r);
}
END_TEST

START_TEST(test_compatibility_levels) {
  register_order_v1();
  run_t r = sr(work, "get-compatibility", "--registry", mock_url, NULL);
  ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
  ck_assert_str_eq(r.out, "BACKWARD (global)\n");
  run_free(&r);
  /* A subject without its own level falls back on the global one. */
  r = sr(work, "get-compatibility", "--registry", mock_url, "shop-value", NULL);
  ck_assert_str_eq(r.out, "shop-value: BACKWARD (global)\n");
  run_free(&r);
  r = sr(work, "set-compatibility", "--registry", mock_url, "full_transitive",
         "shop-value", NULL);
  ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
  ck_assert_str_eq(r.out, "shop-value: FULL_TRANSITIVE (subject), was "
                          "BACKWARD (global)\n");
  run_free(&r);
  r = sr(work, "get-compatibility", "--registry", mock_url, "shop-value",
         "--format", "json", NULL);
  ck_assert_int_eq(r.status, 0);
  json_t *root = parse_json_output(&r);
  ck_assert_str_eq(member_str(root, "subject"), "shop-value");
  ck_assert_str_eq(member_str(root, "level"), "FULL_TRANSITIVE");
  ck_assert_str_eq(member_str(root, "from"), "subject");
  json_decref(root);
  run_free(&r);
  /* The global level, through the environment's registry. */
  setenv("SCHEMA_REGISTRY_URL", mock_url, 1);
  r = sr(work, "set-compatibility", "NONE", "--format", "json", NULL);
  unsetenv("SCHEMA_REGISTRY_URL");
  ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
  root = parse_json_output(&r);
  ck_assert(json_is_null(json_object_get(root, "subject")));
  ck_assert_str_eq(member_str(root, "level"), "NONE");
  ck_assert_str_eq(member_str(json_object_get(root, "previous"), "level"),
                   "BACKWARD");
  json_decref(root);
  run_free(&r);
  r = sr(work, "get-compatibility", "--registry", mock_url, NULL);
  ck_assert_str_eq(r.out, "NONE (global)\n");
  run_free(&r);
  /* What check --registry applies is what was set. */
  r = sr(work, "check", "--no-catalog", "--registry", mock_url, "--subject",
         "shop-value", "--format", "json", "added.avsc", NULL);
  root = parse_json_output(&r);
  ck_assert_str_eq(member_str(only_result(root), "level"), "FULL_TRANSITIVE");
  json_decref(root);
  run_free(&r);
}
END_TEST

START_TEST(test_compatibility_errors) {
  /* An unknown level is refused before the registry is asked. */
  run_t r = sr(work, "set-compatibility", "--registry", mock_url, "LENIENT",
               "shop-value", NULL);
  ck_assert_int_eq(r.status, 2);
  assert_contains(r.err, "unknown compatibility level \"LENIENT\"");
  ck_assert_uint_eq(kavro_mock_request_count(mock, "PUT /config/{subject}"), 0);
  run_free(&r);
  r = sr(work, "get-compatibility", "--registry", mock_url, "--format", "xml",
         NULL);
  ck_assert_int_eq(r.status, 2);
  assert_contains(r.err, "unknown format \"xml\"");
  run_free(&r);
  r = sr(work, "get-compatibility", "a", "b", NULL);
  ck_assert_int_eq(r.status, 2);
  run_free(&r);
  r = sr(work, "get-compatibility", NULL);
  ck_assert_int_eq(r.status, 2);
  assert_contains(r.err, "--registry URL");
  run_free(&r);
  /* The registry down: a registry error, exit status 2, for each. */
  ck_assert_int_eq(kavro_mock_set_down(mock, true, NULL), KAVRO_OK);
  static const char *const commands[][4] = {
      {"get-compatibility", "shop-value", NULL},
      {"set-compatibility", "FULL", NULL},
      {"download", "--output", "dl", NULL}};
  for (size_t i = 0; i < 3; i++) {
    char *argv[12] = {SR_COMPAT_BIN, (char *)commands[i][0], "--registry",
                      mock_url, "-X", "max.retries=0"};
    int n = 6;
    for (int k = 1; commands[i][k]; k++)
      argv[n++] = (char *)commands[i][k];
    argv[n] = NULL;
    r = run_argv(work, argv);
    ck_assert_msg(r.status == 2, "%s: %s%s", commands[i][0], r.out, r.err);
    assert_contains(r.err, "sr-compat: ");
    ck_assert_str_eq(r.out, "");
    run_free(&r);
  }
  r = sr(work, "help", "download", NULL);
  ck_assert_int_eq(r.status, 0);
  assert_contains(r.out, "--output DIR");
  run_free(&r);
  r = sr(work, "--help", NULL);
  assert_contains(r.out, "set-compatibility LEVEL [SUBJECT]");
  run_free(&r);
}
END_TEST

/* ---- data contracts: register --metadata --rule-set, lint --rule-set ---- */

/* An order whose e-mail is tagged PII in the schema; its phone is tagged
 * CONTACT by the metadata's tags paths. */
static const char contract_order[] =
    "{\"type\": \"record\", \"name\": \"Order\", \"namespace\": \"shop\",\n"
    " \"doc\": \"An order.\", \"fields\": [\n"
    "  {\"name\": \"id\", \"type\": \"string\"},\n"
    "  {\"name\": \"amount\", \"type\": \"double\"},\n"
    "  {\"name\": \"email\", \"type\": \"string\", \"confluent:tags\": [\"PII\"]},\n"
    "  {\"name\": \"phone\", \"type\": \"string\"}]}\n";
static const char contract_metadata[] =
    "{\"properties\": {\"owner\": \"billing\"},\n"
    " \"tags\": {\"shop.Order.phone\": [\"CONTACT\"]}}\n";
static const char contract_rules[] =
    "{\"domainRules\": [\n"
    "  {\"name\": \"nonNegativeAmount\", \"kind\": \"CONDITION\", \"mode\": \"WRITE\",\n"
    "   \"type\": \"CEL\", \"expr\": \"message.amount >= 0.0\", \"onFailure\": \"DLQ\"},\n"
    "  {\"name\": \"maskContact\", \"kind\": \"TRANSFORM\", \"mode\": \"WRITE\",\n"
    "   \"type\": \"CEL_FIELD\", \"tags\": [\"PII\", \"CONTACT\"],\n"
    "   \"expr\": \"typeName == 'STRING' ; 'xxx'\"}]}\n";

/* The contract files in work/. */
static void write_contract(void) {
  write_file(work, "order.avsc", contract_order);
  write_file(work, "meta.json", contract_metadata);
  write_file(work, "rules.json", contract_rules);
}

/* Version @version of @subject as kavro's client reads it back. */
static kavro_schema_info_t *registered_info(const char *subject, int version) {
  kavro_conf_t *conf = kavro_conf_new();
  ck_assert_int_eq(kavro_conf_set(conf, "schema.registry.url", mock_url, NULL),
                   KAVRO_OK);
  kavro_error_t error;
  kavro_registry_t *registry = kavro_registry_new(conf, &error);
  ck_assert_msg(registry != NULL, "%s", error.text);
  kavro_schema_info_t *info = NULL;
  ck_assert_int_eq(kavro_registry_version_info(registry, subject, version, &info,
                                               &error),
                   KAVRO_OK);
  kavro_registry_destroy(registry);
  return info;
}

/* A contract is registered with the schema and read back; a second run
 * finds it there; another rule set makes a new version of the same text. */
START_TEST(test_register_contract) {
  write_contract();
  run_t r = sr(work, "register", "--no-catalog", "--registry", mock_url,
               "--subject", "shop-value", "--metadata", "meta.json",
               "--rule-set", "rules.json", "order.avsc", NULL);
  ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
  assert_contains(r.out, "order.avsc: registered: subject shop-value version 1 id ");
  run_free(&r);
  kavro_schema_info_t *info = registered_info("shop-value", 1);
  json_t *metadata = json_loads(kavro_schema_info_metadata(info), 0, NULL);
  json_t *rule_set = json_loads(kavro_schema_info_rule_set(info), 0, NULL);
  ck_assert_ptr_nonnull(metadata);
  ck_assert_ptr_nonnull(rule_set);
  ck_assert_str_eq(json_string_value(json_object_get(
                       json_object_get(metadata, "properties"), "owner")),
                   "billing");
  ck_assert_ptr_nonnull(json_object_get(json_object_get(metadata, "tags"),
                                        "shop.Order.phone"));
  json_t *rules = json_object_get(rule_set, "domainRules");
  ck_assert_uint_eq(json_array_size(rules), 2);
  ck_assert_str_eq(member_str(json_array_get(rules, 0), "name"), "nonNegativeAmount");
  ck_assert_str_eq(member_str(json_array_get(rules, 1), "expr"),
                   "typeName == 'STRING' ; 'xxx'");
  json_decref(metadata);
  json_decref(rule_set);
  kavro_schema_info_destroy(info);
  uint64_t posts = kavro_mock_request_count(mock, "POST /subjects/{subject}/versions");
  ck_assert_uint_eq(posts, 1);

  /* Again: unchanged, nothing registered. */
  r = sr(work, "register", "--no-catalog", "--registry", mock_url, "--subject",
         "shop-value", "--metadata", "meta.json", "--rule-set", "rules.json",
         "--format", "json", "order.avsc", NULL);
  ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
  json_t *root = parse_json_output(&r);
  json_t *unit = only_result(root);
  ck_assert_str_eq(member_str(unit, "status"), "unchanged");
  ck_assert_int_eq(json_integer_value(json_object_get(unit, "version")), 1);
  json_decref(root);
  run_free(&r);
  ck_assert_uint_eq(kavro_mock_request_count(mock, "POST /subjects/{subject}/versions"),
                    posts);

  /* The same schema with another rule set is a new version. */
  write_file(work, "rules2.json",
             "{\"domainRules\": [{\"name\": \"hasId\", \"kind\": \"CONDITION\","
             " \"type\": \"CEL\", \"expr\": \"message.id != ''\"}]}");
  r = sr(work, "register", "--no-catalog", "--registry", mock_url, "--subject",
         "shop-value", "--rule-set", "rules2.json", "order.avsc", NULL);
  ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
  assert_contains(r.out, "order.avsc: registered: subject shop-value version 2 id ");
  run_free(&r);
  info = registered_info("shop-value", 2);
  assert_contains(kavro_schema_info_rule_set(info), "\"hasId\"");
  kavro_schema_info_destroy(info);
}
END_TEST

/* Contract files that are not JSON objects, or options that do not fit,
 * are refused before any request, naming the file; exit 2 as usage errors. */
static const struct {
  const char *args[6]; /* after register --no-catalog --registry URL */
  const char *says;
} contract_refusals[] = {
    {{"--rule-set", "broken.json", "order.avsc"}, "broken.json:2:"},
    {{"--rule-set", "array.json", "order.avsc"}, "array.json: not a rule set: a rule set is a JSON object"},
    {{"--metadata", "twice.json", "order.avsc"}, "twice.json:1:"},
    {{"--metadata", "absent.json", "order.avsc"}, "absent.json: cannot open"},
    {{"--rule-set", "rules.json", "order.avsc", "order.avsc"},
     "--metadata and --rule-set go with exactly one FILE"},
    {{"--rule-set", "rules.json", "--dry-run", "order.avsc"}, "--dry-run"},
};

/* write_contract()'s files and the bad ones the refusal cases name. */
static void write_bad_contracts(void) {
  write_contract();
  write_file(work, "broken.json", "{\"domainRules\": [\n  {\"name\": }]}\n");
  write_file(work, "array.json", "[]\n");
  write_file(work, "twice.json", "{\"tags\": {}, \"tags\": {}}\n");
}

/* sr-compat with @lead (NULL-terminated) then @args: refused (exit 2),
 * saying @says, printing nothing on stdout. */
static void expect_refused(const char *const *lead, const char *const *args,
                           const char *says) {
  char *argv[MAX_ARGS];
  int n = 0;
  for (const char *const *a = lead; *a; a++)
    argv[n++] = (char *)*a;
  for (const char *const *a = args; *a; a++)
    argv[n++] = (char *)*a;
  argv[n] = NULL;
  run_t r = run_argv(work, argv);
  ck_assert_msg(r.status == 2, "%s: exit %d: %s", says, r.status, r.err);
  assert_contains(r.err, says);
  ck_assert_str_eq(r.out, "");
  run_free(&r);
}

START_TEST(test_register_contract_refused) {
  write_bad_contracts();
  expect_refused((const char *const[]){SR_COMPAT_BIN, "register",
                                       "--no-catalog", "--registry", mock_url,
                                       NULL},
                 contract_refusals[_i].args, contract_refusals[_i].says);
  kavro_mock_request_t *requests;
  size_t count;
  ck_assert_int_eq(kavro_mock_requests(mock, &requests, &count, NULL), KAVRO_OK);
  ck_assert_uint_eq(count, 0);
  kavro_mock_requests_free(requests, count);
}
END_TEST

/* One rule set per lint rule id, each with exactly that finding. */
static const struct {
  const char *id;
  const char *rules;   /* the rule set */
  const char *pointer; /* of the finding */
  const char *needle;  /* where it is placed in the file */
} rule_set_cases[] = {
    {"rule-malformed",
     "{\"domainRules\": [\n {\"name\": \"r\", \"kind\": \"CONDITION\",\n"
     "  \"mode\": \"UPGRADE\", \"type\": \"CEL\", \"expr\": \"true\"}]}\n",
     "/domainRules/0/mode", "\"mode\""},
    {"rule-unknown-kind",
     "{\"domainRules\": [\n {\"name\": \"r\", \"kind\": \"CONDTION\",\n"
     "  \"type\": \"CEL\", \"expr\": \"true\"}]}\n",
     "/domainRules/0/kind", "\"kind\""},
    {"rule-unknown-mode",
     "{\"domainRules\": [\n {\"name\": \"r\", \"kind\": \"CONDITION\",\n"
     "  \"mode\": \"ALWAYS\", \"type\": \"CEL\", \"expr\": \"true\"}]}\n",
     "/domainRules/0/mode", "\"mode\""},
    {"rule-no-executor",
     "{\"migrationRules\": [\n {\"name\": \"r\", \"kind\": \"TRANSFORM\",\n"
     "  \"mode\": \"UPGRADE\", \"type\": \"JSONATA\", \"expr\": \"$\"}]}\n",
     "/migrationRules/0/type", "\"type\""},
    {"rule-cel-syntax",
     "{\"domainRules\": [\n {\"name\": \"r\", \"kind\": \"CONDITION\",\n"
     "  \"type\": \"CEL\", \"expr\": \"message.amount >\"}]}\n",
     "/domainRules/0/expr", "\"expr\""},
    {"rule-cel-unsupported",
     "{\"domainRules\": [\n {\"name\": \"r\", \"kind\": \"CONDITION\",\n"
     "  \"type\": \"CEL\", \"expr\": \"message.?id == 'x'\"}]}\n",
     "/domainRules/0/expr", "\"expr\""},
    {"rule-unknown-tag",
     "{\"domainRules\": [\n {\"name\": \"r\", \"kind\": \"TRANSFORM\",\n"
     "  \"type\": \"CEL_FIELD\", \"tags\": [\"PII\", \"SECRET\"], \"expr\": \"value\"}]}\n",
     "/domainRules/0/tags/1", "\"SECRET\""},
    {"rule-unknown-action",
     "{\"domainRules\": [\n {\"name\": \"r\", \"kind\": \"CONDITION\",\n"
     "  \"type\": \"CEL\", \"expr\": \"true\", \"onFailure\": \"PAGE\"}]}\n",
     "/domainRules/0/onFailure", "\"onFailure\""},
    {"rule-bad-param",
     "{\"domainRules\": [\n {\"name\": \"r\", \"kind\": \"TRANSFORM\",\n"
     "  \"type\": \"ENCRYPT\", \"tags\": [\"PII\"],\n"
     "  \"params\": {\"encrypt.kek.name\": \"k\",\n"
     "   \"encrypt.dek.algorithm\": \"AES512\"}}]}\n",
     "/domainRules/0/params", "\"params\""},
};

START_TEST(test_lint_rule_set_fires) {
  write_contract();
  write_file(work, "case.json", rule_set_cases[_i].rules);
  run_t r = sr(work, "lint", "--no-catalog", "--format", "json", "--rule-set",
               "case.json", "--metadata", "meta.json", "order.avsc", NULL);
  ck_assert_msg(r.status == 1, "%s: exit %d\n%s%s", rule_set_cases[_i].id,
                r.status, r.out, r.err);
  json_t *root = parse_json_output(&r);
  json_t *results = json_object_get(root, "results");
  ck_assert_uint_eq(json_array_size(results), 2);
  json_t *schema_unit = json_array_get(results, 0);
  ck_assert_str_eq(member_str(schema_unit, "file"), "order.avsc");
  ck_assert_str_eq(member_str(schema_unit, "status"), "clean");
  json_t *unit = json_array_get(results, 1);
  ck_assert_str_eq(member_str(unit, "file"), "case.json");
  ck_assert_str_eq(member_str(unit, "status"), "warnings");
  json_t *findings = json_object_get(unit, "findings");
  ck_assert_msg(json_array_size(findings) == 1, "%s", r.out);
  json_t *f = json_array_get(findings, 0);
  ck_assert_str_eq(member_str(f, "kind"), rule_set_cases[_i].id);
  ck_assert_str_eq(member_str(f, "severity"), "warning");
  ck_assert_str_eq(member_str(f, "pointer"), rule_set_cases[_i].pointer);
  ck_assert_uint_gt(strlen(member_str(f, "fix")), 10);
  assert_contains(member_str(f, "message"), "rule \"r\"");
  int line, column;
  position_of(rule_set_cases[_i].rules, rule_set_cases[_i].needle, &line, &column);
  ck_assert_int_eq(json_integer_value(json_object_get(f, "line")), line);
  ck_assert_int_eq(json_integer_value(json_object_get(f, "column")), column);
  json_decref(root);
  run_free(&r);
  /* Silenced by its id, the rule set is clean. */
  r = sr(work, "lint", "--no-catalog", "--disable", rule_set_cases[_i].id,
         "--rule-set", "case.json", "--metadata", "meta.json", "order.avsc", NULL);
  ck_assert_msg(r.status == 0, "%s", r.out);
  assert_contains(r.out, "case.json: clean\n");
  run_free(&r);
}
END_TEST

/* A sound contract lints clean; CONTACT comes from the metadata only, so
 * without it the tag names no field; the text format places the finding. */
START_TEST(test_lint_rule_set_text) {
  write_contract();
  run_t r = sr(work, "lint", "--no-catalog", "--rule-set", "rules.json",
               "--metadata", "meta.json", "order.avsc", NULL);
  ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
  ck_assert_str_eq(r.out, "order.avsc: clean\nrules.json: clean\nsr-compat lint: 2 "
                          "files: 2 clean, 0 with warnings, 0 invalid, 0 errors\n");
  run_free(&r);
  r = sr(work, "lint", "--no-catalog", "--rule-set", "rules.json", "order.avsc",
         NULL);
  ck_assert_int_eq(r.status, 1);
  int line, column;
  position_of(contract_rules, "\"CONTACT\"", &line, &column);
  char expected[256];
  snprintf(expected, sizeof(expected),
           "rules.json:%d:%d: warning: rule-unknown-tag: rule \"maskContact\": "
           "no field of the schema has tag \"CONTACT\"", line, column);
  assert_contains(r.out, expected);
  assert_contains(r.out, "(at /domainRules/1/tags/1)");
  run_free(&r);
}
END_TEST

/* Bad contract files and options: exit 2, the file named, nothing on
 * standard output. */
static const struct {
  const char *args[6]; /* after lint --no-catalog */
  const char *says;
} lint_contract_refusals[] = {
    {{"--rule-set", "broken.json", "order.avsc"}, "broken.json:2:"},
    {{"--rule-set", "rules.json", "--metadata", "array.json", "order.avsc"},
     "array.json: not a metadata: a metadata is a JSON object"},
    {{"--metadata", "meta.json", "order.avsc"}, "--metadata goes with --rule-set"},
    {{"--rule-set", "rules.json", "order.avsc", "order.avsc"},
     "--rule-set goes with exactly one schema FILE"},
    {{"--rule-set", "absent.json", "order.avsc"}, "absent.json: cannot open"},
};

START_TEST(test_lint_rule_set_refused) {
  write_bad_contracts();
  expect_refused((const char *const[]){SR_COMPAT_BIN, "lint", "--no-catalog",
                                       NULL},
                 lint_contract_refusals[_i].args,
                 lint_contract_refusals[_i].says);
}
END_TEST

static Suite *sr_compat_suite(void) {
  Suite *s = suite_create("sr-compat");
  TCase *t = tcase_create("cli");
  tcase_add_checked_fixture(t, setup, teardown);
  tcase_set_timeout(t, 60);
  tcase_add_test(t, test_xml_checker);
  tcase_add_test(t, test_help);
  tcase_add_loop_test(t, test_usage_errors, 0,
                      (int)(sizeof(usage_cases) / sizeof(usage_cases[0])));
  tcase_add_test(t, test_io_errors);
  suite_add_tcase(s, t);

  t = tcase_create("check");
  tcase_add_checked_fixture(t, setup, teardown);
  tcase_set_timeout(t, 60);
  tcase_add_test(t, test_pair_text_backward);
  tcase_add_test(t, test_pair_text_forward_full);
  tcase_add_test(t, test_pair_compatible_and_none);
  tcase_add_test(t, test_line_mapping);
  tcase_add_test(t, test_json_format);
  tcase_add_test(t, test_junit_format);
  tcase_add_test(t, test_github_format);
  tcase_add_test(t, test_invalid_schemas);
  tcase_add_test(t, test_against_git);
  tcase_add_test(t, test_against_git_errors);
  tcase_add_test(t, test_default_catalog);
  tcase_add_test(t, test_readme_sample);
  tcase_add_test(t, test_against_dir_catalog);
  tcase_add_loop_test(t, test_catalog_errors, 0,
                      (int)(sizeof(catalog_errors) / sizeof(catalog_errors[0])));
  suite_add_tcase(s, t);

  t = tcase_create("adoption");
  tcase_add_checked_fixture(t, setup, teardown);
  tcase_set_timeout(t, 60);
  tcase_add_loop_test(t, test_config_ignore, 0,
                      (int)(sizeof(ignore_cases) / sizeof(ignore_cases[0])));
  tcase_add_loop_test(t, test_config_yaml_same_as_json, 0,
                      (int)(sizeof(ignore_cases) / sizeof(ignore_cases[0])));
  tcase_add_test(t, test_config_verbose_and_choice);
  tcase_add_loop_test(t, test_config_errors, 0,
                      (int)(sizeof(bad_configs) / sizeof(bad_configs[0])));
  tcase_add_loop_test(t, test_config_yaml_errors, 0,
                      (int)(sizeof(bad_yaml) / sizeof(bad_yaml[0])));
  tcase_add_test(t, test_config_discovery);
  tcase_add_test(t, test_config_yaml_outside_repository);
  tcase_add_test(t, test_config_lint);
  tcase_add_test(t, test_path_filters);
  tcase_add_test(t, test_paths_as_given);
  tcase_add_test(t, test_msvs_format);
  tcase_add_test(t, test_gitlab_format);
  tcase_add_test(t, test_markdown_format);
  tcase_add_test(t, test_junit_schema);
  tcase_add_test(t, test_against_archive);
  tcase_add_test(t, test_against_git_url);
  suite_add_tcase(s, t);

  t = tcase_create("lint");
  tcase_add_checked_fixture(t, setup, teardown);
  tcase_set_timeout(t, 60);
  int rules = (int)(sizeof(lint_cases) / sizeof(lint_cases[0]));
  tcase_add_loop_test(t, test_lint_rule_fires, 0, rules);
  tcase_add_loop_test(t, test_lint_rule_disabled_by_flag, 0, rules);
  tcase_add_loop_test(t, test_lint_rule_disabled_in_schema, 0, rules);
  tcase_add_test(t, test_lint_disable_scope);
  tcase_add_test(t, test_lint_duplicate_type);
  tcase_add_test(t, test_lint_text_and_defaults);
  tcase_add_test(t, test_lint_formats);
  tcase_add_test(t, test_lint_unportable_names);
  tcase_add_test(t, test_lint_catalog);
  tcase_add_loop_test(t, test_lint_rule_set_fires, 0,
                      (int)(sizeof(rule_set_cases) / sizeof(rule_set_cases[0])));
  tcase_add_test(t, test_lint_rule_set_text);
  tcase_add_loop_test(t, test_lint_rule_set_refused, 0,
                      (int)(sizeof(lint_contract_refusals) /
                            sizeof(lint_contract_refusals[0])));
  suite_add_tcase(s, t);

  t = tcase_create("registry");
  tcase_add_checked_fixture(t, registry_setup, registry_teardown);
  tcase_set_timeout(t, 60);
  tcase_add_test(t, test_registry_register_catalog);
  tcase_add_test(t, test_registry_check_levels);
  tcase_add_test(t, test_registry_legacy_subject);
  tcase_add_test(t, test_registry_transitive);
  tcase_add_test(t, test_registry_disagreement);
  tcase_add_test(t, test_registry_references);
  tcase_add_test(t, test_registry_new_subject);
  tcase_add_test(t, test_registry_down);
  tcase_add_test(t, test_registry_formats);
  tcase_add_loop_test(t, test_registry_usage, 0,
                      sizeof(registry_usage_cases) / sizeof(registry_usage_cases[0]));
  tcase_add_test(t, test_registry_help);
  tcase_add_test(t, test_download_baseline);
  tcase_add_test(t, test_download_select);
  tcase_add_test(t, test_compatibility_levels);
  tcase_add_test(t, test_compatibility_errors);
  tcase_add_loop_test(t, test_register_dry_run, 0,
                      (int)(sizeof(dry_run_cases) / sizeof(dry_run_cases[0])));
  tcase_add_test(t, test_register_contract);
  tcase_add_loop_test(t, test_register_contract_refused, 0,
                      (int)(sizeof(contract_refusals) / sizeof(contract_refusals[0])));
  suite_add_tcase(s, t);
  return s;
}

int main(void) {
  SRunner *runner = srunner_create(sr_compat_suite());
  srunner_run_all(runner, CK_NORMAL);
  int failed = srunner_ntests_failed(runner);
  srunner_free(runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
