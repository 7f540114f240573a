/*
 * kavro tests - shared helpers.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testutil.h"
#include "common_text_int.h"

const char *kt_conformance_path(const char *name) {
  static char path[4096];
  const char *dir = getenv("KAVRO_CONFORMANCE_DIR");
  snprintf(path, sizeof(path), "%s/%s", dir ? dir : KAVRO_CONFORMANCE_DIR,
           name);
  return path;
}

const char *kt_src_path(const char *relative) {
  static char path[4096];
  snprintf(path, sizeof(path), "%s/%s", KAVRO_SRCDIR, relative);
  return path;
}

char *kt_read_file(const char *path, size_t *length) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  size_t cap = 4096, len = 0;
  char *buf = malloc(cap);
  size_t n;
  while (buf && (n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
    len += n;
    if (cap - len - 1 == 0) {
      char *p = realloc(buf, cap * 2);
      if (!p) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = p;
      cap *= 2;
    }
  }
  fclose(f);
  if (!buf)
    return NULL;
  buf[len] = '\0';
  if (length)
    *length = len;
  return buf;
}

json_t *kt_load_jsonl(const char *path) {
  size_t len;
  char *text = kt_read_file(path, &len);
  if (!text) {
    fprintf(stderr, "cannot read conformance file %s\n", path);
    abort();
  }
  json_t *rows = json_array();
  int lineno = 0;
  for (char *line = text; *line;) {
    char *end = strchr(line, '\n');
    size_t n = end ? (size_t)(end - line) : strlen(line);
    lineno++;
    if (n > 0) {
      json_error_t err;
      json_t *row = json_loadb(line, n, JSON_ALLOW_NUL, &err);
      if (!row) {
        fprintf(stderr, "%s:%d: %s\n", path, lineno, err.text);
        abort();
      }
      json_array_append_new(rows, row);
    }
    line = end ? end + 1 : line + n;
  }
  free(text);
  if (json_array_size(rows) == 0) {
    fprintf(stderr, "conformance file %s holds no rows\n", path);
    abort();
  }
  return rows;
}

unsigned char *kt_hex_decode(const char *hex, size_t *length) {
  size_t n = strlen(hex);
  if (n % 2)
    return NULL;
  unsigned char *out = malloc(n / 2 + 1);
  for (size_t i = 0; out && i < n / 2; i++) {
    int hi = kv_hex_digit(hex[2 * i]), lo = kv_hex_digit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      free(out);
      return NULL;
    }
    out[i] = (unsigned char)(hi << 4 | lo);
  }
  if (length)
    *length = n / 2;
  return out;
}

char *kt_hex_encode(const unsigned char *data, size_t length) {
  char *out = malloc(length * 2 + 1);
  for (size_t i = 0; out && i < length; i++)
    sprintf(out + 2 * i, "%02x", data[i]);
  if (out)
    out[length * 2] = '\0';
  return out;
}

bool kt_ipv6_loopback(void) {
  int fd = socket(AF_INET6, SOCK_STREAM, 0);
  if (fd < 0)
    return false;
  struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6,
                              .sin6_addr = IN6ADDR_LOOPBACK_INIT};
  bool bound = bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) == 0;
  close(fd);
  if (!bound)
    fprintf(stderr, "no IPv6 loopback here: IPv6 listening not tested\n");
  return bound;
}
