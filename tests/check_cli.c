/*
 * kavro tests - the `kavro` program, run as a user runs it: the built
 * binary with its arguments, stdout, stderr and exit status checked.
 *
 * Covers every subcommand and option, every exit status, the error line
 * format, references loaded in dependency order, the seed 004 catalog
 * (tests/data/seed004/EXPECTED), and every row of canonical.jsonl through
 * `kavro canonical` and `kavro fingerprint`.
 */
#include <check.h>
#include <curl/curl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kavro.h"
#include "kavro/mock.h"
#include "legacy_schemas.h"
#include "proc_util.h"
#include "serde_fixture.h"
#include "testutil.h"

/* ---- running the program ---------------------------------------------- */

static char workdir[] = "/tmp/kavro-cli-XXXXXX";

static const char *kavro_path(void) {
  static char path[4096];
  snprintf(path, sizeof(path), "%s/src/programs/kavro/kavro", KAVRO_BUILDDIR);
  return path;
}

/* Run kavro with @args (NULL-terminated, without argv[0]); stdout goes to
 * @stdout_path (captured when NULL). */
static kt_run_t run_to(const char *stdout_path, const char *const *args) {
  const char *const lead[] = {kavro_path(), NULL};
  return kt_run_args(workdir, stdout_path, lead, args);
}

#define RUN(...) run_to(NULL, (const char *const[]){__VA_ARGS__, NULL})

#define ck_assert_contains(haystack, needle)                                   \
  ck_assert_msg(strstr((haystack), (needle)) != NULL,                          \
                "expected \"%s\" in:\n%s", (needle), (haystack))

static const char *seed_path(const char *name) {
  static char path[4][4096];
  static unsigned next;
  char *p = path[next++ % 4];
  snprintf(p, sizeof(path[0]), "%s", kt_src_path("tests/data/seed004"));
  strncat(p, "/", sizeof(path[0]) - strlen(p) - 1);
  strncat(p, name, sizeof(path[0]) - strlen(p) - 1);
  return p;
}

/* ---- fixtures: a chain of three schemas ------------------------------- */

/* money <- price <- order: order uses Price, which uses Money.  The file
 * names sort against the dependency order on purpose. */
static const char money_avsc[] =
    "{\"type\": \"record\", \"name\": \"Money\", \"namespace\": \"com.acme\",\n"
    " \"fields\": [{\"name\": \"cents\", \"type\": \"long\"},\n"
    "            {\"name\": \"currency\", \"type\": \"string\"}]}\n";
static const char price_avsc[] =
    "{\"type\": \"record\", \"name\": \"Price\", \"namespace\": \"com.acme\",\n"
    " \"fields\": [{\"name\": \"net\", \"type\": \"Money\"},\n"
    "            {\"name\": \"gross\", \"type\": \"com.acme.Money\"}]}\n";
static const char order_avsc[] =
    "{\"type\": \"record\", \"name\": \"Order\", \"namespace\": \"com.acme\",\n"
    " \"fields\": [{\"name\": \"id\", \"type\": \"string\"},\n"
    "            {\"name\": \"price\", \"type\": \"Price\"}]}\n";
static const char order_canonical[] =
    "{\"name\":\"com.acme.Order\",\"type\":\"record\",\"fields\":["
    "{\"name\":\"id\",\"type\":\"string\"},"
    "{\"name\":\"price\",\"type\":{\"name\":\"com.acme.Price\",\"type\":"
    "\"record\",\"fields\":[{\"name\":\"net\",\"type\":{\"name\":"
    "\"com.acme.Money\",\"type\":\"record\",\"fields\":[{\"name\":\"cents\","
    "\"type\":\"long\"},{\"name\":\"currency\",\"type\":\"string\"}]}},"
    "{\"name\":\"gross\",\"type\":\"com.acme.Money\"}]}}]}\n";

static void setup(void) {
  ck_assert_ptr_nonnull(mkdtemp(workdir));
  char dir[4200];
  snprintf(dir, sizeof(dir), "%s/refs", workdir);
  ck_assert_int_eq(mkdir(dir, 0700), 0);
  kt_write_file(kt_work_path(workdir, "refs/a_price.avsc"), price_avsc);
  kt_write_file(kt_work_path(workdir, "refs/b_money.avsc"), money_avsc);
  kt_write_file(kt_work_path(workdir, "refs/notes.txt"),
                "not a schema, not .avsc\n");
  kt_write_file(kt_work_path(workdir, "order.avsc"), order_avsc);
  kt_write_file(kt_work_path(workdir, "bad.avsc"),
                "{\"type\": \"record\", \"name\": \"Bad\",\n"
                " \"fields\": [{\"name\": \"x\", \"type\": \"int\"},\n"
                "            {\"name\": \"x\", \"type\": \"long\"}]}\n");
}

static void teardown(void) {
  /* Everything setup and the tests made, then the directory. */
  static const char *const names[] = {
      "refs/a_price.avsc", "refs/b_money.avsc", "refs/notes.txt",
      "refs/order.avsc",   "order.avsc",        "bad.avsc",
      "warn.avsc",         "row.avsc",          "int.avsc",
      "null.avsc",         "lines.in",          "big.avsc",
      "frames.hex",        "headers.hex",       "mixed.hex",
      "rec.avsc",          "legacy.avsc",       "one.in",
      "refs"};
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
    remove(kt_work_path(workdir, names[i]));
  rmdir(workdir);
  memcpy(workdir + strlen(workdir) - 6, "XXXXXX", 6);
}

/* ---- top level --------------------------------------------------------- */

START_TEST(test_help_and_version) {
  kt_run_t r = RUN("--help");
  ck_assert_int_eq(r.status, 0);
  ck_assert_contains(r.out, "Usage: kavro COMMAND");
  ck_assert_contains(r.out, "validate");
  ck_assert_contains(r.out, "canonical");
  ck_assert_contains(r.out, "fingerprint");
  ck_assert_str_eq(r.err, "");
  kt_run_free(&r);
  r = RUN("--version");
  ck_assert_int_eq(r.status, 0);
  char want[64];
  snprintf(want, sizeof(want), "kavro %s\n", KAVRO_VERSION_STR);
  ck_assert_str_eq(r.out, want);
  kt_run_free(&r);
}
END_TEST

START_TEST(test_usage_errors) {
  kt_run_t r = run_to(NULL, (const char *const[]){NULL});
  ck_assert_int_eq(r.status, 2);
  ck_assert_contains(r.err, "Usage: kavro COMMAND");
  kt_run_free(&r);
  r = RUN("frobnicate");
  ck_assert_int_eq(r.status, 2);
  ck_assert_contains(r.err, "'frobnicate' is not a kavro command");
  ck_assert_str_eq(r.out, "");
  kt_run_free(&r);
}
END_TEST

/* Every subcommand has --help (stdout, exit 0) and rejects an unknown
 * option and a missing operand (stderr, exit 2). */
static const char *const subcommands[] = {"validate", "canonical",
                                          "fingerprint"};

START_TEST(test_subcommand_usage) {
  const char *cmd = subcommands[_i];
  char want[128];
  kt_run_t r = RUN(cmd, "--help");
  ck_assert_int_eq(r.status, 0);
  snprintf(want, sizeof(want), "Usage: kavro %s", cmd);
  ck_assert_contains(r.out, want);
  ck_assert_contains(r.out, "--references DIR");
  ck_assert_contains(r.out, "--schema FILE");
  kt_run_free(&r);
  r = RUN(cmd, "--no-such-option", "x.avsc");
  ck_assert_int_eq(r.status, 2);
  ck_assert_contains(r.err, "unknown option '--no-such-option'");
  snprintf(want, sizeof(want), "Try 'kavro %s --help'", cmd);
  ck_assert_contains(r.err, want);
  kt_run_free(&r);
  r = RUN(cmd, "-z", "x.avsc");
  ck_assert_int_eq(r.status, 2);
  ck_assert_contains(r.err, "unknown option '-z'");
  kt_run_free(&r);
  r = RUN(cmd);
  ck_assert_int_eq(r.status, 2);
  ck_assert_contains(r.err, "missing FILE operand");
  kt_run_free(&r);
  r = RUN(cmd, "x.avsc", "--references");
  ck_assert_int_eq(r.status, 2);
  ck_assert_contains(r.err, "option '--references' needs a value");
  kt_run_free(&r);
  r = RUN(cmd, "--references", kt_work_path(workdir, "no-such-dir"),
          kt_work_path(workdir, "order.avsc"));
  ck_assert_int_eq(r.status, 2);
  ck_assert_contains(r.err, "cannot open directory");
  kt_run_free(&r);
}
END_TEST

/* ---- validate ---------------------------------------------------------- */

START_TEST(test_validate_ok_is_quiet) {
  kt_run_t r =
      RUN("validate", KAVRO_SRCDIR "/avro/projects/ServiceOrderCreated.avsc",
          KAVRO_SRCDIR "/avro/execution/CheckinCompleted.avsc");
  ck_assert_int_eq(r.status, 0);
  ck_assert_str_eq(r.out, "");
  ck_assert_str_eq(r.err, "");
  kt_run_free(&r);
}
END_TEST

/* The seed writes logicalType beside the field: valid, but warned about. */
START_TEST(test_validate_warns_logical_beside_field) {
  kt_run_t r = RUN("validate", seed_path("ProjectCreated.avsc"));
  ck_assert_int_eq(r.status, 0);
  ck_assert_str_eq(r.out, "");
  ck_assert_contains(r.err, "ProjectCreated.avsc:7:5: /fields/1: warning: logicalType on field "
                            "\"event_timestamp\"");
  kt_run_free(&r);
}
END_TEST

/* Each bad file gets its line; good files around it do not hide it. */
START_TEST(test_validate_reports_each_file) {
  const char *bad = kt_work_path(workdir, "bad.avsc");
  const char *tempo = seed_path("TempoServiceRequested.avsc");
  kt_run_t r = RUN("validate", bad, seed_path("WcfSigned.avsc"), tempo);
  ck_assert_int_eq(r.status, 1);
  char want[4200];
  snprintf(want, sizeof(want), "%s:3:14: /fields/1/name: ", bad);
  ck_assert_contains(r.err, want);
  ck_assert_contains(r.err, "\"x\"");
  snprintf(want, sizeof(want), "%s:9:32: /fields/3/type: ", tempo);
  ck_assert_contains(r.err, want);
  ck_assert_str_eq(r.out, "");
  kt_run_free(&r);
}
END_TEST

/* A schema a registry holds though the specification forbids it:
 * canonical and fingerprint describe it (warning about the defect);
 * validate refuses it and names the rule a registry relaxes. */
START_TEST(test_legacy_schemas) {
  const char *path = kt_work_path(workdir, "legacy.avsc");
  for (size_t i = 0; i < kt_legacy_count; i++) {
    const kt_legacy_t *c = &kt_legacy[i];
    kt_write_file(path, c->text);
    kavro_parse_options_t options;
    kavro_parse_options_init(&options);
    options.lenient = true;
    kavro_schema_t *schema;
    ck_assert_int_eq(kavro_schema_parse(c->text, strlen(c->text), &options,
                                        &schema, NULL),
                     KAVRO_OK);

    kt_run_t r = RUN("canonical", path);
    ck_assert_msg(r.status == 0, "%s: %s", c->name, r.err);
    ck_assert(strncmp(r.out, kavro_schema_canonical(schema),
                      strlen(kavro_schema_canonical(schema))) == 0);
    ck_assert_contains(r.err, "warning: ");
    ck_assert_contains(r.err, c->says);
    kt_run_free(&r);

    r = RUN("fingerprint", path);
    ck_assert_msg(r.status == 0, "%s: %s", c->name, r.err);
    char rabin[32];
    snprintf(rabin, sizeof(rabin), "%016" PRIx64 "\n", kavro_schema_rabin(schema));
    ck_assert_str_eq(r.out, rabin);
    kt_run_free(&r);

    r = RUN("validate", path);
    ck_assert_int_eq(r.status, 1);
    ck_assert_contains(r.err, "a registry would accept this with a warning: ");
    ck_assert_contains(r.err, c->pointer);
    ck_assert_contains(r.err, c->says);
    kt_run_free(&r);
    kavro_schema_destroy(schema);
  }
  /* A schema no registry accepts gets no such note. */
  kt_run_t r = RUN("validate", kt_work_path(workdir, "bad.avsc"));
  ck_assert_int_eq(r.status, 1);
  ck_assert_ptr_null(strstr(r.err, "registry would accept"));
  kt_run_free(&r);
}
END_TEST

/* decode --writer reads a schema the user wrote: strictly, as validate
 * does, so a defect is an error naming it.  The same schema held by a
 * registry and fetched by id is read leniently, with a warning. */
START_TEST(test_decode_writer_strict_registry_lenient) {
  kavro_mock_t *mock;
  ck_assert_int_eq(kavro_mock_new(NULL, &mock, NULL), KAVRO_OK);
  ck_assert_int_eq(kavro_mock_listen(mock, NULL, 0, NULL), KAVRO_OK);
  const char *path = kt_work_path(workdir, "legacy.avsc");
  const char *body_path = kt_work_path(workdir, "frames.hex");
  for (size_t i = 0; i < kt_legacy_count; i++) {
    const kt_legacy_t *c = &kt_legacy[i];
    kt_write_file(path, c->text);
    char line[256];
    snprintf(line, sizeof line, "%s\n", c->body_hex);
    kt_write_file(body_path, line);
    /* The error is validate's, which is strict. */
    kt_run_t v = RUN("validate", path);
    ck_assert_int_eq(v.status, 1);
    char *note = strstr(v.err, "\n");
    ck_assert_ptr_nonnull(note);
    *note = '\0';
    ck_assert_contains(note + 1, c->says);
    kt_run_t r = RUN("decode", "--writer", path, "--hex", body_path);
    ck_assert_msg(r.status == 1, "%s: status %d", c->name, r.status);
    ck_assert_str_eq(r.out, "");
    ck_assert_contains(r.err, v.err);
    ck_assert_ptr_null(strstr(r.err, "warning"));
    kt_run_free(&r);
    kt_run_free(&v);

    char subject[32];
    snprintf(subject, sizeof subject, "legacy-%zu", i);
    kt_mock_hold(mock, subject, &c->text, 1);
    snprintf(line, sizeof line, "0000000001%s\n", c->body_hex);
    kt_write_file(body_path, line);
    r = RUN("decode", "--registry", kavro_mock_url(mock), "--hex", body_path);
    ck_assert_msg(r.status == 0, "%s: %s", c->name, r.err);
    char want[256];
    snprintf(want, sizeof want, "%s\n", c->json);
    ck_assert_str_eq(r.out, want);
    kt_run_free(&r);
  }
  kavro_mock_destroy(mock);
}
END_TEST

START_TEST(test_validate_io_error) {
  const char *missing = kt_work_path(workdir, "missing.avsc");
  /* The unreadable file does not stop the verdict on the next one. */
  kt_run_t r = RUN("validate", missing, kt_work_path(workdir, "bad.avsc"));
  ck_assert_int_eq(r.status, 2);
  ck_assert_contains(r.err, missing);
  ck_assert_contains(r.err, "bad.avsc:3:14: /fields/1/name: ");
  kt_run_free(&r);
  /* A directory is not a schema file either. */
  r = RUN("validate", kt_work_path(workdir, "refs"));
  ck_assert_int_eq(r.status, 2);
  kt_run_free(&r);
}
END_TEST

/* A warning (here: a logical type on the wrong type, ignored as the
 * specification says) is printed where it lies, and the file stays valid. */
START_TEST(test_validate_warning) {
  const char *path = kt_work_path(workdir, "warn.avsc");
  kt_write_file(path, "{\"type\": \"record\", \"name\": \"W\", \"fields\": [\n"
                      "  {\"name\": \"d\", \"type\": {\"type\": \"string\", "
                      "\"logicalType\": \"date\"}}]}\n");
  kt_run_t r = RUN("validate", path);
  ck_assert_int_eq(r.status, 0);
  char want[4200];
  snprintf(want, sizeof(want), "%s:2:17: /fields/0/type: warning: ", path);
  ck_assert_msg(strncmp(r.err, want, strlen(want)) == 0, "got %s", r.err);
  ck_assert_contains(r.err, "date");
  kt_run_free(&r);
}
END_TEST

/* ---- references -------------------------------------------------------- */

/* Without references the chain's top cannot stand alone. */
START_TEST(test_refs_needed) {
  kt_run_t r = RUN("validate", kt_work_path(workdir, "order.avsc"));
  ck_assert_int_eq(r.status, 1);
  ck_assert_contains(r.err, "/fields/1/type: ");
  ck_assert_contains(r.err, "com.acme.Price");
  kt_run_free(&r);
}
END_TEST

/* A directory whose files use each other, listed against their dependency
 * order: price (a_) needs money (b_). */
START_TEST(test_refs_directory_chain) {
  kt_run_t r = RUN("validate", "--references", kt_work_path(workdir, "refs"),
                   kt_work_path(workdir, "order.avsc"));
  ck_assert_int_eq(r.status, 0);
  ck_assert_str_eq(r.err, "");
  kt_run_free(&r);
  r = RUN("canonical", "-r", kt_work_path(workdir, "refs"),
          kt_work_path(workdir, "order.avsc"));
  ck_assert_int_eq(r.status, 0);
  ck_assert_str_eq(r.out, order_canonical);
  kt_run_free(&r);
}
END_TEST

START_TEST(test_refs_schema_files) {
  /* Repeated --schema, in the wrong order, and options after the file. */
  kt_run_t r = RUN("canonical", kt_work_path(workdir, "order.avsc"), "--schema",
                   kt_work_path(workdir, "refs/a_price.avsc"), "-s",
                   kt_work_path(workdir, "refs/b_money.avsc"));
  ck_assert_int_eq(r.status, 0);
  ck_assert_str_eq(r.out, order_canonical);
  kt_run_free(&r);
  /* Half the chain is not enough, and the message says what is missing. */
  r = RUN("validate", "--schema", kt_work_path(workdir, "refs/a_price.avsc"),
          kt_work_path(workdir, "order.avsc"));
  ck_assert_int_eq(r.status, 1);
  ck_assert_contains(r.err, "a_price.avsc:2:29: /fields/0/type: ");
  ck_assert_contains(r.err, "com.acme.Money");
  kt_run_free(&r);
  r = RUN("validate", "--schema", kt_work_path(workdir, "missing.avsc"),
          kt_work_path(workdir, "order.avsc"));
  ck_assert_int_eq(r.status, 2);
  kt_run_free(&r);
}
END_TEST

/* A file given to validate that also lies in the references directory is
 * not its own reference (that would define its types twice). */
START_TEST(test_refs_target_in_directory) {
  kt_write_file(kt_work_path(workdir, "refs/order.avsc"), order_avsc);
  kt_run_t r = RUN("validate", "-r", kt_work_path(workdir, "refs"),
                   kt_work_path(workdir, "refs/order.avsc"));
  ck_assert_int_eq(r.status, 0);
  ck_assert_str_eq(r.err, "");
  kt_run_free(&r);
}
END_TEST

/* An invalid reference fails the run and is reported, even when the file
 * itself could do without it. */
START_TEST(test_refs_invalid_reference) {
  kt_run_t r = RUN("fingerprint", "--schema", kt_work_path(workdir, "bad.avsc"),
                   seed_path("WcfSigned.avsc"));
  ck_assert_int_eq(r.status, 1);
  ck_assert_str_eq(r.out, "");
  ck_assert_contains(r.err, "bad.avsc:3:14: /fields/1/name: ");
  kt_run_free(&r);
}
END_TEST

/* ---- the seed 004 catalog ---------------------------------------------- */

typedef struct expectation_s {
  char file[128];
  bool valid;
  int line, column;
  char pointer[128];
  char reason[512];
} expectation_t;

static size_t load_expectations(expectation_t *out, size_t max) {
  char *text = kt_read_file(seed_path("EXPECTED"), NULL);
  ck_assert_msg(text != NULL, "cannot read tests/data/seed004/EXPECTED");
  size_t n = 0;
  for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
    if (line[0] == '#' || line[0] == '\0')
      continue;
    ck_assert_uint_lt(n, max);
    expectation_t *e = &out[n++];
    char verdict[16];
    int used = 0;
    memset(e, 0, sizeof(*e));
    ck_assert_int_ge(sscanf(line, "%127s %15s%n", e->file, verdict, &used), 2);
    e->valid = strcmp(verdict, "valid") == 0;
    if (!e->valid) {
      ck_assert_str_eq(verdict, "invalid");
      int more = 0;
      ck_assert_int_eq(sscanf(line + used, " %d:%d %127s %n", &e->line,
                              &e->column, e->pointer, &more),
                       3);
      snprintf(e->reason, sizeof(e->reason), "%s", line + used + more);
      ck_assert_msg(e->reason[0], "no reason for %s", e->file);
    }
  }
  free(text);
  return n;
}

/* stderr holds nothing but warnings. */
static void assert_only_warnings(const char *err) {
  char *copy = strdup(err);
  for (char *line = strtok(copy, "\n"); line; line = strtok(NULL, "\n"))
    ck_assert_msg(strstr(line, ": warning: ") != NULL, "not a warning: %s",
                  line);
  free(copy);
}

START_TEST(test_seed004_catalog) {
  expectation_t expected[64];
  size_t n = load_expectations(expected, 64);
  /* EXPECTED covers each .avsc of the directory: 22 ```json blocks. */
  ck_assert_uint_eq(n, 22);
  size_t invalid = 0;
  for (size_t i = 0; i < n; i++) {
    const expectation_t *e = &expected[i];
    const char *path = seed_path(e->file);
    kt_run_t r = RUN("validate", path);
    ck_assert_str_eq(r.out, "");
    if (e->valid) {
      ck_assert_msg(r.status == 0, "%s: %s", e->file, r.err);
      assert_only_warnings(r.err);
    } else {
      invalid++;
      ck_assert_msg(r.status == 1, "%s: exit %d", e->file, r.status);
      char want[4400];
      if (strcmp(e->pointer, "-") == 0)
        snprintf(want, sizeof(want), "%s:%d:%d: ", path, e->line, e->column);
      else
        snprintf(want, sizeof(want), "%s:%d:%d: %s: ", path, e->line, e->column,
                 e->pointer);
      ck_assert_msg(strncmp(r.err, want, strlen(want)) == 0,
                    "%s: expected \"%s...\", got %s", e->file, want, r.err);
      ck_assert_contains(r.err, e->reason);
    }
    kt_run_free(&r);
  }
  ck_assert_uint_eq(invalid, 6);
}
END_TEST

/* The fix the catalog's invalid schemas call for is a reference: with
 * PyxisOrderCreated, Tempo's types resolve; SalesOrderNormalized's short
 * "SalesChannel" still looks in its own namespace and still fails. */
START_TEST(test_seed004_with_reference) {
  kt_run_t r = RUN("validate", "--schema", seed_path("PyxisOrderCreated.avsc"),
                   seed_path("TempoServiceRequested.avsc"));
  ck_assert_int_eq(r.status, 0);
  kt_run_free(&r);
  r = RUN("validate", "--schema", seed_path("PyxisOrderCreated.avsc"),
          seed_path("SalesOrderNormalized.avsc"));
  ck_assert_int_eq(r.status, 1);
  ck_assert_contains(r.err, "com.ahs.fsm.events.integration.SalesChannel");
  kt_run_free(&r);
  /* A reference that is itself broken: both get reported. */
  r = RUN("validate", "--schema", seed_path("SalesOrderNormalized.avsc"),
          seed_path("SalesOrderFailed.avsc"));
  ck_assert_int_eq(r.status, 1);
  ck_assert_contains(r.err,
                     "SalesOrderNormalized.avsc:11:32: /fields/5/type: ");
  ck_assert_contains(r.err, "SalesOrderFailed.avsc:8:32: /fields/2/type: ");
  kt_run_free(&r);
}
END_TEST

/* ---- canonical and fingerprint against canonical.jsonl ---------------- */

static json_t *canonical_rows;

static void check_output(const char *algorithm, const char *want,
                         const char *id) {
  const char *path = kt_work_path(workdir, "row.avsc");
  kt_run_t r = algorithm ? RUN("fingerprint", "--algorithm", algorithm, path)
                         : RUN("canonical", path);
  ck_assert_msg(r.status == 0, "%s: %s", id, r.err);
  size_t len = strlen(r.out);
  ck_assert_msg(len > 0 && r.out[len - 1] == '\n', "%s: no newline", id);
  r.out[len - 1] = '\0';
  ck_assert_msg(strcmp(r.out, want) == 0, "%s %s: got %s, want %s", id,
                algorithm ? algorithm : "canonical", r.out, want);
  kt_run_free(&r);
}

START_TEST(test_conformance_canonical_rows) {
  size_t i;
  json_t *row;
  json_array_foreach(canonical_rows, i, row) {
    const char *id = json_string_value(json_object_get(row, "id"));
    kt_write_file(kt_work_path(workdir, "row.avsc"),
                  json_string_value(json_object_get(row, "schema_text")));
    check_output(NULL, json_string_value(json_object_get(row, "canonical")),
                 id);
    check_output("rabin",
                 json_string_value(json_object_get(row, "rabin_fp_hex")), id);
    check_output("md5", json_string_value(json_object_get(row, "md5_hex")), id);
    check_output("sha256",
                 json_string_value(json_object_get(row, "sha256_hex")), id);
  }
  ck_assert_uint_eq(i, json_array_size(canonical_rows));
}
END_TEST

/* Without --algorithm the fingerprint is rabin; a bad one is a usage error. */
START_TEST(test_fingerprint_default_and_bad_algorithm) {
  json_t *row = json_array_get(canonical_rows, 0);
  kt_write_file(kt_work_path(workdir, "row.avsc"),
                json_string_value(json_object_get(row, "schema_text")));
  kt_run_t r = RUN("fingerprint", kt_work_path(workdir, "row.avsc"));
  ck_assert_int_eq(r.status, 0);
  char want[64];
  snprintf(want, sizeof(want), "%s\n",
           json_string_value(json_object_get(row, "rabin_fp_hex")));
  ck_assert_str_eq(r.out, want);
  kt_run_free(&r);
  r = RUN("fingerprint", "-a", "crc32", kt_work_path(workdir, "row.avsc"));
  ck_assert_int_eq(r.status, 2);
  ck_assert_contains(r.err, "unknown algorithm 'crc32'");
  ck_assert_str_eq(r.out, "");
  kt_run_free(&r);
  r = RUN("fingerprint", "--algorithm=md5",
          kt_work_path(workdir, "order.avsc"));
  ck_assert_int_eq(r.status, 1);
  ck_assert_str_eq(r.out, "");
  kt_run_free(&r);
}
END_TEST

START_TEST(test_canonical_errors) {
  kt_run_t r = RUN("canonical", kt_work_path(workdir, "bad.avsc"));
  ck_assert_int_eq(r.status, 1);
  ck_assert_str_eq(r.out, "");
  ck_assert_contains(r.err, "/fields/1/name: ");
  kt_run_free(&r);
  r = RUN("canonical", kt_work_path(workdir, "order.avsc"),
          kt_work_path(workdir, "bad.avsc"));
  ck_assert_int_eq(r.status, 2);
  ck_assert_contains(r.err, "too many operands");
  kt_run_free(&r);
  /* A file named like an option goes after "--". */
  r = RUN("canonical", "--", "--help");
  ck_assert_int_eq(r.status, 2);
  ck_assert_contains(r.err, "--help");
  kt_run_free(&r);
}
END_TEST

/* Output that cannot be written is an error, not a silent success. */
START_TEST(test_output_write_failure) {
  if (access("/dev/full", W_OK) != 0)
    return;
  kt_run_t r = run_to(
      "/dev/full",
      (const char *const[]){"canonical", seed_path("WcfSigned.avsc"), NULL});
  ck_assert_int_eq(r.status, 2);
  ck_assert_contains(r.err, "writing the output failed");
  kt_run_free(&r);
}
END_TEST

/* ---- every input line processed or reported; one exit rule ----------- */

/* Write @length bytes of @data, NULs included, to @name in the work dir. */
static const char *write_bytes(const char *name, const char *data,
                               size_t length) {
  const char *path = kt_work_path(workdir, name);
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(fwrite(data, 1, length, f), length);
  ck_assert_int_eq(fclose(f), 0);
  return path;
}

#define WRITE_BYTES(name, literal) write_bytes(name, literal, sizeof(literal) - 1)

/* A line that starts with NUL is not blank: it is reported, the lines
 * around it are processed, and the exit status says a line failed. */
START_TEST(test_nul_lines_reported) {
  const char *schema = WRITE_BYTES("int.avsc", "\"int\"\n");
  const char *in = WRITE_BYTES("lines.in", "1\n\0" "2\n3\n");
  kt_run_t r = RUN("encode", "--schema", schema, "--hex", in);
  ck_assert_int_eq(r.status, 1);
  ck_assert_str_eq(r.out, "02\n06\n");
  ck_assert_contains(r.err, "line 2");
  kt_run_free(&r);
  in = WRITE_BYTES("lines.in", "02\n\0" "04\n06\n");
  r = RUN("decode", "--writer", schema, "--hex", in);
  ck_assert_int_eq(r.status, 1);
  ck_assert_str_eq(r.out, "1\n3\n");
  ck_assert_contains(r.err, "line 2");
  kt_run_free(&r);
}
END_TEST

/* With --hex every line is a datum: an empty line is the zero-byte body,
 * which is a whole datum of "null" and a truncated one of "int". */
START_TEST(test_hex_empty_line_is_a_datum) {
  const char *null_schema = WRITE_BYTES("null.avsc", "\"null\"\n");
  const char *in = WRITE_BYTES("lines.in", "\n\n");
  kt_run_t r = RUN("decode", "--writer", null_schema, "--hex", in);
  ck_assert_msg(r.status == 0, "%s", r.err);
  ck_assert_str_eq(r.out, "null\nnull\n");
  kt_run_free(&r);
  const char *int_schema = WRITE_BYTES("int.avsc", "\"int\"\n");
  in = WRITE_BYTES("lines.in", "02\n\n04\n");
  r = RUN("decode", "--writer", int_schema, "--hex", in);
  ck_assert_int_eq(r.status, 1);
  ck_assert_str_eq(r.out, "1\n2\n");
  ck_assert_contains(r.err, "line 2");
  kt_run_free(&r);
}
END_TEST

/* A registry that gives no usable answer is a registry error (2), never
 * bad input (1), in encode and decode alike; an id the registry confirms
 * it does not know is bad input. */
START_TEST(test_registry_fault_exit_status) {
  kavro_mock_t *mock;
  ck_assert_int_eq(kavro_mock_new(NULL, &mock, NULL), KAVRO_OK);
  ck_assert_int_eq(kavro_mock_listen(mock, NULL, 0, NULL), KAVRO_OK);
  const char *url = kavro_mock_url(mock);
  /* A schema whose registry reply is over 1 KiB. */
  char big[2048];
  snprintf(big, sizeof(big),
           "{\"type\":\"record\",\"name\":\"R\",\"doc\":\"%01200d\","
           "\"fields\":[{\"name\":\"n\",\"type\":\"int\"}]}\n", 0);
  const char *schema = write_bytes("big.avsc", big, strlen(big));
  const char *in = WRITE_BYTES("lines.in", "{\"n\": 1}\n");
  kt_run_t r = RUN("encode", "--schema", schema, "--hex", "--registry", url,
                   "--subject", "s", in);
  ck_assert_msg(r.status == 0, "%s", r.err);
  const char *frames = write_bytes("frames.hex", r.out, r.out_length);
  kt_run_free(&r);

  static const kavro_mock_fault_t faults[] = {
      {.kind = KAVRO_MOCK_FAULT_MALFORMED, .retry_after_seconds = -1},
      {.kind = KAVRO_MOCK_FAULT_MALFORMED, .http_status = 302,
       .retry_after_seconds = -1},
      {.kind = KAVRO_MOCK_FAULT_ERROR, .http_status = 404, .error_code = 404,
       .retry_after_seconds = -1},
  };
  for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
    ck_assert_int_eq(kavro_mock_push_fault(mock, &faults[i], 1000, NULL),
                     KAVRO_OK);
    r = RUN("encode", "--schema", schema, "--hex", "--registry", url,
            "--subject", "t", in);
    ck_assert_msg(r.status == 2, "encode, fault %zu: exit %d: %s", i,
                  r.status, r.err);
    kt_run_free(&r);
    r = RUN("decode", "--hex", "--registry", url, frames);
    ck_assert_msg(r.status == 2, "decode, fault %zu: exit %d: %s", i,
                  r.status, r.err);
    kt_run_free(&r);
    kavro_mock_clear_faults(mock);
  }
  r = RUN("decode", "--hex", "--registry", url, "-X",
          "response.max.bytes=1024", frames);
  ck_assert_msg(r.status == 2, "decode, oversize reply: exit %d: %s",
                r.status, r.err);
  ck_assert_contains(r.err, "response.max.bytes");
  kt_run_free(&r);
  r = RUN("decode", "--hex", "--registry", url, frames);
  ck_assert_msg(r.status == 0, "decode: %s", r.err);
  kt_run_free(&r);
  in = WRITE_BYTES("lines.in", "00000f423f02\n");
  r = RUN("decode", "--hex", "--registry", url, in);
  ck_assert_msg(r.status == 1, "decode, unknown id: exit %d: %s", r.status,
                r.err);
  kt_run_free(&r);
  kavro_mock_destroy(mock);
}
END_TEST

/* ---- the schema id in a header ------------------------------------------ */

static const char rec_avsc[] =
    "{\"type\":\"record\",\"name\":\"R\",\"fields\":"
    "[{\"name\":\"n\",\"type\":\"int\"}]}\n";

/* encode and decode run the rules of the schemas they use (here a CEL
 * condition of the latest version, -X use.latest.version=true): a refused
 * datum prints nothing on stdout, names the rule, the action taken and
 * the path on stderr, the others go on, and the exit status is 1. */
/* A mock registry over HTTP holding rec_avsc under @subject with the rule
 * set @rule_set; its URL. */
static const char *mock_with_rules(kavro_mock_t **mockp, const char *subject,
                                   const char *rule_set) {
  ck_assert_int_eq(kavro_mock_new(NULL, mockp, NULL), KAVRO_OK);
  ck_assert_int_eq(kavro_mock_listen(*mockp, NULL, 0, NULL), KAVRO_OK);
  const char *url = kavro_mock_url(*mockp);
  kavro_registry_t *reg = kt_client(url, NULL);
  kt_register_contract(reg, subject, rec_avsc, NULL, rule_set);
  kavro_registry_destroy(reg);
  return url;
}

START_TEST(test_rules_refuse_datum) {
  kavro_mock_t *mock;
  const char *url = mock_with_rules(
      &mock, "s",
      "{\"domainRules\":[{\"name\":\"nonNegative\",\"kind\":"
      "\"CONDITION\",\"mode\":\"WRITEREAD\",\"type\":\"CEL\",\"expr\":"
      "\"message.n >= 0\"}]}");
  const char *schema = WRITE_BYTES("rec.avsc", rec_avsc);
  const char *in = WRITE_BYTES("lines.in", "{\"n\": 1}\n{\"n\": -2}\n"
                                           "{\"n\": 3}\n");
  kt_run_t r = RUN("encode", "--registry", url, "--subject", "s", "--schema",
                   schema, "--hex", "-X", "auto.register.schemas=false", "-X",
                   "use.latest.version=true", in);
  ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
  ck_assert_str_eq(r.out, "000000000102\n000000000106\n");
  ck_assert_contains(r.err, "line 2");
  ck_assert_contains(r.err, "rule \"nonNegative\" (CONDITION, CEL) failed on "
                            "WRITE at the message, action ERROR: Expr "
                            "failed: 'message.n >= 0'");
  kt_run_free(&r);
  /* Frames written with the rule disabled are refused on read alike. */
  r = RUN("encode", "--registry", url, "--subject", "s", "--schema", schema,
          "--hex", "-X", "auto.register.schemas=false", "-X",
          "use.latest.version=true", "-X",
          "rule.executors.nonNegative.disabled=true", in);
  ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
  const char *frames = write_bytes("frames.hex", r.out, r.out_length);
  kt_run_free(&r);
  r = RUN("decode", "--registry", url, "--hex", frames);
  ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
  ck_assert_str_eq(r.out, "{\"n\": 1}\n{\"n\": 3}\n");
  ck_assert_contains(r.err, "rule \"nonNegative\" (CONDITION, CEL) failed on "
                            "READ");
  ck_assert_contains(r.err, "action ERROR");
  kt_run_free(&r);
  kavro_mock_destroy(mock);
}
END_TEST

/* `encode --schema-id-format header --hex` writes "HEADERHEX PAYLOADHEX"
 * per datum: 0x01 and the registry's GUID of the schema, and the bare
 * body, which is what follows the prefix in the default output; `decode
 * --hex` reads such lines and framed ones alike, and reports a line it
 * cannot take, going on with the others. */
START_TEST(test_schema_id_in_header) {
  kavro_mock_t *mock;
  ck_assert_int_eq(kavro_mock_new(NULL, &mock, NULL), KAVRO_OK);
  ck_assert_int_eq(kavro_mock_listen(mock, NULL, 0, NULL), KAVRO_OK);
  const char *url = kavro_mock_url(mock);
  const char *schema = WRITE_BYTES("rec.avsc", rec_avsc);
  const char *in = WRITE_BYTES("lines.in", "{\"n\": 1}\n{\"n\": -2}\n");
  kt_run_t prefix = RUN("encode", "--registry", url, "--subject", "s",
                        "--schema", schema, "--hex", in);
  ck_assert_msg(prefix.status == 0, "%s", prefix.err);
  ck_assert_str_eq(prefix.out, "000000000102\n000000000103\n");
  kt_run_t header = RUN("encode", "--registry", url, "--subject", "s",
                        "--schema", schema, "--hex", "--schema-id-format",
                        "header", in);
  ck_assert_msg(header.status == 0, "%s", header.err);
  unsigned char guid[16];
  kt_mock_guid(mock, 1, guid);
  char *guid_hex = kt_hex_encode(guid, sizeof guid);
  char expected[256];
  snprintf(expected, sizeof expected, "01%s 02\n01%s 03\n", guid_hex,
           guid_hex);
  ck_assert_str_eq(header.out, expected);
  free(guid_hex);
  /* -X sets the same serializer property. */
  kt_run_t x = RUN("encode", "--registry", url, "--subject", "s", "--schema",
                   schema, "--hex", "-X", "value.schema.id.serializer=header",
                   in);
  ck_assert_msg(x.status == 0, "%s", x.err);
  ck_assert_str_eq(x.out, expected);
  kt_run_free(&x);
  /* Without --hex there is nowhere to put the header. */
  x = RUN("encode", "--registry", url, "--subject", "s", "--schema", schema,
          "--schema-id-format", "header", in);
  ck_assert_int_eq(x.status, 2);
  ck_assert_contains(x.err, "--hex");
  kt_run_free(&x);

  /* Both shapes in one input decode alike. */
  char mixed[512];
  snprintf(mixed, sizeof mixed, "%s%s", header.out, prefix.out);
  const char *frames = write_bytes("mixed.hex", mixed, strlen(mixed));
  kt_run_t r = RUN("decode", "--registry", url, "--hex", frames);
  ck_assert_msg(r.status == 0, "%s", r.err);
  ck_assert_str_eq(r.out, "{\"n\": 1}\n{\"n\": -2}\n{\"n\": 1}\n"
                          "{\"n\": -2}\n");
  kt_run_free(&r);
  /* Bad lines are reported one by one; the good ones still come out. */
  char bad[1024];
  snprintf(bad, sizeof bad,
           "%.35s 02\n"      /* good */
           "01abcd 02\n"     /* a header that ends inside its GUID */
           "%.35s zz\n"      /* a payload that is not hex */
           "xy 02\n"         /* a header that is not hex */
           "%.35s 02 04\n"   /* three words */
           "000000000104\n", /* good */
           header.out, header.out, header.out);
  frames = write_bytes("headers.hex", bad, strlen(bad));
  r = RUN("decode", "--registry", url, "--hex", frames);
  ck_assert_int_eq(r.status, 1);
  ck_assert_str_eq(r.out, "{\"n\": 1}\n{\"n\": 2}\n");
  ck_assert_contains(r.err, "line 2: header");
  ck_assert_contains(r.err, "line 3: the payload is not hex");
  ck_assert_contains(r.err, "line 4: the header is not hex");
  ck_assert_contains(r.err, "line 5: 3 words");
  kt_run_free(&r);
  /* Without a registry a header means nothing. */
  r = RUN("decode", "--writer", schema, "--hex", frames);
  ck_assert_int_eq(r.status, 1);
  ck_assert_contains(r.err, "line 1: a schema-id header (two words) needs "
                            "--registry");
  kt_run_free(&r);
  kt_run_free(&header);
  kt_run_free(&prefix);
  kavro_mock_destroy(mock);
}
END_TEST

/* --context puts the subject in a schema context, with ids of its own:
 * what encode writes there, decode reads there and nowhere else. */
START_TEST(test_context_option) {
  kavro_mock_t *mock;
  ck_assert_int_eq(kavro_mock_new(NULL, &mock, NULL), KAVRO_OK);
  ck_assert_int_eq(kavro_mock_listen(mock, NULL, 0, NULL), KAVRO_OK);
  const char *url = kavro_mock_url(mock);
  const char *rec = WRITE_BYTES("rec.avsc", rec_avsc);
  const char *other = WRITE_BYTES(
      "other.avsc", "{\"type\": \"record\", \"name\": \"O\", \"fields\": "
                    "[{\"name\": \"s\", \"type\": \"string\"}]}");
  /* Id 1 in the default context is rec; in .orders it is other. */
  kt_run_t r = RUN("encode", "--registry", url, "--topic", "t", "--schema",
                   rec, "--hex", WRITE_BYTES("n.in", "{\"n\": 1}\n"));
  ck_assert_msg(r.status == 0, "%s", r.err);
  ck_assert_str_eq(r.out, "000000000102\n");
  kt_run_free(&r);
  r = RUN("encode", "--registry", url, "--topic", "t", "--context",
          ".orders", "--schema", other, "--hex",
          WRITE_BYTES("s.in", "{\"s\": \"x\"}\n"));
  ck_assert_msg(r.status == 0, "%s", r.err);
  ck_assert_str_eq(r.out, "00000000010278\n");
  const char *frames = write_bytes("ctx.hex", r.out, strlen(r.out));
  kt_run_free(&r);
  r = RUN("decode", "--registry", url, "--hex", "--topic", "t", "--context",
          "orders", frames);
  ck_assert_msg(r.status == 0, "%s", r.err);
  ck_assert_str_eq(r.out, "{\"s\": \"x\"}\n");
  kt_run_free(&r);
  /* Read in the default context, id 1 is rec: the frame does not fit. */
  r = RUN("decode", "--registry", url, "--hex", "--topic", "t", frames);
  ck_assert_int_eq(r.status, 1);
  ck_assert_str_eq(r.out, "");
  kt_run_free(&r);
  r = RUN("decode", "--registry", url, "--hex", "--context", "orders",
          frames);
  ck_assert_int_eq(r.status, 2);
  ck_assert_contains(r.err, "--context needs --topic");
  kt_run_free(&r);
  r = RUN("encode", "--schema", rec, "--context", "orders",
          WRITE_BYTES("n.in", "{\"n\": 1}\n"));
  ck_assert_int_eq(r.status, 2);
  ck_assert_contains(r.err, "need --registry");
  kt_run_free(&r);
  kavro_mock_destroy(mock);
}
END_TEST

/* -X takes any kavro property in encode, decode, produce and consume; an
 * unknown key or a bad value is a usage error naming the key. */
START_TEST(test_setting_errors_name_the_key) {
  const char *schema = WRITE_BYTES("rec.avsc", rec_avsc);
  const char *in = WRITE_BYTES("lines.in", "{\"n\": 1}\n");
  const char *url = "http://127.0.0.1:9";
  const char *const *const runs[] = {
      (const char *const[]){"encode", "--registry", url, "--subject", "s",
                            "--schema", schema, in, NULL},
      (const char *const[]){"decode", "--registry", url, "--hex", in, NULL},
      (const char *const[]){"produce", "-b", "127.0.0.1:9", "-r", url, "-t",
                            "t", "--schema", schema, in, NULL},
      (const char *const[]){"consume", "-b", "127.0.0.1:9", "-r", url, "-t",
                            "t", NULL},
  };
  static const char *const settings[][2] = {
      {"no.such.key=1", "no.such.key"},
      {"auto.register.schemas=maybe", "auto.register.schemas"},
      {"value.schema.id.serializer=dual", "value.schema.id.serializer"},
  };
  for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++)
    for (size_t j = 0; j < sizeof settings / sizeof settings[0]; j++) {
      const char *args[24];
      size_t n = 0;
      for (; runs[i][n]; n++)
        args[n] = runs[i][n];
      args[n++] = "-X";
      args[n++] = settings[j][0];
      args[n] = NULL;
      kt_run_t r = run_to(NULL, args);
      ck_assert_msg(r.status == 2, "%s %s: exit %d: %s", runs[i][0],
                    settings[j][0], r.status, r.err);
      ck_assert_msg(strstr(r.err, settings[j][1]) != NULL, "%s %s: %s",
                    runs[i][0], settings[j][0], r.err);
      kt_run_free(&r);
    }
}
END_TEST

/* ---- the first hour: help, messages, gen's output directory ---------- */

/* The column where the summary of @line ("  NAME  SUMMARY") starts. */
static size_t summary_column(const char *line) {
  size_t i = 2;
  while (line[i] && !(line[i] == ' ' && line[i + 1] == ' '))
    i++;
  while (line[i] == ' ')
    i++;
  return i;
}

/* `kavro help` is `kavro --help`, with commands and summaries in a column
 * each; `kavro help COMMAND` is `kavro COMMAND --help`. */
START_TEST(test_help_command) {
  kt_run_t all = RUN("--help");
  kt_run_t r = RUN("help");
  ck_assert_int_eq(r.status, 0);
  ck_assert_str_eq(r.out, all.out);
  kt_run_free(&r);
  const char *list = strstr(all.out, "Commands:\n");
  ck_assert_ptr_nonnull(list);
  ck_assert_contains(list, "\n  mock-registry  ");
  ck_assert_contains(list, "\n  mock-cluster  ");
  ck_assert_contains(list, "\n  dlq  ");
  ck_assert_contains(list, "\n  help [COMMAND]  ");
  size_t column = 0, rows = 0;
  for (const char *line = strchr(list, '\n') + 1; strncmp(line, "  ", 2) == 0;
       line = strchr(line, '\n') + 1, rows++) {
    size_t at = summary_column(line);
    if (rows == 0)
      column = at;
    ck_assert_msg(at == column, "summary at %zu, not %zu: %.40s", at, column,
                  line);
  }
  ck_assert_uint_eq(rows, 12);
  kt_run_free(&all);

  kt_run_t own = RUN("gen", "--help");
  r = RUN("help", "gen");
  ck_assert_int_eq(r.status, 0);
  ck_assert_str_eq(r.out, own.out);
  ck_assert_contains(r.out, "Usage: kavro gen");
  kt_run_free(&r);
  kt_run_free(&own);
  r = RUN("help", "frobnicate");
  ck_assert_int_eq(r.status, 2);
  ck_assert_contains(r.err, "kavro help: 'frobnicate' is not a kavro command");
  kt_run_free(&r);
}
END_TEST

/* `kavro dlq`'s command line: a subcommand is needed, each has its own
 * help (and `kavro dlq --help` both), and mistakes are usage errors (2)
 * found before any broker is asked. */
START_TEST(test_dlq_usage) {
  kt_run_t r = RUN("dlq");
  ck_assert_int_eq(r.status, 2);
  ck_assert_contains(r.err, "kavro dlq: a subcommand is needed");
  kt_run_free(&r);
  r = RUN("dlq", "purge");
  ck_assert_int_eq(r.status, 2);
  ck_assert_contains(r.err, "'purge' is not a dlq subcommand");
  kt_run_free(&r);
  r = RUN("dlq", "--help");
  ck_assert_int_eq(r.status, 0);
  ck_assert_contains(r.out, "Usage: kavro dlq inspect");
  ck_assert_contains(r.out, "Usage: kavro dlq replay");
  kt_run_free(&r);
  r = RUN("dlq", "replay", "--help");
  ck_assert_int_eq(r.status, 0);
  ck_assert_contains(r.out, "'replayed N, skipped M'");
  ck_assert(strstr(r.out, "Usage: kavro dlq inspect") == NULL);
  kt_run_free(&r);
  r = RUN("dlq", "inspect", "-t", "t.dlq");
  ck_assert_int_eq(r.status, 2);
  ck_assert_contains(r.err, "kavro dlq inspect: brokers are needed (-b HOSTS)");
  kt_run_free(&r);
  r = RUN("dlq", "inspect", "-b", "127.0.0.1:1", "-t", "t.dlq", "--format",
          "xml");
  ck_assert_int_eq(r.status, 2);
  ck_assert_contains(r.err, "--format wants text or json, not 'xml'");
  kt_run_free(&r);
  r = RUN("dlq", "replay", "-b", "127.0.0.1:1", "-t", "t.dlq", "--since",
          "2026-12-07T10:00:00Z", "--until", "1796637600000");
  ck_assert_int_eq(r.status, 2);
  ck_assert_contains(r.err, "--until must be after --since");
  kt_run_free(&r);
  r = RUN("dlq", "replay", "-b", "127.0.0.1:1", "-t", "t.dlq", "--since",
          "2026-12-07T10:00:00");
  ck_assert_int_eq(r.status, 2);
  ck_assert_contains(r.err, "--since wants a time");
  kt_run_free(&r);
  r = RUN("dlq", "replay", "-b", "127.0.0.1:1", "-t", "t.dlq",
          "--max-messages", "0");
  ck_assert_int_eq(r.status, 2);
  ck_assert_contains(r.err, "--max-messages wants a positive number");
  kt_run_free(&r);
}
END_TEST

/* Every message starts with "kavro COMMAND: ", usage errors, I/O errors and
 * a failed write of the output alike. */
START_TEST(test_errors_name_the_subcommand) {
  kt_run_t r = RUN("encode", "--no-such-option");
  ck_assert_int_eq(r.status, 2);
  ck_assert_msg(strncmp(r.err, "kavro encode: ", 14) == 0, "%s", r.err);
  kt_run_free(&r);
  const char *schema = write_bytes("rec.avsc", rec_avsc, strlen(rec_avsc));
  const char *file = WRITE_BYTES("plain.txt", "not a directory\n");
  char under_file[4096];
  snprintf(under_file, sizeof(under_file), "%s/out", file);
  r = RUN("gen", "--output", under_file, schema);
  ck_assert_int_eq(r.status, 2);
  ck_assert_msg(strncmp(r.err, "kavro gen: ", 11) == 0, "%s", r.err);
  ck_assert_contains(r.err, "plain.txt/out");
  kt_run_free(&r);
  if (access("/dev/full", W_OK) == 0) {
    r = run_to("/dev/full",
               (const char *const[]){"canonical", schema, NULL});
    ck_assert_int_eq(r.status, 2);
    ck_assert_contains(r.err, "kavro canonical: writing the output failed");
    kt_run_free(&r);
  }
}
END_TEST

/* `gen --output DIR` makes DIR and its missing parents. */
START_TEST(test_gen_makes_output_dir) {
  const char *schema = write_bytes("rec.avsc", rec_avsc, strlen(rec_avsc));
  char dir[4096];
  snprintf(dir, sizeof(dir), "%s", kt_work_path(workdir, "gen/new/deeper"));
  kt_run_t r = RUN("gen", "--output", dir, schema);
  ck_assert_msg(r.status == 0, "%s", r.err);
  kt_run_free(&r);
  struct stat st;
  ck_assert_int_eq(stat(kt_work_path(workdir, "gen/new/deeper/rec.h"), &st), 0);
  ck_assert_int_eq(stat(kt_work_path(workdir, "gen/new/deeper/rec.c"), &st), 0);
  /* Again into the directory now there: no error. */
  r = RUN("gen", "--output", dir, schema);
  ck_assert_msg(r.status == 0, "%s", r.err);
  kt_run_free(&r);
}
END_TEST

/* `consume` with no broker to reach ends with 2 (a broker error), not 0
 * as if the topic were empty. */
START_TEST(test_consume_brokers_down_exit_status) {
  kt_run_t r = RUN("consume", "-t", "t", "-b", "127.0.0.1:1", "-r",
                   "http://127.0.0.1:1", "--timeout-ms", "1000");
  ck_assert_msg(r.status == 2, "exit %d: %s", r.status, r.err);
  ck_assert_contains(r.err, "kavro consume: no broker could be reached\n");
  ck_assert_contains(r.err, "kavro consume: 0 records printed");
  ck_assert_str_eq(r.out, "");
  kt_run_free(&r);
}
END_TEST

/* `consume --metrics-listen`: the first line of output says where the
 * metrics are, with the port the system chose, before any record (none
 * here: no broker); a value that is no ADDR:PORT is a usage error. */
START_TEST(test_consume_metrics_line_first) {
  kt_run_t r = RUN("consume", "-t", "t", "-b", "127.0.0.1:1", "-r",
                   "http://127.0.0.1:1", "--timeout-ms", "500",
                   "--metrics-listen", "127.0.0.1:0");
  ck_assert_msg(r.status == 2, "exit %d: %s", r.status, r.err);
  unsigned port = 0;
  char rest[8] = "";
  ck_assert_msg(sscanf(r.out, "metrics on http://127.0.0.1:%u/metrics%7c",
                       &port, rest) == 2 &&
                    port > 0 && strcmp(rest, "\n") == 0,
                "%s", r.out);
  kt_run_free(&r);
  r = RUN("consume", "-t", "t", "-b", "127.0.0.1:1", "-r",
          "http://127.0.0.1:1", "--metrics-listen", "nowhere");
  ck_assert_int_eq(r.status, 2);
  ck_assert_contains(r.err, "--metrics-listen wants ADDR:PORT");
  ck_assert_str_eq(r.out, "");
  kt_run_free(&r);
}
END_TEST

/* Counts read as English: one record delivered is "1 record". */
START_TEST(test_produce_counts_in_english) {
  kavro_mock_t *mock;
  ck_assert_int_eq(kavro_mock_new(NULL, &mock, NULL), KAVRO_OK);
  ck_assert_int_eq(kavro_mock_listen(mock, NULL, 0, NULL), KAVRO_OK);
  const char *schema = write_bytes("rec.avsc", rec_avsc, strlen(rec_avsc));
  char in[4096];
  snprintf(in, sizeof(in), "%s", WRITE_BYTES("one.in", "{\"n\": 1}\n"));
  const char *const argv[] = {kavro_path(), "produce", "-t", "counts",
                              "--mock-cluster", "1", "-r",
                              kavro_mock_url(mock), "--schema", schema, NULL};
  kt_run_t r = kt_run(workdir, in, argv);
  ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
  ck_assert_contains(r.err, "kavro produce: 1 record delivered to counts\n");
  kt_run_free(&r);
  kavro_mock_destroy(mock);
}
END_TEST

/* produce runs the rules of the schema it uses: a record a rule refuses
 * with the DLQ action goes to dlq.topic through the same producer, the
 * others are produced (--on-error continue), and the exit status is 1. */
START_TEST(test_produce_rule_dlq) {
  kavro_mock_t *mock;
  const char *url = mock_with_rules(
      &mock, "counts-value",
      "{\"domainRules\":[{\"name\":\"nonNegative\",\"kind\":"
      "\"CONDITION\",\"mode\":\"WRITE\",\"type\":\"CEL\",\"expr\":"
      "\"message.n >= 0\",\"onFailure\":\"DLQ\"}]}");
  const char *in = WRITE_BYTES("lines.in", "{\"n\": 1}\n{\"n\": -2}\n"
                                           "{\"n\": 3}\n");
  const char *const argv[] = {kavro_path(), "produce", "-t", "counts",
                              "--mock-cluster", "1", "-r", url, "--subject",
                              "counts-value", "-X", "dlq.topic=counts.dlq",
                              "--on-error", "continue", NULL};
  kt_run_t r = kt_run(workdir, in, argv);
  ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
  ck_assert_contains(r.err, "rule \"nonNegative\" failed, action DLQ: the "
                            "message went to topic counts.dlq");
  ck_assert_contains(r.err, "kavro produce: 2 records delivered to counts\n");
  ck_assert_contains(r.err, "kavro produce: 1 refused record sent to the dead "
                            "letter topic\n");
  kt_run_free(&r);
  kavro_mock_destroy(mock);
}
END_TEST

/* --on-error takes stop or continue, nothing else. */
START_TEST(test_produce_on_error_usage) {
  kt_run_t r = RUN("produce", "-t", "t", "--mock-cluster", "1", "-r",
                   "mock://cli-usage", "--schema", "x.avsc", "--on-error",
                   "skip");
  ck_assert_msg(r.status == 2, "exit %d: %s", r.status, r.err);
  ck_assert_contains(r.err,
                     "kavro produce: --on-error wants stop or continue");
  kt_run_free(&r);
}
END_TEST

/* A line over produce's bound (4 MiB) fails alone: with --on-error
 * continue the line after it is produced, its tail not taken for a line
 * of its own. */
START_TEST(test_produce_long_line_continue) {
  const char *schema = write_bytes("rec.avsc", rec_avsc, strlen(rec_avsc));
  char schema_path[4096];
  snprintf(schema_path, sizeof schema_path, "%s", schema);
  size_t long_length = 4u * 1024u * 1024u + 16u;
  char *input = malloc(long_length + 64);
  ck_assert_ptr_nonnull(input);
  size_t n = (size_t)sprintf(input, "{\"n\": 1}\n{\"n\": 2");
  memset(input + n, ' ', long_length);
  n += long_length;
  n += (size_t)sprintf(input + n, "}\n{\"n\": 3}\n");
  char in[4096];
  snprintf(in, sizeof in, "%s", write_bytes("lines.in", input, n));
  free(input);
  const char *const argv[] = {kavro_path(), "produce", "-t", "long",
                              "--mock-cluster", "1", "-r", "mock://cli-long",
                              "--schema", schema_path, "--on-error",
                              "continue", NULL};
  kt_run_t r = kt_run(workdir, in, argv);
  ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
  ck_assert_contains(r.err, "kavro produce: line 2: longer than ");
  ck_assert_contains(r.err, "kavro produce: 2 records delivered to long\n");
  ck_assert_contains(r.err, "kavro produce: 1 of 3 lines failed\n");
  kt_run_free(&r);
}
END_TEST

/* ---- kavro mock-registry with credentials -------------------------------- */

#define MOCK_PASSWORD "pw-Zq81x"
#define MOCK_SECRET "sec-Kd70w"

/* `kavro mock-registry --listen 127.0.0.1:0` with @args (NULL-terminated)
 * running in @server. */
static void start_mock_registry(kt_server_t *server, const char *const *args) {
  const char *argv[16] = {kavro_path(), "mock-registry", "--listen",
                          "127.0.0.1:0"};
  size_t n = 4;
  for (; *args; args++) {
    ck_assert_uint_lt(n, sizeof(argv) / sizeof(argv[0]) - 1);
    argv[n++] = *args;
  }
  argv[n] = NULL;
  ck_assert_msg(kt_server_start(server, workdir, argv),
                "kavro mock-registry did not start");
}

/* Stop @server, which must exit 0 having printed no secret. */
static void stop_mock_registry(kt_server_t *server) {
  kt_run_t r = kt_server_stop(server);
  ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
  ck_assert_ptr_null(strstr(r.out, MOCK_PASSWORD));
  ck_assert_ptr_null(strstr(r.err, MOCK_PASSWORD));
  ck_assert_ptr_null(strstr(r.out, MOCK_SECRET));
  ck_assert_ptr_null(strstr(r.err, MOCK_SECRET));
  kt_run_free(&r);
}

/* GET /subjects through a client for @url with the settings (key, value,
 * ..., NULL): the HTTP status, 200 when it succeeded.  A refusal must
 * carry the registry's 401 error body. */
static int list_subjects(const char *url, ...) {
  static const char *const no_retries[] = {"max.retries", "0", NULL};
  const char *settings[35];
  va_list ap;
  va_start(ap, url);
  kt_settings_collect(settings, sizeof(settings) / sizeof(settings[0]),
                      no_retries, ap);
  va_end(ap);
  kavro_registry_t *reg = kt_client_settings(url, settings);
  char **subjects = NULL;
  size_t count = 0;
  kavro_error_t error;
  kavro_err_t err = kavro_registry_subjects(reg, false, &subjects, &count,
                                            &error);
  kavro_registry_destroy(reg);
  free(subjects);
  if (err == KAVRO_OK)
    return 200;
  if (error.http_status == 401)
    ck_assert_int_eq(error.registry_code, 401);
  return error.http_status;
}

typedef struct body_s {
  char *data;
  size_t length;
} body_t;

static size_t collect(char *data, size_t size, size_t n, void *userdata) {
  body_t *body = userdata;
  char *bigger = realloc(body->data, body->length + size * n + 1);
  ck_assert_ptr_nonnull(bigger);
  memcpy(bigger + body->length, data, size * n);
  body->length += size * n;
  bigger[body->length] = '\0';
  body->data = bigger;
  return size * n;
}

/* POST a client-credentials grant to @url's /oauth/token as @client
 * ("ID:SECRET"): its HTTP status, and its JSON body in *@jsonp (NULL when
 * it is not JSON; the caller decrefs it). */
static long post_token(const char *url, const char *client, json_t **jsonp) {
  char target[512];
  snprintf(target, sizeof(target), "%s/oauth/token", url);
  body_t body = {NULL, 0};
  CURL *curl = curl_easy_init();
  ck_assert_ptr_nonnull(curl);
  curl_easy_setopt(curl, CURLOPT_URL, target);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "grant_type=client_credentials");
  curl_easy_setopt(curl, CURLOPT_USERPWD, client);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  ck_assert_int_eq(curl_easy_perform(curl), CURLE_OK);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(curl);
  *jsonp = body.data ? json_loads(body.data, 0, NULL) : NULL;
  free(body.data);
  return status;
}

/* --basic-auth: 401 with the registry's error body without the
 * credentials or with wrong ones, 200 with them. */
START_TEST(test_mock_registry_basic_auth) {
  kt_server_t server;
  start_mock_registry(&server, (const char *const[]){
                                   "--basic-auth", "ann:" MOCK_PASSWORD, NULL});
  ck_assert_int_eq(list_subjects(server.url, NULL), 401);
  ck_assert_int_eq(list_subjects(server.url, "basic.auth.credentials.source",
                                 "USER_INFO", "basic.auth.user.info",
                                 "ann:wrong", NULL),
                   401);
  ck_assert_int_eq(list_subjects(server.url, "basic.auth.credentials.source",
                                 "USER_INFO", "basic.auth.user.info",
                                 "ann:" MOCK_PASSWORD, NULL),
                   200);
  stop_mock_registry(&server);
}
END_TEST

/* --oauth: the token endpoint issues tokens of the lifetime asked (3600 s
 * by default) to that client alone, and the registry wants one of them. */
START_TEST(test_mock_registry_oauth) {
  kt_server_t server;
  start_mock_registry(&server, (const char *const[]){
                                   "--oauth", "tool:" MOCK_SECRET ":120", NULL});
  json_t *json;
  ck_assert_int_eq(post_token(server.url, "tool:wrong", &json), 401);
  json_decref(json);
  ck_assert_int_eq(post_token(server.url, "tool:" MOCK_SECRET, &json), 200);
  ck_assert_ptr_nonnull(json);
  ck_assert_str_eq(json_string_value(json_object_get(json, "token_type")),
                   "Bearer");
  ck_assert_int_eq(json_integer_value(json_object_get(json, "expires_in")),
                   120);
  const char *token = json_string_value(json_object_get(json, "access_token"));
  ck_assert_ptr_nonnull(token);
  ck_assert_int_eq(list_subjects(server.url, "bearer.auth.token", token, NULL),
                   200);
  json_decref(json);
  ck_assert_int_eq(list_subjects(server.url, NULL), 401);
  ck_assert_int_eq(
      list_subjects(server.url, "bearer.auth.token", "not-issued", NULL), 401);
  /* The client's own OAuth flow against the endpoint. */
  char issuer[sizeof(server.url) + 16];
  snprintf(issuer, sizeof(issuer), "%s/oauth/token", server.url);
  ck_assert_int_eq(list_subjects(server.url, "bearer.auth.credentials.source",
                                 "OAUTHBEARER",
                                 "bearer.auth.issuer.endpoint.url", issuer,
                                 "bearer.auth.client.id", "tool",
                                 "bearer.auth.client.secret", MOCK_SECRET,
                                 NULL),
                   200);
  stop_mock_registry(&server);

  /* Without a lifetime: 3600 s; a ':' inside the secret is the secret's. */
  start_mock_registry(&server, (const char *const[]){
                                   "--oauth", "tool:a:" MOCK_SECRET, NULL});
  ck_assert_int_eq(post_token(server.url, "tool:a:" MOCK_SECRET, &json), 200);
  ck_assert_int_eq(json_integer_value(json_object_get(json, "expires_in")),
                   3600);
  json_decref(json);
  stop_mock_registry(&server);
}
END_TEST

/* Bad credential options are usage errors that do not quote the value. */
/* `kavro mock-registry --listen [::1]:0`: IPv6 in brackets, the URL with
 * them; other shapes are usage errors. */
START_TEST(test_mock_registry_ipv6) {
  static const char *const bad[] = {"[::1]8081", "[::1", "::1:8081", "[]:0",
                                    "[::1]:", "127.0.0.1:80:80"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    kt_run_t r = RUN("mock-registry", "--listen", bad[i]);
    ck_assert_msg(r.status == 2, "%s: exit %d", bad[i], r.status);
    ck_assert_contains(r.err, "--listen wants ADDR:PORT");
    kt_run_free(&r);
  }
  kt_run_t help = RUN("mock-registry", "--help");
  ck_assert_contains(help.out, "[IPv6 address]:PORT");
  kt_run_free(&help);
  if (!kt_ipv6_loopback())
    return;
  kt_server_t server;
  const char *argv[] = {kavro_path(), "mock-registry", "--listen", "[::1]:0",
                        NULL};
  ck_assert_msg(kt_server_start(&server, workdir, argv),
                "kavro mock-registry did not start");
  ck_assert_msg(strncmp(server.url, "http://[::1]:", 13) == 0, "%s", server.url);
  ck_assert_int_eq(list_subjects(server.url, NULL), 200);
  stop_mock_registry(&server);
}
END_TEST

START_TEST(test_mock_registry_auth_usage) {
  static const char *const bad[][2] = {
      {"--basic-auth", MOCK_PASSWORD},
      {"--oauth", MOCK_SECRET},
      {"--oauth", ":" MOCK_SECRET},
      {"--oauth", "tool:" MOCK_SECRET ":0"},
      {"--oauth", "tool:" MOCK_SECRET ":86401"},
      {"--basicauth=ann:" MOCK_PASSWORD, "x"},
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    kt_run_t r = RUN("mock-registry", bad[i][0], bad[i][1]);
    ck_assert_msg(r.status == 2, "%s: exit %d: %s", bad[i][0], r.status,
                  r.err);
    ck_assert_str_eq(r.out, "");
    ck_assert_msg(strstr(r.err, "kavro mock-registry") != NULL, "%s",
                  r.err);
    ck_assert_msg(!strstr(r.err, MOCK_PASSWORD) && !strstr(r.err, MOCK_SECRET),
                  "secret printed: %s", r.err);
    kt_run_free(&r);
  }
}
END_TEST

/* A mock:// URL names a mock registry of the program's own, made empty
 * for the command and gone when it exits (man/kavro.1), in every
 * subcommand that takes a registry: encode registers and frames with
 * id 1; produce registers and delivers through it; decode gets a
 * definite "not found" (1) for an id no mock of its own holds, not a
 * connection error (2). */
START_TEST(test_mock_url_is_an_inproc_registry) {
  const char *schema = WRITE_BYTES("rec.avsc", rec_avsc);
  char in[4096];
  snprintf(in, sizeof in, "%s", WRITE_BYTES("lines.in", "{\"n\": 1}\n"));
  kt_run_t r = RUN("encode", "--registry", "mock://cli-encode", "--subject",
                   "s", "--schema", schema, "--hex", in);
  ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
  ck_assert_str_eq(r.out, "000000000102\n"); /* magic, id 1, the int 1 */
  kt_run_free(&r);
  /* The same scope twice in a list is one registry. */
  r = RUN("encode", "--registry", "mock://cli-twice, mock://cli-twice",
          "--subject", "s", "--schema", schema, "--hex", in);
  ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
  ck_assert_str_eq(r.out, "000000000102\n");
  kt_run_free(&r);

  const char *const argv[] = {kavro_path(), "produce", "-t", "inproc",
                              "--mock-cluster", "1", "-r",
                              "mock://cli-produce", "--schema", schema, NULL};
  r = kt_run(workdir, in, argv);
  ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
  ck_assert_contains(r.err, "kavro produce: 1 record delivered to inproc\n");
  kt_run_free(&r);

  const char *frames = WRITE_BYTES("frames.hex", "000000000102\n");
  r = RUN("decode", "--hex", "--registry", "mock://cli-decode", frames);
  ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
  ck_assert_str_eq(r.out, "");
  ck_assert_contains(r.err, "kavro decode: ");
  ck_assert_ptr_null(strstr(r.err, "no mock registry has scope"));
  kt_run_free(&r);
}
END_TEST

static Suite *cli_suite(void) {
  Suite *s = suite_create("cli");
  TCase *tc = tcase_create("program");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_help_and_version);
  tcase_add_test(tc, test_usage_errors);
  tcase_add_loop_test(tc, test_subcommand_usage, 0,
                      (int)(sizeof(subcommands) / sizeof(subcommands[0])));
  tcase_add_test(tc, test_validate_ok_is_quiet);
  tcase_add_test(tc, test_validate_warns_logical_beside_field);
  tcase_add_test(tc, test_validate_reports_each_file);
  tcase_add_test(tc, test_validate_io_error);
  tcase_add_test(tc, test_legacy_schemas);
  tcase_add_test(tc, test_decode_writer_strict_registry_lenient);
  tcase_add_test(tc, test_validate_warning);
  tcase_add_test(tc, test_refs_needed);
  tcase_add_test(tc, test_refs_directory_chain);
  tcase_add_test(tc, test_refs_schema_files);
  tcase_add_test(tc, test_refs_target_in_directory);
  tcase_add_test(tc, test_refs_invalid_reference);
  tcase_add_test(tc, test_seed004_catalog);
  tcase_add_test(tc, test_seed004_with_reference);
  tcase_add_test(tc, test_conformance_canonical_rows);
  tcase_add_test(tc, test_fingerprint_default_and_bad_algorithm);
  tcase_add_test(tc, test_canonical_errors);
  tcase_add_test(tc, test_output_write_failure);
  tcase_add_test(tc, test_nul_lines_reported);
  tcase_add_test(tc, test_hex_empty_line_is_a_datum);
  tcase_add_test(tc, test_registry_fault_exit_status);
  tcase_add_test(tc, test_schema_id_in_header);
  tcase_add_test(tc, test_context_option);
  tcase_add_test(tc, test_rules_refuse_datum);
  tcase_add_test(tc, test_produce_rule_dlq);
  tcase_add_test(tc, test_setting_errors_name_the_key);
  tcase_add_test(tc, test_help_command);
  tcase_add_test(tc, test_dlq_usage);
  tcase_add_test(tc, test_errors_name_the_subcommand);
  tcase_add_test(tc, test_gen_makes_output_dir);
  tcase_add_test(tc, test_produce_counts_in_english);
  tcase_add_test(tc, test_produce_on_error_usage);
  tcase_add_test(tc, test_produce_long_line_continue);
  tcase_add_test(tc, test_consume_brokers_down_exit_status);
  tcase_add_test(tc, test_consume_metrics_line_first);
  tcase_add_test(tc, test_mock_registry_basic_auth);
  tcase_add_test(tc, test_mock_registry_oauth);
  tcase_add_test(tc, test_mock_registry_auth_usage);
  tcase_add_test(tc, test_mock_registry_ipv6);
  tcase_add_test(tc, test_mock_url_is_an_inproc_registry);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  canonical_rows = kt_load_jsonl(kt_conformance_path("canonical.jsonl"));
  SRunner *sr = srunner_create(cli_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  json_decref(canonical_rows);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
