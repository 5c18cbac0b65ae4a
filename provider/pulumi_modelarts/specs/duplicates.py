"""Two resources that would make the same request (same export, same task request, same release,
same adopted task) on the same dataset are refused: both would claim one object and orphan another."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol, TypeVar

from pulumi_modelarts.reconcile.kinds import KINDS


class Declared(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def type_token(self) -> str | None: ...


D = TypeVar("D", bound=Declared)


def duplicate_requests(entries: Iterable[tuple[D, Mapping[str, Any]]]) -> list[tuple[D, str]]:
    """``(resource, message)`` for each resource whose request another one declared first.

    ``entries`` are resources with their valid inputs, schema-normalized, references as written
    (``${...}`` strings); resources with invalid inputs are left out (their problems are reported).
    """
    first: dict[str, str] = {}
    found: list[tuple[D, str]] = []
    for entry, inputs in entries:
        kind = KINDS.get(entry.type_token or "")
        if kind is None:
            continue
        for key in kind.request_identities(entry.name, inputs):
            other = first.setdefault(key, entry.name)
            if other != entry.name:
                found.append(
                    (
                        entry,
                        f"resources {other!r} and {entry.name!r} declare the same {key.split(': ', 1)[-1]}"
                        f" ({kind.type_token} on the same dataset); they would claim one object. Keep one of them.",
                    )
                )
                break
    return found
