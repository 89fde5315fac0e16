"""Fault tests of issue 14 (defect 3 and the fault suite): two runs at once, Slack down, the emulator dying.

Each prints what the operator sees and proves that nothing was lost (counts before and after). The
full disk during a state or record write is shown in tests/unit/test_atomic_file.py and
tests/unit/test_job_record.py (ENOSPC on write and fsync: the old file intact).

Uses the session's converged local stack (conftest `local_stack`) and leaves it as it found it, except
test_the_emulator_dying_mid_job, which runs on its own emulator (it kills it).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import ops_seed
import pytest
from support import REPO_ROOT, Emulator, LocalStack, PlaybookRun, ansible_env, run_playbook

from emulator import launcher, slack_receiver

pytestmark = pytest.mark.integration

HOST = socket.gethostname()


def play(env: dict[str, str], playbook: str, *args: str) -> PlaybookRun:
    return run_playbook(playbook, "-i", "inventories/local", *args, env=env)


def module_result(run: PlaybookRun, task_prefix: str) -> dict[str, Any]:
    for play_ in run.report.get("plays", []):
        for task in play_["tasks"]:
            if task_prefix in task["task"]["name"]:
                return next(iter(task["hosts"].values()))
    raise AssertionError(f"no task named {task_prefix!r} ran")


def lock_keys(emulator: Emulator, bucket: str) -> list[str]:
    answer = emulator.client("s3").list_objects_v2(Bucket=bucket, Prefix="locks/")
    return [item["Key"] for item in answer.get("Contents", [])]


def job_record(state_dir: Path, job: str) -> dict[str, Any]:
    return json.loads((state_dir / "jobs" / f"{job}.json").read_text())


def slack_requests(emulator: Emulator) -> list[dict[str, Any]]:
    path = slack_receiver.requests_log(emulator.settings.slack_log)
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.fixture(scope="module")
def stack(local_stack: LocalStack) -> dict[str, Any]:
    return local_stack.stack()


@pytest.fixture(scope="module")
def daily_snapshot(local_stack: LocalStack, stack: dict[str, Any]) -> Iterator[str]:
    """Today's daily snapshot (the backup job), deleted again at the end of the module."""
    run = play(local_stack.emulator.env, "playbooks/ops/backup.yml")
    assert run.returncode == 0, run.failure_messages() or run.stdout[-3000:]
    rds = local_stack.emulator.client("rds")
    dailies = [
        s["DBSnapshotIdentifier"]
        for s in rds.describe_db_snapshots(DBInstanceIdentifier=stack["rds_instance_identifier"])["DBSnapshots"]
        if s["SnapshotType"] == "manual" and "-daily-" in s["DBSnapshotIdentifier"]
    ]
    yield dailies[-1]
    for name in dailies:
        rds.delete_db_snapshot(DBSnapshotIdentifier=name)


def rds_counts(emulator: Emulator) -> tuple[int, int]:
    rds = emulator.client("rds")
    return len(rds.describe_db_instances()["DBInstances"]), len(rds.describe_db_snapshots()["DBSnapshots"])


# --- two runs at once (defect 3) --------------------------------------------------------------------------


def test_two_restore_drills_at_once_one_is_refused_naming_the_holder(local_stack, stack, daily_snapshot, capsys):
    emulator = local_stack.emulator
    before = rds_counts(emulator)
    runs: dict[int, PlaybookRun] = {}

    def drill(index: int) -> None:
        runs[index] = play(emulator.env, "playbooks/ops/restore_drill.yml")

    threads = [threading.Thread(target=drill, args=(index,)) for index in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    outcomes = sorted(runs.values(), key=lambda run: run.returncode)
    done, refused = outcomes
    assert done.returncode == 0, done.failure_messages() or done.stdout[-3000:]
    assert refused.returncode != 0
    [message] = [m for m in refused.failure_messages() if m.startswith("restore_drill failed")]
    assert "another run of local is running (restore_drill, pid " in message
    assert f"on {HOST} by " in message and f"lock s3://{stack['archive_bucket_name']}/locks/local.json" in message
    assert "StorageThroughput" not in refused.stdout
    after = rds_counts(emulator)
    with capsys.disabled():
        print(f"\n[two drills] refused: {message}\n[two drills] instances, snapshots before {before} after {after}")
    assert after == before, "the drill's temporary instance is gone, no snapshot lost"
    assert lock_keys(emulator, stack["archive_bucket_name"]) == [], "the lock is released"


def test_a_deploy_while_another_runs_names_it(local_stack, capsys):
    state_dir = local_stack.emulator.settings.state_dir
    lock = state_dir / "terraform" / "local" / "deploy.lock"
    if lock.exists():  # provision.yml run alone by an earlier test keeps it (only summary.yml releases)
        earlier = json.loads(lock.read_text())["pid"]
        assert subprocess.run(["kill", "-0", str(earlier)], capture_output=True).returncode != 0, "its run is over"
    other = subprocess.Popen(["sleep", "120"])  # stands for the first `make local`, still running
    try:
        holder = {"pid": other.pid, "host": HOST, "user": "dev", "play": "Provision", "started": "2026-12-03T06:00:00Z"}
        lock.write_text(json.dumps(holder))
        run = play(local_stack.emulator.env, "playbooks/provision.yml", "--check")
        assert run.returncode != 0
        [message] = run.failure_messages()
        assert message.startswith(f"another deploy of local is running (Provision, pid {other.pid}, started ")
        assert f"on {HOST} by dev" in message
        with capsys.disabled():
            print(f"\n[two deploys] {message}")
        assert json.loads(lock.read_text()) == holder, "the refused run left the holder's lock alone"
    finally:
        other.kill()
        other.wait()
    # The first deploy died without releasing: the next one on this host takes the lock over.
    again = play(local_stack.emulator.env, "playbooks/provision.yml", "--check")
    assert again.returncode == 0, again.failure_messages()
    assert "is gone" in module_result(again, "Take the deploy lock")["outcome"]
    lock.unlink()  # provision.yml alone keeps it until summary.yml; this run's pid is gone now anyway


def test_terraforms_state_lock_error_is_said_in_the_same_shape(tmp_path):
    stderr = (
        "╷\n│ Error: Error acquiring the state lock\n│ \n│ Error message: operation error S3: PutObject, "
        "StatusCode: 412, PreconditionFailed\n│ Lock Info:\n│   ID:        7c1d7e0a-1b2c-4d5e-8f90-0a1b2c3d4e5f\n"
        "│   Path:      dailyge-terraform-state/dev/terraform.tfstate\n│   Operation: OperationTypeApply\n"
        "│   Who:       runner@ci-host-7\n│   Version:   1.9.8\n│   Created:   2026-12-03 06:01:02.3 +0000 UTC\n"
        "│   Info:      \n╵\n"
    )
    playbook = tmp_path / "failed.yml"
    playbook.write_text(
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n"
        f"    - ansible.builtin.include_tasks: {REPO_ROOT}/roles/terraform/tasks/failed.yml\n"
        "      vars:\n        dailyge_env: dev\n        terraform_emulator_health_url: ''\n"
        "        terraform_root_dir: terraform/envs/dev\n        terraform_failed_step: plan\n"
        f"        terraform_failed_result: {json.dumps({'rc': 1, 'stderr': stderr})}\n"
    )
    (tmp_path / "hosts.yml").write_text("all: {hosts: {localhost: {ansible_connection: local}}}\n")
    run = run_playbook(str(playbook), "-i", str(tmp_path / "hosts.yml"))
    [message] = run.failure_messages()
    assert message.startswith(
        "another deploy of dev is running (Terraform apply, started 2026-12-03 06:01:02.3 +0000 UTC on ci-host-7 "
        "by runner; state lock 7c1d7e0a-1b2c-4d5e-8f90-0a1b2c3d4e5f at dailyge-terraform-state/dev/terraform.tfstate)"
    ), message


# --- Slack answering 500 or timing out ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "extra", "status"), [("500", [], 500), ("sleep-4", ["-e", "slack_report_timeout=1"], 0)]
)
def test_slack_down_the_result_is_recorded_and_the_report_retried(
    local_stack, stack, daily_snapshot, capsys, fault, extra, status
):
    emulator = local_stack.emulator
    webhook = f"http://127.0.0.1:{emulator.settings.slack_port}/services/_fault/{fault}/T/B/local"
    requests_before = len(slack_requests(emulator))
    messages_before = len(emulator.slack_messages())
    snapshots_before = rds_counts(emulator)
    run = play(emulator.env, "playbooks/ops/backup.yml", "-e", f"slack_webhook_url={webhook}", *extra)
    assert run.returncode == 0, run.failure_messages()  # a Slack outage never changes the job's result
    delivery = module_result(run, "Slack | Log the delivery")["msg"]
    assert delivery.startswith(
        "Slack report NOT delivered (HTTP -1" if status == 0 else "Slack report NOT delivered (HTTP 500"
    )
    assert "after 3 attempt(s); the job's result (success) stands" in delivery
    attempts = [r for r in slack_requests(emulator)[requests_before:] if f"/_fault/{fault}/" in r["path"]]
    assert [r["status"] for r in attempts] == [status] * 3, "tried three times"
    assert len(emulator.slack_messages()) == messages_before
    record = job_record(emulator.settings.state_dir, "backup")
    assert record["result"] == "success" and record["job"] == "backup"
    assert record["slack"]["delivered"] is False and int(record["slack"]["attempts"]) == 3
    assert any(daily_snapshot in line for line in record["details"])
    succeeded = emulator.client("cloudwatch").get_metric_statistics(
        Namespace="Dailyge/Jobs",
        MetricName="JobSucceeded",
        Dimensions=[{"Name": "Environment", "Value": "local"}, {"Name": "Job", "Value": "backup"}],
        StartTime=datetime.now(UTC) - timedelta(hours=6),
        EndTime=datetime.now(UTC) + timedelta(minutes=1),
        Period=3600,
        Statistics=["Maximum"],
    )["Datapoints"]
    assert succeeded, "the job's success reaches CloudWatch (the watchdog) although Slack is down"
    assert webhook not in run.stdout, "the webhook URL is a secret"
    with capsys.disabled():
        print(f"\n[slack {fault}] {delivery}\n[slack {fault}] receiver log: {[r['status'] for r in attempts]}")
    assert rds_counts(emulator) == snapshots_before


# --- the emulator dying mid-job ---------------------------------------------------------------------------


def test_the_emulator_dying_mid_job(emulator: Emulator, tmp_path_factory, capsys):
    values = ops_seed.seed_database(emulator) | ops_seed.seed_bucket(emulator)
    [snapshot] = ops_seed.seed_dailies(emulator, [ops_seed.seoul_today() - timedelta(days=1)])
    stack_arg = ops_seed.stack_file(tmp_path_factory.mktemp("stack") / "stack.json", **values)
    s3 = emulator.client("s3")
    before = rds_counts(emulator)

    command = ["ansible-playbook", "playbooks/ops/restore_drill.yml", "-i", "inventories/local", "-e", stack_arg]
    job = subprocess.Popen(
        command, cwd=REPO_ROOT, env=ansible_env(emulator.env), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    holder = None
    deadline = time.monotonic() + 120
    while holder is None and time.monotonic() < deadline and job.poll() is None:
        try:
            holder = s3.get_object(Bucket=ops_seed.BUCKET, Key="locks/local.json")["Body"].read()
        except s3.exceptions.NoSuchKey:
            time.sleep(0.05)
    assert holder is not None, "the drill took the lock"
    os.kill(int(emulator.settings.pid_file.read_text()), signal.SIGKILL)  # the emulator dies mid-job
    stdout, _ = job.communicate(timeout=600)
    start = stdout.find("{")
    run = PlaybookRun(job.returncode, stdout, "", json.JSONDecoder().raw_decode(stdout[start:])[0])

    assert run.returncode != 0
    [message] = [m for m in run.failure_messages() if m.startswith("restore_drill failed")]
    assert "Restore drill | The source instance failed: Failed to describe db instances" in message
    assert run.changed == 0, f"nothing created or deleted before the emulator died: {run.changed_tasks()}"
    not_released = module_result(run, "Run lock | Say when the lock could not be released")["msg"]
    assert "could not be released" in not_released and "the next run takes it over" in not_released
    assert "Could not connect to the endpoint URL" in not_released  # the cause, named
    assert job_record(emulator.settings.state_dir, "restore_drill")["result"] == "failure"

    # The emulator comes back (empty, as moto keeps nothing); S3 would have kept the lock: put it back.
    launcher.stop(emulator.settings)
    launcher.start(emulator.settings)
    values = ops_seed.seed_database(emulator) | ops_seed.seed_bucket(emulator)
    ops_seed.seed_dailies(emulator, [ops_seed.seoul_today() - timedelta(days=1)])
    emulator.client("s3").put_object(Bucket=ops_seed.BUCKET, Key="locks/local.json", Body=holder)
    again = play(emulator.env, "playbooks/ops/restore_drill.yml", "-e", stack_arg)
    assert again.returncode == 0, again.failure_messages() or again.stdout[-3000:]
    taken = module_result(again, "Run lock | Take the run lock")["outcome"]
    assert taken.startswith("take over the lock (its holder, pid ") and taken.endswith(" is gone)")
    assert lock_keys(emulator, ops_seed.BUCKET) == []
    assert rds_counts(emulator) == before, "the source instance and its snapshot, no drill instance left"
    with capsys.disabled():
        print(f"\n[emulator killed] {message}\n[emulator killed] {not_released}\n[emulator killed] next run: {taken}")
        print(f"[emulator killed] instances, snapshots before {before} after {rds_counts(emulator)} ({snapshot})")
