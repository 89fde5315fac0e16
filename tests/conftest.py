"""Shared fixtures (helpers live in tests/support.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support import Emulator, LocalStack, run_playbook, start_emulator

from emulator import launcher


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """A fresh emulator for the test module, stopped at its end."""
    running = start_emulator(tmp_path_factory.mktemp("state"))
    yield running
    launcher.stop(running.settings)


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """The local environment converged once for the whole session (site.yml on a fresh emulator).

    Shared by integration tests that need the real stack; a test that changes it must leave it as
    it found it (or converge again). Recording is on: `emulator.recording` can count calls.
    """
    running = start_emulator(tmp_path_factory.mktemp("local-stack"), {"MOTO_ENABLE_RECORDING": "true"})
    try:
        converge = run_playbook("site.yml", "-i", "inventories/local", env=running.env)
        assert converge.returncode == 0, converge.failure_messages() or converge.stderr[-3000:]
        yield LocalStack(running, converge)
    finally:
        launcher.stop(running.settings)
