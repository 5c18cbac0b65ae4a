"""The one spelling of "not known yet": a value that another resource's apply will produce.

Drivers turn their own placeholders into :class:`Unknown` at their boundary (the CLI for an
unresolved ``${name.output}``, the Pulumi adapters for the engine's unknowns), so everything below
them asks one question, :func:`contains_unknown`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_modelarts.reconcile.jsonlike import copy_with

JSON_KEY = "$unknown"


@dataclass(frozen=True)
class Unknown:
    """A value known only after apply; ``reference`` says whose output it is (``pets-version.version_id``)."""

    reference: str = "another resource's output"

    def __repr__(self) -> str:
        return f"(known after apply: {self.reference})"

    def to_json(self) -> dict[str, str]:
        return {JSON_KEY: self.reference}


Text = str | Unknown  # a name or id, or the reference it will come from


# Types that hold no unknown, told by exact type: an ABC's isinstance costs ten times as much, and a plan
# document copies the inputs of thousands of resources.
_PLAIN: frozenset[type] = frozenset({str, int, bool, float, type(None)})


def contains_unknown(value: Any) -> bool:
    kind = type(value)
    if kind in _PLAIN:
        return False
    if kind is dict:
        return any(contains_unknown(item) for item in value.values())
    if isinstance(value, Unknown):
        return True
    if isinstance(value, Mapping):
        return any(contains_unknown(item) for item in value.values())
    if isinstance(value, (list, tuple)):
        return any(contains_unknown(item) for item in value)
    return False


def first_unknown(value: Any) -> Unknown | None:
    if isinstance(value, Unknown):
        return value
    if isinstance(value, Mapping):
        return next((u for item in value.values() if (u := first_unknown(item)) is not None), None)
    if isinstance(value, (list, tuple)):
        return next((u for item in value if (u := first_unknown(item)) is not None), None)
    return None


def to_json(value: Any) -> Any:
    """A JSON-ready copy: unknowns become ``{"$unknown": reference}``."""
    return copy_with(value, _unknown_as_json, _PLAIN)


def _unknown_as_json(value: Any) -> Any:
    return value.to_json() if isinstance(value, Unknown) else value


def from_json(value: Any) -> Any:
    """The inverse of :func:`to_json`."""
    if isinstance(value, Mapping):
        if set(value) == {JSON_KEY}:
            return Unknown(str(value[JSON_KEY]))
        return {key: from_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [from_json(item) for item in value]
    return value


def agrees(planned: Any, fresh: Any) -> bool:
    """Whether a fresh value is one the planned value allowed: equal where the plan knew it."""
    if isinstance(planned, Unknown):
        return True
    if isinstance(planned, Mapping):
        return (
            isinstance(fresh, Mapping)
            and set(planned) == set(fresh)
            and all(agrees(value, fresh[key]) for key, value in planned.items())
        )
    if isinstance(planned, (list, tuple)):
        return (
            isinstance(fresh, (list, tuple))
            and len(planned) == len(fresh)
            and all(agrees(p, f) for p, f in zip(planned, fresh, strict=True))
        )
    return bool(planned == fresh)
