"""Checks novation's JSON Schema with an independent validator (the `jsonschema` package).

Usage: check_schema.py SCHEMA CASES
  SCHEMA  the document novation_node::wire_schema() generates (docs/schema.json)
  CASES   {"transactions": [envelope, ...],
           "malformed_payloads": [{"why", "payload"}, ...],
           "malformed_transactions": [{"why", "transaction"}, ...],
           "results": [{"method", "result"}, ...],
           "notifications": [{"method", "result"}, ...]}   (every key optional)

The schema must itself be a valid draft 2020-12 schema. Every envelope must validate against
roots.transaction and its payload text, parsed, against roots.payload; every malformed payload
and envelope must fail; every JSON-RPC result must validate against methods[method] and every
subscription message (a notification's params.result) against notifications[method]. Prints
{"valid": N, "refused": M, "results": R, "notifications": S} on success, exits 1 otherwise."""

import json
import sys

from jsonschema import Draft202012Validator

with open(sys.argv[1], encoding="utf-8") as f:
    document = json.load(f)
with open(sys.argv[2], encoding="utf-8") as f:
    cases = json.load(f)

Draft202012Validator.check_schema(document)


def validator(subschema):
    """A validator of `subschema`, with the document's definitions in reach of its `$ref`s."""
    schema = dict(document)
    del schema["roots"], schema["methods"], schema["notifications"]
    schema["allOf"] = [subschema]
    return Draft202012Validator(schema)


transaction = validator(document["roots"]["transaction"])
payload = validator(document["roots"]["payload"])
problems = []
valid = refused = results = notifications = 0

for envelope in cases.get("transactions", []):
    for error in transaction.iter_errors(envelope):
        problems.append(f"envelope refused at {list(error.absolute_path)}: {error.message}")
    valid += 1
    text = envelope["payload"]
    for error in payload.iter_errors(json.loads(text)):
        problems.append(f"payload {text} refused at {list(error.absolute_path)}: {error.message}")
    valid += 1

for case in cases.get("malformed_payloads", []):
    if payload.is_valid(case["payload"]):
        problems.append(f"accepted {case['why']}: {json.dumps(case['payload'])}")
    refused += 1

for case in cases.get("malformed_transactions", []):
    if transaction.is_valid(case["transaction"]):
        problems.append(f"accepted {case['why']}: {json.dumps(case['transaction'])}")
    refused += 1

for case in cases.get("results", []):
    method = case["method"]
    for error in validator(document["methods"][method]).iter_errors(case["result"]):
        problems.append(f"{method} result does not match the schema at {list(error.absolute_path)}: {error.message}")
    results += 1

for case in cases.get("notifications", []):
    method = case["method"]
    for error in validator(document["notifications"][method]).iter_errors(case["result"]):
        problems.append(f"{method} message does not match the schema at {list(error.absolute_path)}: {error.message}")
    notifications += 1

if problems:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)
print(json.dumps({"valid": valid, "refused": refused, "results": results, "notifications": notifications}))
