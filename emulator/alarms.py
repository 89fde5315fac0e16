"""CloudWatch metric alarms evaluated on demand, and SNS -> Lambda delivery that runs the function's zip.

moto stores alarms and metric data but never evaluates an alarm (every alarm stays in its initial
state) and cannot run a Lambda function without a container runtime. Both hide the path a dead man's
switch depends on: a heartbeat that stops must turn its alarm (treat_missing_data = breaching) to
ALARM, and the notification must reach Slack through the alarm topic and the Slack notifier Lambda.
This module makes the emulator do what CloudWatch and SNS do, on demand:

- `evaluate(now)`: every metric alarm of the emulator is evaluated as CloudWatch does at time `now`
  (default: the current time): the last `EvaluationPeriods` periods of `Period` seconds ending at `now`,
  the alarm's statistic over the datapoints of its namespace, metric and exact dimension set in each
  period, `DatapointsToAlarm` of them (default: all) breaching the threshold for ALARM, and the
  periods without data treated as `TreatMissingData` says (breaching, notBreaching, ignore: the state
  stays, missing: INSUFFICIENT_DATA when no period has data). A state change is recorded (history,
  reason, reason data as CloudWatch writes them) and, when actions are enabled, the alarm's
  AlarmActions / OKActions / InsufficientDataActions topics get the JSON message CloudWatch publishes.
  Passing `now` in the future is how a test "stops the heartbeat": the recorded datapoints fall out of
  the window. EC2's own status-check metrics (AWS/EC2 StatusCheckFailed*) are not recorded data: they
  are 0 for every minute an instance runs and missing otherwise, as EC2 publishes them.
  Served as `POST /_dailyge/evaluate-alarms[?now=<ISO 8601 or epoch seconds>]` and run by
  `python -m emulator evaluate-alarms [--at ...]`. Metric-math and composite alarms are left as they are.
- the `sns_lambda_delivery_runs_the_function_zip` patch: a topic's `lambda` subscription receives the
  event AWS sends (Records[0].EventSource aws:sns, Sns.TopicArn, Subject, Message, MessageId,
  Timestamp, EventSubscriptionArn) and the function runs asynchronously, as SNS invokes Lambda: its
  deployed zip is unpacked into the state folder and its handler called in a separate Python process
  with the function's environment variables plus the emulator's endpoint and placeholder credentials
  (the handler calls back into the emulator, which serves one request at a time, so it cannot run
  inside the request that published). A failed run is retried twice, like an asynchronous invocation.
  Each attempt is appended to `<state>/emulator/lambda-invocations.jsonl`.

Tested by tests/unit/test_emulator_alarms.py; the whole path (heartbeat -> alarm -> SNS -> Lambda ->
local Slack receiver) by tests/integration/test_watchdog.py.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from emulator.patches import patch

EVALUATE_PATH = "/_dailyge/evaluate-alarms"
STAMP = "%Y-%m-%dT%H:%M:%S.000+0000"  # CloudWatch's time format in alarm notifications
LAMBDA_ATTEMPTS = 3  # an asynchronous invocation: the first try and two retries
LAMBDA_TIMEOUT_S = 60.0
REGION_NAMES = {
    "ap-northeast-2": "Asia Pacific (Seoul)",
    "us-east-1": "US East (N. Virginia)",
    "eu-west-1": "Europe (Ireland)",
}
COMPARISONS = {
    "GreaterThanOrEqualToThreshold": (lambda value, threshold: value >= threshold, "greater than or equal to"),
    "GreaterThanThreshold": (lambda value, threshold: value > threshold, "greater than"),
    "LessThanThreshold": (lambda value, threshold: value < threshold, "less than"),
    "LessThanOrEqualToThreshold": (lambda value, threshold: value <= threshold, "less than or equal to"),
}


class AlarmRequestError(ValueError):
    """A bad request to the evaluation endpoint (one line, answered as HTTP 400)."""


# --- evaluation ---------------------------------------------------------------------------------


def as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_now(text: str | None) -> datetime:
    """The evaluation time from `?now=`: ISO 8601 (UTC when no offset) or epoch seconds; now when empty."""
    if not text:
        return datetime.now(UTC)
    try:
        return datetime.fromtimestamp(float(text), UTC)
    except ValueError:
        pass
    try:
        return as_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError as exc:
        raise AlarmRequestError(f"now={text!r} is neither ISO 8601 (2026-12-03T06:00:00Z) nor epoch seconds") from exc


def dimension_set(dimensions: Any) -> frozenset[tuple[str, str]]:
    return frozenset((item.name, item.value) for item in dimensions or [])


def statistic(values: list[Any], name: str) -> float:
    """CloudWatch's statistic over the raw datapoints of one period (values or aggregated sets)."""
    samples = counts = total = 0.0
    low, high = float("inf"), float("-inf")
    for datum in values:
        if hasattr(datum, "value"):
            samples, total = samples + 1, total + datum.value
            low, high = min(low, datum.value), max(high, datum.value)
        else:
            samples, total = samples + datum.sample_count, total + datum.sum
            low, high = min(low, datum.min), max(high, datum.max)
        counts += 1
    return {
        "SampleCount": samples,
        "Sum": total,
        "Minimum": low,
        "Maximum": high,
        "Average": total / samples if samples else 0.0,
    }[name]


def period_windows(alarm: Any, now: datetime) -> list[tuple[datetime, datetime]]:
    """[start, stop) of each of the alarm's evaluation periods ending at `now`'s minute, the newest first."""
    period = timedelta(seconds=int(alarm.period))
    end = now.replace(second=0, microsecond=0)
    return [(end - (index + 1) * period, end - index * period) for index in range(int(alarm.evaluation_periods))]


def period_values(alarm: Any, metric_data: list[Any], now: datetime) -> list[tuple[datetime, float | None]]:
    """(start, value or None) of each of the alarm's evaluation periods, the newest first."""
    wanted = dimension_set(alarm.dimensions)
    matching = [
        datum
        for datum in metric_data
        if datum.namespace == alarm.namespace
        and datum.name == alarm.metric_name
        and dimension_set(datum.dimensions) == wanted
        and (not alarm.unit or not datum.unit or datum.unit == alarm.unit)
    ]
    periods = []
    for start, stop in period_windows(alarm, now):
        inside = [datum for datum in matching if start <= as_utc(datum.timestamp) < stop]
        periods.append((start, statistic(inside, alarm.statistic or "Average") if inside else None))
    return periods


STATUS_CHECK_METRICS = ("StatusCheckFailed", "StatusCheckFailed_Instance", "StatusCheckFailed_System")


def status_check_periods(
    alarm: Any, account_id: str, region: str, now: datetime
) -> list[tuple[datetime, float | None]]:
    """The AWS/EC2 status-check datapoints EC2 itself publishes, for an alarm on one instance.

    EC2 publishes StatusCheckFailed (and its _Instance and _System parts) every minute for each
    running instance: 0 while the checks pass. moto publishes nothing, so without these datapoints a
    status-check alarm with missing data breaching would fire on a healthy instance. A period gets 0
    when the instance runs and was launched before the period ended; a stopped, terminated or unknown
    instance publishes nothing (missing), as on AWS.
    """
    from moto.ec2.models import ec2_backends

    instance_id = dict(dimension_set(alarm.dimensions)).get("InstanceId")
    instance = None
    if instance_id:
        for reservation in ec2_backends[account_id][region].reservations.values():
            instance = next((item for item in reservation.instances if item.id == instance_id), instance)
    running = instance is not None and instance.state == "running"
    launched = now
    if running:
        launch_time = instance.launch_time
        launched = as_utc(launch_time) if isinstance(launch_time, datetime) else parse_now(str(launch_time))
    return [(start, 0.0 if running and launched < stop else None) for start, stop in period_windows(alarm, now)]


def decide(alarm: Any, periods: list[tuple[datetime, float | None]]) -> tuple[str, str]:
    """(new state, reason) of the alarm from its periods, as CloudWatch decides them."""
    check, words = COMPARISONS[alarm.comparison_operator]
    threshold = float(alarm.threshold)
    treat = alarm.treat_missing_data or "missing"
    needed = int(alarm.datapoints_to_alarm or alarm.evaluation_periods)
    present = [(start, value) for start, value in periods if value is not None]
    missing = len(periods) - len(present)
    if not present and treat in ("missing", "ignore"):
        state = "INSUFFICIENT_DATA" if treat == "missing" else alarm.state_value
        return state, f"Insufficient Data: {len(periods)} datapoints were unknown."
    breaching = sum(1 for _, value in present if check(value, threshold))
    if treat == "breaching":
        breaching += missing
    shown = ", ".join(f"{value} ({start:%d/%m/%y %H:%M:%S})" for start, value in present)
    missing_note = f" and {missing} missing datapoints treated as {treat}" if missing else ""
    counted = len(periods) if treat in ("breaching", "notBreaching") else len(present)
    state = "ALARM" if breaching >= needed else "OK"
    verb = "was" if state == "ALARM" else "was not"
    reason = (
        f"Threshold Crossed: {breaching} out of the last {counted} datapoints [{shown}]{missing_note} "
        f"{verb} {words} the threshold ({threshold}) (minimum {needed} datapoint"
        f"{'s' if needed > 1 else ''} for {'OK -> ALARM' if state == 'ALARM' else 'ALARM -> OK'} transition)."
    )
    return state, reason


def notification(alarm: Any, account_id: str, region: str, old: str, changed_at: datetime) -> dict[str, Any]:
    """The JSON message CloudWatch publishes to an alarm's topics on a state change."""
    return {
        "AlarmName": alarm.name,
        "AlarmDescription": alarm.description,
        "AWSAccountId": account_id,
        "AlarmConfigurationUpdatedTimestamp": f"{as_utc(alarm.configuration_updated_timestamp):{STAMP}}",
        "NewStateValue": alarm.state_value,
        "NewStateReason": alarm.state_reason,
        "StateChangeTime": f"{changed_at:{STAMP}}",
        "Region": REGION_NAMES.get(region, region),
        "AlarmArn": alarm.alarm_arn,
        "OldStateValue": old,
        "OKActions": list(alarm.ok_actions),
        "AlarmActions": list(alarm.alarm_actions),
        "InsufficientDataActions": list(alarm.insufficient_data_actions),
        "Trigger": {
            "MetricName": alarm.metric_name,
            "Namespace": alarm.namespace,
            "StatisticType": "Statistic",
            "Statistic": (alarm.statistic or "Average").upper(),
            "Unit": alarm.unit,
            "Dimensions": [{"value": item.value, "name": item.name} for item in alarm.dimensions],
            "Period": int(alarm.period),
            "EvaluationPeriods": int(alarm.evaluation_periods),
            "DatapointsToAlarm": int(alarm.datapoints_to_alarm or alarm.evaluation_periods),
            "ComparisonOperator": alarm.comparison_operator,
            "Threshold": float(alarm.threshold),
            "TreatMissingData": alarm.treat_missing_data or "missing",
            "EvaluateLowSampleCountPercentile": "",
        },
    }


def actions_for(alarm: Any, state: str) -> list[str]:
    if not alarm.actions_enabled:
        return []
    return list({"ALARM": alarm.alarm_actions, "OK": alarm.ok_actions}.get(state, alarm.insufficient_data_actions))


def evaluate(now: datetime | None = None) -> list[dict[str, Any]]:
    """Evaluate every metric alarm of every account and region at `now`; return the state changes."""
    from moto.cloudwatch.models import cloudwatch_backends
    from moto.sns.models import sns_backends

    now = as_utc(now or datetime.now(UTC))
    changes = []
    for account_id, regions in list(cloudwatch_backends.items()):
        for region, backend in list(regions.items()):
            for alarm in list(backend.alarms.values()):
                if not alarm.metric_name or alarm.comparison_operator not in COMPARISONS or alarm.rule:
                    continue
                if alarm.namespace == "AWS/EC2" and alarm.metric_name in STATUS_CHECK_METRICS:
                    periods = status_check_periods(alarm, account_id, region, now)
                else:
                    periods = period_values(alarm, backend.metric_data, now)
                state, reason = decide(alarm, periods)
                if state == alarm.state_value:
                    continue
                old = alarm.state_value
                reason_data = {
                    "version": "1.0",
                    "queryDate": f"{now:{STAMP}}",
                    "statistic": alarm.statistic,
                    "period": int(alarm.period),
                    "recentDatapoints": [value for _, value in periods if value is not None],
                    "threshold": float(alarm.threshold),
                    "evaluatedDatapoints": [
                        {"timestamp": f"{start:{STAMP}}"} | ({} if value is None else {"value": value})
                        for start, value in periods
                    ],
                }
                alarm.update_state(reason, json.dumps(reason_data), state)
                message = json.dumps(notification(alarm, account_id, region, old, now))
                subject = f'{state}: "{alarm.name}" in {REGION_NAMES.get(region, region)}'[:99]
                notified = []
                for topic_arn in actions_for(alarm, state):
                    if ":sns:" not in topic_arn:
                        continue
                    topic_region, topic_account = topic_arn.split(":")[3], topic_arn.split(":")[4]
                    sns_backends[topic_account][topic_region].publish(message, arn=topic_arn, subject=subject)
                    notified.append(topic_arn)
                changes.append({"alarm": alarm.name, "old": old, "new": state, "reason": reason, "notified": notified})
    return changes


def middleware(app: Any) -> Any:
    """Wrap a WSGI app so that POST EVALUATE_PATH evaluates the alarms (inside moto's request lock)."""

    def wrapped(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") != EVALUATE_PATH:
            return app(environ, start_response)
        status, answer = "200 OK", {}
        if environ.get("REQUEST_METHOD") != "POST":
            status, answer = "405 Method Not Allowed", {"error": f"POST {EVALUATE_PATH}[?now=...]"}
        else:
            try:
                moment = parse_now(parse_qs(environ.get("QUERY_STRING", "")).get("now", [""])[0])
                answer = {"now": moment.isoformat(), "changes": evaluate(moment)}
            except AlarmRequestError as exc:
                status, answer = "400 Bad Request", {"error": str(exc)}
        body = json.dumps(answer).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    return wrapped


# --- SNS -> Lambda ------------------------------------------------------------------------------


def sns_event(subscription_arn: str, topic_arn: str, message: str, message_id: str, subject: str | None) -> dict:
    """The event SNS passes to a subscribed Lambda function."""
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": subscription_arn,
                "Sns": {
                    "Type": "Notification",
                    "MessageId": message_id,
                    "TopicArn": topic_arn,
                    "Subject": subject,
                    "Message": message,
                    "Timestamp": f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%S.%f}"[:-3] + "Z",
                    "SignatureVersion": "1",
                    "Signature": "EMULATED",
                    "SigningCertUrl": "",
                    "UnsubscribeUrl": "",
                    "MessageAttributes": {},
                },
            }
        ]
    }


RUNNER = (
    "import importlib, json, sys; sys.path.insert(0, sys.argv[1]); "
    "module, name = sys.argv[2].rsplit('.', 1); "
    "print(json.dumps(getattr(importlib.import_module(module), name)(json.load(sys.stdin), None)))"
)


def function_environment(function: Any, region: str) -> dict[str, str]:
    port = os.environ.get("MOTO_PORT", "4566")
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",  # the emulator's placeholder, not a secret
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        "AWS_LAMBDA_FUNCTION_NAME": function.function_name,
    } | {str(key): str(value) for key, value in (function.environment_vars or {}).items()}


def run_function(function: Any, region: str, event: dict[str, Any], state_dir: Path) -> list[dict[str, Any]]:
    """Run the function's zip with `event` (retried like an asynchronous invocation); the attempts."""
    task = state_dir / "emulator" / "lambda" / function.function_name / str(uuid.uuid4())
    task.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(function.code_bytes)) as archive:
        archive.extractall(task)
    attempts = []
    for attempt in range(1, LAMBDA_ATTEMPTS + 1):
        try:
            run = subprocess.run(
                [sys.executable, "-c", RUNNER, str(task), function.handler],
                input=json.dumps(event),
                env=function_environment(function, region),
                capture_output=True,
                text=True,
                timeout=LAMBDA_TIMEOUT_S,
                check=False,
            )
            outcome = {"returncode": run.returncode, "stdout": run.stdout[-2000:], "stderr": run.stderr[-2000:]}
        except (OSError, subprocess.TimeoutExpired) as exc:
            outcome = {"returncode": -1, "stdout": "", "stderr": str(exc)}
        attempts.append({"function": function.function_name, "attempt": attempt, "at": time.time()} | outcome)
        record(state_dir, attempts[-1])
        if outcome["returncode"] == 0:
            break
        time.sleep(attempt)
    return attempts


def record(state_dir: Path, entry: dict[str, Any]) -> None:
    path = state_dir / "emulator" / "lambda-invocations.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as stream:
        stream.write(json.dumps(entry) + "\n")


def state_dir() -> Path:
    return Path(os.environ.get("DAILYGE_STATE_DIR", Path(__file__).resolve().parent.parent / ".state"))


@patch
def cloudwatch_alarm_state_as_aws_keeps_it() -> None:
    """A new metric alarm is INSUFFICIENT_DATA until evaluated; updating an alarm keeps its state.

    AWS creates every alarm in INSUFFICIENT_DATA ("Unchecked: Initial alarm creation"), and a
    PutMetricAlarm on an existing alarm replaces its configuration but leaves its state as it is.
    moto creates alarms OK and resets the state on every update: a heartbeat alarm would look healthy
    before any heartbeat was published, and an ALARM would silently become OK on the next deploy.
    """
    from moto.cloudwatch import models

    original = models.CloudWatchBackend.put_metric_alarm

    def put_metric_alarm_keeping_state(self: Any, *args: Any, **kwargs: Any) -> Any:
        name = kwargs.get("name", args[0] if args else None)
        before = self.alarms.get(name)
        alarm = original(self, *args, **kwargs)
        if before is None:
            alarm.state_value = "INSUFFICIENT_DATA"
        else:
            for field in ("state_value", "state_reason", "state_reason_data", "state_updated_timestamp", "history"):
                setattr(alarm, field, getattr(before, field))
        return alarm

    models.CloudWatchBackend.put_metric_alarm = put_metric_alarm_keeping_state


@patch
def sns_lambda_delivery_runs_the_function_zip() -> None:
    """A topic's `lambda` subscription runs the function's deployed zip with the event SNS sends.

    AWS invokes a subscribed function asynchronously with an `aws:sns` event naming the topic, the
    subscription, the subject and the message. moto hands a fixed example event (TopicArn
    `arn:aws:sns:EXAMPLE`, Subject `TestInvoke`) to its Docker-based runtime, which does not exist
    here: the publish fails inside moto and no function ever runs, so an alarm could never reach Slack.
    """
    from moto.awslambda.utils import get_backend
    from moto.sns import models

    original = models.Subscription.publish

    def publish(self: Any, message: str, message_id: str, subject: str | None = None, **kwargs: Any) -> None:
        if self.protocol != "lambda":
            return original(self, message, message_id, subject, **kwargs)
        if self._filter_policy_matcher is not None and not self._filter_policy_matcher.matches(
            kwargs.get("message_attributes"), message
        ):
            return None
        parts = self.endpoint.split(":")
        region, name = parts[3], parts[6]
        qualifier = parts[7] if len(parts) == 8 else None
        function = get_backend(self.account_id, region).get_function(name, qualifier)
        event = sns_event(self.arn, self.topic.arn, message, message_id, subject)
        threading.Thread(
            target=run_function, args=(function, region, event, state_dir()), name=f"lambda-{name}", daemon=True
        ).start()
        return None

    models.Subscription.publish = publish
