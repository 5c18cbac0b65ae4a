"""DatasetVersionRef: resolve a version (by id, by name, or "current"/"latest"), optionally release it
when missing, and check that it meets the declared requirements.

A release is identified by its version name, so a lost answer or a re-run never releases twice; the
one-release-per-minute rule (ModelArts.4370) and a release already in progress (4343) are waited out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_modelarts.api.errors import APIError, NotFoundError, ServerError, TransportError
from pulumi_modelarts.reconcile import identity
from pulumi_modelarts.reconcile.context import ReconcileContext
from pulumi_modelarts.reconcile.errors import ReconcileError, RequirementsNotMetError, TaskFailedError
from pulumi_modelarts.reconcile.plan import Plan
from pulumi_modelarts.reconcile.spec import ResourceSpec
from pulumi_modelarts.reconcile.status import VERSION_CREATING, VERSION_READY, version_status_name
from pulumi_modelarts.reconcile.waiting import Probe

RELEASE_TOO_SOON = "ModelArts.4370"
NAME_EXISTS = "ModelArts.4371"
RELEASE_RUNNING = "ModelArts.4343"
RELEASE_RETRY_SECONDS = 15.0
PIN_FIELDS = ("version_id", "version_name", "selector")


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


def unmet_requirements(spec: VersionRefSpec, version: Mapping[str, Any]) -> list[str]:
    """Each requirement that does not hold, saying what was found."""
    wanted = spec.requirements
    problems: list[str] = []
    total = int(version.get("total_sample_count") or 0)
    annotated = int(version.get("annotated_sample_count") or 0)
    if wanted.get("status", "ready") == "ready" and version.get("status") != VERSION_READY:
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
    status = version_status_name(version.get("status"))
    return f"'{version.get('version_name')}' ({version.get('version_id')}, {status})"


def plan(ctx: ReconcileContext, spec: VersionRefSpec) -> Plan:
    dataset_id = ctx.observer.dataset_id_for(spec.dataset_id, spec.dataset_name)
    version = resolve(spec, ctx.observer.versions(dataset_id))
    if version is None:
        if spec.release is not None:
            return Plan(
                "create",
                f"release version '{spec.inputs['version_name']}' on dataset {dataset_id}",
                dataset_id=dataset_id,
            )
        return Plan("blocked", f"{spec.describe_pin()} does not exist on dataset {dataset_id}", dataset_id=dataset_id)
    counts = f"{version.get('annotated_sample_count')}/{version.get('total_sample_count')}"
    pinned = f"pin {_describe(version)}: {counts} annotated"
    if version.get("status") == VERSION_CREATING:
        return Plan(
            "wait",
            f"wait for release of {_describe(version)}",
            task_id=version.get("version_id"),
            dataset_id=dataset_id,
            live=version,
        )
    problems = unmet_requirements(spec, version)
    if problems:
        return Plan(
            "blocked",
            f"{pinned}; requirements not met: {'; '.join(problems)}",
            dataset_id=dataset_id,
            live=version,
        )
    return Plan("in-sync", pinned, task_id=version.get("version_id"), dataset_id=dataset_id, live=version)


def _find_by_name(ctx: ReconcileContext, dataset_id: str, name: str) -> dict[str, Any] | None:
    ctx.observer.invalidate(dataset_id, "versions")
    return next((v for v in ctx.observer.versions(dataset_id) if v.get("version_name") == name), None)


def _release(ctx: ReconcileContext, spec: VersionRefSpec, dataset_id: str, deadline: float) -> str:
    release = dict(spec.release or {})
    name = str(spec.inputs["version_name"])
    body = {"version_name": name, **release}
    while True:
        try:
            version_id = ctx.client.create_version(dataset_id, body)
            ctx.observer.invalidate(dataset_id)
            ctx.log(f"{spec.resource_name}: released version '{name}' ({version_id}) on dataset {dataset_id}")
            return version_id
        except (TransportError, ServerError) as lost:
            found = _find_by_name(ctx, dataset_id, name)
            if found is not None:
                return str(found["version_id"])
            raise ReconcileError(
                f"{spec.resource_name}: releasing version '{name}' on dataset {dataset_id} got no answer ({lost});"
                " no version of that name exists, so nothing was released. Re-running is safe."
            ) from None
        except APIError as error:
            if error.error_code == NAME_EXISTS and (found := _find_by_name(ctx, dataset_id, name)) is not None:
                return str(found["version_id"])
            if error.error_code not in (RELEASE_TOO_SOON, RELEASE_RUNNING):
                raise
            remaining = deadline - ctx.clock()
            if remaining <= 0:
                raise ReconcileError(
                    f"{spec.resource_name}: could not release '{name}' within timeout_seconds: {error}"
                ) from None
            ctx.log(f"{spec.resource_name}: {error.error_code} ({error.error_msg}); retrying the release shortly")
            ctx.sleep(min(RELEASE_RETRY_SECONDS * (0.8 + 0.4 * ctx.rng.random()), remaining))


def _wait_ready(
    ctx: ReconcileContext, spec: VersionRefSpec, dataset_id: str, version: dict[str, Any], timeout: float
) -> dict[str, Any]:
    version_id = str(version["version_id"])

    def fetch() -> dict[str, Any]:
        return ctx.client.get_version(dataset_id, version_id)

    def probe(item: dict[str, Any]) -> Probe:
        return Probe(done=item.get("status") != VERSION_CREATING)

    def timeout_message(item: dict[str, Any]) -> str:
        return f"{spec.resource_name}: version {_describe(item)} is still being released after {timeout:.0f}s"

    return ctx.waiter(spec.resource_name, fetch, probe, timeout, timeout_message).run(version)


def ensure(ctx: ReconcileContext, spec: VersionRefSpec) -> dict[str, Any]:
    start = ctx.clock()
    deadline = start + spec.timeout_seconds
    dataset_id = ctx.observer.dataset_id_for(spec.dataset_id, spec.dataset_name)
    version = resolve(spec, ctx.observer.versions(dataset_id))
    released = False
    if version is None:
        if spec.release is None:
            raise NotFoundError(
                f"{spec.resource_name}: {spec.describe_pin()} does not exist on dataset {dataset_id}"
                " (add `release:` to release it when missing)",
                error_code="ModelArts.4353",
            )
        version_id = _release(ctx, spec, dataset_id, deadline)
        released = True
        version = ctx.client.get_version(dataset_id, version_id)
    if version.get("status") == VERSION_CREATING and spec.wait:
        version = _wait_ready(ctx, spec, dataset_id, version, max(0.0, deadline - ctx.clock()))
    if version.get("status") == 4:
        raise TaskFailedError(
            f"{spec.resource_name}: version {_describe(version)} is in error: {version.get('message') or ''}".rstrip()
        )
    problems = unmet_requirements(spec, version)
    if problems:
        raise RequirementsNotMetError(
            f"{spec.resource_name}: {spec.describe_pin()} resolved to {_describe(version)} on dataset {dataset_id},"
            f" which does not meet its requirements: {'; '.join(problems)}"
        )
    outputs = version_outputs(version, dataset_id)
    outputs["released"] = released
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
