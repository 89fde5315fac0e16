# Copyright: Dailyge infrastructure team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Archive whole days of CloudWatch Logs to S3, then delete only what has verifiably arrived.

The engine of the `dailyge.infra.cloudwatch_logs_archive` module, kept free of Ansible so tests
drive it with moto or botocore's Stubber. Clients are wrapped by amazon.aws's
`RetryingBotoClientWrapper` with the collection's one retry policy (`module_utils.retrying`):
every call passes `aws_retry=True`, so throttling of any API is retried with backoff.

For every log group, every whole day D (in the given time zone) before the cutoff that still has
log streams and no marker object is exported with one CreateExportTask covering
`[start of D, start of D+1)` to `s3://<bucket>/<prefix><group>/<YYYY>/<MM>/<DD>/`, strictly one
task at a time (the account runs one: `LimitExceededException` means wait and retry). The task is
polled with backoff until `COMPLETED`; the objects under its folder (`<day prefix><taskId>/`) are
listed; only then is the marker `_archived.json` written. It records every export of the day
(`exports`: task id, when it started, range, stream prefix, objects). A day without any event gets a
marker without an export.

A re-run converges to one copy: an export task of this job for the same day (found with
DescribeExportTasks) that is still running is waited for, and one that completed with its objects in
place is reused instead of exporting again.

A log stream is deleted only when every one of its events is inside a verified export of its day
that started after the event was ingested: either an export that started after the stream's
`lastIngestionTime` and holds an object of the stream, or - read event by event - each event's
`ingestionTime` before such an export. Events of an archived day ingested after its export (late
events) are exported again, per stream (`logStreamNamePrefix`), into a new task folder under the
day's prefix; the marker gets the new export; only then may the stream go. Right before a stream is
deleted it is described again: a stream that was written meanwhile stays.

Any failure before the deletions (an export `FAILED` or `CANCELLED`, a timeout, a completed task
without objects, the export slot busy for too long, an AWS error such as PutObject `Forbidden`)
stops the run with one line naming the log group and the day, and nothing is deleted.
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, tzinfo
from typing import Any

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:  # pragma: no cover - AnsibleAWSModule reports the missing botocore itself

    class BotoCoreError(Exception):  # type: ignore[no-redef]
        """Stand-in: never raised without botocore; distinct so that each except clause stays its own."""

    class ClientError(Exception):  # type: ignore[no-redef]
        """Stand-in: never raised without botocore."""


from ansible_collections.dailyge.infra.plugins.module_utils.local_days import (
    day_bounds_ms,
    day_start,
    days_spanned,
    local_date,
    to_ms,
)
from ansible_collections.dailyge.infra.plugins.module_utils.waiting import Clock, WaitTimeoutError, wait_for

MARKER_NAME = "_archived.json"
WRITE_TEST_OBJECT = "aws-logs-write-test"
TASK_NAME_PREFIX = "dailyge-archive "
STREAM_SEPARATOR = " stream "
TERMINAL_FAILURES = ("FAILED", "CANCELLED")
ACTIVE = ("PENDING", "RUNNING")
BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
GLOB_CHARS = "*?["


class ArchiveError(Exception):
    """A failure of the job: the message names the group and day; `result` holds what was done."""

    def __init__(self, message: str, result: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.result = result or {}


@dataclass(frozen=True)
class Options:
    log_groups: list[str]
    bucket: str
    prefix: str = ""
    cutoff: date | None = None
    delete_streams: bool = True
    export_timeout: float = 1800.0
    slot_timeout: float = 3600.0
    max_poll_interval: float = 30.0


@dataclass(frozen=True)
class Stream:
    name: str
    first_ms: int | None
    last_ms: int | None
    ingested_ms: int | None = None  # lastIngestionTime

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Stream:
        return cls(
            data["logStreamName"],
            data.get("firstEventTimestamp"),
            data.get("lastEventTimestamp"),
            data.get("lastIngestionTime"),
        )


@dataclass
class Export:
    """One export task of a day: what it covers, when it started, and the objects it left."""

    task_id: str
    started_ms: int
    from_ms: int
    to_ms: int
    stream: str | None = None  # logStreamNamePrefix; None: the whole group
    objects: int = 0
    bytes: int = 0
    streams: frozenset[str] = frozenset()  # streams with an object under the task's folder, as listed
    verified: bool = False

    def covers(self, stream: str) -> bool:
        return self.verified and stream in self.streams and (self.stream is None or stream.startswith(self.stream))

    def as_dict(self) -> dict[str, Any]:
        return {
            "task_id": self.task_id,
            "started_ms": self.started_ms,
            "from_ms": self.from_ms,
            "to_ms": self.to_ms,
            "stream_prefix": self.stream,
            "objects": self.objects,
            "bytes": self.bytes,
        }


@dataclass
class Day:
    group: str
    day: date
    prefix: str
    state: str = "pending"  # archived | empty | exported | pending
    task_id: str | None = None
    objects: int = 0
    bytes: int = 0
    reused: bool = False
    exports: list[Export] = field(default_factory=list)
    keys: dict[str, int] = field(default_factory=dict)  # every object under the prefix, as last listed

    @property
    def label(self) -> str:
        return f"{self.group} {self.day.isoformat()}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "day": self.day.isoformat(),
            "prefix": self.prefix,
            "state": self.state,
            "task_id": self.task_id,
            "objects": self.objects,
            "bytes": self.bytes,
            "reused": self.reused,
        }


@dataclass
class Outcome:
    groups: list[str] = field(default_factory=list)
    days: list[Day] = field(default_factory=list)
    late: list[dict[str, Any]] = field(default_factory=list)
    deleted_streams: list[dict[str, str]] = field(default_factory=list)
    kept_streams: int = 0

    @property
    def written(self) -> list[Day]:
        """Days that got a marker in this run (exported, or empty)."""
        return [day for day in self.days if day.state in ("exported", "empty")]

    @property
    def changed(self) -> bool:
        return bool(self.written or self.late or self.deleted_streams)

    def as_dict(self) -> dict[str, Any]:
        return {
            "log_groups": self.groups,
            "exported": [day.as_dict() for day in self.days if day.state == "exported"],
            "empty_days": [day.as_dict() for day in self.days if day.state == "empty"],
            "already_archived": [day.as_dict() for day in self.days if day.state == "archived"],
            "late_exports": self.late,
            "deleted_streams": self.deleted_streams,
            "kept_streams": self.kept_streams,
        }


def validate(options: Options) -> None:
    """One clear line for bad input, raised before any call."""
    if not options.log_groups or any(not pattern.strip() for pattern in options.log_groups):
        raise ArchiveError("log_groups must name at least one log group or pattern, none empty")
    if not BUCKET_NAME.match(options.bucket):
        raise ArchiveError(f"'{options.bucket}' is not an S3 bucket name")
    if options.prefix.startswith("/") or (options.prefix and not options.prefix.endswith("/")):
        raise ArchiveError(f"prefix '{options.prefix}' must be empty or end with '/' and not start with '/'")
    if min(options.export_timeout, options.slot_timeout, options.max_poll_interval) <= 0:
        raise ArchiveError("export_timeout, slot_timeout and max_poll_interval must be positive")


def error_code(exc: Exception) -> str:
    return getattr(exc, "response", {}).get("Error", {}).get("Code", "")


def day_prefix(options: Options, group: str, day: date) -> str:
    """`<prefix><group without leading slash>/<YYYY>/<MM>/<DD>/`."""
    return f"{options.prefix}{group.lstrip('/')}/{day:%Y/%m/%d}/"


def require_bucket(s3: Any, bucket: str) -> None:
    try:
        s3.head_bucket(aws_retry=True, Bucket=bucket)
    except ClientError as exc:
        if error_code(exc) in ("404", "NoSuchBucket", "NotFound"):
            raise ArchiveError(f"archive bucket '{bucket}' does not exist: nothing was exported or deleted") from exc
        raise


def resolve_groups(logs: Any, patterns: list[str]) -> list[str]:
    """Log group names matching the patterns (fnmatch); a literal name that does not exist fails.

    One paginated listing under the patterns' common prefix (the stack's groups share one), not one
    call per pattern.
    """
    prefixes = [re.split(r"[*?\[]", pattern, maxsplit=1)[0] for pattern in patterns]
    names = list_group_names(logs, common_prefix(prefixes))
    found: set[str] = set()
    for pattern in patterns:
        literal = not any(char in pattern for char in GLOB_CHARS)
        matched = [name for name in names if (name == pattern if literal else fnmatch.fnmatchcase(name, pattern))]
        if literal and not matched:
            raise ArchiveError(f"log group '{pattern}' does not exist: nothing was exported or deleted")
        found.update(matched)
    return sorted(found)


def common_prefix(texts: list[str]) -> str:
    """The longest string every text starts with (character by character, as logGroupNamePrefix)."""
    first, last = min(texts), max(texts)
    length = 0
    while length < min(len(first), len(last)) and first[length] == last[length]:
        length += 1
    return first[:length]


def list_group_names(logs: Any, prefix: str) -> list[str]:
    names: list[str] = []
    kwargs: dict[str, Any] = {"logGroupNamePrefix": prefix} if prefix else {}
    while True:
        page = logs.describe_log_groups(aws_retry=True, **kwargs)
        names.extend(group["logGroupName"] for group in page.get("logGroups", []))
        if not page.get("nextToken"):
            return names
        kwargs["nextToken"] = page["nextToken"]


def list_streams(logs: Any, group: str) -> list[Stream]:
    streams: list[Stream] = []
    kwargs: dict[str, Any] = {"logGroupName": group, "orderBy": "LogStreamName", "limit": 50}
    while True:
        page = logs.describe_log_streams(aws_retry=True, **kwargs)
        streams.extend(Stream.from_api(item) for item in page.get("logStreams", []))
        token = page.get("nextToken")
        if not token or token == kwargs.get("nextToken"):
            return streams
        kwargs["nextToken"] = token


def candidate_days(streams: list[Stream], cutoff_ms: int, tz: tzinfo) -> list[date]:
    """Every day before the cutoff touched by a stream that still exists."""
    days: set[date] = set()
    for stream in streams:
        if stream.first_ms is None or stream.first_ms >= cutoff_ms:
            continue
        days.update(days_spanned(stream.first_ms, min(stream.last_ms or stream.first_ms, cutoff_ms - 1), tz))
    return sorted(days)


def has_events(logs: Any, group: str, start_ms: int, end_ms: int) -> bool:
    """Whether the group holds any event in [start_ms, end_ms)."""
    kwargs: dict[str, Any] = {"logGroupName": group, "startTime": start_ms, "endTime": end_ms - 1, "limit": 1}
    while True:
        page = logs.filter_log_events(aws_retry=True, **kwargs)
        if page.get("events"):
            return True
        token = page.get("nextToken")
        if not token or token == kwargs.get("nextToken"):
            return False
        kwargs["nextToken"] = token


def list_keys(s3: Any, bucket: str, prefix: str) -> dict[str, int]:
    """Key -> size of every object under the prefix."""
    keys: dict[str, int] = {}
    kwargs: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
    while True:
        page = s3.list_objects_v2(aws_retry=True, **kwargs)
        keys.update({item["Key"]: item.get("Size", 0) for item in page.get("Contents", [])})
        if not page.get("IsTruncated"):
            return keys
        kwargs["ContinuationToken"] = page["NextContinuationToken"]


def stream_events(logs: Any, group: str, stream: str, start_ms: int, end_ms: int) -> Iterator[dict[str, Any]]:
    """Every event of one stream in [start_ms, end_ms), with its ingestionTime."""
    kwargs: dict[str, Any] = {
        "logGroupName": group,
        "logStreamNames": [stream],
        "startTime": start_ms,
        "endTime": end_ms - 1,
    }
    while True:
        page = logs.filter_log_events(aws_retry=True, **kwargs)
        yield from page.get("events", [])
        token = page.get("nextToken")
        if not token or token == kwargs.get("nextToken"):
            return
        kwargs["nextToken"] = token


@contextlib.contextmanager
def naming(outcome: Outcome, where: str, failed: dict[str, Any], tail: str = "nothing was deleted") -> Iterator[None]:
    """Any failure inside: one line `<where>: <what failed>: <tail>`, with what was done so far."""
    try:
        yield
    except ArchiveError as exc:
        exc.result = outcome.as_dict() | failed
        raise
    except ClientError as exc:
        error = exc.response.get("Error", {})
        operation = getattr(exc, "operation_name", "an AWS call")
        what = f"{operation} failed ({error.get('Code', '?')}: {error.get('Message') or 'no message'})"
        raise ArchiveError(f"{where}: {what}: {tail}", outcome.as_dict() | failed) from exc
    except BotoCoreError as exc:
        raise ArchiveError(f"{where}: {exc}: {tail}", outcome.as_dict() | failed) from exc


def naming_the_day(outcome: Outcome, day: Day) -> contextlib.AbstractContextManager[None]:
    """Any failure while a day is handled: one line naming the group and the day; nothing is deleted."""
    return naming(outcome, f"log group {day.group} day {day.day}", {"failed_day": day.as_dict()})


def task_name(day: Day, stream: str | None) -> str:
    name = f"{TASK_NAME_PREFIX}{day.label}"
    return (name + STREAM_SEPARATOR + stream if stream else name)[:512]


def status_of(task: dict[str, Any]) -> str:
    return str(task.get("status", {}).get("code", "")).upper()


class Tasks:
    """The account's export tasks (DescribeExportTasks), listed once, when a day first needs an export."""

    def __init__(self, logs: Any, bucket: str) -> None:
        self.logs, self.bucket = logs, bucket
        self._tasks: list[dict[str, Any]] | None = None

    def listed(self) -> list[dict[str, Any]]:
        if self._tasks is None:
            self._tasks = []
            kwargs: dict[str, Any] = {}
            while True:
                page = self.logs.describe_export_tasks(aws_retry=True, **kwargs)
                self._tasks.extend(page.get("exportTasks", []))
                token = page.get("nextToken")
                if not token or token == kwargs.get("nextToken"):
                    break
                kwargs["nextToken"] = token
        return self._tasks

    def find(self, day: Day, start_ms: int, end_ms: int, stream: str | None) -> dict[str, Any] | None:
        """This job's task of the day (and stream): a running one first, else the newest completed one."""
        mine = [
            task
            for task in self.listed()
            if task.get("taskName") == task_name(day, stream)
            and task.get("logGroupName") == day.group
            and task.get("destination") == self.bucket
            and task.get("destinationPrefix") == day.prefix.rstrip("/")
            and (task.get("from"), task.get("to")) == (start_ms, end_ms)
            and status_of(task) in (*ACTIVE, "COMPLETED")
        ]
        mine.sort(key=lambda task: (status_of(task) in ACTIVE, started_ms(task) or 0), reverse=True)
        return mine[0] if mine else None


def started_ms(task: dict[str, Any]) -> int | None:
    return task.get("executionInfo", {}).get("creationTime")


def start_export(logs: Any, day: Day, stream: str | None, span: tuple[int, int], options: Options, clock: Clock) -> str:
    """CreateExportTask, waiting for the account's one export slot on LimitExceededException."""

    def attempt() -> str | None:
        kwargs: dict[str, Any] = {"logStreamNamePrefix": stream} if stream else {}
        try:
            answer = logs.create_export_task(
                aws_retry=True,
                taskName=task_name(day, stream),
                logGroupName=day.group,
                fromTime=span[0],
                to=span[1],  # exclusive: the start of the next day
                destination=options.bucket,
                destinationPrefix=day.prefix.rstrip("/"),
                **kwargs,
            )
        except ClientError as exc:
            if error_code(exc) == "LimitExceededException":
                return None  # another export task is running: wait for the slot
            raise
        return answer["taskId"]

    try:
        task_id = wait_for(attempt, lambda value: value is not None, clock, options.slot_timeout, 5.0, 60.0)
    except WaitTimeoutError as exc:
        raise ArchiveError(
            f"log group {day.group} day {day.day}: another export task held the account's only slot for "
            f"{options.slot_timeout:.0f} s (LimitExceededException): nothing was deleted"
        ) from exc
    return str(task_id)


def wait_export(logs: Any, day: Day, task_id: str, options: Options, clock: Clock) -> dict[str, Any]:
    """Poll DescribeExportTasks with backoff until COMPLETED; the task; ArchiveError on anything else."""

    def task() -> dict[str, Any]:
        tasks = logs.describe_export_tasks(aws_retry=True, taskId=task_id).get("exportTasks", [])
        return tasks[0] if tasks else {"status": {"code": "MISSING", "message": "task not found"}}

    def settled(value: dict[str, Any]) -> bool:
        return status_of(value) in ("COMPLETED", "MISSING", *TERMINAL_FAILURES)

    try:
        final = wait_for(task, settled, clock, options.export_timeout, 2.0, options.max_poll_interval)
    except WaitTimeoutError as exc:
        code = status_of(exc.last) if isinstance(exc.last, dict) else "?"
        raise ArchiveError(
            f"log group {day.group} day {day.day}: export task {task_id} still {code} after "
            f"{options.export_timeout:.0f} s: nothing was deleted"
        ) from exc
    code = status_of(final)
    if code != "COMPLETED":
        reason = final.get("status", {}).get("message") or code
        raise ArchiveError(
            f"log group {day.group} day {day.day}: export task {task_id} ended {code} ({reason}): nothing was deleted"
        )
    return final


def ignored_key(key: str) -> bool:
    return key.endswith(("/" + MARKER_NAME, WRITE_TEST_OBJECT))


def listed_export(day: Day, task_id: str, started: int, span: tuple[int, int], stream: str | None) -> Export:
    """The export as S3 holds it now: the objects under `<day prefix><task_id>/` (day.keys)."""
    folder = f"{day.prefix}{task_id}/"
    objects = {key: size for key, size in day.keys.items() if key.startswith(folder) and not ignored_key(key)}
    streams = frozenset(key[len(folder) :].rsplit("/", 1)[0] for key in objects)
    return Export(
        task_id, started, span[0], span[1], stream, len(objects), sum(objects.values()), streams, bool(objects)
    )


def export_day(
    logs: Any,
    s3: Any,
    day: Day,
    ctx: Context,
    stream: str | None = None,
    newer_than: int | None = None,
) -> Export:
    """Export the day (or one stream of it), or reuse this job's task of it; verify its objects in S3.

    A task of the day still running (an earlier run stopped while it waited) is waited for; a
    completed one whose objects are all in place, and that started after `newer_than`, is reused.
    Where AWS does not say when a task started, the end of the day is taken (it cannot have started
    earlier), so an event ingested later is never taken for exported.
    """
    span = day_bounds_ms(day.day, ctx.tz)
    task = ctx.tasks.find(day, *span, stream)
    reused: Export | None = None
    if task and status_of(task) in ACTIVE:
        final = wait_export(logs, day, task["taskId"], ctx.options, ctx.clock)
        day.keys = list_keys(s3, ctx.options.bucket, day.prefix)
        reused = listed_export(day, task["taskId"], started_ms(final) or span[1], span, stream)
    elif task and (started_ms(task) or span[1]) > (newer_than if newer_than is not None else -1):
        reused = listed_export(day, task["taskId"], started_ms(task) or span[1], span, stream)
    if reused and reused.verified and (stream is None or stream in reused.streams):
        day.reused = True
        return reused
    before = to_ms(ctx.clock.now())
    task_id = start_export(logs, day, stream, span, ctx.options, ctx.clock)
    final = wait_export(logs, day, task_id, ctx.options, ctx.clock)
    day.keys = list_keys(s3, ctx.options.bucket, day.prefix)
    export = listed_export(day, task_id, started_ms(final) or before, span, stream)
    if not export.verified or (stream is not None and stream not in export.streams):
        what = f"no object of stream {stream}" if stream else "no object"
        raise ArchiveError(
            f"log group {day.group} day {day.day}: export task {task_id} completed but {what} arrived "
            f"under s3://{ctx.options.bucket}/{day.prefix}{task_id}/: nothing was deleted"
        )
    return export


def write_marker(s3: Any, day: Day, ctx: Context) -> None:
    start_ms, end_ms = day_bounds_ms(day.day, ctx.tz)
    body = {
        "log_group": day.group,
        "day": day.day.isoformat(),
        "timezone": str(ctx.tz),
        "from_ms": start_ms,
        "to_ms": end_ms,  # exclusive: the start of the next day
        "export_task_id": day.exports[0].task_id if day.exports else None,
        "objects": sum(export.objects for export in day.exports),
        "bytes": sum(export.bytes for export in day.exports),
        "exports": [export.as_dict() for export in day.exports],
        "archived_at": ctx.clock.now().isoformat(timespec="seconds"),
        "archived_by": "dailyge.infra.cloudwatch_logs_archive",
    }
    s3.put_object(
        aws_retry=True,
        Bucket=ctx.options.bucket,
        Key=day.prefix + MARKER_NAME,
        Body=json.dumps(body, indent=2).encode(),
        ContentType="application/json",
    )


def read_marker(s3: Any, day: Day, ctx: Context) -> list[Export]:
    """The exports a marker records, each as S3 holds it now (verified only with all its objects in place).

    A marker of an older version records one export and not when it started: the day had ended
    before it ran, so the end of the day is taken as its start (events ingested later are late).
    """
    body = s3.get_object(aws_retry=True, Bucket=ctx.options.bucket, Key=day.prefix + MARKER_NAME)["Body"].read()
    try:
        marker = json.loads(body)
    except ValueError:
        return []  # unreadable: every stream of the day is read event by event
    start_ms, end_ms = day_bounds_ms(day.day, ctx.tz)
    recorded = marker.get("exports")
    if recorded is None and marker.get("export_task_id"):
        recorded = [
            {
                "task_id": marker["export_task_id"],
                "started_ms": end_ms,
                "from_ms": marker.get("from_ms", start_ms),
                "to_ms": marker.get("to_ms", end_ms - 1),
                "objects": marker.get("objects", 1),
            }
        ]
    exports = []
    for item in recorded or []:
        span = (int(item.get("from_ms", start_ms)), int(item.get("to_ms", end_ms)))
        export = listed_export(day, str(item["task_id"]), int(item["started_ms"]), span, item.get("stream_prefix"))
        export.verified = export.verified and export.objects >= int(item.get("objects") or 1)
        exports.append(export)
    return exports


def uncovered(logs: Any, group: str, stream: Stream, day: Day, tz: tzinfo) -> bool:
    """Whether an event of the stream in the day is in no verified export that started after its ingestion.

    Without reading: an export of the whole day holding the stream's object, started after the
    stream's last ingestion, covers every event. Otherwise the day's events are read one by one.
    """
    exports = [export for export in day.exports if export.covers(stream.name)]
    start_ms, end_ms = day_bounds_ms(day.day, tz)
    if stream.ingested_ms is not None and any(
        export.from_ms <= start_ms and export.to_ms >= end_ms and export.started_ms > stream.ingested_ms
        for export in exports
    ):
        return False
    for event in stream_events(logs, group, stream.name, start_ms, end_ms):
        timestamp, ingested = event["timestamp"], event.get("ingestionTime")
        if ingested is None or not any(
            export.from_ms <= timestamp < export.to_ms and export.started_ms > ingested for export in exports
        ):
            return True
    return False


def events_since(logs: Any, group: str, stream: str, start_ms: int) -> bool:
    """Whether the stream holds an event at or after start_ms (lastEventTimestamp is only eventually consistent)."""
    page = logs.get_log_events(
        aws_retry=True, logGroupName=group, logStreamName=stream, startTime=start_ms, limit=1, startFromHead=True
    )
    return bool(page.get("events"))


def unchanged(logs: Any, group: str, stream: Stream) -> bool:
    """Whether the stream, described again, got no event since it was listed."""
    page = logs.describe_log_streams(aws_retry=True, logGroupName=group, logStreamNamePrefix=stream.name)
    now = next((item for item in page.get("logStreams", []) if item["logStreamName"] == stream.name), None)
    return now is not None and Stream.from_api(now) == stream


def stream_days(stream: Stream, cutoff_ms: int, tz: tzinfo) -> list[date]:
    """The days before the cutoff from the stream's first to its last event."""
    if stream.first_ms is None or stream.first_ms >= cutoff_ms:
        return []
    return days_spanned(stream.first_ms, min(stream.last_ms or stream.first_ms, cutoff_ms - 1), tz)


@dataclass
class Context:
    options: Options
    tz: tzinfo
    clock: Clock
    tasks: Tasks
    check_mode: bool


def archive_day(logs: Any, s3: Any, day: Day, ctx: Context) -> None:
    """Mark the day archived (marker present), empty (marker only) or exported (export, verify, marker)."""
    day.keys = list_keys(s3, ctx.options.bucket, day.prefix)  # the marker, or what an earlier try left
    if day.prefix + MARKER_NAME in day.keys:
        day.state = "archived"
        day.exports = read_marker(s3, day, ctx)
    elif not has_events(logs, day.group, *day_bounds_ms(day.day, ctx.tz)):
        day.state = "empty"
        if not ctx.check_mode:
            write_marker(s3, day, ctx)
    elif ctx.check_mode:
        day.state = "exported"  # what the run would do
    else:
        export = export_day(logs, s3, day, ctx)
        day.exports = [export]
        day.task_id, day.objects, day.bytes = export.task_id, export.objects, export.bytes
        write_marker(s3, day, ctx)
        day.state = "exported"


def export_late_events(logs: Any, s3: Any, stream: Stream, day: Day, ctx: Context, outcome: Outcome) -> bool:
    """Export a stream's events of the day that no verified export holds; whether it is covered now."""
    if ctx.check_mode and day.state == "exported":
        return True  # the export the run would make starts after every ingestion seen
    if not uncovered(logs, day.group, stream, day, ctx.tz):
        return True
    late = {"group": day.group, "day": day.day.isoformat(), "stream": stream.name, "day_state": day.state}
    if ctx.check_mode:
        outcome.late.append(late | {"task_id": None, "objects": 0})
        return True
    export = export_day(logs, s3, day, ctx, stream=stream.name, newer_than=stream.ingested_ms)
    day.exports.append(export)
    write_marker(s3, day, ctx)
    outcome.late.append(late | {"task_id": export.task_id, "objects": export.objects, "bytes": export.bytes})
    return not uncovered(logs, day.group, stream, day, ctx.tz)


def run(logs: Any, s3: Any, options: Options, tz: tzinfo, clock: Clock, check_mode: bool) -> Outcome:
    """Archive and clean up every matching group; ArchiveError (nothing deleted) on any failed day."""
    validate(options)
    today = local_date(clock.now(), tz)
    cutoff = options.cutoff or today
    if cutoff > today:
        raise ArchiveError(f"cutoff_date {cutoff} is after today ({today} in {tz}): a day still being written")
    cutoff_ms = to_ms(day_start(cutoff, tz))
    require_bucket(s3, options.bucket)
    outcome = Outcome(groups=resolve_groups(logs, options.log_groups))
    ctx = Context(options, tz, clock, Tasks(logs, options.bucket), check_mode)
    candidates: list[tuple[str, Stream]] = []

    for group in outcome.groups:
        with naming(outcome, f"log group {group}", {}):
            streams = list_streams(logs, group)
        days: dict[date, Day] = {}
        for day_date in candidate_days(streams, cutoff_ms, tz):
            day = days[day_date] = Day(group, day_date, day_prefix(options, group, day_date))
            outcome.days.append(day)
            with naming_the_day(outcome, day):
                archive_day(logs, s3, day, ctx)
        for stream in streams:
            covered = True
            for day_date in stream_days(stream, cutoff_ms, tz):
                with naming_the_day(outcome, days[day_date]):
                    covered = export_late_events(logs, s3, stream, days[day_date], ctx, outcome) and covered
            if covered and stream.last_ms is not None and stream.last_ms < cutoff_ms:
                candidates.append((group, stream))
            else:
                outcome.kept_streams += 1

    if options.delete_streams:
        for group, stream in candidates:
            deleted = f"{len(outcome.deleted_streams)} archived streams were deleted before, the others kept"
            with naming(outcome, f"log group {group} stream {stream.name}", {}, deleted):
                if events_since(logs, group, stream.name, cutoff_ms) or not unchanged(logs, group, stream):
                    outcome.kept_streams += 1
                    continue
                if not check_mode:
                    delete_stream(logs, group, stream.name)
            outcome.deleted_streams.append({"group": group, "stream": stream.name})
    else:
        outcome.kept_streams += len(candidates)
    return outcome


def delete_stream(logs: Any, group: str, stream: str) -> None:
    try:
        logs.delete_log_stream(aws_retry=True, logGroupName=group, logStreamName=stream)
    except ClientError as exc:
        if error_code(exc) != "ResourceNotFoundException":
            raise
