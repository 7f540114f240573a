"""The metrics of `kavro mock-registry --metrics-listen` read by
Prometheus' own Python client parser, after known traffic; and the
example dashboard and alert rules checked against the names served.

Usage: metrics_prometheus.py REGISTRY_URL METRICS_URL SRCDIR
Exit status 0 when every check holds, 1 with a message otherwise.
"""
import json
import re
import sys
import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

registry, metrics, srcdir = sys.argv[1:4]


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def request(method, url, body=None):
    """The HTTP status of @method @url (a JSON @body when given)."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/vnd.schemaregistry.v1+json")
    try:
        with urllib.request.urlopen(req) as reply:
            reply.read()
            return reply.status
    except urllib.error.HTTPError as e:
        return e.code


def scrape():
    with urllib.request.urlopen(metrics) as reply:
        kind = reply.headers.get("Content-Type", "")
        if not kind.startswith("text/plain; version=0.0.4"):
            fail("Content-Type is %r" % kind)
        return reply.read().decode("utf-8")


def samples(text):
    """{(sample name, sorted labels): value} and {family: type}."""
    values, types = {}, {}
    for family in text_string_to_metric_families(text):
        types[family.name] = family.type
        for s in family.samples:
            values[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return values, types


def value(values, name, **labels):
    return values.get((name, tuple(sorted(labels.items()))), 0.0)


# ---- known traffic -------------------------------------------------------
before, _ = samples(scrape())
record = {"type": "record", "name": "Probe",
          "fields": [{"name": "n", "type": "long"}]}
wider = dict(record, fields=record["fields"] + [
    {"name": "m", "type": "long", "default": 0}])
traffic = [
    ("POST", "/subjects/probe-value/versions", {"schema": json.dumps(record)}, 200),
    ("POST", "/subjects/probe-value/versions", {"schema": json.dumps(wider)}, 200),
    ("POST", "/subjects/probe-value/versions", {"schema": "{\"type\":"}, 422),
    ("GET", "/subjects", None, 200),
    ("GET", "/schemas/ids/4242", None, 404),
    ("GET", "/schemas/ids/4243", None, 404),
]
for method, path, body, status in traffic:
    got = request(method, registry + path, body)
    if got != status:
        fail("%s %s answered %d, not %d" % (method, path, got, status))

text = scrape()
after, types = samples(text)
expected = {}
for method, _, _, status in traffic:
    key = (method, str(status))
    expected[key] = expected.get(key, 0) + 1
for (method, status), count in expected.items():
    name = "kavro_mock_registry_requests_total"
    got = (value(after, name, method=method, status=status)
           - value(before, name, method=method, status=status))
    if got != count:
        fail("%s{method=%s,status=%s} grew by %g, not %d"
             % (name, method, status, got, count))
if value(after, "kavro_schemas_compiled_total") <= value(
        before, "kavro_schemas_compiled_total"):
    fail("kavro_schemas_compiled_total did not grow")

# Every family kavro declares, with its type (the parser strips _total).
want = {
    "kavro_serialized_messages": "counter",
    "kavro_deserialized_messages": "counter",
    "kavro_serde_errors": "counter",
    "kavro_registry_requests": "counter",
    "kavro_registry_request_duration_seconds": "histogram",
    "kavro_registry_cache_hits": "counter",
    "kavro_dlq_forwards": "counter",
    "kavro_handler_retries": "counter",
    "kavro_processing_duration_seconds": "histogram",
    "kavro_mock_registry_requests": "counter",
}
for name, kind in want.items():
    if types.get(name) != kind:
        fail("family %s is %r, not %s" % (name, types.get(name), kind))

# Other paths and methods.
if request("GET", metrics.replace("/metrics", "/other")) != 404:
    fail("a path other than /metrics is not 404")
if request("POST", metrics, {}) != 405:
    fail("POST /metrics is not 405")

# ---- the example dashboard and alert rules --------------------------------
served = set()
for line in text.splitlines():
    m = re.match(r"# TYPE (\S+) (\S+)$", line)
    if m:
        name, kind = m.groups()
        served.update([name + "_bucket", name + "_sum", name + "_count"]
                      if kind == "histogram" else [name])
checked = 0
for path in ("examples/grafana/kavro-dashboard.json",
             "examples/grafana/alerts.yml"):
    with open(srcdir + "/" + path, encoding="utf-8") as f:
        content = f.read()
    if path.endswith(".json"):
        exprs = [t["expr"] for p in json.loads(content)["panels"]
                 for t in p["targets"]]
    else:
        exprs = re.findall(r"^\s+expr: (?:>-\n)?((?:.+\n)+?)\s+(?:for|labels):",
                           content, re.M)
    if not exprs:
        fail("%s: no expression found" % path)
    checked += len(exprs)
    for expr in exprs:
        names = re.findall(r"\bkavro_[a-z0-9_]+", expr)
        if not names:
            fail("%s: an expression without a kavro metric: %s" % (path, expr))
        for name in names:
            if name not in served:
                fail("%s: %s is not a metric kavro serves" % (path, name))
print("ok: %d families parsed, %d example expressions checked"
      % (len(types), checked))
