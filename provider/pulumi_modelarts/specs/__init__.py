"""Spec files: ModelArts resources declared in YAML, shaped like Pulumi YAML.

Format (one or more ``---`` documents per ``*.yaml``/``*.yml`` file)::

    # yaml-language-server: $schema=./modelarts-spec.schema.json
    name: promote                  # optional
    description: nightly promotion # optional
    resources:
      cand:                        # logical name: letter, then up to 62 of [A-Za-z0-9_-]
        type: modelarts:DatasetVersionRef
        properties:                # the API's field names (see `pulumi-modelarts schema`)
          dataset_name: flowers
          selector: latest
      export-prod:
        type: modelarts:ExportTask
        properties:
          dataset_name: flowers
          version_id: ${cand.version_id}        # whole reference: the output's value
          path: /bucket/export/${cand.version_name}/   # interpolated into a string
          export_type: 0
        options:
          dependsOn: [label]       # also: protect, retainOnDelete, wait, timeoutSeconds

``${name.output}`` refers to an output (or an input, which outputs echo) of another
resource and makes this one depend on it; ``$${`` writes a literal ``${``. ``wait`` and
``timeout_seconds`` are set as ``options.wait`` / ``options.timeoutSeconds``.

Use :func:`load_specs` to read and check files (every problem is reported with file, line
and column in one :class:`SpecError`), :func:`declare` inside a Pulumi program to create the
resources, :func:`resolve_references` to substitute known outputs, and
:func:`format_problems` to print problems as text, JSON or GitHub annotations.
"""

from __future__ import annotations

from pulumi_modelarts.specs._yaml import collector_paused
from pulumi_modelarts.specs.loader import OPTION_KEYS, RESOURCE_KEYS, TOP_LEVEL_KEYS, load_specs
from pulumi_modelarts.specs.model import (
    DeclaredResource,
    Location,
    Reference,
    ReferenceSyntaxError,
    ResourceOptionsSpec,
    SpecError,
    SpecProblem,
    SpecSet,
    UnresolvedReferenceError,
)
from pulumi_modelarts.specs.program import declare
from pulumi_modelarts.specs.references import (
    find_references,
    has_references,
    parse_string,
    resolve_references,
)
from pulumi_modelarts.specs.report import FORMATS, format_problems

__all__ = [
    "FORMATS",
    "OPTION_KEYS",
    "RESOURCE_KEYS",
    "TOP_LEVEL_KEYS",
    "DeclaredResource",
    "Location",
    "Reference",
    "ReferenceSyntaxError",
    "ResourceOptionsSpec",
    "SpecError",
    "SpecProblem",
    "SpecSet",
    "UnresolvedReferenceError",
    "collector_paused",
    "declare",
    "find_references",
    "format_problems",
    "has_references",
    "load_specs",
    "parse_string",
    "resolve_references",
]
