"""Shared fixtures of the unit tests: the real Jasypt (Java) harness, compiled once per session."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


def patched_moto(patched: dict[str, dict[str, tuple[str, ...]]], *apply: Any) -> Iterator[None]:
    """Apply emulator patches to in-process moto, restoring every attribute in `patched` afterwards."""
    import importlib

    saved = []
    for module_name, classes in patched.items():
        module = importlib.import_module(module_name)
        for class_name, names in classes.items():
            owner = getattr(module, class_name)
            saved.extend((owner, name, owner.__dict__[name]) for name in names)
    for func in apply:
        func()
    try:
        yield
    finally:
        for owner, name, value in saved:
            setattr(owner, name, value)


@pytest.fixture
def logs_as_aws() -> Iterator[None]:
    """In-process moto with the emulator's export-task patch (AWS's behaviour), undone afterwards."""
    from emulator import patches

    yield from patched_moto(LOGS_PATCHED, patches.logs_export_tasks_as_aws_does)


# The classes and methods emulator.patches' ECS service and deployment patches replace.
ECS_PATCHED = {
    "moto.ecs.models": {
        "Service": ("__init__",),
        "EC2ContainerServiceBackend": ("update_service", "describe_services", "describe_task_definition"),
    },
    "moto.ecs.responses": {"EC2ContainerServiceResponse": ("create_service",)},
}


@pytest.fixture
def ecs_as_aws() -> Iterator[None]:
    """In-process moto with the emulator's ECS create-settings and deployment patches, undone afterwards."""
    from emulator import patches

    yield from patched_moto(
        ECS_PATCHED,
        patches.ecs_service_keeps_its_create_settings,
        patches.ecs_deployments_roll_out_as_aws_does,
        patches.ecs_describe_task_definition_of_a_family_is_its_latest_active_revision,
    )
