"""Checks HTTP requests and replies against an OpenAPI 3.0 document with Debian's python3-jsonschema, so a
contract server cannot accept what the real service refuses, nor answer what the real service never
sends. Each check returns a list of violations (empty: conforms).

OpenAPI 3.0 schemas are JSON Schema with a few differences, converted here:
  - `nullable: true` becomes a type that also admits null;
  - readOnly properties (created_on, modified_on, proxiable, meta in Cloudflare's schema) are not required
    in request bodies and must not be sent; `id` is treated the same way in requests because the service
    assigns it (the extract lists it as required in the one schema it shares between requests and replies);
  - a reply with an error status is checked against the failure branch of an `allOf` whose other branch
    requires `success: true`: the two cannot hold together, so the extract's 4xx schemas are unsatisfiable
    as written and the failure branch is what the service sends.
"""
import copy
import json
import re
from urllib.parse import parse_qsl

import jsonschema

# Properties the service assigns: never required in a request body.
SERVER_ASSIGNED = {"id"}


def _to_json_schema(node):
    if isinstance(node, list):
        return [_to_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _to_json_schema(v) for k, v in node.items()}
    if out.pop("nullable", False):
        if "type" in out:
            out["type"] = [out["type"], "null"] if isinstance(out["type"], str) else out["type"] + ["null"]
        if "enum" in out and None not in out["enum"]:
            out["enum"] = out["enum"] + [None]
    return out


def _read_only_names(components):
    """Properties read-only wherever they are declared (created_on, modified_on, ...): `content` is
    read-only in some record types (formatted from `data`) but not in an A record, so it is not one."""
    flags = {}

    def walk(node):
        if isinstance(node, dict):
            for name, prop in node.get("properties", {}).items():
                if isinstance(prop, dict):
                    flags.setdefault(name, set()).add(bool(prop.get("readOnly")))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(components)
    return {name for name, seen in flags.items() if seen == {True}}


def _drop_required(node, names):
    if isinstance(node, dict):
        if isinstance(node.get("required"), list):
            node["required"] = [n for n in node["required"] if n not in names]
        for value in node.values():
            _drop_required(value, names)
    elif isinstance(node, list):
        for value in node:
            _drop_required(value, names)


class OpenApi:
    def __init__(self, path):
        with open(path) as f:
            self.doc = json.load(f)
        self.read_only = _read_only_names(self.doc["components"])
        self.response_components = _to_json_schema(self.doc["components"])
        self.request_components = copy.deepcopy(self.response_components)
        _drop_required(self.request_components, self.read_only | SERVER_ASSIGNED)
        self.routes = []
        for template, item in self.doc["paths"].items():
            pattern = "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "$"
            self.routes.append((re.compile(pattern), template, item))
        # Literal segments first: /dns_records/export is not a record id.
        self.routes.sort(key=lambda route: route[1].count("{"))

    def _errors(self, schema, value, components):
        validator = jsonschema.Draft7Validator({"components": components, "allOf": [_to_json_schema(schema)]},
                                               format_checker=jsonschema.FormatChecker())
        return [f"{'/'.join(str(p) for p in e.absolute_path) or '(top)'}: {e.message[:300]}"
                for e in validator.iter_errors(value)]

    def _resolve(self, schema):
        while isinstance(schema, dict) and "$ref" in schema:
            schema = self.doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        return schema

    def match(self, method, path):
        """(template, operation, path parameters) or None."""
        for pattern, template, item in self.routes:
            found = pattern.match(path)
            if found and method.lower() in item:
                return template, item[method.lower()], found.groupdict()
        return None

    def _coerce(self, text, schema):
        kind = self._resolve(schema).get("type")
        if kind == "number":
            return float(text)
        if kind == "integer":
            return int(text)
        if kind == "boolean":
            if text not in ("true", "false"):
                raise ValueError(text)
            return text == "true"
        return text

    def check_request(self, method, path, query, headers, body):
        found = self.match(method, path)
        if found is None:
            return [f"{method} {path}: no such operation in the schema"]
        template, operation, path_params = found
        where = f"{method} {template}"
        problems = []
        params = {(p["in"], p["name"]): p for p in operation.get("parameters", [])}
        for name, value in path_params.items():
            param = params.get(("path", name))
            if param is None:
                problems.append(f"{where}: path parameter {name} is not documented")
                continue
            problems += [f"{where}: path {name}: {e}" for e in self._errors(param["schema"], value,
                                                                              self.request_components)]
        seen = set()
        for name, value in parse_qsl(query, keep_blank_values=True):
            param = params.get(("query", name))
            if param is None:
                problems.append(f"{where}: query parameter {name} is not in the schema")
                continue
            if name in seen:
                problems.append(f"{where}: query parameter {name} given twice")
            seen.add(name)
            try:
                coerced = self._coerce(value, param["schema"])
            except ValueError:
                kind = self._resolve(param["schema"])["type"]
                problems.append(f"{where}: query {name}={value!r} is not a {kind}")
                continue
            problems += [f"{where}: query {name}: {e}" for e in self._errors(param["schema"], coerced,
                                                                              self.request_components)]
        for (place, name), param in params.items():
            if param.get("required") and place == "query" and name not in seen:
                problems.append(f"{where}: required query parameter {name} is missing")
        request_body = operation.get("requestBody")
        if request_body is None:
            if body:
                problems.append(f"{where}: a body the operation does not take")
            return problems
        if not body:
            if request_body.get("required"):
                problems.append(f"{where}: the request body is required")
            return problems
        content_type = headers.get("Content-Type", "").split(";")[0].strip()
        media = request_body.get("content", {})
        if content_type not in media:
            return problems + [f"{where}: Content-Type {content_type!r}, the schema takes {sorted(media)}"]
        try:
            value = json.loads(body)
        except ValueError:
            return problems + [f"{where}: the body is not JSON"]
        schema = media[content_type].get("schema")
        if schema is not None:
            problems += [f"{where}: body {e}" for e in self._errors(schema, value, self.request_components)]
            if isinstance(value, dict):
                sent = sorted(self.read_only & value.keys())
                problems += [f"{where}: body sends read-only {k}" for k in sent]
        return problems

    def check_response(self, method, path, status, body):
        found = self.match(method, path)
        if found is None:
            return []  # the request was already reported
        template, operation, _ = found
        responses = operation.get("responses", {})
        spec = responses.get(str(status)) or responses.get(f"{str(status)[0]}xx") or responses.get(
            f"{str(status)[0]}XX")
        if spec is None:
            return [f"{method} {template}: status {status} is not documented"]
        schema = spec.get("content", {}).get("application/json", {}).get("schema")
        if schema is None:
            return []
        if status >= 400 and "allOf" in schema:
            failure = [b for b in schema["allOf"] if b.get("$ref", "").endswith("common-failure")]
            schema = failure[0] if failure else schema
        return [f"reply to {method} {template} ({status}): {e}"
                for e in self._errors(schema, body, self.response_components)]
