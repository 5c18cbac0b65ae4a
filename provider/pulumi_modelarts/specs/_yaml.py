"""YAML documents as plain values plus the position of every key and value.

The documents are composed with PyYAML's safe loader (libyaml when available) and built
from the node tree, so every mapping key and value keeps its line and column, and duplicate
keys (which YAML would silently accept, the last one winning) are reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor

from pulumi_modelarts.specs.model import Location, PathPart

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_PLAIN_TAGS = {
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:str",
}
_STR = "tag:yaml.org,2002:str"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"

# Most nodes one document may expand to (aliases can multiply a small file).
_NODE_BUDGET = 100_000


@dataclass
class RawProblem:
    """A problem found while reading YAML, at a document path (keys and indexes from the root)."""

    path: tuple[PathPart, ...]
    location: Location
    message: str


@dataclass
class Document:
    """One YAML document: its value, and positions by path from the document root."""

    value: Any
    location: Location
    keys: dict[tuple[PathPart, ...], Location] = field(default_factory=dict)
    values: dict[tuple[PathPart, ...], Location] = field(default_factory=dict)


@dataclass
class ParsedFile:
    documents: list[Document]
    problems: list[RawProblem]
    failed: bool  # the YAML itself is broken: part of the file was not read


def _location(file: str, mark: Any) -> Location:
    return Location(file, int(mark.line) + 1, int(mark.column) + 1)


def _show_key(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


def _key_not_a_string(key: Any, written: str) -> str:
    """The problem of a key YAML reads as another type (``on:`` is true): quote it as it was written."""
    shown = _show_key(key)
    if not written or written == shown:
        return f"a key must be a string (got {shown}); quote it: '{written or shown}'"
    return f"a key must be a string (YAML reads {written} as {shown}); quote it: '{written}'"


class _Builder:
    def __init__(self, file: str, problems: list[RawProblem]) -> None:
        self.file = file
        self.problems = problems
        self.constructor = SafeConstructor()
        self.active: set[int] = set()
        self.budget = _NODE_BUDGET

    def problem(self, path: tuple[PathPart, ...], node: Any, message: str) -> None:
        self.problems.append(RawProblem(path, _location(self.file, node.start_mark), message))

    def scalar(self, node: Any, path: tuple[PathPart, ...]) -> Any:
        tag = node.tag
        if tag == _STR:
            return node.value  # what the constructor would return, without its dispatch
        if tag == _TIMESTAMP:
            return str(node.value)
        if tag not in _PLAIN_TAGS:
            self.problem(path, node, f"unsupported YAML tag {tag!r}")
            return None
        try:
            return self.constructor.construct_object(node, deep=True)
        except (ConstructorError, ValueError, OverflowError) as error:
            self.problem(path, node, f"cannot read this value: {error}")
            return None

    def build(self, node: Any, path: tuple[PathPart, ...], document: Document) -> Any:
        self.budget -= 1
        if self.budget < 0:
            if self.budget == -1:
                self.problem(path, node, "document is too large (aliases expand to too many values)")
            return None
        document.values[path] = _location(self.file, node.start_mark)
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node, path)
        if id(node) in self.active:
            self.problem(path, node, "recursive alias: a value cannot contain itself")
            return None
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                if node.tag != _MAP:
                    self.problem(path, node, f"unsupported YAML tag {node.tag!r}")
                return self.mapping(node, path, document)
            if node.tag != _SEQ:
                self.problem(path, node, f"unsupported YAML tag {node.tag!r}")
            return [self.build(item, (*path, index), document) for index, item in enumerate(node.value)]
        finally:
            self.active.discard(id(node))

    def mapping(self, node: Any, path: tuple[PathPart, ...], document: Document) -> dict[str, Any]:
        out: dict[str, Any] = {}
        first: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                self.problem(path, key_node, "merge keys (<<) are not supported")
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.problem(path, key_node, "a key must be a string, not a mapping or list")
                continue
            key = self.scalar(key_node, path)
            if not isinstance(key, str):
                self.problem(path, key_node, _key_not_a_string(key, key_node.value))
                continue
            key_path = (*path, key)
            if key in first:
                earlier = _location(self.file, first[key].start_mark)
                self.problem(
                    key_path,
                    key_node,
                    f"duplicate key {key!r} (first at line {earlier.line}, column {earlier.column})",
                )
                continue
            first[key] = key_node
            document.keys[key_path] = _location(self.file, key_node.start_mark)
            out[key] = self.build(value_node, key_path, document)
        return out


def _at_tab(text: str, mark: Any) -> bool:
    """Whether a parse error points at a tab (libyaml calls it "a character that cannot start any token")."""
    index = getattr(mark, "index", None)
    return isinstance(index, int) and 0 <= index < len(text) and text[index] == "\t"


def decode(data: bytes, file: str) -> str | RawProblem:
    """A spec file's bytes as UTF-8 text, or the problem at the line and column of the first bad byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        before = data[: error.start].decode("utf-8")
        line = before.count("\n") + 1
        column = len(before) - (before.rfind("\n") + 1) + 1
        bad = data[error.start : error.end].hex(" ")
        message = f"not UTF-8 text: byte {bad} cannot be decoded ({error.reason}); save the file as UTF-8"
        return RawProblem((), Location(file, line, column), message)


def parse_yaml(source: str | bytes, file: str) -> ParsedFile:
    """Read every document of a YAML text (bytes must be UTF-8); never raises for bad input."""
    documents: list[Document] = []
    problems: list[RawProblem] = []
    text = decode(source, file) if isinstance(source, bytes) else source
    if isinstance(text, RawProblem):
        return ParsedFile(documents, [text], failed=True)
    failed = False
    builder = _Builder(file, problems)
    try:
        for node in yaml.compose_all(text, Loader=_Loader):
            document = Document(None, _location(file, node.start_mark))
            builder.budget = _NODE_BUDGET
            document.value = builder.build(node, (), document)
            documents.append(document)
    except yaml.MarkedYAMLError as error:
        failed = True
        mark = error.problem_mark or error.context_mark
        location = _location(file, mark) if mark is not None else Location(file, 1, 1)
        message = f"invalid YAML: {error.problem or error.context or 'cannot parse'}"
        if _at_tab(text, error.problem_mark):
            message = "invalid YAML: a tab character; YAML does not allow tabs for indentation, use spaces"
        elif error.context and error.problem and error.context_mark is not None:
            context = _location(file, error.context_mark)
            message += f" ({error.context} at line {context.line}, column {context.column})"
        problems.append(RawProblem((), location, message))
    except yaml.YAMLError as error:
        failed = True
        problems.append(RawProblem((), Location(file, 1, 1), f"invalid YAML: {error}"))
    except RecursionError:
        failed = True
        problems.append(RawProblem((), Location(file, 1, 1), "invalid YAML: values are nested too deeply"))
    return ParsedFile(documents, problems, failed)
