"""Shared fixtures (helpers live in tests/support.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support import Emulator, start_emulator

from emulator import launcher


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """A fresh emulator for the test module, stopped at its end."""
    running = start_emulator(tmp_path_factory.mktemp("state"))
    yield running
    launcher.stop(running.settings)
