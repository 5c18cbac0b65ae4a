"""SDK-HMAC-SHA256 request signing, the algorithm of Huawei Cloud's and OTC's API gateway.

Pure functions with no I/O, shared by the client (which signs) and the emulator (which
verifies), so that both sides provably implement the same algorithm. See NOTES §6.3.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import quote

ALGORITHM = "SDK-HMAC-SHA256"
DATE_HEADER = "X-Sdk-Date"
DATE_FORMAT = "%Y%m%dT%H%M%SZ"
EMPTY_BODY_SHA256 = hashlib.sha256(b"").hexdigest()
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"

_AUTH_RE = re.compile(
    r"^SDK-HMAC-SHA256\s+(?:Access=(?P<access>[^,\s]+)|Credential=(?P<credential>[^,\s]+))\s*,\s*"
    r"SignedHeaders=(?P<signed>[^,\s]+)\s*,\s*Signature=(?P<signature>[0-9a-fA-F]+)\s*$"
)


def _encode(value: str) -> str:
    """Percent-encode with only RFC 3986 unreserved characters left as they are."""
    return quote(value, safe="-_.~")


def canonical_uri(path: str) -> str:
    segments = [_encode(segment) for segment in path.split("/")]
    uri = "/".join(segments)
    return uri if uri.endswith("/") else uri + "/"


def canonical_query(params: Iterable[tuple[str, str]]) -> str:
    pairs = sorted((_encode(name), _encode(value)) for name, value in params)
    return "&".join(f"{name}={value}" for name, value in pairs)


def canonical_request(
    method: str,
    path: str,
    query: Iterable[tuple[str, str]],
    headers: Mapping[str, str],
    signed_headers: list[str],
    payload_hash: str,
) -> str:
    lowered = {name.lower(): value for name, value in headers.items()}
    header_block = "".join(f"{name}:{lowered.get(name, '').strip()}\n" for name in signed_headers)
    return "\n".join(
        [
            method.upper(),
            canonical_uri(path),
            canonical_query(query),
            header_block,
            ";".join(signed_headers),
            payload_hash,
        ]
    )


def payload_sha256(body: bytes, headers: Mapping[str, str]) -> str:
    for name, value in headers.items():
        if name.lower() == "x-sdk-content-sha256":
            return value
    return hashlib.sha256(body).hexdigest()


def string_to_sign(sdk_date: str, canonical: str) -> str:
    return f"{ALGORITHM}\n{sdk_date}\n{hashlib.sha256(canonical.encode()).hexdigest()}"


def signature(secret_key: str, text: str) -> str:
    return hmac.new(secret_key.encode(), text.encode(), hashlib.sha256).hexdigest()


def sign(
    *,
    access_key: str,
    secret_key: str,
    method: str,
    path: str,
    query: Iterable[tuple[str, str]],
    headers: Mapping[str, str],
    body: bytes,
    signed_headers: list[str] | None = None,
) -> str:
    """Return the ``Authorization`` header value for a request whose headers include X-Sdk-Date."""
    names = sorted(name.lower() for name in (signed_headers or headers.keys()))
    lowered = {name.lower(): value for name, value in headers.items()}
    canonical = canonical_request(method, path, query, headers, names, payload_sha256(body, headers))
    sig = signature(secret_key, string_to_sign(lowered["x-sdk-date"], canonical))
    return f"{ALGORITHM} Access={access_key}, SignedHeaders={';'.join(names)}, Signature={sig}"


def format_sdk_date(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime(DATE_FORMAT)


def parse_sdk_date(value: str) -> datetime:
    return datetime.strptime(value, DATE_FORMAT).replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class ParsedAuthorization:
    access_key: str
    signed_headers: list[str]
    signature: str


def parse_authorization(value: str) -> ParsedAuthorization | None:
    """Parse both the current ``Access=`` form and the older ``Credential=AK/...`` form."""
    match = _AUTH_RE.match(value.strip())
    if match is None:
        return None
    access = match.group("access") or match.group("credential").split("/", 1)[0]
    return ParsedAuthorization(
        access_key=access,
        signed_headers=match.group("signed").lower().split(";"),
        signature=match.group("signature").lower(),
    )
