"""The compiled checks (schema/_compiled.py) answer exactly as jsonschema does, unknown values included: a
check that says "valid" where jsonschema finds an error would let bad inputs through."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pulumi_modelarts.schema import TYPE_TOKENS, UnknownString, _validation, validate_inputs
from pulumi_modelarts.schema._compiled import Undecided, compile_check
from pulumi_modelarts.schema._documents import schema_name
from pulumi_modelarts.specs import load_specs


class Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = Unknown()
NAMES = [schema_name(token) for token in TYPE_TOKENS]

odd = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from([0.0, 1.0, 2.5, -1.0, float("inf")]),
    st.text(max_size=6),
    st.just(UNKNOWN),
    st.builds(UnknownString, st.sampled_from(["", "/x/${a.b}", "${a.b}-1"])),
    st.just([]),
    st.just({}),
)


def _members(schema: dict[str, Any], key: str) -> list[Any]:
    """``schema[key]`` merged over allOf/oneOf/anyOf/if/then branches (the values a generator can draw from)."""
    found: list[Any] = []
    if key in schema:
        found.append(schema[key])
    for keyword in ("allOf", "oneOf", "anyOf"):
        for branch in schema.get(keyword, ()):
            if isinstance(branch, dict):
                found.extend(_members(branch, key))
    for keyword in ("if", "then", "else"):
        if isinstance(schema.get(keyword), dict):
            found.extend(_members(schema[keyword], key))
    return found


def value_for(schema: Any, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values shaped by ``schema``: mostly what it allows, sometimes not (and sometimes unknown)."""
    if not isinstance(schema, dict) or depth > 6:
        return odd
    choices: list[st.SearchStrategy[Any]] = []
    for members in _members(schema, "enum"):
        choices.append(st.sampled_from(members))
    for const in _members(schema, "const"):
        choices.append(st.just(const))
    types = [t for found in _members(schema, "type") for t in ([found] if isinstance(found, str) else found)]
    if "string" in types and not choices:
        choices.append(st.sampled_from(["/bucket/dir/", "name-1", "x", "/b/", "no-slash", "", "a" * 70]))
    if ("integer" in types or "number" in types) and not choices:
        choices.append(st.sampled_from([0, 1, 2, 3, 20, 0.5, 3.0, 604800, 604801, -1]))
    if "boolean" in types:
        choices.append(st.booleans())
    properties: dict[str, Any] = {}
    for found in _members(schema, "properties"):
        for name, sub in found.items():
            properties.setdefault(name, sub)
    if properties or "object" in types:
        optional = {name: value_for(sub, depth + 1) for name, sub in properties.items()}
        mapping = st.fixed_dictionaries({}, optional=optional)
        choices += [mapping] * 6 + [mapping.map(lambda d: {**d, "unexpected": 1})]
    items = _members(schema, "items")
    if items or "array" in types:
        choices.append(st.lists(value_for(items[0] if items else {}, depth + 1), max_size=3))
    return st.one_of([*choices * 8, odd]) if choices else odd


STRATEGIES = {name: value_for(_validation._inlined(name)) for name in NAMES}  # built once, drawn from per example

ROOT = Path(__file__).resolve().parents[2]
SPEC_DIRS = [ROOT / "specs", ROOT / "tests" / "specs" / "valid", ROOT / "examples" / "autolabel-export"]


def _unknown_references(value: Any) -> Any:
    if isinstance(value, str) and "${" in value:
        return UNKNOWN if value.startswith("${") and value.endswith("}") else UnknownString(value)
    if isinstance(value, dict):
        return {key: _unknown_references(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_unknown_references(item) for item in value]
    return value


def _corpus() -> list[tuple[str, dict[str, Any]]]:
    """The resources of the shipped specs and examples, normalized, references as unknown values."""
    found = []
    for directory in SPEC_DIRS:
        for resource in load_specs([directory]).resources.values():
            inputs = _unknown_references(resource.properties)
            normalized, violations = validate_inputs(resource.type_token, inputs, is_unknown=lambda v: v is UNKNOWN)
            assert not violations, (resource.name, violations)
            found.append((schema_name(resource.type_token), normalized))
    return found


CORPUS = _corpus()


def _leaves(value: Any, parts: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [parts] + [leaf for key, item in value.items() for leaf in _leaves(item, (*parts, key))]
    if isinstance(value, list):
        return [parts] + [leaf for index, item in enumerate(value) for leaf in _leaves(item, (*parts, index))]
    return [parts]


def _replace(value: Any, parts: tuple[Any, ...], new: Any) -> Any:
    if not parts:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[parts[0]] = _replace(value[parts[0]], parts[1:], new)
    return copy


@st.composite
def near_valid(draw: st.DrawFn) -> tuple[str, Any]:
    """A valid resource of the corpus with up to two values changed (to odd ones, unknown ones, or removed)."""
    name, value = draw(st.sampled_from(CORPUS))
    for _ in range(draw(st.integers(0, 2))):
        parts = draw(st.sampled_from(_leaves(value)))
        if parts and isinstance(value, dict) and draw(st.booleans()) and len(parts) == 1:
            value = {key: item for key, item in value.items() if key != parts[0]}
        else:
            value = _replace(value, parts, draw(odd))
    return name, value


def jsonschema_finds_errors(name: str, value: Any) -> bool:
    state = _validation._State(lambda item: item is UNKNOWN)
    token = _validation._STATE.set(state)
    try:
        return any(True for _ in _validation.validator_for(name).iter_errors(value))
    finally:
        _validation._STATE.reset(token)


def compiled_answer(name: str, value: Any) -> bool | None:
    check = compile_check(_validation._inlined(name))
    assert check is not None
    state = _validation._State(lambda item: item is UNKNOWN)
    try:
        return check(value, state.kind)
    except Undecided:
        return None


def test_every_shipped_resource_schema_compiles() -> None:
    # A keyword the compiler does not handle would silently send every resource of the type to jsonschema.
    for name in NAMES:
        assert compile_check(_validation._inlined(name)) is not None, name


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data(), name=st.sampled_from(NAMES))
def test_the_compiled_check_agrees_with_jsonschema(data: st.DataObject, name: str) -> None:
    value = data.draw(STRATEGIES[name])
    answer = compiled_answer(name, value)
    if answer is None:
        return  # undecided: jsonschema answers
    assert answer is not jsonschema_finds_errors(name, value), value


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=near_valid())
def test_the_compiled_check_agrees_with_jsonschema_near_valid_inputs(case: tuple[str, Any]) -> None:
    name, value = case
    answer = compiled_answer(name, value)
    if answer is not None:
        assert answer is not jsonschema_finds_errors(name, value), value


def test_a_condition_on_an_unknown_value_is_left_to_jsonschema() -> None:
    # IntelligentTask: if task_type is pre-label then model_id is required. An unknown task_type decides nothing.
    inputs = {"dataset_name": "flowers", "task_type": UNKNOWN}
    assert compiled_answer("intelligent_task", inputs) is None
    assert not jsonschema_finds_errors("intelligent_task", inputs)
    assert compiled_answer("intelligent_task", {"dataset_name": "flowers", "task_type": "pre-label"}) is False
    assert compiled_answer("intelligent_task", {"dataset_name": UNKNOWN, "task_type": "auto-label"}) is True


def test_the_content_of_an_unknown_string_is_not_checked_but_its_type_is() -> None:
    assert compiled_answer("export_task", {"dataset_name": "d", "path": UnknownString("no-slash${a.b}")}) is True
    assert compiled_answer("export_task", {"dataset_name": "d", "export_type": UnknownString("0")}) is False
