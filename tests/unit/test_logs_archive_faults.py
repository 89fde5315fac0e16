"""Fault suite of the log archive (issue 14): one test per fault, and nothing is ever lost.

Runs the engine of `dailyge.infra.cloudwatch_logs_archive` against in-process moto with the
emulator's export-task patch (exports cover [from, to), run in the background, one at a time), the
clients wrapped with the collection's retry policy as the module wraps them. Faults are injected
under the retry wrapper (`Faulty`), so a throttled call goes through the real retries.

Every test counts events, exported objects, markers and streams before and after, and checks that
every event that existed before is still in its stream or inside an exported object of it. Each test
prints one `FAULT-ROW` line (fault | what the job said | before | after) for the issue's table.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from ansible_collections.dailyge.infra.plugins.module_utils import logs_archive as engine
from ansible_collections.dailyge.infra.plugins.module_utils.local_days import day_bounds_ms, local_date, zone
from ansible_collections.dailyge.infra.plugins.module_utils.retrying import retry_decorator
from botocore.exceptions import ClientError
from ops_fakes import FakeClock, Recorder, archive_account, pascal, wrap

REGION = "ap-northeast-2"
BUCKET = "dailyge-local-archive"
SEOUL = zone("Asia/Seoul")
API, WORKER = "/ecs/dailyge-api", "/ecs/dailyge-worker"
NOW = datetime.now(UTC)  # moto keeps events of the last 14 days only
TODAY = local_date(NOW, SEOUL)
DAYS = [TODAY - timedelta(days=offset) for offset in (3, 2, 1)]
D = DAYS[1]


def at(day: date, hour: int, minute: int = 0) -> int:
    return day_bounds_ms(day, SEOUL)[0] + (hour * 60 + minute) * 60_000


def error(operation: str, code: str, message: str, status: int = 400) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}},
        pascal(operation),
    )


class Faulty:
    """A boto3 client whose calls can raise (`fail`) or have their answer altered (`alter`)."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.fail: dict[str, Callable[[dict[str, Any]], ClientError | None]] = {}
        self.alter: dict[str, Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]] = {}
        self.raised: list[str] = []

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if not callable(attribute) or name.startswith(("get_paginator", "can_paginate", "get_waiter")):
            return attribute

        def call(**kwargs: Any) -> Any:
            fault = self.fail.get(name) or self.fail.get("*")
            exc = fault(kwargs | {"operation": name}) if fault else None
            if exc is not None:
                self.raised.append(name)
                raise exc
            answer = attribute(**kwargs)
            return self.alter[name](answer, kwargs) if name in self.alter else answer

        return call


@dataclass
class Aws:
    logs: Any
    s3: Any
    logs_faults: Faulty = field(init=False)
    s3_faults: Faulty = field(init=False)
    clock: FakeClock = field(default_factory=lambda: FakeClock(NOW))

    def __post_init__(self) -> None:
        self.logs_faults, self.s3_faults = Faulty(self.logs), Faulty(self.s3)

    def run(self, check_mode: bool = False, **options: Any) -> tuple[engine.Outcome, Recorder, Recorder]:
        logs, logs_calls = wrap(self.logs_faults, retry_decorator())
        s3, s3_calls = wrap(self.s3_faults, retry_decorator())
        self.calls = (logs_calls, s3_calls)
        options = {"log_groups": [API, WORKER], "bucket": BUCKET} | options
        outcome = engine.run(logs, s3, engine.Options(**options), SEOUL, self.clock, check_mode)
        return outcome, logs_calls, s3_calls

    def fails(self, **options: Any) -> engine.ArchiveError:
        with pytest.raises(engine.ArchiveError) as raised:
            self.run(**options)
        assert "delete_log_stream" not in self.calls[0].calls, "nothing is deleted after a failure"
        return raised.value

    def put(self, group: str, stream: str, *timestamps: int) -> None:
        self.logs.create_log_stream(logGroupName=group, logStreamName=stream)
        events = [{"timestamp": ts, "message": f"{group} {stream} #{n}"} for n, ts in enumerate(sorted(timestamps))]
        self.logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)

    def listing(self, prefix: str = "") -> list[str]:
        listing = self.s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
        return sorted(item["Key"] for item in listing)

    def events(self) -> set[str]:
        """Every event message still in CloudWatch Logs (all groups)."""
        found = set()
        for group in (API, WORKER):
            for stream in self.logs.describe_log_streams(logGroupName=group)["logStreams"]:
                answer = self.logs.get_log_events(
                    logGroupName=group, logStreamName=stream["logStreamName"], startFromHead=True
                )
                found.update(event["message"] for event in answer["events"])
        return found

    def exported(self) -> list[str]:
        """Every event line in the exported objects (with repeats: a copy exported twice counts twice)."""
        lines = []
        for key in self.listing():
            if key.endswith(".gz"):
                body = gzip.decompress(self.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()).decode()
                lines.extend(line.split(" ", 1)[1] for line in body.splitlines() if line)
        return lines

    def census(self) -> dict[str, int]:
        streams = sum(len(self.logs.describe_log_streams(logGroupName=g)["logStreams"]) for g in (API, WORKER))
        keys = self.listing()
        return {
            "events": len(self.events()),
            "objects": sum(key.endswith(".gz") for key in keys),
            "markers": sum(key.endswith(engine.MARKER_NAME) for key in keys),
            "streams": streams,
        }

    def nothing_lost(self, before: set[str]) -> None:
        kept = self.events() | set(self.exported())
        assert before <= kept, f"lost events: {sorted(before - kept)}"


@pytest.fixture
def aws(logs_as_aws) -> Iterator[Aws]:
    with archive_account(REGION, BUCKET, (API, WORKER)) as (logs, s3):
        aws = Aws(logs, s3)
        aws.put(API, "api/task-1", at(DAYS[0], 10), at(DAYS[0], 23, 59), at(DAYS[1], 1))
        aws.put(API, "api/task-2", at(DAYS[2], 12))
        aws.put(API, "api/task-live", at(DAYS[2], 20), at(TODAY, 0) + 60_000)
        aws.put(WORKER, "worker/task-1", at(DAYS[0], 8), at(DAYS[2], 8))
        yield aws


def row(fault: str, printed: str, before: dict[str, int], after: dict[str, int]) -> None:
    print(f"\nFAULT-ROW | {fault} | {printed} | before {before} | after {after}")


def no_retry_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """amazon.aws's retry loop sleeps through time.sleep: record instead of sleeping."""
    slept: list[float] = []
    monkeypatch.setattr("ansible_collections.amazon.aws.plugins.module_utils.cloud.time.sleep", slept.append)
    return slept


CLEAN = {"events": 2, "objects": 6, "markers": 6, "streams": 1}  # what a clean run leaves: task-live stays


def test_clean_run_is_the_baseline(aws):
    before, messages = aws.census(), aws.events()
    outcome, _, _ = aws.run()
    assert aws.census() == CLEAN, "the 6 events of the deleted streams are in the objects now"
    aws.nothing_lost(messages)
    assert len(aws.exported()) == 8 - 1, "every event before today exactly once (task-live's today event stays)"
    assert before == {"events": 8, "objects": 0, "markers": 0, "streams": 4}
    assert len(outcome.deleted_streams) == 3


def test_export_task_failed_deletes_nothing(aws):
    def failed(answer: dict[str, Any], kwargs: dict[str, Any]) -> dict[str, Any]:
        for task in answer.get("exportTasks", []):
            if kwargs.get("taskId"):
                task["status"] = {"code": "FAILED", "message": "Access denied for bucket"}
        return answer

    aws.logs_faults.alter["describe_export_tasks"] = failed
    before, messages = aws.census(), aws.events()
    exc = aws.fails()
    assert str(exc).startswith(f"log group {API} day {DAYS[0]}: export task ")
    assert str(exc).endswith("ended FAILED (Access denied for bucket): nothing was deleted")
    after = aws.census()
    assert after["events"] == before["events"] and after["streams"] == before["streams"] and after["markers"] == 0
    aws.nothing_lost(messages)
    row("export task FAILED", str(exc), before, after)


def test_export_completed_but_objects_missing_deletes_nothing(aws):
    def without_exports(answer: dict[str, Any], kwargs: dict[str, Any]) -> dict[str, Any]:
        answer["Contents"] = [item for item in answer.get("Contents", []) if not item["Key"].endswith(".gz")]
        return answer

    aws.s3_faults.alter["list_objects_v2"] = without_exports
    before, messages = aws.census(), aws.events()
    exc = aws.fails()
    assert f"log group {API} day {DAYS[0]}: export task " in str(exc)
    assert "completed but no object arrived under s3://dailyge-local-archive/ecs/dailyge-api/" in str(exc)
    assert str(exc).endswith("nothing was deleted")
    after = aws.census()
    assert (after["events"], after["streams"], after["markers"]) == (before["events"], before["streams"], 0)
    aws.nothing_lost(messages)
    row("export COMPLETED, objects missing", str(exc), before, after)


def test_limit_exceeded_while_another_export_runs_deletes_nothing_then_converges(aws):
    other = aws.logs.create_export_task(
        taskName="someone else", logGroupName=WORKER, fromTime=0, to=1, destination=BUCKET, destinationPrefix="x"
    )["taskId"]
    before, messages = aws.census(), aws.events()
    exc = aws.fails(slot_timeout=600)
    assert str(exc) == (
        f"log group {API} day {DAYS[0]}: another export task held the account's only slot for 600 s "
        "(LimitExceededException): nothing was deleted"
    )
    logs_calls, _ = aws.calls
    assert logs_calls.calls.count("create_export_task") > 3, "retried with backoff until the slot timeout"
    after = aws.census()
    assert after == before
    aws.nothing_lost(messages)
    row("LimitExceededException (another export running)", str(exc), before, after)

    aws.logs.describe_export_tasks(taskId=other)  # the other export finishes
    aws.run()
    assert aws.census() == CLEAN


def test_throttling_on_every_api_is_retried_and_archives_the_same(aws, monkeypatch):
    slept = no_retry_sleep(monkeypatch)
    attempts: dict[str, int] = {}

    def throttle_first_attempt(kwargs: dict[str, Any]) -> ClientError | None:
        operation = kwargs["operation"]
        attempts[operation] = attempts.get(operation, 0) + 1
        if attempts[operation] % 2:  # every call's first attempt
            s3 = operation in ("head_bucket", "list_objects_v2", "put_object", "get_object")
            code, status = ("SlowDown", 503) if s3 else ("ThrottlingException", 400)
            return error(operation, code, "Rate exceeded", status)
        return None

    aws.logs_faults.fail["*"] = aws.s3_faults.fail["*"] = throttle_first_attempt
    before, messages = aws.census(), aws.events()
    outcome, logs_calls, s3_calls = aws.run()
    after = aws.census()
    assert after == CLEAN
    aws.nothing_lost(messages)
    operations = set(logs_calls.calls) | set(s3_calls.calls)
    assert set(aws.logs_faults.raised) | set(aws.s3_faults.raised) == operations, "every API was throttled"
    assert {"create_export_task", "delete_log_stream", "put_object", "describe_export_tasks"} <= operations
    assert len(slept) == len(aws.logs_faults.raised) + len(aws.s3_faults.raised)
    assert len(outcome.deleted_streams) == 3
    printed = (
        f"export {len(outcome.as_dict()['exported'])} days; delete 3 log streams (after {len(slept)} throttled calls)"
    )
    row("throttling on every API", printed, before, after)


def test_late_events_of_an_archived_day_are_exported_before_the_stream_goes(aws):
    aws.run()  # D is archived: its marker exists
    marker_key = f"{API.lstrip('/')}/{D:%Y/%m/%d}/{engine.MARKER_NAME}"
    assert marker_key in aws.listing()
    aws.put(API, "api/task-late", at(D, 9), at(D, 18))  # the repro: a new stream with events in D
    before, messages = aws.census(), aws.events()
    objects_in_d = [key for key in aws.listing(marker_key.rsplit("/", 1)[0]) if key.endswith(".gz")]

    outcome, logs_calls, _ = aws.run()
    after = aws.census()
    assert [(item["group"], item["day"], item["stream"]) for item in outcome.late] == [
        (API, D.isoformat(), "api/task-late")
    ]
    new = [key for key in aws.listing(marker_key.rsplit("/", 1)[0]) if key.endswith(".gz") and key not in objects_in_d]
    assert new == [f"{API.lstrip('/')}/{D:%Y/%m/%d}/{outcome.late[0]['task_id']}/api/task-late/000000.gz"]
    assert logs_calls.calls.index("delete_log_stream") > logs_calls.calls.index("create_export_task")
    assert outcome.deleted_streams == [{"group": API, "stream": "api/task-late"}]
    marker = json.loads(aws.s3.get_object(Bucket=BUCKET, Key=marker_key)["Body"].read())
    assert [export["stream_prefix"] for export in marker["exports"]] == [None, "api/task-late"]
    assert (after["events"], after["objects"], after["streams"]) == (2, before["objects"] + 1, 1)
    aws.nothing_lost(messages)
    again, again_logs, again_s3 = aws.run()
    assert again.late == [] and again_logs.writes == [] and again_s3.writes == []
    printed = (
        f"late events of archived days: {len(outcome.late)} streams; delete {len(outcome.deleted_streams)} log streams"
    )
    row("late events for an archived day", printed, before, after)


def test_put_object_forbidden_names_the_group_and_the_day_and_deletes_nothing(aws):
    aws.s3_faults.fail["put_object"] = lambda kwargs: error("put_object", "AccessDenied", "Forbidden", 403)
    before, messages = aws.census(), aws.events()
    exc = aws.fails()
    assert str(exc) == (
        f"log group {API} day {DAYS[0]}: PutObject failed (AccessDenied: Forbidden): nothing was deleted"
    )
    after = aws.census()
    assert (after["events"], after["streams"], after["markers"]) == (before["events"], before["streams"], 0)
    aws.nothing_lost(messages)
    row("PutObject Forbidden (marker)", str(exc), before, after)


def test_a_rerun_after_a_half_finished_day_reuses_its_export_one_copy(aws):
    aws.s3_faults.fail["put_object"] = lambda kwargs: error("put_object", "AccessDenied", "Forbidden", 403)
    aws.fails()  # DAYS[0] of API exported, verified, but its marker could not be written
    half = aws.census()
    assert (half["objects"], half["markers"]) == (1, 0)
    del aws.s3_faults.fail["put_object"]
    outcome, logs_calls, _ = aws.run()
    assert aws.census() == CLEAN, "one copy: the earlier export's objects are reused"
    assert logs_calls.calls.count("create_export_task") == 4, "5 days with events, one export reused"
    assert [day.day for day in outcome.days if day.reused] == [DAYS[0]]
    printed = f"reused exports of an earlier run: {sum(day.reused for day in outcome.days)}"
    row("re-run after a half-finished day", printed, half, aws.census())


def test_check_mode_writes_nothing_even_with_late_events(aws):
    aws.run()
    aws.put(API, "api/task-late", at(D, 9))
    before, keys = aws.census(), aws.listing()
    planned, logs_calls, s3_calls = aws.run(check_mode=True)
    assert logs_calls.writes == [] and s3_calls.writes == []
    assert aws.census() == before and aws.listing() == keys
    assert [item["stream"] for item in planned.late] == ["api/task-late"]
    assert planned.deleted_streams == [{"group": API, "stream": "api/task-late"}]
    printed = (
        f"would late events of archived days: {len(planned.late)} streams; "
        f"would delete {len(planned.deleted_streams)} log streams"
    )
    row("check mode", printed, before, aws.census())


def test_a_rerun_while_the_days_export_still_runs_waits_for_it_one_copy(aws):
    """An earlier run stopped while its task was running: the re-run waits for that task, it does not export again."""
    start, end = day_bounds_ms(DAYS[0], SEOUL)
    running = aws.logs.create_export_task(
        taskName=f"dailyge-archive {API} {DAYS[0].isoformat()}",
        logGroupName=API,
        fromTime=start,
        to=end,
        destination=BUCKET,
        destinationPrefix=f"{API.lstrip('/')}/{DAYS[0]:%Y/%m/%d}",
    )["taskId"]
    before, messages = aws.census(), aws.events()
    outcome, logs_calls, _ = aws.run()
    assert aws.census() == CLEAN, "one copy"
    aws.nothing_lost(messages)
    assert logs_calls.calls.count("create_export_task") == 4, "5 days with events, the running task waited for"
    first = next(day for day in outcome.days if day.group == API and day.day == DAYS[0])
    assert (first.reused, first.task_id) == (True, running)
    row(
        "re-run while the day's export still runs",
        f"reused exports of an earlier run: 1 ({running})",
        before,
        aws.census(),
    )
