/*
 * kavro (the program) - what `kavro encode` and `kavro decode` share:
 * input read in bounded lines or whole, hex, and a registry client made
 * from --registry and -X settings.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_open_input(const char *cmd, const char *path, FILE **inp) {
  if (!path || strcmp(path, "-") == 0) {
    *inp = stdin;
    return CLI_EXIT_OK;
  }
  if (!(*inp = fopen(path, "rb"))) {
    cli_print_line("kavro %s: %s: %s", cmd, path, strerror(errno));
    return CLI_EXIT_USAGE;
  }
  return CLI_EXIT_OK;
}

void cli_close_input(FILE *in) {
  if (in && in != stdin)
    fclose(in);
}

int cli_read_line(FILE *in, char **line, size_t *capacity, size_t *length) {
  size_t n = 0;
  int c;
  while ((c = getc(in)) != EOF && c != '\n') {
    if (n + 2 > *capacity) {
      if (*capacity >= CLI_MAX_LINE)
        return -1;
      size_t grown = *capacity ? *capacity * 2 : 256;
      if (grown > CLI_MAX_LINE)
        grown = CLI_MAX_LINE;
      char *p = realloc(*line, grown);
      if (!p)
        return -1;
      *line = p;
      *capacity = grown;
    }
    (*line)[n++] = (char)c;
  }
  if (ferror(in))
    return -1;
  if (c == EOF && n == 0)
    return 0;
  if (n > 0 && (*line)[n - 1] == '\r')
    n--; /* a CRLF file */
  if (!*line && !(*line = malloc(1)))
    return -1;
  (*line)[n] = '\0';
  *length = n;
  return 1;
}

bool cli_blank_line(const char *line, size_t length) {
  for (size_t i = 0; i < length; i++)
    if (!strchr(" \t\r\f\v", line[i]) || line[i] == '\0')
      return false;
  return true;
}

int cli_read_all(const char *cmd, FILE *in, unsigned char **datap,
                 size_t *lengthp) {
  unsigned char *data = NULL;
  size_t length = 0, capacity = 0;
  for (;;) {
    if (length == capacity) {
      if (capacity >= CLI_MAX_INPUT) {
        fprintf(stderr, "kavro %s: input larger than %u bytes\n", cmd,
                (unsigned)CLI_MAX_INPUT);
        free(data);
        return CLI_EXIT_USAGE;
      }
      capacity = capacity ? capacity * 2 : 65536;
      unsigned char *p = realloc(data, capacity);
      if (!p) {
        free(data);
        fprintf(stderr, "kavro %s: out of memory\n", cmd);
        return CLI_EXIT_USAGE;
      }
      data = p;
    }
    size_t got = fread(data + length, 1, capacity - length, in);
    length += got;
    if (got == 0)
      break;
  }
  if (ferror(in)) {
    fprintf(stderr, "kavro %s: reading the input failed: %s\n", cmd,
            strerror(errno));
    free(data);
    return CLI_EXIT_USAGE;
  }
  *datap = data;
  *lengthp = length;
  return CLI_EXIT_OK;
}

static int hex_digit(int c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  c = tolower(c);
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

bool cli_hex_decode(const char *hex, size_t length, unsigned char *out,
                    size_t *out_length) {
  while (length && isspace((unsigned char)hex[length - 1]))
    length--;
  while (length && isspace((unsigned char)*hex)) {
    hex++;
    length--;
  }
  if (length % 2)
    return false;
  for (size_t i = 0; i < length; i += 2) {
    int hi = hex_digit((unsigned char)hex[i]);
    int lo = hex_digit((unsigned char)hex[i + 1]);
    if (hi < 0 || lo < 0)
      return false;
    out[i / 2] = (unsigned char)(hi << 4 | lo);
  }
  *out_length = length / 2;
  return true;
}

void cli_put_hex(const unsigned char *data, size_t length) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < length; i++) {
    putchar(digits[data[i] >> 4]);
    putchar(digits[data[i] & 15]);
  }
}

void cli_print_hex(const unsigned char *data, size_t length) {
  cli_put_hex(data, length);
  putchar('\n');
}

int cli_conf_setting(const char *cmd, kavro_conf_t *conf, const char *arg,
                     char *key, size_t key_size, kavro_error_t *error) {
  const char *eq = strchr(arg, '=');
  if (!eq || eq == arg)
    return cli_usage_error(cmd, "%s", CLI_SETTING_MALFORMED);
  size_t key_length = (size_t)(eq - arg);
  if (key_length >= key_size)
    return cli_usage_error(cmd, "-X key too long");
  memcpy(key, arg, key_length);
  key[key_length] = '\0';
  kavro_err_t err = kavro_conf_set(conf, key, eq + 1, error);
  if (err == KAVRO_ERR_CONF_UNKNOWN)
    return CLI_SETTING_UNKNOWN;
  /* kavro's message names the key and shows no secret value. */
  if (err != KAVRO_OK)
    return cli_usage_error(cmd, "-X %s: %s", key, error->text);
  return CLI_EXIT_OK;
}

int cli_setting_unknown(const char *cmd, const kavro_error_t *error) {
  return cli_usage_error(cmd, "-X: %s", error->text);
}

int cli_registry_new(const char *cmd, const char *url, kavro_conf_t **confp,
                     kavro_registry_t **regp) {
  kavro_error_t error;
  if (kavro_conf_set(*confp, "schema.registry.url", url, &error) != KAVRO_OK) {
    cli_print_line("kavro %s: %s", cmd, error.text);
    return CLI_EXIT_USAGE;
  }
  int status = cli_mocks_for_urls(cmd, url);
  if (status != CLI_EXIT_OK)
    return status;
  if (!(*regp = kavro_registry_new(*confp, &error))) {
    cli_print_line("kavro %s: %s", cmd, error.text);
    return CLI_EXIT_USAGE;
  }
  *confp = NULL; /* the client's now */
  return CLI_EXIT_OK;
}

void cli_print_kavro_error(const char *cmd, const char *where,
                           const kavro_error_t *error) {
  char text[1024];
  kavro_error_format(error, text, sizeof(text));
  if (where)
    cli_print_line("kavro %s: %s: %s", cmd, where, text);
  else
    cli_print_line("kavro %s: %s", cmd, text);
}

/* @given (a @what's name) into @out (@size bytes), or KAVRO_ERR_LIMIT. */
static kavro_err_t copy_given(const char *given, const char *what, char *out,
                              size_t size, kavro_error_t *error) {
  size_t length = strlen(given);
  if (length >= size) {
    if (error)
      snprintf(error->text, sizeof error->text, "%s longer than %zu bytes",
               what, size - 1);
    return KAVRO_ERR_LIMIT;
  }
  memcpy(out, given, length + 1);
  return KAVRO_OK;
}

kavro_err_t cli_fixed_subject(void *opaque, const char *topic, bool is_key,
                              const kavro_schema_t *schema, char *subject,
                              size_t size, kavro_error_t *error) {
  (void)topic, (void)is_key, (void)schema;
  return copy_given(opaque, "subject name", subject, size, error);
}

kavro_err_t cli_fixed_context(void *opaque, const char *topic, char *context,
                              size_t size, kavro_error_t *error) {
  (void)topic;
  return copy_given(opaque, "context name", context, size, error);
}
