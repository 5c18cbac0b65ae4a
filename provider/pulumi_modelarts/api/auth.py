"""httpx authentication flows for ModelArts: IAM password tokens, AK/SK signing, a ready token.

Each flow also knows the project id the URLs need: configured, or learned from IAM (the
token's project, or a signed project lookup by name). What IAM is asked is written once as a
generator that yields requests; it runs inside httpx's ``auth_flow`` and, through
``_drive``, outside it with any ``send`` callable.

No flow puts a secret in its ``repr``, in an exception or in a log record.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, TypeVar

from pulumi_modelarts import signing
from pulumi_modelarts.api._httpx import httpx
from pulumi_modelarts.api.config import USER_AGENT, Settings
from pulumi_modelarts.api.errors import (
    APIError,
    AuthenticationError,
    ConfigurationError,
    ServerError,
    ThrottledError,
)
from pulumi_modelarts.api.responses import error_from_response, json_body

Send = Callable[[httpx.Request], httpx.Response]
T = TypeVar("T")
R = TypeVar("R")

TOKEN_ROUTE = "/v3/auth/tokens"
PROJECTS_ROUTE = "/v3/projects"
REFRESH_MARGIN_SECONDS = 300.0
DEFAULT_TOKEN_LIFETIME_SECONDS = 3600.0  # used when IAM does not say when the token expires
IAM_REQUEST = "modelarts_iam_request"  # request extension marking IAM side requests
PROJECT_HINT = "set modelarts:projectId in Pulumi config or HW_PROJECT_ID/OS_PROJECT_ID in the environment"


def _drive(flow: Generator[httpx.Request, httpx.Response, T], send: Send) -> T:
    """Run a request-yielding generator to completion with ``send``."""
    try:
        request = next(flow)
        while True:
            request = flow.send(send(request))
    except StopIteration as stop:
        result: T = stop.value
        return result
    finally:
        flow.close()


def is_iam_request(request: httpx.Request) -> bool:
    """True for the side requests a flow sends to IAM (token, project lookup)."""
    return bool(request.extensions.get(IAM_REQUEST))


class CredentialState:
    """What IAM and the gateway said of one set of credentials in this process: nothing yet, accepted, rejected.

    Until a call has been answered without an authentication error, calls with these credentials go
    one at a time. After the first 401/403 about them, no call is sent with them again: the gateway
    locks an access key after a few bad signatures, and a wrong key is then one rejected signature
    per run, not one per resource.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._accepted = False
        self._rejection: AuthenticationError | None = None

    @property
    def rejection(self) -> AuthenticationError | None:
        return self._rejection

    def run(self, call: Callable[[], R]) -> R:
        """``call()``, unless these credentials were rejected before (then that error, not a request)."""
        if not self._accepted:
            with self._lock:
                if not self._accepted:  # the first call, or every call after a rejection or a 5xx/429
                    self._raise_if_rejected()
                    return self._observe(call)
        self._raise_if_rejected()
        return self._observe(call)

    def _raise_if_rejected(self) -> None:
        error = self._rejection
        if error is not None:
            raise AuthenticationError.like(error, str(error))

    def _observe(self, call: Callable[[], R]) -> R:
        try:
            result = call()
        except AuthenticationError as error:
            self._rejection = error
            raise
        except APIError as error:
            if not isinstance(error, (ThrottledError, ServerError)):
                self._accepted = True  # the API judged the request itself: the credentials passed
            raise
        self._accepted = True
        return result


_CREDENTIAL_STATES: dict[str, CredentialState] = {}
_CREDENTIAL_STATES_LOCK = threading.Lock()


def credential_state(*identity: str | None) -> CredentialState:
    """The process-wide state of the credentials identified by ``identity`` (hashed, never kept in clear)."""
    key = hashlib.sha256("\0".join(part or "" for part in identity).encode()).hexdigest()
    with _CREDENTIAL_STATES_LOCK:
        return _CREDENTIAL_STATES.setdefault(key, CredentialState())


class ModelArtsAuth(httpx.Auth):
    """An httpx auth flow that also resolves the project id."""

    requires_request_body = True  # AK/SK hashes the body; token flows replay it after a refresh
    credentials: CredentialState

    def project_id(self, send: Send) -> str:
        """The project id for URLs, asking IAM through ``send`` when it is not configured."""
        raise NotImplementedError

    def prepare(self, send: Send) -> None:
        """Fetch what the flow needs up front (token, project id), so that failures are clear."""
        self.project_id(send)


class StaticTokenAuth(ModelArtsAuth):
    """A token given directly (``X-Auth-Token``); it cannot be refreshed."""

    def __init__(self, token: str, project_id: str) -> None:
        self._token = token
        self._project_id = project_id
        self.credentials = credential_state("token", token, project_id)

    def project_id(self, send: Send) -> str:
        return self._project_id

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["X-Auth-Token"] = self._token
        yield request

    def __repr__(self) -> str:
        return f"StaticTokenAuth(project_id={self._project_id!r})"


# --- AK/SK --------------------------------------------------------------------------------

_PROJECT_IDS: dict[tuple[str, str, str], str] = {}
_PROJECT_IDS_LOCK = threading.Lock()


class AkSkAuth(ModelArtsAuth):
    """SDK-HMAC-SHA256 signing of every request (NOTES §6.3), permanent or temporary keys."""

    def __init__(
        self,
        access_key: str,
        secret_key: str,
        security_token: str | None = None,
        *,
        project_id: str | None = None,
        iam_endpoint: str | None = None,
        project_name: str | None = None,
        utcnow: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
        project_hint: str = PROJECT_HINT,
    ) -> None:
        self._project_hint = project_hint
        self._access_key = access_key
        self._secret_key = secret_key
        self._security_token = security_token
        self._project_id = project_id
        self._iam_endpoint = iam_endpoint
        self._project_name = project_name
        self._utcnow = utcnow
        self.credentials = credential_state("aksk", access_key, secret_key, security_token, iam_endpoint)

    @property
    def temporary(self) -> bool:
        return bool(self._security_token)

    def sign(self, request: httpx.Request, *, project_id: str | None) -> None:
        """Add the signing headers and ``Authorization`` to ``request`` (its body must be read)."""
        headers = request.headers
        headers[signing.DATE_HEADER] = signing.format_sdk_date(self._utcnow())
        headers["Host"] = request.url.netloc.decode("ascii")
        if project_id:
            headers["X-Project-Id"] = project_id
        if self._security_token:
            headers["X-Security-Token"] = self._security_token  # before signing, so that it is signed
        if request.content:
            headers["Content-Type"] = "application/json"
        signed = ["content-type", "host", "x-project-id", "x-sdk-date", "x-security-token"]
        method, path, query, values, body = signing_inputs(request)
        headers["Authorization"] = signing.sign(
            access_key=self._access_key,
            secret_key=self._secret_key,
            method=method,
            path=path,
            query=query,
            headers=values,
            body=body,
            signed_headers=[name for name in signed if name in headers],
        )

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        self.sign(request, project_id=self._project_id)
        yield request

    def project_id(self, send: Send) -> str:
        if self._project_id is None:
            self._project_id = _drive(self._lookup_project_id(), send)
        return self._project_id

    def _lookup_project_id(self) -> Generator[httpx.Request, httpx.Response, str]:
        """``GET {iam}/projects?name=...`` signed with the keys; cached per AK, IAM endpoint and name."""
        name = self._project_name
        if not self._iam_endpoint or not name:
            raise ConfigurationError("ModelArts project id is missing and cannot be looked up without a region")
        key = (hashlib.sha256(self._access_key.encode()).hexdigest(), self._iam_endpoint, name)
        with _PROJECT_IDS_LOCK:
            cached = _PROJECT_IDS.get(key)
        if cached:
            return cached
        request = httpx.Request(
            "GET",
            f"{self._iam_endpoint}/projects",
            params={"name": name},
            headers={"User-Agent": USER_AGENT},
            extensions={IAM_REQUEST: True},
        )
        self.sign(request, project_id=None)
        response = yield request
        if response.status_code != 200:
            raise error_from_response(response, method="GET", route=PROJECTS_ROUTE, secrets=self._secrets())
        projects = json_body(response, method="GET", route=PROJECTS_ROUTE).get("projects") or []
        matches = [p for p in projects if isinstance(p, dict) and p.get("name") == name and p.get("id")]
        if not matches:
            raise ConfigurationError(
                f"IAM has no project named {name!r} visible to these credentials: give the project id "
                f"({self._project_hint}), or fix the region or project name"
            )
        project_id = str(matches[0]["id"])
        with _PROJECT_IDS_LOCK:
            _PROJECT_IDS[key] = project_id
        return project_id

    def _secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self._access_key, self._secret_key, self._security_token) if s)

    def __repr__(self) -> str:
        return f"AkSkAuth(temporary={self.temporary}, project_id={self._project_id!r})"


def signing_inputs(request: httpx.Request) -> tuple[str, str, list[tuple[str, str]], dict[str, str], bytes]:
    """What ``signing.sign`` sees of an httpx request: method, decoded path, query pairs, headers, body."""
    return (
        request.method,
        request.url.path,
        list(request.url.params.multi_items()),
        dict(request.headers.items()),  # as dict(headers), without a lookup per name
        request.content,
    )


# --- IAM password tokens ------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    value: str
    refresh_at: float
    project_id: str | None


class _TokenSlot:
    """The cached token of one identity, shared by every client of the process."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.token: _Token | None = None


_TOKEN_SLOTS: dict[str, _TokenSlot] = {}
_TOKEN_SLOTS_LOCK = threading.Lock()


def _slot_for(identity: str) -> _TokenSlot:
    with _TOKEN_SLOTS_LOCK:
        return _TOKEN_SLOTS.setdefault(identity, _TokenSlot())


def _parse_time(value: Any) -> float | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


class PasswordTokenAuth(ModelArtsAuth):
    """IAM password token (NOTES §6.1), cached until 5 minutes before it expires, refreshed once on 401."""

    requires_response_body = True  # the token's expiry and project come from the IAM body

    def __init__(
        self,
        *,
        iam_endpoint: str,
        username: str,
        password: str,
        domain_name: str | None = None,
        domain_id: str | None = None,
        project_id: str | None = None,
        project_name: str | None = None,
        clock: Callable[[], float] = time.time,
        project_hint: str = PROJECT_HINT,
    ) -> None:
        self._project_hint = project_hint
        self._iam_endpoint = iam_endpoint
        self._username = username
        self._password = password
        self._domain = {"id": domain_id} if domain_id and not domain_name else {"name": domain_name or ""}
        self._scope = {"id": project_id} if project_id else {"name": project_name or ""}
        self._project_id = project_id
        self._clock = clock
        identity = "\0".join(
            [
                iam_endpoint,
                username,
                password,
                repr(sorted(self._domain.items())),
                repr(sorted(self._scope.items())),
            ]
        )
        self._slot = _slot_for(hashlib.sha256(identity.encode()).hexdigest())
        self.credentials = credential_state("password", identity)

    def project_id(self, send: Send) -> str:
        if self._project_id:
            return self._project_id
        token = _drive(self._obtain(stale=None), send)
        if not token.project_id:
            raise AuthenticationError(
                f"the IAM token does not name a project: give the project id ({self._project_hint})"
            )
        return token.project_id

    def prepare(self, send: Send) -> None:
        _drive(self._obtain(stale=None), send)
        self.project_id(send)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = yield from self._obtain(stale=None)
        request.headers["X-Auth-Token"] = token.value
        response = yield request
        if response.status_code == 401:
            token = yield from self._obtain(stale=token)
            request.headers["X-Auth-Token"] = token.value
            yield request

    def _obtain(self, stale: _Token | None) -> Generator[httpx.Request, httpx.Response, _Token]:
        """The cached token unless it is due for refresh or is ``stale``; else a new one from IAM.

        The slot's lock is held while IAM answers, so concurrent callers wait for one fetch.
        """
        with self._slot.lock:
            current = self._slot.token
            if current is not None and current is not stale and self._clock() < current.refresh_at:
                return current
            response = yield self._token_request()
            token = self._accept(response)
            self._slot.token = token
            return token

    def _token_request(self) -> httpx.Request:
        body = {
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {"user": {"name": self._username, "password": self._password, "domain": self._domain}},
                },
                "scope": {"project": self._scope},
            }
        }
        return httpx.Request(
            "POST",
            f"{self._iam_endpoint}/auth/tokens",
            params={"nocatalog": "true"},
            json=body,
            headers={"User-Agent": USER_AGENT},
            extensions={IAM_REQUEST: True},
        )

    def _accept(self, response: httpx.Response) -> _Token:
        secrets = (self._password,)
        if response.status_code not in (200, 201):
            error = error_from_response(response, method="POST", route=TOKEN_ROUTE, secrets=secrets)
            if response.status_code in (400, 401, 403) and not isinstance(error, AuthenticationError):
                error = AuthenticationError.like(error, str(error))
            raise error
        value = response.headers.get("X-Subject-Token")
        if not value:
            raise AuthenticationError(
                f"HTTP {response.status_code} on POST {TOKEN_ROUTE}: no X-Subject-Token header in the answer",
                status_code=response.status_code,
                method="POST",
                path=TOKEN_ROUTE,
            )
        token = json_body(response, method="POST", route=TOKEN_ROUTE).get("token")
        token = token if isinstance(token, dict) else {}
        now = self._clock()
        expires = _parse_time(token.get("expires_at")) or now + DEFAULT_TOKEN_LIFETIME_SECONDS
        # Short-lived tokens (tests, emulators) are refreshed half-way rather than never cached.
        margin = min(REFRESH_MARGIN_SECONDS, max(0.0, expires - now) / 2)
        project = token.get("project")
        project_id = project.get("id") if isinstance(project, dict) else None
        return _Token(value, expires - margin, str(project_id) if project_id else None)

    def __repr__(self) -> str:
        return (
            f"PasswordTokenAuth(iam_endpoint={self._iam_endpoint!r}, username={self._username!r}, "
            f"project={self._scope!r})"
        )


def make_auth(settings: Settings) -> ModelArtsAuth:
    """The flow that the settings select (see ``Settings.auth_method``)."""
    method = settings.auth_method
    if method in ("aksk", "temporary_aksk"):
        assert settings.access_key and settings.secret_key
        return AkSkAuth(
            settings.access_key,
            settings.secret_key,
            settings.security_token,
            project_id=settings.project_id,
            iam_endpoint=settings.iam_endpoint,
            project_name=settings.project_scope_name,
            project_hint=settings.where("project_id"),
        )
    if method == "password":
        assert settings.username and settings.password
        if not settings.iam_endpoint:
            raise ConfigurationError(f"ModelArts IAM endpoint is missing: {settings.where('iam_endpoint')}")
        return PasswordTokenAuth(
            iam_endpoint=settings.iam_endpoint,
            username=settings.username,
            password=settings.password,
            domain_name=settings.domain_name,
            domain_id=settings.domain_id,
            project_id=settings.project_id,
            project_name=settings.project_scope_name,
            project_hint=settings.where("project_id"),
        )
    assert settings.auth_token
    if not settings.project_id:
        raise ConfigurationError(
            f"ModelArts project id is missing (needed with a token): {settings.where('project_id')}"
        )
    return StaticTokenAuth(settings.auth_token, settings.project_id)


def clear_caches() -> None:
    """Forget every cached token, looked-up project id and credential verdict (tests; credential rotation)."""
    with _TOKEN_SLOTS_LOCK:
        _TOKEN_SLOTS.clear()
    with _PROJECT_IDS_LOCK:
        _PROJECT_IDS.clear()
    with _CREDENTIAL_STATES_LOCK:
        _CREDENTIAL_STATES.clear()
