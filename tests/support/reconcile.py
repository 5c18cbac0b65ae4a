"""One resource through reconcile, as the drivers run it: observe, decide, carry the decision out; and the one
reconcile context of the tests, on the emulator's virtual clock."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from pulumi_modelarts.api import ModelArtsClient, resolve_settings
from pulumi_modelarts.reconcile.context import ReconcileContext
from pulumi_modelarts.reconcile.decision import Decision
from pulumi_modelarts.reconcile.kinds import KINDS, Kind
from pulumi_modelarts.reconcile.waiting import PollPolicy
from support.emulator_process import EmulatorProcess


def kind_of_spec(spec: Any) -> Kind:
    return next(kind for kind in KINDS.values() if isinstance(spec, kind.spec_class))


def decide(ctx: ReconcileContext, spec: Any) -> Decision:
    """The decision a plan shows for ``spec`` (reads only)."""
    return kind_of_spec(spec).decision(ctx, spec)


def converge(ctx: ReconcileContext, spec: Any) -> dict[str, Any]:
    """Decide and carry the decision out, as an apply of a fresh plan does; returns the outputs."""
    kind = kind_of_spec(spec)
    return kind.execute(ctx, spec, kind.decision(ctx, spec))


# Time is virtual (a sleep advances the emulator's clock), so the production policy is also the fastest: fewest polls.
VIRTUAL_POLLS = PollPolicy()


class VirtualTime:
    """The emulator's virtual clock, seen from the client: ``sleep`` advances the emulator's clock instead of
    waiting, and ``clock`` (monotonic) moves on by as much, so timeouts and shared-list ages run in the same time
    as the emulator's tasks. Sleeps of concurrent waits all move the one clock."""

    def __init__(self, emulator: EmulatorProcess) -> None:
        self.emulator = emulator
        self._slept = 0.0
        self._lock = threading.Lock()

    def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            return
        self.emulator.advance_clock(seconds)
        with self._lock:
            self._slept += seconds

    def clock(self) -> float:
        with self._lock:
            return time.monotonic() + self._slept


def make_ctx(
    emulator: EmulatorProcess,
    messages: list[str] | None = None,
    *,
    client_sleep: Callable[[float], None] | None = None,
    **settings: Any,
) -> ReconcileContext:
    """A context on the emulator (``settings`` override its client settings) whose waits advance the emulator's
    virtual clock (no wall-clock waiting). The client's retry backoffs go to ``client_sleep`` (default: the
    virtual clock too)."""
    virtual = VirtualTime(emulator)
    client = ModelArtsClient(
        resolve_settings(**emulator.client_settings(**settings)), sleep=client_sleep or virtual.sleep
    )
    sink = messages if messages is not None else []
    return ReconcileContext.for_client(
        client, poll_policy=VIRTUAL_POLLS, log=sink.append, sleep=virtual.sleep, clock=virtual.clock
    )
