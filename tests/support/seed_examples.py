"""The example request bodies of the API reference, verbatim (shared/api/seeds, and one page outside them).

Seed 000, "Starting Intelligent Tasks": three task bodies. Seed 002, "Creating a Dataset Export
Task": two export bodies. "Creating an Import Task" (docs/api.md §11): two import bodies. Tests read
them; none may modify them.
"""

from __future__ import annotations

from typing import Any

AUTO_LABEL: dict[str, Any] = {
    "task_type": "auto-label",
    "collect_key_sample": True,
    "config": {"algorithm_type": "fast"},
}
PRE_LABEL: dict[str, Any] = {
    "task_type": "pre-label",
    "model_id": "c4989033-7584-44ee-a180-1c476b810e46",
    "collect_key_sample": True,
    "config": {"inf_config_list": [{"specification": "modelarts.vm.cpu.2u", "instance_count": 1}]},
}
AUTO_GROUPING: dict[str, Any] = {
    "task_type": "auto-grouping",
    "config": {
        "n_clusters": "2",
        "ambiguity": False,
        "image_brightness": False,
        "image_colorfulness": False,
        "property": "size",
        "result_type": 1,
    },
}
EXPORT_TO_OBS: dict[str, Any] = {
    "path": "/test-obs/daoChu/",
    "export_type": 3,
    "export_params": {"sample_state": "", "export_dest": "DIR"},
}
EXPORT_TO_NEW_DATASET: dict[str, Any] = {
    "path": "/test-obs/classify/input/",
    "export_type": 3,
    "export_params": {
        "sample_state": "",
        "export_dest": "NEW_DATASET",
        "export_new_dataset_name": "dataset-export-test",
        "export_new_dataset_work_path": "/test-obs/classify/output/",
    },
}
# "Creating an Import Task" (the historical data management pages, not in shared/api/seeds): its two
# example bodies. The manifest example names its labels as strings although the table asks for Label objects.
IMPORT_FROM_OBS: dict[str, Any] = {
    "import_type": "dir",
    "import_path": "s3://test-obs/daoLu_images/animals/",
    "included_labels": [],
    "import_annotations": False,
    "difficult_only": False,
}
IMPORT_FROM_MANIFEST: dict[str, Any] = {
    "import_type": "manifest",
    "import_path": "s3://test-obs/classify/output/dataset-f9e8-gfghHSokody6AJigS5A/annotation/V002/V002.manifest",
    "included_labels": ["rabbits", "bees", "Rabbits", "Bees"],
    "import_annotations": True,
    "difficult_only": False,
}
