"""Loading spec files: YAML -> declared resources, checked, with their dependency order."""

from __future__ import annotations

import difflib
import functools
import heapq
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pulumi_modelarts.schema import (
    TYPE_TOKENS,
    UnknownString,
    defaulted_inputs_of,
    format_path,
    inputs_of,
    load_schema,
    outputs_of,
    validate_inputs,
)
from pulumi_modelarts.specs._yaml import Document, RawProblem, collector_paused, parse_yaml
from pulumi_modelarts.specs.duplicates import duplicate_requests
from pulumi_modelarts.specs.model import (
    DeclaredResource,
    Location,
    PathPart,
    Reference,
    ResourceOptionsSpec,
    SpecError,
    SpecProblem,
    SpecSet,
)
from pulumi_modelarts.specs.references import Unresolved, read_references

TOP_LEVEL_KEYS = ("$schema", "name", "description", "resources")
RESOURCE_KEYS = ("type", "properties", "options")
OPTION_KEYS = ("dependsOn", "protect", "retainOnDelete", "wait", "timeoutSeconds")
# Inputs that are written as options in a spec file.
_OPTION_OF_PROPERTY = {"wait": "wait", "timeout_seconds": "timeoutSeconds"}

_NAME_PATTERN = r"[A-Za-z][A-Za-z0-9_-]{0,62}"


def _join(base: tuple[PathPart, ...], *more: PathPart) -> tuple[PathPart, ...]:
    return (*base, *more)


def _suggestion(word: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value if len(value) <= 80 else value[:77] + "...")
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _is_unresolved(value: Any) -> bool:
    return isinstance(value, Unresolved)


@dataclass
class _Entry:
    """A resource while the files are being checked."""

    name: str
    index: int
    document: Document
    location: Location
    type_token: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)
    options: ResourceOptionsSpec = field(default_factory=ResourceOptionsSpec)
    references: list[Reference] = field(default_factory=list)
    depends_on: list[tuple[str, Location]] = field(default_factory=list)
    inputs: dict[str, Any] | None = None  # normalized, references as written; None when not valid

    @property
    def base(self) -> tuple[PathPart, ...]:
        return ("resources", self.name)


@functools.cache
def _timeout_range() -> tuple[int, int]:
    """The bounds of ``timeout_seconds`` (the common schema's TimeoutSeconds), read once per process."""
    timeout = load_schema("common")["$defs"]["TimeoutSeconds"]
    return int(timeout["minimum"]), int(timeout["maximum"])


class _Loader:
    def __init__(self) -> None:
        self.problems: list[tuple[int, SpecProblem]] = []
        self.tree_names: dict[str, Location] = {}
        self.file_index: dict[str, int] = {}
        self.entries: list[_Entry] = []
        self.incomplete = False  # some YAML could not be read: names may be missing
        self.timeout_range = _timeout_range()

    # -- problems ----------------------------------------------------------------------------

    def add(
        self,
        location: Location | None,
        message: str,
        *,
        file: str | None = None,
        resource: str | None = None,
        path: str | None = None,
    ) -> None:
        name = location.file if location is not None else (file or "")
        problem = SpecProblem(
            name,
            location.line if location is not None else None,
            location.column if location is not None else None,
            resource,
            path or None,
            message,
        )
        self.problems.append((self.file_index.get(name, len(self.file_index)), problem))

    def add_raw(self, raw: RawProblem) -> None:
        path = raw.path
        resource: str | None = None
        property_path: str | None = None
        if len(path) >= 2 and path[0] == "resources" and isinstance(path[1], str):
            resource = path[1]
            if len(path) >= 3 and path[2] == "properties":
                property_path = format_path(path[3:])
        self.add(raw.location, raw.message, resource=resource, path=property_path)

    # -- files -------------------------------------------------------------------------------

    def collect_files(self, paths: Sequence[str | Path]) -> list[Path]:
        files: list[Path] = []
        seen: set[Path] = set()
        for given in paths:
            path = Path(given)
            if path.is_dir():
                found = spec_files_in(path)
                if not found:
                    self.add(None, "no spec files (*.yaml, *.yml) in this directory or below it", file=str(path))
            elif path.is_file():
                found = [path]
            else:
                self.add(None, "no such file or directory", file=str(path))
                continue
            for file in found:
                key = file.resolve()
                if key not in seen:
                    seen.add(key)
                    files.append(file)
        for file in files:
            self.file_index.setdefault(str(file), len(self.file_index))
        return files

    def read_file(self, file: Path) -> None:
        name = str(file)
        try:
            data = file.read_bytes()
        except OSError as error:
            self.add(None, f"cannot read: {error.strerror or error}", file=name)
            self.incomplete = True
            return
        parsed = parse_yaml(data, name)  # a byte that is not UTF-8 is reported at its line and column
        if parsed.failed:
            self.incomplete = True
        for raw in parsed.problems:
            self.add_raw(raw)
        for document in parsed.documents:
            self.read_document(document)

    # -- documents ---------------------------------------------------------------------------

    def read_document(self, document: Document) -> None:
        value = document.value
        if value is None:
            return
        if not isinstance(value, dict):
            self.add(
                document.location,
                f"a spec document must be a mapping with a 'resources' key (got {_show(value)})",
            )
            return
        for key in value:
            if key not in TOP_LEVEL_KEYS:
                self.add(
                    document.at((key,), key=True),
                    f"unknown top-level key {key!r}; allowed: {', '.join(TOP_LEVEL_KEYS)}"
                    f"{_suggestion(key, TOP_LEVEL_KEYS)}",
                )
        for key in ("$schema", "name", "description"):
            if key in value and not isinstance(value[key], str):
                self.add(document.at((key,)), f"{key} must be a string (got {_show(value[key])})")
        if isinstance(value.get("name"), str):
            self.note_tree_name(value["name"], document.at(("name",)))
        if "resources" not in value:
            self.add(document.location, "a spec document needs a 'resources' mapping")
            return
        resources = value["resources"]
        if resources is None:
            return
        if not isinstance(resources, dict):
            self.add(
                document.at(("resources",)),
                f"resources must be a mapping of names to resources (got {_show(resources)})",
            )
            return
        for name, body in resources.items():
            self.read_resource(document, name, body)

    def note_tree_name(self, name: str, location: Location) -> None:
        """One spec tree has one name (its namespace: the owner of its tasks)."""
        first = next(iter(self.tree_names.items()), None)
        if first is not None and first[0] != name:
            self.add(
                location,
                f"the spec files name different trees: {name!r} here, {first[0]!r} in {first[1].file}; the files"
                " applied together are one tree with one name (it owns their tasks)",
            )
        self.tree_names.setdefault(name, location)

    def read_resource(self, document: Document, name: str, body: Any) -> None:
        location = document.at(("resources", name), key=True)
        entry = _Entry(name, len(self.entries), document, location)
        if not re.fullmatch(_NAME_PATTERN, name):
            self.add(
                location,
                "invalid resource name: use 1 to 63 characters from A-Z, a-z, 0-9, '_' and '-', starting with a letter",
                resource=name,
            )
        self.entries.append(entry)
        if not isinstance(body, dict):
            self.add(
                document.at(entry.base),
                f"must be a mapping with type, properties and options (got {_show(body)})",
                resource=name,
            )
            return
        for key in body:
            if key not in RESOURCE_KEYS:
                if key in OPTION_KEYS:
                    hint = f"; write it as options.{key}"
                elif key in _OPTION_OF_PROPERTY:
                    hint = f"; write it as options.{_OPTION_OF_PROPERTY[key]}"
                else:
                    hint = _suggestion(key, RESOURCE_KEYS)
                self.add(
                    document.at(_join(entry.base, key), key=True),
                    f"unknown key {key!r}; allowed: {', '.join(RESOURCE_KEYS)}{hint}",
                    resource=name,
                )
        self.read_type(entry, body)
        self.read_options(entry, body)  # first: the options that are inputs are validated with the properties
        self.read_properties(entry, body)

    def read_type(self, entry: _Entry, body: dict[str, Any]) -> None:
        if "type" not in body:
            self.add(entry.location, f"type is required: one of {', '.join(TYPE_TOKENS)}", resource=entry.name)
            return
        token = body["type"]
        if not isinstance(token, str) or token not in TYPE_TOKENS:
            shown = token if isinstance(token, str) else ""
            self.add(
                entry.document.at(_join(entry.base, "type")),
                f"unknown type {_show(token)}; allowed: {', '.join(TYPE_TOKENS)}{_suggestion(shown, TYPE_TOKENS)}",
                resource=entry.name,
            )
            return
        entry.type_token = token

    def read_properties(self, entry: _Entry, body: dict[str, Any]) -> None:
        document = entry.document
        base = (*entry.base, "properties")
        raw = body.get("properties")
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            self.add(
                document.at(base),
                f"properties must be a mapping (got {_show(raw)})",
                resource=entry.name,
            )
            return
        properties = dict(raw)
        for key, option in _OPTION_OF_PROPERTY.items():
            if key in properties:
                del properties[key]
                self.add(
                    document.at(_join(base, key), key=True),
                    f"must be set as options.{option}, not as a property",
                    resource=entry.name,
                    path=key,
                )
        entry.properties = properties
        view, references, errors = read_references(properties)
        entry.references = references
        for error in errors:
            self.add(
                self.value_location(entry, error.parts),
                str(error),
                resource=entry.name,
                path=format_path(error.parts),
            )
        if entry.type_token is None:
            return
        options = entry.options.inputs()  # valid ones: the others are reported as options
        inputs = {**view, **options} if options else view  # what the plan uses, when there are no references
        normalized, violations = validate_inputs(entry.type_token, inputs, is_unknown=_is_unresolved, remember=False)
        if not violations and not errors:
            entry.inputs = _as_written(normalized) if entry.references else normalized
        for violation in violations:
            if violation.keyword in {
                "unknown",
                "required",
                "exactlyOne",
                "dependentRequired",
                "propertyNames",
            }:
                location = self.key_location(entry, violation.parts)
            else:
                location = self.value_location(entry, violation.parts)
            self.add(location, violation.message, resource=entry.name, path=violation.path)

    def read_options(self, entry: _Entry, body: dict[str, Any]) -> None:
        document = entry.document
        base = (*entry.base, "options")
        raw = body.get("options")
        if raw is None:
            return
        if not isinstance(raw, dict):
            self.add(document.at(base), f"options must be a mapping (got {_show(raw)})", resource=entry.name)
            return
        values: dict[str, Any] = {}
        for key, value in raw.items():
            if key not in OPTION_KEYS:
                snake = {"depends_on": "dependsOn", "retain_on_delete": "retainOnDelete"}
                snake["timeout_seconds"] = "timeoutSeconds"
                hint = f"; did you mean {snake[key]!r}?" if key in snake else _suggestion(key, OPTION_KEYS)
                self.add(
                    document.at(_join(base, key), key=True),
                    f"unknown option {key!r}; allowed: {', '.join(OPTION_KEYS)}{hint}",
                    resource=entry.name,
                )
            elif key == "dependsOn":
                self.read_depends_on(entry, value, (*base, key))
            elif key in {"protect", "retainOnDelete", "wait"}:
                if isinstance(value, bool):
                    values[key] = value
                else:
                    self.add(
                        document.at(_join(base, key)),
                        f"options.{key}: must be true or false (got {_show(value)})",
                        resource=entry.name,
                    )
            else:  # timeoutSeconds
                low, high = self.timeout_range
                if isinstance(value, float) and value.is_integer():
                    value = int(value)
                if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
                    values[key] = value
                else:
                    self.add(
                        document.at(_join(base, key)),
                        f"options.timeoutSeconds: must be an integer between {low} and {high} (got {_show(value)})",
                        resource=entry.name,
                    )
        entry.options = ResourceOptionsSpec(
            depends_on=tuple(dict.fromkeys(name for name, _ in entry.depends_on)),
            protect=values.get("protect"),
            retain_on_delete=values.get("retainOnDelete"),
            wait=values.get("wait"),
            timeout_seconds=values.get("timeoutSeconds"),
        )

    def read_depends_on(self, entry: _Entry, value: Any, path: tuple[PathPart, ...]) -> None:
        document = entry.document
        if not isinstance(value, list):
            self.add(
                document.at(path),
                f"options.dependsOn: must be a list of resource names (got {_show(value)})",
                resource=entry.name,
            )
            return
        seen: set[str] = set()
        for index, item in enumerate(value):
            where = document.at(_join(path, index))
            name = item
            if isinstance(item, str) and item.startswith("${") and item.endswith("}"):
                name = item[2:-1]
            if not isinstance(name, str) or not name:
                self.add(
                    where,
                    f"options.dependsOn: each item must be a resource name (got {_show(item)})",
                    resource=entry.name,
                )
            elif name in seen:
                self.add(where, f"options.dependsOn: {name!r} is listed twice", resource=entry.name)
            else:
                seen.add(name)
                entry.depends_on.append((name, where))

    # -- positions ---------------------------------------------------------------------------

    def value_location(self, entry: _Entry, parts: Sequence[PathPart]) -> Location:
        return self._nearest(entry, tuple(parts), prefer_key=False)

    def key_location(self, entry: _Entry, parts: Sequence[PathPart]) -> Location:
        return self._nearest(entry, tuple(parts), prefer_key=True)

    def _nearest(self, entry: _Entry, parts: tuple[PathPart, ...], *, prefer_key: bool) -> Location:
        """Where a property path is written; for a missing one, the key of its nearest parent."""
        return entry.document.at((*entry.base, "properties", *parts), key=prefer_key)

    # -- cross-resource checks ---------------------------------------------------------------

    def check_names_and_references(self) -> dict[str, _Entry]:
        by_name: dict[str, _Entry] = {}
        for entry in self.entries:
            earlier = by_name.get(entry.name)
            if earlier is not None:
                self.add(
                    entry.location,
                    f"duplicate resource name {entry.name!r} (first declared at {earlier.location})",
                    resource=entry.name,
                )
                continue
            by_name[entry.name] = entry
        declared = set(by_name)
        for entry in by_name.values():
            for reference in entry.references:
                self.check_reference(entry, reference, by_name)
            for name, where in entry.depends_on:
                if name == entry.name:
                    self.add(where, "options.dependsOn: a resource cannot depend on itself", resource=entry.name)
                elif name not in declared and not self.incomplete:
                    self.add(
                        where,
                        f"options.dependsOn: unknown resource {name!r}{_suggestion(name, declared)}",
                        resource=entry.name,
                    )
        return by_name

    def check_reference(self, entry: _Entry, reference: Reference, by_name: Mapping[str, _Entry]) -> None:
        target = by_name.get(reference.resource)
        path = reference.path
        if reference.resource == entry.name:
            self.add(
                self.value_location(entry, reference.parts),
                f"reference {reference.text} refers to resource {entry.name!r} itself",
                resource=entry.name,
                path=path,
            )
        elif target is None:
            if not self.incomplete:
                self.add(
                    self.value_location(entry, reference.parts),
                    f"reference {reference.text} names an unknown resource {reference.resource!r}"
                    f"{_suggestion(reference.resource, by_name)}",
                    resource=entry.name,
                    path=path,
                )
        elif target.type_token is not None:
            outputs = outputs_of(target.type_token)
            names = dict.fromkeys([*outputs, *inputs_of(target.type_token)])
            if reference.output not in names:
                self.add(
                    self.value_location(entry, reference.parts),
                    f"reference {reference.text}: resource {reference.resource!r} "
                    f"({target.type_token}) has no output {reference.output!r}"
                    f"{_suggestion(reference.output, names)} "
                    f"(outputs: {', '.join(outputs)}, and its inputs)",
                    resource=entry.name,
                    path=path,
                )
            elif reference.output not in outputs and not self.sets_input(target, reference.output):
                self.add(
                    self.value_location(entry, reference.parts),
                    f"reference {reference.text}: resource {reference.resource!r} does not set its input "
                    f"{reference.output!r}, so the reference would be null; set it there, or refer to one of "
                    f"its outputs ({', '.join(outputs)})",
                    resource=entry.name,
                    path=path,
                )

    @staticmethod
    def sets_input(target: _Entry, name: str) -> bool:
        """Whether an echoed input has a value: set in the spec, or filled by a schema default."""
        assert target.type_token is not None
        return target.properties.get(name) is not None or name in defaulted_inputs_of(target.type_token)

    @staticmethod
    def dependencies(entry: _Entry, by_name: Mapping[str, _Entry]) -> list[str]:
        names = [name for name, _ in entry.depends_on]
        names += [reference.resource for reference in entry.references]
        return [name for name in dict.fromkeys(names) if name in by_name and name != entry.name]

    def order(self, by_name: Mapping[str, _Entry], edges: Mapping[str, list[str]]) -> list[str]:
        """Dependencies first; among resources that are ready, the one declared first."""
        waiting = {name: len(set(edges[name])) for name in by_name}
        users: dict[str, list[str]] = {name: [] for name in by_name}
        for name, needs in edges.items():
            for needed in set(needs):
                users[needed].append(name)
        ready = [(by_name[name].index, name) for name, count in waiting.items() if count == 0]
        heapq.heapify(ready)
        order: list[str] = []
        while ready:
            _, name = heapq.heappop(ready)
            order.append(name)
            for user in users[name]:
                waiting[user] -= 1
                if waiting[user] == 0:
                    heapq.heappush(ready, (by_name[user].index, user))
        if len(order) < len(by_name):
            self.report_cycles(by_name, edges, set(by_name) - set(order))
        return order

    def report_cycles(self, by_name: Mapping[str, _Entry], edges: Mapping[str, list[str]], stuck: set[str]) -> None:
        for component in _strongly_connected(stuck, edges):
            if len(component) < 2:
                continue
            start = min(component, key=lambda name: by_name[name].index)
            cycle = _cycle_through(start, component, edges, by_name)
            self.add(
                by_name[start].location,
                f"dependency cycle: {' -> '.join(cycle)}",
                resource=start,
            )

    # -- result ------------------------------------------------------------------------------

    def run(self, paths: Sequence[str | Path]) -> SpecSet:
        files = self.collect_files(paths)
        for file in files:
            self.read_file(file)
        by_name = self.check_names_and_references()
        valid = [(entry, entry.inputs) for entry in by_name.values() if entry.inputs is not None]
        for duplicate, message in duplicate_requests(valid):
            self.add(duplicate.location, message, resource=duplicate.name)
        edges = {name: self.dependencies(entry, by_name) for name, entry in by_name.items()}
        order = self.order(by_name, edges)
        if self.problems:
            ordered = sorted(
                self.problems,
                key=lambda item: (item[0], item[1].line or 0, item[1].column or 0),
            )
            raise SpecError([problem for _, problem in ordered])
        resources: dict[str, DeclaredResource] = {}
        for name, entry in by_name.items():
            assert entry.type_token is not None
            resources[name] = DeclaredResource(
                name=name,
                type_token=entry.type_token,
                properties=entry.properties,
                options=entry.options,
                location=entry.location,
                references=entry.references,
                dependencies=frozenset(edges[name]),
                property_locations=entry.document.locations_below((*entry.base, "properties")),
                inputs=None if entry.references else entry.inputs,
            )
        return SpecSet(resources=resources, order=order, files=files, name=next(iter(self.tree_names), None))


def _as_written(value: Any) -> Any:
    """Validated inputs with the stand-ins of :func:`read_references` back as the strings written."""
    if isinstance(value, Unresolved):
        return value.reference
    if isinstance(value, UnknownString):
        return str(value)
    if isinstance(value, dict):
        return {key: _as_written(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_written(item) for item in value]
    return value


def _strongly_connected(nodes: set[str], edges: Mapping[str, list[str]]) -> list[list[str]]:
    """Tarjan's algorithm (iterative) over the sub-graph of ``nodes``."""
    index_of: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = 0
    successors_of: dict[str, list[str]] = {}
    for root in sorted(nodes):
        if root in index_of:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, position = work.pop()
            if position == 0:
                index_of[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            successors = successors_of.get(node)
            if successors is None:
                successors = successors_of[node] = [n for n in edges.get(node, []) if n in nodes]
            if position < len(successors):
                work.append((node, position + 1))
                successor = successors[position]
                if successor not in index_of:
                    work.append((successor, 0))
                elif successor in on_stack:
                    low[node] = min(low[node], index_of[successor])
                continue
            if low[node] == index_of[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return components


def _cycle_through(
    start: str, component: list[str], edges: Mapping[str, list[str]], by_name: Mapping[str, _Entry]
) -> list[str]:
    """A shortest cycle from ``start`` back to itself inside one strongly connected component."""
    members = set(component)
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        next_frontier: list[str] = []
        for node in frontier:
            for successor in sorted(edges.get(node, []), key=lambda n: by_name[n].index):
                if successor not in members:
                    continue
                if successor == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [*reversed(path), start]
                if successor not in previous:
                    previous[successor] = node
                    next_frontier.append(successor)
        frontier = next_frontier
    return [start, start]  # unreachable for a real component


def is_spec_file(path: Path) -> bool:
    """YAML files of a directory, except hidden ones and Pulumi's project and stack files (Pulumi.yaml,
    Pulumi.dev.yaml), so that specs can live beside the Pulumi project that declares them."""
    if path.suffix not in {".yaml", ".yml"} or path.name.startswith(".") or not path.is_file():
        return False
    return not (path.name.startswith("Pulumi.") or path.name == "Pulumi")


def spec_files_in(directory: Path) -> list[Path]:
    """The spec files in ``directory`` and its sub-directories (hidden ones skipped), sorted by relative path."""
    found: list[Path] = []
    for root, folders, names in os.walk(directory):
        folders[:] = [folder for folder in folders if not folder.startswith(".")]
        found.extend(path for name in names if is_spec_file(path := Path(root, name)))
    return sorted(found, key=lambda path: path.relative_to(directory).parts)


def load_specs(paths: Sequence[str | Path] = ("specs",)) -> SpecSet:
    """Load and check the spec files in ``paths`` (directories and files).

    A directory contributes its ``*.yaml`` and ``*.yml`` files and those of its sub-directories, sorted
    by relative path, except hidden files and folders and Pulumi's ``Pulumi.yaml``/``Pulumi.<stack>.yaml``;
    a directory without any is an error, as is a path that does not exist. Files are read in the order
    given. Raises :class:`SpecError` listing every problem found in every file.
    """
    if isinstance(paths, str | Path):
        paths = (paths,)
    with collector_paused():
        return _Loader().run(paths)
