"""DatasetVersionRef: resolve a version (by id, by name, or "current"/"latest"), optionally release it
when missing, and check that it meets the declared requirements.

A release is identified by its version name, so a lost answer or a re-run never releases twice; the
one-release-per-minute rule (ModelArts.4370) and a release already in progress (4343) are waited out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_modelarts.api.errors import (
    APIError,
    Meaning,
    NotFoundError,
    ServerError,
    TransportError,
    meaning_of,
    try_again_seconds,
)
from pulumi_modelarts.reconcile import identity
from pulumi_modelarts.reconcile.context import ReconcileContext
from pulumi_modelarts.reconcile.decision import Decision, Write, blocked
from pulumi_modelarts.reconcile.errors import (
    ChangedSinceApprovalError,
    ReconcileError,
    RequirementsNotMetError,
    TaskFailedError,
)
from pulumi_modelarts.reconcile.importing import fit_inputs
from pulumi_modelarts.reconcile.locks import Deadline
from pulumi_modelarts.reconcile.spec import ResourceSpec
from pulumi_modelarts.reconcile.status import (
    VERSION_CREATING,
    VERSION_ERROR,
    VERSION_GONE,
    VERSION_READY,
    VERSION_SETTLED,
    version_status_name,
)
from pulumi_modelarts.reconcile.unknown import Text, Unknown, first_unknown
from pulumi_modelarts.reconcile.waiting import Probe

RELEASE_RETRY_SECONDS = 15.0  # when the API does not say how long to wait
RELEASE_MARGIN_SECONDS = 1.0
PIN_FIELDS = ("version_id", "version_name", "selector")
COUNT_REQUIREMENTS = ("min_total_samples", "min_annotated_samples", "min_annotated_ratio")


@dataclass(frozen=True)
class VersionRefSpec(ResourceSpec):
    @property
    def selector(self) -> str | None:
        return self.inputs.get("selector")

    @property
    def release(self) -> Mapping[str, Any] | None:
        release = self.inputs.get("release")
        return release if isinstance(release, Mapping) else None

    @property
    def requirements(self) -> Mapping[str, Any]:
        return self.inputs.get("requirements") or {"status": "ready"}

    @property
    def fingerprint(self) -> str:
        """Identity of the pin (not of the requirements, which are checked in place)."""
        pin = {key: self.inputs.get(key) for key in ("dataset_id", "dataset_name", *PIN_FIELDS, "release")}
        return identity.fingerprint({key: value for key, value in pin.items() if value is not None})

    def describe_pin(self) -> str:
        if self.inputs.get("version_id"):
            return f"version id {self.inputs['version_id']}"
        if self.inputs.get("version_name"):
            return f"version '{self.inputs['version_name']}'"
        return f"the {self.selector} version"


def _live(version: Mapping[str, Any]) -> bool:
    return version.get("status") in (VERSION_CREATING, VERSION_READY)


def resolve(spec: VersionRefSpec, versions: list[dict[str, Any]]) -> dict[str, Any] | None:
    if spec.inputs.get("version_id"):
        return next((v for v in versions if v.get("version_id") == spec.inputs["version_id"]), None)
    if spec.inputs.get("version_name"):
        return next((v for v in versions if v.get("version_name") == spec.inputs["version_name"]), None)
    if spec.selector == "current":
        return next((v for v in versions if v.get("is_current")), None)
    candidates = [v for v in versions if _live(v)]
    return max(candidates, key=lambda v: v.get("create_time") or 0, default=None)


def unmet_requirements(spec: VersionRefSpec, version: Mapping[str, Any], *, settled_later: bool = False) -> list[str]:
    """Each requirement that does not hold, saying what was found (``settled_later``: status not judged yet)."""
    wanted = spec.requirements
    problems: list[str] = []
    total = int(version.get("total_sample_count") or 0)
    annotated = int(version.get("annotated_sample_count") or 0)
    ready_required = wanted.get("status", "ready") == "ready"
    if ready_required and not settled_later and version.get("status") != VERSION_READY:
        problems.append(f"status is {version_status_name(version.get('status'))}, required ready")
    if (minimum := wanted.get("min_total_samples")) is not None and total < minimum:
        problems.append(f"total_sample_count is {total}, required at least {minimum}")
    if (minimum := wanted.get("min_annotated_samples")) is not None and annotated < minimum:
        problems.append(f"annotated_sample_count is {annotated}, required at least {minimum}")
    if (minimum := wanted.get("min_annotated_ratio")) is not None:
        ratio = annotated / total if total else 0.0
        if ratio < float(minimum):
            problems.append(f"annotated ratio is {ratio:.3f} ({annotated}/{total}), required at least {minimum}")
    return problems


def _describe(version: Mapping[str, Any]) -> str:
    status = version.get("status")
    name = version_status_name(status)
    name = name if name != "unknown" else f"unknown status {status!r}"
    return f"'{version.get('version_name')}' ({version.get('version_id')}, {name})"


def _settled(version: Mapping[str, Any]) -> bool:
    """Done being released (ready or error) or going away; creating or an unknown status is not settled."""
    return version.get("status") in VERSION_SETTLED


@dataclass(frozen=True)
class VersionObservation:
    dataset_id: str
    version: Mapping[str, Any] | None  # what the pin resolves to now
    dataset: Mapping[str, Any] | None = None  # the dataset's counts, read when a release's gate needs them
    upstream: tuple[str, ...] = ()  # resources of this run whose pending writes change the dataset's counts


def observe(ctx: ReconcileContext, spec: VersionRefSpec, *, fresh: bool = False) -> VersionObservation:
    dataset_id = ctx.observer.dataset_id_for(spec.dataset_id, spec.dataset_name)
    if fresh:
        ctx.observer.invalidate(dataset_id, "versions")
    version = resolve(spec, ctx.observer.versions(dataset_id))
    if version is not None or spec.release is None or not _count_gates(spec):
        return VersionObservation(dataset_id, version)
    return VersionObservation(
        dataset_id, None, ctx.observer.dataset(dataset_id), ctx.pending.changing_counts(dataset_id)
    )


def _count_gates(spec: VersionRefSpec) -> bool:
    return any(spec.requirements.get(key) is not None for key in COUNT_REQUIREMENTS)


def _release_decision(observed: VersionObservation, spec: VersionRefSpec) -> Decision:
    """Release the missing version, judging the requirements on the dataset first: a release is irreversible."""
    dataset_id = observed.dataset_id
    name = str(spec.inputs["version_name"])
    body = {"version_name": name, **dict(spec.release or {})}
    write = Write("release-version", f"release version '{name}' on dataset {dataset_id}", dataset_id, name, body)
    if observed.dataset is None:
        return Decision("create", write.text, dataset_id, (write,))
    counts = {
        "total_sample_count": int(observed.dataset.get("total_sample_count") or 0),
        "annotated_sample_count": int(observed.dataset.get("annotated_sample_count") or 0),
    }
    problems = unmet_requirements(spec, counts, settled_later=True)
    facts = {"dataset_counts": counts}
    now = f"{counts['annotated_sample_count']}/{counts['total_sample_count']} annotated"
    if not problems:
        return Decision(
            "create", f"{write.text}; requirements met by the dataset ({now})", dataset_id, (write,), observed=facts
        )
    if observed.upstream:
        summary = (
            f"{write.text}, if the requirements hold once {', '.join(observed.upstream)} has written (judged again"
            f" just before releasing; now {now}: {'; '.join(problems)})"
        )
        return Decision("create", summary, dataset_id, (write,), observed={**facts, "gate": "after upstream writes"})
    return blocked(
        f"release of '{name}' would not meet the requirements, so nothing is released: {'; '.join(problems)}",
        "requirements",
        dataset_id,
    )


def decide(observed: VersionObservation, spec: VersionRefSpec) -> Decision:
    """The one decision for this reference; the CLI renders and carries it out, the Pulumi adapters map it."""
    dataset_id = observed.dataset_id
    version = observed.version
    if version is None:
        if spec.release is not None:
            return _release_decision(observed, spec)
        return blocked(
            f"{spec.describe_pin()} does not exist on dataset {dataset_id} (add `release:` to release it when missing)",
            "missing",
            dataset_id,
        )
    status = version.get("status")
    if status == VERSION_ERROR:
        reason = version.get("message") or "no reason given by the API"
        return blocked(f"version {_describe(version)} is in error: {reason}", "failed", dataset_id, target=version)
    if status in VERSION_GONE:
        return blocked(f"version {_describe(version)} is being deleted", "deleting", dataset_id, target=version)
    counts = f"{version.get('annotated_sample_count')}/{version.get('total_sample_count')}"
    pinned = f"pin {_describe(version)}: {counts} annotated"
    settled = _settled(version)
    problems = unmet_requirements(spec, version, settled_later=not settled and spec.wait)
    if problems:
        summary = f"{pinned}; requirements not met: {'; '.join(problems)}"
        return blocked(summary, "requirements", dataset_id, target=version)
    if not settled and spec.wait:
        return Decision("wait", f"wait for release of {_describe(version)}", dataset_id, target=version)
    return Decision("in-sync", pinned, dataset_id, target=version)


def _find_by_name(ctx: ReconcileContext, dataset_id: str, name: str) -> dict[str, Any] | None:
    ctx.observer.invalidate(dataset_id, "versions")
    return next((v for v in ctx.observer.versions(dataset_id) if v.get("version_name") == name), None)


def _judge_gate(ctx: ReconcileContext, spec: VersionRefSpec, dataset_id: str) -> None:
    """Just before the irreversible release: the requirements that counts can judge, on the dataset now."""
    if not _count_gates(spec):
        return
    ctx.observer.invalidate(dataset_id, "dataset")
    dataset = ctx.observer.dataset(dataset_id)
    problems = unmet_requirements(spec, dataset, settled_later=True)
    if problems:
        raise RequirementsNotMetError(
            f"{spec.resource_name}: release of '{spec.inputs['version_name']}' would not meet the requirements, so"
            f" nothing was released: {'; '.join(problems)}"
        )


def _release(ctx: ReconcileContext, spec: VersionRefSpec, write: Write, deadline: Deadline) -> str:
    """Send the release (waiting out the one-per-minute rule); a lost answer adopts what it committed."""
    dataset_id, name = str(write.dataset_id), str(write.target)
    _judge_gate(ctx, spec, dataset_id)
    body = dict(write.body or {})
    while True:
        try:
            version_id = ctx.client.create_version(dataset_id, body)
            ctx.log(f"{spec.resource_name}: released version '{name}' ({version_id}) on dataset {dataset_id}")
            return version_id
        except (TransportError, ServerError) as lost:
            found = _find_by_name(ctx, dataset_id, name)
            if found is not None:
                ctx.log(
                    f"{spec.resource_name}: the answer was lost after the release; it was committed as"
                    f" {found['version_id']}"
                )
                return str(found["version_id"])
            raise ReconcileError(
                f"{spec.resource_name}: releasing version '{name}' on dataset {dataset_id} got no answer ({lost});"
                " no version of that name exists, so nothing was released. Re-running is safe."
            ) from None
        except APIError as error:
            meaning = meaning_of(error)
            if meaning is Meaning.NAME_TAKEN:
                found = _find_by_name(ctx, dataset_id, name)
                raise ChangedSinceApprovalError(
                    f"{spec.resource_name}: changed since the plan: version '{name}' was released meanwhile by"
                    f" someone else ({found.get('version_id') if found else 'not listed'}); nothing was released."
                    " The next plan pins it."
                ) from None
            if meaning not in (Meaning.RELEASE_THROTTLED, Meaning.RELEASE_RUNNING, Meaning.RELEASE_LOCK):
                raise
            asked = try_again_seconds(error.error_msg)
            delay = asked + RELEASE_MARGIN_SECONDS if asked is not None else RELEASE_RETRY_SECONDS
            if delay > deadline.remaining:
                raise ReconcileError(
                    f"{spec.resource_name}: could not release '{name}' within timeout_seconds"
                    f" ({deadline.seconds:.0f}s): {error}"
                ) from None
            ctx.log(
                f"{spec.resource_name}: {error.error_code} ({error.error_msg}); retrying the release in {delay:.0f}s"
            )
            ctx.sleep(delay)
        finally:
            ctx.observer.invalidate(dataset_id)


def _wait_ready(
    ctx: ReconcileContext, spec: VersionRefSpec, dataset_id: str, version: Mapping[str, Any], timeout: float
) -> dict[str, Any]:
    version_id = str(version["version_id"])

    def fetch() -> dict[str, Any]:
        return ctx.client.get_version(dataset_id, version_id)

    def probe(item: dict[str, Any]) -> Probe:
        return Probe(done=_settled(item))

    def timeout_message(item: dict[str, Any]) -> str:
        return f"{spec.resource_name}: version {_describe(item)} is not released after {timeout:.0f}s (timeout_seconds)"

    return ctx.waiter(spec.resource_name, fetch, probe, timeout, timeout_message).run(dict(version))


_ERRORS: dict[str | None, type[ReconcileError]] = {
    "failed": TaskFailedError,
    "requirements": RequirementsNotMetError,
}


def refusal(spec: VersionRefSpec, decision: Decision) -> Exception:
    """The error of a blocked decision (a missing version is the API's not-found)."""
    message = f"{spec.resource_name}: {decision.summary}"
    if decision.blocked == "missing":
        return NotFoundError(message, error_code="ModelArts.4353")
    return _ERRORS.get(decision.blocked, ReconcileError)(message)


def execute(ctx: ReconcileContext, spec: VersionRefSpec, decision: Decision) -> dict[str, Any]:
    """Carry out ``decision``: release when it says so, wait, check the requirements; returns the outputs."""
    if decision.action == "blocked":
        raise refusal(spec, decision)
    deadline = Deadline(ctx, spec.timeout_seconds)
    dataset_id = str(decision.dataset_id)
    release = decision.first("release-version")
    if release is not None:
        version: Mapping[str, Any] = ctx.client.get_version(dataset_id, _release(ctx, spec, release, deadline))
    else:
        version = decision.target or {}
    if not _settled(version) and spec.wait:
        version = _wait_ready(ctx, spec, dataset_id, version, deadline.remaining)
    if version.get("status") == VERSION_ERROR:
        raise TaskFailedError(
            f"{spec.resource_name}: version {_describe(version)} is in error: {version.get('message')}"
        )
    problems = unmet_requirements(spec, version, settled_later=not spec.wait)
    if problems:
        raise RequirementsNotMetError(
            f"{spec.resource_name}: version {_describe(version)}: requirements not met: {'; '.join(problems)}"
        )
    outputs = version_outputs(version, dataset_id)
    outputs["released"] = release is not None
    outputs["fingerprint"] = spec.fingerprint
    return outputs


def resolve_live(ctx: ReconcileContext, spec: VersionRefSpec) -> dict[str, Any] | None:
    dataset_id = ctx.observer.dataset_id_for(spec.dataset_id, spec.dataset_name)
    return resolve(spec, ctx.observer.versions(dataset_id))


def version_outputs(version: Mapping[str, Any], dataset_id: str) -> dict[str, Any]:
    total = int(version.get("total_sample_count") or 0)
    annotated = int(version.get("annotated_sample_count") or 0)
    return {
        "version_id": version.get("version_id"),
        "version_name": version.get("version_name"),
        "dataset_id": dataset_id,
        "status": version.get("status"),
        "status_name": version_status_name(version.get("status")),
        "manifest_path": version.get("manifest_path"),
        "data_path": version.get("data_path"),
        "total_sample_count": total,
        "annotated_sample_count": annotated,
        "annotated_ratio": round(annotated / total, 6) if total else 0.0,
        "is_current": bool(version.get("is_current")),
        "create_time": version.get("create_time"),
    }


def read(ctx: ReconcileContext, dataset_id: str, version_id: str) -> dict[str, Any] | None:
    try:
        version = ctx.client.get_version(dataset_id, version_id)
    except NotFoundError:
        return None
    if version.get("status") in (2, 3):
        return None
    return version_outputs(version, dataset_id)


def deferred(spec: VersionRefSpec) -> Decision:
    """Inputs known only after apply: the release this resource may make then (a pin makes no write)."""
    reference = first_unknown(spec.inputs) or Unknown(spec.resource_name)
    summary = f"inputs known after apply ({reference.reference}); decided then, within the writes listed"
    if spec.release is None:
        return Decision("create", summary)
    dataset_id: Text | None = spec.dataset_id or Unknown(f"{spec.resource_name}.dataset_id")
    name = spec.inputs.get("version_name")
    body = {"version_name": name, **dict(spec.release)}
    write = Write(
        "release-version", f"release version '{name}' if missing, requirements judged first", dataset_id, name, body
    )
    return Decision("create", summary, None, (write,))


def import_inputs(
    ctx: ReconcileContext, name: str, namespace: str, dataset_id: str, version_id: str
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """``pulumi import``: a pin of this live version by id, and its outputs; None when it does not exist."""
    live = read(ctx, dataset_id, version_id)
    if live is None:
        return None
    inputs = fit_inputs("modelarts:DatasetVersionRef", {"dataset_id": dataset_id, "version_id": version_id})
    live["released"] = False
    live["fingerprint"] = VersionRefSpec(name, inputs, namespace).fingerprint
    return inputs, live
