"""Rendering plans and apply results as text (terminal), markdown (a PR comment) or JSON (machines)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

from pulumi_modelarts.cli.runner import ResourceResult

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
}


def _short_type(type_token: str) -> str:
    return type_token.split(":", 1)[-1]


def _action(result: ResourceResult) -> str:
    if result.error is not None:
        return "error"
    if result.skipped is not None:
        return "skipped"
    return result.plan.action if result.plan is not None else "done"


def _value(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)


def summary_counts(results: Sequence[ResourceResult]) -> Counter[str]:
    return Counter(_action(result) for result in results)


def pending_changes(results: Sequence[ResourceResult]) -> bool:
    return any(result.plan is not None and result.plan.pending for result in results)


def plan_text(results: Sequence[ResourceResult]) -> str:
    lines = []
    for result in results:
        action = _action(result)
        head = f"{SYMBOLS.get(action, '?')} {result.name} ({_short_type(result.type_token)}): {action}"
        if result.error is not None or result.skipped is not None:
            lines.append(f"{head}\n    {result.error if result.error is not None else result.skipped}")
            continue
        assert result.plan is not None
        lines.append(f"{head} — {result.plan.summary}")
        if len(result.plan.writes) > 1:
            lines.extend(f"    • {write}" for write in result.plan.writes)
        for change in result.plan.changes:
            lines.append(f"    ~ {change.path}: {_value(change.old)} => {_value(change.new)}")
    counts = summary_counts(results)
    lines.append("")
    lines.append("Plan: " + ", ".join(f"{count} {action}" for action, count in sorted(counts.items())))
    return "\n".join(lines)


def plan_markdown(results: Sequence[ResourceResult]) -> str:
    counts = summary_counts(results)
    lines = [
        "### ModelArts plan",
        "",
        "**" + ", ".join(f"{count} {action}" for action, count in sorted(counts.items())) + "**",
        "",
        "| | Resource | Type | Action | Details |",
        "|---|---|---|---|---|",
    ]
    for result in results:
        action = _action(result)
        details = result.error or result.skipped or (result.plan.summary if result.plan else "")
        details = (details or "").replace("|", "\\|").replace("\n", " ")
        kind = _short_type(result.type_token)
        lines.append(f"| {SYMBOLS.get(action, '?')} | `{result.name}` | {kind} | **{action}** | {details} |")
    changed = [result for result in results if result.plan is not None and result.plan.changes]
    for result in changed:
        assert result.plan is not None
        lines += [
            "",
            f"<details><summary><code>{result.name}</code>: property changes</summary>",
            "",
            "```diff",
        ]
        for change in result.plan.changes:
            lines.append(f"- {change.path}: {_value(change.old)}")
            lines.append(f"+ {change.path}: {_value(change.new)}")
        lines += ["```", "", "</details>"]
    return "\n".join(lines) + "\n"


def _result_json(result: ResourceResult) -> dict[str, Any]:
    item: dict[str, Any] = {"name": result.name, "type": result.type_token, "action": _action(result)}
    if result.plan is not None:
        item["summary"] = result.plan.summary
        item["task_id"] = result.plan.task_id
        item["changes"] = [{"path": c.path, "old": c.old, "new": c.new} for c in result.plan.changes]
        item["writes"] = list(result.plan.writes)
    if result.error is not None:
        item["error"] = result.error
    if result.skipped is not None:
        item["skipped"] = result.skipped
    if result.outputs is not None:
        item["outputs"] = result.outputs
    item["seconds"] = round(result.seconds, 3)
    return item


def results_json(results: Sequence[ResourceResult], **extra: Any) -> str:
    document = {
        "resources": [_result_json(result) for result in results],
        "summary": dict(summary_counts(results)),
        "changes_pending": pending_changes(results),
        **extra,
    }
    return json.dumps(document, indent=2, ensure_ascii=False, default=str)


def apply_line(result: ResourceResult) -> str:
    kind = _short_type(result.type_token)
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
        extra = f", accepted {outputs['accepted_count']} auto-labels (skipped {skipped})"
    return f"✓ {result.name} ({kind}){what} {status}{adopted}{extra} in {result.seconds:.1f}s"
