"""Admin API over real HTTPS: pools, members, tokens, status, and every kind of bad input."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from harness import Server  # noqa: E402


class AdminApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server().start()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def setUp(self):
        # Each test works in its own pool so tests stay independent.
        self.pool = self.id().split(".")[-1].lower().replace("test_", "")[:40].replace("_", "-")

    def snapshot(self):
        """Everything stored, to show that a refused request changed nothing."""
        pools = self.server.stable_pools()
        tokens = self.server.request("GET", "/api/v1/tokens").json
        return pools, tokens

    def assert_refused(self, reply, status, code, field=None):
        self.assertEqual(reply.status, status, reply)
        self.assertEqual(reply.error_code, code, reply)
        self.assertTrue(reply.json["error"]["message"], reply)
        if field is not None:
            self.assertEqual(reply.error_field, field, reply)

    def test_healthz_needs_no_token(self):
        reply = self.server.request("GET", "/healthz", token=None)
        self.assertEqual(reply.status, 200)
        self.assertEqual(reply.json, {"status": "ok"})

    def test_admin_endpoints_need_a_valid_token(self):
        self.assert_refused(self.server.request("GET", "/api/v1/pools", token=None), 401, "unauthorized")
        self.assert_refused(self.server.request("GET", "/api/v1/pools", token="bat.admin.wrong"), 401, "unauthorized")
        self.assert_refused(self.server.request("GET", "/api/v1/pools", token="garbage"), 401, "unauthorized")
        reply = self.server.request("GET", "/api/v1/pools", token=None)
        self.assertEqual(reply.headers.get("WWW-Authenticate"), "Bearer")

    def test_pool_lifecycle(self):
        created = self.server.create_pool(self.pool, "shop.example.com", delay=15, preset="generic")
        self.assertEqual(created["name"], self.pool)
        self.assertEqual(created["hostname"], "shop.example.com")
        self.assertEqual(created["delay_s"], 15)
        self.assertEqual(created["preset"], "generic")
        self.assertEqual(created["ttl_s"], 30)
        self.assertEqual(created["failback"], "none")
        self.assertIsNone(created["active_member"])

        shown = self.server.request("GET", f"/api/v1/pools/{self.pool}")
        self.assertEqual(shown.status, 200)
        self.assertEqual(shown.json["hostname"], "shop.example.com")
        names = [p["name"] for p in self.server.request("GET", "/api/v1/pools").json["pools"]]
        self.assertIn(self.pool, names)

        patched = self.server.request("PATCH", f"/api/v1/pools/{self.pool}",
                                      {"delay_s": 3, "haproxy_grace_s": 0, "failback": "preferred", "ttl_s": 60})
        self.assertEqual(patched.status, 200, patched)
        self.assertEqual((patched.json["delay_s"], patched.json["haproxy_grace_s"], patched.json["failback"],
                          patched.json["ttl_s"]), (3, 0, "preferred", 60))

        self.assertEqual(self.server.request("DELETE", f"/api/v1/pools/{self.pool}").status, 200)
        self.assert_refused(self.server.request("GET", f"/api/v1/pools/{self.pool}"), 404, "pool_not_found")

    def test_pool_defaults(self):
        reply = self.server.request("POST", "/api/v1/pools", {"name": self.pool, "hostname": "d.example.com"})
        self.assertEqual(reply.status, 201, reply)
        self.assertEqual((reply.json["preset"], reply.json["delay_s"], reply.json["haproxy_grace_s"]),
                         ("haproxy", 10, 1))

    def test_bad_pool_input_is_refused_and_changes_nothing(self):
        self.server.create_pool(self.pool, "keep.example.com")
        before = self.snapshot()
        cases = [
            ("{not json", 400, "bad_json", None),
            ("[1,2]", 400, "bad_json", None),
            ("", 400, "bad_json", None),
            ({"hostname": "a.example.com"}, 400, "missing_field", "name"),
            ({"name": "x1"}, 400, "missing_field", "hostname"),
            ({"name": 5, "hostname": "a.example.com"}, 400, "invalid_field", "name"),
            ({"name": "Bad Name", "hostname": "a.example.com"}, 400, "invalid_field", "name"),
            ({"name": "x1", "hostname": "localhost"}, 400, "invalid_field", "hostname"),
            ({"name": "x1", "hostname": "exa mple.com"}, 400, "invalid_field", "hostname"),
            ({"name": "x1", "hostname": "-bad.example.com"}, 400, "invalid_field", "hostname"),
            ({"name": "x1", "hostname": "a.example.com", "delay_s": 2}, 400, "invalid_field", "delay_s"),
            ({"name": "x1", "hostname": "a.example.com", "delay_s": 121}, 400, "invalid_field", "delay_s"),
            ({"name": "x1", "hostname": "a.example.com", "delay_s": "10"}, 400, "invalid_field", "delay_s"),
            ({"name": "x1", "hostname": "a.example.com", "delay_s": 10.5}, 400, "invalid_field", "delay_s"),
            ({"name": "x1", "hostname": "a.example.com", "preset": "nginx"}, 400, "invalid_field", "preset"),
            ({"name": self.pool, "hostname": "b.example.com"}, 409, "pool_exists", None),
        ]
        for body, status, code, field in cases:
            with self.subTest(body=body):
                self.assert_refused(self.server.request("POST", "/api/v1/pools", body), status, code, field)
        patch_cases = [
            ({}, 400, "invalid_field"),
            ({"delay_s": 0}, 400, "invalid_field"),
            ({"haproxy_grace_s": 61}, 400, "invalid_field"),
            ({"failback": "always"}, 400, "invalid_field"),
            ({"ttl_s": 1}, 400, "invalid_field"),
            ({"hostname": "nodots"}, 400, "invalid_field"),
        ]
        for body, status, code in patch_cases:
            with self.subTest(patch=body):
                self.assert_refused(self.server.request("PATCH", f"/api/v1/pools/{self.pool}", body), status, code)
        self.assert_refused(self.server.request("PATCH", "/api/v1/pools/nosuchpool", {"delay_s": 5}),
                            404, "pool_not_found")
        self.assert_refused(self.server.request("GET", "/api/v1/pools/BAD!"), 400, "invalid_field", "pool")
        self.assertEqual(self.snapshot(), before)

    def test_unknown_fields_are_ignored(self):
        reply = self.server.request("POST", "/api/v1/pools",
                                    {"name": self.pool, "hostname": "u.example.com", "colour": "blue"})
        self.assertEqual(reply.status, 201, reply)

    def test_member_add_list_show_remove(self):
        self.server.create_pool(self.pool, "m.example.com")
        added = self.server.add_member(self.pool, "lb1.example.com", "192.0.2.10", egress_ip="198.51.100.7")
        self.assertTrue(added["enrollment_key"].startswith("bek."))
        self.assertIn(added["enrollment_key"], added["install_command"])
        self.assertIn("--hostname 'lb1.example.com'", added["install_command"])
        self.assertIn(self.server.url, added["install_command"])
        self.assertIn("--pinnedpubkey 'sha256//", added["install_command"])
        self.assertTrue(added["expires_at"].endswith("Z"))
        member = added["member"]
        self.assertEqual((member["hostname"], member["ipv4"], member["egress_ip"], member["status"], member["enrolled"]),
                         ("lb1.example.com", "192.0.2.10", "198.51.100.7", "never_seen", False))

        listed = self.server.request("GET", f"/api/v1/pools/{self.pool}/members").json["members"]
        self.assertEqual([m["hostname"] for m in listed], ["lb1.example.com"])
        shown = self.server.member(self.pool, "lb1.example.com")
        self.assertIsNone(shown["report"])
        self.assertIsNone(shown["last_heartbeat_age_ms"])

        reply = self.server.request("DELETE", f"/api/v1/pools/{self.pool}/members/lb1.example.com")
        self.assertEqual(reply.status, 200, reply)
        self.assert_refused(self.server.request("GET", f"/api/v1/pools/{self.pool}/members/lb1.example.com"),
                            404, "member_not_found")

    def test_bad_member_input_is_refused_and_changes_nothing(self):
        self.server.create_pool(self.pool, "bm.example.com")
        self.server.add_member(self.pool, "lb1.example.com", "192.0.2.10")
        before = self.snapshot()
        path = f"/api/v1/pools/{self.pool}/members"
        cases = [
            ({"ipv4": "192.0.2.1"}, 400, "missing_field", "hostname"),
            ({"hostname": "lb2"}, 400, "missing_field", "ipv4"),
            ({"hostname": "lb2", "ipv4": "192.0.2"}, 400, "invalid_field", "ipv4"),
            ({"hostname": "lb2", "ipv4": "192.0.2.256"}, 400, "invalid_field", "ipv4"),
            ({"hostname": "lb2", "ipv4": "192.0.2.01"}, 400, "invalid_field", "ipv4"),
            ({"hostname": "lb2", "ipv4": "0.0.0.0"}, 400, "invalid_field", "ipv4"),
            ({"hostname": "lb2", "ipv4": "224.0.0.1"}, 400, "invalid_field", "ipv4"),
            ({"hostname": "lb2", "ipv4": "::1"}, 400, "invalid_field", "ipv4"),
            ({"hostname": "lb2", "ipv4": 3232235777}, 400, "invalid_field", "ipv4"),
            ({"hostname": "lb_2", "ipv4": "192.0.2.2"}, 400, "invalid_field", "hostname"),
            ({"hostname": "a" * 64 + ".example.com", "ipv4": "192.0.2.2"}, 400, "invalid_field", "hostname"),
            ({"hostname": "lb2", "ipv4": "192.0.2.2", "egress_ip": "nope"}, 400, "invalid_field", "egress_ip"),
            ({"hostname": "lb2", "ipv4": "192.0.2.2", "key_ttl_s": 10}, 400, "invalid_field", "key_ttl_s"),
            ({"hostname": "lb2", "ipv4": "192.0.2.2", "priority": -1}, 400, "invalid_field", "priority"),
            ({"hostname": "lb1.example.com", "ipv4": "192.0.2.3"}, 409, "member_exists", None),
        ]
        for body, status, code, field in cases:
            with self.subTest(body=body):
                self.assert_refused(self.server.request("POST", path, body), status, code, field)
        self.assert_refused(self.server.request("POST", "/api/v1/pools/nosuch/members",
                                                {"hostname": "lb9", "ipv4": "192.0.2.9"}), 404, "pool_not_found")
        self.assert_refused(self.server.request("DELETE", f"{path}/ghost.example.com"), 404, "member_not_found")
        self.assertEqual(self.snapshot(), before)

    def test_one_pool_per_hostname_and_one_member_per_address(self):
        self.server.create_pool(self.pool, "uniq.example.com")
        other = self.pool + "-2"
        self.server.create_pool(other, "uniq2.example.com")
        before = self.snapshot()
        attempts = (("POST", "/api/v1/pools", {"name": self.pool + "-3", "hostname": "UNIQ.example.com."}),
                    ("PATCH", f"/api/v1/pools/{other}", {"hostname": "uniq.example.com"}))
        for method, path, body in attempts:
            reply = self.server.request(method, path, body)
            self.assert_refused(reply, 409, "hostname_in_use", "hostname")
            self.assertIn(f"already managed by pool '{self.pool}'", reply.json["error"]["message"])
        self.assertEqual(self.snapshot(), before)
        path = f"/api/v1/pools/{self.pool}/members"
        self.server.add_member(self.pool, "lb1", "192.0.2.50")
        reply = self.server.request("POST", path, {"hostname": "lb2", "ipv4": "192.0.2.50"})
        self.assert_refused(reply, 409, "ipv4_in_use", "ipv4")
        self.assertIn(f"already used by member 'lb1' of pool '{self.pool}'", reply.json["error"]["message"])
        # Members of different pools may share an address (one HAProxy serving several hostnames).
        self.assertEqual(self.server.request("POST", f"/api/v1/pools/{other}/members",
                                             {"hostname": "lb1", "ipv4": "192.0.2.50"}).status, 201)

    def test_pool_delete_refuses_non_empty_pool_unless_forced(self):
        self.server.create_pool(self.pool, "del.example.com")
        self.server.add_member(self.pool, "lb1", "192.0.2.10")
        self.assert_refused(self.server.request("DELETE", f"/api/v1/pools/{self.pool}"), 409, "pool_not_empty")
        self.assert_refused(self.server.request("DELETE", f"/api/v1/pools/{self.pool}?force=maybe"),
                            400, "invalid_field", "force")
        self.assertEqual(self.server.request("GET", f"/api/v1/pools/{self.pool}").status, 200)
        self.assertEqual(self.server.request("DELETE", f"/api/v1/pools/{self.pool}?force=true").status, 200)
        self.assertEqual(self.server.request("GET", f"/api/v1/pools/{self.pool}").status, 404)

    def test_tokens_create_use_list_revoke(self):
        created = self.server.request("POST", "/api/v1/tokens", {"name": f"ci-{self.pool}"[:63]})
        self.assertEqual(created.status, 201, created)
        token = created.json["token"]
        self.assertEqual(self.server.request("GET", "/api/v1/pools", token=token).status, 200)
        names = [t["name"] for t in self.server.request("GET", "/api/v1/tokens").json["tokens"]]
        self.assertIn(created.json["name"], names)
        for body, code in (({"name": "Bad Name"}, "invalid_field"), ({}, "missing_field"),
                           ({"name": created.json["name"]}, "token_exists")):
            reply = self.server.request("POST", "/api/v1/tokens", body)
            self.assertEqual(reply.error_code, code, reply)
        self.assertEqual(self.server.request("DELETE", f"/api/v1/tokens/{created.json['name']}").status, 200)
        self.assertEqual(self.server.request("GET", "/api/v1/pools", token=token).status, 401)
        self.assert_refused(self.server.request("DELETE", "/api/v1/tokens/ghost"), 404, "token_not_found")
        kinds = [e["kind"] for e in self.server.events(limit=1000)]
        self.assertIn("token_created", kinds)
        self.assertIn("token_revoked", kinds)

    def test_last_token_cannot_be_revoked(self):
        server = Server().start()
        try:
            self.assert_refused(server.request("DELETE", "/api/v1/tokens/admin"), 409, "last_token")
            self.assertEqual(server.request("GET", "/api/v1/pools").status, 200)
        finally:
            server.cleanup()

    def test_status_summarises_pools(self):
        self.server.create_pool(self.pool, "st.example.com")
        reply = self.server.request("GET", "/api/v1/status")
        self.assertEqual(reply.status, 200)
        mine = [p for p in reply.json["pools"] if p["name"] == self.pool]
        self.assertEqual(len(mine), 1)
        self.assertEqual(mine[0]["state"], "empty")
        self.assertNotIn("members", mine[0])

    def test_events_query_validation(self):
        self.assert_refused(self.server.request("GET", "/api/v1/events?limit=0"), 400, "invalid_field", "limit")
        self.assert_refused(self.server.request("GET", "/api/v1/events?after=-1"), 400, "invalid_field", "after")
        self.assert_refused(self.server.request("GET", "/api/v1/events?after=abc"), 400, "invalid_field", "after")
        self.assertEqual(self.server.request("GET", "/api/v1/events?limit=1").status, 200)

    def test_unknown_route_and_method(self):
        self.assert_refused(self.server.request("GET", "/api/v1/nothing"), 404, "not_found")
        self.assert_refused(self.server.request("PUT", "/api/v1/pools"), 405, "method_not_allowed")


if __name__ == "__main__":
    unittest.main()
