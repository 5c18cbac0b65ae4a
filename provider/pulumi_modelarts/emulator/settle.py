"""Apply every transition that has become due, in time order, exactly once.

Status values are derived from the clock whenever an object is read; what cannot be derived
(labels proposed by a finished task, the dataset an export creates, the samples an import adds, the
current version) is applied here, inside the request's first transaction, before the request is handled.
"""

from __future__ import annotations

from pulumi_modelarts.emulator import datasets, exports, imports, tasks, versions
from pulumi_modelarts.emulator.context import Ctx


def settle(ctx: Ctx) -> int:
    """Returns how many objects were settled."""
    due = ctx.tx.due(ctx.now_ms)
    for kind, doc in due:
        if kind == "task":
            tasks.settle(ctx, doc)
        elif kind == "export":
            exports.settle(ctx, doc)
        elif kind == imports.KIND:
            imports.settle(ctx, doc)
        elif kind == "version":
            versions.settle(ctx, doc)
        elif kind == "dataset":
            datasets.settle(ctx, doc)
    return len(due)
