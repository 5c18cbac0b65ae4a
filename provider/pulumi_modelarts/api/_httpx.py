"""``httpx``, imported without two optional parts this synchronous client never uses.

When they are installed, ``httpx`` imports its command line (``httpx._main``: rich, click, pygments), and
``httpcore`` (which ``httpx`` loads when a client is made) imports ``trio`` for async code under trio:
together about a third of the start-up of a CLI plan. While both are imported here, those two are marked
absent (``None`` in ``sys.modules`` makes their import raise ImportError, the case both packages handle),
and unmarked right after, so a program can still import them itself. What stays behind in this process:
``httpx.main`` says the command line is not installed, and httpcore's async code does not run under trio.
A process that imported ``httpx`` before this module is not affected.
"""

from __future__ import annotations

import sys

_UNUSED = ("httpx._main", "trio")

_marked = [name for name in _UNUSED if name not in sys.modules]
for _name in _marked:
    sys.modules[_name] = None  # type: ignore[assignment]
try:
    import httpcore  # noqa: F401 (imported now, while trio is marked absent)
    import httpx
finally:
    for _name in _marked:
        if _name in sys.modules and sys.modules[_name] is None:
            del sys.modules[_name]

__all__ = ["httpx"]
