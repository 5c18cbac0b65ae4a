"""A fast yes/no answer to "would the validator find no error?", compiled once per shipped schema.

``jsonschema`` builds a validator object for every sub-schema and value it descends into, about 25
per resource: most of the time spent loading thousands of resources, nearly all of them valid. The
schemas are fixed, so each is compiled here once into plain Python checks. A check answers exactly
as ``jsonschema`` (with the unknown-value rules of ``_validation``) would: True when it would report no
error, False when it would report one; where it cannot tell (a value of a kind it does not compare, a
condition that depends on an unknown value) it raises ``Undecided``. Anything but True sends the inputs
to ``jsonschema``, which then produces the messages, so a check makes validation faster and never more
lenient; tests/schema/test_schema_compiled.py holds the two to the same answers.

Unknown values (see ``_validation``): a keyword that reads a value does nothing on an unknown value,
and content keywords do nothing on an ``UnknownString``; keywords that only descend or look at keys
apply as usual. Inside an ``if`` condition, a value that is not known makes the condition undecided
(neither branch applies); a check cannot tell which keyword ``jsonschema`` reaches first there, so
it gives the answer up to ``jsonschema`` whenever a condition meets an unknown value at all.
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Callable, Mapping
from typing import Any

# What a value is during validation (``_validation._State.kind``).
KNOWN, UNKNOWN, UNKNOWN_STRING = 0, 1, 2

# Rules about a value's content; they say nothing about an UnknownString.
CONTENT_KEYWORDS = frozenset(
    {"enum", "const", "pattern", "minLength", "maxLength", "format", "minimum", "maximum"}
    | {"exclusiveMinimum", "exclusiveMaximum", "multipleOf"}
)

# Rules that only descend into a mapping's or list's members, or check which keys a mapping has: on a value
# that is not a mapping or list (every unknown value) they do nothing, so they need no unknown-value check.
STRUCTURAL_KEYWORDS = frozenset(
    {"properties", "additionalProperties", "patternProperties", "propertyNames", "required", "dependentRequired"}
    | {"items", "prefixItems", "allOf", "$ref"}
)

# Keywords that never make a value invalid (``then``/``else`` belong to ``if``).
_ANNOTATIONS = frozenset(
    {"description", "title", "$comment", "examples", "default", "deprecated", "readOnly", "writeOnly"}
    | {"then", "else", "$id", "$schema", "$defs"}
)

Kind = Callable[[Any], int]
Check = Callable[[Any, Kind], bool]  # a schema's check of a value, told which values are unknown
Test = Callable[[Any], bool]  # a keyword's test of a value alone


class Unsupported(Exception):
    """A schema uses a keyword the compiler does not handle: it is validated by ``jsonschema`` alone."""


class Undecided(Exception):
    """The check cannot answer (an ``if`` condition met a value that is not known, or a value of a kind it does
    not compare): ``jsonschema`` decides."""


def _is_integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, numbers.Number)


_TYPES: dict[str, Callable[[Any], bool]] = {
    "array": lambda value: isinstance(value, list),
    "boolean": lambda value: isinstance(value, bool),
    "integer": _is_integer,
    "null": lambda value: value is None,
    "number": _is_number,
    "object": lambda value: isinstance(value, dict),
    "string": lambda value: isinstance(value, str),
}


def _equals_any(members: list[Any]) -> Callable[[Any], bool]:
    """``jsonschema``'s equality (booleans apart from numbers) against ``members``, for plain scalars
    (anything else is undecided)."""
    strings = {member for member in members if isinstance(member, str)}
    numbers_ = [m for m in members if isinstance(m, int | float) and not isinstance(m, bool)]
    others = [member for member in members if member is None or isinstance(member, bool)]

    def equals(value: Any) -> bool:
        kind = type(value)
        if kind is str:
            return value in strings
        if kind is int or kind is float:
            return any(value == member for member in numbers_)
        if value is None or kind is bool:
            return any(value is member for member in others)
        raise Undecided

    return equals


def _type(types: Any) -> Test:
    names = [types] if isinstance(types, str) else list(types)
    if any(name not in _TYPES for name in names):
        raise Unsupported(f"type {types!r}")
    tests = [_TYPES[name] for name in names]
    return tests[0] if len(tests) == 1 else lambda value: any(test(value) for test in tests)


def _pattern(pattern: str) -> Test:
    search = re.compile(pattern).search
    return lambda value: not isinstance(value, str) or search(value) is not None


def _unique(unique: Any) -> Test:
    def test(value: Any) -> bool:
        if not unique or not isinstance(value, list):
            return True
        if not all(type(item) is str for item in value):
            raise Undecided  # jsonschema's own comparison decides
        return len(set(value)) == len(value)

    return test


# Keywords that test a value alone (what is unknown decides only whether they run): their tests by keyword.
_VALUE_KEYWORDS: dict[str, Callable[[Any], Test]] = {
    "type": _type,
    "enum": lambda members: _equals_any(list(members)),
    "const": lambda member: _equals_any([member]),
    "pattern": _pattern,
    "minLength": lambda limit: lambda value: not isinstance(value, str) or len(value) >= limit,
    "maxLength": lambda limit: lambda value: not isinstance(value, str) or len(value) <= limit,
    "minimum": lambda limit: lambda value: not _is_number(value) or not value < limit,
    "maximum": lambda limit: lambda value: not _is_number(value) or not value > limit,
    "uniqueItems": _unique,
}


def _all(tests: list[Test]) -> Test | None:
    """One test for several (None for none)."""
    if not tests:
        return None
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        first, second = tests
        return lambda value: first(value) and second(value)
    return lambda value: all(test(value) for test in tests)


class _Compiler:
    def __init__(self) -> None:
        self.done: dict[tuple[int, bool], Check] = {}
        self.keep: list[Any] = []  # the compiled schemas stay alive, so their ids stay theirs

    def compile(self, schema: Any, strict: bool) -> Check:
        """``strict``: inside an ``if`` condition (an unknown value a keyword reads makes it undecided)."""
        key = (id(schema), strict)
        if key not in self.done:
            self.keep.append(schema)
            self.done[key] = self._compile(schema, strict)
        return self.done[key]

    def _compile(self, schema: Any, strict: bool) -> Check:
        if schema is True:
            return lambda value, kind: True
        if schema is False:
            return lambda value, kind: False
        if not isinstance(schema, dict):
            raise Unsupported(f"a schema must be a mapping or a boolean, not {schema!r}")
        structural: list[Check] = []
        reading: list[Check] = []  # run on known values and on an UnknownString
        condition: list[Check] = []  # run on known values only
        tests: dict[bool, list[Test]] = {True: [], False: []}  # of the value alone; True: content keywords
        for keyword, value in schema.items():
            if keyword in _ANNOTATIONS or keyword.startswith("x-"):
                continue
            if keyword == "if":
                condition.append(self._if(schema, strict))
            elif keyword in _VALUE_KEYWORDS:
                tests[keyword in CONTENT_KEYWORDS].append(_VALUE_KEYWORDS[keyword](value))
            else:
                check = self._keyword(keyword, value, schema, strict)
                if check is not None:  # None: folded into another keyword's check
                    (structural if keyword in STRUCTURAL_KEYWORDS else reading).append(check)
        known_test = _all(tests[False] + tests[True])
        if strict:
            return self._strict_node(structural, [*reading, *condition], known_test)
        return self._node(structural, reading, condition, known_test, _all(tests[False]))

    @staticmethod
    def _node(
        structural: list[Check],
        reading: list[Check],
        condition: list[Check],
        known_test: Test | None,
        string_test: Test | None,
    ) -> Check:
        known_checks = reading + condition
        if not known_checks and known_test is None:

            def descend(value: Any, kind: Kind) -> bool:
                return all(check(value, kind) for check in structural)

            return descend

        if not structural and not known_checks and known_test is not None:  # a leaf: most values

            def leaf(value: Any, kind: Kind) -> bool:
                state = kind(value)
                if state == KNOWN:
                    return known_test(value)
                return state != UNKNOWN_STRING or string_test is None or string_test(value)

            return leaf

        def node(value: Any, kind: Kind) -> bool:
            for check in structural:
                if not check(value, kind):
                    return False
            state = kind(value)
            if state == KNOWN:
                if known_test is not None and not known_test(value):
                    return False
                for check in known_checks:
                    if not check(value, kind):
                        return False
            elif state == UNKNOWN_STRING:
                if string_test is not None and not string_test(value):
                    return False
                for check in reading:
                    if not check(value, kind):
                        return False
            return True

        return node

    @staticmethod
    def _strict_node(structural: list[Check], reading: list[Check], test: Test | None) -> Check:
        # Every keyword is evaluated (no early exit): jsonschema may reach an unknown value that an early
        # exit here would not, and that must give the answer up, not decide it.
        def node(value: Any, kind: Kind) -> bool:
            ok = True
            for check in structural:
                ok = check(value, kind) and ok
            if reading or test is not None:
                if kind(value) != KNOWN:
                    raise Undecided
                ok = (test is None or test(value)) and ok
            for check in reading:
                ok = check(value, kind) and ok
            return ok

        return node

    def _if(self, schema: dict[str, Any], strict: bool) -> Check:
        test = self.compile(schema["if"], True)
        then = self.compile(schema["then"], strict) if "then" in schema else None
        otherwise = self.compile(schema["else"], strict) if "else" in schema else None

        def condition(value: Any, kind: Kind) -> bool:
            branch = then if test(value, kind) else otherwise
            return branch is None or branch(value, kind)

        return condition

    def _keyword(self, keyword: str, value: Any, schema: dict[str, Any], strict: bool) -> Check | None:
        compile_ = getattr(self, "k_" + keyword, None)
        if compile_ is None:
            raise Unsupported(f"keyword {keyword!r}")
        check: Check | None = compile_(value, schema, strict)
        return check

    # --- keywords -------------------------------------------------------------------------------

    def k_required(self, names: Any, schema: dict[str, Any], strict: bool) -> Check:
        wanted = list(names)
        return lambda value, kind: not isinstance(value, dict) or all(name in value for name in wanted)

    def k_dependentRequired(self, rules: Any, schema: dict[str, Any], strict: bool) -> Check:
        pairs = [(name, list(needed)) for name, needed in rules.items()]

        def check(value: Any, kind: Kind) -> bool:
            if not isinstance(value, dict):
                return True
            return all(name not in value or all(other in value for other in needed) for name, needed in pairs)

        return check

    @staticmethod
    def _closed(schema: dict[str, Any]) -> bool:
        """``additionalProperties: false`` beside ``properties``: checked with them, in one pass over the keys."""
        if "patternProperties" in schema:
            raise Unsupported("patternProperties")
        return schema.get("additionalProperties") is False and "properties" in schema

    def k_properties(self, properties: Mapping[str, Any], schema: dict[str, Any], strict: bool) -> Check:
        checks = {name: self.compile(sub, strict) for name, sub in properties.items()}
        closed = self._closed(schema)

        def check(value: Any, kind: Kind) -> bool:
            if not isinstance(value, dict):
                return True
            ok = True
            for name, item in value.items():
                sub = checks.get(name)
                if sub is None:
                    ok = not closed and ok
                elif not sub(item, kind):
                    ok = False
                if not ok and not strict:
                    return False
            return ok

        return check

    def k_additionalProperties(self, extra: Any, schema: dict[str, Any], strict: bool) -> Check | None:
        if self._closed(schema):
            return None
        declared = frozenset(schema.get("properties", ()))
        if extra is False:
            return lambda value, kind: not isinstance(value, dict) or declared.issuperset(value)
        sub = self.compile(extra, strict)

        def check(value: Any, kind: Kind) -> bool:
            if not isinstance(value, dict):
                return True
            results = [sub(item, kind) for name, item in value.items() if name not in declared]
            return all(results)

        return check

    def k_items(self, items: Any, schema: dict[str, Any], strict: bool) -> Check:
        if "prefixItems" in schema:
            raise Unsupported("prefixItems")
        sub = self.compile(items, strict)

        def check(value: Any, kind: Kind) -> bool:
            if not isinstance(value, list):
                return True
            return all([sub(item, kind) for item in value] if strict else (sub(item, kind) for item in value))

        return check

    def k_allOf(self, branches: Any, schema: dict[str, Any], strict: bool) -> Check:
        checks = [self.compile(branch, strict) for branch in branches]
        if strict:
            return lambda value, kind: all([check(value, kind) for check in checks])
        return lambda value, kind: all(check(value, kind) for check in checks)

    def k_anyOf(self, branches: Any, schema: dict[str, Any], strict: bool) -> Check:
        checks = [self.compile(branch, strict) for branch in branches]
        if strict:
            return lambda value, kind: any([check(value, kind) for check in checks])
        return lambda value, kind: any(check(value, kind) for check in checks)

    def k_oneOf(self, branches: Any, schema: dict[str, Any], strict: bool) -> Check:
        checks = [self.compile(branch, strict) for branch in branches]
        return lambda value, kind: [check(value, kind) for check in checks].count(True) == 1


_COMPILER = _Compiler()


def compile_check(schema: Any) -> Check | None:
    """The check of a schema whose references are inlined, or None when it uses a keyword not handled here."""
    try:
        return _COMPILER.compile(schema, False)
    except Unsupported:
        return None
