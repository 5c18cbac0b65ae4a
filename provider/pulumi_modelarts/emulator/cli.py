"""Command line of the emulator: ``python -m pulumi_modelarts.emulator`` (and ``pulumi-modelarts emulator``).

``add_arguments`` / ``build_parser`` define the flags, ``config_from_args`` turns them into an
``EmulatorConfig``, ``run`` serves until SIGTERM/SIGINT, ``main`` does all three. ``config_for_reset`` parses
the flags of a reset (``POST /_emulator/reset``) the same way, raising ``FlagError`` where ``main`` would exit.
"""

from __future__ import annotations

import argparse
import json
import math
import signal
import sqlite3
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

from pulumi_modelarts.emulator import config as defaults
from pulumi_modelarts.emulator import readings
from pulumi_modelarts.emulator.config import EmulatorConfig

READY_PREFIX = "pulumi-modelarts emulator listening on "

SEED_HELP = """\
seed files: --seed FILE.json loads {"datasets": [{"name", "dataset_type", "description",
"work_path", "data_path", "labels": [names], "samples": N, "labelled": N or {label: N},
"age_seconds": S, "versions": [{"name", "annotated": N, "age_seconds": S}]}], "obs": [{"path":
"/bucket/dir/" or "/bucket/name.manifest", "files": N, "type": "image|text|audio", "labels": {label:
N}, "hard": N}]}; --seed demo loads flowers (image classification, 120 samples, 45 labelled,
V001+V002), pets-detection (object detection, 80 samples, 30 labelled, V001), support-tickets (text
classification, 60 samples all labelled, V001..V003) and, to import into pets-detection,
/demo-bucket/pets-detection/raw/batch-01/ (20 images), .../raw/batch-02/ (12) and
/demo-bucket/pets-detection/labelled/batch-01.manifest (10 labelled). See
pulumi_modelarts/emulator/seed.py.

fault rules (--fault, repeatable, or PUT /_emulator/faults): {"action": "latency|error|throttle|drop|
drop_after_commit", "method": "POST", "route": "/v2/{project_id}/datasets/{dataset_id}/tasks" or "*",
"times": 3, "probability": 1.0, "latency_ms": 200, "status": 503, "error_code": "ModelArts.4503",
"retry_after": 2}.
"""


def _fault(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("a fault rule must be a JSON object")
    return value


def _non_negative(kind: type[float] | type[int]) -> Any:
    def parse(text: str) -> float | int:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a {kind.__name__}, got {text!r}") from None
        if not math.isfinite(value) or value < 0:
            raise argparse.ArgumentTypeError(f"must be a finite number, zero or more, got {text}")
        return value

    return parse


class _Parser(argparse.ArgumentParser):
    """Usage errors are one line, exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


class FlagError(ValueError):
    """Flags that cannot be used, for a caller that must not exit: the message names the flag and why."""


class _RaisingParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise FlagError(message)


def _check_db(path: str | None) -> str | None:
    """Why ``--db`` cannot be used (a directory, a missing parent folder), or None."""
    if path is None:
        return None
    target = Path(path)
    if target.is_dir():
        return f"--db {path}: is a directory; give a file name"
    if not target.parent.is_dir():
        return f"--db {path}: the folder {target.parent} does not exist"
    return None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    seconds = _non_negative(float)
    count = _non_negative(int)
    add = parser.add_argument
    add("--host", default=defaults.DEFAULT_HOST, help="address to listen on (default: %(default)s)")
    add(
        "--port",
        type=count,
        default=defaults.DEFAULT_PORT,
        help="port; 0 picks a free one (default: %(default)s)",
    )
    add("--db", metavar="FILE", default=None, help="SQLite file that keeps the state (default: in memory)")
    add("--project-id", default=defaults.DEFAULT_PROJECT_ID, help="the IAM project id (default: %(default)s)")
    add(
        "--project-name",
        default=defaults.DEFAULT_PROJECT_NAME,
        help="the IAM project name (default: %(default)s)",
    )
    add("--access-key", default=defaults.DEFAULT_ACCESS_KEY, help="the accepted AK (default: %(default)s)")
    add(
        "--secret-key",
        default=defaults.DEFAULT_SECRET_KEY,
        help="the SK of that AK (default: the built-in test key)",
    )
    add("--username", default=defaults.DEFAULT_USERNAME, help="IAM user name (default: %(default)s)")
    add(
        "--password",
        default=defaults.DEFAULT_PASSWORD,
        help="IAM password (default: the built-in test password)",
    )
    add(
        "--domain-name",
        default=defaults.DEFAULT_DOMAIN_NAME,
        help="IAM account (domain) name (default: %(default)s)",
    )
    add("--seed", metavar="demo|FILE.json", default=None, help="load demo data or a seed file (see below)")
    add(
        "--samples-per-dataset",
        type=count,
        default=50,
        help="samples made for a dataset created through the API (default: %(default)s)",
    )
    add(
        "--task-seconds",
        type=seconds,
        default=30.0,
        help="duration of an intelligent task (default: %(default)s)",
    )
    add(
        "--export-seconds",
        type=seconds,
        default=10.0,
        help="duration of an export task (default: %(default)s)",
    )
    add(
        "--version-seconds",
        type=seconds,
        default=5.0,
        help="duration of a version release (default: %(default)s)",
    )
    add(
        "--import-seconds",
        type=seconds,
        default=10.0,
        help="duration of a dataset import task (default: %(default)s)",
    )
    add(
        "--release-interval-seconds",
        type=seconds,
        default=60.0,
        help="minimum time between two releases on a dataset, ModelArts.4370 (default: %(default)s)",
    )
    add(
        "--clock-skew-seconds",
        type=seconds,
        default=900.0,
        help="accepted X-Sdk-Date offset (default: %(default)s)",
    )
    add("--token-ttl-seconds", type=seconds, default=86400.0, help="IAM token validity (default: %(default)s)")
    add(
        "--latency-ms",
        type=seconds,
        default=0.0,
        help="latency added to every API request (default: %(default)s)",
    )
    add(
        "--fault",
        metavar="JSON",
        type=_fault,
        action="append",
        default=[],
        help="a fault rule (repeatable; see below)",
    )
    add("--admin", action="store_true", help="enable the admin API under /_emulator (default: off)")
    add(
        "--auto-grouping-type",
        type=int,
        default=2,
        help="integer 'type' of auto-grouping tasks (default: %(default)s)",
    )
    add(
        "--preconditions",
        choices=defaults.PRECONDITION_MODES,
        default="reject",
        help="auto-label preconditions: 400 at POST, or a task that fails (default: %(default)s)",
    )
    add(
        "--missing-task-status",
        type=int,
        choices=defaults.MISSING_TASK_STATUSES,
        default=400,
        help="HTTP status for a missing task or export task (default: %(default)s)",
    )
    add("--verbose", action="store_true", help="log every request to stderr")
    add_reading_arguments(parser)


def add_reading_arguments(parser: argparse.ArgumentParser) -> None:
    """``--reading`` and one flag per open point of the API documents (readings.py, docs/api.md)."""
    group = parser.add_argument_group(
        "readings",
        "where the API documents are silent, how the emulator answers; --reading cloud-strict takes, for "
        "every point, the answer hardest for a client, and a flag given explicitly wins over the preset",
    )
    group.add_argument(
        "--reading",
        choices=readings.PRESETS,
        default="lenient",
        help="preset for every reading below (default: %(default)s)",
    )
    for reading in readings.READINGS:
        group.add_argument(
            reading.flag,
            choices=reading.choices,
            default=None,
            help=f"{reading.help} (lenient: {reading.lenient}; cloud-strict: {reading.strict})",
        )
    group.add_argument(
        "--dataset-seconds",
        type=_non_negative(float),
        default=5.0,
        help="with --lifecycle async: how long a dataset create or delete and a version delete take "
        "(default: %(default)s)",
    )


def reading_values(args: argparse.Namespace) -> dict[str, Any]:
    """The EmulatorConfig fields of the readings: explicit flags over the preset."""
    values: dict[str, Any] = readings.preset(args.reading)
    for name in values:
        if getattr(args, name) is not None:
            values[name] = getattr(args, name)
    values["dataset_seconds"] = args.dataset_seconds
    return values


def build_parser(prog: str = "python -m pulumi_modelarts.emulator") -> argparse.ArgumentParser:
    parser = _Parser(
        prog=prog,
        description="A local emulator of the ModelArts dataset API (v2) and the IAM endpoints it needs.",
        epilog=SEED_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    return parser


def config_from_args(args: argparse.Namespace) -> EmulatorConfig:
    return EmulatorConfig(
        host=args.host,
        port=args.port,
        db=args.db,
        project_id=args.project_id,
        project_name=args.project_name,
        access_key=args.access_key,
        secret_key=args.secret_key,
        username=args.username,
        password=args.password,
        domain_name=args.domain_name,
        seed=args.seed,
        samples_per_dataset=args.samples_per_dataset,
        task_seconds=args.task_seconds,
        export_seconds=args.export_seconds,
        version_seconds=args.version_seconds,
        import_seconds=args.import_seconds,
        release_interval_seconds=args.release_interval_seconds,
        clock_skew_seconds=args.clock_skew_seconds,
        token_ttl_seconds=args.token_ttl_seconds,
        latency_ms=args.latency_ms,
        faults=tuple(args.fault),
        admin=args.admin,
        auto_grouping_type=args.auto_grouping_type,
        preconditions=args.preconditions,
        missing_task_status=args.missing_task_status,
        verbose=args.verbose,
        **reading_values(args),
    )


# Where a running emulator listens and keeps its state: fixed for its lifetime.
_FIXED = ("host", "port", "db")


def config_for_reset(flags: Sequence[str], running: EmulatorConfig) -> EmulatorConfig:
    """The start that ``flags`` describe, for a running emulator to reset to: parsed as its command line is, with
    its host, port and admin API kept (``--host``, ``--port`` and ``--db`` are refused). Nothing is printed and
    nothing exits; ``FlagError`` names the problem."""
    parser = _RaisingParser(add_help=False)
    add_arguments(parser)
    parser.set_defaults(**dict.fromkeys(_FIXED))
    args = parser.parse_args(list(flags))
    if args.db is not None:
        raise FlagError("--db: a reset is for an emulator in memory")
    moved = [f"--{name}" for name in ("host", "port") if getattr(args, name) is not None]
    if moved:
        raise FlagError(f"{' and '.join(moved)}: a running emulator keeps the address it listens on")
    args.host, args.port, args.admin = running.host, running.port, True
    try:
        return config_from_args(args)
    except ValueError as exc:
        raise FlagError(str(exc)) from None


def run(config: EmulatorConfig) -> int:
    """Serve until SIGTERM or SIGINT; prints the ready line first. Returns the exit status."""
    from pulumi_modelarts.emulator.app import Application
    from pulumi_modelarts.emulator.server import EmulatorServer

    app = Application(config)
    server = EmulatorServer(app)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()
    print(f"{READY_PREFIX}{server.url} (project_id={config.project_id})", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        server.shutdown()
        server.server_close()
        app.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


def main(argv: Sequence[str] | None = None, prog: str = "python -m pulumi_modelarts.emulator") -> int:
    parser = build_parser(prog)
    args = parser.parse_args(list(argv) if argv is not None else None)
    problem = _check_db(args.db)
    if problem:
        parser.error(problem)
    try:
        config = config_from_args(args)
    except ValueError as exc:
        parser.error(str(exc))
    try:
        return run(config)
    except sqlite3.Error as exc:
        print(f"emulator: --db {config.db}: not a usable SQLite database ({exc})", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"emulator: cannot listen on {config.host}:{config.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except ValueError as exc:  # seed files and fault rules
        print(f"emulator: {exc}", file=sys.stderr)
        return 2
