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
#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kavro.h"
#include "testutil.h"

extern char **environ;

/* ---- running the program ---------------------------------------------- */

typedef struct run_s {
  int status; /* exit status, or -1 when it did not exit normally */
  char *out;  /* all of stdout */
  char *err;  /* all of stderr */
} run_t;

static char workdir[] = "/tmp/kavro-cli-XXXXXX";

static const char *kavro_path(void) {
  static char path[4096];
  snprintf(path, sizeof(path), "%s/src/programs/kavro/kavro", KAVRO_BUILDDIR);
  return path;
}

static char *work_path(const char *name) {
  static char path[8][4096];
  static unsigned next;
  char *p = path[next++ % 8];
  snprintf(p, sizeof(path[0]), "%s/%s", workdir, name);
  return p;
}

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  ck_assert_msg(f != NULL, "cannot write %s", path);
  fputs(text, f);
  ck_assert_int_eq(fclose(f), 0);
}

/* Run kavro with @args (NULL-terminated, without argv[0]); stdout goes to
 * @stdout_path (a capture file when NULL). */
static run_t run_to(const char *stdout_path, const char *const *args) {
  const char *argv[64] = {kavro_path()};
  size_t n = 1;
  for (; args[n - 1]; n++) {
    ck_assert_uint_lt(n, 63);
    argv[n] = args[n - 1];
  }
  argv[n] = NULL;
  char out_path[4200], err_path[4200];
  snprintf(out_path, sizeof(out_path), "%s/stdout", workdir);
  snprintf(err_path, sizeof(err_path), "%s/stderr", workdir);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, stdout_path ? stdout_path : out_path,
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&fa, 2, err_path,
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid;
  int rc = posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  ck_assert_msg(rc == 0, "cannot run %s", argv[0]);
  int wstatus;
  ck_assert_int_eq(waitpid(pid, &wstatus, 0), pid);
  run_t r = {WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1, NULL, NULL};
  r.out = stdout_path ? strdup("") : kt_read_file(out_path, NULL);
  r.err = kt_read_file(err_path, NULL);
  ck_assert(r.out && r.err);
  return r;
}

#define RUN(...) run_to(NULL, (const char *const[]){__VA_ARGS__, NULL})

static void run_free(run_t *r) {
  free(r->out);
  free(r->err);
}

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
  write_file(work_path("refs/a_price.avsc"), price_avsc);
  write_file(work_path("refs/b_money.avsc"), money_avsc);
  write_file(work_path("refs/notes.txt"), "not a schema, not .avsc\n");
  write_file(work_path("order.avsc"), order_avsc);
  write_file(work_path("bad.avsc"),
             "{\"type\": \"record\", \"name\": \"Bad\",\n"
             " \"fields\": [{\"name\": \"x\", \"type\": \"int\"},\n"
             "            {\"name\": \"x\", \"type\": \"long\"}]}\n");
}

static void teardown(void) {
  /* Everything setup and the tests made, then the directory. */
  static const char *const names[] = {"refs/a_price.avsc",
                                      "refs/b_money.avsc",
                                      "refs/notes.txt",
                                      "refs/order.avsc",
                                      "order.avsc",
                                      "bad.avsc",
                                      "warn.avsc",
                                      "stdout",
                                      "stderr",
                                      "row.avsc",
                                      "refs"};
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
    remove(work_path(names[i]));
  rmdir(workdir);
  memcpy(workdir + strlen(workdir) - 6, "XXXXXX", 6);
}

/* ---- top level --------------------------------------------------------- */

START_TEST(test_help_and_version) {
  run_t r = RUN("--help");
  ck_assert_int_eq(r.status, 0);
  ck_assert_contains(r.out, "Usage: kavro COMMAND");
  ck_assert_contains(r.out, "validate");
  ck_assert_contains(r.out, "canonical");
  ck_assert_contains(r.out, "fingerprint");
  ck_assert_str_eq(r.err, "");
  run_free(&r);
  r = RUN("--version");
  ck_assert_int_eq(r.status, 0);
  char want[64];
  snprintf(want, sizeof(want), "kavro %s\n", KAVRO_VERSION_STR);
  ck_assert_str_eq(r.out, want);
  run_free(&r);
}
END_TEST

START_TEST(test_usage_errors) {
  run_t r = run_to(NULL, (const char *const[]){NULL});
  ck_assert_int_eq(r.status, 2);
  ck_assert_contains(r.err, "Usage: kavro COMMAND");
  run_free(&r);
  r = RUN("frobnicate");
  ck_assert_int_eq(r.status, 2);
  ck_assert_contains(r.err, "'frobnicate' is not a kavro command");
  ck_assert_str_eq(r.out, "");
  run_free(&r);
}
END_TEST

/* Every subcommand has --help (stdout, exit 0) and rejects an unknown
 * option and a missing operand (stderr, exit 2). */
static const char *const subcommands[] = {"validate", "canonical",
                                          "fingerprint"};

START_TEST(test_subcommand_usage) {
  const char *cmd = subcommands[_i];
  char want[128];
  run_t r = RUN(cmd, "--help");
  ck_assert_int_eq(r.status, 0);
  snprintf(want, sizeof(want), "Usage: kavro %s", cmd);
  ck_assert_contains(r.out, want);
  ck_assert_contains(r.out, "--references DIR");
  ck_assert_contains(r.out, "--schema FILE");
  run_free(&r);
  r = RUN(cmd, "--no-such-option", "x.avsc");
  ck_assert_int_eq(r.status, 2);
  ck_assert_contains(r.err, "unknown option '--no-such-option'");
  snprintf(want, sizeof(want), "Try 'kavro %s --help'", cmd);
  ck_assert_contains(r.err, want);
  run_free(&r);
  r = RUN(cmd, "-z", "x.avsc");
  ck_assert_int_eq(r.status, 2);
  ck_assert_contains(r.err, "unknown option '-z'");
  run_free(&r);
  r = RUN(cmd);
  ck_assert_int_eq(r.status, 2);
  ck_assert_contains(r.err, "missing FILE operand");
  run_free(&r);
  r = RUN(cmd, "x.avsc", "--references");
  ck_assert_int_eq(r.status, 2);
  ck_assert_contains(r.err, "option '--references' needs a value");
  run_free(&r);
  r = RUN(cmd, "--references", work_path("no-such-dir"),
          work_path("order.avsc"));
  ck_assert_int_eq(r.status, 2);
  ck_assert_contains(r.err, "cannot open directory");
  run_free(&r);
}
END_TEST

/* ---- validate ---------------------------------------------------------- */

START_TEST(test_validate_ok_is_quiet) {
  run_t r = RUN("validate", KAVRO_SRCDIR "/avro/projects/ServiceOrderCreated.avsc",
                KAVRO_SRCDIR "/avro/execution/CheckinCompleted.avsc");
  ck_assert_int_eq(r.status, 0);
  ck_assert_str_eq(r.out, "");
  ck_assert_str_eq(r.err, "");
  run_free(&r);
}
END_TEST

/* The seed writes logicalType beside the field: valid, but warned about. */
START_TEST(test_validate_warns_logical_beside_field) {
  run_t r = RUN("validate", seed_path("ProjectCreated.avsc"));
  ck_assert_int_eq(r.status, 0);
  ck_assert_str_eq(r.out, "");
  ck_assert_contains(r.err, "ProjectCreated.avsc:7:5: /fields/1: warning: logicalType on field "
                            "\"event_timestamp\"");
  run_free(&r);
}
END_TEST

/* Each bad file gets its line; good files around it do not hide it. */
START_TEST(test_validate_reports_each_file) {
  const char *bad = work_path("bad.avsc");
  const char *tempo = seed_path("TempoServiceRequested.avsc");
  run_t r = RUN("validate", bad, seed_path("WcfSigned.avsc"), tempo);
  ck_assert_int_eq(r.status, 1);
  char want[4200];
  snprintf(want, sizeof(want), "%s:3:14: /fields/1/name: ", bad);
  ck_assert_contains(r.err, want);
  ck_assert_contains(r.err, "\"x\"");
  snprintf(want, sizeof(want), "%s:9:32: /fields/3/type: ", tempo);
  ck_assert_contains(r.err, want);
  ck_assert_str_eq(r.out, "");
  run_free(&r);
}
END_TEST

START_TEST(test_validate_io_error) {
  const char *missing = work_path("missing.avsc");
  /* The unreadable file does not stop the verdict on the next one. */
  run_t r = RUN("validate", missing, work_path("bad.avsc"));
  ck_assert_int_eq(r.status, 2);
  ck_assert_contains(r.err, missing);
  ck_assert_contains(r.err, "bad.avsc:3:14: /fields/1/name: ");
  run_free(&r);
  /* A directory is not a schema file either. */
  r = RUN("validate", work_path("refs"));
  ck_assert_int_eq(r.status, 2);
  run_free(&r);
}
END_TEST

/* A warning (here: a logical type on the wrong type, ignored as the
 * specification says) is printed where it lies, and the file stays valid. */
START_TEST(test_validate_warning) {
  const char *path = work_path("warn.avsc");
  write_file(path, "{\"type\": \"record\", \"name\": \"W\", \"fields\": [\n"
                   "  {\"name\": \"d\", \"type\": {\"type\": \"string\", "
                   "\"logicalType\": \"date\"}}]}\n");
  run_t r = RUN("validate", path);
  ck_assert_int_eq(r.status, 0);
  char want[4200];
  snprintf(want, sizeof(want), "%s:2:17: /fields/0/type: warning: ", path);
  ck_assert_msg(strncmp(r.err, want, strlen(want)) == 0, "got %s", r.err);
  ck_assert_contains(r.err, "date");
  run_free(&r);
}
END_TEST

/* ---- references -------------------------------------------------------- */

/* Without references the chain's top cannot stand alone. */
START_TEST(test_refs_needed) {
  run_t r = RUN("validate", work_path("order.avsc"));
  ck_assert_int_eq(r.status, 1);
  ck_assert_contains(r.err, "/fields/1/type: ");
  ck_assert_contains(r.err, "com.acme.Price");
  run_free(&r);
}
END_TEST

/* A directory whose files use each other, listed against their dependency
 * order: price (a_) needs money (b_). */
START_TEST(test_refs_directory_chain) {
  run_t r = RUN("validate", "--references", work_path("refs"),
                work_path("order.avsc"));
  ck_assert_int_eq(r.status, 0);
  ck_assert_str_eq(r.err, "");
  run_free(&r);
  r = RUN("canonical", "-r", work_path("refs"), work_path("order.avsc"));
  ck_assert_int_eq(r.status, 0);
  ck_assert_str_eq(r.out, order_canonical);
  run_free(&r);
}
END_TEST

START_TEST(test_refs_schema_files) {
  /* Repeated --schema, in the wrong order, and options after the file. */
  run_t r =
      RUN("canonical", work_path("order.avsc"), "--schema",
          work_path("refs/a_price.avsc"), "-s", work_path("refs/b_money.avsc"));
  ck_assert_int_eq(r.status, 0);
  ck_assert_str_eq(r.out, order_canonical);
  run_free(&r);
  /* Half the chain is not enough, and the message says what is missing. */
  r = RUN("validate", "--schema", work_path("refs/a_price.avsc"),
          work_path("order.avsc"));
  ck_assert_int_eq(r.status, 1);
  ck_assert_contains(r.err, "a_price.avsc:2:29: /fields/0/type: ");
  ck_assert_contains(r.err, "com.acme.Money");
  run_free(&r);
  r = RUN("validate", "--schema", work_path("missing.avsc"),
          work_path("order.avsc"));
  ck_assert_int_eq(r.status, 2);
  run_free(&r);
}
END_TEST

/* A file given to validate that also lies in the references directory is
 * not its own reference (that would define its types twice). */
START_TEST(test_refs_target_in_directory) {
  write_file(work_path("refs/order.avsc"), order_avsc);
  run_t r =
      RUN("validate", "-r", work_path("refs"), work_path("refs/order.avsc"));
  ck_assert_int_eq(r.status, 0);
  ck_assert_str_eq(r.err, "");
  run_free(&r);
}
END_TEST

/* An invalid reference fails the run and is reported, even when the file
 * itself could do without it. */
START_TEST(test_refs_invalid_reference) {
  run_t r = RUN("fingerprint", "--schema", work_path("bad.avsc"),
                seed_path("WcfSigned.avsc"));
  ck_assert_int_eq(r.status, 1);
  ck_assert_str_eq(r.out, "");
  ck_assert_contains(r.err, "bad.avsc:3:14: /fields/1/name: ");
  run_free(&r);
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
    run_t r = RUN("validate", path);
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
    run_free(&r);
  }
  ck_assert_uint_eq(invalid, 6);
}
END_TEST

/* The fix the catalog's invalid schemas call for is a reference: with
 * PyxisOrderCreated, Tempo's types resolve; SalesOrderNormalized's short
 * "SalesChannel" still looks in its own namespace and still fails. */
START_TEST(test_seed004_with_reference) {
  run_t r = RUN("validate", "--schema", seed_path("PyxisOrderCreated.avsc"),
                seed_path("TempoServiceRequested.avsc"));
  ck_assert_int_eq(r.status, 0);
  run_free(&r);
  r = RUN("validate", "--schema", seed_path("PyxisOrderCreated.avsc"),
          seed_path("SalesOrderNormalized.avsc"));
  ck_assert_int_eq(r.status, 1);
  ck_assert_contains(r.err, "com.ahs.fsm.events.integration.SalesChannel");
  run_free(&r);
  /* A reference that is itself broken: both get reported. */
  r = RUN("validate", "--schema", seed_path("SalesOrderNormalized.avsc"),
          seed_path("SalesOrderFailed.avsc"));
  ck_assert_int_eq(r.status, 1);
  ck_assert_contains(r.err,
                     "SalesOrderNormalized.avsc:11:32: /fields/5/type: ");
  ck_assert_contains(r.err, "SalesOrderFailed.avsc:8:32: /fields/2/type: ");
  run_free(&r);
}
END_TEST

/* ---- canonical and fingerprint against canonical.jsonl ---------------- */

static json_t *canonical_rows;

static void check_output(const char *algorithm, const char *want,
                         const char *id) {
  const char *path = work_path("row.avsc");
  run_t r = algorithm ? RUN("fingerprint", "--algorithm", algorithm, path)
                      : RUN("canonical", path);
  ck_assert_msg(r.status == 0, "%s: %s", id, r.err);
  size_t len = strlen(r.out);
  ck_assert_msg(len > 0 && r.out[len - 1] == '\n', "%s: no newline", id);
  r.out[len - 1] = '\0';
  ck_assert_msg(strcmp(r.out, want) == 0, "%s %s: got %s, want %s", id,
                algorithm ? algorithm : "canonical", r.out, want);
  run_free(&r);
}

START_TEST(test_conformance_canonical_rows) {
  size_t i;
  json_t *row;
  json_array_foreach(canonical_rows, i, row) {
    const char *id = json_string_value(json_object_get(row, "id"));
    write_file(work_path("row.avsc"),
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
  write_file(work_path("row.avsc"),
             json_string_value(json_object_get(row, "schema_text")));
  run_t r = RUN("fingerprint", work_path("row.avsc"));
  ck_assert_int_eq(r.status, 0);
  char want[64];
  snprintf(want, sizeof(want), "%s\n",
           json_string_value(json_object_get(row, "rabin_fp_hex")));
  ck_assert_str_eq(r.out, want);
  run_free(&r);
  r = RUN("fingerprint", "-a", "crc32", work_path("row.avsc"));
  ck_assert_int_eq(r.status, 2);
  ck_assert_contains(r.err, "unknown algorithm 'crc32'");
  ck_assert_str_eq(r.out, "");
  run_free(&r);
  r = RUN("fingerprint", "--algorithm=md5", work_path("order.avsc"));
  ck_assert_int_eq(r.status, 1);
  ck_assert_str_eq(r.out, "");
  run_free(&r);
}
END_TEST

START_TEST(test_canonical_errors) {
  run_t r = RUN("canonical", work_path("bad.avsc"));
  ck_assert_int_eq(r.status, 1);
  ck_assert_str_eq(r.out, "");
  ck_assert_contains(r.err, "/fields/1/name: ");
  run_free(&r);
  r = RUN("canonical", work_path("order.avsc"), work_path("bad.avsc"));
  ck_assert_int_eq(r.status, 2);
  ck_assert_contains(r.err, "too many operands");
  run_free(&r);
  /* A file named like an option goes after "--". */
  r = RUN("canonical", "--", "--help");
  ck_assert_int_eq(r.status, 2);
  ck_assert_contains(r.err, "--help");
  run_free(&r);
}
END_TEST

/* Output that cannot be written is an error, not a silent success. */
START_TEST(test_output_write_failure) {
  if (access("/dev/full", W_OK) != 0)
    return;
  run_t r = run_to(
      "/dev/full",
      (const char *const[]){"canonical", seed_path("WcfSigned.avsc"), NULL});
  ck_assert_int_eq(r.status, 2);
  ck_assert_contains(r.err, "writing the output failed");
  run_free(&r);
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
