"""The ops playbooks against a real emulator: backup, restore drill, log archive, Slack reports.

Each playbook runs with real ansible-playbook and the project's modules; the `stack` is passed as
an extra variable (as the Terraform outputs would give it) for resources seeded directly, so these
tests do not depend on a full Terraform converge. Writes are counted from the emulator's recording.
"""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import ops_seed
import pytest
from support import Emulator, PlaybookRun, run_playbook, start_emulator, without_run_lock

from emulator import launcher, recording

pytestmark = pytest.mark.integration

API, WORKER = "/ecs/dailyge-local/api", "/ecs/dailyge-local/worker"


@pytest.fixture(scope="module")
def aws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    running = start_emulator(tmp_path_factory.mktemp("ops-state"), {"MOTO_ENABLE_RECORDING": "true"})
    try:
        yield running
    finally:
        launcher.stop(running.settings)


@pytest.fixture(scope="module")
def stack(aws: Emulator, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    values = ops_seed.seed_database(aws) | ops_seed.seed_bucket(aws)
    today = ops_seed.seoul_today()
    ops_seed.seed_logs(aws, [API, WORKER], [today - timedelta(days=offset) for offset in (3, 2, 1)])
    return values | {"log_group_names": [API, WORKER]}


@pytest.fixture(scope="module")
def stack_arg(stack: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> str:
    return ops_seed.stack_file(tmp_path_factory.mktemp("stack") / "stack.json", **stack)


@pytest.fixture(scope="module")
def failing_slack() -> Iterator[str]:
    """A webhook that answers 500 to everything, as Slack does during an outage."""

    class Outage(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(500)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"internal_error")

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Outage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/services/T/B/outage"
    server.shutdown()


def play(aws: Emulator, playbook: str, *args: str) -> tuple[PlaybookRun, dict[str, Any]]:
    """Run a playbook; return it and the AWS calls it made (summarised)."""
    recording.reset(aws.endpoint)
    run = run_playbook(playbook, "-i", "inventories/local", *args, env=aws.env)
    return run, without_run_lock(recording.calls(aws.endpoint))


def module_result(run: PlaybookRun, task_prefix: str) -> dict[str, Any]:
    for play_ in run.report.get("plays", []):
        for task in play_["tasks"]:
            if task_prefix in task["task"]["name"]:
                return next(iter(task["hosts"].values()))
    raise AssertionError(f"no task named {task_prefix!r} ran")


def last_slack_text(aws: Emulator) -> str:
    return aws.slack_messages()[-1]["payload"]["text"]


def snapshot_names(aws: Emulator) -> set[str]:
    return {item["DBSnapshotIdentifier"] for item in aws.client("rds").describe_db_snapshots()["DBSnapshots"]}


# --- backup --------------------------------------------------------------------------------------------


def test_backup_creates_todays_snapshot_and_reports_it(aws, stack_arg):
    run, calls = play(aws, "playbooks/ops/backup.yml", "-e", stack_arg)
    assert run.returncode == 0, run.failure_messages() or run.stdout[-3000:]
    today = f"{ops_seed.DB}-daily-{ops_seed.seoul_today():%Y%m%d}"
    assert today in snapshot_names(aws)
    assert calls["write_calls"] == {"rds:CreateDBSnapshot": 1, "monitoring:PutMetricData": 1}  # + JobSucceeded
    text = last_slack_text(aws)
    assert text.startswith(":white_check_mark: Dailyge local backup: SUCCESS in ")
    assert f"create: {today}" in text


def test_backup_second_run_changes_nothing_and_writes_nothing(aws, stack_arg):
    run, calls = play(aws, "playbooks/ops/backup.yml", "-e", stack_arg)
    assert run.returncode == 0
    assert run.changed == 0, run.changed_tasks()
    assert calls["writes"] == 0, calls["write_calls"]
    assert calls["reads"] > 0


def test_backup_rotation_in_check_mode_then_for_real(aws, stack_arg):
    db = "dailyge-rotation"
    rds = aws.client("rds")
    rds.create_db_instance(
        DBInstanceIdentifier=db, DBInstanceClass="db.t3.micro", Engine="mysql", AllocatedStorage=20,
        MasterUsername="dailyge", MasterUserPassword="emulator-placeholder-1",
    )  # fmt: skip
    today = ops_seed.seoul_today()
    own = ops_seed.seed_dailies(aws, [today - timedelta(days=offset) for offset in range(10, 0, -1)], db=db)
    foreign = ops_seed.seed_dailies(aws, [today - timedelta(days=40)], db=db, tags=[])
    args = (
        "-e",
        stack_arg,
        "-e",
        f"{{'stack': {{'rds_instance_identifier': '{db}'}}}}",
        "-e",
        "ops_jobs_backup_keep=3",
    )

    checked, check_calls = play(aws, "playbooks/ops/backup.yml", "--check", *args)
    assert checked.returncode == 0, checked.failure_messages()
    assert check_calls["writes"] == 0, check_calls["write_calls"]
    planned = module_result(checked, "Backup | Today's snapshot")
    assert planned["created"] == [f"{db}-daily-{today:%Y%m%d}"]
    assert planned["deleted"] == own[:8]

    run, calls = play(aws, "playbooks/ops/backup.yml", *args)
    assert run.returncode == 0, run.failure_messages()
    done = module_result(run, "Backup | Today's snapshot")
    assert done["deleted"] == planned["deleted"]
    assert calls["write_calls"] == {"rds:CreateDBSnapshot": 1, "rds:DeleteDBSnapshot": 8}
    left = snapshot_names(aws)
    assert set(own[8:]) | set(foreign) <= left
    assert not set(own[:8]) & left


def test_backup_bad_input_is_one_line_and_writes_nothing(aws, stack_arg):
    run, calls = play(aws, "playbooks/ops/backup.yml", "-e", stack_arg, "-e", "ops_jobs_backup_keep=-1")
    assert run.returncode != 0
    assert any("keep must be 0 or more (got -1)" in message for message in run.failure_messages())
    assert calls["writes"] == 0
    assert last_slack_text(aws).startswith(":x: Dailyge local backup: FAILURE")


def test_backup_without_the_rds_output_says_what_to_do(aws, tmp_path):
    incomplete = ops_seed.stack_file(tmp_path / "stack.json", archive_bucket_name=ops_seed.BUCKET)
    run, calls = play(aws, "playbooks/ops/backup.yml", "-e", incomplete)
    assert run.returncode != 0
    assert any("the stack has no rds_instance_identifier output" in message for message in run.failure_messages())
    assert calls["total"] == 0


def test_slack_returning_500_does_not_fail_the_backup_and_the_log_says_so(aws, stack_arg, failing_slack):
    run, _ = play(aws, "playbooks/ops/backup.yml", "-e", stack_arg, "-e", f"slack_webhook_url={failing_slack}")
    assert run.returncode == 0, run.failure_messages()
    delivery = module_result(run, "Slack | Log the delivery")
    assert delivery["msg"].startswith("Slack report NOT delivered (HTTP 500")
    assert "the job's result (success) stands" in delivery["msg"]
    assert failing_slack not in run.stdout, "the webhook URL is a secret"


# --- restore drill -------------------------------------------------------------------------------------


def test_restore_drill_restores_checks_and_deletes_the_temporary_instance(aws, stack_arg):
    run, calls = play(aws, "playbooks/ops/restore_drill.yml", "-e", stack_arg)
    assert run.returncode == 0, run.failure_messages() or run.stdout[-3000:]
    instances = {item["DBInstanceIdentifier"] for item in aws.client("rds").describe_db_instances()["DBInstances"]}
    assert f"{ops_seed.DB}-drill" not in instances
    assert calls["write_calls"].get("rds:RestoreDBInstanceFromDBSnapshot") == 1
    assert calls["write_calls"].get("rds:DeleteDBInstance") == 1
    text = last_slack_text(aws)
    assert text.startswith(":white_check_mark: Dailyge local restore_drill: SUCCESS")
    assert f"parameter group {ops_seed.PARAMETER_GROUP} (expected {ops_seed.PARAMETER_GROUP})" in text
    assert f"temporary instance {ops_seed.DB}-drill deleted" in text


def test_a_failed_restore_check_still_deletes_the_temporary_instance(aws, stack_arg):
    run, calls = play(
        aws, "playbooks/ops/restore_drill.yml", "-e", stack_arg, "-e", "ops_jobs_restore_drill_engine=postgres"
    )
    assert run.returncode != 0
    assert any("the restored instance does not match" in message for message in run.failure_messages())
    instances = {item["DBInstanceIdentifier"] for item in aws.client("rds").describe_db_instances()["DBInstances"]}
    assert f"{ops_seed.DB}-drill" not in instances
    assert calls["write_calls"].get("rds:DeleteDBInstance") == 1
    text = last_slack_text(aws)
    assert text.startswith(":x: Dailyge local restore_drill: FAILURE")
    assert "deleted" in text


def test_restore_drill_in_check_mode_writes_nothing(aws, stack_arg):
    run, calls = play(aws, "playbooks/ops/restore_drill.yml", "--check", "-e", stack_arg)
    assert run.returncode == 0, run.failure_messages()
    assert calls["writes"] == 0, calls["write_calls"]


# --- log archive ---------------------------------------------------------------------------------------


def archive_keys(aws: Emulator) -> list[str]:
    listing = aws.client("s3").list_objects_v2(Bucket=ops_seed.BUCKET).get("Contents", [])
    return [item["Key"] for item in listing]


def test_log_archive_check_mode_lists_the_plan_and_writes_nothing(aws, stack_arg):
    run, calls = play(aws, "playbooks/ops/log_archive.yml", "--check", "-e", stack_arg)
    assert run.returncode == 0, run.failure_messages()
    assert calls["writes"] == 0, calls["write_calls"]
    planned = module_result(run, "Log archive | Export")
    assert len(planned["exported"]) == 6
    assert len(planned["deleted_streams"]) == 4
    assert not [key for key in archive_keys(aws) if key.endswith("_archived.json")]


def test_log_archive_exports_marks_and_deletes_then_does_nothing(aws, stack_arg):
    run, calls = play(aws, "playbooks/ops/log_archive.yml", "-e", stack_arg)
    assert run.returncode == 0, run.failure_messages()
    assert calls["write_calls"]["logs:CreateExportTask"] == 6
    assert calls["write_calls"]["logs:DeleteLogStream"] == 4
    markers = [key for key in archive_keys(aws) if key.endswith("_archived.json")]
    assert len(markers) == 6
    prefixes = ("cloudwatch-logs/ecs/dailyge-local/api/", "cloudwatch-logs/ecs/dailyge-local/worker/")
    assert all(key.startswith(prefixes) for key in markers), markers
    streams = aws.client("logs").describe_log_streams(logGroupName=API)["logStreams"]
    assert [stream["logStreamName"] for stream in streams] == ["api/api/task-live"]
    assert "log_archive: SUCCESS" in last_slack_text(aws)

    again, again_calls = play(aws, "playbooks/ops/log_archive.yml", "-e", stack_arg)
    assert again.returncode == 0
    assert again.changed == 0, again.changed_tasks()
    assert again_calls["writes"] == 0, again_calls["write_calls"]


def test_log_archive_exports_late_events_of_an_archived_day_before_deleting_the_stream(aws, stack_arg):
    """Issue 14 (1): D's marker exists, a new stream gets events in D; they are exported, then it goes."""
    day = ops_seed.seoul_today() - timedelta(days=2)  # archived by the test above
    prefix = f"cloudwatch-logs/ecs/dailyge-local/api/{day:%Y/%m/%d}/"
    logs, s3 = aws.client("logs"), aws.client("s3")
    assert prefix + "_archived.json" in archive_keys(aws)
    ops_seed.put_events(logs, API, "api/api/task-late", [ops_seed.seoul_ms(day, 10), ops_seed.seoul_ms(day, 11)])
    before = set(archive_keys(aws))

    run, calls = play(aws, "playbooks/ops/log_archive.yml", "-e", stack_arg)
    assert run.returncode == 0, run.failure_messages()
    print(
        f"\nFAULT-ROW | late events (playbook) | {last_slack_text(aws)!r} | before {len(before)} keys, "
        f"2 events in api/api/task-late | after {len(archive_keys(aws))} keys"
    )
    report = module_result(run, "Log archive | Export")
    (late,) = report["late_exports"]
    assert (late["stream"], late["day"]) == ("api/api/task-late", day.isoformat())
    new = sorted(set(archive_keys(aws)) - before)
    assert new == [f"{prefix}{late['task_id']}/api/api/task-late/000000.gz"], new
    body = gzip.decompress(s3.get_object(Bucket=ops_seed.BUCKET, Key=new[0])["Body"].read()).decode()
    assert len(body.splitlines()) == 2, "both late events are in the new object"
    actions = [call.action for call in recording.calls(aws.endpoint)]  # in order, since play() reset them
    assert actions.index("DeleteLogStream") > actions.index("CreateExportTask"), "deleted only after the export"
    assert calls["write_calls"]["logs:CreateExportTask"] == 1
    assert calls["write_calls"]["logs:DeleteLogStream"] == 1
    streams = [stream["logStreamName"] for stream in logs.describe_log_streams(logGroupName=API)["logStreams"]]
    assert streams == ["api/api/task-live"]
    marker = json.loads(s3.get_object(Bucket=ops_seed.BUCKET, Key=prefix + "_archived.json")["Body"].read())
    assert [export["stream_prefix"] for export in marker["exports"]] == [None, "api/api/task-late"]
    assert "late events of archived days: 1 streams" in last_slack_text(aws)

    again, again_calls = play(aws, "playbooks/ops/log_archive.yml", "-e", stack_arg)
    assert again.returncode == 0 and again.changed == 0, again.changed_tasks()
    assert again_calls["writes"] == 0, again_calls["write_calls"]


def test_log_archive_put_object_forbidden_names_group_and_day_then_a_rerun_writes_one_copy(aws, stack_arg):
    """Issue 14 (6): a marker write answered 403 Forbidden, then the re-run after the fix."""
    day = ops_seed.seoul_today() - timedelta(days=2)
    prefix = f"cloudwatch-logs/ecs/dailyge-local/worker/{day:%Y/%m/%d}/"
    logs, s3 = aws.client("logs"), aws.client("s3")
    ops_seed.put_events(logs, WORKER, "api/api/task-late", [ops_seed.seoul_ms(day, 10)])
    deny = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{ops_seed.BUCKET}/*/_archived.json",
    }
    s3.put_bucket_policy(Bucket=ops_seed.BUCKET, Policy=json.dumps({"Version": "2012-10-17", "Statement": [deny]}))
    streams_before = len(logs.describe_log_streams(logGroupName=WORKER)["logStreams"])
    try:
        run, calls = play(aws, "playbooks/ops/log_archive.yml", "-e", stack_arg)
    finally:
        s3.delete_bucket_policy(Bucket=ops_seed.BUCKET)
    line = f"log group {WORKER} day {day}: PutObject failed (403: Forbidden): nothing was deleted"
    assert run.returncode != 0
    assert any(line in message for message in run.failure_messages()), run.failure_messages()
    assert "logs:DeleteLogStream" not in calls["write_calls"]
    assert len(logs.describe_log_streams(logGroupName=WORKER)["logStreams"]) == streams_before
    assert line in last_slack_text(aws)
    late_objects = [key for key in archive_keys(aws) if key.startswith(prefix) and "/api/api/task-late/" in key]
    assert len(late_objects) == 1, "the export itself completed before the marker write failed"
    print(
        f"\nFAULT-ROW | PutObject Forbidden (playbook) | {line} | streams {streams_before} -> "
        f"{len(logs.describe_log_streams(logGroupName=WORKER)['logStreams'])}, late objects 1"
    )

    again, again_calls = play(aws, "playbooks/ops/log_archive.yml", "-e", stack_arg)
    assert again.returncode == 0, again.failure_messages()
    assert "logs:CreateExportTask" not in again_calls["write_calls"], "the completed export is reused"
    assert [key for key in archive_keys(aws) if "/api/api/task-late/" in key and key.startswith(prefix)] == late_objects
    streams = [stream["logStreamName"] for stream in logs.describe_log_streams(logGroupName=WORKER)["logStreams"]]
    assert "api/api/task-late" not in streams


def test_log_archive_of_a_missing_group_fails_before_anything_changes(aws, stack_arg):
    run, calls = play(
        aws, "playbooks/ops/log_archive.yml", "-e", stack_arg, "-e", '{"ops_jobs_log_archive_groups": ["/ecs/nope"]}'
    )
    assert run.returncode != 0
    assert any("log group '/ecs/nope' does not exist" in message for message in run.failure_messages())
    assert calls["writes"] == 0


def test_an_unknown_time_zone_is_one_line_before_any_aws_call(aws, stack_arg):
    run, calls = play(aws, "playbooks/ops/backup.yml", "-e", stack_arg, "-e", "ops_jobs_timezone=Mars/Olympus")
    assert run.returncode != 0
    assert any("unknown time zone 'Mars/Olympus'" in message for message in run.failure_messages())
    assert calls["total"] == 0


def test_a_mistyped_job_variable_is_reported_and_calls_nothing(aws, stack_arg):
    run, calls = play(aws, "playbooks/ops/backup.yml", "-e", stack_arg, "-e", "ops_jobs_backup_keep=lots")
    assert run.returncode != 0
    assert any("ops_jobs_backup_keep" in message and "int" in message for message in run.failure_messages())
    assert calls["total"] == 0
    assert last_slack_text(aws).startswith(":x: Dailyge local backup: FAILURE")
