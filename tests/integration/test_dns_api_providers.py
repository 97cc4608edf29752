"""API-based DNS providers: a real PowerDNS Authoritative (HTTP API + its own DNS service for
verification); the shared fixture of the API provider tests (Cloudflare: test_dns_cloudflare.py, cPanel
and WHM: test_dns_cpanel.py)."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from dns_servers import PowerDns  # noqa: E402
from harness import Server  # noqa: E402
from processes import temp_dir  # noqa: E402


class ProviderFixture:
    def setUp(self):
        self.dir = temp_dir(self)
        self.server = Server(data_dir=os.path.join(self.dir, "data")).start()
        self.addCleanup(self.server.cleanup)
        self.server.create_pool("web", "lb.example.test", delay=3)
        self.server.enrolled_member("web", "lb1", "127.0.0.2")
        self.server.enrolled_member("web", "lb2", "127.0.0.3")

    def bind(self, body):
        reply = self.server.request("PUT", "/api/v1/pools/web/dns", body)
        self.assertEqual(reply.status, 200, reply)

    def refused_binding(self, body, pool="web"):
        """A binding whose credentials or zone do not work is refused by the real read dns set makes."""
        reply = self.server.request("PUT", f"/api/v1/pools/{pool}/dns", body)
        self.assertEqual(reply.status, 400, reply)
        self.assertEqual(self.server.request("GET", f"/api/v1/pools/{pool}/dns").error_code, "dns_not_configured")
        return reply.json["error"]["message"]

    def failover(self, *extra):
        return self.server.cli("failover", "web", "--to", "lb2", "--force", *extra)

    def events(self, kind):
        return [e for e in self.server.events(limit=1000) if e["kind"] == kind]


class PowerDnsTest(ProviderFixture, unittest.TestCase):
    def setUp(self):
        super().setUp()
        self.pdns = PowerDns(os.path.join(self.dir, "pdns")).start()
        self.addCleanup(self.pdns.cleanup)

    def test_failover_through_the_api_is_verified_on_the_dns_service(self):
        result = self.server.cli("dns", "set", "web", "--provider", "powerdns", "--api-url", self.pdns.api_url,
                                 "--api-key", PowerDns.API_KEY, "--zone", "example.test", "--verify-server",
                                 f"127.0.0.1:{self.pdns.port}")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("api_key: ***", result.stdout)
        self.assertIn('"matches_active":true', self.server.cli("dns", "check", "web", "--json").stdout)
        result = self.failover()
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertEqual(self.pdns.answer(), ["127.0.0.3"])

    def test_verification_through_the_api_when_no_dns_port_is_given(self):
        body = self.pdns.binding()
        del body["verify_server"]
        self.bind(body)
        self.assertEqual(self.failover().returncode, 0)
        self.assertEqual(self.pdns.answer(), ["127.0.0.3"])

    def test_wrong_api_key_is_refused_when_binding(self):
        self.assertIn("refused our credentials", self.refused_binding(self.pdns.binding(api_key="wrong-key")))
        self.assertEqual(self.pdns.answer(), ["127.0.0.2"])

    def test_zone_pdns_does_not_have(self):
        reply = self.server.request("POST", "/api/v1/pools", {"name": "other", "hostname": "lb.missing.test"})
        self.assertEqual(reply.status, 201)
        self.server.enrolled_member("other", "o1", "127.0.0.2")
        self.server.enrolled_member("other", "o2", "127.0.0.3")
        body = self.pdns.binding(zone="missing.test")
        del body["verify_server"]
        self.assertIn("no zone missing.test", self.refused_binding(body, pool="other"))


if __name__ == "__main__":
    unittest.main()
