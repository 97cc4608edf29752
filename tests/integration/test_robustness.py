"""Hostile and broken clients: malformed HTTP, oversized bodies, slow and half-open connections.
Each must get a specific error (or be cut off by a deadline) while the server keeps serving."""
import os
import socket
import ssl
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from harness import Server  # noqa: E402

READ_TIMEOUT_MS = 1000


def read_all(sock, limit=1 << 20):
    chunks = []
    try:
        while sum(len(c) for c in chunks) < limit:
            data = sock.recv(65536)
            if not data:
                break
            chunks.append(data)
    except (ConnectionResetError, ssl.SSLError):
        pass
    return b"".join(chunks)


class HostileClients:
    """Tests shared by the TLS and the plain-HTTP server; subclasses set `tls`."""
    tls = True

    @classmethod
    def setUpClass(cls):
        cls.server = Server(tls=cls.tls, extra_args=["--read-timeout-ms", str(READ_TIMEOUT_MS)]).start()
        cls.server.create_pool("web", "lb.example.com")
        cls.secret = cls.server.enrolled_member("web", "lb1", "192.0.2.1")

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def assert_still_serving(self):
        self.assertEqual(self.server.request("GET", "/healthz", token=None).status, 200)
        self.assertEqual(self.server.request("GET", "/api/v1/pools/web").status, 200)

    def test_oversized_body_gets_413_and_nothing_changes(self):
        before = self.server.stable_pools()
        big = "x" * ((1 << 20) + 1)
        for path, token in (("/api/v1/agent/heartbeat", self.secret), ("/api/v1/pools", "admin"),
                            ("/api/v1/agent/enrol", None)):
            with self.subTest(path=path):
                reply = self.server.request("POST", path, body=big, token=token)
                self.assertEqual((reply.status, reply.error_code), (413, "payload_too_large"), reply)
        self.assertEqual(self.server.stable_pools(), before)
        self.assert_still_serving()

    def test_oversized_declared_length_is_refused_before_the_body_arrives(self):
        sock = self.server.raw_socket()
        sock.sendall(b"POST /api/v1/pools HTTP/1.1\r\nHost: x\r\nContent-Length: 50000000\r\n\r\n")
        started = time.monotonic()
        response = read_all(sock)
        sock.close()
        self.assertTrue(response.startswith(b"HTTP/1.1 413"), response[:200])
        self.assertLess(time.monotonic() - started, 5)
        self.assert_still_serving()

    def test_malformed_http_gets_400(self):
        for raw in (b"GARBAGE\r\n\r\n", b"GET /healthz HTTP/9.9\r\n\r\n", b"GET  HTTP/1.1\r\nHost: x\r\n\r\n",
                    b"POST /api/v1/pools HTTP/1.1\r\nContent-Length: abc\r\n\r\n"):
            with self.subTest(raw=raw):
                sock = self.server.raw_socket()
                sock.sendall(raw)
                response = read_all(sock)
                sock.close()
                self.assertTrue(response.startswith(b"HTTP/1.1 400"), response[:200])
                self.assertIn(b'"code":"bad_request"', response)
        self.assert_still_serving()

    def test_huge_headers_get_431(self):
        sock = self.server.raw_socket()
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n")
        response = read_all(sock)
        sock.close()
        self.assertTrue(response.startswith(b"HTTP/1.1 431"), response[:200])
        self.assert_still_serving()

    def test_slow_request_is_cut_off_after_the_read_timeout(self):
        sock = self.server.raw_socket()
        sock.sendall(b"POST /api/v1/agent/heartbeat HTTP/1.1\r\nHost: x\r\n")  # headers never finish
        started = time.monotonic()
        sock.settimeout(10)
        data = read_all(sock)
        elapsed = time.monotonic() - started
        sock.close()
        self.assertEqual(data, b"")
        self.assertLess(elapsed, READ_TIMEOUT_MS / 1000 + 3)
        self.assert_still_serving()

    def test_idle_connection_is_closed_after_the_read_timeout(self):
        sock = socket.create_connection((self.server.host, self.server.port), timeout=10)
        started = time.monotonic()
        data = read_all(sock)  # we never send anything (with TLS: not even a ClientHello)
        elapsed = time.monotonic() - started
        sock.close()
        self.assertEqual(data, b"")
        self.assertLess(elapsed, READ_TIMEOUT_MS / 1000 + 3)
        self.assert_still_serving()

    def test_many_idle_connections_do_not_block_others(self):
        idle = [socket.create_connection((self.server.host, self.server.port), timeout=10) for _ in range(50)]
        try:
            self.assert_still_serving()
        finally:
            for sock in idle:
                sock.close()

    def test_keep_alive_serves_many_requests_on_one_connection(self):
        conn = self.server.connection()
        try:
            for seq in range(1, 51):
                conn.request("POST", "/api/v1/agent/heartbeat",
                             body='{"agent_version":"k","seq":%d}' % seq,
                             headers={"Authorization": f"Bearer {self.secret}"})
                response = conn.getresponse()
                response.read()
                self.assertEqual(response.status, 200)
        finally:
            conn.close()
        self.assertEqual(self.server.member("web", "lb1")["seq"], 50)


class TlsRobustnessTest(HostileClients, unittest.TestCase):
    tls = True

    def test_plain_http_to_tls_port_is_refused_cleanly(self):
        sock = socket.create_connection((self.server.host, self.server.port), timeout=10)
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        data = read_all(sock)
        sock.close()
        self.assertNotIn(b"HTTP/1.1 200", data)
        self.assert_still_serving()

    def test_client_that_distrusts_the_certificate_fails_and_server_survives(self):
        context = ssl.create_default_context()  # system CAs only: our self-signed cert is unknown
        raw = socket.create_connection((self.server.host, self.server.port), timeout=10)
        with self.assertRaises(ssl.SSLCertVerificationError):
            context.wrap_socket(raw, server_hostname=self.server.host)
        raw.close()
        self.assert_still_serving()


class PlainHttpRobustnessTest(HostileClients, unittest.TestCase):
    tls = False


if __name__ == "__main__":
    unittest.main()
