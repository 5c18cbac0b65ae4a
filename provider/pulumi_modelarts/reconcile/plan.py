"""What a plan says about one resource: the action, and the property-level differences a reviewer needs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Action = Literal["create", "adopt", "in-sync", "update", "replace", "wait", "retry", "blocked"]


@dataclass(frozen=True)
class PropertyChange:
    path: str
    old: Any
    new: Any


@dataclass
class Plan:
    action: Action
    summary: str
    changes: list[PropertyChange] = field(default_factory=list)
    task_id: str | None = None
    dataset_id: str | None = None
    live: dict[str, Any] | None = None
    writes: list[str] = field(default_factory=list)

    @property
    def pending(self) -> bool:
        """Whether applying would write to the API: true exactly when the decision lists writes."""
        return bool(self.writes)


_MISSING = object()


def diff_values(old: Any, new: Any, path: str = "") -> list[PropertyChange]:
    """Leaf-level differences between two JSON-like values, with dotted paths."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        changes: list[PropertyChange] = []
        for key in sorted(set(old) | set(new), key=str):
            child = f"{path}.{key}" if path else str(key)
            o, n = old.get(key, _MISSING), new.get(key, _MISSING)
            if o is _MISSING:
                changes.append(PropertyChange(child, None, n))
            elif n is _MISSING:
                changes.append(PropertyChange(child, o, None))
            else:
                changes.extend(diff_values(o, n, child))
        return changes
    if old != new:
        return [PropertyChange(path or "(value)", old, new)]
    return []
