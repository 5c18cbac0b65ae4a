"""A CLI run in process: plan, then apply what the plan approved (``pulumi-modelarts apply --yes``)."""

from __future__ import annotations

from pulumi_modelarts.cli.runner import ResourceResult, Runner, approvals


def apply_plan(runner: Runner) -> list[ResourceResult]:
    """Plan with ``runner``, then carry out exactly that plan (what `apply --yes` does)."""
    return runner.apply(approvals(runner.plan()))
