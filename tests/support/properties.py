"""How hard the property tests (Hypothesis) search: two profiles, chosen with ``--hypothesis-profile``.

* ``quick`` (the default, so the README's test command): Hypothesis' own default of 100 examples per property,
  which finds a regression in the input handling within the suite's time budget.
* ``thorough``: 600 examples per property; CI runs every property test again under it
  (``python -m pytest -n 2 -q -m properties --hypothesis-profile thorough``).

A test that sets ``max_examples`` itself keeps its number under both: it is one whose examples are expensive.
Every test that uses ``@given`` carries the ``properties`` marker (added at collection, ``mark``). ``json_like``
builds the nested JSON-like values several of them draw.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st

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


def json_like(
    leaves: st.SearchStrategy[Any], keys: st.SearchStrategy[str], *, depth: int, max_list: int, max_dict: int
) -> st.SearchStrategy[Any]:
    """``leaves``, or lists and dicts of values like these up to ``depth`` containers deep. Built level by level:
    ``st.recursive``'s size control cost most of the property tests' time."""
    values = leaves
    for _ in range(depth):
        values = st.one_of(
            leaves, st.lists(values, max_size=max_list), st.dictionaries(keys, values, max_size=max_dict)
        )
    return values
