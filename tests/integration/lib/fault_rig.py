"""Fault rig: nodes in their own network namespaces, joined through a userspace link emulator whose loss,
delay (with jitter) and blackholing the test sets per direction, per path and optionally per port, live.

How it is wired (nothing is added to the root namespace; this kernel has no sch_netem, iptables or nft):

    namespace bft<pid>-cp                        namespace bft<pid>-lb1        namespace bft<pid>-lb2
    this test process, balctl serve, BIND,       haproxy + balctl-agent        haproxy + balctl-agent
    dig, the balctl CLI                          10.213.1.2 on TUN ftlb1       10.213.2.2 on TUN ftlb2
    10.213.0.1 on TUN ftcp                       route 10.213.0.0/16 -> ftlb1  route 10.213.0.0/16 -> ftlb2
    route 10.213.0.0/16 -> ftcp                          |                             |
            |                                            |                             |
            +------------- link_emulator.py (runs in the cp namespace, holds every TUN fd) ----+
                reads each IP packet from the sender's TUN, applies the rule of the path
                (sender node -> destination node [, port]), writes it to the destination's TUN

- Every packet between nodes crosses the emulator; traffic inside a node (balctl serve -> BIND on
  127.0.0.1) does not. The TUNs are point-to-point L3 devices: no ARP, no bridge, no IP forwarding.
- `start()` moves the calling thread into the cp namespace (setns), so processes the test starts from
  then on (harness.Server, dns_servers.Bind, `balctl` CLI, dig) run there unchanged; members' processes
  are started with `netns.command(rig.netns_of(node), argv)`. `cleanup()` moves back, ends the emulator
  (its TUN devices vanish with it) and deletes the namespaces with anything left in them.
- The addresses exist only inside the rig's namespaces, so parallel runs cannot collide and nothing can
  be routed off the machine. Namespace names carry the PID; a run killed before its cleanup is swept by
  the next one (netns.sweep_stale).
- Rules: `set_path(src, dst, ...)` one direction, `set_link(a, b, ...)` both, `port=P` narrows a rule to
  packets from or to port P (e.g. only heartbeats: lb1 -> cp to the API port), `isolate(node)` blackholes
  everything to and from a node, `heal(node)` / `heal()` removes rules. Each call returns once the
  emulator applies it. `stats()` counts forwarded / lost / blackholed packets per directed path.
Starting takes well under a second; every wait is bounded.
"""
import json
import os
import select
import subprocess
import sys
import threading
import time

import netns

SUBNET = "10.213.0.0/16"
EMULATOR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "link_emulator.py")
CONTROL_TIMEOUT_S = 5


class FaultRig:
    CONTROL_PLANE = "cp"

    def __init__(self, directory, members=("lb1", "lb2"), seed=None):
        self.dir = directory
        os.makedirs(directory, exist_ok=True)
        self.addresses = {self.CONTROL_PLANE: "10.213.0.1"}
        for index, name in enumerate(members, start=1):
            self.addresses[name] = f"10.213.{index}.2"
        self.seed = seed
        self._created = []
        self._entered = None
        self._emulator = None
        self._lock = threading.Lock()
        self._pending = b""

    # --- lifecycle -------------------------------------------------------------------------------------
    def start(self):
        reason = netns.can_create()
        if reason:
            raise AssertionError(f"the fault rig {reason}")
        netns.sweep_stale()
        for node in self.addresses:
            netns.add(self.netns_of(node))
            self._created.append(self.netns_of(node))
        self._start_emulator()
        cp = self.netns_of(self.CONTROL_PLANE)
        for node, address in self.addresses.items():
            device, namespace = self.device_of(node), self.netns_of(node)
            if node != self.CONTROL_PLANE:
                netns.ip("-n", cp, "link", "set", "dev", device, "netns", namespace)
            netns.ip("-n", namespace, "addr", "add", f"{address}/32", "dev", device)
            netns.ip("-n", namespace, "link", "set", device, "up")
            netns.ip("-n", namespace, "route", "add", SUBNET, "dev", device, "src", address)
        self._entered = netns.Entered(cp)
        return self

    def _start_emulator(self):
        args = [sys.executable, EMULATOR]
        for node, address in self.addresses.items():
            args += ["--node", f"{node}={self.device_of(node)}={address}"]
        if self.seed is not None:
            args += ["--seed", str(self.seed)]
        self._emulator_log = open(os.path.join(self.dir, "link_emulator.log"), "ab")
        self._emulator = subprocess.Popen(netns.command(self.netns_of(self.CONTROL_PLANE), args),
                                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._emulator_log)
        ready = self._read_reply(time.monotonic() + 10)
        if not ready.get("ready"):
            raise AssertionError(f"link emulator did not start: {ready}")
        self.seed = ready["seed"]

    def cleanup(self):
        if self._entered is not None:
            self._entered.leave()
            self._entered = None
        if self._emulator is not None:
            try:
                self._emulator.stdin.close()  # end of stdin ends it
                self._emulator.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self._emulator.kill()
                self._emulator.wait()
            self._emulator.stdout.close()
            self._emulator = None
            self._emulator_log.close()
        for name in reversed(self._created):
            netns.delete(name)
        self._created = []

    # --- names -----------------------------------------------------------------------------------------
    @property
    def members(self):
        return [node for node in self.addresses if node != self.CONTROL_PLANE]

    def address(self, node):
        return self.addresses[node]

    def netns_of(self, node):
        return netns.name_for(node)

    def device_of(self, node):
        return f"ft{node}"[:15]

    def command(self, node, argv):
        """argv to run in `node`'s namespace."""
        return netns.command(self.netns_of(node), argv)

    # --- faults ----------------------------------------------------------------------------------------
    def set_path(self, src, dst, port=None, loss=0.0, delay_ms=0, jitter_ms=0, blackhole=False):
        """The rule for packets from `src` to `dst` (only those from/to `port` when given)."""
        self._control({"op": "set", "src": src, "dst": dst, "port": port, "loss": loss, "delay_ms": delay_ms,
                       "jitter_ms": jitter_ms, "blackhole": blackhole})

    def set_link(self, a, b, port=None, **fault):
        self.set_path(a, b, port, **fault)
        self.set_path(b, a, port, **fault)

    def isolate(self, node):
        for other in self.addresses:
            if other != node:
                self.set_link(node, other, blackhole=True)

    def heal(self, node=None):
        self._control({"op": "clear", "node": node})

    def stats(self):
        return self._control({"op": "stats"})

    def path_counts(self, src, dst):
        return self.stats()["paths"][f"{src}>{dst}"]

    def _control(self, request):
        with self._lock:
            if self._emulator is None or self._emulator.poll() is not None:
                raise AssertionError(f"link emulator is not running: {self._log_tail()}")
            self._emulator.stdin.write(json.dumps(request).encode() + b"\n")
            self._emulator.stdin.flush()
            answer = self._read_reply(time.monotonic() + CONTROL_TIMEOUT_S)
        if not answer.get("ok"):
            raise AssertionError(f"link emulator refused {request}: {answer.get('error')}")
        return answer

    def _read_reply(self, deadline):
        fd = self._emulator.stdout.fileno()
        while b"\n" not in self._pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._emulator.poll() is not None:
                raise AssertionError(f"no answer from the link emulator: {self._log_tail()}")
            if select.select([fd], [], [], remaining)[0]:
                chunk = os.read(fd, 65536)
                if not chunk:
                    raise AssertionError(f"link emulator exited: {self._log_tail()}")
                self._pending += chunk
        line, self._pending = self._pending.split(b"\n", 1)
        return json.loads(line)

    def _log_tail(self):
        try:
            with open(os.path.join(self.dir, "link_emulator.log"), "rb") as f:
                return f.read().decode(errors="replace")[-2000:]
        except OSError:
            return "(no log)"
