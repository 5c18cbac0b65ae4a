"""Test doubles: settings without the real environment, a scripted ModelArts over MockTransport."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from pulumi_modelarts.api import ModelArtsClient, RetryPolicy, Settings, resolve_settings

PROJECT_ID = "p" * 32
ENDPOINT = "https://modelarts.test"
IAM = "https://iam.test/v3"

Reply = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


def make_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "endpoint": ENDPOINT,
        "iam_endpoint": IAM,
        "region": "eu-de",
        "project_id": PROJECT_ID,
        "access_key": "AK-TEST",
        "secret_key": "SK-TEST-0000",
    }
    values.update(overrides)
    return resolve_settings(environ={}, **values)


def error(status: int, code: str | None = None, msg: str = "boom", **headers: str) -> httpx.Response:
    body: dict[str, Any] = {"error_msg": msg}
    if code:
        body["error_code"] = code
    return httpx.Response(status, json=body, headers=headers)


@dataclass
class FakeTime:
    """A clock that moves only when the client sleeps."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@dataclass
class Script:
    """Replies by ``"METHOD path"`` (concrete path); each list is consumed in order, the last one repeats."""

    replies: dict[str, list[Reply]] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)

    def on(self, method: str, path: str, *replies: Reply) -> Script:
        self.replies[f"{method} {path}"] = list(replies)
        return self

    def count(self, method: str, path: str) -> int:
        return sum(1 for r in self.requests if r.method == method and r.url.path == path)

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        queue = self.replies.get(f"{request.method} {request.url.path}")
        if not queue:
            return error(404, "APIGW.0101", "no such route in the test script")
        reply = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(reply, Exception):
            raise reply
        if callable(reply):
            return reply(request)
        return reply

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)


def make_client(
    script: Script, *, time: FakeTime | None = None, retry: RetryPolicy | None = None, **overrides: Any
) -> ModelArtsClient:
    fake = time or FakeTime()
    return ModelArtsClient(
        make_settings(**overrides),
        transport=script.transport(),
        retry=retry or RetryPolicy(max_attempts=6, max_elapsed_seconds=120, random=lambda a, b: b),
        sleep=fake.sleep,
        clock=fake.clock,
    )


def body_of(request: httpx.Request) -> Any:
    return json.loads(request.content)
