"""Deterministic identity for work the API has no idempotency key for.

An intelligent task is named ``pm-<resource>-<tag hash>-<fingerprint>`` (``-r<n>`` for the n-th attempt
after failures), so a re-run finds its own task by name. The tag hash covers the namespace (the Pulumi
project and stack, or the CLI's spec tree) and the resource name, so two stacks declaring the same
resource name never take each other's tasks. Names made before namespaces existed hashed the resource
name alone (:func:`legacy_tag`); they are still recognized, see ``intelligent.classify``.

An export is matched by the fingerprint of its request against the fields the API echoes. The
fingerprint is over the canonical request: normalized inputs (integers as integers, documented
defaults filled), keys sorted.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from typing import Any

from pulumi_modelarts.reconcile.jsonlike import copy_with

FINGERPRINT_LENGTH = 12
_NAME_PREFIX = "pm-"
_SLUG_LENGTH = 40
_TAG_HASH_LENGTH = 6
_ATTEMPT_RE = re.compile(r"^(?P<base>.+?)(?:-r(?P<attempt>[0-9]+))?$")
_TAG_RE = re.compile(rf"{_NAME_PREFIX}(?P<slug>[a-z][a-z0-9]*(?:-[a-z0-9]+)*)-[0-9a-f]{{{_TAG_HASH_LENGTH}}}")
_GENERATED_RE = re.compile(
    rf"^(?P<tag>{_NAME_PREFIX}.+-[0-9a-f]{{{_TAG_HASH_LENGTH}}})-(?P<fp>[0-9a-f]{{{FINGERPRINT_LENGTH}}})"
    r"(?:-r(?P<attempt>[0-9]+))?$"
)


_CANONICAL_AS_THEY_ARE: frozenset[type] = frozenset({str, int, bool, type(None)})


def canonical(value: Any) -> Any:
    """Return ``value`` with whole floats as ints, so 3.0 and 3 have one canonical form."""
    return copy_with(value, _whole_float_as_int, _CANONICAL_AS_THEY_ARE)


def _whole_float_as_int(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def canonical_json(value: Any) -> str:
    return json.dumps(canonical(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=repr)


def fingerprint(value: Any) -> str:
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()[:FINGERPRINT_LENGTH]


def slug(name: str) -> str:
    cleaned = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")
    return (cleaned or "task")[:_SLUG_LENGTH].strip("-")


def _tag(resource_name: str, hashed: str) -> str:
    digest = hashlib.sha256(hashed.encode()).hexdigest()[:_TAG_HASH_LENGTH]
    return f"{_NAME_PREFIX}{slug(resource_name)}-{digest}"


def resource_tag(resource_name: str, namespace: str) -> str:
    """``pm-<slug>-<hash of namespace and name>``: readable, injective in practice, one owner per tag."""
    return _tag(resource_name, json.dumps([namespace, resource_name]))


# A former resource name is recovered from its slug with any mix of '-' and '_' up to this many separators.
_MIXED_SEPARATORS = 4


def resource_name_of(tag: str, namespace: str) -> str | None:
    """The resource name whose tag in ``namespace`` is ``tag``, if its slug gives it back; else None.

    The slug keeps lowercase letters and digits and turns ``_`` into ``-``, so the names tried are the slug
    with each ``-`` as ``-`` or ``_`` (any mix up to four separators, else all one or the other). A name is
    returned only when its tag in ``namespace`` is exactly ``tag``: a tag of another namespace, a legacy
    tag, or a name the slug does not give back (capitals, longer than the slug keeps) is never attributed.
    """
    match = _TAG_RE.fullmatch(tag)
    if match is None:
        return None
    parts = match.group("slug").split("-")
    gaps = len(parts) - 1
    choices = itertools.product("-_", repeat=gaps) if gaps <= _MIXED_SEPARATORS else (("-",) * gaps, ("_",) * gaps)
    for separators in choices:
        name = parts[0] + "".join(sep + part for sep, part in zip(separators, parts[1:], strict=True))
        if resource_tag(name, namespace) == tag:
            return name
    return None


def legacy_tag(resource_name: str) -> str:
    """The tag of names made before namespaces: the hash of the resource name alone."""
    return _tag(resource_name, resource_name)


def task_name(tag: str, fp: str, attempt: int = 1) -> str:
    base = f"{tag}-{fp}"
    return base if attempt <= 1 else f"{base}-r{attempt}"


def parse_task_name(name: str) -> tuple[str, str, int] | None:
    """``(resource tag, fingerprint, attempt)`` of a name this package generated, else None."""
    match = _GENERATED_RE.match(name)
    if match is None:
        return None
    return match.group("tag"), match.group("fp"), int(match.group("attempt") or 1)


def attempt_of(name: str, base: str) -> int | None:
    """The attempt number if ``name`` is exactly ``base`` or ``base-r<n>``, else None."""
    if name == base:
        return 1
    match = _ATTEMPT_RE.match(name)
    if match and match.group("base") == base and match.group("attempt"):
        return int(match.group("attempt"))
    return None
