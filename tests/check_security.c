/*
 * kavro tests - credentials never leak.
 *
 * Basic auth (user info in the URL, basic.auth.user.info) and bearer
 * tokens (bearer.auth.token, the refresh callback) are configured with
 * distinctive secrets; then every kind of failure is provoked (refused
 * connection, 401, 404, 409, 500, time-out, malformed reply, dropped
 * connection, TLS failure) and every text kavro produces is searched for
 * the secrets, raw and as they travel (base64 of USER:PASSWORD,
 * percent-encoded user info): kavro_error_t's text, source and path, the
 * formatted error, kavro_conf_dump(), the mock's request log, and all the
 * output of `kavro encode`, `kavro decode` and `kavro mock-registry`.
 */
#define _GNU_SOURCE /* memmem */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kavro.h"
#include "kavro/mock.h"
#include "proc_util.h"

/* The password as written in the URL (percent-encoded '@' and '/'), as
 * decoded, and the bearer token. */
#define USER "alice"
#define PASSWORD_IN_URL "Pw%40Kv7%2Fq9ZxLeak"
#define PASSWORD "Pw@Kv7/q9ZxLeak"
#define TOKEN "tok-Kv7q9ZxLeak-bearer"

/* The clients' request time-out, and the latency that outlasts it (a
 * time-out is the one failure that takes time; the margin keeps the
 * others clear of it on a slow, sanitized build). */
#define TIMEOUT_MS "1000"
#define LATENCY_MS 2500

/* Every spelling of a secret that must never be printed, filled by
 * make_needles(). */
static char needles[8][128];
static size_t needle_count;

static void add_needle(const char *s) {
  ck_assert_uint_lt(needle_count, sizeof(needles) / sizeof(needles[0]));
  snprintf(needles[needle_count++], sizeof(needles[0]), "%s", s);
}

/* The base64 of @user_info, as an Authorization header would carry it. */
static void add_base64_needle(const char *user_info) {
  unsigned char b64[128];
  EVP_EncodeBlock(b64, (const unsigned char *)user_info, (int)strlen(user_info));
  add_needle((const char *)b64);
}

static void make_needles(void) {
  needle_count = 0;
  add_needle(PASSWORD_IN_URL);
  add_needle(PASSWORD);
  add_needle("Kv7q9ZxLeak"); /* the token's distinctive core */
  add_needle("q9ZxLeak");    /* the password's core, whatever the spelling */
  add_base64_needle(USER ":" PASSWORD);
  add_base64_needle(USER ":" PASSWORD_IN_URL);
}

/* Fail when any secret occurs in the @length bytes of @text. */
static void assert_clean(const char *what, const char *text, size_t length) {
  for (size_t i = 0; i < needle_count; i++)
    ck_assert_msg(!memmem(text, length, needles[i], strlen(needles[i])),
                  "%s leaks \"%s\":\n%.*s", what, needles[i], (int)length,
                  text);
}

static void assert_clean_str(const char *what, const char *text) {
  assert_clean(what, text, strlen(text));
}

static void assert_error_clean(const char *what, const kavro_error_t *error) {
  char formatted[2048];
  assert_clean_str(what, error->text);
  assert_clean_str(what, error->source);
  assert_clean_str(what, error->path);
  assert_clean_str(what, kavro_error_format(error, formatted,
                                            sizeof(formatted)));
}

static void assert_dump_clean(const kavro_conf_t *conf) {
  size_t count = 0;
  char **dump = kavro_conf_dump(conf, &count);
  ck_assert_ptr_nonnull(dump);
  /* count is the number of strings (keys and values), as conf.c sets it. */
  for (size_t i = 0; i < count; i++)
    assert_clean_str("kavro_conf_dump", dump[i]);
  kavro_conf_dump_free(dump, count);
}

/* ---- a registry and the ways to fail ----------------------------------- */

static const char schema_text[] =
    "{\"type\":\"record\",\"name\":\"Ping\",\"namespace\":\"sec\","
    "\"fields\":[{\"name\":\"n\",\"type\":\"long\"}]}";

/* A loopback port nobody listens on (bound, then released). */
static unsigned closed_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ck_assert_int_ge(fd, 0);
  struct sockaddr_in sin = {.sin_family = AF_INET};
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(sin);
  ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
  ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
  close(fd);
  return ntohs(sin.sin_port);
}

static unsigned port_of(const char *url) {
  return (unsigned)strtoul(strrchr(url, ':') + 1, NULL, 10);
}

typedef enum failure_e {
  FAIL_REFUSED,
  FAIL_401,
  FAIL_404,
  FAIL_409,
  FAIL_500,
  FAIL_TIMEOUT,
  FAIL_MALFORMED,
  FAIL_DROPPED,
  FAIL_TLS,
  FAIL_COUNT
} failure_t;

static const char *const failure_names[FAIL_COUNT] = {
    "refused", "401", "404", "409", "500", "time-out", "malformed", "dropped",
    "TLS"};

/* Arrange for the next request to @mock to fail as @failure says. */
static void provoke(kavro_mock_t *mock, failure_t failure) {
  kavro_mock_fault_t fault = {.retry_after_seconds = -1};
  switch (failure) {
  case FAIL_401:
  case FAIL_409:
  case FAIL_500:
    fault.kind = KAVRO_MOCK_FAULT_ERROR;
    fault.http_status = failure == FAIL_401 ? 401 : failure == FAIL_409 ? 409
                                                                        : 500;
    fault.error_code = failure == FAIL_401   ? 40101
                       : failure == FAIL_409 ? 409
                                             : 50001;
    break;
  case FAIL_MALFORMED:
    fault.kind = KAVRO_MOCK_FAULT_MALFORMED;
    break;
  case FAIL_DROPPED:
    fault.kind = KAVRO_MOCK_FAULT_DROP;
    break;
  case FAIL_TIMEOUT:
    ck_assert_int_eq(kavro_mock_set_latency(mock, NULL, NULL, LATENCY_MS, NULL),
                     KAVRO_OK);
    return;
  default:
    return; /* refused, 404 and TLS need no fault */
  }
  /* A 401 is tried once more after the token callback: fault both. */
  ck_assert_int_eq(kavro_mock_push_fault(mock, &fault, 2, NULL), KAVRO_OK);
}

/* The base URL to reach @mock for @failure, "http[s]://[USERINFO@]HOST:PORT". */
static void failure_url(const kavro_mock_t *mock, failure_t failure,
                        bool user_info, char *buf, size_t size) {
  unsigned port = failure == FAIL_REFUSED ? closed_port()
                                          : port_of(kavro_mock_url(mock));
  /* TLS failure: https to a server that speaks plain HTTP. */
  snprintf(buf, size, "%s://%s127.0.0.1:%u",
           failure == FAIL_TLS ? "https" : "http",
           user_info ? USER ":" PASSWORD_IN_URL "@" : "", port);
}

/* The code each failure must give, so that the test sees the failure it
 * meant to provoke. */
static kavro_err_t expected_code(failure_t failure) {
  static const kavro_err_t codes[FAIL_COUNT] = {
      KAVRO_ERR_TRANSPORT,   KAVRO_ERR_UNAUTHORIZED,
      KAVRO_ERR_SCHEMA_NOT_FOUND, KAVRO_ERR_REGISTRY_INCOMPATIBLE,
      KAVRO_ERR_REGISTRY_STORE,  KAVRO_ERR_TIMED_OUT,
      KAVRO_ERR_BAD_RESPONSE, KAVRO_ERR_TRANSPORT,
      KAVRO_ERR_TRANSPORT};
  return codes[failure];
}

/* ---- the library: every auth way times every failure ------------------- */

typedef enum auth_e { AUTH_URL, AUTH_USER_INFO, AUTH_TOKEN, AUTH_CALLBACK,
                      AUTH_COUNT } auth_t;

static const char *const auth_names[AUTH_COUNT] = {"user info in URL",
                                                   "basic.auth.user.info",
                                                   "bearer.auth.token",
                                                   "bearer callback"};

static unsigned callback_calls;

static kavro_err_t token_cb(void *opaque, char *token, size_t size,
                            int64_t *expires_at_ms, kavro_error_t *error) {
  (void)opaque;
  (void)error;
  callback_calls++;
  snprintf(token, size, "%s", TOKEN);
  *expires_at_ms = 0;
  return KAVRO_OK;
}

static void set(kavro_conf_t *conf, const char *key, const char *value) {
  kavro_error_t error;
  ck_assert_msg(kavro_conf_set(conf, key, value, &error) == KAVRO_OK, "%s: %s",
                key, error.text);
}

static kavro_conf_t *auth_conf(auth_t auth, const char *url) {
  kavro_conf_t *conf = kavro_conf_new();
  ck_assert_ptr_nonnull(conf);
  set(conf, "schema.registry.url", url);
  set(conf, "max.retries", "0");
  set(conf, "request.timeout.ms", TIMEOUT_MS);
  if (auth == AUTH_USER_INFO) {
    set(conf, "basic.auth.credentials.source", "USER_INFO");
    set(conf, "basic.auth.user.info", USER ":" PASSWORD);
  } else if (auth == AUTH_TOKEN) {
    set(conf, "bearer.auth.token", TOKEN);
  } else if (auth == AUTH_CALLBACK) {
    kavro_conf_set_bearer_token_cb(conf, token_cb, NULL);
  }
  return conf;
}

/* One request that fails as @failure says; its error is checked. */
static void fail_once(kavro_mock_t *mock, auth_t auth, failure_t failure,
                      kavro_schema_t *schema) {
  char url[256], what[128];
  snprintf(what, sizeof(what), "%s, %s", auth_names[auth],
           failure_names[failure]);
  failure_url(mock, failure, auth == AUTH_URL, url, sizeof(url));
  kavro_conf_t *conf = auth_conf(auth, url);
  /* Only the time-out case wants the short time-out: every other failure
   * must be met for its own reason, however slow the machine (valgrind
   * makes a TLS handshake take seconds). */
  if (failure != FAIL_TIMEOUT)
    set(conf, "request.timeout.ms", "30000");
  assert_dump_clean(conf);
  kavro_error_t error;
  kavro_registry_t *registry = kavro_registry_new(conf, &error);
  ck_assert_msg(registry != NULL, "%s: %s", what, error.text);
  assert_dump_clean(kavro_registry_conf(registry));
  provoke(mock, failure);
  kavro_err_t err;
  if (failure == FAIL_404) {
    kavro_schema_t *found = NULL;
    err = kavro_registry_schema_by_id(registry, 987654, NULL, &found, &error);
    kavro_schema_destroy(found);
  } else {
    int id = 0;
    err = kavro_registry_register(registry, "sec-value", schema, NULL, 0,
                                  false, &id, &error);
  }
  ck_assert_msg(err == expected_code(failure), "%s: %s: %s", what,
                kavro_err2name(err), error.text);
  assert_error_clean(what, &error);
  kavro_registry_destroy(registry);
  kavro_mock_clear_faults(mock);
}

START_TEST(test_library_errors) {
  auth_t auth = (auth_t)_i;
  make_needles();
  kavro_mock_t *mock;
  ck_assert_int_eq(kavro_mock_new(NULL, &mock, NULL), KAVRO_OK);
  ck_assert_int_eq(kavro_mock_listen(mock, NULL, 0, NULL), KAVRO_OK);
  kavro_schema_t *schema = NULL;
  ck_assert_int_eq(kavro_schema_parse(schema_text, strlen(schema_text), NULL,
                                      &schema, NULL),
                   KAVRO_OK);
  callback_calls = 0;
  for (failure_t f = 0; f < FAIL_COUNT; f++)
    fail_once(mock, auth, f, schema);
  if (auth == AUTH_CALLBACK)
    ck_assert_uint_gt(callback_calls, 0);
  /* The mock's request log keeps paths only. */
  kavro_mock_request_t *log;
  size_t count;
  ck_assert_int_eq(kavro_mock_requests(mock, &log, &count, NULL), KAVRO_OK);
  ck_assert_uint_gt(count, 0);
  for (size_t i = 0; i < count; i++)
    assert_clean_str("the mock's request log", log[i].path);
  kavro_mock_requests_free(log, count);
  kavro_schema_destroy(schema);
  kavro_mock_destroy(mock);
}
END_TEST

/* ---- configuration refused --------------------------------------------- */

/* Setting @key to @value fails, and the error echoes no secret. */
static void assert_refused_clean(kavro_conf_t *conf, const char *key,
                                 const char *value) {
  kavro_error_t error;
  ck_assert_msg(kavro_conf_set(conf, key, value, &error) ==
                    KAVRO_ERR_CONF_INVALID,
                "%s accepted", key);
  assert_error_clean(key, &error);
}

START_TEST(test_conf_errors) {
  make_needles();
  kavro_conf_t *conf = kavro_conf_new();
  ck_assert_ptr_nonnull(conf);
  assert_refused_clean(conf, "basic.auth.user.info", PASSWORD); /* no ':' */
  assert_refused_clean(conf, "schema.registry.url",
                       "ftp://" USER ":" PASSWORD_IN_URL "@127.0.0.1:1");
  /* User info and no host: refused when set, without echoing it. */
  assert_refused_clean(conf, "schema.registry.url",
                       "http://" USER ":" PASSWORD_IN_URL "@");
  /* Basic and bearer together: refused by the client, quietly. */
  kavro_error_t error;
  set(conf, "schema.registry.url",
      "http://" USER ":" PASSWORD_IN_URL "@127.0.0.1:1");
  set(conf, "bearer.auth.token", TOKEN);
  assert_dump_clean(conf);
  ck_assert_ptr_null(kavro_registry_new(conf, &error));
  ck_assert_int_eq(error.code, KAVRO_ERR_CONF_INVALID);
  assert_error_clean("basic and bearer", &error);
  /* USER_INFO named, but credentials only in the URL. */
  set(conf, "bearer.auth.token", NULL);
  set(conf, "basic.auth.credentials.source", "USER_INFO");
  ck_assert_ptr_null(kavro_registry_new(conf, &error));
  assert_error_clean("USER_INFO without user info", &error);
  set(conf, "schema.registry.ssl.key.password", PASSWORD);
  assert_dump_clean(conf);
  kavro_conf_destroy(conf);
}
END_TEST

/* ---- the programs ------------------------------------------------------- */

static const char kavro_bin[] = KAVRO_BIN;
static char workdir[4096];
static char schema_path[4200], datum_path[4200];

static void write_text(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fputs(text, f);
  ck_assert_int_eq(fclose(f), 0);
}

static void make_workdir(void) {
  snprintf(workdir, sizeof(workdir), "/tmp/kavro-check-security-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(workdir));
  snprintf(schema_path, sizeof(schema_path), "%s/ping.avsc", workdir);
  write_text(schema_path, schema_text);
  snprintf(datum_path, sizeof(datum_path), "%s/ping.json", workdir);
  write_text(datum_path, "{\"n\": 1}\n");
}

static void remove_workdir(void) {
  unlink(schema_path);
  unlink(datum_path);
  rmdir(workdir);
}

/* The -X settings of each auth way on the command line (the callback is
 * library-only); AUTH_URL puts the user info into the URL instead. */
static const char *const cli_auth_settings[AUTH_CALLBACK][4] = {
    [AUTH_URL] = {NULL},
    [AUTH_USER_INFO] = {"-X", "basic.auth.credentials.source=USER_INFO", "-X",
                        "basic.auth.user.info=" USER ":" PASSWORD},
    [AUTH_TOKEN] = {"-X", "bearer.auth.token=" TOKEN, NULL},
};

/* Run `kavro SUBCOMMAND` against @url with @auth and the arguments
 * @extra (NULL-terminated); check that none of its output leaks. */
static kt_run_t run_cli(const char *what, const char *url, auth_t auth,
                        const char *input, const char *const *extra) {
  const char *argv[32] = {kavro_bin};
  size_t n = 1;
  for (; *extra; extra++)
    argv[n++] = *extra;
  argv[n++] = "--registry";
  argv[n++] = url;
  argv[n++] = "-X";
  argv[n++] = "max.retries=0";
  argv[n++] = "-X";
  argv[n++] = "request.timeout.ms=" TIMEOUT_MS;
  for (size_t i = 0; i < 4 && cli_auth_settings[auth][i]; i++)
    argv[n++] = cli_auth_settings[auth][i];
  argv[n++] = "--hex";
  argv[n] = NULL;
  kt_run_t run = kt_run(workdir, input, argv);
  assert_clean(what, run.out, run.out_length);
  assert_clean(what, run.err, run.err_length);
  return run;
}

static kt_run_t run_encode(const char *what, const char *url, auth_t auth) {
  return run_cli(what, url, auth, datum_path,
                 (const char *const[]){"encode", "--schema", schema_path,
                                       "--subject", "sec-value", NULL});
}

static kt_run_t run_decode(const char *what, const char *url, auth_t auth,
                           const char *frames_path) {
  return run_cli(what, url, auth, frames_path,
                 (const char *const[]){"decode", NULL});
}

/* The exit status and output of a failed run. */
static void assert_failed(const char *what, const kt_run_t *run) {
  ck_assert_msg(run->status == 1 || run->status == 2, "%s: exit %d", what,
                run->status);
  ck_assert_msg(run->err_length > 0, "%s: no message", what);
}

START_TEST(test_cli_encode_decode) {
  auth_t auth = (auth_t)_i;
  make_needles();
  kavro_mock_t *mock;
  ck_assert_int_eq(kavro_mock_new(NULL, &mock, NULL), KAVRO_OK);
  ck_assert_int_eq(kavro_mock_listen(mock, NULL, 0, NULL), KAVRO_OK);
  char url[256], what[160], frames_path[4300];
  /* A success first: the frame it writes is decoded below. */
  failure_url(mock, FAIL_COUNT, auth == AUTH_URL, url, sizeof(url));
  kt_run_t run = run_encode("encode", url, auth);
  ck_assert_msg(run.status == 0, "encode: exit %d: %s", run.status, run.err);
  snprintf(frames_path, sizeof(frames_path), "%s/frames-%d.hex", workdir,
           (int)auth);
  write_text(frames_path, run.out);
  kt_run_free(&run);
  run = run_decode("decode", url, auth, frames_path);
  ck_assert_msg(run.status == 0 && strstr(run.out, "\"n\": 1"),
                "decode: exit %d: %s%s", run.status, run.out, run.err);
  kt_run_free(&run);
  for (failure_t f = 0; f < FAIL_COUNT; f++) {
    if (f == FAIL_404)
      continue; /* below: an unknown id */
    snprintf(what, sizeof(what), "kavro encode, %s, %s", auth_names[auth],
             failure_names[f]);
    failure_url(mock, f, auth == AUTH_URL, url, sizeof(url));
    provoke(mock, f);
    run = run_encode(what, url, auth);
    assert_failed(what, &run);
    kt_run_free(&run);
    kavro_mock_clear_faults(mock);
    snprintf(what, sizeof(what), "kavro decode, %s, %s", auth_names[auth],
             failure_names[f]);
    provoke(mock, f);
    run = run_decode(what, url, auth, frames_path);
    assert_failed(what, &run);
    kt_run_free(&run);
    kavro_mock_clear_faults(mock);
  }
  /* 404: a frame naming an id the registry does not have. */
  char unknown_path[4300];
  snprintf(unknown_path, sizeof(unknown_path), "%s/unknown-%d.hex", workdir,
           (int)auth);
  write_text(unknown_path, "00000f423f02\n");
  failure_url(mock, FAIL_404, auth == AUTH_URL, url, sizeof(url));
  run = run_decode("kavro decode, unknown id", url, auth, unknown_path);
  assert_failed("kavro decode, unknown id", &run);
  kt_run_free(&run);
  unlink(frames_path);
  unlink(unknown_path);
  kavro_mock_destroy(mock);
}
END_TEST

START_TEST(test_cli_mock_registry_log) {
  make_needles();
  kt_server_t server;
  ck_assert(kt_server_start(&server, workdir,
                            (const char *const[]){kavro_bin, "mock-registry",
                                                  NULL}));
  char url[400];
  snprintf(url, sizeof(url), "http://%s:%s@%.255s", USER, PASSWORD_IN_URL,
           server.url + strlen("http://"));
  kt_run_t run = run_encode("encode via kavro mock-registry", url, AUTH_URL);
  ck_assert_int_eq(run.status, 0);
  char frames_path[4300];
  snprintf(frames_path, sizeof(frames_path), "%s/served.hex", workdir);
  write_text(frames_path, run.out);
  kt_run_free(&run);
  run = run_decode("decode via kavro mock-registry", server.url, AUTH_TOKEN,
                   frames_path);
  ck_assert_int_eq(run.status, 0);
  kt_run_free(&run);
  run = kt_server_stop(&server);
  ck_assert_int_eq(run.status, 0);
  assert_clean("kavro mock-registry stdout", run.out, run.out_length);
  assert_clean("kavro mock-registry stderr", run.err, run.err_length);
  kt_run_free(&run);
  unlink(frames_path);
}
END_TEST

START_TEST(test_cli_bad_settings) {
  make_needles();
  const char *const bad[][3] = {
      /* a URL kavro refuses, with credentials in it */
      {"ftp://" USER ":" PASSWORD_IN_URL "@127.0.0.1:1", "-X",
       "max.retries=0"},
      /* user info without its ':' */
      {"http://127.0.0.1:1", "-X", "basic.auth.user.info=" PASSWORD},
      /* basic and bearer at once */
      {"http://" USER ":" PASSWORD_IN_URL "@127.0.0.1:1", "-X",
       "bearer.auth.token=" TOKEN},
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    kt_run_t run = kt_run(
        workdir, datum_path,
        (const char *const[]){kavro_bin, "encode", "--schema", schema_path,
                              "--subject", "sec-value", "--registry", bad[i][0],
                              bad[i][1], bad[i][2], NULL});
    ck_assert_int_eq(run.status, 2);
    ck_assert_uint_gt(run.err_length, 0);
    assert_clean("kavro encode with bad settings", run.out, run.out_length);
    assert_clean("kavro encode with bad settings", run.err, run.err_length);
    kt_run_free(&run);
  }
}
END_TEST

static Suite *security_suite(void) {
  Suite *s = suite_create("security");
  TCase *tc = tcase_create("library");
  tcase_set_timeout(tc, 60);
  tcase_add_loop_test(tc, test_library_errors, 0, AUTH_COUNT);
  tcase_add_test(tc, test_conf_errors);
  suite_add_tcase(s, tc);
  tc = tcase_create("programs");
  tcase_add_unchecked_fixture(tc, make_workdir, remove_workdir);
  tcase_set_timeout(tc, 120);
  tcase_add_loop_test(tc, test_cli_encode_decode, 0, AUTH_CALLBACK);
  tcase_add_test(tc, test_cli_mock_registry_log);
  tcase_add_test(tc, test_cli_bad_settings);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(security_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
