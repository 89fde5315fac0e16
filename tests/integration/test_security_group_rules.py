"""Fault test: a hand-added security-group rule (issue 14, defect 2), on the converged local stack.

`tcp 3306 from 0.0.0.0/0` added by hand to the database group is invisible to `terraform plan` (each
aws_vpc_security_group_*_rule resource sees only its own rule). The drift check must report it and
fail; a deploy (provision.yml, the phase of site.yml that runs Terraform) must revoke it, name it, and
leave every managed rule in place; a second deploy changes nothing. Rules are counted before and after.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from support import LocalStack, PlaybookRun, run_playbook

pytestmark = pytest.mark.integration


def play(local_stack: LocalStack, playbook: str, *args: str) -> PlaybookRun:
    return run_playbook(playbook, "-i", "inventories/local", *args, env=local_stack.emulator.env)


def messages(run: PlaybookRun) -> list[str]:
    """Every `msg` of every task result (debug lines included), items of loops too."""
    found = []
    for played in run.report.get("plays", []):
        for task in played.get("tasks", []):
            for result in task.get("hosts", {}).values():
                for item in [result, *(result.get("results") or [])]:
                    if isinstance(item, dict) and isinstance(item.get("msg"), str):
                        found.append(item["msg"])
    return found


def rules(local_stack: LocalStack, group_ids: list[str]) -> dict[str, dict[str, Any]]:
    ec2 = local_stack.emulator.client("ec2")
    found = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": group_ids}])
    return {rule["SecurityGroupRuleId"]: rule for rule in found["SecurityGroupRules"]}


def test_a_hand_added_rule_is_reported_then_revoked_and_nothing_else_is_lost(local_stack):
    stack = local_stack.stack()
    group_ids = list(stack["security_group_ids"].values())
    managed = set(stack["security_group_managed_rule_ids"])
    assert len(group_ids) == 4 and len(managed) >= 20

    # The converge itself leaves exactly Terraform's rules (no default egress rule, nothing revoked).
    before = rules(local_stack, group_ids)
    assert set(before) == managed, sorted(set(before) ^ managed)
    assert not any("unmanaged security-group rule" in text for text in messages(local_stack.converge))

    ec2 = local_stack.emulator.client("ec2")
    rds_group = stack["rds_security_group_id"]
    added = ec2.authorize_security_group_ingress(
        GroupId=rds_group,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 3306, "ToPort": 3306, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    exposure = added["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    assert len(rules(local_stack, group_ids)) == len(before) + 1
    named = f"{exposure} (tcp 3306 from 0.0.0.0/0) on dailyge-local-rds"

    # 1. The drift check reports it, names it, fails, and revokes nothing.
    drift = play(local_stack, "playbooks/ops/drift_check.yml")
    assert drift.returncode != 0
    failure = " ".join(drift.failure_messages())
    assert "DRIFT: 1 security-group rule(s) not managed by Terraform" in failure, failure
    assert named in failure, failure
    slack = local_stack.emulator.slack_messages()[-1]["payload"]["text"]
    assert slack.startswith(":x: Dailyge local drift_check: FAILURE") and named in slack, slack
    assert exposure in rules(local_stack, group_ids)

    # 2. The explicit opt-out: a kept rule is not drift.
    kept = json.dumps({"terraform_kept_security_group_rule_ids": [exposure]})
    assert play(local_stack, "playbooks/ops/drift_check.yml", "-e", kept).returncode == 0

    # 3. A --check deploy says what it would revoke and revokes nothing.
    checked = play(local_stack, "playbooks/provision.yml", "--check")
    assert checked.returncode == 0, checked.failure_messages()
    assert f"would revoke unmanaged security-group rule {named}" in messages(checked)
    assert len(rules(local_stack, group_ids)) == len(before) + 1

    # 4. A deploy revokes it and names it; every managed rule is still there, unchanged.
    deploy = play(local_stack, "playbooks/provision.yml")
    assert deploy.returncode == 0, deploy.failure_messages()
    assert f"revoked unmanaged security-group rule {named}" in messages(deploy)
    after = rules(local_stack, group_ids)
    assert set(after) == set(before) == managed
    assert after == before, "the managed rules are untouched"

    # 5. A second deploy changes nothing; the drift check is clean again.
    again = play(local_stack, "playbooks/provision.yml")
    assert again.returncode == 0, again.failure_messages()
    assert again.changed == 0, again.changed_tasks()
    assert not any("unmanaged security-group rule" in text for text in messages(again))
    assert len(rules(local_stack, group_ids)) == len(managed)
    clean = play(local_stack, "playbooks/ops/drift_check.yml")
    assert clean.returncode == 0, clean.failure_messages()
