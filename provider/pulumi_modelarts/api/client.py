"""The ModelArts dataset API client: one typed method per endpoint, retries, lazy pagination.

Retry rules (docs/design.md): reads, DELETE, the task stop and the label PUT are retried on
429, on 5xx other than 501 and on transport failures. Calls that create something (and the
dataset PUT, which may add labels) are retried only when the request provably did not reach
the server: a 429, or a connection that was never made. A response lost after the request was
sent raises ``ResponseLostError`` and a 5xx raises ``ServerError``; the caller looks again
before deciding, because the write may have been committed.
"""

from __future__ import annotations

import functools
import logging
import os
import ssl
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from enum import Enum
from types import TracebackType
from typing import Any
from urllib.parse import quote

from pulumi_modelarts.api._httpx import httpx
from pulumi_modelarts.api.auth import ModelArtsAuth, is_iam_request, make_auth
from pulumi_modelarts.api.config import USER_AGENT, Settings
from pulumi_modelarts.api.errors import (
    APIError,
    AuthenticationError,
    ModelArtsError,
    ResponseLostError,
    ServerError,
    ThrottledError,
    TransportError,
)
from pulumi_modelarts.api.responses import (
    error_from_response,
    import_task,
    json_body,
    redact,
    require_import_task,
    require_items,
    require_new_id,
)
from pulumi_modelarts.api.retry import RetryPolicy, refused_locally

logger = logging.getLogger("pulumi_modelarts.api")

DATASETS = "/v2/{project_id}/datasets"
DATASET = DATASETS + "/{dataset_id}"
TASKS = DATASET + "/tasks"
TASK = TASKS + "/{task_id}"
TASK_STOP = TASK + "/stop"
EXPORT_TASKS = DATASET + "/export-tasks"
EXPORT_TASK = EXPORT_TASKS + "/{task_id}"
IMPORT_TASKS = DATASET + "/import-tasks"
IMPORT_TASK = IMPORT_TASKS + "/{task_id}"
VERSIONS = DATASET + "/versions"
VERSION = VERSIONS + "/{version_id}"
AUTO_ANNOTATION_SAMPLES = DATASET + "/auto-annotations/samples"
ANNOTATION_SAMPLES = DATASET + "/data-annotations/samples"

# The documented largest page of each list (docs/api.md §9); a larger ``limit`` is refused by the API.
PAGE_LIMITS = {
    DATASETS: 100,
    TASKS: 100,
    EXPORT_TASKS: 100,
    IMPORT_TASKS: 100,
    VERSIONS: 1000,
    AUTO_ANNOTATION_SAMPLES: 100,
}


def _check_page_size(route: str, size: int) -> None:
    """Refuse a page size the API would refuse, before anything is sent."""
    largest = PAGE_LIMITS[route]
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= largest:
        raise ValueError(f"page size (limit) must be from 1 to {largest} for {route}, got {size!r}")


class Kind(Enum):
    """How safe a call is to repeat."""

    IDEMPOTENT = "idempotent"  # repeat on 429, 5xx except 501, any transport failure
    WRITE = "write"  # repeat only when the request never reached the server


# Failures that happen before a byte of the request is on the wire (a LocalProtocolError: the request
# could not even be encoded).
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.LocalProtocolError)

# What to check when credentials are rejected, by authentication method.
_CHECK = {
    "aksk": "that the access key exists and is enabled, that the secret key belongs to it, "
    "and that this machine's clock is right",
    "temporary_aksk": "that the temporary access key, secret key and security token belong together "
    "and have not expired",
    "password": "the user name, password and domain (account) name, and that the user is not locked",
    "token": "that the token has not expired (tokens last 24 hours)",
}


# --- one connection pool per process ------------------------------------------------------

_POOLS: dict[tuple[Any, ...], httpx.Client] = {}
_POOLS_LOCK = threading.Lock()


def shared_http_client(settings: Settings, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """The process-wide ``httpx.Client`` for these TLS/timeout settings (and transport, in tests)."""
    # Endpoints that are all plain HTTP (an emulator) need no TLS context: loading the CA bundle costs about 50 ms
    # of a CLI run. Such a pool is never shared with settings that name an https endpoint (the key says which).
    tls = any(url.lower().startswith("https:") for url in (settings.endpoint, settings.iam_endpoint) if url)
    key = (
        os.getpid(),  # a forked child must not share its parent's sockets
        settings.verify_tls,
        tls,
        settings.connect_timeout,
        settings.read_timeout,
        id(transport) if transport is not None else None,
    )
    with _POOLS_LOCK:
        client = _POOLS.get(key)
        if client is None or client.is_closed:
            timeout = httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout)
            client = httpx.Client(
                timeout=timeout,
                verify=_tls(settings.verify_tls) if tls else False,
                transport=transport,
                follow_redirects=False,
                event_hooks={"request": [_timeouts_for(timeout)]},
            )
            _POOLS[key] = client
        return client


def _timeouts_for(timeout: httpx.Timeout) -> Callable[[httpx.Request], None]:
    """A request hook giving the pool's timeouts to every request: httpx gives them only to the request passed to
    ``send``, not to those an auth flow sends within the call (a token fetched again after a 401), and sends a
    request that names none with none: a silent IAM endpoint would hold the run forever."""
    timeouts = timeout.as_dict()

    def hook(request: httpx.Request) -> None:
        request.extensions.setdefault("timeout", timeouts)

    return hook


@functools.cache
def _tls(verify: bool) -> ssl.SSLContext | bool:
    """The TLS context for ``verify``, made once per process: loading the CA bundle costs about 50 ms, and pools
    are made anew after ``close_shared_clients``."""
    return httpx.create_ssl_context(verify=True) if verify else False


def close_shared_clients() -> None:
    """Close every pooled connection (tests, or a host that wants a clean shutdown)."""
    with _POOLS_LOCK:
        clients = list(_POOLS.values())
        _POOLS.clear()
    for client in clients:
        client.close()


# --- statistics ---------------------------------------------------------------------------


class ClientStats:
    """Thread-safe counts of logical calls by ``"METHOD /route/template"``, writes and retries."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: Counter[str] = Counter()
        self._writes = 0
        self._retries = 0

    def record_call(self, key: str, *, write: bool) -> None:
        with self._lock:
            self._calls[key] += 1
            self._writes += write

    def record_retry(self) -> None:
        with self._lock:
            self._retries += 1

    @property
    def calls(self) -> dict[str, int]:
        with self._lock:
            return dict(self._calls)

    @property
    def writes(self) -> int:
        return self._writes

    @property
    def retries(self) -> int:
        return self._retries

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self._calls.values())

    def __getitem__(self, key: str) -> int:
        with self._lock:
            return self._calls[key]

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "calls": dict(self._calls),
                "total": sum(self._calls.values()),
                "writes": self._writes,
                "retries": self._retries,
            }

    def reset(self) -> None:
        with self._lock:
            self._calls.clear()
            self._writes = 0
            self._retries = 0

    def __repr__(self) -> str:
        return f"ClientStats({self.snapshot()!r})"


# --- the client ---------------------------------------------------------------------------


def _query(params: Mapping[str, Any]) -> dict[str, str]:
    """Drop unset parameters; booleans as the API spells them."""
    query: dict[str, str] = {}
    for name, value in params.items():
        if value is None:
            continue
        query[name] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return query


@functools.lru_cache(maxsize=1024)
def _parsed_url(url: str, query: tuple[tuple[str, str], ...]) -> httpx.URL:
    """The request URL, parsed once: httpx re-parses a URL given as text (and again to add its query) on every
    request, about a fifth of a call's CPU time. Polls and list pages repeat the same few URLs."""
    return httpx.URL(url, params=query or None)


class ModelArtsClient:
    """Client of the ModelArts v2 dataset API (NOTES §0 plus the two sample endpoints)."""

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.BaseTransport | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        before_write: Callable[[], None] | None = None,
    ) -> None:
        """``before_write`` runs before every attempt of a call that is not a GET; it may raise to stop it."""
        self.settings = settings
        self._before_write = before_write
        self.stats = ClientStats()
        self._auth: ModelArtsAuth = make_auth(settings)
        self._retry = retry if retry is not None else RetryPolicy.from_settings(settings)
        self._http = shared_http_client(settings, transport)
        self._sleep = sleep
        self._clock = clock
        self._secrets = settings.secrets()
        self._headers = {"X-Language": "en-us", "User-Agent": USER_AGENT, "Accept": "application/json"}
        self._closed = False

    def __enter__(self) -> ModelArtsClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop using the client; the shared connection pool stays open for other clients."""
        self._closed = True

    def __repr__(self) -> str:
        endpoint, region = self.settings.endpoint, self.settings.region
        return f"ModelArtsClient(endpoint={endpoint!r}, region={region!r}, auth={self._auth!r})"

    @property
    def credential_rejection(self) -> AuthenticationError | None:
        """The error of IAM or the gateway if it rejected these credentials in this process, else None."""
        error = self._auth.credentials.rejection
        return None if error is None else self._rejected(error)

    @property
    def project_id(self) -> str:
        """The project id of the URLs: configured, or learned from IAM on first use."""
        return str(
            self._call("GET", "(project id)", lambda _: self._resolve_project_id(), Kind.IDEMPOTENT, count=False)
        )

    # --- datasets -------------------------------------------------------------------------

    def list_datasets_page(
        self,
        *,
        offset: int = 0,
        limit: int = 10,
        search_content: str | None = None,
        dataset_type: int | None = None,
        **filters: Any,
    ) -> dict[str, Any]:
        """GET /v2/{project_id}/datasets: one page (``offset`` is a page index)."""
        _check_page_size(DATASETS, limit)
        query = {
            "offset": offset,
            "limit": limit,
            "search_content": search_content,
            "dataset_type": dataset_type,
        }
        return self._json("GET", DATASETS, {}, params={**filters, **query})

    def iter_datasets(
        self,
        *,
        search_content: str | None = None,
        dataset_type: int | None = None,
        page_size: int = 100,
        **filters: Any,
    ) -> Iterator[dict[str, Any]]:
        """GET /v2/{project_id}/datasets, page by page as consumed."""
        return self._pages(
            lambda offset: self.list_datasets_page(
                offset=offset,
                limit=page_size,
                search_content=search_content,
                dataset_type=dataset_type,
                **filters,
            ),
            "datasets",
            DATASETS,
            page_size,
        )

    def get_dataset(
        self, dataset_id: str, *, check_running_task: bool = False, running_task_type: int | None = None
    ) -> dict[str, Any]:
        """GET /v2/{project_id}/datasets/{dataset_id}."""
        query = {
            "check_running_task": True if check_running_task else None,
            "running_task_type": running_task_type,
        }
        return self._json("GET", DATASET, {"dataset_id": dataset_id}, params=query)

    def create_dataset(self, body: Mapping[str, Any]) -> str:
        """POST /v2/{project_id}/datasets; returns the new dataset id."""
        return self._new_id("POST", DATASETS, {}, body, "dataset_id")

    def update_dataset(self, dataset_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """PUT /v2/{project_id}/datasets/{dataset_id}; returns the answer (``{"dataset_id"}``)."""
        return self._json("PUT", DATASET, {"dataset_id": dataset_id}, body=body, kind=Kind.WRITE)

    def delete_dataset(self, dataset_id: str) -> None:
        """DELETE /v2/{project_id}/datasets/{dataset_id}."""
        self._json("DELETE", DATASET, {"dataset_id": dataset_id})

    # --- intelligent tasks ----------------------------------------------------------------

    def create_task(self, dataset_id: str, body: Mapping[str, Any]) -> str:
        """POST /v2/{project_id}/datasets/{dataset_id}/tasks; returns the task id."""
        return self._new_id("POST", TASKS, {"dataset_id": dataset_id}, body, "task_id")

    def list_tasks_page(
        self,
        dataset_id: str,
        *,
        offset: int = 0,
        limit: int = 10,
        type: str | None = None,
        task_name: str | None = None,
    ) -> dict[str, Any]:
        """GET /v2/{project_id}/datasets/{dataset_id}/tasks: one page."""
        _check_page_size(TASKS, limit)
        query = {"offset": offset, "limit": limit, "type": type, "task_name": task_name}
        return self._json("GET", TASKS, {"dataset_id": dataset_id}, params=query)

    def iter_tasks(
        self, dataset_id: str, *, type: str | None = None, task_name: str | None = None, page_size: int = 100
    ) -> Iterator[dict[str, Any]]:
        """GET /v2/{project_id}/datasets/{dataset_id}/tasks, page by page as consumed."""
        return self._pages(
            lambda offset: self.list_tasks_page(
                dataset_id, offset=offset, limit=page_size, type=type, task_name=task_name
            ),
            "tasks",
            TASKS,
            page_size,
        )

    def get_task(self, dataset_id: str, task_id: str) -> dict[str, Any]:
        """GET /v2/{project_id}/datasets/{dataset_id}/tasks/{task_id}."""
        return self._json("GET", TASK, {"dataset_id": dataset_id, "task_id": task_id})

    def stop_task(self, dataset_id: str, task_id: str) -> None:
        """POST /v2/{project_id}/datasets/{dataset_id}/tasks/{task_id}/stop."""
        self._json("POST", TASK_STOP, {"dataset_id": dataset_id, "task_id": task_id}, kind=Kind.IDEMPOTENT)

    # --- export tasks ---------------------------------------------------------------------

    def create_export_task(self, dataset_id: str, body: Mapping[str, Any]) -> str:
        """POST /v2/{project_id}/datasets/{dataset_id}/export-tasks; returns the task id."""
        return self._new_id("POST", EXPORT_TASKS, {"dataset_id": dataset_id}, body, "task_id")

    def list_export_tasks_page(
        self, dataset_id: str, *, offset: int = 0, limit: int = 10, export_type: int | None = None
    ) -> dict[str, Any]:
        """GET /v2/{project_id}/datasets/{dataset_id}/export-tasks: one page."""
        _check_page_size(EXPORT_TASKS, limit)
        query = {"offset": offset, "limit": limit, "export_type": export_type}
        return self._json("GET", EXPORT_TASKS, {"dataset_id": dataset_id}, params=query)

    def iter_export_tasks(
        self, dataset_id: str, *, export_type: int | None = None, page_size: int = 100
    ) -> Iterator[dict[str, Any]]:
        """GET /v2/{project_id}/datasets/{dataset_id}/export-tasks, page by page as consumed."""
        return self._pages(
            lambda offset: self.list_export_tasks_page(
                dataset_id, offset=offset, limit=page_size, export_type=export_type
            ),
            "export_tasks",
            EXPORT_TASKS,
            page_size,
        )

    def get_export_task(self, dataset_id: str, task_id: str) -> dict[str, Any]:
        """GET /v2/{project_id}/datasets/{dataset_id}/export-tasks/{task_id}."""
        return self._json("GET", EXPORT_TASK, {"dataset_id": dataset_id, "task_id": task_id})

    # --- import tasks ---------------------------------------------------------------------

    def create_import_task(self, dataset_id: str, body: Mapping[str, Any]) -> str:
        """POST /v2/{project_id}/datasets/{dataset_id}/import-tasks; returns the task id."""
        return self._new_id("POST", IMPORT_TASKS, {"dataset_id": dataset_id}, body, "task_id")

    def list_import_tasks_page(self, dataset_id: str, *, offset: int = 0, limit: int = 10) -> dict[str, Any]:
        """GET /v2/{project_id}/datasets/{dataset_id}/import-tasks: one page, each task checked as by
        ``get_import_task`` (``import_type`` is ``dir``/``manifest``)."""
        _check_page_size(IMPORT_TASKS, limit)
        query = {"offset": offset, "limit": limit}
        answer = self._json("GET", IMPORT_TASKS, {"dataset_id": dataset_id}, params=query)
        items = require_items(answer, "import_tasks", method="GET", route=IMPORT_TASKS)
        return {**answer, "import_tasks": [import_task(item, method="GET", route=IMPORT_TASKS) for item in items]}

    def iter_import_tasks(self, dataset_id: str, *, page_size: int = 100) -> Iterator[dict[str, Any]]:
        """GET /v2/{project_id}/datasets/{dataset_id}/import-tasks, page by page as consumed."""
        return self._pages(
            lambda offset: self.list_import_tasks_page(dataset_id, offset=offset, limit=page_size),
            "import_tasks",
            IMPORT_TASKS,
            page_size,
        )

    def get_import_task(self, dataset_id: str, task_id: str) -> dict[str, Any]:
        """GET /v2/{project_id}/datasets/{dataset_id}/import-tasks/{task_id}.

        ``import_type`` is ``dir``/``manifest`` whether the API answers the integer or the string; an answer
        with status ``NOT_EXIST`` raises ``NotFoundError`` like the other not-found answers."""
        answer = self._json("GET", IMPORT_TASK, {"dataset_id": dataset_id, "task_id": task_id})
        return require_import_task(answer, method="GET", route=IMPORT_TASK)

    # --- versions -------------------------------------------------------------------------

    def list_versions_page(
        self,
        dataset_id: str,
        *,
        offset: int = 0,
        limit: int = 1000,
        status: int | None = None,
        version_format: int | None = None,
        train_evaluate_ratio: str | None = None,
    ) -> dict[str, Any]:
        """GET /v2/{project_id}/datasets/{dataset_id}/versions: one page."""
        _check_page_size(VERSIONS, limit)
        query = {
            "offset": offset,
            "limit": limit,
            "status": status,
            "version_format": version_format,
            "train_evaluate_ratio": train_evaluate_ratio,
        }
        return self._json("GET", VERSIONS, {"dataset_id": dataset_id}, params=query)

    def iter_versions(
        self,
        dataset_id: str,
        *,
        status: int | None = None,
        version_format: int | None = None,
        train_evaluate_ratio: str | None = None,
        page_size: int = 1000,
    ) -> Iterator[dict[str, Any]]:
        """GET /v2/{project_id}/datasets/{dataset_id}/versions, page by page as consumed."""
        return self._pages(
            lambda offset: self.list_versions_page(
                dataset_id,
                offset=offset,
                limit=page_size,
                status=status,
                version_format=version_format,
                train_evaluate_ratio=train_evaluate_ratio,
            ),
            "versions",
            VERSIONS,
            page_size,
        )

    def get_version(self, dataset_id: str, version_id: str) -> dict[str, Any]:
        """GET /v2/{project_id}/datasets/{dataset_id}/versions/{version_id}."""
        return self._json("GET", VERSION, {"dataset_id": dataset_id, "version_id": version_id})

    def create_version(self, dataset_id: str, body: Mapping[str, Any]) -> str:
        """POST /v2/{project_id}/datasets/{dataset_id}/versions; returns the version id."""
        return self._new_id("POST", VERSIONS, {"dataset_id": dataset_id}, body, "version_id")

    def delete_version(self, dataset_id: str, version_id: str) -> None:
        """DELETE /v2/{project_id}/datasets/{dataset_id}/versions/{version_id}."""
        self._json("DELETE", VERSION, {"dataset_id": dataset_id, "version_id": version_id})

    # --- samples --------------------------------------------------------------------------

    def list_auto_annotation_samples_page(
        self, dataset_id: str, *, offset: int = 0, limit: int = 100
    ) -> dict[str, Any]:
        """GET /v2/{project_id}/datasets/{dataset_id}/auto-annotations/samples: one page."""
        _check_page_size(AUTO_ANNOTATION_SAMPLES, limit)
        query = {"offset": offset, "limit": limit}
        return self._json("GET", AUTO_ANNOTATION_SAMPLES, {"dataset_id": dataset_id}, params=query)

    def iter_auto_annotation_samples(self, dataset_id: str, *, page_size: int = 100) -> Iterator[dict[str, Any]]:
        """GET /v2/{project_id}/datasets/{dataset_id}/auto-annotations/samples, page by page as consumed."""
        return self._pages(
            lambda offset: self.list_auto_annotation_samples_page(dataset_id, offset=offset, limit=page_size),
            "samples",
            AUTO_ANNOTATION_SAMPLES,
            page_size,
        )

    def update_sample_labels(self, dataset_id: str, samples: Sequence[Mapping[str, Any]]) -> None:
        """PUT /v2/{project_id}/datasets/{dataset_id}/data-annotations/samples (confirm labels)."""
        body = {"samples": [dict(sample) for sample in samples]}
        answer = self._json("PUT", ANNOTATION_SAMPLES, {"dataset_id": dataset_id}, body=body)
        if answer.get("success") is False:
            code, message = answer.get("error_code"), answer.get("error_msg")
            raise APIError(
                f"{code or 'HTTP 200'} on PUT {ANNOTATION_SAMPLES}: "
                f"{message or 'the labels were not updated'} ({answer.get('results') or 'no details'})",
                status_code=200,
                error_code=code,
                error_msg=message,
                method="PUT",
                path=ANNOTATION_SAMPLES,
            )

    # --- machinery ------------------------------------------------------------------------

    def _pages(
        self, fetch: Callable[[int], dict[str, Any]], items_key: str, route: str, page_size: int
    ) -> Iterator[dict[str, Any]]:
        """Walk pages lazily: page ``n+1`` is fetched only when the caller consumes past page ``n``.

        Stops at a short or empty page, never on a count: ``sample_count`` may be the page length
        rather than the total (docs/api.md), so a full page is always followed by another request.
        A page that repeats the previous one exactly (a server that ignores ``offset``) is an error,
        not an endless loop.
        """
        _check_page_size(route, page_size)

        def generate() -> Iterator[dict[str, Any]]:
            page = 0
            previous: list[Any] | None = None
            while True:
                body = fetch(page)
                items = require_items(body, items_key, method="GET", route=route)
                if items and items == previous:
                    raise APIError(
                        f"GET {route} answered page {page} the same as page {page - 1}; is 'offset' ignored?",
                        method="GET",
                        path=route,
                    )
                yield from items
                if len(items) < page_size:
                    return
                previous = items
                page += 1

        return generate()

    def _new_id(self, method: str, route: str, path: Mapping[str, str], body: Mapping[str, Any], id_key: str) -> str:
        answer = self._json(method, route, path, body=body, kind=Kind.WRITE)
        return require_new_id(answer, id_key, method=method, route=route)

    def _json(
        self,
        method: str,
        route: str,
        path: Mapping[str, str],
        *,
        params: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
        kind: Kind | None = None,
    ) -> dict[str, Any]:
        """One API call with retries; returns the JSON answer (``{}`` when there is none)."""
        if kind is None:
            kind = Kind.IDEMPOTENT if method in ("GET", "DELETE", "PUT") else Kind.WRITE
        query = _query(params or {})

        def attempt(number: int) -> dict[str, Any]:
            self._auth.prepare(self._send_side)
            request = self._http.build_request(
                method,
                _parsed_url(self._url(route, path), tuple(query.items())),
                json=dict(body) if body is not None else None,
                headers=self._headers,
            )
            started = self._clock()
            try:
                response = self._http.send(request, auth=self._auth)
            except httpx.TransportError as exc:
                raise _Sent(exc) from exc
            logger.debug(
                "%s %s -> %d in %.3fs (attempt %d)",
                method,
                route,
                response.status_code,
                self._clock() - started,
                number,
            )
            if response.is_success:
                return json_body(response, method=method, route=route)
            raise error_from_response(response, method=method, route=route, secrets=self._secrets)

        result: dict[str, Any] = self._call(method, route, attempt, kind)
        return result

    def _call(self, method: str, route: str, attempt: Callable[[int], Any], kind: Kind, *, count: bool = True) -> Any:
        """Run ``attempt`` until it succeeds, fails for good, or the retry budget is spent."""
        if self._closed:
            raise ModelArtsError("this ModelArtsClient is closed")
        if count:
            self.stats.record_call(f"{method} {route}", write=method != "GET")
        budget = self._retry.start(self._clock)
        number = 0
        credentials = self._auth.credentials
        while True:
            number += 1
            if self._before_write is not None and method != "GET":
                self._before_write()
            try:
                return credentials.run(functools.partial(attempt, number))
            except AuthenticationError as rejected:
                raise self._rejected(rejected) from None
            except (_Sent, httpx.TransportError, APIError) as failure:
                error, retryable, retry_after = self._classify(failure, method, route, kind)
                if not isinstance(failure, APIError):
                    logger.debug("%s %s -> %s (attempt %d)", method, route, type(error).__name__, number)
            delay = budget.next_delay(retry_after) if retryable else None
            if delay is None:
                raise error
            self.stats.record_retry()
            logger.debug("%s %s: retry in %.2fs after %s", method, route, delay, error.status_code or "no answer")
            self._sleep(delay)

    def _classify(
        self, failure: Exception, method: str, route: str, kind: Kind
    ) -> tuple[ModelArtsError, bool, float | None]:
        """The error to raise, whether repeating is safe, and the server's ``Retry-After``."""
        if isinstance(failure, APIError):
            retryable = isinstance(failure, ThrottledError) or (
                kind is Kind.IDEMPOTENT and isinstance(failure, ServerError)
            )
            if isinstance(failure, ServerError) and _from_iam(failure):
                retryable = True  # an IAM side request failed; the call itself was not committed
            retry_after = failure.retry_after if isinstance(failure, ThrottledError) else None
            return failure, retryable, retry_after
        sent = isinstance(failure, _Sent)
        exc = failure.cause if isinstance(failure, _Sent) else failure
        assert isinstance(exc, httpx.TransportError)
        reached = sent and not isinstance(exc, _NOT_SENT) and not _failed_on_iam(exc)
        url = self._url_of(exc)
        text = redact(
            f"{type(exc).__name__} on {method} {route} to {url.netloc.decode('ascii')}: {_detail(exc)}", self._secrets
        )
        if reached and kind is Kind.WRITE:
            error: TransportError = ResponseLostError(
                f"{text}; the request was sent, so it may have been committed", method=method, path=route
            )
        else:
            error = TransportError(text, method=method, path=route)
        error.__cause__ = exc
        retryable = not (reached and kind is Kind.WRITE) and not refused_locally(exc, url.host)
        return error, retryable, None

    def _rejected(self, error: AuthenticationError) -> AuthenticationError:
        """The one message of rejected credentials: what was said, which settings were used, what to check."""
        s = self.settings
        text = (
            f"authentication failed: {error}. Credentials used: {s.describe_credentials()}. "
            f"Check {_CHECK[s.auth_method]}, and that the project and region belong to the account. "
            "Nothing more is sent with these credentials in this run (repeated bad signatures lock an access key)."
        )
        return AuthenticationError.like(error, redact(text, self._secrets))

    def _url_of(self, exc: httpx.TransportError) -> httpx.URL:
        """The URL a failed request went to (the ModelArts endpoint when the error does not say)."""
        try:
            return exc.request.url
        except RuntimeError:  # httpx raises this when the exception carries no request
            return httpx.URL(self.settings.endpoint)

    def _send_side(self, request: httpx.Request) -> httpx.Response:
        """Send an IAM side request (token, project lookup); it carries its own authentication."""
        return self._http.send(request)

    def _resolve_project_id(self) -> str:
        return self._auth.project_id(self._send_side)

    def _url(self, route: str, path: Mapping[str, str]) -> str:
        values = {"project_id": self._resolve_project_id(), **path}
        for name, value in values.items():
            if not isinstance(value, str) or not value:
                raise ValueError(f"{name} must be a non-empty string, got {value!r}")
        quoted = {name: quote(value, safe="") for name, value in values.items()}
        return self.settings.endpoint + route.format(**quoted)


class _Sent(Exception):
    """A transport failure of the main request after ``send`` was called (so it may have arrived)."""

    def __init__(self, cause: httpx.TransportError) -> None:
        super().__init__(str(cause))
        self.cause = cause


def _detail(exc: httpx.TransportError) -> str:
    """What went wrong, never quoting a header: h11's encoding errors repeat the offending header value."""
    if isinstance(exc, httpx.LocalProtocolError):
        return "the request could not be encoded (a header value is not allowed); it was not sent"
    return str(exc) or "no detail"


def _failed_on_iam(exc: httpx.TransportError) -> bool:
    """True when the failed request was an IAM side request (e.g. a token refresh after a 401)."""
    try:
        return is_iam_request(exc.request)
    except RuntimeError:  # httpx raises this when the exception carries no request
        return False


def _from_iam(error: APIError) -> bool:
    return bool(error.path and error.path.startswith("/v3/"))
