"""The application: routing, faults, authentication and transactions for one request.

``Application.handle`` knows nothing about sockets; ``server.py`` feeds it requests and writes
what it returns (or drops the connection when a fault says so).
"""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs

from pulumi_modelarts.emulator import errors, ids, seed
from pulumi_modelarts.emulator.auth import Authenticator, Principal
from pulumi_modelarts.emulator.clock import VirtualClock
from pulumi_modelarts.emulator.config import EmulatorConfig
from pulumi_modelarts.emulator.context import Ctx, Request, Response
from pulumi_modelarts.emulator.errors import ApiError
from pulumi_modelarts.emulator.faults import FaultEngine, FaultRule, parse_rule
from pulumi_modelarts.emulator.routes import Handler, Router, admin_routes, api_routes
from pulumi_modelarts.emulator.settle import settle
from pulumi_modelarts.emulator.stats import Stats
from pulumi_modelarts.emulator.store import Store
from pulumi_modelarts.emulator.validate import Query

CLOCK_KEY = "clock_offset_ms"


@dataclass
class Outcome:
    """What to do with a request: answer ``response`` or, with ``drop``, close the connection."""

    response: Response | None
    drop: bool = False


class Application:
    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.command_line = config  # the start that a reset without flags returns to
        self.store = Store(config.db)
        with self.store.transaction() as tx:
            offset = int(tx.get_meta(CLOCK_KEY) or 0)
        self.stats = Stats()
        routes = api_routes() + (admin_routes() if config.admin else [])
        self.router = Router(routes)
        self.fault_routes = self.router.templates(("api", "iam"))
        self.faults = FaultEngine(self._faults_of(config))
        self._begin(offset, self._seed_of(config))

    def _faults_of(self, config: EmulatorConfig) -> list[FaultRule]:
        return [parse_rule(rule, self.fault_routes) for rule in config.faults]

    @staticmethod
    def _seed_of(config: EmulatorConfig) -> seed.Doc | None:
        return seed.load(config.seed) if config.seed else None

    def _begin(self, clock_offset_ms: int, data: seed.Doc | None) -> None:
        """The clock, the authenticator (no tokens, no lockouts) and the seed data of a start."""
        self.clock = VirtualClock(clock_offset_ms)
        self.auth = Authenticator(self.store, self.clock, self.config)
        if data is not None:
            with self.store.transaction() as tx:
                seed.apply(Ctx(tx, self.config, self.clock.now_ms()), data)

    def reset(self, config: EmulatorConfig | None = None) -> None:
        """Back to a fresh start (admin API, for tests that share one emulator): that of the command line, or of
        ``config`` (a reset with flags), which then holds for every request. The seed data anew, the clock without
        offset, no tokens or lockouts, the stats cleared, the faults of the start. In memory only.

        The seed and the fault rules are read first: one that cannot be used raises ValueError and changes
        nothing. The switch happens under the store lock, so no API request sees half of it."""
        config = config or self.command_line
        faults = self._faults_of(config)
        data = self._seed_of(config)
        with self.store.lock:
            self.config = config
            self.store.clear()
            self.stats.reset()
            self.faults.replace(faults)
            self._begin(0, data)

    def close(self) -> None:
        self.store.close()

    def advance_clock(self, seconds: float) -> None:
        with self.store.transaction() as tx:
            offset = self.clock.advance(seconds)
            tx.set_meta(CLOCK_KEY, str(offset))

    # --- one request ---
    def handle(
        self,
        method: str,
        target: str,
        headers: Mapping[str, str],
        body: bytes,
        base_url: str,
        request_id: str | None = None,
    ) -> Outcome:
        request_id = request_id or ids.request_id()
        try:
            return self._handle(method, target, headers, body, base_url, request_id)
        except ApiError as exc:
            return Outcome(self.error_response(exc, request_id))
        except Exception:
            print(f"emulator: internal error on {method} request (request_id={request_id})", file=sys.stderr)
            traceback.print_exc(file=sys.stderr)
            internal = errors.modelarts(500, errors.INTERNAL, "Internal server error.")
            return Outcome(self.error_response(internal, request_id))

    def error_response(self, exc: ApiError, request_id: str) -> Response:
        body = dict(exc.body)
        if exc.gateway or (self.config.error_request_id == "yes" and "error_code" in body):
            body["request_id"] = request_id
        return Response(exc.status, body, dict(exc.headers))

    def _handle(
        self,
        method: str,
        target: str,
        headers: Mapping[str, str],
        body: bytes,
        base_url: str,
        request_id: str,
    ) -> Outcome:
        path, _, query_string = target.partition("?")
        path = path.split("#", 1)[0]
        found = self.router.match(path)
        if found is None:
            raise errors.modelarts(404, "ModelArts.2836", "PathNotFound")
        route, params = found
        handler = route.handlers.get(method)
        if handler is None:
            allowed = ", ".join(sorted(route.handlers))
            raise errors.modelarts(405, "ModelArts.2803", "MethodNotAllowed", headers={"Allow": allowed})
        req = Request(
            method=method,
            path=path,
            template=route.template,
            params=params,
            query=Query(parse_qs(query_string, keep_blank_values=True)),
            query_string=query_string,
            headers=headers,
            body=body,
            base_url=base_url,
            request_id=request_id,
        )
        if route.kind == "admin":
            return Outcome(handler(self, req))
        if self.config.latency_ms:
            time.sleep(self.config.latency_ms / 1000)
        self.stats.record(method, route.template, route.kind, params, body)
        decision = self.faults.decide(method, route.template)
        if decision.latency_ms:
            time.sleep(decision.latency_ms / 1000)
        rule = decision.rule
        if rule is not None:
            if rule.action == "drop":
                return Outcome(None, drop=True)
            if rule.action in ("error", "throttle"):
                raise self._fault_error(rule)
        drop_after = rule is not None and rule.action == "drop_after_commit"
        try:
            response = handler(self, req) if route.kind == "iam" else self._run_api(handler, req)
        except ApiError as exc:
            return Outcome(self.error_response(exc, request_id), drop=drop_after)
        return Outcome(response, drop=drop_after)

    @staticmethod
    def _fault_error(rule: FaultRule) -> ApiError:
        if rule.action == "error":
            return errors.modelarts(
                rule.status or 503,
                rule.error_code or "ModelArts.4503",
                rule.error_msg or "The service is temporarily unavailable (injected fault).",
            )
        retry_after = 1.0 if rule.retry_after is None else rule.retry_after
        headers = {"Retry-After": str(int(retry_after)) if retry_after.is_integer() else str(retry_after)}
        code = rule.error_code or "ModelArts.2799"
        if code.startswith("APIG"):
            message = rule.error_msg or (
                "The throttling threshold has been reached: policy user over ratelimit,limit:100,time:1 minute"
            )
            return errors.gateway(rule.status or 429, code, message, headers)
        return errors.modelarts(rule.status or 429, code, rule.error_msg or "TooManyRequests", headers)

    def _check_project(self, principal: Principal, project_id: str) -> None:
        if principal.project_id is None:
            raise errors.modelarts(
                401,
                "ModelArts.0212",
                "The token is not scoped to a project; ModelArts needs a project-scoped token.",
            )
        if project_id != principal.project_id or principal.project_id != self.config.project_id:
            raise errors.modelarts(
                403,
                "ModelArts.0210",
                "The project ID in the request does not match the project of the credentials.",
            )

    def _run_api(self, handler: Handler, req: Request) -> Response:
        principal = self.auth.authenticate(req.method, req.path, req.query_string, req.headers, req.body)
        self._check_project(principal, req.params["project_id"])
        with self.store.lock:
            now = self.clock.now_ms()
            with self.store.transaction() as tx:
                settle(Ctx(tx, self.config, now))
            with self.store.transaction() as tx:
                return handler(Ctx(tx, self.config, now), req)
