"""The plugin's names: camelCase at the engine, the API's names in the bridge, derived from the JSON Schemas."""

from __future__ import annotations

from typing import Any

import pytest

from pulumi_modelarts import schema
from pulumi_modelarts.plugin import names
from pulumi_modelarts.plugin.bridge import FUNCTIONS

TASK = names.resource("modelarts:IntelligentTask")
EXPORT = names.resource("modelarts:ExportTask")

# An intelligent task that reaches every kind of nesting: objects in objects, lists of objects, free-form maps,
# the API's `@modelarts:` attribute names, and the bridge's own bookkeeping outputs.
TASK_API: dict[str, Any] = {
    "dataset_id": "ds-1",
    "task_type": "auto-label",
    "config": {
        "algorithm_type": "fast",
        "inf_config_list": [{"instance_count": 1, "envs": {"MY_VAR": "x", "other_name": "y"}}],
        "export_params": {
            "export_dest": "DIR",
            "search_conditions": [{"sample_dir": "/a/", "label_list": {"op": "OR"}}],
        },
        "samples": [
            {
                "sample_id": "s1",
                "labels": [{"annotated_by": "auto", "property": {"@modelarts:hard_reasons": "1", "free_key": 2}}],
                "metadata": {"@modelarts:import_origin": 0},
            }
        ],
    },
    "skipped_counts": {"low_score": 2, "hard_example": 1},
    "task_id": "t-1",
    "spec": {"dataset_id": "ds-1", "task_type": "auto-label"},
    "resource_name": "autolabel",
}
TASK_CAMEL: dict[str, Any] = {
    "datasetId": "ds-1",
    "taskType": "auto-label",
    "config": {
        "algorithmType": "fast",
        "infConfigList": [{"instanceCount": 1, "envs": {"MY_VAR": "x", "other_name": "y"}}],
        "exportParams": {"exportDest": "DIR", "searchConditions": [{"sampleDir": "/a/", "labelList": {"op": "OR"}}]},
        "samples": [
            {
                "sampleId": "s1",
                "labels": [{"annotatedBy": "auto", "property": {"@modelarts:hard_reasons": "1", "free_key": 2}}],
                "metadata": {"@modelarts:import_origin": 0},
            }
        ],
    },
    "skippedCounts": {"low_score": 2, "hard_example": 1},
    "taskId": "t-1",
    "spec": {"dataset_id": "ds-1", "task_type": "auto-label"},
    "resource_name": "autolabel",
}


def test_values_are_renamed_at_every_depth_and_free_form_maps_pass_unchanged() -> None:
    assert TASK.to_camel(TASK_API) == TASK_CAMEL
    assert TASK.to_api(TASK_CAMEL) == TASK_API


@pytest.mark.parametrize("token", sorted(schema.TYPE_TOKENS))
def test_every_input_and_output_has_a_camel_case_name_that_maps_back(token: str) -> None:
    shape = names.resource(token)
    keys = [*schema.inputs_of(token), *schema.outputs_of(token)]
    assert sorted(shape.fields) == sorted(set(keys))
    for key in keys:
        assert shape.to_api({names.camel(key): 1}) == {key: 1}
        assert names.camel(key).isalnum() and names.camel(key)[0].islower()


def test_paths_and_messages_in_camel_case() -> None:
    assert EXPORT.camel_path("export_params.search_conditions[0].label_list.op") == (
        "exportParams.searchConditions[0].labelList.op"
    )
    assert EXPORT.camel_path("") == ""
    assert EXPORT.camel_path("colour") == "colour"
    assert TASK.camel_path("config.samples[1].labels[0].property.@modelarts:hard") == (
        "config.samples[1].labels[0].property.@modelarts:hard"
    )
    message = "export_new_dataset_name and export_new_dataset_work_path are required when export_dest is 'NEW_DATASET'"
    assert names.camel_text(message) == (
        "exportNewDatasetName and exportNewDatasetWorkPath are required when exportDest is 'NEW_DATASET'"
    )
    # Only the schemas' property names change: values, API attributes and other words stay as they are.
    assert names.camel_text("got 'my_dataset', '__ALL__' and @modelarts:hard_coefficient") == (
        "got 'my_dataset', '__ALL__' and @modelarts:hard_coefficient"
    )


def test_the_api_s_spelling_is_named_with_its_camel_case_form() -> None:
    misnamed = TASK.misnamed({"dataset_id": "x", "config": {"algorithm_type": "fast", "samples": [{"sample_id": 1}]}})
    assert misnamed == [
        ("dataset_id", "unknown property 'dataset_id'; its name here is 'datasetId'"),
        ("config.algorithm_type", "unknown property 'algorithm_type'; its name here is 'algorithmType'"),
        ("config.samples[0].sample_id", "unknown property 'sample_id'; its name here is 'sampleId'"),
    ]
    assert TASK.misnamed(TASK_CAMEL) == []


def test_functions_are_named_like_resources() -> None:
    for function in FUNCTIONS.values():
        shape = names.function(function.args, function.outputs)
        assert shape.to_camel({"dataset_name": "flowers", "current_version_id": "v"}) == {
            "datasetName": "flowers",
            **({"currentVersionId": "v"} if "current_version_id" in function.outputs else {"current_version_id": "v"}),
        }
