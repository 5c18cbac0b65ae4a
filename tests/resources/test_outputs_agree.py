"""The outputs of each type are defined once: the schema's x-outputs, the resource classes' attributes
and what reconcile returns (the live outputs plus what only create knows) are the same names."""

from __future__ import annotations

from typing import Any

import pytest

from pulumi_modelarts import resources, schema
from pulumi_modelarts.reconcile.kinds import KINDS


@pytest.mark.parametrize("type_token", sorted(KINDS))
def test_schema_classes_and_reconcile_agree_on_outputs(type_token: str) -> None:
    kind = KINDS[type_token]
    declared = set(schema.outputs_of(type_token))
    cls: Any = getattr(resources, type_token.split(":", 1)[1])
    attributes = {name for name, hint in cls.__annotations__.items() if "Output" in str(hint)}
    returned = set(kind.live_outputs({}, "ds")) | set(kind.kept_on_read)
    assert set(kind.outputs) == declared
    assert attributes == declared
    assert returned == declared
    assert kind.id_output in declared
