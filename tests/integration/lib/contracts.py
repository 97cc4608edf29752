"""Local contract servers for the SaaS DNS APIs, written from their public documentation. They answer
only requests shaped as documented and record a violation for anything else, so tests can assert that
balctl sent exactly what the real service accepts.

Cloudflare API v4 (https://developers.cloudflare.com/api/resources/dns/subresources/records/):
  GET/POST /zones/{zone_id}/dns_records, PUT/PATCH/DELETE /zones/{zone_id}/dns_records/{id}
  Authorization: Bearer <token>; JSON bodies; replies {success, errors: [{code, message}], messages, result}
  bad token: 403 code 10000 "Authentication error"; rate limited: 429 code 971.
cPanel and WHM: contract_cpanel.py.
"""
import ipaddress
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from harness import free_port


class _Contract:
    def __init__(self):
        self.requests = []
        self.violations = []
        self.lock = threading.Lock()
        self.rate_limit_next = 0
        contract = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length).decode() if length else ""
                with contract.lock:
                    contract.requests.append({"method": self.command, "path": self.path, "body": body,
                                              "headers": dict(self.headers)})
                    status, reply = contract.handle(self.command, urlparse(self.path), self.headers, body)
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle  # noqa: N815

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def violation(self, text):
        self.violations.append(text)

    @property
    def base(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def cleanup(self):
        self.server.shutdown()
        self.server.server_close()


class Cloudflare(_Contract):
    TOKEN = "cf-test-token-0123456789"
    ZONE_ID = "0123456789abcdef0123456789abcdef"

    def __init__(self, name="lb.example.test", address="127.0.0.2"):
        self.records = {uuid.uuid4().hex: {"type": "A", "name": name, "content": address, "ttl": 60,
                                           "proxied": False}}
        super().__init__()

    @property
    def api_url(self):
        return self.base + "/client/v4"

    def answer(self, name="lb.example.test"):
        return sorted(r["content"] for r in self.records.values() if r["name"] == name and r["type"] == "A")

    @staticmethod
    def _error(status, code, message):
        return status, {"success": False, "errors": [{"code": code, "message": message}], "messages": [],
                        "result": None}

    def _check_record(self, body):
        try:
            record = json.loads(body)
        except ValueError:
            return self.violation("body is not JSON") or self._error(400, 9207, "Request body is invalid.")
        ok = (record.get("type") == "A" and isinstance(record.get("name"), str) and
              isinstance(record.get("proxied"), bool) and isinstance(record.get("ttl"), int) and
              (record["ttl"] == 1 or 60 <= record["ttl"] <= 86400))
        try:
            ipaddress.IPv4Address(record.get("content", ""))
        except ValueError:
            ok = False
        if record.get("proxied") and record.get("ttl") != 1:
            ok = False
        if not ok:
            self.violation(f"invalid record body {body}")
            return self._error(400, 9005, "Content for A record is invalid.")
        return record

    def handle(self, method, url, headers, body):
        if headers.get("Authorization") != f"Bearer {self.TOKEN}":
            return self._error(403, 10000, "Authentication error")
        if self.rate_limit_next > 0:
            self.rate_limit_next -= 1
            return self._error(429, 971, "Please wait and consider throttling your request speed")
        prefix = f"/client/v4/zones/{self.ZONE_ID}/dns_records"
        if not url.path.startswith(prefix):
            if url.path.startswith("/client/v4/zones/"):
                return self._error(404, 7003, "Could not route to " + url.path + ", perhaps your object identifier "
                                   "is invalid?")
            self.violation(f"unknown path {url.path}")
            return self._error(404, 7000, "No route for that URI")
        if method in ("POST", "PUT", "PATCH") and "application/json" not in headers.get("Content-Type", ""):
            self.violation("write without Content-Type: application/json")
        record_id = url.path[len(prefix) + 1:] if len(url.path) > len(prefix) else ""
        ok = {"success": True, "errors": [], "messages": []}
        if method == "GET" and not record_id:
            query = parse_qs(url.query)
            result = [dict(r, id=i, zone_id=self.ZONE_ID) for i, r in self.records.items()
                      if r["type"] == query.get("type", ["A"])[0] and r["name"] == query.get("name", [""])[0]]
            return 200, dict(ok, result=result, result_info={"page": 1, "per_page": 100, "count": len(result),
                                                             "total_count": len(result), "total_pages": 1})
        if method == "POST" and not record_id:
            record = self._check_record(body)
            if isinstance(record, tuple):
                return record
            new_id = uuid.uuid4().hex
            self.records[new_id] = {k: record[k] for k in ("type", "name", "content", "ttl", "proxied")}
            return 200, dict(ok, result=dict(self.records[new_id], id=new_id))
        if record_id not in self.records:
            return self._error(404, 81044, "Record does not exist.")
        if method in ("PUT", "PATCH"):
            record = self._check_record(body)
            if isinstance(record, tuple):
                return record
            self.records[record_id] = {k: record[k] for k in ("type", "name", "content", "ttl", "proxied")}
            return 200, dict(ok, result=dict(self.records[record_id], id=record_id))
        if method == "DELETE":
            del self.records[record_id]
            return 200, dict(ok, result={"id": record_id})
        self.violation(f"unexpected {method} {url.path}")
        return self._error(405, 10405, "Method not allowed")

