"""The ops playbooks on the converged local stack: the `stack` comes from the Terraform outputs.

Uses the session's converged environment (conftest `local_stack`) and leaves it as it found it:
the drift check's out-of-band change is undone at once.
"""

from __future__ import annotations

import pytest
from support import LocalStack, PlaybookRun, run_playbook

pytestmark = pytest.mark.integration


def play(local_stack: LocalStack, playbook: str, *args: str) -> PlaybookRun:
    return run_playbook(playbook, "-i", "inventories/local", *args, env=local_stack.emulator.env)


def last_slack_text(local_stack: LocalStack) -> str:
    return local_stack.emulator.slack_messages()[-1]["payload"]["text"]


def test_drift_check_finds_no_drift_right_after_the_converge(local_stack):
    run = play(local_stack, "playbooks/ops/drift_check.yml")
    assert run.returncode == 0, run.failure_messages() or run.stdout[-3000:]
    assert run.changed == 0, run.changed_tasks()
    text = last_slack_text(local_stack)
    assert text.startswith(":white_check_mark: Dailyge local drift_check: SUCCESS")
    assert "no drift" in text


def test_drift_check_reports_an_out_of_band_change_and_fails(local_stack):
    ec2 = local_stack.emulator.client("ec2")
    vpc = local_stack.stack()["vpc_id"]
    ec2.create_tags(Resources=[vpc], Tags=[{"Key": "ChangedInTheConsole", "Value": "yes"}])
    try:
        run = play(local_stack, "playbooks/ops/drift_check.yml")
    finally:
        ec2.delete_tags(Resources=[vpc], Tags=[{"Key": "ChangedInTheConsole"}])
    assert run.returncode != 0
    assert any("DRIFT: Plan: 0 to add, 1 to change, 0 to destroy" in message for message in run.failure_messages())
    text = last_slack_text(local_stack)
    assert text.startswith(":x: Dailyge local drift_check: FAILURE")
    assert "aws_vpc" in text
    assert play(local_stack, "playbooks/ops/drift_check.yml").returncode == 0, "back in sync after the undo"


def test_drift_check_in_check_mode_plans_too_and_changes_nothing(local_stack):
    run = play(local_stack, "playbooks/ops/drift_check.yml", "--check")
    assert run.returncode == 0, run.failure_messages()
    assert run.changed == 0
