"""A local stand-in for Cloudflare API v4 DNS records that checks every request (path, method, query
parameters, Content-Type, body) against the official OpenAPI extract (tests/integration/specs/, a copy of
github.com/cloudflare/api-schemas openapi.json at 6e713bfd, only the DNS-record endpoints), and checks
its own replies against the schema's response shapes, so it cannot drift from the spec. Anything off is
recorded in `violations` (and refused with a 400, as Cloudflare would); tests assert there are none.

Behaviour beyond the schema, as Cloudflare documents it:
  - Authorization: Bearer <token>; a wrong token: 403 code 10000 "Authentication error" (`auth_failure`
    replaces that answer for every request, e.g. a 401);
  - a create or change that would make a second identical record (type, name, content): 400 code 81058
    "An identical record already exists.";
  - lists are paginated: at most `max_per_page` (100) records a page, result_info {page, per_page, count,
    total_count, total_pages};
  - PATCH changes only the fields sent (comment and tags stay), PUT overwrites the record;
  - 429 with Retry-After (`rate_limit_next` replies, `retry_after` seconds). Cloudflare's own code for it is
    971, which the schema's `code >= 1000` excludes: the stand-in keeps to the schema (10000);
  - `delete_reply_minimal`: DELETE answers the schema's form {"result": {"id": ...}} without `success`;
  - `stale_reads_s`: after a write, lists answer the old records for that long (propagation), so tests
    can count how often balctl reads while it verifies.
"""
import copy
import json
import os
import threading
import time
import uuid
from urllib.parse import parse_qs, urlparse

from json_server import serve_json
from openapi_check import OpenApi

SPEC = os.path.join(os.path.dirname(__file__), "..", "specs", "cloudflare-dns-records.openapi.json")
PREFIX = "/client/v4"
_spec_cache = {}


def spec():
    path = os.path.realpath(SPEC)
    if path not in _spec_cache:
        _spec_cache[path] = OpenApi(path)
    return _spec_cache[path]


def _now():
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())


class Cloudflare:
    TOKEN = "cf-test-token-0123456789"
    ZONE_ID = "0123456789abcdef0123456789abcdef"

    def __init__(self, name="lb.example.test", address="127.0.0.2"):
        self.spec = spec()
        self.name = name
        self.records = {}
        self.requests = []
        self.violations = []
        self.lock = threading.Lock()
        self.rate_limit_next = 0
        self.retry_after = None
        self.auth_failure = None
        self.delete_reply_minimal = False
        self.stale_reads_s = 0
        self.stale_until = 0
        self.stale_view = None
        self.max_per_page = 100
        if address:
            self.add(address)
        self.server = serve_json(self.handle, self.lock)

    # -- test helpers -------------------------------------------------------------------------------
    @property
    def api_url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}{PREFIX}"

    def cleanup(self):
        self.server.shutdown()
        self.server.server_close()

    def add(self, content, name=None, ttl=60, proxied=False, comment=None, tags=None):
        record_id = uuid.uuid4().hex
        record = {"id": record_id, "type": "A", "name": name or self.name, "content": content, "ttl": ttl,
                  "proxied": proxied, "proxiable": True, "locked": False, "zone_id": self.ZONE_ID,
                  "created_on": _now(), "modified_on": _now(),
                  "meta": {"auto_added": False, "source": "primary"},
                  "tags": tags or []}
        if comment is not None:
            record["comment"] = comment
        self.records[record_id] = record
        return record_id

    def answer(self, name=None):
        name = name or self.name
        return sorted(r["content"] for r in self.records.values() if r["name"] == name and r["type"] == "A")

    def calls(self, method=None):
        return [r for r in self.requests if method is None or r["method"] == method]

    # -- the API --------------------------------------------------------------------------------------
    @staticmethod
    def _error(status, code, message):
        return status, {"success": False, "errors": [{"code": code, "message": message}], "messages": [],
                        "result": None}

    def handle(self, method, raw_path, headers, body):
        url = urlparse(raw_path)
        self.requests.append({"method": method, "path": url.path, "query": parse_qs(url.query), "body": body,
                              "headers": dict(headers), "at": time.monotonic()})
        extra = {}
        if not url.path.startswith(PREFIX + "/"):
            self.violations.append(f"{method} {url.path}: not under {PREFIX}")
            status, reply = self._error(404, 7000, "No route for that URI")
            return status, reply, extra
        path = url.path[len(PREFIX):]
        problems = self.spec.check_request(method, path, url.query, headers, body)
        self.violations += problems
        if problems:  # Cloudflare refuses what its schema does not allow
            status, reply = self._error(400, 1004, "DNS Validation Error: " + problems[0])
        else:
            status, reply = self._answer(method, path, url.query, headers, body)
        if status == 429 and self.retry_after is not None:
            extra["Retry-After"] = str(self.retry_after)
        self.violations += self.spec.check_response(method, path, status, reply)
        return status, reply, extra

    def _answer(self, method, path, query, headers, body):
        if self.auth_failure is not None:
            return self._error(*self.auth_failure)
        if headers.get("Authorization") != f"Bearer {self.TOKEN}":
            return self._error(403, 10000, "Authentication error")
        if self.rate_limit_next > 0:
            self.rate_limit_next -= 1
            return self._error(429, 10000,
                               "Rate limited. Please wait and consider throttling your request speed")
        prefix = f"/zones/{self.ZONE_ID}/dns_records"
        if not path.startswith(prefix):
            return self._error(404, 7003,
                               "Could not route to " + path + ", perhaps your object identifier is invalid?")
        record_id = path[len(prefix) + 1:]
        if method == "GET" and not record_id:
            return self._list(parse_qs(query))
        if method == "POST" and not record_id:
            return self._write(None, body, replace=True)
        if record_id not in self.records:
            return self._error(404, 81044, "Record does not exist.")
        if method == "GET":
            return 200, self._ok(result=self.records[record_id])
        if method in ("PUT", "PATCH"):
            return self._write(record_id, body, replace=method == "PUT")
        if method == "DELETE":
            self._before_write()
            del self.records[record_id]
            if self.delete_reply_minimal:
                return 200, {"result": {"id": record_id}}
            return 200, self._ok(result={"id": record_id})
        return self._error(405, 10405, "Method not allowed")

    @staticmethod
    def _ok(**fields):
        return dict({"success": True, "errors": [], "messages": []}, **fields)

    def _list(self, query):
        supported = {"name", "type", "page", "per_page"}
        for key in query:
            if key not in supported:
                self.violations.append(f"list filter {key} is not implemented by the stand-in")
        records = self.records
        if self.stale_view is not None and time.monotonic() < self.stale_until:
            records = self.stale_view
        matching = [r for r in records.values()
                    if ("type" not in query or r["type"] == query["type"][0]) and
                    ("name" not in query or r["name"] == query["name"][0])]
        per_page = min(int(float(query.get("per_page", ["100"])[0])), self.max_per_page)
        page = int(float(query.get("page", ["1"])[0]))
        pages = (len(matching) + per_page - 1) // per_page
        result = matching[(page - 1) * per_page:page * per_page]
        return 200, self._ok(result=copy.deepcopy(result),
                             result_info={"page": page, "per_page": per_page, "count": len(result),
                                          "total_count": len(matching), "total_pages": pages})

    def _before_write(self):
        if self.stale_reads_s and (self.stale_view is None or time.monotonic() >= self.stale_until):
            self.stale_view = copy.deepcopy(self.records)
            self.stale_until = time.monotonic() + self.stale_reads_s

    def _write(self, record_id, body, replace):
        try:
            fields = json.loads(body)
        except ValueError:
            return self._error(400, 9207, "Request body is invalid.")
        if not isinstance(fields, dict):
            return self._error(400, 9207, "Request body is invalid.")
        writable = ("type", "name", "content", "ttl", "proxied", "comment", "tags")
        if record_id is None or replace:
            record = {"type": None, "name": None, "content": None, "ttl": 1, "proxied": False,
                      "comment": None, "tags": []}
            if record_id is not None:
                record = dict(self.records[record_id], comment=None, tags=[])  # PUT: the body is the record
                record.pop("comment")
        else:
            record = dict(self.records[record_id])
        record.update({k: fields[k] for k in writable if k in fields})
        if record.get("comment") is None:
            record.pop("comment", None)  # the schema's comment is a string: absent, not null
        if record.get("proxied") and record.get("ttl") != 1:
            return self._error(400, 9005, "Proxied records must use TTL 1 (automatic).")
        for other_id, other in self.records.items():
            if other_id != record_id and all(other[k] == record[k] for k in ("type", "name", "content")):
                return self._error(400, 81058, "An identical record already exists.")
        self._before_write()
        if record_id is None:
            record_id = self.add(record["content"], name=record["name"], ttl=record["ttl"],
                                 proxied=record["proxied"], comment=record.get("comment"),
                                 tags=record["tags"])
        else:
            changed = {k: v for k, v in self.records[record_id].items() if k != "comment"}
            changed.update(record)
            changed["modified_on"] = _now()
            self.records[record_id] = changed
        return 200, self._ok(result=copy.deepcopy(self.records[record_id]))
