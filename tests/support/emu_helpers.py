"""Helpers for the emulator tests: AK/SK signing and IAM tokens for plain httpx clients.

The project's own client is written elsewhere; these helpers use only ``pulumi_modelarts.signing``.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx

from pulumi_modelarts.signing import format_sdk_date, sign
from support.emulator_process import EmulatorProcess

FLOWERS = "flowers"
PETS = "pets-detection"
TICKETS = "support-tickets"


class AkSkAuth(httpx.Auth):
    """Signs each request like the Huawei SDKs: X-Sdk-Date, Host, X-Project-Id (+ X-Security-Token)."""

    requires_request_body = True

    def __init__(
        self,
        access_key: str,
        secret_key: str,
        *,
        project_id: str | None = None,
        security_token: str | None = None,
        skew: timedelta = timedelta(0),
        old_form: bool = False,
        tamper: bool = False,
    ) -> None:
        self.access_key = access_key
        self.secret_key = secret_key
        self.project_id = project_id
        self.security_token = security_token
        self.skew = skew
        self.old_form = old_form
        self.tamper = tamper

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        moment = datetime.now(timezone.utc) + self.skew
        request.headers["X-Sdk-Date"] = format_sdk_date(moment)
        if self.project_id:
            request.headers["X-Project-Id"] = self.project_id
        if self.security_token:
            request.headers["X-Security-Token"] = self.security_token
        names = [
            name
            for name in ("content-type", "host", "x-project-id", "x-sdk-date", "x-security-token")
            if name in request.headers
        ]
        headers = {name: request.headers[name] for name in names}
        value = sign(
            access_key=self.access_key,
            secret_key=self.secret_key,
            method=request.method,
            path=request.url.path,
            query=list(request.url.params.multi_items()),
            headers=headers,
            body=request.content,
            signed_headers=names,
        )
        if self.old_form:
            stamp = request.headers["X-Sdk-Date"][:8]
            value = value.replace(
                f"Access={self.access_key}", f"Credential={self.access_key}/{stamp}//modelarts/sdk_request"
            )
        if self.tamper:
            last = value[-1]
            value = value[:-1] + ("0" if last != "0" else "1")
        request.headers["Authorization"] = value
        yield request


class TokenAuth(httpx.Auth):
    def __init__(self, token: str) -> None:
        self.token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["X-Auth-Token"] = self.token
        yield request


def password_body(
    em: EmulatorProcess, *, password: str | None = None, scope: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {
                        "name": em.username,
                        "password": em.password if password is None else password,
                        "domain": {"name": em.domain_name},
                    }
                },
            },
            "scope": scope if scope is not None else {"project": {"name": em.project_name}},
        }
    }


def get_token(em: EmulatorProcess, **kwargs: Any) -> str:
    response = httpx.post(em.url + "/v3/auth/tokens", json=password_body(em, **kwargs), timeout=10)
    assert response.status_code == 201, response.text
    return response.headers["X-Subject-Token"]


def aksk_client(em: EmulatorProcess, **kwargs: Any) -> httpx.Client:
    auth = AkSkAuth(em.access_key, em.secret_key, project_id=em.project_id, **kwargs)
    return httpx.Client(base_url=f"{em.url}/v2/{em.project_id}", auth=auth, timeout=10)


def token_client(em: EmulatorProcess, token: str | None = None) -> httpx.Client:
    return httpx.Client(base_url=f"{em.url}/v2/{em.project_id}", auth=TokenAuth(token or get_token(em)), timeout=10)


def dataset_id(client: httpx.Client, name: str) -> str:
    response = client.get("/datasets", params={"search_content": name, "limit": 100})
    assert response.status_code == 200, response.text
    for item in response.json()["datasets"]:
        if item["dataset_name"] == name:
            return str(item["dataset_id"])
    raise AssertionError(f"dataset {name} not found")


def wait_for(predicate: Any, timeout: float = 10.0, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(interval)


def pages(client: httpx.Client, path: str, key: str, limit: int, **params: Any) -> Iterator[list[dict[str, Any]]]:
    offset = 0
    while True:
        response = client.get(path, params={**params, "offset": offset, "limit": limit})
        assert response.status_code == 200, response.text
        items = response.json()[key]
        if not items:
            return
        yield items
        offset += 1
