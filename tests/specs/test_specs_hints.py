"""Hints for YAML that reads differently than it looks: keys YAML takes for booleans, bytes that are not UTF-8."""

from __future__ import annotations

from pathlib import Path

import pytest

from pulumi_modelarts.specs import Location, SpecError, load_specs
from pulumi_modelarts.specs._yaml import parse_yaml


@pytest.mark.parametrize(
    ("key", "hint"),
    [
        ("on", "a key must be a string (YAML reads on as true); quote it: 'on'"),
        ("off", "a key must be a string (YAML reads off as false); quote it: 'off'"),
        ("yes", "a key must be a string (YAML reads yes as true); quote it: 'yes'"),
        ("~", "a key must be a string (YAML reads ~ as null); quote it: '~'"),
        ("1", "a key must be a string (got 1); quote it: '1'"),
    ],
)
def test_a_key_yaml_reads_as_another_type_is_quoted_as_written(tmp_path: Path, key: str, hint: str) -> None:
    (tmp_path / "workflow.yaml").write_text(f"{key}:\n  push: {{}}\nresources: {{}}\n")
    with pytest.raises(SpecError) as caught:
        load_specs([tmp_path])
    problem = caught.value.problems[0]
    assert (problem.line, problem.column, problem.message) == (1, 1, hint)


@pytest.mark.parametrize(
    ("data", "line", "column", "byte"),
    [
        (b"resources: \xff\xfe\n", 1, 12, "ff"),
        ("resources:\n  r:\n    type: modelarts:\u00e9t\u00e9\n".encode("latin-1"), 3, 21, "e9"),
        ("# caf\u00e9 \u2014 ok\nresources:\n  na\u00efve: \xa0\n".encode()[:-3] + b"\xc3\x28\n", 3, 10, "c3"),
    ],
)
def test_a_byte_that_is_not_utf8_is_reported_at_its_line_and_column(
    data: bytes, line: int, column: int, byte: str
) -> None:
    parsed = parse_yaml(data, "specs/bad.yaml")
    assert parsed.failed and parsed.documents == []
    [problem] = parsed.problems
    assert problem.location == Location("specs/bad.yaml", line, column)
    assert problem.message.startswith(f"not UTF-8 text: byte {byte} cannot be decoded (")
    assert "byte " + byte in problem.message and "at byte" not in problem.message


def test_utf8_bytes_read_like_text() -> None:
    text = "resources:\n  caf\u00e9: {type: modelarts:ExportTask}\n"
    assert parse_yaml(text.encode(), "a.yaml").documents[0].value == parse_yaml(text, "a.yaml").documents[0].value
