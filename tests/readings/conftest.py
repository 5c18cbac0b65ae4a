"""The reading matrix: an emulator per reading (module-scoped, parametrized indirectly by name), borrowed from the
shared ones and reset to the reading."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pulumi_modelarts.api.auth import clear_caches
from support.emulator_process import borrow_emulator, give_back
from support.matrix import ALL_READINGS, MATRIX_FLAGS, Played, write_seed


@pytest.fixture(scope="module")
def played(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Played]:
    """The emulator of the reading named by the test's ``reading`` parameter (indirect)."""
    reading: str = request.param
    seed = write_seed(tmp_path_factory.mktemp("matrix") / "seed.json")
    clear_caches()
    emulator = borrow_emulator(*MATRIX_FLAGS, "--seed", str(seed), *ALL_READINGS[reading])
    run = Played(reading, emulator)
    try:
        yield run
    finally:
        run.close()
        give_back(emulator)
