"""What survives a restart: graceful stop, kill -9, schema versions, file permissions."""
import os
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from harness import BALCTL, Server, free_port, wait_until  # noqa: E402
from processes import Agent, Haproxy, temp_dir  # noqa: E402


class PersistenceTest(unittest.TestCase):
    def setUp(self):
        self.server = Server(extra_args=["--flush-interval-ms", "500"]).start()

    def tearDown(self):
        self.server.cleanup()

    def populate(self):
        self.server.create_pool("web", "lb.example.com", delay=5)
        self.server.create_pool("api", "api.example.com", delay=20, preset="generic")
        secret_a = self.server.enrolled_member("web", "lb-a", "192.0.2.1")
        secret_b = self.server.enrolled_member("web", "lb-b", "192.0.2.2")
        pending_key = self.server.add_member("api", "api-1", "192.0.2.3")["enrollment_key"]
        token = self.server.request("POST", "/api/v1/tokens", {"name": "ops"}).json["token"]
        self.assertEqual(self.server.heartbeat(secret_a, seq=41).status, 200)
        self.assertEqual(self.server.heartbeat(secret_b, seq=42, haproxy="stopped").status, 200)
        return secret_a, secret_b, pending_key, token

    def stored_view(self):
        pools = self.server.request("GET", "/api/v1/pools").json["pools"]
        view = {}
        for pool in pools:
            members = {m["hostname"]: (m["role"], m["ipv4"], m["enrolled"], m.get("seq"), m["haproxy"]["state"],
                                       m.get("last_heartbeat_at"))
                       for m in pool["members"]}
            view[pool["name"]] = (pool["hostname"], pool["delay_s"], pool["preset"], pool["active_member"], members)
        return view

    def test_graceful_restart_keeps_everything(self):
        secret_a, secret_b, pending_key, token = self.populate()
        before = self.stored_view()
        events_before = self.server.events(limit=1000)
        code = self.server.stop(signal.SIGTERM)
        self.assertEqual(code, 0, self.server.log_text()[-2000:])
        self.server.start()
        self.assertEqual(self.stored_view(), before)
        events_after = self.server.events(limit=1000)
        self.assertEqual(events_after[:len(events_before)], events_before)
        # Credentials, keys and tokens still work.
        self.assertEqual(self.server.heartbeat(secret_a, seq=43).status, 200)
        self.assertEqual(self.server.request("GET", "/api/v1/pools", token=token).status, 200)
        self.assertEqual(self.server.enrol(pending_key, "api-1").status, 200)
        self.assertIn("stopped", self.server.log_text())

    def test_kill9_loses_at_most_the_last_liveness_batch(self):
        secret_a, _, _, _ = self.populate()
        time.sleep(1.2)  # more than two flush intervals: the heartbeats above are in the store
        before = self.stored_view()
        self.server.kill9()
        self.server.start()
        self.assertEqual(self.stored_view(), before)
        self.assertEqual(self.server.member("web", "lb-a")["seq"], 41)
        self.assertEqual(self.server.heartbeat(secret_a, seq=44).status, 200)

    def test_no_offline_storm_right_after_a_restart(self):
        secret_a, _, _, _ = self.populate()
        time.sleep(1.2)
        self.server.stop()
        self.server.start()
        # Members get one pool delay (5 s) to report again before anyone is called offline.
        time.sleep(2.5)
        offline = [e for e in self.server.events(limit=1000) if e["kind"] == "member_offline"]
        self.assertEqual(offline, [])
        self.assertEqual(self.server.heartbeat(secret_a, seq=45).status, 200)

    def test_shutdown_with_idle_keep_alive_connections_is_prompt(self):
        self.populate()
        idle = [self.server.raw_socket() for _ in range(5)]
        started = time.monotonic()
        code = self.server.stop(signal.SIGTERM)
        elapsed = time.monotonic() - started
        for sock in idle:
            sock.close()
        self.assertEqual(code, 0)
        self.assertLess(elapsed, 5)

    def test_newer_schema_is_refused_with_a_clear_message(self):
        self.server.stop()
        db = sqlite3.connect(os.path.join(self.server.data_dir, "balctl.db"))
        db.execute("PRAGMA user_version = 99")
        db.commit()
        db.close()
        result = subprocess.run([BALCTL, "serve", "--data-dir", self.server.data_dir, "--listen",
                                 f"127.0.0.1:{self.server.port}"], capture_output=True, text=True, timeout=20)
        self.assertEqual(result.returncode, 1)
        self.assertIn("schema is version 99", result.stderr)
        self.assertIn("newer balctl", result.stderr)

    def test_secrets_are_private_files(self):
        for name in ("admin.token", "tls.key", "signing.key", "balctl.db"):
            mode = stat.S_IMODE(os.stat(os.path.join(self.server.data_dir, name)).st_mode)
            self.assertEqual(mode, 0o600, name)
        self.assertEqual(stat.S_IMODE(os.stat(self.server.data_dir).st_mode), 0o700)
        # The admin token is stored only as a hash.
        token = self.server.admin_token
        db = sqlite3.connect(os.path.join(self.server.data_dir, "balctl.db"))
        stored = [row[0] for row in db.execute("SELECT token_hash FROM admin_tokens")]
        db.close()
        self.assertNotIn(token, stored)
        self.assertNotIn(token, self.server.log_text())

    def test_server_runs_on_jemalloc_with_its_background_purger(self):
        # The `balctl` binary links jemalloc (common/heap.hpp says why); the start line names the allocator,
        # and the background thread that returns freed pages to the kernel must be running.
        if os.environ.get("BALCTL_SANITIZED"):
            self.skipTest("ASan build: the sanitizer's allocator replaces jemalloc there")
        self.assertRegex(self.server.log_text(), r'ready version=\S+ .* malloc="jemalloc 5\.')
        pid = self.server.process.pid
        with open(f"/proc/{pid}/maps") as f:
            self.assertIn("libjemalloc.so", f.read())
        names = []
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                names.append(f.read().strip())
        self.assertIn("jemalloc_bg_thd", names)

    def test_cpu_affinity_auto_pins_each_io_thread_and_nothing_else(self):
        self.server.stop()
        self.server.extra_args += ["--threads", "2", "--cpu-affinity", "auto"]
        self.server.start()
        allowed = sorted(os.sched_getaffinity(0))  # the server inherits this process's mask
        pid = self.server.process.pid
        masks = {int(tid): sorted(os.sched_getaffinity(int(tid))) for tid in os.listdir(f"/proc/{pid}/task")}
        expected = ",".join(str(c) for c in (allowed * 2)[:2])
        self.assertIn(f"io_threads count=2 cpu_affinity=auto cpus={expected}", self.server.log_text())
        if len(allowed) < 2:
            self.skipTest("one CPU: pinned and unpinned threads look alike")
        # The main thread runs I/O thread 0 on the first CPU, the other I/O thread has the second; every
        # other thread (persister, failover ticker, alerts, allocator) keeps the whole mask.
        self.assertEqual(masks.pop(pid), [allowed[0]])
        pinned = [tid for tid, mask in masks.items() if mask != allowed]
        self.assertEqual(len(pinned), 1, masks)
        self.assertEqual(masks[pinned[0]], [allowed[1]])
        self.assertGreaterEqual(len(masks) - 1, 3, masks)
        # And without the flag nothing is pinned.
        self.server.stop()
        self.server.extra_args = self.server.extra_args[:-4]
        self.server.start()
        pid = self.server.process.pid
        self.assertTrue(all(sorted(os.sched_getaffinity(int(tid))) == allowed
                            for tid in os.listdir(f"/proc/{pid}/task")))

    def test_admin_token_file_is_created_once(self):
        token = self.server.admin_token
        self.server.restart()
        self.assertEqual(self.server.admin_token, token)

    def test_member_secrets_never_reach_the_log_or_store(self):
        self.server.create_pool("web", "lb.example.com")
        secret = self.server.enrolled_member("web", "lb1", "192.0.2.1")
        self.server.heartbeat(secret)
        self.server.stop()
        self.assertNotIn(secret, self.server.log_text())
        with open(os.path.join(self.server.data_dir, "balctl.db"), "rb") as f:
            self.assertNotIn(secret.encode(), f.read())
        self.server.start()

    def test_haproxy_version_is_shown_again_right_after_a_restart(self):
        self.server.create_pool("web", "lb.example.com")
        secret = self.server.enrolled_member("web", "lb1", "192.0.2.1")
        self.assertEqual(self.server.heartbeat(secret, seq=7).status, 200)  # reports HAProxy 2.6.12
        time.sleep(1.2)  # more than two flush intervals
        for stop in (self.server.kill9, self.server.stop):
            stop()
            self.server.start()
            # No heartbeat since the restart: what is shown is what was stored.
            member = self.server.member("web", "lb1")
            self.assertEqual(member["seq"], 7)
            self.assertEqual({k: member["haproxy"][k] for k in ("state", "version", "stats", "display")},
                             {"state": "running", "version": "2.6.12", "stats": "ok", "display": "running"})
            shown = self.server.cli("member", "show", "web", "lb1")
            self.assertEqual(shown.returncode, 0, shown.stderr)
            self.assertIn("HAProxy running 2.6.12", shown.stdout)

    def test_second_server_on_the_same_data_dir_exits_naming_the_first(self):
        first_pid = self.server.process.pid
        with open(os.path.join(self.server.data_dir, "balctl.lock")) as f:
            self.assertEqual(f.read(), f"{first_pid}\n")
        second = subprocess.run([BALCTL, "serve", "--data-dir", self.server.data_dir, "--listen",
                                 f"127.0.0.1:{free_port()}"], capture_output=True, text=True, timeout=20)
        self.assertEqual(second.returncode, 1, second.stderr)
        self.assertIn(f"in use by another balctl serve (PID {first_pid}", second.stderr)
        self.assertNotIn("schema_migrated", second.stderr, "refused before the database was opened")
        self.assertEqual(self.server.request("GET", "/healthz", token=None).status, 200, "the first one is unharmed")
        # kill -9 runs no clean-up, but the kernel drops the lock with the process: a restart is not blocked.
        self.server.kill9()
        self.server.start()
        with open(os.path.join(self.server.data_dir, "balctl.lock")) as f:
            self.assertEqual(f.read(), f"{self.server.process.pid}\n")
        # And after a graceful stop too.
        self.server.stop()
        self.server.start()

    def test_duplicates_from_before_they_were_refused_do_not_stop_the_server(self):
        self.server.create_pool("web", "lb.example.com")
        self.server.create_pool("api", "api.example.com")
        self.server.add_member("web", "lb-a", "192.0.2.1")
        self.server.add_member("web", "lb-b", "192.0.2.2")
        self.server.stop()
        # Make it the schema-4 database an older balctl wrote, holding what that one let through: two pools
        # on one hostname, two members of a pool on one address.
        db = sqlite3.connect(os.path.join(self.server.data_dir, "balctl.db"))
        db.executescript("""
            DROP INDEX pools_hostname; DROP INDEX members_pool_ipv4;
            ALTER TABLE pools DROP COLUMN legacy_duplicate; ALTER TABLE members DROP COLUMN legacy_duplicate;
            ALTER TABLE member_state DROP COLUMN haproxy_version;
            UPDATE pools SET hostname = 'lb.example.com' WHERE name = 'api';
            UPDATE members SET ipv4 = '192.0.2.1' WHERE hostname = 'lb-b';
            PRAGMA user_version = 4;""")
        db.close()
        for _ in range(2):  # the upgrade, then an ordinary restart
            self.server.start()
            notes = [(e["kind"], e["pool"], e["member"]) for e in self.server.events(limit=1000)
                     if e["kind"].startswith("duplicate_")]
            self.assertEqual(notes, [("duplicate_hostname", "api", ""), ("duplicate_ipv4", "web", "lb-b")],
                             "named once, by the upgrade")
            self.server.stop()
            log = self.server.log_text()
        # Warned at every start until resolved.
        self.assertEqual(log.count("duplicate_hostname hostname=lb.example.com pool=api other_pool=web"), 2)
        self.assertEqual(log.count("duplicate_ipv4 ipv4=192.0.2.1 pool=web member=lb-b other_member=lb-a"), 2)
        self.server.start()
        self.assertEqual(self.server.member("web", "lb-b")["ipv4"], "192.0.2.1", "nothing was lost")
        refused = self.server.request("POST", "/api/v1/pools", {"name": "shop", "hostname": "lb.example.com"})
        self.assertEqual((refused.status, refused.error_code), (409, "hostname_in_use"), refused)
        self.assertIn("pool 'web'", refused.json["error"]["message"])
        reply = self.server.request("PATCH", "/api/v1/pools/api", {"hostname": "api.example.com"})
        self.assertEqual(reply.status, 200, reply)
        self.server.restart()
        log = self.server.log_text()
        self.assertEqual(log.count("duplicate_hostname hostname="), 3, "resolved: not warned at the fourth start")
        self.assertEqual(log.count("duplicate_ipv4 ipv4="), 4, "still there: warned again")

    def test_port_in_use_is_a_clear_start_failure(self):
        blocker = socket.socket()
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        result = subprocess.run([BALCTL, "serve", "--data-dir", self.server.data_dir + "-2", "--listen",
                                 f"127.0.0.1:{port}"], capture_output=True, text=True, timeout=20)
        blocker.close()
        self.assertEqual(result.returncode, 1)
        self.assertIn("cannot listen", result.stderr)


class AgentEventsSurviveKill9Test(unittest.TestCase):
    """A real agent and a real HAProxy: the event of a state change the agent was told about is on disk,
    whatever kill -9 interrupts. The flush interval is the longest there is (10 s), so an event that waited
    for the liveness batch would be lost for certain."""

    def setUp(self):
        self.dir = temp_dir(self)
        self.server = Server(data_dir=os.path.join(self.dir, "data"),
                             extra_args=["--flush-interval-ms", "10000"]).start()
        self.addCleanup(self.server.cleanup)
        self.server.create_pool("web", "lb.example.com", delay=10)
        self.haproxy = Haproxy(os.path.join(self.dir, "haproxy")).start()
        self.addCleanup(self.haproxy.cleanup)
        self.agent = Agent(os.path.join(self.dir, "agent"))
        self.addCleanup(self.agent.cleanup)
        key = self.server.add_member("web", "lb1", "127.0.0.2")["enrollment_key"]
        result = self.agent.enrol(self.server, key, "lb1", "--ca-cert", self.server.ca_cert)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.agent.configure(haproxy_socket=self.haproxy.socket, haproxy_pidfile=self.haproxy.pidfile)
        self.agent.start()
        wait_until(lambda: self.server.member("web", "lb1")["haproxy"]["state"] == "running", 10,
                   what="lb1 online with HAProxy running")

    def haproxy_events(self):
        return [e["message"] for e in self.server.events(limit=1000) if e["kind"] == "haproxy_state"]

    def test_kill9_right_after_a_haproxy_state_change_keeps_its_event(self):
        self.haproxy.kill()
        # The agent reports the change at once; kill -9 as soon as it has the answer.
        wait_until(lambda: "haproxy=stopped" in self.agent.log_text(), 5, interval=0.005,
                   what="the agent's heartbeat with HAProxy stopped answered")
        self.server.kill9()
        self.server.start()
        self.assertEqual(self.haproxy_events(), ["HAProxy running -> stopped"])
        # The state it reflects was written with it: the agent's next heartbeats after the restart (still
        # "stopped") are no change, so the event is not raised a second time.
        seq = self.server.member("web", "lb1")["seq"]
        wait_until(lambda: self.server.member("web", "lb1")["seq"] >= seq + 2, 10, what="two more heartbeats")
        self.assertEqual(self.haproxy_events(), ["HAProxy running -> stopped"])
        self.assertEqual(self.server.member("web", "lb1")["haproxy"]["state"], "stopped")

    def test_kill9_before_the_batch_loses_member_online_with_its_state_and_it_is_raised_again(self):
        # setUp saw lb1 online (in memory) a few seconds after the start: the first 10 s batch, which writes
        # member_online with the state it announces, has not run yet.
        self.assertEqual([e for e in self.server.events() if e["kind"] == "member_online"], [],
                         "precondition: member_online still waits for its batch")
        self.server.kill9()
        self.server.start()
        # The agent's next heartbeat is its first again for the restarted server; its batch writes it.
        online = wait_until(lambda: [e for e in self.server.events() if e["kind"] == "member_online"], 15,
                            what="member_online after the restart")
        self.assertEqual(len(online), 1, online)
        self.assertIn("first heartbeat (agent", online[0]["message"])
        seq = self.server.member("web", "lb1")["seq"]
        wait_until(lambda: self.server.member("web", "lb1")["seq"] >= seq + 2, 10, what="two more heartbeats")
        self.assertEqual([e["kind"] for e in self.server.events()].count("member_online"), 1, "announced once")
        self.assertEqual(self.server.member("web", "lb1")["status"], "online")


if __name__ == "__main__":
    unittest.main()
