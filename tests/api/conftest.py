from __future__ import annotations

from collections.abc import Iterator

import pytest

from pulumi_modelarts.api import auth, client


@pytest.fixture(autouse=True)
def _fresh_process_caches() -> Iterator[None]:
    """Tokens, project ids and pools are process-wide by design; each test starts without them."""
    auth.clear_caches()
    yield
    auth.clear_caches()
    client.close_shared_clients()
