"""Test harness: real `balctl serve` processes on 127.0.0.0/8, driven over HTTPS and through the CLI.

Only the Python standard library is used, so the suite runs on a fresh Debian 12 with python3 alone.
"""
import http.client
import json
import os
import signal
import socket
import ssl
import subprocess
import tempfile
import time

BUILD_DIR = os.environ.get("BALCTL_BUILD_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "..", "build"))
BALCTL = os.path.join(BUILD_DIR, "balctl")
AGENT = os.path.join(BUILD_DIR, "balctl-agent")


def free_port(host="127.0.0.1"):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout, interval=0.05, what="condition"):
    """Polls `predicate` until it returns a truthy value; bounded by `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


class Reply:
    def __init__(self, status, body, headers):
        self.status = status
        self.raw = body
        self.headers = headers
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    @property
    def error_code(self):
        return (self.json or {}).get("error", {}).get("code")

    @property
    def error_field(self):
        return (self.json or {}).get("error", {}).get("field")

    def __repr__(self):
        return f"Reply({self.status}, {self.raw[:300]!r})"


class Server:
    """One `balctl serve` with its own data dir and port."""

    def __init__(self, data_dir=None, tls=True, extra_args=(), host="127.0.0.1", log_level="debug"):
        self._tmp = None
        if data_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="balctl-it-")
            data_dir = os.path.join(self._tmp.name, "data")
        self.data_dir = data_dir
        self.tls = tls
        self.host = host
        self.port = free_port(host)
        self.extra_args = list(extra_args)
        self.log_level = log_level
        self.process = None
        self.log_path = os.path.join(os.path.dirname(data_dir), f"server-{self.port}.log")

    # --- lifecycle -------------------------------------------------------------------------------
    def start(self, expect_ready=True):
        args = [BALCTL, "serve", "--data-dir", self.data_dir, "--listen", f"{self.host}:{self.port}",
                "--log-level", self.log_level] + self.extra_args
        if not self.tls:
            args.append("--insecure-http")
        self.log = open(self.log_path, "ab")
        self.process = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        if expect_ready:
            wait_until(self._ready, 15, what="server /healthz")
        return self

    def _ready(self):
        if self.process.poll() is not None:
            raise AssertionError(f"server exited with {self.process.returncode}: {self.log_text()[-2000:]}")
        try:
            return self.request("GET", "/healthz", token=None).status == 200
        except (OSError, ssl.SSLError, http.client.HTTPException):
            return False

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(sig)
        code = self.process.wait(timeout=timeout)
        self.process = None
        self.log.close()
        return code

    def kill9(self):
        return self.stop(signal.SIGKILL)

    def restart(self):
        self.stop()
        return self.start()

    def cleanup(self):
        if self.process is not None:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            self.process = None
            self.log.close()
        if self._tmp is not None:
            self._tmp.cleanup()

    def log_text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    # --- access ----------------------------------------------------------------------------------
    @property
    def url(self):
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    @property
    def ca_cert(self):
        return os.path.join(self.data_dir, "tls.crt")

    @property
    def admin_token(self):
        with open(os.path.join(self.data_dir, "admin.token")) as f:
            return f.read().strip()

    def ssl_context(self):
        return ssl.create_default_context(cafile=self.ca_cert)

    def connection(self, timeout=10, source_address=None):
        if self.tls:
            return http.client.HTTPSConnection(self.host, self.port, timeout=timeout, context=self.ssl_context(),
                                               source_address=source_address)
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout, source_address=source_address)

    def request(self, method, path, body=None, token="admin", headers=None, source_address=None):
        """Sends one request. token="admin" uses the admin token, None sends none, else the given text.
        body: dict/list (sent as JSON), str/bytes (sent raw) or None."""
        if token == "admin":
            token = self.admin_token
        all_headers = dict(headers or {})
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            all_headers.setdefault("Content-Type", "application/json")
        conn = self.connection(source_address=source_address)
        try:
            conn.request(method, path, body=body, headers=all_headers)
            response = conn.getresponse()
            return Reply(response.status, response.read().decode(errors="replace"), dict(response.getheaders()))
        finally:
            conn.close()

    def raw_socket(self, timeout=10):
        """A connected (and, with TLS, handshaken) socket for hand-written requests."""
        sock = socket.create_connection((self.host, self.port), timeout=timeout)
        if self.tls:
            sock = self.ssl_context().wrap_socket(sock, server_hostname=self.host)
        return sock

    # --- CLI -------------------------------------------------------------------------------------
    def cli_env(self):
        env = dict(os.environ)
        for key in ("BALCTL_TOKEN", "BALCTL_TOKEN_FILE", "BALCTL_API", "BALCTL_CA_CERT"):
            env.pop(key, None)
        env["BALCTL_API"] = self.url
        env["BALCTL_TOKEN_FILE"] = os.path.join(self.data_dir, "admin.token")
        if self.tls:
            env["BALCTL_CA_CERT"] = self.ca_cert
        return env

    def cli(self, *args, env=None, timeout=30):
        result = subprocess.run([BALCTL, *args], env=env or self.cli_env(), capture_output=True, text=True,
                                timeout=timeout)
        return result

    def cli_json(self, *args):
        result = self.cli(*args, "--json")
        if result.returncode != 0:
            raise AssertionError(f"balctl {' '.join(args)} failed ({result.returncode}): {result.stderr}")
        return json.loads(result.stdout)

    # --- fleet helpers ---------------------------------------------------------------------------
    def create_pool(self, name="web", hostname="lb.example.com", delay=10, preset="haproxy"):
        reply = self.request("POST", "/api/v1/pools",
                             {"name": name, "hostname": hostname, "delay_s": delay, "preset": preset})
        assert reply.status == 201, reply
        return reply.json

    def add_member(self, pool, hostname, ipv4, **extra):
        reply = self.request("POST", f"/api/v1/pools/{pool}/members", {"hostname": hostname, "ipv4": ipv4, **extra})
        assert reply.status == 201, reply
        return reply.json

    def enrol(self, key, hostname, source_address=None):
        return self.request("POST", "/api/v1/agent/enrol",
                            {"key": key, "hostname": hostname, "agent_version": "test"}, token=None,
                            source_address=source_address)

    def enrolled_member(self, pool, hostname, ipv4):
        """Adds and enrols a member; returns its secret."""
        key = self.add_member(pool, hostname, ipv4)["enrollment_key"]
        reply = self.enrol(key, hostname)
        assert reply.status == 200, reply
        return reply.json["secret"]

    def heartbeat(self, secret, body=None, source_address=None, seq=1, haproxy="running"):
        if body is None:
            body = heartbeat_body(seq=seq, haproxy=haproxy)
        return self.request("POST", "/api/v1/agent/heartbeat", body, token=secret, source_address=source_address)

    def member(self, pool, hostname):
        reply = self.request("GET", f"/api/v1/pools/{pool}/members/{hostname}")
        assert reply.status == 200, reply
        return reply.json

    def stable_pools(self):
        """All pools and members without the fields that change by themselves (ages, status)."""
        pools = self.request("GET", "/api/v1/pools").json["pools"]
        for pool in pools:
            pool.pop("members_online", None)
            for member in pool["members"]:
                for volatile in ("last_heartbeat_age_ms", "status"):
                    member.pop(volatile, None)
        return pools

    def events(self, **query):
        qs = "&".join(f"{k}={v}" for k, v in query.items())
        reply = self.request("GET", "/api/v1/events" + (f"?{qs}" if qs else ""))
        assert reply.status == 200, reply
        return reply.json["events"]


def heartbeat_body(seq=1, haproxy="running"):
    return {
        "agent_version": "0.1.0-test",
        "seq": seq,
        "hostname": "lb1",
        "uptime_s": 1234.5,
        "load": [0.1, 0.2, 0.3],
        "cpu_pct": 3.5,
        "memory": {"total_kb": 2048000, "available_kb": 1024000},
        "disks": [{"mount": "/", "fs_type": "ext4", "total_bytes": 10_000_000_000, "used_bytes": 4_000_000_000}],
        "ipv4": [{"interface": "eth0", "address": "192.0.2.10", "prefix_length": 24}],
        "kernel": "6.1.0-13-amd64",
        "os": "Debian GNU/Linux 12 (bookworm)",
        "haproxy": {
            "state": haproxy,
            "version": "2.6.12",
            "uptime_s": 100,
            "rows": [
                {"proxy": "fe_http", "service": "FRONTEND", "type": "frontend", "status": "OPEN",
                 "current_sessions": 3, "session_rate": 10, "bytes_in": 1000, "bytes_out": 5000, "check_status": ""},
                {"proxy": "be_app", "service": "app1", "type": "server", "status": "UP",
                 "current_sessions": 2, "session_rate": 7, "bytes_in": 800, "bytes_out": 4000, "check_status": "L4OK"},
            ],
        },
        "services": [{"name": "haproxy.service", "state": "active"}],
    }
