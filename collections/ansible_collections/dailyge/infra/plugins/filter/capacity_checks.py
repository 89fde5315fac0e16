# Copyright: Dailyge infrastructure team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter `dailyge.infra.capacity_errors`: what is wrong with the capacity settings of an inventory.

Each error is one line naming the inventory variable the user wrote (`ecs_autoscaling_cpu_target`,
`terraform_vars.ecs_asg_min_size`), never the module argument or Terraform variable it becomes, so
the preflight (playbooks/tasks/capacity_checks.yml) stops before anything is written:

    {{ terraform_vars | dailyge.infra.capacity_errors(cpu_target=ecs_autoscaling_cpu_target | default(none)) }}
        ->  ['ecs_autoscaling_cpu_target must be a percentage above 0 and at most 100, got 150']

Values may come from YAML (numbers) or from `-e name=value` (strings); both are accepted when they
read as numbers. Unset optional values (None) are not checked: the plays use their defaults.
"""

from __future__ import annotations

from typing import Any

# One day: AWS accepts larger cooldowns, but a typo (600 -> 6000) is the likely reason for one this long.
MAX_COOLDOWN_SECONDS = 86400


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _whole(value: Any) -> int | None:
    number = _number(value)
    return int(number) if number is not None and number == int(number) else None


def _shown(value: Any) -> str:
    """A value as the user wrote it: numbers plain, anything else quoted."""
    return str(value) if _number(value) is not None else repr(value)


def _min_max_errors(values: dict[str, Any], low_name: str, high_name: str, low_floor: int, what: str) -> list[str]:
    errors = []
    low_raw, high_raw = values.get(low_name), values.get(high_name)
    low, high = _whole(low_raw), _whole(high_raw)
    if low_raw is not None and (low is None or low < low_floor):
        errors.append(
            f"terraform_vars.{low_name} must be a whole number of {what}, {low_floor} or more, got {_shown(low_raw)}"
        )
    if high_raw is not None and (high is None or high < 1):
        errors.append(f"terraform_vars.{high_name} must be a whole number of {what}, 1 or more, got {_shown(high_raw)}")
    if low is not None and high is not None and low >= low_floor and high >= 1 and low > high:
        errors.append(
            f"terraform_vars.{low_name} ({low}) is greater than terraform_vars.{high_name} ({high}):"
            f" the minimum number of {what} must not exceed the maximum"
        )
    return errors


def capacity_errors(
    terraform_vars: dict[str, Any] | None,
    cpu_target: Any = None,
    scale_in_cooldown: Any = None,
    scale_out_cooldown: Any = None,
    autoscaling_state: Any = None,
) -> list[str]:
    """Every capacity error of the inventory, in the user's words; empty when all is well."""
    values = dict(terraform_vars or {})
    errors = []
    errors += _min_max_errors(values, "ecs_asg_min_size", "ecs_asg_max_size", 0, "ECS hosts")
    errors += _min_max_errors(values, "ecs_service_min_capacity", "ecs_service_max_capacity", 1, "API tasks")

    if cpu_target is not None:
        target = _number(cpu_target)
        if target is None or not 0 < target <= 100:
            errors.append(
                f"ecs_autoscaling_cpu_target must be a percentage above 0 and at most 100, got {_shown(cpu_target)}"
            )
    for name, value in (
        ("ecs_autoscaling_scale_in_cooldown", scale_in_cooldown),
        ("ecs_autoscaling_scale_out_cooldown", scale_out_cooldown),
    ):
        if value is None:
            continue
        seconds = _whole(value)
        if seconds is None or not 0 <= seconds <= MAX_COOLDOWN_SECONDS:
            errors.append(
                f"{name} must be a whole number of seconds from 0 to {MAX_COOLDOWN_SECONDS}, got {_shown(value)}"
            )
    if autoscaling_state is not None and autoscaling_state not in ("present", "absent"):
        errors.append(f"ecs_autoscaling_state must be present or absent, got {_shown(autoscaling_state)}")

    retention_raw = values.get("rds_backup_retention_days")
    retention = _whole(retention_raw)
    if retention_raw is not None and (retention is None or not 1 <= retention <= 35):
        errors.append(
            f"terraform_vars.rds_backup_retention_days must be a whole number from 1 to 35, got {_shown(retention_raw)}"
        )
    storage, ceiling = (
        _whole(values.get("rds_allocated_storage_gb")),
        _whole(values.get("rds_max_allocated_storage_gb")),
    )
    if storage is not None and ceiling is not None and ceiling != 0 and ceiling < storage:
        errors.append(
            f"terraform_vars.rds_max_allocated_storage_gb ({ceiling}) is below terraform_vars.rds_allocated_storage_gb"
            f" ({storage}): raise it, or 0 to turn storage autoscaling off"
        )
    return errors


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"capacity_errors": capacity_errors}
