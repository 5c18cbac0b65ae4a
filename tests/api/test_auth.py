"""Authentication flows over httpx.MockTransport: IAM tokens, project id lookup, AK/SK, static tokens."""

from __future__ import annotations

import threading
import time as real_time
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from pulumi_modelarts import signing
from pulumi_modelarts.api import AuthenticationError, ConfigurationError, ModelArtsClient, ResponseLostError
from pulumi_modelarts.api.auth import AkSkAuth, PasswordTokenAuth, StaticTokenAuth, _drive, make_auth
from support.api_fakes import ENDPOINT, IAM, PROJECT_ID, Script, body_of, error, make_client, make_settings

PASSWORD = {
    "access_key": None,
    "secret_key": None,
    "username": "alice",
    "password": "pw-1234",
    "domain_name": "dom",
}
TOKENS = "/v3/auth/tokens"
DATASET = f"/v2/{PROJECT_ID}/datasets/ds1"


class FakeIam:
    """Issues numbered tokens; ModelArts accepts only the newest one."""

    def __init__(self, lifetime: timedelta = timedelta(hours=24), project_id: str = PROJECT_ID) -> None:
        self.issued = 0
        self.lifetime = lifetime
        self.project_id = project_id
        self.valid: set[str] = set()
        self.seen: list[str | None] = []
        self.lock = threading.Lock()

    def token(self, request: httpx.Request) -> httpx.Response:
        real_time.sleep(0.01)  # lets concurrent callers pile up
        with self.lock:
            self.issued += 1
            value = f"MII-token-{self.issued}"
            self.valid = {value}
        expires = (datetime.now(timezone.utc) + self.lifetime).isoformat().replace("+00:00", "Z")
        body = {"token": {"expires_at": expires, "project": {"id": self.project_id, "name": "eu-de"}}}
        return httpx.Response(201, json=body, headers={"X-Subject-Token": value})

    def dataset(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request.headers.get("X-Auth-Token"))
        if request.headers.get("X-Auth-Token") not in self.valid:
            return error(401, "ModelArts.0202", "The token must be updated")
        return httpx.Response(200, json={"dataset_id": "ds1"})


def token_script(iam: FakeIam) -> Script:
    return Script().on("POST", TOKENS, iam.token).on("GET", DATASET, iam.dataset)


def test_token_is_issued_once_and_shared_by_clients() -> None:
    iam = FakeIam()
    script = token_script(iam)
    first = make_client(script, **PASSWORD)
    first.get_dataset("ds1")
    first.get_dataset("ds1")
    second = ModelArtsClient(first.settings, transport=script.transport())
    second.get_dataset("ds1")
    assert iam.issued == 1
    request = next(r for r in script.requests if r.url.path == TOKENS)
    assert request.url.params["nocatalog"] == "true"
    assert body_of(request) == {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {"user": {"name": "alice", "password": "pw-1234", "domain": {"name": "dom"}}},
            },
            "scope": {"project": {"id": PROJECT_ID}},
        }
    }


def test_iam_requests_carry_the_client_timeouts() -> None:
    """Every request has the client's timeouts, also the ones the auth flows build: a token fetched again after a
    401, in the middle of a call, and the AK/SK project lookup. httpx sends a request that names none with none,
    and a silent IAM endpoint would then hold the run forever."""
    iam = FakeIam()
    projects = httpx.Response(200, json={"projects": [{"id": "p9", "name": "eu-de"}]})
    script = token_script(iam).on("GET", "/v3/projects", projects)
    client = make_client(script, read_timeout=7, connect_timeout=3, **PASSWORD)
    client.get_dataset("ds1")
    iam.valid = set()  # the next call is answered 401: its flow fetches a token and sends the call again
    client.get_dataset("ds1")
    assert make_client(script, read_timeout=7, connect_timeout=3, project_id=None).project_id == "p9"
    assert [request.method for request in script.requests] == ["POST", "GET", "GET", "POST", "GET", "GET"]
    expected = {"connect": 3.0, "read": 7.0, "write": 7.0, "pool": 7.0}
    assert [request.extensions.get("timeout") for request in script.requests] == [expected] * 6


def test_scope_by_name_and_project_id_learned_from_the_token() -> None:
    iam = FakeIam()
    script = token_script(iam)
    client = make_client(script, project_id=None, project_name="eu-de_team", **PASSWORD)
    assert client.get_dataset("ds1") == {"dataset_id": "ds1"}
    assert client.project_id == PROJECT_ID
    assert body_of(script.requests[0])["auth"]["scope"] == {"project": {"name": "eu-de_team"}}
    client = make_client(script, project_id=None, **{**PASSWORD, "domain_name": None, "domain_id": "dom-id"})
    client.get_dataset("ds1")  # a new identity: a new token, scoped by region
    iam_body = body_of([r for r in script.requests if r.url.path == TOKENS][-1])
    assert iam_body["auth"]["scope"] == {"project": {"name": "eu-de"}}
    assert iam_body["auth"]["identity"]["password"]["user"]["domain"] == {"id": "dom-id"}


def test_401_refreshes_once_and_replays() -> None:
    iam = FakeIam()
    script = token_script(iam)
    client = make_client(script, **PASSWORD)
    client.get_dataset("ds1")
    iam.valid = set()  # the service forgets the token
    assert client.get_dataset("ds1") == {"dataset_id": "ds1"}
    assert iam.issued == 2
    assert iam.seen == [
        "MII-token-1",
        "MII-token-1",
        "MII-token-2",
    ]


def test_second_401_is_an_authentication_error() -> None:
    iam = FakeIam()
    script = Script().on("POST", TOKENS, iam.token).on("GET", DATASET, error(401, "APIG.0301", "denied"))
    with pytest.raises(AuthenticationError, match=r"APIG\.0301"):
        make_client(script, **PASSWORD).get_dataset("ds1")
    assert iam.issued == 2 and script.count("GET", DATASET) == 2


def test_concurrent_callers_share_one_token_fetch() -> None:
    iam = FakeIam()
    script = token_script(iam)
    client = make_client(script, **PASSWORD)
    errors: list[BaseException] = []

    def call() -> None:
        try:
            client.get_dataset("ds1")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and iam.issued == 1


def test_token_is_refreshed_five_minutes_before_it_expires() -> None:
    now = [1_000_000.0]
    auth = PasswordTokenAuth(
        iam_endpoint=IAM, username="u", password="p", domain_name="d", project_id="p1", clock=lambda: now[0]
    )
    expires = datetime.fromtimestamp(now[0] + 3600, timezone.utc).isoformat()
    calls = []

    def send(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(201, json={"token": {"expires_at": expires}}, headers={"X-Subject-Token": "tok"})

    _drive(auth._obtain(stale=None), send)
    now[0] += 3600 - 301
    _drive(auth._obtain(stale=None), send)
    assert len(calls) == 1
    now[0] += 2
    _drive(auth._obtain(stale=None), send)
    assert len(calls) == 2


def test_wrong_password_is_an_authentication_error_without_the_password() -> None:
    script = Script().on(
        "POST",
        TOKENS,
        httpx.Response(401, json={"error": {"code": 401, "message": "wrong password pw-1234"}}),
    )
    with pytest.raises(AuthenticationError) as caught:
        make_client(script, **PASSWORD).get_dataset("ds1")
    assert "pw-1234" not in str(caught.value) and "POST /v3/auth/tokens" in str(caught.value)
    assert script.count("POST", TOKENS) == 1  # not retried


def test_iam_failure_during_refresh_does_not_make_a_create_ambiguous() -> None:
    iam = FakeIam()
    tasks = f"{DATASET}/tasks"
    refreshes: list[int] = []

    def flaky_token(request: httpx.Request) -> httpx.Response:
        refreshes.append(1)
        if len(refreshes) == 2:
            raise httpx.ReadTimeout("iam is slow", request=request)
        return iam.token(request)

    script = Script().on("POST", TOKENS, flaky_token)
    script.on("POST", tasks, error(401, "ModelArts.0202"), httpx.Response(200, json={"task_id": "t1"}))
    client = make_client(script, **PASSWORD)
    try:
        assert client.create_task("ds1", {"task_type": "auto-label"}) == "t1"
    except ResponseLostError:  # pragma: no cover - the failure this test guards against
        pytest.fail("a failed token refresh was taken for a lost create")


def test_aksk_project_lookup_is_signed_and_cached_per_key_and_region() -> None:
    def projects(request: httpx.Request) -> httpx.Response:
        assert request.url.params["name"] == "eu-de"
        assert "X-Project-Id" not in request.headers
        parsed = signing.parse_authorization(request.headers["Authorization"])
        assert parsed is not None and parsed.signed_headers == ["host", "x-sdk-date"]
        return httpx.Response(200, json={"projects": [{"id": "learned", "name": "eu-de"}]})

    script = Script().on("GET", "/v3/projects", projects)
    script.on("GET", "/v2/learned/datasets/ds1", httpx.Response(200, json={"dataset_id": "ds1"}))
    client = make_client(script, project_id=None)
    client.get_dataset("ds1")
    make_client(script, project_id=None).get_dataset("ds1")
    assert script.count("GET", "/v3/projects") == 1
    assert script.requests[-1].headers["X-Project-Id"] == "learned"
    assert client.project_id == "learned"


def test_aksk_project_lookup_without_match() -> None:
    script = Script().on("GET", "/v3/projects", httpx.Response(200, json={"projects": []}))
    with pytest.raises(ConfigurationError, match="no project named 'eu-de'"):
        make_client(script, project_id=None).get_dataset("ds1")


def test_static_token() -> None:
    script = Script().on("GET", DATASET, error(401, "ModelArts.0202"))
    client = make_client(script, access_key=None, secret_key=None, auth_token="static-tok")
    assert isinstance(client._auth, StaticTokenAuth)
    with pytest.raises(AuthenticationError):
        client.get_dataset("ds1")
    assert script.requests[0].headers["X-Auth-Token"] == "static-tok"
    assert len(script.requests) == 1


@pytest.mark.parametrize(
    ("overrides", "cls"),
    [
        ({}, AkSkAuth),
        ({"security_token": "st"}, AkSkAuth),
        (PASSWORD, PasswordTokenAuth),
        ({"access_key": None, "secret_key": None, "auth_token": "t"}, StaticTokenAuth),
    ],
)
def test_make_auth_follows_the_settings(overrides: dict[str, Any], cls: type) -> None:
    auth = make_auth(make_settings(**overrides))
    assert type(auth) is cls


def test_endpoint_of_requests() -> None:
    script = Script().on("GET", DATASET, httpx.Response(200, json={}))
    make_client(script).get_dataset("ds1")
    assert str(script.requests[0].url) == f"{ENDPOINT}{DATASET}"
