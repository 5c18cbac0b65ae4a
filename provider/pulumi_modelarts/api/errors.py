"""One exception family for everything the ModelArts API (or the road to it) can answer.

Every error carries the HTTP status, ModelArts' ``error_code`` and ``error_msg`` and the
request id when there is one. ``str()`` never contains credentials: messages are built only
from the response body, the method and the path template.
"""

from __future__ import annotations

from typing import Any

NOT_FOUND_CODES = frozenset(
    {
        "ModelArts.4352",  # dataset does not exist
        "ModelArts.4353",  # dataset version does not exist
        "ModelArts.4359",  # export task does not exist
        "ModelArts.4612",  # task not found
        "ModelArts.4631",
        "ModelArts.4636",
        "ModelArts.4700",
    }
)
# A second auto-grouping task: an info code answered with HTTP 200 and no task_id (docs/api.md).
AUTO_GROUPING_RUNNING = "ModelArts.4964"
ALREADY_RUNNING_CODES = frozenset({"ModelArts.4385", "ModelArts.4386", "ModelArts.4387", AUTO_GROUPING_RUNNING})
THROTTLING_CODES = frozenset(
    {"ModelArts.2799", "ModelArts.4206", "ModelArts.4395", "ModelArts.6101", "APIG.0308", "APIGW.0308"}
)


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


class APIError(ModelArtsError):
    """The API answered with an error status."""


class NotFoundError(APIError):
    """The not-found family: 400 with ModelArts.4352/4353/4359/4612/4700..., or a real 404."""


class AlreadyRunningError(APIError):
    """Another task of the same kind already runs on the dataset (ModelArts.4385/4386/4387, HTTP 501; or
    ModelArts.4964 for auto-grouping, answered with HTTP 200 and no task_id)."""


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
    if code in NOT_FOUND_CODES or status_code == 404:
        return NotFoundError
    if code in ALREADY_RUNNING_CODES:
        return AlreadyRunningError
    if status_code == 429 or code in THROTTLING_CODES:
        return ThrottledError
    if status_code == 401 or code.startswith("APIG.03") or code.startswith("ModelArts.02"):
        return AuthenticationError
    if status_code >= 500 and status_code != 501:
        return ServerError
    return APIError
