"""The plan as a pull-request comment in GitHub markdown, and the comment of a plan that failed.

A comment always fits: GitHub refuses one over 65,536 characters, and a refused comment leaves the
previous, stale plan up. The document opens with where the plan was made and its summary, lists
only the resources that change (in-sync ones are a count), and is built within a budget: what does
not fit is left out with a note saying how much and where the full plan is. The mermaid picture
shows the changed resources and their direct neighbours, within caps far inside mermaid's own
limits, or is left out with a note.

Every user string (names, summaries, errors, values) is escaped: nothing in it renders as markdown
or HTML, and nothing mentions anyone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from pulumi_modelarts.cli.orphans import OrphanReport
from pulumi_modelarts.cli.render import (
    LEFT_RUNNING,
    SYMBOLS,
    action_of,
    plural,
    short_type,
    summary_line,
    value_text,
    write_text,
)
from pulumi_modelarts.cli.runner import ResourceResult

GITHUB_COMMENT_LIMIT = 65_536
# The size a document is built to, in UTF-8 bytes (at least as many as characters): under GitHub's limit with
# room for what a comment step adds (a sticky-comment marker, a title).
BUDGET = 60_000
# The picture's caps, far inside mermaid's defaults (maxTextSize 50,000 characters, maxEdges 500).
MERMAID_MAX_NODES = 100
MERMAID_MAX_EDGES = 150
# Longest user string shown in a table cell or a property value, before escaping; the rest is cut with "…".
_TEXT_CHARS = 400
# What the shortening note may take (it is written last but shown near the top).
_NOTE_RESERVE = 1_000
# Which changed resources a shortened comment keeps first: what fails the check, then what writes.
_PRIORITY = {"error": 0, "blocked": 1, "replace": 2, "create": 3, "retry": 3, "update": 4, "wait": 5, "adopt": 6}

# Mermaid node styles per action.
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
_PLAIN = re.compile(r"[A-Za-z0-9_.:-]+")
_URL = re.compile(r"https://[A-Za-z0-9_.:/-]+")


@dataclass(frozen=True)
class PlanContext:
    """Where and from what a plan was made: the head of the comment. Every field is optional."""

    commit: str | None = None
    endpoint_host: str | None = None
    region: str | None = None
    project_id: str | None = None
    emulator: bool = False
    version: str | None = None
    digest: str | None = None  # the saved plan's digest (plan --out)
    plan_file: str | None = None  # the saved plan (plan --out FILE): where the full plan is
    run_url: str | None = None  # the CI run that keeps the saved plan as an artifact

    def line(self) -> str:
        items = [
            f"{label} {md_code(_cut(value, 200))}"
            for label, value in (
                ("commit", self.commit[:12] if self.commit else None),
                ("endpoint", self.endpoint_host),
                ("region", self.region),
                ("project", self.project_id),
            )
            if value
        ]
        if self.emulator:
            items.append("**emulator** (not a cloud)")
        if self.version:
            items.append(f"pulumi-modelarts {md_code(_cut(self.version, 200))}")
        if self.digest:
            items.append(f"plan digest {md_code(_cut(self.digest, 200))}")
        return f"<sub>{' · '.join(items)}</sub>" if items else ""

    def full_plan(self) -> str:
        """Where a reader finds what a shortened comment leaves out."""
        run = f"[this run]({self.run_url})" if self.run_url and _URL.fullmatch(self.run_url) else None
        if self.plan_file:
            kept = f", kept as an artifact of {run}" if run else ""
            return f"the saved plan {md_code(_cut(self.plan_file, 200))}{kept}"
        return "`pulumi-modelarts plan --format json` prints it whole" + (f" (job log: {run})" if run else "")


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


def md_code(text: str) -> str:
    """A name or id as inline code when it is plain (as the spec loader requires of names), else escaped text."""
    return f"`{text}`" if _PLAIN.fullmatch(text) else md_text(text)


def _cut(text: str, limit: int = _TEXT_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _fence(lines: Iterable[str]) -> str:
    """A code fence longer than any backtick run in ``lines``, so content can never close it."""
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    return "`" * max(3, longest + 1)


def _size(lines: Iterable[str]) -> int:
    return sum(len(line.encode()) + 1 for line in lines)


class _Budget:
    """What is left of the document's size; ``take`` spends it on a block only when the block fits whole."""

    def __init__(self, left: int) -> None:
        self.left = left

    def take(self, lines: Sequence[str]) -> bool:
        size = _size(lines)
        if size > self.left:
            return False
        self.left -= size
        return True


def _heading(title: str, context: PlanContext) -> list[str]:
    line = context.line()
    return [f"### {title}", *([line] if line else [])]


def _row(result: ResourceResult) -> str:
    action = action_of(result)
    details = result.error or result.skipped or (result.decision.summary if result.decision else "")
    writes = [f"• {md_text(_cut(write_text(write)))}" for write in (result.decision.writes if result.decision else ())]
    cells = [
        SYMBOLS.get(action, "?"),
        md_code(_cut(result.name, 100)),
        md_text(short_type(result.type_token)),
        f"**{md_text(action)}**",
        md_text(_cut(details or "")),
        "<br>".join(writes),
    ]
    return "| " + " | ".join(cells) + " |"


def _property_changes(result: ResourceResult) -> list[str]:
    assert result.decision is not None
    diff = []
    for change in result.decision.changes:
        path = _cut(change.path, 200)
        diff.append(f"- {path}: {_cut(value_text(change.old))}")
        diff.append(f"+ {path}: {_cut(value_text(change.new))}")
    fence = _fence(diff)
    summary = f"<details><summary>{md_code(_cut(result.name, 100))}: property changes</summary>"
    return ["", summary, "", f"{fence}diff", *diff, fence, "", "</details>"]


def _orphans(orphans: OrphanReport | None, room: _Budget) -> tuple[list[str], int]:
    """The orphans part: running tasks of resources no longer declared and their fate; and how many did not fit."""
    if orphans is None or not orphans.orphans:
        return [], 0
    count = plural(len(orphans.orphans), "running task")
    lines = [
        "",
        f"#### Orphans: {count} of resources no longer declared",
        "",
        "| | Former resource | Task | Writes |",
        "|---|---|---|---|",
    ]
    if not room.take(lines):
        return [], len(orphans.orphans)
    shown = 0
    for orphan in orphans.orphans:
        fate = f"• {md_text(_cut(write_text(orphan.stop())))}" if orphans.prune else md_text(LEFT_RUNNING)
        cells = [SYMBOLS["orphan"], md_code(_cut(orphan.resource, 100)), md_text(_cut(orphan.summary)), fate]
        row = "| " + " | ".join(cells) + " |"
        if not room.take([row]):
            break
        lines.append(row)
        shown += 1
    return lines, len(orphans.orphans) - shown


def _by_priority(results: Sequence[ResourceResult]) -> list[ResourceResult]:
    return sorted(results, key=lambda result: _PRIORITY.get(action_of(result), len(_PRIORITY)))


def plan_markdown(
    results: Sequence[ResourceResult],
    dependencies: Mapping[str, Iterable[str]] | None = None,
    *,
    context: PlanContext | None = None,
    error: str | None = None,
    orphans: OrphanReport | None = None,
    budget: int = BUDGET,
) -> str:
    """The pull-request comment of a plan: context, summary, the changed resources with every write, a picture,
    and the orphaned tasks (with their stops under ``--prune``).

    ``error`` says why nothing can be applied (errors, a blocked gate). The document stays within
    ``budget`` UTF-8 bytes at any number of resources.
    """
    context = context or PlanContext()
    head = [*_heading("ModelArts plan", context), "", f"**{summary_line(results, orphans)}**"]  # counts only
    if error:
        head += ["", f"**Nothing can be applied**: {md_text(_cut(error, 2_000))}"]
    changed = [result for result in results if action_of(result) != "in-sync"]
    in_sync = len(results) - len(changed)
    room = _Budget(budget - _size(head) - _NOTE_RESERVE)
    if not changed:
        nothing = "" if orphans is not None and orphans.writes else ": nothing to do"
        tail = [f"All {plural(in_sync, 'resource')} in sync{nothing}."] if in_sync else []
        orphan_part, orphans_left_out = _orphans(orphans, room)
        note = _shortened(context, orphans_left_out=orphans_left_out)
        return "\n".join([*head, *note, "", *tail, *orphan_part]) + "\n"

    table = ["", "| | Resource | Type | Action | Details | Writes |", "|---|---|---|---|---|---|"]
    in_sync_line = ["", f"{plural(in_sync, 'resource')} in sync, not listed."] if in_sync else []
    room.take(table + in_sync_line)
    shown: set[str] = set()
    rows: dict[str, str] = {}
    for result in _by_priority(changed):
        row = _row(result)
        if not room.take([row]):
            break
        shown.add(result.name)
        rows[result.name] = row
    body = table + [rows[result.name] for result in changed if result.name in rows] + in_sync_line

    if dependencies is not None:
        graph = plan_mermaid(results, dependencies) if len(shown) == len(changed) else []
        if not graph or not room.take(["", *graph]):
            graph = ["_The picture of the plan is left out: it does not fit in one comment._"]
            room.take(["", *graph])
        body += ["", *graph]
    orphan_part, orphans_left_out = _orphans(orphans, room)
    body += orphan_part

    with_changes = [
        result for result in changed if result.name in shown and result.decision and result.decision.changes
    ]
    detailed: set[str] = set()
    for result in _by_priority(with_changes):
        if not room.take(_property_changes(result)):
            break
        detailed.add(result.name)
    body += [line for result in with_changes if result.name in detailed for line in _property_changes(result)]

    left_out = []
    if len(shown) < len(changed):
        left_out.append(f"{len(changed) - len(shown):,} of {plural(len(changed), 'changed resource')} not listed")
    if len(detailed) < len(with_changes):
        missing = len(with_changes) - len(detailed)
        left_out.append(f"the property changes of {plural(missing, 'resource')} left out")
    return "\n".join([*head, *_shortened(context, left_out, orphans_left_out), *body]) + "\n"


def _shortened(context: PlanContext, left_out: Sequence[str] = (), orphans_left_out: int = 0) -> list[str]:
    """The note of a comment cut to fit: what was left out, and where the full plan is (nothing when complete)."""
    parts = [*left_out]
    if orphans_left_out:
        parts.append(f"{plural(orphans_left_out, 'orphaned task')} not listed")
    if not parts:
        return []
    return ["", f"**Shortened to fit one comment**: {'; '.join(parts)}. The full plan: {context.full_plan()}."]


def plan_mermaid(results: Sequence[ResourceResult], dependencies: Mapping[str, Iterable[str]]) -> list[str]:
    """A mermaid flowchart (GitHub renders it) of the changed resources and their direct neighbours.

    One node per resource with its action, an edge per reference that touches a changed resource.
    Past ``MERMAID_MAX_NODES`` or ``MERMAID_MAX_EDGES`` the picture is one line saying why it is left out.
    """
    ids = {result.name: f"r{index}" for index, result in enumerate(results)}
    deps = {name: sorted(set(dependencies.get(name, ())) & ids.keys()) for name in ids}
    changed = {result.name for result in results if action_of(result) != "in-sync"}
    drawn = set(changed)
    for name in ids:
        if name in changed:
            drawn.update(deps[name])
        elif changed.intersection(deps[name]):
            drawn.add(name)
    if not changed:
        return []
    edges = [(dep, name) for name in ids for dep in deps[name] if {dep, name} & changed and {dep, name} <= drawn]
    if len(drawn) > MERMAID_MAX_NODES or len(edges) > MERMAID_MAX_EDGES:
        return [
            f"_The picture of the plan is left out: {plural(len(drawn), 'resource')} and"
            f" {plural(len(edges), 'reference')} to draw, more than {MERMAID_MAX_NODES} and {MERMAID_MAX_EDGES}._"
        ]
    lines = ["```mermaid", "flowchart LR"]
    for result in results:
        if result.name in drawn:
            action = action_of(result)
            label = f"{_cut(result.name, 100)}<br/>{short_type(result.type_token)}: {action}"
            lines.append(f'  {ids[result.name]}["{_mermaid_text(label)}"]:::{action.replace("-", "_")}')
    lines += [f"  {ids[dep]} --> {ids[name]}" for dep, name in edges]
    for action in sorted({action_of(result) for result in results if result.name in drawn}):
        style = _MERMAID_STYLES.get(action, "fill:#f6f8fa,stroke:#57606a")
        lines.append(f"  classDef {action.replace('-', '_')} {style}")
    lines.append("```")
    return lines


def _mermaid_text(text: str) -> str:
    """Text inside a quoted mermaid label: quotes and markup as mermaid entity codes (``<br/>`` kept)."""
    parts = text.split("<br/>")
    return "<br/>".join(re.sub(r'["#<>&`]', lambda m: f"#{ord(m.group())};", part) for part in parts)


def failure_markdown(message: str, context: PlanContext | None = None, problems: Sequence[str] = ()) -> str:
    """The comment of a plan that could not be made: what failed (``message``, ``problems`` one line each).

    The message is the run's one error line, which never holds a secret (the client redacts them).
    """
    error = f"**Error**: {md_text(_cut(message, 2_000))}"
    head = [*_heading("ModelArts plan failed", context or PlanContext()), "", error]
    tail = ["", "No plan was made, so there is nothing to approve or apply from this run."]
    room = _Budget(BUDGET - _size(head) - _size(tail) - _NOTE_RESERVE)
    listed: list[str] = []
    for problem in problems:
        line = _cut(" ".join(problem.split()), 1_000)
        if not room.take([line]):
            break
        listed.append(line)
    block: list[str] = []
    if listed:
        fence = _fence(listed)
        block = ["", fence, *listed, fence]
        if len(listed) < len(problems):
            block.append(f"… and {plural(len(problems) - len(listed), 'more problem')}.")
    return "\n".join([*head, *block, *tail]) + "\n"
