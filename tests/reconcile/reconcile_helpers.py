"""Helpers of the reconcile tests (a module of its own: `from conftest import ...` would resolve to whichever
test folder's conftest was imported first)."""

from __future__ import annotations

from emulator_process import EmulatorProcess
from pulumi_modelarts.api import ModelArtsClient, resolve_settings
from pulumi_modelarts.reconcile.context import ReconcileContext
from pulumi_modelarts.reconcile.waiting import PollPolicy

# Tasks in the test emulator take about a second; poll fast so tests stay quick.
FAST_POLLS = PollPolicy(first_delay=0.05, growth=1.5, max_delay=0.5, min_latency=0.2)


def make_ctx(emulator: EmulatorProcess, messages: list[str] | None = None) -> ReconcileContext:
    client = ModelArtsClient(resolve_settings(**emulator.client_settings()))
    sink = messages if messages is not None else []
    return ReconcileContext.for_client(client, poll_policy=FAST_POLLS, log=sink.append)
