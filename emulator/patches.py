"""Compatibility patches that make moto answer as AWS does where the AWS provider depends on it.

Each patch restores one documented AWS behaviour that moto's server gets wrong in a way that
breaks the Terraform AWS provider (a crash, or a plan that is never empty). They are applied
inside the emulator process only (`emulator.server`), never to the Terraform that dev and prod
use. Every patch has a test in `tests/unit/test_emulator_patches.py` showing the AWS behaviour.

A patch is a function decorated with `@patch`; its docstring says what AWS does, what moto does,
and what breaks without it. `apply_all()` applies each once and returns their names (reported
by the emulator's health endpoint).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

PATCHES: list[Callable[[], None]] = []
_applied: list[str] = []


def patch(func: Callable[[], None]) -> Callable[[], None]:
    """Register a compatibility patch."""
    PATCHES.append(func)
    return func


def apply_all() -> list[str]:
    """Apply every registered patch once; return their names in order."""
    for func in PATCHES:
        if func.__name__ not in _applied:
            func()
            _applied.append(func.__name__)
    return list(_applied)


@patch
def ecs_service_without_network_configuration() -> None:
    """ECS services in bridge/host network mode carry no `networkConfiguration`.

    AWS omits the field for services created without one (bridge mode, dynamic host ports).
    moto stores and returns `networkConfiguration: {}`, and the AWS provider dereferences the
    missing `awsvpcConfiguration` inside it and crashes while reading `aws_ecs_service`.
    """
    from moto.ecs import models

    original_init = models.Service.__init__

    def init_without_empty_network_configuration(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        if not self.network_configuration:
            self.network_configuration = None

    models.Service.__init__ = init_without_empty_network_configuration
