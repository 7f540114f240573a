/*
 * kavro (the program) - `mock://SCOPE` registry URLs.
 *
 * In a program of its own a mock:// URL names a registry that this very
 * process serves (kavro/mock.h): nothing else could answer it.  So when a
 * subcommand is given one, the program makes an empty mock registry of
 * that scope, which lives as long as the command, as --mock-cluster's
 * librdkafka mock cluster does.  A command that registers and reads back
 * in one run (encode --registry mock://x, produce -r mock://x) works with
 * no registry running; what it registered is gone when it exits.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h" /* kavro.h, which kavro/mock.h wants first */

#include <kavro/mock.h>

/* One mock per scope; a command names a handful of URLs at most. */
#define MAX_MOCKS 16

static kavro_mock_t *mocks[MAX_MOCKS];
static size_t mock_count;

static bool have_scope(const char *scope) {
  for (size_t i = 0; i < mock_count; i++)
    if (strcmp(kavro_mock_scope(mocks[i]), scope) == 0)
      return true;
  return false;
}

/* The scope of the mock:// URL @item (@length bytes, blanks trimmed) in
 * @scope, as the registry client reads it: after the user info (which
 * ends at the last '@'), up to a path, query or fragment.  False when
 * @item is not a mock:// URL, or its scope is empty or longer than @size
 * allows: no mock is made, and the registry client's own error says why
 * the URL names no registry. */
static bool url_scope(const char *item, size_t length, char *scope,
                      size_t size) {
  if (length < 7 || strncasecmp(item, "mock://", 7) != 0)
    return false;
  const char *host = item + 7;
  const char *end = item + length;
  for (const char *p = host; p < end; p++)
    if (*p == '@')
      host = p + 1;
  size_t n = 0;
  while (host + n < end && !strchr("/?#", host[n]))
    n++;
  if (n == 0 || n >= size)
    return false;
  memcpy(scope, host, n);
  scope[n] = '\0';
  return true;
}

static int make_mock(const char *cmd, const char *scope) {
  if (have_scope(scope))
    return CLI_EXIT_OK;
  if (mock_count == MAX_MOCKS)
    return cli_usage_error(cmd, "more than %d mock:// scopes", MAX_MOCKS);
  kavro_error_t error;
  if (kavro_mock_new(scope, &mocks[mock_count], &error) != KAVRO_OK) {
    cli_print_line("kavro %s: mock://%s: %s", cmd, scope, error.text);
    return CLI_EXIT_USAGE;
  }
  mock_count++;
  return CLI_EXIT_OK;
}

int cli_mocks_for_urls(const char *cmd, const char *urls) {
  for (const char *p = urls; p && *p;) {
    size_t length = strcspn(p, ",");
    const char *item = p;
    p += length + (p[length] == ',');
    while (length && (*item == ' ' || *item == '\t')) {
      item++;
      length--;
    }
    while (length && (item[length - 1] == ' ' || item[length - 1] == '\t'))
      length--;
    char scope[256];
    if (!url_scope(item, length, scope, sizeof scope))
      continue;
    int status = make_mock(cmd, scope);
    if (status != CLI_EXIT_OK)
      return status;
  }
  return CLI_EXIT_OK;
}

void cli_mocks_destroy(void) {
  while (mock_count > 0)
    kavro_mock_destroy(mocks[--mock_count]);
}
