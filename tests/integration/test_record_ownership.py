"""balctl owns the pool's record: `dns set` proves the binding and publishes the healthy active's address,
the record is read back and repaired when it drifts (also after a restart), status says dns_mismatch while
it is wrong; plus the operator paths around a switch: removing the active, --cancel, --retry-now, a new
pool that has not reported yet. Real `balctl serve`, real BIND; members report with real heartbeats."""
import os
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from dns_servers import SECRET, Bind  # noqa: E402
from harness import Server, wait_until  # noqa: E402
from processes import temp_dir  # noqa: E402

FQDN = "lb.example.test"
LEFTOVER = "127.0.0.99"


class Reporter:
    """Heartbeats for members, every 300 ms, on a thread (the agent's job, without HAProxy)."""

    def __init__(self, server):
        self.server = server
        self.secrets = {}
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def add(self, name, secret):
        self.secrets[name] = secret

    def drop(self, name):
        self.secrets.pop(name, None)

    def _run(self):
        seq = 0
        while not self.stopping.wait(0.3):
            seq += 1
            for secret in list(self.secrets.values()):
                try:
                    self.server.heartbeat(secret, seq=seq)
                except OSError:
                    pass

    def stop(self):
        self.stopping.set()
        self.thread.join(timeout=5)


class RecordOwnershipTest(unittest.TestCase):
    def setUp(self, extra_args=()):
        self.dir = temp_dir(self)
        self.bind = Bind(os.path.join(self.dir, "bind")).start(initial_a=LEFTOVER)
        self.addCleanup(self.bind.cleanup)
        self.server = Server(data_dir=os.path.join(self.dir, "data"),
                             extra_args=["--dns-check-interval-s", "10", *extra_args]).start()
        self.addCleanup(self.server.cleanup)
        self.server.create_pool("web", FQDN, delay=3)
        self.assertEqual(self.server.cli("pool", "set", "web", "--probe-ports", "none", "--settle", "0",
                                         "--ttl", "5").returncode, 0)
        self.reporter = Reporter(self.server)
        self.addCleanup(self.reporter.stop)
        self.secrets = {}
        for name, address in (("lb1", "127.0.0.2"), ("lb2", "127.0.0.3")):
            self.secrets[name] = self.server.enrolled_member("web", name, address)
            self.reporter.add(name, self.secrets[name])
        wait_until(lambda: all(m["status"] == "online" for m in self.members().values()), 5, what="members online")

    def dns_set(self, *extra):
        return self.server.cli("dns", "set", "web", "--provider", "rfc2136", "--server", f"127.0.0.1:{self.bind.port}",
                               "--zone", "example.test", "--tsig-name", "balctl-key", "--tsig-secret", SECRET, *extra)

    def members(self):
        return {m["hostname"]: m for m in self.server.request("GET", "/api/v1/pools/web/members").json["members"]}

    def events(self, kind):
        return [e for e in self.server.events(limit=1000) if e["kind"] == kind]

    def state(self):
        return self.server.request("GET", "/api/v1/status").json["pools"][0]["state"]

    def test_dns_set_shows_the_answer_and_publishes_the_active(self):
        result = self.dns_set()
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn(f"The record answers now: {LEFTOVER}", result.stdout)
        self.assertIn("publishing 127.0.0.2 (lb1, the active member)", result.stdout)
        self.assertIn(f"Verified: {FQDN} answers 127.0.0.2.", result.stdout)
        self.assertEqual(self.bind.answer(FQDN), ["127.0.0.2"])
        self.assertEqual(len(self.events("dns_published")), 1)
        self.assertIn(self.state(), ("ok",))
        self.assertIn("matches", self.server.cli("dns", "check", "web").stdout)

    def test_no_publish_leaves_the_record_flagged_until_the_active_is_republished(self):
        result = self.dns_set("--no-publish")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("not publishing", result.stdout)
        self.assertEqual(self.bind.answer(FQDN), [LEFTOVER])
        self.assertEqual(self.state(), "dns_mismatch", "never ok while users are sent elsewhere")
        check = self.server.cli("dns", "check", "web")
        self.assertIn("DOES NOT MATCH", check.stdout)
        self.assertIn("--to ACTIVE", check.stdout)
        time.sleep(1)
        self.assertEqual(self.bind.answer(FQDN), [LEFTOVER], "left alone: balctl never published it")
        republish = self.server.cli("failover", "web", "--to", "lb1")
        self.assertEqual(republish.returncode, 0, republish.stdout + republish.stderr)
        self.assertIn("re-publish 127.0.0.2", republish.stdout)
        self.assertEqual(self.bind.answer(FQDN), ["127.0.0.2"])
        self.assertEqual(self.state(), "ok")
        again = self.server.cli("failover", "web", "--to", "lb1")
        self.assertEqual(again.returncode, 1)
        self.assertIn("already the active member and the record points at it", again.stderr)

    def test_drift_is_found_by_the_periodic_read_back_and_repaired(self):
        self.assertEqual(self.dns_set().returncode, 0)
        self.bind.change_record("127.0.0.77")
        changed = time.monotonic()
        drift = wait_until(lambda: self.events("dns_drift"), 15, what="dns_drift from the periodic read-back")
        self.assertIn("answers 127.0.0.77, not 127.0.0.2", drift[0]["message"])
        wait_until(lambda: self.bind.answer(FQDN) == ["127.0.0.2"], 5, what="record repaired")
        print(f"drift repaired {time.monotonic() - changed:.1f} s after the change (check interval 10 s)")
        self.assertTrue(self.events("dns_repaired"))
        self.assertEqual(self.state(), "ok")

    def test_dns_check_finds_drift_at_once(self):
        self.assertEqual(self.dns_set().returncode, 0)
        self.bind.change_record("127.0.0.77")
        self.assertIn("DOES NOT MATCH", self.server.cli("dns", "check", "web").stdout)
        wait_until(lambda: self.bind.answer(FQDN) == ["127.0.0.2"], 5, what="repair right after dns check")

    def test_with_repair_off_drift_is_only_reported(self):
        self.assertEqual(self.dns_set().returncode, 0)
        self.assertEqual(self.server.cli("pool", "set", "web", "--dns-repair", "off").returncode, 0)
        self.bind.change_record("127.0.0.77")
        self.server.cli("dns", "check", "web")
        wait_until(lambda: self.events("dns_drift"), 5, what="dns_drift")
        self.assertIn("repair is off", self.events("dns_drift")[0]["message"])
        time.sleep(1.5)
        self.assertEqual(self.bind.answer(FQDN), ["127.0.0.77"])
        self.assertEqual(self.state(), "dns_mismatch")

    def test_drift_while_the_control_plane_was_down_is_repaired_after_the_restart(self):
        self.assertEqual(self.dns_set().returncode, 0)
        self.server.stop()
        self.bind.change_record("127.0.0.77")
        self.server.start()
        wait_until(lambda: self.bind.answer(FQDN) == ["127.0.0.2"], 25, what="repair after the restart")
        self.assertTrue(self.events("dns_drift"))

    def test_removing_the_active_cuts_over_first(self):
        self.assertEqual(self.dns_set().returncode, 0)
        dry = self.server.cli("member", "remove", "web", "lb1", "--dry-run")
        self.assertEqual(dry.returncode, 0, dry.stderr)
        self.assertIn("cut over first", dry.stdout)
        result = self.server.cli("member", "remove", "web", "lb1")
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("after the cutover to lb2", result.stdout)
        self.assertEqual(self.bind.answer(FQDN), ["127.0.0.3"])
        self.assertEqual(list(self.members()), ["lb2"])
        self.assertEqual(self.members()["lb2"]["role"], "active")
        self.assertTrue(self.events("maintenance_on"))

    def test_removing_the_last_ready_member_needs_force(self):
        self.assertEqual(self.dns_set().returncode, 0)
        self.reporter.drop("lb2")
        wait_until(lambda: self.members()["lb2"]["failover_ready"] != "ready", 6, what="lb2 not ready")
        refused = self.server.cli("member", "remove", "web", "lb1")
        self.assertEqual(refused.returncode, 1)
        self.assertIn("no standby is failover-ready", refused.stderr)
        self.assertEqual(self.bind.answer(FQDN), ["127.0.0.2"])
        forced = self.server.cli("member", "remove", "web", "lb1", "--force")
        self.assertEqual(forced.returncode, 0, forced.stderr)
        self.assertEqual(self.state(), "down", "members but nobody active: not 'empty'")
        # lb2 reports again: a pool without an active takes its ready standby.
        self.reporter.add("lb2", self.secrets["lb2"])
        wait_until(lambda: self.bind.answer(FQDN) == ["127.0.0.3"], 8, what="lb2 promoted and published")

    def test_a_pool_without_an_active_promotes_its_ready_standby(self):
        self.assertEqual(self.dns_set().returncode, 0)
        self.reporter.drop("lb1")
        self.assertEqual(self.server.cli("member", "remove", "web", "lb2").returncode, 0)  # a standby: at once
        self.assertEqual(self.server.cli("member", "remove", "web", "lb1", "--force").returncode, 0)
        secret = self.server.enrolled_member("web", "lb3", "127.0.0.4")
        self.reporter.add("lb3", secret)
        wait_until(lambda: self.bind.answer(FQDN) == ["127.0.0.4"], 8, what="lb3 promoted and published")
        self.assertEqual(self.members()["lb3"]["role"], "active")

    def test_a_switch_that_times_out_says_it_continues_and_can_be_retried_now(self):
        self.assertEqual(self.dns_set().returncode, 0)
        self.bind.stop()
        result = self.server.cli("failover", "web", "--to", "lb2", "--timeout", "3")
        self.assertEqual(result.returncode, 1)
        self.assertIn("continues in the background", result.stderr)
        self.assertIn("switching to lb2, attempt", result.stderr)
        self.assertIn("--retry-now", result.stderr)
        self.assertIn("--cancel", result.stderr)
        wait_until(lambda: len(self.events("failover_failed")) >= 2, 10, what="two failed attempts")
        self.bind.start(initial_a="127.0.0.2")
        started = time.monotonic()
        retry = self.server.cli("failover", "web", "--retry-now")
        self.assertEqual(retry.returncode, 0, retry.stderr)
        wait_until(lambda: self.bind.answer(FQDN) == ["127.0.0.3"], 3, what="record moved by the retry")
        self.assertLess(time.monotonic() - started, 3, "did not wait out the backoff")

    def test_a_cancelled_switch_stops_retrying(self):
        self.assertEqual(self.dns_set().returncode, 0)
        self.bind.stop()
        self.assertEqual(self.server.cli("failover", "web", "--to", "lb2", "--no-wait").returncode, 0)
        wait_until(lambda: self.events("failover_failed"), 5, what="a failed attempt")
        cancel = self.server.cli("failover", "web", "--cancel")
        self.assertEqual(cancel.returncode, 0, cancel.stderr)
        self.assertIn("cancelled", cancel.stdout)
        pool = self.server.request("GET", "/api/v1/pools/web").json
        self.assertEqual(pool["failover"]["phase"], "steady")
        self.assertEqual(pool["active_member"], "lb1")
        failed = len(self.events("failover_failed"))
        self.bind.start(initial_a="127.0.0.2")
        time.sleep(3)
        self.assertEqual(len(self.events("failover_failed")), failed, "no more attempts")
        self.assertEqual(self.bind.answer(FQDN), ["127.0.0.2"])
        again = self.server.cli("failover", "web", "--cancel")
        self.assertEqual(again.returncode, 1)
        self.assertIn("no failover is in progress", again.stderr)


class NewPoolTest(unittest.TestCase):
    def test_a_new_pool_is_not_down_before_its_first_heartbeat_and_recovers_visibly(self):
        directory = temp_dir(self)
        server = Server(data_dir=os.path.join(directory, "data")).start()
        self.addCleanup(server.cleanup)
        time.sleep(3.2)  # past the start-up grace of a 3 s delay
        server.create_pool("web", FQDN, delay=3)
        secret = server.enrolled_member("web", "lb1", "127.0.0.2")
        time.sleep(1.5)
        kinds = [e["kind"] for e in server.events(limit=1000)]
        self.assertNotIn("pool_down", kinds, "judged only after its agent had a delay to report")
        wait_until(lambda: "pool_down" in [e["kind"] for e in server.events(limit=1000)], 5,
                   what="pool_down once the agent never reported")
        self.assertEqual(server.heartbeat(secret).status, 200)
        recovered = wait_until(lambda: [e for e in server.events(limit=1000) if e["kind"] == "pool_recovered"], 3,
                               what="pool_recovered")
        self.assertIn("is served again", recovered[0]["message"])


if __name__ == "__main__":
    unittest.main()
