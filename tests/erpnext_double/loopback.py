"""A real HTTP(S) server on loopback with fault injection: the base of every test double.

Subclasses implement ``handle(request) -> Reply``; this class records every request, runs the
server in a thread and applies injected faults (delays, statuses, HTML, garbage, dropped
connections, Retry-After) before or after the subclass's handling.
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import threading
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from requests.structures import CaseInsensitiveDict

GARBAGE = b"\x00\x9f\x92<<not json>>\xff{"


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the double received it (headers kept verbatim, Authorization included)."""

    method: str
    path: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]
    body: bytes

    def param(self, name: str, default: str | None = None) -> str | None:
        """First value of a query parameter."""
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


@dataclass
class Reply:
    """What the double answers."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, payload: Any, headers: Mapping[str, str] | None = None) -> Reply:
        """A JSON answer."""
        return cls(
            status,
            json.dumps(payload).encode(),
            {"Content-Type": "application/json", **(headers or {})},
        )

    @classmethod
    def text(cls, status: int, text: str, content_type: str = "text/plain") -> Reply:
        """A text answer."""
        return cls(status, text.encode(), {"Content-Type": f"{content_type}; charset=utf-8"})


@dataclass
class Fault:
    """An injected misbehaviour, applied to the next ``times`` matching requests."""

    path_prefix: str | None = None
    times: int | None = 1  # None: every matching request until clear_faults()
    delay: float = 0.0
    status: int | None = None
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    content_type: str | None = None
    html: bool = False
    garbage: bool = False
    drop: bool = False
    drop_after_handling: bool = False
    delay_after_handling: float = 0.0  # handle (the write happens), then wait, then answer
    retry_after: float | None = None
    chunked: bool = False
    drip: float = 0.0  # with chunked: pause between 4 KiB chunks (a slow body)
    extra: Mapping[str, Any] = field(default_factory=dict)  # subclass-specific options
    hits: int = 0

    @property
    def replaces_answer(self) -> bool:
        """Whether the fault answers instead of the double's normal handling."""
        return bool(
            self.html
            or self.garbage
            or self.status is not None
            or self.body is not None
            or self.retry_after is not None
        )


class LoopbackDouble:
    """Base class: a threaded HTTP server on 127.0.0.1 with recording and fault injection."""

    def __init__(
        self, *, ssl_context: ssl.SSLContext | None = None, url_host: str = "127.0.0.1"
    ) -> None:
        self._ssl_context = ssl_context
        self._url_host = url_host
        self._lock = threading.RLock()
        self._requests: list[RecordedRequest] = []
        self._faults: list[Fault] = []
        self._connections = 0
        self._open_sockets: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Self:
        """Start serving on an ephemeral loopback port."""
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.01},  # how long stop() waits at most
            name=f"{type(self).__name__}:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and cut open connections (also wakes delayed handlers)."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        with self._lock:
            for sock in list(self._open_sockets):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port the server listens on."""
        if self._server is None:
            raise RuntimeError("the double is not running")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:54321 (no trailing slash)."""
        scheme = "https" if self._ssl_context else "http"
        return f"{scheme}://{self._url_host}:{self.port}"

    # ------------------------------------------------------------------ recording

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, oldest first (a copy)."""
        with self._lock:
            return list(self._requests)

    @property
    def connection_count(self) -> int:
        """How many TCP connections the server accepted."""
        with self._lock:
            return self._connections

    def clear_requests(self) -> None:
        """Forget the recorded requests."""
        with self._lock:
            self._requests.clear()

    # ------------------------------------------------------------------ faults

    def inject(
        self,
        path_prefix: str | None = None,
        *,
        times: int | None = 1,
        delay: float = 0.0,
        status: int | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        content_type: str | None = None,
        html: bool = False,
        garbage: bool = False,
        drop: bool = False,
        drop_after_handling: bool = False,
        delay_after_handling: float = 0.0,
        retry_after: float | None = None,
        chunked: bool = False,
        drip: float = 0.0,
        **extra: Any,
    ) -> Fault:
        """Misbehave on the next ``times`` requests whose path starts with ``path_prefix``.

        ``delay`` waits before answering (alone: then answers normally). ``drop`` closes the
        connection without answering; ``drop_after_handling`` handles the request (a write
        happens) and then closes without answering. ``delay_after_handling`` handles the
        request at once and answers only after that many seconds: a client that gives up
        sooner has had its write done anyway, as a real server keeps working after the client
        stopped waiting. ``status``/``body``/``html``/``garbage``/
        ``retry_after`` replace the answer: a body that is a dict or list is sent as JSON,
        ``status`` alone gets the double's own error body for that status, ``retry_after``
        alone answers 429 like Frappe's rate limiter. ``chunked`` sends the body chunked, with
        ``drip`` seconds between 4 KiB chunks.
        """
        fault = Fault(
            path_prefix=path_prefix,
            times=times,
            delay=delay,
            status=status,
            body=body,
            headers=dict(headers or {}),
            content_type=content_type,
            html=html,
            garbage=garbage,
            drop=drop,
            drop_after_handling=drop_after_handling,
            delay_after_handling=delay_after_handling,
            retry_after=retry_after,
            chunked=chunked or drip > 0,
            drip=drip,
            extra=extra,
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        """Remove every pending fault."""
        with self._lock:
            self._faults.clear()

    # ------------------------------------------------------------------ subclass hooks

    def handle(self, request: RecordedRequest) -> Reply:
        """Answer a request normally (subclasses implement their protocol here)."""
        return Reply.text(404, "Not Found")

    def error_reply(self, status: int, request: RecordedRequest, fault: Fault) -> Reply:
        """The body for an injected status without a body."""
        return Reply.text(status, f"HTTP {status}")

    def html_page(self, status: int, request: RecordedRequest) -> bytes:
        """The HTML page for ``inject(html=True)``."""
        return (
            b"<!DOCTYPE html><html><head><title>Login</title></head>"
            b"<body><form action='/login'>Please log in</form></body></html>"
        )

    # ------------------------------------------------------------------ internals

    def _take_fault(self, path: str, method: str | None = None) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                # inject(..., method="POST") limits a fault to one HTTP method.
                if fault.extra.get("method") not in (None, method):
                    continue
                if fault.path_prefix is None or path.startswith(fault.path_prefix):
                    fault.hits += 1
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self._faults.remove(fault)
                    return fault
        return None

    def _fault_reply(self, fault: Fault, request: RecordedRequest) -> Reply:
        if fault.html:
            status = fault.status or 200
            reply = Reply(
                status,
                self.html_page(status, request),
                {"Content-Type": "text/html; charset=utf-8"},
            )
        elif fault.garbage:
            reply = Reply(fault.status or 200, GARBAGE, {"Content-Type": "application/json"})
        elif fault.body is not None:
            reply = _body_reply(fault.status or 200, fault.body, fault.content_type)
        elif fault.status is not None:
            reply = self.error_reply(fault.status, request, fault)
        else:  # retry_after alone: Frappe's rate limiter (frappe/rate_limiter.py)
            reply = Reply.text(429, "Too Many Requests")
        if fault.retry_after is not None:
            reply.headers["Retry-After"] = _number(fault.retry_after)
        reply.headers.update(fault.headers)
        return reply

    def _safe_handle(self, request: RecordedRequest) -> Reply:
        try:
            return self.handle(request)
        except Exception:  # a bug in a double must show up as a loud 500, not a hang
            return Reply.text(500, "Double crashed:\n" + traceback.format_exc())


def _body_reply(status: int, body: Any, content_type: str | None) -> Reply:
    if isinstance(body, (dict, list)):
        return Reply(status, json.dumps(body).encode(), {"Content-Type": "application/json"})
    if isinstance(body, bytes):
        return Reply(status, body, {"Content-Type": content_type or "application/octet-stream"})
    return Reply(status, str(body).encode(), {"Content-Type": content_type or "text/plain"})


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, double: LoopbackDouble) -> None:
        self.double = double
        super().__init__(("127.0.0.1", 0), _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.double._lock:
            self.double._connections += 1
            self.double._open_sockets.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.double._lock:
            self.double._open_sockets.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet: clients that reset connections or fail TLS are part of the tests."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real servers do
    server_version = "LoopbackDouble/1.0"
    timeout = 30
    server: _Server

    def setup(self) -> None:
        # Headers and body go out in two sends: without TCP_NODELAY every answer on a
        # kept-alive connection waits ~40 ms for a delayed ACK (Nagle).
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        context = self.server.double._ssl_context
        if context is not None:
            self.request.settimeout(5)
            self.request = context.wrap_socket(self.request, server_side=True)
            with self.server.double._lock:
                self.server.double._open_sockets.add(self.request)
        super().setup()

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            if isinstance(self.request, ssl.SSLSocket):  # the server only knows the raw socket
                with self.server.double._lock:
                    self.server.double._open_sockets.discard(self.request)
                self.request.close()

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output clean."""

    def do_GET(self) -> None:
        """Dispatch."""
        self._dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    def _dispatch(self) -> None:
        double = self.server.double
        body = self._read_body()
        parts = urlsplit(self.path)
        request = RecordedRequest(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers=CaseInsensitiveDict(self.headers.items()),
            body=body,
        )
        with double._lock:
            double._requests.append(request)
        fault = double._take_fault(request.path, request.method)
        if fault is not None and fault.delay and double._stopping.wait(fault.delay):
            self._drop()
            return
        if fault is not None and fault.drop:
            self._drop()
            return
        if fault is not None and fault.drop_after_handling:
            double._safe_handle(request)
            self._drop()
            return
        if fault is not None and fault.replaces_answer:
            reply = double._fault_reply(fault, request)
        else:
            reply = double._safe_handle(request)
        stopped = fault is not None and double._stopping.wait(fault.delay_after_handling or 0)
        if stopped:
            self._drop()
            return
        self._send(reply, chunked=bool(fault and fault.chunked), drip=fault.drip if fault else 0)

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _drop(self) -> None:
        self.close_connection = True

    def _send(self, reply: Reply, *, chunked: bool, drip: float = 0.0) -> None:
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if self.command == "HEAD":
            return
        try:
            if chunked:
                for start in range(0, len(reply.body), 4096):
                    piece = reply.body[start : start + 4096]
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                    if drip:
                        self.wfile.flush()
                        if self.server.double._stopping.wait(drip):
                            raise OSError("double stopping")
                self.wfile.write(b"0\r\n\r\n")
            else:
                self.wfile.write(reply.body)
        except OSError:
            self.close_connection = True  # the client gave up (e.g. over its body limit)
