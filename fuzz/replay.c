/*
 * kavro tests - replay a fuzz harness's seed corpus and saved regressions
 * (fuzz/corpus/NAME, fuzz/regressions/NAME) through the harness, without
 * libFuzzer, as a Check suite: every `make check` (and its sanitizer run)
 * keeps what the fuzzers once found fixed.  FUZZ_NAME names the harness
 * this driver is linked with.
 *
 * Findings listed in fuzz/regressions/OPEN are not fixed yet: their inputs
 * must still abort the harness, so that fixing one shows (the test fails
 * and says to move the input out of OPEN).
 */
#include <check.h>
#include <dirent.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tests/testutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_INPUTS 4096

typedef struct inputs_s {
  char *paths[MAX_INPUTS];
  size_t count;
} inputs_t;

static inputs_t fixed, open_findings;

/* Is regressions/FUZZ_NAME/@name listed in fuzz/regressions/OPEN? */
static bool is_open(const char *kind, const char *name) {
  if (strcmp(kind, "regressions") != 0)
    return false;
  char key[1024];
  snprintf(key, sizeof(key), "%s/%s", FUZZ_NAME, name);
  char *list = kt_read_file(kt_src_path("fuzz/regressions/OPEN"), NULL);
  bool found = false;
  for (char *line = list ? strtok(list, "\n") : NULL; line && !found;
       line = strtok(NULL, "\n"))
    found = line[0] != '#' && strncmp(line, key, strlen(key)) == 0 &&
            (line[strlen(key)] == '\t' || line[strlen(key)] == ' ' ||
             line[strlen(key)] == '\0');
  free(list);
  return found;
}

static void collect(const char *kind) {
  char dir[4096];
  snprintf(dir, sizeof(dir), "%s/fuzz/%s/%s", KAVRO_SRCDIR, kind, FUZZ_NAME);
  DIR *d = opendir(dir);
  if (!d)
    return; /* no regressions saved yet */
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    inputs_t *list = is_open(kind, e->d_name) ? &open_findings : &fixed;
    if (list->count == MAX_INPUTS)
      break;
    size_t n = strlen(dir) + strlen(e->d_name) + 2;
    char *path = malloc(n);
    if (!path)
      abort();
    snprintf(path, n, "%s/%s", dir, e->d_name);
    list->paths[list->count++] = path;
  }
  closedir(d);
}

static void replay(const char *path) {
  size_t size;
  char *data = kt_read_file(path, &size);
  ck_assert_msg(data != NULL, "cannot read %s", path);
  /* An exact-size copy, so that ASan sees any read past the input. */
  uint8_t *exact = malloc(size ? size : 1);
  ck_assert_ptr_nonnull(exact);
  memcpy(exact, data, size);
  LLVMFuzzerTestOneInput(exact, size);
  free(exact);
  free(data);
}

START_TEST(test_replay) { replay(fixed.paths[_i]); }
END_TEST

/* Reaching the end means the finding is fixed: say so. */
START_TEST(test_replay_open) {
  replay(open_findings.paths[_i]);
  ck_abort_msg("%s no longer fails: remove it from fuzz/regressions/OPEN",
               open_findings.paths[_i]);
}
END_TEST

static void free_inputs(inputs_t *list) {
  for (size_t i = 0; i < list->count; i++)
    free(list->paths[i]);
}

int main(void) {
  collect("corpus");
  collect("regressions");
  if (fixed.count == 0) {
    fprintf(stderr, "no seed corpus for %s\n", FUZZ_NAME);
    return EXIT_FAILURE;
  }
  Suite *s = suite_create("replay " FUZZ_NAME);
  TCase *tc = tcase_create("inputs");
  tcase_add_loop_test(tc, test_replay, 0, (int)fixed.count);
  tcase_add_loop_test_raise_signal(tc, test_replay_open, SIGABRT, 0,
                                   (int)open_findings.count);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  free_inputs(&fixed);
  free_inputs(&open_findings);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
