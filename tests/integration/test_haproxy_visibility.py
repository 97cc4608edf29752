"""Which HAProxy the agent reports, and how it shows a HAProxy it cannot read (issue 13, 3b): a real
control plane, real agents and real HAProxy processes on 127.0.0.0/8 (systemd is not PID 1 here, so the
agent judges by pidfile, stats socket or process)."""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from harness import Server, wait_until  # noqa: E402
from processes import Agent, Haproxy, temp_dir  # noqa: E402


class HaproxyVisibilityTest(unittest.TestCase):
    def setUp(self):
        self.dir = temp_dir(self)
        self.server = Server(data_dir=os.path.join(self.dir, "data")).start()
        self.addCleanup(self.server.cleanup)
        self.server.create_pool("web", "lb.example.com", delay=3)
        self.haproxy = Haproxy(os.path.join(self.dir, "haproxy")).start()
        self.addCleanup(self.haproxy.cleanup)
        # Someone else's HAProxy on the same host: never ours.
        self.stranger = Haproxy(os.path.join(self.dir, "stranger")).start()
        self.addCleanup(self.stranger.cleanup)
        self.agent = Agent(os.path.join(self.dir, "agent"))
        self.addCleanup(self.agent.cleanup)
        added = self.server.add_member("web", "lb1", "127.0.0.2")
        result = self.agent.enrol(self.server, added["enrollment_key"], "lb1", "--ca-cert",
                                  self.server.ca_cert)
        self.assertEqual(result.returncode, 0, result.stderr)

    def member(self):
        return self.server.member("web", "lb1")

    def master_pid(self, haproxy):
        with open(haproxy.pidfile) as f:
            return int(f.read().split()[0])

    def cli_text(self, *args):
        result = self.server.cli(*args)
        self.assertEqual(result.returncode, 0, result.stderr)
        return result.stdout

    def test_wrong_socket_shows_running_with_stats_unavailable_and_the_reason(self):
        wrong = os.path.join(self.dir, "no-such", "admin.sock")
        self.agent.configure(haproxy_socket=wrong, haproxy_pidfile=self.haproxy.pidfile)
        self.agent.start()
        member = wait_until(lambda: (m := self.member())["haproxy"]["state"] == "running" and
                            m["haproxy"]["stats"] == "unavailable" and m, 8, what="degraded HAProxy reported")
        reason = f"stats socket {wrong}: no such file"
        self.assertEqual(member["haproxy"]["stats_error"], reason)
        self.assertEqual(member["haproxy"]["display"], f"running, stats unavailable: {reason}")
        shown = self.cli_text("member", "show", "web", "lb1")
        self.assertIn(f"HAProxy running, stats unavailable: {reason}", shown)
        self.assertIn(f"HAProxy process found by pidfile {self.haproxy.pidfile}", shown)
        listed = self.cli_text("member", "list", "web")
        self.assertIn("running, stats unavailable: stats socket", listed)
        # The agent says so once, not at every stats read (every 5 s).
        time.sleep(6)
        self.assertEqual(self.agent.log_text().count("haproxy_stats_unavailable"), 1, self.agent.log_text())
        # Healthy is still healthy for failover: a running HAProxy with a wrong socket is not "stopped".
        self.assertEqual(self.member()["haproxy"]["state"], "running")

    def test_pidfile_names_the_process_even_with_another_haproxy_running(self):
        self.agent.configure(haproxy_socket=self.haproxy.socket, haproxy_pidfile=self.haproxy.pidfile)
        self.agent.start()
        wait_until(lambda: self.member()["haproxy"]["stats"] == "ok", 8, what="HAProxy with stats")
        report = wait_until(lambda: self.member()["report"], 5, what="report")
        self.assertEqual(report["haproxy"]["found_by"], f"pidfile {self.haproxy.pidfile}")
        self.assertIn(f"process {self.master_pid(self.haproxy)} is haproxy", report["haproxy"]["detail"])
        shown = self.cli_text("member", "show", "web", "lb1")
        self.assertIn(f"found by pidfile {self.haproxy.pidfile}", shown)
        # Ours stops: stopped, although the stranger still runs and is called haproxy.
        self.haproxy.kill()
        wait_until(lambda: self.member()["haproxy"]["state"] == "stopped", 3, what="ours reported stopped")
        time.sleep(1.5)
        self.assertEqual(self.member()["haproxy"]["state"], "stopped")

    def test_without_pidfile_the_stats_socket_names_the_process_not_its_name(self):
        # No pidfile: the configured socket says which HAProxy is ours (its master, which outlives reloads).
        self.agent.configure(haproxy_socket=self.haproxy.socket)
        self.agent.start()
        wait_until(lambda: self.member()["haproxy"]["stats"] == "ok", 8, what="HAProxy with stats")
        report = wait_until(lambda: self.member()["report"], 5, what="report")
        self.assertEqual(report["haproxy"]["found_by"], f"stats socket {self.haproxy.socket}")
        self.assertIn(f"process {self.master_pid(self.haproxy)} is haproxy", report["haproxy"]["detail"])
        shown = self.cli_text("member", "show", "web", "lb1")
        self.assertIn(f"found by stats socket {self.haproxy.socket}", shown)
        self.haproxy.kill()
        wait_until(lambda: self.member()["haproxy"]["state"] == "stopped", 3, what="ours reported stopped")
        time.sleep(2)  # long enough for the agent to have looked again (the socket at most once a second)
        self.assertEqual(self.member()["haproxy"]["state"], "stopped",
                         "the stranger is never adopted by name")
        self.assertIn("not guessing by process name", self.agent.log_text())


if __name__ == "__main__":
    unittest.main()
