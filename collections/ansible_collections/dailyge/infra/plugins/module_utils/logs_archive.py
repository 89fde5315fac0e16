# Copyright: Dailyge infrastructure team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Archive whole days of CloudWatch Logs to S3, then delete only what has verifiably arrived.

The engine of the `dailyge.infra.cloudwatch_logs_archive` module, kept free of Ansible so tests
drive it with moto or botocore's Stubber. Clients are wrapped by amazon.aws's
`RetryingBotoClientWrapper` (calls pass `aws_retry=True`).

For every log group, every whole day (in the given time zone) before the cutoff that still has
log streams and no marker object is exported with one CreateExportTask to
`s3://<bucket>/<prefix><group>/<YYYY>/<MM>/<DD>/`, strictly one task at a time (the account runs
one: `LimitExceededException` means wait and retry). The task is polled with backoff until
`COMPLETED`; the objects it wrote are listed; only then a marker `_archived.json` is written for the
day. A day without any event gets a marker without an export. Only when every export of the run
succeeded are streams deleted: those whose last event is before the cutoff, whose every day has a
marker, and that (read again) hold no event at or after the cutoff. `FAILED`, `CANCELLED`, a timeout
or a completed task that wrote no object stops the run: nothing is deleted, and the message names
the group and the day.
"""

from __future__ import annotations

import fnmatch
import json
import re
from dataclasses import dataclass, field
from datetime import date, tzinfo
from typing import Any

try:
    from botocore.exceptions import ClientError
except ImportError:  # pragma: no cover - AnsibleAWSModule reports the missing botocore itself
    ClientError = Exception

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
TERMINAL_FAILURES = ("FAILED", "CANCELLED")
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

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Stream:
        return cls(data["logStreamName"], data.get("firstEventTimestamp"), data.get("lastEventTimestamp"))


@dataclass
class Day:
    group: str
    day: date
    prefix: str
    state: str = "pending"  # archived | empty | exported | pending
    task_id: str | None = None
    objects: int = 0
    bytes: int = 0

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
        }


@dataclass
class Outcome:
    groups: list[str] = field(default_factory=list)
    days: list[Day] = field(default_factory=list)
    deleted_streams: list[dict[str, str]] = field(default_factory=list)
    kept_streams: int = 0

    @property
    def written(self) -> list[Day]:
        """Days that got a marker in this run (exported, or empty)."""
        return [day for day in self.days if day.state in ("exported", "empty")]

    @property
    def changed(self) -> bool:
        return bool(self.written or self.deleted_streams)

    def as_dict(self) -> dict[str, Any]:
        return {
            "log_groups": self.groups,
            "exported": [day.as_dict() for day in self.days if day.state == "exported"],
            "empty_days": [day.as_dict() for day in self.days if day.state == "empty"],
            "already_archived": [day.as_dict() for day in self.days if day.state == "archived"],
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


def start_export(logs: Any, day: Day, bucket: str, tz: tzinfo, options: Options, clock: Clock) -> str:
    """CreateExportTask, waiting for the account's one export slot on LimitExceededException."""
    start_ms, end_ms = day_bounds_ms(day.day, tz)

    def attempt() -> str | None:
        try:
            answer = logs.create_export_task(
                aws_retry=True,
                taskName=f"dailyge-archive {day.label}"[:512],
                logGroupName=day.group,
                fromTime=start_ms,
                to=end_ms - 1,
                destination=bucket,
                destinationPrefix=day.prefix.rstrip("/"),
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
            f"{options.slot_timeout:.0f} s: nothing was deleted"
        ) from exc
    return str(task_id)


def wait_export(logs: Any, day: Day, options: Options, clock: Clock) -> None:
    """Poll DescribeExportTasks with backoff until COMPLETED; ArchiveError on anything else."""

    def status() -> dict[str, Any]:
        tasks = logs.describe_export_tasks(aws_retry=True, taskId=day.task_id).get("exportTasks", [])
        return tasks[0].get("status", {}) if tasks else {"code": "MISSING", "message": "task not found"}

    def settled(value: dict[str, Any]) -> bool:
        return str(value.get("code", "")).upper() in ("COMPLETED", "MISSING", *TERMINAL_FAILURES)

    try:
        final = wait_for(status, settled, clock, options.export_timeout, 2.0, options.max_poll_interval)
    except WaitTimeoutError as exc:
        code = exc.last.get("code", "?") if isinstance(exc.last, dict) else "?"
        raise ArchiveError(
            f"log group {day.group} day {day.day}: export task {day.task_id} still {code} after "
            f"{options.export_timeout:.0f} s: nothing was deleted"
        ) from exc
    code = str(final.get("code", "")).upper()
    if code != "COMPLETED":
        reason = final.get("message") or code
        raise ArchiveError(
            f"log group {day.group} day {day.day}: export task {day.task_id} ended {code} ({reason}): "
            "nothing was deleted"
        )


def archive_day(
    logs: Any, s3: Any, day: Day, before: dict[str, int], options: Options, tz: tzinfo, clock: Clock
) -> None:
    """Export one day, verify the objects that were not under its prefix `before`, write its marker."""
    day.task_id = start_export(logs, day, options.bucket, tz, options, clock)
    wait_export(logs, day, options, clock)
    after = list_keys(s3, options.bucket, day.prefix)
    new = {key: size for key, size in after.items() if key not in before and not ignored_key(key)}
    if not new:
        raise ArchiveError(
            f"log group {day.group} day {day.day}: export task {day.task_id} completed but no object arrived "
            f"under s3://{options.bucket}/{day.prefix}: nothing was deleted"
        )
    day.objects, day.bytes = len(new), sum(new.values())
    write_marker(s3, day, options, tz, clock)
    day.state = "exported"


def ignored_key(key: str) -> bool:
    return key.endswith(("/" + MARKER_NAME, WRITE_TEST_OBJECT))


def write_marker(s3: Any, day: Day, options: Options, tz: tzinfo, clock: Clock) -> None:
    start_ms, end_ms = day_bounds_ms(day.day, tz)
    body = {
        "log_group": day.group,
        "day": day.day.isoformat(),
        "timezone": str(tz),
        "from_ms": start_ms,
        "to_ms": end_ms - 1,
        "export_task_id": day.task_id,
        "objects": day.objects,
        "bytes": day.bytes,
        "archived_at": clock.now().isoformat(timespec="seconds"),
        "archived_by": "dailyge.infra.cloudwatch_logs_archive",
    }
    s3.put_object(
        aws_retry=True,
        Bucket=options.bucket,
        Key=day.prefix + MARKER_NAME,
        Body=json.dumps(body, indent=2).encode(),
        ContentType="application/json",
    )


def events_since(logs: Any, group: str, stream: str, start_ms: int) -> bool:
    """Whether the stream holds an event at or after start_ms (lastEventTimestamp is only eventually consistent)."""
    page = logs.get_log_events(
        aws_retry=True, logGroupName=group, logStreamName=stream, startTime=start_ms, limit=1, startFromHead=True
    )
    return bool(page.get("events"))


def deletable(stream: Stream, archived: set[date], cutoff_ms: int, tz: tzinfo) -> bool:
    if stream.first_ms is None or stream.last_ms is None or stream.last_ms >= cutoff_ms:
        return False
    return all(day in archived for day in days_spanned(stream.first_ms, stream.last_ms, tz))


def run(logs: Any, s3: Any, options: Options, tz: tzinfo, clock: Clock, check_mode: bool) -> Outcome:
    """Archive and clean up every matching group; ArchiveError (nothing deleted) on any failed day."""
    validate(options)
    cutoff = options.cutoff or local_date(clock.now(), tz)
    cutoff_ms = to_ms(day_start(cutoff, tz))
    require_bucket(s3, options.bucket)
    outcome = Outcome(groups=resolve_groups(logs, options.log_groups))
    streams_by_group: dict[str, list[Stream]] = {}
    archived_by_group: dict[str, set[date]] = {}

    for group in outcome.groups:
        streams = streams_by_group[group] = list_streams(logs, group)
        archived = archived_by_group[group] = set()
        for day_date in candidate_days(streams, cutoff_ms, tz):
            day = Day(group, day_date, day_prefix(options, group, day_date))
            outcome.days.append(day)
            present = list_keys(s3, options.bucket, day.prefix)  # the marker, or what an earlier try left
            if day.prefix + MARKER_NAME in present:
                day.state = "archived"
            elif not has_events(logs, group, *day_bounds_ms(day_date, tz)):
                day.state = "empty"
                if not check_mode:
                    write_marker(s3, day, options, tz, clock)
            elif check_mode:
                day.state = "exported"  # what the run would do
            else:
                try:
                    archive_day(logs, s3, day, present, options, tz, clock)
                except ArchiveError as exc:
                    exc.result = outcome.as_dict() | {"failed_day": day.as_dict()}
                    raise
            archived.add(day_date)

    if options.delete_streams:
        for group in outcome.groups:
            for stream in streams_by_group[group]:
                if not deletable(stream, archived_by_group[group], cutoff_ms, tz) or events_since(
                    logs, group, stream.name, cutoff_ms
                ):
                    outcome.kept_streams += 1
                    continue
                if not check_mode:
                    delete_stream(logs, group, stream.name)
                outcome.deleted_streams.append({"group": group, "stream": stream.name})
    return outcome


def delete_stream(logs: Any, group: str, stream: str) -> None:
    try:
        logs.delete_log_stream(aws_retry=True, logGroupName=group, logStreamName=stream)
    except ClientError as exc:
        if error_code(exc) != "ResourceNotFoundException":
            raise
