"""Compiled bytecode for the test run, kept out of the source tree.

A machine that sets ``PYTHONDONTWRITEBYTECODE`` (to keep ``__pycache__`` folders out of checkouts) makes every
process of the run compile what it imports from source: pytest rewrites and compiles each test module in each
worker, and every emulator or CLI process compiles the package again, about 20 s of a suite's CPU on 2 cores. The
run writes bytecode under a cache folder outside the tree instead (``sys.pycache_prefix``, and
``PYTHONPYCACHEPREFIX`` for the processes it starts), so the checkout stays as clean as the setting wants. A
machine that writes bytecode anyway, or names its own prefix, is left as it is.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def cache_outside_the_tree() -> None:
    if not sys.dont_write_bytecode or sys.pycache_prefix:
        return
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    prefix = str(base / "pulumi-modelarts" / "pycache")
    sys.pycache_prefix = prefix
    sys.dont_write_bytecode = False
    os.environ["PYTHONPYCACHEPREFIX"] = prefix
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
