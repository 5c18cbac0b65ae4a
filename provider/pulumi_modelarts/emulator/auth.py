"""Who is calling: IAM tokens (issued by the emulator) and AK/SK signatures (SDK-HMAC-SHA256).

Token expiry follows the virtual clock (advancing it past the TTL expires tokens, as time would);
the ``X-Sdk-Date`` window is checked against the wall clock, because clients sign with real time.
The AK lockout also uses the virtual clock, so tests can skip past it.
"""

from __future__ import annotations

import hmac
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote

from pulumi_modelarts import signing
from pulumi_modelarts.emulator import errors, ids
from pulumi_modelarts.emulator.clock import VirtualClock, iso_utc
from pulumi_modelarts.emulator.config import EmulatorConfig
from pulumi_modelarts.emulator.store import Store

AK_MAX_FAILURES = 5  # more consecutive signature failures than this lock the AK ...
AK_LOCK_SECONDS = 300  # ... for five minutes (NOTES §5.4)
LOCKED_MESSAGE = "AK access failed to reach the limit,forbidden"


@dataclass(frozen=True)
class TokenInfo:
    issued_ms: int
    expires_ms: int
    project_id: str | None  # None for a domain-scoped token
    project_name: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "issued_ms": self.issued_ms,
            "expires_ms": self.expires_ms,
            "project_id": self.project_id,
            "project_name": self.project_name,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TokenInfo:
        return cls(data["issued_ms"], data["expires_ms"], data.get("project_id"), data.get("project_name"))


@dataclass(frozen=True)
class Principal:
    method: str  # "token" or "aksk"
    project_id: str | None
    token: TokenInfo | None = None


@dataclass(frozen=True)
class Temporary:
    secret: str
    security_token: str
    expires_ms: int


class Authenticator:
    def __init__(self, store: Store, clock: VirtualClock, config: EmulatorConfig) -> None:
        self.store = store
        self.clock = clock
        self.config = config
        self._tokens: dict[str, TokenInfo] = {}
        self._temporary: dict[str, Temporary] = {}
        self._failures: dict[str, int] = {}
        self._locked_until: dict[str, int] = {}
        self._lock = threading.Lock()

    # --- tokens ---
    def issue_token(self, project_id: str | None, project_name: str | None) -> tuple[str, TokenInfo]:
        now = self.clock.now_ms()
        info = TokenInfo(now, now + int(self.config.token_ttl_seconds * 1000), project_id, project_name)
        token = ids.new_token()
        with self.store.transaction() as tx:
            tx.put("token", ids.token_key(token), info.to_json(), created_ms=now)
        with self._lock:
            self._tokens[token] = info
        return token, info

    def lookup_token(self, token: str) -> TokenInfo | None:
        with self._lock:
            info = self._tokens.get(token)
        if info is not None:
            return info
        with self.store.transaction() as tx:
            data = tx.get("token", ids.token_key(token))
        if data is None:
            return None
        info = TokenInfo.from_json(data)
        with self._lock:
            self._tokens[token] = info
        return info

    def expire_all(self) -> int:
        """Make every issued token expire now; returns how many were still valid."""
        now = self.clock.now_ms()
        with self.store.transaction() as tx:
            updated = []
            for key, data in tx.items("token"):
                if data["expires_ms"] > now:
                    data["expires_ms"] = now
                    updated.append((key, data))
            tx.update_all("token", updated)
        with self._lock:
            self._tokens = {
                token: TokenInfo(info.issued_ms, min(info.expires_ms, now), info.project_id, info.project_name)
                for token, info in self._tokens.items()
            }
        return len(updated)

    # --- temporary AK/SK ---
    def create_temporary(self, duration_seconds: int) -> dict[str, Any]:
        now = self.clock.now_ms()
        access = ids.new_access_key()
        temporary = Temporary(ids.new_secret_key(), ids.new_security_token(), now + duration_seconds * 1000)
        with self.store.transaction() as tx:
            tx.put(
                "credential",
                access,
                {
                    "secret": temporary.secret,
                    "securitytoken": temporary.security_token,
                    "expires_ms": temporary.expires_ms,
                },
                created_ms=now,
            )
        with self._lock:
            self._temporary[access] = temporary
        return {
            "access": access,
            "secret": temporary.secret,
            "securitytoken": temporary.security_token,
            "expires_at": iso_utc(temporary.expires_ms),
        }

    def _temporary_for(self, access: str) -> Temporary | None:
        with self._lock:
            found = self._temporary.get(access)
        if found is not None:
            return found
        with self.store.transaction() as tx:
            data = tx.get("credential", access)
        if data is None:
            return None
        found = Temporary(data["secret"], data["securitytoken"], data["expires_ms"])
        with self._lock:
            self._temporary[access] = found
        return found

    # --- requests ---
    def authenticate(
        self, method: str, raw_path: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> Principal:
        """Check X-Auth-Token or the AK/SK signature; raise a 401 ApiError (APIG.0301) otherwise."""
        token = headers.get("x-auth-token")
        if token:
            return self._by_token(token)
        authorization = headers.get("authorization")
        if authorization:
            return self._by_signature(method, raw_path, query, headers, body, authorization)
        raise errors.iam_auth_failed("x-auth-token not found")

    def _by_token(self, token: str) -> Principal:
        info = self.lookup_token(token)
        if info is None:
            raise errors.iam_auth_failed("decrypt token fail")
        if self.clock.now_ms() >= info.expires_ms:
            raise errors.iam_auth_failed(f"token expires, expires_at: {iso_utc(info.expires_ms)}")
        return Principal("token", info.project_id, info)

    def _by_signature(
        self,
        method: str,
        raw_path: str,
        query: str,
        headers: Mapping[str, str],
        body: bytes,
        authorization: str,
    ) -> Principal:
        parsed = signing.parse_authorization(authorization)
        old_form = "Credential=" in authorization and "Access=" not in authorization
        if parsed is None or (old_form and self.config.strict("credential_form")):
            raise errors.iam_auth_failed("verify aksk signature fail")
        access = parsed.access_key
        now = self.clock.now_ms()
        with self._lock:
            if self._locked_until.get(access, 0) > now:
                raise errors.iam_auth_failed(LOCKED_MESSAGE)
        sdk_date = headers.get("x-sdk-date", "")
        try:
            signed_at = signing.parse_sdk_date(sdk_date).timestamp()
        except ValueError:
            raise errors.iam_auth_failed("calc ak sk signature fail:signature expired") from None
        if abs(self.clock.real_now() - signed_at) > self.config.clock_skew_seconds:
            raise errors.iam_auth_failed("calc ak sk signature fail:signature expired")
        secret = self._secret_for(access, headers, now)
        if secret is None or not self._signature_ok(method, raw_path, query, headers, body, parsed, secret):
            self._failed(access, now)
        with self._lock:
            self._failures.pop(access, None)
        project = headers.get("x-project-id") or self.config.project_id
        return Principal("aksk", project)

    def _secret_for(self, access: str, headers: Mapping[str, str], now: int) -> str | None:
        if access == self.config.access_key:
            return self.config.secret_key
        temporary = self._temporary_for(access)
        if temporary is None:
            return None
        if now >= temporary.expires_ms:
            raise errors.iam_auth_failed("the security token has expired")
        given = headers.get("x-security-token", "")
        if not hmac.compare_digest(given.encode(), temporary.security_token.encode()):
            return None
        return temporary.secret

    @staticmethod
    def _signature_ok(
        method: str,
        raw_path: str,
        query: str,
        headers: Mapping[str, str],
        body: bytes,
        parsed: signing.ParsedAuthorization,
        secret: str,
    ) -> bool:
        params = parse_qsl(query, keep_blank_values=True)
        payload = signing.payload_sha256(body, headers)
        sdk_date = headers.get("x-sdk-date", "")
        paths = [unquote(raw_path)]
        if raw_path != paths[0]:
            paths.append(raw_path)
        for path in paths:
            canonical = signing.canonical_request(method, path, params, headers, parsed.signed_headers, payload)
            expected = signing.signature(secret, signing.string_to_sign(sdk_date, canonical))
            if hmac.compare_digest(expected.encode(), parsed.signature.encode()):
                return True
        return False

    def _failed(self, access: str, now: int) -> None:
        with self._lock:
            count = self._failures.get(access, 0) + 1
            if count > AK_MAX_FAILURES:
                self._failures.pop(access, None)
                self._locked_until[access] = now + AK_LOCK_SECONDS * 1000
                locked = True
            else:
                self._failures[access] = count
                locked = False
        raise errors.iam_auth_failed(LOCKED_MESSAGE if locked else "verify aksk signature fail")
