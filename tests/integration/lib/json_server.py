"""A JSON-over-HTTP server on 127.0.0.1 for the providers' contract stand-ins: every request, whatever its
method, goes to one `handle(method, path, headers, body)` under the stand-in's lock, which returns
(status, reply object, extra headers)."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from harness import free_port


def serve_json(handle, lock):
    class Handler(BaseHTTPRequestHandler):
        def _handle(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length).decode() if length else ""
            with lock:
                status, reply, extra = handle(self.command, self.path, self.headers, body)
            data = json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in extra.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle  # noqa: N815

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
