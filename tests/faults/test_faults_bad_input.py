"""Bad input never crashes anything: near-valid specs (a valid resource with one part broken) only ever
produce clean problems from `validate`; the providers' ``check`` returns failures and never raises;
near-valid create bodies never make the emulator answer 500.

The generators start from valid documents and break one thing at a time, so that the examples get past
the first checks; tests/specs, tests/schema and tests/emulator fuzz with unstructured garbage.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pulumi_modelarts.api.auth import AkSkAuth
from pulumi_modelarts.cli.main import main as cli_main
from pulumi_modelarts.resources import DatasetVersionRefProvider, ExportTaskProvider, IntelligentTaskProvider
from pulumi_modelarts.specs import SpecError, load_specs
from support.emulator_process import EmulatorProcess, borrow_emulator, give_back
from support.faultkit import SENTINEL_AK, SENTINEL_SK, Transcript
from support.properties import json_like

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(
        ["${other.dataset_id}", "${valid.version_id}", "${", "$${x}", "${a.b.c}", "${valid.nope}", "/b/", "", "1.5"]
    )
)
values = json_like(scalars, st.text(max_size=8), depth=2, max_list=3, max_dict=3)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every key path into a JSON-like value (dict keys and list indexes)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*prefix, key)
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield (*prefix, index)
            yield from _paths(item, (*prefix, index))


@st.composite
def broken(draw: st.DrawFn, valid: Any) -> Any:
    """``valid`` with one part replaced, removed, or joined by an unknown key."""
    document = copy.deepcopy(valid)
    paths = list(_paths(document))
    path = draw(st.sampled_from(paths))
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    action = draw(st.sampled_from(["replace", "remove", "add"]))
    if action == "replace":
        parent[path[-1]] = draw(values)
    elif action == "remove":
        del parent[path[-1]]
    elif isinstance(parent, dict):
        parent[draw(st.text(min_size=1, max_size=12))] = draw(values)
    else:
        parent.append(draw(values))
    return document


# --- specs through `validate` -----------------------------------------------------------------------

VALID_SPEC: dict[str, Any] = {
    "resources": {
        "valid": {
            "type": "modelarts:DatasetVersionRef",
            "properties": {
                "dataset_name": "flowers",
                "version_name": "V009",
                "release": {"description": "nightly", "train_evaluate_sample_ratio": "0.8"},
                "requirements": {"min_annotated_samples": 10, "min_annotated_ratio": 0.3},
            },
            "options": {"timeoutSeconds": 600, "wait": True},
        },
        "task": {
            "type": "modelarts:IntelligentTask",
            "properties": {
                "dataset_id": "${valid.dataset_id}",
                "task_type": "auto-label",
                "config": {"algorithm_type": "fast", "name": "my-task"},
                "accept": {"min_score": 0.5, "labels": ["a", "b"]},
            },
            "options": {"dependsOn": ["valid"]},
        },
        "other": {
            "type": "modelarts:ExportTask",
            "properties": {
                "dataset_name": "flowers",
                "version_id": "${valid.version_id}",
                "path": "/bucket/export/${valid.version_name}/",
                "export_type": 3,
                "export_params": {
                    "export_dest": "NEW_DATASET",
                    "export_new_dataset_name": "copy-${valid.version_name}",
                    "export_new_dataset_work_path": "/bucket/copy/",
                    "search_conditions": [{"hard": "1", "label_list": {"labels": [{"name": "a", "op": "OR"}]}}],
                },
            },
        },
    }
}


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as directory:
        yield Path(directory)


def test_the_base_spec_is_valid(workdir: Path) -> None:
    file = workdir / "base.yaml"
    file.write_text(yaml.safe_dump(VALID_SPEC), encoding="utf-8")
    assert len(load_specs([file])) == 3


@pytest.mark.slow
@SETTINGS
@given(document=broken(VALID_SPEC), output=st.sampled_from(["text", "json", "github"]))
def test_validate_reports_broken_specs_cleanly(workdir: Path, document: Any, output: str) -> None:
    file = workdir / "broken.yaml"
    file.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    try:
        load_specs([file])
    except SpecError as error:
        assert error.problems and all(problem.message for problem in error.problems)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
        code = cli_main(["validate", str(file), "--format", output])
    assert code in (0, 1)
    text = printed.getvalue()
    assert "Traceback" not in text
    if code == 1:
        assert text.strip()
        if output == "json":
            assert json.loads(text)


# --- the providers' check ---------------------------------------------------------------------------

VALID_PROPS: dict[type[Any], dict[str, Any]] = {
    IntelligentTaskProvider: {
        "resource_name": "task",
        "dataset_name": "flowers",
        "task_type": "auto-label",
        "collect_key_sample": True,
        "config": {"algorithm_type": "fast", "n_clusters": "3"},
        "accept": {"min_score": 0.5, "skip_hard": True, "labels": ["a"]},
        "timeout_seconds": 60.0,
        "wait": True,
    },
    ExportTaskProvider: {
        "resource_name": "export",
        "dataset_id": "ds-1",
        "version_id": "v-1",
        "path": "/bucket/x/",
        "export_type": 3.0,
        "export_format": 1,
        "export_params": {"export_dest": "DIR", "sample_state": "", "search_conditions": [{"hard": "1"}]},
    },
    DatasetVersionRefProvider: {
        "resource_name": "ref",
        "dataset_name": "flowers",
        "version_name": "V002",
        "release": {"description": "x", "train_evaluate_sample_ratio": 0.8},
        "requirements": {"status": "ready", "min_annotated_samples": 40.0, "min_annotated_ratio": 0.3},
    },
}


@pytest.mark.parametrize("provider", list(VALID_PROPS), ids=lambda cls: cls.__name__)
def test_check_accepts_the_base_props(provider: type[Any]) -> None:
    result = provider().check({}, copy.deepcopy(VALID_PROPS[provider]))
    assert list(result.failures or []) == []


@SETTINGS
@given(data=st.data())
def test_check_returns_failures_and_never_raises(data: st.DataObject) -> None:
    provider = data.draw(st.sampled_from(list(VALID_PROPS)))
    props = data.draw(broken(VALID_PROPS[provider]) | st.dictionaries(st.text(max_size=12), values, max_size=5))
    result = provider().check({}, props)
    for failure in result.failures or []:
        assert isinstance(failure.property, str) and isinstance(failure.reason, str) and failure.reason
    assert isinstance(result.inputs, dict)


# --- create bodies against the emulator -------------------------------------------------------------

CREATES: dict[str, tuple[str, str, dict[str, Any]]] = {
    "dataset": (
        "POST",
        "/datasets",
        {
            "dataset_name": "fuzz-ds",
            "dataset_type": 0,
            "data_sources": [{"data_type": 0, "data_path": "/bucket/fuzz/in/"}],
            "work_path": "/bucket/fuzz/out/",
            "work_path_type": 0,
            "labels": [{"name": "a", "type": 0}, {"name": "b", "type": 0}],
        },
    ),
    "task": ("POST", "/datasets/{dataset_id}/tasks", {"task_type": "auto-grouping", "config": {"n_clusters": "3"}}),
    "export": (
        "POST",
        "/datasets/{dataset_id}/export-tasks",
        {"path": "/bucket/x/", "export_type": 0, "export_params": {"export_dest": "DIR", "sample_state": ""}},
    ),
    "version": (
        "POST",
        "/datasets/{dataset_id}/versions",
        {"version_name": "fuzz", "description": "d", "train_evaluate_sample_ratio": "0.8"},
    ),
    "dataset update": ("PUT", "/datasets/{dataset_id}", {"description": "d", "add_labels": [{"name": "c"}]}),
}


@pytest.fixture(scope="module")
def fuzz_target() -> Iterator[tuple[EmulatorProcess, httpx.Client, str]]:
    """One emulator for the module (hypothesis calls the test many times), signed with the product's AK/SK."""
    emulator = borrow_emulator(
        "--admin", "--seed", "demo", "--access-key", SENTINEL_AK, "--secret-key", SENTINEL_SK, "--task-seconds", "0.1"
    )
    auth = AkSkAuth(SENTINEL_AK, SENTINEL_SK, project_id=emulator.project_id)
    http = httpx.Client(base_url=f"{emulator.url}/v2/{emulator.project_id}", auth=auth, timeout=10)
    flowers = next(d for d in http.get("/datasets").json()["datasets"] if d["dataset_name"] == "flowers")
    yield emulator, http, flowers["dataset_id"]
    http.close()
    give_back(emulator)


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_near_valid_create_bodies_never_get_a_500(
    fuzz_target: tuple[EmulatorProcess, httpx.Client, str], transcript: Transcript, data: st.DataObject
) -> None:
    emulator, http, dataset_id = fuzz_target
    method, route, valid = CREATES[data.draw(st.sampled_from(list(CREATES)))]
    body = data.draw(broken(valid).map(lambda value: json.dumps(value).encode()) | st.binary(max_size=64))
    response = http.request(method, route.format(dataset_id=dataset_id), content=body)
    transcript.add("emulator answer", response.text)
    assert emulator.process.poll() is None, "the emulator died"
    if response.status_code == 501:  # the documented "already running" answers
        assert response.json()["error_code"] in ("ModelArts.4386", "ModelArts.4387")
        return
    assert response.status_code < 500, (method, route, body[:300], response.text)
    if response.status_code >= 400:
        assert {"error_code", "error_msg"} <= set(response.json()), response.text
    else:
        assert response.json(), "a success answer carries the new id"
