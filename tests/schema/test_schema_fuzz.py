"""Property tests: validate_inputs never crashes, and what it accepts is stable and schema-valid."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jsonschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pulumi_modelarts.schema import TYPE_TOKENS, Violation, load_schema, registry, validate_inputs
from support.properties import json_like


def _names(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                yield from value
            yield from _names(value)
    elif isinstance(node, list):
        for item in node:
            yield from _names(item)


KEYS = sorted(
    {
        name
        for doc in ("common", "intelligent_task", "export_task", "dataset_version_ref")
        for name in _names(load_schema(doc))
    }
)
ENUM_VALUES = [
    "auto-label",
    "pre-label",
    "auto-grouping",
    "DIR",
    "NEW_DATASET",
    "fast",
    "latest",
    "current",
    "ready",
    "/b/",
    "",
    "0",
    "1",
    "2",
]


class Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = Unknown()

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-5, max_value=700_000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, 1.0, 2.0, 3.0, 0.5, 1.5, 15.0]),
    st.text(max_size=12),
    st.sampled_from(ENUM_VALUES),
    st.just(UNKNOWN),
)
keys = st.one_of(st.sampled_from(KEYS), st.text(max_size=8))


# Three levels below the top, as deep as the schemas go (config.export_params.train_sample_ratio).
values = json_like(scalars, keys, depth=2, max_list=4, max_dict=5)
props = st.dictionaries(keys, values, max_size=10)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(type_token=st.sampled_from(list(TYPE_TOKENS)), props=props, unknowns=st.booleans())
def test_validate_inputs_never_crashes(type_token: str, props: dict[str, Any], unknowns: bool) -> None:
    is_unknown = (lambda v: v is UNKNOWN) if unknowns else None
    normalized, violations = validate_inputs(type_token, props, is_unknown=is_unknown)
    assert isinstance(normalized, dict)
    for violation in violations:
        assert isinstance(violation, Violation)
        assert isinstance(violation.path, str) and violation.message
        str(violation)


def _plain(value: Any) -> bool:
    if isinstance(value, dict):
        return all(_plain(v) for v in value.values())
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    return value is not UNKNOWN


structured = st.fixed_dictionaries(
    {
        "dataset_name": st.sampled_from(["flowers", "a_b-1"]),
        "task_type": st.sampled_from(["auto-label", "auto-grouping", "pre-label"]),
    },
    optional={
        "model_id": st.just("m1"),
        "collect_key_sample": st.booleans(),
        "timeout_seconds": st.one_of(st.integers(1, 604800), st.sampled_from([60.0, 3600.0])),
        "config": st.fixed_dictionaries(
            {},
            optional={
                "n_clusters": st.one_of(st.integers(1, 50), st.sampled_from(["2", "10", 3.0])),
                "algorithm_type": st.sampled_from(["fast", "accurate"]),
                "stop_time": st.one_of(st.integers(1, 60), st.just(20.0)),
                "export_params": st.fixed_dictionaries(
                    {},
                    optional={"train_sample_ratio": st.one_of(st.floats(0, 1), st.sampled_from(["0.5", "1.00"]))},
                ),
            },
        ),
        "accept": st.fixed_dictionaries({}, optional={"min_score": st.one_of(st.floats(0, 1), st.integers(0, 1))}),
    },
)


@settings(deadline=None)
@given(props=structured)
def test_accepted_inputs_are_stable_and_valid_for_plain_jsonschema(props: dict[str, Any]) -> None:
    normalized, violations = validate_inputs("modelarts:IntelligentTask", props)
    if violations:
        assert props["task_type"] == "pre-label" and "model_id" not in props
        return
    again, violations_again = validate_inputs("modelarts:IntelligentTask", normalized)
    assert violations_again == []
    assert again == normalized
    assert _plain(normalized)
    validator = jsonschema.Draft202012Validator(load_schema("intelligent_task"), registry=registry())
    assert list(validator.iter_errors(normalized)) == []
    # numbers are in their canonical type
    config = normalized.get("config", {})
    if "n_clusters" in config:
        assert type(config["n_clusters"]) is int
    assert type(normalized["timeout_seconds"]) is int
    if "accept" in normalized:  # opt-in: present only when given
        assert type(normalized["accept"]["min_score"]) is float
