"""Two resources that make one request on one dataset, however they name it, are refused at plan time.

``validate`` refuses literal duplicates (``specs/duplicates.py``): the same request on the same
``dataset_id`` or ``dataset_name``. One resource naming a dataset by name and another by its id (or
through a reference) make the same request only once the name is resolved, so the plan checks again
with the dataset ids it found: the later resource is blocked, naming the earlier one. Applying both
would start one object and let both resources claim it.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from pulumi_modelarts.reconcile.decision import Decision, blocked
from pulumi_modelarts.reconcile.kinds import kind_of


class SameRequests:
    """The requests decided so far in one plan, by dataset id; ``check`` blocks a second claim of one."""

    def __init__(self) -> None:
        self._first: dict[str, str] = {}
        self._lock = threading.Lock()

    def check(self, name: str, type_token: str, inputs: Mapping[str, Any], decision: Decision) -> Decision:
        """``decision``, or a blocked one when an earlier resource makes the same request on its dataset; ``inputs``
        are known (a resource whose inputs are not known yet makes no request the plan can compare)."""
        dataset_id = decision.dataset_id
        if not isinstance(dataset_id, str):
            return decision
        kind = kind_of(type_token)
        resolved = {key: value for key, value in inputs.items() if key != "dataset_name"}
        resolved["dataset_id"] = dataset_id
        with self._lock:
            for key in kind.request_identities(name, resolved):
                other = self._first.setdefault(key, name)
                if other != name:
                    what = key.split(": ", 1)[-1]
                    what = "request" if what.startswith("request ") else what
                    return blocked(
                        f"'{other}' makes the same {what} on dataset {dataset_id} ({kind.name}); both would claim"
                        " one object. Keep one of them.",
                        "conflict",
                        dataset_id,
                    )
        return decision
