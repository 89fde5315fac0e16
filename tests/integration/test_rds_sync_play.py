"""playbooks/rds_sync.yml on the converged local environment (the session's `local_stack`).

The console is played by boto3: a bigger instance class, a longer backup retention and one DB
parameter changed through the API. After rds_sync.yml, `terraform plan -detailed-exitcode` (with the
variables files roles/terraform passes) returns 0 and the state holds the new values. Every test
leaves the stack as it found it (the console values are turned back and synced again).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import REPO_ROOT, LocalStack, PlaybookRun, run_playbook, terraform, terraform_plan_args

from emulator import recording

pytestmark = pytest.mark.integration

INSTANCE = "module.rds.aws_db_instance.this"
PARAMETER_GROUP = "module.rds.aws_db_parameter_group.this"
IMPORT_FILE = REPO_ROOT / "terraform/envs/local/rds_import.tf"


def work_dir(local_stack: LocalStack) -> Path:
    return local_stack.emulator.settings.state_dir / "terraform" / "local"


def sync_file(local_stack: LocalStack) -> Path:
    return work_dir(local_stack) / "rds_sync.auto.tfvars.json"


def plan(local_stack: LocalStack) -> Any:
    """terraform plan with the variables files of roles/terraform, in its order."""
    return terraform(local_stack.emulator, *terraform_plan_args(local_stack.emulator))


def state_resource(local_stack: LocalStack, address: str) -> dict[str, Any] | None:
    shown = terraform(local_stack.emulator, "show", "-json")
    assert shown.returncode == 0, shown.stderr
    root = json.loads(shown.stdout).get("values", {}).get("root_module", {})
    resources = root.get("resources", []) + [r for child in root.get("child_modules", []) for r in child["resources"]]
    found = [resource["values"] for resource in resources if resource["address"] == address]
    return found[0] if found else None


def debug_messages(run: PlaybookRun) -> list[Any]:
    """The `msg` of every debug task of a run (roles/terraform shows the plan's summary lines so)."""
    return [
        result["msg"]
        for play in run.report.get("plays", [])
        for task in play["tasks"]
        for result in task["hosts"].values()
        if task["task"]["name"].endswith("Show what the plan changes") and "msg" in result
    ]


def sync(local_stack: LocalStack, *args: str) -> tuple[PlaybookRun, dict[str, Any]]:
    recording.reset(local_stack.emulator.endpoint)
    run = run_playbook("playbooks/rds_sync.yml", "-i", "inventories/local", *args, env=local_stack.emulator.env)
    return run, recording.summarise(recording.calls(local_stack.emulator.endpoint))


def tune(local_stack: LocalStack, instance_class: str, retention: int, long_query_time: str) -> None:
    """What an operator does in the console."""
    stack = local_stack.stack()
    rds = local_stack.emulator.client("rds")
    rds.modify_db_instance(
        DBInstanceIdentifier=stack["rds_instance_identifier"],
        DBInstanceClass=instance_class,
        BackupRetentionPeriod=retention,
        ApplyImmediately=True,
    )
    rds.modify_db_parameter_group(
        DBParameterGroupName=stack["rds_parameter_group_name"],
        Parameters=[
            {"ParameterName": "long_query_time", "ParameterValue": long_query_time, "ApplyMethod": "immediate"}
        ],
    )


def live(local_stack: LocalStack) -> dict[str, Any]:
    stack = local_stack.stack()
    instance = local_stack.emulator.client("rds").describe_db_instances(
        DBInstanceIdentifier=stack["rds_instance_identifier"]
    )["DBInstances"][0]
    return {"class": instance["DBInstanceClass"], "retention": instance["BackupRetentionPeriod"]}


@pytest.fixture
def original(local_stack: LocalStack) -> Iterator[dict[str, Any]]:
    """The values before the test; turned back (in AWS, the generated file and the state) after it."""
    before = live(local_stack)
    parameters = {item["name"]: item["value"] for item in state_resource(local_stack, PARAMETER_GROUP)["parameter"]}
    yield before | {"long_query_time": parameters.get("long_query_time", "1")}
    tune(local_stack, before["class"], before["retention"], parameters.get("long_query_time", "1"))
    IMPORT_FILE.unlink(missing_ok=True)
    restored, _ = sync(local_stack)
    assert restored.returncode == 0, restored.failure_messages()


def test_the_converge_synced_and_a_second_run_changes_nothing(local_stack: LocalStack):
    assert sync_file(local_stack).exists(), "site.yml ran rds_sync.yml"
    run, calls = sync(local_stack)

    assert run.returncode == 0, run.failure_messages() or run.stderr[-2000:]
    assert run.changed == 0, run.changed_tasks()
    assert calls["writes"] == 0, calls["write_calls"]


def test_console_changes_are_adopted_and_the_plan_is_empty(local_stack: LocalStack, original: dict[str, Any]):
    tune(local_stack, "db.t4g.small", 14, "3")

    run, calls = sync(local_stack, "--diff")

    assert run.returncode == 0, run.failure_messages() or run.stderr[-2000:]
    assert run.changed >= 1
    assert calls["writes"] == 0, f"the sync only reads AWS: {calls['write_calls']}"
    synced = json.loads(sync_file(local_stack).read_text())
    assert synced["rds_instance_class"] == "db.t4g.small"
    assert synced["rds_backup_retention_days"] == 14
    assert synced["rds_parameters"]["long_query_time"] == "3"

    planned = plan(local_stack)
    assert planned.returncode == 0, planned.stdout[-4000:] + planned.stderr[-2000:]
    instance = state_resource(local_stack, INSTANCE)
    assert (instance["instance_class"], instance["backup_retention_period"]) == ("db.t4g.small", 14)
    parameters = {item["name"]: item["value"] for item in state_resource(local_stack, PARAMETER_GROUP)["parameter"]}
    assert parameters["long_query_time"] == "3"
    assert local_stack.stack()["rds_backup_retention_days"] == 14
    drift = run_playbook("playbooks/ops/drift_check.yml", "-i", "inventories/local", env=local_stack.emulator.env)
    assert drift.returncode == 0, drift.failure_messages()
    assert "no drift" in local_stack.emulator.slack_texts()[-1], "adopted values are no drift"

    again, calls = sync(local_stack)
    assert again.changed == 0, again.changed_tasks()
    assert calls["writes"] == 0


def test_check_mode_shows_the_drift_and_writes_nothing(local_stack: LocalStack, original: dict[str, Any]):
    before_file = sync_file(local_stack).read_text()
    before_state = state_resource(local_stack, INSTANCE)
    tune(local_stack, "db.t4g.medium", original["retention"], original["long_query_time"])

    run, calls = sync(local_stack, "--check", "--diff")

    assert run.returncode == 0, run.failure_messages() or run.stderr[-2000:]
    assert run.changed >= 1
    assert "db.t4g.medium" in run.stdout, "the diff shows the new class"
    assert calls["writes"] == 0
    assert sync_file(local_stack).read_text() == before_file
    assert state_resource(local_stack, INSTANCE) == before_state


def test_an_instance_missing_from_the_state_gets_an_import_block(local_stack: LocalStack, original: dict[str, Any]):
    backup = work_dir(local_stack) / "before-state-rm.tfstate"  # not beside the root module in the checkout
    removed = terraform(local_stack.emulator, "state", "rm", f"-backup={backup}", INSTANCE)
    assert removed.returncode == 0, removed.stderr
    try:
        run, _ = sync(local_stack)
        assert run.returncode == 0, run.failure_messages() or run.stderr[-2000:]
        text = IMPORT_FILE.read_text()
        assert f"to = {INSTANCE}" in text
        assert f'id = "{local_stack.stack()["rds_instance_identifier"]}"' in text

        provision = run_playbook("playbooks/provision.yml", "-i", "inventories/local", env=local_stack.emulator.env)
        assert provision.returncode == 0, provision.failure_messages() or provision.stderr[-2000:]
        plan_lines = [line for message in debug_messages(provision) for line in message]
        assert any(line.startswith("Plan: 1 to import, 0 to add,") for line in plan_lines), plan_lines
        assert any(line.endswith(" 0 to destroy.") for line in plan_lines), plan_lines
        assert state_resource(local_stack, INSTANCE) is not None, "the next provision imported the instance"

        cleanup, _ = sync(local_stack)
        assert cleanup.returncode == 0 and not IMPORT_FILE.exists()
        # The import's in-place update sends ModifyDBInstance(ManageMasterUserPassword=true); the
        # emulator mints a new master-user secret on every such call (AWS keeps the secret), so the
        # secret ARN output settles with one more provision.
        settle = run_playbook("playbooks/provision.yml", "-i", "inventories/local", env=local_stack.emulator.env)
        assert settle.returncode == 0, settle.failure_messages()
        planned = plan(local_stack)
        assert planned.returncode == 0, planned.stdout[-4000:] + planned.stderr[-2000:]
    finally:
        IMPORT_FILE.unlink(missing_ok=True)


def test_an_instance_that_does_not_exist_is_one_line_and_nothing_is_written(local_stack: LocalStack):
    before = sync_file(local_stack).read_text()
    stack = local_stack.stack() | {"rds_instance_identifier": "no-such-db"}

    run, calls = sync(local_stack, "-e", json.dumps({"stack": stack}))

    assert run.returncode != 0
    assert run.failure_messages() == ["RDS instance 'no-such-db' does not exist: nothing written"]
    assert sync_file(local_stack).read_text() == before
    assert calls["writes"] == 0
