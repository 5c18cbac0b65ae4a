"""How hard the property tests (Hypothesis) search: two profiles, chosen with ``--hypothesis-profile``.

* ``quick`` (the default, so the README's test command): Hypothesis' own default of 100 examples per property,
  which finds a regression in the input handling within the suite's time budget.
* ``thorough``: 600 examples per property; CI runs every property test again under it
  (``python -m pytest -n 2 -q -m properties --hypothesis-profile thorough``).

A test that sets ``max_examples`` itself keeps its number under both: it is one whose examples are expensive.
Every test that uses ``@given`` carries the ``properties`` marker (added at collection, ``mark``).
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest
from hypothesis import settings

QUICK = 100
THOROUGH = 600

settings.register_profile("quick", max_examples=QUICK)
settings.register_profile("thorough", max_examples=THOROUGH)
settings.load_profile("quick")  # `--hypothesis-profile` (read later, at configure time) replaces it


def mark(items: Iterable[pytest.Item]) -> None:
    """Mark the property tests, so that ``-m properties`` selects them all."""
    for item in items:
        if getattr(getattr(item, "obj", None), "is_hypothesis_test", False):
            item.add_marker(pytest.mark.properties)
