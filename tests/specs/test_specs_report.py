"""format_problems: text, JSON and GitHub Actions annotations."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pulumi_modelarts.specs import SpecError, SpecProblem, format_problems, load_specs

BROKEN = Path(__file__).parent / "broken"

PROBLEMS = [
    SpecProblem(
        "specs/promote.yaml",
        12,
        7,
        "export-prod",
        "export_params.export_dest",
        "must be one of 'DIR', 'NEW_DATASET' (got 'NEW')",
    ),
    SpecProblem("specs/a,b:c.yaml", 3, 1, None, None, "100% wrong\r\nsecond line"),
    SpecProblem("specs/missing.yaml", None, None, None, None, "no such file or directory"),
    SpecProblem("specs/x.yaml", 2, 3, "cand", None, "duplicate resource name 'cand'"),
]

ANNOTATION = re.compile(
    r"^::error file=(?P<file>[^,:]+)(,line=(?P<line>\d+),col=(?P<col>\d+))?,"
    r"title=modelarts spec::(?P<message>[^\r\n]*)$"
)


def test_text() -> None:
    assert format_problems(PROBLEMS).splitlines()[0] == (
        "specs/promote.yaml:12:7: resource 'export-prod', property export_params.export_dest: "
        "must be one of 'DIR', 'NEW_DATASET' (got 'NEW')"
    )
    assert format_problems(PROBLEMS[2:], "text") == (
        "specs/missing.yaml: no such file or directory\nspecs/x.yaml:2:3: resource 'cand': duplicate "
        "resource name 'cand'"
    )
    assert format_problems([]) == ""


def test_json_parses_back() -> None:
    data = json.loads(format_problems(PROBLEMS, "json"))
    assert data[0] == {
        "file": "specs/promote.yaml",
        "line": 12,
        "column": 7,
        "resource": "export-prod",
        "path": "export_params.export_dest",
        "message": "must be one of 'DIR', 'NEW_DATASET' (got 'NEW')",
    }
    assert data[2]["line"] is None
    assert [SpecProblem(**item) for item in data] == PROBLEMS


def test_github_annotations() -> None:
    lines = format_problems(PROBLEMS, "github").splitlines()
    assert len(lines) == len(PROBLEMS)
    for line in lines:
        assert ANNOTATION.match(line), line
    assert lines[0] == (
        "::error file=specs/promote.yaml,line=12,col=7,title=modelarts spec::resource 'export-prod', "
        "property export_params.export_dest: must be one of 'DIR', 'NEW_DATASET' (got 'NEW')"
    )
    # properties escape % \r \n , and :; the message escapes % \r \n
    assert lines[1] == (
        "::error file=specs/a%2Cb%3Ac.yaml,line=3,col=1,title=modelarts spec::100%25 wrong%0D%0Asecond line"
    )
    assert lines[2] == "::error file=specs/missing.yaml,title=modelarts spec::no such file or directory"


def test_real_problems_in_every_format() -> None:
    with pytest.raises(SpecError) as caught:
        load_specs([BROKEN])
    problems = caught.value.problems
    assert len(json.loads(format_problems(problems, "json"))) == len(problems)
    for line in format_problems(problems, "github").splitlines():
        assert ANNOTATION.match(line), line
    assert len(format_problems(problems, "text").splitlines()) == len(problems)


def test_unknown_format() -> None:
    with pytest.raises(ValueError, match="unknown format 'xml'"):
        format_problems(PROBLEMS, "xml")
