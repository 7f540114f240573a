"""Confluent's Python client (python3-confluent-kafka) against kavro's mock
registry, unchanged: every SchemaRegistryClient call a service makes.

Usage: mock_python_interop.py URL
Exits 0 when every check passed, 1 otherwise (each failure is printed).
"""
import json
import sys
import time

from confluent_kafka.schema_registry import (Schema, SchemaReference,
                                             SchemaRegistryClient)
from confluent_kafka.schema_registry.error import SchemaRegistryError

FAILURES = []


def check(condition, what):
    if not condition:
        FAILURES.append(what)
        print("FAIL: " + what)


def expect_error(call, http_status, error_code, what):
    try:
        call()
    except SchemaRegistryError as e:
        check(e.http_status_code == http_status and e.error_code == error_code,
              "%s: got %s/%s (%s)" % (what, e.http_status_code, e.error_code,
                                      e.error_message))
        return e
    check(False, what + ": no SchemaRegistryError")
    return None


def record(name, fields):
    return {"type": "record", "name": name, "namespace": "com.acme",
            "fields": fields}


ORDER_V1 = record("Order", [{"name": "id", "type": "string"}])
ORDER_V2 = record("Order", [{"name": "id", "type": "string"},
                            {"name": "note", "type": "string", "default": ""}])
ORDER_V3 = record("Order", [{"name": "id", "type": "string"},
                            {"name": "note", "type": "string", "default": ""},
                            {"name": "qty", "type": "int", "default": 0}])
# A new field without a default: breaks BACKWARD.
ORDER_BAD = record("Order", [{"name": "id", "type": "string"},
                             {"name": "customer", "type": "string"}])
MONEY = record("Money", [{"name": "cents", "type": "long"}])
INVOICE = record("Invoice", [{"name": "total", "type": "com.acme.Money"}])


def avro(doc, indent=None, references=None):
    return Schema(json.dumps(doc, indent=indent), "AVRO", references or [])


def main(url):
    client = SchemaRegistryClient({"url": url})
    # A subject with a slash, a space and a dot: sent percent-encoded.
    subject = "com.acme/orders value"

    id1 = client.register_schema(subject, avro(ORDER_V1))
    check(isinstance(id1, int) and id1 >= 1, "register_schema gives an id")

    # A fresh client (no cache), the same schema pretty-printed, another
    # subject: the same id.
    other = SchemaRegistryClient({"url": url})
    check(other.register_schema("other-value", avro(ORDER_V1, indent=2)) == id1,
          "the same schema gets the same id under another subject")

    fetched = other.get_schema(id1)
    check(json.loads(fetched.schema_str)["name"] in ("Order", "com.acme.Order")
          and fetched.schema_type == "AVRO", "get_schema returns the schema")

    id2 = client.register_schema(subject, avro(ORDER_V2))
    check(id2 != id1, "a new schema gets a new id")

    latest = client.get_latest_version(subject)
    check((latest.version, latest.schema_id, latest.subject) == (2, id2, subject),
          "get_latest_version: %r" % ((latest.version, latest.schema_id),))
    first = client.get_version(subject, 1)
    check((first.version, first.schema_id) == (1, id1), "get_version 1")
    check(client.get_versions(subject) == [1, 2], "get_versions")

    found = other.lookup_schema(subject, avro(ORDER_V1, indent=4))
    check((found.version, found.schema_id) == (1, id1), "lookup_schema")
    expect_error(lambda: other.lookup_schema(subject, avro(ORDER_V3)),
                 404, 40403, "lookup of an unregistered schema")

    subjects = client.get_subjects()
    check(subject in subjects and "other-value" in subjects,
          "get_subjects: %r" % (subjects,))

    expect_error(lambda: client.get_compatibility(subject), 404, 40408,
                 "get_compatibility of a subject without a level")
    client.set_compatibility(subject_name=subject, level="full")
    check(client.get_compatibility(subject) == "FULL", "subject level FULL")
    client.set_compatibility(level="FORWARD")
    check(client.get_compatibility() == "FORWARD", "global level FORWARD")
    client.set_compatibility(level="BACKWARD")
    client.set_compatibility(subject_name=subject, level="BACKWARD")
    expect_error(lambda: client.set_compatibility(level="SIDEWAYS"), 422, 42203,
                 "an invalid level")

    check(client.test_compatibility(subject, avro(ORDER_V3)) is True,
          "test_compatibility of a compatible schema")
    check(client.test_compatibility(subject, avro(ORDER_BAD)) is False,
          "test_compatibility of an incompatible schema")
    check(client.test_compatibility(subject, avro(ORDER_BAD), version=1) is False,
          "test_compatibility against version 1")
    error = expect_error(lambda: client.register_schema(subject, avro(ORDER_BAD)),
                         409, 409, "an incompatible registration")
    check(error is not None and "customer" in (error.error_message or ""),
          "the 409 message names the field")

    # References: Invoice uses com.acme.Money from its own subject.
    client.register_schema("com.acme.Money", avro(MONEY))
    refs = [SchemaReference("com.acme.Money", "com.acme.Money", 1)]
    invoice_id = client.register_schema("invoices-value", avro(INVOICE, None, refs))
    inv = client.get_latest_version("invoices-value")
    check(inv.schema_id == invoice_id and len(inv.schema.references) == 1,
          "a schema with references comes back with them")
    check(client.lookup_schema("invoices-value",
                               avro(INVOICE, None, refs)).schema_id == invoice_id,
          "lookup of a schema with references")

    check(client.delete_version(subject, 2) == 2, "delete_version")
    check(client.get_versions(subject) == [1], "versions after delete_version")
    expect_error(lambda: client.get_version(subject, 2), 404, 40402,
                 "get_version of a deleted version")
    check(other.get_schema(id2).schema_type == "AVRO",
          "a soft-deleted version's id still resolves")

    check(client.delete_subject("other-value") == [1], "delete_subject")
    check("other-value" not in client.get_subjects(), "deleted subject hidden")
    client.register_schema("scratch-value", avro(MONEY))
    check(client.delete_subject("scratch-value", permanent=True) == [1],
          "delete_subject permanent=True")
    expect_error(lambda: client.get_versions("scratch-value"), 404, 40401,
                 "versions of a permanently deleted subject")
    expect_error(lambda: client.delete_subject("com.acme.Money"), 422, 42206,
                 "deleting a referenced subject")
    expect_error(lambda: other.get_schema(999999), 404, 40403, "unknown id")

    # Headers and body in one send: no delayed-ACK stall per request.
    start = time.monotonic()
    for _ in range(50):
        client.get_version(subject, 1)
    elapsed = time.monotonic() - start
    check(elapsed < 1.0, "50 keep-alive requests took %.3f s" % elapsed)
    print("50 keep-alive requests: %.1f ms each" % (elapsed * 1000 / 50))


if __name__ == "__main__":
    main(sys.argv[1])
    if FAILURES:
        print("%d check(s) failed" % len(FAILURES))
        sys.exit(1)
    print("all checks passed")
