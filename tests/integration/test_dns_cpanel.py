"""The cPanel provider in both of its modes, UAPI (cPanel account token) and WHM API 1 (WHM token), against
a local stand-in that answers as cpsrvd does (flat /execute/ replies; WHM's data/metadata) and records a
violation for every request the real server would not take. Real `balctl serve`; the failover tests add a
real HAProxy and a real balctl-agent per member."""
import json
import os
import sys
import unittest
import urllib.error
import urllib.request
from urllib.parse import urlencode

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from contract_cpanel import CpanelContract  # noqa: E402
from harness import Server, wait_until  # noqa: E402
from processes import Agent, Haproxy, port_free_on, temp_dir  # noqa: E402

FQDN = "lb.example.test"
MEMBERS = {"lb1": "127.0.0.2", "lb2": "127.0.0.3"}


class CpanelFixture:
    MODE = "uapi"

    def setUp(self):
        self.dir = temp_dir(self)
        self.cp = CpanelContract(self.MODE)
        self.addCleanup(self.cp.cleanup)
        self.server = Server(data_dir=os.path.join(self.dir, "data")).start()
        self.addCleanup(self.server.cleanup)
        self.server.create_pool("web", FQDN, delay=3)

    def events(self, kind):
        return [e for e in self.server.events(limit=1000) if e["kind"] == kind]

    def dns_set(self, *extra, **flag_overrides):
        flags = self.cp.cli_flags()
        for flag, value in flag_overrides.items():
            flags[flags.index("--" + flag.replace("_", "-")) + 1] = value
        return self.server.cli("dns", "set", "web", *flags, *extra)


class CpanelApiTests(CpanelFixture):
    """Binding, reading and editing; members enrol but report no heartbeats (no publish at dns set)."""

    def setUp(self):
        super().setUp()
        self.server.enrolled_member("web", "lb1", MEMBERS["lb1"])
        self.server.enrolled_member("web", "lb2", MEMBERS["lb2"])

    def failover(self, *extra):
        return self.server.cli("failover", "web", "--to", "lb2", "--force", *extra)

    def test_dns_set_check_and_failover_edit_with_the_current_serial(self):
        serial = self.cp.serial
        result = self.dns_set()
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn(f"mode: {self.MODE}", result.stdout)
        self.assertIn("api_token: ***", result.stdout)
        check = self.server.cli_json("dns", "check", "web")
        self.assertEqual((check["addresses"], check["serial"]), (["127.0.0.2"], serial))
        self.assertEqual(self.failover().returncode, 0)
        self.assertEqual(self.cp.answer(), ["127.0.0.3"])
        self.assertEqual(self.cp.serial, serial + 1)
        edits = self.cp.edits()
        self.assertEqual(len(edits), 1)
        self.assertIn(f"serial={serial}", edits[0]["path"] + edits[0]["body"])
        self.assertEqual(self.cp.violations, [])

    def test_duplicate_lines_of_the_name_are_folded_into_one(self):
        self.cp.lines.append({"type": "record", "dname": "LB.example.test.", "record_type": "A", "ttl": 30,
                              "data": ["127.0.0.9"]})
        self.assertEqual(self.server.request("PUT", "/api/v1/pools/web/dns", self.cp.binding()).status, 200)
        self.assertEqual(self.failover().returncode, 0)
        self.assertEqual(self.cp.answer(), ["127.0.0.3"])
        self.assertEqual(len(self.cp.edits()), 1, "one edit plus one remove, conditional on one serial")
        self.assertEqual(self.cp.violations, [])

    def test_a_missing_record_is_added(self):
        self.cp.lines = [line for line in self.cp.lines if line.get("dname") != "lb"]
        self.assertEqual(self.server.request("PUT", "/api/v1/pools/web/dns", self.cp.binding()).status, 200)
        self.assertEqual(self.server.cli_json("dns", "check", "web")["addresses"], [])
        self.assertEqual(self.failover().returncode, 0)
        self.assertEqual(self.cp.answer(), ["127.0.0.3"])
        edit = self.cp.edits()[0]
        self.assertIn("add=", edit["path"] + edit["body"])
        self.assertEqual(self.cp.violations, [])

    def test_concurrent_edit_is_detected_by_the_serial_and_retried(self):
        self.assertEqual(self.server.request("PUT", "/api/v1/pools/web/dns", self.cp.binding()).status, 200)
        self.cp.concurrent_edits = 1  # someone else edits the zone between our parse and our edit, once
        self.assertEqual(self.failover().returncode, 0)
        self.assertEqual(self.cp.answer(), ["127.0.0.3"])
        self.assertEqual(len(self.cp.edits()), 2)
        self.assertEqual(self.cp.violations, [])

    def test_a_zone_that_keeps_changing_is_retried_three_times_then_reported(self):
        self.assertEqual(self.server.request("PUT", "/api/v1/pools/web/dns", self.cp.binding()).status, 200)
        self.cp.concurrent_edits = 3
        self.failover("--no-wait")
        failed = wait_until(lambda: self.events("failover_failed"), 10, what="failover_failed")[0]
        self.assertIn("does not match the DNS zone’s serial number", failed["message"])
        self.assertIn("3 times in a row", failed["message"])
        self.assertEqual(len(self.cp.edits()), 3, "three read-and-edit attempts")
        # The engine retries later, with a fresh read: the record then moves.
        wait_until(lambda: self.cp.answer() == ["127.0.0.3"], 20, interval=0.2, what="retry after the race")
        self.assertEqual(self.cp.violations, [])

    def test_cpanels_error_text_reaches_the_user(self):
        # dns set: a zone the token cannot see; cPanel's own sentence is in the CLI's output.
        self.cp.zone_exists = False
        result = self.dns_set()
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("You do not have access to a zone named “example.test”.", result.stdout + result.stderr)
        self.assertEqual(self.server.request("GET", "/api/v1/pools/web/dns").error_code, "dns_not_configured")
        # dns check: the zone goes away after binding.
        self.cp.zone_exists = True
        self.assertEqual(self.dns_set().returncode, 0)
        self.cp.zone_exists = False
        result = self.server.cli("dns", "check", "web")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("You do not have access to a zone named “example.test”.", result.stdout + result.stderr)
        # failover: an edit cPanel refuses, in the failover_failed event.
        self.cp.zone_exists = True
        self.cp.refuse_edits_with = "The zone “example.test” is locked by another DNS cluster operation."
        self.failover("--no-wait")
        failed = wait_until(lambda: self.events("failover_failed"), 10, what="failover_failed")[0]
        self.assertIn("cPanel refused the change: The zone “example.test” is locked", failed["message"])
        self.assertEqual(self.cp.answer(), ["127.0.0.2"])
        self.assertEqual(self.cp.violations, [])

    def test_bad_token_and_bad_mode_are_refused_when_binding(self):
        reply = self.server.request("PUT", "/api/v1/pools/web/dns", self.cp.binding(api_token="WRONG"))
        self.assertEqual(reply.status, 400, reply)
        self.assertIn("refused our credentials (HTTP 401)", reply.json["error"]["message"])
        self.assertIn("WHM API token" if self.MODE == "whm" else "API token of that cPanel account",
                      reply.json["error"]["message"])
        reply = self.server.request("PUT", "/api/v1/pools/web/dns", self.cp.binding(mode="cpanel"))
        self.assertEqual((reply.status, reply.error_field), (400, "mode"))
        result = self.dns_set(cpanel_mode="whmapi")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("--cpanel-mode", result.stderr)
        self.assertEqual(self.server.request("GET", "/api/v1/pools/web/dns").error_code, "dns_not_configured")
        self.assertEqual(self.cp.answer(), ["127.0.0.2"])
        self.assertEqual(self.cp.violations, [])

    def test_the_contract_catches_misshapen_requests(self):
        """The zero-violation checks mean something: requests the real server would not take are caught."""
        wrong_scheme = "cpanel" if self.MODE == "whm" else "whm"
        right = f"{'whm' if self.MODE == 'whm' else 'cpanel'} {self.cp.USER}:{self.cp.TOKEN}"
        zone_path = ("/json-api/parse_dns_zone?zone=example.test" if self.MODE == "whm"  # no api.version=1
                     else "/execute/DNS/parse_zone?zone=example.test&api.version=1")  # an argument it lacks
        edit_path = "/json-api/mass_edit_dns_zone?api.version=1" if self.MODE == "whm" \
            else "/execute/DNS/mass_edit_zone"
        edit = json.dumps({"line_index": 6, "dname": "lb", "ttl": 30, "record_type": "A",
                           "data": ["300.1.2.3"]})
        for method, path, auth, body, kind in (
                ("GET", zone_path, f"{wrong_scheme} {self.cp.USER}:{self.cp.TOKEN}", None, None),
                ("GET", zone_path, right, None, None),
                ("POST", edit_path, right, json.dumps({"zone": "example.test"}), "application/json"),
                ("POST", edit_path, right, urlencode({"zone": "example.test", "serial": self.cp.serial,
                                                      "edit": edit}), "application/x-www-form-urlencoded")):
            headers = {"Authorization": auth, **({"Content-Type": kind} if kind else {})}
            request = urllib.request.Request(self.cp.base + path, data=body and body.encode(), method=method,
                                             headers=headers)
            before = len(self.cp.violations)
            try:
                urllib.request.urlopen(request, timeout=5).read()
            except urllib.error.HTTPError:
                pass
            self.assertGreater(len(self.cp.violations), before, f"{method} {path} {body}")
        self.assertEqual(self.cp.answer(), ["127.0.0.2"])

class UapiTest(CpanelApiTests, unittest.TestCase):
    MODE = "uapi"

    def test_replies_are_flat_and_requests_as_cpanels_clients_send_them(self):
        self.assertEqual(self.dns_set().returncode, 0)
        self.assertEqual(self.server.cli("failover", "web", "--to", "lb2", "--force").returncode, 0)
        reads = [r for r in self.cp.requests if r["path"].startswith("/execute/DNS/parse_zone")]
        self.assertTrue(reads)
        for request in self.cp.requests:
            self.assertEqual(request["headers"]["Authorization"],
                             f"cpanel {CpanelContract.USER}:{CpanelContract.TOKEN}")
        edit = self.cp.edits()[0]
        self.assertEqual((edit["method"], edit["headers"]["Content-Type"]),
                         ("POST", "application/x-www-form-urlencoded"))
        self.assertEqual(self.cp.violations, [])


class WhmTest(CpanelApiTests, unittest.TestCase):
    MODE = "whm"

    def test_requests_are_whm_api_1(self):
        self.assertEqual(self.dns_set().returncode, 0)
        self.assertEqual(self.server.cli("failover", "web", "--to", "lb2", "--force").returncode, 0)
        for request in self.cp.requests:
            self.assertEqual(request["headers"]["Authorization"],
                             f"whm {CpanelContract.USER}:{CpanelContract.TOKEN}")
            self.assertTrue(request["path"].startswith("/json-api/"), request["path"])
            self.assertIn("api.version=1", request["path"])
        self.assertEqual(self.cp.edits()[0]["method"], "GET")
        self.assertEqual(self.cp.violations, [])


class CpanelFailoverTests(CpanelFixture):
    """A real failover: two members with a real HAProxy and a real agent each; the active's HAProxy dies and
    the record in the cPanel zone follows to the standby."""

    def setUp(self):
        super().setUp()
        self.port = port_free_on(*MEMBERS.values())
        result = self.server.cli("pool", "set", "web", "--haproxy-grace", "0", "--probe-ports",
                                 str(self.port), "--ttl", "5", "--settle", "2")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.haproxy = {}
        for name, address in MEMBERS.items():  # lb1 enrols first: it is the active
            self.start_member(name, address)
        wait_until(lambda: all(m["status"] == "online" and m["haproxy"]["state"] == "running"
                               for m in self.members().values()), 10, what="both members online and running")

    def start_member(self, name, address):
        haproxy = Haproxy(os.path.join(self.dir, name, "haproxy"), address=address, port=self.port).start()
        self.addCleanup(haproxy.cleanup)
        agent = Agent(os.path.join(self.dir, name, "agent"))
        self.addCleanup(agent.cleanup)
        key = self.server.add_member("web", name, address)["enrollment_key"]
        result = agent.enrol(self.server, key, name, "--ca-cert", self.server.ca_cert,
                             "--bind-address", address)
        self.assertEqual(result.returncode, 0, result.stderr)
        agent.configure(haproxy_socket=haproxy.socket, haproxy_pidfile=haproxy.pidfile, bind_address=address)
        agent.start()
        self.haproxy[name] = haproxy

    def members(self):
        listed = self.server.request("GET", "/api/v1/pools/web/members").json["members"]
        return {m["hostname"]: m for m in listed}

    def test_haproxy_death_moves_the_record_in_the_zone(self):
        self.cp.lines[6]["data"] = ["127.0.0.99"]  # a leftover address: dns set publishes the active's
        result = self.dns_set()
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("Verified: lb.example.test answers 127.0.0.2.", result.stdout)
        self.assertEqual(self.cp.answer(), ["127.0.0.2"])
        serial = self.cp.serial
        self.haproxy["lb1"].kill()
        wait_until(lambda: self.cp.answer() == ["127.0.0.3"], 10, interval=0.05,
                   what="the zone names the standby")
        failover = wait_until(lambda: self.events("failover"), 5, what="failover event")[0]
        self.assertIn("HAProxy stopped", failover["message"])
        wait_until(lambda: self.members()["lb2"]["role"] == "active", 5, what="lb2 active")
        self.assertEqual(self.cp.serial, serial + 1)
        self.assertIn('"matches_active":true', self.server.cli("dns", "check", "web", "--json").stdout)
        self.assertEqual(self.cp.violations, [])


class UapiFailoverTest(CpanelFailoverTests, unittest.TestCase):
    MODE = "uapi"


class WhmFailoverTest(CpanelFailoverTests, unittest.TestCase):
    MODE = "whm"


if __name__ == "__main__":
    unittest.main()
