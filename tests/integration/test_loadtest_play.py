"""playbooks/ops/loadtest.yml -e mode=on|off on the converged local environment (`local_stack`).

`on` raises the API service's maximum tasks and the ECS Auto Scaling group's maximum size through
the Terraform variables and puts the WAF rate rule in count-only mode; `off` restores exactly the
values recorded before. Both are idempotent (second run: changed=0, no AWS write), an interrupted
`on` is undone by `off`, and prod is refused without -e confirm_prod=yes. Every test ends with `off`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import REPO_ROOT, LocalStack, PlaybookRun, run_playbook, terraform, terraform_plan_args, without_run_lock

from emulator import recording

pytestmark = pytest.mark.integration

RAISED = {"ecs_service_max_capacity": 6, "ecs_asg_max_size": 4}  # inventories/local/.../outside_terraform.yml


def loadtest(local_stack: LocalStack, mode: str, *args: str) -> tuple[PlaybookRun, dict[str, Any]]:
    recording.reset(local_stack.emulator.endpoint)
    env = local_stack.emulator.env
    run = run_playbook("playbooks/ops/loadtest.yml", "-i", "inventories/local", "-e", f"mode={mode}", *args, env=env)
    return run, without_run_lock(recording.calls(local_stack.emulator.endpoint))


def files(local_stack: LocalStack) -> tuple[Path, Path]:
    work = local_stack.emulator.settings.state_dir / "terraform" / "local"
    return work / "loadtest.auto.tfvars.json", work / "loadtest.record.json"


def in_aws(local_stack: LocalStack) -> dict[str, Any]:
    """The values as AWS holds them: ASG max size, WAF rate rule action and limit, scalable target max."""
    stack = local_stack.stack()
    client = local_stack.emulator.client
    groups = client("autoscaling").describe_auto_scaling_groups(
        AutoScalingGroupNames=[stack["ecs_autoscaling_group_name"]]
    )
    acl = client("wafv2").get_web_acl(Name=stack["waf_web_acl_name"], Scope="REGIONAL", Id=stack["waf_web_acl_id"])
    [rule] = [rule for rule in acl["WebACL"]["Rules"] if rule["Name"] == stack["waf_rate_rule_name"]]
    target = client("application-autoscaling").describe_scalable_targets(
        ServiceNamespace="ecs",
        ResourceIds=[f"service/{stack['ecs_cluster_name']}/{stack['ecs_service_name']}"],
        ScalableDimension="ecs:service:DesiredCount",
    )["ScalableTargets"][0]
    return {
        "ecs_asg_max_size": groups["AutoScalingGroups"][0]["MaxSize"],
        "waf_rate_limit_action": next(iter(rule["Action"])).lower(),
        "waf_rate_limit": rule["Statement"]["RateBasedStatement"]["Limit"],
        "ecs_service_max_capacity": target["MaxCapacity"],
    }


def plan_is_empty(local_stack: LocalStack) -> bool:
    return terraform(local_stack.emulator, *terraform_plan_args(local_stack.emulator)).returncode == 0


@pytest.fixture
def before(local_stack: LocalStack) -> Iterator[dict[str, Any]]:
    """The values at rest; every test ends with load-test mode off."""
    values = in_aws(local_stack)
    assert values["waf_rate_limit_action"] == "block" and values["waf_rate_limit"] == 1000
    yield values
    if any(path.exists() for path in files(local_stack)) or in_aws(local_stack) != values:
        off, _ = loadtest(local_stack, "off")
        assert off.returncode == 0, off.failure_messages()


def test_on_raises_the_limits_and_off_restores_them_exactly(local_stack: LocalStack, before: dict[str, Any]):
    override, record = files(local_stack)

    on, calls = loadtest(local_stack, "on")
    assert on.returncode == 0, on.failure_messages() or on.stderr[-3000:]
    assert on.changed > 0
    assert in_aws(local_stack) == before | RAISED | {"waf_rate_limit_action": "count"}
    assert local_stack.stack()["ecs_service_max_capacity"] == RAISED["ecs_service_max_capacity"]
    assert json.loads(record.read_text())["ecs_asg_max_size"] == before["ecs_asg_max_size"]
    assert json.loads(override.read_text())["waf_rate_limit_action"] == "count"
    assert plan_is_empty(local_stack), "the applied stack matches its variables"
    assert "load-test mode ON" in local_stack.emulator.slack_texts()[-1]

    again, calls = loadtest(local_stack, "on")
    assert again.returncode == 0, again.failure_messages()
    assert again.changed == 0, again.changed_tasks()
    assert calls["writes"] == 0, calls["write_calls"]

    off, _ = loadtest(local_stack, "off")
    assert off.returncode == 0, off.failure_messages() or off.stderr[-3000:]
    assert off.changed > 0
    assert in_aws(local_stack) == before
    assert not override.exists() and not record.exists()
    assert plan_is_empty(local_stack)
    assert "load-test mode OFF" in local_stack.emulator.slack_texts()[-1]

    again, calls = loadtest(local_stack, "off")
    assert again.returncode == 0
    assert again.changed == 0, again.changed_tasks()
    assert calls["writes"] == 0, calls["write_calls"]


def test_check_mode_writes_nothing(local_stack: LocalStack, before: dict[str, Any]):
    override, record = files(local_stack)

    run, calls = loadtest(local_stack, "on", "--check")

    assert run.returncode == 0, run.failure_messages() or run.stderr[-3000:]
    assert calls["writes"] == 0, calls["write_calls"]
    assert not override.exists() and not record.exists()
    assert in_aws(local_stack) == before


def test_an_interrupted_on_is_undone_by_off(local_stack: LocalStack, before: dict[str, Any]):
    """`on` stopped after writing its files and before Terraform applied them."""
    override, record = files(local_stack)
    loadtest(local_stack, "on", "-e", "terraform_apply=false")  # plans, never applies
    assert override.exists() and record.exists()
    assert in_aws(local_stack) == before

    off, calls = loadtest(local_stack, "off")

    assert off.returncode == 0, off.failure_messages() or off.stderr[-3000:]
    assert in_aws(local_stack) == before
    assert not override.exists() and not record.exists()
    assert calls["writes"] == 0, "nothing had been applied, so nothing is written"


def test_an_on_interrupted_after_apply_is_undone_by_off(local_stack: LocalStack, before: dict[str, Any]):
    """`on` applied Terraform but stopped before the autoscaling play (its bound is still low)."""
    interrupted, _ = loadtest(local_stack, "on", "-e", "ecs_autoscaling_state=bogus")
    assert interrupted.returncode != 0
    assert in_aws(local_stack)["ecs_asg_max_size"] == RAISED["ecs_asg_max_size"]

    off, _ = loadtest(local_stack, "off")

    assert off.returncode == 0, off.failure_messages() or off.stderr[-3000:]
    assert in_aws(local_stack) == before


def test_prod_is_refused_without_confirmation():
    run = run_playbook("playbooks/ops/loadtest.yml", "-i", "inventories/prod", "-e", "mode=on")

    assert run.returncode != 0
    assert run.failure_messages() == ["Load-test mode on on prod needs -e confirm_prod=yes. Nothing was changed."]
    assert len(run.report["plays"][0]["tasks"]) == 3, "refused at the second check, before anything else"
    assert not list((REPO_ROOT / "terraform/envs/prod").glob("loadtest.*"))


@pytest.mark.parametrize("mode", ["", "yes", "ON "])
def test_an_unknown_mode_is_refused(mode: str):
    run = run_playbook("playbooks/ops/loadtest.yml", "-i", "inventories/local", "-e", f"mode={mode}")

    assert run.returncode != 0
    [message] = run.failure_messages()
    assert message.startswith("Say what to do: -e mode=on") and message.endswith("Nothing was changed.")
