"""Rendering plans and apply results as text (terminal), markdown (a PR comment) or JSON (machines)."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

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
}


# Mermaid node styles per action, for the plan picture in a pull request.
_MERMAID_STYLES = {
    "create": "fill:#dafbe1,stroke:#1a7f37",
    "retry": "fill:#dafbe1,stroke:#1a7f37",
    "replace": "fill:#fff8c5,stroke:#9a6700",
    "blocked": "fill:#ffebe9,stroke:#cf222e",
    "error": "fill:#ffebe9,stroke:#cf222e",
    "wait": "fill:#ddf4ff,stroke:#0969da",
}
# Characters that GitHub markdown would interpret: HTML and mentions/references become entities,
# the rest of the ASCII punctuation with a meaning gets a backslash.
_MD_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "@": "&#64;", "#": "&#35;", '"': "&quot;"}
_MD_ESCAPED = set("\\`*_{}[]()+-.!|~:$=")


def md_text(text: str) -> str:
    """A user string as literal text in GitHub markdown (table cells included): one line, nothing interpreted."""
    out = []
    for char in " ".join(str(text).split()):
        if char in _MD_ENTITIES:
            out.append(_MD_ENTITIES[char])
        elif char in _MD_ESCAPED:
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)


def md_name(name: str) -> str:
    """A resource name as inline code when it is plain (as the spec loader requires), else escaped text."""
    return f"`{name}`" if re.fullmatch(r"[A-Za-z0-9_.:-]+", name) else md_text(name)


def _fence(lines: Iterable[str]) -> str:
    """A code fence longer than any backtick run in ``lines``, so content can never close it."""
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    return "`" * max(3, longest + 1)


def _short_type(type_token: str) -> str:
    return type_token.split(":", 1)[-1]


def _action(result: ResourceResult) -> str:
    if result.error is not None:
        return "error"
    if result.skipped is not None:
        return "skipped"
    return result.decision.action if result.decision is not None else "done"


def write_text(write: Write) -> str:
    """One write as a reviewer reads it."""
    return write.text


def _value(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)


def summary_counts(results: Sequence[ResourceResult]) -> Counter[str]:
    return Counter(_action(result) for result in results)


def pending_changes(results: Sequence[ResourceResult]) -> bool:
    return any(result.decision is not None and result.decision.pending for result in results)


def plan_text(results: Sequence[ResourceResult]) -> str:
    lines = []
    for result in results:
        action = _action(result)
        head = f"{SYMBOLS.get(action, '?')} {result.name} ({_short_type(result.type_token)}): {action}"
        if result.error is not None or result.skipped is not None:
            lines.append(f"{head}\n    {result.error if result.error is not None else result.skipped}")
            continue
        assert result.decision is not None
        lines.append(f"{head} — {result.decision.summary}")
        lines.extend(f"    • {write_text(write)}" for write in result.decision.writes)
        for change in result.decision.changes:
            lines.append(f"    ~ {change.path}: {_value(change.old)} => {_value(change.new)}")
    counts = summary_counts(results)
    lines.append("")
    lines.append("Plan: " + ", ".join(f"{count} {action}" for action, count in sorted(counts.items())))
    return "\n".join(lines)


def plan_markdown(results: Sequence[ResourceResult], dependencies: Mapping[str, Iterable[str]] | None = None) -> str:
    """A pull-request comment: counts, a table, a mermaid picture of the plan, and the property changes.

    Every user string (names, summaries, errors, values) is escaped: nothing in it is rendered as
    markdown or HTML, and nothing mentions anyone.
    """
    counts = summary_counts(results)
    lines = [
        "### ModelArts plan",
        "",
        "**" + md_text(", ".join(f"{count} {action}" for action, count in sorted(counts.items()))) + "**",
        "",
        "| | Resource | Type | Action | Details |",
        "|---|---|---|---|---|",
    ]
    for result in results:
        action = _action(result)
        details = result.error or result.skipped or (result.decision.summary if result.decision else "")
        kind = _short_type(result.type_token)
        cells = [SYMBOLS.get(action, "?"), md_name(result.name), md_text(kind), f"**{md_text(action)}**"]
        lines.append("| " + " | ".join([*cells, md_text(details or "")]) + " |")
    if dependencies is not None:
        lines += ["", *plan_mermaid(results, dependencies)]
    changed = [result for result in results if result.decision is not None and result.decision.changes]
    for result in changed:
        assert result.decision is not None
        diff = []
        for change in result.decision.changes:
            diff.append(f"- {change.path}: {_value(change.old)}")
            diff.append(f"+ {change.path}: {_value(change.new)}")
        fence = _fence(diff)
        lines += ["", f"<details><summary>{md_name(result.name)}: property changes</summary>", "", f"{fence}diff"]
        lines += [*diff, fence, "", "</details>"]
    return "\n".join(lines) + "\n"


def plan_mermaid(results: Sequence[ResourceResult], dependencies: Mapping[str, Iterable[str]]) -> list[str]:
    """A mermaid flowchart (GitHub renders it): one node per resource with its action, an edge per reference."""
    ids = {result.name: f"r{index}" for index, result in enumerate(results)}
    lines = ["```mermaid", "flowchart LR"]
    for result in results:
        action = _action(result)
        label = f"{result.name}<br/>{_short_type(result.type_token)}: {action}"
        lines.append(f'  {ids[result.name]}["{_mermaid_text(label)}"]:::{action.replace("-", "_")}')
    for result in results:
        for dependency in sorted(set(dependencies.get(result.name, ()))):
            if dependency in ids:
                lines.append(f"  {ids[dependency]} --> {ids[result.name]}")
    used = {_action(result) for result in results}
    for action in sorted(used):
        style = _MERMAID_STYLES.get(action, "fill:#f6f8fa,stroke:#57606a")
        lines.append(f"  classDef {action.replace('-', '_')} {style}")
    lines.append("```")
    return lines


def _mermaid_text(text: str) -> str:
    """Text inside a quoted mermaid label: quotes and markup as mermaid entity codes (``<br/>`` kept)."""
    parts = text.split("<br/>")
    return "<br/>".join(re.sub(r'["#<>&`]', lambda m: f"#{ord(m.group())};", part) for part in parts)


def _result_json(result: ResourceResult) -> dict[str, Any]:
    item: dict[str, Any] = {"name": result.name, "type": result.type_token, "action": _action(result)}
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
        reasons = ", ".join(f"{count} {reason.replace('_', ' ')}" for reason, count in sorted(skipped.items()) if count)
        extra = f", accepted {outputs['accepted_count']} auto-labels" + (f" (skipped {reasons})" if reasons else "")
    return f"✓ {result.name} ({kind}){what} {status}{adopted}{extra} in {result.seconds:.1f}s"
