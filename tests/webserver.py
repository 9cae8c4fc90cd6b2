"""A real HTTP server on 127.0.0.1 for the tests: saved pages and feeds, and the ways servers
fail (slow, 404, redirect loops, a 50 MB body, the wrong content type).

Routes map a path to a `Route`; the test may change them while the server runs (a feed that
gets a new entry). The server stops by itself when the `with` block ends.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MB = 1024 * 1024


@dataclass
class Route:
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (a slow server)
    stream_bytes: int = 0  # send this many bytes in 64 KB chunks instead of `body`
    etag: str | None = None  # answer 304 to a request that already has it


class LocalWeb:
    """The running server: `url(path)` addresses a route, `routes` may be changed, `requests`
    lists the paths asked for (with their If-None-Match header)."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, str | None, str | None]] = []  # path, user agent, etag
        self.closing = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}{path}"

    def set(self, path: str, route: Route) -> str:
        self.routes[path] = route
        return self.url(path)


def _handler(web: LocalWeb) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            etag = self.headers.get("If-None-Match")
            web.requests.append((self.path, self.headers.get("User-Agent"), etag))
            route = web.routes.get(self.path)
            if route is None:
                self._answer(404, b"<html><body>Not found</body></html>", "text/html")
                return
            if route.delay and web.closing.wait(route.delay):
                return
            if route.etag is not None and etag == route.etag:
                self.send_response(304)
                self.send_header("ETag", route.etag)
                self.end_headers()
                return
            headers = dict(route.headers)
            if route.etag is not None:
                headers["ETag"] = route.etag
            if route.stream_bytes:
                self._stream(route, headers)
            else:
                self._answer(route.status, route.body, route.content_type, headers)

        def _answer(
            self, status: int, body: bytes, kind: str, headers: dict[str, str] | None = None
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def _stream(self, route: Route, headers: dict[str, str]) -> None:
            """A large body sent chunk by chunk, without a Content-Length (so the client must
            count), and without ever holding it all in memory."""
            self.send_response(route.status)
            self.send_header("Content-Type", route.content_type)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            chunk = b"<p>" + b"x" * (64 * 1024 - 7) + b"</p>\n"
            sent = 0
            try:
                while sent < route.stream_bytes and not web.closing.is_set():
                    self.wfile.write(chunk)
                    sent += len(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client stopped reading at its limit, as it should
            self.close_connection = True

        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

    return Handler


@contextmanager
def local_web() -> Iterator[LocalWeb]:
    web = LocalWeb()
    thread = threading.Thread(target=web.server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield web
    finally:
        web.closing.set()
        web.server.shutdown()
        web.server.server_close()
        thread.join(timeout=5)


def unused_port() -> int:
    """A loopback port nothing listens on (a feed that is down)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(condition, timeout: float = 60.0, step: float = 0.2) -> bool:  # type: ignore[no-untyped-def]
    """Poll `condition` until it is true or `timeout` passes (no timing is asserted)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return bool(condition())
