/*
 * kavro tests - the wire part: framing, unframing, header ids, id text.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kavro.h"

/* A GUID whose bytes all differ, so that any reordering shows. */
static const unsigned char test_guid[KAVRO_WIRE_GUID_SIZE] = {
    0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
    0x0f, 0xed, 0xcb, 0xa9, 0x87, 0x65, 0x43, 0x21};
static const char test_guid_text[] = "12345678-9abc-def0-0fed-cba987654321";

static const unsigned char body[] = {0x06, 'a', 'b', 'c', 0x00, 0xff};

/* ---- framing ---------------------------------------------------------- */

START_TEST(test_frame_int_bytes) {
  kavro_schema_id_t id = kavro_schema_id_int(0x01020304);
  unsigned char buf[32];
  size_t len = 0;
  ck_assert_int_eq(
      kavro_wire_frame(&id, body, sizeof(body), buf, sizeof(buf), &len, NULL),
      KAVRO_OK);
  ck_assert_uint_eq(len, KAVRO_WIRE_PREFIX_SIZE + sizeof(body));
  static const unsigned char head[] = {0x00, 0x01, 0x02, 0x03, 0x04};
  ck_assert_mem_eq(buf, head, sizeof(head));
  ck_assert_mem_eq(buf + 5, body, sizeof(body));
}
END_TEST

START_TEST(test_frame_guid_bytes) {
  kavro_schema_id_t id = kavro_schema_id_guid(test_guid);
  unsigned char buf[32];
  size_t len = 0;
  ck_assert_int_eq(
      kavro_wire_frame(&id, body, sizeof(body), buf, sizeof(buf), &len, NULL),
      KAVRO_OK);
  ck_assert_uint_eq(len, KAVRO_WIRE_MAX_ID_SIZE + sizeof(body));
  ck_assert_uint_eq(buf[0], KAVRO_WIRE_MAGIC_GUID);
  ck_assert_mem_eq(buf + 1, test_guid, sizeof(test_guid));
  ck_assert_mem_eq(buf + 17, body, sizeof(body));
}
END_TEST

/* Ids at the edges of the 32-bit field survive a round trip, and the body
 * comes back as a pointer into the frame, not a copy. */
/* The four bytes of a frame read as the registry's int32_t: the last two
 * are 0x80000000 and 0xffffffff, which no registry hands out. */
static const int32_t edge_ids[] = {0,         1,         255, 256, 65536,
                                   INT32_MAX, INT32_MIN, -1};

START_TEST(test_round_trip_int) {
  kavro_schema_id_t id = kavro_schema_id_int(edge_ids[_i]);
  unsigned char buf[16];
  size_t len = 0;
  kavro_wire_frame_t frame;
  ck_assert_int_eq(
      kavro_wire_frame(&id, body, sizeof(body), buf, sizeof(buf), &len, NULL),
      KAVRO_OK);
  ck_assert_int_eq(kavro_wire_unframe(buf, len, &frame, NULL), KAVRO_OK);
  ck_assert_int_eq(frame.format, KAVRO_WIRE_FORMAT_PREFIX);
  ck_assert_int_eq(frame.id.kind, KAVRO_SCHEMA_ID_INT);
  ck_assert_int_eq(frame.id.id, edge_ids[_i]);
  ck_assert_ptr_eq(frame.body, buf + KAVRO_WIRE_PREFIX_SIZE);
  ck_assert_uint_eq(frame.body_size, sizeof(body));
  ck_assert(kavro_schema_id_equal(&frame.id, &id));
}
END_TEST

START_TEST(test_round_trip_guid) {
  kavro_schema_id_t id = kavro_schema_id_guid(test_guid);
  unsigned char buf[32];
  size_t len = 0;
  kavro_wire_frame_t frame;
  ck_assert_int_eq(
      kavro_wire_frame(&id, body, sizeof(body), buf, sizeof(buf), &len, NULL),
      KAVRO_OK);
  ck_assert_int_eq(kavro_wire_unframe(buf, len, &frame, NULL), KAVRO_OK);
  ck_assert_int_eq(frame.id.kind, KAVRO_SCHEMA_ID_GUID);
  ck_assert_mem_eq(frame.id.guid, test_guid, sizeof(test_guid));
  ck_assert_ptr_eq(frame.body, buf + KAVRO_WIRE_MAX_ID_SIZE);
  ck_assert_uint_eq(frame.body_size, sizeof(body));
}
END_TEST

START_TEST(test_empty_body) {
  kavro_schema_id_t id = kavro_schema_id_int(7);
  unsigned char buf[KAVRO_WIRE_PREFIX_SIZE];
  size_t len = 0;
  kavro_wire_frame_t frame;
  ck_assert_int_eq(kavro_wire_frame(&id, NULL, 0, buf, sizeof(buf), &len, NULL),
                   KAVRO_OK);
  ck_assert_uint_eq(len, KAVRO_WIRE_PREFIX_SIZE);
  ck_assert_int_eq(kavro_wire_unframe(buf, len, &frame, NULL), KAVRO_OK);
  ck_assert_uint_eq(frame.id.id, 7);
  ck_assert_uint_eq(frame.body_size, 0);
  ck_assert_ptr_eq(frame.body, buf + len);
}
END_TEST

/* A buffer one byte short gets nothing written and learns the size it
 * needs; a buffer of exactly that size works. */
START_TEST(test_frame_buffer_too_small) {
  kavro_schema_id_t ids[2] = {kavro_schema_id_int(9),
                              kavro_schema_id_guid(test_guid)};
  kavro_schema_id_t id = ids[_i];
  size_t need = kavro_wire_id_size(&id) + sizeof(body);
  unsigned char buf[64];
  memset(buf, 0xaa, sizeof(buf));
  size_t len = 0;
  kavro_error_t err;
  ck_assert_int_eq(
      kavro_wire_frame(&id, body, sizeof(body), buf, need - 1, &len, &err),
      KAVRO_ERR_INVALID_ARG);
  ck_assert_int_eq(err.code, KAVRO_ERR_INVALID_ARG);
  ck_assert_ptr_nonnull(strstr(err.text, "too small"));
  ck_assert_uint_eq(len, need);
  for (size_t i = 0; i < sizeof(buf); i++)
    ck_assert_uint_eq(buf[i], 0xaa);
  ck_assert_int_eq(
      kavro_wire_frame(&id, body, sizeof(body), buf, need, &len, &err),
      KAVRO_OK);
  ck_assert_uint_eq(len, need);
  /* NULL buffer: a size query. */
  len = 0;
  ck_assert_int_eq(
      kavro_wire_frame(&id, body, sizeof(body), NULL, 0, &len, NULL),
      KAVRO_ERR_INVALID_ARG);
  ck_assert_uint_eq(len, need);
}
END_TEST

START_TEST(test_write_id) {
  /* 0xdeadbeef, read as the int32_t it is on the wire. */
  kavro_schema_id_t id = kavro_schema_id_int(-559038737);
  unsigned char buf[KAVRO_WIRE_MAX_ID_SIZE];
  size_t len = 0;
  ck_assert_int_eq(kavro_wire_write_id(&id, buf, sizeof(buf), &len, NULL),
                   KAVRO_OK);
  static const unsigned char want[] = {0x00, 0xde, 0xad, 0xbe, 0xef};
  ck_assert_uint_eq(len, sizeof(want));
  ck_assert_mem_eq(buf, want, sizeof(want));
  ck_assert_int_eq(kavro_wire_write_id(&id, buf, 4, &len, NULL),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_uint_eq(len, 5);
  id = kavro_schema_id_guid(test_guid);
  ck_assert_int_eq(kavro_wire_write_id(&id, buf, sizeof(buf), &len, NULL),
                   KAVRO_OK);
  ck_assert_uint_eq(len, KAVRO_WIRE_MAX_ID_SIZE);
  ck_assert_uint_eq(buf[0], 0x01);
  ck_assert_mem_eq(buf + 1, test_guid, sizeof(test_guid));
}
END_TEST

START_TEST(test_frame_bad_arguments) {
  kavro_schema_id_t none;
  memset(&none, 0, sizeof(none));
  unsigned char buf[64];
  size_t len = 0;
  kavro_error_t err;
  ck_assert_uint_eq(kavro_wire_id_size(&none), 0);
  ck_assert_uint_eq(kavro_wire_id_size(NULL), 0);
  ck_assert_int_eq(kavro_wire_write_id(&none, buf, sizeof(buf), &len, &err),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_ptr_nonnull(strstr(err.text, "no known kind"));
  ck_assert_int_eq(
      kavro_wire_frame(NULL, body, 1, buf, sizeof(buf), &len, NULL),
      KAVRO_ERR_INVALID_ARG);
  kavro_schema_id_t id = kavro_schema_id_int(1);
  ck_assert_int_eq(kavro_wire_frame(&id, NULL, 3, buf, sizeof(buf), &len, &err),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_ptr_nonnull(strstr(err.text, "no body"));
  ck_assert_int_eq(
      kavro_wire_frame(&id, body, SIZE_MAX - 2, buf, sizeof(buf), &len, &err),
      KAVRO_ERR_INVALID_ARG);
  ck_assert_ptr_nonnull(strstr(err.text, "too large"));
}
END_TEST

/* ---- unframing errors ------------------------------------------------- */

START_TEST(test_unframe_empty) {
  kavro_wire_frame_t frame;
  kavro_error_t err;
  unsigned char one = 0;
  ck_assert_int_eq(kavro_wire_unframe(&one, 0, &frame, &err),
                   KAVRO_ERR_WIRE_SHORT);
  ck_assert_int_eq(err.code, KAVRO_ERR_WIRE_SHORT);
  ck_assert_int_eq(err.position, 0);
  ck_assert_ptr_null(frame.body);
  ck_assert_int_eq(kavro_wire_unframe(NULL, 0, &frame, NULL),
                   KAVRO_ERR_WIRE_SHORT);
}
END_TEST

/* Every length that stops inside an integer id (1..4 bytes after 0x00)
 * or a GUID (1..16 bytes after 0x01) is short, and the frame is zeroed. */
START_TEST(test_unframe_short_int) {
  unsigned char buf[KAVRO_WIRE_PREFIX_SIZE] = {0x00, 0, 0, 0, 1};
  size_t len = (size_t)_i;
  kavro_wire_frame_t frame;
  kavro_error_t err;
  memset(&frame, 0x55, sizeof(frame));
  ck_assert_int_eq(kavro_wire_unframe(buf, len, &frame, &err),
                   KAVRO_ERR_WIRE_SHORT);
  ck_assert_int_eq(err.position, (long)len);
  ck_assert_ptr_nonnull(strstr(err.text, "5-byte"));
  ck_assert_ptr_null(frame.body);
  ck_assert_int_eq(frame.id.kind, KAVRO_SCHEMA_ID_NONE);
}
END_TEST

START_TEST(test_unframe_short_guid) {
  unsigned char buf[KAVRO_WIRE_MAX_ID_SIZE];
  buf[0] = KAVRO_WIRE_MAGIC_GUID;
  memcpy(buf + 1, test_guid, sizeof(test_guid));
  kavro_wire_frame_t frame;
  kavro_error_t err;
  ck_assert_int_eq(kavro_wire_unframe(buf, (size_t)_i, &frame, &err),
                   KAVRO_ERR_WIRE_SHORT);
  ck_assert_ptr_nonnull(strstr(err.text, "17-byte"));
  ck_assert_int_eq(kavro_wire_unframe(buf, sizeof(buf), &frame, &err),
                   KAVRO_OK);
  ck_assert_uint_eq(frame.body_size, 0);
}
END_TEST

/* Every first byte other than 0x00 and 0x01 is an unknown magic byte,
 * however long the frame, and the error says which byte it was. */
START_TEST(test_unframe_bad_magic) {
  unsigned char buf[32];
  memset(buf, 0, sizeof(buf));
  buf[0] = (unsigned char)_i;
  kavro_wire_frame_t frame;
  kavro_error_t err;
  char want[8];
  snprintf(want, sizeof(want), "0x%02x", (unsigned)_i);
  for (size_t len = 1; len <= sizeof(buf); len += 31) {
    ck_assert_int_eq(kavro_wire_unframe(buf, len, &frame, &err),
                     KAVRO_ERR_WIRE_MAGIC);
    ck_assert_int_eq(err.code, KAVRO_ERR_WIRE_MAGIC);
    ck_assert_int_eq(err.position, 0);
    ck_assert_ptr_nonnull(strstr(err.text, want));
  }
}
END_TEST

START_TEST(test_unframe_bad_arguments) {
  unsigned char buf[8] = {0};
  kavro_wire_frame_t frame;
  kavro_schema_id_t id;
  ck_assert_int_eq(kavro_wire_unframe(buf, sizeof(buf), NULL, NULL),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_int_eq(kavro_wire_unframe(NULL, 5, &frame, NULL),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_int_eq(kavro_wire_read_id(buf, sizeof(buf), NULL, NULL, NULL),
                   KAVRO_ERR_INVALID_ARG);
  size_t used = 0;
  ck_assert_int_eq(kavro_wire_read_id(buf, sizeof(buf), &id, &used, NULL),
                   KAVRO_OK);
  ck_assert_uint_eq(used, KAVRO_WIRE_PREFIX_SIZE);
}
END_TEST

/* A frame as a Confluent producer writes it: id 42 and the Avro body of
 * the string "abc" (06 61 62 63). */
START_TEST(test_unframe_known_frame) {
  static const unsigned char msg[] = {0x00, 0x00, 0x00, 0x00, 0x2a,
                                      0x06, 0x61, 0x62, 0x63};
  kavro_wire_frame_t frame;
  ck_assert_int_eq(kavro_wire_unframe(msg, sizeof(msg), &frame, NULL),
                   KAVRO_OK);
  ck_assert_uint_eq(frame.id.id, 42);
  ck_assert_uint_eq(frame.body_size, 4);
  ck_assert_mem_eq(frame.body, msg + 5, 4);
}
END_TEST

/* ---- ids in headers --------------------------------------------------- */

START_TEST(test_dual_header_guid) {
  unsigned char header[KAVRO_WIRE_MAX_ID_SIZE];
  size_t hlen = 0;
  kavro_schema_id_t id = kavro_schema_id_guid(test_guid);
  ck_assert_int_eq(
      kavro_wire_write_id(&id, header, sizeof(header), &hlen, NULL), KAVRO_OK);
  /* The payload is the bare body; its first byte is no magic byte. */
  kavro_wire_frame_t frame;
  ck_assert_int_eq(
      kavro_wire_unframe_dual(header, hlen, body, sizeof(body), &frame, NULL),
      KAVRO_OK);
  ck_assert_int_eq(frame.format, KAVRO_WIRE_FORMAT_HEADER);
  ck_assert(kavro_schema_id_equal(&frame.id, &id));
  ck_assert_ptr_eq(frame.body, body);
  ck_assert_uint_eq(frame.body_size, sizeof(body));
}
END_TEST

/* Confluent's deserializers read either encoding from the header, and
 * ignore what follows the id (Protobuf message indexes). */
START_TEST(test_dual_header_int_and_trailing) {
  static const unsigned char header[] = {0x00, 0x00, 0x00, 0x01, 0x00, 0x99};
  kavro_wire_frame_t frame;
  ck_assert_int_eq(kavro_wire_unframe_dual(header, sizeof(header), body,
                                           sizeof(body), &frame, NULL),
                   KAVRO_OK);
  ck_assert_int_eq(frame.id.kind, KAVRO_SCHEMA_ID_INT);
  ck_assert_uint_eq(frame.id.id, 256);
  ck_assert_int_eq(frame.format, KAVRO_WIRE_FORMAT_HEADER);
  /* An empty payload is an empty body. */
  ck_assert_int_eq(
      kavro_wire_unframe_dual(header, sizeof(header), NULL, 0, &frame, NULL),
      KAVRO_OK);
  ck_assert_uint_eq(frame.body_size, 0);
}
END_TEST

START_TEST(test_dual_no_header_falls_back) {
  static const unsigned char msg[] = {0x00, 0x00, 0x00, 0x00, 0x05, 0x02};
  kavro_wire_frame_t frame;
  ck_assert_int_eq(
      kavro_wire_unframe_dual(NULL, 0, msg, sizeof(msg), &frame, NULL),
      KAVRO_OK);
  ck_assert_int_eq(frame.format, KAVRO_WIRE_FORMAT_PREFIX);
  ck_assert_uint_eq(frame.id.id, 5);
  ck_assert_ptr_eq(frame.body, msg + 5);
  kavro_error_t err;
  ck_assert_int_eq(
      kavro_wire_unframe_dual(NULL, 0, body, sizeof(body), &frame, &err),
      KAVRO_ERR_WIRE_MAGIC);
  ck_assert_str_eq(err.source, "");
}
END_TEST

/* A header that is there but broken is an error naming the header; the
 * payload is not read as a prefix instead. */
START_TEST(test_dual_bad_header) {
  static const unsigned char prefixed[] = {0x00, 0x00, 0x00, 0x00, 0x05};
  static const unsigned char short_guid[] = {0x01, 0x12, 0x34};
  static const unsigned char bad_magic[] = {0x02, 0, 0, 0, 1};
  static const unsigned char empty[1] = {0};
  kavro_wire_frame_t frame;
  kavro_error_t err;
  ck_assert_int_eq(kavro_wire_unframe_dual(short_guid, sizeof(short_guid),
                                           prefixed, sizeof(prefixed), &frame,
                                           &err),
                   KAVRO_ERR_WIRE_SHORT);
  ck_assert_str_eq(err.source, "header");
  ck_assert_ptr_null(frame.body);
  ck_assert_int_eq(kavro_wire_unframe_dual(bad_magic, sizeof(bad_magic),
                                           prefixed, sizeof(prefixed), &frame,
                                           &err),
                   KAVRO_ERR_WIRE_MAGIC);
  ck_assert_str_eq(err.source, "header");
  ck_assert_int_eq(kavro_wire_unframe_dual(empty, 0, prefixed, sizeof(prefixed),
                                           &frame, &err),
                   KAVRO_ERR_WIRE_SHORT);
  ck_assert_int_eq(kavro_wire_unframe_dual(short_guid, sizeof(short_guid),
                                           prefixed, sizeof(prefixed), NULL,
                                           NULL),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_int_eq(kavro_wire_unframe_dual(prefixed, sizeof(prefixed), NULL, 3,
                                           &frame, NULL),
                   KAVRO_ERR_INVALID_ARG);
}
END_TEST

START_TEST(test_header_names) {
  ck_assert_str_eq(kavro_wire_header_name(true), "__key_schema_id");
  ck_assert_str_eq(kavro_wire_header_name(false), "__value_schema_id");
}
END_TEST

/* ---- ids as text ------------------------------------------------------ */

START_TEST(test_id_text_round_trip) {
  char text[KAVRO_SCHEMA_ID_STRING_SIZE];
  kavro_schema_id_t id = kavro_schema_id_guid(test_guid), back;
  ck_assert_str_eq(kavro_schema_id_format(&id, text, sizeof(text)),
                   test_guid_text);
  ck_assert_int_eq(kavro_schema_id_parse(text, &back, NULL), KAVRO_OK);
  ck_assert(kavro_schema_id_equal(&id, &back));
  ck_assert_int_eq(kavro_schema_id_parse("12345678-9ABC-DEF0-0FED-CBA987654321",
                                         &back, NULL),
                   KAVRO_OK);
  ck_assert(kavro_schema_id_equal(&id, &back));
  /* A registry's ids read back from their text; a negative one is shown
   * as it is, and refused as an id to look up. */
  for (size_t i = 0; i < sizeof(edge_ids) / sizeof(edge_ids[0]); i++) {
    id = kavro_schema_id_int(edge_ids[i]);
    kavro_schema_id_format(&id, text, sizeof(text));
    if (edge_ids[i] < 0) {
      ck_assert_int_eq(kavro_schema_id_parse(text, &back, NULL),
                       KAVRO_ERR_INVALID_ARG);
      continue;
    }
    ck_assert_int_eq(kavro_schema_id_parse(text, &back, NULL), KAVRO_OK);
    ck_assert_int_eq(back.id, edge_ids[i]);
  }
  ck_assert_str_eq(kavro_schema_id_format(&id, text, sizeof(text)), "-1");
}
END_TEST

static const char *const bad_id_texts[] = {
    "",
    "-1",
    "+5",
    " 5",
    "5 ",
    "2147483648",
    "4294967296",
    "99999999999999999999",
    "0x10",
    "123456789abcdef00fedcba987654321",
    "12345678-9abc-def0-0fed-cba98765432",
    "12345678-9abc-def0-0fed-cba9876543210",
    "12345678-9abc-def0-0fed-cba98765432g",
    "123456789-abc-def0-0fed-cba987654321",
    "12345678-9abc-def0-0fed_cba987654321",
};

START_TEST(test_id_parse_rejects) {
  kavro_schema_id_t id = kavro_schema_id_int(77);
  kavro_error_t err;
  ck_assert_int_eq(kavro_schema_id_parse(bad_id_texts[_i], &id, &err),
                   KAVRO_ERR_INVALID_ARG);
  ck_assert_ptr_nonnull(strstr(err.text, "neither"));
  ck_assert_uint_eq(id.id, 77);
}
END_TEST

START_TEST(test_id_format_edges) {
  char small[5];
  kavro_schema_id_t id = kavro_schema_id_guid(test_guid), none;
  memset(&none, 0, sizeof(none));
  ck_assert_str_eq(kavro_schema_id_format(&id, small, sizeof(small)), "1234");
  char text[KAVRO_SCHEMA_ID_STRING_SIZE] = "x";
  ck_assert_str_eq(kavro_schema_id_format(&none, text, sizeof(text)), "");
  ck_assert_ptr_null(kavro_schema_id_format(&id, NULL, 10));
  ck_assert_int_eq(kavro_schema_id_parse(NULL, &id, NULL),
                   KAVRO_ERR_INVALID_ARG);
}
END_TEST

START_TEST(test_id_equal) {
  kavro_schema_id_t a = kavro_schema_id_int(1), b = kavro_schema_id_int(1);
  kavro_schema_id_t g = kavro_schema_id_guid(test_guid), h = g, none;
  memset(&none, 0, sizeof(none));
  ck_assert(kavro_schema_id_equal(&a, &b));
  b.id = 2;
  ck_assert(!kavro_schema_id_equal(&a, &b));
  ck_assert(kavro_schema_id_equal(&g, &h));
  h.guid[15] ^= 1;
  ck_assert(!kavro_schema_id_equal(&g, &h));
  ck_assert(!kavro_schema_id_equal(&a, &g));
  ck_assert(kavro_schema_id_equal(&none, &none));
  ck_assert(!kavro_schema_id_equal(&a, NULL));
}
END_TEST

static Suite *wire_suite(void) {
  Suite *s = suite_create("wire");
  TCase *tc = tcase_create("frame");
  tcase_add_test(tc, test_frame_int_bytes);
  tcase_add_test(tc, test_frame_guid_bytes);
  tcase_add_loop_test(tc, test_round_trip_int, 0,
                      (int)(sizeof(edge_ids) / sizeof(edge_ids[0])));
  tcase_add_test(tc, test_round_trip_guid);
  tcase_add_test(tc, test_empty_body);
  tcase_add_loop_test(tc, test_frame_buffer_too_small, 0, 2);
  tcase_add_test(tc, test_write_id);
  tcase_add_test(tc, test_frame_bad_arguments);
  suite_add_tcase(s, tc);

  tc = tcase_create("unframe");
  tcase_add_test(tc, test_unframe_empty);
  tcase_add_loop_test(tc, test_unframe_short_int, 1, KAVRO_WIRE_PREFIX_SIZE);
  tcase_add_loop_test(tc, test_unframe_short_guid, 1, KAVRO_WIRE_MAX_ID_SIZE);
  tcase_add_loop_test(tc, test_unframe_bad_magic, 2, 256);
  tcase_add_test(tc, test_unframe_bad_arguments);
  tcase_add_test(tc, test_unframe_known_frame);
  suite_add_tcase(s, tc);

  tc = tcase_create("header");
  tcase_add_test(tc, test_dual_header_guid);
  tcase_add_test(tc, test_dual_header_int_and_trailing);
  tcase_add_test(tc, test_dual_no_header_falls_back);
  tcase_add_test(tc, test_dual_bad_header);
  tcase_add_test(tc, test_header_names);
  suite_add_tcase(s, tc);

  tc = tcase_create("id");
  tcase_add_test(tc, test_id_text_round_trip);
  tcase_add_loop_test(tc, test_id_parse_rejects, 0,
                      (int)(sizeof(bad_id_texts) / sizeof(bad_id_texts[0])));
  tcase_add_test(tc, test_id_format_edges);
  tcase_add_test(tc, test_id_equal);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(wire_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
