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
 *
 * Then the shapes that slip past a parser: passwords holding '/', '#', '?'
 * or '@' unencoded, -X settings mistyped with ':' for '=', a registry that
 * quotes the Authorization header back or sends control characters; the
 * output of `kavro` and `sr-compat check` in every format is searched.
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

/* OAuth client credentials: the client secret stays out of the output of
 * `kavro mock-registry --oauth` and of the client's, whether the token
 * endpoint grants a token, refuses a wrong secret or cannot be reached. */
#define OAUTH_SECRET "cs-Kv7q9ZxLeak-oauth"

static kt_run_t run_encode_oauth(const char *what, const char *registry,
                                 const char *issuer, const char *secret) {
  char issuer_setting[700], secret_setting[100];
  snprintf(issuer_setting, sizeof(issuer_setting),
           "bearer.auth.issuer.endpoint.url=%s", issuer);
  snprintf(secret_setting, sizeof(secret_setting),
           "bearer.auth.client.secret=%s", secret);
  return run_cli(what, registry, AUTH_URL, datum_path,
                 (const char *const[]){
                     "encode", "--schema", schema_path, "--subject",
                     "sec-value", "-X",
                     "bearer.auth.credentials.source=OAUTHBEARER", "-X",
                     issuer_setting, "-X", "bearer.auth.client.id=svc", "-X",
                     secret_setting, NULL});
}

START_TEST(test_cli_oauth_secret) {
  make_needles();
  kt_server_t server;
  ck_assert(kt_server_start(
      &server, workdir,
      (const char *const[]){kavro_bin, "mock-registry", "--oauth",
                            "svc:" OAUTH_SECRET, NULL}));
  char issuer[600];
  snprintf(issuer, sizeof(issuer), "%s/oauth/token", server.url);
  kt_run_t run = run_encode_oauth("encode with a token", server.url, issuer,
                                  OAUTH_SECRET);
  ck_assert_msg(run.status == 0, "exit %d: %s", run.status, run.err);
  kt_run_free(&run);
  run = run_encode_oauth("encode, wrong secret", server.url, issuer,
                         "wrong-Kv7q9ZxLeak");
  assert_failed("encode, wrong secret", &run);
  ck_assert_msg(strstr(run.err, "invalid_client"), "%s", run.err);
  kt_run_free(&run);
  snprintf(issuer, sizeof(issuer), "http://127.0.0.1:%u/oauth/token",
           closed_port());
  run = run_encode_oauth("encode, issuer down", server.url, issuer,
                         OAUTH_SECRET);
  assert_failed("encode, issuer down", &run);
  kt_run_free(&run);
  run = kt_server_stop(&server);
  ck_assert_int_eq(run.status, 0);
  assert_clean("kavro mock-registry --oauth stdout", run.out, run.out_length);
  assert_clean("kavro mock-registry --oauth stderr", run.err, run.err_length);
  kt_run_free(&run);
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

/* ---- URLs of any shape, mistyped settings, a hostile registry ---------- */

static const char sr_compat_bin[] = SR_COMPAT_BIN;

/* Passwords holding, unencoded, each character that would end a URL's
 * authority by RFC 3986, so that a parser reading it that way takes part
 * of the password for the host or the path. */
static const char *const raw_passwords[] = {
    "Pw/Kv7q9ZxLeak", "Pw#Kv7q9ZxLeak", "Pw?Kv7q9ZxLeak", "P/w#K?v@7q9ZxLeak"};
#define RAW_PASSWORD_COUNT (sizeof(raw_passwords) / sizeof(raw_passwords[0]))

static const char *const sr_formats[] = {"text", "json", "junit", "github"};

/* Fail when @text holds a control character other than a line feed: a
 * terminal or a CI log would obey it. */
static void assert_no_controls(const char *what, const char *text,
                               size_t length) {
  for (size_t i = 0; i < length; i++) {
    unsigned char c = (unsigned char)text[i];
    ck_assert_msg((c >= 0x20 && c != 0x7f) || c == '\n',
                  "%s: control character 0x%02x at %zu:\n%.*s", what, c, i,
                  (int)length, text);
  }
}

/* Fail when a line of @text starts with @forged. */
static void assert_no_line_starts(const char *what, const char *text,
                                  const char *forged) {
  for (const char *line = text; line; line = strchr(line, '\n')) {
    if (*line == '\n')
      line++;
    ck_assert_msg(strncmp(line, forged, strlen(forged)) != 0,
                  "%s: forged line \"%s\":\n%s", what, forged, text);
  }
}

/* `sr-compat check` of ping.avsc against the registry at @url in
 * @format, with the -X @setting when not NULL. */
static kt_run_t run_sr_check(const char *url, const char *format,
                             const char *setting) {
  const char *argv[24] = {sr_compat_bin, "check", "--no-catalog",
                          "--registry", url, "--subject", "sec-value",
                          "--format", format, "-X", "max.retries=0"};
  size_t n = 11;
  if (setting) {
    argv[n++] = "-X";
    argv[n++] = setting;
  }
  argv[n++] = schema_path;
  argv[n] = NULL;
  return kt_run(workdir, NULL, argv);
}

START_TEST(test_text_printable) {
  make_needles();
  char text[256];
  for (size_t i = 0; i < RAW_PASSWORD_COUNT; i++) {
    snprintf(text, sizeof(text), "GET http://" USER ":%s@127.0.0.1:1/x: "
             "refused", raw_passwords[i]);
    char *shown = kavro_text_printable(text, KAVRO_TEXT_REDACT_URLS);
    ck_assert_ptr_nonnull(shown);
    assert_clean_str("kavro_text_printable", shown);
    ck_assert_str_eq(shown, "GET http://[redacted]@127.0.0.1:1/x: refused");
    free(shown);
  }
  char *shown = kavro_text_printable("a\x1b[2J\a\r\n::error::x\xc2\x9b\x7f",
                                     KAVRO_TEXT_ESCAPE_CONTROLS);
  ck_assert_str_eq(shown, "a\\x1b[2J\\x07\\r\\n::error::x\\u009b\\x7f");
  free(shown);
}
END_TEST

START_TEST(test_url_password_delimiters_library) {
  make_needles();
  char url[256];
  for (size_t i = 0; i < RAW_PASSWORD_COUNT; i++) {
    snprintf(url, sizeof(url), "http://" USER ":%s@127.0.0.1:%u",
             raw_passwords[i], closed_port());
    kavro_conf_t *conf = auth_conf(AUTH_URL, url);
    assert_dump_clean(conf);
    kavro_error_t error;
    kavro_registry_t *registry = kavro_registry_new(conf, &error);
    ck_assert_msg(registry != NULL, "%s", error.text);
    kavro_schema_t *found = NULL;
    ck_assert_int_eq(
        kavro_registry_schema_by_id(registry, 1, NULL, &found, &error),
        KAVRO_ERR_TRANSPORT);
    assert_error_clean(raw_passwords[i], &error);
    /* The host is the one after the last '@', not one in the password. */
    ck_assert_msg(strncmp(error.source, "http://127.0.0.1:", 17) == 0, "%s",
                  error.source);
    kavro_registry_destroy(registry);
  }
}
END_TEST

START_TEST(test_cli_url_password_delimiters) {
  make_needles();
  char url[256], list[512], what[160];
  for (size_t i = 0; i < RAW_PASSWORD_COUNT; i++) {
    snprintf(url, sizeof(url), "http://" USER ":%s@127.0.0.1:%u",
             raw_passwords[i], closed_port());
    snprintf(what, sizeof(what), "kavro encode, password %s", raw_passwords[i]);
    kt_run_t run = run_encode(what, url, AUTH_URL);
    assert_failed(what, &run);
    kt_run_free(&run);
    /* A list, as schema.registry.url takes it. */
    snprintf(list, sizeof(list), "%s,http://bob:%s@127.0.0.1:%u", url,
             raw_passwords[i], closed_port());
    for (size_t f = 0; f < sizeof(sr_formats) / sizeof(*sr_formats); f++) {
      for (int use_list = 0; use_list < 2; use_list++) {
        snprintf(what, sizeof(what), "sr-compat check --format %s, %s %s",
                 sr_formats[f], use_list ? "URL list" : "URL",
                 raw_passwords[i]);
        run = run_sr_check(use_list ? list : url, sr_formats[f], NULL);
        ck_assert_msg(run.status == 2, "%s: exit %d", what, run.status);
        assert_clean(what, run.out, run.out_length);
        assert_clean(what, run.err, run.err_length);
        kt_run_free(&run);
      }
    }
  }
}
END_TEST

/* A -X argument with ':' where '=' belongs, and a key made of a mistyped
 * pair, are refused without a word of the secret. */
START_TEST(test_cli_mistyped_settings) {
  make_needles();
  static const char *const settings[] = {
      "basic.auth.user.info:" USER ":" PASSWORD,
      "basic.auth.user.info:" USER ":" PASSWORD "=x",
      "bearer.auth.token:" TOKEN,
      "sasl.password:" PASSWORD "=x",
  };
  for (size_t i = 0; i < sizeof(settings) / sizeof(*settings); i++) {
    const char *const encode[] = {kavro_bin, "encode", "--schema", schema_path,
                                  "--subject", "sec-value", "--registry",
                                  "http://127.0.0.1:1", "-X", settings[i],
                                  NULL};
    const char *const produce[] = {kavro_bin, "produce", "-t", "t",
                                   "--schema", schema_path, "-X", settings[i],
                                   NULL};
    const char *const *argvs[] = {encode, produce};
    for (size_t k = 0; k < 2; k++) {
      kt_run_t run = kt_run(workdir, datum_path, argvs[k]);
      ck_assert_msg(run.status == 2, "%s -X %s: exit %d", argvs[k][1],
                    settings[i], run.status);
      ck_assert_uint_gt(run.err_length, 0);
      assert_clean(argvs[k][1], run.out, run.out_length);
      assert_clean(argvs[k][1], run.err, run.err_length);
      kt_run_free(&run);
    }
    kt_run_t run = run_sr_check("http://127.0.0.1:1", "text", settings[i]);
    ck_assert_msg(run.status == 2, "sr-compat -X %s: exit %d", settings[i],
                  run.status);
    assert_clean("sr-compat -X", run.out, run.out_length);
    assert_clean("sr-compat -X", run.err, run.err_length);
    kt_run_free(&run);
  }
}
END_TEST

/* The next requests to @mock fail with @status and @code and the error
 * message @message. */
static void push_message(kavro_mock_t *mock, int status, int code,
                         const char *message) {
  kavro_mock_fault_t fault = {.kind = KAVRO_MOCK_FAULT_ERROR,
                              .http_status = status,
                              .error_code = code,
                              .retry_after_seconds = -1};
  ck_assert_int_eq(kavro_mock_push_fault_message(mock, &fault, 64, message,
                                                 NULL),
                   KAVRO_OK);
}

/* What a registry that quotes the request back says to a client using
 * @auth: every form of the credential it sent. */
static void echo_message(auth_t auth, char *buf, size_t size) {
  unsigned char b64[128];
  const char *user_info = USER ":" PASSWORD;
  EVP_EncodeBlock(b64, (const unsigned char *)user_info,
                  (int)strlen(user_info));
  if (auth == AUTH_TOKEN || auth == AUTH_CALLBACK)
    snprintf(buf, size, "denied: Authorization: Bearer %s", TOKEN);
  else
    snprintf(buf, size, "denied: Authorization: Basic %s (%s, %s, %s)", b64,
             user_info, PASSWORD, PASSWORD_IN_URL);
}

START_TEST(test_registry_echoes_credentials) {
  auth_t auth = (auth_t)_i;
  make_needles();
  kavro_mock_t *mock;
  ck_assert_int_eq(kavro_mock_new(NULL, &mock, NULL), KAVRO_OK);
  ck_assert_int_eq(kavro_mock_listen(mock, NULL, 0, NULL), KAVRO_OK);
  kavro_schema_t *schema = NULL;
  ck_assert_int_eq(kavro_schema_parse(schema_text, strlen(schema_text), NULL,
                                      &schema, NULL),
                   KAVRO_OK);
  char url[256], message[512];
  failure_url(mock, FAIL_COUNT, auth == AUTH_URL, url, sizeof(url));
  echo_message(auth, message, sizeof(message));
  push_message(mock, 403, 40301, message);
  kavro_conf_t *conf = auth_conf(auth, url);
  kavro_error_t error;
  kavro_registry_t *registry = kavro_registry_new(conf, &error);
  ck_assert_msg(registry != NULL, "%s", error.text);
  int id = 0;
  ck_assert_int_eq(kavro_registry_register(registry, "sec-value", schema, NULL,
                                           0, false, &id, &error),
                   KAVRO_ERR_FORBIDDEN);
  ck_assert_ptr_nonnull(strstr(error.text, "denied: Authorization:"));
  assert_error_clean(auth_names[auth], &error);
  kavro_registry_destroy(registry);
  if (auth != AUTH_CALLBACK) {
    kt_run_t run = run_encode("kavro encode, registry echoing", url, auth);
    assert_failed("kavro encode, registry echoing", &run);
    kt_run_free(&run);
  }
  kavro_schema_destroy(schema);
  kavro_mock_destroy(mock);
}
END_TEST

/* A registry message that would clear the screen, ring, and forge a
 * GitHub annotation on a line of its own. */
static const char hostile_message[] =
    "bad\x1b[2J\a\r\n::error file=forged.avsc::forged\x1b]0;title\a";

START_TEST(test_registry_control_characters) {
  kavro_mock_t *mock;
  ck_assert_int_eq(kavro_mock_new(NULL, &mock, NULL), KAVRO_OK);
  ck_assert_int_eq(kavro_mock_listen(mock, NULL, 0, NULL), KAVRO_OK);
  const char *url = kavro_mock_url(mock);
  push_message(mock, 422, 42201, hostile_message);
  kavro_conf_t *conf = auth_conf(AUTH_TOKEN, url);
  kavro_error_t error;
  kavro_registry_t *registry = kavro_registry_new(conf, &error);
  ck_assert_msg(registry != NULL, "%s", error.text);
  kavro_schema_t *schema = NULL;
  ck_assert_int_eq(kavro_schema_parse(schema_text, strlen(schema_text), NULL,
                                      &schema, NULL),
                   KAVRO_OK);
  int id = 0;
  ck_assert_int_eq(kavro_registry_register(registry, "sec-value", schema, NULL,
                                           0, false, &id, &error),
                   KAVRO_ERR_INVALID_SCHEMA);
  ck_assert_ptr_nonnull(strstr(error.text, "bad\\x1b[2J"));
  assert_no_controls("kavro_error_t text", error.text, strlen(error.text));
  kavro_registry_destroy(registry);
  kavro_schema_destroy(schema);

  kt_run_t run = run_encode("kavro encode, hostile registry", url, AUTH_TOKEN);
  assert_failed("kavro encode, hostile registry", &run);
  assert_no_controls("kavro encode", run.err, run.err_length);
  assert_no_line_starts("kavro encode", run.err, "::error");
  kt_run_free(&run);
  kavro_mock_clear_faults(mock);
  push_message(mock, 500, 50001, hostile_message);
  for (size_t f = 0; f < sizeof(sr_formats) / sizeof(*sr_formats); f++) {
    run = run_sr_check(url, sr_formats[f], NULL);
    ck_assert_msg(run.status == 2, "sr-compat %s: exit %d", sr_formats[f],
                  run.status);
    ck_assert_msg(strstr(run.out, "forged") || strstr(run.err, "forged"),
                  "sr-compat %s does not show the registry's message:\n%s%s",
                  sr_formats[f], run.out, run.err);
    assert_no_controls(sr_formats[f], run.out, run.out_length);
    assert_no_controls(sr_formats[f], run.err, run.err_length);
    assert_no_line_starts(sr_formats[f], run.out, "::error file=forged");
    assert_no_line_starts(sr_formats[f], run.err, "::error file=forged");
    kt_run_free(&run);
  }
  kavro_mock_destroy(mock);
}
END_TEST

static Suite *security_suite(void) {
  Suite *s = suite_create("security");
  TCase *tc = tcase_create("library");
  tcase_set_timeout(tc, 60);
  tcase_add_loop_test(tc, test_library_errors, 0, AUTH_COUNT);
  tcase_add_test(tc, test_conf_errors);
  tcase_add_test(tc, test_text_printable);
  tcase_add_test(tc, test_url_password_delimiters_library);
  suite_add_tcase(s, tc);
  tc = tcase_create("programs");
  tcase_add_unchecked_fixture(tc, make_workdir, remove_workdir);
  tcase_set_timeout(tc, 120);
  tcase_add_loop_test(tc, test_cli_encode_decode, 0, AUTH_CALLBACK);
  tcase_add_test(tc, test_cli_mock_registry_log);
  tcase_add_test(tc, test_cli_oauth_secret);
  tcase_add_test(tc, test_cli_bad_settings);
  tcase_add_test(tc, test_cli_url_password_delimiters);
  tcase_add_test(tc, test_cli_mistyped_settings);
  tcase_add_loop_test(tc, test_registry_echoes_credentials, 0, AUTH_COUNT);
  tcase_add_test(tc, test_registry_control_characters);
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
