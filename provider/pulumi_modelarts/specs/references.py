"""``${resource.output}`` references in property values: finding, parsing, resolving."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from pulumi_modelarts.schema import UnknownString, format_path
from pulumi_modelarts.specs.model import PathPart, Reference, ReferenceSyntaxError, UnresolvedReferenceError

_NAME = r"[A-Za-z][A-Za-z0-9_-]*"
_OUTPUT = r"[A-Za-z_][A-Za-z0-9_]*"
_BODY = re.compile(rf"({_NAME})\.({_OUTPUT})")
_NESTED = re.compile(rf"{_NAME}(\.{_OUTPUT}|\[[0-9]+\])+")

Segment = str | Reference


def parse_string(text: str, parts: tuple[PathPart, ...] = ()) -> list[Segment]:
    """Split a string into literal pieces (with ``$${`` unescaped) and references.

    Raises :class:`ReferenceSyntaxError` for an unterminated or malformed ``${...}``.
    """
    if "${" not in text:
        return [text]
    segments: list[Segment] = []
    literal: list[str] = []
    index, size = 0, len(text)
    path = format_path(parts)
    while index < size:
        if text.startswith("$${", index):
            literal.append("${")
            index += 3
            continue
        if text.startswith("${", index):
            end = text.find("}", index + 2)
            if end < 0:
                raise ReferenceSyntaxError(
                    f"unterminated reference {text[index:]!r}: expected ${{resource.output}} "
                    "(write $${ for a literal ${)",
                    parts,
                )
            body = text[index + 2 : end]
            match = _BODY.fullmatch(body)
            if match is None:
                source = text[index : end + 1]
                if _NESTED.fullmatch(body):
                    reason = "only ${resource.output} is supported, not nested fields or indexes"
                elif re.fullmatch(_NAME, body):
                    reason = "it names no output: expected ${resource.output}"
                else:
                    reason = "expected ${resource.output} (write $${ for a literal ${)"
                raise ReferenceSyntaxError(f"bad reference {source!r}: {reason}", parts)
            if literal:
                segments.append("".join(literal))
                literal = []
            segments.append(Reference(match[1], match[2], path, parts, text[index : end + 1], whole=False))
            index = end + 1
            continue
        literal.append(text[index])
        index += 1
    if literal:
        segments.append("".join(literal))
    if len(segments) == 1 and isinstance(segments[0], Reference):
        only = segments[0]
        segments[0] = Reference(only.resource, only.output, only.path, only.parts, only.text, whole=True)
    return segments


def has_references(text: str) -> bool:
    """Whether a string holds at least one reference (escapes do not count)."""
    if "${" not in text:
        return False
    try:
        return any(isinstance(segment, Reference) for segment in parse_string(text))
    except ReferenceSyntaxError:
        return True


def find_references(value: Any, parts: tuple[PathPart, ...] = ()) -> list[Reference]:
    """Every reference in a value (nested mappings and lists too), in document order.

    Raises :class:`ReferenceSyntaxError` for a malformed reference.
    """
    found: list[Reference] = []
    _walk(value, parts, found)
    return found


def _walk(value: Any, parts: tuple[PathPart, ...], found: list[Reference]) -> None:
    if isinstance(value, str):
        if "${" in value:
            found.extend(s for s in parse_string(value, parts) if isinstance(s, Reference))
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _walk(item, (*parts, key), found)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _walk(item, (*parts, index), found)


class Unresolved:
    """Stands for the value of a whole-string reference (or a malformed one) while inputs are validated."""

    __slots__ = ("reference",)

    def __init__(self, reference: str) -> None:
        self.reference = reference

    def __repr__(self) -> str:
        return f"<unresolved {self.reference}>"


def read_references(value: Any) -> tuple[Any, list[Reference], list[ReferenceSyntaxError]]:
    """The references in a value (syntax errors collected, not raised) and, in the same pass, the value as
    validation sees it: a whole reference (or a malformed one) is an :class:`Unresolved`, a string with
    references inside is an ``UnknownString``, ``$${`` escapes are undone. A value without any ``${`` is
    returned as it is, not copied."""
    found: list[Reference] = []
    errors: list[ReferenceSyntaxError] = []
    return _read(value, (), found, errors), found, errors


def _read(value: Any, parts: tuple[PathPart, ...], found: list[Reference], errors: list[ReferenceSyntaxError]) -> Any:
    if isinstance(value, str):
        if "${" not in value:
            return value
        try:
            segments = parse_string(value, parts)
        except ReferenceSyntaxError as error:
            errors.append(error)
            return Unresolved(value)
        found.extend(segment for segment in segments if isinstance(segment, Reference))
        if len(segments) == 1:
            return segments[0] if isinstance(segments[0], str) else Unresolved(value)
        return UnknownString(value)
    if isinstance(value, dict):
        view: dict[Any, Any] | None = None
        for key, item in value.items():
            if isinstance(item, str) and "${" not in item:
                continue  # most values: no path to build, nothing to change
            read = _read(item, (*parts, key), found, errors)
            if read is not item:
                view = view if view is not None else dict(value)
                view[key] = read
        return value if view is None else view
    if isinstance(value, list):
        items = [_read(item, (*parts, index), found, errors) for index, item in enumerate(value)]
        return value if all(new is old for new, old in zip(items, value, strict=True)) else items
    return value


def stringify(value: Any, reference: str = "") -> str:
    """How an output value is written when it is interpolated into a string."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        raise UnresolvedReferenceError(
            reference, f"{reference or 'the reference'} is null and cannot be interpolated into a string"
        )
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def _lookup(reference: Reference, outputs: Mapping[str, Mapping[str, Any]]) -> Any:
    resource_outputs = outputs.get(reference.resource)
    if resource_outputs is None:
        raise UnresolvedReferenceError(
            reference.text,
            f"cannot resolve {reference.text}: no outputs of resource {reference.resource!r} are available",
        )
    if reference.output not in resource_outputs:
        known = ", ".join(sorted(resource_outputs)) or "none"
        raise UnresolvedReferenceError(
            reference.text,
            f"cannot resolve {reference.text}: resource {reference.resource!r} has no output "
            f"{reference.output!r} (available: {known})",
        )
    return resource_outputs[reference.output]


def _plain(value: Any) -> bool:
    if isinstance(value, str | int | float | bool) or value is None:
        return True
    if isinstance(value, Mapping):
        return all(isinstance(key, str) and _plain(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return all(_plain(item) for item in value)
    return False


def resolve_references(
    value: Any,
    outputs: Mapping[str, Mapping[str, Any]],
    *,
    is_unknown: Callable[[Any], bool] | None = None,
) -> Any:
    """Substitute references with values from ``outputs`` (resource name -> output name -> value).

    A whole-string reference becomes the output's value as it is; references inside a larger
    string are written into it (numbers as digits, booleans as ``true``/``false``, lists and
    mappings as compact JSON). ``$${`` becomes ``${``. Returns a new value; raises
    :class:`UnresolvedReferenceError` when an output is missing (or null inside a string) and
    :class:`ReferenceSyntaxError` for a malformed reference.

    When an interpolated output is not known yet (``is_unknown(value)`` is true, or the value is
    not plain data, such as a placeholder object), the result is a
    :class:`~pulumi_modelarts.schema.UnknownString`: a string of unknown content, which
    ``validate_inputs`` checks only for its type.
    """
    if isinstance(value, str):
        if "${" not in value:
            return value
        segments = parse_string(value)
        if len(segments) == 1 and isinstance(segments[0], Reference):
            return _lookup(segments[0], outputs)
        pieces: list[str] = []
        unknown = False
        for segment in segments:
            if isinstance(segment, str):
                pieces.append(segment)
                continue
            found = _lookup(segment, outputs)
            if (is_unknown is not None and is_unknown(found)) or not _plain(found):
                unknown = True
                pieces.append(str(found))
            else:
                pieces.append(stringify(found, segment.text))
        text = "".join(pieces)
        return UnknownString(text) if unknown else text
    kind = type(value)
    if kind is dict or (kind is not list and isinstance(value, Mapping)):
        return {
            key: item
            if type(item) is str and "${" not in item
            else resolve_references(item, outputs, is_unknown=is_unknown)
            for key, item in value.items()
        }
    if kind is list or isinstance(value, tuple):
        return [resolve_references(item, outputs, is_unknown=is_unknown) for item in value]
    return value
