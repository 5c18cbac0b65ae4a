"""Repeated validations of the same plain inputs come from memory: the answers must be those of a first
validation, independent copies, and never shared between inputs that only look alike."""

from __future__ import annotations

from typing import Any

import pytest

from pulumi_modelarts.schema import UnknownString, validate_inputs

ET = "modelarts:ExportTask"
DV = "modelarts:DatasetVersionRef"


def test_a_repeated_answer_is_a_fresh_copy() -> None:
    props = {"dataset_name": "flowers", "path": "/b/out/", "export_params": {"export_dest": "DIR"}}
    first, _ = validate_inputs(ET, props)
    first["export_params"]["export_dest"] = "CHANGED"
    first["path"] = "/elsewhere/"
    second, violations = validate_inputs(ET, props)
    assert violations == []
    assert second["export_params"]["export_dest"] == "DIR" and second["path"] == "/b/out/"
    assert props == {"dataset_name": "flowers", "path": "/b/out/", "export_params": {"export_dest": "DIR"}}


@pytest.mark.parametrize(
    ("value", "accepted"),
    [(1, True), (1.0, True), (True, False), ("1", False), (1.5, False)],
)
def test_values_that_compare_equal_are_not_confused(value: Any, accepted: bool) -> None:
    # 1, 1.0 and true are equal in Python; as inputs they differ, whatever was validated before.
    for earlier in (1, 1.0, True, "1", 1.5):
        validate_inputs(ET, {"dataset_name": "d", "path": "/p/", "export_type": earlier})
    normalized, violations = validate_inputs(ET, {"dataset_name": "d", "path": "/p/", "export_type": value})
    assert (violations == []) is accepted, violations
    if accepted:
        assert normalized["export_type"] == 1 and type(normalized["export_type"]) is int


def test_unknown_values_are_judged_by_the_callers_rule_every_time() -> None:
    props = {"dataset_name": "flowers", "version_name": "SENTINEL-UNKNOWN"}
    assert validate_inputs(DV, props)[1] == []
    unknown_says = validate_inputs(DV, props, is_unknown=lambda value: value == "SENTINEL-UNKNOWN")
    assert unknown_says[1] == [] and unknown_says[0]["version_name"] == "SENTINEL-UNKNOWN"
    wrong = {"dataset_name": "flowers", "version_name": 7}
    assert validate_inputs(DV, wrong)[1] != []
    assert validate_inputs(DV, wrong, is_unknown=lambda value: value == 7)[1] == []
    assert validate_inputs(DV, wrong)[1] != []


def test_a_string_with_references_is_not_taken_for_the_same_plain_string() -> None:
    plain = {"dataset_name": "flowers", "path": "no-slash", "export_params": {"export_dest": "DIR"}}
    assert validate_inputs(ET, plain)[1] != []  # a plain path must match the path pattern
    interpolated = {**plain, "path": UnknownString("no-slash")}
    assert validate_inputs(ET, interpolated)[1] == []  # its content is not known yet: only its type counts
