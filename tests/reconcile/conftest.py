from __future__ import annotations

from collections.abc import Iterator

import pytest

from pulumi_modelarts.reconcile.context import ReconcileContext
from support.emulator_process import EmulatorProcess
from support.reconcile import make_ctx


@pytest.fixture
def messages() -> list[str]:
    return []


@pytest.fixture
def ctx(emulator: EmulatorProcess, messages: list[str]) -> Iterator[ReconcileContext]:
    context = make_ctx(emulator, messages)
    yield context
    context.client.close()
