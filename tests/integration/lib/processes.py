"""Real HAProxy and balctl-agent processes for integration tests."""
import os
import signal
import subprocess
import tempfile
import time

import netns
from harness import AGENT, free_port, wait_until

HAPROXY_CONFIG = """global
    stats socket {socket} mode 600 level admin
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe_http
    bind {address}:{port}
    default_backend be_app
backend be_app
    server app1 127.0.0.1:{dead_port} check inter 1s
listen health
    bind {address}:{health_port}
    http-request return status 200 content-type text/plain string ok
"""


class Haproxy:
    """HAProxy in master-worker mode in the foreground (as systemd runs it) with a stats socket and a
    pidfile naming the master. In network namespace `namespace` when given (then `address` is not local
    here: pass both ports)."""

    def __init__(self, directory, address="127.0.0.1", port=None, health_port=None, namespace=None):
        self.dir = directory
        os.makedirs(directory, exist_ok=True)
        self.address = address
        self.namespace = namespace
        self.socket = os.path.join(directory, "admin.sock")
        self.pidfile = os.path.join(directory, "haproxy.pid")
        self.port = port or free_port(address)
        self.health_port = health_port or free_port(address)
        self.config = os.path.join(directory, "haproxy.cfg")
        with open(self.config, "w") as f:
            f.write(HAPROXY_CONFIG.format(socket=self.socket, address=address, port=self.port,
                                          dead_port=free_port(), health_port=self.health_port))
        self.process = None

    def start(self):
        for stale in (self.pidfile, self.socket):
            if os.path.exists(stale):
                os.unlink(stale)
        self.log = open(os.path.join(self.dir, "haproxy.log"), "ab")
        self.process = subprocess.Popen(netns.command(self.namespace, ["haproxy", "-W", "-db", "-f", self.config,
                                                                   "-p", self.pidfile]),
                                        stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_until(lambda: os.path.exists(self.socket) and os.path.exists(self.pidfile), 10, what="haproxy start")
        return self

    def kill(self, sig=signal.SIGKILL):
        """Kills the master (what the pidfile names) and then the rest of the process group."""
        if self.process is None:
            return
        self.process.send_signal(sig)
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()
        self.process = None
        self.log.close()

    def cleanup(self):
        self.kill()


class Agent:
    """One balctl-agent with its own config and state directories (in network namespace `namespace` when
    given)."""

    def __init__(self, directory, namespace=None):
        self.dir = directory
        self.namespace = namespace
        self.config_dir = os.path.join(directory, "etc")
        self.state_dir = os.path.join(directory, "state")
        self.log_path = os.path.join(directory, "agent.log")
        self.process = None

    def run(self, *args, timeout=30):
        return subprocess.run(netns.command(self.namespace, [AGENT, *args]), capture_output=True, text=True,
                              timeout=timeout)

    def enrol(self, server, key, hostname, *extra):
        return self.run("--enrol", "--key", key, "--hostname", hostname, "--api-base", server.url,
                        "--config-dir", self.config_dir, *extra)

    def configure(self, **settings):
        """Appends BALCTL_* settings to agent.env (later lines win)."""
        with open(os.path.join(self.config_dir, "agent.env"), "a") as f:
            for key, value in settings.items():
                f.write(f"BALCTL_{key.upper()}={value}\n")

    def start(self, *extra, log_level="debug"):
        self.log = open(self.log_path, "ab")
        argv = [AGENT, "--config-dir", self.config_dir, "--state-dir", self.state_dir, "--log-level", log_level, *extra]
        self.process = subprocess.Popen(netns.command(self.namespace, argv), stdout=self.log, stderr=subprocess.STDOUT)
        return self

    def stop(self, sig=signal.SIGTERM, timeout=10):
        if self.process is None:
            return None
        self.process.send_signal(sig)
        code = self.process.wait(timeout=timeout)
        self.process = None
        self.log.close()
        return code

    def log_text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def cleanup(self):
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
            self.process = None
            self.log.close()


def port_free_on(*addresses):
    """A TCP port free on every one of the given addresses (members share their frontend port)."""
    import socket
    for _ in range(100):
        port = free_port(addresses[0])
        try:
            for address in addresses[1:]:
                with socket.socket() as s:
                    s.bind((address, port))
            return port
        except OSError:
            continue
    raise AssertionError("no common free port")


def temp_dir(test):
    """A temporary directory removed when `test` ends."""
    handle = tempfile.TemporaryDirectory(prefix="balctl-it-")
    test.addCleanup(handle.cleanup)
    return handle.name
