"""HTTP server hardening (issue 13 items 8, 9, 10, 13, 16 and the HTTP part of 17), against a real
`balctl serve` on 127.0.0.0/8: clean exit at shutdown with a pending accept on a worker thread, encoded
slashes in path parameters, the agent download under many slow clients, the TLS cipher policy, per-address
connection caps and the header deadline, and the cache/HSTS headers."""
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from harness import Server, wait_until  # noqa: E402


def vm_rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def closed_by_peer(sock, timeout):
    """Waits up to `timeout` s for the server to close `sock`; returns the seconds it took, or None."""
    started = time.monotonic()
    sock.settimeout(timeout)
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return time.monotonic() - started
    except (ConnectionResetError, BrokenPipeError, ssl.SSLError):
        return time.monotonic() - started
    except socket.timeout:
        return None


class GracefulShutdown(unittest.TestCase):
    """Item 8: with --threads 2 the accept pending after an odd number of connections belongs to the
    worker's context; SIGTERM must still end in a clean exit 0 (under ASan: no use-after-free)."""

    def shutdown_after(self, connections):
        server = Server(extra_args=["--threads", "2"]).start()
        try:
            for _ in range(connections - 1):  # start() already made one connection (/healthz)
                self.assertEqual(server.request("GET", "/healthz", token=None).status, 200)
            code = server.stop(signal.SIGTERM, timeout=20)
            self.assertEqual(code, 0, server.log_text()[-3000:])
            self.assertIn("stopped", server.log_text())
        finally:
            server.cleanup()

    def test_one_connection_then_sigterm_exits_0(self):
        self.shutdown_after(1)

    def test_three_connections_then_sigterm_exits_0(self):
        self.shutdown_after(3)

    def test_two_connections_then_sigterm_exits_0(self):
        self.shutdown_after(2)


class PathParameters(unittest.TestCase):
    """Item 9: an encoded '/' in a parameter is data, never a separator."""

    @classmethod
    def setUpClass(cls):
        cls.server = Server().start()
        cls.server.create_pool("web", "lb.example.com")
        cls.server.add_member("web", "lb2", "192.0.2.2")

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def test_encoded_slash_does_not_reach_the_member(self):
        for path in ("/api/v1/pools/web%2Fmembers%2Flb2", "/api/v1/pools/web%2fmembers%2flb2"):
            with self.subTest(path=path):
                reply = self.server.request("DELETE", path)
                self.assertEqual(reply.status, 400, reply)
                self.assertEqual(reply.error_field, "pool", reply)
        self.assertEqual(self.server.member("web", "lb2")["hostname"], "lb2")
        self.assertEqual(self.server.request("GET", "/api/v1/pools/web").status, 200)

    def test_encoded_letters_still_match_and_bad_escapes_are_400(self):
        self.assertEqual(self.server.request("GET", "/api/v1/pools/w%65b/members/lb%32").status, 200)
        reply = self.server.request("GET", "/api/v1/pools/web%00")
        self.assertEqual((reply.status, reply.error_field), (400, "pool"), reply)

    def test_api_replies_are_not_cached_and_tls_sets_hsts(self):
        reply = self.server.request("POST", "/api/v1/tokens", {"name": "cache-test"})
        self.assertEqual(reply.status, 201, reply)
        self.assertEqual(reply.headers.get("Cache-Control"), "no-store")
        self.assertEqual(reply.headers.get("Strict-Transport-Security"), "max-age=31536000")
        key_reply = self.server.request("POST", "/api/v1/pools/web/members",
                                        {"hostname": "lb3", "ipv4": "192.0.2.3"})
        self.assertEqual(key_reply.headers.get("Cache-Control"), "no-store", key_reply)
        health = self.server.request("GET", "/healthz", token=None)
        self.assertEqual(health.headers.get("Strict-Transport-Security"), "max-age=31536000")


class PlainHttpHasNoHsts(unittest.TestCase):
    def test_no_hsts_without_tls(self):
        server = Server(tls=False).start()
        try:
            reply = server.request("GET", "/api/v1/pools")
            self.assertEqual(reply.headers.get("Cache-Control"), "no-store")
            self.assertNotIn("Strict-Transport-Security", reply.headers)
        finally:
            server.cleanup()


class AgentDownload(unittest.TestCase):
    """Item 10: 20 clients that ask for the agent and do not read cost one shared copy, not twenty; at
    most 8 downloads at once, the 9th gets 503 with Retry-After."""
    SIZE = 19 << 20

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="balctl-dl-")
        cls.binary = os.path.join(cls.tmp.name, "balctl-agent")
        with open(cls.binary, "wb") as f:
            f.write(os.urandom(cls.SIZE))
        cls.server = Server(extra_args=["--agent-binary", cls.binary]).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        cls.tmp.cleanup()

    def slow_download(self):
        """A TLS connection with a tiny receive window that asks for the agent and reads only the head."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.settimeout(10)
        sock.connect((self.server.host, self.server.port))
        sock = self.server.ssl_context().wrap_socket(sock, server_hostname=self.server.host)
        sock.sendall(b"GET /api/v1/agent/download HTTP/1.1\r\nHost: x\r\n\r\n")
        head = b""
        while b"\r\n\r\n" not in head:
            data = sock.recv(1024)
            if not data:
                break
            head += data
        return sock, head

    def test_slow_downloads_share_one_copy_and_are_capped(self):
        pid = self.server.process.pid
        rss_before = vm_rss_kb(pid)
        socks = []
        try:
            heads = []
            for _ in range(20):
                sock, head = self.slow_download()
                socks.append(sock)
                heads.append(head)
            statuses = [head.split(b" ", 2)[1] for head in heads]
            self.assertEqual(statuses[:8], [b"200"] * 8, statuses)
            self.assertEqual(statuses[8:], [b"503"] * 12, statuses)
            busy = heads[8]
            self.assertIn(b"Retry-After: 5", busy)
            self.assertIn(b'"code":"too_many_downloads"', busy)
            time.sleep(1)
            rss = vm_rss_kb(pid)
            print(f"\nagent download: VmRSS before={rss_before // 1024} MB with 20 slow clients="
                  f"{rss // 1024} MB", file=sys.stderr)
            self.assertLess(rss, 150 * 1024, f"VmRSS {rss} kB with 20 slow downloads")
            # Other requests are still served at once.
            self.assertEqual(self.server.request("GET", "/healthz", token=None).status, 200)
        finally:
            for sock in socks:
                sock.close()
        # The slots come back as the stalled connections close; a normal download then byte-matches.
        with open(self.binary, "rb") as f:
            expected = f.read()

        deadline = time.monotonic() + 15
        while True:
            conn = self.server.connection()
            try:
                conn.request("GET", "/api/v1/agent/download")
                response = conn.getresponse()
                body = response.read()
            finally:
                conn.close()
            if response.status != 503 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.assertEqual(response.status, 200, body[:300])
        self.assertEqual(len(body), len(expected))
        self.assertTrue(body == expected, "the download differs from the file")


def s_client(port, *args):
    """Runs `openssl s_client` against 127.0.0.1:port; True when the handshake completed."""
    result = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername", "localhost",
                             *args], stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=20)
    return result.returncode == 0 and "Cipher is (NONE)" not in result.stdout and "Cipher is" in result.stdout


@unittest.skipUnless(shutil.which("openssl"), "needs the openssl command")
class TlsPolicy(unittest.TestCase):
    """Item 13: TLS >= 1.2; in TLS 1.2 only ECDHE key exchange with AEAD ciphers."""

    def test_rsa_certificate(self):
        with tempfile.TemporaryDirectory(prefix="balctl-rsa-") as tmp:
            cert, key = os.path.join(tmp, "rsa.crt"), os.path.join(tmp, "rsa.key")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                            "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                            "-keyout", key, "-out", cert], check=True, capture_output=True)
            server = Server(extra_args=["--tls-cert", cert, "--tls-key", key]).start(expect_ready=False)
            try:
                wait_until(lambda: s_client(server.port, "-tls1_3"), 15, what="TLS server")
                for cipher in ("AES128-SHA", "AES256-SHA256", "AES128-GCM-SHA256", "ECDHE-RSA-AES128-SHA"):
                    with self.subTest(cipher=cipher):
                        self.assertFalse(s_client(server.port, "-tls1_2", "-cipher", cipher))
                self.assertTrue(s_client(server.port, "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"))
                self.assertTrue(s_client(server.port, "-tls1_2", "-cipher", "ECDHE-RSA-CHACHA20-POLY1305"))
                self.assertFalse(s_client(server.port, "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"))
                self.assertIsNone(server.process.poll())
            finally:
                server.cleanup()

    def test_self_signed_ec_certificate(self):
        server = Server().start()
        try:
            self.assertTrue(s_client(server.port, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"))
            self.assertTrue(s_client(server.port, "-tls1_3", "-ciphersuites", "TLS_AES_256_GCM_SHA384"))
            self.assertFalse(s_client(server.port, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA"))
            self.assertFalse(s_client(server.port, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-SHA384"))
            self.assertFalse(s_client(server.port, "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"))
            self.assertEqual(server.request("GET", "/healthz", token=None).status, 200)
        finally:
            server.cleanup()


class ConnectionLimits(unittest.TestCase):
    """Item 16: one address filling its connection cap does not lock out another, and connections that
    send no request head are closed after the header deadline, well before the read timeout."""
    PER_IP = 4
    HEADER_TIMEOUT_MS = 1500
    READ_TIMEOUT_MS = 20_000

    @classmethod
    def setUpClass(cls):
        cls.server = Server(tls=False, extra_args=[
            "--max-connections", "8", "--max-connections-per-ip", str(cls.PER_IP),
            "--header-timeout-ms", str(cls.HEADER_TIMEOUT_MS), "--read-timeout-ms", str(cls.READ_TIMEOUT_MS)]).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def connect_from(self, address):
        return socket.create_connection((self.server.host, self.server.port), timeout=10,
                                        source_address=(address, 0))

    def served_from(self, address):
        started = time.monotonic()
        reply = self.server.request("GET", "/healthz", token=None, source_address=(address, 0))
        return reply.status, time.monotonic() - started

    def test_one_address_cannot_take_every_slot_and_idle_ones_go_at_the_header_deadline(self):
        idle = [self.connect_from("127.0.0.2") for _ in range(self.PER_IP)]
        try:
            time.sleep(0.2)
            extra = self.connect_from("127.0.0.2")
            self.assertIsNotNone(closed_by_peer(extra, 2), "the address's next connection is refused")
            extra.close()
            status, elapsed = self.served_from("127.0.0.3")
            self.assertEqual(status, 200)
            self.assertLess(elapsed, 1.0, "another address is served at once")
            waits = [closed_by_peer(sock, self.READ_TIMEOUT_MS / 1000) for sock in idle]
            self.assertTrue(all(w is not None for w in waits), waits)
            self.assertLess(max(waits), self.HEADER_TIMEOUT_MS / 1000 + 1.5, waits)
        finally:
            for sock in idle:
                sock.close()
        wait_until(lambda: self.served_from("127.0.0.2")[0] == 200, 5, what="127.0.0.2 served again")

    def test_trickled_headers_are_cut_at_the_header_deadline(self):
        sock = self.connect_from("127.0.0.4")
        started = time.monotonic()
        sock.sendall(b"GET /healthz HTTP/1.1\r\n")
        closed = False
        try:
            for _ in range(40):  # one header byte every 0.25 s: never a whole head
                sock.sendall(b"X")
                time.sleep(0.25)
        except (BrokenPipeError, ConnectionResetError):
            closed = True
        elapsed = time.monotonic() - started
        if not closed:
            closed = closed_by_peer(sock, 1) is not None
        sock.close()
        self.assertTrue(closed, "a head trickled for 10 s was never cut off")
        self.assertLess(elapsed, self.HEADER_TIMEOUT_MS / 1000 + 2)

    def test_idle_keep_alive_gets_the_read_timeout_not_the_header_deadline(self):
        conn = self.server.connection(source_address=("127.0.0.5", 0))
        try:
            conn.request("GET", "/healthz")
            self.assertEqual(conn.getresponse().read(), b'{"status":"ok"}')
            time.sleep(self.HEADER_TIMEOUT_MS / 1000 + 1)
            conn.request("GET", "/healthz")
            self.assertEqual(conn.getresponse().status, 200, "a keep-alive connection may idle between requests")
        finally:
            conn.close()


if __name__ == "__main__":
    unittest.main()
