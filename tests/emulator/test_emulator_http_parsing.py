"""The request head as http.server and http.client (Python 3.11, email-package header parsing) read it: raw bytes
over a socket, every answer on the connection compared, then whether the connection stayed open; and, in process,
random heads read by EmulatorHandler.parse_request and by the standard library's, field for field.

The expected answers are what the standard library's request parsing answered (recorded against it). After each
request a probe (GET /probe, Connection: close) is sent on the same connection: its 404 at the end of the answers
means the connection was kept open. GET /v3/projects answers with the Host header in ``links.self``, so it shows
the header values the application got."""

from __future__ import annotations

import io
import json
import socket
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pulumi_modelarts.emulator.server import EmulatorHandler
from support.emu_helpers import get_token
from support.emulator_process import EmulatorProcess, borrow_emulator, give_back

Answer = tuple[int | None, Any, bool]  # status (None: no status line, as to HTTP/0.9), JSON body, "Connection: close"

PROBE = b"GET /probe HTTP/1.1\r\nHost: p\r\nConnection: close\r\n\r\n"
NOT_FOUND_BODY = {"error_code": "ModelArts.2836", "error_msg": "PathNotFound"}
NOT_FOUND: Answer = (404, NOT_FOUND_BODY, False)
PROBED: Answer = (404, NOT_FOUND_BODY, True)  # the probe's answer: the connection was kept open
CONTINUE: Answer = (100, None, False)
NO_RULES: Answer = (200, {"rules": []}, False)
PROJECTS = b"GET /v3/projects?name=none HTTP/1.1\r\nX-Auth-Token: {token}\r\n"
NO_TOKEN_MESSAGE = "Incorrect IAM authentication information: x-auth-token not found"
NO_TOKEN: Answer = (401, {"error_code": "APIG.0301", "error_msg": NO_TOKEN_MESSAGE}, False)
FAULTS = b"PUT /_emulator/faults HTTP/1.1\r\nHost: h\r\n"
RULES = b'{"rules": []}'  # 13 bytes


def error(status: int, message: str, *, close: bool = True) -> Answer:
    """A protocol error, answered by the handler's send_error (which closes the connection)."""
    return (status, {"error_code": "ModelArts.4200" if status < 500 else "ModelArts.0010", "error_msg": message}, close)


def projects(host: str, *, close: bool = False) -> Answer:
    return (200, {"projects": [], "links": {"self": f"http://{host}/v3/projects", "next": None}}, close)


def headers(count: int) -> bytes:
    return b"".join(b"X-H%d: v\r\n" % index for index in range(count))


CASES: dict[str, tuple[bytes, list[Answer]]] = {
    # --- the request line ---
    "blank line: closed without answer": (b"\r\n", []),
    "one word": (b"GARBAGE\r\n\r\n", [error(400, "Bad request syntax ('GARBAGE')")]),
    "four words": (b"GET / x HTTP/1.1\r\n\r\n", [error(400, "Bad request syntax ('GET / x HTTP/1.1')")]),
    "last word not a version": (b"GET / HTTP/1.1 x\r\n\r\n", [error(400, "Bad request version ('x')")]),
    "version without minor": (b"GET / HTTP/1\r\n\r\n", [error(400, "Bad request version ('HTTP/1')")]),
    "version with two dots": (b"GET / HTTP/1.1.1\r\n\r\n", [error(400, "Bad request version ('HTTP/1.1.1')")]),
    "version not digits": (b"GET / HTTP/1.x\r\n\r\n", [error(400, "Bad request version ('HTTP/1.x')")]),
    "superscript digit": (b"GET / HTTP/\xb2.1\r\n\r\n", [error(400, "Bad request version ('HTTP/\xb2.1')")]),
    "version number too long": (
        b"GET / HTTP/1.00000000001\r\n\r\n",
        [error(400, "Bad request version ('HTTP/1.00000000001')")],
    ),
    "lower-case version": (b"GET / http/1.1\r\n\r\n", [error(400, "Bad request version ('http/1.1')")]),
    "HTTP/2.0": (b"GET / HTTP/2.0\r\n\r\n", [error(505, "Invalid HTTP version (2.0)")]),
    "HTTP/1.1 with leading zeros": (b"GET / HTTP/01.01\r\n\r\n", [NOT_FOUND, PROBED]),
    "HTTP/1.0 closes": (b"GET / HTTP/1.0\r\n\r\n", [(404, NOT_FOUND_BODY, True)]),
    "HTTP/0.9 GET": (b"GET /\r\n\r\n", [(404, NOT_FOUND_BODY, True)]),
    "HTTP/0.9 POST": (b"POST /\r\n\r\n", [error(400, "Bad HTTP/0.9 request type ('POST')")]),
    "HTTP/0.9 version: no status line": (b"GET / HTTP/0.9\r\n\r\n", [(None, NOT_FOUND_BODY, False)]),
    "HTTP/0.9 version, bad syntax": (
        b"GET / x HTTP/0.9\r\n\r\n",
        [(None, error(400, "Bad request syntax ('GET / x HTTP/0.9')")[1], False)],
    ),
    "non-ASCII whitespace splits the line": (b"GET\xa0/\xa0HTTP/1.1\r\n\r\n", [NOT_FOUND, PROBED]),
    "LF only": (b"GET / HTTP/1.1\n\n", [NOT_FOUND, PROBED]),
    "leading slashes reduced": (PROJECTS.replace(b" /v3", b" ///v3") + b"Host: h\r\n\r\n", [projects("h"), PROBED]),
    "request line too long": (b"GET /" + b"a" * 65536 + b" HTTP/1.1\r\n\r\n", [error(414, "Request-URI Too Long")]),
    # --- Connection ---
    "Connection: close": (b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n", [(404, NOT_FOUND_BODY, True)]),
    "connection: CLOSE": (b"GET / HTTP/1.1\r\nconnection: CLOSE\r\n\r\n", [(404, NOT_FOUND_BODY, True)]),
    "Connection: close, with spaces": (b"GET / HTTP/1.1\r\nConnection:  close \r\n\r\n", [NOT_FOUND, PROBED]),
    "Connection: keep-alive on HTTP/1.0": (
        b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
        [NOT_FOUND, PROBED],
    ),
    "Connection: keep-alive on HTTP/0.9": (b"GET /\r\nConnection: keep-alive\r\n\r\n", [NOT_FOUND, PROBED]),
    "first Connection header counts": (
        b"GET / HTTP/1.1\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n",
        [NOT_FOUND, PROBED],
    ),
    # --- Expect ---
    "Expect: 100-continue": (
        FAULTS + b"Expect: 100-Continue\r\nContent-Length: 13\r\n\r\n" + RULES,
        [CONTINUE, NO_RULES, PROBED],
    ),
    "Expect on HTTP/1.0": (
        FAULTS.replace(b"1.1", b"1.0") + b"Expect: 100-continue\r\nContent-Length: 13\r\n\r\n" + RULES,
        [(200, {"rules": []}, True)],
    ),
    "Expect on HTTP/01.1 (compared as text)": (
        FAULTS.replace(b"1.1", b"01.1") + b"Expect: 100-continue\r\nContent-Length: 13\r\n\r\n" + RULES,
        [NO_RULES, PROBED],
    ),
    # --- header names and values ---
    "names ignore case": (
        b"GET /v3/projects?name=none HTTP/1.1\r\nx-AUTH-token: {token}\r\nhOsT: h\r\n\r\n",
        [
            projects("h"),
            PROBED,
        ],
    ),
    "values: leading blanks stripped, trailing kept": (PROJECTS + b"Host: \t h \t\r\n\r\n", [projects("h \t"), PROBED]),
    "no space after the colon": (PROJECTS + b"Host:h\r\n\r\n", [projects("h"), PROBED]),
    "ISO-8859-1 value": (PROJECTS + b"Host: caf\xe9\r\n\r\n", [projects("café"), PROBED]),
    "duplicate Host: the app gets the last": (PROJECTS + b"Host: a\r\nHost: b\r\n\r\n", [projects("b"), PROBED]),
    "duplicate Content-Length: the first counts": (
        FAULTS + b"Content-Length: 13\r\nContent-Length: 2\r\n\r\n" + RULES,
        [NO_RULES, PROBED],
    ),
    "chunked, names and value in any case": (
        FAULTS + b"TRANSFER-encoding: Chunked\r\n\r\nd\r\n" + RULES + b"\r\n0\r\n\r\n",
        [NO_RULES, PROBED],
    ),
    "folded value keeps its line breaks": (
        PROJECTS + b"Host: a\r\n b\r\n\tc \r\nX-B: d\r\n\r\n",
        [
            projects("a\r\n b\r\n\tc "),
            PROBED,
        ],
    ),
    "folded value with LF only": (PROJECTS + b"Host: a\n b\n\n", [projects("a\n b"), PROBED]),
    "continuation first: ignored": (
        b"GET /v3/projects?name=none HTTP/1.1\r\n x: y\r\nX-Auth-Token: {token}\r\nHost: h\r\n\r\n",
        [projects("h"), PROBED],
    ),
    "line starting with a colon: ignored, and its continuation": (
        PROJECTS + b"Host: h\r\n: x\r\n y\r\n\r\n",
        [projects("h"), PROBED],
    ),
    "'From ' lines: ignored, and their continuation": (
        b"GET /v3/projects?name=none HTTP/1.1\r\nFrom a\r\nX-Auth-Token: {token}\r\nHost: h\r\nFrom b: c\r\n d\r\n\r\n",
        [projects("h"), PROBED],
    ),
    "space before the colon ends the fields": (
        b"GET /v3/projects?name=none HTTP/1.1\r\nHost : x\r\nX-Auth-Token: {token}\r\n\r\n",
        [NO_TOKEN, PROBED],
    ),
    "non-ASCII name ends the fields": (
        b"GET /v3/projects?name=none HTTP/1.1\r\nX-\xe9: x\r\nX-Auth-Token: {token}\r\n\r\n",
        [NO_TOKEN, PROBED],
    ),
    "a lone CR ends a line": (PROJECTS + b"Host: a\rX-B: b\r\n\r\n", [projects("a"), PROBED]),
    "a lone CR in a folded value": (PROJECTS + b"Host: a\r b\r\n\r\n", [projects("a\r b"), PROBED]),
    "a lone CR then text ends the fields": (
        b"GET /v3/projects?name=none HTTP/1.1\r\nHost: a\rb\r\nX-Auth-Token: {token}\r\n\r\n",
        [NO_TOKEN, PROBED],
    ),
    "CR CR LF: an empty line ends the fields": (
        b"GET /v3/projects?name=none HTTP/1.1\r\nHost: a\r\r\nX-Auth-Token: {token}\r\n\r\n",
        [NO_TOKEN, PROBED],
    ),
    # --- limits (http.client: 65536 bytes a line, 100 lines with the empty one) ---
    "header line at the limit": (b"GET / HTTP/1.1\r\nX-A: " + b"a" * 65529 + b"\r\n\r\n", [NOT_FOUND, PROBED]),
    "header line too long": (b"GET / HTTP/1.1\r\nX-A: " + b"a" * 65530 + b"\r\n\r\n", [error(431, "Line too long")]),
    "99 header lines": (b"GET / HTTP/1.1\r\n" + headers(99) + b"\r\n", [NOT_FOUND, PROBED]),
    "100 header lines": (b"GET / HTTP/1.1\r\n" + headers(100) + b"\r\n", [error(431, "Too many headers")]),
    "too long before too many": (
        b"GET / HTTP/1.1\r\n" + headers(99) + b"X: " + b"a" * 65536 + b"\r\n\r\n",
        [error(431, "Line too long")],
    ),
}

# The client ends its side after these (no probe): the head ends at the end of the stream.
AT_EOF: dict[str, tuple[bytes, list[Answer]]] = {
    "fields end at EOF": (PROJECTS + b"Host: h", [projects("h")]),
    "fields end at EOF after CR": (PROJECTS + b"Host: h\r", [projects("h")]),
    "request line only": (b"GET / HTTP/1.1\r\n", [NOT_FOUND]),
}


@pytest.fixture(scope="module")
def target() -> Iterator[tuple[EmulatorProcess, bytes]]:
    emulator = borrow_emulator("--admin")
    yield emulator, get_token(emulator).encode()
    give_back(emulator)


def _answers(stream: Any) -> list[Answer]:
    """Every answer until the server closes the connection."""
    answers: list[Answer] = []
    while True:
        try:
            first = stream.readline()
        except ConnectionResetError:
            return answers
        if not first:
            return answers
        if not first.startswith(b"HTTP/"):  # an answer to HTTP/0.9: the body alone, then the connection closes
            body = first + stream.read()
            answers.append((None, _json(body), False))
            continue
        fields: dict[str, str] = {}
        while (line := stream.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("iso-8859-1").partition(":")
            fields[name.lower()] = value.strip()
        body = stream.read(int(fields.get("content-length", "0")))
        answers.append((int(first.split()[1]), _json(body), fields.get("connection") == "close"))


def _json(body: bytes) -> Any:
    if not body:
        return None
    value = json.loads(body)
    value.pop("request_id", None)  # in gateway-style errors: new for every request
    return value


def _exchange(emulator: EmulatorProcess, raw: bytes, *, eof: bool) -> list[Answer]:
    address = urlsplit(emulator.url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
        sock.sendall(raw if eof else raw + PROBE)
        if eof:
            sock.shutdown(socket.SHUT_WR)
        with sock.makefile("rb") as stream:
            return _answers(stream)


@pytest.mark.parametrize(
    ("raw", "expected", "eof"),
    [(raw, expected, False) for raw, expected in CASES.values()] + [(*case, True) for case in AT_EOF.values()],
    ids=[*CASES, *AT_EOF],
)
def test_request_heads_are_answered_as_by_the_standard_library(
    target: tuple[EmulatorProcess, bytes], raw: bytes, expected: list[Answer], eof: bool
) -> None:
    emulator, token = target
    assert _exchange(emulator, raw.replace(b"{token}", token), eof=eof) == expected


class StdlibHead(EmulatorHandler):
    """The emulator's handler with the standard library's parse_request (headers by the email package)."""

    parse_request = BaseHTTPRequestHandler.parse_request


def _read_head(handler_class: type[EmulatorHandler], data: bytes) -> tuple[Any, ...]:
    """What parse_request makes of ``data`` (as handle_one_request gives it): its result, the request it read,
    the header fields, the answer it wrote (without Date and X-Request-Id) and how many bytes it consumed."""
    handler = handler_class.__new__(handler_class)  # no socket: streams in memory
    handler.rfile, handler.wfile = io.BytesIO(data), io.BytesIO()
    handler.raw_requestline = handler.rfile.readline(65537)
    ok = handler.parse_request()
    request = (handler.command, handler.path, list(handler.headers.items())) if ok else None
    answer = [line for line in handler.wfile.getvalue().split(b"\r\n") if not line.startswith((b"Date:", b"X-Request"))]
    return ok, request, handler.request_version, handler.close_connection, answer, handler.rfile.tell()


VERSIONS = ["HTTP/1.1", "HTTP/1.0", "HTTP/0.9", "HTTP/01.10", "HTTP/2.0", "HTTP/1"]
REQUEST = st.tuples(st.sampled_from(["GET", "POST"]), st.sampled_from(["/", "//a//b"]), st.sampled_from(VERSIONS))
REQUEST_LINES = st.one_of(
    REQUEST.map(" ".join),  # mostly requests whose header fields are read
    REQUEST.map(" ".join),
    st.sampled_from(["GET /", "POST /", "", "GET / x HTTP/0.9"]),
    st.lists(st.sampled_from(["GET", "/", "x", *VERSIONS]), max_size=5).map(" ".join),
    st.text(" \t\x85\xa0GET/HTP.019", max_size=20),
)
FIELD_TEXT = st.text("aZ-: \t\r\n\xe9\x85", max_size=12)
FIELD_LINES = st.one_of(
    st.sampled_from(["Connection: close", "connection: Keep-Alive", "EXPECT: 100-continue", "From a", "From a: b"]),
    st.sampled_from([": x", " x", "\tx", "x", "Host : h", "X-\xe9: v", ""]),
    st.tuples(st.sampled_from(["Host", "Connection", "Expect", "From", "X-\xe9", ""]), FIELD_TEXT).map(": ".join),
)
LINE_ENDS = st.sampled_from(["\r\n", "\n", "\r", "\r\r\n"])


@given(
    request_line=REQUEST_LINES,
    fields=st.lists(st.tuples(FIELD_LINES, LINE_ENDS).map("".join), max_size=8),
    end=st.sampled_from(["\r\n", "\n", ""]),
)
def test_heads_are_read_as_the_standard_library_reads_them(request_line: str, fields: list[str], end: str) -> None:
    data = (request_line + "\r\n" + "".join(fields) + end + "rest").encode("iso-8859-1")
    assert _read_head(EmulatorHandler, data) == _read_head(StdlibHead, data)
