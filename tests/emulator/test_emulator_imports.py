"""Import tasks: the doc examples, the state over the virtual clock, samples really added, validation,
conflicts, the readings, faults and persistence.

Two emulators serve most of the module, one lenient and one ``--reading cloud-strict``, over one seed;
each test imports into datasets of its own, and imports take 100 s of virtual time, moved by the tests.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pulumi_modelarts.emulator import seed
from pulumi_modelarts.emulator.imports import DOCUMENTED
from support.emu_helpers import PETS, aksk_client, dataset_id
from support.emulator_process import EmulatorProcess, borrow_emulator, give_back
from support.seed_examples import IMPORT_FROM_MANIFEST, IMPORT_FROM_OBS

SLOW = ("--admin", "--task-seconds", "100", "--version-seconds", "100", "--import-seconds", "100")
IMPORTS = "/v2/{project_id}/datasets/{dataset_id}/import-tasks"
IMPORT = IMPORTS + "/{task_id}"
RAW_A, RAW_B = "/lab/raw/a/", "/lab/raw/b/"
LABELLED = "/lab/labelled/set.manifest"  # 10 files: cat, dog, cat, ...; the first two hard examples
TEXTS = "/lab/texts/"
OBS = [
    {"path": RAW_A, "files": 20},
    {"path": RAW_B, "files": 12},
    {"path": LABELLED, "files": 10, "labels": {"cat": 5, "dog": 5}, "hard": 2},
    {"path": TEXTS, "files": 5, "type": "text"},
    {"path": "/test-obs/daoLu_images/animals/", "files": 20},  # the doc examples' paths
    {
        "path": "/test-obs/classify/output/dataset-f9e8-gfghHSokody6AJigS5A/annotation/V002/V002.manifest",
        "files": 12,
        "labels": {"rabbits": 4, "bees": 4, "ants": 4},
    },
]
# One dataset per test: object detection, 20 samples of which 12 are labelled (6 cat, 6 dog), V001.
DATASETS = (
    "life",
    "examples",
    "labelled",
    "draft",
    "filters",
    "work",
    "invalid",
    "busy",
    "release",
    "nothing",
    "versioned",
    "copy",
    "again",
    "labels-only",
    "answers",
    "faults",
    "pages",
    "running",
    "failing",
    "inferred",
    "twice",
    "missing",
    "elsewhere",
)


def _seed(path: Path) -> Path:
    items: list[dict[str, Any]] = [
        {"name": name, "dataset_type": 1, "labels": ["cat", "dog"], "samples": 20, "labelled": {"cat": 6, "dog": 6}}
        for name in DATASETS
    ]
    for item in items:
        item["versions"] = [{}]
    items[DATASETS.index("examples")].update(dataset_type=0, labels=["rabbits", "bees"], labelled={})
    items.append({"name": "texts", "dataset_type": 100, "labels": ["a", "b"], "samples": 4})
    path.write_text(json.dumps({"datasets": items, "obs": OBS}), encoding="utf-8")
    return path


Lab = tuple[EmulatorProcess, httpx.Client]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _seed(tmp_path_factory.mktemp("imports") / "seed.json")


def _start(seed_file: Path, *flags: str) -> Iterator[Lab]:
    emulator = borrow_emulator(*SLOW, "--seed", str(seed_file), *flags)
    client = aksk_client(emulator)
    try:
        yield emulator, client
    finally:
        client.close()
        give_back(emulator)


@pytest.fixture(scope="module")
def lab(seeded: Path) -> Iterator[Lab]:
    yield from _start(seeded)


@pytest.fixture(scope="module")
def strict(seeded: Path) -> Iterator[Lab]:
    yield from _start(seeded, "--reading", "cloud-strict")


def _ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def _refused(response: httpx.Response, code: str, *words: str) -> str:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error_code"] == code, body
    for word in words:
        assert word in body["error_msg"], body
    return str(body["error_msg"])


def _create(client: httpx.Client, dataset: str, body: dict[str, Any]) -> str:
    answer = _ok(client.post(f"/datasets/{dataset}/import-tasks", json=body))
    assert list(answer) == ["task_id"]
    task_id: str = answer["task_id"]
    assert re.fullmatch(rf"{dataset}_[A-Za-z0-9]{{19}}", task_id)  # the doc examples' form
    return task_id


def _get(client: httpx.Client, dataset: str, task_id: str) -> dict[str, Any]:
    answer: dict[str, Any] = _ok(client.get(f"/datasets/{dataset}/import-tasks/{task_id}"))
    return answer


def _counts(client: httpx.Client, dataset: str) -> tuple[int, int, int]:
    answer = _ok(client.get(f"/datasets/{dataset}"))
    return answer["total_sample_count"], answer["annotated_sample_count"], answer["unconfirmed_sample_count"]


def _imported(lab: Lab, dataset: str, body: dict[str, Any]) -> dict[str, Any]:
    """Import and let it run to its end."""
    emulator, client = lab
    task_id = _create(client, dataset, body)
    emulator.advance_clock(101)
    return _get(client, dataset, task_id)


# --- the lifecycle ----------------------------------------------------------------------------------------


def test_status_over_the_virtual_clock_and_samples_added_at_the_end(lab: Lab) -> None:
    emulator, client = lab
    life = dataset_id(client, "life")
    emulator.reset_stats()
    task_id = _create(client, life, {"import_path": RAW_A, "import_type": "dir"})
    queued = _get(client, life, task_id)
    assert queued["status"] == "QUEUING" and queued["dataset_id"] == life and queued["task_id"] == task_id
    assert queued["import_path"] == RAW_A and queued["import_type"] == "dir"
    assert (queued["total_sample_count"], queued["imported_sample_count"], queued["finished_file_count"]) == (20, 0, 0)
    assert queued["total_file_count"] == 20 and queued["total_file_size"] > 20 * 10_000
    assert isinstance(queued["create_time"], int) and queued["create_time"] > 1_600_000_000_000
    emulator.advance_clock(6)
    assert _get(client, life, task_id)["status"] == "STARTING"
    emulator.advance_clock(44)
    running = _get(client, life, task_id)
    assert running["status"] == "RUNNING" and running["elapsed_time"] == 50
    assert 0 < running["finished_file_count"] < 20 and running["imported_sample_count"] == 0
    assert running["file_statistics"]["file_num_finished"] == running["finished_file_count"]
    assert running["update_ms"] > running["create_time"]
    assert _counts(client, life) == (20, 12, 0)  # nothing is added before the import completes
    emulator.advance_clock(51)
    done = _get(client, life, task_id)
    assert done["status"] == "COMPLETED" and done["elapsed_time"] == 100
    assert (done["imported_sample_count"], done["annotated_sample_count"], done["unconfirmed_sample_count"]) == (
        20,
        0,
        0,
    )
    assert done["finished_file_count"] == 20 and done["finished_file_size"] == done["total_file_size"]
    assert done["update_ms"] == done["create_time"] + 100_000
    assert done["file_statistics"] == {
        "file_num_total": 20,
        "file_num_finished": 20,
        "file_size_total": done["total_file_size"],
        "file_size_finished": done["total_file_size"],
    }
    assert _counts(client, life) == (40, 12, 0)
    listed = _ok(client.get(f"/datasets/{life}/import-tasks"))
    assert listed == {"total_count": 1, "import_tasks": [done]}
    requests = emulator.stats()["requests"]
    assert requests[f"POST {IMPORTS}"] == 1 and requests[f"GET {IMPORT}"] == 4 and requests[f"GET {IMPORTS}"] == 1


def test_the_doc_examples(lab: Lab) -> None:
    _, client = lab
    examples = dataset_id(client, "examples")
    from_obs = _imported(lab, examples, IMPORT_FROM_OBS)
    assert from_obs["status"] == "COMPLETED" and from_obs["imported_sample_count"] == 20
    for key, value in IMPORT_FROM_OBS.items():
        assert from_obs[key] == value, key  # echoed as sent (the lenient readings)
    from_manifest = _imported(lab, examples, IMPORT_FROM_MANIFEST)
    assert from_manifest["import_type"] == "manifest" and from_manifest["included_labels"] == [
        "rabbits",
        "bees",
        "Rabbits",
        "Bees",
    ]
    assert from_manifest["total_sample_count"] == from_manifest["imported_sample_count"] == 8  # no ants
    assert from_manifest["annotated_sample_count"] == 8
    assert _counts(client, examples) == (48, 8, 0)


def test_a_labelled_manifest_into_object_detection(lab: Lab) -> None:
    _, client = lab
    labelled, draft = dataset_id(client, "labelled"), dataset_id(client, "draft")
    done = _imported(lab, labelled, {"import_path": LABELLED})
    assert (done["imported_sample_count"], done["annotated_sample_count"]) == (10, 10)
    assert _counts(client, labelled) == (30, 22, 0)
    # final_annotation false: the labels arrive to be confirmed, as drawn boxes
    proposed = _imported(lab, draft, {"import_path": LABELLED, "final_annotation": False})
    assert (proposed["annotated_sample_count"], proposed["unconfirmed_sample_count"]) == (0, 10)
    assert _counts(client, draft) == (30, 12, 10)
    samples = _ok(client.get(f"/datasets/{draft}/auto-annotations/samples", params={"limit": 100}))["samples"]
    assert len(samples) == 10
    for sample in samples:
        [label] = sample["labels"]
        assert label["name"] in ("cat", "dog") and label["type"] == 1 and label["score"] == 1.0
        assert label["property"]["@modelarts:shape"] == "bndbox"


def test_hard_examples_and_label_filters_and_files_already_there(lab: Lab) -> None:
    _, client = lab
    filters = dataset_id(client, "filters")
    hard = _imported(lab, filters, {"import_path": LABELLED, "difficult_only": True})
    assert hard["total_sample_count"] == hard["imported_sample_count"] == 2
    dogs = _imported(lab, filters, {"import_path": LABELLED, "excluded_labels": [{"name": "cat"}]})
    assert dogs["total_sample_count"] == 5 and dogs["imported_sample_count"] == 4  # one dog came with the hard ones
    cats = _imported(lab, filters, {"import_path": LABELLED, "included_labels": [{"name": "cat"}, "rabbits"]})
    assert cats["total_sample_count"] == 5 and cats["imported_sample_count"] == 4
    assert _counts(client, filters) == (30, 22, 0)


def test_imported_samples_give_auto_labeling_work_and_count_in_the_next_version(lab: Lab) -> None:
    emulator, client = lab
    work = dataset_id(client, "work")
    assert _imported(lab, work, {"import_path": RAW_B})["imported_sample_count"] == 12
    _ok(client.post(f"/datasets/{work}/tasks", json={"task_type": "auto-label"}))
    emulator.advance_clock(101)
    proposals = _ok(client.get(f"/datasets/{work}/auto-annotations/samples", params={"limit": 100}))
    assert proposals["sample_count"] == 8 + 12  # the seeded unlabelled samples and the imported ones
    version_id = client.post(f"/datasets/{work}/versions", json={}).json()["version_id"]
    emulator.advance_clock(101)
    version = _ok(client.get(f"/datasets/{work}/versions/{version_id}"))
    assert (version["total_sample_count"], version["annotated_sample_count"]) == (32, 12)


def test_a_parent_folder_imports_its_sub_folders_and_files_already_there_are_skipped(lab: Lab) -> None:
    _, client = lab
    again = dataset_id(client, "again")
    assert _imported(lab, again, {"import_path": "s3://lab/raw/a"})["imported_sample_count"] == 20
    repeated = _imported(lab, again, {"import_path": RAW_A})
    assert repeated["status"] == "COMPLETED"
    assert (repeated["total_sample_count"], repeated["imported_sample_count"]) == (20, 0)
    both = _imported(lab, again, {"import_path": "obs://lab/raw/"})
    assert (both["total_sample_count"], both["imported_sample_count"]) == (32, 12)
    assert _counts(client, again) == (52, 12, 0)


def test_labels_only_onto_samples_already_imported(lab: Lab) -> None:
    _, client = lab
    target = dataset_id(client, "labels-only")
    bare = _imported(lab, target, {"import_path": LABELLED, "import_annotations": False})
    assert (bare["imported_sample_count"], bare["annotated_sample_count"]) == (10, 0)
    assert _counts(client, target) == (30, 12, 0)
    labels = _imported(lab, target, {"import_path": LABELLED, "import_samples": False})
    assert labels["imported_sample_count"] == 0
    assert _counts(client, target) == (30, 22, 0)


def test_a_released_versions_manifest_imports_its_samples_and_labels(lab: Lab) -> None:
    _, client = lab
    source, target = dataset_id(client, "versioned"), dataset_id(client, "copy")
    [v001] = _ok(client.get(f"/datasets/{source}/versions"))["versions"]
    done = _imported(lab, target, {"import_path": v001["manifest_path"], "import_type": "manifest"})
    assert (done["imported_sample_count"], done["annotated_sample_count"]) == (20, 12)
    assert _counts(client, target) == (40, 24, 0)


def test_text_files_into_a_text_dataset(lab: Lab) -> None:
    _, client = lab
    texts = dataset_id(client, "texts")
    assert _imported(lab, texts, {"import_path": TEXTS})["imported_sample_count"] == 5
    _refused(client.post(f"/datasets/{texts}/import-tasks", json={"import_path": RAW_A}), "ModelArts.4374", RAW_A)


# --- refusals ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "'import_path': is required"),
        ({"import_path": "lab/raw/a/"}, "'import_path': expected an OBS path"),
        ({"import_path": "http://lab/raw/a/"}, "'import_path'"),
        ({"import_path": "/"}, "'import_path'"),
        ({"import_path": 5}, "'import_path': expected a string"),
        ({"import_path": RAW_A, "import_type": "folder"}, "'import_type': expected one of 'dir', 'manifest'"),
        ({"import_path": RAW_A, "import_annotations": "yes"}, "'import_annotations': expected true or false"),
        ({"import_path": RAW_A, "final_annotation": 1}, "'final_annotation'"),
        ({"import_path": RAW_A, "import_folder": ""}, "'import_folder'"),
        ({"import_path": RAW_A, "included_labels": "cat"}, "'included_labels': expected a JSON array"),
        ({"import_path": RAW_A, "included_labels": [5]}, "'included_labels[0]': expected a Label object"),
        ({"import_path": RAW_A, "excluded_labels": [{"type": 1}]}, "'excluded_labels[0].name': is required"),
        ({"import_path": RAW_A, "import_origin": "dws"}, "'import_origin': the emulator imports from OBS only"),
        ({"import_path": RAW_A, "import_origin": "ftp"}, "'import_origin': expected one of"),
        ({"import_path": RAW_A, "data_source": {"data_type": 1}}, "'data_source.data_type'"),
        ({"import_path": RAW_A, "label_format": {"label_type": "2"}}, "'label_format.label_type'"),
        ({"import_path": RAW_A, "label_format": {"text_label_separator": ",,"}}, "'label_format.text_label_separator'"),
    ],
)
def test_malformed_requests_are_refused_naming_the_field(lab: Lab, body: dict[str, Any], field: str) -> None:
    _, client = lab
    invalid = dataset_id(client, "invalid")
    _refused(client.post(f"/datasets/{invalid}/import-tasks", json=body), "ModelArts.4396", field)
    assert _ok(client.get(f"/datasets/{invalid}/import-tasks"))["total_count"] == 0


def test_bodies_that_are_no_json_object_and_datasets_that_cannot_import_a_folder(lab: Lab) -> None:
    _, client = lab
    invalid = dataset_id(client, "invalid")
    assert client.post(f"/datasets/{invalid}/import-tasks", content=b"").json()["error_code"] == "ModelArts.4202"
    _refused(client.post(f"/datasets/{invalid}/import-tasks", content=b"[1]"), "ModelArts.4396", "JSON object")
    table = {
        "dataset_name": "imports-table",
        "dataset_type": 400,
        "data_sources": [{"data_type": 0, "data_path": "/lab/table/"}],
        "work_path": "/lab/table-out/",
        "work_path_type": 0,
    }
    created = client.post("/datasets", json=table).json()["dataset_id"]
    _refused(
        client.post(f"/datasets/{created}/import-tasks", json={"import_path": RAW_A}),
        "ModelArts.4396",
        "'import_type'",
        "not 400",
    )
    missing = client.post("/datasets/noSuchDataset000000/import-tasks", json={"import_path": RAW_A})
    assert missing.status_code == 400 and missing.json()["error_code"] == "ModelArts.4352"


def test_nothing_to_import_is_refused_at_the_post(lab: Lab) -> None:
    _, client = lab
    nothing = dataset_id(client, "nothing")
    for body in (
        {"import_path": "/lab/none/"},
        {"import_path": "/lab/none.manifest"},
        {"import_path": RAW_A, "import_type": "manifest"},
        {"import_path": LABELLED, "import_type": "dir"},
        {"import_path": TEXTS},  # text files into an image dataset
    ):
        _refused(client.post(f"/datasets/{nothing}/import-tasks", json=body), "ModelArts.4374", "Invalid path")
    assert _ok(client.get(f"/datasets/{nothing}/import-tasks"))["total_count"] == 0


def test_one_import_at_a_time_and_none_while_a_version_is_released(lab: Lab) -> None:
    emulator, client = lab
    busy, release = dataset_id(client, "busy"), dataset_id(client, "release")
    _create(client, busy, {"import_path": RAW_A})
    _refused(client.post(f"/datasets/{busy}/import-tasks", json={"import_path": RAW_B}), "ModelArts.4356", busy)
    assert client.post(f"/datasets/{release}/versions", json={}).status_code == 201
    _refused(client.post(f"/datasets/{release}/import-tasks", json={"import_path": RAW_B}), "ModelArts.4343")
    emulator.advance_clock(101)
    _create(client, busy, {"import_path": RAW_B})
    _create(client, release, {"import_path": RAW_B})


def test_a_missing_import_task_is_an_error(lab: Lab) -> None:
    _, client = lab
    missing, elsewhere = dataset_id(client, "missing"), dataset_id(client, "elsewhere")
    _refused(client.get(f"/datasets/{missing}/import-tasks/{missing}_noSuchTask000000000"), "ModelArts.4612")
    theirs = _create(client, elsewhere, {"import_path": RAW_B})
    _refused(client.get(f"/datasets/{missing}/import-tasks/{theirs}"), "ModelArts.4612", theirs)


# --- the list ------------------------------------------------------------------------------------------


def test_pages_newest_first_with_offset_a_page_index(lab: Lab) -> None:
    emulator, client = lab
    pages = dataset_id(client, "pages")
    created = []
    for path in (RAW_A, RAW_B, RAW_A, RAW_B, LABELLED):
        created.append(_create(client, pages, {"import_path": path}))
        emulator.advance_clock(101)
    seen = []
    for offset, size in ((0, 2), (1, 2), (2, 1), (3, 0)):
        page = _ok(client.get(f"/datasets/{pages}/import-tasks", params={"limit": 2, "offset": offset}))
        assert page["total_count"] == 5 and len(page["import_tasks"]) == size
        seen += [task["task_id"] for task in page["import_tasks"]]
    assert seen == created[::-1]
    assert len(_ok(client.get(f"/datasets/{pages}/import-tasks"))["import_tasks"]) == 5  # default limit 10
    for bad in ({"limit": 101}, {"limit": 0}, {"offset": -1}):
        _refused(client.get(f"/datasets/{pages}/import-tasks", params=bad), "ModelArts.4200", next(iter(bad)))


def test_a_running_import_shows_on_the_dataset(lab: Lab) -> None:
    emulator, client = lab
    running = dataset_id(client, "running")
    task_id = _create(client, running, {"import_path": RAW_A})
    answer = _ok(client.get(f"/datasets/{running}", params={"check_running_task": "true"}))
    assert answer["exist_running_task"] is True and answer["running_tasks_id"] == [task_id]
    assert _ok(client.get(f"/datasets/{running}", params={"check_running_task": "true", "running_task_type": 5}))[
        "running_tasks_id"
    ] == [task_id]
    emulator.advance_clock(101)
    assert _ok(client.get(f"/datasets/{running}", params={"check_running_task": "true"}))["exist_running_task"] is False


# --- the readings ---------------------------------------------------------------------------------------


ECHOED = {
    "import_path": RAW_A,
    "import_type": "dir",
    "import_annotations": False,
    "import_folder": "batch-a",
    "included_labels": [{"name": "cat"}],
    "data_source": {"data_type": 0, "data_path": "/lab/raw/"},
}


def test_lenient_answers_echo_the_request_as_sent(lab: Lab) -> None:
    _, client = lab
    answers = dataset_id(client, "answers")
    answer = _get(client, answers, _create(client, answers, ECHOED))
    assert {key: answer[key] for key in ECHOED} == ECHOED
    assert "progress" in answer and "final_annotation" not in answer  # not sent, no default echoed


def test_strict_answers_give_only_documented_fields_an_integer_type_and_an_obs_path(strict: Lab) -> None:
    emulator, client = strict
    answers = dataset_id(client, "answers")
    task_id = _create(client, answers, ECHOED)
    emulator.advance_clock(101)
    answer = _get(client, answers, task_id)
    assert answer["import_type"] == 0 and answer["import_path"] == "obs://lab/raw/a/"
    assert answer["data_source"] == ECHOED["data_source"]
    assert set(answer) <= DOCUMENTED and "import_folder" not in answer and "included_labels" not in answer
    assert _ok(client.get(f"/datasets/{answers}/import-tasks"))["import_tasks"] == [answer]
    manifest = _get(client, answers, _create(client, answers, {"import_path": LABELLED, "import_type": "manifest"}))
    assert manifest["import_type"] == 1


def test_strict_a_missing_import_task_is_a_200_with_status_not_exist(strict: Lab) -> None:
    _, client = strict
    answers = dataset_id(client, "answers")
    missing = f"{answers}_noSuchTask000000000"
    assert _get(client, answers, missing) == {"task_id": missing, "dataset_id": answers, "status": "NOT_EXIST"}
    assert client.get(f"/datasets/noSuchDataset000000/import-tasks/{missing}").json()["error_code"] == "ModelArts.4352"


def test_strict_label_names_are_refused_label_objects_taken(strict: Lab) -> None:
    _, client = strict
    examples = dataset_id(client, "examples")
    response = client.post(f"/datasets/{examples}/import-tasks", json=IMPORT_FROM_MANIFEST)
    _refused(response, "ModelArts.4396", "'included_labels[0]': expected a Label object")
    as_objects = dict(IMPORT_FROM_MANIFEST, included_labels=[{"name": "rabbits"}, {"name": "bees"}])
    assert _imported(strict, examples, as_objects)["annotated_sample_count"] == 8


def test_strict_nothing_to_import_fails_the_task(strict: Lab) -> None:
    emulator, client = strict
    failing = dataset_id(client, "failing")
    task_id = _create(client, failing, {"import_path": "/lab/none/"})
    assert _get(client, failing, task_id)["status"] == "QUEUING"
    emulator.advance_clock(6)
    assert _get(client, failing, task_id)["status"] == "STARTING"
    emulator.advance_clock(5)
    failed = _get(client, failing, task_id)
    assert failed["status"] == "FAILED" and failed["error_code"] == "ModelArts.4374"
    assert "Invalid path" in failed["error_msg"] and "/lab/none/" in failed["error_msg"]
    assert failed["imported_sample_count"] == 0 and failed["total_sample_count"] == 0
    assert _counts(client, failing) == (20, 12, 0)
    _create(client, failing, {"import_path": RAW_A})  # a failed import does not hold the dataset


def test_strict_an_import_without_a_type_is_a_directory_import(strict: Lab) -> None:
    _, client = strict
    inferred = dataset_id(client, "inferred")
    assert _imported(strict, inferred, {"import_path": LABELLED})["status"] == "FAILED"
    assert _imported(strict, inferred, {"import_path": LABELLED, "import_type": "manifest"})["status"] == "COMPLETED"


def test_lenient_an_import_without_a_type_follows_the_path(lab: Lab) -> None:
    _, client = lab
    inferred = dataset_id(client, "inferred")
    done = _imported(lab, inferred, {"import_path": LABELLED})
    assert done["import_type"] == "manifest" and done["imported_sample_count"] == 10


def test_strict_a_second_import_of_the_same_files_duplicates_them_unless_in_the_same_folder(strict: Lab) -> None:
    _, client = strict
    twice = dataset_id(client, "twice")
    for _ in range(2):
        assert _imported(strict, twice, {"import_path": RAW_B})["imported_sample_count"] == 12
    assert _imported(strict, twice, {"import_path": RAW_B, "import_folder": "b"})["imported_sample_count"] == 12
    assert _imported(strict, twice, {"import_path": RAW_B, "import_folder": "b"})["imported_sample_count"] == 0
    assert _counts(client, twice) == (56, 12, 0)


def test_strict_lifecycle_shows_the_dataset_importing(strict: Lab) -> None:
    emulator, client = strict
    running = dataset_id(client, "running")
    _create(client, running, {"import_path": RAW_A})
    assert _ok(client.get(f"/datasets/{running}"))["status"] == 8
    emulator.advance_clock(101)
    assert _ok(client.get(f"/datasets/{running}"))["status"] == 1


def test_single_flags_echo_defaults_and_404(seeded: Path, emulator_factory: Callable[..., EmulatorProcess]) -> None:
    emulator = emulator_factory("--seed", str(seeded), "--echo-defaults", "yes", "--missing-task-status", "404")
    with aksk_client(emulator) as client:
        life = dataset_id(client, "life")
        answer = _get(client, life, _create(client, life, {"import_path": RAW_A, "final_annotation": False}))
        assert answer["final_annotation"] is False  # as sent
        assert answer["import_annotations"] is True and answer["import_origin"] == "obs"  # server defaults
        assert answer["import_type"] == "dir" and answer["import_path"] == RAW_A
        gone = client.get(f"/datasets/{life}/import-tasks/{life}_noSuchTask000000000")
        assert gone.status_code == 404 and gone.json()["error_code"] == "ModelArts.4612"


# --- faults, persistence, the demo and seed files --------------------------------------------------------


def test_faults_apply_to_the_import_routes(lab: Lab) -> None:
    emulator, client = lab
    faults = dataset_id(client, "faults")
    emulator.reset_stats()
    try:
        emulator.set_faults([{"action": "drop_after_commit", "method": "POST", "route": IMPORTS, "times": 1}])
        with pytest.raises(httpx.TransportError):
            client.post(f"/datasets/{faults}/import-tasks", json={"import_path": RAW_A})
        emulator.set_faults(
            [
                {"action": "error", "method": "GET", "route": IMPORTS, "times": 1, "status": 503},
                {"action": "throttle", "method": "GET", "route": IMPORT, "times": 1, "retry_after": 3},
            ]
        )
        assert client.get(f"/datasets/{faults}/import-tasks").status_code == 503
        [task] = _ok(client.get(f"/datasets/{faults}/import-tasks"))["import_tasks"]  # the POST was committed
        throttled = client.get(f"/datasets/{faults}/import-tasks/{task['task_id']}")
        assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "3"
        assert _get(client, faults, task["task_id"])["status"] == "QUEUING"
    finally:
        emulator.clear_faults()
    requests = emulator.stats()["requests"]
    assert (requests[f"POST {IMPORTS}"], requests[f"GET {IMPORTS}"], requests[f"GET {IMPORT}"]) == (1, 2, 2)


def test_import_tasks_and_their_samples_survive_kill_9(
    tmp_path: Path, emulator_factory: Callable[..., EmulatorProcess]
) -> None:
    db = str(tmp_path / "emulator.db")
    first = emulator_factory("--seed", "demo", "--db", db, "--import-seconds", "100")
    with aksk_client(first) as http:
        pets = dataset_id(http, PETS)
        task_id = _create(http, pets, {"import_path": "/demo-bucket/pets-detection/raw/batch-01/"})
    first.advance_clock(50)
    first.kill()

    second = emulator_factory("--seed", "demo", "--db", db, "--import-seconds", "100")
    with aksk_client(second) as http:
        assert _get(http, pets, task_id)["status"] == "RUNNING"
        assert _counts(http, pets) == (80, 30, 0)
        second.advance_clock(51)
        done = _get(http, pets, task_id)
        assert done["status"] == "COMPLETED" and done["imported_sample_count"] == 20
        assert _counts(http, pets) == (100, 30, 0)
    second.stop()

    third = emulator_factory("--seed", "demo", "--db", db)
    with aksk_client(third) as http:
        assert _ok(http.get(f"/datasets/{pets}/import-tasks"))["import_tasks"] == [done]
        assert _counts(http, pets) == (100, 30, 0)  # the samples were added exactly once
        again = _create(http, pets, {"import_path": "/demo-bucket/pets-detection/raw/"})  # seeded OBS, once
        assert _get(http, pets, again)["total_sample_count"] == 32


def test_the_demo_seed_has_raw_batches_and_a_labelled_manifest_for_pets(
    emulator_factory: Callable[..., EmulatorProcess],
) -> None:
    emulator = emulator_factory("--seed", "demo", "--import-seconds", "100")
    with aksk_client(emulator) as http:
        pets = dataset_id(http, PETS)
        first = _create(http, pets, {"import_path": "/demo-bucket/pets-detection/raw/batch-01/", "import_type": "dir"})
        assert _get(http, pets, first)["total_sample_count"] == 20
        emulator.advance_clock(101)
        second = _create(http, pets, {"import_path": "/demo-bucket/pets-detection/raw/batch-02/", "import_type": "dir"})
        assert _get(http, pets, second)["total_sample_count"] == 12
        emulator.advance_clock(101)
        path = "/demo-bucket/pets-detection/labelled/batch-01.manifest"
        labelled = _create(http, pets, {"import_path": path, "import_type": "manifest"})
        emulator.advance_clock(101)
        assert _get(http, pets, labelled)["annotated_sample_count"] == 10
        assert _counts(http, pets) == (80 + 20 + 12 + 10, 30 + 10, 0)


@pytest.mark.parametrize(
    ("obs", "message"),
    [
        ({"path": "/b/in/"}, None),
        ("/b/in/", "expected an object with a string 'path'"),
        ({"path": "b/in/"}, "'path' must be an OBS folder"),
        ({"path": "/b/in"}, "'path' must be an OBS folder"),
        ({"path": "/b/"}, None),
        ({"path": "/bucket"}, "'path' must be an OBS folder"),
        ({"path": "/b/in/", "files": -1}, "'files' must be a non-negative integer"),
        ({"path": "/b/in/", "type": "video"}, "'type' must be one of image, text, audio"),
        ({"path": "/b/in/", "labels": {"cat": 1}, "files": 2}, "'labels' and 'hard' are for manifests only"),
        (
            {"path": "/b/m.manifest", "labels": {"cat": 3}, "files": 2},
            "'labels' and 'hard' must not count more than 'files' (2)",
        ),
        ({"path": "/b/m.manifest", "labels": ["cat"], "files": 2}, "'labels' must be an object"),
        ({"path": "/b/m.manifest", "hard": True, "files": 2}, "'hard' must be a non-negative integer"),
    ],
)
def test_seed_file_obs_entries_are_checked(obs: Any, message: str | None) -> None:
    data = {"datasets": [], "obs": [obs]}
    if message is None:
        seed.check(data, "seed.json")
        return
    with pytest.raises(seed.SeedError, match=re.escape(f"seed.json: obs[0]: {message}")):
        seed.check(data, "seed.json")
