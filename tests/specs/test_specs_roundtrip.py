"""Property tests on generated spec files: valid ones load as written and survive a round trip through
YAML; the same files, damaged, only ever give the project's own SpecError."""

from __future__ import annotations

import json
import string
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pulumi_modelarts.specs import SpecError, SpecSet, load_specs

DATASETS = st.sampled_from(["flowers", "pets-detection", "support_tickets", "ds01"])
# [a-z][a-z0-9-]{0,12}, drawn as two parts: st.from_regex costs several times as much per draw
WORDS = st.builds(
    str.__add__,
    st.sampled_from(string.ascii_lowercase),
    st.text(string.ascii_lowercase + string.digits + "-", max_size=12),
)


# Built once: a strategy made inside a draw is made (and checked) again for every example.
KINDS = st.sampled_from(["version", "export", "task"])
OPTIONS = st.fixed_dictionaries(
    {},
    optional={
        "protect": st.booleans(),
        "retainOnDelete": st.booleans(),
        "wait": st.booleans(),
        "timeoutSeconds": st.integers(1, 86400),
    },
)
SELECTORS = st.one_of(
    st.just({"selector": "latest"}),
    st.just({"selector": "current"}),
    st.builds(lambda name: {"version_name": name}, WORDS),
)
EXPORT_TYPES = st.integers(0, 3)
CLUSTERS = st.integers(2, 9)
FILES = st.integers(1, 3)
RESOURCES_PER_FILE = st.integers(0, 6)


@st.composite
def resource(draw: st.DrawFn, earlier_refs: list[str]) -> dict[str, Any]:
    """One valid resource; it may refer to a version reference declared before it (never to a later one)."""
    kind = draw(KINDS)
    ref = draw(st.sampled_from(earlier_refs)) if earlier_refs and draw(st.booleans()) else None
    options: dict[str, Any] = draw(OPTIONS)
    if kind == "version":
        properties: dict[str, Any] = {"dataset_name": draw(DATASETS)}
        properties.update(draw(SELECTORS))
        return {"type": "modelarts:DatasetVersionRef", "properties": properties, "options": options}
    if kind == "export":
        properties = {
            "path": f"/bucket/{draw(WORDS)}/" + (f"${{{ref}.version_name}}/" if ref else ""),
            "export_type": draw(EXPORT_TYPES),
            "export_params": {"export_dest": "DIR"},
        }
        if ref and draw(st.booleans()):
            properties["dataset_id"] = f"${{{ref}.dataset_id}}"
            properties["version_id"] = f"${{{ref}.version_id}}"
        else:
            properties["dataset_name"] = draw(DATASETS)
        return {"type": "modelarts:ExportTask", "properties": properties, "options": options}
    properties = {
        "dataset_name": draw(DATASETS),
        "task_type": "auto-grouping",
        "config": {"n_clusters": str(draw(CLUSTERS)), "ambiguity": draw(st.booleans())},
    }
    if ref:
        options["dependsOn"] = [ref]
    return {"type": "modelarts:IntelligentTask", "properties": properties, "options": options}


@st.composite
def spec_files(draw: st.DrawFn) -> list[dict[str, dict[str, Any]]]:
    """Up to three files of resources with unique names; references point backwards, so there is no cycle."""
    files: list[dict[str, dict[str, Any]]] = []
    refs: list[str] = []
    used: set[str] = set()
    requests: set[str] = set()
    for _ in range(draw(FILES)):
        resources: dict[str, dict[str, Any]] = {}
        for _ in range(draw(RESOURCES_PER_FILE)):
            name = draw(WORDS.filter(lambda word: word not in used))
            body = draw(resource(list(refs)))
            request = json.dumps([body["type"], body["properties"]], sort_keys=True)
            if request in requests:  # two resources making one request are refused by validate, rightly
                continue
            used.add(name)
            requests.add(request)
            if not body["options"]:
                del body["options"]
            resources[name] = body
            if body["type"] == "modelarts:DatasetVersionRef":
                refs.append(name)
        files.append(resources)
    return files


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as directory:
        yield Path(directory)


def write(directory: Path, files: list[dict[str, dict[str, Any]]]) -> list[Path]:
    for old in directory.glob("*.yaml"):
        old.unlink()
    paths = []
    for index, resources in enumerate(files):
        path = directory / f"{index:02d}.yaml"
        path.write_text(yaml.safe_dump({"resources": resources}, sort_keys=False), encoding="utf-8")
        paths.append(path)
    return paths


def as_written(spec_set: SpecSet) -> list[dict[str, dict[str, Any]]]:
    """The loaded resources, written back as spec files (one per file they came from)."""
    files: dict[str, dict[str, dict[str, Any]]] = {str(path): {} for path in spec_set.files}
    for name, declared in spec_set.resources.items():
        options = {
            key: value
            for key, value in {
                "dependsOn": list(declared.options.depends_on) or None,
                "protect": declared.options.protect,
                "retainOnDelete": declared.options.retain_on_delete,
                "wait": declared.options.wait,
                "timeoutSeconds": declared.options.timeout_seconds,
            }.items()
            if value is not None
        }
        body: dict[str, Any] = {"type": declared.type_token, "properties": declared.properties}
        if options:
            body["options"] = options
        files[declared.location.file][name] = body
    return list(files.values())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(files=spec_files())
def test_valid_specs_load_as_written_and_round_trip(workdir: Path, files: list[dict[str, dict[str, Any]]]) -> None:
    if not any(files):
        files[0]["only"] = {"type": "modelarts:DatasetVersionRef", "properties": {"dataset_name": "flowers"}}
        files[0]["only"]["properties"]["selector"] = "latest"
    write(workdir, files)
    spec_set = load_specs([workdir])

    assert as_written(spec_set) == files
    position = {name: index for index, name in enumerate(spec_set.order)}
    assert sorted(position) == sorted(spec_set.resources)
    for name, declared in spec_set.resources.items():
        referred = {reference.resource for reference in declared.references}
        assert referred | set(declared.options.depends_on) == declared.dependencies
        assert all(position[needed] < position[name] for needed in declared.dependencies)

    again = load_specs(write(workdir, as_written(spec_set)))
    assert as_written(again) == files and again.order == spec_set.order


DAMAGE = st.sampled_from(["\t", " ", ":", "-", "${", "}", "'", "\n", "#", "[", "&a", "*a", "\u00e9", "7"])


@pytest.mark.slow
@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(files=spec_files(), cuts=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 3), DAMAGE), min_size=1, max_size=4))
def test_damaged_specs_only_give_spec_errors(
    workdir: Path, files: list[dict[str, dict[str, Any]]], cuts: list[tuple[float, int, str]]
) -> None:
    (path, *_) = write(workdir, files)
    text = path.read_text(encoding="utf-8")
    for where, removed, inserted in cuts:
        at = int(where * len(text))
        text = text[:at] + inserted + text[at + removed :]
    path.write_text(text, encoding="utf-8")
    try:
        load_specs([workdir])
    except SpecError as error:
        assert error.problems and all(problem.message for problem in error.problems)
