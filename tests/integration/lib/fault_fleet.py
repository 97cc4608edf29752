"""A pool on the fault rig: `balctl serve` and BIND in the control-plane namespace, members lb1 (the
active) and lb2, each a real HAProxy and a real balctl-agent in its own namespace, reaching the control
plane and each other only through the link emulator (see fault_rig.py for the wiring).

Probe ports are the HAProxy frontend (fe_http, FRONTEND_PORT); user traffic goes to the member's
`listen health` (HEALTH_PORT, answers 200 "ok") over the same links. Used by tests/integration/test_faults.py
and bench/fault-soak."""
import http.client
import os
import threading
import time

from dns_servers import Bind
from fault_rig import FaultRig
from harness import Server, wait_until
from processes import Agent, Haproxy

FQDN = "lb.example.test"
FRONTEND_PORT = 8080
HEALTH_PORT = 8081
POOL = "web"


class Member:
    def __init__(self, name, address, haproxy, agent):
        self.name, self.address, self.haproxy, self.agent = name, address, haproxy, agent


class FaultFleet:
    def __init__(self, directory, delay=5, members=("lb1", "lb2"), log_level="debug", seed=None):
        self.dir = directory
        self.delay = delay
        self.log_level = log_level
        self.rig = FaultRig(os.path.join(directory, "rig"), members=members, seed=seed)
        self.members = {}
        self.bind = None
        self.server = None
        self._cleanups = [self.rig.cleanup]

    def start(self):
        """Everything up, both members healthy, the control plane past its start-up grace (one delay, in
        which silence is not judged). Bounded: about delay + a few seconds."""
        self.rig.start()
        first = self.rig.members[0]
        self.bind = Bind(os.path.join(self.dir, "bind")).start(initial_a=self.rig.address(first))
        self._cleanups.append(self.bind.cleanup)
        self.server = Server(data_dir=os.path.join(self.dir, "data"), host=self.rig.address(FaultRig.CONTROL_PLANE),
                             log_level=self.log_level)
        self._cleanups.append(self.server.cleanup)
        self.server.start()
        server_started = time.monotonic()
        self.server.create_pool(POOL, FQDN, delay=self.delay)
        result = self.server.cli("pool", "set", POOL, "--probe-ports", str(FRONTEND_PORT), "--ttl", "5",
                                 "--settle", "2")
        assert result.returncode == 0, result.stderr
        reply = self.server.request("PUT", f"/api/v1/pools/{POOL}/dns", self.bind.binding())
        assert reply.status == 200, reply
        for name in self.rig.members:  # the first enrols first: it is the active
            self._start_member(name)
        self.wait_healthy(20)
        grace_left = self.delay + 0.5 - (time.monotonic() - server_started)
        if grace_left > 0:
            time.sleep(grace_left)
        return self

    def _start_member(self, name):
        address, namespace = self.rig.address(name), self.rig.netns_of(name)
        haproxy = Haproxy(os.path.join(self.dir, name, "haproxy"), address=address, port=FRONTEND_PORT,
                          health_port=HEALTH_PORT, namespace=namespace)
        self._cleanups.append(haproxy.cleanup)
        haproxy.start()
        agent = Agent(os.path.join(self.dir, name, "agent"), namespace=namespace)
        self._cleanups.append(agent.cleanup)
        key = self.server.add_member(POOL, name, address)["enrollment_key"]
        result = agent.enrol(self.server, key, name, "--ca-cert", self.server.ca_cert)
        assert result.returncode == 0, result.stderr
        agent.configure(haproxy_socket=haproxy.socket, haproxy_pidfile=haproxy.pidfile)
        agent.start(log_level=self.log_level)
        self.members[name] = Member(name, address, haproxy, agent)

    def cleanup(self):
        for cleanup in reversed(self._cleanups):
            try:
                cleanup()
            except Exception as error:  # noqa: BLE001 (clean up as much as possible, then report)
                print(f"# cleanup: {error!r}", flush=True)
        self._cleanups = []

    # --- what the control plane and the authority say ---------------------------------------------------
    def listed(self):
        reply = self.server.request("GET", f"/api/v1/pools/{POOL}/members")
        assert reply.status == 200, reply
        return {m["hostname"]: m for m in reply.json["members"]}

    def active(self):
        return next((name for name, m in self.listed().items() if m["role"] == "active"), None)

    def events(self, *kinds):
        return [e for e in self.server.events(limit=1000) if not kinds or e["kind"] in kinds]

    def answer(self):
        return self.bind.answer(FQDN)

    def healthy(self):
        listed = self.listed()
        return len(listed) == len(self.members) and \
            all(m["status"] == "online" and m["haproxy"]["state"] == "running" for m in listed.values()) and \
            any(m["failover_ready"] == "ready" for m in listed.values())

    def wait_healthy(self, timeout):
        wait_until(self.healthy, timeout, interval=0.1, what="every member online, HAProxy running, a standby ready")

    # --- faults ------------------------------------------------------------------------------------------
    def degrade(self, member, **fault):
        """The same fault on every path of `member` (to the control plane and to the other members), both
        directions: heartbeats, probes and user traffic all cross it."""
        for other in self.rig.addresses:
            if other != member:
                self.rig.set_link(member, other, **fault)

    def block_heartbeats(self, member):
        """Only the member's agent -> control plane requests (to the API port) are dropped; the control
        plane and the other members still reach its HAProxy."""
        self.rig.set_path(member, FaultRig.CONTROL_PLANE, port=self.server.port, blackhole=True)


class Users:
    """A user asking a member's HAProxy (`listen health`) every `period_s`, each request bounded by
    `timeout_s`, from the control-plane namespace (so over that member's link). Counts answers."""

    def __init__(self, address, period_s=1.0, timeout_s=3.0, max_duration_s=1200):
        self.address, self.period_s, self.timeout_s, self.max_duration_s = address, period_s, timeout_s, max_duration_s
        self.ok = 0
        self.total = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join(self.timeout_s + self.period_s + 5)
        return self

    def _run(self):
        deadline = time.monotonic() + self.max_duration_s
        while not self._stop.is_set() and time.monotonic() < deadline:
            started = time.monotonic()
            self.total += 1
            self.ok += self._one_request()
            self._stop.wait(max(0.0, self.period_s - (time.monotonic() - started)))

    def _one_request(self):
        """1 when HAProxy answered 200 "ok" within timeout_s in all (connect, send, reply), else 0."""
        started = time.monotonic()
        connection = http.client.HTTPConnection(self.address, HEALTH_PORT, timeout=self.timeout_s)
        try:
            connection.request("GET", "/")
            response = connection.getresponse()
            answered = response.status == 200 and response.read() == b"ok"
        except (OSError, http.client.HTTPException):
            return 0
        finally:
            connection.close()
        return int(answered and time.monotonic() - started <= self.timeout_s)

    def summary(self):
        return f"{self.ok}/{self.total}"
