"""The declared-resource model produced by the spec loader, and its problem reports."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PathPart = str | int


@dataclass(frozen=True)
class Location:
    """A place in a spec file; ``line`` and ``column`` start at 1."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class ResourceOptionsSpec:
    """The ``options`` of a declared resource; ``None`` means "not set"."""

    depends_on: tuple[str, ...] = ()
    protect: bool | None = None
    retain_on_delete: bool | None = None
    wait: bool | None = None
    timeout_seconds: int | None = None

    def inputs(self) -> dict[str, Any]:
        """The options that are inputs of the resource, by input name, where set (``wait``, ``timeout_seconds``)."""
        given = {"wait": self.wait, "timeout_seconds": self.timeout_seconds}
        return {name: value for name, value in given.items() if value is not None}


@dataclass(frozen=True)
class Reference:
    """A ``${resource.output}`` reference found in a property value.

    ``path`` is the dotted path of the property value that holds it (``parts`` the same as
    keys and indexes); ``whole`` is true when the value is exactly the reference (it then stands
    for the output's value, of any type), false when it is interpolated into a larger string.
    """

    resource: str
    output: str
    path: str
    parts: tuple[PathPart, ...]
    text: str
    whole: bool

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class DeclaredResource:
    """One resource of a spec file.

    ``properties`` are as written: strings may hold ``${...}`` references and ``$${``
    escapes (see :func:`pulumi_modelarts.specs.resolve_references`). ``wait`` and
    ``timeout_seconds`` are in ``options``. ``dependencies`` are the resources this one needs
    first (``dependsOn`` and references). ``property_locations`` maps dotted property paths
    (``""`` for the properties mapping itself) to where their values are written. ``inputs`` are
    the inputs the loader validated (properties and the options that are inputs, normalized) of a
    resource without references, which a plan would only validate again; None when it has references.
    Nobody changes them: they are shared with what is built from them.
    """

    name: str
    type_token: str
    properties: dict[str, Any]
    options: ResourceOptionsSpec
    location: Location
    references: list[Reference]
    dependencies: frozenset[str]
    property_locations: Mapping[str, Location] = field(default_factory=dict, compare=False, repr=False)
    inputs: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class SpecSet:
    """Every resource of the loaded files: ``resources`` in file order, ``order`` dependencies first."""

    resources: dict[str, DeclaredResource]
    order: list[str]
    files: list[Path]
    name: str | None = None  # the tree's name (the files' top-level ``name:``), its namespace

    def __len__(self) -> int:
        return len(self.resources)


@dataclass(frozen=True)
class SpecProblem:
    """Something wrong in a spec file.

    ``line``/``column`` are ``None`` for problems with a file as a whole; ``resource`` is the
    logical name it concerns (if any) and ``path`` the dotted property path (if any).
    """

    file: str
    line: int | None
    column: int | None
    resource: str | None
    path: str | None
    message: str

    @property
    def where(self) -> str:
        if self.line is None:
            return self.file
        return f"{self.file}:{self.line}:{self.column if self.column is not None else 1}"

    @property
    def text(self) -> str:
        """The message with the resource and property it concerns, without the position."""
        if self.resource is not None and self.path:
            return f"resource {self.resource!r}, property {self.path}: {self.message}"
        if self.resource is not None:
            return f"resource {self.resource!r}: {self.message}"
        if self.path:
            return f"property {self.path}: {self.message}"
        return self.message

    def __str__(self) -> str:
        return f"{self.where}: {self.text}"


class SpecError(Exception):
    """The spec files have problems; ``problems`` lists every one that was found."""

    def __init__(self, problems: Sequence[SpecProblem]) -> None:
        self.problems: list[SpecProblem] = list(problems)
        count = len(self.problems)
        lines = "\n".join(str(problem) for problem in self.problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in spec files:\n{lines}")


class UnresolvedReferenceError(LookupError):
    """A reference whose output is not available (or cannot go into a string)."""

    def __init__(self, reference: str, message: str) -> None:
        self.reference = reference
        super().__init__(message)


class ReferenceSyntaxError(ValueError):
    """A malformed ``${...}`` in a string."""

    def __init__(self, message: str, parts: tuple[PathPart, ...] = ()) -> None:
        self.parts = parts
        super().__init__(message)
