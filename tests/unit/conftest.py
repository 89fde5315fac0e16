"""Shared fixtures of the unit tests: the real Jasypt (Java) harness, compiled once per session."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import jasypt_java

DATA_DIR = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def jasypt_harness(tmp_path_factory: pytest.TempPathFactory) -> jasypt_java.Harness:
    """The real Jasypt 1.9.3 library driven through Java; skips (with the reason) where it cannot run."""
    reason = jasypt_java.unavailable_reason()
    if reason:
        pytest.skip(f"real Jasypt cross-check skipped: {reason}")
    return jasypt_java.build(tmp_path_factory.mktemp("jasypt-harness"))


@pytest.fixture(scope="session")
def jasypt_vectors() -> dict[str, object]:
    """Vectors made by the real Jasypt library (tests/unit/jasypt_java.py), committed so they run anywhere."""
    return json.loads((DATA_DIR / "jasypt_vectors.json").read_text(encoding="utf-8"))


# The classes and methods emulator.patches.logs_export_tasks_as_aws_does replaces.
LOGS_PATCHED = {
    "moto.logs.models": {
        "ExportTask": ("__init__", "to_json"),
        "LogsBackend": ("create_export_task", "describe_export_tasks", "cancel_export_task"),
    },
    "moto.logs.responses": {"LogsResponse": ("create_export_task", "describe_export_tasks")},
}


@pytest.fixture
def logs_as_aws():
    """In-process moto with the emulator's export-task patch (AWS's behaviour), undone afterwards."""
    import importlib

    from emulator import patches

    saved = []
    for module_name, classes in LOGS_PATCHED.items():
        module = importlib.import_module(module_name)
        for class_name, names in classes.items():
            owner = getattr(module, class_name)
            saved.extend((owner, name, owner.__dict__[name]) for name in names)
    patches.logs_export_tasks_as_aws_does()
    try:
        yield
    finally:
        for owner, name, value in saved:
            setattr(owner, name, value)
