"""What a request handler works with: the open transaction, the settings and the virtual time."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pulumi_modelarts.emulator.config import EmulatorConfig
from pulumi_modelarts.emulator.store import Store
from pulumi_modelarts.emulator.validate import Query


@dataclass
class Ctx:
    tx: Store
    config: EmulatorConfig
    now_ms: int


@dataclass
class Request:
    method: str
    path: str
    template: str
    params: dict[str, str]
    query: Query
    query_string: str
    headers: Mapping[str, str]  # lower-cased names
    body: bytes
    base_url: str
    request_id: str


@dataclass
class Response:
    status: int
    body: Any = None  # a JSON value, or None for an empty body
    headers: dict[str, str] = field(default_factory=dict)
