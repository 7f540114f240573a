/*
 * kavro tests - `kavro gen`: the golden test (generated code for
 * tests/gen/work_order.avsc must match the reviewed files in
 * tests/gen/golden/), generated code compiling warning-free under
 * -Wall -Wextra -Wconversion, and the generator's refusals.
 */
#include <check.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

extern char **environ;

static char workdir[] = "/tmp/kavro-gen-XXXXXX";

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

/* Run kavro gen with @args (NULL-terminated); stderr into @err (may be
 * NULL).  Returns the exit status. */
static int run_gen(const char *const *args, char **err) {
  const char *argv[32] = {KAVRO_BIN, "gen"};
  size_t n = 2;
  for (size_t i = 0; args[i]; i++) {
    ck_assert_uint_lt(n, 31);
    argv[n++] = args[i];
  }
  argv[n] = NULL;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 2, work_path("stderr"),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid;
  int rc = posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  ck_assert_msg(rc == 0, "cannot run %s", argv[0]);
  int status;
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  if (err)
    *err = kt_read_file(work_path("stderr"), NULL);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
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
            work_path("work_order.h"));
  unchanged(kt_src_path("tests/gen/golden/work_order.c"),
            work_path("work_order.c"));
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
  const char *files[] = {"work_order.c", "catalog.c"};
  for (size_t i = 0; i < 2; i++) {
    char command[8192];
    snprintf(command, sizeof(command),
             "%s -std=c11 -Wall -Wextra -Wconversion -Wshadow "
             "-Wstrict-prototypes -Wmissing-prototypes -Werror "
             "-I%s/include -I%s/include -c %s -o %s.o",
             KAVRO_CC, KAVRO_SRCDIR, KAVRO_BUILDDIR, work_path(files[i]),
             work_path(files[i]));
    ck_assert_msg(system(command) == 0, "%s", command);
  }
}
END_TEST

START_TEST(refusals) {
  char *err = NULL;
  /* a type nobody defines (the library refuses the schema first) */
  write_file(work_path("undefined.avsc"),
             "{\"type\": \"record\", \"name\": \"A\", \"fields\": "
             "[{\"name\": \"b\", \"type\": \"Missing\"}]}");
  ck_assert_int_eq(GEN(&err, "-o", workdir, work_path("undefined.avsc")), 1);
  free(err);
  /* a key template naming a field the record does not have */
  write_file(work_path("Keyed.avsc"),
             "{\"type\": \"record\", \"name\": \"Keyed\", \"fields\": "
             "[{\"name\": \"id\", \"type\": \"string\"}]}");
  write_file(work_path("catalog.json"),
             "{\"topics\": {\"t.keyed\": {\"file\": \"Keyed.avsc\", "
             "\"key\": \"{country_code}_{id}\"}}}");
  ck_assert_int_eq(GEN(&err, "-o", workdir, "--catalog",
                       work_path("catalog.json")),
                   1);
  ck_assert_msg(strstr(err, "{country_code}_{id}") != NULL, "%s", err);
  free(err);
  /* two types with one C name */
  write_file(work_path("Clash.avsc"),
             "{\"type\": \"record\", \"name\": \"Clash\", \"namespace\": "
             "\"a.x\", \"fields\": [{\"name\": \"other\", \"type\": "
             "{\"type\": \"record\", \"name\": \"b.x.Clash\", \"fields\": "
             "[]}}]}");
  ck_assert_int_eq(GEN(&err, "-o", workdir, work_path("Clash.avsc")), 1);
  ck_assert_msg(strstr(err, "--prefix") != NULL, "%s", err);
  free(err);
  /* usage */
  ck_assert_int_eq(GEN(&err, "-o", workdir), 2);
  free(err);
  ck_assert_int_eq(GEN(&err, "--prefix", "9bad", work_path("Keyed.avsc")), 2);
  free(err);
}
END_TEST

/* A schema that is not a record: a type named by --name. */
START_TEST(non_record_root) {
  write_file(work_path("ids.avsc"),
             "{\"type\": \"array\", \"items\": \"string\"}");
  ck_assert_int_eq(GEN(NULL, "-o", workdir, "--name", "id_list",
                       work_path("ids.avsc")),
                   0);
  char *header = kt_read_file(work_path("ids.h"), NULL);
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
