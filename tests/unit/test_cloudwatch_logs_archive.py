"""dailyge.infra.cloudwatch_logs_archive: export whole Seoul days, verify, mark, then delete streams.

Behaviour runs against moto's in-process Logs and S3 (mock_aws, with the emulator's export-task
patch, so exports behave as on AWS); the faults moto cannot produce (an
export task that fails, is cancelled, never finishes, writes nothing, or the account's one export
slot being busy) run against botocore's Stubber.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import boto3
import pytest
from ansible_collections.dailyge.infra.plugins.module_utils import logs_archive as engine
from ansible_collections.dailyge.infra.plugins.module_utils.local_days import day_bounds_ms, local_date, zone
from ansible_collections.dailyge.infra.plugins.module_utils.retrying import retry_decorator
from botocore.stub import ANY, Stubber
from ops_fakes import FakeClock, Recorder, archive_account, client_error, wrap

REGION = "ap-northeast-2"
BUCKET = "dailyge-local-archive"
SEOUL = zone("Asia/Seoul")
API = "/ecs/dailyge-api"
WORKER = "/ecs/dailyge-worker"
# moto accepts events of the last 14 days only: the test days are relative to the real clock.
NOW = datetime.now(UTC)
TODAY = local_date(NOW, SEOUL)
DAYS = [TODAY - timedelta(days=offset) for offset in (3, 2, 1)]


def at(day: date, hour: int) -> int:
    """Epoch ms of hour:00 Seoul time on day."""
    return day_bounds_ms(day, SEOUL)[0] + hour * 3600 * 1000


@dataclass
class Aws:
    logs: Any
    s3: Any

    def run(self, check_mode: bool = False, **options: Any) -> tuple[engine.Outcome, Recorder, Recorder]:
        logs, logs_calls = wrap(self.logs, retry_decorator())
        s3, s3_calls = wrap(self.s3, retry_decorator())
        options = {"log_groups": [API, WORKER], "bucket": BUCKET} | options
        outcome = engine.run(logs, s3, engine.Options(**options), SEOUL, FakeClock(NOW), check_mode)
        return outcome, logs_calls, s3_calls

    def keys(self, prefix: str = "") -> list[str]:
        return sorted(item["Key"] for item in self.s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", []))

    def streams(self, group: str) -> list[str]:
        return sorted(
            item["logStreamName"] for item in self.logs.describe_log_streams(logGroupName=group)["logStreams"]
        )

    def put(self, group: str, stream: str, *timestamps: int) -> None:
        self.logs.create_log_stream(logGroupName=group, logStreamName=stream)
        events = [
            {"timestamp": ts, "message": json.dumps({"path": "/api/x", "n": i})} for i, ts in enumerate(timestamps)
        ]
        self.logs.put_log_events(
            logGroupName=group, logStreamName=stream, logEvents=sorted(events, key=lambda e: e["timestamp"])
        )


@pytest.fixture
def aws(logs_as_aws) -> Iterator[Aws]:
    """moto with the emulator's export-task patch: exports cover [from, to), run in the background."""
    with archive_account(REGION, BUCKET, (API, WORKER, "/other/app")) as (logs, s3):
        aws = Aws(logs, s3)
        aws.put(API, "api/task-1", at(DAYS[0], 10), at(DAYS[0], 23), at(DAYS[1], 1))  # days 0 and 1
        aws.put(API, "api/task-2", at(DAYS[2], 12))  # day 2 only
        aws.put(API, "api/task-live", at(DAYS[2], 20), at(TODAY, 0) + 60_000)  # still writing today
        aws.put(WORKER, "worker/task-1", at(DAYS[0], 8), at(DAYS[2], 8))  # days 0 and 2, none on day 1
        aws.put("/other/app", "x", at(DAYS[0], 8))
        yield aws


def prefix(group: str, day: date) -> str:
    return f"{group.lstrip('/')}/{day:%Y/%m/%d}/"


def test_archives_every_whole_day_then_deletes_only_archived_streams(aws):
    outcome, _, _ = aws.run()
    exported = {(day.group, day.day) for day in outcome.days if day.state == "exported"}
    assert exported == {(API, d) for d in DAYS} | {(WORKER, DAYS[0]), (WORKER, DAYS[2])}
    assert [(day.group, day.day) for day in outcome.days if day.state == "empty"] == [(WORKER, DAYS[1])]
    for group, day in exported:
        keys = aws.keys(prefix(group, day))
        assert prefix(group, day) + engine.MARKER_NAME in keys
        assert any(key.endswith(".gz") for key in keys), keys
        marker = json.loads(
            aws.s3.get_object(Bucket=BUCKET, Key=prefix(group, day) + engine.MARKER_NAME)["Body"].read()
        )
        assert marker["day"] == day.isoformat() and marker["objects"] >= 1 and marker["export_task_id"]
    assert aws.streams(API) == ["api/task-live"], "the stream with events today stays"
    assert aws.streams(WORKER) == []
    assert aws.streams("/other/app") == ["x"], "groups that do not match are never touched"
    assert outcome.changed


def test_the_export_covers_the_seoul_day_not_the_utc_day(aws):
    outcome, _, _ = aws.run(delete_streams=False)
    first = next(day for day in outcome.days if day.group == API and day.day == DAYS[0])
    start, end = day_bounds_ms(DAYS[0], SEOUL)
    marker = json.loads(aws.s3.get_object(Bucket=BUCKET, Key=first.prefix + engine.MARKER_NAME)["Body"].read())
    assert (marker["from_ms"], marker["to_ms"]) == (start, end), "to is exclusive: the start of the next day"
    assert datetime.fromtimestamp(start / 1000, UTC).hour == 15, "00:00 KST is 15:00 UTC the day before"


def test_rerun_after_success_writes_nothing(aws):
    aws.run()
    outcome, logs_calls, s3_calls = aws.run()
    assert not outcome.changed
    assert logs_calls.writes == [] and s3_calls.writes == []
    assert {day.state for day in outcome.days} == {"archived"}
    assert logs_calls.calls.count("describe_log_groups") == 1, "one listing for all the groups"


def test_check_mode_reads_only_and_lists_the_same_plan(aws):
    keys_before = aws.keys()
    planned, logs_calls, s3_calls = aws.run(check_mode=True)
    assert logs_calls.writes == [] and s3_calls.writes == []
    assert aws.keys() == keys_before
    assert aws.streams(API) == ["api/task-1", "api/task-2", "api/task-live"]
    done, _, _ = aws.run()
    assert planned.deleted_streams == done.deleted_streams
    assert [(d.group, d.day, d.state) for d in planned.days] == [(d.group, d.day, d.state) for d in done.days]


def test_a_pattern_selects_groups(aws):
    outcome, _, _ = aws.run(log_groups=["/ecs/*"], delete_streams=False)
    assert outcome.groups == [API, WORKER]


def test_cutoff_date_limits_the_days(aws):
    outcome, _, _ = aws.run(cutoff=DAYS[1])
    assert {day.day for day in outcome.days} == {DAYS[0]}
    assert aws.streams(API) == ["api/task-1", "api/task-2", "api/task-live"], "task-1 also has events on DAYS[1]"
    assert aws.streams(WORKER) == ["worker/task-1"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"bucket": "Not_A_Bucket"}, "is not an S3 bucket name"),
        ({"log_groups": []}, "log_groups must name at least one"),
        ({"prefix": "/abs/"}, "must be empty or end with '/'"),
        ({"export_timeout": 0}, "must be positive"),
    ],
)
def test_bad_input_is_one_line_before_any_call(aws, options, message):
    with pytest.raises(engine.ArchiveError, match=message):
        aws.run(**options)
    assert aws.keys() == []


def test_a_missing_bucket_or_group_fails_before_anything_changes(aws):
    with pytest.raises(engine.ArchiveError, match="archive bucket 'no-such-bucket' does not exist"):
        aws.run(bucket="no-such-bucket")
    with pytest.raises(engine.ArchiveError, match="log group '/ecs/nope' does not exist"):
        aws.run(log_groups=[API, "/ecs/nope"])
    assert aws.keys() == []
    assert aws.streams(API) == ["api/task-1", "api/task-2", "api/task-live"]


# --- faults (Stubber) -------------------------------------------------------------------------

DAY = DAYS[2]
START, END = day_bounds_ms(DAY, SEOUL)
NOW_MS = int(NOW.timestamp() * 1000)
STREAM = {
    "logStreamName": "s1",
    "firstEventTimestamp": START + 1000,
    "lastEventTimestamp": START + 2000,
    "lastIngestionTime": START + 3000,
}


class Stubbed:
    """Stubbed logs and s3 clients for one group (API) with one stream on DAY."""

    def __init__(self) -> None:
        def client(service: str) -> Any:
            return boto3.client(service, region_name=REGION, aws_access_key_id="k", aws_secret_access_key="s")

        self.logs_client, self.s3_client = client("logs"), client("s3")
        self.logs, self.s3 = Stubber(self.logs_client), Stubber(self.s3_client)
        self.clock = FakeClock(NOW)

    def discovery(self, groups: tuple[str, ...] = (API,)) -> None:
        """HeadBucket and the group listing; the streams of the first group."""
        self.s3.add_response("head_bucket", {})
        self.logs.add_response("describe_log_groups", {"logGroups": [{"logGroupName": group} for group in groups]})
        self.streams(groups[0])

    def streams(self, group: str) -> None:
        stream = STREAM
        expected = {"logGroupName": group, "orderBy": ANY, "limit": ANY}
        self.logs.add_response("describe_log_streams", {"logStreams": [stream]}, expected)

    def day_start(self) -> None:
        self.s3.add_response("list_objects_v2", {"IsTruncated": False, "KeyCount": 0})  # no marker yet
        self.logs.add_response("filter_log_events", {"events": [{"timestamp": START + 1000, "message": "x"}]})
        self.logs.add_response("describe_export_tasks", {"exportTasks": []})  # no earlier task of the day

    def export_completes(self, task_id: str = "t-1", objects: bool = True) -> None:
        self.logs.add_response(
            "describe_export_tasks",
            {
                "exportTasks": [
                    {"taskId": task_id, "status": {"code": "COMPLETED"}, "executionInfo": {"creationTime": NOW_MS}}
                ]
            },
        )
        contents = [{"Key": f"{prefix(API, DAY)}{task_id}/s1/000000.gz", "Size": 123}] if objects else []
        self.s3.add_response("list_objects_v2", {"IsTruncated": False, "Contents": contents})

    def run(self) -> tuple[engine.Outcome, Recorder, Recorder]:
        logs, logs_calls = wrap(self.logs_client, retry_decorator())
        s3, s3_calls = wrap(self.s3_client, retry_decorator())
        self.calls = (logs_calls, s3_calls)
        with self.logs, self.s3:
            outcome = engine.run(logs, s3, engine.Options([API], BUCKET, cutoff=TODAY), SEOUL, self.clock, False)
            self.logs.assert_no_pending_responses()
            self.s3.assert_no_pending_responses()
        return outcome, logs_calls, s3_calls

    def run_failing(self, message: str) -> engine.ArchiveError:
        with pytest.raises(engine.ArchiveError) as raised:
            self.run()
        assert message in str(raised.value)
        assert f"log group {API} day {DAY}" in str(raised.value)
        assert str(raised.value).endswith("nothing was deleted")
        logs_calls, s3_calls = self.calls
        assert "delete_log_stream" not in logs_calls.calls
        assert "put_object" not in s3_calls.calls, "no marker for a day that was not verified"
        return raised.value


def test_export_failed_deletes_nothing():
    stub = Stubbed()
    stub.discovery()
    stub.day_start()
    stub.logs.add_response("create_export_task", {"taskId": "t-1"})
    stub.logs.add_response("describe_export_tasks", {"exportTasks": [{"taskId": "t-1", "status": {"code": "RUNNING"}}]})
    failed = {"code": "FAILED", "message": "Access denied to bucket"}
    stub.logs.add_response("describe_export_tasks", {"exportTasks": [{"taskId": "t-1", "status": failed}]})
    error = stub.run_failing("ended FAILED (Access denied to bucket)")
    assert error.result["failed_day"]["day"] == DAY.isoformat()


def test_export_cancelled_deletes_nothing():
    stub = Stubbed()
    stub.discovery()
    stub.day_start()
    stub.logs.add_response("create_export_task", {"taskId": "t-1"})
    stub.logs.add_response(
        "describe_export_tasks", {"exportTasks": [{"taskId": "t-1", "status": {"code": "CANCELLED"}}]}
    )
    stub.run_failing("ended CANCELLED")


def test_export_completed_without_objects_deletes_nothing():
    stub = Stubbed()
    stub.discovery()
    stub.day_start()
    stub.logs.add_response("create_export_task", {"taskId": "t-1"})
    stub.export_completes(objects=False)
    stub.run_failing("completed but no object arrived under s3://dailyge-local-archive/ecs/dailyge-api/")


def test_export_that_never_completes_times_out_and_deletes_nothing():
    stub = Stubbed()
    stub.discovery()
    stub.day_start()
    stub.logs.add_response("create_export_task", {"taskId": "t-1"})
    for _ in range(80):  # 1800 s at 2, 4, ... 30 s
        stub.logs.add_response(
            "describe_export_tasks", {"exportTasks": [{"taskId": "t-1", "status": {"code": "RUNNING"}}]}
        )
    logs, logs_calls = wrap(stub.logs_client, retry_decorator())
    s3, _ = wrap(stub.s3_client, retry_decorator())
    with (
        stub.logs,
        stub.s3,
        pytest.raises(engine.ArchiveError, match="still RUNNING after 1800 s: nothing was deleted"),
    ):
        engine.run(logs, s3, engine.Options([API], BUCKET, cutoff=TODAY), SEOUL, stub.clock, False)
    assert "delete_log_stream" not in logs_calls.calls
    assert stub.clock.elapsed == pytest.approx(1800)
    assert stub.clock.sleeps[:5] == [2.0, 4.0, 8.0, 16.0, 30.0], "polled with backoff, capped at 30 s"


def test_limit_exceeded_twice_then_success_is_archived(monkeypatch):
    stub = Stubbed()
    stub.discovery()
    stub.day_start()
    busy = client_error("LimitExceededException", "Resource limit exceeded.")
    stub.logs.add_client_error("create_export_task", **busy)
    stub.logs.add_client_error("create_export_task", **busy)
    stub.logs.add_response("create_export_task", {"taskId": "t-1"})
    stub.export_completes()
    stub.s3.add_response(
        "put_object",
        {"ETag": '"m"'},
        {
            "Bucket": BUCKET,
            "Key": prefix(API, DAY) + engine.MARKER_NAME,
            "Body": ANY,
            "ContentType": "application/json",
        },
    )
    stub.logs.add_response("get_log_events", {"events": []})
    stub.logs.add_response("describe_log_streams", {"logStreams": [STREAM]})  # unchanged since listed
    stub.logs.add_response("delete_log_stream", {}, {"logGroupName": API, "logStreamName": "s1"})
    outcome, logs_calls, _ = stub.run()
    assert [day.state for day in outcome.days] == ["exported"]
    assert outcome.deleted_streams == [{"group": API, "stream": "s1"}]
    assert logs_calls.calls.count("create_export_task") == 3
    assert stub.clock.sleeps == [5.0, 10.0], "waited for the export slot with backoff"


def test_a_failure_in_a_later_group_deletes_nothing_in_earlier_groups():
    stub = Stubbed()
    stub.discovery(groups=(API, WORKER))
    stub.day_start()  # API: exported and marked
    stub.logs.add_response("create_export_task", {"taskId": "t-1"})
    stub.export_completes()
    stub.s3.add_response("put_object", {"ETag": '"m"'})
    stub.streams(WORKER)
    stub.s3.add_response("list_objects_v2", {"IsTruncated": False})  # WORKER: no marker, then it fails
    stub.logs.add_response("filter_log_events", {"events": [{"timestamp": START + 1000, "message": "x"}]})
    stub.logs.add_response("create_export_task", {"taskId": "t-2"})
    stub.logs.add_response("describe_export_tasks", {"exportTasks": [{"taskId": "t-2", "status": {"code": "FAILED"}}]})
    logs, logs_calls = wrap(stub.logs_client, retry_decorator())
    s3, _ = wrap(stub.s3_client, retry_decorator())
    with stub.logs, stub.s3, pytest.raises(engine.ArchiveError, match=f"log group {WORKER} day {DAY}"):
        engine.run(logs, s3, engine.Options([API, WORKER], BUCKET, cutoff=TODAY), SEOUL, stub.clock, False)
    assert "delete_log_stream" not in logs_calls.calls


def test_a_stream_whose_last_event_timestamp_is_stale_is_not_deleted():
    """lastEventTimestamp is only eventually consistent: the events are read again before deleting."""
    stub = Stubbed()
    stub.discovery()
    marker = {"Key": prefix(API, DAY) + engine.MARKER_NAME, "Size": 10}
    exported = {"Key": prefix(API, DAY) + "t-0/s1/000000.gz", "Size": 50}
    stub.s3.add_response("list_objects_v2", {"IsTruncated": False, "Contents": [marker, exported]})  # archived
    export = {"task_id": "t-0", "started_ms": NOW_MS, "from_ms": START, "to_ms": END, "objects": 1}
    stub.s3.add_response("get_object", {"Body": io.BytesIO(json.dumps({"exports": [export]}).encode())})
    stub.logs.add_response(
        "get_log_events",
        {"events": [{"timestamp": day_bounds_ms(TODAY, SEOUL)[0] + 5, "message": "late"}]},
        {
            "logGroupName": API,
            "logStreamName": "s1",
            "startTime": day_bounds_ms(TODAY, SEOUL)[0],
            "limit": 1,
            "startFromHead": True,
        },
    )
    outcome, logs_calls, s3_calls = stub.run()
    assert outcome.deleted_streams == [] and outcome.kept_streams == 1
    assert logs_calls.writes == [] and s3_calls.writes == []


def test_a_cutoff_after_today_is_refused_before_anything_changes(aws):
    """A day still being written is never exported (its late events would all be late)."""
    with pytest.raises(engine.ArchiveError, match=f"cutoff_date {TODAY + timedelta(days=1)} is after today"):
        aws.run(cutoff=TODAY + timedelta(days=1))
    assert aws.keys() == []
    assert aws.streams(API) == ["api/task-1", "api/task-2", "api/task-live"]
