/*
 * kavro tests - `kavro gen`: the golden test (generated code for
 * tests/gen/work_order.avsc must match the reviewed files in
 * tests/gen/golden/), generated code compiling warning-free under
 * -Wall -Wextra -Wconversion, and the generator's refusals.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proc_util.h"
#include "testutil.h"

static char workdir[] = "/tmp/kavro-gen-XXXXXX";

/* Run kavro gen with @args (NULL-terminated); stderr into @err (may be
 * NULL).  Returns the exit status. */
static int run_gen(const char *const *args, char **err) {
  static const char *const lead[] = {KAVRO_BIN, "gen", NULL};
  kt_run_t run = kt_run_args(workdir, NULL, lead, args);
  if (err) {
    *err = run.err;
    run.err = NULL;
  }
  kt_run_free(&run);
  return run.status;
}

#define GEN(err, ...) run_gen((const char *const[]){__VA_ARGS__, NULL}, (err))

static void unchanged(const char *expected, const char *actual) {
  char *want = kt_read_file(expected, NULL);
  char *got = kt_read_file(actual, NULL);
  ck_assert_msg(want != NULL, "cannot read %s", expected);
  ck_assert_msg(got != NULL, "cannot read %s", actual);
  ck_assert_msg(strcmp(want, got) == 0,
                "generated code differs from the reviewed file; see\n"
                "  diff -u %s %s\n"
                "and, when the change is intended, review it and run\n"
                "  cp %s %s",
                expected, actual, actual, expected);
  free(want);
  free(got);
}

START_TEST(golden) {
  ck_assert_int_eq(GEN(NULL, "-o", workdir,
                       kt_src_path("tests/gen/work_order.avsc")),
                   0);
  unchanged(kt_src_path("tests/gen/golden/work_order.h"),
            kt_work_path(workdir, "work_order.h"));
  unchanged(kt_src_path("tests/gen/golden/work_order.c"),
            kt_work_path(workdir, "work_order.c"));
}
END_TEST

/* The generated code of the fixture and of the whole catalog compiles with
 * the warnings a careful project turns on. */
START_TEST(compiles_without_warnings) {
  ck_assert_int_eq(GEN(NULL, "-o", workdir,
                       kt_src_path("tests/gen/work_order.avsc")),
                   0);
  ck_assert_int_eq(GEN(NULL, "-o", workdir, "--catalog",
                       kt_src_path("avro/catalog.json")),
                   0);
  ck_assert_int_eq(GEN(NULL, "-o", workdir,
                       kt_src_path("tests/gen/logical_types.avsc")),
                   0);
  const char *files[] = {"work_order.c", "catalog.c", "logical_types.c"};
  for (size_t i = 0; i < 3; i++) {
    char command[8192];
    snprintf(command, sizeof(command),
             "%s -std=c11 -Wall -Wextra -Wconversion -Wshadow "
             "-Wstrict-prototypes -Wmissing-prototypes -Werror "
             "-I%s/include -I%s/include -c %s -o %s.o",
             KAVRO_CC, KAVRO_SRCDIR, KAVRO_BUILDDIR,
             kt_work_path(workdir, files[i]), kt_work_path(workdir, files[i]));
    ck_assert_msg(system(command) == 0, "%s", command);
  }
}
END_TEST

START_TEST(refusals) {
  char *err = NULL;
  /* a type nobody defines (the library refuses the schema first) */
  kt_write_file(kt_work_path(workdir, "undefined.avsc"),
                "{\"type\": \"record\", \"name\": \"A\", \"fields\": "
                "[{\"name\": \"b\", \"type\": \"Missing\"}]}");
  ck_assert_int_eq(
      GEN(&err, "-o", workdir, kt_work_path(workdir, "undefined.avsc")), 1);
  free(err);
  /* a key template naming a field the record does not have */
  kt_write_file(kt_work_path(workdir, "Keyed.avsc"),
                "{\"type\": \"record\", \"name\": \"Keyed\", \"fields\": "
                "[{\"name\": \"id\", \"type\": \"string\"}]}");
  kt_write_file(kt_work_path(workdir, "catalog.json"),
                "{\"topics\": {\"t.keyed\": {\"file\": \"Keyed.avsc\", "
                "\"key\": \"{country_code}_{id}\"}}}");
  ck_assert_int_eq(GEN(&err, "-o", workdir, "--catalog",
                       kt_work_path(workdir, "catalog.json")),
                   1);
  ck_assert_msg(strstr(err, "{country_code}_{id}") != NULL, "%s", err);
  free(err);
  /* two types with one C name */
  kt_write_file(kt_work_path(workdir, "Clash.avsc"),
                "{\"type\": \"record\", \"name\": \"Clash\", \"namespace\": "
                "\"a.x\", \"fields\": [{\"name\": \"other\", \"type\": "
                "{\"type\": \"record\", \"name\": \"b.x.Clash\", \"fields\": "
                "[]}}]}");
  ck_assert_int_eq(
      GEN(&err, "-o", workdir, kt_work_path(workdir, "Clash.avsc")), 1);
  ck_assert_msg(strstr(err, "--prefix") != NULL, "%s", err);
  free(err);
  /* usage */
  ck_assert_int_eq(GEN(&err, "-o", workdir), 2);
  free(err);
  ck_assert_int_eq(
      GEN(&err, "--prefix", "9bad", kt_work_path(workdir, "Keyed.avsc")), 2);
  free(err);
}
END_TEST

/* Members of a logical type keep their integer, bytes or fixed type and
 * say in a comment what they hold and which kavro/logical.h function
 * converts them; an ignored logicalType (uuid on a fixed of 8) says
 * nothing. */
START_TEST(logical_comments) {
  ck_assert_int_eq(GEN(NULL, "-o", workdir,
                       kt_src_path("tests/gen/logical_types.avsc")),
                   0);
  char *header = kt_read_file(kt_work_path(workdir, "logical_types.h"), NULL);
  ck_assert_ptr_nonnull(header);
  static const char *const members[] = {
      "int32_t day;  /* date: days since 1970-01-01; see kavro_date_format() */",
      "int32_t t_ms;  /* time-millis: milliseconds after midnight; see "
      "kavro_time_format() */",
      "int64_t ts_ns;  /* timestamp-nanos: nanoseconds since the epoch, UTC; "
      "see kavro_timestamp_format() */",
      "int64_t local_ns;  /* local-timestamp-nanos: nanoseconds since "
      "1970-01-01T00:00, local time; see kavro_local_timestamp_format() */",
      "kavro_decimal_t amount;  /* decimal, scale 4; see "
      "kavro_decimal_format() */",
      "rate_t rate;  /* decimal on fixed, scale 6; see kavro_decimal_format() */",
      "kavro_bytes_t measure;  /* big-decimal: unscaled value and scale; see "
      "kavro_big_decimal_format() */",
      "kavro_str_t id;  /* uuid: its text; kavro_uuid_parse() checks it */",
      "raw_id_t raw_id;  /* uuid: 16 bytes; see kavro_uuid_format() */",
      "span_t span;  /* duration: months, days, milliseconds; see "
      "kavro_duration_decode() */",
      "int64_t maybe_at;  /* timestamp-nanos:",
      "uint8_t bytes[16];",
  };
  for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++)
    ck_assert_msg(strstr(header, members[i]), "missing: %s", members[i]);
  free(header);
  kt_write_file(kt_work_path(workdir, "short_uuid.avsc"),
                "{\"type\": \"record\", \"name\": \"ShortUuid\", \"fields\": "
                "[{\"name\": \"id\", \"type\": {\"type\": \"fixed\", "
                "\"name\": \"Eight\", \"size\": 8, \"logicalType\": "
                "\"uuid\"}}]}");
  ck_assert_int_eq(
      GEN(NULL, "-o", workdir, kt_work_path(workdir, "short_uuid.avsc")), 0);
  header = kt_read_file(kt_work_path(workdir, "short_uuid.h"), NULL);
  ck_assert_ptr_nonnull(header);
  ck_assert_ptr_nonnull(strstr(header, "eight_t id;\n"));
  free(header);
}
END_TEST

/* A schema that is not a record: a type named by --name. */
START_TEST(non_record_root) {
  kt_write_file(kt_work_path(workdir, "ids.avsc"),
                "{\"type\": \"array\", \"items\": \"string\"}");
  ck_assert_int_eq(GEN(NULL, "-o", workdir, "--name", "id_list",
                       kt_work_path(workdir, "ids.avsc")),
                   0);
  char *header = kt_read_file(kt_work_path(workdir, "ids.h"), NULL);
  ck_assert_ptr_nonnull(header);
  ck_assert_ptr_nonnull(strstr(header, "struct id_list_s {"));
  ck_assert_ptr_nonnull(strstr(header, "kavro_str_t *items;"));
  ck_assert_ptr_nonnull(strstr(header, "id_list_encode("));
  free(header);
}
END_TEST

static Suite *gen_suite(void) {
  Suite *s = suite_create("gen");
  TCase *tc = tcase_create("gen");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, golden);
  tcase_add_test(tc, compiles_without_warnings);
  tcase_add_test(tc, refusals);
  tcase_add_test(tc, non_record_root);
  tcase_add_test(tc, logical_comments);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  if (!mkdtemp(workdir)) {
    perror("mkdtemp");
    return EXIT_FAILURE;
  }
  SRunner *sr = srunner_create(gen_suite());
  srunner_set_fork_status(sr, CK_NOFORK);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  char command[256];
  snprintf(command, sizeof(command), "rm -rf %s", workdir);
  if (system(command) != 0)
    fprintf(stderr, "could not remove %s\n", workdir);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
