"""Inputs rebuilt from a live object (``pulumi import``): what the schema accepts of what the API echoes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_modelarts.reconcile.errors import ReconcileError


def fit_inputs(type_token: str, candidate: Mapping[str, Any]) -> dict[str, Any]:
    """Normalized inputs; a field of the live object that the schema refuses is left out."""
    from pulumi_modelarts import schema

    inputs, violations = schema.validate_inputs(type_token, dict(candidate))
    if violations:
        refused = {violation.path.split(".")[0].split("[")[0] for violation in violations}
        kept = {key: value for key, value in candidate.items() if key not in refused or key == "dataset_id"}
        inputs, violations = schema.validate_inputs(type_token, kept)
    if violations:
        details = "; ".join(str(violation) for violation in violations)
        raise ReconcileError(f"the live object cannot be imported as {type_token}: {details}")
    return inputs
