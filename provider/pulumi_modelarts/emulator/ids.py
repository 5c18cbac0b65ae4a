"""Identifiers in the shapes ModelArts and IAM use: random ones, and ones derived from names (demo data)."""

from __future__ import annotations

import base64
import hashlib
import secrets
import string

ALPHABET = string.ascii_letters + string.digits
ID_LENGTH = 19  # e.g. "XGrRZuCV1qmMxnsmD5u"


def new_id() -> str:
    """A random 19-character alphanumeric id (datasets, tasks, export tasks, versions)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(ID_LENGTH))


def derived_id(*parts: str) -> str:
    """A 19-character alphanumeric id that depends only on ``parts`` (stable across runs)."""
    number = int.from_bytes(hashlib.sha256("\x1f".join(parts).encode()).digest(), "big")
    chars: list[str] = []
    for _ in range(ID_LENGTH):
        number, index = divmod(number, len(ALPHABET))
        chars.append(ALPHABET[index])
    return "".join(chars)


def derived_hex32(*parts: str) -> str:
    """32 lower-case hex digits that depend only on ``parts`` (sample ids, user and domain ids)."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def derived_digits(length: int, *parts: str) -> str:
    """A decimal string of ``length`` digits derived from ``parts`` (train job ids and the like)."""
    number = int.from_bytes(hashlib.sha256("\x1f".join(parts).encode()).digest(), "big")
    return str(number)[-length:].rjust(length, "1")


def fraction(*parts: str) -> float:
    """A stable pseudo-random number in [0, 1) derived from ``parts``."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


def request_id() -> str:
    return secrets.token_hex(16)


def new_token() -> str:
    """An opaque IAM token; real ones are long base64 strings that start with "MII"."""
    return "MII" + base64.b64encode(secrets.token_bytes(720)).decode()


def token_key(token: str) -> str:
    """What the store keeps instead of the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_access_key() -> str:
    return "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(20))


def new_secret_key() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(40))


def new_security_token() -> str:
    return "gQ" + base64.b64encode(secrets.token_bytes(360)).decode()
