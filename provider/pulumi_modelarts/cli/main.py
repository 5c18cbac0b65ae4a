"""``pulumi-modelarts``: validate, plan and apply ModelArts specs; run the emulator; print the schema.

Errors reach the user as one clear message and an exit code, never as a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from contextlib import ExitStack
from typing import Any

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2

DESCRIPTION = """\
Manage ModelArts dataset operations (Huawei Cloud, Open Telekom Cloud) declared in YAML specs:
intelligent tasks, export tasks and pinned dataset versions. `validate` needs no credentials;
`plan` reads the live API; `apply` makes it match, idempotently. Add --emulator to plan or apply
against an embedded local emulator with demo data.
"""


def _credentials_epilog() -> str:
    from pulumi_modelarts.api.config import SETTINGS_TABLE

    lines = ["credentials and settings (flag, then environment, then clouds.yaml via OS_CLOUD, then defaults):"]
    for spec in SETTINGS_TABLE:
        flag = _flag_of(spec.name)
        where = ", ".join(spec.env) or "-"
        lines.append(f"  {flag:<22} {where}")
    lines.append("Secrets are better given in the environment than as flags (shell history, process list).")
    return "\n".join(lines)


def _flag_of(setting: str) -> str:
    return "--insecure" if setting == "verify_tls" else "--" + setting.replace("_", "-")


def _add_credential_flags(parser: argparse.ArgumentParser) -> None:
    from pulumi_modelarts.api.config import SETTINGS_TABLE

    group = parser.add_argument_group("credentials and settings")
    for spec in SETTINGS_TABLE:
        flag = "--" + spec.name.replace("_", "-")
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


def build_parser() -> argparse.ArgumentParser:
    from pulumi_modelarts import __version__

    parser = argparse.ArgumentParser(
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
        sub.add_argument("paths", nargs="*", default=["specs"], help="spec files or directories (default: specs)")
        sub.add_argument(
            "--emulator",
            action="store_true",
            help="start an embedded emulator with demo data and run against it (a dry run on one machine)",
        )
        sub.add_argument("--parallelism", type=int, default=4, help="resources worked on at once (default 4)")
        _add_credential_flags(sub)
        if name == "plan":
            sub.add_argument("--format", choices=("text", "markdown", "json"), default="text")
            sub.add_argument(
                "--detailed-exitcode",
                action="store_true",
                help="exit 0 when nothing would change, 2 when changes are pending, 1 on error",
            )
        else:
            sub.add_argument("--yes", "-y", action="store_true", help="apply without asking for confirmation")
            sub.add_argument("--format", choices=("text", "json"), default="text")

    emulator = commands.add_parser("emulator", help="run the local ModelArts emulator", add_help=False)
    emulator.add_argument("emulator_args", nargs=argparse.REMAINDER)

    schema = commands.add_parser("schema", help="print the JSON Schema of spec files (for editors)")
    schema.add_argument(
        "--type",
        dest="type_token",
        help="print one resource type's input schema instead (e.g. modelarts:ExportTask)",
    )
    return parser


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_ERROR


def cmd_validate(args: argparse.Namespace) -> int:
    from pulumi_modelarts.specs import SpecError, format_problems, load_specs

    try:
        spec_set = load_specs(args.paths)
    except SpecError as error:
        print(format_problems(error.problems, args.format))
        return EXIT_ERROR
    if args.format == "json":
        print(json.dumps({"valid": True, "resources": len(spec_set.resources), "problems": []}))
    elif args.format == "text":
        print(f"{len(spec_set.resources)} resources in {len(spec_set.files)} files: valid")
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    from pulumi_modelarts import schema

    if args.type_token:
        if args.type_token not in schema.TYPE_TOKENS:
            return _fail(f"unknown type {args.type_token!r}; allowed: {', '.join(sorted(schema.TYPE_TOKENS))}")
        document = schema.load_schema(schema.TYPE_TOKENS[args.type_token])
    else:
        document = schema.spec_file_schema()
    print(json.dumps(document, indent=2))
    return EXIT_OK


def _run(args: argparse.Namespace) -> int:
    from pulumi_modelarts.api import ModelArtsClient, resolve_settings
    from pulumi_modelarts.cli import render
    from pulumi_modelarts.cli.progress import PlainProgress, make_progress
    from pulumi_modelarts.cli.runner import ResourceResult, Runner
    from pulumi_modelarts.reconcile.context import ReconcileContext
    from pulumi_modelarts.specs import SpecError, format_problems, load_specs

    try:
        spec_set = load_specs(args.paths)
    except SpecError as error:
        print(format_problems(error.problems, "text"), file=sys.stderr)
        return EXIT_ERROR

    with ExitStack() as stack:
        explicit = _explicit_settings(args)
        if args.emulator:
            from pulumi_modelarts.cli.embedded import start_embedded_emulator

            emulator = stack.enter_context(start_embedded_emulator())
            explicit = {
                **emulator.settings(),
                **{k: v for k, v in explicit.items() if k not in emulator.settings()},
            }
            print(f"embedded emulator with demo data at {emulator.url}", file=sys.stderr)
        client = ModelArtsClient(resolve_settings(**explicit))
        stack.callback(client.close)
        quiet = args.format == "json"
        # Messages go through the progress display, which prints them above its live bars.
        progress = make_progress() if args.command == "apply" and not quiet else PlainProgress()

        def log(message: str) -> None:
            if not quiet:
                progress.print(f"  {message}")

        ctx = ReconcileContext.for_client(client, log=log)
        planner = Runner(spec_set, ctx, parallelism=args.parallelism)
        results = planner.plan()
        if args.command == "plan":
            return _report_plan(args, results, client)

        if not quiet:
            print(render.plan_text(results))
        if any(result.failed for result in results):
            return _fail("the plan has errors; nothing was applied")
        blocked = [result.name for result in results if result.plan is not None and result.plan.action == "blocked"]
        if blocked:
            return _fail(f"blocked: {', '.join(blocked)} (see the plan above); nothing was applied")
        if not render.pending_changes(results) and not any(r.plan and r.plan.action == "wait" for r in results):
            if quiet:
                print(render.results_json(results, api_calls=client.stats.snapshot()))
            else:
                print("Nothing to do: the live API matches the specs.")
            return EXIT_OK
        if not args.yes:
            if not sys.stdin.isatty():
                return _fail("refusing to apply without confirmation: pass --yes (no terminal to ask on)")
            answer = input("Apply these changes? [y/N] ").strip().lower()
            if answer not in ("y", "yes"):
                print("Cancelled; nothing was applied.")
                return EXIT_ERROR

        def show(result: ResourceResult) -> None:
            if not quiet:
                progress.print(render.apply_line(result))

        if not quiet:
            ctx.on_progress = progress
        # The plan's observation stays valid: every write below invalidates what it changes.
        applier = Runner(spec_set, ctx, parallelism=args.parallelism, on_result=show)
        with progress:  # the live display ends before the summary is printed
            outcome = applier.apply()
        failed = [result for result in outcome if result.failed or result.skipped]
        if quiet:
            print(render.results_json(outcome, api_calls=client.stats.snapshot()))
        else:
            done = len(outcome) - len(failed)
            print(f"Applied: {done} of {len(outcome)} resources ok" + (f", {len(failed)} not" if failed else ""))
        return EXIT_ERROR if failed else EXIT_OK


def _report_plan(args: argparse.Namespace, results: Any, client: Any) -> int:
    from pulumi_modelarts.cli import render

    if args.format == "json":
        print(render.results_json(results, api_calls=client.stats.snapshot()))
    elif args.format == "markdown":
        print(render.plan_markdown(results))
    else:
        print(render.plan_text(results))
    if any(result.failed for result in results):
        return EXIT_ERROR
    if args.detailed_exitcode and render.pending_changes(results):
        return EXIT_CHANGES
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["emulator"]:
        from pulumi_modelarts.emulator.__main__ import main as emulator_main

        return emulator_main(arguments[1:])
    parser = build_parser()
    args = parser.parse_args(arguments)
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
        print(
            "interrupted; running tasks keep running and the next apply resumes waiting on them",
            file=sys.stderr,
        )
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
