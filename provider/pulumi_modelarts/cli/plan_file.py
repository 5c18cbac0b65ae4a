"""The plan as a document: what ``plan --format json`` prints and ``plan --out FILE`` saves, and the checks
``apply --plan FILE`` makes before carrying it out.

A saved plan is a contract. It records a digest of every spec file read, where it was planned
(endpoint host, region, project, namespace; never a credential), and per resource its decision: the
action, every write (kind, dataset, target, request body), the ids it targets and the facts it rests
on. ``apply --plan`` refuses the whole file, before any call, when it is not a plan or the specs or
target differ; per resource it then refuses anything the fresh decision would do beyond it
(``reconcile.contract``). The same state gives the same bytes: nothing here depends on the clock.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pulumi_modelarts import __version__
from pulumi_modelarts.cli.orphans import OrphanReport
from pulumi_modelarts.cli.runner import ResourceResult
from pulumi_modelarts.reconcile import unknown
from pulumi_modelarts.reconcile.contract import Approved
from pulumi_modelarts.reconcile.decision import Decision, Write
from pulumi_modelarts.specs import SpecProblem, SpecSet

FORMAT = "pulumi-modelarts/plan"
FORMAT_VERSION = 1


class PlanFileError(Exception):
    """A plan file that cannot be applied here, with every reason (one line each)."""

    def __init__(self, reasons: Sequence[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = list(reasons)


@dataclass(frozen=True)
class Target:
    """Where a plan was made and may be applied: never a credential."""

    endpoint_host: str
    region: str | None
    project_id: str | None
    namespace: str
    emulator: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "endpoint_host": self.endpoint_host,
            "region": self.region,
            "project_id": self.project_id,
            "namespace": self.namespace,
            "emulator": self.emulator,
        }


def target_of(settings: Any, namespace: str, *, project_id: str | None = None, emulator: bool = False) -> Target:
    return Target(
        endpoint_host=urlsplit(settings.endpoint).netloc,
        region=settings.region,
        project_id=project_id or settings.project_id,
        namespace=namespace,
        emulator=emulator,
    )


def spec_files(spec_set: SpecSet) -> list[dict[str, str]]:
    """Each spec file read, by path relative to here, with the sha256 of its bytes."""
    files = []
    for path in spec_set.files:
        shown = os.path.relpath(path) if Path(path).is_absolute() else str(path)
        files.append({"path": Path(shown).as_posix(), "sha256": hashlib.sha256(Path(path).read_bytes()).hexdigest()})
    return sorted(files, key=lambda item: item["path"])


def specs_digest(files: Sequence[Mapping[str, str]]) -> str:
    joined = "\n".join(f"{item['path']}\0{item['sha256']}" for item in files)
    return "sha256:" + hashlib.sha256(joined.encode()).hexdigest()


def _action(result: ResourceResult) -> str:
    if result.failed:
        return "error"
    if result.skipped is not None or result.decision is None:
        return "skipped"
    return result.decision.action


def _dataset_id(decision: Decision) -> Any:
    """The dataset a decision acts on: its own, else the one its writes name (a deferred decision's)."""
    if decision.dataset_id is not None:
        return decision.dataset_id
    named = {repr(write.dataset_id): write.dataset_id for write in decision.writes if write.dataset_id is not None}
    return next(iter(named.values())) if len(named) == 1 else None


def resource_document(
    result: ResourceResult, depends_on: Iterable[str], declared: Mapping[str, Any], *, timings: bool = False
) -> dict[str, Any]:
    """One resource of the plan document; ``declared`` are its properties as written (for a dataset id given
    literally when the resource was not planned)."""
    item: dict[str, Any] = {"name": result.name, "type": result.type_token, "depends_on": sorted(depends_on)}
    decision = result.decision
    literal = declared.get("dataset_id")
    item["dataset_id"] = literal if isinstance(literal, str) and "${" not in literal else None
    if result.error is not None:
        item.update(action="error", error=result.error)
    elif result.skipped is not None:
        item.update(action="skipped", skipped=result.skipped)
    elif decision is not None:
        item.update(
            action=decision.action,
            summary=decision.summary,
            dataset_id=unknown.to_json(_dataset_id(decision)),
            target_id=decision.target_id,
            writes=[write.to_json() for write in decision.writes],
            changes=[unknown.to_json({"path": c.path, "old": c.old, "new": c.new}) for c in decision.changes],
            facts=unknown.to_json(decision.facts),
        )
        if decision.blocked is not None:
            item["blocked"] = decision.blocked
        if decision.skipped_counts:  # samples an acceptance leaves, by reason, next to its count
            item["skipped_counts"] = dict(sorted(decision.skipped_counts.items()))
    item["inputs"] = unknown.to_json(result.inputs) if result.inputs is not None else None
    if result.outputs is not None:
        item["outputs"] = unknown.to_json(result.outputs)
    if timings:
        item["seconds"] = round(result.seconds, 3)
    return item


def document(
    results: Sequence[ResourceResult],
    spec_set: SpecSet | None,
    paths: Sequence[str],
    target: Target | None,
    *,
    error: str | None = None,
    orphans: OrphanReport | None = None,
    problems: Sequence[SpecProblem] = (),
    extra: Mapping[str, Any] | None = None,
    timings: bool = False,
) -> dict[str, Any]:
    """The plan document (``--format json`` and ``--out``): the same state gives the same bytes.

    A plan that could not be made (invalid specs, settings, rejected credentials) is the same document with
    ``ok: false``: ``specs`` is null when the specs could not be read, ``target`` when no settings were
    resolved, and ``problems`` lists what is wrong in the specs.
    """
    orphans = orphans or OrphanReport()
    counts = Counter(_action(item) for item in results)
    specs = None
    if spec_set is not None:
        files = spec_files(spec_set)
        specs = {"paths": list(paths), "files": files, "digest": specs_digest(files)}
    resources = [
        resource_document(
            item,
            spec_set.resources[item.name].dependencies if spec_set else (),
            spec_set.resources[item.name].properties if spec_set else {},
            timings=timings,
        )
        for item in results
    ]
    pending = any(item.decision is not None and item.decision.pending for item in results) or bool(orphans.writes)
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "tool_version": __version__,
        "ok": error is None,
        "error": error,
        "specs": specs,
        "target": target.to_json() if target is not None else None,
        "summary": dict(sorted(counts.items())),
        "changes_pending": pending,
        "blocked": [item.name for item in results if item.blocked],
        "failed": [item.name for item in results if item.failed],
        "resources": resources,
        "orphans": orphans.to_json(),
        **({"problems": [asdict(problem) for problem in problems]} if problems else {}),
        **(extra or {}),
    }


# Without an indent, json encodes in C: about ten times faster than its indenting encoder, written in Python.
_ONE_LINE = json.JSONEncoder(ensure_ascii=False, default=str)


def dumps(plan: Mapping[str, Any]) -> str:
    """The document as text: a mapping a key a line and a list an item a line, indented by two, except that
    an object in a list (a resource, an orphaned task, a problem, a spec file) is one line of its own."""
    return _lines(plan, "") + "\n"


def _lines(value: Any, indent: str) -> str:
    inner = indent + "  "
    if isinstance(value, dict) and value:
        items = [f"{inner}{_ONE_LINE.encode(str(key))}: {_lines(item, inner)}" for key, item in value.items()]
    elif isinstance(value, list | tuple) and value:
        items = [inner + (_ONE_LINE.encode(item) if isinstance(item, dict) else _lines(item, inner)) for item in value]
    else:
        return _ONE_LINE.encode(value)
    opening, closing = ("{", "}") if isinstance(value, dict) else ("[", "]")
    return f"{opening}\n" + ",\n".join(items) + f"\n{indent}{closing}"


def write(path: str, plan: Mapping[str, Any]) -> str:
    """Save the plan; returns its digest (sha256 of the file's bytes), which the markdown comment quotes."""
    text = dumps(plan)
    Path(path).write_text(text, encoding="utf-8")
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


# --- apply --plan -------------------------------------------------------------------------------------


def load(path: str) -> dict[str, Any]:
    """The saved plan in ``path``; PlanFileError when it cannot be read or is not a plan of this tool."""
    try:
        plan = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise PlanFileError([f"cannot read the plan file {path}: {error.strerror or error}"]) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise PlanFileError([f"{path} is not a plan file: not JSON ({error})"]) from None
    if not isinstance(plan, dict) or plan.get("format") != FORMAT:
        raise PlanFileError([f"{path} is not a plan file of pulumi-modelarts (written by `plan --out`)"])
    if plan.get("format_version") != FORMAT_VERSION:
        raise PlanFileError(
            [f"{path} is a plan of format {plan.get('format_version')!r}; this tool applies format {FORMAT_VERSION}"]
        )
    if not isinstance(plan.get("resources"), list) or not isinstance(plan.get("specs"), dict):
        raise PlanFileError([f"{path} is not a complete plan file (no resources or specs)"])
    return plan


def paths_of(plan: Mapping[str, Any]) -> list[str]:
    return [str(path) for path in plan["specs"].get("paths") or ["specs"]]


def refusals(plan: Mapping[str, Any], spec_set: SpecSet, target: Target) -> list[str]:
    """Why this plan cannot be applied here and now, whole (empty: it can)."""
    reasons: list[str] = []
    files = spec_files(spec_set)
    if specs_digest(files) != plan["specs"].get("digest"):
        planned = {item["path"]: item["sha256"] for item in plan["specs"].get("files") or []}
        now = {item["path"]: item["sha256"] for item in files}
        changed = sorted(path for path in set(planned) | set(now) if planned.get(path) != now.get(path))
        reasons.append(f"the spec files differ from the planned ones: {', '.join(changed) or 'their paths'}")
    planned_target = plan.get("target") or {}
    for key, label in (("endpoint_host", "endpoint"), ("region", "region"), ("namespace", "namespace")):
        if planned_target.get(key) != getattr(target, key):
            reasons.append(
                f"the {label} is {getattr(target, key)!r}, the plan was made for {planned_target.get(key)!r}"
            )
    if target.project_id is not None and planned_target.get("project_id") not in (None, target.project_id):
        reasons.append(f"the project is {target.project_id}, the plan was made for {planned_target.get('project_id')}")
    if planned_target.get("emulator"):
        reasons.append("the plan was made against an embedded emulator, whose state ends with its run")
    if plan.get("tool_version") != __version__:
        reasons.append(f"the plan was made by pulumi-modelarts {plan.get('tool_version')}, this is {__version__}")
    failed = plan.get("failed") or []
    blocked = plan.get("blocked") or []
    if failed or blocked or plan.get("ok") is False:
        what = ", ".join([*failed, *blocked]) or str(plan.get("error"))
        reasons.append(f"the plan did not succeed ({what}): there is nothing approved to apply")
    return reasons


def pruned(plan: Mapping[str, Any]) -> bool:
    """Whether the plan was made with ``--prune`` (its orphans' stops are approved)."""
    orphans = plan.get("orphans")
    return isinstance(orphans, Mapping) and orphans.get("prune") is True


def orphan_stops(plan: Mapping[str, Any]) -> list[Write]:
    """The stops of orphaned tasks that a plan made with ``--prune`` approves (none otherwise)."""
    if not pruned(plan):
        return []
    return [
        Write.from_json(write)
        for task in plan["orphans"].get("tasks") or ()
        for write in task.get("writes") or ()
        if write.get("kind") == "stop-task"
    ]


def approvals(plan: Mapping[str, Any]) -> dict[str, Approved]:
    """The approved decision of each resource of a saved plan."""
    approved: dict[str, Approved] = {}
    for item in plan["resources"]:
        if isinstance(item, Mapping) and item.get("action") not in (None, "error", "skipped"):
            approved[str(item["name"])] = Approved.from_json(item)
    return approved
