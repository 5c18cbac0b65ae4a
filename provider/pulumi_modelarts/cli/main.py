"""``pulumi-modelarts``: validate, plan and apply ModelArts specs; run the emulator; print the schema.

Errors reach the user as one clear message and an exit code, never as a traceback.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from pulumi_modelarts.cli.markdown import PlanContext
    from pulumi_modelarts.cli.orphans import OrphanReport
    from pulumi_modelarts.cli.runner import ResourceResult
    from pulumi_modelarts.reconcile.decision import Write
    from pulumi_modelarts.reconcile.waiting import Probe
    from pulumi_modelarts.specs import SpecProblem

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2
EXIT_INTERRUPTED = 130

DESCRIPTION = """\
Manage ModelArts dataset operations (Huawei Cloud, Open Telekom Cloud) declared in YAML specs:
intelligent tasks, export tasks and pinned dataset versions. `validate` needs no credentials;
`plan` reads the live API; `apply` makes it match, idempotently. Add --emulator to plan or apply
against an embedded local emulator with demo data.
"""


MAX_PARALLELISM = 64
# Settings that --emulator sets itself; giving one of them as a flag too is refused.
EMULATOR_SETTINGS = (
    "region", "project_id", "project_name", "endpoint", "iam_endpoint", "access_key", "secret_key",
    "security_token", "username", "password", "domain_name", "domain_id", "auth_token", "cloud",
)  # fmt: skip


class _Parser(argparse.ArgumentParser):
    """Usage errors are one line (``pulumi-modelarts plan: error: ...``), exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")

    def parse_args_of_command(self, arguments: Sequence[str]) -> argparse.Namespace:
        """Like ``parse_args``, but an unknown argument is reported by the subcommand that got it."""
        args, unknown = self.parse_known_args(arguments)
        if unknown:
            parser: _Parser = getattr(args, "parser", self)
            parser.error(f"unrecognized arguments: {' '.join(unknown)}")
        return args


def _parallelism(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to {MAX_PARALLELISM}, got {text!r}") from None
    if not 1 <= value <= MAX_PARALLELISM:
        raise argparse.ArgumentTypeError(f"must be from 1 to {MAX_PARALLELISM}, got {value}")
    return value


def _credentials_epilog() -> str:
    from pulumi_modelarts.api.config import SETTINGS_TABLE

    lines = ["credentials and settings (flag, then environment, then clouds.yaml via OS_CLOUD, then defaults):"]
    for spec in SETTINGS_TABLE:
        where = ", ".join(spec.env) or "-"
        lines.append(f"  {spec.flag:<22} {where}")
    lines.append("Secrets are better given in the environment than as flags (shell history, process list).")
    lines.append("--emulator uses its own settings: it ignores these in the environment and refuses them as flags.")
    return "\n".join(lines)


def _add_credential_flags(parser: argparse.ArgumentParser) -> None:
    from pulumi_modelarts.api.config import SETTINGS_TABLE

    group = parser.add_argument_group("credentials and settings")
    for spec in SETTINGS_TABLE:
        flag = spec.flag
        if spec.name == "verify_tls":
            group.add_argument(
                "--insecure", dest="verify_tls", action="store_false", default=None, help=spec.description
            )
            continue
        group.add_argument(flag, dest=f"setting_{spec.name}", metavar=spec.name.upper(), help=spec.description)


def _explicit_settings(args: argparse.Namespace) -> dict[str, Any]:
    explicit = {
        key.removeprefix("setting_"): value
        for key, value in vars(args).items()
        if key.startswith("setting_") and value is not None
    }
    if getattr(args, "verify_tls", None) is False:
        explicit["verify_tls"] = False
    return explicit


def build_parser() -> _Parser:
    from pulumi_modelarts import __version__

    parser = _Parser(
        prog="pulumi-modelarts", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"pulumi-modelarts {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = commands.add_parser(
        "validate",
        help="check specs against the schema and each other; no credentials, no network",
        description="Check spec files: schema, references, dependency cycles. Exit 0 when valid, 1 otherwise.",
    )
    validate.add_argument("paths", nargs="*", default=["specs"], help="spec files or directories (default: specs)")
    validate.add_argument("--format", choices=("text", "json", "github"), default="text")
    validate.set_defaults(parser=validate)

    for name, help_text in (
        ("plan", "show what apply would do, read-only"),
        ("apply", "make the live API match the specs"),
    ):
        sub = commands.add_parser(
            name,
            help=help_text,
            epilog=_credentials_epilog(),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        sub.add_argument("paths", nargs="*", help="spec files or directories (default: specs)")
        sub.add_argument(
            "--emulator",
            action="store_true",
            help="start an embedded emulator with demo data and run against it (a dry run on one machine)",
        )
        sub.add_argument(
            "--emulator-reading",
            choices=("lenient", "cloud-strict"),
            help="with --emulator: how it answers where the API docs are open (cloud-strict: the reading hardest"
            " for a client on every point; see README, 'Emulator readings')",
        )
        sub.add_argument(
            "--parallelism",
            type=_parallelism,
            default=4,
            help=f"resources worked on at once, 1 to {MAX_PARALLELISM} (default 4; a plan reads 4 lists per slot)",
        )
        sub.add_argument(
            "--namespace",
            help="the owner of the specs' tasks (default: the spec files' `name:`, else 'default'); another"
            " namespace's tasks are never adopted, replaced or stopped",
        )
        sub.add_argument(
            "--prune",
            action="store_true",
            help="stop orphans: running tasks of this namespace whose resource is no longer declared (the plan"
            " lists them either way; only --prune stops them)",
        )
        _add_credential_flags(sub)
        sub.set_defaults(parser=sub)
        if name == "plan":
            sub.add_argument("--format", choices=("text", "markdown", "json"), default="text")
            sub.add_argument(
                "--out",
                metavar="FILE",
                help="save the plan (JSON) for `apply --plan FILE`, which carries out exactly this plan or refuses",
            )
            sub.add_argument(
                "--timings", action="store_true", help="add seconds per resource and API call counts to the JSON"
            )
            sub.add_argument(
                "--detailed-exitcode",
                action="store_true",
                help="exit 0 when nothing would change, 2 when changes are pending, 1 on errors or anything blocked",
            )
        else:
            sub.add_argument(
                "--plan",
                dest="plan_file",
                metavar="FILE",
                help="carry out the plan saved by `plan --out FILE` (its specs, its decisions) or refuse, naming"
                " what changed; SPECS are taken from the plan",
            )
            sub.add_argument("--yes", "-y", action="store_true", help="apply without asking for confirmation")
            sub.add_argument("--format", choices=("text", "json"), default="text")

    emulator = commands.add_parser("emulator", help="run the local ModelArts emulator", add_help=False)
    emulator.add_argument("emulator_args", nargs=argparse.REMAINDER)

    schema = commands.add_parser("schema", help="print the JSON Schema of spec files (for editors)")
    which = schema.add_mutually_exclusive_group()
    which.add_argument(
        "--type",
        dest="type_token",
        help="print one resource type's input schema instead (e.g. modelarts:ExportTask)",
    )
    which.add_argument(
        "--plan",
        action="store_true",
        help="print the JSON Schema of the plan document instead (`plan --format json`, `plan --out`)",
    )
    schema.set_defaults(parser=schema)
    return parser


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_ERROR


def cmd_validate(args: argparse.Namespace) -> int:
    from pulumi_modelarts.cli.render import plural
    from pulumi_modelarts.specs import SpecError, format_problems, load_specs

    try:
        spec_set = load_specs(args.paths)
    except SpecError as error:
        if args.format == "json":
            problems = [asdict(problem) for problem in error.problems]
            print(json.dumps({"valid": False, "resources": None, "files": None, "problems": problems}, indent=2))
        else:
            print(format_problems(error.problems, args.format))
        return EXIT_ERROR
    if args.format == "json":
        document = {"valid": True, "resources": len(spec_set.resources), "files": len(spec_set.files), "problems": []}
        print(json.dumps(document, indent=2))
    elif args.format == "text":
        print(f"{plural(len(spec_set.resources), 'resource')} in {plural(len(spec_set.files), 'file')}: valid")
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    from pulumi_modelarts import schema

    if args.plan:
        document = schema.plan_schema()
    elif args.type_token:
        if args.type_token not in schema.TYPE_TOKENS:
            return _fail(f"unknown type {args.type_token!r}; allowed: {', '.join(sorted(schema.TYPE_TOKENS))}")
        document = schema.type_schema(args.type_token)
    else:
        document = schema.spec_file_schema()
    print(json.dumps(document, indent=2))
    return EXIT_OK


class _Outcome:
    """How a plan or apply run ends: its exit status, and the one message or document it prints.

    A run that fails still prints its document on stdout (JSON with ``ok: false``, or the markdown
    of a failed plan), so a pull request's comment says what failed instead of keeping a stale plan.
    """

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.json = args.format == "json"
        self.command = args.command
        self.client: Any = None
        self.settings: Any = None
        self.spec_set: Any = None  # once the specs are read
        self.target: Any = None  # once the settings are resolved
        self.digest: str | None = None  # the saved plan's digest, with plan --out
        self.applied = False  # whether carrying out the plan began (then an interruption may have changed things)
        self.phases: dict[str, float] = {}  # seconds of each phase so far, for --timings

    @property
    def extra(self) -> dict[str, Any]:
        """The fields every JSON document of the run has besides the resources."""
        stats = self.client.stats.snapshot() if self.client is not None else None
        return {"command": self.command, "api_calls": stats}

    @property
    def plan_extra(self) -> dict[str, Any] | None:
        """What a plan document adds with ``--timings``: the API calls of the run and the seconds of its phases."""
        if not getattr(self.args, "timings", False):
            return None
        phases = {name: round(seconds, 3) for name, seconds in self.phases.items()}
        return {"api_calls": self.extra["api_calls"], "phases": phases}

    def context(self, *, planned: bool = False) -> PlanContext:
        """The head of a markdown plan; the project id is asked of the client only once a plan reached the API."""
        from urllib.parse import urlsplit

        from pulumi_modelarts import __version__
        from pulumi_modelarts.api.errors import ModelArtsError
        from pulumi_modelarts.cli.markdown import PlanContext

        env = os.environ
        run = [env.get(name) for name in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")]
        settings, host, project = self.settings, None, None
        if settings is not None:
            parts = urlsplit(settings.endpoint)
            host = f"{parts.hostname}:{parts.port}" if parts.port else parts.hostname
            project = settings.project_id
            if project is None and planned and self.client is not None:
                try:
                    project = self.client.project_id  # learned from IAM during the plan: no call
                except ModelArtsError:
                    project = None
        return PlanContext(
            commit=env.get("GITHUB_SHA") or _git_commit(self.args.paths),
            endpoint_host=host,
            region=settings.region if settings is not None else None,
            project_id=project,
            emulator=self.args.emulator,
            version=__version__,
            digest=self.digest,
            plan_file=getattr(self.args, "out", None),
            run_url="{}/{}/actions/runs/{}".format(*run) if all(run) else None,
        )

    def error(self, message: str, results: Sequence[ResourceResult] = (), problems: Sequence[SpecProblem] = ()) -> int:
        if self.json and self.command == "plan":  # the plan document, with ok: false
            from pulumi_modelarts.cli import plan_file

            document = plan_file.document(
                results,
                self.spec_set,
                self.args.paths,
                self.target,
                error=message,
                problems=problems,
                extra=self.plan_extra,
            )
            print(plan_file.dumps(document), end="")
        elif self.json:
            from pulumi_modelarts.cli import render

            found = {"problems": [asdict(problem) for problem in problems]} if problems else {}
            print(render.results_json(results, error=message, **self.extra, **found))
        elif self.args.format == "markdown":
            from pulumi_modelarts.cli.markdown import failure_markdown

            print(failure_markdown(message, self.context(), [str(problem) for problem in problems]))
        print(f"error: {message}", file=sys.stderr)
        return EXIT_ERROR

    def interrupted(self) -> int:
        """Stopped by a signal outside the apply's own handling: the failure document, exit 130."""
        message = "interrupted" if self.applied else "interrupted; nothing was changed"
        if self.json:
            from pulumi_modelarts.cli import render

            print(render.results_json([], error="interrupted", interrupted=True, **self.extra))
        elif self.args.format == "markdown":
            from pulumi_modelarts.cli.markdown import failure_markdown

            print(failure_markdown(message, self.context()))
        print(message, file=sys.stderr)
        return EXIT_INTERRUPTED


def _git_commit(paths: Sequence[str]) -> str | None:
    """The commit checked out where the specs are, when they are in a git checkout (else None)."""
    import subprocess
    from pathlib import Path

    first = Path(paths[0]) if paths else Path()
    where = first if first.is_dir() else first.parent
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=where, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = done.stdout.strip()
    return commit if done.returncode == 0 and commit else None


def _settings(args: argparse.Namespace, stack: ExitStack) -> Any:
    from pulumi_modelarts.api import resolve_settings
    from pulumi_modelarts.api.config import SPECS

    explicit = _explicit_settings(args)
    if not args.emulator:
        if args.emulator_reading is not None:
            raise _UsageError("--emulator-reading chooses how the embedded emulator answers: it needs --emulator")
        return resolve_settings(**explicit, origin="cli")
    clashes = [SPECS[name].flag for name in EMULATOR_SETTINGS if name in explicit]
    if clashes:
        raise _UsageError(
            f"--emulator runs against an embedded emulator with its own endpoint and credentials; "
            f"it cannot be combined with {', '.join(clashes)} (drop them, or drop --emulator)"
        )
    from pulumi_modelarts.cli.embedded import start_embedded_emulator

    emulator = stack.enter_context(start_embedded_emulator(args.emulator_reading or "lenient"))
    print(f"embedded emulator with demo data at {emulator.url}", file=sys.stderr)
    # The environment's credentials belong to a real cloud: an embedded run never reads them.
    return resolve_settings(**emulator.settings(), **explicit, environ={}, origin="cli")


class _UsageError(Exception):
    """A wrong combination of flags, reported as one line."""


def _run(args: argparse.Namespace) -> int:
    """Plan (and apply); Ctrl-C or SIGTERM before applying ends the run at once with exit 130 and, with
    ``--format json``, its document (reads queued are cancelled, reads in flight abandoned)."""
    from pulumi_modelarts.specs import collector_paused

    outcome = _Outcome(args)
    # A plan reads and ends, and what it builds is freed by reference counting: the cyclic collector would only
    # scan the growing heap again and again (a tenth of the CPU of a plan of 5,000). An apply may wait for hours.
    paused = collector_paused() if args.command == "plan" else nullcontext()
    try:
        with _interrupt_on_signals(), paused:
            return _run_with(args, outcome)
    except KeyboardInterrupt:
        return outcome.interrupted()


def _run_with(args: argparse.Namespace, outcome: _Outcome) -> int:
    from pulumi_modelarts.api import ModelArtsClient
    from pulumi_modelarts.api.errors import ModelArtsError
    from pulumi_modelarts.cli import plan_file, render
    from pulumi_modelarts.cli.progress import PlainProgress, make_progress
    from pulumi_modelarts.cli.render import plural
    from pulumi_modelarts.cli.runner import Runner, approvals
    from pulumi_modelarts.reconcile.context import ReconcileContext
    from pulumi_modelarts.reconcile.spec import DEFAULT_NAMESPACE
    from pulumi_modelarts.reconcile.waiting import STOP
    from pulumi_modelarts.specs import SpecError, format_problems, load_specs

    STOP.reset()
    saved: dict[str, Any] | None = None
    if getattr(args, "plan_file", None):
        if args.paths:
            return outcome.error("apply --plan takes the spec files from the plan; drop the SPECS arguments")
        try:
            saved = plan_file.load(args.plan_file)
        except plan_file.PlanFileError as error:
            return outcome.error(f"refusing {args.plan_file}: {error}")
        args.paths = plan_file.paths_of(saved)
    args.paths = args.paths or ["specs"]
    started = time.perf_counter()
    try:
        spec_set = load_specs(args.paths)
    except SpecError as error:
        print(format_problems(error.problems, "text"), file=sys.stderr)
        count = plural(len(error.problems), "problem")
        return outcome.error(f"the specs are not valid ({count})", problems=error.problems)
    outcome.spec_set = spec_set
    outcome.phases["load"] = time.perf_counter() - started
    namespace = args.namespace or spec_set.name or DEFAULT_NAMESPACE

    with ExitStack() as stack:
        try:
            settings = outcome.settings = _settings(args, stack)
        except (_UsageError, ModelArtsError) as error:
            return outcome.error(str(error))
        target = outcome.target = plan_file.target_of(settings, namespace, emulator=args.emulator)
        if saved is not None:
            refused = plan_file.refusals(saved, spec_set, target)
            if args.prune and not plan_file.pruned(saved):
                refused.append("the plan was made without --prune, so it approves no stop (plan again with --prune)")
            if refused:
                return outcome.error(f"refusing {args.plan_file}: " + "; ".join(refused))
        client = ModelArtsClient(settings, sleep=STOP.sleep, before_write=STOP.check)
        stack.callback(client.close)
        outcome.client = client
        quiet = outcome.json
        # Messages go through the progress display, which prints them above its live bars.
        progress = make_progress() if args.command == "apply" and not quiet else PlainProgress()

        def log(message: str) -> None:
            if not quiet:
                progress.print(f"  {message}")

        ctx = ReconcileContext.for_client(client, log=log, sleep=STOP.sleep)
        runner = Runner(spec_set, ctx, namespace=namespace, parallelism=args.parallelism)
        if saved is not None:
            project = _project_of(client)
            if project is not None and (saved.get("target") or {}).get("project_id") not in (None, project):
                planned = saved["target"]["project_id"]
                return outcome.error(
                    f"refusing {args.plan_file}: the project is {project}, the plan was made for {planned}"
                )
            runner.prefetch()
            approved = plan_file.approvals(saved)
            stops = plan_file.orphan_stops(saved)
            if not quiet:
                digest = saved["specs"]["digest"]
                also = f", {plural(len(stops), 'orphaned task')} to stop" if stops else ""
                count = plural(len(approved), "resource")
                print(f"Applying the plan in {args.plan_file} ({count}{also}, specs {digest})")
            return _apply(args, outcome, runner, approved, [], progress, quiet, stops)

        planning = time.perf_counter()
        results = runner.plan()
        rejected = client_rejection(client)
        if rejected is not None:
            return outcome.error(rejected, results)
        try:
            orphans = runner.find_orphans(results, args.prune)
        except ModelArtsError as error:
            return outcome.error(f"cannot look for orphaned tasks: {error}", results)
        outcome.phases["observe"] = runner.observed_seconds
        outcome.phases["decide"] = time.perf_counter() - planning - runner.observed_seconds
        project = _project_of(client)
        target = outcome.target = plan_file.target_of(settings, namespace, project_id=project, emulator=args.emulator)
        if args.command == "plan":
            return _report_plan(args, outcome, results, spec_set, target, orphans)

        if not quiet:
            print(render.plan_text(results, orphans))
        if any(result.failed for result in results):
            return outcome.error("the plan has errors; nothing was applied", results)
        blocked = [result for result in results if result.blocked]
        if blocked:
            reasons = "; ".join(f"{r.name}: {r.decision.summary}" for r in blocked if r.decision)
            return outcome.error(f"blocked, so nothing was applied: {reasons}", results)
        waits = any(r.decision and r.decision.action == "wait" for r in results)
        if not render.pending_changes(results) and not waits and not orphans.writes:
            if quiet:
                print(render.results_json(results, **outcome.extra))
            else:
                print("Nothing to do: the live API matches the specs.")
            return EXIT_OK
        if not args.yes:
            if not _confirmed():
                return outcome.error("cancelled; nothing was applied", results)
            ctx.observer.invalidate()  # time passed at the prompt: apply decides from a fresh observation
        return _apply(args, outcome, runner, approvals(results), results, progress, quiet, orphans.writes)


def _project_of(client: Any) -> str | None:
    """The project id the client works in (resolved through IAM when the settings do not give it)."""
    from pulumi_modelarts.api.errors import ModelArtsError

    try:
        return str(client.project_id)
    except ModelArtsError:
        return None


def _apply(
    args: argparse.Namespace,
    outcome: _Outcome,
    runner: Any,
    approved: dict[str, Any],
    planned: Sequence[ResourceResult],
    progress: Any,
    quiet: bool,
    stops: Sequence[Write] = (),
) -> int:
    """Carry out the approved decisions; a resource whose fresh decision moved is not written, and named.

    ``stops`` are the approved stops of orphaned tasks (``--prune``), made first: a declared task that
    waits for one of them to end can then start.
    """
    from pulumi_modelarts.cli import orphans, render
    from pulumi_modelarts.cli.render import plural

    outcome.applied = True
    following = _Following(progress if not quiet else None)
    runner.ctx.on_progress = following
    finished: dict[str, ResourceResult] = {}

    def show(result: ResourceResult) -> None:
        finished[result.name] = result
        if not quiet:
            progress.print(render.apply_line(result))

    def stopped(item: orphans.Stopped) -> None:
        if not quiet:
            progress.print(render.stop_line(item))

    runner.on_result = show
    try:
        with progress, _stop_on_signals():  # the live display ends before the summary is printed
            pruned = orphans.stop(
                runner.ctx, stops, runner.namespace, parallelism=runner.parallelism, on_stopped=stopped
            )
            applied = runner.apply(approved)
    except KeyboardInterrupt:  # waiting.Interrupted: a stop was requested
        return _interrupted(outcome, planned, finished, following)
    failed = [result for result in applied if result.failed or result.skipped]
    not_stopped = [item for item in pruned if item.error is not None]
    rejected = client_rejection(runner.ctx.client)
    total = plural(len(applied), "resource")
    moved = [result.name for result in applied if result.error and "changed since the plan" in result.error]
    if quiet:
        reason = rejected or (f"{len(failed)} of {total} not applied" if failed else None)
        if not_stopped and reason is None:
            reason = f"{plural(len(not_stopped), 'orphaned task')} not stopped"
        stopped_json = [item.to_json() for item in pruned]
        print(render.results_json(applied, error=reason, orphans=stopped_json, **outcome.extra))
    else:
        done = len(applied) - len(failed)
        print(f"Applied: {done} of {total} ok" + (f", {len(failed)} not" if failed else ""))
        if pruned:
            print(f"Orphaned tasks: {len(pruned) - len(not_stopped)} of {len(pruned)} stopped or ended")
        if moved:
            print(
                f"changed since the plan: {', '.join(moved)}; nothing was written for them (or what depends on"
                " them). Plan again to review the new decisions.",
                file=sys.stderr,
            )
        if rejected is not None:
            print(f"error: {rejected}", file=sys.stderr)
    return EXIT_ERROR if failed or not_stopped else EXIT_OK


def client_rejection(client: Any) -> str | None:
    """The message of rejected credentials, if IAM or the gateway rejected them during this run."""
    error = client.credential_rejection
    return None if error is None else str(error)


def _confirmed() -> bool:
    if sys.stdin is None or not sys.stdin.isatty():  # None: started with stdin closed (<&-)
        print("error: refusing to apply without confirmation: pass --yes (no terminal to ask on)", file=sys.stderr)
        return False
    try:
        answer = input("Apply these changes? [y/N] ").strip().lower()
    except EOFError:  # Ctrl-D
        print()
        answer = ""
    return answer in ("y", "yes")


class _Following:
    """Forwards progress to the display and remembers the last state of everything waited on."""

    def __init__(self, display: Any) -> None:
        self.display = display
        self.last: dict[str, tuple[dict[str, Any], Probe]] = {}

    def __call__(self, label: str, item: dict[str, Any], probe: Probe) -> None:
        self.last[label] = (item, probe)
        if self.display is not None:
            self.display(label, item, probe)

    def running(self) -> list[str]:
        """What was still running remotely, one line each: resource, kind of object, id and status."""
        from pulumi_modelarts.cli.progress import describe_item

        return [
            f"{label}: {describe_item(item)}" for label, (item, probe) in sorted(self.last.items()) if not probe.done
        ]


def _interrupted(
    outcome: _Outcome,
    results: Sequence[ResourceResult],
    finished: dict[str, ResourceResult],
    following: _Following,
) -> int:
    from pulumi_modelarts.cli import render

    running = following.running()
    lines = ["interrupted: nothing more was started or changed after the signal."]
    if running:
        lines.append("Still running remotely (not stopped):")
        lines += [f"  {line}" for line in running]
    lines.append("Run the same apply again to resume: it finds this work and waits on it instead of starting it twice.")
    if outcome.json:
        done = [finished.get(result.name, result) for result in results]
        print(
            render.results_json(done, error="interrupted", interrupted=True, running_remotely=running, **outcome.extra)
        )
    print("\n".join(lines), file=sys.stderr)
    return EXIT_INTERRUPTED


@contextmanager
def _stop_on_signals() -> Iterator[None]:
    """While applying, SIGINT and SIGTERM request a stop (every wait ends at once, no write starts; the runner
    stops waiting for calls in flight)."""
    from pulumi_modelarts.reconcile.waiting import STOP

    def on_signal(signum: int, frame: object) -> None:
        STOP.request()

    with _signals_handled_by(on_signal):
        yield
    STOP.check()  # a signal that came as the last resource finished still ends the run as interrupted


@contextmanager
def _interrupt_on_signals() -> Iterator[None]:
    """Before applying, SIGINT and SIGTERM request a stop and interrupt the main thread where it waits (a read,
    the reads of the prefetch, the prompt): nothing waits for the reads queued or in flight."""
    from pulumi_modelarts.reconcile.waiting import STOP

    def on_signal(signum: int, frame: object) -> None:
        STOP.request()
        raise KeyboardInterrupt

    with _signals_handled_by(on_signal):
        yield


@contextmanager
def _signals_handled_by(handler: Any) -> Iterator[None]:
    """SIGINT and SIGTERM go to ``handler`` here, and back to what they went to before afterwards."""
    import signal

    try:
        previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    except ValueError:  # not the main thread: no signal handling to install
        yield
        return
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _report_plan(
    args: argparse.Namespace,
    outcome: _Outcome,
    results: Sequence[ResourceResult],
    spec_set: Any,
    target: Any,
    orphans: OrphanReport,
) -> int:
    """Print the plan (and save it with ``--out``); exit 1 on errors or anything blocked, else 0 (or 2 with
    pending changes and ``--detailed-exitcode``)."""
    from pulumi_modelarts.cli import plan_file, render

    failed = [result.name for result in results if result.failed]
    blocked = [result.name for result in results if result.blocked]
    problems = []
    if failed:
        problems.append(f"errors in {', '.join(failed)}")
    if blocked:
        problems.append(f"blocked: {', '.join(blocked)}")
    error = "; ".join(problems) or None
    document = plan_file.document(
        results,
        spec_set,
        args.paths,
        target,
        error=error,
        orphans=orphans,
        extra=outcome.plan_extra,
        timings=args.timings,
    )
    if args.out:
        try:
            outcome.digest = plan_file.write(args.out, document)
        except OSError as problem:
            return outcome.error(f"cannot write the plan to {args.out}: {problem.strerror or problem}")
    if args.format == "json":
        print(plan_file.dumps(document), end="")
    elif args.format == "markdown":
        from pulumi_modelarts.cli.markdown import plan_markdown

        dependencies = {name: resource.dependencies for name, resource in spec_set.resources.items()}
        planned = any(result.decision is not None for result in results)
        context = outcome.context(planned=planned)
        print(plan_markdown(results, dependencies, context=context, error=error, orphans=orphans))
    else:
        print(render.plan_text(results, orphans))
    if error:
        if args.format != "json":
            print(f"error: {error}", file=sys.stderr)
        return EXIT_ERROR
    if args.detailed_exitcode and (render.pending_changes(results) or orphans.writes):
        return EXIT_CHANGES
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["emulator"]:
        from pulumi_modelarts.emulator.cli import main as emulator_main

        return emulator_main(arguments[1:], prog="pulumi-modelarts emulator")
    parser = build_parser()
    args = parser.parse_args_of_command(arguments)
    from pulumi_modelarts.api.errors import ModelArtsError

    try:
        if args.command == "validate":
            return cmd_validate(args)
        if args.command == "schema":
            return cmd_schema(args)
        return _run(args)
    except ModelArtsError as error:
        return _fail(str(error))
    except KeyboardInterrupt:
        print("interrupted; nothing was changed", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_ERROR


def run() -> NoReturn:
    """The console script: :func:`main`, then exit. What is still alive is frozen first, so the interpreter's
    last collection does not scan the whole heap (tens of milliseconds after a plan of a few hundred resources)."""
    code = main()
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    run()
