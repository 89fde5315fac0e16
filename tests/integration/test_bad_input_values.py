"""Bad capacity values: one line naming the inventory variable, in the preflight, before anything is written.

Issue 14, defect 7: an error named the module argument (`target_cpu_utilization`) where the user wrote
`ecs_autoscaling_cpu_target`, and an Auto Scaling minimum above the maximum was caught by Terraform
after 80 s and a file write. Each case here fails in the Preflight play within seconds: no Terraform
run, no variables file, no state, no AWS resource.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from support import REPO_ROOT, PlaybookRun, run_playbook

pytestmark = pytest.mark.integration

INVENTORY_TERRAFORM_VARS = REPO_ROOT / "inventories" / "local" / "group_vars" / "all" / "terraform.yml"
QUICK_SECONDS = 60


def terraform_vars(**changes: Any) -> dict[str, Any]:
    """The local inventory's terraform_vars with some values changed (extra vars replace the whole dict)."""
    values = yaml.safe_load(INVENTORY_TERRAFORM_VARS.read_text())["terraform_vars"]
    return {**values, **changes}


def written(state_dir: Path) -> list[str]:
    work = state_dir / "terraform" / "local"
    return [name for name in ("inventory.tfvars.json", "tfplan", "terraform.tfstate") if (work / name).exists()]


def run_with(emulator, tmp_path: Path, playbook: str, extra: dict[str, Any]) -> tuple[PlaybookRun, float]:
    extra_file = tmp_path / "extra.json"
    extra_file.write_text(json.dumps(extra))
    started = time.monotonic()
    run = run_playbook(playbook, "-i", "inventories/local", "-e", f"@{extra_file}", env=emulator.env)
    return run, time.monotonic() - started


CASES = [
    pytest.param(
        {"ecs_autoscaling_cpu_target": 150},
        "ecs_autoscaling_cpu_target must be a percentage above 0 and at most 100, got 150",
        id="cpu-target-above-100",
    ),
    pytest.param(
        {"ecs_autoscaling_cpu_target": "high"},
        "ecs_autoscaling_cpu_target must be a percentage above 0 and at most 100, got 'high'",
        id="cpu-target-not-a-number",
    ),
    pytest.param(
        {"ecs_autoscaling_scale_in_cooldown": -5},
        "ecs_autoscaling_scale_in_cooldown must be a whole number of seconds from 0 to 86400, got -5",
        id="negative-cooldown",
    ),
    pytest.param(
        {"terraform_vars": terraform_vars(ecs_asg_min_size=3, ecs_asg_max_size=2)},
        "terraform_vars.ecs_asg_min_size (3) is greater than terraform_vars.ecs_asg_max_size (2):"
        " the minimum number of ECS hosts must not exceed the maximum",
        id="asg-min-above-max",
    ),
    pytest.param(
        {"terraform_vars": terraform_vars(ecs_service_min_capacity=4, ecs_service_max_capacity=2)},
        "terraform_vars.ecs_service_min_capacity (4) is greater than terraform_vars.ecs_service_max_capacity (2):"
        " the minimum number of API tasks must not exceed the maximum",
        id="service-min-above-max",
    ),
]


@pytest.mark.parametrize(("extra", "message"), CASES)
def test_site_stops_in_the_preflight_with_the_inventory_variable(emulator, tmp_path, extra, message):
    run, seconds = run_with(emulator, tmp_path, "site.yml", extra)

    assert run.returncode != 0
    failures = run.failure_messages()
    assert failures == [f"{message} (inventory {REPO_ROOT / 'inventories' / 'local'})"], failures
    assert "target_cpu_utilization" not in " ".join(failures)
    assert [play["play"]["name"] for play in run.report["plays"]] == [
        "Preflight | The inventory is a Dailyge environment",
        "Preflight",
    ], "nothing after the preflight ran"
    assert written(emulator.settings.state_dir) == [], "no variables file, plan or state was written"
    assert emulator.client("ec2").describe_vpcs()["Vpcs"] == [] or all(
        vpc.get("IsDefault") for vpc in emulator.client("ec2").describe_vpcs()["Vpcs"]
    ), "no VPC was created"
    assert seconds < QUICK_SECONDS, f"the preflight took {seconds:.0f} s"


def test_autoscaling_alone_stops_before_reading_the_stack_or_calling_aws(emulator, tmp_path):
    run, seconds = run_with(emulator, tmp_path, "playbooks/autoscaling.yml", {"ecs_autoscaling_cpu_target": 0})

    assert run.returncode != 0
    assert run.failure_messages() == [
        "ecs_autoscaling_cpu_target must be a percentage above 0 and at most 100, got 0"
        f" (inventory {REPO_ROOT / 'inventories' / 'local'})"
    ]
    ran = [task["task"]["name"] for play in run.report["plays"] for task in play["tasks"]]
    assert not any("Target tracking" in name or "Read the stack" in name for name in ran), ran
    assert written(emulator.settings.state_dir) == []
    assert seconds < QUICK_SECONDS
