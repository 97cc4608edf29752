"""A local stand-in for cPanel's DNS zone editor that answers as cpsrvd does and records a violation for
every request the real server would not take (facts: ../../shared/specs/cpanel-uapi.md and the WHM API 1
documentation of parse_dns_zone / mass_edit_dns_zone).

mode "uapi" (cPanel, port 2083): `Authorization: cpanel USER:TOKEN`;
  GET /execute/DNS/parse_zone?zone=Z, POST /execute/DNS/mass_edit_zone (form: zone, serial, add/edit/remove);
  replies are FLAT: {status, errors, messages, warnings, metadata, data} (never the `uapi` CLI's "result").
mode "whm" (WHM API 1, port 2087): `Authorization: whm USER:TOKEN`;
  GET /json-api/parse_dns_zone?api.version=1&zone=Z, GET /json-api/mass_edit_dns_zone?api.version=1&zone=Z&
  serial=N&add=..&edit=..&remove=..; replies {data, metadata: {command, reason, result, version}}, the
  zone's entries in data.payload.
Both: parse_zone entries are records (dname_b64, record_type, ttl, data_b64, line_index) or comment and
control lines (text_b64); an edit whose serial is not the zone's is refused, as cPanel does."""
import base64
import ipaddress
import json
import threading
from urllib.parse import parse_qs, urlparse

from json_server import serve_json

RECORD_KEYS = {"dname", "ttl", "record_type", "data"}


def _b64(text):
    return base64.b64encode(text.encode()).decode()


class CpanelContract:
    USER = "balctl"
    TOKEN = "CPANELTOKEN0123456789ABCDEF"
    ZONE = "example.test"

    def __init__(self, mode="uapi", address="127.0.0.2"):
        assert mode in ("uapi", "whm")
        self.mode = mode
        self.serial = 2026112501
        self.zone_exists = True
        self.refuse_edits_with = None  # cPanel's text for a refused edit (status 0 / result 0)
        self.concurrent_edits = 0  # this many edits find the serial bumped by "someone else" first
        self.requests = []
        self.violations = []
        self.lock = threading.Lock()
        # A zone as cPanel writes it: comments, $TTL, absolute and relative owners. line_index is the line.
        self.lines = [
            {"type": "comment", "text": "; cPanel first:110.0.22 Cpanel::ZoneFile::VERSION:1.3"},
            {"type": "comment", "text": f"; Zone file for {self.ZONE}"},
            {"type": "control", "text": "$TTL 14400"},
            {"type": "record", "dname": f"{self.ZONE}.", "record_type": "SOA", "ttl": 86400, "data": None},
            {"type": "record", "dname": f"{self.ZONE}.", "record_type": "NS", "ttl": 86400,
             "data": [f"ns1.{self.ZONE}."]},
            {"type": "record", "dname": "ns1", "record_type": "A", "ttl": 14400, "data": ["127.0.0.1"]},
            {"type": "record", "dname": "lb", "record_type": "A", "ttl": 30, "data": [address]},
            {"type": "record", "dname": "www", "record_type": "CNAME", "ttl": 14400,
             "data": [f"{self.ZONE}."]},
        ]
        self.server = serve_json(self._record_and_handle, self.lock)

    def _record_and_handle(self, method, path, headers, body):
        self.requests.append({"method": method, "path": path, "body": body, "headers": dict(headers)})
        status, reply = self.handle(method, urlparse(path), headers, body)
        return status, reply, {}

    # --- what tests look at --------------------------------------------------------------------------
    @property
    def base(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def binding(self, **overrides):
        return dict({"provider": "cpanel", "api_url": self.base, "mode": self.mode, "username": self.USER,
                     "api_token": self.TOKEN, "zone": self.ZONE}, **overrides)

    def cli_flags(self):
        return ["--provider", "cpanel", "--cpanel-mode", self.mode, "--api-url", self.base,
                "--username", self.USER, "--api-token", self.TOKEN, "--zone", self.ZONE]

    def absolute(self, dname):
        if dname in ("", "@"):
            return self.ZONE
        return dname[:-1].lower() if dname.endswith(".") else f"{dname}.{self.ZONE}".lower()

    def answer(self, fqdn=f"lb.{ZONE}"):
        with self.lock:
            return sorted(line["data"][0] for line in self.lines
                          if line["type"] == "record" and line["record_type"] == "A" and
                          self.absolute(line["dname"]) == fqdn)

    def edits(self):
        name = "mass_edit_dns_zone" if self.mode == "whm" else "mass_edit_zone"
        return [r for r in self.requests if urlparse(r["path"]).path.endswith("/" + name)]

    def cleanup(self):
        self.server.shutdown()
        self.server.server_close()

    # --- the server -------------------------------------------------------------------------------
    def violation(self, text):
        self.violations.append(text)

    def _reply(self, command, ok, data=None, error=None):
        if self.mode == "whm":
            return 200, {"data": data, "metadata": {"command": command, "result": 1 if ok else 0,
                                                    "version": 1, "reason": "OK" if ok else error}}
        return 200, {"status": 1 if ok else 0, "errors": None if ok else [error], "messages": None,
                     "warnings": None, "metadata": {}, "data": data}

    def _entries(self):
        out = []
        for index, line in enumerate(self.lines):
            if line["type"] != "record":
                out.append({"line_index": index, "type": line["type"], "text_b64": _b64(line["text"])})
                continue
            data = line["data"]
            if line["record_type"] == "SOA":
                data = [f"ns1.{self.ZONE}.", f"hostmaster.{self.ZONE}.", str(self.serial), "3600", "1800",
                        "1209600", "86400"]
            out.append({"line_index": index, "type": "record", "dname_b64": _b64(line["dname"]),
                        "record_type": line["record_type"], "ttl": line["ttl"],
                        "data_b64": [_b64(d) for d in data]})
        return out

    def handle(self, method, url, headers, body):
        scheme = "whm" if self.mode == "whm" else "cpanel"
        auth = headers.get("Authorization", "")
        if auth != f"{scheme} {self.USER}:{self.TOKEN}":
            if auth.split(" ", 1)[0] != scheme:
                self.violation(f"Authorization scheme {auth.split(' ', 1)[0]!r} on the {self.mode} API")
            return 401, {"errors": ["Access denied"], "status": 0} if self.mode == "uapi" else \
                {"metadata": {"result": 0, "reason": "Access denied"}}
        query = parse_qs(url.query, keep_blank_values=True)
        if self.mode == "whm":
            return self._whm(method, url.path, query, headers, body)
        return self._uapi(method, url.path, query, headers, body)

    def _args(self, method, query, headers, body, what):
        """Arguments come as a query string (GET) or a form body (POST); cpsrvd reads both."""
        if method == "POST":
            if headers.get("Content-Type") != "application/x-www-form-urlencoded":
                self.violation(f"{what} POST without a form body")
            args = dict(query)
            for key, values in parse_qs(body, keep_blank_values=True).items():
                args[key] = args.get(key, []) + values
            return args
        if method != "GET":
            self.violation(f"{what} with {method}")
        return query

    def _uapi(self, method, path, query, headers, body):
        if path == "/execute/DNS/parse_zone":
            args = self._args(method, query, headers, body, "parse_zone")
            if set(args) != {"zone"}:
                self.violation(f"parse_zone arguments {sorted(args)}")
            return self._parse(args, "parse_zone")
        if path == "/execute/DNS/mass_edit_zone":
            args = self._args(method, query, headers, body, "mass_edit_zone")
            return self._mass_edit(args, "mass_edit_zone")
        self.violation(f"unexpected {method} {path} on UAPI")
        return 404, {"status": 0, "errors": [f"Unknown function {path}"], "messages": None, "warnings": None,
                     "metadata": {}, "data": None}

    def _whm(self, method, path, query, headers, body):
        args = self._args(method, query, headers, body, path)
        if args.pop("api.version", None) != ["1"]:
            # Without it WHM answers in API 0's shape, which is not what a client of API 1 reads.
            self.violation(f"{path} without api.version=1")
        if path == "/json-api/parse_dns_zone":
            if set(args) != {"zone"}:
                self.violation(f"parse_dns_zone arguments {sorted(args)}")
            return self._parse(args, "parse_dns_zone")
        if path == "/json-api/mass_edit_dns_zone":
            return self._mass_edit(args, "mass_edit_dns_zone")
        self.violation(f"unexpected {method} {path} on WHM API 1")
        return 404, {"data": None, "metadata": {"result": 0, "reason": f"Unknown function {path}"}}

    def _parse(self, args, command):
        zone = args.get("zone", [""])[0]
        if zone != self.ZONE or not self.zone_exists:
            return self._reply(command, False, error=f"You do not have access to a zone named “{zone}”.")
        entries = self._entries()
        return self._reply(command, True, data={"payload": entries} if self.mode == "whm" else entries)

    def _record(self, text, what, need_line=False):
        try:
            record = json.loads(text)
        except ValueError:
            self.violation(f"{what} is not JSON: {text}")
            return None
        keys = RECORD_KEYS | ({"line_index"} if need_line else set())
        ok = isinstance(record, dict) and set(record) == keys and isinstance(record.get("dname"), str) and \
            isinstance(record.get("ttl"), int) and record.get("record_type") == "A" and \
            isinstance(record.get("data"), list) and len(record["data"]) == 1
        if ok:
            try:
                ipaddress.IPv4Address(record["data"][0])
            except ValueError:
                ok = False
        if ok and need_line:
            index = record["line_index"]
            ok = isinstance(index, int) and 0 <= index < len(self.lines) and \
                self.lines[index]["type"] == "record" and self.lines[index]["record_type"] == "A"
        if not ok:
            self.violation(f"bad {what} {text}")
            return None
        return record

    def _mass_edit(self, args, command):
        if args.get("zone") != [self.ZONE] or len(args.get("serial", [])) != 1:
            self.violation(f"{command} without zone/serial: {args}")
            return self._reply(command, False, error="The parameter “serial” is required.")
        unknown = set(args) - {"zone", "serial", "add", "edit", "remove"}
        if unknown:
            self.violation(f"{command} arguments {sorted(unknown)}")
        if self.concurrent_edits > 0:
            self.concurrent_edits -= 1
            self.serial += 1  # another editor changed the zone after our client read it
        if args["serial"][0] != str(self.serial):
            return self._reply(command, False, error=(
                f"The given serial number ({args['serial'][0]}) does not match the DNS zone’s serial number "
                f"({self.serial}). Refresh your view of the DNS zone, then resubmit."))
        if self.refuse_edits_with:
            return self._reply(command, False, error=self.refuse_edits_with)
        lines = list(self.lines)
        for text in args.get("edit", []):
            record = self._record(text, "edit", need_line=True)
            if record is None:
                return self._reply(command, False, error="Invalid “edit” argument.")
            lines[record["line_index"]] = {"type": "record", **{k: record[k] for k in RECORD_KEYS}}
        removed = set()
        for text in args.get("remove", []):
            if not text.isdigit() or int(text) >= len(lines) or lines[int(text)]["type"] != "record":
                self.violation(f"bad remove {text}")
                return self._reply(command, False, error="Invalid “remove” argument.")
            removed.add(int(text))
        for text in args.get("add", []):
            record = self._record(text, "add")
            if record is None:
                return self._reply(command, False, error="Invalid “add” argument.")
            lines.append({"type": "record", **{k: record[k] for k in RECORD_KEYS}})
        self.lines = [line for index, line in enumerate(lines) if index not in removed]
        self.serial += 1
        return self._reply(command, True, data={"new_serial": str(self.serial)})
