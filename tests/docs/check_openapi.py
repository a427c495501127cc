#!/usr/bin/python3
"""Checks the server against docs/openapi.yaml.

  check_openapi.py OPENAPI routes ROUTES_FILE
      ROUTES_FILE: one "METHOD PATH" per line — every route the server answers. Fails when the
      server answers a route the document does not list, or the document lists one the server
      does not answer.
  check_openapi.py OPENAPI responses EXCHANGES_JSON
      EXCHANGES_JSON: [{"method", "path", "status", "content_type", "body"}, ...] — recorded
      responses. Fails when a status is not documented for its operation, a content type is not
      documented for its status, or a JSON body does not match the documented schema. A path the
      document does not list must have been answered 404, a listed path with a method it does not
      take 405, both with the documented error body.
Exit 0 when all is well; else 1 with every problem printed.
"""
import json
import sys

import jsonschema
import yaml

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


def load(path):
    with open(path) as f:
        doc = yaml.safe_load(f)
    if not str(doc.get("openapi", "")).startswith("3.1"):
        sys.exit(f"{path}: not an OpenAPI 3.1 document")
    return doc


def resolve(doc, node):
    """Follows a $ref (local, JSON pointer) until the node is not one."""
    while isinstance(node, dict) and "$ref" in node and len(node) == 1:
        pointer = node["$ref"]
        assert pointer.startswith("#/"), pointer
        node = doc
        for part in pointer[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def validate(doc, schema, instance):
    # The whole document is the schema's resource: "#/components/..." refs resolve inside it.
    wrapper = dict(doc)
    wrapper.update(schema if isinstance(schema, dict) else {})
    wrapper["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    validator = jsonschema.Draft202012Validator(wrapper)
    return [f"{'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message}"
            for e in validator.iter_errors(instance)]


def check_routes(doc, routes_file):
    documented = {(m.upper(), p) for p, item in doc["paths"].items() for m in item if m in METHODS}
    served = set()
    with open(routes_file) as f:
        for line in f:
            if line.strip():
                method, path = line.split()
                served.add((method, path))
    problems = [f"the server answers {m} {p}, which the document does not list"
                for m, p in sorted(served - documented)]
    problems += [f"the document lists {m} {p}, which the server does not answer"
                 for m, p in sorted(documented - served)]
    return problems


def check_response(doc, x):
    method, path, status = x["method"].lower(), x["path"], str(x["status"])
    where = f"{x['method']} {path} -> {status}"
    item = doc["paths"].get(path)
    if item is None:
        response = resolve(doc, {"$ref": "#/components/responses/NotFound"})
        if status != "404":
            return [f"{where}: a path the document does not list must be 404"]
    elif method == "head" and "get" in item:
        return []  # the GET's headers, no body
    elif method not in item:
        response = resolve(doc, {"$ref": "#/components/responses/MethodNotAllowed"})
        if status != "405":
            return [f"{where}: a method the path does not take must be 405"]
    else:
        responses = item[method]["responses"]
        if status not in responses:
            return [f"{where}: status not documented (documented: {', '.join(responses)})"]
        response = resolve(doc, responses[status])
    content = response.get("content", {})
    media = (x.get("content_type") or "").split(";")[0].strip()
    if not content:
        if x.get("body"):
            return [f"{where}: documented without a body, but one came ({media})"]
        return []
    if media not in content:
        return [f"{where}: content type {media!r} not documented ({', '.join(content)})"]
    schema = content[media].get("schema", {})
    if media.endswith("json"):
        try:
            body = json.loads(x["body"])
        except ValueError as e:
            return [f"{where}: the body is not JSON: {e}"]
        return [f"{where}: {p}" for p in validate(doc, schema, body)]
    return []


def main():
    if len(sys.argv) != 4 or sys.argv[2] not in ("routes", "responses"):
        sys.exit(__doc__)
    doc = load(sys.argv[1])
    if sys.argv[2] == "routes":
        problems = check_routes(doc, sys.argv[3])
    else:
        with open(sys.argv[3]) as f:
            exchanges = json.load(f)
        problems = [p for x in exchanges for p in check_response(doc, x)]
        statuses = sorted({str(x["status"]) for x in exchanges})
        print(f"{len(exchanges)} responses checked; statuses: {' '.join(statuses)}")
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
