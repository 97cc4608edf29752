"""RFC 2136 dynamic updates with TSIG against real BIND and real Knot on 127.0.0.1: a failover changes the
record and is verified at the authority; wrong keys, missing zones and a dead server are reported clearly,
retried with backoff, alerted, and change nothing until they are fixed."""
import base64
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from dns_servers import SECRET, Bind, Knot, soa_serial  # noqa: E402
from harness import Server, wait_until  # noqa: E402
from processes import temp_dir  # noqa: E402
from sinks import WebhookReceiver  # noqa: E402

WRONG_SECRET = base64.b64encode(b"this is not the right tsig key!!").decode()


class Rfc2136Cases:
    dns_class = None

    def setUp(self):
        self.dir = temp_dir(self)
        self.dns = self.dns_class(os.path.join(self.dir, "dns")).start()
        self.addCleanup(self.dns.cleanup)
        self.server = Server(data_dir=os.path.join(self.dir, "data")).start()
        self.addCleanup(self.server.cleanup)
        self.server.create_pool("web", "lb.example.test", delay=3)
        self.server.enrolled_member("web", "lb1", "127.0.0.2")
        self.server.enrolled_member("web", "lb2", "127.0.0.3")

    def bind(self, **overrides):
        body = dict(self.dns.binding(), **overrides)
        reply = self.server.request("PUT", "/api/v1/pools/web/dns", body)
        self.assertEqual(reply.status, 200, reply)
        return reply

    def failover(self, *extra):
        return self.server.cli("failover", "web", "--to", "lb2", "--force", *extra)

    def events(self, kind):
        return [e for e in self.server.events(limit=1000) if e["kind"] == kind]

    def test_failover_changes_the_record_and_is_verified(self):
        set_result = self.server.cli("dns", "set", "web", "--provider", "rfc2136", "--server",
                                     f"127.0.0.1:{self.dns.port}", "--zone", "example.test", "--tsig-name",
                                     "balctl-key", "--tsig-algorithm", "hmac-sha256", "--tsig-secret", SECRET)
        self.assertEqual(set_result.returncode, 0, set_result.stderr)
        self.assertIn("tsig_secret: ***", set_result.stdout)
        self.assertNotIn(SECRET, set_result.stdout + self.server.cli("dns", "show", "web").stdout)
        check = self.server.cli("dns", "check", "web", "--json")
        self.assertIn('"matches_active":true', check.stdout)
        serial = soa_serial(self.dns.port)
        result = self.failover()
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("now points at lb2 (127.0.0.3)", result.stdout)
        self.assertEqual(self.dns.answer(), ["127.0.0.3"])
        self.assertGreater(soa_serial(self.dns.port), serial)
        done = self.events("failover")
        self.assertEqual(len(done), 1)
        self.assertIn("verified at the authority", done[0]["message"])
        self.assertEqual(done[0]["actor"], "admin:admin")
        self.assertEqual(self.server.member("web", "lb2")["role"], "active")
        self.assertEqual(self.server.member("web", "lb1")["role"], "standby")
        self.assertNotIn(SECRET, self.server.log_text())

    def refused_binding(self, **overrides):
        reply = self.server.request("PUT", "/api/v1/pools/web/dns", dict(self.dns.binding(), **overrides))
        self.assertEqual(reply.status, 400, reply)
        self.assertEqual(self.server.request("GET", "/api/v1/pools/web/dns").error_code, "dns_not_configured",
                         "nothing is bound")
        return reply

    def test_wrong_secret_is_refused_when_binding(self):
        reply = self.refused_binding(tsig_secret=WRONG_SECRET)
        self.assertEqual(reply.error_code, "dns_notauth")
        self.assertIn("BADSIG", reply.json["error"]["message"])
        cli = self.server.cli("dns", "set", "web", "--provider", "rfc2136", "--server", f"127.0.0.1:{self.dns.port}",
                              "--zone", "example.test", "--tsig-name", "balctl-key", "--tsig-secret", WRONG_SECRET)
        self.assertEqual(cli.returncode, 1, cli.stdout)
        self.assertIn("the TSIG secret is wrong (BADSIG)", cli.stderr)
        self.assertNotIn(WRONG_SECRET, cli.stderr + self.server.log_text())

    def test_a_key_rotated_after_binding_is_surfaced_and_fixing_it_completes_the_failover(self):
        self.bind()
        self.dns.stop()
        self.dns.start(secret=WRONG_SECRET)  # the server's key was rotated behind balctl's back
        self.assertEqual(self.failover("--no-wait").returncode, 0)
        failed = wait_until(lambda: self.events("failover_failed"), 10, what="failover_failed event")
        self.assertIn("NOTAUTH", failed[0]["message"])
        self.assertIn("BADSIG", failed[0]["message"])
        self.assertEqual(self.dns.answer(), ["127.0.0.2"])
        self.assertEqual(self.server.member("web", "lb1")["role"], "active")
        self.bind(tsig_secret=WRONG_SECRET)  # the operator binds the new key; the retry then goes through
        wait_until(lambda: self.dns.answer() == ["127.0.0.3"], 15, what="record moved after the fix")
        wait_until(lambda: self.events("failover"), 5, what="failover event")

    def test_unknown_key_name_is_refused_as_badkey_when_binding(self):
        reply = self.refused_binding(tsig_name="nobody-knows-me")
        self.assertIn("NOTAUTH", reply.json["error"]["message"])
        self.assertIn("BADKEY", reply.json["error"]["message"])
        self.assertEqual(self.dns.answer(), ["127.0.0.2"])

    def test_zone_the_server_does_not_have_is_refused_when_binding(self):
        reply = self.server.request("POST", "/api/v1/pools", {"name": "other", "hostname": "lb.missing.test"})
        self.assertEqual(reply.status, 201, reply)
        reply = self.server.request("PUT", "/api/v1/pools/other/dns", dict(self.dns.binding(), zone="missing.test"))
        self.assertEqual(reply.status, 400, reply)
        self.assertRegex(reply.json["error"]["message"], r"does not serve zone missing.test|NOTAUTH|not authoritative")
        self.assertEqual(self.server.request("GET", "/api/v1/pools/other/dns").error_code, "dns_not_configured")

    def test_binding_outside_the_zone_is_refused(self):
        reply = self.server.request("PUT", "/api/v1/pools/web/dns", dict(self.dns.binding(), zone="other.test"))
        self.assertEqual((reply.status, reply.error_field), (400, "zone"), reply)
        for field, value in (("tsig_secret", "not base64!"), ("tsig_algorithm", "hmac-md4"), ("port", 0),
                             ("server", "not a host!")):
            with self.subTest(field=field):
                reply = self.server.request("PUT", "/api/v1/pools/web/dns", dict(self.dns.binding(), **{field: value}))
                self.assertEqual((reply.status, reply.error_field), (400, field), reply)
        self.assertEqual(self.server.request("GET", "/api/v1/pools/web/dns").error_code, "dns_not_configured")

    def test_dead_server_is_retried_with_backoff_and_alerted(self):
        hook = WebhookReceiver()
        self.addCleanup(hook.cleanup)
        self.assertEqual(self.server.cli("alert", "add", "ops", "--webhook", hook.url).returncode, 0)
        self.bind()
        self.dns.stop()
        self.failover("--no-wait")
        failures = wait_until(lambda: len(self.events("failover_failed")) >= 2 and self.events("failover_failed"), 15,
                              what="two failed attempts")
        self.assertIn("attempt 1", failures[0]["message"])
        self.assertIn("retrying in", failures[0]["message"])
        alert = hook.wait_for("failover_failed")
        self.assertIn("lb.example.test", alert[0]["body"])
        self.assertEqual(len(hook.delivered("failover_failed")), 1, "the same alert is sent once per window")
        self.dns.start()
        wait_until(lambda: self.dns.answer() == ["127.0.0.3"], 20, what="record moved once the server is back")
        hook.wait_for("failover")


class BindTest(Rfc2136Cases, unittest.TestCase):
    dns_class = Bind


class KnotTest(Rfc2136Cases, unittest.TestCase):
    dns_class = Knot



class DnsSyncTest(unittest.TestCase):
    """Dynamic DNS: the record follows the active member's address as the control plane sees it."""

    def test_record_follows_the_observed_source_address(self):
        directory = temp_dir(self)
        dns = Bind(os.path.join(directory, "dns")).start()
        self.addCleanup(dns.cleanup)
        server = Server(data_dir=os.path.join(directory, "data")).start()
        self.addCleanup(server.cleanup)
        server.create_pool("home", "lb.example.test", delay=3)
        secret = server.enrolled_member("home", "gw", "127.0.0.2")
        self.assertEqual(server.request("PUT", "/api/v1/pools/home/dns", dns.binding()).status, 200)
        self.assertEqual(server.cli("pool", "set", "home", "--dns-sync", "on").returncode, 0)
        self.assertEqual(server.heartbeat(secret, source_address=("127.0.0.9", 0)).status, 200)
        wait_until(lambda: dns.answer() == ["127.0.0.9"], 10, what="record synced to 127.0.0.9")
        for seq in range(2, 5):
            self.assertEqual(server.heartbeat(secret, seq=seq, source_address=("127.0.0.10", 0)).status, 200)
        wait_until(lambda: dns.answer() == ["127.0.0.10"], 10, what="record follows the new address")
        synced = [e for e in server.events(limit=1000) if e["kind"] == "dns_synced"]
        self.assertEqual([e["message"].split()[-1] for e in synced], ["127.0.0.9", "127.0.0.10"])


if __name__ == "__main__":
    unittest.main()
