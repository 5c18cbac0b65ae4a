"""Rendering plans and apply results as text (terminal) or JSON (machines); markdown is in cli/markdown.py."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

from pulumi_modelarts.cli.orphans import OrphanReport, Stopped
from pulumi_modelarts.cli.runner import ResourceResult
from pulumi_modelarts.reconcile import unknown
from pulumi_modelarts.reconcile.decision import Write
from pulumi_modelarts.reconcile.kinds import kind_of

SYMBOLS = {
    "create": "+",
    "replace": "±",
    "retry": "+",
    "adopt": "=",
    "in-sync": " ",
    "update": "~",
    "skipped": "-",
    "wait": "…",
    "blocked": "!",
    "error": "✗",
    "orphan": "⊘",
}
# What a plan made without --prune says of each orphan.
LEFT_RUNNING = "left running: apply --prune stops it"


def short_type(type_token: str) -> str:
    return type_token.split(":", 1)[-1]


def action_of(result: ResourceResult) -> str:
    if result.error is not None:
        return "error"
    if result.skipped is not None:
        return "skipped"
    return result.decision.action if result.decision is not None else "done"


def write_text(write: Write) -> str:
    """One write a plan makes, as a reviewer reads it (the one place every format renders a write)."""
    return write.text


def value_text(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)


def plural(count: int, noun: str) -> str:
    """``1 problem``, ``2 problems``: a count with its noun (nouns here take an ``s``)."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def summary_counts(results: Sequence[ResourceResult]) -> Counter[str]:
    return Counter(action_of(result) for result in results)


def summary_line(results: Sequence[ResourceResult], orphans: OrphanReport | None = None) -> str:
    """``Plan: 4 create, 1 in-sync``: how many resources take each action (and orphans, when there are any)."""
    line = "Plan: " + ", ".join(f"{count} {action}" for action, count in sorted(summary_counts(results).items()))
    if orphans is not None and orphans.orphans:
        them = "it" if len(orphans.orphans) == 1 else "them"
        fate = "to stop" if orphans.prune else f"left running (apply --prune stops {them})"
        line += f"; {plural(len(orphans.orphans), 'orphaned task')} {fate}"
    return line


def pending_changes(results: Sequence[ResourceResult]) -> bool:
    return any(result.decision is not None and result.decision.pending for result in results)


def orphan_lines(orphans: OrphanReport) -> list[str]:
    """The orphans part of a text plan: each running task whose resource is no longer declared, and its fate."""
    if not orphans.orphans:
        return []
    lines = ["", f"Orphans: {plural(len(orphans.orphans), 'running task')} of resources no longer declared"]
    for orphan in orphans.orphans:
        lines.append(f"{SYMBOLS['orphan']} {orphan.resource} (no longer declared): {orphan.summary}")
        lines.append(f"    • {write_text(orphan.stop())}" if orphans.prune else f"    {LEFT_RUNNING}")
    return lines


def plan_text(results: Sequence[ResourceResult], orphans: OrphanReport | None = None) -> str:
    lines = []
    for result in results:
        action = action_of(result)
        head = f"{SYMBOLS.get(action, '?')} {result.name} ({short_type(result.type_token)}): {action}"
        if result.error is not None or result.skipped is not None:
            lines.append(f"{head}\n    {result.error if result.error is not None else result.skipped}")
            continue
        assert result.decision is not None
        lines.append(f"{head} — {result.decision.summary}")
        lines.extend(f"    • {write_text(write)}" for write in result.decision.writes)
        for change in result.decision.changes:
            lines.append(f"    ~ {change.path}: {value_text(change.old)} => {value_text(change.new)}")
    if orphans is not None:
        lines += orphan_lines(orphans)
    lines += ["", summary_line(results, orphans)]
    return "\n".join(lines)


def _result_json(result: ResourceResult) -> dict[str, Any]:
    item: dict[str, Any] = {"name": result.name, "type": result.type_token, "action": action_of(result)}
    if result.decision is not None:
        item["summary"] = result.decision.summary
        item[kind_of(result.type_token).id_output] = result.decision.target_id
        item["changes"] = [{"path": c.path, "old": c.old, "new": c.new} for c in result.decision.changes]
        item["writes"] = [write.to_json() for write in result.decision.writes]
        if result.decision.action == "blocked":
            item["reason"] = result.decision.summary
    if result.error is not None:
        item["error"] = item["reason"] = result.error
    if result.skipped is not None:
        item["skipped"] = item["reason"] = result.skipped
    if result.outputs is not None:
        item["outputs"] = result.outputs
    item["seconds"] = round(result.seconds, 3)
    return unknown.to_json(item)  # type: ignore[no-any-return]


def blocked_names(results: Sequence[ResourceResult]) -> list[str]:
    return [result.name for result in results if result.blocked]


def results_json(results: Sequence[ResourceResult], *, error: str | None = None, **extra: Any) -> str:
    """The one JSON document of a plan or apply run; ``error`` says why the run did not succeed."""
    document = {
        "ok": error is None,
        "error": error,
        "resources": [_result_json(result) for result in results],
        "summary": dict(summary_counts(results)),
        "changes_pending": pending_changes(results),
        "blocked": blocked_names(results),
        "failed": [result.name for result in results if result.failed],
        **extra,
    }
    return json.dumps(document, indent=2, ensure_ascii=False, default=str)


def apply_line(result: ResourceResult) -> str:
    kind = short_type(result.type_token)
    if result.error is not None:
        return f"✗ {result.name} ({kind}) failed after {result.seconds:.1f}s: {result.error}"
    if result.skipped is not None:
        return f"- {result.name} ({kind}) {result.skipped}"
    outputs = result.outputs or {}
    key = next((k for k in ("task_id", "version_id") if outputs.get(k)), None)
    what = f" {key}={outputs[key]}" if key else ""
    status = outputs.get("status_name") or ""
    adopted = " (adopted, no new work)" if outputs.get("adopted") else ""
    extra = ""
    if "accepted_count" in outputs:
        skipped = outputs.get("skipped_counts") or {}
        reasons = ", ".join(f"{count} {reason.replace('_', ' ')}" for reason, count in sorted(skipped.items()) if count)
        extra = f", accepted {outputs['accepted_count']} auto-labels" + (f" (skipped {reasons})" if reasons else "")
    return f"✓ {result.name} ({kind}){what} {status}{adopted}{extra} in {result.seconds:.1f}s"


def stop_line(stopped: Stopped) -> str:
    """What apply did with one approved stop of an orphaned task."""
    if stopped.error is not None:
        return f"✗ orphaned task {stopped.task_id} not stopped: {stopped.error}"
    return f"✓ orphaned task {stopped.task_id}: {stopped.outcome}"
