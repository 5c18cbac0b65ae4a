"""One exception family for everything the ModelArts API (or the road to it) can answer.

Every error carries the HTTP status, ModelArts' ``error_code`` and ``error_msg`` and the
request id when there is one. ``str()`` never contains credentials: messages are built only
from the response body, the method and the path template.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Any, TypeVar


class Meaning(Enum):
    """What an error code tells the caller to do; reconcile code asks ``meaning_of``, never a literal."""

    NOT_FOUND = "not found"
    ALREADY_RUNNING = "a task of this kind already runs on the dataset"
    TOO_MANY_TASKS = "too many tasks run on the dataset"
    NAME_TAKEN = "the name is already used"
    RELEASE_THROTTLED = "only one version release per minute"
    RELEASE_RUNNING = "a version release is in progress"
    RELEASE_LOCK = "the dataset is locked by a version release"
    NOT_RUNNING = "the task is not running (stopped, failed or finished)"
    THROTTLED = "too many requests"


# ModelArts error codes (NOTES §5.3, S2) with what they mean to this client.
ERROR_CODES: dict[str, Meaning] = {
    "ModelArts.4338": Meaning.NOT_FOUND,  # dataset or labeling task id does not exist
    "ModelArts.4352": Meaning.NOT_FOUND,  # dataset does not exist
    "ModelArts.4353": Meaning.NOT_FOUND,  # dataset version does not exist
    "ModelArts.4359": Meaning.NOT_FOUND,  # export task does not exist
    "ModelArts.4612": Meaning.NOT_FOUND,  # task not found
    "ModelArts.4631": Meaning.NOT_FOUND,
    "ModelArts.4636": Meaning.NOT_FOUND,
    "ModelArts.4700": Meaning.NOT_FOUND,
    "ModelArts.4385": Meaning.ALREADY_RUNNING,  # auto-deploy task running (HTTP 501)
    "ModelArts.4386": Meaning.ALREADY_RUNNING,  # auto-labeling task running (HTTP 501)
    "ModelArts.4387": Meaning.ALREADY_RUNNING,  # pre-labeling task running (HTTP 501)
    "ModelArts.4356": Meaning.ALREADY_RUNNING,  # an import task is running on the dataset (HTTP 400)
    "ModelArts.4964": Meaning.ALREADY_RUNNING,  # auto-grouping task running (sent with HTTP 200)
    "ModelArts.4409": Meaning.TOO_MANY_TASKS,  # running tasks exceed the threshold
    "ModelArts.4351": Meaning.NAME_TAKEN,  # dataset name exists
    "ModelArts.4371": Meaning.NAME_TAKEN,  # version name exists
    "ModelArts.4391": Meaning.NAME_TAKEN,  # task name used in the dataset
    "ModelArts.4370": Meaning.RELEASE_THROTTLED,  # "try again in N s"
    "ModelArts.4343": Meaning.RELEASE_RUNNING,  # dataset is publishing a version
    "ModelArts.4381": Meaning.RELEASE_LOCK,  # dataset is publishing, annotation is forbidden
    "ModelArts.4821": Meaning.RELEASE_LOCK,  # task is publishing, starting auto-labeling is forbidden
    "ModelArts.4392": Meaning.NOT_RUNNING,  # task failed
    "ModelArts.4393": Meaning.NOT_RUNNING,  # task stopped (or already finished)
    "ModelArts.2799": Meaning.THROTTLED,
    "ModelArts.4206": Meaning.THROTTLED,
    "ModelArts.4395": Meaning.THROTTLED,
    "ModelArts.6101": Meaning.THROTTLED,
    "APIG.0308": Meaning.THROTTLED,
    "APIGW.0308": Meaning.THROTTLED,
}
_TRY_AGAIN = re.compile(r"(?:try again|retry)\D{0,20}?(\d+(?:\.\d+)?)\s*(?:s\b|sec|second)", re.IGNORECASE)


def meaning_of(error: BaseException | str | None) -> Meaning | None:
    """The meaning of an error (or of an error code), or None for a code the table does not know."""
    code = error if isinstance(error, str) or error is None else getattr(error, "error_code", None)
    return ERROR_CODES.get(code or "")


def try_again_seconds(message: str | None) -> float | None:
    """The wait a message asks for ("... try again in 42 s."), if it names one."""
    match = _TRY_AGAIN.search(message or "")
    return float(match.group(1)) if match else None


class ModelArtsError(Exception):
    """Base of every error this package raises about the API."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        error_code: str | None = None,
        error_msg: str | None = None,
        request_id: str | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.error_code = error_code
        self.error_msg = error_msg
        self.request_id = request_id
        self.method = method
        self.path = path

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.args[0]!r}, status_code={self.status_code}, error_code={self.error_code!r})"
        )


class ConfigurationError(ModelArtsError):
    """A missing or contradictory setting; the message names the setting and where to give it."""


_E = TypeVar("_E", bound="APIError")


class APIError(ModelArtsError):
    """The API answered with an error status."""

    @classmethod
    def like(cls: type[_E], error: ModelArtsError, message: str) -> _E:
        """This class of error with ``message`` and every detail of ``error`` (status, codes, request)."""
        return cls(
            message,
            status_code=error.status_code,
            error_code=error.error_code,
            error_msg=error.error_msg,
            request_id=error.request_id,
            method=error.method,
            path=error.path,
        )


class NotFoundError(APIError):
    """The not-found family: 400 with ModelArts.4352/4353/4359/4612/4700..., a real 404, or an import task
    answered with status NOT_EXIST."""


class AlreadyRunningError(APIError):
    """Another task of the same kind already runs on the dataset (ModelArts.4385/4386/4387, HTTP 501;
    ModelArts.4356 for an import, HTTP 400; or ModelArts.4964 for auto-grouping, answered with HTTP 200 and
    no task_id)."""


class ThrottledError(APIError):
    """HTTP 429 or a throttling code; ``retry_after`` holds the server's hint in seconds, if any."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class AuthenticationError(APIError):
    """401/403 about credentials (APIG.0301, ModelArts.02xx)."""


class ServerError(APIError):
    """5xx other than the 501 'already running' family."""


class TransportError(ModelArtsError):
    """The request did not get an answer: connection refused or dropped, or a timeout.

    For a request that creates something, the outcome is unknown: it may have been committed.
    """


class ResponseLostError(TransportError):
    """A create call whose response was lost; ``ambiguous`` is always true."""

    ambiguous = True


def error_class_for(status_code: int, error_code: str | None) -> type[APIError]:
    code = error_code or ""
    meaning = meaning_of(code)
    if meaning is Meaning.NOT_FOUND or status_code == 404:
        return NotFoundError
    if meaning is Meaning.ALREADY_RUNNING:
        return AlreadyRunningError
    if status_code == 429 or meaning is Meaning.THROTTLED:
        return ThrottledError
    if status_code == 401 or code.startswith("APIG.03") or code.startswith("ModelArts.02"):
        return AuthenticationError
    if status_code >= 500 and status_code != 501:
        return ServerError
    return APIError
