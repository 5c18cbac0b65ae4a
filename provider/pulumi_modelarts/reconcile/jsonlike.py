"""Copies of JSON-like data (mappings, lists, scalars) with one rule for the values that are not plain."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


def copy_with(value: Any, leaf: Callable[[Any], Any], kept: frozenset[type]) -> Any:
    """A copy of ``value``: mappings (keys as text) and lists or tuples (as lists) copied item by item, a
    value whose exact type is in ``kept`` as it is, any other value as ``leaf`` returns it.

    Exact types are tested before abstract ones: ``isinstance(value, Mapping)`` costs ten times
    ``type(value) is dict``, and a plan copies the inputs of thousands of resources.
    """
    kind = type(value)
    if kind in kept:
        return value
    if kind is dict:
        return {str(key): item if type(item) in kept else copy_with(item, leaf, kept) for key, item in value.items()}
    if kind is list or kind is tuple:
        return [item if type(item) in kept else copy_with(item, leaf, kept) for item in value]
    if isinstance(value, Mapping):
        return {str(key): copy_with(item, leaf, kept) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [copy_with(item, leaf, kept) for item in value]
    return leaf(value)
