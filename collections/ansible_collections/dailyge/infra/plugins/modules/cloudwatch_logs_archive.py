#!/usr/bin/python
# Copyright: Dailyge infrastructure team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: cloudwatch_logs_archive
short_description: Export whole days of CloudWatch Logs to S3, then delete the archived log streams
version_added: 0.1.0
description:
  - For each log group matching O(log_groups), exports every whole day in O(timezone) before the cutoff
    that is not archived yet to C(s3://<bucket>/<prefix><group>/<YYYY>/<MM>/<DD>/) (the group name
    without its leading C(/)). The export runs from the start of the day to the start of the next day;
    C(to) is exclusive, as CloudWatch Logs exports only events with C(from <= timestamp < to).
  - Runs one export task at a time - the account allows one active task, so on C(LimitExceededException)
    it waits for the slot and retries - and polls C(DescribeExportTasks) with backoff until C(COMPLETED).
  - Verifies that the task wrote objects under its folder C(<day prefix><taskId>/), then writes the marker
    object C(_archived.json) for the day, which records every export of the day (C(exports) - task id,
    start time, range, stream prefix, objects). A day without any event gets a marker without an export.
  - Re-runs converge to one copy - a task of this job for the same day that is still running is waited
    for, and one that completed with its objects in place is reused instead of exporting again.
  - Late events - events of an archived day ingested after its export - are exported again per log
    stream (C(logStreamNamePrefix)) into a new task folder under the day's prefix, verified, and added
    to the marker (RV(late_exports)).
  - Only after every export of the run succeeded, deletes a log stream whose last event is before the
    cutoff and every event of which is inside a verified export that started after the event was
    ingested (after the stream's C(lastIngestionTime), or checked event by event against
    C(ingestionTime)); a stream that got an event since it was listed stays.
  - On C(FAILED), C(CANCELLED), a timeout, a task that wrote no object, the export slot busy past
    O(slot_timeout), or an AWS error (such as C(PutObject) C(AccessDenied)), deletes nothing and fails
    with one line naming the log group and the day and saying that nothing was deleted. Days archived
    before the failure keep their markers.
  - Every call is retried on throttling with the collection's retry policy (jittered backoff).
  - Running again after a success changes nothing. Check mode only reads and returns what would be
    exported and deleted.
options:
  log_groups:
    description:
      - Log group names or shell-style patterns (C(/ecs/dailyge-*)). A literal name that does not exist is an error.
    type: list
    elements: str
    required: true
  bucket:
    description: The archive bucket.
    type: str
    required: true
  prefix:
    description: Key prefix in the bucket before the group name; empty or ending with C(/).
    type: str
    default: ""
  cutoff_date:
    description:
      - First day (YYYY-MM-DD in O(timezone)) that is B(not) archived; every whole day before it is.
        Default - today in O(timezone), so every day before today.
    type: str
  timezone:
    description: IANA time zone whose calendar days are archived.
    type: str
    default: Asia/Seoul
  delete_streams:
    description: Delete the log streams whose days are all archived.
    type: bool
    default: true
  export_timeout:
    description: Seconds to wait for one export task to complete.
    type: int
    default: 1800
  slot_timeout:
    description: Seconds to wait for another account's export task to free the only slot.
    type: int
    default: 3600
  max_poll_interval:
    description: Longest pause between two C(DescribeExportTasks) calls (the backoff starts at 2 s).
    type: int
    default: 30
notes:
  - The bucket policy must let C(logs.<region>.amazonaws.com) write to the bucket (GetBucketAcl, PutObject).
  - A stream that was still written when one of its days was exported is read again (C(FilterLogEvents),
    that stream and day) on each run until it is deleted, to tell late events from exported ones.
  - Late events are exported with the stream's name as C(logStreamNamePrefix), so streams whose names
    start with it are exported again too - a second copy of some events, never a lost one.
requirements:
  - python >= 3.9
author:
  - Dailyge infrastructure team (@dailyge)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Archive every day before today of the stack's log groups
  dailyge.infra.cloudwatch_logs_archive:
    log_groups: "{{ stack.log_group_names }}"
    bucket: "{{ stack.archive_bucket_name }}"

- name: Archive the ECS groups up to (not including) a given day, keep the streams
  dailyge.infra.cloudwatch_logs_archive:
    log_groups: ["/ecs/dailyge-*"]
    bucket: dailyge-prod-archive
    cutoff_date: "2026-11-20"
    delete_streams: false
"""

RETURN = r"""
log_groups:
  description: The log groups that matched.
  returned: always
  type: list
  elements: str
exported:
  description: Days exported in this run (in check mode, that would be exported).
  returned: always
  type: list
  elements: dict
  sample: [{"group": "/ecs/dailyge-api", "day": "2026-11-26", "prefix": "ecs/dailyge-api/2026/11/26/",
            "state": "exported", "task_id": "5f0c...", "objects": 3, "bytes": 18231, "reused": false}]
empty_days:
  description: Days before the cutoff without any event; they get a marker without an export.
  returned: always
  type: list
  elements: dict
already_archived:
  description: Days whose marker already existed.
  returned: always
  type: list
  elements: dict
late_exports:
  description:
    - Streams whose events of an already marked day were not in a verified export (late events), exported
      again per stream (in check mode, that would be; then RV(late_exports[].task_id) is null).
  returned: always
  type: list
  elements: dict
  sample: [{"group": "/ecs/dailyge-api", "day": "2026-11-26", "stream": "api/api/0a1b2c", "day_state": "archived",
            "task_id": "9e1d...", "objects": 1, "bytes": 812}]
  contains:
    group:
      description: The log group.
      type: str
    day:
      description: The day (YYYY-MM-DD) whose late events were exported.
      type: str
    stream:
      description: The log stream with late events.
      type: str
    day_state:
      description: The state of the day's marker.
      type: str
    task_id:
      description: The export task of the stream; null in check mode.
      type: str
    objects:
      description: Objects the export wrote.
      type: int
    bytes:
      description: Bytes the export wrote.
      type: int
deleted_streams:
  description: Log streams deleted (in check mode, that would be deleted).
  returned: always
  type: list
  elements: dict
  sample: [{"group": "/ecs/dailyge-api", "stream": "api/api/0a1b2c"}]
kept_streams:
  description: Log streams left in place (events at or after the cutoff, events not in a verified export, or written meanwhile).
  returned: always
  type: int
failed_day:
  description: The day that stopped the run (nothing was deleted).
  returned: on failure
  type: dict
"""

import contextlib

with contextlib.suppress(ImportError):  # AnsibleAWSModule reports a missing botocore
    import botocore

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.dailyge.infra.plugins.module_utils import logs_archive as engine
from ansible_collections.dailyge.infra.plugins.module_utils.local_days import parse_date, zone
from ansible_collections.dailyge.infra.plugins.module_utils.retrying import retry_decorator
from ansible_collections.dailyge.infra.plugins.module_utils.waiting import Clock

ARGUMENT_SPEC = {
    "log_groups": {"type": "list", "elements": "str", "required": True},
    "bucket": {"type": "str", "required": True},
    "prefix": {"type": "str", "default": ""},
    "cutoff_date": {"type": "str"},
    "timezone": {"type": "str", "default": "Asia/Seoul"},
    "delete_streams": {"type": "bool", "default": True},
    "export_timeout": {"type": "int", "default": 1800},
    "slot_timeout": {"type": "int", "default": 3600},
    "max_poll_interval": {"type": "int", "default": 30},
}


def options_from(params: dict) -> engine.Options:
    return engine.Options(
        log_groups=list(params["log_groups"]),
        bucket=params["bucket"],
        prefix=params["prefix"],
        cutoff=parse_date(params["cutoff_date"]) if params["cutoff_date"] else None,
        delete_streams=params["delete_streams"],
        export_timeout=float(params["export_timeout"]),
        slot_timeout=float(params["slot_timeout"]),
        max_poll_interval=float(params["max_poll_interval"]),
    )


def diff_of(outcome: engine.Outcome) -> dict:
    archived = sorted(day.label for day in outcome.days if day.state == "archived")
    written = sorted(day.label for day in outcome.written)
    late = [f"{item['group']} {item['day']} {item['stream']}" for item in outcome.late]
    deleted = [f"{item['group']} {item['stream']}" for item in outcome.deleted_streams]
    return {
        "before": {"archived_days": archived, "late_exports": [], "deleted_streams": []},
        "after": {"archived_days": sorted(archived + written), "late_exports": late, "deleted_streams": deleted},
    }


def main() -> None:
    module = AnsibleAWSModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    try:
        tz = zone(module.params["timezone"])
        options = options_from(module.params)
        engine.validate(options)
    except (ValueError, engine.ArchiveError) as exc:
        module.fail_json(msg=str(exc))

    logs = module.client("logs", retry_decorator=retry_decorator())
    s3 = module.client("s3", retry_decorator=retry_decorator())
    try:
        outcome = engine.run(logs, s3, options, tz, Clock(), module.check_mode)
    except engine.ArchiveError as exc:
        written = exc.result.get("exported", []) + exc.result.get("empty_days", []) + exc.result.get("late_exports", [])
        module.fail_json(msg=str(exc), changed=bool(written), **exc.result)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
        module.fail_json_aws(exc, msg="CloudWatch Logs or S3 call failed while archiving")

    module.exit_json(changed=outcome.changed, diff=diff_of(outcome), **outcome.as_dict())


if __name__ == "__main__":
    main()
