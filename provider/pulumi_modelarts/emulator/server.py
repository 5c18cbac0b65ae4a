"""HTTP plumbing: a threading HTTP/1.1 server (keep-alive, Content-Length on every answer) that
reads a request, hands it to ``Application.handle`` and writes the answer or drops the connection."""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from pulumi_modelarts.emulator import errors, http_parse, ids
from pulumi_modelarts.emulator.app import Application
from pulumi_modelarts.emulator.config import MAX_BODY_BYTES
from pulumi_modelarts.emulator.context import Response

# Bodies above the limit are still read (so the client sees the 413) up to this size; beyond it the
# connection is closed after answering.
DRAIN_LIMIT = 4 * MAX_BODY_BYTES
IDLE_TIMEOUT_SECONDS = 120


class BodyError(Exception):
    def __init__(self, status: int, code: str, message: str, *, close: bool) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.close = status, code, message, close


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    allow_reuse_address = True
    block_on_close = False

    def __init__(self, app: Application) -> None:
        self.app = app
        host = app.config.host
        if ":" in host:
            self.address_family = socket.AF_INET6
        super().__init__((host, app.config.port), EmulatorHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that vanish mid-request are normal here (faults, timeouts); anything else is one line
        on stderr (a full traceback with --verbose)."""
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError)):
            return
        if self.app.config.verbose:
            super().handle_error(request, client_address)
        else:
            sys.stderr.write(f"emulator: connection error: {type(error).__name__}: {error}\n")

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        text = host.decode() if isinstance(host, bytes) else str(host)
        shown = f"[{text}]" if ":" in text else text
        return f"http://{shown}:{port}"


class EmulatorHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    default_request_version = "HTTP/1.1"  # answer even malformed request lines with a status line
    server_version = "ModelArtsEmulator/0.1"
    sys_version = ""
    timeout = IDLE_TIMEOUT_SECONDS
    # Answers are buffered and sent in one write when the request is handled (http.server flushes then; an
    # answer that ends the connection is flushed as it closes): its head and body arrive together, so the
    # client reads one packet per answer, not two.
    wbufsize = -1
    server: EmulatorServer
    headers: http_parse.Headers  # type: ignore[assignment]  # not an email.message.Message: see parse_request

    def setup(self) -> None:
        super().setup()
        # Answers are written as headers then body; without this, Nagle's algorithm and delayed
        # ACKs add ~40 ms to every keep-alive request.
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def __getattr__(self, name: str) -> Any:
        # Every method (GET, POST, PATCH, FOO...) goes through one dispatcher, so unknown methods
        # get a 405/404 JSON answer instead of http.server's HTML 501.
        if name.startswith("do_"):
            return self._dispatch
        raise AttributeError(name)

    def parse_request(self) -> bool:
        """http.server's parse_request (Python 3.11) for a handler that speaks HTTP/1.1, with the same answers,
        the header fields read by http_parse instead of the email package."""
        self.request_version = self.default_request_version
        self.close_connection = True
        self.requestline = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
        try:
            line = http_parse.request_line(self.requestline)
            if line is None:
                return False
            self.command, self.path = line.command, line.path
            self.request_version = line.version or self.request_version
            self.close_connection = not line.persistent
            self.headers = http_parse.read_headers(self.rfile)
        except http_parse.ProtocolError as exc:
            self.request_version = exc.version or self.request_version  # HTTP/0.9 is answered without status line
            self.send_error(exc.status, exc.message)
            return False
        connection = self.headers.get("Connection", "").lower()
        if connection in ("close", "keep-alive"):
            self.close_connection = connection == "close"
        if self.headers.get("Expect", "").lower() == "100-continue" and self.request_version >= "HTTP/1.1":
            return self.handle_expect_100()
        return True

    def handle_expect_100(self) -> bool:
        """The interim "100 Continue" goes out at once: the client may wait for it before sending the body."""
        answered = super().handle_expect_100()
        self.wfile.flush()
        return answered

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Protocol-level errors (bad request line, oversized headers...) as JSON, then close."""
        self.close_connection = True
        text = message or HTTPStatus(code).phrase
        code_text = errors.INVALID if code < 500 else errors.INTERNAL
        self._write(Response(code, {"error_code": code_text, "error_msg": text}), ids.request_id())

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.app.config.verbose:
            sys.stderr.write(f"{self.address_string()} - {format % args}\n")

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # _dispatch logs one line per request with the duration

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        text = self.headers.get("Content-Length")
        if text is None:
            return b""
        if not text.strip().isdigit():
            raise BodyError(400, errors.INVALID, "Invalid Content-Length header.", close=True)
        length = int(text)
        if length > MAX_BODY_BYTES:
            if length <= DRAIN_LIMIT:
                self._discard(length)
                raise BodyError(413, "ModelArts.4104", "The request body is larger than 12 MB.", close=False)
            raise BodyError(413, "ModelArts.4104", "The request body is larger than 12 MB.", close=True)
        return self.rfile.read(length) if length else b""

    def _discard(self, length: int) -> None:
        while length > 0:
            chunk = self.rfile.read(min(length, 1 << 20))
            if not chunk:
                break
            length -= len(chunk)

    def _read_chunked(self) -> bytes:
        parts: list[bytes] = []
        size = 0
        while True:
            line = self.rfile.readline(1024).strip().split(b";", 1)[0]
            try:
                chunk_size = int(line, 16)
            except ValueError:
                raise BodyError(400, errors.INVALID, "Invalid chunked body.", close=True) from None
            if chunk_size == 0:
                while self.rfile.readline(1024).strip():
                    pass
                return b"".join(parts)
            size += chunk_size
            if size > MAX_BODY_BYTES:
                raise BodyError(413, "ModelArts.4104", "The request body is larger than 12 MB.", close=True)
            parts.append(self.rfile.read(chunk_size))
            self.rfile.readline(8)

    def _dispatch(self) -> None:
        started = time.monotonic()
        app = self.server.app
        method = self.command.upper()
        try:
            body = self._read_body()
        except BodyError as exc:
            if exc.close:
                self.close_connection = True
            self._write(Response(exc.status, {"error_code": exc.code, "error_msg": exc.message}), ids.request_id())
            return
        headers = {name.lower(): value for name, value in self.headers.items()}
        host = headers.get("host") or self.server.url.split("://", 1)[1]
        request_id = ids.request_id()
        outcome = app.handle(method, self.path, headers, body, f"http://{host}", request_id)
        if outcome.drop:
            self._drop()
        elif outcome.response is not None:
            self._write(outcome.response, request_id, head=method == "HEAD")
        if app.config.verbose:
            status = "dropped" if outcome.drop else str(outcome.response.status if outcome.response else "-")
            elapsed = (time.monotonic() - started) * 1000
            sys.stderr.write(f"{method} {self.path.split('?', 1)[0]} {status} {elapsed:.1f}ms\n")

    def _drop(self) -> None:
        """Close the connection without a single byte of answer (the client sees a disconnect)."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _write(self, response: Response, request_id: str, *, head: bool = False) -> None:
        payload = b"" if response.body is None else json.dumps(response.body, ensure_ascii=False).encode()
        try:
            self.send_response(response.status)
            if payload:
                self.send_header("Content-Type", "application/json;charset=UTF-8")
            if response.status != 204:
                self.send_header("Content-Length", str(len(payload)))
            self.send_header("X-Request-Id", request_id)
            for name, value in response.headers.items():
                self.send_header(name, value)
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if payload and not head:
                self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
