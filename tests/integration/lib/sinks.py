"""Receivers for alerts: an HTTP webhook endpoint and an SMTP server that requires STARTTLS (aiosmtpd),
both on 127.0.0.1, recording everything they get."""
import hashlib
import hmac
import json
import os
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from harness import free_port, wait_until


class WebhookReceiver:
    """Records POSTs; `fail_next` makes the next N requests answer 500 (to exercise retries)."""

    def __init__(self):
        self.requests = []
        self.fail_next = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server naming)
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length).decode()
                with receiver.lock:
                    failing = receiver.fail_next > 0
                    if failing:
                        receiver.fail_next -= 1
                    receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body,
                                              "failed": failing})
                self.send_response(500 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def delivered(self, kind=None):
        with self.lock:
            bodies = [r for r in self.requests if not r["failed"]]
        if kind is None:
            return bodies
        return [r for r in bodies if alert_kind(r["body"]) == kind]

    def wait_for(self, kind, timeout=10):
        return wait_until(lambda: self.delivered(kind), timeout, what=f"webhook alert {kind}")

    def cleanup(self):
        self.server.shutdown()
        self.server.server_close()


def alert_kind(body):
    """The alert kind of a JSON body, or of a Slack body ("[balctl] KIND in pool ...")."""
    payload = json.loads(body)
    if "kind" in payload:
        return payload["kind"]
    return payload.get("text", "").removeprefix("[balctl] ").split(" ")[0]


def verify_signature(request, secret):
    timestamp = request["headers"]["X-Balctl-Timestamp"]
    expected = hmac.new(secret.encode(), f"{timestamp}.{request['body']}".encode(), hashlib.sha256).hexdigest()
    return request["headers"]["X-Balctl-Signature"] == "sha256=" + expected


class SmtpSink:
    """aiosmtpd with a self-signed certificate; STARTTLS required before MAIL FROM."""

    def __init__(self, directory):
        import ssl
        from aiosmtpd.controller import Controller
        os.makedirs(directory, exist_ok=True)
        self.cert = os.path.join(directory, "smtp.crt")
        key = os.path.join(directory, "smtp.key")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-keyout", key, "-out", self.cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"], check=True, capture_output=True)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, key)
        self.messages = []
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd naming)
                sink.messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                                      "data": envelope.content.decode(errors="replace"),
                                      "tls": session.ssl is not None})
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port, tls_context=context,
                                     require_starttls=True)
        self.controller.start()

    @property
    def url(self):
        return f"smtp://127.0.0.1:{self.port}"

    def cleanup(self):
        self.controller.stop()
