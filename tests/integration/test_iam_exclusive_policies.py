"""A policy attached or put by hand on a project IAM role is drift, and the next deploy removes it.

Issue 14, defect 2 ("any other place where Terraform manages members of a set but not the set"):
aws_iam_role_policy_attachment and aws_iam_role_policy manage one member each; the roles'
aws_iam_role_policy_attachments_exclusive / aws_iam_role_policies_exclusive make them the whole set.
Counts the role's policies before and after.
"""

from __future__ import annotations

import json

import pytest
from support import LocalStack, PlaybookRun, run_playbook

pytestmark = pytest.mark.integration

ROLE = "dailyge-local-api-task"
SSM_POLICY = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"  # exists: the stack attaches it elsewhere
HAND_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
}


def play(local_stack: LocalStack, playbook: str, *args: str) -> PlaybookRun:
    return run_playbook(playbook, "-i", "inventories/local", *args, env=local_stack.emulator.env)


def policies(local_stack: LocalStack) -> tuple[list[str], list[str]]:
    iam = local_stack.emulator.client("iam")
    attached = [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=ROLE)["AttachedPolicies"]]
    return sorted(attached), sorted(iam.list_role_policies(RoleName=ROLE)["PolicyNames"])


def test_hand_added_role_policies_are_drift_and_a_deploy_removes_them(local_stack):
    before = policies(local_stack)
    assert before == ([], ["read-app-config"])
    iam = local_stack.emulator.client("iam")
    iam.attach_role_policy(RoleName=ROLE, PolicyArn=SSM_POLICY)
    iam.put_role_policy(RoleName=ROLE, PolicyName="added-by-hand", PolicyDocument=json.dumps(HAND_POLICY))
    assert policies(local_stack) == ([SSM_POLICY], ["added-by-hand", "read-app-config"])

    drift = play(local_stack, "playbooks/ops/drift_check.yml")
    assert drift.returncode != 0
    text = local_stack.emulator.slack_messages()[-1]["payload"]["text"]
    assert "module.ecs.aws_iam_role_policy_attachments_exclusive.task will be updated in-place" in text, text
    assert "module.ecs.aws_iam_role_policies_exclusive.task will be updated in-place" in text, text

    deploy = play(local_stack, "playbooks/provision.yml")
    assert deploy.returncode == 0, deploy.failure_messages()
    assert policies(local_stack) == before
    assert play(local_stack, "playbooks/ops/drift_check.yml").returncode == 0
