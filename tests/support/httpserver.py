"""A local HTTP server (127.0.0.1) for download tests: /ok/NAME serves a file, /bad/NAME
serves other bytes, /trunc/NAME promises the full length but sends half and hangs up."""
from __future__ import annotations

import gzip
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server API
        self.server.requests.append(self.path)
        route, _, name = self.path.lstrip("/").partition("/")
        body = self.server.files.get(name)
        if body is None or route not in ("ok", "bad", "trunc"):
            self.send_error(404)
            return
        if route == "bad":
            body = gzip.compress(b"\x00\x00\x08\x01\x00\x00\x00\x01\x07", mtime=0)
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if route == "trunc":
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class FileServer:
    def __init__(self, files: dict[str, bytes]):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.files = dict(files)
        self.httpd.requests = []
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def requests(self) -> list[str]:
        return self.httpd.requests

    def url(self, route: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/{route}/"

    def __enter__(self) -> "FileServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


def dead_url() -> str:
    """A 127.0.0.1 URL on a port nobody listens on (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"
