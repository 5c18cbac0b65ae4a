"""Property-level differences a reviewer reads: ``path: old => new``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PropertyChange:
    path: str
    old: Any
    new: Any


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
