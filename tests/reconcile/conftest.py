from __future__ import annotations

from collections.abc import Iterator

import pytest
from reconcile_helpers import make_ctx

from emulator_process import EmulatorProcess
from pulumi_modelarts.reconcile.context import ReconcileContext


@pytest.fixture
def messages() -> list[str]:
    return []


@pytest.fixture
def ctx(emulator: EmulatorProcess, messages: list[str]) -> Iterator[ReconcileContext]:
    context = make_ctx(emulator, messages)
    yield context
    context.client.close()
