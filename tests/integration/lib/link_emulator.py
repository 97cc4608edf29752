#!/usr/bin/python3
"""A userspace IPv4 router with netem-like faults, over TUN devices (no sch_netem, iptables or nft needed).

    link_emulator.py --node cp=ftcp=10.213.0.1 --node lb1=ftlb1=10.213.1.2 ...

creates one TUN device per node (IFF_TUN | IFF_NO_PI: every read is one IP packet) in the namespace it
runs in and prints one JSON line `{"ready": true, ...}`; whoever started it then moves each device into
its node's namespace and routes the rig's subnet over it (see fault_rig.py). From then on every packet
a node sends arrives here; its source node is the device it came from, its destination node the one
whose address is the packet's destination. The rule of that directed path (optionally narrowed to a TCP/UDP
port that is the packet's source or destination port) decides: blackhole (drop), loss (drop with a
probability), or delay (uniform in delay ± jitter, clamped at 0; packets may overtake each other, as with
netem). Then it is written to the destination's device. Non-IPv4 packets and unknown destinations are
dropped, so nothing can leave the rig.

Control: one JSON object per line on stdin, one JSON reply per line on stdout:
  {"op": "set", "src": "lb1", "dst": "cp", "port": null, "loss": 0.2, "delay_ms": 150, "jitter_ms": 150,
   "blackhole": false}    a rule for one direction (port: only packets from/to that port); replaces the
                          rule with the same src, dst and port; all-default values remove it
  {"op": "clear", "node": "lb1"}  removes the rules of every path from or to lb1 (without "node": every
                          rule); packets already delayed are still delivered
  {"op": "stats"}         {"ok": true, "paths": {"lb1>cp": {"forwarded": n, "lost": n, "blackholed": n}},
                           "dropped_unroutable": n, "write_errors": n}
End of stdin ends the process (so does the death of its parent): the devices vanish with it.
Python standard library only.
"""
import argparse
import ctypes
import fcntl
import heapq
import json
import os
import random
import select
import signal
import socket
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
PR_SET_PDEATHSIG = 1
MAX_PACKET = 65536
BURST = 64  # packets read from one device before the others get a turn


class Fault:
    FIELDS = ("loss", "delay_ms", "jitter_ms", "blackhole")

    def __init__(self, loss=0.0, delay_ms=0.0, jitter_ms=0.0, blackhole=False):
        if not 0.0 <= loss <= 1.0 or delay_ms < 0 or jitter_ms < 0:
            raise ValueError("loss must be 0..1, delay_ms and jitter_ms >= 0")
        self.loss, self.delay_ms, self.jitter_ms, self.blackhole = float(loss), delay_ms, jitter_ms, bool(blackhole)

    def is_clean(self):
        return not self.blackhole and self.loss == 0 and self.delay_ms == 0 and self.jitter_ms == 0


class Path:
    """One directed path between two nodes: its default rule, per-port rules and counters."""

    def __init__(self):
        self.default = None
        self.by_port = {}
        self.counts = {"forwarded": 0, "lost": 0, "blackholed": 0}

    def rule_for(self, sport, dport):
        return self.by_port.get(dport) or self.by_port.get(sport) or self.default


class Emulator:
    def __init__(self, nodes, seed):
        self.random = random.Random(seed)
        self.devices = {}  # fd -> node name
        self.fd_of = {}  # node name -> fd
        self.node_of_address = {}  # 4-byte address -> node name
        for name, device, address in nodes:
            fd = open_tun(device)
            self.devices[fd] = name
            self.fd_of[name] = fd
            self.node_of_address[socket.inet_aton(address)] = name
        self.paths = {(a, b): Path() for a in self.fd_of for b in self.fd_of if a != b}
        self.queue = []  # (due, sequence, fd, packet)
        self.sequence = 0
        self.unroutable = 0
        self.write_errors = 0

    # --- packets ---------------------------------------------------------------------------------------
    def receive(self, fd, now):
        source = self.devices[fd]
        for _ in range(BURST):
            try:
                packet = os.read(fd, MAX_PACKET)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return  # device gone with its namespace
            self.route(source, packet, now)

    def route(self, source, packet, now):
        if len(packet) < 20 or packet[0] >> 4 != 4:
            self.unroutable += 1
            return
        destination = self.node_of_address.get(packet[16:20])
        if destination is None or destination == source:
            self.unroutable += 1
            return
        path = self.paths[(source, destination)]
        sport, dport = ports_of(packet)
        rule = path.rule_for(sport, dport)
        if rule is not None and rule.blackhole:
            path.counts["blackholed"] += 1
            return
        if rule is not None and rule.loss > 0 and self.random.random() < rule.loss:
            path.counts["lost"] += 1
            return
        path.counts["forwarded"] += 1
        delay_s = 0.0
        if rule is not None:
            delay_s = max(0.0, rule.delay_ms + self.random.uniform(-rule.jitter_ms, rule.jitter_ms)) / 1000.0
        if delay_s == 0.0 and not self.queue:
            self.write(self.fd_of[destination], packet)
            return
        self.sequence += 1
        heapq.heappush(self.queue, (now + delay_s, self.sequence, self.fd_of[destination], packet))

    def deliver_due(self, now):
        while self.queue and self.queue[0][0] <= now:
            _, _, fd, packet = heapq.heappop(self.queue)
            self.write(fd, packet)

    def write(self, fd, packet):
        try:
            os.write(fd, packet)
        except OSError:
            self.write_errors += 1  # device down or gone: the packet is lost, as on a real link

    def next_timeout_ms(self, now):
        if not self.queue:
            return 1000
        return max(0, min(1000, int((self.queue[0][0] - now) * 1000) + 1))

    # --- control ---------------------------------------------------------------------------------------
    def command(self, request):
        op = request.get("op")
        if op == "set":
            path = self.paths.get((request.get("src"), request.get("dst")))
            if path is None:
                raise ValueError(f"no path {request.get('src')!r} -> {request.get('dst')!r}")
            fault = Fault(**{k: request[k] for k in Fault.FIELDS if k in request})
            port = request.get("port")
            if port is None:
                path.default = None if fault.is_clean() else fault
            elif fault.is_clean():
                path.by_port.pop(int(port), None)
            else:
                path.by_port[int(port)] = fault
            return {"ok": True}
        if op == "clear":
            node = request.get("node")
            for (a, b), path in self.paths.items():
                if node is None or node in (a, b):
                    path.default, path.by_port = None, {}
            return {"ok": True}
        if op == "stats":
            return {"ok": True, "paths": {f"{a}>{b}": dict(p.counts) for (a, b), p in self.paths.items()},
                    "dropped_unroutable": self.unroutable, "write_errors": self.write_errors}
        raise ValueError(f"unknown op {op!r}")


def ports_of(packet):
    """(source port, destination port) of a TCP/UDP packet that is not a later fragment, else (None, None)."""
    header = (packet[0] & 0x0F) * 4
    later_fragment = struct.unpack_from("!H", packet, 6)[0] & 0x1FFF
    if packet[9] not in (6, 17) or later_fragment or len(packet) < header + 4:
        return None, None
    return struct.unpack_from("!HH", packet, header)


def open_tun(device):
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", device.encode(), IFF_TUN | IFF_NO_PI))
    return fd


def parse_node(text):
    try:
        name, device, address = text.split("=")
        socket.inet_aton(address)
    except (ValueError, OSError):
        raise argparse.ArgumentTypeError(f"--node wants NAME=DEVICE=IPV4, got {text!r}")
    if not 1 <= len(device) <= 15:
        raise argparse.ArgumentTypeError(f"device name {device!r} must be 1-15 characters")
    return name, device, address


def run(emulator):
    poller = select.poll()
    for fd in emulator.devices:
        poller.register(fd, select.POLLIN)
    stdin = sys.stdin.fileno()
    os.set_blocking(stdin, False)
    poller.register(stdin, select.POLLIN)
    pending = b""
    while True:
        now = time.monotonic()
        for fd, _ in poller.poll(emulator.next_timeout_ms(now)):
            now = time.monotonic()
            if fd != stdin:
                emulator.receive(fd, now)
                continue
            chunk = os.read(stdin, 65536)
            if not chunk:
                return  # the rig is gone
            pending += chunk
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                reply(emulator, line)
        emulator.deliver_due(time.monotonic())


def reply(emulator, line):
    try:
        answer = emulator.command(json.loads(line))
    except (ValueError, TypeError, KeyError) as error:
        answer = {"ok": False, "error": str(error)}
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--node", type=parse_node, action="append", required=True, help="NAME=DEVICE=IPV4")
    parser.add_argument("--seed", type=int, default=None, help="seed of the loss/jitter draws (default: random)")
    args = parser.parse_args()
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 32)
    emulator = Emulator(args.node, seed)
    sys.stdout.write(json.dumps({"ready": True, "seed": seed}) + "\n")
    sys.stdout.flush()
    run(emulator)


if __name__ == "__main__":
    main()
