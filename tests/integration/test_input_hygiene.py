"""Input and log hygiene across process boundaries: agent text cannot forge lines in serve's log, an enrol
reply cannot add keys to agent.env, duplicate JSON keys and NUL bytes get clear 400s, and the data dir
holds its secrets 0600 and its public certificate 0644."""
import http.server
import json
import os
import re
import stat
import sys
import threading
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from harness import Server, heartbeat_body, wait_until  # noqa: E402
from processes import Agent, temp_dir  # noqa: E402

FORGED = "level=error msg=forged"


def forged_lines(log):
    """Lines of a log that begin with text an attacker supplied (a real line starts with a timestamp)."""
    return [line for line in log.splitlines() if "forged" in line and not re.match(r"\d{4}-\d\d-\d\dT", line)]


class AgentTextInServerLog(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server().start()
        cls.server.create_pool("web", "lb.example.com")
        cls.secret = cls.server.enrolled_member("web", "lb1", "192.0.2.1")

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def test_heartbeat_with_a_line_break_in_agent_version_is_refused_and_forges_nothing(self):
        body = heartbeat_body(seq=1)
        body["agent_version"] = "1.0\n" + FORGED
        reply = self.server.heartbeat(self.secret, body)
        self.assertEqual((reply.status, reply.error_code, reply.error_field),
                         (400, "invalid_field", "agent_version"), reply)
        self.assertIn("agent_version", reply.json["error"]["message"])
        self.assertEqual(self.server.member("web", "lb1")["agent_version"], None, "nothing was recorded")
        self.assertEqual(forged_lines(self.server.log_text()), [])

    def test_enrol_with_a_line_break_in_agent_version_is_refused_and_the_key_still_works(self):
        key = self.server.add_member("web", "lb2", "192.0.2.2")["enrollment_key"]
        reply = self.server.request("POST", "/api/v1/agent/enrol",
                                    {"key": key, "hostname": "lb2", "agent_version": "1.0\r\n" + FORGED},
                                    token=None)
        self.assertEqual((reply.status, reply.error_field), (400, "agent_version"), reply)
        self.assertEqual(self.server.enrol(key, "lb2").status, 200, "the refused request did not use the key")
        log = self.server.log_text()
        self.assertEqual(forged_lines(log), [])
        self.assertNotIn("msg=forged", log)

    def test_haproxy_server_name_with_a_line_break_is_kept_and_cannot_break_a_log_line(self):
        secret = self.server.enrolled_member("web", "lb3", "192.0.2.3")
        body = heartbeat_body(seq=1)
        name = "app1\n2026-01-01T00:00:00.000Z error " + FORGED
        body["haproxy"]["rows"][1]["service"] = name
        body["haproxy"]["detail"] = "stats socket said\n" + FORGED
        reply = self.server.heartbeat(secret, body)
        self.assertEqual(reply.status, 200, reply)
        report = wait_until(lambda: self.server.member("web", "lb3")["report"], 5, what="the member's report")
        self.assertEqual(report["haproxy"]["rows"][1]["service"], name, "free text is stored as sent")
        # The agent's words reach the events only through member_online (its version, a safe token).
        online = [e for e in self.server.events(limit=1000)
                  if e["member"] == "lb3" and e["kind"] == "member_online"]
        for event in online:
            self.assertNotIn("\n", event["message"])
        # Every line serve wrote starts with its own timestamp: no agent text began a line.
        for line in self.server.log_text().splitlines():
            self.assertRegex(line, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \w+ ", line)

    def test_duplicate_json_keys_are_refused_by_name(self):
        before = self.server.stable_pools()
        cases = [
            ("/api/v1/pools", "admin", '{"name":"shop","name":"other","hostname":"shop.example.com"}',
             "name"),
            ("/api/v1/agent/heartbeat", self.secret, '{"agent_version":"1","seq":7,"seq":8}', "seq"),
            ("/api/v1/agent/heartbeat", self.secret,
             '{"agent_version":"1","seq":7,"haproxy":{"state":"running","state":"stopped"}}', "state"),
            ("/api/v1/agent/enrol", None,
             '{"key":"bek.1.x","hostname":"lb9","hostname":"lb1","agent_version":"1"}', "hostname"),
        ]
        for path, token, body, key in cases:
            with self.subTest(path=path, key=key):
                reply = self.server.request("POST", path, body=body, token=token,
                                            headers={"Content-Type": "application/json"})
                self.assertEqual((reply.status, reply.error_code), (400, "duplicate_key"), reply)
                self.assertEqual(reply.json["error"]["message"], f"duplicate key '{key}'")
        self.assertEqual(self.server.stable_pools(), before)
        self.assertNotEqual(self.server.member("web", "lb1").get("seq"), 8)

    def test_nul_in_input_is_spelled_out_not_a_cut_message(self):
        # The failover target is quoted back when it is not a host name.
        reply = self.server.request("POST", "/api/v1/pools/web/failover", {"to": "lb\u0000evil.example.com"})
        self.assertEqual((reply.status, reply.error_field), (400, "hostname"), reply)
        self.assertEqual(reply.json["error"]["message"],
                         "'lb\\u0000evil.example.com' is not a valid host name")


class DataDirModes(unittest.TestCase):
    """Secrets (keys, tokens, the database and its WAL) are 0600; the public certificate is 0644 on purpose:
    agents and `balctl --ca-cert` read it."""
    PUBLIC = {"tls.crt"}

    def assert_modes(self, data_dir):
        seen = {}
        for name in sorted(os.listdir(data_dir)):
            path = os.path.join(data_dir, name)
            info = os.lstat(path)
            self.assertTrue(stat.S_ISREG(info.st_mode), f"{name} is not a regular file")
            seen[name] = stat.S_IMODE(info.st_mode)
        expected = {name: (0o644 if name in self.PUBLIC else 0o600) for name in seen}
        self.assertEqual({k: oct(v) for k, v in seen.items()}, {k: oct(v) for k, v in expected.items()})
        return seen

    def test_every_file_of_a_fresh_data_dir_has_the_mode_its_content_needs(self):
        server = Server()
        self.addCleanup(server.cleanup)
        server.start()
        server.create_pool("web", "lb.example.com")
        secret = server.enrolled_member("web", "lb1", "192.0.2.1")
        self.assertEqual(server.heartbeat(secret).status, 200)
        self.assertEqual(stat.S_IMODE(os.stat(server.data_dir).st_mode), 0o700)
        running = self.assert_modes(server.data_dir)
        for name in ("admin.token", "balctl.db", "tls.crt", "tls.key"):
            self.assertIn(name, running)
        self.assertEqual(server.stop(), 0)
        self.assert_modes(server.data_dir)


class FakeControlPlane:
    """Answers POST /api/v1/agent/enrol with whatever `reply` holds: a control plane that went wrong."""

    def __init__(self, reply):
        outer = self
        self.reply = reply
        self.requests = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                outer.requests.append((self.path, self.rfile.read(length)))
                body = json.dumps(outer.reply).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


KEY = "OvWQImJZ4e7UAlEKM0VgS6NHuYy34YI1oCmRZqlZx/I="


class EnrolReplyIntoAgentEnv(unittest.TestCase):
    def enrol(self, reply, *extra, existing=None):
        cp = FakeControlPlane(reply)
        self.addCleanup(cp.close)
        agent = Agent(temp_dir(self))
        env = os.path.join(agent.config_dir, "agent.env")
        if existing is not None:
            os.makedirs(agent.config_dir, mode=0o700)
            with open(env, "w") as f:
                f.write(existing)
            os.chmod(env, 0o600)
        result = agent.run("--enrol", "--key", "bek.1.k", "--hostname", "lb1", "--api-base", cp.url,
                           "--config-dir", agent.config_dir, *extra)
        self.assertEqual(len(cp.requests), 1, "the agent asked the control plane once")
        return result, env

    def test_good_reply_is_written(self):
        result, env = self.enrol({"member_id": 4, "secret": "bms.4.abc", "pool": "web",
                                  "server_public_key": KEY})
        self.assertEqual(result.returncode, 0, result.stderr)
        with open(env) as f:
            text = f.read()
        self.assertIn("BALCTL_MEMBER_SECRET=bms.4.abc\n", text)

    def test_values_with_line_breaks_fail_and_write_nothing(self):
        cases = [
            ({"member_id": 4, "secret": "bms.4.abc\nBALCTL_API_BASE=http://127.0.0.1:1", "pool": "web"},
             "secret"),
            ({"member_id": 4, "secret": "bms.4.abc", "pool": "web\nBALCTL_BIND_ADDRESS=127.0.0.9"}, "pool"),
            ({"member_id": 4, "secret": "bms.4.abc", "pool": "web",
              "server_public_key": KEY + "\nBALCTL_CA_CERT=/tmp/evil.pem"}, "server_public_key"),
            ({"member_id": 4, "secret": "bms.5.abc", "pool": "web"}, "secret"),
        ]
        for reply, field in cases:
            with self.subTest(field=field):
                result, env = self.enrol(reply)
                self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
                self.assertIn("enrolment failed", result.stderr)
                self.assertIn(f"'{field}'", result.stderr)
                self.assertNotIn("Traceback", result.stderr)
                self.assertFalse(os.path.exists(env), "no agent.env was written")

    def test_forced_re_enrolment_with_a_bad_reply_leaves_the_old_agent_env_untouched(self):
        old = ("BALCTL_API_BASE=https://cp.example.com:8443\nBALCTL_MEMBER_ID=3\n"
               "BALCTL_MEMBER_SECRET=bms.3.old\n")
        result, env = self.enrol({"member_id": 4, "secret": "bms.4.x\nBALCTL_MEMBER_ID=1", "pool": "web"},
                                 "--force", existing=old)
        self.assertEqual(result.returncode, 1, result.stderr)
        with open(env) as f:
            self.assertEqual(f.read(), old)
        self.assertEqual(sorted(os.listdir(os.path.dirname(env))), ["agent.env"],
                         "nothing else written either")


if __name__ == "__main__":
    unittest.main()
