"""Turn HTTP responses into JSON data or into the matching exception of ``errors``.

Messages name the route *template* (``/v2/{project_id}/datasets/{dataset_id}``), never the
concrete URL, and are scrubbed of every configured secret in case a server echoes one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pulumi_modelarts.api._httpx import httpx
from pulumi_modelarts.api.errors import APIError, NotFoundError, ThrottledError, error_class_for
from pulumi_modelarts.api.retry import parse_retry_after

REDACTED = "***"
_MIN_SECRET_LENGTH = 4  # shorter values would mangle ordinary text and cannot be told apart from it


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every occurrence of a secret value by ``***``."""
    for secret in sorted(secrets, key=len, reverse=True):
        if secret and len(secret) >= _MIN_SECRET_LENGTH:
            text = text.replace(secret, REDACTED)
    return text


def _json_object(response: httpx.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def parse_error_body(response: httpx.Response) -> tuple[str | None, str | None, str | None]:
    """``(error_code, error_msg, request_id)`` of ModelArts/APIG's flat body or IAM's ``{"error": {...}}``."""
    body = _json_object(response) or {}
    code, message, request_id = body.get("error_code"), body.get("error_msg"), body.get("request_id")
    nested = body.get("error")
    if isinstance(nested, dict):
        code = code or nested.get("error_code")
        message = message or nested.get("message") or nested.get("title")
    request_id = request_id or response.headers.get("X-Request-Id")

    def text(value: Any) -> str | None:
        return str(value) if value not in (None, "") else None

    return text(code), text(message), text(request_id)


def error_from_response(response: httpx.Response, *, method: str, route: str, secrets: Iterable[str] = ()) -> APIError:
    """The exception for an error response, e.g. ``ModelArts.4352 (HTTP 400) on GET /v2/...: ...``."""
    secrets = tuple(secrets)
    status = response.status_code
    code, message, request_id = parse_error_body(response)
    message = redact(message, secrets) if message else None
    head = f"{code} (HTTP {status})" if code else f"HTTP {status}"
    text = f"{head} on {method} {route}: {message or response.reason_phrase or 'no message'}"
    if request_id:
        text += f" [request id {request_id}]"
    kwargs: dict[str, Any] = {
        "status_code": status,
        "error_code": code,
        "error_msg": message,
        "request_id": request_id,
        "method": method,
        "path": route,
    }
    cls = error_class_for(status, code)
    if cls is ThrottledError:
        return ThrottledError(text, retry_after=parse_retry_after(response.headers.get("Retry-After")), **kwargs)
    return cls(text, **kwargs)


def json_body(response: httpx.Response, *, method: str, route: str) -> dict[str, Any]:
    """The JSON object of a success response; ``{}`` for an empty body (204)."""
    if not response.content.strip():
        return {}
    body = _json_object(response)
    if body is None:
        raise APIError(
            f"HTTP {response.status_code} on {method} {route}: the answer is not a JSON object",
            status_code=response.status_code,
            method=method,
            path=route,
        )
    return body


def require_items(body: dict[str, Any], key: str, *, method: str, route: str) -> list[dict[str, Any]]:
    """The list ``key`` of a list answer; an answer without it is an error, never "nothing exists"."""
    items = body.get(key)
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        found = "missing" if items is None else f"a {type(items).__name__}"
        raise APIError(
            f"unexpected answer on {method} {route}: {key!r} is {found}, expected a list of objects",
            status_code=200,
            method=method,
            path=route,
        )
    return items


def require_new_id(body: dict[str, Any], key: str, *, method: str, route: str) -> str:
    """The id of a created object; a 200 that carries an error code instead raises that error."""
    value = body.get(key)
    if isinstance(value, str) and value:
        return value
    code, message = body.get("error_code"), body.get("error_msg")
    if code:
        cls = error_class_for(200, str(code))
        text = f"{code} (HTTP 200) on {method} {route}: {message or 'no message'}"
        raise cls(text, status_code=200, error_code=str(code), error_msg=message, method=method, path=route)
    raise APIError(f"unexpected answer on {method} {route}: no {key!r}", status_code=200, method=method, path=route)


# An import task's ``import_type``: a string in requests, an integer in the documented answers (docs/api.md §11).
IMPORT_TYPE_NAMES = {0: "dir", 1: "manifest", "dir": "dir", "manifest": "manifest"}
IMPORT_NOT_EXIST = "NOT_EXIST"


def _unexpected(method: str, route: str, problem: str) -> APIError:
    return APIError(f"unexpected answer on {method} {route}: {problem}", status_code=200, method=method, path=route)


def import_task(task: dict[str, Any], *, method: str, route: str) -> dict[str, Any]:
    """An import task answer, checked: ``task_id`` and ``status`` strings; ``import_type`` given the request's
    vocabulary (``dir``/``manifest``) whichever form the API answers in. A status of ``NOT_EXIST`` is left
    as it is (see ``require_import_task``)."""
    for key in ("task_id", "status"):
        value = task.get(key)
        if not isinstance(value, str) or not value:
            found = "missing" if value is None else repr(value)[:40]
            raise _unexpected(method, route, f"an import task's {key!r} is {found}, expected a string")
    kind = task.get("import_type")
    if isinstance(kind, bool) or not isinstance(kind, (int, str)) or kind not in IMPORT_TYPE_NAMES:
        if task["status"] != IMPORT_NOT_EXIST:
            raise _unexpected(method, route, f"import task {task['task_id']} has 'import_type' {kind!r}")
        return task
    return {**task, "import_type": IMPORT_TYPE_NAMES[kind]}


def require_import_task(task: dict[str, Any], *, method: str, route: str) -> dict[str, Any]:
    """One import task (``import_task``); the documented status ``NOT_EXIST`` is ``NotFoundError``."""
    if task.get("status") == IMPORT_NOT_EXIST:
        raise NotFoundError(
            f"import task {task.get('task_id') or '?'} does not exist (status NOT_EXIST) on {method} {route}",
            status_code=200,
            method=method,
            path=route,
        )
    return import_task(task, method=method, route=route)
