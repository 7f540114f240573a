/*
 * kavro tests - TLS to the registry for real: the mock registry served
 * over HTTPS (kavro_mock_listen_tls() and `kavro mock-registry --tls-*`),
 * reached through the registry client.
 *
 * A test CA, a second CA nobody trusts, server certificates (one naming
 * 127.0.0.1 and localhost, one naming another host) and client
 * certificates (one with an encrypted key, one signed by the untrusted
 * CA) are made with libcrypto when the suite starts, in a fresh directory.
 */
#include <check.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kavro.h"
#include "kavro/mock.h"
#include "proc_util.h"
#include "testutil.h"

/* The encrypted client key's password. */
static const char key_password[] = "open-sesame-4711";

static char workdir[4096];

/* Paths of the PEM files made by make_pki(). */
static char ca_pem[4200], other_ca_pem[4200];
static char server_cert[4200], server_key[4200];
static char misnamed_cert[4200], misnamed_key[4200];
static char client_cert[4200], client_key[4200], client_key_enc[4200];
static char rogue_cert[4200], rogue_key[4200];

/* ---- a small PKI ------------------------------------------------------ */

typedef struct issuer_s {
  X509 *cert; /* NULL: self-signed */
  EVP_PKEY *key;
} issuer_t;

static void add_ext(X509 *cert, X509V3_CTX *ctx, const char *name,
                    const char *value) {
  X509_EXTENSION *ext = X509V3_EXT_conf(NULL, ctx, name, value);
  ck_assert_msg(ext != NULL, "extension %s=%s", name, value);
  ck_assert(X509_add_ext(cert, ext, -1));
  X509_EXTENSION_free(ext);
}

/* A certificate for @key named @cn, signed by @issuer (self-signed when
 * issuer->cert is NULL, then a CA).  @usage is "serverAuth" or
 * "clientAuth" for a leaf; @san its subjectAltName (NULL: none). */
static X509 *make_cert(EVP_PKEY *key, const char *cn, const issuer_t *issuer,
                       const char *usage, const char *san) {
  static long serial = 1;
  X509 *cert = X509_new();
  ck_assert_ptr_nonnull(cert);
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), serial++);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
  X509_set_pubkey(cert, key);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_ASC,
                             (const unsigned char *)cn, -1, -1, 0);
  X509 *signer = issuer->cert ? issuer->cert : cert;
  X509_set_issuer_name(cert, X509_get_subject_name(signer));
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, signer, cert, NULL, NULL, 0);
  add_ext(cert, &ctx, "subjectKeyIdentifier", "hash");
  if (!issuer->cert) {
    add_ext(cert, &ctx, "basicConstraints", "critical,CA:TRUE");
    add_ext(cert, &ctx, "keyUsage", "critical,keyCertSign,cRLSign");
  } else {
    add_ext(cert, &ctx, "authorityKeyIdentifier", "keyid:always");
    add_ext(cert, &ctx, "basicConstraints", "critical,CA:FALSE");
    add_ext(cert, &ctx, "keyUsage", "critical,digitalSignature");
    add_ext(cert, &ctx, "extendedKeyUsage", usage);
    if (san)
      add_ext(cert, &ctx, "subjectAltName", san);
  }
  ck_assert(X509_sign(cert, issuer->key, EVP_sha256()) > 0);
  return cert;
}

static void path_in_workdir(char *buf, size_t size, const char *name) {
  snprintf(buf, size, "%s/%s", workdir, name);
}

static void write_cert(const char *path, X509 *cert) {
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  ck_assert(PEM_write_X509(f, cert));
  ck_assert_int_eq(fclose(f), 0);
}

/* Write @key as PKCS#8 PEM, encrypted with @password unless NULL. */
static void write_key(const char *path, EVP_PKEY *key, const char *password) {
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  ck_assert(PEM_write_PKCS8PrivateKey(
      f, key, password ? EVP_aes_256_cbc() : NULL, (const char *)password,
      password ? (int)strlen(password) : 0, NULL, NULL));
  ck_assert_int_eq(fclose(f), 0);
}

/* A CA: its key and self-signed certificate, written to @pem. */
static issuer_t make_ca(const char *cn, char *pem, size_t size,
                        const char *file) {
  issuer_t ca = {NULL, EVP_EC_gen("P-256")};
  ck_assert_ptr_nonnull(ca.key);
  ca.cert = make_cert(ca.key, cn, &(issuer_t){NULL, ca.key}, NULL, NULL);
  path_in_workdir(pem, size, file);
  write_cert(pem, ca.cert);
  return ca;
}

/* A leaf signed by @ca, written to @cert_path and @key_path (and, when
 * @enc_key_path is not NULL, its key encrypted with key_password). */
static void make_leaf(const issuer_t *ca, const char *cn, const char *usage,
                      const char *san, const char *name, char *cert_path,
                      char *key_path, char *enc_key_path) {
  EVP_PKEY *key = EVP_EC_gen("P-256");
  ck_assert_ptr_nonnull(key);
  X509 *cert = make_cert(key, cn, ca, usage, san);
  char file[64];
  snprintf(file, sizeof(file), "%s.crt", name);
  path_in_workdir(cert_path, 4200, file);
  write_cert(cert_path, cert);
  snprintf(file, sizeof(file), "%s.key", name);
  path_in_workdir(key_path, 4200, file);
  write_key(key_path, key, NULL);
  if (enc_key_path) {
    snprintf(file, sizeof(file), "%s-enc.key", name);
    path_in_workdir(enc_key_path, 4200, file);
    write_key(enc_key_path, key, key_password);
  }
  X509_free(cert);
  EVP_PKEY_free(key);
}

static void make_pki(void) {
  snprintf(workdir, sizeof(workdir), "/tmp/kavro-check-tls-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(workdir));
  issuer_t ca = make_ca("kavro test CA", ca_pem, sizeof(ca_pem), "ca.crt");
  issuer_t other = make_ca("kavro untrusted CA", other_ca_pem,
                           sizeof(other_ca_pem), "other-ca.crt");
  make_leaf(&ca, "127.0.0.1", "serverAuth", "IP:127.0.0.1,DNS:localhost",
            "server", server_cert, server_key, NULL);
  make_leaf(&ca, "registry.invalid", "serverAuth", "DNS:registry.invalid",
            "misnamed", misnamed_cert, misnamed_key, NULL);
  make_leaf(&ca, "kavro client", "clientAuth", NULL, "client", client_cert,
            client_key, client_key_enc);
  make_leaf(&other, "kavro rogue client", "clientAuth", NULL, "rogue",
            rogue_cert, rogue_key, NULL);
  X509_free(ca.cert);
  EVP_PKEY_free(ca.key);
  X509_free(other.cert);
  EVP_PKEY_free(other.key);
}

static void remove_pki(void) {
  const char *files[] = {ca_pem,        other_ca_pem,   server_cert,
                         server_key,    misnamed_cert,  misnamed_key,
                         client_cert,   client_key,     client_key_enc,
                         rogue_cert,    rogue_key};
  for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
    unlink(files[i]);
  rmdir(workdir);
}

/* ---- the client side ---------------------------------------------------- */

/* Ask @url for its subjects with the settings @kv (key, value, ..., NULL);
 * no retries, so that a refusal is seen at once. */
static kavro_err_t ask(const char *url, const char *const *kv,
                       kavro_error_t *error) {
  kavro_conf_t *conf = kavro_conf_new();
  ck_assert_ptr_nonnull(conf);
  ck_assert_int_eq(kavro_conf_set(conf, "schema.registry.url", url, NULL),
                   KAVRO_OK);
  ck_assert_int_eq(kavro_conf_set(conf, "max.retries", "0", NULL), KAVRO_OK);
  ck_assert_int_eq(kavro_conf_set(conf, "request.timeout.ms", "10000", NULL),
                   KAVRO_OK);
  for (; kv && kv[0]; kv += 2)
    ck_assert_msg(kavro_conf_set(conf, kv[0], kv[1], error) == KAVRO_OK,
                  "%s: %s", kv[0], error->text);
  kavro_registry_t *registry = kavro_registry_new(conf, error);
  ck_assert_msg(registry != NULL, "client: %s", error->text);
  char **subjects = NULL;
  size_t count = 0;
  kavro_err_t err = kavro_registry_subjects(registry, false, &subjects, &count,
                                            error);
  free(subjects);
  kavro_registry_destroy(registry);
  return err;
}

#define KV(...) ((const char *const[]){__VA_ARGS__, NULL})

#define ck_assert_refused(call, error, what)                                   \
  do {                                                                         \
    kavro_err_t refused_err_ = (call);                                         \
    ck_assert_msg(refused_err_ == KAVRO_ERR_TRANSPORT, "%s: %s (%s)", (what),  \
                  kavro_err2name(refused_err_), (error).text);                 \
    ck_assert_msg((error).text[0] != '\0', "%s: no error text", (what));       \
  } while (0)

/* A mock serving HTTPS with @cert and @key, requiring client certificates
 * from @client_ca unless NULL. */
static kavro_mock_t *https_mock(const char *cert, const char *key,
                                const char *client_ca) {
  kavro_mock_t *mock;
  kavro_error_t error;
  ck_assert_int_eq(kavro_mock_new(NULL, &mock, &error), KAVRO_OK);
  ck_assert_msg(kavro_mock_listen_tls(mock, NULL, 0, cert, key, client_ca,
                                      &error) == KAVRO_OK,
                "listen: %s", error.text);
  ck_assert_int_eq(strncmp(kavro_mock_url(mock), "https://127.0.0.1:", 18), 0);
  return mock;
}

/* The URL of @mock with "localhost" in place of 127.0.0.1. */
static void localhost_url(const kavro_mock_t *mock, char *buf, size_t size) {
  const char *port = strrchr(kavro_mock_url(mock), ':');
  snprintf(buf, size, "https://localhost%s", port);
}

/* ---- server verification ------------------------------------------------ */

START_TEST(test_no_ca_is_refused) {
  /* Verification is on by default: the system store does not know the
   * test CA. */
  kavro_mock_t *mock = https_mock(server_cert, server_key, NULL);
  kavro_error_t error;
  kavro_err_t err = ask(kavro_mock_url(mock), NULL, &error);
  ck_assert_refused(err, error, "no CA");
  ck_assert_msg(strstr(error.text, "certificate") != NULL,
                "the error names the certificate: %s", error.text);
  ck_assert_uint_eq(kavro_mock_request_count(mock, NULL), 0);
  kavro_mock_destroy(mock);
}
END_TEST

START_TEST(test_right_ca_works) {
  kavro_mock_t *mock = https_mock(server_cert, server_key, NULL);
  kavro_error_t error;
  ck_assert_msg(ask(kavro_mock_url(mock),
                    KV("schema.registry.ssl.ca.location", ca_pem),
                    &error) == KAVRO_OK,
                "%s", error.text);
  char url[128];
  localhost_url(mock, url, sizeof(url));
  ck_assert_msg(ask(url, KV("schema.registry.ssl.ca.location", ca_pem),
                    &error) == KAVRO_OK,
                "by name: %s", error.text);
  ck_assert_uint_eq(kavro_mock_request_count(mock, "GET /subjects"), 2);
  kavro_mock_destroy(mock);
}
END_TEST

START_TEST(test_wrong_ca_is_refused) {
  kavro_mock_t *mock = https_mock(server_cert, server_key, NULL);
  kavro_error_t error;
  kavro_err_t err = ask(kavro_mock_url(mock),
                        KV("schema.registry.ssl.ca.location", other_ca_pem),
                        &error);
  ck_assert_refused(err, error, "wrong CA");
  ck_assert_msg(strstr(error.text, "certificate") != NULL, "%s", error.text);
  /* "none" skips only the name check, never the chain. */
  err = ask(kavro_mock_url(mock),
            KV("schema.registry.ssl.ca.location", other_ca_pem,
               "schema.registry.ssl.endpoint.identification.algorithm", "none"),
            &error);
  ck_assert_refused(err, error, "wrong CA, no name check");
  ck_assert_uint_eq(kavro_mock_request_count(mock, NULL), 0);
  kavro_mock_destroy(mock);
}
END_TEST

START_TEST(test_host_name_mismatch) {
  /* Signed by the trusted CA, but for registry.invalid. */
  kavro_mock_t *mock = https_mock(misnamed_cert, misnamed_key, NULL);
  kavro_error_t error;
  kavro_err_t err = ask(kavro_mock_url(mock),
                        KV("schema.registry.ssl.ca.location", ca_pem), &error);
  ck_assert_refused(err, error, "name mismatch");
  char url[128];
  localhost_url(mock, url, sizeof(url));
  err = ask(url, KV("schema.registry.ssl.ca.location", ca_pem), &error);
  ck_assert_refused(err, error, "name mismatch (localhost)");
  ck_assert_uint_eq(kavro_mock_request_count(mock, NULL), 0);
  ck_assert_msg(
      ask(kavro_mock_url(mock),
          KV("schema.registry.ssl.ca.location", ca_pem,
             "schema.registry.ssl.endpoint.identification.algorithm", "none"),
          &error) == KAVRO_OK,
      "algorithm none: %s", error.text);
  ck_assert_uint_eq(kavro_mock_request_count(mock, NULL), 1);
  kavro_mock_destroy(mock);
}
END_TEST

/* ---- client certificates ------------------------------------------------ */

START_TEST(test_client_certificate_required) {
  kavro_mock_t *mock = https_mock(server_cert, server_key, ca_pem);
  kavro_error_t error;
  kavro_err_t err = ask(kavro_mock_url(mock),
                        KV("schema.registry.ssl.ca.location", ca_pem), &error);
  ck_assert_refused(err, error, "no client certificate");
  err = ask(kavro_mock_url(mock),
            KV("schema.registry.ssl.ca.location", ca_pem,
               "schema.registry.ssl.certificate.location", rogue_cert,
               "schema.registry.ssl.key.location", rogue_key),
            &error);
  ck_assert_refused(err, error, "client certificate of another CA");
  ck_assert_uint_eq(kavro_mock_request_count(mock, NULL), 0);
  ck_assert_msg(ask(kavro_mock_url(mock),
                    KV("schema.registry.ssl.ca.location", ca_pem,
                       "schema.registry.ssl.certificate.location", client_cert,
                       "schema.registry.ssl.key.location", client_key),
                    &error) == KAVRO_OK,
                "client certificate: %s", error.text);
  ck_assert_uint_eq(kavro_mock_request_count(mock, NULL), 1);
  kavro_mock_destroy(mock);
}
END_TEST

START_TEST(test_encrypted_client_key) {
  kavro_mock_t *mock = https_mock(server_cert, server_key, ca_pem);
  kavro_error_t error;
  ck_assert_msg(ask(kavro_mock_url(mock),
                    KV("schema.registry.ssl.ca.location", ca_pem,
                       "schema.registry.ssl.certificate.location", client_cert,
                       "schema.registry.ssl.key.location", client_key_enc,
                       "schema.registry.ssl.key.password", key_password),
                    &error) == KAVRO_OK,
                "encrypted key: %s", error.text);
  kavro_err_t err =
      ask(kavro_mock_url(mock),
          KV("schema.registry.ssl.ca.location", ca_pem,
             "schema.registry.ssl.certificate.location", client_cert,
             "schema.registry.ssl.key.location", client_key_enc,
             "schema.registry.ssl.key.password", "not-the-password"),
          &error);
  ck_assert_refused(err, error, "wrong key password");
  ck_assert_ptr_null(strstr(error.text, "not-the-password"));
  ck_assert_uint_eq(kavro_mock_request_count(mock, NULL), 1);
  kavro_mock_destroy(mock);
}
END_TEST

/* ---- the mock's own edges ----------------------------------------------- */

START_TEST(test_down_and_up_keeps_https) {
  kavro_mock_t *mock = https_mock(server_cert, server_key, ca_pem);
  kavro_error_t error;
  const char *const *mtls =
      KV("schema.registry.ssl.ca.location", ca_pem,
         "schema.registry.ssl.certificate.location", client_cert,
         "schema.registry.ssl.key.location", client_key);
  ck_assert_int_eq(kavro_mock_set_down(mock, true, &error), KAVRO_OK);
  ck_assert_refused(ask(kavro_mock_url(mock), mtls, &error), error, "down");
  ck_assert_int_eq(kavro_mock_set_down(mock, false, &error), KAVRO_OK);
  ck_assert_msg(ask(kavro_mock_url(mock), mtls, &error) == KAVRO_OK, "%s",
                error.text);
  ck_assert_refused(
      ask(kavro_mock_url(mock), KV("schema.registry.ssl.ca.location", ca_pem),
          &error),
      error, "up again, still requiring a client certificate");
  kavro_mock_destroy(mock);
}
END_TEST

START_TEST(test_listen_tls_bad_files) {
  kavro_mock_t *mock;
  kavro_error_t error;
  ck_assert_int_eq(kavro_mock_new(NULL, &mock, &error), KAVRO_OK);
  char missing[4300];
  path_in_workdir(missing, sizeof(missing), "missing.pem");
  ck_assert_int_eq(kavro_mock_listen_tls(mock, NULL, 0, missing, server_key,
                                         NULL, &error),
                   KAVRO_ERR_IO);
  ck_assert_ptr_nonnull(strstr(error.text, "missing.pem"));
  ck_assert_int_eq(kavro_mock_listen_tls(mock, NULL, 0, server_cert, NULL,
                                         NULL, &error),
                   KAVRO_ERR_INVALID_ARG);
  /* A PEM file is read up to 1 MiB: the CA padded with blank lines to
   * exactly that is accepted, one byte more refused. */
  char big[4300];
  path_in_workdir(big, sizeof(big), "big.pem");
  size_t ca_length;
  char *ca_text = kt_read_file(ca_pem, &ca_length);
  ck_assert_ptr_nonnull(ca_text);
  FILE *f = fopen(big, "w");
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(fwrite(ca_text, 1, ca_length, f), ca_length);
  for (size_t i = ca_length; i < 1024u * 1024u; i++)
    putc('\n', f);
  ck_assert_int_eq(fclose(f), 0);
  free(ca_text);
  kavro_mock_t *edge;
  ck_assert_int_eq(kavro_mock_new(NULL, &edge, NULL), KAVRO_OK);
  ck_assert_msg(kavro_mock_listen_tls(edge, NULL, 0, server_cert, server_key,
                                      big, &error) == KAVRO_OK,
                "%s", error.text);
  kavro_mock_destroy(edge);
  f = fopen(big, "a");
  ck_assert_ptr_nonnull(f);
  putc('\n', f);
  ck_assert_int_eq(fclose(f), 0);
  ck_assert_int_eq(kavro_mock_listen_tls(mock, NULL, 0, server_cert, server_key,
                                         big, &error),
                   KAVRO_ERR_LIMIT);
  ck_assert_int_eq(truncate(big, 0), 0);
  ck_assert_int_eq(kavro_mock_listen_tls(mock, NULL, 0, server_cert, server_key,
                                         big, &error),
                   KAVRO_ERR_IO);
  unlink(big);
  /* A key that is not the certificate's: GnuTLS refuses the pair. */
  ck_assert_int_eq(kavro_mock_listen_tls(mock, NULL, 0, server_cert,
                                         client_key, NULL, &error),
                   KAVRO_ERR_TRANSPORT);
  ck_assert_ptr_null(kavro_mock_url(mock));
  /* After the failures it still listens when asked properly. */
  ck_assert_int_eq(kavro_mock_listen_tls(mock, NULL, 0, server_cert,
                                         server_key, NULL, &error),
                   KAVRO_OK);
  ck_assert_int_eq(kavro_mock_listen_tls(mock, NULL, 0, server_cert,
                                         server_key, NULL, &error),
                   KAVRO_ERR_INVALID_ARG);
  kavro_mock_destroy(mock);
}
END_TEST

/* ---- kavro mock-registry ------------------------------------------------ */

static const char kavro_bin[] = KAVRO_BIN;

START_TEST(test_cli_https) {
  kt_server_t server;
  ck_assert(kt_server_start(
      &server, workdir,
      (const char *const[]){kavro_bin, "mock-registry", "--tls-cert",
                            server_cert, "--tls-key", server_key,
                            "--tls-client-ca", ca_pem, NULL}));
  ck_assert_msg(strncmp(server.url, "https://127.0.0.1:", 18) == 0, "%s",
                server.url);
  kavro_error_t error;
  ck_assert_msg(ask(server.url,
                    KV("schema.registry.ssl.ca.location", ca_pem,
                       "schema.registry.ssl.certificate.location", client_cert,
                       "schema.registry.ssl.key.location", client_key),
                    &error) == KAVRO_OK,
                "%s", error.text);
  ck_assert_refused(
      ask(server.url, KV("schema.registry.ssl.ca.location", ca_pem), &error),
      error, "no client certificate");
  kt_run_t run = kt_server_stop(&server);
  ck_assert_int_eq(run.status, 0);
  kt_run_free(&run);
}
END_TEST

START_TEST(test_cli_tls_usage) {
  kt_run_t run = kt_run(workdir, NULL,
                        (const char *const[]){kavro_bin, "mock-registry",
                                              "--tls-cert", server_cert, NULL});
  ck_assert_int_eq(run.status, 2);
  ck_assert_ptr_nonnull(strstr(run.err, "--tls-key"));
  kt_run_free(&run);
  run = kt_run(workdir, NULL,
               (const char *const[]){kavro_bin, "mock-registry",
                                     "--tls-client-ca", ca_pem, NULL});
  ck_assert_int_eq(run.status, 2);
  kt_run_free(&run);
  char missing[4300];
  path_in_workdir(missing, sizeof(missing), "missing.key");
  run = kt_run(workdir, NULL,
               (const char *const[]){kavro_bin, "mock-registry", "--tls-cert",
                                     server_cert, "--tls-key", missing, NULL});
  ck_assert_int_eq(run.status, 2);
  ck_assert_ptr_nonnull(strstr(run.err, "missing.key"));
  kt_run_free(&run);
}
END_TEST

static Suite *tls_suite(void) {
  Suite *s = suite_create("tls");
  TCase *tc = tcase_create("https");
  tcase_add_unchecked_fixture(tc, make_pki, remove_pki);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_no_ca_is_refused);
  tcase_add_test(tc, test_right_ca_works);
  tcase_add_test(tc, test_wrong_ca_is_refused);
  tcase_add_test(tc, test_host_name_mismatch);
  tcase_add_test(tc, test_client_certificate_required);
  tcase_add_test(tc, test_encrypted_client_key);
  tcase_add_test(tc, test_down_and_up_keeps_https);
  tcase_add_test(tc, test_listen_tls_bad_files);
  tcase_add_test(tc, test_cli_https);
  tcase_add_test(tc, test_cli_tls_usage);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(tls_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
