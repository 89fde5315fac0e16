"""Filter dailyge.infra.capacity_errors: each capacity mistake is one line in the inventory's words."""

from __future__ import annotations

import pytest
from ansible_collections.dailyge.infra.plugins.filter.capacity_checks import capacity_errors

GOOD = {
    "ecs_asg_min_size": 1,
    "ecs_asg_max_size": 2,
    "ecs_service_min_capacity": 1,
    "ecs_service_max_capacity": 2,
    "rds_backup_retention_days": 7,
}


def test_a_consistent_inventory_has_no_error():
    assert (
        capacity_errors(GOOD, cpu_target=75, scale_in_cooldown=60, scale_out_cooldown="60", autoscaling_state="present")
        == []
    )
    assert capacity_errors(None) == []


@pytest.mark.parametrize(
    ("change", "kwargs", "message"),
    [
        (
            {"ecs_asg_min_size": 3},
            {},
            "terraform_vars.ecs_asg_min_size (3) is greater than terraform_vars.ecs_asg_max_size (2):"
            " the minimum number of ECS hosts must not exceed the maximum",
        ),
        (
            {"ecs_service_min_capacity": 5},
            {},
            "terraform_vars.ecs_service_min_capacity (5) is greater than terraform_vars.ecs_service_max_capacity (2):"
            " the minimum number of API tasks must not exceed the maximum",
        ),
        (
            {"ecs_service_min_capacity": 0},
            {},
            "terraform_vars.ecs_service_min_capacity must be a whole number of API tasks, 1 or more, got 0",
        ),
        (
            {"ecs_asg_max_size": 1.5},
            {},
            "terraform_vars.ecs_asg_max_size must be a whole number of ECS hosts, 1 or more, got 1.5",
        ),
        ({}, {"cpu_target": 150}, "ecs_autoscaling_cpu_target must be a percentage above 0 and at most 100, got 150"),
        (
            {},
            {"cpu_target": "high"},
            "ecs_autoscaling_cpu_target must be a percentage above 0 and at most 100, got 'high'",
        ),
        ({}, {"cpu_target": 0}, "ecs_autoscaling_cpu_target must be a percentage above 0 and at most 100, got 0"),
        (
            {},
            {"scale_in_cooldown": -5},
            "ecs_autoscaling_scale_in_cooldown must be a whole number of seconds from 0 to 86400, got -5",
        ),
        (
            {},
            {"scale_out_cooldown": "1m"},
            "ecs_autoscaling_scale_out_cooldown must be a whole number of seconds from 0 to 86400, got '1m'",
        ),
        ({}, {"autoscaling_state": "on"}, "ecs_autoscaling_state must be present or absent, got 'on'"),
        (
            {"rds_backup_retention_days": 40},
            {},
            "terraform_vars.rds_backup_retention_days must be a whole number from 1 to 35, got 40",
        ),
        (
            {"rds_allocated_storage_gb": 50, "rds_max_allocated_storage_gb": 30},
            {},
            "terraform_vars.rds_max_allocated_storage_gb (30) is below terraform_vars.rds_allocated_storage_gb (50):"
            " raise it, or 0 to turn storage autoscaling off",
        ),
    ],
)
def test_each_mistake_is_one_line_naming_the_inventory_variable(change, kwargs, message):
    errors = capacity_errors({**GOOD, **change}, **kwargs)
    assert errors == [message]
    assert "target_cpu_utilization" not in message and "asg_min_size must" not in message


def test_storage_autoscaling_off_is_no_error():
    assert capacity_errors({**GOOD, "rds_allocated_storage_gb": 50, "rds_max_allocated_storage_gb": 0}) == []


def test_a_boolean_is_not_a_number():
    assert capacity_errors(GOOD, cpu_target=True) == [
        "ecs_autoscaling_cpu_target must be a percentage above 0 and at most 100, got True"
    ]
