"""End to end: two members on 127.0.0.2 and 127.0.0.3, each with a real HAProxy and a real balctl-agent
(outbound source address bound to its member address), a real BIND on 127.0.0.1 serving the zone, and
the control plane deciding. What BIND answers is the truth we check."""
import os
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from dns_servers import Bind  # noqa: E402
from harness import Server, wait_until  # noqa: E402
from processes import Agent, Haproxy, port_free_on, temp_dir  # noqa: E402

FQDN = "lb.example.test"
MEMBERS = {"lb1": "127.0.0.2", "lb2": "127.0.0.3"}


class FailoverTest(unittest.TestCase):
    def setUp(self):
        self.dir = temp_dir(self)
        self.bind = Bind(os.path.join(self.dir, "bind")).start(initial_a=MEMBERS["lb1"])
        self.addCleanup(self.bind.cleanup)
        self.server = Server(data_dir=os.path.join(self.dir, "data")).start()
        self.addCleanup(self.server.cleanup)
        self.server.create_pool("web", FQDN, delay=3)
        self.port = port_free_on(*MEMBERS.values())
        result = self.server.cli("pool", "set", "web", "--haproxy-grace", "0", "--probe-ports", str(self.port),
                                 "--ttl", "5", "--settle", "2")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self.server.request("PUT", "/api/v1/pools/web/dns", self.bind.binding()).status, 200)
        self.haproxy = {}
        self.agents = {}
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
        result = agent.enrol(self.server, key, name, "--ca-cert", self.server.ca_cert, "--bind-address", address)
        self.assertEqual(result.returncode, 0, result.stderr)
        agent.configure(haproxy_socket=haproxy.socket, haproxy_pidfile=haproxy.pidfile, bind_address=address)
        agent.start()
        self.haproxy[name], self.agents[name] = haproxy, agent

    def members(self):
        listed = self.server.request("GET", "/api/v1/pools/web/members").json["members"]
        return {m["hostname"]: m for m in listed}

    def events(self, kind):
        return [e for e in self.server.events(limit=1000) if e["kind"] == kind]

    def answer(self):
        return self.bind.answer(FQDN)

    def test_members_report_from_their_own_addresses(self):
        members = self.members()
        self.assertEqual(members["lb1"]["source_ip"], "127.0.0.2")
        self.assertEqual(members["lb2"]["source_ip"], "127.0.0.3")
        self.assertEqual(members["lb1"]["role"], "active")
        self.assertEqual(self.answer(), ["127.0.0.2"])

    def test_haproxy_death_moves_the_record_and_the_old_active_stays_standby(self):
        killed = time.monotonic()
        self.haproxy["lb1"].kill()
        wait_until(lambda: self.answer() == ["127.0.0.3"], 5, interval=0.01, what="BIND answers the standby")
        moved_after = time.monotonic() - killed
        self.assertLess(moved_after, 2.0)
        failover = wait_until(lambda: self.events("failover"), 3, what="failover event")[0]
        self.assertIn("HAProxy stopped", failover["message"])
        self.assertEqual(self.members()["lb2"]["role"], "active")
        # lb1 comes back healthy: it stays standby (fail-back none), the record stays on lb2.
        self.haproxy["lb1"].start()
        wait_until(lambda: self.members()["lb1"]["haproxy"]["state"] == "running", 5, what="lb1 running again")
        time.sleep(4)
        self.assertEqual(self.members()["lb1"]["role"], "standby")
        self.assertEqual(self.members()["lb1"]["failover_ready"], "ready")
        self.assertEqual(self.answer(), ["127.0.0.3"])
        self.assertEqual(len(self.events("failover")), 1)

    def test_silent_host_death_fails_over_after_the_delay_and_confirmation(self):
        self.agents["lb1"].stop(signal.SIGKILL)
        self.haproxy["lb1"].kill()
        died = time.monotonic()
        wait_until(lambda: self.answer() == ["127.0.0.3"], 10, interval=0.05, what="failover after the delay")
        elapsed = time.monotonic() - died
        self.assertGreater(elapsed, 2.0, "not before the 3 s delay (minus the report interval)")
        self.assertLess(elapsed, 3 + 1.5)
        message = self.events("failover")[0]["message"]
        self.assertIn("no heartbeat from the active", message)
        # Every vantage point that answered could not connect (a killed HAProxy is refused at once).
        self.assertRegex(message, r"unreachable from ([12]) of \1 vantage points that answered")

    def test_silent_agent_with_reachable_service_is_not_failed_over(self):
        self.agents["lb1"].stop(signal.SIGKILL)  # HAProxy on lb1 keeps serving
        noted = wait_until(lambda: self.events("lost_contact_reachable"), 8, what="lost contact noted")
        self.assertIn("service still reachable from 2 of 2 vantage points", noted[0]["message"])
        time.sleep(2)
        self.assertEqual(self.answer(), ["127.0.0.2"])
        self.assertEqual(self.events("failover"), [])

    def test_standby_with_haproxy_stopped_is_never_chosen(self):
        self.haproxy["lb2"].kill()
        wait_until(lambda: self.members()["lb2"]["haproxy"]["state"] == "stopped", 3, what="lb2 stopped")
        self.haproxy["lb1"].kill()
        down = wait_until(lambda: self.events("pool_down"), 5, what="pool down")
        self.assertIn("no failover-ready standby", down[0]["message"])
        time.sleep(1)
        self.assertEqual(self.answer(), ["127.0.0.2"], "the record stays: there is nobody better")
        # lb2's HAProxy comes back: after the settle time (2 s) it takes over.
        self.haproxy["lb2"].start()
        wait_until(lambda: self.answer() == ["127.0.0.3"], 8, interval=0.05, what="failover once lb2 settled")

    def test_control_plane_restart_causes_no_failover(self):
        self.server.stop()
        time.sleep(4)  # longer than the pool delay: every member looks silent from the old timestamps
        self.server.start()
        time.sleep(5)
        self.assertEqual(self.events("failover_started"), [])
        self.assertEqual(self.answer(), ["127.0.0.2"])
        self.assertTrue(all(m["status"] == "online" for m in self.members().values()))

    def test_manual_cutover_and_maintenance(self):
        dry = self.server.cli("failover", "web", "--to", "lb2", "--dry-run")
        self.assertEqual(dry.returncode, 0, dry.stderr)
        self.assertIn("Would point lb.example.test at lb2 (127.0.0.3)", dry.stdout)
        self.assertEqual(self.answer(), ["127.0.0.2"])
        result = self.server.cli("failover", "web", "--to", "lb2")
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertEqual(self.answer(), ["127.0.0.3"])
        # Maintenance on the active hands over first (lb1 has settled by now).
        time.sleep(2)
        result = self.server.cli("member", "maintenance", "web", "lb2", "on")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("planned cutover", result.stdout)
        wait_until(lambda: self.answer() == ["127.0.0.2"], 5, what="planned cutover back to lb1")
        wait_until(lambda: self.members()["lb2"]["role"] == "maintenance", 3, what="lb2 in maintenance")
        refused = self.server.cli("failover", "web", "--to", "lb2")
        self.assertEqual(refused.returncode, 1)
        self.assertIn("in maintenance", refused.stderr)
        self.assertEqual(self.server.cli("member", "maintenance", "web", "lb2", "off").returncode, 0)
        self.assertEqual(self.members()["lb2"]["role"], "standby")
        actors = {e["actor"] for e in self.events("failover")}
        self.assertEqual(actors, {"admin:admin"})

    def test_manual_failover_refuses_an_unhealthy_target_unless_forced(self):
        self.haproxy["lb2"].kill()
        wait_until(lambda: self.members()["lb2"]["haproxy"]["state"] == "stopped", 3, what="lb2 stopped")
        refused = self.server.cli("failover", "web", "--to", "lb2")
        self.assertEqual(refused.returncode, 1)
        self.assertIn("not failover-ready (HAProxy stopped)", refused.stderr)
        self.assertEqual(self.answer(), ["127.0.0.2"])
        forced = self.server.cli("failover", "web", "--to", "lb2", "--force")
        self.assertEqual(forced.returncode, 0, forced.stderr)
        self.assertEqual(self.answer(), ["127.0.0.3"])
        held = wait_until(lambda: self.events("automatic_failover_held"), 3, what="hold noted")
        self.assertIn("held for 30.0 s", held[0]["message"])
        time.sleep(3)
        self.assertEqual(self.answer(), ["127.0.0.3"], "no automatic move straight back to lb1")


if __name__ == "__main__":
    unittest.main()
