"""The routing table: path templates, the handler per method, and the matcher.

Kinds: ``api`` (ModelArts, authenticated and project-checked, run in a transaction), ``iam``
(the IAM endpoints served on the same port) and ``admin`` (``/_emulator``, only with --admin).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from pulumi_modelarts.emulator import admin, api, iam
from pulumi_modelarts.emulator.context import Request, Response

Handler = Callable[[Any, Request], Response]

P = "/v2/{project_id}"
D = P + "/datasets/{dataset_id}"


@dataclass(frozen=True)
class Route:
    template: str
    kind: str
    handlers: Mapping[str, Handler]
    segments: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "segments", tuple(self.template.split("/")))


def api_routes() -> list[Route]:
    return [
        Route(P + "/datasets", "api", {"GET": api.list_datasets, "POST": api.create_dataset}),
        Route(D, "api", {"GET": api.get_dataset, "PUT": api.update_dataset, "DELETE": api.delete_dataset}),
        Route(D + "/tasks", "api", {"GET": api.list_tasks, "POST": api.create_task}),
        Route(D + "/tasks/{task_id}", "api", {"GET": api.get_task}),
        Route(D + "/tasks/{task_id}/stop", "api", {"POST": api.stop_task}),
        Route(D + "/export-tasks", "api", {"GET": api.list_exports, "POST": api.create_export}),
        Route(D + "/export-tasks/{task_id}", "api", {"GET": api.get_export}),
        Route(D + "/import-tasks", "api", {"GET": api.list_imports, "POST": api.create_import}),
        Route(D + "/import-tasks/{task_id}", "api", {"GET": api.get_import}),
        Route(D + "/versions", "api", {"GET": api.list_versions, "POST": api.create_version}),
        Route(D + "/versions/{version_id}", "api", {"GET": api.get_version, "DELETE": api.delete_version}),
        Route(D + "/auto-annotations/samples", "api", {"GET": api.list_auto_annotations}),
        Route(D + "/data-annotations/samples", "api", {"PUT": api.update_sample_labels}),
        Route(
            "/v3/auth/tokens", "iam", {"POST": iam.create_token, "GET": iam.validate_token, "HEAD": iam.validate_token}
        ),
        Route("/v3/projects", "iam", {"GET": iam.list_projects}),
        Route("/v3.0/OS-CREDENTIAL/securitytokens", "iam", {"POST": iam.create_security_token}),
    ]


def admin_routes() -> list[Route]:
    base = "/_emulator"
    return [
        Route(base + "/stats", "admin", {"GET": admin.get_stats, "DELETE": admin.reset_stats}),
        Route(base + "/writes", "admin", {"GET": admin.get_writes}),
        Route(
            base + "/faults",
            "admin",
            {"GET": admin.get_faults, "PUT": admin.put_faults, "DELETE": admin.clear_faults},
        ),
        Route(base + "/clock", "admin", {"GET": admin.get_clock, "POST": admin.advance_clock}),
        Route(base + "/tokens/expire", "admin", {"POST": admin.expire_tokens}),
        Route(base + "/credentials/temporary", "admin", {"POST": admin.temporary_credentials}),
        Route(base + "/state", "admin", {"GET": admin.get_state}),
        Route(base + "/reset", "admin", {"POST": admin.reset}),
    ]


class Router:
    def __init__(self, routes: Sequence[Route]) -> None:
        self.routes = list(routes)
        self._by_length: dict[int, list[Route]] = {}
        for route in self.routes:
            self._by_length.setdefault(len(route.segments), []).append(route)

    def templates(self, kinds: Sequence[str] = ("api", "iam")) -> list[str]:
        return [route.template for route in self.routes if route.kind in kinds]

    def match(self, path: str) -> tuple[Route, dict[str, str]] | None:
        if len(path) > 1 and path.endswith("/"):
            path = path[:-1]
        segments = [unquote(segment) for segment in path.split("/")]
        for route in self._by_length.get(len(segments), []):
            params: dict[str, str] = {}
            for pattern, segment in zip(route.segments, segments, strict=True):
                if pattern.startswith("{"):
                    if not segment:
                        break
                    params[pattern[1:-1]] = segment
                elif pattern != segment:
                    break
            else:
                return route, params
        return None
