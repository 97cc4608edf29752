"""Agent protocol over real HTTPS: enrolment keys, heartbeats, liveness, egress restriction."""
import os
import sqlite3
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from harness import Server, heartbeat_body, wait_until  # noqa: E402


class EnrolmentTest(unittest.TestCase):
    def setUp(self):
        self.server = Server().start()
        self.server.create_pool("web", "lb.example.com", delay=3)

    def tearDown(self):
        self.server.cleanup()

    def test_first_member_to_enrol_becomes_active_the_rest_standby(self):
        key_b = self.server.add_member("web", "lb-b", "192.0.2.2")["enrollment_key"]
        key_a = self.server.add_member("web", "lb-a", "192.0.2.1")["enrollment_key"]
        first = self.server.enrol(key_a, "lb-a")
        self.assertEqual(first.status, 200, first)
        self.assertEqual(first.json["pool"], "web")
        self.assertEqual(first.json["interval_ms"], 1000)
        self.assertTrue(first.json["secret"].startswith("bms."))
        self.assertEqual(len(first.json["server_public_key"]), 44)  # base64 of a 32-byte Ed25519 key
        self.assertEqual(self.server.enrol(key_b, "lb-b").status, 200)
        self.assertEqual(self.server.member("web", "lb-a")["role"], "active")
        self.assertEqual(self.server.member("web", "lb-b")["role"], "standby")
        self.assertEqual(self.server.request("GET", "/api/v1/pools/web").json["active_member"], "lb-a")
        events = [e for e in self.server.events() if e["kind"] == "member_enrolled"]
        self.assertEqual([e["member"] for e in events], ["lb-a", "lb-b"])

    def test_bad_keys_are_refused_with_specific_errors(self):
        key = self.server.add_member("web", "lb1", "192.0.2.1")["enrollment_key"]
        cases = [
            ({"key": "nonsense", "hostname": "lb1", "agent_version": "1"}, 401, "invalid_enrollment_key"),
            ({"key": key[:-2] + "xx", "hostname": "lb1", "agent_version": "1"}, 401, "invalid_enrollment_key"),
            ({"key": "bek.nosuchid.abcdef", "hostname": "lb1", "agent_version": "1"}, 401, "invalid_enrollment_key"),
            ({"key": key, "hostname": "lb2", "agent_version": "1"}, 403, "hostname_mismatch"),
            ({"key": key, "agent_version": "1"}, 400, "missing_field"),
            ({"key": key, "hostname": "bad host", "agent_version": "1"}, 400, "invalid_field"),
            ({"key": 12, "hostname": "lb1", "agent_version": "1"}, 400, "invalid_field"),
            ("{", 400, "bad_json"),
        ]
        for body, status, code in cases:
            with self.subTest(body=body):
                reply = self.server.request("POST", "/api/v1/agent/enrol", body, token=None)
                self.assertEqual((reply.status, reply.error_code), (status, code), reply)
        # None of the refusals used up the key.
        self.assertEqual(self.server.enrol(key, "lb1").status, 200)
        reused = self.server.enrol(key, "lb1")
        self.assertEqual((reused.status, reused.error_code), (409, "enrollment_key_used"), reused)

    def test_expired_key_is_refused(self):
        key = self.server.add_member("web", "lb1", "192.0.2.1")["enrollment_key"]
        # Let 24 hours pass: stop the server and move the expiry into the past.
        self.server.stop()
        db = sqlite3.connect(os.path.join(self.server.data_dir, "balctl.db"))
        db.execute("UPDATE enrollment_keys SET expires_ms = 1000")
        db.commit()
        db.close()
        self.server.start()
        reply = self.server.enrol(key, "lb1")
        self.assertEqual((reply.status, reply.error_code), (401, "enrollment_key_expired"), reply)
        self.assertIn("rekey", reply.json["error"]["message"])

    def test_rekey_replaces_the_secret(self):
        key = self.server.add_member("web", "lb1", "192.0.2.1")["enrollment_key"]
        old_secret = self.server.enrol(key, "lb1").json["secret"]
        self.assertEqual(self.server.heartbeat(old_secret).status, 200)
        rekeyed = self.server.request("POST", "/api/v1/pools/web/members/lb1/enrollment-key", {"key_ttl_s": 600})
        self.assertEqual(rekeyed.status, 201, rekeyed)
        new_secret = self.server.enrol(rekeyed.json["enrollment_key"], "lb1").json["secret"]
        self.assertEqual(self.server.heartbeat(old_secret).status, 401)
        self.assertEqual(self.server.heartbeat(new_secret).status, 200)
        self.assertEqual(self.server.member("web", "lb1")["role"], "active")

    def test_egress_restricted_member(self):
        key = self.server.add_member("web", "lb1", "192.0.2.1", egress_ip="127.0.0.9")["enrollment_key"]
        for _ in range(3):  # an installer retrying from the wrong address
            refused = self.server.enrol(key, "lb1")
            self.assertEqual((refused.status, refused.error_code), (403, "egress_ip_mismatch"), refused)
        # As README says: an event, and at most one a minute per member.
        enrol_refusals = [e for e in self.server.events() if e["kind"] == "enrolment_refused"]
        self.assertEqual([(e["pool"], e["member"], e["message"]) for e in enrol_refusals],
                         [("web", "lb1", "enrolment from 127.0.0.1 refused: member only allowed from 127.0.0.9")])
        enrolled = self.server.enrol(key, "lb1", source_address=("127.0.0.9", 0))
        self.assertEqual(enrolled.status, 200, enrolled)
        secret = enrolled.json["secret"]
        for _ in range(3):
            reply = self.server.heartbeat(secret)
            self.assertEqual((reply.status, reply.error_code), (403, "egress_ip_mismatch"), reply)
        self.assertEqual(self.server.heartbeat(secret, source_address=("127.0.0.9", 0)).status, 200)
        # Written before the 403 was sent, not with a later batch.
        refusals = [e for e in self.server.events() if e["kind"] == "heartbeat_refused"]
        # Three refusals within a minute are one event, so a misconfigured agent cannot flood the log.
        self.assertEqual(len(refusals), 1)
        self.assertIn("127.0.0.1", refusals[0]["message"])
        self.assertEqual(self.server.member("web", "lb1")["source_ip"], "127.0.0.9")


class HeartbeatTest(unittest.TestCase):
    def setUp(self):
        self.server = Server().start()
        self.server.create_pool("web", "lb.example.com", delay=3)
        self.secret = self.server.enrolled_member("web", "lb1", "192.0.2.1")

    def tearDown(self):
        self.server.cleanup()

    def test_heartbeat_makes_member_online_with_its_report(self):
        reply = self.server.heartbeat(self.secret, seq=7)
        self.assertEqual(reply.status, 200, reply)
        self.assertEqual(reply.json, {"interval_ms": 1000, "jobs": []})
        member = self.server.member("web", "lb1")
        self.assertEqual(member["status"], "online")
        self.assertEqual(member["seq"], 7)
        self.assertEqual(member["agent_version"], "0.1.0-test")
        self.assertEqual(member["haproxy"], {"state": "running", "version": "2.6.12", "stats": "ok",
                                             "stats_error": "", "display": "running"})
        self.assertLess(member["last_heartbeat_age_ms"], 2000)
        self.assertAlmostEqual(member["host"]["memory_used_pct"], 50.0)
        rows = member["report"]["haproxy"]["rows"]
        self.assertEqual([r["service"] for r in rows], ["FRONTEND", "app1"])
        self.assertEqual(rows[1]["check_status"], "L4OK")
        listed = self.server.request("GET", "/api/v1/pools/web/members").json["members"][0]
        self.assertEqual((listed["status"], listed["haproxy"]["state"]), ("online", "running"))

    def test_bad_credentials(self):
        for token in (None, "", "bms.1.wrong", "bms.999.x", "bms.abc.def", "bat.admin.x", "x" * 300):
            with self.subTest(token=token):
                reply = self.server.request("POST", "/api/v1/agent/heartbeat", heartbeat_body(), token=token)
                self.assertEqual((reply.status, reply.error_code), (401, "unauthorized"), reply)
        self.assertEqual(self.server.member("web", "lb1")["status"], "never_seen")

    def test_bad_bodies_name_the_field(self):
        cases = [
            ("not json", "bad_json", None),
            ("[]", "bad_json", None),
            ({"seq": 1}, "missing_field", "agent_version"),
            ({"agent_version": "1"}, "missing_field", "seq"),
            ({"agent_version": "1", "seq": -1}, "invalid_field", "seq"),
            ({"agent_version": "1", "seq": "1"}, "invalid_field", "seq"),
            ({"agent_version": 1, "seq": 1}, "invalid_field", "agent_version"),
            ({"agent_version": "1", "seq": 1, "load": [1, 2]}, "invalid_field", "load"),
            ({"agent_version": "1", "seq": 1, "haproxy": {"state": "sleeping"}}, "invalid_field", "haproxy.state"),
            ({"agent_version": "1", "seq": 1, "haproxy": {"state": "running", "rows": [{"proxy": "x"}]}},
             "missing_field", "haproxy.rows[0].service"),
            ({"agent_version": "1", "seq": 1, "ipv4": [{"address": "300.1.1.1"}]}, "invalid_field", "ipv4[0].address"),
            ({"agent_version": "1", "seq": 1, "memory": {"total_kb": "big"}}, "invalid_field", "memory.total_kb"),
        ]
        for body, code, field in cases:
            with self.subTest(body=body):
                reply = self.server.heartbeat(self.secret, body=body)
                self.assertEqual((reply.status, reply.error_code), (400, code), reply)
                if field:
                    self.assertEqual(reply.error_field, field, reply)
        self.assertEqual(self.server.member("web", "lb1")["status"], "never_seen")

    def test_unknown_fields_are_ignored(self):
        body = heartbeat_body()
        body["future_field"] = {"anything": [1, 2, 3]}
        self.assertEqual(self.server.heartbeat(self.secret, body=body).status, 200)

    def test_offline_and_back_online_events(self):
        self.assertEqual(self.server.heartbeat(self.secret).status, 200)
        # Pool delay is 3 s; the server also gives members one delay after its own start.
        offline = wait_until(lambda: [e for e in self.server.events() if e["kind"] == "member_offline"], 10,
                             interval=0.2, what="member_offline event")
        self.assertEqual(offline[0]["member"], "lb1")
        self.assertEqual(self.server.member("web", "lb1")["status"], "offline")
        self.assertEqual(self.server.heartbeat(self.secret, seq=2).status, 200)
        self.assertEqual(self.server.member("web", "lb1")["status"], "online")
        online = wait_until(lambda: [e for e in self.server.events() if e["kind"] == "member_online"
                                     and "resumed" in e["message"]], 5, what="member_online event")
        self.assertEqual(len(online), 1)
        first = [e for e in self.server.events() if e["kind"] == "member_online" and "first" in e["message"]]
        self.assertEqual(len(first), 1)

    def test_haproxy_state_change_is_an_event(self):
        self.assertEqual(self.server.heartbeat(self.secret, seq=1, haproxy="running").status, 200)
        self.assertEqual(self.server.heartbeat(self.secret, seq=2, haproxy="stopped").status, 200)
        self.assertEqual(self.server.member("web", "lb1")["haproxy"]["state"], "stopped")
        changes = wait_until(lambda: [e for e in self.server.events() if e["kind"] == "haproxy_state"], 5,
                             what="haproxy_state event")
        self.assertIn("running -> stopped", changes[0]["message"])
        status = self.server.request("GET", "/api/v1/status").json["pools"][0]
        self.assertEqual(status["state"], "down")

    def test_removed_member_can_no_longer_heartbeat(self):
        self.assertEqual(self.server.heartbeat(self.secret).status, 200)
        refused = self.server.request("DELETE", "/api/v1/pools/web/members/lb1")
        self.assertEqual((refused.status, refused.error_code), (409, "member_is_active"), "the active, no standby")
        self.assertEqual(self.server.heartbeat(self.secret).status, 200, "still a member")
        self.assertEqual(self.server.request("DELETE", "/api/v1/pools/web/members/lb1?force=true").status, 200)
        self.assertEqual(self.server.heartbeat(self.secret).status, 401)

    def test_liveness_reaches_the_store_within_a_flush_interval(self):
        """Heartbeats update memory; the batch writer persists the newest state within ~1 s."""
        db_path = os.path.join(self.server.data_dir, "balctl.db")
        for seq in range(1, 201):
            self.assertEqual(self.server.heartbeat(self.secret, seq=seq).status, 200)
        time.sleep(1.5)  # one flush interval plus margin
        db = sqlite3.connect(db_path)
        seq, = db.execute("SELECT seq FROM member_state").fetchone()
        db.close()
        self.assertEqual(seq, 200)


if __name__ == "__main__":
    unittest.main()


class TrustedProxyTest(unittest.TestCase):
    """Behind a reverse proxy on 127.0.0.1 the client address comes from X-Forwarded-For, and only from it."""

    def setUp(self):
        self.server = Server(extra_args=["--trusted-proxy", "127.0.0.1", "--trusted-proxy", "10.0.0.0/8"]).start()
        self.addCleanup(self.server.cleanup)
        self.server.create_pool("web")
        key = self.server.add_member("web", "lb1", "192.0.2.1", egress_ip="198.51.100.7")["enrollment_key"]
        proxied = {"X-Forwarded-For": "203.0.113.66, 198.51.100.7"}  # the left entry is forged by the client
        reply = self.server.request("POST", "/api/v1/agent/enrol", {"key": key, "hostname": "lb1", "agent_version": "test"},
                                    token=None,
                                    headers=proxied)
        self.assertEqual(reply.status, 200, reply)
        self.secret = reply.json["secret"]

    def heartbeat(self, headers, source_address=None):
        return self.server.request("POST", "/api/v1/agent/heartbeat", heartbeat_body(), token=self.secret,
                                   headers=headers, source_address=source_address)

    def test_trusted_proxy_names_the_client(self):
        reply = self.heartbeat({"X-Forwarded-For": "198.51.100.7"})
        self.assertEqual(reply.status, 200, reply)
        self.assertEqual(self.server.member("web", "lb1")["source_ip"], "198.51.100.7")

    def test_header_from_an_untrusted_peer_is_ignored(self):
        self.assertEqual(self.heartbeat({"X-Forwarded-For": "198.51.100.7"}).status, 200)
        # 127.0.0.5 is not a trusted proxy: its header is not believed, so the egress allow-list refuses it.
        reply = self.heartbeat({"X-Forwarded-For": "198.51.100.7"}, source_address=("127.0.0.5", 0))
        self.assertEqual((reply.status, reply.error_code), (403, "egress_ip_mismatch"), reply)
        self.assertEqual(self.server.member("web", "lb1")["source_ip"], "198.51.100.7")

    def test_proxy_without_header_is_the_proxy_itself(self):
        reply = self.heartbeat({})
        self.assertEqual((reply.status, reply.error_code), (403, "egress_ip_mismatch"), reply)

    def test_bad_trusted_proxy_refuses_to_start(self):
        bad = Server(extra_args=["--trusted-proxy", "10.0.0.0/99"])
        self.addCleanup(bad.cleanup)
        bad.start(expect_ready=False)
        self.assertEqual(bad.process.wait(timeout=10), 2)
        self.assertIn("trusted-proxy", bad.log_text())
