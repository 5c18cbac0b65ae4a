"""Fault injection: rules that add latency, answer errors or throttling, or drop connections.

A rule is a JSON object::

    {"action": "latency" | "error" | "throttle" | "drop" | "drop_after_commit",
     "method": "POST",                                   # optional, any method when omitted
     "route": "/v2/{project_id}/datasets/{dataset_id}/tasks",  # optional route template, or "*"
     "times": 3,                                         # optional: applies to this many requests
     "probability": 1.0,                                 # optional, 0..1
     "latency_ms": 200,                                  # latency
     "status": 503, "error_code": "ModelArts.4503", "error_msg": "...",  # error / throttle
     "retry_after": 2}                                   # throttle: Retry-After seconds

For each request every matching ``latency`` rule adds its delay; the first matching rule with
another action decides the outcome. ``times`` counts only requests a rule was applied to.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

ACTIONS = ("latency", "error", "throttle", "drop", "drop_after_commit")
_KEYS = {
    "action",
    "method",
    "route",
    "times",
    "probability",
    "latency_ms",
    "status",
    "error_code",
    "error_msg",
    "retry_after",
}


class FaultRuleError(ValueError):
    """A rule that cannot be used; the message says which field and why."""


@dataclass
class FaultRule:
    action: str
    method: str | None = None
    route: str | None = None
    times: int | None = None
    probability: float = 1.0
    latency_ms: float = 0.0
    status: int | None = None
    error_code: str | None = None
    error_msg: str | None = None
    retry_after: float | None = None
    applied: int = 0

    def matches(self, method: str, route: str) -> bool:
        if self.method is not None and self.method != method:
            return False
        if self.route not in (None, "*") and self.route != route:
            return False
        return self.times is None or self.applied < self.times

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "action": self.action,
            "probability": self.probability,
            "applied": self.applied,
        }
        for key in ("method", "route", "times", "status", "error_code", "error_msg", "retry_after"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        if self.action == "latency":
            data["latency_ms"] = self.latency_ms
        return data


def _number(data: dict[str, Any], key: str, lo: float, hi: float) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
        raise FaultRuleError(f"fault rule field {key!r} must be a number from {lo:g} to {hi:g}, got {value!r}")
    return float(value)


def _text(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise FaultRuleError(f"fault rule field {key!r} must be a string, got {value!r}")
    return value


def parse_rule(data: Any, routes: Iterable[str]) -> FaultRule:
    if not isinstance(data, dict):
        raise FaultRuleError(f"a fault rule must be a JSON object, got {data!r}")
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise FaultRuleError(f"unknown fault rule field(s) {unknown}; known: {sorted(_KEYS)}")
    action = data.get("action")
    if action not in ACTIONS:
        raise FaultRuleError(f"fault rule 'action' must be one of {list(ACTIONS)}, got {action!r}")
    route = _text(data, "route")
    known = set(routes)
    if route not in (None, "*") and route not in known:
        raise FaultRuleError(f"fault rule 'route' {route!r} is not a route template; use '*' or one of {sorted(known)}")
    method = _text(data, "method")
    times = _number(data, "times", 0, 10**9)
    status = _number(data, "status", 100, 599)
    probability = _number(data, "probability", 0, 1)
    return FaultRule(
        action=action,
        method=method.upper() if method else None,
        route=route,
        times=None if times is None else int(times),
        probability=1.0 if probability is None else probability,
        latency_ms=_number(data, "latency_ms", 0, 600_000) or 0.0,
        status=None if status is None else int(status),
        error_code=_text(data, "error_code"),
        error_msg=_text(data, "error_msg"),
        retry_after=_number(data, "retry_after", 0, 86_400),
    )


@dataclass
class FaultDecision:
    latency_ms: float = 0.0
    rule: FaultRule | None = None  # the rule with a non-latency action that applies, if any


class FaultEngine:
    def __init__(self, rules: Sequence[FaultRule] = (), rng: random.Random | None = None) -> None:
        self._rules = list(rules)
        self._lock = threading.Lock()
        self._rng = rng or random.Random()

    def replace(self, rules: Sequence[FaultRule]) -> None:
        with self._lock:
            self._rules = list(rules)

    def rules(self) -> list[dict[str, Any]]:
        with self._lock:
            return [rule.to_json() for rule in self._rules]

    def decide(self, method: str, route: str) -> FaultDecision:
        decision = FaultDecision()
        with self._lock:
            if not self._rules:
                return decision
            for rule in self._rules:
                if not rule.matches(method, route):
                    continue
                if rule.action != "latency" and decision.rule is not None:
                    continue
                if rule.probability < 1.0 and self._rng.random() >= rule.probability:
                    continue
                rule.applied += 1
                if rule.action == "latency":
                    decision.latency_ms += rule.latency_ms
                else:
                    decision.rule = rule
        return decision
