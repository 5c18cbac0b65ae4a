"""One resource through reconcile, as the drivers run it: observe, decide, carry the decision out."""

from __future__ import annotations

from typing import Any

from emulator_process import EmulatorProcess
from pulumi_modelarts.api import ModelArtsClient, resolve_settings
from pulumi_modelarts.reconcile.context import ReconcileContext
from pulumi_modelarts.reconcile.decision import Decision
from pulumi_modelarts.reconcile.kinds import KINDS, Kind
from pulumi_modelarts.reconcile.waiting import PollPolicy


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


def make_ctx(emulator: EmulatorProcess, messages: list[str] | None = None) -> ReconcileContext:
    """A context on the emulator whose sleeps advance the emulator's virtual clock (no wall-clock waiting)."""
    client = ModelArtsClient(resolve_settings(**emulator.client_settings()))
    sink = messages if messages is not None else []
    return ReconcileContext.for_client(client, poll_policy=VIRTUAL_POLLS, log=sink.append, sleep=emulator.advance_clock)
