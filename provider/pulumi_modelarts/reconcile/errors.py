"""Errors of the reconcile layer: outcomes of tasks and checks, each with a message a user can act on."""

from __future__ import annotations

from pulumi_modelarts.api.errors import ModelArtsError


class ReconcileError(ModelArtsError):
    """A desired state that cannot be reached as declared."""


class TaskFailedError(ReconcileError):
    """The task reached a failed or stopped state; carries ModelArts' error code and message."""


class WaitTimeoutError(ReconcileError):
    """The task is still running when ``timeout_seconds`` ran out; the next run resumes waiting on it."""


class RequirementsNotMetError(ReconcileError):
    """A DatasetVersionRef's requirements do not hold for the version it resolved to."""


class ConflictError(ReconcileError):
    """Something else on the dataset stands in the way (another running task, a name in use)."""


class ChangedSinceApprovalError(ReconcileError):
    """The live API moved between plan (or preview) and apply: nothing was written for this resource."""
