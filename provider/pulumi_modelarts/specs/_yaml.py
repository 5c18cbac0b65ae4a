"""YAML documents as plain values, with the position of every key and value on demand.

The documents are composed with PyYAML's safe loader (libyaml when available) and built
from the node tree, and duplicate keys (which YAML would silently accept, the last one
winning) are reported. Positions are not copied out while building: each document keeps its
node tree and, for every mapping, the keys the builder accepted, so a position is looked up
by path when a message or a caller needs it (most loads never ask for most of them).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor

from pulumi_modelarts.schema import format_path
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

# Most values that aliases may add to one document, beyond the nodes written in it: a small file whose
# aliases refer to aliases would otherwise expand to billions of values. Values written out cost nothing
# here (libyaml has read them already), so a document of any size without aliases is read whole.
_ALIAS_BUDGET = 100_000

# key -> (key node, value node): the keys of one mapping that the builder accepted, first one of duplicates.
_Keys = dict[str, tuple[Any, Any]]
_Path = tuple[PathPart, ...]


@dataclass
class RawProblem:
    """A problem found while reading YAML, at a document path (keys and indexes from the root)."""

    path: tuple[PathPart, ...]
    location: Location
    message: str


@dataclass
class _Source:
    """The text documents came from. A loaded spec set keeps no YAML nodes (hundreds of thousands of
    objects for the garbage collector to scan again and again), so positions asked for after a load are
    found in the text again."""

    file: str
    text: str
    documents: list[Document] | None = None  # parsed again on first use


@dataclass
class Document:
    """One YAML document: its value, and the positions of its keys and values by path from the root."""

    value: Any
    location: Location
    source: _Source = field(repr=False)
    index: int = 0  # among the documents of its text
    root: Any = field(default=None, repr=False)
    mappings: dict[int, _Keys] = field(default_factory=dict, repr=False)  # id(mapping node) -> its keys

    @property
    def file(self) -> str:
        return self.source.file

    def locations_below(self, path: tuple[PathPart, ...]) -> ValueLocations:
        """:meth:`value_locations` of ``path``, found when first asked for (holding the text, not the nodes)."""
        return ValueLocations(self.source, self.index, path)

    def _nodes(self, path: tuple[PathPart, ...]) -> tuple[Any, Any] | None:
        """(key node, value node) at ``path`` (the key node is None for the root and list items)."""
        key_node, node = None, self.root
        for part in path:
            if isinstance(node, yaml.MappingNode):
                pair = self.mappings.get(id(node), {}).get(part) if isinstance(part, str) else None
                if pair is None:
                    return None
                key_node, node = pair
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
                key_node, node = None, node.value[part]
            else:
                return None
        return key_node, node

    def find(self, path: tuple[PathPart, ...], *, key: bool = False) -> Location | None:
        """Where the value (or, with ``key``, the key) at ``path`` is written; None when there is none."""
        nodes = self._nodes(path)
        if nodes is None or (key and nodes[0] is None):
            return None
        return _location(self.file, (nodes[0] if key else nodes[1]).start_mark)

    def at(self, path: tuple[PathPart, ...], *, key: bool = False) -> Location:
        """Like :meth:`find`; for a path that is not written, the key (else the value) of its nearest parent
        that is, and the document's start at worst."""
        found = (self.find(path, key=True) if key else None) or self.find(path)
        while found is None and path:
            path = path[:-1]
            found = self.find(path, key=True) or self.find(path)
        return found or self.location

    def value_locations(self, path: tuple[PathPart, ...]) -> dict[str, Location]:
        """Where each value at or below ``path`` is written, by dotted path relative to it (``""`` for itself)."""
        nodes = self._nodes(path)
        if nodes is None:
            return {}
        return {format_path(parts): _location(self.file, node.start_mark) for parts, node in self._walk(nodes[1], ())}

    def _walk(self, node: Any, parts: _Path, depth: int = 0) -> Iterator[tuple[_Path, Any]]:
        yield parts, node
        if depth > 100:  # only a recursive alias goes this deep, and it fails the load
            return
        if isinstance(node, yaml.MappingNode):
            for name, (_, value_node) in self.mappings.get(id(node), {}).items():
                yield from self._walk(value_node, (*parts, name), depth + 1)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                yield from self._walk(item, (*parts, index), depth + 1)


class ValueLocations(Mapping[str, Location]):
    """Where each value at or below one path of a document is written, by dotted path relative to it
    (``""`` for the value itself); found when first asked for."""

    __slots__ = ("_found", "_index", "_path", "_source")

    def __init__(self, source: _Source, index: int, path: tuple[PathPart, ...]) -> None:
        self._source = source
        self._index = index
        self._path = path
        self._found: dict[str, Location] | None = None

    def _all(self) -> dict[str, Location]:
        if self._found is None:
            source = self._source
            if source.documents is None:
                with collector_paused():
                    source.documents = parse_yaml(source.text, source.file).documents
            documents = source.documents
            self._found = documents[self._index].value_locations(self._path) if self._index < len(documents) else {}
        return self._found

    def __getitem__(self, key: str) -> Location:
        return self._all()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


@dataclass
class ParsedFile:
    documents: list[Document]
    problems: list[RawProblem]
    failed: bool  # the YAML itself is broken: part of the file was not read


@contextmanager
def collector_paused() -> Iterator[None]:
    """For work that allocates many objects and frees them by reference counting, as reading YAML does (a few
    objects per node): the cyclic collector would only rescan the growing heap again and again (a third of the
    time of a large load)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


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
    def __init__(self, source: _Source, problems: list[RawProblem]) -> None:
        self.source = source
        self.file = source.file
        self.problems = problems
        self.constructor = SafeConstructor()
        self.constructors: Mapping[Any, Any] = SafeConstructor.yaml_constructors
        self.active: set[int] = set()  # the collections being built: an alias to one of them is recursive
        self.built: set[int] = set()  # the collections built so far: building one again is an alias's expansion
        self.budget = _ALIAS_BUDGET
        self.document = Document(None, Location(self.file, 1, 1), source)

    def start(self, node: Any, index: int) -> Document:
        self.document = Document(None, _location(self.file, node.start_mark), self.source, index, node)
        self.budget = _ALIAS_BUDGET
        self.built.clear()
        self.document.value = self.build(node, ())
        return self.document

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
            return self.constructors[tag](self.constructor, node)
        except (ConstructorError, ValueError, OverflowError) as error:
            self.problem(path, node, f"cannot read this value: {error}")
            return None

    def build(self, node: Any, path: tuple[PathPart, ...]) -> Any:
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node, path)
        identity = id(node)
        if identity in self.active:
            self.problem(path, node, "recursive alias: a value cannot contain itself")
            return None
        if identity in self.built:  # an alias: its values are counted again each time it is expanded
            self.budget -= len(node.value)
            if self.budget < 0:
                if self.budget + len(node.value) >= 0:
                    self.problem(path, node, "document is too large (aliases expand to too many values)")
                return None
        self.built.add(identity)
        self.active.add(identity)
        try:
            if isinstance(node, yaml.MappingNode):
                if node.tag != _MAP:
                    self.problem(path, node, f"unsupported YAML tag {node.tag!r}")
                return self.mapping(node, path)
            if node.tag != _SEQ:
                self.problem(path, node, f"unsupported YAML tag {node.tag!r}")
            return [self.build(item, (*path, index)) for index, item in enumerate(node.value)]
        finally:
            self.active.discard(identity)

    def mapping(self, node: Any, path: tuple[PathPart, ...]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        keys: _Keys = {}
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
            if key in keys:
                earlier = _location(self.file, keys[key][0].start_mark)
                self.problem(
                    (*path, key),
                    key_node,
                    f"duplicate key {key!r} (first at line {earlier.line}, column {earlier.column})",
                )
                continue
            keys[key] = (key_node, value_node)
            out[key] = self.build(value_node, (*path, key))
        self.document.mappings[id(node)] = keys
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
    builder = _Builder(_Source(file, text), problems)
    try:
        for index, node in enumerate(yaml.compose_all(text, Loader=_Loader)):
            documents.append(builder.start(node, index))
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
