"""Writing spec problems as text, JSON or GitHub Actions annotations."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict
from typing import Literal

from pulumi_modelarts.specs.model import SpecProblem

ProblemFormat = Literal["text", "json", "github"]
FORMATS: tuple[str, ...] = ("text", "json", "github")


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _github(problem: SpecProblem) -> str:
    fields = [f"file={_escape_property(problem.file)}"]
    if problem.line is not None:
        fields.append(f"line={problem.line}")
        if problem.column is not None:
            fields.append(f"col={problem.column}")
    fields.append(f"title={_escape_property('modelarts spec')}")
    return f"::error {','.join(fields)}::{_escape_data(problem.text)}"


def format_problems(problems: Iterable[SpecProblem], fmt: str = "text") -> str:
    """Render problems: ``text`` (one ``file:line:col: message`` line each), ``json`` (a list of
    objects with file, line, column, resource, path, message) or ``github`` (workflow-command
    annotations, ``::error file=F,line=L,col=C,title=modelarts spec::message``)."""
    items = list(problems)
    if fmt == "text":
        return "\n".join(str(problem) for problem in items)
    if fmt == "json":
        return json.dumps([asdict(problem) for problem in items], indent=2)
    if fmt == "github":
        return "\n".join(_github(problem) for problem in items)
    raise ValueError(f"unknown format {fmt!r}; allowed: {', '.join(FORMATS)}")
