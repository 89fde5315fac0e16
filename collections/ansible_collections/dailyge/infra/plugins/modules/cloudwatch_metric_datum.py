#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: cloudwatch_metric_datum
short_description: Publish one datapoint of a custom CloudWatch metric, once per timestamp
version_added: "0.1.0"
requirements:
  - python >= 3.9
author:
  - Dailyge infrastructure team (@dailyge)
description:
  - Puts one value of a custom metric (C(PutMetricData)) at a given time, for example a scheduled job's success
    (C(Dailyge/Jobs) C(JobSucceeded) = 1 with the dimensions C(Environment) and C(Job)), which the watchdog's
    CloudWatch alarm (C(treat_missing_data = breaching)) expects once a day.
  - Idempotent. It first reads the metric's statistics (C(GetMetricStatistics)) from O(skip_within) seconds before
    O(timestamp) to the end of its minute; when the value is already there it changes nothing. With the default
    O(skip_within=0) that is the timestamp's own minute (the same run again publishes nothing); a job gives a few
    hours, so a second run the same morning adds nothing to a daily alarm that needs one success a day. CloudWatch
    takes a few seconds to show a new datapoint, so a second run within that delay may publish the value twice; the
    alarms read C(Maximum), which stays the same.
  - In check mode it only reads, and reports what it would publish.
  - Refuses a namespace under C(AWS/), an empty or over-long dimension, more than 30 dimensions, and a timestamp more
    than two weeks old or two hours ahead (CloudWatch's limits), naming the option, before any call to AWS.
options:
  namespace:
    description: Custom namespace of the metric (not C(AWS/...)).
    type: str
    required: true
  metric_name:
    description: Name of the metric.
    type: str
    required: true
  dimensions:
    description: Dimensions of the datapoint, name to value (at most 30).
    type: dict
    default: {}
  value:
    description: The value to publish.
    type: float
    default: 1.0
  unit:
    description: Unit of the value.
    type: str
    default: Count
    choices: [None, Count, Seconds, Milliseconds, Bytes, Percent]
  skip_within:
    description:
      - Seconds before O(timestamp) in which an existing datapoint of the same value means the value is already
        published (0 is the timestamp's minute only). At most 86400.
    type: int
    default: 0
  timestamp:
    description:
      - Time of the datapoint, as Unix epoch seconds or ISO 8601 (UTC when it has no offset); the default is now.
      - Give the run's start time to make a re-run of the same run idempotent.
    type: str
notes:
  - Needs C(cloudwatch:PutMetricData) (which can be limited with the C(cloudwatch:namespace) condition key) and
    C(cloudwatch:GetMetricStatistics).
attributes:
  check_mode:
    description: Reports whether the datapoint would be published, and puts nothing.
    support: full
  diff_mode:
    description: Shows the datapoint before (empty when not yet present) and after.
    support: full
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The backup succeeded - tell the watchdog
  dailyge.infra.cloudwatch_metric_datum:
    namespace: Dailyge/Jobs
    metric_name: JobSucceeded
    dimensions:
      Environment: prod
      Job: backup
    value: 1
    timestamp: "{{ ops_jobs_started_at }}"
    skip_within: 21600  # a second run the same morning adds nothing
"""

RETURN = r"""
published:
  description: Whether the datapoint was put by this run (false in check mode and when it was already there).
  returned: success
  type: bool
already_present:
  description: Whether CloudWatch already held a datapoint with this value in the minute of the timestamp.
  returned: success
  type: bool
datum:
  description: The datapoint (namespace, metric name, dimensions, value, unit, timestamp in ISO 8601 UTC).
  returned: success
  type: dict
  sample: {"namespace": "Dailyge/Jobs", "metric_name": "JobSucceeded", "dimensions": {"Environment": "prod", "Job": "backup"},
           "value": 1.0, "unit": "Count", "timestamp": "2026-12-03T18:00:00+00:00"}
"""

import re
from datetime import datetime, timedelta, timezone
from typing import Any

try:  # noqa: SIM105 - the Ansible pattern: AnsibleAWSModule reports a missing SDK
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:
    pass  # AnsibleAWSModule reports the missing SDK

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

MAX_DIMENSIONS = 30
MAX_AGE = timedelta(days=14)
MAX_AHEAD = timedelta(hours=2)
NAMESPACE = re.compile(r"^[A-Za-z0-9_./#:-]{1,255}$")


def parse_timestamp(text: str | None, now: datetime) -> datetime | None:
    """The datapoint's time (aware, timezone.utc) from epoch seconds or ISO 8601; `now` when empty; None when unreadable."""
    if text is None or str(text).strip() == "":
        return now
    try:
        return datetime.fromtimestamp(float(text), timezone.utc)
    except (TypeError, ValueError, OverflowError):
        pass
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def problems(params: dict[str, Any], moment: datetime | None, now: datetime) -> list[str]:
    """Every bad option, each naming the option, before anything is called."""
    found = []
    if not NAMESPACE.match(params["namespace"]) or params["namespace"].startswith("AWS/"):
        found.append(
            f"namespace {params['namespace']!r} must be a custom CloudWatch namespace (1-255 characters, not AWS/...)"
        )
    if not params["metric_name"] or len(params["metric_name"]) > 255:
        found.append("metric_name must be 1-255 characters")
    dimensions = params["dimensions"] or {}
    if len(dimensions) > MAX_DIMENSIONS:
        found.append(f"dimensions has {len(dimensions)} entries; CloudWatch allows {MAX_DIMENSIONS}")
    for name, value in dimensions.items():
        if not str(name) or len(str(name)) > 255 or value is None or not str(value) or len(str(value)) > 1024:
            found.append(f"dimensions.{name} must be a name of 1-255 and a value of 1-1024 characters (got {value!r})")
    if not 0 <= params["skip_within"] <= 86400:
        found.append(f"skip_within {params['skip_within']} must be 0-86400 seconds")
    if moment is None:
        found.append(f"timestamp {params['timestamp']!r} is neither epoch seconds nor ISO 8601")
    elif moment < now - MAX_AGE or moment > now + MAX_AHEAD:
        found.append(
            f"timestamp {moment.isoformat()} is outside what CloudWatch accepts (two weeks back, two hours ahead)"
        )
    return found


def already_present(
    module: AnsibleAWSModule, client: Any, datum: dict[str, Any], moment: datetime, skip_within: int
) -> bool:
    """Whether the value is there from `skip_within` seconds before `moment` to the end of its minute (one bucket)."""
    end = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
    period = 60 * (1 + -(-skip_within // 60))  # whole minutes covering the lookback and the timestamp's minute
    try:
        answer = client.get_metric_statistics(
            Namespace=datum["namespace"],
            MetricName=datum["metric_name"],
            Dimensions=[{"Name": name, "Value": str(value)} for name, value in sorted(datum["dimensions"].items())],
            StartTime=end - timedelta(seconds=period),
            EndTime=end,
            Period=period,
            Statistics=["Maximum", "Minimum"],
            aws_retry=True,
        )
    except (BotoCoreError, ClientError) as exc:
        module.fail_json_aws(exc, msg=f"cannot read {datum['namespace']}/{datum['metric_name']} from CloudWatch")
    return any(
        point.get("Maximum") == datum["value"] and point.get("Minimum") == datum["value"]
        for point in answer.get("Datapoints", [])
    )


def put(module: AnsibleAWSModule, client: Any, datum: dict[str, Any], moment: datetime) -> None:
    try:
        client.put_metric_data(
            Namespace=datum["namespace"],
            MetricData=[
                {
                    "MetricName": datum["metric_name"],
                    "Dimensions": [
                        {"Name": name, "Value": str(value)} for name, value in sorted(datum["dimensions"].items())
                    ],
                    "Timestamp": moment,
                    "Value": datum["value"],
                    "Unit": datum["unit"],
                }
            ],
            aws_retry=True,
        )
    except (BotoCoreError, ClientError) as exc:
        module.fail_json_aws(exc, msg=f"cannot put {datum['namespace']}/{datum['metric_name']} to CloudWatch")


def main() -> None:
    module = AnsibleAWSModule(
        argument_spec={
            "namespace": {"type": "str", "required": True},
            "metric_name": {"type": "str", "required": True},
            "dimensions": {"type": "dict", "default": {}},
            "value": {"type": "float", "default": 1.0},
            "unit": {
                "type": "str",
                "default": "Count",
                "choices": ["None", "Count", "Seconds", "Milliseconds", "Bytes", "Percent"],
            },
            "timestamp": {"type": "str"},
            "skip_within": {"type": "int", "default": 0},
        },
        supports_check_mode=True,
    )
    params = module.params
    now = datetime.now(timezone.utc)
    moment = parse_timestamp(params["timestamp"], now)
    found = problems(params, moment, now)
    if found:
        module.fail_json(msg="; ".join(found))
    datum = {
        "namespace": params["namespace"],
        "metric_name": params["metric_name"],
        "dimensions": {str(name): str(value) for name, value in (params["dimensions"] or {}).items()},
        "value": float(params["value"]),
        "unit": params["unit"],
        "timestamp": moment.isoformat(),
    }
    # CloudWatch throttles with Throttling, which AWSRetry retries; also retry the service's 5xx answers.
    client = module.client("cloudwatch", retry_decorator=AWSRetry.jittered_backoff(retries=5))
    present = already_present(module, client, datum, moment, params["skip_within"])
    if not present and not module.check_mode:
        put(module, client, datum, moment)
    result: dict[str, Any] = {
        "changed": not present,
        "published": not present and not module.check_mode,
        "already_present": present,
        "datum": datum,
    }
    if module._diff:
        result["diff"] = {"before": datum if present else {}, "after": datum}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
