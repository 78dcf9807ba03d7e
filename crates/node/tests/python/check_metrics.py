"""Parses a node's /metrics page with the Prometheus client library's own exposition-format
parser and checks novation's naming: every family is `novation_…`, counters end in `_total`
(the parser strips it from the family name), gauges do not, times and sizes are in base units
(`_seconds`, `_bytes`: no `_ms` or `_kb`), and every sample is a number.

Usage: check_metrics.py URL  — prints the families as JSON on success, exits 1 otherwise."""

import json
import sys
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

text = urllib.request.urlopen(sys.argv[1], timeout=10).read().decode("utf-8")
families = {}
problems = []
for family in text_string_to_metric_families(text):
    if not family.name.startswith("novation_"):
        problems.append(f"{family.name}: not in the novation_ namespace")
    for suffix in ("_ms", "_millis", "_milliseconds", "_us", "_micros", "_minutes", "_hours", "_kb", "_mb", "_gb"):
        if family.name.endswith(suffix) or f"{suffix}_" in family.name:
            problems.append(f"{family.name}: use base units (_seconds, _bytes), not {suffix}")
    for sample in family.samples:
        if family.type == "counter" and not sample.name.endswith("_total"):
            problems.append(f"{sample.name}: a counter must end in _total")
        if family.type == "gauge" and sample.name.endswith("_total"):
            problems.append(f"{sample.name}: a gauge must not end in _total")
        if isinstance(sample.value, bool) or not isinstance(sample.value, (int, float)):
            problems.append(f"{sample.name}: not a number")
    families[family.name] = {"type": family.type, "value": family.samples[0].value if family.samples else None}
if problems:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)
print(json.dumps(families))
