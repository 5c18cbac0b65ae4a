"""validate_inputs: the API's example bodies, coercion, defaults, messages, unknown values."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import pytest

from pulumi_modelarts.schema import (
    TYPE_TOKENS,
    UnknownString,
    Violation,
    validate_inputs,
)
from support import seed_examples

IT = "modelarts:IntelligentTask"
ET = "modelarts:ExportTask"
DV = "modelarts:DatasetVersionRef"
IM = "modelarts:ImportTask"

# The example request bodies of the API reference.
AUTO_LABEL_BODY, PRE_LABEL_BODY, AUTO_GROUPING_BODY = (
    seed_examples.AUTO_LABEL,
    seed_examples.PRE_LABEL,
    seed_examples.AUTO_GROUPING,
)
EXPORT_DIR_BODY, EXPORT_NEW_DATASET_BODY = seed_examples.EXPORT_TO_OBS, seed_examples.EXPORT_TO_NEW_DATASET

TASK_BODIES = [AUTO_LABEL_BODY, PRE_LABEL_BODY, AUTO_GROUPING_BODY]
EXPORT_BODIES = [EXPORT_DIR_BODY, EXPORT_NEW_DATASET_BODY]

PATH_REQUIRED = (
    "path: path is required: the OBS path to export to, or for export_dest 'NEW_DATASET' the path the API also "
    "requires there (docs/api.md)"
)
NEW_DATASET_NEEDS = (
    "export_new_dataset_name and export_new_dataset_work_path are required when export_dest is "
    "'NEW_DATASET' (the new dataset needs a name and an OBS work path)"
)


def check(type_token: str, props: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    normalized, violations = validate_inputs(type_token, props, **kwargs)
    assert violations == [], [str(v) for v in violations]
    return normalized


def problems(type_token: str, props: Any, **kwargs: Any) -> list[str]:
    return [str(v) for v in validate_inputs(type_token, props, **kwargs)[1]]


# -- the API's example bodies -------------------------------------------------------------------


@pytest.mark.parametrize("body", TASK_BODIES, ids=["auto-label", "pre-label", "auto-grouping"])
def test_task_example_bodies_are_valid_intelligent_tasks(body: dict[str, Any]) -> None:
    original = copy.deepcopy(body)
    normalized = check(IT, {"dataset_id": "gfghHSokody6AJigS5A", **body})
    assert body == original  # not changed in place
    for key, value in body.items():
        if key != "config":
            assert normalized[key] == value


def test_auto_grouping_string_n_clusters_becomes_an_integer() -> None:
    normalized = check(IT, {"dataset_name": "flowers", **AUTO_GROUPING_BODY})
    assert normalized["config"]["n_clusters"] == 2
    assert type(normalized["config"]["n_clusters"]) is int


@pytest.mark.parametrize("body", EXPORT_BODIES, ids=["dir", "new-dataset"])
def test_export_example_bodies_are_valid_export_tasks(body: dict[str, Any]) -> None:
    normalized = check(ET, {"dataset_id": "gfghHSokody6AJigS5A", **body})
    assert normalized["export_type"] == 3
    assert normalized["export_params"]["export_dest"] == body["export_params"]["export_dest"]


def test_example_bodies_are_rejected_for_the_wrong_type() -> None:
    assert problems(ET, {"dataset_id": "d", **AUTO_LABEL_BODY})
    assert problems(IT, {"dataset_id": "d", **EXPORT_DIR_BODY})
    assert problems(DV, {"dataset_id": "d", **EXPORT_DIR_BODY})


# -- numbers ------------------------------------------------------------------------------------


def test_whole_floats_become_integers_everywhere_the_schema_says_integer() -> None:
    props = {
        "dataset_id": "d",
        "task_type": "auto-label",
        "timeout_seconds": 600.0,
        "config": {
            "stop_time": 3.0,
            "export_format": 2.0,
            "result_type": 0.0,
            "inf_config_list": [{"instance_count": 2.0, "weight": 100.0}],
            "export_params": {
                "search_conditions": [{"frame_in_video": 7.0, "label_list": {"labels": [{"type": 1.0}]}}]
            },
            "samples": [{"sample_type": 0.0, "labels": [{"type": 100.0, "score": 1}]}],
        },
    }
    normalized = check(IT, props)
    config = normalized["config"]
    values = [
        normalized["timeout_seconds"],
        config["stop_time"],
        config["export_format"],
        config["result_type"],
        config["inf_config_list"][0]["instance_count"],
        config["inf_config_list"][0]["weight"],
        config["export_params"]["search_conditions"][0]["frame_in_video"],
        config["export_params"]["search_conditions"][0]["label_list"]["labels"][0]["type"],
        config["samples"][0]["sample_type"],
        config["samples"][0]["labels"][0]["type"],
    ]
    assert values == [600, 3, 2, 0, 2, 100, 7, 1, 0, 100]
    assert all(type(v) is int for v in values)
    # number fields get floats, so YAML's 1 and Pulumi's 1.0 agree
    assert type(config["samples"][0]["labels"][0]["score"]) is float


@pytest.mark.parametrize(
    ("type_token", "props", "expected"),
    [
        (IT, {"dataset_id": "d", "task_type": "auto-label", "timeout_seconds": 1.5}, "timeout_seconds"),
        (
            IT,
            {"dataset_id": "d", "task_type": "auto-label", "config": {"stop_time": 1.5}},
            "config.stop_time",
        ),
        (
            IT,
            {
                "dataset_id": "d",
                "task_type": "auto-label",
                "config": {"inf_config_list": [{"instance_count": 2.5}]},
            },
            "config.inf_config_list[0].instance_count",
        ),
        (
            ET,
            {
                "dataset_id": "d",
                "path": "/b/",
                "export_params": {"search_conditions": [{}, {"frame_in_video": 0.5}]},
            },
            "export_params.search_conditions[1].frame_in_video",
        ),
    ],
)
def test_fractional_numbers_are_rejected_for_integers(type_token: str, props: dict[str, Any], expected: str) -> None:
    violations = validate_inputs(type_token, props)[1]
    assert [v.path for v in violations] == [expected]
    assert violations[0].message.startswith("must be an integer")


def test_fractional_number_for_an_integer_enum_lists_the_allowed_values() -> None:
    assert problems(ET, {"dataset_id": "d", "path": "/b/", "export_type": 1.5}) == [
        "export_type: must be one of 0, 1, 2, 3 (got 1.5)"
    ]


def test_booleans_are_not_numbers() -> None:
    assert problems(ET, {"dataset_id": "d", "path": "/b/", "export_format": True}) == [
        "export_format: must be one of 1, 2 (got true)"
    ]
    assert problems(IT, {"dataset_id": "d", "task_type": "auto-label", "timeout_seconds": True}) == [
        "timeout_seconds: must be an integer (got true)"
    ]


@pytest.mark.parametrize(
    ("given", "expected"),
    [("2", 2), (" 12 ", 12), (3, 3), (3.0, 3), ("007", 7)],
)
def test_n_clusters_forms(given: Any, expected: int) -> None:
    normalized = check(IT, {"dataset_id": "d", "task_type": "auto-grouping", "config": {"n_clusters": given}})
    assert normalized["config"]["n_clusters"] == expected


@pytest.mark.parametrize("given", ["two", "0", 0, -1, 1.5, "1.5", True, None])
def test_n_clusters_invalid(given: Any) -> None:
    violations = validate_inputs(
        IT, {"dataset_id": "d", "task_type": "auto-grouping", "config": {"n_clusters": given}}
    )[1]
    assert [v.path for v in violations] == ["config.n_clusters"]
    assert violations[0].message.startswith("must be an integer >= 1 or a string of digits")


@pytest.mark.parametrize(
    ("given", "expected"),
    [(0.8, "0.80"), (1, "1.00"), (0, "0.00"), (0.125, "0.125"), ("0.8", "0.8"), ("1.00", "1.00")],
)
def test_train_sample_ratio_forms(given: Any, expected: str) -> None:
    normalized = check(ET, {"dataset_id": "d", "path": "/b/", "export_params": {"train_sample_ratio": given}})
    assert normalized["export_params"]["train_sample_ratio"] == expected
    release = check(DV, {"dataset_id": "d", "version_name": "v1", "release": {"train_evaluate_sample_ratio": given}})
    assert release["release"]["train_evaluate_sample_ratio"] == expected


@pytest.mark.parametrize("given", [1.5, -0.1, "2", "abc", True, "0.5 "])
def test_train_sample_ratio_invalid(given: Any) -> None:
    violations = validate_inputs(
        ET, {"dataset_id": "d", "path": "/b/", "export_params": {"train_sample_ratio": given}}
    )[1]
    assert [v.path for v in violations] == ["export_params.train_sample_ratio"]
    assert "ratio between 0 and 1" in violations[0].message


# -- defaults -----------------------------------------------------------------------------------


def test_intelligent_task_defaults() -> None:
    normalized = check(IT, {"dataset_name": "flowers", "task_type": "auto-label"})
    assert normalized == {
        "dataset_name": "flowers",
        "task_type": "auto-label",
        "collect_key_sample": False,
        "wait": True,
        "timeout_seconds": 3600,
    }
    # accepting auto-labels is opt-in; an empty accept takes its documented defaults
    opted_in = check(IT, {"dataset_name": "flowers", "task_type": "auto-label", "accept": {}})
    assert opted_in["accept"] == {"min_score": 0.0, "skip_hard": True}
    with_config = check(IT, {"dataset_name": "flowers", "task_type": "auto-label", "config": {}})
    assert with_config["config"] == {"collect_rule": "all", "collect_sample": True, "stop_time": 15}


def test_export_task_defaults_fill_export_params_even_when_omitted() -> None:
    normalized = check(ET, {"dataset_id": "d", "path": "/b/"})
    assert normalized["export_params"] == {
        "export_dest": "DIR",
        "clear_hard_property": True,
        "ratio_sample_usage": False,
        "train_sample_ratio": "1.00",
    }
    assert normalized["source_type_header"] == "obs://"
    assert normalized["with_column_header"] is True


def test_dataset_version_ref_defaults() -> None:
    normalized = check(DV, {"dataset_id": "d", "selector": "current"})
    assert normalized == {
        "dataset_id": "d",
        "selector": "current",
        "requirements": {"status": "ready"},
        "wait": True,
        "timeout_seconds": 3600,
    }
    assert "release" not in normalized  # only with version_name, never filled in
    released = check(DV, {"dataset_id": "d", "version_name": "v1", "release": {}})
    assert released["release"] == {
        "train_evaluate_sample_ratio": "1.00",
        "clear_hard_property": True,
        "remove_sample_usage": True,
        "export_images": False,
        "version_format": "Default",
        "with_column_header": True,
    }


@pytest.mark.parametrize(
    ("type_token", "short", "explicit"),
    [
        (
            IT,
            {"dataset_id": "d", "task_type": "auto-label", "accept": {}},
            {
                "dataset_id": "d",
                "task_type": "auto-label",
                "collect_key_sample": False,
                "accept": {"min_score": 0, "skip_hard": True},
                "wait": True,
                "timeout_seconds": 3600.0,
            },
        ),
        (
            IT,
            {"dataset_id": "d", "task_type": "auto-label", "config": {"export_params": {}}},
            {
                "dataset_id": "d",
                "task_type": "auto-label",
                "config": {
                    "collect_rule": "all",
                    "collect_sample": True,
                    "stop_time": 15,
                    "export_params": {
                        "export_dest": "DIR",
                        "clear_hard_property": True,
                        "ratio_sample_usage": False,
                        "train_sample_ratio": 1,
                    },
                },
            },
        ),
        (
            ET,
            {"dataset_id": "d", "path": "/b/"},
            {
                "dataset_id": "d",
                "path": "/b/",
                "export_params": {"export_dest": "DIR", "train_sample_ratio": "1.00"},
                "source_type_header": "obs://",
                "with_column_header": True,
            },
        ),
        (
            DV,
            {"dataset_id": "d", "version_name": "v1", "release": {}},
            {
                "dataset_id": "d",
                "version_name": "v1",
                "requirements": {"status": "ready"},
                "release": {
                    "version_format": "Default",
                    "export_images": False,
                    "train_evaluate_sample_ratio": 1.0,
                },
            },
        ),
    ],
    ids=["task", "task-config", "export", "version"],
)
def test_omitted_and_explicit_defaults_normalize_the_same(
    type_token: str, short: dict[str, Any], explicit: dict[str, Any]
) -> None:
    import json

    a = check(type_token, short)
    b = check(type_token, explicit)
    assert a == b
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def test_normalizing_twice_changes_nothing() -> None:
    for type_token, body in [(IT, AUTO_GROUPING_BODY), (ET, EXPORT_NEW_DATASET_BODY), (IT, PRE_LABEL_BODY)]:
        once = check(type_token, {"dataset_id": "d", **body})
        assert check(type_token, once) == once


# -- messages -----------------------------------------------------------------------------------


def test_enum_message() -> None:
    assert problems(IT, {"dataset_id": "d", "task_type": "auto-label", "config": {"algorithm_type": "slow"}}) == [
        "config.algorithm_type: must be one of 'fast', 'accurate', 'supervisory' (got 'slow')"
    ]


def test_unknown_property_lists_allowed_names_and_suggests() -> None:
    violations = validate_inputs(
        IT, {"dataset_id": "d", "task_type": "auto-label", "config": {"algoritm_type": "fast"}}
    )[1]
    assert len(violations) == 1
    violation = violations[0]
    assert violation.path == "config.algoritm_type"
    assert violation.parts == ("config", "algoritm_type")
    assert violation.keyword == "unknown"
    assert violation.message.startswith(
        "unknown property 'algoritm_type'; allowed: algorithm_type, ambiguity, annotation_output,"
    )
    assert violation.message.endswith("; did you mean 'algorithm_type'?")


def test_unknown_top_level_property() -> None:
    assert problems(ET, {"dataset_id": "d", "path": "/b/", "exprot_type": 1}) == [
        "exprot_type: unknown property 'exprot_type'; allowed: adopt_task_id, annotation_format, dataset_id, "
        "dataset_name, dataset_type, export_format, export_params, export_type, path, sample_state, samples, "
        "search_conditions, source_type_header, timeout_seconds, version_format, version_id, wait, "
        "with_column_header; did you mean 'export_type'?"
    ]


@pytest.mark.parametrize(
    ("type_token", "props", "expected"),
    [
        (
            ET,
            {"dataset_id": "d", "path": "/b/", "export_params": {"search_conditions": [{"hard": 1}]}},
            ["export_params.search_conditions[0].hard: must be one of '0', '1' (got 1)"],
        ),
        (
            ET,
            {"dataset_id": "d", "path": "bucket/dir/"},
            ["path: must be an OBS path starting with '/', like /bucket/dir/ (got 'bucket/dir/')"],
        ),
        (
            ET,
            {"dataset_id": "d", "path": "/b/", "samples": "s1"},
            ["samples: must be a list (got 's1')"],
        ),
        (
            ET,
            {"dataset_id": "d", "path": "/b/", "export_params": {"sample_state": "ALL"}},
            ["export_params.sample_state: must be one of '', '__ALL__', '__NONE__', '__UNCHECK__', ..."],
        ),
        (
            IT,
            {"dataset_id": "d", "task_type": "auto-label", "config": {"confidence_scope": "0.1"}},
            [
                'config.confidence_scope: must be a range "min-max" of two numbers between 0 and 1, '
                "like 0.10-0.90 (got '0.1')"
            ],
        ),
        (
            IT,
            {"dataset_id": "d", "task_type": "auto-label", "accept": {"min_score": 2, "labels": ["a", "a"]}},
            [
                "accept.labels: must not contain the same item twice",
                "accept.min_score: must be between 0 and 1 (got 2)",
            ],
        ),
        (
            IT,
            {
                "dataset_id": "d",
                "task_type": "auto-label",
                "config": {"inf_config_list": [{"envs": {"A": 1}}]},
            },
            ["config.inf_config_list[0].envs.A: must be a string (got 1)"],
        ),
        (
            IT,
            {"dataset_id": "d", "task_type": "label"},
            ["task_type: must be one of 'auto-label', 'pre-label', 'auto-grouping' (got 'label')"],
        ),
        (
            IT,
            {
                "dataset_id": "d",
                "task_type": "auto-label",
                "config": {"samples": [{"metadata": {"@modelarts:hard_reasons": [1, 99]}}]},
            },
            ['config.samples[0].metadata["@modelarts:hard_reasons"][1]: must be between 0 and 30 (got 99)'],
        ),
        (
            DV,
            {"dataset_id": "", "selector": "latest"},
            ["dataset_id: must be at least 1 character long (got 0 characters)"],
        ),
        (
            DV,
            {"dataset_id": "d", "version_name": "x" * 33},
            [
                "version_name: must be a version name of 1 to 32 characters from A-Z, a-z, 0-9, '_' and '-' "
                f"(got '{'x' * 33}')"
            ],
        ),
        (
            DV,
            {"dataset_id": "d", "version_name": "v", "release": {"description": "x" * 257}},
            [f"release.description: must be at most 256 characters, none of ! < > = & \" ' (got '{'x' * 77}...')"],
        ),
        (IT, [], ["must be a mapping (got a list)"]),
    ],
)
def test_messages(type_token: str, props: Any, expected: list[str]) -> None:
    got = problems(type_token, props)
    if expected and expected[0].endswith("..."):
        assert len(got) == 1 and got[0].startswith(expected[0][:-3]), got
    else:
        assert got == expected


def test_every_violation_has_a_path_and_a_message() -> None:
    props = {
        "dataset_id": 1,
        "dataset_name": "bad name",
        "task_type": "pre-label",
        "collect_key_sample": "no",
        "config": {
            "algorithm_type": 1,
            "flavor": {"code": 2, "extra": True},
            "parameters": [{"label": 1, "value": None}],
            "samples": [{"labels": [{"annotated_by": "robot", "property": {"@modelarts:shape": "oval"}}]}],
        },
        "accept": {"skip_hard": "yes"},
    }
    violations = validate_inputs(IT, props)[1]
    paths = {v.path for v in violations}
    assert paths >= {
        "",
        "dataset_id",
        "dataset_name",
        "model_id",
        "collect_key_sample",
        "config.algorithm_type",
        "config.flavor.code",
        "config.flavor.extra",
        "config.parameters[0].label",
        "config.parameters[0].value",
        "config.samples[0].labels[0].annotated_by",
        'config.samples[0].labels[0].property["@modelarts:shape"]',
        "accept.skip_hard",
    }
    for violation in violations:
        assert violation.message
        assert "is not valid under" not in violation.message  # no raw jsonschema wording
        assert "(got " in violation.message or violation.keyword in {
            "required",
            "exactlyOne",
            "unknown",
            "dependentRequired",
        }


# -- rules across fields ------------------------------------------------------------------------


@pytest.mark.parametrize("type_token", list(TYPE_TOKENS))
def test_exactly_one_of_dataset_id_and_dataset_name(type_token: str) -> None:
    extra: dict[str, Any] = {
        IT: {"task_type": "auto-label"},
        ET: {"path": "/b/"},
        DV: {"selector": "latest"},
        IM: {"import_path": "/b/raw/"},
    }[type_token]
    assert problems(type_token, extra) == ["exactly one of dataset_id, dataset_name is required (got none)"]
    assert problems(type_token, {**extra, "dataset_id": "d", "dataset_name": "n"}) == [
        "only one of dataset_id, dataset_name may be given (got dataset_id, dataset_name)"
    ]
    assert problems(type_token, {**extra, "dataset_id": "d"}) == []
    assert problems(type_token, {**extra, "dataset_name": "n"}) == []


def test_exactly_one_version_selector() -> None:
    assert problems(DV, {"dataset_id": "d"}) == [
        "exactly one of version_id, version_name, selector is required (got none)"
    ]
    assert problems(DV, {"dataset_id": "d", "version_id": "x", "selector": "latest"}) == [
        "only one of version_id, version_name, selector may be given (got version_id, selector)"
    ]
    for key, value in [("version_id", "x"), ("version_name", "v1"), ("selector", "current")]:
        assert problems(DV, {"dataset_id": "d", key: value}) == []


def test_release_only_with_version_name() -> None:
    assert problems(DV, {"dataset_id": "d", "selector": "latest", "release": {}}) == [
        "release: can only be used together with version_name (which is missing)"
    ]
    assert problems(DV, {"dataset_id": "d", "version_id": "x", "release": {"export_images": True}}) == [
        "release: can only be used together with version_name (which is missing)"
    ]
    assert problems(DV, {"dataset_id": "d", "version_name": "v2", "release": {"description": "nightly"}}) == []


def test_pre_label_needs_model_id() -> None:
    assert problems(IT, {"dataset_id": "d", "task_type": "pre-label"}) == [
        "model_id: model_id is required when task_type is 'pre-label'"
    ]
    assert problems(IT, {"dataset_id": "d", "task_type": "auto-label"}) == []


def test_task_type_is_required() -> None:
    assert problems(IT, {"dataset_id": "d"}) == ["task_type: required property 'task_type' is missing"]


def test_export_destination_rules() -> None:
    assert problems(ET, {"dataset_id": "d"}) == [PATH_REQUIRED]
    assert problems(ET, {"dataset_id": "d", "export_params": {"export_dest": "DIR"}}) == [PATH_REQUIRED]
    # path is required for a new dataset too: the docs' own example sends one, and one reading of the API
    # refuses an export without it (docs/api.md, --export-path always)
    complete_new = {"export_dest": "NEW_DATASET", "export_new_dataset_name": "n", "export_new_dataset_work_path": "/w/"}
    assert problems(ET, {"dataset_id": "d", "export_params": complete_new}) == [PATH_REQUIRED]
    assert problems(ET, {"dataset_id": "d", "path": "/b/", "export_params": {"export_dest": "NEW_DATASET"}}) == [
        f"export_params.export_new_dataset_name: {NEW_DATASET_NEEDS}",
        f"export_params.export_new_dataset_work_path: {NEW_DATASET_NEEDS}",
    ]
    named = {"export_dest": "NEW_DATASET", "export_new_dataset_name": "n"}
    assert problems(ET, {"dataset_id": "d", "path": "/b/", "export_params": named}) == [
        f"export_params.export_new_dataset_work_path: {NEW_DATASET_NEEDS}"
    ]
    complete = {**named, "export_new_dataset_work_path": "/b/w/"}
    assert problems(ET, {"dataset_id": "d", "path": "/b/", "export_params": complete}) == []
    # the same ExportParams inside a task's config
    assert problems(
        IT,
        {
            "dataset_id": "d",
            "task_type": "auto-label",
            "config": {"export_params": {"export_dest": "NEW_DATASET"}},
        },
    ) == [
        f"config.export_params.export_new_dataset_name: {NEW_DATASET_NEEDS}",
        f"config.export_params.export_new_dataset_work_path: {NEW_DATASET_NEEDS}",
    ]


@pytest.mark.parametrize(
    ("name", "ok"),
    [("dataset-export_1", True), ("", False), ("a b", False), ("x" * 100, True), ("x" * 101, False)],
)
def test_new_dataset_name_pattern(name: str, ok: bool) -> None:
    props = {
        "dataset_id": "d",
        "path": "/b/",
        "export_params": {
            "export_dest": "NEW_DATASET",
            "export_new_dataset_name": name,
            "export_new_dataset_work_path": "/b/w/",
        },
    }
    assert (problems(ET, props) == []) is ok


# -- unknown values -----------------------------------------------------------------------------


class _Sentinel:
    pass


UNKNOWN = _Sentinel()


def is_unknown(value: Any) -> bool:
    return value is UNKNOWN


@pytest.mark.parametrize(
    ("type_token", "props"),
    [
        (IT, {"dataset_id": UNKNOWN, "task_type": "auto-label"}),
        (IT, {"dataset_id": "d", "task_type": UNKNOWN}),  # undecided: model_id is not demanded
        (IT, {"dataset_id": "d", "task_type": "auto-label", "config": UNKNOWN}),
        (
            IT,
            {
                "dataset_id": "d",
                "task_type": "auto-label",
                "config": {"n_clusters": UNKNOWN, "stop_time": UNKNOWN},
            },
        ),
        (
            IT,
            {
                "dataset_id": "d",
                "task_type": "auto-label",
                "config": {"inf_config_list": [UNKNOWN, {"weight": UNKNOWN}]},
            },
        ),
        (ET, {"dataset_name": UNKNOWN, "path": UNKNOWN, "export_type": UNKNOWN}),
        (ET, {"dataset_id": "d", "path": "/b/", "export_params": UNKNOWN}),
        (ET, {"dataset_id": "d", "path": UNKNOWN, "export_params": {"export_dest": UNKNOWN}}),
        (ET, {"dataset_id": "d", "path": "/b/", "export_params": {"search_conditions": [{"hard": UNKNOWN}]}}),
        (DV, {"dataset_id": "d", "version_name": UNKNOWN, "release": UNKNOWN, "requirements": UNKNOWN}),
        (DV, {"dataset_id": "d", "selector": "latest", "timeout_seconds": UNKNOWN, "wait": UNKNOWN}),
    ],
)
def test_unknown_values_are_accepted_anywhere(type_token: str, props: dict[str, Any]) -> None:
    normalized = check(type_token, props, is_unknown=is_unknown)
    for key, value in props.items():
        if value is UNKNOWN:
            assert normalized[key] is UNKNOWN  # kept, not copied


def test_unknown_values_do_not_hide_other_problems() -> None:
    assert problems(
        IT,
        {"dataset_id": UNKNOWN, "task_type": "auto-label", "config": {"algorithm_type": "slow"}},
        is_unknown=is_unknown,
    ) == ["config.algorithm_type: must be one of 'fast', 'accurate', 'supervisory' (got 'slow')"]


def test_an_unknown_pulumi_style_string_sentinel_is_accepted_for_integers() -> None:
    sentinel = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
    check(
        IT,
        {
            "dataset_id": sentinel,
            "task_type": "auto-label",
            "timeout_seconds": sentinel,
            "config": {"stop_time": sentinel},
        },
        is_unknown=lambda v: v == sentinel,
    )


def test_a_failing_is_unknown_counts_as_known() -> None:
    def broken(value: Any) -> bool:
        raise RuntimeError("boom")

    assert problems(IT, {"dataset_id": "d", "task_type": "x"}, is_unknown=broken) == [
        "task_type: must be one of 'auto-label', 'pre-label', 'auto-grouping' (got 'x')"
    ]


def test_unknown_strings_are_strings_of_unknown_content() -> None:
    assert problems(ET, {"dataset_id": "d", "path": UnknownString("${x.y}/out/")}) == []
    assert problems(DV, {"dataset_id": "d", "version_name": UnknownString("prod-${c.version_name}")}) == []
    assert problems(ET, {"dataset_id": "d", "path": "/b/", "export_type": UnknownString("${a.b}x")}) == [
        "export_type: must be an integer (got a string with references)"
    ]
    assert (
        problems(ET, {"dataset_id": "d", "path": "/b/", "export_params": {"export_dest": UnknownString("${a.b}")}})
        == []
    )


# -- the Violation type -------------------------------------------------------------------------


def test_violation_is_a_frozen_dataclass_with_str() -> None:
    violation = Violation("config.algorithm_type", "must be one of 'fast' (got 'x')")
    assert str(violation) == "config.algorithm_type: must be one of 'fast' (got 'x')"
    assert (
        str(Violation("", "exactly one of a, b is required (got none)")) == "exactly one of a, b is required (got none)"
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        violation.path = "x"  # type: ignore[misc]


def test_unknown_type_token() -> None:
    with pytest.raises(ValueError, match="unknown schema"):
        validate_inputs("modelarts:Nope", {})
    with pytest.raises(ValueError, match="not a resource type"):
        validate_inputs("common", {})


def test_non_string_keys_are_reported() -> None:
    normalized, violations = validate_inputs(IT, {"dataset_id": "d", "task_type": "auto-label", 1: "x"})
    assert [str(v) for v in violations] == ["property names must be strings (got 1)"]
    assert list(normalized) == ["dataset_id", "task_type", "collect_key_sample", "wait", "timeout_seconds"]


# -- many resources (their speed is measured by tests/benchmarks/bench.py, not asserted here) --------------


def test_500_resources_validate_cleanly() -> None:
    bodies = [(IT, {"dataset_name": f"ds{i}", **TASK_BODIES[i % 3]}) for i in range(250)]
    bodies += [(ET, {"dataset_name": f"ds{i}", **EXPORT_BODIES[i % 2]}) for i in range(200)]
    bodies += [(DV, {"dataset_name": f"ds{i}", "version_name": f"v{i}", "release": {}}) for i in range(50)]
    for type_token, props in bodies:
        assert validate_inputs(type_token, props)[1] == []
