"""Every plan document the tests produce is validated against the published schema (`schema --plan`).

Plan documents leave the package through one function, ``pulumi_modelarts.cli.plan_file.dumps`` (what
``plan --format json`` prints and ``plan --out`` saves). While the tests run it is wrapped to copy each
document into a spool folder: in this process (``install``), and in every Python subprocess started with
this process's environment, through ``plan_hook/sitecustomize.py`` on ``PYTHONPATH`` (the CLI run as
``python -m pulumi_modelarts.cli.main`` or as the console script). After each test an autouse fixture
(``tests/conftest.py``) validates what the test produced and fails the test on a document the schema
refuses; a test cannot produce a plan that escapes the check.
"""

from __future__ import annotations

import functools
import importlib.abc
import importlib.util
import itertools
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

SPOOL_ENV = "PULUMI_MODELARTS_TEST_PLAN_SPOOL"
HOOK_DIR = Path(__file__).with_name("plan_hook")
TARGET = "pulumi_modelarts.cli.plan_file"
_counter = itertools.count()


def _spool(text: str) -> None:
    folder = os.environ.get(SPOOL_ENV)
    if folder:
        path = Path(folder) / f"{os.getpid()}-{next(_counter):06d}.json"
        path.write_text(text, encoding="utf-8")


def wrap(module: Any) -> None:
    """Make ``module.dumps`` (plan_file's) copy every document it serializes into the spool."""
    original: Callable[..., str] = module.dumps
    if getattr(original, "spooled", False):
        return

    @functools.wraps(original)
    def dumps(*args: Any, **kwargs: Any) -> str:
        text = original(*args, **kwargs)
        _spool(text)
        return text

    dumps.spooled = True  # type: ignore[attr-defined]
    module.dumps = dumps


class _Finder(importlib.abc.MetaPathFinder):
    """Wraps plan_file.dumps right after the module is first executed (a subprocess imports it lazily)."""

    def find_spec(self, name: str, path: Any, target: ModuleType | None = None) -> Any:
        if name != TARGET:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        loader: Any = spec.loader
        execute = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            execute(module)
            wrap(module)

        loader.exec_module = exec_module
        return spec


def install_import_hook() -> None:
    """In a subprocess: wrap plan_file.dumps when it is imported (nothing is imported ahead)."""
    if os.environ.get(SPOOL_ENV) and TARGET not in sys.modules:
        sys.meta_path.insert(0, _Finder())


def install(spool: Path) -> None:
    """In the test process: spool into ``spool``, here and in every subprocess that inherits the environment."""
    os.environ[SPOOL_ENV] = str(spool)
    paths = [str(HOOK_DIR), *[p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]]
    os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    from pulumi_modelarts.cli import plan_file

    wrap(plan_file)


@functools.cache
def validator() -> Any:
    import jsonschema

    from pulumi_modelarts import schema

    document = schema.plan_schema()
    jsonschema.Draft202012Validator.check_schema(document)
    return jsonschema.Draft202012Validator(_inline(document, document["$defs"]))


def _inline(node: Any, defs: dict[str, Any], within: tuple[str, ...] = ()) -> Any:
    """``node`` with each local ``$ref`` replaced by its definition, except inside that definition itself (the
    recursive ones stay references): the same schema, checked about a third faster (every test's plans are)."""
    if isinstance(node, list):
        return [_inline(item, defs, within) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    name = ref.removeprefix("#/$defs/") if isinstance(ref, str) else None
    if name in defs and name not in within:
        rest = {key: _inline(value, defs, within) for key, value in node.items() if key != "$ref"}
        target = _inline(defs[name], defs, (*within, name))
        return {"allOf": [target], **rest} if rest else target
    return {key: _inline(value, defs, within) for key, value in node.items()}


def problems(document: Any) -> list[str]:
    """What the plan schema finds wrong with ``document`` (empty: valid)."""
    found = sorted(validator().iter_errors(document), key=lambda error: list(error.absolute_path))
    return [f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}" for error in found]


def spooled(spool: Path) -> Iterator[Path]:
    yield from sorted(spool.glob("*.json"))


def check_and_clear(spool: Path) -> int:
    """Validate every spooled document and remove it; AssertionError naming each invalid one. Returns the count."""
    failures = []
    count = 0
    for path in spooled(spool):
        count += 1
        text = path.read_text(encoding="utf-8")
        path.unlink()
        found = problems(json.loads(text))
        if found:
            failures.append(f"a plan document does not match `schema --plan`: {'; '.join(found[:5])}\n{text[:2000]}")
    assert not failures, "\n".join(failures)
    return count
