"""The real balctl-agent against a real control plane and a real HAProxy, on 127.0.0.0/8."""
import os
import signal
import stat
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from harness import Server, wait_until  # noqa: E402
from processes import Agent, Haproxy, temp_dir  # noqa: E402


def issue_key(server, pool, hostname, ipv4="127.0.0.2"):
    added = server.add_member(pool, hostname, ipv4)
    return added["enrollment_key"], added["install_command"]


def pin_of(install_command):
    return install_command.split("--pin '")[1].split("'")[0]


class AgentTest(unittest.TestCase):
    def setUp(self):
        self.dir = temp_dir(self)
        self.server = Server(data_dir=os.path.join(self.dir, "data")).start()
        self.addCleanup(self.server.cleanup)
        self.server.create_pool("web", "lb.example.com", delay=3)
        self.haproxy = Haproxy(os.path.join(self.dir, "haproxy")).start()
        self.addCleanup(self.haproxy.cleanup)
        self.agent = Agent(os.path.join(self.dir, "agent"))
        self.addCleanup(self.agent.cleanup)

    def enrol_agent(self, hostname="lb1"):
        key, _ = issue_key(self.server, "web", hostname)
        result = self.agent.enrol(self.server, key, hostname, "--ca-cert", self.server.ca_cert)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.agent.configure(haproxy_socket=self.haproxy.socket, haproxy_pidfile=self.haproxy.pidfile)
        return hostname

    def member(self, hostname="lb1"):
        return self.server.member("web", hostname)

    def test_enrol_then_heartbeat_with_haproxy_running(self):
        self.enrol_agent()
        env_file = os.path.join(self.agent.config_dir, "agent.env")
        self.assertEqual(stat.S_IMODE(os.stat(env_file).st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(os.stat(self.agent.config_dir).st_mode), 0o700)
        self.agent.start()
        member = wait_until(lambda: (m := self.member())["status"] == "online" and m, 5, what="member online")
        self.assertEqual(member["role"], "active")
        self.assertEqual(member["haproxy"]["state"], "running")
        self.assertTrue(member["haproxy"]["version"].startswith("2."))
        report = wait_until(lambda: self.member()["report"], 5, what="first report")
        self.assertIn("fe_http", [row["proxy"] for row in report["haproxy"]["rows"]])
        self.assertGreater(report["uptime_s"], 0)
        self.assertGreater(report["memory"]["total_kb"], 0)
        self.assertTrue(report["kernel"])
        # One heartbeat per second: the sequence number advances about once a second.
        first = self.member()["seq"]
        time.sleep(2.2)
        self.assertIn(self.member()["seq"] - first, (2, 3))

    def test_haproxy_stop_is_reported_within_one_second(self):
        self.enrol_agent()
        self.agent.start()
        wait_until(lambda: self.member()["haproxy"]["state"] == "running", 5, what="running")
        stopped_at = time.monotonic()
        self.haproxy.kill()
        wait_until(lambda: self.member()["haproxy"]["state"] == "stopped", 1.0, interval=0.01,
                   what="HAProxy stopped reported")
        elapsed = time.monotonic() - stopped_at
        self.assertLess(elapsed, 1.0)
        self.haproxy.start()
        wait_until(lambda: self.member()["haproxy"]["state"] == "running", 3, what="running again")
        self.assertIn("haproxy_state_changed", self.agent.log_text())

    def test_agent_backs_off_while_the_control_plane_is_down_and_recovers_fast(self):
        self.enrol_agent()
        self.agent.start()
        wait_until(lambda: self.member()["status"] == "online", 5, what="online")
        self.server.stop()
        time.sleep(6)  # long enough for several failures and a backoff past the interval
        log = self.agent.log_text()
        self.assertIn("heartbeat_failed code=unreachable", log)
        self.assertIn("retry_in_ms=", log)
        self.server.start()
        returned = time.monotonic()
        seq_before = self.member()["seq"]
        wait_until(lambda: self.member()["seq"] > seq_before, 3, interval=0.05, what="heartbeat after return")
        # Back within one interval (1 s) plus the time to notice; far less than the 30 s backoff cap.
        self.assertLess(time.monotonic() - returned, 2.0)
        wait_until(lambda: "heartbeat_recovered" in self.agent.log_text(), 3, what="recovery logged")

    def test_wrong_secret_is_a_clear_error_and_retries_slowly(self):
        self.enrol_agent()
        # Re-key on the server side: the agent's secret is no longer valid.
        rekeyed = self.server.request("POST", "/api/v1/pools/web/members/lb1/enrollment-key", {})
        other = Agent(os.path.join(self.dir, "other"))
        self.addCleanup(other.cleanup)
        self.assertEqual(other.enrol(self.server, rekeyed.json["enrollment_key"], "lb1", "--ca-cert",
                                     self.server.ca_cert).returncode, 0)
        self.agent.start()
        time.sleep(6)
        log = self.agent.log_text()
        self.assertIn("heartbeat_refused", log)
        self.assertIn("does not accept this member's secret", log)
        self.assertIn("re-enrol", log)
        delays = [int(line.split("retry_in_ms=")[1].split()[0]) for line in log.splitlines()
                  if "heartbeat_retry code=unauthorized" in line]
        # Slow retries: 1 s, 2 s, 4 s ... (each drawn from 50-100 % of that), so at most 4 tries in 6 s.
        self.assertGreaterEqual(len(delays), 2, log)
        self.assertLessEqual(len(delays), 4, log)
        self.assertGreater(delays[-1], delays[0])
        self.assertNotIn("heartbeat_sent", log)
        self.assertIsNone(self.agent.process.poll(), "the agent keeps running")
        self.assertEqual(self.member()["status"], "never_seen")

    def test_sigterm_exits_cleanly_within_a_second(self):
        self.enrol_agent()
        self.agent.start()
        wait_until(lambda: self.member()["status"] == "online", 5, what="online")
        started = time.monotonic()
        self.assertEqual(self.agent.stop(signal.SIGTERM), 0)
        self.assertLess(time.monotonic() - started, 1.0)
        self.assertIn("stopped", self.agent.log_text())

    def test_sighup_rereads_agent_env(self):
        self.enrol_agent()
        self.agent.start()
        wait_until(lambda: self.member()["status"] == "online", 5, what="online")
        self.agent.configure(haproxy_unit="other.service")
        self.agent.process.send_signal(signal.SIGHUP)
        wait_until(lambda: "config_reloaded" in self.agent.log_text(), 3, what="reload logged")
        with open(os.path.join(self.agent.config_dir, "agent.env"), "a") as f:
            f.write("BALCTL_NOT_A_KEY=1\n")
        self.agent.process.send_signal(signal.SIGHUP)
        wait_until(lambda: "reload_failed" in self.agent.log_text(), 3, what="bad reload logged")
        self.assertIn("BALCTL_NOT_A_KEY", self.agent.log_text())
        seq = self.member()["seq"]
        wait_until(lambda: self.member()["seq"] > seq, 3, what="still heartbeating on the old config")

    def test_once_sends_one_heartbeat(self):
        self.enrol_agent()
        result = self.agent.run("--once", "--config-dir", self.agent.config_dir, "--state-dir", self.agent.state_dir)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self.member()["seq"], 1)
        self.server.stop()
        result = self.agent.run("--once", "--config-dir", self.agent.config_dir, "--state-dir", self.agent.state_dir)
        self.assertEqual(result.returncode, 1)
        self.assertIn("unreachable", result.stderr)
        self.server.start()


class EnrolmentCommandTest(unittest.TestCase):
    def setUp(self):
        self.dir = temp_dir(self)
        self.server = Server(data_dir=os.path.join(self.dir, "data")).start()
        self.addCleanup(self.server.cleanup)
        self.server.create_pool("web", "lb.example.com")
        self.agent = Agent(os.path.join(self.dir, "agent"))

    def env_file(self):
        return os.path.join(self.agent.config_dir, "agent.env")

    def assert_failed_cleanly(self, result, text):
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        lines = result.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, result.stderr)
        self.assertIn(text, lines[0])
        self.assertFalse(os.path.exists(self.env_file()))

    def test_pinned_key_enrolment_keeps_the_server_certificate(self):
        key, command = issue_key(self.server, "web", "lb1")
        result = self.agent.enrol(self.server, key, "lb1", "--pin", pin_of(command))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("Enrolled lb1 as member", result.stdout)
        with open(self.env_file()) as f:
            env = f.read()
        self.assertIn("BALCTL_CA_CERT=" + os.path.join(self.agent.config_dir, "ca.pem"), env)
        with open(os.path.join(self.agent.config_dir, "ca.pem")) as f, open(self.server.ca_cert) as g:
            self.assertEqual(f.read(), g.read())
        once = self.agent.run("--once", "--config-dir", self.agent.config_dir, "--state-dir",
                              os.path.join(self.dir, "state"))
        self.assertEqual(once.returncode, 0, once.stderr)

    def test_wrong_pin_is_refused(self):
        key, _ = issue_key(self.server, "web", "lb1")
        result = self.agent.enrol(self.server, key, "lb1", "--pin", "sha256//" + "A" * 43 + "=")
        self.assert_failed_cleanly(result, "TLS")

    def test_bad_key_unreachable_server_and_untrusted_tls(self):
        self.assert_failed_cleanly(self.agent.enrol(self.server, "bek.nope.nope", "lb1", "--ca-cert",
                                                    self.server.ca_cert), "not valid")
        key, _ = issue_key(self.server, "web", "lb1")
        self.assert_failed_cleanly(self.agent.enrol(self.server, key, "lb1"), "TLS")  # no --ca-cert / --pin
        down = Server(data_dir=os.path.join(self.dir, "down"))
        result = self.agent.run("--enrol", "--key", key, "--hostname", "lb1", "--api-base", down.url,
                                "--config-dir", self.agent.config_dir, "--ca-cert", self.server.ca_cert)
        self.assert_failed_cleanly(result, "cannot reach")

    def test_reenrolment_needs_force(self):
        key, _ = issue_key(self.server, "web", "lb1")
        self.assertEqual(self.agent.enrol(self.server, key, "lb1", "--ca-cert", self.server.ca_cert).returncode, 0)
        rekeyed = self.server.request("POST", "/api/v1/pools/web/members/lb1/enrollment-key", {}).json
        again = self.agent.enrol(self.server, rekeyed["enrollment_key"], "lb1", "--ca-cert", self.server.ca_cert)
        self.assertEqual(again.returncode, 1)
        self.assertIn("--force", again.stderr)
        forced = self.agent.enrol(self.server, rekeyed["enrollment_key"], "lb1", "--ca-cert", self.server.ca_cert,
                                  "--force")
        self.assertEqual(forced.returncode, 0, forced.stderr)

    def test_usage_errors_exit_2(self):
        for args in (["--enrol"], ["--enrol", "--key", "k", "--hostname", "h"], ["--key", "k"],
                     ["--once", "--enrol", "--key", "k", "--hostname", "h", "--api-base", "https://x"],
                     ["--log-level", "loud"], ["--bogus"]):
            with self.subTest(args=args):
                result = self.agent.run(*args)
                self.assertEqual(result.returncode, 2, result.stderr)
        version = self.agent.run("--version")
        self.assertEqual(version.returncode, 0)
        self.assertRegex(version.stdout, r"^balctl-agent \d+\.\d+\.\d+")

    def test_missing_or_broken_agent_env_names_the_problem(self):
        result = self.agent.run("--once", "--config-dir", self.agent.config_dir, "--state-dir",
                                os.path.join(self.dir, "state"))
        self.assertEqual(result.returncode, 1)
        self.assertIn("enrol first", result.stderr)
        os.makedirs(self.agent.config_dir, mode=0o700)
        with open(self.env_file(), "w") as f:
            f.write("BALCTL_API_BASE=https://127.0.0.1:1\nBALCTL_MEMBER_SECRET=bms.1.x\n")
        os.chmod(self.env_file(), 0o600)
        result = self.agent.run("--once", "--config-dir", self.agent.config_dir, "--state-dir",
                                os.path.join(self.dir, "state"))
        self.assertEqual(result.returncode, 1)
        self.assertIn("BALCTL_MEMBER_ID is missing", result.stderr)


if __name__ == "__main__":
    unittest.main()
