"""IAM tokens and AK/SK signatures, as the real gateway checks them (NOTES §5.4, §6)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from pulumi_modelarts.emulator.auth import AK_LOCK_SECONDS, AK_MAX_FAILURES
from support.emu_helpers import AkSkAuth, TokenAuth, aksk_client, get_token, password_body, token_client
from support.emulator_process import EmulatorProcess

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def _apig(response: httpx.Response, suffix: str) -> None:
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["error_code"] == "APIG.0301"
    assert body["error_msg"].startswith("Incorrect IAM authentication information: ")
    assert suffix in body["error_msg"]
    assert re.fullmatch(r"[0-9a-f]{32}", body["request_id"])
    assert response.headers["X-Request-Id"] == body["request_id"]


def test_password_token(shared_emulator: EmulatorProcess) -> None:
    em = shared_emulator
    response = httpx.post(em.url + "/v3/auth/tokens", json=password_body(em))
    assert response.status_code == 201
    token = response.headers["X-Subject-Token"]
    assert token.startswith("MII") and len(token) > 500
    body = response.json()["token"]
    assert ISO.match(body["expires_at"]) and ISO.match(body["issued_at"])
    issued = datetime.strptime(body["issued_at"], "%Y-%m-%dT%H:%M:%S.%fZ")
    expires = datetime.strptime(body["expires_at"], "%Y-%m-%dT%H:%M:%S.%fZ")
    assert expires - issued == timedelta(hours=24)
    assert body["methods"] == ["password"]
    assert body["user"]["name"] == em.username and body["user"]["domain"]["name"] == em.domain_name
    assert body["project"] == {"id": em.project_id, "name": em.project_name, "domain": body["user"]["domain"]}
    assert body["roles"] and body["catalog"]
    assert any(entry["type"] == "modelarts" for entry in body["catalog"])
    with token_client(em, token) as http:
        assert http.get("/datasets").status_code == 200


def test_token_scoped_by_project_id_and_nocatalog(shared_emulator: EmulatorProcess) -> None:
    em = shared_emulator
    body = password_body(em, scope={"project": {"id": em.project_id}})
    response = httpx.post(em.url + "/v3/auth/tokens", params={"nocatalog": "true"}, json=body)
    assert response.status_code == 201
    assert "catalog" not in response.json()["token"]
    assert response.json()["token"]["project"]["id"] == em.project_id


def test_wrong_password_is_401_in_iam_shape(shared_emulator: EmulatorProcess) -> None:
    em = shared_emulator
    response = httpx.post(em.url + "/v3/auth/tokens", json=password_body(em, password="nope"))
    assert response.status_code == 401
    assert response.json() == {
        "error": {"code": 401, "message": "The username or password is wrong.", "title": "Unauthorized"}
    }
    assert "X-Subject-Token" not in response.headers


@pytest.mark.parametrize("body", [b"{", b"[]", b'{"auth": 1}', b'{"auth": {"identity": {"methods": ["token"]}}}'])
def test_malformed_token_requests_are_400(shared_emulator: EmulatorProcess, body: bytes) -> None:
    response = httpx.post(shared_emulator.url + "/v3/auth/tokens", content=body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == 400


def test_unknown_project_scope_is_refused(shared_emulator: EmulatorProcess) -> None:
    em = shared_emulator
    response = httpx.post(em.url + "/v3/auth/tokens", json=password_body(em, scope={"project": {"name": "cn-north-1"}}))
    assert response.status_code == 401


def test_domain_scoped_token_is_refused_by_modelarts(shared_emulator: EmulatorProcess) -> None:
    em = shared_emulator
    token = get_token(em, scope={"domain": {"name": em.domain_name}})
    with token_client(em, token) as http:
        response = http.get("/datasets")
    assert response.status_code == 401
    assert response.json()["error_code"] == "ModelArts.0212"
    # IAM itself accepts it
    projects = httpx.get(em.url + "/v3/projects", headers={"X-Auth-Token": token})
    assert projects.status_code == 200


def test_list_projects_with_token_and_aksk(shared_emulator: EmulatorProcess) -> None:
    em = shared_emulator
    response = httpx.get(em.url + "/v3/projects", params={"name": "eu-de"}, headers={"X-Auth-Token": get_token(em)})
    assert response.status_code == 200
    [project] = response.json()["projects"]
    assert project["id"] == em.project_id and project["name"] == "eu-de" and project["enabled"] is True
    assert project["domain_id"]
    with httpx.Client(base_url=em.url, auth=AkSkAuth(em.access_key, em.secret_key)) as http:
        signed = http.get("/v3/projects", params={"name": "eu-de"})
        assert signed.status_code == 200 and signed.json()["projects"][0]["id"] == em.project_id
        assert http.get("/v3/projects", params={"name": "other"}).json()["projects"] == []
    _apig(httpx.get(em.url + "/v3/projects"), "x-auth-token not found")


def test_validate_token(shared_emulator: EmulatorProcess) -> None:
    em = shared_emulator
    caller, subject = get_token(em), get_token(em)
    ok = httpx.get(em.url + "/v3/auth/tokens", headers={"X-Auth-Token": caller, "X-Subject-Token": subject})
    assert ok.status_code == 200 and ok.headers["X-Subject-Token"] == subject
    head = httpx.head(em.url + "/v3/auth/tokens", headers={"X-Auth-Token": caller, "X-Subject-Token": subject})
    assert head.status_code == 200 and head.content == b""
    missing = httpx.get(em.url + "/v3/auth/tokens", headers={"X-Auth-Token": caller, "X-Subject-Token": "MIIbogus"})
    assert missing.status_code == 404


def test_missing_and_unknown_token(shared_emulator: EmulatorProcess) -> None:
    em = shared_emulator
    base = f"{em.url}/v2/{em.project_id}/datasets"
    _apig(httpx.get(base), "x-auth-token not found")
    _apig(httpx.get(base, headers={"X-Auth-Token": "MIInot-a-token"}), "decrypt token fail")


def test_expired_tokens(emulator: EmulatorProcess) -> None:
    token = get_token(emulator)
    with token_client(emulator, token) as http:
        assert http.get("/datasets").status_code == 200
        emulator.expire_tokens()
        response = http.get("/datasets")
        _apig(response, "token expires, expires_at: ")
        assert ISO.match(response.json()["error_msg"].rsplit("expires_at: ", 1)[1])
    # a new token works again
    with token_client(emulator) as http:
        assert http.get("/datasets").status_code == 200


def test_tokens_expire_with_the_virtual_clock(emulator_factory: Callable[..., EmulatorProcess]) -> None:
    em = emulator_factory("--token-ttl-seconds", "60")
    with token_client(em) as http:
        assert http.get("/datasets").status_code == 200
        em.advance_clock(61)
        _apig(http.get("/datasets"), "token expires")


def test_aksk_good_signature(shared_emulator: EmulatorProcess) -> None:
    with aksk_client(shared_emulator) as http:
        assert http.get("/datasets", params={"limit": 5, "search_content": "flo wers"}).status_code == 200
        created = http.post("/datasets/unknown/versions", json={"version_name": "x"})
        assert created.status_code == 400 and created.json()["error_code"] == "ModelArts.4352"


def test_aksk_old_credential_form(shared_emulator: EmulatorProcess) -> None:
    with aksk_client(shared_emulator, old_form=True) as http:
        response = http.get("/datasets")
        assert response.request.headers["Authorization"].startswith("SDK-HMAC-SHA256 Credential=EMULATORACCESSKEY001/")
        assert response.status_code == 200


def test_aksk_without_project_header(shared_emulator: EmulatorProcess) -> None:
    em = shared_emulator
    with httpx.Client(base_url=f"{em.url}/v2/{em.project_id}", auth=AkSkAuth(em.access_key, em.secret_key)) as http:
        assert http.get("/datasets").status_code == 200


def test_aksk_tampered_signature(shared_emulator: EmulatorProcess) -> None:
    with aksk_client(shared_emulator, tamper=True) as http:
        _apig(http.get("/datasets"), "verify aksk signature fail")


def test_aksk_body_is_signed(shared_emulator: EmulatorProcess) -> None:
    em = shared_emulator

    class SwapBody(AkSkAuth):
        def auth_flow(self, request: httpx.Request):  # type: ignore[no-untyped-def]
            signed = next(super().auth_flow(request))
            swapped = signed.content.replace(b"aaaaa", b"bbbbb")
            signed.stream = httpx.ByteStream(swapped)
            signed._content = swapped
            yield signed

    with httpx.Client(
        base_url=f"{em.url}/v2/{em.project_id}", auth=SwapBody(em.access_key, em.secret_key, project_id=em.project_id)
    ) as http:
        _apig(http.post("/datasets/x/versions", json={"version_name": "aaaaa"}), "signature fail")


def test_aksk_wrong_secret_and_unknown_ak(shared_emulator: EmulatorProcess) -> None:
    em = shared_emulator
    for auth in (AkSkAuth(em.access_key + "X", em.secret_key), AkSkAuth("SOMEOTHERKEY", "whatever")):
        with httpx.Client(base_url=f"{em.url}/v2/{em.project_id}", auth=auth) as http:
            _apig(http.get("/datasets"), "verify aksk signature fail")


@pytest.mark.parametrize("skew", [timedelta(minutes=16), timedelta(minutes=-16)])
def test_aksk_clock_skew(shared_emulator: EmulatorProcess, skew: timedelta) -> None:
    with aksk_client(shared_emulator, skew=skew) as http:
        _apig(http.get("/datasets"), "signature expired")
    with aksk_client(shared_emulator, skew=skew / 2) as http:
        assert http.get("/datasets").status_code == 200


def test_aksk_missing_date(shared_emulator: EmulatorProcess) -> None:
    em = shared_emulator
    headers = {"Authorization": f"SDK-HMAC-SHA256 Access={em.access_key}, SignedHeaders=host, Signature=00ff"}
    _apig(httpx.get(f"{em.url}/v2/{em.project_id}/datasets", headers=headers), "signature expired")
    bad = {"Authorization": "SDK-HMAC-SHA256 nonsense"}
    _apig(httpx.get(f"{em.url}/v2/{em.project_id}/datasets", headers=bad), "verify aksk signature fail")


def test_aksk_lockout(emulator: EmulatorProcess) -> None:
    with aksk_client(emulator, tamper=True) as bad, aksk_client(emulator) as good:
        for _ in range(AK_MAX_FAILURES):
            _apig(bad.get("/datasets"), "verify aksk signature fail")
        _apig(bad.get("/datasets"), "AK access failed to reach the limit,forbidden")
        # now even correct signatures are refused ...
        _apig(good.get("/datasets"), "AK access failed to reach the limit,forbidden")
        emulator.advance_clock(AK_LOCK_SECONDS - 5)
        _apig(good.get("/datasets"), "reach the limit")
        # ... until the lock ends
        emulator.advance_clock(10)
        assert good.get("/datasets").status_code == 200


def test_successes_reset_the_failure_count(emulator: EmulatorProcess) -> None:
    with aksk_client(emulator, tamper=True) as bad, aksk_client(emulator) as good:
        for _ in range(3):
            for _ in range(AK_MAX_FAILURES):
                _apig(bad.get("/datasets"), "verify aksk signature fail")
            assert good.get("/datasets").status_code == 200


def test_temporary_credentials(emulator: EmulatorProcess) -> None:
    response = emulator.admin.post("/credentials/temporary", json={"duration_seconds": 900})
    assert response.status_code == 201
    credential = response.json()["credential"]
    assert set(credential) == {"access", "secret", "securitytoken", "expires_at"}
    assert ISO.match(credential["expires_at"])
    base = f"{emulator.url}/v2/{emulator.project_id}"
    auth = AkSkAuth(
        credential["access"],
        credential["secret"],
        project_id=emulator.project_id,
        security_token=credential["securitytoken"],
    )
    with httpx.Client(base_url=base, auth=auth) as http:
        assert http.get("/datasets").status_code == 200
    no_token = AkSkAuth(credential["access"], credential["secret"], project_id=emulator.project_id)
    with httpx.Client(base_url=base, auth=no_token) as http:
        _apig(http.get("/datasets"), "verify aksk signature fail")
    wrong_token = AkSkAuth(credential["access"], credential["secret"], security_token="gQwrong")
    with httpx.Client(base_url=base, auth=wrong_token) as http:
        _apig(http.get("/datasets"), "verify aksk signature fail")
    emulator.advance_clock(901)
    with httpx.Client(base_url=base, auth=auth) as http:
        _apig(http.get("/datasets"), "expired")


def test_sts_endpoint(shared_emulator: EmulatorProcess) -> None:
    em = shared_emulator
    body = {"auth": {"identity": {"methods": ["token"], "token": {"duration_seconds": 900}}}}
    response = httpx.post(
        em.url + "/v3.0/OS-CREDENTIAL/securitytokens", json=body, headers={"X-Auth-Token": get_token(em)}
    )
    assert response.status_code == 201
    credential = response.json()["credential"]
    auth = AkSkAuth(credential["access"], credential["secret"], security_token=credential["securitytoken"])
    with httpx.Client(base_url=f"{em.url}/v2/{em.project_id}", auth=auth) as http:
        assert http.get("/datasets").status_code == 200


def test_project_mismatch(shared_emulator: EmulatorProcess) -> None:
    em = shared_emulator
    other = "f" * 32
    with httpx.Client(base_url=f"{em.url}/v2/{other}", auth=TokenAuth(get_token(em))) as http:
        response = http.get("/datasets")
    assert response.status_code == 403
    assert response.json()["error_code"] == "ModelArts.0210" and "request_id" not in response.json()
    with httpx.Client(base_url=f"{em.url}/v2/{other}", auth=AkSkAuth(em.access_key, em.secret_key)) as http:
        assert http.get("/datasets").json()["error_code"] == "ModelArts.0210"
    header_mismatch = AkSkAuth(em.access_key, em.secret_key, project_id=other)
    with httpx.Client(base_url=f"{em.url}/v2/{em.project_id}", auth=header_mismatch) as http:
        assert http.get("/datasets").status_code == 403


def test_token_wins_over_signature(shared_emulator: EmulatorProcess) -> None:
    em = shared_emulator
    with aksk_client(em, tamper=True) as http:
        response = http.get("/datasets", headers={"X-Auth-Token": get_token(em)})
    assert response.status_code == 200


def test_datetime_helper_is_utc() -> None:
    assert datetime.now(timezone.utc).tzinfo is timezone.utc
