"""The `balctl` CLI against a real server: verbs, human and --json output, exit codes."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from harness import BALCTL, Server, free_port  # noqa: E402
import subprocess  # noqa: E402


class CliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server().start()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def run_ok(self, *args):
        result = self.server.cli(*args)
        self.assertEqual(result.returncode, 0, f"balctl {' '.join(args)}: {result.stderr}")
        return result.stdout

    def assert_usage_error(self, *args):
        result = self.server.cli(*args)
        self.assertEqual(result.returncode, 2, f"balctl {' '.join(args)}: {result.stdout} {result.stderr}")
        self.assertIn("Usage", result.stderr + result.stdout)
        return result

    def test_version(self):
        result = subprocess.run([BALCTL, "--version"], capture_output=True, text=True)
        self.assertEqual(result.returncode, 0)
        self.assertRegex(result.stdout, r"^balctl \d+\.\d+\.\d+")

    def test_pool_and_member_workflow(self):
        out = self.run_ok("pool", "create", "cli", "--hostname", "cli.example.com", "--delay", "5")
        self.assertIn("Created pool cli", out)
        self.assertIn("delay 5 s", out)
        out = self.run_ok("pool", "list")
        self.assertRegex(out, r"cli\s+cli\.example\.com\s+haproxy\s+5s")
        out = self.run_ok("member", "add", "cli", "lb1.example.com", "--ip", "192.0.2.10")
        key = next(line.strip() for line in out.splitlines() if line.strip().startswith("bek."))
        self.assertIn("curl -fsSL", out)
        self.assertIn("--key '" + key + "'", out)
        out = self.run_ok("member", "list", "cli")
        self.assertRegex(out, r"lb1\.example\.com\s+standby\s+never_seen")
        secret = self.server.enrol(key, "lb1.example.com").json["secret"]
        self.assertEqual(self.server.heartbeat(secret).status, 200)
        out = self.run_ok("member", "list", "cli")
        self.assertRegex(out, r"lb1\.example\.com\s+active\s+online\s+\S+\s+192\.0\.2\.10\s+running 2\.6\.12\s+0\.1\.0-test\s+active")
        member = json.loads(self.run_ok("member", "show", "cli", "lb1.example.com", "--json"))
        self.assertEqual(member["report"]["haproxy"]["rows"][0]["proxy"], "fe_http")
        out = self.run_ok("member", "show", "cli", "lb1.example.com")
        self.assertIn("fe_http", out)
        out = self.run_ok("status")
        self.assertRegex(out, r"cli\s+cli\.example\.com\s+no_standby\s+lb1\.example\.com\s+1/1")
        out = self.run_ok("pool", "set", "cli", "--delay", "7", "--haproxy-grace", "0", "--failback", "preferred")
        self.assertIn("delay 7 s, haproxy grace 0 s, failback preferred", out)
        out = self.run_ok("events", "--pool", "cli")
        for kind in ("pool_created", "member_added", "member_enrolled", "pool_updated"):
            self.assertIn(kind, out)
        self.run_ok("member", "rekey", "cli", "lb1.example.com")
        refused = self.server.cli("member", "remove", "cli", "lb1.example.com")
        self.assertEqual(refused.returncode, 1)
        self.assertIn("is the active member of cli", refused.stderr)
        self.assertIn("use --force", refused.stderr)
        self.run_ok("member", "remove", "cli", "lb1.example.com", "--force")
        self.run_ok("pool", "delete", "cli")
        self.assertNotIn("cli.example.com", self.run_ok("pool", "list"))

    def test_json_output_is_machine_readable(self):
        self.run_ok("pool", "create", "jsonpool", "--hostname", "j.example.com")
        pools = json.loads(self.run_ok("pool", "list", "--json"))["pools"]
        self.assertIn("jsonpool", [p["name"] for p in pools])
        status = json.loads(self.run_ok("--json", "status"))
        self.assertIn("pools", status)

    def test_tokens(self):
        out = self.run_ok("token", "create", "ci-bot")
        token = out.strip().splitlines()[-1]
        self.assertTrue(token.startswith("bat.ci-bot."))
        env = self.server.cli_env()
        del env["BALCTL_TOKEN_FILE"]
        result = self.server.cli("pool", "list", "--token", token, env=env)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("ci-bot", self.run_ok("token", "list"))
        self.run_ok("token", "revoke", "ci-bot")
        result = self.server.cli("pool", "list", "--token", token, env=env)
        self.assertEqual(result.returncode, 1)
        self.assertIn("invalid API token", result.stderr)

    def test_wrong_flags_print_usage_and_exit_2(self):
        self.assert_usage_error()
        self.assert_usage_error("pool")
        self.assert_usage_error("pool", "create", "x")  # --hostname missing
        self.assert_usage_error("pool", "create", "x", "--hostname", "x.example.com", "--delay", "2")
        self.assert_usage_error("pool", "create", "x", "--hostname", "x.example.com", "--delay", "121")
        self.assert_usage_error("pool", "create", "x", "--hostname", "x.example.com", "--preset", "nginx")
        self.assert_usage_error("pool", "list", "--no-such-flag")
        self.assert_usage_error("member", "add", "web", "lb1")  # --ip missing
        self.assert_usage_error("nonsense-verb")
        self.assert_usage_error("serve")  # --data-dir missing
        self.assert_usage_error("serve", "--data-dir", "/nonexistent/x", "--cpu-affinity", "sometimes")
        result = self.server.cli("pool", "set", "web")
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn("at least one setting", result.stderr)

    def test_server_side_validation_is_reported_in_one_line(self):
        result = self.server.cli("pool", "create", "bad", "--hostname", "not-a-fqdn")
        self.assertEqual(result.returncode, 1)
        self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)
        self.assertIn("fully qualified", result.stderr)
        result = self.server.cli("member", "add", "nosuchpool", "lb1", "--ip", "192.0.2.1")
        self.assertEqual(result.returncode, 1)
        self.assertIn("no pool named 'nosuchpool'", result.stderr)
        result = self.server.cli("member", "add", "nosuchpool", "lb1", "--ip", "1.2.3")
        self.assertEqual(result.returncode, 1)
        self.assertIn("ipv4", result.stderr)

    def test_unreachable_server_is_one_clear_line_exit_1(self):
        env = self.server.cli_env()
        env["BALCTL_API"] = f"https://127.0.0.1:{free_port()}"
        result = self.server.cli("pool", "list", env=env)
        self.assertEqual(result.returncode, 1)
        lines = result.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, result.stderr)
        self.assertIn("cannot reach", lines[0])

    def test_untrusted_certificate_explains_what_to_do(self):
        env = self.server.cli_env()
        del env["BALCTL_CA_CERT"]
        result = self.server.cli("pool", "list", env=env)
        self.assertEqual(result.returncode, 1)
        self.assertIn("--ca-cert", result.stderr)
        result = self.server.cli("pool", "list", "--insecure", env=env)
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_missing_token_is_a_usage_error(self):
        env = self.server.cli_env()
        del env["BALCTL_TOKEN_FILE"]
        result = self.server.cli("pool", "list", env=env)
        self.assertEqual(result.returncode, 2)
        self.assertIn("no API token", result.stderr)


if __name__ == "__main__":
    unittest.main()
