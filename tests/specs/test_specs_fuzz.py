"""Property tests: the loader only ever returns a SpecSet or raises SpecError."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pulumi_modelarts.schema import TYPE_TOKENS
from pulumi_modelarts.specs import SpecError, SpecProblem, SpecSet, format_problems, load_specs
from support.properties import json_like

TOKENS = [
    "resources:", "type:", "properties:", "options:", "dependsOn:", "name:", "  ", "    ", "- ", "\n", "\n  ",
    "\n    ", "\n      ", ": ", "[", "]", "{", "}", ",", '"', "'", "#", "---\n", "&a ", "*a", "!!str ", "!x ",
    "<<: ", "? ", "|\n", ">\n", "${a.b}", "$${", "${", "}", "modelarts:ExportTask",
    "modelarts:IntelligentTask",
    "dataset_id: d", "task_type: auto-label", "path: /b/", "selector: latest", "a", "b", "1", "1.5",
    "null", "true", "\t", "%YAML 1.1\n", "~", "\u00e9", "\x00",
]  # fmt: skip


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as directory:
        yield Path(directory)


def load_text(directory: Path, text: str) -> SpecSet | list[SpecProblem]:
    file = directory / "fuzz.yaml"
    file.write_text(text, encoding="utf-8")
    try:
        return load_specs([file])
    except SpecError as error:
        assert error.problems
        for problem in error.problems:
            assert problem.file == str(file)
            assert problem.line is None or problem.line >= 1
            assert problem.column is None or problem.column >= 1
            assert problem.message
        format_problems(error.problems, "github")
        format_problems(error.problems, "json")
        return error.problems


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pieces=st.lists(st.sampled_from(TOKENS), max_size=40))
def test_yaml_ish_text(workdir: Path, pieces: list[str]) -> None:
    load_text(workdir, "".join(pieces))


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=200))
def test_arbitrary_text(workdir: Path, text: str) -> None:
    load_text(workdir, text)


names = st.sampled_from(["a", "b", "cand", "label", "x-1", "9bad", "", "a.b"])
leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 10),
    st.sampled_from([1.5, 3.0, 0.8]),
    st.sampled_from(["${a.version_id}", "${b.task_id}", "x-${cand.status}", "${a}", "$${a.b}", "${zzz.q}", "/b/"]),
    st.text(max_size=6),
)
property_keys = st.sampled_from(
    ["dataset_id", "dataset_name", "task_type", "path", "selector", "version_id", "version_name", "config",
     "export_params", "release", "accept", "wait", "n_clusters", "junk"]
)  # fmt: skip
property_values = json_like(leaf, property_keys, depth=3, max_list=3, max_dict=4)
resource = st.fixed_dictionaries(
    {},
    optional={
        "type": st.one_of(st.sampled_from(list(TYPE_TOKENS)), st.sampled_from(["modelarts:Nope", 3])),
        "properties": st.one_of(st.dictionaries(property_keys, property_values, max_size=6), leaf),
        "options": st.one_of(
            st.fixed_dictionaries(
                {},
                optional={
                    "dependsOn": st.one_of(st.lists(names, max_size=3), leaf),
                    "protect": leaf,
                    "wait": leaf,
                    "timeoutSeconds": leaf,
                    "bogus": leaf,
                },
            ),
            leaf,
        ),
        "extra": leaf,
    },
)
document = st.one_of(
    st.fixed_dictionaries(
        {"resources": st.one_of(st.dictionaries(names, st.one_of(resource, leaf), max_size=5), leaf)},
        optional={"name": leaf, "description": leaf, "other": leaf},
    ),
    leaf,
    st.lists(leaf, max_size=2),
)


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(documents=st.lists(document, min_size=1, max_size=3))
def test_structured_documents(workdir: Path, documents: list[Any]) -> None:
    text = yaml.safe_dump_all(documents, sort_keys=False)
    result = load_text(workdir, text)
    if isinstance(result, SpecSet):
        assert sorted(result.order) == sorted(result.resources)
