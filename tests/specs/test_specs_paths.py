"""Which files a spec path stands for: recursion, skipped files, stable order, and paths that name nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from pulumi_modelarts.specs import SpecError, load_specs
from support import cli

SPEC = """resources:
  {name}:
    type: modelarts:DatasetVersionRef
    properties: {{dataset_name: flowers, selector: latest}}
"""


def write(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(*paths: Path) -> list[str]:
    with pytest.raises(SpecError) as caught:
        load_specs(list(paths))
    return [str(problem) for problem in caught.value.problems]


def test_sub_directories_are_read_recursively_in_relative_path_order(tmp_path: Path) -> None:
    for relative, name in [
        ("z.yaml", "z"),
        ("b/inner/deep.yml", "deep"),
        ("a.yaml", "a"),
        ("b/b1.yaml", "b1"),
        ("b.yaml", "btop"),
    ]:
        write(tmp_path, relative, SPEC.format(name=name))
    spec_set = load_specs([tmp_path])
    assert [path.relative_to(tmp_path).as_posix() for path in spec_set.files] == [
        "a.yaml",
        "b/b1.yaml",
        "b/inner/deep.yml",
        "b.yaml",
        "z.yaml",
    ]
    assert list(spec_set.resources) == ["a", "b1", "deep", "btop", "z"]


@pytest.mark.parametrize(
    "relative",
    [
        "Pulumi.yaml",  # the Pulumi project file beside the specs
        "Pulumi.dev.yaml",  # a stack file
        "sub/Pulumi.yaml",
        "sub/Pulumi.prod.yml",
        ".pre-commit-config.yaml",  # hidden files
        ".github/workflows/ci.yaml",  # hidden folders
        "sub/.hidden/x.yaml",
        "notes.json",  # not YAML
        "sub/readme.txt",
    ],
)
def test_files_that_are_not_specs_are_skipped(tmp_path: Path, relative: str) -> None:
    write(tmp_path, relative, "name: not-a-spec\nruntime: python\nconfig: {a: 1}\n")
    write(tmp_path, "specs/promote.yaml", SPEC.format(name="ref"))
    spec_set = load_specs([tmp_path])
    assert [path.relative_to(tmp_path).as_posix() for path in spec_set.files] == ["specs/promote.yaml"]


def test_a_file_named_explicitly_is_read_whatever_its_name(tmp_path: Path) -> None:
    hidden = write(tmp_path, ".special.yaml", SPEC.format(name="hidden"))
    assert list(load_specs([hidden]).resources) == ["hidden"]


@pytest.mark.parametrize(
    ("layout", "given", "message"),
    [
        ({}, "missing", "no such file or directory"),
        ({}, "", "no spec files (*.yaml, *.yml) in this directory or below it"),
        ({"notes.txt": "x", "Pulumi.yaml": "name: p\n", ".hidden/a.yaml": "resources: {}\n"}, "", "no spec files"),
    ],
    ids=["missing-path", "empty-directory", "directory-without-specs"],
)
def test_paths_that_name_no_spec_file_are_errors(
    tmp_path: Path, layout: dict[str, str], given: str, message: str
) -> None:
    for relative, text in layout.items():
        write(tmp_path, relative, text)
    target = tmp_path / given if given else tmp_path
    (problem,) = problems_of(target)
    assert problem.startswith(f"{target}: {message}")


def test_a_tab_in_the_indentation_is_named_as_such(tmp_path: Path) -> None:
    file = write(tmp_path, "tabs.yaml", "resources:\n  x:\n    type: modelarts:ExportTask\n\tproperties: {}\n")
    assert problems_of(file) == [
        f"{file}:4:1: invalid YAML: a tab character; YAML does not allow tabs for indentation, use spaces"
    ]
    file.write_text("resources:\n\tx: {}\n", encoding="utf-8")
    assert problems_of(file) == [
        f"{file}:2:1: invalid YAML: a tab character; YAML does not allow tabs for indentation, use spaces"
    ]


@pytest.mark.parametrize("command", ["validate", "plan", "apply"])
def test_cli_exits_1_with_one_line_when_a_path_names_no_spec(tmp_path: Path, command: str) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = cli.run(command, str(empty), str(tmp_path / "nope"))
    assert result.returncode == 1
    lines = (result.stdout + result.stderr).strip().splitlines()
    assert lines[:2] == [
        f"{empty}: no spec files (*.yaml, *.yml) in this directory or below it",
        f"{tmp_path / 'nope'}: no such file or directory",
    ]
    # plan and apply close with the one summary line they give for any invalid specs
    assert lines[2:] == ([] if command == "validate" else ["error: the specs are not valid (2 problems)"])
    assert "Traceback" not in result.stderr
