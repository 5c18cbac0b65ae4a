"""Declaring the Pulumi resources of a spec set (inside a Pulumi program)."""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pulumi_modelarts.specs.loader import load_specs
from pulumi_modelarts.specs.model import Reference, SpecSet
from pulumi_modelarts.specs.references import parse_string, stringify

if TYPE_CHECKING:
    import pulumi


def _output_of(resources: Mapping[str, Any], reference: Reference) -> Any:
    resource = resources[reference.resource]
    try:
        return getattr(resource, reference.output)
    except AttributeError:
        raise AttributeError(
            f"{reference.text}: resource {reference.resource!r} has no output attribute {reference.output!r}"
        ) from None


def _input(value: Any, resources: Mapping[str, Any]) -> Any:
    """A property value with references turned into ``pulumi.Output`` values."""
    import pulumi

    if isinstance(value, str):
        if "${" not in value:
            return value
        segments = parse_string(value)
        references = [segment for segment in segments if isinstance(segment, Reference)]
        if not references:
            return "".join(segment for segment in segments if isinstance(segment, str))
        if len(segments) == 1:
            return _output_of(resources, references[0])

        def join(values: list[Any]) -> str:
            found = iter(values)
            return "".join(
                segment if isinstance(segment, str) else stringify(next(found), segment.text) for segment in segments
            )

        return pulumi.Output.all(*(_output_of(resources, r) for r in references)).apply(join)
    if isinstance(value, Mapping):
        return {key: _input(item, resources) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_input(item, resources) for item in value]
    return value


def declare(
    spec_set: SpecSet | None = None,
    *,
    paths: Sequence[str | Path] = ("specs",),
    opts: pulumi.ResourceOptions | None = None,
) -> dict[str, pulumi.Resource]:
    """Create the Pulumi resources of ``spec_set`` (or of the spec files in ``paths``).

    Call it from a Pulumi program. Resources are created in dependency order; references
    become ``pulumi.Output`` values of the resources they name. ``opts`` (for example a
    ``parent``) is merged into every resource's options; ``dependsOn``, ``protect`` and
    ``retainOnDelete`` of the spec come on top. Returns the resources by logical name.
    """
    import pulumi

    from pulumi_modelarts.reconcile.kinds import kind_of

    resources = importlib.import_module("pulumi_modelarts.resources")

    if spec_set is None:
        spec_set = load_specs(paths)
    created: dict[str, pulumi.Resource] = {}
    for name in spec_set.order:
        declared = spec_set.resources[name]
        properties = {key: _input(value, created) for key, value in declared.properties.items()}
        controls = declared.options.inputs()
        depends_on = [created[other] for other in declared.options.depends_on]
        resource_opts = pulumi.ResourceOptions(
            depends_on=depends_on or None,
            protect=declared.options.protect,
            retain_on_delete=declared.options.retain_on_delete,
        )
        if opts is not None:
            resource_opts = pulumi.ResourceOptions.merge(opts, resource_opts)
        # Each kind's Pulumi class is named after its type ("modelarts:ExportTask" -> ExportTask).
        cls: Any = getattr(resources, kind_of(declared.type_token).type_token.split(":", 1)[1])
        created[name] = cls(name, **properties, **controls, opts=resource_opts)
    return created
