"""The reliability scenarios share one moto server on 127.0.0.1 (each run provisions its own resources): the
launcher the long run uses (`moto_server.py`, in a child process), so both run on the same emulator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .runner import moto_endpoint as launched_moto


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    with launched_moto("process") as endpoint:
        yield endpoint
