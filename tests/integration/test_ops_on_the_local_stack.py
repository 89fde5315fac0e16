"""The ops playbooks on the converged local stack: the `stack` comes from the Terraform outputs.

Uses the session's converged environment (conftest `local_stack`) and leaves it as it found it: the
drift check's out-of-band change is undone at once, the daily snapshot and the archived objects
are deleted after their tests. Also checks what Terraform sets up for the jobs: the automated
backup window and the heap dump uploader in the launch template's user data.
"""

from __future__ import annotations

import base64
import gzip
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from support import REPO_ROOT, LocalStack, PlaybookRun, run_playbook, without_run_lock

from emulator import recording

pytestmark = pytest.mark.integration

UPLOADER = REPO_ROOT / "terraform" / "modules" / "ecs" / "files" / "heapdump_uploader.py"


def play(local_stack: LocalStack, playbook: str, *args: str) -> PlaybookRun:
    return run_playbook(playbook, "-i", "inventories/local", *args, env=local_stack.emulator.env)


def last_slack_text(local_stack: LocalStack) -> str:
    return local_stack.emulator.slack_texts()[-1]


def test_drift_check_finds_no_drift_right_after_the_converge(local_stack):
    run = play(local_stack, "playbooks/ops/drift_check.yml")
    assert run.returncode == 0, run.failure_messages() or run.stdout[-3000:]
    # The one write a successful check may make: its JobSucceeded for the watchdog (once per 6 h).
    assert set(run.changed_tasks()) <= {"ops_jobs : Job metric | JobSucceeded = 1 to CloudWatch"}
    again = play(local_stack, "playbooks/ops/drift_check.yml")
    assert again.returncode == 0 and again.changed == 0, again.changed_tasks()
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


# --- the jobs with the stack read from the Terraform outputs ----------------------------------------


@pytest.fixture(scope="module")
def stack(local_stack: LocalStack) -> dict[str, Any]:
    return local_stack.stack()


@pytest.fixture(scope="module")
def backed_up(local_stack: LocalStack, stack: dict[str, Any]) -> Iterator[tuple[PlaybookRun, PlaybookRun, dict]]:
    """The backup job run twice (the second must do nothing); its snapshot is deleted afterwards."""
    first = play(local_stack, "playbooks/ops/backup.yml")
    recording.reset(local_stack.emulator.endpoint)
    second = play(local_stack, "playbooks/ops/backup.yml")
    second_calls = without_run_lock(recording.calls(local_stack.emulator.endpoint))
    yield first, second, second_calls
    rds = local_stack.emulator.client("rds")
    for snapshot in rds.describe_db_snapshots(DBInstanceIdentifier=stack["rds_instance_identifier"])["DBSnapshots"]:
        if snapshot["SnapshotType"] == "manual" and "-daily-" in snapshot["DBSnapshotIdentifier"]:
            rds.delete_db_snapshot(DBSnapshotIdentifier=snapshot["DBSnapshotIdentifier"])


def test_terraform_sets_the_automated_backup_window_to_03_00_seoul(local_stack, stack):
    instance = local_stack.emulator.client("rds").describe_db_instances(
        DBInstanceIdentifier=stack["rds_instance_identifier"]
    )["DBInstances"][0]
    assert instance["PreferredBackupWindow"] == stack["rds_backup_window"] == "18:00-18:30"
    assert instance["BackupRetentionPeriod"] == stack["rds_backup_retention_days"] == 1  # inventories/local


def test_backup_snapshots_the_stacks_instance_then_does_nothing(local_stack, stack, backed_up):
    first, second, second_calls = backed_up
    assert first.returncode == 0, first.failure_messages() or first.stdout[-3000:]
    name = f"{stack['rds_instance_identifier']}-daily-{datetime.now(UTC) + timedelta(hours=9):%Y%m%d}"
    snapshot = local_stack.emulator.client("rds").describe_db_snapshots(DBSnapshotIdentifier=name)["DBSnapshots"][0]
    assert snapshot["Status"] == "available"
    assert second.returncode == 0 and second.changed == 0, second.changed_tasks()
    assert second_calls["writes"] == 0, second_calls["write_calls"]


def test_restore_drill_restores_the_stacks_snapshot_and_deletes_the_copy(local_stack, stack, backed_up):
    run = play(local_stack, "playbooks/ops/restore_drill.yml")
    assert run.returncode == 0, run.failure_messages() or run.stdout[-3000:]
    instances = local_stack.emulator.client("rds").describe_db_instances()["DBInstances"]
    assert [item["DBInstanceIdentifier"] for item in instances] == [stack["rds_instance_identifier"]]
    text = last_slack_text(local_stack)
    assert text.startswith(":white_check_mark: Dailyge local restore_drill: SUCCESS")
    assert f"parameter group {stack['rds_parameter_group_name']} (expected {stack['rds_parameter_group_name']})" in text


def test_log_archive_exports_the_stacks_log_group_under_its_prefix(local_stack, stack):
    logs, s3 = local_stack.emulator.client("logs"), local_stack.emulator.client("s3")
    group = stack["api_log_group_name"]
    yesterday = (datetime.now(UTC) + timedelta(hours=9)).date() - timedelta(days=1)
    noon = int(datetime(yesterday.year, yesterday.month, yesterday.day, 3, tzinfo=UTC).timestamp() * 1000)  # 12:00 KST
    logs.create_log_stream(logGroupName=group, logStreamName="api/api/test-archive")
    logs.put_log_events(
        logGroupName=group, logStreamName="api/api/test-archive", logEvents=[{"timestamp": noon, "message": "{}"}]
    )
    prefix = f"{stack['archive_prefixes']['cloudwatch_logs']}/{group.lstrip('/')}/{yesterday:%Y/%m/%d}/"
    try:
        run = play(local_stack, "playbooks/ops/log_archive.yml")
        assert run.returncode == 0, run.failure_messages() or run.stdout[-3000:]
        keys = [
            item["Key"] for item in s3.list_objects_v2(Bucket=stack["archive_bucket_name"], Prefix=prefix)["Contents"]
        ]
        assert prefix + "_archived.json" in keys
        streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
        assert "api/api/test-archive" not in [stream["logStreamName"] for stream in streams]
    finally:
        for item in s3.list_objects_v2(Bucket=stack["archive_bucket_name"], Prefix=prefix).get("Contents", []):
            s3.delete_object(Bucket=stack["archive_bucket_name"], Key=item["Key"])


def test_the_launch_template_installs_the_heap_dump_uploader(local_stack, stack):
    ec2 = local_stack.emulator.client("ec2")
    group = local_stack.emulator.client("autoscaling").describe_auto_scaling_groups(
        AutoScalingGroupNames=[stack["ecs_autoscaling_group_name"]]
    )["AutoScalingGroups"][0]
    template = (
        group.get("LaunchTemplate") or group["MixedInstancesPolicy"]["LaunchTemplate"]["LaunchTemplateSpecification"]
    )
    version = ec2.describe_launch_template_versions(
        LaunchTemplateId=template["LaunchTemplateId"], Versions=["$Latest"]
    )["LaunchTemplateVersions"][0]
    user_data = base64.b64decode(version["LaunchTemplateData"]["UserData"]).decode()
    assert subprocess.run(["bash", "-n"], input=user_data, text=True, check=False).returncode == 0
    embedded = re.search(r"echo '([A-Za-z0-9+/=]+)' \| base64 -d \| gunzip", user_data).group(1)
    assert gzip.decompress(base64.b64decode(embedded)) == UPLOADER.read_bytes()
    for line in (
        f"DAILYGE_HEAPDUMP_DIR={stack['ecs_heap_dump_host_path']}",
        f"DAILYGE_HEAPDUMP_BUCKET={stack['archive_bucket_name']}",
        f"DAILYGE_HEAPDUMP_PREFIX={stack['archive_prefixes']['heap_dumps']}",
        f"DAILYGE_ECS_CLUSTER={stack['ecs_cluster_name']}",
    ):
        assert f"\n{line}\n" in user_data, line
    assert stack["archive_prefixes"]["heap_dumps"] == "heapdumps"


def test_the_uploader_puts_a_heap_dump_into_the_stacks_archive_bucket(local_stack, stack, tmp_path):
    dump = tmp_path / "java_pid1.hprof"
    dump.write_bytes(b"JAVA PROFILE 1.0.2\0" + b"heap" * 10_000)
    os.utime(dump, (time.time() - 300, time.time() - 300))
    env = dict(
        os.environ,
        AWS_ENDPOINT_URL=local_stack.emulator.endpoint,
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_DEFAULT_REGION=stack["aws_region"],
        DAILYGE_HEAPDUMP_DIR=str(tmp_path),
        DAILYGE_HEAPDUMP_BUCKET=stack["archive_bucket_name"],
        DAILYGE_HEAPDUMP_PREFIX=stack["archive_prefixes"]["heap_dumps"],
        DAILYGE_ECS_CLUSTER=stack["ecs_cluster_name"],
        DAILYGE_INSTANCE_ID="i-0feedfacecafe0001",
        DAILYGE_SLACK_WEBHOOK_URL=f"http://127.0.0.1:{local_stack.emulator.settings.slack_port}/services/LOCAL/DAILYGE/local",
    )
    result = subprocess.run(
        [sys.executable, str(UPLOADER), "--once"], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr
    s3 = local_stack.emulator.client("s3")
    prefix = f"heapdumps/{stack['ecs_cluster_name']}/i-0feedfacecafe0001/"
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=stack["archive_bucket_name"], Prefix=prefix)["Contents"]]
    try:
        assert len(keys) == 1 and keys[0].endswith(".hprof.gz")
        assert not dump.exists()
        assert f"s3://{stack['archive_bucket_name']}/{keys[0]}" in last_slack_text(local_stack)
    finally:
        for key in keys:
            s3.delete_object(Bucket=stack["archive_bucket_name"], Key=key)
