"""Normalisation (coercion and defaults) and validation of resource inputs."""

from __future__ import annotations

import contextvars
import copy
import decimal
import difflib
import functools
import math
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pulumi_modelarts.schema._compiled import (
    CONTENT_KEYWORDS,
    KNOWN,
    STRUCTURAL_KEYWORDS,
    UNKNOWN,
    UNKNOWN_STRING,
    Check,
    Undecided,
    compile_check,
)
from pulumi_modelarts.schema._documents import (
    TYPE_TOKENS,
    documents_by_id,
    raw_schema,
    resolve_ref,
    schema_name,
)

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError
    from jsonschema.protocols import Validator

PathPart = str | int


class UnknownString(str):
    """A string whose final content is not known yet (for example ``"prod-${cand.version_name}"``).

    During validation only its type counts: it is accepted wherever a string is, and content
    rules (enum, pattern, length) are not applied to it. Conditions that look at it are
    treated as undecided.
    """

    __slots__ = ()


@dataclass(frozen=True)
class Violation:
    """One reason why inputs are invalid.

    ``path`` is dotted (``config.algorithm_type``, ``export_params.search_conditions[0].hard``,
    ``""`` for the inputs as a whole); ``parts`` holds the same path as keys and indexes;
    ``keyword`` names the rule that failed (``enum``, ``type``, ``required``, ``unknown``, ...).
    """

    path: str
    message: str
    parts: tuple[PathPart, ...] = field(default=(), compare=False, repr=False)
    keyword: str = field(default="", compare=False, repr=False)

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


_SIMPLE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def format_path(parts: Sequence[PathPart]) -> str:
    """``("config", "samples", 0, "labels")`` -> ``config.samples[0].labels``."""
    out: list[str] = []
    for part in parts:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif _SIMPLE_KEY.fullmatch(part):
            out.append(f".{part}" if out else part)
        else:
            escaped = part.replace("\\", "\\\\").replace('"', '\\"')
            out.append(f'["{escaped}"]')
    return "".join(out)


# --------------------------------------------------------------------------------------------
# Unknown values during validation (what is known, and which keywords read values: ``_compiled``)


class _State:
    """One validation: which values are unknown (``kind``), and whether an ``if`` condition touched one."""

    __slots__ = ("conditions", "is_unknown", "kind", "touched")

    def __init__(self, is_unknown: Callable[[Any], bool] | None) -> None:
        self.is_unknown = is_unknown
        self.conditions = 0
        self.touched = False
        self.kind: Callable[[Any], int] = _kind_of(is_unknown)


def _kind_of(is_unknown: Callable[[Any], bool] | None) -> Callable[[Any], int]:
    """KNOWN, UNKNOWN or UNKNOWN_STRING for a value (called for every value validated: kept lean)."""
    if is_unknown is None:

        def known_unless_string(value: Any) -> int:
            return UNKNOWN_STRING if isinstance(value, UnknownString) else KNOWN

        return known_unless_string

    def kind(value: Any) -> int:
        if isinstance(value, UnknownString):
            return UNKNOWN_STRING
        try:
            return UNKNOWN if is_unknown(value) else KNOWN
        except Exception:
            return KNOWN

    return kind


_STATE: contextvars.ContextVar[_State | None] = contextvars.ContextVar("_STATE", default=None)

_Keyword = Callable[[Any, Any, Any, Any], Any]


def _wrap_keyword(keyword: str, function: _Keyword) -> _Keyword:
    from jsonschema.exceptions import ValidationError

    content = keyword in CONTENT_KEYWORDS

    def wrapped(validator: Any, value: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
        state = _STATE.get()
        if state is not None:
            kind = state.kind(instance)
            if kind != KNOWN:
                if state.conditions:
                    # Inside an "if": a condition that looks at an unknown value is undecided.
                    state.touched = True
                    yield ValidationError("depends on a value that is not known yet")
                    return
                if kind == UNKNOWN or content:
                    return
        yield from function(validator, value, instance, schema) or ()

    return wrapped


def _if_keyword(validator: Any, if_schema: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
    """``if``/``then``/``else`` where a condition that depends on an unknown value applies neither."""
    from jsonschema.exceptions import ValidationError

    state = _STATE.get()
    if state is None:
        ok = validator.evolve(schema=if_schema).is_valid(instance)
    else:
        if state.kind(instance) != KNOWN:
            if state.conditions:
                state.touched = True
                yield ValidationError("depends on a value that is not known yet")
            return
        outer_touched, state.touched = state.touched, False
        state.conditions += 1
        try:
            ok = validator.evolve(schema=if_schema).is_valid(instance)
        finally:
            state.conditions -= 1
            touched = state.touched
            state.touched = outer_touched or touched
        if touched:
            return
    if ok:
        if "then" in schema:
            yield from validator.descend(instance, schema["then"], schema_path="then")
    elif "else" in schema:
        yield from validator.descend(instance, schema["else"], schema_path="else")


@functools.cache
def _validator_class() -> Any:
    from jsonschema import Draft202012Validator, validators

    keywords = {
        k: f if k in STRUCTURAL_KEYWORDS else _wrap_keyword(k, f) for k, f in Draft202012Validator.VALIDATORS.items()
    }
    keywords["if"] = _if_keyword
    return validators.extend(Draft202012Validator, keywords)  # type: ignore[no-untyped-call]


@functools.cache
def _registry() -> Any:
    from referencing import Registry
    from referencing.jsonschema import DRAFT202012

    return Registry().with_resources(
        (uri, DRAFT202012.create_resource(document)) for uri, document in documents_by_id().items()
    )


def registry() -> Any:
    """A ``referencing.Registry`` holding every shipped schema (no network access)."""
    return _registry()


def _inline_refs(node: Any, base: str, done: dict[tuple[int, str], Any], depth: int = 0) -> Any:
    """A copy of a schema in which every ``$ref`` is replaced by (an ``allOf`` of) the schema it names.

    Validation then never looks a reference up: with ``referencing``, lookups were about a quarter of
    the time spent validating a resource. Shared definitions stay shared (``done``).
    """
    if depth > 64:
        raise RecursionError(f"recursive $ref in the shipped schemas near {base}")
    if isinstance(node, list):
        return [_inline_refs(item, base, done, depth + 1) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    inlined: list[Any] = []
    for key, value in node.items():
        if key == "$ref" and isinstance(value, str):
            target, target_base = resolve_ref(value, base)
            cache_key = (id(target), target_base)
            if cache_key not in done:
                done[cache_key] = _inline_refs(target, target_base, done, depth + 1)
            inlined.append(done[cache_key])
        elif key not in {"$id", "$defs", "$schema"}:
            out[key] = _inline_refs(value, base, done, depth + 1)
    if len(inlined) == 1 and _ANNOTATIONS.issuperset(out):
        return inlined[0]  # a bare reference: its target, without another level to descend through
    if inlined:
        out["allOf"] = [*inlined, *out.get("allOf", ())]
    return out


# Keywords that never make a value invalid (dropped beside a bare "$ref"; messages use x-message/x-expected).
_ANNOTATIONS = frozenset({"description", "title", "$comment", "examples", "default", "deprecated"})


@functools.cache
def _inlined(name: str) -> Any:
    root = raw_schema(name)
    return _inline_refs(root, root["$id"], {})


@functools.cache
def validator_for(name: str) -> Validator:
    """The cached validator for a shipped schema (short name), with its references inlined."""
    validator: Validator = _validator_class()(_inlined(name), registry=_registry())
    return validator


@functools.cache
def _check_for(name: str) -> Check | None:
    """The compiled check of a shipped schema (``_compiled``), or None when it cannot be compiled."""
    return compile_check(_inlined(name))


def _surely_valid(name: str, value: Any, state: _State) -> bool:
    """True only when the validator would find no error in ``value``; False sends it to the validator."""
    check = _check_for(name)
    if check is None:
        return False
    try:
        return check(value, state.kind)
    except Undecided:
        return False
    except Exception:  # a value the check does not expect: the validator decides (and reports)
        return False


# --------------------------------------------------------------------------------------------
# Normalisation: coercion of numbers and the two string forms, defaults


def _ratio_string(value: float) -> str:
    """``0.8`` -> ``"0.80"``; more decimals only when two would change the value."""
    text = f"{value:.2f}"
    if float(text) == value:
        return text
    return format(decimal.Decimal(repr(float(value))), "f")


class _Shape:
    """What normalisation needs to know about one schema location (merged over $ref/allOf)."""

    __slots__ = (
        "additional",
        "children",
        "defaults",
        "integer_only",
        "items",
        "normalize",
        "number_only",
        "properties",
    )

    def __init__(self, schema: Any, base: str) -> None:
        parts: list[tuple[dict[str, Any], str]] = []
        _flatten(schema, base, parts, 0)
        types: set[str] | None = None
        self.normalize: str | None = None
        self.properties: dict[str, tuple[Any, str]] = {}
        self.items: tuple[Any, str] | None = None
        self.additional: tuple[Any, str] | None = None
        for node, node_base in parts:
            if types is None and "type" in node:
                declared = node["type"]
                types = {declared} if isinstance(declared, str) else set(declared)
            if self.normalize is None and isinstance(node.get("x-normalize"), str):
                self.normalize = node["x-normalize"]
            for name, sub in node.get("properties", {}).items():
                self.properties.setdefault(name, (sub, node_base))
            if self.items is None and isinstance(node.get("items"), dict):
                self.items = (node["items"], node_base)
            if self.additional is None and isinstance(node.get("additionalProperties"), dict):
                self.additional = (node["additionalProperties"], node_base)
        self.integer_only = types is not None and "integer" in types and "number" not in types
        self.number_only = types == {"number"}
        self.children: dict[str, _Shape] = {}
        self.defaults: dict[str, Any] = {}
        for name, (sub, sub_base) in self.properties.items():
            sub_parts: list[tuple[dict[str, Any], str]] = []
            _flatten(sub, sub_base, sub_parts, 0)
            for node, _ in sub_parts:
                if "default" in node:
                    self.defaults[name] = node["default"]
                    break

    def child(self, key: str) -> _Shape | None:
        """The shape of the value at ``key`` of a mapping of this shape (None: no schema there)."""
        try:
            return self.children[key]
        except KeyError:
            declared = self.properties.get(key)
            if declared is None:  # not remembered: the keys of a mapping without schema are anyone's
                return _shape(*self.additional) if self.additional is not None else None
            found = self.children[key] = _shape(*declared)
            return found

    def item_shape(self) -> _Shape | None:
        return _shape(*self.items) if self.items is not None else None


def _flatten(schema: Any, base: str, out: list[tuple[dict[str, Any], str]], depth: int) -> None:
    if not isinstance(schema, dict) or depth > 32:
        return
    out.append((schema, base))
    ref = schema.get("$ref")
    if isinstance(ref, str):
        target, target_base = resolve_ref(ref, base)
        _flatten(target, target_base, out, depth + 1)
    for sub in schema.get("allOf", ()):
        _flatten(sub, base, out, depth + 1)


_SHAPES: dict[tuple[int, str], _Shape] = {}


def _shape(schema: Any, base: str) -> _Shape:
    key = (id(schema), base)
    shape = _SHAPES.get(key)
    if shape is None:
        shape = _SHAPES[key] = _Shape(schema, base)
    return shape


_DIGITS = re.compile(r"\s*[0-9]+\s*")


def _normalize(
    shape: _Shape | None,
    value: Any,
    state: _State,
    violations: list[Violation],
    parts: tuple[PathPart, ...],
) -> Any:
    if state.kind(value) != KNOWN:
        return value
    if shape is None:
        return _copy(value)
    kind = type(value)
    if kind is str:  # most values: only a string of digits may change
        if shape.normalize == "integer-string" and _DIGITS.fullmatch(value):
            try:
                return int(value)
            except ValueError:  # more digits than Python converts; validation reports it
                return value
        return value
    if kind is dict:
        return _normalize_mapping(shape, value, state, violations, parts)
    if shape.normalize == "integer-string" and isinstance(value, str) and _DIGITS.fullmatch(value):
        try:
            return int(value)
        except ValueError:
            return value
    if (
        shape.normalize == "ratio-string"
        and isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and 0 <= value <= 1
    ):
        return _ratio_string(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        if (shape.integer_only or shape.normalize == "integer-string") and value.is_integer():
            return int(value)
        return value
    if isinstance(value, int):
        return float(value) if shape.number_only else value
    if isinstance(value, Mapping):
        return _normalize_mapping(shape, value, state, violations, parts)
    if isinstance(value, list | tuple):
        item_shape = shape.item_shape()
        return [_normalize(item_shape, item, state, violations, (*parts, index)) for index, item in enumerate(value)]
    return value


def _normalize_mapping(
    shape: _Shape,
    value: Mapping[Any, Any],
    state: _State,
    violations: list[Violation],
    parts: tuple[PathPart, ...],
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, item in value.items():
        if not isinstance(key, str):
            violations.append(
                Violation(
                    format_path(parts),
                    f"property names must be strings (got {_show(key)})",
                    parts,
                    "propertyNames",
                )
            )
            continue
        out[key] = _normalize(shape.child(key), item, state, violations, (*parts, key))
    for key, default in shape.defaults.items():
        if key not in out:
            if isinstance(default, dict | list):
                default = copy.deepcopy(default)
            out[key] = _normalize(shape.child(key), default, state, violations, (*parts, key))
    return out


def _copy(value: Any) -> Any:
    kind = type(value)
    if kind is str:
        return value
    if kind is dict or (kind is not list and isinstance(value, Mapping)):
        return {key: item if type(item) is str else _copy(item) for key, item in value.items()}
    if kind is list or isinstance(value, tuple):
        return [_copy(item) for item in value]
    return value


# --------------------------------------------------------------------------------------------
# Messages


def _show(value: Any) -> str:
    if isinstance(value, UnknownString):
        return "a string with references"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value if len(value) <= 80 else value[:77] + "...")
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return f"a value of type {type(value).__name__}"


_TYPE_WORDS = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "object": "a mapping",
    "array": "a list",
    "null": "null",
}


def _type_words(types: Any) -> str:
    names = [types] if isinstance(types, str) else list(types)
    return " or ".join(_TYPE_WORDS.get(name, name) for name in names)


def _names(names: Sequence[str]) -> str:
    return ", ".join(names)


def _suggest(word: str, candidates: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _range_words(schema: Mapping[str, Any]) -> str:
    low = schema.get("minimum")
    high = schema.get("maximum")
    if low is not None and high is not None:
        return f"between {low} and {high}"
    words = []
    if low is not None:
        words.append(f">= {low}")
    if schema.get("exclusiveMinimum") is not None:
        words.append(f"> {schema['exclusiveMinimum']}")
    if high is not None:
        words.append(f"<= {high}")
    if schema.get("exclusiveMaximum") is not None:
        words.append(f"< {schema['exclusiveMaximum']}")
    return " and ".join(words)


def _exactly_one_names(branches: Any) -> list[str] | None:
    if not isinstance(branches, list) or not branches:
        return None
    names = []
    for branch in branches:
        if not (isinstance(branch, dict) and set(branch) == {"required"} and len(branch["required"]) == 1):
            return None
        names.append(branch["required"][0])
    return names


def _translate(error: ValidationError) -> list[Violation]:
    parts: tuple[PathPart, ...] = tuple(error.absolute_path)
    keyword = error.validator if isinstance(error.validator, str) else "false"
    schema: Any = error.schema if isinstance(error.schema, dict) else {}
    instance: Any = error.instance
    value: Any = error.validator_value
    expected = schema.get("x-expected")
    custom = schema.get("x-message")

    def one(message: str, at: tuple[PathPart, ...] = parts, kw: str = keyword) -> list[Violation]:
        return [Violation(format_path(at), message, at, kw)]

    if keyword == "additionalProperties" and value is False and isinstance(instance, Mapping):
        allowed = sorted(schema.get("properties", {}))
        return [
            Violation(
                format_path((*parts, key)),
                f"unknown property {key!r}; allowed: {_names(allowed)}{_suggest(key, allowed)}",
                (*parts, key),
                "unknown",
            )
            for key in instance
            if isinstance(key, str) and key not in allowed
        ]
    if keyword == "required" and isinstance(instance, Mapping):
        return [
            Violation(
                format_path((*parts, name)),
                custom or f"required property {name!r} is missing",
                (*parts, name),
                "required",
            )
            for name in value
            if name not in instance
        ]
    if keyword == "dependentRequired" and isinstance(instance, Mapping):
        out = []
        for name, needed in value.items():
            missing = [other for other in needed if name in instance and other not in instance]
            if missing:
                at = (*parts, name)
                message = f"can only be used together with {_names(missing)} (which is missing)"
                out.append(Violation(format_path(at), message, at, "dependentRequired"))
        return out
    if keyword in {"oneOf", "anyOf"}:
        names = _exactly_one_names(value)
        if names is not None and isinstance(instance, Mapping):
            present = [name for name in names if name in instance]
            if not present:
                quantity = "exactly one" if keyword == "oneOf" else "at least one"
                return one(custom or f"{quantity} of {_names(names)} is required (got none)", kw="exactlyOne")
            return one(custom or f"only one of {_names(names)} may be given (got {_names(present)})", kw="exactlyOne")
        if expected:
            return one(f"must be {expected} (got {_show(instance)})")
        return _translate_alternatives(error)
    if keyword == "enum":
        return one(f"must be one of {_names([_show(v) for v in value])} (got {_show(instance)})")
    if keyword == "const":
        return one(custom or f"must be {_show(value)} (got {_show(instance)})")
    if keyword == "false":
        return one(custom or "is not allowed here")
    if expected and keyword in {"type", "pattern", "minLength", "maxLength", "format"}:
        return one(f"must be {expected} (got {_show(instance)})")
    if keyword == "type":
        return one(f"must be {_type_words(value)} (got {_show(instance)})")
    if keyword in {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}:
        return one(f"must be {_range_words(schema)} (got {_show(instance)})")
    if keyword in {"minLength", "maxLength"}:
        low, high = schema.get("minLength"), schema.get("maxLength")
        if low is not None and high is not None:
            wanted = f"{low} to {high} characters long"
        elif low is not None:
            wanted = f"at least {low} character{'s' if low != 1 else ''} long"
        else:
            wanted = f"at most {high} characters long"
        return one(f"must be {wanted} (got {len(instance)} characters)")
    if keyword == "pattern":
        return one(f"must match the pattern {value} (got {_show(instance)})")
    if keyword in {"minItems", "maxItems"}:
        limit = "at least" if keyword == "minItems" else "at most"
        return one(f"must have {limit} {value} item{'s' if value != 1 else ''} (got {len(instance)})")
    if keyword == "uniqueItems":
        return one("must not contain the same item twice")
    if keyword == "propertyNames":
        return one(custom or f"has an invalid key: {error.message}")
    return one(custom or error.message)


def _translate_alternatives(error: ValidationError) -> list[Violation]:
    """A value that matches none of several alternatives: explain the closest one."""
    branches: dict[int, list[ValidationError]] = {}
    for sub in error.context or ():
        index = sub.relative_schema_path[0] if sub.relative_schema_path else 0
        if isinstance(index, int):
            branches.setdefault(index, []).append(sub)
    fitting = [
        errors for errors in branches.values() if not any(e.validator == "type" and not e.relative_path for e in errors)
    ]
    if len(fitting) == 1:
        return [violation for sub in fitting[0] for violation in _translate(sub)]
    branches_schema: Any = error.validator_value
    types = [branch["type"] for branch in branches_schema if isinstance(branch, dict) and "type" in branch]
    parts: tuple[PathPart, ...] = tuple(error.absolute_path)
    if types:
        words = " or ".join(_type_words(t) for t in types)
        return [Violation(format_path(parts), f"must be {words} (got {_show(error.instance)})", parts, "type")]
    return [Violation(format_path(parts), error.message, parts, str(error.validator))]


def _finish(violations: list[Violation]) -> list[Violation]:
    """Drop duplicates, and type errors where an enum already explains the value; sort by path."""
    with_enum = {v.path for v in violations if v.keyword in {"enum", "const"}}
    seen: set[tuple[str, str]] = set()
    out = []
    for violation in violations:
        if violation.keyword == "type" and violation.path in with_enum:
            continue
        key = (violation.path, violation.message)
        if key not in seen:
            seen.add(key)
            out.append(violation)
    return sorted(out, key=lambda v: (v.path, v.message))


# --------------------------------------------------------------------------------------------
# Results of earlier calls: the Pulumi hosts validate the same inputs at check, diff and create.

_MEMO_SIZE = 20_000
_MEMO: dict[tuple[str, Any], tuple[dict[str, Any], list[Violation]]] = {}
_MEMO_LOCK = threading.Lock()
_NOT_PLAIN = object()


def _memo_key(value: Any, state: _State) -> Any:
    """A hashable copy of plain JSON data (types kept apart: 1, 1.0 and true differ), or ``_NOT_PLAIN``
    when a value is of another type or unknown (the result would depend on ``is_unknown``)."""
    if state.kind(value) != KNOWN:
        return _NOT_PLAIN
    kind = type(value)
    if kind is str:
        return value
    if kind is dict:
        items = []
        for key, item in value.items():
            if type(key) is not str or (item_key := _memo_key(item, state)) is _NOT_PLAIN:
                return _NOT_PLAIN
            items.append((key, item_key))
        return ("{", tuple(items))
    if kind is list:
        members = []
        for item in value:
            if (item_key := _memo_key(item, state)) is _NOT_PLAIN:
                return _NOT_PLAIN
            members.append(item_key)
        return ("[", tuple(members))
    if kind in (int, float, bool) or value is None:
        return (kind, value)
    return _NOT_PLAIN


# --------------------------------------------------------------------------------------------
# Entry point


def validate_inputs(
    type_token: str,
    props: Any,
    *,
    is_unknown: Callable[[Any], bool] | None = None,
    remember: bool = True,
) -> tuple[dict[str, Any], list[Violation]]:
    """Normalise and validate the inputs of a resource of type ``type_token``.

    Returns the normalised inputs (a new dict; the argument is not changed) and the
    violations (empty when the inputs are valid). Normalisation:

    * a whole float (``3.0``) becomes an int where the schema says integer; ``1.5`` stays
      and is reported; an int becomes a float where the schema says number;
    * ``config.n_clusters`` given as a string of digits becomes an int; a ratio
      (``train_sample_ratio``, ``release.train_evaluate_sample_ratio``) given as a number
      becomes a string with two decimals (``0.8`` -> ``"0.80"``);
    * documented defaults are filled into every object that is present; an object-valued
      input whose schema has ``"default": {}`` (``accept``, ``ExportTask.export_params``,
      ``requirements``) is present even when omitted, so its own defaults are filled too.
      So leaving out a default and writing it out give the same result.

    Values for which ``is_unknown(value)`` is true are kept as they are and accepted
    anywhere; an ``UnknownString`` is accepted wherever a string is. Results of plain inputs are
    remembered (the answer to the same inputs again is a copy), unless ``remember`` is false: the
    spec loader validates each resource once and hands its result on.
    """
    name = schema_name(type_token)
    if name not in TYPE_TOKENS.values():
        raise ValueError(f"{type_token!r} is not a resource type")
    state = _State(is_unknown)
    if state.kind(props) != KNOWN:
        return props, []
    if not isinstance(props, Mapping):
        return {}, [Violation("", f"must be a mapping (got {_show(props)})", (), "type")]
    key = _memo_key(props, state) if remember else _NOT_PLAIN
    if key is not _NOT_PLAIN:
        with _MEMO_LOCK:
            known = _MEMO.get((name, key))
        if known is not None:
            return _copy(known[0]), list(known[1])
    normalized, violations = _validate(name, props, state)
    if key is not _NOT_PLAIN:
        with _MEMO_LOCK:
            if len(_MEMO) >= _MEMO_SIZE:
                _MEMO.clear()
            _MEMO[(name, key)] = (_copy(normalized), list(violations))
    return normalized, violations


def _validate(name: str, props: Mapping[str, Any], state: _State) -> tuple[dict[str, Any], list[Violation]]:
    root = raw_schema(name)
    violations: list[Violation] = []
    normalized = _normalize(_shape(root, root["$id"]), props, state, violations, ())
    if not _surely_valid(name, normalized, state):
        token = _STATE.set(state)
        try:
            errors = list(validator_for(name).iter_errors(normalized))
        finally:
            _STATE.reset(token)
        for error in errors:
            violations.extend(_translate(error))
    result: dict[str, Any] = normalized
    return result, _finish(violations)
