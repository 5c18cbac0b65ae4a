"""The admin API under /_emulator (only with --admin; no authentication): stats, faults, clock,
token expiry, temporary credentials, a state dump and a reset to the start for tests (the command line's, or
the one that the flags in its body describe)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from pulumi_modelarts.emulator import errors
from pulumi_modelarts.emulator.cli import FlagError, config_for_reset
from pulumi_modelarts.emulator.context import Ctx, Request, Response
from pulumi_modelarts.emulator.faults import FaultRuleError, parse_rule
from pulumi_modelarts.emulator.settle import settle

if TYPE_CHECKING:
    from pulumi_modelarts.emulator.app import Application

ADMIN_ERROR = "Emulator.0400"


def _bad(message: str) -> errors.ApiError:
    return errors.modelarts(400, ADMIN_ERROR, message)


def _body(req: Request) -> dict[str, Any]:
    if not req.body.strip():
        return {}
    try:
        value = json.loads(req.body.decode("utf-8"))
    except (ValueError, RecursionError):
        raise _bad("The body is not valid JSON.") from None
    if not isinstance(value, dict):
        raise _bad("The body must be a JSON object.")
    return value


def get_stats(app: Application, req: Request) -> Response:
    return Response(200, app.stats.snapshot())


def get_writes(app: Application, req: Request) -> Response:
    """Every write since the last reset of the stats, oldest first: route, path parameters and JSON body."""
    return Response(200, {"writes": app.stats.write_log()})


def reset_stats(app: Application, req: Request) -> Response:
    app.stats.reset()
    return Response(204)


def get_faults(app: Application, req: Request) -> Response:
    return Response(200, {"rules": app.faults.rules()})


def put_faults(app: Application, req: Request) -> Response:
    rules = _body(req).get("rules")
    if not isinstance(rules, list):
        raise _bad('Expected {"rules": [...]}.')
    try:
        parsed = [parse_rule(rule, app.fault_routes) for rule in rules]
    except FaultRuleError as exc:
        raise _bad(str(exc)) from None
    app.faults.replace(parsed)
    return Response(200, {"rules": app.faults.rules()})


def clear_faults(app: Application, req: Request) -> Response:
    app.faults.replace([])
    return Response(204)


def _clock(app: Application) -> dict[str, Any]:
    return {"now": app.clock.now_ms(), "offset_ms": app.clock.offset_ms}


def get_clock(app: Application, req: Request) -> Response:
    return Response(200, _clock(app))


def advance_clock(app: Application, req: Request) -> Response:
    seconds = _body(req).get("advance_seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 <= seconds <= 10 * 365 * 86400:
        raise _bad("advance_seconds must be a number from 0 to 315360000 (the clock only moves forwards).")
    app.advance_clock(float(seconds))
    return Response(200, _clock(app))


def reset(app: Application, req: Request) -> Response:
    """The start of the command line, or with ``{"flags": [...]}`` the start those flags describe."""
    if app.config.db:
        raise _bad("Reset is for an emulator in memory; this one keeps its state in --db.")
    body = _body(req)
    flags = body.get("flags")
    strings = isinstance(flags, list) and all(isinstance(flag, str) for flag in flags)
    if set(body) - {"flags"} or not (flags is None or strings):
        raise _bad('Expected no body or {"flags": ["--task-seconds", "600", ...]} (command-line flags as strings).')
    try:
        app.reset(None if flags is None else config_for_reset(flags, app.config))
    except FlagError as exc:
        raise _bad(f"flags: {exc}") from None
    except ValueError as exc:  # a seed or a fault rule of the flags
        raise _bad(str(exc)) from None
    return Response(204)


def expire_tokens(app: Application, req: Request) -> Response:
    return Response(200, {"expired": app.auth.expire_all()})


def temporary_credentials(app: Application, req: Request) -> Response:
    duration = _body(req).get("duration_seconds", 900)
    if isinstance(duration, bool) or not isinstance(duration, int) or not 1 <= duration <= 86400:
        raise _bad("duration_seconds must be an integer from 1 to 86400.")
    return Response(201, {"credential": app.auth.create_temporary(duration)})


def get_state(app: Application, req: Request) -> Response:
    with app.store.lock:
        now = app.clock.now_ms()
        with app.store.transaction() as tx:
            settle(Ctx(tx, app.config, now))
        with app.store.transaction() as tx:
            summary = []
            for dataset in tx.objects("dataset"):
                dataset_id = dataset["dataset_id"]
                total, labelled, unconfirmed = tx.sample_counts(dataset_id)
                summary.append(
                    {
                        "dataset_id": dataset_id,
                        "dataset_name": dataset["dataset_name"],
                        "samples": total,
                        "labelled": labelled,
                        "unconfirmed": unconfirmed,
                        "tasks": tx.count("task", dataset_id),
                        "export_tasks": tx.count("export", dataset_id),
                        "import_tasks": tx.count("import", dataset_id),
                        "versions": tx.count("version", dataset_id),
                    }
                )
            totals = {
                "datasets": len(summary),
                "tasks": tx.count("task"),
                "export_tasks": tx.count("export"),
                "import_tasks": tx.count("import"),
                "versions": tx.count("version"),
                "tokens": tx.count("token"),
            }
    return Response(200, {"now": now, "datasets": summary, "totals": totals})
